"""Stick rules and stored counters against real backends: `stick match`,
`stick store-request`, `stick store-response` (a response header, a
response cookie); `tcp-request content track-sc0/1/2` in an HTTP and in a
TCP frontend with a limit that triggers at the exact count; the stored
rates and counters (conn_rate, sess_rate, http_err_rate, bytes_in_cnt,
bytes_out_cnt, gpc1) read back with `show table` and with the fetches
(src_conn_rate, table_cnt, table_avl); live expiry of an entry.

Each test also runs against Debian's HAProxy 2.6 (PROXY=haproxy) with the
same configuration and expectations."""
import re
import socket

from harness import Deadline, check, config, eq, free_port, poll_until, response_bytes, serve_keepalive
from persist_util import cli, get_from, mirror, node, status_from, wait_sock
from test_rules_tcp import tcp_cfg, tcp_node
from test_stick import _entries


def _sock(ctx):
    return ctx.path("admin.sock"), "stats socket %s level admin" % ctx.path("admin.sock")


def exchange_from(port, src, data, timeout=5.0):
    """Connect from <src>, send <data>, read until the proxy closes: the
    bytes received (b"" when rejected)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0))
    out = b""
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out


def _with_sock(cfg, sline):
    return cfg.replace("global\n", "global\n    %s\n" % sline, 1)


# ---------------------------------------------------------------- stick --

def test_stick_store_response_header(ctx):
    """The server hands out a session id in a response header; the next
    requests carrying it in a request header go to that server."""
    count = {"n": 0}

    def sess(name):
        def h(req):
            if req.target.startswith("/login"):
                count["n"] += 1
                return [("X-Session", "%s-%d" % (name, count["n"]))]
            return []
        return h
    a, b = mirror(ctx, "a", sess("a")), mirror(ctx, "b", sess("b"))
    sock, sline = _sock(ctx)
    port = free_port()
    be = """stick-table type string len 32 size 1k expire 5m
stick store-response res.hdr(X-Session)
stick match req.hdr(X-Session)"""
    ctx.proxy(config(port, [("a", a.port), ("b", b.port)], balance="roundrobin", be_extra=be, global_extra=sline))
    wait_sock(sock)
    sessions = {}
    for _ in range(4):
        r = get_from(port, "127.0.0.2", "/login")
        sessions[r.header("x-session")] = node(r)
    eq(sorted(sessions.values()), ["a", "a", "b", "b"], "round robin hands out the logins")
    e = _entries(sock, "be")
    eq({k: v["server_id"] for k, v in e.items()}, {k: "1" if n == "a" else "2" for k, n in sessions.items()},
       "store-response keeps each session id with its server's id")
    for _ in range(3):
        for sid, n in sessions.items():
            eq(node(get_from(port, "127.0.0.3", "/page", [("X-Session", sid)])), n, "%s goes to its server" % sid)
    # an unknown id, or none: balanced (both servers), nothing stored
    seen = {node(get_from(port, "127.0.0.2", "/page", [("X-Session", "nope")])) for _ in range(4)}
    eq(seen, {"a", "b"}, "an id the table does not hold is balanced")
    eq(sorted(_entries(sock, "be")), sorted(sessions), "match alone stores nothing")


def test_stick_store_response_cookie(ctx):
    def sess(name):
        return lambda req: [("Set-Cookie", "SID=%s%s; path=/" % (name, req.target.strip("/")))] \
            if req.target.startswith("/login") else []
    a, b = mirror(ctx, "a", sess("a")), mirror(ctx, "b", sess("b"))
    port = free_port()
    be = """stick-table type string len 32 size 1k expire 5m
stick store-response res.cook(SID)
stick match req.cook(SID)"""
    ctx.proxy(config(port, [("a", a.port), ("b", b.port)], balance="roundrobin", be_extra=be))
    got = {}
    for i in range(6):
        r = get_from(port, "127.0.0.2", "/login%d" % i)
        got["%slogin%d" % (node(r), i)] = node(r)
    check(set(got.values()) == {"a", "b"}, "both servers hand out cookies: %r" % got)
    for _ in range(2):
        for sid, n in got.items():
            eq(node(get_from(port, "127.0.0.2", "/x", [("Cookie", "lang=en; SID=%s" % sid)])), n,
               "the cookie %s leads to its server" % sid)


def test_stick_store_request_then_match(ctx):
    """store-request stores the key of the first request with the server
    the balancer chose; match routes the next ones; a key stored by
    another rule's table is not seen by a match on a different table."""
    a, b = mirror(ctx, "a"), mirror(ctx, "b")
    sock, sline = _sock(ctx)
    port = free_port()
    be = """stick-table type string len 32 size 1k expire 5m
stick match req.hdr(X-User)
stick store-request req.hdr(X-User) if { req.hdr(X-Store) yes }"""
    ctx.proxy(config(port, [("a", a.port), ("b", b.port)], balance="roundrobin", be_extra=be, global_extra=sline))
    wait_sock(sock)
    # without the condition nothing is stored: round robin goes on
    seen = [node(get_from(port, "127.0.0.2", "/", [("X-User", "u0")])) for _ in range(4)]
    eq(sorted(seen), ["a", "a", "b", "b"], "not stored: balanced")
    eq(_entries(sock, "be"), {}, "the condition of store-request was false")
    first = {}
    for i in range(1, 7):
        u = "u%d" % i
        first[u] = node(get_from(port, "127.0.0.2", "/", [("X-User", u), ("X-Store", "yes")]))
    check(set(first.values()) == {"a", "b"}, "both servers chosen: %r" % first)
    for _ in range(3):
        for u, n in first.items():
            eq(node(get_from(port, "127.0.0.4", "/", [("X-User", u)])), n, "%s sticks (match)" % u)
    eq({k: v["server_id"] for k, v in _entries(sock, "be").items()},
       {u: "1" if n == "a" else "2" for u, n in first.items()}, "the stored keys")


# ---------------------------------------------------------- track-sc -----

def test_track_sc_content_http(ctx):
    """tcp-request content track-sc0/1/2 in an HTTP frontend: three
    tables, each counts; a limit on sc2 denies at the exact count."""
    a = mirror(ctx, "a")
    sock, sline = _sock(ctx)
    port = free_port()
    fe = """
stick-table type ip size 1k expire 60s store http_req_cnt,conn_cnt
tcp-request content track-sc0 src
tcp-request content track-sc1 req.hdr(x-user) table t_user
tcp-request content track-sc2 src table t_lim
tcp-request content reject if { sc2_http_req_cnt ge 4 }
http-request return status 200 content-type text/plain lf-string "c0=%[sc0_http_req_cnt] c1=%[sc1_http_req_cnt] c2=%[sc2_http_req_cnt] t1=%[sc1_tracked]" if { path /show }
"""
    extra = """backend t_user
    stick-table type string len 16 size 1k expire 60s store http_req_cnt
backend t_lim
    stick-table type ip size 1k expire 60s store http_req_cnt
"""
    ctx.proxy(config(port, [("a", a.port)], fe_extra=fe, global_extra=sline, extra_sections=extra))
    wait_sock(sock)
    statuses = [status_from(port, "127.0.0.2", "/", [("X-User", "alice")]) for _ in range(3)]
    eq(statuses, [200, 200, 200], "three requests pass")
    r = get_from(port, "127.0.0.3", "/show", [("X-User", "bob")])
    eq(r.body, b"c0=1 c1=1 c2=1 t1=1", "the fetches of another client")
    eq([status_from(port, "127.0.0.2", "/", [("X-User", "alice")]) for _ in range(3)], [200, 0, 0],
       "the fourth request is counted (sc2 ge 4 is then true): rejected")
    fe_e, user_e, lim_e = _entries(sock, "fe"), _entries(sock, "t_user"), _entries(sock, "t_lim")
    eq(fe_e["127.0.0.2"]["http_req_cnt"], "4", "sc0: the rejected connections are no HTTP request")
    check(int(fe_e["127.0.0.2"]["conn_cnt"]) >= 4, "sc0 counts the connections: %r" % fe_e)
    eq(user_e.get("alice", {}).get("http_req_cnt"), "4", "sc1 on the header's value: %r" % user_e)
    eq(user_e.get("bob", {}).get("http_req_cnt"), "1", "bob once")
    eq(lim_e["127.0.0.3"]["http_req_cnt"], "1", "sc2 per source")


def test_track_sc_content_tcp(ctx):
    """tcp-request content track-sc in a TCP frontend: the connections and
    bytes are counted, a limit on the connection count rejects at the
    exact count, and a second tracker on another table counts too."""
    a = tcp_node(ctx, "A")
    sock, sline = _sock(ctx)
    port = free_port()
    fe = """
stick-table type ip size 1k expire 60s store conn_cnt,conn_cur,bytes_in_cnt,bytes_out_cnt
tcp-request inspect-delay 2s
tcp-request content track-sc1 src
tcp-request content track-sc2 req.payload(0,4) table t_word
tcp-request content reject if { sc1_conn_cnt gt 3 }
tcp-request content accept if { req.len gt 0 }
"""
    extra = """backend t_word
    stick-table type string len 8 size 1k expire 60s store conn_cnt
"""
    ctx.proxy(_with_sock(tcp_cfg(port, fe, {"a": ("tcp", a.port, "")}, extra=extra), sline))
    wait_sock(sock)
    got = [exchange_from(port, "127.0.0.2", b"ping%d" % i) for i in range(5)]
    eq(got[:3], [b"A:ping0", b"A:ping1", b"A:ping2"], "three connections pass")
    eq(got[3:], [b"", b""], "the fourth connection is counted and rejected, and the next")
    def done():
        e = _entries(sock, "fe").get("127.0.0.2", {})
        return e.get("conn_cur") == "0" and e
    e = poll_until(done, 10, "every connection ended in the table")
    eq(e["conn_cnt"], "5", "conn_cnt counts every tracked connection")
    eq(e["bytes_in_cnt"], str(5 * len(b"ping0")), "bytes_in_cnt: what the clients sent (the rejected ones too)")
    eq(e["bytes_out_cnt"], str(3 * len(b"A:ping0")), "bytes_out_cnt: what the server answered")
    eq(_entries(sock, "t_word"), {"ping": {"conn_cnt": "5"}}, "sc2 on the payload's first four bytes")


# ---------------------------------------------------------- counters -----

def test_stored_rates_and_counters(ctx):
    """conn_rate, sess_rate, http_err_rate/cnt, bytes_in/out_cnt and gpc1
    count what happens, read back with show table and with the fetches
    src_conn_rate, sc0_*, table_cnt, table_avl."""
    def respond(req):
        if req.target.startswith("/missing"):
            return response_bytes(404, "Not Found", [("X-Node", "a")], b"no")
        return response_bytes(200, "OK", [("X-Node", "a")], b"x" * (5000 if req.target == "/big" else 10))
    a = ctx.raw_server(serve_keepalive(respond))
    sock, sline = _sock(ctx)
    port = free_port()
    fe = """
stick-table type ip size 1k expire 60s store conn_rate(10s),sess_rate(10s),http_err_rate(10s),http_err_cnt,bytes_in_cnt,bytes_out_cnt,gpc1,http_req_cnt
tcp-request connection track-sc0 src
http-request sc-inc-gpc1(0) if { path /g }
http-request return status 200 content-type text/plain lf-string "conn_rate=%[src_conn_rate] sess_rate=%[sc0_sess_rate] err_rate=%[sc0_http_err_rate] err=%[sc0_http_err_cnt] gpc1=%[sc0_get_gpc1] src_gpc1=%[src_get_gpc1] cnt=%[table_cnt] avl=%[table_avl] be_cnt=%[table_cnt(be)] be_avl=%[table_avl(be)]" if { path /show }
"""
    be = "stick-table type string len 8 size 10 store server_id"
    ctx.proxy(config(port, [("a", a.port)], fe_extra=fe, be_extra=be, global_extra=sline))
    wait_sock(sock)
    for _ in range(3):
        eq(status_from(port, "127.0.0.2", "/"), 200, "a request")
    eq([status_from(port, "127.0.0.2", "/missing") for _ in range(2)], [404, 404], "two 404")
    eq(status_from(port, "127.0.0.2", "/g"), 200, "gpc1 counted")
    r = get_from(port, "127.0.0.2", "/show")
    # 7 connections from .2 (this one included); one other entry: the
    # harness's readiness probe from 127.0.0.1
    eq(r.body.decode(), "conn_rate=7 sess_rate=7 err_rate=2 err=2 gpc1=1 src_gpc1=1 cnt=2 avl=1022 be_cnt=0 be_avl=10",
       "the fetches")
    e = poll_until(lambda: _entries(sock, "fe").get("127.0.0.2", {}).get("http_req_cnt") == "7"
                   and _entries(sock, "fe")["127.0.0.2"], 10, "the seven requests in the table")
    for k, want in (("conn_rate(10000)", "7"), ("sess_rate(10000)", "7"), ("http_err_rate(10000)", "2"),
                    ("http_err_cnt", "2"), ("gpc1", "1")):
        eq(e.get(k), want, "show table: %s" % k)
    b_in, b_out = int(e["bytes_in_cnt"]), int(e["bytes_out_cnt"])
    check(b_in >= 7 * len(b"GET / HTTP/1.1\r\nHost: test.local\r\n\r\n") - 7, "bytes_in_cnt counts the requests: %d" % b_in)
    check(b_out >= 3 * 10 + 2 * 2 + 10, "bytes_out_cnt counts the responses: %d" % b_out)
    # a 20,000-byte request body and a 5,000-byte response body: counted
    # with their heads (a few hundred bytes)
    get_from(port, "127.0.0.2", "/big", method="POST", body=b"y" * 20000)

    def grown():
        e2 = _entries(sock, "fe")["127.0.0.2"]
        return e2["http_req_cnt"] == "8" and int(e2["bytes_out_cnt"]) > b_out and e2
    e2 = poll_until(grown, 10, "the big exchange counted")
    d_in, d_out = int(e2["bytes_in_cnt"]) - b_in, int(e2["bytes_out_cnt"]) - b_out
    check(20000 < d_in < 20000 + 400, "bytes_in_cnt grew by the request: %d" % d_in)
    check(5000 < d_out < 5000 + 400, "bytes_out_cnt grew by the response: %d" % d_out)


def test_live_expiry(ctx):
    """An entry of a table with `expire 1s` leaves show table once unused
    for a second; the key then counts from zero again."""
    a = mirror(ctx, "a")
    sock, sline = _sock(ctx)
    port = free_port()
    fe = """
stick-table type ip size 1k expire 1s store http_req_cnt,gpc0
http-request track-sc0 src
http-request sc-inc-gpc0(0) if { path /g }
http-request return status 200 content-type text/plain lf-string "req=%[sc0_http_req_cnt] gpc0=%[sc0_get_gpc0]" if { path /show }
"""
    ctx.proxy(config(port, [("a", a.port)], fe_extra=fe, global_extra=sline))
    wait_sock(sock)
    for _ in range(3):
        eq(status_from(port, "127.0.0.2", "/g"), 200, "a request")
    eq(get_from(port, "127.0.0.2", "/show").body, b"req=4 gpc0=3", "counted")
    check("127.0.0.2" in _entries(sock, "fe"), "the entry is there")
    poll_until(lambda: "127.0.0.2" not in _entries(sock, "fe"), 10, "the entry expired out of show table")
    eq(get_from(port, "127.0.0.2", "/show").body, b"req=1 gpc0=0", "the key counts from zero again")
    e = _entries(sock, "fe")
    eq(e.get("127.0.0.2"), {"http_req_cnt": "1", "gpc0": "0"}, "a new entry")
