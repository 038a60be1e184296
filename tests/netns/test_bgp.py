"""Anycast over BGP: three tandem nodes announce one service address through
their own BIRD 2 to a router that spreads connections over them with ECMP
(tests/netns/lab.py namespaces; doc/scale-out.md quotes the numbers).

Every test builds:
  - a router "r" (192.0.2.1 on the lab bridge, 203.0.113.1 towards the
    client) running BIRD: one eBGP session per node with BFD (100 ms x 3),
    the kernel protocol with `merge paths`, L4 multipath hashing
    (net.ipv4.fib_multipath_hash_policy=1);
  - nodes n1, n2, n3 (192.0.2.11-13), each with BIRD (a disabled `static`
    protocol anycast_web holding 198.51.100.10/32 via lo, exported to the
    router), a tandem-app and tandem, whose `anycast web` section
    announces 198.51.100.10 while the node can serve;
  - a client "c" (203.0.113.10) behind the router, opening a new
    connection to 198.51.100.10 every 10 ms (client.py).
The router's kernel route to the service address is watched with
`ip monitor route`, so route changes are timed to the millisecond.
Measurements are printed as "INFO measure NAME VALUE" and collected in
tests/out/netns-bgp.json.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from lab import Lab, LabError, ip, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SVC = "198.51.100.10"
NODES = {"n1": 11, "n2": 12, "n3": 13}
PERIOD_MS = 10
BFD_MS = 300            # 100 ms x 3: the router's detection time of a dead node
WITHDRAW_DELAY_MS = 1000
MEASURES = {}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def bin_path(name):
    d = os.environ.get("TANDEM_BIN_DIR", "bin")
    return os.path.join(d if os.path.isabs(d) else os.path.join(ROOT, d), name)


def measure(name, value, unit="ms"):
    MEASURES[name] = round(value, 1) if isinstance(value, float) else value
    print("INFO measure %s %s %s" % (name, MEASURES[name], unit), flush=True)


# ---- configurations ----

BFD = 'protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }\n'
TIMERS = "connect delay time 1; connect retry time 1; error wait time 1, 5; hold time 3; keepalive time 1;"


def router_conf():
    c = ("log stderr all;\nrouter id 192.0.2.1;\nprotocol device { }\n"
         "protocol kernel { ipv4 { export all; }; merge paths on; }\n" + BFD +
         "template bgp node { local as 65000; bfd on; %s ipv4 { import all; export none; }; }\n" % TIMERS)
    for n, host in NODES.items():
        c += "protocol bgp %s from node { neighbor 192.0.2.%d as 65001; }\n" % (n, host)
    return c


def node_bird_conf(host):
    """The bird.conf doc/scale-out.md gives, with this lab's addresses."""
    return ("log stderr all;\nrouter id 192.0.2.%d;\nprotocol device { }\n"
            "protocol static anycast_web { ipv4; route %s/32 via \"lo\"; disabled; }\n" % (host, SVC) + BFD +
            "protocol bgp uplink { local as 65001; neighbor 192.0.2.1 as 65000; bfd on; %s\n"
            "  ipv4 { import none; export where proto = \"anycast_web\"; }; }\n" % TIMERS)


def tandem_cfg(sock, extra=""):
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
    server s1 127.0.0.1:8080 check inter 100ms fall 1 rise 1
listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
anycast web
    address %s protocol anycast_web
    bird-socket %s
    track-backend app
    withdraw-delay %dms
%s""" % (SVC, SVC, sock, WITHDRAW_DELAY_MS, extra)


# ---- the lab ----

class Env:
    """One test's lab, work directory and processes."""

    def __init__(self, workdir):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.lab = Lab(workdir)
        self.tandems, self.birds, self.apps = {}, {}, {}
        self.runs = {}
        self.mon = None

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def sock(self, node):
        return os.path.join(self.workdir, "bird-%s.ctl" % node)

    def bird(self, node, conf):
        self.runs[node + "-bird"] = self.runs.get(node + "-bird", 0) + 1
        path = self.write("bird-%s.conf" % node, conf)
        pr = self.lab.spawn(node, "bird-%s-%d" % (node, self.runs[node + "-bird"]),
                            ["bird", "-f", "-c", path, "-s", self.sock(node)])
        # the socket file appears at bind(), before BIRD listens and answers
        wait_for(lambda: not pr.alive() or (os.path.exists(self.sock(node)) and
                                            "Daemon is up" in self.birdc(node, "show status")),
                 5, "BIRD on %s to start" % node)
        check(pr.alive(), "BIRD on %s exited:\n%s" % (node, pr.log()[-2000:]))
        self.birds[node] = pr
        return pr

    def app(self, node):
        pr = self.lab.spawn(node, "app-%s" % node, [bin_path("tandem-app"), "--name", node.upper(),
                                                   "--listen", "127.0.0.1:8080", "--read-delay-ms", "0", "-q"])
        self.apps[node] = pr
        return pr

    def tandem(self, node, extra="", wait=True):
        self.runs[node] = self.runs.get(node, 0) + 1
        cfg = self.write("tandem-%s.cfg" % node, tandem_cfg(self.sock(node), extra))
        pr = self.lab.spawn(node, "tandem-%s-%d" % (node, self.runs[node]), [bin_path("tandem"), "-f", cfg])
        self.tandems[node] = pr
        if wait:
            wait_for(lambda: "(web) announcing" in pr.log() or not pr.alive(), 8, "tandem on %s to announce" % node)
            check(pr.alive(), "tandem on %s exited:\n%s" % (node, pr.log()[-2000:]))
        return pr

    def birdc(self, node, cmd):
        r = subprocess.run(["birdc", "-s", self.sock(node)] + cmd.split(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=10)
        return r.stdout

    def in_ns(self, node, *argv, timeout=10):
        r = subprocess.run(["ip", "netns", "exec", self.lab.ns(node)] + list(argv), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return r.stdout

    def admin(self, node, cmd):
        return self.in_ns(node, "sh", "-c", "echo '%s' | socat -t 2 - TCP:127.0.0.1:9999" % cmd)

    def sanitizer_reports(self):
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")
        return [pr.name for pr in self.lab.procs if any(m in pr.log() for m in marks)]

    def close(self):
        if self.mon:
            self.mon.stop()
        self.lab.close()


def add_client_ns(env):
    """Namespace "c" behind the router on a link of its own (203.0.113.0/24)."""
    lab = env.lab
    ns = "%s-c" % lab.tag
    ip("netns", "add", ns)
    lab.nodes_created.append(ns)
    lab.nodes["c"] = ns
    ip("-n", lab.ns("r"), "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", ns)
    ip("-n", lab.ns("r"), "addr", "add", "203.0.113.1/24", "dev", "eth1")
    ip("-n", lab.ns("r"), "link", "set", "eth1", "up")
    ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", ns, "addr", "add", "203.0.113.10/24", "dev", "eth0")
    ip("-n", ns, "link", "set", "eth0", "up")
    ip("-n", ns, "route", "add", "default", "via", "203.0.113.1")


class RouteMonitor:
    """`ip -o monitor route` in the router's namespace: every change of the
    service address's route, timestamped on arrival, with its next hops
    read from the message itself (one line per message with -o)."""

    def __init__(self, env):
        self.env = env
        self.events = []     # (monotonic time, frozenset of next hops)
        self.raw = []        # (monotonic time, line), for failure messages
        self.lock = threading.Lock()
        self.p = env.lab.spawn("r", "ip-monitor", ["ip", "-o", "monitor", "route"], stdout_pipe=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        pat = re.compile(r"^(Deleted )?%s(/32)? " % re.escape(SVC))
        for line in self.p.p.stdout:
            t = time.monotonic()
            m = pat.match(line)
            if not m:
                continue
            hops = frozenset() if m.group(1) else frozenset(re.findall(r"via (192\.0\.2\.\d+)", line))
            with self.lock:
                self.events.append((t, hops))
                self.raw.append((t, line.strip()))

    def first_change_after(self, since, want):
        """Time of the first event after <since> whose next hops == <want>."""
        with self.lock:
            for t, hops in self.events:
                if t >= since and hops == want:
                    return t
        return None

    def wait(self, since, want, timeout, what):
        try:
            return wait_for(lambda: self.first_change_after(since, want), timeout, what)
        except LabError:
            with self.lock:
                seen = ["%+.3f %s" % (t - since, line) for t, line in self.raw[-6:]]
            raise Fail("router next hops did not become %s within %.1fs (%s); now %s; last changes seen: %s" %
                       (sorted(want), timeout, what, sorted(nexthops(self.env)), seen))

    def settle(self, want, quiet, timeout, what):
        """Until the route is <want> and no message came for <quiet> s."""
        def ok():
            with self.lock:
                last = self.events[-1][0] if self.events else 0
            return time.monotonic() - last >= quiet and nexthops(self.env) == want
        wait_for(ok, timeout, what, interval=0.02)

    def changes_after(self, since):
        """Events after <since> that changed the next hops."""
        with self.lock:
            ev = list(self.events)
        out, prev = [], None
        for t, h in ev:
            if t >= since and prev is not None and h != prev:
                out.append((t, h))
            prev = h
        return out

    def stop(self):
        try:
            os.kill(self.p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def nexthops(env):
    out = ip("-n", env.lab.ns("r"), "route", "show", SVC + "/32", check=False)
    return frozenset(re.findall(r"via (192\.0\.2\.\d+)", out))


def hops_of(*nodes):
    return frozenset("192.0.2.%d" % NODES[n] for n in nodes)


def build(env, nodes=("n1", "n2", "n3")):
    """Router, client and <nodes>, every BGP session up and every node's
    address announced (the router has one next hop per node)."""
    for missing in [t for t in ("bird", "birdc", "socat", "curl") if not shutil.which(t)]:
        raise Fail("%s is not installed (tools/deps.sh test installs it)" % missing)
    env.lab.add_node("r", 1)
    for n in nodes:
        env.lab.add_node(n, NODES[n])
        ip("-n", env.lab.ns(n), "route", "add", "default", "via", "192.0.2.1")
    add_client_ns(env)
    env.in_ns("r", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1")
    env.bird("r", router_conf())
    for n in nodes:
        env.bird(n, node_bird_conf(NODES[n]))
        env.app(n)
    env.mon = RouteMonitor(env)
    for n in nodes:
        env.tandem(n)
    try:
        wait_for(lambda: nexthops(env) == hops_of(*nodes), 10, "the router to have every node as next hop")
    except LabError:
        raise Fail("router next hops %s, want %s\n%s" % (sorted(nexthops(env)), sorted(hops_of(*nodes)),
                                                         env.birdc("r", "show protocols")))
    wait_for(lambda: env.birdc("r", "show bfd sessions").count(" Up ") == len(nodes), 5, "BFD sessions up")


class Client:
    """client.py in namespace c: a new connection every PERIOD_MS."""

    def __init__(self, env, duration):
        self.results = []
        self.lock = threading.Lock()
        self.p = env.lab.spawn("c", "client", ["python3", "-u", os.path.join(ROOT, "tests", "netns", "client.py"),
                                               SVC, "80", str(PERIOD_MS), str(duration), "1000"], stdout_pipe=True)
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

    def between(self, t_from, t_to):
        return [r for r in self.snapshot() if t_from <= r["t0"] <= t_to]

    def failures(self, t_from, t_to):
        return [r for r in self.between(t_from, t_to) if not r["ok"]]

    def shares(self, t_from, t_to):
        ok = [r for r in self.between(t_from, t_to) if r["ok"]]
        return {n: sum(1 for r in ok if r.get("node") == n) for n in set(r.get("node") for r in ok)}, len(ok)

    def wait_until(self, t, timeout=5):
        """Until a request started after <t> has ended."""
        wait_for(lambda: any(r["t0"] >= t for r in self.snapshot()), timeout, "client requests after t")

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


class Flows:
    """bgp_flows.py in namespace c: long-lived keep-alive connections."""

    def __init__(self, env, n):
        self.p = subprocess.Popen(["ip", "netns", "exec", env.lab.ns("c"), "python3", "-u",
                                   os.path.join(ROOT, "tests", "netns", "bgp_flows.py"), SVC, "80", str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
        env.lab.extra_pids.append(self.p.pid)
        self.first = self._line()["open"]

    def _line(self):
        line = self.p.stdout.readline()
        check(line, "bgp_flows.py ended early")
        return json.loads(line)

    def probe(self):
        self.p.stdin.write("probe\n")
        self.p.stdin.flush()
        return self._line()["probe"]

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(3)
        except subprocess.TimeoutExpired:
            self.p.kill()


def broken(origin, probe, nodes):
    """Among connections first answered by one of <nodes> and alive before
    (origin != dead), how many failed in <probe>."""
    idx = [i for i, n in enumerate(origin) if n in nodes]
    return sum(1 for i in idx if probe[i].startswith("ERR")), len(idx)


NODE_DIR = os.path.join(ROOT, "tests", "integ", "node")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def dashboard_card(env, node):
    """Open the dashboard of <node> in chromium (tests/integ/node/driver.js,
    run inside the node's namespace) and return the anycast card's row:
    [section, state pill, addresses, bird]; a screenshot goes to
    tests/out/dashboard/anycast.png."""
    node_bin, npm = shutil.which("node"), shutil.which("npm")
    check(node_bin and npm and os.access(CHROMIUM, os.X_OK), "node, npm and chromium are needed (tools/deps.sh test)")
    if not os.path.exists(os.path.join(NODE_DIR, "node_modules", "playwright-core", "package.json")):
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                           capture_output=True, timeout=300)
        check(r.returncode == 0, "npm ci in tests/integ/node failed: %s" % r.stderr.decode()[-500:])
    p = subprocess.Popen(["ip", "netns", "exec", env.lab.ns(node), node_bin, os.path.join(NODE_DIR, "driver.js")],
                         cwd=NODE_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, env=dict(os.environ, CHROMIUM=CHROMIUM), start_new_session=True)
    env.lab.extra_pids.append(p.pid)

    def cmd(**c):
        p.stdin.write(json.dumps(c) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        check(line, "the browser driver exited")
        r = json.loads(line)
        check(r.get("ok"), "browser: %s failed: %s" % (c.get("cmd"), r.get("error")))
        return r.get("value")

    try:
        cmd(cmd="open", url="http://127.0.0.1:8404/stats")
        row = "document.querySelector('#d-anycast-card:not([hidden]) tr.anycast[data-anycast=\"web\"]')"
        cmd(cmd="wait", js=row, timeout_ms=8000)
        cells = cmd(cmd="eval", js="Array.from(%s.cells).map(c => c.textContent.trim())" % row)
        os.makedirs(os.path.join(ROOT, "tests", "out", "dashboard"), exist_ok=True)
        cmd(cmd="shot", path=os.path.join(ROOT, "tests", "out", "dashboard", "anycast.png"), full=True)
        check(not cmd(cmd="errors"), "page errors on the dashboard")
        return cells
    finally:
        try:
            p.stdin.write('{"cmd":"quit"}\n')
            p.stdin.close()
            p.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            pass


def running(pid):
    """Is <pid> alive (not gone, not a zombie)?"""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "State:\tZ" not in f.read()
    except OSError:
        return False


def log_since(pr, mark):
    return pr.log()[mark:]


# ---- tests (run.py runs every test_* in file order) ----

def test_all_nodes_share_and_visible(env):
    """Every node takes a share of new connections; `show anycast`,
    /metrics and the JSON export say announced; a reload (SIGHUP) of a
    node withdraws nothing: no route change, no failed request."""
    build(env)
    cl = Client(env, 6)
    try:
        t0 = time.monotonic()
        cl.wait_until(t0 + 1.5)
        shares, total = cl.shares(t0, t0 + 1.5)
        for n in NODES:
            got = shares.get(n.upper(), 0)
            measure("share_%s_percent" % n, 100.0 * got / max(total, 1), "%")
            check(got >= total / 10, "%s served %d of %d requests: %s" % (n, got, total, shares))
        check(not cl.failures(t0, t0 + 1.5), "failed requests: %s" % cl.failures(t0, t0 + 1.5)[:3])
        out = env.admin("n1", "show anycast")
        check("state: announced" in out and "bird: up" in out and "bird enabled" in out, "show anycast:\n" + out)
        met = env.in_ns("n1", "curl", "-s", "http://127.0.0.1:8404/metrics")
        line = 'tandem_anycast_announced{section="web",address="%s",protocol="anycast_web"} 1' % SVC
        check(line in met and 'tandem_anycast_bird_up{section="web"} 1' in met, "/metrics lacks %r" % line)
        check(shutil.which("promtool"), "promtool is not installed (tools/deps.sh test installs it)")
        r = subprocess.run(["promtool", "check", "metrics"], input=met, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        check(r.returncode == 0 and not r.stdout.strip(), "promtool check metrics: %s" % r.stdout[:500])
        js = json.loads(env.in_ns("n1", "curl", "-s", "http://127.0.0.1:8404/stats;json"))
        a = (js.get("anycast") or [{}])[0]
        check(a.get("state") == "announced" and a.get("can_serve") is True and a["addresses"][0]["bird"] == "enabled",
              "JSON anycast: %r" % a)
        # a reload: a new worker, nothing withdrawn
        n2 = env.tandems["n2"]
        mark = len(n2.log())
        t = time.monotonic()
        os.kill(n2.pid, signal.SIGHUP)
        wait_for(lambda: "Reload done" in n2.log(), 5, "n2's reload")
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            check(nexthops(env) == hops_of("n1", "n2", "n3"), "next hops changed during the reload: %s" % nexthops(env))
            time.sleep(0.02)
        cl.wait_until(end)
        check(not env.mon.changes_after(t), "the router's route changed during the reload: %s" % env.mon.changes_after(t))
        check("withdrawing" not in log_since(n2, mark), "n2 withdrew on reload:\n" + log_since(n2, mark))
        fails = cl.failures(t, end)
        measure("reload_failed_requests", len(fails), "")
        check(not fails, "%d requests failed during the reload: %s" % (len(fails), fails[:3]))
        shares, total = cl.shares(t + 0.2, end)
        check(shares.get("N2", 0) >= total / 10, "n2 serves no share after its reload: %s" % shares)
    finally:
        cl.stop()
    cells = dashboard_card(env, "n1")
    check(cells[:2] == ["web", "announced"] and "%s (anycast_web)" % SVC in cells[2] and cells[3] == "up",
          "dashboard anycast row: %s" % cells)


def test_backends_die_withdraw(env):
    """n1's only server dies: n1 withdraws (reason logged), its share goes
    to n2 and n3; when the server returns, n1 announces again. Long-lived
    connections show what a next hop removed or added costs the other
    nodes with the kernel's hash-threshold ECMP (no resilient hashing):
    n1 is the first of the router's next hops, so the ranges of the others
    move too."""
    build(env)
    flows = Flows(env, 60)
    cl = Client(env, 8)
    try:
        origin = flows.first
        check(all(not o.startswith("ERR") for o in origin), "long-lived connections failed to open: %s" % origin)
        cl.wait_until(time.monotonic() + 0.3)
        n1 = env.tandems["n1"]
        t = time.monotonic()
        env.lab.kill(env.apps["n1"], signal.SIGKILL)
        tw = env.mon.wait(t, hops_of("n2", "n3"), 3, "n1 withdrawn")
        measure("backend_dead_to_withdrawn", (tw - t) * 1000)
        wait_for(lambda: "withdrawing %s (BIRD protocol anycast_web): backend 'app' has no usable server" % SVC in n1.log(),
                 2, "n1's withdraw line")
        cl.wait_until(tw + 1.0)
        fails = cl.failures(t, tw + 1.0)
        measure("backend_dead_failed_requests", len(fails), "")
        late = [r for r in fails if r["t0"] > tw + 0.05]
        check(not late, "requests started after n1's withdraw failed: %s" % late[:3])
        shares, total = cl.shares(tw + 0.05, tw + 1.0)
        check(not shares.get("N1") and shares.get("N2", 0) and shares.get("N3", 0),
              "after the withdraw: %s of %d" % (shares, total))
        out = env.admin("n1", "show anycast")
        check("state: withdrawn" in out and "reason: a tracked backend has no usable server (app)" in out,
              "n1 show anycast:\n" + out)
        probe1 = flows.probe()
        for n in ("N2", "N3"):
            b, k = broken(origin, probe1, (n,))
            measure("removal_broke_flows_on_%s" % n.lower(), "%d/%d" % (b, k), "")
        flows.close()
        flows = Flows(env, 60)   # opened while n1 is out: what its return costs them
        origin = flows.first
        # the server returns: n1 announces again and gets its share back
        env.apps["n1"].p.wait(5)
        env.lab.procs.remove(env.apps["n1"])
        t = time.monotonic()
        env.app("n1")
        ta = env.mon.wait(t, hops_of("n1", "n2", "n3"), 5, "n1 announced again")
        measure("backend_back_to_announced", (ta - t) * 1000)
        cl.wait_until(ta + 1.0)
        shares, total = cl.shares(ta + 0.05, ta + 1.0)
        check(shares.get("N1", 0) >= total / 10, "n1 got no share back: %s of %d" % (shares, total))
        fails = cl.failures(ta, ta + 1.0)
        measure("announce_failed_requests", len(fails), "")
        probe2 = flows.probe()
        for n in ("N2", "N3"):
            b, k = broken(origin, probe2, (n,))
            measure("addition_broke_flows_on_%s" % n.lower(), "%d/%d" % (b, k), "")
    finally:
        cl.stop()
        flows.close()


def test_sigusr1_drains(env):
    """SIGUSR1 on n3: it withdraws at once, serves on for withdraw-delay
    while the router converges, then drains and exits: no request fails."""
    build(env)
    flows = Flows(env, 30)
    cl = Client(env, 5)
    try:
        origin = flows.first
        cl.wait_until(time.monotonic() + 0.5)
        n3 = env.tandems["n3"]
        t = time.monotonic()
        os.kill(n3.pid, signal.SIGUSR1)
        tw = env.mon.wait(t, hops_of("n1", "n2"), 2, "n3 withdrawn")
        measure("sigusr1_to_withdrawn", (tw - t) * 1000)
        # long-lived connections on n3 are rehashed by the router: no drain keeps them
        probe = flows.probe()
        b, k = broken(origin, probe, ("N3",))
        measure("sigusr1_broke_long_flows_on_n3", "%d/%d" % (b, k), "")
        n3.p.wait(WITHDRAW_DELAY_MS / 1000.0 + 5)
        te = time.monotonic()
        measure("sigusr1_to_exit", (te - t) * 1000)
        check(te - t >= WITHDRAW_DELAY_MS / 1000.0, "n3 exited %.0f ms after SIGUSR1, before its withdraw-delay"
              % ((te - t) * 1000))
        log = n3.log()
        check("withdrawing %s (BIRD protocol anycast_web): soft stop" % SVC in log, "n3's log:\n" + log)
        check("stopped: %s (BIRD protocol anycast_web) withdrawn and removed" % SVC in log, "n3's log:\n" + log)
        check(SVC not in env.in_ns("n3", "ip", "-4", "addr", "show", "dev", "lo"), "n3 left the address on lo")
        check("down" in env.birdc("n3", "show protocols anycast_web"), "n3's protocol is not disabled")
        cl.wait_until(te + 0.5)
        allr = cl.between(t - 0.2, te + 0.5)
        fails = [r for r in allr if not r["ok"]]
        measure("sigusr1_requests", len(allr), "")
        measure("sigusr1_failed_requests", len(fails), "")
        check(not fails, "%d of %d requests failed around n3's soft stop: %s" % (len(fails), len(allr), fails[:3]))
        late = [r for r in cl.between(tw + 0.05, te) if r.get("node") == "N3"]
        check(not late, "n3 got new connections after its withdraw: %d" % len(late))
    finally:
        cl.stop()
        flows.close()


def test_kill9_master_and_node_crash(env):
    """kill -9 of n1's master: its guard disables the protocol, the worker
    stops; only n1's connections fail and new ones reach n2/n3 within
    BFD's detection time (far sooner: the guard withdraws over BGP). Then
    n2 dies whole (cable out, every process killed): BFD notices, the
    router moves n2's share to n3 within the detection time."""
    build(env)
    cl = Client(env, 8)
    try:
        cl.wait_until(time.monotonic() + 0.5)
        n1 = env.tandems["n1"]
        kids = n1.children()      # the worker and the guard
        env.lab.extra_pids.extend(kids)
        t = time.monotonic()
        env.lab.kill(n1, signal.SIGKILL)
        tw = env.mon.wait(t, hops_of("n2", "n3"), 2, "n1 withdrawn by its guard")
        measure("kill9_to_withdrawn", (tw - t) * 1000)
        cl.wait_until(tw + 1.0)
        fails = cl.failures(t - 1.0, tw + 1.0)
        last = max([r["t0"] for r in fails] + [t]) - t
        measure("kill9_failed_requests", len(fails), "")
        measure("kill9_recovery", last * 1000)
        check(last * 1000 <= BFD_MS, "requests failed until %.0f ms after kill -9 (BFD detection %d ms): %s"
              % (last * 1000, BFD_MS, fails[-3:]))
        check(any("BGP guard: master process died: (web) disabled BIRD protocol anycast_web" in p.log()
                  for p in env.lab.procs if p.name.startswith("tandem-n1")), "n1's guard did not withdraw")
        shares, total = cl.shares(tw + 0.05, tw + 1.0)
        check(not shares.get("N1") and shares.get("N2") and shares.get("N3"), "after kill -9: %s" % shares)
        wait_for(lambda: not any(running(p) for p in kids), 3, "n1's worker and guard to exit")
        check(SVC not in env.in_ns("n1", "ip", "-4", "addr", "show", "dev", "lo"), "n1's guard left the address on lo")
        # the whole of n2 goes away: no withdraw from anyone, BFD decides
        t = time.monotonic()
        env.lab.unplug("n2")
        for pid in [int(x) for x in ip("netns", "pids", env.lab.ns("n2")).split()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        tw = env.mon.wait(t, hops_of("n3"), 3, "n2 dropped by BFD")
        measure("node_crash_to_route_removed", (tw - t) * 1000)
        cl.wait_until(tw + 1.2)   # requests stuck on n2 time out after 1 s
        fails = cl.failures(t - 1.0, tw + 1.2)
        last = max([r["t0"] for r in fails] + [t]) - t
        measure("node_crash_failed_requests", len(fails), "")
        measure("node_crash_recovery", last * 1000)
        check(last * 1000 <= BFD_MS + 150, "requests failed until %.0f ms after n2's crash (BFD detection %d ms)"
              % (last * 1000, BFD_MS))
        check(not cl.failures(tw + 0.05, tw + 1.2), "requests failed after the route change")
    finally:
        cl.stop()


def worker_of(pr):
    """PID of a tandem master's worker (its child that is not a guard)."""
    for pid in pr.children():
        try:
            with open("/proc/%d/comm" % pid) as f:
                if not f.read().strip().endswith("-guard"):
                    return pid
        except OSError:
            pass
    raise Fail("no worker found under tandem %d" % pr.pid)


def test_bird_restart_reconfigure_worker_stall(env):
    """BIRD on n1 dies: tandem logs it, retries with a back-off, says so in
    `show anycast` and /metrics, and the worker serves on (locally). BIRD
    returns: tandem reconnects and announces again. `birdc configure` puts
    the protocol back to `disabled`: tandem enables it again at once. n1's
    worker stops (SIGSTOP): no heartbeat for 1 s, n1 withdraws; SIGCONT:
    it announces again."""
    build(env)
    n1 = env.tandems["n1"]
    t = time.monotonic()
    env.lab.kill(env.birds["n1"], signal.SIGKILL)
    env.birds["n1"].p.wait(5)
    wait_for(lambda: "(web) lost BIRD's control socket %s" % env.sock("n1") in n1.log(), 2, "n1 to notice BIRD's death")
    tw = env.mon.wait(t, hops_of("n2", "n3"), 5, "the router to drop n1's session")
    measure("bird_kill_to_route_removed", (tw - t) * 1000)
    wait_for(lambda: "bird: down" in env.admin("n1", "show anycast"), 2, "show anycast: bird down")
    out = env.admin("n1", "show anycast")
    check("state: unknown" in out and "can_serve: 1" in out and "last_error: BIRD at" in out, "show anycast:\n" + out)
    met = env.in_ns("n1", "curl", "-s", "http://127.0.0.1:8404/metrics")
    check('tandem_anycast_bird_up{section="web"} 0' in met, "/metrics: bird_up is not 0")
    check(re.search(r'tandem_anycast_bird_failures_total\{section="web"\} [1-9]', met), "/metrics: no failure counted")
    # the worker serves on: a request from inside n1 to the service address
    body = env.in_ns("n1", "curl", "-s", "-m", "2", "http://%s/" % SVC)
    check("NODE_N1" in body, "n1 stopped serving when BIRD died: %r" % body[:80])
    # attempts fail (the socket file remains, nobody listens) and are retried
    wait_for(lambda: "(web) cannot reach BIRD at %s: Connection refused" % env.sock("n1") in n1.log(), 3,
             "n1's failed reconnection attempt")
    t = time.monotonic()
    env.bird("n1", node_bird_conf(NODES["n1"]))
    wait_for(lambda: "(web) connected to BIRD at %s again" % env.sock("n1") in n1.log(), 4, "n1 to reconnect")
    measure("bird_restart_to_reconnected", (time.monotonic() - t) * 1000)
    ta = env.mon.wait(t, hops_of("n1", "n2", "n3"), 10, "n1 announced again after BIRD's restart")
    measure("bird_restart_to_announced", (ta - t) * 1000)
    check("state: announced" in env.admin("n1", "show anycast"), "n1 not announced after BIRD returned")
    # a reconfiguration resets the protocol to its configured `disabled`; first
    # let the restarted BIRD's BFD session come up (until then it can still
    # take the BGP session down once)
    wait_for(lambda: re.search(r"192\.0\.2\.11\s+eth0\s+Up", env.birdc("r", "show bfd sessions")), 5,
             "the router's BFD session with n1 up again")
    env.mon.settle(hops_of("n1", "n2", "n3"), 0.3, 5, "the route to settle after BIRD's restart")
    mark = len(n1.log())
    t = time.monotonic()
    env.birdc("n1", "configure")
    wait_for(lambda: "BIRD had disabled protocol anycast_web" in log_since(n1, mark), 2, "tandem to undo the revert")
    wait_for(lambda: " up " in env.birdc("n1", "show protocols anycast_web"), 2, "anycast_web enabled again")
    measure("bird_configure_to_enabled_again", (time.monotonic() - t) * 1000)
    out = env.admin("n1", "show anycast")
    check("bird_reverts: 1" in out and "state: announced" in out, "show anycast after the revert:\n" + out)
    env.mon.settle(hops_of("n1", "n2", "n3"), 0.3, 5, "n1 back on the router after the configure")
    gone = [tt for tt, h in env.mon.changes_after(t) if "192.0.2.11" not in h]
    back = [tt for tt, h in env.mon.changes_after(t) if gone and tt > gone[0] and "192.0.2.11" in h]
    measure("bird_configure_router_flap", (back[0] - gone[0]) * 1000 if gone and back else 0.0)
    # the worker stalls: the master's heartbeat check withdraws after 1 s
    wpid = worker_of(n1)
    t = time.monotonic()
    os.kill(wpid, signal.SIGSTOP)
    try:
        tw = env.mon.wait(t, hops_of("n2", "n3"), 3, "n1 withdrawn when its worker stalled")
        measure("worker_stall_to_withdrawn", (tw - t) * 1000)
        # the last beat came up to 100 ms (one beat period, more under load) before SIGSTOP
        check(tw - t >= 0.8, "n1 withdrew %.0f ms after its worker stopped, before the 1 s threshold" % ((tw - t) * 1000))
        check("withdrawing %s (BIRD protocol anycast_web): the worker stopped serving" % SVC in n1.log(),
              "n1's withdraw line:\n" + n1.log()[-1500:])
    finally:
        os.kill(wpid, signal.SIGCONT)
    t = time.monotonic()
    env.mon.wait(t, hops_of("n1", "n2", "n3"), 3, "n1 announced again when its worker resumed")


def test_start_errors_and_ipv6(env):
    """An unreachable control socket and a protocol BIRD does not have stop
    tandem at start with the path / the name; an IPv6 service address is
    put on lo and its protocol enabled."""
    for missing in [t for t in ("bird", "birdc") if not shutil.which(t)]:
        raise Fail("%s is not installed (tools/deps.sh test installs it)" % missing)
    env.lab.add_node("n1", 11)
    env.app("n1")
    nosock = os.path.join(env.workdir, "nosuch.ctl")
    cfg = env.write("bad1.cfg", tandem_cfg(nosock))
    r = subprocess.run(["ip", "netns", "exec", env.lab.ns("n1"), bin_path("tandem"), "-f", cfg],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=10)
    check(r.returncode == 1 and "(web) cannot reach BIRD's control socket %s: No such file or directory" % nosock in r.stdout,
          "unreachable socket: rc %d\n%s" % (r.returncode, r.stdout))
    conf = node_bird_conf(11).replace("protocol static anycast_web", "protocol static other_name") + \
        'protocol static anycast_web6 { ipv6; route 2001:db8::10/128 via "lo"; disabled; }\n'
    env.bird("n1", conf)
    cfg = env.write("bad2.cfg", tandem_cfg(env.sock("n1")))
    r = subprocess.run(["ip", "netns", "exec", env.lab.ns("n1"), bin_path("tandem"), "-f", cfg],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=10)
    check(r.returncode == 1 and "has no protocol 'anycast_web'" in r.stdout,
          "missing protocol: rc %d\n%s" % (r.returncode, r.stdout))
    check(SVC not in env.in_ns("n1", "ip", "addr", "show", "dev", "lo"), "a failed start left the address on lo")
    extra = "    address 2001:db8::10 protocol anycast_web6\n"
    cfgtext = tandem_cfg(env.sock("n1"), extra).replace("protocol anycast_web\n", "protocol other_name\n")
    cfg = env.write("v6.cfg", cfgtext)
    pr = env.lab.spawn("n1", "tandem-n1-v6", [bin_path("tandem"), "-f", cfg])
    env.tandems["n1"] = pr
    wait_for(lambda: "(web) announcing" in pr.log() or not pr.alive(), 8, "tandem to announce")
    check(pr.alive(), "tandem exited:\n" + pr.log())
    wait_for(lambda: " up " in env.birdc("n1", "show protocols anycast_web6"), 3, "anycast_web6 enabled")
    check("2001:db8::10/128" in env.in_ns("n1", "ip", "-6", "addr", "show", "dev", "lo"), "no IPv6 address on lo")
    out = env.admin("n1", "show anycast")
    check("address: 2001:db8::10/128 dev lo protocol anycast_web6 bird enabled" in out, "show anycast:\n" + out)
    os.kill(pr.pid, signal.SIGTERM)
    pr.p.wait(5)
    check(" down " in env.birdc("n1", "show protocols anycast_web6"), "SIGTERM did not disable anycast_web6")
    check("2001:db8::10" not in env.in_ns("n1", "ip", "-6", "addr", "show", "dev", "lo"), "the IPv6 address stayed on lo")
