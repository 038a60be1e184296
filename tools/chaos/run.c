/* One run (see run.h): start the load, the plan and the poller, stop the
 * load at --duration, let requests in flight finish for RUN_GRACE_MS, then
 * analyse. A 100 ms housekeeping timer reaps the lab's children (noticing a
 * proxy that died) and honours Ctrl-C. */
#include <stdio.h>
#include <string.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "chaos.h"
#include "run.h"

struct run_state {
	struct run     *r;
	struct loop    *l;
	struct load     ld;
	struct ev_timer end, house;
	uint64_t        grace_end_ms;
	int             ending;
};

static void end_cb(struct ev_timer *t)
{
	struct run_state *s = t->ctx;

	s->ending = 1;
	load_stop(&s->ld);
	s->grace_end_ms = now_ms + RUN_GRACE_MS;
}

static void house_cb(struct ev_timer *t)
{
	struct run_state *s = t->ctx;
	struct run *r = s->r;

	if (r->lab && lab_reap(r->lab) && !r->tandem_died) {
		r->tandem_died = 1;
		r->tandem_died_ms = (clock_mono_us() - r->m.t0_us) / 1000;
	}
	if (chaos_interrupted && !s->ending) {
		r->interrupted = 1;
		end_cb(&s->end);
		loop_timer_del(s->l, &s->end);
	}
	if (!s->ending && load_count_done(&s->ld)) {
		/* -n: the last request is answered, the run is over */
		end_cb(&s->end);
		loop_timer_del(s->l, &s->end);
	}
	if (s->ending && (!s->ld.inflight || now_ms >= s->grace_end_ms)) {
		s->l->stop = 1;
		return;
	}
	loop_timer_set(s->l, t, now_ms + (s->ending || r->o.load.count ? 10 : TICK_MS));
}

int run_exec(struct run *r, struct loop *l)
{
	struct run_state s;
	uint64_t end_us;
	int i;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.l = l;
	if (meas_init(&r->m, r->o.duration_ms + RUN_GRACE_MS + 1000, r->o.slow_ms) < 0)
		return -1;
	/* node i of the lab is node i of the measurements */
	for (i = 0; r->lab && i < r->lab->n; i++)
		meas_node(&r->m, r->lab->node[i].name);
	clock_update();
	r->m.t0_us = clock_mono_us();
	if (load_start(&s.ld, &r->o.load, &r->m) < 0) {
		meas_free(&r->m);
		return -1;
	}
	if (r->lab) {
		r->plan.backend = r->o.backend;
		plan_start(&r->plan, r->lab, r->m.t0_us);
	}
	if (r->o.has_stats && r->lab) {
		lbstat_start(&r->lb, &r->o.stats, r->o.backend, r->lab, r->m.t0_us);
		r->has_lb = 1;
	}
	ev_timer_init(&s.end, end_cb, &s);
	ev_timer_init(&s.house, house_cb, &s);
	loop_timer_set(l, &s.end, r->m.t0_us / 1000 + r->o.duration_ms);
	/* with -n the run ends as soon as the count is done: look often */
	loop_timer_set(l, &s.house, now_ms + (r->o.load.count ? 10 : TICK_MS));
	l->stop = 0;
	while (!l->stop)
		loop_run(l);
	l->stop = 0;
	loop_timer_del(l, &s.end);
	loop_timer_del(l, &s.house);
	end_us = clock_mono_us();
	r->m.used_ms = (end_us - r->m.t0_us) / 1000;
	if (r->m.used_ms < r->o.duration_ms && !r->interrupted && !r->o.load.count)
		r->m.used_ms = r->o.duration_ms;
	if (!r->m.used_ms)
		r->m.used_ms = 1;
	load_free(&s.ld);
	if (r->lab)
		plan_stop(&r->plan);
	if (r->has_lb)
		lbstat_stop(&r->lb);
	run_analyze(r);
	return 0;
}

void run_free(struct run *r)
{
	meas_free(&r->m);
}
