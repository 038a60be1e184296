/* Log-format strings (HAProxy's section 8.2.6): "%%" is a '%', "%name"
 * a variable (alias), "%[expr]" a sample expression, "%{+Q,-X}name" the
 * same with flags; "%o" only sets the flags of every following variable.
 *
 * Rendering follows HAProxy's field by field: strings are quoted under +Q
 * and print "-" (or "" quoted) when absent; numbers are never quoted;
 * addresses and ports print in hexadecimal under +X; the request line and
 * URIs encode control bytes, '"' and '#' as "#XX"; header captures encode
 * '{', '|' and '}' too. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <tandem/clock.h>
#include <tandem/logfmt.h>
#include <tandem/proxy-t.h>
#include <tandem/qsbr.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/ssl.h>
#include "rules_int.h"

enum lf_alias {
	A_B, A_CC, A_CS, A_H, A_HM, A_HP, A_HPO, A_HQ, A_HU, A_HV, A_ID, A_ST, A_T, A_Ta, A_Tc, A_Td,
	A_Tl, A_Th, A_Ti, A_Tq, A_TR, A_Tr, A_Ts, A_Tt, A_Tu, A_Tw, A_U, A_ac, A_b, A_bc, A_bi, A_bp,
	A_bq, A_ci, A_cp, A_f, A_fc, A_fi, A_fp, A_ft, A_lc, A_hr, A_hrl, A_hs, A_hsl, A_ms, A_pid,
	A_r, A_rc, A_rt, A_s, A_sc, A_si, A_sp, A_sq, A_sslc, A_sslv, A_t, A_tr, A_trg, A_trl, A_ts,
	A_tsc, A_COUNT
};

static const char *const alias_names[A_COUNT] = {
	"B", "CC", "CS", "H", "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "ST", "T", "Ta", "Tc", "Td",
	"Tl", "Th", "Ti", "Tq", "TR", "Tr", "Ts", "Tt", "Tu", "Tw", "U", "ac", "b", "bc", "bi", "bp",
	"bq", "ci", "cp", "f", "fc", "fi", "fp", "ft", "lc", "hr", "hrl", "hs", "hsl", "ms", "pid",
	"r", "rc", "rt", "s", "sc", "si", "sp", "sq", "sslc", "sslv", "t", "tr", "trg", "trl", "ts",
	"tsc",
};

void logfmt_for_each_alias(void (*fn)(const char *name, void *arg), void *arg)
{
	fn("o", arg);
	for (int i = 0; i < A_COUNT; i++)
		fn(alias_names[i], arg);
}

/* ------------------------------------------------------------------ */
/* compiling                                                           */

void logfmt_free(struct logfmt *lf)
{
	if (!lf)
		return;
	for (int i = 0; i < lf->n; i++) {
		free(lf->node[i].text);
		smp_expr_free(lf->node[i].expr);
	}
	free(lf->node);
	free(lf->text);
	free(lf);
}

static struct lf_node *add_node(struct logfmt *lf, int type)
{
	struct lf_node *n = realloc(lf->node, (size_t)(lf->n + 1) * sizeof(*n));

	if (!n)
		return NULL;
	lf->node = n;
	n = &lf->node[lf->n++];
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t)type;
	return n;
}

/* Append literal bytes, merged with a preceding text node. */
static int add_text(struct logfmt *lf, const char *p, size_t len)
{
	struct lf_node *n = lf->n && lf->node[lf->n - 1].type == LF_TEXT ? &lf->node[lf->n - 1] : NULL;
	char *t;

	if (!len)
		return 0;
	if (!n && !(n = add_node(lf, LF_TEXT)))
		return -1;
	if (!(t = realloc(n->text, n->len + len + 1)))
		return -1;
	memcpy(t + n->len, p, len);
	n->len += len;
	t[n->len] = 0;
	n->text = t;
	return 0;
}

/* "{+Q,-X,+E}" -> flags applied on top of <base>. */
static int parse_flags(const char *p, const char *e, unsigned *fl, char *err, size_t errlen)
{
	while (p < e) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		size_t l = (size_t)((c ? c : e) - p);
		unsigned f = 0;

		if (l == 2 && (p[0] == '+' || p[0] == '-')) {
			if (p[1] == 'Q') f = LF_F_QUOTE;
			else if (p[1] == 'X') f = LF_F_HEX;
			else if (p[1] == 'E') f = LF_F_ESC;
		}
		if (!f) {
			snprintf(err, errlen, "unknown log-format flag '%.*s' (expects +Q, -Q, +X, -X, +E or -E)", (int)l, p);
			return -1;
		}
		if (p[0] == '+')
			*fl |= f;
		else
			*fl &= ~f;
		p += l + (c ? 1 : 0);
	}
	return 0;
}

static struct logfmt *parse(const char *text, const struct smp_pctx *pc, int phase, int words,
			    char *err, size_t errlen)
{
	struct logfmt *lf = calloc(1, sizeof(*lf));
	const char *p = text;
	unsigned base = 0;

	if (!lf || !(lf->text = strdup(text))) {
		free(lf);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*p) {
		const char *pct = strpbrk(p, words ? "% " : "%");
		unsigned fl;

		if (!pct) {
			if (add_text(lf, p, strlen(p)) < 0)
				goto oom;
			break;
		}
		if (add_text(lf, p, (size_t)(pct - p)) < 0)
			goto oom;
		if (*pct == ' ') {
			if (!add_node(lf, LF_SEP))
				goto oom;
			p = pct + 1;
			continue;
		}
		p = pct + 1;
		if (*p == '%') {
			if (add_text(lf, "%", 1) < 0)
				goto oom;
			p++;
			continue;
		}
		fl = base;
		if (*p == '{') {
			const char *cb = strchr(p, '}');

			if (!cb) {
				snprintf(err, errlen, "missing '}' after '%%{' in log-format '%s'", text);
				goto fail;
			}
			if (parse_flags(p + 1, cb, &fl, err, errlen) < 0)
				goto fail;
			p = cb + 1;
		}
		if (*p == '[') {
			struct lf_node *n;
			struct smp_expr *e;
			const char *end;
			char why[512];

			if (!(e = smp_expr_parse(p + 1, &end, pc, why, sizeof(why)))) {
				snprintf(err, errlen, "failed to parse sample expression <%s> : %s", p + 1, why);
				goto fail;
			}
			if (*end != ']') {
				snprintf(err, errlen, "missing ']' after sample expression <%s>", p + 1);
				smp_expr_free(e);
				goto fail;
			}
			if (phase >= 0 && !smp_src_ok(e->fetch->src, phase)) {
				snprintf(err, errlen, "sample fetch <%s> may not be reliably used here because it needs '%s' which is not available here",
					 e->text, smp_src_name(e->fetch->src, phase));
				smp_expr_free(e);
				goto fail;
			}
			if (!(n = add_node(lf, LF_EXPR))) {
				smp_expr_free(e);
				goto oom;
			}
			n->expr = e;
			n->flags = (uint8_t)fl;
			lf->src |= e->fetch->src;
			p = end + 1;
			continue;
		}
		{
			const char *nm = p;
			int a;

			while (isalpha((unsigned char)*p))
				p++;
			if (p == nm) {
				snprintf(err, errlen, "unexpected character '%c' after '%%' in log-format '%s' "
					 "(write '%%%%' for a '%%')", *p ? *p : ' ', text);
				goto fail;
			}
			if (p - nm == 1 && *nm == 'o') {
				base = fl;   /* %o: the flags apply to every following variable */
				continue;
			}
			for (a = 0; a < A_COUNT; a++)
				if (strlen(alias_names[a]) == (size_t)(p - nm) && !memcmp(alias_names[a], nm, (size_t)(p - nm)))
					break;
			if (a == A_COUNT) {
				snprintf(err, errlen, "no such format alias '%.*s'. If you wanted to emit the '%%' character verbatim, you need to use '%%%%'",
					 (int)(p - nm), nm);
				goto fail;
			}
			{
				struct lf_node *n = add_node(lf, LF_ALIAS);

				if (!n)
					goto oom;
				n->alias = (uint16_t)a;
				n->flags = (uint8_t)fl;
			}
			if (a == A_ID)
				lf->src |= SMP_SRC_TXN;
		}
	}
	lf->literal = lf->n == 0 || (lf->n == 1 && lf->node[0].type == LF_TEXT);
	/* the words of a directive: leading and trailing separators print nothing */
	return lf;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	logfmt_free(lf);
	return NULL;
}

struct logfmt *logfmt_parse(const char *text, const struct smp_pctx *pc, int phase, char *err, size_t errlen)
{
	return parse(text, pc, phase, 0, err, errlen);
}

struct logfmt *logfmt_parse_words(const char *text, const struct smp_pctx *pc, int phase, char *err, size_t errlen)
{
	return parse(text, pc, phase, 1, err, errlen);
}

int logfmt_uses(const struct logfmt *lf, unsigned src)
{
	return lf && (lf->src & src);
}

/* ------------------------------------------------------------------ */
/* output                                                              */

struct out {
	char *p, *end;     /* writes stop at end - 1 (room for the NUL) */
	int   full;        /* something did not fit */
	int   last_sep;    /* nothing printed since the last separator (or the start) */
};

static void o_putc(struct out *o, char c)
{
	if (o->p < o->end - 1)
		*o->p++ = c;
	else
		o->full = 1;
}

static void o_mem(struct out *o, const char *s, size_t n)
{
	size_t room = (size_t)(o->end - 1 - o->p);

	if (n > room) {
		n = room;
		o->full = 1;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void o_puts(struct out *o, const char *s)
{
	o_mem(o, s, strlen(s));
}

static void o_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void o_printf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		o_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Encoding maps: HAProxy's url_encode_map and hdr_encode_map. */
static int url_enc(unsigned char c)
{
	return c < 32 || c >= 127 || c == '"' || c == '#';
}

static int hdr_enc(unsigned char c)
{
	return url_enc(c) || c == '{' || c == '|' || c == '}';
}

static int log_enc(unsigned char c)
{
	return c < 32 || c == 127;
}

static void o_hexenc(struct out *o, unsigned char c)
{
	static const char hx[] = "0123456789ABCDEF";

	o_putc(o, '#');
	o_putc(o, hx[c >> 4]);
	o_putc(o, hx[c & 15]);
}

/* A text field: quoted under +Q, escaped under +E, <enc> bytes as #XX.
 * NULL prints "-" (or "" when quoted). */
static void o_text(struct out *o, const char *s, size_t n, unsigned fl, int (*enc)(unsigned char))
{
	if (!s) {
		o_puts(o, (fl & LF_F_QUOTE) ? "\"\"" : "-");
		return;
	}
	if (fl & LF_F_QUOTE)
		o_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (enc && enc(c)) {
			o_hexenc(o, c);
			continue;
		}
		if ((fl & LF_F_ESC) && (c == '"' || c == '\\' || c == ']'))
			o_putc(o, '\\');
		o_putc(o, (char)c);
	}
	if (fl & LF_F_QUOTE)
		o_putc(o, '"');
}

static void o_cstr(struct out *o, const char *s, unsigned fl)
{
	o_text(o, s, s ? strlen(s) : 0, fl, NULL);
}

static void o_int(struct out *o, long long v)
{
	o_printf(o, "%lld", v);
}

/* A time: -1 when unknown; <plus>: logasap's '+'. */
static void o_time(struct out *o, int v, int plus)
{
	if (plus && v >= 0)
		o_putc(o, '+');
	o_int(o, v < 0 ? -1 : v);
}

static void o_addr(struct out *o, const struct sockaddr_storage *ss, unsigned fl)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss && ss->ss_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;

		if (fl & LF_F_HEX) {
			o_printf(o, "%02X%02X%02X%02X", a[0], a[1], a[2], a[3]);
			return;
		}
		inet_ntop(AF_INET, a, ip, sizeof(ip));
	} else if (ss && ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
	} else {
		o_cstr(o, NULL, fl);
		return;
	}
	o_cstr(o, ip, fl);
}

static void o_port(struct out *o, const struct sockaddr_storage *ss, unsigned fl)
{
	int port;

	if (ss && ss->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss && ss->ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	else {
		o_putc(o, '-');
		return;
	}
	if (fl & LF_F_HEX)
		o_printf(o, "%04X", port);
	else
		o_int(o, port);
}

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static void tm_of(time_t sec, int gmt, struct tm *tm)
{
	static __thread time_t c_sec[2] = { -1, -1 };
	static __thread struct tm c_tm[2];

	if (c_sec[gmt] != sec) {
		if (gmt)
			gmtime_r(&sec, &c_tm[gmt]);
		else
			localtime_r(&sec, &c_tm[gmt]);
		c_sec[gmt] = sec;
	}
	*tm = c_tm[gmt];
}

/* 0: "dd/Mmm/yyyy:HH:MM:SS.mmm" local; 1: "... +0000" GMT; 2: "... +hhmm" local */
static void o_date(struct out *o, uint64_t us, int kind)
{
	struct tm tm;

	tm_of((time_t)(us / 1000000), kind == 1, &tm);
	o_printf(o, "%02d/%s/%04d:%02d:%02d:%02d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (kind == 0) {
		o_printf(o, ".%03d", (int)(us / 1000 % 1000));
	} else if (kind == 1) {
		o_puts(o, " +0000");
	} else {
		long off = tm.tm_gmtoff / 60;

		o_printf(o, " %c%02ld%02ld", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	}
}

/* Parts of the request line "METHOD URI VERSION". */
static void reqline(const struct lf_info *li, const struct smp_ctx *c, const char **m, size_t *ml,
		    const char **u, size_t *ul, const char **v, size_t *vl)
{
	const char *s = li && li->req_line ? li->req_line : c ? c->req_line : NULL;
	size_t len = li && li->req_line ? li->req_line_len : c ? c->req_line_len : 0;
	const char *e, *sp1, *sp2;

	*m = *u = *v = NULL;
	*ml = *ul = *vl = 0;
	if (!s)
		return;
	e = s + len;
	if (!(sp1 = memchr(s, ' ', len))) {
		*m = s;
		*ml = len;
		return;
	}
	*m = s;
	*ml = (size_t)(sp1 - s);
	for (sp2 = e; sp2 > sp1 + 1 && sp2[-1] != ' '; sp2--)
		;
	if (sp2 > sp1 + 1 && e - sp2 >= 5 && !memcmp(sp2, "HTTP/", 5)) {
		*v = sp2;
		*vl = (size_t)(e - sp2);
		*u = sp1 + 1;
		*ul = (size_t)(sp2 - 1 - *u);
	} else {
		*u = sp1 + 1;
		*ul = (size_t)(e - *u);
	}
}

static void o_caps(struct out *o, const struct txn_store *t, int rsp, int clf, unsigned fl)
{
	int n = t ? (rsp ? t->n_cap_rsp : t->n_cap_req) : 0;
	char *const *v = t ? (rsp ? t->cap_rsp : t->cap_req) : NULL;
	const uint16_t *l = t ? (rsp ? t->cap_rsp_len : t->cap_req_len) : NULL;

	if (!n)
		return;
	if (clf) {
		for (int i = 0; i < n; i++) {
			if (i)
				o_putc(o, ' ');
			if (v[i])
				o_text(o, v[i], l[i], fl, hdr_enc);
			else
				o_puts(o, (fl & LF_F_QUOTE) ? "\"-\"" : "-");
		}
		return;
	}
	if (fl & LF_F_QUOTE)
		o_putc(o, '"');
	o_putc(o, '{');
	for (int i = 0; i < n; i++) {
		if (i)
			o_putc(o, '|');
		if (v[i])
			o_text(o, v[i], l[i], fl & ~(unsigned)LF_F_QUOTE, hdr_enc);
	}
	o_putc(o, '}');
	if (fl & LF_F_QUOTE)
		o_putc(o, '"');
}

static const char *host_name(void)
{
	static char host[256];
	static int done;

	if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		char tmp[256];

		if (gethostname(tmp, sizeof(tmp) - 1) < 0)
			strcpy(tmp, "localhost");
		tmp[sizeof(tmp) - 1] = 0;
		memcpy(host, tmp, sizeof(host));
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	return host;
}

static void render_alias(struct out *o, int a, unsigned fl, struct smp_ctx *c, const struct lf_info *li)
{
	static const struct lf_info none = {
		.Th = -1, .Ti = -1, .TR = -1, .Tw = -1, .Tc = -1, .Tr = -1, .Ta = -1, .Tt = -1, .status = -1,
	};
	const struct lf_info *i = li ? li : c && c->li ? c->li : &none;
	const struct proxy *be = c && c->be ? c->be : c ? c->fe : NULL;
	uint64_t acc = i->accept_us ? i->accept_us : clock_wall_us();
	uint64_t req = i->req_us ? i->req_us : acc;
	const char *m, *u, *v;
	size_t ml, ul, vl;
	int Tq = (i->Th < 0 || i->Ti < 0 || i->TR < 0) ? -1 : i->Th + i->Ti + i->TR;

	switch (a) {
	case A_B:   if (i->logasap) o_putc(o, '+'); o_int(o, (long long)i->bytes_out); break;
	case A_U:   o_int(o, (long long)i->bytes_in); break;
	case A_CC:
	case A_CS:  o_cstr(o, NULL, fl); break;    /* tandem has no cookie captures */
	case A_H:   o_cstr(o, host_name(), fl); break;
	case A_HM:
		reqline(li, c, &m, &ml, &u, &ul, &v, &vl);
		o_text(o, m, ml, fl, url_enc);
		break;
	case A_HU:
		reqline(li, c, &m, &ml, &u, &ul, &v, &vl);
		o_text(o, u, ul, fl, url_enc);
		break;
	case A_HP:
	case A_HPO:
	case A_HQ: {
		const char *path, *q;
		size_t pl, ql;
		int hq;

		reqline(li, c, &m, &ml, &u, &ul, &v, &vl);
		if (!u) {
			o_text(o, NULL, 0, fl, NULL);
			break;
		}
		if (a == A_HP) {
			const char *qm = memchr(u, '?', ul);

			o_text(o, u, qm ? (size_t)(qm - u) : ul, fl, url_enc);
			break;
		}
		uri_split(u, ul, &path, &pl, &q, &ql, &hq);
		if (a == A_HPO)
			o_text(o, path, pl, fl, url_enc);
		else if (hq)
			o_text(o, q - 1, ql + 1, fl, url_enc);   /* with the '?' */
		else
			o_text(o, "", 0, fl, NULL);
		break;
	}
	case A_HV:
		reqline(li, c, &m, &ml, &u, &ul, &v, &vl);
		o_text(o, v, vl, fl, url_enc);
		break;
	case A_r:
		reqline(li, c, &m, &ml, &u, &ul, &v, &vl);
		if (!m)
			o_text(o, "<BADREQ>", 8, fl, NULL);
		else
			o_text(o, m, (size_t)((v ? v + vl : u ? u + ul : m + ml) - m), fl, url_enc);
		break;
	case A_ID: {
		size_t len;
		const char *id = c ? rules_unique_id(c, &len) : NULL;

		o_text(o, id, id ? len : 0, fl, NULL);
		break;
	}
	case A_ST:  o_int(o, i->status); break;
	case A_T:   o_date(o, acc, 1); break;
	case A_Tl:  o_date(o, acc, 2); break;
	case A_t:   o_date(o, acc, 0); break;
	case A_tr:  o_date(o, req, 0); break;
	case A_trg: o_date(o, req, 1); break;
	case A_trl: o_date(o, req, 2); break;
	case A_Ts:
		if (fl & LF_F_HEX)
			o_printf(o, "%08X", (unsigned)(acc / 1000000));
		else
			o_int(o, (long long)(acc / 1000000));
		break;
	case A_ms:  o_printf(o, "%03d", (int)(acc / 1000 % 1000)); break;
	case A_Ta:  o_time(o, i->Ta, i->logasap); break;
	case A_Tc:  o_time(o, i->Tc, 0); break;
	case A_Th:  o_time(o, i->Th, 0); break;
	case A_Ti:  o_time(o, i->Ti, 0); break;
	case A_Tq:  o_time(o, Tq, 0); break;
	case A_TR:  o_time(o, i->TR, 0); break;
	case A_Tr:  o_time(o, i->Tr, 0); break;
	case A_Tt:  o_time(o, i->Tt, i->logasap); break;
	case A_Tw:  o_time(o, i->Tw, 0); break;
	case A_Td: {
		int parts = (Tq < 0 ? 0 : Tq) + (i->Tw < 0 ? 0 : i->Tw) + (i->Tc < 0 ? 0 : i->Tc) + (i->Tr < 0 ? 0 : i->Tr);

		o_time(o, i->Tt < 0 || i->Tr < 0 ? -1 : i->Tt - parts, 0);
		break;
	}
	case A_Tu:  o_time(o, i->Tt < 0 ? -1 : i->Tt - (i->Ti < 0 ? 0 : i->Ti), 0); break;
	case A_ac:  o_int(o, i->actconn); break;
	case A_fc:  o_int(o, i->feconn); break;
	case A_bc:  o_int(o, i->beconn); break;
	case A_sc:  o_int(o, i->srvconn); break;
	case A_rc:  if (i->redispatched) o_putc(o, '+'); o_int(o, i->retries); break;
	case A_sq:  o_int(o, i->srv_queue); break;
	case A_bq:  o_int(o, i->be_queue); break;
	case A_b:   o_cstr(o, be ? be->id : NULL, fl); break;
	case A_f:   o_cstr(o, c && c->fe ? c->fe->id : NULL, fl); break;
	case A_ft:  /* with '~' after it on a TLS connection (HAProxy) */
		if (c && c->fe && ssl_fc(c->cli_conn)) {
			char ft[256];

			snprintf(ft, sizeof(ft), "%s~", c->fe->id);
			o_cstr(o, ft, fl);
		} else
			o_cstr(o, c && c->fe ? c->fe->id : NULL, fl);
		break;
	case A_s:   o_cstr(o, c && c->srv ? c->srv->id : "<NOSRV>", fl); break;
	case A_ci:  o_addr(o, i->cli ? i->cli : c ? c->src : NULL, fl); break;
	case A_cp:  o_port(o, i->cli ? i->cli : c ? c->src : NULL, fl); break;
	case A_fi:  o_addr(o, i->frt ? i->frt : c ? smp_ctx_dst(c) : NULL, fl); break;
	case A_fp:  o_port(o, i->frt ? i->frt : c ? smp_ctx_dst(c) : NULL, fl); break;
	case A_si:  o_addr(o, i->srv_addr, fl); break;
	case A_sp:  o_port(o, i->srv_addr, fl); break;
	case A_bi:  o_addr(o, i->bck_src, fl); break;
	case A_bp:  o_port(o, i->bck_src, fl); break;
	case A_lc:  o_int(o, (long long)i->log_counter); break;
	case A_rt:
		if (fl & LF_F_HEX)
			o_printf(o, "%04llX", (unsigned long long)i->uniq_id);
		else
			o_int(o, (long long)i->uniq_id);
		break;
	case A_pid:
		if (fl & LF_F_HEX)
			o_printf(o, "%04X", (unsigned)getpid());
		else
			o_int(o, getpid());
		break;
	case A_hr:  o_caps(o, c ? c->txn : NULL, 0, 0, fl); break;
	case A_hrl: o_caps(o, c ? c->txn : NULL, 0, 1, fl); break;
	case A_hs:  o_caps(o, c ? c->txn : NULL, 1, 0, fl); break;
	case A_hsl: o_caps(o, c ? c->txn : NULL, 1, 1, fl); break;
	/* the client connection's TLS cipher and version, "-" without TLS */
	case A_sslc: o_cstr(o, c ? ssl_fc_cipher(c->cli_conn) : NULL, fl); break;
	case A_sslv: o_cstr(o, c ? ssl_fc_protocol(c->cli_conn) : NULL, fl); break;
	case A_ts:
		o_putc(o, i->term[0] ? i->term[0] : '-');
		o_putc(o, i->term[1] ? i->term[1] : '-');
		break;
	case A_tsc:
		for (int k = 0; k < 4; k++)
			o_putc(o, i->term[k] ? i->term[k] : '-');
		break;
	default:
		break;
	}
}

static void render_expr(struct out *o, const struct lf_node *n, struct smp_ctx *c, int mode)
{
	struct sample s;

	if (!c || !smp_eval_str(n->expr, c, &s)) {
		/* HAProxy: "-" in a log line, nothing in a value */
		if (mode == LF_MODE_LOG)
			o_text(o, NULL, 0, n->flags, NULL);
		return;
	}
	/* HAProxy 2.6 quotes a sample (%{+Q}[...]) in a log line only; in a
	 * value (a header, a body) it is written as it is, while the
	 * %-variables keep their quotes there */
	if (mode == LF_MODE_LOG)
		o_text(o, s.u.str.p, s.u.str.len, n->flags, log_enc);
	else
		o_text(o, s.u.str.p, s.u.str.len, n->flags & ~(unsigned)LF_F_QUOTE, NULL);
}

static void render(const struct logfmt *lf, struct smp_ctx *c, const struct lf_info *li, int mode, struct out *o)
{
	qsbr_read_lock();
	o->last_sep = 1;
	for (int k = 0; k < lf->n; k++) {
		const struct lf_node *n = &lf->node[k];
		char *before = o->p;

		switch (n->type) {
		case LF_SEP:
			if (!o->last_sep) {
				o_putc(o, ' ');
				o->last_sep = 1;
			}
			continue;
		case LF_TEXT:
			o_mem(o, n->text, n->len);
			break;
		case LF_ALIAS:
			render_alias(o, n->alias, n->flags, c, li);
			break;
		case LF_EXPR:
			render_expr(o, n, c, mode);
			break;
		}
		if (o->p != before)
			o->last_sep = 0;
	}
	qsbr_read_unlock();
}

size_t logfmt_render(const struct logfmt *lf, struct smp_ctx *ctx, const struct lf_info *li, int mode,
		     char *out, size_t outlen)
{
	struct out o = { out, out + outlen, 0, 1 };

	if (!outlen)
		return 0;
	render(lf, ctx, li, mode, &o);
	*o.p = 0;
	return (size_t)(o.p - out);
}

/* Rendering into the arena needs a scratch area first (expressions take
 * arena memory while the output is written): one per thread, as large as
 * the largest value a rule may produce. */
#define LF_SCRATCH 65536
static __thread char *lf_scratch;

void logfmt_thread_free(void)
{
	free(lf_scratch);
	lf_scratch = NULL;
}

char *logfmt_render_arena(const struct logfmt *lf, struct smp_ctx *ctx, const struct lf_info *li, size_t *len)
{
	struct out o;
	char *dst;

	if (lf->literal) {
		/* constant: no copy, the configuration outlives the request */
		*len = lf->n ? lf->node[0].len : 0;
		return lf->n ? lf->node[0].text : (char *)"";
	}
	if (!lf_scratch && !(lf_scratch = malloc(LF_SCRATCH)))
		return NULL;
	o.p = lf_scratch;
	o.end = lf_scratch + LF_SCRATCH;
	o.full = 0;
	if (ctx && ctx->arena)
		ctx->arena->full = 0;
	render(lf, ctx, li, LF_MODE_VALUE, &o);
	*len = (size_t)(o.p - lf_scratch);
	/* a value cut short (an expression lacked arena memory) is a failure,
	 * not a shorter value */
	if (o.full || (ctx && ctx->arena && ctx->arena->full) || !(dst = smp_alloc(ctx, *len + 1)))
		return NULL;
	memcpy(dst, lf_scratch, *len);
	dst[*len] = 0;
	return dst;
}
