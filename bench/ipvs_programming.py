#!/usr/bin/python3
"""DOC: IPVS control-plane benchmark: vigild and keepalived side by side, in the VM.

    tests/vm/vm-run --timeout 1500 -- /usr/bin/python3 bench/ipvs_programming.py --build BUILD
    options: --sizes 1000,10000  --reps 3  --daemons vigild,keepalived  --json FILE

Each daemon gets a configuration of N virtual servers x 4 real servers (NAT, no health checks: a
real server without checkers counts as up) and runs alone in a fresh network namespace (its own
IPVS table). The kernel's side is measured exactly with kprobes (tracefs, trace_clock mono =
CLOCK_MONOTONIC, the clock of time.monotonic()), as shared/reference/ipvs-vm.md describes:
  * ip_vs_genl_set_cmd / do_ip_vs_set_ctl entry+return: every netlink (or sockopt) set operation,
    the moment it returned and the kernel time spent inside it;
  * ip_vs_add_service, ip_vs_add_dest, ip_vs_edit_dest, ip_vs_del_dest, ip_vs_unlink_service,
    ip_vs_flush: what each operation did (their hit counts come from kprobe_profile, cheap to poll).
Phases, per daemon and size:
  start      exec -> the last set operation of the initial table returned (all N services and
             4N dests added); set ops; kernel time in them
  reload 1   the config changes one real server's weight, SIGHUP -> that edit_dest returned (the
             benchmark waits for it blocked on trace_pipe, taking no CPU from the daemon); the
             set ops the reload made (counted until the daemon's CPU time has been still for 1 s)
  reload 2   the weight back as it was: the same, for a reload that is not the process's first
             (the emulator translates code on its first use; reload 1 pays for that, reload 2 not)
  reload 0   SIGHUP with nothing changed -> set ops (goal 0); "busy" = until its CPU went still
  RSS        peak RSS (VmHWM) summed over the daemon's processes, after start and both reloads
  SIGTERM    services left in the kernel once the daemon has exited, and how long it took
The whole table is never read in a loop (/proc/net/ip_vs and `ipvsadm -Ln` are quadratic): it is
read once after start (to check the count) and once after SIGTERM (what was left).
Under qemu's software emulation user-space CPU work is ~20x slower than on the host; both daemons
pay the same factor. Figures are medians over --reps runs, with [min-max].
"""

import argparse
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

from benchlib import cpu_ticks, group_pids, log, memory_kb, print_table, sh, wait_until

TRACEFS = "/run/bench-tracefs"  # `ip netns exec` remounts /sys: tracefs lives elsewhere
GROUP = "ipvsbench"
SET_PROBES = {"set_cmd": "ip_vs_genl_set_cmd", "sockopt": "do_ip_vs_set_ctl"}
FUNC_PROBES = {"add_service": "ip_vs_add_service", "add_dest": "ip_vs_add_dest", "edit_dest": "ip_vs_edit_dest",
               "del_dest": "ip_vs_del_dest", "del_service": "ip_vs_unlink_service", "flush": "ip_vs_flush"}
WORK = "/tmp/ipvs-bench"  # tmpfs in the VM: configs and logs
RS = [f"10.200.0.{i}" for i in range(1, 5)]


# ---- configuration ------------------------------------------------------------------------------

def vs_address(i):
    return f"10.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def write_config(path, n, changed):
    """n virtual servers x 4 real servers, NAT, no checkers. `changed`: the last virtual server's
    first real server has weight 2 instead of 1 (the one-line change of reload 1)."""
    parts = ["global_defs {\n    router_id IPVS_BENCH\n}\n"]
    for i in range(n):
        weight_first = 2 if changed and i == n - 1 else 1
        rs = "".join(f"    real_server {a} 8080 {{\n        weight {weight_first if k == 0 else 1}\n    }}\n"
                     for k, a in enumerate(RS))
        parts.append(f"virtual_server {vs_address(i)} 80 {{\n    lvs_sched rr\n    lvs_method NAT\n"
                     f"    protocol TCP\n{rs}}}\n")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(parts))
    os.replace(tmp, path)  # a reload never sees a half-written file


# ---- kprobes ------------------------------------------------------------------------------------

class Probes:
    def __init__(self):
        os.makedirs(TRACEFS, exist_ok=True)
        if not os.path.exists(f"{TRACEFS}/kprobe_events"):
            sh("mount", "-t", "tracefs", "nodev", TRACEFS)
        self.write("tracing_on", "0")
        self.write("trace_clock", "mono")
        self.write("buffer_size_kb", "8192")  # per CPU: 10k x 4 start = ~150k events
        self.remove()
        defs = []
        for name, fn in SET_PROBES.items():
            defs += [f"p:{GROUP}/{name} {fn}", f"r:{GROUP}/{name}_ret {fn}"]
        defs += [f"p:{GROUP}/{name} {fn}" for name, fn in FUNC_PROBES.items()]
        # O_APPEND without Python's seek to the end (tracefs refuses SEEK_END)
        fd = os.open(f"{TRACEFS}/kprobe_events", os.O_WRONLY | os.O_APPEND)
        try:
            for d in defs:
                os.write(fd, (d + "\n").encode())
        finally:
            os.close(fd)
        self.write(f"events/{GROUP}/enable", "1")
        self.write("trace", "")
        self.write("tracing_on", "1")

    def write(self, name, value):
        with open(f"{TRACEFS}/{name}", "w") as f:
            f.write(value)

    def remove(self):
        if os.path.exists(f"{TRACEFS}/events/{GROUP}/enable"):
            self.write(f"events/{GROUP}/enable", "0")
        with open(f"{TRACEFS}/kprobe_events", "w") as f:
            f.write("")

    def counts(self):
        """Hits per probe since it was created (kprobe_profile: name, hits, misses)."""
        out = {}
        with open(f"{TRACEFS}/kprobe_profile") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3:
                    out[fields[0].split("/")[-1]] = int(fields[1])
        return out

    def clear(self):
        self.write("trace", "")

    def events(self):
        """[(ts, pid, name)] from the trace buffer, in order."""
        with open(f"{TRACEFS}/trace") as f:
            return parse_events(f)

    def open_pipe(self):
        """trace_pipe, opened before the action it is to see (it yields what is traced from then
        on, and consumes it: those events are no longer in `trace`)."""
        return os.open(f"{TRACEFS}/trace_pipe", os.O_RDONLY | os.O_NONBLOCK)

    def await_return(self, pipe, kind, timeout):
        """Blocks in select() on trace_pipe until the set operation that contained the first `kind`
        hit has returned, and returns its return time. Polling the probes' counters every 20 ms
        instead costs the VM's two vCPUs a share the daemon being timed would otherwise have."""
        events, tail = [], b""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no {kind} returned within {timeout} s")
                readable, _, _ = select.select([pipe], [], [], left)
                if not readable:
                    continue
                try:
                    chunk = os.read(pipe, 65536)
                except BlockingIOError:
                    continue
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                events += parse_events(line.decode(errors="replace") for line in lines)
                done = return_after(events, kind)
                if done is not None:
                    return done
        finally:
            os.close(pipe)


EVENT = re.compile(r"-(\d+)\s+\[\d+\]\s+\S+\s+(\d+\.\d+): (\w+):")


def parse_events(lines):
    """[(ts, pid, name)] of the probe hits among trace lines."""
    out = []
    for line in lines:
        m = EVENT.search(line)
        if m:
            out.append((float(m.group(2)), int(m.group(1)), m.group(3)))
    return out


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def set_ops(d):
    return d.get("set_cmd", 0) + d.get("sockopt", 0)


def op_timing(events):
    """(first entry, last return, kernel seconds inside set ops) from trace events."""
    first = last = None
    inside, open_at = 0.0, {}
    for ts, pid, name in events:
        if name in SET_PROBES:
            open_at[pid] = ts
            first = ts if first is None else first
        elif name.endswith("_ret") and name[:-4] in SET_PROBES:
            last = ts
            if pid in open_at:
                inside += ts - open_at.pop(pid)
    return first, last, inside


def return_after(events, kind):
    """Return time of the set operation that contained the first `kind` probe hit."""
    seen = None
    for ts, pid, name in events:
        if name == kind and seen is None:
            seen = pid
        elif seen is not None and pid == seen and name.endswith("_ret"):
            return ts
    return None


# ---- the daemon's processes --------------------------------------------------------------------

def watch(pgid, since, done=lambda: True, quiet=1.0, timeout=300):
    """Samples the group's CPU time (10 ms ticks) every 20 ms from `since` until done() holds and
    the CPU time has not moved for `quiet` s. Returns the last time it moved (monotonic), or
    `since` if it never did."""
    last_ticks, last_change = cpu_ticks(pgid), since
    finished = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.02)
        t = cpu_ticks(pgid)
        now = time.monotonic()
        if t != last_ticks:
            last_ticks, last_change = t, now
        finished = finished or done()
        if finished and now - last_change >= quiet:
            return last_change
    raise RuntimeError("the daemon never finished / went idle")


def count_table(anchor_pid):
    services = dests = 0
    with open(f"/proc/{anchor_pid}/net/ip_vs") as f:
        for line in f:
            if line.startswith(("TCP", "UDP", "FWM", "SCTP")):
                services += 1
            elif line.lstrip().startswith("->") and ":" in line and "RemoteAddress" not in line:
                dests += 1
    return services, dests


RELOAD_ORDER = ["reload1", "reload2", "reload0"]  # the order run_one reloads in
RELOAD_DONE = re.compile(r"reload: done, \d+ change\(s\); read in ([0-9.]+) ms \((\d+) of \d+ virtual servers "
                         r"unchanged\), applied in ([0-9.]+) ms")


def reload_phases(log_path, prefix):
    """vigild's own account of its latest reload: reading the file (parser thread) and applying it
    (the event loop). Waits for the line: the daemon logs it right after the apply."""
    found = []

    def logged():
        with open(log_path) as f:
            found[:] = RELOAD_DONE.findall(f.read())
        return len(found) >= RELOAD_ORDER.index(prefix) + 1
    wait_until(f"vigild to log the end of {prefix}", logged, 30, 0.05)
    read_ms, reused, apply_ms = found[-1]
    return {f"{prefix}_read_s": float(read_ms) / 1000, f"{prefix}_reused": int(reused),
            f"{prefix}_apply_s": float(apply_ms) / 1000}


def timed_edit(proc, probes, prefix):
    """SIGHUP to a daemon whose file now has one weight changed: the time until the kernel's
    edit_dest returned, the set operations made, and how long the daemon was busy."""
    watch(proc.pid, time.monotonic(), quiet=0.5)
    probes.clear()
    before = probes.counts()
    pipe = probes.open_pipe()
    t = time.monotonic()
    os.kill(proc.pid, signal.SIGHUP)
    done = probes.await_return(pipe, "edit_dest", 300)
    still = watch(proc.pid, done)
    dd = delta(probes.counts(), before)
    return {f"{prefix}_op_s": done - t, f"{prefix}_ops": set_ops(dd), f"{prefix}_busy_s": still - t,
            f"{prefix}_detail": {k: v for k, v in dd.items() if v and not k.endswith("_ret")}}


# ---- one run ------------------------------------------------------------------------------------

def run_one(kind, n, rep, probes, build):
    ns = f"bench-{kind}"
    subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    sh("ip", "netns", "add", ns)
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    anchor = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "infinity"])
    d = os.path.join(WORK, f"{kind}-{n}-{rep}")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "bench.conf")
    write_config(conf, n, changed=False)
    if kind == "vigild":
        args = [os.path.join(build, "daemon", "vigild"), "-n", "-l", "-f", conf,
                "--control-socket", os.path.join(d, "vigil.sock"), "-p", os.path.join(d, "vigild.pid")]
    else:
        args = ["keepalived", "-n", "-l", "-f", conf, "--pid", os.path.join(d, "k.pid"),
                "--vrrp_pid", os.path.join(d, "k-vrrp.pid"), "--checkers_pid", os.path.join(d, "k-check.pid")]
    r = {"daemon": kind, "n": n, "rep": rep}
    logf = open(os.path.join(d, "daemon.log"), "w")
    proc = None
    try:
        # ---- start
        probes.clear()
        c0 = probes.counts()
        t0 = time.monotonic()
        proc = subprocess.Popen(["ip", "netns", "exec", ns] + args, stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

        def table_complete():
            if proc.poll() is not None:
                raise RuntimeError(f"{kind} exited at start (see {d}/daemon.log)")
            dd = delta(probes.counts(), c0)
            return dd.get("add_service", 0) >= n and dd.get("add_dest", 0) >= 4 * n
        still = watch(proc.pid, t0, table_complete, timeout=600)
        dd = delta(probes.counts(), c0)
        first, last, inside = op_timing(probes.events())
        r.update(start_s=last - t0, first_op_s=first - t0, start_ops=set_ops(dd), start_kernel_s=inside,
                 start_busy_s=still - t0, start_detail={k: v for k, v in dd.items() if v and not k.endswith("_ret")})
        services, dests = count_table(anchor.pid)
        if (services, dests) != (n, 4 * n):
            raise RuntimeError(f"{kind}: table has {services} services / {dests} dests, expected {n} / {4 * n}")

        # ---- idle: what the daemon costs doing nothing (vigild's periodic drift check included)
        i0, ti = cpu_ticks(proc.pid), time.monotonic()
        time.sleep(20.0)  # a measurement window, not synchronisation
        r["idle_cpu_pct"] = (cpu_ticks(proc.pid) - i0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - ti) * 100

        # ---- reload 1: one real server's weight; reload 2: back again (a later reload: the first
        # one of a process also runs code the emulator has not translated yet)
        for prefix, changed in (("reload1", True), ("reload2", False)):
            write_config(conf, n, changed=changed)
            r.update(timed_edit(proc, probes, prefix))
            if kind == "vigild":
                r.update(reload_phases(os.path.join(d, "daemon.log"), prefix))

        # ---- reload 0: nothing changed
        watch(proc.pid, time.monotonic(), quiet=0.5)
        probes.clear()
        c2 = probes.counts()
        t2 = time.monotonic()
        os.kill(proc.pid, signal.SIGHUP)
        still = watch(proc.pid, t2, quiet=2.0)  # longer: nothing marks the end of a no-op reload
        dd = delta(probes.counts(), c2)
        r.update(reload0_ops=set_ops(dd), reload0_busy_s=still - t2)
        if kind == "vigild":
            r.update(reload_phases(os.path.join(d, "daemon.log"), "reload0"))

        # ---- peak RSS, then SIGTERM
        r["peak_rss_mb"] = memory_kb(proc.pid, "VmHWM") / 1024
        c3 = probes.counts()
        t3 = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        wait_until(f"{kind} to exit after SIGTERM", lambda: proc.poll() is not None, 120, 0.02)
        # keepalived's children may outlive the parent by a moment
        wait_until("its other processes to exit", lambda: not group_pids(proc.pid), 30, 0.02)
        r["term_exit_s"] = time.monotonic() - t3
        dd = delta(probes.counts(), c3)
        r["term_ops"] = set_ops(dd)
        r["term_left"], _ = count_table(anchor.pid)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        logf.close()
        # empty the table synchronously so the namespace's cleanup does not run into the next run
        subprocess.run(["ip", "netns", "exec", ns, "ipvsadm", "-C"], stderr=subprocess.DEVNULL)
        anchor.kill()
        anchor.wait()
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    return r


# ---- report -------------------------------------------------------------------------------------

ROWS = [
    ("start -> table complete", "start_s", "s"),
    ("  first op after", "first_op_s", "s"),
    ("  netlink set ops", "start_ops", "n"),
    ("  kernel time inside them", "start_kernel_s", "s"),
    ("idle CPU after start", "idle_cpu_pct", "%"),
    ("reload, 1 weight changed: op done", "reload1_op_s", "ms"),
    ("  set ops", "reload1_ops", "n"),
    ("  file read (vigild's log)", "reload1_read_s", "ms"),
    ("  virtual servers reused unread", "reload1_reused", "n"),
    ("  applied on the loop (vigild's log)", "reload1_apply_s", "ms"),
    ("  busy", "reload1_busy_s", "s"),
    ("reload, weight back (a later reload): op", "reload2_op_s", "ms"),
    ("  set ops", "reload2_ops", "n"),
    ("  file read (vigild's log)", "reload2_read_s", "ms"),
    ("  applied on the loop (vigild's log)", "reload2_apply_s", "ms"),
    ("reload, nothing changed: set ops", "reload0_ops", "n"),
    ("  busy", "reload0_busy_s", "s"),
    ("peak RSS (all processes)", "peak_rss_mb", "MB"),
    ("SIGTERM -> exited", "term_exit_s", "s"),
    ("  services left in the kernel", "term_left", "n"),
]


def cell(values, unit):
    if not values:
        return "-"
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    if unit == "n":
        return f"{med:,.0f}" + ("" if lo == hi else f" [{lo:,.0f}-{hi:,.0f}]")
    if unit == "ms":
        f = lambda v: f"{v * 1000:.0f}" if v < 10 else f"{v * 1000:,.0f}"
        return f"{f(med)} ms" + ("" if len(values) == 1 else f" [{f(lo)}-{f(hi)}]")
    if unit == "%":
        return f"{med:.1f} %"
    if unit == "MB":
        return f"{med:.1f} MB"
    return f"{med:.2f} s" + ("" if len(values) == 1 else f" [{lo:.2f}-{hi:.2f}]")


def report(results, sizes, daemons):
    def column_cell(col, row):
        n, k = col
        _, key, unit = row
        return cell([r[key] for r in results if r["n"] == n and r["daemon"] == k and key in r], unit)
    print_table([(n, k) for n in sizes for k in daemons], lambda c: f"{c[0]:,} x 4  {c[1]}", ROWS, column_cell,
                36, 24)
    reps = max((r["rep"] for r in results), default=0) + 1
    print(f"\nmedian [min-max] of {reps} run(s) per column; keepalived {keepalived_version()}, "
          f"kernel {os.uname().release}, TCG")

    def med(n, k, key):
        vals = [r[key] for r in results if r["n"] == n and r["daemon"] == k and key in r]
        return statistics.median(vals) if vals else None
    if {"vigild", "keepalived"} <= set(daemons):
        print("\ngoals:")
        big = max(sizes)
        v, k = med(big, "vigild", "start_s"), med(big, "keepalived", "start_s")
        if v and k:
            print(f"  cold {big:,} x 4 at least 3x faster than keepalived: {k / v:.1f}x "
                  f"({'met' if k / v >= 3 else 'NOT met'})")
        for n in sizes:
            op, ops = med(n, "vigild", "reload1_op_s"), med(n, "vigild", "reload1_ops")
            later = med(n, "vigild", "reload2_op_s")
            if op is not None:
                print(f"  one-line change at {n:,}: {op * 1000:.0f} ms, {ops:.0f} op(s) "
                      f"({'met' if op < 0.05 and ops <= 1 else 'NOT met'}: < 50 ms, O(change) ops)"
                      + (f"; a later one: {later * 1000:.0f} ms" if later is not None else ""))
        for n in sizes:
            v, k = med(n, "vigild", "peak_rss_mb"), med(n, "keepalived", "peak_rss_mb")
            if v and k:
                print(f"  peak RSS at {n:,}: vigild {v:.1f} MB vs keepalived {k:.1f} MB "
                      f"({'met' if v <= k else 'NOT met'})")


def keepalived_version():
    try:
        out = subprocess.run(["keepalived", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
        return out.split()[1] if out.startswith("Keepalived") else "?"
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build"))
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--daemons", default="vigild,keepalived")
    ap.add_argument("--json", help="write the raw results here (default: $VIGIL_VM_SHARE/ipvs_programming.json)")
    args = ap.parse_args()
    if os.environ.get("VIGIL_VM") != "1":
        sys.exit(f"run me inside the VM: tests/vm/vm-run --timeout 1500 -- /usr/bin/python3 {sys.argv[0]} ...")
    sizes = [int(s) for s in args.sizes.split(",")]
    daemons = args.daemons.split(",")
    if "vigild" in daemons and not os.access(os.path.join(args.build, "daemon", "vigild"), os.X_OK):
        sys.exit(f"{args.build}/daemon/vigild missing: build the vigild target")
    os.makedirs(WORK, exist_ok=True)
    sh("modprobe", "ip_vs")
    probes = Probes()
    # Warm-up: the first start of a binary reads it over 9p; neither daemon should pay that.
    small = os.path.join(WORK, "warmup.conf")
    write_config(small, 2, False)
    for k in daemons:
        cmd = [os.path.join(args.build, "daemon", "vigild"), "-t", "-f", small] if k == "vigild" else \
              ["keepalived", "-t", "-f", small]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        for rep in range(args.reps):
            for n in sizes:
                # alternate who goes first, so neither always runs on a warmer or cooler VM
                order = daemons if rep % 2 == 0 else list(reversed(daemons))
                for kind in order:
                    log(f"run {rep + 1}/{args.reps}: {kind}, {n:,} x 4")
                    r = run_one(kind, n, rep, probes, args.build)
                    results.append(r)
                    log("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                         for k, v in r.items() if k not in ("daemon", "n", "rep")))
    finally:
        probes.remove()
        path = args.json or (os.path.join(os.environ["VIGIL_VM_SHARE"], "ipvs_programming.json")
                             if os.environ.get("VIGIL_VM_SHARE") else None)
        if path:
            with open(path, "w") as f:
                json.dump(results, f, indent=1)
    report(results, sizes, daemons)


if __name__ == "__main__":
    main()
