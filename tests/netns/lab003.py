#!/usr/bin/env python3
"""Lab 003 (seed 003_fa8cd845f26234c1.txt), "Stateless Layer High
Availability", whole, in network namespaces: Part 2's two balancers sharing a
virtual IP, and Part 1's balancer over three nginx found by DNS. Needs root.

The lab's compose network 172.20.0.0/16 is a bridge; each container is a
namespace whose eth0 is plugged into it (tests/netns/lab.py):

  dns        172.20.0.1    dnsmasq answering nginx1..3 (the lab's "dns2": Podman's gateway DNS)
  nginx1..3  172.20.0.11-13  Debian's nginx, one page each ("NODE_nginx1"). `stop`: nginx stops
                           (its address refuses connections); `move`: back on a new address
                           (.31, .51...) with its name in the DNS server, as a container started
                           again by Podman; `disconnect`: its address leaves the network
                           (connections to it get no answer at all)
  haproxy1   172.20.0.21   tandem on contrib/labs/003/tandem-haproxy1.cfg, which reads the lab's
                           keepalived-master.conf (state MASTER, priority 100, PASS, VIP .100)
  haproxy2   172.20.0.22   tandem on tandem-haproxy2.cfg + keepalived-backup.conf (BACKUP, 90);
                           variant "keepalived": Debian's HAProxy on the lab's haproxy.cfg and
                           Debian's keepalived on keepalived-backup.conf, as in the lab
  client     172.20.0.50   the lab's "test from inside the network" (no vip-access proxy)

The configuration files are copied into WORK/conf/ and used from there (edit
them and restart a balancer: the lab's exercises). Everything this module
starts is stopped, and every namespace removed, by close().

Used by tests/netns/test_lab003.py and by `make demo LAB=003`:
    python3 tests/netns/lab003.py demo [--variant keepalived] [--keep]
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from lab import Lab, LabError, ip, sweep_stale, wait_for  # noqa: E402

NET = "172.20.0."
VIP = "172.20.0.100"
NODES = (("dns", 1), ("nginx1", 11), ("nginx2", 12), ("nginx3", 13), ("haproxy1", 21), ("haproxy2", 22),
         ("client", 50))
BALANCERS = ("haproxy1", "haproxy2")
NGINX = ("nginx1", "nginx2", "nginx3")
KA_CONF = {"haproxy1": "keepalived-master.conf", "haproxy2": "keepalived-backup.conf"}
LABS = os.path.join(ROOT, "contrib", "labs", "003")
# keepalived-*.conf: advert_int 1, priorities 100 and 90 (RFC 3768 / 5798 timers)
ADVERT_MS = 1000
PRIO = {"haproxy1": 100, "haproxy2": 90}


def skew_ms(prio):
    return (256 - prio) * ADVERT_MS / 256.0


def master_down_ms(prio):
    return 3 * ADVERT_MS + skew_ms(prio)


def bin_path(name):
    d = os.environ.get("TANDEM_BIN_DIR", "bin")
    return os.path.join(d if os.path.isabs(d) else os.path.join(ROOT, d), name)


def tool(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or name


def admin(sock, cmd, timeout=2.0):
    """One command on a runtime API socket (tandem's or HAProxy's); the answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(cmd.encode() + b"\n")
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                return out.decode(errors="replace")
            out += d
    finally:
        s.close()


def nginx_conf(work, name):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    return """daemon off;
master_process on;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log stderr;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    server {
        listen 80;
        default_type text/plain;
        # the lab's page says "NGINX Instance N"; the load here reads the name
        location / { return 200 "NODE_%(n)s\\n"; }
        location = /health { return 200 "OK\\n"; }
    }
}
""" % {"d": d, "n": name}


class Load:
    """tests/netns/client.py in the client namespace: a new connection to
    <addr>:80 every <period_ms>, each with <timeout_ms>; results collected by
    a thread ({"t0", "t1", "ok", "node"}, CLOCK_MONOTONIC seconds)."""

    def __init__(self, lab, duration, period_ms=100, timeout_ms=3000, addr=VIP, name="load"):
        self.results, self.lock = [], threading.Lock()
        self.p = lab.spawn("client", name, ["python3", "-u", os.path.join(HERE, "client.py"), addr, "80",
                                            str(period_ms), str(duration), str(timeout_ms)], stdout_pipe=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.p.stdout:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.results.append(r)

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def failed(self, since=0.0, until=1e18):
        return [r for r in self.snapshot() if not r["ok"] and since <= r["t0"] < until]

    def served(self, since=0.0, until=1e18):
        return [r for r in self.snapshot() if r["ok"] and since <= r["t0"] < until]

    def first_ok_from(self, node, since):
        """End time of the first ok request started after <since> answered by <node>."""
        ends = [r["t1"] for r in self.snapshot() if r["ok"] and r["t0"] >= since and r.get("node") == node]
        return min(ends) if ends else None

    def wait(self, timeout=15):
        self.p.p.wait(timeout)
        self.t.join(5)

    def stop(self):
        if self.p.alive():
            os.kill(self.p.pid, signal.SIGTERM)
        self.wait()


class Lab003:
    def __init__(self, workdir, variant="tandem", log=None):
        self.work = workdir
        self.variant = variant
        self.log = log or (lambda msg: None)
        os.makedirs(workdir, exist_ok=True)
        os.chmod(workdir, 0o755)         # dnsmasq and nginx's workers read here as "nobody"
        self.conf = os.path.join(workdir, "conf")
        self.lab = Lab(workdir)
        self.addr = {}
        try:
            for node, host in NODES:
                self.lab.add_node(node, host, NET, 16)
                self.addr[node] = NET + str(host)
        except Exception:
            self.lab.close()
            raise
        self.procs = {}                  # "dns", "nginx1", "haproxy1" (tandem or HAProxy), "keepalived2"
        self.runs = {}
        self.down = set()                # balancers whose node is crashed (cable out)
        self._copy_configs()

    # ---- files ----

    def _copy_configs(self):
        os.makedirs(self.conf, exist_ok=True)
        os.chmod(self.conf, 0o755)
        for f in ("tandem-haproxy1.cfg", "tandem-haproxy2.cfg", "keepalived-master.conf",
                  "keepalived-backup.conf", "haproxy.cfg", "hosts"):
            shutil.copy(os.path.join(LABS, f), os.path.join(self.conf, f))
        # HAProxy's own socket: both nodes share this file system (the lab's containers do not)
        p = os.path.join(self.conf, "haproxy.cfg")
        with open(p) as f:
            text = f.read()
        with open(p, "w") as f:
            f.write(text.replace("/var/run/haproxy.sock", self.sock("haproxy2")))
        self.hosts = os.path.join(self.conf, "hosts")
        for f in os.listdir(self.conf):
            os.chmod(os.path.join(self.conf, f), 0o644)

    def sock(self, node):
        return os.path.join(self.work, "%s.sock" % node)

    def write_hosts(self):
        tmp = self.hosts + ".new"
        with open(tmp, "w") as f:
            f.write("# written by tests/netns/lab003.py: the lab's containers and their addresses\n")
            for n in NGINX:
                f.write("%s %s\n" % (self.addr[n], n))
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.hosts)

    # ---- processes ----

    def _spawn(self, node, key, argv, env=None):
        self.runs[key] = self.runs.get(key, 0) + 1
        name = key if self.runs[key] == 1 else "%s-%d" % (key, self.runs[key])
        pr = self.lab.spawn(node, name, argv, env=env)
        self.procs[key] = pr
        return pr

    def in_ns(self, node, argv, timeout=10):
        return subprocess.run(["ip", "netns", "exec", self.lab.ns(node)] + list(argv), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)

    def curl(self, url, node="client", timeout=2):
        """Body of GET <url> from <node>'s namespace, or None."""
        r = self.in_ns(node, ["curl", "-s", "-m", str(timeout), url], timeout=timeout + 5)
        return r.stdout if r.returncode == 0 else None

    def start_dns(self):
        self.write_hosts()
        pr = self._spawn("dns", "dns", [tool("dnsmasq"), "--no-daemon", "--listen-address=" + self.addr["dns"],
                                        "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-poll",
                                        "--conf-file=/dev/null", "--pid-file=", "--local=//",
                                        "--addn-hosts=" + self.hosts, "--log-facility=-"])
        wait_for(lambda: "read %s" % self.hosts in pr.log() or not pr.alive(), 5, "dnsmasq to read its hosts")
        if not pr.alive():
            raise LabError("dnsmasq exited:\n%s" % pr.log()[-2000:])

    def dns_update(self):
        """Rewrite the DNS server's hosts file and tell it (SIGHUP)."""
        self.write_hosts()
        dns = self.procs.get("dns")
        if dns and dns.alive():
            os.kill(dns.pid, signal.SIGHUP)

    def start_nginx(self, n):
        """docker start (on the same address)."""
        path = os.path.join(self.work, "%s.conf" % n)
        with open(path, "w") as f:
            f.write(nginx_conf(self.work, n))
        os.chmod(path, 0o644)
        pr = self._spawn(n, n, [tool("nginx"), "-e", "stderr", "-p", os.path.join(self.work, n), "-c", path])
        wait_for(lambda: self.curl("http://%s/health" % self.addr[n], node=n, timeout=1) == "OK\n"
                 or not pr.alive(), 5, "%s to answer" % n, interval=0.05)
        if not pr.alive():
            raise LabError("nginx %s exited:\n%s" % (n, pr.log()[-2000:]))

    def stop_nginx(self, n, sig=signal.SIGTERM):
        """docker stop (docker kill with SIGKILL): nginx stops; its address
        stays, so connections to it are refused (Docker also takes the
        address away: `disconnect` does that part)."""
        pr = self.procs.get(n)
        if pr and pr.alive():
            kids = pr.children()
            self.lab.extra_pids.extend(kids)
            self.lab.kill(pr, sig)
            pr.p.wait(10)
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def move_nginx(self, n):
        """A container started again with a new IP (the lab's Troubleshooting:
        Podman's, or Docker's when the old one was taken): stopped first if
        it runs, then back on the next address (.11 -> .31 -> .51...) with
        its name in the DNS server. Returns the new address."""
        self.stop_nginx(n)
        old = self.addr[n]
        host = int(old.rsplit(".", 1)[1]) + 20
        if host > 250:
            host = host % 20 + 10
        new = NET + str(host)
        # the old one first: deleting a primary address deletes its secondaries
        ip("-n", self.lab.ns(n), "addr", "del", old + "/16", "dev", "eth0")
        ip("-n", self.lab.ns(n), "addr", "add", new + "/16", "dev", "eth0")
        self.addr[n] = new
        self.start_nginx(n)
        self.dns_update()
        return new

    def stop_dns(self):
        pr = self.procs.get("dns")
        if pr and pr.alive():
            self.lab.kill(pr, signal.SIGTERM)
            pr.p.wait(10)

    def kind(self, b):
        return "haproxy" if self.variant == "keepalived" and b == "haproxy2" else "tandem"

    def start_balancer(self, b, wait_servers=True):
        """Start (again) the balancer of node <b>: tandem reading the lab's
        keepalived file, or (variant) HAProxy and keepalived. Returns once
        VRRP has started and, with <wait_servers>, every nginx is UP in its
        stats."""
        if b in self.down:
            # a node that died comes back without the addresses it had (a
            # reboot, a new container), then its cable goes in
            ip("-n", self.lab.ns(b), "addr", "del", VIP + "/32", "dev", "eth0", check=False)
            self.lab.plug(b)
            self.down.discard(b)
        if self.kind(b) == "tandem":
            env = dict(os.environ, ADMIN_SOCK=self.sock(b))
            pr = self._spawn(b, b, [bin_path("tandem"), "-f", os.path.join(self.conf, "tandem-%s.cfg" % b)], env=env)
            wait_for(lambda: "(VI_1) Entering" in pr.log() or not pr.alive(), 10, "tandem on %s to start VRRP" % b)
        else:
            pr = self._spawn(b, b, [tool("haproxy"), "-db", "-f", os.path.join(self.conf, "haproxy.cfg")])
            files = [os.path.join(self.work, "keepalived-%s.%s" % (b, x)) for x in ("pid", "vrrp.pid", "chk.pid", "bfd.pid")]
            for f in files:
                if os.path.exists(f):
                    os.unlink(f)
            ka = self._spawn(b, "keepalived-" + b, [tool("keepalived"), "-n", "-l", "-G", "-D", "-P", "-f",
                                                     os.path.join(self.conf, KA_CONF[b]), "-p", files[0], "-r",
                                                     files[1], "-c", files[2], "-b", files[3]])
            wait_for(lambda: "Entering BACKUP STATE" in ka.log() or "Entering MASTER STATE" in ka.log()
                     or not ka.alive(), 10, "keepalived on %s to start" % b)
            if not ka.alive():
                raise LabError("keepalived on %s exited:\n%s" % (b, ka.log()[-2000:]))
        if not pr.alive():
            raise LabError("%s on %s exited:\n%s" % (self.kind(b), b, pr.log()[-3000:]))
        if wait_servers:
            wait_for(lambda: self.servers_up(b) == 3 or not pr.alive(), 10, "3 nginx UP in %s's stats" % b,
                     interval=0.05)
        return pr

    def servers_up(self, b):
        """How many nginx servers balancer <b> has UP (its `show stat`)."""
        try:
            csv = admin(self.sock(b), "show stat")
        except OSError:
            return -1
        return sum(1 for line in csv.splitlines()
                   if line.startswith("nginx_backend,nginx") and line.split(",")[17] == "UP")

    def server_addr(self, b, srv):
        """The address balancer <b> gives server <srv> (`show servers state`)."""
        try:
            out = admin(self.sock(b), "show servers state nginx_backend")
        except OSError:
            return None
        for line in out.splitlines():
            f = line.split()
            if len(f) > 4 and not line.startswith("#") and f[3] == srv:
                return f[4]
        return None

    def vrrp(self, b, key):
        """A line of tandem's `show vrrp` on balancer <b> (None if none)."""
        try:
            out = admin(self.sock(b), "show vrrp")
        except OSError:
            return None
        for line in out.splitlines():
            if line.startswith(key + ": "):
                return line.split(": ", 1)[1]
        return None

    def _kids_gone(self, kids, secs=5):
        def gone():
            return not any(os.path.exists("/proc/%d" % k) and _state(k) != "Z" for k in kids)
        try:
            wait_for(gone, secs, "the balancer's children to exit", interval=0.02)
        except LabError:
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def stop_balancer(self, b, sig=signal.SIGTERM):
        """docker stop haproxyN (SIGTERM): tandem leaves VRRP first (priority
        0, VIP removed), then stops; or kill -9 of tandem's master with
        sig=SIGKILL: its guard sends the priority 0. The variant's keepalived
        gets the signal too (its HAProxy after it)."""
        keys = [b] if self.kind(b) == "tandem" else ["keepalived-" + b, b]
        for k in keys:
            pr = self.procs.get(k)
            if not pr or not pr.alive():
                continue
            kids = pr.children()
            self.lab.extra_pids.extend(kids)
            self.lab.kill(pr, sig)
            pr.p.wait(10)
            self._kids_gone(kids)

    def worker_pid(self, b):
        m = re.search(r"^Pid: (\d+)", admin(self.sock(b), "show info"), re.M)
        return int(m.group(1)) if m else None

    def kill_worker(self, b):
        """The lab's `pkill haproxy` (the proxy dies, keepalived lives): the
        worker of tandem is killed, its master (where VRRP runs) stays. The
        variant: HAProxy itself is killed, keepalived stays."""
        if self.kind(b) == "tandem":
            pid = self.worker_pid(b)
            os.kill(pid, signal.SIGKILL)
            return pid
        pr = self.procs[b]
        self.lab.kill(pr, signal.SIGKILL)
        pr.p.wait(10)
        return pr.pid

    def crash(self, b):
        """The whole node dies (docker kill of the container, power lost):
        its cable goes out and every process in its namespace is killed, so
        nothing says goodbye (no priority 0): the backup waits for its
        Master_Down_Interval."""
        self.lab.unplug(b)
        self.down.add(b)
        for pid in ip("netns", "pids", self.lab.ns(b), check=False).split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        for k in (b, "keepalived-" + b):
            pr = self.procs.get(k)
            if pr:
                pr.p.wait(10)

    def disconnect(self, node):
        """docker network disconnect: the node's port leaves the bridge (its
        link stays up: the node sees silence, not a fault)."""
        self.lab.detach(node)

    def connect(self, node):
        self.lab.attach(node)

    def holders(self):
        """The balancers that hold the VIP (a crashed node's leftover address,
        cable out, serves nobody and does not count)."""
        return self.lab.holders(VIP, [b for b in BALANCERS if b not in self.down])

    def wait_holder(self, b, secs):
        """Wait until <b> alone holds the VIP; ms waited."""
        t0 = time.monotonic()
        wait_for(lambda: self.holders() == [b], secs, "%s alone to hold %s (holders: %s)" % (b, VIP, self.holders()),
                 interval=0.01)
        return (time.monotonic() - t0) * 1000

    def start(self):
        """The whole lab: DNS, the three nginx, both balancers; returns when
        haproxy1 alone holds the VIP."""
        self.start_dns()
        for n in NGINX:
            self.start_nginx(n)
        for b in BALANCERS:
            self.start_balancer(b)
        # state MASTER, priority 100: MASTER once its first Master_Down_Timer ends
        self.wait_holder("haproxy1", master_down_ms(PRIO["haproxy1"]) / 1000 + 3)

    def sanitizer_reports(self):
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")
        return [pr.name for pr in self.lab.procs if any(m in pr.log() for m in marks)]

    def close(self):
        self.lab.close()


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[1].split()[0]
    except OSError:
        return "gone"


# ------------------------------------------------------------------ demo ----

class Demo:
    """`make demo LAB=003` (root): the lab built, its playbook printed with
    the namespaces' names, the balancers' event lines and the VIP's moves
    followed on the terminal, and typed lines applied as the lab's steps."""

    def __init__(self, lab003):
        self.l3 = lab003
        self.out_lock = threading.Lock()
        self.stop = threading.Event()
        self.offsets = {}
        self.holder = None

    def say(self, text):
        with self.out_lock:
            print(text, flush=True)

    def variables(self):
        l3 = self.l3
        v = {"VIP": VIP, "WORK": l3.work, "CONF": l3.conf, "VARIANT": l3.variant}
        for node, _ in NODES:
            key = node.upper()
            v["NS_" + key] = l3.lab.ns(node)
            v["ADDR_" + key] = l3.addr[node]
        for b in BALANCERS:
            v["SOCK_" + b.upper()] = l3.sock(b)
        return v

    def print_playbook(self):
        v = self.variables()
        with open(os.path.join(LABS, "playbook-netns.txt")) as f:
            text = f.read()
        self.say(re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: v.get(m.group(1), m.group(0)), text))

    def follow(self):
        """Event lines of the balancers (not their access logs) and the VIP's moves."""
        while not self.stop.is_set():
            for key in ("haproxy1", "haproxy2", "keepalived-haproxy2"):
                pr = self.l3.procs.get(key)
                if not pr:
                    continue
                off = self.offsets.get(pr.log_path, 0)
                try:
                    with open(pr.log_path, errors="replace") as f:
                        f.seek(off)
                        data = f.read()
                except OSError:
                    continue
                cut = data.rfind("\n") + 1
                self.offsets[pr.log_path] = off + len(data[:cut].encode())
                for line in data[:cut].splitlines():
                    if line.startswith("[") or "Entering" in line or "VRRP" in line or "VI_1" in line:
                        self.say("%s: %s" % (key.replace("keepalived-", "keepalived@"), line))
            h = self.l3.holders()
            if h != self.holder:
                self.say("vip: %s held by %s" % (VIP, " and ".join(h) if h else "nobody"))
                self.holder = h
            self.stop.wait(0.2)

    def load(self, secs):
        """The lab's load-test.sh: a request every 300 ms through the VIP,
        one line per second."""
        ld = Load(self.l3.lab, secs, period_ms=300, timeout_ms=3000, name="load-%d" % int(time.time()))
        t0 = time.monotonic()
        shown = 0
        while ld.p.alive() or shown < secs:
            time.sleep(1)
            rs = [r for r in ld.snapshot() if shown <= r["t0"] - t0 < shown + 1]
            if time.monotonic() - t0 < shown + 2 and ld.p.alive():
                continue
            ok = [r for r in rs if r["ok"]]
            per = {n: sum(1 for r in ok if r.get("node") == n) for n in NGINX}
            self.say("load: t=%2ds  %d ok, %d failed   nginx1 %d  nginx2 %d  nginx3 %d   VIP on %s" % (
                shown, len(ok), len(rs) - len(ok), per["nginx1"], per["nginx2"], per["nginx3"],
                ",".join(self.l3.holders()) or "nobody"))
            shown += 1
            if shown >= secs:
                break
        ld.wait()
        allr = ld.snapshot()
        bad = [r for r in allr if not r["ok"]]
        self.say("load: done, %d requests, %d failed (%.1f%% success)" % (
            len(allr), len(bad), 100.0 * (len(allr) - len(bad)) / max(1, len(allr))))

    def status(self):
        for b in BALANCERS:
            if self.l3.kind(b) == "tandem":
                st = self.l3.vrrp(b, "state")
                pr = self.l3.vrrp(b, "effective_priority")
                sb = self.l3.vrrp(b, "split_brain")
                self.say("status: %s tandem: VRRP %s, priority %s, split brains %s, nginx UP %s" % (
                    b, st or "(not running)", pr or "-", sb or "-", max(self.l3.servers_up(b), 0)))
            else:
                self.say("status: %s HAProxy + keepalived (see keepalived@%s lines)" % (b, b))
        self.say("status: VIP %s held by %s" % (VIP, " and ".join(self.l3.holders()) or "nobody"))

    HELP = ("commands: stop|start|kill NODE (haproxy1 haproxy2 nginx1 nginx2 nginx3 dns), kill-worker haproxyN "
            "(the lab's `pkill haproxy`), crash haproxyN (the whole node: cable out, every process killed; "
            "`start` brings it back), disconnect|connect NODE (its network cable: a partition), move nginxN "
            "(back with a new IP), load [SECONDS] (a request every 0.3 s through the VIP), status, help, quit")

    def command(self, line):
        w = line.split()
        if not w:
            return True
        cmd, arg = w[0], (w[1] if len(w) > 1 else "")
        l3 = self.l3
        try:
            if cmd in ("quit", "exit"):
                return False
            if cmd in ("help", "?"):
                self.say(self.HELP)
            elif cmd == "status":
                self.status()
            elif cmd == "load":
                secs = int(arg) if arg.isdigit() else 10
                threading.Thread(target=self.load, args=(secs,), daemon=True).start()
            elif cmd in ("stop", "start", "kill") and arg in BALANCERS:
                if cmd == "start":
                    l3.start_balancer(arg, wait_servers=False)
                else:
                    l3.stop_balancer(arg, signal.SIGTERM if cmd == "stop" else signal.SIGKILL)
                self.say("chaos: %s %s: done" % (cmd, arg))
            elif cmd in ("stop", "start", "kill") and arg in NGINX:
                if cmd == "start":
                    l3.start_nginx(arg)
                else:
                    l3.stop_nginx(arg, signal.SIGTERM if cmd == "stop" else signal.SIGKILL)
                self.say("chaos: %s %s: done" % (cmd, arg))
            elif cmd in ("stop", "start", "kill") and arg == "dns":
                if cmd == "start":
                    l3.start_dns()
                else:
                    l3.stop_dns()
                self.say("chaos: %s dns: done" % cmd)
            elif cmd == "kill-worker" and arg in BALANCERS:
                self.say("chaos: kill-worker %s: killed PID %d" % (arg, l3.kill_worker(arg)))
            elif cmd == "crash" and arg in BALANCERS:
                l3.crash(arg)
                self.say("chaos: crash %s: cable out, every process killed (`start %s` brings it back)" % (arg, arg))
            elif cmd in ("disconnect", "connect") and arg in BALANCERS + NGINX:
                getattr(l3, cmd)(arg)
                self.say("chaos: %s %s: done" % (cmd, arg))
            elif cmd == "move" and arg in NGINX:
                self.say("chaos: move %s: now at %s (DNS told)" % (arg, l3.move_nginx(arg)))
            else:
                self.say("chaos: unknown command '%s' (type help)" % line.strip())
        except (LabError, OSError, subprocess.SubprocessError) as e:
            self.say("chaos: %s: failed: %s" % (line.strip(), e))
        return True

    def run(self):
        self.print_playbook()
        procs = ["%s pid %d" % (k, pr.pid) for k, pr in sorted(self.l3.procs.items())]
        self.say("processes: %s\nfiles, logs and sockets in %s (removed at the end)\n" % ("; ".join(procs), self.l3.work))
        self.say(self.HELP)
        threading.Thread(target=self.follow, daemon=True).start()
        try:
            for line in sys.stdin:
                if not self.command(line):
                    break
            else:
                # end of input (not a terminal): hold the lab until Ctrl-C
                self.stop.wait()
        finally:
            self.stop.set()


def demo_main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="lab003.py demo")
    ap.add_argument("--variant", choices=("tandem", "keepalived"), default=os.environ.get("VARIANT") or "tandem")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("lab003: Part 2 of lab 003 builds network namespaces, a bridge and a virtual IP: it needs root "
              "(sudo make demo LAB=003). Part 1 alone runs without root: make demo LAB=003 PART=1",
              file=sys.stderr)
        return 1
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = [t for t in ("ip", "dnsmasq", "nginx", "curl") + (("haproxy", "keepalived") if args.variant == "keepalived" else ())
               if not shutil.which(t)]
    if not os.access(bin_path("tandem"), os.X_OK):
        missing.append(bin_path("tandem"))
    if missing:
        print("lab003: missing %s (tools/deps.sh netns installs ip, dnsmasq, nginx and curl; the keepalived "
              "variant also needs haproxy and keepalived, which tools/deps.sh test installs; make builds tandem)"
              % ", ".join(missing), file=sys.stderr)
        return 1

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    sweep_stale()
    work = tempfile.mkdtemp(prefix="tandem-lab003-")
    l3 = None
    rc = 0
    try:
        print("starting lab 003 in network namespaces (%s)..." % (
            "tandem on haproxy1 and haproxy2" if args.variant == "tandem" else
            "tandem on haproxy1, HAProxy and keepalived on haproxy2"), flush=True)
        l3 = Lab003(work, args.variant)
        l3.start()
        Demo(l3).run()
    except KeyboardInterrupt:
        pass
    except (LabError, OSError, subprocess.SubprocessError) as e:
        print("lab003: the lab did not start: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        print("stopping lab 003: every process and namespace it made", flush=True)
        if l3:
            l3.close()
        else:
            sweep_stale()
        if args.keep or rc:
            print("logs kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        sys.exit(demo_main(sys.argv[2:]))
    print("usage: %s demo [--variant tandem|keepalived] [--keep]" % sys.argv[0], file=sys.stderr)
    sys.exit(2)
