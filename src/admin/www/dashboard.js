/* tandem live dashboard.
 *
 * Polls the JSON export (config "json", every refresh_ms, never faster than
 * once a second) and redraws in place: one card per backend (state,
 * numbers, a request/error rate chart and a latency chart, the server
 * table), the frontends, and a timeline of state changes.
 *
 * The history comes from tandem itself: it keeps per-second samples of
 * every row for 15 minutes and the last 200 state changes in its shared
 * memory (across reloads and worker restarts). The first poll asks for all
 * of it (?history=900), later polls for the seconds since the newest one
 * the page has, so the charts and the timeline of a page opened after an
 * incident show the incident, and a page that lost contact for a while
 * fills the gap when it comes back. The summary's latency is estimated
 * from the histogram buckets of the requests that finished in the last
 * 5 seconds (linear inside a bucket, as Prometheus' histogram_quantile
 * does). No library, no external resource: the page must work on a
 * network without internet access.
 *
 * Stable hooks for tests: each server row is
 *   <tr class="srv st-STATE" data-proxy="BE" data-server="SRV"> with cells
 *   td.c-status (the status word), td.c-weight, td.c-scur, ...; admin
 *   buttons are button[data-action=ready|drain|maint] in that row.
 * Every backend card is <article class="card be" data-proxy="BE">. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("d-config").textContent || "{}");
  var HISTORY_S = 900;                  /* what tandem keeps: 15 minutes of samples */
  var HISTORY_MS = HISTORY_S * 1000;
  var WINDOWS = [["1m", 60e3], ["5m", 300e3], ["15m", 900e3]];
  var MAX_EVENTS = 300;

  var S = {
    period: Math.max(1000, cfg.refresh_ms || 1000),
    paused: false, timer: 0, inflight: false,
    lastOk: 0, lastTry: 0, failing: false, pid: null,
    snap: null,                 /* previous snapshot */
    frames: 0,                  /* snapshots drawn (the first one draws the history) */
    skew: 0,                    /* tandem's clock minus this browser's (ms) */
    endS: 0,                    /* newest second of history merged */
    lastEvent: -1,              /* id of the newest state change shown */
    prevHist: {},               /* backend name -> [{t, counts}] of the last seconds */
    hist: {},                   /* backend name -> [{t, req, err, e5xx, econ, eresp, e4xx, p50, p99}] */
    events: [],
    cards: {},                  /* backend name -> card objects */
    cardKeys: "",
    feRows: {}, feKeys: "",
    win: 300e3,
    admin: false
  };

  /* ---- small helpers ---------------------------------------------------- */

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  /* Set text (and optional class) only when it changed: keeps the DOM quiet. */
  function setText(node, text, cls) {
    text = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== text) node.textContent = text;
    if (cls !== undefined && node.className !== cls) node.className = cls;
  }

  /* "no check" -> "no-check", "UP 1/3" -> "up" (the first word decides the colour). */
  function stateClass(status) {
    if (!status) return "st-unknown";
    var s = String(status);
    if (s === "no check") return "st-no-check";
    if (s === "MAINT (resolution)") return "st-rmaint";   /* DNS's, not an operator's */
    return "st-" + s.split(" ")[0].toLowerCase();
  }

  function stateWord(status) {
    if (!status) return "";
    var s = String(status);
    return s === "no check" || s === "MAINT (resolution)" ? s : s.split(" ")[0];
  }

  function fmtNum(n) {
    if (n === null || n === undefined) return "\u2013";
    if (n < 10000) return String(n);
    if (n < 1e6) return (n / 1e3).toFixed(n < 1e5 ? 1 : 0) + "k";
    if (n < 1e9) return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + "M";
    return (n / 1e9).toFixed(2) + "G";
  }

  function fmtRate(r) {
    if (r === null || r === undefined) return "\u2013";
    if (r === 0) return "0";
    if (r < 10) return r.toFixed(1);
    if (r < 10000) return String(Math.round(r));
    return (r / 1000).toFixed(1) + "k";
  }

  function fmtMs(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) return "\u2013";
    if (ms < 1) return ms.toFixed(2) + " ms";
    if (ms < 10) return ms.toFixed(1) + " ms";
    if (ms < 1000) return Math.round(ms) + " ms";
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  }

  function fmtBytes(n) {
    if (n === null || n === undefined) return "\u2013";
    var u = ["B", "kB", "MB", "GB", "TB"], i = 0;
    while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i ? n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0) : String(n)) + " " + u[i];
  }

  /* HAProxy's compact durations: "8s", "6m07s", "4h05m", "2d03h". */
  function fmtAge(s) {
    if (s === null || s === undefined || s < 0) return "\u2013";
    function p2(x) { return (x < 10 ? "0" : "") + x; }
    if (s >= 86400) return Math.floor(s / 86400) + "d" + p2(Math.floor(s % 86400 / 3600)) + "h";
    if (s >= 3600) return Math.floor(s / 3600) + "h" + p2(Math.floor(s % 3600 / 60)) + "m";
    if (s >= 60) return Math.floor(s / 60) + "m" + p2(s % 60) + "s";
    return s + "s";
  }

  function clock(t) {
    var d = new Date(t);
    function p2(x) { return (x < 10 ? "0" : "") + x; }
    return p2(d.getHours()) + ":" + p2(d.getMinutes()) + ":" + p2(d.getSeconds());
  }

  /* Sum of an object's numeric values (hrsp). */
  function hsum(o) {
    var t = 0;
    for (var k in o) if (typeof o[k] === "number") t += o[k];
    return t;
  }

  /* ---- latency from histogram buckets ----------------------------------- */

  function diffCounts(now, prev) {
    if (!now || !prev || now.length !== prev.length) return null;
    var d = [], t = 0;
    for (var i = 0; i < now.length; i++) {
      var x = now[i] - prev[i];
      if (x < 0) return null;          /* counters went back: new process */
      d.push(x);
      t += x;
    }
    return t ? d : null;
  }

  /* Estimated q-quantile (ms) of bucket counts <c> (not cumulative, the last
   * bucket is +Inf) with upper bounds <b> (ms). */
  function quantile(c, b, q) {
    if (!c) return null;
    var total = 0, i;
    for (i = 0; i < c.length; i++) total += c[i];
    if (!total) return null;
    var rank = q * total, cum = 0;
    for (i = 0; i < c.length; i++) {
      if (c[i] && cum + c[i] >= rank) {
        if (i >= b.length) return b[b.length - 1];   /* slower than the last bound */
        var lo = i ? b[i - 1] : 0, hi = b[i];
        return lo + (hi - lo) * (rank - cum) / c[i];
      }
      cum += c[i];
    }
    return b[b.length - 1];
  }

  /* ---- charts ----------------------------------------------------------- */

  /* A "nice" axis maximum above <v>: 1, 2, 2.5, 5 times a power of ten. */
  function niceMax(v, floor) {
    v = Math.max(v, floor);
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10)), steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function axisLabel(v, unit) {
    if (unit === "ms") return v >= 1000 ? +(v / 1000).toPrecision(3) + "s" : (v >= 10 ? Math.round(v) : v) + "ms";
    return v >= 1000 ? +(v / 1000).toPrecision(3) + "k" : String(v);
  }

  /* Draw <lines> ([{key, cls, area}]) of <pts> into <svg> over the last
   * <win> ms ending at <now>. A missing second breaks the line, so a
   * restart is not drawn as a straight slope. <marks> ([{t, cls, title}])
   * are vertical lines (the backend's state changes); <ticks>, when set,
   * names a key whose non-zero seconds get a tick on top of the plot (the
   * errors: one failed request among thousands is still seen). */
  function drawChart(svg, pts, lines, unit, now, win, marks, ticks) {
    var box = svg.getBoundingClientRect();   /* clientWidth is 0 for SVG in some browsers */
    var W = Math.round(box.width) || 600, H = Math.round(box.height) || 130;
    var L = 44, R = 6, T = 6, B = 16, pw = Math.max(10, W - L - R), ph = H - T - B;
    var t0 = now - win, max = 0, i, j;
    for (i = 0; i < pts.length; i++) {
      if (pts[i].t < t0) continue;
      for (j = 0; j < lines.length; j++) {
        var v = pts[i][lines[j].key];
        if (v !== null && v > max) max = v;
      }
    }
    max = niceMax(max, unit === "ms" ? 1 : 1);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    function X(t) { return L + (t - t0) / win * pw; }
    function Y(v) { return T + ph - v / max * ph; }
    for (i = 0; i <= 4; i++) {
      var gy = T + ph * i / 4;
      svg.appendChild(svgEl("line", { "class": "grid", x1: L, x2: L + pw, y1: gy, y2: gy }));
      var lab = svgEl("text", { x: L - 4, y: gy + 3, "text-anchor": "end" });
      lab.textContent = axisLabel(+(max * (4 - i) / 4).toPrecision(3), unit);
      svg.appendChild(lab);
    }
    var step = win <= 60e3 ? 15e3 : win <= 300e3 ? 60e3 : 300e3;
    for (var k = 0; k * step <= win; k++) {
      var tx = X(now - k * step), txt = svgEl("text", { x: tx, y: H - 3, "text-anchor": k ? "middle" : "end" });
      txt.textContent = k ? "-" + (step >= 60e3 ? (k * step / 60e3) + "m" : (k * step / 1e3) + "s") : "now";
      svg.appendChild(txt);
    }
    (marks || []).forEach(function (m) {
      if (m.t < t0 || m.t > now) return;
      var mx = X(m.t), ml = svgEl("line", { "class": "mark " + m.cls, x1: mx, x2: mx, y1: T, y2: T + ph });
      var tt = svgEl("title", {});
      tt.textContent = m.title;
      ml.appendChild(tt);
      svg.appendChild(ml);
    });
    if (ticks) pts.forEach(function (p) {
      if (p.t < t0 || !p[ticks]) return;
      var tx = X(p.t);
      svg.appendChild(svgEl("path", { "class": "tick", d: "M" + (tx - 3).toFixed(1) + " " + T + "L" + (tx + 3).toFixed(1) +
        " " + T + "L" + tx.toFixed(1) + " " + (T + 5) + "Z" }));
    });
    var gap = 2500, drawn = false;   /* samples are a second apart: more is a hole */
    for (j = 0; j < lines.length; j++) {
      var ln = lines[j], d = "", a = "", segStart = null, prevT = null, lastX = 0;
      for (i = 0; i < pts.length; i++) {
        var p = pts[i], val = p[ln.key];
        if (p.t < t0 - gap) continue;
        var broken = val === null || val === undefined || (prevT !== null && p.t - prevT > gap);
        if (broken && segStart !== null) {
          if (ln.area) a += "L" + lastX.toFixed(1) + " " + Y(0).toFixed(1) + "Z";
          segStart = null;
        }
        prevT = p.t;
        if (val === null || val === undefined) continue;
        var x = Math.max(L, X(p.t)), y = Y(val);
        if (segStart === null) {
          segStart = x;
          d += "M" + x.toFixed(1) + " " + y.toFixed(1);
          if (ln.area) a += "M" + x.toFixed(1) + " " + Y(0).toFixed(1) + "L" + x.toFixed(1) + " " + y.toFixed(1);
        } else {
          d += "L" + x.toFixed(1) + " " + y.toFixed(1);
          if (ln.area) a += "L" + x.toFixed(1) + " " + y.toFixed(1);
        }
        lastX = x;
      }
      if (ln.area && segStart !== null) a += "L" + lastX.toFixed(1) + " " + Y(0).toFixed(1) + "Z";
      if (ln.area && a) svg.appendChild(svgEl("path", { "class": ln.area, d: a }));
      if (d) svg.appendChild(svgEl("path", { "class": ln.cls, d: d }));
      if (d) drawn = true;
    }
    if (!drawn) {
      var note = svgEl("text", { x: L + pw / 2, y: T + ph / 2, "text-anchor": "middle", "class": "nodata" });
      note.textContent = unit === "ms" ? "no request finished in this window" : "no data yet";
      svg.appendChild(note);
    }
    svg._geo = { L: L, pw: pw, t0: t0, win: win, T: T, ph: ph };
  }

  /* Hover: a dashed cursor and the values at that time in the chart's head. */
  function hookHover(svg, readout, getPts, lines, unit) {
    function fmt(v) { return unit === "ms" ? fmtMs(v) : fmtRate(v) + "/s"; }
    svg.addEventListener("mousemove", function (ev) {
      var g = svg._geo, pts = getPts();
      if (!g || !pts.length) return;
      var r = svg.getBoundingClientRect(), x = ev.clientX - r.left;
      var t = g.t0 + (x - g.L) / g.pw * g.win, best = null;
      for (var i = 0; i < pts.length; i++)
        if (!best || Math.abs(pts[i].t - t) < Math.abs(best.t - t)) best = pts[i];
      if (!best) return;
      var parts = [clock(best.t)];
      for (var j = 0; j < lines.length; j++) parts.push(lines[j].label + " " + fmt(best[lines[j].key]));
      if (unit !== "ms" && best.err) {
        var cls = [["5xx", best.e5xx], ["conn", best.econ], ["resp", best.eresp]].filter(function (x) { return x[1]; });
        if (cls.length) parts.push(cls.map(function (x) { return x[0] + " " + x[1]; }).join(", "));
      }
      readout.textContent = parts.join("  \u00b7  ");
      var c = svg.querySelector(".cursor"), cx = g.L + (best.t - g.t0) / g.win * g.pw;
      if (!c) { c = svgEl("line", { "class": "cursor" }); svg.appendChild(c); }
      c.setAttribute("x1", cx); c.setAttribute("x2", cx);
      c.setAttribute("y1", g.T); c.setAttribute("y2", g.T + g.ph);
    });
    svg.addEventListener("mouseleave", function () {
      readout.textContent = "";
      var c = svg.querySelector(".cursor");
      if (c) c.parentNode.removeChild(c);
    });
  }

  function chartBox(title, lines, unit, getPts) {
    var box = el("div", "chart"), head = el("div", "ch-head"), left = el("span");
    left.appendChild(el("span", "ch-title", title));
    lines.forEach(function (l) {
      var k = el("span", "key");
      var sw = el("i");
      sw.style.background = "var(--" + l.key + ")";
      k.appendChild(sw);
      k.appendChild(document.createTextNode(l.label));
      left.appendChild(k);
    });
    var readout = el("span", "readout");
    head.appendChild(left);
    head.appendChild(readout);
    box.appendChild(head);
    var svg = svgEl("svg", { role: "img", "aria-label": title });
    box.appendChild(svg);
    hookHover(svg, readout, getPts, lines, unit);
    return { box: box, svg: svg, head: head, lines: lines, unit: unit };
  }

  /* ---- the server table ------------------------------------------------- */

  /* Columns of a server row: [group, title, class, value(server, backend)]. */
  var SRV_COLS = [
    ["", "Server", "c-name l", function (s) { return s.name; }],
    ["", "State", "c-status", null],
    ["", "Wght", "c-weight", function (s) { return s.weight; }],
    ["Sessions", "Cur", "c-scur", function (s) { return s.scur; }],
    ["Sessions", "Max", "c-smax", function (s) { return s.smax; }],
    ["Sessions", "Req/s", "c-rate", function (s) { return fmtRate(s.req_rate); }],
    ["Sessions", "Total", "c-stot", function (s) { return fmtNum(s.stot); }],
    ["Responses", "2xx", "c-hrsp_2xx", function (s) { return s.hrsp["2xx"]; }],
    ["Responses", "3xx", "c-hrsp_3xx", function (s) { return s.hrsp["3xx"]; }],
    ["Responses", "4xx", "c-hrsp_4xx", function (s) { return s.hrsp["4xx"]; }],
    ["Responses", "5xx", "c-hrsp_5xx", function (s) { return s.hrsp["5xx"]; }],
    ["Errors", "Conn", "c-econ", function (s) { return s.econ; }],
    ["Errors", "Resp", "c-eresp", function (s) { return s.eresp; }],
    ["Warnings", "Retr", "c-wretr", function (s) { return s.wretr; }],
    ["Warnings", "Redis", "c-wredis", function (s) { return s.wredis; }],
    ["Check", "Status", "c-check_status", null],
    ["Check", "Time", "c-check_duration", function (s) {
      return s.check_duration === null || s.check_duration === undefined || s.check_duration < 0 ? "\u2013" : s.check_duration + " ms";
    }],
    ["Check", "Passive", "c-passive_state", null],
    ["", "Last chg", "c-lastchg", function (s) { return fmtAge(s.lastchg); }],
    ["", "Downtime", "c-downtime", function (s) { return s.downtime === null || s.downtime === undefined ? "\u2013" : fmtAge(s.downtime); }]
  ];
  var ERR_COLS = { "c-hrsp_5xx": 1, "c-econ": 1, "c-eresp": 1 };
  var WARN_COLS = { "c-wretr": 1, "c-wredis": 1, "c-hrsp_4xx": 1 };

  function tableHead(table, cols, admin) {
    var thead = el("thead"), g = el("tr", "grp"), h = el("tr"), i = 0;
    while (i < cols.length) {
      var n = 1;
      while (i + n < cols.length && cols[i + n][0] === cols[i][0] && cols[i][0]) n++;
      var th = el("th", cols[i][0] ? "" : "", cols[i][0]);
      if (n > 1) th.colSpan = n;
      g.appendChild(th);
      i += n;
    }
    cols.forEach(function (c) { h.appendChild(el("th", c[2].indexOf(" l") >= 0 ? "l" : "", c[1])); });
    if (admin) { g.appendChild(el("th")); h.appendChild(el("th", "l", "Admin")); }
    thead.appendChild(g);
    thead.appendChild(h);
    table.appendChild(thead);
  }

  /* A numeric cell: dim when zero, red/amber when an error count is not. */
  function numCell(td, v, cls) {
    var isZero = v === 0 || v === "0";
    var extra = isZero ? " zero" : (v !== null && v !== undefined && v !== "\u2013" ?
      (ERR_COLS[cls] ? " bad" : WARN_COLS[cls] ? " warn" : "") : "");
    setText(td, v === null || v === undefined ? "\u2013" : v, cls + extra);
  }

  /* The operator's state (the buttons): the server's "admin" field when
   * the JSON has it (maintenance by resolution is not the operator's). */
  function adminState(status, admin) {
    if (admin) return admin;
    var w = stateWord(status);
    return w === "MAINT" ? "maint" : w === "DRAIN" ? "drain" : "ready";
  }

  function makeSrvRow(be, s) {
    var tr = el("tr", "srv");
    tr.setAttribute("data-proxy", be);
    tr.setAttribute("data-server", s.name);
    var cells = SRV_COLS.map(function (c) {
      var td = el("td", c[2]);
      tr.appendChild(td);
      return td;
    });
    var pill = el("span", "pill");
    cells[1].appendChild(pill);
    var row = { tr: tr, cells: cells, pill: pill, btns: null, status: null };
    if (S.admin) {
      var td = el("td", "l c-admin"), box = el("span", "acts");
      row.btns = {};
      [["ready", "Ready"], ["drain", "Drain"], ["maint", "Maint"]].forEach(function (a) {
        var b = el("button", "", a[1]);
        b.type = "button";
        b.setAttribute("data-action", a[0]);
        b.title = { ready: "Back to normal: take traffic again",
                    drain: "No new sessions; current ones finish",
                    maint: "Maintenance: no traffic at all" }[a[0]];
        b.addEventListener("click", function () { adminAction(be, s.name, a[0], row); });
        row.btns[a[0]] = b;
        box.appendChild(b);
      });
      td.appendChild(box);
      tr.appendChild(td);
    }
    return row;
  }

  function updSrvRow(row, s, legends) {
    var cls = "srv " + stateClass(s.status) + (s.bck ? " backup" : "");
    if (row.tr.className.replace(/ flash/, "") !== cls)
      row.tr.className = cls + (row.tr.className.indexOf(" flash") >= 0 ? " flash" : "");
    for (var i = 0; i < SRV_COLS.length; i++) {
      var c = SRV_COLS[i];
      if (i === 1) {
        setText(row.pill, s.status, "pill " + stateClass(s.status));
        row.cells[i].setAttribute("data-status", s.status || "");
        continue;
      }
      if (c[2] === "c-passive_state") {
        var ps = s.passive_state;
        setText(row.cells[i], ps || "\u2013", c[2] + (ps === "open" ? " bad" : ps === "half-open" ? " warn" : ps ? " zero" : ""));
        row.cells[i].title = ps ? "passive health (circuit breaker): " + ps : "no passive health on this server";
        continue;
      }
      if (c[2] === "c-check_status") {
        var t = s.check_status === null || s.check_status === undefined ? "\u2013" :
          s.check_status + (s.check_code ? "/" + s.check_code : "");
        setText(row.cells[i], t, c[2] + (/^L[467]OK/.test(s.check_status || "") ? "" : s.check_status ? " bad" : ""));
        row.cells[i].title = s.check_desc || "";
        continue;
      }
      var v = c[3](s);
      if (i === 0) {
        setText(row.cells[i], v);
        row.cells[i].title = legends ? "id: " + s.sid + ", addr: " + (s.addr || "-") : "";
      } else if (typeof v === "number" || v === null || v === undefined) numCell(row.cells[i], v, c[2]);
      else setText(row.cells[i], v, c[2]);
    }
    if (row.btns) {
      var cur = adminState(s.status, s.admin);
      for (var a in row.btns) {
        var on = a === cur, b = row.btns[a];
        if ((b.className === "on") !== on) b.className = on ? "on" : "";
        if (!row.busy) b.disabled = on;
      }
    }
  }

  /* ---- admin actions ---------------------------------------------------- */

  var ST_TEXT = {
    DONE: "done", NONE: "nothing to change", PART: "partly done",
    ERRP: "refused: invalid parameters", EXCD: "refused: request too large",
    DENY: "denied", UNKN: "unexpected result"
  };

  function adminAction(be, srv, action, row) {
    row.busy = true;
    for (var k in row.btns) row.btns[k].disabled = true;
    var body = "s=" + encodeURIComponent(srv) + "&b=" + encodeURIComponent(be) + "&action=" + action;
    fetch(cfg.post, {
      method: "POST", body: body, credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) {
      var m = /;st=([A-Z]+)/.exec(r.url || ""), st = m ? m[1] : (r.status === 403 ? "DENY" : r.ok ? "UNKN" : "HTTP " + r.status);
      toast(be + "/" + srv + ": " + action + " \u2014 " + (ST_TEXT[st] || st), st !== "DONE" && st !== "NONE");
    }, function (e) {
      toast(be + "/" + srv + ": " + action + " failed (" + e + ")", true);
    }).then(function () {
      row.busy = false;
      pollNow();
    });
  }

  var toastTimer = 0;
  function toast(text, bad) {
    var t = $("d-toast");
    t.textContent = text;
    t.className = "toast" + (bad ? " bad" : "");
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 4000);
  }

  /* ---- backend cards ---------------------------------------------------- */

  function visibleBackends(snap) {
    return snap.backends.filter(function (b) { return !(b.stats && !b.servers.length); });
  }

  function makeCard(b) {
    var card = el("article", "card be");
    card.setAttribute("data-proxy", b.name);
    var head = el("div", "be-head");
    var title = el("span", "title", b.name), pill = el("span", "pill"), meta = el("span", "meta"), nums = el("span", "nums");
    head.appendChild(title); head.appendChild(pill); head.appendChild(meta); head.appendChild(nums);
    card.appendChild(head);
    var c = { card: card, pill: pill, meta: meta, nums: nums, rows: {}, rowKeys: "" };
    var getPts = function () { return S.hist[b.name] || []; };
    var charts = el("div", "charts");
    c.rate = chartBox("Requests & errors /s", [
      { key: "req", cls: "l-req", area: "a-req", label: "req" },
      { key: "err", cls: "l-err", area: "a-err", label: "err" }], "rate", getPts);
    c.lat = chartBox("Latency", [
      { key: "p50", cls: "l-p50", label: "p50" },
      { key: "p99", cls: "l-p99", label: "p99" }], "ms", getPts);
    /* the window selector lives in the first chart's head */
    var win = el("span", "win");
    WINDOWS.forEach(function (w) {
      var bt = el("button", S.win === w[1] ? "on" : "", w[0]);
      bt.type = "button";
      bt.addEventListener("click", function () { S.win = w[1]; S.winSet = true; redrawCharts(); });
      win.appendChild(bt);
    });
    c.win = win;
    c.rate.head.firstChild.appendChild(win);
    charts.appendChild(c.rate.box);
    charts.appendChild(c.lat.box);
    card.appendChild(charts);
    var wrap = el("div", "tablewrap"), table = el("table", "grid servers");
    tableHead(table, SRV_COLS, S.admin);
    c.tbody = el("tbody");
    c.tfoot = el("tfoot");
    table.appendChild(c.tbody);
    table.appendChild(c.tfoot);
    wrap.appendChild(table);
    card.appendChild(wrap);
    var tot = el("tr", "be-total");
    c.totCells = SRV_COLS.map(function (col) { var td = el("td", col[2]); tot.appendChild(td); return td; });
    if (S.admin) tot.appendChild(el("td"));
    c.tfoot.appendChild(tot);
    return c;
  }

  function updCard(c, b, snap) {
    var pts = S.hist[b.name] || [], last = pts.length ? pts[pts.length - 1] : null;
    setText(c.pill, b.status, "pill " + stateClass(b.status));
    var down = stateWord(b.status) === "DOWN";
    var cls = "card be" + (down ? " down" : "");
    if (c.card.className !== cls) c.card.className = cls;
    setText(c.meta, snap.show_legends ? b.cap + ", " + b.mode + ", id " + b.iid : b.mode + " \u00b7 " + (b.algo || ""));
    var n = [
      ["servers", (b.act || 0) + (b.bck ? "+" + b.bck + " bck" : "") + " / " + b.servers.length, !(b.act || b.bck)],
      ["req/s", fmtRate(b.req_rate)],
      ["err/s", fmtRate(b.err_rate), b.err_rate > 0],
      ["p50", fmtMs(last && last.p50)],
      ["p99", fmtMs(last && last.p99)],
      ["sessions", (b.scur || 0) + " / " + (b.smax || 0)],
      ["last chg", fmtAge(b.lastchg)]
    ];
    if (c.nums.childNodes.length !== n.length) {
      while (c.nums.firstChild) c.nums.removeChild(c.nums.firstChild);
      n.forEach(function () {
        var s = el("span"), v = el("b");
        s.appendChild(v); s.appendChild(document.createTextNode(""));
        c.nums.appendChild(s);
      });
    }
    n.forEach(function (x, i) {
      var s = c.nums.childNodes[i];
      setText(s.firstChild, x[1], x[2] ? "bad" : "");
      setText(s.lastChild, " " + x[0]);
    });

    /* rows: rebuilt only when the set of servers changes */
    var keys = b.servers.map(function (s) { return s.name; }).join("\n");
    if (keys !== c.rowKeys) {
      while (c.tbody.firstChild) c.tbody.removeChild(c.tbody.firstChild);
      c.rows = {};
      b.servers.forEach(function (s) {
        var r = makeSrvRow(b.name, s);
        c.rows[s.name] = r;
        c.tbody.appendChild(r.tr);
      });
      c.rowKeys = keys;
    }
    b.servers.forEach(function (s) { updSrvRow(c.rows[s.name], s, snap.show_legends); });
    /* backend totals, in the same columns */
    var t = c.totCells;
    setText(t[0], "Backend", "c-name l");
    setText(t[1], "");
    var tp = el("span", "pill " + stateClass(b.status), b.status);
    t[1].appendChild(tp);
    for (var i = 2; i < SRV_COLS.length; i++) {
      var col = SRV_COLS[i];
      if (col[2] === "c-check_status" || col[2] === "c-check_duration" || col[2] === "c-passive_state") { setText(t[i], ""); continue; }
      var v = col[3](b);
      if (typeof v === "number" || v === null || v === undefined) numCell(t[i], v, col[2]);
      else setText(t[i], v, col[2]);
    }
  }

  function redrawCharts() {
    var now = Date.now() + S.skew;
    for (var name in S.cards) {
      var c = S.cards[name], pts = S.hist[name] || [];
      var marks = S.events.filter(function (e) { return e.proxy === name && !e.sys; }).map(function (e) {
        return { t: e.t, cls: stateClass(e.to), title: clock(e.t) + " " + e.object + " " + e.from + " \u2192 " + e.to };
      });
      drawChart(c.rate.svg, pts, c.rate.lines, "rate", now, S.win, marks, "err");
      drawChart(c.lat.svg, pts, c.lat.lines, "ms", now, S.win, marks);
      for (var i = 0; i < c.win.childNodes.length; i++)
        c.win.childNodes[i].className = WINDOWS[i][1] === S.win ? "on" : "";
    }
  }

  function renderBackends(snap) {
    var main = $("d-backends"), list = visibleBackends(snap);
    var keys = list.map(function (b) { return b.name; }).join("\n");
    if (keys !== S.cardKeys || S.adminBuilt !== S.admin) {
      while (main.firstChild) main.removeChild(main.firstChild);
      S.cards = {};
      list.forEach(function (b) { S.cards[b.name] = makeCard(b); main.appendChild(S.cards[b.name].card); });
      if (!list.length) main.appendChild(el("div", "card empty-note", "No backend in this report's scope."));
      S.cardKeys = keys;
      S.adminBuilt = S.admin;
    }
    list.forEach(function (b) { updCard(S.cards[b.name], b, snap); });
  }

  /* ---- frontends -------------------------------------------------------- */

  var FE_COLS = [
    ["Frontend", "c-name l", function (f) { return f.name; }],
    ["State", "c-status", null],
    ["Cur", "c-scur", function (f) { return f.scur; }],
    ["Max", "c-smax", function (f) { return f.smax; }],
    ["Limit", "c-slim", function (f) { return f.slim; }],
    ["Req/s", "c-rate", function (f) { return fmtRate(f.req_rate); }],
    ["Requests", "c-req_tot", function (f) { return fmtNum(f.req_tot); }],
    ["2xx", "c-hrsp_2xx", function (f) { return f.hrsp["2xx"]; }],
    ["4xx", "c-hrsp_4xx", function (f) { return f.hrsp["4xx"]; }],
    ["5xx", "c-hrsp_5xx", function (f) { return f.hrsp["5xx"]; }],
    ["Bad req", "c-ereq", function (f) { return f.ereq; }],
    ["In", "c-bin", function (f) { return fmtBytes(f.bin); }],
    ["Out", "c-bout", function (f) { return fmtBytes(f.bout); }]
  ];
  var FE_ERR = { "c-hrsp_5xx": 1, "c-ereq": 1 };

  function renderFrontends(snap) {
    var table = $("d-frontends"), keys = snap.frontends.map(function (f) { return f.name; }).join("\n");
    if (keys !== S.feKeys) {
      while (table.firstChild) table.removeChild(table.firstChild);
      var thead = el("thead"), h = el("tr");
      FE_COLS.forEach(function (c) { h.appendChild(el("th", c[1].indexOf(" l") >= 0 ? "l" : "", c[0])); });
      thead.appendChild(h);
      table.appendChild(thead);
      var tb = el("tbody");
      table.appendChild(tb);
      S.feRows = {};
      snap.frontends.forEach(function (f) {
        var tr = el("tr", "fe");
        tr.setAttribute("data-proxy", f.name);
        var cells = FE_COLS.map(function (c) { var td = el("td", c[1]); tr.appendChild(td); return td; });
        var pill = el("span", "pill");
        cells[1].appendChild(pill);
        S.feRows[f.name] = { cells: cells, pill: pill };
        tb.appendChild(tr);
      });
      S.feKeys = keys;
    }
    snap.frontends.forEach(function (f) {
      var r = S.feRows[f.name];
      for (var i = 0; i < FE_COLS.length; i++) {
        if (i === 1) { setText(r.pill, f.status, "pill " + stateClass(f.status)); continue; }
        var v = FE_COLS[i][2](f), cls = FE_COLS[i][1];
        if (typeof v === "number") setText(r.cells[i], v, cls + (v === 0 ? " zero" : FE_ERR[cls] ? " bad" : ""));
        else setText(r.cells[i], v === null || v === undefined ? "\u2013" : v, cls);
      }
      if (snap.show_legends) r.cells[0].title = f.cap + ", " + f.mode + ", id " + f.iid;
    });
  }

  /* ---- anycast (BGP announcements through BIRD) ----------------------------- */

  function renderAnycast(snap) {
    var list = snap.anycast || [], card = $("d-anycast-card"), table = $("d-anycast");
    card.hidden = list.length === 0;
    if (!list.length) return;
    while (table.firstChild) table.removeChild(table.firstChild);
    var thead = el("thead"), h = el("tr");
    ["Section", "State", "Addresses", "BIRD", "Since"].forEach(function (t, i) {
      h.appendChild(el("th", i ? "" : "l", t));
    });
    thead.appendChild(h);
    table.appendChild(thead);
    var tb = el("tbody");
    list.forEach(function (v) {
      var tr = el("tr", "anycast");
      tr.setAttribute("data-anycast", v.name);
      tr.appendChild(el("td", "l", v.name));
      var td = el("td"), cls = v.state === "announced" ? "st-up" : v.state === "withdrawn" ? "st-down" : "st-drain";
      td.appendChild(el("span", "pill " + cls, v.state));
      td.title = v.reason + (v.backend ? " (" + v.backend + ")" : "");
      tr.appendChild(td);
      tr.appendChild(el("td", "", v.addresses.map(function (a) { return a.address + " (" + a.protocol + ")"; }).join(", ")));
      var b = el("td", "", v.bird);
      if (v.last_error) b.title = v.last_error;
      tr.appendChild(b);
      tr.appendChild(el("td", "", v.since_s + " s"));
      tb.appendChild(tr);
    });
    table.appendChild(tb);
  }

  /* ---- VRRP --------------------------------------------------------------- */

  function renderVrrp(snap) {
    var list = snap.vrrp || [], card = $("d-vrrp-card"), table = $("d-vrrp");
    card.hidden = list.length === 0;
    if (!list.length) return;
    while (table.firstChild) table.removeChild(table.firstChild);
    var thead = el("thead"), h = el("tr");
    ["Instance", "State", "Priority", "Master", "Since", "Last change", "Split brain"].forEach(function (t, i) {
      h.appendChild(el("th", i === 0 || i === 5 ? "l" : "", t));
    });
    thead.appendChild(h);
    table.appendChild(thead);
    var tb = el("tbody");
    list.forEach(function (v) {
      var tr = el("tr", "vrrp");
      tr.setAttribute("data-vrrp", v.name);
      var what = v.interface + ", vrid " + v.vrid + ", v" + v.version + (v.family === "IPv6" ? " IPv6" : "") +
        (v.authentication === "PASS" ? ", PASS" : "") + (v.vmac ? ", " + v.vmac : "") +
        (v.sync_group ? ", group " + v.sync_group : "");
      tr.appendChild(el("td", "l", v.name + " (" + what + ")"));
      var td = el("td"), pill = el("span", "pill " + (v.state === "MASTER" ? "st-up" : v.state === "BACKUP" ? "st-drain" : "st-down"), v.state);
      if (v.fault_reason) pill.title = v.fault_reason;
      td.appendChild(pill);
      tr.appendChild(td);
      tr.appendChild(el("td", "", v.effective_priority !== v.priority ? v.effective_priority + " (" + v.priority + ")" : String(v.priority)));
      tr.appendChild(el("td", "", v.master ? v.master + " (" + v.master_priority + ")" : "\u2013"));
      tr.appendChild(el("td", "", v.since_s + " s"));
      var last = (v.last_transitions || [])[(v.last_transitions || []).length - 1];
      var lc = el("td", "l", last ? last.from + " \u2192 " + last.to + ": " + last.reason : "\u2013");
      if (last) lc.title = new Date(last.time_ms).toISOString();
      tr.appendChild(lc);
      tr.appendChild(el("td", v.split_brain ? "bad" : "zero", String(v.split_brain || 0)));
      tb.appendChild(tr);
    });
    table.appendChild(tb);
  }

  /* ---- TLS certificates ----------------------------------------------------- */

  /* Every certificate with its expiry: red once expired, amber within 14 days. */
  function renderCerts(snap) {
    var list = snap.ssl_certs || [], card = $("d-certs-card"), table = $("d-certs");
    card.hidden = list.length === 0;
    if (!list.length) return;
    while (table.firstChild) table.removeChild(table.firstChild);
    var thead = el("thead"), h = el("tr");
    ["Certificate", "Name", "Expires", "Days left", "In use"].forEach(function (t, i) {
      h.appendChild(el("th", i < 2 ? "l" : "", t));
    });
    thead.appendChild(h);
    table.appendChild(thead);
    var tb = el("tbody");
    list.slice().sort(function (a, b) { return a.not_after_s - b.not_after_s; }).forEach(function (c) {
      var tr = el("tr", "cert");
      tr.setAttribute("data-cert", c.path);
      tr.appendChild(el("td", "l", c.path));
      tr.appendChild(el("td", "l", c.cn || "\u2013"));
      tr.appendChild(el("td", "", new Date(c.not_after_s * 1000).toISOString().slice(0, 10)));
      var td = el("td"), cls = c.days_left < 0 ? "st-down" : c.days_left < 14 ? "st-drain" : "st-up";
      td.appendChild(el("span", "pill " + cls, c.days_left < 0 ? "expired" : String(c.days_left)));
      tr.appendChild(td);
      tr.appendChild(el("td", "", c.used ? "yes" : "no"));
      tb.appendChild(tr);
    });
    table.appendChild(tb);
  }

  /* ---- summary and header ----------------------------------------------- */

  function renderSummary(snap, lat) {
    var bes = visibleBackends(snap), req = 0, err = 0, up = 0, tot = 0, beUp = 0;
    bes.forEach(function (b) {
      req += b.req_rate || 0;
      err += b.err_rate || 0;
      if (stateWord(b.status) === "UP") beUp++;
      b.servers.forEach(function (s) {
        tot++;
        var w = stateWord(s.status);
        if (w === "UP" || w === "no check" || w === "DRAIN") up++;
      });
    });
    var pct = req > 0 ? err / req * 100 : 0;
    var cards = [
      ["Requests / s", fmtRate(req), ""],
      ["Errors / s", fmtRate(err), err > 0 ? "bad" : "", req > 0 ? pct.toFixed(pct < 10 ? 1 : 0) + "%" : ""],
      ["Latency p50", fmtMs(lat.p50), ""],
      ["Latency p99", fmtMs(lat.p99), lat.p99 !== null && lat.p99 > 1000 ? "warn" : ""],
      ["Servers up", up + " / " + tot, up < tot ? (up === 0 && tot ? "bad" : "warn") : ""],
      ["Backends up", beUp + " / " + bes.length, beUp < bes.length ? "bad" : ""],
      ["Connections", fmtNum(snap.current_conns), "", snap.maxconn ? "of " + fmtNum(snap.maxconn) : ""]
    ];
    var box = $("d-summary");
    if (box.childNodes.length !== cards.length) {
      while (box.firstChild) box.removeChild(box.firstChild);
      cards.forEach(function (c) {
        var d = el("div", "stat"), k = el("div", "k", c[0]), v = el("div", "v");
        v.appendChild(document.createTextNode(""));
        v.appendChild(el("small"));
        d.appendChild(k); d.appendChild(v);
        box.appendChild(d);
      });
    }
    cards.forEach(function (c, i) {
      var d = box.childNodes[i], v = d.lastChild;
      if (d.className !== "stat " + c[2]) d.className = "stat " + c[2];
      setText(v.firstChild, c[1]);
      setText(v.lastChild, c[3] || "");
    });
  }

  function renderHeader(snap) {
    setText($("d-node"), snap.show_node ? snap.node : "");
    setText($("d-desc"), snap.show_desc && snap.desc ? snap.desc : "");
    var f = $("d-facts"), facts = [];
    if (snap.version) facts.push(["version", snap.version]);
    facts.push(["pid", snap.pid], ["uptime", fmtAge(snap.uptime_s)], ["threads", snap.nbthread]);
    var key = facts.map(function (x) { return x[0]; }).join();
    if (f.getAttribute("data-k") !== key) {
      while (f.firstChild) f.removeChild(f.firstChild);
      facts.forEach(function (x) {
        var s = el("span", "", x[0] + " ");
        s.appendChild(el("b"));
        f.appendChild(s);
      });
      f.setAttribute("data-k", key);
    }
    facts.forEach(function (x, i) { setText(f.childNodes[i].lastChild, x[1]); });
    document.title = (snap.show_node ? snap.node + " \u2014 " : "") + "tandem dashboard";
  }

  /* ---- timeline --------------------------------------------------------- */

  var KIND_TEXT = { health: "health", admin: "admin", vrrp: "VRRP", dns: "DNS", cert: "certificate", process: "process" };

  /* <ev>: {t, sys, text} (this page's own notes) or a state change of the
   * JSON export's history.events. */
  function addEvent(ev) {
    S.events.unshift(ev);
    if (S.events.length > MAX_EVENTS) S.events.length = MAX_EVENTS;
    var ol = $("d-timeline");
    var empty = ol.querySelector(".empty");
    if (empty) ol.removeChild(empty);
    var li = el("li", ev.sys ? "sys" : "ev k-" + ev.kind);
    if (!ev.sys) {
      li.setAttribute("data-kind", ev.kind);
      li.setAttribute("data-object", ev.object);
    }
    li.appendChild(el("time", "", clock(ev.t)));
    var what = el("span", "what");
    if (ev.sys) what.textContent = ev.text;
    else {
      what.appendChild(el("b", "", ev.object));
      what.appendChild(document.createTextNode(" "));
      what.appendChild(el("span", "pill " + stateClass(ev.from), ev.from || "\u2013"));
      what.appendChild(el("span", "arrow", "\u2192"));
      what.appendChild(el("span", "pill " + stateClass(ev.to), ev.to || "\u2013"));
      what.appendChild(el("span", "kind", KIND_TEXT[ev.kind] || ev.kind));
    }
    li.appendChild(what);
    var why = ev.sys ? "" : [ev.reason, ev.detail].filter(function (x) { return x; }).join(" \u00b7 ");
    if (why) li.appendChild(el("span", "why", why));
    li.title = new Date(ev.t).toString();
    ol.insertBefore(li, ol.firstChild);
    while (ol.childNodes.length > MAX_EVENTS) ol.removeChild(ol.lastChild);
    setText($("d-tl-count"), "(" + S.events.length + ")");
  }

  function flashRow(be, srv) {
    var c = S.cards[be], r = c && c.rows[srv];
    if (!r) return;
    r.tr.className = r.tr.className.replace(/ flash/, "") + " flash";
    setTimeout(function () { r.tr.className = r.tr.className.replace(/ flash/, ""); }, 1700);
  }

  /* The state changes tandem recorded since the newest one shown (the
   * first snapshot brings those of the last 15 minutes, oldest first). */
  function takeEvents(snap) {
    var list = snap.history && snap.history.events || [], first = S.frames === 0;
    list.forEach(function (e) {
      if (e.id <= S.lastEvent) return;
      S.lastEvent = e.id;
      addEvent({ t: e.time_ms - S.skew, kind: e.kind, object: e.object, proxy: e.proxy, server: e.server,
                 from: e.from, to: e.to, reason: e.reason, detail: e.detail });
      if (!first && e.server) flashRow(e.proxy, e.server);
    });
  }

  /* ---- history ---------------------------------------------------------- */

  /* The summary's latency is estimated over the requests that finished in
   * the last LAT_WINDOW_MS (at least one polling period): a single second
   * holds too few requests for a stable p99 on a quiet backend. */
  var LAT_WINDOW_MS = 5000;

  function latencyCounts(name, counts, now) {
    var snaps = S.prevHist[name] || (S.prevHist[name] = []), base = null, i;
    for (i = snaps.length - 1; i >= 0; i--) {
      base = snaps[i];
      if (now - snaps[i].t >= LAT_WINDOW_MS) break;
    }
    snaps.push({ t: now, counts: counts.slice() });
    while (snaps.length > 2 && now - snaps[1].t >= LAT_WINDOW_MS) snaps.shift();
    return base ? diffCounts(counts, base.counts) : null;
  }

  function sum3(a, b, c) { return a === null || a === undefined ? null : a + (b || 0) + (c || 0); }

  /* Append the samples of the seconds after S.endS to each backend's
   * points (a point is drawn at the end of its second). */
  function mergeHistory(snap) {
    var h = snap.history;
    if (!h || !h.seconds) return;
    var n = h.seconds, first = h.end_s - n + 1, from = Math.max(first, S.endS + 1);
    visibleBackends(snap).forEach(function (b) {
      var x = b.history;
      if (!x) return;
      var pts = S.hist[b.name] || (S.hist[b.name] = []);
      for (var sec = from; sec <= h.end_s; sec++) {
        var i = sec - first;
        pts.push({
          t: (sec + 1) * 1000 - S.skew, req: x.req[i],
          err: sum3(x.e5xx[i], x.econ[i], x.eresp[i]),
          e5xx: x.e5xx[i], econ: x.econ[i], eresp: x.eresp[i], e4xx: x.e4xx[i],
          p50: x.p50_ms[i], p99: x.p99_ms[i], state: x.state[i]
        });
      }
      var old = (h.end_s + 1) * 1000 - S.skew - HISTORY_MS;
      while (pts.length && pts[0].t <= old) pts.shift();
    });
    if (h.end_s > S.endS) S.endS = h.end_s;
    /* the first frame shows what tandem has: a young process in the 1m window */
    if (!S.frames && !S.winSet) {
      var span = 0;
      for (var k in S.hist) S.hist[k].forEach(function (p) { if (p.req !== null || p.state) span = Math.max(span, h.end_s + 1 - (p.t + S.skew) / 1000 + 1); });
      if (span && span <= 60) S.win = 60e3;
    }
    for (var name in S.hist)
      if (!snap.backends.some(function (b) { return b.name === name; })) delete S.hist[name];
  }

  /* Latency of the summary cards, over every backend. */
  function record(snap, now) {
    var bounds = snap.hist_bounds_ms, all = null;
    visibleBackends(snap).forEach(function (b) {
      var d = latencyCounts(b.name, b.hist.counts, now);
      if (!d) return;
      if (!all) all = d.slice();
      else for (var i = 0; i < d.length; i++) all[i] += d[i];
    });
    for (var name in S.prevHist)
      if (!snap.backends.some(function (b) { return b.name === name; })) delete S.prevHist[name];
    return { p50: quantile(all, bounds, 0.5), p99: quantile(all, bounds, 0.99) };
  }

  /* ---- polling ---------------------------------------------------------- */

  function setLive() {
    var dot = $("d-dot"), up = $("d-updated"), now = Date.now();
    if (S.paused) {
      dot.className = "dot paused";
      setText(up, "paused");
      return;
    }
    var age = S.lastOk ? Math.round((now - S.lastOk) / 1000) : null;
    var stale = !S.lastOk || now - S.lastOk > S.period * 3 + 1000;
    dot.className = "dot" + (stale ? " stale" : "");
    dot.title = stale ? "no fresh data" : "live";
    setText(up, S.lastOk ? (stale ? "stale: last update " + fmtAge(age) + " ago" : "updated " + clock(S.lastOk)) :
      (S.failing ? "cannot reach tandem" : "connecting\u2026"));
  }

  function banner(text, ok) {
    var b = $("d-banner");
    if (!text) { b.hidden = true; return; }
    b.textContent = text;
    b.className = "banner" + (ok ? " ok" : "");
    b.hidden = false;
  }

  function onSnapshot(snap) {
    var now = Date.now();
    if (S.failing) addEvent({ t: now, sys: 1, text: "contact with tandem restored" });
    S.failing = false;
    banner(null);
    if (S.pid !== null && snap.pid !== S.pid) S.prevHist = {};   /* a new worker: its counters go on */
    S.pid = snap.pid;
    S.skew = snap.time_ms ? snap.time_ms - now : 0;
    S.period = Math.max(1000, snap.refresh_ms || 1000);
    S.admin = !!snap.admin;
    S.lastOk = now;
    var keys = visibleBackends(snap).map(function (b) { return b.name; }).join("\n");
    var lat = record(snap, now);
    renderHeader(snap);
    renderSummary(snap, lat);
    renderBackends(snap);       /* builds the cards first: events may flash their rows */
    mergeHistory(snap);
    takeEvents(snap);
    redrawCharts();
    renderFrontends(snap);
    renderVrrp(snap);
    renderCerts(snap);
    renderAnycast(snap);
    /* a backend that appeared has no history yet: fetch all of it again */
    if (S.frames && keys !== S.histKeys) S.endS = 0;
    S.histKeys = keys;
    S.snap = snap;
    S.frames++;
    setLive();
  }

  function onFailure(why) {
    if (!S.failing) addEvent({ t: Date.now(), sys: 1, text: "lost contact with tandem (" + why + ")" });
    S.failing = true;
    banner("Cannot fetch statistics from tandem: " + why + ". Retrying every " + (S.period / 1000) + " s.");
    setLive();
  }

  function schedule(delay) {
    clearTimeout(S.timer);
    if (!S.paused) S.timer = setTimeout(poll, delay);
  }

  /* The JSON export with the history this page does not have yet: all of
   * it the first time, then the seconds since the newest one (and a margin). */
  function pollUrl() {
    var want = HISTORY_S;
    if (S.endS) want = Math.min(HISTORY_S, Math.max(2, Math.ceil((Date.now() + S.skew) / 1000 - S.endS) + 2));
    return cfg.json + "?history=" + want + "&rows=backends";
  }

  function poll() {
    if (S.paused || S.inflight) return;
    S.inflight = true;
    S.lastTry = Date.now();
    var ctl = window.AbortController ? new AbortController() : null;
    var guard = setTimeout(function () { if (ctl) ctl.abort(); }, Math.max(5000, S.period * 3));
    fetch(pollUrl(), { cache: "no-store", credentials: "same-origin", signal: ctl ? ctl.signal : undefined })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(onSnapshot, function (e) { onFailure(e && e.name === "AbortError" ? "timeout" : String(e && e.message || e)); })
      .then(function () {
        clearTimeout(guard);
        S.inflight = false;
        schedule(Math.max(200, S.period - (Date.now() - S.lastTry)));
      });
  }

  function pollNow() { schedule(0); }

  /* ---- start ------------------------------------------------------------ */

  $("d-pause").addEventListener("click", function () {
    S.paused = !S.paused;
    this.textContent = S.paused ? "Resume" : "Pause";
    if (S.paused) clearTimeout(S.timer);
    else pollNow();
    setLive();
  });
  var foot = $("d-foot");
  [["CSV", cfg.csv], ["JSON", cfg.json], ["Static page", cfg["static"]], ["Prometheus metrics", cfg.metrics]].forEach(function (l) {
    if (!l[1]) return;
    var a = el("a", "", l[0]);
    a.href = l[1];
    foot.appendChild(a);
  });
  foot.appendChild(el("span", "", "Polled every " + (S.period / 1000) + " s; history: the last 15 minutes, kept by tandem across reloads."));
  if (cfg.status) {
    toast("Last action: " + (ST_TEXT[cfg.status] || cfg.status), cfg.status !== "DONE" && cfg.status !== "NONE");
    if (window.history && history.replaceState)
      history.replaceState(null, "", location.href.replace(/;st=[A-Z]+/, ""));
  }
  window.addEventListener("resize", function () { redrawCharts(); });
  window.tandemDashboard = S;   /* for tests and curious operators (read-only use) */
  setInterval(setLive, 1000);
  poll();
})();
