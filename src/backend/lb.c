/* Server selection: usable-server filter and dispatch to the algorithm of
 * the backend (`balance`). Each algorithm lives in its own file:
 * lb_rr.c (roundrobin, static-rr: smooth weighted round-robin),
 * lb_lc.c (leastconn), lb_hash.c (source), lb_first.c (first),
 * lb_random.c (random(N): power of N choices). */
#include <tandem/lb.h>
#include <tandem/worker.h>
#include "lb_int.h"

int srv_usable(const struct server *s)
{
	int st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
	int adm = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);

	if (st != SRV_ST_RUNNING && st != SRV_ST_STARTING)
		return 0;
	if (adm & (SRV_ADMF_MAINT | SRV_ADMF_DRAIN))
		return 0;
	if (__atomic_load_n(&s->eweight, __ATOMIC_RELAXED) <= 0)
		return 0;
	if (s->maxconn && __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED) >= s->maxconn)
		return 0;
	return 1;
}

int lb_candidate(const struct server *s, int backup, const struct server *avoid, int *skipped)
{
	if (s->backup != backup || !srv_usable(s))
		return 0;
	if (s == avoid) {
		*skipped = 1;
		return 0;
	}
	return 1;
}

long long lb_total_weight(struct proxy *be, int backup, const struct server *avoid, int *skipped)
{
	struct list *l;
	long long total = 0;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		if (lb_candidate(s, backup, avoid, skipped))
			total += __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
	}
	return total;
}

struct server *lb_weighted_slot(struct proxy *be, int backup, const struct server *avoid,
				int *skipped, long long slot)
{
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

static struct server *pick_class(struct proxy *be, int backup, struct server *avoid,
				 const struct sockaddr_storage *cli, int *skipped)
{
	switch (be->lbalgo) {
	case LB_LEASTCONN: return lb_lc_pick(be, backup, avoid, skipped);
	case LB_SOURCE:    return lb_source_pick(be, backup, avoid, cli, skipped);
	case LB_FIRST:     return lb_first_pick(be, backup, avoid, skipped);
	case LB_RANDOM:    return lb_random_pick(be, backup, avoid, skipped);
	default:           return lb_rr_pick(be, backup, avoid, skipped);
	}
}

struct server *lb_pick(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli)
{
	struct server *s;
	int skipped = 0;

	s = pick_class(be, 0, avoid, cli, &skipped);
	if (!s)
		s = pick_class(be, 1, avoid, cli, &skipped);
	if (!s && skipped && avoid && srv_usable(avoid))
		s = avoid;  /* the only usable one: better than nothing */
	return s;
}

int lb_has_full(const struct proxy *be)
{
	const struct list *l;

	list_for_each(l, &be->servers) {
		const struct server *s = list_entry(l, struct server, link);
		int st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

		if ((st == SRV_ST_RUNNING || st == SRV_ST_STARTING) &&
		    !(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & (SRV_ADMF_MAINT | SRV_ADMF_DRAIN)) &&
		    __atomic_load_n(&s->eweight, __ATOMIC_RELAXED) > 0 && s->maxconn &&
		    __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED) >= s->maxconn)
			return 1;
	}
	return 0;
}
