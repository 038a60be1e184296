"""Access log: `option httplog` lines in HAProxy's format, and tandem's
`option httplog json`."""
import json
import re

from harness import Client, check, config, eq, free_port, poll_until, tandem_only

# %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r
HTTPLOG_RE = re.compile(
    r'^(?P<ci>\d+\.\d+\.\d+\.\d+):(?P<cp>\d+) '
    r'\[(?P<tr>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] '
    r'(?P<ft>\S+) (?P<b>[^/\s]+)/(?P<s>\S+) '
    r'(?P<TR>-?\d+)/(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/(?P<Tr>-?\d+)/(?P<Ta>\+?-?\d+) '
    r'(?P<ST>-?\d+) (?P<B>\+?\d+) (?P<CC>\S+) (?P<CS>\S+) (?P<tsc>\S{4}) '
    r'(?P<ac>\d+)/(?P<fc>\d+)/(?P<bc>\d+)/(?P<sc>\d+)/(?P<rc>\+?\d+) '
    r'(?P<sq>\d+)/(?P<bq>\d+) "(?P<r>[^"]*)"$')

LOG_GLOBAL = "log stdout format raw local0"


def _find_line(px, needle, what):
    def look():
        for line in px.logs().splitlines():
            if needle in line:
                return line
        return None
    return poll_until(look, 5, what)


def test_httplog_line(ctx):
    app = ctx.app("A")
    port = free_port()
    px = ctx.proxy(config(port, [("s1", app.port)], global_extra=LOG_GLOBAL,
                          defaults_extra="log global\noption httplog"))
    c = Client(px.port)
    cport = c.sock.getsockname()[1]
    eq(c.get("/read?logme=1").status, 200, "status")
    c.close()
    line = _find_line(px, "/read?logme=1", "the access log line of GET /read?logme=1")
    m = HTTPLOG_RE.match(line)
    check(m, "access log line does not match the httplog format: %r" % line)
    g = m.groupdict()
    eq((g["ci"], int(g["cp"])), ("127.0.0.1", cport), "client address and port")
    eq((g["ft"], g["b"], g["s"]), ("fe", "be", "s1"), "frontend, backend/server")
    eq(g["ST"], "200", "status")
    check(int(g["B"]) > len("NODE_A\n"), "bytes sent %s should count head and body" % g["B"])
    eq(g["tsc"], "----", "termination state of a clean request")
    eq(g["r"], "GET /read?logme=1 HTTP/1.1", "request line")
    for k in ("TR", "Tw", "Tc", "Tr", "Ta"):
        check(int(g[k].lstrip("+")) >= 0, "timer %s=%s should be >= 0 for a served request" % (k, g[k]))


def test_httplog_no_server(ctx):
    port = free_port()
    px = ctx.proxy(config(port, [], global_extra=LOG_GLOBAL, defaults_extra="log global\noption httplog"))
    c = Client(px.port)
    eq(c.get("/nosrv").status, 503, "status")
    c.close()
    line = _find_line(px, "/nosrv", "the access log line of GET /nosrv")
    m = HTTPLOG_RE.match(line)
    check(m, "access log line does not match the httplog format: %r" % line)
    eq((m["b"], m["s"], m["ST"]), ("be", "<NOSRV>", "503"), "backend/server and status")
    check(m["tsc"] != "----", "termination state %r should show an error" % m["tsc"])


def test_httplog_json(ctx):
    tandem_only("option httplog json")
    app = ctx.app("A")
    port = free_port()
    px = ctx.proxy(config(port, [("s1", app.port)], global_extra=LOG_GLOBAL,
                          defaults_extra="log global\noption httplog json"))
    c = Client(px.port)
    eq(c.get("/read?jsonlog=1").status, 200, "status")
    c.close()
    line = _find_line(px, "/read?jsonlog=1", "the JSON access log line of GET /read?jsonlog=1")
    try:
        j = json.loads(line[line.index("{"):])
    except ValueError as e:
        raise AssertionError("JSON access log line is not valid JSON (%s): %r" % (e, line))

    def field(part, want):
        keys = [k for k in j if part in k.lower()]
        check(any(j[k] == want or str(j[k]) == str(want) for k in keys),
              "no %s field equal to %r in %r" % (part, want, j))
    field("status", 200)
    field("backend", "be")
    field("server", "s1")
