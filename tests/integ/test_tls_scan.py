"""testssl.sh (Debian's) against a TLS listener with tandem's default
settings (no cipher, version or option set on the bind): no finding rated
HIGH or CRITICAL. The certificate is made for the scan (trusted through
--add-ca, valid a year, names matching the target, a CRL distribution
point), so that what is judged is the TLS configuration, not a test
certificate. The run is bounded (--fast, the protocol, cipher, forward
secrecy, server defaults, preference and vulnerability sections; no client
simulation, no HTTP header checks): about a minute."""
import json
import os
import shutil
import subprocess

from harness import check, free_port, serial, timeout
from tlsutil import Pki


@serial
@timeout(360)
def test_testssl_default_settings(ctx):
    exe = shutil.which("testssl") or shutil.which("testssl.sh")
    check(exe, "testssl is not installed (apt-get install testssl.sh)")
    pki = Pki(ctx)
    crt = pki.cert("srv", "localhost", ["localhost"], ips=["127.0.0.1"], days=365,
                   crl_uri="http://crl.invalid/ca.crl")
    app = ctx.app("A")
    port = free_port()
    ctx.proxy("global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n"
              "    timeout server 10s\nfrontend fe\n    bind 127.0.0.1:%d ssl crt %s\n    default_backend be\n"
              "backend be\n    server s1 127.0.0.1:%d\n" % (port, crt, app.port))
    out = ctx.path("testssl.json")
    argv = [exe, "--quiet", "--warnings", "off", "--color", "0", "--nodns", "min", "--fast",
            "--add-ca", pki.crt, "-p", "-s", "-f", "-S", "-P", "-U", "--jsonfile", out, "127.0.0.1:%d" % port]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=330)
    ctx.write("testssl.txt", p.stdout.decode(errors="replace"))
    check(os.path.exists(out), "testssl wrote no JSON (exit %d): %s" % (p.returncode, p.stdout[-800:]))
    findings = json.load(open(out))
    check(len(findings) > 50, "testssl ran its checks (%d findings)" % len(findings))
    bad = ["%s %s: %s" % (f["severity"], f["id"], f["finding"]) for f in findings
           if f.get("severity") in ("HIGH", "CRITICAL")]
    check(not bad, "findings rated HIGH or CRITICAL:\n  " + "\n  ".join(bad))
