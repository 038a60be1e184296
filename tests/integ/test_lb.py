"""Load balancing: round-robin split, smooth weighted round-robin order in
one order across threads, full servers skipped (and backups kept out while
active servers are only full), several threads under a small concurrent
load."""
import json
import threading

from harness import (Client, app_proxy, check, eq, haproxy_differs, http, is_haproxy, poll_until,
                     start_simple, timeout)


def _node(r):
    return r.body.decode("latin-1").strip().replace("NODE_", "")


def test_roundrobin_equal_split(ctx):
    px, _ = app_proxy(ctx, ["A", "B", "C"], balance="roundrobin")
    seq = []
    for _ in range(30):
        r = http(px.port, "GET", "/")
        eq(r.status, 200, "status")
        seq.append(_node(r))
    counts = {n: seq.count(n) for n in "ABC"}
    eq(counts, {"A": 10, "B": 10, "C": 10}, "requests per server over 30 new connections (sequence %s)" % "".join(seq))


def test_roundrobin_keepalive_rebalances(ctx):
    """Each request on a keep-alive connection is balanced on its own."""
    px, _ = app_proxy(ctx, ["A", "B"], balance="roundrobin")
    c = Client(px.port)
    seq = [_node(c.get("/")) for _ in range(10)]
    c.close()
    eq({n: seq.count(n) for n in "AB"}, {"A": 5, "B": 5}, "split over one keep-alive connection (%s)" % "".join(seq))


def test_weighted_3_to_1_in_order(ctx):
    """Smooth weighted round-robin (nginx's): weights A=3, B=1 give the
    repeating order A A B A: each pick adds every weight to its server's
    current value, takes the highest (first on ties), and subtracts the total
    from the winner:  (3,1)->A (-1,1); (2,2)->A (-2,2); (1,3)->B (1,-1);
    (4,0)->A (0,0)."""
    a, b = ctx.app("A"), ctx.app("B")
    px = start_simple(ctx, [("s1", a.port, "weight 3"), ("s2", b.port, "weight 1")],
                      balance="roundrobin", nbthread=1)
    c = Client(px.port)
    seq = "".join(_node(c.get("/")) for _ in range(16))
    c.close()
    eq((seq.count("A"), seq.count("B")), (12, 4), "A:B split over 16 requests (%s)" % seq)
    if is_haproxy():
        ctx.note("haproxy order: " + seq)   # HAProxy's tree-based order differs; only the ratio is checked
        return
    eq(seq, "AABA" * 4, "smooth weighted round-robin order")


def _seq_new_conns(port, n):
    """Nodes answering <n> requests, each on a new connection, in order."""
    out = []
    for _ in range(n):
        r = http(port, "GET", "/")
        eq(r.status, 200, "status")
        out.append(_node(r))
    return "".join(out)


def test_roundrobin_two_threads_alternate(ctx):
    """With nbthread 2, new connections land on either thread, and the
    requests still alternate A B A B: one order for the whole process
    (HAProxy's too), not one per thread."""
    px, _ = app_proxy(ctx, ["A", "B"], balance="roundrobin", nbthread=2)
    seq = _seq_new_conns(px.port, 20)
    eq(seq, "AB" * 10, "order over 20 new connections with 2 threads")


def test_weighted_3_to_1_two_threads(ctx):
    """Weights 3:1, nbthread 2, 40 new connections: exactly 30/10, and the
    period of 4 holds across the threads: every 4 consecutive requests
    have exactly one B (per-thread state gave runs like A A A A B B)."""
    a, b = ctx.app("A"), ctx.app("B")
    px = start_simple(ctx, [("s1", a.port, "weight 3"), ("s2", b.port, "weight 1")],
                      balance="roundrobin", nbthread=2)
    seq = _seq_new_conns(px.port, 40)
    ctx.note("order: " + seq)
    eq((seq.count("A"), seq.count("B")), (30, 10), "A:B split over 40 requests (%s)" % seq)
    bad = [i for i in range(len(seq) - 3) if seq[i:i + 4].count("B") != 1]
    eq(bad, [], "windows of 4 without exactly one B in %s" % seq)


@haproxy_differs("HAProxy 2.6's roundrobin (its weighted tree) repeats A A A B; "
                 "tandem's smooth weighted round-robin spreads B: A A B A")
def test_weighted_3_to_1_two_threads_order(ctx):
    """The same with the order itself: A A B A ten times, whichever
    thread accepted each connection."""
    a, b = ctx.app("A"), ctx.app("B")
    px = start_simple(ctx, [("s1", a.port, "weight 3"), ("s2", b.port, "weight 1")],
                      balance="roundrobin", nbthread=2)
    seq = _seq_new_conns(px.port, 40)
    eq(seq, "AABA" * 10, "smooth weighted round-robin order over 40 new connections with 2 threads")


def _inflight(app):
    r = http(app.port, "GET", "/admin/stats")
    return json.loads(r.body)["inflight"]


class _Slow:
    """GET /slow?ms=N through the proxy in a thread; .node once it ends."""

    def __init__(self, port, ms):
        self.node, self.error = None, None
        self.t = threading.Thread(target=self._run, args=(port, ms), daemon=True)
        self.t.start()

    def _run(self, port, ms):
        try:
            r = http(port, "GET", "/slow?ms=%d" % ms, timeout=15)
            self.node = _node(r) if r.status == 200 else r.status
        except Exception as e:  # noqa: BLE001 (reported by wait)
            self.error = repr(e)

    def wait(self):
        self.t.join(15)
        check(not self.t.is_alive(), "slow request did not end")
        check(self.error is None, "slow request failed: %s" % self.error)
        return self.node


def test_full_server_skipped_in_order(ctx):
    """B has maxconn 1 and a slow request in flight: the next requests skip
    it, and A and C take its turns alternately; once B is free it is back
    in the rotation."""
    apps = [ctx.app(n) for n in "ABC"]
    px = start_simple(ctx, [("s1", apps[0].port), ("s2", apps[1].port, "maxconn 1"), ("s3", apps[2].port)],
                      balance="roundrobin", nbthread=2, defaults_extra="timeout queue 10s")
    eq(_seq_new_conns(px.port, 1), "A", "first request")
    slow = _Slow(px.port, 3000)
    poll_until(lambda: _inflight(apps[1]) == 1, 5, "the slow request on B")
    seq = _seq_new_conns(px.port, 6)
    check("B" not in seq, "a request went to the full server B: %s" % seq)
    check(all(seq[i] != seq[i + 1] for i in range(5)) and seq.count("A") == 3,
          "A and C do not take turns while B is full: %s" % seq)
    eq(slow.wait(), "B", "the slow request's server")
    seq = _seq_new_conns(px.port, 6)
    eq(sorted(seq), sorted("AABBCC"), "after B is free, 6 requests (%s)" % seq)


def test_full_actives_keep_backup_out(ctx):
    """An active server at its maxconn is busy, not down: requests wait in
    the queue for it, the backup gets nothing (HAProxy's rule)."""
    a = ctx.app("A", ["--read-delay-ms", "300"])
    b = ctx.app("B")
    px = start_simple(ctx, [("s1", a.port, "maxconn 1"), ("s2", b.port, "backup")],
                      balance="roundrobin", defaults_extra="timeout queue 10s")
    got, lock = [], threading.Lock()

    def one():
        r = http(px.port, "GET", "/", timeout=10)
        with lock:
            got.append(_node(r) if r.status == 200 else str(r.status))

    ts = [threading.Thread(target=one) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(15)
    eq(sorted(got), ["A", "A", "A"], "nodes answering 3 concurrent requests")
    eq(_inflight(b), 0, "requests on the backup")
    eq(json.loads(http(b.port, "GET", "/admin/stats").body)["requests"], 0, "requests the backup received")


@timeout(120)
def test_threads_concurrent_load(ctx):
    px, _ = app_proxy(ctx, ["A", "B"], balance="roundrobin", nbthread=2)
    errors, nodes = [], []
    lock = threading.Lock()

    def worker(k):
        c = None
        try:
            for i in range(200):
                if k % 2 == 0:
                    c = c or Client(px.port, timeout=10)
                    r = c.get("/read?t=%d&i=%d" % (k, i))
                else:
                    r = http(px.port, "GET", "/read?t=%d&i=%d" % (k, i), timeout=10)
                if r.status != 200 or r.body not in (b"NODE_A\n", b"NODE_B\n"):
                    raise AssertionError("status %d body %r" % (r.status, r.body[:50]))
                with lock:
                    nodes.append(_node(r))
        except Exception as e:  # noqa: BLE001 (reported below)
            with lock:
                errors.append("client %d: %s" % (k, e))
        finally:
            if c:
                c.close()

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(100)
    check(not any(t.is_alive() for t in ts), "client threads still running after 100s")
    eq(errors[:3], [], "errors under concurrent load (%d in total)" % len(errors))
    eq(len(nodes), 1600, "successful responses")
    a = nodes.count("A")
    check(640 <= a <= 960, "unbalanced split across 2 servers with 2 threads: A=%d B=%d" % (a, 1600 - a))
    check(px.proc.alive(), "proxy died under load")
