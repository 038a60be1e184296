#!/usr/bin/env python3
"""bench/dns_switch.py -- time from a DNS change to the first request answered
at the new address (doc/discovery.md, "How fast").

A server `app.test:PORT resolvers dns` behind tandem (and Debian's HAProxy for
comparison); dnsmasq answers app.test with 127.0.0.2 (replica A), then the
test rewrites its hosts file to 127.0.0.3 (replica B) and sends SIGHUP, and
measures until a fresh request is answered by B (requests every 2 ms). Trials
alternate A->B and B->A.

The change is made at a random moment of the resolution cycle, so the
numbers are what a user sees: about half of `timeout resolve` on average,
at most all of it (plus a query's round trip).

With BENCH_SEED003=1, the lab note 003 case instead: the server has `check
inter 2s rise 2 fall 3`, its replica is stopped until the server is DOWN,
then DNS gives the other replica's address (a container restarted with a
new IP); measured from the DNS change.

usage: python3 bench/dns_switch.py [TRIALS] [TIMEOUT_RESOLVE...]
       (defaults: 10 trials, `timeout resolve` 1s (HAProxy's default) and 100ms)
env:   BENCH_PROXIES (default "tandem haproxy"), TANDEM_BIN_DIR (default bin)
Prints one line per proxy and setting: min / median / max milliseconds."""
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integ"))

import harness  # noqa: E402
from dnsio import Dnsmasq, replicas  # noqa: E402
from dnsio import app_at  # noqa: E402
from test_admin import cli  # noqa: E402
from test_dns import dns_config, node  # noqa: E402

SEED003 = os.environ.get("BENCH_SEED003") == "1"


def status(ctx):
    for line in cli(ctx.admin, "show stat").splitlines():
        f = line.split(",")
        if len(f) > 18 and f[0] == "be" and f[1] == "s1":
            return f[17]
    return None


def trials(kind, resolve, n):
    ctx = harness.Ctx("dns-switch")
    try:
        port, ips = replicas(ctx, ["A", "B"])
        dns = Dnsmasq(ctx, hosts={"app.test": [ips["A"]]})
        chk = " check inter 2s rise 2 fall 3" if SEED003 else ""
        cfg = dns_config(ctx, dns.port, "    server s1 app.test:%d resolvers dns init-addr none%s\n" % (port, chk),
                         valid="10s", resolve=resolve)
        cycle = _ms(resolve)
        px = ctx.haproxy(cfg) if kind == "haproxy" else ctx.proxy(cfg)
        harness.poll_until(lambda: node(px.port) == "A", 30, "A first")
        cur, out = "A", []
        for _ in range(n):
            nxt = "B" if cur == "A" else "A"
            if SEED003:
                # the current replica stops until its server is DOWN
                p = [x for x in ctx.procs if x.name == "app-" + cur and x.alive()][0]
                p.stop()
                harness.poll_until(lambda: (status(ctx) or "").startswith("DOWN"), 30, "s1 DOWN")
            # at a random moment of the resolution cycle
            time.sleep(0.05 + random.random() * cycle / 1000.0)
            t0 = time.time()
            dns.set_hosts({"app.test": [ips[nxt]]})
            while node(px.port) != nxt:
                if time.time() - t0 > 60:
                    raise RuntimeError("no switch within 60 s")
                time.sleep(0.002)
            out.append((time.time() - t0) * 1000)
            if SEED003:   # the stopped one comes back for the next trial
                app_at(ctx, cur, ips[cur], port)
            cur = nxt
        return out
    finally:
        ctx.stop_all()
        ctx.cleanup(False)


def _ms(t):
    return int(t[:-2]) if t.endswith("ms") else int(t[:-1]) * 1000


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    settings = sys.argv[2:] or ["1s", "100ms"]
    for resolve in settings:
        for kind in os.environ.get("BENCH_PROXIES", "tandem haproxy").split():
            ms = trials(kind, resolve, n)
            print("%-8s %stimeout resolve %-6s %2d trials: min %5.0f ms, median %5.0f ms, max %5.0f ms"
                  % (kind, "seed 003, " if SEED003 else "", resolve, n, min(ms), statistics.median(ms), max(ms)),
                  flush=True)


if __name__ == "__main__":
    main()
