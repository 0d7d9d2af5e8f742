"""Helpers shared by the Python benchmarks: logging with elapsed time, running commands, bounded
waits, and the CPU time and memory of a daemon's process group read from /proc."""

import os
import re
import subprocess
import time

T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f} s] {msg}", flush=True)


def sh(*args, check=True, timeout=600):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.returncode} {r.stderr.strip()}")
    return r.stdout


def wait_until(what, predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def group_pids(pgid):
    """Every process of a process group (a daemon started with start_new_session=True)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def cpu_ticks(pgid):
    """utime + stime of all threads of all processes of the group, in clock ticks."""
    total = 0
    for pid in group_pids(pgid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def cpu_seconds(pgid):
    return cpu_ticks(pgid) / os.sysconf("SC_CLK_TCK")


def memory_kb(pgid, key="VmHWM"):
    """A /proc/PID/status memory field (VmHWM: peak RSS, VmRSS: current) summed over the group."""
    total = 0
    for pid in group_pids(pgid):
        try:
            with open(f"/proc/{pid}/status") as f:
                m = re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M)
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total


def print_table(cols, col_title, rows, cell, w0, w):
    """A text table: one column per entry of `cols` (headed col_title(col)), one line per entry of
    `rows` (labelled row[0]), each cell the string cell(col, row)."""
    head = " " * w0 + "".join(f"{col_title(c):>{w}}" for c in cols)
    print("\n" + head)
    print("-" * len(head))
    for row in rows:
        print(f"{row[0]:<{w0}}" + "".join(f"{cell(c, row):>{w}}" for c in cols))
