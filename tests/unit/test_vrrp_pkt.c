/* VRRP advertisements (src/vrrp/pkt.c): build/parse/checksum round trips
 * for version 3 over IPv4 and IPv6 and version 2 with PASS authentication,
 * reference vectors computed independently (Python's RFC 1071 sum), every
 * validation reject of RFC 3768 / 5798 7.1, the gratuitous ARP and the
 * unsolicited neighbour advertisement bytes, and the rtnetlink requests of
 * src/vrrp/net.c (addresses with their options, VMAC links). */
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <tandem/vrrp.h>
#include "../../src/vrrp/vrrp_int.h"
#include "unit.h"

static const uint8_t SRC[4] = { 192, 0, 2, 1 }, MCAST[4] = { 224, 0, 0, 18 }, VIP[4] = { 192, 0, 2, 100 };

/* Wrap a VRRP message into an IPv4 header (no options unless <opt>). */
static size_t ip4(uint8_t *out, const uint8_t *v, size_t vlen, int ttl, const uint8_t src[4],
		  const uint8_t dst[4], int opt)
{
	size_t ihl = opt ? 24 : 20, len = ihl + vlen;

	memset(out, 0, ihl);
	out[0] = (uint8_t)(0x40 | ihl / 4);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[8] = (uint8_t)ttl;
	out[9] = VRRP_PROTO;
	memcpy(out + 12, src, 4);
	memcpy(out + 16, dst, 4);
	if (opt)
		out[20] = 1;   /* NOP options */
	memcpy(out + ihl, v, vlen);
	return len;
}

static void test_vector(void)
{
	/* computed with a separate implementation of RFC 1071 over the
	 * pseudo-header (192.0.2.1 -> 224.0.0.18, protocol 112, length 12) */
	static const uint8_t ref[] = { 0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x05, 0x72, 0xc0, 0x00, 0x02, 0x64 };
	uint8_t v[64], p[128];
	struct vrrp_advert ad;
	size_t n = vrrp_pkt_build4(v, sizeof(v), 51, 100, 100, VIP, 1, SRC, MCAST);

	CHECK("build: reference bytes", n == sizeof(ref) && !memcmp(v, ref, n));
	CHECK("checksum over a correct message is 0", vrrp_csum(v, n, vrrp_pseudo4(SRC, MCAST, n)) == 0);
	n = ip4(p, v, n, 255, SRC, MCAST, 0);
	CHECK("parse reference", vrrp_pkt_parse4(p, n, &ad) == VRRP_OK);
	CHECK("parse fields", ad.vrid == 51 && ad.prio == 100 && ad.naddr == 1 && ad.adver_cs == 100 &&
	      ad.ttl == 255 && !memcmp(ad.addrs, VIP, 4) && ad.src.af == AF_INET && !memcmp(ad.src.a, SRC, 4) &&
	      !memcmp(ad.dst.a, MCAST, 4));
}

static void test_roundtrip(void)
{
	uint8_t addrs[4 * 20], v[256], p[512];
	struct vrrp_advert ad;
	int ok = 1;

	for (int i = 0; i < 20; i++) {
		addrs[4 * i] = 10; addrs[4 * i + 1] = (uint8_t)i; addrs[4 * i + 2] = (uint8_t)(i * 7); addrs[4 * i + 3] = 1;
	}
	for (int naddr = 0; naddr <= 20; naddr++)
		for (int prio = 0; prio <= 255; prio += 51)
			for (unsigned cs = 1; cs <= 4095; cs += 1023) {
				const uint8_t uni[4] = { 192, 0, 2, 2 };
				size_t n = vrrp_pkt_build4(v, sizeof(v), 1 + naddr, prio, cs, addrs, naddr, SRC, uni);
				size_t m = ip4(p, v, n, 255, SRC, uni, naddr & 1);

				if (n != 8 + 4 * (size_t)naddr || vrrp_pkt_parse4(p, m, &ad) != VRRP_OK ||
				    ad.vrid != 1 + naddr || ad.prio != prio || ad.adver_cs != cs || ad.naddr != naddr ||
				    (naddr && memcmp(ad.addrs, addrs, 4 * (size_t)naddr)))
					ok = 0;
			}
	CHECK("round trip: address counts, priorities, intervals, IP options, unicast", ok);
	CHECK("build: vrid 0 refused", vrrp_pkt_build4(v, sizeof(v), 0, 100, 100, VIP, 1, SRC, MCAST) == 0);
	CHECK("build: priority 256 refused", vrrp_pkt_build4(v, sizeof(v), 1, 256, 100, VIP, 1, SRC, MCAST) == 0);
	CHECK("build: interval 0 refused", vrrp_pkt_build4(v, sizeof(v), 1, 100, 0, VIP, 1, SRC, MCAST) == 0);
	CHECK("build: interval 4096 refused", vrrp_pkt_build4(v, sizeof(v), 1, 100, 4096, VIP, 1, SRC, MCAST) == 0);
	CHECK("build: too small a buffer", vrrp_pkt_build4(v, 11, 1, 100, 100, VIP, 1, SRC, MCAST) == 0);
}

/* A valid datagram in p, its length returned. */
static size_t good(uint8_t *p)
{
	uint8_t v[64];
	size_t n = vrrp_pkt_build4(v, sizeof(v), 51, 100, 100, VIP, 1, SRC, MCAST);

	return ip4(p, v, n, 255, SRC, MCAST, 0);
}

/* Rewrite the VRRP checksum of datagram <p> (20-byte header) after a change. */
static void fix_csum(uint8_t *p, size_t len)
{
	uint16_t c;

	p[26] = p[27] = 0;
	c = vrrp_csum(p + 20, len - 20, vrrp_pseudo4(p + 12, p + 16, len - 20));
	p[26] = (uint8_t)(c >> 8);
	p[27] = (uint8_t)c;
}

static void test_rejects(void)
{
	uint8_t p[128], v[64];
	struct vrrp_advert ad;
	size_t n;
	int all;

	n = good(p);
	CHECK("reject: truncated IP header", vrrp_pkt_parse4(p, 19, &ad) == VRRP_DROP_TRUNCATED);
	CHECK("reject: header without VRRP part", vrrp_pkt_parse4(p, 27, &ad) == VRRP_DROP_TRUNCATED);
	n = good(p); p[0] = 0x65;
	CHECK("reject: IP version 6 in an IPv4 socket", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_IPHDR);
	n = good(p); p[0] = 0x44;
	CHECK("reject: IHL below 5", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_IPHDR);
	n = good(p); p[0] = 0x4f;
	CHECK("reject: IHL beyond the datagram", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_IPHDR);
	n = good(p); p[9] = 17;
	CHECK("reject: protocol not 112", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_IPHDR);
	n = good(p); p[6] = 0x20;
	CHECK("reject: more-fragments", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_IPHDR);
	n = good(p); p[7] = 1;
	CHECK("reject: fragment offset", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_IPHDR);
	n = good(p); p[3]++;
	CHECK("reject: IP total length mismatch", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_LENGTH);
	n = good(p); p[8] = 254;
	CHECK("reject: TTL 254 (RFC 5798 7.1)", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_TTL);
	n = good(p); p[8] = 1;
	CHECK("reject: TTL 1", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_TTL);
	n = good(p); p[20] = 0x41; fix_csum(p, n);
	CHECK("reject: VRRP version 4", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_VERSION);
	n = good(p); p[20] = 0x11; fix_csum(p, n);
	CHECK("reject: VRRP version 1", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_VERSION);
	n = good(p); p[20] = 0x21; fix_csum(p, n);
	CHECK("reject: a v3 message labelled version 2 lacks the authentication data",
	      vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_LENGTH);
	n = good(p); p[20] = 0x32; fix_csum(p, n);
	CHECK("reject: type 2", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_TYPE);
	n = good(p); p[23] = 2; fix_csum(p, n);
	CHECK("reject: count says 2 addresses, 1 present", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_LENGTH);
	n = good(p); p[23] = 0; fix_csum(p, n);
	CHECK("reject: count says 0, 1 address present", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_LENGTH);
	n = good(p); p[n] = 0; p[n + 1] = 0; n += 2; p[3] = (uint8_t)n; fix_csum(p, n);
	CHECK("reject: trailing bytes", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_LENGTH);
	n = good(p); p[24] = 0; p[25] = 0; fix_csum(p, n);
	CHECK("reject: Max Adver Int 0", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_INTERVAL);
	n = good(p); p[24] = 0xf0; fix_csum(p, n);
	CHECK("accept: reserved bits ignored", vrrp_pkt_parse4(p, n, &ad) == VRRP_OK && ad.adver_cs == 100);
	n = good(p); p[19] = 19;
	CHECK("reject: checksum over another destination (pseudo-header)",
	      vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_CHECKSUM);
	n = good(p); p[15] = 9;
	CHECK("reject: checksum over another source (pseudo-header)", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_CHECKSUM);
	all = 1;
	for (size_t byte = 21; byte < n; byte++)
		for (int bit = 0; bit < 8; bit++) {
			int r;

			n = good(p);
			p[byte] ^= (uint8_t)(1 << bit);
			r = vrrp_pkt_parse4(p, n, &ad);
			/* a flip in the count byte is a length error first */
			if (r != VRRP_DROP_CHECKSUM && !(byte == 23 && r == VRRP_DROP_LENGTH))
				all = 0;
		}
	CHECK("reject: every single-bit flip of the message", all);
	/* the unchecked VRRPv2-style checksum (no pseudo-header) is refused */
	n = vrrp_pkt_build4(v, sizeof(v), 51, 100, 100, VIP, 1, SRC, MCAST);
	v[6] = v[7] = 0;
	{
		uint16_t c = vrrp_csum(v, n, 0);
		v[6] = (uint8_t)(c >> 8);
		v[7] = (uint8_t)c;
	}
	n = ip4(p, v, n, 255, SRC, MCAST, 0);
	CHECK("reject: checksum without the pseudo-header", vrrp_pkt_parse4(p, n, &ad) == VRRP_DROP_CHECKSUM);
	CHECK("drop reason names", !strcmp(vrrp_drop_str(VRRP_DROP_CHECKSUM), "checksum") &&
	      !strcmp(vrrp_drop_str(VRRP_DROP_TTL), "ttl") && !strcmp(vrrp_drop_str(99), "?"));
}

static void test_garp(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0xaa };
	static const uint8_t want[28] = {
		0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xaa, 192, 0, 2, 100,
		0, 0, 0, 0, 0, 0, 192, 0, 2, 100 };
	uint8_t out[28];

	vrrp_garp_build(out, mac, VIP);
	CHECK("gratuitous ARP request bytes", !memcmp(out, want, 28));
}

static void test_netlink(void)
{
	struct vrrp_ip ip = { .af = AF_INET, .a = { 192, 0, 2, 100 } };
	uint8_t b[64];
	const struct nlmsghdr *h = (const void *)b;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	size_t n = vrrp_nl_build_addr(b, sizeof(b), 1, 7, &ip, 24, 42);
	const struct rtattr *a = (const void *)(b + NLMSG_SPACE(sizeof(*ifa)));

	CHECK("netlink add: header", n == h->nlmsg_len && h->nlmsg_type == RTM_NEWADDR && h->nlmsg_seq == 42 &&
	      h->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
	CHECK("netlink add: ifaddrmsg", ifa->ifa_family == AF_INET && ifa->ifa_prefixlen == 24 && ifa->ifa_index == 7);
	CHECK("netlink add: IFA_LOCAL then IFA_ADDRESS",
	      n == NLMSG_SPACE(sizeof(*ifa)) + 2 * RTA_SPACE(4) && a->rta_type == IFA_LOCAL &&
	      !memcmp(RTA_DATA(a), ip.a, 4) && ((const struct rtattr *)((const uint8_t *)a + RTA_SPACE(4)))->rta_type == IFA_ADDRESS);
	n = vrrp_nl_build_addr(b, sizeof(b), 0, 7, &ip, 24, 43);
	CHECK("netlink delete: only IFA_LOCAL (matches any prefix length)",
	      h->nlmsg_type == RTM_DELADDR && n == NLMSG_SPACE(sizeof(*ifa)) + RTA_SPACE(4) &&
	      h->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK) && a->rta_type == IFA_LOCAL);
	CHECK("netlink: small buffer", vrrp_nl_build_addr(b, 30, 1, 7, &ip, 24, 1) == 0);
}

static const uint8_t LL1[16] = { 0xfe, 0x80, [15] = 1 }, MC6[16] = { 0xff, 0x02, [15] = 0x12 };
static const uint8_t VIP6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 0 };

static void test_v2(void)
{
	/* computed apart: RFC 1071 over the message alone (RFC 3768 5.3.8) */
	static const uint8_t ref[] = { 0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x55, 0x03, 0xc0, 0x00, 0x02, 0x64,
				       0x31, 0x31, 0x31, 0x31, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t pass[8] = "1111";
	struct vrrp_pkt_spec sp = { .version = 2, .af = AF_INET, .vrid = 51, .prio = 100, .naddr = 1, .adver_cs = 100,
				    .addrs = VIP, .auth_type = VRRP_AUTH_PASS, .auth = pass, .src = SRC, .dst = MCAST };
	uint8_t v[64], p[128];
	struct vrrp_advert ad;
	size_t n = vrrp_pkt_build(v, sizeof(v), &sp), m;
	int all = 1;

	CHECK("v2 build: reference bytes (PASS, 1 s)", n == sizeof(ref) && !memcmp(v, ref, n));
	CHECK("v2 length: header, addresses, 8 bytes of authentication", vrrp_pkt_len(2, AF_INET, 3) == 8 + 12 + 8);
	m = ip4(p, v, n, 255, SRC, MCAST, 0);
	CHECK("v2 parse", vrrp_pkt_parse4(p, m, &ad) == VRRP_OK && ad.version == 2 && ad.vrid == 51 && ad.prio == 100 &&
	      ad.adver_cs == 100 && ad.auth_type == VRRP_AUTH_PASS && !memcmp(ad.auth, pass, 8) &&
	      !memcmp(ad.addrs, VIP, 4));
	/* its checksum does not cover the pseudo-header: another destination is fine */
	m = ip4(p, v, n, 255, SRC, SRC, 0);
	CHECK("v2: the checksum ignores the IP addresses (unicast)", vrrp_pkt_parse4(p, m, &ad) == VRRP_OK);
	for (size_t byte = 20; byte < m; byte++) {
		m = ip4(p, v, n, 255, SRC, MCAST, 0);
		p[byte] ^= 0x10;
		if (vrrp_pkt_parse4(p, m, &ad) == VRRP_OK)
			all = 0;
	}
	CHECK("v2: every flipped byte is refused", all);
	sp.auth_type = VRRP_AUTH_NONE;
	n = vrrp_pkt_build(v, sizeof(v), &sp);
	CHECK("v2 without authentication: zero data", n == 20 && v[4] == 0 && !memcmp(v + 12, "\0\0\0\0\0\0\0\0", 8));
	sp.adver_cs = 25500;
	CHECK("v2 build: 255 s", vrrp_pkt_build(v, sizeof(v), &sp) == 20 && v[5] == 255);
	sp.adver_cs = 150;
	CHECK("v2 build: 1.5 s refused", vrrp_pkt_build(v, sizeof(v), &sp) == 0);
	sp.adver_cs = 25600;
	CHECK("v2 build: 256 s refused", vrrp_pkt_build(v, sizeof(v), &sp) == 0);
	sp.adver_cs = 100;
	sp.af = AF_INET6;
	CHECK("v2 build: IPv6 refused", vrrp_pkt_build(v, sizeof(v), &sp) == 0);
	sp.af = AF_INET;
	sp.version = 1;
	CHECK("build: version 1 refused", vrrp_pkt_build(v, sizeof(v), &sp) == 0);
	/* a v2 message with a v3-style checksum (pseudo-header) is refused */
	sp.version = 2;
	n = vrrp_pkt_build(v, sizeof(v), &sp);
	v[6] = v[7] = 0;
	{
		uint16_t c = vrrp_csum(v, n, vrrp_pseudo4(SRC, MCAST, n));

		v[6] = (uint8_t)(c >> 8);
		v[7] = (uint8_t)c;
	}
	m = ip4(p, v, n, 255, SRC, MCAST, 0);
	CHECK("v2: a pseudo-header checksum is refused", vrrp_pkt_parse4(p, m, &ad) == VRRP_DROP_CHECKSUM);
	n = vrrp_pkt_build(v, sizeof(v), &sp);
	v[5] = 0;
	v[6] = v[7] = 0;
	{
		uint16_t c = vrrp_csum(v, n, 0);

		v[6] = (uint8_t)(c >> 8);
		v[7] = (uint8_t)c;
	}
	m = ip4(p, v, n, 255, SRC, MCAST, 0);
	CHECK("v2: Adver Int 0 refused", vrrp_pkt_parse4(p, m, &ad) == VRRP_DROP_INTERVAL);
}

static void test_v6(void)
{
	/* computed apart: RFC 1071 over the RFC 2460 pseudo-header and the message */
	static const uint8_t ref[] = { 0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x3d, 0x8f, 0x20, 0x01, 0x0d, 0xb8,
				       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
	struct vrrp_pkt_spec sp = { .version = 3, .af = AF_INET6, .vrid = 51, .prio = 100, .naddr = 1, .adver_cs = 100,
				    .addrs = VIP6, .src = LL1, .dst = MC6 };
	uint8_t v[64], other[16];
	struct vrrp_advert ad;
	size_t n = vrrp_pkt_build(v, sizeof(v), &sp);

	CHECK("v6 build: reference bytes", n == sizeof(ref) && !memcmp(v, ref, n));
	CHECK("v6 parse", vrrp_pkt_parse6(v, n, LL1, MC6, 255, &ad) == VRRP_OK && ad.version == 3 && ad.naddr == 1 &&
	      !memcmp(ad.addrs, VIP6, 16) && ad.src.af == AF_INET6 && !memcmp(ad.src.a, LL1, 16) && ad.adver_cs == 100);
	CHECK("v6: hop limit 254 refused", vrrp_pkt_parse6(v, n, LL1, MC6, 254, &ad) == VRRP_DROP_TTL);
	CHECK("v6: unknown hop limit refused", vrrp_pkt_parse6(v, n, LL1, MC6, -1, &ad) == VRRP_DROP_TTL);
	memcpy(other, LL1, 16);
	other[15] = 2;
	CHECK("v6: another source fails the checksum", vrrp_pkt_parse6(v, n, other, MC6, 255, &ad) == VRRP_DROP_CHECKSUM);
	CHECK("v6: truncated", vrrp_pkt_parse6(v, 7, LL1, MC6, 255, &ad) == VRRP_DROP_TRUNCATED);
	CHECK("v6: a 4-byte address list is a length error", vrrp_pkt_parse6(v, 12, LL1, MC6, 255, &ad) == VRRP_DROP_LENGTH);
	v[0] = 0x21;
	CHECK("v6: version 2 refused", vrrp_pkt_parse6(v, n, LL1, MC6, 255, &ad) == VRRP_DROP_VERSION);
}

static void test_na(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0xaa };
	uint8_t na[VRRP_NA_LEN];

	vrrp_na_build(na, mac, VIP6, 0);
	CHECK("NA: IPv6 header (payload 32, ICMPv6, hop limit 255, from the address to ff02::1)",
	      na[0] == 0x60 && na[4] == 0 && na[5] == 32 && na[6] == 58 && na[7] == 255 && !memcmp(na + 8, VIP6, 16) &&
	      na[24] == 0xff && na[25] == 0x02 && na[39] == 1);
	CHECK("NA: type 136, Override only, target, link-layer option",
	      na[40] == 136 && na[41] == 0 && na[44] == 0x20 && !memcmp(na + 48, VIP6, 16) && na[64] == 2 &&
	      na[65] == 1 && !memcmp(na + 66, mac, 6));
	/* computed apart */
	CHECK("NA: ICMPv6 checksum", na[42] == 0xf6 && na[43] == 0x83);
	vrrp_na_build(na, mac, VIP6, 1);
	CHECK("NA: Router flag when forwarding", na[44] == 0xa0);
}

static const struct rtattr *find_attr(const uint8_t *b, size_t off, size_t end, int type)
{
	while (off + sizeof(struct rtattr) <= end) {
		const struct rtattr *a = (const void *)(b + off);

		if (a->rta_len < sizeof(*a))
			return NULL;
		if (a->rta_type == type)
			return a;
		off += RTA_ALIGN(a->rta_len);
	}
	return NULL;
}

static void test_netlink_more(void)
{
	struct vrrp_vip v = { .ip = { .af = AF_INET, .a = { 192, 0, 2, 100 } }, .plen = 24, .label = "eth0:v",
			      .scope = 253, .brd = { .af = AF_INET, .a = { 192, 0, 2, 255 } } };
	struct vrrp_vip v6 = { .ip = { .af = AF_INET6, .a = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } }, .plen = 64 };
	static const uint8_t mac[6] = { 0, 0, 0x5e, 0, 1, 51 };
	uint8_t b[256];
	const struct nlmsghdr *h = (const void *)b;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *a, *li, *k;
	size_t n = vrrp_nl_build_vip(b, sizeof(b), 1, 3, &v, 7), off = NLMSG_SPACE(sizeof(*ifa));

	CHECK("netlink vip: scope, label, broadcast", n && ifa->ifa_scope == 253 &&
	      (a = find_attr(b, off, n, IFA_LABEL)) && !strcmp(RTA_DATA(a), "eth0:v") &&
	      (a = find_attr(b, off, n, IFA_BROADCAST)) && ((const uint8_t *)RTA_DATA(a))[3] == 255);
	n = vrrp_nl_build_vip(b, sizeof(b), 1, 3, &v6, 8);
	CHECK("netlink IPv6 vip: no DAD, 16-byte address", n && ifa->ifa_family == AF_INET6 &&
	      (ifa->ifa_flags & IFA_F_NODAD) && (a = find_attr(b, off, n, IFA_LOCAL)) && RTA_PAYLOAD(a) == 16);
	n = vrrp_nl_build_macvlan(b, sizeof(b), "vrrp.51", 2, mac, 9);
	off = NLMSG_SPACE(sizeof(struct ifinfomsg));
	li = n ? find_attr(b, off, n, IFLA_LINKINFO) : NULL;
	k = li ? find_attr(b, (size_t)((const uint8_t *)li - b) + RTA_LENGTH(0),
			   (size_t)((const uint8_t *)li - b) + li->rta_len, IFLA_INFO_KIND) : NULL;
	CHECK("netlink macvlan: RTM_NEWLINK up, name, link, MAC, kind macvlan",
	      n == h->nlmsg_len && h->nlmsg_type == RTM_NEWLINK && (h->nlmsg_flags & NLM_F_CREATE) &&
	      (((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_flags & 1 /* IFF_UP */) &&
	      (a = find_attr(b, off, n, IFLA_IFNAME)) && !strcmp(RTA_DATA(a), "vrrp.51") &&
	      (a = find_attr(b, off, n, IFLA_LINK)) && *(const uint32_t *)RTA_DATA(a) == 2 &&
	      (a = find_attr(b, off, n, IFLA_ADDRESS)) && !memcmp(RTA_DATA(a), mac, 6) && li && k &&
	      !strcmp(RTA_DATA(k), "macvlan"));
	n = vrrp_nl_build_dellink(b, sizeof(b), 12, 10);
	CHECK("netlink dellink", n == h->nlmsg_len && h->nlmsg_type == RTM_DELLINK &&
	      ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index == 12);
}

int main(void)
{
	test_vector();
	test_v2();
	test_v6();
	test_na();
	test_netlink_more();
	test_roundtrip();
	test_rejects();
	test_garp();
	test_netlink();
	UNIT_END();
}
