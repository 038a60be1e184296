"""The history tandem keeps in its shared memory, without a browser
(tests/integ/test_dashboard.py drives the page): the JSON export's
?history=SECONDS (per-second samples, state changes), `show state-changes`
on the admin socket, that both survive a worker crash and a reload; the CSV
rate columns (HAProxy's rate, rate_max, req_rate, conn_rate...; the same test
passes against HAProxy); and the passive health shown as a circuit breaker
(closed, open, half-open) in the CSV, the JSON and /metrics."""
import os
import signal
import threading
import time

from harness import (BIN_DIR, Client, TestFailure, check, config, eq, free_port, http, parse_json, poll_until,
                     proc_tree, tandem_only, timeout, wait_port)
from test_admin import cli


class Traffic:
    """Client threads sending GET / on new connections (so sessions,
    connections and requests all move) at a bounded pace, until stopped."""

    def __init__(self, port, threads=2, pause=0.02, limit_s=60):
        self.port, self.pause, self.limit = port, pause, time.time() + limit_s
        self.ok = self.bad = 0
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _run(self):
        while not self.stop_ev.is_set() and time.time() < self.limit:
            try:
                r = http(self.port, "GET", "/", timeout=5)
                with self.lock:
                    if r.status == 200:
                        self.ok += 1
                    else:
                        self.bad += 1
            except Exception:  # noqa: BLE001 - a refused or cut request counts as bad
                with self.lock:
                    self.bad += 1
            self.stop_ev.wait(self.pause)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(10)


def _csv(admin):
    """`show stat` as {(pxname, svname): {column: value}}."""
    out = cli(admin, "show stat")
    lines = [l for l in out.splitlines() if l]
    head = lines[0][2:].split(",")
    rows = {}
    for l in lines[1:]:
        f = l.split(",")
        rows[(f[0], f[1])] = dict(zip(head, f))
    return rows


def _lab(ctx, names=("A", "B"), srv_opts="check inter 250 fall 2 rise 2", be_extra="", stats=True):
    apps = [ctx.app(n) for n in names]
    fe_port, stats_port = free_port(), free_port()
    admin = ctx.path("admin.sock")
    extra = ("listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % stats_port
             if stats else "")
    servers = [("s%d" % (i + 1), a.port, srv_opts) for i, a in enumerate(apps)]
    px = ctx.proxy(config(fe_port, servers, nbthread=2, global_extra="stats socket %s level admin" % admin,
                          be_extra=be_extra, extra_sections=extra))
    poll_until(lambda: os.path.exists(admin), 5, "admin socket")
    return px, apps, fe_port, stats_port, admin


def _json(stats_port, query=""):
    r = http(stats_port, "GET", "/stats;json" + query)
    eq(r.status, 200, "JSON export " + query)
    return parse_json(r.body, "JSON export")


def _be(doc, name="be"):
    for b in doc["backends"]:
        if b["name"] == name:
            return b
    raise TestFailure("backend %s not in the JSON export" % name)


def _workers(px):
    return [p for p in proc_tree(px.pid) if p != px.pid]


@timeout(60)
def test_csv_rates(ctx):
    """HAProxy's rate columns: filled while traffic flows, maxima kept,
    `clear counters` resets the maxima. Runs against HAProxy too."""
    px, apps, fe_port, stats_port, admin = _lab(ctx, srv_opts="", stats=False)
    load = Traffic(fe_port).start()
    try:
        poll_until(lambda: load.ok > 30, 10, "traffic flowing")
        def rated():
            rows = _csv(admin)
            fe = rows[("fe", "FRONTEND")]
            return rows if all(int(fe[k] or 0) > 0 for k in ("rate", "req_rate", "conn_rate")) else None
        rows = poll_until(rated, 5, "frontend rate, req_rate and conn_rate above 0 while traffic flows")
    finally:
        load.stop()
    fe, be = rows[("fe", "FRONTEND")], rows[("be", "BACKEND")]
    eq(fe["rate_lim"], "0", "rate_lim without a session rate limit")
    for k, m in (("rate", "rate_max"), ("req_rate", "req_rate_max"), ("conn_rate", "conn_rate_max")):
        check(int(fe[m]) >= int(fe[k]) > 0, "frontend %s=%s not above %s=%s" % (m, fe[m], k, fe[k]))
    check(int(be["rate_max"]) > 0 and int(rows[("be", "s1")]["rate_max"]) > 0,
          "backend and server rate_max: %s, %s" % (be["rate_max"], rows[("be", "s1")]["rate_max"]))
    eq(be["req_rate"], "", "req_rate is a frontend column (HAProxy leaves it empty on backends)")
    # quiet now: rates fall to 0 within two seconds, the maxima stay
    rows = poll_until(lambda: (lambda r: r if r[("fe", "FRONTEND")]["rate"] == "0" else None)(_csv(admin)), 5,
                      "frontend rate back to 0 once the traffic stopped")
    check(int(rows[("fe", "FRONTEND")]["rate_max"]) > 0, "rate_max kept after the traffic stopped")
    eq(cli(admin, "clear counters"), "\n", "clear counters")
    rows = _csv(admin)
    eq((rows[("fe", "FRONTEND")]["rate_max"], rows[("fe", "FRONTEND")]["req_rate_max"],
        rows[("be", "BACKEND")]["rate_max"]), ("0", "0", "0"), "maxima after clear counters")


def _has_err(hist):
    return hist is not None and any((hist["e5xx"][i] or 0) + (hist["econ"][i] or 0) + (hist["eresp"][i] or 0) > 0
               for i in range(len(hist["req"])))


def _down_event(events, srv="s2"):
    return [e for e in events if e["proxy"] == "be" and e["server"] == srv and e["to"] == "DOWN"]


@timeout(90)
def test_history_json_cli_crash_reload(ctx):
    tandem_only("tandem's history")
    # slow checks: live traffic finds the dead server first (connection
    # errors), and takes it out at once (tandem's rule for refused connections)
    px, apps, fe_port, stats_port, admin = _lab(ctx, srv_opts="check inter 2s fall 3 rise 2")
    poll_until(lambda: all(s["status"] == "UP" for s in _be(_json(stats_port))["servers"]), 10, "servers UP")
    # bad parameters get a clear answer
    for q, want in (("?history=0", "'history' expects"), ("?history=abc", "'history' expects"),
                    ("?history=86401", "'history' expects"), ("?history=5&rows=pools", "'rows' expects")):
        r = http(stats_port, "GET", "/stats;json" + q)
        eq(r.status, 400, "status for " + q)
        check(r.body.decode().startswith(want), "answer to %s: %r" % (q, r.body[:100]))
    doc = _json(stats_port)
    check("history" not in doc and "history" not in _be(doc), "no history unless asked for")

    load = Traffic(fe_port).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "traffic flowing")
        apps[1].proc.signal(signal.SIGKILL)
        killed = time.time()
        def seen():
            d = _json(stats_port, "?history=60")
            b = _be(d)
            return d if _has_err(b["history"]) and _down_event(d["history"]["events"]) else None
        doc = poll_until(seen, 5, "the connection errors and s2 DOWN in the history")
        n = load.ok
        poll_until(lambda: load.ok > n + 20, 10, "traffic served by s1 meanwhile")
    finally:
        load.stop()
    ctx.note("history: %r" % {k: v[-15:] for k, v in _be(doc)["history"].items()})
    h = doc["history"]
    check(0 < h["seconds"] <= 60 and h["step_s"] == 1 and abs(h["end_s"] - int(killed)) < 10,
          "history window: %r" % {k: h[k] for k in ("seconds", "end_s", "step_s")})
    ev = _down_event(h["events"])[-1]
    check(ev["kind"] == "health" and ev["from"] == "UP" and ev["object"] == "be/s2" and ev["reason"] and
          ev["detail"], "the DOWN change: %r" % ev)
    check(abs(ev["time_ms"] / 1000.0 - killed) < 5, "its time: %r vs %r" % (ev["time_ms"], killed))
    b = _be(doc)
    eq(set(b["history"]), {"req", "e5xx", "e4xx", "econ", "eresp", "p50_ms", "p99_ms", "scur", "state"},
       "a backend's history series")
    check(all(len(v) == h["seconds"] for v in b["history"].values()), "one value per second")
    check(any((x or 0) > 0 for x in b["history"]["req"]), "requests in the backend's history")
    check(any(x is not None for x in b["history"]["p50_ms"]), "latency in the backend's history")
    s2 = [s for s in b["servers"] if s["name"] == "s2"][0]
    eq(s2["history"]["state"][-1], "DOWN", "s2's newest sample")
    check(all(s["history"]["passive"][-1] in ("closed", "open", "half-open") for s in b["servers"]),
          "servers with checks have a passive state: %r" % [s["history"]["passive"][-1] for s in b["servers"]])
    fe = [f for f in doc["frontends"] if f["name"] == "fe"][0]
    check("ereq" in fe["history"] and "econ" not in fe["history"], "a frontend's history names ereq")
    only = _json(stats_port, "?history=10&rows=servers")
    check("history" not in _be(only) and "history" in _be(only)["servers"][0], "rows=servers")

    # the admin socket says the same
    out = cli(admin, "show state-changes")
    lines = out.rstrip("\n").split("\n")
    down = [l for l in lines if " health be/s2 UP -> DOWN, reason: " in l]
    check(down, "show state-changes lists s2 going DOWN: %r" % out[-600:])
    eq(cli(admin, "show state-changes 1").count("\n"), 2, "show state-changes 1: one line and the end of answer")
    check(cli(admin, "show state-changes 0").startswith("'show state-changes' expects"), "a bad count")
    eq(cli(admin, "set server be/s1 state drain"), "\n", "drain s1")
    out = cli(admin, "show state-changes 1")
    check(" admin be/s1 UP -> DRAIN, reason: stats socket; drain" in out, "the admin change: %r" % out)
    eq(cli(admin, "set server be/s1 state ready"), "\n", "s1 ready again")

    # a crash of the worker: the master starts another, the history stays
    old = _workers(px)
    os.kill(old[0], signal.SIGKILL)
    poll_until(lambda: [p for p in _workers(px) if p not in old], 5, "a new worker after the crash")
    poll_until(lambda: _json(stats_port)["pid"] not in old, 5, "the new worker answers")
    after = _json(stats_port, "?history=120")
    check(_down_event(after["history"]["events"]), "s2's DOWN change kept across the crash")
    check(_has_err(_be(after)["history"]), "the errors kept across the crash")
    restart = [e for e in after["history"]["events"] if e["kind"] == "process" and e["reason"] == "worker restarted"]
    check(restart and ("Killed" in restart[-1]["detail"] or "signal 9" in restart[-1]["detail"]),
          "the restart is a state change: %r" %
          after["history"]["events"][-3:])
    # a reload: the same
    old = _workers(px)
    os.kill(px.pid, signal.SIGUSR2)
    poll_until(lambda: _json(stats_port)["pid"] not in old, 10, "the new worker after the reload")
    after = _json(stats_port, "?history=120")
    check(_down_event(after["history"]["events"]) and _has_err(_be(after)["history"]),
          "the change and the errors kept across the reload")
    check([e for e in after["history"]["events"] if e["kind"] == "process" and e["reason"] == "reload"],
          "the reload is a state change")
    out = cli(admin, "show state-changes")
    check(" health be/s2 UP -> DOWN" in out and " process worker pid " in out, "show state-changes after both: %r"
          % out[-800:])
    # the samples go on after the reload: a later second with requests
    end = after["history"]["end_s"]
    c = Client(fe_port)
    for _ in range(5):
        eq(c.get("/").status, 200, "traffic after the reload")
    c.close()
    poll_until(lambda: (lambda d: d["history"]["end_s"] > end and
                        any((x or 0) > 0 for x in _be(d)["history"]["req"][-3:]))(_json(stats_port, "?history=3")),
               5, "new samples with the requests after the reload")


def _metric_state(stats_port, srv):
    body = http(stats_port, "GET", "/metrics").body.decode()
    on = [l for l in body.splitlines()
          if l.startswith('tandem_server_passive_state{proxy="be",server="%s"' % srv) and l.endswith(" 1")]
    return on[0].split('state="')[1].split('"')[0] if on else None


@timeout(60)
def test_passive_state_circuit_breaker(ctx):
    """max-fails 1 / fail-timeout 2s (nginx's passive health) seen as a
    circuit breaker: open when a failure ejects s1, half-open once
    fail-timeout expired, closed after a success; the same word in the CSV,
    the JSON and /metrics."""
    tandem_only("tandem's passive health words")
    px, apps, fe_port, stats_port, admin = _lab(ctx, srv_opts="max-fails 1 fail-timeout 2s")

    def states():
        rows = _csv(admin)
        j = {s["name"]: s["passive_state"] for s in _be(_json(stats_port))["servers"]}
        return ((rows[("be", "s1")]["passive_state"], j["s1"], _metric_state(stats_port, "s1")),
                rows[("be", "s2")]["passive_state"])
    s1, s2 = states()
    eq((s1, s2), (("closed", "closed", "closed"), "closed"), "closed while traffic flows")
    port = apps[0].port
    apps[0].proc.stop()
    for _ in range(4):   # round robin: s1 is tried, fails, the request is retried on s2
        eq(http(fe_port, "GET", "/").status, 200, "requests while s1 is dead")
    s1, _ = states()
    eq(s1, ("open", "open", "open"), "s1 open after a failure (CSV, JSON, metrics)")
    eq(_csv(admin)[("be", "s1")]["status"], "DOWN", "an open breaker takes s1 out")
    poll_until(lambda: states()[0] == ("half-open", "half-open", "half-open"), 5,
               "half-open once fail-timeout expired")
    # the server comes back: the next request it gets succeeds, which closes the breaker
    exe = os.path.join(BIN_DIR, "tandem-app")
    p = ctx.spawn("app-A-again", [exe, "--name", "A", "--listen", "127.0.0.1:%d" % port, "--quiet"])
    wait_port(port, 10, p)
    def closed():
        http(fe_port, "GET", "/")
        return states()[0] == ("closed", "closed", "closed")
    poll_until(closed, 5, "closed after a success", interval=0.1)
