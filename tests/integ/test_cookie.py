"""Cookie persistence against real backends: insert (indirect, nocache,
postonly, maxidle, maxlife, preserve), rewrite, prefix, dynamic cookies; a cookie naming a
server that is DOWN or in maintenance, or no server at all (forged), is
balanced as if absent and gets a new cookie.

Each test also runs against Debian's HAProxy 2.6 (PROXY=haproxy), with the
same configuration and the same expectations."""
import socket
import struct

from harness import check, config, eq, free_port, poll_until
from persist_util import cli, get_from, mirror, node, req_header, set_cookie, wait_sock, xxh64

LM = [("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")]   # something a cache could keep


def _two(ctx, cookie, headers=None, be_extra="", global_extra=""):
    a, b = mirror(ctx, "a", headers), mirror(ctx, "b", headers)
    port = free_port()
    cfg = config(port, [("a", a.port, "cookie a"), ("b", b.port, "cookie b")], balance="roundrobin",
                 be_extra="cookie %s\n%s" % (cookie, be_extra), global_extra=global_extra)
    ctx.proxy(cfg)
    return port, a, b


def test_insert_indirect_nocache(ctx):
    sock = ctx.path("admin.sock")
    port, a, b = _two(ctx, "SRV insert indirect nocache", LM, global_extra="stats socket %s level admin" % sock)
    wait_sock(sock)
    r = get_from(port, "127.0.0.2")
    eq(r.status, 200, "first request")
    first = node(r)
    eq(set_cookie(r, "SRV"), "SRV=%s; path=/" % first, "the cookie names the server that answered")
    eq((r.header("cache-control") or "").lower(), "private", "nocache: a cacheable response is made private")
    # with the cookie: always that server, nothing inserted again, the
    # server never sees our cookie (indirect) but sees the others
    for _ in range(6):
        r = get_from(port, "127.0.0.2", headers=[("Cookie", "app=1; SRV=%s; theme=dark" % first)])
        eq(node(r), first, "persistence")
        eq(set_cookie(r, "SRV"), None, "no new cookie for a client that has the right one")
        eq(r.header("cache-control"), None, "nothing to hide from caches then")
        eq(req_header(r, "cookie"), "app=1; theme=dark", "indirect: the server gets the other cookies only")
    # a forged cookie: balanced as if absent, and given a real one
    seen = set()
    for _ in range(4):
        r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=forged")])
        seen.add(node(r))
        eq(set_cookie(r, "SRV"), "SRV=%s; path=/" % node(r), "a forged cookie is replaced")
    eq(seen, {"a", "b"}, "a forged cookie does not stick to anything")
    # the server in maintenance: redispatched, and a new cookie
    eq(cli(sock, "disable server be/%s" % first), "\n", "disable server")
    other = "b" if first == "a" else "a"
    r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=%s" % first)])
    eq(node(r), other, "a cookie naming a server in maintenance goes elsewhere")
    eq(set_cookie(r, "SRV"), "SRV=%s; path=/" % other, "and the client learns its new server")
    cli(sock, "enable server be/%s" % first)
    r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=%s" % first)])
    eq(node(r), first, "back to its server once it is enabled")


def test_insert_no_cache_headers(ctx):
    port, a, b = _two(ctx, "SRV insert nocache")
    r = get_from(port, "127.0.0.2")
    check(set_cookie(r, "SRV"), "inserted")
    eq(r.header("cache-control"), None, "a response no cache would keep gets no Cache-control")
    # without indirect, the server sees the persistence cookie
    r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=%s; x=1" % node(r))])
    eq(req_header(r, "cookie"), "SRV=%s; x=1" % node(r), "insert without indirect: the server sees it all")


def test_insert_postonly_httponly_secure(ctx):
    port, a, b = _two(ctx, "SRV insert postonly httponly secure domain .test.local attr SameSite=Lax")
    r = get_from(port, "127.0.0.2")
    eq(set_cookie(r, "SRV"), None, "postonly: nothing on a GET")
    r = get_from(port, "127.0.0.2", method="POST", body=b"x=1")
    eq(set_cookie(r, "SRV"), "SRV=%s; path=/; domain=.test.local; HttpOnly; Secure; SameSite=Lax" % node(r),
       "postonly on a POST, with the attributes in HAProxy's order")


def test_insert_maxidle(ctx):
    port, a, b = _two(ctx, "SRV insert indirect maxidle 30m maxlife 8h")
    r = get_from(port, "127.0.0.2")
    v = set_cookie(r, "SRV")
    check(v and v.startswith("SRV=%s|" % node(r)), "maxidle: the value carries dates: %r" % v)
    val = v.split(";")[0].split("=", 1)[1]
    eq(len(val), len(node(r)) + 12, "server, then two dates of 5 characters: %r" % val)
    r2 = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=" + val)])
    eq(node(r2), node(r), "a fresh dated cookie sticks")
    # a date from long ago: expired, balanced as if absent, a new cookie
    old = val.split("|")[0] + "|AAAAB|AAAAB"
    r3 = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=" + old)])
    v3 = set_cookie(r3, "SRV")
    check(v3 and v3.startswith("SRV=%s|" % node(r3)), "an expired cookie is replaced: %r" % v3)


def test_rewrite(ctx):
    hdr = [("Set-Cookie", "SRV=app-value; path=/app")]
    port, a, b = _two(ctx, "SRV rewrite", hdr)
    r = get_from(port, "127.0.0.2")
    eq(set_cookie(r, "SRV"), "SRV=%s; path=/app" % node(r), "rewrite: the server's cookie gets the server's value")
    first = node(r)
    for _ in range(4):
        r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=%s" % first)])
        eq(node(r), first, "rewrite: persistence")
        eq(req_header(r, "cookie"), "SRV=%s" % first, "rewrite: the server sees the cookie")


def test_prefix(ctx):
    hdr = [("Set-Cookie", "JSESSIONID=abc123; path=/")]
    port, a, b = _two(ctx, "JSESSIONID prefix", hdr)
    r = get_from(port, "127.0.0.2")
    first = node(r)
    eq(set_cookie(r, "JSESSIONID"), "JSESSIONID=%s~abc123; path=/" % first, "prefix: the server's id in front")
    for _ in range(4):
        r = get_from(port, "127.0.0.2", headers=[("Cookie", "x=1; JSESSIONID=%s~abc123" % first)])
        eq(node(r), first, "prefix: persistence")
        eq(req_header(r, "cookie"), "x=1; JSESSIONID=abc123", "prefix: the server finds its own value")
    # no prefix (a cookie the application set before): balanced, passed as is
    r = get_from(port, "127.0.0.2", headers=[("Cookie", "JSESSIONID=plain")])
    eq(req_header(r, "cookie"), "JSESSIONID=plain", "an unprefixed value passes unchanged")


def test_down_server_redispatch_and_force_persist(ctx):
    a, b = mirror(ctx, "a"), mirror(ctx, "b")
    dead = free_port()   # nothing listens: its checks fail
    port = free_port()
    cfg = config(port, [("a", a.port, "cookie a"), ("b", b.port, "cookie b"),
                        ("c", dead, "cookie c check inter 200 fall 1 rise 1")],
                 be_extra="cookie SRV insert indirect\nforce-persist if { hdr(x-force) yes }",
                 balance="roundrobin")
    sock = ctx.path("admin.sock")
    ctx.proxy(cfg.replace("global\n", "global\n    stats socket %s level admin\n" % sock))
    wait_sock(sock)
    poll_until(lambda: any(l.startswith("be,c,") and ",DOWN," in l for l in cli(sock, "show stat").splitlines()),
               10, "server c marked DOWN")
    for _ in range(4):
        r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=c")])
        check(node(r) in ("a", "b"), "a cookie naming a DOWN server is balanced")
        eq(set_cookie(r, "SRV"), "SRV=%s; path=/" % node(r), "and replaced")
    # force-persist: the DOWN server is tried (and fails: 503)
    r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=c"), ("X-Force", "yes")])
    eq(r.status, 503, "force-persist reaches the DOWN server (nothing listens there)")


def test_dynamic_cookie(ctx):
    a, b = mirror(ctx, "a"), mirror(ctx, "b")
    port = free_port()
    cfg = config(port, [("a", a.port), ("b", b.port)], balance="roundrobin",
                 be_extra="dynamic-cookie-key s3cret\ncookie SRV insert indirect dynamic")
    ctx.proxy(cfg)
    want = {}
    for n, p in (("a", a.port), ("b", b.port)):
        data = b"s3cret" + socket.inet_aton("127.0.0.1") + struct.pack("!I", p)
        want[n] = "%016x" % xxh64(data)
    r = get_from(port, "127.0.0.2")
    eq(set_cookie(r, "SRV"), "SRV=%s; path=/" % want[node(r)],
       "the dynamic cookie is XXH64(key, address, port), as HAProxy makes it")
    for _ in range(3):
        r2 = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=" + want[node(r)])])
        eq(node(r2), node(r), "dynamic cookies stick")


def _date(d):
    """A cookie date (5 base64 characters, 30 bits, units of 4 s)."""
    v = 0
    for c in d:
        v = (v << 6) | "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(c)
    return v


def test_maxlife_old_first_date(ctx):
    """A cookie used a moment ago (fresh last date) but first given long
    ago (old first date) is past maxlife: balanced as if absent, and the
    client gets a new cookie whose first date is today's."""
    port, a, b = _two(ctx, "SRV insert indirect maxidle 30m maxlife 8h")
    r = get_from(port, "127.0.0.2")
    val = set_cookie(r, "SRV").split(";")[0].split("=", 1)[1]
    srv, last, first = val.split("|")
    eq(node(get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=" + val)])), srv, "a fresh cookie sticks")
    seen = set()
    for _ in range(4):
        r = get_from(port, "127.0.0.2", headers=[("Cookie", "SRV=%s|%s|AAAAB" % (srv, last))])
        seen.add(node(r))
        v = set_cookie(r, "SRV")
        check(v and v.startswith("SRV=%s|" % node(r)), "past maxlife: a new cookie: %r" % v)
        got = v.split(";")[0].split("|")[2]
        check(abs(_date(got) - _date(first)) <= 2, "its first date is now (as the first cookie's): %r" % v)
        eq(req_header(r, "cookie"), None, "indirect: the server still does not see it")
    eq(seen, {"a", "b"}, "past maxlife: balanced, not stuck to %s" % srv)
    # maxlife only, no maxidle: the last date does not matter
    port2 = free_port()
    cfg = config(port2, [("a", a.port, "cookie a"), ("b", b.port, "cookie b")], balance="roundrobin",
                 be_extra="cookie SRV insert indirect maxlife 8h")
    ctx.proxy(cfg, name="proxy2")
    eq({node(get_from(port2, "127.0.0.2", headers=[("Cookie", "SRV=a|AAAAB|%s" % first)])) for _ in range(4)},
       {"a"}, "maxlife alone: an old last date with a fresh first date sticks")
    eq({node(get_from(port2, "127.0.0.2", headers=[("Cookie", "SRV=a|%s|AAAAB" % last)])) for _ in range(4)},
       {"a", "b"}, "maxlife alone: an old first date does not")


def test_preserve(ctx):
    """preserve: a persistence cookie the server sets itself (here: an
    expired one at logout, to end persistence) reaches the client as the
    server wrote it; without preserve, insert mode replaces it."""
    logout = "SRV=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/"

    def hdr(req):
        return [("Set-Cookie", logout)] if req.target == "/logout" else []
    port, a, b = _two(ctx, "SRV insert indirect preserve", hdr)
    r = get_from(port, "127.0.0.2")
    first = node(r)
    eq(set_cookie(r, "SRV"), "SRV=%s; path=/" % first, "inserted as usual when the server sets none")
    r = get_from(port, "127.0.0.2", "/logout", [("Cookie", "SRV=%s" % first)])
    eq(node(r), first, "persistence up to the logout")
    eq(r.headers_all("set-cookie"), [logout], "preserve: the server's own cookie, untouched, and nothing else")
    r = get_from(port, "127.0.0.2", "/logout")
    eq(r.headers_all("set-cookie"), [logout], "preserve: also for a client without our cookie")
    # the same without preserve: the server's cookie is replaced by ours
    port2 = free_port()
    cfg = config(port2, [("a", a.port, "cookie a"), ("b", b.port, "cookie b")], balance="roundrobin",
                 be_extra="cookie SRV insert indirect")
    ctx.proxy(cfg, name="proxy2")
    r = get_from(port2, "127.0.0.2", "/logout")
    eq(r.headers_all("set-cookie"), ["SRV=%s; path=/" % node(r)], "without preserve: ours replaces the server's")
    r = get_from(port2, "127.0.0.2", "/logout", [("Cookie", "SRV=%s" % node(r))])
    eq(r.headers_all("set-cookie"), [], "without preserve, indirect: the server's cookie is removed")
