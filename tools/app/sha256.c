/* SHA-256 per FIPS 180-4 section 6.2, written for clarity first: one block
 * function over a 64-entry message schedule. Bulk input is hashed straight
 * from the caller's memory; only a trailing partial block is copied.
 * On x86-64 CPUs with the SHA extensions the blocks go through the
 * SHA256RNDS2/MSG1/MSG2 instructions instead (about 5x faster, and far
 * faster under sanitizers), chosen once at run time; the portable code
 * stays the reference and the unit test checks that both agree. */
#include <string.h>
#include "sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

/* Process one 64-byte block into the chaining state (portable). */
static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	for (; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n; n--, p += 64)
		sha256_block(h, p);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#define HW_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* The SHA instructions keep the state as two vectors, ABEF and CDGH (lane
 * 3 first), and do two rounds per SHA256RNDS2, taking W[t]+K[t] for both
 * from the low half of the message operand. */
HW_TARGET static void blocks_hw(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i abef, cdgh, t, save0, save1, m[4];
	int g;

	/* h[] is a,b,c,d,e,f,g,h: rearrange into ABEF and CDGH (comments list
	 * lanes 0..3, so ABEF is f e b a) */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);    /* b a d c */
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* h g f e */
	abef = _mm_alignr_epi8(t, cdgh, 8);                                      /* f e b a */
	cdgh = _mm_blend_epi16(cdgh, t, 0xF0);                                   /* h g d c */

	for (; n; n--, p += 64) {
		save0 = abef;
		save1 = cdgh;
		for (g = 0; g < 16; g++) {
			__m128i *w = &m[g & 3];

			if (g < 4) {
				*w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			} else {
				/* W[t..t+3] from W[t-16..t-1]: m[g&3] holds t-16, then
				 * t-12, t-8 and t-4 follow in ring order */
				__m128i wb = m[(g + 1) & 3], wc = m[(g + 2) & 3], wd = m[(g + 3) & 3];

				*w = _mm_sha256msg1_epu32(*w, wb);
				*w = _mm_add_epi32(*w, _mm_alignr_epi8(wd, wc, 4));
				*w = _mm_sha256msg2_epu32(*w, wd);
			}
			t = _mm_add_epi32(*w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, t);
			t = _mm_shuffle_epi32(t, 0x0E);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, t);
		}
		abef = _mm_add_epi32(abef, save0);
		cdgh = _mm_add_epi32(cdgh, save1);
	}
	/* back to a,b,c,d / e,f,g,h */
	t = _mm_shuffle_epi32(abef, 0x1B);      /* a b e f */
	cdgh = _mm_shuffle_epi32(cdgh, 0xB1);   /* g h c d */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, cdgh, 0xF0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, t, 8));
}

static int cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1;  /* CPUID.7.0:EBX[29] = SHA */
}
#else
static void blocks_hw(uint32_t h[8], const uint8_t *p, size_t n) { blocks_portable(h, p, n); }
static int cpu_has_sha(void) { return 0; }
#endif

/* -1: not chosen yet; racing first calls from several threads all compute
 * the same answer, so no lock is needed. */
static int use_hw = -1;

int sha256_select(int want_hw)
{
	use_hw = want_hw && cpu_has_sha();
	return use_hw;
}

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	int hw = __atomic_load_n(&use_hw, __ATOMIC_RELAXED);

	if (hw < 0) {
		hw = cpu_has_sha();
		__atomic_store_n(&use_hw, hw, __ATOMIC_RELAXED);
	}
	if (hw)
		blocks_hw(h, p, n);
	else
		blocks_portable(h, p, n);
}

void sha256_init(struct sha256 *s)
{
	/* First 32 bits of the fractional parts of the square roots of the first 8 primes. */
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->h, iv, sizeof(iv));
	s->total = 0;
	s->fill = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->total += len;
	if (s->fill) {
		size_t n = 64 - s->fill;

		if (n > len)
			n = len;
		memcpy(s->block + s->fill, p, n);
		s->fill += n; p += n; len -= n;
		if (s->fill < 64)
			return;
		blocks(s->h, s->block, 1);
		s->fill = 0;
	}
	if (len >= 64) {
		blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len) {
		memcpy(s->block, p, len);
		s->fill = len;
	}
}

void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN])
{
	uint64_t bits = s->total * 8;
	int i;

	/* Padding: a 1 bit, zeros up to 56 mod 64, then the length in bits (big endian). */
	s->block[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->block + s->fill, 0, 64 - s->fill);
		blocks(s->h, s->block, 1);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, 56 - s->fill);
	for (i = 0; i < 8; i++)
		s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks(s->h, s->block, 1);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, s->h[i]);
}

void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = 0;
}
