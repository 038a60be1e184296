/* first: the first server (in id order, i.e. configuration order) that has
 * a free slot below its maxconn, so that a few servers take all the load
 * and the others can be stopped (HAProxy's `balance first`). */
#include <tandem/lb.h>
#include "lb_int.h"

struct server *lb_first_pick(struct proxy *be, struct lb_req *rq)
{
	struct list *l;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		if (lb_candidate(s, rq))
			return s;
	}
	return NULL;
}
