/* The rules language's life cycle and the stream's entry points:
 * per-proxy rule sets, inheritance from defaults sections, the checks and
 * name resolution after parsing, and running rule sets, use_backend,
 * use-server, monitor-uri, captures, unique ids and log formats. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/acl.h>
#include <tandem/action.h>
#include <tandem/buf.h>
#include <tandem/cfg.h>
#include <tandem/h1.h>
#include <tandem/logfmt.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/regex.h>
#include <tandem/rules.h>
#include <tandem/stick.h>
#include "rules_int.h"

/* ------------------------------------------------------------------ */
/* reporting                                                           */

static void report(struct rules_report *rep, const struct smp_pctx *pc, int err, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err) {
		rep->nerr++;
		if (rep->err)
			rep->err(rep->arg, pc ? pc->file : NULL, pc ? pc->line : 0, msg);
	} else if (rep->warn) {
		rep->warn(rep->arg, pc ? pc->file : NULL, pc ? pc->line : 0, msg);
	}
}

int rep_err(struct rules_report *rep, const struct smp_pctx *pc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(rep, pc, 1, fmt, ap);
	va_end(ap);
	return -1;
}

void rep_warn(struct rules_report *rep, const struct smp_pctx *pc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(rep, pc, 0, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

struct rules_cfg *rules_cfg_get(struct cfg *cfg)
{
	if (!cfg->rules)
		cfg->rules = calloc(1, sizeof(*cfg->rules));
	return cfg->rules;
}

void rules_cfg_free(struct cfg *cfg)
{
	struct rules_cfg *rc = cfg ? cfg->rules : NULL;

	if (!rc)
		return;
	pat_refs_free(rc);
	userlists_free(rc);
	while (rc->errs) {
		struct http_errors *e = rc->errs;

		rc->errs = e->next;
		for (int i = 0; i < RULES_N_ERR; i++)
			http_reply_free(e->msg[i]);
		free(e->name);
		free(e);
	}
	for (int i = 0; i < rc->nvar; i++)
		free(rc->var_name[i]);
	free(rc->var_name);
	free(rc->var_scope);
	for (int i = 0; i < rc->ncache; i++)
		free(rc->cache_key[i]);
	free(rc->cache_key);
	while (rc->fixups) {
		struct arg_fixup *f = rc->fixups;

		rc->fixups = f->next;
		free(f->kw);
		free(f);
	}
	free(rc);
	cfg->rules = NULL;
}

struct px_rules *px_rules_get(struct proxy *px)
{
	if (!px)
		return NULL;
	if (!px->rules)
		px->rules = calloc(1, sizeof(*px->rules));
	return px->rules;
}

static void lf_src_free(struct lf_src *s)
{
	free(s->text);
	s->text = NULL;
}

static int lf_src_copy(struct lf_src *d, const struct lf_src *s)
{
	*d = *s;
	d->text = NULL;
	return s->text && !(d->text = strdup(s->text)) ? -1 : 0;
}

static void err_dir_free(struct err_directive *d)
{
	for (int i = 0; i < d->nargs; i++)
		free(d->args[i]);
	free(d->args);
}

void rules_px_free(struct proxy *px)
{
	struct px_rules *r = px ? px->rules : NULL;

	if (!r)
		return;
	for (int i = 0; i < RSI_COUNT; i++)
		rule_list_free(&r->set[i]);
	rule_list_free(&r->redirects);
	rule_list_free(&r->stats_rules);
	for (int i = 0; i < r->n_be_rule; i++) {
		acl_cond_free(r->be_rule[i].cond);
		free(r->be_rule[i].be_name);
		logfmt_free(r->be_rule[i].dyn);
	}
	free(r->be_rule);
	for (int i = 0; i < r->n_srv_rule; i++) {
		acl_cond_free(r->srv_rule[i].cond);
		free(r->srv_rule[i].srv_name);
	}
	free(r->srv_rule);
	for (int i = 0; i < r->n_persist; i++)
		acl_cond_free(r->persist[i].cond);
	free(r->persist);
	free(r->monitor_uri);
	for (int i = 0; i < r->n_monitor_fail; i++)
		acl_cond_free(r->monitor_fail[i]);
	free(r->monitor_fail);
	for (int i = 0; i < r->n_err_dir; i++)
		err_dir_free(&r->err_dir[i]);
	free(r->err_dir);
	for (int i = 0; i < RULES_N_ERR; i++)
		http_reply_free(r->errmsg[i]);
	for (int i = 0; i < r->n_cap_req; i++)
		free(r->cap_req[i].hdr);
	free(r->cap_req);
	for (int i = 0; i < r->n_cap_rsp; i++)
		free(r->cap_rsp[i].hdr);
	free(r->cap_rsp);
	lf_src_free(&r->lf_src);
	lf_src_free(&r->elf_src);
	lf_src_free(&r->uid_src);
	logfmt_free(r->log_format);
	logfmt_free(r->error_log_format);
	logfmt_free(r->unique_id_format);
	free(r->unique_id_header);
	acl_cond_free(r->stats_admin);
	acl_free_all(r->acls);
	free(r);
	px->rules = NULL;
}

int rules_px_inherit(struct proxy *px, const struct proxy *def)
{
	const struct px_rules *d = def->rules;
	struct px_rules *r;

	if (!d)
		return 0;
	if (!(r = px_rules_get(px)))
		return -1;
	if (lf_src_copy(&r->lf_src, &d->lf_src) < 0 || lf_src_copy(&r->elf_src, &d->elf_src) < 0 ||
	    lf_src_copy(&r->uid_src, &d->uid_src) < 0)
		return -1;
	if ((d->unique_id_header && !(r->unique_id_header = strdup(d->unique_id_header))) ||
	    (d->monitor_uri && !(r->monitor_uri = strdup(d->monitor_uri))))
		return -1;
	r->inspect_delay[0] = d->inspect_delay[0];
	r->inspect_delay[1] = d->inspect_delay[1];
	if (d->n_err_dir) {
		if (!(r->err_dir = calloc((size_t)d->n_err_dir, sizeof(*r->err_dir))))
			return -1;
		for (int i = 0; i < d->n_err_dir; i++) {
			struct err_directive *o = &r->err_dir[i];

			*o = d->err_dir[i];
			if (!(o->args = calloc((size_t)o->nargs + 1, sizeof(char *))))
				return -1;
			r->n_err_dir = i + 1;
			for (int k = 0; k < o->nargs; k++)
				if (!(o->args[k] = strdup(d->err_dir[i].args[k])))
					return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* errorfile, errorfiles, http-error                                   */

int reply_parse(struct act_parse *p, char **args, int *cur, int nargs, int kind, int def_status,
		struct http_reply **out);
enum { RP_DENY = 0, RP_RETURN, RP_ERROR };

static struct http_errors *errs_find(const struct rules_cfg *rc, const char *name)
{
	for (struct http_errors *e = rc ? rc->errs : NULL; e; e = e->next)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

/* Compile one directive for <px> into r->errmsg[] (a later one wins). */
int err_directive_apply(struct rules_cfg *rc, struct proxy *px, const struct err_directive *d,
			struct rules_report *rep, int store)
{
	struct smp_pctx pc = { .rcfg = rc, .px = px, .file = d->file, .line = d->line, .phase = -1 };
	struct px_rules *r = px_rules_get(px);
	char err[1024];
	int idx;

	if (!r)
		return rep_err(rep, &pc, "out of memory");
	if (!strcmp(d->args[0], "errorfile")) {
		struct http_reply *rp;
		long code = strtol(d->args[1], NULL, 10);

		if ((idx = rules_err_index((int)code)) < 0)
			return rep_err(rep, &pc, "errorfile : status code '%s' not handled.", d->args[1]);
		if (!(rp = errorfile_load(d->args[2], err, sizeof(err))))
			return rep_err(rep, &pc, "errorfile : %s", err);
		if (!store) {
			http_reply_free(rp);
			return 0;
		}
		http_reply_free(r->errmsg[idx]);
		r->errmsg[idx] = rp;
		return 0;
	}
	if (!strcmp(d->args[0], "errorfiles")) {
		const struct http_errors *e = errs_find(rc, d->args[1]);
		const int codes[RULES_N_ERR] = RULES_ERR_CODES;

		if (!store)
			return 0;
		if (!e)
			return rep_err(rep, &pc, "errorfiles : unknown http-errors section '%s'.", d->args[1]);
		for (int k = 0; k < RULES_N_ERR; k++) {
			int wanted = d->nargs <= 2;

			for (int a = 2; a < d->nargs; a++)
				wanted |= strtol(d->args[a], NULL, 10) == codes[k];
			if (!wanted || !e->msg[k])
				continue;
			http_reply_free(r->errmsg[k]);
			r->errmsg[k] = NULL;
			/* a private copy: the section's replies stay the section's */
			if (!(r->errmsg[k] = calloc(1, sizeof(struct http_reply))))
				return rep_err(rep, &pc, "out of memory");
			*r->errmsg[k] = *e->msg[k];
			r->errmsg[k]->reason = e->msg[k]->reason ? strdup(e->msg[k]->reason) : NULL;
			r->errmsg[k]->raw = e->msg[k]->raw ? strndup(e->msg[k]->raw, e->msg[k]->raw_len) : NULL;
			r->errmsg[k]->body = e->msg[k]->body ? malloc(e->msg[k]->body_len + 1) : NULL;
			if (r->errmsg[k]->body)
				memcpy(r->errmsg[k]->body, e->msg[k]->body, e->msg[k]->body_len + 1);
		}
		for (int a = 2; a < d->nargs; a++)
			if (rules_err_index((int)strtol(d->args[a], NULL, 10)) < 0)
				return rep_err(rep, &pc, "errorfiles : status code '%s' not handled.", d->args[a]);
		return 0;
	}
	/* http-error status <code> [content-type ...] [payload] [hdr ...] */
	{
		char where[300];
		struct act_parse ap = { &pc, rep, RSI_HTTP_REQ, -1, where, "http-error", "status", NULL };

		snprintf(where, sizeof(where), "proxy '%s'", px ? px->id : "");
		struct http_reply *rp = NULL;
		int cur = 3, code;

		code = (int)strtol(d->args[2], NULL, 10);
		if ((idx = rules_err_index(code)) < 0)
			return rep_err(rep, &pc, "http-error: status code '%s' not handled.", d->args[2]);
		if (reply_parse(&ap, d->args, &cur, d->nargs, RP_ERROR, code, &rp) < 0) {
			http_reply_free(rp);
			return -1;
		}
		if (cur < d->nargs) {
			http_reply_free(rp);
			return rep_err(rep, &pc, "http-error : unexpected argument '%s'.", d->args[cur]);
		}
		if (rp->type == REPLY_ERRFILES) {
			const struct http_errors *e = errs_find(rc, rp->reason);

			if (!store) {
				http_reply_free(rp);
				return 0;
			}
			if (!e) {
				rep_err(rep, &pc, "http-error : unknown http-errors section '%s'.", rp->reason);
				http_reply_free(rp);
				return -1;
			}
			free(rp->reason);
			rp->reason = NULL;
			rp->errs = (struct http_errors *)e;
		}
		if (!store || rp->type == REPLY_ERRFILE) {
			/* default-errorfiles: the built-in page */
			http_reply_free(rp);
			if (store) {
				http_reply_free(r->errmsg[idx]);
				r->errmsg[idx] = NULL;
			}
			return 0;
		}
		rp->status = code;
		http_reply_free(r->errmsg[idx]);
		r->errmsg[idx] = rp;
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* checks after parsing                                                */

static const char *set_name(int set)
{
	static const char *const n[RSI_COUNT] = {
		"tcp-request connection", "tcp-request content", "http-request", "tcp-response content",
		"http-response", "http-after-response", "tcp-request session",
	};

	return n[set];
}

static int resolve_fixups(struct cfg *cfg, struct rules_cfg *rc, struct rules_report *rep)
{
	int ret = 0;

	for (struct arg_fixup *f = rc->fixups; f; f = f->next) {
		struct smp_pctx pc = { .file = f->file, .line = f->line };
		struct smp_arg *a = f->arg;

		if (a->type == ARGT_BE) {
			if (!(a->u.px = cfg_find_proxy(cfg, a->name, PR_CAP_BE)))
				ret = rep_err(rep, &pc, "unable to find backend '%s' referenced in arg 1 of '%s'.", a->name, f->kw);
		} else if (a->type == ARGT_SRV) {
			char *slash = strchr(a->name, '/');
			const struct proxy *be = f->px;

			if (slash) {
				*slash = 0;
				be = cfg_find_proxy(cfg, a->name, PR_CAP_BE);
				if (!be) {
					ret = rep_err(rep, &pc, "unable to find backend '%s' referenced in arg 1 of '%s'.",
						      a->name, f->kw);
					*slash = '/';
					continue;
				}
				*slash = '/';
			}
			if (!be || !(be->cap & PR_CAP_BE) ||
			    !(a->u.srv = proxy_find_server(be, slash ? slash + 1 : a->name)))
				ret = rep_err(rep, &pc, "unable to find server '%s' referenced in arg 1 of '%s'.", a->name, f->kw);
		} else if (a->type == ARGT_USR) {
			if (!(a->u.ul = userlist_find(rc, a->name)))
				ret = rep_err(rep, &pc, "unable to find userlist '%s' referenced in arg 1 of '%s'.", a->name, f->kw);
		} else if (a->type == ARGT_TAB) {
			if (!(a->u.tab = stk_conf_find(cfg, a->name)))
				ret = rep_err(rep, &pc, "unable to find stick-table '%s' referenced by '%s'.", a->name, f->kw);
		}
	}
	return ret;
}

/* The http-errors section of every REPLY_ERRFILES reply of a rule list. */
static int resolve_replies(struct rules_cfg *rc, struct rule_list *l, struct rules_report *rep)
{
	int ret = 0;

	for (int i = 0; i < l->n; i++) {
		struct http_reply *rp = l->r[i].a.reply;
		struct smp_pctx pc = { .file = l->r[i].file, .line = l->r[i].line };

		if (!rp || rp->type != REPLY_ERRFILES || rp->errs)
			continue;
		if (!(rp->errs = errs_find(rc, rp->reason))) {
			ret = rep_err(rep, &pc, "unknown http-errors section '%s'.", rp->reason);
			continue;
		}
		if (rules_err_index(rp->status) < 0 || !rp->errs->msg[rules_err_index(rp->status)])
			rep_warn(rep, &pc, "status '%d' referenced by an http reply not declared in http-errors section '%s'.",
				 rp->status, rp->reason);
		free(rp->reason);
		rp->reason = NULL;
	}
	return ret;
}

/* option httpslog: HAProxy 2.6's default_https_log_format */
#define HTTPSLOG_FORMAT                                                                                  \
	"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq "  \
	"%hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] "  \
	"%[ssl_fc_sni]/%sslv/%sslc"

static int compile_lf(struct rules_cfg *rc, struct proxy *px, const struct lf_src *s, int phase,
		      struct logfmt **out, struct rules_report *rep)
{
	struct smp_pctx pc = { .rcfg = rc, .px = px, .file = s->file, .line = s->line, .phase = phase };
	char err[1024];

	if (!s->text)
		return 0;
	logfmt_free(*out);
	if (!(*out = logfmt_parse_words(s->text, &pc, phase, err, sizeof(err))))
		return rep_err(rep, &pc, "failed to parse log-format : %s.", err);
	return 0;
}

static int uses_src(const struct rule_list *l, unsigned src)
{
	for (int i = 0; i < l->n; i++) {
		const struct rule *r = &l->r[i];

		if ((r->cond && (r->cond->src & src)) || (r->a.expr && (r->a.expr->fetch->src & src)) ||
		    logfmt_uses(r->a.fmt, src))
			return 1;
	}
	return 0;
}

static int check_proxy(struct cfg *cfg, struct rules_cfg *rc, struct proxy *px, struct rules_report *rep)
{
	struct px_rules *r = px->rules;
	struct smp_pctx pc = { .rcfg = rc, .px = px, .file = px->file, .line = px->line };
	int ret = 0, http = px->mode == PR_MODE_HTTP;

	for (int i = 0; i < r->n_err_dir; i++)
		if (err_directive_apply(rc, px, &r->err_dir[i], rep, 1) < 0)
			ret = -1;
	for (int s = 0; s < RSI_COUNT; s++)
		if (resolve_replies(rc, &r->set[s], rep) < 0)
			ret = -1;
	if (resolve_replies(rc, &r->redirects, rep) < 0)
		ret = -1;
	if (!http && !r->http_upgrade) {
		static const int hs[] = { RSI_HTTP_REQ, RSI_HTTP_RES, RSI_HTTP_AFTER };

		for (size_t k = 0; k < sizeof(hs) / sizeof(hs[0]); k++)
			if (r->set[hs[k]].n) {
				rep_warn(rep, &pc, "'%s' rules ignored for %s '%s' as they require HTTP mode.",
					 set_name(hs[k]), px->cap & PR_CAP_FE ? "frontend" : "backend", px->id);
				r->http_rules_ignored = 1;
			}
		if (r->redirects.n)
			rep_warn(rep, &pc, "'redirect' rules ignored for proxy '%s' as they require HTTP mode.", px->id);
	} else if (uses_src(&r->set[RSI_TCP_CONT], SMP_SRC_REQ) || uses_src(&r->set[RSI_TCP_RES], SMP_SRC_RES)) {
		ret = rep_err(rep, &pc, "proxy '%s': L6 sample fetches (req.len, req.payload, req.ssl_*...) cannot be used "
			      "in 'tcp-request content' or 'tcp-response content' rules of an HTTP proxy (HAProxy ignores "
			      "them with a warning).", px->id);
	}
	/* HAProxy: stats http-request rules do the authentication themselves */
	if (r->stats_rules.n && (!list_empty(&px->stats_auths) || px->stats_realm))
		ret = rep_err(rep, &pc, "proxy '%s': stats 'auth'/'realm' and 'http-request' can't be used at the same time.",
			      px->id);
	/* use_backend */
	for (int i = 0; i < r->n_be_rule; i++) {
		struct switch_rule *sr = &r->be_rule[i];
		struct smp_pctx rpc = { .file = sr->file, .line = sr->line };

		if (sr->dyn)
			continue;
		if (!(sr->be = cfg_find_proxy(cfg, sr->be_name, PR_CAP_BE))) {
			ret = rep_err(rep, &rpc, "Proxy '%s': unable to find required use_backend: '%s'.", px->id, sr->be_name);
			continue;
		}
		if (http && sr->be->mode != PR_MODE_HTTP)
			ret = rep_err(rep, &rpc, "Proxy '%s': unable to use backend '%s' with wrong mode, required: http, has: tcp.",
				      px->id, sr->be->id);
	}
	/* use-server */
	for (int i = 0; i < r->n_srv_rule; i++) {
		struct srv_rule *sr = &r->srv_rule[i];
		struct smp_pctx rpc = { .file = sr->file, .line = sr->line };

		if (!(sr->srv = proxy_find_server(px, sr->srv_name)))
			ret = rep_err(rep, &rpc, "use-server rule refers to unknown server '%s' in backend '%s'.",
				      sr->srv_name, px->id);
	}
	/* capture ids against the frontend's slots */
	if (px->cap & PR_CAP_FE) {
		static const int cs[] = { RSI_HTTP_REQ, RSI_TCP_CONT, RSI_HTTP_RES, RSI_HTTP_AFTER };

		for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++)
			for (int i = 0; i < r->set[cs[k]].n; i++) {
				struct rule *ru = &r->set[cs[k]].r[i];
				int rsp = cs[k] == RSI_HTTP_RES || cs[k] == RSI_HTTP_AFTER;
				struct smp_pctx rpc = { .file = ru->file, .line = ru->line };

				if (strcmp(ru->kw->name, "capture") || !ru->a.ival2)
					continue;
				if (ru->a.ival >= (rsp ? r->n_cap_rsp : r->n_cap_req))
					ret = rep_err(rep, &rpc, "'%s capture' : capture id %d is not declared "
						      "(use 'declare capture %s len N').", set_name(cs[k]), ru->a.ival,
						      rsp ? "response" : "request");
			}
	}
	/* formats: a frontend's (a backend inherits them from defaults but
	 * never logs nor makes ids, as in HAProxy) */
	if ((px->cap & PR_CAP_FE) &&
	    (compile_lf(rc, px, &r->lf_src, SMP_PH_LOG, &r->log_format, rep) < 0 ||
	     compile_lf(rc, px, &r->elf_src, SMP_PH_LOG, &r->error_log_format, rep) < 0 ||
	     compile_lf(rc, px, &r->uid_src, SMP_PH_TCP_CONT, &r->unique_id_format, rep) < 0))
		ret = -1;
	/* option httpslog (HAProxy's format, doc/logging.md): rendered by the
	 * engine, unless a later log-format replaced it */
	if ((px->cap & PR_CAP_FE) && http && !r->lf_src.text && (px->options & PR_O_HTTPSLOG)) {
		struct lf_src def = { (char *)HTTPSLOG_FORMAT, px->file, px->line };

		if (compile_lf(rc, px, &def, SMP_PH_LOG, &r->log_format, rep) < 0)
			ret = -1;
	}
	/* captures are logged by HAProxy's httplog format (%hr %hs): a
	 * frontend with captures and no log-format renders the option's
	 * format through the engine (the built-in one has no captures) */
	if ((px->cap & PR_CAP_FE) && http && !r->lf_src.text && (r->n_cap_req || r->n_cap_rsp) &&
	    (px->options & PR_O_HTTPLOG) && !(px->options & (PR_O_HTTPLOG_JSON | PR_O_HTTPSLOG))) {
		struct lf_src def = {
			(px->options & PR_O_HTTPLOG_CLF) ?
			"%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc "
			"%ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl" :
			"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq "
			"%hr %hs %{+Q}r",
			px->file, px->line,
		};

		if (compile_lf(rc, px, &def, SMP_PH_LOG, &r->log_format, rep) < 0)
			ret = -1;
	}
	if (r->unique_id_header && !r->unique_id_format && (px->cap & PR_CAP_FE))
		rep_warn(rep, &pc, "'unique-id-header' in proxy '%s' has no effect without 'unique-id-format'.", px->id);
	if (r->monitor_uri && !http && (px->cap & PR_CAP_FE))
		rep_warn(rep, &pc, "'monitor-uri' ignored for proxy '%s' as it requires HTTP mode.", px->id);
	if (r->n_cap_req > rc->max_cap_req)
		rc->max_cap_req = r->n_cap_req;
	if (r->n_cap_rsp > rc->max_cap_rsp)
		rc->max_cap_rsp = r->n_cap_rsp;
	return ret;
}

int rules_check(struct cfg *cfg, struct rules_report *rep)
{
	struct rules_cfg *rc;
	struct list *l;
	int ret = 0;
	char err[512];

	/* a proxy may have rules-language keywords (captures, monitor-uri)
	 * that never needed the registry while parsing */
	list_for_each(l, &cfg->proxies)
		if (list_entry(l, struct proxy, link)->rules)
			break;
	if (l == &cfg->proxies && !cfg->rules)
		return 0;
	if (!(rc = rules_cfg_get(cfg)))
		return rep_err(rep, NULL, "out of memory");
	for (struct userlist *u = rc->userlists; u; u = u->next)
		if (userlist_resolve(u, err, sizeof(err)) < 0) {
			struct smp_pctx pc = { .file = u->file, .line = u->line };

			ret = rep_err(rep, &pc, "%s", err);
		}
	if (resolve_fixups(cfg, rc, rep) < 0)
		ret = -1;
	list_for_each(l, &cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		if (px->rules && check_proxy(cfg, rc, px, rep) < 0)
			ret = -1;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* the stream's side                                                   */

static const int set_phase[RSI_COUNT] = {
	[RSI_TCP_CONN] = SMP_PH_TCP_CONN, [RSI_TCP_CONT] = SMP_PH_TCP_CONT, [RSI_HTTP_REQ] = SMP_PH_HTTP_REQ,
	[RSI_TCP_RES] = SMP_PH_TCP_RES, [RSI_HTTP_RES] = SMP_PH_HTTP_RES, [RSI_HTTP_AFTER] = SMP_PH_HTTP_AFTER,
	[RSI_TCP_SESS] = SMP_PH_TCP_CONN,
};

int rules_has(const struct proxy *px, int set)
{
	const struct px_rules *r = px ? px->rules : NULL;

	if (!r || set < 0 || set >= RSI_COUNT)
		return 0;
	if ((set == RSI_HTTP_REQ || set == RSI_HTTP_RES || set == RSI_HTTP_AFTER) && px->mode != PR_MODE_HTTP &&
	    !r->http_upgrade)
		return 0;
	return r->set[set].n || (set == RSI_HTTP_REQ && r->redirects.n);
}

void rules_run(const struct proxy *px, int set, struct smp_ctx *ctx, struct rule_result *res)
{
	if (!rules_has(px, set)) {
		res->verdict = RV_CONTINUE;
		return;
	}
	ctx->phase = set_phase[set];
	rule_list_run(&px->rules->set[set], ctx, res);
	if (set == RSI_HTTP_REQ && (res->verdict == RV_CONTINUE || res->verdict == RV_ALLOW) &&
	    px->rules->redirects.n) {
		struct rule_result rr = { 0 };

		rule_list_run(&px->rules->redirects, ctx, &rr);
		if (rr.verdict != RV_CONTINUE)
			*res = rr;
	}
}

uint32_t rules_inspect_delay(const struct proxy *px, int dir)
{
	return px && px->rules ? px->rules->inspect_delay[dir ? 1 : 0] : 0;
}

void rules_txn_begin(struct smp_ctx *ctx)
{
	smp_ctx_invalidate(ctx);
	if (ctx->txn_vars) {
		vars_reset(ctx->txn_vars, VS_TXN);
		vars_reset(ctx->txn_vars, VS_REQ);
		vars_reset(ctx->txn_vars, VS_RES);
	}
	txn_store_reset(ctx->txn);
	ctx->hints = NULL;
	ctx->nhints = 0;
	ctx->status = -1;
	ctx->last_rule_file = NULL;
	ctx->last_rule_line = 0;
}

void rules_req_end(struct smp_ctx *ctx)
{
	if (ctx->txn_vars)
		vars_reset(ctx->txn_vars, VS_REQ);
}

void rules_rsp_end(struct smp_ctx *ctx)
{
	if (ctx->txn_vars)
		vars_reset(ctx->txn_vars, VS_RES);
}

struct proxy *rules_use_backend(const struct cfg *cfg, const struct proxy *fe, struct smp_ctx *ctx)
{
	const struct px_rules *r = fe ? fe->rules : NULL;
	struct proxy *ret = NULL;

	if (!r || !r->n_be_rule)
		return NULL;
	ctx->phase = SMP_PH_TCP_CONT;
	qsbr_read_lock();
	for (int i = 0; i < r->n_be_rule; i++) {
		const struct switch_rule *sr = &r->be_rule[i];

		if (!acl_cond_true(sr->cond, ctx))
			continue;
		if (sr->dyn) {
			char name[256];
			size_t n = logfmt_render(sr->dyn, ctx, NULL, LF_MODE_VALUE, name, sizeof(name));

			/* HAProxy: an unknown name falls back to default_backend */
			ret = n && cfg ? cfg_find_proxy(cfg, name, PR_CAP_BE) : NULL;
			if (ret && fe->mode == PR_MODE_HTTP && ret->mode != PR_MODE_HTTP)
				ret = NULL;
		} else {
			ret = sr->be;
		}
		break;
	}
	qsbr_read_unlock();
	return ret;
}

struct server *rules_use_server(const struct proxy *be, struct smp_ctx *ctx, int *force)
{
	const struct px_rules *r = be ? be->rules : NULL;
	struct server *ret = NULL;

	*force = 0;
	if (!r)
		return NULL;
	ctx->phase = SMP_PH_TCP_CONT;
	qsbr_read_lock();
	for (int i = 0; i < r->n_persist; i++)
		if (acl_cond_true(r->persist[i].cond, ctx)) {
			*force = r->persist[i].ignore ? -1 : 1;
			break;
		}
	for (int i = 0; i < r->n_srv_rule; i++) {
		struct server *sv = r->srv_rule[i].srv;
		int st, adm;

		if (!sv || !acl_cond_true(r->srv_rule[i].cond, ctx))
			continue;
		st = __atomic_load_n(&sv->state, __ATOMIC_RELAXED);
		adm = __atomic_load_n(&sv->admin, __ATOMIC_RELAXED);
		/* a DOWN (or maintenance) server only for a forced persistence */
		if ((st != SRV_ST_STOPPED && !(adm & SRV_ADMF_MAINT)) || *force == 1) {
			ret = sv;
			break;
		}
	}
	qsbr_read_unlock();
	return ret;
}

int rules_monitor(const struct proxy *fe, struct smp_ctx *ctx)
{
	const struct px_rules *r = fe ? fe->rules : NULL;
	const char *u, *path, *q;
	size_t ul, pl, ql, ml;
	int hq;

	if (!r || !r->monitor_uri || !ctx->req || fe->mode != PR_MODE_HTTP)
		return 0;
	u = ctx->req->uri.p;
	ul = ctx->req->uri.len;
	ml = strlen(r->monitor_uri);
	if (r->monitor_uri[0] == '/') {
		uri_split(u, ul, &path, &pl, &q, &ql, &hq);
		if (pl != ml || memcmp(path, r->monitor_uri, ml))
			return 0;
	} else if (ul != ml || memcmp(u, r->monitor_uri, ml)) {
		return 0;
	}
	ctx->phase = SMP_PH_HTTP_REQ;
	for (int i = 0; i < r->n_monitor_fail; i++)
		if (acl_cond_true(r->monitor_fail[i], ctx))
			return 503;
	return 200;
}

int rules_stats_admin(const struct proxy *px, struct smp_ctx *ctx)
{
	if (!px || !px->stats_admin)
		return 0;
	if (!px->rules || !px->rules->stats_admin)
		return 1;
	ctx->phase = SMP_PH_HTTP_REQ;
	return acl_cond_true(px->rules->stats_admin, ctx);
}

static void note_req(struct smp_ctx *ctx)
{
	struct txn_store *t = ctx->txn;
	const struct h1_msg *m = ctx->req;

	if (!t || !m)
		return;
	t->meth = m->meth;
	t->req_ver = m->version;
	if (m->meth == H1_M_OTHER) {
		size_t n = m->method.len < sizeof(t->meth_str) - 1 ? m->method.len : sizeof(t->meth_str) - 1;

		memcpy(t->meth_str, m->method.p, n);
		t->meth_str[n] = 0;
	}
}

/* The last occurrence of <name> in <m>, whole line. */
static const struct h1_hdr *last_hdr(const struct h1_msg *m, const char *name, size_t nlen)
{
	for (unsigned i = m->nhdrs; i-- > 0;)
		if (name_ieq(&m->hdrs[i].name, name, nlen))
			return &m->hdrs[i];
	return NULL;
}

void rules_capture_req(const struct proxy *fe, struct smp_ctx *ctx)
{
	const struct px_rules *r = fe ? fe->rules : NULL;

	note_req(ctx);
	if (!r || !ctx->txn || !ctx->req)
		return;
	for (int i = 0; i < r->n_cap_req; i++) {
		const struct h1_hdr *h;

		if (r->cap_req[i].hdr && (h = last_hdr(ctx->req, r->cap_req[i].hdr, strlen(r->cap_req[i].hdr))))
			txn_capture(ctx->txn, 0, i, h->value.p, h->value.len);
	}
}

void rules_capture_rsp(const struct proxy *fe, struct smp_ctx *ctx)
{
	const struct px_rules *r = fe ? fe->rules : NULL;

	if (ctx->txn && ctx->rsp)
		ctx->txn->rsp_ver = ctx->rsp->version;
	if (ctx->rsp)
		ctx->status = ctx->rsp->status;
	if (!r || !ctx->txn || !ctx->rsp)
		return;
	for (int i = 0; i < r->n_cap_rsp; i++) {
		const struct h1_hdr *h;

		if (r->cap_rsp[i].hdr && (h = last_hdr(ctx->rsp, r->cap_rsp[i].hdr, strlen(r->cap_rsp[i].hdr))))
			txn_capture(ctx->txn, 1, i, h->value.p, h->value.len);
	}
}

const char *rules_unique_id(struct smp_ctx *ctx, size_t *len)
{
	struct txn_store *t = ctx->txn;
	const struct px_rules *r = ctx->fe ? ctx->fe->rules : NULL;

	if (!t)
		return NULL;
	if (t->unique_id_len < 0) {
		if (!r || !r->unique_id_format)
			return NULL;
		t->unique_id_len = 0;   /* no recursion through %ID in its own format */
		t->unique_id_len = (int)logfmt_render(r->unique_id_format, ctx, NULL, LF_MODE_VALUE,
						      t->unique_id, sizeof(t->unique_id));
	}
	*len = (size_t)t->unique_id_len;
	return t->unique_id;
}

int rules_unique_id_header(const struct proxy *fe, struct smp_ctx *ctx)
{
	const struct px_rules *r = fe ? fe->rules : NULL;
	const char *id;
	char *v;
	size_t len;

	if (!r || !r->unique_id_header || !ctx->req || !(id = rules_unique_id(ctx, &len)))
		return 0;
	if (!(v = arena_dup(ctx, id, len)))
		return -1;
	return msg_add_hdr(ctx, ctx->req, r->unique_id_header, strlen(r->unique_id_header), v, len);
}

size_t rules_log(const struct proxy *fe, struct smp_ctx *ctx, const struct lf_info *li, int error,
		 char *out, size_t outlen)
{
	const struct px_rules *r = fe ? fe->rules : NULL;
	const struct logfmt *lf;

	if (!r)
		return 0;
	/* a connection error uses error-log-format only: without it the
	 * caller writes HAProxy's legacy line (log-format is for streams) */
	lf = error ? r->error_log_format : r->log_format;
	if (!lf || !outlen)
		return 0;
	ctx->phase = SMP_PH_LOG;
	return logfmt_render(lf, ctx, li, LF_MODE_LOG, out, outlen);
}

int rules_early_hints(const struct smp_ctx *ctx, struct buf *out)
{
	if (!ctx->nhints)
		return 0;
	if (buf_append(out, "HTTP/1.1 103 Early Hints\r\n", 26))
		return -1;
	for (unsigned i = 0; i < ctx->nhints; i++) {
		const struct h1_hdr *h = &ctx->hints[i];

		if (buf_append(out, h->name.p, h->name.len) || buf_append(out, ": ", 2) ||
		    buf_append(out, h->value.p, h->value.len) || buf_append(out, "\r\n", 2))
			return -1;
	}
	return buf_append(out, "\r\n", 2);
}

void userlist_thread_free(void);

void rules_thread_exit(void)
{
	regex_thread_free();
	logfmt_thread_free();
	userlist_thread_free();
	qsbr_thread_exit();
}
