/* Small parsers and formatters for tandem-app: numbers, sizes, query
 * strings, JSON string escaping, reason phrases, and the growing string
 * (struct sbuf) the JSON and metrics documents are printed into. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"

/* Make room for <need> more bytes (and a NUL). 0 or -1 (b->err set). */
static int sb_grow(struct sbuf *b, size_t need)
{
	size_t ncap = b->cap ? b->cap : 4096;
	char *ns;

	if (b->err)
		return -1;
	if (b->len + need + 1 <= b->cap)
		return 0;
	while (ncap < b->len + need + 1)
		ncap *= 2;
	ns = realloc(b->s, ncap);
	if (!ns) {
		b->err = 1;
		return -1;
	}
	b->s = ns;
	b->cap = ncap;
	return 0;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	if (sb_grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (sb_grow(b, n) < 0)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

int parse_u64(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	size_t n = 0;
	uint64_t v, mult = 1;
	const char *u;

	while (isdigit((unsigned char)s[n]))
		n++;
	if (parse_u64(s, n, &v) < 0)
		return -1;
	u = s + n;
	switch (tolower((unsigned char)*u)) {
	case 0:   break;
	case 'k': mult = 1ull << 10; u++; break;
	case 'm': mult = 1ull << 20; u++; break;
	case 'g': mult = 1ull << 30; u++; break;
	case 'b': break;
	default:  return -1;
	}
	/* tolerate "64m", "64mb", "64MiB", "64b" */
	if (mult > 1 && tolower((unsigned char)*u) == 'i')
		u++;
	if (tolower((unsigned char)*u) == 'b')
		u++;
	if (*u || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

const char *query_get(const char *q, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	while (q && *q) {
		const char *end = strchr(q, '&');
		size_t len = end ? (size_t)(end - q) : strlen(q);

		if (len >= klen && !memcmp(q, key, klen) && (len == klen || q[klen] == '=')) {
			const char *v = len == klen ? q + len : q + klen + 1;

			*vlen = len - (size_t)(v - q);
			return v;
		}
		q = end ? end + 1 : NULL;
	}
	return NULL;
}

size_t json_escape(char *dst, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!cap)
		return 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[7];
		size_t n;

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\'; esc[1] = (char)ch; n = 2;
		} else if (ch < 0x20 || ch >= 0x7f) {
			/* controls, and bytes >= 0x80 since header bytes are not
			 * necessarily UTF-8: keep the JSON valid whatever came in */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4]; esc[5] = hex[ch & 15]; n = 6;
		} else {
			esc[0] = (char)ch; n = 1;
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = 0;
	return o;
}

const char *status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	default:  return "Unknown";
	}
}
