#!/usr/bin/python3
"""DOC: VRRP adverts under CPU overload — vigild and keepalived 2.2.7, each with and without real-time
scheduling (vrrp_rt_priority 1 + vrrp_no_swap), in the same run. Run as root:

    bench/vrrp_overload.py --vigild BUILD/daemon/vigild [--runs 4] [--seconds 20] [--loops N]

Each configuration is a pair in its own namespace lab (tests/netns/vrrplab.py): h1 priority 150, h2
priority 100, VRRPv3 advert_int 0.01 (Master_Down_Interval 36 ms). A run is a window of N busy loops of
ordinary priority (default: one per CPU) during which tcpdump on the bridge records every advert with
kernel timestamps. Runs are interleaved across the configurations (run 1 of each, then run 2, ...) so a
change in the machine's load hits them alike. Per configuration: the master's advert gaps (p50/p99/max,
per run and pooled) and false failovers (episodes in which the backup advertised, i.e. became master).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "netns"))

from vrrplab import Lab, wait_for  # noqa: E402
from test_overload import (ADVERT, BACKUP, MASTER, VIP, Busy, adverts, gap_stats,  # noqa: E402
                           start_pair)

MDI = 3 * ADVERT + (256 - 100) / 256 * ADVERT


def uptime():
    return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()


def episodes(times):
    """Groups of backup adverts separated by more than Master_Down_Interval."""
    n, last = 0, None
    for t in sorted(times):
        if last is None or t - last > MDI:
            n += 1
        last = t
    return n


class Config:
    def __init__(self, stack, kind, rt, vigild):
        self.kind, self.rt = kind, rt
        self.name = f"{kind} {'SCHED_RR 1 + mlockall' if rt else 'SCHED_OTHER'}"
        self.lab = stack.enter_context(Lab(f"overload-{kind}-{'rt' if rt else 'other'}", vigild,
                                           keepalived=(kind == "keepalived")))
        self.h1, self.h2, self.d1, self.d2 = start_pair(self.lab, kind, rt=rt)
        self.runs = []

    def settle(self):
        """h1 master alone again (after a false failover, h1 preempts back)."""
        def ok():
            now = time.time()
            recent = adverts(self.lab, now - 0.3, now + 1)
            return (self.h1.has(VIP) and not self.h2.has(VIP) and adverts(self.lab, now - 0.3, now + 1, MASTER)
                    and not [t for t in adverts(self.lab, now - 0.3, now + 1, BACKUP)]) and recent
        wait_for(f"{self.name}: h1 master alone", ok, 10, interval=0.1)

    def run(self, seconds, loops):
        self.settle()
        with Busy(seconds, loops):
            t0 = time.time()
            time.sleep(seconds)  # the measurement window: time passing under load
            t1 = time.time()
        wait_for("sniffer caught up", lambda: adverts(self.lab, t1, t1 + 5, MASTER) or
                 adverts(self.lab, t1, t1 + 5, BACKUP), 5)
        master = adverts(self.lab, t0, t1, MASTER, 150)
        backup = adverts(self.lab, t0, t1 + MDI, BACKUP)
        gaps = [1000 * (b - a) for a, b in zip(master, master[1:])]
        r = {"gaps": gap_stats(master), "false_failovers": episodes(backup), "backup_adverts": len(backup),
             "uptime": uptime(), "raw_gaps": gaps}
        self.runs.append(r)
        return r


def pooled(runs):
    gaps = [g for r in runs for g in r["raw_gaps"]]
    times = [0.0]
    for g in gaps:  # gap_stats wants times; rebuild a series with the same gaps
        times.append(times[-1] + g / 1000)
    return gap_stats(times)


def report(configs, args):
    out = [f"busy loops: {args.loops} of ordinary priority, {args.seconds:.0f} s per run, {args.runs} runs per "
           f"configuration, VRRPv3 advert_int 0.01 (Master_Down_Interval 36 ms); gaps in ms", "",
           "| daemon | scheduling | runs: gap p50 / p99 / max | pooled p50 / p99 / max | false failovers |",
           "|---|---|---|---|---|"]
    for c in configs:
        per = "; ".join(f"{r['gaps']['p50']:.1f}/{r['gaps']['p99']:.1f}/{r['gaps']['max']:.1f}" for r in c["runs"])
        p = c["pooled"]
        ff = sum(r["false_failovers"] for r in c["runs"])
        runs_ff = sum(1 for r in c["runs"] if r["false_failovers"])
        out.append(f"| {c['kind']} | {c['scheduling']} | {per} | {p['p50']:.1f} / {p['p99']:.1f} / {p['max']:.1f} | "
                   f"{ff} ({runs_ff} of {len(c['runs'])} runs) |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigild", default=os.path.join(HERE, "..", "..", "build-bench", "daemon", "vigild"))
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--loops", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--daemons", default="vigild,keepalived")
    ap.add_argument("--scheduling", default="rt,other")
    ap.add_argument("--json")
    ap.add_argument("--report")
    args = ap.parse_args()
    if args.report:
        data = json.load(open(args.report))
        args.loops, args.seconds, args.runs = data["loops"], data["seconds"], data["runs"]
        print(report(data["configs"], args))
        return
    args.vigild = os.path.abspath(args.vigild)
    started = uptime()
    with contextlib.ExitStack() as stack:
        configs = [Config(stack, kind, rt == "rt", args.vigild)
                   for kind in args.daemons.split(",") for rt in args.scheduling.split(",")]
        for c in configs:
            print(f"{c.name}: h1 {c.d1.log_lines(r'scheduling|SCHED|realtime|priority') [:2]}", flush=True)
        for i in range(args.runs):
            for c in configs:
                r = c.run(args.seconds, args.loops)
                g = r["gaps"]
                print(f"[{time.strftime('%H:%M:%S')}] run {i + 1} {c.name}: gaps p50 {g['p50']:.2f} p99 "
                      f"{g['p99']:.2f} max {g['max']:.2f} ms, false failovers {r['false_failovers']}; "
                      f"{r['uptime']}", flush=True)
                time.sleep(2)  # let the machine breathe between windows
        data = {"loops": args.loops, "seconds": args.seconds, "runs": args.runs, "uptime_start": started,
                "uptime_end": uptime(),
                "configs": [{"kind": c.kind, "scheduling": "SCHED_RR 1 + mlockall" if c.rt else "SCHED_OTHER",
                             "runs": c.runs, "pooled": pooled(c.runs)} for c in configs]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
    print()
    print(f"start: {data['uptime_start']}")
    print(f"end:   {data['uptime_end']}")
    print()
    print(report(data["configs"], args))


if __name__ == "__main__":
    main()
