"""Zero-downtime reloads and the process life cycle: reloads under load lose
no request (keep-alive and a new connection per request), a broken config
keeps the old one serving, a download started before a reload completes,
the old worker goes away, a killed worker is replaced, systemd is told."""
import os
import signal
import socket
import threading
import time

from harness import (BIN_DIR, Client, Deadline, check, config, eq, free_port, poll_until,
                     proc_tree, tandem_only, timeout)


class Load:
    """Client threads sending GET /read until stopped, counting outcomes."""

    def __init__(self, port, threads=4, keepalive=True, limit_s=30):
        self.port, self.keepalive, self.limit = port, keepalive, time.time() + limit_s
        self.ok = self.errors = 0
        self.err_samples = []
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _one(self, c):
        r = c.get("/read", timeout=5)
        if r.status != 200:
            raise RuntimeError("status %d" % r.status)
        return r

    def _run(self):
        c = None
        while not self.stop_ev.is_set() and time.time() < self.limit:
            try:
                if c is None:
                    c = Client(self.port, timeout=5)
                r = self._one(c)
                with self.lock:
                    self.ok += 1
                if not self.keepalive or (r.header("connection") or "").lower() == "close":
                    c.close()
                    c = None
            except Exception as e:  # noqa: BLE001 - every failure is counted
                with self.lock:
                    self.errors += 1
                    if len(self.err_samples) < 5:
                        self.err_samples.append(repr(e))
                if c:
                    c.close()
                c = None
        if c:
            c.close()

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(10)


def _lab(ctx, extra_global="", be_extra=""):
    a, b = ctx.app("A"), ctx.app("B")
    port = free_port()
    cfg = config(port, [("a", a.port), ("b", b.port)], nbthread=2,
                 global_extra=extra_global, be_extra=be_extra,
                 defaults_extra="timeout http-keep-alive 2s")
    px = ctx.proxy(cfg)
    return px, a, b, cfg


def _workers(px):
    return [p for p in proc_tree(px.pid) if p != px.pid]


def _reload_and_wait(px, old_workers, sig=signal.SIGUSR2):
    os.kill(px.pid, sig)
    poll_until(lambda: [p for p in _workers(px) if p not in old_workers], 5, "a new worker after reload")


def _reloads_under_load(ctx, keepalive):
    tandem_only("reload")
    px, a, b, cfg = _lab(ctx)
    load = Load(px.port, threads=4, keepalive=keepalive).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        for i in range(10):
            before = _workers(px)
            _reload_and_wait(px, before)
            n = load.ok
            poll_until(lambda: load.ok > n + 10, 10, "requests served after reload %d" % i)
    finally:
        load.stop()
    eq(load.errors, 0, "failed requests over 10 reloads (samples: %r)" % load.err_samples)
    check(load.ok > 100, "too few requests to mean anything: %d" % load.ok)
    poll_until(lambda: len(_workers(px)) == 1, 15, "exactly one worker once the reloads settle")
    check(px.proc.alive(), "master died")


@timeout(120)
def test_reloads_keepalive_lose_nothing(ctx):
    _reloads_under_load(ctx, keepalive=True)


@timeout(120)
def test_reloads_new_connections_lose_nothing(ctx):
    _reloads_under_load(ctx, keepalive=False)


def test_broken_config_keeps_old_one(ctx):
    tandem_only("reload")
    px, a, b, cfg = _lab(ctx)
    eq(Client(px.port).get("/read").status, 200, "before")
    with open(px.cfg_path, "a") as f:
        f.write("    no-such-keyword here\n")
    before = _workers(px)
    os.kill(px.pid, signal.SIGHUP)
    poll_until(lambda: "Reload failed" in px.logs(), 5, "the reload failure in the log")
    log = px.logs()
    check(os.path.basename(px.cfg_path) in log and "no-such-keyword" in log,
          "the failure must name file:line and the keyword: %r" % log[-600:])
    eq(_workers(px), before, "workers after a failed reload")
    for _ in range(5):
        eq(Client(px.port).get("/read").status, 200, "still serving with the old config")


@timeout(120)
def test_download_survives_reload(ctx):
    tandem_only("reload")
    px, a, b, cfg = _lab(ctx)
    size = int(os.environ.get("TANDEM_RELOAD_MB", "200")) * 1024 * 1024
    c = Client(px.port, timeout=20)
    c.send(b"GET /bytes?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
    dl = Deadline(60)
    c.reader.read_head(dl)
    got = c.reader.read_exact(1024 * 1024, dl)
    check(len(got) == 1024 * 1024, "first MiB")
    _reload_and_wait(px, _workers(px))
    rest = size - 1024 * 1024
    total = 0
    while total < rest:
        piece = c.reader.read_exact(min(rest - total, 4 << 20), dl)
        total += len(piece)
    eq(total, rest, "bytes of the download after the reload")
    c.close()


def test_idle_keepalive_across_reload(ctx):
    tandem_only("reload")
    px, a, b, cfg = _lab(ctx)
    c = Client(px.port)
    eq(c.get("/read").status, 200, "first request")
    _reload_and_wait(px, _workers(px))
    # the idle connection belongs to the retiring worker: it still answers,
    # and says it will close
    r = c.get("/read")
    eq(r.status, 200, "request on the idle connection after the reload")
    eq((r.header("connection") or "").lower(), "close", "Connection header on that answer")
    check(c.closed(3), "connection closed after that answer")


@timeout(60)
def test_worker_killed_is_replaced(ctx):
    tandem_only("master restarts workers")
    px, a, b, cfg = _lab(ctx)
    load = Load(px.port, threads=2, keepalive=False).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        old = _workers(px)
        eq(len(old), 1, "workers before")
        os.kill(old[0], signal.SIGKILL)
        t0 = time.time()
        poll_until(lambda: [p for p in _workers(px) if p not in old], 1.0, "a new worker within 1 s")
        n = load.ok
        poll_until(lambda: load.ok > n + 20, 5, "requests served by the new worker")
        took = time.time() - t0
        ctx.note("new worker serving %.3f s after SIGKILL" % took)
    finally:
        load.stop()
    check("restarting" in px.logs(), "the crash and restart must be logged")


def test_sd_notify(ctx):
    tandem_only("systemd notify")
    a = ctx.app("A")
    path = ctx.path("notify.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(path)
    srv.settimeout(5)
    port = free_port()
    cfgp = ctx.write("n.cfg", config(port, [("a", a.port)]))
    p = ctx.spawn("tandem", [os.path.join(BIN_DIR, "tandem"), "-f", cfgp],
                  env={"NOTIFY_SOCKET": path})
    msgs = []

    def wait_for(key):
        dl = Deadline(5)
        while not dl.expired():
            try:
                m = srv.recv(4096).decode()
            except socket.timeout:
                break
            msgs.append(m)
            if key in m:
                return
        raise AssertionError("no %s in notify messages %r" % (key, msgs))
    try:
        wait_for("READY=1")
        os.kill(p.pid, signal.SIGUSR2)
        wait_for("RELOADING=1")
        wait_for("READY=1")
        os.kill(p.pid, signal.SIGUSR1)
        wait_for("STOPPING=1")
    finally:
        srv.close()
    eq(p.wait(10), 0, "exit status after soft stop")


def test_daemon_and_pidfile(ctx):
    tandem_only("daemon mode")
    a = ctx.app("A")
    port = free_port()
    cfgp = ctx.write("d.cfg", config(port, [("a", a.port)]))
    pidf = ctx.path("tandem.pid")
    exe = os.path.join(BIN_DIR, "tandem")
    p = ctx.spawn("launcher", [exe, "-D", "-p", pidf, "-f", cfgp])
    eq(p.wait(10), 0, "the launching process exits once daemonised")
    poll_until(lambda: os.path.exists(pidf) and open(pidf).read().strip(), 5, "the pidfile")
    pid = int(open(pidf).read())
    try:
        poll_until(lambda: Client(port).get("/read").status == 200, 5, "the daemon serves")
    finally:
        os.kill(pid, signal.SIGUSR1)
    poll_until(lambda: not os.path.exists("/proc/%d" % pid), 10, "the daemon exits on SIGUSR1")


@timeout(60)
def test_reload_keeps_health_state(ctx):
    """A zombie (health 503) marked DOWN stays DOWN across reloads, even with
    init-state up, and gets no request after any reload."""
    tandem_only("state handover")
    a, b = ctx.app("A"), ctx.app("B")
    port = free_port()
    srv_opts = "check inter 200ms fastinter 100ms fall 2 rise 2 init-state up"
    cfg = config(port, [("a", a.port, srv_opts), ("b", b.port, srv_opts)], nbthread=2,
                 be_extra="option httpchk GET /health")
    px = ctx.proxy(cfg)
    eq(Client(a.port).get("/admin/fault?mode=zombie").status, 200, "zombie A")
    poll_until(lambda: "Server be/a is DOWN" in px.logs(), 5, "A marked DOWN")
    for i in range(3):
        before = _workers(px)
        eq(Client(a.port).get("/admin/reset").status, 200, "reset A's counters")
        _reload_and_wait(px, before)
        c = Client(px.port)
        for _ in range(20):
            r = c.get("/read")
            eq(r.status, 200, "request after reload %d" % i)
            eq(r.header("x-node"), "B", "node serving after reload %d" % i)
            if (r.header("connection") or "").lower() == "close":
                c.close()   # accepted by the retiring worker: it said goodbye
                c = Client(px.port)
        c.close()
        st = Client(a.port).get("/admin/stats")
        served = st.body.count(b'"/read":0') == 1
        check(served, "A served /read after reload %d: %r" % (i, st.body[:300]))
    check("Took over the state" in px.logs(), "the handover must be logged")


def _metric(port, name, labels):
    body = Client(port).get("/metrics").body.decode()
    for line in body.splitlines():
        if line.startswith(name + "{") and all(l in line for l in labels):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no %s%r in /metrics" % (name, labels))


def test_counters_monotonic_across_reloads(ctx):
    """Counters live in the master's shared area: a new worker continues
    them, so Prometheus series never go back after a reload."""
    tandem_only("counters across reloads")
    a = ctx.app("A")
    port, sport = free_port(), free_port()
    cfg = config(port, [("a", a.port)], nbthread=2,
                 extra_sections="listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % sport)
    px = ctx.proxy(cfg)
    c = Client(port)
    for _ in range(20):
        eq(c.get("/read").status, 200, "request")
    c.close()
    before = _metric(sport, "tandem_frontend_http_requests_total", ['proxy="fe"'])
    srv_before = _metric(sport, "tandem_server_sessions_total", ['proxy="be"', 'server="a"'])
    check(before >= 20, "requests counted before the reload: %r" % before)
    for i in range(3):
        _reload_and_wait(px, _workers(px))
        for _ in range(5):
            eq(Client(port).get("/read").status, 200, "request after reload %d" % i)
        now = _metric(sport, "tandem_frontend_http_requests_total", ['proxy="fe"'])
        check(now >= before + 5, "frontend requests went from %r to %r across reload %d" % (before, now, i))
        before = now
    srv_after = _metric(sport, "tandem_server_sessions_total", ['proxy="be"', 'server="a"'])
    check(srv_after >= srv_before + 15, "server sessions %r -> %r" % (srv_before, srv_after))
