"""Network namespaces for tandem's multi-host tests (Python 3 standard library).

A Lab is a LAN made only of namespaces it creates: one namespace holds a
bridge, every node is another namespace whose "eth0" is a veth plugged into
that bridge. Nothing touches the host's own namespace or a real network;
addresses come from 192.0.2.0/24 (TEST-NET-1, documentation only).

Names are unique per run ("tdv<pid>x<n>-<node>"); every process a Lab starts
is remembered by PID and killed, and every namespace deleted, by close(),
which the runner also calls on failure, on SIGTERM/SIGINT and at exit.
Namespaces left by an earlier run whose process no longer exists are removed
by sweep_stale().
"""
import os
import re
import signal
import subprocess
import time

NET = "192.0.2."
NET6 = "2001:db8::"
PREFIX = "tdv"
_count = [0]


class LabError(Exception):
    pass


def ip(*args, check=True):
    """Run `ip ARGS...`; returns stdout (str). Raises LabError on failure."""
    r = subprocess.run(["ip"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=10)
    if check and r.returncode != 0:
        raise LabError("ip %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def netns_list():
    out = ip("netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def sweep_stale():
    """Delete namespaces of earlier runs whose creating process is gone."""
    for name in netns_list():
        m = re.match(r"^%s(\d+)x\d+-" % PREFIX, name)
        if m and not os.path.exists("/proc/%s" % m.group(1)):
            ip("netns", "del", name, check=False)


class Proc:
    """A process started in a namespace, output to a log file."""

    def __init__(self, name, argv, log_path, popen):
        self.name, self.argv, self.log_path, self.p = name, argv, log_path, popen

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def children(self):
        """PIDs of this process's direct children (read before killing it)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Lab:
    def __init__(self, workdir):
        _count[0] += 1
        self.tag = "%s%dx%d" % (PREFIX, os.getpid(), _count[0])
        self.workdir = workdir
        self.nodes = {}          # node name -> namespace
        self.procs = []          # every Proc started (killed on close)
        self.extra_pids = []     # grandchildren to kill on close (orphaned workers)
        self.br = self.tag + "-br"
        ip("netns", "add", self.br)
        self.nodes_created = [self.br]
        ip("-n", self.br, "link", "add", "br0", "type", "bridge")
        ip("-n", self.br, "link", "set", "br0", "up")

    def ns(self, node):
        return self.nodes[node]

    def add_node(self, node, host, net=NET, plen=24):
        """Namespace <node> with eth0 = 192.0.2.<host>/24 (or <net><host>/<plen>,
        e.g. a lab's own "172.20.0.", 16) and 2001:db8::<host>/64 on the
        bridge. Duplicate address detection is off, so the IPv6 link-local
        address (fe80::, from the MAC) is usable as soon as the link is up."""
        ns = "%s-%s" % (self.tag, node)
        ip("netns", "add", ns)
        self.nodes_created.append(ns)
        self.nodes[node] = ns
        peer = "v" + node
        ip("-n", self.br, "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", ns)
        ip("-n", self.br, "link", "set", peer, "master", "br0", "up")
        ip("-n", ns, "link", "set", "lo", "up")
        r = subprocess.run(["ip", "netns", "exec", ns, "sh", "-c",
                            "for k in all default eth0; do echo 0 > /proc/sys/net/ipv6/conf/$k/accept_dad; done"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=10)
        if r.returncode != 0:
            raise LabError("cannot turn duplicate address detection off in %s: %s" % (ns, r.stdout.strip()))
        ip("-n", ns, "addr", "add", "%s%d/%d" % (net, host, plen), "dev", "eth0")
        ip("-n", ns, "addr", "add", "%s%x/64" % (NET6, host), "dev", "eth0", "nodad")
        ip("-n", ns, "link", "set", "eth0", "up")
        return ns

    def mac(self, node, dev="eth0"):
        """Hardware address of <dev> in <node> (None if there is no such device)."""
        out = ip("-n", self.nodes[node], "-o", "link", "show", "dev", dev, check=False)
        m = re.search(r"link/ether ([0-9a-f:]{17})", out)
        return m.group(1) if m else None

    def neigh(self, node, addr):
        """The MAC <node> has for <addr> in its neighbour table (None if none)."""
        out = ip("-n", self.nodes[node], "neigh", "show", addr, check=False)
        m = re.search(r"lladdr ([0-9a-f:]{17})", out)
        return m.group(1) if m else None

    def detach(self, node):
        """Partition: <node>'s port leaves the bridge, its link stays up
        (no carrier change: the node does not see a fault, only silence)."""
        ip("-n", self.br, "link", "set", "v" + node, "nomaster")

    def attach(self, node):
        ip("-n", self.br, "link", "set", "v" + node, "master", "br0", "up")

    def unplug(self, node):
        """Cable out: the node's port on the bridge goes down."""
        ip("-n", self.br, "link", "set", "v" + node, "down")

    def plug(self, node):
        ip("-n", self.br, "link", "set", "v" + node, "up")

    def holds(self, node, addr):
        """True if <addr> is configured on <node> (any interface: a VMAC too)."""
        out = ip("-n", self.nodes[node], "-o", "addr", "show", check=False)
        return (" %s/" % addr) in out

    def holders(self, addr, nodes=None):
        return [n for n in (nodes or self.nodes) if self.holds(n, addr)]

    def spawn(self, node, name, argv, env=None, stdout_pipe=False):
        """Start argv in <node>'s namespace (ip netns exec execs it: the
        PID is the program's). Output goes to WORKDIR/NAME.log, or stdout
        to a pipe when <stdout_pipe>."""
        log_path = os.path.join(self.workdir, "%s.log" % name)
        logf = open(log_path, "w")
        full = ["ip", "netns", "exec", self.nodes[node]] + list(argv)
        p = subprocess.Popen(full, stdout=subprocess.PIPE if stdout_pipe else logf, stderr=logf,
                             stdin=subprocess.DEVNULL, env=env, text=stdout_pipe or None,
                             start_new_session=True)
        logf.close()
        pr = Proc(name, full, log_path, p)
        self.procs.append(pr)
        return pr

    def kill(self, pr, sig=signal.SIGKILL):
        try:
            os.kill(pr.pid, sig)
        except ProcessLookupError:
            pass

    def close(self):
        # every process still inside our namespaces was started by this lab
        # (directly, or a worker/guard of a tandem it started)
        pids = set(self.extra_pids)
        for ns in self.nodes_created:
            pids.update(int(x) for x in ip("netns", "pids", ns, check=False).split())
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pr in self.procs:
            if pr.alive():
                try:
                    os.kill(pr.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for pr in self.procs:
            try:
                pr.p.wait(5)
            except subprocess.TimeoutExpired:
                pass
            if pr.p.stdout:
                pr.p.stdout.close()
        for ns in reversed(self.nodes_created):
            ip("netns", "del", ns, check=False)
        self.nodes_created = []
        self.procs = []


def wait_for(fn, timeout, what, interval=0.005):
    """Call fn() until truthy (returned) or <timeout> s pass (LabError)."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() >= end:
            raise LabError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)
