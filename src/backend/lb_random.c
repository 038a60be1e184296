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

struct server *lb_random_pick(struct proxy *be, struct lb_req *rq)
{
	struct server *best = NULL;
	long long total = lb_total_weight(be, rq);
	int i, draws = be->lb_draws > 0 ? be->lb_draws : 2;

	if (!total)
		return NULL;
	for (i = 0; i < draws; i++) {
		struct server *s = lb_weighted_slot(be, rq, (long long)(rnd() % (unsigned long long)total));
		if (s && (!best || __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED) <
			  __atomic_load_n(&best->cur_conns, __ATOMIC_RELAXED)))
			best = s;
	}
	return best;
}
