"""DOC: Chaos test — three vigild directors with the same VRID, disturbed at random for N iterations
(VIGIL_CHAOS_ITERATIONS, default 30 for CI; the nightly size is >= 200; VIGIL_CHAOS_SEED repeats a
run). Each iteration applies one disturbance, then undoes it:

  kill       SIGKILL a daemon (the master half the time), then start it again
  term       SIGTERM a daemon (planned stop, lossless handover), then start it again
  link       carrier off on a node's port, then on
  partition  split the LAN (bridge port isolation of two or three nodes, or one node cut off by
             dropping all its frames), then heal it
  loss       drop 20-60 % of a node's frames both ways for a while, then stop
  delay      delay a node's frames both ways by 20-150 ms (+-25 % jitter) for a while, then stop
  reload     give a node a new priority with SIGHUP (the config file rewritten)

The lab kernel has no sch_netem, so loss and delay come from vrrplab's user-space relay between
each node and the bridge (tc netem's job, done the same way both directions).

Invariants, checked from the outside — VIP ownership from each node's `ip monitor address`
stream and the liveness of its daemon, adverts from tcpdump on the bridge:
  * after a disturbance that leaves the LAN whole (kill, term, link, reload) and after every
    undo, exactly one live node owns the VIP — the one with the highest priority among those
    that can take part — within Master_Down_Interval + one advert interval, and keeps it (one
    further Master_Down_Interval watched, during which it is also the only node advertising);
  * after a partition heals, two nodes never own the VIP for longer than one advert interval;
  * no daemon dies unless the driver killed it, and every daemon exits 0 on SIGTERM at the end;
  * every state transition is logged with a reason, and every time a node added the VIP its
    log has a transition to MASTER to show for it.
The table at the end lists, per disturbance, how often it ran and the median and worst times.
"""

import os
import random
import re
import signal
import statistics
import time

from vrrplab import Lab, check, config, instance, main, wait_for

VIP = "198.18.0.100"
ADVERT = 0.2
VIP_LINE = re.compile(r"inet " + re.escape(VIP) + "/")
TRANSITION = re.compile(r"\[VI_1/v4\] (\S+) -> (\S+)(?: \(([^)]*)\))?")


def mdi(priority):
    """RFC 5798 §6.1: Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time."""
    return 3 * ADVERT + (256 - priority) / 256 * ADVERT


class Node:
    def __init__(self, lab, name, index, priority):
        self.name, self.index, self.priority = name, index, priority
        self.ip = f"198.18.0.{index}"
        self.host = lab.host(name, index, relay=True)
        self.mac = self.host.mac()
        self.daemon = None
        self.daemons = []
        self.alive_since = None   # wall time the running daemon became ready
        self.runs = []            # [start, end) intervals during which a daemon was alive
        self.stale = []           # (ready, exec) of each start
        self.link = True

    def conf(self):
        return config(instance(priority=self.priority, advert=str(ADVERT)))

    def start(self):
        """Starts vigild; returns when its control socket is up. Its life counts from the exec: a VIP
        the node still holds from a killed predecessor is not this daemon's (it removes it), so only
        addresses added since count as owned."""
        self.alive_since = time.time()
        self.daemon = self.host.vigild(self.conf())
        self.daemons.append(self.daemon)
        ready = time.time()
        self.stale.append((ready, self.alive_since))
        return ready

    def stopped(self, at):
        self.runs.append((self.alive_since, at))
        self.alive_since = None

    def run_start(self, t):
        """Start of the daemon run alive at t, or None."""
        if self.alive_since is not None and t >= self.alive_since:
            return self.alive_since
        return next((a for a, b in self.runs if a <= t < b), None)

    def owns(self, t):
        start = self.run_start(t)
        if start is None:
            return False
        present = False
        for when, p in self.vip_events():
            if when > t:
                break
            if when >= start:
                present = p
        return present

    def leftover_removed(self, ready, started):
        """ms from ready until the VIP left by a killed predecessor was removed (None: there was none)."""
        for when, p in self.vip_events():
            if when >= started and not p:
                return when - ready
            if when >= started and p:
                return None
        return None

    def vip_events(self):
        """(wall time, present) for every VIP add/delete seen by ip monitor on this node."""
        out = []
        for t, line in self.host.addr_monitor.snapshot():
            if VIP_LINE.search(line):
                out.append((t, "Deleted" not in line))
        return out


class Chaos:
    def __init__(self, lab, iterations, seed):
        self.lab = lab
        self.rng = random.Random(seed)
        self.iterations = iterations
        self.nodes = [Node(lab, "h1", 1, 150), Node(lab, "h2", 2, 120), Node(lab, "h3", 3, 100)]
        self.sniffer = lab.sniff("ip proto 112")
        self.by_mac = {n.mac: n for n in self.nodes}
        self.rows = {}      # disturbance -> list of dict(apply, restore, dual, wire_dual)
        self.failures = []
        self.leftovers = []  # after a kill: ms from the new daemon being ready to the old VIP removed

    # ---- what the outside sees ----------------------------------------------------------------

    def owners(self, at=None):
        at = time.time() if at is None else at
        return {n.name for n in self.nodes if n.owns(at)}

    def segments(self, t0, t1):
        """[(start, end, owners)] between t0 and t1, from the address events and daemon lives."""
        cuts = {t0, t1}
        for n in self.nodes:
            cuts.update(t for t, _ in n.vip_events() if t0 < t < t1)
            for a, b in n.runs + ([(n.alive_since, t1)] if n.alive_since else []):
                cuts.update(x for x in (a, b) if t0 < x < t1)
        points = sorted(cuts)
        out = []
        for a, b in zip(points, points[1:]):
            owners = frozenset(self.owners(a))
            if out and out[-1][2] == owners:
                out[-1] = (out[-1][0], b, owners)
            else:
                out.append((a, b, owners))
        return out

    def expected(self, exclude=()):
        able = [n for n in self.nodes if n.daemon is not None and n.alive_since is not None and n.link
                and n not in exclude]
        return max(able, key=lambda n: (n.priority, [int(x) for x in n.ip.split(".")]))

    def master(self):
        owners = self.owners()
        return next((n for n in self.nodes if n.name in owners), None) if len(owners) == 1 else None

    # ---- settle check -------------------------------------------------------------------------

    def settle(self, t0, bound, what, exclude=(), transient_until=None):
        """Waits until exactly the expected node owns the VIP, watches one more Master_Down_Interval,
        and returns (time from t0 to the start of that single ownership, seconds with two or more
        owners after t0). Records a failure if the bound is broken. Before transient_until a brief
        second owner is legitimate (see d_partition): the watch starts after it."""
        want = self.expected(exclude)
        alone = lambda: self.owners() == {want.name}
        try:
            wait_for(f"{want.name} alone owning {VIP} after {what}", alone, bound + 2.0)
            if transient_until is not None and time.time() < transient_until:
                time.sleep(transient_until - time.time())  # protocol window, not synchronisation
                wait_for(f"{want.name} alone owning {VIP} after {what}", alone, bound + 2.0)
        except AssertionError as e:
            self.failures.append(f"{what}: {e}; owners {sorted(self.owners())}")
            return None, None
        watch_from = time.time()
        time.sleep(mdi(min(n.priority for n in self.nodes)))  # observation window, not synchronisation
        t1 = time.time()
        segs = self.segments(t0, t1)
        last = segs[-1]
        dual = sum(b - a for a, b, o in segs if len(o) >= 2)
        if os.environ.get("VIGIL_CHAOS_VERBOSE"):
            print(f"    {what}: {self.describe(segs, t0)}")
        if last[2] != frozenset({want.name}) or last[0] > watch_from:
            self.failures.append(f"{what}: ownership moved while watched: {self.describe(segs, t0)}")
            return None, dual
        took = max(0.0, last[0] - t0)
        if took > bound:
            self.failures.append(f"{what}: one owner after {1000 * took:.0f} ms > bound {1000 * bound:.0f} ms: "
                                 f"{self.describe(segs, t0)}")
        # the wire agrees: only the owner advertised (priority > 0) while we watched (from 250 ms on:
        # frames a relay was still delaying when its impairment was cleared may arrive until then)
        senders = {self.by_mac[m].name for m in self.advertisers(watch_from + 0.25, t1) if m in self.by_mac}
        if senders != {want.name}:
            self.failures.append(f"{what}: adverts from {sorted(senders)} while {want.name} owned the VIP")
        return took, dual

    def advertisers(self, t0, t1):
        macs = set()
        for ts, line in self.lab.wire(r"vrid 51, prio [1-9]", t0):
            if ts <= t1:
                macs.add(line.split()[0])
        return macs

    def wire_dual(self, t0, winner):
        """Seconds after t0 until the last advert (priority > 0) from a node other than winner."""
        last = [ts for ts, line in self.lab.wire(r"vrid 51, prio [1-9]", t0) if line.split()[0] != winner.mac]
        return max(last) - t0 if last else 0.0

    @staticmethod
    def describe(segs, t0):
        return "; ".join(f"+{1000 * (a - t0):.0f}..{1000 * (b - t0):.0f} ms {sorted(o)}" for a, b, o in segs)

    # ---- disturbances ---------------------------------------------------------------------------

    def record(self, kind, apply=None, restore=None, dual=None, wire=None):
        self.rows.setdefault(kind, []).append({"apply": apply, "restore": restore, "dual": dual, "wire": wire})

    def restart(self, node, kind):
        ready = node.start()
        restore, dual = self.settle(ready, mdi(self.expected().priority) + ADVERT, f"{kind} {node.name}: restart")
        left = node.leftover_removed(ready, node.alive_since)
        if left is not None:
            self.leftovers.append(left)
        return restore, dual

    def d_kill(self):
        master = self.master()
        node = master if master and self.rng.random() < 0.5 else self.rng.choice(self.nodes)
        t0 = time.time()
        node.stopped(t0)
        node.daemon.kill()
        want = self.expected()
        apply, _ = self.settle(t0, mdi(want.priority) + ADVERT, f"kill {node.name}")
        restore, dual = self.restart(node, "kill")
        self.record("kill", apply, restore, dual)
        return f"kill {node.name}{' (master)' if node is master else ''}"

    def d_term(self):
        node = self.rng.choice(self.nodes)
        t0 = time.time()
        node.daemon.term()
        exited = node.daemon.wait_exit(5)
        check(node.daemon.proc.returncode == 0, f"{node.name} exited {node.daemon.proc.returncode} on SIGTERM")
        node.stopped(exited)
        apply, _ = self.settle(t0, mdi(self.expected().priority) + ADVERT, f"term {node.name}")
        restore, dual = self.restart(node, "term")
        self.record("term", apply, restore, dual)
        return f"term {node.name}"

    def d_link(self):
        node = self.rng.choice(self.nodes)
        t0 = time.time()
        node.host.set_port(False)
        node.link = False
        apply, _ = self.settle(t0, mdi(self.expected().priority) + ADVERT, f"link down {node.name}")
        t1 = time.time()
        node.host.set_port(True)
        node.link = True
        restore, dual = self.settle(t1, mdi(self.expected().priority) + ADVERT, f"link up {node.name}")
        self.record("link", apply, restore, dual)
        return f"link {node.name}"

    def hold(self):
        time.sleep(self.rng.uniform(0.5, 2.0))  # let the disturbance act (split brain, flaps)

    def d_partition(self):
        shape = self.rng.choice(["pair", "all", "one"])
        if shape == "one":
            cut = [self.rng.choice(self.nodes)]
            cut[0].host.impair(loss=1.0)
        else:
            cut = self.rng.sample(self.nodes, 2) if shape == "pair" else list(self.nodes)
            for n in cut:
                n.host.isolate(True)
        self.hold()
        owners_before = sorted(self.owners())
        t0 = time.time()
        for n in cut:
            if shape == "one":
                n.host.impair()
            else:
                n.host.isolate(False)
        want = self.expected()
        # A heal can land while a cut-off backup's Master_Down_Timer is still running (the hold may
        # be shorter than Master_Down_Interval). If it expires before the master's first advert
        # after the heal reaches that backup, the backup becomes master and yields on that advert
        # (RFC 5798 6.4.3): a legitimate second owner for less than one advert interval, which the
        # two-owner bound below checks. Ownership must be settled from then on.
        restore, dual = self.settle(t0, mdi(want.priority) + ADVERT, f"heal {shape} {[n.name for n in cut]}",
                                    transient_until=t0 + ADVERT + 0.05)
        wire = self.wire_dual(t0, want)
        if dual is not None and dual > ADVERT:
            self.failures.append(f"heal {shape}: two owners for {1000 * dual:.0f} ms > one advert interval")
        self.record("partition", None, restore, dual, wire)
        return f"partition {shape} {'+'.join(n.name for n in cut)} (owners before heal {owners_before})"

    def impairment(self, kind):
        node = self.rng.choice(self.nodes)
        if kind == "loss":
            loss = self.rng.uniform(0.2, 0.6)
            node.host.impair(loss=loss)
            label = f"loss {100 * loss:.0f}% {node.name}"
        else:
            delay = self.rng.uniform(0.02, 0.15)
            node.host.impair(delay=delay, jitter=delay / 4)
            label = f"delay {1000 * delay:.0f} ms {node.name}"
        self.hold()
        t0 = time.time()
        node.host.impair()
        restore, dual = self.settle(t0, mdi(self.expected().priority) + ADVERT, f"{label}: cleared")
        self.record(kind, None, restore, dual)
        return label

    def d_loss(self):
        return self.impairment("loss")

    def d_delay(self):
        return self.impairment("delay")

    def d_reload(self):
        node = self.rng.choice(self.nodes)
        taken = {n.priority for n in self.nodes if n is not node}
        node.priority = self.rng.choice([p for p in range(60, 250, 5) if p not in taken])
        with open(os.path.join(self.lab.dir, f"{node.name}.conf"), "w") as f:
            f.write(node.conf())
        done = len(node.daemon.log_lines(r"reload: done"))
        t0 = time.time()
        node.daemon.signal(signal.SIGHUP)
        wait_for(f"reload on {node.name}", lambda: len(node.daemon.log_lines(r"reload: done")) > done, 5)
        apply, dual = self.settle(t0, mdi(self.expected().priority) + ADVERT, f"reload {node.name}")
        self.record("reload", apply, None, dual)
        return f"reload {node.name} priority {node.priority}"

    # ---- the run --------------------------------------------------------------------------------

    def run(self, budget):
        for n in self.nodes:
            n.start()
        self.settle(time.time(), 3.0, "start")
        kinds = {"kill": 3, "term": 1, "link": 2, "partition": 3, "loss": 2, "delay": 2, "reload": 2}
        names = list(kinds)
        deadline = time.monotonic() + budget
        for i in range(1, self.iterations + 1):
            check(time.monotonic() < deadline, f"chaos run over its time budget of {budget:.0f} s at iteration {i}")
            kind = self.rng.choices(names, weights=[kinds[k] for k in names])[0]
            failures = len(self.failures)
            label = getattr(self, f"d_{kind}")()
            for n in self.nodes:
                check(n.daemon.alive(), f"vigild on {n.name} died (iteration {i}, {label}): "
                                        f"{n.daemon.out.snapshot()[-5:]}")
            status = "ok" if len(self.failures) == failures else "FAILED: " + "; ".join(self.failures[failures:])
            print(f"#{i:3d} {label}: {status}", flush=True)
        self.finish()

    def finish(self):
        for n in self.nodes:
            n.daemon.term()
        for n in self.nodes:
            n.stopped(n.daemon.wait_exit(10))
            check(n.daemon.proc.returncode == 0, f"vigild on {n.name} exited {n.daemon.proc.returncode}")
        for n in self.nodes:
            lines = [l for d in n.daemons for _, l in d.out.snapshot()]
            bad = [l for l in lines if "runtime error" in l or "AddressSanitizer" in l or "terminate called" in l]
            check(not bad, f"{n.name}: {bad[:3]}")
            transitions = [TRANSITION.search(l) for l in lines]
            transitions = [m for m in transitions if m]
            unexplained = [m.group(0) for m in transitions if not m.group(3)]
            check(not unexplained, f"{n.name}: transitions logged without a reason: {unexplained[:3]}")
            to_master = sum(1 for m in transitions if m.group(2).lower() == "master")
            added = sum(1 for _, present in n.vip_events() if present)
            check(added <= to_master, f"{n.name} added the VIP {added} times but logged {to_master} transitions to master")
            print(f"{n.name}: {len(transitions)} transitions logged with reasons, {to_master} to master, "
                  f"VIP added {added} times, {len(n.daemons)} daemon runs")

    def table(self):
        def fmt(values):
            values = [v for v in values if v is not None]
            if not values:
                return "—"
            return f"{1000 * statistics.median(values):.0f} / {1000 * max(values):.0f}"
        bound = mdi(60) + ADVERT
        print()
        print(f"advert interval {1000 * ADVERT:.0f} ms; bound Master_Down_Interval + advert = "
              f"{1000 * (mdi(250) + ADVERT):.0f}..{1000 * bound:.0f} ms (by the new master's priority); "
              f"two owners after a heal: bound {1000 * ADVERT:.0f} ms")
        if self.leftovers:
            print(f"VIP left by a killed daemon: removed {1000 * min(self.leftovers):+.0f}..{1000 * max(self.leftovers):+.0f} ms "
                  f"relative to its successor's control socket being ready ({len(self.leftovers)} restarts after a kill)")
        print("| disturbance | runs | apply → one owner, ms (median / worst) | undo → one owner, ms | "
              "two owners after undo, ms (median / worst) | last loser advert after heal, ms |")
        print("|---|---|---|---|---|---|")
        for kind, rows in sorted(self.rows.items()):
            print(f"| {kind} | {len(rows)} | {fmt(r['apply'] for r in rows)} | {fmt(r['restore'] for r in rows)} | "
                  f"{fmt(r['dual'] for r in rows)} | {fmt(r['wire'] for r in rows)} |")


def chaos(vigild):
    iterations = int(os.environ.get("VIGIL_CHAOS_ITERATIONS", "30"))
    seed = int(os.environ.get("VIGIL_CHAOS_SEED", str(random.randrange(1 << 30))))
    print(f"chaos: {iterations} iterations, seed {seed} (VIGIL_CHAOS_SEED={seed} repeats this run)")
    with Lab("chaos", vigild) as lab:
        c = Chaos(lab, iterations, seed)
        started = time.monotonic()
        try:
            c.run(budget=60 + 12 * iterations)
        finally:
            c.table()
            print(f"{iterations} iterations in {time.monotonic() - started:.0f} s")
        check(not c.failures, f"{len(c.failures)} invariant violations:\n  " + "\n  ".join(c.failures))


if __name__ == "__main__":
    main({"chaos": chaos})
