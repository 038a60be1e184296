/* Routing of stats requests on a stats-enabled proxy (doc/management.md):
 *
 *   GET /metrics              Prometheus text format (exact path, any stats listener)
 *   GET  URI                  the live dashboard (static report inside for no-JS clients)
 *   GET  URI;json             the JSON export
 *   GET  URI;json?history=SECONDS[&rows=frontends,backends,servers]
 *                             the JSON export with the last SECONDS of
 *                             history (samples of the rows named, every
 *                             row by default, and the state changes)
 *   GET  URI;csv              HAProxy's CSV export
 *   GET  URI;static           the static report (reloads per `stats refresh`)
 *   GET  URI;norefresh        the static report without the reload
 *   GET  URI;st=CODE          the dashboard, announcing an admin result
 *   POST URI  s=SRV&b=BE&action=ready|drain|maint
 *                             admin action (HAProxy's form fields); answered
 *                             with 303 to URI;st=CODE like HAProxy
 *
 * URI is `stats uri`; options follow it, each introduced by ';'. Admin
 * actions need `stats admin` and `stats auth` (the caller checked the
 * credentials), and a same-origin request (stats_auth.c): otherwise 403. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg_value.h>
#include <tandem/clock.h>
#include <tandem/srv_admin.h>
#include <tandem/stats.h>
#include <tandem/stats_export.h>
#include <tandem/stats_http.h>

#define MAX_POST_SRV 64     /* servers named in one admin form */

static int is_metrics(const char *uri, size_t len)
{
	return len >= 8 && !memcmp(uri, "/metrics", 8) && (len == 8 || uri[8] == '?');
}

int stats_http_match(const struct proxy *px, const char *uri, size_t urilen)
{
	size_t ul;

	if (!px->stats_enabled || !px->stats_uri)
		return 0;
	if (is_metrics(uri, urilen))
		return 1;
	ul = strlen(px->stats_uri);
	return urilen >= ul && !memcmp(uri, px->stats_uri, ul);
}

/* Options after the stats URI (";csv;norefresh", ";st=DONE"), and the
 * JSON export's query string ("?history=60&rows=backends"). */
struct stats_opts {
	int csv, json, stat, norefresh;
	char st[8];              /* admin result code, "" = none */
	char scope[21];          /* `scope=TEXT` (HAProxy's STAT_SCOPE_TXT_MAXLEN), "" = none */
	struct json_opts jo;
	const char *bad;         /* a query parameter tandem refuses: why */
};

/* "frontends,backends,servers" (any of them, comma-separated) into STO_*
 * bits; 0 when a word is unknown or none is given. */
static unsigned parse_rows(const char *p, size_t n)
{
	static const struct { const char *w; unsigned obj; } words[] = {
		{ "frontends", STO_FE }, { "backends", STO_BE }, { "servers", STO_SRV },
	};
	unsigned rows = 0;
	const char *end = p + n;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t l = (size_t)((c ? c : end) - p), i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (l == strlen(words[i].w) && !memcmp(p, words[i].w, l))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return 0;
		rows |= words[i].obj;
		p += l + (c ? 1 : 0);
	}
	return rows;
}

/* The query string <p>[0..n) of a JSON request. */
static void parse_query(const char *p, size_t n, struct stats_opts *o)
{
	const char *end = p + n;

	o->jo.history_rows = STO_FE | STO_BE | STO_SRV;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		size_t kl = (size_t)((eq ? eq : pe) - p), vl = eq ? (size_t)(pe - eq - 1) : 0;

		if (kl == 7 && !memcmp(p, "history", 7)) {
			unsigned long v = 0;
			size_t i;

			for (i = 0; i < vl && eq[1 + i] >= '0' && eq[1 + i] <= '9' && v <= JSON_HISTORY_MAX_S; i++)
				v = v * 10 + (unsigned long)(eq[1 + i] - '0');
			if (!vl || i != vl || v < 1 || v > JSON_HISTORY_MAX_S) {
				o->bad = "'history' expects a number of seconds from 1 to 86400.\n";
				return;
			}
			o->jo.history_s = (uint32_t)v;
		} else if (kl == 4 && !memcmp(p, "rows", 4)) {
			if (!(o->jo.history_rows = eq ? parse_rows(eq + 1, vl) : 0)) {
				o->bad = "'rows' expects frontends, backends or servers, separated by commas.\n";
				return;
			}
		}
		/* other parameters (a cache buster...) are left alone */
		p = pe + (amp ? 1 : 0);
	}
}

static void parse_opts(const char *p, size_t len, struct stats_opts *o)
{
	const char *end = p + len, *start = p, *sc;

	memset(o, 0, sizeof(*o));
	/* HAProxy's `scope=TEXT` anywhere after the URI (";csv;scope=b1",
	 * "?scope=b1"), up to ';', '&' or a space, at most 20 characters;
	 * a character no proxy name has clears it */
	if ((sc = memmem(p, len, "scope=", 6))) {
		size_t k = 0;

		for (sc += 6; sc < end && *sc != ';' && *sc != '&' && *sc != ' ' && k < sizeof(o->scope) - 1; sc++)
			o->scope[k++] = *sc;
		o->scope[k] = 0;
		if (cfg_invalid_char(o->scope))
			o->scope[0] = 0;
	}
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p)), *tok, *te;
		size_t n;

		if (!semi)
			break;
		tok = semi + 1;
		te = tok;
		while (te < end && *te != ';' && *te != '?' && *te != '&')
			te++;
		n = (size_t)(te - tok);
		if (n == 3 && !memcmp(tok, "csv", 3))
			o->csv = 1;
		else if (n == 4 && !memcmp(tok, "json", 4))
			o->json = 1;
		else if (n == 6 && !memcmp(tok, "static", 6))
			o->stat = 1;
		else if (n == 9 && !memcmp(tok, "norefresh", 9))
			o->norefresh = 1;
		else if (n > 3 && n < 3 + sizeof(o->st) && !memcmp(tok, "st=", 3)) {
			size_t i;
			for (i = 3; i < n && tok[i] >= 'A' && tok[i] <= 'Z'; i++)
				;
			if (i == n) {   /* only capitals: it is echoed into the page */
				memcpy(o->st, tok + 3, n - 3);
				o->st[n - 3] = '\0';
			}
		}
		p = te;
	}
	if (o->json) {
		const char *q = memchr(start, '?', len);

		o->jo.history_rows = STO_FE | STO_BE | STO_SRV;
		if (q)
			parse_query(q + 1, (size_t)(end - q - 1), o);
	}
}

/* ---- admin form ----------------------------------------------------------- */

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decode application/x-www-form-urlencoded <s>[0..n) into <out> (NUL-
 * terminated, at most <cap>-1 bytes). Returns 0, or -1 when it does not
 * fit or holds a NUL byte. */
static int form_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
				return -1;
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (!c || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static struct proxy *find_backend(const struct cfg *cfg, const char *name)
{
	struct list *pp;
	int iid = name[0] == '#' ? atoi(name + 1) : 0;

	list_for_each(pp, &cfg->proxies) {
		struct proxy *p = list_entry(pp, struct proxy, link);
		if (!(p->cap & PR_CAP_BE) || (p->cap & PR_CAP_DEF))
			continue;
		if (iid ? p->uuid == iid : (p->id && !strcmp(p->id, name)))
			return p;
	}
	return NULL;
}

static struct server *find_server(struct proxy *be, const char *name)
{
	struct list *sp;

	list_for_each(sp, &be->servers) {
		struct server *s = list_entry(sp, struct server, link);
		if (s->id && !strcmp(s->id, name))
			return s;
	}
	return NULL;
}

/* Apply the admin form <body>; returns HAProxy's result code:
 * DONE (every named server now in the state, at least one changed), NONE
 * (all already were), PART (some names unknown), ERRP (bad form, unknown
 * backend or action, no known server), DENY (backend out of scope). */
static const char *admin_apply(const struct cfg *cfg, const struct proxy *px,
			       const char *body, size_t len)
{
	char be_name[256] = "", act[32] = "", srv[MAX_POST_SRV][256];
	int nsrv = 0, found = 0, changed = 0, unknown = 0;
	enum srv_admin_mode mode;
	const char *p = body, *end = body + len;
	struct proxy *be;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *pe = amp ? amp : end;
		char key[16];

		eq = memchr(p, '=', (size_t)(pe - p));
		if (eq && form_decode(p, (size_t)(eq - p), key, sizeof(key)) == 0) {
			const char *v = eq + 1;
			size_t vl = (size_t)(pe - v);
			if (!strcmp(key, "b")) {
				if (form_decode(v, vl, be_name, sizeof(be_name)) < 0)
					return "ERRP";
			} else if (!strcmp(key, "action")) {
				if (form_decode(v, vl, act, sizeof(act)) < 0)
					return "ERRP";
			} else if (!strcmp(key, "s")) {
				if (nsrv == MAX_POST_SRV)
					return "EXCD";
				if (form_decode(v, vl, srv[nsrv], sizeof(srv[0])) < 0)
					return "ERRP";
				nsrv++;
			}
		}
		p = pe + (amp ? 1 : 0);
	}
	if (!strcmp(act, "ready"))
		mode = SRV_ADMIN_READY;
	else if (!strcmp(act, "drain"))
		mode = SRV_ADMIN_DRAIN;
	else if (!strcmp(act, "maint"))
		mode = SRV_ADMIN_MAINT;
	else
		return "ERRP";
	if (!be_name[0] || !nsrv || !(be = find_backend(cfg, be_name)))
		return "ERRP";
	if (!stats_in_scope(px, be))
		return "DENY";
	for (int i = 0; i < nsrv; i++) {
		struct server *s = find_server(be, srv[i]);
		if (!s) {
			unknown++;
			continue;
		}
		found++;
		changed += srv_set_admin_mode(s, mode, "stats page");
	}
	if (!found)
		return "ERRP";
	if (unknown)
		return "PART";
	return changed ? "DONE" : "NONE";
}

static int reply_text(struct stats_reply *out, int status, const char *text)
{
	out->status = status;
	out->ctype = "text/plain; charset=utf-8";
	out->len = strlen(text);
	out->body = strdup(text);
	return out->body ? 0 : -1;
}

static int serve_post(const struct cfg *cfg, const struct proxy *px, const char *body, size_t bodylen,
		      const struct h1_msg *req, int admin, struct stats_reply *out)
{
	const char *st;

	if (!admin)
		return reply_text(out, 403, "Admin actions need 'stats admin' and 'stats auth' on this listener.\n");
	if (!stats_origin_ok(req))
		return reply_text(out, 403, "Cross-origin admin action refused: Origin (or Referer) must name this Host.\n");
	st = admin_apply(cfg, px, body ? body : "", body ? bodylen : 0);
	out->status = 303;
	out->ctype = "text/plain";
	snprintf(out->location, sizeof(out->location), "%s;st=%s", px->stats_uri ? px->stats_uri : "", st);
	out->body = NULL;
	out->len = 0;
	return 0;
}

int stats_http_metrics(const struct cfg *cfg, const struct proxy *px, const char *method,
		       struct stats_reply *out)
{
	memset(out, 0, sizeof(*out));
	out->status = 200;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(out, 405, "Only GET and HEAD are allowed on /metrics.\n");
	out->ctype = METRICS_CTYPE;
	out->body = stats_render_metrics(cfg, px, &out->len);
	return out->body ? 0 : -1;
}

int stats_http_is_metrics(const struct proxy *px, const char *uri, size_t urilen)
{
	return px->stats_enabled && px->stats_uri && is_metrics(uri, urilen);
}

int stats_http_serve(const struct cfg *cfg, const struct proxy *px, const char *method,
		     const char *uri, size_t urilen, const char *body, size_t bodylen,
		     const struct h1_msg *req, struct stats_reply *out)
{
	return stats_http_serve_adm(cfg, px, method, uri, urilen, body, bodylen, req,
				    px->stats_admin && !list_empty(&px->stats_auths), out);
}

int stats_http_serve_adm(const struct cfg *cfg, const struct proxy *px, const char *method,
			 const char *uri, size_t urilen, const char *body, size_t bodylen,
			 const struct h1_msg *req, int admin, struct stats_reply *out)
{
	size_t ul = px->stats_uri ? strlen(px->stats_uri) : 0;
	struct stats_opts o;

	memset(out, 0, sizeof(*out));
	out->status = 200;
	if (is_metrics(uri, urilen))
		return stats_http_metrics(cfg, px, method, out);
	if (urilen < ul || memcmp(uri, px->stats_uri, ul)) {
		/* chosen by `http-request use-service stats` on another path:
		 * the options (;csv, ;json...) follow the path */
		const char *semi = memchr(uri, ';', urilen);

		ul = semi ? (size_t)(semi - uri) : urilen;
	}
	if (!strcmp(method, "POST"))
		return serve_post(cfg, px, body, bodylen, req, admin, out);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(out, 405, "Only GET, HEAD and POST are allowed here.\n");
	parse_opts(uri + ul, urilen - ul, &o);
	if (o.csv) {
		out->ctype = "text/plain";
		out->body = stats_render_csv_scope(cfg, px, o.scope, &out->len);
	} else if (o.json) {
		if (o.bad)
			return reply_text(out, 400, o.bad);
		out->ctype = "application/json";
		out->body = stats_render_json_opts(cfg, px, clock_wall_us() / 1000, &o.jo, &out->len);
	} else if (o.stat || o.norefresh) {
		out->ctype = "text/html; charset=utf-8";
		out->body = stats_render_html_opt(cfg, px, !o.norefresh, &out->len);
	} else {
		out->ctype = "text/html; charset=utf-8";
		out->body = stats_render_dashboard(cfg, px, o.st[0] ? o.st : NULL, &out->len);
	}
	return out->body ? 0 : -1;
}
