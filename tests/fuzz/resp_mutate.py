#!/usr/bin/env python3
"""Response-side mutation run: tandem between many keep-alive clients and a
backend that answers with mutated responses (part of the fuzz stage of
`make test`, called by tests/fuzz/run.sh).

Every request carries a unique id ("c<client>r<n>", 3 + 6 digits), in its
path and in an X-Req-Id header. The backend echoes the id in a header and
in the body of a response that is valid to start with, then mutated: bytes
flipped, framing headers changed (Content-Length too small or too big,
duplicated, with Transfer-Encoding, bad chunk sizes), bytes after the body
(a whole second response carrying the same id), truncations, interim
responses (100/102/103, a stray 101), bodies on HEAD/204/304, split writes.
tandem runs with `http-reuse always` and two threads, so a server
connection that carried one client's request is offered to the others.

Checks:
  - no client ever receives bytes carrying another client's id (a response
    or part of one that reached the wrong client), nor bytes of one of its
    own earlier requests on a later one (a desynchronised connection);
  - the worker neither crashes nor is replaced (same pid at the end), and
    under SANITIZE=1 prints no sanitizer report;
  - no thread spins afterwards: the idle worker uses < 15% of one CPU over
    2 s once every client is gone;
  - the worker stops on SIGTERM within 5 s.

Prints "PASS resp_mutate (...)" or "FAIL resp_mutate: ..." lines with the
details needed to reproduce (seed, mutation, bytes sent, bytes received).
Environment: BIN (where tandem is; default bin, build-san/bin when
SANITIZE=1), RESP_FUZZ_SECONDS (default 40), RESP_FUZZ_SEED (default:
random, printed), RESP_FUZZ_CLIENTS (default 24), RESP_FUZZ_SLOW=0 (leave
out the responses slower than `timeout client` and run with `timeout
client` above `timeout server`: to look for other bugs while a spin on the
client deadline is being fixed)."""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAN = os.environ.get("SANITIZE", "0") == "1"
BIN = os.path.join(ROOT, os.environ.get("BIN") or ("build-san/bin" if SAN else "bin"))
SECONDS = float(os.environ.get("RESP_FUZZ_SECONDS", "40"))
SEED = int(os.environ.get("RESP_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
NCLIENTS = int(os.environ.get("RESP_FUZZ_CLIENTS", "24"))
SLOW = os.environ.get("RESP_FUZZ_SLOW", "1") != "0"
ID_RE = re.compile(rb"c(\d{3})r(\d{6})")

lock = threading.Lock()
sent_log = {}        # id -> (mutation name, bytes the backend sent for it)
violations = []      # (kind, text): the first 3 of each kind
counts = {}          # kind -> how many
stats = {"requests": 0, "answered": 0, "cut": 0, "backend_conns": 0}


def note_violation(kind, text):
    with lock:
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= 3:
            violations.append((kind, text))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ------------------------------------------------------------------ backend ----

def body_for(rid, rnd, head_len=0):
    """The id repeated, padded to the length drawn: small, several buffers
    long, or so that head + body ends exactly on (or next to) a multiple of
    tandem's 16 KiB buffer (where bytes after the body stay in the kernel)."""
    r = rnd.random()
    if r < 0.5:
        n = rnd.randint(0, 6000)
    elif r < 0.7:
        n = rnd.randint(16000, 70000)
    else:
        n = max(0, rnd.randint(1, 8) * 4096 - head_len + rnd.choice((0, 0, 0, -1, 1, -2, 2)))
    unit = b"ID:" + rid + b";"
    return (unit * (n // len(unit) + 1))[:n - n % len(unit)] + b"." * (n % len(unit))


def chunked(body, rnd):
    out, i = b"", 0
    while i < len(body):
        n = rnd.randint(1, 700)
        out += b"%x\r\n" % len(body[i:i + n]) + body[i:i + n] + b"\r\n"
        i += n
    return out + b"0\r\n\r\n"


def head(status, reason, hdrs):
    return (b"HTTP/1.1 %d %s\r\n" % (status, reason) +
            b"".join(b"%s: %s\r\n" % (n, v) for n, v in hdrs) + b"\r\n")


def build_response(rid, method, rnd):
    """(mutation name, bytes to send, close after sending). A mutation that
    happens to spell another request's id (a flipped digit) is drawn again,
    so any foreign id a client sees came from another request."""
    for _ in range(20):
        name, data, close = mutate(rid, method, rnd)
        if all(m.group(0) == rid for m in ID_RE.finditer(data)):
            return name, data, close
    return mutate(rid, method, random.Random(0))   # mutation 0 of seed 0: valid


def mutate(rid, method, rnd):
    body = body_for(rid, rnd, 65)
    eh = [(b"X-Echo-Id", rid)]
    cl = [(b"Content-Length", b"%d" % len(body))]
    valid = head(200, b"OK", eh + cl) + (b"" if method == b"HEAD" else body)
    m = rnd.randrange(23)
    if m == 0:
        return "valid", valid, False
    if m == 1:
        return "valid-chunked", head(200, b"OK", eh + [(b"Transfer-Encoding", b"chunked")]) + \
            (b"" if method == b"HEAD" else chunked(body, rnd)), False
    if m == 2:
        return "until-close", head(200, b"OK", eh + [(b"Connection", b"close")]) + body, True
    if m == 3:
        b = bytearray(valid)
        for _ in range(rnd.randint(1, 3)):
            b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
        return "bitflip", bytes(b), rnd.random() < 0.5
    if m == 4:
        b = bytearray(valid)
        for _ in range(rnd.randint(1, 4)):
            b[rnd.randrange(len(b))] = rnd.choice(b"\r\n :\x00\x7f0;")
        return "byteset", bytes(b), rnd.random() < 0.5
    if m == 5 and body:
        k = rnd.randint(0, len(body) - 1)
        return "cl-too-small", head(200, b"OK", eh + [(b"Content-Length", b"%d" % k)]) + body, rnd.random() < 0.3
    if m == 6:
        return "cl-too-big", head(200, b"OK", eh + [(b"Content-Length", b"%d" % (len(body) + rnd.randint(1, 50)))]) + \
            body, rnd.random() < 0.5
    if m == 7:
        extra = head(200, b"OK", eh + [(b"Content-Length", b"%d" % len(body))]) + body
        return "extra-response", valid + extra, rnd.random() < 0.2
    if m == 8:
        return "extra-bytes", valid + (b"ID:" + rid + b";") * rnd.randint(1, 500), rnd.random() < 0.2
    if m == 9:
        return "cl-and-te", head(200, b"OK", eh + cl + [(b"Transfer-Encoding", b"chunked")]) + chunked(body, rnd), False
    if m == 10:
        c = chunked(body, rnd)
        c = c.replace(b"\r\n", b"\r\nzz", 1) if rnd.random() < 0.5 else c[:-5] + b"5\r\nID:" + rid + b"\r\n0\r\n\r\n"
        return "bad-chunks", head(200, b"OK", eh + [(b"Transfer-Encoding", b"chunked")]) + c, rnd.random() < 0.5
    if m == 11:
        cut = rnd.randint(1, max(1, len(valid) - 1))
        return "truncated", valid[:cut], True
    if m == 12:
        inter = b"".join(head(rnd.choice((100, 102, 103)), b"Info", eh + [(b"Link", b"</" + rid + b">")])
                         for _ in range(rnd.randint(1, 6)))
        return "interim", inter + valid, False
    if m == 13:
        return "stray-101", head(101, b"Switching Protocols", eh + [(b"Upgrade", b"x"), (b"Connection", b"upgrade")]) + \
            b"ID:" + rid + b";" * 10 + valid, True
    if m == 14:
        return "dup-cl", head(200, b"OK", eh + cl + [(b"Content-Length", b"%d" % (len(body) + 3))]) + body + b"ID:", False
    if m == 15:
        st = rnd.choice((204, 304))
        return "body-on-%d" % st, head(st, b"X", eh + cl) + body, rnd.random() < 0.3
    if m == 16:
        return "body-on-head-or-get", head(200, b"OK", eh + cl) + body, False
    if m == 17:
        return "http10-keepalive", b"HTTP/1.0 200 OK\r\nX-Echo-Id: " + rid + b"\r\nConnection: keep-alive\r\n" \
            b"Content-Length: %d\r\n\r\n" % len(body) + body, False
    if m == 18:
        return "te-chunked-twice", head(200, b"OK", eh + [(b"Transfer-Encoding", b"chunked, chunked")]) + \
            chunked(body, rnd), False
    if m == 19:
        return "garbage", bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 300))) + b"ID:" + rid, True
    if m == 21 and SLOW and rnd.random() < 0.1:
        # slower than `timeout client`, faster than `timeout server`:
        # while tandem waits on the server, the server's timeout governs
        return "slow", valid, False
    if m == 21 and SLOW and rnd.random() < 0.1:
        return "processing", valid, False
    if m == 20:
        return "te-gzip-chunked", head(200, b"OK", eh + [(b"Transfer-Encoding", b"gzip, chunked")]) + \
            chunked(body, rnd), False
    return "valid", valid, False


def read_request(sock, buf):
    """(method, id, rest of buffer) or None at EOF/timeout."""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return None
        buf += d
    h, _, rest = buf.partition(b"\r\n\r\n")
    lines = h.split(b"\r\n")
    method = lines[0].split(b" ")[0]
    m = ID_RE.search(lines[0])
    n = 0
    for ln in lines[1:]:
        if ln.lower().startswith(b"content-length:"):
            n = int(ln.split(b":", 1)[1])
    while len(rest) < n:
        d = sock.recv(65536)
        if not d:
            return None
        rest += d
    return method, (m.group(0) if m else b"c999r999999"), rest[n:]


def serve(sock, rnd):
    buf = b""
    sock.settimeout(10)
    try:
        while True:
            r = read_request(sock, buf)
            if r is None:
                return
            method, rid, buf = r
            name, data, close = build_response(rid, method, rnd)
            with lock:
                sent_log[rid] = (name, data)
            if name == "slow":
                time.sleep(1.5)
            elif name == "processing":
                for _ in range(15):
                    sock.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
                    time.sleep(0.1)
            if rnd.random() < 0.3:   # split writes
                i = 0
                while i < len(data):
                    n = rnd.randint(1, 2000)
                    sock.sendall(data[i:i + n])
                    i += n
                    time.sleep(rnd.random() * 0.005)
            else:
                sock.sendall(data)
            if close:
                return
    except OSError:
        return
    finally:
        sock.close()


def backend(ls, stop):
    rnd = random.Random(SEED)
    while not stop.is_set():
        try:
            c, _ = ls.accept()
        except OSError:
            return
        with lock:
            stats["backend_conns"] += 1
        threading.Thread(target=serve, args=(c, random.Random(rnd.random())), daemon=True).start()


# ------------------------------------------------------------------ clients ----

class Cut(Exception):
    pass


def read_some(sock, got, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise Cut("timeout")
    sock.settimeout(left)
    try:
        d = sock.recv(65536)
    except socket.timeout:
        raise Cut("timeout")
    except OSError:
        raise Cut("reset")
    if not d:
        raise Cut("closed")
    got += d
    return d


def read_response(sock, got, method, deadline):
    """Parse one final response from bytearray <got> (filled from sock);
    returns the number of bytes it used. Raises Cut when the connection
    ends, times out or the bytes are not a response."""
    pos = 0
    while True:
        while got.find(b"\r\n\r\n", pos) < 0:
            read_some(sock, got, deadline)
        end = got.find(b"\r\n\r\n", pos)
        lines = bytes(got[pos:end]).split(b"\r\n")
        if not lines[0].startswith(b"HTTP/1.") or len(lines[0]) < 12:
            raise Cut("not a status line")
        try:
            status = int(lines[0][9:12])
        except ValueError:
            raise Cut("bad status")
        hdrs = {}
        for ln in lines[1:]:
            n, _, v = ln.partition(b":")
            hdrs.setdefault(n.strip().lower(), []).append(v.strip())
        pos = end + 4
        if 100 <= status < 200 and status != 101:
            continue
        if status == 101:
            raise Cut("101")
        if method == b"HEAD" or status in (204, 304):
            return pos
        if b"chunked" in b",".join(hdrs.get(b"transfer-encoding", [])).lower():
            while True:
                while got.find(b"\r\n", pos) < 0:
                    read_some(sock, got, deadline)
                e = got.find(b"\r\n", pos)
                try:
                    size = int(bytes(got[pos:e]).split(b";")[0], 16)
                except ValueError:
                    raise Cut("bad chunk size")
                pos = e + 2
                if size == 0:
                    while True:
                        while got.find(b"\r\n", pos) < 0:
                            read_some(sock, got, deadline)
                        e = got.find(b"\r\n", pos)
                        line_empty = e == pos
                        pos = e + 2
                        if line_empty:
                            return pos
                while len(got) < pos + size + 2:
                    read_some(sock, got, deadline)
                pos += size + 2
        if b"content-length" in hdrs:
            try:
                n = int(hdrs[b"content-length"][0])
            except ValueError:
                raise Cut("bad content-length")
            while len(got) < pos + n:
                read_some(sock, got, deadline)
            return pos + n
        while True:   # until close
            try:
                read_some(sock, got, deadline)
            except Cut:
                return len(got)


def check_ids(cid, n, method, data, what):
    for m in ID_RE.finditer(data):
        oc, on = int(m.group(1)), int(m.group(2))
        if oc == cid and on == n:
            continue
        rid = m.group(0)
        with lock:
            name, sent = sent_log.get(rid, ("?", b""))
        kind = "cross-client" if oc != cid else "stale"
        at = m.start()
        note_violation(kind, "client c%03d %s c%03dr%06d %s bytes of %s at offset %d (backend mutation %r, "
                       "sent %r); client received %r" % (cid, method.decode(), cid, n, what, rid.decode(), at, name,
                                                        sent[:400], bytes(data[max(0, at - 300):at + 300])))
        return


def client(cid, port, stop):
    rnd = random.Random(SEED * 1000 + cid)
    sock, n = None, 0
    while not stop.is_set():
        n += 1
        rid = b"c%03dr%06d" % (cid, n)
        method = rnd.choice((b"GET",) * 8 + (b"HEAD", b"POST"))
        body = b"x" * rnd.randint(1, 300) if method == b"POST" else b""
        req = (b"%s /r/%s HTTP/1.1\r\nHost: fuzz\r\nX-Req-Id: %s\r\n" % (method, rid, rid) +
               (b"Content-Length: %d\r\n" % len(body) if body else b"") + b"\r\n" + body)
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(req)
        except OSError:
            if sock:
                sock.close()
            sock = None
            continue
        with lock:
            stats["requests"] += 1
        got = bytearray()
        try:
            used = read_response(sock, got, method, time.monotonic() + 6)
            with lock:
                stats["answered"] += 1
            check_ids(cid, n, method, bytes(got[:used]), "got")
            if used < len(got):
                # tandem sent more than one response: the rest would be
                # read as the answer to the next request
                check_ids(cid, n, method, bytes(got[used:]), "got extra")
                with lock:
                    name, sent = sent_log.get(rid, ("?", b""))
                kind = "extra"
                if method == b"HEAD" and got.startswith(b"HTTP/1.1 5") and b"<html>" in got[used:]:
                    kind = "extra: body of a generated error answering HEAD"
                note_violation(kind, "client c%03d %s %s: %d bytes after the response (backend mutation %r, "
                               "sent %r); client received %r" % (cid, method.decode(), rid.decode(), len(got) - used,
                                                                  name, sent[:300], bytes(got[:used + 300])))
                sock.close()
                sock = None
        except Cut:
            with lock:
                stats["cut"] += 1
            check_ids(cid, n, method, bytes(got), "got (cut)")
            sock.close()
            sock = None
    if sock:
        sock.close()


# ------------------------------------------------------------------ the run ----

def proc_children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            if int(st.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fld = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fld[11]) + int(fld[12])) / os.sysconf("SC_CLK_TCK")


def main():
    exe = os.path.join(BIN, "tandem")
    if not os.access(exe, os.X_OK):
        print("FAIL resp_mutate: %s missing (build first)" % exe)
        return 1
    tmp = tempfile.mkdtemp(prefix="tandem-resp-mutate-")
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(256)
    bport, fport = ls.getsockname()[1], free_port()
    cfg = ("global\n    nbthread 2\n    tune.bufsize 4096\n\ndefaults\n    mode http\n    timeout connect 1s\n"
           "    timeout client %s\n    timeout server %s\n    retries 0\n\n"
           "frontend fe\n    bind 127.0.0.1:%d\n    default_backend be\n\n"
           "backend be\n    http-reuse always\n    server s1 127.0.0.1:%d\n"
           % ((("1s", "3s") if SLOW else ("5s", "2s")) + (fport, bport)))
    with open(os.path.join(tmp, "tandem.cfg"), "w") as f:
        f.write(cfg)
    err = open(os.path.join(tmp, "tandem.err"), "wb")
    px = subprocess.Popen([exe, "-f", os.path.join(tmp, "tandem.cfg")], stdout=err, stderr=err)
    stop = threading.Event()
    threading.Thread(target=backend, args=(ls, stop), daemon=True).start()
    rc = 0
    worker = None
    try:
        dl = time.monotonic() + 10
        while time.monotonic() < dl:
            kids = proc_children(px.pid)
            if kids:
                try:
                    socket.create_connection(("127.0.0.1", fport), timeout=1).close()
                    worker = kids[0]
                    break
                except OSError:
                    pass
            time.sleep(0.05)
        if worker is None:
            print("FAIL resp_mutate: tandem did not start (logs in %s)" % tmp)
            return 1
        print("# resp_mutate: seed %d, %d clients, %.0f s, bin %s (RESP_FUZZ_SEED=%d to replay)"
              % (SEED, NCLIENTS, SECONDS, BIN, SEED))
        cstop = threading.Event()
        ts = [threading.Thread(target=client, args=(i, fport, cstop), daemon=True) for i in range(NCLIENTS)]
        for t in ts:
            t.start()
        end = time.monotonic() + SECONDS
        while time.monotonic() < end and px.poll() is None:
            time.sleep(0.2)
        cstop.set()
        for t in ts:
            t.join(15)
        stop.set()
        ls.close()
        # every connection closes within the server/client timeouts
        time.sleep(0.1)
        kids = proc_children(px.pid)
        if px.poll() is not None or kids != [worker]:
            print("FAIL resp_mutate: worker %d crashed or was replaced (now %s, master %s); logs in %s"
                  % (worker, kids, "exited %s" % px.returncode if px.poll() is not None else "alive", tmp))
            rc = 1
        else:
            # idle: no client, no backend; the timeouts have run out within
            # a few seconds: one 2 s window under 15% of a CPU must come
            spin = None
            dl = time.monotonic() + 8
            while time.monotonic() < dl:
                c0, t0 = cpu_s(worker), time.monotonic()
                time.sleep(2)
                c1, t1 = cpu_s(worker), time.monotonic()
                if c0 is None or c1 is None:
                    break
                spin = (c1 - c0, t1 - t0)
                if spin[0] < 0.15 * spin[1]:
                    spin = None
                    break
            if spin:
                print("FAIL resp_mutate: the idle worker used %.2f s of CPU in %.1f s (a thread spins); logs in %s"
                      % (spin[0], spin[1], tmp))
                rc = 1
        for k, text in violations:
            print("FAIL resp_mutate: %s: %s" % (k, text))
        if violations:
            print("FAIL resp_mutate: %d violation(s) %s (seed %d); logs in %s"
                  % (sum(counts.values()), counts, SEED, tmp))
            rc = 1
    finally:
        # stop the master; the worker must go with it (a worker that
        # outlives its master keeps the ports): every process started is
        # waited for, and killed by pid if it does not stop
        tree = ([px.pid] + proc_children(px.pid)) if px.poll() is None else []
        if worker and worker not in tree:
            tree.append(worker)
        if px.poll() is None:
            px.send_signal(signal.SIGTERM)
        dl = time.monotonic() + 5
        while time.monotonic() < dl and any(os.path.exists("/proc/%d/stat" % p) and not zombie(p) for p in tree):
            px.poll()
            time.sleep(0.05)
        left = [p for p in tree if os.path.exists("/proc/%d/stat" % p) and not zombie(p)]
        if left:
            print("FAIL resp_mutate: processes %s still running 5 s after SIGTERM to the master; logs in %s"
                  % (left, tmp))
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            rc = 1
        try:
            px.wait(5)
        except subprocess.TimeoutExpired:
            pass
        err.close()
    with open(os.path.join(tmp, "tandem.err"), "rb") as f:
        log = f.read().decode("utf-8", "replace")
    m = re.search(r"ERROR: (Address|Leak|Memory)Sanitizer.*|runtime error: .*|SUMMARY: UndefinedBehaviorSanitizer.*", log)
    if m:
        print("FAIL resp_mutate: sanitizer report: %s; logs in %s" % (m.group(0)[:300], tmp))
        rc = 1
    summary = ("%d requests, %d answered, %d cut, %d backend connections, seed %d"
               % (stats["requests"], stats["answered"], stats["cut"], stats["backend_conns"], SEED))
    if rc == 0:
        print("PASS resp_mutate (%s)" % summary)
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("# resp_mutate: %s" % summary)
    return rc


if __name__ == "__main__":
    sys.exit(main())
