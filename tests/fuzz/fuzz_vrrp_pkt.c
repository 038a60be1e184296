/* libFuzzer driver for VRRP advertisements (src/vrrp/pkt.c), versions 2
 * and 3, IPv4 and IPv6. Each input is used four ways and must satisfy the
 * parser's contract:
 *  1. as a whole IPv4 datagram: the result is VRRP_OK or a drop reason the
 *     parser may give; on VRRP_OK the message fills the datagram exactly
 *     (v2: with its 8 bytes of authentication data), the addresses and the
 *     authentication data lie inside it, TTL is 255, the interval is
 *     non-zero (v3: at most 4095 cs; v2: whole seconds), and building the
 *     same advertisement again gives the same bytes (reserved bits aside,
 *     and a zero checksum received as 0xffff);
 *  2. as a VRRP message wrapped in a well-formed IPv4 header: same rules;
 *  3. as an IPv6 VRRP message (the first 33 bytes give the source,
 *     destination and hop limit): version 3 only, same rules;
 *  4. as field values for vrrp_pkt_build(): whatever is built parses back
 *     to the same fields, in both versions and families.
 * Parsing is deterministic. A violated invariant aborts.
 *
 * fuzz-src: src/vrrp/pkt.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/vrrp.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int known(int r)
{
	return r == VRRP_OK || r == VRRP_DROP_TRUNCATED || r == VRRP_DROP_IPHDR || r == VRRP_DROP_LENGTH ||
	       r == VRRP_DROP_TTL || r == VRRP_DROP_VERSION || r == VRRP_DROP_TYPE || r == VRRP_DROP_CHECKSUM ||
	       r == VRRP_DROP_INTERVAL;
}

/* The VRRP message <v> of <vlen> bytes parsed as <a>: check it and build it again. */
static void same_again(const struct vrrp_advert *a, const uint8_t *v, size_t vlen, int af,
		       const uint8_t *src, const uint8_t *dst)
{
	size_t alen = af == AF_INET6 ? 16 : 4;
	uint8_t re[8 + 16 * 255 + 8];
	struct vrrp_pkt_spec s = {
		.version = a->version, .af = af, .vrid = a->vrid, .prio = a->prio, .naddr = a->naddr,
		.adver_cs = a->adver_cs, .addrs = a->addrs, .auth_type = a->auth_type, .auth = a->auth,
		.src = src, .dst = dst,
	};
	size_t n;

	INV(a->version == 3 || (a->version == 2 && af == AF_INET));
	INV(vlen == vrrp_pkt_len(a->version, af, a->naddr));
	INV(a->addrs == v + 8 && a->addrs + alen * (size_t)a->naddr <= v + vlen);
	INV(a->ttl == 255 && a->adver_cs >= 1 && a->vrid <= 255 && a->prio <= 255);
	if (a->version == 3) {
		INV(a->adver_cs <= 4095 && !a->auth);
	} else {
		INV(a->adver_cs % 100 == 0 && a->adver_cs <= 25500);
		INV(a->auth == v + 8 + 4 * (size_t)a->naddr && a->auth + 8 == v + vlen);
	}
	if (a->vrid == 0 || (a->version == 3 && (v[4] & 0xf0)))
		return;   /* build refuses VRID 0; reserved bits are not rebuilt */
	if (a->version == 2 && (a->auth_type > 2 || (a->auth_type != VRRP_AUTH_PASS && memcmp(a->auth, "\0\0\0\0\0\0\0\0", 8))))
		return;   /* only PASS carries data; other types are sent with zeros */
	n = vrrp_pkt_build(re, sizeof(re), &s);
	INV(n == vlen && !memcmp(re, v, 6) && !memcmp(re + 8, v + 8, n - 8));
	/* RFC 1071: a checksum of zero may be sent as 0x0000 or 0xffff; we send the first */
	INV(!memcmp(re + 6, v + 6, 2) || (!re[6] && !re[7] && v[6] == 0xff && v[7] == 0xff));
}

static void check4(const uint8_t *p, size_t len)
{
	struct vrrp_advert a, b;
	int r = vrrp_pkt_parse4(p, len, &a);

	INV(known(r));
	INV(vrrp_pkt_parse4(p, len, &b) == r);
	if (r != VRRP_OK)
		return;
	{
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;

		INV(ihl >= 20 && ihl <= len);
		INV(!memcmp(a.src.a, p + 12, 4) && !memcmp(a.dst.a, p + 16, 4));
		INV(a.vrid == b.vrid && a.prio == b.prio && a.adver_cs == b.adver_cs && a.naddr == b.naddr);
		same_again(&a, p + ihl, len - ihl, AF_INET, p + 12, p + 16);
	}
}

static void check6(const uint8_t *data, size_t size)
{
	struct vrrp_advert a;
	int r;

	if (size < 33)
		return;
	r = vrrp_pkt_parse6(data + 33, size - 33, data, data + 16, data[32] == 0 ? -1 : data[32], &a);
	INV(known(r) && r != VRRP_DROP_IPHDR);
	if (r != VRRP_OK)
		return;
	INV(a.src.af == AF_INET6 && !memcmp(a.src.a, data, 16) && !memcmp(a.dst.a, data + 16, 16));
	same_again(&a, data + 33, size - 33, AF_INET6, data, data + 16);
}

static void wrap4(uint8_t *buf, const uint8_t *v, size_t vlen, const uint8_t *src, const uint8_t *dst)
{
	size_t len = 20 + vlen;

	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[8] = 255;
	buf[9] = VRRP_PROTO;
	memcpy(buf + 12, src, 4);
	memcpy(buf + 16, dst, 4);
	memcpy(buf + 20, v, vlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536 + 64];
	static const uint8_t src4[4] = { 192, 0, 2, 1 }, dst4[4] = { 224, 0, 0, 18 };

	/* 1. the input as a datagram */
	check4(data, size);

	/* 2. the input as the VRRP part of a well-formed datagram */
	if (size <= 65535 - 20) {
		wrap4(buf, data, size, src4, dst4);
		check4(buf, 20 + size);
	}

	/* 3. the input as an IPv6 message */
	check6(data, size);

	/* 4. the input as field values */
	if (size >= 47) {
		int version = data[0] & 1 ? 2 : 3, af = version == 2 || !(data[0] & 2) ? AF_INET : AF_INET6;
		size_t alen = af == AF_INET6 ? 16 : 4;
		int naddr = data[3] % 32;
		unsigned cs = (unsigned)(data[4] << 8 | data[5]) % (version == 2 ? 26000 : 4100);
		uint8_t addrs[16 * 32] = { 0 }, v[8 + 16 * 32 + 8];
		struct vrrp_pkt_spec s = {
			.version = version, .af = af, .vrid = data[1], .prio = data[2], .naddr = naddr, .adver_cs = cs,
			.addrs = addrs, .auth_type = data[6] % 3, .auth = data + 7, .src = data + 15, .dst = data + 31,
		};
		struct vrrp_advert a;
		size_t n;
		int r;

		if (version == 2)
			s.adver_cs = cs - cs % 100;
		memcpy(addrs, data + 47, MIN(size - 47, sizeof(addrs)));
		n = vrrp_pkt_build(v, sizeof(v), &s);
		if (s.vrid < 1 || s.adver_cs < 1 || (version == 3 && s.adver_cs > 4095) ||
		    (version == 2 && s.adver_cs > 25500)) {
			INV(n == 0);
			return 0;
		}
		INV(n == vrrp_pkt_len(version, af, naddr));
		if (af == AF_INET) {
			wrap4(buf, v, n, s.src, s.dst);
			r = vrrp_pkt_parse4(buf, 20 + n, &a);
		} else {
			r = vrrp_pkt_parse6(v, n, s.src, s.dst, 255, &a);
		}
		INV(r == VRRP_OK);
		INV(a.version == version && a.vrid == s.vrid && a.prio == s.prio && a.adver_cs == s.adver_cs &&
		    a.naddr == naddr && !memcmp(a.addrs, addrs, alen * (size_t)naddr));
		if (version == 2) {
			INV(a.auth_type == s.auth_type);
			INV(s.auth_type == VRRP_AUTH_PASS ? !memcmp(a.auth, s.auth, 8) : !memcmp(a.auth, "\0\0\0\0\0\0\0\0", 8));
		}
	}
	return 0;
}
