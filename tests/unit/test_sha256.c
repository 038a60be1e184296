/* Unit test of tools/app/sha256.c against the FIPS 180-2 appendix B vectors
 * (plus the empty message), and split-invariance of the streaming API.
 * The app's sources are not in libtandem.a, so the file is included here. */
#include <stdlib.h>
#include "unit.h"
#include "../../tools/app/sha256.c"

/* Hex digest of <len> bytes of <p>, hashed in pieces of <step> bytes. */
static void digest_hex(const void *p, size_t len, size_t step, char hex[65])
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];
	size_t off;

	sha256_init(&s);
	for (off = 0; off < len; off += step)
		sha256_update(&s, (const char *)p + off, len - off < step ? len - off : step);
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

int main(void)
{
	static const struct { const char *msg, *hex; } vec[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[65];
	size_t i, step;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t len = strlen(vec[i].msg);

		digest_hex(vec[i].msg, len, len ? len : 1, hex);
		CHECKF(!strcmp(hex, vec[i].hex), "sha256 vector %zu one-shot", i);
		for (step = 1; step <= len; step++) {
			digest_hex(vec[i].msg, len, step, hex);
			if (strcmp(hex, vec[i].hex))
				break;
		}
		CHECKF(step > len, "sha256 vector %zu every split", i);
	}

	/* One million 'a' (FIPS 180-2 B.3), fed in odd-sized pieces. */
	{
		size_t n = 1000000;
		char *m = malloc(n);

		CHECK("malloc", m != NULL);
		if (m) {
			memset(m, 'a', n);
			digest_hex(m, n, 997, hex);
			CHECK("sha256 million a",
			      !strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
			digest_hex(m, n, n, hex);
			CHECK("sha256 million a one-shot",
			      !strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
			free(m);
		}
	}

	/* Padding edge cases: lengths around the 55/56/64 byte boundaries must
	 * agree between one-shot and byte-by-byte hashing. */
	{
		char m[130], a[65], b[65];
		int ok = 1;

		memset(m, 'x', sizeof(m));
		for (i = 0; i <= sizeof(m); i++) {
			digest_hex(m, i, i ? i : 1, a);
			digest_hex(m, i, 1, b);
			ok &= !strcmp(a, b);
		}
		CHECK("sha256 boundary lengths split-invariant", ok);
		/* Known values around the padding boundary (coreutils sha256sum). */
		digest_hex(m, 55, 55, a);
		CHECK("sha256 55 x", !strcmp(a, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"));
		digest_hex(m, 56, 56, a);
		CHECK("sha256 56 x", !strcmp(a, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"));
		digest_hex(m, 64, 64, a);
		CHECK("sha256 64 x", !strcmp(a, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"));
	}
	UNIT_END();
}
