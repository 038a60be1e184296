/* libFuzzer driver for the ClientHello parser (src/ssl/ssl_hello.c), the
 * code behind req.ssl_sni, req.ssl_hello_type and req.ssl_ver. Contract:
 *  - the result is TLS_HELLO_OK, TLS_HELLO_MORE or TLS_HELLO_NOT;
 *  - OK: every pointer lies inside the input, used <= len, the SNI is not
 *    empty, the ALPN walk stays inside its list and ends;
 *  - any prefix of an OK input is MORE or OK (never NOT: a stream that
 *    is TLS so far must be waited for), and parsing twice gives the same;
 *  - nothing is read past the input (ASan).
 * A violated invariant aborts (the fuzzer reports it as a crash).
 *
 * fuzz-src: src/ssl/ssl_hello.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/ssl_hello.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int inside(const uint8_t *p, size_t l, const uint8_t *b, size_t n)
{
	return p ? (p >= b && p + l <= b + n) : l == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);   /* exactly <size> bytes: ASan sees any over-read */
	struct tls_hello h, h2;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = tls_hello_parse(buf, size, &h);
	INV(r == TLS_HELLO_OK || r == TLS_HELLO_MORE || r == TLS_HELLO_NOT);
	INV(tls_hello_parse(buf, size, &h2) == r);
	if (r == TLS_HELLO_OK) {
		size_t off = 0, nl, seen = 0;
		const uint8_t *name;

		INV(h.used <= size && h.used > 0);
		INV(inside(h.sni, h.sni_len, buf, size));
		INV(!h.sni || h.sni_len > 0);
		INV(inside(h.alpn, h.alpn_len, buf, size));
		while (tls_hello_alpn_next(&h, &off, &name, &nl)) {
			INV(nl > 0 && inside(name, nl, buf, size));
			INV(++seen <= h.alpn_len);
		}
		INV(h.st_ext >= 0 && h.st_ext <= 2);
		/* a prefix of a hello is never "not TLS" */
		for (size_t k = 0; k < h.used; k += 1 + k / 8) {
			int pr = tls_hello_parse(buf, k, &h2);

			INV(pr == TLS_HELLO_MORE || pr == TLS_HELLO_OK);
		}
	}
	free(buf);
	return 0;
}
