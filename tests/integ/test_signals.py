"""Signals: SIGUSR1 soft stop (stop accepting at once, finish in-flight
requests, exit 0); SIGTERM and SIGINT hard stop (exit promptly)."""
import signal
import threading
import time

from harness import Client, check, eq, poll_until, port_refuses, response_bytes, start_simple


def _slow_server(ctx, delay):
    """A backend that signals srv.event when a request arrives, then answers
    after <delay> seconds."""
    def handler(conn, reader, srv):
        while True:
            req = srv.read_request(reader)
            if req is None:
                return
            srv.record(req)
            if req.target.startswith("/slow"):
                srv.event.set()
                srv.stopping.wait(delay)
            conn.sendall(response_bytes(200, "OK", [], b"done\n"))
    return ctx.raw_server(handler)


def _inflight(port, path, result):
    def run():
        try:
            c = Client(port, timeout=10)
            result["resp"] = c.get(path, timeout=10)
            result["closed_after"] = c.closed(5)
            c.close()
        except Exception as e:  # noqa: BLE001 (reported by the test)
            result["error"] = repr(e)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_soft_stop_sigusr1(ctx):
    srv = _slow_server(ctx, 1.5)
    px = start_simple(ctx, [("s1", srv.port)])
    result = {}
    t = _inflight(px.port, "/slow?ms=1500", result)
    poll_until(srv.event.is_set, 5, "the slow request to reach the backend")
    t0 = time.monotonic()
    px.proc.signal(signal.SIGUSR1)
    poll_until(lambda: port_refuses(px.port), 1.0, "new connections to be refused after SIGUSR1")
    refused_after = time.monotonic() - t0
    t.join(10)
    check("error" not in result, "in-flight request failed: %s" % result.get("error"))
    check("resp" in result, "in-flight request got no response")
    eq((result["resp"].status, result["resp"].body), (200, b"done\n"), "in-flight response")
    check(result.get("closed_after"), "proxy kept the client connection open after the last response")
    rc = px.proc.wait(5)
    check(rc is not None, "proxy still running 5s after the in-flight request finished")
    eq(rc, 0, "exit status after soft stop")
    check(refused_after < 1.0, "refusing new connections took %.2fs" % refused_after)


def test_soft_stop_idle_keepalive(ctx):
    """An idle keep-alive client must not hold a soft-stopping proxy."""
    srv = _slow_server(ctx, 0)
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    eq(c.get("/").status, 200, "status")
    px.proc.signal(signal.SIGUSR1)
    rc = px.proc.wait(5)
    check(rc is not None, "proxy still running 5s after SIGUSR1 with an idle keep-alive connection")
    eq(rc, 0, "exit status after soft stop")
    check(c.closed(1), "idle client connection not closed")


def _hard_stop(ctx, sig):
    srv = _slow_server(ctx, 30)
    px = start_simple(ctx, [("s1", srv.port)])
    idle = Client(px.port)
    eq(idle.get("/").status, 200, "status")
    result = {}
    _inflight(px.port, "/slow", result)
    poll_until(srv.event.is_set, 5, "the slow request to reach the backend")
    t0 = time.monotonic()
    px.proc.signal(sig)
    rc = px.proc.wait(2)
    check(rc is not None, "proxy still running 2s after %s" % signal.Signals(sig).name)
    check(time.monotonic() - t0 < 1.0, "proxy took %.2fs to exit on %s" % (time.monotonic() - t0,
                                                                           signal.Signals(sig).name))
    check(idle.closed(1), "idle client connection still open after the proxy exited")
    check(port_refuses(px.port), "port still accepting after the proxy exited")


def test_hard_stop_sigterm(ctx):
    _hard_stop(ctx, signal.SIGTERM)


def test_hard_stop_sigint(ctx):
    _hard_stop(ctx, signal.SIGINT)
