"""The live dashboard at `stats uri`, in a real browser: Debian's chromium
driven by playwright-core (tests/integ/node/driver.js; installed there with
npm from its lockfile when missing). Checks that the rows render from the
JSON export, that a server killed with SIGKILL turns DOWN on the page within
2 s (active health checks), that the admin buttons appear only with
`stats admin` + `stats auth` and that Drain puts a server in DRAIN (the row
says so and the server gets no new request), that a page opened after an
incident shows it in its first frame (tandem's own history: the DOWN
transition and the error spike), also after a reload of tandem, and that
nothing is clipped at 1440 px, 1920 px and phone width (a table wider than
its card scrolls inside the card). Screenshots are kept in
tests/out/dashboard/."""
import base64
import json
import os
import shutil
import signal
import subprocess
import threading
import time

from harness import (HERE, ROOT, Client, Deadline, TestFailure, check, config, eq, free_port, http,
                     parse_json, poll_until, proc_tree, serial, tandem_only, timeout)
from test_history import Traffic

NODE_DIR = os.path.join(HERE, "node")
OUT_DIR = os.path.join(ROOT, "tests", "out", "dashboard")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
_install_lock = threading.Lock()


def _ensure_driver():
    """node, npm and chromium present; playwright-core installed from the lockfile."""
    node, npm = shutil.which("node"), shutil.which("npm")
    check(node and npm, "node/npm are not installed (apt-get install nodejs npm)")
    check(os.access(CHROMIUM, os.X_OK), "chromium is not installed (apt-get install chromium)")
    with _install_lock:
        if not os.path.exists(os.path.join(NODE_DIR, "node_modules", "playwright-core", "package.json")):
            p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                               capture_output=True, timeout=300)
            check(p.returncode == 0, "npm ci in tests/integ/node failed: %s" % p.stderr.decode()[-800:])
    return node


class Browser:
    """One driver.js process (and the chromium it starts). Commands are JSON
    lines; every answer is awaited with a deadline."""

    def __init__(self, ctx):
        node = _ensure_driver()
        self.ctx = ctx
        self.err = open(ctx.path("driver.err"), "wb")
        self.p = subprocess.Popen([node, os.path.join(NODE_DIR, "driver.js")], cwd=NODE_DIR,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                  env=dict(os.environ, CHROMIUM=CHROMIUM))
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)
            self.cv.notify_all()

    def cmd(self, secs=20, **c):
        self.p.stdin.write((json.dumps(c) + "\n").encode())
        self.p.stdin.flush()
        dl = Deadline(secs)
        with self.cv:
            while not self.lines:
                if dl.expired():
                    raise TestFailure("browser driver: no answer to %s within %ss" % (c.get("cmd"), secs))
                self.cv.wait(dl.left())
            line = self.lines.pop(0)
        if line is None:
            raise TestFailure("browser driver exited; stderr: %s" % _tail(self.ctx.path("driver.err")))
        r = json.loads(line)
        if not r.get("ok"):
            raise TestFailure("browser: %s failed: %s" % (c.get("cmd"), r.get("error")))
        return r.get("value")

    def wait(self, js, ms, what):
        try:
            return self.cmd(secs=ms / 1000.0 + 10, cmd="wait", js=js, timeout_ms=ms)
        except TestFailure as e:
            self.shot("failed-" + what.replace(" ", "-")[:40])
            raise TestFailure("%s: %s" % (what, e))

    def shot(self, name, full=True):
        os.makedirs(OUT_DIR, exist_ok=True)
        try:
            return self.cmd(cmd="shot", path=os.path.join(OUT_DIR, name + ".png"), full=full)
        except TestFailure:
            return None

    def close(self):
        """quit; then kill by PID whatever is left of node and its chromium."""
        pids = proc_tree(self.p.pid)
        try:
            self.p.stdin.write(b'{"cmd":"quit"}\n')
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.err.close()


def _tail(path, n=1500):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return ""


def _start(ctx, names=("A", "B", "C"), stats_extra="", srv_opts="check inter 250 fall 2 rise 2"):
    """tandem-app servers s1.. with fast health checks, frontend fe, backend
    be, and `listen stats` on /stats. Returns (fe_port, stats_port, apps, proxy)."""
    apps = [ctx.app(n) for n in names]
    fe_port, stats_port = free_port(), free_port()
    stats = ("listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n%s"
             % (stats_port, "".join("    %s\n" % l for l in stats_extra.splitlines() if l.strip())))
    servers = [("s%d" % (i + 1), a.port, srv_opts) for i, a in enumerate(apps)]
    px = ctx.proxy(config(fe_port, servers, nbthread=2, extra_sections=stats))
    return fe_port, stats_port, apps, px


def _row_js(srv, what):
    return ("(() => { const r = document.querySelector('tr.srv[data-server=\"%s\"]');"
            " return r && %s; })()" % (srv, what))


def _status_is(srv, word):
    return _row_js(srv, "r.querySelector('td.c-status').textContent.trim() === '%s'" % word)


def _json(port, auth=None):
    h = [("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())] if auth else None
    r = http(port, "GET", "/stats;json", headers=h)
    eq(r.status, 200, "JSON export status")
    return parse_json(r.body, "JSON export")


def _server(doc, name):
    for b in doc["backends"]:
        for s in b["servers"]:
            if s["name"] == name:
                return s
    raise TestFailure("server %s not in the JSON export" % name)


def _all_up(port, names, auth=None):
    doc = _json(port, auth)
    return all(_server(doc, n)["status"] == "UP" for n in names)


@serial   # a browser plus a 2 s deadline: keep other tests' load away
@timeout(90)
def test_rows_and_killed_server(ctx):
    tandem_only("tandem's dashboard")
    fe_port, stats_port, apps, _ = _start(ctx)
    poll_until(lambda: _all_up(stats_port, ("s1", "s2", "s3")), 10, "all servers UP by their checks")
    c = Client(fe_port)
    for _ in range(12):
        eq(c.get("/").status, 200, "traffic status")
    c.close()
    b = Browser(ctx)
    try:
        eq(b.cmd(cmd="open", url="http://127.0.0.1:%d/stats" % stats_port, width=1440, height=1000), 200,
           "dashboard status")
        b.wait("document.querySelectorAll('tr.srv').length === 3", 5000, "three server rows")
        for s in ("s1", "s2", "s3"):
            b.wait(_status_is(s, "UP"), 3000, "row %s UP" % s)
        b.wait("document.querySelector('article.be[data-proxy=\"be\"]') !== null", 2000, "backend card")
        b.wait("document.querySelector('#d-frontends tr.fe[data-proxy=\"fe\"]') !== null", 2000, "frontend row")
        total = b.cmd(cmd="eval", js="[...document.querySelectorAll('tr.srv td.c-stot')]"
                                     ".reduce((a, td) => a + parseInt(td.textContent, 10), 0)")
        eq(total, 12, "requests counted over the server rows")
        eq(b.cmd(cmd="eval", js="document.querySelectorAll('button[data-action]').length"), 0,
           "no admin buttons without stats admin")
        eq(b.cmd(cmd="eval", js="getComputedStyle(document.getElementById('static')).display"), "none",
           "static fallback hidden when JavaScript runs")
        b.wait("document.querySelectorAll('.chart svg path').length >= 2", 4000, "charts drawn")
        b.shot("rows")

        apps[1].proc.signal(signal.SIGKILL)
        t0 = time.monotonic()
        got = b.wait(_status_is("s2", "DOWN"), 2000, "killed server s2 DOWN on the page within 2 s")
        took = time.monotonic() - t0
        ctx.note("s2 shown DOWN %.2fs after SIGKILL (page wait %s ms)" % (took, got["ms"]))
        check(took <= 2.5, "s2 turned DOWN on the page after %.2fs" % took)
        eq(_server(_json(stats_port), "s2")["status"], "DOWN", "JSON agrees: s2 DOWN")
        b.wait("document.querySelector('#d-timeline li:not(.empty)') &&"
               " document.querySelector('#d-timeline').textContent.includes('be/s2')", 2000,
               "timeline shows the change")
        b.wait(_row_js("s2", "r.className.includes('st-down')"), 1000, "DOWN row colour class")
        b.shot("killed-server-down")
        # a phone-sized view of the same page
        b.cmd(cmd="open", url="http://127.0.0.1:%d/stats" % stats_port, width=390, height=844)
        b.wait(_status_is("s2", "DOWN"), 4000, "phone view rows")
        sw = b.cmd(cmd="eval", js="document.documentElement.scrollWidth")
        check(sw <= 400, "phone view fits its width (scrollWidth %s)" % sw)
        b.shot("phone")
        errs = b.cmd(cmd="errors")
        eq(errs, [], "page and console errors")
    finally:
        b.close()


@serial
@timeout(90)
def test_drain_button(ctx):
    tandem_only("tandem's dashboard")
    auth = "admin:s3cret"
    fe_port, stats_port, apps, px = _start(ctx, ("A", "B"),
                                           "stats auth %s\nstats admin if TRUE\nstats refresh 1s" % auth)
    poll_until(lambda: _all_up(stats_port, ("s1", "s2"), auth), 10, "both servers UP")
    b = Browser(ctx)
    try:
        eq(b.cmd(cmd="open", url="http://127.0.0.1:%d/stats" % stats_port, width=1440, height=900,
                 user="admin", **{"pass": "s3cret"}), 200, "dashboard status with credentials")
        b.wait("document.querySelectorAll('button[data-action]').length === 6", 5000,
               "three admin buttons per server")
        b.wait(_row_js("s1", "r.querySelector('button[data-action=\"ready\"]').className === 'on'"), 3000,
               "s1 shown ready")
        b.cmd(cmd="click", selector='tr.srv[data-server="s1"] button[data-action="drain"]')
        b.wait(_status_is("s1", "DRAIN"), 3000, "s1 row shows DRAIN after the click")
        b.wait(_row_js("s1", "r.querySelector('button[data-action=\"drain\"]').className === 'on'"), 2000,
               "drain button marked current")
        b.wait("!document.getElementById('d-toast').hidden &&"
               " document.getElementById('d-toast').textContent.includes('done')", 3000, "action toast")
        eq(_server(_json(stats_port, auth), "s1")["status"], "DRAIN", "JSON: s1 DRAIN")
        check("Server be/s1 enters drain state" in px.logs(), "log line for the drain")
        before = _server(_json(stats_port, auth), "s1")["stot"]
        c = Client(fe_port)
        for _ in range(10):
            r = c.get("/")
            eq(r.status, 200, "traffic while s1 drains")
            eq(r.header("x-node"), "B", "a drained server gets no new request")
        c.close()
        eq(_server(_json(stats_port, auth), "s1")["stot"], before, "s1 sessions unchanged while draining")
        b.wait("document.querySelector('#d-timeline').textContent.includes('be/s1')", 3000,
               "timeline shows the drain")
        b.shot("drained")
        b.cmd(cmd="click", selector='tr.srv[data-server="s1"] button[data-action="ready"]')
        b.wait(_status_is("s1", "UP"), 3000, "s1 back UP after Ready")
        eq(b.cmd(cmd="errors"), [], "page and console errors")
    finally:
        b.close()
    # admin requires the credentials: the same POST without them is refused
    r = http(stats_port, "POST", "/stats", headers=[("Content-Type", "application/x-www-form-urlencoded")],
             body=b"s=s1&b=be&action=maint")
    eq(r.status, 401, "admin POST without credentials")
    eq(_server(_json(stats_port, auth), "s1")["status"], "UP", "s1 unchanged by the refused POST")


# ---------------------------------------------------------------- history ----

# What the page shows in its first frame (window.tandemDashboard.frames
# counts the snapshots drawn): the backend's error points, s2's DOWN in the
# timeline, the drawn error line, the reload in the timeline.
_FRAME_JS = r"""(() => {
  const S = window.tandemDashboard;
  if (!S || S.frames < 1) return null;
  const pts = S.hist["be"] || [];
  const lis = [...document.querySelectorAll("#d-timeline li.ev")];
  const pills = (li) => [...li.querySelectorAll(".what .pill")].map((p) => p.textContent);
  const down = lis.filter((li) => li.getAttribute("data-object") === "be/s2" &&
                                  pills(li).join(">") === "UP>DOWN");
  const line = document.querySelector('article.be[data-proxy="be"] svg path.l-err');
  return {
    frames: S.frames,
    points: pts.length,
    errors: pts.filter((p) => p.err > 0).map((p) => [p.t, p.err]),
    down: down.map((li) => li.textContent),
    errLineHeight: line ? line.getBBox().height : -1,
    reload: lis.filter((li) => li.getAttribute("data-kind") === "process" &&
                               li.textContent.includes("reload")).length,
  };
})()"""


def _workers(px):
    return [p for p in proc_tree(px.pid) if p != px.pid]


def _first_frame(b, stats_port, what):
    """Open the page fresh and return what its first frame shows."""
    eq(b.cmd(cmd="open", url="http://127.0.0.1:%d/stats" % stats_port, width=1440, height=1000), 200,
       "dashboard status")
    got = b.wait(_FRAME_JS, 5000, "first frame " + what)["value"]
    eq(got["frames"], 1, "state read in the first frame (%s)" % what)
    return got


@serial
@timeout(120)
def test_history_in_first_frame(ctx):
    tandem_only("tandem's dashboard")
    # slow checks: live traffic finds the dead server first (the errors), and
    # takes it out at once (tandem's rule for refused connections)
    fe_port, stats_port, apps, px = _start(ctx, srv_opts="check inter 2s fall 3 rise 2")
    poll_until(lambda: _all_up(stats_port, ("s1", "s2", "s3")), 10, "all servers UP by their checks")
    load = Traffic(fe_port).start()
    try:
        poll_until(lambda: load.ok > 20, 10, "traffic flowing")
        apps[1].proc.signal(signal.SIGKILL)
        killed = int(time.time())
        # "wait 5 s": until tandem sampled 5 seconds after the kill
        poll_until(lambda: parse_json(http(stats_port, "GET", "/stats;json?history=1").body, "JSON")
                   ["history"]["end_s"] >= killed + 5, 10, "5 seconds sampled after the kill", interval=0.2)
    finally:
        load.stop()
    b = Browser(ctx)
    try:
        got = _first_frame(b, stats_port, "after the kill")
        ctx.note("first frame: %r" % got)
        check(got["down"], "s2's UP -> DOWN transition in the timeline of the first frame")
        check(got["errors"], "the error spike in the backend's chart data of the first frame")
        check(got["errLineHeight"] > 0, "the error line drawn above 0 in the first frame")
        check(abs(got["errors"][-1][0] / 1000.0 - killed) < 5, "the spike at the kill: %r vs %d" %
              (got["errors"], killed))
        check(got["points"] >= 6, "a point per second since tandem started: %d" % got["points"])
        b.shot("history-first-frame")

        old = _workers(px)
        os.kill(px.pid, signal.SIGUSR2)   # reload
        poll_until(lambda: _json(stats_port)["pid"] not in old, 10, "the new worker serves after the reload")
        got = _first_frame(b, stats_port, "after a reload")
        ctx.note("first frame after the reload: %r" % got)
        check(got["down"] and got["errors"] and got["errLineHeight"] > 0,
              "the DOWN transition and the error spike in the first frame after a reload")
        check(got["reload"] >= 1, "the reload itself in the timeline")
        b.shot("history-after-reload")
        eq(b.cmd(cmd="errors"), [], "page and console errors")
    finally:
        b.close()


# ---------------------------------------------------------------- layout ----

# Every visible card: each cell (and heading, pill, number) lies inside its
# card, unless it is in a table wrapper that scrolls, which must itself lie
# inside the card and scroll (overflow-x auto); no text is cut by an
# overflow:hidden box; the document is no wider than the window.
_LAYOUT_JS = r"""(() => {
  const bad = [], scrolls = [];
  const inside = (r, c) => r.left >= c.left - 1 && r.right <= c.right + 1;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
    " '" + (e.textContent || "").trim().slice(0, 24) + "'";
  for (const card of document.querySelectorAll("#app .card, #app .stat")) {
    if (!card.offsetParent) continue;
    const cr = card.getBoundingClientRect();
    for (const w of card.querySelectorAll(".tablewrap")) {
      if (w.scrollWidth <= w.clientWidth + 1) continue;
      scrolls.push(name(card.querySelector("h2") || card) + " " + w.scrollWidth + ">" + w.clientWidth);
      const ov = getComputedStyle(w).overflowX;
      if (!(ov === "auto" || ov === "scroll") || !inside(w.getBoundingClientRect(), cr))
        bad.push("table wrapper does not scroll inside its card: " + name(w));
    }
    for (const e of card.querySelectorAll("td, th, h2, .pill, .be-head > *, .nums > *, .ch-head, svg, .k, .v, li, .why")) {
      if (!e.offsetParent && e.tagName !== "svg") continue;
      const w = e.closest(".tablewrap");
      if (w && w.scrollWidth > w.clientWidth + 1) continue;   /* scrolls inside the card */
      if (!inside(e.getBoundingClientRect(), cr)) bad.push("outside its card: " + name(e));
    }
  }
  for (const e of document.querySelectorAll("#app *")) {
    if (!e.offsetParent || e.classList.contains("tablewrap") || e.classList.contains("timeline")) continue;
    const cs = getComputedStyle(e);
    if ((cs.overflowX === "hidden" || cs.overflowX === "clip") && e.scrollWidth > e.clientWidth + 1)
      bad.push("text cut: " + name(e));
  }
  return { bad: bad.slice(0, 12), nbad: bad.length, scrolls: scrolls,
           docW: document.documentElement.scrollWidth, vw: window.innerWidth };
})()"""


@serial
@timeout(120)
def test_layout_no_clipping(ctx):
    tandem_only("tandem's dashboard")
    auth = "admin:s3cret"
    fe_port, stats_port, apps, px = _start(ctx, ("A", "B", "C"),
                                           "stats auth %s\nstats admin if TRUE\nstats show-legends" % auth)
    poll_until(lambda: _all_up(stats_port, ("s1", "s2", "s3"), auth), 10, "all servers UP")
    c = Client(fe_port)
    for _ in range(30):
        eq(c.get("/").status, 200, "traffic")
    c.close()
    apps[2].proc.signal(signal.SIGKILL)   # a DOWN row and a state change
    poll_until(lambda: not _all_up(stats_port, ("s3",), auth), 5, "s3 DOWN")
    b = Browser(ctx)
    try:
        for w, h in ((1440, 900), (1920, 1080), (390, 844)):
            eq(b.cmd(cmd="open", url="http://127.0.0.1:%d/stats" % stats_port, width=w, height=h,
                     user="admin", **{"pass": "s3cret"}), 200, "dashboard at %d px" % w)
            b.wait("window.tandemDashboard && window.tandemDashboard.frames >= 1 &&"
                   " document.querySelectorAll('tr.srv').length === 3 &&"
                   " document.querySelectorAll('button[data-action]').length === 9 &&"
                   " document.querySelector('#d-timeline li.ev') !== null", 5000, "page drawn at %d px" % w)
            r = b.cmd(cmd="eval", js=_LAYOUT_JS)
            b.shot("layout-%d" % w)
            ctx.note("%d px: %r" % (w, r))
            check(not r["bad"], "at %d px: %d clipped: %s" % (w, r["nbad"], "; ".join(r["bad"])))
            check(r["docW"] <= w, "at %d px the page is %d px wide" % (w, r["docW"]))
            if w >= 1440:
                eq(r["scrolls"], [], "at %d px every table fits its card" % w)
            else:
                check(r["scrolls"], "at phone width the server table scrolls inside its card")
        eq(b.cmd(cmd="errors"), [], "page and console errors")
    finally:
        b.close()
