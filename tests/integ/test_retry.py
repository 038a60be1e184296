"""Retries without harm: `retry-on` conditions, a retry going to another
server with `option redispatch`, requests that are not idempotent never
sent twice (unless they carry an Idempotency-Key), and request bodies
replayed intact on the retry. Backends are tandem-app nodes; node A is
put in a fault mode, node B serves normally."""
import hashlib

from harness import check, eq, free_port, http, parse_json, start_simple, tandem_only


def _fault(app, mode):
    r = http(app.port, "GET", "/admin/fault?mode=" + mode)
    eq(r.status, 200, "setting fault %s" % mode)


def _stats(app):
    return parse_json(http(app.port, "GET", "/admin/stats").body, "tandem-app stats")


def _lab(ctx, be_extra, timeouts=("connect 1s", "client 10s", "server 400ms")):
    a, b = ctx.app("A"), ctx.app("B")
    px = start_simple(ctx, [("a", a.port), ("b", b.port)], timeouts=timeouts,
                      be_extra=be_extra)
    return px, a, b


def test_get_timeout_retried_elsewhere(ctx):
    tandem_only("retry-on response-timeout with redispatch to the other node")
    px, a, b = _lab(ctx, "retries 2\noption redispatch 1\nretry-on response-timeout")
    _fault(a, "hang")
    for i in range(6):
        r = http(px.port, "GET", "/read", timeout=5)
        eq(r.status, 200, "GET %d status" % i)
        eq(r.header("x-node"), "B", "GET %d served by" % i)


def test_post_timeout_not_resent(ctx):
    tandem_only("a POST that timed out is not sent again")
    px, a, b = _lab(ctx, "retries 2\noption redispatch 1\nretry-on all-retryable-errors")
    _fault(a, "hang")
    codes = []
    for i in range(4):
        r = http(px.port, "POST", "/write", headers={"X-Request-Id": "p%d" % i}, body=b"x" * 100, timeout=5)
        codes.append(r.status)
    check(504 in codes, "a POST to the hung node must end in 504, got %r" % codes)
    sa, sb = _stats(a), _stats(b)
    eq(sa.get("post_id_dups"), 0, "POSTs received twice by A")
    eq(sb.get("post_id_dups"), 0, "POSTs received twice by B")
    seen = set(sa.get("post_ids", {})) & set(sb.get("post_ids", {}))
    eq(sorted(seen), [], "POST ids that reached both nodes")


def test_post_with_idempotency_key_retried(ctx):
    tandem_only("Idempotency-Key makes a POST retryable")
    px, a, b = _lab(ctx, "retries 2\noption redispatch 1\nretry-on response-timeout")
    _fault(a, "hang")
    for i in range(4):
        r = http(px.port, "POST", "/write", headers={"X-Request-Id": "k%d" % i, "Idempotency-Key": "k%d" % i},
                 body=b"y" * 100, timeout=5)
        eq(r.status, 200, "POST %d with Idempotency-Key" % i)
        eq(r.header("x-node"), "B", "POST %d served by" % i)


def test_post_conn_failure_retried(ctx):
    tandem_only("a POST whose connection failed is retried on another server")
    b = ctx.app("B")
    dead = free_port()
    px = start_simple(ctx, [("dead", dead), ("b", b.port)],
                      be_extra="retries 2\noption redispatch 1")
    for i in range(4):
        r = http(px.port, "POST", "/write", headers={"X-Request-Id": "c%d" % i}, body=b"z" * 10, timeout=5)
        eq(r.status, 200, "POST %d after a refused connection" % i)
    eq(_stats(b).get("post_id_dups"), 0, "POSTs received twice by B")


def test_status_retried(ctx):
    tandem_only("retry-on with a status code")
    px, a, b = _lab(ctx, "retries 2\noption redispatch 1\nretry-on 500 503")
    _fault(a, "error500")
    for i in range(6):
        r = http(px.port, "GET", "/read", timeout=5)
        eq(r.status, 200, "GET %d status with A answering 500" % i)
    # without retry-on 500 the client sees A's 500s
    px2 = start_simple(ctx, [("a", a.port), ("b", b.port)], be_extra="retries 2\noption redispatch 1")
    codes = [http(px2.port, "GET", "/read", timeout=5).status for _ in range(6)]
    check(500 in codes, "without retry-on 500, A's 500 must pass through: %r" % codes)


def test_body_replayed_on_retry(ctx):
    tandem_only("the request body is replayed intact on a retry")
    px, a, b = _lab(ctx, "retries 2\noption redispatch 1\nretry-on response-timeout")
    _fault(a, "hang")
    body = bytes(range(256)) * 40  # 10 KiB: fits the buffer, so it can be replayed
    for i in range(4):
        r = http(px.port, "POST", "/echo", headers={"Idempotency-Key": "e%d" % i}, body=body, timeout=5)
        eq(r.status, 200, "echo %d status" % i)
        got = parse_json(r.body, "echo answer")
        eq(got.get("sha256"), hashlib.sha256(body).hexdigest(), "echo %d body hash" % i)
        eq(got.get("length"), len(body), "echo %d body length" % i)


def test_default_retry_on_is_conn_failure(ctx):
    tandem_only("no retry without retry-on: the hung server's request gets 504")
    px, a, b = _lab(ctx, "retries 2\noption redispatch 1")
    _fault(a, "hang")
    codes = [http(px.port, "GET", "/read", timeout=5).status for _ in range(4)]
    check(504 in codes and 200 in codes, "default retry-on must not retry timeouts: %r" % codes)
