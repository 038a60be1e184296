"""tandem reading a keepalived.conf (`keepalived-config`), paired with real
keepalived (Debian's) running the same file's twin, in network namespaces
made by each test (tests/netns/lab.py).

Nodes: "a" (192.0.2.1, 2001:db8::1) runs tandem in front of a tandem-app
named A; "k" (192.0.2.3) runs keepalived with a tandem-app named K listening
on the virtual address itself; "c" (192.0.2.10) is the client, opening a new
connection to the VIP every 20 ms (client.py) and, in some tests, watching
gratuitous ARPs / neighbour advertisements (sniff.py). The two
configurations differ only in priority, state, router_id and unicast
addresses, as a user's twins do.

Covered: version 2 with PASS authentication and version 3; multicast,
unicast and IPv6; tandem MASTER / keepalived BACKUP and the reverse; kill
-9 and SIGTERM on either side; never both MASTER over a long window; a
failing vrrp_script with a negative weight hands the VIP over and its
recovery takes it back; a hung script is a failure; a wrong password is not
obeyed; a partition and its healing (one MASTER after it, gratuitous ARP
from the winner at once); use_vmac; notifications in transition order, one
at a time, from a file the scripts append to; no notification of a state
never had at start-up.

Takeover times are printed as "INFO measure NAME VALUE ms" and kept in
tests/out/netns-vrrp_keepalived.json (doc/vrrp.md quotes them).
"""
import json
import os
import signal
import subprocess
import threading
import time

from lab import LabError, wait_for
from test_vrrp import Client, Env, Fail, bin_path, check, in_ns, promtool_check  # noqa: F401 (Env: run.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIP4 = "192.0.2.100"
VIP6 = "2001:db8::100"
MEASURES = {}



def measure(name, ms):
    MEASURES[name] = round(ms, 1)
    print("INFO measure %s %.1f ms" % (name, ms), flush=True)


# ---- the twin keepalived.conf ----

def ka_conf(node, prio, state="BACKUP", version=None, advert="1", auth=None, unicast=None, ipv6=False,
            vmac=False, scripts="", track="", notify="", extra=""):
    """A keepalived.conf as a user writes it. <unicast>: (src, [peers])."""
    vip = "%s/64" % VIP6 if ipv6 else "%s/24" % VIP4
    g = ["    router_id %s" % node.upper(), "    vrrp_garp_master_delay 1"]
    if version:
        g.append("    vrrp_version %d" % version)
    inst = ["    state %s" % state, "    interface eth0", "    virtual_router_id 51", "    priority %d" % prio,
            "    advert_int %s" % advert]
    if auth:
        inst += ["    authentication {", "        auth_type PASS", "        auth_pass %s" % auth, "    }"]
    if unicast:
        inst += ["    unicast_src_ip %s" % unicast[0], "    unicast_peer {"] + \
                ["        %s" % p for p in unicast[1]] + ["    }"]
    if vmac:
        inst.append("    use_vmac")
    inst += ["    virtual_ipaddress {", "        %s" % vip, "    }"]
    if track:
        inst += ["    track_script {"] + ["        %s" % t for t in track.split(";")] + ["    }"]
    if notify:
        inst.append(notify)
    if extra:
        inst.append(extra)
    return "! %s's twin of the pair's keepalived.conf\nglobal_defs {\n%s\n}\n%s\nvrrp_instance VI_1 {\n%s\n}\n" % (
        node, "\n".join(g), scripts, "\n".join(inst))


def tandem_cfg(ka_path, ipv6=False):
    vip = "[%s]" % VIP6 if ipv6 else VIP4
    return """global
    nbthread 1
    stats socket ipv4@127.0.0.1:9999 level admin
    keepalived-config %s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s:80
    default_backend app
backend app
    server s1 127.0.0.1:8080
listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
""" % (ka_path, vip)


class Pair:
    """Nodes a (tandem), k (keepalived), c (client) on one LAN."""

    def __init__(self, env, ipv6=False):
        self.env, self.lab, self.ipv6 = env, env.lab, ipv6
        self.vip = VIP6 if ipv6 else VIP4
        for node, host in (("a", 1), ("k", 3), ("c", 10)):
            self.lab.add_node(node, host)
        env.app("a")
        env.app("k", "[::]:80" if ipv6 else "0.0.0.0:80")
        self.runs = {}
        self.t = self.k = None

    def start_tandem(self, ka_text):
        env = self.env
        self.runs["a"] = self.runs.get("a", 0) + 1
        ka = env.write("ka-a.conf", ka_text)
        cfg = env.write("tandem-a.cfg", tandem_cfg(ka, self.ipv6))
        pr = self.lab.spawn("a", "tandem-a-%d" % self.runs["a"], [bin_path("tandem"), "-f", cfg])
        self.t = pr
        wait_for(lambda: "(VI_1) Entering" in pr.log() or not pr.alive(), 8, "tandem on a to start VRRP")
        check(pr.alive(), "tandem on a exited:\n%s" % pr.log()[-3000:])
        return pr

    def start_keepalived(self, ka_text):
        env = self.env
        self.runs["k"] = self.runs.get("k", 0) + 1
        cfg = env.write("keepalived-k.conf", ka_text)
        files = [os.path.join(env.workdir, "keepalived-k.%s" % x) for x in ("pid", "vrrp.pid", "chk.pid", "bfd.pid")]
        pr = self.lab.spawn("k", "keepalived-k-%d" % self.runs["k"],
                            ["keepalived", "-n", "-l", "-G", "-D", "-P", "-f", cfg, "-p", files[0],
                             "-r", files[1], "-c", files[2], "-b", files[3]])
        self.k = pr
        wait_for(lambda: "Entering BACKUP STATE" in pr.log() or "Entering MASTER STATE" in pr.log()
                 or not pr.alive(), 8, "keepalived on k to start")
        check(pr.alive(), "keepalived on k exited:\n%s" % pr.log()[-3000:])
        return pr

    def holders(self):
        return self.lab.holders(self.vip, ["a", "k"])

    def expect_holder(self, node, timeout, stable=0.3):
        try:
            wait_for(lambda: self.holders() == [node], timeout, "%s to be the only holder of %s" % (node, self.vip))
        except LabError:
            raise Fail("VIP holders: %s, want only %s\ntandem:\n%s\nkeepalived:\n%s" % (
                self.holders(), node, self.t.log()[-2500:] if self.t else "", self.k.log()[-2500:] if self.k else ""))
        end = time.monotonic() + stable
        while time.monotonic() < end:
            h = self.holders()
            check(h == [node], "VIP holders changed to %s (want only %s)" % (h, node))
            time.sleep(0.02)

    def show(self):
        return in_ns(self.env, "a", "sh", "-c", "echo 'show vrrp' | socat -t 2 - TCP:127.0.0.1:9999")

    def stat(self, key):
        for line in self.show().splitlines():
            if line.startswith(key + ": "):
                return line.split(": ", 1)[1]
        return None

    def kill_tandem(self, sig):
        """Signal tandem's master. After SIGKILL its guard acts (priority 0,
        addresses removed) and exits, and its worker stops (it gets SIGTERM
        when its master dies); what is left after 5 s is killed."""
        kids = self.t.children()
        self.lab.extra_pids.extend(kids)
        self.lab.kill(self.t, sig)
        self.t.p.wait(10)
        if sig == signal.SIGKILL:
            try:
                wait_for(lambda: not any(alive(k) for k in kids), 5, "tandem's guard and worker to exit")
            except LabError:
                for pid in kids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def kill_keepalived(self, sig):
        """Signal keepalived's parent; after SIGKILL its VRRP child stops on
        its own (priority 0 first) and the parent is reaped, so that a new
        keepalived does not find it in its pid file."""
        kids = self.k.children()
        self.lab.extra_pids.extend(kids)
        self.lab.kill(self.k, sig)
        self.k.p.wait(10)
        wait_for(lambda: not any(alive(k) for k in kids), 5, "keepalived's children to exit")


class VClient(Client):
    """client.py against <addr> (the IPv4 or the IPv6 VIP)."""

    def __init__(self, env, duration, addr=VIP4):
        self.results = []
        self.lock = threading.Lock()
        self.p = env.lab.spawn("c", "client-%s" % addr.replace(":", "_"),
                               ["python3", "-u", os.path.join(ROOT, "tests", "netns", "client.py"),
                                addr, "80", "20", str(duration), "1000"], stdout_pipe=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()


class Watch:
    """Samples the VIP's holders every 20 ms in a thread: how many samples
    saw both nodes holding it."""

    def __init__(self, pair):
        self.pair, self.both, self.samples, self.stop = pair, [], 0, False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            h = self.pair.holders()
            self.samples += 1
            if len(h) > 1:
                self.both.append(time.monotonic())
            time.sleep(0.02)

    def end(self):
        self.stop = True
        self.t.join(5)
        return self.both


class Sniffer:
    """sniff.py in namespace c: gratuitous ARPs and NAs seen on the LAN."""

    def __init__(self, env):
        self.lines, self.lock = [], threading.Lock()
        self.p = env.lab.spawn("c", "sniff", ["python3", "-u", os.path.join(ROOT, "tests", "netns", "sniff.py"), "eth0"],
                               stdout_pipe=True)
        threading.Thread(target=self.read, daemon=True).start()
        wait_for(lambda: any(x.get("kind") == "ready" for x in self.snapshot()), 5, "the sniffer to start")

    def read(self):
        for line in self.p.p.stdout:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.lines.append(r)

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def seen(self, kind, ip, mac, since):
        return [x for x in self.snapshot() if x.get("kind") == kind and x.get("ip") == ip and x.get("mac") == mac
                and x["t"] >= since]


def alive(pid):
    """Is <pid> running (not gone, not a zombie)?"""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "State:\tZ" not in f.read()
    except OSError:
        return False


def marked_procs(marker):
    """PIDs of processes whose command line holds <marker>."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if marker.encode() in f.read().split(b"\0"):
                        pids.append(int(d))
            except OSError:
                pass
    return pids


# ---- tests ----

def test_v2_pass_tandem_master(env):
    """Version 2 with PASS authentication, tandem MASTER (priority 200,
    state MASTER) / keepalived BACKUP (150): keepalived accepts tandem's
    adverts; SIGTERM of tandem hands over within Skew_Time (priority 0),
    tandem's return preempts, kill -9 of tandem (its guard sends priority
    0) hands over again."""
    p = Pair(env)
    p.start_keepalived(ka_conf("k", 150, auth="s3cret"))
    p.start_tandem(ka_conf("a", 200, state="MASTER", auth="s3cret"))
    p.expect_holder("a", 6)
    check("Entering BACKUP STATE" in p.k.log() and "Entering MASTER STATE" not in p.k.log(),
          "keepalived did not stay BACKUP:\n" + p.k.log()[-2000:])
    check(p.stat("version") == "2" and p.stat("authentication") == "PASS" and p.stat("state") == "MASTER",
          "show vrrp:\n" + p.show())
    cl = VClient(env, 20)
    try:
        cl.wait_served("a", time.monotonic(), 3)
        t = time.monotonic()
        p.kill_tandem(signal.SIGTERM)
        d = cl.wait_served("k", t, 5)
        measure("v2_tandem_sigterm_to_keepalived", d)
        p.expect_holder("k", 2)
        t = time.monotonic()
        p.start_tandem(ka_conf("a", 200, state="MASTER", auth="s3cret"))
        d = cl.wait_served("a", t, 8)
        measure("v2_tandem_returns_preempts", d)
        p.expect_holder("a", 2)
        t = time.monotonic()
        p.kill_tandem(signal.SIGKILL)
        d = cl.wait_served("k", t, 5)
        measure("v2_tandem_kill9_to_keepalived", d)
        p.expect_holder("k", 2)
    finally:
        cl.stop()


def test_v2_pass_keepalived_master(env):
    """The reverse roles: keepalived MASTER (200) / tandem BACKUP (150),
    version 2 with PASS: tandem obeys keepalived's adverts; keepalived's
    SIGTERM (priority 0) and kill -9 hand over to tandem, its return
    preempts."""
    p = Pair(env)
    p.start_keepalived(ka_conf("k", 200, state="MASTER", auth="s3cret"))
    p.expect_holder("k", 6)
    p.start_tandem(ka_conf("a", 150, auth="s3cret"))
    p.expect_holder("k", 2, stable=1.5)
    check(p.stat("state") == "BACKUP" and p.stat("master") == "192.0.2.3" and p.stat("dropped") == "0",
          "tandem is not a clean BACKUP of keepalived:\n" + p.show())
    cl = VClient(env, 20)
    try:
        cl.wait_served("k", time.monotonic(), 3)
        t = time.monotonic()
        p.kill_keepalived(signal.SIGTERM)
        d = cl.wait_served("a", t, 5)
        measure("v2_keepalived_sigterm_to_tandem", d)
        p.expect_holder("a", 2)
        t = time.monotonic()
        p.start_keepalived(ka_conf("k", 200, state="MASTER", auth="s3cret"))
        d = cl.wait_served("k", t, 8)
        measure("v2_keepalived_returns_preempts", d)
        p.expect_holder("k", 2)
        t = time.monotonic()
        p.kill_keepalived(signal.SIGKILL)
        d = cl.wait_served("a", t, 5)
        measure("v2_keepalived_kill9_to_tandem", d)
        p.expect_holder("a", 2)
    finally:
        cl.stop()


def test_v3_unicast_never_both_master(env):
    """Version 3, unicast peers, 100 ms adverts, tandem MASTER: over a long
    window (12 s, sampled every 20 ms) the VIP is never held by both, and
    neither side restarts an election: keepalived stays BACKUP, tandem
    counts no split brain and drops nothing; keepalived (the BACKUP) killed
    and restarted changes nothing; then SIGTERM of tandem hands over."""
    p = Pair(env)
    kconf = ka_conf("k", 150, version=3, advert="0.1", unicast=("192.0.2.3", ["192.0.2.1"]))
    p.start_keepalived(kconf)
    p.start_tandem(ka_conf("a", 200, version=3, advert="0.1", unicast=("192.0.2.1", ["192.0.2.3"])))
    p.expect_holder("a", 4)
    w = Watch(p)
    time.sleep(6)
    p.kill_keepalived(signal.SIGKILL)
    time.sleep(1)
    p.start_keepalived(kconf)
    time.sleep(5)
    both = w.end()
    check(w.samples > 200 and not both, "both held the VIP in %d of %d samples" % (len(both), w.samples))
    check(p.holders() == ["a"], "holders %s" % p.holders())
    check(p.stat("unicast") == "1" and p.stat("version") == "3" and p.stat("split_brain") == "0" and
          p.stat("dropped") == "0" and p.stat("transitions") == "2", "show vrrp:\n" + p.show())
    check("Entering MASTER STATE" not in p.k.log(), "keepalived became MASTER:\n" + p.k.log()[-2000:])
    cl = VClient(env, 4)
    try:
        cl.wait_served("a", time.monotonic(), 3)
        t = time.monotonic()
        p.kill_tandem(signal.SIGTERM)
        d = cl.wait_served("k", t, 3)
        measure("v3_unicast_tandem_sigterm_to_keepalived", d)
    finally:
        cl.stop()


def test_v3_ipv6(env):
    """IPv6: version 3 over ff02::12 from the link-local addresses, the VIP
    2001:db8::100/64; tandem (200) is MASTER and announces the address with
    unsolicited neighbour advertisements (the client's neighbour entry
    points to it); SIGTERM of tandem hands over to keepalived, and tandem's
    return takes it back, NA included."""
    p = Pair(env, ipv6=True)
    sn = Sniffer(env)
    p.start_keepalived(ka_conf("k", 150, advert="0.1", ipv6=True))
    t0 = time.monotonic()
    p.start_tandem(ka_conf("a", 200, advert="0.1", ipv6=True))
    p.expect_holder("a", 4)
    mac_a = p.lab.mac("a")
    wait_for(lambda: sn.seen("na", VIP6, mac_a, t0), 3, "tandem's neighbour advertisement for the VIP")
    check(p.stat("family") == "IPv6" and p.stat("version") == "3" and p.stat("master").startswith("fe80::"),
          "show vrrp:\n" + p.show())
    cl = VClient(env, 12, VIP6)
    try:
        cl.wait_served("a", time.monotonic(), 3)
        check(p.lab.neigh("c", VIP6) == mac_a, "the client's neighbour entry for the VIP is %s, a is %s" %
              (p.lab.neigh("c", VIP6), mac_a))
        t = time.monotonic()
        p.kill_tandem(signal.SIGTERM)
        d = cl.wait_served("k", t, 4)
        measure("v3_ipv6_tandem_sigterm_to_keepalived", d)
        p.expect_holder("k", 2)
        t = time.monotonic()
        p.start_tandem(ka_conf("a", 200, advert="0.1", ipv6=True))
        d = cl.wait_served("a", t, 5)
        measure("v3_ipv6_tandem_returns_preempts", d)
        p.expect_holder("a", 2)
        check(sn.seen("na", VIP6, mac_a, t), "no neighbour advertisement from a after it took the VIP back")
    finally:
        cl.stop()


def test_script_weight_hands_over_and_back(env):
    """A vrrp_script (weight -60, fall 1, rise 1) fails on tandem's node:
    its priority 200 becomes 140, keepalived (150) preempts; the script
    recovers: tandem is 200 again and preempts back."""
    ok = os.path.join(env.workdir, "ok")
    open(ok, "w").close()
    scr = 'vrrp_script chk {\n    script "/bin/sh -c \'test -f %s\'"\n    interval 1\n    timeout 1\n' \
          '    weight -60\n    fall 1\n    rise 1\n}\n' % ok
    p = Pair(env)
    p.start_keepalived(ka_conf("k", 150, version=3, advert="0.1"))
    p.start_tandem(ka_conf("a", 200, version=3, advert="0.1", scripts=scr, track="chk"))
    p.expect_holder("a", 5)
    check(p.stat("effective_priority") == "200", "show vrrp:\n" + p.show())
    cl = VClient(env, 14)
    try:
        cl.wait_served("a", time.monotonic(), 3)
        t = time.monotonic()
        os.unlink(ok)
        d = cl.wait_served("k", t, 5)
        measure("script_fails_keepalived_takes_over", d)
        p.expect_holder("k", 2)
        check(p.stat("effective_priority") == "140", "show vrrp:\n" + p.show())
        check("VRRP_Script(chk) failed" in p.t.log(), "tandem did not log the script failure")
        t = time.monotonic()
        open(ok, "w").close()
        d = cl.wait_served("a", t, 5)
        measure("script_recovers_tandem_takes_back", d)
        p.expect_holder("a", 2)
        check("VRRP_Script(chk) succeeded" in p.t.log(), "tandem did not log the script's recovery")
        met = in_ns(env, "a", "curl", "-s", "http://127.0.0.1:8404/metrics")
        check('tandem_vrrp_script_ok{script="chk"} 1' in met and 'tandem_vrrp_script_failures_total{script="chk"}' in met,
              "script metrics missing")
        bad = promtool_check(met)
        check(not bad, "promtool check metrics:\n" + bad)
        js = json.loads(in_ns(env, "a", "curl", "-s", "http://127.0.0.1:8404/stats;json"))
        check(js["vrrp_scripts"][0]["name"] == "chk" and js["vrrp"][0]["version"] == 3 and
              [t["to"] for t in js["vrrp"][0]["last_transitions"]][-3:] == ["MASTER", "BACKUP", "MASTER"],
              "stats JSON: %r" % js.get("vrrp"))
    finally:
        cl.stop()


def test_wrong_password_not_obeyed(env):
    """keepalived (priority 250) with another PASS password: tandem (100)
    drops every advert as a wrong password (counted, logged once per
    episode) and does not yield to it."""
    p = Pair(env)
    p.start_keepalived(ka_conf("k", 250, state="MASTER", auth="wrong"))
    p.expect_holder("k", 6)
    p.start_tandem(ka_conf("a", 100, auth="right"))
    wait_for(lambda: p.lab.holds("a", VIP4), 8, "tandem to take the VIP (it hears no valid master)")
    time.sleep(2)
    check(p.stat("state") == "MASTER", "tandem obeyed a wrong password:\n" + p.show())
    dropped = int(p.stat("dropped_auth_password") or 0)
    check(dropped >= 3, "wrong-password drops counted: %d\n%s" % (dropped, p.show()))
    log = p.t.log()
    check(log.count("auth_password: wrong password") == 1,
          "the wrong password was not logged exactly once for the episode:\n" + log[-2000:])


def test_partition_heals_with_garp(env):
    """tandem (200) MASTER, keepalived (150) BACKUP, version 3 100 ms. a's
    port leaves the bridge (its link stays up): keepalived becomes MASTER
    too, and the client's ARP entry follows keepalived's gratuitous ARP.
    The partition heals: keepalived yields to the higher priority; tandem
    counts the split brain and sends gratuitous ARPs at once, so the
    client's ARP entry points to a again and requests reach it without
    waiting for the entry to expire."""
    p = Pair(env)
    sn = Sniffer(env)
    # keepalived yields silently unless told to advertise once more: then
    # the winner may never hear it and cannot know the LAN learnt its MAC
    rx = os.path.join(env.workdir, "rx-lower.txt")
    script = env.write("rx.sh", "#!/bin/sh\necho lower >> %s\n" % rx)
    os.chmod(script, 0o755)
    p.start_keepalived(ka_conf("k", 150, version=3, advert="0.1", extra="    higher_prio_send_advert"))
    p.start_tandem(ka_conf("a", 200, version=3, advert="0.1", extra="    higher_prio_send_advert\n"
                           "    notify_master_rx_lower_pri %s" % script))
    p.expect_holder("a", 4)
    mac_a, mac_k = p.lab.mac("a"), p.lab.mac("k")

    def rx_lines():
        return len(open(rx).read().splitlines()) if os.path.exists(rx) else 0
    cl = VClient(env, 14)
    try:
        cl.wait_served("a", time.monotonic(), 3)
        t = time.monotonic()
        p.lab.detach("a")
        cl.wait_served("k", t, 3)
        check(sorted(p.holders()) == ["a", "k"], "both should hold the VIP while partitioned: %s" % p.holders())
        wait_for(lambda: p.lab.neigh("c", VIP4) == mac_k, 2, "the client's ARP entry to follow keepalived")
        time.sleep(1)
        before = rx_lines()
        t = time.monotonic()
        p.lab.attach("a")
        p.expect_holder("a", 3)
        heal = (time.monotonic() - t) * 1000
        measure("partition_heal_one_master", heal)
        g = wait_for(lambda: sn.seen("garp", VIP4, mac_a, t), 2, "a gratuitous ARP from a after the healing")
        measure("partition_heal_first_garp", (g[0]["t"] - t) * 1000)
        wait_for(lambda: p.lab.neigh("c", VIP4) == mac_a, 2, "the client's ARP entry to point to a again")
        d = cl.wait_served("a", t, 3)
        measure("partition_heal_served_by_tandem", d)
        check(p.stat("split_brain") == "1", "split brain not counted once:\n" + p.show())
        wait_for(lambda: rx_lines() > before, 2, "notify_master_rx_lower_pri to run")
        check("split brain: 192.0.2.3 is MASTER too (priority 150, ours 200)" in p.t.log(),
              "no split brain line:\n" + p.t.log()[-2000:])
        met = in_ns(env, "a", "curl", "-s", "http://127.0.0.1:8404/metrics")
        check('tandem_vrrp_split_brain_total{instance="VI_1",vrid="51"} 1' in met, "metric missing")
    finally:
        cl.stop()


def test_partition_tandem_yields(env):
    """The same healing with keepalived (200) the winner and tandem (150)
    the one that yields: tandem, MASTER on its side of the partition, hears
    keepalived again and advertises once more before it yields (tandem's
    default higher_prio_send_advert), so keepalived learns of the split
    brain and re-announces the address: the client's ARP entry goes back to
    keepalived at once, whichever advert crossed the link first."""
    p = Pair(env)
    sn = Sniffer(env)
    p.start_keepalived(ka_conf("k", 200, version=3, advert="0.1", state="MASTER"))
    p.expect_holder("k", 4)
    p.start_tandem(ka_conf("a", 150, version=3, advert="0.1"))
    mac_a, mac_k = p.lab.mac("a"), p.lab.mac("k")
    cl = VClient(env, 12)
    try:
        cl.wait_served("k", time.monotonic(), 3)
        t = time.monotonic()
        p.lab.detach("k")
        cl.wait_served("a", t, 3)
        wait_for(lambda: p.lab.neigh("c", VIP4) == mac_a, 2, "the client's ARP entry to follow tandem")
        time.sleep(1)
        t = time.monotonic()
        p.lab.attach("k")
        p.expect_holder("k", 3)
        wait_for(lambda: sn.seen("garp", VIP4, mac_k, t), 2, "keepalived's gratuitous ARP after the healing")
        wait_for(lambda: p.lab.neigh("c", VIP4) == mac_k, 2, "the client's ARP entry to point to keepalived again")
        d = cl.wait_served("k", t, 3)
        measure("partition_heal_tandem_yields_served_by_keepalived", d)
        check("Master received advert from 192.0.2.3 with higher priority 200, ours 150" in p.t.log(),
              "tandem did not yield:\n" + p.t.log()[-2000:])
        check("lower priority 150" in p.k.log(), "keepalived did not hear tandem's last advert:\n" + p.k.log()[-2000:])
    finally:
        cl.stop()


def test_use_vmac(env):
    """use_vmac on both sides: tandem creates vrrp.51 with the virtual MAC
    00:00:5e:00:01:33 and holds the VIP on it; the client's ARP entry is the
    virtual MAC, which stays the same when keepalived (also with use_vmac)
    takes over; tandem removes its VMAC when it stops."""
    p = Pair(env)
    vmac = "00:00:5e:00:01:33"
    p.start_keepalived(ka_conf("k", 150, version=3, advert="0.1", vmac=True))
    p.start_tandem(ka_conf("a", 200, version=3, advert="0.1", vmac=True))
    p.expect_holder("a", 4)
    check(p.lab.mac("a", "vrrp.51") == vmac, "tandem's VMAC: %s" % p.lab.mac("a", "vrrp.51"))
    out = subprocess.run(["ip", "-n", p.lab.ns("a"), "-o", "addr", "show", "dev", "vrrp.51"], text=True,
                         stdout=subprocess.PIPE).stdout
    check(" %s/" % VIP4 in out, "the VIP is not on vrrp.51:\n" + out)
    cl = VClient(env, 6)
    try:
        cl.wait_served("a", time.monotonic(), 3)
        check(p.lab.neigh("c", VIP4) == vmac, "client's ARP entry %s, want the VMAC (a %s, k %s)" % (
            p.lab.neigh("c", VIP4), p.lab.mac("a"), p.lab.mac("k")))
        t = time.monotonic()
        p.kill_tandem(signal.SIGTERM)
        d = cl.wait_served("k", t, 3)
        measure("vmac_tandem_sigterm_to_keepalived", d)
        # keepalived 2.2.7 leaves arp_announce at 0 on its base interface:
        # its own ARP requests may teach its base MAC; never tandem's
        check(p.lab.neigh("c", VIP4) in (vmac, p.lab.mac("k")), "after the takeover the client's ARP entry is %s "
              "(a %s, k %s)" % (p.lab.neigh("c", VIP4), p.lab.mac("a"), p.lab.mac("k")))
        check(p.lab.mac("a", "vrrp.51") is None, "tandem left its VMAC behind")
    finally:
        cl.stop()


def group_conf(node, prio, script="", notify=""):
    """Two instances (VRID 51: .100, VRID 52: .101) in a sync group."""
    inst = """vrrp_instance %s {
    interface eth0
    virtual_router_id %d
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        %s/24
    }
%s}
"""
    return "global_defs {\n    router_id %s\n}\n%s\nvrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n" \
           "    }\n%s}\n%s%s" % (node.upper(), script, notify, inst % ("VI_1", 51, prio, VIP4, ""),
                              inst % ("VI_2", 52, prio, "192.0.2.101",
                                      "    track_script {\n        chk\n    }\n" if script else ""))


def test_sync_group(env):
    """A vrrp_sync_group of two instances on both sides: a script tracked
    by one of tandem's members fails, its FAULT takes the whole group along
    and both addresses move to keepalived; the script recovers and both come
    back together."""
    ok = os.path.join(env.workdir, "ok")
    open(ok, "w").close()
    scr = 'vrrp_script chk {\n    script "/bin/sh -c \'test -f %s\'"\n    interval 1\n}\n' % ok
    out = os.path.join(env.workdir, "group.txt")
    gscript = env.write("g.sh", "#!/bin/sh\necho \"$*\" >> %s\n" % out)
    os.chmod(gscript, 0o755)
    p = Pair(env)
    p.start_keepalived(group_conf("k", 150))
    p.start_tandem(group_conf("a", 200, scr, "    notify %s\n" % gscript))
    both = ["192.0.2.100", "192.0.2.101"]

    def holder_of_both(node):
        return all(p.lab.holders(v, ["a", "k"]) == [node] for v in both)

    wait_for(lambda: holder_of_both("a"), 6, "tandem to hold both addresses")
    os.unlink(ok)
    wait_for(lambda: holder_of_both("k"), 5, "keepalived to hold both addresses after the member's FAULT")
    log = p.t.log()
    check("(VI_2) Entering FAULT STATE (script chk failed)" in log and
          "(VI_1) Entering FAULT STATE (sync group G: VI_2: script chk failed)" in log and
          "VRRP_Group(G) Syncing instances to FAULT state" in log, "group FAULT not logged:\n" + log[-3000:])
    open(ok, "w").close()
    wait_for(lambda: holder_of_both("a"), 6, "both addresses back on tandem")
    check("VRRP_Group(G) Syncing instances to MASTER state" in p.t.log(), "group MASTER not logged")
    check("sync_group: G" in p.show(), "show vrrp:\n" + p.show())
    wait_for(lambda: os.path.exists(out) and open(out).read().count("GROUP G MASTER 0") == 2, 3,
             "the group's notifications")
    got = [x for x in open(out).read().splitlines()]
    check(got == ["GROUP G BACKUP 0", "GROUP G MASTER 0", "GROUP G FAULT 0", "GROUP G BACKUP 0", "GROUP G MASTER 0"],
          "group notifications: %s" % got)


NOTIFY_SH = """#!/bin/sh
# appends "start WHAT ARGS", sleeps, "end WHAT": overlapping runs would interleave
echo "start $0 $*" >> %(out)s
sleep 0.2
echo "end $0" >> %(out)s
"""


def test_notify_order(env):
    """notify_master / notify_backup / notify_fault / notify_stop and the
    generic notify run one at a time, in transition order (each script
    sleeps 0.2 s: a slow script delays the next notification, never the
    protocol), with keepalived's arguments; their exit status and duration
    are logged; `show vrrp` gives the transitions with their reasons."""
    out = os.path.join(env.workdir, "notify.txt")
    names = {}
    for k in ("master", "backup", "fault", "stop", "all"):
        path = env.write("n-%s.sh" % k, NOTIFY_SH % {"out": out})
        os.chmod(path, 0o755)
        names[k] = path
    flag = os.path.join(env.workdir, "up")
    open(flag, "w").close()
    scr = 'vrrp_script up {\n    script "/bin/sh -c \'test -f %s\'"\n    interval 1\n}\n' % flag
    notify = "\n".join(["    notify_master %s" % names["master"], "    notify_backup %s" % names["backup"],
                        "    notify_fault \"%s a b\"" % names["fault"], "    notify_stop %s" % names["stop"],
                        "    notify %s" % names["all"]])
    p = Pair(env)
    p.start_tandem(ka_conf("a", 200, version=3, advert="0.1", scripts=scr, track="up", notify=notify))
    p.expect_holder("a", 4)
    os.unlink(flag)                      # weight 0: FAULT
    wait_for(lambda: not p.lab.holds("a", VIP4), 4, "the FAULT to remove the VIP")
    open(flag, "w").close()              # back: BACKUP, then MASTER
    p.expect_holder("a", 5)
    p.kill_tandem(signal.SIGTERM)        # STOP
    want = [("backup", ""), ("all", "INSTANCE VI_1 BACKUP 200"),
            ("master", ""), ("all", "INSTANCE VI_1 MASTER 200"),
            ("fault", "a b"), ("all", "INSTANCE VI_1 FAULT 200"),
            ("backup", ""), ("all", "INSTANCE VI_1 BACKUP 200"),
            ("master", ""), ("all", "INSTANCE VI_1 MASTER 200"),
            ("stop", ""), ("all", "INSTANCE VI_1 STOP 200")]
    lines = open(out).read().splitlines()
    got = []
    for i in range(0, len(lines) - 1, 2):
        s, e = lines[i].split(" ", 2), lines[i + 1].split(" ")
        check(s[0] == "start" and e[0] == "end" and s[1] == e[1],
              "notifications overlapped or were cut:\n" + "\n".join(lines))
        who = [k for k, v in names.items() if v == s[1]][0]
        got.append((who, s[2] if len(s) > 2 else ""))
    check(got == want, "notify order:\n%s\nwant:\n%s" % (got, want))
    log = p.t.log()
    check("(VI_1) notify_master '%s' exited with status 0 after" % names["master"] in log,
          "exit status and duration not logged:\n" + log[-3000:])
    check("Entering FAULT STATE (script up failed)" in log, "FAULT reason not logged")


def test_start_without_false_fault(env):
    """A native instance tracks a backend whose checked server starts DOWN
    (as checked servers do) and a script: the instance waits for their
    first state (grace), so the first state notified is BACKUP, never a
    FAULT it never really had; `show vrrp` lists the transitions with
    their reasons."""
    out = os.path.join(env.workdir, "notify.txt")
    script = env.write("n.sh", "#!/bin/sh\necho \"$*\" >> %s\n" % out)
    os.chmod(script, 0o755)
    env.lab.add_node("a", 1)
    env.app("a")
    cfg = env.write("tandem-a.cfg", """global
    nbthread 1
    stats socket ipv4@127.0.0.1:9999 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s:80
    default_backend app
backend app
    server s1 127.0.0.1:8080 check inter 1s rise 2 fall 1
vrrp-script slow
    script "/bin/sh -c 'sleep 0.5'"
    interval 1s
vrrp web
    interface eth0
    virtual-router-id 51
    priority 200
    advert-int 100ms
    virtual-ipaddress %s/24
    track-backend app
    track-script slow
    notify %s
""" % (VIP4, VIP4, script))
    pr = env.lab.spawn("a", "tandem-a", [bin_path("tandem"), "-f", cfg])
    wait_for(lambda: "(web) Entering MASTER" in pr.log() or not pr.alive(), 8, "tandem to become MASTER")
    check(pr.alive(), "tandem exited:\n" + pr.log())
    wait_for(lambda: os.path.exists(out) and "MASTER" in open(out).read(), 3, "the MASTER notification")
    got = open(out).read().splitlines()
    check(got == ["INSTANCE web BACKUP 200", "INSTANCE web MASTER 200"], "notifications at start: %s" % got)
    check("FAULT" not in pr.log(), "a FAULT was logged at start:\n" + pr.log())
    show = in_ns(env, "a", "sh", "-c", "echo 'show vrrp' | socat -t 2 - TCP:127.0.0.1:9999")
    check("INIT -> BACKUP: startup" in show and "BACKUP -> MASTER: no advertisement for" in show and
          "script: slow" in show and "script_state: OK" in show, "show vrrp:\n" + show)


def test_hung_script_is_a_failure(env):
    """A track script that hangs past its timeout is killed (its process
    group too) and counts as a failure: the instance goes to FAULT; it
    comes back when the script returns in time."""
    hang = os.path.join(env.workdir, "hang")
    open(hang, "w").close()
    env.lab.add_node("a", 1)
    env.app("a")
    cfg = env.write("tandem-a.cfg", """global
    nbthread 1
    stats socket ipv4@127.0.0.1:9999 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s:80
    default_backend app
backend app
    server s1 127.0.0.1:8080
vrrp-script probe
    script "/bin/sh -c 'if test -f %s; then sleep 31.7 & sleep 31.7; fi; exit 0'"
    interval 1s
    timeout 500ms
vrrp web
    interface eth0
    virtual-router-id 51
    advert-int 100ms
    virtual-ipaddress %s/24
    track-script probe
""" % (VIP4, hang, VIP4))
    pr = env.lab.spawn("a", "tandem-a", [bin_path("tandem"), "-f", cfg])
    wait_for(lambda: "(web) Entering FAULT STATE (script probe failed)" in pr.log() or not pr.alive(), 8,
             "the hung script to put the instance in FAULT")
    check("VRRP_Script(probe) timed out after 500 ms" in pr.log(), "no timeout line:\n" + pr.log())
    # the killed group leaves no sleep behind (31.7: this test's own sleeps)
    wait_for(lambda: not marked_procs("31.7"), 4, "the script's processes to be killed")
    os.unlink(hang)
    wait_for(lambda: env.lab.holds("a", VIP4), 6, "the instance to come back when the script answers in time")
    show = in_ns(env, "a", "sh", "-c", "echo 'show vrrp' | socat -t 2 - TCP:127.0.0.1:9999")
    check("script_timeouts: " in show and "script_timeouts: 0" not in show, "show vrrp:\n" + show)


def test_track_file_and_interface(env):
    """A native instance tracks a file (weight 0: a non-zero number is a
    FAULT) and an interface (weight -50 while it is down): writing 1 to
    the file puts it in FAULT, 0 brings it back; the interface losing its
    carrier lowers the effective priority, getting it back restores it."""
    tfile = os.path.join(env.workdir, "maint")
    env.lab.add_node("a", 1)
    env.app("a")
    # a veth pair: trk0 loses its carrier (not RUNNING) when trk1 goes down
    subprocess.run(["ip", "-n", env.lab.ns("a"), "link", "add", "trk0", "type", "veth", "peer", "name", "trk1"],
                   check=True)
    for dev in ("trk0", "trk1"):
        subprocess.run(["ip", "-n", env.lab.ns("a"), "link", "set", dev, "up"], check=True)
    cfg = env.write("tandem-a.cfg", """global
    nbthread 1
    stats socket ipv4@127.0.0.1:9999 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s:80
    default_backend app
backend app
    server s1 127.0.0.1:8080
vrrp-track-file maint
    file %s
    weight 0
    init-file 0
vrrp web
    interface eth0
    virtual-router-id 51
    priority 200
    advert-int 100ms
    virtual-ipaddress %s/24
    track-file maint
    track-interface trk0 weight -50
""" % (VIP4, tfile, VIP4))
    pr = env.lab.spawn("a", "tandem-a", [bin_path("tandem"), "-f", cfg])

    def show():
        return in_ns(env, "a", "sh", "-c", "echo 'show vrrp' | socat -t 2 - TCP:127.0.0.1:9999")

    wait_for(lambda: env.lab.holds("a", VIP4) or not pr.alive(), 8, "tandem to take the VIP")
    check(open(tfile).read().strip() == "0", "init-file did not create the file with 0")
    with open(tfile, "w") as f:
        f.write("1\n")
    wait_for(lambda: not env.lab.holds("a", VIP4), 3, "a non-zero track file to cause a FAULT")
    check("Entering FAULT STATE (track file maint is not 0)" in pr.log(), "FAULT reason:\n" + pr.log())
    with open(tfile, "w") as f:
        f.write("0\n")
    wait_for(lambda: env.lab.holds("a", VIP4), 3, "the instance to come back")
    subprocess.run(["ip", "-n", env.lab.ns("a"), "link", "set", "trk1", "down"], check=True)
    wait_for(lambda: "effective_priority: 150" in show(), 3, "the interface losing its carrier to lower the priority")
    subprocess.run(["ip", "-n", env.lab.ns("a"), "link", "set", "trk1", "up"], check=True)
    wait_for(lambda: "effective_priority: 200" in show(), 3, "the interface coming back to restore it")
    check("Changing effective priority from 200 to 150" in pr.log(), "priority change not logged")
