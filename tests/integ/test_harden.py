"""Hardening against hostile clients and backends (issue 19): each test is
an attack that worked on an earlier tandem, written so that it fails there.

- absolute-form targets: the authority wins over Host (RFC 9112 3.2.2),
  userinfo and schemes other than http(s) get 400;
- a chunked response whose trailers carry framing fields is cut;
- see the sections below for the listener, stats and memory cases.

Tests whose outcome may depend on threads run at nbthread 1 and 2 (names
ending in _t1 / _t2)."""
import base64
import os
import resource
import socket
import struct
import time

from harness import (Client, TestFailure, check, config, eq, free_port, haproxy_differs, http, is_haproxy, poll_until,
                     proc_tree, response_bytes, rss_kb, serve_keepalive, start_simple, tcp_conns, timeout, wait_port)


def _both(fn):
    """Register fn(ctx, nbthread) as test_<name>_t1 and test_<name>_t2 (fn's
    name without its leading underscore), keeping its decorations."""
    for n in (1, 2):
        def t(ctx, n=n):
            fn(ctx, n)
        t.__name__ = t.__qualname__ = "test%s_t%d" % (fn.__name__, n)
        for attr in ("haproxy_differs", "timeout", "serial"):
            if hasattr(fn, attr):
                setattr(t, attr, getattr(fn, attr))
        globals()[t.__name__] = t
    return fn


def _ok_backend(ctx):
    return ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [], b"ok\n")))


# ---------------------------------------------------------------- absolute-form targets ----

@haproxy_differs("HAProxy 2.6 answers 400 when the authority and Host differ")
def _absolute_form_authority_wins(ctx, nbthread):
    srv = _ok_backend(ctx)
    px = start_simple(ctx, [("s1", srv.port)], nbthread=nbthread)
    c = Client(px.port)
    c.send(b"GET http://a.example/path?q=1 HTTP/1.1\r\nHost: b.example\r\nX-Id: 1\r\n\r\n")
    eq(c.response().status, 200, "status of an absolute-form request whose Host differs")
    c.close()
    req = srv.requests[0]
    eq(req.headers_all("host"), ["a.example"], "Host headers seen by the backend")
    check(b"b.example" not in req.raw_head, "the client's Host value reached the backend: %r" % req.raw_head)


_both(_absolute_form_authority_wins)


def _absolute_form_same_host(ctx, nbthread):
    """Control: authority and Host agree (port and case kept as sent)."""
    srv = _ok_backend(ctx)
    px = start_simple(ctx, [("s1", srv.port)], nbthread=nbthread)
    c = Client(px.port)
    c.send(b"GET HTTP://a.example:8080/x HTTP/1.1\r\nHost: a.example:8080\r\n\r\n")
    eq(c.response().status, 200, "status of an absolute-form request")
    c.close()
    eq(srv.requests[0].headers_all("host"), ["a.example:8080"], "Host headers seen by the backend")


_both(_absolute_form_same_host)


def _refused_target(ctx, nbthread, target):
    srv = _ok_backend(ctx)
    px = start_simple(ctx, [("s1", srv.port)], nbthread=nbthread)
    c = Client(px.port)
    c.send(b"GET " + target + b" HTTP/1.1\r\nHost: a.example\r\n\r\n")
    r = c.response()
    eq(r.status, 400, "status for the target %r" % target)
    check(c.closed(2.0), "connection not closed after the 400")
    c.close()
    eq([x.raw_head for x in srv.requests], [], "requests forwarded to the backend")


@haproxy_differs("HAProxy 2.6 forwards userinfo in an absolute-form target")
def _absolute_form_userinfo(ctx, nbthread):
    _refused_target(ctx, nbthread, b"http://u:p@a.example/")


_both(_absolute_form_userinfo)


@haproxy_differs("HAProxy 2.6 forwards any scheme")
def _absolute_form_gopher(ctx, nbthread):
    _refused_target(ctx, nbthread, b"gopher://a.example/")


_both(_absolute_form_gopher)


# ---------------------------------------------------------------- response trailers ----

@haproxy_differs("HAProxy 2.6 forwards any trailer field")
def _response_trailer_framing_field_cuts(ctx, nbthread):
    """A chunked response whose trailer section carries Content-Length: the
    client never sees the trailer nor a complete body; the connection is
    cut as for any broken body, and the next client is served normally."""
    bad = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
           b"Content-Length: 0\r\n\r\n")
    good = response_bytes(200, "OK", [], b"fine\n")

    def respond(req):
        return bad if req.target == "/bad" else good
    srv = ctx.raw_server(serve_keepalive(respond))
    px = start_simple(ctx, [("s1", srv.port)], nbthread=nbthread)
    c = Client(px.port)
    c.send(b"GET /bad HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while True:
        try:
            d = c.sock.recv(65536)
        except OSError:
            break
        if not d:
            break
        got += d
    c.close()
    # the whole response comes in one write: the refused trailer is seen
    # before anything reached the client, so it is a bad response (502, as
    # a chunked body whose framing breaks in its first buffer); when the
    # head went out first, the client sees the cut
    check(got.startswith(b"HTTP/1.1 200") or got.startswith(b"HTTP/1.1 502"),
          "neither a cut response nor a 502: %r" % got[:200])
    check(b"Content-Length: 0" not in got and not got.endswith(b"0\r\n\r\n"),
          "the client received the refused trailer or a complete body: %r" % got)
    c2 = Client(px.port)
    r = c2.get("/next")
    eq((r.status, r.body), (200, b"fine\n"), "next request after the cut response")
    c2.close()


_both(_response_trailer_framing_field_cuts)


# ---------------------------------------------------------------- stats page: auth and admin ----

def _stats_proxy(ctx, nbthread, stats_extra=""):
    """A frontend fe -> be (server s1, a raw backend) and `listen stats`
    with Basic auth admin:s3cret and admin actions. Returns (proxy, stats_port)."""
    srv = _ok_backend(ctx)
    fe_port, stats_port = free_port(), free_port()
    stats = ("listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n"
             "    stats auth admin:s3cret\n    stats admin if TRUE\n%s" % (stats_port, stats_extra))
    px = ctx.proxy(config(fe_port, [("s1", srv.port)], nbthread=nbthread, extra_sections=stats))
    return px, stats_port


def _basic(cred, junk=b""):
    return "Basic " + (base64.b64encode(cred) + junk).decode("latin-1")


def _refused_credentials(ctx, nbthread, cases):
    _, port = _stats_proxy(ctx, nbthread)
    c = Client(port)
    eq(c.get("/stats;csv", [("Authorization", _basic(b"admin:s3cret"))]).status, 200, "status with the credentials")
    for what, value in cases:
        r = c.get("/stats;csv", [("Authorization", value)] if value else None)
        eq(r.status, 401, "status with %s" % what)
        check(r.header("www-authenticate", "").lower().startswith("basic"), "401 without a Basic challenge")
        if r.header("connection", "").lower() == "close" or c.closed(0.05):
            c.close()
            c = Client(port)
    c.close()


def _stats_auth_strict(ctx, nbthread):
    _refused_credentials(ctx, nbthread, (
        ("trailing junk", _basic(b"admin:s3cret", b"!!!!garbage")),
        ("trailing base64", _basic(b"admin:s3cret", b"Z2FyYmFnZQ==")),
        ("missing padding", _basic(b"admin:s3cretx").rstrip("=")),
        ("password prefix", _basic(b"admin:s3cre")),
        ("no credentials", None)))


_both(_stats_auth_strict)


@haproxy_differs("HAProxy 2.6 compares the decoded credentials as C strings: a NUL ends them")
def _stats_auth_nul_suffix(ctx, nbthread):
    _refused_credentials(ctx, nbthread, (("the password followed by NUL and more", _basic(b"admin:s3cret\x00x")),))


_both(_stats_auth_nul_suffix)


def _admin_post(port, origin_hdrs):
    """The admin form as a browser on http://127.0.0.1:PORT/stats sends it."""
    h = [("Authorization", _basic(b"admin:s3cret")), ("Content-Type", "application/x-www-form-urlencoded")]
    return http(port, "POST", "/stats", headers=h + origin_hdrs, body=b"s=s1&b=be&action=drain",
                host="127.0.0.1:%d" % port)


def _drained(port):
    r = http(port, "GET", "/stats;csv", headers=[("Authorization", _basic(b"admin:s3cret"))])
    eq(r.status, 200, "CSV status")
    for line in r.body.decode().splitlines():
        f = line.split(",")
        if len(f) > 17 and f[0] == "be" and f[1] == "s1":
            return f[17]
    raise TestFailure("be/s1 not in the CSV export")


@haproxy_differs("HAProxy 2.6 runs admin actions whatever the Origin says")
def _stats_admin_cross_origin(ctx, nbthread):
    """A page on another site that submits the admin form with the user's
    cached credentials: refused (403) and nothing changes; the same action
    from the stats page's own origin, or from curl (no Origin), works."""
    _, port = _stats_proxy(ctx, nbthread)
    host = "127.0.0.1:%d" % port
    for what, hdrs in (("a foreign Origin", [("Origin", "http://evil.example")]),
                       ("Origin null", [("Origin", "null")]),
                       ("the same host on another port", [("Origin", "http://127.0.0.1:%d" % (port + 1))]),
                       ("a foreign Referer", [("Referer", "http://evil.example/page.html")])):
        r = _admin_post(port, hdrs)
        eq(r.status, 403, "status of an admin POST with %s" % what)
        eq(_drained(port), "no check", "s1 status after the refused POST with %s" % what)
    r = _admin_post(port, [("Origin", "http://" + host), ("Referer", "http://%s/stats" % host)])
    eq(r.status, 303, "status of a same-origin admin POST")
    check(r.header("location", "").endswith(";st=DONE"), "same-origin POST result: %r" % r.header("location"))
    eq(_drained(port), "DRAIN", "s1 status after the same-origin POST")
    h = [("Authorization", _basic(b"admin:s3cret")), ("Content-Type", "application/x-www-form-urlencoded")]
    r = http(port, "POST", "/stats", headers=h, body=b"s=s1&b=be&action=ready")
    eq(r.status, 303, "status of an admin POST without Origin nor Referer (a script)")
    eq(_drained(port), "no check", "s1 status after the scripted POST")


_both(_stats_admin_cross_origin)


# ---------------------------------------------------------------- listeners at their limits ----

def _no_answer(c, secs):
    """True if nothing arrives on <c> for <secs> (the connection waits in
    the listen backlog: accepted by the kernel, not by the proxy)."""
    c.sock.settimeout(secs)
    try:
        c.sock.recv(1, socket.MSG_PEEK)
        return False
    except socket.timeout:
        return True
    finally:
        c.sock.settimeout(c.timeout)


def _frontend_maxconn_pauses_only_itself(ctx, nbthread):
    """fe1 is at its maxconn (2): a third fe1 client waits, but another
    frontend and the stats page still answer; when an fe1 client leaves,
    the waiting one is served (on any thread)."""
    srv = _ok_backend(ctx)
    fe1, fe2, st = free_port(), free_port(), free_port()
    extra = ("frontend fe2\n    bind 127.0.0.1:%d\n    default_backend be\n\n"
             "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % (fe2, st))
    ctx.proxy(config(fe1, [("s1", srv.port)], nbthread=nbthread, fe_extra="maxconn 2", extra_sections=extra))
    for rnd in range(2):
        held = [Client(fe1), Client(fe1)]
        for c in held:
            eq(c.get("/").status, 200, "status of an fe1 client under its maxconn")
        waiting = Client(fe1)
        waiting.send(b"GET /w HTTP/1.1\r\nHost: x\r\n\r\n")
        check(_no_answer(waiting, 0.3), "a third fe1 client was served while fe1 is at maxconn 2")
        for i in range(4):   # several connections: with 2 threads, both threads get a turn
            eq(http(fe2, "GET", "/", timeout=3).status, 200, "fe2 while fe1 is full (round %d)" % rnd)
            eq(http(st, "GET", "/stats;csv", timeout=3).status, 200, "stats page while fe1 is full (round %d)" % rnd)
        held[0].close()
        eq(waiting.response(timeout=5).status, 200, "the waiting fe1 client once a slot freed (round %d)" % rnd)
        held[1].close()
        waiting.close()
        poll_until(lambda: http(fe1, "GET", "/", timeout=3).status == 200, 5, "fe1 accepting again")


_both(_frontend_maxconn_pauses_only_itself)


def _global_maxconn_resumes(ctx, nbthread):
    """Global maxconn 3: a fourth client waits in the backlog; whichever
    thread the leaving client was on, the waiting one is served at once
    (not only after another connection ends on the thread that paused)."""
    srv = _ok_backend(ctx)
    fe = free_port()
    ctx.proxy(config(fe, [("s1", srv.port)], nbthread=nbthread, global_extra="maxconn 3"))
    for rnd in range(3):
        held = [Client(fe) for _ in range(3)]
        for c in held:
            eq(c.get("/").status, 200, "status under the global maxconn")
        waiting = Client(fe)
        waiting.send(b"GET /w HTTP/1.1\r\nHost: x\r\n\r\n")
        check(_no_answer(waiting, 0.3), "a fourth client was served at global maxconn 3")
        held[rnd].close()
        eq(waiting.response(timeout=5).status, 200, "the waiting client once a slot freed (round %d)" % rnd)
        for c in held + [waiting]:
            c.close()
        poll_until(lambda: http(fe, "GET", "/", timeout=3).status == 200, 5, "accepting again")


_both(_global_maxconn_resumes)


def _cpu_seconds(pid):
    """utime + stime of <pid> and its descendants, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in proc_tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fld = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fld[11]) + int(fld[12])
    return total / tick


@timeout(90)
def _fd_exhaustion_tcp_stats_socket(ctx, nbthread):
    """The worker runs out of file descriptors (ulimit-n 64, many idle
    clients), then a client connects to the TCP stats socket. The worker
    must not spin on the pending connection nor flood its log; once the
    clients leave, the stats socket answers again."""
    srv = _ok_backend(ctx)
    fe, sock_port = free_port(), free_port()
    px = ctx.proxy(config(fe, [("s1", srv.port)], nbthread=nbthread,
                          global_extra="ulimit-n 64\nmaxconn 1000\nstats socket ipv4@127.0.0.1:%d level admin" % sock_port))
    wait_port(sock_port, 10, px.proc)
    if is_haproxy():
        # HAProxy 2.6 raises the limit to what maxconn needs whatever
        # ulimit-n says: lower it from outside
        for p in proc_tree(px.pid):
            resource.prlimit(p, resource.RLIMIT_NOFILE, (64, 64))
    for p in proc_tree(px.pid):
        eq(resource.prlimit(p, resource.RLIMIT_NOFILE)[0], 64, "fd limit of process %d (ulimit-n 64)" % p)
    clients = []
    try:
        for _ in range(120):
            clients.append(socket.create_connection(("127.0.0.1", fe), timeout=5))
        # every fd is in use once a request on a fresh connection gets no answer
        probe = Client(fe, timeout=3)
        probe.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        check(_no_answer(probe, 0.5), "the proxy still accepted clients: fds not exhausted")
        alerts0 = px.logs().count("FD limit")
        cpu0, t0 = _cpu_seconds(px.pid), time.monotonic()
        stats = socket.create_connection(("127.0.0.1", sock_port), timeout=10)
        stats.sendall(b"show info\n")
        poll_until(lambda: time.monotonic() - t0 >= 3.0, 5, "3 s of fd exhaustion")
        cpu = _cpu_seconds(px.pid) - cpu0
        wall = time.monotonic() - t0
        alerts = px.logs().count("FD limit") - alerts0
        check(cpu < 0.15 * wall, "the worker used %.2f s of CPU in %.1f s with its fds exhausted (spinning)" % (cpu, wall))
        check(alerts <= 2 * wall + 2, "%d FD-limit ALERT lines in %.1f s (not rate-limited)" % (alerts, wall))
    finally:
        for c in clients:
            c.close()
    # fds are free again: the waiting stats client is served
    stats.settimeout(10)
    got = b""
    while b"Uptime_sec: " not in got:
        d = stats.recv(65536)
        if not d:
            break
        got += d
    stats.close()
    check(b"Uptime_sec: " in got, "stats socket answer once fds were freed: %r" % got[:200])
    eq(probe.response(timeout=10).status, 200, "the waiting HTTP client once fds were freed")
    probe.close()


_both(_fd_exhaustion_tcp_stats_socket)


# ---------------------------------------------------------------- memory after a slow-read attack ----

def _sanitized(pid):
    """Is <pid> built with AddressSanitizer (its allocator keeps freed
    memory in quarantine and its shadow pages)?"""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


@haproxy_differs("HAProxy 2.6 keeps the memory its pools took during the attack")
@timeout(120)
def _slow_read_memory_returns(ctx, nbthread):
    """600 clients ask for 10 MB each with a 1 KB receive window and do not
    read: the proxy fills a buffer per side for each. When they leave, the
    idle proxy's RSS must come back near its baseline (it used to keep the
    attack's high-water mark: 24.5 MB instead of 2.3 MB)."""
    app = ctx.app("A")
    px = start_simple(ctx, [("s1", app.port)], nbthread=nbthread,
                      timeouts=("connect 2s", "client 30s", "server 30s"))
    for _ in range(20):   # warm up: buffers, pools, counters
        r = http(px.port, "GET", "/bytes?n=100000")
        eq(r.status, 200, "warm-up status")
    base = rss_kb(px.pid)
    clients = []
    try:
        for _ in range(600):
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            c.settimeout(5)
            c.connect(("127.0.0.1", px.port))
            c.sendall(b"GET /bytes?n=10000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(c)
        grown = 8 * 1024
        poll_until(lambda: rss_kb(px.pid) >= base + grown, 20, "the attack to take %d kB (baseline %d kB)" % (grown, base))
        poll_until(lambda: tcp_conns(px.pid, local_port=px.port).__len__() >= 600, 20, "600 slow readers connected")
        peak = rss_kb(px.pid)
    finally:
        for c in clients:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
    poll_until(lambda: not tcp_conns(px.pid, local_port=px.port), 20, "the slow readers' connections closed")
    peak = max(peak, rss_kb(px.pid))
    # ASan keeps the shadow pages of the heap the attack touched (1/8 of
    # it) and allocator metadata: it may keep half of the growth
    asan = _sanitized(px.pid)
    limit = base + max(4 * 1024, (peak - base) // (2 if asan else 4))
    try:
        poll_until(lambda: rss_kb(px.pid) <= limit, 10,
                   "RSS back under %d kB (baseline %d kB, peak %d kB%s)"
                   % (limit, base, peak, ", ASan" if asan else ""))
    except TestFailure as e:
        raise TestFailure("%s; now %d kB" % (e, rss_kb(px.pid)))
    eq(http(px.port, "GET", "/bytes?n=100000").status, 200, "status after the attack")


_both(_slow_read_memory_returns)
