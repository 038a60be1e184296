"""Health checks with real processes: a killed server goes DOWN with
HAProxy's log line and comes back UP after a restart within rise x inter; a
zombie (/health 503) goes DOWN within fall x inter; init-state; http-check
and tcp-check expectations; slowstart weights; nginx's max-fails and
fail-timeout; observe layer7 with error-limit; tandem's immediate rule for
refused connections on live traffic; max-ejected-percent.

Every wait polls the proxy's log or its stats CSV against a deadline."""
import os
import re
import signal
import sys
import time

from harness import (BIN_DIR, Deadline, TestFailure, check, config, eq, free_port, http, is_haproxy,
                     poll_until, tandem_only, timeout, wait_port)

INTER = 0.2   # seconds, the `inter` most tests use
# HAProxy before 3.1 has no init-state and starts servers UP (tandem: DOWN)
INIT_UP = "" if is_haproxy() else " init-state up"


# ------------------------------------------------------------ helpers ----

def _app_on(ctx, name, port, tag=None):
    """Start tandem-app <name> on a given port (to restart a killed one)."""
    argv = [os.path.join(BIN_DIR, "tandem-app"), "--name", name, "--listen", "127.0.0.1:%d" % port,
            "--quiet", "--drain-ms", "0"]
    p = ctx.spawn("app-" + (tag or name), argv)
    wait_port(port, 10, p)
    return p


def _fault(app_port, mode):
    r = http(app_port, "GET", "/admin/fault?mode=" + mode)
    eq(r.status, 200, "fault %s on port %d" % (mode, app_port))


def _health_count(app_port):
    """How many /health requests the app received (its checks)."""
    r = http(app_port, "GET", "/admin/stats")
    m = re.search(rb'"/health":(\d+)', r.body)
    check(m, "no /health counter in %r" % r.body[:200])
    return int(m.group(1))


def _proxy(ctx, servers, be_extra="", defaults_extra="", nbthread=1, stats=True, extra_sections=""):
    """A proxy in front of <servers> [(name, port, opts)], with a stats
    listener. Returns (proxy, stats_port)."""
    fe = free_port()
    sp = free_port() if stats else None
    sections = extra_sections
    if stats:
        sections += "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % sp
    cfg = config(fe, servers, be_extra=be_extra, defaults_extra=defaults_extra, nbthread=nbthread,
                 extra_sections=sections)
    return ctx.proxy(cfg), sp


def _csv(stats_port):
    """{(pxname, svname): {column: value}} from the stats CSV."""
    r = http(stats_port, "GET", "/stats;csv")
    eq(r.status, 200, "stats CSV status")
    lines = r.body.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    out = {}
    for line in lines[1:]:
        if not line:
            continue
        cells = line.split(",")
        row = dict(zip(head, cells))
        out[(row["pxname"], row["svname"])] = row
    return out


def _row(stats_port, srv, be="be"):
    return _csv(stats_port)[(be, srv)]


def _wait_log(px, pattern, seconds, what=None, since=0):
    """Wait until the proxy's output from offset <since> on matches
    <pattern> (regex); returns the match."""
    rx = re.compile(pattern)
    try:
        return poll_until(lambda: rx.search(px.logs()[since:]), seconds, what or pattern)
    except TestFailure:
        raise TestFailure("timed out after %.1fs waiting for log %r; proxy output:\n%s"
                          % (seconds, what or pattern, px.logs()[-3000:]))


def _wait_chk(sp, be, srv, status, code=None, up=True, seconds=5):
    """Wait until server <be>/<srv> shows check_status <status> (and
    check_code <code>) and is UP in the stats CSV. A server that starts UP
    (HAProxy) logs nothing, so success is read there."""
    def ok():
        row = _csv(sp).get((be, srv))
        return (row and row["check_status"].lstrip("* ") == status and
                (code is None or row["check_code"] == str(code)) and
                (not up or row["status"].startswith("UP")))
    try:
        poll_until(ok, seconds, "%s/%s %s" % (be, srv, status))
    except TestFailure:
        raise TestFailure("timed out waiting for %s/%s check_status %s code %s UP; row: %r"
                          % (be, srv, status, code, _csv(sp).get((be, srv))))


def _up_line(be, srv, reason, act):
    return (r"\[WARNING\]  \(\d+\) : Server %s/%s is UP, reason: %s, check duration: \d+ms\. "
            r"%d active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\."
            % (be, srv, reason, act))


def _down_line(be, srv, reason, act):
    return (r"\[WARNING\]  \(\d+\) : Server %s/%s is DOWN, reason: %s(, check duration: \d+ms)?\. "
            r"%d active and 0 backup servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\."
            % (be, srv, reason, act))


def _node(r):
    return r.body.decode("latin-1").strip().replace("NODE_", "")


# --------------------------------------------------------------- tests ----

@timeout(90)
def test_killed_server_down_then_up_after_restart(ctx):
    """SIGKILL: DOWN with HAProxy's Layer4 phrase after fall checks; back UP
    within rise x inter once restarted; traffic avoids it meanwhile."""
    tandem_only("init-state down is tandem's default")
    a, b = ctx.app("A"), ctx.app("B")
    opts = "check inter %dms rise 2 fall 3" % (INTER * 1000)
    px, _ = _proxy(ctx, [("s1", a.port, opts), ("s2", b.port, opts)],
                   be_extra="option httpchk GET /health", nbthread=2)
    _wait_log(px, r"Server be/s1 is UP, reason: Layer7 check passed, code: 200", 5, "s1 UP")
    _wait_log(px, r"Server be/s2 is UP", 5)
    mark = len(px.logs())
    b.proc.signal(signal.SIGKILL)
    b.proc.wait(5)
    t0 = time.monotonic()
    _wait_log(px, _down_line("be", "s2", r'Layer4 connection problem, info: "Connection refused"', 1),
              3 * INTER * 1.2 + 3, "s2 DOWN with the Layer4 phrase", since=mark)
    seen = [_node(http(px.port, "GET", "/")) for _ in range(10)]
    eq(seen, ["A"] * 10, "requests after s2 went DOWN")
    down_after = time.monotonic() - t0
    check(down_after < 3 * INTER * 1.1 + 2, "DOWN took %.2fs" % down_after)

    mark = len(px.logs())
    _app_on(ctx, "B", b.port, tag="B2")
    t1 = time.monotonic()
    _wait_log(px, _up_line("be", "s2", r"Layer7 check passed, code: 200", 2), 2 * INTER * 1.1 + 3, "s2 UP again",
              since=mark)
    up_after = time.monotonic() - t1
    check(up_after <= 2 * INTER * 1.1 + 0.5, "UP after restart took %.2fs, want <= rise x inter" % up_after)
    seen = {_node(http(px.port, "GET", "/")) for _ in range(10)}
    eq(seen, {"A", "B"}, "both servers serve again")


@timeout(60)
def test_zombie_down_within_fall_and_alert(ctx):
    """/health 503: UP 2/3, UP 1/3, then DOWN with Layer7 wrong status; the
    last server going adds HAProxy's alert; the fault off brings it back."""
    a = ctx.app("A")
    inter = 0.4
    px, sp = _proxy(ctx, [("s1", a.port, "check inter %dms%s" % (inter * 1000, INIT_UP))],
                    be_extra="option httpchk GET /health")
    poll_until(lambda: _row(sp, "s1")["check_status"] == "L7OK", 5, "first check L7OK")
    row = _row(sp, "s1")
    eq((row["check_code"], row["check_rise"], row["check_fall"], row["check_health"], row["status"]),
       ("200", "2", "3", "4", "UP"), "check columns of a healthy server")
    _fault(a.port, "zombie")
    t0 = time.monotonic()
    poll_until(lambda: _row(sp, "s1")["status"] in ("UP 2/3", "UP 1/3"), 3, "transitional UP x/3 status")
    _wait_log(px, _down_line("be", "s1", r'Layer7 wrong status, code: 503, info: "Service Unavailable"', 0),
              3 * inter * 1.2 + 3, "zombie DOWN")
    check(time.monotonic() - t0 <= 3 * inter * 1.1 + 1.0, "zombie DOWN took more than fall x inter")
    _wait_log(px, r"\[ALERT\]    \(\d+\) : backend 'be' has no server available!", 2, "no server alert")
    row = _row(sp, "s1")
    eq((row["status"], row["check_status"], row["check_code"]), ("DOWN", "L7STS", "503"), "DOWN row")
    check(int(row["chkfail"]) >= 3 and row["chkdown"] == "1", "chkfail/chkdown: %r" % row)
    eq(_row(sp, "BACKEND")["chkdown"], "1", "backend chkdown")
    eq(http(px.port, "GET", "/").status, 503, "no server: 503")
    mark = len(px.logs())
    _fault(a.port, "off")
    _wait_log(px, _up_line("be", "s1", r"Layer7 check passed, code: 200", 1), 2 * inter * 1.2 + 3, "UP again",
              since=mark)
    eq(http(px.port, "GET", "/").status, 200, "served again")


@timeout(60)
def test_init_state(ctx):
    """The number of checks a server needs to change state, counted by the
    app: down (tandem's default) and fully-down need 1 and rise; up and
    fully-up go DOWN after 1 and fall failures."""
    tandem_only("init-state appeared in HAProxy 3.1")
    apps = {n: ctx.app(n) for n in ("D", "FD", "U", "FU", "Z")}
    for n in ("U", "FU", "Z"):
        _fault(apps[n].port, "zombie")
    opts = "check inter 1s rise 2 fall 3"
    servers = [("d", apps["D"].port, opts), ("fd", apps["FD"].port, opts + " init-state fully-down"),
               ("u", apps["U"].port, opts + " init-state up"), ("fu", apps["FU"].port, opts + " init-state fully-up"),
               ("z", apps["Z"].port, opts)]
    px, sp = _proxy(ctx, servers, be_extra="option httpchk GET /health")
    _wait_log(px, r"Server be/d is UP", 4)
    eq(_health_count(apps["D"].port), 1, "down: checks before UP")
    _wait_log(px, r"Server be/u is DOWN", 4)
    eq(_health_count(apps["U"].port), 1, "up: checks before DOWN")
    _wait_log(px, r"Server be/fd is UP", 6)
    eq(_health_count(apps["FD"].port), 2, "fully-down: checks before UP (rise)")
    _wait_log(px, r"Server be/fu is DOWN", 8)
    eq(_health_count(apps["FU"].port), 3, "fully-down: checks before DOWN (fall)")
    check(not re.search(r"Server be/z is (UP|DOWN)", px.logs()), "a server that starts DOWN and stays so logs nothing")
    eq(_row(sp, "z")["status"], "DOWN", "z stays DOWN")


@timeout(60)
def test_http_check_expect(ctx):
    """http-check send/expect forms and their HAProxy statuses."""
    a = ctx.app("A")
    z = ctx.app("Z")
    _fault(z.port, "zombie")
    up = "check inter 300ms"
    fail = "check inter 300ms fall 1" + INIT_UP
    backends = [
        ("b_status", "option httpchk GET /status?code=204\n    http-check expect status 200", a, fail),
        ("b_list", "option httpchk GET /status?code=302\n    http-check expect status 200,300-303", a, up),
        ("b_rstatus", "option httpchk GET /status?code=302\n    http-check expect rstatus ^2", a, fail),
        ("b_string", "option httpchk GET /health\n    http-check expect string OK", a, up),
        ("b_nostring", "option httpchk GET /health\n    http-check expect string NOPE", a, fail),
        ("b_rstring", "option httpchk GET /\n    http-check expect rstring ^NODE_[A-Z]+$", a, up),
        ("b_neg", "option httpchk GET /health\n    http-check expect ! string SICK", z, fail),
        ("b_send", "option httpchk\n    http-check send meth GET uri /health ver HTTP/1.1 hdr Host check.local", a, up),
        ("b_oldform", "option httpchk GET /health HTTP/1.1\\r\\nHost:\\ check.local", a, up),
        ("b_default", "option httpchk GET /status?code=404", a, fail),
    ]
    extra = ""
    for name, rules, app, opts in backends:
        extra += "backend %s\n    %s\n    server s 127.0.0.1:%d %s\n" % (name, rules, app.port, opts)
    px, sp = _proxy(ctx, [("s1", a.port)], extra_sections=extra)
    w = 5
    _wait_log(px, _down_line("b_status", "s", r'Layer7 wrong status, code: 204, info: "No Content"', 0), w)
    _wait_chk(sp, "b_list", "s", "L7OK", 302)
    _wait_log(px, _down_line("b_rstatus", "s", r'Layer7 wrong status, code: 302, info: "Found"', 0), w)
    _wait_chk(sp, "b_string", "s", "L7OK", 200)
    _wait_log(px, _down_line("b_nostring", "s", r'Layer7 invalid response, info: "HTTP content check did not match"', 0), w)
    _wait_chk(sp, "b_rstring", "s", "L7OK", 200)
    _wait_log(px, _down_line("b_neg", "s", r'Layer7 invalid response, info: "HTTP check matched unwanted content"', 0), w)
    _wait_chk(sp, "b_send", "s", "L7OK", 200)
    _wait_chk(sp, "b_oldform", "s", "L7OK", 200)
    _wait_log(px, _down_line("b_default", "s", r'Layer7 wrong status, code: 404, info: "Not Found"', 0), w)
    if not is_haproxy():
        _wait_log(px, _up_line("b_send", "s", r"Layer7 check passed, code: 200", 1), w)


@timeout(60)
def test_tcp_check(ctx):
    """option tcp-check rules, plain layer 4 checks and `port`."""
    a = ctx.app("A")
    closed = free_port()
    req = r'"GET /health HTTP/1.0\r\n\r\n"'
    hexreq = "".join("%02x" % c for c in b"GET /health HTTP/1.0\r\n\r\n")
    up = "check inter 300ms"
    fail = "check inter 300ms fall 1" + INIT_UP
    backends = [
        ("t_string", "option tcp-check\n    tcp-check send %s\n    tcp-check expect string \"200 OK\"" % req, a.port, up),
        ("t_rstring", "option tcp-check\n    tcp-check send %s\n    tcp-check expect rstring \"^HTTP/1\\.[01] 200\"" % req, a.port, up),
        ("t_binary", "option tcp-check\n    tcp-check send-binary %s\n    tcp-check expect binary 4f4b" % hexreq, a.port, up),
        ("t_nomatch", "option tcp-check\n    tcp-check send %s\n    tcp-check expect string XYZ" % req, a.port, fail),
        ("t_port", "option tcp-check\n    tcp-check connect port %d\n    tcp-check send %s\n"
                   "    tcp-check expect string OK" % (a.port, req), closed, up),
        ("t_refused", "option tcp-check\n    tcp-check send %s" % req, closed, fail),
        ("t_l4", "", a.port, up),
        ("t_l4port", "", closed, up + " port %d" % a.port),
    ]
    extra = ""
    for name, rules, port, opts in backends:
        extra += "backend %s\n    %s\n    server s 127.0.0.1:%d %s\n" % (name, rules, port, opts)
    px, sp = _proxy(ctx, [("s1", a.port)], extra_sections=extra)
    w = 5
    for be in ("t_string", "t_rstring", "t_binary", "t_port"):
        _wait_chk(sp, be, "s", "L7OK")
    _wait_log(px, _down_line("t_nomatch", "s", r"Layer7 invalid response, info: \"TCPCHK did not match content 'XYZ' at step 2\"", 0), w)
    _wait_log(px, _down_line("t_refused", "s", r'Layer4 connection problem, info: "Connection refused at initial connection step of tcp-check"', 0), w)
    _wait_chk(sp, "t_l4", "s", "L4OK")
    _wait_chk(sp, "t_l4port", "s", "L4OK")
    if not is_haproxy():   # servers start DOWN in tandem: the UP lines show
        _wait_log(px, _up_line("t_string", "s", r'Layer7 check passed, code: 0, info: "\(tcp-check\)"', 1), w)
        _wait_log(px, _up_line("t_l4", "s", r"Layer4 check passed", 1), w)


def _unanswered_port(ctx):
    """A port whose accept queue is full: connections to it hang (SYNs are
    dropped), which is how a layer 4 timeout looks. Closed at cleanup."""
    import socket
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    held = [lst]
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(lst.getsockname())
        except BlockingIOError:
            pass
        held.append(c)
    ctx.held_sockets = held   # kept open until the test ends
    return lst.getsockname()[1]


@timeout(60)
def test_connect_timeout_l4tout(ctx):
    """A connect that never completes: Layer4 timeout after `inter` without
    `timeout check`, after min(timeout connect, inter) with it."""
    port = _unanswered_port(ctx)
    a = ctx.app("A")
    extra = ("backend plain\n    server s 127.0.0.1:%d check inter 400ms fall 1%s\n"
             "backend withcheck\n    timeout connect 150ms\n    timeout check 2s\n"
             "    server s 127.0.0.1:%d check inter 1s fall 1%s\n" % (port, INIT_UP, port, INIT_UP))
    px, _ = _proxy(ctx, [("s1", a.port)], extra_sections=extra)
    m1 = _wait_log(px, _down_line("plain", "s", r"Layer4 timeout, check duration: (\d+)ms", 0).replace(
        r"(, check duration: \d+ms)?", ""), 5)
    m2 = _wait_log(px, _down_line("withcheck", "s", r"Layer4 timeout, check duration: (\d+)ms", 0).replace(
        r"(, check duration: \d+ms)?", ""), 5)
    d1, d2 = int(m1.group(1)), int(m2.group(1))
    check(350 <= d1 <= 900, "without timeout check the connect may take inter (400ms): %dms" % d1)
    check(100 <= d2 <= 600, "with timeout check, connect is bounded by timeout connect (150ms): %dms" % d2)


@timeout(60)
def test_slowstart_weight_ramp(ctx):
    """After a recovery the weight ramps from ~1 to the configured weight
    over `slowstart`; the first UP after start does not ramp."""
    tandem_only("stats weight sampling of tandem's ramp")
    a, b = ctx.app("A"), ctx.app("B")
    opts = "check inter 100ms rise 1 fall 1 weight 100 slowstart 3s"
    px, sp = _proxy(ctx, [("s1", a.port, opts), ("s2", b.port, opts)], be_extra="option httpchk GET /health")
    _wait_log(px, r"Server be/s2 is UP", 5)
    eq(_row(sp, "s2")["weight"], "100", "no ramp on the first UP")
    _fault(b.port, "zombie")
    _wait_log(px, r"Server be/s2 is DOWN", 3)
    mark = len(px.logs())
    _fault(b.port, "off")
    _wait_log(px, r"Server be/s2 is UP", 3, "s2 UP again", since=mark)
    t0 = time.monotonic()
    samples = []
    dl = Deadline(6)
    while not dl.expired():
        w = int(_row(sp, "s2")["weight"])
        samples.append((round(time.monotonic() - t0, 2), w))
        if w == 100:
            break
        time.sleep(0.1)
    ctx.note("weight samples: %r" % samples)
    check(samples[0][1] <= 40, "weight right after UP is %d, want a low start" % samples[0][1])
    ws = [w for _, w in samples]
    check(ws == sorted(ws), "weights never decrease: %r" % samples)
    check(ws[-1] == 100, "weight reaches 100: %r" % samples)
    check(samples[-1][0] >= 1.5, "ramp lasted %.2fs, want about 3s" % samples[-1][0])
    check(len(set(ws)) >= 4, "at least 4 distinct steps: %r" % samples)


@timeout(60)
def test_max_fails_fail_timeout(ctx):
    """nginx's max-fails/fail-timeout on a server without `check`: after
    max-fails failed requests it is out for fail-timeout, then back."""
    tandem_only("max-fails/fail-timeout are tandem extensions (nginx's)")
    a, b = ctx.app("A"), ctx.app("B")
    px, sp = _proxy(ctx, [("s1", a.port), ("s2", b.port, "max-fails 2 fail-timeout 2s")],
                    be_extra="retries 0\n    balance roundrobin")
    _fault(b.port, "reset")
    for _ in range(6):
        http(px.port, "GET", "/")
    m = _wait_log(px, r"Server be/s2 is DOWN, reason: Health analyze, info: \"2 failures with max-fails 2 and "
                      r"fail-timeout 2000ms, last one was: [^\"]+\"\. 1 active", 3, "max-fails ejection")
    t0 = time.monotonic()
    _fault(b.port, "off")
    seen = [_node(http(px.port, "GET", "/")) for _ in range(6)]
    eq(seen, ["A"] * 6, "s2 out of rotation during fail-timeout")
    _wait_log(px, r'Server be/s2 is UP, reason: Health analyze, info: "fail-timeout expired, back in rotation"', 4)
    back = time.monotonic() - t0
    check(1.5 <= back <= 3.0, "back after %.2fs, want fail-timeout (2s)" % back)
    seen = {_node(http(px.port, "GET", "/")) for _ in range(6)}
    eq(seen, {"A", "B"}, "s2 serves again")
    check(m is not None, "ejection logged")


@timeout(60)
def test_observe_layer7_error_limit(ctx):
    """observe layer7 + error-limit 3 + on-error mark-down: three 500s on
    live traffic take the server down; its checks bring it back."""
    a, b = ctx.app("A"), ctx.app("B")
    opts = "check inter 300ms rise 2 observe layer7 error-limit 3 on-error mark-down"
    px, sp = _proxy(ctx, [("s1", a.port, opts), ("s2", b.port, opts)],
                    be_extra="option httpchk GET /health\n    retries 0")
    _wait_chk(sp, "be", "s1", "L7OK", 200)
    _wait_chk(sp, "be", "s2", "L7OK", 200)
    _fault(b.port, "error500")    # /health still answers 200
    for _ in range(8):
        http(px.port, "GET", "/")
    _wait_log(px, _down_line("be", "s2", r'Health analyze, info: "Detected 3 consecutive errors, last one was: '
                             r'Wrong http response"', 1), 3, "observe DOWN")
    mark = len(px.logs())
    _fault(b.port, "off")
    _wait_log(px, r"Server be/s2 is UP", 4, "checks bring it back", since=mark)


@timeout(60)
def test_refused_on_live_traffic_immediate(ctx):
    """tandem's rule: a checked server whose connection is refused on live
    traffic leaves rotation at once, long before its next check."""
    tandem_only("tandem's immediate passive rule")
    a, b = ctx.app("A"), ctx.app("B")
    opts = "check inter 20s"
    px, _ = _proxy(ctx, [("s1", a.port, opts), ("s2", b.port, opts)])
    _wait_log(px, r"Server be/s2 is UP", 3)
    _wait_log(px, r"Server be/s1 is UP", 3)
    b.proc.signal(signal.SIGKILL)
    b.proc.wait(5)
    t0 = time.monotonic()
    for _ in range(4):
        http(px.port, "GET", "/")
    _wait_log(px, _down_line("be", "s2", r'Health analyze, info: "L4 unsuccessful connection on live traffic"', 1), 2)
    check(time.monotonic() - t0 < 2, "passive DOWN was not immediate")
    seen = [_node(http(px.port, "GET", "/")) for _ in range(6)]
    eq(seen, ["A"] * 6, "after the passive DOWN")


@timeout(60)
def test_max_ejected_percent(ctx):
    """Passive ejection never takes more than max-ejected-percent of the
    servers out: with 2 servers and the default 50, the second refused
    server stays in until its active checks take it down."""
    tandem_only("max-ejected-percent is a tandem extension")
    a, b = ctx.app("A"), ctx.app("B")
    opts = "check inter 3s fall 1"
    px, _ = _proxy(ctx, [("s1", a.port, opts), ("s2", b.port, opts)], be_extra="retries 0")
    _wait_log(px, r"Server be/s2 is UP", 3)
    _wait_log(px, r"Server be/s1 is UP", 3)
    for app in (a, b):
        app.proc.signal(signal.SIGKILL)
        app.proc.wait(5)
    for _ in range(6):
        http(px.port, "GET", "/")
    _wait_log(px, r"is DOWN, reason: Health analyze", 2, "one passive DOWN")
    _wait_log(px, r"\[NOTICE\]   \(\d+\) : Server be/s\d is not taken out of rotation: max-ejected-percent 50 reached", 2)
    eq(len(re.findall(r"is DOWN, reason: Health analyze", px.logs())), 1, "passive DOWNs")
    _wait_log(px, r'is DOWN, reason: Layer4 connection problem, info: "Connection refused"', 6,
              "active checks still take the second one down")


def test_config_keywords(ctx):
    """Every keyword parses; wrong values name the keyword."""
    tandem_only("tandem's keyword set and messages")
    fe = free_port()
    good = config(fe, [("s1", free_port(), "check inter 2s fastinter 500ms downinter 5s rise 3 fall 2 port 8080 "
                                         "addr 127.0.0.1 slowstart 10s init-state fully-up observe layer7 "
                                         "error-limit 5 on-error sudden-death max-fails 3 fail-timeout 30s")],
                  defaults_extra="default-server inter 1s\n    timeout check 2s",
                  be_extra="option httpchk GET /health HTTP/1.1\\r\\nHost:\\ x\n    http-check send hdr X-A b\n"
                           "    http-check expect status 200-299\n    max-ejected-percent 30",
                  global_extra="spread-checks 5")
    rc, out, _ = ctx.check_config(good)
    eq(rc, 0, "valid config: %s" % out)
    bad = [
        ("server s1 127.0.0.1:1 check inter 0", "invalid value 0 for argument 'inter' of server s1."),
        ("server s1 127.0.0.1:1 init-state sideways", "'init-state' expects one of 'fully-up', 'up', 'down', or 'fully-down' but got 'sideways'."),
        ("server s1 127.0.0.1:1 on-error explode", "'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got 'explode'."),
        ("server s1 127.0.0.1:1 check-via-socks4", "'check-via-socks4' is not supported by tandem"),
        ("http-check expect status abc", "invalid status codes 'abc'"),
        ("http-check expect rstring (", "invalid regex '('"),
        ("tcp-check expect binary 4", "invalid hexadecimal string '4'"),
        ("http-check expect status 200 on-success x", "'http-check expect': option 'on-success' is not supported yet."),
        ("max-ejected-percent 101", "'max-ejected-percent' expects an integer between 0 and 100"),
    ]
    for i, (line, msg) in enumerate(bad):
        cfg = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend b\n    %s\n" % line
        rc, out, _ = ctx.check_config(cfg, name="bad%d" % i)
        check(rc != 0 and msg in out, "%r: rc %d, want message %r in:\n%s" % (line, rc, msg, out))
    rc, out, _ = ctx.check_config("defaults\n    mode tcp\nbackend b\n    server s1 127.0.0.1:1 check observe layer7\n",
                                  name="l7tcp")
    check(rc != 0 and "'observe layer7' can only be used in http proxies." in out, "observe layer7 in tcp mode: %s" % out)


if __name__ == "__main__":
    sys.exit("run through tests/integ/run.py")
