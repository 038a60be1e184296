"""Core relaying: GET, keep-alive, server connection reuse, pipelining,
Expect: 100-continue, bodiless responses, chunked and until-close bodies,
and a real client (curl)."""
import json
import random
import shutil
import socket
import subprocess

from harness import (Client, Deadline, PatternChecker, app_proxy, check, chunked, eq, http, parse_json,
                     response_bytes, serve_keepalive, sha256_hex, start_simple)


def test_get(ctx):
    px, _ = app_proxy(ctx, ["A"])
    r = http(px.port, "GET", "/")
    eq(r.status, 200, "status")
    eq(r.body, b"NODE_A\n", "body")
    eq(r.header("x-node"), "A", "X-Node header")


def test_client_keepalive(ctx):
    px, _ = app_proxy(ctx, ["A"])
    c = Client(px.port)
    for i in range(50):
        r = c.get("/read")
        eq(r.status, 200, "status of request %d on one connection" % (i + 1))
        eq(r.body, b"NODE_A\n", "body of request %d" % (i + 1))
        check("close" not in r.tokens("connection"),
              "proxy announced Connection: close on request %d of a keep-alive connection" % (i + 1))
    check(not c.closed(0.2), "proxy closed an idle keep-alive connection at once")
    c.close()


def test_server_connection_reuse(ctx):
    srv = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [("X-Node", "R")], b"ok\n")))
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    n = 20
    for i in range(n):
        r = c.get("/x%d" % i)
        eq(r.status, 200, "status of request %d" % (i + 1))
    c.close()
    eq(len(srv.requests), n, "requests seen by the backend")
    check(srv.accepts <= 2, "backend accepted %d connections for %d keep-alive requests (no reuse)"
          % (srv.accepts, n))


def test_pipelined_requests_in_order(ctx):
    px, _ = app_proxy(ctx, ["A"])
    c = Client(px.port)
    reqs = b"".join(b"GET /status?code=%d HTTP/1.1\r\nHost: x\r\n\r\n" % code for code in (201, 202, 203))
    reqs += b"GET /bytes?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"
    c.send(reqs)
    for want in (201, 202, 203):
        eq(c.response().status, want, "status of pipelined response")
    r = c.response()
    eq((r.status, r.body_len), (200, 3), "4th pipelined response (status, body length)")
    r = c.get("/")
    eq(r.body, b"NODE_A\n", "request after the pipelined batch")
    c.close()


def test_expect_100_continue(ctx):
    px, _ = app_proxy(ctx, ["A"])
    body = random.Random(7).randbytes(100000)
    c = Client(px.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body))
    first = c.response(keep_1xx=True, timeout=3)
    eq(first.status, 100, "first response to Expect: 100-continue (before the body was sent)")
    eq(first.version, "HTTP/1.1", "interim response version")
    c.send(body)
    r = c.response(method="POST")
    eq(r.status, 200, "final status")
    j = parse_json(r.body)
    eq((j.get("length"), j.get("sha256")), (len(body), sha256_hex(body)), "echo of the body")
    c.close()


def _bodiless_backend(req):
    if req.method == "HEAD":
        return response_bytes(200, "OK", [("Content-Length", "1000"), ("X-Kind", "head")], b"", content_length=False)
    if req.target == "/204":
        return response_bytes(204, "No Content", [("X-Kind", "204")], b"", content_length=False)
    if req.target == "/304":
        return response_bytes(304, "Not Modified", [("Content-Length", "50"), ("ETag", '"v1"')], b"",
                              content_length=False)
    return response_bytes(200, "OK", [("X-Kind", "after")], b"after\n")


def test_head_204_304_without_body(ctx):
    srv = ctx.raw_server(serve_keepalive(_bodiless_backend))
    px = start_simple(ctx, [("s1", srv.port)])
    c = Client(px.port)
    for method, target, status in (("HEAD", "/", 200), ("GET", "/204", 204), ("GET", "/304", 304)):
        r = c.request(method, target, timeout=3)
        eq(r.status, status, "%s %s status" % (method, target))
        if method == "HEAD":
            eq(r.header("content-length"), "1000", "Content-Length of the HEAD response")
        # if the proxy sent body bytes or hangs waiting for one, this breaks
        r2 = c.get("/after", timeout=3)
        eq((r2.status, r2.body), (200, b"after\n"), "response after %s %s on the same connection" % (method, target))
    c.close()


def test_head_through_app(ctx):
    px, _ = app_proxy(ctx, ["A"])
    c = Client(px.port)
    r = c.request("HEAD", "/", timeout=3)
    eq(r.status, 200, "HEAD status")
    eq(c.get("/").body, b"NODE_A\n", "GET after HEAD")
    c.close()


def test_chunked_request_body(ctx):
    px, _ = app_proxy(ctx, ["A"])
    body = random.Random(1).randbytes(300000)
    c = Client(px.port)
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    c.send(chunked(body, (1, 10, 8191, 65536, 3)))
    r = c.response("POST")
    eq(r.status, 200, "status")
    j = parse_json(r.body)
    eq((j.get("length"), j.get("sha256")), (len(body), sha256_hex(body)), "echo of the chunked body")
    # and the connection stays usable
    eq(c.get("/").status, 200, "request after a chunked upload")
    c.close()


def test_chunked_response_body(ctx):
    px, _ = app_proxy(ctx, ["A"])
    c = Client(px.port)
    pc = PatternChecker()
    c.send(b"GET /bytes?n=500000&chunked=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.response(sink=pc.feed)
    eq(r.status, 200, "status")
    eq(pc.count, 500000, "body length")
    check(pc.ok, "body differs from /bytes pattern at offset %s" % pc.first_bad)
    eq(c.get("/").status, 200, "request after a chunked response")
    c.close()


def _until_close(port, n, version):
    c = Client(port)
    pc = PatternChecker()
    c.send(b"GET /bytes?n=%d&close=1 HTTP/%s\r\nHost: x\r\n\r\n" % (n, version))
    try:
        # well under the 10s client/server timeouts: the end must come from the FIN
        r = c.response(sink=pc.feed, timeout=3)
    finally:
        c.close()
    eq(r.status, 200, "status")
    eq(pc.count, n, "body length of an until-close response to HTTP/%s" % version.decode())
    check(pc.ok, "body differs from /bytes pattern at offset %s" % pc.first_bad)
    return r


def test_until_close_response(ctx):
    """The end of an until-close body is the server's FIN, which may arrive
    with the last bytes or after them: several sizes, twice each."""
    px, _ = app_proxy(ctx, ["A"])
    for n in (10, 1000, 100000, 2000000):
        for _ in range(2):
            _until_close(px.port, n, b"1.1")


def test_until_close_response_http10(ctx):
    px, _ = app_proxy(ctx, ["A"])
    for n in (10, 100000):
        for _ in range(2):
            r = _until_close(px.port, n, b"1.0")
            check(not r.chunked, "chunked response sent to an HTTP/1.0 client")


def test_until_close_raw_backend(ctx):
    """Head, body and FIN sent back to back by the backend, 10 times: the
    proxy must end each response at the FIN (not at a timeout)."""
    body = b"z" * 5000

    def handler(conn, reader, srv):
        srv.read_request(reader)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body)
        conn.shutdown(socket.SHUT_WR)
    srv = ctx.raw_server(handler)
    px = start_simple(ctx, [("s1", srv.port)])
    for i in range(10):
        c = Client(px.port)
        try:
            r = c.get("/", timeout=3)
        except AssertionError as e:
            raise AssertionError("attempt %d: %s" % (i + 1, e))
        finally:
            c.close()
        eq((r.status, r.body), (200, body), "attempt %d: until-close response" % (i + 1))


def test_backend_closes_mid_body(ctx):
    """The backend promises 100000 bytes, sends 1000 and closes: the client
    must get a truncated body and a closed connection, not a hang. Repeated,
    since the FIN may come with the data or after it."""
    def handler(conn, reader, srv):
        srv.read_request(reader)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
    srv = ctx.raw_server(handler)
    px = start_simple(ctx, [("s1", srv.port)])
    for i in range(5):
        c = Client(px.port)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        dl = Deadline(3)
        try:
            while c.reader._fill(dl):
                pass
        except AssertionError:
            pass
        got = bytes(c.reader.buf)
        c.close()
        check(c.reader.eof, "attempt %d: proxy did not close the client connection within 3s after the backend "
              "aborted mid-body (client got %d bytes)" % (i + 1, len(got)))
        check(got.startswith(b"HTTP/1.1 200"), "client did not get the response head: %r" % got[:100])
        body = got.split(b"\r\n\r\n", 1)[1]
        check(len(body) < 100000, "client got a complete body from a truncated response")


def test_curl(ctx):
    curl = shutil.which("curl")
    check(curl, "curl is not installed (apt-get install curl)")
    px, _ = app_proxy(ctx, ["A"])
    base = "http://127.0.0.1:%d" % px.port
    body = random.Random(3).randbytes(200000)
    with open(ctx.path("up.bin"), "wb") as f:
        f.write(body)
    p = subprocess.run([curl, "-sS", "-v", "--max-time", "10",
                        "-o", ctx.path("get.out"), base + "/",
                        "-o", ctx.path("bytes.out"), base + "/bytes?n=100000&chunked=1"],
                       capture_output=True, timeout=20)
    eq(p.returncode, 0, "curl exit status (stderr %r)" % p.stderr[-400:])
    with open(ctx.path("get.out"), "rb") as f:
        eq(f.read(), b"NODE_A\n", "curl GET body")
    with open(ctx.path("bytes.out"), "rb") as f:
        data = f.read()
    pc = PatternChecker()
    pc.feed(data)
    check(len(data) == 100000 and pc.ok, "curl /bytes body wrong (length %d)" % len(data))
    check(b"Re-using existing connection" in p.stderr, "curl did not reuse its keep-alive connection")
    p = subprocess.run([curl, "-sS", "--max-time", "10", "--data-binary", "@" + ctx.path("up.bin"),
                        "-H", "Content-Type: application/octet-stream", base + "/echo"],
                       capture_output=True, timeout=20)
    eq(p.returncode, 0, "curl POST exit status (stderr %r)" % p.stderr[-400:])
    j = json.loads(p.stdout)
    eq((j.get("length"), j.get("sha256")), (len(body), sha256_hex(body)), "curl POST echo")
