"""DOC: Elections between vigild instances: by priority, by primary address on a tie, and the
return of a preempting (or nopreempt) master."""

import sys
import time

from vrrplab import Lab, check, config, instance, main, wait_for

VIP = "198.18.0.100"


def election_priority(vigild):
    with Lab("election_priority", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        lab.sniff()
        d2 = h2.vigild(config(instance(priority=100)))
        d1 = h1.vigild(config(instance(priority=150)))
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        h1.wait_address(VIP, True, 2)
        check(not h2.has(VIP), "backup holds the VIP")
        # the wire carries the master's adverts only, priority 150, TTL 255
        t = time.time()
        lab.wait_wire(r"198\.18\.0\.1 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 150", 2, t)
        check(not lab.wire(r"198\.18\.0\.2 > 224\.0\.0\.18: VRRP", t + 0.5), "backup advertises")
        st = d1.instance("VI_1")
        check(st["adverts_sent"] > 0 and st["advert_errors_total"] == 0, f"master counters: {st}")
        print(f"master adverts sent {st['adverts_sent']}, backup received {d2.instance('VI_1')['adverts_received']}")


def election_tie(vigild):
    # RFC 5798 §6.4.2: a backup follows any master of equal priority, so the address tie-break
    # (§6.4.3) decides between two masters: start both apart, then join them.
    with Lab("election_tie", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        h1.isolate(True)
        h2.isolate(True)
        d1 = h1.vigild(config(instance(priority=100)))
        d2 = h2.vigild(config(instance(priority=100)))
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "MASTER", 5)
        h1.isolate(False)
        h2.isolate(False)
        # equal priority, the higher primary address (198.18.0.2) wins
        d2.wait_state("VI_1", "MASTER", 5)
        d1.wait_state("VI_1", "BACKUP", 5)
        h2.wait_address(VIP, True, 2)
        check(not h1.has(VIP), "the lower address holds the VIP")
        check(d1.instance("VI_1")["master"] == "198.18.0.2", "backup names the wrong master")


def preempt_return(vigild, nopreempt=False):
    with Lab("preempt", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        lab.sniff()
        c1 = config(instance(priority=150, extra="  nopreempt" if nopreempt else ""))
        d1 = h1.vigild(c1)
        d2 = h2.vigild(config(instance(priority=100)))
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        d1.term()
        d1.wait_exit(10)
        d2.wait_state("VI_1", "MASTER", 5)
        h2.wait_address(VIP, True, 1)
        back = time.time()
        d1 = h1.vigild(c1)
        if nopreempt:
            d1.wait_state("VI_1", "BACKUP", 5)
            # three Master_Down_Intervals later h2 is still master
            deadline = time.time() + 3 * 0.8
            while time.time() < deadline:
                check(d2.state("VI_1") == "MASTER", "nopreempt backup took over")
                time.sleep(0.05)
            check(not h1.has(VIP), "nopreempt node holds the VIP")
        else:
            d1.wait_state("VI_1", "MASTER", 5)
            taken = h1.wait_address(VIP, True, 2)
            d2.wait_state("VI_1", "BACKUP", 2)
            h2.wait_address(VIP, False, 2)
            print(f"restart -> preempt back: {1000 * (taken - back):.0f} ms")


def preempt(vigild):
    preempt_return(vigild)


def nopreempt(vigild):
    preempt_return(vigild, nopreempt=True)


if __name__ == "__main__":
    main({"election_priority": election_priority, "election_tie": election_tie, "preempt": preempt,
          "nopreempt": nopreempt})
