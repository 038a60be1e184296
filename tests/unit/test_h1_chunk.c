/* Unit tests for src/http/h1_chunk.c: valid and invalid chunked bodies,
 * each fed whole, byte by byte, at every prefix and in random splits,
 * which must all agree; limits; behaviour after the end and after errors. */
#include <stdint.h>
#include <stdlib.h>
#include <tandem/h1.h>
#include "unit.h"

struct result {
	ssize_t  used;     /* bytes consumed, or -1 */
	int      done;
	uint64_t data;     /* payload bytes */
};

/* Feed <len> bytes in pieces of 1..maxpiece bytes drawn from <seed>
 * (maxpiece 0 = all at once). */
static struct result feed_split(const char *p, size_t len, unsigned seed, size_t maxpiece)
{
	struct h1_chunk c;
	struct result r = { 0, 0, 0 };
	size_t off = 0;

	h1_chunk_init(&c);
	while (off < len && !c.done) {
		size_t n = len - off;
		if (maxpiece) {
			seed = seed * 1103515245u + 12345u;
			size_t want = 1 + (seed >> 16) % maxpiece;
			if (want < n)
				n = want;
		}
		ssize_t k = h1_chunk_feed(&c, p + off, n);
		if (k < 0) {
			r.used = -1;
			return r;
		}
		if ((size_t)k != n && !c.done) {
			r.used = -2;       /* must consume all unless finished */
			return r;
		}
		off += (size_t)k;
	}
	r.used = (ssize_t)off;
	r.done = c.done;
	r.data = c.data_total;
	return r;
}

static int same(struct result a, struct result b)
{
	return a.used == b.used && a.done == b.done && (a.used < 0 || a.data == b.data);
}

/* A complete valid body: whole, byte by byte, random splits, every prefix
 * (incomplete, all consumed) and with bytes appended (not consumed). */
static void valid(const char *name, const char *body, size_t len, uint64_t data)
{
	struct result w = feed_split(body, len, 0, 0);
	int ok = 1;

	CHECKF(w.used == (ssize_t)len && w.done && w.data == data,
	       "%s: whole (used=%zd done=%d data=%llu)", name, w.used, w.done,
	       (unsigned long long)w.data);
	CHECKF(same(w, feed_split(body, len, 0, 1)), "%s: byte by byte", name);
	for (unsigned seed = 1; seed <= 50; seed++)
		ok &= same(w, feed_split(body, len, seed, 1 + seed % 9));
	CHECKF(ok, "%s: random splits agree", name);
	ok = 1;
	for (size_t k = 0; k < len; k++) {
		struct result p = feed_split(body, k, 0, 0);
		ok &= p.used == (ssize_t)k && !p.done;
	}
	CHECKF(ok, "%s: every prefix consumed, not done", name);

	char *more = malloc(len + 32);
	memcpy(more, body, len);
	memcpy(more + len, "GET / HTTP/1.1\r\n", 16);
	struct result m = feed_split(more, len + 16, 0, 0);
	CHECKF(m.used == (ssize_t)len && m.done, "%s: stops at end of body", name);
	m = feed_split(more, len + 16, 7, 3);
	CHECKF(m.used == (ssize_t)len && m.done, "%s: stops at end of body (split)", name);
	free(more);
}

/* An invalid body: refused whole, byte by byte and in random splits. */
static void invalid(const char *name, const char *body, size_t len)
{
	int ok = 1;

	CHECKF(feed_split(body, len, 0, 0).used == -1, "%s: refused whole", name);
	CHECKF(feed_split(body, len, 0, 1).used == -1, "%s: refused byte by byte", name);
	for (unsigned seed = 1; seed <= 20; seed++)
		ok &= feed_split(body, len, seed, 1 + seed % 7).used == -1;
	CHECKF(ok, "%s: refused in random splits", name);
}

#define VALID(name, lit, data) valid(name, lit, sizeof(lit) - 1, data)
#define INVALID(name, lit) invalid(name, lit, sizeof(lit) - 1)

static void test_valid(void)
{
	VALID("last chunk only", "0\r\n\r\n", 0);
	VALID("one chunk", "5\r\nhello\r\n0\r\n\r\n", 5);
	VALID("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 11);
	VALID("upper hex", "A\r\n0123456789\r\n0\r\n\r\n", 10);
	VALID("lower hex", "a\r\n0123456789\r\n0\r\n\r\n", 10);
	VALID("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", 5);
	VALID("16 hex digits", "0000000000000005\r\nhello\r\n0\r\n\r\n", 5);
	VALID("data with CRLF inside", "4\r\n\r\n\r\n\r\n0\r\n\r\n", 4);
	VALID("data with NUL and high bytes", "4\r\n\0\xff\x80\n\r\n0\r\n\r\n", 4);
	VALID("extension", "5;name\r\nhello\r\n0;x\r\n\r\n", 5);
	VALID("extension with value", "5;a=b;c=d\r\nhello\r\n0\r\n\r\n", 5);
	VALID("extension BWS", "5 ; a = b ;c\r\nhello\r\n0\r\n\r\n", 5);
	VALID("extension quoted", "5;a=\"b c;d\\\"e\"\r\nhello\r\n0\r\n\r\n", 5);
	VALID("extension quoted then more", "5;a=\"b\" ; c=d\r\nhello\r\n0\r\n\r\n", 5);
	VALID("extension quoted obs-text", "5;a=\"\xc3\xa9\"\r\nhello\r\n0\r\n\r\n", 5);
	VALID("trailers", "5\r\nhello\r\n0\r\nX-Sum: abc\r\nY:\r\nZ: \t v \xff\r\n\r\n", 5);
	VALID("trailer with tchars", "0\r\n!#$%&'*+-.^_`|~09aZ: v\r\n\r\n", 0);
	/* names close to refused ones are fine */
	VALID("trailer look-alikes allowed", "0\r\nContent-Lengths: 1\r\nX-Host: a\r\nHosts: b\r\n"
	      "T: c\r\nContent-MD5: d\r\nServer-Timing: e\r\nContent-Length-Proxy-Authorization-X: f\r\n"
	      "-host: g\r\nhost-: h\r\nVary: *\r\nContent-Type: text/plain\r\n\r\n", 0);

	/* a big chunk, fed in pieces */
	size_t n = 100000;
	char *big = malloc(n + 64);
	size_t h = (size_t)sprintf(big, "%zx\r\n", n);
	memset(big + h, 'x', n);
	memcpy(big + h + n, "\r\n0\r\n\r\n", 7);
	struct result w = feed_split(big, h + n + 7, 0, 0);
	CHECK("big chunk whole", w.used == (ssize_t)(h + n + 7) && w.done && w.data == n);
	CHECK("big chunk split", same(w, feed_split(big, h + n + 7, 3, 4000)));
	free(big);
}

static void test_invalid(void)
{
	INVALID("empty size line", "\r\nhello\r\n0\r\n\r\n");
	INVALID("17 hex digits", "00000000000000005\r\nhello\r\n0\r\n\r\n");
	INVALID("huge size", "10000000000000000\r\n");
	INVALID("non-hex size", "g\r\n");
	INVALID("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n");
	INVALID("negative size", "-5\r\n");
	INVALID("leading space", " 5\r\nhello\r\n0\r\n\r\n");
	INVALID("junk after size", "5x\r\nhello\r\n0\r\n\r\n");
	INVALID("space after size, no extension", "5 \r\nhello\r\n0\r\n\r\n");
	INVALID("tab after size, no extension", "5\t\r\nhello\r\n0\r\n\r\n");
	INVALID("empty extension", "5;\r\nhello\r\n0\r\n\r\n");
	INVALID("extension without name", "5;=b\r\nhello\r\n0\r\n\r\n");
	INVALID("extension empty value", "5;a=\r\nhello\r\n0\r\n\r\n");
	INVALID("extension value with space", "5;a=b c\r\nhello\r\n0\r\n\r\n");
	INVALID("extension trailing space", "5;a=b \r\nhello\r\n0\r\n\r\n");
	INVALID("extension unterminated quote", "5;a=\"b\r\nhello\r\n0\r\n\r\n");
	INVALID("extension junk after quote", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n");
	INVALID("extension CTL", "5;a\x01\r\nhello\r\n0\r\n\r\n");
	INVALID("extension NUL in quote", "5;a=\"\0\"\r\nhello\r\n0\r\n\r\n");
	INVALID("extension bare LF", "5;a\nhello\r\n0\r\n\r\n");
	INVALID("bare LF after size", "5\nhello\r\n0\r\n\r\n");
	INVALID("bare CR after size", "5\rhello\r\n0\r\n\r\n");
	INVALID("data too long", "5\r\nhelloX\r\n0\r\n\r\n");
	INVALID("data too short", "5\r\nhell\r\n0\r\n\r\n");
	INVALID("data then bare LF", "5\r\nhello\n0\r\n\r\n");
	INVALID("data then LF CR", "5\r\nhello\n\r0\r\n\r\n");
	INVALID("missing last chunk", "5\r\nhello\r\n\r\n");
	INVALID("final bare LF", "0\r\n\n");
	INVALID("final CR junk", "0\r\n\rX");
	INVALID("trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n");
	INVALID("trailer leading space", "0\r\n X: a\r\n\r\n");
	INVALID("trailer no colon", "0\r\nXa\r\n\r\n");
	INVALID("trailer space before colon", "0\r\nX : a\r\n\r\n");
	INVALID("trailer NUL", "0\r\nX: a\0b\r\n\r\n");
	INVALID("trailer bare LF", "0\r\nX: a\n\r\n");
	INVALID("trailer bare CR", "0\r\nX: a\rb\r\n\r\n");
	/* fields that may not be trailers (RFC 9110 6.5.1) */
	INVALID("trailer Content-Length", "0\r\nContent-Length: 5\r\n\r\n");
	INVALID("trailer after another", "3\r\nabc\r\n0\r\nX-Sum: 1\r\ntransfer-encoding: chunked\r\n\r\n");
	INVALID("trailer HOST", "0\r\nHOST: evil\r\n\r\n");
	INVALID("trailer Trailer", "0\r\nTrailer: x\r\n\r\n");
	INVALID("trailer Connection", "0\r\nConnection: close\r\n\r\n");
	INVALID("trailer Keep-Alive", "0\r\nKeep-Alive: 5\r\n\r\n");
	INVALID("trailer Proxy-Connection", "0\r\nProxy-Connection: x\r\n\r\n");
	INVALID("trailer TE", "0\r\nte: trailers\r\n\r\n");
	INVALID("trailer Upgrade", "0\r\nUpgrade: h2c\r\n\r\n");
	INVALID("trailer Expect", "0\r\nExpect: 100-continue\r\n\r\n");
	INVALID("trailer Max-Forwards", "0\r\nMax-Forwards: 1\r\n\r\n");
	INVALID("trailer Authorization", "0\r\nAuthorization: Basic eDp5\r\n\r\n");
	INVALID("trailer Proxy-Authorization", "0\r\nProxy-Authorization: x\r\n\r\n");
	INVALID("trailer Content_Length", "0\r\nContent_Length: 5\r\n\r\n");
	INVALID("trailer Transfer--_Encoding", "0\r\nTransfer--_Encoding: x\r\n\r\n");
	INVALID("trailer empty-valued Host", "0\r\nhost:\r\n\r\n");
	INVALID("HTTP/1.1 smuggle after data", "5\r\nhello\r\nGET / HTTP/1.1\r\n\r\n");
}

static void test_limits_and_state(void)
{
	struct h1_chunk c;
	char *line = malloc(20000);
	ssize_t r;

	/* 16 ff digits: the maximum, not an overflow */
	h1_chunk_init(&c);
	r = h1_chunk_feed(&c, "ffffffffffffffff\r\n", 18);
	CHECK("size 2^64-1 accepted", r == 18 && c.remain == UINT64_MAX && !c.done);

	/* extension length bound: 4096 bytes per size line */
	memset(line, 'a', 20000);
	memcpy(line, "5;", 2);
	h1_chunk_init(&c);
	r = h1_chunk_feed(&c, line, 4000);
	CHECK("long extension within bound", r == 4000);
	r = h1_chunk_feed(&c, line + 4000, 200);
	CHECK("extension over 4096 refused", r == -1);
	r = h1_chunk_feed(&c, "\r\n", 2);
	CHECK("error is sticky", r == -1);

	/* trailer section bound: 16384 bytes */
	h1_chunk_init(&c);
	r = h1_chunk_feed(&c, "0\r\n", 3);
	size_t total = 0;
	int failed = 0;
	for (int i = 0; i < 2000 && !failed; i++) {
		r = h1_chunk_feed(&c, "X-Trailer: 0123456789\r\n", 23);
		if (r < 0)
			failed = 1;
		else
			total += 23;
	}
	CHECKF(failed && total <= 16384 && total > 16000,
	       "trailers over 16384 refused (after %zu bytes)", total);

	/* after done: nothing more is consumed */
	h1_chunk_init(&c);
	r = h1_chunk_feed(&c, "0\r\n\r\n", 5);
	CHECK("done after last chunk", r == 5 && c.done == 1 && c.data_total == 0);
	r = h1_chunk_feed(&c, "0\r\n\r\n", 5);
	CHECK("nothing consumed after done", r == 0 && c.done == 1);
	r = h1_chunk_feed(&c, "", 0);
	CHECK("empty feed after done", r == 0);

	/* zero-length feeds mid-body */
	h1_chunk_init(&c);
	CHECK("empty feed at start", h1_chunk_feed(&c, "", 0) == 0 && !c.done);
	CHECK("size line", h1_chunk_feed(&c, "3\r\n", 3) == 3 && c.remain == 3);
	CHECK("partial data", h1_chunk_feed(&c, "ab", 2) == 2 && c.remain == 1);
	CHECK("rest", h1_chunk_feed(&c, "c\r\n0\r\n\r\nNEXT", 12) == 8 && c.done &&
	      c.data_total == 3);

	/* init resets everything */
	h1_chunk_init(&c);
	CHECK("init resets", c.done == 0 && c.remain == 0 && c.data_total == 0 &&
	      c.trailers == 0 && c.count == 0);
	free(line);
}

int main(void)
{
	test_valid();
	test_invalid();
	test_limits_and_state();
	UNIT_END();
}
