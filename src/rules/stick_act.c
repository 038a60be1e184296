/* Stick table actions (HAProxy's meaning):
 *
 *   track-sc0|1|2 <key> [table <table>]
 *       Start tracking the entry of <key> in <table> (default: the proxy's
 *       own) as stick counter 0, 1 or 2, unless that counter already
 *       tracks something. In tcp-request connection and session rules
 *       the counter belongs to the client connection (the session); in
 *       the other rule sets to the stream. Tracking counts a connection
 *       (conn_cnt, conn_rate, conn_cur); in http-request and http-response
 *       rules it also counts this request (http_req_cnt, http_req_rate),
 *       and an http-response 4xx/5xx as an error/failure.
 *   sc-inc-gpc0(<ctr>), sc-inc-gpc1(<ctr>)
 *       Add one to gpc0/gpc1 (and gpc0_rate/gpc1_rate) of the tracked entry.
 *   sc-set-gpt0(<ctr>) <int>|<expr>
 *       Set gpt0 of the tracked entry.
 *
 * An action whose counter tracks nothing does nothing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/action.h>
#include <tandem/clock.h>
#include <tandem/proxy-t.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/stick.h>
#include "rules_int.h"

#define ALL_HTTP (RS_HTTP_REQ | RS_HTTP_RES | RS_HTTP_AFTER)
#define ALL_TCP  (RS_TCP_CONN | RS_TCP_SESS | RS_TCP_CONT | RS_TCP_RES)

static int perr(struct act_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct act_parse *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rep_err(p->rep, p->pc, "%s", msg);
}

/* The sample type a key of table type <type> is made from. */
static int key_smp_type(int type)
{
	switch (type) {
	case STK_T_IP:   return SMP_T_IPV4;
	case STK_T_IPV6: return SMP_T_IPV6;
	case STK_T_INT:  return SMP_T_SINT;
	case STK_T_STR:  return SMP_T_STR;
	default:         return SMP_T_BIN;
	}
}

int stk_key_type_ok(int out_type, int table_type)
{
	int want = key_smp_type(table_type);

	/* strings and binaries take any sample; addresses and integers only
	 * what converts to them (HAProxy's sample casts) */
	if (want == SMP_T_STR || want == SMP_T_BIN)
		return 1;
	if (out_type == SMP_T_BOOL && want != SMP_T_SINT)
		return 0;
	if (out_type == SMP_T_IPV6 && want == SMP_T_SINT)
		return 0;
	if (out_type == SMP_T_BIN && want != SMP_T_SINT)
		return 0;
	return smp_castable(out_type, want);
}

/* ---- track-sc ---- */

static int p_track(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];
	int i = *cur + 1;
	char err[1024];

	r->a.ival = kw[8] - '0';
	r->a.ival2 = p->set == RSI_TCP_CONN || p->set == RSI_TCP_SESS;   /* the session's counter */
	if (i >= nargs || !*args[i] || !strcmp(args[i], "if") || !strcmp(args[i], "unless"))
		return perr(p, "'%s %s' expects a sample expression (the key).", p->setname, kw);
	if (!(r->a.expr = smp_expr_parse(args[i], NULL, p->pc, err, sizeof(err))))
		return perr(p, "'%s %s': %s.", p->setname, kw, err);
	if (p->phase >= 0 && smp_expr_check_phase(r->a.expr, p->phase, err, sizeof(err)) < 0)
		return perr(p, "'%s %s': %s.", p->setname, kw, err);
	i++;
	if (!(r->a.tab = calloc(1, sizeof(*r->a.tab))))
		return perr(p, "out of memory");
	if (i < nargs && !strcmp(args[i], "table")) {
		if (i + 1 >= nargs || !*args[i + 1])
			return perr(p, "'%s %s': missing table name after 'table'.", p->setname, kw);
		if (smp_arg_parse(p->pc, ARGT_TAB, args[i + 1], strlen(args[i + 1]), r->a.tab, err, sizeof(err)) < 0)
			return perr(p, "'%s %s': %s.", p->setname, kw, err);
		i += 2;
	} else if (!p->pc->px || smp_arg_parse(p->pc, ARGT_TAB, "", 0, r->a.tab, err, sizeof(err)) < 0) {
		return perr(p, "'%s %s': no stick-table given and no proxy to take it from.", p->setname, kw);
	}
	if (smp_arg_defer(p->pc, r->a.tab, kw) < 0)
		return perr(p, "out of memory");
	*cur = i;
	return 0;
}

static struct stk_ctr *slot_of(const struct rule *r, struct smp_ctx *c)
{
	if (r->a.ival2) {
		if (!c->sess_trk)
			return NULL;
		if (!*c->sess_trk && !(*c->sess_trk = calloc(STK_NB_TRACK, sizeof(struct stk_ctr))))
			return NULL;
		return &(*c->sess_trk)[r->a.ival];
	}
	return c->trk ? &c->trk[r->a.ival] : NULL;
}

static enum act_ret x_track(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct stk_table *t = r->a.tab->u.tab ? r->a.tab->u.tab->t : NULL;
	struct stk_ctr *slot = slot_of(r, c);
	struct sample smp;
	struct stk_key k;
	struct stk_ent *e;

	(void)res;
	if (!t || !slot || slot->t)
		return ACT_CONT;
	if (!smp_eval(r->a.expr, c, &smp)) {
		/* the key may still come (content inspection) */
		if ((smp.flags & SMP_F_MAY_CHANGE) && !c->payload_final && c->phase == SMP_PH_TCP_CONT)
			return ACT_WAIT;
		return ACT_CONT;
	}
	if (!stk_key_of_smp(t, &smp, c, &k))
		return ACT_CONT;
	if (!(e = stk_get(t, &k, STK_GET_CREATE | STK_GET_REF | STK_GET_TOUCH, now_ms)))
		return ACT_CONT;   /* the table is full and nothing can go */
	stk_track_start(slot, t, e, now_ms);
	slot->from_sess = (uint8_t)r->a.ival2;
	slot->content = !r->a.ival2;
	if (c->phase == SMP_PH_HTTP_REQ || c->phase == SMP_PH_HTTP_RES) {
		/* the request being analysed is counted now: HAProxy's rule */
		stk_ent_add(t, e, STK_DT_HTTP_REQ_CNT, STK_DT_HTTP_REQ_RATE, 1, now_ms);
		if (c->phase == SMP_PH_HTTP_RES && c->status >= 400 && c->status < 500)
			stk_ent_add(t, e, STK_DT_HTTP_ERR_CNT, STK_DT_HTTP_ERR_RATE, 1, now_ms);
		if (c->phase == SMP_PH_HTTP_RES && c->status >= 500 && c->status < 600 &&
		    c->status != 501 && c->status != 505)
			stk_ent_add(t, e, STK_DT_HTTP_FAIL_CNT, STK_DT_HTTP_FAIL_RATE, 1, now_ms);
	}
	stk_unlock(t, e);
	return ACT_CONT;
}

/* ---- sc-inc-gpc0(N), sc-inc-gpc1(N), sc-set-gpt0(N) ---- */

/* The counter number in "sc-inc-gpc0(<N>)". */
static int sc_num(struct act_parse *p, const char *kw, int *out)
{
	const char *o = strchr(kw, '(');
	char *end;
	long n;

	if (!o)
		return perr(p, "'%s' expects a stick counter number in parentheses.", kw);
	n = strtol(o + 1, &end, 10);
	if (end == o + 1 || strcmp(end, ")"))
		return perr(p, "'%s': invalid stick counter number (expects '(<sc-id>)').", kw);
	if (n < 0 || n >= STK_NB_TRACK)
		return perr(p, "'%s': invalid stick counter index %ld (must be between 0 and %d).", kw, n, STK_NB_TRACK - 1);
	*out = (int)n;
	return 0;
}

/* The tracked entry of counter <n>, locked, or NULL. */
static struct stk_ent *tracked_ent(struct smp_ctx *c, int n, struct stk_table **tp)
{
	struct stk_ctr *s = NULL;
	struct stk_ent *e;

	if (c->trk && c->trk[n].t)
		s = &c->trk[n];
	else if (c->sess_trk && *c->sess_trk && (*c->sess_trk)[n].t)
		s = &(*c->sess_trk)[n];
	if (!s)
		return NULL;
	*tp = s->t;
	e = stk_ent(s->t, s->idx);
	stk_lock_ent(s->t, e);
	return e;
}

static int p_inc_gpc(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	(void)nargs;
	r->a.ival2 = !strncmp(args[*cur], "sc-inc-gpc1(", 12);
	if (sc_num(p, args[*cur], &r->a.ival) < 0)
		return -1;
	(*cur)++;
	return 0;
}

static enum act_ret x_inc_gpc(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct stk_table *t;
	struct stk_ent *e = tracked_ent(c, r->a.ival, &t);

	(void)res;
	if (!e)
		return ACT_CONT;
	if (r->a.ival2)
		stk_ent_add(t, e, STK_DT_GPC1, STK_DT_GPC1_RATE, 1, now_ms);
	else
		stk_ent_add(t, e, STK_DT_GPC0, STK_DT_GPC0_RATE, 1, now_ms);
	stk_unlock(t, e);
	return ACT_CONT;
}

static int p_set_gpt(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];
	int i = *cur + 1;
	char err[1024], *end;
	long long v;

	if (sc_num(p, kw, &r->a.ival) < 0)
		return -1;
	if (i >= nargs || !*args[i] || !strcmp(args[i], "if") || !strcmp(args[i], "unless"))
		return perr(p, "'%s' expects an integer or a sample expression.", kw);
	v = strtoll(args[i], &end, 10);
	if (!*end && end != args[i]) {
		if (v < 0 || v > 0xffffffffll)
			return perr(p, "'%s': value %s out of range (0 to 4294967295).", kw, args[i]);
		r->a.ms = (uint32_t)v;
	} else {
		if (!(r->a.expr = smp_expr_parse(args[i], NULL, p->pc, err, sizeof(err))))
			return perr(p, "'%s': %s.", kw, err);
		if (p->phase >= 0 && smp_expr_check_phase(r->a.expr, p->phase, err, sizeof(err)) < 0)
			return perr(p, "'%s': %s.", kw, err);
		if (!smp_castable(r->a.expr->out_type, SMP_T_SINT))
			return perr(p, "'%s': the expression gives a %s, not an integer.", kw,
				    smp_type_name(r->a.expr->out_type));
	}
	*cur = i + 1;
	return 0;
}

static enum act_ret x_set_gpt(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct stk_table *t;
	struct stk_ent *e;
	uint32_t v = r->a.ms, *p;
	struct sample smp;

	(void)res;
	if (r->a.expr) {
		if (!smp_eval(r->a.expr, c, &smp) || !smp_cast(&smp, SMP_T_SINT, c))
			return ACT_CONT;
		v = (uint32_t)smp.u.sint;
	}
	if (!(e = tracked_ent(c, r->a.ival, &t)))
		return ACT_CONT;
	if ((p = stk_data(t, e, STK_DT_GPT0))) {
		*p = v;
		stk_updated(t, e);
	}
	stk_unlock(t, e);
	return ACT_CONT;
}

const struct action_kw stick_actions[] = {
	{ "track-sc0",    RS_TCP_CONN | RS_TCP_SESS | RS_TCP_CONT | RS_HTTP_REQ | RS_HTTP_RES, p_track, x_track, 0 },
	{ "track-sc1",    RS_TCP_CONN | RS_TCP_SESS | RS_TCP_CONT | RS_HTTP_REQ | RS_HTTP_RES, p_track, x_track, 0 },
	{ "track-sc2",    RS_TCP_CONN | RS_TCP_SESS | RS_TCP_CONT | RS_HTTP_REQ | RS_HTTP_RES, p_track, x_track, 0 },
	{ "sc-inc-gpc0(", ALL_TCP | ALL_HTTP, p_inc_gpc, x_inc_gpc, 1 },
	{ "sc-inc-gpc1(", ALL_TCP | ALL_HTTP, p_inc_gpc, x_inc_gpc, 1 },
	{ "sc-set-gpt0(", ALL_TCP | ALL_HTTP, p_set_gpt, x_set_gpt, 1 },
	{ 0 }
};

/* After the tables are resolved: a track-sc key must be able to become a
 * key of its table. 0, or -1 with <err> filled. */
int stick_act_check(const struct rule *r, char *err, size_t errlen)
{
	const struct stk_conf *tc;

	if (r->kw->parse != p_track || !r->a.tab || !(tc = r->a.tab->u.tab))
		return 0;
	if (stk_key_type_ok(r->a.expr->out_type, tc->type))
		return 0;
	snprintf(err, errlen, "'%s': type of fetch method '%s' (%s) is incompatible with type '%s' of stick-table '%s'",
		 r->kw->name, r->a.expr->text, smp_type_name(r->a.expr->out_type), stk_type_name(tc->type), tc->id);
	return -1;
}
