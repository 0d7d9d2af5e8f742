"""DOC: Hostile and routine inputs: malformed adverts injected from a third host must change nothing
and be counted per reason (with rate-limited logs, also under a 10,000/s flood whose CPU cost is
bounded); spoofed higher priorities with TTL != 255, adverts from outside the unicast peer list,
bad authentication and address-list / VRID mismatches are ignored, counted and logged at a bounded
rate — and the two attacks VRRP cannot stop (an on-link sender with TTL 255 and no auth, a
sniffed PASS password) are shown for what they are (docs/security.md). Reloads with an unchanged
configuration must cause no election, and changed priority / VIPs are applied in place."""

import json
import os
import re
import signal
import time

from vrrplab import Lab, check, config, instance, main, sanitized, vigilctl, wait_for

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
        counted_before = d1.instance("VI_1")["advert_errors"].get("bad_ttl", 0)
        cpu_before = cpu_seconds(d1)
        t = time.time()
        h3.python("inject", src, "51", "254", "ttl:10000", "30000", timeout=60)
        sent_for = time.time() - t
        wait_for("flood counted",
                 lambda: d1.instance("VI_1")["advert_errors"].get("bad_ttl", 0) - counted_before >= 30000 * 0.9, 10)
        cpu = cpu_seconds(d1) - cpu_before
        wall = time.time() - t
        logged = len(d1.log_lines(r"dropped advert")) - lines_before
        # the operator's view: vigilctl status --json
        reply = vigilctl(vigild, "-s", d1.control, "status", "--json")
        check(reply.returncode == 0, f"vigilctl status --json failed: {reply.stderr}")
        st = next(i for i in json.loads(reply.stdout)["status"]["vrrp"]["instances"] if i["name"] == "VI_1")
        counted = st["advert_errors"]["bad_ttl"] - counted_before
        share = cpu / wall
        bound = flood_cpu_bound(vigild)
        print(f"flood of 30000 TTL-64 adverts sent in {sent_for:.1f} s: {counted} counted (vigilctl status --json), "
              f"{logged} log lines, vigild CPU {cpu:.2f} s over {wall:.1f} s = {100 * share:.1f} % of a core "
              f"(bound {100 * bound:.0f} %; keepalived 2.2.7: 41-48 %, 2.4.3: 9 %)")
        check(st["state"] == "MASTER" and st["transitions"] == before["VI_1"], "flood changed the state")
        check(counted >= 30000 * 0.9, f"only {counted} of 30000 flood adverts counted")
        check(logged <= 20, f"{logged} log lines for a flood")
        check(share <= bound, f"vigild used {100 * share:.1f} % of a core during the flood (bound {100 * bound:.0f} %)")
        check(h1.has(VIP), "VIP lost")
        # The drops the limiter kept out of the log are reported with the next line it lets through
        # (at most 5 lines per 10 s per instance): one more bad advert now and then until it comes.
        summary = r"dropped advert \(bad_ttl\).*\((\d+) drops not logged\)"

        def reported():
            found = d1.log_lines(summary)
            if not found:
                h3.python("inject", src, "51", "254", "ttl", "1")
            return found
        line = wait_for("the suppressed-drop count in the log", reported, 20, interval=1.0)[-1]
        suppressed = int(re.search(summary, line).group(1))
        print(f"next drop line after the flood: \"...{line[line.index('dropped advert'):]}\"")
        check(suppressed >= 30000 * 0.9, f"the log reports {suppressed} suppressed drops")


def cpu_seconds(daemon):
    fields = open(f"/proc/{daemon.proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flood_cpu_bound(vigild):
    # Share of one core vigild may use while 10,000 bad adverts/s arrive: each costs a recvmsg, a
    # TTL check and a counter. Measured ~2-4 % (release) on the 2-core lab machine; the bound
    # leaves room for a loaded host and stays well under keepalived 2.2.7's 41-48 %. ASan and
    # UBSan make every instruction several times dearer.
    return 0.40 if sanitized(vigild) else 0.15


def hostile_lab(lab, c1, c2):
    h1, h2, h3 = lab.host("h1", 1), lab.host("h2", 2), lab.host("h3", 3)
    d1, d2 = h1.vigild(c1), h2.vigild(c2)
    d1.wait_state("VI_1", "MASTER", 8)
    d2.wait_state("VI_1", "BACKUP", 8)
    h1.wait_address(VIP, True, 2)
    return h1, h2, h3, d1, d2


def unchanged(h1, h2, d1, d2, before):
    for d, name in ((d1, "h1"), (d2, "h2")):
        check(d.instance("VI_1")["transitions"] == before[name], f"{name} changed state: {d.instance('VI_1')}")
    check(d1.state("VI_1") == "MASTER" and d2.state("VI_1") == "BACKUP", "roles changed")
    check(h1.has(VIP) and not h2.has(VIP), "VIP moved")


def transitions(*daemons):
    return {d.host.name: d.instance("VI_1")["transitions"] for d in daemons}


def hostile_spoof(vigild):
    """Priority 254 from a third host: ignored by master and backup when its TTL is not 255 (RFC 5798
    §7.1: it crossed a router, or was not sent by a VRRP router); obeyed when it is 255 and there is
    no authentication, which VRRP cannot tell from a real router (docs/security.md)."""
    with Lab("hostile_spoof", vigild) as lab:
        h1, h2, h3, d1, d2 = hostile_lab(lab, config(instance(priority=150)), config(instance(priority=100)))
        before = transitions(d1, d2)
        for ttl in (64, 254, 1):
            h3.python("inject", "198.18.0.3", "51", "254", f"valid,ttl={ttl},rate=1000", "100")
        wait_for("spoofed adverts counted on both",
                 lambda: all(d.instance("VI_1")["advert_errors"].get("bad_ttl", 0) >= 300 for d in (d1, d2)), 5)
        unchanged(h1, h2, d1, d2, before)
        print(f"300 priority-254 adverts with TTL 64/254/1: ignored; bad_ttl h1 "
              f"{d1.instance('VI_1')['advert_errors']['bad_ttl']}, h2 {d2.instance('VI_1')['advert_errors']['bad_ttl']}")
        # The limit: TTL 255, no auth. The master yields at the first advert, as RFC 5798 says it must.
        t = time.time()
        h3.python("inject", "198.18.0.3", "51", "254", "valid,rate=50", "25")
        d1.wait_state("VI_1", "BACKUP", 2)
        gone = wait_for("VIP removed from h1", lambda: h1.address_event_time(VIP, False, t), 2)
        check(d1.instance("VI_1")["master"] == "198.18.0.3", "h1 does not name the attacker as master")
        print(f"valid TTL-255 advert, priority 254, no auth: h1 gave up the VIP {1000 * (gone - t):.0f} ms after "
              "the injector started — VRRP cannot refuse it (docs/security.md)")
        d1.wait_state("VI_1", "MASTER", 3)  # the attacker went quiet: Master_Down_Interval later h1 is back
        h1.wait_address(VIP, True, 1)


def hostile_unicast(vigild):
    """Unicast peers with check_unicast_src: adverts from outside the peer list are dropped (not_a_peer)
    whatever they claim; a peer may be pinned to TTL 255 (min_ttl) so that its address spoofed from
    off the LAN is refused too."""
    with Lab("hostile_unicast", vigild) as lab:
        def uc(me, peer, pin=""):
            return (f"  unicast_src_ip 198.18.0.{me}\n  unicast_peer {{\n    198.18.0.{peer}{pin}\n  }}\n"
                    "  check_unicast_src")
        h1, h2, h3, d1, d2 = hostile_lab(lab, config(instance(priority=150, extra=uc(1, 2, " min_ttl 255"))),
                                         config(instance(priority=100, extra=uc(2, 1))))
        before = transitions(d1, d2)
        for dst in ("198.18.0.1", "198.18.0.2"):
            h3.python("inject", "198.18.0.3", "51", "254", f"valid,dst={dst},rate=1000", "200")
        wait_for("non-peer adverts counted",
                 lambda: all(d.instance("VI_1")["advert_errors"].get("not_a_peer", 0) >= 200 for d in (d1, d2)), 5)
        # h2's address, spoofed with a TTL that says "not from this LAN": min_ttl 255 refuses it
        h3.python("inject", "198.18.0.2", "51", "254", "valid,dst=198.18.0.1,ttl=64,rate=1000", "100")
        wait_for("off-LAN spoof of the peer counted", lambda: d1.instance("VI_1")["advert_errors"].get("bad_ttl", 0) >= 100, 5)
        unchanged(h1, h2, d1, d2, before)
        e1, e2 = d1.instance("VI_1")["advert_errors"], d2.instance("VI_1")["advert_errors"]
        print(f"unicast: 400 priority-254 adverts from a non-peer dropped (not_a_peer h1 {e1['not_a_peer']}, "
              f"h2 {e2['not_a_peer']}); peer address spoofed with TTL 64 dropped (bad_ttl h1 {e1['bad_ttl']})")
        logged = len(d1.log_lines(r"dropped advert \(not_a_peer\)"))
        check(logged <= 10, f"{logged} not_a_peer log lines for 200 drops")


def hostile_auth(vigild):
    """VRRPv2 with auth_type PASS: wrong password, missing or different auth type are dropped and
    counted. PASS is not security: any host on the LAN reads the password from an advert and then
    wins an election with it."""
    with Lab("hostile_auth", vigild) as lab:
        auth = "  authentication {\n    auth_type PASS\n    auth_pass s3cretXy\n  }"
        c = lambda p: config(instance(priority=p, version=2, advert="1", extra=auth))
        h1, h2, h3, d1, d2 = hostile_lab(lab, c(150), c(100))
        before = transitions(d1, d2)
        src = "198.18.0.3"
        h3.python("inject", src, "51", "254", "v2,pass=guess,rate=1000", "100")      # bad_password
        h3.python("inject", src, "51", "254", "v2,rate=1000", "100")                 # no auth: auth_mismatch
        h3.python("inject", src, "51", "254", "v2,authtype=2,rate=1000", "100")      # AH: auth_mismatch
        want = {"bad_password": 100, "auth_mismatch": 200}
        wait_for("auth failures counted", lambda: all(
            d.instance("VI_1")["advert_errors"].get(k, 0) >= n for d in (d1, d2) for k, n in want.items()), 5)
        unchanged(h1, h2, d1, d2, before)
        print(f"v2 PASS: wrong/missing/AH auth dropped: h1 {d1.instance('VI_1')['advert_errors']}")
        # what PASS is worth: read it off the wire and use it
        packet = bytes.fromhex(h3.python("capture", "eth0", "5").strip())
        password = packet[-8:]
        check(password.rstrip(b"\0") == b"s3cretXy", f"captured password {password!r}")
        t = time.time()
        h3.python("inject", src, "51", "254", f"v2,pass={password.hex()},hex=1,rate=5", "5")
        d1.wait_state("VI_1", "BACKUP", 3)
        gone = wait_for("VIP removed from h1", lambda: h1.address_event_time(VIP, False, t), 2)
        print(f"password sniffed from one multicast advert; with it h3 took mastership from h1 in "
              f"{1000 * (gone - t):.0f} ms — auth PASS is not security (docs/security.md)")


def hostile_mismatch(vigild):
    """Adverts for our VRID listing other addresses (a misconfigured peer, RFC 9568 §7.1 "MAY verify"):
    counted, logged at a bounded rate, and they change nothing here (lower priority); the address list
    is never taken from an advert. Adverts for a VRID we do not run are counted per socket."""
    with Lab("hostile_mismatch", vigild) as lab:
        h1, h2, h3, d1, d2 = hostile_lab(lab, config(instance(priority=150)), config(instance(priority=100)))
        before = transitions(d1, d2)
        lines = lambda d, p: len(d.log_lines(p))
        mismatch_lines = {d: lines(d, r"lists other addresses than ours") for d in (d1, d2)}
        vrid_lines = lines(d1, r"VRID 52 from .* is not ours")
        h3.python("inject", "198.18.0.3", "51", "50", "valid,rate=500", "500", "198.18.0.200", "198.18.0.201")
        h3.python("inject", "198.18.0.3", "52", "254", "valid,rate=1000", "500", VIP)
        wait_for("mismatches counted", lambda: all(d.instance("VI_1")["address_list_mismatch"] >= 500 for d in (d1, d2)), 5)
        wait_for("unknown VRID counted",
                 lambda: d1.status()["vrrp"]["sockets"][0]["advert_errors"].get("unknown_vrid", 0) >= 500, 5)
        unchanged(h1, h2, d1, d2, before)
        for h in (h1, h2):
            check(not {"198.18.0.200", "198.18.0.201"} & h.addresses(), f"{h.name} took an advertised address")
        logged = {d.host.name: lines(d, r"lists other addresses than ours") - mismatch_lines[d] for d in (d1, d2)}
        logged_vrid = lines(d1, r"VRID 52 from .* is not ours") - vrid_lines
        print(f"500 adverts with another address list: counted (h1 {d1.instance('VI_1')['address_list_mismatch']}, "
              f"h2 {d2.instance('VI_1')['address_list_mismatch']}), log lines {logged}; "
              f"500 for VRID 52: unknown_vrid {d1.status()['vrrp']['sockets'][0]['advert_errors']['unknown_vrid']}, "
              f"{logged_vrid} log lines; no state or address changed")
        check(all(1 <= n <= 10 for n in logged.values()), f"mismatch log lines not rate-limited: {logged}")
        check(1 <= logged_vrid <= 10, f"{logged_vrid} unknown-VRID log lines")


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
    main({f.__name__: f for f in [malformed, reload_config, hostile_spoof, hostile_unicast, hostile_auth,
                                  hostile_mismatch]})
