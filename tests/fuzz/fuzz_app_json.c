/* libFuzzer driver for tandem-app's JSON reader (tools/app/json.c), which
 * parses request bodies of POST /api/todos. Invariants: no crash, no read
 * outside the input (ASan), a found value is NUL-terminated, shorter than
 * the buffer and valid UTF-8 without NUL; a smaller output buffer changes
 * FOUND into TOO_LONG or keeps it (with a prefix of the same value), never
 * the validity verdict; escaping the value and reading it back as a JSON
 * object gives the same text.
 *
 * fuzz-src: tools/app/json.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../tools/app/json.h"

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], k, cp, min;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) k = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef) k = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4) k = 3, cp = c & 0x07, min = 0x10000;
		else return 0;
		if (i + k >= n)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "text", "texto", NULL };
	char out[256], small[8], esc[6 * 256 + 1], doc[6 * 256 + 32], back[256];
	int r, r2, r3;
	size_t n;

	r = json_obj_str((const char *)data, size, keys, out, sizeof(out));
	INV(r >= JSON_TOO_LONG && r <= JSON_FOUND);
	r2 = json_obj_str((const char *)data, size, keys, small, sizeof(small));
	if (r == JSON_BAD)
		INV(r2 == JSON_BAD);
	if (r == JSON_ABSENT)
		INV(r2 == JSON_ABSENT);
	if (r == JSON_FOUND) {
		n = strlen(out);
		INV(n < sizeof(out));
		INV(valid_utf8((const unsigned char *)out, n));
		INV(r2 == JSON_FOUND || r2 == JSON_TOO_LONG);
		if (r2 == JSON_FOUND)
			INV(!strcmp(small, out));
		/* round trip */
		json_escape_text(esc, sizeof(esc), out);
		n = (size_t)snprintf(doc, sizeof(doc), "{\"text\":\"%s\"}", esc);
		r3 = json_obj_str(doc, n, keys, back, sizeof(back));
		INV(r3 == JSON_FOUND && !strcmp(back, out));
	}
	return 0;
}
