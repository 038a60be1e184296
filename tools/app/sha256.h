/* SHA-256 (FIPS 180-4), streaming. Small and dependency-free so that
 * tandem-app can hash request bodies of any size with constant memory. */
#ifndef TANDEM_APP_SHA256_H
#define TANDEM_APP_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32

struct sha256 {
	uint32_t h[8];      /* chaining state */
	uint64_t total;     /* bytes hashed so far */
	uint8_t  block[64]; /* pending partial block */
	size_t   fill;      /* bytes pending in block[] (0..63) */
};

/* Start a new digest. */
void sha256_init(struct sha256 *s);
/* Hash <len> more bytes; any split of the input gives the same digest. */
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Pad, write the 32-byte digest to <out>. <s> must be re-initialised to be reused. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);
/* Choose the block function: the CPU's SHA instructions when <want_hw> and
 * available, else portable C (the default is the fastest available).
 * Returns 1 if the hardware path is now in use. For tests and benchmarks. */
int sha256_select(int want_hw);
/* Lowercase hex of a digest into <hex> (65 bytes, NUL-terminated). */
void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char hex[65]);

#endif
