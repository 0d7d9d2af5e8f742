#!/usr/bin/python3
"""DOC: Operating vigild's IPVS side, inside the VM (real IPVS), one boot for all steps:

    tests/vm/vm-run -- /usr/bin/python3 tests/vm/ops/ipvs_ops.py --build BUILD

      client 12.0.0.100 --[external]-- 12.0.0.1 director 192.168.200.1 --[internal]-- web1 .110
                                                                                  \\- web2 .120
LVS-NAT as in the seed's runbook (tests/vm/scenarios/lvs_nat.py builds it), with two virtual
servers: TCP 12.0.0.1:80 (busybox httpd, TCP_CHECK) and TCP 12.0.0.1:7000 (a line-echo server,
for long-lived connections; opslab.py). vigild runs with vigil_reconcile_interval 1,
vigil_drain_timeout 60, vigil_ipvs_on_stop keep and the metrics endpoint on. The kernel's work is
counted with kprobes on ip_vs_genl_set_cmd and the add/edit/del functions. Steps:

  1. status: `vigilctl status` shows each real server's health, weight and connection counts;
  2. metrics: /metrics passes `promtool check metrics`; per-service, per-destination and checker
     series exist and follow the traffic;
  3. reload with an unchanged file: "0 change(s)", the reconciler's operation counter and the
     kernel's set-command count stay the same over the following full rounds;
  4. reload with a broken file: refused with file:line, the table and the counters unchanged;
  5. `vigilctl drain` / `undrain`: weight 0 in the kernel (new connections avoid it) / restored;
  6. a reload that removes a real server drains it: a long-lived connection to it keeps working
     at weight 0 while every new connection goes to the other; once the client closes, the real
     server is deleted (one edit and one delete in the kernel);
  7. restart adoption: SIGTERM (keep) and start while a client connection is established — the
     table is never touched (polled throughout, and zero kernel calls), the connection survives,
     and the new vigild applies 0 operations;
  8. a reload that removes the only checker of a real server its checker has taken out: the real
     server is back in the table (without checkers it is always up).
"""

import os
import re
import shutil
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scenarios"))
from lvslab import Daemon, check, fetch, run, scenario_main, wait_for  # noqa: E402
from lvs_nat import build  # noqa: E402
import opslab  # noqa: E402
from opslab import Conversation, EchoServer, Kprobes, fresh_connections, proc_dests, reconciler, real_server  # noqa: E402

METRICS_PORT = 9650
WEB = {"web1": "192.168.200.110", "web2": "192.168.200.120"}
VS80, VS7000 = "12.0.0.1:80/tcp", "12.0.0.1:7000/tcp"
SLACK = 5.0  # process start and round latency under TCG


def conf_text(web_7000=("web1", "web2"), unchecked=()):
    check80 = """    TCP_CHECK {
      connect_timeout 2
    }
"""
    rs80 = "".join(f"""  real_server {ip} 80 {{
    weight 1
{"" if name in unchecked else check80}  }}
""" for name, ip in WEB.items())
    rs7000 = "".join(f"""  real_server {WEB[w]} 7000 {{
    weight 1
  }}
""" for w in web_7000)
    return f"""global_defs {{
  vigil_reconcile_interval 1
  vigil_drain_timeout 60
  vigil_ipvs_on_stop keep
  vigil_metrics_listen 127.0.0.1:{METRICS_PORT}
}}
virtual_server 12.0.0.1 80 {{
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
{rs80}}}
virtual_server 12.0.0.1 7000 {{
  lb_algo rr
  lb_kind NAT
  protocol TCP
{rs7000}}}
"""


def expected(web_7000=("web1", "web2")):
    return {"TCP 12.0.0.1:80": {"sched": "rr", "flags": "", "dests": {f"{ip}:80": ("Masq", 1) for ip in WEB.values()}},
            "TCP 12.0.0.1:7000": {"sched": "rr", "flags": "",
                                  "dests": {f"{WEB[w]}:7000": ("Masq", 1) for w in web_7000}}}


def scenario(lab, args, out):
    out.step("LVS-NAT in namespaces (lvs_nat.build) plus echo servers on port 7000")
    client, director, webs = build(lab, out)  # webs: name -> busybox httpd (start/stop)
    for name, web in webs.items():
        EchoServer(lab, web.host, name, 7000)
    kp = Kprobes()
    if kp.missing:
        out.info(f"kprobes: {', '.join(kp.missing)} cannot be probed (inlined); counting the others")
    conf = os.path.join(lab.dir, "vigil.conf")
    with open(conf, "w") as f:
        f.write(conf_text())

    out.step("starting vigild")
    daemon = Daemon(lab, director, "vigild", conf).start()
    wait_for("the configured table", lambda: director.ipvs() == expected(), 30)
    wait_for("the first check results", lambda: opslab.status(daemon)["ipvs"]["health"]["results"] >= 2, 20,
             interval=0.3)
    check(all(real_server(daemon, VS80, f"{ip}:80")["up"] for ip in WEB.values()), "a web server is not up")
    out.info(f"table complete {time.time() - daemon.started_at:.2f} s after start")

    # ---- 1. status ----
    out.step("vigilctl status")
    bodies = fetch(client, "http://12.0.0.1/", count=4)
    check(len(bodies) == 4 and all("xykj" in b for b in bodies), f"fetch through the director: {bodies}")
    text = daemon.vigilctl("status")
    out.block("vigilctl status", text)
    for ip in WEB.values():
        check(re.search(rf"{re.escape(ip)}:80\s+UP\s+weight 1\s+active\s+\d+\s+inactive\s+\d+", text),
              f"status lacks {ip}:80 UP weight 1 with connection counts")
    check(re.search(r"12\.0\.0\.1:80/tcp\s+rr", text) and re.search(r"12\.0\.0\.1:7000/tcp\s+rr", text),
          "status lacks the virtual servers")
    wait_for("the fetches counted as inactive connections in status", lambda: sum(
        real_server(daemon, VS80, f"{ip}:80")["inactive_conns"] for ip in WEB.values()) >= 1, 5, interval=0.3)

    # ---- 2. metrics ----
    out.step("metrics: promtool check metrics and the IPVS/checker series")
    # the kernel folds its per-CPU counters into the totals every 2 s (estimator), and vigild reads
    # them with each full round: poll until the 4 fetches show
    text = wait_for("the fetches in the connection counters", lambda: (t := opslab.scrape(director, METRICS_PORT)) and
                    opslab.sample(opslab.samples(t), "vigil_ipvs_service_connections_total", vs=VS80) >= 4 and t,
                    15, interval=0.5)
    path = os.path.join(lab.dir, "metrics.txt")
    with open(path, "w") as f:
        f.write(text)
    r = run(["promtool", "check", "metrics"], check_rc=False, input_text=text, timeout=120)
    check(r == "", f"promtool check metrics printed: {r}")  # run() raised on a non-zero exit already
    s = opslab.samples(text)
    for ip in WEB.values():
        rs = f"{ip}:80"
        check(opslab.sample(s, "vigil_ipvs_dest_weight", vs=VS80, rs=rs) == 1, f"dest weight of {rs}")
        opslab.sample(s, "vigil_ipvs_dest_active_connections", vs=VS80, rs=rs)
        opslab.sample(s, "vigil_ipvs_dest_inactive_connections", vs=VS80, rs=rs)
        check(opslab.sample(s, "vigil_real_server_up", vs=VS80, rs=rs) == 1, f"{rs} not up in metrics")
    conns = opslab.sample(s, "vigil_ipvs_service_connections_total", vs=VS80)
    dest_conns = sum(opslab.sample(s, "vigil_ipvs_dest_connections_total", vs=VS80, rs=f"{ip}:80") for ip in WEB.values())
    check(conns >= 4 and dest_conns >= 4, f"connection counters do not show the 4 fetches: service {conns}, dests {dest_conns}")
    for name in ("vigil_ipvs_service_in_bytes_total", "vigil_ipvs_service_out_bytes_total"):
        check(opslab.sample(s, name, vs=VS80) > 0, f"{name} is 0 after traffic")
    check(opslab.sample(s, "vigil_health_check_results_total") >= 2, "no checker results counted")
    opslab.sample(s, "vigil_health_check_failures_total")
    check(opslab.sample(s, "vigil_ipvs_operations_total") >= 6, "operations counter below the table's 6 entries")
    out.info(f"promtool: pass ({len(text.splitlines())} lines); service conns {conns:g}, dest conns {dest_conns:g}, "
             f"checker results {opslab.sample(s, 'vigil_health_check_results_total'):g}")

    # ---- 3. unchanged reload ----
    out.step("reload with an unchanged file")
    rec0, k0 = reconciler(daemon), kp.counts()
    n_done = len(daemon.log_lines(r"reload: done"))
    os.kill(daemon.proc.pid, signal.SIGHUP)
    wait_for("the reload", lambda: len(daemon.log_lines(r"reload: done")) > n_done, 10)
    check(daemon.log_lines(r"reload: done, 0 change\(s\)")[-1:], f"the reload did not say 0 change(s): "
          f"{daemon.log_lines(r'reload: done')[-1]}")
    rec = opslab.wait_round(daemon, rec0["full_rounds"] + 1)  # the reload's round and one more
    dk = Kprobes.delta(kp.counts(), k0)
    out.info(f"'reload: done, 0 change(s)'; {rec['full_rounds'] - rec0['full_rounds']} full rounds since; "
             f"operations {rec0['operations']} -> {rec['operations']}; kernel calls {dk or 'none'}")
    check(rec["operations"] == rec0["operations"], "an unchanged reload applied operations")
    check(not dk, f"an unchanged reload reached the kernel: {dk}")
    check(director.ipvs() == expected(), "the table changed")

    # ---- 4. broken reload ----
    out.step("reload with a broken file")
    with open(conf, "w") as f:
        f.write(conf_text().replace("lb_algo rr", "lb_algo rr\n  lb_algoo wrr", 1))
    rec0, k0 = reconciler(daemon), kp.counts()
    n_ref = len(daemon.log_lines(r"keeping the running configuration"))
    os.kill(daemon.proc.pid, signal.SIGHUP)
    wait_for("the refusal", lambda: len(daemon.log_lines(r"keeping the running configuration")) > n_ref, 10)
    where = daemon.log_lines(rf"{re.escape(conf)}:\d+:\d+: error: .*lb_algoo")
    check(where, "no file:line diagnostic in the log")
    rec = opslab.wait_round(daemon, rec0["full_rounds"] + 1)
    dk = Kprobes.delta(kp.counts(), k0)
    check(rec["operations"] == rec0["operations"] and not dk, f"a refused reload changed the kernel: {dk}")
    check(director.ipvs() == expected(), "the table changed")
    check(len(reconciler(daemon)) and len(opslab.status(daemon)["ipvs"]["virtual_servers"]) == 2, "status lost a VS")
    out.info(f"refused: {where[-1].split(' ', 3)[-1].strip()[:100]}; table and counters unchanged")
    with open(conf, "w") as f:
        f.write(conf_text())

    # ---- 5. drain / undrain ----
    out.step("vigilctl drain / undrain 192.168.200.110:80")
    k0 = kp.counts()
    daemon.vigilctl("drain", VS80, "192.168.200.110:80")
    wait_for("weight 0 in the kernel", lambda: director.ipvs()["TCP 12.0.0.1:80"]["dests"]["192.168.200.110:80"][1] == 0,
             SLACK)
    check(real_server(daemon, VS80, "192.168.200.110:80")["drained"] is True, "status does not say drained")
    who = [b.replace("this is xykj ", "") for b in fetch(client, "http://12.0.0.1/", count=4)]
    check(who == ["web2"] * 4, f"new connections still reach the drained web1: {who}")
    daemon.vigilctl("undrain", VS80, "192.168.200.110:80")
    wait_for("weight 1 again", lambda: director.ipvs() == expected(), SLACK)
    dk = Kprobes.delta(kp.counts(), k0)
    check(dk.get("ip_vs_edit_dest") == 2 and not dk.get("ip_vs_del_dest"), f"drain+undrain kernel calls: {dk}")
    check(real_server(daemon, VS80, "192.168.200.110:80")["drained"] is False, "still drained after undrain")
    out.info(f"drain: weight 0, 4 new fetches all answered by web2; undrain: weight 1; kernel calls {dk}")

    # ---- 6. a reload that removes a real server drains it ----
    out.step("a reload removes the real server a long-lived connection is on")
    conv = Conversation(lab, client, "12.0.0.1", 7000, interval=0.1)
    conv.wait_replies(5, 0, 15)
    on = conv.who()
    other = "web2" if on == "web1" else "web1"
    gone_rs = f"{WEB[on]}:7000"
    wait_for(f"status to show the connection on {gone_rs}",
             lambda: real_server(daemon, VS7000, gone_rs)["active_conns"] == 1, SLACK, interval=0.3)
    out.info(f"long-lived connection on {on}; status shows active_conns 1 for {gone_rs}")
    k0 = kp.counts()
    with open(conf, "w") as f:
        f.write(conf_text(web_7000=(other,)))
    t_reload = time.time()
    os.kill(daemon.proc.pid, signal.SIGHUP)
    wait_for(f"{gone_rs} at weight 0 (draining)",
             lambda: proc_dests(director).get(("TCP 12.0.0.1:7000", gone_rs), (None,))[0] == 0, SLACK, interval=0.1)
    t_w0 = time.time()
    plan = daemon.log_lines(r"reload: ipvs: ")
    out.info(f"weight 0 {t_w0 - t_reload:.2f} s after SIGHUP; plan: {'; '.join(l.split('reload: ', 1)[1] for l in plan)}")
    replies = conv.wait_replies(20, t_w0, 10)
    check(all(r["who"] == on for r in replies), "the long-lived connection changed server")
    answers = fresh_connections(lab, client, "12.0.0.1", 7000, 6)
    check(answers == [other] * 6, f"new connections while draining went to {answers}, expected only {other}")
    weight, active, _ = proc_dests(director)[("TCP 12.0.0.1:7000", gone_rs)]
    check(weight == 0 and active == 1, f"draining dest: weight {weight}, active {active}")
    out.info(f"while draining: {len(replies)} round trips on the old connection, 6/6 new connections to {other}; "
             f"kernel: weight 0, ActiveConn 1")
    # the drain is re-evaluated every round: two more with the connection up must keep the dest
    opslab.wait_round(daemon, reconciler(daemon)["full_rounds"] + 1)
    check(("TCP 12.0.0.1:7000", gone_rs) in proc_dests(director), "the draining dest was deleted with a connection up")
    t_close = conv.close()
    wait_for(f"{gone_rs} deleted after the client closed",
             lambda: ("TCP 12.0.0.1:7000", gone_rs) not in proc_dests(director), 60, interval=0.1)
    t_del = time.time()
    line = wait_for("the drained line", lambda: daemon.log_lines(rf"ipvs: drained {re.escape(gone_rs)} from .*: idle"), 5)
    dk = Kprobes.delta(kp.counts(), k0)
    out.info(f"client closed -> dest deleted in {t_del - t_close:.2f} s; log: {line[-1].split('ipvs: ', 1)[1]}; "
             f"kernel calls {dk}")
    check(dk.get("ip_vs_edit_dest") == 1 and dk.get("ip_vs_del_dest") == 1 and not dk.get("ip_vs_add_dest"),
          f"drain by reload: expected one edit and one delete, kernel saw {dk}")
    check(director.ipvs() == expected(web_7000=(other,)), "table after the drain")

    # ---- 7. restart adoption ----
    out.step("restart with vigil_ipvs_on_stop keep while a connection is established")
    conv2 = Conversation(lab, client, "12.0.0.1", 7000, interval=0.1, name="conversation2")
    conv2.wait_replies(5, 0, 15)
    table = director.ipvs()
    deviations = []
    watching = [True]

    def watch():  # the table must never differ, from SIGTERM until the new vigild's first round
        while watching[0]:
            t = director.ipvs()
            if t != table:
                deviations.append((time.time(), t))
            time.sleep(0.05)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    k0 = kp.counts()
    t_term = daemon.term(timeout=30)
    t_exit = time.time()
    keep_line = daemon.log_lines(r"ipvs: leaving the table in the kernel")
    check(keep_line, "no log line saying the table stays")
    out.info(f"vigild exited {t_exit - t_term:.2f} s after SIGTERM; log: {keep_line[-1].split('ipvs: ', 1)[1]}")
    conv2.wait_replies(10, t_exit, 10)
    daemon.start()
    rec = wait_for("the new vigild's first full round", lambda: (r := reconciler(daemon))["full_rounds"] >= 1 and r, 30,
                   interval=0.2)
    conv2.wait_replies(10, time.time(), 10)
    watching[0] = False
    watcher.join()
    dk = Kprobes.delta(kp.counts(), k0)
    applied = daemon.log_lines(r"ipvs: (applied|repaired drift)")
    out.info(f"new vigild: first round after {time.time() - daemon.started_at:.2f} s, operations {rec['operations']}, "
             f"kernel calls over stop+start {dk or 'none'}, table deviations {len(deviations)}; "
             f"connection alive ({len(conv2.replies())} round trips)")
    check(not deviations, f"the table changed during the restart: {deviations[:2]}")
    check(rec["operations"] == 0 and not applied, f"the new vigild applied operations: {rec} {applied}")
    check(not dk, f"the restart reached the kernel: {dk}")
    conv2.close()

    # ---- 8. a reload removes the checker of a real server that is down ----
    out.step("a reload removes the TCP_CHECK of a real server that is down")
    web1 = ("TCP 12.0.0.1:80", f"{WEB['web1']}:80")
    webs["web1"].stop()
    wait_for("web1 out of the table (its TCP_CHECK fails)", lambda: web1 not in proc_dests(director), 30, interval=0.2)
    with open(conf, "w") as f:
        f.write(conf_text(web_7000=(other,), unchecked=("web1",)))
    t_hup = time.time()
    os.kill(daemon.proc.pid, signal.SIGHUP)
    wait_for("web1 back in the table: without checkers a real server is up", lambda: web1 in proc_dests(director),
             15, interval=0.1)
    out.info(f"web1 (httpd stopped) back at weight {proc_dests(director)[web1][0]} {time.time() - t_hup:.2f} s "
             f"after the reload that removed its TCP_CHECK")
    check(proc_dests(director)[web1][0] == 1, "web1 is back with a weight other than its configured 1")
    check(real_server(daemon, VS80, f"{WEB['web1']}:80")["up"], "status still shows web1 down")
    webs["web1"].start()
    kp.close()


if __name__ == "__main__":
    scenario_main("ipvs_ops", scenario)
