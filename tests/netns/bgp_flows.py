"""Long-lived flows for the anycast tests: hold N keep-alive HTTP
connections to ADDR:PORT and, on demand, send one more request on each,
to see which survive a change of the routers' ECMP set.

  python3 bgp_flows.py ADDR PORT N       (run inside the client's namespace)

Opens the N connections one after the other (one GET each) and prints one
JSON line {"open": [NODE, ...]} (the X-Node of each first answer, or
"ERR:reason"). Then, for each line "probe" read on stdin, sends one GET on
every connection still alive and prints {"probe": [NODE or "ERR:reason" or
"dead", ...]} (a connection that failed once stays "dead"). "quit" or the
end of stdin ends it. Standard library only; blocking sockets, 1 s timeout.
"""
import json
import socket
import sys

REQ = b"GET / HTTP/1.1\r\nHost: vip\r\n\r\n"


def request(s):
    """One GET on <s>; returns the X-Node of a complete 200, or raises."""
    s.sendall(REQ)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise OSError("closed")
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 200"):
        raise OSError("status %s" % lines[0][:20])
    hdr = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdr[k.strip().lower()] = v.strip()
    need = int(hdr.get("content-length", "0"))
    while len(body) < need:
        d = s.recv(4096)
        if not d:
            raise OSError("short body")
        body += d
    return hdr.get("x-node", "?")


def main():
    addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    conns, first = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.connect((addr, port))
            first.append(request(s))
            conns.append(s)
        except OSError as e:
            first.append("ERR:%s" % (e.strerror or e))
            conns.append(None)
            s.close()
    print(json.dumps({"open": first}), flush=True)
    for line in sys.stdin:
        if line.strip() != "probe":
            break
        res = []
        for i, s in enumerate(conns):
            if s is None:
                res.append("dead")
                continue
            try:
                res.append(request(s))
            except OSError as e:
                res.append("ERR:%s" % (e.strerror or e))
                s.close()
                conns[i] = None
        print(json.dumps({"probe": res}), flush=True)


if __name__ == "__main__":
    main()
