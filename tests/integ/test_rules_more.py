"""Rules that had no black-box test: ignore-persist with a cookie-persisted
backend, `http-request allow` ending the request rules, `unset-var`,
replies from `file` and `lf-file`, http-after-response header edits and
variables, `http-response set-var`, the live values of `be_conn`, `queue`,
`srv_is_up` and `nbsrv`, and the `@0` version form of the map commands.

Each also runs against Debian's HAProxy 2.6 (PROXY=haproxy) with the same
expectations."""
import re
import socket
import threading

from harness import Client, check, config, eq, free_port, poll_until, response_bytes, serve_keepalive
from test_admin import cli


def mirror(ctx, name="A", headers=None, gate=None):
    """A keep-alive backend answering with X-Node, <headers> and, as its
    body, the request head it got. With <gate> (a threading.Event), a
    request for /hold is answered only once the gate opens."""
    def respond(req):
        if gate is not None and req.raw_head.startswith(b"GET /hold"):
            gate.wait(20)
        return response_bytes(200, "OK", [("X-Node", name)] + list(headers or []), req.raw_head)
    return ctx.raw_server(serve_keepalive(respond))


def seen(r):
    hdrs = {}
    for ln in r.body.decode("latin-1").split("\r\n")[1:]:
        if ":" in ln:
            n, v = ln.split(":", 1)
            hdrs.setdefault(n.strip().lower(), []).append(v.strip())
    return hdrs


def start(ctx, fe, servers, be_extra="", extra_sections="", global_extra=""):
    port = free_port()
    px = ctx.proxy(config(port, servers, fe_extra=fe, be_extra=be_extra, extra_sections=extra_sections,
                          global_extra=global_extra))
    return px, port


def test_ignore_persist_with_cookie(ctx):
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    be = "balance roundrobin\ncookie SRV insert indirect nocache\nignore-persist if { path_beg /static }"
    px, port = start(ctx, "", [("s1", a.port, "cookie a"), ("s2", b.port, "cookie b")], be_extra=be)
    c = Client(port)
    r = c.get("/x")
    m = re.match(r"SRV=([ab]);", r.header("set-cookie") or "")
    check(m, "the first answer sets the persistence cookie: %r" % r.header("set-cookie"))
    node = {"a": "A", "b": "B"}[m.group(1)]
    for i in range(4):
        eq(c.get("/x", [("Cookie", "SRV=" + m.group(1))]).header("x-node"), node, "persisted request %d" % i)
    nodes = set()
    for i in range(4):
        r = c.get("/static/i.png", [("Cookie", "SRV=" + m.group(1))])
        nodes.add(r.header("x-node"))
    eq(nodes, {"A", "B"}, "ignore-persist: the cookie is ignored, round robin applies")
    c.close()


def test_http_request_allow_ends_the_rules(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request set-header X-Before 1",
        "http-request allow if { path_beg /ok }",
        "http-request set-header X-After 1",
        "http-request deny if { path_beg /deny }",
        "http-request allow if { path_beg /deny-ok }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/ok/x")
    eq(r.status, 200, "allowed")
    h = seen(r)
    eq(h.get("x-before"), ["1"], "the rule before allow ran")
    check("x-after" not in h, "allow ends the http-request rules: X-After not set (%r)" % h.get("x-after"))
    r = c.get("/other")
    eq(seen(r).get("x-after"), ["1"], "without allow, the next rules run")
    eq(c.get("/deny-ok").status, 403, "a deny before the allow wins (rules run in order)")
    c.close()


def test_unset_var(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request set-var(txn.v) str(hello)",
        "http-request set-var(sess.s) str(kept)",
        "http-request unset-var(txn.v) if { path /unset }",
        "http-request set-header X-V %[var(txn.v)]",
        "http-request set-header X-Set %[var(txn.v),length] if { var(txn.v) -m found }",
        "http-request set-header X-Unset 1 unless { var(txn.v) -m found }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    h = seen(c.get("/keep"))
    eq(h.get("x-v"), ["hello"], "the variable is set")
    eq(h.get("x-set"), ["5"], "found")
    h = seen(c.get("/unset"))
    eq(h.get("x-v", [""]), [""], "unset-var: the variable is gone (empty value)")
    eq(h.get("x-unset"), ["1"], "unset-var: var() -m found is false")
    check("x-set" not in h, "unset-var: no X-Set")
    c.close()


def test_return_file_and_lf_file(ctx):
    a = mirror(ctx)
    f = ctx.write("plain.txt", "static body %[path]\n")
    lf = ctx.write("lf.txt", "path=%[path] method=%[method] fe=%f\n")
    fe = "\n".join([
        "http-request return status 200 content-type text/plain file %s if { path_beg /file }" % f,
        "http-request return status 201 content-type text/plain lf-file %s hdr X-R %%[path] if { path_beg /lf }" % lf,
        "http-request deny deny_status 403 content-type text/plain lf-file %s if { path_beg /deny }" % lf,
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/file")
    eq((r.status, r.header("content-type"), r.body), (200, "text/plain", b"static body %[path]\n"),
       "file: the bytes as they are")
    r = c.get("/lf/x")
    eq((r.status, r.header("x-r"), r.body), (201, "/lf/x", b"path=/lf/x method=GET fe=fe\n"),
       "lf-file: a log-format template")
    r = c.get("/deny/y")
    eq((r.status, r.body), (403, b"path=/deny/y method=GET fe=fe\n"), "deny with lf-file")
    eq(c.get("/other").header("x-node"), "A", "the connection stays usable")
    c.close()


def test_after_response_and_response_set_var(ctx):
    a = mirror(ctx, headers=[("X-Del", "x"), ("X-Rep", "val-old"), ("X-Keep", "k")])
    fe = "\n".join([
        "http-response set-var(txn.st) status",
        "http-response set-var(res.srvhdr) res.hdr(x-keep)",
        "http-response set-header X-St %[var(txn.st)]",
        "http-response set-header X-Res %[var(res.srvhdr)]",
        "http-after-response add-header X-Add a",
        "http-after-response add-header X-Add b",
        "http-after-response del-header X-Del",
        "http-after-response replace-header X-Rep (.*)-old \\1-new",
        "http-after-response set-var(txn.after) str(done)",
        "http-after-response set-header X-After-Var %[var(txn.after)]",
        "http-after-response set-header X-St2 %[var(txn.st)]",
        "http-request return status 404 content-type text/plain string nope if { path /own }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/")
    eq(r.status, 200, "from the server")
    eq(r.header("x-st"), "200", "http-response set-var(txn.st) status")
    eq(r.header("x-res"), "k", "http-response set-var(res.*) from a response header")
    eq(r.headers_all("x-add"),
       ["a", "b"], "http-after-response add-header (twice)")
    eq(r.header("x-del"), None, "http-after-response del-header")
    eq(r.header("x-rep"), "val-new", "http-after-response replace-header")
    eq(r.header("x-keep"), "k", "other headers untouched")
    eq(r.header("x-after-var"), "done", "http-after-response set-var")
    eq(r.header("x-st2"), "200", "a txn variable set by http-response, read after")
    r = c.get("/own")
    eq(r.status, 404, "tandem's own reply")
    eq([v for n, v in r.headers if n.lower() == "x-add"], ["a", "b"], "http-after-response on own replies")
    eq(r.header("x-after-var"), "done", "set-var on own replies")
    check(r.header("x-st2") in (None, ""), "no http-response ran for it: %r" % r.header("x-st2"))
    c.close()


def test_backend_state_fetches(ctx):
    gate = threading.Event()
    a, slow = mirror(ctx, "A"), mirror(ctx, "S", gate=gate)
    dead = free_port()   # nothing listens: its health check fails
    fe = "\n".join([
        "use_backend slow if { path_beg /hold }",
        "http-request return status 200 content-type text/plain "
        "lf-string \"nbsrv=%[nbsrv(pool)] up1=%[srv_is_up(pool/p1)] up2=%[srv_is_up(pool/p2)] "
        "be_conn=%[be_conn(slow)] queue=%[queue(slow)]\" if { path /state }",
    ])
    extra = ("backend pool\n    server p1 127.0.0.1:%d check inter 100 fall 1 rise 1\n"
             "    server p2 127.0.0.1:%d check inter 100 fall 1 rise 1\n"
             "backend slow\n    server s1 127.0.0.1:%d maxconn 1\n" % (a.port, dead, slow.port))
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=extra)
    c = Client(port)

    def state():
        return c.get("/state").body.decode()

    poll_until(lambda: state() == "nbsrv=1 up1=1 up2=0 be_conn=0 queue=0", 10,
               "p2 marked down by its check: nbsrv(pool) 1, srv_is_up 1/0, an idle backend: 0 connections")
    holders = []
    try:
        for i in range(2):
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
            s.sendall(b"GET /hold/%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            holders.append(s)
        last = [None]

        def held():
            last[0] = state()
            return last[0] if "be_conn=2 queue=1" in last[0] else None
        try:
            got = poll_until(held, 10, "two requests held on 'slow' (maxconn 1): be_conn 2, one of them queued")
        except Exception:
            ctx.note("last state: %r" % last[0])
            raise
        check(got.startswith("nbsrv=1 up1=1 up2=0"), "the other values stay: %r" % got)
    finally:
        gate.set()
        for s in holders:
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
    poll_until(lambda: "be_conn=0 queue=0" in state(), 10, "the held requests are done: back to 0")
    c.close()


def test_map_commands_version_zero(ctx):
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    m = ctx.write("hosts.map", "www.example.com bb\n")
    sock = ctx.path("admin.sock")
    fe = "use_backend %%[req.hdr(host),lower,map(%s)]" % m
    extra = "backend bb\n    server b1 127.0.0.1:%d\n" % b.port
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=extra,
                     global_extra="stats socket %s level admin" % sock)
    poll_until(lambda: cli(sock, "show map").startswith("# id"), 10, "the stats socket answers")
    c = Client(port)
    eq(c.get("/", [("Host", "api.example.com")]).header("x-node"), "A", "not in the map yet")
    eq(cli(sock, "add map @0 %s api.example.com bb" % m), "\n", "add map @0: into the current version")
    eq(c.get("/", [("Host", "api.example.com")]).header("x-node"), "B", "the entry added to @0 is used at once")
    out = cli(sock, "show map @0 %s" % m)
    check("api.example.com bb" in out and "www.example.com bb" in out, "show map @0: the current entries: %r" % out)
    eq(cli(sock, "show map @1 %s" % m), "\n", "show map @1: a version that does not exist shows nothing")
    c.close()


def test_backend_fetch_without_backend_in_a_frontend_is_refused(ctx):
    """nbsrv, be_conn, queue without a name read the proxy the rule is in:
    a frontend has no servers, HAProxy refuses the configuration."""
    cfg = config(free_port(), [("s1", free_port())],
                 fe_extra="http-request set-header X-N %[nbsrv]")
    rc, out, _ = ctx.check_config(cfg)
    check(rc != 0, "refused (exit %s)" % rc)
    check("referenced in arg 1 of sample fetch keyword 'nbsrv'" in out and "has not backend capability" in out,
          "HAProxy's reason: %s" % out[-600:])
