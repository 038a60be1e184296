/* The expiry timer of the stick tables: one timer on the worker's thread 0
 * (a worker module, so a retiring worker leaves the work to the new one).
 * Each run removes what is due in every table, shard by shard from the
 * LRU tails (table.c: each tail is its shard's next expiry), and sleeps
 * until the earliest tail is due. A table that had nothing to expire is
 * looked at again within a second, since new entries may have come. */
#include <tandem/clock.h>
#include <tandem/loop.h>
#include <tandem/proxy-t.h>
#include <tandem/stick.h>
#include <tandem/worker-t.h>

#define EXPIRE_BUDGET 20000u   /* entries removed per run and table: a run stays short */
#define EXPIRE_IDLE   1000u    /* ms between runs with nothing known to be due */

static struct ev_timer tmr;
static struct cfg *ecfg;
static struct loop *eloop;

static void expire_cb(struct ev_timer *t)
{
	uint64_t next = now_ms + EXPIRE_IDLE;

	(void)t;
	for (struct stk_conf *c = ecfg && ecfg->stick ? ecfg->stick->tables : NULL; c; c = c->next) {
		uint64_t n;

		if (!c->t)
			continue;
		n = stk_expire(c->t, now_ms, EXPIRE_BUDGET);
		if (n && n < next)
			next = n;
	}
	loop_timer_set(eloop, &tmr, next > now_ms ? next : now_ms + 1);
}

static int expire_start(struct cfg *cfg)
{
	if (!cfg->stick || !cfg->stick->tables)
		return 0;
	ecfg = cfg;
	eloop = this_loop;
	ev_timer_init(&tmr, expire_cb, NULL);
	loop_timer_set(eloop, &tmr, now_ms + 1);
	return 0;
}

static void expire_stop(void)
{
	if (eloop)
		loop_timer_del(eloop, &tmr);
	eloop = NULL;
}

struct worker_module stk_expire_module = {
	.name = "stick-table expiry", .start = expire_start, .stop = expire_stop,
};
