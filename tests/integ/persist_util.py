"""Helpers of the persistence tests (test_cookie, test_stick, test_hash):
requests from a chosen 127.0.0.x source address, recording backends, the
runtime API, and a proxy that can be reloaded with its stick tables kept.

HAProxy keeps its stick tables over a reload only through a `peers`
section naming the local peer (the old process pushes them to the new
one) and only in master-worker mode (-W); tandem keeps them in memory its
master shares with its workers, with nothing to configure. reloadable()
gives each what it needs, so the same test checks the same behaviour."""
import os
import re
import signal
import socket

from harness import (HAPROXY, Deadline, Reader, build_request, check, free_port, is_haproxy, poll_until,
                     proc_tree, read_message, response_bytes, serve_keepalive, wait_port)
from test_admin import cli  # noqa: F401 (re-exported)


def get_from(port, src, target="/", headers=None, method="GET", body=b"", timeout=5.0):
    """One request on a new connection whose source address is <src>
    (127.0.0.x: the whole 127/8 is local). Returns the Response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0))
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(build_request(method, target, headers, body))
        return read_message(Reader(s), Deadline(timeout), False, method)
    finally:
        s.close()


def status_from(port, src, target="/", headers=None):
    """The status of one request from <src> (0 when the connection was
    closed without an answer)."""
    try:
        return get_from(port, src, target, headers).status
    except Exception:   # closed, reset: no answer
        return 0


def mirror(ctx, name, headers=None, status=200):
    """A keep-alive backend answering with <status>, `X-Node: <name>`,
    extra <headers> (a list, or a function of the request giving one) and,
    as its body, the request head it received. Its .requests keeps them."""
    def respond(req):
        h = headers(req) if callable(headers) else list(headers or [])
        return response_bytes(status, "OK", [("X-Node", name)] + h, req.raw_head)
    srv = ctx.raw_server(serve_keepalive(respond))
    srv.name = name
    return srv


def wait_sock(sock):
    """The stats socket answers (the master creates it just after the
    listeners: a bound port does not mean it is there yet)."""
    def answers():
        try:
            return cli(sock, "show info") is not None
        except OSError:
            return False
    poll_until(answers, 10, "the stats socket %s" % sock)


def node(r):
    return r.header("x-node")


def req_header(r, name):
    """The value of header <name> in the request a mirror backend got (None)."""
    for line in r.body.decode("latin-1").split("\r\n")[1:]:
        n, sep, v = line.partition(":")
        if sep and n.strip().lower() == name.lower():
            return v.strip()
    return None


def set_cookie(r, name):
    """The Set-Cookie value for cookie <name> in response <r> (None)."""
    for v in r.headers_all("set-cookie"):
        if v.split("=", 1)[0].strip() == name:
            return v
    return None


class Reloadable:
    """A proxy started so that SIGUSR2 reloads it with its tables kept."""

    def __init__(self, ctx, proc, port, sock):
        self.ctx, self.proc, self.port, self.sock = ctx, proc, port, sock
        self.pid = proc.pid

    def workers(self):
        return [p for p in proc_tree(self.pid) if p != self.pid]

    def reload(self):
        before = self.workers()
        os.kill(self.pid, signal.SIGUSR2)
        poll_until(lambda: [p for p in self.workers() if p not in before], 10, "a new worker after the reload")
        # the new worker answers on the socket (the old one may still finish)
        poll_until(lambda: cli(self.sock, "show table").startswith("# table"), 10, "the new worker's stats socket")

    def logs(self):
        return self.proc.output()


def reloadable(ctx, cfg, tables_line_marker="@PEERS@"):
    """Start the proxy on <cfg> so it can be reloaded with its stick tables.
    <cfg> writes `@PEERS@` where a stick-table line may name a peers
    section: HAProxy gets one with only the local peer (what it needs to
    hand tables to its next process), tandem nothing. The config must have
    a `stats socket @SOCK@` line. Returns a Reloadable."""
    sock = ctx.path("admin.sock")
    port = int(cfg.split("bind 127.0.0.1:")[1].split()[0])
    if is_haproxy():
        pport = free_port()
        peers = "peers local\n    peer %s 127.0.0.1:%d\n" % (socket.gethostname(), pport)
        # (the stats socket hands the listeners over: the local peer's too)
        text = cfg.replace(tables_line_marker, "peers local").replace("@SOCK@ level admin",
                                                                      "@SOCK@ level admin expose-fd listeners")
        text = text.replace("@SOCK@", sock) + "\n" + peers
        path = ctx.write("proxy.cfg", text)
        p = ctx.spawn("proxy", [HAPROXY, "-W", "-db", "-f", path])
    else:
        text = cfg.replace(tables_line_marker, "").replace("@SOCK@", sock)
        path = ctx.write("proxy.cfg", text)
        p = ctx.spawn("proxy", ctx.proxy_argv(path))
    wait_port(port, 10, p)
    wait_sock(sock)
    r = Reloadable(ctx, p, port, sock)
    check(r.workers(), "a worker runs")
    if is_haproxy():
        # a new HAProxy process waits (5 s) for an older one to teach it
        # its tables, and only a process that considers itself up to date
        # teaches the next one: wait for that (both resync bits)
        def synced():
            m = re.search(r"id=local .*flags=0x([0-9a-f]+)", cli(sock, "show peers"))
            return m and int(m.group(1), 16) & 3 == 3
        poll_until(synced, 15, "HAProxy's peers considering their tables up to date")
    return r


# XXH64, to check dynamic cookies against what HAProxy documents (the hash
# of the key, the server's address and port).
_P1, _P2, _P3, _P4, _P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                           9650029242287828579, 2870177450012600261)
_M = (1 << 64) - 1


def _rotl(v, r):
    return ((v << r) | (v >> (64 - r))) & _M


def _round(acc, v):
    acc = (acc + v * _P2) & _M
    return (_rotl(acc, 31) * _P1) & _M


def xxh64(data, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed, (seed - _P1) & _M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], int.from_bytes(data[i + 8 * k:i + 8 * k + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for k in range(4):
            h = ((h ^ _round(0, v[k])) * _P1 + _P4) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while i + 8 <= n:
        h ^= _round(0, int.from_bytes(data[i:i + 8], "little"))
        h = (_rotl(h, 27) * _P1 + _P4) & _M
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i:i + 4], "little") * _P1) & _M
        h = (_rotl(h, 23) * _P2 + _P3) & _M
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _M
        h = (_rotl(h, 11) * _P1) & _M
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M
    h ^= h >> 29
    h = (h * _P3) & _M
    h ^= h >> 32
    return h
