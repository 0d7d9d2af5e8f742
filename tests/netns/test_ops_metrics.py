"""DOC: vigild's Prometheus endpoint in the namespace lab (vrrplab.py).

  ops_metrics   `vigil_metrics_listen 127.0.0.1:PORT` on a VRRP master and its backup; a third host
                injects malformed adverts. /metrics is scraped with curl inside each namespace and
                must pass `promtool check metrics` (Debian's prometheus package); the VRRP series
                must be there with sensible values: state, priority, adverts sent and received,
                error counters by reason, transitions (which move after a demote). The endpoint
                listens on 127.0.0.1 only, answers 404/405 to other requests, and is off when the
                keyword is absent.

    python3 test_ops_metrics.py ops_metrics --vigild BUILD/daemon/vigild
"""

import os
import shutil
import subprocess
import sys

from vrrplab import Lab, Missing, check, config, instance, main, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import prometheus_text  # noqa: E402

PORT = 9650  # each host is its own namespace: the port is free in each


def scrape(host, path="/metrics", method="GET"):
    """(HTTP status, body) of a request from inside the host's namespace."""
    out = host.sh(f"curl -sS --max-time 5 -X {method} -o - -w '\\n%{{http_code}}' http://127.0.0.1:{PORT}{path}")
    body, _, code = out.rpartition("\n")
    return int(code), body


def promtool_check(text, where):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    check(r.returncode == 0, f"promtool check metrics failed on {where}'s /metrics:\n{r.stdout}{r.stderr}")


def samples(text):
    return prometheus_text.samples(text, check)


def value(s, name, **labels):
    return prometheus_text.value(s, name, check, **labels)


def listeners(host):
    """TCP listening sockets in the host's namespace, as 'addr:port' (IPv4, hex decoded)."""
    out = []
    for line in host.sh("cat /proc/net/tcp /proc/net/tcp6").split("\n"):
        f = line.split()
        if len(f) > 3 and f[3] == "0A" and ":" in f[1]:
            addr, port = f[1].split(":")
            out.append(f"{addr}:{int(port, 16)}")
    return out


def ops_metrics(vigild):
    if shutil.which("promtool") is None:
        raise Missing("promtool (Debian package prometheus)")
    with Lab("ops_metrics", vigild) as lab:
        h1, h2, h3, h4 = (lab.host(n, i) for n, i in (("h1", 1), ("h2", 2), ("h3", 3), ("h4", 4)))
        g = f"  vigil_metrics_listen 127.0.0.1:{PORT}\n"
        d1 = h1.vigild(config(instance(priority=150), global_defs=g))
        d2 = h2.vigild(config(instance(priority=100), global_defs=g))
        d4 = h4.vigild(config(instance(priority=50)))  # no vigil_metrics_listen
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        d4.wait_state("VI_1", "BACKUP", 5)

        # malformed adverts from h3 reach both routers: counted by reason
        for kind in ("ttl", "checksum"):
            h3.python("inject", "198.18.0.3", "51", "254", kind, "20")
        wait_for("drops counted on h2", lambda: d2.instance("VI_1")["advert_errors"].get("bad_checksum", 0) >= 20, 5)

        texts = {}
        for h in (h1, h2):
            code, body = scrape(h)
            check(code == 200, f"GET /metrics on {h.name}: HTTP {code}")
            promtool_check(body, h.name)
            texts[h.name] = body
        print(f"promtool check metrics: both scrapes pass ({len(texts['h1'].splitlines())} and "
              f"{len(texts['h2'].splitlines())} lines)")
        s1, s2 = samples(texts["h1"]), samples(texts["h2"])
        for name in ("vigil_vrrp_state", "vigil_vrrp_priority", "vigil_vrrp_transitions_total",
                     "vigil_vrrp_adverts_sent_total", "vigil_vrrp_adverts_received_total"):
            check(f"# TYPE {name} " in texts["h1"], f"no # TYPE line for {name}")
        check(value(s1, "vigil_up") == 1, "vigil_up is not 1")
        check(value(s1, "vigil_vrrp_state", instance="VI_1") == 2, "h1's vigil_vrrp_state is not 2 (master)")
        check(value(s2, "vigil_vrrp_state", instance="VI_1") == 1, "h2's vigil_vrrp_state is not 1 (backup)")
        check(value(s1, "vigil_vrrp_priority", instance="VI_1") == 150, "h1's priority")
        check(value(s1, "vigil_vrrp_adverts_sent_total", instance="VI_1") > 0, "h1 sent no adverts?")
        check(value(s2, "vigil_vrrp_adverts_received_total", instance="VI_1") > 0, "h2 received no adverts?")
        check(value(s2, "vigil_vrrp_transitions_total", instance="VI_1") == 1, "h2: one transition (init -> backup)")
        for reason in ("bad_ttl", "bad_checksum"):
            v = value(s2, "vigil_vrrp_advert_errors_total", instance="VI_1", reason=reason)
            check(v >= 20, f"h2's advert errors for {reason}: {v}")
        check("# TYPE vigil_vrrp_advert_errors_total counter" in texts["h2"], "advert errors are not a counter")
        print("VRRP series: " + ", ".join(f"{n}={v:g}" for (n, l), v in sorted(s2.items(), key=str)
                                          if n.startswith("vigil_vrrp_") and ("instance", "VI_1") in l)[:400])

        # transitions and state move with a demote; adverts keep counting
        ok_rc = subprocess.run([os.path.join(os.path.dirname(vigild), "vigilctl"), "-s", d1.control, "demote", "VI_1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
        check(ok_rc.returncode == 0, f"vigilctl demote: {ok_rc.stderr}")
        d2.wait_state("VI_1", "MASTER", 3)
        d1.wait_state("VI_1", "BACKUP", 3)
        t1 = samples(scrape(h1)[1])
        t2 = samples(scrape(h2)[1])
        check(value(t1, "vigil_vrrp_state", instance="VI_1") == 1, "h1 not backup in metrics after demote")
        check(value(t2, "vigil_vrrp_state", instance="VI_1") == 2, "h2 not master in metrics after demote")
        check(value(t1, "vigil_vrrp_transitions_total", instance="VI_1") >
              value(s1, "vigil_vrrp_transitions_total", instance="VI_1"), "h1's transitions did not move")
        check(value(t2, "vigil_vrrp_adverts_sent_total", instance="VI_1") > 0, "h2 as master sent nothing")
        print(f"after demote: transitions h1 {value(s1, 'vigil_vrrp_transitions_total', instance='VI_1'):g} -> "
              f"{value(t1, 'vigil_vrrp_transitions_total', instance='VI_1'):g}, states swapped")

        # the reload counters
        d2.signal(__import__("signal").SIGHUP)
        wait_for("h2's reload", lambda: d2.log_lines(r"reload: done"), 3)
        check(value(samples(scrape(h2)[1]), "vigil_reloads_total") == 1, "vigil_reloads_total did not count the reload")

        # only /metrics, only GET, only on 127.0.0.1, only when asked for
        code, _ = scrape(h1, "/")
        check(code == 404, f"GET / answered {code}, expected 404")
        code, _ = scrape(h1, "/metrics", "POST")
        check(code == 405, f"POST /metrics answered {code}, expected 405")
        l1 = listeners(h1)
        check(f"0100007F:{PORT}" in l1, f"h1 does not listen on 127.0.0.1:{PORT}: {l1}")
        check(not [l for l in l1 if l.endswith(f":{PORT}") and l != f"0100007F:{PORT}"],
              f"the metrics port is open on more than 127.0.0.1: {l1}")
        r = h2.sh(f"curl -sS --max-time 2 http://198.18.0.1:{PORT}/metrics", check=False)
        check("vigil_up" not in r, "the metrics endpoint answered on the lab network")
        check(not listeners(h4), f"vigild without vigil_metrics_listen listens on TCP: {listeners(h4)}")
        print(f"404 for /, 405 for POST, bound to 127.0.0.1:{PORT} only, off without vigil_metrics_listen")


if __name__ == "__main__":
    main({"ops_metrics": ops_metrics})
