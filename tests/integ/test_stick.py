"""Stick tables against real backends: a 429 rate limit per source address
with the exact count, stickiness on the source address (also through a
reload), tables that survive reloads, general purpose counters, concurrent
connections tracked at accept, a table that fills up (it evicts, logs once
and keeps serving), and the runtime API (show, set, clear table) with
HAProxy's answers.

Each test also runs against Debian's HAProxy 2.6 (PROXY=haproxy): the same
expectations; for reloads HAProxy is given what it needs to keep its tables
(a peers section naming the local peer, master-worker mode: see
persist_util.reloadable)."""
import re
import threading

from harness import check, config, eq, free_port, is_haproxy, poll_until, tandem_only
from persist_util import cli, get_from, mirror, node, reloadable, status_from, wait_sock

PTR = re.compile(r"^0x[0-9a-f]+: ", re.M)


def _entries(sock, table):
    """{key: {field: value}} of `show table <table>`, the pointer and the
    expiry left out."""
    out = cli(sock, "show table %s" % table)
    res = {}
    for line in out.splitlines()[1:]:
        if not line.strip():
            continue
        f = dict(kv.split("=", 1) for kv in PTR.sub("", line).split())
        key = f.pop("key")
        f.pop("exp", None)
        f.pop("use", None)
        f.pop("server_key", None)   # HAProxy adds the server's name
        res[key] = f
    return res


RL = """
stick-table type ip size 100k expire 60s store http_req_rate(10s),http_req_cnt,http_err_cnt @PEERS@
http-request track-sc0 src
http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }
"""


def test_rate_limit_429_exact_count(ctx):
    a = mirror(ctx, "a")
    sock = ctx.path("admin.sock")
    port = free_port()
    ctx.proxy(config(port, [("a", a.port)], fe_extra=RL.replace("@PEERS@", ""),
                     global_extra="stats socket %s level admin" % sock))
    wait_sock(sock)
    # two clients at once: each gets exactly its own 5 requests
    res = {}

    def client(src):
        res[src] = [status_from(port, src) for _ in range(9)]
    th = [threading.Thread(target=client, args=(s,)) for s in ("127.0.0.2", "127.0.0.3")]
    for t in th:
        t.start()
    for t in th:
        t.join(30)
    for src in ("127.0.0.2", "127.0.0.3"):
        eq(res[src], [200] * 5 + [429] * 4, "%s: 5 requests in the window, then 429" % src)
    eq(status_from(port, "127.0.0.4"), 200, "another source is not limited")
    e = _entries(sock, "fe")
    eq(e["127.0.0.2"], {"http_req_cnt": "9", "http_req_rate(10000)": "9", "http_err_cnt": "4"},
       "the table counts every request, the denied ones as errors")
    eq(e["127.0.0.4"]["http_req_cnt"], "1", "one request from .4")


def test_stick_on_src(ctx):
    a, b = mirror(ctx, "a"), mirror(ctx, "b")
    sock = ctx.path("admin.sock")
    port = free_port()
    ctx.proxy(config(port, [("a", a.port), ("b", b.port)], balance="roundrobin",
                     be_extra="stick-table type ip size 1k expire 5m\nstick on src",
                     global_extra="stats socket %s level admin" % sock))
    wait_sock(sock)
    first = {}
    for i in range(2, 8):
        src = "127.0.0.%d" % i
        first[src] = node(get_from(port, src))
    check(set(first.values()) == {"a", "b"}, "round robin spreads the first requests: %r" % first)
    for _ in range(3):
        for src, n in first.items():
            eq(node(get_from(port, src)), n, "%s sticks to its server" % src)
    e = _entries(sock, "be")
    eq({k: v["server_id"] for k, v in e.items()}, {k: "1" if v == "a" else "2" for k, v in first.items()},
       "the table holds each source's server id")
    # a server in maintenance: its clients go to the other one, the table follows
    cli(sock, "disable server be/a")
    moved = [src for src, n in first.items() if n == "a"]
    for src in moved:
        eq(node(get_from(port, src)), "b", "%s leaves the server in maintenance" % src)
    cli(sock, "enable server be/a")
    for src in moved:
        eq(node(get_from(port, src)), "b", "%s now sticks to its new server" % src)


STICK = """
global
    stats socket @SOCK@ level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:%(port)d
    stick-table type ip size 100k expire 60s store http_req_rate(10s),http_req_cnt,gpc0 @PEERS@
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }
    default_backend be
backend be
    balance roundrobin
    stick-table type ip size 1k expire 5m @PEERS@
    stick on src
    server a 127.0.0.1:%(a)d
    server b 127.0.0.1:%(b)d
"""


def test_tables_survive_reload(ctx):
    a, b = mirror(ctx, "a"), mirror(ctx, "b")
    port = free_port()
    px = reloadable(ctx, STICK % {"port": port, "a": a.port, "b": b.port})
    first = {}
    for i in range(2, 6):
        src = "127.0.0.%d" % i
        first[src] = node(get_from(port, src))
    check(set(first.values()) == {"a", "b"}, "both servers used: %r" % first)
    eq([status_from(port, "127.0.0.9") for _ in range(3)], [200] * 3, "three requests from .9")
    cli(px.sock, "set table fe key 127.0.0.10 data.gpc0 7")
    before_fe, before_be = _entries(px.sock, "fe"), _entries(px.sock, "be")
    px.reload()
    # (HAProxy's new process learns the tables from the old one over the
    # local peer session: a moment after it started; tandem's are there)
    poll_until(lambda: _entries(px.sock, "be") == before_be and "127.0.0.10" in _entries(px.sock, "fe"), 10,
               "the tables after the reload (be: %r)" % before_be)
    after = _entries(px.sock, "fe")
    eq(after["127.0.0.10"]["gpc0"], "7", "a counter set at run time survives the reload")
    eq(after["127.0.0.9"]["http_req_cnt"], before_fe["127.0.0.9"]["http_req_cnt"], "counters survive the reload")
    # stickiness through the reload
    for src, n in first.items():
        eq(node(get_from(port, src)), n, "%s sticks to its server after the reload" % src)
    # the rate limit goes on counting: 3 before the reload, 2 more pass, then 429
    eq([status_from(port, "127.0.0.9") for _ in range(4)], [200, 200, 429, 429],
       "the rate counted before the reload still counts")


def test_gpc_and_gpt(ctx):
    a = mirror(ctx, "a")
    sock = ctx.path("admin.sock")
    port = free_port()
    fe = """
stick-table type ip size 1k expire 60s store gpc0,gpc0_rate(10s),gpt0
http-request track-sc0 src
http-request sc-inc-gpc0(0) if { path_beg /bad }
http-request sc-set-gpt0(0) 42 if { path /tag }
http-request deny deny_status 403 if { sc0_get_gpc0 ge 2 }
http-request return status 200 content-type text/plain lf-string "gpc0=%[sc0_get_gpc0] rate=%[sc0_gpc0_rate] gpt0=%[sc_get_gpt0(0)] src=%[src_get_gpc0]" if { path /show }
"""
    ctx.proxy(config(port, [("a", a.port)], fe_extra=fe, global_extra="stats socket %s level admin" % sock))
    wait_sock(sock)
    eq(get_from(port, "127.0.0.2", "/tag").status, 200, "tagging")
    eq(get_from(port, "127.0.0.2", "/show").body, b"gpc0=0 rate=0 gpt0=42 src=0", "sc-set-gpt0 and the fetches")
    eq(get_from(port, "127.0.0.2", "/bad").status, 200, "first bad request (counted, passes)")
    eq(get_from(port, "127.0.0.2", "/show").body, b"gpc0=1 rate=1 gpt0=42 src=1", "gpc0 and its rate")
    eq(get_from(port, "127.0.0.2", "/bad").status, 403, "the second bad request is counted, then denied")
    eq(get_from(port, "127.0.0.2", "/").status, 403, "and the client stays blocked")
    eq(get_from(port, "127.0.0.3", "/").status, 200, "others are not")
    cli(sock, "clear table fe key 127.0.0.2")
    eq(get_from(port, "127.0.0.2", "/").status, 200, "clear table unblocks the client")


def test_conn_cur_at_accept(ctx):
    a = mirror(ctx, "a")
    port = free_port()
    fe = """
stick-table type ip size 1k expire 60s store conn_cur,conn_cnt,sess_cnt
tcp-request connection track-sc1 src
tcp-request connection reject if { sc1_conn_cur gt 2 }
http-request return status 200 content-type text/plain lf-string "cur=%[sc1_conn_cur] cnt=%[sc1_conn_cnt] sess=%[sc1_sess_cnt]" if { path /show }
"""
    ctx.proxy(config(port, [("a", a.port)], fe_extra=fe))
    import socket
    held = []
    for _ in range(2):
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
        held.append(s)
    # wait until the proxy accepted both (a third is then refused)
    poll_until(lambda: status_from(port, "127.0.0.2", "/show") == 0, 10, "the third connection refused")
    for s in held:
        s.close()
    poll_until(lambda: status_from(port, "127.0.0.2", "/show") == 200, 10,
               "connections accepted again once the others closed")
    # both closes seen (the first one alone lets a connection in again);
    # each look is a connection of its own, counted while it is open
    seen = []

    def alone():
        seen.append(get_from(port, "127.0.0.2", "/show").body)
        return seen[-1].startswith(b"cur=1 ")
    poll_until(alone, 10, "conn_cur back to 1, the connection asking")
    m = re.match(rb"cur=(\d+) cnt=(\d+) sess=(\d+)", seen[-1])
    check(m and int(m.group(2)) >= 4 and int(m.group(3)) >= 3, "conn_cnt and sess_cnt count them all: %r" % seen[-1])


def test_table_full(ctx):
    a = mirror(ctx, "a")
    sock = ctx.path("admin.sock")
    port = free_port()
    fe = "stick-table type ip size 4 expire 60s store http_req_cnt\nhttp-request track-sc0 src"
    px = ctx.proxy(config(port, [("a", a.port)], fe_extra=fe, global_extra="stats socket %s level admin" % sock))
    wait_sock(sock)
    for i in range(2, 12):
        eq(status_from(port, "127.0.0.%d" % i), 200, "request from .%d served" % i)
    out = cli(sock, "show table fe")
    check(out.startswith("# table: fe, type: ip, size:4, used:4"), "the table stays at its size: %r" % out)
    check("127.0.0.11" in out, "the newest entry is there: %r" % out)
    if not is_haproxy():
        poll_until(lambda: px.logs().count("stick-table 'fe' is full") == 1, 5, "one log line about the full table")


def test_cli_show_set_clear(ctx):
    a = mirror(ctx, "a")
    sock = ctx.path("admin.sock")
    port = free_port()
    fe = "stick-table type ip size 1k expire 60s store gpc0,http_req_rate(10s)\nhttp-request track-sc0 src"
    be = "stick-table type string len 16 size 10 store server_id"
    ctx.proxy(config(port, [("a", a.port)], fe_extra=fe, be_extra=be,
                     global_extra="stats socket %s level admin" % sock))
    wait_sock(sock)
    out = cli(sock, "show table")
    check("# table: fe, type: ip, size:1024, used:0\n" in out and "# table: be, type: string, size:10, used:0\n" in out,
          "show table lists the tables: %r" % out)
    eq(cli(sock, "set table fe key 10.0.0.1 data.gpc0 5 data.http_req_rate 3"), "\n", "set table")
    eq(_entries(sock, "fe"), {"10.0.0.1": {"gpc0": "5", "http_req_rate(10000)": "3"}}, "the entry set")
    eq(cli(sock, "set table be key alice data.server_id 1"), "\n", "set table on a string table")
    e = PTR.sub("", cli(sock, "show table be key alice"))
    check(re.match(r"# table: be, type: string, size:10, used:1\nkey=alice use=0 exp=0 server_id=1", e),
          "show table key: %r" % e)
    eq(cli(sock, "show table fe key 10.9.9.9"), "\n", "show table key: absent")
    out = PTR.sub("", cli(sock, "show table fe data.gpc0 gt 4"))
    check("key=10.0.0.1 " in out, "a data filter that matches: %r" % out)
    out = cli(sock, "show table fe data.gpc0 lt 4")
    eq(out, "# table: fe, type: ip, size:1024, used:1\n\n", "a data filter that does not")
    eq(cli(sock, "show table fe data.nope gt 1"), "Filter entry #1: Unknown data type\n\n", "unknown data type")
    eq(cli(sock, "show table fe data.conn_cur gt 1"), "Filter entry #1: Data type not stored in this table\n\n",
       "data type not stored")
    eq(cli(sock, "show table fe data.gpc0 xx 1"),
       "Filter entry #1: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n\n", "bad operator")
    eq(cli(sock, "show table nope"), "No such table\n\n", "unknown table")
    eq(cli(sock, "set table fe key 10.0.0.1 data.conn_cur 1"), "Data type not stored in this table\n\n", "set: not stored")
    eq(cli(sock, "set table fe key 10.0.0.1 data.gpc0 x"), "Require a valid integer value to store\n\n", "set: bad value")
    eq(cli(sock, "set table fe key"), "Key value expected\n\n", "set: no key")
    eq(cli(sock, "clear table fe key 10.0.0.1"), "\n", "clear table key")
    eq(_entries(sock, "fe"), {}, "cleared")
    cli(sock, "set table fe key 10.0.0.2 data.gpc0 1")
    cli(sock, "set table fe key 10.0.0.3 data.gpc0 9")
    cli(sock, "clear table fe data.gpc0 gt 5")
    eq(sorted(_entries(sock, "fe")), ["10.0.0.2"], "clear table with a data filter")
    cli(sock, "clear table fe")
    eq(_entries(sock, "fe"), {}, "clear table empties it")


def test_show_table_operator_level(ctx):
    a = mirror(ctx, "a")
    sock = ctx.path("admin.sock")
    port = free_port()
    ctx.proxy(config(port, [("a", a.port)], fe_extra="stick-table type ip size 10\nhttp-request track-sc0 src",
                     global_extra="stats socket %s level user" % sock))
    wait_sock(sock)
    get_from(port, "127.0.0.2")
    eq(cli(sock, "show table fe"),
       "# table: fe, type: ip, size:10, used:1\n# contents not dumped due to insufficient privileges\n\n",
       "a user-level session sees the table, not its contents")
    eq(cli(sock, "clear table fe"), "\n", "clear table: nothing said...")
    check(cli(sock, "show table fe").startswith("# table: fe, type: ip, size:10, used:1"), "...and nothing cleared")
    eq(cli(sock, "clear table fe key 127.0.0.2"), "Permission denied\n\n", "nor an entry")
