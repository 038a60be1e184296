/* libFuzzer driver for VRRPv3 advertisements (src/vrrp/pkt.c). Each input
 * is used three ways and must satisfy the parser's contract:
 *  1. as a whole IPv4 datagram: the result is VRRP_OK or a drop reason the
 *     parser may give; on VRRP_OK the message fills the datagram exactly,
 *     the addresses lie inside it, TTL is 255, the interval is 1..4095,
 *     and building the same advertisement again gives the same bytes
 *     (reserved bits aside);
 *  2. as a VRRP message wrapped in a well-formed IPv4 header: same rules;
 *  3. as field values for vrrp_pkt_build4(): whatever is built parses
 *     back to the same fields.
 * Parsing is deterministic. A violated invariant aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/vrrp.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static void check(const uint8_t *p, size_t len)
{
	struct vrrp_advert a, b;
	int r = vrrp_pkt_parse4(p, len, &a);

	INV(r == VRRP_OK || r == VRRP_DROP_TRUNCATED || r == VRRP_DROP_IPHDR || r == VRRP_DROP_LENGTH ||
	    r == VRRP_DROP_TTL || r == VRRP_DROP_VERSION || r == VRRP_DROP_TYPE || r == VRRP_DROP_CHECKSUM ||
	    r == VRRP_DROP_INTERVAL);
	INV(vrrp_pkt_parse4(p, len, &b) == r);
	if (r != VRRP_OK)
		return;
	{
		size_t ihl = (size_t)(p[0] & 0x0f) * 4, vlen = len - ihl;
		uint8_t re[8 + 4 * 255];
		size_t n;

		INV(ihl >= 20 && vlen == 8 + 4 * (size_t)a.naddr);
		INV(a.addrs == p + ihl + 8 && a.addrs + 4 * a.naddr == p + len);
		INV(a.ttl == 255 && a.adver_cs >= 1 && a.adver_cs <= 4095 && a.vrid <= 255 && a.prio <= 255);
		INV(!memcmp(a.src.a, p + 12, 4) && !memcmp(a.dst.a, p + 16, 4));
		INV(a.vrid == b.vrid && a.prio == b.prio && a.adver_cs == b.adver_cs && a.naddr == b.naddr);
		if (a.vrid == 0 || (p[ihl + 4] & 0xf0))
			return;   /* build refuses VRID 0; reserved bits are not rebuilt */
		n = vrrp_pkt_build4(re, sizeof(re), a.vrid, a.prio, a.adver_cs, a.addrs, a.naddr, p + 12, p + 16);
		INV(n == vlen && !memcmp(re, p + ihl, n));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536 + 64];
	size_t len;

	/* 1. the input as a datagram */
	check(data, size);

	/* 2. the input as the VRRP part of a well-formed datagram */
	if (size <= 65535 - 20) {
		len = 20 + size;
		memset(buf, 0, 20);
		buf[0] = 0x45;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		buf[8] = 255;
		buf[9] = VRRP_PROTO;
		buf[12] = 192; buf[13] = 0; buf[14] = 2; buf[15] = 1;
		buf[16] = 224; buf[17] = 0; buf[18] = 0; buf[19] = 18;
		memcpy(buf + 20, data, size);
		check(buf, len);
	}

	/* 3. the input as field values */
	if (size >= 13) {
		int vrid = data[0], prio = data[1], naddr = data[2] % 64;
		unsigned cs = (unsigned)(data[3] << 8 | data[4]) % 4100;
		uint8_t addrs[4 * 64] = { 0 }, v[8 + 4 * 64];
		struct vrrp_advert a;
		size_t n;

		memcpy(addrs, data + 13, MIN(size - 13, sizeof(addrs)));
		n = vrrp_pkt_build4(v, sizeof(v), vrid, prio, cs, addrs, naddr, data + 5, data + 9);
		if (vrid < 1 || cs < 1 || cs > 4095) {
			INV(n == 0);
			return 0;
		}
		INV(n == 8 + 4 * (size_t)naddr);
		len = 20 + n;
		memset(buf, 0, 20);
		buf[0] = 0x45;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		buf[8] = 255;
		buf[9] = VRRP_PROTO;
		memcpy(buf + 12, data + 5, 8);
		memcpy(buf + 20, v, n);
		INV(vrrp_pkt_parse4(buf, len, &a) == VRRP_OK);
		INV(a.vrid == vrid && a.prio == prio && a.adver_cs == cs && a.naddr == naddr &&
		    !memcmp(a.addrs, addrs, 4 * (size_t)naddr));
	}
	return 0;
}
