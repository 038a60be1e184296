"""The rules language on TLS connections: HAProxy's ssl_fc*, ssl_c_*,
ssl_f_* fetches on the client side and ssl_bc*, ssl_s_* on the server
side, read by real clients (Python's ssl, curl) with certificates made at
test time; the log-format variables %sslc and %sslv; error-log-format for
a failed handshake.

Every expected value is computed from the certificates themselves
(openssl x509) or from what the client negotiated, and each test also runs
against Debian's HAProxy 2.6 (PROXY=haproxy) with the same expectations."""
import datetime
import os
import re
import socket
import subprocess

from harness import Client, check, eq, free_port, poll_until, response_bytes, serve_keepalive
from tlsutil import OPENSSL, Pki, TLSClient, must, s_client, tls_context

LOGS = "log stderr format raw local0\n"


def mirror(ctx, name="A"):
    """A keep-alive backend answering with the request head it got as body."""
    return ctx.raw_server(serve_keepalive(lambda req: response_bytes(200, "OK", [("X-Node", name)],
                                                                         req.raw_head)))


def seen(r):
    hdrs = {}
    for ln in r.body.decode("latin-1").split("\r\n")[1:]:
        if ":" in ln:
            n, v = ln.split(":", 1)
            hdrs.setdefault(n.strip().lower(), []).append(v.strip())
    return {k: v[-1] for k, v in hdrs.items()}


def client_cert(pki, name, subj):
    """A client certificate with the full subject <subj> ("/C=FR/O=..."),
    signed by <pki>'s CA (openssl x509 -req keeps every field of the DN,
    where `openssl ca` keeps only the policy's). Returns the .pem path."""
    base = os.path.join(pki.dir, name)
    must([OPENSSL, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out",
          base + ".csr", "-subj", subj])
    must([OPENSSL, "x509", "-req", "-in", base + ".csr", "-CA", pki.crt, "-CAkey", pki.key, "-set_serial",
          "0x1A2B3C", "-days", "10", "-sha256", "-out", base + ".crt"])
    with open(base + ".pem", "w") as f:
        f.write(open(base + ".crt").read() + open(base + ".key").read())
    return base + ".pem"


def x509(pem, *what):
    return must([OPENSSL, "x509", "-noout", "-in", pem] + list(what)).strip()


def asn1_date(pem, which):
    """HAProxy's ssl_x_notbefore/notafter text (YYMMDDhhmmssZ) from openssl's."""
    txt = x509(pem, "-" + which).split("=", 1)[1]
    d = datetime.datetime.strptime(txt.replace("  ", " "), "%b %d %H:%M:%S %Y GMT")
    return d.strftime("%y%m%d%H%M%SZ")


def sha1_hex(pem):
    return x509(pem, "-fingerprint", "-sha1").split("=", 1)[1].replace(":", "").upper()


FE_RULES = """
    http-request redirect scheme https code 301 unless { ssl_fc }
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-request set-header X-SNI %[ssl_fc_sni]
    http-request set-header X-Has-SNI %[ssl_fc_has_sni]
    http-request set-header X-Proto %[ssl_fc_protocol]
    http-request set-header X-Cipher %[ssl_fc_cipher]
    http-request set-header X-ALPN %[ssl_fc_alpn]
    http-request set-header X-Use-Keysize %[ssl_fc_use_keysize]
    http-request set-header X-Resumed %[ssl_fc_is_resumed]
    http-request set-header X-Err %[ssl_fc_err]
    http-request set-header X-Has-Crt %[ssl_fc_has_crt]
    http-request set-header X-C-Used %[ssl_c_used]
    http-request set-header X-C-Verify %[ssl_c_verify]
    http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]
    http-request set-header X-C-CN %[ssl_c_s_dn(cn)]
    http-request set-header X-C-OU1 %[ssl_c_s_dn(OU)]
    http-request set-header X-C-OU2 %[ssl_c_s_dn(OU,2)]
    http-request set-header X-C-OUlast %[ssl_c_s_dn(OU,-1)]
    http-request set-header X-C-RFC %[ssl_c_s_dn(,0,rfc2253)]
    http-request set-header X-C-IDN %[ssl_c_i_dn]
    http-request set-header X-C-Serial %[ssl_c_serial,hex]
    http-request set-header X-C-SHA1 %[ssl_c_sha1,hex]
    http-request set-header X-C-NB %[ssl_c_notbefore]
    http-request set-header X-C-NA %[ssl_c_notafter]
    http-request set-header X-C-Ver %[ssl_c_version]
    http-request set-header X-C-Key %[ssl_c_key_alg]
    http-request set-header X-C-Sig %[ssl_c_sig_alg]
    http-request set-header X-F-DN %[ssl_f_s_dn]
    http-request set-header X-F-ICN %[ssl_f_i_dn(CN)]
    http-request set-header X-F-Serial %[ssl_f_serial,hex]
    http-request set-header X-F-NA %[ssl_f_notafter]
    use_backend bb if { ssl_fc_sni -i b.test }
"""


def _front(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test", "b.test"])
    cli = client_cert(pki, "client", "/C=FR/O=Example/OU=u1/OU=u2/CN=client one")
    A, B = mirror(ctx, "A"), mirror(ctx, "B")
    tp, pp = free_port(), free_port()
    cfg = ("global\n    " + LOGS +
           "defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 10s\n"
           "    timeout server 10s\n"
           "frontend fe\n    bind 127.0.0.1:%d ssl crt %s ca-file %s verify optional alpn http/1.1\n"
           "    bind 127.0.0.1:%d\n    default_backend be\n%s\n"
           "backend be\n    server s1 127.0.0.1:%d\n"
           "backend bb\n    server b1 127.0.0.1:%d\n") % (tp, a, pki.crt, pp, FE_RULES, A.port, B.port)
    px = ctx.proxy(cfg)
    return px, pki, a, cli, tp, pp


def test_ssl_fc_fetches_in_rules(ctx):
    px, pki, a, cli, tp, pp = _front(ctx)
    # plain HTTP: redirected to https, the TLS headers never set
    c = Client(pp)
    r = c.get("/x?y=1", [("Host", "a.test")])
    eq(r.status, 301, "redirect scheme https unless { ssl_fc } on the plain port")
    eq(r.header("location"), "https://a.test/x?y=1", "the https location")
    c.close()

    c = TLSClient(tp, sni="a.test", cafile=pki.crt, cert=cli, alpn=["http/1.1"])
    r = c.get("/")
    eq(r.status, 200, "over TLS the request passes")
    eq(r.header("x-node"), "A", "SNI a.test: default backend")
    h = seen(r)
    name, version, bits = c.tls.cipher()
    eq(h.get("x-forwarded-proto"), "https", "set-header if { ssl_fc }")
    eq(h.get("x-sni"), "a.test", "ssl_fc_sni")
    eq(h.get("x-has-sni"), "1", "ssl_fc_has_sni")
    eq(h.get("x-proto"), c.tls.version(), "ssl_fc_protocol")
    eq(h.get("x-cipher"), name, "ssl_fc_cipher")
    eq(h.get("x-alpn"), "http/1.1", "ssl_fc_alpn")
    eq(h.get("x-use-keysize"), str(bits), "ssl_fc_use_keysize")
    eq(h.get("x-resumed"), "0", "ssl_fc_is_resumed on a full handshake")
    eq(h.get("x-err"), "0", "ssl_fc_err without an error")
    eq(h.get("x-has-crt"), "1", "ssl_fc_has_crt")
    eq(h.get("x-c-used"), "1", "ssl_c_used")
    eq(h.get("x-c-verify"), "0", "ssl_c_verify (X509_V_OK)")
    # %{+Q} quotes in log lines only: HAProxy 2.6 puts the value as it is
    eq(h.get("x-ssl-client-dn"), "/C=FR/O=Example/OU=u1/OU=u2/CN=client one", "%{+Q}[ssl_c_s_dn]")
    eq(h.get("x-c-cn"), "client one", "ssl_c_s_dn(cn): the entry name's case is ignored")
    eq(h.get("x-c-ou1"), "u1", "ssl_c_s_dn(OU): first occurrence")
    eq(h.get("x-c-ou2"), "u2", "ssl_c_s_dn(OU,2)")
    eq(h.get("x-c-oulast"), "u2", "ssl_c_s_dn(OU,-1): from the end")
    eq(h.get("x-c-rfc"), "CN=client one,OU=u2,OU=u1,O=Example,C=FR", "ssl_c_s_dn(,0,rfc2253)")
    eq(h.get("x-c-idn"), "/CN=tandem test CA", "ssl_c_i_dn")
    eq(h.get("x-c-serial"), "1A2B3C", "ssl_c_serial,hex")
    eq(h.get("x-c-sha1"), sha1_hex(cli), "ssl_c_sha1,hex")
    eq(h.get("x-c-nb"), asn1_date(cli, "startdate"), "ssl_c_notbefore")
    eq(h.get("x-c-na"), asn1_date(cli, "enddate"), "ssl_c_notafter")
    eq(h.get("x-c-ver"), re.search(r"Version: (\d)", x509(cli, "-text")).group(1), "ssl_c_version")
    eq(h.get("x-c-key"), "rsaEncryption", "ssl_c_key_alg")
    eq(h.get("x-c-sig"), "ecdsa-with-SHA256", "ssl_c_sig_alg (signed by the EC CA)")
    eq(h.get("x-f-dn"), "/CN=a.test", "ssl_f_s_dn: the certificate tandem presented")
    eq(h.get("x-f-icn"), "tandem test CA", "ssl_f_i_dn(CN)")
    eq(h.get("x-f-serial"), x509(a, "-serial").split("=", 1)[1].upper(), "ssl_f_serial,hex")
    eq(h.get("x-f-na"), asn1_date(a, "enddate"), "ssl_f_notafter")
    sess = c.tls.session
    c.close()

    # resumed, without a client certificate in this handshake, other SNI
    c = TLSClient(tp, sni="a.test", context=c.tls.context, session=sess)
    r = c.get("/")
    h = seen(r)
    check(c.tls.session_reused, "the client resumed its session")
    eq(h.get("x-resumed"), "1", "ssl_fc_is_resumed on a resumed session")
    eq(h.get("x-c-used"), "1", "ssl_c_used: the session's certificate, even resumed")
    eq(h.get("x-has-crt"), "0", "ssl_fc_has_crt: none sent in this handshake")
    c.close()

    c = TLSClient(tp, sni="b.test", cafile=pki.crt)
    r = c.get("/")
    eq(r.header("x-node"), "B", "use_backend if { ssl_fc_sni -i b.test }")
    h = seen(r)
    eq(h.get("x-c-used"), "0", "no client certificate: ssl_c_used false")
    check("x-ssl-client-dn" not in h or h["x-ssl-client-dn"] in ("", '""'),
          "no client certificate: ssl_c_s_dn empty (%r)" % h.get("x-ssl-client-dn"))
    c.close()

    c = TLSClient(tp, sni=None, context=tls_context(verify=False))
    h = seen(c.get("/"))
    eq(h.get("x-has-sni"), "0", "no SNI: ssl_fc_has_sni false")
    check(not h.get("x-sni"), "no SNI: ssl_fc_sni empty (%r)" % h.get("x-sni"))
    c.close()


def test_ssl_bc_fetches_and_tls_log_variables(ctx):
    pki = Pki(ctx)
    s = pki.cert("s", "srv.test", ["srv.test"])
    a = pki.cert("a", "a.test", ["a.test"])
    fp, tp, sp = free_port(), free_port(), free_port()
    cfg = ("global\n    " + LOGS +
           "defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 10s\n"
           "    timeout server 10s\n"
           "frontend fe\n    bind 127.0.0.1:%(fp)d\n    bind 127.0.0.1:%(tp)d ssl crt %(a)s\n"
           "    log-format \"TLSLOG %%ft %%sslv %%sslc %%{+Q}[ssl_fc_sni] bc=%%[ssl_bc] bcv=%%[ssl_bc_protocol]\"\n"
           "    default_backend be\n"
           "    http-response set-header X-BC %%[ssl_bc]\n"
           "    http-response set-header X-BC-Proto %%[ssl_bc_protocol]\n"
           "    http-response set-header X-BC-Cipher %%[ssl_bc_cipher]\n"
           "    http-response set-header X-BC-ALPN %%[ssl_bc_alpn]\n"
           "    http-response set-header X-BC-Keysize %%[ssl_bc_use_keysize]\n"
           "    http-response set-header X-S-CN %%[ssl_s_s_dn(CN)]\n"
           "    http-response set-header X-S-Issuer %%[ssl_s_i_dn]\n"
           "    http-response set-header X-S-Serial %%[ssl_s_serial,hex]\n"
           "backend be\n    server s1 127.0.0.1:%(sp)d ssl verify required ca-file %(ca)s sni str(srv.test)"
           " alpn http/1.1\n"
           "frontend tls_origin\n    bind 127.0.0.1:%(sp)d ssl crt %(s)s alpn http/1.1\n"
           "    http-request return status 200 content-type text/plain lf-string \"sni=%%[ssl_fc_sni]\"\n"
           ) % {"fp": fp, "tp": tp, "sp": sp, "a": a, "s": s, "ca": pki.crt}
    px = ctx.proxy(cfg)
    c = Client(fp)
    r = c.get("/")
    eq(r.status, 200, "through a TLS server")
    eq(r.body, b"sni=srv.test", "the server connection carried the SNI")
    eq(r.header("x-bc"), "1", "ssl_bc in http-response")
    check(r.header("x-bc-proto") in ("TLSv1.2", "TLSv1.3"), "ssl_bc_protocol: %r" % r.header("x-bc-proto"))
    check(r.header("x-bc-cipher"), "ssl_bc_cipher: %r" % r.header("x-bc-cipher"))
    eq(r.header("x-bc-alpn"), "http/1.1", "ssl_bc_alpn")
    check(re.match(r"^\d+$", r.header("x-bc-keysize") or ""), "ssl_bc_use_keysize %r" % r.header("x-bc-keysize"))
    eq(r.header("x-s-cn"), "srv.test", "ssl_s_s_dn(CN): the server's certificate")
    eq(r.header("x-s-issuer"), "/CN=tandem test CA", "ssl_s_i_dn")
    eq(r.header("x-s-serial"), x509(s, "-serial").split("=", 1)[1].upper(), "ssl_s_serial,hex")
    c.close()
    poll_until(lambda: re.search(r"TLSLOG fe - - \"\" bc=1 bcv=TLSv1\.[23]", px.logs()), 5,
               "plain client: %sslv %sslc are '-', ssl_fc_sni empty; the server side is TLS")

    c = TLSClient(tp, sni="a.test", cafile=pki.crt)
    eq(c.get("/").status, 200, "TLS client too")
    ver, cipher = c.tls.version(), c.tls.cipher()[0]
    c.close()
    poll_until(lambda: ("TLSLOG fe~ %s %s \"a.test\" bc=1" % (ver, cipher)) in px.logs(), 5,
               "%%ft with '~', %%sslv %%sslc of the client connection: %s" % px.logs()[-600:])


def test_error_log_format_on_failed_handshake(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    app = mirror(ctx)
    p1, p2, p3 = free_port(), free_port(), free_port()
    cfg = ("global\n    " + LOGS +
           "defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n"
           "    timeout client 5s\n    timeout server 5s\n"
           "frontend fe\n    bind 127.0.0.1:%d ssl crt %s ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256\n"
           "    error-log-format \"CONNERR %%ci %%ft %%b/%%s %%ST %%ts %%[ssl_fc] %%[ssl_fc_sni] %%[ssl_fc_err,hex]"
           " %%[ssl_fc_err_str] %%{+Q}r\"\n"
           "    log-format \"REQ %%ft %%ST\"\n"
           "    default_backend be\n"
           "frontend legacy\n    bind 127.0.0.1:%d ssl crt %s ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256\n"
           "    log-format \"REQ %%ft %%ST\"\n"
           "    default_backend be\n"
           "frontend pp\n    bind 127.0.0.1:%d accept-proxy\n    option dontlognull\n"
           "    error-log-format \"PPERR %%ci %%ft %%ts %%ST %%{+Q}r\"\n"
           "    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:%d\n") % (p1, a, p2, a, p3, app.port)
    px = ctx.proxy(cfg)
    s_client(p1, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-tls1_2", sni="a.test")
    # the harness's readiness probe (a connection closed without a byte) is
    # a connection error too: the line of interest names the SNI
    line = poll_until(lambda: re.search(r"^CONNERR .*a\.test.*$", px.logs(), re.M), 5,
                      "the error-log-format line of the failed handshake")
    check(re.match(r"^CONNERR 127\.0\.0\.1 fe~ fe/<NOSRV> 0 PR 1 a\.test 0+A0000C1 "
                   r"error:0A0000C1:SSL routines::no shared cipher \"<BADREQ>\"$", line.group(0)),
          "fields of a failed handshake: %r" % line.group(0))
    check(re.search(r"^CONNERR 127\.0\.0\.1 fe~ fe/<NOSRV> 0 PR 1 - 0+ - \"<BADREQ>\"$", px.logs(), re.M),
          "a connection closed during the handshake: no SNI, no error code: %s" % px.logs()[-800:])
    # without error-log-format, the legacy line (not log-format)
    s_client(p2, "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-tls1_2", sni="a.test")
    poll_until(lambda: re.search(r"127\.0\.0\.1:\d+ \[[^]]+\] legacy/1: SSL handshake failure", px.logs()), 5,
               "no error-log-format: HAProxy's legacy connection error line")
    check("REQ legacy" not in px.logs(), "log-format is not used for connection errors: %s" % px.logs()[-500:])
    check("SSL handshake failure" not in "".join(l for l in px.logs().splitlines(True) if "fe/" in l),
          "with error-log-format, no legacy line for fe")
    # a PROXY protocol error uses it too; dontlognull leaves out a
    # connection that sent nothing
    c = socket.create_connection(("127.0.0.1", p3))
    c.close()
    c = socket.create_connection(("127.0.0.1", p3))
    c.sendall(b"GARBAGE / HTTP/1.1\r\n\r\n")
    c.settimeout(5)
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
    line = poll_until(lambda: re.search(r"^PPERR .*$", px.logs(), re.M), 5, "the PROXY protocol error line")
    eq(line.group(0), 'PPERR 127.0.0.1 pp PR 0 "<BADREQ>"', "a bad PROXY header with error-log-format")
    check(px.logs().count("PPERR") == 1 and "pp/1:" not in px.logs(),
          "one line, no legacy line, nothing for the empty connection: %s" % px.logs()[-600:])


def test_client_certificate_errors_in_error_log_format(ctx):
    """ssl_c_err / ssl_c_ca_err / ssl_c_ca_err_depth and ssl_c_verify of a
    handshake that failed on the client's certificate."""
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    other = Pki(ctx, "other", "other CA")
    stranger = other.cert("stranger", "stranger")
    app = mirror(ctx)
    port = free_port()
    cfg = ("global\n    " + LOGS +
           "defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 5s\n"
           "    timeout server 5s\n"
           "frontend fe\n    bind 127.0.0.1:%d ssl crt %s ca-file %s verify required\n"
           "    error-log-format \"CRTERR %%[ssl_fc_sni] verify=%%[ssl_c_verify] err=%%[ssl_c_err]"
           " ca_err=%%[ssl_c_ca_err] depth=%%[ssl_c_ca_err_depth] used=%%[ssl_c_used] cn=%%[ssl_c_s_dn(CN)]\"\n"
           "    default_backend be\n"
           "    http-request return status 200 content-type text/plain"
           " lf-string \"err=%%[ssl_c_err] ca_err=%%[ssl_c_ca_err] depth=%%[ssl_c_ca_err_depth]\"\n"
           "backend be\n    server s1 127.0.0.1:%d\n") % (port, a, pki.crt, app.port)
    px = ctx.proxy(cfg)
    cli = pki.cert("client", "client one")
    c = TLSClient(port, sni="a.test", cafile=pki.crt, cert=cli)
    eq(c.get("/").body, b"err=0 ca_err=0 depth=0", "a trusted client certificate: no errors")
    c.close()
    s_client(port, "-cert", stranger, "-key", stranger[:-4] + ".key", sni="a.test", data=b"GET / HTTP/1.0\r\n\r\n")
    line = poll_until(lambda: re.search(r"^CRTERR a\.test .*$", px.logs(), re.M), 5, "the failed handshake's line")
    eq(line.group(0), "CRTERR a.test verify=- err=20 ca_err=0 depth=0 used=1 cn=stranger",
       "an untrusted client certificate: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY at depth 0; "
       "ssl_c_verify has no value before the handshake completes; the refused certificate is named")
