"""`option httpslog` and the fetches fc_err / fc_err_str (HAProxy 2.6).

httpslog is HAProxy's httplog format followed by the client connection's
TLS part: "%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/
%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc". fc_err is HAProxy's
connection error code (its enum co_err_code: 13 a PROXY header timeout, 15
something that is not a PROXY header, 16 a malformed one, 24 closed during
the TLS handshake, 31 an untrusted client certificate, 34 a TLS handshake
failure), fc_err_str its log sentence.

Each test runs against Debian's HAProxy 2.6 (PROXY=haproxy) with the same
expectations."""
import re
import socket

from harness import check, eq, free_port, haproxy_differs, poll_until
from tlsutil import Pki, TLSClient, s_client
from test_rules_tls import LOGS, mirror

HEAD = ("global\n    " + LOGS +
        "defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 5s\n"
        "    timeout server 5s\n")


def _lines(px, prefix):
    return [ln for ln in px.logs().splitlines() if ln.startswith(prefix)]


def test_option_httpslog_line(ctx):
    """One HTTPS request and one plain request logged by `option httpslog`;
    the last of log-format / option httplog / option httpslog wins."""
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = mirror(ctx)
    tp, pp, p2, p3, p4, p5 = free_port(), free_port(), free_port(), free_port(), free_port(), free_port()
    cfg = (HEAD +
           "frontend fe\n    bind 127.0.0.1:%d ssl crt %s\n    bind 127.0.0.1:%d\n"
           "    option httpslog\n    default_backend be\n"
           # option httpslog after a log-format: httpslog wins
           "frontend lf_then_s\n    bind 127.0.0.1:%d\n    log-format \"LF %%ST\"\n    option httpslog\n"
           "    default_backend be\n"
           # a log-format after option httpslog: the log-format wins
           "frontend s_then_lf\n    bind 127.0.0.1:%d\n    option httpslog\n    log-format \"LF2 %%ft %%ST\"\n"
           "    default_backend be\n"
           # option httplog after option httpslog: the plain httplog format
           "frontend s_then_h\n    bind 127.0.0.1:%d\n    option httpslog\n    option httplog\n"
           "    default_backend be\n"
           # option httplog after a log-format: httplog
           "frontend lf_then_h\n    bind 127.0.0.1:%d\n    log-format \"LF %%ST\"\n    option httplog\n"
           "    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:%d\n") % (tp, a, pp, p2, p3, p4, p5, app.port)
    px = ctx.proxy(cfg)
    c = TLSClient(tp, sni="a.test", cafile=pki.crt)
    r = c.get("/tls?x=1")
    eq(r.status, 200, "the HTTPS request")
    ver = c.tls.version()
    cipher = c.tls.cipher()[0]
    c.close()
    line = poll_until(lambda: re.search(r"^127\.0\.0\.1:\d+ \[[^]]+\] fe~ .*/tls\?x=1.*$", px.logs(), re.M), 5,
                      "the httpslog line of the HTTPS request").group(0)
    want = (r"^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe~ be/s1 \d+/0/\d+/\d+/\d+ 200 \d+ - - "
            r"---- \d+/\d+/\d+/\d+/0 0/0 \"GET /tls\?x=1 HTTP/1\.1\" 0/0000000000000000/0/0/0 a\.test/%s/%s$"
            % (re.escape(ver), re.escape(cipher)))
    check(re.match(want, line), "httpslog line of an HTTPS request: %r (wanted %s)" % (line, want))

    # plain HTTP on the same frontend: no TLS values
    s = socket.create_connection(("127.0.0.1", pp), timeout=5)
    s.sendall(b"GET /plain HTTP/1.0\r\n\r\n")
    while s.recv(4096):
        pass
    s.close()
    line = poll_until(lambda: re.search(r"^127\.0\.0\.1:\d+ \[[^]]+\] fe .*/plain.*$", px.logs(), re.M), 5,
                      "the httpslog line of the plain request").group(0)
    check(re.search(r" 200 \d+ - - ---- \d+/\d+/\d+/\d+/0 0/0 \"GET /plain HTTP/1\.0\" 0/-/-/-/0 -/-/-$", line),
          "httpslog line of a plain request (ssl_fc_is_resumed is a boolean: false): %r" % line)

    for port, path in ((p2, "/a"), (p3, "/b"), (p4, "/c"), (p5, "/d")):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET " + path.encode() + b" HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
        s.close()
    poll_until(lambda: re.search(r"^127\.0\.0\.1:\d+ \[[^]]+\] lf_then_s be/s1 .*\"GET /a HTTP/1\.0\" 0/-/-/-/0 -/-/-$",
                                 px.logs(), re.M), 5, "option httpslog after log-format: httpslog")
    poll_until(lambda: "LF2 s_then_lf 200" in px.logs(), 5, "log-format after option httpslog: the log-format")
    line = poll_until(lambda: re.search(r"^127\.0\.0\.1:\d+ \[[^]]+\] s_then_h be/s1 .*/c.*$", px.logs(), re.M), 5,
                      "option httplog after option httpslog").group(0)
    check(line.endswith('"GET /c HTTP/1.0"'), "option httplog after httpslog: the httplog format: %r" % line)
    line = poll_until(lambda: re.search(r"^127\.0\.0\.1:\d+ \[[^]]+\] lf_then_h be/s1 .*/d.*$", px.logs(), re.M), 5,
                      "option httplog after log-format").group(0)
    check(line.endswith('"GET /d HTTP/1.0"'), "option httplog after log-format: the httplog format: %r" % line)
    check(not _lines(px, "LF "), "no line of the replaced log-format: %s" % px.logs()[-800:])


def test_fc_err_on_tls_failures(ctx):
    """error-log-format "%[fc_err] %[fc_err_str]" for a handshake failure, a
    connection closed during the handshake and an untrusted client
    certificate; 0 on a healthy connection."""
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    other = Pki(ctx, "other", "other CA")
    stranger = other.cert("stranger", "stranger")
    app = mirror(ctx)
    p1, p2, p3 = free_port(), free_port(), free_port()
    cfg = (HEAD +
           "frontend fe\n    bind 127.0.0.1:%d ssl crt %s ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256\n"
           "    error-log-format \"FCERR %%[fc_err] %%[fc_err_str] %%[ssl_fc_sni]\"\n"
           "    log-format \"FCOK %%[fc_err] %%[fc_err_str] %%{+Q}r\"\n"
           "    default_backend be\n"
           "frontend crt\n    bind 127.0.0.1:%d ssl crt %s ca-file %s verify required\n"
           "    error-log-format \"CRTERR %%[fc_err] %%[fc_err_str] %%[ssl_fc_sni]\"\n"
           "    default_backend be\n"
           "frontend tmo\n    bind 127.0.0.1:%d ssl crt %s\n    timeout client 300ms\n"
           "    error-log-format \"TMOERR %%[fc_err] %%[fc_err_str]\"\n"
           "    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:%d\n") % (p1, a, p2, a, pki.crt, p3, a, app.port)
    px = ctx.proxy(cfg)
    # healthy
    c = TLSClient(p1, sni="a.test", cafile=pki.crt)
    eq(c.get("/ok").status, 200, "a healthy request")
    c.close()
    poll_until(lambda: _lines(px, "FCOK "), 5, "the healthy request's line")
    eq(_lines(px, "FCOK "), ['FCOK 0 Success "GET /ok HTTP/1.1"'], "fc_err / fc_err_str of a healthy connection")
    # no shared cipher
    s_client(p1, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-tls1_2", sni="a.test")
    line = poll_until(lambda: re.search(r"^FCERR .* a\.test$", px.logs(), re.M), 5, "the failed handshake's line")
    eq(line.group(0), "FCERR 34 SSL handshake failure a.test", "fc_err of a TLS handshake failure")
    # closed in the middle of the handshake (the harness's readiness probe
    # is one too: a connection closed without a byte)
    s = socket.create_connection(("127.0.0.1", p1), timeout=5)
    s.sendall(b"\x16\x03\x01\x00\xc8\x01\x00")   # a ClientHello's first bytes
    s.close()
    poll_until(lambda: "FCERR 24 Connection closed during SSL handshake -" in px.logs(), 5,
               "fc_err of a connection closed during the handshake: %s" % px.logs()[-600:])
    # an untrusted client certificate
    s_client(p2, "-cert", stranger, "-key", stranger[:-4] + ".key", sni="a.test", data=b"GET / HTTP/1.0\r\n\r\n")
    line = poll_until(lambda: re.search(r"^CRTERR .* a\.test$", px.logs(), re.M), 5, "the refused certificate's line")
    eq(line.group(0), "CRTERR 31 SSL client certificate not trusted a.test",
       "fc_err of an untrusted client certificate")
    # no handshake within timeout client
    s = socket.create_connection(("127.0.0.1", p3), timeout=5)
    try:
        poll_until(lambda: "TMOERR 26 Timeout during SSL handshake" in px.logs(), 5,
                   "fc_err of a handshake that never came: %s" % px.logs()[-600:])
    finally:
        s.close()


def test_fc_err_on_proxy_header_errors(ctx):
    """fc_err of a PROXY header that is not one, a malformed one, one cut
    by the client's close, none in time."""
    app = mirror(ctx)
    port, tport = free_port(), free_port()
    cfg = (HEAD +
           "frontend pp\n    bind 127.0.0.1:%d accept-proxy\n    option dontlognull\n"
           "    error-log-format \"PPERR %%[fc_err] %%[fc_err_str]\"\n"
           "    default_backend be\n"
           "frontend pptmo\n    bind 127.0.0.1:%d accept-proxy\n    timeout client 300ms\n"
           "    error-log-format \"PPTMO %%[fc_err] %%[fc_err_str]\"\n"
           "    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:%d\n") % (port, tport, app.port)
    px = ctx.proxy(cfg)

    def send(data, port=port, shut=False):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(data)
        if shut:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:   # already refused and closed
                pass
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()

    cases = [
        (b"GET / HTTP/1.0\r\n\r\n", "PPERR 15 Received something which does not look like a PROXY protocol header"),
        (b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PPERR 16 Received an invalid PROXY protocol header"),
        (b"PROXY TCP4 1.2.3.4", "PPERR 14 Truncated PROXY protocol header received"),
    ]
    for n, (data, want) in enumerate(cases, 1):
        send(data, shut=True)
        poll_until(lambda: len(_lines(px, "PPERR ")) >= n, 5, "PROXY header error %d" % n)
        eq(_lines(px, "PPERR ")[-1], want, "fc_err of %r" % data)
    # nothing in time (timeout client)
    send(b"", port=tport)
    poll_until(lambda: "PPTMO 13 Timeout while waiting for PROXY protocol header" in _lines(px, "PPTMO "), 5,
               "fc_err of a PROXY header that never came: %s" % px.logs()[-600:])


def test_httpslog_config_words(ctx):
    """What the configuration check says about option httpslog: a TCP
    frontend falls back to tcplog, a defaults section warns when one log
    format replaces another, `no option httpslog` is refused."""
    be = "backend be\n    server s1 127.0.0.1:9\n"
    cfg = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
           "    log-format \"X %%ST\"\n    option httplog\n"
           "frontend ft\n    mode tcp\n    bind 127.0.0.1:%d\n    log stderr local0\n    option httpslog\n"
           "    default_backend bt\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    log stderr local0\n    option httpslog\n    default_backend be\n"
           "backend bt\n    mode tcp\n    server s1 127.0.0.1:9\n" + be) % (free_port(), free_port())
    rc, out, _ = ctx.check_config(cfg)
    eq(rc, 0, "valid: %s" % out)
    check("'option httpslog' not usable with frontend 'ft' (needs 'mode http'). Falling back to 'option tcplog'." in out,
          "the TCP frontend's fallback: %s" % out)
    check("'option httplog' overrides previous 'log-format' in 'defaults' section." in out,
          "the defaults section's override warning: %s" % out)
    cfg = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    no option httpslog\n    default_backend be\n" + be) % free_port()
    rc, out, _ = ctx.check_config(cfg)
    check(rc != 0 and "negation/default is not supported for option 'httpslog'." in out,
          "no option httpslog refused (%s): %s" % (rc, out))


@haproxy_differs("HAProxy 2.6 ignores words after 'option httpslog'")
def test_httpslog_extra_word_refused(ctx):
    cfg = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    option httpslog clf\n    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:9\n") % free_port()
    rc, out, path = ctx.check_config(cfg)
    check(rc != 0 and "'option httpslog' cannot handle unexpected argument 'clf'." in out and "check.cfg:8]" in out,
          "a word after option httpslog refused with file:line (%s): %s" % (rc, out))
