"""The rules language from outside: configurations HAProxy accepts are
accepted, mistakes are refused naming file:line and the word, and the
runtime API's map and ACL commands (show, get, add, set, del, clear) answer
as HAProxy does and change what later lookups see.

Run against HAProxy too (PROXY=haproxy): the expected answers are HAProxy
2.6's; where tandem differs on purpose the test says so."""
import re

from harness import check, config, eq, free_port, haproxy_differs, is_haproxy, poll_until
from test_admin import cli

PTR = re.compile(r"^0x[0-9a-f]+ ", re.M)


def _files(ctx):
    m = ctx.write("backends.map", "/api api\n/static static\n# comment\n\n  /x  value with spaces  \n")
    ips = ctx.write("blocked.lst", "10.0.0.0/8\n192.168.1.1\n")
    return m, ips


def _rules_proxy(ctx, m, ips, level="admin"):
    sock = ctx.path("admin.sock")
    fe = ("acl bad src -f %s\n"
          "acl p path_beg /a /b\n"
          "acl q hdr(host) -i -m beg www. api.\n"
          "http-request deny if bad\n"
          "use_backend %%[path,map_beg(%s,be)]\n"
          "http-request set-header X-M %%[req.hdr(host),map(%s)] if p q\n") % (ips, m, m)
    cfg = config(free_port(), [("s1", free_port())], fe_extra=fe,
                 global_extra="stats socket %s level %s" % (sock, level))
    ctx.proxy(cfg)
    poll_until(lambda: cli(sock, "show map").startswith("# id"), 10, "the stats socket answers")
    return sock


def test_show(ctx):
    m, ips = _files(ctx)
    sock = _rules_proxy(ctx, m, ips)
    out = cli(sock, "show map")
    lines = out.splitlines()
    eq(lines[0], "# id (file) description", "show map header")
    check(re.search(r"^\d+ \(%s\) pattern loaded from file '%s' used by map at file '[^']+' line \d+, "
                    r"by map at file '[^']+' line \d+\. curr_ver=0 next_ver=0 entry_cnt=\d+$" % (re.escape(m), re.escape(m)),
                    out, re.M), "show map lists the map file and its two uses: %r" % out)
    out = cli(sock, "show acl")
    check(re.search(r"^\d+ \(%s\) pattern loaded from file '%s' used by acl at file '[^']+' line \d+\. "
                    r"curr_ver=0 next_ver=0 entry_cnt=2$" % (re.escape(ips), re.escape(ips)), out, re.M),
          "show acl lists the pattern file: %r" % out)
    check(re.search(r"^\d+ \(\) acl 'path_beg' file '[^']+' line \d+\. curr_ver=0 next_ver=0 entry_cnt=2$", out, re.M),
          "show acl lists the inline patterns of 'acl p': %r" % out)
    check(re.search(r"^\d+ \(\) acl 'hdr' file '[^']+' line \d+\. curr_ver=0 next_ver=0 entry_cnt=2$", out, re.M),
          "show acl lists the inline patterns of 'acl q': %r" % out)
    out = cli(sock, "show map %s" % m)
    eq(PTR.sub("P ", out), "P /api api\nP /static static\nP /x value with spaces\n\n", "show map <file>")
    out = cli(sock, "show acl %s" % ips)
    eq(PTR.sub("P ", out), "P 10.0.0.0/8\nP 192.168.1.1\n\n", "show acl <file>")
    eq(cli(sock, "show map nosuch"), "Unknown map identifier. Please use #<id> or <file>.\n\n", "unknown map")
    eq(cli(sock, "show acl #999"), "Unknown ACL identifier. Please use #<id> or <file>.\n\n", "unknown acl id")
    # by #id: the id of the inline path_beg patterns
    pid = re.search(r"^(\d+) \(\) acl 'path_beg'", cli(sock, "show acl"), re.M).group(1)
    eq(PTR.sub("P ", cli(sock, "show acl #%s" % pid)), "P /a\nP /b\n\n", "show acl #id")


def test_get(ctx):
    m, ips = _files(ctx)
    sock = _rules_proxy(ctx, m, ips)
    eq(cli(sock, "get map %s /api/foo" % m),
       "type=str, case=sensitive, found=no\n"
       "type=beg, case=sensitive, found=yes, idx=tree, key=\"/api\", value=\"api\", type=\"str\"\n\n", "get map (beg)")
    eq(cli(sock, "get map %s /x" % m),
       "type=str, case=sensitive, found=yes, idx=tree, key=\"/x\", value=\"value with spaces\", type=\"str\"\n"
       "type=beg, case=sensitive, found=yes, idx=tree, key=\"/x\", value=\"value with spaces\", type=\"str\"\n\n",
       "get map (both)")
    eq(cli(sock, "get acl %s 10.1.2.3" % ips),
       "type=ip, case=sensitive, match=yes, idx=tree, pattern=\"10.0.0.0/8\"\n\n", "get acl ip")
    eq(cli(sock, "get acl %s 11.1.2.3" % ips), "type=ip, case=sensitive, match=no\n\n", "get acl no match")
    qid = re.search(r"^(\d+) \(\) acl 'hdr'", cli(sock, "show acl"), re.M).group(1)
    eq(cli(sock, "get acl #%s WWW.example.com" % qid),
       "type=beg, case=insensitive, match=yes, idx=list, pattern=\"www.\"\n\n", "get acl -i")
    eq(cli(sock, "get map"), "Missing map identifier and/or key.\n\n", "get map without arguments")
    eq(cli(sock, "get acl #999 x"), "Unknown ACL identifier. Please use #<id> or <file>.\n\n", "get acl unknown")


def test_change(ctx):
    m, ips = _files(ctx)
    sock = _rules_proxy(ctx, m, ips)
    eq(cli(sock, "add map %s /new newval" % m), "\n", "add map")
    eq(cli(sock, "set map %s /new v2" % m), "\n", "set map")
    eq(cli(sock, "get map %s /new" % m).splitlines()[0],
       "type=str, case=sensitive, found=yes, idx=tree, key=\"/new\", value=\"v2\", type=\"str\"", "get after set")
    eq(cli(sock, "set map %s /nope v2" % m), "entry not found.\n\n", "set map of a missing key")
    eq(cli(sock, "add map %s /only-key" % m),
       "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) "
       "and a payload\n\n", "add map without value")
    out = cli(sock, "show map %s" % m)
    check(out.endswith(" /new v2\n\n"), "the new entry is last: %r" % out)
    ref = re.search(r"^(0x[0-9a-f]+) /new v2$", out, re.M).group(1)
    eq(cli(sock, "set map %s #%s v3" % (m, ref)), "\n", "set map by reference")
    check(out.replace("/new v2", "/new v3") == cli(sock, "show map %s" % m), "set by reference changed the value")
    eq(cli(sock, "del map %s #%s" % (m, ref)), "\n", "del map by reference")
    eq(cli(sock, "del map %s #%s" % (m, ref)), "Key not found.\n\n", "del map of a deleted reference")
    eq(cli(sock, "add map %s /dup a" % m) + cli(sock, "add map %s /dup b" % m), "\n\n", "two entries, one key")
    eq(cli(sock, "del map %s /dup" % m), "\n", "del map removes both")
    eq(cli(sock, "del map %s /dup" % m), "Key not found.\n\n", "nothing left")
    eq(cli(sock, "del map %s" % m), "This command expects two parameters: map identifier and key.\n\n", "del map usage")
    eq(cli(sock, "add acl %s bogus" % ips), "'bogus' is not a valid IPv4 or IPv6 address.\n\n", "add acl checks patterns")
    eq(cli(sock, "add acl %s 1.2.3.4" % ips), "\n", "add acl")
    eq(cli(sock, "get acl %s 1.2.3.4" % ips),
       "type=ip, case=sensitive, match=yes, idx=tree, pattern=\"1.2.3.4\"\n\n", "the new pattern matches")
    eq(cli(sock, "del acl %s 1.2.3.4" % ips), "\n", "del acl")
    eq(cli(sock, "del acl %s 1.2.3.4" % ips), "Key not found.\n\n", "del acl again")
    eq(cli(sock, "add acl"), "'add acl' expects two parameters: ACL identifier and pattern.\n\n", "add acl usage")
    eq(cli(sock, "clear acl"), "Missing ACL identifier.\n\n", "clear acl usage")
    eq(cli(sock, "clear acl %s" % ips), "\n", "clear acl")
    eq(cli(sock, "show acl %s" % ips), "\n", "an empty acl")
    eq(cli(sock, "clear map %s" % m), "\n", "clear map")
    eq(cli(sock, "show map %s" % m), "\n", "an empty map")
    eq(cli(sock, "get map %s /api" % m),
       "type=str, case=sensitive, found=no\ntype=beg, case=sensitive, found=no\n\n", "nothing found after clear")


@haproxy_differs("HAProxy 2.6 lets a level-user session change maps and ACLs")
def test_levels(ctx):
    m, ips = _files(ctx)
    sock = _rules_proxy(ctx, m, ips, level="user")
    eq(cli(sock, "add map %s /k v" % m), "Permission denied\n\n", "add map at level user")
    eq(cli(sock, "clear acl %s" % ips), "Permission denied\n\n", "clear acl at level user")
    check(cli(sock, "show map %s" % m).startswith("0x"), "show map at level user")


# ------------------------------------------------ configuration check ----

def _cfg_with(fe_extra, extra_sections=""):
    return config(free_port(), [("s1", free_port())], fe_extra=fe_extra, extra_sections=extra_sections)


def test_config_accepted(ctx):
    """Rules of the kinds real configurations use: both proxies accept them."""
    m = ctx.write("hosts.map", "www.example.com web\n")
    err = ctx.write("503.http", "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n<h1>down</h1>\n")
    fe = "\n".join([
        "acl is_api path_beg /api",
        "acl is_admin hdr(host) -i admin.example.com",
        "acl trusted src 127.0.0.0/8 10.0.0.0/8 ::1",
        "http-request deny if is_admin !trusted",
        "http-request auth realm Admin if is_admin !{ http_auth(admins) }",
        "http-request redirect scheme https code 301 if { hdr(x-forwarded-proto) http }",
        "http-request set-header X-Host %[req.hdr(host),lower,map(" + m + ",other)]",
        "http-request set-var(txn.path) path",
        "http-request return status 200 content-type text/plain string ok if { path /ping }",
        "http-request replace-path ^/old/(.*) /new/\\1",
        "http-response set-header X-Path %[var(txn.path)]",
        "http-response del-header Server",
        "http-after-response set-header X-Served-By tandem",
        "capture request header Host len 32",
        "log-format \"%ci:%cp [%tr] %ft %b/%s %ST %B %hr %{+Q}r %[var(txn.path)]\"",
        "unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid",
        "unique-id-header X-Request-ID",
        "monitor-uri /health",
        "monitor fail if { nbsrv(be) lt 1 }",
        "errorfile 503 " + err,
        "use_backend be if is_api || { path_beg /v2 }",
        "tcp-request inspect-delay 2s",
        "tcp-request content accept if HTTP",
    ])
    sections = "userlist admins\n    user ops insecure-password secret\n"
    rc, out, _ = ctx.check_config(_cfg_with(fe, sections))
    eq(rc, 0, "config check of a rule-rich configuration (output: %r)" % out[-800:])


def _refused(ctx, fe_extra, word, extra_sections=""):
    cfg = _cfg_with(fe_extra, extra_sections)
    rc, out, path = ctx.check_config(cfg)
    eq(rc, 1, "config check exit status with %r" % fe_extra)
    line = next(i for i, l in enumerate(cfg.splitlines(), 1) if word in l)
    check("%s:%d" % (path, line) in out, "message does not name %s:%d: %r" % (path, line, out[-600:]))
    check(word in out, "message does not name %r: %r" % (word, out[-600:]))


def test_config_unknown_fetch(ctx):
    _refused(ctx, "acl a pathh_beg /x", "pathh_beg")


def test_config_unknown_converter(ctx):
    _refused(ctx, "http-request set-header X %[path,lowerr]", "lowerr")


def test_config_unknown_acl(ctx):
    _refused(ctx, "http-request deny if no_such_acl", "no_such_acl")


def test_config_unknown_action(ctx):
    _refused(ctx, "http-request frobnicate", "frobnicate")


def test_config_unknown_match(ctx):
    _refused(ctx, "acl a path -m bgn /x", "bgn")


def test_config_bad_regex(ctx):
    _refused(ctx, "acl a path_reg ^(unclosed", "(unclosed")


def test_config_missing_pattern_file(ctx):
    _refused(ctx, "acl a src -f /nonexistent/blocked.lst", "/nonexistent/blocked.lst")


def test_config_response_fetch_in_request(ctx):
    _refused(ctx, "http-request set-header X %[res.hdr(server)]", "res.hdr")


@haproxy_differs("HAProxy only warns that an ACL using a response fetch in a request rule will never match")
def test_config_response_acl_in_request(ctx):
    _refused(ctx, "http-request deny if { res.hdr(server) -m found }", "res.hdr")


# ------------------------------------------------ reload keeps changes ----

def _map_proxy(ctx, m, acl):
    from test_reload import _workers
    sock = ctx.path("admin.sock")
    fe = ("http-request deny if { path -f %s }\n"
          "http-request return status 200 content-type text/plain lf-string \"%%[path,map(%s,none)]\"\n") % (acl, m)
    cfg = config(free_port(), [("s1", free_port())], fe_extra=fe,
                 global_extra="stats socket %s level admin" % sock)
    px = ctx.proxy(cfg)
    poll_until(lambda: _cli_ok(sock), 10, "the stats socket answers")
    return px, sock, _workers


def _cli_ok(sock):
    try:
        return cli(sock, "show map").startswith("# id")
    except OSError:
        return False


def _settle(port, path, want):
    """The old worker may still take a connection right after the new one
    started: wait until <path> answers what the new one must (or fail)."""
    poll_until(lambda: _answer(port, path) == want, 10, "%s answering %r after the reload" % (path, want))


def _answer(port, path):
    from harness import http
    r = http(port, "GET", path)
    return r.status, r.body


def test_reload_keeps_runtime_map_changes(ctx):
    """A reload keeps the changes made to a map and an ACL file on the
    runtime API, unless the file changed on disk: then the file wins.
    (HAProxy forgets them at every reload: tandem only.)"""
    import os
    import signal
    from harness import tandem_only
    tandem_only("runtime map changes kept by a reload")
    m = ctx.write("paths.map", "/a one\n/b two\n")
    acl = ctx.write("blocked.lst", "/secret\n")
    px, sock, workers = _map_proxy(ctx, m, acl)
    eq(cli(sock, "set map %s /a ONE" % m), "\n", "set map")
    eq(cli(sock, "add map %s /c three" % m), "\n", "add map")
    eq(cli(sock, "del map %s /b" % m), "\n", "del map")
    eq(cli(sock, "add acl %s /hidden" % acl), "\n", "add acl")
    eq(_answer(px.port, "/a"), (200, b"ONE"), "changed before the reload")

    def reload():
        old = workers(px)
        os.kill(px.pid, signal.SIGUSR2)
        poll_until(lambda: [p for p in workers(px) if p not in old], 10, "a new worker")
        poll_until(lambda: _cli_ok(sock), 10, "the new worker's stats socket")
    reload()
    _settle(px.port, "/a", (200, b"ONE"))
    eq([_answer(px.port, p) for p in ("/a", "/b", "/c")], [(200, b"ONE"), (200, b"none"), (200, b"three")],
       "the map's runtime changes survived the reload")
    eq(_answer(px.port, "/hidden")[0], 403, "the ACL file's runtime change survived the reload")
    # the new worker's log lines reach the harness on their own pace: wait for them
    poll_until(lambda: "Pattern file '%s'" % m in px.logs(), 10,
               "the new worker's line saying the pattern file's runtime changes were kept")
    reload()
    eq(_answer(px.port, "/c"), (200, b"three"), "and a second reload")
    # the map file changes on disk: it wins; the ACL file did not change: kept
    with open(m, "w") as f:
        f.write("/a uno\n/b dos\n")
    reload()
    _settle(px.port, "/a", (200, b"uno"))
    eq([_answer(px.port, p) for p in ("/a", "/b", "/c")], [(200, b"uno"), (200, b"dos"), (200, b"none")],
       "a file changed on disk wins over runtime changes")
    eq(_answer(px.port, "/hidden")[0], 403, "the unchanged ACL file keeps its runtime change")
    check("changed on disk" in px.logs(), "the reload says the file changed: %r" % px.logs()[-600:])
    # back to the old content: the runtime changes of the first worker do not come back
    with open(m, "w") as f:
        f.write("/a one\n/b two\n")
    reload()
    _settle(px.port, "/a", (200, b"one"))
    eq(_answer(px.port, "/c"), (200, b"none"), "older runtime changes never come back")
