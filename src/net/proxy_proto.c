/* The PROXY protocol, versions 1 and 2 (the specification HAProxy
 * publishes as doc/proxy-protocol.txt): parser and builders, pure.
 *
 * v1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n",
 *     at most 107 bytes;
 * v2: a 12-byte signature, version 2 with a command (LOCAL or PROXY), a
 *     family, a 16-bit length, the addresses, then TLVs. HAProxy keeps the
 *     AUTHORITY and UNIQUE_ID TLVs and checks a CRC32C TLV; so does this. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <tandem/conn_err.h>
#include <tandem/proxy_proto.h>

/* ---- CRC32C ---- */

uint32_t pp_crc32c(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

int pp_co_err(int err)
{
	switch (err) {
	case PP_ERR_NOT_HDR:   return CO_ER_PRX_NOT_HDR;
	case PP_ERR_BAD_HDR:   return CO_ER_PRX_BAD_HDR;
	case PP_ERR_BAD_PROTO: return CO_ER_PRX_BAD_PROTO;
	case PP_ERR_EMPTY:     return CO_ER_PRX_EMPTY;
	case PP_ERR_TRUNCATED: return CO_ER_PRX_TRUNCATED;
	case PP_ERR_TIMEOUT:   return CO_ER_PRX_TIMEOUT;
	default:               return CO_ER_PRX_ABORT;   /* PP_ERR_ABORT: a connection error */
	}
}

const char *pp_strerror(int err)
{
	return conn_err_str(pp_co_err(err));
}

/* ---- v1 ---- */

/* A decimal port: 1 to 5 digits, at most 65535. */
static int v1_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;

	if (!n || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = htons((uint16_t)v);
	return 0;
}

static int v1_addr(int fam, const char *s, size_t n, void *dst)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (!n || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	return inet_pton(fam, tmp, dst) == 1 ? 0 : -1;
}

static int parse_v1(const char *b, size_t len, struct pp_info *o)
{
	const char *start = b, *end, *f[5];
	size_t fl[5], lim = len < PP_V1_MAX ? len : PP_V1_MAX;
	const char *crlf = NULL;
	int nf = 0, fam;

	for (size_t i = 6; i + 1 < lim; i++)
		if (b[i] == '\r') {
			if (b[i + 1] != '\n')
				return PP_ERR_BAD_HDR;
			crlf = b + i;
			break;
		} else if (b[i] == '\n' || !b[i]) {
			return PP_ERR_BAD_HDR;
		}
	if (!crlf)
		return len >= PP_V1_MAX ? PP_ERR_BAD_HDR : 0;
	end = crlf;
	b += 6;   /* past "PROXY " */
	if ((size_t)(end - b) >= 7 && !memcmp(b, "UNKNOWN", 7) && (end - b == 7 || b[7] == ' ')) {
		o->version = 1;
		o->local = 1;
		return (int)(end + 2 - start);
	}
	if ((size_t)(end - b) < 5 || (memcmp(b, "TCP4 ", 5) && memcmp(b, "TCP6 ", 5)))
		return PP_ERR_BAD_PROTO;
	fam = b[3] == '4' ? AF_INET : AF_INET6;
	b += 5;
	/* SRC DST SPORT DPORT, one space between each */
	while (nf < 5 && b < end) {
		const char *sp = memchr(b, ' ', (size_t)(end - b));

		f[nf] = b;
		fl[nf] = sp ? (size_t)(sp - b) : (size_t)(end - b);
		nf++;
		b = sp ? sp + 1 : end;
	}
	if (nf != 4 || b != end)
		return PP_ERR_BAD_HDR;
	memset(&o->src, 0, sizeof(o->src));
	memset(&o->dst, 0, sizeof(o->dst));
	if (fam == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&o->src, *d4 = (struct sockaddr_in *)&o->dst;

		s4->sin_family = d4->sin_family = AF_INET;
		if (v1_addr(AF_INET, f[0], fl[0], &s4->sin_addr) < 0 || v1_addr(AF_INET, f[1], fl[1], &d4->sin_addr) < 0 ||
		    v1_port(f[2], fl[2], &s4->sin_port) < 0 || v1_port(f[3], fl[3], &d4->sin_port) < 0)
			return PP_ERR_BAD_HDR;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&o->src, *d6 = (struct sockaddr_in6 *)&o->dst;

		s6->sin6_family = d6->sin6_family = AF_INET6;
		if (v1_addr(AF_INET6, f[0], fl[0], &s6->sin6_addr) < 0 || v1_addr(AF_INET6, f[1], fl[1], &d6->sin6_addr) < 0 ||
		    v1_port(f[2], fl[2], &s6->sin6_port) < 0 || v1_port(f[3], fl[3], &d6->sin6_port) < 0)
			return PP_ERR_BAD_HDR;
	}
	o->version = 1;
	o->local = 0;
	return (int)(crlf + 2 - start);
}

/* ---- v2 ---- */

static int parse_v2(const unsigned char *b, size_t len, struct pp_info *o)
{
	size_t total, off;
	int cmd = b[12] & 0x0f, fam = b[13];

	if ((b[12] & 0xf0) != 0x20)
		return PP_ERR_NOT_HDR;
	total = PP2_HDR_LEN + ((size_t)b[14] << 8 | b[15]);
	if (len < total)
		return 0;
	o->version = 2;
	o->local = 1;
	if (cmd == 0x00)          /* LOCAL: the connection's own addresses */
		return (int)total;
	if (cmd != 0x01)
		return PP_ERR_BAD_HDR;
	memset(&o->src, 0, sizeof(o->src));
	memset(&o->dst, 0, sizeof(o->dst));
	if (fam == 0x11) {        /* TCP over IPv4 */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&o->src, *d4 = (struct sockaddr_in *)&o->dst;

		if (total < PP2_HDR_LEN + 12)
			return PP_ERR_BAD_HDR;
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, b + 16, 4);
		memcpy(&d4->sin_addr, b + 20, 4);
		memcpy(&s4->sin_port, b + 24, 2);
		memcpy(&d4->sin_port, b + 26, 2);
		off = PP2_HDR_LEN + 12;
	} else if (fam == 0x21) { /* TCP over IPv6 */
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&o->src, *d6 = (struct sockaddr_in6 *)&o->dst;

		if (total < PP2_HDR_LEN + 36)
			return PP_ERR_BAD_HDR;
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b + 16, 16);
		memcpy(&d6->sin6_addr, b + 32, 16);
		memcpy(&s6->sin6_port, b + 48, 2);
		memcpy(&d6->sin6_port, b + 50, 2);
		off = PP2_HDR_LEN + 36;
	} else {
		/* another family (UDP, UNIX, unspecified): HAProxy keeps the
		 * connection's addresses and reads no TLV */
		return (int)total;
	}
	o->local = 0;
	while (off < total) {
		size_t tl;
		int type;

		if (off + 3 > total)
			return PP_ERR_BAD_HDR;
		type = b[off];
		tl = (size_t)b[off + 1] << 8 | b[off + 2];
		off += 3;
		if (off + tl > total)
			return PP_ERR_BAD_HDR;
		switch (type) {
		case PP2_TYPE_CRC32C: {
			static const unsigned char zero[4];
			uint32_t want, got;

			if (tl != 4)
				return PP_ERR_BAD_HDR;
			want = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];
			got = pp_crc32c(0, b, off);        /* the header with the CRC field as zeroes */
			got = pp_crc32c(got, zero, 4);
			got = pp_crc32c(got, b + off + 4, total - off - 4);
			if (got != want)
				return PP_ERR_BAD_HDR;
			break;
		}
		case PP2_TYPE_AUTHORITY:
			if (tl > PP_AUTHORITY_MAX)
				return PP_ERR_BAD_HDR;
			memcpy(o->authority, b + off, tl);
			o->authority[tl] = 0;
			o->authority_len = (int)tl;
			break;
		case PP2_TYPE_UNIQUE_ID:
			if (tl > PP_UNIQUE_ID_MAX)
				return PP_ERR_BAD_HDR;
			memcpy(o->unique_id, b + off, tl);
			o->unique_id[tl] = 0;
			o->unique_id_len = (int)tl;
			break;
		default:
			break;
		}
		off += tl;
	}
	return (int)total;
}

int pp_parse(const void *buf, size_t len, struct pp_info *out)
{
	const unsigned char *b = buf;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->authority_len = out->unique_id_len = -1;
	/* a prefix of either signature may still become a header */
	n = len < 6 ? len : 6;
	if (!memcmp(b, "PROXY ", n)) {
		if (len < 6)
			return 0;
		return parse_v1(buf, len, out);
	}
	n = len < PP2_SIG_LEN ? len : PP2_SIG_LEN;
	if (memcmp(b, PP2_SIG, n))
		return PP_ERR_NOT_HDR;
	if (len < PP2_HDR_LEN)
		return 0;
	return parse_v2(b, len, out);
}

/* ---- builders ---- */

static int is_ip(const struct sockaddr_storage *a)
{
	return a && (a->ss_family == AF_INET || a->ss_family == AF_INET6);
}

/* An IPv4 address as IPv4-mapped IPv6, or the IPv6 one, and its port. */
static void as_v6(const struct sockaddr_storage *a, unsigned char ip[16], uint16_t *port)
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;

		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &s4->sin_addr, 4);
		*port = s4->sin_port;
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;

		memcpy(ip, &s6->sin6_addr, 16);
		*port = s6->sin6_port;
	}
}

size_t pp_build_v1(char *out, size_t cap, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	uint16_t sp, dp;
	int n;

	if (!is_ip(src) || !is_ip(dst)) {
		n = snprintf(out, cap, "PROXY UNKNOWN\r\n");
		return n > 0 && (size_t)n < cap ? (size_t)n : 0;
	}
	if (src->ss_family == AF_INET && dst->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src, *d4 = (const struct sockaddr_in *)dst;

		inet_ntop(AF_INET, &s4->sin_addr, s, sizeof(s));
		inet_ntop(AF_INET, &d4->sin_addr, d, sizeof(d));
		n = snprintf(out, cap, "PROXY TCP4 %s %s %u %u\r\n", s, d, ntohs(s4->sin_port), ntohs(d4->sin_port));
	} else {   /* either is IPv6: both as IPv6 (v4-mapped), as HAProxy */
		unsigned char a[16], b[16];

		as_v6(src, a, &sp);
		as_v6(dst, b, &dp);
		inet_ntop(AF_INET6, a, s, sizeof(s));
		inet_ntop(AF_INET6, b, d, sizeof(d));
		n = snprintf(out, cap, "PROXY TCP6 %s %s %u %u\r\n", s, d, ntohs(sp), ntohs(dp));
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t tlv(char *out, size_t cap, size_t off, int type, const void *v, size_t len)
{
	if (len > 0xffff || off + 3 + len > cap)
		return 0;
	out[off] = (char)type;
	out[off + 1] = (char)(len >> 8);
	out[off + 2] = (char)len;
	if (len)
		memcpy(out + off + 3, v, len);
	return 3 + len;
}

size_t pp_build_v2(char *out, size_t cap, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst, const struct pp2_opts *o)
{
	size_t n, crc_at = 0, t;

	if (cap < PP2_HDR_LEN + 36)
		return 0;
	memcpy(out, PP2_SIG, PP2_SIG_LEN);
	if (o->local || !is_ip(src) || !is_ip(dst)) {
		out[12] = 0x20;        /* version 2, LOCAL */
		out[13] = 0x00;        /* unspecified */
		n = PP2_HDR_LEN;
	} else if (src->ss_family == AF_INET && dst->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src, *d4 = (const struct sockaddr_in *)dst;

		out[12] = 0x21;        /* version 2, PROXY */
		out[13] = 0x11;        /* TCP over IPv4 */
		memcpy(out + 16, &s4->sin_addr, 4);
		memcpy(out + 20, &d4->sin_addr, 4);
		memcpy(out + 24, &s4->sin_port, 2);
		memcpy(out + 26, &d4->sin_port, 2);
		n = PP2_HDR_LEN + 12;
	} else {
		unsigned char a[16], b[16];
		uint16_t sp, dp;

		out[12] = 0x21;
		out[13] = 0x21;        /* TCP over IPv6 */
		as_v6(src, a, &sp);
		as_v6(dst, b, &dp);
		memcpy(out + 16, a, 16);
		memcpy(out + 32, b, 16);
		memcpy(out + 48, &sp, 2);
		memcpy(out + 50, &dp, 2);
		n = PP2_HDR_LEN + 36;
	}
	if (o->crc32c) {
		static const char zero[4];

		crc_at = n + 3;
		if (!(t = tlv(out, cap, n, PP2_TYPE_CRC32C, zero, 4)))
			return 0;
		n += t;
	}
	if (o->authority) {
		if (!(t = tlv(out, cap, n, PP2_TYPE_AUTHORITY, o->authority, (size_t)o->authority_len)))
			return 0;
		n += t;
	}
	if (o->unique_id) {
		if (!(t = tlv(out, cap, n, PP2_TYPE_UNIQUE_ID, o->uid, o->uid ? (size_t)o->uid_len : 0)))
			return 0;
		n += t;
	}
	out[14] = (char)((n - PP2_HDR_LEN) >> 8);
	out[15] = (char)(n - PP2_HDR_LEN);
	if (crc_at) {
		uint32_t c = pp_crc32c(0, out, n);

		out[crc_at] = (char)(c >> 24);
		out[crc_at + 1] = (char)(c >> 16);
		out[crc_at + 2] = (char)(c >> 8);
		out[crc_at + 3] = (char)c;
	}
	return n;
}
