"""Stick tables across a VRRP failover (tests/netns/lab.py): two tandem
nodes "a" (192.0.2.1, master) and "b" (192.0.2.2, backup) share the
virtual address 192.0.2.100 and a `peers` section (HAProxy's protocol,
doc/persistence.md "Peers"); a client "c" sends from 192.0.2.10 and
192.0.2.11.

Each node balances between two local servers named <node>1 and <node>2
(tandem-app), sticks on the source address, and answers 429 past 20
requests per source (http_req_rate over 10 minutes: exact counts). The
backup must learn the master's tables while it is backup, so that after
a kill -9 of the master the same sources keep their server (same number)
and their count; when a returns it learns them back from b.

A second test puts HAProxy (Debian's 2.6) on b as the peer: it learns
tandem's entries, and tandem learns HAProxy's.
"""
import os
import shutil
import signal
import subprocess
import time

from lab import wait_for
from test_vrrp import Env as VrrpEnv, Fail, bin_path, check, in_ns, mdi_ms

VIP = "192.0.2.100"
PRIO = {"a": 200, "b": 150}
ADVER_MS = 100
LIMIT = 20

CLIENT = r"""
import socket, sys
src, n = sys.argv[1], int(sys.argv[2])
out = []
for i in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(3)
    try:
        s.connect(("%s", 80))
        s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")
        b = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            b += d
        st = b[9:12].decode() if b.startswith(b"HTTP/1.") else "bad"
        node = b.split(b"NODE_", 1)[1].split()[0].decode() if b"NODE_" in b else "-"
        out.append(st + ":" + node)
    except OSError as e:
        out.append("err:" + type(e).__name__)
    s.close()
print(" ".join(out))
""" % VIP


def tandem_cfg(node, prio):
    return """global
    nbthread 2
    localpeer %s
    stats socket ipv4@127.0.0.1:9999 level admin
peers lb
    peer a 192.0.2.1:10000
    peer b 192.0.2.2:10000
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s:80
    http-request track-sc0 src table per_ip
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt %d }
    default_backend app
backend per_ip
    stick-table type ip size 1k expire 10m store http_req_rate(10m),gpc0 peers lb
backend app
    balance roundrobin
    stick-table type ip size 1k expire 10m peers lb
    stick on src
    server s1 127.0.0.1:8081
    server s2 127.0.0.1:8082
vrrp web
    interface eth0
    virtual-router-id 51
    priority %d
    advert-int %dms
    virtual-ipaddress %s/24
""" % (node, VIP, LIMIT, prio, ADVER_MS, VIP)


class Env(VrrpEnv):
    def apps(self, node):
        for i in (1, 2):
            self.lab.spawn(node, "app-%s%d" % (node, i), [bin_path("tandem-app"), "--name", "%s%d" % (node, i),
                                                          "--listen", "127.0.0.1:808%d" % i, "-q"])

    def tandem(self, node, prio, adver_ms=ADVER_MS, extra=""):
        self.runs[node] = self.runs.get(node, 0) + 1
        cfg = self.write("tandem-%s.cfg" % node, tandem_cfg(node, prio))
        pr = self.lab.spawn(node, "tandem-%s-%d" % (node, self.runs[node]), [bin_path("tandem"), "-f", cfg])
        self.tandems[node] = pr
        wait_for(lambda: "(web) Entering" in pr.log() or not pr.alive(), 5, "tandem on %s to start VRRP" % node)
        check(pr.alive(), "tandem on %s exited:\n%s" % (node, pr.log()[-2000:]))
        return pr

    def get(self, src, n):
        """<n> requests to the VIP from <src>, in order: ["200:a2", "429:-", ...]."""
        path = os.path.join(self.workdir, "peers_client.py")
        if not os.path.exists(path):
            self.write("peers_client.py", CLIENT)
        out = in_ns(self, "c", "python3", path, src, str(n))
        res = out.split()
        check(len(res) == n, "client from %s: %r" % (src, out))
        return res

    def cli(self, node, cmd):
        return in_ns(self, node, "sh", "-c", "echo '%s' | socat -t 2 - TCP:127.0.0.1:9999" % cmd)


def entry(show, key):
    """The `show table` line of <key> as a dict of its fields, or None."""
    for line in show.splitlines():
        if " key=%s " % key in line:
            return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
    return None


def rate(show, key):
    e = entry(show, key)
    if not e:
        return None
    for k, v in e.items():
        if k.startswith("http_req_rate("):
            return int(v)
    return None


def lab(env):
    for node, host in (("a", 1), ("b", 2), ("c", 10)):
        env.lab.add_node(node, host)
    from lab import ip
    ip("-n", env.lab.ns("c"), "addr", "add", "192.0.2.11/24", "dev", "eth0")
    env.apps("a")
    env.apps("b")


def test_failover_keeps_tables(env):
    """The backup learns both tables while backup; after kill -9 of the
    master, 192.0.2.10 and .11 keep their servers and .10 its count (the
    429 comes at request LIMIT + 1 exactly); a returning node learns the
    tables back."""
    if not shutil.which("socat"):
        raise Fail("socat is missing (tools/deps.sh test installs it)")
    lab(env)
    env.tandem("b", PRIO["b"])
    env.tandem("a", PRIO["a"])
    env.expect_holder("a", ["a", "b"], timeout=3 * mdi_ms(PRIO["a"], ADVER_MS) / 1000 + 2)
    # .11 first: round robin gives it a1, then .10 gets a2
    r11 = env.get("192.0.2.11", 1)
    check(r11 == ["200:a1"], ".11's first request: %r" % r11)
    r10 = env.get("192.0.2.10", 12)
    check(r10 == ["200:a2"] * 12, ".10's 12 requests on a: %r" % r10)
    # b, still backup, has learned both tables (pushed within the peers' tick)
    wait_for(lambda: rate(env.cli("b", "show table per_ip"), "192.0.2.10") == 12, 3,
             "b's per_ip to count 12 requests from .10")
    show = env.cli("b", "show table app")
    check(entry(show, "192.0.2.10") and entry(show, "192.0.2.10").get("server_id") == "2" and
          entry(show, "192.0.2.11").get("server_id") == "1", "b's app table:\n%s" % show)
    check("Entering BACKUP STATE" in env.tandems["b"].log(), "b is not backup")

    # kill -9 of a's master: b takes the address
    a = env.tandems["a"]
    kids = a.children()
    env.lab.extra_pids.extend(kids)
    env.lab.kill(a, signal.SIGKILL)
    env.expect_holder("b", ["a", "b"], timeout=3)
    r10 = env.get("192.0.2.10", LIMIT - 12 + 2)
    want = ["200:b2"] * (LIMIT - 12) + ["429:-"] * 2
    check(r10 == want, ".10 after the takeover: %r, want %r (stickiness to server 2, %d allowed)" %
          (r10, want, LIMIT - 12))
    r11 = env.get("192.0.2.11", 1)
    check(r11 == ["200:b1"], ".11 after the takeover: %r (sticks to server 1)" % r11)
    show = env.cli("b", "show table per_ip")
    check(rate(show, "192.0.2.10") == LIMIT + 2 and rate(show, "192.0.2.11") == 2,
          "b's per_ip after the takeover:\n%s" % show)

    # a comes back: it asks b for the tables, then preempts
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
    env.tandem("a", PRIO["a"])
    wait_for(lambda: rate(env.cli("a", "show table per_ip"), "192.0.2.10") == LIMIT + 2, 5,
             "the returning a to learn .10's count from b")
    env.expect_holder("a", ["a", "b"], timeout=3)
    check(env.get("192.0.2.10", 1) == ["429:-"], ".10 still limited on a")
    r11 = env.get("192.0.2.11", 1)
    check(r11 == ["200:a1"], ".11 on the returned a: %r" % r11)
    check("learned the tables of peer 'b'" in env.tandems["a"].log(), "a's log:\n%s" % env.tandems["a"].log()[-1500:])


HAPROXY_CFG = """global
    localpeer b
    stats socket ipv4@127.0.0.1:9999 level admin
peers lb
    peer a 192.0.2.1:10000
    peer b 192.0.2.2:10000
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 192.0.2.2:80
    http-request track-sc0 src table per_ip
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt %d }
    default_backend app
backend per_ip
    stick-table type ip size 1k expire 10m store http_req_rate(10m),gpc0 peers lb
backend app
    balance roundrobin
    stick-table type ip size 1k expire 10m peers lb
    stick on src
    server s1 127.0.0.1:8081
    server s2 127.0.0.1:8082
""" % LIMIT


def test_haproxy_peer(env):
    """HAProxy 2.6 on b is tandem's peer: it learns the count and the
    server of a source that went through tandem, and tandem learns those
    of a source that went through HAProxy."""
    if not shutil.which("haproxy"):
        raise Fail("haproxy is missing (tools/deps.sh test installs it)")
    lab(env)
    env.tandem("a", PRIO["a"])
    env.expect_holder("a", ["a", "b"], timeout=3)
    cfg = env.write("haproxy-b.cfg", HAPROXY_CFG)
    env.lab.spawn("b", "haproxy-b", ["haproxy", "-db", "-f", cfg])
    wait_for(lambda: "lb" in env.cli("b", "show peers") and "ESTA" in env.cli("b", "show peers"), 5,
             "HAProxy's session with tandem")
    check(env.get("192.0.2.10", 5) == ["200:a1"] * 5, "through tandem")
    wait_for(lambda: rate(env.cli("b", "show table per_ip"), "192.0.2.10") == 5, 3,
             "HAProxy to learn 5 requests from .10:\n%s" % env.cli("b", "show table per_ip"))
    e = entry(env.cli("b", "show table app"), "192.0.2.10")
    check(e and e.get("server_id") == "1", "HAProxy's app table: %r" % e)
    # and back: a request to HAProxy directly (b's own address)
    out = in_ns(env, "c", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "192.0.2.11",
                "http://192.0.2.2/")
    check(out == "200", "through HAProxy: %r" % out)
    wait_for(lambda: rate(env.cli("a", "show table per_ip"), "192.0.2.11") == 1, 3,
             "tandem to learn .11's request from HAProxy:\n%s" % env.cli("a", "show table per_ip"))
    e = entry(env.cli("a", "show table app"), "192.0.2.11")
    check(e and e.get("server_id") == "1", "tandem's app table: %r" % e)
