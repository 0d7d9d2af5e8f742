#!/usr/bin/python3
"""DOC: Seed scenario 1, LVS-NAT with one director (shared/seed/README.md), run inside the VM:

    tests/vm/vm-run -- /usr/bin/python3 tests/vm/scenarios/lvs_nat.py --daemon vigild --build BUILD
    tests/vm/vm-run -- /usr/bin/python3 tests/vm/scenarios/lvs_nat.py --daemon keepalived

      client 12.0.0.100 --[external]-- 12.0.0.1 director 192.168.200.1 --[internal]-- web1 .110
                                                                                  \\- web2 .120
The director runs the daemon with conf/examples/lvs-nat.conf as it is (no VRRP) and
net.ipv4.ip_forward=1; the web servers' default gateway is the director. Checks:
  1. the daemon programs the runbook's table: `ipvsadm -Ln` shows TCP 12.0.0.1:80 rr with both
     web servers, Masq, weight 1;
  2. the client's requests to http://12.0.0.1/ are answered by web1 and web2 in turn (rr);
  3. vigild only: `vigilctl status` lists both real servers, up, weight 1;
  4. drift: `ipvsadm -D` behind the daemon's back — vigild puts the service back within its
     reconcile interval (5 s by default) and logs "repaired drift"; keepalived does not (it only
     compares config with config), so for keepalived the test asserts the table stays gone and
     restarts it to have a table for step 5;
  5. SIGTERM: the daemon removes the service (keepalived's default) and exits.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lvslab import REPO, Daemon, Web, check, fetch, hold_for, scenario_main, wait_for  # noqa: E402

VS = "TCP 12.0.0.1:80"
WEBS = {"web1": "192.168.200.110", "web2": "192.168.200.120"}
EXPECTED = {VS: {"sched": "rr", "flags": "", "dests": {f"{ip}:80": ("Masq", 1) for ip in WEBS.values()}}}
RECONCILE_INTERVAL = 5.0  # vigil_reconcile_interval's default; lvs-nat.conf does not set it
TCG_SLACK = 3.0           # process and round latency under qemu's software emulation


def build(lab, out):
    """The runbook's machines and cables."""
    lab.bridge("external")
    lab.bridge("internal")
    client = lab.host("client")
    client.attach("external", "eth0", "12.0.0.100/24")
    director = lab.host("director")
    director.attach("external", "eth0", "12.0.0.1/24")
    director.attach("internal", "eth1", "192.168.200.1/24")
    # NAT: the director forwards between its two NICs (runbook: net.ipv4.ip_forward=1)
    director.sysctl("net.ipv4.ip_forward=1")
    webs = {}
    for name, ip in WEBS.items():
        h = lab.host(name)
        h.attach("internal", "eth0", f"{ip}/24")
        # replies must go back through the director, which rewrites them to come from 12.0.0.1
        h.ip("route add default via 192.168.200.1")
        webs[name] = Web(lab, h, f"this is xykj {name}")
        webs[name].start()
    out.info("client 12.0.0.100 | director 12.0.0.1 + 192.168.200.1 (ip_forward=1) | "
             "web1 192.168.200.110, web2 192.168.200.120 (busybox httpd, gateway 192.168.200.1)")
    return client, director, webs


def show_table(out, director, title="ipvsadm -Ln"):
    text = director.ipvsadm()
    out.block(f"ip netns exec director {title}", text)
    return text


def scenario(lab, args, out):
    kind = args.daemon
    out.step("building the runbook's LVS-NAT network in namespaces")
    out.explain("Scenario 1 of the runbook: one director with two NICs, between the client's network "
                "(12.0.0.0/24) and the web servers' network (192.168.200.0/24). Each machine is a network "
                "namespace in this VM; each network is a bridge.")
    client, director, webs = build(lab, out)
    conf = os.path.join(lab.dir, "lvs-nat.conf")
    with open(os.path.join(REPO, "conf/examples/lvs-nat.conf")) as src, open(conf, "w") as dst:
        dst.write(src.read())  # as shipped: no interface names in it

    out.step(f"starting {kind} -f conf/examples/lvs-nat.conf on the director")
    out.explain(f"lvs-nat.conf is the runbook's `ipvsadm -A -t 12.0.0.1:80 -s rr` and `ipvsadm -a ... -m` "
                f"written as a keepalived.conf; {kind} programs the kernel's IPVS table from it.")
    daemon = Daemon(lab, director, kind, conf).start()
    wait_for("the configured IPVS table in the director's kernel", lambda: director.ipvs() == EXPECTED, 30)
    out.info(f"table complete {time.time() - daemon.started_at:.2f} s after start")
    text = show_table(out, director)
    check(re.search(r"^TCP\s+12\.0\.0\.1:80 rr\s*$", text, re.M), "ipvsadm -Ln: no `TCP 12.0.0.1:80 rr` line")
    for ip in WEBS.values():
        check(re.search(rf"-> {re.escape(ip)}:80\s+Masq\s+1\s", text), f"ipvsadm -Ln: {ip}:80 Masq weight 1 missing")

    out.step("the client fetches http://12.0.0.1/ six times with curl")
    out.explain("IPVS sends each new connection to the next web server (rr) and rewrites its destination "
                "(NAT); the answers return through the director, which makes them come from 12.0.0.1.")
    bodies = fetch(client, "http://12.0.0.1/", count=6)
    who = [re.sub(r"^this is xykj ", "", b) for b in bodies]
    out.info("answers: " + ", ".join(who))
    check(set(who) == set(WEBS), f"expected answers from web1 and web2, got {bodies}")
    check(all(who[i] != who[i + 1] for i in range(len(who) - 1)), f"round robin should alternate, got {who}")

    if kind == "vigild":
        out.step("vigilctl status on the director")
        status = daemon.vigilctl("status")
        out.block("vigilctl status", status)
        for ip in WEBS.values():
            check(re.search(rf"{re.escape(ip)}:80\s+UP\s+weight 1\s", status),
                  f"vigilctl status does not show {ip}:80 UP with weight 1")

    out.step(f"drift: `ipvsadm -D -t 12.0.0.1:80` behind {kind}'s back")
    out.explain("Someone deletes the service by hand. " + (
        f"vigild compares the kernel's table with its config every {RECONCILE_INTERVAL:.0f} s and puts it back."
        if kind == "vigild" else "keepalived only compares config with config, so it does not notice."))
    director.sh("ipvsadm -D -t 12.0.0.1:80")
    t_del = time.time()
    check(director.ipvs() == {}, "ipvsadm -D did not delete the service")
    if kind == "vigild":
        wait_for(f"vigild to restore the table within its reconcile interval ({RECONCILE_INTERVAL:.0f} s)",
                 lambda: director.ipvs() == EXPECTED, RECONCILE_INTERVAL + TCG_SLACK)
        repaired = time.time() - t_del
        lines = wait_for("a 'repaired drift' log line", lambda: daemon.log_lines(r"ipvs: repaired drift"), 5)
        out.info(f"table restored {repaired:.2f} s after the deletion; log: {lines[0].strip()}")
        check(repaired <= RECONCILE_INTERVAL + TCG_SLACK, f"repair took {repaired:.1f} s")
        check(fetch(client, "http://12.0.0.1/")[0].startswith("this is xykj web"), "no answer after the repair")
    else:
        # keepalived compares config with config and never reads the kernel back: the deleted
        # service stays deleted. Watched for longer than vigild's interval to show the difference.
        hold_for("the service to stay deleted (keepalived has no drift repair)", lambda: director.ipvs() == {},
                 RECONCILE_INTERVAL + TCG_SLACK)
        out.info(f"keepalived did not restore the service in {RECONCILE_INTERVAL + TCG_SLACK:.0f} s "
                 "(expected: no drift repair); restarting it for the stop test")
        daemon.term()
        daemon.start()
        wait_for("keepalived's table after its restart", lambda: director.ipvs() == EXPECTED, 30)

    out.step(f"SIGTERM to {kind}: it must remove its service")
    out.explain("`systemctl stop`: the daemon removes the service it created (keepalived's default).")
    t_term = daemon.term()
    wait_for("the service to leave the kernel", lambda: director.ipvs() == {}, 10)
    out.info(f"{kind} exited, table empty ({time.time() - t_term:.2f} s after SIGTERM)")
    show_table(out, director)


if __name__ == "__main__":
    scenario_main("lvs_nat", scenario)
