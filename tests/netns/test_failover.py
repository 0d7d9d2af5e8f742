"""DOC: Failover paths of vigild in the namespace lab: crash (SIGKILL), planned stop (SIGTERM, lossless
handover measured by a client pinging the VIP every 5 ms), split brain and its heal, tracked
interface and script failures, a sync group, unicast mode and an IPv6 VIP with VRRPv3."""

import os
import re
import signal
import time

from vrrplab import Lab, check, config, instance, main, run, wait_for

VIP = "198.18.0.100"
GARP = r"ARP \(0x0806\), length \d+: Request who-has 198\.18\.0\.100 (\(ff:ff:ff:ff:ff:ff\) )?tell 198\.18\.0\.100"


def pair(lab, c1, c2, sniff=True):
    h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
    if sniff:
        lab.sniff()
    d1 = h1.vigild(c1)
    d2 = h2.vigild(c2)
    d1.wait_state("VI_1", "MASTER", 5)
    d2.wait_state("VI_1", "BACKUP", 5)
    h1.wait_address(VIP, True, 2)
    return h1, h2, d1, d2


def kill_master(vigild):
    with Lab("kill_master", vigild) as lab:
        c1 = config(instance(priority=150))
        h1, h2, d1, d2 = pair(lab, c1, config(instance(priority=100)))
        mac1, mac2 = h1.mac(), h2.mac()
        killed = time.time()
        d1.kill()
        taken = h2.wait_address(VIP, True, 3)
        t_vip = h2.address_event_time(VIP, True, killed) or taken
        last_advert = max(t for t, _ in lab.wire(rf"^{mac1}.*vrid 51, prio 150"))
        garp = lab.wait_wire(rf"^{mac2} .*{GARP}", 2, t_vip - 0.01)
        d2.wait_state("VI_1", "MASTER", 1)
        # the killed master's VIP stays behind until vigild starts again
        check(h1.has(VIP), "SIGKILL should leave the dead master's VIP (kernel state)")
        mdi = 3 * 0.2 + (256 - 100) / 256 * 0.2
        print(f"kill -> VIP on backup {1000 * (t_vip - killed):.0f} ms; last advert -> VIP "
              f"{1000 * (t_vip - last_advert):.0f} ms (Master_Down_Interval {1000 * mdi:.0f} ms); "
              f"GARP {1000 * (garp[0] - t_vip):.1f} ms after the VIP")
        check(t_vip - last_advert < mdi + 0.15, "takeover slower than Master_Down_Interval + 150 ms")
        restarted = time.time()
        d1 = h1.vigild(c1)
        removed = wait_for("leftover VIP removed on h1",
                           lambda: h1.address_event_time(VIP, False, restarted), 3)
        print(f"restart removed the leftover VIP {1000 * (removed - restarted):.0f} ms after start")
        d1.wait_state("VI_1", "MASTER", 5)  # then preempts as configured
        h2.wait_address(VIP, False, 2)


def term_lossless(vigild):
    with Lab("term_lossless", vigild) as lab:
        c = lambda p: config(instance(priority=p, advert="0.5"))
        h1, h2, d1, d2 = pair(lab, c(150), c(100))
        h3 = lab.host("h3", 3)
        h3.sh(f"ping -c 1 -W 1 {VIP}")  # ARP entry for the VIP → h1
        pinger = h3.pinger(VIP, 400)  # 2 s at 5 ms
        time.sleep(0.5)  # let traffic flow before the stop (not synchronisation)
        stop = time.time()
        d1.term()
        d1.wait_exit(6)
        gone = time.time()
        sent, received = pinger.result()
        h2.wait_address(VIP, True, 1)
        line = d1.log_lines(r"successor 198\.18\.0\.2 took over after")
        check(line, "no 'successor ... took over' line in h1's log")
        check(d1.log_lines(r"handing over VI_1: waiting for a successor"), "no handover line")
        took = re.search(r"after ([\d.]+) ms", line[0]).group(1)
        print(f"SIGTERM handover: successor after {took} ms, process exit {1000 * (gone - stop):.0f} ms, "
              f"client lost {sent - received} of {sent} pings (5 ms)")
        check(sent - received == 0, f"client lost {sent - received} pings during a planned handover")


def term_alone(vigild):
    with Lab("term_alone", vigild) as lab:
        h1 = lab.host("h1", 1)
        d1 = h1.vigild(config(instance(priority=150)))
        d1.wait_state("VI_1", "MASTER", 5)
        h1.wait_address(VIP, True, 1)
        stop = time.time()
        d1.term()
        gone = d1.wait_exit(5)
        check(not h1.has(VIP), "VIP left after stop")
        released = wait_for("VIP removal event", lambda: h1.address_event_time(VIP, False, stop), 2)
        bound = 3 * 0.2 + 255 / 256 * 0.2  # handover deadline: a priority-1 backup's Master_Down_Interval
        print(f"stop without backup: VIP released {1000 * (released - stop):.0f} ms, process gone "
              f"{1000 * (gone - stop):.0f} ms (bound {1000 * bound:.0f} + 100 ms)")
        check(d1.log_lines(r"no successor after .* released"), "no 'no successor' line")
        check(released - stop <= bound + 0.1, "stop took longer than the handover deadline + 100 ms")


def split_brain(vigild):
    # higher_prio_send_advert (keepalived #14/#160/#166): the loser answers once before stepping
    # down, so the winner hears a lower advert and re-announces (garp_lower_prio_*); without it the
    # winner sends a fresh GARP only if the loser's advert happens to reach it first.
    with Lab("split_brain", vigild) as lab:
        heal = "  higher_prio_send_advert"
        h1, h2, d1, d2 = pair(lab, config(instance(priority=150, extra=heal)),
                              config(instance(priority=100, extra=heal)))
        mac1 = h1.mac()
        h1.isolate(True)
        h2.isolate(True)
        d2.wait_state("VI_1", "MASTER", 3)
        check(d1.state("VI_1") == "MASTER", "h1 left master while isolated")
        healed = time.time()
        h1.isolate(False)
        h2.isolate(False)
        d2.wait_state("VI_1", "BACKUP", 0.2 + 0.3)
        settled = time.time()
        garp = lab.wait_wire(rf"^{mac1} .*{GARP}", 1, healed)
        h2.wait_address(VIP, False, 1)
        check(d1.state("VI_1") == "MASTER", "h1 not master after heal")
        print(f"split brain healed: one master {1000 * (settled - healed):.0f} ms after the heal, "
              f"fresh GARP from the winner {1000 * (garp[0] - healed):.0f} ms after")


def track_interface(vigild):
    with Lab("track_interface", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        port = h1.extra_port("eth1")
        d1 = h1.vigild(config(instance(priority=150, extra="  track_interface {\n    eth1\n  }")))
        d2 = h2.vigild(config(instance(priority=100)))
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        down = time.time()
        run("ip", "-n", lab.switch_ns, "link", "set", port, "down")
        d1.wait_state("VI_1", "FAULT", 1)
        t = h2.wait_address(VIP, True, 2)
        h1.wait_address(VIP, False, 1)
        print(f"tracked interface down -> VIP on backup {1000 * (t - down):.0f} ms")
        run("ip", "-n", lab.switch_ns, "link", "set", port, "up")
        d1.wait_state("VI_1", "MASTER", 5)


def track_script(vigild):
    with Lab("track_script", vigild) as lab:
        flag = os.path.join(lab.dir, "h1.healthy")
        open(flag, "w").close()
        script = f"vrrp_script chk {{\n  script \"test -f {flag}\"\n  interval 1\n  fall 1\n  rise 1\n}}\n"
        c1 = script + config(instance(priority=150, extra="  track_script {\n    chk weight -60\n  }"))
        h1, h2, d1, d2 = pair(lab, c1, config(instance(priority=100)))
        os.unlink(flag)
        failed = time.time()
        d2.wait_state("VI_1", "MASTER", 4)
        t = h2.wait_address(VIP, True, 1)
        check(d1.instance("VI_1")["priority"] == 90, "weight -60 not applied")
        print(f"script failing -> VIP on backup {1000 * (t - failed):.0f} ms (script interval 1 s)")
        open(flag, "w").close()
        d1.wait_state("VI_1", "MASTER", 4)


def sync_group(vigild):
    with Lab("sync_group", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        flag = os.path.join(lab.dir, "h1.vi2")
        open(flag, "w").close()
        group = "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n"
        script = f"vrrp_script chk2 {{\n  script \"test -f {flag}\"\n  interval 1\n}}\n"
        vi2 = lambda p, extra="": instance("VI_2", 52, p, vips=("198.18.0.101/32",), extra=extra)
        c1 = script + group + config(instance(priority=150), vi2(150, "  track_script {\n    chk2\n  }"))
        c2 = group + config(instance(priority=100), vi2(100))
        d1, d2 = h1.vigild(c1), h2.vigild(c2)
        for name in ("VI_1", "VI_2"):
            d1.wait_state(name, "MASTER", 5)
            d2.wait_state(name, "BACKUP", 5)
        os.unlink(flag)  # only VI_2's script fails; the group moves both
        d1.wait_state("VI_1", "FAULT", 3)
        for name in ("VI_1", "VI_2"):
            d2.wait_state(name, "MASTER", 3)
        h2.wait_address(VIP, True, 1)
        h2.wait_address("198.18.0.101", True, 1)
        check(not h1.has(VIP) and not h1.has("198.18.0.101"), "h1 kept a group VIP")


def unicast(vigild):
    with Lab("unicast", vigild) as lab:
        uc = lambda me, peer: f"  unicast_src_ip 198.18.0.{me}\n  unicast_peer {{\n    198.18.0.{peer}\n  }}"
        h1, h2, d1, d2 = pair(lab, config(instance(priority=150, extra=uc(1, 2))),
                              config(instance(priority=100, extra=uc(2, 1))))
        t = time.time()
        lab.wait_wire(r"198\.18\.0\.1 > 198\.18\.0\.2: VRRPv3, Advertisement, vrid 51, prio 150", 2, t)
        check(not lab.wire(r"> 224\.0\.0\.18", t), "multicast adverts in unicast mode")
        killed = time.time()
        d1.kill()
        taken = h2.wait_address(VIP, True, 3)
        print(f"unicast: kill -> VIP on backup {1000 * (taken - killed):.0f} ms")


def ipv6(vigild):
    with Lab("ipv6", vigild) as lab:
        v6vip = "2001:db8::100"
        c = lambda p: config(instance(priority=p, vips=(f"{v6vip}/64",)))
        h1, h2 = lab.host("h1", 1, v6=True), lab.host("h2", 2, v6=True)
        lab.sniff()
        d1, d2 = h1.vigild(c(150)), h2.vigild(c(100))
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        h1.wait_address(v6vip, True, 2)
        t = time.time()
        lab.wait_wire(r"fe80::.* > ff02::12: .*VRRPv3, Advertisement, vrid 51, prio 150", 2, t)
        killed = time.time()
        d1.kill()
        taken = h2.wait_address(v6vip, True, 3)
        taken = h2.address_event_time(v6vip, True, killed) or taken
        mac2 = h2.mac()
        lab.wait_wire(rf"^{mac2} .*neighbor advertisement, tgt is 2001:db8::100", 2, taken - 0.05)
        print(f"IPv6 v3: kill -> VIP on backup {1000 * (taken - killed):.0f} ms, unsolicited NA seen")


def notify(vigild):
    with Lab("notify", vigild) as lab:
        h1 = lab.host("h1", 1)
        out = os.path.join(lab.dir, "notify.out")
        script = os.path.join(lab.dir, "notify.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\necho \"$*\" >> {out}\n")
        os.chmod(script, 0o755)
        extra = f"  notify {script}\n  notify_master \"{script} became-master\""
        d1 = h1.vigild(config(instance(priority=150, extra=extra)))
        d1.wait_state("VI_1", "MASTER", 5)
        read = lambda: open(out).read().splitlines() if os.path.exists(out) else []
        wait_for("notify lines", lambda: {"INSTANCE VI_1 MASTER 150", "became-master"} <= set(read()), 3)
        check("INSTANCE VI_1 BACKUP 150" in read(), f"no BACKUP notify: {read()}")
        d1.term()
        d1.wait_exit(5)
        wait_for("stop notify", lambda: "INSTANCE VI_1 STOP 150" in read(), 3)
        print("notify lines: " + "; ".join(read()))


if __name__ == "__main__":
    main({f.__name__: f for f in [kill_master, term_lossless, term_alone, split_brain, track_interface,
                                  track_script, sync_group, unicast, ipv6, notify]})
