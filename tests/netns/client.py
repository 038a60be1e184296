"""Load for failover tests: open a NEW connection to ADDR:PORT every PERIOD
ms (never waiting for earlier ones), send one GET, and print one JSON line
per request when it ends:

  {"t0": start, "t1": end, "ok": true, "node": "A"}      (CLOCK_MONOTONIC s)
  {"t0": ..., "t1": ..., "ok": false, "err": "refused"}

A request is ok when a complete "200" response with a NODE_<name> body
arrives within TIMEOUT ms. Stops after DURATION s (then waits for the
requests in flight) or on SIGTERM. Standard library only; run inside the
client's namespace:  python3 client.py ADDR PORT PERIOD_MS DURATION_S TIMEOUT_MS
"""
import errno
import json
import selectors
import signal
import socket
import sys
import time


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    period = int(sys.argv[3]) / 1000.0
    duration = float(sys.argv[4])
    timeout = int(sys.argv[5]) / 1000.0
    req = b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n"
    sel = selectors.DefaultSelector()
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    start = time.monotonic()
    next_t = start
    live = {}

    def finish(s, ok, **kw):
        st = live.pop(s)
        sel.unregister(s)
        s.close()
        rec = {"t0": st["t0"], "t1": time.monotonic(), "ok": ok}
        rec.update(kw)
        sys.stdout.write(json.dumps(rec) + "\n")
        sys.stdout.flush()

    while True:
        now = time.monotonic()
        ending = stop[0] or now - start >= duration
        if ending and not live:
            break
        if not ending and now >= next_t:
            s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            e = s.connect_ex((addr, port))
            live[s] = {"t0": now, "buf": b"", "sent": False}
            sel.register(s, selectors.EVENT_WRITE)
            if e not in (0, errno.EINPROGRESS):
                finish(s, False, err=errno.errorcode.get(e, str(e)))
            next_t += period
            if next_t < now:
                next_t = now + period
        for s in [s for s, st in live.items() if now - st["t0"] > timeout]:
            finish(s, False, err="timeout")
        wait = max(0.0, min(next_t - time.monotonic(), 0.005))
        for key, _ in sel.select(wait):
            s = key.fileobj
            st = live.get(s)
            if st is None:
                continue
            if not st["sent"]:
                e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e:
                    finish(s, False, err=errno.errorcode.get(e, str(e)))
                    continue
                try:
                    s.send(req)
                except OSError as ex:
                    finish(s, False, err=errno.errorcode.get(ex.errno, str(ex)))
                    continue
                st["sent"] = True
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                d = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError as ex:
                finish(s, False, err=errno.errorcode.get(ex.errno, str(ex)))
                continue
            if d:
                st["buf"] += d
                continue
            b = st["buf"]
            if b.startswith(b"HTTP/1.1 200") and b"\r\n\r\nNODE_" in b and b.endswith(b"\n"):
                finish(s, True, node=b.split(b"\r\n\r\nNODE_", 1)[1].strip().decode())
            else:
                finish(s, False, err="bad response %r" % b[:40])


if __name__ == "__main__":
    main()
