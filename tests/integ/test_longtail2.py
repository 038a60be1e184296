"""The everyday haproxy.cfg long tail, second part (issue 18 after
persistence): maxqueue on the queue of one server (requests tied to it by
a cookie or a hash key), proxy-v2-options unique-id, dispatch beside
persisted servers, the refusals that remain (with their reasons), and
keywords the first part left without a test of their effect (tcp-check connect addr/send-proxy, tcp-check comment,
agent-addr, mysql-check post-41, "-N" port offsets, option splice-request,
the tcplog warning, dst/dst_port after accept-proxy). Every test runs
against Debian's HAProxy too (PROXY=haproxy) unless marked."""
import re
import socket
import threading

from harness import (Deadline, TestFailure, check, eq, free_port, http, is_haproxy, poll_until,
                     response_bytes, tandem_only, timeout, wait_port)

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


# ------------------------------------------------ proxy-v2-options unique-id ----

class Recorder:
    """A TCP server keeping the first bytes of each connection (a PROXY v2
    header, then what follows up to the end of an HTTP head or 4 KB), then
    answering an HTTP 200 and closing."""

    def __init__(self, ctx):
        self.got = []

        def handler(conn, reader, srv):
            data, dl = b"", Deadline(5)
            while not dl.expired() and len(data) < 4096:
                if len(data) >= 16 and data.startswith(b"\r\n\r\n\x00\r\nQUIT\n"):
                    n = 16 + int.from_bytes(data[14:16], "big")
                    if len(data) >= n and (b"\r\n\r\n" in data[n:] or data[n:].startswith(b"hello")):
                        break
                conn.settimeout(max(0.05, dl.left()))
                x = conn.recv(4096)
                if not x:
                    break
                data += x
            with srv.lock:
                self.got.append(data)
            conn.sendall(response_bytes(200, body=b"ok", headers={"Connection": "close"}))
        self.srv = ctx.raw_server(handler)
        self.port = self.srv.port

    def find(self, marker):
        """(TLVs, rest) of the connection whose bytes after the header hold
        <marker> (the proxy's own probes of a port open connections too)."""
        def one():
            for g in list(self.got):
                tl, rest = _tlvs(g)
                if marker in rest:
                    return tl, rest
            return None
        return poll_until(one, 5, "a connection carrying %r" % marker)


def _tlvs(h):
    """(TLVs by type, the bytes after the header) of a v2 PROXY header <h>."""
    check(h.startswith(b"\r\n\r\n\x00\r\nQUIT\n"), "a v2 header: %r" % h[:16])
    n = 16 + int.from_bytes(h[14:16], "big")
    fam = h[13]
    off = 16 + (12 if fam == 0x11 else 36 if fam == 0x21 else 0)
    tl = {}
    while off < n:
        t, ln = h[off], int.from_bytes(h[off + 1:off + 3], "big")
        tl[t] = h[off + 3:off + 3 + ln]
        off += 3 + ln
    return tl, h[n:]


@timeout(60)
def test_proxy_v2_unique_id(ctx):
    """proxy-v2-options unique-id sends the transaction's id made by the
    frontend's unique-id-format (the same the unique-id-header carries), an
    empty TLV without a format, and in TCP mode too; a client's own
    UNIQUE_ID TLV is not passed on (HAProxy 2.6)."""
    rec = Recorder(ctx)
    f1, f2, f3 = free_port(), free_port(), free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n" + TO +
           "frontend f1\n    mode http\n    bind 127.0.0.1:%d\n"
           "    unique-id-format ID-%%[req.hdr(x-id)]-%%[src]\n    unique-id-header X-Unique-ID\n"
           "    default_backend bh\n"
           "frontend f2\n    mode http\n    bind 127.0.0.1:%d accept-proxy\n    default_backend bh\n"
           "frontend f3\n    mode tcp\n    bind 127.0.0.1:%d\n    unique-id-format T-%%[src]-%%[dst_port]\n"
           "    default_backend bt\n"
           "backend bh\n    mode http\n    server r 127.0.0.1:%d send-proxy-v2 proxy-v2-options unique-id\n"
           "backend bt\n    mode tcp\n    server r 127.0.0.1:%d send-proxy-v2 proxy-v2-options unique-id\n"
           % (f1, f2, f3, rec.port, rec.port))
    _start(ctx, cfg)
    r = http(f1, "GET", "/a", headers={"X-Id": "abc123"})
    eq(r.status, 200, "f1 status")
    tl, rest = rec.find(b"GET /a ")
    eq(tl.get(5), b"ID-abc123-127.0.0.1", "UNIQUE_ID TLV: the frontend's unique-id-format")
    check(b"\r\nx-unique-id: id-abc123-127.0.0.1\r\n" in rest.lower(), "the same id in the header: %r" % rest[:300])
    # no unique-id-format: an empty TLV, the client's own one not passed on
    c = socket.create_connection(("127.0.0.1", f2), timeout=5)
    body = (socket.inet_aton("192.0.2.1") + socket.inet_aton("192.0.2.2") + (1111).to_bytes(2, "big")
            + (80).to_bytes(2, "big"))
    tlv = b"\x05\x00\x05given"
    c.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + (len(body) + len(tlv)).to_bytes(2, "big") + body + tlv
              + b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got, dl = b"", Deadline(5)
    while not dl.expired():
        x = c.recv(4096)
        if not x:
            break
        got += x
    c.close()
    check(got.startswith(b"HTTP/1.1 200"), "f2 answer: %r" % got[:60])
    tl, _ = rec.find(b"GET /b ")
    eq(tl.get(5), b"", "UNIQUE_ID TLV without unique-id-format: empty (the client's not passed on)")
    # TCP mode
    c = socket.create_connection(("127.0.0.1", f3), timeout=5)
    c.sendall(b"hello")
    got, dl = b"", Deadline(5)
    while not dl.expired():
        x = c.recv(4096)
        if not x:
            break
        got += x
    c.close()
    tl, rest = rec.find(b"hello")
    eq(tl.get(5), ("T-127.0.0.1-%d" % f3).encode(), "UNIQUE_ID TLV in TCP mode")
    eq(rest, b"hello", "the client's bytes follow")


# ------------------------------------------------------------ dispatch ----

@timeout(30)
def test_dispatch_beside_persisted_servers(ctx):
    """Without balance, the dispatch address takes every request the
    balancer would place; servers beside it are reached through
    persistence only (a cookie here), as in HAProxy."""
    d = _gated_server(ctx, "disp", None)
    s1 = _gated_server(ctx, "s1", None)
    fe = free_port()
    cfg = ("defaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
           "backend be\n    dispatch 127.0.0.1:%d\n    cookie SRV\n    server s1 127.0.0.1:%d cookie c1\n"
           % (fe, d.port, s1.port))
    _start(ctx, cfg)
    for _ in range(3):
        r = http(fe, "GET", "/")
        eq((r.status, r.body), (200, b"disp"), "no cookie: the dispatch address")
    r = http(fe, "GET", "/", headers={"Cookie": "SRV=c1"})
    eq((r.status, r.body), (200, b"s1"), "the cookie of s1: s1")


# ------------------------------------------------------------ refusals ----

@timeout(30)
def test_refused_with_reason(ctx):
    """What tandem still refuses names the keyword, the line, and a true
    reason (HAProxy accepts these lines: tandem's refusal is its own)."""
    tandem_only("tandem's refusals")
    head = "defaults\n    mode http\n" + TO
    cases = [
        ("global\n    tune.vars.txn-max-size 64\n" + head, "tune.vars.txn-max-size", "not bound"),
        ("global\n    tune.http.cookielen 63\n" + head, "tune.http.cookielen", "capture cookie"),
        ("global\n    tune.pattern.cache-size 100\n" + head, "tune.pattern.cache-size", "no cache"),
        (head + "frontend f\n    bind 127.0.0.1:%d\n    capture cookie SID len 10\n" % free_port(),
         "capture cookie", "capture request header Cookie"),
        (head + "backend b\n    option tcp-check\n    tcp-check set-var(check.x) int(1)\n"
         "    server s 127.0.0.1:1 check\n", "tcp-check set-var", "could read a check variable"),
        (head + "backend b\n    option httpchk\n    http-check unset-var(check.x)\n"
         "    server s 127.0.0.1:1 check\n", "http-check unset-var", "could read a check variable"),
    ]
    for i, (cfg, word, why) in enumerate(cases):
        rc, out, path = ctx.check_config(cfg, name="r%d" % i)
        check(rc != 0, "%s: refused (exit %r)" % (word, rc))
        check(word in out and why in out and re.search(r"%s:\d+" % re.escape(path), out),
              "%s: file:line, the word and the reason (%r) in: %s" % (word, why, out[-400:]))


# ------------------------------------------------- checks: what was untested ----

def _stats_rows(sp):
    return _csv(sp)


def _wait_row(sp, be, srv, pred, what, seconds=15):
    try:
        return poll_until(lambda: (lambda r: r if r and pred(r) else None)(_csv(sp).get((be, srv))), seconds, what)
    except TestFailure:
        raise TestFailure("timed out waiting for %s; row: %r" % (what, _csv(sp).get((be, srv))))


class LineServer:
    """A TCP server on 127.0.0.1 that records the first bytes of each
    connection and answers <reply> once it has them (or at once when
    <first> is True: it speaks first)."""

    def __init__(self, ctx, reply=b"PONG\r\n", want=b"\r\n", first=False):
        self.reply, self.got = reply, []

        def handler(conn, reader, srv):
            if first:
                conn.sendall(self.reply)
            data, dl = b"", Deadline(3)
            while not dl.expired() and data.count(b"\r\n") < (2 if data.startswith(b"PROXY ") else 1) \
                    and not data.endswith(want if want != b"\r\n" else b"\x00\x00\x00\x00"):
                conn.settimeout(max(0.05, dl.left()))
                try:
                    x = conn.recv(4096)
                except OSError:
                    break
                if not x:
                    break
                data += x
            with srv.lock:
                self.got.append(data)
            if not first:
                conn.sendall(self.reply)
        self.srv = ctx.raw_server(handler)
        self.port = self.srv.port


def _check_proxy(ctx, body, mode="tcp"):
    sp = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode %s\n" % mode + TO + "    timeout check 2s\n" + body +
           "listen stats\n    mode http\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % sp)
    p = _start(ctx, cfg)
    return p, sp


@timeout(60)
def test_tcp_check_connect_addr_send_proxy_comment(ctx):
    """tcp-check connect addr A port P send-proxy: the check goes to A:P (not
    to the server's address) and starts with a PROXY header; tcp-check
    comment names the step that fails in the check's report."""
    ls = LineServer(ctx)
    body = ("backend b\n    option tcp-check\n"
            "    tcp-check connect addr 127.0.0.1 port %d send-proxy\n"
            "    tcp-check send PING\\r\\n\n"
            "    tcp-check comment pong-step\n"
            "    tcp-check expect string PONG\n"
            "    server s1 127.0.0.2:%d check inter 200ms rise 1 fall 1\n" % (ls.port, free_port()))
    p, sp = _check_proxy(ctx, body)
    _wait_row(sp, "b", "s1", lambda r: r["status"].startswith("UP") and r["check_status"].lstrip("* ") == "L7OK",
              "s1 UP by the check at the connect addr")
    g = [x for x in ls.got if x.endswith(b"PING\r\n")]
    check(g, "the check reached 127.0.0.1:%d: %r" % (ls.port, ls.got[:3]))
    check(re.match(rb"PROXY TCP4 \d+\.\d+\.\d+\.\d+ 127\.0\.0\.1 \d+ %d\r\nPING\r\n$" % ls.port, g[-1]),
          "a PROXY v1 header first: %r" % g[-1])
    ls.reply = b"NOPE\r\n"
    row = _wait_row(sp, "b", "s1", lambda r: r["status"].startswith("DOWN"), "s1 DOWN when the answer is wrong")
    check(row["last_chk"].endswith("at step 4 comment: pong-step"), "the comment in the report: %r" % row["last_chk"])
    eq(row["check_status"].lstrip("* "), "L7RSP", "check status")


@timeout(60)
def test_agent_addr(ctx):
    """agent-addr: the agent is asked at that address, not at the server's
    (an agent answering "down" there takes the server DOWN)."""
    from test_checks_proto import Agent
    ag = Agent()
    ctx.servers.append(ag)
    app = _gated_server(ctx, "app", None)
    body = ("backend b\n    mode http\n    option httpchk GET /\n"
            "    server s1 127.0.0.2:%d check inter 200ms port %d addr 127.0.0.1 agent-check agent-addr 127.0.0.1 "
            "agent-port %d agent-inter 200ms\n" % (free_port(), app.port, ag.port))
    p, sp = _check_proxy(ctx, body, mode="http")
    _wait_row(sp, "b", "s1", lambda r: r["status"].startswith("UP"), "s1 UP (health check at addr, agent up)")
    ag.line = "down #from agent-addr\n"
    _wait_row(sp, "b", "s1", lambda r: r["status"].startswith("DOWN"), "s1 DOWN by the agent at agent-addr")


# ---------------------------------------------------- addresses, splice ----

def _consecutive_ports(n):
    for _ in range(50):
        base = free_port()
        socks = []
        try:
            for i in range(n):
                s = socket.socket()
                s.bind(("127.0.0.1", base + i))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise TestFailure("no %d consecutive free ports" % n)


@timeout(30)
def test_server_port_minus_offset(ctx):
    """A server port written "-N": the port the client connected to, minus N
    (HAProxy's mapped ports)."""
    base = _consecutive_ports(3)
    # the server on base, the frontend on base + 2: "-2"
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.2", base))
    s.listen(8)
    got = []

    def serve():
        try:
            c, _ = s.accept()
        except OSError:
            return
        c.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            x = c.recv(4096)
            if not x:
                break
            data += x
        got.append(data)
        c.sendall(response_bytes(200, body=b"minus"))
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    try:
        cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
               "frontend f\n    bind 127.0.0.1:%d\n    default_backend b\n"
               "backend b\n    server s1 127.0.0.2:-2\n" % (base + 2))
        _start(ctx, cfg)
        r = http(base + 2, "GET", "/")
        eq((r.status, r.body), (200, b"minus"), "-2: the client's port minus two")
    finally:
        s.close()


def _pipe_fds(pid):
    import os
    n = 0
    for p in [pid] + [int(x) for x in os.popen("pgrep -P %d" % pid).read().split()]:
        try:
            for fd in os.listdir("/proc/%d/fd" % p):
                if os.readlink("/proc/%d/fd/%s" % (p, fd)).startswith("pipe:"):
                    n += 1
        except OSError:
            pass
    return n


@timeout(90)
def test_splice_request_tunnel(ctx):
    """option splice-request: a TCP tunnel's client-to-server bytes go
    through a pipe (tandem holds one while the upload runs) and arrive
    intact; the answer comes back."""
    import hashlib
    gate = threading.Event()
    sink = socket.socket()
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sink.bind(("127.0.0.1", 0))
    sink.listen(4)
    res = {}

    def one(c):
        gate.wait(30)   # the upload waits in the pipe and the socket buffers meanwhile
        h, n = hashlib.sha256(), 0
        c.settimeout(30)
        try:
            while True:
                x = c.recv(1 << 20)
                if not x:
                    break
                h.update(x)
                n += len(x)
            c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
        except OSError:
            pass
        c.close()

    def serve():   # every connection (the proxy's own probes of the port open some too)
        while True:
            try:
                c, _ = sink.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(c,), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n"
           "    timeout server 30s\n"
           "listen t\n    bind 127.0.0.1:%d\n    option splice-request\n    server s 127.0.0.1:%d\n"
           % (fe, sink.getsockname()[1]))
    p = _start(ctx, cfg)
    total = 24 << 20
    block = bytes(range(256)) * 4096
    want = hashlib.sha256()
    for i in range(total // len(block)):
        want.update(block)
    c = socket.create_connection(("127.0.0.1", fe), timeout=30)

    def upload():
        try:
            for i in range(total // len(block)):
                c.sendall(block)
            c.shutdown(socket.SHUT_WR)
        except OSError as e:
            res["err"] = e
    th = threading.Thread(target=upload, daemon=True)
    th.start()
    try:
        if not is_haproxy():
            poll_until(lambda: _pipe_fds(p.pid) >= 2, 10, "a pipe in the worker while the upload waits")
    finally:
        gate.set()
    th.join(30)
    check("err" not in res, "upload: %r" % res.get("err"))
    data = b""
    while not data.endswith(b"\n"):
        x = c.recv(4096)
        if not x:
            break
        data += x
    c.close()
    sink.close()
    eq(data, b"%d %s\n" % (total, want.hexdigest().encode()), "the server got every byte, intact")


# ------------------------------------------------------------ logs, PROXY ----

@timeout(30)
def test_tcplog_without_target_warns(ctx):
    """option tcplog with no log target: HAProxy's warning, and it starts."""
    cfg = ("global\n    nbthread 1\ndefaults\n    mode tcp\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    option tcplog\n    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:9\n" % free_port())
    rc, out, _ = ctx.check_config(cfg)
    eq(rc, 0, "exit status")
    check("log format ignored for frontend 'fe' since it has no log address." in out, "warning: %s" % out)


@timeout(30)
def test_dst_after_accept_proxy(ctx):
    """dst and dst_port are the PROXY header's destination (v1 and v2), as
    HAProxy's are; without a header on a plain bind, the local address."""
    fe, fe2 = free_port(), free_port()
    ret = ("    http-request return status 200 content-type text/plain lf-string "
           "\"dst=%[dst] port=%[dst_port] src=%[src]\"\n")
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend f\n    bind 127.0.0.1:%d accept-proxy\n" % fe + ret +
           "frontend g\n    bind 127.0.0.1:%d\n" % fe2 + ret)
    _start(ctx, cfg)

    def raw(prefix):
        c = socket.create_connection(("127.0.0.1", fe), timeout=5)
        c.sendall(prefix + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            x = c.recv(4096)
            if not x:
                break
            data += x
        c.close()
        return data
    r = raw(b"PROXY TCP4 192.0.2.7 198.51.100.9 40000 8443\r\n")
    check(r.endswith(b"dst=198.51.100.9 port=8443 src=192.0.2.7"), "v1: %r" % r[-80:])
    body = socket.inet_aton("192.0.2.8") + socket.inet_aton("198.51.100.10") + (40001).to_bytes(2, "big") \
        + (9443).to_bytes(2, "big")
    r = raw(b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + len(body).to_bytes(2, "big") + body)
    check(r.endswith(b"dst=198.51.100.10 port=9443 src=192.0.2.8"), "v2: %r" % r[-80:])
    r = http(fe2, "GET", "/")
    eq(r.body, b"dst=127.0.0.1 port=%d src=127.0.0.1" % fe2, "no header: the local address")


def test_expect_proxy_layer4(ctx):
    """`tcp-request connection expect-proxy layer4 if COND`: the PROXY
    header is read first for the clients the condition picks (src is then
    the header's), as the bind's accept-proxy would; the others speak HTTP
    at once."""
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend f\n    bind 127.0.0.1:%d\n" % fe +
           "    tcp-request connection expect-proxy layer4 if { src 127.0.0.2 }\n"
           "    http-request return status 200 content-type text/plain lf-string \"src=%[src] dst=%[dst]\"\n")
    _start(ctx, cfg)

    def raw(src, data):
        c = socket.socket()
        c.settimeout(5)
        c.bind((src, 0))
        c.connect(("127.0.0.1", fe))
        c.sendall(data)
        out = b""
        while True:
            try:
                x = c.recv(4096)
            except ConnectionResetError:   # a refused header: closed with bytes unread
                break
            if not x:
                break
            out += x
        c.close()
        return out
    req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    r = raw("127.0.0.2", b"PROXY TCP4 192.0.2.7 198.51.100.9 40000 8443\r\n" + req)
    check(r.startswith(b"HTTP/1.1 200") and r.endswith(b"src=192.0.2.7 dst=198.51.100.9"),
          "the header is read for 127.0.0.2: %r" % r[-120:])
    r = raw("127.0.0.1", req)
    check(r.startswith(b"HTTP/1.1 200") and r.endswith(b"src=127.0.0.1 dst=127.0.0.1"),
          "127.0.0.1 speaks HTTP at once: %r" % r[-120:])
    r = raw("127.0.0.2", req)
    check(not r.startswith(b"HTTP/1.1 200"), "127.0.0.2 without a header is refused: %r" % r[:80])


def test_wait_for_handshake(ctx):
    """`http-request wait-for-handshake` is accepted: every request already
    follows a complete handshake (no early data), so it answers at once."""
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend f\n    bind 127.0.0.1:%d\n" % fe +
           "    http-request wait-for-handshake\n"
           "    http-request return status 200 content-type text/plain string ok\n")
    _start(ctx, cfg)
    r = http(fe, "GET", "/")
    eq((r.status, r.body), (200, b"ok"), "answered")
