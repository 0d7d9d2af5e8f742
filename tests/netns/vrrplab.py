"""DOC: vrrplab — a VRRP lab in network namespaces for vigil's netns tests (shared/reference/vrrp-lab.md).

Shape: one namespace holds a bridge (the switch); each host namespace has `eth0`, a veth whose other
end is a port of that bridge. Addresses come from 198.18.0.0/24 and 2001:db8::/64 and exist only
inside the lab. Nothing is created in the root namespace. Every name carries a per-run prefix so
parallel ctest runs do not collide, and Lab.__exit__ kills every process and deletes every
namespace and temp dir, whether the test passed or not.

Events are awaited with deadlines (wait_for), never with sleeps used as synchronisation:
  * `ip -ts monitor address` per host (VIP added/removed, with timestamps),
  * tcpdump on the bridge (`-tt`: adverts, GARPs, NAs with kernel receive times),
  * the daemon's control socket (state, counters) and its log.
Standard library only; run with Debian's /usr/bin/python3.
"""

import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

LAB_NET4 = "198.18.0"
LAB_NET6 = "2001:db8::"


SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|LeakSanitizer has encountered|runtime error: |"
                              r"SUMMARY: UndefinedBehaviorSanitizer")
_sanitized = {}


def sanitized(binary):
    """Whether `binary` was built with ASan (scripts/test runs the netns tests with such a vigild)."""
    if binary not in _sanitized:
        try:
            with open(binary, "rb") as f:
                _sanitized[binary] = b"__asan_init" in f.read()
        except OSError:
            _sanitized[binary] = False
    return _sanitized[binary]


class Missing(Exception):
    """A facility the test needs is not there: the test fails and says what."""


def need_facilities(vigild=None, keepalived=False):
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces, raw sockets)")
    for tool in ["ip", "tcpdump", "ping", "bridge"]:
        if shutil.which(tool) is None:
            missing.append(f"{tool} (Debian: iproute2 / tcpdump / iputils-ping)")
    if keepalived and shutil.which("keepalived") is None:
        missing.append("keepalived (Debian package keepalived)")
    if vigild is not None and not os.access(vigild, os.X_OK):
        missing.append(f"vigild at {vigild} (build the vigild target)")
    if missing:
        raise Missing("missing: " + "; ".join(missing))


def run(*args, check=True, capture=True, timeout=20):
    r = subprocess.run(list(args), stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout if capture else ""


def wait_for(what, predicate, timeout, interval=0.005):
    """Polls predicate until it returns a true value or the deadline passes (then fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class LineCollector:
    """Runs a command and keeps its output lines with the wall-clock time each arrived."""

    def __init__(self, args, log_path=None):
        self.lines = []
        self.lock = threading.Lock()
        # errors="replace": a log line may quote a configuration's bytes, which need not be UTF-8
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     errors="replace", bufsize=1, start_new_session=True)
        self.log = open(log_path, "a") if log_path else None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.time()
            with self.lock:
                self.lines.append((now, line.rstrip("\n")))
            if self.log:
                self.log.write(f"{now:.6f} {line}")
                self.log.flush()

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def find(self, pattern, since=0.0):
        rx = re.compile(pattern)
        return [(t, l) for t, l in self.snapshot() if t >= since and rx.search(l)]

    def wait(self, pattern, timeout, since=0.0):
        return wait_for(f"/{pattern}/", lambda: self.find(pattern, since), timeout)[0]

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.log:
            self.log.close()
            self.log = None


class Daemon:
    """vigild or keepalived running in a host namespace."""

    def __init__(self, lab, host, kind, args, log_path, control=None, pid_files=()):
        self.lab, self.host, self.kind = lab, host, kind
        self.control = control
        self.pid_files = list(pid_files)
        self.log_path = log_path
        self.out = LineCollector(["ip", "netns", "exec", host.ns] + args, log_path)
        self.proc = self.out.proc
        lab.processes.append(self)

    def pids(self):
        pids = {self.proc.pid}
        for f in self.pid_files:
            try:
                pids.add(int(open(f).read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        # every process left in the daemon's session (ip netns exec → daemon → children)
        try:
            out = run("ps", "-o", "pid=", "-s", str(self.proc.pid), check=False)
            pids.update(int(p) for p in out.split())
        except Exception:
            pass
        return pids

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        for pid in self.pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def term(self):
        """SIGTERM to the daemon process itself (ip netns exec has exec'd it)."""
        os.kill(self.proc.pid, signal.SIGTERM)

    def kill(self):
        """A crash (vrrp-lab.md): freeze every process, then SIGKILL them all."""
        pids = self.pids()
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        self.wait_exit(10)

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.kind} on {self.host.name} still running after {timeout} s")
            time.sleep(0.005)
        return time.time()

    def stop(self):
        if self.alive():
            self.signal(signal.SIGKILL)
        self.out.stop()

    # ---- vigild control socket ----

    def request(self, payload, timeout=5):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.control)
            s.sendall((json.dumps(payload) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        return json.loads(data.decode())

    def status(self):
        reply = self.request({"command": "status"})
        check(reply.get("ok"), f"status failed: {reply}")
        return reply["status"]

    def instance(self, name):
        for i in self.status()["vrrp"]["instances"]:
            if i["name"] == name:
                return i
        raise AssertionError(f"no instance {name} in status")

    def state(self, name):
        try:
            return self.instance(name)["state"]
        except (OSError, ValueError):
            return None

    def wait_state(self, name, state, timeout):
        if self.kind == "keepalived":
            return self.out.wait(rf"\({name}\) Entering {state} STATE", timeout)
        wait_for(f"{name} {state} on {self.host.name}", lambda: self.control_ready() and self.state(name) == state,
                 timeout)
        return time.time()

    def control_ready(self):
        return self.control is not None and os.path.exists(self.control)

    def command(self, name, **arguments):
        return self.request({"command": name, "arguments": arguments})

    def log_lines(self, pattern):
        return [l for _, l in self.out.find(pattern)]


class Host:
    def __init__(self, lab, name, v4=None, v6=None, relay=False):
        self.lab, self.name = lab, name
        self.ns = f"{lab.prefix}-{name}"
        self.port = f"p{lab.short}{name}"[:15]  # switch side of eth0: its carrier
        self.bridge_port = self.port             # the bridge port (isolation)
        self.ifname = "eth0"
        self.v4 = v4
        self.v6 = v6
        self.relay = None
        run("ip", "netns", "add", self.ns)
        lab.namespaces.append(self.ns)
        self.sh("ip link set lo up")
        for key in ("all", "default"):
            self.sysctl(f"net.ipv6.conf.{key}.accept_dad", "0")
        run("ip", "-n", lab.switch_ns, "link", "add", self.port, "type", "veth", "peer", "name", self.ifname,
            "netns", self.ns)
        if relay:
            # eth0 <-> port (switch ns, not bridged) <-relay-> tap <-> bridge_port (bridged): every
            # frame between the host and the bridge passes the relay, which can drop or delay it.
            self.bridge_port = f"b{lab.short}{name}"[:15]
            tap = f"t{lab.short}{name}"[:15]
            run("ip", "-n", lab.switch_ns, "link", "add", self.bridge_port, "type", "veth", "peer", "name", tap)
            run("ip", "-n", lab.switch_ns, "link", "set", self.bridge_port, "master", "br0", "up")
            for dev in (self.port, tap):
                run("ip", "-n", lab.switch_ns, "link", "set", dev, "promisc", "on", "up")
            self.relay_control = os.path.join(lab.dir, f"{name}.relay.json")
            self.impair()
            self.relay = LineCollector(["ip", "netns", "exec", lab.switch_ns, "/usr/bin/python3", os.path.abspath(__file__),
                                        "relay", self.port, tap, self.relay_control],
                                       os.path.join(lab.dir, f"{name}.relay.log"))
            lab.collectors.append(self.relay)
            self.relay.wait(r"relaying", 10)
        else:
            run("ip", "-n", lab.switch_ns, "link", "set", self.port, "master", "br0", "up")
        self.sysctl(f"net.ipv6.conf.{self.ifname}.accept_dad", "0")
        if v4:
            self.sh(f"ip addr add {v4}/24 dev {self.ifname}")
        if v6:
            self.sh(f"ip addr add {v6}/64 dev {self.ifname} nodad")
        self.sh(f"ip link set {self.ifname} up")
        self.addr_monitor = LineCollector(["ip", "-ts", "-n", self.ns, "monitor", "address"],
                                          os.path.join(lab.dir, f"{name}.addr.log"))
        lab.collectors.append(self.addr_monitor)
        # the link-local address (IPv6 sources) must exist before a daemon starts
        wait_for(f"link-local address on {name}", lambda: "fe80::" in self.sh(f"ip -6 addr show dev {self.ifname}"), 5)

    def extra_port(self, ifname):
        """A second interface on the switch (for track_interface); returns its switch-side port name."""
        port = f"q{self.lab.short}{self.name}"[:15]
        run("ip", "-n", self.lab.switch_ns, "link", "add", port, "type", "veth", "peer", "name", ifname, "netns", self.ns)
        run("ip", "-n", self.lab.switch_ns, "link", "set", port, "master", "br0", "up")
        self.sh(f"ip link set {ifname} up")
        return port

    def sh(self, command, check=True, timeout=20):
        return run("ip", "netns", "exec", self.ns, "sh", "-c", command, check=check, timeout=timeout)

    def sysctl(self, key, value):
        self.sh(f"sysctl -qw {key}={value}")

    def mac(self):
        out = self.sh(f"cat /sys/class/net/{self.ifname}/address")
        return out.strip()

    def addresses(self):
        data = json.loads(self.sh(f"ip -j addr show dev {self.ifname}"))
        return {a["local"] for link in data for a in link.get("addr_info", [])}

    def has(self, ip):
        return ip in self.addresses()

    def wait_address(self, ip, present, timeout):
        wait_for(f"{ip} {'on' if present else 'gone from'} {self.name}", lambda: self.has(ip) == present, timeout)
        return time.time()

    def address_event_time(self, ip, added, since):
        """Timestamp of the first `ip monitor` event adding/removing ip after `since` (wall clock)."""
        pattern = ("" if added else "Deleted ") + r".*inet6? " + re.escape(ip) + "/"
        for t, line in self.addr_monitor.find(pattern, since):
            if added and line.lstrip("[0123456789-:.T] ").startswith("Deleted"):
                continue
            return t
        return None

    def set_port(self, up):
        """Carrier on/off as the host sees it: the switch side of its veth goes down/up."""
        run("ip", "-n", self.lab.switch_ns, "link", "set", self.port, "up" if up else "down")

    def isolate(self, on):
        """Bridge port isolation: isolated ports cannot talk to each other, carrier stays up."""
        run("bridge", "-n", self.lab.switch_ns, "link", "set", "dev", self.bridge_port, "isolated", "on" if on else "off")

    def impair(self, loss=0.0, delay=0.0, jitter=0.0):
        """Frames between this host and the bridge, both ways: dropped with probability `loss`,
        delayed by `delay` s ± `jitter` s (a host made with relay=True; see relay_main)."""
        tmp = self.relay_control + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"loss": loss, "delay": delay, "jitter": jitter}, f)
        os.replace(tmp, self.relay_control)

    def vigild(self, conf, extra=(), debug=True, prefix=(), control=None):
        """Starts vigild (after `prefix`, e.g. a setpriv command line) and waits for its control
        socket (default in the lab's private directory)."""
        path = os.path.join(self.lab.dir, f"{self.name}.conf")
        with open(path, "w") as f:
            f.write(conf)
        control = control or os.path.join(self.lab.dir, f"{self.name}.sock")
        pid = os.path.join(self.lab.dir, f"{self.name}.pid")
        args = list(prefix) + [self.lab.vigild, "-n", "-l", "-P", "-f", path, "--control-socket", control, "-p", pid]
        if debug:
            args.append("-D")
        args += list(extra)
        d = Daemon(self.lab, self, "vigild", args, os.path.join(self.lab.dir, f"{self.name}.vigild.log"),
                   control=control)
        wait_for(f"vigild control socket on {self.name}", lambda: os.path.exists(control) or not d.alive(), 10)
        check(d.alive(), f"vigild on {self.name} exited: {tail(d.log_path)}")
        return d

    def keepalived(self, conf):
        path = os.path.join(self.lab.dir, f"{self.name}.keepalived.conf")
        with open(path, "w") as f:
            f.write(conf)
        d = self.lab.dir
        args = ["keepalived", "-n", "-l", "-D", "-P", "-f", path,
                "-p", os.path.join(d, f"{self.name}.ka.pid"), "-r", os.path.join(d, f"{self.name}.ka-vrrp.pid"),
                "-c", os.path.join(d, f"{self.name}.ka-check.pid")]
        return Daemon(self.lab, self, "keepalived", args, os.path.join(d, f"{self.name}.keepalived.log"),
                      pid_files=[os.path.join(d, f"{self.name}.ka.pid"), os.path.join(d, f"{self.name}.ka-vrrp.pid")])

    def pinger(self, target, count, interval=0.005):
        """ping every `interval` s; .result() gives (transmitted, received)."""
        return Pinger(self, target, count, interval)

    def python(self, *args, timeout=30):
        return run("ip", "netns", "exec", self.ns, "/usr/bin/python3", os.path.abspath(__file__), *args,
                   timeout=timeout)


class Pinger:
    def __init__(self, host, target, count, interval):
        flag = "-6" if ":" in target else "-4"
        self.proc = subprocess.Popen(["ip", "netns", "exec", host.ns, "ping", flag, "-n", "-q", "-i", str(interval),
                                      "-c", str(count), "-W", "1", target],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        host.lab.pingers.append(self)

    def result(self, timeout=60):
        out, _ = self.proc.communicate(timeout=timeout)
        m = re.search(r"(\d+) packets transmitted, (\d+) (packets )?received", out)
        check(m is not None, f"unexpected ping output: {out}")
        return int(m.group(1)), int(m.group(2))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def tail(path, lines=30):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Lab:
    def __init__(self, test, vigild=None, keepalived=False):
        need_facilities(vigild, keepalived)
        self.test = test
        self.vigild = vigild
        self.short = f"{os.getpid() % 1000:03d}{random.randint(0, 99):02d}"
        self.prefix = f"vl{self.short}"
        self.switch_ns = f"{self.prefix}-sw"
        self.namespaces, self.processes, self.collectors, self.pingers = [], [], [], []
        self.hosts = {}
        self.dir = tempfile.mkdtemp(prefix=f"vigil-netns-{test}-")
        self.sniffer = None

    def __enter__(self):
        try:
            run("ip", "netns", "add", self.switch_ns)
            self.namespaces.append(self.switch_ns)
            run("ip", "-n", self.switch_ns, "link", "set", "lo", "up")
            # multicast_snooping 0: flood ff02::12 like 224.0.0.18, whoever joined
            run("ip", "-n", self.switch_ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
            run("ip", "-n", self.switch_ns, "link", "set", "br0", "up")
        except Exception:
            self.cleanup()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.dump_logs()
        reports = self.cleanup()
        if reports and exc_type is None:
            raise AssertionError("sanitizer reports from vigild:\n" + "\n".join(reports))
        if reports:
            print("sanitizer reports from vigild:\n" + "\n".join(reports))
        return False

    def host(self, name, index, v6=False, relay=False):
        h = Host(self, name, f"{LAB_NET4}.{index}", f"{LAB_NET6}{index}" if v6 else None, relay=relay)
        self.hosts[name] = h
        return h

    def sniff(self, expression="ip proto 112 or ip6 proto 112 or arp or icmp6"):
        """tcpdump on the bridge with kernel timestamps."""
        self.sniffer = LineCollector(["ip", "netns", "exec", self.switch_ns, "tcpdump", "-i", "br0", "-n", "-e",
                                      "-tt", "-l", "-U", expression], os.path.join(self.dir, "bridge.pcap.txt"))
        self.collectors.append(self.sniffer)
        self.sniffer.wait(r"listening on", 10)
        return self.sniffer

    def wire(self, pattern, since_wall=0.0):
        """tcpdump lines matching pattern whose kernel timestamp is >= since_wall."""
        out = []
        for _, line in self.sniffer.snapshot():
            m = re.match(r"(\d+\.\d+) (.*)", line)
            if m and float(m.group(1)) >= since_wall and re.search(pattern, m.group(2)):
                out.append((float(m.group(1)), m.group(2)))
        return out

    def wait_wire(self, pattern, timeout, since_wall=0.0):
        return wait_for(f"/{pattern}/ on the wire", lambda: self.wire(pattern, since_wall), timeout)[0]

    def dump_logs(self):
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log") and not name.endswith("addr.log"):
                print(f"----- {name} (last lines) -----")
                print(tail(os.path.join(self.dir, name), 40))

    def cleanup(self):
        """Stops everything and deletes the namespaces; returns the sanitizer reports found in
        vigild's output. With an ASan/UBSan vigild, daemons still running are stopped with SIGTERM
        first, so that LeakSanitizer runs at their exit (a SIGKILL would hide leaks)."""
        for p in self.pingers:
            p.stop()
        if self.vigild and sanitized(self.vigild):
            running = [d for d in self.processes if d.kind == "vigild" and d.alive()]
            for d in running:
                try:
                    os.kill(d.proc.pid, signal.SIGCONT)  # a test may have left it stopped
                    d.term()
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 15
            for d in running:
                while d.alive() and time.monotonic() < deadline:
                    time.sleep(0.02)
        for d in self.processes:
            try:
                d.stop()
            except Exception:
                pass
        for c in self.collectors:
            c.stop()
        reports = []
        for d in self.processes:
            if d.kind != "vigild":
                continue
            lines = [l for _, l in d.out.snapshot()]
            for i, line in enumerate(lines):
                if SANITIZER_REPORT.search(line):
                    reports.append(f"{d.host.name} ({d.log_path}):\n  " + "\n  ".join(lines[i:i + 25]))
                    break
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        if os.environ.get("VIGIL_NETNS_KEEP") or reports:
            print(f"logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return reports


# ---- configuration text ------------------------------------------------------------------------

def instance(name="VI_1", vrid=51, priority=100, version=3, advert="0.2", vips=("198.18.0.100/32",),
             interface="eth0", extra=""):
    vip_lines = "\n".join(f"    {v}" for v in vips)
    return f"""
vrrp_instance {name} {{
  state BACKUP
  interface {interface}
  virtual_router_id {vrid}
  priority {priority}
  version {version}
  advert_int {advert}
  virtual_ipaddress {{
{vip_lines}
  }}
{extra}
}}
"""


def config(*instances, global_defs=""):
    return "global_defs {\n  vrrp_garp_master_delay 0\n" + global_defs + "}\n" + "".join(instances)


# ---- crafted adverts (run inside a namespace through Host.python) --------------------------------

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def advert_v3(src, dst, vrid, priority, vips, interval_cs=20, count=None, corrupt_checksum=False, version=3,
              auth=None):
    addrs = b"".join(socket.inet_aton(v) for v in vips)
    n = len(vips) if count is None else count
    if version == 2:
        body = struct.pack("!BBBBBBH", 0x21, vrid, priority, n, 1 if auth else 0, max(1, interval_cs // 100), 0) + addrs
        body += (auth or b"").ljust(8, b"\0")[:8]
        csum = checksum(body)
    else:
        body = struct.pack("!BBBBHH", 0x31, vrid, priority, n, interval_cs & 0x0FFF, 0) + addrs
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(body))
        csum = checksum(pseudo + body)
    if corrupt_checksum:
        csum ^= 0x5A5A
    return body[:6] + struct.pack("!H", csum) + body[8:]


def inject_main(argv):
    """inject SRC VRID PRIORITY KIND COUNT [VIP...]: send crafted adverts to 224.0.0.18.
    KIND may carry options: "ttl:10000" (10,000 packets/s), "valid,dst=198.18.0.1,rate=10000,ttl=1"
    (unicast destination, rate, IP TTL)."""
    src, vrid, priority, kind, count = argv[0], int(argv[1]), int(argv[2]), argv[3], int(argv[4])
    rate = 0
    options = {}
    if "," in kind:
        kind, *rest = kind.split(",")
        options = dict(o.split("=", 1) for o in rest)
    if ":" in kind:  # "ttl:10000" = 10,000 packets/s
        kind, rate = kind.split(":")[0], int(kind.split(":")[1])
    rate = int(options.get("rate", rate))
    vips = argv[5:] or ["198.18.0.100"]
    dst = options.get("dst", "224.0.0.18")
    ttl = int(options.get("ttl", 64 if kind == "ttl" else 255))
    if kind == "checksum":
        payload = advert_v3(src, dst, vrid, priority, vips, corrupt_checksum=True)
    elif kind == "truncated":
        payload = advert_v3(src, dst, vrid, priority, vips)[:10]
    elif kind == "count":
        payload = advert_v3(src, dst, vrid, priority, vips, count=len(vips) + 2)
    elif kind == "auth":
        payload = advert_v3(src, dst, vrid, priority, vips, version=2, auth=b"wrong")
    elif kind == "v2":  # VRRPv2, advert_int 1 s; "v2,pass=secret" adds a simple password
        password = options.get("pass")
        payload = advert_v3(src, dst, vrid, priority, vips, interval_cs=100, version=2,
                            auth=bytes.fromhex(password) if password and options.get("hex") else
                            (password.encode() if password else None))
    elif kind == "version":
        payload = bytes([0x41]) + advert_v3(src, dst, vrid, priority, vips)[1:]
    else:  # "ttl", "vrid" (VRID chosen by the caller), "valid"
        payload = advert_v3(src, dst, vrid, priority, vips)
    if "authtype" in options:  # v2: another auth type byte, checksum recomputed
        body = bytearray(payload)
        body[4], body[6], body[7] = int(options["authtype"]), 0, 0
        payload = bytes(body[:6]) + struct.pack("!H", checksum(bytes(body))) + bytes(body[8:])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), random.randint(0, 65535), 0, ttl, 112, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    start = time.monotonic()
    for i in range(count):
        s.sendto(header + payload, (dst, 0))
        if rate and i % 100 == 99:
            ahead = start + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    print(f"sent {count} {kind} adverts")


def capture_main(argv):
    """capture IFACE TIMEOUT: prints, as hex, the first IPv4 VRRP packet seen on IFACE (what any
    host on the LAN can read: adverts go to a multicast group)."""
    iface, timeout = argv[0], float(argv[1])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((iface, 0))
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = s.recv(65535)
        if len(data) >= 20 and data[9] == 112:
            print(data.hex())
            return
    sys.exit("no VRRP packet seen")


def vigilctl(vigild, *args, user=None, caps=(), timeout=20):
    """Runs the vigilctl built next to vigild; `user` (a name) runs it with that uid through setpriv,
    keeping `caps` (e.g. "dac_override") as ambient capabilities. Returns the CompletedProcess."""
    tool = os.path.join(os.path.dirname(vigild), "vigilctl")
    check(os.access(tool, os.X_OK), f"missing: vigilctl at {tool} (build the vigilctl target)")
    prefix = []
    if user is not None:
        check(shutil.which("setpriv") is not None, "missing: setpriv (Debian: util-linux)")
        import pwd
        prefix = ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}", "--clear-groups"]
        if caps:
            joined = ",".join(f"+{c}" for c in caps)
            prefix += [f"--inh-caps={joined}", f"--ambient-caps={joined}"]
    return subprocess.run(prefix + [tool] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


# ---- impairment relay (netem's loss and delay, in user space) --------------------------------------

def relay_main(argv):
    """relay IF_A IF_B CONTROL: copies every frame between two interfaces (run in the switch
    namespace), dropping or delaying them as the JSON file CONTROL says ({"loss": 0.2, "delay":
    0.05, "jitter": 0.01}; re-read when it changes). The lab's kernel has no sch_netem, so loss and
    delay are done here; frames keep their order unless jitter reorders them, as with netem."""
    import heapq
    import select
    a, b, control = argv
    eth_p_all = 0x0003
    socks = {}
    for name in (a, b):
        sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(eth_p_all))
        sk.bind((name, 0))
        sk.setblocking(False)
        socks[name] = sk
    other = {a: socks[b], b: socks[a]}
    settings, stamp = {"loss": 0.0, "delay": 0.0, "jitter": 0.0}, None
    pending = []  # (due, seq, out socket, frame)
    seq = 0
    print("relaying", a, "<->", b, flush=True)
    next_check = 0.0
    while True:
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 0.02
            try:
                st = os.stat(control).st_mtime_ns
                if st != stamp:
                    with open(control) as f:
                        settings = json.load(f)
                    stamp = st
                    print(f"{time.time():.6f} settings {settings}", flush=True)
            except (OSError, ValueError):
                pass
        while pending and pending[0][0] <= now:
            _, _, out, frame = heapq.heappop(pending)
            try:
                out.send(frame)
            except OSError:
                pass  # the far interface is down: the frame is lost, as on a wire
        timeout = 0.02 if not pending else max(0.0, min(0.02, pending[0][0] - now))
        ready, _, _ = select.select(list(socks.values()), [], [], timeout)
        for sk in ready:
            name = a if sk is socks[a] else b
            while True:
                try:
                    frame, addr = sk.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue  # our own sends on this interface
                if settings.get("loss", 0.0) > 0 and random.random() < settings["loss"]:
                    continue
                delay = settings.get("delay", 0.0)
                if settings.get("jitter", 0.0) > 0:
                    delay = max(0.0, delay + random.uniform(-settings["jitter"], settings["jitter"]))
                if delay <= 0 and not pending:
                    try:
                        other[name].send(frame)
                    except OSError:
                        pass
                else:
                    seq += 1
                    heapq.heappush(pending, (time.monotonic() + delay, seq, other[name], frame))


# ---- test driver --------------------------------------------------------------------------------

def main(tests):
    """python3 FILE TEST --vigild PATH: runs one test; exit 0 = pass. Prints measured figures."""
    args = sys.argv[1:]
    if args and args[0] == "inject":
        inject_main(args[1:])
        return
    if args and args[0] == "relay":
        relay_main(args[1:])
        return
    if args and args[0] == "capture":
        capture_main(args[1:])
        return
    if not args or args[0] not in tests:
        print(f"usage: {sys.argv[0]} {{{','.join(tests)}}} --vigild PATH", file=sys.stderr)
        sys.exit(2)
    name = args[0]
    vigild = None
    if "--vigild" in args:
        vigild = args[args.index("--vigild") + 1]
    started = time.monotonic()
    try:
        tests[name](vigild)
    except Missing as e:
        print(f"FAIL {name}: {e}")
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print(f"FAIL {name} after {time.monotonic() - started:.1f} s")
        sys.exit(1)
    print(f"PASS {name} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "inject":
        inject_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "relay":
        relay_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "capture":
        capture_main(sys.argv[2:])
