/* From measurements to per-fault numbers (see run.h for the definitions).
 * Everything is computed on the 100 ms ticks, with the first and last
 * answer of each node in a tick kept to the millisecond, so detection
 * times are exact to the ms and shares to the tick. */
#include <string.h>
#include "run.h"

/* First moment the plan touches node <n> (or the end of the run). */
static uint64_t first_fault_ms(const struct run *r)
{
	uint64_t t = r->m.used_ms;
	int i;

	for (i = 0; i < r->plan.n; i++)
		if (r->plan.f[i].state == FS_DONE && r->plan.f[i].t_ms < t)
			t = r->plan.f[i].t_ms;
	return t;
}

/* Each node's share of the answers before the first fault, skipping the
 * first 200 ms (connections opening). Too few answers: its configured
 * weight's share instead. */
static void normal_shares(struct run *r)
{
	uint64_t end = first_fault_ms(r), start = end > 400 ? 200 : 0;
	struct wsum w;
	int i, wsum = 0;

	meas_sum(&r->m, start, end, &w);
	for (i = 0; r->lab && i < r->lab->n; i++)
		wsum += r->lab->node[i].weight ? r->lab->node[i].weight : 1;
	for (i = 0; i < r->m.nnodes; i++) {
		if (w.answered >= 50)
			r->normal_share[i] = (double)w.nodes[i] / w.answered;
		else if (r->lab && i < r->lab->n)
			r->normal_share[i] = (double)(r->lab->node[i].weight ? r->lab->node[i].weight : 1) / wsum;
		else
			r->normal_share[i] = 0;
	}
}

/* End of the window of fault <k>: the next fault strictly later (any node
 * when <same_node> is 0; else the next one on the same node), or the end. */
static uint64_t window_end(const struct run *r, int k, int same_node)
{
	const struct fault *f = &r->plan.f[k];
	int i;

	for (i = k + 1; i < r->plan.n; i++) {
		const struct fault *g = &r->plan.f[i];
		if (g->state != FS_DONE || g->t_ms <= f->t_ms)
			continue;
		if (!same_node || g->node == f->node)
			return g->t_ms;
	}
	return r->m.used_ms;
}

#define ACTION_SKEW_MS 20

/* Last answer from <node> in [from, to), or -1. */
static int64_t last_answer(const struct meas *m, int node, uint64_t from, uint64_t to)
{
	size_t i, a = from / TICK_MS, b = (to + TICK_MS - 1) / TICK_MS, n = meas_ticks(m);
	int64_t last = -1;

	if (b > n)
		b = n;
	for (i = a; i < b; i++) {
		const struct tick *t = &m->tick[i];
		uint64_t x;
		if (!t->nodes[node])
			continue;
		x = t->last_ms[node] < to ? t->last_ms[node] : t->first_ms[node];
		if (x >= from && x < to)
			last = (int64_t)x;
	}
	return last;
}

/* First answer from <node> in [from, to), or -1. */
static int64_t first_answer(const struct meas *m, int node, uint64_t from, uint64_t to)
{
	size_t i, a = from / TICK_MS, b = (to + TICK_MS - 1) / TICK_MS, n = meas_ticks(m);

	if (b > n)
		b = n;
	for (i = a; i < b; i++) {
		const struct tick *t = &m->tick[i];
		uint64_t x;
		if (!t->nodes[node])
			continue;
		x = t->first_ms[node] >= from ? t->first_ms[node] : t->last_ms[node];
		if (x >= from && x < to)
			return (int64_t)x;
	}
	return -1;
}

/* The node's first answer in the first tick (from <from>) that opens a
 * RECOVER_WINDOW_MS window in which it has at least RECOVER_FRACTION of
 * <normal>; -1 if none before <to>. Starting at an answer, not at the
 * window's edge, keeps a window that the node joins late from counting
 * before the node is back. */
static int64_t share_back(const struct meas *m, int node, double normal, uint64_t from, uint64_t to)
{
	size_t n = meas_ticks(m), w = RECOVER_WINDOW_MS / TICK_MS, k, i;

	if (normal <= 0)
		return -1;
	for (k = from / TICK_MS; k + w <= n && k * TICK_MS < to; k++) {
		const struct tick *t = &m->tick[k];
		uint32_t mine = 0, all = 0;
		int j;
		if (!t->nodes[node] || t->last_ms[node] < from)
			continue;
		for (i = k; i < k + w; i++) {
			mine += m->tick[i].nodes[node];
			for (j = 0; j < m->nnodes; j++)
				all += m->tick[i].nodes[j];
		}
		if (all >= 5 && (double)mine / all >= RECOVER_FRACTION * normal)
			return (int64_t)(t->first_ms[node] >= from ? t->first_ms[node] : from);
	}
	return -1;
}

static int64_t since(int64_t t, uint64_t from)
{
	return t < 0 ? -1 : t - (int64_t)from;
}

static void one_fault(struct run *r, int k)
{
	const struct fault *f = &r->plan.f[k];
	struct fault_res *res = &r->res[k];
	uint64_t t = f->t_ms, wend = window_end(r, k, 0), nend = window_end(r, k, 1);
	struct wsum w;
	const struct lbev *e;

	res->detect_traffic_ms = res->detect_lb_ms = -2;
	res->recover_first_ms = res->recover_share_ms = res->recover_lb_ms = -2;
	res->win_end_ms = wend;
	res->normal_share = f->node >= 0 && f->node < r->m.nnodes ? r->normal_share[f->node] : 0;
	if (f->state != FS_DONE)
		return;
	meas_sum(&r->m, t, wend, &w);
	res->done = w.done;
	res->errors = w.err;
	res->slow = w.slow;
	res->max_lat_us = w.lat_max_us;
	if (f->node < 0)
		return;   /* a shared dependency: only the window's numbers apply */
	if (f->act == FA_ADD) {
		/* a node added at run time had no share before: its normal share is
		 * an even part of the nodes answering after it came */
		struct wsum after;
		int k, serving = 0;

		meas_sum(&r->m, t, nend, &after);
		for (k = 0; k < r->m.nnodes; k++)
			serving += after.nodes[k] > 0 || k == f->node;
		res->normal_share = 1.0 / serving;
	}
	if (fact_is_recovery(f->act)) {
		res->recover_first_ms = since(first_answer(&r->m, f->node, t, nend), t);
		res->recover_share_ms = since(share_back(&r->m, f->node, res->normal_share, t, nend), t);
		if (r->has_lb) {
			/* never taken out: it is "back" at once */
			if (!strcmp(lbstat_status_at(&r->lb, f->node, t), "UP"))
				res->recover_lb_ms = 0;
			else
				res->recover_lb_ms = (e = lbstat_find(&r->lb, f->node, t, nend, "UP", 1)) ?
					(int64_t)(e->t_ms - t) : -1;
		}
		return;
	}
	if (f->act == FA_SLOW)
		return;   /* a slow node is meant to stay in rotation */
	{
		/* the next action on this node (a `ready` after a `drain`) takes
		 * effect a little before its time is recorded: answers in the
		 * last ACTION_SKEW_MS of the window may already belong to it */
		uint64_t upto = nend - t > 2 * ACTION_SKEW_MS ? nend - ACTION_SKEW_MS : nend;
		int64_t last = last_answer(&r->m, f->node, t, upto);
		/* still answering at the end of its window: an answer in its last
		 * UNDETECTED_QUIET_MS, or its last quarter when the window is short
		 * (an answer just after the fault is a request that was in flight) */
		uint64_t quiet = (nend - t) / 4 < UNDETECTED_QUIET_MS ? (nend - t) / 4 : UNDETECTED_QUIET_MS;

		if (last >= 0 && nend - (uint64_t)last < quiet)
			res->detect_traffic_ms = -1;
		else
			res->detect_traffic_ms = last < 0 ? 0 : last - (int64_t)t;
	}
	if (r->has_lb) {
		/* what tandem's stats say when it took the node out */
		const char *st = f->act == FA_DRAIN ? "DRAIN" : f->act == FA_MAINT ? "MAINT" : "DOWN";

		res->detect_lb_ms = (e = lbstat_find(&r->lb, f->node, t, nend, st, 0)) ?
			(int64_t)(e->t_ms - t) : -1;
	}
}

void run_analyze(struct run *r)
{
	int k;

	memset(r->res, 0, sizeof(r->res));
	normal_shares(r);
	for (k = 0; k < r->plan.n; k++)
		one_fault(r, k);
}
