#!/usr/bin/env python3
"""Hold many idle HTTP/1.1 keep-alive client connections open to one proxy (bench/run.sh).

usage: idle.py PORT COUNT [SETUP_SECONDS]

Opens COUNT connections to 127.0.0.1:PORT (at most 256 connecting at once, so the listen backlog
does not overflow), sends one GET on each, reads the whole response (Content-Length or chunked),
and then leaves the connection open and idle. Prints one line
    ready held=H failed=F
when every connection is idle or SETUP_SECONDS (default 60) have passed, then waits for a line
(or EOF) on stdin, prints
    done held=H closed_by_peer=C
and closes everything with a reset (SO_LINGER 0) so no TIME_WAIT is left behind on this host.
Raises its own RLIMIT_NOFILE as far as the hard limit (or, as root, beyond it) allows.
"""
import errno
import resource
import selectors
import socket
import struct
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: tandem-bench-idle\r\n\r\n"
MAX_CONNECTING = 256


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    want = need if hard == resource.RLIM_INFINITY or hard >= need else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, need), max(hard, need)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def response_complete(buf):
    """True once buf holds a whole HTTP response head and its body."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = buf[:end].lower()
    body = buf[end + 4:]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return len(body) >= int(value.strip())
        if name.strip() == b"transfer-encoding" and b"chunked" in value:
            return body.endswith(b"0\r\n\r\n")
    return True  # no body framing: a bodiless response (e.g. 204/304)


class Conn:
    __slots__ = ("sock", "state", "buf")

    def __init__(self, sock):
        self.sock, self.state, self.buf = sock, "connecting", b""


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    port, count = int(argv[1]), int(argv[2])
    setup_s = float(argv[3]) if len(argv) == 4 else 60.0
    raise_nofile(count + 64)

    sel = selectors.DefaultSelector()
    conns, started, held, failed = [], 0, 0, 0
    connecting = 0
    deadline = time.monotonic() + setup_s

    def fail(c):
        nonlocal failed
        sel.unregister(c.sock)
        c.sock.close()
        c.state = "failed"
        failed += 1

    while held + failed < count and time.monotonic() < deadline:
        while started < count and connecting < MAX_CONNECTING:
            s = socket.socket()
            s.setblocking(False)
            err = s.connect_ex(("127.0.0.1", port))
            c = Conn(s)
            conns.append(c)
            started += 1
            if err not in (0, errno.EINPROGRESS):
                c.state = "failed"
                failed += 1
                s.close()
                continue
            connecting += 1
            sel.register(s, selectors.EVENT_WRITE, c)
        for key, _ in sel.select(timeout=0.2):
            c = key.data
            if c.state == "connecting":
                connecting -= 1
                if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    fail(c)
                    continue
                try:
                    c.sock.send(REQUEST)  # small enough to fit the empty send buffer at once
                except OSError:
                    fail(c)
                    continue
                c.state = "reading"
                sel.modify(c.sock, selectors.EVENT_READ, c)
            elif c.state == "reading":
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    fail(c)
                    continue
                c.buf += data
                if response_complete(c.buf):
                    c.state, c.buf = "idle", b""
                    held += 1
            else:  # idle connection became readable: the peer closed it (or sent junk)
                fail(c)
                held -= 1

    print(f"ready held={held} failed={failed + (count - started)}", flush=True)

    # Hold: watch for the peer closing idle connections until we are told to stop.
    sel.register(sys.stdin, selectors.EVENT_READ, None)
    closed_by_peer = 0
    stop = False
    while not stop:
        for key, _ in sel.select():
            if key.data is None:
                stop = True
                continue
            c = key.data
            sel.unregister(c.sock)
            c.sock.close()
            if c.state == "idle":
                closed_by_peer += 1
                held -= 1
            c.state = "closed"
    print(f"done held={held} closed_by_peer={closed_by_peer}", flush=True)
    linger = struct.pack("ii", 1, 0)
    for c in conns:
        if c.state in ("idle", "reading", "connecting"):
            try:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            except OSError:
                pass
            c.sock.close()


if __name__ == "__main__":
    main(sys.argv)
