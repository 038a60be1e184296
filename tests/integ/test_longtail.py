"""The everyday haproxy.cfg long tail (issue 18), black-box, each keyword by
its effect: the configuration language (${VAR} in addresses, .if/.elif/
.else/.endif, .notice/.warning/.alert), the process (no listener, log
targets, SIGINT, cpu-map, strict-limits, tune.*, expose-fd, -x), addresses
(servers without a port, +N offsets, bind port ranges, dispatch, source),
the PROXY protocol (accept-proxy v1 and v2 with curl and by hand, send-proxy
and send-proxy-v2 into a real nginx, failures logged and counted),
on-marked-down shutdown-sessions and on-marked-up shutdown-backup-sessions,
maxqueue, option splice-*, and the stats CSV's scope=. Every test runs
against Debian's HAProxy too (PROXY=haproxy) unless marked."""
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import zlib

from harness import (BIN_DIR, HAPROXY, PROXY, Client, Deadline, TestFailure, check, config, eq, free_port,
                     haproxy_differs, http, is_haproxy, poll_until, port_accepts, response_bytes,
                     serve_keepalive, tandem_only, timeout, wait_port)

TO = "    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"


# ------------------------------------------------------------ helpers ----

def _start(ctx, cfg, env=None, name="proxy", ports=None):
    """Start the proxy on <cfg> with extra environment <env>; wait for
    <ports> (default: every `bind 127.0.0.1:PORT`)."""
    path = ctx.write(name + ".cfg", cfg)
    p = ctx.spawn(name, ctx.proxy_argv(path), env=env)
    for port in ports if ports is not None else [int(x) for x in re.findall(r"bind 127\.0\.0\.1:(\d+)", cfg)]:
        wait_port(port, 10, p)
    return p


def _wait_out(p, pattern, seconds=5, since=0):
    rx = re.compile(pattern)
    try:
        return poll_until(lambda: rx.search(p.output()[since:]), seconds, pattern)
    except TestFailure:
        raise TestFailure("no %r in the proxy's output:\n%s" % (pattern, p.output()[-3000:]))


class PeerServer:
    """A TCP server on <host> recording, per connection, the peer address and
    the first bytes received; answers HTTP 200 with its name as the body."""

    def __init__(self, host="127.0.0.1", port=0, name="srv", http=True):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((host, port))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.name, self.http = name, http
        self.peers, self.firsts = [], []
        self.lock = threading.Lock()
        self.stopping = False
        self.errors = []
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.stopping:
            try:
                c, a = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c, a), daemon=True).start()

    def _serve(self, c, a):
        data = b""
        c.settimeout(5)
        try:
            while self.http and b"\r\n\r\n" not in data:
                x = c.recv(65536)
                if not x:
                    break
                data += x
            if not self.http:
                # what arrives until a short pause: a PROXY header and the
                # bytes after it may come in separate segments
                data = c.recv(65536)
                c.settimeout(0.3)
                try:
                    while data:
                        x = c.recv(65536)
                        if not x:
                            break
                        data += x
                except socket.timeout:
                    pass
                c.settimeout(5)
            with self.lock:
                self.peers.append(a)
                self.firsts.append(data)
            if self.http:
                body = self.name.encode()
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            else:
                c.sendall(data)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        try:   # wakes the accepting thread: the port refuses at once
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()


def _peer(ctx, **kw):
    s = PeerServer(**kw)
    ctx.servers.append(s)
    return s


def _raw_get(port, host="127.0.0.1", prefix=b"", path="/", timeout=5):
    """GET with <prefix> bytes sent first (a PROXY header); the response
    bytes until close ("" when closed without an answer)."""
    c = socket.create_connection((host, port), timeout=timeout)
    try:
        c.sendall(prefix + b"GET " + path.encode() + b" HTTP/1.0\r\nHost: x\r\n\r\n")
        out = b""
        while True:
            try:
                x = c.recv(65536)
            except ConnectionResetError:
                break
            if not x:
                break
            out += x
        return out
    finally:
        c.close()


def _csv(port, path="/stats;csv"):
    r = http(port, "GET", path)
    eq(r.status, 200, "stats CSV status")
    lines = r.body.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    return [dict(zip(head, l.split(","))) for l in lines[1:] if l]


def _free_ports(n):
    """<n> consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        base = free_port()
        if base + n > 65535:
            continue
        if all(not port_accepts(base + i) for i in range(n)):
            socks = []
            try:
                for i in range(n):
                    s = socket.socket()
                    s.bind(("127.0.0.1", base + i))
                    socks.append(s)
            except OSError:
                continue
            finally:
                for s in socks:
                    s.close()
            return base
    raise TestFailure("no %d consecutive free ports" % n)


# ------------------------------------------------- configuration language ----

def test_env_vars_in_addresses(ctx):
    """${VAR} in an unquoted server address and "${VAR-default}" in a bind
    expand as HAProxy's str2sa_range does."""
    app = ctx.app("A")
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind \"${LT_BIND_ADDR-127.0.0.1}:%d\"\n    default_backend be\n"
           "backend be\n    server s1 ${LT_SRV_ADDR}:${LT_SRV_PORT}\n" % fe)
    p = _start(ctx, cfg, env={"LT_SRV_ADDR": "127.0.0.1", "LT_SRV_PORT": str(app.port)}, ports=[fe])
    r = http(fe, "GET", "/")
    eq(r.status, 200, "status through a server written with ${VAR}")
    check(b"A" in r.body, "the answer comes from app A: %r" % r.body[:80])
    p.signal(signal.SIGTERM)


def test_conditional_blocks(ctx):
    """.if/.elif/.else/.endif with defined(), streq(), version_atleast(),
    version_before(), feature(), && || !; .notice/.warning print HAProxy's
    lines; the branch taken decides which server answers."""
    a, b = ctx.app("A"), ctx.app("B")
    fe = free_port()
    cfg = ("global\n    nbthread 1\n"
           ".if defined(LT_UNSET_VAR_X)\n    .alert \"must not be taken\"\n"
           ".elif streq(\"$LT_COLOR\",blue) && version_atleast(2.4) && !version_before(2.5) && feature(EPOLL)\n"
           "    .notice \"blue branch\"\n"
           ".else\n    .alert \"else taken\"\n.endif\n"
           ".if 0 || (1 && !0)\n    .warning \"nested logic\"\n.endif\n"
           "defaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
           "backend be\n"
           ".if streq(\"${LT_COLOR}\",blue)\n    server s1 127.0.0.1:%d\n.else\n    server s1 127.0.0.1:%d\n.endif\n"
           % (fe, b.port, a.port))
    p = _start(ctx, cfg, env={"LT_COLOR": "blue"})
    eq(http(fe, "GET", "/").body.strip()[-1:], b"B", "server of the branch taken")
    _wait_out(p, r"parsing \[[^]]*:6\] ?: 'blue branch'\.")
    _wait_out(p, r"WARNING.*parsing \[[^]]*:11\] ?: 'nested logic'\.")
    # an .alert is fatal, with its line
    rc, out, _ = ctx.check_config("global\n.if 1\n    .alert \"stop here\"\n.endif\n" + cfg.split("\n", 1)[1],
                                  name="alert")
    eq(rc, 1, "exit status of a config with .alert")
    check(re.search(r"ALERT.*parsing \[[^]]*:3\] ?: 'stop here'\.", out), "alert line: %s" % out[-600:])
    # an unterminated block is an error
    rc, out, _ = ctx.check_config("global\n.if 1\n", name="unterminated")
    eq(rc, 1, "exit status of an unterminated .if")
    check("non-terminated '.if' block" in out, "message: %s" % out[-400:])


def test_no_listener(ctx):
    """Nothing to listen on: -c says so and exits 2; starting exits 1 with
    HAProxy's alert."""
    cfg = "global\n    nbthread 1\ndefaults\n    mode http\n" + TO + "backend be\n    server s1 127.0.0.1:9\n"
    rc, out, path = ctx.check_config(cfg)
    eq(rc, 2, "exit status of -c")
    check("Configuration file has no error but will not start (no listener) => exit(2)." in out, "message: %s" % out)
    p = ctx.spawn("nolistener", ctx.proxy_argv(path))
    rc = p.wait(10)
    eq(rc, 1, "exit status when started")
    check(re.search(r"No enabled listener found \(check for 'bind' directives\) ! Exiting\.", p.output()),
          "alert: %s" % p.output()[-500:])


def test_log_format_without_target(ctx):
    """option httplog (or tcplog) with no log target: HAProxy's warning."""
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    option httplog\n    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:9\n" % free_port())
    rc, out, _ = ctx.check_config(cfg)
    eq(rc, 0, "exit status")
    check("log format ignored for frontend 'fe' since it has no log address." in out, "warning: %s" % out)


def test_sigint_exit_130(ctx):
    """The master exits 130 after SIGINT, as HAProxy's does."""
    px = ctx.proxy(config(free_port(), [("s1", 9)], global_extra="master-worker"))
    _wait_out(px.proc, r"Loading success")

    def handles_sigint():
        # HAProxy's master catches SIGINT once its loop runs (/proc SigCgt);
        # tandem's blocks it before forking, then waits for it (sigwaitinfo
        # hides the block from /proc): ready with "Loading success"
        if not is_haproxy():
            return True
        with open("/proc/%d/status" % px.pid) as f:
            st = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
        return int(st["SigCgt"], 16) & (1 << (signal.SIGINT - 1))
    poll_until(handles_sigint, 5, "the master to handle SIGINT")
    px.proc.signal(signal.SIGINT)
    eq(px.proc.wait(5), 130, "exit status after SIGINT")


def test_process_keywords(ctx):
    """cpu-map binds the worker's threads (read back from /proc),
    strict-limits, tune.idle-pool.shared off, tune.maxaccept,
    tune.maxpollevents, tune.rcvbuf/sndbuf and `stats socket ... expose-fd
    listeners` load; `-x` is accepted on the command line."""
    ncpu = os.cpu_count() or 1
    fe = free_port()
    sock = ctx.path("admin.sock")
    cfg = ("global\n    master-worker\n    nbthread 1\n    cpu-map 1/all 0\n    strict-limits\n    tune.idle-pool.shared off\n"
           "    tune.maxaccept 8\n    tune.maxpollevents 50\n    tune.rcvbuf.client 65536\n"
           "    tune.sndbuf.server 65536\n    stats socket %s mode 600 level admin expose-fd listeners\n"
           "defaults\n    mode http\n" % sock + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\nbackend be\n    server s1 127.0.0.1:9\n" % fe)
    path = ctx.write("proc.cfg", cfg)
    # -x: HAProxy's new process fetches the sockets of a running one over it
    # (there is none here); tandem accepts it and has nothing to fetch
    argv = ctx.proxy_argv(path) + ([] if is_haproxy() else ["-x", sock])
    p = ctx.spawn("proxy", argv)
    wait_port(fe, 10, p)
    if ncpu > 1:
        # the worker's threads: Cpus_allowed_list of its tasks
        def bound():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        if int(pid) != p.pid and int(f.read().rsplit(")", 1)[1].split()[1]) != p.pid:
                            continue
                    for tid in os.listdir("/proc/%s/task" % pid):
                        with open("/proc/%s/task/%s/status" % (pid, tid)) as f:
                            if "Cpus_allowed_list:\t0\n" in f.read():
                                return True
                except OSError:
                    continue
            return False
        poll_until(bound, 5, "a worker thread bound to CPU 0")
    eq(http(fe, "GET", "/").status, 503, "serves (its server is down)")


def test_refused_tune_and_shared_pools(ctx):
    """tune.* with no object in tandem are errors with a reason; 'on' for
    shared idle pools needs one thread."""
    tandem_only("tandem's refusals")
    for line, want in (("tune.h2.max-concurrent-streams 100", "tandem has no HTTP/2"),
                       ("tune.comp.maxlevel 5", "tandem has no compression"),
                       ("nbthread 2\n    tune.idle-pool.shared on", "tandem keeps idle server connections per thread")):
        rc, out, _ = ctx.check_config("global\n    %s\nfrontend f\n    bind 127.0.0.1:%d\n" % (line, free_port()))
        eq(rc, 1, "exit status for %r" % line)
        check(want in out, "%r: %s" % (line, out[-400:]))


# ---------------------------------------------------------- addresses ----

def test_bind_port_range(ctx):
    """bind ADDR:LOW-HIGH listens on every port of the range."""
    base = _free_ports(3)
    app = ctx.app("A")
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d-%d\n    default_backend be\nbackend be\n    server s1 127.0.0.1:%d\n"
           % (base, base + 2, app.port))
    _start(ctx, cfg, ports=[base, base + 1, base + 2])
    for port in (base, base + 1, base + 2):
        eq(http(port, "GET", "/").status, 200, "through port %d" % port)


def test_server_without_port_and_offset(ctx):
    """A server written without a port gets the port the client connected
    to; "+1" that port plus one (HAProxy's mapped ports)."""
    base = _free_ports(3)
    same = _peer(ctx, host="127.0.0.2", port=base, name="same")
    plus = _peer(ctx, host="127.0.0.2", port=base + 2, name="plus")
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend a\n    bind 127.0.0.1:%d\n    default_backend noport\n"
           "frontend b\n    bind 127.0.0.1:%d\n    default_backend offset\n"
           "backend noport\n    server s1 127.0.0.2\n"
           "backend offset\n    server s1 127.0.0.2:+1\n" % (base, base + 1))
    _start(ctx, cfg)
    eq(http(base, "GET", "/").body, b"same", "no port: the client's port")
    eq(http(base + 1, "GET", "/").body, b"plus", "+1: the client's port plus one")
    check(same.peers and plus.peers, "both servers reached")


def test_dispatch(ctx):
    """A backend without servers and without balance sends to `dispatch`."""
    app = ctx.app("A")
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\nbackend be\n    dispatch 127.0.0.1:%d\n"
           % (fe, app.port))
    _start(ctx, cfg)
    r = http(fe, "GET", "/")
    eq(r.status, 200, "status through dispatch")
    check(b"A" in r.body, "answer from the dispatch address: %r" % r.body[:80])


def test_source_address(ctx):
    """`source` on a backend and on a server: connections leave from that
    address (and port range)."""
    srv = _peer(ctx, name="s")
    fe1, fe2 = free_port(), free_port()
    lo = _free_ports(4)
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend f1\n    bind 127.0.0.1:%d\n    default_backend b1\n"
           "frontend f2\n    bind 127.0.0.1:%d\n    default_backend b2\n"
           "backend b1\n    source 127.0.0.3\n    server s1 127.0.0.1:%d\n"
           "backend b2\n    source 127.0.0.3\n    server s1 127.0.0.1:%d source 127.0.0.4:%d-%d\n"
           % (fe1, fe2, srv.port, srv.port, lo, lo + 3))
    _start(ctx, cfg)
    eq(http(fe1, "GET", "/").status, 200, "through b1")
    eq(srv.peers[-1][0], "127.0.0.3", "source address of the backend")
    for _ in range(3):
        eq(http(fe2, "GET", "/").status, 200, "through b2")
        eq(srv.peers[-1][0], "127.0.0.4", "the server's own source wins")
        check(lo <= srv.peers[-1][1] <= lo + 3, "source port %d in %d-%d" % (srv.peers[-1][1], lo, lo + 3))
    if not is_haproxy():
        rc, out, _ = ctx.check_config(cfg.replace("source 127.0.0.3\n", "source 127.0.0.3 usesrc clientip\n", 1))
        eq(rc, 1, "usesrc refused")
        check("usesrc" in out and "not supported" in out, "why: %s" % out[-300:])


# ----------------------------------------------------- PROXY protocol ----

def _pp2(src, sport, dst, dport, tlvs=b"", crc=False, local=False):
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    if local:
        body, cmdfam = b"", b"\x20\x00"
    else:
        cmdfam = b"\x21\x11"
    if crc:
        tlvs += b"\x03\x00\x04\x00\x00\x00\x00"
    hdr = b"\r\n\r\n\x00\r\nQUIT\n" + cmdfam + struct.pack("!H", len(body) + len(tlvs)) + body + tlvs
    if crc:
        c = _crc32c(hdr)
        hdr = hdr[:-4] + struct.pack("!I", c)
    return hdr


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _pp_proxy(ctx, backend_line, mode="http", extra_fe="", extra=""):
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode %s\n" % mode + TO +
           "frontend fe\n    bind 127.0.0.1:%d accept-proxy\n    option %slog\n    log stderr local0\n%s"
           "    default_backend be\nbackend be\n    %s\n%s" % (fe, "http" if mode == "http" else "tcp", extra_fe,
                                                             backend_line, extra))
    return fe, _start(ctx, cfg)


def test_accept_proxy_curl_and_logs(ctx):
    """curl --haproxy-protocol (v1) through accept-proxy: the log line and
    X-Forwarded-For show the PROXY source."""
    srv = _peer(ctx, name="s")
    fe, p = _pp_proxy(ctx, "option forwardfor\n    server s1 127.0.0.1:%d" % srv.port)
    out = subprocess.run(["curl", "-s", "--haproxy-protocol", "http://127.0.0.1:%d/pp" % fe],
                         capture_output=True, timeout=10)
    eq(out.stdout, b"s", "answer through accept-proxy")
    # curl's header carries its own address: as seen, logged
    _wait_out(p, r"127\.0\.0\.1:\d+ \[[^]]+\] fe be/s1 .* 200 .*\"GET /pp HTTP/1\.1\"")
    # by hand, a v1 header with another source
    r = _raw_get(fe, prefix=b"PROXY TCP4 192.0.2.7 198.51.100.9 40001 8080\r\n", path="/v1")
    check(r.startswith(b"HTTP/1.1 200"), "v1 answer: %r" % r[:60])
    check(b"x-forwarded-for: 192.0.2.7" in srv.firsts[-1].lower(), "XFF of the v1 source: %r" % srv.firsts[-1][:300])
    _wait_out(p, r"192\.0\.2\.7:40001 \[[^]]+\] fe be/s1 .*\"GET /v1 HTTP/1\.0\"")


def test_accept_proxy_v2_tlvs_crc(ctx):
    """A v2 header (with a CRC32C TLV) is honoured; a bad CRC is refused."""
    srv = _peer(ctx, name="s")
    fe, p = _pp_proxy(ctx, "option forwardfor\n    server s1 127.0.0.1:%d" % srv.port)
    r = _raw_get(fe, prefix=_pp2("203.0.113.5", 5555, "10.0.0.1", 80, tlvs=b"\x02\x00\x05a.com", crc=True),
                 path="/v2")
    check(r.startswith(b"HTTP/1.1 200"), "v2 answer: %r" % r[:60])
    check(b"x-forwarded-for: 203.0.113.5" in srv.firsts[-1].lower(), "XFF of the v2 source")
    bad = bytearray(_pp2("203.0.113.5", 5555, "10.0.0.1", 80, crc=True))
    bad[-1] ^= 0xff
    r = _raw_get(fe, prefix=bytes(bad), path="/bad")
    eq(r, b"", "a bad CRC closes the connection without an answer")
    # LOCAL: the connection's own addresses
    r = _raw_get(fe, prefix=_pp2("0.0.0.0", 0, "0.0.0.0", 0, local=True), path="/local")
    check(r.startswith(b"HTTP/1.1 200"), "LOCAL answer: %r" % r[:60])
    check(b"x-forwarded-for: 127.0.0.1" in srv.firsts[-1].lower(), "XFF of a LOCAL header: the real client")


def test_accept_proxy_failures(ctx):
    """No header, a malformed one, or none in time (timeout client): the
    connection is closed, logged with HAProxy's words, counted (tandem:
    ereq of the frontend)."""
    srv = _peer(ctx, name="s")
    sp = free_port()
    fe, p = _pp_proxy(ctx, "server s1 127.0.0.1:%d" % srv.port, extra_fe="    timeout client 300ms\n",
                      extra="listen stats\n    mode http\n    bind 127.0.0.1:%d\n    stats enable\n"
                            "    stats uri /stats\n" % sp)
    eq(_raw_get(fe, path="/none"), b"", "plain request refused")
    _wait_out(p, r"127\.0\.0\.1:\d+ \[[^]]+\] fe/[^:]+: Received something which does not look like a PROXY protocol header")
    eq(_raw_get(fe, prefix=b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), b"", "malformed v1 refused")
    _wait_out(p, r"fe/[^:]+: Received an invalid PROXY protocol header")
    c = socket.create_connection(("127.0.0.1", fe), timeout=5)
    t0 = time.monotonic()   # a header that never comes
    try:
        closed = c.recv(10) == b""
    except ConnectionResetError:   # HAProxy resets it
        closed = True
    check(closed, "a late header: closed")
    check(time.monotonic() - t0 < 3, "closed within about timeout client")
    c.close()
    _wait_out(p, r"fe/[^:]+: Timeout while waiting for PROXY protocol header")
    eq(len(srv.peers), 0, "nothing reached the server")
    if not is_haproxy():   # HAProxy counts them nowhere
        rows = {(r["pxname"], r["svname"]): r for r in _csv(sp)}
        eq(rows[("fe", "FRONTEND")]["ereq"], "3", "refused PROXY headers counted as request errors")


def test_proxy_protocol_and_tls(ctx):
    """The PROXY header comes before TLS on both sides: curl
    --haproxy-protocol to an `ssl accept-proxy` bind (the log shows curl's
    address), and `ssl send-proxy-v2 proxy-v2-options authority` towards nginx
    `listen ... ssl proxy_protocol` (nginx sees the client's address; the
    authority TLV is the client's SNI)."""
    from tlsutil import Pki
    pki = Pki(ctx)
    pem = pki.cert("fe", "fe.test", ["fe.test"])
    npem = pki.cert("ng", "b.test", ["b.test"])
    np = free_port()
    ctx.nginx(" server {\n  listen 127.0.0.1:%d ssl proxy_protocol;\n  ssl_certificate %s;\n"
              "  ssl_certificate_key %s;\n"
              "  location / { return 200 \"pp=$proxy_protocol_addr sni=$ssl_server_name\\n\"; }\n }\n"
              % (np, npem[:-4] + ".crt", npem[:-4] + ".key"))
    raw = _peer(ctx, http=False, name="raw")
    fe, fe2 = free_port(), free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d ssl crt %s accept-proxy\n    option httplog\n    log stderr local0\n"
           "    default_backend be\n"
           "frontend fe2\n    bind 127.0.0.1:%d ssl crt %s\n    default_backend be2\n"
           "backend be\n    server n 127.0.0.1:%d ssl verify none sni str(b.test) send-proxy-v2 "
           "proxy-v2-options authority\n"
           "backend be2\n    server r 127.0.0.1:%d send-proxy-v2 proxy-v2-options authority\n"
           % (fe, pem, fe2, pem, np, raw.port))
    p = _start(ctx, cfg)
    out = subprocess.run(["curl", "-s", "-k", "--haproxy-protocol", "--resolve", "fe.test:%d:127.0.0.1" % fe,
                          "https://fe.test:%d/tls" % fe], capture_output=True, timeout=10)
    eq(out.stdout, b"pp=127.0.0.1 sni=b.test\n", "nginx read the PROXY header, then the TLS handshake")
    _wait_out(p, r"127\.0\.0\.1:\d+ \[[^]]+\] fe~? be/n .* 200 .*\"GET /tls HTTP/1\.1\"")
    # the authority TLV: the SNI the client gave
    subprocess.run(["curl", "-s", "-k", "-m", "3", "--resolve", "fe.test:%d:127.0.0.1" % fe2,
                    "https://fe.test:%d/sni" % fe2], capture_output=True, timeout=10)
    poll_until(lambda: raw.firsts, 5, "the recorder to get the header")
    h = raw.firsts[-1]
    check(h.startswith(b"\r\n\r\n\x00\r\nQUIT\n"), "a v2 header: %r" % h[:16])
    n = struct.unpack("!H", h[14:16])[0]
    hdr, tl, off = h[:16 + n], {}, 28
    while off < len(hdr):
        t, ln = hdr[off], struct.unpack("!H", hdr[off + 1:off + 3])[0]
        tl[t] = hdr[off + 3:off + 3 + ln]
        off += 3 + ln
    eq(tl.get(2), b"fe.test", "AUTHORITY TLV = the client's SNI")


def test_send_proxy_into_nginx(ctx):
    """send-proxy and send-proxy-v2 into nginx (`listen ... proxy_protocol`):
    nginx reports the client's address from the header; the PROXY source
    of a chained accept-proxy frontend is passed on."""
    np1, np2 = free_port(), free_port()
    ngx = ctx.nginx(
        " server {\n  listen 127.0.0.1:%d proxy_protocol;\n  listen 127.0.0.1:%d proxy_protocol;\n"
        "  location / { return 200 \"pp=$proxy_protocol_addr:$proxy_protocol_port\\n\"; }\n }\n" % (np1, np2))
    check(ngx.port == np1, "nginx listens")
    fe1, fe2, fe3 = free_port(), free_port(), free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend f1\n    bind 127.0.0.1:%d\n    default_backend v1\n"
           "frontend f2\n    bind 127.0.0.1:%d\n    default_backend v2\n"
           "frontend f3\n    bind 127.0.0.1:%d accept-proxy\n    default_backend v2\n"
           "backend v1\n    server n 127.0.0.1:%d send-proxy\n"
           "backend v2\n    server n 127.0.0.1:%d send-proxy-v2 proxy-v2-options authority,unique-id,crc32c\n"
           % (fe1, fe2, fe3, np1, np2))
    _start(ctx, cfg)
    c = socket.create_connection(("127.0.0.1", fe1))
    lport = c.getsockname()[1]
    c.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        x = c.recv(4096)
        if not x:
            break
        data += x
    c.close()
    check(data.endswith(b"pp=127.0.0.1:%d\n" % lport), "v1: nginx saw the client: %r" % data[-60:])
    r = http(fe2, "GET", "/")
    check(r.body.startswith(b"pp=127.0.0.1:"), "v2: %r" % r.body)
    r = _raw_get(fe3, prefix=b"PROXY TCP4 192.0.2.44 198.51.100.1 40404 80\r\n")
    check(r.endswith(b"pp=192.0.2.44:40404\n"), "chained: the first header's source goes on: %r" % r[-60:])


def test_send_proxy_v2_bytes(ctx):
    """The v2 header tandem sends: addresses, an AUTHORITY TLV passed on from
    the client's header, an empty UNIQUE_ID, a valid CRC32C."""
    tandem_only("HAProxy sends no authority without TLS SNI: the pass-through is tandem's")
    srv = _peer(ctx, http=False, name="raw")
    fe, p = _pp_proxy(ctx, "server s1 127.0.0.1:%d send-proxy-v2 proxy-v2-options authority,unique-id,crc32c"
                      % srv.port, mode="tcp")
    c = socket.create_connection(("127.0.0.1", fe), timeout=5)
    c.sendall(_pp2("192.0.2.1", 1111, "192.0.2.2", 2222, tlvs=b"\x02\x00\x07example") + b"hello")
    got = b""
    while b"hello" not in got:
        x = c.recv(4096)
        if not x:
            break
        got += x
    c.close()
    h = srv.firsts[-1]
    check(h.startswith(b"\r\n\r\n\x00\r\nQUIT\n\x21\x11"), "v2 PROXY TCP4: %r" % h[:20])
    n = struct.unpack("!H", h[14:16])[0]
    hdr, rest = h[:16 + n], h[16 + n:]
    eq(socket.inet_ntoa(hdr[16:20]), "192.0.2.1", "source")
    eq(struct.unpack("!H", hdr[24:26])[0], 1111, "source port")
    tl, off = {}, 28
    while off < len(hdr):
        t, l = hdr[off], struct.unpack("!H", hdr[off + 1:off + 3])[0]
        tl[t] = hdr[off + 3:off + 3 + l]
        off += 3 + l
    eq(tl.get(2), b"example", "AUTHORITY passed on")
    eq(tl.get(5), b"", "UNIQUE_ID (empty without unique-id-format, as HAProxy)")
    crc = struct.unpack("!I", tl[3])[0]
    zeroed = hdr.replace(tl[3], b"\x00\x00\x00\x00")
    eq(crc, _crc32c(zeroed), "CRC32C over the header")
    eq(rest, b"hello", "the client's bytes follow the header")


# ------------------------------------------ on-marked-down / on-marked-up ----

def _holder(ctx, name):
    """A server that answers nothing: connections to it stay open until it
    is killed (a database pair's long sessions)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    conns = []

    def loop():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            conns.append(c)
    threading.Thread(target=loop, daemon=True).start()
    return s, conns


@timeout(60)
def test_on_marked_down_shutdown_sessions(ctx):
    """mode tcp, a session open on s1; s1's check fails (its check port
    closes): the session is closed at once and logged with 'D'."""
    db, held = _holder(ctx, "db")
    chk = _peer(ctx, name="chk")
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 60s\n"
           "    timeout server 60s\n" +
           "listen pg\n    bind 127.0.0.1:%d\n    option tcplog\n    log stderr local0\n"
           "    server s1 127.0.0.1:%d check port %d inter 200ms fall 1 rise 1 on-marked-down shutdown-sessions%s\n"
           % (fe, db.getsockname()[1], chk.port, "" if is_haproxy() else " init-state up"))
    p = _start(ctx, cfg)
    c = socket.create_connection(("127.0.0.1", fe), timeout=10)
    c.sendall(b"x")
    poll_until(lambda: held, 5, "the session to reach the server")
    t0 = time.monotonic()
    chk.stop()
    c.settimeout(10)
    try:
        gone = c.recv(10) == b""
    except ConnectionResetError:
        gone = True
    check(gone, "the client's session was closed")
    check(time.monotonic() - t0 < 5, "closed within a few checks (%.1fs)" % (time.monotonic() - t0))
    _wait_out(p, r"127\.0\.0\.1:\d+ \[[^]]+\] pg pg/s1 -?\d+/-?\d+/\d+ \d+ D. ")
    c.close()
    db.close()


@timeout(60)
def test_on_marked_up_shutdown_backup_sessions(ctx):
    """While the active server is DOWN a session goes to the backup; when
    the active one comes back UP, the backup's session is closed ('U')."""
    bk, held = _holder(ctx, "bk")
    act = _peer(ctx, name="act")
    act_port = act.port
    act.stop()
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 60s\n"
           "    timeout server 60s\n"
           "listen l\n    bind 127.0.0.1:%d\n    option tcplog\n    log stderr local0\n"
           "    server a 127.0.0.1:%d check inter 200ms fall 1 rise 1 on-marked-up shutdown-backup-sessions\n"
           "    server b 127.0.0.1:%d backup\n" % (fe, act_port, bk.getsockname()[1]))
    p = _start(ctx, cfg)
    _wait_out(p, r"Server l/a is DOWN|Server l/a is UP" if is_haproxy() else r"$")
    c = socket.create_connection(("127.0.0.1", fe), timeout=10)
    c.sendall(b"x")
    poll_until(lambda: held, 10, "the session to reach the backup")
    _peer(ctx, port=act_port, name="act2")
    c.settimeout(10)
    try:
        gone = c.recv(10) == b""
    except ConnectionResetError:
        gone = True
    check(gone, "the backup's session was closed when the active server came UP")
    _wait_out(p, r"\] l l/b -?\d+/-?\d+/\d+ \d+ U. ")
    c.close()
    bk.close()


# ------------------------------------------------------------- queue ----

@timeout(60)
def test_maxqueue_stats_and_queue(ctx):
    """maxqueue is the server's qlimit; requests beyond it still wait in
    the backend's queue (HAProxy's proxy queue, roundrobin) and are served;
    qmax shows how many waited."""
    def slow(req):
        time.sleep(0.4)
        return response_bytes(200, body=b"ok")
    srv = ctx.raw_server(serve_keepalive(slow))
    fe, sp = free_port(), free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO + "    timeout queue 5s\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:%d maxconn 1 maxqueue 1\n"
           "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % (fe, srv.port, sp))
    _start(ctx, cfg)
    res = []

    def one():
        res.append(http(fe, "GET", "/", timeout=10).status)
    th = [threading.Thread(target=one) for _ in range(3)]
    for t in th:
        t.start()
        time.sleep(0.05)
    for t in th:
        t.join()
    eq(sorted(res), [200, 200, 200], "every request served in turn")
    rows = {(r["pxname"], r["svname"]): r for r in _csv(sp)}
    eq(rows[("be", "s1")]["qlimit"], "1", "qlimit is the server's maxqueue")
    check(int(rows[("be", "BACKEND")]["qmax"]) >= 1, "qmax: requests waited in the backend's queue")


# ------------------------------------------------------------ splice ----

def _stream_server(ctx, total):
    """A TCP server that sends <total> bytes of a pattern then closes."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    block = bytes(range(256)) * 256

    def loop():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            left = total
            try:
                c.recv(100)
                while left:
                    n = c.send(block[:min(left, len(block))])
                    left -= n
            except OSError:
                pass
            c.close()
    threading.Thread(target=loop, daemon=True).start()
    return s


def _pipe_fds(pid):
    n = 0
    for p in [pid] + [int(x) for x in os.popen("pgrep -P %d" % pid).read().split()]:
        try:
            for fd in os.listdir("/proc/%d/fd" % p):
                if os.readlink("/proc/%d/fd/%s" % (p, fd)).startswith("pipe:"):
                    n += 1
        except OSError:
            pass
    return n


@timeout(90)
def _tunnel_read(port, pid=None):
    """Connect, say "go", read the pattern until the close: (bytes, intact,
    pipes seen in <pid> meanwhile)."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.sendall(b"go")
    got, seen_pipes, block = 0, 0, bytes(range(256))
    ok = True
    while True:
        x = c.recv(1 << 20)
        if not x:
            break
        if ok and x != (block * ((len(x) + got % 256) // 256 + 2))[got % 256:got % 256 + len(x)]:
            ok = False
        got += len(x)
        if pid and not seen_pipes:
            seen_pipes = _pipe_fds(pid)
    c.close()
    return got, ok, seen_pipes


def test_splice_tunnel_and_body(ctx):
    """option splice-auto: a TCP tunnel and an HTTP body with Content-Length
    arrive intact (tandem: through pipes, which it holds while they run);
    the same tunnel without splice too (copied through the buffers)."""
    total = 32 << 20
    src = _stream_server(ctx, total)
    app = ctx.app("A")
    ft, fh, fc = free_port(), free_port(), free_port()
    cfg = ("global\n    nbthread 1\n    tune.pipesize 262144\ndefaults\n" + TO +
           "listen t\n    mode tcp\n    bind 127.0.0.1:%d\n    option splice-auto\n    server s 127.0.0.1:%d\n"
           "listen h\n    mode http\n    bind 127.0.0.1:%d\n    option splice-response\n    server s 127.0.0.1:%d\n"
           "listen c\n    mode tcp\n    bind 127.0.0.1:%d\n    server s 127.0.0.1:%d\n"
           % (ft, src.getsockname()[1], fh, app.port, fc, src.getsockname()[1]))
    p = _start(ctx, cfg)
    got, ok, seen_pipes = _tunnel_read(ft, None if is_haproxy() else p.pid)
    eq(got, total, "tunnel bytes")
    check(ok, "tunnel bytes intact")
    if not is_haproxy():
        check(seen_pipes >= 2, "the worker held pipes while splicing (%d)" % seen_pipes)
    got, ok, _ = _tunnel_read(fc)
    eq(got, total, "tunnel bytes without splice")
    check(ok, "tunnel bytes intact without splice")
    n = 16 << 20
    c = Client(fh, timeout=20)
    r = c.get("/bytes?n=%d" % n)
    eq(r.status, 200, "HTTP body through splice")
    eq(len(r.body), n, "body length")
    from harness import pattern_bytes
    check(r.body == pattern_bytes(n), "body intact")
    r = c.get("/bytes?n=100")
    eq(len(r.body), 100, "the connection goes on after a spliced body")
    c.close()
    src.close()


# ------------------------------------------------------------- stats ----

def test_stats_csv_scope(ctx):
    """`;csv;scope=TEXT` lists the proxies whose name contains TEXT."""
    sp = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "backend app1\n    server s 127.0.0.1:9\nbackend app2\n    server s 127.0.0.1:9\n"
           "backend other\n    server s 127.0.0.1:9\n"
           "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % sp)
    _start(ctx, cfg)
    names = {r["pxname"] for r in _csv(sp, "/stats;csv;scope=APP")}
    eq(names, {"app1", "app2"}, "scope=APP (any case, substring)")
    names = {r["pxname"] for r in _csv(sp, "/stats;csv;scope=oth")}
    eq(names, {"other"}, "scope=oth")
    names = {r["pxname"] for r in _csv(sp, "/stats;csv")}
    check({"app1", "app2", "other", "stats"} <= names, "no scope: everything (%s)" % names)


def test_socket_stats(ctx):
    """option socket-stats: a row per listener (type 3) after the
    frontend's, named by `bind ... name` or "sock-N", with its own sessions
    and bytes."""
    app = ctx.app("A")
    f1, f2, sp = free_port(), free_port(), free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d name first\n    bind 127.0.0.1:%d\n    option socket-stats\n"
           "    default_backend be\nbackend be\n    server s1 127.0.0.1:%d\n"
           "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % (f1, f2, app.port, sp))
    _start(ctx, cfg)
    before = [r for r in _csv(sp) if r["pxname"] == "fe"]   # the start's port probes count too
    for _ in range(3):
        eq(http(f1, "GET", "/").status, 200, "through the first listener")
    eq(http(f2, "GET", "/").status, 200, "through the second")
    rows = [r for r in _csv(sp) if r["pxname"] == "fe"]
    eq([r["svname"] for r in rows], ["FRONTEND", "first", "sock-2"], "rows of fe, in HAProxy's order")
    eq([r["type"] for r in rows], ["0", "3", "3"], "listener rows are type 3")
    eq(int(rows[1]["stot"]) - int(before[1]["stot"]), 3, "sessions of the first listener")
    eq(int(rows[2]["stot"]) - int(before[2]["stot"]), 1, "sessions of the second")
    eq([r["sid"] for r in rows[1:]], ["1", "2"], "listener ids")
    check(int(rows[1]["bout"]) > 0 and rows[1]["status"] == "OPEN", "bytes and status: %r" % rows[1])


@timeout(60)
@haproxy_differs("HAProxy 2.6.12 does not see the client leave while its request waits in the queue: the request still reaches the server")
def test_abortonclose(ctx):
    """option abortonclose: a queued request whose client left is dropped
    (logged CQ), never sent to the server once a slot frees."""
    gate = threading.Event()

    def slow(req):
        gate.wait(10)
        return response_bytes(200, body=b"ok")
    srv = ctx.raw_server(serve_keepalive(slow))
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO + "    timeout queue 10s\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    option httplog\n    log stderr local0\n    default_backend be\n"
           "backend be\n    option abortonclose\n    server s1 127.0.0.1:%d maxconn 1\n" % (fe, srv.port))
    p = _start(ctx, cfg)
    res = {}
    t = threading.Thread(target=lambda: res.update(a=http(fe, "GET", "/a", timeout=15).status))
    t.start()
    poll_until(lambda: srv.requests, 5, "the first request to reach the server")
    c = socket.create_connection(("127.0.0.1", fe))
    c.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)        # queued behind /a, then the client leaves
    c.close()
    _wait_out(p, r"fe be/\S+ .* CQ-- .*\"GET /b HTTP/1\.1\"")
    gate.set()
    t.join()
    eq(res.get("a"), 200, "the first request")
    eq([r.target for r in srv.requests], ["/a"], "the abandoned request never reached the server")


def test_http_buffer_request(ctx):
    """option http-buffer-request: the server is chosen (and connected) only
    once the whole body arrived; the log's TR counts the wait."""
    srv = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, body=b"got %d" % len(req.body))))
    fe = free_port()
    cfg = ("global\n    nbthread 1\ndefaults\n    mode http\n" + TO +
           "frontend fe\n    bind 127.0.0.1:%d\n    option httplog\n    log stderr local0\n"
           "    option http-buffer-request\n    default_backend be\nbackend be\n    server s1 127.0.0.1:%d\n"
           % (fe, srv.port))
    p = _start(ctx, cfg)
    c = socket.create_connection(("127.0.0.1", fe), timeout=5)
    c.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n12345")
    time.sleep(0.5)        # the client's own pace: half of the body, then a pause
    check(srv.accepts == 0, "no server connection while the body is incomplete")
    c.sendall(b"67890")
    data = b""
    while True:
        x = c.recv(4096)
        if not x:
            break
        data += x
    c.close()
    check(data.endswith(b"got 10"), "the whole body reached the server: %r" % data[-40:])
    m = _wait_out(p, r"fe be/s1 (\d+)/\d+/\d+/\d+/\d+ 200 .*\"POST /up HTTP/1\.1\"")
    check(int(m.group(1)) >= 400, "TR counts the wait for the body (%s ms)" % m.group(1))
