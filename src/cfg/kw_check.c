/* Health-check keywords of proxies: `option httpchk`, `http-check send`,
 * `http-check expect`, `option tcp-check`, `tcp-check connect|send|
 * send-binary|expect|comment`, `max-ejected-percent` (tandem), and the
 * global `spread-checks`. doc/health-checks.md lists each form.
 *
 * A backend's rules are a struct chk_px kept in its default-server template
 * (proxy->defsrv.chk_px): defaults sections pass that template on, so the
 * rules are inherited the same way as server settings. As in HAProxy,
 * http-check (or tcp-check) rules inherited from a defaults section are
 * dropped as soon as the proxy writes its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/h1.h>
#include <tandem/ssl.h>
#include "kw_check.h"

#define PX (ctx->px)

/* The current proxy's rules, created on first use. */
static struct chk_px *px_chk(struct cfg_ctx *ctx)
{
	struct server *d = &PX->defsrv;

	if (!d->chk_px) {
		if (!(d->chk_px = calloc(1, sizeof(*d->chk_px)))) {
			cfg_err(ctx, "out of memory");
			return NULL;
		}
		d->chk_px->max_ejected_pct = -1;
	}
	return d->chk_px;
}

/* ---- helpers ---- */

static int no_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int add_hdr(struct cfg_ctx *ctx, const char *kw, struct chk_hdr **tab, int *n,
		   const char *name, size_t nlen, const char *value)
{
	struct chk_hdr *nt;
	char *nm;

	if (!(nm = strndup(name, nlen)))
		return cfg_err(ctx, "out of memory");
	if (!h1_is_token(nm) || !no_ctl(value)) {
		cfg_err(ctx, "'%s': invalid header '%s'.", kw, nm);
		free(nm);
		return -1;
	}
	if (!(nt = realloc(*tab, (size_t)(*n + 1) * sizeof(*nt)))) {
		free(nm);
		return cfg_err(ctx, "out of memory");
	}
	*tab = nt;
	nt[*n].name = nm;
	if (!(nt[*n].value = strdup(value))) {
		free(nm);
		return cfg_err(ctx, "out of memory");
	}
	(*n)++;
	return 0;
}

/* "200", "200-399", "200,302,400-404" into ranges. */
static int parse_codes(const char *s, int (**out)[2], int *n)
{
	int (*r)[2] = NULL;
	int cnt = 0;
	const char *p = s;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		int (*nr)[2];

		if (end == p || a < 0 || a > 999)
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b > 999)
				goto bad;
			p = end;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
		if (!(nr = realloc(r, (size_t)(cnt + 1) * sizeof(*r))))
			goto bad;
		r = nr;
		r[cnt][0] = (int)a;
		r[cnt][1] = (int)b;
		cnt++;
	}
	if (!cnt)
		goto bad;
	*out = r;
	*n = cnt;
	return 0;
bad:
	free(r);
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Hex digits to bytes (malloc'd). 0 or -1 (odd length or bad digit). */
static int parse_hex(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s);
	char *b;

	if (!n || n % 2)
		return -1;
	if (!(b = malloc(n / 2)))
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int h = hexval(s[i]), l = hexval(s[i + 1]);
		if (h < 0 || l < 0) {
			free(b);
			return -1;
		}
		b[i / 2] = (char)(h << 4 | l);
	}
	*out = b;
	*len = n / 2;
	return 0;
}

/* HAProxy's check status names ("L7OK"...), or -1. */
static int chk_status_parse(const char *s)
{
	for (int st = 0; st < HCHK_NSTATUS; st++)
		if (!strcmp(s, hchk_status_info(st)))
			return st;
	return -1;
}

/* -m str|beg|end|sub|reg at args[*i] (optional): HM_*. */
static int hdr_meth(struct cfg_ctx *ctx, const char *kw, char **args, int nargs, int *i, int *meth)
{
	static const char *const names[] = { "str", "beg", "end", "sub", "reg" };

	*meth = HM_STR;
	if (*i >= nargs || strcmp(args[*i], "-m"))
		return 0;
	if (*i + 1 >= nargs)
		return cfg_err(ctx, "'%s': '-m' expects a matching method (str, beg, end, sub or reg).", kw);
	for (int m = 0; m < 5; m++)
		if (!strcmp(args[*i + 1], names[m])) {
			*meth = m;
			*i += 2;
			return 0;
		}
	return cfg_err(ctx, "'%s': unknown matching method '%s' (str, beg, end, sub or reg).", kw, args[*i + 1]);
}

/* hdr|fhdr name [-m M] NAME [value [-m M] VALUE], from args[*i] (the
 * match word); leaves *i on the last word used. */
static int parse_expect_hdr(struct cfg_ctx *ctx, const char *kw, char **args, int nargs, int *i,
			    struct chk_expect *e)
{
	int j = *i + 1, rc;

	e->type = args[*i][0] == 'f' ? EXP_FHDR : EXP_HDR;
	if (j >= nargs || (strcmp(args[j], "name") && strcmp(args[j], "name-lf")))
		return cfg_err(ctx, "'%s': '%s' expects 'name' and a header name.", kw, args[*i]);
	if (!strcmp(args[j], "name-lf"))
		return cfg_err(ctx, "'%s': 'name-lf' (log-format) is not supported yet.", kw);
	j++;
	if (hdr_meth(ctx, kw, args, nargs, &j, &e->name_meth) < 0)
		return -1;
	if (j >= nargs || !*args[j])
		return cfg_err(ctx, "'%s': 'name' expects a header name.", kw);
	if (!(e->pat = strdup(args[j])))
		return cfg_err(ctx, "out of memory");
	if (e->name_meth == HM_REG) {
		if ((rc = regcomp(&e->re, e->pat, REG_EXTENDED | REG_NOSUB | REG_ICASE)) != 0)
			return cfg_err(ctx, "'%s': invalid regex '%s'.", kw, e->pat);
		e->has_re = 1;
	}
	if (j + 1 < nargs && (!strcmp(args[j + 1], "value") || !strcmp(args[j + 1], "value-lf"))) {
		if (!strcmp(args[j + 1], "value-lf"))
			return cfg_err(ctx, "'%s': 'value-lf' (log-format) is not supported yet.", kw);
		j += 2;
		if (hdr_meth(ctx, kw, args, nargs, &j, &e->value_meth) < 0)
			return -1;
		if (j >= nargs)
			return cfg_err(ctx, "'%s': 'value' expects a header value.", kw);
		if (!(e->value = strdup(args[j])))
			return cfg_err(ctx, "out of memory");
		if (e->value_meth == HM_REG) {
			if (regcomp(&e->vre, e->value, REG_EXTENDED | REG_NOSUB) != 0)
				return cfg_err(ctx, "'%s': invalid regex '%s'.", kw, e->value);
			e->has_vre = 1;
		}
	}
	*i = j;
	return 0;
}

/* [options] [!] <match> <pattern>, options in any order (HAProxy's
 * grammar). <http>: http-check (status, rstatus, string, rstring) or
 * tcp-check (string, rstring, binary, rbinary). */
static int parse_expect(struct cfg_ctx *ctx, const char *kw, char **args, int nargs, int i,
			int http, struct chk_expect *e)
{
	static const char *const later_opts[] = { "on-success", "on-error", "status-code", NULL };
	static const char *const later_http[] = { "string-lf", NULL };
	static const char *const later_tcp[] = { "string-lf", "binary-lf", "custom", NULL };
	const char *type = NULL, *pat = NULL;

	memset(e, 0, sizeof(*e));
	e->min_recv = -1;
	for (; i < nargs; i++) {
		const char *a = args[i];
		int j;

		if (!strcmp(a, "!")) {
			e->inverse = 1;
			continue;
		}
		if (!strcmp(a, "min-recv")) {
			long long v;

			if (i + 1 >= nargs || cfg_parse_int(args[i + 1], -1, 0x7fffffff, &v) < 0)
				return cfg_err(ctx, "'%s': 'min-recv' expects an integer >= -1 as argument.", kw);
			e->min_recv = (int)v;
			i++;
			continue;
		}
		if (!strcmp(a, "ok-status") || !strcmp(a, "error-status") || !strcmp(a, "tout-status")) {
			int st = i + 1 < nargs ? chk_status_parse(args[i + 1]) : -1;
			int ok = a[0] == 'o' ? (st == HCHK_L7OK || st == HCHK_L7OKC || st == HCHK_L6OK || st == HCHK_L4OK) :
				 a[0] == 'e' ? (st == HCHK_L7OKC || st == HCHK_L7RSP || st == HCHK_L7STS || st == HCHK_L6RSP ||
						st == HCHK_L4CON) :
					       (st == HCHK_L7TOUT || st == HCHK_L6TOUT || st == HCHK_L4TOUT);

			if (!ok)
				return cfg_err(ctx, "'%s': '%s' expects %s, got '%s'.", kw, a,
					       a[0] == 'o' ? "'L7OK', 'L7OKC', 'L6OK' or 'L4OK'" :
					       a[0] == 'e' ? "'L7OKC', 'L7RSP', 'L7STS', 'L6RSP' or 'L4CON'" :
					       "'L7TOUT', 'L6TOUT' or 'L4TOUT'", i + 1 < nargs ? args[i + 1] : "");
			*(a[0] == 'o' ? &e->ok_status : a[0] == 'e' ? &e->err_status : &e->tout_status) = st;
			i++;
			continue;
		}
		if (http && (!strcmp(a, "hdr") || !strcmp(a, "fhdr"))) {
			if (type)
				return cfg_err(ctx, "'%s': only one pattern expected (got '%s' and '%s').", kw, type, a);
			if (parse_expect_hdr(ctx, kw, args, nargs, &i, e) < 0)
				return -1;
			type = a;
			continue;
		}
		if (!strcmp(a, "comment")) {
			if (i + 1 >= nargs)
				return cfg_err(ctx, "'%s': 'comment' expects a string as argument.", kw);
			free(e->comment);
			if (!(e->comment = strdup(args[++i])))
				return cfg_err(ctx, "out of memory");
			continue;
		}
		for (j = 0; later_opts[j]; j++)
			if (!strcmp(a, later_opts[j]))
				return cfg_err(ctx, "'%s': option '%s' is not supported yet.", kw, a);
		for (j = 0; (http ? later_http : later_tcp)[j]; j++)
			if (!strcmp(a, (http ? later_http : later_tcp)[j]))
				return cfg_err(ctx, "'%s': match '%s' is not supported yet.", kw, a);
		if (http ? (!strcmp(a, "status") || !strcmp(a, "rstatus") || !strcmp(a, "string") || !strcmp(a, "rstring"))
			 : (!strcmp(a, "string") || !strcmp(a, "rstring") || !strcmp(a, "binary") || !strcmp(a, "rbinary"))) {
			if (type)
				return cfg_err(ctx, "'%s': only one pattern expected (got '%s' and '%s').", kw, type, a);
			if (i + 1 >= nargs || !*args[i + 1])
				return cfg_err(ctx, "'%s': '%s' expects a pattern as argument.", kw, a);
			type = a;
			pat = args[++i];
			continue;
		}
		return cfg_err(ctx, "'%s': expects %s, an optional '!' and options, got '%s'.", kw,
			       http ? "'status', 'rstatus', 'hdr', 'fhdr', 'string' or 'rstring'" :
				      "'string', 'rstring', 'binary' or 'rbinary'", a);
	}
	if (!type)
		return cfg_err(ctx, "'%s': expects a match (%s) and a pattern.", kw,
			       http ? "status, rstatus, hdr, fhdr, string, rstring" : "string, rstring, binary, rbinary");
	if (e->type == EXP_HDR || e->type == EXP_FHDR)
		return 0;
	if (!(e->pat = strdup(pat)))
		return cfg_err(ctx, "out of memory");
	if (!strcmp(type, "status")) {
		e->type = EXP_STATUS;
		if (parse_codes(pat, &e->ranges, &e->nranges) < 0)
			return cfg_err(ctx, "'%s': invalid status codes '%s' (a list like 200,300-399).", kw, pat);
	} else if (!strcmp(type, "string")) {
		e->type = EXP_STRING;
	} else if (!strcmp(type, "binary")) {
		e->type = EXP_BINARY;
		if (parse_hex(pat, &e->bin, &e->binlen) < 0)
			return cfg_err(ctx, "'%s': invalid hexadecimal string '%s'.", kw, pat);
	} else {
		int rc;

		e->type = !strcmp(type, "rstatus") ? EXP_RSTATUS : !strcmp(type, "rstring") ? EXP_RSTRING : EXP_RBINARY;
		if ((rc = regcomp(&e->re, pat, REG_EXTENDED | REG_NOSUB | REG_NEWLINE)) != 0) {
			char why[128];

			regerror(rc, &e->re, why, sizeof(why));
			return cfg_err(ctx, "'%s': invalid regex '%s': %s.", kw, pat, why);
		}
		e->has_re = 1;
	}
	return 0;
}

/* ---- option httpchk / option tcp-check ---- */

int cfg_is_check_option(const char *name)
{
	return !strcmp(name, "httpchk") || !strcmp(name, "tcp-check") || cfg_is_proto_check(name);
}

/* The old form puts headers after the version: "HTTP/1.1\r\nHost: x". */
static int parse_httpchk_version(struct cfg_ctx *ctx, struct chk_px *p, const char *v)
{
	const char *eol = strstr(v, "\r\n");
	const char *line;

	free(p->ver);
	if (!(p->ver = eol ? strndup(v, (size_t)(eol - v)) : strdup(v)))
		return cfg_err(ctx, "out of memory");
	if (!*p->ver || !no_ctl(p->ver))
		return cfg_err(ctx, "'option httpchk': invalid version '%s'.", p->ver);
	chk_hdrs_free(p->hdrs, p->nhdrs);
	p->hdrs = NULL;
	p->nhdrs = 0;
	for (line = eol ? eol + 2 : NULL; line && *line; ) {
		const char *end = strstr(line, "\r\n"), *colon;
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *val;
		int rc;

		if (len) {
			colon = memchr(line, ':', len);
			if (!colon)
				return cfg_err(ctx, "'option httpchk': header line without ':' in '%s'.", v);
			if (!(val = strndup(colon + 1, len - (size_t)(colon + 1 - line))))
				return cfg_err(ctx, "out of memory");
			{   /* trim optional whitespace around the value */
				char *a = val, *z = val + strlen(val);
				while (*a == ' ' || *a == '\t')
					a++;
				while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
					*--z = 0;
				memmove(val, a, strlen(a) + 1);
			}
			rc = add_hdr(ctx, "option httpchk", &p->hdrs, &p->nhdrs, line, (size_t)(colon - line), val);
			free(val);
			if (rc < 0)
				return -1;
		}
		line = end ? end + 2 : NULL;
	}
	return 0;
}

int cfg_opt_check(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *o = args[1];
	char kw[64];
	struct chk_px *p;

	snprintf(kw, sizeof(kw), "option %s", o);
	if (cfg_is_proto_check(o)) {
		if (!cfg_px_has_cap(ctx, PR_CAP_BE, kw))
			return 0;
		if (!(p = px_chk(ctx)))
			return -1;
		return cfg_opt_proto_check(ctx, p, args, nargs);
	}
	if (ctx->no) {
		if (nargs > 2)
			return cfg_err(ctx, "'no %s' takes no argument.", kw);
		if (PX->defsrv.chk_px && PX->defsrv.chk_px->type == (!strcmp(o, "httpchk") ? CHK_TYPE_HTTP : CHK_TYPE_TCP))
			PX->defsrv.chk_px->type = CHK_TYPE_CONNECT;
		return 0;
	}
	if (!strcmp(o, "tcp-check")) {
		if (nargs > 2)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[2]);
		if (!cfg_px_has_cap(ctx, PR_CAP_BE, kw))
			return 0;
		if (!(p = px_chk(ctx)))
			return -1;
		p->type = CHK_TYPE_TCP;
		chk_px_drop_proto(p);
		return 0;
	}
	/* option httpchk [<uri>] | <method> <uri> [<version>] */
	if (nargs > 5)
		return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s' (quote values with spaces).", kw, args[5]);
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, kw))
		return 0;
	if (!(p = px_chk(ctx)))
		return -1;
	p->type = CHK_TYPE_HTTP;
	chk_px_drop_proto(p);
	free(p->meth); free(p->uri);
	p->meth = p->uri = NULL;
	if (nargs == 3) {
		if (!(p->uri = strdup(args[2])))
			return cfg_err(ctx, "out of memory");
	} else if (nargs >= 4) {
		if (!h1_is_token(args[2]))
			return cfg_err(ctx, "'%s': invalid method '%s'.", kw, args[2]);
		if (!(p->meth = strdup(args[2])) || !(p->uri = strdup(args[3])))
			return cfg_err(ctx, "out of memory");
	}
	if (p->uri && (!*p->uri || !no_ctl(p->uri) || strchr(p->uri, ' ')))
		return cfg_err(ctx, "'%s': invalid URI '%s'.", kw, p->uri);
	if (nargs == 5)
		return parse_httpchk_version(ctx, p, args[4]);
	free(p->ver);
	p->ver = NULL;
	chk_hdrs_free(p->hdrs, p->nhdrs);
	p->hdrs = NULL;
	p->nhdrs = 0;
	return 0;
}

/* ---- http-check ---- */

static int parse_connect(struct cfg_ctx *ctx, const char *kw, char **args, int nargs, struct chk_tcp_rule *r);

static int http_send(struct cfg_ctx *ctx, struct chk_px *p, char **args, int nargs)
{
	const char *kw = "http-check send";

	if (p->nsend)
		return cfg_err(ctx, "'%s': only one 'http-check send' per proxy is supported (multi-step checks are not).", kw);
	p->nsend = 1;
	for (int i = 2; i < nargs; i++) {
		const char *a = args[i];
		char **dst = NULL;

		if (!strcmp(a, "meth"))
			dst = &p->s_meth;
		else if (!strcmp(a, "uri"))
			dst = &p->s_uri;
		else if (!strcmp(a, "ver"))
			dst = &p->s_ver;
		else if (!strcmp(a, "body"))
			dst = &p->body;
		if (dst || !strcmp(a, "comment")) {
			if (i + 1 >= nargs || !*args[i + 1])
				return cfg_err(ctx, "'%s': '%s' expects an argument.", kw, a);
			i++;
			if (!dst)
				continue;
			if (dst == &p->s_meth && !h1_is_token(args[i]))
				return cfg_err(ctx, "'%s': invalid method '%s'.", kw, args[i]);
			if ((dst == &p->s_uri || dst == &p->s_ver) && (!no_ctl(args[i]) || strchr(args[i], ' ')))
				return cfg_err(ctx, "'%s': invalid %s '%s'.", kw, a, args[i]);
			free(*dst);
			if (!(*dst = strdup(args[i])))
				return cfg_err(ctx, "out of memory");
		} else if (!strcmp(a, "hdr")) {
			if (i + 2 >= nargs)
				return cfg_err(ctx, "'%s': 'hdr' expects <name> and <value>.", kw);
			if (strchr(args[i + 2], '%'))
				return cfg_err(ctx, "'%s': log-format header values are not supported yet (got '%s').", kw, args[i + 2]);
			if (add_hdr(ctx, kw, &p->s_hdrs, &p->s_nhdrs, args[i + 1], strlen(args[i + 1]), args[i + 2]) < 0)
				return -1;
			i += 2;
		} else if (!strcmp(a, "uri-lf") || !strcmp(a, "body-lf")) {
			return cfg_err(ctx, "'%s': '%s' (log-format) is not supported yet.", kw, a);
		} else {
			return cfg_err(ctx, "'%s' expects 'meth', 'uri', 'ver', 'hdr', 'body' or 'comment', got '%s'.", kw, a);
		}
	}
	return 0;
}

/* set-var(NAME), set-var-fmt(NAME), unset-var(NAME), written with their
 * variable as HAProxy wants them (or bare) */
static int is_var_action(const char *sub)
{
	static const char *const act[] = { "set-var", "set-var-fmt", "unset-var" };

	for (size_t i = 0; i < sizeof(act) / sizeof(act[0]); i++) {
		size_t n = strlen(act[i]);

		if (!strncmp(sub, act[i], n) && (!sub[n] || sub[n] == '('))
			return 1;
	}
	return 0;
}

int cfg_kw_http_check(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *sub = nargs > 1 ? args[1] : "";
	struct chk_px *p;
	char kw[64];

	snprintf(kw, sizeof(kw), "http-check %s", sub);
	if (is_var_action(sub))
		return cfg_err(ctx, "'%s' is not supported: nothing in tandem's http-check could read a check variable "
			       "(no log-format arguments: uri-lf, body-lf, hdr values with '%%').", kw);
	if (strcmp(sub, "send") && strcmp(sub, "expect") && strcmp(sub, "comment") && strcmp(sub, "connect") &&
	    strcmp(sub, "disable-on-404") && strcmp(sub, "send-state"))
		return cfg_err(ctx, "'http-check' expects 'comment', 'connect', 'disable-on-404', 'expect', 'send' or "
			       "'send-state', got '%s'.", sub);
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, kw))
		return 0;
	if (!(p = px_chk(ctx)))
		return -1;
	if (!strcmp(sub, "disable-on-404") || !strcmp(sub, "send-state")) {
		/* proxy options in HAProxy (inherited with the defaults) */
		if (cfg_max_args(ctx, args + 1, nargs - 1, 0) < 0)
			return -1;
		*(sub[0] == 'd' ? &p->disable404 : &p->send_state) = 1;
		return 0;
	}
	if (p->http_inh) {         /* the proxy's own rules replace inherited ones */
		chk_px_drop_http(p);
		p->http_inh = 0;
	}
	p->http_rules = 1;
	if (!strcmp(sub, "comment")) {
		if (nargs != 3)
			return cfg_err(ctx, "'%s' expects exactly one argument.", kw);
		return 0;
	}
	if (!strcmp(sub, "send"))
		return http_send(ctx, p, args, nargs);
	if (!strcmp(sub, "connect")) {
		struct chk_tcp_rule r;

		if (p->has_conn || p->nsend || p->n_http_exp)
			return cfg_err(ctx, "'%s': only one 'connect', as the first rule, is supported (multi-step HTTP "
				       "checks are not).", kw);
		if (parse_connect(ctx, kw, args, nargs, &r) < 0)
			return -1;
		free(r.comment);
		p->has_conn = 1;
		p->conn_port = r.port;
		p->conn_addr = r.addr;
		p->conn_addrlen = r.addrlen;
		p->conn_pp = r.send_proxy;
		p->conn_ssl = r.ssl;
		p->conn_dflt = r.dflt;
		free(p->conn_sni);
		free(p->conn_alpn);
		p->conn_sni = r.sni;
		p->conn_alpn = r.alpn;
		return 0;
	}
	{
		struct chk_expect e, *ne;

		if (parse_expect(ctx, kw, args, nargs, 2, 1, &e) < 0) {
			chk_expect_free(&e);
			return -1;
		}
		if (!(ne = realloc(p->http_exp, (size_t)(p->n_http_exp + 1) * sizeof(*ne)))) {
			chk_expect_free(&e);
			return cfg_err(ctx, "out of memory");
		}
		p->http_exp = ne;
		ne[p->n_http_exp++] = e;
	}
	return 0;
}

/* connect [default] [port N] [addr A] [send-proxy] [linger] [comment C]
 * (http-check and tcp-check); TLS and SOCKS4 options are refused. */
static int conn_fail(struct chk_tcp_rule *r)
{
	free(r->comment);
	free(r->sni);
	free(r->alpn);
	memset(r, 0, sizeof(*r));
	return -1;
}

static int parse_connect(struct cfg_ctx *ctx, const char *kw, char **args, int nargs, struct chk_tcp_rule *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 2; i < nargs; i++) {
		const char *a = args[i];

		if (!strcmp(a, "default")) {
			r->dflt = 1;
		} else if (!strcmp(a, "send-proxy")) {
			r->send_proxy = 1;
		} else if (!strcmp(a, "linger")) {
			r->linger = 1;
		} else if (!strcmp(a, "ssl")) {
			r->ssl = 1;
		} else if (!strcmp(a, "port") || !strcmp(a, "comment") || !strcmp(a, "addr") || !strcmp(a, "sni") ||
			   !strcmp(a, "alpn")) {
			char **dst = a[0] == 'c' ? &r->comment : a[0] == 's' ? &r->sni : a[1] == 'l' ? &r->alpn : NULL;

			if (i + 1 >= nargs || !*args[i + 1]) {
				conn_fail(r);
				return cfg_err(ctx, "'%s': '%s' expects an argument.", kw, a);
			}
			if (a[0] == 'p') {
				long long v;

				if (cfg_parse_int(args[i + 1], 1, 65535, &v) < 0) {
					conn_fail(r);
					return cfg_err(ctx, "'%s': expects a valid TCP port (from range 1 to 65535), got %s.", kw,
						       args[i + 1]);
				}
				r->port = (int)v;
			} else if (!dst) {   /* addr */
				char why[512];

				if (cfg_addr_ex(args[i + 1], &r->addr, &r->addrlen, 0, 0, why, sizeof(why)) < 0) {
					conn_fail(r);
					return cfg_err(ctx, "'%s': 'addr' : %s.", kw, why);
				}
			} else {
				char why[256];

				if (dst == &r->alpn && ssl_alpn_check(args[i + 1], why, sizeof(why)) < 0) {
					conn_fail(r);
					return cfg_err(ctx, "'%s': 'alpn' : %s.", kw, why);
				}
				free(*dst);
				if (!(*dst = strdup(args[i + 1]))) {
					conn_fail(r);
					return cfg_err(ctx, "out of memory");
				}
			}
			i++;
		} else if (!strcmp(a, "via-socks4")) {
			conn_fail(r);
			return cfg_err(ctx, "'%s': 'via-socks4' is not supported by tandem (it has no SOCKS4 client).", kw);
		} else if (!strcmp(a, "proto")) {
			conn_fail(r);
			return cfg_err(ctx, "'%s': 'proto' is not supported by tandem (one protocol per check type).", kw);
		} else {
			conn_fail(r);
			return cfg_err(ctx, "'%s': option '%s' is not supported (supported: default, port, addr, send-proxy, "
				       "linger, ssl, sni, alpn, comment).", kw, a);
		}
	}
	return 0;
}

/* ---- tcp-check ---- */

static struct chk_tcp_rule *tcp_add(struct cfg_ctx *ctx, struct chk_px *p)
{
	struct chk_tcp_rule *nt = realloc(p->tcp, (size_t)(p->ntcp + 1) * sizeof(*nt));

	if (!nt) {
		cfg_err(ctx, "out of memory");
		return NULL;
	}
	p->tcp = nt;
	memset(&nt[p->ntcp], 0, sizeof(*nt));
	return &nt[p->ntcp++];
}

int cfg_kw_tcp_check(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *sub = nargs > 1 ? args[1] : "";
	struct chk_tcp_rule *r;
	struct chk_px *p;
	char kw[64];
	int i;

	snprintf(kw, sizeof(kw), "tcp-check %s", sub);
	if (!strcmp(sub, "send-lf") || !strcmp(sub, "send-binary-lf"))
		return cfg_err(ctx, "'%s' is not supported yet.", kw);
	if (is_var_action(sub))
		return cfg_err(ctx, "'%s' is not supported: nothing in tandem's tcp-check could read a check variable "
			       "(no send-lf, no expect string-lf/binary-lf, 'connect port' takes a number).", kw);
	if (strcmp(sub, "connect") && strcmp(sub, "send") && strcmp(sub, "send-binary") &&
	    strcmp(sub, "expect") && strcmp(sub, "comment"))
		return cfg_err(ctx, "'tcp-check' expects 'comment', 'connect', 'send', 'send-binary' or 'expect', got '%s'.", sub);
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, kw))
		return 0;
	if (!(p = px_chk(ctx)))
		return -1;
	if (p->tcp_inh) {
		chk_px_drop_tcp(p);
		p->tcp_inh = 0;
	}
	p->tcp_rules_given = 1;
	if (!strcmp(sub, "comment")) {
		if (nargs != 3)
			return cfg_err(ctx, "'%s' expects exactly one argument.", kw);
		if (!(r = tcp_add(ctx, p)))
			return -1;
		r->act = TCR_COMMENT;
		if (!(r->comment = strdup(args[2])))
			return cfg_err(ctx, "out of memory");
		return 0;
	}
	if (!strcmp(sub, "connect")) {
		struct chk_tcp_rule c;
		int first = 1;

		for (i = 0; i < p->ntcp; i++)
			if (p->tcp[i].act != TCR_COMMENT)
				first = 0;
		/* HAProxy: a ruleset with a connect starts with one */
		if (!first) {
			int has = 0;

			for (i = 0; i < p->ntcp; i++)
				has |= p->tcp[i].act == TCR_CONNECT;
			if (!has)
				return cfg_err(ctx, "'%s': first step MUST also be a 'connect', optionally preceded by a 'comment', "
					       "when there is a 'connect' step in the tcp-check ruleset.", kw);
		}
		if (parse_connect(ctx, kw, args, nargs, &c) < 0)
			return -1;
		if (!(r = tcp_add(ctx, p))) {
			free(c.comment);
			return -1;
		}
		*r = c;
		r->act = TCR_CONNECT;
		r->exp.min_recv = -1;
		return 0;
	}
	if (!strcmp(sub, "send") || !strcmp(sub, "send-binary")) {
		char *data = NULL, *comment = NULL;
		size_t len = 0;

		if (nargs < 3 || !*args[2])
			return cfg_err(ctx, "'%s' expects a %s as argument.", kw, sub[4] ? "hexadecimal string" : "string");
		for (i = 3; i < nargs; i++) {
			if (strcmp(args[i], "comment") || i + 1 >= nargs) {
				free(comment);
				return cfg_err(ctx, "'%s' expects only an optional 'comment <msg>' after the data, got '%s'.", kw, args[i]);
			}
			free(comment);
			if (!(comment = strdup(args[++i])))
				return cfg_err(ctx, "out of memory");
		}
		if (sub[4]) {
			if (parse_hex(args[2], &data, &len) < 0) {
				free(comment);
				return cfg_err(ctx, "'%s': invalid hexadecimal string '%s'.", kw, args[2]);
			}
		} else if (!(data = strdup(args[2]))) {
			free(comment);
			return cfg_err(ctx, "out of memory");
		} else {
			len = strlen(data);
		}
		if (!(r = tcp_add(ctx, p))) {
			free(data);
			free(comment);
			return -1;
		}
		r->act = TCR_SEND;
		r->data = data;
		r->len = len;
		r->comment = comment;
		return 0;
	}
	{   /* expect */
		struct chk_expect e;

		if (parse_expect(ctx, kw, args, nargs, 2, 0, &e) < 0) {
			chk_expect_free(&e);
			return -1;
		}
		if (!(r = tcp_add(ctx, p))) {
			chk_expect_free(&e);
			return -1;
		}
		r->act = TCR_EXPECT;
		r->exp = e;
		/* without a comment of its own, a failure reports the last
		 * `tcp-check comment` before it (HAProxy's step comment) */
		for (i = p->ntcp - 2; i >= 0 && !r->exp.comment; i--)
			if (p->tcp[i].act == TCR_COMMENT && p->tcp[i].comment &&
			    !(r->exp.comment = strdup(p->tcp[i].comment)))
				return cfg_err(ctx, "out of memory");
	}
	return 0;
}

/* ---- passive bound and global ---- */

int cfg_kw_max_ejected(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct chk_px *p;
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 ||
	    cfg_arg_int(ctx, args[0], nargs > 1 ? args[1] : NULL, 0, 100, &v) < 0)
		return -1;
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (!(p = px_chk(ctx)))
		return -1;
	p->max_ejected_pct = (int)v;
	return 0;
}

int cfg_kw_spread_checks(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs < 2 || cfg_parse_int(args[1], 0, 50, &v) < 0)
		return cfg_err(ctx, "'spread-checks' needs a positive value in range 0..50.");
	ctx->cfg->g.spread_checks = (int)v;
	ctx->cfg->g.spread_checks_set = 1;
	return 0;
}
