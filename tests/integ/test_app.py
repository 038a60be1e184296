"""tandem-app itself (no Redis here, see test_app_redis.py): the labs' paths
(/health_check, /api/health, /api/todos, /api/stress, GET and POST /read and
/write), JSON health documents, --mem-limit enforced with 503 and health at
80%, /metrics (counts checked against the requests made, and promtool),
JSON event lines beside the access log, graceful SIGTERM."""
import json
import os
import re
import shutil
import signal
import subprocess

from harness import (APP_KIND, BIN_DIR, Backend, Client, Skip, chunked, check, eq, free_port, http,
                     parse_json, poll_until, wait_port)

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def app_only():
    if APP_KIND == "python":
        raise Skip("tandem-app only: the Python stand-in does not have the labs' paths")


def start_app(ctx, name="A", args=(), quiet=False):
    """A tandem-app started here (ctx.app always passes --quiet; these tests
    read the access and event log)."""
    app_only()
    exe = os.path.join(BIN_DIR, "tandem-app")
    check(os.access(exe, os.X_OK), "missing %s" % exe)
    port = free_port()
    argv = [exe, "--name", name, "--listen", "127.0.0.1:%d" % port] + list(args)
    if quiet:
        argv.append("--quiet")
    p = ctx.spawn("app-" + name, argv)
    wait_port(port, 10, p)
    return Backend(name, port, p)


def jget(port, target, method="GET", body=b"", headers=None, want=None):
    r = http(port, method, target, headers=headers, body=body)
    if want is not None:
        eq(r.status, want, "%s %s status (body %r)" % (method, target, r.body[:300]))
    check(r.header("content-type", "").startswith("application/json"),
          "%s %s is JSON: %r" % (method, target, r.headers))
    return r.status, parse_json(r.body, "%s %s" % (method, target))


def log_lines(proc):
    """The JSON lines tandem-app wrote on stdout (access and events)."""
    out = []
    for line in proc.out().splitlines():
        out.append(parse_json(line, "stdout line"))
    return out


def test_health_documents(ctx):
    """/health_check and /api/health answer the JSON document (node, status,
    memory used and limit, dependency, uptime); /health stays text."""
    a = start_app(ctx, "A", ["--mem-limit", "256m"], quiet=True)
    for path in ("/health_check", "/api/health"):
        st, d = jget(a.port, path, want=200)
        eq((d["status"], d["healthy"], d["node"], d["instance"], d["reason"]), ("OK", True, "A", "A", None),
           path + " fields")
        eq(d["memory"]["limit_bytes"], 256 << 20, path + " memory limit")
        check(0 < d["memory"]["used_bytes"] < 256 << 20, "%s memory used: %r" % (path, d["memory"]))
        eq(d["memory"]["unhealthy_at_percent"], 80, "threshold")
        eq(d["redis"], {"state": "not configured"}, path + " dependency without --redis")
        check(d["uptime_s"] >= 0, "uptime")
    r = http(a.port, "GET", "/health")
    eq((r.status, r.body), (200, b"OK"), "/health is still the short text")
    r = http(a.port, "HEAD", "/health_check")
    eq((r.status, r.body), (200, b""), "HEAD /health_check")


def test_read_write_any_method(ctx):
    """Seed 001 calls /read and /write with GET and POST: both answer."""
    a = start_app(ctx, "A", ["--read-delay-ms", "0", "--write-delay-ms", "0"], quiet=True)
    for m in ("GET", "POST"):
        r = http(a.port, m, "/read", body=b"x" if m == "POST" else b"")
        eq((r.status, r.body), (200, b"NODE_A\n"), m + " /read")
    st, d = jget(a.port, "/write", want=200)
    eq(d, {"node": "A", "written": 0}, "GET /write")
    st, d = jget(a.port, "/write", "POST", body=b"hello", want=200)
    eq(d, {"node": "A", "written": 5}, "POST /write")
    r = http(a.port, "GET", "/echo")
    eq(r.status, 405, "GET /echo is still 405")
    eq(http(a.port, "GET", "/api/nothing").status, 404, "unknown path")


def test_todos_in_memory(ctx):
    """Without --redis the todos live in the process: create (JSON body, any
    of text/texto/title/task, UTF-8 kept, chunked body too), list in id
    order, get, delete one, delete all; bad bodies get 400/413, other
    methods 405."""
    a = start_app(ctx, "A", quiet=True)
    st, d = jget(a.port, "/api/todos", want=200)
    eq((d["store"], d["count"], d["todos"]), ("memory", 0, []), "empty list")
    texts = ["buy milk", "Tarea durante failover \u00e9\u00f1", "quote \" and \\ and \n"]
    keys = ["text", "texto", "title"]
    for i, (k, t) in enumerate(zip(keys, texts)):
        st, d = jget(a.port, "/api/todos", "POST", body=json.dumps({k: t, "other": [1, {"x": None}]}).encode(),
                     headers={"Content-Type": "application/json"}, want=201)
        eq((d["todo"]["id"], d["todo"]["text"], d["todo"]["node"]), (i + 1, t, "A"), "created todo %d" % i)
    # chunked body
    c = Client(a.port)
    c.send(b"POST /api/todos HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked(b'{"task": "chunked one"}', (3, 5, 100)))
    r = c.response()
    c.close()
    eq(r.status, 201, "chunked POST")
    eq(parse_json(r.body)["todo"]["text"], "chunked one", "chunked text")
    st, d = jget(a.port, "/api/todos", want=200)
    eq([t["id"] for t in d["todos"]], [1, 2, 3, 4], "ids in order")
    eq([t["text"] for t in d["todos"]], texts + ["chunked one"], "texts kept exactly")
    st, d = jget(a.port, "/api/todos/2", want=200)
    eq(d["todo"]["text"], texts[1], "GET one")
    st, d = jget(a.port, "/api/todos/2", "DELETE", want=200)
    eq(d["deleted"], 1, "DELETE one")
    jget(a.port, "/api/todos/2", want=404)
    jget(a.port, "/api/todos/2", "DELETE", want=404)
    jget(a.port, "/api/todos/abc", want=404)
    for body, want in ((b"", 400), (b"not json", 400), (b'{"text": 5}', 400), (b'{"text": ""}', 400),
                       (b'["text"]', 400), (b'{"text": "a"} x', 400), (b'{"text": "\xff"}', 400),
                       (json.dumps({"text": "x" * 1025}).encode(), 413), (b" " * 5000, 413)):
        st, d = jget(a.port, "/api/todos", "POST", body=body)
        eq(st, want, "POST %r" % body[:40])
        check("error" in d, "error message: %r" % d)
    r = http(a.port, "PATCH", "/api/todos")
    eq((r.status, r.header("allow")), (405, "GET, POST, DELETE"), "PATCH /api/todos")
    st, d = jget(a.port, "/api/todos", "DELETE", want=200)
    eq(d["deleted"], 3, "DELETE all")
    st, d = jget(a.port, "/api/todos", "POST", body=b'{"text":"after"}', want=201)
    eq(d["todo"]["id"], 5, "ids keep growing after a clear")


def test_mem_limit(ctx):
    """--mem-limit 64m: /api/stress without mb fills memory to 90% of the
    limit: health (/health, /health_check, /api/health) turns 503 with
    reason memory and a logged event; an allocation beyond the limit is
    refused with 503 and nothing is allocated; /api/stress/clear gives the
    memory back and health turns 200, logged too."""
    a = start_app(ctx, "A", ["--mem-limit", "64m"])
    st, d = jget(a.port, "/api/stress", "POST", want=200)
    check(d["allocated_mb"] > 30 and d["healthy"] is False, "stress answer: %r" % d)
    check(80 <= d["memory_percent"] < 100, "memory percent after /api/stress: %r" % d)
    eq(http(a.port, "GET", "/health").body, b"SICK memory", "/health")
    st, h = jget(a.port, "/api/health", want=503)
    eq((h["status"], h["reason"]), ("UNHEALTHY", "memory"), "/api/health")
    check(h["memory"]["percent"] >= 80, "percent in the health document: %r" % h["memory"])
    held = d["stress_mb"]
    st, d = jget(a.port, "/api/stress?mb=32", "POST", want=503)
    eq((d["error"], d["stress_mb"]), ("memory limit", held), "allocation beyond the limit refused")
    st, d = jget(a.port, "/stress?mb=32", want=503)
    eq(d["error"], "memory limit", "/stress beyond the limit")
    check(d["rss"] <= 64 << 20, "resident memory stayed under the limit: %r" % d)
    st, d = jget(a.port, "/api/stress/clear", "POST", want=200)
    eq(d["released_mb"], held, "released")
    jget(a.port, "/health_check", want=200)
    ev = [l for l in log_lines(a.proc) if "level" in l]
    check(any(l["level"] == "WARNING" and "health checks answer 503" in l["msg"] for l in ev),
          "event: memory high: %r" % ev)
    check(any("health checks answer 200 again" in l["msg"] for l in ev), "event: memory back: %r" % ev)
    check(re.search(r"\[WARNING\].*memory .* of --mem-limit", a.proc.err()), "stderr event line")


def test_stress_without_limit(ctx):
    """Without --mem-limit, /api/stress takes 64 MiB and health stays green;
    /stress still wants mb."""
    a = start_app(ctx, "A", quiet=True)
    st, d = jget(a.port, "/api/stress", "POST", want=200)
    eq((d["allocated_mb"], d["healthy"]), (64, True), "stress without a limit")
    eq(http(a.port, "GET", "/stress").status, 400, "/stress without mb")
    eq(http(a.port, "GET", "/api/stress?mb=x").status, 400, "bad mb")
    st, d = jget(a.port, "/api/stress/clear", want=200)
    eq(d["released_mb"], 64, "released")


def _metric(text, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return float(m.group(1)) if m else None


def test_metrics(ctx):
    """/metrics counts requests by path and status exactly, has a latency
    histogram per path whose count matches, memory gauges, and passes
    `promtool check metrics` without a warning."""
    a = start_app(ctx, "A", ["--mem-limit", "128m", "--read-delay-ms", "0"], quiet=True)
    for _ in range(3):
        http(a.port, "GET", "/read")
    http(a.port, "GET", "/status?code=503")
    http(a.port, "GET", "/nope")
    http(a.port, "POST", "/api/todos", body=b'{"text":"x"}')
    http(a.port, "POST", "/api/todos", body=b'{}')
    r = http(a.port, "GET", "/metrics")
    eq(r.status, 200, "/metrics")
    check(r.header("content-type", "").startswith("text/plain; version=0.0.4"), "content type")
    t = r.body.decode()
    for labels, want in (('{path="/read",code="200"}', 3), ('{path="/status",code="503"}', 1),
                         ('{path="other",code="404"}', 1), ('{path="/api/todos",code="201"}', 1),
                         ('{path="/api/todos",code="400"}', 1)):
        eq(_metric(t, "tandem_app_requests_total", labels), want, "requests_total" + labels)
    eq(_metric(t, "tandem_app_request_duration_seconds_count", '{path="/read"}'), 3, "histogram count")
    eq(_metric(t, "tandem_app_request_duration_seconds_bucket", '{path="/read",le="+Inf"}'), 3, "+Inf bucket")
    eq(_metric(t, "tandem_app_memory_limit_bytes"), 128 << 20, "limit gauge")
    check(_metric(t, "tandem_app_resident_memory_bytes") > 0, "rss gauge")
    eq(_metric(t, "tandem_app_healthy"), 1, "healthy gauge")
    eq(_metric(t, "tandem_app_redis_up"), None, "no redis gauge without --redis")
    eq(_metric(t, "tandem_app_info", '{node="A"}'), 1, "info")
    t2 = http(a.port, "GET", "/metrics").body.decode()
    eq(_metric(t2, "tandem_app_requests_total", '{path="/metrics",code="200"}'), 1, "/metrics counted itself")
    check(os.access(PROMTOOL, os.X_OK), "promtool is not installed (apt-get install prometheus)")
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=r.body, capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode()
    eq((p.returncode, out), (0, ""), "promtool check metrics")
    # /admin/reset leaves the Prometheus counters alone
    http(a.port, "GET", "/admin/reset")
    t3 = http(a.port, "GET", "/metrics").body.decode()
    eq(_metric(t3, "tandem_app_requests_total", '{path="/read",code="200"}'), 3, "counters survive /admin/reset")


def test_faults_spare_deep_health(ctx):
    """error500 spares every health path (the passive-check storm needs a
    green /health_check); zombie turns them all red while / serves."""
    a = start_app(ctx, "A", ["--read-delay-ms", "0"], quiet=True)
    http(a.port, "GET", "/admin/fault?mode=error500")
    eq(http(a.port, "GET", "/").status, 500, "/ under error500")
    for p in ("/health", "/health_check", "/api/health"):
        eq(http(a.port, "GET", p).status, 200, p + " under error500")
    http(a.port, "GET", "/admin/fault?mode=zombie")
    eq(http(a.port, "GET", "/").status, 200, "/ of a zombie")
    st, d = jget(a.port, "/health_check", want=503)
    eq(d["reason"], "zombie", "zombie reason")


def test_sigterm_events(ctx):
    """SIGTERM: deep health 503 (draining) at once, JSON event lines for the
    signal and the end (seed 001's log), exit 0."""
    a = start_app(ctx, "A", ["--drain-ms", "300"])
    a.proc.signal(signal.SIGTERM)
    st, d = poll_until(lambda: (lambda r: r if r[0] == 503 else None)(jget(a.port, "/health_check")), 5,
                       "deep health to answer 503 after SIGTERM")
    eq((d["reason"], d["draining"]), ("draining", True), "draining health")
    check(a.proc.wait(10) == 0, "exit 0 after the drain")
    ev = [l for l in log_lines(a.proc) if "level" in l]
    msgs = [l["msg"] for l in ev]
    check(any("listening on" in m for m in msgs), "start event: %r" % msgs)
    check(any("received signal 15 (SIGTERM): graceful shutdown" in m for m in msgs), "signal event: %r" % msgs)
    check(msgs and "graceful shutdown complete" in msgs[-1], "last event: %r" % msgs)
    acc = [l for l in log_lines(a.proc) if "path" in l]
    check(any(l["path"] == "/health_check" and l["status"] == 503 for l in acc), "access lines: %r" % acc)


def test_bad_options(ctx):
    """Bad --redis or --redis-timeout-ms: usage error 2, nothing listens."""
    app_only()
    exe = os.path.join(BIN_DIR, "tandem-app")
    for extra in (["--redis", "nohost"], ["--redis", "127.0.0.1:0"], ["--redis", "redis.example:6379"],
                  ["--redis-timeout-ms", "0"], ["--cpu-limit", "0.5"]):
        p = ctx.spawn("bad", [exe, "--name", "A", "--listen", "127.0.0.1:%d" % free_port()] + extra)
        eq(p.wait(10), 2, "exit status with %r (stderr %r)" % (extra, p.err()[-300:]))
