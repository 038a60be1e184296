/* Server selection: the candidate filter and dispatch to the algorithm of
 * the backend (`balance`). Each algorithm lives in its own file:
 * lb_rr.c (roundrobin, static-rr: smooth weighted round-robin),
 * lb_lc.c (leastconn), lb_hash.c (source and the request-key hashes:
 * uri, url_param, hdr(), rdp-cookie, hash; map-based), lb_chash.c
 * (consistent hashing), lb_first.c (first), lb_random.c (random(N): power
 * of N choices). */
#include <tandem/lb.h>
#include <tandem/srv_state.h>
#include "lb_int.h"

long long lb_total_weight(struct proxy *be, struct lb_req *rq)
{
	struct list *l;
	long long total = 0;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		if (lb_candidate(s, rq))
			total += __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
	}
	return total;
}

struct server *lb_weighted_slot(struct proxy *be, struct lb_req *rq, long long slot)
{
	struct list *l;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		if (!lb_candidate(s, rq))
			continue;
		slot -= __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
		if (slot < 0)
			return s;
	}
	return NULL;
}

static struct server *pick_class(struct proxy *be, struct lb_req *rq)
{
	switch (be->lbalgo) {
	case LB_LEASTCONN: return lb_lc_pick(be, rq);
	case LB_SOURCE:    return lb_source_pick(be, rq);
	case LB_FIRST:     return lb_first_pick(be, rq);
	case LB_RANDOM:    return lb_random_pick(be, rq);
	case LB_HASH:      return lb_hash_pick(be, rq);
	default:           return lb_rr_pick(be, rq);
	}
}

struct server *lb_pick(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli)
{
	return lb_pick_key(be, avoid, cli, 0, 0);
}

struct server *lb_pick_key(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli,
			   uint32_t hash, int has_hash)
{
	return lb_pick_keep(be, avoid, cli, hash, has_hash, NULL);
}

struct server *lb_pick_keep(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli,
			    uint32_t hash, int has_hash, struct server **keep)
{
	struct lb_req rq = { .backup = 0, .avoid = avoid, .cli = cli, .hash = hash, .has_hash = has_hash };
	struct server *s;

	if (keep)
		*keep = NULL;
	if (be->dispatch_srv)
		return be->dispatch_srv;   /* `dispatch` without `balance`: every placed request */
	s = pick_class(be, &rq);
	if (!s && rq.keep && keep) {
		*keep = rq.keep;   /* the key's server is full: wait for it */
		return NULL;
	}
	/* a full active server still serves (its requests queue): the
	 * backups stay out, as in HAProxy */
	if (!s && !rq.busy) {
		rq.backup = 1;
		s = pick_class(be, &rq);
	}
	if (!s && rq.skipped && avoid && srv_usable(avoid) && !srv_full(avoid))
		s = avoid;  /* the only one that can take it: better than nothing */
	return s;
}

int lb_has_full(const struct proxy *be)
{
	const struct list *l;

	list_for_each(l, &be->servers) {
		const struct server *s = list_entry(l, struct server, link);

		if (srv_usable(s) && srv_full(s))
			return 1;
	}
	return 0;
}
