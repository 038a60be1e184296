"""tandem with real third-party programs around it: nginx as the origin
server (keep-alive, static files, chunked responses), HAProxy in front."""
import hashlib
import os
import random

from harness import Client, PatternChecker, app_proxy, check, eq, free_port, start_simple


def _nginx_origin(ctx):
    """nginx serving a 3 MiB static file (Content-Length) and an SSI page
    (length unknown in advance, so nginx sends it chunked)."""
    root = ctx.path("www")
    os.makedirs(root)
    data = random.Random(11).randbytes(3 << 20)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(root, "page.html"), "w") as f:
        f.write("<p><!--# echo var=\"uri\" --></p>\n" + "x" * 100000 + "\n")
    port = free_port()
    ng = ctx.nginx("""
 server {
  listen 127.0.0.1:%d;
  keepalive_requests 10000;
  root %s;
  location = /hello { add_header X-Node nginx; return 200 "NODE_nginx\\n"; }
  location ~ \\.html$ { ssi on; }
 }""" % (port, root))
    return ng, data


def test_nginx_origin(ctx):
    ng, data = _nginx_origin(ctx)
    px = start_simple(ctx, [("ng", ng.port)])
    c = Client(px.port)
    for i in range(20):
        r = c.get("/hello")
        eq((r.status, r.body, r.header("x-node")), (200, b"NODE_nginx\n", "nginx"), "nginx answer %d" % (i + 1))
    r = c.get("/big.bin", timeout=10)
    eq(r.status, 200, "static file status")
    eq((len(r.body), hashlib.sha256(r.body).hexdigest()), (len(data), hashlib.sha256(data).hexdigest()),
       "3 MiB static file through the proxy")
    r = c.get("/page.html", timeout=10)
    eq(r.status, 200, "SSI page status")
    check(r.body.startswith(b"<p>/page.html</p>\n") and len(r.body) == len("<p>/page.html</p>\n") + 100001,
          "SSI page (chunked from nginx) arrived wrong: %d bytes, starts %r" % (len(r.body), r.body[:40]))
    eq(c.get("/hello").status, 200, "request after the chunked page")
    c.close()


def test_haproxy_in_front(ctx):
    """HAProxy -> tandem -> tandem-app: tandem's responses satisfy HAProxy's
    own strict response parser, with keep-alive on both hops."""
    px, _ = app_proxy(ctx, ["A"])
    port = free_port()
    ha = ctx.haproxy("defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n"
                     "    timeout server 10s\nfrontend f\n    bind 127.0.0.1:%d\n    default_backend b\n"
                     "backend b\n    server t 127.0.0.1:%d\n" % (port, px.port))
    c = Client(ha.port)
    for _ in range(10):
        eq(c.get("/").body, b"NODE_A\n", "body through HAProxy and tandem")
    pc = PatternChecker()
    c.send(b"GET /bytes?n=1000000&chunked=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.response(sink=pc.feed, timeout=10)
    check(r.status == 200 and pc.count == 1000000 and pc.ok, "chunked body through both proxies broken")
    c.close()
