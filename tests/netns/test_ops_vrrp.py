"""DOC: Operating vigild's VRRP side, as an operator would, in the namespace lab (vrrplab.py).

  ops_status        vigilctl status / status --json: state, priority, master's address (both routers)
  ops_demote        vigilctl demote moves mastership to the peer with no lost ping; promote takes it back
  ops_garp          vigilctl garp: a burst of gratuitous ARPs on the wire; refused on a backup
  ops_bad_input     unknown instance / command, missing argument, malformed JSON on the socket, a
                    non-root client: each refused with a clear message and a non-zero exit
  ops_reload        unchanged file: "0 change(s)", no transition, no election; broken file: old state
                    kept, file:line logged; vigild --reload-plan and vigilctl reload --dry-run apply nothing
  ops_state_dump    SIGUSR1 writes keepalived's state dump to state_dump_file
  ops_log_level     --log-level warning / debug and vigil_log_level change what is logged
  ops_log_fields    one line per transition with its reason, carrying VRRP_INSTANCE= VRID= STATE=

    python3 test_ops_vrrp.py ops_status --vigild BUILD/daemon/vigild    (vigilctl next to vigild)
"""

import json
import os
import re
import signal
import socket
import subprocess
import time

from vrrplab import Lab, Missing, check, config, instance, main, wait_for

VIP = "198.18.0.100"
GARP = r"ARP \(0x0806\), length \d+: Request who-has 198\.18\.0\.100 (\(ff:ff:ff:ff:ff:ff\) )?tell 198\.18\.0\.100"
ADVERT = 0.2                               # advert_int of the lab's instances
MDI_BACKUP = 3 * ADVERT + (256 - 100) / 256 * ADVERT  # Master_Down_Interval of the priority-100 backup


def vigilctl_path(vigild):
    path = os.path.join(os.path.dirname(vigild), "vigilctl")
    if not os.access(path, os.X_OK):
        raise Missing(f"vigilctl at {path} (build the vigilctl target)")
    return path


def ctl(lab, daemon, *args, user=None, timeout=10):
    """vigilctl -s SOCKET ARGS... → (exit status, stdout, stderr). user: run as that uid via setpriv."""
    cmd = [vigilctl_path(lab.vigild), "-s", daemon.control] + list(args)
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def ok(lab, daemon, *args):
    rc, out, err = ctl(lab, daemon, *args)
    check(rc == 0, f"vigilctl {' '.join(args)} exited {rc}: {err.strip()}")
    return out


def pair(lab, p1=150, p2=100, sniff=True, extra1="", extra2="", global_defs=""):
    h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
    if sniff:
        lab.sniff()
    d1 = h1.vigild(config(instance(priority=p1, extra=extra1), global_defs=global_defs))
    d2 = h2.vigild(config(instance(priority=p2, extra=extra2), global_defs=global_defs))
    d1.wait_state("VI_1", "MASTER", 5)
    d2.wait_state("VI_1", "BACKUP", 5)
    h1.wait_address(VIP, True, 2)
    # the backup learns the master's address from its first accepted advert
    wait_for("the backup to know its master", lambda: d2.instance("VI_1")["master"], 2)
    return h1, h2, d1, d2


def raw_request(daemon, data, timeout=5):
    """Bytes straight to the control socket; returns the reply line (b"" when the daemon hangs up)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(daemon.control)
        s.sendall(data)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply
    finally:
        s.close()


# ---- status ------------------------------------------------------------------------------------

def ops_status(vigild):
    with Lab("ops_status", vigild) as lab:
        h1, h2, d1, d2 = pair(lab, sniff=False)
        for d, state, prio in ((d1, "MASTER", 150), (d2, "BACKUP", 100)):
            text = ok(lab, d, "status")
            print(f"--- vigilctl status on {d.host.name}\n{text.rstrip()}")
            row = re.search(r"^\s+VI_1\s+(\S+)\s+(\d+)/(\d+)\s+(\S+)\s+(.*)$", text, re.M)
            check(row is not None, f"no VI_1 row in `vigilctl status`:\n{text}")
            check(row.group(1) == state, f"status shows state {row.group(1)}, expected {state}")
            check(int(row.group(2)) == prio and int(row.group(3)) == prio, f"status shows priority {row.group(2)}/{row.group(3)}")
            check(row.group(4) == "198.18.0.1", f"master's address shown as {row.group(4)}, expected 198.18.0.1")
            check(VIP in row.group(5), f"VIP not listed: {row.group(5)}")

            js = json.loads(ok(lab, d, "status", "--json"))
            check(js.get("ok") is True, f"status --json: ok is not true: {js}")
            inst = [i for i in js["status"]["vrrp"]["instances"] if i["name"] == "VI_1"]
            check(len(inst) == 1, "status --json: no VI_1")
            i = inst[0]
            for key, want in (("state", state), ("priority", prio), ("base_priority", prio), ("vrid", 51),
                              ("master", "198.18.0.1"), ("interface", "eth0")):
                check(i.get(key) == want, f"status --json on {d.host.name}: {key} = {i.get(key)!r}, expected {want!r}")
            check(i["adverts_sent" if state == "MASTER" else "adverts_received"] > 0, "advert counters did not move")
        # --json before the subcommand means the same
        js2 = json.loads(ok(lab, d1, "--json", "status"))
        check(js2["status"]["vrrp"]["instances"][0]["state"] == "MASTER", "vigilctl --json status differs")
        print("status and status --json agree on both routers")


# ---- demote / promote --------------------------------------------------------------------------

def ops_demote(vigild):
    with Lab("ops_demote", vigild) as lab:
        h1, h2, d1, d2 = pair(lab)
        h3 = lab.host("h3", 3)
        h3.sh(f"ping -c 1 -W 1 {VIP}")  # the client's ARP entry for the VIP → h1

        pinger = h3.pinger(VIP, 400)  # 2 s at 5 ms
        time.sleep(0.3)  # traffic flows before the demote (not synchronisation)
        t = time.time()
        out = ok(lab, d1, "demote", "VI_1")
        check("ok" in out, f"vigilctl demote printed {out!r}")
        d2.wait_state("VI_1", "MASTER", 3)
        d1.wait_state("VI_1", "BACKUP", 3)
        taken = h2.wait_address(VIP, True, 1)
        h1.wait_address(VIP, False, 1)
        sent, received = pinger.result()
        st1 = d1.instance("VI_1")
        print(f"demote: VIP on h2 {1000 * (taken - t):.0f} ms after the command; client lost "
              f"{sent - received} of {sent} pings (5 ms)")
        check(sent - received == 0, f"demote lost {sent - received} pings: a planned handover must be lossless")
        check(st1["demoted"] is True, f"h1 not marked demoted: {st1}")
        check(d2.instance("VI_1")["master"] == "198.18.0.2", "h2 does not report itself as master")
        check(d1.instance("VI_1")["master"] == "198.18.0.2", "h1 does not report h2 as master")
        # demoted means it stays backup although it has the higher priority (preempt is on)
        before = d1.instance("VI_1")["transitions"]
        time.sleep(3 * MDI_BACKUP)  # watching for a preemption that must not happen
        check(d1.state("VI_1") == "BACKUP" and d1.instance("VI_1")["transitions"] == before,
              "demoted h1 preempted the peer")
        text = ok(lab, d1, "status")
        check(re.search(r"VI_1\s+BACKUP", text), f"status after demote:\n{text}")

        pinger = h3.pinger(VIP, 400)
        time.sleep(0.3)
        t = time.time()
        ok(lab, d1, "promote", "VI_1")
        d1.wait_state("VI_1", "MASTER", 3)
        d2.wait_state("VI_1", "BACKUP", 3)
        back = h1.wait_address(VIP, True, 1)
        h2.wait_address(VIP, False, 2)
        sent, received = pinger.result()
        print(f"promote: VIP back on h1 {1000 * (back - t):.0f} ms after the command; client lost "
              f"{sent - received} of {sent} pings")
        check(d1.instance("VI_1")["demoted"] is False, "h1 still marked demoted after promote")
        # the old master h2 hands over losslessly when it sees the higher priority (preemption)
        check(sent - received <= 2, f"promote lost {sent - received} pings")


# ---- garp --------------------------------------------------------------------------------------

def ops_garp(vigild):
    with Lab("ops_garp", vigild) as lab:
        h1, h2, d1, d2 = pair(lab)
        mac1 = h1.mac()
        repeat = 3
        lab_conf = os.path.join(lab.dir, "h1.conf")
        # a configured burst size makes the count exact
        with open(lab_conf, "w") as f:
            f.write(config(instance(priority=150), global_defs=f"  vrrp_garp_master_repeat {repeat}\n"))
        ok(lab, d1, "reload")
        before = d1.instance("VI_1")
        wait_for("the start-up GARPs to be over", lambda: not lab.wire(rf"^{mac1} .*{GARP}", time.time() - 1), 5)
        t = time.time()
        ok(lab, d1, "garp", "VI_1")
        lab.wait_wire(rf"^{mac1} .*{GARP}", 2, t)
        wait_for(f"{repeat} GARPs", lambda: len(lab.wire(rf"^{mac1} .*{GARP}", t)) >= repeat, 3)
        time.sleep(0.5)  # a burst must not go on: look a little longer
        frames = lab.wire(rf"^{mac1} .*{GARP}", t)
        after = d1.instance("VI_1")
        print(f"vigilctl garp: {len(frames)} gratuitous ARPs for {VIP} from h1's MAC, first "
              f"{1000 * (frames[0][0] - t):.1f} ms after the command")
        check(len(frames) == repeat, f"expected a burst of {repeat} GARPs, saw {len(frames)}")
        check(after["gratuitous_bursts"] == before["gratuitous_bursts"] + 1, "gratuitous_bursts did not count it")
        check(after["transitions"] == before["transitions"], "garp changed the state")
        rc, _, err = ctl(lab, d2, "garp", "VI_1")
        check(rc != 0 and "not master" in err, f"garp on the backup: exit {rc}, {err.strip()!r}")
        print(f"garp on the backup refused: {err.strip()}")


# ---- bad input ---------------------------------------------------------------------------------

def ops_bad_input(vigild):
    with Lab("ops_bad_input", vigild) as lab:
        h1 = lab.host("h1", 1)
        d1 = h1.vigild(config(instance(priority=150)))
        d1.wait_state("VI_1", "MASTER", 5)
        cases = [
            (("demote", "VI_X"), 1, r"no vrrp_instance 'VI_X'"),
            (("promote", "VI_X"), 1, r"no vrrp_instance 'VI_X'"),
            (("garp", "VI_X"), 1, r"no vrrp_instance 'VI_X'"),
            (("frobnicate",), 64, r"unknown command 'frobnicate'"),
            ((), 64, r"a command is required"),
            (("demote",), 64, r"instance is required"),
            (("drain", "1.2.3.4:80/tcp"), 64, r"real_server is required"),
            (("status", "--bogus"), 64, r"--bogus"),
            (("status", "extra"), 64, r"not expected: extra"),
            # -P: no IPVS subsystem, so drain is not a command this daemon knows
            (("drain", "1.2.3.4:80/tcp", "5.6.7.8:80"), 1, r"unknown command 'drain'"),
        ]
        for args, want_rc, pattern in cases:
            rc, out, err = ctl(lab, d1, *args)
            check(rc == want_rc, f"vigilctl {' '.join(args)}: exit {rc}, expected {want_rc}")
            check(re.search(pattern, err), f"vigilctl {' '.join(args)}: stderr {err.strip()!r} lacks /{pattern}/")
            print(f"vigilctl {' '.join(args):40} exit {rc}: {err.strip().splitlines()[0]}")

        # straight to the socket
        for data, pattern in [(b"{not json\n", r"bad request"), (b"[1, 2]\n", r"not a JSON object"),
                              (b"{}\n", r"no \"command\""), (b'{"command": "frobnicate"}\n', r"unknown command"),
                              (b'{"command": "demote", "arguments": {"instance": 5}}\n', r"needs"),
                              (b'{"command": "demote", "arguments": "VI_1"}\n', r'"arguments" must be an object'),
                              (b'{"command": 5}\n', r'"command" must be a string'),
                              (b'{"command": "reload", "dry_run": "yes"}\n', r'"dry_run" must be true or false'),
                              (b"x" * 70000, r"bad request")]:  # longer than the 64 KiB line bound
            reply = json.loads(raw_request(d1, data).decode() or "{}")
            check(reply.get("ok") is False and re.search(pattern, reply.get("error", "")),
                  f"socket request {data[:60]!r}: reply {reply}")
            print(f"socket {data[:50]!r:56} -> {reply['error'][:70]}")
        check(d1.alive() and d1.state("VI_1") == "MASTER", "bad requests disturbed the daemon")

        # no daemon behind the socket
        rc, _, err = subprocess.run([vigilctl_path(vigild), "-s", os.path.join(lab.dir, "nothing.sock"), "status"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).returncode, None, None
        check(rc == 2, f"vigilctl without a daemon exited {rc}, expected 2")

        # a client that is not root: the socket's mode refuses it (no group/other bits, root's) ...
        mode = os.stat(d1.control).st_mode & 0o777
        check(mode & 0o077 == 0 and os.stat(d1.control).st_uid == 0, f"control socket mode {oct(mode)}: not root's only")
        os.chmod(lab.dir, 0o711)  # let uid 65534 reach the socket file itself
        try:
            rc, _, err = ctl(lab, d1, "status", user=65534)
            check(rc == 2 and re.search(r"cannot connect.*(Permission denied|root)", err),
                  f"non-root client: exit {rc}, {err.strip()!r}")
            print(f"non-root client, socket {oct(mode)}: exit {rc}: {err.strip()}")
            # ... and the daemon checks the peer's credentials even if the mode were wrong
            os.chmod(d1.control, 0o666)
            rc, _, err = ctl(lab, d1, "demote", "VI_1", user=65534)
            check(rc != 0 and re.search(r"root", err), f"non-root client on a 0666 socket: exit {rc}, {err.strip()!r}")
            print(f"non-root client, socket 0666: exit {rc}: {err.strip()}")
            wait_for("the refusal in the log", lambda: d1.log_lines(r"refused a client that is not root.*UID=65534"), 2)
            check(d1.state("VI_1") == "MASTER" and not d1.instance("VI_1")["demoted"], "a non-root client demoted VI_1")
        finally:
            os.chmod(lab.dir, 0o700)


# ---- reload ------------------------------------------------------------------------------------

def ops_reload(vigild):
    with Lab("ops_reload", vigild) as lab:
        h1, h2, d1, d2 = pair(lab)
        mac1, mac2 = h1.mac(), h2.mac()
        conf_path = os.path.join(lab.dir, "h1.conf")
        good = open(conf_path).read()
        trans = lambda: (d1.instance("VI_1")["transitions"], d2.instance("VI_1")["transitions"])
        before = trans()

        # 1. unchanged file: nothing changes, nobody elects
        t = time.time()
        out = ok(lab, d1, "reload")
        check("no changes" in out, f"vigilctl reload of an unchanged file printed {out!r}")
        wait_for("'0 change(s)' in the log", lambda: d1.log_lines(r"reload: done, 0 change\(s\)"), 3)
        d1.signal(signal.SIGHUP)
        wait_for("second '0 change(s)'", lambda: len(d1.log_lines(r"reload: done, 0 change\(s\)")) >= 2, 3)
        time.sleep(2 * MDI_BACKUP)  # watch longer than the backup's Master_Down_Interval
        check(trans() == before, f"unchanged reloads caused transitions {before} -> {trans()}")
        check(not lab.wire(rf"^{mac2} .*vrid 51", t), "the backup sent adverts: an election took place")
        check(not lab.wire(rf"^{mac1} .*prio 0", t), "the master sent priority 0")
        adverts = [ts for ts, _ in lab.wire(rf"^{mac1} .*vrid 51, prio 150", t - 0.5)]
        gap = max(b - a for a, b in zip(adverts, adverts[1:]))
        check(gap < 1.5 * ADVERT, f"advert gap {gap * 1000:.0f} ms around the reloads")
        print(f"unchanged reload x2 (vigilctl, SIGHUP): '0 change(s)', no transition, no backup advert, "
              f"largest advert gap {gap * 1000:.0f} ms")

        # 2. a broken file: refused with file:line, the running state stays
        broken = good.replace("priority 150", "priority 200\n  advert_intt 1")
        with open(conf_path, "w") as f:
            f.write(broken)
        bad_line = broken.split("\n").index("  advert_intt 1") + 1
        n_refused = len(d1.log_lines(r"keeping the running configuration"))
        d1.signal(signal.SIGHUP)
        wait_for("the refusal", lambda: len(d1.log_lines(r"keeping the running configuration")) > n_refused, 3)
        loc = rf"{re.escape(conf_path)}:{bad_line}:\d+: error: .*advert_intt"
        check(d1.log_lines(loc), f"no log line /{loc}/")
        print(f"broken file (SIGHUP): {d1.log_lines(loc)[-1].split(' ', 3)[-1][:110]}")
        rc, out, err = ctl(lab, d1, "reload")
        check(rc == 1 and re.search(loc, err), f"vigilctl reload of a broken file: exit {rc}, {err.strip()!r}")
        print(f"broken file (vigilctl reload): exit {rc}: {err.strip().splitlines()[0]}")
        rc, out, err = ctl(lab, d1, "reload", "--dry-run")
        check(rc == 1 and re.search(loc, err), f"vigilctl reload --dry-run of a broken file: exit {rc}")
        # a byte that is not UTF-8 (Latin-1 'é' in a misspelt keyword): the JSON reply carries it
        # as U+FFFD; it once made the reply throw out of the loop
        with open(conf_path, "wb") as f:
            f.write(good.replace("priority 150", "priority 200\n  advert_int\u00e9 1").encode("latin-1"))
        rc, out, err = ctl(lab, d1, "reload")
        check(rc == 1 and "advert_int\ufffd" in err, f"vigilctl reload of a Latin-1 file: exit {rc}, {err.strip()!r}")
        check(d1.instance("VI_1")["priority"] == 150, "vigild did not answer after the Latin-1 reload")
        print(f"Latin-1 byte (vigilctl reload): exit {rc}: {err.strip().splitlines()[0][-60:]}")
        with open(conf_path, "w") as f:
            f.write(broken)
        st = d1.instance("VI_1")
        check(st["priority"] == 150 and st["base_priority"] == 150, f"a refused reload changed the priority: {st}")
        check(trans() == before and st["state"] == "MASTER", "a refused reload changed the state")
        lab.wait_wire(rf"^{mac1} .*vrid 51, prio 150", 1, time.time())
        check(not lab.wire(rf"^{mac1} .*prio 200", t), "priority 200 went on the wire")

        # 3. plans: --reload-plan of another file and reload --dry-run of the own file apply nothing
        new_path = os.path.join(lab.dir, "h1.new.conf")
        with open(new_path, "w") as f:
            f.write(good.replace("priority 150", "priority 160"))
        r = subprocess.run([vigild, "--reload-plan", "-f", new_path, "--control-socket", d1.control],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
        check(r.returncode == 0 and "vrrp: ~ VI_1 priority 150 -> 160" in r.stdout,
              f"--reload-plan: exit {r.returncode}, {r.stdout!r} {r.stderr!r}")
        print(f"vigild --reload-plan -f NEW: {r.stdout.strip()}")
        with open(new_path, "w") as f:
            f.write(broken)
        r = subprocess.run([vigild, "--reload-plan", "-f", new_path, "--control-socket", d1.control],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
        check(r.returncode == 2 and "advert_intt" in r.stderr, f"--reload-plan of a broken file: exit {r.returncode}")
        with open(conf_path, "w") as f:
            f.write(good.replace("priority 150", "priority 170"))
        out = ok(lab, d1, "reload", "--dry-run")
        check("reload would change:" in out and "~ VI_1 priority 150 -> 170" in out, f"dry run printed {out!r}")
        n_done = len(d1.log_lines(r"reload: done"))
        check(d1.instance("VI_1")["priority"] == 150, "a plan changed the priority")
        lab.wait_wire(rf"^{mac1} .*vrid 51, prio 150", 1, time.time())
        check(len(d1.log_lines(r"reload: done")) == n_done, "a plan was applied")
        print(f"vigilctl reload --dry-run: {out.strip().splitlines()[-1].strip()} (not applied)")

        # 4. and the real thing, for contrast
        out = ok(lab, d1, "reload")
        check("~ VI_1 priority 150 -> 170" in out, f"reload printed {out!r}")
        wait_for("priority 170", lambda: d1.instance("VI_1")["priority"] == 170, 2)
        check(trans() == before, "an in-place priority change caused a transition")


# ---- SIGUSR1 -----------------------------------------------------------------------------------

def ops_state_dump(vigild):
    with Lab("ops_state_dump", vigild) as lab:
        dump = os.path.join(lab.dir, "state.data")
        h1, h2, d1, d2 = pair(lab, sniff=False, global_defs=f"  state_dump_file {dump}\n")
        t = time.time()
        d2.signal(signal.SIGUSR1)
        wait_for("the state dump", lambda: os.path.exists(dump) and "Effective priority" in open(dump).read(), 3)
        text = open(dump).read()
        print(f"--- SIGUSR1 on the backup wrote {dump}:\n{text.rstrip()}")
        for pattern in (r"VRRP Instance = VI_1", r"State = BACKUP", r"Master router = 198\.18\.0\.1",
                        r"Virtual Router ID = 51", r"Priority = 100", rf"{re.escape(VIP)}/32"):
            check(re.search(pattern, text), f"state dump lacks /{pattern}/")
        wait_for("the log line for the dump", lambda: d2.log_lines(rf"state dump written to {re.escape(dump)}"), 2)
        check(d2.alive() and d2.state("VI_1") == "BACKUP", "SIGUSR1 disturbed the daemon")
        check(os.stat(dump).st_mtime >= t - 1, "the dump is older than the signal")


# ---- logs --------------------------------------------------------------------------------------

LEVEL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (trace|debug|info|warning|error|critical)\s")


def levels(daemon):
    out = {}
    for _, line in daemon.out.snapshot():
        m = LEVEL.match(line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + 1
    return out


def ops_log_level(vigild):
    with Lab("ops_log_level", vigild) as lab:
        h1, h2, h3 = lab.host("h1", 1), lab.host("h2", 2), lab.host("h3", 3)
        c = lambda p, g="": config(instance(priority=p), global_defs=g)
        # the master has debug-level news (its addresses); the backups' transitions are info lines
        loud = h1.vigild(c(150), extra=("--log-level", "debug"), debug=False)
        quiet = h2.vigild(c(100), extra=("--log-level", "warning"), debug=False)
        by_conf = h3.vigild(c(50, "  vigil_log_level warning\n"), debug=False)
        loud.wait_state("VI_1", "MASTER", 5)
        quiet.wait_state("VI_1", "BACKUP", 5)
        by_conf.wait_state("VI_1", "BACKUP", 5)
        wait_for("debug lines from the debug daemon", lambda: levels(loud).get("debug", 0) > 0, 3)
        # something worth an error on every daemon: a reload of a broken file
        for d in (loud, quiet, by_conf):
            path = os.path.join(lab.dir, f"{d.host.name}.conf")
            with open(path, "a") as f:
                f.write("bogus_keyword\n")
            d.signal(signal.SIGHUP)
            wait_for(f"the refusal on {d.host.name}", lambda: d.log_lines(r"keeping the running configuration"), 3)
        lv = {d.host.name: levels(d) for d in (loud, quiet, by_conf)}
        print(f"lines per level: {lv}")
        for name in ("h2", "h3"):
            check(lv[name].get("error", 0) >= 1, f"{name} (warning level) did not log the error")
            check(not lv[name].get("info") and not lv[name].get("debug"), f"{name} (warning level) logged below warning")
        check(lv["h1"].get("info", 0) >= 1 and lv["h1"].get("debug", 0) >= 1, "h1 (debug level) lacks info/debug lines")
        check(lv["h1"].get("error", 0) >= 1, "h1 did not log the error")
        # a reload applies a new vigil_log_level (no restart needed to debug)
        with open(os.path.join(lab.dir, "h3.conf"), "w") as f:
            f.write(c(50, "  vigil_log_level debug\n"))
        by_conf.signal(signal.SIGHUP)
        wait_for("h3's reload", lambda: by_conf.log_lines(r"reload: done"), 3)
        check(by_conf.log_lines(r"log level now debug"), "h3 did not say its log level changed")
        check(levels(by_conf).get("info", 0) >= 1, "h3 logs no info line after vigil_log_level debug")
        print(f"reload with vigil_log_level debug: h3 now {levels(by_conf)}")
        # the command line wins over the file
        h4 = lab.host("h4", 4)
        d4 = h4.vigild(c(40, "  vigil_log_level warning\n"), extra=("--log-level", "info"), debug=False)
        d4.wait_state("VI_1", "BACKUP", 5)
        wait_for("info lines from h4", lambda: levels(d4).get("info", 0) >= 1, 2)
        print("--log-level info overrides vigil_log_level warning")


def ops_log_fields(vigild):
    with Lab("ops_log_fields", vigild) as lab:
        h1, h2, d1, d2 = pair(lab, sniff=False)
        ok(lab, d1, "demote", "VI_1")
        d2.wait_state("VI_1", "MASTER", 3)
        d1.wait_state("VI_1", "BACKUP", 3)
        ok(lab, d1, "promote", "VI_1")
        d1.wait_state("VI_1", "MASTER", 3)
        d2.wait_state("VI_1", "BACKUP", 3)
        for d in (d1, d2):
            lines = d.log_lines(r"\[VI_1/v4\] \w+ -> \w+")
            n = d.instance("VI_1")["transitions"]
            print(f"--- {d.host.name}: {n} transitions, {len(lines)} transition lines")
            for l in lines:
                print("   " + l)
            check(len(lines) == n, f"{d.host.name}: {len(lines)} transition lines for {n} transitions")
            for l in lines:
                m = re.search(r"\[VI_1/v4\] (\w+) -> (\w+) \(([^)]+)\)", l)
                check(m is not None, f"transition line without a (reason): {l}")
                for field in ("VRRP_INSTANCE=VI_1", "VRID=51", f"STATE={m.group(2).upper()}", "REASON="):
                    check(f" {field}" in l, f"transition line lacks {field}: {l}")


if __name__ == "__main__":
    main({"ops_status": ops_status, "ops_demote": ops_demote, "ops_garp": ops_garp, "ops_bad_input": ops_bad_input,
          "ops_reload": ops_reload, "ops_state_dump": ops_state_dump, "ops_log_level": ops_log_level,
          "ops_log_fields": ops_log_fields})
