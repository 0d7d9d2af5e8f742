#!/usr/bin/python3
"""DOC: vigild's side of the sd_notify protocol, checked against a fake NOTIFY_SOCKET.

The test plays systemd: it binds an AF_UNIX datagram socket with SO_PASSCRED, starts vigild (one
VRRP instance in a lab namespace, tests/netns/vrrplab.py) with NOTIFY_SOCKET and WATCHDOG_USEC in
its environment, and records every datagram with its arrival time and the sender's pid. Checks:

  * READY=1 arrives once the daemon works: at that moment the control socket already answers;
  * STATUS= is short and follows the VRRP state ("VI_1 BACKUP" then "VI_1 MASTER");
  * WATCHDOG=1 comes at WATCHDOG_USEC/2 and never later than WATCHDOG_USEC (systemd would kill);
  * SIGHUP: RELOADING=1 then READY=1, also when the new file has errors (the unit must not stay
    in "reloading"); a reload through the control socket does the same; a dry run sends nothing;
  * SIGTERM: STOPPING=1 before the process exits with status 0, and no READY=1 after it;
  * every datagram comes from vigild's main pid (what NotifyAccess=main in the unit requires).

    python3 notify_socket_test.py notify_socket --vigild BUILD/daemon/vigild
"""

import array
import os
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "netns"))
from vrrplab import Daemon, Lab, check, config, instance, main, tail, wait_for  # noqa: E402

WATCHDOG_USEC = 600_000  # vigild pings every 300 ms


class FakeSystemd:
    """The manager's end of NOTIFY_SOCKET: every datagram as (monotonic time, sender pid, {key: value})."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.lock = threading.Lock()
        self.messages = []
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        cred_size = struct.calcsize("iII")
        while not self.closed:
            try:
                data, ancdata, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(cred_size))
            except OSError:
                return
            now = time.monotonic()
            pid = None
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:cred_size])[0]
            fields = {}
            for line in data.decode(errors="replace").split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    fields[k] = v
            with self.lock:
                self.messages.append((now, pid, fields))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def find(self, key, value=None, since=0):
        """Indexes of messages from `since` on that carry key (=value)."""
        return [i for i, (_, _, f) in enumerate(self.snapshot()) if i >= since and key in f
                and (value is None or f[key] == value)]

    def wait(self, key, value=None, since=0, timeout=5):
        return wait_for(f"{key}={value or '*'} on NOTIFY_SOCKET", lambda: self.find(key, value, since), timeout)[0]

    def close(self):
        self.closed = True
        self.sock.close()


def start_vigild(lab, host, conf_text, notify_path):
    path = os.path.join(lab.dir, f"{host.name}.conf")
    with open(path, "w") as f:
        f.write(conf_text)
    control = os.path.join(lab.dir, f"{host.name}.sock")
    args = ["env", f"NOTIFY_SOCKET={notify_path}", f"WATCHDOG_USEC={WATCHDOG_USEC}",
            lab.vigild, "-n", "-l", "-P", "-f", path, "--control-socket", control]
    # `ip netns exec` and `env` both exec: the Popen pid is vigild's own pid.
    return Daemon(lab, host, "vigild", args, os.path.join(lab.dir, f"{host.name}.vigild.log"), control=control), path


def notify_socket(vigild):
    with Lab("notify_socket", vigild) as lab:
        h1 = lab.host("h1", 1)
        fake = FakeSystemd(os.path.join(lab.dir, "notify.sock"))
        try:
            run_checks(lab, h1, fake)
        finally:
            fake.close()


def run_checks(lab, h1, fake):
    conf = config(instance(priority=150, advert="0.2"))
    started = time.monotonic()
    d, conf_path = start_vigild(lab, h1, conf, fake.path)

    # READY=1 means "working": the control socket must answer at that moment.
    ready = fake.wait("READY", "1", timeout=10)
    reply = d.request({"command": "status"})
    check(reply.get("ok"), f"READY=1 was sent but the control socket does not answer: {reply}")
    status_before_ready = fake.find("STATUS")
    check(status_before_ready, "no STATUS= line at all")
    print(f"READY=1 {1000 * (fake.snapshot()[ready][0] - started):.0f} ms after the exec; the control socket "
          f"answered at once")

    # STATUS= follows the VRRP state and stays short.
    fake.wait("STATUS", "VI_1 MASTER", timeout=5)
    statuses = [f["STATUS"] for _, _, f in fake.snapshot() if "STATUS" in f]
    check("VI_1 BACKUP" in statuses, f"STATUS never said 'VI_1 BACKUP' before MASTER: {statuses}")
    check(all(len(s) <= 80 for s in statuses), f"a STATUS= line is longer than 80 characters: {statuses}")
    print(f"STATUS= lines: {statuses}")

    # WATCHDOG=1 at half of WATCHDOG_USEC, from the loop, over two seconds of normal running.
    first = len(fake.snapshot())
    wait_for("7 WATCHDOG=1 pings", lambda: len(fake.find("WATCHDOG", "1", first)) >= 7, 5)
    times = [fake.snapshot()[i][0] for i in fake.find("WATCHDOG", "1")]
    gaps = [b - a for a, b in zip(times, times[1:])]
    print(f"WATCHDOG=1: {len(times)} pings, gaps {min(gaps) * 1000:.0f}-{max(gaps) * 1000:.0f} ms "
          f"(WATCHDOG_USEC {WATCHDOG_USEC // 1000} ms)")
    check(max(gaps) < WATCHDOG_USEC / 1e6, f"a watchdog gap of {max(gaps):.3f} s would have killed the service")
    check(min(gaps) > WATCHDOG_USEC / 1e6 / 4, f"watchdog pings too close together: {min(gaps):.3f} s")

    # SIGHUP with the same file: RELOADING=1, then READY=1, and the log says the reload was done.
    def reload_by(action, expect_log):
        mark = len(fake.snapshot())
        done_before = len(d.log_lines(expect_log))
        action()
        r = fake.wait("RELOADING", "1", since=mark, timeout=5)
        rd = fake.wait("READY", "1", since=r + 1, timeout=10)
        wait_for(f"log /{expect_log}/", lambda: len(d.log_lines(expect_log)) > done_before, 5)
        between = fake.snapshot()[r:rd + 1]
        check(not any("STOPPING" in f for _, _, f in between), "STOPPING during a reload")
        return fake.snapshot()[rd][0] - fake.snapshot()[r][0]

    took = reload_by(lambda: os.kill(d.proc.pid, signal.SIGHUP), r"reload: done, 0 change\(s\)")
    print(f"SIGHUP: RELOADING=1 -> READY=1 in {took * 1000:.1f} ms")

    # A file with errors: refused, but systemd must still get READY=1 (back to "running").
    with open(conf_path, "w") as f:
        f.write(conf.replace("priority 150", "priority 200\n  prority_typo 1"))
    took = reload_by(lambda: os.kill(d.proc.pid, signal.SIGHUP), r"keeping the running configuration")
    check(d.instance("VI_1")["priority"] == 150, "a refused reload changed the priority")
    print(f"SIGHUP with a broken file: refused, RELOADING=1 -> READY=1 in {took * 1000:.1f} ms")
    with open(conf_path, "w") as f:
        f.write(conf)

    # Through the control socket (vigilctl reload): the same pair; a dry run sends neither.
    took = reload_by(lambda: check(d.request({"command": "reload"}).get("ok"), "reload over the socket failed"),
                     r"reload: done")
    print(f"control-socket reload: RELOADING=1 -> READY=1 in {took * 1000:.1f} ms")
    mark = len(fake.snapshot())
    check(d.request({"command": "reload", "dry_run": True}).get("ok"), "dry run failed")
    # the next watchdog ping proves the loop went past the dry run's reply
    fake.wait("WATCHDOG", "1", since=mark, timeout=2)
    mark_after = fake.find("WATCHDOG", "1", mark)[0]
    check(not fake.find("RELOADING", since=mark) or fake.find("RELOADING", since=mark)[0] > mark_after,
          "a dry run sent RELOADING=1")

    # SIGTERM: STOPPING=1 first, then the exit.
    mark = len(fake.snapshot())
    os.kill(d.proc.pid, signal.SIGTERM)
    stopping = fake.wait("STOPPING", "1", since=mark, timeout=5)
    t_stopping = fake.snapshot()[stopping][0]
    d.wait_exit(10)
    exited = time.monotonic()
    rc = d.proc.returncode
    check(rc == 0, f"vigild exited with {rc} after SIGTERM:\n{tail(d.log_path)}")
    check(not fake.find("READY", since=stopping), "READY=1 after STOPPING=1")
    print(f"SIGTERM: STOPPING=1, exit status 0 {1000 * (exited - t_stopping):.0f} ms later")

    # NotifyAccess=main: every datagram from vigild's own pid.
    pids = {pid for _, pid, _ in fake.snapshot()}
    check(pids == {d.proc.pid}, f"notifications from pids {pids}, vigild is {d.proc.pid}")
    print(f"{len(fake.snapshot())} datagrams, all from vigild's main pid {d.proc.pid}")


if __name__ == "__main__":
    main({"notify_socket": notify_socket})
