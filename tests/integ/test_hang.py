"""A hung server costs clients nothing (issue 20): requests waiting on a
server that is marked DOWN (active checks, passive checks, or put in
maintenance on the runtime API) are sent to another server at once, when
that is safe: idempotent (or no byte sent), no response byte reached the
client, the body still kept. They are not counted against `retry-budget`.
A POST that reached the hung server is never sent again.

HAProxy waits `timeout server` for such requests, then retries: the tests
that show the immediate re-dispatch are marked as differing from HAProxy."""
import os
import signal
import socket
import threading
import time

from harness import (check, config, eq, free_port, haproxy_differs, http, parse_json, poll_until,
                     tandem_only, timeout)


def _cli(path, line, tmo=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(tmo)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode(errors="replace")


def _op_states(admin, be="be"):
    """{server name: operational state} from `show servers state` (HAProxy's
    format: field 3 the name, field 5 the state, 2 = UP, 0 = DOWN)."""
    out = {}
    try:
        text = _cli(admin, "show servers state " + be)
    except OSError:
        return out  # the socket is not there yet
    for line in text.splitlines():
        f = line.split()
        if len(f) > 5 and not line.startswith("#") and f[0].isdigit():
            out[f[3]] = f[5]
    return out


def _app_stats(app):
    return parse_json(http(app.port, "GET", "/admin/stats").body, "tandem-app stats")


def _fault(app, mode):
    eq(http(app.port, "GET", "/admin/fault?mode=" + mode).status, 200, "fault " + mode)


def _two_nodes(ctx, server_timeout="30s", be_extra=""):
    a, b = ctx.app("A"), ctx.app("B")
    admin = ctx.path("admin.sock")
    port = free_port()
    px = ctx.proxy(config(port, [("a", a.port), ("b", b.port)], balance="first",
                          timeouts=("connect 1s", "client 40s", "server " + server_timeout),
                          global_extra="stats socket %s level admin" % admin,
                          be_extra="retries 3\noption redispatch\n" + be_extra))
    return px, a, b, admin


def _request_in_thread(port, method, path, body, out, tmo=45):
    def run():
        t0 = time.monotonic()
        try:
            r = http(port, method, path, headers={"X-Request-Id": "hang-%s" % method}, body=body, timeout=tmo)
            out["r"] = r
        except Exception as e:  # reported by the test
            out["r"] = e
        out["t"] = time.monotonic() - t0
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@timeout(60)
@haproxy_differs("HAProxy waits `timeout server` for a request on a server put in maintenance")
def test_get_waiting_on_server_put_in_maint_moves_at_once(ctx):
    """A GET waiting on a hung server (timeout server 30s) is answered by the
    other server as soon as the hung one is put in maintenance."""
    px, a, b, admin = _two_nodes(ctx)
    _fault(a, "hang")
    out = {}
    t = _request_in_thread(px.port, "GET", "/read", b"", out)
    poll_until(lambda: _app_stats(a)["requests"] >= 1, 5, "the GET at the hung server")
    t_maint = time.monotonic()
    _cli(admin, "disable server be/a")
    t.join(40)
    r = out.get("r")
    check(r is not None and not isinstance(r, Exception), "GET failed: %r" % (r,))
    eq(r.status, 200, "status")
    eq(r.header("x-node"), "B", "served by")
    waited = time.monotonic() - t_maint
    check(waited < 10, "the GET waited %.1f s after its server went to maintenance "
          "(timeout server is 30 s)" % waited)


@timeout(60)
def test_post_waiting_on_server_put_in_maint_not_replayed(ctx):
    """A POST that reached the hung server is not sent anywhere else when
    that server goes to maintenance: it waits `timeout server` (504)."""
    tandem_only("counts the POST ids the nodes received")
    px, a, b, admin = _two_nodes(ctx, server_timeout="2s")
    _fault(a, "hang")
    out = {}
    t = _request_in_thread(px.port, "POST", "/write", b"x" * 1000, out)
    poll_until(lambda: _app_stats(a)["requests"] >= 1, 5, "the POST at the hung server")
    _cli(admin, "disable server be/a")
    t.join(20)
    r = out.get("r")
    check(r is not None and not isinstance(r, Exception), "POST failed: %r" % (r,))
    eq(r.status, 504, "a POST on a server gone to maintenance waits for its answer")
    eq(_app_stats(b)["requests"], 0, "requests that reached B")


@timeout(60)
@haproxy_differs("HAProxy waits `timeout server` for a request on a server marked DOWN")
def test_get_with_idempotency_key_moves(ctx):
    """A POST with an Idempotency-Key is safe to replay: it moves too."""
    px, a, b, admin = _two_nodes(ctx)
    _fault(a, "hang")
    out = {}

    def run():
        try:
            out["r"] = http(px.port, "POST", "/write", headers={"X-Request-Id": "k1", "Idempotency-Key": "k1"},
                            body=b"y" * 100, timeout=45)
        except Exception as e:
            out["r"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    poll_until(lambda: _app_stats(a)["requests"] >= 1, 5, "the POST at the hung server")
    _cli(admin, "disable server be/a")
    t.join(40)
    r = out.get("r")
    check(r is not None and not isinstance(r, Exception), "POST failed: %r" % (r,))
    eq(r.status, 200, "status")
    eq(r.header("x-node"), "B", "served by")


def _drill(ctx, nclients, server_timeout):
    """The labs' hang drill: three nodes under keep-alive load, one SIGSTOPped
    until its checks mark it DOWN, then resumed. Returns (errors, slowest
    request in s, detection bound in s, per-node counts)."""
    apps = [ctx.app(n) for n in ("A", "B", "C")]
    admin = ctx.path("admin.sock")
    port = free_port()
    inter, fastinter, fall, tcheck = 0.5, 0.1, 2, 0.3
    ctx.proxy(config(port, [(n.lower(), a.port, "check") for n, a in zip("ABC", apps)],
                     nbthread=2, timeouts=("connect 1s", "client 40s", "server " + server_timeout,
                                           "check %dms" % int(tcheck * 1000)),
                     global_extra="stats socket %s level admin" % admin,
                     be_extra=("option httpchk GET /health\nretries 3\noption redispatch\n"
                               "default-server inter %dms fastinter %dms fall %d rise 2"
                               % (inter * 1000, fastinter * 1000, fall))))
    poll_until(lambda: list(_op_states(admin).values()) == ["2", "2", "2"], 15, "the three servers UP")
    stop = threading.Event()
    errors, lat, nodes, lock = [], [], {}, threading.Lock()

    def client(k):
        sock = None
        n = 0
        while not stop.is_set() and n < 2000:
            n += 1
            t0 = time.monotonic()
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=45)
                sock.sendall(b"GET /read HTTP/1.1\r\nHost: t\r\n\r\n")
                data = b""
                while b"\r\n\r\n" not in data:
                    d = sock.recv(4096)
                    if not d:
                        raise OSError("closed")
                    data += d
                head, rest = data.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                status = int(lines[0].split()[1])
                hdrs = dict(l.decode().split(": ", 1) for l in lines[1:])
                clen = int(hdrs.get("content-length", hdrs.get("Content-Length", "0")))
                while len(rest) < clen:
                    d = sock.recv(4096)
                    if not d:
                        raise OSError("closed mid-body")
                    rest += d
                node = hdrs.get("x-node", hdrs.get("X-Node", "?"))
                with lock:
                    lat.append(time.monotonic() - t0)
                    if status != 200:
                        errors.append(status)
                    nodes[node] = nodes.get(node, 0) + 1
                if "close" in hdrs.get("connection", hdrs.get("Connection", "")).lower():
                    sock.close()
                    sock = None
            except OSError as e:
                with lock:
                    errors.append(repr(e))
                if sock:
                    sock.close()
                sock = None
        if sock:
            sock.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(nclients)]
    for t in threads:
        t.start()
    poll_until(lambda: len(lat) > 200, 20, "load flowing")
    os.kill(apps[0].proc.pid, signal.SIGSTOP)
    try:
        poll_until(lambda: _op_states(admin).get("a") == "0", 15, "A marked DOWN")
        n_at_down = len(lat)
        poll_until(lambda: len(lat) > n_at_down + 200, 20, "load served by the others")
    finally:
        os.kill(apps[0].proc.pid, signal.SIGCONT)
    stop.set()
    for t in threads:
        t.join(60)
    bound = inter + fall * fastinter + tcheck
    return errors, max(lat), bound, nodes


def _check_drill(ctx, nclients, server_timeout):
    errors, slowest, bound, nodes = _drill(ctx, nclients, server_timeout)
    ctx.note("nodes %r, slowest %.2f s, detection bound %.2f s" % (nodes, slowest, bound))
    eq(errors[:5], [], "client errors during the hang")
    # the slowest request waited for the detection, plus a round trip:
    # not for `timeout server`
    check(slowest < bound + 1.0, "the slowest request took %.2f s (detection takes at most %.2f s, "
          "timeout server %s)" % (slowest, bound, server_timeout))


@timeout(120)
@haproxy_differs("HAProxy waits `timeout server` for requests on a hung server")
def test_hang_drill_8_clients_timeout_30s(ctx):
    _check_drill(ctx, 8, "30s")


@timeout(120)
@haproxy_differs("HAProxy waits `timeout server` for requests on a hung server")
def test_hang_drill_32_clients_timeout_30s(ctx):
    _check_drill(ctx, 32, "30s")


@timeout(120)
@haproxy_differs("HAProxy waits `timeout server` for requests on a hung server")
def test_hang_drill_32_clients_timeout_2s(ctx):
    _check_drill(ctx, 32, "2s")
