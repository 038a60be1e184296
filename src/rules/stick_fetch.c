/* Sample fetches and converters on stick tables (HAProxy's names):
 *
 *   sc_<x>(<ctr>[,<table>]), sc0_<x>([<table>]), sc1_<x>, sc2_<x>
 *       the entry tracked by track-sc<ctr> (the stream's, else its
 *       session's); with <table>, the same key in that table. No value
 *       when nothing is tracked.
 *   src_<x>([<table>])
 *       the entry of the client's address in <table> (default: the
 *       proxy's own); 0 when the address is not in the table.
 *   table_cnt([<table>]), table_avl([<table>])
 *   in_table(<table>), table_<x>(<table>)   converters: the input is the key
 *
 * <x>: the stored data (conn_cnt, http_req_rate...; get_gpc0, get_gpt0),
 * kbytes_in/out, trackers, tracked, and the ones that change the entry:
 * inc_gpc0/1 (add one, give the new value), clr_gpc0/1 (give the old
 * value, set 0) and src_updt_conn_cnt (count a connection). A data type
 * the table does not store gives no value. Every one is volatile: a rule
 * may change what the next one reads. */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <tandem/clock.h>
#include <tandem/proxy-t.h>
#include <tandem/sample.h>
#include <tandem/stick.h>
#include "rules_int.h"

/* ---- keys ---- */

int stk_key_of_smp(const struct stk_table *t, struct sample *smp, struct smp_ctx *ctx, struct stk_key *k)
{
	uint32_t v;

	switch (t->h->type) {
	case STK_T_IP:
		if (!smp_cast(smp, SMP_T_IPV4, ctx))
			return 0;
		stk_key_set(t, k, &smp->u.ipv4, 4);
		return 1;
	case STK_T_IPV6:
		if (!smp_cast(smp, SMP_T_IPV6, ctx))
			return 0;
		stk_key_set(t, k, &smp->u.ipv6, 16);
		return 1;
	case STK_T_INT:
		if (!smp_cast(smp, SMP_T_SINT, ctx))
			return 0;
		v = (uint32_t)smp->u.sint;
		stk_key_set(t, k, &v, 4);
		return 1;
	case STK_T_STR:
		if (!smp_cast(smp, SMP_T_STR, ctx))
			return 0;
		stk_key_set(t, k, smp->u.str.p, smp->u.str.len);
		return 1;
	default:
		if (!smp_cast(smp, SMP_T_BIN, ctx))
			return 0;
		stk_key_set(t, k, smp->u.str.p, smp->u.str.len);
		return 1;
	}
}

static int src_key(const struct stk_table *t, struct smp_ctx *ctx, struct stk_key *k)
{
	struct sample smp = { 0 };

	if (!ctx->src)
		return 0;
	if (ctx->src->ss_family == AF_INET) {
		smp.type = SMP_T_IPV4;
		smp.u.ipv4 = ((const struct sockaddr_in *)(const void *)ctx->src)->sin_addr;
	} else if (ctx->src->ss_family == AF_INET6) {
		smp.type = SMP_T_IPV6;
		smp.u.ipv6 = ((const struct sockaddr_in6 *)(const void *)ctx->src)->sin6_addr;
	} else {
		return 0;
	}
	return stk_key_of_smp(t, &smp, ctx, k);
}

/* ---- finding the entry ---- */

static struct stk_table *tab_of(const struct smp_arg *a)
{
	return a->type == ARGT_TAB && a->u.tab ? a->u.tab->t : NULL;
}

/* The tracked counter <num> of this stream, else of its session. */
static const struct stk_ctr *tracked(const struct smp_ctx *ctx, int num)
{
	if (num < 0 || num >= STK_NB_TRACK)
		return NULL;
	if (ctx->trk && ctx->trk[num].t)
		return &ctx->trk[num];
	if (ctx->sess_trk && *ctx->sess_trk && (*ctx->sess_trk)[num].t)
		return &(*ctx->sess_trk)[num];
	return NULL;
}

enum { VAR_SC = -1, VAR_SRC = 3 };   /* variants; 0..2: scN_ */

/* The entry a fetch reads, locked: 1 with *tp and *ep set (stk_unlock when
 * done), 0 when there is no entry (the value is 0), -1 when there is no
 * value at all (nothing tracked, no table). <create>: src_ fetches that
 * change the entry make it. */
static int find(const struct smp_arg *args, struct smp_ctx *ctx, int var, int create,
		struct stk_table **tp, struct stk_ent **ep)
{
	const struct smp_arg *tab = args;
	const struct stk_ctr *c;
	struct stk_table *t;
	struct stk_key k;
	int num = var;

	if (var == VAR_SRC) {
		if (!(t = tab_of(&args[0])) || !src_key(t, ctx, &k))
			return -1;
		*tp = t;
		*ep = stk_get(t, &k, create ? STK_GET_CREATE | STK_GET_TOUCH : 0, now_ms);
		return *ep ? 1 : 0;
	}
	if (var == VAR_SC) {
		num = (int)args[0].u.sint;
		tab = &args[1];
	}
	if (!(c = tracked(ctx, num)))
		return -1;
	t = c->t;
	*tp = t;
	*ep = stk_ent(t, c->idx);
	if (tab->type == ARGT_TAB && tab->u.tab && tab->u.tab->t && tab->u.tab->t != t) {
		struct stk_table *alt = tab->u.tab->t;

		/* the same key in another table */
		stk_lock_ent(t, *ep);
		memcpy(k.b, (*ep)->key, (*ep)->klen);
		k.len = (*ep)->klen;
		stk_unlock(t, *ep);
		if (alt->h->type != t->h->type)
			return 0;
		*tp = alt;
		*ep = stk_get(alt, &k, 0, now_ms);
		return *ep ? 1 : 0;
	}
	stk_lock_ent(t, *ep);
	return 1;
}

/* ---- what is read ---- */

enum op {
	OP_READ,       /* a counter or a rate: <dt> */
	OP_KBYTES,     /* bytes counter / 1024 */
	OP_INC,        /* gpc <dt> += 1 (and its rate <dt2>), the new value */
	OP_CLR,        /* the value of <dt>, then 0 */
	OP_TRACKERS,   /* streams and sessions tracking the entry */
	OP_TRACKED,    /* is the counter tracked? (sc only) */
	OP_UPDT_CONN,  /* src_updt_conn_cnt: conn_cnt += 1, the new value */
};

static int value(struct stk_table *t, struct stk_ent *e, enum op op, int dt, int dt2, long long *out)
{
	void *p = dt >= 0 ? stk_data(t, e, dt) : NULL;

	switch (op) {
	case OP_TRACKERS:
		*out = e->ref;
		return 1;
	case OP_READ:
	case OP_KBYTES:
	case OP_CLR:
		if (!p)
			return 0;
		switch (stk_dt[dt].std) {
		case STK_STD_FRQP:
			*out = stk_frq_read(p, t->c->period[dt], (uint32_t)now_ms);
			break;
		case STK_STD_ULL:
			*out = (long long)*(uint64_t *)p;
			break;
		case STK_STD_SINT:
			*out = *(int32_t *)p;
			break;
		default:
			*out = *(uint32_t *)p;
			break;
		}
		if (op == OP_KBYTES)
			*out >>= 10;
		if (op == OP_CLR) {
			*(uint32_t *)p = 0;
			stk_updated(t, e);
		}
		return 1;
	case OP_INC:
	case OP_UPDT_CONN: {
		void *r = dt2 >= 0 ? stk_data(t, e, dt2) : NULL;

		if (!p && !r)
			return 0;
		stk_ent_add(t, e, p ? dt : -1, r ? dt2 : -1, 1, now_ms);
		*out = p ? *(uint32_t *)p : 0;
		return 1;
	}
	default:
		return 0;
	}
}

static int sc_fetch(const struct smp_arg *args, struct sample *smp, struct smp_ctx *ctx, int var,
		    enum op op, int dt, int dt2)
{
	struct stk_table *t;
	struct stk_ent *e;
	long long v = 0;
	int r;

	if (op == OP_TRACKED) {
		smp_set_bool(smp, tracked(ctx, var == VAR_SC ? (int)args[0].u.sint : var) != NULL);
		smp->flags = SMP_F_VOL;
		return 1;
	}
	r = find(args, ctx, var, var == VAR_SRC && (op == OP_INC || op == OP_CLR || op == OP_UPDT_CONN), &t, &e);
	if (r < 0)
		return 0;
	if (r > 0) {
		int ok = value(t, e, op, dt, dt2, &v);

		stk_unlock(t, e);
		if (!ok)
			return 0;
	} else if (dt >= 0 && !(t->c->store & (1ull << dt)) && !(dt2 >= 0 && (t->c->store & (1ull << dt2)))) {
		return 0;   /* not stored: no value, even for an absent key */
	}
	smp_set_int(smp, v);
	smp->flags = SMP_F_VOL;
	return 1;
}

/* One function per keyword, generated for each variant. */
#define A const struct smp_arg *args, struct sample *smp, struct smp_ctx *ctx, struct smp_iter *it
#define ONE(pfx, v, name, op, dt, dt2) \
	static int f_##pfx##_##name(A) { (void)it; return sc_fetch(args, smp, ctx, v, op, dt, dt2); }
#define ALL(name, op, dt, dt2) \
	ONE(sc, VAR_SC, name, op, dt, dt2) ONE(sc0, 0, name, op, dt, dt2) ONE(sc1, 1, name, op, dt, dt2) \
	ONE(sc2, 2, name, op, dt, dt2) ONE(src, VAR_SRC, name, op, dt, dt2)

ALL(bytes_in_rate,  OP_READ, STK_DT_BYTES_IN_RATE, -1)
ALL(bytes_out_rate, OP_READ, STK_DT_BYTES_OUT_RATE, -1)
ALL(clr_gpc0,       OP_CLR, STK_DT_GPC0, -1)
ALL(clr_gpc1,       OP_CLR, STK_DT_GPC1, -1)
ALL(conn_cnt,       OP_READ, STK_DT_CONN_CNT, -1)
ALL(conn_cur,       OP_READ, STK_DT_CONN_CUR, -1)
ALL(conn_rate,      OP_READ, STK_DT_CONN_RATE, -1)
ALL(get_gpt0,       OP_READ, STK_DT_GPT0, -1)
ALL(get_gpc0,       OP_READ, STK_DT_GPC0, -1)
ALL(get_gpc1,       OP_READ, STK_DT_GPC1, -1)
ALL(gpc0_rate,      OP_READ, STK_DT_GPC0_RATE, -1)
ALL(gpc1_rate,      OP_READ, STK_DT_GPC1_RATE, -1)
ALL(http_err_cnt,   OP_READ, STK_DT_HTTP_ERR_CNT, -1)
ALL(http_err_rate,  OP_READ, STK_DT_HTTP_ERR_RATE, -1)
ALL(http_fail_cnt,  OP_READ, STK_DT_HTTP_FAIL_CNT, -1)
ALL(http_fail_rate, OP_READ, STK_DT_HTTP_FAIL_RATE, -1)
ALL(http_req_cnt,   OP_READ, STK_DT_HTTP_REQ_CNT, -1)
ALL(http_req_rate,  OP_READ, STK_DT_HTTP_REQ_RATE, -1)
ALL(inc_gpc0,       OP_INC, STK_DT_GPC0, STK_DT_GPC0_RATE)
ALL(inc_gpc1,       OP_INC, STK_DT_GPC1, STK_DT_GPC1_RATE)
ALL(kbytes_in,      OP_KBYTES, STK_DT_BYTES_IN_CNT, -1)
ALL(kbytes_out,     OP_KBYTES, STK_DT_BYTES_OUT_CNT, -1)
ALL(sess_cnt,       OP_READ, STK_DT_SESS_CNT, -1)
ALL(sess_rate,      OP_READ, STK_DT_SESS_RATE, -1)
ONE(sc, VAR_SC, tracked, OP_TRACKED, -1, -1)
ONE(sc0, 0, tracked, OP_TRACKED, -1, -1)
ONE(sc1, 1, tracked, OP_TRACKED, -1, -1)
ONE(sc2, 2, tracked, OP_TRACKED, -1, -1)
ONE(sc, VAR_SC, trackers, OP_TRACKERS, -1, -1)
ONE(sc0, 0, trackers, OP_TRACKERS, -1, -1)
ONE(sc1, 1, trackers, OP_TRACKERS, -1, -1)
ONE(sc2, 2, trackers, OP_TRACKERS, -1, -1)
ONE(src, VAR_SRC, updt_conn_cnt, OP_UPDT_CONN, STK_DT_CONN_CNT, STK_DT_CONN_RATE)

static int f_table_cnt(A)
{
	struct stk_table *t = tab_of(&args[0]);

	(void)ctx; (void)it;
	if (!t)
		return 0;
	smp_set_int(smp, stk_count(t));
	smp->flags = SMP_F_VOL;
	return 1;
}

static int f_table_avl(A)
{
	struct stk_table *t = tab_of(&args[0]);

	(void)ctx; (void)it;
	if (!t)
		return 0;
	smp_set_int(smp, stk_avail(t));
	smp->flags = SMP_F_VOL;
	return 1;
}

/* ---- argument checks ---- */

/* The table argument at <i> defaults to the proxy's own table. */
static int tab_default(const struct smp_pctx *pc, struct smp_arg *args, int i, char *err, size_t errlen)
{
	if (args[i].type == ARGT_TAB)
		return 0;
	if (!pc->px) {
		snprintf(err, errlen, "no stick-table given and no proxy to take it from");
		return -1;
	}
	return smp_arg_parse(pc, ARGT_TAB, "", 0, &args[i], err, errlen);
}

static int chk_tab0(const struct smp_pctx *pc, struct smp_arg *args, char *err, size_t errlen)
{
	return tab_default(pc, args, 0, err, errlen);
}

static int chk_sc_idx(const struct smp_pctx *pc, struct smp_arg *args, char *err, size_t errlen)
{
	(void)pc;
	if (args[0].u.sint < 0 || args[0].u.sint >= STK_NB_TRACK) {
		snprintf(err, errlen, "invalid stick counter index %lld (must be between 0 and %d)",
			 args[0].u.sint, STK_NB_TRACK - 1);
		return -1;
	}
	return 0;
}

/* ---- the fetch table ---- */

#define INT  SMP_T_SINT
#define VOL  SMP_KW_VOLATILE
#define I    SMP_SRC_INTRN
#define L4   SMP_SRC_L4
#define ROWS(name) \
	{ "sc_" #name,  f_sc_##name,  { ARGT_SINT, ARGT_TAB }, 1, INT, I, VOL, chk_sc_idx, -1 }, \
	{ "sc0_" #name, f_sc0_##name, { ARGT_TAB },            0, INT, I, VOL, NULL, -1 }, \
	{ "sc1_" #name, f_sc1_##name, { ARGT_TAB },            0, INT, I, VOL, NULL, -1 }, \
	{ "sc2_" #name, f_sc2_##name, { ARGT_TAB },            0, INT, I, VOL, NULL, -1 }, \
	{ "src_" #name, f_src_##name, { ARGT_TAB },            0, INT, L4, VOL, chk_tab0, -1 }

const struct smp_fetch_kw smp_fetch_stick[] = {
	ROWS(bytes_in_rate), ROWS(bytes_out_rate), ROWS(clr_gpc0), ROWS(clr_gpc1), ROWS(conn_cnt),
	ROWS(conn_cur), ROWS(conn_rate), ROWS(get_gpt0), ROWS(get_gpc0), ROWS(get_gpc1), ROWS(gpc0_rate),
	ROWS(gpc1_rate), ROWS(http_err_cnt), ROWS(http_err_rate), ROWS(http_fail_cnt), ROWS(http_fail_rate),
	ROWS(http_req_cnt), ROWS(http_req_rate), ROWS(inc_gpc0), ROWS(inc_gpc1), ROWS(kbytes_in),
	ROWS(kbytes_out), ROWS(sess_cnt), ROWS(sess_rate),
	{ "sc_tracked",   f_sc_tracked,   { ARGT_SINT, ARGT_TAB }, 1, SMP_T_BOOL, I, VOL, chk_sc_idx, -1 },
	{ "sc0_tracked",  f_sc0_tracked,  { ARGT_TAB }, 0, SMP_T_BOOL, I, VOL, NULL, -1 },
	{ "sc1_tracked",  f_sc1_tracked,  { ARGT_TAB }, 0, SMP_T_BOOL, I, VOL, NULL, -1 },
	{ "sc2_tracked",  f_sc2_tracked,  { ARGT_TAB }, 0, SMP_T_BOOL, I, VOL, NULL, -1 },
	{ "sc_trackers",  f_sc_trackers,  { ARGT_SINT, ARGT_TAB }, 1, INT, I, VOL, chk_sc_idx, -1 },
	{ "sc0_trackers", f_sc0_trackers, { ARGT_TAB }, 0, INT, I, VOL, NULL, -1 },
	{ "sc1_trackers", f_sc1_trackers, { ARGT_TAB }, 0, INT, I, VOL, NULL, -1 },
	{ "sc2_trackers", f_sc2_trackers, { ARGT_TAB }, 0, INT, I, VOL, NULL, -1 },
	{ "src_updt_conn_cnt", f_src_updt_conn_cnt, { ARGT_TAB }, 0, INT, L4, VOL, chk_tab0, -1 },
	{ "table_avl",    f_table_avl,    { ARGT_TAB }, 0, INT, I, VOL, chk_tab0, -1 },
	{ "table_cnt",    f_table_cnt,    { ARGT_TAB }, 0, INT, I, VOL, chk_tab0, -1 },
	{ 0 }
};

/* ---- converters: the input sample is the key ---- */

static int conv(const struct smp_arg *args, struct sample *smp, struct smp_ctx *ctx, enum op op, int dt)
{
	struct stk_table *t = tab_of(&args[0]);
	struct stk_key k;
	struct stk_ent *e;
	long long v = 0;

	if (!t || !stk_key_of_smp(t, smp, ctx, &k))
		return 0;
	e = stk_get(t, &k, 0, now_ms);
	if (op == OP_TRACKED) {   /* in_table */
		if (e)
			stk_unlock(t, e);
		smp_set_bool(smp, e != NULL);
		smp->flags = SMP_F_VOL;
		return 1;
	}
	if (dt >= 0 && !(t->c->store & (1ull << dt))) {
		if (e)
			stk_unlock(t, e);
		return 0;
	}
	if (e) {
		int ok = value(t, e, op, dt, -1, &v);

		stk_unlock(t, e);
		if (!ok)
			return 0;
	}
	smp_set_int(smp, v);
	smp->flags = SMP_F_VOL;
	return 1;
}

#define CA const struct smp_arg *args, struct sample *smp, struct smp_ctx *ctx
#define CONV(name, op, dt) static int c_table_##name(CA) { return conv(args, smp, ctx, op, dt); }
CONV(bytes_in_rate,  OP_READ, STK_DT_BYTES_IN_RATE)
CONV(bytes_out_rate, OP_READ, STK_DT_BYTES_OUT_RATE)
CONV(conn_cnt,       OP_READ, STK_DT_CONN_CNT)
CONV(conn_cur,       OP_READ, STK_DT_CONN_CUR)
CONV(conn_rate,      OP_READ, STK_DT_CONN_RATE)
CONV(gpt0,           OP_READ, STK_DT_GPT0)
CONV(gpc0,           OP_READ, STK_DT_GPC0)
CONV(gpc1,           OP_READ, STK_DT_GPC1)
CONV(gpc0_rate,      OP_READ, STK_DT_GPC0_RATE)
CONV(gpc1_rate,      OP_READ, STK_DT_GPC1_RATE)
CONV(http_err_cnt,   OP_READ, STK_DT_HTTP_ERR_CNT)
CONV(http_err_rate,  OP_READ, STK_DT_HTTP_ERR_RATE)
CONV(http_fail_cnt,  OP_READ, STK_DT_HTTP_FAIL_CNT)
CONV(http_fail_rate, OP_READ, STK_DT_HTTP_FAIL_RATE)
CONV(http_req_cnt,   OP_READ, STK_DT_HTTP_REQ_CNT)
CONV(http_req_rate,  OP_READ, STK_DT_HTTP_REQ_RATE)
CONV(kbytes_in,      OP_KBYTES, STK_DT_BYTES_IN_CNT)
CONV(kbytes_out,     OP_KBYTES, STK_DT_BYTES_OUT_CNT)
CONV(server_id,      OP_READ, STK_DT_SERVER_ID)
CONV(sess_cnt,       OP_READ, STK_DT_SESS_CNT)
CONV(sess_rate,      OP_READ, STK_DT_SESS_RATE)
CONV(trackers,       OP_TRACKERS, -1)

static int c_in_table(CA)
{
	return conv(args, smp, ctx, OP_TRACKED, -1);
}

#define CROW(name) { "table_" #name, c_table_##name, { ARGT_TAB }, 1, SMP_T_ANY, INT, VOL, NULL, NULL }

const struct smp_conv_kw smp_conv_stick[] = {
	{ "in_table", c_in_table, { ARGT_TAB }, 1, SMP_T_ANY, SMP_T_BOOL, VOL, NULL, NULL },
	CROW(bytes_in_rate), CROW(bytes_out_rate), CROW(conn_cnt), CROW(conn_cur), CROW(conn_rate),
	CROW(gpt0), CROW(gpc0), CROW(gpc1), CROW(gpc0_rate), CROW(gpc1_rate), CROW(http_err_cnt),
	CROW(http_err_rate), CROW(http_fail_cnt), CROW(http_fail_rate), CROW(http_req_cnt),
	CROW(http_req_rate), CROW(kbytes_in), CROW(kbytes_out), CROW(server_id), CROW(sess_cnt),
	CROW(sess_rate), CROW(trackers),
	{ 0 }
};
