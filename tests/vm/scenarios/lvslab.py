"""DOC: lvslab — building blocks for the seed's LVS scenarios inside the VM (tests/vm/README.md).

The seed's runbook (shared/seed/README.md) wires real machines: a client, one or two directors,
two Apache web servers. Here each machine is a network namespace; each network segment is a
Linux bridge in a namespace of its own (`switch`); each machine's NIC is a veth whose other end is
a port of that bridge. The addresses are the runbook's own (12.0.0.0/24, 192.168.200.0/24): they
exist only inside the VM, which has no NIC at all. Web servers are busybox httpd serving the
runbook's pages ("this is xykj web1" / "web2").

The scenario scripts (lvs_nat.py, lvs_dr.py) and scripts/demo are built from these pieces:
  Lab       namespaces, bridges, every process; cleanup() undoes all of it, pass or fail
  Host      one machine: run commands in it, sysctls, its IPVS table, its switch port
  Web       busybox httpd on a web server (start / stop)
  Daemon    vigild or keepalived on a director (start, SIGTERM, crash = SIGSTOP+SIGKILL)
  Fetcher   the client fetching a URL in a loop (one line per request: time, source, who answered)

Everything is awaited with deadlines (wait_for), never with sleeps used as synchronisation.
The IPVS table is read from /proc/PID/net/ip_vs of a process parked in the director's namespace:
cheap for these small tables and needs no process start per poll (ipvsadm would cost 50-100 ms of
TCG time each). Standard library only; run with Debian's /usr/bin/python3.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PY = "/usr/bin/python3"


class Failure(Exception):
    """An assertion of the scenario failed; the message says what was expected and what was seen."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_for(what, predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value (returned) or the deadline passes (Failure)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise Failure(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


def hold_for(what, predicate, duration, interval=0.1):
    """The opposite of wait_for: predicate must stay true for the whole window (Failure if not)."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not predicate():
            raise Failure(f"expected {what} for {duration:.1f} s, but it changed")
        time.sleep(interval)


def run(args, check_rc=True, timeout=30, input_text=None):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                       input=input_text)
    if check_rc and r.returncode != 0:
        raise Failure(f"`{' '.join(args)}` failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# ---- output -------------------------------------------------------------------------------------

class Narrator:
    """Test mode prints terse timestamped steps; demo mode prints plain sentences for an operator."""

    def __init__(self, tag, demo=False):
        self.tag, self.demo = tag, demo
        self.t0 = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.t0

    def step(self, text):
        if self.demo:
            print(f"\n== {text}", flush=True)
        else:
            print(f"{self.tag}: [{self.elapsed():6.1f} s] {text}", flush=True)

    def info(self, text):
        if self.demo:
            print(f"   {text}", flush=True)
        else:
            print(f"{self.tag}:            {text}", flush=True)

    def explain(self, text):
        """Plain words for the demo's reader (nothing in test mode)."""
        if self.demo:
            import textwrap
            print(textwrap.fill(text, width=100, initial_indent="   ", subsequent_indent="   "), flush=True)

    def block(self, title, text):
        """A command's output, indented, with the command line as the title."""
        print(f"   $ {title}" if self.demo else f"{self.tag}:            $ {title}")
        for line in text.rstrip("\n").split("\n"):
            print(f"     {line}")
        sys.stdout.flush()


# ---- IPVS table --------------------------------------------------------------------------------

def _hex_endpoint(text):
    """'C0A8C80A:0050' (as /proc/net/ip_vs writes IPv4) -> '192.168.200.10:80'."""
    addr, port = text.split(":")
    return f"{socket.inet_ntoa(bytes.fromhex(addr))}:{int(port, 16)}"


def parse_proc_ip_vs(text):
    """/proc/net/ip_vs -> {"TCP 192.168.200.10:80": {"sched": "rr", "flags": "...", "dests":
    {"192.168.200.110:80": ("Route", weight)}}}. IPv4 only (the seed's scenarios)."""
    table, current = {}, None
    for line in text.split("\n")[3:]:
        fields = line.split()
        if not fields:
            continue
        if fields[0] == "->":
            if current is not None:
                table[current]["dests"][_hex_endpoint(fields[1])] = (fields[2], int(fields[3]))
        else:
            current = f"{fields[0]} {_hex_endpoint(fields[1])}"
            table[current] = {"sched": fields[2], "flags": " ".join(fields[3:]), "dests": {}}
    return table


# ---- machines -----------------------------------------------------------------------------------

class Host:
    """One machine of the runbook: a namespace with one NIC per segment it is attached to."""

    def __init__(self, lab, name):
        self.lab, self.name, self.ns = lab, name, name
        self.ports = {}  # ifname -> switch-side port name
        run(["ip", "netns", "add", self.ns])
        lab.namespaces.append(self.ns)
        # Without lo there is no local routing table: IPVS refuses destinations (EINVAL) and the
        # web servers' VIP on lo would not work.
        self.ip("link set lo up")
        # A process parked in the namespace: its /proc/PID/net/ip_vs is this namespace's table.
        self.anchor = lab.spawn(["ip", "netns", "exec", self.ns, "sleep", "infinity"], f"{name}.anchor")

    def ip(self, *commands):
        """`ip -n NS` commands, several in one process (each process start costs under TCG)."""
        run(["ip", "-n", self.ns, "-batch", "-"], input_text="\n".join(commands) + "\n")

    def attach(self, bridge, ifname, address):
        """A NIC on the segment `bridge`: a veth whose other end is a port of that bridge."""
        port = f"{self.name[:8]}-{ifname}"[:15]
        run(["ip", "-n", self.lab.switch, "-batch", "-"],
            input_text=f"link add {port} type veth peer name {ifname} netns {self.ns}\n"
                       f"link set {port} master {bridge} up\n")
        self.ip(f"addr add {address} dev {ifname}", f"link set {ifname} up")
        self.ports[ifname] = port

    def sh(self, command, check_rc=True, timeout=30):
        return run(["ip", "netns", "exec", self.ns, "sh", "-c", command], check_rc=check_rc, timeout=timeout)

    def sysctl(self, *settings):
        """sysctl("net.ipv4.ip_forward=1", ...)"""
        run(["ip", "netns", "exec", self.ns, "sysctl", "-qw"] + list(settings))

    def addresses(self, ifname):
        data = json.loads(run(["ip", "-n", self.ns, "-j", "-4", "addr", "show", "dev", ifname]))
        return {a["local"] for link in data for a in link.get("addr_info", [])}

    def has_address(self, ifname, ip):
        return ip in self.addresses(ifname)

    def ipvs(self):
        """This namespace's IPVS table, parsed (empty when ip_vs is not loaded yet)."""
        try:
            with open(f"/proc/{self.anchor.pid}/net/ip_vs") as f:
                return parse_proc_ip_vs(f.read())
        except FileNotFoundError:
            return {}

    def ipvsadm(self):
        return run(["ip", "netns", "exec", self.ns, "ipvsadm", "-Ln"])

    def set_link(self, ifname, up):
        """Carrier on/off as the machine sees it: the switch side of its NIC goes down/up."""
        run(["ip", "-n", self.lab.switch, "link", "set", self.ports[ifname], "up" if up else "down"])


class Web:
    """busybox httpd on port 80 of a web server, serving the runbook's page."""

    def __init__(self, lab, host, page):
        self.lab, self.host, self.page = lab, host, page
        self.root = os.path.join(lab.dir, f"{host.name}-www")
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, "index.html"), "w") as f:
            f.write(page + "\n")
        self.proc = None

    def start(self, timeout=15):
        self.proc = self.lab.spawn(["ip", "netns", "exec", self.host.ns, "busybox", "httpd", "-f", "-p", "80",
                                    "-h", self.root], f"{self.host.name}.httpd")
        wait_for(f"httpd listening on port 80 in {self.host.name}", self.listening, timeout)

    def listening(self):
        check(self.proc.poll() is None, f"busybox httpd on {self.host.name} exited at start")
        # its own /proc/PID/net/tcp[6] lists its namespace's sockets: port 80 = 0050, 0A = LISTEN
        # (busybox httpd -p 80 listens on [::]:80, which also takes IPv4)
        for table in ("tcp", "tcp6"):
            with open(f"/proc/{self.proc.pid}/net/{table}") as f:
                if any(l.split()[1].endswith(":0050") and l.split()[3] == "0A" for l in f.readlines()[1:]):
                    return True
        return False

    def stop(self):
        self.lab.stop(self.proc)
        self.proc = None


class Daemon:
    """vigild or keepalived on a director, output in LAB/NAME.KIND.log."""

    def __init__(self, lab, host, kind, conf):
        self.lab, self.host, self.kind, self.conf = lab, host, kind, conf
        self.log = os.path.join(lab.dir, f"{host.name}.{kind}.log")
        run_dir = os.path.join(lab.run_dir, host.name)
        os.makedirs(run_dir, exist_ok=True)
        if kind == "vigild":
            # the control socket must live on a local file system (the lab dir may be a 9p share)
            self.control = os.path.join(run_dir, "vigil.sock")
            self.pid_file = os.path.join(run_dir, "vigild.pid")
            self.args = [lab.vigild, "-n", "-l", "-f", conf, "--control-socket", self.control, "-p", self.pid_file]
        else:
            self.control = None
            # per-namespace pid files: two keepalived in one VM must not find each other's
            self.args = ["keepalived", "-n", "-l", "-D", "-f", conf,
                         "--pid", os.path.join(run_dir, "keepalived.pid"),
                         "--vrrp_pid", os.path.join(run_dir, "keepalived-vrrp.pid"),
                         "--checkers_pid", os.path.join(run_dir, "keepalived-checkers.pid")]
        self.proc = None
        self.started_at = None

    def start(self):
        with open(self.log, "a") as f:
            f.write(f"==== {time.time():.3f} start: {' '.join(self.args)}\n")
        self.started_at = time.time()
        # `ip netns exec` execs the daemon: self.proc.pid is the daemon itself, and it leads its
        # own process group (keepalived's VRRP and checker children stay in it).
        self.proc = self.lab.spawn(["ip", "netns", "exec", self.host.ns] + self.args, None, log=self.log)
        if self.kind == "vigild":
            wait_for(f"vigild's control socket on {self.host.name}",
                     lambda: os.path.exists(self.control) or self.proc.poll() is not None, 30)
        check(self.proc.poll() is None, f"{self.kind} on {self.host.name} exited at start:\n{tail(self.log)}")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def term(self, timeout=20):
        """SIGTERM to the daemon (keepalived: its parent); returns the time it exited."""
        t = time.time()
        os.kill(self.proc.pid, signal.SIGTERM)
        wait_for(f"{self.kind} on {self.host.name} to exit after SIGTERM", lambda: self.proc.poll() is not None,
                 timeout, interval=0.02)
        return t

    def crash(self):
        """A crash (vrrp-lab.md): freeze every process of the daemon, then SIGKILL them all, so
        that nothing gets to clean up (killing only keepalived's parent is a graceful stop)."""
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        wait_for(f"{self.kind} on {self.host.name} to die", lambda: self.proc.poll() is not None, 10, 0.02)
        self.lab.reap_group(self.proc.pid)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def log_lines(self, pattern, since_start=True):
        text = self.log_text()
        if since_start:
            text = text[text.rfind("==== "):]
        return [l for l in text.split("\n") if re.search(pattern, l)]

    def vigilctl(self, *args):
        return run([self.lab.vigilctl, "-s", self.control] + list(args))


class Fetcher:
    """The client fetching URL in a loop, one request every `interval` s, cycling through its
    source addresses. Each request is a fresh TCP connection (like a new browser), with a short
    timeout so an outage shows as a run of failures. Lines in LAB/NAME.fetch.log (JSON)."""

    def __init__(self, lab, host, url, sources, interval=0.1, timeout=0.5, name="client"):
        self.path = os.path.join(lab.dir, f"{name}.fetch.log")
        open(self.path, "w").close()
        self.proc = lab.spawn(["ip", "netns", "exec", host.ns, PY, os.path.abspath(__file__), "fetch-loop", url,
                               ",".join(sources), str(interval), str(timeout)], None, log=self.path)
        self.lab = lab

    def results(self, since=0.0):
        out = []
        with open(self.path) as f:
            for line in f:
                if line.startswith("{") and line.endswith("}\n"):
                    r = json.loads(line)
                    if r["t"] >= since:
                        out.append(r)
        return out

    def wait(self, what, predicate, timeout, since=0.0):
        """Waits until predicate(results since `since`) is true; returns those results."""
        def ok():
            check(self.proc.poll() is None, f"the client's fetch loop died:\n{tail(self.path)}")
            rs = self.results(since)
            return rs if predicate(rs) else None
        return wait_for(what, ok, timeout, interval=0.1)

    def stop(self):
        self.lab.stop(self.proc)


def answered_by(results):
    return [r["who"] for r in results if r["ok"]]


def outage(results, start, end):
    """The longest time the client went without any answer around an event: the largest gap
    between consecutive answers that ends after `start` and begins before `end`.
    Returns (last answer before the gap, first answer after it, seconds) or None."""
    done = sorted(r["done"] for r in results if r["ok"])
    gaps = [(a, b) for a, b in zip(done, done[1:]) if b > start and a < end]
    if not gaps:
        return None
    a, b = max(gaps, key=lambda g: g[1] - g[0])
    return a, b, b - a


def fetch_loop_main(url, sources, interval, timeout):
    """Runs in the client's namespace: GET url once per interval, print one JSON line each."""
    m = re.match(r"http://([^/:]+)(?::(\d+))?(/.*)?$", url)
    host, port, path = m.group(1), int(m.group(2) or 80), m.group(3) or "/"
    sources = sources.split(",")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    n = 0
    next_at = time.monotonic()
    while True:
        src = sources[n % len(sources)]
        n += 1
        t = time.time()
        r = {"t": round(t, 4), "src": src, "ok": False, "who": None}
        try:
            with socket.create_connection((host, port), timeout=timeout, source_address=(src, 0)) as s:
                s.settimeout(timeout)
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
            m2 = re.search(r"web\d+", body)
            r.update(ok=data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0], body=body,
                     who=m2.group(0) if m2 else body)
        except OSError as e:
            r["error"] = e.strerror or type(e).__name__
        r["done"] = round(time.time(), 4)
        print(json.dumps(r), flush=True)
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.monotonic()


def fetch(host, url, count=1, source=None, timeout=5):
    """`count` requests with one curl, the operator's tool; returns the page bodies. Each URL is
    a new connection ("Connection: close"), so IPVS schedules each one."""
    args = ["ip", "netns", "exec", host.ns, "curl", "-sS", "--max-time", str(timeout), "-H", "Connection: close"]
    if source:
        args += ["--interface", source]
    out = run(args + [url] * count, timeout=timeout * count + 10)
    return [line.strip() for line in out.strip().split("\n")]


# ---- the lab -------------------------------------------------------------------------------------

class Lab:
    """Namespaces, bridges and processes of one scenario; cleanup() removes all of them."""

    def __init__(self, name, build=None):
        check(os.environ.get("VIGIL_VM") == "1",
              f"run me inside the VM: tests/vm/vm-run -- {PY} {sys.argv[0]} ... (the host kernel has no IPVS)")
        check(os.geteuid() == 0, "needs root inside the VM")
        for tool in ("ip", "ipvsadm", "curl", "busybox", "sysctl"):
            check(shutil.which(tool) is not None, f"{tool} not found (scripts/install-deps installs it)")
        self.name = name
        self.vigild = os.path.join(build, "daemon", "vigild") if build else None
        self.vigilctl = os.path.join(build, "daemon", "vigilctl") if build else None
        share = os.environ.get("VIGIL_VM_SHARE")
        if share and os.path.isdir(share):
            self.dir = os.path.join(share, name)
            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
        else:
            self.dir = tempfile.mkdtemp(prefix=f"{name}-")
        self.run_dir = tempfile.mkdtemp(prefix=f"{name}-", dir="/run")
        self.namespaces, self.procs = [], []
        self.switch = "switch"
        self.hosts = {}
        # SIGTERM/SIGINT (vm-run's timeout, ctest's) must still run cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda s, _f: sys.exit(128 + s))

    def __enter__(self):
        run(["modprobe", "ip_vs"])
        run(["ip", "netns", "add", self.switch])
        self.namespaces.append(self.switch)
        run(["ip", "-n", self.switch, "link", "set", "lo", "up"])
        return self

    def __exit__(self, exc_type, exc, tb):
        self.cleanup()
        return False

    def bridge(self, name):
        run(["ip", "-n", self.switch, "link", "add", name, "type", "bridge"])
        run(["ip", "-n", self.switch, "link", "set", name, "up"])

    def host(self, name):
        h = Host(self, name)
        self.hosts[name] = h
        return h

    def spawn(self, args, name, log=None):
        out = open(log, "a") if log else subprocess.DEVNULL
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        if log:
            out.close()
        self.procs.append(p)
        return p

    def stop(self, proc, timeout=5):
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.reap_group(proc.pid)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass

    @staticmethod
    def reap_group(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def cleanup(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                self.reap_group(p.pid)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.namespaces = []
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def dump_logs(self):
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log") and not name.endswith("fetch.log"):
                print(f"----- {name} (last lines) -----")
                print(tail(os.path.join(self.dir, name)))


def sed_interface(src, dst, ifname):
    """The runbook's edit for a new machine: `interface ens33` -> the lab's NIC, nothing else."""
    with open(dst, "w") as out:
        subprocess.run(["sed", f"s/interface ens33/interface {ifname}/", src], stdout=out, check=True)
    return dst


def scenario_main(name, body, configure=None):
    """Common driver: `SCRIPT --daemon vigild|keepalived [--build DIR] [--demo]`; exit 0 = pass.
    configure(parser) may add the scenario's own options."""
    import argparse
    ap = argparse.ArgumentParser(description=f"seed scenario {name}, run inside the VM")
    ap.add_argument("--daemon", choices=["vigild", "keepalived"], default="vigild")
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build dir with daemon/vigild")
    ap.add_argument("--demo", action="store_true", help="narrate for an operator instead of terse test output")
    if configure:
        configure(ap)
    args = ap.parse_args()
    tag = f"{name}[{args.daemon}]"
    out = Narrator(tag, args.demo)
    lab = None
    try:
        if args.daemon == "vigild":
            for b in ("vigild", "vigilctl"):
                check(os.access(os.path.join(args.build, "daemon", b), os.X_OK),
                      f"{args.build}/daemon/{b} missing: build the vigild and vigilctl targets")
        else:
            check(shutil.which("keepalived") is not None, "keepalived not found (Debian package keepalived)")
        lab = Lab(f"{name}-{args.daemon}", args.build if args.daemon == "vigild" else None)
        with lab:
            body(lab, args, out)
    except Failure as e:
        print(f"{tag}: FAIL after {out.elapsed():.1f} s: {e}", flush=True)
        if lab is not None:
            lab.dump_logs()
        sys.exit(1)
    except Exception:
        import traceback
        traceback.print_exc()
        print(f"{tag}: FAIL after {out.elapsed():.1f} s (unexpected error)", flush=True)
        if lab is not None:
            lab.dump_logs()
        sys.exit(1)
    if not args.demo:
        print(f"{tag}: PASS in {out.elapsed():.1f} s", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "fetch-loop":
        fetch_loop_main(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    else:
        print(f"usage: {sys.argv[0]} fetch-loop URL SRC[,SRC...] INTERVAL TIMEOUT", file=sys.stderr)
        sys.exit(2)
