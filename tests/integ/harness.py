"""Black-box test harness for tandem (Python 3 standard library only).

A test is a function `test_xxx(ctx)` in tests/integ/test_*.py; run.py calls it
with a fresh Ctx. The Ctx owns everything the test starts (processes, Python
socket servers, a temp dir) and stops it afterwards. A test fails by raising
(TestFailure from check()/eq(), or any exception); it may raise Skip only for
things that cannot apply to the proxy under test (PROXY=haproxy validation).

Environment:
  TANDEM_BIN_DIR  directory holding tandem and tandem-app (default: bin,
                  relative to the repository root)
  PROXY           tandem (default) or haproxy: run the same configs against
                  the system's HAProxy, to validate the tests themselves
  TANDEM_APP      bin (default) uses $TANDEM_BIN_DIR/tandem-app as backend;
                  python uses the stand-in tests/integ/pyapp.py
  TANDEM_BIG_MB   size of the big transfer tests (default 1024)

Rules kept here so tests need not think about them: ports are chosen at run
time (bind port 0, then release), every wait polls against a deadline, and
processes are stopped by PID (SIGTERM, then SIGKILL after a deadline).
"""
import hashlib
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

from httpio import *  # noqa: F401,F403 (tests import everything from harness)
from httpio import Deadline, TestFailure

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.path.join(ROOT, os.environ.get("TANDEM_BIN_DIR", "bin"))
PROXY = os.environ.get("PROXY", "tandem")
APP_KIND = os.environ.get("TANDEM_APP", "bin")
BIG_MB = int(os.environ.get("TANDEM_BIG_MB", "1024"))
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


class Skip(Exception):
    """The test does not apply to the proxy under test (only under PROXY=haproxy)."""


def check(cond, msg):
    """Fail the test with <msg> unless <cond>."""
    if not cond:
        raise TestFailure(msg)


def eq(got, want, what):
    """Fail unless got == want, naming <what> and both values."""
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, _short(got), _short(want)))


def _short(v, n=300):
    r = v
    if isinstance(v, (bytes, str)) and len(v) > n:
        r = v[:n] + (b"..." if isinstance(v, bytes) else "...")
    return r


def tandem_only(what):
    """Skip when validating against HAProxy: <what> is tandem-specific."""
    if PROXY == "haproxy":
        raise Skip("tandem only: " + what)


def is_haproxy():
    return PROXY == "haproxy"


# ---------------------------------------------------------------- time ----

def poll_until(fn, timeout, what, interval=0.01):
    """Call fn() until it returns a truthy value (returned) or <timeout>
    seconds pass (TestFailure naming <what>). Never sleeps longer than
    <interval> between calls."""
    dl = Deadline(timeout)
    while True:
        v = fn()
        if v:
            return v
        if dl.expired():
            raise TestFailure("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(min(interval, dl.left()) or 0.001)


# --------------------------------------------------------------- ports ----

def free_port():
    """A TCP port free on 127.0.0.1 right now (bind port 0, then release)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def port_accepts(port, host="127.0.0.1"):
    """True if a TCP connect to host:port succeeds now."""
    try:
        s = socket.create_connection((host, port), timeout=0.5)
    except OSError:
        return False
    s.close()
    return True


def port_refuses(port, host="127.0.0.1"):
    """True if a connect to host:port is refused (nobody listening)."""
    try:
        s = socket.create_connection((host, port), timeout=0.5)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    s.close()
    return False


def wait_port(port, timeout=10.0, proc=None):
    """Poll until host:port accepts. If <proc> exits meanwhile, fail at once
    with the tail of its output."""
    dl = Deadline(timeout)
    while not dl.expired():
        if port_accepts(port):
            return
        if proc is not None and not proc.alive():
            raise TestFailure("%s exited (status %s) before port %d accepted; output:\n%s"
                              % (proc.name, proc.returncode(), port, proc.tail()))
        time.sleep(0.01)
    raise TestFailure("port %d did not accept within %.1fs%s"
                      % (port, timeout, ("; %s output:\n%s" % (proc.name, proc.tail())) if proc else ""))


# ----------------------------------------------------------- processes ----

class Proc:
    """A child process with stdout and stderr captured to files in the test's
    temp dir (kept on failure for debugging)."""

    def __init__(self, name, argv, tmpdir, env=None, stdin=None):
        self.name = name
        self.argv = argv
        self.out_path = os.path.join(tmpdir, name + ".out")
        self.err_path = os.path.join(tmpdir, name + ".err")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen(argv, stdout=self._out, stderr=self._err,
                                  stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                  env=e, cwd=tmpdir)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def returncode(self):
        return self.p.poll()

    def wait(self, timeout):
        """Exit status, or None if still running after <timeout> seconds."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=3.0):
        """SIGTERM, then SIGKILL if still running after <timeout>. Returns
        (exit status, True if it had to be killed)."""
        killed = False
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait(timeout) is None:
                killed = True
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        self._close_files()
        return self.p.returncode, killed

    def _close_files(self):
        for f in (self._out, self._err):
            try:
                f.close()
            except OSError:
                pass

    def out(self):
        return _read_text(self.out_path)

    def err(self):
        return _read_text(self.err_path)

    def output(self):
        """stdout and stderr together (stdout first)."""
        return self.out() + self.err()

    def tail(self, n=2000):
        t = "--- stdout:\n" + self.out()[-n:] + "--- stderr:\n" + self.err()[-n:]
        return t


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def proc_tree(pid):
    """<pid> and all its descendants (from /proc), so measurements include
    a master/worker split."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    """CPU time (user + system, seconds) used so far by <pid> and its
    descendants: a thread that spins shows here whatever the machine's load."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in proc_tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / float(hz)


def rss_kb(pid):
    """Sum of VmRSS (kB) over <pid> and its descendants; 0 if gone."""
    total = 0
    for p in proc_tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def fd_count(pid):
    """Open file descriptors over <pid> and its descendants."""
    n = 0
    for p in proc_tree(pid):
        try:
            n += len(os.listdir("/proc/%d/fd" % p))
        except OSError:
            pass
    return n


def _socket_inodes(pid):
    """Socket inodes held by <pid> and its descendants."""
    out = set()
    for p in proc_tree(pid):
        try:
            fds = os.listdir("/proc/%d/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink("/proc/%d/fd/%s" % (p, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(int(link[8:-1]))
    return out


def tcp_conns(pid, local_port=None, remote_port=None):
    """Established-or-closing (not LISTEN) TCP sockets held by <pid>'s tree,
    filtered by local and/or remote port: [(local_port, remote_port, state)].
    Used to find leaked client or server connections."""
    inodes = _socket_inodes(pid)
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fld = line.split()
            lport = int(fld[1].rsplit(":", 1)[1], 16)
            rport = int(fld[2].rsplit(":", 1)[1], 16)
            st = fld[3]
            if st == "0A" or int(fld[9]) not in inodes:
                continue
            if local_port is not None and lport != local_port:
                continue
            if remote_port is not None and rport != remote_port:
                continue
            out.append((lport, rport, st))
    return out


class RssSampler:
    """Samples rss_kb(pid) every <interval> seconds in a thread; max_kb is the
    peak seen between start() and stop()."""

    def __init__(self, pid, interval=0.05):
        self.pid, self.interval = pid, interval
        self.max_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            v = rss_kb(self.pid)
            self.max_kb = max(self.max_kb, v)
            self.samples += 1
            self._stop.wait(self.interval)

    def start(self):
        self._t.start()
        return self

    def stop(self):
        self._stop.set()
        self._t.join()
        return self.max_kb


# ----------------------------------------------------- deterministic data ----

PATTERN_PERIOD = 256
# byte i of every /bytes body is (i * 31 + 7) & 0xff (tools/app/app.h pattern_byte)
_PATTERN_BLOCK = bytes(((i * 31 + 7) & 0xff) for i in range(PATTERN_PERIOD)) * (4097)


def pattern_bytes(n, offset=0):
    """Bytes [offset, offset+n) of tandem-app's /bytes body."""
    out = bytearray()
    while n > 0:
        start = offset % PATTERN_PERIOD
        take = min(n, len(_PATTERN_BLOCK) - start)
        out += _PATTERN_BLOCK[start:start + take]
        n -= take
        offset += take
    return bytes(out)


class PatternChecker:
    """Streaming checker for /bytes bodies: feed() pieces in order, then
    look at .ok, .count and .first_bad (offset of the first wrong piece)."""

    def __init__(self):
        self.count = 0
        self.ok = True
        self.first_bad = None
        self._block = memoryview(_PATTERN_BLOCK)

    def feed(self, piece):
        if self.ok:
            mv, pos, off = memoryview(piece), 0, self.count
            while pos < len(mv):
                start = off % PATTERN_PERIOD
                take = min(len(mv) - pos, len(self._block) - start)
                if mv[pos:pos + take] != self._block[start:start + take]:
                    self.ok = False
                    self.first_bad = off
                    break
                pos += take
                off += take
        self.count += len(piece)


# ----------------------------------------------------------------- ctx ----

class Backend:
    """A started backend: .port, .name, .proc."""

    def __init__(self, name, port, proc):
        self.name, self.port, self.proc = name, port, proc


class ProxyProc:
    """A started proxy: .port (first bind), .ports, .proc, .cfg_path."""

    def __init__(self, proc, ports, cfg_path):
        self.proc, self.ports, self.cfg_path = proc, ports, cfg_path
        self.port = ports[0] if ports else None
        self.pid = proc.pid

    def logs(self):
        return self.proc.output()


_BIND_RE = re.compile(r"^\s*bind\s+127\.0\.0\.1:(\d+)", re.M)


class Ctx:
    """Per-test resources. Everything started through it is stopped by
    cleanup(); the temp dir is kept when the test failed."""

    def __init__(self, name):
        self.name = name
        self.tmpdir = tempfile.mkdtemp(prefix="tandem-integ-%s-" % name.replace(".", "-"))
        self.procs = []
        self.servers = []
        self.notes = []

    # -- files --
    def path(self, name):
        return os.path.join(self.tmpdir, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    # -- processes --
    def spawn(self, name, argv, env=None):
        """Start <argv> with output captured. Under sanitizers, LeakSanitizer
        ignores the parsed configuration, which lives as long as the process
        (LSAN_SUPPRESSIONS); any other leak, and every ASan/UBSan report,
        fails the test (see stop_all)."""
        supp = self.path("lsan.supp")
        if not os.path.exists(supp):
            with open(supp, "w") as f:
                f.write(LSAN_SUPPRESSIONS)
        e = {"LSAN_OPTIONS": ":".join(x for x in (os.environ.get("LSAN_OPTIONS", ""),
                                                  "suppressions=" + supp, "print_suppressions=0") if x)}
        e.update(env or {})
        p = Proc(name, argv, self.tmpdir, e)
        self.procs.append(p)
        return p

    def app(self, name="A", extra=None):
        """Start a tandem-app backend named <name>; waits until it accepts."""
        port = free_port()
        if APP_KIND == "python":
            argv = [sys.executable, os.path.join(HERE, "pyapp.py")]
        else:
            exe = os.path.join(BIN_DIR, "tandem-app")
            check(os.access(exe, os.X_OK), "backend program missing: %s" % exe)
            argv = [exe]
        argv += ["--name", name, "--listen", "127.0.0.1:%d" % port, "--quiet"] + list(extra or [])
        p = self.spawn("app-" + name, argv)
        wait_port(port, 10, p)
        return Backend(name, port, p)

    def proxy_argv(self, cfg_path, check_only=False):
        if PROXY == "haproxy":
            return [HAPROXY, "-c", "-f", cfg_path] if check_only else [HAPROXY, "-db", "-f", cfg_path]
        exe = os.path.join(BIN_DIR, "tandem")
        check(os.access(exe, os.X_OK), "proxy program missing: %s" % exe)
        return [exe, "-c", "-f", cfg_path] if check_only else [exe, "-f", cfg_path]

    def proxy(self, cfg, name="proxy", wait=True):
        """Write <cfg>, start the proxy on it, wait until every
        `bind 127.0.0.1:PORT` accepts. Returns a ProxyProc."""
        cfg_path = self.write(name + ".cfg", cfg)
        ports = [int(p) for p in _BIND_RE.findall(cfg)]
        p = self.spawn(name, self.proxy_argv(cfg_path))
        if wait:
            for port in ports:
                wait_port(port, 10, p)
        return ProxyProc(p, ports, cfg_path)

    def haproxy(self, cfg, name="haproxy"):
        """Start the system HAProxy on <cfg> whatever PROXY says (for tests
        that compare or chain the two). Waits for its binds."""
        check(os.access(HAPROXY, os.X_OK), "haproxy is not installed (apt-get install haproxy)")
        cfg_path = self.write(name + ".cfg", cfg)
        ports = [int(p) for p in _BIND_RE.findall(cfg)]
        p = self.spawn(name, [HAPROXY, "-db", "-f", cfg_path])
        for port in ports:
            wait_port(port, 10, p)
        return ProxyProc(p, ports, cfg_path)

    def nginx(self, http_block, name="nginx"):
        """Start nginx in the foreground with <http_block> as the inside of
        its http {} section (which must `listen 127.0.0.1:PORT`); temp files,
        pid and logs stay in the test's dir. Waits for every listen port."""
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        check(os.access(exe, os.X_OK), "nginx is not installed (apt-get install nginx)")
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        os.chmod(self.tmpdir, 0o755)   # nginx workers run as an unprivileged user
        conf = ("daemon off;\nworker_processes 1;\npid %(d)s/nginx.pid;\nerror_log stderr notice;\n"
                "events { worker_connections 1024; }\n"
                "http {\n access_log off;\n client_body_temp_path %(d)s/body;\n proxy_temp_path %(d)s/proxy;\n"
                " fastcgi_temp_path %(d)s/fcgi;\n uwsgi_temp_path %(d)s/uwsgi;\n scgi_temp_path %(d)s/scgi;\n"
                "%(body)s\n}\n") % {"d": d, "body": http_block}
        conf_path = self.write(name + ".conf", conf)
        ports = [int(p) for p in re.findall(r"listen\s+127\.0\.0\.1:(\d+)", http_block)]
        p = self.spawn(name, [exe, "-e", "stderr", "-p", d, "-c", conf_path])
        for port in ports:
            wait_port(port, 10, p)
        return Backend(name, ports[0] if ports else None, p)

    def check_config(self, cfg, name="check"):
        """Run the proxy's config check on <cfg>. Returns (status, output, path)."""
        cfg_path = self.write(name + ".cfg", cfg)
        p = self.spawn(name, self.proxy_argv(cfg_path, check_only=True))
        rc = p.wait(10)
        check(rc is not None, "config check did not finish within 10s")
        return rc, p.output(), cfg_path

    def raw_server(self, handler):
        s = RawServer(handler)
        self.servers.append(s)
        return s

    def note(self, msg):
        """Extra information printed with the test's result on failure."""
        self.notes.append(msg)

    def stop_all(self):
        """Stop every server and process the test started. Returns
        (hints, sanitizer_reports): hints for a failure report, and one line
        per process whose output holds an ASan/UBSan/LSan/TSan report (a
        test with such a report fails even if its checks passed)."""
        hints, reports = [], []
        for s in self.servers:
            s.stop()
            if s.errors:
                hints.append("raw server handler errors: %s" % s.errors[:3])
        for p in reversed(self.procs):
            rc, killed = p.stop(3.0)
            if killed and p.name.startswith("proxy"):
                hints.append("%s ignored SIGTERM for 3s and was killed" % p.name)
            line = sanitizer_report(p.output())
            if line:
                reports.append("%s (%s): %s" % (p.name, os.path.basename(p.argv[0]), line))
        return hints, reports

    def cleanup(self, failed):
        """Remove the temp dir, or keep it and say where when <failed>."""
        if failed:
            return ["logs kept in " + self.tmpdir]
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return []


# Process-lifetime allocations that need not be freed at exit: the
# configuration (everything allocated under cfg_load).
LSAN_SUPPRESSIONS = "leak:cfg_load\n"

_SANITIZER_RE = re.compile(r"ERROR: (?:Address|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer|"
                           r"\bruntime error: |SUMMARY: UndefinedBehaviorSanitizer")


def sanitizer_report(text):
    """The first line of a sanitizer report in <text>, or None."""
    m = _SANITIZER_RE.search(text)
    if not m:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return text[start:end if end >= 0 else len(text)].strip()[:300]


# -------------------------------------------------------- config helpers ----

def config(fe_port, servers, balance=None, global_extra="", defaults_extra="",
           fe_extra="", be_extra="", extra_sections="", nbthread=1,
           timeouts=("connect 2s", "client 10s", "server 10s"), fe_name="fe", be_name="be"):
    """A one-frontend one-backend HTTP config. <servers> is a list of
    (name, port) or (name, port, "server options")."""
    g = "global\n"
    if nbthread:
        g += "    nbthread %d\n" % nbthread
    g += "".join("    %s\n" % l for l in global_extra.strip().splitlines() if l.strip())
    d = "defaults\n    mode http\n"
    d += "".join("    timeout %s\n" % t for t in timeouts)
    d += "".join("    %s\n" % l for l in defaults_extra.strip().splitlines() if l.strip())
    fe = "frontend %s\n    bind 127.0.0.1:%d\n    default_backend %s\n" % (fe_name, fe_port, be_name)
    fe += "".join("    %s\n" % l for l in fe_extra.strip().splitlines() if l.strip())
    be = "backend %s\n" % be_name
    if balance:
        be += "    balance %s\n" % balance
    be += "".join("    %s\n" % l for l in be_extra.strip().splitlines() if l.strip())
    for s in servers:
        opts = (" " + s[2]) if len(s) > 2 and s[2] else ""
        be += "    server %s 127.0.0.1:%d%s\n" % (s[0], s[1], opts)
    return "\n".join([g, d, fe, be, extra_sections])


def start_simple(ctx, servers, **kw):
    """Start a proxy in front of <servers> [(name, port[, opts])] with
    config(**kw). Returns the ProxyProc."""
    port = free_port()
    return ctx.proxy(config(port, servers, **kw))


def app_proxy(ctx, names=("A",), **kw):
    """Start tandem-app backends named <names> and a proxy in front of them
    (servers s1, s2, ...). Returns (proxy, [backends])."""
    apps = [ctx.app(n) for n in names]
    px = start_simple(ctx, [("s%d" % (i + 1), a.port) for i, a in enumerate(apps)], **kw)
    return px, apps


def sha256_hex(b):
    return hashlib.sha256(b).hexdigest()


def parse_json(body, what="body"):
    try:
        return json.loads(body)
    except ValueError as e:
        raise TestFailure("%s is not JSON (%s): %r" % (what, e, _short(body)))


# ---------------------------------------------------------- decorators ----

def timeout(seconds):
    """Decorator: let run.py give this test <seconds> instead of 60."""
    def deco(f):
        f.timeout = seconds
        return f
    return deco


def serial(f):
    """Decorator: run this test alone (after the parallel ones), e.g. a
    transfer that loads both CPUs and would disturb timing-sensitive tests."""
    f.serial = True
    return f


def haproxy_differs(why):
    """Decorator: HAProxy is known to behave differently here (<why>), so
    under PROXY=haproxy the runner expects this test to fail (XFAIL) and
    reports an unexpected pass as XPASS. No effect on a tandem run."""
    def deco(f):
        f.haproxy_differs = why
        return f
    return deco
