"""Reading the Prometheus text format in tests (netns and VM): samples and one labelled value.
`check(condition, message)` is the calling suite's own assertion, so failures read as its others."""

import re

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(text, check):
    """{(name, frozenset(labels)): value} from the text format."""
    out = {}
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        check(m is not None, f"unparsable sample line: {line!r}")
        out[(m.group(1), frozenset(LABEL.findall(m.group(3) or "")))] = float(m.group(4))
    return out


def value(s, name, check, **labels):
    """The one sample `name` whose labels include `labels`."""
    want = frozenset(labels.items())
    found = [v for (n, l), v in s.items() if n == name and want <= l]
    check(len(found) == 1, f"expected one sample {name}{labels}, found {len(found)}")
    return found[0]
