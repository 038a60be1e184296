"""Header handling: hop-by-hop removal both ways, X-Forwarded-For, and
http-request / http-response set-header and del-header."""
from harness import Client, check, eq, haproxy_differs, response_bytes, serve_keepalive, start_simple

HOP_REQ = [
    ("Connection", "keep-alive, X-Hop-Custom"),
    ("Keep-Alive", "timeout=5"),
    ("X-Hop-Custom", "secret"),
    ("TE", "trailers"),
    ("Proxy-Connection", "keep-alive"),
    ("X-End", "kept"),
]


def _recording(ctx, resp=None):
    resp = resp or (lambda req: response_bytes(200, "OK", [("X-Node", "R")], b"ok\n"))
    return ctx.raw_server(serve_keepalive(resp))


def _absent(req, names, where):
    present = [n for n in names if req.has(n)]
    check(not present, "%s still carries hop-by-hop header(s) %s; head was:\n%s"
          % (where, present, req.raw_head.decode("latin-1")))


@haproxy_differs("HAProxy forwards hop-by-hop headers other than Connection")
def test_hop_by_hop_request_headers_removed(ctx):
    srv = _recording(ctx)
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    eq(c.get("/hop", HOP_REQ).status, 200, "status")
    c.close()
    req = srv.requests[0]
    _absent(req, ["Keep-Alive", "X-Hop-Custom", "TE", "Proxy-Connection"], "request to the backend")
    check("x-hop-custom" not in req.tokens("connection"),
          "Connection header sent to the backend still lists X-Hop-Custom: %r" % req.headers_all("connection"))
    eq(req.header("x-end"), "kept", "end-to-end header X-End")


@haproxy_differs("HAProxy forwards hop-by-hop headers other than Connection")
def test_upgrade_without_connection_token_removed(ctx):
    """Upgrade is hop-by-hop; not listed in Connection it is no upgrade request."""
    srv = _recording(ctx)
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    eq(c.get("/up", [("Upgrade", "foo/1")]).status, 200, "status")
    c.close()
    _absent(srv.requests[0], ["Upgrade"], "request to the backend")


@haproxy_differs("HAProxy forwards hop-by-hop headers other than Connection")
def test_hop_by_hop_response_headers_removed(ctx):
    def resp(req):
        return response_bytes(200, "OK", [("Connection", "keep-alive, X-Resp-Hop"),
                                          ("Keep-Alive", "timeout=5, max=100"),
                                          ("X-Resp-Hop", "1"),
                                          ("Proxy-Connection", "keep-alive"),
                                          ("X-End", "kept")], b"ok\n")
    srv = _recording(ctx, resp)
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    r = c.get("/")
    eq(r.status, 200, "status")
    _absent(r, ["Keep-Alive", "X-Resp-Hop", "Proxy-Connection"], "response to the client")
    extra = [t for t in r.tokens("connection") if t not in ("keep-alive", "close")]
    eq(extra, [], "backend's Connection tokens seen by the client")
    eq(r.header("x-end"), "kept", "end-to-end header X-End")
    eq(c.get("/").status, 200, "second request on the connection")
    c.close()


def test_x_forwarded_for_added(ctx):
    srv = _recording(ctx)
    px = start_simple(ctx, [("s1", srv.port)], fe_extra="option forwardfor")
    c = Client(px.port)
    c.get("/")
    c.close()
    eq(srv.requests[0].headers_all("x-forwarded-for"), ["127.0.0.1"], "X-Forwarded-For seen by the backend")


def test_x_forwarded_for_appended(ctx):
    """HAProxy adds a new header line after the client's; a comma-joined
    single line means the same (RFC 9110 5.3), so both are accepted."""
    srv = _recording(ctx)
    px = start_simple(ctx, [("s1", srv.port)], fe_extra="option forwardfor")
    c = Client(px.port)
    c.get("/", [("X-Forwarded-For", "192.0.2.7")])
    c.close()
    eq(srv.requests[0].tokens("x-forwarded-for"), ["192.0.2.7", "127.0.0.1"],
       "X-Forwarded-For values seen by the backend, in order")


def test_no_x_forwarded_for_without_option(ctx):
    srv = _recording(ctx)
    px = start_simple(ctx, [("s1", srv.port)])
    Client(px.port).get("/")
    check(not srv.requests[0].has("x-forwarded-for"), "X-Forwarded-For added without option forwardfor")


def test_set_and_del_header_rules(ctx):
    def resp(req):
        return response_bytes(200, "OK", [("X-Secret", "s"), ("X-RSet", "old"), ("X-Keep", "k")], b"ok\n")
    srv = _recording(ctx, resp)
    px = start_simple(ctx, [("s1", srv.port)],
                      fe_extra="http-request set-header X-Set hello\nhttp-request del-header X-Del",
                      be_extra="http-response set-header X-RSet world\nhttp-response del-header X-Secret")
    c = Client(px.port)
    r = c.get("/", [("X-Set", "old"), ("X-Set", "older"), ("X-Del", "bye"), ("X-Other", "o")])
    c.close()
    req = srv.requests[0]
    eq(req.headers_all("x-set"), ["hello"], "X-Set seen by the backend (set-header replaces all)")
    eq(req.headers_all("x-del"), [], "X-Del seen by the backend (del-header)")
    eq(req.header("x-other"), "o", "untouched header X-Other")
    eq(r.headers_all("x-rset"), ["world"], "X-RSet seen by the client")
    eq(r.headers_all("x-secret"), [], "X-Secret seen by the client (del-header)")
    eq(r.header("x-keep"), "k", "untouched response header X-Keep")
