#!/usr/bin/python3
"""DOC: Reload benchmark, the VM half (bench/ops_reload.sh runs it): a 10,000-virtual-server x 4
real-server LVS-NAT configuration, and a reload that changes one real server's weight.

    tests/vm/vm-run --share DIR -- /usr/bin/python3 bench/ops_reload_vm.py --build BUILD --conf DIR/vigil.conf
    python3 bench/ops_reload_vm.py --generate FILE [--vs N]       (the configuration, on the host)
    python3 bench/ops_reload_vm.py --native --build BUILD --conf FILE  (host: the reload without IPVS)

vigild runs alone (-C: IPVS only, no health checks, so every real server counts as up) in a fresh
network namespace of the VM (its own IPVS table). The kernel's work is counted and timed with
kprobes (tests/vm/ops/opslab.py: kprobe_profile hit counts; `trace` with trace_clock mono, the
clock of time.monotonic()). Per repetition:
  op latency   SIGHUP -> the kernel entered ip_vs_edit_dest for the changed real server
  set ops      ip_vs_genl_set_cmd calls the reload caused (counted once vigild's CPU has been
               still for 1 s: the whole reload, parse to last round)
  parse+plan   SIGHUP -> "reload: done" in vigild's log (file parsed on the parser thread, plan
               and hand-over on the loop)
  round        the reconciler's own report ("ipvs: applied: 1 operation(s) in X ms": desired
               table, diff against its cached copy of the kernel's, apply, on its worker thread)
and once a reload with nothing changed (set ops must be 0). Timings are under qemu's software
emulation (TCG): user-space CPU work is ~15-50x slower than on the host (tests/vm/README.md).
"""

import argparse
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

from benchlib import log, sh as run, wait_until

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "vm", "ops"))
NS = "opsbench"
RS = [f"10.200.0.{i}" for i in range(1, 5)]


def vs_address(i):
    return f"10.{100 + i // 65536}.{(i // 256) % 256}.{i % 256}"


def config_text(n, weight=1):
    """N virtual servers x 4 NAT real servers; the first real server of the first virtual server
    has `weight` (the one-line change of the reload)."""
    parts = ["global_defs {\n  vigil_ipvs_on_stop keep\n}\n"]
    for i in range(n):
        rs = "".join(f"  real_server {a} 80 {{\n    weight {weight if (i == 0 and j == 0) else 1}\n  }}\n"
                     for j, a in enumerate(RS))
        parts.append(f"virtual_server {vs_address(i)} 80 {{\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n{rs}}}\n")
    return "".join(parts)


def write_config(path, n, weight):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(config_text(n, weight))
    os.replace(tmp, path)  # a reload never reads a half-written file


def memory_kb_total():
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1])


def alive(proc):
    if proc.poll() is not None:
        raise RuntimeError(f"vigild died (exit status {proc.returncode}"
                           + (": SIGKILL, the OOM killer? give the VM more memory, VIGIL_VM_MEM)" if proc.returncode == -9
                              else ")"))
    return True


def memory_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_ticks(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[tid] = int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return out


def wait_still(pid, quiet=1.0, timeout=300):
    """Waits until the process used no CPU for `quiet` s; returns the monotonic time it went still."""
    deadline = time.monotonic() + timeout
    last, since = cpu_ticks(pid), time.monotonic()
    start = thread_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return since
    end = thread_ticks(pid)
    raise RuntimeError(f"vigild never went still for {quiet} s in {timeout} s; CPU ticks per thread: "
                       f"{ {t: end[t] - start.get(t, 0) for t in end} }")


def log_events(path, since_wall, pattern):
    """(epoch seconds, line) of vigild log lines after since_wall matching pattern (console format)."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ", line)
            if not m or not re.search(pattern, line):
                continue
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            if t >= since_wall - 0.001:
                out.append((t, line.rstrip("\n")))
    return out


def median_range(values, scale=1.0, fmt="{:.0f}"):
    v = [x * scale for x in values]
    return f"{fmt.format(statistics.median(v))} [{fmt.format(min(v))}-{fmt.format(max(v))}]"


def bench(args):
    from opslab import Kprobes
    n = args.vs
    vigild = os.path.join(args.build, "daemon", "vigild")
    if not os.access(vigild, os.X_OK):
        raise RuntimeError(f"{vigild} missing: build the vigild target")
    work = os.path.dirname(os.path.abspath(args.conf))
    conf = os.path.join("/run", "opsbench.conf")  # local tmpfs: the reloads' writes do not cross 9p
    with open(args.conf) as src, open(conf, "w") as dst:
        dst.write(src.read())
    n = sum(1 for line in open(conf) if line.startswith("virtual_server "))
    daemon_log = os.path.join(work, "vigild.log")
    run("modprobe", "ip_vs")
    run("ip", "netns", "add", NS)
    proc = None
    kp = None
    try:
        run("ip", "-n", NS, "link", "set", "lo", "up")  # IPVS refuses dests without a local table
        kp = Kprobes(trace_times=True)
        k_start = kp.counts()
        log(f"starting vigild -C with {n} virtual servers x 4 real servers (NAT)")
        t_exec = time.monotonic()
        with open(daemon_log, "w") as out:
            proc = subprocess.Popen(["ip", "netns", "exec", NS, vigild, "-n", "-l", "-C", "-f", conf,
                                     "--control-socket", "/run/opsbench.sock"], stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        def table():
            if proc.poll() is not None:
                raise RuntimeError(f"vigild exited with {proc.returncode}; see {daemon_log}")
            d = Kprobes.delta(kp.counts(), k_start)
            return d.get("ip_vs_add_service", 0) >= n and d.get("ip_vs_add_dest", 0) >= 4 * n
        wait_until("the initial table in the kernel", table, 1200, 0.2)
        t_table = time.monotonic()
        log(f"table complete ({n} services, {4 * n} dests) {t_table - t_exec:.1f} s after exec")
        wait_still(proc.pid)
        results = {"virtual_servers": n, "start_to_table_s": round(t_table - t_exec, 2), "reloads": [],
                   "rss_idle_kb": memory_kb(proc.pid, "VmRSS"), "vm_memory_kb": memory_kb_total()}
        log(f"vigild idle, RSS {results['rss_idle_kb'] / 1024:.0f} MiB (VM: {results['vm_memory_kb'] / 1024:.0f} MiB)")

        weight = 1
        for rep in range(args.reps):
            weight = 2 if weight == 1 else 1
            write_config(conf, n, weight)
            kp._write("trace", "")
            k0 = kp.counts()
            t0, t0_wall = time.monotonic(), time.time()
            os.kill(proc.pid, signal.SIGHUP)
            log(f"reload {rep + 1}: SIGHUP sent")
            wait_until("the weight edit", lambda: alive(proc) and
                       kp.counts().get("ip_vs_edit_dest", 0) > k0.get("ip_vs_edit_dest", 0), 600, 0.005)
            still = wait_still(proc.pid)
            d = Kprobes.delta(kp.counts(), k0)
            edits = kp.times("ip_vs_edit_dest")
            done = log_events(daemon_log, t0_wall, r"reload: done")
            applied = log_events(daemon_log, t0_wall, r"ipvs: applied: \d+ operation")
            r = {"op_latency_ms": round((edits[0] - t0) * 1e3, 1) if edits else None,
                 "set_ops": d.get("ip_vs_genl_set_cmd", 0), "kernel_calls": d,
                 "parse_plan_ms": round((done[0][0] - t0_wall) * 1e3) if done else None,
                 "round_ms": int(re.search(r"in (\d+) ms", applied[0][1]).group(1)) if applied else None,
                 "busy_s": round(still - t0, 2)}
            results["reloads"].append(r)
            log(f"reload {rep + 1} (weight -> {weight}): op after {r['op_latency_ms']} ms, {r['set_ops']} set op(s) "
                f"{d}; 'reload: done' after {r['parse_plan_ms']} ms; round {r['round_ms']} ms; busy {r['busy_s']} s")

        # nothing changed: no kernel call at all
        k0 = kp.counts()
        t0, t0_wall = time.monotonic(), time.time()
        os.kill(proc.pid, signal.SIGHUP)
        wait_until("the unchanged reload", lambda: alive(proc) and log_events(daemon_log, t0_wall, r"reload: done"),
                   600, 0.05)
        still = wait_still(proc.pid)
        d = Kprobes.delta(kp.counts(), k0)
        zero = log_events(daemon_log, t0_wall, r"reload: done, 0 change\(s\)")
        results["unchanged"] = {"set_ops": d.get("ip_vs_genl_set_cmd", 0), "kernel_calls": d,
                                "says_0_changes": bool(zero), "busy_s": round(still - t0, 2)}
        log(f"unchanged reload: {results['unchanged']['set_ops']} set op(s), 'reload: done, 0 change(s)': "
            f"{bool(zero)}, busy {still - t0:.2f} s")
        results["rss_peak_kb"] = memory_kb(proc.pid, "VmHWM")
        return results
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if kp is not None:
            kp.close()
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)


def native(args):
    """On the host (no IPVS there): vigild -P in a throw-away network namespace, SIGHUP with one
    weight changed -> "reload: done". Measures the part of a reload that does not need the kernel:
    reading, parsing and validating the file on the parser thread and the hand-over on the loop
    (the IPVS plan and round are not included: -P runs no IPVS subsystem)."""
    vigild = os.path.join(args.build, "daemon", "vigild")
    work = os.path.dirname(os.path.abspath(args.conf))
    conf, daemon_log = os.path.join(work, "native.conf"), os.path.join(work, "native.log")
    with open(args.conf) as src, open(conf, "w") as dst:
        dst.write(src.read())
    n = sum(1 for line in open(conf) if line.startswith("virtual_server "))
    ns = f"opsbench{os.getpid()}"
    run("ip", "netns", "add", ns)
    proc = None
    try:
        with open(daemon_log, "w") as out:
            proc = subprocess.Popen(["ip", "netns", "exec", ns, vigild, "-n", "-l", "-P", "-f", conf, "--control-socket",
                                     os.path.join(work, "native.sock")], stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        t_start = time.time()
        wait_until("vigild started", lambda: alive(proc) and log_events(daemon_log, t_start - 60, r"vigild started"),
                   60, 0.02)
        wait_still(proc.pid, quiet=0.3)
        took, weight = [], 1
        for _ in range(args.reps):
            weight = 2 if weight == 1 else 1
            write_config(conf, n, weight)
            t0 = time.time()
            os.kill(proc.pid, signal.SIGHUP)
            done = wait_until("reload: done", lambda: alive(proc) and log_events(daemon_log, t0, r"reload: done"), 60,
                              0.002)
            took.append((done[0][0] - t0) * 1e3)
            wait_still(proc.pid, quiet=0.3)
        print(f"native, vigild -P (no IPVS subsystem), {n} virtual servers: SIGHUP -> 'reload: done' "
              f"{median_range(took)} ms over {len(took)} reloads; RSS {memory_kb(proc.pid, 'VmRSS') / 1024:.0f} MiB, "
              f"peak {memory_kb(proc.pid, 'VmHWM') / 1024:.0f} MiB")
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--generate", help="write the configuration to this file and exit")
    ap.add_argument("--vs", type=int, default=10000)
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--conf", help="the configuration (from --generate)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--native", action="store_true", help="on the host: the reload without IPVS (vigild -P)")
    args = ap.parse_args()
    if args.generate:
        write_config(args.generate, args.vs, 1)
        return
    if args.native:
        native(args)
        return
    if os.environ.get("VIGIL_VM") != "1":
        sys.exit(f"run me inside the VM: tests/vm/vm-run -- /usr/bin/python3 {sys.argv[0]} ... (no IPVS on the host)")
    if not args.conf:
        sys.exit("--conf FILE needed (bench/ops_reload.sh generates it)")
    r = bench(args)
    rl = r["reloads"]
    ok = all(x["set_ops"] == 1 for x in rl) and r["unchanged"]["set_ops"] == 0
    print(f"\nreload benchmark, {r['virtual_servers']} virtual servers x 4 real servers, NAT, in the VM (TCG), "
          f"{len(rl)} repetitions, median [min-max]:")
    print(f"  start -> table complete                   {r['start_to_table_s']} s")
    print(f"  reload, 1 weight changed: SIGHUP -> op    {median_range([x['op_latency_ms'] for x in rl])} ms")
    print(f"    SIGHUP -> 'reload: done' (parse+plan)   {median_range([x['parse_plan_ms'] for x in rl])} ms")
    print(f"    reconciler round (desired, diff, apply) {median_range([x['round_ms'] for x in rl])} ms")
    print(f"    netlink set operations                  {', '.join(str(x['set_ops']) for x in rl)}")
    print(f"  reload, nothing changed: set operations   {r['unchanged']['set_ops']} "
          f"(busy {r['unchanged']['busy_s']} s)")
    print(f"  vigild RSS idle / peak over the reloads   {r['rss_idle_kb'] / 1024:.0f} / {r['rss_peak_kb'] / 1024:.0f} MiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=1)
    if not ok:
        print("FAIL: a one-weight reload must make exactly 1 set operation, an unchanged one 0")
        sys.exit(1)


if __name__ == "__main__":
    main()
