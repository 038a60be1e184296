/* Configuration loading: reads the file line by line, tracks sections and
 * hands each line to the keyword table of the current section. Also holds
 * the error reporting helpers, the proxy life cycle (with inheritance from
 * `defaults` sections) and the public lookups.
 *
 * Parsing goes on after an error so that one run reports every error (as
 * HAProxy does); cfg_load then returns NULL with the first one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg_lex.h>
#include <tandem/log.h>
#include <tandem/rules.h>
#include <tandem/ssl.h>
#include "cfg_int.h"

/* ------------------------------------------------------------------ */
/* errors and warnings                                                 */

static void report(struct cfg_ctx *ctx, int level, int line, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		log_event(level, "config : parsing [%s:%d] : %s", ctx->file, line, msg);
	else
		log_event(level, "config : %s", msg);
	if (level <= LL_ERR) {
		if (!ctx->nerr && ctx->err && ctx->errlen) {
			if (line > 0)
				snprintf(ctx->err, ctx->errlen, "%s:%d: %s", ctx->file, line, msg);
			else
				snprintf(ctx->err, ctx->errlen, "%s: %s", ctx->file, msg);
		}
		ctx->nerr++;
	}
}

int cfg_err(struct cfg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, LL_ALERT, ctx->line, fmt, ap);
	va_end(ap);
	return -1;
}

int cfg_err_at(struct cfg_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, LL_ALERT, line, fmt, ap);
	va_end(ap);
	return -1;
}

void cfg_warn(struct cfg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, LL_WARNING, ctx->line, fmt, ap);
	va_end(ap);
}

void cfg_warn_at(struct cfg_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, LL_WARNING, line, fmt, ap);
	va_end(ap);
}

const char *cfg_px_type(const struct proxy *px)
{
	if (px->cap & PR_CAP_DEF)
		return "defaults";
	if ((px->cap & (PR_CAP_FE | PR_CAP_BE)) == (PR_CAP_FE | PR_CAP_BE))
		return "listen";
	return (px->cap & PR_CAP_FE) ? "frontend" : "backend";
}

int cfg_px_has_cap(struct cfg_ctx *ctx, int cap, const char *kw)
{
	struct proxy *px = ctx->px;

	if ((px->cap & PR_CAP_DEF) || (px->cap & cap))
		return 1;
	cfg_warn(ctx, "'%s' ignored because %s '%s' has no %s capability.", kw,
		 cfg_px_type(px), px->id, cap == PR_CAP_FE ? "frontend" : "backend");
	return 0;
}

/* ------------------------------------------------------------------ */
/* argument helpers                                                    */

int cfg_max_args(struct cfg_ctx *ctx, char **args, int nargs, int max)
{
	if (nargs > max + 1)
		return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", args[0], args[max + 1]);
	return 0;
}

/* The value parsers word the message (cfg_value.h); these report it. */
int cfg_arg_int(struct cfg_ctx *ctx, const char *kw, const char *s, long long min, long long max, long long *out)
{
	char msg[1024];

	if (cfg_val_int(kw, s, min, max, out, msg, sizeof(msg)) < 0)
		return cfg_err(ctx, "%s", msg);
	return 0;
}

int cfg_arg_time(struct cfg_ctx *ctx, const char *kw, const char *s, uint32_t *ms)
{
	char msg[1024];

	if (cfg_val_time(kw, s, ms, msg, sizeof(msg)) < 0)
		return cfg_err(ctx, "%s", msg);
	return 0;
}

int cfg_arg_size(struct cfg_ctx *ctx, const char *kw, const char *s, uint64_t *out)
{
	char msg[1024];

	if (cfg_val_size(kw, s, out, msg, sizeof(msg)) < 0)
		return cfg_err(ctx, "%s", msg);
	return 0;
}

int cfg_strdup(struct cfg_ctx *ctx, char **dst, const char *s)
{
	char *n = NULL;

	if (s && !(n = strdup(s)))
		return cfg_err(ctx, "out of memory");
	free(*dst);
	*dst = n;
	return 0;
}

char *cfg_join(char **args, int from, int nargs)
{
	size_t len = 1;
	char *out, *p;

	for (int i = from; i < nargs; i++)
		len += strlen(args[i]) + 1;
	if (!(out = malloc(len)))
		return NULL;
	p = out;
	*p = 0;
	for (int i = from; i < nargs; i++) {
		size_t l = strlen(args[i]);

		if (i > from)
			*p++ = ' ';
		memcpy(p, args[i], l);
		p += l;
		*p = 0;
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* proxies                                                             */

static char **strv_dup(char **v, int n)
{
	char **o;

	if (!n)
		return NULL;
	if (!(o = calloc(n, sizeof(*o))))
		return NULL;
	for (int i = 0; i < n; i++)
		if (!(o[i] = strdup(v[i]))) {
			while (i--)
				free(o[i]);
			free(o);
			return NULL;
		}
	return o;
}

/* Copy what a defaults section passes on: everything but the name, binds,
 * servers, rules and the description. Returns 0 or -1 (out of memory). */
static int proxy_inherit(struct proxy *px, const struct proxy *def)
{
	struct list *l;

	px->mode = def->mode;
	px->lbalgo = def->lbalgo;
	px->lb_set = def->lb_set;
	px->src = def->src;
	px->to = def->to;
	px->retries = def->retries;
	px->lb_draws = def->lb_draws;
	px->retry_on = def->retry_on;
	memcpy(px->retry_status, def->retry_status, sizeof(px->retry_status));
	px->n_retry_status = def->n_retry_status;
	px->retry_budget = def->retry_budget;
	px->redispatch = def->redispatch;
	px->options = def->options;
	px->fwdfor_except_af = def->fwdfor_except_af;
	memcpy(px->fwdfor_except_addr, def->fwdfor_except_addr, 16);
	px->fwdfor_except_bits = def->fwdfor_except_bits;
	px->http_reuse = def->http_reuse;
	px->maxconn = def->maxconn;
	px->fullconn = def->fullconn;
	px->disabled = def->disabled;
	px->stats_enabled = def->stats_enabled;
	px->stats_refresh = def->stats_refresh;
	px->stats_hide_version = def->stats_hide_version;
	px->stats_admin = def->stats_admin;
	px->stats_show_legends = def->stats_show_legends;
	px->stats_show_node = def->stats_show_node;
	px->stats_show_desc = def->stats_show_desc;
	px->defbe_line = def->defbe_line;
	if ((def->fwdfor_hdr && !(px->fwdfor_hdr = strdup(def->fwdfor_hdr))) ||
	    (def->defbe_name && !(px->defbe_name = strdup(def->defbe_name))) ||
	    (def->stats_uri && !(px->stats_uri = strdup(def->stats_uri))) ||
	    (def->stats_realm && !(px->stats_realm = strdup(def->stats_realm))) ||
	    (def->stats_node && !(px->stats_node = strdup(def->stats_node))) ||
	    (def->stats_desc && !(px->stats_desc = strdup(def->stats_desc))))
		return -1;
	if (def->n_stats_scope) {
		if (!(px->stats_scope = strv_dup(def->stats_scope, def->n_stats_scope)))
			return -1;
		px->n_stats_scope = def->n_stats_scope;
	}
	list_for_each(l, &def->stats_auths) {
		struct stats_auth *a = list_entry(l, struct stats_auth, link), *n;

		if (!(n = calloc(1, sizeof(*n))))
			return -1;
		list_add_tail(&px->stats_auths, &n->link);
		if (!(n->user = strdup(a->user)) || !(n->pass = strdup(a->pass)))
			return -1;
	}
	if (cfg_log_targets_copy(&px->logs, &def->logs) < 0)
		return -1;
	if (rules_px_inherit(px, def) < 0)
		return -1;
	if (cfg_persist_inherit(px, def) < 0)
		return -1;
	px->to.tarpit = def->to.tarpit;
	srv_settings_free(&px->defsrv);
	if (srv_settings_copy(&px->defsrv, &def->defsrv) < 0)
		return -1;
	return 0;
}

struct proxy *cfg_proxy_new(struct cfg_ctx *ctx, const char *name, int cap, const struct proxy *def)
{
	struct proxy *px = calloc(1, sizeof(*px));

	if (!px)
		goto oom;
	px->fe_ctr = ctr_new();
	px->be_ctr = ctr_new();
	list_init(&px->link);
	list_init(&px->binds);
	list_init(&px->servers);
	list_init(&px->logs);
	list_init(&px->stats_auths);
	px->cap = cap;
	px->file = ctx->file;
	px->line = ctx->line;
	srv_settings_init(&px->defsrv);
	px->defsrv.be = px;
	if (!(px->id = strdup(name)))
		goto oom;
	if (def) {
		if (proxy_inherit(px, def) < 0)
			goto oom;
		return px;
	}
	/* built-in defaults, HAProxy's */
	px->mode = PR_MODE_TCP;
	px->lbalgo = LB_ROUNDROBIN;
	px->retries = 3;
	px->retry_on = RETRY_CONN_FAILURE;
	px->retry_budget = 20;
	px->http_reuse = REUSE_SAFE;
	if (!(px->fwdfor_hdr = strdup("X-Forwarded-For")) ||
	    !(px->stats_uri = strdup("/haproxy?stats")))
		goto oom;
	return px;
oom:
	cfg_err(ctx, "out of memory");
	cfg_proxy_free(px);
	return NULL;
}

void cfg_proxy_free(struct proxy *px)
{
	struct list *l, *n;

	if (!px)
		return;
	list_for_each_safe(l, n, &px->binds) {
		struct bind_conf *b = list_entry(l, struct bind_conf, link);

		free(b->addr_str);
		free(b->name);
		free(b->ctr);
		ssl_bind_conf_release(b->ssl);
		free(b);
	}
	list_for_each_safe(l, n, &px->servers)
		srv_free(list_entry(l, struct server, link));
	list_for_each_safe(l, n, &px->stats_auths) {
		struct stats_auth *a = list_entry(l, struct stats_auth, link);

		free(a->user);
		free(a->pass);
		free(a);
	}
	if (!px->ctr_shared) {
		free(px->fe_ctr);
		free(px->be_ctr);
	}
	cfg_log_targets_free(&px->logs);
	rules_px_free(px);
	cfg_persist_free(px);
	for (int i = 0; i < px->n_stats_scope; i++)
		free(px->stats_scope[i]);
	free(px->stats_scope);
	srv_settings_free(&px->defsrv);
	free(px->id);
	free(px->defbe_name);
	free(px->fwdfor_hdr);
	free(px->stats_uri);
	free(px->stats_realm);
	free(px->stats_node);
	free(px->stats_desc);
	free(px->desc);
	free(px);
}

/* ------------------------------------------------------------------ */
/* sections                                                            */

static int start_global(struct cfg_ctx *ctx, char **args, int nargs)
{
	ctx->sec = SEC_GLOBAL;
	ctx->px = NULL;
	return cfg_max_args(ctx, args, nargs, 0);
}

/* Find the defaults section called <name>; reports missing/ambiguous. */
static struct proxy *find_defaults(struct cfg_ctx *ctx, const char *name, const char *what, const char *pxname)
{
	struct proxy *found = NULL;
	struct list *l;

	list_for_each(l, &ctx->defaults) {
		struct proxy *d = list_entry(l, struct proxy, link);

		if (strcmp(d->id, name) != 0)
			continue;
		if (found) {
			cfg_err(ctx, "ambiguous defaults section name '%s' referenced by %s '%s' exists at least at %s:%d and %s:%d.",
				name, what, pxname, found->file, found->line, d->file, d->line);
			return NULL;
		}
		found = d;
	}
	if (!found)
		cfg_err(ctx, "defaults section '%s' not found for %s '%s'.", name, what, pxname);
	return found;
}

/* defaults [NAME] [from DEFNAME] | defaults from DEFNAME */
static int start_defaults(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *name = "", *from = NULL;
	struct proxy *def = NULL, *px;
	const char *bad;
	int i = 1;

	ctx->sec = SEC_SKIP;
	ctx->px = NULL;
	if (i < nargs && strcmp(args[i], "from") != 0)
		name = args[i++];
	if (i < nargs) {
		if (strcmp(args[i], "from") != 0 || i + 1 >= nargs)
			return cfg_err(ctx, "'defaults' expects [<name>] [from <defaults>], got '%s'.", args[i]);
		from = args[i + 1];
		i += 2;
	}
	if (i < nargs)
		return cfg_err(ctx, "'defaults' cannot handle unexpected argument '%s'.", args[i]);
	if ((bad = cfg_invalid_char(name)))
		return cfg_err(ctx, "character '%c' is not permitted in 'defaults' name '%s'.", *bad, name);
	/* a new defaults section starts from the built-in values unless `from` */
	if (from && !(def = find_defaults(ctx, from, "defaults", name)))
		return -1;
	if (!(px = cfg_proxy_new(ctx, name, PR_CAP_DEF | PR_CAP_FE | PR_CAP_BE, def)))
		return -1;
	list_add_tail(&ctx->defaults, &px->link);
	ctx->last_def = px;
	ctx->px = px;
	ctx->sec = SEC_DEFAULTS;
	return 0;
}

/* frontend|backend|listen NAME [from DEFNAME] ; listen NAME ADDR:PORT */
static int start_proxy(struct cfg_ctx *ctx, char **args, int nargs)
{
	int cap, sec;
	const struct proxy *def = ctx->last_def;
	const char *bad, *addr = NULL;
	struct proxy *px;
	struct list *l;

	if (strcmp(args[0], "frontend") == 0)     { cap = PR_CAP_FE; sec = SEC_FRONTEND; }
	else if (strcmp(args[0], "backend") == 0) { cap = PR_CAP_BE; sec = SEC_BACKEND; }
	else                                      { cap = PR_CAP_FE | PR_CAP_BE; sec = SEC_LISTEN; }

	ctx->sec = SEC_SKIP;
	ctx->px = NULL;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects an <id> argument", args[0]);
	if (nargs > 2) {
		if (strcmp(args[2], "from") == 0) {
			if (nargs < 4)
				return cfg_err(ctx, "'from' expects the name of a defaults section.");
			if (cfg_max_args(ctx, args, nargs, 3) < 0)
				return -1;
			if (!(def = find_defaults(ctx, args[3], args[0], args[1])))
				return -1;
		} else if (cap & PR_CAP_FE) {
			/* old syntax kept by tandem: listen NAME ADDR:PORT[,...] */
			if (cfg_max_args(ctx, args, nargs, 2) < 0)
				return -1;
			addr = args[2];
		} else {
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", args[0], args[2]);
		}
	}
	if ((bad = cfg_invalid_char(args[1])))
		cfg_err(ctx, "character '%c' is not permitted in '%s' name '%s'.", *bad, args[0], args[1]);

	/* a frontend and a backend may share a name; a listen is both */
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *o = list_entry(l, struct proxy, link);

		if ((o->cap & cap) && strcmp(o->id, args[1]) == 0)
			cfg_err(ctx, "%s '%s' has the same name as %s '%s' declared at %s:%d.",
				args[0], args[1], cfg_px_type(o), o->id, o->file, o->line);
	}
	if (!(px = cfg_proxy_new(ctx, args[1], cap, def)))
		return -1;
	list_add_tail(&ctx->cfg->proxies, &px->link);
	ctx->px = px;
	ctx->sec = sec;
	if (addr) {
		char *bargs[] = { "bind", (char *)addr, NULL };

		return cfg_kw_bind(ctx, bargs, 2);
	}
	return 0;
}

static int start_unsupported(struct cfg_ctx *ctx, char **args, int nargs)
{
	(void)nargs;
	ctx->sec = SEC_SKIP;   /* its lines are not reported one by one */
	ctx->px = NULL;
	return cfg_err(ctx, "section '%s' is not supported by tandem.", args[0]);
}

/* Section table: a later section type (e.g. `vrrp`) adds its line here. */
static const struct {
	const char *name;
	int (*start)(struct cfg_ctx *, char **, int);
} sections[] = {
	{ "global",    start_global },
	{ "defaults",  start_defaults },
	{ "frontend",  start_proxy },
	{ "backend",   start_proxy },
	{ "listen",    start_proxy },
	{ "vrrp",      cfg_vrrp_start },
	{ "anycast",   cfg_bgp_start },
	{ "vrrp-script", cfg_vrrp_start },
	{ "vrrp-track-file", cfg_vrrp_start },
	{ "vrrp-sync-group", cfg_vrrp_start },
	{ "userlist",  cfg_userlist_start },
	{ "resolvers", cfg_resolvers_start },
	{ "peers",     cfg_peers_start },
	{ "program",   start_unsupported },
	{ "cache",     start_unsupported },
	{ "mailers",   start_unsupported },
	{ "ring",      start_unsupported },
	{ "http-errors", cfg_http_errors_start },
	{ "log-forward", start_unsupported },
	{ "fcgi-app",  start_unsupported },
	{ "crt-store", start_unsupported },
	{ "traces",    start_unsupported },
	{ "acme",      start_unsupported },
};

static const char *sec_name(int sec)
{
	switch (sec) {
	case SEC_GLOBAL:   return "global";
	case SEC_DEFAULTS: return "defaults";
	case SEC_FRONTEND: return "frontend";
	case SEC_BACKEND:  return "backend";
	case SEC_LISTEN:   return "listen";
	default:           return "?";
	}
}

static unsigned sec_mask(int sec)
{
	switch (sec) {
	case SEC_DEFAULTS: return KW_DEF;
	case SEC_FRONTEND: return KW_FE;
	case SEC_BACKEND:  return KW_BE;
	case SEC_LISTEN:   return KW_LI;
	default:           return 0;
	}
}

static const struct cfg_kw *kw_find(const struct cfg_kw *t, const char *name)
{
	for (; t->name; t++) {
		size_t l = strlen(t->name);

		if (l && t->name[l - 1] == '*') {
			if (strncmp(name, t->name, l - 1) == 0)
				return t;
		} else if (strcmp(name, t->name) == 0) {
			return t;
		}
	}
	return NULL;
}

static int dispatch_proxy(struct cfg_ctx *ctx, char **args, int nargs)
{
	static const struct cfg_kw *const tables[] = { cfg_proxy_kws, cfg_server_kws, cfg_retry_kws, cfg_rules_kws,
							 cfg_stick_kws };
	const struct cfg_kw *kw = NULL;

	ctx->no = 0;
	if (strcmp(args[0], "no") == 0) {
		if (nargs < 2)
			return cfg_err(ctx, "'no' expects a keyword.");
		ctx->no = 1;
		args++; nargs--;
	} else if (strcmp(args[0], "default") == 0 && nargs > 1) {
		return cfg_err(ctx, "the 'default' prefix ('default %s') is not supported by tandem.", args[1]);
	}
	for (size_t i = 0; !kw && i < ARRAY_SIZE(tables); i++)
		kw = kw_find(tables[i], args[0]);
	if (!kw) {
		const char *why = cfg_proxy_rejected(args[0]);

		if (why)
			return cfg_err(ctx, "%s", why);
		return cfg_err(ctx, "unknown keyword '%s' in '%s' section", args[0], sec_name(ctx->sec));
	}
	if (!(kw->where & sec_mask(ctx->sec)))
		return cfg_err(ctx, "'%s' not allowed in '%s' section.", args[0], sec_name(ctx->sec));
	if (ctx->no && !(kw->where & KW_NO_OK))
		return cfg_err(ctx, "'no %s' is not supported: the 'no' prefix only applies to 'option' and 'log'.", args[0]);
	return kw->fn(ctx, args, nargs);
}

static int dispatch_line(struct cfg_ctx *ctx, char **args, int nargs)
{
	const struct cfg_kw *kw;

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (strcmp(args[0], sections[i].name) == 0)
			return sections[i].start(ctx, args, nargs);

	switch (ctx->sec) {
	case SEC_NONE:
		return cfg_err(ctx, "unknown keyword '%s' out of section.", args[0]);
	case SEC_SKIP:
		return 0;
	case SEC_VRRP:
	case SEC_VRRP_SCRIPT:
	case SEC_VRRP_TFILE:
	case SEC_VRRP_GROUP:
		return cfg_vrrp_kw(ctx, args, nargs);
	case SEC_ANYCAST:
		return cfg_bgp_kw(ctx, args, nargs);
	case SEC_USERLIST:
		return cfg_userlist_kw(ctx, args, nargs);
	case SEC_HTTP_ERRORS:
		return cfg_http_errors_kw(ctx, args, nargs);
	case SEC_RESOLVERS:
		return cfg_resolvers_kw(ctx, args, nargs);
	case SEC_PEERS:
		return cfg_peers_kw(ctx, args, nargs);
	case SEC_GLOBAL:
		ctx->no = 0;
		if (!strcmp(args[0], "no") && nargs > 1) {   /* `no strict-limits` */
			ctx->no = 1;
			args++;
			nargs--;
		}
		if (!(kw = kw_find(cfg_global_kws, args[0])))
			return cfg_err(ctx, "unknown keyword '%s' in 'global' section", args[0]);
		if (ctx->no && !(kw->where & KW_NO_OK))
			return cfg_err(ctx, "'no %s' is not supported in the 'global' section.", args[0]);
		return kw->fn(ctx, args, nargs);
	default:
		return dispatch_proxy(ctx, args, nargs);
	}
}

/* ------------------------------------------------------------------ */
/* public entry points                                                 */

struct cfg *cfg_load(const char *path, char *err, size_t errlen)
{
	struct cfg_ctx ctx = { .err = err, .errlen = errlen };
	struct cfg_words w = { 0 };
	struct cfg *cfg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	if (err && errlen)
		*err = 0;
	list_init(&ctx.defaults);
	if (!(cfg = calloc(1, sizeof(*cfg))) || !(cfg->path = strdup(path))) {
		free(cfg);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	list_init(&cfg->proxies);
	list_init(&cfg->vrrps);
	list_init(&cfg->anycasts);
	list_init(&cfg->resolvers);
	cfg_global_init(&cfg->g);
	ctx.cfg = cfg;
	ctx.file = cfg->path;

	if (!(f = fopen(path, "r"))) {
		int e = errno;

		log_event(LL_ALERT, "config : Cannot open configuration file %s : %s", path, strerror(e));
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open configuration file: %s", path, strerror(e));
		cfg_free(cfg);
		return NULL;
	}
	while (!ctx.abort && (len = getline(&line, &cap, f)) >= 0) {
		const char *lerr;

		ctx.line++;
		if (cfg_lex_line(line, (size_t)len, &w, &lerr) < 0) {
			cfg_err(&ctx, "%s", lerr);
			continue;
		}
		if (w.n && !cfg_cond_line(&ctx, w.v, w.n))
			dispatch_line(&ctx, w.v, w.n);
	}
	cfg_cond_end(&ctx);
	if (ferror(f))
		cfg_err(&ctx, "read error: %s", strerror(errno));
	fclose(f);
	free(line);
	cfg_words_free(&w);

	ctx.line = 0;
	ctx.px = NULL;
	if (!ctx.nerr)
		cfg_check(&ctx);
	if (!ctx.nerr)
		cfg_rules_check(&ctx);
	if (!ctx.nerr)
		cfg_stick_check(&ctx);
	if (!ctx.nerr)
		cfg_vrrp_check(&ctx);
	if (!ctx.nerr)
		cfg_bgp_check(&ctx);
	if (!ctx.nerr)
		cfg_resolvers_check(&ctx);

	while (!list_empty(&ctx.defaults)) {
		struct proxy *d = list_entry(ctx.defaults.next, struct proxy, link);

		list_del(&d->link);
		cfg_proxy_free(d);
	}
	if (ctx.nerr) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	ssl_cfg_release(cfg);   /* contexts and certificates first: binds and servers point into them */
	while (!list_empty(&cfg->proxies)) {
		struct proxy *px = list_entry(cfg->proxies.next, struct proxy, link);

		list_del(&px->link);
		cfg_proxy_free(px);
	}
	cfg_vrrp_free(cfg);
	rules_cfg_free(cfg);
	cfg_stick_free(cfg);
	cfg_bgp_free(cfg);
	cfg_resolvers_free(cfg);
	cfg_global_free(&cfg->g);
	free(cfg->path);
	free(cfg);
}

struct proxy *cfg_find_proxy(const struct cfg *cfg, const char *id, int cap)
{
	struct list *l;

	list_for_each(l, &cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		if ((px->cap & cap) && strcmp(px->id, id) == 0)
			return px;
	}
	return NULL;
}

struct server *proxy_find_server(const struct proxy *px, const char *id)
{
	struct list *l;

	list_for_each(l, &px->servers) {
		struct server *s = list_entry(l, struct server, link);

		if (strcmp(s->id, id) == 0)
			return s;
	}
	return NULL;
}
