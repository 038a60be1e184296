/* VRRP version 3 advertisements (RFC 5798 section 5): build, parse,
 * validate, checksum. Pure functions over byte buffers, shared by the
 * runtime, the unit tests and the fuzzer.
 *
 *    0                   1                   2                   3
 *   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
 *   |(rsvd) |     Max Adver Int     |          Checksum             |
 *   |                     IPvX Address(es) ...                      |
 *
 * IPv4 only for now. An IPv6 receiver would get the VRRP part without the
 * IP header (raw IPv6 sockets strip it; hop limit from IPV6_RECVHOPLIMIT)
 * and checksum it with the IPv6 pseudo-header: parse_vrrp() below already
 * takes the addresses and TTL apart from the header for that reason. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/vrrp.h>

uint16_t vrrp_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;

	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* RFC 5798 5.2.8: "the pseudo-header as defined in Section 8.1 of RFC 2460"
 * for IPv6; for IPv4 the one TCP and UDP use: source, destination, zero,
 * protocol, VRRP length. */
uint32_t vrrp_pseudo4(const uint8_t src[4], const uint8_t dst[4], size_t len)
{
	return (uint32_t)(src[0] << 8 | src[1]) + (uint32_t)(src[2] << 8 | src[3]) +
		(uint32_t)(dst[0] << 8 | dst[1]) + (uint32_t)(dst[2] << 8 | dst[3]) +
		VRRP_PROTO + (uint32_t)(len & 0xffff);
}

size_t vrrp_pkt_build4(uint8_t *out, size_t cap, int vrid, int prio, unsigned adver_cs,
		       const uint8_t *addrs, int naddr, const uint8_t src[4], const uint8_t dst[4])
{
	size_t len = VRRP_HDR_LEN + 4 * (size_t)naddr;
	uint16_t ck;

	if (vrid < 1 || vrid > 255 || prio < 0 || prio > 255 || adver_cs < 1 ||
	    adver_cs > VRRP_MAX_ADVER_CS || naddr < 0 || naddr > 255 || len > cap)
		return 0;
	out[0] = VRRP_VERSION << 4 | VRRP_TYPE_ADVERT;
	out[1] = (uint8_t)vrid;
	out[2] = (uint8_t)prio;
	out[3] = (uint8_t)naddr;
	out[4] = (uint8_t)(adver_cs >> 8 & 0x0f);   /* rsvd bits zero (5.2.6) */
	out[5] = (uint8_t)(adver_cs & 0xff);
	out[6] = out[7] = 0;
	if (naddr)
		memcpy(out + VRRP_HDR_LEN, addrs, 4 * (size_t)naddr);
	ck = vrrp_csum(out, len, vrrp_pseudo4(src, dst, len));
	out[6] = (uint8_t)(ck >> 8);
	out[7] = (uint8_t)ck;
	return len;
}

/* Validate the VRRP part <v> of <vlen> bytes (RFC 5798 7.1) received from
 * out->src to out->dst with out->ttl; <alen> is the address size. */
static int parse_vrrp(const uint8_t *v, size_t vlen, size_t alen, uint32_t pseudo, struct vrrp_advert *out)
{
	/* "MUST verify that the IPv4 TTL/IPv6 Hop Limit is 255" */
	if (out->ttl != VRRP_TTL)
		return VRRP_DROP_TTL;
	if (vlen < VRRP_HDR_LEN)
		return VRRP_DROP_TRUNCATED;
	/* "MUST verify the VRRP version is 3"; type 1 is the only one defined */
	if (v[0] >> 4 != VRRP_VERSION)
		return VRRP_DROP_VERSION;
	if ((v[0] & 0x0f) != VRRP_TYPE_ADVERT)
		return VRRP_DROP_TYPE;
	/* "MUST verify that the received packet contains the complete VRRP
	 * packet (including fixed fields, and IPvX address(es))": exactly. */
	if (vlen != VRRP_HDR_LEN + alen * v[3])
		return VRRP_DROP_LENGTH;
	/* "MUST verify the VRRP checksum": over the message and pseudo-header */
	if (vrrp_csum(v, vlen, pseudo) != 0)
		return VRRP_DROP_CHECKSUM;
	out->vrid = v[1];
	out->prio = v[2];
	out->naddr = v[3];
	out->adver_cs = (unsigned)(v[4] & 0x0f) << 8 | v[5];   /* rsvd ignored */
	out->addrs = v + VRRP_HDR_LEN;
	/* a zero interval would make every timer fire at once */
	if (!out->adver_cs)
		return VRRP_DROP_INTERVAL;
	return VRRP_OK;
}

int vrrp_pkt_parse4(const uint8_t *pkt, size_t len, struct vrrp_advert *out)
{
	size_t ihl;

	memset(out, 0, sizeof(*out));
	if (len < 20 + VRRP_HDR_LEN)
		return VRRP_DROP_TRUNCATED;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (pkt[0] >> 4 != 4 || ihl < 20 || ihl > len || pkt[9] != VRRP_PROTO ||
	    (pkt[6] & 0x3f) || pkt[7])   /* MF or a fragment offset */
		return VRRP_DROP_IPHDR;
	if ((size_t)(pkt[2] << 8 | pkt[3]) != len)
		return VRRP_DROP_LENGTH;
	out->src.af = out->dst.af = AF_INET;
	memcpy(out->src.a, pkt + 12, 4);
	memcpy(out->dst.a, pkt + 16, 4);
	out->ttl = pkt[8];
	return parse_vrrp(pkt + ihl, len - ihl, 4, vrrp_pseudo4(pkt + 12, pkt + 16, len - ihl), out);
}

void vrrp_garp_build(uint8_t out[28], const uint8_t mac[6], const uint8_t ip[4])
{
	static const uint8_t head[8] = {
		0x00, 0x01,   /* hardware: Ethernet */
		0x08, 0x00,   /* protocol: IPv4 */
		6, 4,         /* address lengths */
		0x00, 0x01,   /* request */
	};

	memcpy(out, head, 8);
	memcpy(out + 8, mac, 6);
	memcpy(out + 14, ip, 4);
	memset(out + 18, 0, 6);
	memcpy(out + 24, ip, 4);
}

const char *vrrp_drop_str(int reason)
{
	static const char *const names[VRRP_DROP_NREASONS] = {
		[VRRP_OK] = "ok",
		[VRRP_DROP_TRUNCATED] = "truncated",
		[VRRP_DROP_IPHDR] = "ip_header",
		[VRRP_DROP_LENGTH] = "length",
		[VRRP_DROP_TTL] = "ttl",
		[VRRP_DROP_VERSION] = "version",
		[VRRP_DROP_TYPE] = "type",
		[VRRP_DROP_CHECKSUM] = "checksum",
		[VRRP_DROP_INTERVAL] = "interval",
		[VRRP_DROP_VRID] = "other_vrid",
		[VRRP_DROP_ADDRLIST] = "address_list",
		[VRRP_DROP_OWNER] = "owner",
		[VRRP_DROP_PEER] = "unknown_peer",
		[VRRP_DROP_SELF] = "own",
	};

	return reason >= 0 && reason < VRRP_DROP_NREASONS && names[reason] ? names[reason] : "?";
}
