"""Hash balancing against real backends: consistent hashing with one of
four servers killed (the keys of the surviving servers do not move, the
dead one's keys spread over the others, its return brings them back),
map-based hashing on a header and on a URL parameter (also in a POST
body), a hash of a sample expression, random(N), `uri` with len, depth
and path-only, and rdp-cookie over real RDP connection requests.

Each test also runs against Debian's HAProxy 2.6 (PROXY=haproxy): the same
properties hold, whatever server each key lands on (the two place servers
on the ring differently)."""
import collections
import os
import socket
import struct
import time

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


def _variants_stick(port, groups, what):
    """<groups>: {base: [uris]}. Every uri of a group goes to the server
    of its base; the bases spread over more than one server."""
    first = {}
    for base, uris in groups.items():
        first[base] = node(get_from(port, "127.0.0.2", base))
        for u in uris:
            # an absolute URI comes with the Host it names (RFC 9112 3.2.2)
            host = u.split("/")[2] if u.startswith("http://") else "test.local"
            eq(node(get_from(port, "127.0.0.2", u, [("Host", host)])), first[base],
               "%s: %s goes where %s went" % (what, u, base))
    check(len(set(first.values())) >= 2, "%s: the part that counts spreads the keys: %r" %
          (what, collections.Counter(first.values())))


def test_uri_len(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="uri len 7 whole"))
    # only the first 7 characters count ("/kNN/xy"), the query string too ("whole")
    groups = {"/k%02d/xyz" % i: ["/k%02d/xy%s" % (i, t) for t in ("a", "/deep/er", "z?q=1", "")]
              for i in range(30)}
    _variants_stick(port, groups, "len 8")


def test_uri_depth(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="uri depth 2"))
    # two directory levels count; deeper ones and the query string do not
    groups = {"/d%d/e/" % i: ["/d%d/e/f%d" % (i, j) for j in range(3)] + ["/d%d/e/x/y?z=%d" % (i, i), "/d%d/e?q" % i]
              for i in range(30)}
    _variants_stick(port, groups, "depth 2")


def test_uri_path_only(ctx):
    backends = [mirror(ctx, n) for n in "abc"]
    port = free_port()
    ctx.proxy(config(port, [(b.name, b.port) for b in backends], balance="uri path-only"))
    # the authority of an absolute URI and the query string do not count
    groups = {"/p%d/x" % i: ["http://h%d.example/p%d/x" % (j, i) for j in range(3)] + ["/p%d/x?q=%d" % (i, i)]
              for i in range(30)}
    _variants_stick(port, groups, "path-only")


def _rdp_request(name):
    """An RDP connection request as mstsc sends it: a TPKT header, an X.224
    connection request whose user data starts with the routing cookie
    `Cookie: mstshash=NAME\\r\\n`, then an RDP negotiation request."""
    cookie = b"Cookie: mstshash=" + name.encode() + b"\r\n"
    neg = bytes([0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00])
    x224 = bytes([0xE0, 0, 0, 0, 0, 0]) + cookie + neg   # CR, dst-ref, src-ref, class 0
    x224 = bytes([len(x224)]) + x224
    return b"\x03\x00" + struct.pack("!H", 4 + len(x224)) + x224


def test_rdp_cookie(ctx):
    from test_rules_tcp import tcp_node
    nodes = {n: tcp_node(ctx, n) for n in "ABC"}
    port = free_port()
    cfg = "\n".join([
        "global", "    nbthread 1",
        "defaults", "    mode tcp", "    timeout connect 2s", "    timeout client 10s", "    timeout server 10s",
        "frontend fe", "    bind 127.0.0.1:%d" % port, "    default_backend rdp",
        "    tcp-request inspect-delay 5s", "    tcp-request content accept if RDP_COOKIE",
        "backend rdp", "    balance rdp-cookie",
    ] + ["    server %s 127.0.0.1:%d" % (n, s.port) for n, s in nodes.items()]) + "\n"
    ctx.proxy(cfg)

    def connect(name, split=False):
        req = _rdp_request(name)
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            if split:   # the request in two parts: the rule waits for the cookie line
                s.sendall(req[:20])
                time.sleep(0.05)
                s.sendall(req[20:])
            else:
                s.sendall(req)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                out += d
        finally:
            s.close()
        check(out.endswith(b":" + req), "the request reaches the server as sent: %r" % out[:40])
        return out.split(b":", 1)[0].decode()

    users = ["user%d" % i for i in range(24)]
    first = {u: connect(u) for u in users}
    check(len(set(first.values())) >= 2, "users spread: %r" % collections.Counter(first.values()))
    for u in users:
        eq(connect(u, split=(u.endswith("1"))), first[u], "%s: same mstshash, same server" % u)
