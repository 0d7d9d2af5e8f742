"""DOC: opslab — what the operations tests add to lvslab (tests/vm/scenarios/lvslab.py) inside the VM.

  EchoServer     a line-echo TCP server on a real server ("web1 7\\n" for "7\\n"): long-lived
                 connections whose every round trip says which real server answered
  Conversation   a client holding ONE TCP connection to a virtual server and talking over it every
                 `interval` s; one JSON line per round trip, so a reset or a stall is seen at once
  Kprobes        exact counts of the kernel's IPVS work (ip_vs_genl_set_cmd and the add/edit/del
                 functions) from tracefs' kprobe_profile, with timestamps from `trace` when asked
  vigild helpers status --json, the reconciler's operation counter, metrics scraping

Everything is awaited with deadlines (lvslab.wait_for). Standard library only; the helper processes
are this file run with a sub-command inside a namespace:
    python3 opslab.py echo-server NAME PORT
    python3 opslab.py conversation ADDRESS PORT INTERVAL
    python3 opslab.py oneshot ADDRESS PORT COUNT        (COUNT fresh connections, one round trip each)
"""

import json
import os
import re
import signal
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scenarios"))
from lvslab import PY, Failure, check, run, tail, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "pylib"))
import prometheus_text  # noqa: E402


# ---- processes inside namespaces -----------------------------------------------------------------

def listening(pid, port):
    """True when the namespace of process `pid` has a TCP listener on `port` (its /proc/PID/net)."""
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                        return True
        except FileNotFoundError:
            pass
    return False


class EchoServer:
    def __init__(self, lab, host, name, port):
        self.proc = lab.spawn(["ip", "netns", "exec", host.ns, PY, os.path.abspath(__file__), "echo-server", name,
                               str(port)], None, log=os.path.join(lab.dir, f"{host.name}.echo.log"))
        wait_for(f"echo server on {host.name}:{port}",
                 lambda: check(self.proc.poll() is None, f"echo server on {host.name} died") or listening(self.proc.pid, port),
                 30)


class Conversation:
    """One long-lived TCP connection from `host` to address:port, a round trip every `interval` s."""

    def __init__(self, lab, host, address, port, interval=0.1, name="conversation"):
        self.path = os.path.join(lab.dir, f"{name}.log")
        open(self.path, "w").close()
        self.lab = lab
        self.proc = lab.spawn(["ip", "netns", "exec", host.ns, PY, os.path.abspath(__file__), "conversation", address,
                               str(port), str(interval)], None, log=self.path)
        self.connected = wait_for(f"{name} to connect", lambda: self._first("connected"), 30)

    def _first(self, event):
        check(self.proc.poll() is None or event == "closed", f"the conversation died:\n{tail(self.path)}")
        for r in self.records():
            if r.get("event") == event:
                return r
        return None

    def records(self):
        out = []
        with open(self.path) as f:
            for line in f:
                if line.startswith("{") and line.endswith("}\n"):
                    out.append(json.loads(line))
        return out

    def replies(self, since=0.0):
        return [r for r in self.records() if "who" in r and r["t"] >= since]

    def errors(self):
        return [r for r in self.records() if r.get("event") == "error"]

    def who(self):
        rs = self.replies()
        check(rs, "no reply on the conversation yet")
        return rs[-1]["who"]

    def wait_replies(self, count, since, timeout):
        """Waits for `count` round trips after `since`; fails at once when the connection broke."""
        def enough():
            check(not self.errors(), f"the long-lived connection broke: {self.errors()}")
            check(self.proc.poll() is None, f"the conversation exited:\n{tail(self.path)}")
            return len(self.replies(since)) >= count
        wait_for(f"{count} round trips on the long-lived connection", enough, timeout)
        return self.replies(since)

    def close(self, timeout=10):
        """The client closes its connection (FIN), as a finished download would."""
        check(not self.errors(), f"the long-lived connection broke: {self.errors()}")
        os.kill(self.proc.pid, signal.SIGTERM)
        wait_for("the conversation to close", lambda: self.proc.poll() is not None, timeout)
        check(self._first("closed") is not None, f"the conversation did not close cleanly:\n{tail(self.path)}")
        return time.time()


def fresh_connections(lab, host, address, port, count):
    """`count` new connections from `host`, one round trip each: the list of who answered."""
    out = run(["ip", "netns", "exec", host.ns, PY, os.path.abspath(__file__), "oneshot", address, str(port), str(count)],
              timeout=60)
    return out.split()


def proc_dests(host):
    """{(service, dest): (weight, active, inactive)} from the namespace's /proc/net/ip_vs
    ("TCP 12.0.0.1:7000", "192.168.200.110:7000")."""
    from lvslab import _hex_endpoint
    out, current = {}, None
    with open(f"/proc/{host.anchor.pid}/net/ip_vs") as f:
        for line in f.read().split("\n")[3:]:
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "->":
                out[(current, _hex_endpoint(fields[1]))] = (int(fields[3]), int(fields[4]), int(fields[5]))
            else:
                current = f"{fields[0]} {_hex_endpoint(fields[1])}"
    return out


def oneshot_main(address, port, count):
    for i in range(count):
        with socket.create_connection((address, port), timeout=5) as s:
            s.sendall(b"1\n")
            print(s.makefile("rb").readline().decode().split(" ")[0], flush=True)


def echo_server_main(name, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(64)

    def serve(conn):
        with conn:
            f = conn.makefile("rb")
            for line in f:
                conn.sendall(f"{name} ".encode() + line)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def conversation_main(address, port, interval):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    out = lambda r: print(json.dumps(r), flush=True)
    try:
        s = socket.create_connection((address, port), timeout=5)
    except OSError as e:
        out({"t": time.time(), "event": "error", "error": f"connect: {e}"})
        sys.exit(1)
    s.settimeout(2)
    out({"t": time.time(), "event": "connected", "local_port": s.getsockname()[1]})
    f = s.makefile("rb")
    n = 0
    next_at = time.monotonic()
    while not stop:
        n += 1
        try:
            s.sendall(f"{n}\n".encode())
            line = f.readline().decode().strip()
            if not line:
                raise OSError("connection closed by the other side")
            who, _, echoed = line.partition(" ")
            if echoed != str(n):
                raise OSError(f"wrong echo {line!r} for {n}")
            out({"t": round(time.time(), 4), "n": n, "who": who})
        except OSError as e:
            out({"t": time.time(), "event": "error", "error": str(e) or type(e).__name__})
            sys.exit(1)
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    out({"t": time.time(), "event": "closed", "round_trips": n})


# ---- kernel counters -----------------------------------------------------------------------------

class Kprobes:
    """Counts calls into the kernel's IPVS code (tests/vm/README.md, shared/reference/ipvs-vm.md).

    kprobe_profile's hit counts are exact and cost nothing to read; `ip netns exec` remounts /sys,
    so tracefs is mounted under /run. Functions the compiler inlined cannot be probed: those are
    left out and said so; ip_vs_genl_set_cmd (every IPVS_CMD_* that changes the table) must work."""

    FUNCTIONS = ["ip_vs_genl_set_cmd", "ip_vs_add_service", "ip_vs_edit_service", "ip_vs_unlink_service",
                 "ip_vs_add_dest", "ip_vs_edit_dest", "ip_vs_del_dest", "ip_vs_flush"]
    GROUP = "vigilops"

    def __init__(self, trace_times=False):
        self.dir = "/run/ops-tracefs"
        os.makedirs(self.dir, exist_ok=True)
        if not os.path.exists(os.path.join(self.dir, "kprobe_events")):
            run(["mount", "-t", "tracefs", "nodev", self.dir])
        self.probes = []
        self.missing = []
        for fn in self.FUNCTIONS:
            try:
                self._append("kprobe_events", f"p:{self.GROUP}/{fn} {fn}\n")
                self.probes.append(fn)
            except OSError as e:
                self.missing.append(f"{fn} ({e.strerror})")
        check("ip_vs_genl_set_cmd" in self.probes,
              f"cannot place a kprobe on ip_vs_genl_set_cmd (is ip_vs loaded? kprobes in this kernel?): {self.missing}")
        if trace_times:
            self._write("trace_clock", "mono")
            self._write("trace", "")
        self._write(f"events/{self.GROUP}/enable", "1")

    def _write(self, name, text, flags=os.O_TRUNC):
        # os.open/os.write: Python's buffered files seek, which tracefs files refuse
        fd = os.open(os.path.join(self.dir, name), os.O_WRONLY | flags)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)

    def _append(self, name, text):
        self._write(name, text, os.O_APPEND)

    def counts(self):
        out = {fn: 0 for fn in self.probes}
        with open(os.path.join(self.dir, "kprobe_profile")) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 2 and fields[0] in out:
                    out[fields[0]] = int(fields[1])
        return out

    @staticmethod
    def delta(after, before):
        return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}

    def times(self, fn):
        """Monotonic timestamps (s) of the recorded hits of `fn` (trace_times=True)."""
        out = []
        with open(os.path.join(self.dir, "trace")) as f:
            for line in f:
                m = re.search(r"\s(\d+\.\d+): " + re.escape(fn) + r":", line)
                if m:
                    out.append(float(m.group(1)))
        return out

    def close(self):
        try:
            self._write(f"events/{self.GROUP}/enable", "0")
            for fn in self.probes:
                self._append("kprobe_events", f"-:{self.GROUP}/{fn}\n")
        except OSError:
            pass


# ---- vigild --------------------------------------------------------------------------------------

def status(daemon):
    reply = json.loads(daemon.vigilctl("status", "--json"))
    check(reply.get("ok"), f"vigilctl status --json: {reply}")
    return reply["status"]


def reconciler(daemon):
    return status(daemon)["ipvs"]["reconciler"]


def real_server(daemon, vs_key, rs):
    for vs in status(daemon)["ipvs"]["virtual_servers"]:
        if vs["key"] == vs_key:
            for r in vs["real_servers"]:
                if r["address"] == rs:
                    return r
    return None


def wait_round(daemon, after_rounds, timeout=15):
    """Waits until the reconciler finished a full round after `after_rounds` full rounds."""
    return wait_for("a full reconcile round", lambda: (r := reconciler(daemon))["full_rounds"] > after_rounds and r,
                    timeout, interval=0.2)


def scrape(host, port, path="/metrics"):
    return run(["ip", "netns", "exec", host.ns, "curl", "-sS", "--max-time", "10", f"http://127.0.0.1:{port}{path}"])


def samples(text):
    return prometheus_text.samples(text, check)


def sample(s, name, **labels):
    return prometheus_text.value(s, name, check, **labels)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "echo-server":
        echo_server_main(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "oneshot":
        oneshot_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 5 and sys.argv[1] == "conversation":
        conversation_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        print(f"usage: {sys.argv[0]} echo-server NAME PORT | conversation ADDRESS PORT INTERVAL", file=sys.stderr)
        sys.exit(2)
