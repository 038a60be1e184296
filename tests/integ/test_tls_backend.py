"""TLS towards servers (server ... ssl) against a real TLS server, nginx:
verification of its certificate (CA, name from the SNI or verifyhost),
the SNI sent (str(), req.hdr(host)), a client certificate, session reuse
towards the server (and no-ssl-reuse), health checks over TLS (check-ssl,
check-sni), failures counted and logged."""
import re

from harness import Client, check, eq, free_port, http, poll_until, tandem_only
from tlsutil import Pki


def _nginx(ctx, pki, cert_name="srv", cn="b.test", extra=""):
    pem = pki.cert(cert_name, cn, [cn, "*.w." + cn])
    base = pem[:-4]
    port = free_port()
    ng = ctx.nginx("""
    ssl_session_cache shared:S:1m;
    server {
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s.crt;
        ssl_certificate_key %s.key;
        %s
        location / { return 200 "sni=$ssl_server_name reused=$ssl_session_reused client=$ssl_client_s_dn\\n"; }
    }""" % (port, base, base, extra))
    return port, ng


def _proxy(ctx, srv_port, srv_opts, be_extra="", global_extra=""):
    port, sport = free_port(), free_port()
    cfg = ("global\n    nbthread 1\n    log stderr format raw local0\n%s\n"
           "defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n"
           "    timeout client 5s\n    timeout server 5s\n    timeout check 2s\n\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n\n"
           "backend be\n%s\n    server s1 127.0.0.1:%d %s\n\n"
           "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n") % (
        global_extra, port, be_extra, srv_port, srv_opts, sport)
    px = ctx.proxy(cfg)
    return px, port, sport


def _body(r):
    return r.body.decode(errors="replace").strip()


def test_server_ssl_verify_required(ctx):
    pki = Pki(ctx)
    sport, ng = _nginx(ctx, pki)
    px, port, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(b.test)" % pki.crt)
    r = http(port, "GET", "/")
    eq(r.status, 200, "through TLS to nginx")
    check(_body(r).startswith("sni=b.test "), "the SNI sent: %r" % _body(r))


def test_server_verify_fails_on_another_ca(ctx):
    pki, other = Pki(ctx), Pki(ctx, "other", "other CA")
    sport, ng = _nginx(ctx, pki)
    px, port, stats = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(b.test)" % other.crt)
    r = http(port, "GET", "/")
    eq(r.status, 503, "a server whose certificate does not verify is a connection failure")
    tandem_only("the log line and the counter")
    poll_until(lambda: re.search(r"Server be/s1: SSL handshake failure \((unable to get local issuer certificate|"
                                 r"certificate verify failed)", px.logs()), 5, "the failure logged with the reason")
    r = http(stats, "GET", "/metrics")
    m = re.search(r'^tandem_server_ssl_handshake_failures_total\{proxy="be",server="s1"\} (\d+)$', r.body.decode(), re.M)
    check(m and int(m.group(1)) >= 1, "counted on /metrics: %s" % (m.group(0) if m else r.body.decode()[-300:]))


def test_server_name_verified(ctx):
    pki = Pki(ctx)
    sport, ng = _nginx(ctx, pki)
    px, port, _ = _proxy(ctx, sport, "ssl verify required ca-file %s verifyhost c.test" % pki.crt)
    eq(http(port, "GET", "/").status, 503, "verifyhost that does not match the certificate")
    px2, port2, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(x.w.b.test)" % pki.crt)
    eq(http(port2, "GET", "/").status, 200, "the SNI is checked against the certificate (wildcard)")
    px3, port3, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(other.test)" % pki.crt)
    eq(http(port3, "GET", "/").status, 503, "an SNI the certificate does not cover")


def test_sni_from_host_header(ctx):
    pki = Pki(ctx)
    sport, ng = _nginx(ctx, pki)
    px, port, _ = _proxy(ctx, sport, "ssl verify none sni req.hdr(host),field(1,:)")
    c = Client(port)
    r = c.request("GET", "/", host="one.w.b.test:8443")
    eq(r.status, 200, "first")
    check(_body(r).startswith("sni=one.w.b.test "), "the Host header (port cut by field) as SNI: %r" % _body(r))
    r = c.request("GET", "/", host="two.w.b.test")
    check(_body(r).startswith("sni=two.w.b.test "),
          "the next request on the same client connection gets its own SNI: %r" % _body(r))
    c.close()


def test_client_certificate_to_server(ctx):
    pki = Pki(ctx)
    cli = pki.cert("cli", "tandem client")
    sport, ng = _nginx(ctx, pki, extra="ssl_verify_client on; ssl_client_certificate %s;" % pki.crt)
    px, port, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(b.test) crt %s" % (pki.crt, cli))
    r = http(port, "GET", "/")
    eq(r.status, 200, "nginx accepts tandem's client certificate")
    check("CN=tandem client" in _body(r), "nginx saw it: %r" % _body(r))
    px2, port2, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(b.test)" % pki.crt)
    eq(http(port2, "GET", "/").status, 400, "without it nginx refuses")


def test_session_reuse_towards_server(ctx):
    pki = Pki(ctx)
    sport, ng = _nginx(ctx, pki)
    px, port, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(b.test)" % pki.crt,
                         be_extra="    http-reuse never")
    seen = []
    for i in range(4):
        r = http(port, "GET", "/", headers={"Connection": "close"})
        eq(r.status, 200, "request %d" % i)
        seen.append(_body(r))
    check(any("reused=r" in b for b in seen[1:]), "later connections resume the session: %r" % seen)
    px2, port2, _ = _proxy(ctx, sport, "ssl verify required ca-file %s sni str(b.test) no-ssl-reuse" % pki.crt,
                           be_extra="    http-reuse never")
    seen = [_body(http(port2, "GET", "/", headers={"Connection": "close"})) for _ in range(3)]
    check(all("reused=." in b for b in seen), "no-ssl-reuse: a full handshake each time: %r" % seen)


def _csv_row(stats, sv):
    r = http(stats, "GET", "/stats;csv")
    lines = r.body.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    for l in lines[1:]:
        f = l.split(",")
        if len(f) > 1 and f[0] == "be" and f[1] == sv:
            return dict(zip(head, f))
    return None


def test_check_ssl(ctx):
    pki, other = Pki(ctx), Pki(ctx, "other", "other CA")
    sport, ng = _nginx(ctx, pki)
    port, stats = free_port(), free_port()
    cfg = ("global\n    nbthread 1\n"
           "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"
           "    timeout check 2s\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n"
           "backend be\n    option httpchk GET /\n"
           "    server good 127.0.0.1:%d check inter 200 ssl verify required ca-file %s check-sni b.test verifyhost b.test\n"
           "    server badca 127.0.0.1:%d check inter 200 ssl verify required ca-file %s check-sni b.test\n"
           "    server plain 127.0.0.1:%d check inter 200 check-ssl verify none port %d\n"
           "listen stats\n    bind 127.0.0.1:%d\n    stats enable\n    stats uri /stats\n") % (
        port, sport, pki.crt, sport, other.crt, sport, sport, stats)
    ctx.proxy(cfg)
    poll_until(lambda: (_csv_row(stats, "good") or {}).get("status") == "UP", 10, "good is UP")
    poll_until(lambda: (_csv_row(stats, "plain") or {}).get("status") == "UP", 10,
               "check-ssl with port: UP")
    row = poll_until(lambda: (lambda r: r if r and r.get("check_status") else None)(_csv_row(stats, "badca")), 10,
                     "badca checked")
    eq(row["status"], "DOWN", "a server whose certificate does not verify")
    eq(row["check_status"], "L6RSP", "HAProxy's layer 6 status for a failed TLS handshake")
    eq(_csv_row(stats, "good")["check_status"], "L7OK", "HTTP check over TLS")
