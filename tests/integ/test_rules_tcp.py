"""The rules language before HTTP: tcp-request connection / session at
accept, tcp-request content with inspect-delay (payload routing, SNI
routing of TLS passthrough), switch-mode http and a TCP frontend upgraded
by an HTTP backend, tcp-response content. Real sockets both sides; the
same configurations run against HAProxy 2.6 (PROXY=haproxy)."""
import socket
import ssl
import time

from harness import (Client, check, cpu_seconds, eq, free_port, poll_until, response_bytes,
                     serve_keepalive)


def tcp_node(ctx, name, greet=None):
    """A TCP backend: records what it receives (first read), answers
    "<name>:" followed by those bytes, or <greet> before reading."""
    def handler(conn, reader, srv):
        conn.settimeout(5)
        if greet is not None:
            conn.sendall(greet)
        data = conn.recv(65536)
        srv.record(data)
        if data and greet is None:
            conn.sendall(name.encode() + b":" + data)
        while conn.recv(65536):
            pass
    return ctx.raw_server(handler)


def http_node(ctx, name):
    def respond(req):
        return response_bytes(200, "OK", [("X-Node", name)], req.raw_head)
    return ctx.raw_server(serve_keepalive(respond))


def tcp_cfg(port, fe, backends, default="a", mode_fe="tcp", extra=""):
    """A TCP frontend with <fe> lines and backends {name: (mode, port, be_lines)}."""
    out = ["global", "    nbthread 1", "defaults", "    timeout connect 2s", "    timeout client 10s",
           "    timeout server 10s", "frontend fe", "    mode %s" % mode_fe, "    bind 127.0.0.1:%d" % port]
    if default:
        out.append("    default_backend %s" % default)
    out += ["    " + l for l in fe.strip().splitlines() if l.strip()]
    for name, (mode, p, lines) in backends.items():
        out += ["backend %s" % name, "    mode %s" % mode]
        out += ["    " + l for l in lines.strip().splitlines() if l.strip()]
        out.append("    server %s1 127.0.0.1:%d" % (name, p))
    return "\n".join(out) + "\n" + extra


def exchange(port, data, delay=0.0, timeout=5.0):
    """Connect, wait <delay>, send <data>, read until the proxy closes or
    <timeout>. Returns the bytes received (b"" when closed at once)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if delay:
            time.sleep(delay)   # the client is slow on purpose: the rules must wait for it
        try:
            if data:
                s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            return b""   # refused meanwhile (reset)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


# ------------------------------------------------------ at accept ----------

def test_tcp_request_connection_reject(ctx):
    a = tcp_node(ctx, "A")
    port = free_port()
    ctx.proxy(tcp_cfg(port, "tcp-request connection reject if { src 127.0.0.1 }", {"a": ("tcp", a.port, "")}))
    eq(exchange(port, b"hello"), b"", "the connection is closed at once")
    eq(a.accepts, 0, "the server was never contacted")


def test_tcp_request_connection_accept_then_reject(ctx):
    a = tcp_node(ctx, "A")
    port = free_port()
    fe = "tcp-request connection accept if { src 127.0.0.1 }\ntcp-request connection reject"
    ctx.proxy(tcp_cfg(port, fe, {"a": ("tcp", a.port, "")}))
    eq(exchange(port, b"hello"), b"A:hello", "accept stops the rule set")


def test_tcp_request_session_in_http(ctx):
    a = http_node(ctx, "A")
    port = free_port()
    fe = "tcp-request session set-var(sess.origin) src\ntcp-request session reject if { src 127.0.0.2 }\n" \
         "http-request set-header X-Origin %[var(sess.origin)]"
    ctx.proxy(tcp_cfg(port, fe, {"a": ("http", a.port, "")}, mode_fe="http"))
    r = Client(port).get("/")
    eq(r.status, 200, "accepted")
    check(b"x-origin: 127.0.0.1" in r.body.lower(), "a sess variable set at accept: %r" % r.body)


# ------------------------------------------------------ content ------------

def test_tcp_content_waits_for_payload(ctx):
    a, b = tcp_node(ctx, "A"), tcp_node(ctx, "B")
    port = free_port()
    fe = "tcp-request inspect-delay 5s\ntcp-request content accept if { req.len ge 4 }\n" \
         "use_backend b if { req.payload(0,4) -m str PING }"
    px = ctx.proxy(tcp_cfg(port, fe, {"a": ("tcp", a.port, ""), "b": ("tcp", b.port, "")}))
    t0 = time.monotonic()
    got = exchange(port, b"PING me", delay=0.3)
    eq(got, b"B:PING me", "routed by the payload that came after the connection")
    check(time.monotonic() - t0 < 4.0, "decided when the data came, not at the end of the inspect delay")
    eq(exchange(port, b"HELO you"), b"A:HELO you", "other payloads: default_backend")


def test_tcp_content_wait_does_not_spin(ctx):
    a = tcp_node(ctx, "A")
    port = free_port()
    fe = "tcp-request inspect-delay 3s\ntcp-request content accept if { req.len ge 100 }"
    px = ctx.proxy(tcp_cfg(port, fe, {"a": ("tcp", a.port, "")}))
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"short")
    c0 = cpu_seconds(px.pid)
    time.sleep(1.0)   # a stream waiting on its inspect delay: measure what it costs meanwhile
    used = cpu_seconds(px.pid) - c0
    check(used < 0.3, "the waiting stream spun: %.2fs of CPU in 1s" % used)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(6)
    data = b""
    while True:
        d = s.recv(100)
        if not d:
            break
        data += d
    s.close()
    eq(data, b"A:short", "the client's end decides: what came goes on")


def test_tcp_content_delay_expires(ctx):
    """No decision before the inspect delay ends: the rules then decide
    with what they have (here: the default backend)."""
    a, b = tcp_node(ctx, "A"), tcp_node(ctx, "B")
    port = free_port()
    fe = "tcp-request inspect-delay 500ms\ntcp-request content accept if { req.len ge 100 }\n" \
         "use_backend b if { req.len ge 100 }"
    px = ctx.proxy(tcp_cfg(port, fe, {"a": ("tcp", a.port, ""), "b": ("tcp", b.port, "")}))
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"tiny")
    poll_until(lambda: a.accepts == 1, 5, "the default backend is used once the delay is over")
    s.close()
    eq(b.accepts, 0, "the other backend never")


def test_tcp_content_reject(ctx):
    a = tcp_node(ctx, "A")
    port = free_port()
    fe = "tcp-request inspect-delay 2s\ntcp-request content reject if { req.payload(0,3) -m str BAD }\n" \
         "tcp-request content accept if { req.len gt 0 }"
    ctx.proxy(tcp_cfg(port, fe, {"a": ("tcp", a.port, "")}))
    eq(exchange(port, b"BAD stuff"), b"", "rejected")
    eq(exchange(port, b"GOOD stuff"), b"A:GOOD stuff", "accepted")
    eq([d for d in a.requests if d], [b"GOOD stuff"], "only the accepted payload reached the server")


def client_hello(name):
    """The bytes of a real TLS ClientHello naming <name> (OpenSSL through
    Python's ssl module, nothing sent anywhere)."""
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = c.wrap_bio(i, o, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return o.read()


def test_sni_routing_passthrough(ctx):
    a, b, d = tcp_node(ctx, "A"), tcp_node(ctx, "B"), tcp_node(ctx, "D")
    port = free_port()
    fe = "\n".join([
        "tcp-request inspect-delay 5s",
        "tcp-request content accept if { req.ssl_hello_type 1 }",
        "use_backend a if { req.ssl_sni -i a.example }",
        "use_backend b if { req.ssl_sni -m end .b.example }",
    ])
    ctx.proxy(tcp_cfg(port, fe, {"a": ("tcp", a.port, ""), "b": ("tcp", b.port, ""), "d": ("tcp", d.port, "")},
                      default="d"))
    for name, want in (("A.example", "A"), ("x.b.example", "B"), ("other.example", "D")):
        hello = client_hello(name)
        half = len(hello) // 2
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(hello[:half])      # the hello comes in two parts: the rules wait for the rest
        time.sleep(0.1)
        s.sendall(hello[half:])
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            x = s.recv(65536)
            if not x:
                break
            got += x
        s.close()
        check(got.startswith(want.encode() + b":"), "SNI %s went to %r" % (name, got[:10]))
        check(got.endswith(hello), "the hello is forwarded as it came")


# ------------------------------------------------------ into HTTP ----------

def test_switch_mode_http(ctx):
    a = http_node(ctx, "A")
    port = free_port()
    fe = "\n".join([
        "tcp-request inspect-delay 2s",
        "tcp-request content switch-mode http if HTTP",
        "http-request set-header X-Switched yes",
    ])
    ctx.proxy(tcp_cfg(port, fe, {"a": ("http", a.port, "")}))
    c = Client(port)
    r = c.get("/one")
    eq(r.status, 200, "HTTP after switch-mode")
    check(b"x-switched: yes" in r.body.lower(), "the frontend's http-request rules apply: %r" % r.body)
    r = c.get("/two")
    check(b"GET /two" in r.body and b"x-switched: yes" in r.body.lower(), "the next request too: %r" % r.body)
    c.close()


def test_tcp_frontend_http_backend_upgrade(ctx):
    a = http_node(ctx, "A")
    port = free_port()
    ctx.proxy(tcp_cfg(port, "", {"a": ("http", a.port, "http-request set-header X-Up yes")}))
    c = Client(port)
    r = c.get("/a")
    eq(r.status, 200, "upgraded to HTTP by the backend")
    check(b"x-up: yes" in r.body.lower(), "the backend's rules apply: %r" % r.body)
    r = c.get("/b")
    check(b"GET /b" in r.body and b"x-up: yes" in r.body.lower(), "keep-alive after the upgrade: %r" % r.body)
    c.close()


# ------------------------------------------------------ responses ----------

def test_tcp_response_content(ctx):
    bad = tcp_node(ctx, "X", greet=b"BAD banner\r\n")
    good = tcp_node(ctx, "Y", greet=b"OK banner\r\n")
    port = free_port()
    fe = "use_backend good if { dst_port %d }" % 0
    be = "tcp-response inspect-delay 2s\ntcp-response content reject if { res.payload(0,3) -m str BAD }\n" \
         "tcp-response content accept if { res.len gt 0 }"
    ctx.proxy(tcp_cfg(port, "", {"bad": ("tcp", bad.port, be)}, default="bad"))
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    got = b""
    try:
        while True:
            d = s.recv(100)
            if not d:
                break
            got += d
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    eq(got, b"", "the server's banner was rejected: nothing reaches the client")
    port2 = free_port()
    ctx.proxy(tcp_cfg(port2, "", {"good": ("tcp", good.port, be)}, default="good"), name="proxy2")
    s = socket.create_connection(("127.0.0.1", port2), timeout=5)
    eq(s.recv(100), b"OK banner\r\n", "an accepted banner is forwarded")
    s.close()
    del fe
