"""Strict request parsing (RFC 9112): each malformed or ambiguous request
gets its error status, the connection is closed, and nothing reaches the
backend (a request that could be read two ways must never be forwarded).

Statuses follow include/tandem/h1.h: framing and syntax errors 400, a
Transfer-Encoding other than the single value "chunked" 501 (tandem applies no
other coding; nginx answers 501 too, HAProxy 422), chunk trailers naming
framing, routing or connection fields 400, request line too long 414, head too big or too many
headers 431, unsupported version 505, body over tune.http.max-body-size 413,
incomplete head at `timeout http-request` 408."""
import time

from harness import (Client, Deadline, check, eq, haproxy_differs, parse_head, response_bytes, serve_keepalive,
                     start_simple, tandem_only)

H = b"GET / HTTP/1.1\r\nHost: x\r\n"

# name: (request bytes, expected status, reaches_backend_ok, haproxy difference or None)
CASES = {
    "cl_te_conflict": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"0\r\n\r\n", 400, False, "HAProxy accepts CL+TE, dropping Content-Length (RFC 9112 6.3 allows it)"),
    "two_different_content_lengths": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                                      b"helloo", 400, False, None),
    "content_length_abc": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, False, None),
    "content_length_negative": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, False, None),
    "content_length_list": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1\r\n\r\nA", 400, False,
                            "HAProxy merges identical Content-Length values"),
    "te_not_ending_in_chunked": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400, False, None),
    "te_unknown_coding": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501, False,
                          "HAProxy 2.6 answers 422 to any coding before chunked"),
    # tandem applies no coding but chunked: anything but the single value
    # "chunked" is not forwarded (nginx: 501; HAProxy 2.6: 422)
    "te_gzip_chunked": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, False,
                        "HAProxy 2.6 answers 422 to any coding before chunked"),
    "te_identity_chunked": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
                            501, False, "HAProxy 2.6 answers 422 to any coding before chunked"),
    "te_comma_chunked_comma": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked,\r\n\r\n0\r\n\r\n", 501,
                               False, "HAProxy 2.6 answers 422 to a Transfer-Encoding list other than chunked"),
    "te_gzip_then_chunked_fields": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, False,
                                    "HAProxy 2.6 answers 422 to any coding before chunked"),
    "space_before_colon": (H + b"X-Foo : bar\r\n\r\n", 400, False, None),
    "obs_fold": (H + b"X-Foo: a\r\n  folded\r\n\r\n", 400, False, "HAProxy unfolds obs-fold"),
    "bare_cr_in_header": (H + b"X-Foo: a\rb\r\n\r\n", 400, False, None),
    "nul_in_header": (H + b"X-Foo: a\x00b\r\n\r\n", 400, False, "HAProxy 2.6 accepts NUL in a value"),
    "missing_host_http11": (b"GET / HTTP/1.1\r\nX-Foo: a\r\n\r\n", 400, False, "HAProxy does not require Host"),
    "duplicate_host_same": (H + b"Host: x\r\n\r\n", 400, False, "HAProxy accepts identical duplicate Host"),
    "duplicate_host_different": (H + b"Host: y\r\n\r\n", 400, False, None),
    "chunk_size_not_hex": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                           400, True, None),
    "chunk_size_overflow": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"10000000000000000\r\nabc\r\n0\r\n\r\n", 400, True, None),
    # chunk trailers naming framing, routing or connection fields (RFC 9110
    # 6.5.1): refused, the head already went to the backend
    "trailer_content_length": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\n", 400, True,
                               "HAProxy 2.6 forwards any trailer field"),
    "trailer_transfer_encoding": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  b"0\r\nX-Sum: 1\r\ntransfer-encoding: chunked\r\n\r\n", 400, True,
                                  "HAProxy 2.6 forwards any trailer field"),
    "trailer_host": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"0\r\nHOST: evil.example\r\n\r\n", 400, True, "HAProxy 2.6 forwards any trailer field"),
    "trailer_connection": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"0\r\nConnection: close\r\n\r\n", 400, True, "HAProxy 2.6 forwards any trailer field"),
    "trailer_disguised_content_length": (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         b"0\r\nContent_Length: 5\r\n\r\n", 400, True,
                                         "HAProxy 2.6 forwards any trailer field"),
    "uri_too_long": (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, False,
                     "HAProxy answers 400 to oversized heads"),
    "too_many_headers": (H + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n", 431, False,
                         "HAProxy answers 400 to oversized heads"),
    "header_section_too_big": (H + b"".join(b"X-Big%d: %s\r\n" % (i, b"v" * 2000) for i in range(10)) + b"\r\n",
                               431, False, "HAProxy answers 400 to oversized heads"),
    "http_2_0_request_line": (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, False,
                              "HAProxy 2.6 forwards an HTTP/2.0 request line"),
}


def _silent_backend(ctx):
    """A backend that records request heads and never answers, so any
    error response the client gets comes from the proxy."""
    def handler(conn, reader, srv):
        srv.record(parse_head(reader.read_head(Deadline(30)), True))
        srv.stopping.wait(30)
    return ctx.raw_server(handler)


def _run_case(ctx, name):
    data, want, may_reach, _ = CASES[name]
    srv = _silent_backend(ctx)
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port, timeout=5)
    c.send(data)
    r = c.response()
    eq(r.status, want, "status for %s" % name)
    check(0 < r.body_len < 1024 and b"%d" % want in r.body,
          "%d error page should be small and name its status: %d bytes %r" % (want, r.body_len, r.body[:120]))
    check(c.closed(2.0), "connection not closed after the %d response" % want)
    c.close()
    if not may_reach:
        eq([x.raw_head for x in srv.requests], [], "requests forwarded to the backend")


def _make(name):
    def t(ctx):
        _run_case(ctx, name)
    t.__name__ = "test_" + name
    t.__qualname__ = t.__name__
    if CASES[name][3]:
        t = haproxy_differs(CASES[name][3])(t)
    return t


for _n in CASES:
    globals()["test_" + _n] = _make(_n)


def test_valid_request_still_works(ctx):
    """Control case: the same setup forwards a clean request."""
    srv = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [], b"ok\n")))
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    eq(c.get("/").status, 200, "status of a plain GET")
    r = c.request("POST", "/", [("Transfer-Encoding", "chunked")], b"3\r\nabc\r\n0\r\n\r\n")
    eq(r.status, 200, "status of a chunked POST")
    c.close()


def test_trailer_allowed_field_forwarded(ctx):
    """Control case for the trailer refusals: a trailer field outside the
    refused list (a checksum) still goes through with the body."""
    srv = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [], b"ok\n")))
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
           b"X-Checksum: 900150983cd24fb0\r\n\r\n")
    eq(c.response().status, 200, "status of a chunked POST with an X-Checksum trailer")
    eq(srv.requests[0].body, b"abc", "body seen by the backend")
    eq([(n.lower(), v) for n, v in srv.requests[0].trailers], [("x-checksum", "900150983cd24fb0")],
       "trailers seen by the backend")
    c.close()


def _max_body_proxy(ctx, srv):
    tandem_only("tune.http.max-body-size is a tandem keyword")
    return start_simple(ctx, [("s1", srv.port)], global_extra="tune.http.max-body-size 1000")


def test_max_body_size_content_length(ctx):
    srv = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [], b"ok\n")))
    px = _max_body_proxy(ctx, srv)
    c = Client(px.port)
    eq(c.request("POST", "/", body=b"a" * 1000).status, 200, "status for a body at the limit")
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n" + b"a" * 1001)
    eq(c.response().status, 413, "status for a 1001-byte body over a 1000-byte limit")
    check(c.closed(2.0), "connection not closed after 413")
    eq(len(srv.requests), 1, "requests forwarded to the backend")


def test_max_body_size_chunked(ctx):
    px = _max_body_proxy(ctx, _silent_backend(ctx))
    c = Client(px.port)
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (3000, b"a" * 3000)
    c.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    eq(c.response().status, 413, "status for a 3000-byte chunked body over a 1000-byte limit")
    check(c.closed(2.0), "connection not closed after 413")


def test_request_timeout_408(ctx):
    srv = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [], b"ok\n")))
    px = start_simple(ctx, [("s1", srv.port)], defaults_extra="timeout http-request 500ms")
    c = Client(px.port, timeout=5)
    t0 = time.monotonic()
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")   # head never completed
    r = c.response(timeout=4)
    took = time.monotonic() - t0
    eq(r.status, 408, "status for an incomplete head")
    check(0.4 <= took <= 2.5, "408 came after %.2fs with timeout http-request 500ms" % took)
    check(c.closed(2.0), "connection not closed after 408")
    eq(len(srv.requests), 0, "requests forwarded to the backend")
