/* VRRP advertisements: build, parse, validate, checksum. Version 2
 * (RFC 3768 section 5, IPv4) and version 3 (RFC 5798 section 5, IPv4 and
 * IPv6). Pure functions over byte buffers, shared by the runtime, the unit
 * tests and the fuzzer.
 *
 *    0                   1                   2                   3
 *   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
 * v3|(rsvd) |     Max Adver Int     |          Checksum             |
 * v2|   Auth Type   |   Adver Int   |          Checksum             |
 *   |                     IPvX Address(es) ...                      |
 * v2|             Authentication Data (8 bytes, always)             |
 *
 * Differences that matter: v3 carries the interval in centiseconds and
 * checksums a pseudo-header too; v2 carries whole seconds, checksums the
 * message alone, and ends with 8 bytes of authentication data (RFC 2338's
 * simple password when Auth Type is 1, as keepalived still sends it).
 *
 * An IPv4 receiver gets the IP header (raw IPv4 socket); an IPv6 one gets
 * the VRRP part alone, with addresses and hop limit from ancillary data. */
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

/* RFC 5798 5.2.8: for IPv4 the pseudo-header TCP and UDP use: source,
 * destination, zero, protocol, VRRP length. */
uint32_t vrrp_pseudo4(const uint8_t src[4], const uint8_t dst[4], size_t len)
{
	return (uint32_t)(src[0] << 8 | src[1]) + (uint32_t)(src[2] << 8 | src[3]) +
		(uint32_t)(dst[0] << 8 | dst[1]) + (uint32_t)(dst[2] << 8 | dst[3]) +
		VRRP_PROTO + (uint32_t)(len & 0xffff);
}

/* RFC 5798 5.2.8 / RFC 2460 8.1: source, destination, 32-bit upper-layer
 * length, three zero bytes, next header. Also used for ICMPv6. */
uint32_t vrrp_pseudo6(const uint8_t src[16], const uint8_t dst[16], size_t len, int next)
{
	uint32_t s = 0;

	for (int i = 0; i < 16; i += 2)
		s += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
	return s + (uint32_t)(len >> 16 & 0xffff) + (uint32_t)(len & 0xffff) + (uint32_t)next;
}

static size_t alen_of(int af)
{
	return af == AF_INET6 ? 16 : 4;
}

size_t vrrp_pkt_len(int version, int af, int naddr)
{
	return VRRP_HDR_LEN + alen_of(af) * (size_t)naddr + (version == 2 ? VRRP_AUTH_LEN : 0);
}

size_t vrrp_pkt_build(uint8_t *out, size_t cap, const struct vrrp_pkt_spec *s)
{
	size_t alen = alen_of(s->af), len = vrrp_pkt_len(s->version, s->af, s->naddr);
	uint32_t pseudo = 0;
	uint16_t ck;

	if ((s->af != AF_INET && s->af != AF_INET6) || s->vrid < 1 || s->vrid > 255 || s->prio < 0 ||
	    s->prio > 255 || s->naddr < 0 || s->naddr > 255 || len > cap)
		return 0;
	if (s->version == 3) {
		if (s->adver_cs < 1 || s->adver_cs > VRRP_MAX_ADVER_CS)
			return 0;
	} else if (s->version == 2) {
		/* RFC 3768 is IPv4 only; its interval is in whole seconds */
		if (s->af != AF_INET || s->adver_cs % 100 || s->adver_cs < 100 ||
		    s->adver_cs > VRRP_MAX_ADVER_S2 * 100 || s->auth_type < 0 || s->auth_type > 2)
			return 0;
	} else {
		return 0;
	}
	out[0] = (uint8_t)(s->version << 4 | VRRP_TYPE_ADVERT);
	out[1] = (uint8_t)s->vrid;
	out[2] = (uint8_t)s->prio;
	out[3] = (uint8_t)s->naddr;
	if (s->version == 3) {
		out[4] = (uint8_t)(s->adver_cs >> 8 & 0x0f);   /* rsvd bits zero (5.2.6) */
		out[5] = (uint8_t)(s->adver_cs & 0xff);
	} else {
		out[4] = (uint8_t)s->auth_type;
		out[5] = (uint8_t)(s->adver_cs / 100);
	}
	out[6] = out[7] = 0;
	if (s->naddr)
		memcpy(out + VRRP_HDR_LEN, s->addrs, alen * (size_t)s->naddr);
	if (s->version == 2) {
		uint8_t *auth = out + VRRP_HDR_LEN + alen * (size_t)s->naddr;

		/* RFC 3768 5.3.10: zero unless RFC 2338's simple password is in use */
		if (s->auth_type == VRRP_AUTH_PASS && s->auth)
			memcpy(auth, s->auth, VRRP_AUTH_LEN);
		else
			memset(auth, 0, VRRP_AUTH_LEN);
	} else if (s->af == AF_INET) {
		pseudo = vrrp_pseudo4(s->src, s->dst, len);
	} else {
		pseudo = vrrp_pseudo6(s->src, s->dst, len, VRRP_PROTO);
	}
	/* RFC 3768 5.3.8: v2 checksums the VRRP message alone */
	ck = vrrp_csum(out, len, pseudo);
	out[6] = (uint8_t)(ck >> 8);
	out[7] = (uint8_t)ck;
	return len;
}

size_t vrrp_pkt_build4(uint8_t *out, size_t cap, int vrid, int prio, unsigned adver_cs,
		       const uint8_t *addrs, int naddr, const uint8_t src[4], const uint8_t dst[4])
{
	struct vrrp_pkt_spec s = {
		.version = 3, .af = AF_INET, .vrid = vrid, .prio = prio, .naddr = naddr,
		.adver_cs = adver_cs, .addrs = addrs, .src = src, .dst = dst,
	};

	return vrrp_pkt_build(out, cap, &s);
}

/* Validate the VRRP part <v> of <vlen> bytes (RFC 3768 / 5798 7.1)
 * received from out->src to out->dst with out->ttl, of family <af>. For
 * v3 <pseudo> is the partial sum of the pseudo-header. */
static int parse_vrrp(const uint8_t *v, size_t vlen, int af, uint32_t pseudo, struct vrrp_advert *out)
{
	size_t alen = alen_of(af);
	int version;

	/* "MUST verify that the IP TTL/Hop Limit is 255" */
	if (out->ttl != VRRP_TTL)
		return VRRP_DROP_TTL;
	if (vlen < VRRP_HDR_LEN)
		return VRRP_DROP_TRUNCATED;
	/* "MUST verify the VRRP version": 3, or 2 for IPv4 (RFC 3768) */
	version = v[0] >> 4;
	if (version != 3 && (version != 2 || af != AF_INET))
		return VRRP_DROP_VERSION;
	out->version = version;
	/* type 1 (advertisement) is the only one defined */
	if ((v[0] & 0x0f) != VRRP_TYPE_ADVERT)
		return VRRP_DROP_TYPE;
	/* "MUST verify that the received packet contains the complete VRRP
	 * packet (including fixed fields, IP address(es), and Authentication
	 * Data)": exactly, the address count included. */
	if (vlen != vrrp_pkt_len(version, af, v[3]))
		return VRRP_DROP_LENGTH;
	/* "MUST verify the VRRP checksum" */
	if (vrrp_csum(v, vlen, version == 3 ? pseudo : 0) != 0)
		return VRRP_DROP_CHECKSUM;
	out->vrid = v[1];
	out->prio = v[2];
	out->naddr = v[3];
	out->addrs = v + VRRP_HDR_LEN;
	if (version == 3) {
		out->adver_cs = (unsigned)(v[4] & 0x0f) << 8 | v[5];   /* rsvd ignored */
	} else {
		out->auth_type = v[4];
		out->adver_cs = (unsigned)v[5] * 100;
		out->auth = v + VRRP_HDR_LEN + alen * v[3];
	}
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
	return parse_vrrp(pkt + ihl, len - ihl, AF_INET, vrrp_pseudo4(pkt + 12, pkt + 16, len - ihl), out);
}

int vrrp_pkt_parse6(const uint8_t *v, size_t len, const uint8_t src[16], const uint8_t dst[16],
		    int hoplimit, struct vrrp_advert *out)
{
	memset(out, 0, sizeof(*out));
	out->src.af = out->dst.af = AF_INET6;
	memcpy(out->src.a, src, 16);
	memcpy(out->dst.a, dst, 16);
	out->ttl = hoplimit;
	return parse_vrrp(v, len, AF_INET6, vrrp_pseudo6(src, dst, len, VRRP_PROTO), out);
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

/* RFC 4861 4.4 / 7.2.6: an unsolicited Neighbor Advertisement for <ip>,
 * from <ip> to all-nodes ff02::1, hop limit 255, Override set, Solicited
 * clear, with the Target Link-Layer Address option <mac>. IPv6 header
 * included (sent over a packet socket, like keepalived: the address may
 * still be tentative for the kernel's own sockets). */
void vrrp_na_build(uint8_t out[VRRP_NA_LEN], const uint8_t mac[6], const uint8_t ip[16], int router)
{
	static const uint8_t allnodes[16] = { 0xff, 0x02, [15] = 0x01 };
	uint8_t *icmp = out + 40;
	uint16_t ck;

	memset(out, 0, VRRP_NA_LEN);
	out[0] = 0x60;                       /* version 6 */
	out[5] = 32;                         /* payload: 24 + 8 */
	out[6] = 58;                         /* next header: ICMPv6 */
	out[7] = 255;                        /* hop limit */
	memcpy(out + 8, ip, 16);
	memcpy(out + 24, allnodes, 16);
	icmp[0] = 136;                       /* Neighbor Advertisement */
	icmp[4] = (uint8_t)((router ? 0x80 : 0) | 0x20);   /* R, O */
	memcpy(icmp + 8, ip, 16);            /* target */
	icmp[24] = 2;                        /* Target Link-Layer Address */
	icmp[25] = 1;                        /* length in units of 8 bytes */
	memcpy(icmp + 26, mac, 6);
	ck = vrrp_csum(icmp, 32, vrrp_pseudo6(ip, allnodes, 32, 58));
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;
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
		[VRRP_DROP_AUTH_TYPE] = "auth_type",
		[VRRP_DROP_AUTH] = "auth_password",
		[VRRP_DROP_ADVER_MISMATCH] = "interval_mismatch",
	};

	return reason >= 0 && reason < VRRP_DROP_NREASONS && names[reason] ? names[reason] : "?";
}
