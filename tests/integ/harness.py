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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.path.join(ROOT, os.environ.get("TANDEM_BIN_DIR", "bin"))
PROXY = os.environ.get("PROXY", "tandem")
APP_KIND = os.environ.get("TANDEM_APP", "bin")
BIG_MB = int(os.environ.get("TANDEM_BIG_MB", "1024"))
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


class TestFailure(AssertionError):
    """A test's expectation did not hold; the message says which."""


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

class Deadline:
    """A point in monotonic time; left() is never negative."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.end - time.monotonic())

    def expired(self):
        return time.monotonic() >= self.end


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


# -------------------------------------------------------- HTTP parsing ----

class Response:
    """A parsed HTTP response (or request, for the raw servers)."""

    def __init__(self):
        self.version = ""
        self.status = 0
        self.reason = ""
        self.method = ""   # requests only
        self.target = ""   # requests only
        self.headers = []  # [(name, value)] in order, names as received
        self.body = b""
        self.trailers = []
        self.raw_head = b""
        self.interim = []  # 1xx responses seen before this one
        self.chunked = False
        self.body_len = 0  # also valid when the body went to a sink

    def header(self, name, default=None):
        """First value of header <name> (case-insensitive), or default."""
        ln = name.lower()
        for n, v in self.headers:
            if n.lower() == ln:
                return v
        return default

    def headers_all(self, name):
        ln = name.lower()
        return [v for n, v in self.headers if n.lower() == ln]

    def has(self, name):
        return self.header(name) is not None

    def tokens(self, name):
        """Comma-separated tokens of all <name> headers, lower-cased."""
        out = []
        for v in self.headers_all(name):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def __repr__(self):
        return "<%s %s %d bytes>" % (self.status or self.method, self.reason or self.target, len(self.body))


class PeerClosed(Exception):
    """The peer closed (or reset) before a complete message arrived."""


class Reader:
    """Buffered reading from a socket with deadlines. Shared by the client
    and by the raw servers."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def _fill(self, dl, n=65536):
        """Read more bytes; False on EOF/reset. Raises TestFailure on deadline."""
        if self.eof:
            return False
        left = dl.left()
        if left <= 0:
            raise TestFailure("read timed out")
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(n)
        except socket.timeout:
            raise TestFailure("read timed out (got %d bytes pending: %r)" % (len(self.buf), bytes(self.buf[:200])))
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def read_head(self, dl):
        """Bytes up to and including the blank line ending a message head."""
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = bytes(self.buf[:i + 4])
                del self.buf[:i + 4]
                return head
            if not self._fill(dl):
                raise PeerClosed("closed before end of head; got %r" % bytes(self.buf[:300]))

    def read_exact(self, n, dl, sink=None):
        out = bytearray() if sink is None else None
        while n > 0:
            if not self.buf and not self._fill(dl, min(max(n, 65536), 1 << 20)):
                raise PeerClosed("closed with %d body bytes missing" % n)
            take = min(n, len(self.buf))
            piece = bytes(self.buf[:take])
            del self.buf[:take]
            n -= take
            if sink is None:
                out += piece
            else:
                sink(piece)
        return bytes(out) if sink is None else b""

    def read_line(self, dl):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            if not self._fill(dl):
                raise PeerClosed("closed in the middle of a line")

    def read_chunked(self, dl, sink=None):
        """Decode a chunked body; returns (body, trailers)."""
        out = bytearray()
        while True:
            line = self.read_line(dl)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                break
            data = self.read_exact(size, dl, sink)
            if sink is None:
                out += data
            crlf = self.read_exact(2, dl)
            if crlf != b"\r\n":
                raise TestFailure("chunk not followed by CRLF: %r" % crlf)
        trailers = []
        while True:
            line = self.read_line(dl)
            if not line:
                break
            n, _, v = line.decode("latin-1").partition(":")
            trailers.append((n, v.strip()))
        return bytes(out), trailers

    def read_to_close(self, dl, sink=None):
        out = bytearray()
        while True:
            if self.buf:
                if sink is None:
                    out += self.buf
                else:
                    sink(bytes(self.buf))
                self.buf.clear()
            if not self._fill(dl, 1 << 20):
                return bytes(out)


def parse_head(head, is_request):
    """Parse a message head (bytes ending in CRLFCRLF) into a Response."""
    r = Response()
    r.raw_head = head
    lines = head[:-4].split(b"\r\n")
    first = lines[0].decode("latin-1")
    if is_request:
        parts = first.split(" ")
        if len(parts) != 3:
            raise TestFailure("bad request line %r" % first)
        r.method, r.target, r.version = parts
    else:
        parts = first.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise TestFailure("bad status line %r" % first)
        r.version, r.status = parts[0], int(parts[1])
        r.reason = parts[2] if len(parts) > 2 else ""
    for ln in lines[1:]:
        s = ln.decode("latin-1")
        n, sep, v = s.partition(":")
        if not sep:
            raise TestFailure("header line without colon: %r" % s)
        r.headers.append((n, v.strip(" \t")))
    return r


def read_message(reader, dl, is_request, method="GET", sink=None):
    """Read one complete message (head and body) from <reader>. For
    responses, <method> is the request's (HEAD has no body); 1xx responses
    are returned as they are (the caller loops)."""
    r = parse_head(reader.read_head(dl), is_request)
    te = r.tokens("transfer-encoding")
    cl = r.header("content-length")
    if not is_request and (method == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200):
        return r
    if te and te[-1] == "chunked":
        r.chunked = True
        counted = [0]

        def csink(p):
            counted[0] += len(p)
            sink(p)
        r.body, r.trailers = reader.read_chunked(dl, csink if sink else None)
        r.body_len = counted[0] if sink else len(r.body)
    elif cl is not None:
        n = int(cl)
        r.body = reader.read_exact(n, dl, sink)
        r.body_len = n
    elif is_request:
        r.body = b""
    else:
        counted = [0]

        def csink2(p):
            counted[0] += len(p)
            sink(p)
        r.body = reader.read_to_close(dl, csink2 if sink else None)
        r.body_len = counted[0] if sink else len(r.body)
    return r


def build_request(method="GET", target="/", headers=None, body=b"", host="test.local",
                  version="HTTP/1.1", content_length=True):
    """Bytes of a request. <headers> is a list of (name, value) or a dict;
    Host comes first unless host is None; Content-Length is added for a
    non-empty body unless headers already frame it or content_length=False."""
    hl = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = [n.lower() for n, _ in hl]
    out = "%s %s %s\r\n" % (method, target, version)
    if host is not None and "host" not in names:
        out += "Host: %s\r\n" % host
    for n, v in hl:
        out += "%s: %s\r\n" % (n, v)
    if body and content_length and "content-length" not in names and "transfer-encoding" not in names:
        out += "Content-Length: %d\r\n" % len(body)
    return out.encode("latin-1") + b"\r\n" + (body if isinstance(body, bytes) else body.encode())


def chunked(body, sizes=(7, 100, 1, 4096)):
    """Chunked encoding of <body> with varying chunk sizes (cycled)."""
    out, i, k = bytearray(), 0, 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        k += 1
        piece = body[i:i + n]
        i += len(piece)
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out)


# -------------------------------------------------------------- client ----

class Client:
    """One client TCP connection that sends exact bytes and reads responses."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader(self.sock)
        self.timeout = timeout

    def send(self, data):
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def response(self, method="GET", timeout=None, sink=None, keep_1xx=False):
        """Read the next response. 1xx interim responses are collected in
        .interim unless keep_1xx (then a 1xx is returned by itself)."""
        dl = Deadline(timeout or self.timeout)
        interim = []
        while True:
            r = read_message(self.reader, dl, False, method, sink)
            if 100 <= r.status < 200 and r.status != 101 and not keep_1xx:
                interim.append(r)
                continue
            r.interim = interim
            return r

    def request(self, method="GET", target="/", headers=None, body=b"", timeout=None, **kw):
        self.send(build_request(method, target, headers, body, **kw))
        return self.response(method, timeout)

    def get(self, target="/", headers=None, timeout=None):
        return self.request("GET", target, headers, timeout=timeout)

    def closed(self, timeout=2.0):
        """True if the peer closes (EOF or reset) within <timeout> with no
        further data; False if data arrives or it stays open."""
        if self.reader.buf:
            return False
        dl = Deadline(timeout)
        try:
            return not self.reader._fill(dl)
        except TestFailure:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def reset(self):
        """Close with RST (SO_LINGER 0), like a client that vanishes."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()


def http(port, method="GET", target="/", headers=None, body=b"", timeout=5.0, **kw):
    """One request on a new connection; returns the Response."""
    c = Client(port, timeout=timeout)
    try:
        return c.request(method, target, headers, body, **kw)
    finally:
        c.close()


def send_raw(port, data, timeout=5.0, method="GET"):
    """Send exact bytes on a new connection and read one response. Returns
    (response, closed_after) where closed_after says whether the proxy closed
    the connection right after the response."""
    c = Client(port, timeout=timeout)
    try:
        c.send(data)
        r = c.response(method)
        return r, c.closed(2.0)
    finally:
        c.close()


# --------------------------------------------------------- raw servers ----

class RawServer:
    """A small threaded TCP server for backend behaviours tandem-app cannot
    produce. <handler>(conn, reader, server) runs in its own thread per
    accepted connection; the socket is closed when it returns. `accepts`
    counts connections; `requests` collects whatever handlers record; `event`
    lets handlers signal the test."""

    def __init__(self, handler):
        self.handler = handler
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.accepts = 0
        self.requests = []
        self.lock = threading.Lock()
        self.event = threading.Event()
        self.stopping = threading.Event()
        self.conns = []
        self.errors = []
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self.stopping.is_set():
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            with self.lock:
                self.accepts += 1
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self.handler(c, Reader(c), self)
        except (PeerClosed, OSError, TestFailure):
            pass
        except Exception as e:  # a bug in the handler: keep it for the report
            self.errors.append(repr(e))
        finally:
            try:
                c.close()
            except OSError:
                pass

    def record(self, req):
        with self.lock:
            self.requests.append(req)

    def read_request(self, reader, timeout=10.0):
        """Read one request (head and body); None when the peer closed
        cleanly between requests."""
        if not reader.buf and not reader._fill(Deadline(timeout)):
            return None
        return read_message(reader, Deadline(timeout), True)

    def stop(self):
        self.stopping.set()
        try:
            self.ls.close()
        except OSError:
            pass
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def response_bytes(status=200, reason="OK", headers=None, body=b"", content_length=True):
    """Bytes of a response; Content-Length added unless headers frame it."""
    hl = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = [n.lower() for n, _ in hl]
    out = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for n, v in hl:
        out += "%s: %s\r\n" % (n, v)
    if content_length and "content-length" not in names and "transfer-encoding" not in names:
        out += "Content-Length: %d\r\n" % len(body)
    return out.encode("latin-1") + b"\r\n" + body


def serve_keepalive(respond):
    """Handler factory: a keep-alive HTTP/1.1 server that records each
    request and answers with respond(request) -> bytes (or None to close)."""
    def handler(conn, reader, srv):
        while True:
            req = srv.read_request(reader)
            if req is None:
                return
            srv.record(req)
            out = respond(req)
            if out is None:
                return
            conn.sendall(out)
            if req.header("connection", "").lower() == "close":
                return
    return handler


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
        p = Proc(name, argv, self.tmpdir, env)
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

    def cleanup(self, failed):
        """Stop everything; returns a text with debugging hints if failed."""
        report = []
        for s in self.servers:
            s.stop()
            if s.errors:
                report.append("raw server handler errors: %s" % s.errors[:3])
        for p in reversed(self.procs):
            rc, killed = p.stop(3.0)
            if killed and p.name.startswith("proxy"):
                report.append("%s ignored SIGTERM for 3s and was killed" % p.name)
        if failed:
            report.append("logs kept in " + self.tmpdir)
        else:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        return report


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
