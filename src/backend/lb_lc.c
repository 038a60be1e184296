/* leastconn: the server with the fewest requests in flight relative to its
 * weight (cur/weight compared by cross-multiplication, no division). Ties
 * go round-robin from a per-thread rotating start, so equal servers share
 * the load instead of the first one taking it all. */
#include <tandem/lb.h>
#include "lb_int.h"

static __thread unsigned lc_rot;

struct server *lb_lc_pick(struct proxy *be, struct lb_req *rq)
{
	struct server *best = NULL;
	long long bc = 0, bw = 1;
	unsigned idx = 0, start = lc_rot++;
	int n = be->nsrv > 0 ? be->nsrv : 1;
	struct list *l;
	int pass;

	/* two passes over the list starting at a rotating offset */
	for (pass = 0; pass < 2; pass++) {
		idx = 0;
		list_for_each(l, &be->servers) {
			struct server *s = list_entry(l, struct server, link);
			long long c, w;
			int pos = (int)(idx++ % (unsigned)n);

			if ((pass == 0) != (pos >= (int)(start % (unsigned)n)))
				continue;
			if (!lb_candidate(s, rq))
				continue;
			c = __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED);
			w = __atomic_load_n(&s->eweight, __ATOMIC_RELAXED);
			if (!best || c * bw < bc * w) {
				best = s;
				bc = c;
				bw = w;
			}
		}
	}
	return best;
}
