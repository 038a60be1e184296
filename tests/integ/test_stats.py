"""The HTML stats page of a `listen stats` section: lists the frontend,
backend and servers with their state, and its counters move with traffic."""
import html
import re

from harness import Client, check, config, eq, free_port

FE, BE, SRV = "web_front", "app_back", ("node_alpha", "node_beta")


def _stats_cfg(fe_port, stats_port, apps):
    stats = ("listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n"
             "    stats refresh 5s\n" % stats_port)
    return config(fe_port, [(SRV[i], a.port) for i, a in enumerate(apps)], balance="roundrobin",
                  fe_name=FE, be_name=BE, extra_sections=stats)


def _server_row(page, name):
    """Visible text of the table row naming <name>: from the last <tr> before
    the name to its matching </tr>, nested tables (tooltips) included."""
    m = re.search(r">\s*%s\s*<" % re.escape(name), page)
    if not m:
        return None
    start = page.lower().rfind("<tr", 0, m.start())
    if start < 0:
        return None
    depth, i, low = 0, start, page.lower()
    tags = re.compile(r"<(/?)tr[\s>]")
    for t in tags.finditer(low, start):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            i = t.end()
            break
    else:
        i = len(page)
    return [html.unescape(re.sub(r"<[^>]*>", " ", page[start:i]))]


def _numbers(cells):
    return [int(x) for c in cells for x in re.findall(r"(?<![\w.:/])\d+(?![\w.:/])", c.replace(",", ""))]


def _fetch(port):
    c = Client(port)
    try:
        r = c.get("/stats")
    finally:
        c.close()
    eq(r.status, 200, "stats page status")
    check("text/html" in (r.header("content-type") or ""),
          "stats page Content-Type is %r, want text/html" % r.header("content-type"))
    return r, r.body.decode("utf-8", "replace")


def test_stats_page(ctx):
    apps = [ctx.app("A"), ctx.app("B")]
    fe_port, stats_port = free_port(), free_port()
    ctx.proxy(_stats_cfg(fe_port, stats_port, apps))
    r, page = _fetch(stats_port)
    for name in (FE, BE) + SRV:
        check(name in page, "stats page does not mention %r" % name)
    refresh = r.header("refresh") or ""
    check(refresh.startswith("5") or re.search(r'(?i)http-equiv="?refresh"?\s+content="?5', page),
          "stats page does not refresh every 5s (Refresh header %r)" % refresh)
    before = {}
    for s in SRV:
        row = _server_row(page, s)
        check(row, "no table row for server %s" % s)
        text = " ".join(row)
        check(re.search(r"\bUP\b|no check", text), "server %s row shows no UP state: %r" % (s, text[:300]))
        before[s] = _numbers(row)
    c = Client(fe_port)
    for _ in range(8):
        eq(c.get("/").status, 200, "status of traffic through the frontend")
    c.close()
    _, page2 = _fetch(stats_port)
    for s in SRV:
        after = _numbers(_server_row(page2, s))
        check(len(after) == len(before[s]),
              "row of %s changed shape: %r -> %r" % (s, before[s], after))
        grew = [i for i, (a, b) in enumerate(zip(before[s], after)) if b - a >= 4]
        check(grew, "no counter of %s grew by 4 after 4 requests: %r -> %r" % (s, before[s], after))
