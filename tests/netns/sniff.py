"""Watch the LAN from a node's namespace for address announcements and
print one JSON line per frame (standard library only; needs CAP_NET_RAW):

  {"t": CLOCK_MONOTONIC s, "kind": "garp", "mac": "..", "ip": "192.0.2.100"}
  {"t": ..., "kind": "na", "mac": "..", "ip": "2001:db8::100"}

"garp": an ARP request or reply whose sender and target addresses are the
same (a gratuitous ARP, RFC 5227 announcement); "na": an ICMPv6 Neighbor
Advertisement (the link-layer option's address, else the frame's source).
Runs until SIGTERM:  python3 sniff.py IFNAME
"""
import json
import signal
import socket
import struct
import sys
import time


def mac(b):
    return ":".join("%02x" % x for x in b)


def main():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((sys.argv[1], 0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"t": time.monotonic(), "kind": "ready"}), flush=True)
    while True:
        f = s.recv(2048)
        if len(f) < 14:
            continue
        etype = struct.unpack("!H", f[12:14])[0]
        if etype == 0x0806 and len(f) >= 42:
            a = f[14:]
            spa, tpa = a[14:18], a[24:28]
            if spa == tpa:
                print(json.dumps({"t": time.monotonic(), "kind": "garp", "mac": mac(a[8:14]),
                                  "ip": socket.inet_ntoa(spa)}), flush=True)
        elif etype == 0x86dd and len(f) >= 14 + 40 + 24 and f[14 + 6] == 58 and f[14 + 40] == 136:
            icmp = f[14 + 40:]
            target = socket.inet_ntop(socket.AF_INET6, icmp[8:24])
            lladdr = mac(f[6:12])
            if len(icmp) >= 32 and icmp[24] == 2:
                lladdr = mac(icmp[26:32])
            print(json.dumps({"t": time.monotonic(), "kind": "na", "mac": lladdr, "ip": target}), flush=True)


if __name__ == "__main__":
    main()
