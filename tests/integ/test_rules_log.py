"""Captures, log-format, unique ids and set-log-level in the access log of
live traffic, against tandem and HAProxy 2.6 (PROXY=haproxy): the log goes
to the proxy's stdout in raw format and the test reads it from there."""
import re

from harness import (Client, check, config, eq, free_port, haproxy_differs, poll_until, response_bytes,
                     serve_keepalive)

LOG = "log stdout format raw local0"


def node(ctx, name="A"):
    def respond(req):
        return response_bytes(200, "OK", [("X-Node", name), ("X-Id-Seen", req.header("x-req-id") or "-")], b"ok")
    return ctx.raw_server(serve_keepalive(respond))


def start(ctx, fe, defaults_extra=""):
    a = node(ctx)
    port = free_port()
    px = ctx.proxy(config(port, [("s1", a.port)], fe_extra=LOG + "\n" + fe, defaults_extra=defaults_extra))
    return px, port


def lines(px, pat):
    return [l for l in px.proc.out().splitlines() if re.search(pat, l)]


def wait_line(px, pat, what):
    return poll_until(lambda: lines(px, pat), 5, what)[0]


def test_httplog_with_captures(ctx):
    fe = "option httplog\ncapture request header Host len 20\ncapture request header User-Agent len 5\n" \
         "capture response header X-Node len 10"
    px, port = start(ctx, fe)
    eq(Client(port).get("/cap", [("User-Agent", "curl/8.0")]).status, 200, "status")
    l = wait_line(px, r"GET /cap", "the access log line")
    check(re.search(r' \{test.local\|curl/\} \{A\} "GET /cap HTTP/1.1"$', l),
          "httplog with %%hr %%hs (captures truncated to their length): %r" % l)


def test_log_format_fields(ctx):
    fe = "\n".join([
        "http-request set-var(txn.who) req.hdr(x-who)",
        'log-format "%ci %ft %b/%s %ST %{+Q}r who=%[var(txn.who)] %HM %HP %hr"',
        "capture request header X-Who len 8",
    ])
    px, port = start(ctx, fe)
    Client(port).get("/lf?a=1", [("X-Who", "alice")])
    l = wait_line(px, r"who=alice", "the log-format line")
    eq(l, '127.0.0.1 fe be/s1 200 "GET /lf?a=1 HTTP/1.1" who=alice GET /lf {alice}', "log-format fields")


def test_unique_id(ctx):
    fe = "\n".join([
        "unique-id-format %{+X}o\\ %ci_%Ts_%rt",
        "unique-id-header X-Req-ID",
        'log-format "id=%ID st=%ST"',
        "http-response set-header X-Logged-Id %[unique-id]",
    ])
    px, port = start(ctx, fe)
    r = Client(port).get("/u")
    seen = r.header("x-id-seen")
    check(re.match(r"^7F000001_[0-9A-F]+_[0-9A-F]+$", seen or ""), "the server got the id: %r" % seen)
    eq(r.header("x-logged-id"), seen, "unique-id fetch in a response rule")
    wait_line(px, r"^id=%s st=200$" % re.escape(seen), "the same id in the log")


@haproxy_differs("HAProxy 2.6.12 still writes the line of a request set to 'silent' (log stdout format raw)")
def test_set_log_level_silent(ctx):
    fe = 'http-request set-log-level silent if { path /quiet }\nlog-format "path=%HP"'
    px, port = start(ctx, fe)
    c = Client(port)
    c.get("/quiet")
    c.get("/loud")
    c.close()
    wait_line(px, r"^path=/loud$", "the normal request's line")
    eq(lines(px, r"/quiet"), [], "no line for the silenced request")


def test_declare_capture_response(ctx):
    fe = "\n".join([
        "declare capture response len 4",
        "http-request capture req.hdr(x-tag) len 6",
        "http-response capture res.hdr(x-node) id 0",
        'log-format "rq=%hr rs=%hs"',
    ])
    px, port = start(ctx, fe)
    Client(port).get("/d", [("X-Tag", "tagvalue")])
    wait_line(px, r"^rq=\{tagval\} rs=\{A\}$", "captures by rules in the log")


def test_log_format_on_a_deny(ctx):
    fe = 'http-request deny if { path /no }\nlog-format "%ST %b/%s %ts"'
    px, port = start(ctx, fe)
    eq(Client(port).get("/no").status, 403, "denied")
    wait_line(px, r"^403 fe/<NOSRV> PR$", "a denied request is logged with the frontend and PR")


def test_tcp_log_format(ctx):
    a = node(ctx)
    port = free_port()
    cfg = "\n".join([
        "global", "    nbthread 1", "defaults", "    timeout connect 2s", "    timeout client 10s",
        "    timeout server 10s", "frontend fe", "    mode tcp", "    bind 127.0.0.1:%d" % port,
        "    " + LOG, '    log-format "tcp %ci %b/%s %ts %[var(sess.x)]"',
        "    tcp-request connection set-var(sess.x) str(hello)",
        "    default_backend be", "backend be", "    mode tcp", "    server s1 127.0.0.1:%d" % a.port, "",
    ])
    px = ctx.proxy(cfg)
    c = Client(port)
    c.get("/t")
    c.close()
    wait_line(px, r"^tcp 127\.0\.0\.1 be/s1 -- hello$", "the TCP log line with a sess variable")
