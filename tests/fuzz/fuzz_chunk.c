/* libFuzzer driver for the chunked-body decoder (src/http/h1_chunk.c).
 * The first input byte seeds how the rest is split; the body is fed whole,
 * byte by byte and in those pieces, and all three must agree on: error or
 * not, bytes consumed, done, payload size. Also: consumed <= input, payload
 * <= consumed, nothing is consumed after done, errors are sticky.
 *
 * fuzz-src: src/http/h1_parse.c src/http/h1_chunk.c
 * fuzz-dict: tests/fuzz/h1.dict */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tandem/h1.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

struct res {
	ssize_t  used;   /* -1 on error */
	int      done;
	uint64_t data;
};

static struct res run(const char *p, size_t n, unsigned seed, size_t maxpiece)
{
	struct h1_chunk c;
	struct res r = { 0, 0, 0 };
	size_t off = 0;

	h1_chunk_init(&c);
	while (off < n && !c.done) {
		size_t len = n - off;
		if (maxpiece) {
			seed = seed * 1103515245u + 12345u;
			size_t want = 1 + (seed >> 16) % maxpiece;
			if (want < len)
				len = want;
		}
		ssize_t k = h1_chunk_feed(&c, p + off, len);
		if (k < 0) {
			INV(h1_chunk_feed(&c, "0\r\n\r\n", 5) == -1);   /* sticky */
			r.used = -1;
			return r;
		}
		INV((size_t)k <= len);
		INV((size_t)k == len || c.done);
		off += (size_t)k;
	}
	if (c.done)
		INV(h1_chunk_feed(&c, "1\r\n", 3) == 0);
	r.used = (ssize_t)off;
	r.done = c.done;
	r.data = c.data_total;
	INV(r.data <= off);
	return r;
}

static void same(struct res a, struct res b)
{
	INV(a.used == b.used);
	if (a.used >= 0)
		INV(a.done == b.done && a.data == b.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned seed = data[0];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct res whole = run(p, n, 0, 0);

	same(whole, run(p, n, 0, 1));
	same(whole, run(p, n, seed, 1 + seed % 13));
	same(whole, run(p, n, seed ^ 0x5a5a, 64));
	return 0;
}
