/* DNS messages: reading an answer (RFC 1035 section 4, RFC 2782 for SRV,
 * RFC 3596 for AAAA) and building a query. Pure functions over bytes, no
 * allocation but the item array, fuzzed by tests/fuzz/fuzz_dns.c.
 *
 * An answer is trusted only whole: every record of every section must lie
 * inside the message, every name must decode (labels of at most 63 bytes,
 * 255 bytes in all, compression pointers that only ever point backwards,
 * so no loop is possible), and the question must be the one asked. Any
 * failure rejects the message, never a part of it. Records the resolver
 * has no use for (NS, OPT, other classes and types) are only walked over.
 * A name with bytes outside letters, digits, '-' and '_' is decoded but
 * its record is not used: such a name cannot be one of our servers. */
#include <string.h>
#include <stdlib.h>
#include <tandem/dns.h>

#define HDR_LEN     12
#define MAX_JUMPS   64
#define MAX_CHAIN   8          /* CNAME hops followed from the question's name */

static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Decode the name at <pos> into <out> (text, lower case, no final dot; the
 * root is ""). *next: where the bytes after the name start (past its first
 * pointer if it has one). Returns 0, 1 when decoded but not usable (a byte
 * outside the host name set, shown as '?'), -1 when malformed. */
static int read_name(const uint8_t *buf, size_t len, size_t pos, char out[DNS_NAME_BUF], size_t *next)
{
	size_t p = pos, limit = pos, o = 0, wire = 1;
	int jumps = 0, odd = 0, jumped = 0;

	for (;;) {
		unsigned c;

		if (p >= len)
			return -1;
		c = buf[p];
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (p + 1 >= len)
				return -1;
			t = (size_t)(c & 0x3f) << 8 | buf[p + 1];
			if (!jumped)
				*next = p + 2;
			jumped = 1;
			/* strictly backwards from where this part of the name
			 * started: every jump shortens the way, so none loops */
			if (t >= limit || ++jumps > MAX_JUMPS)
				return -1;
			p = limit = t;
			continue;
		}
		if (c & 0xc0)
			return -1;       /* extended and reserved label types */
		if (!c) {
			if (!jumped)
				*next = p + 1;
			break;
		}
		if (p + 1 + c > len)
			return -1;
		wire += c + 1;
		if (wire > 255)
			return -1;
		if (o)
			out[o++] = '.';
		for (unsigned i = 0; i < c; i++) {
			unsigned char ch = buf[p + 1 + i];

			if (ch >= 'A' && ch <= 'Z')
				ch = (unsigned char)(ch - 'A' + 'a');
			if (!name_char(ch)) {
				odd = 1;
				ch = '?';
			}
			out[o++] = (char)ch;
		}
		p += 1 + c;
	}
	out[o] = 0;
	return odd;
}

/* ---- names in text form --------------------------------------------------- */

int dns_name_valid(const char *name)
{
	size_t n = strlen(name), lab = 0;

	if (n && name[n - 1] == '.')
		n--;           /* one final dot: an absolute name */
	if (!n || n > DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (!lab)
				return -1;   /* empty label */
			lab = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!name_char(c) || ++lab > 63)
			return -1;
	}
	return lab ? 0 : -1;
}

void dns_name_norm(const char *in, char out[DNS_NAME_BUF])
{
	size_t n = 0;

	for (; in[n] && n < DNS_NAME_BUF - 1; n++)
		out[n] = (in[n] >= 'A' && in[n] <= 'Z') ? (char)(in[n] - 'A' + 'a') : in[n];
	if (n && out[n - 1] == '.')
		n--;
	out[n] = 0;
}

int dns_msg_query(uint8_t *buf, size_t len, int id, const char *qname, int qtype, int rd)
{
	char norm[DNS_NAME_BUF];
	size_t o = HDR_LEN;
	const char *p;

	dns_name_norm(qname, norm);
	if (len < HDR_LEN + strlen(norm) + 2 + 4 || (*norm && dns_name_valid(norm) < 0))
		return -1;
	memset(buf, 0, HDR_LEN);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = rd ? 0x01 : 0;
	buf[5] = 1;                 /* QDCOUNT */
	for (p = norm; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		buf[o++] = (uint8_t)l;
		memcpy(buf + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	buf[o++] = 0;
	buf[o++] = (uint8_t)(qtype >> 8);
	buf[o++] = (uint8_t)qtype;
	buf[o++] = 0;
	buf[o++] = 1;               /* class IN */
	return (int)o;
}

/* ---- answers ------------------------------------------------------------- */

void dns_msg_free(struct dns_msg *m)
{
	free(m->items);
	m->items = NULL;
	m->nitems = 0;
}

struct rr {
	char     owner[DNS_NAME_BUF];
	int      owner_odd;
	unsigned type, class;
	uint32_t ttl;
	size_t   rdata, rdlen;
};

/* Read the resource record at *pos (bounds only; rdata is checked by the
 * caller for the types it uses). 0, or -1 when malformed. */
static int read_rr(const uint8_t *buf, size_t len, size_t *pos, struct rr *r)
{
	size_t p;

	if ((r->owner_odd = read_name(buf, len, *pos, r->owner, &p)) < 0)
		return -1;
	if (p + 10 > len)
		return -1;
	r->type = rd16(buf + p);
	r->class = rd16(buf + p + 2);
	r->ttl = rd32(buf + p + 4);
	r->rdlen = rd16(buf + p + 8);
	r->rdata = p + 10;
	if (r->rdata + r->rdlen > len)
		return -1;
	*pos = r->rdata + r->rdlen;
	return 0;
}

/* A name inside rdata that must end exactly where the rdata ends. 0, 1
 * (not usable), -1 malformed. */
static int rdata_name(const uint8_t *buf, size_t len, size_t at, size_t end, char out[DNS_NAME_BUF])
{
	size_t next = 0;
	int r = read_name(buf, len, at, out, &next);

	if (r < 0 || next != end)
		return -1;
	return r;
}

static struct dns_item *add_item(struct dns_msg *m, int type)
{
	struct dns_item *it;

	if (m->nitems >= DNS_MAX_ITEMS)
		return NULL;   /* more than any slot table can use: the rest is ignored */
	if (!m->items && !(m->items = calloc(DNS_MAX_ITEMS, sizeof(*m->items))))
		return NULL;
	it = &m->items[m->nitems++];
	memset(it, 0, sizeof(*it));
	it->type = type;
	return it;
}

int dns_msg_parse(const uint8_t *buf, size_t len, int id, const char *qname, int qtype,
		  size_t maxlen, struct dns_msg *m)
{
	char want[DNS_NAME_BUF], qn[DNS_NAME_BUF], chain[MAX_CHAIN + 1][DNS_NAME_BUF];
	unsigned flags, qd, an, ns, ar, total;
	size_t pos, after_q;
	int nchain = 1, res;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	if (len > maxlen)
		return DNS_P_TOO_BIG;
	if (len < HDR_LEN)
		return DNS_P_INVALID;
	m->id = (int)rd16(buf);
	flags = rd16(buf + 2);
	m->rcode = (int)(flags & 0x0f);
	qd = rd16(buf + 4);
	an = rd16(buf + 6);
	ns = rd16(buf + 8);
	ar = rd16(buf + 10);
	/* an answer (QR), to a standard query, with our id and our question */
	if (!(flags & 0x8000) || ((flags >> 11) & 0x0f) != 0 || (id >= 0 && m->id != id) || qd != 1)
		return DNS_P_MISMATCH;
	dns_name_norm(qname, want);
	if (read_name(buf, len, HDR_LEN, qn, &pos) != 0 || pos + 4 > len)
		return DNS_P_INVALID;
	if (strcmp(qn, want) || rd16(buf + pos) != (unsigned)qtype || rd16(buf + pos + 2) != 1)
		return DNS_P_MISMATCH;
	after_q = pos + 4;
	if (flags & 0x0200)
		return DNS_P_TRUNCATED;

	/* the whole message must hold before anything in it is used */
	total = an + ns + ar;
	pos = after_q;
	for (unsigned i = 0; i < total; i++) {
		struct rr r;

		if (read_rr(buf, len, &pos, &r) < 0)
			return DNS_P_INVALID;
		if (r.type == DNS_T_CNAME && i < an && r.class == 1) {
			char target[DNS_NAME_BUF];

			if (rdata_name(buf, len, r.rdata, r.rdata + r.rdlen, target) < 0)
				return DNS_P_INVALID;
		}
	}
	/* the CNAME chain from the question's name, whatever the order of
	 * its records: one more walk per hop found */
	strcpy(chain[0], want);
	for (int grown = 1; grown;) {
		grown = 0;
		pos = after_q;
		for (unsigned i = 0; i < an; i++) {
			char target[DNS_NAME_BUF];
			struct rr r;
			int t;

			read_rr(buf, len, &pos, &r);   /* cannot fail: checked above */
			if (r.type != DNS_T_CNAME || r.class != 1 || r.owner_odd || strcmp(r.owner, chain[nchain - 1]))
				continue;
			if ((t = rdata_name(buf, len, r.rdata, r.rdata + r.rdlen, target)) != 0)
				continue;
			for (int k = 0; k < nchain; k++)
				if (!strcmp(chain[k], target))
					t = 1;           /* a loop */
			if (t || nchain > MAX_CHAIN) {
				m->cname_error = 1;
				break;
			}
			strcpy(chain[nchain++], target);
			m->cname = 1;
			grown = 1;
			break;
		}
	}

	if (m->rcode == 3)
		return DNS_P_NX;
	if (m->rcode == 5)
		return DNS_P_REFUSED;
	if (m->rcode)
		return DNS_P_OTHER;

	pos = after_q;
	for (unsigned i = 0; i < total; i++) {
		struct dns_item *it = NULL;
		struct rr r;
		int in_chain = 0;

		read_rr(buf, len, &pos, &r);   /* cannot fail: checked above */
		if (r.class != 1 || r.owner_odd)
			continue;
		if (i < an) {
			for (int k = 0; k < nchain && !in_chain; k++)
				in_chain = !strcmp(r.owner, chain[k]);
			if (!in_chain || (unsigned)qtype != r.type)
				continue;
		} else if (i < an + ns || qtype != DNS_T_SRV || (r.type != DNS_T_A && r.type != DNS_T_AAAA)) {
			continue;     /* authority; additional records serve SRV targets only */
		}
		switch (r.type) {
		case DNS_T_A:
			if (r.rdlen != 4)
				return DNS_P_INVALID;
			if (!(it = add_item(m, DNS_T_A)))
				break;
			it->addr.af = AF_INET;
			memcpy(it->addr.a, buf + r.rdata, 4);
			break;
		case DNS_T_AAAA:
			if (r.rdlen != 16)
				return DNS_P_INVALID;
			if (!(it = add_item(m, DNS_T_AAAA)))
				break;
			it->addr.af = AF_INET6;
			memcpy(it->addr.a, buf + r.rdata, 16);
			break;
		case DNS_T_SRV: {
			char target[DNS_NAME_BUF];

			if (r.rdlen < 7)
				return DNS_P_INVALID;
			res = rdata_name(buf, len, r.rdata + 6, r.rdata + r.rdlen, target);
			if (res < 0)
				return DNS_P_INVALID;
			if (res || !*target)
				break;        /* "." means "no service here" (RFC 2782); odd bytes: not ours */
			if (!(it = add_item(m, DNS_T_SRV)))
				break;
			it->prio = (uint16_t)rd16(buf + r.rdata);
			it->weight = (uint16_t)rd16(buf + r.rdata + 2);
			it->port = (uint16_t)rd16(buf + r.rdata + 4);
			strcpy(it->name, target);
			break;
		}
		default:
			continue;
		}
		if (it) {
			it->ttl = r.ttl;
			if (i >= an + ns) {
				it->additional = 1;
				strcpy(it->name, r.owner);
			}
		}
	}
	return DNS_P_OK;
}
