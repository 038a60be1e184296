"""Send one hand-made VRRPv3 advertisement to 224.0.0.18 from the namespace
it runs in (standard library only; needs CAP_NET_RAW):

  python3 inject.py SRC_ADDR VRID PRIO ADVER_CS TTL CSUM VIP...

CSUM is "good" or "bad" (a checksum off by one). The kernel writes the IP
header; the VRRP part and its checksum (with the IPv4 pseudo-header, RFC
5798 5.2.8) are built here, independently of tandem's code.
"""
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def main():
    src, vrid, prio, cs, ttl, good = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), \
        int(sys.argv[5]), sys.argv[6] == "good"
    vips = b"".join(socket.inet_aton(a) for a in sys.argv[7:])
    dst = "224.0.0.18"
    v = bytes([0x31, vrid, prio, len(vips) // 4, (cs >> 8) & 0x0f, cs & 0xff, 0, 0]) + vips
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + bytes([0, 112]) + struct.pack("!H", len(v))
    c = csum(pseudo + v)
    if not good:
        c = (c + 1) & 0xffff
    v = v[:6] + struct.pack("!H", c) + v[8:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    s.bind((src, 0))
    s.sendto(v, (dst, 0))


if __name__ == "__main__":
    main()
