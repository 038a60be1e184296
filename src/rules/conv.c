/* Converters (HAProxy's 7.3.1), except the map_* family (conv_map.c).
 * Each transforms the sample in place; a result longer than its input is
 * written into the request's arena (a full arena makes the converter fail,
 * and the expression has no value). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <tandem/regex.h>
#include <tandem/sample.h>
#include "rules_int.h"

/* ---- case, length, trimming ---- */

static int c_lower(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a;
	if (!smp_make_rw(s, 0, c))
		return 0;
	for (size_t i = 0; i < s->u.str.len; i++)
		((char *)s->u.str.p)[i] = (char)tolower((unsigned char)s->u.str.p[i]);
	return 1;
}

static int c_upper(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a;
	if (!smp_make_rw(s, 0, c))
		return 0;
	for (size_t i = 0; i < s->u.str.len; i++)
		((char *)s->u.str.p)[i] = (char)toupper((unsigned char)s->u.str.p[i]);
	return 1;
}

static int c_length(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_int(s, (long long)s->u.str.len);
	return 1;
}

static int c_ltrim(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)c;
	while (s->u.str.len && memchr(a[0].u.str.p, s->u.str.p[0], a[0].u.str.len)) {
		s->u.str.p++;
		s->u.str.len--;
	}
	return 1;
}

static int c_rtrim(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)c;
	while (s->u.str.len && memchr(a[0].u.str.p, s->u.str.p[s->u.str.len - 1], a[0].u.str.len))
		s->u.str.len--;
	return 1;
}

static int c_cut_crlf(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	for (size_t i = 0; i < s->u.str.len; i++)
		if (s->u.str.p[i] == '\r' || s->u.str.p[i] == '\n') {
			s->u.str.len = i;
			break;
		}
	return 1;
}

/* ---- field / word ---- */

static int is_delim(const struct smp_arg *d, char ch)
{
	return memchr(d->u.str.p, ch, d->u.str.len) != NULL;
}

/* Extract fields [first, first+count) (count 0: to the end), 1-based,
 * negative <idx> counting from the end. <words>: consecutive delimiters
 * count as one and delimiters at both ends are ignored. */
static int extract(const struct smp_arg *a, struct sample *s, int words)
{
	long idx = (long)a[0].u.sint, cnt = a[2].type == ARGT_SINT ? (long)a[2].u.sint : 1;
	const char *p = s->u.str.p, *e = p + s->u.str.len;
	const char *start[512 + 1];
	const char *end[512 + 1];
	long n = 0, first;

	if (!idx || cnt < 0)
		return 0;
	/* split into at most 512 fields (more are merged into the last one) */
	while (p <= e && n < 512) {
		const char *q = p;

		if (words)
			while (q < e && is_delim(&a[1], *q))
				q++;
		if (words && q == e)
			break;
		start[n] = q;
		while (q < e && !is_delim(&a[1], *q))
			q++;
		end[n++] = q;
		if (q == e)
			break;
		p = q + 1;
	}
	if (n == 512)
		end[n - 1] = e;
	if (!n)
		return 0;
	first = idx > 0 ? idx - 1 : n + idx;
	if (first < 0 || first >= n)
		return 0;
	if (idx > 0) {
		long last = cnt ? first + cnt - 1 : n - 1;

		if (last >= n)
			last = n - 1;
		s->u.str.p = start[first];
		s->u.str.len = (size_t)(end[last] - start[first]);
	} else {
		/* negative: <count> fields ending at <first>, going backwards */
		long lo = cnt ? first - cnt + 1 : 0;

		if (lo < 0)
			lo = 0;
		s->u.str.p = start[lo];
		s->u.str.len = (size_t)(end[first] - start[lo]);
	}
	return 1;
}

static int c_field(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)c;
	return extract(a, s, 0);
}

static int c_word(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)c;
	return extract(a, s, 1);
}

/* ---- regsub ---- */

enum { RS_GLOBAL = 1 };

static int chk_regsub(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	int icase = 0, flags = 0;
	struct regex *re;

	(void)pc;
	if (a[2].type == ARGT_STR) {
		for (const char *f = a[2].u.str.p; *f; f++) {
			if (*f == 'i')
				icase = 1;
			else if (*f == 'g')
				flags |= RS_GLOBAL;
			else {
				snprintf(err, errlen, "converter 'regsub' : invalid flag '%c' (expects 'i' and 'g')", *f);
				return -1;
			}
		}
		free(a[2].u.str.p);
	}
	a[2].type = ARGT_SINT;
	a[2].u.sint = flags;
	if (!(re = regex_compile(a[0].u.str.p, a[0].u.str.len, icase, err, errlen)))
		return -1;
	free(a[0].u.str.p);
	a[0].type = ARGT_REG;
	a[0].u.re = re;
	return 0;
}

/* Append the substitution <sub> (with \0..\9 backreferences) for a match. */
static int put_sub(char **w, char *lim, const char *src, const char *sub, size_t sl, const size_t *ov)
{
	for (size_t i = 0; i < sl; i++) {
		if (sub[i] == '\\' && i + 1 < sl && isdigit((unsigned char)sub[i + 1])) {
			int g = sub[++i] - '0';
			size_t b = ov[2 * g], e = ov[2 * g + 1];

			if (b != (size_t)-1) {
				if ((size_t)(lim - *w) < e - b)
					return -1;
				memcpy(*w, src + b, e - b);
				*w += e - b;
			}
			continue;
		}
		if (sub[i] == '\\' && i + 1 < sl)
			i++;
		if (*w >= lim)
			return -1;
		*(*w)++ = sub[i];
	}
	return 0;
}

static int c_regsub(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	const struct regex *re = a[0].u.re;
	const char *src = s->u.str.p;
	size_t len = s->u.str.len, pos = 0, room;
	size_t ov[2 * REGEX_MAX_GROUPS];
	struct smp_arena *ar = c->arena;
	char *out, *w, *lim;

	if (!ar)
		return 0;
	/* write into what is left of the arena, then keep only what was used */
	room = ar->size - ar->used;
	out = w = ar->area + ar->used;
	lim = out + room;
	while (pos <= len && regex_exec(re, src, len, pos, ov)) {
		size_t mb = ov[0], me = ov[1];

		if ((size_t)(lim - w) < mb - pos)
			return 0;
		memcpy(w, src + pos, mb - pos);
		w += mb - pos;
		if (put_sub(&w, lim, src, a[1].u.str.p, a[1].u.str.len, ov) < 0)
			return 0;
		if (me == mb) {
			/* empty match: copy one character to move on */
			if (me < len) {
				if (w >= lim)
					return 0;
				*w++ = src[me];
			}
			pos = me + 1;
		} else {
			pos = me;
		}
		if (!(a[2].u.sint & RS_GLOBAL))
			break;
	}
	if (pos < len) {
		if ((size_t)(lim - w) < len - pos)
			return 0;
		memcpy(w, src + pos, len - pos);
		w += len - pos;
	}
	if (!smp_alloc(c, (size_t)(w - out)) && w > out)
		return 0;
	smp_set_str(s, out, (size_t)(w - out), 0);
	return 1;
}

/* ---- encodings ---- */

static int c_base64(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, int url)
{
	char *o = smp_alloc(c, (s->u.str.len + 2) / 3 * 4 + 1);

	(void)a;
	if (!o)
		return 0;
	smp_set_str(s, o, b64_encode(s->u.str.p, s->u.str.len, o, url), 0);
	return 1;
}

static int c_b64enc(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	return c_base64(a, s, c, 0);
}

static int c_ub64enc(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	return c_base64(a, s, c, 1);
}

static int c_b64d(const struct sample *in, struct sample *s, struct smp_ctx *c, int url)
{
	char *o = smp_alloc(c, in->u.str.len * 3 / 4 + 3);
	long n;

	if (!o || (n = b64_decode(in->u.str.p, in->u.str.len, o, url)) < 0)
		return 0;
	smp_set_str(s, o, (size_t)n, 0);
	s->type = SMP_T_BIN;
	return 1;
}

static int c_b64dec(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	struct sample in = *s;

	(void)a;
	return c_b64d(&in, s, c, 0);
}

static int c_ub64dec(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	struct sample in = *s;

	(void)a;
	return c_b64d(&in, s, c, 1);
}

static int c_hex(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	static const char hx[] = "0123456789ABCDEF";
	char *o = smp_alloc(c, s->u.str.len * 2 + 1);

	(void)a;
	if (!o)
		return 0;
	for (size_t i = 0; i < s->u.str.len; i++) {
		o[2 * i] = hx[(uint8_t)s->u.str.p[i] >> 4];
		o[2 * i + 1] = hx[(uint8_t)s->u.str.p[i] & 15];
	}
	smp_set_str(s, o, s->u.str.len * 2, 0);
	return 1;
}

static int c_hex2i(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	long long v = 0;

	(void)a; (void)c;
	for (size_t i = 0; i < s->u.str.len; i++) {
		int d = hex_val((unsigned char)s->u.str.p[i]);

		if (d < 0 || i >= 16) {
			v = 0;
			break;
		}
		v = (long long)((unsigned long long)v << 4 | (unsigned)d);
	}
	smp_set_int(s, v);
	return 1;
}

static int c_htonl(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	uint32_t v = htonl((uint32_t)s->u.sint);
	char *o = smp_alloc(c, 4);

	(void)a;
	if (!o)
		return 0;
	memcpy(o, &v, 4);
	smp_set_str(s, o, 4, 0);
	s->type = SMP_T_BIN;
	return 1;
}

static int c_bytes(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	size_t off = (size_t)a[0].u.sint;

	(void)c;
	if (off > s->u.str.len) {
		s->u.str.len = 0;
		return 1;
	}
	s->u.str.p += off;
	s->u.str.len -= off;
	if (a[1].type == ARGT_SINT && (size_t)a[1].u.sint < s->u.str.len)
		s->u.str.len = (size_t)a[1].u.sint;
	return 1;
}

static int chk_nonneg(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	for (int i = 0; i < 2; i++)
		if (a[i].type == ARGT_SINT && a[i].u.sint < 0) {
			snprintf(err, errlen, "expects a positive number, got %lld", a[i].u.sint);
			return -1;
		}
	return 0;
}

static int c_url_dec(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	long n;

	if (!smp_make_rw(s, 0, c))
		return 0;
	if ((n = url_decode((char *)s->u.str.p, s->u.str.len, a[0].type == ARGT_SINT && a[0].u.sint)) < 0)
		return 0;
	s->u.str.len = (size_t)n;
	return 1;
}

/* url_enc: RFC 3986 unreserved characters stay, everything else is %XX
 * (HAProxy's "query" encoding). */
static int c_url_enc(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	static const char hx[] = "0123456789ABCDEF";
	char *o = smp_alloc(c, s->u.str.len * 3 + 1), *w = o;

	(void)a;
	if (!o)
		return 0;
	for (size_t i = 0; i < s->u.str.len; i++) {
		unsigned char ch = (unsigned char)s->u.str.p[i];

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			*w++ = (char)ch;
		} else {
			*w++ = '%';
			*w++ = hx[ch >> 4];
			*w++ = hx[ch & 15];
		}
	}
	smp_set_str(s, o, (size_t)(w - o), 0);
	return 1;
}

static int chk_url_enc(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	if (a[0].type == ARGT_STR && strcmp(a[0].u.str.p, "query")) {
		snprintf(err, errlen, "converter 'url_enc' : only the 'query' encoding exists, got '%s'", a[0].u.str.p);
		return -1;
	}
	return 0;
}

/* ---- json ---- */

enum { J_ASCII = 0, J_UTF8, J_UTF8S, J_UTF8P, J_UTF8PS };

static int chk_json(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	static const char *const names[] = { "ascii", "utf8", "utf8s", "utf8p", "utf8ps" };
	int m = J_ASCII;

	(void)pc;
	if (a[0].type == ARGT_STR) {
		for (m = 0; m < 5 && strcmp(names[m], a[0].u.str.p); m++)
			;
		if (m == 5) {
			snprintf(err, errlen, "converter 'json' : unknown input code '%s' (ascii, utf8, utf8s, utf8p, utf8ps)",
				 a[0].u.str.p);
			return -1;
		}
		free(a[0].u.str.p);
	}
	a[0].type = ARGT_SINT;
	a[0].u.sint = m;
	return 0;
}

/* Decode one UTF-8 character at p[0..n): its code point and length, or
 * -1 (bad sequence / range), -2 (overlong: code point still returned). */
static int utf8_next(const unsigned char *p, size_t n, unsigned *cp, size_t *len)
{
	unsigned c = p[0], v, min;
	size_t l;

	if (c < 0x80) { *cp = c; *len = 1; return 0; }
	if ((c & 0xe0) == 0xc0) { l = 2; v = c & 0x1f; min = 0x80; }
	else if ((c & 0xf0) == 0xe0) { l = 3; v = c & 0x0f; min = 0x800; }
	else if ((c & 0xf8) == 0xf0) { l = 4; v = c & 0x07; min = 0x10000; }
	else { *len = 1; return -1; }
	if (l > n) { *len = 1; return -1; }
	for (size_t i = 1; i < l; i++) {
		if ((p[i] & 0xc0) != 0x80) { *len = i; return -1; }
		v = v << 6 | (p[i] & 0x3f);
	}
	*len = l;
	*cp = v;
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	return v < min ? -2 : 0;
}

static int c_json(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	int mode = (int)a[0].u.sint;
	const unsigned char *p = (const unsigned char *)s->u.str.p;
	size_t n = s->u.str.len, i = 0;
	char *o = smp_alloc(c, n * 6 + 1), *w = o;

	if (!o)
		return 0;
	while (i < n) {
		unsigned cp;
		size_t l = 1;

		if (mode == J_ASCII || p[i] < 0x80) {
			cp = p[i];
		} else {
			int r = utf8_next(p + i, n - i, &cp, &l);

			if (r == -2 && (mode == J_UTF8 || mode == J_UTF8S))
				r = -1;   /* overlong: only the permissive modes fix it */
			if (r == 0 && cp > 0xffff)
				r = -1;   /* does not fit \uXXXX */
			if (r == -1) {
				if (mode == J_UTF8 || mode == J_UTF8P)
					return 0;
				i += l;   /* "s": silently dropped */
				continue;
			}
		}
		i += l;
		switch (cp) {
		case '"':  *w++ = '\\'; *w++ = '"'; break;
		case '\\': *w++ = '\\'; *w++ = '\\'; break;
		case '/':  *w++ = '\\'; *w++ = '/'; break;
		case '\b': *w++ = '\\'; *w++ = 'b'; break;
		case '\f': *w++ = '\\'; *w++ = 'f'; break;
		case '\n': *w++ = '\\'; *w++ = 'n'; break;
		case '\r': *w++ = '\\'; *w++ = 'r'; break;
		case '\t': *w++ = '\\'; *w++ = 't'; break;
		default:
			if (cp < 0x20 || cp >= 0x7f)
				w += sprintf(w, "\\u%04x", cp);
			else
				*w++ = (char)cp;
		}
	}
	smp_set_str(s, o, (size_t)(w - o), 0);
	return 1;
}

/* ---- addresses, hosts ---- */

static int c_ipmask(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)c;
	if (s->type == SMP_T_IPV4) {
		s->u.ipv4.s_addr &= a[0].u.ipv4.s_addr;
		return 1;
	}
	if (s->type == SMP_T_IPV6) {
		if (a[1].type != ARGT_MSK6)
			return 0;   /* no IPv6 mask: no value (HAProxy) */
		for (int i = 0; i < 16; i++)
			s->u.ipv6.s6_addr[i] &= a[1].u.ipv6.s6_addr[i];
		return 1;
	}
	return 0;
}

/* Split a Host value: name (brackets kept for IPv6) and port. */
static void host_port(const char *p, size_t n, size_t *hl, const char **port, size_t *pl)
{
	const char *e = p + n, *colon = NULL;

	if (n && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb && rb + 1 < e && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(p, ':', n);
	}
	*hl = colon ? (size_t)(colon - p) : n;
	*port = colon ? colon + 1 : e;
	*pl = colon ? (size_t)(e - colon - 1) : 0;
}

static int c_host_only(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	const char *port;
	size_t hl, pl;

	host_port(s->u.str.p, s->u.str.len, &hl, &port, &pl);
	s->u.str.len = hl;
	return c_lower(a, s, c);
}

static int c_port_only(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	const char *port;
	size_t hl, pl;
	long long v = 0;

	(void)a; (void)c;
	host_port(s->u.str.p, s->u.str.len, &hl, &port, &pl);
	for (size_t i = 0; i < pl && isdigit((unsigned char)port[i]) && v < 100000; i++)
		v = v * 10 + (port[i] - '0');
	smp_set_int(s, v);
	return 1;
}

/* ---- integers ---- */

/* The operand: a constant, or a variable's value as an integer. */
static int operand(const struct smp_arg *a, struct smp_ctx *c, long long *v)
{
	struct sample tmp;

	if (a->type == ARGT_SINT) {
		*v = a->u.sint;
		return 1;
	}
	if (a->type != ARGT_VAR || !vars_get(c, a->u.var, &tmp) || !smp_cast(&tmp, SMP_T_SINT, c))
		return 0;
	*v = tmp.u.sint;
	return 1;
}

/* "<value> can be a numeric value or a variable name". */
static int chk_int_or_var(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	char *s = a[0].u.str.p, *end;
	long long v;

	if (!*s) {
		snprintf(err, errlen, "expects an integer or a variable name");
		return -1;
	}
	v = strtoll(s, &end, 10);
	if (!*end) {
		free(s);
		a[0].type = ARGT_SINT;
		a[0].u.sint = v;
		return 0;
	}
	{
		int id = vars_register(pc->rcfg, s, strlen(s), err, errlen);

		if (id < 0)
			return -1;
		free(s);
		a[0].type = ARGT_VAR;
		a[0].u.var = id;
	}
	return 0;
}

#define ARITH(name, expr) \
static int c_##name(const struct smp_arg *a, struct sample *s, struct smp_ctx *c) \
{ \
	long long x = s->u.sint, y; \
	if (!operand(&a[0], c, &y)) \
		return 0; \
	smp_set_int(s, (expr)); \
	return 1; \
}

static long long sat_add(long long x, long long y)
{
	long long r;

	if (__builtin_add_overflow(x, y, &r))
		return y > 0 ? LLONG_MAX : LLONG_MIN;
	return r;
}

static long long sat_mul(long long x, long long y)
{
	long long r;

	if (__builtin_mul_overflow(x, y, &r))
		return (x < 0) != (y < 0) ? LLONG_MIN : LLONG_MAX;
	return r;
}

ARITH(add, sat_add(x, y))
ARITH(sub, y == LLONG_MIN ? sat_add(sat_add(x, LLONG_MAX), 1) : sat_add(x, -y))
ARITH(mul, sat_mul(x, y))
ARITH(div, y == 0 ? LLONG_MAX : (x == LLONG_MIN && y == -1) ? LLONG_MAX : x / y)
ARITH(mod, y == 0 ? 0 : (y == -1 ? 0 : x % y))
ARITH(and, x & y)
ARITH(or, x | y)
ARITH(xor, x ^ y)

static int c_neg(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_int(s, s->u.sint == LLONG_MIN ? LLONG_MAX : -s->u.sint);
	return 1;
}

static int c_cpl(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_int(s, ~s->u.sint);
	return 1;
}

static int c_not(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_bool(s, !s->u.sint);
	return 1;
}

static int c_bool(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_bool(s, !!s->u.sint);
	return 1;
}

static int c_odd(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_bool(s, s->u.sint & 1);
	return 1;
}

static int c_even(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)a; (void)c;
	smp_set_bool(s, !(s->u.sint & 1));
	return 1;
}

static int c_iif(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	const struct smp_arg *r = s->u.sint ? &a[0] : &a[1];

	(void)c;
	smp_set_str(s, r->u.str.p, r->u.str.len, SMP_F_CONST);
	return 1;
}

/* ---- dates ---- */

static int fmt_time(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, int utc)
{
	time_t t = (time_t)(s->u.sint + (a[1].type == ARGT_SINT ? a[1].u.sint : 0));
	struct tm tm;
	char *o = smp_alloc(c, 256);
	size_t n;

	if (!o || !(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)))
		return 0;
	n = strftime(o, 256, a[0].u.str.p, &tm);
	smp_set_str(s, o, n, 0);
	return 1;
}

static int c_ltime(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	return fmt_time(a, s, c, 0);
}

static int c_utime(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	return fmt_time(a, s, c, 1);
}

static int chk_http_date(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	if (a[1].type == ARGT_STR) {
		long long div;

		if (!strcmp(a[1].u.str.p, "s"))
			div = 1;
		else if (!strcmp(a[1].u.str.p, "ms"))
			div = 1000;
		else if (!strcmp(a[1].u.str.p, "us"))
			div = 1000000;
		else {
			snprintf(err, errlen, "converter 'http_date' : invalid unit '%s' (s, ms or us)", a[1].u.str.p);
			return -1;
		}
		free(a[1].u.str.p);
		a[1].type = ARGT_SINT;
		a[1].u.sint = div;
	}
	return 0;
}

/* RFC 9110 5.6.7 IMF-fixdate. */
static int c_http_date(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	long long div = a[1].type == ARGT_SINT ? a[1].u.sint : 1;
	long long v = sat_add(s->u.sint, a[0].type == ARGT_SINT ? a[0].u.sint : 0);
	time_t t = (time_t)(v / div);
	struct tm tm;
	char *o = smp_alloc(c, 64);
	int n;

	if (!o || !gmtime_r(&t, &tm))
		return 0;
	n = snprintf(o, 64, "%s, %02d %s %04d %02d:%02d:%02d GMT", day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	smp_set_str(s, o, (size_t)n, 0);
	return 1;
}

/* ---- variables: concat, add_item, strcmp, set-var, unset-var ---- */

static int var_str(const struct smp_arg *a, struct smp_ctx *c, struct sample *out)
{
	return a->type == ARGT_VAR && vars_get(c, a->u.var, out) && smp_cast(out, SMP_T_STR, c);
}

static int append(struct sample *s, struct smp_ctx *c, const char *const *parts, const size_t *lens, int n)
{
	size_t tot = s->u.str.len;
	char *o;

	for (int i = 0; i < n; i++)
		tot += lens[i];
	if (!(o = smp_alloc(c, tot + 1)))
		return 0;
	memcpy(o, s->u.str.p, s->u.str.len);
	tot = s->u.str.len;
	for (int i = 0; i < n; i++) {
		memcpy(o + tot, parts[i], lens[i]);
		tot += lens[i];
	}
	smp_set_str(s, o, tot, 0);
	return 1;
}

static int c_concat(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	struct sample v;
	const char *p[3] = { "", "", "" };
	size_t l[3] = { 0, 0, 0 };

	if (a[0].type == ARGT_STR) {
		p[0] = a[0].u.str.p;
		l[0] = a[0].u.str.len;
	}
	if (var_str(&a[1], c, &v)) {
		p[1] = v.u.str.p;
		l[1] = v.u.str.len;
	}
	if (a[2].type == ARGT_STR) {
		p[2] = a[2].u.str.p;
		l[2] = a[2].u.str.len;
	}
	return append(s, c, p, l, 3);
}

static int c_add_item(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	struct sample v;
	const char *p[3] = { "", "", "" };
	size_t l[3] = { 0, 0, 0 };

	if (var_str(&a[1], c, &v)) {
		p[1] = v.u.str.p;
		l[1] = v.u.str.len;
	}
	if (a[2].type == ARGT_STR) {
		p[2] = a[2].u.str.p;
		l[2] = a[2].u.str.len;
	}
	/* the delimiter only between two non-empty parts */
	if (s->u.str.len && (l[1] || l[2])) {
		p[0] = a[0].u.str.p;
		l[0] = a[0].u.str.len;
	}
	return append(s, c, p, l, 3);
}

static int chk_add_item(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	if (a[1].type == ARGT_STOP && a[2].type == ARGT_STOP) {
		snprintf(err, errlen, "converter 'add_item' : expects a variable or a suffix after the delimiter");
		return -1;
	}
	return 0;
}

static int c_strcmp(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	struct sample v;
	size_t n;
	int r;

	if (!var_str(&a[0], c, &v))
		return 0;
	n = s->u.str.len < v.u.str.len ? s->u.str.len : v.u.str.len;
	r = memcmp(s->u.str.p, v.u.str.p, n);
	if (!r)
		r = s->u.str.len < v.u.str.len ? -1 : s->u.str.len > v.u.str.len;
	smp_set_int(s, r);
	return 1;
}

/* set-var(name[,cond...]) as a converter: sets and passes the value on. */
enum {
	VC_IFEXISTS = 1, VC_IFNOTEXISTS = 2, VC_IFEMPTY = 4, VC_IFNOTEMPTY = 8,
	VC_IFSET = 16, VC_IFNOTSET = 32, VC_IFGT = 64, VC_IFLT = 128,
};

int rules_var_cond_parse(const char *w, size_t len)
{
	static const char *const names[] = {
		"ifexists", "ifnotexists", "ifempty", "ifnotempty", "ifset", "ifnotset", "ifgt", "iflt"
	};

	for (size_t i = 0; i < 8; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], w, len))
			return 1 << i;
	return -1;
}

/* Do the set-var conditions <conds> allow setting variable <id> to <v>? */
int rules_var_cond_ok(struct smp_ctx *c, int id, int conds, const struct sample *v)
{
	struct sample old;
	int exists;

	if (!conds)
		return 1;
	exists = vars_get(c, id, &old);
	if ((conds & (VC_IFEXISTS | VC_IFSET)) && !exists)
		return 0;
	if ((conds & (VC_IFNOTEXISTS | VC_IFNOTSET)) && exists)
		return 0;
	if (conds & (VC_IFEMPTY | VC_IFNOTEMPTY)) {
		int empty = (v->type == SMP_T_STR || v->type == SMP_T_BIN) ? v->u.str.len == 0 :
			    (v->type == SMP_T_SINT || v->type == SMP_T_BOOL) ? v->u.sint == 0 : 0;

		if ((conds & VC_IFEMPTY) && !empty)
			return 0;
		if ((conds & VC_IFNOTEMPTY) && empty)
			return 0;
	}
	if (conds & (VC_IFGT | VC_IFLT)) {
		struct sample a = *v;

		if (!exists || !smp_cast(&old, SMP_T_SINT, c) || !smp_cast(&a, SMP_T_SINT, c))
			return 0;
		if ((conds & VC_IFGT) && !(a.u.sint > old.u.sint))
			return 0;
		if ((conds & VC_IFLT) && !(a.u.sint < old.u.sint))
			return 0;
	}
	return 1;
}

static int chk_setvar_conds(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	int conds = 0;

	(void)pc;
	for (int i = 1; i < SMP_MAX_ARGS; i++) {
		int cnd;

		if (a[i].type != ARGT_STR)
			continue;
		if ((cnd = rules_var_cond_parse(a[i].u.str.p, a[i].u.str.len)) < 0) {
			snprintf(err, errlen, "converter 'set-var' : unknown condition '%s'", a[i].u.str.p);
			return -1;
		}
		conds |= cnd;
		free(a[i].u.str.p);
		a[i].type = ARGT_STOP;
		a[i].u.str.p = NULL;
	}
	a[1].type = ARGT_SINT;
	a[1].u.sint = conds;
	return 0;
}

static int c_set_var(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	if (rules_var_cond_ok(c, a[0].u.var, (int)a[1].u.sint, s))
		vars_set(c, a[0].u.var, s);
	return 1;
}

static int c_unset_var(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	(void)s;
	vars_unset(c, a[0].u.var);
	return 1;
}

/* capture-req(id) / capture-res(id): store and pass on. */
static int capture(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, int rsp)
{
	struct sample t = *s;

	if (c->txn && smp_cast(&t, SMP_T_STR, c))
		txn_capture(c->txn, rsp, (int)a[0].u.sint, t.u.str.p, t.u.str.len);
	return 1;
}

static int c_capture_req(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	return capture(a, s, c, 0);
}

static int c_capture_res(const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	return capture(a, s, c, 1);
}

#define S SMP_T_STR
#define I SMP_T_SINT
#define B SMP_T_BIN
#define A SMP_T_ANY
#define VOL SMP_KW_VOLATILE

const struct smp_conv_kw smp_conv_std[] = {
	{ "lower",      c_lower,      { 0 }, 0, S, S, 0, NULL, NULL },
	{ "upper",      c_upper,      { 0 }, 0, S, S, 0, NULL, NULL },
	{ "length",     c_length,     { 0 }, 0, S, I, 0, NULL, NULL },
	{ "ltrim",      c_ltrim,      { ARGT_STR }, 1, S, S, 0, NULL, NULL },
	{ "rtrim",      c_rtrim,      { ARGT_STR }, 1, S, S, 0, NULL, NULL },
	{ "cut_crlf",   c_cut_crlf,   { 0 }, 0, S, S, 0, NULL, NULL },
	{ "field",      c_field,      { ARGT_SINT, ARGT_STR, ARGT_SINT }, 2, S, S, 0, NULL, NULL },
	{ "word",       c_word,       { ARGT_SINT, ARGT_STR, ARGT_SINT }, 2, S, S, 0, NULL, NULL },
	{ "regsub",     c_regsub,     { ARGT_STR, ARGT_STR, ARGT_STR }, 2, S, S, 0, chk_regsub, NULL },
	{ "base64",     c_b64enc,     { 0 }, 0, B, S, 0, NULL, NULL },
	{ "b64dec",     c_b64dec,     { 0 }, 0, S, B, 0, NULL, NULL },
	{ "ub64enc",    c_ub64enc,    { 0 }, 0, B, S, 0, NULL, NULL },
	{ "ub64dec",    c_ub64dec,    { 0 }, 0, S, B, 0, NULL, NULL },
	{ "hex",        c_hex,        { 0 }, 0, B, S, 0, NULL, NULL },
	{ "hex2i",      c_hex2i,      { 0 }, 0, S, I, 0, NULL, NULL },
	{ "htonl",      c_htonl,      { 0 }, 0, I, B, 0, NULL, NULL },
	{ "bytes",      c_bytes,      { ARGT_SINT, ARGT_SINT }, 1, B, B, 0, chk_nonneg, NULL },
	{ "url_dec",    c_url_dec,    { ARGT_SINT }, 0, S, S, 0, NULL, NULL },
	{ "url_enc",    c_url_enc,    { ARGT_STR }, 0, S, S, 0, chk_url_enc, NULL },
	{ "json",       c_json,       { ARGT_STR }, 0, S, S, 0, chk_json, NULL },
	{ "ipmask",     c_ipmask,     { ARGT_MSK4, ARGT_MSK6 }, 1, SMP_T_ADDR, A, 0, NULL, NULL },
	{ "host_only",  c_host_only,  { 0 }, 0, S, S, 0, NULL, NULL },
	{ "port_only",  c_port_only,  { 0 }, 0, S, I, 0, NULL, NULL },
	{ "add",        c_add,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "sub",        c_sub,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "mul",        c_mul,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "div",        c_div,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "mod",        c_mod,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "and",        c_and,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "or",         c_or,         { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "xor",        c_xor,        { ARGT_STR }, 1, I, I, 0, chk_int_or_var, NULL },
	{ "neg",        c_neg,        { 0 }, 0, I, I, 0, NULL, NULL },
	{ "cpl",        c_cpl,        { 0 }, 0, I, I, 0, NULL, NULL },
	{ "not",        c_not,        { 0 }, 0, I, SMP_T_BOOL, 0, NULL, NULL },
	{ "bool",       c_bool,       { 0 }, 0, I, SMP_T_BOOL, 0, NULL, NULL },
	{ "odd",        c_odd,        { 0 }, 0, I, SMP_T_BOOL, 0, NULL, NULL },
	{ "even",       c_even,       { 0 }, 0, I, SMP_T_BOOL, 0, NULL, NULL },
	{ "iif",        c_iif,        { ARGT_STR, ARGT_STR }, 2, SMP_T_BOOL, S, 0, NULL, NULL },
	{ "ltime",      c_ltime,      { ARGT_STR, ARGT_SINT }, 1, I, S, 0, NULL, NULL },
	{ "utime",      c_utime,      { ARGT_STR, ARGT_SINT }, 1, I, S, 0, NULL, NULL },
	{ "http_date",  c_http_date,  { ARGT_SINT, ARGT_STR }, 0, I, S, 0, chk_http_date, NULL },
	{ "concat",     c_concat,     { ARGT_STR, ARGT_VAR, ARGT_STR }, 0, S, S, VOL, NULL, NULL },
	{ "add_item",   c_add_item,   { ARGT_STR, ARGT_VAR, ARGT_STR }, 1, S, S, VOL, chk_add_item, NULL },
	{ "strcmp",     c_strcmp,     { ARGT_VAR }, 1, S, I, VOL, NULL, NULL },
	{ "set-var",    c_set_var,    { ARGT_VAR, ARGT_STR, ARGT_STR, ARGT_STR, ARGT_STR }, 1, A, A, VOL,
	  chk_setvar_conds, NULL },
	{ "unset-var",  c_unset_var,  { ARGT_VAR }, 1, A, A, VOL, NULL, NULL },
	{ "capture-req",c_capture_req,{ ARGT_SINT }, 1, A, A, VOL, NULL, NULL },
	{ "capture-res",c_capture_res,{ ARGT_SINT }, 1, A, A, VOL, NULL, NULL },
	{ .name = NULL }
};
