"""tandem-app with a real Redis (Debian's redis-server, started here on a free
port and stopped by PID): todos shared by every node and surviving a
node's death; Redis killed and back turns deep health red and green while /
keeps answering; a hung Redis (SIGSTOP) answers 503 after --redis-timeout-ms
instead of hanging; pipelined and abandoned requests while Redis answers."""
import os
import shutil
import signal
import socket

from harness import (Backend, check, config, eq, free_port, http, parse_json, poll_until, wait_port)
from test_app import app_only, jget, log_lines, start_app

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def start_redis(ctx, name="redis", port=None):
    """redis-server on 127.0.0.1:<port> (a free one by default), no
    persistence, its files in the test's directory."""
    app_only()
    check(os.access(REDIS, os.X_OK), "redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    p = ctx.spawn(name, [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--dir", ctx.tmpdir, "--daemonize", "no"])
    wait_port(port, 10, p)
    return Backend(name, port, p)


def redis_args(r, *more):
    return ["--redis", "127.0.0.1:%d" % r.port] + list(more)


def test_todos_shared_and_survive_a_node(ctx):
    """Nodes A and B share one Redis behind tandem: todos created through
    the balancer (so on both nodes) are all listed by either node; after A
    is SIGKILLed every todo is still there through tandem and from B; a new
    A sees them all."""
    r = start_redis(ctx)
    a = ctx.app("A", redis_args(r))
    b = ctx.app("B", redis_args(r))
    port = free_port()
    ctx.proxy(config(port, [("A", a.port, "check inter 200ms fall 1 rise 1"),
                            ("B", b.port, "check inter 200ms fall 1 rise 1")],
                     balance="roundrobin", be_extra="option httpchk GET /health_check\noption redispatch\n"
                     "retries 2\nretry-on conn-failure empty-response"))
    # checked servers start DOWN: wait until both take traffic
    poll_until(lambda: {http(port, "GET", "/health_check").header("x-node") for _ in range(4)} == {"A", "B"},
               10, "tandem to serve from A and B")
    made_on = set()
    for i in range(6):
        st, d = jget(port, "/api/todos", "POST", body=b'{"text":"todo %d"}' % i, want=201)
        made_on.add(d["todo"]["node"])
    eq(made_on, {"A", "B"}, "todos were created on both nodes")
    for node in (a, b):
        st, d = jget(node.port, "/api/todos", want=200)
        eq((d["store"], [t["text"] for t in d["todos"]]), ("redis", ["todo %d" % i for i in range(6)]),
           "node %s lists every todo" % node.name)
    a.proc.signal(signal.SIGKILL)
    check(a.proc.wait(5) is not None, "A died")
    for _ in range(4):
        st, d = jget(port, "/api/todos", want=200)
        eq((d["node"], d["count"]), ("B", 6), "through tandem after A's death")
    a2 = ctx.app("A", redis_args(r))
    st, d = jget(a2.port, "/api/todos", want=200)
    eq(d["count"], 6, "a new A sees them")
    st, d = jget(a2.port, "/api/todos/3", "DELETE", want=200)
    st, d = jget(b.port, "/api/todos", want=200)
    eq([t["id"] for t in d["todos"]], [1, 2, 4, 5, 6], "B sees A's delete")


def _health(port):
    r = http(port, "GET", "/health_check")
    return r.status, parse_json(r.body, "/health_check")


def test_redis_down_and_back(ctx):
    """Redis killed: deep health 503 (reason redis, the error named), / still
    200 (the zombie), todos 503, /metrics redis_up 0, an event logged.
    Redis back on its port: health 200 again, todos work, redis_up 1."""
    r = start_redis(ctx)
    a = start_app(ctx, "A", redis_args(r, "--read-delay-ms", "0"))
    st, d = _health(a.port)
    eq((st, d["redis"]["state"]), (200, "up"), "healthy with Redis")
    jget(a.port, "/api/todos", "POST", body=b'{"text":"before"}', want=201)
    r.proc.signal(signal.SIGKILL)
    check(r.proc.wait(5) is not None, "Redis died")
    st, d = poll_until(lambda: (lambda x: x if x[0] == 503 else None)(_health(a.port)), 5, "deep health 503")
    eq((d["status"], d["reason"], d["redis"]["state"]), ("UNHEALTHY", "redis", "down"), "red")
    check(d["redis"]["error"], "the error is named: %r" % d["redis"])
    eq(http(a.port, "GET", "/").status, 200, "/ still answers: a zombie")
    eq(http(a.port, "GET", "/health").status, 200, "shallow /health does not look at Redis")
    st, t = jget(a.port, "/api/todos", want=503)
    check(t["error"].startswith("redis: "), "todo error: %r" % t)
    m = http(a.port, "GET", "/metrics").body.decode()
    check("\ntandem_app_redis_up 0\n" in m, "redis_up 0 in /metrics")
    r2 = start_redis(ctx, "redis2", r.port)
    st, d = poll_until(lambda: (lambda x: x if x[0] == 200 else None)(_health(a.port)), 10,
                       "deep health 200 again")
    eq(d["redis"], {"state": "up", "addr": "127.0.0.1:%d" % r.port, "error": None}, "green")
    st, t = jget(a.port, "/api/todos", want=200)
    eq(t["count"], 0, "a new Redis starts empty (no persistence)")
    m = http(a.port, "GET", "/metrics").body.decode()
    check("\ntandem_app_redis_up 1\n" in m, "redis_up 1 in /metrics")
    msgs = [l["msg"] for l in log_lines(a.proc) if "level" in l]
    check(any(" is down: " in x for x in msgs) and any(x.endswith(" is up") for x in msgs[-3:]),
          "down and up events: %r" % msgs)


def test_redis_hung(ctx):
    """A Redis that stops answering (SIGSTOP): the deep health check and the
    todo API answer 503 once --redis-timeout-ms has passed instead of
    hanging, and recover after SIGCONT."""
    r = start_redis(ctx)
    a = start_app(ctx, "A", redis_args(r, "--redis-timeout-ms", "300"), quiet=True)
    eq(_health(a.port)[0], 200, "healthy")
    r.proc.signal(signal.SIGSTOP)
    try:
        st, d = _health(a.port)
        eq((st, d["reason"]), (503, "redis"), "hung Redis")
        check("no answer within 300 ms" in d["redis"]["error"], "timeout named: %r" % d["redis"])
        st, t = jget(a.port, "/api/todos", want=503)
    finally:
        r.proc.signal(signal.SIGCONT)
    poll_until(lambda: _health(a.port)[0] == 200, 10, "deep health 200 after SIGCONT")


def test_pipelined_and_abandoned(ctx):
    """Pipelined requests that wait for Redis are answered in order on one
    connection; a client that leaves while its answer waits for a hung Redis
    costs nothing (the node serves on, no sanitizer report); two threads
    each keep their own Redis connection."""
    r = start_redis(ctx)
    a = ctx.app("A", redis_args(r, "--threads", "2", "--redis-timeout-ms", "500"))
    s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
    body = b'{"text":"p"}'
    req = (b"POST /api/todos HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)) * 3
    req += b"GET /api/todos HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    s.sendall(req)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    eq(data.count(b"HTTP/1.1 201 Created"), 3, "three creations answered")
    check(data.rfind(b"HTTP/1.1 200 OK") > data.rfind(b"HTTP/1.1 201"), "the list came last")
    eq(parse_json(data[data.rfind(b"\r\n\r\n") + 4:], "list")["count"], 3, "list after the three")
    r.proc.signal(signal.SIGSTOP)
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
            s.sendall(b"GET /health_check HTTP/1.1\r\nHost: x\r\n\r\n")
            s.close()
    finally:
        r.proc.signal(signal.SIGCONT)
    for _ in range(8):
        eq(http(a.port, "GET", "/api/todos").status in (200, 503), True, "answers after abandoned requests")
    poll_until(lambda: all(http(a.port, "GET", "/health_check").status == 200 for _ in range(4)), 10,
               "both threads healthy again")
