"""DOC: vigild under CPU overload, and a master that notices it was stalled.

overload_busy    a vigild pair at VRRPv3 advert_int 0.01 with vrrp_rt_priority 1 and vrrp_no_swap; one
                 busy loop of ordinary priority per CPU for BUSY_SECONDS. Asserts that the backup never
                 advertises (no false failover) and prints the master's advert gaps on the wire (tcpdump
                 kernel timestamps) as p50/p99/max. Goal: p99 <= 11 ms, max < 16 ms (printed, asserted
                 only against Master_Down_Interval: a shared machine is not a lab bench). A window in
                 which the master's own stall detector fired is repeated once (printed; both tests).
overload_reload  the same, and in the middle a reload into a 10,000-virtual-server file (vigild -P: the
                 file is parsed on the parser thread; the loop only applies the VRRP part). Also prints
                 the gaps within the reload's own window.
stall_step_down  SIGSTOP the master for 200 ms (> Master_Down_Interval 36 ms at 0.01 s), SIGCONT: it
                 logs the stall once with the measured lateness, steps down (timer_expired_backup), and
                 there is exactly one master again within a bounded time.
stall_keep       the same without timer_expired_backup: the stall is logged and counted, the master
                 keeps its role and the backup that took over yields to it.

The measurement functions are shared with bench/vrrp_overload.py (which also runs keepalived).
"""

import json
import os
import re
import signal
import subprocess
import time

from vrrplab import Lab, check, config, instance, main, wait_for

VIP = "198.18.0.100"
ADVERT = 0.01
BUSY_SECONDS = 20
RT = "  vrrp_rt_priority 1\n  vrrp_no_swap\n"
MASTER, BACKUP = "198.18.0.1", "198.18.0.2"
ADV = re.compile(r"^(\d+\.\d+) .*?: (\S+) > \S+: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)")


class Busy:
    """One `while :; do :; done` of ordinary priority per CPU, each bounded by `timeout -s KILL`."""

    def __init__(self, seconds, count=None):
        self.seconds = seconds
        self.count = count or os.cpu_count() or 1
        self.procs = []

    def __enter__(self):
        for _ in range(self.count):
            self.procs.append(subprocess.Popen(
                ["timeout", "-s", "KILL", str(int(self.seconds) + 5), "sh", "-c", "while :; do :; done"],
                start_new_session=True, stdin=subprocess.DEVNULL))
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        return False


def adverts(lab, since, until, src=None, prio=None):
    out = []
    for _, line in lab.sniffer.snapshot():
        m = ADV.match(line)
        if not m:
            continue
        t = float(m.group(1))
        if since <= t <= until and (src is None or m.group(2) == src) and (prio is None or int(m.group(4)) == prio):
            out.append(t)
    return out


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def gap_stats(times):
    gaps = [1000 * (b - a) for a, b in zip(times, times[1:])]
    if not gaps:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan"), "max_at": None}
    worst = max(range(len(gaps)), key=lambda i: gaps[i])
    return {"n": len(gaps), "p50": percentile(gaps, 50), "p99": percentile(gaps, 99), "max": gaps[worst],
            "max_at": times[worst]}


def gap_text(s):
    return f"p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms, max {s['max']:.2f} ms over {s['n']} gaps"


def start_pair(lab, kind, rt=True, advert=ADVERT, master_extra="", vrrp_only=True):
    """h1 (150) master, h2 (100) backup at v3 `advert`; returns (h1, h2, d1, d2)."""
    glob = RT if rt else ""
    conf = lambda p, extra="": config(instance(priority=p, advert=str(advert), extra=extra), global_defs=glob)
    h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
    lab.sniff("ip proto 112")
    if kind == "vigild":
        d1 = h1.vigild(conf(150, master_extra), debug=False)
        d2 = h2.vigild(conf(100), debug=False)
    else:
        d1 = h1.keepalived(conf(150, master_extra))
        d2 = h2.keepalived(conf(100))
    d1.wait_state("VI_1", "MASTER", 5)
    d2.wait_state("VI_1", "BACKUP", 5)
    h1.wait_address(VIP, True, 2)
    return h1, h2, d1, d2


def busy_window(lab, seconds, during=None):
    """Busy loops on every CPU for `seconds`; `during(t0)` runs in the middle (e.g. a reload).
    Returns (t0, t1, what during returned)."""
    extra = None
    with Busy(seconds):
        t0 = time.time()
        if during:
            time.sleep(seconds / 2)  # let time pass under load before the event
            extra = during(t0)
        left = t0 + seconds - time.time()
        if left > 0:
            time.sleep(left)
        t1 = time.time()
    return t0, t1, extra


def steal_ms():
    """Per-CPU time the hypervisor ran something else instead of this machine (/proc/stat steal),
    in ms: an advert late on a shared host while this grows was not vigild's doing."""
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        return [int(line.split()[8]) * tick_ms for line in f if re.match(r"cpu\d+ ", line)]


def queued_ms(pid):
    """How long the main thread of `pid` has been runnable but not running (schedstat, ns → ms):
    an RT task waits on a run queue only when the kernel or the hypervisor does not run its CPU."""
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e6


def steal_text(before, after):
    return ", ".join(f"cpu{i} {b - a:.0f} ms" for i, (a, b) in enumerate(zip(before, after)))


def measure(lab, t0, t1):
    """Master's advert gaps and the backup's adverts (false failovers) in [t0, t1]."""
    wait_for("sniffer caught up", lambda: adverts(lab, t1, t1 + 5, MASTER), 5)
    master = adverts(lab, t0, t1, MASTER, 150)
    backup = adverts(lab, t0, t1 + 0.1, BACKUP)
    return gap_stats(master), backup


def repeat_window(attempt, failed, d1, d2, stalls_before):
    """True when a failed window is to be run once more: only the first, and only when the master's
    own stall detector fired in it (its SCHED_RR loop woke up later than the backup's
    Master_Down_Interval). On a shared CI host that happened about once in 20 windows (35-41 ms;
    host steal and run-queue wait are printed). A fault of vigild's that repeats, or one it did not
    notice, still fails."""
    if not failed or attempt != 1 or d1.instance("VI_1")["stalls"] <= stalls_before:
        return False
    print("window 1: the master's loop was stalled (it logged so); the roles must settle and a second "
          "window must pass")
    d1.wait_state("VI_1", "MASTER", 3)
    d2.wait_state("VI_1", "BACKUP", 3)
    return True


def overload_busy(vigild):
    with Lab("overload_busy", vigild) as lab:
        h1, h2, d1, d2 = start_pair(lab, "vigild")
        check(d1.log_lines(r"scheduling: SCHED_RR priority 1") and d1.log_lines(r"memory locked"),
              "vigild did not report SCHED_RR priority 1 and locked memory")
        for attempt in (1, 2):
            stalls_before = d1.instance("VI_1")["stalls"]
            stolen, queued = steal_ms(), queued_ms(d1.proc.pid)
            t0, t1, _ = busy_window(lab, BUSY_SECONDS)
            stolen, queued = steal_text(stolen, steal_ms()), queued_ms(d1.proc.pid) - queued
            gaps, backup = measure(lab, t0, t1)
            i1 = d1.instance("VI_1")
            print(f"busy loops on {os.cpu_count()} CPUs for {t1 - t0:.1f} s: master advert gaps {gap_text(gaps)}; "
                  f"backup adverts {len(backup)}; stalls {i1['stalls']}, late adverts (> 2 ms) {i1['adverts_late']} of "
                  f"{i1['adverts_sent']} (max lateness {i1['max_advert_lateness_ms']:.2f} ms); host steal {stolen}; "
                  f"master runnable but not running {queued:.1f} ms")
            if not repeat_window(attempt, backup or gaps["max"] >= 36, d1, d2, stalls_before):
                break
        check(not backup, f"false failover: the backup sent {len(backup)} adverts under load")
        check(d1.state("VI_1") == "MASTER" and d2.state("VI_1") == "BACKUP", "roles changed under load")
        check(gaps["max"] < 36, f"an advert gap reached Master_Down_Interval: {gap_text(gaps)}")


def ten_thousand_virtual_servers():
    out = []
    for v in range(10000):
        vip = f"10.{v // 65536}.{(v // 256) % 256}.{v % 256}"
        out.append(f"virtual_server {vip} 80 {{\n  delay_loop 6\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n")
        for r in range(4):
            out.append(f"  real_server 172.16.{v % 200}.{r + 10} 8080 {{\n    weight 1\n    TCP_CHECK {{\n"
                       "      connect_timeout 3\n    }\n  }\n")
        out.append("}\n")
    return "".join(out)


def reload_during(lab, host, daemon, text, log_done=r"reload: done"):
    """Rewrites host's config with `text`, SIGHUPs, waits for the reload to finish; returns (t_hup, t_done)."""
    path = os.path.join(lab.dir, f"{host.name}.conf" if daemon.kind == "vigild" else f"{host.name}.keepalived.conf")
    with open(path, "w") as f:
        f.write(text)
    t = time.time()
    os.kill(daemon.proc.pid, signal.SIGHUP)
    done = daemon.out.wait(log_done, 30, t)[0]
    return t, done


def overload_reload(vigild):
    with Lab("overload_reload", vigild) as lab:
        h1, h2, d1, d2 = start_pair(lab, "vigild")
        big = config(instance(priority=150, advert=str(ADVERT)), global_defs=RT) + ten_thousand_virtual_servers()
        for attempt in (1, 2):
            stalls_before = d1.instance("VI_1")["stalls"]
            done_before = len(d1.log_lines(r"reload: done"))
            # twice: into the big file, then the big file again (the big model it replaces is freed too)
            t0, t1, reloads = busy_window(lab, BUSY_SECONDS,
                                          lambda _: [reload_during(lab, h1, d1, big) for _ in range(2)])
            gaps, backup = measure(lab, t0, t1)
            i1 = d1.instance("VI_1")
            worst = 0.0
            for n, (t_hup, t_done) in enumerate(reloads, 1):
                near = gap_stats(adverts(lab, t_hup - 0.05, t_done + 0.05, MASTER, 150))
                worst = max(worst, near["max"])
                print(f"reload {n} of a 10,000-virtual-server file under load took {1000 * (t_done - t_hup):.0f} ms; "
                      f"master advert gaps meanwhile {gap_text(near)}")
            marks = ", ".join(f"reload {n} {t_hup - t0:.2f}-{t_done - t0:.2f} s"
                              for n, (t_hup, t_done) in enumerate(reloads, 1))
            print(f"largest gap ends {gaps['max_at'] - t0 + gaps['max'] / 1000:.3f} s into the window ({marks})")
            print(f"whole window: {gap_text(gaps)}; backup adverts {len(backup)}; stalls {i1['stalls']}, late adverts "
                  f"(> 2 ms) {i1['adverts_late']} of {i1['adverts_sent']} (max lateness "
                  f"{i1['max_advert_lateness_ms']:.2f} ms)")
            check(len(d1.log_lines(r"reload: done")) == done_before + 2, "expected two more 'reload: done' lines")
            if not repeat_window(attempt, backup or worst >= 36, d1, d2, stalls_before):
                break
        check(not backup, f"false failover: the backup sent {len(backup)} adverts under load")
        check(worst < 36, f"an advert gap reached Master_Down_Interval during a reload ({worst:.1f} ms)")


LISTENER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(65535)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.close()
"""


def overload_checks(vigild):
    """Needs the kernel's IPVS (tests/vm/vm-run): vigild without -P on h1 runs ~2,000 TCP checks per
    second (500 virtual servers x 4 real servers, delay_loop 1) against a listener inside h1 (the real
    servers are 10.99.0.0/16, routed locally), while busy loops load every CPU."""
    from vrrplab import Daemon, Missing
    subprocess.run(["modprobe", "ip_vs"], stderr=subprocess.DEVNULL)
    if not os.path.exists("/proc/net/ip_vs"):
        raise Missing("the kernel's IPVS (run it in the VM: tests/vm/vm-run)")
    with Lab("overload_checks", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        lab.sniff("ip proto 112")
        h1.sh("ip route add local 10.99.0.0/16 dev lo")
        LineCollector_for(lab, h1)
        vs = []
        for v in range(500):
            vs.append(f"virtual_server 10.200.{v // 250}.{v % 250 + 1} 80 {{\n  delay_loop 1\n  lvs_sched rr\n"
                      "  lvs_method NAT\n  protocol TCP\n")
            for r in range(4):
                i = v * 4 + r
                vs.append(f"  real_server 10.99.{i // 250}.{i % 250 + 1} 8080 {{\n    TCP_CHECK {{\n"
                          "      connect_timeout 1\n    }\n  }\n")
            vs.append("}\n")
        conf = lambda p: config(instance(priority=p, advert=str(ADVERT)), global_defs=RT)
        path = os.path.join(lab.dir, "h1.conf")
        with open(path, "w") as f:
            f.write(conf(150) + "".join(vs))
        control = os.path.join(lab.dir, "h1.sock")
        d1 = Daemon(lab, h1, "vigild", [vigild, "-n", "-l", "-f", path, "--control-socket", control, "-p",
                                        os.path.join(lab.dir, "h1.pid")], os.path.join(lab.dir, "h1.vigild.log"),
                    control=control)
        d2 = h2.vigild(conf(100), debug=False)  # the backup: VRRP only (-P)
        d1.wait_state("VI_1", "MASTER", 10)
        d2.wait_state("VI_1", "BACKUP", 5)
        time.sleep(3)  # let the checks reach their steady rate (time passing)
        health = lambda: d1.status()["ipvs"]["health"]
        before, t_before = health(), time.time()
        t0, t1, _ = busy_window(lab, BUSY_SECONDS)
        after, t_after = health(), time.time()
        gaps, backup = measure(lab, t0, t1)
        i1 = d1.instance("VI_1")
        rate = (after["results"] - before["results"]) / (t_after - t_before)
        print(f"{rate:.0f} TCP checks/s (of 2,000 configured) + busy loops on {os.cpu_count()} CPUs for "
              f"{t1 - t0:.1f} s: master advert gaps {gap_text(gaps)}; backup adverts {len(backup)}; late adverts "
              f"(> 2 ms) {i1['adverts_late']} of {i1['adverts_sent']} (max lateness "
              f"{i1['max_advert_lateness_ms']:.2f} ms); checker {json.dumps(after)}")
        check(not backup, f"false failover: the backup sent {len(backup)} adverts under load")


def LineCollector_for(lab, host):
    from vrrplab import LineCollector
    c = LineCollector(["ip", "netns", "exec", host.ns, "/usr/bin/python3", "-c", LISTENER],
                      os.path.join(lab.dir, f"{host.name}.listener.log"))
    lab.collectors.append(c)
    c.wait(r"listening", 10)
    return c


def stall(vigild, step_down):
    with Lab("stall", vigild) as lab:
        extra = "  timer_expired_backup" if step_down else ""
        h1, h2, d1, d2 = start_pair(lab, "vigild", master_extra=extra)
        stopped = time.time()
        os.kill(d1.proc.pid, signal.SIGSTOP)
        time.sleep(0.2)  # the stall itself (time passing, not synchronisation)
        os.kill(d1.proc.pid, signal.SIGCONT)
        resumed = time.time()
        line = d1.out.wait(r"advert timer fired .* late", 2, stopped)[1]
        late = float(re.search(r"fired ([\d.]+) ms late", line).group(1))
        # exactly one master within a bounded time: Master_Down_Interval of h1 (36 ms) + margins
        bound = 1.0

        def one_master():
            s1, s2 = d1.state("VI_1"), d2.state("VI_1")
            return sorted([s1, s2]) == ["BACKUP", "MASTER"] and (s1, s2)
        first = wait_for("exactly one master", one_master, bound)
        settled = time.time()
        # stable: over the next 200 ms only one router advertises with priority > 0
        time.sleep(0.2)  # observation window (time passing)
        now = time.time()
        wait_for("sniffer caught up", lambda: adverts(lab, now, now + 5), 5)
        speakers = {src for src in (MASTER, BACKUP) if adverts(lab, now - 0.15, now, src)}
        roles = one_master()
        check(roles, "not exactly one master 200 ms after the roles settled")
        lines = d1.log_lines(r"advert timer fired .* late")
        i1 = d1.instance("VI_1")
        print(f"stall 200 ms: logged '{line.strip()}'; {len(lines)} stall line(s), stalls counter "
              f"{i1['stalls']}; one master (h1/h2 {first[0]}/{first[1]}) {1000 * (settled - resumed):.0f} ms "
              f"after SIGCONT, {roles[0]}/{roles[1]} 200 ms later; h1: " +
              "; ".join(re.sub(r"^.*\] ", "", l.split(" VRRP_INSTANCE")[0]) for l in d1.log_lines(r"\[VI_1/v4\]")))
        check(len(lines) == 1, f"the stall was logged {len(lines)} times, expected once")
        check(i1["stalls"] == 1, f"stalls counter {i1['stalls']}, expected 1")
        check(late >= 150, f"measured lateness {late} ms for a 200 ms stall")
        check(len(speakers) == 1, f"after the stall both routers advertise: {speakers}")
        stepped = d1.log_lines(r"stepping down \(timer_expired_backup\)")
        if step_down:
            check(stepped, "no step-down with timer_expired_backup")
            check(d1.log_lines(r"master -> backup \(stalled\)"), "no 'master -> backup (stalled)' transition")
        else:
            check(not stepped, "stepped down without timer_expired_backup")
            check(roles == ("MASTER", "BACKUP"), f"without timer_expired_backup h1 should stay master: {roles}")


def stall_step_down(vigild):
    stall(vigild, True)


def stall_keep(vigild):
    stall(vigild, False)


if __name__ == "__main__":
    main({f.__name__: f for f in [overload_busy, overload_reload, overload_checks, stall_step_down, stall_keep]})
