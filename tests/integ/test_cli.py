"""Command line: -v, -c (config check), refusing to start on a bad config."""
import re

from harness import check, config, eq, free_port, port_refuses, tandem_only


def test_version(ctx):
    tandem_only("tandem -v output")
    p = ctx.spawn("version", ctx.proxy_argv("unused")[:1] + ["-v"])
    rc = p.wait(5)
    eq(rc, 0, "tandem -v exit status")
    check(re.search(r"^tandem version 0\.1\.0\b", p.output(), re.M),
          "tandem -v printed %r, want a line starting 'tandem version 0.1.0'" % p.output()[:200])


def _valid_cfg():
    return config(free_port(), [("s1", free_port()), ("s2", free_port(), "weight 3")],
                  balance="roundrobin",
                  fe_extra="option forwardfor\nhttp-request set-header X-A 1",
                  be_extra="http-response del-header X-Node")


def test_check_valid(ctx):
    rc, out, _ = ctx.check_config(_valid_cfg())
    eq(rc, 0, "config check exit status of a valid config (output: %r)" % out[-500:])


def _bad_line(cfg, marker):
    """1-based line number of the first line containing <marker>."""
    for i, l in enumerate(cfg.splitlines(), 1):
        if marker in l:
            return i
    raise AssertionError(marker)


def _check_invalid(ctx, cfg, keyword):
    rc, out, path = ctx.check_config(cfg)
    eq(rc, 1, "config check exit status with bad keyword %r" % keyword)
    line = _bad_line(cfg, keyword)
    check("%s:%d" % (path, line) in out,
          "message does not name %s:%d; output: %r" % (path, line, out[-600:]))
    check(keyword in out, "message does not name the keyword %r; output: %r" % (keyword, out[-600:]))


def test_check_unknown_keyword_frontend(ctx):
    _check_invalid(ctx, config(free_port(), [("s1", free_port())], fe_extra="frobnicate 1"), "frobnicate")


def test_check_unknown_keyword_global(ctx):
    _check_invalid(ctx, config(free_port(), [("s1", free_port())], global_extra="blorpify on"), "blorpify")


def test_check_unknown_server_option(ctx):
    _check_invalid(ctx, config(free_port(), [("s1", free_port(), "weight 2 bogusopt")]), "bogusopt")


def test_bad_config_does_not_start(ctx):
    port = free_port()
    cfg = config(port, [("s1", free_port())], be_extra="frobnicate 1")
    p = ctx.spawn("proxy", ctx.proxy_argv(ctx.write("bad.cfg", cfg)))
    rc = p.wait(5)
    check(rc is not None, "proxy still running 5s after start with an invalid config")
    check(rc != 0, "proxy exited 0 with an invalid config")
    check("frobnicate" in p.output(), "exit message does not name the bad keyword: %r" % p.output()[-500:])
    check(port_refuses(port), "port %d accepts connections although the config was invalid" % port)
