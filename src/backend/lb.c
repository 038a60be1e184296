/* Server selection. Only roundrobin and static-rr exist so far; both use
 * the smooth weighted round-robin (static-rr differs only in that its
 * weights cannot change at run time, which the admin socket enforces). */
#include <tandem/lb.h>
#include <tandem/worker.h>

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

/* One SWRR round over the usable servers of one class (active/backup). */
static struct server *pick_class(struct proxy *be, int backup, struct server *avoid, int *skipped)
{
	struct server *best = NULL;
	struct list *l;
	int total = 0, tid = this_thr ? this_thr->id : 0;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		int w;

		if (s->backup != backup || !srv_usable(s))
			continue;
		if (s == avoid) {
			*skipped = 1;
			continue;
		}
		w = __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
		s->thr[tid].lb_cw += w;
		total += w;
		if (!best || s->thr[tid].lb_cw > best->thr[tid].lb_cw)
			best = s;
	}
	if (best)
		best->thr[tid].lb_cw -= total;
	return best;
}

struct server *lb_pick(struct proxy *be, struct server *avoid)
{
	struct server *s;
	int skipped = 0;

	s = pick_class(be, 0, avoid, &skipped);
	if (!s)
		s = pick_class(be, 1, avoid, &skipped);
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
