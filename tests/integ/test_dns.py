"""Service discovery by DNS against a real DNS server (Debian's dnsmasq): a
backend that moves to a new address, scaling up and down with A records and
with SRV records (ports and weights), a mass change of an SRV set, a name
that appears only after start, NXDOMAIN and its hold, the DNS server killed
and back (no client error meanwhile), a reload in the middle (tandem's
handover), malformed and foreign answers (a DNS server in Python), the
runtime API and the configuration errors. The same configurations run
against Debian's HAProxy 2.6 (PROXY=haproxy)."""
import os
import re
import signal
import struct
import threading
import time

from dnsio import Dnsmasq, FakeDns, answer, app_at, replicas, rr_a
from harness import (Client, Deadline, TestFailure, check, eq, free_port, haproxy_differs, http, is_haproxy,
                     poll_until, proc_tree, tandem_only, tcp_conns, timeout)
from test_admin import cli
from test_reload import Load

RESOLVERS = """resolvers dns
    nameserver ns1 127.0.0.1:%(ns)d
    hold valid %(valid)s
    timeout resolve %(resolve)s
    timeout retry 300ms
    resolve_retries 2
    hold obsolete 0s
%(extra)s"""


def dns_config(ctx, ns_port, be_lines, valid="300ms", rs_extra="", defaults_extra="", nbthread=1,
               global_extra="", nameservers=None, resolve="300ms"):
    """A frontend, one backend of <be_lines>, a resolvers section on
    <ns_port>, an admin socket (ctx.admin)."""
    ctx.admin = ctx.path("admin.sock")
    fe = free_port()
    rs = RESOLVERS % {"ns": ns_port, "valid": valid, "extra": rs_extra, "resolve": resolve}
    if nameservers:
        rs = rs.replace("    nameserver ns1 127.0.0.1:%d\n" % ns_port, nameservers)
    return ("global\n    nbthread %d\n    stats socket %s level admin\n%s\n%s\n"
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n%s\n"
            "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n\n"
            "backend be\n%s") % (nbthread, ctx.admin, global_extra, rs, defaults_extra, fe, be_lines)


def node(port, path="/"):
    """The backend that answered GET <path>, or None (error, 503)."""
    try:
        r = http(port, "GET", path, timeout=3)
    except (OSError, TestFailure):
        return None
    if r.status != 200:
        return None
    return r.body.decode().strip().replace("NODE_", "")


def nodes(port, n):
    return [node(port) for _ in range(n)]


def wait_nodes(port, want, secs=15, what=None):
    """Until <n> requests in a row reach exactly the backends in <want>."""
    want = set(want)

    def ok():
        got = nodes(port, 3 * len(want) + 2)
        return set(got) == want
    poll_until(ok, secs, what or "requests answered by exactly %s" % sorted(want), interval=0.05)


def state(ctx, be="be"):
    """show servers state: {name: (addr, op_state, admin_state, weight, fqdn, port, srvrecord)}."""
    out = cli(ctx.admin, "show servers state %s" % be)
    res = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 20 and f[0].isdigit():
            res[f[3]] = (f[4], int(f[5]), int(f[6]), int(f[7]), f[17], int(f[18]), f[19])
    return res


def stat_status(ctx):
    out = cli(ctx.admin, "show stat")
    res = {}
    for line in out.splitlines():
        f = line.split(",")
        if len(f) > 18 and f[0] == "be":
            res[f[1]] = f[17]
    return res


def resolvers_counters(ctx, ns="ns1"):
    out = cli(ctx.admin, "show resolvers dns")
    sect, res = None, {}
    for line in out.splitlines():
        m = re.match(r"\s*nameserver (\S+):", line)
        if m:
            sect = m.group(1)
            continue
        m = re.match(r"\s+(\w+):\s+(\d+)", line)
        if m and sect == ns:
            res[m.group(1)] = int(m.group(2))
    return res


# ----------------------------------------------------------------- moving ----

@timeout(90)
def test_dns_backend_moves(ctx):
    port, ips = replicas(ctx, ["A", "B"])
    dns = Dnsmasq(ctx, hosts={"app.test": [ips["A"]]})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server s1 app.test:%d resolvers dns init-addr none check inter 1s\n"
                              % port, defaults_extra="option redispatch\n    retries 3\n", nbthread=2))
    wait_nodes(px.port, ["A"], what="s1 found at A")
    load = Load(px.port, threads=2).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        t0 = time.time()
        dns.set_hosts({"app.test": [ips["B"]]})
        poll_until(lambda: node(px.port) == "B", 15, "s1 moved to B", interval=0.01)
        ctx.note("DNS change to the first request at the new address: %.0f ms" % ((time.time() - t0) * 1000))
        wait_nodes(px.port, ["B"], what="only B once moved")
        # keep-alive requests after the first one take pooled server
        # connections: none of them may lead to the old address
        c = Client(px.port)
        try:
            got = [c.get("/").body for _ in range(20)]
        finally:
            c.close()
        eq(set(got), {b"NODE_B\n"}, "keep-alive requests (pooled connections) after the move")
        n = load.ok
        poll_until(lambda: load.ok > n + 20, 10, "load goes on at B")
    finally:
        load.stop()
    eq(load.errors, 0, "client errors while the backend moved (samples %r)" % load.err_samples)
    check("changed its IP from %s to %s" % (ips["A"], ips["B"]) in px.logs(),
          "HAProxy's log line for the move: %r" % px.logs()[-800:])
    # connections pooled to the old address are closed (A keeps none),
    # sooner than the 5 s idle purge would close them anyway
    a_pid = [p for p in ctx.procs if p.name == "app-A"][0].pid
    poll_until(lambda: not [c for c in tcp_conns(a_pid, local_port=port) if c[2] == "01"], 3.5,
               "connections to the old address closed")


@timeout(60)
@haproxy_differs("HAProxy lets a check under way to the old address run to its timeout (and counts its "
                 "failure against the server at its new address)")
def test_dns_move_drops_old_check(ctx):
    """A check running when DNS moves its server is about an address the
    server no longer has: tandem drops it without a verdict and checks the
    new address at once. Here the old instance hangs (accepts, never
    answers), so the old check would otherwise wait for `timeout check`
    (10 s) and then count a failure (fall 1: DOWN) against a server whose
    new instance is fine. Seen in lab 003: an instance whose address left
    the network held a check for `timeout connect`."""
    port, ips = replicas(ctx, ["A", "B"])
    dns = Dnsmasq(ctx, hosts={"app.test": [ips["A"]]})
    px = ctx.proxy(dns_config(ctx, dns.port,
                              "    option httpchk GET /health\n"
                              "    server s1 app.test:%d resolvers dns init-addr none check inter 1s fall 1 rise 1\n"
                              % port, defaults_extra="timeout check 10s\n"))
    poll_until(lambda: state(ctx).get("s1", ("", 0))[0] == ips["A"] and stat_status(ctx).get("s1") == "UP", 10,
               "s1 UP at A")
    c = Client(port, host=ips["A"], timeout=3)
    try:
        eq(c.get("/admin/fault?mode=hang").status, 200, "hang fault set on A")
    finally:
        c.close()
    a_pid = [p for p in ctx.procs if p.name == "app-A"][0].pid
    # no client traffic ran: every connection A holds from here on is a check
    poll_until(lambda: [c for c in tcp_conns(a_pid, local_port=port) if c[2] == "01"], 5,
               "a check hanging at A", interval=0.02)
    t0 = time.time()
    dns.set_hosts({"app.test": [ips["B"]]})
    poll_until(lambda: state(ctx).get("s1", ("",))[0] == ips["B"], 5, "s1 moved to B", interval=0.02)
    poll_until(lambda: not [c for c in tcp_conns(a_pid, local_port=port) if c[2] == "01"], 3,
               "the check at the old address dropped", interval=0.02)
    ctx.note("DNS change to the old check dropped: %.0f ms" % ((time.time() - t0) * 1000))
    eq(stat_status(ctx).get("s1"), "UP", "s1 stays UP (no failure counted for the old address)")
    eq(node(px.port), "B", "requests go to B")
    row = [l.split(",") for l in cli(ctx.admin, "show stat").splitlines() if l.startswith("be,s1,")][0]
    hdr = cli(ctx.admin, "show stat").splitlines()[0].lstrip("# ").split(",")
    eq(row[hdr.index("chkfail")], "0", "failed checks of s1")


# --------------------------------------------------------- scaling (A) ----

@timeout(90)
def test_dns_template_scales_with_a_records(ctx):
    port, ips = replicas(ctx, ["A", "B", "C", "D"])
    dns = Dnsmasq(ctx, hosts={"web.test": [ips["A"], ips["B"]]})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server-template web 4 web.test:%d resolvers dns init-addr none\n"
                              % port, nbthread=2))
    wait_nodes(px.port, ["A", "B"], what="two replicas")
    st = state(ctx)
    eq(sorted(k for k, v in st.items() if v[2] & 0x20), ["web3", "web4"], "free slots in maintenance by resolution")
    eq(stat_status(ctx).get("web3"), "MAINT (resolution)", "show stat tells DNS's maintenance apart")
    before = {k: v[0] for k, v in st.items() if not v[2] & 0x20}

    load = Load(px.port, threads=3).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        dns.set_hosts({"web.test": [ips["A"], ips["B"], ips["C"], ips["D"]]})
        wait_nodes(px.port, ["A", "B", "C", "D"], what="scaled up to four")
        st = state(ctx)
        for k, a in before.items():
            eq(st[k][0], a, "slot %s keeps its address while scaling up" % k)
        dns.set_hosts({"web.test": [ips["B"], ips["D"]]})
        wait_nodes(px.port, ["B", "D"], what="scaled down to two")
        dns.set_hosts({"web.test": [ips["B"], ips["C"], ips["D"]]})
        wait_nodes(px.port, ["B", "C", "D"], what="up to three again")
        n = load.ok
        poll_until(lambda: load.ok > n + 20, 10, "load goes on")
    finally:
        load.stop()
    eq(load.errors, 0, "client errors while scaling (samples %r)" % load.err_samples)


@timeout(60)
def test_dns_scale_down_drains(ctx):
    """A replica removed from DNS finishes the request it is serving."""
    port, ips = replicas(ctx, ["A", "B"])
    dns = Dnsmasq(ctx, hosts={"web.test": [ips["A"]]})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server-template web 2 web.test:%d resolvers dns init-addr none\n"
                              % port))
    wait_nodes(px.port, ["A"])
    res = {}

    def slow():
        try:
            r = http(px.port, "GET", "/slow?ms=2000", timeout=10)
            res["r"] = (r.status, r.body)
        except Exception as e:  # noqa: BLE001
            res["r"] = repr(e)
    t = threading.Thread(target=slow)
    t.start()
    poll_until(lambda: _inflight(ips["A"], port) >= 1, 5, "the slow request at A")
    dns.set_hosts({"web.test": [ips["B"]]})
    wait_nodes(px.port, ["B"], what="A left the rotation")
    t.join(10)
    eq(res.get("r"), (200, b"NODE_A\n"), "the request in flight at the removed replica")


def _inflight(ip, port):
    import json
    import socket
    try:
        s = socket.create_connection((ip, port), timeout=1)
        s.sendall(b"GET /admin/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        s.close()
        return json.loads(data.split(b"\r\n\r\n", 1)[1]).get("inflight", 0)
    except (OSError, ValueError, IndexError):
        return 0


# --------------------------------------------------------- scaling (SRV) ----

@timeout(120)
def test_dns_srv_records_ports_weights_and_mass_change(ctx):
    backs = {}
    for i, n in enumerate(["A", "B", "C", "D"]):
        for _ in range(10):
            p = free_port()
            b = app_at(ctx, n, "127.0.0.%d" % (2 + i), p)
            if b:
                backs[n] = ("127.0.0.%d" % (2 + i), p, "%s.test" % n.lower())
                break
    hosts = {t: [ip] for ip, p, t in backs.values()}
    label = "_http._tcp.svc.test"

    def srv(names, weights=None):
        return [(label, backs[n][2], backs[n][1], 0, (weights or {}).get(n, 256)) for n in names]
    dns = Dnsmasq(ctx, hosts=hosts, srv=srv(["A", "B"], {"A": 256, "B": 768}))
    px = ctx.proxy(dns_config(ctx, dns.port, "    server-template t 3 %s resolvers dns\n" % label))
    wait_nodes(px.port, ["A", "B"], what="two SRV records")
    st = state(ctx)
    by_target = {v[4]: v for v in st.values()}
    eq(by_target["a.test"][5], backs["A"][1], "SRV port of A")
    eq(by_target["b.test"][5], backs["B"][1], "SRV port of B")
    eq((by_target["a.test"][3], by_target["b.test"][3]), (1, 3), "weights from the records ((w+255)/256)")
    eq(by_target["a.test"][6], label, "srvrecord column")
    got = nodes(px.port, 40)
    eq((got.count("A"), got.count("B")), (10, 30), "requests follow the SRV weights 1:3")

    load = Load(px.port, threads=3).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        dns.set_srv(srv(["A", "B", "C"]))
        wait_nodes(px.port, ["A", "B", "C"], what="a third SRV record")
        # a mass change: every record replaced at once, no reload
        dns.set_srv(srv(["C", "D"]))
        wait_nodes(px.port, ["C", "D"], what="the new set after a mass change")
        dns.set_srv(srv(["A", "B", "D"]))
        wait_nodes(px.port, ["A", "B", "D"], what="another mass change")
        n = load.ok
        poll_until(lambda: load.ok > n + 20, 10, "load goes on")
    finally:
        load.stop()
    eq(load.errors, 0, "client errors while SRV records changed (samples %r)" % load.err_samples)


# ------------------------------------------------- names, NX, holds, API ----

@timeout(60)
def test_dns_name_appears_after_start(ctx):
    port, ips = replicas(ctx, ["A"])
    dns = Dnsmasq(ctx, hosts={})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server s1 late.test:%d resolvers dns init-addr none\n" % port))
    poll_until(lambda: stat_status(ctx).get("s1") == "MAINT (resolution)", 5, "s1 waits in MAINT (resolution)")
    eq(state(ctx)["s1"][2] & 0x21, 0x20, "show servers state: RMAINT (0x20), not the operator's 0x01")
    eq(http(px.port, "GET", "/").status, 503, "no server yet")
    dns.set_hosts({"late.test": [ips["A"]]})
    wait_nodes(px.port, ["A"], what="s1 once its name appears")
    check(re.search(r"Server be/s1 \('late.test'\) is UP/READY \(resolves again\)", px.logs()),
          "HAProxy's 'resolves again' line: %r" % px.logs()[-600:])


@timeout(60)
def test_dns_nxdomain_hold_and_operator(ctx):
    port, ips = replicas(ctx, ["A"])
    dns = Dnsmasq(ctx, hosts={"app.test": [ips["A"]]})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server s1 app.test:%d resolvers dns init-addr none\n" % port,
                              rs_extra="    hold nx 1500ms\n"))
    wait_nodes(px.port, ["A"])
    t0 = time.time()
    dns.set_hosts({})
    # served on during hold nx...
    dl = Deadline(1.0)
    while not dl.expired():
        eq(node(px.port), "A", "served during hold nx")
        time.sleep(0.05)
    # ...then in maintenance by resolution
    poll_until(lambda: stat_status(ctx).get("s1") == "MAINT (resolution)", 10, "MAINT (resolution) after hold nx")
    check(time.time() - t0 >= 1.4, "maintenance only once hold nx passed")
    check("DNS NX status" in px.logs(), "the cause in the log: %r" % px.logs()[-600:])
    # an operator's ready does not fight DNS
    cli(ctx.admin, "set server be/s1 state ready")
    eq(stat_status(ctx).get("s1"), "MAINT (resolution)", "set server state ready leaves DNS's maintenance")
    # and DNS's return does not end an operator's maintenance
    cli(ctx.admin, "set server be/s1 state maint")
    dns.set_hosts({"app.test": [ips["A"]]})
    poll_until(lambda: not (state(ctx)["s1"][2] & 0x20), 10, "resolves again")
    eq(stat_status(ctx).get("s1"), "MAINT", "still in the operator's maintenance")
    cli(ctx.admin, "set server be/s1 state ready")
    wait_nodes(px.port, ["A"], what="back once both agree")


@timeout(90)
def test_dns_server_killed_and_back(ctx):
    port, ips = replicas(ctx, ["A", "B", "C"])
    dns = Dnsmasq(ctx, hosts={"web.test": [ips["A"], ips["B"]]})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server-template web 3 web.test:%d resolvers dns init-addr none\n"
                              % port, rs_extra="    hold timeout 30s\n    hold other 30s\n"))
    wait_nodes(px.port, ["A", "B"])
    load = Load(px.port, threads=3).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        dns.kill()
        n = load.ok
        poll_until(lambda: load.ok > n + 200, 20, "requests served while DNS is gone")
        time.sleep(2)   # DNS stays down for a while: several failed rounds (no event to poll for)
        eq(set(nodes(px.port, 8)), {"A", "B"}, "the last answer is kept while DNS is gone")
        # back, with one more replica
        dns.hosts = {"web.test": [ips["A"], ips["B"], ips["C"]]}
        dns._write_hosts()
        dns.start()
        wait_nodes(px.port, ["A", "B", "C"], what="DNS back: the change is seen")
    finally:
        load.stop()
    eq(load.errors, 0, "client errors while DNS was gone (samples %r)" % load.err_samples)
    if not is_haproxy():
        c = resolvers_counters(ctx)
        check(c.get("snd_error", 0) + c.get("timeout", 0) > 0, "failed queries counted: %r" % c)


@timeout(60)
def test_dns_two_nameservers_one_dead(ctx):
    """Seed 003: two nameservers, one of another network (silent)."""
    port, ips = replicas(ctx, ["A", "B"])
    dns = Dnsmasq(ctx, hosts={"nginx1.test": [ips["A"]]})
    dead = free_port()
    px = ctx.proxy(dns_config(ctx, dns.port, "    server nginx1 nginx1.test:%d check inter 2s rise 2 fall 3 "
                              "resolvers docker init-addr none\n" % port,
                              nameservers="    nameserver dns1 127.0.0.1:%d\n    nameserver dns2 127.0.0.1:%d\n"
                              % (dead, dns.port)).replace("resolvers dns", "resolvers docker"))
    wait_nodes(px.port, ["A"], what="found through the nameserver that answers")
    dns.set_hosts({"nginx1.test": [ips["B"]]})
    wait_nodes(px.port, ["B"], what="the new address through the nameserver that answers")


@timeout(60)
def test_dns_runtime_api(ctx):
    port, ips = replicas(ctx, ["A", "B"])
    dns = Dnsmasq(ctx, hosts={"a.test": [ips["A"]], "b.test": [ips["B"]]})
    ctx.proxy(dns_config(ctx, dns.port, "    server s1 a.test:%d resolvers dns init-addr none\n"
                         "    server s2 %s:%d\n" % (port, ips["B"], port)))
    poll_until(lambda: state(ctx)["s1"][0] == ips["A"], 10, "s1 resolved")
    out = cli(ctx.admin, "show resolvers")
    check(out.startswith("Resolvers section dns\n nameserver ns1:\n  sent:        "), "show resolvers: %r" % out)
    for k in ("sent", "snd_error", "valid", "update", "cname", "cname_error", "any_err", "nx", "timeout",
              "refused", "other", "invalid", "too_big", "truncated", "outdated"):
        check(re.search(r"\n  %s: +\d+\n" % k, out), "counter %s in %r" % (k, out))
    check(resolvers_counters(ctx)["valid"] > 0, "valid answers counted")
    eq(cli(ctx.admin, "show resolvers nope"), "Can't find that resolvers section\n\n", "unknown section")
    out = cli(ctx.admin, "set server be/s1 fqdn b.test")
    check("be/s1 changed its FQDN from a.test to b.test" in out, "set server fqdn: %r" % out)
    poll_until(lambda: state(ctx)["s1"][0] == ips["B"], 10, "s1 follows its new name")
    eq(state(ctx)["s1"][4], "b.test", "srv_fqdn")
    out = cli(ctx.admin, "set server be/s2 fqdn a.test")
    check("no resolution is configured" in out, "fqdn on a server without resolvers: %r" % out)


def _config_errors(ctx, bad):
    for i, (body, line) in enumerate(bad):
        rc, out, path = ctx.check_config("defaults\n    mode http\n" + body, name="bad%d" % i)
        check(rc != 0, "config %d must be refused: %r" % (i, out))
        check("%s:%d]" % (os.path.basename(path), line + 2) in out,
              "config %d: the error names file:line %d: %r" % (i, line + 2, out))


def test_dns_config_errors(ctx):
    _config_errors(ctx, [
        ("resolvers dns\n    nameserver ns1 127.0.0.1:53\nbackend be\n"
         "    server-template s 0 a.test:80 resolvers dns init-addr none\n", 4),             # count out of range
        ("resolvers dns\n    nameserver ns1 300.1.1.1:53\n", 2),                              # not an address
    ])


@haproxy_differs("HAProxy names no file:line for an unknown resolvers section, resolves a nameserver "
                 "written as a name (libc, at load time) and accepts 'a..test' as a name")
def test_dns_config_errors_file_line(ctx):
    _config_errors(ctx, [
        ("resolvers dns\n    nameserver ns1 127.0.0.1:53\nbackend be\n"
         "    server s1 a.test:80 resolvers nope init-addr none\n", 4),                      # unknown section
        ("resolvers dns\n    nameserver ns1 localhost:53\n", 2),                              # a name
        ("resolvers dns\n    nameserver ns1 127.0.0.1:53\nbackend be\n"
         "    server s1 a..test:80 resolvers dns init-addr none\n", 4),                      # not a name
    ])


# --------------------------------------------------------- a reload (tandem) ----

@timeout(90)
def test_dns_reload_keeps_addresses_and_asks_nothing(ctx):
    tandem_only("reload handover of DNS state")
    port, ips = replicas(ctx, ["A", "B", "C"])
    dns = Dnsmasq(ctx, hosts={"web.test": [ips["A"], ips["C"]]})
    px = ctx.proxy(dns_config(ctx, dns.port, "    server-template web 3 web.test:%d resolvers dns init-addr none\n"
                              % port, resolve="5s"))
    wait_nodes(px.port, ["A", "C"])
    before = {k: (v[0], v[2]) for k, v in state(ctx).items()}
    load = Load(px.port, threads=3).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        workers = [p for p in proc_tree(px.pid) if p != px.pid]
        os.kill(px.pid, signal.SIGUSR2)
        poll_until(lambda: [p for p in proc_tree(px.pid) if p != px.pid and p not in workers], 10, "new worker")
        poll_until(lambda: "Reload done" in px.logs(), 10, "reload done")
        after = {k: (v[0], v[2]) for k, v in state(ctx).items()}
        eq(after, before, "addresses and slots after the reload")
        eq(resolvers_counters(ctx).get("sent"), 0, "queries sent by the new worker right after the reload")
        n = load.ok
        poll_until(lambda: load.ok > n + 50, 10, "load goes on after the reload")
    finally:
        load.stop()
    eq(load.errors, 0, "client errors across the reload (samples %r)" % load.err_samples)
    # the new worker keeps following DNS
    dns.set_hosts({"web.test": [ips["A"], ips["B"], ips["C"]]})
    wait_nodes(px.port, ["A", "B", "C"], secs=20, what="the new worker follows DNS")


# ------------------------------------------------ answers nobody should trust ----

@timeout(60)
def test_dns_malformed_answers_are_dropped(ctx):
    """A DNS server in Python answers a valid A record first, then every
    kind of bad answer: the server keeps its address, nothing crashes, the
    drops are counted (tandem), and a valid answer still works after."""
    port, ips = replicas(ctx, ["A", "B"])
    mode = {"m": "good", "ip": ips["A"]}

    def handler(qid, name, qtype, question):
        m = mode["m"]
        if qtype != 1:
            return [(answer(qid, question), None)]                       # NODATA for AAAA
        good = answer(qid, question, [rr_a(mode["ip"])])
        if m == "good":
            return [(good, None)]
        if m == "loop":     # the record's owner: a pointer to itself
            at = 12 + len(question)
            return [(answer(qid, question, [struct.pack(">H", 0xc000 | at) + rr_a(ips["B"])[2:]]), None)]
        if m == "wrongid":
            return [(answer(qid ^ 0x5555, question, [rr_a(ips["B"])]), None)]
        if m == "source":   # the right id and question, from another port
            return [(answer(qid, question, [rr_a(ips["B"])]), "other")]
        if m == "trunc":    # TC set, and no TCP to retry over
            return [(answer(qid, question, [rr_a(ips["B"])], flags=0x8380), None)]
        if m == "big":      # far more than the 512 bytes announced, no TC
            return [(answer(qid, question, [rr_a("10.%d.%d.1" % (i // 250, i % 250)) for i in range(100)]), None)]
        if m == "garbage":
            return [(struct.pack(">H", qid) + b"\x81\x80" + os.urandom(40), None)]
        if m == "short":
            return [(b"\x00", None)]
        return []
    fake = FakeDns(handler)
    ctx.servers.append(fake)
    px = ctx.proxy(dns_config(ctx, fake.port, "    server s1 app.test:%d resolvers dns init-addr none\n" % port,
                              rs_extra="    hold other 30s\n    hold timeout 30s\n"))
    wait_nodes(px.port, ["A"])
    counted = {"loop": "invalid", "wrongid": "outdated", "source": "invalid", "trunc": "truncated",
               "big": "too_big", "garbage": "invalid", "short": "invalid"}
    for m in ("loop", "wrongid", "source", "trunc", "big", "garbage", "short"):
        before = resolvers_counters(ctx) if not is_haproxy() else {}
        mode["m"] = m
        n = sum(fake.queries.values())
        poll_until(lambda: sum(fake.queries.values()) >= n + 4, 10, "tandem asking during '%s'" % m)
        eq(set(nodes(px.port, 4)), {"A"}, "the address after '%s' answers" % m)
        check(px.proc.alive(), "alive after '%s'" % m)
        if not is_haproxy():
            k = counted[m]
            poll_until(lambda: resolvers_counters(ctx).get(k, 0) > before.get(k, 0), 5,
                       "'%s' answers counted as %s" % (m, k))
    # still listening to good answers
    mode.update(m="good", ip=ips["B"])
    wait_nodes(px.port, ["B"], what="a valid answer after all that")
    eq(fake.errors, [], "fake DNS server errors")


# ------------------------------------------------------- tandem's displays ----

@timeout(60)
def test_dns_maintenance_in_metrics_and_dashboard(ctx):
    tandem_only("/metrics and the dashboard JSON")
    port, ips = replicas(ctx, ["A"])
    dns = Dnsmasq(ctx, hosts={"web.test": [ips["A"]]})
    stats = free_port()
    cfg = dns_config(ctx, dns.port, "    server-template web 2 web.test:%d resolvers dns init-addr none\n" % port)
    cfg += "\nlisten stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % stats
    px = ctx.proxy(cfg)
    wait_nodes(px.port, ["A"])
    body = http(stats, "GET", "/metrics").body.decode()
    check('tandem_server_state{proxy="be",server="web2",state="MAINT_RESOLUTION"} 1' in body,
          "metrics: %r" % [l for l in body.splitlines() if "web2" in l and "state" in l])
    check('tandem_server_state{proxy="be",server="web2",state="MAINT"} 0' in body, "not the operator's MAINT")
    j = http(stats, "GET", "/stats;json").body.decode()
    check('"MAINT (resolution)"' in j and '"admin":"ready"' in j, "dashboard JSON: %r" % j[:400])
