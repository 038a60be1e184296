/* Keywords of the rules language (the engine lives in src/rules/):
 * `acl`, `http-request`, `http-response`, `http-after-response`,
 * `tcp-request`, `tcp-response`, `use_backend`, `use-server`,
 * `force-persist`, `ignore-persist`, `redirect`, `monitor-uri`, `monitor
 * fail`, `errorfile`, `errorfiles`, `http-error`, `capture`, `declare
 * capture`, `log-format`, `error-log-format`, `unique-id-format`,
 * `unique-id-header`, `stats admin if|unless`, and the `userlist` and
 * `http-errors` sections.
 *
 * Errors from the engine come back through a struct rules_report and
 * become this parser's "parsing [file:line]" alerts. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/acl.h>
#include <tandem/action.h>
#include <tandem/logfmt.h>
#include <tandem/rules.h>
#include <tandem/service.h>
#include "cfg_int.h"

#define PX (ctx->px)

/* ---- reporting ---- */

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

static struct rules_report report_of(struct cfg_ctx *ctx)
{
	struct rules_report r = { rep_err_cb, rep_warn_cb, ctx, 0 };

	return r;
}

static int pctx_of(struct cfg_ctx *ctx, struct smp_pctx *pc, int phase)
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

/* ---- acl ---- */

static int kw_acl(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct rules_report rep = report_of(ctx);
	struct smp_pctx pc;

	if (pctx_of(ctx, &pc, -1) < 0)
		return -1;
	return acl_parse_line(&pc, &rep, args, nargs);
}

/* ---- rule sets ---- */

static const int set_phases[RSI_COUNT] = {
	[RSI_TCP_CONN] = SMP_PH_TCP_CONN, [RSI_TCP_CONT] = SMP_PH_TCP_CONT, [RSI_HTTP_REQ] = SMP_PH_HTTP_REQ,
	[RSI_TCP_RES] = SMP_PH_TCP_RES, [RSI_HTTP_RES] = SMP_PH_HTTP_RES, [RSI_HTTP_AFTER] = SMP_PH_HTTP_AFTER,
	[RSI_TCP_SESS] = SMP_PH_TCP_CONN,
};

/* HAProxy evaluates these kinds of rules in this order, whatever their
 * order in the file, and warns when one is written after a kind that runs
 * later (the same words). */
enum { ORD_TCP_SESS, ORD_TCP_CONT, ORD_MONITOR, ORD_HTTP_REQ, ORD_REDIRECT, ORD_USE_BE, ORD_USE_SRV, ORD_N };

static const char *const ord_after[ORD_N] = {
	"a 'tcp-request session'", "a 'tcp-request content'", "a 'monitor fail'", "an 'http-request'",
	"a 'redirect'", "a 'use_backend'", "a 'use-server'",
};

/* A rule of kind <kind> (ORD_*, or -1 for `tcp-request connection`, which
 * runs first) named <subject> comes: warn when a later kind was seen, then
 * remember this one. */
static void order_check(struct cfg_ctx *ctx, int kind, const char *subject)
{
	struct px_rules *r = px_rules_get(PX);

	if (!r || (PX->cap & PR_CAP_DEF))
		return;
	/* HAProxy does not warn of a use_backend written after a use-server */
	for (int k = kind + 1; k < ORD_N && kind != ORD_USE_BE; k++)
		if (r->order_seen & (1u << k)) {
			cfg_warn(ctx, "a '%s' rule placed after %s rule will still be processed before.",
				 subject, ord_after[k]);
			break;
		}
	if (kind >= 0)
		r->order_seen |= 1u << kind;
}

/* use-service names a service of the registry (filled before the
 * configuration is read: main() registers them first). */
static int service_known(const char *name)
{
	return service_find(name) != NULL;
}

static int add_rule_to(struct cfg_ctx *ctx, int set, const char *kw, struct rule_list *list, char **args,
		       int nargs);

static int add_rule(struct cfg_ctx *ctx, int set, const char *kw, char **args, int nargs)
{
	if (!px_rules_get(PX))
		return cfg_err(ctx, "out of memory");
	if (set == RSI_TCP_CONT && nargs > 0 && !strcmp(args[0], "switch-mode"))
		PX->rules->http_upgrade = 1;   /* HAProxy then keeps the proxy's HTTP rules */
	return add_rule_to(ctx, set, kw, &PX->rules->set[set], args, nargs);
}

static int pctx_of_px(struct cfg_ctx *ctx)
{
	return px_rules_get(PX) ? 0 : cfg_err(ctx, "out of memory");
}

static int add_rule_to(struct cfg_ctx *ctx, int set, const char *kw, struct rule_list *list, char **args,
		       int nargs)
{
	struct rules_report rep = report_of(ctx);
	struct smp_pctx pc;
	char where[300];
	struct act_parse ap;

	if (pctx_of(ctx, &pc, set_phases[set]) < 0)
		return -1;
	snprintf(where, sizeof(where), "%s '%s'", cfg_px_type(PX), PX->id);
	ap.pc = &pc;
	ap.rep = &rep;
	ap.set = set;
	ap.phase = set_phases[set];
	ap.where = where;
	ap.setname = kw;
	ap.kw = NULL;
	ap.service_known = service_known;
	return rule_parse(&ap, list, args, nargs);
}

static int kw_http_rule(struct cfg_ctx *ctx, char **args, int nargs)
{
	int set = !strcmp(args[0], "http-request") ? RSI_HTTP_REQ :
		  !strcmp(args[0], "http-response") ? RSI_HTTP_RES : RSI_HTTP_AFTER;

	if (nargs < 2)
		return cfg_err(ctx, "'%s' expects an action.", args[0]);
	if (set == RSI_HTTP_REQ)
		order_check(ctx, ORD_HTTP_REQ, "http-request");
	return add_rule(ctx, set, args[0], args + 1, nargs - 1);
}

static int inspect_delay(struct cfg_ctx *ctx, char **args, int nargs, int dir)
{
	uint32_t ms;
	char kw[64];

	snprintf(kw, sizeof(kw), "%s inspect-delay", args[0]);
	if (nargs > 3)
		return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
	if (cfg_arg_time(ctx, kw, nargs > 2 ? args[2] : NULL, &ms) < 0)
		return -1;
	if (!px_rules_get(PX))
		return cfg_err(ctx, "out of memory");
	PX->rules->inspect_delay[dir] = ms;
	return 0;
}

static int kw_tcp_request(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *sub = nargs > 1 ? args[1] : "";

	if (!strcmp(sub, "inspect-delay"))
		return inspect_delay(ctx, args, nargs, 0);
	if (PX->cap & PR_CAP_DEF)
		return cfg_err(ctx, "'tcp-request %s' is not allowed in 'defaults' sections.", sub);
	if (!strcmp(sub, "connection") || !strcmp(sub, "session")) {
		if (!(PX->cap & PR_CAP_FE))
			return cfg_err(ctx, "'tcp-request %s' is not allowed in backend sections.", sub);
		if (nargs < 3)
			return cfg_err(ctx, "'tcp-request %s' expects an action.", sub);
		order_check(ctx, sub[0] == 'c' ? -1 : ORD_TCP_SESS, "tcp-request");
		return add_rule(ctx, sub[0] == 'c' ? RSI_TCP_CONN : RSI_TCP_SESS,
				sub[0] == 'c' ? "tcp-request connection" : "tcp-request session", args + 2, nargs - 2);
	}
	if (!strcmp(sub, "content")) {
		if (nargs < 3)
			return cfg_err(ctx, "'tcp-request content' expects an action.");
		order_check(ctx, ORD_TCP_CONT, "tcp-request");
		return add_rule(ctx, RSI_TCP_CONT, "tcp-request content", args + 2, nargs - 2);
	}
	return cfg_err(ctx, "'tcp-request' expects 'connection', 'session', 'content' or 'inspect-delay', got '%s'.", sub);
}

static int kw_tcp_response(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *sub = nargs > 1 ? args[1] : "";

	if (!strcmp(sub, "inspect-delay"))
		return inspect_delay(ctx, args, nargs, 1);
	if (PX->cap & PR_CAP_DEF)
		return cfg_err(ctx, "'tcp-response %s' is not allowed in 'defaults' sections.", sub);
	if (!strcmp(sub, "content")) {
		if (nargs < 3)
			return cfg_err(ctx, "'tcp-response content' expects an action.");
		return add_rule(ctx, RSI_TCP_RES, "tcp-response content", args + 2, nargs - 2);
	}
	return cfg_err(ctx, "'tcp-response' expects 'content' or 'inspect-delay', got '%s'.", sub);
}

/* The `redirect` keyword: like `http-request redirect`, run after the
 * http-request rules. */
static int kw_redirect(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct rules_report rep = report_of(ctx);
	struct smp_pctx pc;
	char where[300];
	struct act_parse ap;

	order_check(ctx, ORD_REDIRECT, "redirect");
	if (pctx_of(ctx, &pc, SMP_PH_HTTP_REQ) < 0)
		return -1;
	snprintf(where, sizeof(where), "%s '%s'", cfg_px_type(PX), PX->id);
	ap.pc = &pc;
	ap.rep = &rep;
	ap.set = RSI_HTTP_REQ;
	ap.phase = SMP_PH_HTTP_REQ;
	ap.where = where;
	ap.setname = "http-request";
	ap.kw = NULL;
	ap.service_known = NULL;
	/* `redirect ...` is `http-request redirect ...` run after those rules */
	{
		char **a2 = calloc((size_t)nargs + 1, sizeof(char *));
		int ret;

		if (!a2)
			return cfg_err(ctx, "out of memory");
		a2[0] = "redirect";
		for (int i = 1; i < nargs; i++)
			a2[i] = args[i];
		ret = rule_parse(&ap, &PX->rules->redirects, a2, nargs);
		free(a2);
		return ret;
	}
}

/* A condition at args[i..]: mandatory (<need>) or optional. */
static int cond_at(struct cfg_ctx *ctx, char **args, int i, int nargs, int phase, const char *kw, int need,
		   struct acl_cond **c)
{
	struct rules_report rep = report_of(ctx);
	struct smp_pctx pc;
	char where[300];

	*c = NULL;
	if (pctx_of(ctx, &pc, phase) < 0)
		return -1;
	if (need && i >= nargs)
		return cfg_err(ctx, "'%s' requires either 'if' or 'unless' followed by a condition.", kw);
	if (i < nargs && strcmp(args[i], "if") && strcmp(args[i], "unless"))
		return cfg_err(ctx, "'%s' : unexpected argument '%s' (expects 'if' or 'unless').", kw, args[i]);
	snprintf(where, sizeof(where), "'%s'", kw);
	if (acl_cond_parse(&pc, &rep, args, &i, nargs, where, c) < 0)
		return -1;
	if (*c && acl_cond_check_phase(*c, phase, where, &rep) < 0) {
		acl_cond_free(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

/* use_backend <backend>|<log-format> [if|unless COND] */
static int kw_use_backend(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct switch_rule sr = { .file = ctx->file, .line = ctx->line }, *n;
	struct px_rules *r;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'use_backend' expects a backend name.");
	order_check(ctx, ORD_USE_BE, "use_backend");
	if (!cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (!(r = px_rules_get(PX)))
		return cfg_err(ctx, "out of memory");
	if (strchr(args[1], '%')) {
		struct smp_pctx pc;
		char err[1024];

		if (pctx_of(ctx, &pc, SMP_PH_TCP_CONT) < 0)
			return -1;
		if (!(sr.dyn = logfmt_parse(args[1], &pc, SMP_PH_TCP_CONT, err, sizeof(err))))
			return cfg_err(ctx, "use_backend: failed to parse log-format '%s' : %s.", args[1], err);
		if (sr.dyn->literal) {
			/* only "%%": a plain name after all */
			sr.be_name = strdup(sr.dyn->n ? sr.dyn->node[0].text : "");
			logfmt_free(sr.dyn);
			sr.dyn = NULL;
		}
	} else {
		sr.be_name = strdup(args[1]);
	}
	if (!sr.dyn && !sr.be_name)
		return cfg_err(ctx, "out of memory");
	if (cond_at(ctx, args, 2, nargs, SMP_PH_TCP_CONT, "use_backend", 0, &sr.cond) < 0 ||
	    !(n = realloc(r->be_rule, (size_t)(r->n_be_rule + 1) * sizeof(*n)))) {
		free(sr.be_name);
		logfmt_free(sr.dyn);
		acl_cond_free(sr.cond);
		return ctx->nerr ? -1 : cfg_err(ctx, "out of memory");
	}
	n[r->n_be_rule++] = sr;
	r->be_rule = n;
	return 0;
}

static int kw_use_server(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct srv_rule sr = { .file = ctx->file, .line = ctx->line }, *n;
	struct px_rules *r;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'use-server' expects a server name.");
	order_check(ctx, ORD_USE_SRV, "use-server");
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (!(r = px_rules_get(PX)) || !(sr.srv_name = strdup(args[1])))
		return cfg_err(ctx, "out of memory");
	if (cond_at(ctx, args, 2, nargs, SMP_PH_TCP_CONT, "use-server", 1, &sr.cond) < 0 ||
	    !(n = realloc(r->srv_rule, (size_t)(r->n_srv_rule + 1) * sizeof(*n)))) {
		free(sr.srv_name);
		acl_cond_free(sr.cond);
		return ctx->nerr ? -1 : cfg_err(ctx, "out of memory");
	}
	n[r->n_srv_rule++] = sr;
	r->srv_rule = n;
	return 0;
}

static int kw_persist(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct persist_rule pr = { .ignore = args[0][0] == 'i' }, *n;
	struct px_rules *r = px_rules_get(PX);

	if (!r)
		return cfg_err(ctx, "out of memory");
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (cond_at(ctx, args, 1, nargs, SMP_PH_TCP_CONT, args[0], 1, &pr.cond) < 0)
		return -1;
	if (!(n = realloc(r->persist, (size_t)(r->n_persist + 1) * sizeof(*n)))) {
		acl_cond_free(pr.cond);
		return cfg_err(ctx, "out of memory");
	}
	n[r->n_persist++] = pr;
	r->persist = n;
	return 0;
}

/* ---- monitor ---- */

static int kw_monitor_uri(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_rules *r;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'monitor-uri' expects an URI.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (!cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (!(r = px_rules_get(PX)))
		return cfg_err(ctx, "out of memory");
	return cfg_strdup(ctx, &r->monitor_uri, args[1]);
}

static int kw_monitor(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_rules *r;
	struct acl_cond *c, **n;

	if (nargs < 2 || strcmp(args[1], "fail"))
		return cfg_err(ctx, "'monitor' expects 'fail'.");
	if (PX->cap & PR_CAP_DEF)
		return cfg_err(ctx, "'monitor fail' is not allowed in 'defaults' sections.");
	order_check(ctx, ORD_MONITOR, "monitor fail");
	if (!cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (!(r = px_rules_get(PX)))
		return cfg_err(ctx, "out of memory");
	if (cond_at(ctx, args, 2, nargs, SMP_PH_HTTP_REQ, "monitor fail", 1, &c) < 0)
		return -1;
	if (!(n = realloc(r->monitor_fail, (size_t)(r->n_monitor_fail + 1) * sizeof(*n)))) {
		acl_cond_free(c);
		return cfg_err(ctx, "out of memory");
	}
	n[r->n_monitor_fail++] = c;
	r->monitor_fail = n;
	return 0;
}

/* ---- error pages ---- */

int err_directive_apply(struct rules_cfg *rc, struct proxy *px, const struct err_directive *d,
			struct rules_report *rep, int store);

static int add_err_directive(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct rules_report rep = report_of(ctx);
	struct err_directive d = { .nargs = nargs, .file = ctx->file, .line = ctx->line }, *n;
	struct px_rules *r = px_rules_get(PX);
	struct rules_cfg *rc = rules_cfg_get(ctx->cfg);

	if (!r || !rc || !(d.args = calloc((size_t)nargs + 1, sizeof(char *))))
		return cfg_err(ctx, "out of memory");
	for (int i = 0; i < nargs; i++)
		if (!(d.args[i] = strdup(args[i]))) {
			while (i--)
				free(d.args[i]);
			free(d.args);
			return cfg_err(ctx, "out of memory");
		}
	/* checked now, so that an error names this line once; compiled per
	 * proxy after parsing (sections may come later, defaults pass it on) */
	if (err_directive_apply(rc, PX, &d, &rep, 0) < 0 ||
	    !(n = realloc(r->err_dir, (size_t)(r->n_err_dir + 1) * sizeof(*n)))) {
		for (int i = 0; i < nargs; i++)
			free(d.args[i]);
		free(d.args);
		return rep.nerr ? -1 : cfg_err(ctx, "out of memory");
	}
	n[r->n_err_dir++] = d;
	r->err_dir = n;
	return 0;
}

static int kw_errorfile(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs != 3)
		return cfg_err(ctx, "'errorfile' expects <code> and <file>.");
	return add_err_directive(ctx, args, nargs);
}

static int kw_errorfiles(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'errorfiles' expects an http-errors section name and optional status codes.");
	for (int i = 2; i < nargs; i++) {
		long long v;

		if (cfg_parse_int(args[i], 100, 999, &v) < 0)
			return cfg_err(ctx, "'errorfiles' : '%s' is not a status code.", args[i]);
	}
	return add_err_directive(ctx, args, nargs);
}

static int kw_http_error(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs < 3 || strcmp(args[1], "status"))
		return cfg_err(ctx, "'http-error' expects 'status <code>' followed by the reply.");
	return add_err_directive(ctx, args, nargs);
}

/* ---- captures ---- */

static int add_capture(struct cfg_ctx *ctx, int rsp, const char *hdr, const char *lenarg)
{
	struct px_rules *r = px_rules_get(PX);
	struct cap_decl **tab, *n;
	int *cnt;
	long long len;

	if (!r)
		return cfg_err(ctx, "out of memory");
	if (cfg_parse_int(lenarg, 1, 65535, &len) < 0)
		return cfg_err(ctx, "'capture' : 'len' expects a length between 1 and 65535, got '%s'.", lenarg);
	tab = rsp ? &r->cap_rsp : &r->cap_req;
	cnt = rsp ? &r->n_cap_rsp : &r->n_cap_req;
	if (!(n = realloc(*tab, (size_t)(*cnt + 1) * sizeof(*n))))
		return cfg_err(ctx, "out of memory");
	*tab = n;
	n[*cnt].len = (int)len;
	n[*cnt].hdr = NULL;
	if (hdr && !(n[*cnt].hdr = strdup(hdr)))
		return cfg_err(ctx, "out of memory");
	(*cnt)++;
	return 0;
}

/* capture request|response header <name> len <length> */
static int kw_capture(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (!cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (nargs > 1 && !strcmp(args[1], "cookie"))
		return cfg_err(ctx, "'capture cookie' is not supported by tandem (%%CC and %%CS log '-'): capture the headers "
			       "instead ('capture request header Cookie len N', 'capture response header Set-Cookie len N').");
	if (nargs != 6 || (strcmp(args[1], "request") && strcmp(args[1], "response")) ||
	    strcmp(args[2], "header") || strcmp(args[4], "len"))
		return cfg_err(ctx, "'capture' expects 'request header <name> len <length>' or "
			       "'response header <name> len <length>'.");
	return add_capture(ctx, args[1][2] == 's', args[3], args[5]);
}

/* declare capture request|response len <length> */
static int kw_declare(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (!cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (nargs != 5 || strcmp(args[1], "capture") || (strcmp(args[2], "request") && strcmp(args[2], "response")) ||
	    strcmp(args[3], "len"))
		return cfg_err(ctx, "'declare' expects 'capture request len <length>' or 'capture response len <length>'.");
	return add_capture(ctx, args[2][2] == 's', NULL, args[4]);
}

/* ---- formats ---- */

static int set_format(struct cfg_ctx *ctx, char **args, int nargs, struct lf_src *dst)
{
	struct smp_pctx pc;
	char *text, err[1024];
	struct logfmt *lf;

	if (nargs < 2)
		return cfg_err(ctx, "'%s' expects a format string.", args[0]);
	/* HAProxy: the words are joined; in a directive every space is a
	 * field separator (merged with its neighbours) */
	if (!(text = cfg_join(args, 1, nargs)))
		return cfg_err(ctx, "out of memory");
	/* syntax errors are reported here; the proxy-specific checks
	 * (captures, mode) run after parsing, when it is compiled */
	if (pctx_of(ctx, &pc, -1) < 0 || !(lf = logfmt_parse_words(text, &pc, -1, err, sizeof(err)))) {
		free(text);
		return ctx->nerr ? -1 : cfg_err(ctx, "'%s' : %s.", args[0], err);
	}
	logfmt_free(lf);
	free(dst->text);
	dst->text = text;
	dst->file = ctx->file;
	dst->line = ctx->line;
	return 0;
}

static int kw_log_format(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_rules *r;

	if (!strcmp(args[0], "unique-id-format") && !cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (!(PX->cap & (PR_CAP_FE | PR_CAP_DEF))) {
		/* HAProxy's behaviour: a warning, and nothing else */
		cfg_warn(ctx, "backend '%s' : '%s' directive is ignored in backends.", PX->id, args[0]);
		return 0;
	}
	if (!(r = px_rules_get(PX)))
		return cfg_err(ctx, "out of memory");
	if (!strcmp(args[0], "log-format")) {
		const char *prev = cfg_log_format_prev(PX);

		if (prev && (PX->cap & PR_CAP_DEF) && nargs >= 2)
			cfg_warn(ctx, "'log-format' overrides previous '%s' in 'defaults' section.", prev);
		return set_format(ctx, args, nargs, &r->lf_src);
	}
	if (!strcmp(args[0], "error-log-format"))
		return set_format(ctx, args, nargs, &r->elf_src);
	return set_format(ctx, args, nargs, &r->uid_src);
}

static int kw_unique_id_header(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_rules *r = px_rules_get(PX);

	if (!r)
		return cfg_err(ctx, "out of memory");
	if (!cfg_px_has_cap(ctx, PR_CAP_FE, args[0]))
		return 0;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'unique-id-header' expects a header name.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return cfg_strdup(ctx, &r->unique_id_header, args[1]);
}

/* ---- stats admin if|unless COND (from kw_proxy.c) ---- */

int cfg_stats_admin_cond(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct px_rules *r = px_rules_get(PX);
	struct acl_cond *c;

	if (!r)
		return cfg_err(ctx, "out of memory");
	if (PX->cap & PR_CAP_DEF)
		return cfg_err(ctx, "'stats admin' with a condition is not allowed in 'defaults' sections.");
	if (cond_at(ctx, args, 2, nargs, SMP_PH_HTTP_REQ, "stats admin", 1, &c) < 0)
		return -1;
	acl_cond_free(r->stats_admin);
	r->stats_admin = c;
	PX->stats_admin = 1;
	return 0;
}

/* stats http-request allow|deny|auth [realm R] [if|unless COND]: run when
 * a request is for the stats page (src/proxy/http_ana.c, stats_uri()). */
int cfg_stats_http_rule(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *act = nargs > 2 ? args[2] : "";

	if (PX->cap & PR_CAP_DEF)
		return cfg_err(ctx, "'stats http-request' is not allowed in 'defaults' sections.");
	if (strcmp(act, "allow") && strcmp(act, "deny") && strcmp(act, "auth"))
		return cfg_err(ctx, "'stats http-request' expects 'allow', 'deny', 'auth' (got '%s').", act);
	if (pctx_of_px(ctx) < 0)
		return -1;
	return add_rule_to(ctx, RSI_HTTP_REQ, "stats http-request", &PX->rules->stats_rules, args + 2, nargs - 2);
}

/* ---- sections: userlist, http-errors ---- */

static struct userlist *cur_ul;
static struct http_errors *cur_errs;

int cfg_userlist_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct rules_cfg *rc = rules_cfg_get(ctx->cfg);
	char err[512];

	ctx->sec = SEC_SKIP;
	ctx->px = NULL;
	if (!rc)
		return cfg_err(ctx, "out of memory");
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'userlist' expects a name.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (!(cur_ul = userlist_new(rc, args[1], ctx->file, ctx->line, err, sizeof(err))))
		return cfg_err(ctx, "%s", err);
	ctx->sec = SEC_USERLIST;
	return 0;
}

int cfg_userlist_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	char err[512];

	if (userlist_kw(cur_ul, args, nargs, err, sizeof(err)) < 0)
		return cfg_err(ctx, "%s", err);
	return 0;
}

int cfg_http_errors_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct rules_cfg *rc = rules_cfg_get(ctx->cfg);
	struct http_errors *e, **pe;

	ctx->sec = SEC_SKIP;
	ctx->px = NULL;
	if (!rc)
		return cfg_err(ctx, "out of memory");
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'http-errors' expects a name.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	for (e = rc->errs; e; e = e->next)
		if (!strcmp(e->name, args[1]))
			return cfg_err(ctx, "http-errors section '%s' is already defined at %s:%d.", args[1], e->file, e->line);
	if (!(e = calloc(1, sizeof(*e))) || !(e->name = strdup(args[1]))) {
		free(e);
		return cfg_err(ctx, "out of memory");
	}
	e->file = ctx->file;
	e->line = ctx->line;
	for (pe = &rc->errs; *pe; pe = &(*pe)->next)
		;
	*pe = e;
	cur_errs = e;
	ctx->sec = SEC_HTTP_ERRORS;
	return 0;
}

int cfg_http_errors_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct http_reply *r;
	char err[1024];
	long long code;
	int idx;

	if (strcmp(args[0], "errorfile"))
		return cfg_err(ctx, "unknown keyword '%s' in 'http-errors' section (expects 'errorfile').", args[0]);
	if (nargs != 3)
		return cfg_err(ctx, "'errorfile' expects <code> and <file>.");
	if (cfg_parse_int(args[1], 0, 999, &code) < 0 || (idx = rules_err_index((int)code)) < 0)
		return cfg_err(ctx, "errorfile : status code '%s' not handled.", args[1]);
	if (!(r = errorfile_load(args[2], err, sizeof(err))))
		return cfg_err(ctx, "errorfile : %s", err);
	http_reply_free(cur_errs->msg[idx]);
	cur_errs->msg[idx] = r;
	return 0;
}

int cfg_rules_check(struct cfg_ctx *ctx)
{
	struct rules_report rep = report_of(ctx);
	struct list *l;

	/* HAProxy's warning: a log-format where no line is ever sent */
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);
		int logs = !list_empty(&px->logs) ||
			   ((px->options & PR_O_LOG_GLOBAL) && !list_empty(&ctx->cfg->g.logs));

		if ((px->cap & PR_CAP_FE) && px->rules && px->rules->lf_src.text && !logs)
			cfg_warn_at(ctx, 0, "log format ignored for %s '%s' since it has no log address.",
				    cfg_px_type(px), px->id);
	}
	return rules_check(ctx->cfg, &rep);
}

const struct cfg_kw cfg_rules_kws[] = {
	{ "acl",                 KW_NODEF,               kw_acl },
	{ "http-request",        KW_NODEF,               kw_http_rule },
	{ "http-response",       KW_NODEF,               kw_http_rule },
	{ "http-after-response", KW_NODEF,               kw_http_rule },
	{ "tcp-request",         KW_ALL,                 kw_tcp_request },
	{ "tcp-response",        KW_DEF | KW_BE | KW_LI | KW_FE, kw_tcp_response },
	{ "redirect",            KW_NODEF,               kw_redirect },
	{ "use_backend",         KW_NODEF,               kw_use_backend },
	{ "use-server",          KW_NODEF,               kw_use_server },
	{ "force-persist",       KW_NODEF,               kw_persist },
	{ "ignore-persist",      KW_NODEF,               kw_persist },
	{ "monitor-uri",         KW_ALL,                 kw_monitor_uri },
	{ "monitor",             KW_ALL,                 kw_monitor },
	{ "errorfile",           KW_ALL,                 kw_errorfile },
	{ "errorfiles",          KW_ALL,                 kw_errorfiles },
	{ "http-error",          KW_ALL,                 kw_http_error },
	{ "capture",             KW_NODEF,               kw_capture },
	{ "declare",             KW_NODEF,               kw_declare },
	{ "log-format",          KW_ALL,                 kw_log_format },
	{ "error-log-format",    KW_ALL,                 kw_log_format },
	{ "unique-id-format",    KW_ALL,                 kw_log_format },
	{ "unique-id-header",    KW_ALL,                 kw_unique_id_header },
	{ NULL, 0, NULL }
};
