"""Hash balancing against real backends: consistent hashing with one of
four servers killed (the keys of the surviving servers do not move, the
dead one's keys spread over the others, its return brings them back),
map-based hashing on a header and on a URL parameter (also in a POST
body), a hash of a sample expression, and random(N).

Each test also runs against Debian's HAProxy 2.6 (PROXY=haproxy): the same
properties hold, whatever server each key lands on (the two place servers
on the ring differently)."""
import collections
import os

from harness import BIN_DIR, check, config, eq, free_port, poll_until, wait_port
from persist_util import cli, get_from, mirror, node, wait_sock

KEYS = ["/read?k=%d" % i for i in range(120)]


def _mapping(port, keys, headers=None):
    return {k: node(get_from(port, "127.0.0.2", k, headers)) for k in keys}


def test_consistent_one_of_four_killed(ctx):
    apps = {n: ctx.app(n) for n in "ABCD"}
    sock = ctx.path("admin.sock")
    port = free_port()
    servers = [("s%s" % n, apps[n].port, "check inter 100 fall 1 rise 1") for n in "ABCD"]
    cfg = config(port, servers, balance="uri whole", be_extra="hash-type consistent",
                 global_extra="stats socket %s level admin" % sock)
    ctx.proxy(cfg)
    wait_sock(sock)

    def body_node(k):
        r = get_from(port, "127.0.0.2", k)
        return r.body.decode().strip().replace("NODE_", "") if r.status == 200 else None

    def up(name, want):
        return any(l.startswith("be,s%s," % name) and (",UP," in l) == want for l in cli(sock, "show stat").splitlines())

    for n in "ABCD":
        poll_until(lambda n=n: up(n, True), 10, "server s%s UP" % n)
    before = {k: body_node(k) for k in KEYS}
    count = collections.Counter(before.values())
    check(len(count) == 4 and min(count.values()) >= len(KEYS) // 10, "keys spread over the four: %r" % count)
    eq({k: body_node(k) for k in KEYS}, before, "the same key keeps its server")
    # C dies: its keys move, nobody else's
    dead_port = apps["C"].port
    apps["C"].proc.stop()
    poll_until(lambda: up("C", False), 10, "server sC marked DOWN")
    after = {k: body_node(k) for k in KEYS}
    for k in KEYS:
        if before[k] != "C":
            eq(after[k], before[k], "a key of a surviving server does not move (%s)" % k)
    moved = collections.Counter(after[k] for k in KEYS if before[k] == "C")
    check("C" not in moved and len(moved) >= 2, "the dead server's keys spread over the others: %r" % moved)
    ctx.note("one of four killed: %d of %d keys moved, to %r" % (sum(moved.values()), len(KEYS), dict(moved)))
    # C comes back on its address: its keys come back
    p = ctx.spawn("app-C2", [os.path.join(BIN_DIR, "tandem-app"), "--name", "C", "--listen",
                             "127.0.0.1:%d" % dead_port, "--quiet"])
    wait_port(dead_port, 10, p)
    poll_until(lambda: up("C", True), 10, "server sC UP again")
    eq({k: body_node(k) for k in KEYS}, before, "every key is back where it was")


def test_hdr_hashing(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="hdr(X-User)"))
    users = ["user%d" % i for i in range(40)]
    first = {u: node(get_from(port, "127.0.0.2", "/", [("X-User", u)])) for u in users}
    check(len(set(first.values())) == 3, "users spread over the servers: %r" % collections.Counter(first.values()))
    for u in users:
        eq(node(get_from(port, "127.0.0.3", "/x", [("X-User", u)])), first[u], "%s keeps its server" % u)
    # no header: round robin
    eq(len({node(get_from(port, "127.0.0.2")) for _ in range(6)}), 3, "without the header: round robin")


def test_hdr_use_domain_only(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="hdr(host) use_domain_only"))
    for i in range(12):
        s = {node(get_from(port, "127.0.0.2", "/", [("Host", "%s.site%d.com" % (h, i))])) for h in ("www", "api", "m")}
        eq(len(s), 1, "every host of site%d.com goes to one server" % i)


def test_url_param_hashing(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="url_param uid check_post"))
    ids = [str(i) for i in range(40)]
    first = {u: node(get_from(port, "127.0.0.2", "/p?x=1&uid=%s&y=2" % u)) for u in ids}
    check(len(set(first.values())) == 3, "ids spread: %r" % collections.Counter(first.values()))
    for u in ids:
        eq(node(get_from(port, "127.0.0.2", "/q?uid=%s" % u)), first[u], "uid=%s keeps its server" % u)
    # check_post: the parameter in a form body
    for u in ids[:10]:
        r = get_from(port, "127.0.0.2", "/form", [("Content-Type", "application/x-www-form-urlencoded")],
                     method="POST", body=("a=b&uid=%s" % u).encode())
        eq(node(r), first[u], "uid=%s in a POST body goes to the same server" % u)


def test_hash_expression(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="hash req.cook(sid)",
                     be_extra="hash-type consistent"))
    sids = ["s%d" % i for i in range(40)]
    first = {s: node(get_from(port, "127.0.0.2", "/", [("Cookie", "sid=%s" % s)])) for s in sids}
    check(len(set(first.values())) == 3, "sessions spread: %r" % collections.Counter(first.values()))
    for s in sids:
        eq(node(get_from(port, "127.0.0.4", "/z", [("Cookie", "a=1; sid=%s" % s)])), first[s], "sid %s sticks" % s)


def test_random_power_of_two(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="random(2)"))
    seen = collections.Counter(node(get_from(port, "127.0.0.2")) for _ in range(60))
    check(len(seen) == 3 and min(seen.values()) >= 5, "random(2) uses every server: %r" % seen)
