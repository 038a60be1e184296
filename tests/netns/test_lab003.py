"""Lab 003 (seed 003_fa8cd845f26234c1.txt), its runnable playbook in network
namespaces (tests/netns/lab003.py builds the lab's network 172.20.0.0/16:
dnsmasq, three Debian nginx, haproxy1 and haproxy2, a client). Part 1 on one
machine without root is `tandem-chaos --playbook 003` (tests/integ/test_labs.py);
here is what needs hosts of their own: two balancers sharing the virtual IP
172.20.0.100 with keepalived's VRRP, each tandem reading the lab's own
keepalived-master.conf / keepalived-backup.conf (state MASTER / BACKUP,
priority 100 / 90, PASS authentication, advert_int 1), and, as a variant, one
tandem paired with Debian's HAProxy and keepalived running the lab's files.

The client opens a new connection to the VIP every 100 ms (3 s timeout, the
lab's curl loop without its 0.3 s pause); "lost" = requests that failed. The
lab's numbers: the VIP moves in 1-3 s when the master dies, 0-2 requests
lost; success rate > 99% during a backend failure; ~33% each when healthy;
backends found again after an IP change (10-15 s there). Measurements are
printed as "INFO measure NAME VALUE" and kept in tests/out/netns-lab003.json
(doc/labs.md quotes them).
"""
import os
import re
import signal
import subprocess
import time

from lab import LabError, sweep_stale, wait_for
from lab003 import (ADVERT_MS, BALANCERS, NGINX, PRIO, ROOT, VIP, Lab003, Load, bin_path, master_down_ms, skew_ms)

MEASURES = {}
LOST_MAX = 2            # the lab: 0-2 requests lost when the master dies
VIP_MOVE_MAX_MS = 3000  # the lab: the VIP moves in 1-3 s


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def measure(name, value, unit="ms"):
    MEASURES[name] = round(value, 1)
    print("INFO measure %s %.1f %s" % (name, value, unit), flush=True)


class Env:
    """One test's lab (run.py makes one per test and closes it)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.l3 = None

    def lab(self, variant="tandem"):
        self.l3 = Lab003(self.workdir, variant)
        self.l3.start()
        return self.l3

    def sanitizer_reports(self):
        return self.l3.sanitizer_reports() if self.l3 else []

    def close(self):
        if self.l3:
            self.l3.close()


def stable_holder(l3, b, secs):
    """<b> alone holds the VIP for <secs> (sampled every 20 ms)."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        h = l3.holders()
        check(h == [b], "VIP holders %s, want only %s" % (h, b))
        time.sleep(0.02)


class Moves:
    """VIP moves under the client's load: each timed when it happens, its
    lost requests counted once the load has ended (a request started just
    before a move may take its whole timeout to fail)."""

    def __init__(self, l3, ld):
        self.l3, self.ld, self.windows = l3, ld, []

    def move(self, name, action, to, limit_ms, lost_max=LOST_MAX):
        """Run <action>, wait for <to> alone to hold the VIP; ms waited."""
        t = time.monotonic()
        action()
        try:
            self.l3.wait_holder(to, limit_ms / 1000.0 + 3)
        except LabError as e:
            raise Fail("%s: %s" % (name, e))
        ms = (time.monotonic() - t) * 1000
        measure(name + "_vip_move", ms)
        check(ms <= limit_ms, "%s: the VIP moved to %s after %.0f ms (limit %.0f)" % (name, to, ms, limit_ms))
        self.windows.append((name, t, t + ms / 1000.0, lost_max))
        time.sleep(1.2)   # the next move's window starts after this one's
        return ms

    def judge(self):
        """After the load ended: requests lost (and delayed) around each move."""
        self.ld.stop()
        for name, a, b, lost_max in self.windows:
            lost = self.ld.failed(a - 0.2, b + 1.0)
            slow = [r for r in self.ld.served(a - 0.2, b + 1.0) if r["t1"] - r["t0"] > 0.5]
            measure(name + "_lost", len(lost), "requests")
            measure(name + "_delayed_over_500ms", len(slow), "requests")
            check(len(lost) <= lost_max, "%s: %d requests lost (limit %d): %s" % (name, len(lost), lost_max,
                                                                                   lost[:5]))


def shares(rs):
    ok = [r for r in rs if r["ok"]]
    return {n: 100.0 * sum(1 for r in ok if r.get("node") == n) / max(1, len(ok)) for n in NGINX}


def test_vip_failover(env):
    """Part 2, Demos 3 and 4: haproxy1 (state MASTER, priority 100) holds the
    VIP and serves ~33% to each nginx; `docker stop haproxy1` (SIGTERM: tandem
    leaves VRRP with priority 0) moves it to haproxy2 within the lab's 1-3 s
    with at most 2 requests lost; haproxy1 back takes it again (priority 100
    preempts, as keepalived does: the lab's "VIP stays with haproxy2" holds
    only with nopreempt); kill -9 of tandem (its guard sends priority 0) is as
    fast; the lab's process kill (`pkill haproxy` while keepalived lives) is
    tandem's worker killed: its master forks a new one, the VIP never moves,
    nothing is lost."""
    l3 = env.lab()
    for b in BALANCERS:
        eq_addrs = {n: l3.server_addr(b, n) for n in NGINX}
        check(eq_addrs == {n: l3.addr[n] for n in NGINX}, "%s's servers resolved by DNS: %s" % (b, eq_addrs))
        check("changed its IP from (none) to 172.20.0.11 by docker/dns2" in l3.procs[b].log(),
              "init-addr libc,none then the lab's dns2 on %s:\n%s" % (b, l3.procs[b].log()[-1500:]))
    ld = Load(l3.lab, 40)
    time.sleep(2.0)
    sh = shares(ld.snapshot())
    measure("healthy_share_min", min(sh.values()), "%")
    check(all(25 <= v <= 42 for v in sh.values()), "~33%% each through the VIP: %s" % sh)

    mv = Moves(l3, ld)
    skew2 = skew_ms(PRIO["haproxy2"])
    ms = mv.move("stop_master", lambda: l3.stop_balancer("haproxy1"), "haproxy2", VIP_MOVE_MAX_MS)
    check(ms >= skew2 * 0.5, "SIGTERM: the VIP moved after %.0f ms, before haproxy2's Skew_Time" % ms)
    # state MASTER: one advert interval plus its Skew_Time to hear a master, then it preempts
    mv.move("master_back", lambda: l3.start_balancer("haproxy1", wait_servers=False), "haproxy1",
            ADVERT_MS + skew_ms(PRIO["haproxy1"]) + 2500)
    wait_for(lambda: l3.servers_up("haproxy1") == 3, 8, "haproxy1's servers UP")
    mv.move("kill9_master", lambda: l3.stop_balancer("haproxy1", signal.SIGKILL), "haproxy2", VIP_MOVE_MAX_MS)
    mv.move("master_back_again", lambda: l3.start_balancer("haproxy1"), "haproxy1",
            ADVERT_MS + skew_ms(PRIO["haproxy1"]) + 5000)

    time.sleep(0.5)
    t = time.monotonic()
    old = l3.kill_worker("haproxy1")

    def new_worker():
        check(l3.holders() == ["haproxy1"], "the VIP left haproxy1 when its worker died: %s" % l3.holders())
        return l3.worker_pid("haproxy1") not in (None, old)
    wait_for(new_worker, 5, "a new worker on haproxy1", interval=0.02)
    measure("worker_killed_new_worker_after", (time.monotonic() - t) * 1000)
    stable_holder(l3, "haproxy1", 1.5)
    check("restarting it" in l3.procs["haproxy1"].log(), "the master restarted its worker")
    time.sleep(1.0)
    mv.windows.append(("worker_killed", t, t, 1))
    mv.judge()
    rs = ld.snapshot()
    ok = sum(1 for r in rs if r["ok"])
    measure("vip_failover_success_rate", 100.0 * ok / max(1, len(rs)), "%")


def test_node_crash_and_partition(env):
    """Part 2, the lab's container kill and network partition, and its split
    brain: a whole node dying (cable out, every process killed: no priority
    0) moves the VIP after haproxy2's Master_Down_Interval (3 x advert_int +
    Skew_Time = 3.65 s: keepalived's timer, above the lab's 1-3 s, which is a
    clean stop's); `docker network disconnect haproxy1` makes haproxy2 MASTER
    after the same interval while the cut-off haproxy1 stays MASTER (both hold
    the VIP: split brain); reconnected, it heals to one holder, haproxy1
    (priority 100), within about an advert interval, and tandem counts the
    split brain."""
    l3 = env.lab()
    ld = Load(l3.lab, 45)
    time.sleep(1.0)
    mv = Moves(l3, ld)
    mdi = master_down_ms(PRIO["haproxy2"])
    mv.move("node_crash", lambda: l3.crash("haproxy1"), "haproxy2", mdi + 600, lost_max=1000)
    l3.start_balancer("haproxy1", wait_servers=False)
    l3.wait_holder("haproxy1", 8)
    wait_for(lambda: l3.servers_up("haproxy1") == 3, 8, "haproxy1's servers UP")
    time.sleep(0.5)

    t = time.monotonic()
    l3.disconnect("haproxy1")
    wait_for(lambda: "haproxy2" in l3.holders(), mdi / 1000 + 3, "haproxy2 to take the VIP")
    ms = (time.monotonic() - t) * 1000
    measure("partition_backup_master_after", ms)
    # from the last advert heard, which came up to one interval before the cut
    check(mdi - ADVERT_MS - 100 <= ms <= mdi + 600,
          "haproxy2 MASTER %.0f ms after the partition (Master_Down_Interval %.0f)" % (ms, mdi))
    h = l3.holders()
    check(h == ["haproxy1", "haproxy2"], "split brain during the partition: both hold the VIP (%s)" % h)
    check(l3.vrrp("haproxy1", "state") == "MASTER" and l3.vrrp("haproxy2", "state") == "MASTER", "both MASTER")
    before = int(l3.vrrp("haproxy1", "split_brain") or 0)
    time.sleep(0.5)

    t = time.monotonic()
    l3.connect("haproxy1")
    ms = l3.wait_holder("haproxy1", 5)
    measure("partition_healed_one_holder_after", ms)
    check(ms <= ADVERT_MS + 700, "one holder %.0f ms after the partition healed" % ms)
    stable_holder(l3, "haproxy1", 1.0)
    check(l3.vrrp("haproxy2", "state") == "BACKUP", "haproxy2 BACKUP again")
    check(int(l3.vrrp("haproxy1", "split_brain") or 0) > before, "tandem on haproxy1 counted the split brain")
    time.sleep(1.5)
    served = ld.first_ok_from("nginx1", t) or ld.first_ok_from("nginx2", t) or ld.first_ok_from("nginx3", t)
    check(served is not None, "the client is served after the partition healed")
    mv.judge()


def test_backends_and_dns(env):
    """Part 1 through the VIP, and the lab's Demo 6 (a backend failure plus a
    load balancer failure): nginx1 stopped, haproxy1 stopped, nginx2 stopped,
    then all three back: > 99% success throughout, nginx3 alone while it is the
    last, ~33% each at the end. A stopped nginx is a stopped container: its
    address leaves the network, so the requests a balancer had just sent there
    wait for `timeout connect` (5 s, the lab's) before going to another server;
    the client waits up to 10 s (the lab's curl loop has no limit). Then nginx1
    comes back with a new IP (the lab's Troubleshooting): both balancers take
    its new address from the DNS server and the client reaches it through the
    VIP within about a second (the lab: 10-15 s)."""
    l3 = env.lab()
    ld = Load(l3.lab, 55, period_ms=50, timeout_ms=10000)
    time.sleep(1.0)
    t0 = time.monotonic()
    l3.stop_nginx("nginx1")
    time.sleep(1.5)
    l3.stop_balancer("haproxy1")
    l3.wait_holder("haproxy2", 3)
    time.sleep(1.0)
    l3.stop_nginx("nginx2")
    t_last = time.monotonic()
    time.sleep(2.0)
    sh = shares([r for r in ld.snapshot() if t_last + 0.5 <= r["t0"] < t_last + 1.8])
    check(sh["nginx3"] == 100, "nginx3 alone serves while nginx1 and nginx2 are down: %s" % sh)
    l3.start_nginx("nginx1")
    l3.start_balancer("haproxy1", wait_servers=False)
    l3.start_nginx("nginx2")
    l3.wait_holder("haproxy1", 6)
    for b in BALANCERS:
        wait_for(lambda: l3.servers_up(b) == 3, 12, "3 nginx UP on %s" % b, interval=0.05)
    t_end = time.monotonic()
    time.sleep(1.5)
    sh = shares([r for r in ld.snapshot() if r["t0"] >= t_end])
    check(all(25 <= v <= 42 for v in sh.values()), "~33%% each once all are back: %s" % sh)

    old = l3.addr["nginx1"]
    l3.stop_nginx("nginx1")
    time.sleep(1.0)
    t = time.monotonic()
    new = l3.move_nginx("nginx1")
    for b in BALANCERS:
        wait_for(lambda: l3.server_addr(b, "nginx1") == new, 5, "%s to take nginx1's new address %s" % (b, new),
                 interval=0.02)
        measure("readdress_%s_new_address_after" % b, (time.monotonic() - t) * 1000)
        check("nginx_backend/nginx1 changed its IP from %s to %s by docker/dns2" % (old, new) in l3.procs[b].log(),
              "%s logged the move" % b)
    wait_for(lambda: ld.first_ok_from("nginx1", t), 5, "nginx1 to answer through the VIP at %s" % new)
    ms = (ld.first_ok_from("nginx1", t) - t) * 1000
    measure("readdress_first_answer_through_vip", ms)
    check(ms <= 2000, "nginx1 at its new address answered through the VIP after %.0f ms" % ms)
    time.sleep(1.0)
    ld.stop()
    rs = [r for r in ld.snapshot() if r["t0"] >= t0]
    ok = [r for r in rs if r["ok"]]
    rate = 100.0 * len(ok) / max(1, len(rs))
    measure("backend_and_lb_failures_success_rate", rate, "%")
    measure("backend_and_lb_failures_lost", len(rs) - len(ok), "requests")
    measure("backend_and_lb_failures_max_latency", 1000 * max(r["t1"] - r["t0"] for r in ok))
    measure("backend_and_lb_failures_delayed_over_1s", sum(1 for r in ok if r["t1"] - r["t0"] > 1), "requests")
    check(rate > 99, "success rate %.2f%% (%d lost of %d): %s" % (rate, len(rs) - len(ok), len(rs),
                                                                 [r for r in rs if not r["ok"]][:5]))


def _edit(l3, name, old, new):
    path = os.path.join(l3.conf, name)
    with open(path) as f:
        text = f.read()
    check(old in text, "%s has %r" % (name, old))
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def test_exercises_priority_state_auth(env):
    """The lab's Exercise 3 (master's priority 80, backup's 90: the backup
    becomes MASTER), Exercise 4 (both state MASTER: still one MASTER, the
    higher priority, since each hears the other) and the authentication it
    lists among the split-brain defences (a node with another password is
    not obeyed: both MASTER, each counting the other's adverts as dropped)."""
    l3 = env.lab()
    _edit(l3, "keepalived-master.conf", "priority 100", "priority 80")
    l3.stop_balancer("haproxy1")
    l3.wait_holder("haproxy2", 3)
    l3.start_balancer("haproxy1", wait_servers=False)
    wait_for(lambda: l3.vrrp("haproxy1", "state") == "BACKUP", 5, "haproxy1 (priority 80) BACKUP")
    stable_holder(l3, "haproxy2", ADVERT_MS / 1000.0 + skew_ms(80) / 1000.0 + 1.0)
    check(l3.vrrp("haproxy1", "state") == "BACKUP", "Exercise 3: haproxy1 at 80 stays BACKUP")

    _edit(l3, "keepalived-backup.conf", "state BACKUP", "state MASTER")
    _edit(l3, "keepalived-master.conf", "priority 80", "priority 100")
    l3.stop_balancer("haproxy1")
    l3.stop_balancer("haproxy2")
    check(l3.holders() == [], "nobody holds the VIP with both stopped")
    l3.start_balancer("haproxy1", wait_servers=False)
    l3.start_balancer("haproxy2", wait_servers=False)
    l3.wait_holder("haproxy1", 6)
    stable_holder(l3, "haproxy1", 2.0)
    check(l3.vrrp("haproxy2", "state") == "BACKUP", "Exercise 4: both state MASTER, one MASTER")

    _edit(l3, "keepalived-backup.conf", "auth_pass 1111", "auth_pass 2222")
    l3.stop_balancer("haproxy2")
    l3.start_balancer("haproxy2", wait_servers=False)
    wait_for(lambda: l3.holders() == ["haproxy1", "haproxy2"], master_down_ms(PRIO["haproxy2"]) / 1000 + 3,
             "both to hold the VIP (another password: neither obeys the other)")
    d1 = int(l3.vrrp("haproxy1", "dropped_auth_password") or 0)
    d2 = int(l3.vrrp("haproxy2", "dropped_auth_password") or 0)
    check(d1 > 0 and d2 > 0, "each drops the other's adverts (auth_password): %d, %d" % (d1, d2))
    check("(VI_1) dropped a VRRP packet from 172.20.0.21: auth_password: wrong password" in l3.procs["haproxy2"].log(),
          "haproxy2 logs haproxy1's adverts dropped for their password:\n%s" % l3.procs["haproxy2"].log()[-2000:])


def test_variant_keepalived(env):
    """The variant: tandem on haproxy1 (keepalived-master.conf) paired with
    Debian's HAProxy 2.6 on the lab's haproxy.cfg and Debian's keepalived on
    keepalived-backup.conf on haproxy2, as in the lab. VRRPv2 with PASS between
    them: tandem stops, keepalived takes the VIP within the lab's 1-3 s and at
    most 2 requests lost; tandem back preempts (priority 100)."""
    l3 = env.lab("keepalived")
    ld = Load(l3.lab, 25)
    time.sleep(1.0)
    sh = shares(ld.snapshot())
    check(all(25 <= v <= 42 for v in sh.values()), "~33%% each through tandem: %s" % sh)
    mv = Moves(l3, ld)
    mv.move("variant_stop_tandem", lambda: l3.stop_balancer("haproxy1"), "haproxy2", VIP_MOVE_MAX_MS)
    time.sleep(1.5)
    t = time.monotonic()
    sh = shares([r for r in ld.snapshot() if r["t0"] >= t - 1.2])
    check(all(25 <= v <= 42 for v in sh.values()), "~33%% each through HAProxy: %s" % sh)
    mv.move("variant_tandem_back", lambda: l3.start_balancer("haproxy1", wait_servers=False), "haproxy1",
            ADVERT_MS + skew_ms(PRIO["haproxy1"]) + 2500)
    wait_for(lambda: l3.servers_up("haproxy1") == 3, 8, "haproxy1's servers UP")
    mv.move("variant_kill9_tandem", lambda: l3.stop_balancer("haproxy1", signal.SIGKILL), "haproxy2",
            VIP_MOVE_MAX_MS)
    mv.judge()


def test_demo(env):
    """`make demo LAB=003` as root: tools/demo.sh runs the lab in namespaces
    (tests/netns/lab003.py demo), prints playbook-netns.txt with every name
    and address filled in, follows the VIP, obeys the lab's steps typed on
    its input ("stop haproxy1": the VIP moves to haproxy2), and on Ctrl-C
    (SIGINT) stops every process and removes every namespace and its
    directory."""
    bindir = os.path.dirname(bin_path("tandem"))
    out = os.path.join(env.workdir, "demo.out")
    with open(out, "w") as f:
        p = subprocess.Popen(["bash", os.path.join(ROOT, "tools", "demo.sh")], stdin=subprocess.PIPE, stdout=f,
                             stderr=subprocess.STDOUT, env=dict(os.environ, LAB="003", BIN=bindir))

    def text():
        with open(out, errors="replace") as f:
            return f.read()
    try:
        m = wait_for(lambda: re.search(r"^files, logs and sockets in (\S+) ", text(), re.M) or p.poll() is not None,
                     30, "the demo to start")
        check(p.poll() is None, "the demo exited:\n%s" % text()[-3000:])
        work = m.group(1)
        check("${" not in text(), "every variable of playbook-netns.txt filled in:\n%s" % text()[:4000])
        ns = re.search(r"client\s+172\.20\.0\.50\s+(\S+)", text()).group(1)
        tag = ns.rsplit("-", 1)[0]
        r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", "3", "http://%s/" % VIP],
                           stdout=subprocess.PIPE, text=True, timeout=10)
        check(r.stdout.startswith("NODE_nginx"), "the VIP answers from the client namespace: %r" % r.stdout)
        wait_for(lambda: "vip: %s held by haproxy1" % VIP in text(), 10, "the demo to report the VIP on haproxy1")
        p.stdin.write(b"stop haproxy1\n")
        p.stdin.flush()
        wait_for(lambda: "vip: %s held by haproxy2" % VIP in text(), 10, "the VIP on haproxy2 after `stop haproxy1`")
        check(re.search(r"^haproxy1: .*\(VI_1\) sent 0 priority", text(), re.M), "haproxy1's event lines followed")
        os.kill(p.pid, signal.SIGINT)
        eq_rc = p.wait(30)
        check(eq_rc == 0, "demo exit status %s:\n%s" % (eq_rc, text()[-2000:]))
        left = [n for n in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout.split()
                if n.startswith(tag)]
        check(not left, "namespaces left: %s" % left)
        check(not os.path.exists(work), "the demo's directory %s removed" % work)
        check("stopping lab 003" in text(), "says it stops")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
            sweep_stale()
