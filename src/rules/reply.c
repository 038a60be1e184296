/* Responses tandem builds from rules: deny/tarpit pages, `return`,
 * `redirect`, `auth`, and the error pages `errorfile`, `errorfiles`
 * (`http-errors` sections) and `http-error status` replace.
 *
 * Compiled at load; rendered while the request head is still there (a
 * redirect target or an lf-string body reads it). The output carries its
 * Content-Length and, unless the connection stays open, "connection:
 * close"; a HEAD request gets the head only. Header order follows
 * HAProxy's: the `hdr` lines, content-length, content-type, then the
 * reply's own headers (location, cache-control, set-cookie...). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <tandem/action.h>
#include <tandem/buf.h>
#include <tandem/errors.h>
#include <tandem/h1.h>
#include <tandem/logfmt.h>
#include <tandem/proxy-t.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include "rules_int.h"

#define ERRFILE_MAX 65536   /* an error page must fit a buffer (HAProxy: tune.bufsize) */

static const int err_codes[RULES_N_ERR] = RULES_ERR_CODES;

int rules_err_index(int status)
{
	for (int i = 0; i < RULES_N_ERR; i++)
		if (err_codes[i] == status)
			return i;
	return -1;
}

void http_reply_free(struct http_reply *r)
{
	if (!r)
		return;
	free(r->reason);
	free(r->ctype);
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr[i].name);
		logfmt_free(r->hdr[i].value);
	}
	free(r->hdr);
	free(r->raw);
	free(r->body);
	logfmt_free(r->lf);
	if (r->redir) {
		logfmt_free(r->redir->target);
		free(r->redir->cookie);
		free(r->redir);
	}
	free(r->realm);
	free(r);
}

/* ------------------------------------------------------------------ */
/* files                                                               */

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "error opening file '%s': %s", path, strerror(errno));
		return NULL;
	}
	{
		struct stat st;

		if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "file '%s' is not a regular file", path);
			fclose(f);
			return NULL;
		}
	}
	if (!(b = malloc(ERRFILE_MAX + 1))) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(b, 1, ERRFILE_MAX + 1, f);
	if (ferror(f) || n > ERRFILE_MAX) {
		snprintf(err, errlen, "file '%s' %s", path, ferror(f) ? "cannot be read" : "is larger than 64 kB");
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

/* An errorfile: a whole HTTP response. The status line and the end-to-end
 * headers are kept; framing and hop-by-hop headers go (tandem emits its
 * own), the body is what follows the head. */
struct http_reply *errorfile_load(const char *path, char *err, size_t errlen)
{
	static __thread struct h1_msg m;
	struct h1_limits lim = { ERRFILE_MAX, H1_MAX_HDRS };
	struct http_reply *r;
	size_t len, hl = 0, blen;
	char *data = read_file(path, &len, err, errlen), *w;
	int n;

	if (!data)
		return NULL;
	n = h1_parse_response(data, len, &m, &lim);
	if (n <= 0) {
		snprintf(err, errlen, "'%s': unable to parse headers (error offset: %zu)", path,
			 n == H1_ERROR ? m.err_pos : len);
		free(data);
		return NULL;
	}
	if (!(r = calloc(1, sizeof(*r))))
		goto oom;
	r->type = REPLY_RAW;
	r->status = m.status;
	if (!(r->reason = strndup(m.reason.p, m.reason.len)))
		goto oom;
	for (unsigned i = 0; i < m.nhdrs; i++)
		if (!m.hdrs[i].hop && !hdr_kind(m.hdrs[i].name.p, m.hdrs[i].name.len))
			hl += m.hdrs[i].name.len + 2 + m.hdrs[i].value.len + 2;
	if (!(r->raw = w = malloc(hl + 1)))
		goto oom;
	for (unsigned i = 0; i < m.nhdrs; i++) {
		const struct h1_hdr *h = &m.hdrs[i];

		if (h->hop || hdr_kind(h->name.p, h->name.len))
			continue;
		for (uint32_t k = 0; k < h->name.len; k++)
			*w++ = (char)tolower((unsigned char)h->name.p[k]);
		*w++ = ':';
		*w++ = ' ';
		if (h->value.len)
			memcpy(w, h->value.p, h->value.len);
		w += h->value.len;
		*w++ = '\r';
		*w++ = '\n';
	}
	*w = 0;
	r->raw_len = hl;
	blen = len - (size_t)n;
	if ((m.flags & H1_F_HAS_CL) && m.content_length < blen)
		blen = (size_t)m.content_length;
	if (!(r->body = malloc(blen + 1)))
		goto oom;
	memcpy(r->body, data + n, blen);
	r->body[blen] = 0;
	r->body_len = blen;
	free(data);
	return r;
oom:
	http_reply_free(r);
	free(data);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* parsing: deny / tarpit / return / http-error options                */

int reply_parse(struct act_parse *p, char **args, int *cur, int nargs, int kind, int def_status,
		struct http_reply **out);

static int rerr(struct act_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rerr(struct act_parse *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rep_err(p->rep, p->pc, "error detected in %s while parsing '%s %s' rule : %s", p->where,
		       p->setname ? p->setname : "", p->kw ? p->kw : "", msg);
}

static int status_arg(struct act_parse *p, const char *kw, const char *s, int *st)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < 200 || v > 599)
		return rerr(p, "'%s' : unexpected status code '%s' (expects 200 to 599).", kw, s);
	*st = (int)v;
	return 0;
}

enum { RP_DENY = 0, RP_RETURN, RP_ERROR };

int reply_parse(struct act_parse *p, char **args, int *cur, int nargs, int kind, int def_status,
		struct http_reply **out)
{
	struct http_reply *r = calloc(1, sizeof(*r));
	int i = *cur, has_body = 0, from_file = 0;
	const char *ctype = NULL;
	char err[1024];

	*out = r;
	if (!r)
		return rerr(p, "out of memory");
	r->type = REPLY_ERRFILE;
	r->status = def_status;
	while (i < nargs && strcmp(args[i], "if") && strcmp(args[i], "unless")) {
		const char *o = args[i];

		if ((!strcmp(o, "deny_status") && kind == RP_DENY) || !strcmp(o, "status")) {
			if (kind == RP_ERROR)
				break;   /* http-error: "status" was read by the caller */
			if (i + 1 >= nargs || status_arg(p, o, args[i + 1], &r->status) < 0)
				return i + 1 >= nargs ? rerr(p, "'%s' expects a status code.", o) : -1;
			i += 2;
		} else if (!strcmp(o, "content-type")) {
			if (i + 1 >= nargs || !*args[i + 1])
				return rerr(p, "'content-type' expects a type.");
			ctype = args[i + 1];
			i += 2;
		} else if (!strcmp(o, "default-errorfiles") && kind != RP_DENY) {
			if (has_body || from_file)
				return rerr(p, "'%s' cannot be combined with another payload.", o);
			from_file = 1;
			r->type = REPLY_ERRFILE;
			i++;
		} else if (!strcmp(o, "errorfile")) {
			struct http_reply *f;

			if (has_body || from_file)
				return rerr(p, "'%s' cannot be combined with another payload.", o);
			if (i + 1 >= nargs)
				return rerr(p, "'errorfile' expects a file name.");
			if (!(f = errorfile_load(args[i + 1], err, sizeof(err))))
				return rerr(p, "%s.", err);
			f->status = f->status ? f->status : r->status;
			free(r->reason);
			r->type = REPLY_RAW;
			r->reason = f->reason; f->reason = NULL;
			r->raw = f->raw; f->raw = NULL;
			r->raw_len = f->raw_len;
			r->body = f->body; f->body = NULL;
			r->body_len = f->body_len;
			r->status = f->status;
			http_reply_free(f);
			from_file = 1;
			i += 2;
		} else if (!strcmp(o, "errorfiles")) {
			if (has_body || from_file)
				return rerr(p, "'%s' cannot be combined with another payload.", o);
			if (i + 1 >= nargs)
				return rerr(p, "'errorfiles' expects an http-errors section name.");
			r->type = REPLY_ERRFILES;
			/* resolved after parsing: keep the name in <reason> until then */
			if (!(r->reason = strdup(args[i + 1])))
				return rerr(p, "out of memory");
			from_file = 1;
			i += 2;
		} else if (!strcmp(o, "file") || !strcmp(o, "lf-file") || !strcmp(o, "string") || !strcmp(o, "lf-string")) {
			char *text;
			size_t tl;

			if (has_body || from_file)
				return rerr(p, "'%s' cannot be combined with another payload.", o);
			if (i + 1 >= nargs)
				return rerr(p, "'%s' expects an argument.", o);
			if (!strcmp(o, "file") || !strcmp(o, "lf-file")) {
				if (!(text = read_file(args[i + 1], &tl, err, sizeof(err))))
					return rerr(p, "%s.", err);
			} else if (!(text = strdup(args[i + 1]))) {
				return rerr(p, "out of memory");
			} else {
				tl = strlen(text);
			}
			if (!strncmp(o, "lf-", 3)) {
				r->type = REPLY_LF_BODY;
				r->lf = logfmt_parse(text, p->pc, p->phase, err, sizeof(err));
				free(text);
				if (!r->lf)
					return rerr(p, "%s.", err);
			} else {
				r->type = REPLY_BODY;
				r->raw = text;
				r->raw_len = tl;
			}
			has_body = tl > 0 || r->type == REPLY_LF_BODY;
			if (!has_body)
				r->type = REPLY_BODY;
			i += 2;
		} else if (!strcmp(o, "hdr")) {
			struct reply_hdr *nh;
			const char *n;

			if (i + 2 >= nargs || !*args[i + 1] || !*args[i + 2])
				return rerr(p, "'hdr' expects <name> and <value> as arguments.");
			n = args[i + 1];
			for (const char *c = n; *c; c++)
				if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c))
					return rerr(p, "'hdr' : invalid header name '%s'.", n);
			if (hdr_kind(n, strlen(n)) == 2 || !strcasecmp(n, "content-type")) {
				/* HAProxy ignores them with this warning */
				rep_warn(p->rep, p->pc, "header '%s' always ignored by the http reply.", n);
				i += 3;
				continue;
			}
			if (!(nh = realloc(r->hdr, (size_t)(r->nhdr + 1) * sizeof(*nh))))
				return rerr(p, "out of memory");
			r->hdr = nh;
			memset(&nh[r->nhdr], 0, sizeof(nh[0]));
			if (!(nh[r->nhdr].name = strdup(n)))
				return rerr(p, "out of memory");
			r->nhdr++;
			if (!(nh[r->nhdr - 1].value = logfmt_parse(args[i + 2], p->pc, p->phase, err, sizeof(err))))
				return rerr(p, "%s.", err);
			i += 3;
		} else {
			break;
		}
	}
	*cur = i;
	if (from_file && (ctype || r->nhdr)) {
		rep_warn(p->rep, p->pc, "content-type and hdr options are ignored by the http reply when used with an "
			 "errorfile.");
		ctype = NULL;
	}
	if (ctype && !has_body && r->type != REPLY_BODY) {
		rep_warn(p->rep, p->pc, "content-type '%s' ignored by the http reply because neither errorfile nor "
			 "payload defined.", ctype);
		ctype = NULL;
	}
	if (has_body && !ctype)
		return rerr(p, "a content type must be defined when non-empty payload is configured.");
	if (has_body && (r->status == 204 || r->status == 304))
		return rerr(p, "No body expected for %d responses.", r->status);
	if (ctype && !(r->ctype = strdup(ctype)))
		return rerr(p, "out of memory");
	if (kind == RP_RETURN && r->type == REPLY_ERRFILE && !from_file && !r->nhdr)
		r->type = REPLY_BODY;   /* plain `return`: an empty response */
	if (kind == RP_RETURN && r->type == REPLY_ERRFILE && r->nhdr)
		r->type = REPLY_BODY;
	return 0;
}

/* redirect location|prefix|scheme <target> [code N] [option]... */
int redirect_parse(struct act_parse *p, char **args, int *cur, int nargs, struct http_reply **out)
{
	struct http_reply *r = calloc(1, sizeof(*r));
	struct redirect *d = r ? calloc(1, sizeof(*d)) : NULL;
	int i = *cur;
	char err[1024];

	*out = r;
	if (!r || !d) {
		free(d);
		return rerr(p, "out of memory");
	}
	r->type = REPLY_REDIRECT;
	r->redir = d;
	r->status = 302;
	if (i + 1 >= nargs)
		return rerr(p, "'redirect' expects 'location', 'prefix' or 'scheme' followed by a value.");
	if (!strcmp(args[i], "location"))
		d->kind = REDIR_LOCATION;
	else if (!strcmp(args[i], "prefix"))
		d->kind = REDIR_PREFIX;
	else if (!strcmp(args[i], "scheme"))
		d->kind = REDIR_SCHEME;
	else
		return rerr(p, "'redirect' expects 'location', 'prefix' or 'scheme', got '%s'.", args[i]);
	if (!(d->target = logfmt_parse(args[i + 1], p->pc, p->phase, err, sizeof(err))))
		return rerr(p, "'redirect %s' : %s.", args[i], err);
	for (i += 2; i < nargs && strcmp(args[i], "if") && strcmp(args[i], "unless"); i++) {
		const char *o = args[i];

		if (!strcmp(o, "code")) {
			char *end;
			long v = i + 1 < nargs ? strtol(args[i + 1], &end, 10) : 0;

			if (i + 1 >= nargs || *end || (v != 301 && v != 302 && v != 303 && v != 307 && v != 308))
				return rerr(p, "'redirect code' expects 301, 302, 303, 307 or 308.");
			r->status = (int)v;
			i++;
		} else if (!strcmp(o, "drop-query")) {
			d->flags |= REDIR_F_DROP_QUERY;
		} else if (!strcmp(o, "append-slash")) {
			d->flags |= REDIR_F_APPEND_SLASH;
		} else if (!strcmp(o, "ignore-empty")) {
			d->flags |= REDIR_F_IGNORE_EMPTY;
		} else if (!strcmp(o, "set-cookie") || !strcmp(o, "clear-cookie")) {
			if (i + 1 >= nargs || !*args[i + 1])
				return rerr(p, "'redirect %s' expects a cookie.", o);
			for (const char *c = args[i + 1]; *c; c++)
				if (*c == ';' || *c == '\r' || *c == '\n' || *c == ' ')
					return rerr(p, "'redirect %s' : invalid cookie '%s'.", o, args[i + 1]);
			d->flags |= o[0] == 's' ? REDIR_F_SET_COOKIE : REDIR_F_CLEAR_COOKIE;
			free(d->cookie);
			if (!(d->cookie = strdup(args[i + 1])))
				return rerr(p, "out of memory");
			if (o[0] == 'c') {
				char *eq = strchr(d->cookie, '=');

				if (eq)
					*eq = 0;
			}
			i++;
		} else {
			return rerr(p, "'redirect' : unexpected option '%s' (expects code, drop-query, append-slash, "
				    "set-cookie, clear-cookie or ignore-empty).", o);
		}
	}
	*cur = i;
	return 0;
}

/* ------------------------------------------------------------------ */
/* rendering                                                           */

static int put(struct buf *o, const char *p, size_t n)
{
	if (!n)
		return 0; /* <p> may be NULL for an empty part */
	return buf_append(o, p, n);
}

static int puts_(struct buf *o, const char *s)
{
	return buf_append(o, s, strlen(s));
}

static int no_body_status(int status)
{
	return (status >= 100 && status < 200) || status == 204 || status == 304;
}

/* Status line, the <pre> header lines, content-length, the <post> lines,
 * the connection header, the empty line and the body (HAProxy's order). */
static int emit(struct buf *o, int status, const char *reason, const char *pre, size_t prl,
		const char *post, size_t pol, const char *body, size_t bl, int keep_alive, int head_req)
{
	char line[64];
	int n;

	if (!reason || !*reason)
		reason = http_reason(status);
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	if (put(o, line, (size_t)n) || puts_(o, reason) || put(o, "\r\n", 2) || put(o, pre, prl))
		return -1;
	if (!no_body_status(status)) {
		n = snprintf(line, sizeof(line), "content-length: %zu\r\n", bl);
		if (put(o, line, (size_t)n))
			return -1;
	}
	if (put(o, post, pol))
		return -1;
	if (!keep_alive && puts_(o, "connection: close\r\n"))
		return -1;
	if (put(o, "\r\n", 2))
		return -1;
	if (!head_req && !no_body_status(status) && put(o, body, bl))
		return -1;
	return 0;
}

/* A growing string in the arena for the header lines of a reply. */
struct hb {
	struct smp_ctx *c;
	char  *p;
	size_t len, cap;
	int    fail;
};

static void hb_add(struct hb *b, const char *s, size_t n)
{
	if (b->fail || !n)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2 + 64;
		char *np = smp_alloc(b->c, cap);

		if (!np) {
			b->fail = 1;
			return;
		}
		if (b->len)
			memcpy(np, b->p, b->len);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* A header line; the name lower-cased (HAProxy writes generated headers
 * that way), an empty value or one that would break the head left out. */
static void hb_hdr(struct hb *b, const char *n, const char *v, size_t vl)
{
	size_t nl = strlen(n);
	char lname[128];

	if (!vl || nl >= sizeof(lname))
		return;
	for (size_t i = 0; i < vl; i++)
		if (v[i] == '\r' || v[i] == '\n' || !v[i])
			return;
	for (size_t i = 0; i <= nl; i++)
		lname[i] = (char)tolower((unsigned char)n[i]);
	hb_add(b, lname, nl);
	hb_add(b, ": ", 2);
	hb_add(b, v, vl);
	hb_add(b, "\r\n", 2);
}

static void hb_str(struct hb *b, const char *s)
{
	hb_add(b, s, strlen(s));
}

/* Tandem's built-in page body for <status> (the one errors.c serves). */
static void builtin_body(int status, struct hb *body)
{
	size_t len;
	const char *msg = http_error_msg(status, &len), *b;
	char line[32];

	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	if (!strncmp(msg, line, strlen(line)) && (b = strstr(msg, "\r\n\r\n"))) {
		hb_add(body, b + 4, len - (size_t)(b + 4 - msg));
		return;
	}
	{
		char page[256];
		int n = status == 200 ? snprintf(page, sizeof(page), "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n") :
			snprintf(page, sizeof(page), "<html><body><h1>%d %s</h1>\n</body></html>\n",
				 status, http_reason(status));

		hb_add(body, page, (size_t)n);
	}
}

static const struct http_reply *custom_page(const struct smp_ctx *c, int status)
{
	int idx = rules_err_index(status);
	const struct proxy *px[2] = { c && c->be ? c->be : NULL, c ? c->fe : NULL };

	if (idx < 0)
		return NULL;
	for (int i = 0; i < 2; i++)
		if (px[i] && px[i]->rules && px[i]->rules->errmsg[idx])
			return px[i]->rules->errmsg[idx];
	return NULL;
}

const struct http_reply *rules_errmsg(const struct proxy *px, int status)
{
	int idx = rules_err_index(status);

	return idx >= 0 && px && px->rules ? px->rules->errmsg[idx] : NULL;
}

static int render_body_reply(const struct http_reply *r, int status, struct smp_ctx *c, int ka, int head,
			     struct buf *out, const char *extra_name, const char *extra_val)
{
	struct hb pre = { c, NULL, 0, 0, 0 }, post = { c, NULL, 0, 0, 0 };
	const char *body = NULL;
	size_t bl = 0;

	for (int i = 0; i < r->nhdr; i++) {
		size_t vl;
		char *v = logfmt_render_arena(r->hdr[i].value, c, NULL, &vl);

		if (!v)
			return -1;
		hb_hdr(&pre, r->hdr[i].name, v, vl);
	}
	if (r->type == REPLY_LF_BODY) {
		if (!(body = logfmt_render_arena(r->lf, c, NULL, &bl)))
			return -1;
	} else if (r->type == REPLY_RAW) {
		hb_add(&post, r->raw, r->raw_len);
		body = r->body;
		bl = r->body_len;
	} else {
		body = r->raw;
		bl = r->raw_len;
	}
	if (r->ctype)
		hb_hdr(&post, "content-type", r->ctype, strlen(r->ctype));
	if (extra_name)
		hb_hdr(&post, extra_name, extra_val, strlen(extra_val));
	if (pre.fail || post.fail)
		return -1;
	return emit(out, r->type == REPLY_RAW ? r->status : status, r->type == REPLY_RAW ? r->reason : NULL,
		    pre.p ? pre.p : "", pre.len, post.p ? post.p : "", post.len, body ? body : "", bl, ka, head);
}

/* The page for <status>: the proxy's own if configured, else built in. */
static int render_page(int status, struct smp_ctx *c, int ka, int head, struct buf *out,
		       const char *extra_name, const char *extra_val, const char *text)
{
	const struct http_reply *cp = custom_page(c, status);
	struct hb h = { c, NULL, 0, 0, 0 }, b = { c, NULL, 0, 0, 0 };

	if (cp && cp->type != REPLY_ERRFILE)
		return render_body_reply(cp, status, c, ka, head, out, extra_name, extra_val);
	hb_str(&h, "cache-control: no-cache\r\ncontent-type: text/html\r\n");
	if (extra_name)
		hb_hdr(&h, extra_name, extra_val, strlen(extra_val));
	if (text)
		hb_str(&b, text);
	else
		builtin_body(status, &b);
	if (h.fail || b.fail)
		return -1;
	return emit(out, status, NULL, "", 0, h.p, h.len, b.p ? b.p : "", b.len, ka, head);
}

int redirect_applies(const struct http_reply *rp, struct smp_ctx *ctx)
{
	size_t len;
	char *v;

	if (!(rp->redir->flags & REDIR_F_IGNORE_EMPTY))
		return 1;
	v = logfmt_render_arena(rp->redir->target, ctx, NULL, &len);
	return v && len;
}

static int render_redirect(const struct http_reply *r, int status, struct smp_ctx *c, int ka, int head,
			   struct buf *out)
{
	const struct redirect *d = r->redir;
	struct hb h = { c, NULL, 0, 0, 0 }, loc = { c, NULL, 0, 0, 0 };
	size_t tl;
	char *t = logfmt_render_arena(d->target, c, NULL, &tl);

	if (!t)
		return -1;
	if (d->kind == REDIR_LOCATION) {
		hb_add(&loc, t, tl);
	} else {
		const char *path = "", *q = "";
		size_t pl = 0, ql = 0;
		int hq = 0;

		if (c->req)
			uri_split(c->req->uri.p, c->req->uri.len, &path, &pl, &q, &ql, &hq);
		if (d->flags & REDIR_F_DROP_QUERY)
			hq = 0;
		if (d->kind == REDIR_SCHEME) {
			hb_add(&loc, t, tl);
			hb_str(&loc, "://");
			if (c->req && (c->req->flags & H1_F_HAS_HOST))
				hb_add(&loc, c->req->host.p, c->req->host.len);
		} else if (!(tl == 1 && t[0] == '/')) {
			hb_add(&loc, t, tl);   /* a "/" prefix would double the slash */
		}
		hb_add(&loc, path, pl);
		if (hq) {
			hb_add(&loc, "?", 1);
			hb_add(&loc, q, ql);
		}
		if ((d->flags & REDIR_F_APPEND_SLASH) && (!loc.len || loc.p[loc.len - 1] != '/'))
			hb_add(&loc, "/", 1);
	}
	if (loc.fail)
		return -1;
	hb_hdr(&h, "location", loc.p ? loc.p : "", loc.len);
	if (status == 302 || status == 303 || status == 307)
		hb_str(&h, "cache-control: no-cache\r\n");
	if (d->flags & REDIR_F_SET_COOKIE) {
		hb_str(&h, "set-cookie: ");
		hb_str(&h, d->cookie);
		hb_str(&h, "; path=/;\r\n");
	} else if (d->flags & REDIR_F_CLEAR_COOKIE) {
		hb_str(&h, "set-cookie: ");
		hb_str(&h, d->cookie);
		hb_str(&h, "; path=/; Max-Age=0;\r\n");
	}
	if (h.fail)
		return -1;
	return emit(out, status, NULL, "", 0, h.p, h.len, "", 0, ka, head);
}

int http_reply_render(const struct http_reply *r, int status, struct smp_ctx *c, int ka, int head, struct buf *out)
{
	if (!status)
		status = r ? r->status : 500;
	if (!r || r->type == REPLY_ERRFILE)
		return render_page(status, c, ka, head, out, NULL, NULL, NULL);
	switch (r->type) {
	case REPLY_ERRFILES: {
		int idx = rules_err_index(status);
		const struct http_reply *m = r->errs && idx >= 0 ? r->errs->msg[idx] : NULL;

		if (m)
			return render_body_reply(m, status, c, ka, head, out, NULL, NULL);
		return render_page(status, c, ka, head, out, NULL, NULL, NULL);
	}
	case REPLY_REDIRECT:
		return render_redirect(r, status, c, ka, head, out);
	case REPLY_AUTH: {
		char v[512];

		snprintf(v, sizeof(v), "Basic realm=\"%s\"", r->realm ? r->realm : "");
		return render_page(status, c, ka, head, out, status == 407 ? "proxy-authenticate" : "www-authenticate",
				   v, status == 401 || status == 407 ?
				   "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access "
				   "this content.\n</body></html>\n" : NULL);
	}
	default:
		return render_body_reply(r, status, c, ka, head, out, NULL, NULL);
	}
}
