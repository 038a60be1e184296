/* Cookie persistence (`cookie NAME insert|rewrite|prefix ...`, server
 * `cookie VALUE`), HAProxy's meaning:
 *
 * Request. The Cookie headers are read cookie by cookie (';' and ','
 * separate them, `$` attributes belong to the cookie before). Ours names a
 * server by its `cookie` value, followed in insert mode by "|<last seen>"
 * and "|<first seen>" dates when maxidle/maxlife are set (HAProxy's 30-bit
 * dates in 5 base64 characters, 4-second resolution); in prefix mode it is
 * "<server>~<the application's value>". The first server with that value
 * that is not DOWN nor in maintenance takes the request (a draining one
 * still does: persistence is what drain keeps); a DOWN one only under
 * force-persist. A value that names no server, an empty one, or one too
 * old (maxidle/maxlife) is ignored: the request is balanced as if it had
 * none. Then the header is rewritten: the prefix is stripped (the server
 * finds its own cookie), and in insert+indirect mode ours is removed
 * (the server never sees it).
 *
 * Response. A Set-Cookie for our cookie from the server is removed in
 * insert mode (ours replaces it) and in indirect mode when the client came
 * directly, unless `preserve`; in rewrite mode its value becomes the
 * server's cookie; in prefix mode the server's cookie and '~' go in front.
 * Insert mode then adds ours when the client did not come directly (or
 * its dates need refreshing), only for POST with `postonly`, never under
 * ignore-persist; with `nocache`, a response that was cacheable gets
 * "Cache-control: private" too. A server without a cookie value gets an
 * expired cookie (the client forgets its old server). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <tandem/clock.h>
#include <tandem/h1.h>
#include <tandem/persist.h>
#include <tandem/proxy-t.h>
#include <tandem/rules.h>
#include <tandem/sample.h>

#define DELIM_PFX  '~'
#define DELIM_DATE '|'

/* ---- dates ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ck_s30tob64(uint32_t v, char out[5])
{
	for (int i = 0; i < 5; i++)
		out[i] = b64[(v >> (24 - 6 * i)) & 0x3f];
}

int ck_b64tos30(const char *in)
{
	int v = 0;

	for (int i = 0; i < 5; i++) {
		const char *p = memchr(b64, in[i], 64);

		if (!in[i] || !p)
			return -1;
		v = (v << 6) | (int)(p - b64);
	}
	return v;
}

/* ---- request ---- */

static int sp(char c)
{
	return c == ' ' || c == '\t';
}

/* The first server of <be> whose cookie is <v>/<len> and that may take
 * the request; its state goes to <out>. */
static void find_server(const struct proxy *be, const char *v, size_t len, int force, struct ck_req *out)
{
	const struct list *l;

	for (l = be->servers.next; l != &be->servers; l = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE)) {
		struct server *s = list_entry(l, struct server, link);
		int st, adm;

		if (!s->cookie || strlen(s->cookie) != len || memcmp(s->cookie, v, len))
			continue;
		st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
		adm = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);
		if ((st != SRV_ST_STOPPED && !(adm & SRV_ADMF_MAINT)) || force) {
			out->state = st != SRV_ST_STOPPED && !(adm & SRV_ADMF_MAINT) ? CKS_VALID : CKS_DOWN;
			out->srv = s;
			return;
		}
		out->state = CKS_DOWN;   /* go on: another server may share the value */
	}
}

/* One header's value: handle our cookie, and build the new value into
 * <o> (capacity <cap>) when something changes. Returns the new length,
 * or -1 when nothing changed. */
static long one_header(const struct proxy *be, const char *v, size_t len, int use, int force, struct ck_req *out,
		       char *o, size_t cap, uint64_t now_s)
{
	const struct ck_conf *ck = &be->persist->ck;
	size_t at = 0, ol = 0;
	int changed = 0, dropping = 0;

	while (at < len) {
		size_t beg, name_end, eq, vb, ve, end;
		int ours;

		/* one cookie: [beg, end) up to ';' or ',' (quotes respected) */
		beg = at;
		while (beg < len && sp(v[beg]))
			beg++;
		for (name_end = beg; name_end < len && v[name_end] != '=' && v[name_end] != ';' && v[name_end] != ','; name_end++)
			;
		eq = name_end;
		while (name_end > beg && sp(v[name_end - 1]))
			name_end--;
		end = eq;
		vb = ve = eq;
		if (eq < len && v[eq] == '=') {
			int q = 0;

			vb = eq + 1;
			while (vb < len && sp(v[vb]))
				vb++;
			for (end = vb; end < len; end++) {
				if (v[end] == '"')
					q = !q;
				else if (!q && (v[end] == ';' || v[end] == ','))
					break;
			}
			ve = end;
			while (ve > vb && sp(v[ve - 1]))
				ve--;
		}
		at = end < len ? end + 1 : len;
		if (beg == end)
			continue;   /* empty element */
		/* `$Path`-like attributes go with the cookie before them */
		if (v[beg] == '$') {
			if (dropping) {
				changed = 1;
				continue;
			}
			goto keep;
		}
		dropping = 0;
		ours = eq < len && v[eq] == '=' && name_end - beg == ck->nlen && !memcmp(v + beg, ck->name, ck->nlen);
		if (!ours)
			goto keep;
		{
			size_t delim = ve, app = ve;

			if (ck->mode == CK_PREFIX) {
				const char *d = memchr(v + vb, DELIM_PFX, ve - vb);

				if (d) {
					delim = (size_t)(d - v);
					app = delim + 1;
				}
			} else {
				const char *bar = memchr(v + vb, DELIM_DATE, ve - vb);

				if (bar) {
					size_t b1 = (size_t)(bar - v) + 1;
					const char *bar2;
					int d;

					delim = (size_t)(bar - v);
					if (ve - b1 >= 5 && (d = ck_b64tos30(v + b1)) > 0)
						out->last = (uint32_t)d << 2;
					bar2 = memchr(v + b1, DELIM_DATE, ve - b1);
					if (bar2 && (size_t)(v + ve - bar2) > 5 && (d = ck_b64tos30(bar2 + 1)) > 0)
						out->first = (uint32_t)d << 2;
				}
			}
			/* too old, or dated more than a day ahead: as if absent */
			if (out->first && ck->maxlife &&
			    ((int64_t)now_s - out->first > (int64_t)ck->maxlife || (int64_t)out->first - (int64_t)now_s > 86400)) {
				out->state = CKS_OLD;
				delim = vb;
				out->first = out->last = 0;
			} else if (out->last && ck->maxidle &&
				   ((int64_t)now_s - out->last > (int64_t)ck->maxidle || (int64_t)out->last - (int64_t)now_s > 86400)) {
				out->state = CKS_EXPIRED;
				delim = vb;
				out->first = out->last = 0;
			}
			if (delim > vb && use && !out->srv)
				find_server(be, v + vb, delim - vb, force, out);
			if (!out->srv && out->state != CKS_DOWN && out->state != CKS_EXPIRED && out->state != CKS_OLD)
				out->state = use ? CKS_INVALID : CKS_UNUSED;
			if (ck->mode == CK_PREFIX && app != ve) {
				/* the server's own cookie, without our prefix */
				size_t n = name_end - beg;

				if (ol + n + 1 + (ve - app) + 2 > cap)
					return -2;
				if (ol) {
					o[ol++] = ';';
					o[ol++] = ' ';
				}
				memcpy(o + ol, v + beg, n);
				ol += n;
				o[ol++] = '=';
				memcpy(o + ol, v + app, ve - app);
				ol += ve - app;
				changed = 1;
				continue;
			}
			if (ck->mode == CK_INSERT && (ck->flags & CK_F_INDIRECT)) {
				dropping = 1;   /* the server never sees it */
				changed = 1;
				continue;
			}
		}
keep:
		{
			size_t n = (ve > beg ? ve : end) - beg;

			while (n && sp(v[beg + n - 1]))
				n--;
			if (ol + n + 2 > cap)
				return -2;
			if (ol) {
				o[ol++] = ';';
				o[ol++] = ' ';
			}
			memcpy(o + ol, v + beg, n);
			ol += n;
		}
	}
	return changed ? (long)ol : -1;
}

int ck_request(const struct proxy *be, struct h1_msg *m, struct smp_ctx *c, int use, int force, struct ck_req *out)
{
	uint64_t now_s;

	memset(out, 0, sizeof(*out));
	if (!be->persist || !be->persist->ck.name || !m)
		return 0;
	now_s = clock_wall_us() / 1000000;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		struct h1_hdr *h = &m->hdrs[i];
		size_t cap;
		char *o;
		long n;

		if (h->name.len != 6 || strncasecmp(h->name.p, "cookie", 6))
			continue;
		/* a quick look first: most Cookie headers are not ours */
		if (h->value.len < be->persist->ck.nlen ||
		    !memmem(h->value.p, h->value.len, be->persist->ck.name, be->persist->ck.nlen))
			continue;
		cap = h->value.len + 2;
		if (!(o = smp_alloc(c, cap)))
			return -1;
		n = one_header(be, h->value.p, h->value.len, use, force, out, o, cap, now_s);
		if (n == -2)
			return -1;
		if (n < 0)
			continue;
		if (n == 0) {
			msg_del_hdr(c, m, i);
			i--;
			continue;
		}
		if (msg_set_hdr_value(c, m, i, o, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* ---- response ---- */

/* Would a cache keep this response? HAProxy's reading: a safe method, a
 * status cacheable by default, no Pragma: no-cache, Cache-Control not
 * private/no-cache/no-store/max-age=0 (public makes it cacheable), and
 * something a cache can work with: a freshness lifetime (max-age,
 * s-maxage, Expires) or a validator (ETag, Last-Modified). */
static int cacheable(const struct h1_msg *m, int meth)
{
	int ok = 0, fresh = 0, validator = 0;

	if (meth != H1_M_GET && meth != H1_M_HEAD && meth != H1_M_OPTIONS && meth != H1_M_TRACE)
		return 0;
	switch (m->status) {
	case 200: case 203: case 204: case 206: case 300: case 301: case 404: case 405: case 410: case 414: case 501:
		ok = 1;
		break;
	default:
		return 0;
	}
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct h1_hdr *h = &m->hdrs[i];
		const char *v = h->value.p;
		size_t vl = h->value.len;

		if (h1_str_ieq(h->name, "pragma") && vl == 8 && !strncasecmp(v, "no-cache", 8))
			return 0;
		if (h1_str_ieq(h->name, "expires"))
			fresh = 1;
		if (h1_str_ieq(h->name, "etag") || h1_str_ieq(h->name, "last-modified"))
			validator = 1;
		if (!h1_str_ieq(h->name, "cache-control"))
			continue;
		/* each comma-separated directive */
		for (size_t a = 0; a < vl;) {
			size_t b = a, e;

			while (b < vl && (sp(v[b]) || v[b] == ','))
				b++;
			for (e = b; e < vl && v[e] != ','; e++)
				;
			a = e;
			while (e > b && sp(v[e - 1]))
				e--;
#define IS(w) (e - b == sizeof(w) - 1 && !strncasecmp(v + b, w, sizeof(w) - 1))
#define BEG(w) (e - b >= sizeof(w) - 1 && !strncasecmp(v + b, w, sizeof(w) - 1))
			if (IS("public"))
				ok = 1;
			else if (IS("private") || IS("no-cache") || IS("no-store") || IS("max-age=0") || IS("s-maxage=0"))
				ok = 0;
			else if (BEG("max-age") || BEG("s-maxage"))
				fresh = 1;
#undef IS
#undef BEG
		}
	}
	return ok && (fresh || validator);
}

/* The name of the cookie a Set-Cookie value sets, [*b, *e) of its value. */
static int setcookie_ours(const struct ck_conf *ck, const struct h1_hdr *h, size_t *vb, size_t *ve)
{
	const char *v = h->value.p;
	size_t len = h->value.len, b = 0, ne, eq;

	while (b < len && sp(v[b]))
		b++;
	for (eq = b; eq < len && v[eq] != '=' && v[eq] != ';'; eq++)
		;
	if (eq >= len || v[eq] != '=')
		return 0;
	for (ne = eq; ne > b && sp(v[ne - 1]); ne--)
		;
	if (ne - b != ck->nlen || memcmp(v + b, ck->name, ck->nlen))
		return 0;
	*vb = eq + 1;
	while (*vb < len && sp(v[*vb]))
		(*vb)++;
	for (*ve = *vb; *ve < len && v[*ve] != ';'; (*ve)++)
		;
	while (*ve > *vb && sp(v[*ve - 1]))
		(*ve)--;
	return 1;
}

int ck_response(const struct proxy *be, struct server *srv, struct h1_msg *m, struct smp_ctx *c,
		const struct ck_req *rq, int direct, int meth, int ignore, uint64_t now_s)
{
	const struct ck_conf *ck;
	int found = 0, was_cacheable;
	char buf[1024], *v;
	int n;

	if (!be->persist || !(ck = &be->persist->ck)->name || ignore)
		return 0;
	/* 1. the server's own Set-Cookie for our cookie */
	for (unsigned i = 0; i < m->nhdrs; i++) {
		struct h1_hdr *h = &m->hdrs[i];
		size_t vb, ve;

		if (!h1_str_ieq(h->name, "set-cookie") || !setcookie_ours(ck, h, &vb, &ve))
			continue;
		found = 1;
		if (ck->flags & CK_F_PRESERVE)
			continue;
		if ((srv && ck->mode == CK_INSERT) || (direct && (ck->flags & CK_F_INDIRECT))) {
			msg_del_hdr(c, m, i);
			i--;
			continue;
		}
		if (srv && srv->cookie && (ck->mode == CK_REWRITE || ck->mode == CK_PREFIX)) {
			size_t sl = strlen(srv->cookie), nl = h->value.len + sl + 1;
			char *o = smp_alloc(c, nl + 1);
			size_t at = 0;

			if (!o)
				return -1;
			memcpy(o, h->value.p, vb);
			at = vb;
			memcpy(o + at, srv->cookie, sl);
			at += sl;
			if (ck->mode == CK_PREFIX) {
				o[at++] = DELIM_PFX;
				memcpy(o + at, h->value.p + vb, h->value.len - vb);
				at += h->value.len - vb;
			} else {
				memcpy(o + at, h->value.p + ve, h->value.len - ve);
				at += h->value.len - ve;
			}
			if (msg_set_hdr_value(c, m, i, o, at) < 0)
				return -1;
		}
	}
	/* 2. ours, in insert mode */
	if (ck->mode != CK_INSERT || !srv || (found && (ck->flags & CK_F_PRESERVE)))
		return 0;
	if ((ck->flags & CK_F_POSTONLY) && meth != H1_M_POST)
		return 0;
	if (direct &&
	    !((ck->maxidle || rq->last) && (!rq->last || (int64_t)rq->last - (int64_t)now_s < 0)) &&
	    !(ck->maxlife && !rq->first) && !(!ck->maxlife && rq->first))
		return 0;   /* it came with a valid cookie for this server, nothing to refresh */
	if (!srv->cookie) {
		n = snprintf(buf, sizeof(buf), "%s=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/", ck->name);
	} else {
		char d1[6] = "", d2[6] = "";

		if (ck->maxidle || ck->maxlife) {
			d1[0] = DELIM_DATE;
			ck_s30tob64((uint32_t)((now_s + 3) >> 2), d1 + 1);
			if (ck->maxlife) {
				d2[0] = DELIM_DATE;
				ck_s30tob64(rq->first ? rq->first >> 2 : (uint32_t)((now_s + 3) >> 2), d2 + 1);
			}
		}
		n = snprintf(buf, sizeof(buf), "%s=%s%.6s%.6s; path=/", ck->name, srv->cookie, d1, d2);
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s%s%s%s%s",
		      ck->domain ? "; domain=" : "", ck->domain ? ck->domain : "",
		      (ck->flags & CK_F_HTTPONLY) ? "; HttpOnly" : "", (ck->flags & CK_F_SECURE) ? "; Secure" : "",
		      ck->attrs ? "; " : "", ck->attrs ? ck->attrs : "");
	if ((size_t)n >= sizeof(buf))
		return -1;
	was_cacheable = cacheable(m, meth);
	if (!(v = smp_alloc(c, (size_t)n + 1)))
		return -1;
	memcpy(v, buf, (size_t)n);
	if (msg_add_hdr(c, m, "Set-Cookie", 10, v, (size_t)n) < 0)
		return -1;
	/* a cache must not hand this cookie to other clients */
	if ((ck->flags & CK_F_NOCACHE) && was_cacheable && msg_add_hdr(c, m, "Cache-control", 13, "private", 7) < 0)
		return -1;
	return 0;
}
