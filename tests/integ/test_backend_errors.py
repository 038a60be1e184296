"""What the client gets when the backend side fails: 503 when no server can
be reached or none exists, 502 for a broken or missing response, 504 when
the server is too slow. Every generated error is small and says what it is."""
import time

from harness import Client, check, config, eq, free_port, start_simple

REASONS = {502: b"Bad Gateway", 503: b"Service Unavailable", 504: b"Gateway Time-out"}


def _check_error_page(r, status):
    eq(r.status, status, "status")
    check(r.body_len < 1024, "%d error body is %d bytes, want a small page" % (status, r.body_len))
    body = r.body.lower()
    check(b"%d" % status in r.body or REASONS[status].lower().split(b" ")[0] in body,
          "%d error body does not say what happened: %r" % (status, r.body[:200]))


def _get(port, timeout=10.0):
    c = Client(port, timeout=timeout)
    try:
        return c.get("/", timeout=timeout)
    finally:
        c.close()


def test_connection_refused_503(ctx):
    # nobody listens there; a short connect timeout keeps retry pauses short
    px = start_simple(ctx, [("s1", free_port())], timeouts=("connect 300ms", "client 10s", "server 10s"))
    _check_error_page(_get(px.port), 503)
    check(px.proc.alive(), "proxy died")


def test_no_server_503(ctx):
    port = free_port()
    px = ctx.proxy(config(port, []))
    _check_error_page(_get(px.port), 503)


def _answer_with(ctx, data, close=True):
    def handler(conn, reader, srv):
        srv.read_request(reader)
        conn.sendall(data)
        if not close:
            srv.stopping.wait(10)
    return ctx.raw_server(handler)


def test_malformed_status_line_502(ctx):
    srv = _answer_with(ctx, b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")
    px = start_simple(ctx, [("s1", srv.port)])
    _check_error_page(_get(px.port), 502)


def test_garbage_response_502(ctx):
    srv = _answer_with(ctx, b"this is not http at all\r\n\r\n")
    px = start_simple(ctx, [("s1", srv.port)])
    _check_error_page(_get(px.port), 502)


def test_invalid_content_length_response_502(ctx):
    srv = _answer_with(ctx, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello", close=False)
    px = start_simple(ctx, [("s1", srv.port)])
    _check_error_page(_get(px.port), 502)


def test_backend_closes_without_answer_502(ctx):
    srv = _answer_with(ctx, b"")
    px = start_simple(ctx, [("s1", srv.port)])
    _check_error_page(_get(px.port), 502)


def test_backend_hangs_504(ctx):
    def handler(conn, reader, srv):
        srv.read_request(reader)
        srv.stopping.wait(30)     # never answers
    srv = ctx.raw_server(handler)
    px = start_simple(ctx, [("s1", srv.port)], timeouts=("connect 2s", "client 10s", "server 300ms"))
    t0 = time.monotonic()
    r = _get(px.port)
    took = time.monotonic() - t0
    _check_error_page(r, 504)
    check(0.25 <= took <= 3.0, "504 came after %.2fs with timeout server 300ms" % took)


def test_proxy_survives_backend_errors(ctx):
    """After a run of failures the same proxy still relays good traffic."""
    good = ctx.app("A")
    bad = _answer_with(ctx, b"")
    port = free_port()
    port2 = free_port()
    cfg = config(port, [("good", good.port)], extra_sections=(
        "frontend fe2\n    bind 127.0.0.1:%d\n    default_backend bad\n"
        "backend bad\n    server b1 127.0.0.1:%d\n" % (port2, bad.port)))
    px = ctx.proxy(cfg)
    for _ in range(5):
        c = Client(port2)
        eq(c.get("/bad").status, 502, "status from the broken backend")
        c.close()
    eq(_get(px.port).body, b"NODE_A\n", "good backend after failures")


def test_broken_chunked_framing_in_first_buffer_502(ctx):
    """A response whose first buffer already shows broken chunked framing
    (200, Transfer-Encoding: chunked, then `zz`) is answered 502 as HAProxy
    does: the client never gets a head whose body is then cut."""
    srv = _answer_with(ctx, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
    px = start_simple(ctx, [("s1", srv.port)])
    _check_error_page(_get(px.port), 502)
