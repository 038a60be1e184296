"""HTTP/1.1 on raw sockets for the black-box tests: exact bytes out,
deadline-bounded reads in, a small parser for heads and bodies (Content-Length,
chunked, until-close, bodiless statuses), a client connection and threaded
raw servers for backend behaviours a real server cannot produce.
Python 3 standard library only; harness.py re-exports everything here."""
import socket
import struct
import threading
import time


class TestFailure(AssertionError):
    """A test's expectation did not hold; the message says which."""


class Deadline:
    """A point in monotonic time; left() is never negative."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.end - time.monotonic())

    def expired(self):
        return time.monotonic() >= self.end


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
        self.total = 0   # bytes received so far, for messages

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
            raise TestFailure("read timed out (%d bytes received on this connection; unparsed: %r)"
                              % (self.total, bytes(self.buf[:200])))
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        self.total += len(d)
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
    if not is_request and (method == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200 or
                           (method == "CONNECT" and 200 <= r.status < 300)):
        return r  # no body (a 2xx to CONNECT starts a tunnel: RFC 9110 9.3.6)
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
