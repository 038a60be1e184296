#!/usr/bin/env python3
"""A Python stand-in for bin/tandem-app, used only to validate the tests
(TANDEM_APP=python), e.g. against HAProxy before tandem-app existed. Same
command line and the subset of endpoints the tests use:

  pyapp.py --name A --listen 127.0.0.1:PORT [--quiet]
  GET / and /read -> "NODE_A\\n"; POST /write; GET /slow?ms=N; POST /echo ->
  {"sha256":"..","length":N}; GET /bytes?n=N[&chunked=1|&close=1];
  GET /status?code=N; GET /health; GET /admin/stats (JSON counters)
  Every response carries X-Node: A. Expect: 100-continue is honoured.
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

STATS = {"requests": 0, "connections": 0, "request_ids": []}
LOCK = threading.Lock()


def respond(conn, name, status, body, extra=(), close=False, chunked=False):
    h = [("X-Node", name), ("Content-Type", "text/plain")] + list(extra)
    if close:
        h.append(("Connection", "close"))
    if chunked:
        h.append(("Transfer-Encoding", "chunked"))
        conn.sendall(harness.response_bytes(status, "OK", h, b"", content_length=False))
        conn.sendall(harness.chunked(body, (1000, 65536, 17)))
    else:
        conn.sendall(harness.response_bytes(status, "OK", h, body))


def read_body_stream(conn, reader, req_head, dl, sink):
    te = req_head.tokens("transfer-encoding")
    if te and te[-1] == "chunked":
        reader.read_chunked(dl, sink)
    elif req_head.header("content-length"):
        reader.read_exact(int(req_head.header("content-length")), dl, sink)


def serve(conn, name):
    reader = harness.Reader(conn)
    with LOCK:
        STATS["connections"] += 1
    while True:
        dl = harness.Deadline(3600)
        try:
            if not reader.buf and not reader._fill(dl):
                return
            req = harness.parse_head(reader.read_head(dl), True)
        except (harness.PeerClosed, OSError):
            return
        with LOCK:
            STATS["requests"] += 1
            rid = req.header("x-request-id")
            if rid:
                STATS["request_ids"].append(rid)
        if req.header("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        h = hashlib.sha256()
        n = [0]

        def sink(p):
            h.update(p)
            n[0] += len(p)
        read_body_stream(conn, reader, req, dl, sink)
        u = urllib.parse.urlsplit(req.target)
        q = dict(urllib.parse.parse_qsl(u.query))
        close = req.header("connection", "").lower() == "close"
        path = u.path
        if path in ("/", "/read"):
            respond(conn, name, 200, ("NODE_%s\n" % name).encode(), close=close)
        elif path == "/write":
            respond(conn, name, 200, ("NODE_%s\n" % name).encode(), close=close)
        elif path == "/slow":
            time.sleep(int(q.get("ms", "0")) / 1000.0)
            respond(conn, name, 200, ("NODE_%s\n" % name).encode(), close=close)
        elif path == "/echo":
            body = json.dumps({"sha256": h.hexdigest(), "length": n[0]}).encode()
            respond(conn, name, 200, body, [("Content-Type", "application/json")], close=close)
        elif path == "/bytes":
            total = int(q.get("n", "0"))
            if q.get("close") == "1":
                conn.sendall(("HTTP/1.1 200 OK\r\nX-Node: %s\r\nConnection: close\r\n\r\n" % name).encode())
                send_pattern(conn, total)
                return
            if q.get("chunked") == "1":
                conn.sendall(("HTTP/1.1 200 OK\r\nX-Node: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % name).encode())
                off = 0
                while off < total:
                    k = min(1 << 16, total - off)
                    conn.sendall(b"%x\r\n" % k + harness.pattern_bytes(k, off) + b"\r\n")
                    off += k
                conn.sendall(b"0\r\n\r\n")
            else:
                conn.sendall(("HTTP/1.1 200 OK\r\nX-Node: %s\r\nContent-Length: %d\r\n\r\n" % (name, total)).encode())
                send_pattern(conn, total)
        elif path == "/status":
            code = int(q.get("code", "200"))
            respond(conn, name, code, b"" if code in (204, 304) else ("status %d\n" % code).encode(), close=close)
        elif path == "/health":
            respond(conn, name, 200, b"OK\n", close=close)
        elif path == "/admin/stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            respond(conn, name, 200, body, [("Content-Type", "application/json")], close=close)
        else:
            respond(conn, name, 404, b"not found\n", close=close)
        if close:
            return


def send_pattern(conn, total):
    block = harness.pattern_bytes(harness.PATTERN_PERIOD * 4096)
    off = 0
    while off < total:
        k = min(len(block), total - off)
        conn.sendall(block[:k])   # block length is a multiple of the period
        off += k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="A")
    ap.add_argument("--listen", required=True)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(128)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve_safe, args=(c, a.name), daemon=True).start()


def serve_safe(c, name):
    try:
        serve(c, name)
    except OSError:
        pass
    finally:
        c.close()


if __name__ == "__main__":
    main()
