"""Protocol health checks against the real servers they check, each killed
and brought back (issue 18): option mysql-check (MariaDB), pgsql-check
(PostgreSQL), redis-check (Redis), smtpchk (exim), ldap-check (slapd),
ssl-hello-chk (openssl s_server); the agent check (weight, drain, maint,
down/up from the agent's line); http-check disable-on-404, send-state,
expect hdr, connect port; tcp-check connect port/addr on several ports;
check-send-proxy into nginx; option log-health-checks with HAProxy's
lines. Every test runs against Debian's HAProxy too (PROXY=haproxy): the
states are read from the stats CSV, since HAProxy starts servers UP and
tandem DOWN until the first check."""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import (TestFailure, check, eq, free_port, http, is_haproxy, poll_until, response_bytes,
                     serve_keepalive, timeout, wait_port)

TO = "    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n    timeout check 3s\n"
import glob
PGBIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or ["/usr/lib/postgresql/15/bin"])[-1]
# postgres refuses to run as root; setpriv execs (no parent left to signal)
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]


# ------------------------------------------------------------ helpers ----

def _proxy(ctx, body, mode="tcp", glob=""):
    """A proxy with <body> (listen sections) and a stats listener; returns
    (proc, stats_port)."""
    sp = free_port()
    cfg = ("global\n    nbthread 1\n%sdefaults\n    mode %s\n" % (glob, mode) + TO + body +
           "listen stats\n    mode http\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % sp)
    path = ctx.write("proxy.cfg", cfg)
    p = ctx.spawn("proxy", ctx.proxy_argv(path))
    wait_port(sp, 10, p)
    return p, sp


def _rows(sp):
    r = http(sp, "GET", "/stats;csv")
    lines = r.body.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    return {(d["pxname"], d["svname"]): d for d in (dict(zip(head, l.split(","))) for l in lines[1:] if l)}


def _wait_state(sp, be, srv, up, status=None, seconds=15, extra=None):
    """Wait until <be>/<srv> is UP (or DOWN) with check_status <status>."""
    def ok():
        r = _rows(sp).get((be, srv))
        if not r:
            return False
        st = r["status"]
        good = st.startswith("UP") if up is True else st.startswith("DOWN") if up is False else st.startswith(up)
        return good and (status is None or r["check_status"].lstrip("* ") == status) and (not extra or extra(r))
    try:
        poll_until(ok, seconds, "%s/%s %s %s" % (be, srv, up, status))
    except TestFailure:
        raise TestFailure("timed out waiting for %s/%s %s %s; row: %r" % (be, srv, up, status, _rows(sp).get((be, srv))))
    return _rows(sp)[(be, srv)]


def _wait_log(p, pattern, seconds=10, since=0):
    rx = re.compile(pattern)
    try:
        return poll_until(lambda: rx.search(p.output()[since:]), seconds, pattern)
    except TestFailure:
        raise TestFailure("no %r in:\n%s" % (pattern, p.output()[-3000:]))


def _need(path):
    check(os.access(path, os.X_OK), "%s is not installed (tools/deps.sh test)" % path)


# ------------------------------------------------------- real servers ----

def _mariadb(ctx, port, datadir=None):
    """mariadbd on 127.0.0.1:<port> with a fresh data directory (made once)
    and a user 'haproxy' without password."""
    _need("/usr/sbin/mariadbd")
    d = datadir or ctx.path("mariadb")
    sock = os.path.join(ctx.tmpdir, "my.sock")
    if not datadir:
        out = subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + d, "--user=root",
                              "--auth-root-authentication-method=normal", "--skip-test-db"],
                             capture_output=True, timeout=120)
        check(out.returncode == 0, "mariadb-install-db: %s" % out.stderr[-500:])
    p = ctx.spawn("mariadb", ["mariadbd", "--no-defaults", "--datadir=" + d, "--user=root", "--port=%d" % port,
                              "--bind-address=127.0.0.1", "--socket=" + sock, "--skip-log-bin",
                              "--pid-file=" + os.path.join(ctx.tmpdir, "my.pid")])
    wait_port(port, 60, p)
    if not datadir:
        out = subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-uroot", "-e",
                              "CREATE USER 'haproxy'@'127.0.0.1'; CREATE USER 'haproxy'@'localhost';"],
                             capture_output=True, timeout=30)
        check(out.returncode == 0, "create user: %s" % out.stderr[-300:])
    return p, d


def _postgres(ctx, port, datadir=None):
    _need(PGBIN + "/postgres")
    d = datadir or ctx.path("pgdata")
    if not datadir:
        import pwd
        pw = pwd.getpwnam("postgres")
        os.chmod(ctx.tmpdir, 0o755)
        os.makedirs(d, 0o700)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        out = subprocess.run(AS_POSTGRES + [PGBIN + "/initdb", "-D", d, "-A", "trust",
                              "-U", "postgres"], capture_output=True, timeout=120)
        check(out.returncode == 0, "initdb: %s" % out.stderr[-500:])
        with open(os.path.join(d, "pg_hba.conf"), "w") as f:
            f.write("host all refused 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\n")
    p = ctx.spawn("postgres", AS_POSTGRES + [PGBIN + "/postgres", "-D", d, "-p", str(port),
                               "-k", d, "-c", "listen_addresses=127.0.0.1"])
    wait_port(port, 60, p)
    return p, d


def _redis(ctx, port):
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    _need(redis)
    p = ctx.spawn("redis", [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                            "--dir", ctx.tmpdir, "--daemonize", "no"])
    wait_port(port, 10, p)
    return p


def _exim(ctx, port):
    _need("/usr/sbin/exim4")
    d = ctx.path("exim")
    os.makedirs(os.path.join(d, "spool"), exist_ok=True)
    conf = ctx.write("exim.conf", "primary_hostname = tandem.test\nspool_directory = %s/spool\n"
                     "log_file_path = %s/%%slog\npid_file_path = %s/exim.pid\nexim_user = root\nexim_group = root\n"
                     "never_users =\nhost_lookup =\nrfc1413_hosts =\nacl_smtp_rcpt = accept\n"
                     "begin acl\nbegin routers\nbegin transports\n" % (d, d, d))
    p = ctx.spawn("exim", ["exim4", "-bdf", "-oX", str(port), "-C", conf])
    wait_port(port, 10, p)
    return p


def _slapd(ctx, port):
    _need("/usr/sbin/slapd")
    d = ctx.path("ldap")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = ctx.write("slapd.conf", "include /etc/ldap/schema/core.schema\npidfile %s/slapd.pid\n"
                     "argsfile %s/slapd.args\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\ndatabase mdb\n"
                     "suffix \"dc=tandem,dc=test\"\nrootdn \"cn=admin,dc=tandem,dc=test\"\nrootpw secret\n"
                     "directory %s/db\n" % (d, d, d))
    p = ctx.spawn("slapd", ["slapd", "-f", conf, "-h", "ldap://127.0.0.1:%d/" % port, "-d", "0"])
    wait_port(port, 10, p)
    return p


def _s_server(ctx, port):
    key, crt = ctx.path("k.pem"), ctx.path("c.pem")
    if not os.path.exists(crt):
        out = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                              "-days", "1", "-subj", "/CN=tandem.test"], capture_output=True, timeout=60)
        check(out.returncode == 0, "openssl req: %s" % out.stderr[-300:])
    p = ctx.spawn("s_server", ["openssl", "s_server", "-accept", str(port), "-cert", crt, "-key", key, "-quiet"])
    wait_port(port, 10, p)
    return p


class Banner:
    """A server that is none of the protocols: it sends an HTTP error line as
    soon as a connection opens, then closes."""

    def __init__(self):
        self.errors = []
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            try:
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                time.sleep(0.05)
            except OSError:
                pass
            c.close()

    def stop(self):
        try:
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()


def _banner(ctx):
    b = Banner()
    ctx.servers.append(b)
    return b


def _kill(p):
    p.signal(signal.SIGKILL)
    p.wait(10)


# ----------------------------------------------------- protocol checks ----

@timeout(240)
def test_mysql_check_mariadb(ctx):
    """mysql-check user haproxy (post-41 by default and written, and pre-41) against MariaDB: UP with
    the server's version as info; an unknown user: DOWN, L7STS, code 1045,
    MariaDB's message; MariaDB killed: DOWN (L4CON); back: UP."""
    port = free_port()
    db, datadir = _mariadb(ctx, port)
    body = ("listen m\n    bind 127.0.0.1:%d\n    option mysql-check user haproxy\n    option log-health-checks\n"
            "    server s1 127.0.0.1:%d check inter 300ms fall 2 rise 2\n"
            "listen pre\n    bind 127.0.0.1:%d\n    option mysql-check user haproxy pre-41\n"
            "    server s1 127.0.0.1:%d check inter 300ms\n"
            "listen post\n    bind 127.0.0.1:%d\n    option mysql-check user haproxy post-41\n"
            "    server s1 127.0.0.1:%d check inter 300ms\n"
            "listen bad\n    bind 127.0.0.1:%d\n    option mysql-check user nosuchuser\n"
            "    server s1 127.0.0.1:%d check inter 300ms\n"
            % (free_port(), port, free_port(), port, free_port(), port, free_port(), port))
    p, sp = _proxy(ctx, body)
    row = _wait_state(sp, "m", "s1", True, "L7OK")
    # HAProxy 2.6 logs the version, then clears the stats' info with the
    # (empty) success message of the last rule; tandem keeps it
    check(is_haproxy() or "MariaDB" in row["last_chk"], "the version as info: %r" % row["last_chk"])
    _wait_state(sp, "pre", "s1", True, "L7OK")
    _wait_state(sp, "post", "s1", True, "L7OK")
    row = _wait_state(sp, "bad", "s1", False, "L7STS")
    eq(row["check_code"], "1045", "MariaDB's error code")
    check("Access denied" in row["last_chk"], "MariaDB's message: %r" % row["last_chk"])
    _wait_log(p, r"Health check for server m/s1 succeeded, reason: Layer7 check passed, code: 0, "
                 r"info: \"[^\"]*MariaDB[^\"]*\", check duration: \d+ms, status: \d+/\d+ UP\.")
    _kill(db)
    _wait_state(sp, "m", "s1", False, "L4CON")
    _mariadb(ctx, port, datadir)
    _wait_state(sp, "m", "s1", True, "L7OK")


@timeout(240)
def test_pgsql_check_postgres(ctx):
    """pgsql-check user postgres: UP with "PostgreSQL server is ok"; a user
    pg_hba.conf rejects: DOWN, L7RSP (the ErrorResponse); killed: DOWN;
    back: UP."""
    port = free_port()
    pg, d = _postgres(ctx, port)
    body = ("listen p\n    bind 127.0.0.1:%d\n    option pgsql-check user postgres\n"
            "    server s1 127.0.0.1:%d check inter 300ms fall 2 rise 2\n"
            "listen r\n    bind 127.0.0.1:%d\n    option pgsql-check user refused\n"
            "    server s1 127.0.0.1:%d check inter 300ms\n" % (free_port(), port, free_port(), port))
    p, sp = _proxy(ctx, body)
    row = _wait_state(sp, "p", "s1", True, "L7OK")
    eq(row["last_chk"], "PostgreSQL server is ok", "info")
    row = _wait_state(sp, "r", "s1", False, "L7RSP")
    eq(row["last_chk"], "FATAL", "the ErrorResponse's first field, as HAProxy shows it")
    _kill(pg)
    _wait_state(sp, "p", "s1", False)
    _postgres(ctx, port, d)
    _wait_state(sp, "p", "s1", True, "L7OK")


@timeout(90)
def test_redis_check(ctx):
    """redis-check: PING answered +PONG: UP ("Redis server is ok"); a server
    that is not Redis (an HTTP one): DOWN L7STS with its first line; Redis
    killed: DOWN; back: UP."""
    port = free_port()
    r = _redis(ctx, port)
    web = _banner(ctx)
    body = ("listen r\n    bind 127.0.0.1:%d\n    option redis-check\n"
            "    server s1 127.0.0.1:%d check inter 300ms fall 2 rise 2\n"
            "    server web 127.0.0.1:%d check inter 300ms\n" % (free_port(), port, web.port))
    p, sp = _proxy(ctx, body)
    eq(_wait_state(sp, "r", "s1", True, "L7OK")["last_chk"], "Redis server is ok", "info")
    row = _wait_state(sp, "r", "web", False, "L7STS")
    check(row["last_chk"].startswith("HTTP/1.1 400"), "the server's first line: %r" % row["last_chk"])
    _kill(r)
    _wait_state(sp, "r", "s1", False, "L4CON")
    _redis(ctx, port)
    _wait_state(sp, "r", "s1", True, "L7OK")


@timeout(120)
def test_smtpchk_exim(ctx):
    """smtpchk (HELO localhost) and smtpchk EHLO DOMAIN against exim: UP,
    code 221 after QUIT; exim killed: DOWN; back: UP."""
    port = free_port()
    ex = _exim(ctx, port)
    body = ("listen s\n    bind 127.0.0.1:%d\n    option smtpchk\n"
            "    server s1 127.0.0.1:%d check inter 1s fall 2 rise 2\n"
            "listen e\n    bind 127.0.0.1:%d\n    option smtpchk EHLO tandem.example\n"
            "    server s1 127.0.0.1:%d check inter 1s\n" % (free_port(), port, free_port(), port))
    p, sp = _proxy(ctx, body)
    row = _wait_state(sp, "s", "s1", True, "L7OK")
    eq(row["check_code"], "221", "the code of the last answer (QUIT)")
    check("closing" in row["last_chk"], "exim's words: %r" % row["last_chk"])
    _wait_state(sp, "e", "s1", True, "L7OK")
    _kill(ex)
    _wait_state(sp, "s", "s1", False)
    _exim(ctx, port)
    _wait_state(sp, "s", "s1", True, "L7OK")


@timeout(90)
def test_ldap_check_slapd(ctx):
    """ldap-check: an anonymous bind, slapd answers success: UP ("Success");
    a server that is not LDAP: DOWN; slapd killed: DOWN; back: UP."""
    port = free_port()
    sl = _slapd(ctx, port)
    web = _banner(ctx)
    body = ("listen l\n    bind 127.0.0.1:%d\n    option ldap-check\n"
            "    server s1 127.0.0.1:%d check inter 300ms fall 2 rise 2\n"
            "    server web 127.0.0.1:%d check inter 300ms\n" % (free_port(), port, web.port))
    p, sp = _proxy(ctx, body)
    row = _wait_state(sp, "l", "s1", True, "L7OK")
    check(is_haproxy() or row["last_chk"] == "Success", "info: %r" % row["last_chk"])   # as mysql-check
    _wait_state(sp, "l", "web", False)
    _kill(sl)
    _wait_state(sp, "l", "s1", False)
    _slapd(ctx, port)
    _wait_state(sp, "l", "s1", True, "L7OK")


@timeout(90)
def test_ssl_hello_chk(ctx):
    """ssl-hello-chk: a TLS server (openssl s_server) answers the SSLv3
    hello (an alert counts, it speaks TLS): UP, L6OK; a plain HTTP server:
    DOWN, L6RSP; s_server killed: DOWN; back: UP."""
    port = free_port()
    ss = _s_server(ctx, port)
    web = _banner(ctx)
    body = ("listen t\n    bind 127.0.0.1:%d\n    option ssl-hello-chk\n"
            "    server s1 127.0.0.1:%d check inter 300ms fall 2 rise 2\n"
            "    server web 127.0.0.1:%d check inter 300ms\n" % (free_port(), port, web.port))
    p, sp = _proxy(ctx, body)
    _wait_state(sp, "t", "s1", True, "L6OK")
    _wait_state(sp, "t", "web", False, "L6RSP")
    _kill(ss)
    _wait_state(sp, "t", "s1", False)
    _s_server(ctx, port)
    _wait_state(sp, "t", "s1", True, "L6OK")


# ------------------------------------------------------------- agent ----

class Agent:
    """An agent: answers every connection with the current line; records
    what it receives (agent-send)."""

    def __init__(self):
        self.line = "up\n"
        self.got = []
        self.errors = []
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            try:
                c.settimeout(0.2)
                try:
                    self.got.append(c.recv(100))
                except OSError:
                    pass
                c.sendall(self.line.encode())
            except OSError:
                pass
            c.close()

    def stop(self):
        try:
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()


@timeout(90)
def test_agent_check(ctx):
    """agent-check on agent-port every agent-inter, agent-send sent: "50%"
    halves the weight, "drain" drains, "maint" puts the server in
    maintenance and "ready" back, "down #why" keeps it DOWN whatever the
    health check says, "up" brings it back; an agent that cannot be reached
    changes nothing."""
    app = ctx.app("A")
    ag = Agent()
    ctx.servers.append(ag)
    body = ("listen a\n    bind 127.0.0.1:%d\n    option httpchk GET /health\n"
            "    server s1 127.0.0.1:%d check inter 300ms weight 10 agent-check agent-port %d agent-inter 200ms "
            "agent-send \"hello\\n\"\n" % (free_port(), app.port, ag.port))
    p, sp = _proxy(ctx, body, mode="http")
    _wait_state(sp, "a", "s1", True)
    poll_until(lambda: any(g == b"hello\n" for g in ag.got), 5, "agent-send to reach the agent")
    ag.line = "50%\n"
    poll_until(lambda: _rows(sp)[("a", "s1")]["weight"] == "5", 5, "weight 5 (50% of 10)")
    ag.line = "drain\n"
    _wait_state(sp, "a", "s1", "DRAIN")
    ag.line = "ready 100%\n"
    poll_until(lambda: _rows(sp)[("a", "s1")]["weight"] == "10", 5, "weight back to 10")
    _wait_state(sp, "a", "s1", True)
    ag.line = "down #maintenance window\n"
    _wait_state(sp, "a", "s1", False)
    _wait_log(p, r"Server a/s1 is DOWN, reason: Layer7 wrong status, .*info: \"via agent : down \(maintenance window\)\"")
    ag.line = "up\n"
    _wait_state(sp, "a", "s1", True)
    ag.line = "maint\n"
    _wait_state(sp, "a", "s1", "MAINT")
    ag.line = "ready\n"
    _wait_state(sp, "a", "s1", True)
    ag.stop()   # an agent that cannot be reached changes nothing
    poll_until(lambda: _rows(sp)[("a", "s1")]["status"].startswith("UP"), 2, "still UP")


# ------------------------------------------------------------ http-check ----

@timeout(60)
def test_http_check_disable_on_404_send_state_hdr(ctx):
    """disable-on-404: a 404 puts the UP server in NOLB (no new traffic),
    a 200 back UP; send-state: X-Haproxy-Server-State reaches the server;
    expect hdr: a header decides."""
    state = {"code": 200, "ready": "yes"}
    seen = []

    def respond(req):
        seen.append(req.header("x-haproxy-server-state"))
        if req.target == "/hdr":
            return response_bytes(200, headers={"X-Ready": state["ready"] + ", v2"}, body=b"ok")
        return response_bytes(state["code"], "Not Found" if state["code"] == 404 else "OK", body=b"ok")
    srv = ctx.raw_server(serve_keepalive(respond))
    body = ("listen n\n    bind 127.0.0.1:%d\n    option httpchk GET /\n    http-check disable-on-404\n"
            "    http-check send-state\n    server s1 127.0.0.1:%d check inter 200ms\n"
            "listen h\n    bind 127.0.0.1:%d\n    option httpchk GET /hdr\n"
            "    http-check expect hdr name -m str x-ready value -m beg yes\n"
            "    server s1 127.0.0.1:%d check inter 200ms\n" % (free_port(), srv.port, free_port(), srv.port))
    p, sp = _proxy(ctx, body, mode="http")
    _wait_state(sp, "n", "s1", True, "L7OK")
    poll_until(lambda: any(s and re.match(r"UP( \d+/\d+)?; address=127\.0\.0\.1; port=%d; name=n/s1; node=[^;]*; "
                                          r"weight=1/1; scur=0/\d+; qcur=0" % srv.port, s) for s in seen),
               5, "X-Haproxy-Server-State")
    state["code"] = 404
    _wait_state(sp, "n", "s1", "NOLB", "L7OKC")
    state["code"] = 200
    _wait_state(sp, "n", "s1", True, "L7OK")
    _wait_state(sp, "h", "s1", True, "L7OK")
    state["ready"] = "no"
    _wait_state(sp, "h", "s1", False, "L7STS")


@timeout(60)
def test_http_check_connect_and_tcp_check_ports(ctx):
    """http-check connect port N checks another port than the traffic's;
    tcp-check with two connect steps checks two ports, and names the step
    that failed (HAProxy's words)."""
    app = ctx.app("A")
    health = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, body=b"ok")))
    other = ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, body=b"ok")))
    dead = free_port()
    body = ("listen h\n    bind 127.0.0.1:%d\n    option httpchk\n    http-check connect port %d\n"
            "    http-check send meth GET uri /health\n    server s1 127.0.0.1:%d check inter 200ms\n"
            "listen t\n    bind 127.0.0.1:%d\n    option tcp-check\n    option log-health-checks\n"
            "    tcp-check connect port %d\n    tcp-check send GET\\ /\\ HTTP/1.0\\r\\n\\r\\n\n"
            "    tcp-check expect string 200\n    tcp-check connect port %d\n"
            "    server s1 127.0.0.1 check inter 200ms\n"
            % (free_port(), health.port, app.port, free_port(), other.port, dead))
    p, sp = _proxy(ctx, body, mode="http")
    _wait_state(sp, "h", "s1", True, "L7OK")
    check(health.requests and health.requests[-1].target == "/health", "the check went to the connect port")
    row = _wait_state(sp, "t", "s1", False, "L4CON")
    check(row["last_chk"].endswith("at step 4 of tcp-check (connect port %d)" % dead), "step: %r" % row["last_chk"])


def test_tcp_check_connect_ssl(ctx):
    """tcp-check connect ssl sni NAME: the check speaks TLS to nginx with that
    SNI (nginx answers it back, the expectation matches it); the same steps
    without `ssl` fail against the TLS port; `http-check connect ssl` runs
    an HTTP check over TLS on a server that has no `ssl` of its own."""
    from tlsutil import Pki
    pki = Pki(ctx)
    pem = pki.cert("ng", "b.test", ["b.test", "check.b.test"])
    tp = free_port()
    ctx.nginx(" server {\n  listen 127.0.0.1:%d ssl;\n  ssl_certificate %s;\n  ssl_certificate_key %s;\n"
              "  location / { return 200 \"sni=$ssl_server_name\\n\"; }\n }\n"
              % (tp, pem[:-4] + ".crt", pem[:-4] + ".key"))
    send = "    tcp-check send \"GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n\"\n"
    body = ("listen t\n    bind 127.0.0.1:%d\n    option tcp-check\n"
            "    tcp-check connect port %d ssl sni check.b.test\n" % (free_port(), tp) + send +
            "    tcp-check expect string sni=check.b.test\n"
            "    server s1 127.0.0.1:%d check inter 200ms verify none\n" % tp +
            "listen p\n    bind 127.0.0.1:%d\n    option tcp-check\n    tcp-check connect port %d\n" % (free_port(), tp)
            + send + "    tcp-check expect string sni=\n"
            "    server s1 127.0.0.1:%d check inter 200ms\n" % tp +
            "listen h\n    bind 127.0.0.1:%d\n    option httpchk GET /\n    http-check connect ssl\n"
            "    http-check send meth GET uri /\n    http-check expect string sni=\n"
            "    server s1 127.0.0.1:%d check inter 200ms verify none\n" % (free_port(), tp))
    p, sp = _proxy(ctx, body, mode="http")
    _wait_state(sp, "t", "s1", True, "L7OK")
    _wait_state(sp, "h", "s1", True, "L7OK")
    row = _wait_state(sp, "p", "s1", False)
    check(row["check_status"].lstrip("* ") in ("L7RSP", "L7TOUT", "SOCKERR"), "plain steps to a TLS port fail: %r" % row)


@timeout(60)
def test_check_send_proxy_into_nginx(ctx):
    """check-send-proxy: the health checks speak the PROXY protocol to a
    server that requires it (nginx `listen ... proxy_protocol`); without it
    the checks fail."""
    np = free_port()
    ctx.nginx(" server {\n  listen 127.0.0.1:%d proxy_protocol;\n  location / { return 200 ok; }\n }\n" % np)
    body = ("listen a\n    bind 127.0.0.1:%d\n    option httpchk GET /\n"
            "    server with 127.0.0.1:%d check inter 300ms check-send-proxy\n"
            "    server without 127.0.0.1:%d check inter 300ms\n" % (free_port(), np, np))
    p, sp = _proxy(ctx, body, mode="http")
    _wait_state(sp, "a", "with", True, "L7OK")
    _wait_state(sp, "a", "without", False)
