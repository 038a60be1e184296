/* Smooth weighted round-robin (the algorithm nginx uses): every pick adds
 * each candidate's weight to its current weight, chooses the largest, and
 * subtracts the total from the winner. Weights 3:1 give A A B A, i.e. the
 * exact ratio, spread evenly. State is per thread (srv_thr.lb_cw), so picks
 * take no lock; each thread on its own keeps the exact ratio. */
#include <tandem/lb.h>
#include <tandem/worker.h>
#include "lb_int.h"

int lb_swrr_step(const int *weight, int *cw, int n)
{
	int i, best = -1, total = 0;

	for (i = 0; i < n; i++) {
		cw[i] += weight[i];
		total += weight[i];
		if (best < 0 || cw[i] > cw[best])
			best = i;
	}
	if (best >= 0)
		cw[best] -= total;
	return best;
}

struct server *lb_rr_pick(struct proxy *be, struct lb_req *rq)
{
	struct server *best = NULL;
	struct list *l;
	int total = 0, tid = this_thr ? this_thr->id : 0;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		int w;

		if (!lb_candidate(s, rq))
			continue;
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
