"""VRRP failover between two tandem nodes (and keepalived) in network
namespaces made by each test (tests/netns/lab.py).

Every test builds a LAN: nodes "a" (192.0.2.1) and "b" (192.0.2.2), each
with tandem in front of a tandem-app on 127.0.0.1:8080, sharing the virtual
address 192.0.2.100; a client "c" (192.0.2.10) opens a new connection to
the VIP every 20 ms (client.py). Takeover time = from the event (kill,
signal, cable out) to the end of the first successful request started
after it and answered by the new node. After every step exactly one live
node holds the VIP (`ip -n NS addr`), steadily.

Measurements are printed as "INFO measure NAME VALUE ms" and collected in
tests/out/netns-vrrp.json (doc/vrrp.md quotes them).
"""
import json
import os
import signal
import subprocess
import threading
import time

from lab import Lab, LabError, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIP = "192.0.2.100"
IP_A = "192.0.2.1"        # node a (host 1 on the lab bridge)
PERIOD_MS = 20
PRIO_A, PRIO_B = 200, 150   # b's Skew_Time: 41 ms at advert-int 100ms
MEASURES = {}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def bin_path(name):
    d = os.environ.get("TANDEM_BIN_DIR", "bin")
    return os.path.join(d if os.path.isabs(d) else os.path.join(ROOT, d), name)


def measure(name, ms):
    MEASURES[name] = round(ms, 1)
    print("INFO measure %s %.1f ms" % (name, ms), flush=True)


# ---- timers of RFC 5798 6.1, for the bounds ----

def skew_ms(prio, adver_ms):
    return (256 - prio) * adver_ms / 256.0


def mdi_ms(prio, adver_ms):
    return 3 * adver_ms + skew_ms(prio, adver_ms)


# ---- nodes ----

def tandem_cfg(prio, adver_ms, extra=""):
    return """global
    nbthread 1
    stats socket ipv4@127.0.0.1:9999 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s:80
    default_backend app
backend app
    server s1 127.0.0.1:8080
listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
vrrp web
    interface eth0
    virtual-router-id 51
    priority %d
    advert-int %dms
    virtual-ipaddress %s/24
%s""" % (VIP, prio, adver_ms, VIP, extra)


def keepalived_cfg(name, prio, adver_ms):
    return """global_defs {
    router_id %s
    vrrp_version 3
    vrrp_garp_master_delay 0
}
vrrp_instance web {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority %d
    advert_int %s
    virtual_ipaddress {
        %s/24
    }
}
""" % (name, prio, "%.2f" % (adver_ms / 1000.0), VIP)


class Env:
    """One test's lab, work directory and processes."""

    def __init__(self, workdir):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.lab = Lab(workdir)
        self.tandems = {}
        self.runs = {}

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def app(self, node, listen="127.0.0.1:8080"):
        return self.lab.spawn(node, "app-%s" % node, [bin_path("tandem-app"), "--name", node.upper(),
                                                    "--listen", listen, "--read-delay-ms", "0", "-q"])

    def tandem(self, node, prio, adver_ms, extra=""):
        """Start (or restart) tandem on <node>; returns once its VRRP
        instance has started (BACKUP or MASTER logged)."""
        self.runs[node] = self.runs.get(node, 0) + 1
        cfg = self.write("tandem-%s.cfg" % node, tandem_cfg(prio, adver_ms, extra))
        pr = self.lab.spawn(node, "tandem-%s-%d" % (node, self.runs[node]), [bin_path("tandem"), "-f", cfg])
        self.tandems[node] = pr
        wait_for(lambda: "(web) Entering" in pr.log() or not pr.alive(), 5, "tandem on %s to start VRRP" % node)
        check(pr.alive(), "tandem on %s exited:\n%s" % (node, pr.log()[-2000:]))
        return pr

    def keepalived(self, node, prio, adver_ms):
        cfg = self.write("keepalived-%s.conf" % node, keepalived_cfg(node.upper(), prio, adver_ms))
        files = [os.path.join(self.workdir, "keepalived-%s.%s" % (node, x)) for x in ("pid", "vrrp.pid", "chk.pid", "bfd.pid")]
        pr = self.lab.spawn(node, "keepalived-%s" % node,
                            ["keepalived", "-n", "-l", "-G", "-D", "-P", "-f", cfg, "-p", files[0],
                             "-r", files[1], "-c", files[2], "-b", files[3]])
        wait_for(lambda: "Entering BACKUP STATE" in pr.log() or "Entering MASTER STATE" in pr.log()
                 or not pr.alive(), 5, "keepalived on %s to start" % node)
        check(pr.alive(), "keepalived on %s exited:\n%s" % (node, pr.log()[-2000:]))
        return pr

    def expect_holder(self, node, nodes, timeout=2.0, stable=0.3):
        """Exactly <node> of <nodes> holds the VIP, within <timeout> s, and
        it stays so for <stable> s."""
        try:
            wait_for(lambda: self.lab.holders(VIP, nodes) == [node], timeout,
                     "%s to be the only holder of %s" % (node, VIP))
        except LabError:
            raise Fail("VIP holders among %s: %s, want only %s" % (nodes, self.lab.holders(VIP, nodes), node))
        end = time.monotonic() + stable
        while time.monotonic() < end:
            h = self.lab.holders(VIP, nodes)
            check(h == [node], "VIP holders changed to %s (want only %s)" % (h, node))
            time.sleep(0.02)

    def sanitizer_reports(self):
        """Names of the processes whose output has a sanitizer report."""
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")
        return [pr.name for pr in self.lab.procs if any(m in pr.log() for m in marks)]

    def close(self):
        self.lab.close()


class Client:
    """client.py in namespace c, results collected by a thread."""

    def __init__(self, env, duration):
        self.results = []
        self.lock = threading.Lock()
        self.p = env.lab.spawn("c", "client", ["python3", "-u", os.path.join(ROOT, "tests", "netns", "client.py"),
                                               VIP, "80", str(PERIOD_MS), str(duration), "1000"],
                               stdout_pipe=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.p.stdout:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.results.append(r)

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def served_by(self, node, since):
        """End time of the first ok request started after <since> and
        answered by <node>, or None."""
        best = None
        for r in self.snapshot():
            if r["ok"] and r["t0"] >= since and r.get("node") == node.upper():
                if best is None or r["t1"] < best:
                    best = r["t1"]
        return best

    def wait_served(self, node, since, timeout):
        try:
            t = wait_for(lambda: self.served_by(node, since), timeout, "requests answered by %s" % node)
        except LabError:
            raise Fail("no request started after the event was answered by %s within %.1fs; last results: %s"
                       % (node, timeout, self.snapshot()[-5:]))
        return (t - since) * 1000.0

    def failures(self, t_from, t_to):
        return [r for r in self.snapshot() if not r["ok"] and t_from <= r["t0"] <= t_to]

    def stop(self):
        try:
            os.kill(self.p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.p.p.wait(3)
        except subprocess.TimeoutExpired:
            pass
        self.t.join(2)


def pair(env, adver_ms, prio_a=PRIO_A, prio_b=PRIO_B, extra="", extra_b=""):
    """Nodes a, b (tandem) and c (client); a is master, b backup. <extra>
    goes to both vrrp sections, <extra_b> to b's only."""
    for node, host in (("a", 1), ("b", 2), ("c", 10)):
        env.lab.add_node(node, host)
    env.app("a")
    env.app("b")
    env.tandem("b", prio_b, adver_ms, extra + extra_b)
    env.tandem("a", prio_a, adver_ms, extra)
    env.expect_holder("a", ["a", "b"], timeout=3 * mdi_ms(prio_a, adver_ms) / 1000 + 2)
    check("Entering BACKUP STATE" in env.tandems["b"].log(), "b is not BACKUP:\n" + env.tandems["b"].log())


def no_drops(env, nodes):
    for n in nodes:
        for pr in env.lab.procs:
            if pr.name.startswith("tandem-%s" % n):
                check("dropped a VRRP packet" not in pr.log(), "%s dropped packets:\n%s" % (pr.name, pr.log()))


# ---- scenarios ----

def running(pid):
    """Is <pid> alive (not gone, not a zombie)?"""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "State:\tZ" not in f.read()
    except OSError:
        return False


def kill9_master(env, adver_ms, full):
    """kill -9 of a's master process: the guard sends priority 0 and
    removes the VIP; b serves within Master_Down_Interval + 50 ms. With
    <full>: then a returns and preempts (at most one failed request), and
    SIGTERM on a hands back within 100 ms."""
    notify = env.write("notify.sh", "#!/bin/sh\necho \"$@\" >> %s/notify-b.txt\n" % env.workdir)
    os.chmod(notify, 0o755)
    pair(env, adver_ms, extra_b="    notify %s\n" % notify)
    cl = Client(env, 12 if full else 4)
    try:
        t0 = time.monotonic()
        cl.wait_served("a", t0, 2)
        a = env.tandems["a"]
        kids = a.children()          # worker and guard: the worker outlives the master
        env.lab.extra_pids.extend(kids)
        t = time.monotonic()
        env.lab.kill(a, signal.SIGKILL)
        d = cl.wait_served("b", t, 3)
        measure("tandem_kill9_master_%dms" % adver_ms, d)
        bound = mdi_ms(PRIO_B, adver_ms) + 50
        check(d <= bound, "b served %.0f ms after kill -9 of a's master, bound %.0f ms" % (d, bound))
        env.expect_holder("b", ["a", "b"])
        # keepalived's convention: $1 INSTANCE, $2 name, $3 state, $4 priority
        notified = os.path.join(env.workdir, "notify-b.txt")
        wait_for(lambda: os.path.exists(notified) and "INSTANCE web MASTER %d" % PRIO_B in open(notified).read(), 2,
                 "b's notify script to report MASTER")
        if not full:
            return
        # the orphaned worker still listens on the VIP's port: stop it
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(lambda: not any(running(p) for p in kids), 2, "the orphaned worker and guard to be gone")
        t = time.monotonic()
        env.tandem("a", PRIO_A, adver_ms)
        d = cl.wait_served("a", t, 3)
        env.expect_holder("a", ["a", "b"])
        fails = cl.failures(t, time.monotonic())
        measure("tandem_preempt_failed_requests_%dms" % adver_ms, len(fails))
        check(len(fails) <= 1, "%d failed requests while a preempted: %s" % (len(fails), fails))
        t = time.monotonic()
        os.kill(env.tandems["a"].pid, signal.SIGTERM)
        d = cl.wait_served("b", t, 3)
        measure("tandem_sigterm_%dms" % adver_ms, d)
        check(d <= 100, "b served %.0f ms after SIGTERM of a, bound 100 ms" % d)
        env.expect_holder("b", ["a", "b"])
        no_drops(env, ["a", "b"])
    finally:
        cl.stop()


def worker_of(pr):
    """PID of a tandem master's worker (its child that is not the guard)."""
    for pid in pr.children():
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() != "vrrp-guard":
                    return pid
        except OSError:
            pass
    raise Fail("no worker found under tandem %d" % pr.pid)


def node_crash(env, kind, adver_ms):
    """The whole node a disappears (cable out, every process killed): no
    priority 0 from anyone, b takes over when its Master_Down_Timer fires."""
    for node, host in (("a", 1), ("b", 2), ("c", 10)):
        env.lab.add_node(node, host)
    if kind == "tandem":
        env.app("a")
        env.app("b")
        env.tandem("b", PRIO_B, adver_ms)
        env.tandem("a", PRIO_A, adver_ms)
    else:
        env.app("a", "0.0.0.0:80")
        env.app("b", "0.0.0.0:80")
        env.keepalived("b", PRIO_B, adver_ms)
        env.keepalived("a", PRIO_A, adver_ms)
    env.expect_holder("a", ["a", "b"], timeout=3)
    cl = Client(env, 4)
    try:
        cl.wait_served("a", time.monotonic(), 2)
        t = time.monotonic()
        env.lab.unplug("a")
        for pid in [int(x) for x in subprocess.run(["ip", "netns", "pids", env.lab.ns("a")], text=True,
                                                   stdout=subprocess.PIPE).stdout.split()]:
            os.kill(pid, signal.SIGKILL)
        d = cl.wait_served("b", t, 3)
        measure("%s_node_crash_%dms" % (kind, adver_ms), d)
        bound = mdi_ms(PRIO_B, adver_ms) + 50
        if kind == "tandem":
            check(d <= bound, "b served %.0f ms after a's crash, bound Master_Down_Interval + 50 = %.0f ms" % (d, bound))
        env.expect_holder("b", ["b"])
    finally:
        cl.stop()


def keepalived_kill9(env, adver_ms):
    """Two keepalived nodes, measured like tandem's kill -9 of the master."""
    for node, host in (("a", 1), ("b", 2), ("c", 10)):
        env.lab.add_node(node, host)
    env.app("a", "0.0.0.0:80")
    env.app("b", "0.0.0.0:80")
    env.keepalived("b", PRIO_B, adver_ms)
    ka = env.keepalived("a", PRIO_A, adver_ms)
    env.expect_holder("a", ["a", "b"], timeout=3)
    cl = Client(env, 4)
    try:
        cl.wait_served("a", time.monotonic(), 2)
        env.lab.extra_pids.extend(ka.children())
        t = time.monotonic()
        env.lab.kill(ka, signal.SIGKILL)
        d = cl.wait_served("b", t, 3)
        measure("keepalived_kill9_%dms" % adver_ms, d)
        env.expect_holder("b", ["a", "b"])
    finally:
        cl.stop()


# ---- tests (run.py runs every test_* in file order) ----

def in_ns(env, node, *argv):
    r = subprocess.run(["ip", "netns", "exec", env.lab.ns(node)] + list(argv), text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    return r.stdout


def promtool_check(text):
    """promtool's verdict on a /metrics page: "" when clean."""
    r = subprocess.run(["promtool", "check", "metrics"], input=text, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=20)
    return "" if r.returncode == 0 else r.stdout or "promtool exited %d" % r.returncode


def test_vrrp_visible(env):
    """State, priority and master show on the admin socket (`show vrrp`), in
    /metrics (which promtool finds clean) and in the dashboard's JSON, on
    both nodes."""
    pair(env, 100)
    for node, state in (("a", "MASTER"), ("b", "BACKUP")):
        out = in_ns(env, node, "sh", "-c", "echo 'show vrrp' | socat -t 2 - TCP:127.0.0.1:9999")
        check("name: web" in out and "state: %s" % state in out, "%s show vrrp:\n%s" % (node, out))
        check("master: %s" % IP_A in out, "%s show vrrp names the master %s:\n%s" % (node, IP_A, out))
        met = in_ns(env, node, "curl", "-s", "http://127.0.0.1:8404/metrics")
        line = 'tandem_vrrp_state{instance="web",vrid="51",state="%s"} 1' % state
        check(line in met, "%s /metrics lacks %r" % (node, line))
        bad = promtool_check(met)
        check(not bad, "%s: promtool check metrics:\n%s" % (node, bad))
        js = json.loads(in_ns(env, node, "curl", "-s", "http://127.0.0.1:8404/stats;json"))
        v = js.get("vrrp") or [{}]
        check(v[0].get("state") == state and v[0].get("master") == IP_A, "%s JSON vrrp: %r" % (node, v))


def test_worker_stall_faults(env):
    """a's worker stops (SIGSTOP): no heartbeat for 1 s -> a enters FAULT,
    sends priority 0, b takes over; SIGCONT -> a leaves FAULT and preempts."""
    pair(env, 100)
    wpid = worker_of(env.tandems["a"])
    t = time.monotonic()
    os.kill(wpid, signal.SIGSTOP)
    try:
        env.expect_holder("b", ["a", "b"], timeout=3)
        d = (time.monotonic() - t) * 1000
        measure("tandem_worker_stall_to_backup", d)
        check(d >= 900, "a gave up after %.0f ms, before the 1 s heartbeat threshold" % d)
        wait_for(lambda: "Entering FAULT STATE (the worker stopped serving)" in env.tandems["a"].log(), 1,
                 "a to log FAULT")
    finally:
        os.kill(wpid, signal.SIGCONT)
    env.expect_holder("a", ["a", "b"], timeout=3)
    check("fault cleared" in env.tandems["a"].log(), "a did not log the fault clearing:\n" + env.tandems["a"].log())


def test_leftover_vip_removed_at_start(env):
    """A VIP left on the interface by a killed run (here with another
    prefix length) is removed before the instance starts."""
    for node, host in (("a", 1), ("b", 2)):
        env.lab.add_node(node, host)
    env.app("a")
    env.app("b")
    subprocess.run(["ip", "-n", env.lab.ns("a"), "addr", "add", VIP + "/32", "dev", "eth0"], check=True)
    check(env.lab.holders(VIP) == ["a"], "could not plant the leftover VIP")
    env.tandem("a", 100, 100)
    check("removed %s, left behind by a previous run" % VIP in env.tandems["a"].log(),
          "a did not report the leftover:\n" + env.tandems["a"].log())
    env.tandem("b", 200, 100)
    env.expect_holder("b", ["a", "b"], timeout=3)


def test_unicast_peers(env):
    """unicast-peer instead of multicast: same election and takeover."""
    for node, host in (("a", 1), ("b", 2)):
        env.lab.add_node(node, host)
    env.app("a")
    env.app("b")
    env.tandem("b", 100, 100, "    unicast-peer 192.0.2.1\n")
    env.tandem("a", 200, 100, "    unicast-peer 192.0.2.2\n")
    env.expect_holder("a", ["a", "b"], timeout=3)
    check("unicast" in env.tandems["a"].log(), "a is not in unicast mode")
    os.kill(env.tandems["a"].pid, signal.SIGTERM)
    env.expect_holder("b", ["a", "b"], timeout=2)
    no_drops(env, ["a", "b"])


def test_reload_keeps_vip(env):
    """A reload (SIGHUP) starts a new worker: the VIP stays where it is, no
    transition, no failed request; a changed vrrp section only warns."""
    pair(env, 100)
    cl = Client(env, 3)
    try:
        cl.wait_served("a", time.monotonic(), 2)
        a = env.tandems["a"]
        before = a.log()
        env.write("tandem-a.cfg", tandem_cfg(150, 100))
        t = time.monotonic()
        os.kill(a.pid, signal.SIGHUP)
        wait_for(lambda: "Reload done" in a.log(), 5, "a's reload")
        check("take effect at the next restart" in a.log(), "no warning about the changed vrrp section:\n" + a.log())
        env.expect_holder("a", ["a", "b"], timeout=0.1, stable=0.5)
        after = a.log()[len(before):]
        check("Entering" not in after, "a changed state during the reload:\n" + after)
        fails = cl.failures(t, time.monotonic())
        check(not fails, "%d requests failed during the reload: %s" % (len(fails), fails[:3]))
        cl.wait_served("a", time.monotonic(), 2)
    finally:
        cl.stop()


def test_track_backend_fault(env):
    """a's only server dies: its backend has no usable server -> FAULT,
    b takes over; the server returns -> a preempts again."""
    track = "    track-backend app\n"
    for node, host in (("a", 1), ("b", 2)):
        env.lab.add_node(node, host)
    env.app("a")
    env.app("b")
    chk = "    server s1 127.0.0.1:8080 check inter 100ms fall 1 rise 1\n"
    for node, prio in (("b", 100), ("a", 200)):
        cfg = tandem_cfg(prio, 100, track).replace("    server s1 127.0.0.1:8080\n", chk)
        env.runs[node] = 1
        path = env.write("tandem-%s.cfg" % node, cfg)
        pr = env.lab.spawn(node, "tandem-%s-1" % node, [bin_path("tandem"), "-f", path])
        env.tandems[node] = pr
        wait_for(lambda: "(web) Entering" in pr.log() or not pr.alive(), 5, "tandem on %s" % node)
        check(pr.alive(), "tandem on %s exited:\n%s" % (node, pr.log()))
    env.expect_holder("a", ["a", "b"], timeout=3)
    app_a = [p for p in env.lab.procs if p.name == "app-a"][0]
    env.lab.kill(app_a)
    env.expect_holder("b", ["a", "b"], timeout=3)
    check("Entering FAULT STATE (backend app has no usable server)" in env.tandems["a"].log(),
          "a did not enter FAULT:\n" + env.tandems["a"].log())
    app_a.p.wait(5)
    env.lab.procs.remove(app_a)
    env.app("a")
    env.expect_holder("a", ["a", "b"], timeout=4)


def test_bad_adverts_dropped(env):
    """Advertisements with TTL 64 or a bad checksum are dropped (logged);
    the same advertisement made valid does make the master yield."""
    pair(env, 100)
    inj = [os.path.join(ROOT, "tests", "netns", "inject.py")]

    def inject(ttl, good):
        argv = ["python3"] + inj + ["192.0.2.10", "51", "255", "10", str(ttl), good, VIP]
        r = subprocess.run(["ip", "netns", "exec", env.lab.ns("c")] + argv, stderr=subprocess.PIPE, text=True,
                           timeout=10)
        check(r.returncode == 0, "inject.py failed: %s" % r.stderr)

    inject(64, "good")
    wait_for(lambda: "dropped a VRRP packet from 192.0.2.10: ttl" in env.tandems["a"].log(), 2, "the TTL drop in a's log")
    inject(255, "bad")
    env.expect_holder("a", ["a", "b"], timeout=1, stable=0.5)
    check("Master received advert from 192.0.2.10" not in env.tandems["a"].log(), "a yielded to a bad advert")
    inject(255, "good")
    wait_for(lambda: "Master received advert from 192.0.2.10 with higher priority 255" in env.tandems["a"].log(), 2,
             "a to yield to a valid priority-255 advert")
    # the injected master never speaks again: a is back after its Master_Down_Interval
    env.expect_holder("a", ["a", "b"], timeout=2)


def test_kill9_master_returns_sigterm_100ms(env):
    kill9_master(env, 100, True)


def test_kill9_master_30ms(env):
    kill9_master(env, 30, False)


def test_node_crash_100ms(env):
    node_crash(env, "tandem", 100)


def test_node_crash_30ms(env):
    node_crash(env, "tandem", 30)


def test_keepalived_peer_takes_and_gives_back(env):
    """keepalived (vrrp_version 3, priority 250) joins tandem's virtual
    router: it takes the VIP, and a takes it back when keepalived stops."""
    pair(env, 100)
    b_log_start = len(env.tandems["b"].log())
    env.lab.add_node("k", 3)
    env.app("k", "0.0.0.0:80")
    cl = Client(env, 8)
    try:
        cl.wait_served("a", time.monotonic(), 2)
        t = time.monotonic()
        k = env.keepalived("k", 250, 100)
        env.expect_holder("k", ["a", "b", "k"], timeout=3)
        cl.wait_served("k", t, 2)
        a_log = env.tandems["a"].log()
        check("Master received advert from 192.0.2.3 with higher priority 250" in a_log,
              "a did not yield to keepalived:\n" + a_log)
        t = time.monotonic()
        os.kill(k.pid, signal.SIGTERM)
        d = cl.wait_served("a", t, 3)
        measure("keepalived_stop_to_tandem_100ms", d)
        env.expect_holder("a", ["a", "b", "k"])
        b_log = env.tandems["b"].log()[b_log_start:]
        check("Entering MASTER STATE" not in b_log, "b became MASTER:\n" + b_log)
        check(k.p.wait(5) is not None, "keepalived did not exit within 5 s of SIGTERM")
        # and when keepalived dies without a word
        k = env.keepalived("k", 250, 100)
        env.expect_holder("k", ["a", "b", "k"], timeout=3)
        env.lab.extra_pids.extend(k.children())
        t = time.monotonic()
        env.lab.kill(k, signal.SIGKILL)
        d = cl.wait_served("a", t, 3)
        measure("keepalived_kill9_to_tandem_100ms", d)
        env.expect_holder("a", ["a", "b", "k"])
        no_drops(env, ["a", "b"])
    finally:
        cl.stop()


def test_keepalived_kill9_100ms(env):
    keepalived_kill9(env, 100)


def test_keepalived_kill9_30ms(env):
    keepalived_kill9(env, 30)


def test_keepalived_node_crash_100ms(env):
    node_crash(env, "keepalived", 100)


def test_keepalived_node_crash_30ms(env):
    node_crash(env, "keepalived", 30)
