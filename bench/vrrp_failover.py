#!/usr/bin/python3
"""DOC: VRRP failover benchmark — vigild and keepalived 2.2.7, in turn, in one run, in the namespace lab of
tests/netns/vrrplab.py (shared/reference/vrrp-lab.md). Run as root:

    bench/vrrp_failover.py --vigild BUILD/daemon/vigild            # everything (~30-40 min)
    bench/vrrp_failover.py --vigild ... --rows 0.1,0.01 --cycles 5          # a quick look
    bench/vrrp_failover.py --vigild ... --only idle,alone                   # idle cost, stop without backup

Pair: h1 priority 150, h2 priority 100, one VIP (198.18.0.100), the same configuration text for both
daemons; h3 pings the VIP every 5 ms. Rows: VRRPv2 advert_int 1, VRRPv3 0.1 and 0.01. For each row and
failure mode the vigild cycles run, then the keepalived cycles (same lab shape, fresh namespaces).
Failure modes (vrrp-lab.md): kill = SIGSTOP then SIGKILL every process of the daemon; term = SIGTERM to
the main process; crash = kill, then the switch port of h1 goes down. Each cycle fails the master at a
random phase of its advert timer, measures, then restarts the old master and measures the preemption.

Clocks, all CLOCK_REALTIME: `tcpdump -tt` on the bridge (kernel timestamps of adverts and GARPs),
`ip -ts monitor address` in every host namespace (VIP added/removed), and this driver's time.time()
for the signals it sends.

Figures (ms, min/median/p95/max over the cycles):
  kill/crash  last master advert → VIP on backup (bound: Master_Down_Interval of priority 100),
              last master advert → first GARP from the backup, signal → VIP on backup;
  term        priority-0 advert → VIP on backup (bound: Skew_Time of priority 100), SIGTERM → VIP on
              backup, successor's first advert → VIP released on the old master (> 0: the old
              master held the VIP until the successor spoke — vigil's lossless handover);
  all         pings lost by the client (× 5 ms), restart of the old master → its first advert as
              master again (bound: Master_Down_Interval of priority 150: a restarted router starts
              as backup and, RFC 5798 §6.4.2, preempts when its Master_Down_Timer fires).
Also: idle cost (RSS, CPU over 30 s; 1 and 100 instances) and a stop without a backup.
"""

import argparse
import datetime
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "netns"))

from vrrplab import Lab, config, instance, wait_for  # noqa: E402

VIP = "198.18.0.100"
PING_INTERVAL = 0.005
ROWS = {"1": (2, "1", 1.0), "0.1": (3, "0.1", 0.1), "0.01": (3, "0.01", 0.01)}  # key → version, text, s
MODES = ("kill", "term", "crash")


def skew(prio, adv):
    return (256 - prio) / 256 * adv


def mdi(prio, adv):
    return 3 * adv + skew(prio, adv)


def realtime_tool(pid):
    """A measuring tool (rtnetlink listener) runs SCHED_FIFO 2, above the daemons: `ip -ts` stamps an
    event when it reads it, and a listener queued behind busy processes stamps it late."""
    try:
        os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(2))
    except OSError as e:
        print(f"warning: cannot make pid {pid} real-time: {e}", file=sys.stderr)


def uptime():
    return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()


def stats(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return {"n": n, "min": v[0], "median": med, "p95": v[max(0, math.ceil(0.95 * n) - 1)], "max": v[-1]}


def fmt(s, digits=1):
    if not s:
        return "—"
    f = f"{{:.{digits}f}}"
    return "/".join(f.format(s[k]) for k in ("min", "median", "p95", "max"))


# ---- event sources -------------------------------------------------------------------------------

class Wire:
    """Parsed tcpdump lines from the lab's bridge sniffer, incrementally (kernel timestamps)."""

    ADV = re.compile(r"^(\d+\.\d+) (\S+) > .*?: (\S+) > \S+: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)")
    GARP = re.compile(r"^(\d+\.\d+) (\S+) > .*Request who-has ([\d.]+) (?:\(\S+\) )?tell ([\d.]+)")

    def __init__(self, lab):
        self.lab = lab
        self.pos = 0
        self.adverts = []  # (t, src ip, vrid, prio)
        self.garps = []  # (t, src mac, ip)

    def update(self):
        lines = self.lab.sniffer.snapshot()
        for _, line in lines[self.pos:]:
            m = self.ADV.match(line)
            if m:
                self.adverts.append((float(m.group(1)), m.group(3), int(m.group(4)), int(m.group(5))))
                continue
            m = self.GARP.match(line)
            if m and m.group(3) == m.group(4):
                self.garps.append((float(m.group(1)), m.group(2), m.group(3)))
        self.pos = len(lines)

    def adverts_from(self, src, since, prio=None, until=float("inf")):
        self.update()
        return [a for a in self.adverts if a[1] == src and since <= a[0] < until and (prio is None or a[3] == prio)]

    def first_advert(self, src, since, prio=None):
        a = self.adverts_from(src, since, prio)
        return a[0][0] if a else None

    def last_advert(self, src, until, prio=None):
        a = self.adverts_from(src, 0.0, prio, until)
        return a[-1][0] if a else None

    def first_garp(self, mac, ip, since):
        self.update()
        for g in self.garps:
            if g[0] >= since and g[1] == mac and g[2] == ip:
                return g[0]
        return None

    def trim(self):
        """Forget what was parsed (long runs: keep the scans short)."""
        self.update()
        self.adverts.clear()
        self.garps.clear()


TS = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?.*\binet6? (\S+)/")


def addr_events(host, ip, since):
    """[(t, added)] from `ip -ts monitor address` in the host (ip's own timestamps, local time)."""
    out = []
    for _, line in host.addr_monitor.snapshot():
        m = TS.match(line)
        if not m or m.group(3) != ip:
            continue
        t = datetime.datetime.fromisoformat(m.group(1)).timestamp()
        if t >= since:
            out.append((t, m.group(2) is None))
    return out


def first_addr_event(host, ip, since, added):
    for t, a in addr_events(host, ip, since):
        if a == added:
            return t
    return None


PINGER = r"""
import json, os, select, socket, struct, sys, time
target, interval, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xFFFF

def checksum(b):
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF

replies = {}
seq, start = 0, time.monotonic()
next_send, end = start, None
print("ready", flush=True)
while True:
    now = time.monotonic()
    if seq < count and now >= next_send:
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"vigilbench"
        body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        s.sendto(body, (target, 0))
        seq += 1
        next_send += interval
        continue
    if seq >= count:
        end = end or now + 1.0
        if now >= end:
            break
    r, _, _ = select.select([s], [], [], max(0.0, (next_send if seq < count else end) - now))
    if r:
        data, addr = s.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and rid == ident and addr[0] == target:
            replies.setdefault(rseq, time.time())
order = [replies[q] for q in sorted(replies)]
gap = max([b - a - interval for a, b in zip(order, order[1:])] + [0.0])
print(json.dumps({"sent": seq, "received": len(replies), "outage": gap}), flush=True)
"""


class Pinger:
    """An ICMP echo every 5 ms on a fixed schedule, whether or not replies come (ping(8) slows to
    10 ms while replies are outstanding, and spins between sends at short intervals). It runs
    SCHED_FIFO 2, a measuring tool above the daemons, and sleeps in select() between sends.
    result(): (sent, received, outage) — outage is the longest silence between two replies less
    one interval."""

    def __init__(self, host, target, seconds):
        self.count = max(1, int(seconds / PING_INTERVAL))
        self.proc = subprocess.Popen(["chrt", "-f", "2", "ip", "netns", "exec", host.ns, "/usr/bin/python3", "-c",
                                      PINGER, target, str(PING_INTERVAL), str(self.count)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        host.lab.pingers.append(self)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            raise AssertionError(f"pinger did not start: {line}")

    def result(self, timeout):
        out, _ = self.proc.communicate(timeout=timeout)
        try:
            r = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError(f"unexpected pinger output: {out[-2000:]}")
        return r["sent"], r["received"], r["outage"]

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ---- the pair -----------------------------------------------------------------------------------

class Pair:
    def __init__(self, lab, kind, row, extra_global=""):
        self.lab, self.kind = lab, kind
        version, text, self.adv = ROWS[row]
        self.conf = {p: config(instance(priority=p, version=version, advert=text), global_defs=extra_global)
                     for p in (150, 100)}
        self.h1, self.h2, self.h3 = lab.host("h1", 1), lab.host("h2", 2), lab.host("h3", 3)
        for h in (self.h1, self.h2):
            realtime_tool(h.addr_monitor.proc.pid)
        lab.sniff()
        self.wire = Wire(lab)
        self.mac1, self.mac2 = self.h1.mac(), self.h2.mac()
        self.d1 = self.start(self.h1, 150)
        self.d2 = self.start(self.h2, 100)
        self.settle(time.time() - 1, 2 * mdi(100, self.adv) + 5)

    def start(self, host, prio):
        d = self.lab.dir
        if self.kind == "vigild":
            for f in (f"{host.name}.sock", f"{host.name}.pid"):
                try:
                    os.unlink(os.path.join(d, f))
                except FileNotFoundError:
                    pass
            return host.vigild(self.conf[prio], debug=False)
        for f in ("ka", "ka-vrrp", "ka-check"):
            try:
                os.unlink(os.path.join(d, f"{host.name}.{f}.pid"))
            except FileNotFoundError:
                pass
        return host.keepalived(self.conf[prio])

    def settle(self, since, timeout):
        """h1 master with the VIP, h2 without it, the client's ARP entry for the VIP → h1."""
        wait_for("h1 advertising as master", lambda: self.wire.first_advert("198.18.0.1", since, 150), timeout)
        wait_for("VIP on h1 only", lambda: self.h1.has(VIP) and not self.h2.has(VIP), 5, interval=0.05)

        def arp_ok():
            self.h3.sh(f"ping -c 1 -W 0.2 {VIP} >/dev/null 2>&1 || true")
            return self.mac1 in self.h3.sh(f"ip neigh show {VIP}")
        try:
            wait_for("client ARP entry for the VIP -> h1", arp_ok, 2, interval=0.05)
            return False
        except AssertionError:
            # the new master's GARPs did not move the client's entry: flush it and count that
            self.h3.sh(f"ip neigh flush {VIP}")
            wait_for("client ARP entry for the VIP -> h1 (after a flush)", arp_ok, 5, interval=0.05)
            return True

    def log_tail(self):
        out = {}
        for name, d in (("h1", self.d1), ("h2", self.d2)):
            out[name] = [l for _, l in d.out.snapshot()[-15:]]
        return out

    def recover(self):
        """After a failed cycle: h1's daemon killed and started again, its port up, the pair settled."""
        for p in self.lab.pingers:
            p.stop()
        self.d1.stop()
        self.h1.set_port(True)
        t = time.time()
        self.d1 = self.start(self.h1, 150)
        self.settle(t, 2 * mdi(100, self.adv) + 5)

    def cycle(self, mode):
        adv = self.adv
        wire = self.wire
        wire.trim()
        # the client pings across the phase wait, the takeover and a margin
        window = adv + (mdi(100, adv) if mode != "term" else skew(100, adv) + adv) + 0.4
        pinger = Pinger(self.h3, VIP, window)
        time.sleep(0.1 + random.uniform(0, adv))  # a random phase of h1's advert timer
        r = {}
        if mode == "term":
            t_fail = time.time()
            self.d1.term()
        else:
            pids = self.d1.pids()  # before the clock starts: finding them forks `ps`
            t_fail = time.time()
            for sig in (signal.SIGSTOP, signal.SIGKILL):  # vrrp-lab.md: freeze every process, then kill
                for pid in pids:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
            if mode == "crash":
                self.h1.set_port(False)
            self.d1.wait_exit(10)
        t_vip = wait_for("VIP added on h2", lambda: first_addr_event(self.h2, VIP, t_fail, True),
                         mdi(100, adv) + 3, interval=0.01)
        r["fail_to_vip"] = t_vip - t_fail
        garp = wait_for("GARP from h2", lambda: wire.first_garp(self.mac2, VIP, t_fail), 3, interval=0.01)
        if mode == "term":
            p0 = wire.first_advert("198.18.0.1", t_fail, 0)
            r["p0_to_vip"] = (t_vip - p0) if p0 else None
            adv2 = wait_for("h2's first advert", lambda: wire.first_advert("198.18.0.2", t_fail, 100), 3,
                            interval=0.01)
            rel = wait_for("VIP released on h1", lambda: first_addr_event(self.h1, VIP, t_fail, False),
                           mdi(1, adv) + 3, interval=0.01)
            r["succ_advert_to_release"] = rel - adv2
            r["term_to_release"] = rel - t_fail
            self.d1.wait_exit(mdi(1, adv) + 10)
            r["term_to_exit"] = time.time() - t_fail
        else:
            last = wire.last_advert("198.18.0.1", t_vip, 150)  # h1 is dead: nothing from it after
            r["last_advert_to_vip"] = (t_vip - last) if last else None
            r["last_advert_to_garp"] = (garp - last) if last else None
            r["phase"] = (t_fail - last) if last else None
        r["vip_to_garp"] = garp - t_vip
        sent, received, outage = pinger.result(timeout=window * 4 + 30)
        r["lost"] = sent - received
        r["sent"] = sent
        r["outage"] = outage
        # restart the old master; it preempts after its Master_Down_Interval
        if mode == "crash":
            self.h1.set_port(True)
        t_start = time.time()
        self.d1 = self.start(self.h1, 150)
        back = wait_for("h1 master again", lambda: wire.first_advert("198.18.0.1", t_start, 150),
                        mdi(150, adv) + 5, interval=0.01)
        r["restart_to_master"] = back - t_start
        wait_for("VIP released on h2", lambda: first_addr_event(self.h2, VIP, t_start, False), 5, interval=0.01)
        r["client_arp_flushed"] = self.settle(t_start, 5)
        return r


# ---- phases -------------------------------------------------------------------------------------

def run_failover(args, results):
    for row in args.rows:
        for mode in args.modes:
            n = args.cycles
            if row == "1" and mode == "crash" and args.slow_crash_cycles:
                n = min(n, args.slow_crash_cycles)
            for kind in args.daemons:
                key = f"{row}|{mode}|{kind}"
                samples = []
                print(f"[{time.strftime('%H:%M:%S')}] advert {row} s, {mode}, {kind}: {n} cycles; {uptime()}",
                      flush=True)
                with Lab(f"bench-{kind}", args.vigild, keepalived=(kind == "keepalived")) as lab:
                    pair = Pair(lab, kind, row, args.extra_global)
                    for i in range(n):
                        try:
                            samples.append(pair.cycle(mode))
                        except AssertionError as e:
                            print(f"  cycle {i}: {e}", flush=True)
                            samples.append({"error": str(e), "log": pair.log_tail()})
                            try:
                                pair.recover()
                            except AssertionError as e2:
                                print(f"  could not recover: {e2}", flush=True)
                                break
                        s = samples[-1]
                        if args.verbose:
                            print("  " + json.dumps({k: (round(v * 1000, 2) if isinstance(v, float) else v)
                                                     for k, v in s.items()}), flush=True)
                results["failover"][key] = {"samples": samples, "uptime": uptime()}
                save(args, results)


def measure_usage(pids, seconds):
    tck = os.sysconf("SC_CLK_TCK")

    def ticks():
        total = 0
        for p in pids:
            try:
                f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
            except OSError:
                pass
        return total

    def rss():
        total = 0
        for p in pids:
            try:
                for line in open(f"/proc/{p}/status"):
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    c0, t0 = ticks(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = ticks(), time.monotonic()
    return {"cpu_percent": 100.0 * (c1 - c0) / tck / (t1 - t0), "rss_kb": rss(), "processes": len(pids)}


def run_idle(args, results):
    cases = [("1 instance, v2 1 s", 1, 2, "1"), ("100 instances, v2 1 s", 100, 2, "1"),
             ("100 instances, v3 0.1 s", 100, 3, "0.1")]
    for label, count, version, advert in cases:
        for kind in args.daemons:
            print(f"[{time.strftime('%H:%M:%S')}] idle: {label}, {kind}; {uptime()}", flush=True)
            insts = [instance(f"VI_{i}", 1 + i, 150, version, advert,
                              vips=(f"198.18.{1 + i // 200}.{1 + i % 200}/32",)) for i in range(count)]
            conf = config(*insts)
            with Lab(f"bench-idle-{kind}", args.vigild, keepalived=(kind == "keepalived")) as lab:
                h1 = lab.host("h1", 1)
                d = h1.vigild(conf, debug=False) if kind == "vigild" else h1.keepalived(conf)
                last_vip = f"198.18.{1 + (count - 1) // 200}.{1 + (count - 1) % 200}"
                wait_for("all instances master", lambda: h1.has(last_vip) and h1.has("198.18.1.1"),
                         mdi(150, float(advert)) + 10, interval=0.1)
                time.sleep(2)
                u = measure_usage(sorted(d.pids()), args.idle_seconds)
                u["uptime"] = uptime()
                results["idle"][f"{label}|{kind}"] = u
                print(f"  cpu {u['cpu_percent']:.3f} % rss {u['rss_kb'] / 1024:.1f} MB ({u['processes']} processes)",
                      flush=True)
                save(args, results)


def run_alone(args, results):
    for row in args.rows:
        version, text, adv = ROWS[row]
        for kind in args.daemons:
            print(f"[{time.strftime('%H:%M:%S')}] stop without backup: advert {row} s, {kind}; {uptime()}",
                  flush=True)
            samples = []
            with Lab(f"bench-alone-{kind}", args.vigild, keepalived=(kind == "keepalived")) as lab:
                h1 = lab.host("h1", 1)
                realtime_tool(h1.addr_monitor.proc.pid)
                conf = config(instance(priority=150, version=version, advert=text))
                for _ in range(args.alone_cycles):
                    d = h1.vigild(conf, debug=False) if kind == "vigild" else h1.keepalived(conf)
                    h1.wait_address(VIP, True, mdi(150, adv) + 5)
                    time.sleep(random.uniform(0, adv))
                    t = time.time()
                    d.term()
                    gone = d.wait_exit(mdi(1, adv) + 10)
                    rel = wait_for("VIP removed", lambda: first_addr_event(h1, VIP, t, False), 3)
                    samples.append({"release": rel - t, "exit": gone - t})
                    for f in ("h1.sock", "h1.pid", "h1.ka.pid", "h1.ka-vrrp.pid", "h1.ka-check.pid"):
                        try:
                            os.unlink(os.path.join(lab.dir, f))
                        except FileNotFoundError:
                            pass
            results["alone"][f"{row}|{kind}"] = {"samples": samples, "uptime": uptime()}
            save(args, results)


def save(args, results):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


# ---- report -------------------------------------------------------------------------------------

def ms(values):
    return stats([v * 1000 for v in values if v is not None])


def report(results, daemons):
    out = []
    p = out.append
    fo = results.get("failover", {})
    rows = sorted({k.split("|")[0] for k in fo}, key=lambda r: -float(r))
    head = "| advert | mode | figure (ms) | bound | " + " | ".join(daemons) + " |"
    sep = "|---|---|---|---|" + "---|" * len(daemons)
    if fo:
        p("min/median/p95/max in ms; n = cycles. Bounds: MDI = Master_Down_Interval, skew = Skew_Time "
          "(priority 100 backup), MDI150 = a restarted priority-150 router's Master_Down_Interval.")
        p("")
        p(head)
        p(sep)
    for row in rows:
        _, _, adv = ROWS[row]
        label = ("v2 1 s" if row == "1" else f"v3 {row} s")
        for mode in MODES:
            per = {d: fo.get(f"{row}|{mode}|{d}") for d in daemons}
            if not any(per.values()):
                continue
            figs = []
            if mode in ("kill", "crash"):
                figs += [("last advert → VIP on backup", "last_advert_to_vip", f"MDI {mdi(100, adv) * 1000:.1f}"),
                         ("last advert → first GARP", "last_advert_to_garp", ""),
                         ("signal → VIP on backup", "fail_to_vip", "")]
            else:
                figs += [("prio-0 advert → VIP on backup", "p0_to_vip", f"skew {skew(100, adv) * 1000:.1f}"),
                         ("SIGTERM → VIP on backup", "fail_to_vip", ""),
                         ("successor's advert → old master releases", "succ_advert_to_release", "≥ 0 lossless")]
            figs += [("client lost (pings × 5 ms)", "lost", ""),
                     ("client outage (longest reply gap − 5 ms)", "outage", ""),
                     ("restart → master again", "restart_to_master", f"MDI150 {mdi(150, adv) * 1000:.0f}")]
            for title, key, bound in figs:
                cells = []
                for d in daemons:
                    e = per.get(d)
                    if not e:
                        cells.append("—")
                        continue
                    good = [s for s in e["samples"] if "error" not in s]
                    errs = len(e["samples"]) - len(good)
                    flushed = sum(1 for s in good if s.get("client_arp_flushed"))
                    if key == "lost":
                        st = stats([s["lost"] * PING_INTERVAL * 1000 for s in good])
                        cell = fmt(st, 0)
                    else:
                        st = ms([s.get(key) for s in good])
                        cell = fmt(st, 1)
                    cell += f" (n={len(good)}{', ' + str(errs) + ' failed' if errs else ''})"
                    if key == "restart_to_master" and flushed:
                        cell += f" [client ARP not moved back by GARP in {flushed}: flushed]"
                    cells.append(cell)
                p(f"| {label} | {mode} | {title} | {bound} | " + " | ".join(cells) + " |")
    idle = results.get("idle", {})
    if idle:
        p("")
        p("Idle cost over 30 s (CPU: % of one core; RSS: sum over the daemon's processes):")
        p("")
        p("| case | " + " | ".join(daemons) + " |")
        p("|---|" + "---|" * len(daemons))
        for label in dict.fromkeys(k.split("|")[0] for k in idle):
            cells = []
            for d in daemons:
                u = idle.get(f"{label}|{d}")
                cells.append(f"{u['cpu_percent']:.3f} % CPU, {u['rss_kb'] / 1024:.1f} MB "
                             f"({u['processes']} proc)" if u else "—")
            p(f"| {label} | " + " | ".join(cells) + " |")
    alone = results.get("alone", {})
    if alone:
        p("")
        p("Stop without a backup (SIGTERM → VIP released / process gone, ms, min/median/max; "
          "bound = a priority-1 backup's MDI + 100 ms, vigil's handover deadline):")
        p("")
        p("| advert | bound | " + " | ".join(daemons) + " |")
        p("|---|---|" + "---|" * len(daemons))
        for row in sorted({k.split("|")[0] for k in alone}, key=lambda r: -float(r)):
            _, _, adv = ROWS[row]
            cells = []
            for d in daemons:
                e = alone.get(f"{row}|{d}")
                if not e:
                    cells.append("—")
                    continue
                rel, ex = ms([s["release"] for s in e["samples"]]), ms([s["exit"] for s in e["samples"]])
                cells.append(f"release {rel['min']:.0f}/{rel['median']:.0f}/{rel['max']:.0f}, exit "
                             f"{ex['min']:.0f}/{ex['median']:.0f}/{ex['max']:.0f} (n={rel['n']})")
            label = "v2 1 s" if row == "1" else f"v3 {row} s"
            p(f"| {label} | {(mdi(1, adv) + 0.1) * 1000:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigild", default=os.path.join(HERE, "..", "..", "build-bench", "daemon", "vigild"))
    ap.add_argument("--rows", default="1,0.1,0.01", help="advert intervals: 1 (v2), 0.1, 0.01 (v3)")
    ap.add_argument("--modes", default="kill,term,crash")
    ap.add_argument("--daemons", default="vigild,keepalived")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--slow-crash-cycles", type=int, default=0,
                    help="cap the crash cycles of the 1 s row (they cost ~8 s each)")
    ap.add_argument("--only", default="failover,idle,alone")
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--alone-cycles", type=int, default=5)
    ap.add_argument("--extra-global", default="", help="global_defs lines for both daemons, e.g. "
                    "'  vrrp_rt_priority 1\\n'")
    ap.add_argument("--rt", action="store_true", help="both daemons with vrrp_rt_priority 1 (SCHED_RR, as "
                    "vigil's shipped unit runs it) and vrrp_rlimit_rttime 2000000")
    ap.add_argument("--json", help="write raw results here (also read back with --report)")
    ap.add_argument("--report", help="print the tables of an earlier --json file and exit")
    ap.add_argument("--seed", type=int)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.daemons = args.daemons.split(",")
    if args.report:
        print(report(json.load(open(args.report)), args.daemons))
        return
    args.vigild = os.path.abspath(args.vigild)
    args.rows = args.rows.split(",")
    args.modes = args.modes.split(",")
    args.extra_global = args.extra_global.replace("\\n", "\n")
    if args.rt:
        # keepalived's own RLIMIT_RTTIME default (10 ms) gets its VRRP process killed on this loaded
        # machine; both daemons get vigil's default guard (2 s) so that they run alike
        args.extra_global = "  vrrp_rt_priority 1\n  vrrp_rlimit_rttime 2000000\n" + args.extra_global
    if args.extra_global and not args.extra_global.endswith("\n"):
        args.extra_global += "\n"
    random.seed(args.seed)
    only = args.only.split(",")
    results = {"failover": {}, "idle": {}, "alone": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
               "uptime_start": uptime(), "extra_global": args.extra_global}
    if "failover" in only:
        run_failover(args, results)
    if "idle" in only:
        run_idle(args, results)
    if "alone" in only:
        run_alone(args, results)
    results["uptime_end"] = uptime()
    save(args, results)
    print()
    print(f"start: {results['uptime_start']}")
    print(f"end:   {results['uptime_end']}")
    print()
    print(report(results, args.daemons))


if __name__ == "__main__":
    main()
