/* Unit test of tools/app/sha256.c against the FIPS 180-2 appendix B vectors
 * (plus the empty message), and split-invariance of the streaming API.
 * The app's sources are not in libtandem.a, so the file is included here. */
#include <stdlib.h>
#include "unit.h"
#include "../../tools/app/sha256.c"

/* A check named after the block function in use (<impl> in scope). */
#define CHECKI(name, cond) CHECKF((cond), "%s [%s]", (name), impl)

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

/* Every check, with the block function chosen by sha256_select(<hw>). */
static void run_all(int hw)
{
	const char *impl = hw ? "hw" : "c";
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
		CHECKF(!strcmp(hex, vec[i].hex), "sha256 vector %zu one-shot [%s]", i, impl);
		for (step = 1; step <= len; step++) {
			digest_hex(vec[i].msg, len, step, hex);
			if (strcmp(hex, vec[i].hex))
				break;
		}
		CHECKF(step > len, "sha256 vector %zu every split [%s]", i, impl);
	}

	/* One million 'a' (FIPS 180-2 B.3), fed in odd-sized pieces. */
	{
		size_t n = 1000000;
		char *m = malloc(n);

		CHECKI("malloc", m != NULL);
		if (m) {
			memset(m, 'a', n);
			digest_hex(m, n, 997, hex);
			CHECKI("sha256 million a",
			      !strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
			digest_hex(m, n, n, hex);
			CHECKI("sha256 million a one-shot",
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
		CHECKI("sha256 boundary lengths split-invariant", ok);
		/* Known values around the padding boundary (coreutils sha256sum). */
		digest_hex(m, 55, 55, a);
		CHECKI("sha256 55 x", !strcmp(a, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"));
		digest_hex(m, 56, 56, a);
		CHECKI("sha256 56 x", !strcmp(a, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"));
		digest_hex(m, 64, 64, a);
		CHECKI("sha256 64 x", !strcmp(a, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"));
	}
}

int main(void)
{
	int hw;

	sha256_select(0);
	printf("# portable block function\n");
	run_all(0);
	hw = sha256_select(1);
	printf("# %s block function\n", hw ? "x86 SHA instructions" : "no hardware path here; portable again");
	run_all(hw);
	/* both paths over random data with a ragged split must agree */
	{
		static unsigned char m[100003];
		char a[65], b[65];
		size_t i;
		uint32_t x = 12345;

		for (i = 0; i < sizeof(m); i++) {
			x = x * 1103515245u + 12345u;
			m[i] = (unsigned char)(x >> 16);
		}
		sha256_select(0);
		digest_hex(m, sizeof(m), 1000, a);
		sha256_select(1);
		digest_hex(m, sizeof(m), 333, b);
		CHECK("portable and hardware digests agree", !strcmp(a, b));
	}
	UNIT_END();
}
