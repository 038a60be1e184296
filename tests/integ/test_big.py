"""Big bodies stream through with bounded memory: a TANDEM_BIG_MB (default
1024) MiB upload through /echo and download through /bytes, while the
proxy's resident memory (all its processes) stays within 64 MiB of its
baseline."""
import hashlib
import random

from harness import (BIG_MB, Client, PatternChecker, RssSampler, app_proxy, check, eq, parse_json, rss_kb,
                     serial, timeout)

RSS_SLACK_KB = 64 * 1024


def _baseline(px):
    c = Client(px.port)
    eq(c.get("/").status, 200, "warm-up request")
    c.close()
    return rss_kb(px.pid)


@serial
@timeout(600)
def test_big_upload_flat_rss(ctx):
    px, _ = app_proxy(ctx, ["A"])
    base = _baseline(px)
    size = BIG_MB << 20
    block = random.Random(5).randbytes(1 << 20)
    h = hashlib.sha256()
    c = Client(px.port, timeout=60)
    sampler = RssSampler(px.pid).start()
    c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Length: %d\r\n\r\n" % size)
    for _ in range(BIG_MB):
        c.send(block)
        h.update(block)
    r = c.response("POST", timeout=120)
    peak = sampler.stop()
    c.close()
    eq(r.status, 200, "status")
    j = parse_json(r.body)
    eq((j.get("length"), j.get("sha256")), (size, h.hexdigest()), "echo of the %d MiB upload" % BIG_MB)
    check(sampler.samples >= 2, "RSS sampled only %d times" % sampler.samples)
    check(peak - base < RSS_SLACK_KB, "proxy RSS grew from %d kB to %d kB during a %d MiB upload"
          % (base, peak, BIG_MB))


@serial
@timeout(600)
def test_big_download_flat_rss(ctx):
    px, _ = app_proxy(ctx, ["A"])
    base = _baseline(px)
    size = BIG_MB << 20
    c = Client(px.port, timeout=60)
    pc = PatternChecker()
    sampler = RssSampler(px.pid).start()
    c.send(b"GET /bytes?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
    r = c.response(sink=pc.feed, timeout=300)
    peak = sampler.stop()
    eq(r.status, 200, "status")
    eq(pc.count, size, "bytes received")
    check(pc.ok, "body differs from the /bytes pattern at offset %s" % pc.first_bad)
    eq(c.get("/").status, 200, "request after the download on the same connection")
    c.close()
    check(peak - base < RSS_SLACK_KB, "proxy RSS grew from %d kB to %d kB during a %d MiB download"
          % (base, peak, BIG_MB))
