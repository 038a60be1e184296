#!/usr/bin/env python3
"""Smoke check of bin/tandem-app (its author's own check; the black-box suite
lives in tests/integ/). Usage: python3 tools/app/smoke.py [path/to/tandem-app] [--big]
--big adds a 1 GiB upload and download. Prints one line per check, exits 1 on failure."""
import hashlib, json, os, re, signal, socket, subprocess, sys, time

APP = next((a for a in sys.argv[1:] if not a.startswith("--")), "bin/tandem-app")
BIG = "--big" in sys.argv
failed = 0


def check(name, cond, extra=""):
    global failed
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else "  " + str(extra)))
    if not cond:
        failed += 1


def pattern(off, n):
    return bytes(((off + i) * 31 + 7) & 255 for i in range(n))


class Node:
    def __init__(self, *args, name="A"):
        self.p = subprocess.Popen([APP, "--name", name, "--listen", "127.0.0.1:0", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stderr.readline().decode()
        m = re.search(r":(\d+)\s*$", line)
        assert m, "no listening line: " + line
        self.port = int(m.group(1))

    def stop(self, sig=signal.SIGINT):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = None
        self.check_stderr()
        return rc

    def check_stderr(self):
        err = self.p.stderr.read().decode(errors="replace")
        check("no sanitizer report", not re.search(r"Sanitizer|runtime error", err), err[:3000])


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    """Minimal HTTP/1.1 response reader over a socket."""

    def __init__(self, s):
        self.s, self.buf = s, b""

    def fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def response(self, head=False, sink=None):
        status = int(self.line().split()[1])
        hdrs = {}
        while True:
            l = self.line()
            if not l:
                break
            k, v = l.split(b":", 1)
            hdrs[k.decode().lower()] = v.strip().decode()
        if status == 100:
            return self.response(head, sink)
        body = b""
        if head or status in (204, 304):
            return status, hdrs, body
        if "content-length" in hdrs:
            n = int(hdrs["content-length"])
            while n:
                if not self.buf:
                    self.fill()
                k = min(n, len(self.buf))
                piece, self.buf = self.buf[:k], self.buf[k:]
                n -= k
                if sink:
                    sink(piece)
                else:
                    body += piece
        elif hdrs.get("transfer-encoding") == "chunked":
            while True:
                size = int(self.line().split(b";")[0], 16)
                if not size:
                    while self.line():
                        pass
                    break
                piece = self.take(size)
                self.take(2)
                if sink:
                    sink(piece)
                else:
                    body += piece
        else:
            try:
                while True:
                    self.fill()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        return status, hdrs, body


def req(port, method, path, body=None, hdrs=None, s=None):
    own = s is None
    s = s or connect(port)
    h = {"Host": "x"}
    h.update(hdrs or {})
    if body is not None and "Transfer-Encoding" not in h:
        h["Content-Length"] = str(len(body))
    msg = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    s.sendall(msg.encode() + (body or b""))
    r = Reader(s).response(head=method == "HEAD")
    if own:
        s.close()
    return r


def stats(port):
    return json.loads(req(port, "GET", "/admin/stats")[2])


def basics():
    n = Node("--quiet")
    P = n.port
    st, h, b = req(P, "GET", "/", hdrs={"X-Request-Id": "r1"})
    check("GET / body", st == 200 and b == b"NODE_A\n", (st, b))
    check("X-Node and X-Request-Id", h.get("x-node") == "A" and h.get("x-request-id") == "r1", h)
    t = time.monotonic()
    st, h, b = req(P, "GET", "/read")
    check("GET /read after ~5 ms", st == 200 and b == b"NODE_A\n" and time.monotonic() - t >= 0.004)
    t = time.monotonic()
    st, h, b = req(P, "POST", "/write", b"hello world", {"X-Request-Id": "w1"})
    check("POST /write", st == 200 and json.loads(b) == {"node": "A", "written": 11}
          and time.monotonic() - t >= 0.045, b)
    chunked = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
    st, h, b = req(P, "POST", "/write", chunked, {"Transfer-Encoding": "chunked", "X-Request-Id": "w1"})
    check("POST /write chunked", st == 200 and json.loads(b)["written"] == 11, b)
    s = stats(P)
    check("stats post_ids counts duplicates", s["post_ids"].get("w1") == 2 and s["post_id_dups"] == 1, s)
    check("stats per path/method", s["paths"]["/write"] == 2 and s["methods"]["POST"] == 2 and
          s["paths"]["/"] == 1, s)
    st, h, b = req(P, "GET", "/write")
    check("GET /write answers (seed 001)", st == 200 and json.loads(b) == {"node": "A", "written": 0}, b)

    # echo: content-length, chunked with odd chunking, and PUT
    data = os.urandom(300000)
    st, h, b = req(P, "POST", "/echo", data)
    j = json.loads(b)
    check("echo sha256", j == {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}, j)
    parts, off = [], 0
    for k in (1, 2, 3, 100, 4096, 65536, 1, 7777):
        parts.append(b"%x;a=b\r\n" % k + data[off:off + k] + b"\r\n")
        off += k
    body = b"".join(parts) + b"0\r\nX-T: 1\r\n\r\n"
    st, h, b = req(P, "PUT", "/echo", body, {"Transfer-Encoding": "chunked"})
    j = json.loads(b)
    check("echo chunked sha256", j["sha256"] == hashlib.sha256(data[:off]).hexdigest() and j["length"] == off, j)
    # byte-by-byte delivery of a chunked body
    s = connect(P)
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    s.sendall(head)
    small = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    for i in range(len(small)):
        s.sendall(small[i:i + 1])
        time.sleep(0.001)
    st, h, b = Reader(s).response()
    s.close()
    check("echo chunked byte by byte", json.loads(b)["sha256"] == hashlib.sha256(b"abcde").hexdigest(), b)

    # bytes: length, chunked, close, HEAD, offsets
    st, h, b = req(P, "GET", "/bytes?n=100000")
    check("bytes content-length", st == 200 and b == pattern(0, 100000) and h["content-length"] == "100000")
    st, h, b = req(P, "GET", "/bytes?n=70001&chunked=1")
    check("bytes chunked", st == 200 and h.get("transfer-encoding") == "chunked" and b == pattern(0, 70001))
    st, h, b = req(P, "GET", "/bytes?n=50000&close=1")
    check("bytes until close", st == 200 and "content-length" not in h and b == pattern(0, 50000), len(b))
    st, h, b = req(P, "HEAD", "/bytes?n=12345")
    check("HEAD bytes", st == 200 and h.get("content-length") == "12345" and b == b"")
    st, h, b = req(P, "GET", "/bytes?n=0")
    check("bytes n=0", st == 200 and b == b"")
    st, h, b = req(P, "GET", "/bytes?n=0&chunked=1")
    check("bytes n=0 chunked", st == 200 and b == b"")

    for code in (200, 201, 204, 302, 404, 418, 500, 503):
        st, h, b = req(P, "GET", f"/status?code={code}")
        check(f"status {code}", st == code and h.get("x-node") == "A")
    st, _, _ = req(P, "GET", "/status?code=99")
    check("status bad code 400", st == 400)
    st, _, _ = req(P, "GET", "/nope")
    check("unknown 404", st == 404)
    t = time.monotonic()
    st, h, b = req(P, "GET", "/slow?ms=200")
    check("slow 200 ms", st == 200 and 0.19 <= time.monotonic() - t < 1.0)

    # pipelining: three requests in one segment, answers in order
    s = connect(P)
    s.sendall(b"GET /slow?ms=30 HTTP/1.1\r\nHost: x\r\nX-Request-Id: p1\r\n\r\n"
              b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nX-Request-Id: p2\r\n\r\nabc"
              b"GET /status?code=202 HTTP/1.1\r\nHost: x\r\nX-Request-Id: p3\r\n\r\n")
    r = Reader(s)
    ids = [r.response()[1].get("x-request-id") for _ in range(3)]
    check("pipelined answers in order", ids == ["p1", "p2", "p3"], ids)
    # keep-alive: 200 requests on one connection
    ok = all(req(P, "GET", "/bytes?n=10", s=s)[0] == 200 for _ in range(200))
    check("200 requests on one keep-alive connection", ok)
    s.close()

    # HTTP/1.0: close by default, keep-alive on request
    s = connect(P)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    st, h, b = Reader(s).response()
    check("HTTP/1.0 closes", h.get("connection") == "close" and s.recv(10) == b"", h)
    s.close()
    s = connect(P)
    s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    st, h, b = Reader(s).response()
    check("HTTP/1.0 keep-alive", h.get("connection") == "keep-alive" and b == b"NODE_A\n", h)
    s.sendall(b"GET /bytes?n=10&chunked=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    st, h, b = Reader(s).response()
    check("HTTP/1.0 never gets chunked", "transfer-encoding" not in h and b == pattern(0, 10), h)
    s.close()

    # Expect: 100-continue
    s = connect(P)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    first = s.recv(100)
    s.sendall(b"xyz")
    st, h, b = Reader(s).response()
    check("100-continue", first.startswith(b"HTTP/1.1 100") and json.loads(b)["length"] == 3, first)
    s.close()

    # malformed: 400 and close
    for bad in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        s = connect(P)
        s.sendall(bad)
        st, h, b = Reader(s).response()
        rest = s.recv(100)
        check(f"malformed {bad[:20]!r} -> 400 and close", st == 400 and h.get("connection") == "close"
              and rest == b"", (st, h, rest))
        s.close()
    # oversize head
    s = connect(P)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    try:
        st = Reader(s).response()[0]
    except (EOFError, ConnectionResetError):
        st = 0
    check("oversize head rejected", st in (400, 431), st)
    s.close()
    # client disappears mid-request: server survives
    for path in ("/slow?ms=50", "/bytes?n=50000000"):
        s = connect(P)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        time.sleep(0.01)
        s.close()
    time.sleep(0.1)
    check("survives aborted clients", req(P, "GET", "/health")[0] == 200 and stats(P)["inflight"] == 0,
          stats(P)["inflight"])
    check("exit on SIGINT", n.stop(signal.SIGINT) == 0)


def faults():
    n = Node("--quiet", "--mem-limit", "64m")
    P = n.port
    j = json.loads(req(P, "GET", "/admin/fault?mode=zombie")[2])
    check("fault zombie answer", j["fault"] == "zombie", j)
    check("zombie: health 503, / 200", req(P, "GET", "/health")[0] == 503 and req(P, "GET", "/")[0] == 200)
    req(P, "POST", "/admin/fault?mode=error500")
    check("error500: / 500, health 200, admin 200", req(P, "GET", "/")[0] == 500 and
          req(P, "GET", "/health")[0] == 200 and req(P, "GET", "/admin/stats")[0] == 200)
    req(P, "GET", "/admin/fault?mode=slow&ms=150")
    t = time.monotonic()
    st = req(P, "GET", "/status?code=200")[0]
    check("slow adds 150 ms", st == 200 and time.monotonic() - t >= 0.14)
    req(P, "GET", "/admin/fault?mode=hang")
    s = connect(P)
    s.settimeout(0.3)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        got = s.recv(100)
    except socket.timeout:
        got = None
    check("hang: no answer", got is None, got)
    check("hang: admin still answers", req(P, "GET", "/admin/fault?mode=off")[0] == 200)
    s.close()
    req(P, "GET", "/admin/fault?mode=reset")
    try:
        r = req(P, "GET", "/")
    except (ConnectionResetError, EOFError):
        r = "reset"
    check("reset: connection reset", r == "reset", r)
    req(P, "GET", "/admin/fault?mode=none")
    check("off: / 200", req(P, "GET", "/")[0] == 200)
    check("bad fault mode 400", req(P, "GET", "/admin/fault?mode=bogus")[0] == 400)
    j = json.loads(req(P, "POST", "/stress?mb=60")[2])
    check("stress 60 MiB", j.get("stress_mb") == 60, j)
    check("stress: health 503 (memory)", req(P, "GET", "/health")[0] == 503)
    j = json.loads(req(P, "POST", "/admin/release")[2])
    check("release: health 200", j["released_mb"] == 60 and req(P, "GET", "/health")[0] == 200, j)
    n.stop(signal.SIGTERM)


def drain():
    n = Node("--drain-ms", "600")
    P = n.port
    s = connect(P)
    s.sendall(b"GET /slow?ms=900 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.05)
    t = time.monotonic()
    n.p.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    st, h, b = req(P, "GET", "/health")
    check("SIGTERM: health 503 at once, new connections accepted", st == 503, (st, b))
    st, h, b = req(P, "GET", "/")
    check("draining: served with Connection: close", st == 200 and h.get("connection") == "close", h)
    st, h, b = Reader(s).response()
    check("draining: in-flight request finished", st == 200 and b == b"NODE_A\n")
    rc = n.p.wait(timeout=10)
    el = time.monotonic() - t
    n.check_stderr()
    check("SIGTERM: exit 0 after the drain period", rc == 0 and 0.55 <= el < 3, (rc, el))
    log = [json.loads(l) for l in n.p.stdout.read().decode().splitlines()]
    check("access log lines", any(l.get("path") == "/slow" and l["status"] == 200 and l["ms"] >= 890 for l in log), log)
    check("event lines", any("SIGTERM" in l.get("msg", "") for l in log) and
          any("graceful shutdown complete" in l.get("msg", "") for l in log), log)

    n = Node("--quiet")
    t = time.monotonic()
    n.p.send_signal(signal.SIGUSR1)
    rc = n.p.wait(timeout=10)
    n.check_stderr()
    check("SIGUSR1: immediate graceful exit", rc == 0 and time.monotonic() - t < 0.5)

    n = Node("--quiet", "--drain-ms", "0")
    s = connect(P := n.port)
    s.sendall(b"GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.05)
    n.p.send_signal(signal.SIGTERM)
    st = Reader(s).response()[0]
    rc = n.p.wait(timeout=10)
    n.check_stderr()
    check("drain 0: waits for in-flight then exits 0", st == 200 and rc == 0)


def threads_and_ipv6():
    n = Node("--quiet", "--threads", "3")
    P = n.port
    ok = all(req(P, "GET", "/")[2] == b"NODE_A\n" for _ in range(100))
    check("threads=3 serves", ok)
    check("threads=3 stats", stats(P)["paths"]["/"] == 100)
    check("threads=3 SIGTERM exits", n.stop(signal.SIGUSR1) == 0)
    try:
        p = subprocess.Popen([APP, "--name", "B", "--listen", "[::1]:0", "--quiet"],
                             stderr=subprocess.PIPE)
        line = p.stderr.readline().decode()
        port = int(re.search(r":(\d+)\s*$", line).group(1))
        s = socket.create_connection(("::1", port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        check("IPv6 listen", Reader(s).response()[2] == b"NODE_B\n")
        p.send_signal(signal.SIGINT)
        p.wait(timeout=5)
    except OSError as e:
        print("SKIP IPv6:", e)


def big():
    n = Node("--quiet")
    P = n.port
    size = 1 << 30
    s = connect(P)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
    block = os.urandom(1 << 20)
    hsh = hashlib.sha256()
    t = time.monotonic()
    for _ in range(size >> 20):
        s.sendall(block)
        hsh.update(block)
    j = json.loads(Reader(s).response()[2])
    el = time.monotonic() - t
    check(f"1 GiB echo ({el:.1f} s)", j == {"sha256": hsh.hexdigest(), "length": size}, j)
    s.sendall(b"GET /bytes?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
    got = [0]
    h2 = hashlib.sha256()

    def sink(piece):
        got[0] += len(piece)
        h2.update(piece)
    t = time.monotonic()
    Reader(s).response(sink=sink)
    el = time.monotonic() - t
    ref = hashlib.sha256()
    unit = pattern(0, 1 << 20)  # period 256 divides 1 MiB
    for _ in range(size >> 20):
        ref.update(unit)
    check(f"1 GiB download ({el:.1f} s)", got[0] == size and h2.hexdigest() == ref.hexdigest())
    rss = stats(P)["rss"]
    check(f"flat memory (rss {rss >> 20} MiB)", rss < 64 << 20, rss)
    n.stop()


basics()
faults()
drain()
threads_and_ipv6()
if BIG:
    big()
print(f"{failed} failed")
sys.exit(1 if failed else 0)
