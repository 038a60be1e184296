"""TLS helpers for the black-box tests (Python 3 stdlib and the openssl
command): a test CA and certificates made at test time in the test's temp
dir (nothing private is committed), OCSP responses, a TLS client that reads
responses like harness.Client, and `openssl s_client` runs with a bound.
"""
import os
import socket
import ssl
import subprocess

from harness import Client, Reader, TestFailure, check

OPENSSL = "openssl"


def run(args, cwd=None, input=None, timeout=20):
    p = subprocess.run(args, cwd=cwd, input=input, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace")


def must(args, cwd=None, input=None):
    rc, out = run(args, cwd=cwd, input=input)
    if rc != 0:
        raise TestFailure("%s failed (%d): %s" % (" ".join(args), rc, out[-800:]))
    return out


CA_CNF = """[ca]
default_ca = ca_default
[ca_default]
dir = %(dir)s
database = %(dir)s/index.txt
new_certs_dir = %(dir)s/new
certificate = %(dir)s/ca.crt
private_key = %(dir)s/ca.key
serial = %(dir)s/serial
default_md = sha256
policy = pol
copy_extensions = copy
unique_subject = no
email_in_dn = no
[pol]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[leaf]
basicConstraints = CA:false
"""


class Pki:
    """A CA (openssl ca, so it keeps an index for OCSP) and the
    certificates of one test, under <ctx>'s temp dir."""

    def __init__(self, ctx, name="ca", cn="tandem test CA"):
        self.dir = ctx.path("pki-" + name)
        os.makedirs(os.path.join(self.dir, "new"), exist_ok=True)
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self.cnf = os.path.join(self.dir, "ca.cnf")
        with open(self.cnf, "w") as f:
            f.write(CA_CNF % {"dir": self.dir})
        self.key = os.path.join(self.dir, "ca.key")
        self.crt = os.path.join(self.dir, "ca.crt")
        must([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
              "-keyout", self.key, "-out", self.crt, "-days", "30", "-subj", "/CN=" + cn,
              "-config", self.cnf, "-extensions", "v3_ca"])

    def cert(self, name, cn, sans=(), key="rsa", days=30, dates=None, split_key=False, ips=(), crl_uri=None):
        """A certificate for <cn> (subjectAltName DNS <sans>) signed by the CA,
        written as <name>.pem (certificate then key, or the key in
        <name>.pem.key when <split_key>); also <name>.crt and <name>.key.
        <key>: "rsa" (2048), "rsa4096", "ec" (P-256). <dates>: (start, end)
        as YYMMDDHHMMSSZ for certificates not valid now. Returns the .pem path."""
        base = os.path.join(self.dir, name)
        keyargs = {"rsa": ["rsa:2048"], "rsa4096": ["rsa:4096"], "ec": ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]}[key]
        req = [OPENSSL, "req", "-new", "-newkey"] + keyargs + ["-nodes", "-keyout", base + ".key",
                                                              "-out", base + ".csr", "-subj", "/CN=" + cn]
        if sans or ips:
            req += ["-addext", "subjectAltName=" + ",".join(["DNS:" + s for s in sans] + ["IP:" + i for i in ips])]
        if crl_uri:
            req += ["-addext", "crlDistributionPoints=URI:" + crl_uri]
        must(req)
        ca = [OPENSSL, "ca", "-batch", "-config", self.cnf, "-extensions", "leaf", "-in", base + ".csr",
              "-out", base + ".crt", "-notext"]
        ca += ["-startdate", dates[0], "-enddate", dates[1]] if dates else ["-days", str(days)]
        must(ca)
        with open(base + ".pem", "w") as out:
            out.write(open(base + ".crt").read())
            if split_key:
                with open(base + ".pem.key", "w") as k:
                    k.write(open(base + ".key").read())
            else:
                out.write(open(base + ".key").read())
        return base + ".pem"

    def chain_pem(self, pem):
        """<pem> with the CA certificate appended (a chain, for OCSP's issuer)."""
        with open(pem, "a") as f:
            f.write(open(self.crt).read())
        return pem

    def ocsp(self, pem, out=None, revoke=False):
        """A DER OCSP response for the certificate in <pem>, signed by the CA,
        written to <out> (default <pem>.ocsp). Returns its path."""
        out = out or pem + ".ocsp"
        crt = pem[:-4] + ".crt"
        if revoke:
            must([OPENSSL, "ca", "-batch", "-config", self.cnf, "-revoke", crt])
        req = out + ".req"
        must([OPENSSL, "ocsp", "-issuer", self.crt, "-cert", crt, "-reqout", req, "-no_nonce"])
        must([OPENSSL, "ocsp", "-index", os.path.join(self.dir, "index.txt"), "-rsigner", self.crt,
              "-rkey", self.key, "-CA", self.crt, "-reqin", req, "-respout", out, "-ndays", "2"])
        return out


def tls_context(cafile=None, cert=None, alpn=None, minv=None, maxv=None, verify=True):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile and verify:
        c.load_verify_locations(cafile)
    else:
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
    if cert:
        c.load_cert_chain(cert)
    if alpn:
        c.set_alpn_protocols(alpn)
    if minv:
        c.minimum_version = minv
    if maxv:
        c.maximum_version = maxv
    return c


class TLSClient(Client):
    """harness.Client over TLS (Python's ssl): request(), response(),
    closed() work the same. .tls is the SSLSocket."""

    def __init__(self, port, sni=None, context=None, session=None, timeout=5.0, **ctxargs):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ctx = context or tls_context(**ctxargs)
        self.tls = ctx.wrap_socket(raw, server_hostname=sni, session=session)
        self.sock = self.tls
        self.reader = Reader(self.tls)
        self.timeout = timeout


def s_client(port, *args, sni=None, data=b"", timeout=10):
    """`openssl s_client` against 127.0.0.1:<port>; its output (stdout and
    stderr). <data> is sent, then stdin closes (-ign_eof is not used, so
    the client ends after the handshake when <data> is empty)."""
    argv = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port]
    if sni:
        argv += ["-servername", sni]
    else:
        argv += ["-noservername"]
    argv += list(args)
    try:
        rc, out = run(argv, input=data, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("openssl s_client did not end within %ds (%r)" % (timeout, argv))
    return out


def peer_cn(port, sni=None, *args):
    """The CN of the certificate the server presents (s_client), or None."""
    out = s_client(port, *args, sni=sni)
    for line in out.splitlines():
        if line.startswith("subject=") and "CN" in line:
            return line.split("CN", 1)[1].lstrip(" =").split(",")[0].strip()
    return None


def handshake_ok(out):
    return "Cipher is (NONE)" not in out and ("New, TLSv1" in out or "Reused, TLSv1" in out)


def check_handshake(out, want_ok, what):
    check(handshake_ok(out) == want_ok, "%s: handshake %s expected, s_client said: %s"
          % (what, "success" if want_ok else "failure", out[-900:]))


def cli(addr, line, payload=None, tmo=5.0):
    """One runtime API command on <addr> (a TCP port on 127.0.0.1, or a
    UNIX socket path), with an optional payload ("<<" syntax: its empty
    lines are dropped, as HAProxy's documentation asks, since an empty
    line ends it); the answer as text."""
    from harness import Deadline
    if isinstance(addr, int):
        s = socket.create_connection(("127.0.0.1", addr), timeout=tmo)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(tmo)
        s.connect(addr)
    try:
        data = line
        if payload is not None:
            data += " <<\n" + "\n".join(l for l in payload.splitlines() if l.strip()) + "\n\n"
        else:
            data += "\n"
        s.sendall(data.encode())
        out, dl = b"", Deadline(tmo)
        while True:
            s.settimeout(max(dl.left(), 0.01))
            d = s.recv(65536)
            if not d:
                return out.decode()
            out += d
    finally:
        s.close()


def cert_serial(port, sni=None):
    """The serial number (hex) of the certificate the server presents."""
    import tempfile
    out = s_client(port, "-showcerts", sni=sni)
    pem = out[out.find("-----BEGIN CERTIFICATE-----"):out.find("-----END CERTIFICATE-----") + 25]
    if "BEGIN" not in pem:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(pem + "\n")
        name = f.name
    try:
        rc, o = run([OPENSSL, "x509", "-in", name, "-noout", "-serial"])
    finally:
        os.unlink(name)
    return o.strip().split("=", 1)[1] if rc == 0 and "=" in o else None
