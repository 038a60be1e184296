/* Hash functions of the configuration language (see hash.h). Each is a
 * short, well-known algorithm; what matters is that they compute what
 * HAProxy's functions of the same names compute. */
#include <string.h>
#include <tandem/hash.h>

uint32_t hash_sdbm(const void *p, size_t len)
{
	const unsigned char *k = p;
	uint32_t h = 0;

	/* h * 65599 + c, written with shifts as in the sdbm library */
	for (size_t i = 0; i < len; i++)
		h = k[i] + (h << 6) + (h << 16) - h;
	return h;
}

uint32_t hash_djb2(const void *p, size_t len)
{
	const unsigned char *k = p;
	uint32_t h = 5381;

	for (size_t i = 0; i < len; i++)
		h = h * 33 + k[i];
	return h;
}

static inline uint32_t rotl32(uint32_t v, unsigned r)
{
	r &= 31;
	return r ? (v << r) | (v >> (32 - r)) : v;
}

uint32_t hash_wt6(const void *p, size_t len)
{
	const unsigned char *k = p;
	uint32_t a = 0xa53c965au, b = 0x5ca6953au;
	unsigned ra = 6, rb = 18;

	/* two words mixed with each byte, swapped through rotations whose
	 * amounts come from the state itself */
	for (size_t i = 0; i < len; i++) {
		uint32_t na, nb, t;

		a = ~(a ^ k[i]);
		b = ~(b + k[i]);
		na = rotl32(b, ra);
		nb = rotl32(a, rb);
		a = na;
		b = nb;
		t = ((a >> 16) ^ b) & 0xffff;
		ra = t & 0x1f;
		rb = t >> 11;
	}
	return a ^ b;
}

uint32_t hash_crc32(const void *p, size_t len)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *k = p;
	uint32_t c = 0xffffffffu;

	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		/* the reflected IEEE 802.3 polynomial; racing builders write the same values */
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t v = n;

			for (int b = 0; b < 8; b++)
				v = (v >> 1) ^ (v & 1 ? 0xedb88320u : 0);
			__atomic_store_n(&table[n], v, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	for (size_t i = 0; i < len; i++)
		c = table[(c ^ k[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

uint32_t hash_avalanche(uint32_t a)
{
	a = (a + 0x7ed55d16u) + (a << 12);
	a = (a ^ 0xc761c23cu) ^ (a >> 19);
	a = (a + 0x165667b1u) + (a << 5);
	a = (a + 0xd3a2646cu) ^ (a << 9);
	a = (a + 0xfd7046c5u) + (a << 3);
	a = (a ^ 0xb55a4f09u) ^ (a >> 16);
	return a;
}

/* ---- XXH64 (the xxHash specification) ---- */

#define P1 11400714785074694791ull
#define P2 14029467366897019727ull
#define P3 1609587929392839161ull
#define P4 9650029242287828579ull
#define P5 2870177450012600261ull

static inline uint64_t rotl64(uint64_t v, unsigned r)
{
	return (v << r) | (v >> (64 - r));
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;   /* the specification reads little-endian: this is x86/arm64 */
}

static inline uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}

static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
	acc ^= xround(0, v);
	return acc * P1 + P4;
}

uint64_t hash_xxh64(const void *in, size_t len, uint64_t seed)
{
	const unsigned char *p = in, *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;

		for (; p + 32 <= end; p += 32) {
			v1 = xround(v1, rd64(p));
			v2 = xround(v2, rd64(p + 8));
			v3 = xround(v3, rd64(p + 16));
			v4 = xround(v4, rd64(p + 24));
		}
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(h, v1);
		h = xmerge(h, v2);
		h = xmerge(h, v3);
		h = xmerge(h, v4);
	} else {
		h = seed + P5;
	}
	h += len;
	for (; p + 8 <= end; p += 8) {
		h ^= xround(0, rd64(p));
		h = rotl64(h, 27) * P1 + P4;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++) {
		h ^= *p * P5;
		h = rotl64(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}
