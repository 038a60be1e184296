"""TLS towards clients (bind ... ssl): real clients (openssl s_client, curl,
Python's ssl) against certificates made at test time: HTTPS and keep-alive,
SNI choosing among certificates (CN, SAN, wildcards, ECDSA before RSA for
clients that can, the default one, strict-sni), crt-list filters and
options, versions and ciphers, ALPN (h2 is never negotiated over HTTP),
resumption by session id and by ticket, OCSP stapling, client
certificates, failed and stalled handshakes (counted, logged once, cut at
the client's deadline), large bodies both ways, mode tcp termination, and
memory of idle TLS connections."""
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import time

from harness import (Client, Deadline, PatternChecker, TestFailure, check, config, eq, free_port,
                     haproxy_differs, http, is_haproxy, poll_until, rss_kb, serial, tandem_only, timeout)
from tlsutil import (Pki, TLSClient, check_handshake, handshake_ok, peer_cn, s_client, tls_context)

LOGS = "log stderr format raw local0\n"


def _cfg(port, app_port, bind_opts, global_extra="", fe_extra="", defaults_extra="", mode="http"):
    return ("global\n    nbthread 2\n    " + LOGS + global_extra +
            "\ndefaults\n    mode %s\n    log global\n    option %s\n    timeout connect 2s\n"
            "    timeout client 5s\n    timeout server 5s\n%s\n"
            "frontend fe\n    bind 127.0.0.1:%d %s\n    default_backend be\n%s\n"
            "backend be\n    server s1 127.0.0.1:%d\n") % (
        mode, "httplog" if mode == "http" else "tcplog", defaults_extra, port, bind_opts, fe_extra, app_port)


def _lab(ctx, bind_opts, **kw):
    app = ctx.app("A")
    port = free_port()
    px = ctx.proxy(_cfg(port, app.port, bind_opts, **kw))
    return px, app, port


def _curl(port, path="/", sni="a.test", cafile=None, extra=(), data=None, timeout=20):
    argv = ["curl", "-sS", "--max-time", str(timeout), "--resolve", "%s:%d:127.0.0.1" % (sni, port),
            "-o", "-", "-w", "\n%{http_code} %{ssl_verify_result} %{http_version}"]
    if cafile:
        argv += ["--cacert", cafile]
    argv += list(extra)
    argv.append("https://%s:%d%s" % (sni, port, path))
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 5)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


# ---------------------------------------------------------------- basics ----

def test_https_and_keepalive(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s" % a)
    rc, out, err = _curl(port, "/", cafile=pki.crt)
    eq(rc, 0, "curl exit (%s)" % err)
    check(out.endswith(b"\n200 0 1.1"), "a verified HTTPS answer: %r" % out[-80:])
    c = TLSClient(port, sni="a.test", cafile=pki.crt)
    for i in range(3):
        r = c.get("/")
        eq(r.status, 200, "request %d on one TLS connection" % i)
    check(not c.closed(0.2), "the TLS connection stays open between requests")
    c.close()


def test_sni_chooses_certificate(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    b = pki.cert("b", "b.test", ["b.test", "*.w.b.test"])
    aec = pki.cert("aec", "a.test", ["a.test"], key="ec")
    px, app, port = _lab(ctx, "ssl crt %s crt %s crt %s" % (a, b, aec))
    eq(peer_cn(port, "b.test"), "b.test", "SAN")
    eq(peer_cn(port, "x.w.b.test"), "b.test", "wildcard, one label")
    eq(peer_cn(port, "y.x.w.b.test"), "a.test", "a wildcard matches one label only: the default")
    eq(peer_cn(port, "nope.test"), "a.test", "unknown name: the first certificate")
    eq(peer_cn(port, None), "a.test", "no SNI: the first certificate")
    out = s_client(port, sni="a.test")
    check("Server public key is 256 bit" in out, "ECDSA for a client that can verify it: %s" % out[-400:])
    out = s_client(port, "-sigalgs", "rsa_pss_rsae_sha256:rsa_pkcs1_sha256", sni="a.test")
    check("Server public key is 2048 bit" in out, "RSA for a client that cannot: %s" % out[-400:])


def test_strict_sni(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s strict-sni" % a)
    check_handshake(s_client(port, sni="a.test"), True, "a known name")
    check_handshake(s_client(port, sni="other.test"), False, "strict-sni and an unknown name")
    check_handshake(s_client(port), False, "strict-sni and no name")


def test_crt_directory_and_bundle(ctx):
    pki = Pki(ctx)
    d = ctx.path("certs")
    os.makedirs(d)
    for n in ("b", "a"):
        p = pki.cert(n, n + ".test", [n + ".test"], split_key=True)
        os.rename(p, os.path.join(d, n + ".pem"))
        os.rename(p + ".key", os.path.join(d, n + ".pem.key"))
    bun = pki.cert("bun", "bun.test", ["bun.test"], key="ec")
    os.rename(bun, ctx.path("bundle.pem.ecdsa"))
    px, app, port = _lab(ctx, "ssl crt %s crt %s" % (d, ctx.path("bundle.pem")))
    eq(peer_cn(port, None), "a.test", "a directory loads in alphabetical order: a.pem is the default")
    eq(peer_cn(port, "b.test"), "b.test", "every certificate of the directory (key in FILE.key)")
    eq(peer_cn(port, "bun.test"), "bun.test", "FILE.ecdsa of a bundle")


def test_crt_list_filters_and_options(ctx):
    pki = Pki(ctx)
    dflt = pki.cert("d", "default.test", ["default.test"])
    w = pki.cert("w", "w.test", ["*.w.test"])
    s = pki.cert("s", "secure.w.test", ["secure.w.test"])
    lst = ctx.write("list.txt", "# comment\n\n%s !*\n%s *.w.test !secure.w.test\n"
                    "%s [ssl-min-ver TLSv1.3 alpn http/1.1] secure.w.test\n" % (dflt, w, s))
    px, app, port = _lab(ctx, "ssl crt-list %s" % lst)
    eq(peer_cn(port, "default.test"), "default.test", "'!*' keeps a certificate out of the index but default")
    eq(peer_cn(port, "x.w.test"), "w.test", "SNI filter with a wildcard")
    eq(peer_cn(port, "secure.w.test"), "secure.w.test", "a negative filter hands the name to another line")
    check_handshake(s_client(port, "-tls1_2", sni="secure.w.test"), False, "the line's ssl-min-ver TLSv1.3")
    check_handshake(s_client(port, "-tls1_2", sni="x.w.test"), True, "the other lines keep the bind's versions")
    out = s_client(port, "-alpn", "h2,http/1.1", sni="secure.w.test")
    check("ALPN protocol: http/1.1" in out, "the line's alpn: %s" % out[-500:])


# -------------------------------------------------- versions and ciphers ----

def test_versions(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    p1, p2, p3 = free_port(), free_port(), free_port()
    cfg = _cfg(p1, app.port, "ssl crt %s" % a) + (
        "frontend f2\n    bind 127.0.0.1:%d ssl crt %s ssl-max-ver TLSv1.2\n    default_backend be\n"
        "frontend f3\n    bind 127.0.0.1:%d ssl crt %s force-tlsv12 no-tlsv13\n    default_backend be\n"
        % (p2, a, p3, a))
    ctx.proxy(cfg)
    check_handshake(s_client(p1, "-tls1_3"), True, "default: TLSv1.3")
    check_handshake(s_client(p1, "-tls1_2"), True, "default: TLSv1.2")
    check_handshake(s_client(p1, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"), False, "default minimum TLSv1.2")
    check_handshake(s_client(p2, "-tls1_3"), False, "ssl-max-ver TLSv1.2")
    out = s_client(p2)
    check("Protocol  : TLSv1.2" in out or "New, TLSv1.2" in out, "ssl-max-ver TLSv1.2 negotiates 1.2: %s" % out[-300:])
    check_handshake(s_client(p3, "-tls1_3"), False, "force-tlsv12")


def test_ciphers_and_suites(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s ciphers ECDHE-RSA-CHACHA20-POLY1305 ciphersuites TLS_AES_128_GCM_SHA256 "
                              "curves X25519" % a)
    out = s_client(port, "-tls1_2")
    check("ECDHE-RSA-CHACHA20-POLY1305" in out, "the one TLSv1.2 cipher: %s" % out[-500:])
    check_handshake(s_client(port, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"), False,
                    "a cipher not in the list")
    out = s_client(port, "-tls1_3")
    check("TLS_AES_128_GCM_SHA256" in out, "the one TLSv1.3 suite: %s" % out[-500:])
    check_handshake(s_client(port, "-tls1_3", "-groups", "P-256"), False, "a curve not in 'curves'")


def test_global_defaults(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt a.pem", global_extra=(
        "crt-base %s\n    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256\n"
        "    ssl-default-bind-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2 no-tls-tickets\n" % pki.dir))
    out = s_client(port)
    check("ECDHE-RSA-AES128-GCM-SHA256" in out and "TLSv1.2" in out,
          "crt-base and the ssl-default-bind-* lines apply: %s" % out[-500:])
    check("TLS session ticket:" not in out, "no-tls-tickets from ssl-default-bind-options: %s" % out[-700:])


@haproxy_differs("HAProxy negotiates h2 when 'alpn h2,http/1.1' is set")
def test_alpn_never_h2(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s alpn h2,http/1.1" % a)
    out = s_client(port, "-alpn", "h2,http/1.1")
    check("ALPN protocol: http/1.1" in out, "http/1.1 is chosen: %s" % out[-400:])
    out = s_client(port, "-alpn", "h2")
    check("No ALPN negotiated" in out and handshake_ok(out), "an h2-only client gets no ALPN, not h2: %s" % out[-400:])
    poll_until(lambda: "tandem speaks HTTP/1.1 only" in px.logs(), 5, "the warning about h2")
    rc, out, err = _curl(port, "/", cafile=pki.crt, extra=["--http2"])
    check(rc == 0 and out.endswith(b" 1.1"), "curl --http2 falls back to HTTP/1.1: %r %s" % (out[-40:], err))


# ------------------------------------------------------------ resumption ----

REQ = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"


def _resume(port, args, sess):
    # a request, read to the end: a TLS 1.3 ticket comes after the handshake
    s_client(port, "-sess_out", sess, "-ign_eof", *args, sni="a.test", data=REQ)
    return s_client(port, "-sess_in", sess, "-ign_eof", *args, sni="a.test", data=REQ)


def test_resumption_by_ticket_and_session(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    p1, p2 = free_port(), free_port()
    cfg = _cfg(p1, app.port, "ssl crt %s" % a) + (
        "frontend f2\n    bind 127.0.0.1:%d ssl crt %s no-tls-tickets\n    default_backend be\n" % (p2, a))
    ctx.proxy(cfg)
    for args, what in ((["-tls1_3"], "TLSv1.3 ticket"), (["-tls1_2"], "TLSv1.2 ticket")):
        out = _resume(p1, args, ctx.path("s1"))
        check("Reused, TLSv1" in out, "%s: resumed: %s" % (what, out[-500:]))
    out = _resume(p2, ["-tls1_2"], ctx.path("s2"))
    check("Reused, TLSv1.2" in out, "no-tls-tickets: resumed from the session cache: %s" % out[-500:])
    check("TLS session ticket:" not in out, "no-tls-tickets: no ticket")


def test_ticket_keys_file(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    keys = ctx.write("keys", "".join(
        __import__("base64").b64encode(os.urandom(80)).decode() + "\n" for _ in range(3)))
    app = ctx.app("A")
    p1, p2 = free_port(), free_port()
    cfg = _cfg(p1, app.port, "ssl crt %s tls-ticket-keys %s" % (a, keys)) + (
        "frontend f2\n    bind 127.0.0.1:%d ssl crt %s tls-ticket-keys %s\n    default_backend be\n"
        % (p2, a, keys))
    ctx.proxy(cfg)
    sess = ctx.path("sess")
    s_client(p1, "-tls1_2", "-sess_out", sess, "-ign_eof", sni="a.test", data=REQ)
    out = s_client(p2, "-tls1_2", "-sess_in", sess, "-ign_eof", sni="a.test", data=REQ)
    check("Reused, TLSv1.2" in out, "a ticket of one listener resumes on another with the same keys: %s" % out[-500:])


# ------------------------------------------------------- OCSP and mTLS ----

def test_ocsp_stapling(ctx):
    pki = Pki(ctx)
    a = pki.chain_pem(pki.cert("a", "a.test", ["a.test"]))
    pki.ocsp(a)
    px, app, port = _lab(ctx, "ssl crt %s" % a)
    out = s_client(port, "-status", sni="a.test")
    check("OCSP Response Status: successful" in out and "Cert Status: good" in out,
          "the .ocsp response is stapled: %s" % out[-1500:])
    out = s_client(port, sni="a.test")
    check("OCSP response: no response sent" in out or "OCSP Response Status" not in out,
          "not stapled when not asked for")


def test_ocsp_response_for_revoked_certificate_is_ignored(ctx):
    tandem_only("the warning's words")
    pki = Pki(ctx)
    a = pki.chain_pem(pki.cert("a", "a.test", ["a.test"]))
    pki.ocsp(a, revoke=True)
    rc, out, path = ctx.check_config(_cfg(free_port(), 1, "ssl crt %s" % a))
    eq(rc, 0, "the configuration is still valid: %s" % out)
    check("OCSP response in '%s.ocsp' ignored: certificate status is 'revoked'" % a in out,
          "a warning says why: %s" % out)


def test_client_certificates(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    cli = pki.cert("client", "client one")
    other = Pki(ctx, "other", "other CA")
    stranger = other.cert("stranger", "stranger")
    app = ctx.app("A")
    p1, p2 = free_port(), free_port()
    cfg = _cfg(p1, app.port, "ssl crt %s ca-file %s verify required" % (a, pki.crt)) + (
        "frontend f2\n    bind 127.0.0.1:%d ssl crt %s ca-file %s verify optional\n    default_backend be\n"
        % (p2, a, pki.crt))
    px = ctx.proxy(cfg)
    rc, out, err = _curl(p1, "/", cafile=pki.crt, extra=["--cert", cli])
    check(rc == 0 and out.endswith(b"200 0 1.1"), "mTLS with a client certificate: %r %s" % (out[-30:], err))
    rc, out, err = _curl(p1, "/", cafile=pki.crt)
    check(rc != 0, "verify required without a client certificate fails (curl %d)" % rc)
    rc, out, err = _curl(p1, "/", cafile=pki.crt, extra=["--cert", stranger])
    check(rc != 0, "a certificate from another CA fails (curl %d)" % rc)
    rc, out, err = _curl(p2, "/", cafile=pki.crt)
    check(rc == 0 and out.endswith(b"200 0 1.1"), "verify optional without a certificate: %r %s" % (out[-30:], err))
    rc, out, err = _curl(p2, "/", cafile=pki.crt, extra=["--cert", stranger])
    check(rc != 0, "verify optional with an untrusted certificate still fails (curl %d)" % rc)
    out = s_client(p1, sni="a.test", data=b"")
    check("Acceptable client certificate CA names" in out and "tandem test CA" in out,
          "the CA names are sent: %s" % out[-800:])
    poll_until(lambda: re.search(r"fe/1: SSL (client certificate not trusted|handshake failure)", px.logs()),
               5, "the failures in the log")


# --------------------------------------------- failures, stalls, counters ----

def _metric(port, name, proxy="fe"):
    r = http(port, "GET", "/metrics")
    m = re.search(r'^%s\{proxy="%s"\} (\d+)$' % (re.escape(name), proxy), r.body.decode(), re.M)
    return int(m.group(1)) if m else None


def test_failed_handshakes_logged_once(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s ciphers ECDHE-RSA-AES128-GCM-SHA256 ssl-max-ver TLSv1.2" % a)
    check_handshake(s_client(port, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"), False, "no shared cipher")
    poll_until(lambda: re.search(r"127\.0\.0\.1:\d+ \[[^]]+\] fe/1: SSL handshake failure", px.logs()),
               5, "HAProxy's line: client, date, frontend/listener, the failure")
    if not is_haproxy():
        check("SSL handshake failure (no shared cipher)" in px.logs(), "with OpenSSL's reason: %s" % px.logs()[-800:])
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()
    poll_until(lambda: px.logs().count("SSL handshake failure") == 2, 5, "plain HTTP on a TLS port is one more failure")
    rc, out, err = _curl(port, "/", cafile=pki.crt)
    check(rc == 0, "a good client still gets through (%s)" % err)
    eq(px.logs().count("SSL handshake failure"), 2, "each failure logged once, successes not at all")


def test_failures_on_metrics(ctx):
    tandem_only("tandem's /metrics")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    port, mport = free_port(), free_port()
    cfg = _cfg(port, app.port, "ssl crt %s ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256" % a) + (
        "listen stats\n    bind 127.0.0.1:%d\n    mode http\n    stats enable\n    stats uri /stats\n" % mport)
    ctx.proxy(cfg)

    def got():
        return (_metric(mport, "tandem_frontend_ssl_handshakes_total"),
                _metric(mport, "tandem_frontend_ssl_handshake_failures_total"))
    # the harness's readiness probe (a connect, then a close) is one failure already
    ok0, bad0 = poll_until(lambda: got()[1] is not None and got(), 5, "the counters on /metrics")
    check_handshake(s_client(port, sni="a.test"), True, "one good handshake")
    check_handshake(s_client(port, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"), False, "one bad")
    check_handshake(s_client(port, "-tls1_3"), False, "another bad")
    poll_until(lambda: got() == (ok0 + 1, bad0 + 2), 5, "1 more handshake and 2 more failures on /metrics")
    r = http(mport, "GET", "/metrics")
    m = re.search(r'^tandem_ssl_cert_not_after_seconds\{path="([^"]+)",cn="a.test",used="1"\} (\d+)$',
                  r.body.decode(), re.M)
    check(m and m.group(1) == a, "the certificate's expiry on /metrics: %s" % r.body.decode()[-600:])
    not_after = int(m.group(2))
    check(25 * 86400 < not_after - time.time() < 31 * 86400, "a 30-day certificate's expiry: %d" % not_after)
    r = http(mport, "GET", "/stats;json")
    j = json.loads(r.body)
    certs = j.get("ssl_certs", [])
    check(len(certs) == 1 and certs[0]["path"] == a and 28 <= certs[0]["days_left"] <= 30,
          "the JSON export lists the certificate and its days left: %r" % certs)
    fe = [f for f in j["frontends"] if f["name"] == "fe"][0]
    eq((fe["ssl_sess"], fe["ssl_failed_handshake"]), (ok0 + 1, bad0 + 2), "handshake counters in the JSON export")


@timeout(30)
def test_stalled_handshake_cut_at_timeout_client(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    port = free_port()
    cfg = _cfg(port, app.port, "ssl crt %s" % a).replace("timeout client 5s", "timeout client 1s")
    px = ctx.proxy(cfg)
    # half a ClientHello, then silence
    hello = _client_hello("a.test")
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(hello[:len(hello) // 2])
    t0 = time.time()
    s.settimeout(10)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    took = time.time() - t0
    eq(data, b"", "closed without an answer")
    check(0.8 < took < 4, "cut at timeout client (1s), not before nor much after: %.2fs" % took)
    s.close()
    poll_until(lambda: "Timeout during SSL handshake" in px.logs(), 5, "the timeout logged")


@timeout(30)
def test_stalled_handshake_cut_at_timeout_http_request(ctx):
    tandem_only("timeout http-request also bounds the handshake in tandem")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    port = free_port()
    cfg = _cfg(port, app.port, "ssl crt %s" % a, defaults_extra="    timeout http-request 1s").replace(
        "timeout client 5s", "timeout client 30s")
    px = ctx.proxy(cfg)
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.time()
    s.settimeout(10)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    took = time.time() - t0
    eq(data, b"", "closed")
    check(0.8 < took < 4, "a silent client is cut at timeout http-request (1s): %.2fs" % took)
    s.close()


def _client_hello(sni):
    ctx = tls_context(verify=False)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def test_garbage_does_not_crash(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s" % a)
    hello = _client_hello("a.test")
    rnd = __import__("random").Random(7)
    for i in range(60):
        n = rnd.randrange(1, len(hello))
        junk = bytearray(hello)
        for _ in range(rnd.randrange(1, 8)):
            junk[rnd.randrange(len(junk))] = rnd.randrange(256)
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(bytes(junk[:n]) + bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300))))
        s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
    rc, out, err = _curl(port, "/", cafile=pki.crt)
    check(rc == 0 and out.endswith(b"200 0 1.1"), "still serving after garbage: %s" % err)
    check(px.proc.alive(), "alive")


# ------------------------------------------------------------ bodies, tcp ----

@timeout(120)
def test_large_bodies_both_ways(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s" % a)
    size = 16 * 1024 * 1024
    body = os.urandom(size)
    rc, out, err = _curl(port, "/echo", cafile=pki.crt, data=body, timeout=60,
                         extra=["-X", "POST", "--data-binary", "@-", "-H", "Content-Type: application/octet-stream"])
    eq(rc, 0, "upload exit (%s)" % err)
    check(out.endswith(b"\n200 0 1.1"), "upload status %r" % out[-20:])
    got = json.loads(out[:-len(b"\n200 0 1.1")])   # the backend's hash of what it received
    eq((got["length"], got["sha256"]), (size, hashlib.sha256(body).hexdigest()), "16 MiB uploaded intact")
    c = TLSClient(port, sni="a.test", cafile=pki.crt, timeout=30)
    pc = PatternChecker()
    c.send(b"GET /bytes?n=%d HTTP/1.1\r\nHost: a.test\r\n\r\n" % size)
    r = c.response(sink=pc.feed, timeout=60)
    eq(r.status, 200, "download status")
    eq(pc.count, size, "bytes downloaded")
    check(pc.ok, "download content intact")
    eq(c.get("/").status, 200, "the same connection serves another request")
    c.close()


def test_tcp_mode_termination(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s" % a, mode="tcp")
    c = TLSClient(port, sni="a.test", cafile=pki.crt)
    eq(c.get("/").status, 200, "HTTP inside TLS relayed in mode tcp")
    c.close()


def test_json_log_shows_tls(ctx):
    tandem_only("option httplog json")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s" % a, fe_extra="    option httplog json")
    c = TLSClient(port, sni="a.test", cafile=pki.crt, maxv=ssl.TLSVersion.TLSv1_2)
    eq(c.get("/").status, 200, "request")
    c.close()

    def line():
        for l in px.logs().splitlines():
            if l.startswith("{") and '"ssl_version"' in l:
                return json.loads(l)
        return None
    j = poll_until(line, 5, "a JSON access log line with TLS fields")
    eq(j["ssl_version"], "TLSv1.2", "ssl_version")
    eq(j["ssl_sni"], "a.test", "ssl_sni")
    check(j["ssl_cipher"].startswith("ECDHE-"), "ssl_cipher %r" % j["ssl_cipher"])


# ------------------------------------------------------------------- memory ----

def _hold(port, n, tls, cafile=None):
    conns = []
    for _ in range(n):
        c = TLSClient(port, sni="a.test", cafile=cafile) if tls else Client(port)
        eq(c.get("/").status, 200, "request before going idle")
        conns.append(c)
    return conns


def _ssl_mem(mport):
    r = http(mport, "GET", "/metrics")
    m = re.search(r"^tandem_process_ssl_memory_bytes (\d+)$", r.body.decode(), re.M)
    check(m, "tandem_process_ssl_memory_bytes on /metrics")
    return int(m.group(1))


@serial
@timeout(120)
def test_idle_tls_connections_hold_no_buffers(ctx):
    tandem_only("tandem's count of OpenSSL's memory")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"], key="ec")
    app = ctx.app("A")
    port, mport = free_port(), free_port()
    cfg = _cfg(port, app.port, "ssl crt %s" % a).replace("nbthread 2", "nbthread 1") + (
        "listen stats\n    bind 127.0.0.1:%d\n    mode http\n    stats enable\n    stats uri /stats\n" % mport)
    cfg = cfg.replace("timeout client 5s", "timeout client 60s").replace("option httplog", "option dontlognull")
    ctx.proxy(cfg)
    n = 200
    warm = _hold(port, 10, True, pki.crt)
    base = _ssl_mem(mport)
    tls = _hold(port, n, True, pki.crt)
    idle = _ssl_mem(mport)
    per_conn = (idle - base) / n
    print("idle TLS connection: OpenSSL holds %.0f B" % per_conn)
    ctx.note("idle TLS connection: OpenSSL holds %.0f B" % per_conn)
    # OpenSSL 3.0 (measured): an SSL object is 8.4 kB when made; after a
    # TLS 1.3 handshake an idle connection holds ~13.8 kB (the object, its
    # cipher states, the session) with SSL_MODE_RELEASE_BUFFERS, ~47 kB
    # without (OpenSSL keeps its read and write buffers)
    check(0 < per_conn < 16 * 1024,
          "an idle TLS connection holds %.0f B of OpenSSL memory: its I/O buffers are not released" % per_conn)
    # busy connections (a response on its way) do hold buffers: the counter sees them
    for c in tls[:20]:
        c.send(b"GET /bytes?n=100000000 HTTP/1.1\r\nHost: a.test\r\n\r\n")   # never read: the sockets fill
    busy = poll_until(lambda: (lambda v: v if v - idle > 20 * 16 * 1024 else None)(_ssl_mem(mport)), 10,
                      "20 busy connections hold their buffers")
    ctx.note("20 busy connections: +%d B" % (busy - idle))
    for c in warm + tls:
        c.close()


# ------------------------------------------------------ more bind options ----

def test_bind_options(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    ports = [free_port() for _ in range(5)]
    order = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"
    cfg = _cfg(ports[0], app.port, "ssl crt %s ciphers %s" % (a, order)) + "".join(
        "frontend f%d\n    bind 127.0.0.1:%d ssl crt %s %s\n    default_backend be\n" % (i, ports[i], a, opts)
        for i, opts in ((1, "ciphers %s prefer-client-ciphers" % order), (2, "ecdhe secp384r1"),
                        (3, "ca-file %s verify optional no-ca-names" % pki.crt),
                        (4, "ciphers DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")))
    ctx.proxy(cfg, )
    client_order = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"
    out = s_client(ports[0], "-tls1_2", "-cipher", client_order)
    check("Cipher is ECDHE-RSA-AES128-GCM-SHA256" in out, "the server's order by default: %s" % out[-300:])
    out = s_client(ports[1], "-tls1_2", "-cipher", client_order)
    check("Cipher is ECDHE-RSA-AES256-GCM-SHA384" in out, "prefer-client-ciphers: %s" % out[-300:])
    out = s_client(ports[2], "-tls1_2")
    check("Server Temp Key: ECDH, secp384r1" in out or "Server Temp Key: ECDH, P-384" in out,
          "ecdhe secp384r1: %s" % out[-600:])
    out = s_client(ports[3])
    check("No client certificate CA names sent" in out, "no-ca-names: %s" % out[-800:])
    out = s_client(ports[4], "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")
    check(not handshake_ok(out), "DHE needs DH parameters (none given): %s" % out[-300:])


def test_dh_params(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, app, port = _lab(ctx, "ssl crt %s ciphers DHE-RSA-AES128-GCM-SHA256" % a,
                         global_extra="tune.ssl.default-dh-param 2048\n")
    out = s_client(port, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")
    check("Cipher is DHE-RSA-AES128-GCM-SHA256" in out and "Server Temp Key: DH, 2048 bits" in out,
          "tune.ssl.default-dh-param 2048: %s" % out[-600:])


def test_session_cache_size_and_lifetime(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    p1 = free_port()
    cfg = _cfg(p1, app.port, "ssl crt %s no-tls-tickets" % a, global_extra="tune.ssl.cachesize 0\n")
    ctx.proxy(cfg, name="proxy_nocache")
    out = _resume(p1, ["-tls1_2"], ctx.path("s1"))
    check("New, TLSv1.2" in out and "Reused" not in out, "tune.ssl.cachesize 0: no resumption: %s" % out[-300:])
    p2 = free_port()
    cfg = _cfg(p2, app.port, "ssl crt %s no-tls-tickets" % a, global_extra="tune.ssl.lifetime 1\n")
    ctx.proxy(cfg, name="proxy_short")
    sess = ctx.path("s2")
    out = _resume(p2, ["-tls1_2"], sess)
    check("Reused, TLSv1.2" in out, "resumed within its lifetime: %s" % out[-300:])
    poll_until(lambda: "Reused" not in s_client(p2, "-tls1_2", "-sess_in", sess, sni="a.test"), 10,
               "the session expires after tune.ssl.lifetime (1s)")


def test_crl_file(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    good, bad = pki.cert("good", "good client"), pki.cert("bad", "bad client")
    from tlsutil import must, OPENSSL
    must([OPENSSL, "ca", "-batch", "-config", pki.cnf, "-revoke", bad[:-4] + ".crt"])
    crl = ctx.path("ca.crl")
    must([OPENSSL, "ca", "-batch", "-config", pki.cnf, "-gencrl", "-crldays", "2", "-out", crl])
    px, app, port = _lab(ctx, "ssl crt %s ca-file %s crl-file %s verify required" % (a, pki.crt, crl))
    rc, out, err = _curl(port, "/", cafile=pki.crt, extra=["--cert", good])
    check(rc == 0 and out.endswith(b"200 0 1.1"), "a client certificate not revoked: %s" % err)
    rc, out, err = _curl(port, "/", cafile=pki.crt, extra=["--cert", bad])
    check(rc != 0, "a revoked client certificate is refused (curl %d)" % rc)


def _record_sizes(port):
    """Sizes of the TLS records the server sends for one GET /bytes, read
    off the wire (the TLS client works on memory buffers)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = tls_context(verify=False).wrap_bio(inc, out, server_hostname="a.test")
    raw, sizes, done = b"", [], False

    def pump():
        nonlocal raw
        d = sock.recv(65536)
        if not d:
            return False
        raw += d
        while len(raw) >= 5 and len(raw) >= 5 + int.from_bytes(raw[3:5], "big"):
            n = int.from_bytes(raw[3:5], "big")
            if raw[0] == 0x17 and done:
                sizes.append(n)
            inc.write(raw[:5 + n])
            raw = raw[5 + n:]
        return True
    while True:
        try:
            o.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(out.read())
            pump()
    sock.sendall(out.read())
    done = True
    o.write(b"GET /bytes?n=65536 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
    sock.sendall(out.read())
    while pump():
        pass
    sock.close()
    return sizes


def test_maxrecord(ctx):
    tandem_only("record sizes depend on the implementation")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = ctx.app("A")
    p1, p2 = free_port(), free_port()
    ctx.proxy(_cfg(p1, app.port, "ssl crt %s" % a), name="proxy_full")
    ctx.proxy(_cfg(p2, app.port, "ssl crt %s" % a, global_extra="tune.ssl.maxrecord 1400\n"), name="proxy_small")
    full, small = _record_sizes(p1), _record_sizes(p2)
    check(full and max(full) > 4000, "without tune.ssl.maxrecord records are large: %r" % full[:10])
    check(small and all(s <= 1400 + 64 for s in small[:10] if s > 100),
          "tune.ssl.maxrecord 1400: the first records are small: %r" % small[:12])
    check(max(small) > 4000, "then the stream gets full records again: %r" % small[:30])
