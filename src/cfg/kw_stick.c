/* Keywords of persistence and hash balancing (doc/persistence.md):
 * `stick-table`, `stick on|match|store-request|store-response`, `cookie`,
 * `dynamic-cookie-key`, `hash-type`, `hash-balance-factor`, the hash
 * forms of `balance` (uri, url_param, hdr(), rdp-cookie, hash), the
 * `peers` section and the global `localpeer`, and the checks after
 * parsing that bind them together (tables named by rules, key types
 * against expressions, server cookies).
 *
 * The rule actions and fetches that use tables (track-sc0/1/2,
 * sc-inc-gpc0, sc_*, src_*...) are the rules engine's (src/rules/stick_*.c);
 * their table arguments are resolved with the other names after parsing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <tandem/acl.h>
#include <tandem/action.h>
#include <tandem/hash.h>
#include <tandem/peers-t.h>
#include <tandem/persist-t.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/stick.h>
#include "cfg_int.h"

#define PX (ctx->px)

/* ---- helpers ---- */

static void rep_err_cb(void *arg, const char *file, int line, const char *msg)
{
	(void)file;
	cfg_err_at(arg, line, "%s", msg);
}

static void rep_warn_cb(void *arg, const char *file, int line, const char *msg)
{
	(void)file;
	cfg_warn_at(arg, line, "%s", msg);
}

static struct px_persist *pst_get(struct proxy *px)
{
	if (!px->persist)
		px->persist = calloc(1, sizeof(*px->persist));
	return px->persist;
}

struct stk_cfg *cfg_stick_get(struct cfg *cfg)
{
	if (!cfg->stick)
		cfg->stick = calloc(1, sizeof(*cfg->stick));
	return cfg->stick;
}

static int pctx_init(struct cfg_ctx *ctx, struct smp_pctx *pc, int phase)
{
	memset(pc, 0, sizeof(*pc));
	if (!(pc->rcfg = rules_cfg_get(ctx->cfg)) || (PX && !px_rules_get(PX)))
		return cfg_err(ctx, "out of memory");
	pc->px = PX;
	pc->file = ctx->file;
	pc->line = ctx->line;
	pc->phase = phase;
	return 0;
}

/* ---- stick-table ---- */

static int parse_type(struct cfg_ctx *ctx, char **args, int *i, int nargs, struct stk_conf *c)
{
	static const char *const names[STK_T_N] = { "ip", "ipv6", "integer", "string", "binary" };
	const char *w = *i < nargs ? args[*i] : "";

	for (int t = 0; t < STK_T_N; t++) {
		if (strcmp(w, names[t]))
			continue;
		c->type = t;
		c->keylen = t == STK_T_IP || t == STK_T_INT ? 4 : t == STK_T_IPV6 ? 16 : STK_STR_LEN_DEF;
		(*i)++;
		if ((t == STK_T_STR || t == STK_T_BIN) && *i < nargs && !strcmp(args[*i], "len")) {
			long long v;

			if (*i + 1 >= nargs || cfg_parse_int(args[*i + 1], 1, STK_KEY_MAX, &v) < 0)
				return cfg_err(ctx, "stick-table: 'len' expects a length between 1 and %d (got '%s').",
					       STK_KEY_MAX, *i + 1 < nargs ? args[*i + 1] : "");
			c->keylen = (uint32_t)v;
			*i += 2;
		}
		return 0;
	}
	return cfg_err(ctx, "stick-table: unknown type '%s' (expects ip, ipv6, integer, string or binary).", w);
}

/* `store a,b(10s),c` */
static int parse_store(struct cfg_ctx *ctx, const char *list, struct stk_conf *c)
{
	const char *p = list;

	while (*p) {
		const char *e = p, *paren;
		size_t nl;
		int dt;

		while (*e && *e != ',') {
			if (*e == '(') {
				while (*e && *e != ')')
					e++;
				if (!*e)
					return cfg_err(ctx, "stick-table: missing closing parenthesis after store option '%s'.", p);
			}
			e++;
		}
		paren = memchr(p, '(', (size_t)(e - p));
		nl = (size_t)((paren ? paren : e) - p);
		if ((dt = stk_dt_find(p, nl)) < 0) {
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)nl, p);
			if (!strcmp(name, "gpc") || !strcmp(name, "gpc_rate") || !strcmp(name, "gpt") ||
			    !strcmp(name, "server_name") || !strcmp(name, "glitch_cnt") || !strcmp(name, "glitch_rate"))
				return cfg_err(ctx, "stick-table: store option '%s' is not supported by tandem "
					       "(supported: server_id, gpt0, gpc0, gpc0_rate, gpc1, gpc1_rate, conn_cnt, conn_cur, "
					       "conn_rate, sess_cnt, sess_rate, http_req_cnt, http_req_rate, http_err_cnt, "
					       "http_err_rate, http_fail_cnt, http_fail_rate, bytes_in_cnt, bytes_in_rate, "
					       "bytes_out_cnt, bytes_out_rate).", name);
			return cfg_err(ctx, "stick-table: unknown store option '%s'.", name);
		}
		if (stk_dt[dt].std == STK_STD_NONE)
			return cfg_err(ctx, "stick-table: store option '%s' is not supported by tandem.", stk_dt[dt].name);
		if (stk_dt[dt].std == STK_STD_FRQP) {
			char arg[64];
			uint32_t ms;

			if (!paren || paren + 2 > e || e[-1] != ')')
				return cfg_err(ctx, "stick-table: missing argument to store option '%s'.", stk_dt[dt].name);
			snprintf(arg, sizeof(arg), "%.*s", (int)(e - paren - 2), paren + 1);
			if (cfg_parse_time(arg, &ms) < 0 || !ms)
				return cfg_err(ctx, "stick-table: invalid period '%s' for store option '%s' (a time, e.g. 10s).",
					       arg, stk_dt[dt].name);
			c->period[dt] = ms;
		} else if (paren) {
			return cfg_err(ctx, "stick-table: unexpected argument to store option '%s'.", stk_dt[dt].name);
		}
		c->store |= 1ull << dt;
		p = *e ? e + 1 : e;
	}
	return 0;
}

static int kw_stick_table(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct stk_cfg *sc = cfg_stick_get(ctx->cfg);
	struct px_persist *pp = pst_get(PX);
	struct stk_conf *c, **pc;
	int have_type = 0, have_size = 0;
	char err[128];

	if (!sc || !pp)
		return cfg_err(ctx, "out of memory");
	if (pp->table)
		return cfg_err(ctx, "stick-table: only one stick-table per proxy (one was declared at line %d).",
			       pp->table->line);
	if (!(c = calloc(1, sizeof(*c))) || !(c->id = strdup(PX->id))) {
		free(c);
		return cfg_err(ctx, "out of memory");
	}
	c->px = PX;
	c->file = ctx->file;
	c->line = ctx->line;
	for (int i = 1; i < nargs;) {
		const char *w = args[i];

		if (!strcmp(w, "type")) {
			i++;
			if (parse_type(ctx, args, &i, nargs, c) < 0)
				goto fail;
			have_type = 1;
		} else if (!strcmp(w, "size")) {
			uint64_t v;

			if (i + 1 >= nargs || !*args[i + 1]) {
				cfg_err(ctx, "stick-table: missing argument after 'size'.");
				goto fail;
			}
			if (cfg_parse_size(args[i + 1], &v) < 0 || !v || v > (1u << 26)) {
				cfg_err(ctx, "stick-table: invalid size '%s' (entries: 1 to 64m, with an optional k, m or g suffix).",
					args[i + 1]);
				goto fail;
			}
			c->size = (uint32_t)v;
			have_size = 1;
			i += 2;
		} else if (!strcmp(w, "expire")) {
			int r;

			if (i + 1 >= nargs || !*args[i + 1]) {
				cfg_err(ctx, "stick-table: missing argument after 'expire'.");
				goto fail;
			}
			if ((r = cfg_time_ex(args[i + 1], &c->expire)) < 0) {
				if (r == -2)
					cfg_err(ctx, "stick-table: timer overflow in argument <%s> to <expire>, maximum value is 2147483647 ms (~24.8 days).", args[i + 1]);
				else if (r == -3)
					cfg_err(ctx, "stick-table: timer underflow in argument <%s> to <expire>, minimum non-null value is 1 ms.", args[i + 1]);
				else
					cfg_err(ctx, "stick-table: invalid time '%s' for 'expire'.", args[i + 1]);
				goto fail;
			}
			i += 2;
		} else if (!strcmp(w, "nopurge")) {
			c->nopurge = 1;
			i++;
		} else if (!strcmp(w, "peers")) {
			if (i + 1 >= nargs || !*args[i + 1]) {
				cfg_err(ctx, "stick-table: missing argument after 'peers'.");
				goto fail;
			}
			free(c->peers_name);
			if (!(c->peers_name = strdup(args[i + 1]))) {
				cfg_err(ctx, "out of memory");
				goto fail;
			}
			i += 2;
		} else if (!strcmp(w, "store")) {
			if (i + 1 >= nargs || !*args[i + 1]) {
				cfg_err(ctx, "stick-table: missing argument after 'store'.");
				goto fail;
			}
			if (parse_store(ctx, args[i + 1], c) < 0)
				goto fail;
			i += 2;
		} else if (!strcmp(w, "srvkey") || !strcmp(w, "write-to") || !strcmp(w, "recv-only")) {
			cfg_err(ctx, "stick-table: '%s' is not supported by tandem.", w);
			goto fail;
		} else {
			cfg_err(ctx, "stick-table: unknown argument '%s'.", w);
			goto fail;
		}
	}
	if (!have_size) {
		cfg_err(ctx, "stick-table: missing size.");
		goto fail;
	}
	if (!have_type) {
		cfg_err(ctx, "stick-table: missing type.");
		goto fail;
	}
	if (stk_conf_layout(c, err, sizeof(err)) < 0) {
		cfg_err(ctx, "stick-table: %s.", err);
		goto fail;
	}
	pp->table = c;
	for (pc = &sc->tables; *pc; pc = &(*pc)->next)
		;
	*pc = c;
	return 0;
fail:
	free(c->peers_name);
	free(c->id);
	free(c);
	return -1;
}

/* ---- stick rules ---- */

static int kw_stick(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct rules_report rep = { rep_err_cb, rep_warn_cb, ctx, 0 };
	struct stick_rule r = { .file = ctx->file, .line = ctx->line }, *n;
	struct px_persist *pp;
	struct smp_pctx pc;
	const char *sub = nargs > 1 ? args[1] : "";
	char err[1024], where[64];
	int i = 3;

	if (!strcmp(sub, "on"))                  r.flags = STICK_MATCH | STICK_STORE_REQ;
	else if (!strcmp(sub, "match"))          r.flags = STICK_MATCH;
	else if (!strcmp(sub, "store-request"))  r.flags = STICK_STORE_REQ;
	else if (!strcmp(sub, "store-response")) r.flags = STICK_STORE_RSP;
	else
		return cfg_err(ctx, "'stick' expects 'on', 'match', 'store-request' or 'store-response' (got '%s').", sub);
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (nargs < 3 || !*args[2])
		return cfg_err(ctx, "'stick %s' expects a fetch method.", sub);
	if (!(pp = pst_get(PX)) || pctx_init(ctx, &pc, -1) < 0)
		return cfg_err(ctx, "out of memory");
	if (!(r.expr = smp_expr_parse(args[2], NULL, &pc, err, sizeof(err))))
		return cfg_err(ctx, "'stick %s': %s.", sub, err);
	if (i < nargs && !strcmp(args[i], "table")) {
		if (i + 1 >= nargs || !*args[i + 1]) {
			cfg_err(ctx, "'stick %s': missing table name after 'table'.", sub);
			goto fail;
		}
		if (!(r.table_name = strdup(args[i + 1]))) {
			cfg_err(ctx, "out of memory");
			goto fail;
		}
		i += 2;
	}
	if (i < nargs && strcmp(args[i], "if") && strcmp(args[i], "unless")) {
		cfg_err(ctx, "'stick %s': unexpected argument '%s' (expects 'table' or a condition).", sub, args[i]);
		goto fail;
	}
	snprintf(where, sizeof(where), "'stick %s'", sub);
	if (acl_cond_parse(&pc, &rep, args, &i, nargs, where, &r.cond) < 0)
		goto fail;
	if (!(n = realloc(pp->stick, (size_t)(pp->nstick + 1) * sizeof(*n)))) {
		cfg_err(ctx, "out of memory");
		goto fail;
	}
	n[pp->nstick++] = r;
	pp->stick = n;
	return 0;
fail:
	smp_expr_free(r.expr);
	acl_cond_free(r.cond);
	free(r.table_name);
	return -1;
}

/* ---- cookie ---- */

/* maxidle / maxlife: seconds, or a time with a unit. */
static int cookie_time(struct cfg_ctx *ctx, const char *kw, const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;
	uint32_t ms;
	int r;

	if (!s || !*s)
		return cfg_err(ctx, "'%s' expects <%s> in seconds as argument.", kw,
			       !strcmp(kw, "maxidle") ? "idletime" : "lifetime");
	v = strtoull(s, &end, 10);
	if (!*end && end != s) {
		if (v > 2147483647ull)
			return cfg_err(ctx, "timer overflow in argument <%s> to <%s>, maximum value is 2147483647 s (~68 years).", s, kw);
		*out = (uint32_t)v;
		return 0;
	}
	if ((r = cfg_time_ex(s, &ms)) < 0) {
		if (r == -3)
			return cfg_err(ctx, "timer underflow in argument <%s> to <%s>, minimum non-null value is 1 s.", s, kw);
		return cfg_err(ctx, "unexpected character in argument to <%s> ('%s').", kw, s);
	}
	if (ms && ms < 1000)
		return cfg_err(ctx, "timer underflow in argument <%s> to <%s>, minimum non-null value is 1 s.", s, kw);
	*out = ms / 1000;
	return 0;
}

static int append(char **dst, const char *sep, const char *v)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(sep), c = strlen(v);
	char *n = realloc(*dst, a + b + c + 1);

	if (!n)
		return -1;
	if (a) {
		memcpy(n + a, sep, b);
		a += b;
	}
	memcpy(n + a, v, c + 1);
	*dst = n;
	return 0;
}

static int kw_cookie(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_persist *pp = pst_get(PX);
	struct ck_conf ck = { 0 };
	int modes = 0;

	if (!pp)
		return cfg_err(ctx, "out of memory");
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects <cookie_name> as argument.", args[0]);
	ck.mode = CK_PASSIVE;
	ck.line = ctx->line;
	for (int i = 2; i < nargs; i++) {
		const char *w = args[i];

		if (!strcmp(w, "rewrite"))       { ck.mode = CK_REWRITE; modes++; }
		else if (!strcmp(w, "insert"))   { ck.mode = CK_INSERT; modes++; }
		else if (!strcmp(w, "prefix"))   { ck.mode = CK_PREFIX; modes++; }
		else if (!strcmp(w, "indirect")) ck.flags |= CK_F_INDIRECT;
		else if (!strcmp(w, "nocache"))  ck.flags |= CK_F_NOCACHE;
		else if (!strcmp(w, "postonly")) ck.flags |= CK_F_POSTONLY;
		else if (!strcmp(w, "preserve")) ck.flags |= CK_F_PRESERVE;
		else if (!strcmp(w, "httponly")) ck.flags |= CK_F_HTTPONLY;
		else if (!strcmp(w, "secure"))   ck.flags |= CK_F_SECURE;
		else if (!strcmp(w, "dynamic"))  ck.flags |= CK_F_DYNAMIC;
		else if (!strcmp(w, "domain")) {
			const char *d = i + 1 < nargs ? args[i + 1] : "";

			if (!*d) {
				cfg_err(ctx, "'%s' expects <domain> as argument.", w);
				goto fail;
			}
			if (!strchr(d, '.'))
				cfg_warn(ctx, "domain '%s' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).", d);
			for (const char *p = d; *p; p++)
				if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_') {
					cfg_err(ctx, "character '%c' is not permitted in domain name '%s'.", *p, d);
					goto fail;
				}
			if (append(&ck.domain, "; domain=", d) < 0)
				goto oom;
			i++;
		} else if (!strcmp(w, "maxidle") || !strcmp(w, "maxlife")) {
			if (cookie_time(ctx, w, i + 1 < nargs ? args[i + 1] : NULL, w[3] == 'i' ? &ck.maxidle : &ck.maxlife) < 0)
				goto fail;
			i++;
		} else if (!strcmp(w, "attr")) {
			const char *v = i + 1 < nargs ? args[i + 1] : "";

			if (!*v) {
				cfg_err(ctx, "'%s' expects <value> as argument.", w);
				goto fail;
			}
			for (const char *p = v; *p; p++)
				if (iscntrl((unsigned char)*p) || *p == ';') {
					cfg_err(ctx, "character '%%x%02X' is not permitted in attribute value.", (unsigned char)*p);
					goto fail;
				}
			if (append(&ck.attrs, "; ", v) < 0)
				goto oom;
			i++;
		} else {
			cfg_err(ctx, "'%s' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'preserve', "
				"'httponly', 'secure', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.", args[0]);
			goto fail;
		}
	}
	if (ck.mode == CK_REWRITE && (ck.flags & CK_F_INDIRECT)) {
		cfg_err(ctx, "cookie 'rewrite' and 'indirect' modes are incompatible.");
		goto fail;
	}
	if (modes > 1) {
		cfg_err(ctx, "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
		goto fail;
	}
	if ((ck.flags & CK_F_PRESERVE) && ck.mode != CK_INSERT && !(ck.flags & CK_F_INDIRECT)) {
		cfg_err(ctx, "cookie 'preserve' requires at least 'insert' or 'indirect'.");
		goto fail;
	}
	if (!(ck.name = strdup(args[1])))
		goto oom;
	ck.nlen = strlen(ck.name);
	free(pp->ck.name);
	free(pp->ck.domain);
	free(pp->ck.attrs);
	pp->ck = ck;
	return 0;
oom:
	cfg_err(ctx, "out of memory");
fail:
	free(ck.domain);
	free(ck.attrs);
	return -1;
}

static int kw_dynamic_cookie_key(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_persist *pp = pst_get(PX);

	if (!pp)
		return cfg_err(ctx, "out of memory");
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects <secret_key> as argument.", args[0]);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return cfg_strdup(ctx, &pp->dyn_key, args[1]);
}

/* ---- hashing ---- */

static int kw_hash_type(struct cfg_ctx *ctx, char **args, int nargs)
{
	static const char *const fn[] = { "sdbm", "djb2", "wt6", "crc32", "none" };
	struct px_persist *pp = pst_get(PX);
	struct hash_conf *h;
	int i = 2;

	if (!pp)
		return cfg_err(ctx, "out of memory");
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	h = &pp->hash;
	if (nargs < 2 || (strcmp(args[1], "map-based") && strcmp(args[1], "consistent")))
		return cfg_err(ctx, "'%s' requires 'map-based' or 'consistent' (got '%s').", args[0], nargs > 1 ? args[1] : "");
	h->type = args[1][0] == 'c' ? HT_CONSISTENT : HT_MAP;
	h->type_set = 1;
	/* consistent hashing defaults to sdbm with avalanche (HAProxy's rule) */
	h->func = HF_SDBM;
	h->avalanche = h->type == HT_CONSISTENT && nargs <= 2;
	if (i < nargs) {
		size_t k;

		for (k = 0; k < sizeof(fn) / sizeof(fn[0]); k++)
			if (!strcmp(args[i], fn[k]))
				break;
		if (k == sizeof(fn) / sizeof(fn[0]))
			return cfg_err(ctx, "'%s' only supports 'sdbm', 'djb2', 'wt6', 'crc32' or 'none' hash functions (got '%s').",
				       args[0], args[i]);
		h->func = (int)k;
		i++;
	}
	if (i < nargs) {
		if (strcmp(args[i], "avalanche"))
			return cfg_err(ctx, "'%s' only supports 'avalanche' as a modifier for hash functions (got '%s').",
				       args[0], args[i]);
		h->avalanche = 1;
		i++;
	}
	return cfg_max_args(ctx, args, nargs, i - 1);
}

static int kw_hash_balance_factor(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_persist *pp = pst_get(PX);
	long long v;

	if (!pp)
		return cfg_err(ctx, "out of memory");
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (nargs < 2 || cfg_parse_int(args[1], 0, 65535, &v) < 0 || (v && v < 100))
		return cfg_err(ctx, "'%s' expects an integer argument of 0 or at least 100 (got '%s').",
			       args[0], nargs > 1 ? args[1] : "");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	pp->hash.balance_factor = (int)v;
	return 0;
}

static int pos_int(struct cfg_ctx *ctx, const char *algo, const char *kw, const char *v, uint32_t *out)
{
	long long n;

	if (!v || cfg_parse_int(v, 1, 1 << 30, &n) < 0)
		return cfg_err(ctx, "%s : '%s' expects a positive integer (got '%s').", algo, kw, v ? v : "");
	*out = (uint32_t)n;
	return 0;
}

int cfg_balance_hash(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_persist *pp = pst_get(PX);
	struct hash_conf *h;
	const char *a = args[1];

	if (!pp)
		return cfg_err(ctx, "out of memory");
	h = &pp->hash;
	free(h->name);
	h->name = NULL;
	free(h->expr_text);
	h->expr_text = NULL;
	smp_expr_free(h->expr);
	h->expr = NULL;
	h->uri_whole = h->uri_path_only = h->check_post = h->domain_only = 0;
	h->uri_len = h->uri_depth = 0;
	if (!strcmp(a, "uri")) {
		h->key = HK_URI;
		for (int i = 2; i < nargs; i++) {
			if (!strcmp(args[i], "len") || !strcmp(args[i], "depth")) {
				if (pos_int(ctx, a, args[i], i + 1 < nargs ? args[i + 1] : NULL,
					    args[i][0] == 'l' ? &h->uri_len : &h->uri_depth) < 0)
					return -1;
				i++;
			} else if (!strcmp(args[i], "whole")) {
				h->uri_whole = 1;
			} else if (!strcmp(args[i], "path-only")) {
				h->uri_path_only = 1;
			} else {
				return cfg_err(ctx, "%s only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '%s').",
					       a, args[i]);
			}
		}
	} else if (!strcmp(a, "url_param")) {
		h->key = HK_URL_PARAM;
		if (nargs < 3 || !*args[2])
			return cfg_err(ctx, "%s requires an URL parameter name.", a);
		if (nargs > 3) {
			if (strcmp(args[3], "check_post"))
				return cfg_err(ctx, "%s only accepts 'check_post' modifier (got '%s').", a, args[3]);
			h->check_post = 1;
			if (cfg_max_args(ctx, args, nargs, 3) < 0)
				return -1;
		}
		if (!(h->name = strdup(args[2])))
			return cfg_err(ctx, "out of memory");
	} else if (!strcmp(a, "hash")) {
		struct smp_pctx pc;
		char err[1024];

		h->key = HK_EXPR;
		if (nargs < 3 || !*args[2])
			return cfg_err(ctx, "%s requires a sample expression.", a);
		if (nargs > 3)
			return cfg_err(ctx, "%s takes no other argument (got '%s').", a, args[3]);
		if (!(h->expr_text = strdup(args[2])))
			return cfg_err(ctx, "out of memory");
		if (!(PX->cap & PR_CAP_DEF)) {
			if (pctx_init(ctx, &pc, SMP_PH_TCP_CONT) < 0)
				return -1;
			if (!(h->expr = smp_expr_parse(args[2], NULL, &pc, err, sizeof(err))))
				return cfg_err(ctx, "'balance hash': %s.", err);
		}
	} else if (!strncmp(a, "hdr(", 4)) {
		const char *e = strchr(a + 4, ')');

		h->key = HK_HDR;
		if (!e || e == a + 4 || e[1])
			return cfg_err(ctx, "hdr requires an http header field name.");
		if (nargs > 2) {
			if (strcmp(args[2], "use_domain_only"))
				return cfg_err(ctx, "%s only accepts 'use_domain_only' modifier (got '%s').", a, args[2]);
			h->domain_only = 1;
			if (cfg_max_args(ctx, args, nargs, 2) < 0)
				return -1;
		}
		if (!(h->name = strndup(a + 4, (size_t)(e - a - 4))))
			return cfg_err(ctx, "out of memory");
	} else if (!strncmp(a, "rdp-cookie", 10)) {
		h->key = HK_RDP_COOKIE;
		if (a[10] == '(') {
			const char *e = strchr(a + 11, ')');

			if (!e || e == a + 11 || e[1])
				return cfg_err(ctx, "rdp-cookie : missing cookie name.");
			h->name = strndup(a + 11, (size_t)(e - a - 11));
		} else if (!a[10]) {
			h->name = strdup("mstshash");
		} else {
			return cfg_err(ctx, "rdp-cookie : missing cookie name.");
		}
		if (!h->name)
			return cfg_err(ctx, "out of memory");
		if (cfg_max_args(ctx, args, nargs, 1) < 0)
			return -1;
	} else {
		return cfg_err(ctx, "unknown balance algorithm '%s'.", a);
	}
	h->nlen = h->name ? strlen(h->name) : 0;
	PX->lbalgo = LB_HASH;
	return 0;
}

/* ---- peers sections ---- */

static struct peers_conf *cur_peers;

int cfg_peers_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct stk_cfg *sc = cfg_stick_get(ctx->cfg);
	struct peers_conf *p, **pp;
	const char *bad;

	ctx->sec = SEC_SKIP;
	ctx->px = NULL;
	if (!sc)
		return cfg_err(ctx, "out of memory");
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'peers' expects <name> as argument.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in 'peers' name '%s'.", *bad, args[1]);
	for (p = sc->peers; p; p = p->next)
		if (!strcmp(p->name, args[1]))
			return cfg_err(ctx, "peers section '%s' has the same name as another peers section declared at %s:%d.",
				       args[1], p->file, p->line);
	if (!(p = calloc(1, sizeof(*p))) || !(p->name = strdup(args[1]))) {
		free(p);
		return cfg_err(ctx, "out of memory");
	}
	p->file = ctx->file;
	p->line = ctx->line;
	for (pp = &sc->peers; *pp; pp = &(*pp)->next)
		;
	*pp = p;
	cur_peers = p;
	ctx->sec = SEC_PEERS;
	return 0;
}

int cfg_peers_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct peers_conf *p = cur_peers;

	if (!strcmp(args[0], "peer")) {
		struct peer_conf *pc, **pl;
		char why[256];

		if (nargs < 3 || !*args[1] || !*args[2])
			return cfg_err(ctx, "'peer' expects <name> and <addr>[:<port>] as arguments.");
		if (cfg_max_args(ctx, args, nargs, 2) < 0)
			return -1;
		for (pc = p->peers; pc; pc = pc->next)
			if (!strcmp(pc->name, args[1]))
				return cfg_err(ctx, "peer '%s' is already declared at line %d.", args[1], pc->line);
		if (!(pc = calloc(1, sizeof(*pc))) || !(pc->name = strdup(args[1])) ||
		    !(pc->addr_str = strdup(args[2]))) {
			if (pc)
				free(pc->name);
			free(pc);
			return cfg_err(ctx, "out of memory");
		}
		pc->line = ctx->line;
		if (cfg_addr_ex(args[2], &pc->addr, &pc->addrlen, ADDR_PORT_MANDATORY, 0, why, sizeof(why)) < 0) {
			free(pc->addr_str);
			free(pc->name);
			free(pc);
			return cfg_err(ctx, "'peer %s' : %s.", args[1], why);
		}
		for (pl = &p->peers; *pl; pl = &(*pl)->next)
			;
		*pl = pc;
		p->npeers++;
		return 0;
	}
	if (!strcmp(args[0], "disabled") || !strcmp(args[0], "enabled")) {
		if (cfg_max_args(ctx, args, nargs, 0) < 0)
			return -1;
		p->disabled = args[0][0] == 'd';
		return 0;
	}
	if (!strcmp(args[0], "bind") || !strcmp(args[0], "server") || !strcmp(args[0], "default-server") ||
	    !strcmp(args[0], "default-bind") || !strcmp(args[0], "table") || !strcmp(args[0], "shards") ||
	    !strcmp(args[0], "log"))
		return cfg_err(ctx, "'%s' in a 'peers' section is not supported by tandem (use 'peer NAME ADDR:PORT' lines).",
			       args[0]);
	return cfg_err(ctx, "unknown keyword '%s' in 'peers' section (expects 'peer', 'disabled' or 'enabled').", args[0]);
}

/* global `localpeer NAME` */
int cfg_kw_localpeer(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct stk_cfg *sc = cfg_stick_get(ctx->cfg);

	if (!sc)
		return cfg_err(ctx, "out of memory");
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects a name as argument.", args[0]);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	sc->localpeer_line = ctx->line;
	return cfg_strdup(ctx, &sc->localpeer, args[1]);
}

/* ---- inheritance and release ---- */

static int dupstr(char **dst, const char *s)
{
	*dst = NULL;
	return s && !(*dst = strdup(s)) ? -1 : 0;
}

int cfg_persist_inherit(struct proxy *px, const struct proxy *def)
{
	const struct px_persist *d = def->persist;
	struct px_persist *p;

	if (!d)
		return 0;
	if (!(p = pst_get(px)))
		return -1;
	p->ck = d->ck;
	p->hash = d->hash;
	p->hash.expr = NULL;
	if (dupstr(&p->ck.name, d->ck.name) < 0 || dupstr(&p->ck.domain, d->ck.domain) < 0 ||
	    dupstr(&p->ck.attrs, d->ck.attrs) < 0 || dupstr(&p->dyn_key, d->dyn_key) < 0 ||
	    dupstr(&p->hash.name, d->hash.name) < 0 || dupstr(&p->hash.expr_text, d->hash.expr_text) < 0)
		return -1;
	return 0;
}

void cfg_persist_free(struct proxy *px)
{
	struct px_persist *p = px->persist;

	if (!p)
		return;
	free(p->ck.name);
	free(p->ck.domain);
	free(p->ck.attrs);
	free(p->dyn_key);
	free(p->hash.name);
	free(p->hash.expr_text);
	smp_expr_free(p->hash.expr);
	for (int i = 0; i < p->nstick; i++) {
		smp_expr_free(p->stick[i].expr);
		acl_cond_free(p->stick[i].cond);
		free(p->stick[i].table_name);
	}
	free(p->stick);
	free(p);
	px->persist = NULL;
}

void cfg_stick_free(struct cfg *cfg)
{
	struct stk_cfg *sc = cfg->stick;

	if (!sc)
		return;
	while (sc->tables) {
		struct stk_conf *c = sc->tables;

		sc->tables = c->next;
		stk_table_close(c);
		free(c->peers_name);
		free(c->id);
		free(c);
	}
	while (sc->peers) {
		struct peers_conf *p = sc->peers;

		sc->peers = p->next;
		while (p->peers) {
			struct peer_conf *pc = p->peers;

			p->peers = pc->next;
			free(pc->name);
			free(pc->addr_str);
			free(pc);
		}
		free(p->name);
		free(p);
	}
	free(sc->localpeer);
	free(sc);
	cfg->stick = NULL;
}

/* ---- checks after parsing ---- */

static int check_stick_rules(struct cfg_ctx *ctx, struct proxy *px)
{
	struct px_persist *pp = px->persist;
	int ret = 0;

	for (int i = 0; i < pp->nstick; i++) {
		struct stick_rule *r = &pp->stick[i];
		const char *tn = r->table_name ? r->table_name : px->id;
		int phase = r->flags & STICK_STORE_RSP ? (px->mode == PR_MODE_HTTP ? SMP_PH_HTTP_RES : SMP_PH_TCP_RES) :
			    SMP_PH_TCP_CONT;
		char err[512];

		if (!(r->table = stk_conf_find(ctx->cfg, tn))) {
			ret = cfg_err_at(ctx, r->line, "Proxy '%s': unable to find stick-table '%s'.", px->id, tn);
			continue;
		}
		if (!stk_key_type_ok(r->expr->out_type, r->table->type)) {
			ret = cfg_err_at(ctx, r->line, "Proxy '%s': type of fetch method '%s' (%s) is incompatible with "
					 "type '%s' of stick-table '%s'.", px->id, r->expr->text, smp_type_name(r->expr->out_type),
					 stk_type_name(r->table->type), tn);
			continue;
		}
		if (smp_expr_check_phase(r->expr, phase, err, sizeof(err)) < 0)
			ret = cfg_err_at(ctx, r->line, "Proxy '%s': 'stick': %s.", px->id, err);
		if (!(r->table->store & (1ull << STK_DT_SERVER_ID))) {
			char e2[128];

			r->table->used_by_stick = 1;
			stk_conf_layout(r->table, e2, sizeof(e2));
		}
	}
	return ret;
}

/* A server's dynamic cookie, as HAProxy computes it: XXH64 of the key,
 * the server's address and its port (32-bit, network order), as 16 hex
 * digits. So tandem and HAProxy give a server the same cookie. */
static void dynamic_cookie(const char *key, const struct server *s, char out[17])
{
	unsigned char buf[512 + 16 + 4];
	size_t kl = strlen(key), al;
	const void *a;
	uint32_t port;

	if (kl > 512)
		kl = 512;
	if (s->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&s->addr;

		a = &sin->sin_addr;
		al = 4;
		port = htonl(ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&s->addr;

		a = &sin6->sin6_addr;
		al = 16;
		port = htonl(ntohs(sin6->sin6_port));
	}
	memcpy(buf, key, kl);
	memcpy(buf + kl, a, al);
	memcpy(buf + kl + al, &port, 4);
	snprintf(out, 17, "%016llx", (unsigned long long)hash_xxh64(buf, kl + al + 4, 0));
}

int cfg_stick_check(struct cfg_ctx *ctx)
{
	struct stk_cfg *sc = ctx->cfg->stick;
	struct list *l;
	int ret = 0;

	/* tables: their peers sections */
	for (struct stk_conf *c = sc ? sc->tables : NULL; c; c = c->next) {
		struct peers_conf *p;

		if (!c->peers_name)
			continue;
		for (p = sc->peers; p && strcmp(p->name, c->peers_name); p = p->next)
			;
		if (!p) {
			ret = cfg_err_at(ctx, c->line, "Proxy '%s': unable to find sync peers '%s'.", c->id, c->peers_name);
			continue;
		}
		if (p->disabled)
			continue;
		c->peers = p;
		p->used = 1;
	}
	if (sc && sc->peers) {
		char host[256] = "";
		const char *me = sc->localpeer;

		if (!me) {
			gethostname(host, sizeof(host) - 1);
			me = host;
		}
		for (struct peers_conf *p = sc->peers; p; p = p->next) {
			int local = 0;

			for (struct peer_conf *pc = p->peers; pc; pc = pc->next)
				if ((pc->local = !strcmp(pc->name, me)))
					local++;
			if (!local && p->used && !p->disabled)
				ret = cfg_err_at(ctx, p->line, "peers section '%s': no peer is named after the local peer '%s' "
						 "(set 'localpeer' in the global section, or name a peer after the host).",
						 p->name, me);
		}
	}
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);
		struct px_persist *pp = px->persist;
		struct list *sl;

		/* track-sc keys against their tables (resolved by the rules' checks) */
		for (int set = 0; px->rules && set < RSI_COUNT; set++)
			for (int i = 0; i < px->rules->set[set].n; i++) {
				const struct rule *r = &px->rules->set[set].r[i];
				char err[512];

				if (stick_act_check(r, err, sizeof(err)) < 0)
					ret = cfg_err_at(ctx, r->line, "%s.", err);
			}
		if (!pp)
			continue;
		/* persistence runs where the rules run (the stream's context) */
		if ((pp->ck.name || pp->nstick || px->lbalgo == LB_HASH) && !px_rules_get(px))
			return cfg_err(ctx, "out of memory");
		/* url_param check_post looks at the body: it is waited for, as
		 * HAProxy does (option http-buffer-request) */
		if (px->lbalgo == LB_HASH && pp->hash.key == HK_URL_PARAM && pp->hash.check_post)
			px->options |= PR_O_HTTP_BUF_REQ;
		if (pp->nstick && check_stick_rules(ctx, px) < 0)
			ret = -1;
		if (px->lbalgo == LB_HASH && pp->hash.key != HK_RDP_COOKIE && pp->hash.key != HK_EXPR &&
		    px->mode != PR_MODE_HTTP) {
			cfg_warn_at(ctx, 0, "Layer 7 hash not possible for %s '%s' (needs 'mode http'). Falling back to round robin.",
				    cfg_px_type(px), px->id);
			px->lbalgo = LB_ROUNDROBIN;
		}
		if (px->lbalgo == LB_HASH && pp->hash.key == HK_RDP_COOKIE && !pp->hash.expr && !pp->hash.expr_text) {
			/* rdp-cookie(NAME) hashes req.rdp_cookie(NAME) */
			size_t n = strlen(pp->hash.name) + 24;

			if (!(pp->hash.expr_text = malloc(n)))
				return cfg_err(ctx, "out of memory");
			snprintf(pp->hash.expr_text, n, "req.rdp_cookie(%s)", pp->hash.name);
		}
		if (px->lbalgo == LB_HASH && (pp->hash.key == HK_EXPR || pp->hash.key == HK_RDP_COOKIE) &&
		    !pp->hash.expr && pp->hash.expr_text) {
			/* inherited from a defaults section: compiled for this proxy */
			struct smp_pctx pc = { .rcfg = rules_cfg_get(ctx->cfg), .px = px, .file = ctx->file,
					       .line = px->line, .phase = SMP_PH_TCP_CONT };
			char err[1024];

			if (!pc.rcfg || !px_rules_get(px) ||
			    !(pp->hash.expr = smp_expr_parse(pp->hash.expr_text, NULL, &pc, err, sizeof(err))))
				ret = cfg_err_at(ctx, px->line, "'balance hash': %s.", err);
		}
		if (!pp->ck.name)
			continue;
		if (px->mode != PR_MODE_HTTP) {
			cfg_warn_at(ctx, pp->ck.line, "'cookie' statement ignored for %s '%s' as it requires HTTP mode.",
				    cfg_px_type(px), px->id);
			free(pp->ck.name);
			pp->ck.name = NULL;
			continue;
		}
		if ((pp->ck.flags & CK_F_DYNAMIC) && !pp->dyn_key) {
			cfg_warn_at(ctx, pp->ck.line, "%s '%s': dynamic cookies are enabled but no 'dynamic-cookie-key' is set; "
				    "servers without a 'cookie' get none.", cfg_px_type(px), px->id);
		}
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);
			char dc[17];

			if (s->cookie || !(pp->ck.flags & CK_F_DYNAMIC) || !pp->dyn_key ||
			    (s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6))
				continue;
			dynamic_cookie(pp->dyn_key, s, dc);
			if (!(s->cookie = strdup(dc)))
				return cfg_err(ctx, "out of memory");
		}
	}
	return ret;
}

const struct cfg_kw cfg_stick_kws[] = {
	{ "stick-table",         KW_FE | KW_BE | KW_LI,  kw_stick_table },
	{ "stick",               KW_BE | KW_LI,          kw_stick },
	{ "cookie",              KW_DEF | KW_BE | KW_LI, kw_cookie },
	{ "dynamic-cookie-key",  KW_DEF | KW_BE | KW_LI, kw_dynamic_cookie_key },
	{ "hash-type",           KW_DEF | KW_BE | KW_LI, kw_hash_type },
	{ "hash-balance-factor", KW_DEF | KW_BE | KW_LI, kw_hash_balance_factor },
	{ NULL, 0, NULL }
};
