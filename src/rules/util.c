/* Small codecs shared by fetches, converters and actions: base64 (RFC
 * 4648), URL decoding, hex digits. */
#include <string.h>
#include "rules_int.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_val(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int b64_val(int c, int url)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == (url ? '-' : '+')) return 62;
	if (c == (url ? '_' : '/')) return 63;
	return -1;
}

long b64_decode(const char *in, size_t len, char *out, int url)
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0, i, pad = 0;

	/* standard base64 is padded to a multiple of 4; base64url may not be */
	if (!url && len % 4)
		return -1;
	while (len && in[len - 1] == '=') {
		len--;
		if (++pad > 2)
			return -1;
	}
	for (i = 0; i < len; i++) {
		int v = b64_val((unsigned char)in[i], url);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6)
		return -1;   /* a lone trailing character */
	return (long)o;
}

size_t b64_encode(const char *in, size_t len, char *out, int url)
{
	const char *t = url ? b64url : b64;
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)(uint8_t)in[i] << 16 | (unsigned)(uint8_t)in[i + 1] << 8 | (uint8_t)in[i + 2];

		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)(uint8_t)in[i] << 16 | (i + 1 < len ? (unsigned)(uint8_t)in[i + 1] << 8 : 0);

		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = t[(v >> 6) & 63];
		else if (!url)
			out[o++] = '=';
		if (!url)
			out[o++] = '=';
	}
	out[o] = 0;
	return o;
}

long url_decode(char *s, size_t len, int plus)
{
	size_t r = 0, w = 0;
	int in_query = plus;

	while (r < len) {
		char c = s[r];

		if (c == '?')
			in_query = 1;
		if (c == '%') {
			int a, b;

			if (r + 2 >= len || (a = hex_val((unsigned char)s[r + 1])) < 0 ||
			    (b = hex_val((unsigned char)s[r + 2])) < 0)
				return -1;
			s[w++] = (char)(a << 4 | b);
			r += 3;
			continue;
		}
		s[w++] = (c == '+' && in_query) ? ' ' : c;
		r++;
	}
	return (long)w;
}
