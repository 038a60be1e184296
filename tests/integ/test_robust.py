"""Clients that vanish mid-request or mid-response: the proxy neither crashes
nor leaks (its descriptor count returns to where it was) and keeps answering."""
from harness import Client, Deadline, app_proxy, check, eq, fd_count, poll_until, tcp_conns



def _settle(px, base, what):
    """The proxy still answers, keeps no connection to a client that left,
    and its descriptor count comes back near <base> (idle server connections
    it may keep in its pool are not a leak, hence the slack)."""
    check(px.proc.alive(), "proxy died after %s" % what)
    c = Client(px.port)
    eq(c.get("/").body, b"NODE_A\n", "request after %s" % what)
    c.close()
    left = []

    def no_client_conns():
        left[:] = tcp_conns(px.pid, local_port=px.port)
        return not left
    try:
        poll_until(no_client_conns, 5, "client-side connections to close after %s" % what)
    except AssertionError:
        raise AssertionError("proxy still holds %d client connections 5s after %s: %s"
                             % (len(left), what, left[:5]))
    fds = fd_count(px.pid)
    check(fds <= base + FD_SLACK, "proxy holds %d descriptors after %s, %d before" % (fds, what, base))


FD_SLACK = 24   # room for idle server connections kept in the pool


def _baseline(px):
    c = Client(px.port)
    eq(c.get("/").status, 200, "warm-up request")
    c.close()
    return fd_count(px.pid)


def test_client_aborts_mid_request_body(ctx):
    px, _ = app_proxy(ctx, ["A"], nbthread=2)
    base = _baseline(px)
    for i in range(20):
        c = Client(px.port)
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 1000)
        c.reset() if i % 2 else c.close()
    _settle(px, base, "20 aborted uploads")


def test_client_aborts_mid_head(ctx):
    px, _ = app_proxy(ctx, ["A"], nbthread=2)
    base = _baseline(px)
    for i in range(20):
        c = Client(px.port)
        c.send(b"GET /read HTTP/1.1\r\nHost: x\r\nX-Partial: ")
        c.reset() if i % 2 else c.close()
    _settle(px, base, "20 aborted request heads")


def test_client_aborts_mid_response_body(ctx):
    px, _ = app_proxy(ctx, ["A"], nbthread=2)
    base = _baseline(px)
    for i in range(20):
        c = Client(px.port)
        c.send(b"GET /bytes?n=50000000 HTTP/1.1\r\nHost: x\r\n\r\n")
        c.reader.read_head(Deadline(5))
        c.reader.read_exact(65536, Deadline(5))
        c.reset() if i % 2 else c.close()
    _settle(px, base, "20 downloads aborted mid-body")


def test_client_aborts_while_waiting(ctx):
    px, _ = app_proxy(ctx, ["A"], nbthread=2)
    base = _baseline(px)
    for i in range(10):
        c = Client(px.port)
        c.send(b"GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        c.reset() if i % 2 else c.close()
    _settle(px, base, "10 clients gone while their request waited on the server")
