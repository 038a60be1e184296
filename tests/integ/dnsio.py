"""DNS for the discovery tests (test_dns*.py): a real dnsmasq (Debian's) whose
answers the test changes, a small DNS server in Python for answers no real
server sends (malformed, truncated, too big, wrong id, wrong source), and
tandem-app backends on several loopback addresses (127.0.0.2, 127.0.0.3...)
sharing one port, as replicas behind one name do.

dnsmasq: `--addn-hosts=FILE` is re-read on SIGHUP (A records); SRV records
are command-line `--srv-host` options, so an SRV change restarts it on the
same port (a few milliseconds without DNS, which is part of what is tested:
nothing may change for that). Names under `.test` are local: an unknown one
is NXDOMAIN at once."""
import os
import shutil
import signal
import socket
import struct
import threading
import time

from harness import BIN_DIR, APP_KIND, HERE, Backend, TestFailure, check, free_port, poll_until

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def udp_port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Dnsmasq:
    """dnsmasq on 127.0.0.1:<port> (UDP and TCP). <hosts>: {name: [ip...]};
    <srv>: [(label, target, port, priority, weight)]."""

    def __init__(self, ctx, hosts=None, srv=None, name="dnsmasq"):
        check(os.access(DNSMASQ, os.X_OK), "dnsmasq is not installed (apt-get install dnsmasq-base)")
        self.ctx, self.name = ctx, name
        self.hosts_path = ctx.path(name + ".hosts")
        os.chmod(ctx.tmpdir, 0o755)   # dnsmasq may read as another user
        self.hosts = dict(hosts or {})
        self.srv = list(srv or [])
        self.proc = None
        self.starts = 0
        self._write_hosts()
        for _ in range(20):
            self.port = free_port()
            if udp_port_free(self.port) and self._start():
                return
        raise TestFailure("dnsmasq did not start: %s" % (self.proc.tail() if self.proc else "?"))

    def _write_hosts(self):
        tmp = self.hosts_path + ".new"
        with open(tmp, "w") as f:
            for name, ips in self.hosts.items():
                for ip in ips:
                    f.write("%s %s\n" % (ip, name))
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.hosts_path)

    def _start(self):
        argv = [DNSMASQ, "--no-daemon", "--port=%d" % self.port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-poll", "--conf-file=/dev/null",
                "--pid-file=", "--local=/test/", "--addn-hosts=" + self.hosts_path, "--log-facility=-"]
        argv += ["--srv-host=%s,%s,%d,%d,%d" % s for s in self.srv]
        self.starts += 1
        self.proc = self.ctx.spawn("%s-%d" % (self.name, self.starts), argv)
        try:
            poll_until(lambda: self.answers() or not self.proc.alive(), 5, "dnsmasq answering")
        except TestFailure:
            pass
        return self.proc.alive() and self.answers()

    def answers(self):
        """True when a query gets an answer (of any kind)."""
        try:
            query("127.0.0.1", self.port, "probe.test", 1, timeout=0.2)
            return True
        except OSError:
            return False

    def set_hosts(self, hosts):
        """New A records (SIGHUP re-reads the file)."""
        self.hosts = dict(hosts)
        self._write_hosts()
        self.proc.signal(signal.SIGHUP)

    def set_srv(self, srv):
        """New SRV records: dnsmasq restarts on the same port."""
        self.srv = list(srv)
        self.kill()
        for _ in range(50):
            if self._start():
                return
            time.sleep(0.05)
        raise TestFailure("dnsmasq did not restart on port %d" % self.port)

    def kill(self):
        if self.proc:
            self.proc.stop(3)

    def start(self):
        check(self._start(), "dnsmasq did not start again on port %d" % self.port)


# ------------------------------------------------------------------ messages ----

def qname_wire(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"


def build_query(qid, name, qtype):
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname_wire(name) + struct.pack(">HH", qtype, 1)


def query(host, port, name, qtype, timeout=1.0):
    """One UDP query; returns the raw answer (OSError on timeout)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(build_query(0x4242, name, qtype), (host, port))
        return s.recvfrom(65535)[0]
    finally:
        s.close()


def parse_question(q):
    """(id, name, qtype, question bytes) of a query."""
    qid = struct.unpack(">H", q[:2])[0]
    p, labels = 12, []
    while q[p]:
        labels.append(q[p + 1:p + 1 + q[p]].decode("ascii", "replace"))
        p += 1 + q[p]
    qtype = struct.unpack(">H", q[p + 1:p + 3])[0]
    return qid, ".".join(labels).lower(), qtype, q[12:p + 5]


def rr(rtype, rdata, owner=b"\xc0\x0c", ttl=0):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def rr_a(ip, owner=b"\xc0\x0c"):
    return rr(1, socket.inet_aton(ip), owner)


def rr_srv(prio, weight, port, target):
    return rr(33, struct.pack(">HHH", prio, weight, port) + qname_wire(target))


def answer(qid, question, records=(), additional=(), rcode=0, flags=0x8180):
    return (struct.pack(">HHHHHH", qid, flags | rcode, 1, len(records), 0, len(additional)) + question +
            b"".join(records) + b"".join(additional))


class FakeDns:
    """A UDP DNS server on 127.0.0.1 whose answers come from <handler>(qid,
    name, qtype, question) -> list of (bytes, from_port_or_None): each
    datagram is sent back, from another socket when from_port is set (an
    answer from the wrong source). Counts queries per (name, qtype)."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.1", 0))
        self.queries = {}
        self.errors = []
        self._stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                q, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                qid, name, qtype, question = parse_question(q)
                self.queries[(name, qtype)] = self.queries.get((name, qtype), 0) + 1
                for data, other in self.handler(qid, name, qtype, question):
                    (self.other if other else self.sock).sendto(data, peer)
            except Exception as e:  # noqa: BLE001 - kept for the report
                self.errors.append(repr(e))

    def stop(self):
        self._stop = True
        self.t.join(2)
        self.sock.close()
        self.other.close()


# ------------------------------------------------------------------ backends ----

def app_at(ctx, name, ip, port, extra=None):
    """tandem-app <name> on ip:port; None when that address is taken."""
    if APP_KIND == "python":
        argv = ["python3", os.path.join(HERE, "pyapp.py")]
    else:
        argv = [os.path.join(BIN_DIR, "tandem-app")]
    argv += ["--name", name, "--listen", "%s:%d" % (ip, port), "--quiet", "--read-delay-ms", "0"] + list(extra or [])
    p = ctx.spawn("app-" + name, argv)
    dl = time.time() + 10
    while time.time() < dl:
        try:
            socket.create_connection((ip, port), timeout=0.5).close()
            return Backend(name, port, p)
        except OSError:
            if not p.alive():
                return None
            time.sleep(0.01)
    raise TestFailure("backend %s on %s:%d did not start" % (name, ip, port))


def replicas(ctx, names, first=2, extra=None):
    """Backends <names> on 127.0.0.<first>, <first+1>... all on one port.
    Returns (port, {name: ip})."""
    for _ in range(20):
        port, started, ips = free_port(), [], {}
        for i, n in enumerate(names):
            ip = "127.0.0.%d" % (first + i)
            b = app_at(ctx, n, ip, port, extra)
            if not b:
                break
            started.append(b)
            ips[n] = ip
        if len(started) == len(names):
            return port, ips
        for b in started:
            b.proc.stop()
    raise TestFailure("no port free on every replica address")
