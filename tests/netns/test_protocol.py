"""DOC: Hostile and routine inputs: malformed adverts injected from a third host must change nothing
and be counted per reason (with rate-limited logs, also under a flood); reloads with an unchanged
configuration must cause no election, and changed priority / VIPs are applied in place."""

import os
import signal
import time

from vrrplab import Lab, check, config, instance, main, wait_for

VIP = "198.18.0.100"


def malformed(vigild):
    with Lab("malformed", vigild) as lab:
        h1, h3 = lab.host("h1", 1), lab.host("h3", 3)
        v2 = instance("VI_2", 52, 150, version=2, advert="1", vips=("198.18.0.101/32",),
                      extra="  authentication {\n    auth_type PASS\n    auth_pass secret\n  }")
        d1 = h1.vigild(config(instance(priority=150), v2))
        d1.wait_state("VI_1", "MASTER", 5)
        d1.wait_state("VI_2", "MASTER", 6)
        before = {n: d1.instance(n)["transitions"] for n in ("VI_1", "VI_2")}
        src = "198.18.0.3"
        for kind, vrid in [("ttl", 51), ("checksum", 51), ("vrid", 53), ("truncated", 51), ("count", 51),
                           ("version", 51), ("auth", 52)]:
            h3.python("inject", src, str(vrid), "254", kind, "50")
        want = {"VI_1": {"bad_ttl": 50, "bad_checksum": 50, "bad_length": 100, "bad_version": 50},
                "VI_2": {"bad_password": 50}}

        def counted():
            ok = True
            for name, reasons in want.items():
                errors = d1.instance(name)["advert_errors"]
                ok = ok and all(errors.get(r, 0) >= n for r, n in reasons.items())
            sock = d1.status()["vrrp"]["sockets"][0]["advert_errors"]
            return ok and sock.get("unknown_vrid", 0) >= 50
        wait_for("every malformed advert counted", counted, 5)
        for name in ("VI_1", "VI_2"):
            st = d1.instance(name)
            check(st["state"] == "MASTER", f"{name} left master: {st}")
            check(st["transitions"] == before[name], f"{name} changed state")
            print(f"{name} drops: {st['advert_errors']}")
        print(f"socket drops: {d1.status()['vrrp']['sockets'][0]['advert_errors']}")
        # a flood stays cheap and quiet: 30,000 TTL-64 adverts at 10,000/s (vrrp-lab.md's measurement)
        lines_before = len(d1.log_lines(r"dropped advert"))
        cpu_before = cpu_seconds(d1)
        t = time.time()
        h3.python("inject", src, "51", "254", "ttl:10000", "30000", timeout=60)
        wait_for("flood counted", lambda: d1.instance("VI_1")["advert_errors"].get("bad_ttl", 0) >= 30000 * 0.9, 10)
        cpu = cpu_seconds(d1) - cpu_before
        logged = len(d1.log_lines(r"dropped advert")) - lines_before
        st = d1.instance("VI_1")
        print(f"flood of 30000 TTL-64 adverts in {time.time() - t:.1f} s: {st['advert_errors']['bad_ttl']} counted, "
              f"{logged} log lines, {cpu:.2f} s CPU")
        check(st["state"] == "MASTER" and st["transitions"] == before["VI_1"], "flood changed the state")
        check(logged <= 20, f"{logged} log lines for a flood")
        check(h1.has(VIP), "VIP lost")


def cpu_seconds(daemon):
    fields = open(f"/proc/{daemon.proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reload_config(vigild):
    with Lab("reload", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        lab.sniff()
        c1 = config(instance(priority=150))
        d1, d2 = h1.vigild(c1), h2.vigild(config(instance(priority=100)))
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        mac1 = h1.mac()

        def hup(text, expect_line=None):
            with open(os.path.join(lab.dir, "h1.conf"), "w") as f:
                f.write(text)
            t = time.time()
            n = len(d1.log_lines(r"reload: done"))
            d1.signal(signal.SIGHUP)
            wait_for("reload done", lambda: len(d1.log_lines(r"reload: done")) > n, 5)
            if expect_line:
                check(d1.log_lines(expect_line), f"no plan line /{expect_line}/")
            return t

        before = (d1.instance("VI_1")["transitions"], d2.instance("VI_1")["transitions"])
        t = hup(c1)
        time.sleep(3 * 0.2 + 0.2)  # watch more than a Master_Down_Interval after the reload
        after = (d1.instance("VI_1")["transitions"], d2.instance("VI_1")["transitions"])
        check(after == before, f"unchanged reload caused transitions {before} -> {after}")
        check(not lab.wire(rf"^{mac1} .*prio 0", t), "priority-0 advert after an unchanged reload")
        adverts = [ts for ts, _ in lab.wire(rf"^{mac1} .*vrid 51, prio 150", t - 1)]
        gap = max(b - a for a, b in zip(adverts, adverts[1:]))
        print(f"unchanged reload: no transition, largest advert gap {1000 * gap:.0f} ms")
        check(gap < 0.3, "advert gap longer than 1.5 intervals around the reload")

        hup(config(instance(priority=160)), r"~ VI_1 priority 150 -> 160")
        wait_for("priority 160", lambda: d1.instance("VI_1")["priority"] == 160, 2)
        lab.wait_wire(rf"^{mac1} .*vrid 51, prio 160", 2, time.time() - 0.1)
        hup(config(instance(priority=160, vips=(f"{VIP}/32", "198.18.0.101/32"))), r"~ VI_1 vips")
        h1.wait_address("198.18.0.101", True, 2)
        st = d1.instance("VI_1")
        check(st["state"] == "MASTER" and st["transitions"] == before[0], f"in-place changes moved state: {st}")
        check(d2.instance("VI_1")["transitions"] == before[1], "the backup saw an election")
        print("priority and VIP changes applied in place, no transition")


if __name__ == "__main__":
    main({"malformed": malformed, "reload_config": reload_config})
