/* The DNS answer parser (src/dns/dns_msg.c): what it extracts from valid
 * answers (A, AAAA, SRV with additional records, CNAME chains), and that
 * every malformed, truncated, oversized, looping or foreign message is
 * refused whole. Messages are built byte by byte below. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <tandem/dns.h>
#include "unit.h"

/* ---- a tiny message builder ------------------------------------------------ */

struct mb {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct mb *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void put16(struct mb *m, unsigned v) { put8(m, v >> 8); put8(m, v & 0xff); }
static void put32(struct mb *m, uint32_t v) { put16(m, v >> 16); put16(m, v & 0xffff); }

/* A name in wire form; "" is the root. Returns its offset. */
static size_t putname(struct mb *m, const char *name)
{
	size_t at = m->n;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (unsigned)l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	put8(m, 0);
	return at;
}

static void ptr(struct mb *m, size_t to) { put16(m, 0xc000 | (unsigned)to); }

static void header(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* header + question; returns the offset of the question's name */
static size_t answer_start(struct mb *m, unsigned id, unsigned rcode, const char *q, unsigned qtype,
			   unsigned an, unsigned ns, unsigned ar)
{
	size_t at;

	header(m, id, 0x8180 | rcode, 1, an, ns, ar);
	at = putname(m, q);
	put16(m, qtype);
	put16(m, 1);
	return at;
}

/* RR header with a compressed owner (pointer <owner>) */
static void rr(struct mb *m, size_t owner, unsigned type, unsigned rdlen)
{
	ptr(m, owner);
	put16(m, type);
	put16(m, 1);
	put32(m, 60);
	put16(m, rdlen);
}

static void rr_a(struct mb *m, size_t owner, const char *ip)
{
	uint8_t a[4];

	inet_pton(AF_INET, ip, a);
	rr(m, owner, DNS_T_A, 4);
	memcpy(m->b + m->n, a, 4);
	m->n += 4;
}

static void rr_aaaa(struct mb *m, size_t owner, const char *ip)
{
	uint8_t a[16];

	inet_pton(AF_INET6, ip, a);
	rr(m, owner, DNS_T_AAAA, 16);
	memcpy(m->b + m->n, a, 16);
	m->n += 16;
}

/* SRV with a plain (uncompressed) target; returns the target's offset */
static size_t rr_srv(struct mb *m, size_t owner, unsigned prio, unsigned w, unsigned port, const char *target)
{
	size_t at;

	rr(m, owner, DNS_T_SRV, (unsigned)(6 + (*target ? strlen(target) + 2 : 1)));
	put16(m, prio);
	put16(m, w);
	put16(m, port);
	at = m->n;
	putname(m, target);
	return at;
}

static int parse(const struct mb *m, int id, const char *q, int qtype, struct dns_msg *out)
{
	return dns_msg_parse(m->b, m->n, id, q, qtype, 65535, out);
}

static const char *ip(const struct dns_item *it, char *buf)
{
	inet_ntop(it->addr.af, it->addr.a, buf, 64);
	return buf;
}

/* ---- valid answers ---------------------------------------------------------- */

static void test_valid(void)
{
	struct mb m;
	struct dns_msg r;
	char b1[64], b2[64];
	size_t q, t1, t2;

	q = answer_start(&m, 0x1234, 0, "web.test", DNS_T_A, 2, 0, 0);
	rr_a(&m, q, "127.0.0.2");
	rr_a(&m, q, "127.0.0.3");
	CHECK("A: ok", parse(&m, 0x1234, "web.test", DNS_T_A, &r) == DNS_P_OK && r.nitems == 2 &&
	      r.items[0].type == DNS_T_A && !strcmp(ip(&r.items[0], b1), "127.0.0.2") &&
	      !strcmp(ip(&r.items[1], b2), "127.0.0.3") && r.id == 0x1234);
	dns_msg_free(&r);
	CHECK("A: any id when -1", parse(&m, -1, "web.test", DNS_T_A, &r) == DNS_P_OK);
	dns_msg_free(&r);
	CHECK("A: question without case, trailing dot", parse(&m, -1, "WEB.Test.", DNS_T_A, &r) == DNS_P_OK);
	dns_msg_free(&r);
	CHECK("A: another id", parse(&m, 0x1235, "web.test", DNS_T_A, &r) == DNS_P_MISMATCH);
	CHECK("A: another name", parse(&m, -1, "web2.test", DNS_T_A, &r) == DNS_P_MISMATCH);
	CHECK("A: another type", parse(&m, -1, "web.test", DNS_T_AAAA, &r) == DNS_P_MISMATCH);
	CHECK("A: too big for the limit", dns_msg_parse(m.b, m.n, -1, "web.test", DNS_T_A, m.n - 1, &r) == DNS_P_TOO_BIG);

	q = answer_start(&m, 1, 0, "web.test", DNS_T_AAAA, 1, 0, 0);
	rr_aaaa(&m, q, "fd00::1");
	CHECK("AAAA", parse(&m, 1, "web.test", DNS_T_AAAA, &r) == DNS_P_OK && r.nitems == 1 &&
	      r.items[0].addr.af == AF_INET6 && !strcmp(ip(&r.items[0], b1), "fd00::1"));
	dns_msg_free(&r);

	/* NODATA: NOERROR without records */
	answer_start(&m, 1, 0, "web.test", DNS_T_AAAA, 0, 0, 0);
	CHECK("NODATA: ok, nothing", parse(&m, 1, "web.test", DNS_T_AAAA, &r) == DNS_P_OK && r.nitems == 0);
	dns_msg_free(&r);

	/* records of another owner or type in the answer section are not ours */
	q = answer_start(&m, 1, 0, "web.test", DNS_T_A, 3, 0, 0);
	t1 = m.n;
	putname(&m, "other.test");
	put16(&m, DNS_T_A); put16(&m, 1); put32(&m, 1); put16(&m, 4); put32(&m, 0x01020304);
	rr_aaaa(&m, q, "::1");
	rr_a(&m, q, "10.0.0.1");
	CHECK("foreign owner and type skipped", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_OK && r.nitems == 1 &&
	      !strcmp(ip(&r.items[0], b1), "10.0.0.1"));
	dns_msg_free(&r);
	(void)t1;

	/* SRV: two records, one with an additional A record */
	q = answer_start(&m, 7, 0, "_http._tcp.web.test", DNS_T_SRV, 2, 0, 2);
	t1 = rr_srv(&m, q, 0, 10, 8080, "one.test");
	t2 = rr_srv(&m, q, 1, 700, 8081, "two.test");
	rr_a(&m, t1, "127.0.0.4");
	ptr(&m, 0);   /* placeholder replaced below: an OPT record needs a root owner */
	m.n -= 2;
	put8(&m, 0); put16(&m, DNS_T_OPT); put16(&m, 4096); put32(&m, 0); put16(&m, 0);
	CHECK("SRV: ok", parse(&m, 7, "_http._tcp.web.test", DNS_T_SRV, &r) == DNS_P_OK && r.nitems == 3);
	if (r.nitems == 3) {
		CHECK("SRV: first record", r.items[0].type == DNS_T_SRV && !strcmp(r.items[0].name, "one.test") &&
		      r.items[0].port == 8080 && r.items[0].weight == 10 && r.items[0].prio == 0);
		CHECK("SRV: second record", !strcmp(r.items[1].name, "two.test") && r.items[1].port == 8081 &&
		      r.items[1].weight == 700);
		CHECK("SRV: additional address of its target", r.items[2].type == DNS_T_A && r.items[2].additional &&
		      !strcmp(r.items[2].name, "one.test") && !strcmp(ip(&r.items[2], b1), "127.0.0.4"));
	}
	dns_msg_free(&r);
	(void)t2;
	CHECK("additional records serve SRV only", parse(&m, 7, "_http._tcp.web.test", DNS_T_A, &r) == DNS_P_MISMATCH);

	/* SRV target "." : no service */
	q = answer_start(&m, 7, 0, "_x._tcp.test", DNS_T_SRV, 1, 0, 0);
	rr_srv(&m, q, 0, 0, 80, "");
	CHECK("SRV target '.' skipped", parse(&m, 7, "_x._tcp.test", DNS_T_SRV, &r) == DNS_P_OK && r.nitems == 0);
	dns_msg_free(&r);

	/* a target with a byte outside host names is not used */
	q = answer_start(&m, 7, 0, "_x._tcp.test", DNS_T_SRV, 1, 0, 0);
	rr_srv(&m, q, 0, 0, 80, "we!rd.test");
	CHECK("SRV odd target skipped", parse(&m, 7, "_x._tcp.test", DNS_T_SRV, &r) == DNS_P_OK && r.nitems == 0);
	dns_msg_free(&r);
}

static void test_cname(void)
{
	struct mb m;
	struct dns_msg r;
	char b[64];
	size_t q, c1, c2;

	/* web.test CNAME a.test, a.test CNAME b.test, b.test A (listed first) */
	q = answer_start(&m, 1, 0, "web.test", DNS_T_A, 3, 0, 0);
	c2 = m.n;
	putname(&m, "b.test");
	put16(&m, DNS_T_A); put16(&m, 1); put32(&m, 1); put16(&m, 4); put32(&m, 0x0a000001);
	rr(&m, q, DNS_T_CNAME, 8);
	c1 = m.n;
	putname(&m, "a.test");
	ptr(&m, c1);
	put16(&m, DNS_T_CNAME); put16(&m, 1); put32(&m, 1); put16(&m, 2);
	ptr(&m, c2);
	CHECK("CNAME chain in any order", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_OK && r.nitems == 1 &&
	      r.cname && !r.cname_error && !strcmp(ip(&r.items[0], b), "10.0.0.1"));
	dns_msg_free(&r);

	/* a loop: web -> a -> web */
	q = answer_start(&m, 1, 0, "web.test", DNS_T_A, 2, 0, 0);
	rr(&m, q, DNS_T_CNAME, 8);
	c1 = m.n;
	putname(&m, "a.test");
	ptr(&m, c1);
	put16(&m, DNS_T_CNAME); put16(&m, 1); put32(&m, 1); put16(&m, 2);
	ptr(&m, q);
	CHECK("CNAME loop: no record, counted", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_OK && r.nitems == 0 &&
	      r.cname_error);
	dns_msg_free(&r);

	/* a chain of 10 hops: past 8, records are not followed */
	{
		char names[12][16];
		size_t off[12];

		q = answer_start(&m, 1, 0, "web.test", DNS_T_A, 11, 0, 0);
		off[0] = q;
		for (int i = 1; i <= 10; i++) {
			snprintf(names[i], sizeof(names[i]), "h%d.test", i);
			/* owner: previous name; target written in full */
			ptr(&m, off[i - 1]);
			put16(&m, DNS_T_CNAME); put16(&m, 1); put32(&m, 1); put16(&m, (unsigned)strlen(names[i]) + 2);
			off[i] = m.n;
			putname(&m, names[i]);
		}
		rr_a(&m, off[10], "10.9.9.9");
		CHECK("CNAME chain too long", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_OK && r.nitems == 0 &&
		      r.cname_error);
		dns_msg_free(&r);
	}
}

/* ---- errors and rejections ---------------------------------------------------- */

static void test_rcodes(void)
{
	struct mb m;
	struct dns_msg r;

	answer_start(&m, 1, 3, "web.test", DNS_T_A, 0, 0, 0);
	CHECK("NXDOMAIN", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_NX);
	answer_start(&m, 1, 5, "web.test", DNS_T_A, 0, 0, 0);
	CHECK("REFUSED", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_REFUSED);
	answer_start(&m, 1, 2, "web.test", DNS_T_A, 0, 0, 0);
	CHECK("SERVFAIL", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_OTHER);
	answer_start(&m, 1, 2, "other.test", DNS_T_A, 0, 0, 0);
	CHECK("SERVFAIL for another question: not ours", parse(&m, 1, "web.test", DNS_T_A, &r) == DNS_P_MISMATCH);
}

static void test_rejects(void)
{
	struct mb m;
	struct dns_msg r;
	size_t q;

	CHECK("empty", dns_msg_parse((const uint8_t *)"", 0, -1, "a.test", DNS_T_A, 512, &r) == DNS_P_INVALID);
	header(&m, 1, 0x8180, 1, 0, 0, 0);
	m.n = 11;
	CHECK("shorter than a header", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	q = answer_start(&m, 1, 0, "a.test", DNS_T_A, 1, 0, 0);
	rr_a(&m, q, "1.2.3.4");
	m.b[2] &= 0x7f;   /* QR = 0: a query, not an answer */
	CHECK("a query", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_MISMATCH);
	m.b[2] |= 0x80 | (2 << 3);   /* opcode STATUS */
	CHECK("another opcode", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_MISMATCH);
	m.b[2] &= 0x87;
	m.b[2] |= 0x02;   /* TC */
	CHECK("truncated", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_TRUNCATED);
	m.b[2] &= (uint8_t)~0x02;
	CHECK("(the same, whole, is fine)", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_OK);
	dns_msg_free(&r);
	m.b[5] = 2;       /* QDCOUNT 2 */
	CHECK("two questions", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_MISMATCH);
	m.b[5] = 1;
	m.b[7] = 2;       /* ANCOUNT 2, one present */
	CHECK("a record missing", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);
	m.b[7] = 1;
	m.n -= 1;         /* rdata cut */
	CHECK("rdata past the end", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* A with 5 bytes of rdata */
	q = answer_start(&m, 1, 0, "a.test", DNS_T_A, 1, 0, 0);
	rr(&m, q, DNS_T_A, 5);
	put32(&m, 0x01020304);
	put8(&m, 0);
	CHECK("A of 5 bytes", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* class CH: walked over, not used */
	q = answer_start(&m, 1, 0, "a.test", DNS_T_A, 1, 0, 0);
	ptr(&m, q); put16(&m, DNS_T_A); put16(&m, 3); put32(&m, 1); put16(&m, 4); put32(&m, 0x01020304);
	CHECK("another class", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_OK && r.nitems == 0);
	dns_msg_free(&r);

	/* SRV whose target name runs past its rdata */
	q = answer_start(&m, 1, 0, "_a._tcp.t", DNS_T_SRV, 1, 0, 0);
	rr(&m, q, DNS_T_SRV, 8);
	put16(&m, 0); put16(&m, 0); put16(&m, 80);
	putname(&m, "longer.test");
	CHECK("SRV target past its rdata", parse(&m, 1, "_a._tcp.t", DNS_T_SRV, &r) == DNS_P_INVALID);
}

static void test_names(void)
{
	struct mb m;
	struct dns_msg r;
	size_t at;

	/* a pointer to itself */
	answer_start(&m, 1, 0, "a.test", DNS_T_A, 1, 0, 0);
	at = m.n;
	ptr(&m, at);
	put16(&m, DNS_T_A); put16(&m, 1); put32(&m, 1); put16(&m, 4); put32(&m, 1);
	CHECK("pointer to itself", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* forward pointer (to a later name) */
	answer_start(&m, 1, 0, "a.test", DNS_T_A, 1, 0, 0);
	ptr(&m, m.n + 16);
	put16(&m, DNS_T_A); put16(&m, 1); put32(&m, 1); put16(&m, 4); put32(&m, 1);
	putname(&m, "a.test");
	CHECK("forward pointer", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* two names pointing at each other: x -> label + pointer to y, y -> label + pointer to x */
	answer_start(&m, 1, 0, "a.test", DNS_T_A, 1, 0, 0);
	at = m.n;
	put8(&m, 1); put8(&m, 'x'); ptr(&m, at + 4);   /* x: "x" then -> y */
	put8(&m, 1); put8(&m, 'y'); ptr(&m, at);       /* y: "y" then -> x */
	put16(&m, DNS_T_A); put16(&m, 1); put32(&m, 1); put16(&m, 4); put32(&m, 1);
	CHECK("compression loop", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* the question itself compressed onto the header: pointer into bytes 0..11 */
	header(&m, 1, 0x8180, 1, 0, 0, 0);
	ptr(&m, 4);
	put16(&m, DNS_T_A); put16(&m, 1);
	CHECK("question pointing into the header", parse(&m, 1, "a.test", DNS_T_A, &r) != DNS_P_OK);

	/* a label of 64 bytes (0x40: an extended label type) */
	header(&m, 1, 0x8180, 1, 0, 0, 0);
	put8(&m, 64);
	for (int i = 0; i < 64; i++)
		put8(&m, 'a');
	put8(&m, 0); put16(&m, DNS_T_A); put16(&m, 1);
	CHECK("label of 64", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* a name of more than 255 bytes */
	header(&m, 1, 0x8180, 1, 0, 0, 0);
	for (int l = 0; l < 5; l++) {
		put8(&m, 60);
		for (int i = 0; i < 60; i++)
			put8(&m, 'a');
	}
	put8(&m, 0); put16(&m, DNS_T_A); put16(&m, 1);
	CHECK("name over 255 bytes", parse(&m, 1, "a.test", DNS_T_A, &r) == DNS_P_INVALID);

	/* names in text form */
	CHECK("name valid", dns_name_valid("web.test") == 0 && dns_name_valid("_http._tcp.web.test.") == 0 &&
	      dns_name_valid("a-b_c.D9") == 0);
	CHECK("name invalid", dns_name_valid("") < 0 && dns_name_valid(".") < 0 && dns_name_valid("a..b") < 0 &&
	      dns_name_valid(".a") < 0 && dns_name_valid("a b") < 0 && dns_name_valid("a/b") < 0 &&
	      dns_name_valid("a.b..") < 0);
	{
		char lab[80], big[300];

		memset(lab, 'a', 63);
		lab[63] = 0;
		CHECK("label of 63 valid", dns_name_valid(lab) == 0);
		lab[63] = 'a';
		lab[64] = 0;
		CHECK("label of 64 invalid", dns_name_valid(lab) < 0);
		for (int i = 0; i < 254; i++)
			big[i] = (i % 10 == 9) ? '.' : 'b';
		big[254] = 0;
		CHECK("name of 254 invalid", dns_name_valid(big) < 0);
	}
}

static void test_query(void)
{
	uint8_t b[300];
	struct mb m;
	struct dns_msg r;
	int n = dns_msg_query(b, sizeof(b), 0xbeef, "Web.Test.", DNS_T_SRV, 1);

	CHECK("query built", n == 12 + 10 + 4 && b[0] == 0xbe && b[1] == 0xef && b[2] == 1 && b[5] == 1 &&
	      b[12] == 3 && !memcmp(b + 13, "web", 3) && b[n - 3] == DNS_T_SRV);
	/* its question comes back in an answer */
	memcpy(m.b, b, (size_t)n);
	m.n = (size_t)n;
	m.b[2] |= 0x80;
	CHECK("the query's question matches", parse(&m, 0xbeef, "web.test", DNS_T_SRV, &r) == DNS_P_OK);
	dns_msg_free(&r);
	CHECK("query: bad name", dns_msg_query(b, sizeof(b), 1, "a..b", DNS_T_A, 1) < 0);
	CHECK("query: no room", dns_msg_query(b, 20, 1, "web.test", DNS_T_A, 1) < 0);
}

int main(void)
{
	test_valid();
	test_cname();
	test_rcodes();
	test_rejects();
	test_names();
	test_query();
	UNIT_END();
}
