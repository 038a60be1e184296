/* Tracked counters (track-sc0/1/2): what a stream or a session counts in
 * the entry it tracks, with HAProxy's meaning:
 *   - tracking starts: conn_cnt, conn_rate and conn_cur count one;
 *   - tracking stops (the stream or session ends): conn_cur goes down and
 *     the entry's expiry restarts from now;
 *   - the stream counts its requests, errors and bytes (stk_ctr_add).
 * Every change is announced to the peers (stk_updated). */
#include <tandem/stick.h>

void stk_ent_add(struct stk_table *t, struct stk_ent *e, int cnt, int rate, uint64_t inc, uint64_t now)
{
	void *p;

	if (cnt >= 0 && (p = stk_data(t, e, cnt))) {
		if (stk_dt[cnt].std == STK_STD_ULL)
			*(uint64_t *)p += inc;
		else
			*(uint32_t *)p += (uint32_t)inc;
	}
	if (rate >= 0 && (p = stk_data(t, e, rate)))
		stk_frq_add(p, t->c->period[rate], (uint32_t)now, (uint32_t)inc);
	stk_updated(t, e);
}

void stk_track_start(struct stk_ctr *c, struct stk_table *t, struct stk_ent *e, uint64_t now)
{
	uint32_t *cur = stk_data(t, e, STK_DT_CONN_CUR);

	c->t = t;
	c->idx = stk_idx(t, e);
	if (cur)
		(*cur)++;
	stk_ent_add(t, e, STK_DT_CONN_CNT, STK_DT_CONN_RATE, 1, now);
	stk_touch(t, e, now);
}

void stk_track_stop(struct stk_ctr *c, uint64_t now)
{
	struct stk_table *t = c->t;
	struct stk_ent *e;
	uint32_t *cur;

	if (!t)
		return;
	e = stk_ent(t, c->idx);
	stk_lock_ent(t, e);
	if ((cur = stk_data(t, e, STK_DT_CONN_CUR))) {
		if (*cur)
			(*cur)--;
		stk_updated(t, e);
	}
	if (e->ref)
		e->ref--;
	stk_touch(t, e, now);
	stk_unlock(t, e);
	c->t = NULL;
}

void stk_ctr_add(struct stk_ctr *c, int cnt, int rate, uint64_t inc, uint64_t now)
{
	struct stk_ent *e;

	if (!c->t)
		return;
	e = stk_ent(c->t, c->idx);
	stk_lock_ent(c->t, e);
	stk_ent_add(c->t, e, cnt, rate, inc, now);
	stk_unlock(c->t, e);
}
