"""The everyday haproxy.cfg long tail, second part (issue 18 after
persistence): maxqueue on the queue of one server (requests tied to it by
a cookie), proxy-v2-options unique-id, tune.vars.* and tune.http.cookielen,
tcp-check set-var, and keywords the first part left without a test of
their effect (tcp-check connect addr/send-proxy, tcp-check comment,
agent-addr, mysql-check post-41, "-N" port offsets, option splice-request,
the tcplog warning, dst/dst_port after accept-proxy). Every test runs
against Debian's HAProxy too (PROXY=haproxy) unless marked."""
import re
import socket
import threading

from harness import (Deadline, TestFailure, check, eq, free_port, http, is_haproxy, poll_until,
                     response_bytes, timeout, wait_port)

TO = "    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"


def _start(ctx, cfg, name="proxy"):
    path = ctx.write(name + ".cfg", cfg)
    p = ctx.spawn(name, ctx.proxy_argv(path))
    for port in [int(x) for x in re.findall(r"bind 127\.0\.0\.1:(\d+)", cfg)]:
        wait_port(port, 10, p)
    return p


def _csv(port):
    r = http(port, "GET", "/stats;csv")
    eq(r.status, 200, "stats CSV status")
    lines = r.body.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    return {(x["pxname"], x["svname"]): x for x in (dict(zip(head, l.split(","))) for l in lines[1:] if l)}


# ------------------------------------------------------------ maxqueue ----

def _gated_server(ctx, name, gate):
    """An HTTP server answering its name as the body, each response held
    until <gate> is set (None: at once)."""
    def handler(conn, reader, srv):
        while True:
            req = srv.read_request(reader)
            if req is None:
                return
            srv.record(req)
            if gate is not None:
                gate.wait(20)
            conn.sendall(response_bytes(200, body=name.encode()))
    return ctx.raw_server(handler)


def _maxqueue_run(ctx, redispatch, balance="roundrobin", s2="cookie c2", ck=True):
    """s1 (maxconn 1, maxqueue 1) busy with one persisted request, one more
    waiting in its queue: a third request persisted on s1 finds s1's queue
    full. Returns (third response, stats rows meanwhile, s2's server)."""
    gate = __import__("threading").Event()
    s1 = _gated_server(ctx, "s1", gate)
    s2srv = _gated_server(ctx, "s2", None)
    fe, sp = free_port(), free_port()
    cfg = ("global\n    nbthread 2\ndefaults\n    mode http\n" + TO + "    timeout queue 10s\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
           "backend be\n    balance %s\n    cookie SRV\n%s"
           "    server s1 127.0.0.1:%d maxconn 1 maxqueue 1 cookie c1\n"
           "    server s2 127.0.0.1:%d %s\n"
           "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n"
           % (fe, balance, "    option redispatch\n" if redispatch else "", s1.port, s2srv.port, s2, sp))
    _start(ctx, cfg)
    ck = {"Cookie": "SRV=c1"} if ck else {}
    res = {}

    def one(i):
        try:
            res[i] = http(fe, "GET", "/%d" % i, headers=ck, timeout=20)
        except Exception as e:  # noqa: BLE001 (reported below)
            res[i] = e
    th = [threading.Thread(target=one, args=(i,)) for i in (0, 1)]
    th[0].start()
    poll_until(lambda: len(s1.requests) == 1, 10, "the first request at s1")
    th[1].start()
    poll_until(lambda: _csv(sp)[("be", "s1")]["qcur"] == "1", 10, "the second request in s1's queue")
    try:
        third = http(fe, "GET", "/2", headers=ck, timeout=10)
        rows = _csv(sp)
    finally:
        gate.set()
        for t in th:
            t.join(20)
    eq(len(s1.requests), 2, "s1 served the first two requests only")
    for i in (0, 1):
        check(not isinstance(res[i], Exception), "request %d: %r" % (i, res.get(i)))
        eq((res[i].status, res[i].body), (200, b"s1"), "persisted request %d, served by s1 in turn" % i)
    after = _csv(sp)
    eq(after[("be", "s1")]["qcur"], "0", "s1's queue is empty at the end")
    eq(after[("be", "s1")]["qmax"], "1", "s1's qmax: maxqueue held the queue at 1")
    return third, rows, s2srv


@timeout(60)
def test_maxqueue_persisted_redispatch(ctx):
    """With option redispatch, a request persisted on a server whose queue
    holds maxqueue requests goes to another server (HAProxy's "full queue"
    redispatch)."""
    third, rows, s2 = _maxqueue_run(ctx, True)
    eq((third.status, third.body), (200, b"s2"), "the third persisted request, s1's queue full: served by s2")
    eq(rows[("be", "s1")]["qcur"], "1", "s1's queue held one request meanwhile")
    eq(len(s2.requests), 1, "s2 saw the third request")


@timeout(60)
def test_maxqueue_persisted_full_503(ctx):
    """Without option redispatch, the request persisted on a server whose
    queue is full is answered 503 (HAProxy: a queue error, counted as a
    connection error of the server)."""
    third, rows, s2 = _maxqueue_run(ctx, False)
    eq(third.status, 503, "the third persisted request, s1's queue full, no redispatch")
    eq(len(s2.requests), 0, "s2 saw nothing")
    eq(rows[("be", "s1")]["econ"], "1", "counted as a connection error of s1")


@timeout(60)
def test_maxqueue_hash_key_503(ctx):
    """Hashing ties a request to its key's server too: when that server is
    full the request waits in its queue, and when the queue holds maxqueue
    requests it is answered 503 even with option redispatch (the key is not
    moved; the backup server is not used), as HAProxy does."""
    third, rows, s2 = _maxqueue_run(ctx, True, balance="uri", s2="backup", ck=False)
    eq(third.status, 503, "the third request of s1's key, s1's queue full")
    eq(len(s2.requests), 0, "the backup saw nothing")


@timeout(60)
def test_maxqueue_cookie_then_hash_503(ctx):
    """A cookie's request redispatched from a full queue on a hashing
    backend is hashed: its key's server is the same full one, so 503."""
    third, rows, s2 = _maxqueue_run(ctx, True, balance="uri", s2="backup")
    eq(third.status, 503, "the third request, cookie then key on s1, s1's queue full")
    eq(len(s2.requests), 0, "the backup saw nothing")
