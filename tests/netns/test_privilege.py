"""DOC: Least privilege, shown in the namespace lab:
  caps             vigild with only CAP_NET_ADMIN + CAP_NET_RAW (setpriv: bounding set, no inheritable
                   or ambient capabilities) elects, moves the VIP on a crash and takes it back;
  script_user      notify and vrrp_script scripts run as `script_user` (a system user created for the
                   test and removed after), with no capabilities;
  script_security  with enable_script_security a script in a world-writable directory is refused and
                   the log says why, while a safe script next to it runs;
  no_shell         a vrrp_script string whose shell metacharacters are quoted runs without a shell
                   (nothing expands, every argument arrives verbatim); one that needs a shell gets one;
  control_socket   the control socket is a 0600 root socket: a non-root vigilctl cannot connect, and
                   one that can (CAP_DAC_OVERRIDE) is refused by its credentials, with a clear message.
"""

import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from vrrplab import Lab, check, config, instance, main, run, vigilctl, wait_for

VIP = "198.18.0.100"
CAP_NET_ADMIN, CAP_NET_RAW = 12, 13


def need_setpriv():
    check(shutil.which("setpriv") is not None, "missing: setpriv (Debian: util-linux)")


def capabilities(pid):
    caps = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                key, value = line.split(":")
                caps[key] = int(value, 16)
    return caps


class Scratch:
    """A root-owned 0755 directory outside the lab's private one, so that other users can reach
    what is put in it (the lab directory is 0700). Removed on exit."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="vigil-priv-")
        os.chmod(self.path, 0o755)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        return False

    def script(self, name, body, mode=0o755, directory=None):
        path = os.path.join(directory or self.path, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, mode)
        return path

    def subdir(self, name, mode):
        path = os.path.join(self.path, name)
        os.mkdir(path)
        os.chmod(path, mode)  # chmod: mkdir's mode is filtered by the umask
        return path


class SystemUser:
    """`useradd --system` for the test; userdel (and its group) on exit, also after a failure."""

    def __init__(self):
        self.name = f"vigilt{os.getpid() % 100000}"

    def __enter__(self):
        for tool in ("useradd", "userdel"):
            check(shutil.which(tool) is not None, f"missing: {tool} (Debian: passwd)")
        run("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
            "--user-group", self.name)
        entry = pwd.getpwnam(self.name)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        return self

    def __exit__(self, *exc):
        # scripts of this user that outlived the lab (there should be none): end them by pid
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if os.stat(f"/proc/{pid}").st_uid == self.uid:
                        os.kill(int(pid), signal.SIGKILL)
                except (OSError, ProcessLookupError):
                    pass
        r = subprocess.run(["userdel", self.name], stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            print(f"userdel {self.name} failed: {r.stderr.strip()}")
        return False


def caps(vigild):
    need_setpriv()
    only = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all,+net_admin,+net_raw"]
    want = (1 << CAP_NET_ADMIN) | (1 << CAP_NET_RAW)
    with Lab("caps", vigild) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        c1, c2 = config(instance(priority=150)), config(instance(priority=100))
        d1, d2 = h1.vigild(c1, prefix=only), h2.vigild(c2, prefix=only)
        for d in (d1, d2):
            c = capabilities(d.proc.pid)
            check(c["CapEff"] == want and c["CapPrm"] == want and c["CapBnd"] == want,
                  f"vigild on {d.host.name} has capabilities {({k: hex(v) for k, v in c.items()})}")
            check(c["CapInh"] == 0 and c["CapAmb"] == 0, f"inheritable/ambient capabilities left: {c}")
        d1.wait_state("VI_1", "MASTER", 5)
        d2.wait_state("VI_1", "BACKUP", 5)
        h1.wait_address(VIP, True, 2)
        print(f"vigild runs with CapEff {want:#x} (CAP_NET_ADMIN + CAP_NET_RAW only); h1 elected, VIP on h1")
        killed = time.time()
        d1.kill()
        t = h2.wait_address(VIP, True, 3)
        print(f"h1 killed: VIP moved to h2 after {1000 * (t - killed):.0f} ms")
        d1 = h1.vigild(c1, prefix=only)  # removes the VIP its predecessor left, then preempts
        d1.wait_state("VI_1", "MASTER", 5)
        h2.wait_address(VIP, False, 2)
        check(h1.has(VIP), "h1 did not take the VIP back")
        denied = [l for d in (d1, d2) for l in d.log_lines(r"(?i)not permitted|permission denied|EPERM")]
        check(not denied, f"vigild met a permission it lacks: {denied[:3]}")
        print("restarted h1 removed the stale VIP and took mastership back; no permission errors logged")


def script_user(vigild):
    with SystemUser() as user, Scratch() as scratch, Lab("script_user", vigild) as lab:
        out = scratch.subdir("out", 0o755)
        os.chown(out, user.uid, user.gid)
        record = 'echo "$(id -u) $(id -g) $(sed -n "s/^CapEff:\\t//p" /proc/self/status) $*" >> ' + out + "/{}"
        notify = scratch.script("notify.sh", record.format("notify"))
        chk = scratch.script("check.sh", record.format("check"))
        conf = (f"vrrp_script chk {{\n  script \"{chk}\"\n  interval 1\n}}\n" +
                config(instance(priority=150, extra=f"  notify {notify}\n  track_script {{\n    chk\n  }}"),
                       global_defs=f"  script_user {user.name}\n"))
        h1 = lab.host("h1", 1)
        d1 = h1.vigild(conf)
        d1.wait_state("VI_1", "MASTER", 5)

        def lines(name):
            path = os.path.join(out, name)
            return open(path).read().splitlines() if os.path.exists(path) else []
        wait_for("notify MASTER line", lambda: any("MASTER" in l for l in lines("notify")), 5)
        wait_for("vrrp_script run", lambda: lines("check"), 5)
        for kind in ("notify", "check"):
            for line in lines(kind):
                uid, gid, cap_eff = line.split()[:3]
                check(int(uid) == user.uid and int(gid) == user.gid,
                      f"{kind} script ran as {uid}:{gid}, not {user.name} ({user.uid}:{user.gid})")
                check(int(cap_eff, 16) == 0, f"{kind} script has capabilities {cap_eff}")
        print(f"notify ({len(lines('notify'))} runs) and vrrp_script ({len(lines('check'))} runs) ran as "
              f"{user.name} uid {user.uid}, CapEff 0: {lines('notify')[-1]}")


def script_security(vigild):
    with Scratch() as scratch, Lab("script_security", vigild) as lab:
        markers = scratch.subdir("markers", 0o755)
        unsafe = scratch.subdir("world-writable", 0o777)
        bad_check = scratch.script("check.sh", f"touch {markers}/bad-check", directory=unsafe)
        bad_notify = scratch.script("notify.sh", f"touch {markers}/bad-notify", directory=unsafe)
        bad_shell = scratch.script("master.sh", f"touch {markers}/bad-shell", directory=unsafe)
        good_check = scratch.script("good.sh", f"touch {markers}/good-check")
        # notify_master uses shell syntax: the shell is no way around the check
        notify = f"  notify {bad_notify}\n  notify_master \"{bad_shell} > /dev/null\"\n"
        conf = (f"vrrp_script bad {{\n  script \"{bad_check}\"\n  interval 1\n  weight -60\n}}\n"
                f"vrrp_script good {{\n  script \"{good_check}\"\n  interval 1\n}}\n" +
                config(instance(priority=150, extra=notify + "  track_script {\n    bad\n    good\n  }"),
                       global_defs="  enable_script_security\n  script_user root\n"))
        h1 = lab.host("h1", 1)
        d1 = h1.vigild(conf)
        d1.wait_state("VI_1", "MASTER", 5)
        wait_for("the safe script ran", lambda: os.path.exists(f"{markers}/good-check"), 5)
        why = f"{unsafe} is writable by everyone"
        wait_for("refusal of the notify script logged", lambda: d1.log_lines("enable_script_security.*" + why), 5)
        wait_for("refusal of the vrrp_script logged",
                 lambda: [l for l in d1.log_lines("enable_script_security.*" + why) if bad_check in l], 5)
        wait_for("refusal of the shell notify_master logged",
                 lambda: [l for l in d1.log_lines("enable_script_security.*" + why) if bad_shell in l], 5)
        wait_for("the refused check counts as failed", lambda: d1.instance("VI_1")["priority"] == 90, 5)
        ran = [m for m in ("bad-check", "bad-notify", "bad-shell") if os.path.exists(f"{markers}/{m}")]
        check(not ran, f"refused scripts ran: {ran}")
        for line in d1.log_lines("enable_script_security")[:3]:
            print("logged: " + line)
        print("insecure scripts refused and not run; the safe one ran; the failing check cost its weight (150 -> 90)")


def no_shell(vigild):
    with Scratch() as scratch, Lab("no_shell", vigild) as lab:
        args_file = os.path.join(scratch.path, "args")
        pwned = os.path.join(scratch.path, "pwned")
        shell_ok = os.path.join(scratch.path, "shell-ok")
        rec = scratch.script("rec.sh", f"for a in \"$@\"; do echo \"[$a]\"; done > {args_file}")
        verbatim = ["a;b", f"$(touch {pwned})", "`touch " + pwned + "`", "|x", "c d", "*"]
        quoted = " ".join(f"'{a}'" for a in verbatim)
        conf = (f"vrrp_script plain {{\n  script \"{rec} {quoted}\"\n  interval 1\n}}\n"
                f"vrrp_script shell {{\n  script \"test -x {rec} && touch {shell_ok}\"\n  interval 1\n}}\n" +
                config(instance(priority=150, extra="  track_script {\n    plain\n    shell\n  }")))
        h1 = lab.host("h1", 1)
        d1 = h1.vigild(conf)
        d1.wait_state("VI_1", "MASTER", 5)
        wait_for("the plain script ran", lambda: os.path.exists(args_file) and open(args_file).read(), 5)
        wait_for("the shell script ran", lambda: os.path.exists(shell_ok), 5)
        got = [l[1:-1] for l in open(args_file).read().splitlines()]
        check(got == verbatim, f"arguments changed on the way: {got} != {verbatim}")
        check(not os.path.exists(pwned), "a command substitution in a quoted argument was run")
        print(f"vrrp_script {rec} {quoted}: arguments arrived verbatim {got}, nothing expanded;")
        print(f"'test -x ... && touch ...' (needs a shell) ran through /bin/sh")


def control_socket(vigild):
    need_setpriv()
    with Scratch() as scratch, Lab("control_socket", vigild) as lab:
        sock = os.path.join(scratch.path, "vigil.sock")  # reachable dir: only the socket's mode guards it
        h1 = lab.host("h1", 1)
        d1 = h1.vigild(config(instance(priority=150)), control=sock)
        d1.wait_state("VI_1", "MASTER", 5)
        st = os.stat(sock)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0,
              f"control socket is {oct(st.st_mode)} uid {st.st_uid}, want a 0600 root socket")
        ok = vigilctl(vigild, "-s", sock, "status")
        check(ok.returncode == 0 and "VI_1" in ok.stdout, f"root vigilctl failed: {ok.stderr}")
        nobody = vigilctl(vigild, "-s", sock, "status", user="nobody")
        check(nobody.returncode != 0 and "Permission denied" in nobody.stderr,
              f"vigilctl as nobody: rc {nobody.returncode}, {nobody.stderr!r}")
        print(f"socket {oct(stat.S_IMODE(st.st_mode))} root; vigilctl as nobody: rc {nobody.returncode}: "
              f"{nobody.stderr.strip()}")
        # past the file mode (CAP_DAC_OVERRIDE): the daemon checks the peer's uid (SO_PEERCRED)
        sneaky = vigilctl(vigild, "-s", sock, "status", user="nobody", caps=("dac_override",))
        check(sneaky.returncode != 0 and "VI_1" not in sneaky.stdout, f"non-root client was served: {sneaky.stdout}")
        check("root" in sneaky.stderr, f"unclear refusal: {sneaky.stderr!r}")
        wait_for("refusal logged", lambda: d1.log_lines(r"control socket: refused a client that is not root"), 3)
        print(f"vigilctl as nobody with CAP_DAC_OVERRIDE: rc {sneaky.returncode}: {sneaky.stderr.strip()}; "
              "vigild logged the refusal")


if __name__ == "__main__":
    main({f.__name__: f for f in [caps, script_user, script_security, no_shell, control_socket]})
