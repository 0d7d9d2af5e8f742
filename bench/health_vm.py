#!/usr/bin/python3
"""DOC: health-check benchmark: vigild's checker and keepalived's, side by side, in the VM.

    VIGIL_VM_MEM=1024 tests/vm/vm-run --timeout 1500 -- /usr/bin/python3 bench/health_vm.py --build BUILD
    options: --sizes 250,625,2500  --seconds 20  --daemons vigild,keepalived  --json FILE

Each daemon in turn runs alone in a fresh network namespace with N virtual servers x 4 real servers,
TCP_CHECK, delay_loop 1 (4N checks per second nominal), plus one VRRPv3 instance (advert_int 0.1,
alone, so master) on a veth whose other end sits in a second namespace. The real servers are
addresses of 10.99.0.0/16 routed `local` in the daemon's namespace: the first two of each virtual
server are on port 8080, where bench/check_sink accepts and closes (answering), the other two on
port 8081, where nothing listens (refused) — half of the real servers answer.

Measured from the outside, the same way for both daemons, over a window of --seconds after a
warm-up:
  checks/s     accepted connections per second at the sink: the answering half's checks
               (nominal 2N/s); addresses of that half never probed in the window are "starved"
  lateness     per answering real server, each interval between two checks minus delay_loop
               (p50/p99/max over all intervals)
  CPU          utime+stime of the daemon's processes over the window; per check = CPU / (2 x the
               answering half's checks), i.e. the refused half counted at the same rate
  RSS          VmRSS summed over the daemon's processes at the end of the window
  adverts      the master's VRRP adverts captured on the veth's far end (AF_PACKET, kernel
               timestamps): each gap minus advert_int, p50/p99/max, and how many were > 5 ms late
The floor: bench/check_sink connect — one thread connecting to the answering addresses and
closing, no daemon — its connects/s and CPU per connect.
Under qemu's software emulation everything is several times slower than on the host; both
daemons pay the same factor (shared/reference/ipvs-vm.md has keepalived's figures in this VM).
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

from benchlib import cpu_seconds, log, memory_kb, print_table, sh

WORK = os.path.join(os.environ.get("VIGIL_VM_SHARE", "/tmp"), "health-bench")  # logs survive the VM
NS, WIRE_NS = "hcb", "hcb-wire"
ADVERT = 0.1
WARMUP = 8.0  # seconds between the daemon's start and the window: its checks reach their rate
SOCKET = "/run/health-bench-vigil.sock"  # not in the shared folder: 9p has no Unix sockets


def rs_address(i):
    return f"10.99.{i // 250}.{i % 250 + 1}"


def write_config(path, n):
    parts = ["global_defs {\n    router_id HC_BENCH\n}\n",
             "vrrp_instance VI_1 {\n    state MASTER\n    interface hcv0\n    virtual_router_id 51\n"
             f"    priority 150\n    version 3\n    advert_int {ADVERT}\n"
             "    virtual_ipaddress {\n        192.168.77.100/24\n    }\n}\n"]
    for v in range(n):
        rs = []
        for k in range(4):
            port = 8080 if k < 2 else 8081
            rs.append(f"    real_server {rs_address(4 * v + k)} {port} {{\n        weight 1\n"
                      "        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n")
        parts.append(f"virtual_server 10.200.{v // 250}.{v % 250 + 1} 80 {{\n    delay_loop 1\n"
                     f"    lvs_sched rr\n    lvs_method NAT\n    protocol TCP\n{''.join(rs)}}}\n")
    with open(path, "w") as f:
        f.write("".join(parts))


def answering(n):
    return [rs_address(4 * v + k) for v in range(n) for k in range(2)]


# ---- namespaces ---------------------------------------------------------------------------------

def setup():
    teardown()
    sh("ip", "netns", "add", NS)
    sh("ip", "netns", "add", WIRE_NS)
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    sh("ip", "-n", NS, "route", "add", "local", "10.99.0.0/16", "dev", "lo")
    sh("ip", "-n", NS, "link", "add", "hcv0", "type", "veth", "peer", "name", "hcv1", "netns", WIRE_NS)
    sh("ip", "-n", NS, "addr", "add", "192.168.77.1/24", "dev", "hcv0")
    sh("ip", "-n", NS, "link", "set", "hcv0", "up")
    sh("ip", "-n", WIRE_NS, "link", "set", "hcv1", "up")


def teardown():
    for ns in (NS, WIRE_NS):
        subprocess.run(["ip", "netns", "exec", ns, "ipvsadm", "-C"], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


# ---- the daemon's processes --------------------------------------------------------------------

def wait_line(path, pattern, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                if re.search(pattern, f.read()):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout} s waiting for /{pattern}/ in {path}")


# ---- the advert sniffer (runs as a child: --sniff IFACE OUT) ----------------------------------

SO_TIMESTAMPNS = 35


def sniff(iface, out):
    # SOCK_DGRAM: frames without their Ethernet header, so data[0] is the IPv4 header
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.settimeout(0.2)  # to see the stop request when no adverts come
    stamps = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("sniffing", flush=True)
    while not stop:
        try:
            data, anc, _, _ = s.recvmsg(256, 64)
        except (InterruptedError, socket.timeout):
            continue
        if len(data) < 20 or data[9] != 112:  # IPv4 protocol field: VRRP
            continue
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", value[:16])
                stamps.append(sec + nsec / 1e9)
    with open(out, "w") as f:
        f.write("\n".join(f"{t:.6f}" for t in stamps))


# ---- one run ------------------------------------------------------------------------------------

def percentile(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def run_one(kind, n, seconds, build):
    d = os.path.join(WORK, f"{kind}-{n}")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "bench.conf")
    write_config(conf, n)
    setup()
    sink_out, sniff_out = os.path.join(d, "accepts.txt"), os.path.join(d, "adverts.txt")
    sink = subprocess.Popen(["ip", "netns", "exec", NS, os.path.join(build, "bench", "check_sink"), "listen", "8080",
                             sink_out], stdout=open(os.path.join(d, "sink.log"), "w"), stderr=subprocess.STDOUT)
    sniffer = subprocess.Popen(["ip", "netns", "exec", WIRE_NS, sys.executable, os.path.abspath(__file__),
                                "--sniff", "hcv1", sniff_out], stdout=open(os.path.join(d, "sniff.log"), "w"),
                               stderr=subprocess.STDOUT)
    wait_line(os.path.join(d, "sink.log"), "listening", 20)
    wait_line(os.path.join(d, "sniff.log"), "sniffing", 20)
    if kind == "vigild":
        args = [os.path.join(build, "daemon", "vigild"), "-n", "-l", "-f", conf,
                "--control-socket", SOCKET, "-p", os.path.join(d, "vigild.pid")]
    else:
        args = ["keepalived", "-n", "-l", "-f", conf, "--pid", os.path.join(d, "k.pid"),
                "--vrrp_pid", os.path.join(d, "k-vrrp.pid"), "--checkers_pid", os.path.join(d, "k-check.pid")]
    logf = open(os.path.join(d, "daemon.log"), "w")
    proc = subprocess.Popen(["ip", "netns", "exec", NS] + args, stdout=logf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    r = {"daemon": kind, "n": n}
    try:
        time.sleep(WARMUP)  # a warm-up before the measurement window, not synchronisation
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited (see {d}/daemon.log)")
        c0, w0, wall0 = cpu_seconds(proc.pid), time.monotonic(), time.time()
        time.sleep(seconds)  # the measurement window
        c1, w1, wall1 = cpu_seconds(proc.pid), time.monotonic(), time.time()
        r["rss_mb"] = memory_kb(proc.pid, "VmRSS") / 1024
        if kind == "vigild":
            st = subprocess.run([os.path.join(build, "daemon", "vigilctl"), "--socket", SOCKET,
                                 "status", "--json"], stdout=subprocess.PIPE, text=True)
            try:
                vi = json.loads(st.stdout)["status"]["vrrp"]["instances"][0]
                r["own_adverts_late"] = vi.get("adverts_late")
                r["own_max_lateness_ms"] = vi.get("max_advert_lateness_ms")
            except (ValueError, KeyError, IndexError, TypeError):
                pass
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        logf.close()
        for p in (sink, sniffer):
            p.send_signal(signal.SIGTERM)
            p.wait(30)
        teardown()

    # checks at the sink
    per_addr = {}
    with open(sink_out) as f:
        for line in f:
            a, t = line.split()
            t = float(t)
            if w0 <= t <= w1:
                per_addr.setdefault(a, []).append(t)
    checks = sum(len(v) for v in per_addr.values())
    lateness = [b - a - 1.0 for ts in per_addr.values() for a, b in zip(ts, ts[1:])]
    expected = answering(n)
    starved = sum(1 for a in expected if a not in per_addr)
    window = w1 - w0
    r.update(window_s=window, nominal_per_s=2 * n, checks_per_s=checks / window,
             on_schedule_pct=100 * checks / window / (2 * n), starved=starved,
             min_checks_per_server=min((len(per_addr.get(a, [])) for a in expected), default=0),
             late_p50_ms=1000 * (percentile(lateness, 0.5) or 0), late_p99_ms=1000 * (percentile(lateness, 0.99) or 0),
             late_max_ms=1000 * max(lateness, default=0),
             cpu_pct=100 * (c1 - c0) / window,
             cpu_us_per_check=(c1 - c0) / (2 * checks) * 1e6 if checks else None)
    # adverts on the wire
    with open(sniff_out) as f:
        stamps = [float(x) for x in f.read().split()]
    inside = [t for t in stamps if wall0 <= t <= wall1]
    gaps = [b - a - ADVERT for a, b in zip(inside, inside[1:])]
    r.update(adverts=len(inside), advert_late_p50_ms=1000 * (percentile(gaps, 0.5) or 0),
             advert_late_p99_ms=1000 * (percentile(gaps, 0.99) or 0), advert_late_max_ms=1000 * max(gaps, default=0),
             adverts_over_5ms=sum(1 for g in gaps if g > 0.005))
    return r


def floor(n, seconds, build):
    setup()
    d = os.path.join(WORK, "floor")
    os.makedirs(d, exist_ok=True)
    sink = subprocess.Popen(["ip", "netns", "exec", NS, os.path.join(build, "bench", "check_sink"), "listen", "8080",
                             os.path.join(d, "accepts.txt")], stdout=open(os.path.join(d, "sink.log"), "w"),
                            stderr=subprocess.STDOUT)
    try:
        wait_line(os.path.join(d, "sink.log"), "listening", 20)
        out = sh("ip", "netns", "exec", NS, os.path.join(build, "bench", "check_sink"), "connect", "8080",
                 str(seconds), *answering(n))
        return json.loads(out)
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(30)
        teardown()


# ---- report -------------------------------------------------------------------------------------

ROWS = [
    ("nominal checks/s (answering half)", "nominal_per_s", "{:,.0f}"),
    ("checks/s run (answering half)", "checks_per_s", "{:,.0f}"),
    ("  on schedule", "on_schedule_pct", "{:.0f} %"),
    ("  servers never checked", "starved", "{:.0f}"),
    ("  fewest checks of one server", "min_checks_per_server", "{:.0f}"),
    ("lateness p50", "late_p50_ms", "{:.1f} ms"),
    ("lateness p99", "late_p99_ms", "{:.1f} ms"),
    ("lateness max", "late_max_ms", "{:.0f} ms"),
    ("CPU (all processes)", "cpu_pct", "{:.0f} %"),
    ("CPU per check", "cpu_us_per_check", "{:.0f} us"),
    ("RSS", "rss_mb", "{:.1f} MB"),
    ("VRRP adverts in the window", "adverts", "{:.0f}"),
    ("  late p50 (gap - 100 ms)", "advert_late_p50_ms", "{:.1f} ms"),
    ("  late p99", "advert_late_p99_ms", "{:.1f} ms"),
    ("  late max", "advert_late_max_ms", "{:.1f} ms"),
    ("  more than 5 ms late", "adverts_over_5ms", "{:.0f}"),
]


def report(results, fl, sizes, daemons):
    def cell(col, row):
        n, k = col
        _, key, fmt = row
        r = next((r for r in results if r["n"] == n and r["daemon"] == k), None)
        v = r.get(key) if r else None
        return "-" if v is None else fmt.format(v)
    print_table([(n, k) for n in sizes for k in daemons], lambda c: f"{4 * c[0]:,} {c[1]}", ROWS, cell, 36, 20)
    if fl:
        print(f"\nfloor (one thread connect/close, no daemon): {fl['per_second']:,.0f} connects/s, "
              f"{fl['cpu_us_per_connect']:.0f} us CPU per connect")
    print(f"columns: checks configured (virtual servers x 4), daemon; kernel {os.uname().release}, TCG")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--sniff":
        return sniff(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build"))
    ap.add_argument("--sizes", default="250,625,2500")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--daemons", default="vigild,keepalived")
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.environ.get("VIGIL_VM") != "1":
        sys.exit(f"run me inside the VM: tests/vm/vm-run --timeout 1500 -- /usr/bin/python3 {sys.argv[0]} ...")
    for prog in ("daemon/vigild", "daemon/vigilctl", "bench/check_sink"):
        if not os.access(os.path.join(args.build, prog), os.X_OK):
            sys.exit(f"{args.build}/{prog} missing: build it")
    sizes = [int(s) for s in args.sizes.split(",")]
    daemons = args.daemons.split(",")
    os.makedirs(WORK, exist_ok=True)
    sh("modprobe", "ip_vs")
    results = []
    try:
        log("floor")
        fl = floor(max(sizes), 10, args.build)
        log(f"  {fl}")
        for n in sizes:
            for kind in daemons:
                log(f"{kind}, {n:,} x 4 checks")
                r = run_one(kind, n, args.seconds, args.build)
                results.append(r)
                log("  " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                     for k, v in r.items() if k not in ("daemon", "n")))
    finally:
        path = args.json or (os.path.join(os.environ["VIGIL_VM_SHARE"], "health_vm.json")
                             if os.environ.get("VIGIL_VM_SHARE") else None)
        if path:
            with open(path, "w") as f:
                json.dump(results, f, indent=1)
    report(results, fl, sizes, daemons)


if __name__ == "__main__":
    main()
