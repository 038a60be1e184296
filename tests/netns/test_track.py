"""VRRP's track-backend under load, in network namespaces (tests/netns/lab.py).

A backend whose servers are all at their `maxconn` is busy, not down: its
requests wait in the queue. Node a (192.0.2.1, priority 200) tracks such a
backend: two tandem-app servers with `maxconn 1` that take 150 ms per
request, fed by a client (c, 192.0.2.10) opening a new connection to the
virtual address every 60 ms, a little more than the two servers can serve,
so both stay full and requests queue. a must hold the virtual address for
the whole run (node b, priority 100, waits as BACKUP). Then a's servers die
for real: a enters FAULT and b takes the address.
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
DELAY_MS = 150        # a's servers: time per request
PERIOD_MS = 60        # client: one new connection every 60 ms (16.7/s > 2 / 0.15 s = 13.3/s)
LOAD_S = 4.0
FAULT_LINE = "Entering FAULT STATE (backend app has no usable server)"


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def bin_path(name):
    d = os.environ.get("TANDEM_BIN_DIR", "bin")
    return os.path.join(d if os.path.isabs(d) else os.path.join(ROOT, d), name)


def tandem_cfg(prio, maxconn):
    srv = "    server s%d 127.0.0.1:%d check inter 100ms fall 1 rise 1%s\n"
    extra = " maxconn %d" % maxconn if maxconn else ""
    return """global
    nbthread 2
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout queue 10s
frontend fe
    bind %s:80
    default_backend app
backend app
%s%s
vrrp web
    interface eth0
    virtual-router-id 51
    priority %d
    advert-int 100ms
    virtual-ipaddress %s/24
    track-backend app
""" % (VIP, srv % (1, 8080, extra), srv % (2, 8081, extra), prio, VIP)


class Env:
    """One test's lab, work directory and processes."""

    def __init__(self, workdir):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.lab = Lab(workdir)
        self.tandems = {}

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def app(self, node, port, delay_ms):
        return self.lab.spawn(node, "app-%s-%d" % (node, port),
                              [bin_path("tandem-app"), "--name", node.upper(), "--listen", "127.0.0.1:%d" % port,
                               "--read-delay-ms", str(delay_ms), "-q"])

    def tandem(self, node, prio, maxconn):
        cfg = self.write("tandem-%s.cfg" % node, tandem_cfg(prio, maxconn))
        pr = self.lab.spawn(node, "tandem-%s" % node, [bin_path("tandem"), "-f", cfg])
        self.tandems[node] = pr
        wait_for(lambda: "(web) Entering" in pr.log() or not pr.alive(), 5, "tandem on %s to start VRRP" % node)
        check(pr.alive(), "tandem on %s exited:\n%s" % (node, pr.log()[-2000:]))
        return pr

    def holders(self):
        return self.lab.holders(VIP, ["a", "b"])

    def sanitizer_reports(self):
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")
        return [pr.name for pr in self.lab.procs if any(m in pr.log() for m in marks)]

    def close(self):
        self.lab.close()


class Client:
    """tests/netns/client.py in namespace c; its JSON lines collected."""

    def __init__(self, env, duration, timeout_ms=8000):
        self.results = []
        self.lock = threading.Lock()
        self.p = env.lab.spawn("c", "client-%d" % int(time.monotonic() * 1000),
                               ["python3", "-u", os.path.join(ROOT, "tests", "netns", "client.py"),
                                VIP, "80", str(PERIOD_MS), str(duration), str(timeout_ms)], stdout_pipe=True)
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

    def done(self):
        return self.p.p.poll() is not None

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def stop(self):
        try:
            os.kill(self.p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.p.p.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.t.join(2)


def test_busy_backend_keeps_master_then_dead_backend_faults(env):
    for node, host in (("a", 1), ("b", 2), ("c", 10)):
        env.lab.add_node(node, host)
    apps_a = [env.app("a", port, DELAY_MS) for port in (8080, 8081)]
    for port in (8080, 8081):
        env.app("b", port, 0)
    env.tandem("b", 100, 0)
    a = env.tandem("a", 200, 1)
    # checked servers start DOWN (FAULT until the first checks pass)
    try:
        wait_for(lambda: env.holders() == ["a"], 5, "a to hold the VIP")
    except LabError:
        raise Fail("VIP holders %s, want a:\n%s" % (env.holders(), a.log()[-2000:]))
    mark = len(a.log())

    # ---- busy: both servers full, requests queue; a stays MASTER ----
    cl = Client(env, LOAD_S)
    samples, lost = 0, []
    end = time.monotonic() + LOAD_S + 10
    while not cl.done() and time.monotonic() < end:
        h = env.holders()
        samples += 1
        if h != ["a"]:
            lost.append((round(time.monotonic(), 2), h))
        time.sleep(0.02)
    cl.stop()
    res = cl.snapshot()
    log_run = a.log()[mark:]
    check(not lost, "the VIP left a under load (%d of %d samples), first %s; a's log:\n%s"
          % (len(lost), samples, lost[:3], log_run[-2000:]))
    check("Entering FAULT" not in log_run and "Entering BACKUP" not in log_run,
          "a changed state under load:\n" + log_run[-2000:])
    bad = [r for r in res if not r["ok"]]
    check(len(res) >= LOAD_S * 1000 / PERIOD_MS * 0.8, "only %d requests ended" % len(res))
    check(not bad, "%d of %d requests failed under load, first %s" % (len(bad), len(res), bad[:3]))
    slowest = max(r["t1"] - r["t0"] for r in res)
    # more arrive than the servers serve: requests waited for a slot
    check(slowest >= 3 * DELAY_MS / 1000.0, "no request waited in the queue (slowest %.3f s): the servers "
          "were never both full, the test proves nothing" % slowest)
    print("INFO track: %d requests under load, slowest %.0f ms, VIP on a in all %d samples"
          % (len(res), slowest * 1000, samples), flush=True)

    # ---- dead: a's servers die, a goes to FAULT, b takes over ----
    mark = len(a.log())
    cl = Client(env, 3.0)
    for pr in apps_a:
        env.lab.kill(pr)
    try:
        wait_for(lambda: env.holders() == ["b"], 3, "b to hold the VIP")
    except LabError:
        raise Fail("VIP holders %s after a's servers died, want b; a's log:\n%s" % (env.holders(), a.log()[mark:][-2000:]))
    cl.stop()
    check(FAULT_LINE in a.log()[mark:], "a did not log FAULT:\n" + a.log()[mark:][-2000:])
