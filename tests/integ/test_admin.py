"""The runtime API (HAProxy's "stats socket"): output formats of the show
commands, the effect of every change command on real traffic (drain keeps
in-flight requests, maint, weights, forced health, paused checks, new
address, servers added and deleted, cleared counters), levels, unknown
commands, the socket file's mode, interactive mode and timeouts, stats
maxconn, a reload that keeps the socket, and the tools people use on it:
socat and hatop (driven in tmux).

Most tests also pass against HAProxy (PROXY=haproxy), which checks that the
expected answers are HAProxy's."""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

from harness import (Deadline, TestFailure, check, config, eq, free_port, haproxy_differs, http, is_haproxy, poll_until, proc_tree, tandem_only, timeout)

# ------------------------------------------------------------ the socket ----


def _connect(addr, tmo):
    if isinstance(addr, tuple):
        s = socket.create_connection(addr, timeout=tmo)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(tmo)
        s.connect(addr)
    return s


def cli(addr, line, tmo=5.0):
    """One non-interactive session: send <line>, read until the server
    closes. Returns the answer as text."""
    s = _connect(addr, tmo)
    try:
        s.sendall(line.encode() + b"\n")
        data, dl = b"", Deadline(tmo)
        while True:
            s.settimeout(max(dl.left(), 0.01))
            try:
                d = s.recv(65536)
            except socket.timeout:
                raise TestFailure("no end of answer to %r within %.1fs: %r" % (line, tmo, data[-300:]))
            if not d:
                return data.decode()
            data += d
    finally:
        s.close()


class Prompt:
    """An interactive session ("prompt"): cmd() returns one answer."""

    def __init__(self, addr, tmo=5.0):
        self.s = _connect(addr, tmo)
        self.tmo = tmo
        self.buf = b""
        self.s.sendall(b"prompt\n")
        eq(self._until_prompt(), "\n", "answer to 'prompt'")

    def _until_prompt(self, n=1):
        dl = Deadline(self.tmo)
        while not (self.buf.endswith(b"> ") and self.buf.count(b"\n> ") >= n):
            self.s.settimeout(max(dl.left(), 0.01))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                raise TestFailure("no prompt within %.1fs, got %r" % (self.tmo, self.buf[-300:]))
            if not d:
                raise TestFailure("session closed while waiting for the prompt, got %r" % self.buf[-300:])
            self.buf += d
        out, self.buf = self.buf[:-2], b""
        return out.decode()

    def cmd(self, line, n=1):
        """The answer to <line> (<n> commands), with its closing empty line."""
        self.s.sendall(line.encode() + b"\n")
        return self._until_prompt(n)

    def closed_within(self, seconds, expect=b""):
        """True if the server sends <expect> and closes the session within <seconds>."""
        dl, got = Deadline(seconds), b""
        while True:
            self.s.settimeout(max(dl.left(), 0.01))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                return got == expect
            if not d:
                if got != expect:
                    raise TestFailure("closing the session: got %r, want %r" % (got, expect))
                return True
            got += d

    def close(self):
        self.s.close()


# --------------------------------------------------------------- labs ----

def _lab(ctx, names=("A", "B"), srv_opts="", balance="roundrobin", global_extra="", be_extra="",
         defaults_extra="", nbthread=1):
    """Backends <names> behind servers s1, s2... of backend `be`, one thread,
    an admin socket (mode 600), a user one (666) and an operator one on TCP.
    Returns (proxy, apps, admin, user, operator)."""
    apps = [ctx.app(n, extra=["--read-delay-ms", "0"]) for n in names]
    admin, user, op_port = ctx.path("admin.sock"), ctx.path("user.sock"), free_port()
    g = ("stats socket %s mode 600 level admin\nstats socket %s mode 666 level user\n"
         "stats socket ipv4@127.0.0.1:%d level operator\nstats timeout 10s\n%s"
         % (admin, user, op_port, global_extra))
    port = free_port()
    px = ctx.proxy(config(port, [("s%d" % (i + 1), a.port, srv_opts) for i, a in enumerate(apps)],
                          balance=balance, global_extra=g, be_extra=be_extra, defaults_extra=defaults_extra,
                          nbthread=nbthread))
    poll_until(lambda: os.path.exists(admin) and os.path.exists(user), 5, "the admin and user socket files")
    return px, apps, admin, user, ("127.0.0.1", op_port)


def ans(got, want, what):
    """An answer: exactly <want> from tandem. HAProxy 2.6 forgets the
    closing empty line after some errors of add/del server, which the
    HAProxy run forgives."""
    if is_haproxy() and got.rstrip("\n") == want.rstrip("\n"):
        return
    eq(got, want, what)


def _proxy_with_socket(ctx, global_extra, srvs=None):
    """One backend A behind `be/s1` and an admin socket; returns its path."""
    apps = [ctx.app("A", extra=["--read-delay-ms", "0"])]
    admin = ctx.path("admin.sock")
    ctx.proxy(config(free_port(), srvs(apps) if srvs else [("s1", apps[0].port)],
                     global_extra=("stats socket %s level admin\n" % admin) + global_extra))
    poll_until(lambda: os.path.exists(admin), 5, "the admin socket file")
    return admin


def _node(port, target="/"):
    r = http(port, target=target)
    if r.status != 200:
        return r.status
    return r.body.decode().strip().replace("NODE_", "")


def _spread(port, n=20):
    out = {}
    for _ in range(n):
        k = _node(port)
        out[k] = out.get(k, 0) + 1
    return out


def _stat(admin, px_name, sv_name, field):
    """Field <field> of row <px_name>,<sv_name> of `show stat`."""
    lines = cli(admin, "show stat").splitlines()
    check(lines and lines[0].startswith("# pxname,svname,"), "show stat header: %r" % lines[:1])
    cols = lines[0][2:].split(",")
    for line in lines[1:]:
        f = line.split(",")
        if len(f) >= 2 and f[0] == px_name and f[1] == sv_name:
            return f[cols.index(field)]
    return None


class Slow:
    """One slow request (GET /slow?ms=N) in a thread: .result is the node
    name (or status) once it ends."""

    def __init__(self, port, ms):
        self.result = None
        self.error = None
        self.t = threading.Thread(target=self._run, args=(port, ms), daemon=True)
        self.t.start()

    def _run(self, port, ms):
        try:
            r = http(port, target="/slow?ms=%d" % ms, timeout=10)
            self.result = r.body.decode().strip().replace("NODE_", "") if r.status == 200 else r.status
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)

    def wait(self, tmo=10):
        self.t.join(tmo)
        check(not self.t.is_alive(), "slow request did not end")
        check(self.error is None, "slow request failed: %s" % self.error)
        return self.result


# -------------------------------------------------------------- formats ----

def test_show_formats(ctx):
    px, apps, admin, user, op = _lab(ctx)
    info = cli(user, "show info")
    check(info.endswith("\n\n"), "show info ends with an empty line: %r" % info[-20:])
    kv = dict(l.split(": ", 1) for l in info.splitlines() if ": " in l)
    for k in ("Name", "Version", "Release_date", "Nbproc", "Process_num", "Pid", "Uptime", "Maxconn",
              "CurrConns", "CumReq", "Maxpipes", "PipesUsed", "Tasks", "Run_queue", "node"):
        check(k in kv, "show info lacks %s: %r" % (k, info[:400]))
    if not is_haproxy():
        eq(kv["Name"], "tandem", "Name")
        check(int(kv["Pid"]) in proc_tree(px.pid) and int(kv["Pid"]) != px.pid, "Pid is the worker's")
    typed = cli(user, "show info typed")
    check(typed.startswith("0.Name.1:POS:str:"), "show info typed: %r" % typed[:60])
    js = json.loads(cli(user, "show info json"))
    eq(js[0]["field"], {"pos": 0, "name": "Name"}, "show info json first field")

    st = cli(user, "show stat")
    lines = st.splitlines()
    check(st.endswith("\n\n"), "show stat ends with an empty line")
    check(lines[0].startswith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,"
                              "eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,"),
          "show stat header: %r" % lines[0][:200])
    rows = [l.split(",")[:2] for l in lines[1:] if l]
    eq(rows, [["fe", "FRONTEND"], ["be", "s1"], ["be", "s2"], ["be", "BACKEND"]], "show stat rows")
    js = json.loads(cli(user, "show stat json"))
    eq(len(js), 4, "show stat json: one array per row")
    f0 = js[1][0]
    eq((f0["objType"], f0["field"]["name"], f0["value"]["value"]), ("Server", "pxname", "be"), "json field")
    check(all(set(o) >= {"objType", "proxyId", "id", "field", "processNum", "tags", "value"} for o in js[1]),
          "json objects carry HAProxy's keys")
    typed = cli(user, "show stat typed")
    check("S.%s.1.17.status.1:SGP:str:" % f0["proxyId"] in typed, "show stat typed: %r" % typed[:300])
    sel = cli(user, "show stat be 4 -1").splitlines()
    eq([l.split(",")[1] for l in sel[1:] if l], ["s1", "s2"], "show stat be 4 -1 (servers only)")

    ss = cli(user, "show servers state").splitlines()
    eq(ss[0], "1", "show servers state format version")
    eq(ss[1].split(), ["#", "be_id", "be_name", "srv_id", "srv_name", "srv_addr", "srv_op_state",
                       "srv_admin_state", "srv_uweight", "srv_iweight", "srv_time_since_last_change",
                       "srv_check_status", "srv_check_result", "srv_check_health", "srv_check_state",
                       "srv_agent_state", "bk_f_forced_id", "srv_f_forced_id", "srv_fqdn", "srv_port",
                       "srvrecord", "srv_use_ssl", "srv_check_port", "srv_check_addr", "srv_agent_addr",
                       "srv_agent_port"], "show servers state header")
    srv1 = ss[2].split()
    eq(len(srv1), 25, "fields of a server line")
    eq((srv1[1], srv1[3], srv1[4], srv1[5], srv1[6], srv1[18]), ("be", "s1", "127.0.0.1", "2", "0", str(apps[0].port)),
       "s1 line: backend, name, address, RUNNING, no admin flag, port")
    eq(cli(user, "show servers state nope"), "Can't find backend.\n\n", "unknown backend")
    eq(cli(user, "show backend"), "# name\nbe\n\n", "show backend")
    eq(cli(user, "get weight be/s1"), "1 (initial 1)\n\n", "get weight")
    eq(cli(user, "get weight be/zz"), "No such server.\n\n", "get weight: no server")
    eq(cli(user, "get weight zz/s1"), "No such backend.\n\n", "get weight: no backend")
    h = cli(user, "help")
    check(h.startswith("The following commands are valid at this level:\n") and "  show stat " in h,
          "help: %r" % h[:200])


def test_unknown_and_malformed_change_nothing(ctx):
    px, apps, admin, user, op = _lab(ctx)
    before = cli(admin, "show servers state")
    out = cli(admin, "frobnicate be/s1")
    check(out.startswith("Unknown command"), "unknown command answer: %r" % out[:100])
    for line, want in (("set server be/s1 state bogus", "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"),
                       ("set server be/s1 weight 999", "Absolute weight can only be between 0 and 256 inclusive.\n\n"),
                       ("set server be/s1 health sick", "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n"),
                       ("set server be/s1", None),
                       ("set server be state maint", "Require 'backend/server'.\n\n"),
                       ("set server nope/s1 state maint", "No such backend.\n\n"),
                       ("set server be/nope state maint", "No such server.\n\n")):
        got = cli(admin, line)
        if want is None:
            check(got.startswith("usage: set server <backend>/<server> "), "%s: %r" % (line, got))
        else:
            eq(got, want, line)

    def norm(t):   # the time since the last change may tick meanwhile
        return [l.split()[:9] + l.split()[10:] for l in t.splitlines()[2:]]
    eq(norm(cli(admin, "show servers state")), norm(before), "servers after refused commands")
    eq(sorted(_spread(px.port, 10)), ["A", "B"], "both servers still take traffic")


# ---------------------------------------------------------- admin state ----

def test_drain_keeps_inflight_and_maint_stops_traffic(ctx):
    px, (a, b), admin, user, op = _lab(ctx)
    eq(cli(admin, "set server be/s1 state maint"), "\n", "maint s1")
    eq(_spread(px.port, 6), {"B": 6}, "s1 in maintenance gets nothing")
    slow = Slow(px.port, 1500)
    poll_until(lambda: _stat(admin, "be", "s2", "scur") == "1", 5, "the slow request on s2")
    eq(cli(admin, "set server be/s2 state drain"), "\n", "drain s2")
    eq(_stat(admin, "be", "s2", "status"), "DRAIN", "s2 status")
    eq(_node(px.port), 503, "no server left for new requests")
    eq(slow.wait(), "B", "the request in flight on the drained server completes")
    eq(cli(admin, "set server be/s1 state ready"), "\n", "ready s1")
    eq(_spread(px.port, 6), {"A": 6}, "drained s2 gets no new request")
    eq(cli(admin, "enable server be/s2"), "\n", "enable server s2")
    eq(sorted(_spread(px.port, 6)), ["A", "B"], "both again")
    eq(cli(admin, "disable server be/s2"), "\n", "disable server s2")
    eq(_stat(admin, "be", "s2", "status"), "MAINT", "s2 status")
    eq(cli(user, "show servers state be").splitlines()[3].split()[6], "1", "srv_admin_state of s2 (FMAINT)")
    eq(_spread(px.port, 6), {"A": 6}, "disabled s2 gets nothing")


def test_weight_changes_the_split(ctx):
    px, apps, admin, user, op = _lab(ctx)
    eq(cli(admin, "set server be/s1 weight 3"), "\n", "weight 3")
    eq(cli(user, "get weight be/s1"), "3 (initial 1)\n\n", "get weight after the change")
    got = _spread(px.port, 40)
    check(28 <= got.get("A", 0) <= 32, "3:1 split over 40 requests: %r" % got)
    eq(cli(admin, "set weight be/s1 0"), "\n", "set weight 0 (HAProxy's older command)")
    eq(_spread(px.port, 8), {"B": 8}, "weight 0 takes s1 out")
    eq(cli(admin, "set server be/s1 weight 100%"), "\n", "back to 100%")
    eq(cli(user, "get weight be/s1"), "1 (initial 1)\n\n", "get weight at 100%")
    got = _spread(px.port, 20)
    eq(got, {"A": 10, "B": 10}, "1:1 split")


def test_static_rr_accepts_only_0_and_100_percent(ctx):
    px, apps, admin, user, op = _lab(ctx, balance="static-rr")
    eq(cli(admin, "set server be/s1 weight 5"),
       "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n", "static-rr weight 5")
    eq(cli(admin, "set server be/s1 weight 0%"), "\n", "static-rr 0%")
    eq(_spread(px.port, 6), {"B": 6}, "0% takes s1 out")
    eq(cli(admin, "set server be/s1 weight 100%"), "\n", "static-rr 100%")
    eq(sorted(_spread(px.port, 6)), ["A", "B"], "100% brings it back")


# ---------------------------------------------------------------- health ----

def test_forced_health(ctx):
    px, apps, admin, user, op = _lab(ctx)
    eq(cli(admin, "set server be/s1 health down"), "\n", "health down")
    eq(_stat(admin, "be", "s1", "status"), "DOWN", "s1 status")
    eq(_spread(px.port, 6), {"B": 6}, "DOWN s1 gets nothing")
    eq(cli(admin, "set server be/s1 health stopping"), "\n", "health stopping")
    eq(_stat(admin, "be", "s1", "status"), "NOLB", "s1 status")
    eq(_spread(px.port, 6), {"B": 6}, "stopping s1 gets no new request")
    eq(cli(admin, "set server be/s1 health up"), "\n", "health up")
    eq(sorted(_spread(px.port, 6)), ["A", "B"], "s1 back")


@timeout(90)
def test_disable_health_pauses_checks(ctx):
    dead = free_port()
    admin = _proxy_with_socket(ctx, "", lambda apps: [("s1", apps[0].port), ("s2", dead, "check inter 100 rise 1 fall 1")])
    poll_until(lambda: _stat(admin, "be", "s2", "status") == "DOWN", 5, "s2 DOWN by its checks")
    eq(cli(admin, "disable health be/s2"), "\n", "disable health")
    eq(cli(admin, "show servers state be").splitlines()[3].split()[13], "2",
       "srv_check_state: configured, not enabled")
    eq(cli(admin, "set server be/s2 health up"), "\n", "force it up")
    t_end = time.time() + 1.0
    while time.time() < t_end:   # ten check intervals: no check may take it down
        eq(_stat(admin, "be", "s2", "status"), "no check", "paused checks leave s2 up")
        time.sleep(0.1)
    eq(cli(admin, "enable health be/s2"), "\n", "enable health")
    eq(cli(admin, "show servers state be").splitlines()[3].split()[13], "6",
       "srv_check_state: configured and enabled")
    poll_until(lambda: _stat(admin, "be", "s2", "status") == "DOWN", 5, "s2 DOWN again once checks run")
    eq(cli(admin, "disable health be/s1"), "\n", "s1 has no check: nothing to pause")


# -------------------------------------------------------------- address ----

def test_set_addr_moves_new_connections(ctx):
    px, (a, b), admin, user, op = _lab(ctx, names=("A", "B"))
    eq(cli(admin, "set server be/s2 state maint"), "\n", "s2 out of the way")
    eq(_spread(px.port, 4), {"A": 4}, "s1 answers as A")
    out = cli(admin, "set server be/s1 addr 127.0.0.1 port %d" % b.port)
    eq(out, "no need to change the addr, port changed from '%d' to '%d' by 'stats socket command'\n\n"
       % (a.port, b.port), "set server addr answer")
    eq(_spread(px.port, 4), {"B": 4}, "s1 now reaches B")
    if not is_haproxy():   # HAProxy 2.6 keeps showing the old port there
        check(",127.0.0.1:%d," % b.port in cli(user, "show stat"), "show stat shows the new address")
    eq(cli(user, "show servers state be").splitlines()[2].split()[18], str(b.port), "srv_port")
    eq(cli(admin, "set server be/s1 addr nonsense"), "Invalid addr 'nonsense' by 'stats socket command'\n\n",
       "invalid address")
    eq(_spread(px.port, 2), {"B": 2}, "unchanged after the invalid address")


# ------------------------------------------------------ dynamic servers ----

@timeout(90)
def test_add_and_del_server(ctx):
    px, (a, b), admin, user, op = _lab(ctx, names=("A", "B"), be_extra="http-reuse never")
    eq(cli(admin, "add server be/dyn 127.0.0.1:%d weight 1" % b.port), "New server registered.\n\n", "add server")
    eq(cli(admin, "add server be/dyn 127.0.0.1:%d" % b.port),
       "Already exists a server with the same name in backend.\n\n", "same name again")
    eq(cli(admin, "set server be/s2 state maint"), "\n", "s2 (also B) out of the way")
    eq(_stat(admin, "be", "dyn", "status"), "MAINT", "a new server starts in maintenance")
    eq(_spread(px.port, 6), {"A": 6}, "the new server gets nothing while in maintenance")
    eq(cli(admin, "set server be/dyn state ready"), "\n", "enable it")
    eq(_spread(px.port, 10), {"A": 5, "B": 5}, "the new server takes its share")
    eq(cli(user, "get weight be/dyn"), "1 (initial 1)\n\n", "get weight of the new server")
    lines = cli(user, "show servers state be").splitlines()
    eq([l.split()[3] for l in lines[2:] if l], ["s1", "s2", "dyn"], "listed after the others")
    ans(cli(admin, "del server be/dyn"), "Only servers in maintenance mode can be deleted.\n\n", "del needs maint")
    # a request in flight keeps it
    eq(cli(admin, "set server be/s1 state maint"), "\n", "s1 out of the way")
    slow = Slow(px.port, 1500)
    poll_until(lambda: _stat(admin, "be", "dyn", "scur") == "1", 5, "the slow request on dyn")
    eq(cli(admin, "set server be/dyn state maint"), "\n", "dyn to maint")
    ans(cli(admin, "del server be/dyn"), "Server still has connections attached to it, cannot remove it.\n\n",
       "del with a request in flight")
    eq(slow.wait(), "B", "the request in flight completes")
    poll_until(lambda: cli(admin, "del server be/dyn").rstrip("\n") == "Server deleted.", 10, "del server once idle")
    check(",dyn," not in cli(user, "show stat"), "deleted server gone from show stat")
    eq(cli(admin, "set server be/s1 state ready"), "\n", "s1 back")
    eq(_spread(px.port, 6), {"A": 6}, "traffic without the deleted server")
    ans(cli(admin, "del server be/dyn"), "No such server.\n\n", "deleted twice")
    eq(cli(admin, "add server be/dyn 127.0.0.1:%d enabled" % b.port), "New server registered.\n\n",
       "the name can be used again, `enabled` skips maintenance")
    if not is_haproxy():   # HAProxy 2.6 leaves a re-added server out of its roundrobin tree
        eq(_spread(px.port, 10), {"A": 5, "B": 5}, "the re-added server takes traffic at once")


class Load:
    """Client threads sending GET / on new connections until stopped."""

    def __init__(self, port, threads=4):
        self.port, self.ok, self.errors, self.samples = port, 0, 0, []
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.ts = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.ts:
            t.start()

    def _run(self):
        while not self.stop_ev.is_set():
            try:
                st = http(self.port, timeout=5).status
            except Exception as e:  # noqa: BLE001 - counted
                st = repr(e)
            with self.lock:
                if st == 200:
                    self.ok += 1
                else:
                    self.errors += 1
                    self.samples = (self.samples + [st])[:5]

    def stop(self):
        self.stop_ev.set()
        for t in self.ts:
            t.join(10)


@timeout(120)
@haproxy_differs("HAProxy 2.6 stops routing to this backend after a few dynamic servers were deleted")
def test_add_and_del_under_load(ctx):
    """Servers added, checked, enabled, drained and deleted in a loop while
    two worker threads carry traffic: no request fails, nothing crashes."""
    px, (a, b), admin, user, op = _lab(ctx, be_extra="http-reuse never", nbthread=2)
    load = Load(px.port)
    try:
        poll_until(lambda: load.ok > 20, 10, "load running")
        for i in range(25):
            name = "d%d" % i
            ans(cli(admin, "add server be/%s 127.0.0.1:%d check inter 50 enabled" % (name, b.port)),
                "New server registered.\n\n", "add " + name)
            eq(cli(admin, "enable health be/%s" % name), "\n", "enable health " + name)
            n = load.ok
            poll_until(lambda: load.ok >= n + 4, 10, "traffic with %s" % name)
            eq(cli(admin, "set server be/%s state maint" % name), "\n", "maint " + name)
            poll_until(lambda: cli(admin, "del server be/%s" % name).rstrip("\n") == "Server deleted.", 10,
                       "del " + name)
    finally:
        load.stop()
    eq(load.errors, 0, "failed requests (samples %r)" % load.samples)
    check(load.ok > 100, "too few requests to mean anything: %d" % load.ok)
    check(px.proc.alive(), "tandem died")
    lines = cli(user, "show servers state be").splitlines()
    eq([l.split()[3] for l in lines[2:] if l], ["s1", "s2"], "only the configured servers are left")


def test_add_server_needs_dynamic_algorithm(ctx):
    px, apps, admin, user, op = _lab(ctx, balance="static-rr")
    ans(cli(admin, "add server be/dyn 127.0.0.1:1"),
       "Backend must use a dynamic load balancing to support dynamic servers.\n\n", "static-rr backend")


# ------------------------------------------------------------- counters ----

def test_clear_counters(ctx):
    px, apps, admin, user, op = _lab(ctx)
    _spread(px.port, 6)
    eq(_stat(admin, "be", "s1", "stot"), "3", "s1 sessions before")
    eq(cli(op, "clear counters"), "\n", "operator may clear the maxima")
    eq(_stat(admin, "be", "s1", "stot"), "3", "totals kept by 'clear counters'")
    eq(cli(op, "clear counters all"), "Permission denied\n\n", "operator may not clear all")
    eq(cli(admin, "clear counters all"), "\n", "clear counters all")
    eq(_stat(admin, "be", "s1", "stot"), "0", "s1 sessions after")
    eq(_stat(admin, "fe", "FRONTEND", "req_tot"), "0", "frontend requests after")
    _spread(px.port, 2)
    eq(_stat(admin, "be", "BACKEND", "stot"), "2", "counting again")


# ------------------------------------------------ levels and the socket ----

def test_levels_and_socket_modes(ctx):
    px, apps, admin, user, op = _lab(ctx)
    eq(stat.S_IMODE(os.stat(admin).st_mode), 0o600, "mode of the admin socket")
    eq(stat.S_IMODE(os.stat(user).st_mode), 0o666, "mode of the user socket")
    check(stat.S_ISSOCK(os.stat(admin).st_mode), "the admin socket is a socket")
    for line in ("set server be/s1 state maint", "disable server be/s1", "set weight be/s1 0",
                 "add server be/x 127.0.0.1:1", "del server be/s1", "disable health be/s1", "clear counters"):
        eq(cli(user, line), "Permission denied\n\n", "user: " + line)
    for line in ("set server be/s1 state maint", "disable server be/s1", "set weight be/s1 0",
                 "add server be/x 127.0.0.1:1", "clear counters all"):
        eq(cli(op, line), "Permission denied\n\n", "operator: " + line)
    eq(_stat(user, "be", "s1", "status"), "no check", "nothing changed")
    eq(cli(user, "show cli level"), "user\n\n", "user level")
    eq(cli(op, "show cli level"), "operator\n\n", "operator level (TCP socket)")
    eq(cli(admin, "show cli level;operator;show cli level;set server be/s1 state maint"),
       "admin\n\n\noperator\n\nPermission denied\n\n", "a session lowers its own level")


def test_interactive_prompt_and_timeouts(ctx):
    admin = _proxy_with_socket(ctx, "stats timeout 500ms")
    p = Prompt(admin)
    eq(p.cmd("show backend"), "# name\nbe\n\n", "interactive answer")
    if not is_haproxy():   # HAProxy -db does not apply it to interactive sessions
        t0 = time.time()
        check(p.closed_within(3), "idle interactive session closed by `stats timeout`")
        check(time.time() - t0 > 0.3, "closed after the timeout, not at once")
    p.close()
    p = Prompt(admin)
    eq(p.cmd("get weight be/s1;show cli level", 2), "1 (initial 1)\n\n> admin\n\n", "two commands, two prompts")
    eq(p.cmd("set timeout cli 5"), "\n", "set timeout cli")
    time.sleep(1.0)
    eq(p.cmd("show cli level"), "admin\n\n", "still open after 1s with a 5s timeout")
    p.s.sendall(b"quit\n")
    check(p.closed_within(3), "quit closes the session")
    p.close()
    p = Prompt(admin)
    p.s.sendall(b"prompt\n")
    check(p.closed_within(3, b"\n"), "prompt again leaves interactive mode, answers and closes")
    p.close()
    # several lines at once in non-interactive mode: the lines received
    # together are answered, then the session closes
    s = _connect(admin, 5)
    s.sendall(b"show cli level\nshow backend\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    eq(data, b"admin\n\n# name\nbe\n\n", "non-interactive: the lines sent together, then close")
    # a client that sends one line and keeps its side open gets one answer
    s = _connect(admin, 5)
    s.sendall(b"show cli level\n")
    eq(s.recv(100), b"admin\n\n", "one answer")
    s.settimeout(3)
    eq(s.recv(100), b"", "then the close")
    s.close()


def test_stats_maxconn(ctx):
    admin = _proxy_with_socket(ctx, "stats maxconn 2")
    p1, p2 = Prompt(admin), Prompt(admin)
    s = _connect(admin, 5)
    s.sendall(b"show cli level\n")
    s.settimeout(0.5)
    try:
        early = s.recv(100)
    except socket.timeout:
        early = None
    eq(early, None, "a third session waits while two are open")
    p1.s.sendall(b"quit\n")
    s.settimeout(5)
    eq(s.recv(100), b"admin\n\n", "it is served once one leaves")
    s.close()
    p1.close()
    p2.close()


def test_expose_fd_listeners(ctx):
    """`expose-fd listeners` is accepted (tandem's master already hands its
    listening sockets to each new worker, doc/lifecycle.md); any other
    expose-fd value is refused, as HAProxy does."""
    cfg = config(free_port(), [("s1", 1)], global_extra="stats socket %s expose-fd listeners" % ctx.path("x.sock"))
    rc, out, _ = ctx.check_config(cfg)
    eq(rc, 0, "expose-fd listeners accepted: %s" % out[-300:])
    cfg = config(free_port(), [("s1", 1)], global_extra="stats socket %s expose-fd all" % ctx.path("y.sock"))
    rc, out, _ = ctx.check_config(cfg, name="all")
    check(rc != 0 and "expose-fd" in out, "expose-fd all refused (rc %s): %s" % (rc, out[-300:]))


# ---------------------------------------------------------------- reload ----

def _worker_pid(admin):
    info = cli(admin, "show info")
    return int([l for l in info.splitlines() if l.startswith("Pid: ")][0][5:])


def test_socket_survives_reload(ctx):
    tandem_only("reload by SIGUSR2 to the master")
    px, apps, admin, user, op = _lab(ctx)
    ino, w1 = os.stat(admin).st_ino, _worker_pid(admin)
    with open(px.cfg_path) as f:
        text = f.read()
    with open(px.cfg_path, "w") as f:
        f.write(text.replace("%s mode 600" % admin, "%s mode 640" % admin))
    os.kill(px.pid, signal.SIGUSR2)
    w2 = poll_until(lambda: (lambda p: p if p != w1 else None)(_worker_pid(admin)), 10,
                    "the new worker answering on the same socket")
    check(w2 in proc_tree(px.pid), "the answering worker is a child of the master")
    eq(os.stat(admin).st_ino, ino, "the socket file was kept, not re-created")
    eq(stat.S_IMODE(os.stat(admin).st_mode), 0o640, "the new mode applies")
    eq(cli(admin, "set server be/s1 weight 2"), "\n", "commands work after the reload")
    eq(cli(user, "get weight be/s1"), "2 (initial 1)\n\n", "on both sockets")
    eq(cli(op, "show cli level"), "operator\n\n", "the TCP socket too")
    poll_until(lambda: w1 not in proc_tree(px.pid), 10, "the former worker gone")
    eq(_worker_pid(admin), w2, "still the new worker")


# ----------------------------------------------------------------- tools ----

def test_socat(ctx):
    check(shutil.which("socat"), "socat is not installed (tools/deps.sh test)")
    px, apps, admin, user, op = _lab(ctx)
    out = subprocess.run(["socat", "stdio", "UNIX-CONNECT:" + admin], input=b"show info;show backend\n",
                         capture_output=True, timeout=10).stdout.decode()
    check(out.startswith("Name: ") and out.endswith("\n\n# name\nbe\n\n"), "socat on the UNIX socket: %r" % out[-200:])
    out = subprocess.run(["socat", "stdio", "TCP:%s:%d" % op], input=b"show cli level\n",
                         capture_output=True, timeout=10).stdout.decode()
    eq(out, "operator\n\n", "socat on the TCP socket")
    out = subprocess.run(["socat", "stdio", "UNIX-CONNECT:" + admin], input=b"set server be/s1 state drain\n",
                         capture_output=True, timeout=10).stdout.decode()
    eq(out, "\n", "a change through socat")
    eq(_stat(admin, "be", "s1", "status"), "DRAIN", "applied")


class Tmux:
    """A private tmux server (its own socket name) running one program."""

    def __init__(self, ctx, argv, cols=160, rows=50):
        self.name = "tandem-%d" % os.getpid()
        self.base = ["tmux", "-L", self.name]
        env = dict(os.environ, TERM="xterm-256color")
        subprocess.run(self.base + ["new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows)] + argv,
                       check=True, env=env, timeout=10)

    def screen(self):
        return subprocess.run(self.base + ["capture-pane", "-p", "-t", "t"], capture_output=True,
                              timeout=10).stdout.decode(errors="replace")

    def keys(self, *keys):
        subprocess.run(self.base + ["send-keys", "-t", "t"] + list(keys), check=True, timeout=10)

    def kill(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True, timeout=10)


@timeout(90)
def test_hatop(ctx):
    for tool in ("hatop", "tmux"):
        check(shutil.which(tool), "%s is not installed (tools/deps.sh test)" % tool)
    px, apps, admin, user, op = _lab(ctx)
    tm = Tmux(ctx, ["hatop", "-s", admin, "-i", "1"])
    try:
        scr = poll_until(lambda: (lambda s: s if ">>> be" in s and "s2" in s else None)(tm.screen()), 15,
                         "hatop showing the backend")
        check("Version:" in scr and ">>> fe" in scr and "FRONTEND" in scr and "BACKEND" in scr,
              "hatop status screen:\n" + scr)
        if not is_haproxy():
            check("tandem" in scr, "hatop names the product:\n" + scr)
        # a change made elsewhere shows up at the next refresh
        eq(cli(admin, "set server be/s2 state maint"), "\n", "maint s2")
        poll_until(lambda: any("s2" in l and "MAINT" in l for l in tm.screen().splitlines()), 10,
                   "hatop showing s2 in MAINT")
        # hatop's embedded CLI (mode 5) sends commands through the same socket
        tm.keys("5")
        poll_until(lambda: "Welcome on the embedded interactive" in tm.screen(), 10, "hatop CLI mode")
        tm.keys("get weight be/s1", "Enter")
        poll_until(lambda: "1 (initial 1)" in tm.screen(), 10, "the answer in hatop's CLI")
        tm.keys("q")
    finally:
        tm.kill()


def _workers_of(px):
    return [p for p in proc_tree(px.pid) if p != px.pid]


def _reload(px):
    before = _workers_of(px)
    os.kill(px.pid, signal.SIGUSR2)
    poll_until(lambda: [p for p in _workers_of(px) if p not in before], 5, "a new worker after reload")
    poll_until(lambda: len(_workers_of(px)) == 1, 15, "the former worker gone")


@timeout(60)
def test_runtime_changes_survive_reload(ctx):
    """What the admin socket changed outlives a reload: a server added at run
    time, one deleted at run time, a drained server and a runtime weight."""
    tandem_only("reload handover of runtime changes")
    px, (a, b), admin, user, op = _lab(ctx, names=("A", "B"), be_extra="http-reuse never")
    c = ctx.app("C", extra=["--read-delay-ms", "0"])
    eq(cli(admin, "add server be/dyn 127.0.0.1:%d enabled" % c.port), "New server registered.\n\n", "add server")
    eq(cli(admin, "set server be/s2 state maint"), "\n", "s2 to maint")
    ans(cli(admin, "del server be/s2"), "Server deleted.\n\n", "del s2")
    eq(cli(admin, "set weight be/s1 3"), "\n", "runtime weight of s1")
    sp = _spread(px.port, 40)
    check(set(sp) == {"A", "C"} and 27 <= sp["A"] <= 33, "split 3:1 before the reload: %r" % sp)
    _reload(px)
    poll_until(lambda: os.path.exists(admin), 5, "the admin socket after reload")
    names = [l.split()[3] for l in cli(user, "show servers state be").splitlines()[2:] if l]
    eq(names, ["s1", "dyn"], "servers after the reload (dyn kept, s2 still deleted)")
    eq(cli(user, "get weight be/s1"), "3 (initial 1)\n\n", "runtime weight after the reload")
    sp = _spread(px.port, 40)
    check(set(sp) == {"A", "C"} and 27 <= sp["A"] <= 33, "split 3:1 after the reload: %r" % sp)
    check("kept across the reload" in px.logs(), "the re-created server must be logged")


def _long_words(port):
    """`add server` words of more than 1 KiB in at most 61 words (the
    runtime API takes 64 with "add server B/S"): the address, keyword
    pairs with long (zero-padded) values, then settings that `show stat`
    and `show servers state` make visible, past any short limit."""
    kws = ("inter", "rise", "fall", "error-limit", "slowstart", "fastinter")
    words = ["127.0.0.1:%d" % port]
    for i in range(22):
        words += [kws[i % len(kws)], "%040d" % (2 + i)]
    words += ["weight", "7", "maxconn", "13", "id", "42", "enabled"]
    return words


def _state_line(admin, be, srv):
    """The `show servers state` line of <be>/<srv>, without the columns that
    move by themselves (time since the last change)."""
    for line in cli(admin, "show servers state %s" % be).splitlines()[2:]:
        f = line.split()
        if len(f) > 9 and f[3] == srv:
            return f[:9] + f[10:]
    return None


@timeout(120)
def test_dynamic_server_long_words_survive_reloads(ctx):
    """A server added at run time with a 100-character name and more than
    1 KiB of words comes back from three reloads unchanged: same settings,
    same counters (keyed by its whole name)."""
    tandem_only("reload handover of dynamic servers")
    px, (a, b), admin, user, op = _lab(ctx, names=("A", "B"), be_extra="http-reuse never")
    name = "dyn-" + "n" * 96
    words = _long_words(b.port)
    check(len(" ".join(words)) > 1024 and len(words) <= 61, "the words: %d bytes, %d words"
          % (len(" ".join(words)), len(words)))
    eq(cli(admin, "add server be/%s %s" % (name, " ".join(words))), "New server registered.\n\n", "add server")
    for s in ("s1", "s2"):
        eq(cli(admin, "set server be/%s state maint" % s), "\n", s + " to maint")
    before = _state_line(admin, "be", name)
    check(before and before[2] == "42" and before[7:9] == ["7", "7"] and before[6] == "0",
          "id 42, weight 7, not in maintenance: %r" % before)
    eq(_stat(admin, "be", name, "slim"), "13", "maxconn")
    eq(_spread(px.port, 5), {"B": 5}, "traffic to the dynamic server")
    eq(_stat(admin, "be", name, "stot"), "5", "its sessions")
    for r in range(1, 4):
        _reload(px)
        poll_until(lambda: os.path.exists(admin), 5, "the admin socket after reload %d" % r)
        eq(_state_line(admin, "be", name), before, "show servers state after reload %d" % r)
        eq(_stat(admin, "be", name, "slim"), "13", "maxconn after reload %d" % r)
        eq(cli(user, "get weight be/%s" % name), "7 (initial 7)\n\n", "weight after reload %d" % r)
        eq(_stat(admin, "be", name, "stot"), str(4 + r), "counters continue after reload %d" % r)
        eq(_spread(px.port, 1), {"B": 1}, "traffic after reload %d" % r)
    eq(px.logs().count("added at run time is kept across the reload"), 3, "one re-creation per reload")


@timeout(60)
def test_long_names_key_counters(ctx):
    """Proxy and server names longer than 64 characters key their counters
    exactly: two servers whose names share 79 characters keep their own
    counters, and both continue after a reload."""
    tandem_only("counters kept across reloads")
    a = ctx.app("A", extra=["--read-delay-ms", "0"])
    admin = ctx.path("admin.sock")
    be = "backend-" + "b" * 82
    s_a, s_b = "x" * 79 + "a", "x" * 79 + "b"
    port = free_port()
    ctx_px = ctx.proxy(config(port, [(s_a, a.port), (s_b, a.port, "disabled")], be_name=be,
                              global_extra="stats socket %s level admin" % admin))
    poll_until(lambda: os.path.exists(admin), 5, "the admin socket file")
    eq(_spread(port, 6), {"A": 6}, "traffic")
    eq((_stat(admin, be, s_a, "stot"), _stat(admin, be, s_b, "stot")), ("6", "0"), "each server's sessions")
    _reload(ctx_px)
    poll_until(lambda: os.path.exists(admin), 5, "the admin socket after reload")
    eq(_spread(port, 4), {"A": 4}, "traffic after the reload")
    eq((_stat(admin, be, s_a, "stot"), _stat(admin, be, s_b, "stot")), ("10", "0"),
       "each server's sessions after the reload")
    eq(_stat(admin, be, "BACKEND", "stot"), "10", "the backend's sessions after the reload")


@timeout(60)
def test_reload_command(ctx):
    """`reload` on the admin socket: the master checks the configuration and
    the command answers Success=1, or Success=0 with the error (the old
    configuration keeps serving); a drained server stays drained."""
    tandem_only("reload on the admin socket")
    px, (a, b), admin, user, op = _lab(ctx, names=("A", "B"))
    eq(cli(admin, "set server be/s2 state drain"), "\n", "drain s2")
    out = cli(admin, "reload", tmo=20)
    check(out.startswith("Success=1\n--\n"), "reload answer: %r" % out)
    poll_until(lambda: len(_workers_of(px)) == 1, 15, "the former worker gone")
    poll_until(lambda: os.path.exists(admin), 5, "the admin socket after reload")
    eq(_stat(admin, "be", "s2", "status"), "DRAIN", "s2 still drained after the reload")
    eq(_spread(px.port, 6), {"A": 6}, "a drained server gets no request after the reload")
    with open(px.cfg_path, "a") as f:
        f.write("    bogus-keyword\n")
    out = cli(admin, "reload", tmo=20)
    check(out.startswith("Success=0\n--\n") and "bogus-keyword" in out, "failed reload answer: %r" % out)
    eq(_spread(px.port, 4), {"A": 4}, "the old configuration still serves")
    check("level admin" in open(px.cfg_path).read(), "sanity")
    eq(cli(user, "reload"), "Permission denied\n\n", "reload needs level admin")
