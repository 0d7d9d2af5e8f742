#!/usr/bin/python3
"""DOC: Seed scenario 2, LVS-DR with a master/backup director pair (shared/seed/README.md), run
inside the VM:

    tests/vm/vm-run -- /usr/bin/python3 tests/vm/scenarios/lvs_dr.py --daemon vigild --build BUILD
    tests/vm/vm-run -- /usr/bin/python3 tests/vm/scenarios/lvs_dr.py --daemon keepalived
    ... lvs_dr.py --demo        the same run, narrated for an operator (scripts/demo)

One segment, 192.168.200.0/24 (a bridge): master .201 and backup .202 (ip_forward=1,
send_redirects=0), web1 .110 and web2 .120 (busybox httpd; the VIP 192.168.200.10/32 on lo,
arp_ignore=1 and arp_announce=2 on lo and all, so they take the VIP's traffic but never answer
ARP for it), and a client. The directors run the daemon with conf/examples/lvs-dr-master.conf and
lvs-dr-backup.conf, changed only by the runbook's `sed` of `interface ens33` to the lab's NIC.

The configs keep the stock `persistence_timeout 50`: IPVS then sends one client address to the
same web server for 50 s, so a single-address client would only ever see one of them. The client
therefore owns eight addresses (.50-.57) and cycles through them, like eight users.

Checks, in order:
  1. the VIP is on the master only; both directors' IPVS tables hold TCP 192.168.200.10:80 rr
     persistent 50 with both web servers, Route, weight 1 (the backup's table is ready for a
     takeover);
  2. the client's requests are answered by both web servers;
  3. health checks: web1's httpd stops -> web1 leaves the table on both directors within
     connect_timeout + retry x delay_before_retry + delay_loop (measured, printed), and the
     client is served by web2 only; httpd starts again -> web1 is back with weight 1 on both;
  4. crash of the master (every daemon process SIGSTOPped and SIGKILLed, then its cable pulled:
     SIGKILL alone leaves the VIP on a live NIC) -> the backup owns the VIP and the client is
     served again (the gap it saw is measured and printed);
  5. the master comes back (cable in, daemon started) -> it takes the VIP back (preemption) and
     the backup lets it go; the client is served;
  6. planned stop of the master (SIGTERM) while the client fetches -> the backup takes over;
     failed requests and the longest gap are measured. vigild hands over losslessly (VIP and
     table kept until the backup's first advert), so no request may be refused by a director
     that owns the VIP without its service; keepalived drops the VIP at once and the client waits
     out the backup's skew time (~0.6 s);
  7. SIGTERM to the backup -> no VIP left and both IPVS tables empty.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lvslab import (REPO, Daemon, Failure, Fetcher, Web, answered_by, check, hold_for, outage,  # noqa: E402
                    scenario_main, sed_interface, wait_for)

VIP = "192.168.200.10"
VS = f"TCP {VIP}:80"
URL = f"http://{VIP}/"
DIRECTORS = {"master": ("192.168.200.201", "lvs-dr-master.conf"), "backup": ("192.168.200.202", "lvs-dr-backup.conf")}
WEBS = {"web1": "192.168.200.110", "web2": "192.168.200.120"}
CLIENT = [f"192.168.200.{i}" for i in range(50, 58)]  # eight source addresses (persistence, above)
NIC = "eth0"
TCG_SLACK = 3.0  # process start and scheduling latency under qemu's software emulation


def health_timing(conf_path):
    """delay_loop, connect_timeout, retry (nb_get_retry), delay_before_retry from the config."""
    text = open(conf_path).read()

    def number(key):
        m = re.search(rf"^\s*{key}\s+(\d+)", text, re.M)
        check(m is not None, f"{key} not found in {conf_path}")
        return int(m.group(1))
    return {"delay_loop": number("delay_loop"), "connect_timeout": number("connect_timeout"),
            "retry": number("(?:nb_get_retry|retry)"), "delay_before_retry": number("delay_before_retry")}


def dests(host):
    """{web name: (forwarding, weight)} of the VIP's service on a director (None: no service)."""
    entry = host.ipvs().get(VS)
    if entry is None:
        return None
    by_ip = {ip: name for name, ip in WEBS.items()}
    return {by_ip.get(a.split(":")[0], a): d for a, d in entry["dests"].items()}


def table_is(host, expected):
    return dests(host) == expected


FULL = {"web1": ("Route", 1), "web2": ("Route", 1)}


class Run:
    """The scenario's state: hosts, daemons, the client's fetch loop, measured figures."""

    def __init__(self, lab, args, out):
        self.lab, self.out, self.kind, self.demo = lab, out, args.daemon, args.demo
        self.figures = {}

    # ---- the network ----------------------------------------------------------------------------

    def build(self):
        self.out.step("Building the runbook's LVS-DR network (each machine is a network namespace)")
        lab = self.lab
        lab.bridge("lan")
        self.hosts = {}
        for name, (ip, _) in DIRECTORS.items():
            h = lab.host(name)
            h.attach("lan", NIC, f"{ip}/24")
            # runbook: forwarding on, ICMP redirects off (the directors must not tell the client
            # to talk to a web server directly)
            h.sysctl("net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
                     "net.ipv4.conf.default.send_redirects=0", f"net.ipv4.conf.{NIC}.send_redirects=0")
            self.hosts[name] = h
        self.webs = {}
        for name, ip in WEBS.items():
            h = lab.host(name)
            # runbook: accept the VIP's traffic (VIP on lo) but never answer ARP for it
            h.sysctl("net.ipv4.conf.lo.arp_ignore=1", "net.ipv4.conf.lo.arp_announce=2",
                     "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2")
            h.ip(f"addr add {VIP}/32 dev lo")
            h.attach("lan", NIC, f"{ip}/24")
            self.hosts[name] = h
            self.webs[name] = Web(lab, h, f"this is xykj {name}")
            self.webs[name].start()
        client = lab.host("client")
        client.attach("lan", NIC, f"{CLIENT[0]}/24")
        client.ip(*[f"addr add {a}/24 dev {NIC}" for a in CLIENT[1:]])
        self.hosts["client"] = client
        rows = [("master", "192.168.200.201", f"director, {self.kind} with lvs-dr-master.conf (MASTER, priority 100)"),
                ("backup", "192.168.200.202", f"director, {self.kind} with lvs-dr-backup.conf (BACKUP, priority 90)"),
                ("web1", "192.168.200.110", "busybox httpd: \"this is xykj web1\"; VIP on lo, arp_ignore/arp_announce"),
                ("web2", "192.168.200.120", "busybox httpd: \"this is xykj web2\"; VIP on lo, arp_ignore/arp_announce"),
                ("client", "192.168.200.50-57", f"fetches {URL} every 0.1 s, cycling through its 8 addresses")]
        for name, ip, what in rows:
            self.out.info(f"{name:7} {ip:18} {what}")

    # ---- daemons --------------------------------------------------------------------------------

    def configs(self):
        self.confs = {}
        for name, (_, example) in DIRECTORS.items():
            self.confs[name] = sed_interface(os.path.join(REPO, "conf/examples", example),
                                             os.path.join(self.lab.dir, example), NIC)
        self.timing = health_timing(self.confs["master"])
        self.effective_retry = self.timing["retry"]
        self.out.info(f"configs: conf/examples/lvs-dr-{{master,backup}}.conf with "
                      f"sed 's/interface ens33/interface {NIC}/' (nothing else changed)")

    def start_daemons(self):
        self.out.step(f"Starting {self.kind} on both directors")
        self.out.explain(f"Each director runs {self.kind} with the runbook's keepalived.conf. VRRP elects the master "
                         "(priority 100 beats 90), which puts the VIP on its NIC. Both directors program the same "
                         "IPVS table - what the runbook's init script did with `ipvsadm -A` and `ipvsadm -a ... -g`.")
        self.daemons = {name: Daemon(self.lab, self.hosts[name], self.kind, self.confs[name]) for name in DIRECTORS}
        t0 = time.time()
        for d in self.daemons.values():
            d.start()
        master, backup = self.hosts["master"], self.hosts["backup"]
        wait_for("the VIP on the master", lambda: master.has_address(NIC, VIP), 30)
        t_vip = time.time() - t0
        wait_for("both directors' IPVS tables", lambda: table_is(master, FULL) and table_is(backup, FULL), 30)
        t_table = time.time() - t0
        check(not backup.has_address(NIC, VIP), "the VIP is on the backup as well as on the master")
        self.figures["start: VIP on master"] = t_vip
        self.figures["start: both tables complete"] = t_table
        self.out.info(f"VIP {VIP} on the master {t_vip:.1f} s after start, not on the backup; "
                      f"IPVS tables programmed on both directors after {t_table:.1f} s")
        if self.kind == "keepalived":
            # Where keepalived reads the runbook's config differently from vigild: 2.2.7 knows
            # nb_get_retry only in HTTP_GET/SSL_GET, so in TCP_CHECK it is ignored (retry 1).
            unknown = sorted({re.sub(r"^.*\(", "(", l) for l in self.daemons["master"].log_lines("Unknown keyword")})
            for line in unknown:
                self.out.info(f"keepalived: {line}")
            if any("nb_get_retry" in l for l in unknown):
                self.effective_retry = 1
                self.out.info("  -> keepalived ignores nb_get_retry in TCP_CHECK and retries once; vigild honours it "
                              "as `retry 3` (with a deprecation warning)")
        for name in DIRECTORS:
            text = self.hosts[name].ipvsadm()
            self.out.block(f"ip netns exec {name} ipvsadm -Ln", text)
            check(re.search(rf"^TCP\s+{re.escape(VIP)}:80 rr persistent 50\s*$", text, re.M),
                  f"{name}: ipvsadm -Ln has no `TCP {VIP}:80 rr persistent 50` line")
            for ip in WEBS.values():
                check(re.search(rf"-> {re.escape(ip)}:80\s+Route\s+1\s", text), f"{name}: {ip}:80 Route 1 missing")
        if self.demo:
            self.out.info("(the backup has the same table, so it is ready the moment it takes the VIP)")

    def status(self, title):
        if self.kind != "vigild":
            return
        self.out.step(title)
        for name in DIRECTORS:
            text = self.daemons[name].vigilctl("status")
            self.out.block(f"vigilctl -s {name}.sock status    # on the {name}", text)

    # ---- the client -------------------------------------------------------------------------------

    def start_client(self):
        self.out.step(f"The client fetches {URL} in a loop")
        self.out.explain("The requests reach the master (it owns the VIP). IPVS picks a web server in turn (rr) and "
                         "hands it the packet unchanged (direct routing); the web server answers the client itself, "
                         "from the VIP on its lo.")
        self.fetcher = Fetcher(self.lab, self.hosts["client"], URL, CLIENT)
        t = time.time()
        rs = self.fetcher.wait("answers from web1 and web2",
                               lambda r: {"web1", "web2"} <= set(answered_by(r)) and len(r) >= 2 * len(CLIENT), 20,
                               since=t)
        failed = [r for r in rs if not r["ok"]]
        check(not failed, f"requests failed while both directors and web servers were up: {failed[:3]}")
        per_source = {}
        for r in rs:
            per_source.setdefault(r["src"], []).append(r["who"])
        self.out.info("who answered each client address (persistence_timeout 50 keeps an address on one web server):")
        for src in CLIENT:
            who = per_source.get(src, [])
            self.out.info(f"  {src:16} -> {', '.join(sorted(set(who)))} ({len(who)} answers)")
        self.out.info(f"{len(rs)} requests, {answered_by(rs).count('web1')} answered by web1, "
                      f"{answered_by(rs).count('web2')} by web2")

    def timeline(self, t_from, t_to, events):
        """Demo view of the client: one row per second, one character per request
        (1 = web1 answered, 2 = web2, . = no answer)."""
        rs = self.fetcher.results(t_from)
        marks = sorted(events)
        row_start = t_from
        t_to = min(t_to, max([r["done"] for r in rs] or [t_to]))
        while row_start < t_to:
            row = [r for r in rs if row_start <= r["t"] < row_start + 1]
            chars = "".join(r["who"][-1] if r["ok"] else "." for r in row)
            notes = [text for t, text in marks if row_start <= t < row_start + 1]
            self.out.info(f"  {row_start - t_from:5.1f} s  {chars:12} {'  <- ' + '; '.join(notes) if notes else ''}")
            row_start += 1

    # ---- health checks --------------------------------------------------------------------------

    def health(self):
        tm = self.timing
        # the bound uses the config's retry count; keepalived's effective one is lower (above)
        bound = tm["connect_timeout"] + tm["retry"] * tm["delay_before_retry"] + tm["delay_loop"]
        self.out.step("Health check: web1's httpd stops")
        self.out.explain("Both directors test port 80 of each web server (TCP_CHECK in the config). When web1 stops "
                         "answering they retry, then take web1 out of their IPVS tables: its clients move to web2.")
        self.out.info(f"TCP_CHECK: connect_timeout {tm['connect_timeout']} + retry {tm['retry']} x delay_before_retry "
                      f"{tm['delay_before_retry']} + delay_loop {tm['delay_loop']} = {bound} s at most")
        if self.effective_retry != tm["retry"]:
            eff = tm["connect_timeout"] + self.effective_retry * tm["delay_before_retry"] + tm["delay_loop"]
            self.out.info(f"(keepalived retries {self.effective_retry}x: {eff} s at most)")
        t0 = time.time()
        self.webs["web1"].stop()
        gone = {}

        def both_removed():
            for name in DIRECTORS:
                if name not in gone and dests(self.hosts[name]) == {"web2": ("Route", 1)}:
                    gone[name] = time.time() - t0
            return len(gone) == len(DIRECTORS)
        wait_for(f"web1 to leave both directors' tables (bound {bound} s)", both_removed, bound + TCG_SLACK)
        for name in DIRECTORS:
            self.figures[f"health: web1 removed on {name}"] = gone[name]
        self.out.info("web1 left the IPVS table " + ", ".join(f"on the {n} after {gone[n]:.1f} s" for n in DIRECTORS) +
                      f" (bound {bound} s)")
        for name, t in gone.items():
            check(t <= bound + 1.0, f"{name} removed web1 after {t:.1f} s, more than {bound} s")
        lost = [r for r in self.fetcher.results(t0) if not r["ok"] and r["t"] < t0 + gone["master"]]
        self.out.info(f"meanwhile {len(lost)} client requests failed (those sent to web1 before it was removed)")
        since = t0 + gone["master"] + 0.3
        rs = self.fetcher.wait("10 answers after web1's removal", lambda r: len(r) >= 10, 15, since=since)
        check(all(r["ok"] for r in rs), f"requests failed after web1 left the table: "
                                        f"{[r for r in rs if not r['ok']][:3]}")
        check(set(answered_by(rs)) == {"web2"}, f"expected web2 only, got {answered_by(rs)}")
        self.out.info(f"the client is served by web2 only ({len(rs)} answers in a row)")
        if self.demo:
            self.out.block("ip netns exec master ipvsadm -Ln", self.hosts["master"].ipvsadm())

        self.out.step("Health check: web1's httpd starts again")
        t1 = time.time()
        self.webs["web1"].start()
        back = {}

        def both_back():
            for name in DIRECTORS:
                if name not in back and table_is(self.hosts[name], FULL):
                    back[name] = time.time() - t1
            return len(back) == len(DIRECTORS)
        up_bound = tm["delay_loop"] + tm["connect_timeout"]
        wait_for(f"web1 back with weight 1 on both directors (next check: within {up_bound} s)", both_back,
                 up_bound + TCG_SLACK)
        for name in DIRECTORS:
            self.figures[f"health: web1 back on {name}"] = back[name]
        self.out.info("web1 is back with weight 1 " + ", ".join(f"on the {n} after {back[n]:.1f} s" for n in DIRECTORS))

    # ---- failover ---------------------------------------------------------------------------------

    def crash_master(self):
        master, backup = self.hosts["master"], self.hosts["backup"]
        self.out.step(f"Crash of the master: {self.kind} is killed (SIGKILL) and its cable pulled")
        self.out.explain("The master dies without warning. The backup stops hearing its VRRP advertisements; after "
                         "three missed ones (advert_int 1, about 3.6 s) it takes the VIP and announces it with "
                         "gratuitous ARP. Its IPVS table is already in place.")
        t_before = time.time() - 2
        t_kill = time.time()
        self.daemons["master"].crash()
        master.set_link(NIC, False)
        wait_for("the VIP on the backup", lambda: backup.has_address(NIC, VIP), 20, interval=0.02)
        t_vip = time.time()
        rs = self.fetcher.wait("answers from both web servers after the takeover",
                               lambda r: {"web1", "web2"} <= set(answered_by(r)), 20, since=t_vip)
        check(table_is(backup, FULL), f"the backup's table changed: {dests(backup)}")
        if master.has_address(NIC, VIP):
            self.out.info("the dead master still has the VIP on its NIC (SIGKILL cleans nothing up); with its "
                          "cable out nobody reaches it")
        gap = outage(self.fetcher.results(t_before), t_kill, rs[-1]["done"])
        check(gap is not None, "no answer before or after the crash")
        self.figures["crash: VIP on backup"] = t_vip - t_kill
        self.figures["crash: client saw no answer for"] = gap[2]
        if self.demo:
            self.out.info("what the client saw, one character per request (1 = web1, 2 = web2, . = no answer):")
            self.timeline(t_before, max(rs[-1]["done"], gap[1]) + 1,
                          [(t_kill, "master killed, cable pulled"), (t_vip, "VIP on the backup")])
        self.out.info(f"the backup owns the VIP {t_vip - t_kill:.1f} s after the crash "
                      "(VRRP: 3 missed adverts of 1 s + skew time)")
        self.out.info(f"the client saw no answer for {gap[2]:.1f} s (longest gap between two answers); "
                      "both web servers answer through the backup")
        check(gap[2] < 10, f"outage of {gap[2]:.1f} s")

    def master_returns(self):
        master, backup = self.hosts["master"], self.hosts["backup"]
        self.out.step(f"The master comes back: cable in, {self.kind} started again")
        self.out.explain(f"{self.kind} starts as backup, removes the VIP the crash left on the NIC, hears that the "
                         "backup has a lower priority (90 < 100) and takes the VIP back (preemption, the default).")
        t0 = time.time()
        master.set_link(NIC, True)
        self.daemons["master"].start()
        # The crash left the VIP on the master's NIC (SIGKILL cleans nothing up); the daemon removes
        # such leftovers at start. The backup letting the VIP go marks the moment the master won
        # the election (it yields on the master's first advert).
        wait_for("the backup to let the VIP go (the master preempts)", lambda: not backup.has_address(NIC, VIP),
                 30, interval=0.02)
        t_vip = time.time()
        wait_for("the VIP on the master", lambda: master.has_address(NIC, VIP), 10, interval=0.02)
        wait_for("the master's table", lambda: table_is(master, FULL), 20)
        rs = self.fetcher.wait("5 answers in a row after the master's return",
                               lambda r: len(r) >= 5 and all(x["ok"] for x in r[-5:]), 20, since=t_vip)
        gap = outage(self.fetcher.results(t0 - 2), t0, rs[-1]["done"])
        self.figures["return: VIP back on master (preempt)"] = t_vip - t0
        if gap:
            self.figures["return: client saw no answer for"] = gap[2]
        if self.demo:
            self.out.info("what the client saw:")
            self.timeline(t0 - 1, rs[-1]["done"] + 0.5, [(t0, "master back"), (t_vip, "VIP on the master")])
        self.out.info(f"the master preempted: VIP back on it {t_vip - t0:.1f} s after it came back, gone from the "
                      f"backup; longest gap in answers around it: {gap[2]:.1f} s" if gap else "")

    def planned_stop(self):
        """SIGTERM to the master while the client fetches: the planned way to take a director out."""
        master, backup = self.hosts["master"], self.hosts["backup"]
        self.out.step(f"Planned stop of the master: SIGTERM to its {self.kind}")
        self.out.explain("What `systemctl stop` does. " + (
            "vigild keeps the VIP and its IPVS table until the backup has taken over, so clients are not turned away."
            if self.kind == "vigild" else
            "keepalived drops the VIP at once; the backup takes it after its skew time."))
        t0 = time.time()
        self.daemons["master"].term()
        wait_for("the VIP on the backup", lambda: backup.has_address(NIC, VIP), 20, interval=0.02)
        check(not master.has_address(NIC, VIP), "the stopped master still has the VIP")
        wait_for("the service to leave the stopped master's kernel", lambda: master.ipvs() == {}, 10)
        rs = self.fetcher.wait("5 answers in a row through the backup",
                               lambda r: len(r) >= 5 and all(x["ok"] for x in r[-5:]), 20, since=time.time())
        during = self.fetcher.results(t0 - 0.5)
        during = [r for r in during if r["t"] <= rs[-1]["t"]]
        failed = [r for r in during if not r["ok"]]
        gap = outage(during, t0, rs[-1]["done"])
        self.figures["planned stop: failed requests"] = len(failed)
        self.figures["planned stop: client saw no answer for"] = gap[2] if gap else 0.0
        if self.demo:
            self.out.info("what the client saw:")
            self.timeline(t0 - 1, rs[-1]["done"] + 0.5, [(t0, "SIGTERM to the master")])
        errors = sorted({r.get("error", "?") for r in failed})
        if self.kind == "vigild":
            # "refused" = a director owned the VIP with no service for it: its own TCP stack
            # answered (the IPVS table was removed before the VIP was handed over)
            refused = [r for r in failed if r.get("error") == "Connection refused"]
            check(not refused, f"{len(refused)} requests refused during the lossless handover: {refused[:3]}")
        self.out.info(f"the backup took over; {len(failed)} of {len(during)} requests failed"
                      f"{' (' + ', '.join(errors) + ')' if errors else ''}; longest gap between answers "
                      f"{gap[2] if gap else 0:.2f} s")

    def stop(self):
        self.out.step(f"SIGTERM to {self.kind} on the backup")
        self.fetcher.stop()
        self.daemons["backup"].term()
        for name in DIRECTORS:
            h = self.hosts[name]
            wait_for(f"the service to leave the {name}'s kernel", lambda: h.ipvs() == {}, 10)
            check(not h.has_address(NIC, VIP), f"the VIP is still on the {name}")
        self.out.info("both daemons exited; no VIP and no IPVS service left on either director")

    def summary(self):
        self.out.step("Figures")
        for key, value in self.figures.items():
            self.out.info(f"{key:42} {value:6d}" if isinstance(value, int) else f"{key:42} {value:6.2f} s")


def scenario(lab, args, out):
    r = Run(lab, args, out)
    r.build()
    r.configs()
    r.start_daemons()
    if not args.demo:
        r.status("vigilctl status on both directors")
    r.start_client()
    if not args.no_health:
        r.health()
    r.crash_master()
    r.master_returns()
    r.status("vigilctl status on both directors after the master's return")
    r.planned_stop()
    r.stop()
    r.summary()


if __name__ == "__main__":
    scenario_main("lvs_dr", scenario, lambda ap: ap.add_argument(
        "--no-health", action="store_true", help="skip the health-check part (stopping web1)"))
