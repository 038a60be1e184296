/* Minimal JSON reading and writing for tandem-app's todo API.
 *
 * Reading: json_obj_str() validates a whole request body as one JSON
 * object (RFC 8259: every value, number and escape checked, strings valid
 * UTF-8, nesting at most JSON_MAX_DEPTH deep) and returns the value of the
 * first member whose name is one of the wanted keys and whose value is a
 * string, decoded to UTF-8. Recursive descent over a bounded depth: the
 * input is whatever a client sent, so nothing here may read out of bounds,
 * loop or recurse without limit (tests/fuzz/fuzz_app_json.c).
 *
 * Writing: json_escape_text() escapes a valid UTF-8 string for a JSON
 * string literal, keeping non-ASCII characters as they are (json_escape()
 * in util.c is for header bytes of unknown encoding and escapes them). */
#include <string.h>
#include "json.h"

struct jp {
	const unsigned char *p, *e;
	int depth;
};

static void ws(struct jp *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Output of a decoded string: <out> may be NULL (validate only). <trunc>
 * is set when the value did not fit in cap-1 bytes. */
struct sout {
	char  *out;
	size_t cap, len;
	int    trunc;
};

static void put(struct sout *o, const unsigned char *s, size_t n)
{
	if (!o->out)
		return;
	if (o->len + n >= o->cap) {
		o->trunc = 1;
		return;
	}
	memcpy(o->out + o->len, s, n);
	o->len += n;
	o->out[o->len] = 0;
}

/* Encode code point <cp> (valid, not a surrogate) as UTF-8. */
static void put_cp(struct sout *o, unsigned cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp; n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6); b[1] = (unsigned char)(0x80 | (cp & 0x3f)); n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f)); n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put(o, b, n);
}

/* Length of the valid UTF-8 sequence at p[0..left), or 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF refused). */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned c = p[0], cp, min;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int hex4(struct jp *j, unsigned *v)
{
	int i;

	if (j->e - j->p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned c = j->p[i], d;

		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return -1;
		*v = *v << 4 | d;
	}
	j->p += 4;
	return 0;
}

/* A string starting at the opening quote. 0 or -1. \u0000 is refused: the
 * decoded text is used as a C string. */
static int str(struct jp *j, struct sout *o)
{
	if (j->p >= j->e || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->e) {
		unsigned c = *j->p;
		size_t n;

		if (c == '"') {
			j->p++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			n = utf8_len(j->p, (size_t)(j->e - j->p));
			if (!n)
				return -1;
			put(o, j->p, n);
			j->p += n;
			continue;
		}
		if (++j->p >= j->e)
			return -1;
		c = *j->p++;
		switch (c) {
		case '"': case '\\': case '/': put(o, (const unsigned char *)&(char){ (char)c }, 1); break;
		case 'b': put(o, (const unsigned char *)"\b", 1); break;
		case 'f': put(o, (const unsigned char *)"\f", 1); break;
		case 'n': put(o, (const unsigned char *)"\n", 1); break;
		case 'r': put(o, (const unsigned char *)"\r", 1); break;
		case 't': put(o, (const unsigned char *)"\t", 1); break;
		case 'u': {
			unsigned cp, lo;

			if (hex4(j, &cp) < 0 || !cp)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;           /* a low surrogate alone */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->e - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
					return -1;   /* a high surrogate alone */
				j->p += 2;
				if (hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_cp(o, cp);
			break;
		}
		default:
			return -1;
		}
	}
	return -1;   /* unterminated */
}

static int digits(struct jp *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : -1;
}

static int number(struct jp *j)
{
	if (j->p < j->e && *j->p == '-')
		j->p++;
	if (j->p < j->e && *j->p == '0')
		j->p++;
	else if (digits(j) < 0)
		return -1;
	if (j->p < j->e && *j->p == '.') {
		j->p++;
		if (digits(j) < 0)
			return -1;
	}
	if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (digits(j) < 0)
			return -1;
	}
	return 0;
}

static int literal(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->e - j->p) < n || memcmp(j->p, w, n))
		return -1;
	j->p += n;
	return 0;
}

static int value(struct jp *j);

/* Members of an object after its '{'. When <keys> is not NULL (top level
 * only), the first member named like one of them with a string value is
 * decoded into <want>; *found is set. */
static int members(struct jp *j, const char *const *keys, struct sout *want, int *found)
{
	char kbuf[64];

	ws(j);
	if (j->p < j->e && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		struct sout k = { kbuf, sizeof(kbuf), 0, 0 };
		int match = 0, i;

		kbuf[0] = 0;
		ws(j);
		if (str(j, keys ? &k : &(struct sout){ 0 }) < 0)
			return -1;
		ws(j);
		if (j->p >= j->e || *j->p++ != ':')
			return -1;
		ws(j);
		for (i = 0; keys && keys[i] && !*found && !k.trunc; i++)
			if (!strcmp(kbuf, keys[i]))
				match = 1;
		if (match && j->p < j->e && *j->p == '"') {
			if (str(j, want) < 0)
				return -1;
			*found = 1;
		} else if (value(j) < 0) {
			return -1;
		}
		ws(j);
		if (j->p >= j->e)
			return -1;
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int elements(struct jp *j)
{
	ws(j);
	if (j->p < j->e && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		ws(j);
		if (value(j) < 0)
			return -1;
		ws(j);
		if (j->p >= j->e)
			return -1;
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int value(struct jp *j)
{
	int r, found = 0;

	if (j->p >= j->e)
		return -1;
	switch (*j->p) {
	case '"':
		return str(j, &(struct sout){ 0 });
	case '{':
	case '[':
		if (++j->depth > JSON_MAX_DEPTH)
			return -1;
		r = *j->p++ == '{' ? members(j, NULL, NULL, &found) : elements(j);
		j->depth--;
		return r;
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	default:  return number(j);
	}
}

int json_obj_str(const char *doc, size_t len, const char *const *keys, char *out, size_t cap)
{
	struct jp j = { (const unsigned char *)doc, (const unsigned char *)doc + len, 1 };
	struct sout o = { out, cap, 0, 0 };
	int found = 0;

	if (!cap)
		return JSON_BAD;
	out[0] = 0;
	ws(&j);
	if (j.p >= j.e || *j.p++ != '{')
		return JSON_BAD;
	if (members(&j, keys, &o, &found) < 0)
		return JSON_BAD;
	ws(&j);
	if (j.p != j.e)
		return JSON_BAD;     /* something after the object */
	if (o.trunc)
		return JSON_TOO_LONG;
	return found ? JSON_FOUND : JSON_ABSENT;
}

size_t json_escape_text(char *dst, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!cap)
		return 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[7];
		size_t n = 2;

		esc[0] = '\\';
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (ch < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[ch >> 4]; esc[5] = hex[ch & 15]; n = 6;
			} else {
				esc[0] = (char)ch; n = 1;
			}
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = 0;
	return o;
}
