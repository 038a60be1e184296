"""The labs of the seeds, runnable (doc/labs.md): each lab's playbook run by
tandem-chaos against its topology (tandem on contrib/labs/NNN/tandem.cfg,
tandem-app nodes, Redis or dnsmasq where the lab has a dependency), checking
the lab's own expected numbers; `tandem-chaos --demo` (what `make demo
LAB=NNN` runs) starting a lab, printing its playbook and obeying typed
actions; a single run on a lab; tools/demo.sh refusing an unknown lab, and
refusing lab 003 (network namespaces) without root. Lab 003's Part 2 is
tested in tests/netns/test_lab003.py."""
import json
import os
import re
import signal
import subprocess
import time

from harness import (BIN_DIR, ROOT, Proc, check, eq, http, parse_json, poll_until, serial, tandem_only,
                     timeout)
from test_app import app_only

CHAOS = os.path.join(BIN_DIR, "tandem-chaos")


def _chaos(ctx, args, limit, name="chaos"):
    tandem_only("tandem-chaos drives tandem's own labs")
    app_only()
    check(os.access(CHAOS, os.X_OK), "missing %s" % CHAOS)
    p = ctx.spawn(name, [CHAOS] + args + ["--workdir", ctx.tmpdir])
    rc = p.wait(limit)
    check(rc is not None, "tandem-chaos did not finish within %ds:\n%s" % (limit, p.tail()))
    return rc, p.out(), p.err()


def _playbook(ctx, lab, limit):
    out = ctx.path("pb-%s.json" % lab)
    rc, stdout, err = _chaos(ctx, ["--playbook", lab, "--json", out, "--chart", ctx.path("pb.html")], limit)
    ctx.note("playbook output:\n" + stdout[-5000:] + err[-1000:])
    with open(out) as f:
        d = parse_json(f.read(), "playbook JSON")
    failed = ["%s: %s" % (s["name"], s["error"] or "; ".join(
        "%s=%s" % (c["what"], c["value"]) for c in s["checks"] if not c["pass"] and not c["info"]))
        for s in d["scenarios"] if not s["pass"]]
    check(not failed, "scenarios failed: %s" % " | ".join(failed)[:2000])
    eq((rc, d["lab"], d["pass"]), (0, lab, True), "exit status, lab, pass")
    return {s["name"]: s for s in d["scenarios"]}


def _value(scen, what):
    for c in scen["checks"]:
        if c["what"].startswith(what):
            return c["value"]
    raise AssertionError("no check %r in %s" % (what, scen["name"]))


@serial
@timeout(240)
def test_playbook_000(ctx):
    """Lab 000 (nginx over two Gunicorn nodes): sanity, A killed under 10
    connections (out within 1-2 s, no 502, B at 100%), A back (within ~5 s,
    then 5/5), A's Redis killed (a real zombie: out of the pool, / still 200)
    and back. Every judged check passes; the key numbers are where the lab
    says."""
    sc = _playbook(ctx, "000", 230)
    eq(sorted(sc), ["failover", "heal", "recovery", "sanity", "zombie"], "scenarios")
    check(0 <= _value(sc["failover"], "tandem marks A DOWN") <= 2000, "A removed within 2 s")
    eq(_value(sc["failover"], "502 answers"), 0, "no 502")
    eq(_value(sc["failover"], "B's share"), 100, "B takes everything")
    check(_value(sc["recovery"], "A's share back") <= 5000, "A back within ~5 s")
    check(4 <= _value(sc["recovery"], "then 10 requests: answered by A") <= 6, "about 5/5")
    eq(_value(sc["zombie"], "A's own / (alive)"), 200, "the zombie still answers /")
    eq(_value(sc["zombie"], "A's own /health_check"), 503, "its deep health is red")


@serial
@timeout(240)
def test_playbook_002(ctx):
    """Lab 002 (HAProxy over N gateways): 33/33/33, 50/50 while one is
    dead and 33/33/33 again, scaling to five with `add server`, leastconn
    and source, a drained rolling deploy without an error."""
    sc = _playbook(ctx, "002", 230)
    eq(sorted(sc), ["failure", "leastconn", "rolling", "roundrobin", "scale", "source"], "scenarios")
    for name in ("gateway-1", "gateway-2"):
        v = _value(sc["failure"], "%s's share while gateway-3 is dead" % name)
        check(45 <= v <= 55, "50/50 while gateway-3 is dead: %s %.1f" % (name, v))
    eq(_value(sc["scale"], "servers UP in `show stat`"), 5, "five gateways after two add server")
    eq(_value(sc["rolling"], "client errors"), 0, "zero-downtime deploy")


@serial
@timeout(240)
def test_playbook_001(ctx):
    """Lab 001 (one port, a slow writer and two readers weighted 3:1, routed
    by path): 20 reads split 15:5 and writes reach the writer alone, writes
    slower than reads, a reader stopped under load without an error, both
    readers down (503 on /read, /write still served), the writer's graceful
    shutdown; the lab's load shapes: `ab -n 1000 -c 50` on /read (every
    request answered, no error, 3:1 kept, requests/s and p95/p99 reported)
    and its k6 stages at a tenth (no error, every answer 2xx, latency
    reported)."""
    sc = _playbook(ctx, "001", 230)
    eq(sorted(sc), ["all-readers-down", "failover", "graceful", "latency", "ramp", "routing", "throughput"],
       "scenarios")
    eq(_value(sc["routing"], "20 reads: answered by FAST_REPLICA_1"), 15, "15 of 20 reads to the weight-3 replica")
    eq(_value(sc["routing"], "20 reads: answered by FAST_REPLICA_2"), 5, "5 of 20 to the weight-1 replica")
    eq(_value(sc["routing"], "4 writes: answered by the writer"), 4, "writes go to the writer")
    check(_value(sc["latency"], "10 writes: total time") >= 500, "10 writes take 10 x 50 ms at least")
    eq(_value(sc["failover"], "FAST_REPLICA_2's share"), 100, "the other replica takes everything")
    eq(_value(sc["all-readers-down"], "/read with both replicas stopped"), 503, "no reader left: 503")
    eq(_value(sc["all-readers-down"], "/write meanwhile"), 200, "the writer is another backend")
    t = sc["throughput"]
    eq((_value(t, "requests sent"), _value(t, "requests answered 2xx"), _value(t, "client errors")),
       (1000, 1000, 0), "ab -n 1000 -c 50: sent, answered, errors")
    eq((t["run"]["count"], t["run"]["conns"]), (1000, 50), "the load was ab's: -n 1000 -c 50")
    for name, lo, hi in (("FAST_REPLICA_1", 70, 80), ("FAST_REPLICA_2", 20, 30)):
        for s in ("throughput", "ramp"):
            v = _value(sc[s], "%s's share" % name)
            check(lo <= v <= hi, "%s: %s's share %.1f%% (weights 3:1)" % (s, name, v))
    for s in ("throughput", "ramp"):
        check(_value(sc[s], "requests per second") > 0, "%s: requests/s reported" % s)
        check(0 < _value(sc[s], "p95 latency") <= _value(sc[s], "p99 latency"), "%s: p95 <= p99 reported" % s)
    r = sc["ramp"]
    eq((_value(r, "client errors"), _value(r, "answers with a 2xx status")), (0, 100),
       "the ramp: no error, all 200")
    eq(r["run"]["stages"], [{"ms": 3000, "conns": 20}, {"ms": 6000, "conns": 50}, {"ms": 3000, "conns": 0}],
       "the ramp's stages")


@serial
@timeout(240)
def test_playbook_004(ctx):
    """Lab 004 (/api to two instances sharing Redis, the rest to a static
    site): an instance whose memory passes 80% gets no traffic at all, the
    application keeps working, and the management path (use-server +
    force-persist) reaches the sick instance that ordinary requests never
    reach, which then comes back."""
    sc = _playbook(ctx, "004", 230)
    eq(sorted(sc), ["lesson", "routing", "sick"], "scenarios")
    eq(_value(sc["routing"], "4 x /: answered by the static site"), 4, "the rest goes to the static site")
    eq(_value(sc["sick"], "api-1's share from 2 s after"), 0, "the sick node gets no traffic")
    eq(_value(sc["sick"], "5 x /api/health: answered by api-2"), 5, "'2 - OK' five times")
    eq(_value(sc["lesson"], "... answered by the healthy api-2"), 1, "the ordinary path never reaches it")
    eq(_value(sc["lesson"], "... answered by api-1, out of the pool"), 1, "the management path reaches it")
    check(_value(sc["lesson"], "api-1 back in the pool") >= 0, "api-1 comes back once its memory is freed")


@serial
@timeout(240)
def test_playbook_003(ctx):
    """Lab 003, Part 1 (HAProxy over three nginx found by DNS, `init-addr
    libc,none`, dnsmasq): ~33% each, the servers' addresses from DNS; nginx1
    then nginx2 stopped and both back 5 s apart with > 99% success (none
    lost); nginx1 back with a new IP and found again within ~1 s (the lab:
    10-15 s); the DNS server gone: nothing for 10 s (hold timeout), then
    MAINT (resolution), and back at its first answer."""
    sc = _playbook(ctx, "003", 230)
    eq(sorted(sc), ["dns-down", "failover", "readdress", "roundrobin"], "scenarios")
    for n in ("nginx1", "nginx2", "nginx3"):
        v = _value(sc["roundrobin"], "%s's share (~33%% each)" % n)
        check(28 <= v <= 38, "%s %.1f%% when healthy" % (n, v))
    check(_value(sc["failover"], "success rate") > 99, "> 99% success during the backend failures")
    eq(_value(sc["failover"], "nginx3's share while nginx1 and nginx2 are dead"), 100, "nginx3 alone")
    check(0 <= _value(sc["readdress"], "first answer from nginx1 at its new address") <= 2000,
          "found again within 1-2 s")
    eq(_value(sc["readdress"], "`show servers state` gives nginx1 its new address"), 1, "the new address")
    check(10000 <= _value(sc["dns-down"], "nginx1 in MAINT (resolution) after") <= 13300, "hold timeout 10s")


def _read_until(proc, pattern, secs, what):
    """Wait until stdout of <proc> matches <pattern>; returns the match."""
    def look():
        return re.search(pattern, proc.out(), re.M)
    return poll_until(look, secs, what, interval=0.05)


@serial
@timeout(90)
def test_demo_000(ctx):
    """tandem-chaos --demo 000: starts the lab (Redis, nodes, tandem), prints
    the lab's playbook with the ports it took, serves through the frontend,
    obeys "kill A" and "restart A" typed on its input (tandem logs A DOWN and
    UP), and on "quit" stops every process it started and removes its
    directory."""
    tandem_only("the demo drives tandem")
    app_only()
    p = Proc("demo", [CHAOS, "--demo", "000", "--workdir", ctx.tmpdir], ctx.tmpdir, stdin=subprocess.PIPE)
    ctx.procs.append(p)
    m = _read_until(p, r"^processes: (.*)$", 30, "the demo to start")
    pids = [int(x) for x in re.findall(r"pid (\d+)", m.group(1))]
    eq(len(pids), 5, "redis-A, redis-B, A, B and tandem started: %r" % m.group(1))
    fe = int(re.search(r"tandem \(nginx's place\)\s+http://127\.0\.0\.1:(\d+)/", p.out()).group(1))
    check("${" not in p.out(), "every variable of playbook.txt filled in:\n" + p.out()[:3000])
    check("Test 2 -- hard failure" in p.out(), "the lab's playbook is printed")
    r = http(fe, "GET", "/health_check")
    eq(r.status, 200, "deep health through the demo's tandem")
    eq(parse_json(r.body)["redis"]["state"], "up", "the node's Redis")

    def say(line):
        p.p.stdin.write(line.encode() + b"\n")
        p.p.stdin.flush()
    say("kill A")
    _read_until(p, r"^chaos: kill A: done$", 10, "kill A done")
    _read_until(p, r"^tandem: .*Server backend/A is DOWN", 10, "tandem to log A DOWN")
    say("restart A")
    _read_until(p, r"^tandem: .*Server backend/A is UP", 15, "tandem to log A UP again")
    say("bogus A")
    _read_until(p, r"^chaos: .*unknown action 'bogus'", 10, "a bad command explained")
    workdirs = [d for d in os.listdir(ctx.tmpdir) if d.startswith("tandem-chaos-")]
    eq(len(workdirs), 1, "one lab directory")
    say("quit")
    rc = p.wait(20)
    eq(rc, 0, "demo exit status (output %s)" % p.tail())
    for pid in pids:
        check(not os.path.exists("/proc/%d" % pid) or
              open("/proc/%d/stat" % pid).read().split(")")[1].split()[0] == "Z",
              "process %d stopped" % pid)
    check(not os.path.exists(os.path.join(ctx.tmpdir, workdirs[0])), "lab directory removed")


@serial
@timeout(60)
def test_demo_003(ctx):
    """tandem-chaos --demo 003 (`make demo LAB=003 PART=1`): dnsmasq, three
    nodes on loopback addresses of their own, tandem finding them by DNS;
    "move nginx1" typed on its input starts nginx1 on a new address and tells
    the DNS server, and tandem follows ("changed its IP"); "quit" stops every
    process."""
    tandem_only("the demo drives tandem")
    app_only()
    p = Proc("demo", [CHAOS, "--demo", "003", "--workdir", ctx.tmpdir], ctx.tmpdir, stdin=subprocess.PIPE)
    ctx.procs.append(p)
    m = _read_until(p, r"^processes: (.*)$", 30, "the demo to start")
    pids = [int(x) for x in re.findall(r"pid (\d+)", m.group(1))]
    eq(len(pids), 5, "dns, nginx1, nginx2, nginx3 and tandem started: %r" % m.group(1))
    check("nginx1 pid %d (127.0.0.11:" % pids[1] in m.group(1), "nginx1 on its own address: %r" % m.group(1))
    check("${" not in p.out(), "every variable of playbook.txt filled in:\n" + p.out()[:3000])
    fe = int(re.search(r"tandem \(HAProxy's place\) http://127\.0\.0\.1:(\d+)/", p.out()).group(1))
    got = set()
    for _ in range(6):
        r = http(fe, "GET", "/")
        eq(r.status, 200, "through the demo's tandem")
        got.add(r.body.decode().strip())
    eq(got, {"NODE_nginx1", "NODE_nginx2", "NODE_nginx3"}, "round robin over the three")

    def say(line):
        p.p.stdin.write(line.encode() + b"\n")
        p.p.stdin.flush()
    say("kill nginx1")
    _read_until(p, r"^chaos: kill nginx1: done$", 10, "kill nginx1 done")
    say("move nginx1")
    _read_until(p, r"^chaos: move nginx1: done$", 10, "move nginx1 done")
    _read_until(p, r"^tandem: .*nginx_backend/nginx1 changed its IP from 127\.0\.0\.11 to 127\.0\.1\.11 by "
                r"docker/dns1", 10, "tandem to follow nginx1's new address")
    poll_until(lambda: "NODE_nginx1" in [http(fe, "GET", "/").body.decode().strip() for _ in range(3)], 10,
               "nginx1 to answer through tandem again")
    say("quit")
    eq(p.wait(20), 0, "demo exit status (output %s)" % p.tail())
    for pid in pids:
        check(not os.path.exists("/proc/%d" % pid) or
              open("/proc/%d/stat" % pid).read().split(")")[1].split()[0] == "Z",
              "process %d stopped" % pid)


# The demos (and `make demo LAB=...`) take each lab's own ports when they are free: two demos
# started at the same moment would choose the same ones, so the tests that start one are @serial.


def _demo(ctx, lab, nprocs, fe_label):
    """tandem-chaos --demo <lab> started with its input on a pipe: waits for
    the process list, checks that it started <nprocs> processes and that
    every variable of playbook.txt was filled in. Returns (proc, pids,
    frontend port, say)."""
    tandem_only("the demo drives tandem")
    app_only()
    p = Proc("demo", [CHAOS, "--demo", lab, "--workdir", ctx.tmpdir], ctx.tmpdir, stdin=subprocess.PIPE)
    ctx.procs.append(p)
    m = _read_until(p, r"^processes: (.*)$", 30, "the demo to start")
    pids = [int(x) for x in re.findall(r"pid (\d+)", m.group(1))]
    eq(len(pids), nprocs, "processes started: %r" % m.group(1))
    check("${" not in p.out(), "every variable of playbook.txt filled in:\n" + p.out()[:3000])
    check("Lab %s --" % lab in p.out(), "the lab's playbook is printed")
    fe = int(re.search(re.escape(fe_label) + r"\s+http://127\.0\.0\.1:(\d+)/", p.out()).group(1))

    def say(line):
        p.p.stdin.write(line.encode() + b"\n")
        p.p.stdin.flush()
    return p, pids, fe, say


def _gone(pid):
    return not os.path.exists("/proc/%d" % pid) or \
        open("/proc/%d/stat" % pid).read().split(")")[1].split()[0] == "Z"


def _demo_stopped(ctx, p, pids, stop, want_rc=0):
    """Stop the demo with <stop> (a typed "quit" or a signal): exit status
    <want_rc>, "stopping lab" said, no sanitizer report found in the lab's
    logs (sanitized build), every process it started gone and its lab
    directory removed."""
    workdirs = [d for d in os.listdir(ctx.tmpdir) if d.startswith("tandem-chaos-")]
    eq(len(workdirs), 1, "one lab directory in %s" % ctx.tmpdir)
    stop()
    rc = p.wait(20)
    eq(rc, want_rc, "demo exit status (output %s)" % p.tail())
    check(re.search(r"^stopping lab \d{3}$", p.out(), re.M), "the demo says it stops the lab")
    check("sanitizer report" not in p.err(),
          "the lab's processes logged no sanitizer report: %s" % p.err()[-600:])
    for pid in pids:
        check(_gone(pid), "process %d stopped" % pid)
    check(not os.path.exists(os.path.join(ctx.tmpdir, workdirs[0])), "lab directory removed")


@serial
@timeout(60)
def test_demo_001(ctx):
    """tandem-chaos --demo 001 (`make demo LAB=001`): the writer and two
    readers behind tandem, the playbook filled in; /read and /write served
    through tandem by the backends the path names; "kill FAST_REPLICA_1"
    typed: tandem logs it DOWN; "quit" stops everything."""
    p, pids, fe, say = _demo(ctx, "001", 4, "tandem (nginx's place)")
    r = http(fe, "GET", "/read")
    eq(r.status, 200, "/read through the demo's tandem")
    check(r.body.decode().strip() in ("NODE_FAST_REPLICA_1", "NODE_FAST_REPLICA_2"), "a reader: %r" % r.body)
    r = http(fe, "POST", "/write", body=b"x")
    eq((r.status, parse_json(r.body)["node"]), (200, "SLOW"), "/write to the writer")
    say("kill FAST_REPLICA_1")
    _read_until(p, r"^chaos: kill FAST_REPLICA_1: done$", 10, "kill FAST_REPLICA_1 done")
    _read_until(p, r"^tandem: .*Server readers/FAST_REPLICA_1 is DOWN", 10, "tandem to log FAST_REPLICA_1 DOWN")
    eq(http(fe, "GET", "/read").body.decode().strip(), "NODE_FAST_REPLICA_2", "the other reader answers")
    _demo_stopped(ctx, p, pids, lambda: say("quit"))


@serial
@timeout(60)
def test_demo_002(ctx):
    """tandem-chaos --demo 002 (`make demo LAB=002`): three gateways behind
    tandem (gateway-4 and -5 waiting to be added), the playbook filled in;
    round robin over the three; "drain gateway-1" typed on its input acts on
    tandem's runtime API (no new request reaches gateway-1); "quit" stops
    everything."""
    p, pids, fe, say = _demo(ctx, "002", 4, "tandem (HAProxy's place)")
    got = set()
    for _ in range(6):
        r = http(fe, "GET", "/")
        eq(r.status, 200, "through the demo's tandem")
        got.add(r.header("x-node"))
    eq(got, {"gateway-1", "gateway-2", "gateway-3"}, "round robin over the three gateways")
    say("drain gateway-1")
    _read_until(p, r"^chaos: drain gateway-1: done$", 10, "drain gateway-1 done")
    got = [http(fe, "GET", "/").header("x-node") for _ in range(6)]
    eq(sorted(set(got)), ["gateway-2", "gateway-3"], "a drained gateway gets no new request: %r" % got)
    _demo_stopped(ctx, p, pids, lambda: say("quit"))


@serial
@timeout(60)
def test_demo_004(ctx):
    """tandem-chaos --demo 004 (`make demo LAB=004`): Redis, two API
    instances and the static site behind tandem, the playbook filled in;
    /api/health through tandem from an instance, / from the static site;
    "stress api-1" typed: its memory passes 80%, tandem logs it DOWN; "quit"
    stops everything (Redis too)."""
    p, pids, fe, say = _demo(ctx, "004", 5, "tandem (nginx's place)")
    r = http(fe, "GET", "/api/health")
    eq(r.status, 200, "/api/health through the demo's tandem")
    check(r.header("x-node") in ("api-1", "api-2"), "an API instance answers: %r" % r.headers)
    eq(http(fe, "GET", "/").header("x-node"), "web", "the rest to the static site")
    say("stress api-1")
    _read_until(p, r"^chaos: stress api-1: done$", 10, "stress api-1 done")
    _read_until(p, r"^tandem: .*Server api_backend/api-1 is DOWN", 10, "tandem to log api-1 DOWN")
    _demo_stopped(ctx, p, pids, lambda: say("quit"))


@serial
@timeout(60)
def test_demo_sh_lab000_sigint(ctx):
    """`make demo LAB=000` as the Makefile runs it (tools/demo.sh with LAB
    in the environment, the built binaries in BIN, nothing rebuilt): lab 000
    starts (Redis x2, A, B, tandem) with its playbook filled in, serves deep
    health through tandem, and Ctrl-C (SIGINT) stops every process it
    started and removes its directory (in TMPDIR); tandem-chaos exits 130,
    as after any Ctrl-C (doc/chaos.md)."""
    tandem_only("the demo drives tandem")
    app_only()
    p = ctx.spawn("demo-sh", ["bash", os.path.join(ROOT, "tools", "demo.sh")],
                  env={"LAB": "000", "BIN": BIN_DIR, "TMPDIR": ctx.tmpdir})
    m = _read_until(p, r"^processes: (.*)$", 30, "the demo to start")
    pids = [int(x) for x in re.findall(r"pid (\d+)", m.group(1))]
    eq(len(pids), 5, "redis-A, redis-B, A, B and tandem started: %r" % m.group(1))
    check("${" not in p.out(), "every variable of playbook.txt filled in:\n" + p.out()[:3000])
    check(os.path.realpath("/proc/%d/exe" % p.pid) == os.path.realpath(CHAOS),
          "demo.sh gave its place to tandem-chaos (exec): Ctrl-C reaches it")
    fe = int(re.search(r"tandem \(nginx's place\)\s+http://127\.0\.0\.1:(\d+)/", p.out()).group(1))
    eq(http(fe, "GET", "/health_check").status, 200, "deep health through the demo's tandem")
    _demo_stopped(ctx, p, pids, lambda: p.signal(signal.SIGINT), want_rc=130)


def test_demo_sh_lab003_needs_root(ctx):
    """`make demo LAB=003` without root: tools/demo.sh says that Part 2 needs
    network namespaces (root), how to run it, and that PART=1 runs without
    root; it creates nothing and exits 1. (As root, the test drops to
    nobody; tests/netns/test_lab003.py runs the demo as root.)"""
    argv = ["bash", os.path.join(ROOT, "tools", "demo.sh")]
    if os.geteuid() == 0:
        check(os.access("/usr/bin/setpriv", os.X_OK), "setpriv (util-linux) to run the demo as nobody")
        argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
    p = ctx.spawn("demo-sh", argv, env={"LAB": "003", "BIN": BIN_DIR})
    eq(p.wait(30), 1, "exit status (output %s)" % p.tail())
    check(re.search(r"lab 003 needs root.*network namespaces.*sudo make demo LAB=003.*make demo LAB=003 PART=1",
                    p.err(), re.S), "message: %r" % p.err())
    eq(p.out(), "", "nothing started")


def test_demo_sh_refuses_unknown_lab(ctx):
    """`make demo LAB=999` (tools/demo.sh with LAB set) names the labs there
    are and starts nothing."""
    p = ctx.spawn("demo-sh", ["bash", os.path.join(ROOT, "tools", "demo.sh")],
                  env={"LAB": "999", "BIN": BIN_DIR})
    eq(p.wait(30), 2, "exit status (output %s)" % p.tail())
    check(re.search(r"no lab '999' \(there are: .*000.*002.*003", p.err()), "message: %r" % p.err())


@timeout(60)
def test_single_run_on_lab(ctx):
    """--lab 002 with faults from the command line: drain and ready act on
    the runtime API of the lab's tandem; --lab 000 takes a fault on a Redis
    (redis-A), reported against the node that depends on it."""
    out = ctx.path("run.json")
    rc, stdout, err = _chaos(ctx, ["--lab", "002", "--duration", "3s", "-c", "6", "--fault", "1s:drain:gateway-1",
                                   "--fault", "2s:ready:gateway-1", "--json", out], 50)
    eq(rc, 0, "exit status (stderr %s)" % err[-800:])
    with open(out) as f:
        d = json.load(f)
    eq(d["nodes"], ["gateway-1", "gateway-2", "gateway-3", "gateway-4", "gateway-5"], "nodes (dynamic ones too)")
    eq([(x["action"], x["node"], x["ok"]) for x in d["faults"]],
       [("drain", "gateway-1", True), ("ready", "gateway-1", True)], "faults")
    check(0 <= d["faults"][0]["detect_traffic_ms"] <= 300, "no new request to a drained server: %r" % d["faults"][0])
    check(any(e["node"] == "gateway-1" and e["status"] == "DRAIN" for e in d["lb_events"]),
          "tandem's stats showed DRAIN: %r" % d["lb_events"])
    eq(d["totals"]["errors"], 0, "client errors")
    rc, stdout, err = _chaos(ctx, ["--lab", "000", "--duration", "3s", "--fault", "1s:kill:redis-A",
                                   "--json", out], 50)
    eq(rc, 0, "exit status (stderr %s)" % err[-800:])
    with open(out) as f:
        d = json.load(f)
    f0 = d["faults"][0]
    eq((f0["action"], f0["node"], f0["ok"]), ("kill", "redis-A", True), "fault on a dependency")
    check(f0["detect_lb_ms"] is not None and 0 <= f0["detect_lb_ms"] <= 2000,
          "A (whose Redis died) marked DOWN: %r" % f0)
    eq(d["totals"]["errors"], 0, "client errors")
