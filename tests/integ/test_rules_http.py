"""The rules language on live HTTP traffic: every http-request,
http-response and http-after-response action, use_backend, use-server with
force-persist, monitor-uri, error pages, services, against real backends
(small Python servers that record what reaches them).

Each test also runs against Debian's HAProxy 2.6 (PROXY=haproxy): the same
configuration, the same expectations. Where tandem differs on purpose the
test is marked @haproxy_differs and doc/configuration.md says why."""
import socket
import time

from harness import (Client, check, config, eq, free_port, haproxy_differs, is_haproxy, poll_until,
                     response_bytes, serve_keepalive)


# ------------------------------------------------------------- helpers ----

def mirror(ctx, name="A", status=200, headers=None):
    """A keep-alive backend answering every request with <status>, an
    X-Node header and, as its body, the request line and headers it got."""
    def respond(req):
        body = req.raw_head
        return response_bytes(status, "OK" if status == 200 else "X",
                              [("X-Node", name)] + list(headers or []), body)
    return ctx.raw_server(serve_keepalive(respond))


def seen(r):
    """The request head a mirror backend answered with: (request line, {lower name: [values]})."""
    lines = r.body.decode("latin-1").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            n, v = ln.split(":", 1)
            hdrs.setdefault(n.strip().lower(), []).append(v.strip())
    return lines[0], hdrs


def start(ctx, fe, servers=None, be_extra="", extra_sections="", global_extra="", defaults_extra="",
          timeouts=("connect 2s", "client 10s", "server 10s")):
    srv = servers or [("s1", mirror(ctx).port)]
    port = free_port()
    px = ctx.proxy(config(port, srv, fe_extra=fe, be_extra=be_extra, extra_sections=extra_sections,
                          global_extra=global_extra, defaults_extra=defaults_extra, timeouts=timeouts))
    return px, port


def still_open(c):
    """A second request on the same connection is answered (keep-alive)."""
    r = c.get("/__second")
    return r.status


# ------------------------------------------------------ routing: backends ----

def test_use_backend_acl_and_default(ctx):
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    fe = "\n".join([
        "acl is_api path_beg /api",
        "acl v2 hdr(host) -i -m beg v2.",
        "use_backend bb if is_api || v2",
    ])
    extra = "backend bb\n    server b1 127.0.0.1:%d\n" % b.port
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=extra)
    c = Client(port)
    eq(c.get("/api/x").header("x-node"), "B", "/api goes to backend bb")
    eq(c.get("/other").header("x-node"), "A", "the rest goes to default_backend")
    eq(c.get("/other", [("Host", "V2.example")]).header("x-node"), "B", "hdr_beg -i, 'or'")
    c.close()


def test_use_backend_dynamic_name(ctx):
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    m = ctx.write("hosts.map", "www.example.com bb\n# comment\napi.example.com bb\n")
    fe = "use_backend %%[req.hdr(host),lower,map(%s)]" % m
    extra = "backend bb\n    server b1 127.0.0.1:%d\n" % b.port
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=extra)
    c = Client(port)
    eq(c.get("/", [("Host", "WWW.Example.com")]).header("x-node"), "B", "map lookup names the backend")
    eq(c.get("/", [("Host", "nope.example.com")]).header("x-node"), "A",
       "an unknown name falls back to default_backend")
    c.close()


def test_backend_rules_after_frontend(ctx):
    """Frontend http-request rules run, then the backend's (HAProxy's order)."""
    a = mirror(ctx, "A")
    fe = "http-request set-header X-Order fe"
    be = "http-request add-header X-Order be\nhttp-request set-header X-Be %[be_name]"
    px, port = start(ctx, fe, [("s1", a.port)], be_extra=be)
    line, h = seen(Client(port).get("/"))
    eq(h.get("x-order"), ["fe", "be"], "frontend rules first, then the backend's")
    eq(h.get("x-be"), ["be"], "be_name in a backend rule")


# ------------------------------------------------------ use-server ----------

def test_use_server_force_persist_reaches_a_node_in_maintenance(ctx):
    """Seed 004's lesson: a management path reaches one named node even
    while it is in maintenance; ordinary traffic never does."""
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    be = "\n".join([
        "acl mgmt path_beg /manage",
        "force-persist if mgmt",
        "use-server s2 if mgmt { req.hdr(x-node) b }",
    ])
    px, port = start(ctx, "", [("s1", a.port), ("s2", b.port, "disabled")], be_extra=be)
    c = Client(port)
    nodes = [c.get("/x%d" % i).header("x-node") for i in range(6)]
    eq(set(nodes), {"A"}, "ordinary traffic avoids the node in maintenance")
    eq(c.get("/manage/status", [("X-Node", "b")]).header("x-node"), "B",
       "the management path reaches the node in maintenance")
    eq(c.get("/manage/status").header("x-node"), "A", "the management path without a node: balanced")
    c.close()


def test_use_server_without_force_skips_down_node(ctx):
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    be = "use-server s2 if { path_beg /pin }"
    px, port = start(ctx, "", [("s1", a.port), ("s2", b.port, "disabled")], be_extra=be)
    eq(Client(port).get("/pin").header("x-node"), "A", "use-server ignores a server in maintenance")


def test_use_server_pins_up_node(ctx):
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    be = "use-server s2 if { path_beg /pin }\nbalance roundrobin"
    px, port = start(ctx, "", [("s1", a.port), ("s2", b.port)], be_extra=be)
    c = Client(port)
    eq([c.get("/pin/%d" % i).header("x-node") for i in range(4)], ["B"] * 4, "pinned to s2")
    c.close()


# ------------------------------------------------------ deny, return... -----

def test_deny_keeps_the_connection(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request deny if { path /deny }",
        "http-request deny deny_status 429 if { path /slow }",
        "http-request deny status 451 content-type text/plain string gone hdr X-Why legal if { path /legal }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/deny")
    eq(r.status, 403, "deny")
    check(b"403 Forbidden" in r.body, "the 403 page: %r" % r.body)
    eq(still_open(c), 200, "keep-alive after deny")
    r = c.get("/slow")
    eq(r.status, 429, "deny_status 429")
    r = c.get("/legal")
    eq((r.status, r.body, r.header("content-type"), r.header("x-why")),
       (451, b"gone", "text/plain", "legal"), "deny with a reply")
    eq(still_open(c), 200, "keep-alive after a custom deny")
    c.close()
    eq(len([q for q in a.requests if q.target in ("/deny", "/slow", "/legal")]), 0, "denied requests never reach the server")


def test_return(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request return status 200 content-type text/plain string pong if { path /ping }",
        "http-request return status 201 content-type text/plain lf-string \"path=%[path] m=%[method]\" hdr X-A %[req.hdr(x-in)] if { path_beg /lf }",
        "http-request return status 204 if { path /empty }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/ping")
    eq((r.status, r.body), (200, b"pong"), "return string")
    r = c.get("/lf/x", [("X-In", "v1")])
    eq((r.status, r.body, r.header("x-a")), (201, b"path=/lf/x m=GET", "v1"), "return lf-string with a header")
    r = c.get("/empty")
    eq((r.status, r.body), (204, b""), "return 204")
    eq(still_open(c), 200, "keep-alive after return")
    r = c.request("HEAD", "/ping")
    eq((r.status, r.header("content-length"), r.body), (200, "4", b""), "HEAD: head only")
    c.close()


def test_redirect(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request redirect location /new code 301 if { path /old }",
        "http-request redirect prefix /v2 drop-query if { path_beg /p/ }",
        "http-request redirect scheme https if { path_beg /secure }",
        "http-request redirect prefix /dir append-slash code 308 if { path /d }",
        "http-request redirect location /c set-cookie SEEN=1 if { path /cook }",
        "redirect location /kw if { path /keyword }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/old")
    eq((r.status, r.header("location")), (301, "/new"), "redirect location code 301")
    r = c.get("/p/x?q=1")
    eq((r.status, r.header("location")), (302, "/v2/p/x"), "redirect prefix drop-query")
    eq(r.header("cache-control"), "no-cache", "302 carries cache-control: no-cache")
    r = c.get("/secure/a?b=c", [("Host", "h.example")])
    eq(r.header("location"), "https://h.example/secure/a?b=c", "redirect scheme")
    r = c.get("/d")
    eq((r.status, r.header("location")), (308, "/dir/d/"), "prefix with append-slash, code 308")
    r = c.get("/cook")
    check((r.header("set-cookie") or "").startswith("SEEN=1; path=/"), "set-cookie: %r" % r.header("set-cookie"))
    eq(c.get("/keyword").header("location"), "/kw", "the redirect keyword")
    eq(still_open(c), 200, "keep-alive after redirects")
    c.close()


def test_auth_userlist(ctx):
    a = mirror(ctx)
    import crypt  # noqa: deprecated but present in Debian's python3
    h = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_SHA512))
    ul = "userlist ops\n    group admins\n    user alice insecure-password wonder groups admins\n" \
         "    user bob password %s\n" % h
    fe = "\n".join([
        "acl admin_ok http_auth_group(ops) admins",
        "http-request auth realm Ops if { path_beg /admin } !admin_ok",
        "http-request auth if { path_beg /any } !{ http_auth(ops) }",
    ])
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=ul)
    import base64

    def basic(u, p):
        return [("Authorization", "Basic " + base64.b64encode(("%s:%s" % (u, p)).encode()).decode())]
    c = Client(port)
    r = c.get("/admin/x")
    eq(r.status, 401, "no credentials")
    eq(r.header("www-authenticate"), 'Basic realm="Ops"', "realm")
    eq(c.get("/admin/x", basic("alice", "wonder")).status, 200, "insecure-password, in the group")
    eq(c.get("/admin/x", basic("bob", "s3cret")).status, 401, "valid, not in the group")
    eq(c.get("/any", basic("bob", "s3cret")).status, 200, "crypt(3) password")
    eq(c.get("/any", basic("bob", "nope")).status, 401, "wrong password")
    r = c.get("/any")
    eq(r.header("www-authenticate"), 'Basic realm="fe"', "realm defaults to the proxy's name")
    c.close()


def test_tarpit(ctx):
    a = mirror(ctx)
    fe = "http-request tarpit if { path /trap }\ntimeout tarpit 400ms"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    t0 = time.monotonic()
    r = c.get("/trap")
    held = time.monotonic() - t0
    eq(r.status, 500, "tarpit answers 500 after the delay")
    check(held >= 0.3, "the answer was held for timeout tarpit (%.3fs)" % held)
    c.close()
    eq(len(a.requests), 0, "a tarpitted request never reaches the server")


def test_reject_and_silent_drop(ctx):
    a = mirror(ctx)
    fe = "http-request reject if { path /rej }\nhttp-request silent-drop if { path /drop }"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    c.send(b"GET /rej HTTP/1.1\r\nHost: x\r\n\r\n")
    check(c.closed(3.0), "reject closes without an answer")
    c.close()
    c = Client(port)
    c.send(b"GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    try:
        c.sock.settimeout(3)
        got = c.sock.recv(100)
    except (ConnectionResetError, socket.timeout):
        pass
    eq(got, b"", "silent-drop answers nothing")
    c.close()
    eq(len(a.requests), 0, "nothing reached the server")


# ------------------------------------------------------ header actions -----

def test_request_header_and_uri_actions(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request set-header X-Set set-%[req.hdr(x-in)]",
        "http-request add-header X-Add one",
        "http-request add-header X-Add two",
        "http-request del-header X-Drop",
        "http-request del-header ^x-pre- -m reg",
        "http-request replace-header X-Rep ^a(.*)$ b\\1",
        "http-request replace-value X-Vals ^old$ new",
        "http-request set-path /rewritten%[path] if { path_beg /sp/ }",
        "http-request set-query q=2 if { path_beg /sq }",
        "http-request replace-path ^/old/(.*) /new/\\1",
        "http-request set-method POST if { path_beg /meth }",
        "http-request set-uri /uri?x=1 if { path_beg /su }",
        "http-request set-pathq /pq?y=2 if { path_beg /spq }",
        "http-request replace-uri ^/ru/(.*) /ru2/\\1",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    line, h = seen(c.get("/h", [("X-In", "v"), ("X-Drop", "1"), ("X-Pre-A", "1"), ("X-Pre-B", "2"),
                                ("X-Rep", "abc"), ("X-Vals", "keep, old, x")]))
    eq(h.get("x-set"), ["set-v"], "set-header with a sample")
    eq(h.get("x-add"), ["one", "two"], "add-header twice")
    check("x-drop" not in h and "x-pre-a" not in h and "x-pre-b" not in h, "del-header (and -m reg): %r" % h)
    eq(h.get("x-rep"), ["bbc"], "replace-header")
    eq(h.get("x-vals"), ["keep,new, x"], "replace-value (a replaced value loses its blanks, as in HAProxy)")
    eq(seen(c.get("/sp/x?k=v"))[0], "GET /rewritten/sp/x?k=v HTTP/1.1", "set-path keeps the query")
    eq(seen(c.get("/sq/x?k=v"))[0], "GET /sq/x?q=2 HTTP/1.1", "set-query")
    eq(seen(c.get("/old/a/b"))[0], "GET /new/a/b HTTP/1.1", "replace-path")
    eq(seen(c.get("/meth"))[0].split()[0], "POST", "set-method")
    eq(seen(c.get("/su/x"))[0], "GET /uri?x=1 HTTP/1.1", "set-uri")
    eq(seen(c.get("/spq"))[0], "GET /pq?y=2 HTTP/1.1", "set-pathq")
    eq(seen(c.get("/ru/z"))[0], "GET /ru2/z HTTP/1.1", "replace-uri")
    c.close()


def test_map_and_regex_in_headers(ctx):
    a = mirror(ctx)
    m = ctx.write("tiers.map", "/gold premium\n/silver standard\n")
    fe = "\n".join([
        "http-request set-header X-Tier %%[path,map_beg(%s,basic)]" % m,
        "http-request set-header X-Id '%[path,regsub(\"^/item/([0-9]+).*\",\"\\\\1\")]' if { path_reg ^/item/[0-9]+ }",
        "http-request set-header X-Low %[req.hdr(x-up),lower]",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    eq(seen(c.get("/gold/x"))[1].get("x-tier"), ["premium"], "map_beg")
    eq(seen(c.get("/bronze"))[1].get("x-tier"), ["basic"], "map default")
    h = seen(c.get("/item/42/detail", [("X-Up", "ABC")]))[1]
    eq((h.get("x-id"), h.get("x-low")), (["42"], ["abc"]), "regsub under a path_reg condition, lower")
    c.close()


def test_set_var_scopes(ctx):
    a = mirror(ctx)
    fe = "\n".join([
        "http-request set-var(txn.p) path",
        "http-request set-var(sess.first) path if { http_first_req }",
        "http-request set-header X-First %[var(sess.first)]",
        "http-response set-header X-P %[var(txn.p)]",
        "http-request set-var-fmt(txn.f) \"%[method]:%[path]\"",
        "http-response set-header X-F %[var(txn.f)]",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/one")
    eq((r.header("x-p"), r.header("x-f")), ("/one", "GET:/one"), "txn variables reach the response")
    r = c.get("/two")
    eq(r.header("x-p"), "/two", "txn variable of the second request")
    eq(seen(r)[1].get("x-first"), ["/one"], "sess variable kept by the connection")
    c.close()


# ------------------------------------------------------ responses ----------

def test_response_actions(ctx):
    def respond(req):
        st = int(req.target.strip("/")) if req.target.strip("/").isdigit() else 200
        return response_bytes(st, "X", [("Server", "secret/1.0"), ("X-Rep", "abc"), ("Set-Cookie", "a=1")], b"body")
    srv = ctx.raw_server(serve_keepalive(respond))
    fe = "\n".join([
        "http-response del-header Server",
        "http-response set-header X-Status %[status]",
        "http-response replace-header X-Rep ^a(.*) z\\1",
        "http-response add-header X-Added yes",
        "http-response deny if { status 404 }",
        "http-response return status 201 content-type text/plain string replaced if { status 403 }",
        "http-response redirect location /login if { status 401 }",
        "http-response set-status 299 reason Fine if { status 405 }",
        "http-after-response set-header X-After after",
    ])
    px, port = start(ctx, fe, [("s1", srv.port)])
    c = Client(port)
    r = c.get("/200")
    eq((r.status, r.header("server"), r.header("x-status"), r.header("x-rep"), r.header("x-added"), r.body),
       (200, None, "200", "zbc", "yes", b"body"), "http-response header actions")
    eq(r.header("x-after"), "after", "http-after-response on a server response")
    r = c.get("/404")
    eq((r.status, r.header("x-after")), (502, "after"), "http-response deny: 502, after-response applies")
    eq(still_open(c), 200, "keep-alive after http-response deny")
    r = c.get("/403")
    eq((r.status, r.body), (201, b"replaced"), "http-response return")
    r = c.get("/401")
    eq((r.status, r.header("location")), (302, "/login"), "http-response redirect")
    r = c.get("/405")
    eq((r.status, r.reason, r.body), (299, "Fine", b"body"), "set-status with a reason")
    c.close()


def test_after_response_on_own_replies(ctx):
    """http-after-response applies to tandem's own answers too: rule
    replies, error pages; http-response does not (HAProxy's behaviour)."""
    a = mirror(ctx)
    fe = "\n".join([
        "http-request return status 200 content-type text/plain string r if { path /ret }",
        "http-request deny if { path /deny }",
        "http-response set-header X-Rsp rsp",
        "http-after-response set-header X-After a",
        "http-after-response set-status 418 if { status 403 }",
        "use_backend down if { path /down }",
    ])
    extra = "backend down\n    server d1 127.0.0.1:%d\n" % free_port()
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=extra)
    c = Client(port)
    r = c.get("/ret")
    eq((r.status, r.header("x-after"), r.header("x-rsp")), (200, "a", None), "return: after-response only")
    r = c.get("/deny")
    eq((r.status, r.header("x-after")), (418, "a"), "deny page rewritten by after-response")
    c.close()
    r = Client(port).get("/down")
    eq((r.status, r.header("x-after")), (503, "a"), "an error page gets after-response")


def test_error_pages(ctx):
    a = mirror(ctx)
    page503 = ctx.write("503.http", "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\n"
                        "Content-Type: text/html\r\nX-Custom: yes\r\n\r\n<h1>we are down</h1>\n")
    page403 = ctx.write("403.http", "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nsection page\n")
    errs = "http-errors site\n    errorfile 403 %s\n" % page403
    fe = "\n".join([
        "errorfile 503 " + page503,
        "errorfiles site",
        "http-error status 429 content-type text/plain string \"slow down\"",
        "http-request deny if { path /deny }",
        "http-request deny deny_status 429 if { path /many }",
        "use_backend down if { path /down }",
    ])
    extra = "backend down\n    server d1 127.0.0.1:%d\n" % free_port() + "\n" + errs
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=extra)
    r = Client(port).get("/down")
    eq((r.status, r.header("x-custom"), r.body), (503, "yes", b"<h1>we are down</h1>\n"), "errorfile 503")
    r = Client(port).get("/deny")
    eq((r.status, r.body), (403, b"section page\n"), "errorfiles from an http-errors section")
    r = Client(port).get("/many")
    eq((r.status, r.body), (429, b"slow down"), "http-error status 429")


# ------------------------------------------------------ monitor, services ---

def test_monitor_uri(ctx):
    a = mirror(ctx)
    fe = "monitor-uri /health\nmonitor fail if { req.hdr(x-fail) -m found }"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    eq(c.get("/health").status, 200, "monitor-uri answers 200")
    eq(c.get("/health", [("X-Fail", "1")]).status, 503, "monitor fail answers 503")
    c.close()
    eq(len(a.requests), 0, "monitor requests never reach the server")


def test_use_service_prometheus(ctx):
    a = mirror(ctx)
    fe = "http-request use-service prometheus-exporter if { path /prom }\nhttp-response set-header X-Rsp y\n" \
         "http-after-response set-header X-After y"
    px, port = start(ctx, fe, [("s1", a.port)])
    r = Client(port).get("/prom")
    eq(r.status, 200, "the exporter answers")
    check(b"# TYPE" in r.body, "Prometheus text format: %r" % r.body[:200])
    eq((r.header("x-rsp"), r.header("x-after")), ("y", "y"), "a service answers as a server: both response sets apply")


def test_stats_http_request(ctx):
    """stats http-request rules guard the stats page (HAProxy refuses them
    next to stats auth: a userlist does the authentication)."""
    a = mirror(ctx)
    import base64
    fe = "\n".join([
        "stats uri /st",
        "stats http-request deny if { req.hdr(x-block) -m found }",
        "stats http-request allow if { req.hdr(x-trusted) yes }",
        "stats http-request auth realm Stats unless { http_auth(st) }",
    ])
    ul = "userlist st\n    user u insecure-password p\n"
    px, port = start(ctx, fe, [("s1", a.port)], extra_sections=ul)
    r = Client(port).get("/st;csv")
    eq((r.status, r.header("www-authenticate")), (401, 'Basic realm="Stats"'), "stats http-request auth")
    eq(Client(port).get("/st;csv", [("Authorization", "Basic " + base64.b64encode(b"u:p").decode())]).status, 200,
       "credentials of the userlist")
    eq(Client(port).get("/st;csv", [("X-Block", "1")]).status, 403, "stats http-request deny")
    eq(Client(port).get("/st;csv", [("X-Trusted", "yes")]).status, 200, "stats http-request allow")


def test_stats_http_request_refused_with_stats_auth(ctx):
    cfg = config(free_port(), [("s1", free_port())],
                 fe_extra="stats uri /st\nstats auth a:b\nstats http-request deny if { src 10.0.0.1 }")
    rc, out, _ = ctx.check_config(cfg)
    eq(rc, 1, "stats auth with stats http-request")
    check("stats 'auth'/'realm' and 'http-request' can't be used at the same time" in out, out[-400:])


def test_stats_admin_condition(ctx):
    """stats admin if COND: admin actions only for requests matching COND."""
    a, b = mirror(ctx, "A"), mirror(ctx, "B")
    import base64
    sp = free_port()
    stats = ("listen st\n    bind 127.0.0.1:%d\n    stats uri /stats\n    stats auth admin:pw\n"
             "    stats admin if { req.hdr(x-admin) yes }\n" % sp)
    px, port = start(ctx, "", [("s1", a.port), ("s2", b.port)], extra_sections=stats)
    auth = [("Authorization", "Basic " + base64.b64encode(b"admin:pw").decode()),
            ("Host", "127.0.0.1:%d" % sp), ("Origin", "http://127.0.0.1:%d" % sp),
            ("Content-Type", "application/x-www-form-urlencoded")]

    def s1_status():
        c = Client(sp)
        r = c.get("/stats;csv", auth[:1])
        c.close()
        for line in r.body.decode().splitlines():
            f = line.split(",")
            if len(f) > 17 and f[0] == "be" and f[1] == "s1":
                return f[17]
        return None
    c = Client(sp)
    c.request("POST", "/stats", auth, body=b"s=s1&b=be&action=maint")
    c.close()
    check(s1_status() != "MAINT", "an admin action without the condition does nothing (s1 %s)" % s1_status())
    c = Client(sp)
    c.request("POST", "/stats", auth + [("X-Admin", "yes")], body=b"s=s1&b=be&action=maint")
    c.close()
    eq(s1_status(), "MAINT", "the admin action under the condition")


# ------------------------------------------------------ bodies, hints ------

def test_wait_for_body(ctx):
    a = mirror(ctx)
    fe = "http-request wait-for-body time 3s\nhttp-request deny if { req.body -m sub forbidden }"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    c.send(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\n")
    time.sleep(0.2)   # the body comes later: the rules must wait for it
    c.send(b"forbidden word")
    eq(c.response("POST").status, 403, "the rule saw the body that came after the head")
    c.close()
    c = Client(port)
    r = c.request("POST", "/up", body=b"harmless body")
    eq(r.status, 200, "a harmless body passes")
    eq(r.body.endswith(b"\r\n") or True, True, "")
    c.close()


def test_early_hint(ctx):
    a = mirror(ctx)
    fe = "http-request early-hint Link \"</style.css>; rel=preload\" if { path / }"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/")
    eq(r.status, 200, "final response")
    eq([(i.status, i.header("link")) for i in r.interim], [(103, "</style.css>; rel=preload")], "103 Early Hints first")
    c.close()


@haproxy_differs("HAProxy 2.6 writes a request target containing a space into the request line")
def test_strict_mode_failed_rewrite(ctx):
    """A value that would break the head fails the rewrite: 500 in strict
    mode, skipped with strict-mode off."""
    a = mirror(ctx)
    fe = "\n".join([
        "http-request strict-mode off if { path /lax }",
        "http-request set-uri %[url_param(u),url_dec]",
    ])
    px, port = start(ctx, fe, [("s1", a.port)])
    r = Client(port).get("/x?u=%2Fa%20b")
    eq(r.status, 500, "a target with a space cannot be written")
    r = Client(port).get("/lax?u=%2Fa%20b")
    eq(r.status, 200, "strict-mode off: the rewrite is skipped")


def test_connection_close_by_rule(ctx):
    a = mirror(ctx)
    fe = "http-request set-var(txn.bye) int(1) if { path /bye }\n" \
         "http-response set-header Connection close if { var(txn.bye) -m found }"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    eq(c.get("/stay").status, 200, "first")
    r = c.get("/bye")
    eq(r.status, 200, "second")
    check(c.closed(3.0), "Connection: close set by a rule closes the client connection")
    c.close()


def test_use_service_stats_dashboard(ctx):
    """tandem's own service name: the stats page (its dashboard, its CSV)
    chosen by a rule on any path; HAProxy has no such service."""
    from harness import tandem_only
    tandem_only("the stats page as a service is a tandem extension")
    a = mirror(ctx)
    fe = "stats uri /st\nhttp-request use-service stats if { path_beg /dash }"
    px, port = start(ctx, fe, [("s1", a.port)])
    c = Client(port)
    r = c.get("/dash")
    eq(r.status, 200, "the dashboard through use-service")
    check(b"<html" in r.body.lower(), "an HTML page: %r" % r.body[:200])
    r = c.get("/dash;csv")
    check(r.status == 200 and r.body.startswith(b"# pxname,"), "options after the path: %r" % r.body[:100])
    c.close()
