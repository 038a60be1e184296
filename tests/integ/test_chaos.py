"""tandem-chaos checked against what the nodes themselves counted: request
totals and per-node answers match tandem-app's /admin/stats, a kill is
noticed, a node that keeps serving is reported as "never" detected, the
JSON parses and the chart is a self-contained page; -n sends exactly that
many requests, --stage opens as many connections as its highest stage and
closes them on the way down, p95 and p99.9 sit between p50 and max, drain
and ready act on tandem's runtime API. Then the seeds playbook itself (it
needs health checks and retry-on in tandem to pass)."""
import json
import os
import re
import signal

from harness import (BIN_DIR, check, config, eq, free_port, http, parse_json, poll_until, serial,
                     tandem_only, timeout)

CHAOS = os.path.join(BIN_DIR, "tandem-chaos")


def _chaos(ctx, args, limit=60, name="chaos"):
    """Run tandem-chaos with <args>; returns (exit status, stdout, stderr)."""
    tandem_only("tandem-chaos drives tandem's own lab")
    check(os.access(CHAOS, os.X_OK), "missing %s" % CHAOS)
    if "--lab" in args or "--playbook" in args:
        args = args + ["--workdir", ctx.tmpdir]   # lab directories are the test's
    p = ctx.spawn(name, [CHAOS] + args)
    rc = p.wait(limit)
    check(rc is not None, "tandem-chaos did not finish within %ds:\n%s" % (limit, p.tail()))
    return rc, p.out(), p.err()


def _json(ctx, path):
    with open(path) as f:
        return parse_json(f.read(), "tandem-chaos --json output")


def _target(ctx, names=("A", "B")):
    """Nodes and a tandem in front (servers named like the nodes) with a
    stats page; returns (proxy port, stats port, [apps])."""
    apps = [ctx.app(n) for n in names]
    port, sport = free_port(), free_port()
    stats = "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n" % sport
    cfg = config(port, [(a.name, a.port) for a in apps], balance="roundrobin",
                 be_name="app", be_extra="retries 3\noption redispatch", extra_sections=stats)
    ctx.proxy(cfg)
    return port, sport, apps


def _node_args(apps):
    out = []
    for a in apps:
        out += ["--node", "%s=%d:http://127.0.0.1:%d" % (a.name, a.proc.pid, a.port)]
    return out


def test_counts_match_the_nodes(ctx):
    """Target mode: what chaos counted is what each node received, GET and
    POST, and no POST id arrived twice."""
    port, sport, apps = _target(ctx)
    out = ctx.path("run.json")
    rc, _, err = _chaos(ctx, ["--url", "http://127.0.0.1:%d/read" % port, "--duration", "1.5s",
                              "--conns", "4", "--post-ratio", "0.25", "--json", out,
                              "--stats-url", "http://127.0.0.1:%d/stats;csv" % sport]
                        + _node_args(apps))
    eq(rc, 0, "exit status (stderr: %s)" % err[-500:])
    d = _json(ctx, out)
    t = d["totals"]
    check(t["requests"] > 50, "too few requests: %r" % t)
    eq((t["errors"], t["unfinished"], t["sent"]), (0, 0, t["requests"]), "errors, unfinished, sent")
    reads = writes = 0
    for a in apps:
        st = parse_json(http(a.port, "GET", "/admin/stats").body, "/admin/stats")
        got = st["paths"]["/read"] + st["paths"]["/write"]
        eq(got, t["answers"][a.name], "requests node %s received vs answers chaos saw from it" % a.name)
        eq((st["post_id_dups"], st["post_without_id"]), (0, 0), "POST ids at node %s" % a.name)
        reads += st["paths"]["/read"]
        writes += st["paths"]["/write"]
    eq(writes, t["posts"], "POST /write received by the nodes vs sent")
    eq(reads + writes, t["requests"], "requests received by the nodes vs counted")
    eq(sum(s["requests"] for s in d["seconds"]), t["requests"], "per-second rows add up to the total")
    check(d["lb_events"] and {e["node"] for e in d["lb_events"]} == {"A", "B"},
          "stats CSV rows of both servers seen: %r" % d["lb_events"])


def test_kill_is_noticed(ctx):
    """A node killed by PID stops answering: its share falls to 0 at once
    (the fault's detect time is small, not "never") and the seconds after
    the kill have no answer from it."""
    port, _, apps = _target(ctx, ("A", "B", "C"))
    out = ctx.path("run.json")
    rc, _, err = _chaos(ctx, ["--url", "http://127.0.0.1:%d/read" % port, "--duration", "2.5s",
                              "--fault", "0.8s:kill:B", "--json", out] + _node_args(apps))
    eq(rc, 0, "exit status (stderr: %s)" % err[-500:])
    check(apps[1].proc.wait(2) is not None, "node B still running after the kill")
    eq(apps[1].proc.returncode(), -signal.SIGKILL, "B's exit")
    d = _json(ctx, out)
    f = d["faults"][0]
    eq((f["action"], f["node"], f["ok"]), ("kill", "B", True), "fault")
    check(0 <= f["detect_traffic_ms"] < 500, "detect time after a kill: %r" % f)
    check(d["seconds"][0]["nodes"]["B"] > 0, "B answered before the kill")
    for s in d["seconds"][1:]:
        eq(s["nodes"]["B"], 0, "answers from B in second %d" % s["t"])


def test_zombie_not_detected_without_checks(ctx):
    """Without health checks a zombie keeps its traffic: chaos reports it
    as never detected (-1) rather than inventing a time. Lab mode."""
    out = ctx.path("run.json")
    rc, stdout, err = _chaos(ctx, ["--lab", "2", "--no-checks", "--retry-on", "none",
                                   "--duration", "2s", "--fault", "0.5s:zombie:A", "--json", out])
    eq(rc, 0, "exit status (stderr: %s)" % err[-800:])
    d = _json(ctx, out)
    f = d["faults"][0]
    eq((f["action"], f["ok"], f["detect_traffic_ms"]), ("zombie", True, -1), "zombie fault result")
    eq(d["totals"]["errors"], 0, "client errors")
    check(re.search(r"zombie A\s+never", stdout), "human table says never:\n" + stdout)


def test_json_and_chart(ctx):
    """--json - writes one JSON document on stdout (the table goes to
    stderr); --chart writes a page with an inline <svg> and nothing fetched
    from elsewhere."""
    chart = ctx.path("chart.html")
    rc, stdout, err = _chaos(ctx, ["--lab", "2", "--no-checks", "--retry-on", "none",
                                   "--duration", "1s", "--weights", "3,1", "--json", "-",
                                   "--chart", chart])
    eq(rc, 0, "exit status (stderr: %s)" % err[-800:])
    d = parse_json(stdout, "stdout")
    for k in ("totals", "seconds", "faults", "lb_events", "nodes"):
        check(k in d, "JSON has %s" % k)
    eq(d["nodes"], ["A", "B"], "nodes")
    check("req/s" in err, "human table on stderr")
    share = d["totals"]["share"]["A"]
    check(0.70 <= share <= 0.80, "weights 3,1: A's share %.3f" % share)
    with open(chart) as f:
        page = f.read()
    check(page.startswith("<!DOCTYPE html>") and "<svg" in page and "</html>" in page, "chart page")
    check("<script" not in page and not re.search(r"(src|href)\s*=", page),
          "chart loads nothing from elsewhere")


def _node_stats(port):
    return parse_json(http(port, "GET", "/admin/stats").body, "/admin/stats")


def test_count_n(ctx):
    """-n 300 -c 7 straight at a node (ab's -n and -c): exactly 300 requests
    arrive, over exactly 7 connections, and the run ends when they are
    answered, long before --duration."""
    a = ctx.app("A", ["--read-delay-ms", "1"])
    before = _node_stats(a.port)["connections"]["total"]   # this request's connection included
    out = ctx.path("n.json")
    rc, _, err = _chaos(ctx, ["--url", "http://127.0.0.1:%d/read" % a.port, "-n", "300", "-c", "7",
                              "--duration", "60s", "--json", out])
    eq(rc, 0, "exit status (stderr: %s)" % err[-500:])
    d = _json(ctx, out)
    eq((d["count"], d["totals"]["sent"], d["totals"]["requests"], d["totals"]["errors"]), (300, 300, 300, 0),
       "count, sent, answered, errors")
    check(d["run_ms"] < 30000, "the run ended with the count, not the duration: %r" % d["run_ms"])
    st = _node_stats(a.port)
    eq((st["paths"]["/read"], st["connections"]["total"] - before - 1), (300, 7),
       "requests and connections at the node")
    t = d["totals"]
    check(0 < t["p50_ms"] <= t["p95_ms"] <= t["p99_ms"] <= t["p999_ms"] <= t["max_ms"],
          "percentiles in order: %r" % {k: v for k, v in t.items() if k.endswith("_ms")})


def test_stages(ctx):
    """--stage 0.6s:6,0.6s:6,0.4s:0 from one connection (k6's stages): the
    node sees exactly 6 connections opened, none left open, and the run lasts
    the sum of the stages."""
    a = ctx.app("A", ["--read-delay-ms", "2"])
    before = _node_stats(a.port)["connections"]["total"]   # this request's connection included
    out = ctx.path("s.json")
    rc, _, err = _chaos(ctx, ["--url", "http://127.0.0.1:%d/read" % a.port, "--stage", "0.6s:6,0.6s:6,0.4s:0",
                              "--json", out])
    eq(rc, 0, "exit status (stderr: %s)" % err[-500:])
    d = _json(ctx, out)
    eq((d["stages"], d["duration_ms"], d["conns"]),
       ([{"ms": 600, "conns": 6}, {"ms": 600, "conns": 6}, {"ms": 400, "conns": 0}], 1600, 1),
       "stages, duration, starting connections")
    eq(d["totals"]["errors"], 0, "errors")
    calls = []

    def closed():
        st = _node_stats(a.port)
        calls.append(st)
        return st["connections"]["current"] == 1   # the one left is this check's
    poll_until(closed, 5, "every ramp connection closed")
    eq(calls[-1]["connections"]["total"] - before - len(calls), 6, "connections the ramp opened")


def test_drain_on_the_runtime_api(ctx):
    """Target mode with --admin-socket: drain A at 0.5 s (tandem stops
    giving it requests; chaos sees it leave), ready at 1.5 s (back)."""
    apps = [ctx.app(n) for n in ("A", "B")]
    port, sock = free_port(), ctx.path("admin.sock")
    if len(sock) > 90:
        sock = "/tmp/tandem-integ-chaos-%d.sock" % os.getpid()
    cfg = config(port, [(a.name, a.port) for a in apps], balance="roundrobin", be_name="app",
                 global_extra="stats socket %s mode 600 level admin" % sock)
    ctx.proxy(cfg)
    out = ctx.path("d.json")
    rc, _, err = _chaos(ctx, ["--url", "http://127.0.0.1:%d/read" % port, "--admin-socket", sock,
                              "--duration", "2.5s", "--fault", "0.5s:drain:A", "--fault", "1.5s:ready:A",
                              "--json", out] + _node_args(apps))
    eq(rc, 0, "exit status (stderr: %s)" % err[-500:])
    d = _json(ctx, out)
    eq([(f["action"], f["node"], f["ok"], f["error"]) for f in d["faults"]],
       [("drain", "A", True, None), ("ready", "A", True, None)], "faults")
    check(0 <= d["faults"][0]["detect_traffic_ms"] < 300, "A left the rotation: %r" % d["faults"][0])
    check(d["faults"][1]["recover_first_ms"] is not None and 0 <= d["faults"][1]["recover_first_ms"] < 300,
          "A came back: %r" % d["faults"][1])
    eq(d["totals"]["errors"], 0, "client errors")


def test_bad_arguments(ctx):
    """Usage errors exit 2 before anything is started."""
    for args in (["--lab", "2", "--fault", "1s:explode:A"], ["--lab", "2", "--fault", "1s:kill:Z"],
                 ["--url", "http://127.0.0.1:1/", "--fault", "1s:restart:A", "--node", "A=1:"],
                 ["--url", "http://127.0.0.1:1/", "--fault", "1s:zombie:A", "--node", "A=1"],
                 ["--url", "http://127.0.0.1:1/", "--fault", "1s:drain:A", "--node", "A=1"],
                 ["--lab", "2", "--fault", "1s:add:A"], ["--lab", "000", "--fault", "1s:zombie:redis-A"],
                 ["--lab", "999"], ["--playbook", "999"], ["--demo", "999"], ["--lab", "2", "-n", "0"],
                 ["--lab", "2", "--stage", "5s"], ["--lab", "2", "--stage", "1s:5", "--duration", "2s"],
                 ["--lab", "2", "--admin-socket", "/tmp/x"],
                 ["--lab", "2", "--url", "http://127.0.0.1:1/"], []):
        rc, _, err = _chaos(ctx, args, 10)
        eq(rc, 2, "exit status of %r (stderr: %s)" % (args, err[-300:]))


@serial
@timeout(150)
def test_playbook_seeds(ctx):
    """The lab notes' scenarios with the default lab (health checks inter
    500ms fastinter 100ms fall 2 rise 2, retries 3, redispatch, retry-on
    conn-failure empty-response): every scenario passes, in under 90 s."""
    out = ctx.path("seeds.json")
    rc, stdout, err = _chaos(ctx, ["--playbook", "seeds", "--json", out,
                                   "--chart", ctx.path("seeds.html")], 140)
    ctx.note("playbook output:\n" + stdout[-4000:] + err[-1000:])
    d = _json(ctx, out)
    failed = ["%s: %s" % (s["name"], s["error"] or "; ".join(
        "%s=%s" % (c["what"], c["value"]) for c in s["checks"] if not c["pass"] and not c["info"]))
        for s in d["scenarios"] if not s["pass"]]
    check(not failed, "scenarios failed: %s" % " | ".join(failed)[:1500])
    eq(rc, 0, "exit status")
    check(d["elapsed_ms"] < 90000, "playbook took %.1f s" % (d["elapsed_ms"] / 1000.0))
