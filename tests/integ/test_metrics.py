"""/metrics on a stats listener: the output passes `promtool check metrics`
with no warning at all, its numbers move with traffic, and a real Prometheus
(Debian's, started by the test on 127.0.0.1 with its storage in the test's
temp dir) scrapes it and answers a query about tandem's series. Also the JSON
export (`stats uri;json`) agrees with the CSV for the same counters."""
import json
import os
import re
import shutil
import subprocess
import urllib.parse

from harness import (Client, check, config, eq, free_port, http, parse_json,
                     poll_until, tandem_only, timeout, wait_port)

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def _start(ctx, stats_extra=""):
    """Two tandem-app servers behind frontend fe / backend be, and a
    `listen stats` with /stats. Returns (fe_port, stats_port, apps)."""
    apps = [ctx.app("A"), ctx.app("B")]
    fe_port, stats_port = free_port(), free_port()
    stats = ("listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n%s"
             % (stats_port, "".join("    %s\n" % l for l in stats_extra.splitlines() if l.strip())))
    ctx.proxy(config(fe_port, [("s1", apps[0].port, "check inter 500"), ("s2", apps[1].port, "check inter 500")],
                     nbthread=2, extra_sections=stats))
    # checked servers start DOWN until their first check passes: traffic
    # sent before that would get 503s (and closed connections)
    def both_up():
        csv = http(stats_port, "GET", "/stats;csv").body.decode()
        return sum(1 for l in csv.splitlines() if l.startswith("be,s") and ",UP," in l) == 2
    poll_until(both_up, 10, "s1 and s2 UP")
    return fe_port, stats_port, apps


def _traffic(fe_port, n, path="/"):
    c = Client(fe_port)
    try:
        for _ in range(n):
            c.get(path)
    finally:
        c.close()


def _metrics(stats_port):
    r = http(stats_port, "GET", "/metrics")
    eq(r.status, 200, "/metrics status")
    ctype = r.header("content-type") or ""
    check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
          "/metrics Content-Type is %r, want text/plain; version=0.0.4" % ctype)
    return r.body.decode("utf-8")


def _value(text, series):
    """The value of the sample line '<series> VALUE', or None."""
    m = re.search(r"^%s (\S+)$" % re.escape(series), text, re.M)
    return float(m.group(1)) if m else None


def test_promtool_clean(ctx):
    tandem_only("tandem's /metrics")
    check(os.access(PROMTOOL, os.X_OK), "promtool is not installed (apt-get install prometheus)")
    fe_port, stats_port, _ = _start(ctx)
    _traffic(fe_port, 20)
    _traffic(fe_port, 3, "/status?code=404")
    _traffic(fe_port, 2, "/status?code=503")
    text = _metrics(stats_port)
    path = ctx.write("metrics.txt", text)
    with open(path, "rb") as f:
        p = subprocess.run([PROMTOOL, "check", "metrics"], stdin=f, capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode("utf-8", "replace").strip()
    ctx.note("promtool said: %r" % out)
    eq(p.returncode, 0, "promtool check metrics exit status (output: %s)" % out[:500])
    eq(out, "", "promtool check metrics output (any line is a warning)")
    # the numbers are tandem's
    eq(_value(text, 'tandem_backend_http_responses_total{proxy="be",code="2xx"}'), 20.0, "backend 2xx")
    eq(_value(text, 'tandem_backend_http_responses_total{proxy="be",code="4xx"}'), 3.0, "backend 4xx")
    eq(_value(text, 'tandem_backend_http_responses_total{proxy="be",code="5xx"}'), 2.0, "backend 5xx")
    eq(_value(text, 'tandem_frontend_http_requests_total{proxy="fe"}'), 25.0, "frontend requests")
    s1 = _value(text, 'tandem_server_sessions_total{proxy="be",server="s1"}')
    s2 = _value(text, 'tandem_server_sessions_total{proxy="be",server="s2"}')
    eq((s1 or 0) + (s2 or 0), 25.0, "requests over both servers")
    eq(_value(text, 'tandem_backend_http_request_duration_seconds_count{proxy="be"}'), 25.0,
       "backend latency histogram count")
    eq(_value(text, 'tandem_process_threads'), 2.0, "process threads")
    check((_value(text, 'tandem_process_resident_memory_bytes') or 0) > 1e5, "resident memory looks real")
    check(_value(text, 'tandem_server_up{proxy="be",server="s1"}') is not None, "server up series")


def test_json_agrees_with_csv(ctx):
    tandem_only("tandem's JSON schema")
    fe_port, stats_port, _ = _start(ctx, "stats show-node\nstats hide-version")
    _traffic(fe_port, 10)
    # two JSON documents a second apart: the second one has rates
    doc = parse_json(http(stats_port, "GET", "/stats;json").body, "JSON export")
    csv = http(stats_port, "GET", "/stats;csv").body.decode()
    head = csv.splitlines()[0][2:].split(",")
    rows = {}
    for line in csv.splitlines()[1:]:
        f = line.split(",")
        rows[(f[0], f[1])] = dict(zip(head, f))
    be = [b for b in doc["backends"] if b["name"] == "be"][0]
    for s in be["servers"]:
        row = rows[("be", s["name"])]
        for k in ("stot", "scur", "smax", "econ", "eresp", "wretr", "wredis", "weight", "status"):
            want = row[k]
            got = s[k]
            eq(str(got) if got is not None else "", want, "server %s %s: JSON vs CSV" % (s["name"], k))
        eq(s["hrsp"]["2xx"], int(row["hrsp_2xx"]), "server %s hrsp 2xx" % s["name"])
    eq(doc["version"], None, "hide-version: no version")
    check(doc["show_node"] and doc["node"], "show-node: node name")
    check(sum(be["hist"]["counts"]) == 10, "histogram counts the 10 requests: %r" % be["hist"])
    # rates need a sample at least one second old: poll until one shows
    def rated():
        _traffic(fe_port, 5)
        d = parse_json(http(stats_port, "GET", "/stats;json").body, "JSON export")
        return d if d["rate_span_ms"] >= 1000 else None

    d2 = poll_until(rated, 5, "a JSON document with a rate over at least 1 s", interval=0.3)
    b2 = [b for b in d2["backends"] if b["name"] == "be"][0]
    check(b2["req_rate"] > 0, "backend req_rate after traffic: %r" % b2["req_rate"])


def _prom_query(port, q):
    r = http(port, "GET", "/api/v1/query?query=" + urllib.parse.quote(q), timeout=5)
    if r.status != 200:
        return None
    d = json.loads(r.body)
    if d.get("status") != "success":
        return None
    return d["data"]["result"]


@timeout(120)
def test_prometheus_scrapes(ctx):
    tandem_only("tandem's /metrics")
    check(os.access(PROMETHEUS, os.X_OK), "prometheus is not installed (apt-get install prometheus)")
    fe_port, stats_port, _ = _start(ctx)
    _traffic(fe_port, 7)
    prom_port = free_port()
    cfg = ctx.write("prometheus.yml",
                    "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: tandem\n    metrics_path: /metrics\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % stats_port)
    data = ctx.path("prom-data")
    os.makedirs(data)
    prom = ctx.spawn("prometheus", [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + data,
                                    "--web.listen-address=127.0.0.1:%d" % prom_port,
                                    "--log.level=warn"])
    try:
        wait_port(prom_port, 30, prom)

        def scraped():
            up = _prom_query(prom_port, 'up{job="tandem"}')
            if not up or up[0]["value"][1] != "1":
                return None
            res = _prom_query(prom_port, 'tandem_backend_http_requests_total{proxy="be"}')
            return res if res and float(res[0]["value"][1]) >= 7 else None

        res = poll_until(scraped, 40, "Prometheus to scrape tandem and answer the query", interval=0.25)
        eq(res[0]["metric"].get("job"), "tandem", "job label of the series")
        hist = _prom_query(prom_port,
                           'histogram_quantile(0.5, sum by (le) (tandem_backend_http_request_duration_seconds_bucket{proxy="be"}))')
        check(hist and float(hist[0]["value"][1]) > 0, "histogram_quantile over tandem's buckets: %r" % hist)
    finally:
        rc, killed = prom.stop(10)
        ctx.note("prometheus stopped: status %s, killed %s; stderr tail: %s" % (rc, killed, prom.err()[-500:]))
