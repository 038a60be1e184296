"""Certificates change without a reload and survive one: HAProxy's runtime
API transactions (new / set / commit / abort ssl cert) and crt-list edits
(show / add / del ssl crt-list) serve new handshakes at once; the next
worker serves a committed certificate too unless the file changed on disk
(the file wins); a reload with a changed file serves it to new handshakes
while a handshake in flight on the old worker completes; clients resume
their TLS session after a reload (ticket keys kept by the master); a reload
with a broken certificate fails and the old worker keeps serving."""
import os
import signal
import socket
import ssl
import time

from harness import check, eq, free_port, http, is_haproxy, poll_until, proc_tree, tandem_only, timeout
from tlsutil import Pki, TLSClient, cert_serial, cli, s_client, tls_context


def _lab(ctx, pki, bind_opts, global_extra=""):
    app = ctx.app("A")
    port = free_port()
    sock = free_port()
    cfg = ("global\n    nbthread 2\n    stats socket ipv4@127.0.0.1:%d level admin\n    log stderr format raw local0\n%s\n"
           "defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 5s\n"
           "    timeout server 5s\n    timeout http-keep-alive 1s\n"
           "frontend fe\n    bind 127.0.0.1:%d %s\n    default_backend be\n"
           "backend be\n    server s1 127.0.0.1:%d\n") % (sock, global_extra, port, bind_opts, app.port)
    px = ctx.proxy(cfg)
    return px, port, sock


def _workers(px):
    return [p for p in proc_tree(px.pid) if p != px.pid]


def _reload(px):
    before = _workers(px)
    os.kill(px.pid, signal.SIGUSR2)
    poll_until(lambda: [p for p in _workers(px) if p not in before], 10, "a new worker")


def _serial_of(pem):
    from tlsutil import run, OPENSSL
    rc, o = run([OPENSSL, "x509", "-in", pem, "-noout", "-serial"])
    return o.strip().split("=", 1)[1]


def test_set_commit_serves_at_once(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    b = pki.cert("b", "a.test", ["a.test"], key="ec")
    px, port, sock = _lab(ctx, pki, "ssl crt %s" % a)
    eq(cert_serial(port, "a.test"), _serial_of(a), "the file's certificate first")
    ans = cli(sock, "set ssl cert %s" % a, payload=open(b).read())
    check("Transaction created for certificate %s!" % a in ans, "set: %r" % ans)
    check("*%s" % a in cli(sock, "show ssl cert"), "the transaction is listed")
    eq(cert_serial(port, "a.test"), _serial_of(a), "nothing changes before the commit")
    ans = cli(sock, "commit ssl cert %s" % a)
    check("Success!" in ans, "commit: %r" % ans)
    eq(cert_serial(port, "a.test"), _serial_of(b), "the next handshake gets the new certificate")
    ans = cli(sock, "show ssl cert %s" % a)
    check("Algorithm: EC256" in ans and "Status: Used" in ans, "show ssl cert: %r" % ans)


def test_abort_and_errors(ctx):
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    b = pki.cert("b", "b.test", ["b.test"])
    px, port, sock = _lab(ctx, pki, "ssl crt %s" % a)
    check("Transaction created" in cli(sock, "set ssl cert %s" % a, payload=open(b).read()), "set")
    check("Transaction aborted for certificate '%s'!" % a in cli(sock, "abort ssl cert %s" % a), "abort")
    eq(cert_serial(port), _serial_of(a), "aborted: unchanged")
    cert_only = open(b).read().split("-----BEGIN PRIVATE KEY-----")[0]
    other_key = open(a).read().split("-----END CERTIFICATE-----")[1]
    for payload, why, what in (
            ("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", "No certificate found", "garbage"),
            (cert_only, "no private key found", "a certificate without key"),
            (cert_only + other_key, "inconsistencies between private key and certificate", "a key that does not match")):
        ans = cli(sock, "set ssl cert %s" % a, payload=payload)
        if is_haproxy():
            # HAProxy takes a certificate without its key into the transaction
            # (the key may follow as FILE.key): only garbage is refused at once
            if what == "garbage":
                check("Can't update %s!" % a in ans, "%s refused: %r" % (what, ans))
            cli(sock, "abort ssl cert %s" % a)
            continue
        check("Can't update %s!" % a in ans and why in ans, "%s refused in HAProxy's words, with why: %r" % (what, ans))
    ans = cli(sock, "set ssl cert /no/such.pem", payload=open(b).read())
    check("not referenced by the configuration" in ans, "unknown file: %r" % ans)
    eq(cert_serial(port), _serial_of(a), "still the same certificate")


def test_crt_list_add_del(ctx):
    pki = Pki(ctx)
    d = pki.cert("d", "default.test", ["default.test"])
    n = pki.cert("n", "new.test", ["new.test"])
    lst = ctx.write("list.txt", "%s\n" % d)
    px, port, sock = _lab(ctx, pki, "ssl crt-list %s" % lst)
    eq(cli(sock, "show ssl crt-list").strip(), lst, "the list is listed")
    eq(s_client(port, sni="new.test").count("CN = new.test") + s_client(port, sni="new.test").count("CN=new.test"), 0,
       "not served yet")
    check("New empty certificate store" in cli(sock, "new ssl cert %s" % n), "new")
    check("Transaction created" in cli(sock, "set ssl cert %s" % n, payload=open(n).read()), "set")
    check("Success!" in cli(sock, "commit ssl cert %s" % n), "commit")
    ans = cli(sock, "add ssl crt-list %s" % lst, payload="%s [ssl-min-ver TLSv1.3] new.test" % n)
    check("Success!" in ans, "add: %r" % ans)
    out = s_client(port, sni="new.test")
    check("CN = new.test" in out or "CN=new.test" in out, "served after add: %s" % out[-300:])
    check("New, TLSv1.3" in out, "with the line's options")
    ans = cli(sock, "show ssl crt-list -n %s" % lst)
    check("%s:2 [ssl-min-ver TLSv1.3] new.test" % n in ans, "show -n: %r" % ans)
    ans = cli(sock, "del ssl crt-list %s %s" % (lst, n))
    check("deleted in crtlist" in ans, "del: %r" % ans)
    out = s_client(port, sni="new.test")
    check("CN = default.test" in out or "CN=default.test" in out, "gone after del: %s" % out[-300:])
    ans = cli(sock, "del ssl crt-list %s %s" % (lst, d))
    check("default certificate" in ans, "the default certificate cannot be deleted: %r" % ans)


@timeout(60)
def test_committed_certificate_survives_reload(ctx):
    tandem_only("HAProxy forgets runtime changes at a reload")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    b = pki.cert("b", "a.test", ["a.test"], key="ec")
    c = pki.cert("c", "a.test", ["a.test"], key="ec")
    px, port, sock = _lab(ctx, pki, "ssl crt %s" % a)
    cli(sock, "set ssl cert %s" % a, payload=open(b).read())
    check("Success!" in cli(sock, "commit ssl cert %s" % a), "commit")
    _reload(px)
    poll_until(lambda: "serving the version committed on the runtime API" in px.logs(), 5, "the handover logged")
    eq(cert_serial(port), _serial_of(b), "the next worker serves the committed certificate")
    # the file changes on disk: at the next reload the file wins
    with open(a, "w") as f:
        f.write(open(c).read())
    _reload(px)
    poll_until(lambda: "changed on disk since it was committed" in px.logs(), 5, "the file wins, logged")
    eq(cert_serial(port), _serial_of(c), "the changed file is served")
    _reload(px)
    eq(cert_serial(port), _serial_of(c), "and stays served (the runtime record is over)")


def _paused_handshake(port, sni):
    """A TLS handshake stopped right after the ClientHello was sent."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = tls_context(verify=False).wrap_bio(inc, out, server_hostname=sni)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(out.read())
    return s, o, inc, out


def _finish(s, o, inc, out):
    while True:
        try:
            o.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        if out.pending:
            s.sendall(out.read())
        d = s.recv(65536)
        if not d:
            raise AssertionError("closed during the handshake")
        inc.write(d)
    if out.pending:
        s.sendall(out.read())
    o.write(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
    s.sendall(out.read())
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            break
        inc.write(d)
        try:
            data += o.read(65536)
        except ssl.SSLWantReadError:
            pass
    return o.getpeercert(binary_form=True), data


@timeout(60)
def test_reload_with_changed_file_keeps_handshakes_in_flight(ctx):
    tandem_only("reload through the master's signal")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    b = pki.cert("b", "a.test", ["a.test"], key="ec")
    old_der = ssl.PEM_cert_to_DER_cert(open(a[:-4] + ".crt").read())
    px, port, sock = _lab(ctx, pki, "ssl crt %s" % a)
    paused = [_paused_handshake(port, "a.test") for _ in range(3)]
    with open(a, "w") as f:
        f.write(open(b).read())
    _reload(px)
    eq(cert_serial(port), _serial_of(b), "new handshakes get the changed file")
    for i, p in enumerate(paused):
        der, data = _finish(*p)
        eq(der, old_der, "handshake %d in flight completes with the old certificate" % i)
        check(data.startswith(b"HTTP/1.1 200"), "and its request is served: %r" % data[:60])
        p[0].close()


@timeout(60)
def test_resumption_after_reload(ctx):
    tandem_only("ticket keys kept across reloads")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    px, port, sock = _lab(ctx, pki, "ssl crt %s" % a)
    req = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    for ver in ("-tls1_3", "-tls1_2"):
        sess = ctx.path("sess" + ver)
        s_client(port, ver, "-sess_out", sess, "-ign_eof", sni="a.test", data=req)
        _reload(px)
        out = s_client(port, ver, "-sess_in", sess, "-ign_eof", sni="a.test", data=req)
        check("Reused, TLSv1" in out, "%s: the session resumes on the new worker: %s" % (ver, out[-600:]))


def test_reload_with_broken_certificate_keeps_old_worker(ctx):
    tandem_only("reload through the master's signal")
    pki = Pki(ctx)
    a = pki.cert("a", "a.test", ["a.test"])
    b = pki.cert("b", "a.test", ["a.test"], key="ec")
    px, port, sock = _lab(ctx, pki, "ssl crt %s" % a)
    serial = _serial_of(a)
    before = _workers(px)
    # b's certificate with a's key: the key does not match
    crt_b = open(b).read().split("-----BEGIN PRIVATE KEY-----")[0]
    key_a = "-----BEGIN PRIVATE KEY-----" + open(a).read().split("-----BEGIN PRIVATE KEY-----")[1]
    with open(a, "w") as f:
        f.write(crt_b + key_a)
    os.kill(px.pid, signal.SIGHUP)
    poll_until(lambda: "Reload failed" in px.logs(), 10, "the reload failure in the log")
    log = px.logs()
    check(os.path.basename(px.cfg_path) in log and a in log and "inconsistencies between private key and certificate" in log,
          "the failure names file:line, the path and the reason: %r" % log[-800:])
    eq(_workers(px), before, "workers after a failed reload")
    eq(cert_serial(port, "a.test"), serial, "the old worker keeps serving its certificate")
