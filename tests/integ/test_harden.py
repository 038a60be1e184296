"""Hardening against hostile clients and backends (issue 19): each test is
an attack that worked on an earlier tandem, written so that it fails there.

- absolute-form targets: the authority wins over Host (RFC 9112 3.2.2),
  userinfo and schemes other than http(s) get 400;
- a chunked response whose trailers carry framing fields is cut;
- see the sections below for the listener, stats and memory cases.

Tests whose outcome may depend on threads run at nbthread 1 and 2 (names
ending in _t1 / _t2)."""
from harness import (Client, check, eq, haproxy_differs, response_bytes, serve_keepalive, start_simple)


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
    check(got.startswith(b"HTTP/1.1 200"), "the response head should have been forwarded: %r" % got[:200])
    check(b"Content-Length: 0" not in got and not got.endswith(b"0\r\n\r\n"),
          "the client received the refused trailer or a complete body: %r" % got)
    c2 = Client(px.port)
    r = c2.get("/next")
    eq((r.status, r.body), (200, b"fine\n"), "next request after the cut response")
    c2.close()


_both(_response_trailer_framing_field_cuts)
