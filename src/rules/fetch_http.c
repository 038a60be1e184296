/* HTTP sample fetches (HAProxy's 7.3.6). They read the parsed head in
 * place: header names and values are slices of the input buffer (or of the
 * arena once a rule rewrote them), so a lookup allocates nothing.
 *
 * As in HAProxy, hdr() and its relatives treat a comma-separated header as
 * several values (commas inside double quotes do not split); fhdr() takes
 * whole lines. Outside ACLs the last value is returned; in ACLs every value
 * is tried (the fetch iterates) unless an occurrence is given. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/h1.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include "rules_int.h"

int name_ieq(const struct h1_str *n, const char *s, size_t len)
{
	/* most names differ in length or in their first letter */
	return n->len == len && (!len || ((n->p[0] ^ s[0]) & ~0x20) == 0) && !strncasecmp(n->p, s, len);
}

/* The message a direction-dependent fetch (hdr, cookie) reads: the
 * response while response rules run, else the request. */
static struct h1_msg *msg_any(const struct smp_ctx *c)
{
	return c->rsp ? c->rsp : c->req;
}

/* ---- comma-separated values ---- */

/* End of the value that starts at <p> (a ',' outside quotes, or <e>). */
static const char *val_end(const char *p, const char *e)
{
	int q = 0;

	for (; p < e; p++) {
		if (q && *p == '\\' && p + 1 < e) {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		else if (*p == ',' && !q)
			return p;
	}
	return e;
}

/* Walk the values of header <name> (any header when nlen is 0): starting at
 * header *hi, offset *off in its value. Fills <v> and moves past it.
 * <full>: whole lines. Returns 1, or 0 when there is no more. */
static int next_value(const struct h1_msg *m, const char *name, size_t nlen, int full,
		      unsigned *hi, size_t *off, struct h1_str *v)
{
	while (*hi < m->nhdrs) {
		const struct h1_hdr *h = &m->hdrs[*hi];
		const char *s, *e, *ve;

		if (nlen && !name_ieq(&h->name, name, nlen)) {
			(*hi)++;
			*off = 0;
			continue;
		}
		if (full) {
			*v = h->value;
			(*hi)++;
			*off = 0;
			return 1;
		}
		s = h->value.p + *off;
		e = h->value.p + h->value.len;
		if (*off > h->value.len || (s == e && *off)) {
			(*hi)++;
			*off = 0;
			continue;
		}
		ve = val_end(s, e);
		*off = (size_t)(ve - h->value.p) + 1;
		if (ve == e)
			*off = h->value.len + 1;   /* past the end: next header next time */
		while (s < ve && (*s == ' ' || *s == '\t'))
			s++;
		while (ve > s && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		v->p = s;
		v->len = (uint32_t)(ve - s);
		return 1;
	}
	return 0;
}

static long count_values(const struct h1_msg *m, const char *name, size_t nlen, int full)
{
	unsigned hi = 0;
	size_t off = 0;
	struct h1_str v;
	long n = 0;

	while (next_value(m, name, nlen, full, &hi, &off, &v))
		n++;
	return n;
}

/* The <occ>-th value (1 first, -1 last; 0 = last). */
static int nth_value(const struct h1_msg *m, const char *name, size_t nlen, int full, long occ,
		     struct h1_str *out)
{
	unsigned hi = 0;
	size_t off = 0;
	struct h1_str v;
	long i = 0;
	int found = 0;

	if (occ < 0) {
		long n = count_values(m, name, nlen, full);

		if (-occ > n)
			return 0;
		occ = n + occ + 1;
	}
	while (next_value(m, name, nlen, full, &hi, &off, &v)) {
		i++;
		if (occ == 0) {
			*out = v;
			found = 1;
		} else if (i == occ) {
			*out = v;
			return 1;
		}
	}
	return found;
}

/* Common body of the hdr() family: one value (the <occ> argument, else the
 * last), or every value one by one when an iterator is given and no <occ>. */
static int hdr_fetch(const struct h1_msg *m, const struct smp_arg *a, struct sample *s,
		     struct smp_iter *it, int full)
{
	const char *name = a[0].type == ARGT_STR ? a[0].u.str.p : "";
	size_t nlen = a[0].type == ARGT_STR ? a[0].u.str.len : 0;
	long occ = a[1].type == ARGT_SINT ? a[1].u.sint : 0;
	struct h1_str v;

	if (!m)
		return 0;
	if (it && !occ) {
		if (!it->started) {
			it->started = 1;
			it->idx = 0;
			it->off = 0;
		}
		if (!next_value(m, name, nlen, full, &it->idx, &it->off, &v))
			return 0;
		smp_set_str(s, v.p, v.len, SMP_F_CONST);
		/* there may be another one: headers are left to look at (the
		 * caller's next call says, without scanning them twice) */
		if (it->idx < m->nhdrs)
			s->flags |= SMP_F_NOT_LAST;
		return 1;
	}
	if (!nth_value(m, name, nlen, full, occ, &v))
		return 0;
	smp_set_str(s, v.p, v.len, SMP_F_CONST);
	return 1;
}

static int f_req_hdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_fetch(c->req, a, s, it, 0);
}

static int f_req_fhdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_fetch(c->req, a, s, it, 1);
}

static int f_res_hdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_fetch(c->rsp, a, s, it, 0);
}

static int f_res_fhdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_fetch(c->rsp, a, s, it, 1);
}

static int f_hdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_fetch(msg_any(c), a, s, it, 0);
}

static int hdr_cnt(const struct h1_msg *m, const struct smp_arg *a, struct sample *s, int full)
{
	if (!m)
		return 0;
	smp_set_int(s, count_values(m, a[0].type == ARGT_STR ? a[0].u.str.p : "",
				    a[0].type == ARGT_STR ? a[0].u.str.len : 0, full));
	return 1;
}

static int f_req_hdr_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return hdr_cnt(c->req, a, s, 0);
}

static int f_req_fhdr_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return hdr_cnt(c->req, a, s, 1);
}

static int f_res_hdr_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return hdr_cnt(c->rsp, a, s, 0);
}

static int f_res_fhdr_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return hdr_cnt(c->rsp, a, s, 1);
}

/* hdr_ip: the value as an address (IPv4, else IPv6); values that are not
 * addresses are skipped when iterating, and give no sample otherwise. */
static int hdr_ip(const struct h1_msg *m, const struct smp_arg *a, struct sample *s, struct smp_iter *it,
		  struct smp_ctx *c)
{
	for (;;) {
		if (!hdr_fetch(m, a, s, it, 0))
			return 0;
		{
			uint8_t f = s->flags & SMP_F_NOT_LAST;

			if (smp_cast(s, SMP_T_ADDR, c)) {
				s->flags |= f;
				return 1;
			}
			if (!it || !f)
				return 0;
		}
	}
}

static int f_req_hdr_ip(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_ip(c->req, a, s, it, c);
}

static int f_res_hdr_ip(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_ip(c->rsp, a, s, it, c);
}

/* hdr_val: the value as an integer (leading digits, 0 when none). */
static int hdr_val(const struct h1_msg *m, const struct smp_arg *a, struct sample *s, struct smp_iter *it)
{
	uint8_t f;
	long long v = 0;
	const char *p;
	size_t i = 0, n;
	int neg = 0;

	if (!hdr_fetch(m, a, s, it, 0))
		return 0;
	f = s->flags & SMP_F_NOT_LAST;
	p = s->u.str.p;
	n = s->u.str.len;
	if (i < n && (p[i] == '-' || p[i] == '+'))
		neg = p[i++] == '-';
	for (; i < n && isdigit((unsigned char)p[i]) && v < 100000000000000000LL; i++)
		v = v * 10 + (p[i] - '0');
	smp_set_int(s, neg ? -v : v);
	s->flags |= f;
	return 1;
}

static int f_req_hdr_val(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_val(c->req, a, s, it);
}

static int f_res_hdr_val(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return hdr_val(c->rsp, a, s, it);
}

/* req.hdrs / res.hdrs: the header block, "name: value" lines and the final
 * empty line, rebuilt (a rewritten header no longer sits in the buffer). */
static int all_hdrs(const struct h1_msg *m, struct sample *s, struct smp_ctx *c)
{
	size_t len = 2;
	char *p, *w;

	if (!m)
		return 0;
	for (unsigned i = 0; i < m->nhdrs; i++)
		len += m->hdrs[i].name.len + 2 + m->hdrs[i].value.len + 2;
	if (!(p = w = smp_alloc(c, len)))
		return 0;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		memcpy(w, m->hdrs[i].name.p, m->hdrs[i].name.len);
		w += m->hdrs[i].name.len;
		*w++ = ':';
		*w++ = ' ';
		memcpy(w, m->hdrs[i].value.p, m->hdrs[i].value.len);
		w += m->hdrs[i].value.len;
		*w++ = '\r';
		*w++ = '\n';
	}
	*w++ = '\r';
	*w++ = '\n';
	smp_set_str(s, p, (size_t)(w - p), 0);
	return 1;
}

static int f_req_hdrs(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return all_hdrs(c->req, s, c);
}

static int f_res_hdrs(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return all_hdrs(c->rsp, s, c);
}

static int hdr_names(const struct h1_msg *m, const struct smp_arg *a, struct sample *s, struct smp_ctx *c)
{
	const char *d = a[0].type == ARGT_STR ? a[0].u.str.p : ",";
	size_t dl = a[0].type == ARGT_STR ? a[0].u.str.len : 1, len = 0;
	char *p, *w;

	if (!m)
		return 0;
	for (unsigned i = 0; i < m->nhdrs; i++)
		len += m->hdrs[i].name.len + dl;
	if (!(p = w = smp_alloc(c, len + 1)))
		return 0;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		if (i) {
			memcpy(w, d, dl);
			w += dl;
		}
		memcpy(w, m->hdrs[i].name.p, m->hdrs[i].name.len);
		w += m->hdrs[i].name.len;
	}
	smp_set_str(s, p, (size_t)(w - p), 0);
	return 1;
}

static int f_req_hdr_names(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return hdr_names(c->req, a, s, c);
}

static int f_res_hdr_names(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return hdr_names(c->rsp, a, s, c);
}

/* ---- request line ---- */

int http_method_str(const struct smp_ctx *c, const char **p, size_t *len)
{
	static const char *const names[] = {
		[H1_M_GET] = "GET", [H1_M_HEAD] = "HEAD", [H1_M_POST] = "POST", [H1_M_PUT] = "PUT",
		[H1_M_DELETE] = "DELETE", [H1_M_CONNECT] = "CONNECT", [H1_M_OPTIONS] = "OPTIONS",
		[H1_M_TRACE] = "TRACE", [H1_M_PATCH] = "PATCH",
	};

	if (c->req) {
		*p = c->req->method.p;
		*len = c->req->method.len;
		return 1;
	}
	if (!c->txn || c->txn->req_ver == 0)
		return 0;
	if (c->txn->meth > H1_M_OTHER && c->txn->meth <= H1_M_PATCH) {
		*p = names[c->txn->meth];
		*len = strlen(*p);
	} else {
		*p = c->txn->meth_str;
		*len = strlen(c->txn->meth_str);
	}
	return 1;
}

static int f_method(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *p;
	size_t n;

	(void)a; (void)it;
	if (!http_method_str(c, &p, &n))
		return 0;
	smp_set_str(s, p, n, SMP_F_CONST);
	return 1;
}

void uri_split(const char *uri, size_t len, const char **path, size_t *plen,
	       const char **query, size_t *qlen, int *has_q)
{
	const char *e = uri + len, *p = uri, *q;

	/* absolute-form: skip "scheme://authority" */
	if (len && *uri != '/') {
		const char *ss = memmem(uri, len, "://", 3);

		if (ss) {
			p = memchr(ss + 3, '/', (size_t)(e - ss - 3));
			if (!p) {
				const char *qq = memchr(ss + 3, '?', (size_t)(e - ss - 3));

				p = qq ? qq : e;
			}
		}
	}
	q = memchr(p, '?', (size_t)(e - p));
	*path = p;
	*plen = (size_t)((q ? q : e) - p);
	*has_q = q != NULL;
	*query = q ? q + 1 : e;
	*qlen = q ? (size_t)(e - q - 1) : 0;
}

/* The request's URI cut by uri_split(): path, pathq, query and base differ
 * only in what they keep of it. */
struct uri_parts {
	const char *path, *query;
	size_t plen, qlen;
	int has_q;
};

/* 0 when the fetch runs without a parsed request head (TCP rules). */
static int req_uri(const struct smp_ctx *c, struct uri_parts *u)
{
	if (!c->req)
		return 0;
	uri_split(c->req->uri.p, c->req->uri.len, &u->path, &u->plen,
		  &u->query, &u->qlen, &u->has_q);
	return 1;
}

static int f_path(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct uri_parts u;

	(void)a; (void)it;
	if (!req_uri(c, &u) || !u.plen)
		return 0;
	smp_set_str(s, u.path, u.plen, SMP_F_CONST);
	return 1;
}

static int f_pathq(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct uri_parts u;

	(void)a; (void)it;
	if (!req_uri(c, &u) || (!u.plen && !u.has_q))
		return 0;
	smp_set_str(s, u.path, (size_t)(c->req->uri.p + c->req->uri.len - u.path), SMP_F_CONST);
	return 1;
}

static int f_query(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct uri_parts u;

	(void)a; (void)it;
	if (!req_uri(c, &u) || !u.has_q)
		return 0;
	smp_set_str(s, u.query, u.qlen, SMP_F_CONST);
	return 1;
}

static int f_url(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->req)
		return 0;
	smp_set_str(s, c->req->uri.p, c->req->uri.len, SMP_F_CONST);
	return 1;
}

/* base / baseq: the first Host value then the path (and the query). */
static int base(struct smp_ctx *c, struct sample *s, int with_query)
{
	struct uri_parts u;
	size_t tl;
	struct h1_str host = { NULL, 0 };
	char *b;

	if (!req_uri(c, &u))
		return 0;
	nth_value(c->req, "host", 4, 1, 1, &host);
	tl = u.plen + (with_query && u.has_q ? u.qlen + 1 : 0);
	if (!host.len) {
		if (!u.plen)
			return 0;
		smp_set_str(s, u.path, tl, SMP_F_CONST);
		return 1;
	}
	if (!(b = smp_alloc(c, host.len + tl)))
		return 0;
	memcpy(b, host.p, host.len);
	memcpy(b + host.len, u.path, tl);
	smp_set_str(s, b, host.len + tl, 0);
	return 1;
}

static int f_base(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return base(c, s, 0);
}

static int f_baseq(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return base(c, s, 1);
}

static int ver_str(int v, struct sample *s)
{
	if (v == 10)
		smp_set_str(s, "1.0", 3, SMP_F_CONST);
	else if (v == 11)
		smp_set_str(s, "1.1", 3, SMP_F_CONST);
	else
		return 0;
	return 1;
}

static int f_req_ver(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (c->req)
		return ver_str(c->req->version, s);
	return c->txn && ver_str(c->txn->req_ver, s);
}

static int f_res_ver(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return c->rsp && ver_str(c->rsp->version, s);
}

static int f_status(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	int st = c->rsp ? c->rsp->status : c->status;

	(void)a; (void)it;
	if (st <= 0)
		return 0;
	smp_set_int(s, st);
	return 1;
}

static int f_first_req(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	smp_set_bool(s, c->req_count <= 1);
	return 1;
}

/* ---- url parameters ---- */

/* Next parameter of the query string at or after *off: params end at '&',
 * ';' or <delim>; the query starts after '?' (or <delim>). */
static int next_param(const char *q, size_t ql, size_t *off, char delim, const char *name, size_t nlen,
		      struct h1_str *val)
{
	while (*off < ql) {
		const char *p = q + *off, *e = q + ql, *pe, *eq;

		for (pe = p; pe < e && *pe != '&' && *pe != ';' && *pe != delim; pe++)
			;
		*off = (size_t)(pe - q) + 1;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (!nlen || ((size_t)((eq ? eq : pe) - p) == nlen && !memcmp(p, name, nlen))) {
			if (!eq && nlen)
				continue;   /* "name" without '=' has no value */
			val->p = eq ? eq + 1 : pe;
			val->len = (uint32_t)(eq ? pe - eq - 1 : 0);
			return 1;
		}
	}
	return 0;
}

static int url_param(struct smp_ctx *c, const struct smp_arg *a, struct sample *s, struct smp_iter *it)
{
	const char *name = a[0].type == ARGT_STR ? a[0].u.str.p : "";
	size_t nlen = a[0].type == ARGT_STR ? a[0].u.str.len : 0;
	char delim = a[1].type == ARGT_STR && a[1].u.str.len ? a[1].u.str.p[0] : '&';
	const char *u, *e, *q;
	size_t ql, off = 0;
	struct h1_str v;

	if (!c->req)
		return 0;
	u = c->req->uri.p;
	e = u + c->req->uri.len;
	for (q = u; q < e && *q != '?' && *q != delim; q++)
		;
	if (q == e)
		return 0;
	q++;
	ql = (size_t)(e - q);
	if (it) {
		if (!it->started) {
			it->started = 1;
			it->off = 0;
		}
		if (!next_param(q, ql, &it->off, delim, name, nlen, &v))
			return 0;
		smp_set_str(s, v.p, v.len, SMP_F_CONST);
		{
			size_t o2 = it->off;
			struct h1_str w;

			if (next_param(q, ql, &o2, delim, name, nlen, &w))
				s->flags |= SMP_F_NOT_LAST;
		}
		return 1;
	}
	if (!next_param(q, ql, &off, delim, name, nlen, &v))
		return 0;
	smp_set_str(s, v.p, v.len, SMP_F_CONST);
	return 1;
}

static int f_urlp(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return url_param(c, a, s, it);
}

static int f_urlp_val(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	if (!url_param(c, a, s, it))
		return 0;
	{
		uint8_t f = s->flags & SMP_F_NOT_LAST;

		if (!smp_cast(s, SMP_T_SINT, c))
			smp_set_int(s, 0);
		s->flags |= f;
	}
	return 1;
}

/* ---- cookies ---- */

/* Next cookie of the Cookie headers (req) or Set-Cookie headers (res):
 * <hi> header index, <off> offset in it. Set-Cookie holds one cookie per
 * header (attributes after ';' are not cookies). */
static int next_cookie(const struct h1_msg *m, int res, const char *name, size_t nlen,
		       unsigned *hi, size_t *off, struct h1_str *val)
{
	const char *hn = res ? "set-cookie" : "cookie";
	size_t hl = res ? 10 : 6;

	while (*hi < m->nhdrs) {
		const struct h1_hdr *h = &m->hdrs[*hi];
		const char *p, *e, *ce, *eq, *ns, *ne;

		if (!name_ieq(&h->name, hn, hl) || *off >= h->value.len) {
			(*hi)++;
			*off = 0;
			continue;
		}
		p = h->value.p + *off;
		e = h->value.p + h->value.len;
		for (ce = p; ce < e && *ce != ';' && (res || *ce != ','); ce++)
			;
		*off = res ? h->value.len : (size_t)(ce - h->value.p) + 1;
		for (ns = p; ns < ce && (*ns == ' ' || *ns == '\t'); ns++)
			;
		eq = memchr(ns, '=', (size_t)(ce - ns));
		if (!eq)
			continue;
		for (ne = eq; ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'); ne--)
			;
		if (nlen && ((size_t)(ne - ns) != nlen || memcmp(ns, name, nlen)))
			continue;
		for (p = eq + 1; p < ce && (*p == ' ' || *p == '\t'); p++)
			;
		while (ce > p && (ce[-1] == ' ' || ce[-1] == '\t'))
			ce--;
		val->p = p;
		val->len = (uint32_t)(ce - p);
		return 1;
	}
	return 0;
}

static int cook(const struct h1_msg *m, int res, const struct smp_arg *a, struct sample *s, struct smp_iter *it)
{
	const char *name = a[0].type == ARGT_STR ? a[0].u.str.p : "";
	size_t nlen = a[0].type == ARGT_STR ? a[0].u.str.len : 0;
	unsigned hi = 0;
	size_t off = 0;
	struct h1_str v, last;
	int found = 0;

	if (!m)
		return 0;
	if (it) {
		if (!it->started) {
			it->started = 1;
			it->idx = 0;
			it->off = 0;
		}
		if (!next_cookie(m, res, name, nlen, &it->idx, &it->off, &v))
			return 0;
		smp_set_str(s, v.p, v.len, SMP_F_CONST);
		hi = it->idx;
		off = it->off;
		if (next_cookie(m, res, name, nlen, &hi, &off, &last))
			s->flags |= SMP_F_NOT_LAST;
		return 1;
	}
	/* HAProxy: the last occurrence, or the first cookie when no name */
	while (next_cookie(m, res, name, nlen, &hi, &off, &v)) {
		last = v;
		found = 1;
		if (!nlen)
			break;
	}
	if (!found)
		return 0;
	smp_set_str(s, last.p, last.len, SMP_F_CONST);
	return 1;
}

static int f_req_cook(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return cook(c->req, 0, a, s, it);
}

static int f_res_cook(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return cook(c->rsp, 1, a, s, it);
}

static int f_cookie(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return c->rsp ? cook(c->rsp, 1, a, s, it) : cook(c->req, 0, a, s, it);
}

static int cook_cnt(const struct h1_msg *m, int res, const struct smp_arg *a, struct sample *s)
{
	unsigned hi = 0;
	size_t off = 0;
	struct h1_str v;
	long n = 0;

	if (!m)
		return 0;
	while (next_cookie(m, res, a[0].type == ARGT_STR ? a[0].u.str.p : "",
			   a[0].type == ARGT_STR ? a[0].u.str.len : 0, &hi, &off, &v))
		n++;
	smp_set_int(s, n);
	return 1;
}

static int f_req_cook_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return cook_cnt(c->req, 0, a, s);
}

static int f_res_cook_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return cook_cnt(c->rsp, 1, a, s);
}

static int cook_val(const struct h1_msg *m, int res, const struct smp_arg *a, struct sample *s,
		    struct smp_iter *it, struct smp_ctx *c)
{
	uint8_t f;

	if (!cook(m, res, a, s, it))
		return 0;
	f = s->flags & SMP_F_NOT_LAST;
	if (!smp_cast(s, SMP_T_SINT, c))
		smp_set_int(s, 0);
	s->flags |= f;
	return 1;
}

static int f_req_cook_val(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return cook_val(c->req, 0, a, s, it, c);
}

static int f_res_cook_val(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return cook_val(c->rsp, 1, a, s, it, c);
}

/* ---- captures ---- */

static int cap(struct smp_ctx *c, int rsp, long idx, struct sample *s)
{
	struct txn_store *t = c->txn;
	char **slots;
	uint16_t *lens;
	int n;

	if (!t)
		return 0;
	slots = rsp ? t->cap_rsp : t->cap_req;
	lens = rsp ? t->cap_rsp_len : t->cap_req_len;
	n = rsp ? t->n_cap_rsp : t->n_cap_req;
	if (idx < 0 || idx >= n || !slots[idx])
		return 0;
	smp_set_str(s, slots[idx], lens[idx], SMP_F_CONST | SMP_F_VOL);
	return 1;
}

static int f_cap_req_hdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return cap(c, 0, a[0].u.sint, s);
}

static int f_cap_res_hdr(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	return cap(c, 1, a[0].u.sint, s);
}

static int f_cap_req_method(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return f_method(a, s, c, it);
}

/* capture.req.uri / capture.req.ver: from the request line the stream
 * keeps for the log, so that they work in responses and logs too. */
static int reqline_parts(const struct smp_ctx *c, struct h1_str *uri, struct h1_str *ver)
{
	const char *s = c->req_line, *e, *sp1, *sp2;

	if (!s)
		return 0;
	e = s + c->req_line_len;
	if (!(sp1 = memchr(s, ' ', c->req_line_len)))
		return 0;
	for (sp2 = e; sp2 > sp1 + 1 && sp2[-1] != ' '; sp2--)
		;
	uri->p = sp1 + 1;
	if (sp2 > sp1 + 1) {
		uri->len = (uint32_t)(sp2 - 1 - uri->p);
		ver->p = sp2;
		ver->len = (uint32_t)(e - sp2);
	} else {
		uri->len = (uint32_t)(e - uri->p);
		ver->p = e;
		ver->len = 0;
	}
	return 1;
}

static int f_cap_req_uri(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct h1_str uri, ver;

	(void)a; (void)it;
	if (c->req) {
		smp_set_str(s, c->req->uri.p, c->req->uri.len, SMP_F_CONST);
		return 1;
	}
	if (!reqline_parts(c, &uri, &ver))
		return 0;
	smp_set_str(s, uri.p, uri.len, SMP_F_CONST);
	return 1;
}

/* "HTTP/1.0" or "HTTP/1.1" for a version kept as 10 or 11; none otherwise. */
static int smp_set_http_ver(struct sample *s, int v)
{
	if (v != 10 && v != 11)
		return 0;
	smp_set_str(s, v == 10 ? "HTTP/1.0" : "HTTP/1.1", 8, SMP_F_CONST);
	return 1;
}

static int f_cap_req_ver(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return smp_set_http_ver(s, c->req ? c->req->version : c->txn ? c->txn->req_ver : 0);
}

static int f_cap_res_ver(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return smp_set_http_ver(s, c->rsp ? c->rsp->version : c->txn ? c->txn->rsp_ver : 0);
}

/* ---- authentication ---- */

static int f_http_auth(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	if (!c->req || !a[0].u.ul)
		return 0;
	smp_set_bool(s, userlist_check_req(a[0].u.ul, c->req) >= 0);
	return 1;
}

/* The user name as a sample; in ACLs, the user's groups one by one (the
 * ACL's patterns are group names, as HAProxy matches them). */
static int f_http_auth_group(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const struct userlist *ul = a[0].u.ul;
	const struct ul_user *u;
	int i;

	if (!c->req || !ul || (i = userlist_check_req(ul, c->req)) < 0)
		return 0;
	u = &ul->user[i];
	if (!it) {
		smp_set_str(s, u->name, strlen(u->name), SMP_F_CONST);
		return 1;
	}
	if (!it->started) {
		it->started = 1;
		it->idx = 0;
	}
	while (it->idx < (unsigned)ul->ngroup && !(u->groups & (1ull << it->idx)))
		it->idx++;
	if (it->idx >= (unsigned)ul->ngroup)
		return 0;
	smp_set_str(s, ul->group[it->idx], strlen(ul->group[it->idx]), SMP_F_CONST);
	it->idx++;
	for (unsigned j = it->idx; j < (unsigned)ul->ngroup; j++)
		if (u->groups & (1ull << j)) {
			s->flags |= SMP_F_NOT_LAST;
			break;
		}
	return 1;
}

static int auth_part(struct smp_ctx *c, struct sample *s, int part)
{
	const char *user, *pass, *type;
	size_t tl;

	if (!c->req || !http_auth_basic(c, c->req, 0, &user, &pass, &type, &tl)) {
		/* a non-Basic scheme still has a type */
		if (part == 2 && c->req && type) {
			smp_set_str(s, type, tl, SMP_F_CONST);
			return 1;
		}
		return 0;
	}
	if (part == 0)
		smp_set_str(s, user, strlen(user), 0);
	else if (part == 1)
		smp_set_str(s, pass, strlen(pass), 0);
	else
		smp_set_str(s, type, tl, SMP_F_CONST);
	return 1;
}

static int f_auth_user(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return auth_part(c, s, 0);
}

static int f_auth_pass(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return auth_part(c, s, 1);
}

static int f_auth_type(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return auth_part(c, s, 2);
}

/* http_auth_bearer([header]): the token of "Bearer <token>". */
static int f_auth_bearer(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *hn = a[0].type == ARGT_STR ? a[0].u.str.p : "authorization";
	size_t hl = a[0].type == ARGT_STR ? a[0].u.str.len : 13;
	struct h1_str v;

	(void)it;
	if (!c->req || !nth_value(c->req, hn, hl, 1, 1, &v))
		return 0;
	if (v.len < 7 || strncasecmp(v.p, "bearer ", 7))
		return 0;
	v.p += 7;
	v.len -= 7;
	while (v.len && (*v.p == ' ' || *v.p == '\t')) {
		v.p++;
		v.len--;
	}
	smp_set_str(s, v.p, v.len, SMP_F_CONST);
	return 1;
}

/* ---- body (only what the stream buffered: wait-for-body) ---- */

static int f_req_body(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->body)
		return 0;
	smp_set_str(s, c->body, c->body_len, SMP_F_CONST);
	s->type = SMP_T_BIN;
	return 1;
}

static int f_req_body_len(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->body)
		return 0;
	smp_set_int(s, (long long)c->body_len);
	return 1;
}

static int f_req_body_size(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->req)
		return 0;
	if (c->req->flags & H1_F_HAS_CL)
		smp_set_int(s, (long long)c->req->content_length);
	else if (c->body)
		smp_set_int(s, (long long)c->body_len);
	else
		return 0;
	return 1;
}

static int f_req_body_param(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *name = a[0].type == ARGT_STR ? a[0].u.str.p : "";
	size_t nlen = a[0].type == ARGT_STR ? a[0].u.str.len : 0, off = 0;
	struct h1_str v;

	(void)it;
	if (!c->body || !next_param(c->body, c->body_len, &off, '&', name, nlen, &v))
		return 0;
	smp_set_str(s, v.p, v.len, SMP_F_CONST);
	return 1;
}

/* ---- table ---- */

#define RQ   SMP_SRC_HRQHV
#define RQP  SMP_SRC_HRQHP
#define RS   SMP_SRC_HRSHV
#define RSP  SMP_SRC_HRSHP
#define IT   SMP_KW_ITER
#define DEP  SMP_KW_DEPREC
#define HDR_ARGS { ARGT_STR, ARGT_SINT }

const struct smp_fetch_kw smp_fetch_http[] = {
	{ "method",        f_method,        { 0 },        0, SMP_T_STR,  RQP, 0, NULL, -1 },
	{ "path",          f_path,          { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "pathq",         f_pathq,         { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "query",         f_query,         { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "url",           f_url,           { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "base",          f_base,          { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "baseq",         f_baseq,         { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "req.ver",       f_req_ver,       { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "req_ver",       f_req_ver,       { 0 },        0, SMP_T_STR,  RQ, DEP, NULL, -1 },
	{ "http_first_req",f_first_req,     { 0 },        0, SMP_T_BOOL, RQ, 0, NULL, -1 },
	{ "hdr",           f_hdr,           HDR_ARGS,     0, SMP_T_STR,  RQ | RS, IT, NULL, 1 },
	{ "req.hdr",       f_req_hdr,       HDR_ARGS,     0, SMP_T_STR,  RQ, IT, NULL, 1 },
	{ "req.fhdr",      f_req_fhdr,      HDR_ARGS,     1, SMP_T_STR,  RQ, IT, NULL, 1 },
	{ "req.hdr_cnt",   f_req_hdr_cnt,   { ARGT_STR }, 0, SMP_T_SINT, RQ, 0, NULL, -1 },
	{ "hdr_cnt",       f_req_hdr_cnt,   { ARGT_STR }, 0, SMP_T_SINT, RQ, DEP, NULL, -1 },
	{ "req.fhdr_cnt",  f_req_fhdr_cnt,  { ARGT_STR }, 0, SMP_T_SINT, RQ, 0, NULL, -1 },
	{ "req.hdr_ip",    f_req_hdr_ip,    HDR_ARGS,     0, SMP_T_IPV4, RQ, IT, NULL, 1 },
	{ "hdr_ip",        f_req_hdr_ip,    HDR_ARGS,     0, SMP_T_IPV4, RQ, IT | DEP, NULL, 1 },
	{ "req.hdr_val",   f_req_hdr_val,   HDR_ARGS,     0, SMP_T_SINT, RQ, IT, NULL, 1 },
	{ "hdr_val",       f_req_hdr_val,   HDR_ARGS,     0, SMP_T_SINT, RQ, IT | DEP, NULL, 1 },
	{ "req.hdrs",      f_req_hdrs,      { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "req.hdr_names", f_req_hdr_names, { ARGT_STR }, 0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "req.cook",      f_req_cook,      { ARGT_STR }, 0, SMP_T_STR,  RQ, IT, NULL, 0 },
	{ "cook",          f_req_cook,      { ARGT_STR }, 0, SMP_T_STR,  RQ, IT | DEP, NULL, 0 },
	{ "cookie",        f_cookie,        { ARGT_STR }, 0, SMP_T_STR,  RQ | RS, IT | DEP, NULL, 0 },
	{ "req.cook_cnt",  f_req_cook_cnt,  { ARGT_STR }, 0, SMP_T_SINT, RQ, 0, NULL, -1 },
	{ "cook_cnt",      f_req_cook_cnt,  { ARGT_STR }, 0, SMP_T_SINT, RQ, DEP, NULL, -1 },
	{ "req.cook_val",  f_req_cook_val,  { ARGT_STR }, 0, SMP_T_SINT, RQ, IT, NULL, 0 },
	{ "cook_val",      f_req_cook_val,  { ARGT_STR }, 0, SMP_T_SINT, RQ, IT | DEP, NULL, 0 },
	{ "url_param",     f_urlp,          { ARGT_STR, ARGT_STR }, 0, SMP_T_STR, RQ, IT, NULL, 0 },
	{ "urlp",          f_urlp,          { ARGT_STR, ARGT_STR }, 0, SMP_T_STR, RQ, IT, NULL, 0 },
	{ "urlp_val",      f_urlp_val,      { ARGT_STR, ARGT_STR }, 0, SMP_T_SINT, RQ, IT, NULL, 0 },
	{ "http_auth",     f_http_auth,     { ARGT_USR }, 1, SMP_T_BOOL, RQ, 0, NULL, -1 },
	{ "http_auth_group", f_http_auth_group, { ARGT_USR }, 1, SMP_T_STR, RQ, IT, NULL, -1 },
	{ "http_auth_user",f_auth_user,     { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "http_auth_pass",f_auth_pass,     { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "http_auth_type",f_auth_type,     { 0 },        0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "http_auth_bearer", f_auth_bearer,{ ARGT_STR }, 0, SMP_T_STR,  RQ, 0, NULL, -1 },
	{ "req.body",      f_req_body,      { 0 },        0, SMP_T_BIN,  RQ, SMP_KW_VOLATILE, NULL, -1 },
	{ "req.body_len",  f_req_body_len,  { 0 },        0, SMP_T_SINT, RQ, SMP_KW_VOLATILE, NULL, -1 },
	{ "req.body_size", f_req_body_size, { 0 },        0, SMP_T_SINT, RQ, SMP_KW_VOLATILE, NULL, -1 },
	{ "req.body_param",f_req_body_param,{ ARGT_STR }, 0, SMP_T_STR,  RQ, SMP_KW_VOLATILE, NULL, -1 },
	{ "capture.req.hdr",    f_cap_req_hdr,    { ARGT_SINT }, 1, SMP_T_STR, RQP, 0, NULL, -1 },
	{ "capture.req.method", f_cap_req_method, { 0 },         0, SMP_T_STR, RQP, 0, NULL, -1 },
	{ "capture.req.uri",    f_cap_req_uri,    { 0 },         0, SMP_T_STR, RQP, 0, NULL, -1 },
	{ "capture.req.ver",    f_cap_req_ver,    { 0 },         0, SMP_T_STR, RQP, 0, NULL, -1 },
	{ "capture.res.hdr",    f_cap_res_hdr,    { ARGT_SINT }, 1, SMP_T_STR, RSP, 0, NULL, -1 },
	{ "capture.res.ver",    f_cap_res_ver,    { 0 },         0, SMP_T_STR, RSP, 0, NULL, -1 },
	{ "status",        f_status,        { 0 },        0, SMP_T_SINT, RSP, 0, NULL, -1 },
	{ "res.ver",       f_res_ver,       { 0 },        0, SMP_T_STR,  RS, 0, NULL, -1 },
	{ "resp_ver",      f_res_ver,       { 0 },        0, SMP_T_STR,  RS, DEP, NULL, -1 },
	{ "res.hdr",       f_res_hdr,       HDR_ARGS,     0, SMP_T_STR,  RS, IT, NULL, 1 },
	{ "shdr",          f_res_hdr,       HDR_ARGS,     0, SMP_T_STR,  RS, IT | DEP, NULL, 1 },
	{ "res.fhdr",      f_res_fhdr,      HDR_ARGS,     0, SMP_T_STR,  RS, IT, NULL, 1 },
	{ "res.hdr_cnt",   f_res_hdr_cnt,   { ARGT_STR }, 0, SMP_T_SINT, RS, 0, NULL, -1 },
	{ "shdr_cnt",      f_res_hdr_cnt,   { ARGT_STR }, 0, SMP_T_SINT, RS, DEP, NULL, -1 },
	{ "res.fhdr_cnt",  f_res_fhdr_cnt,  { ARGT_STR }, 0, SMP_T_SINT, RS, 0, NULL, -1 },
	{ "res.hdr_ip",    f_res_hdr_ip,    HDR_ARGS,     0, SMP_T_IPV4, RS, IT, NULL, 1 },
	{ "shdr_ip",       f_res_hdr_ip,    HDR_ARGS,     0, SMP_T_IPV4, RS, IT | DEP, NULL, 1 },
	{ "res.hdr_val",   f_res_hdr_val,   HDR_ARGS,     0, SMP_T_SINT, RS, IT, NULL, 1 },
	{ "shdr_val",      f_res_hdr_val,   HDR_ARGS,     0, SMP_T_SINT, RS, IT | DEP, NULL, 1 },
	{ "res.hdrs",      f_res_hdrs,      { 0 },        0, SMP_T_STR,  RS, 0, NULL, -1 },
	{ "res.hdr_names", f_res_hdr_names, { ARGT_STR }, 0, SMP_T_STR,  RS, 0, NULL, -1 },
	{ "res.cook",      f_res_cook,      { ARGT_STR }, 0, SMP_T_STR,  RS, IT, NULL, 0 },
	{ "scook",         f_res_cook,      { ARGT_STR }, 0, SMP_T_STR,  RS, IT | DEP, NULL, 0 },
	{ "set-cookie",    f_res_cook,      { ARGT_STR }, 0, SMP_T_STR,  RS, IT | DEP, NULL, 0 },
	{ "res.cook_cnt",  f_res_cook_cnt,  { ARGT_STR }, 0, SMP_T_SINT, RS, 0, NULL, -1 },
	{ "scook_cnt",     f_res_cook_cnt,  { ARGT_STR }, 0, SMP_T_SINT, RS, DEP, NULL, -1 },
	{ "res.cook_val",  f_res_cook_val,  { ARGT_STR }, 0, SMP_T_SINT, RS, IT, NULL, 0 },
	{ "scook_val",     f_res_cook_val,  { ARGT_STR }, 0, SMP_T_SINT, RS, IT | DEP, NULL, 0 },
	{ .name = NULL }
};
