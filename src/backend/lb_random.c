/* random(N): draw N servers at random, weighted, and keep the least loaded
 * (the "power of two choices" when N is 2, HAProxy's default): nearly as
 * even as leastconn with no global ordering to maintain. */
#include <stdint.h>
#include <tandem/lb.h>
#include "lb_int.h"

static __thread unsigned long long rnd_state;

static unsigned rnd(void)
{
	/* xorshift64*: per thread, seeded from the thread-local address */
	if (!rnd_state)
		rnd_state = (unsigned long long)(uintptr_t)&rnd_state * 0x9E3779B97F4A7C15ull | 1;
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (unsigned)((rnd_state * 2685821657736338717ull) >> 32);
}

static struct server *draw(struct proxy *be, int backup, struct server *avoid, int *skipped, long long total)
{
	long long slot = (long long)(rnd() % (unsigned long long)total);
	struct list *l;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		if (!lb_candidate(s, backup, avoid, skipped))
			continue;
		slot -= __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
		if (slot < 0)
			return s;
	}
	return NULL;
}

struct server *lb_random_pick(struct proxy *be, int backup, struct server *avoid, int *skipped)
{
	struct server *best = NULL;
	struct list *l;
	long long total = 0;
	int i, draws = be->lb_draws > 0 ? be->lb_draws : 2;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		if (lb_candidate(s, backup, avoid, skipped))
			total += __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
	}
	if (!total)
		return NULL;
	for (i = 0; i < draws; i++) {
		struct server *s = draw(be, backup, avoid, skipped, total);
		if (s && (!best || __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED) <
			  __atomic_load_n(&best->cur_conns, __ATOMIC_RELAXED)))
			best = s;
	}
	return best;
}
