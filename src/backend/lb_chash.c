/* Consistent hashing (`hash-type consistent`): each usable server owns
 * points on a 32-bit ring, as many as its effective weight times
 * CH_PPW; a key goes to the server of the point closest to its hash
 * (HAProxy's rule: the nearer of the points before and after it).
 *
 * - Stability: a point's position depends only on its server's id
 *   (`id`, else its position in the backend) and its rank, never on the
 *   other servers. When a server leaves, only the keys whose nearest point
 *   was one of its points move, each to a neighbour; when it comes back,
 *   exactly those keys come back. With N equal servers that is about 1/N
 *   of the keys (doc/persistence.md gives the measured numbers).
 * - Weights: the number of points, so the share of keys, follows the
 *   effective weight (slowstart ramps change it step by step).
 * - Bounded loads (`hash-balance-factor F`): a server with more requests
 *   in progress than F% of the average (per weight unit) is passed over
 *   for the next point's server, so a hot key spills over instead of
 *   overloading its server.
 * - A full server (at its maxconn) keeps its keys: the request waits in
 *   the queue for it (HAProxy's behaviour), the affinity is kept.
 *
 * Publication is lb_rr.c's: the rings are rebuilt by the first thread
 * that picks after the backend's lb_gen moved (one builder at a time),
 * into the copy not in use, published by index under a sequence number;
 * a reader that raced with two rebuilds reads again. Point arrays replaced
 * by bigger ones are kept until lb_free(), so a late reader stays safe. */
#include <stdlib.h>
#include <string.h>
#include <tandem/hash.h>
#include <tandem/lb.h>
#include <tandem/persist-t.h>
#include <tandem/srv_state.h>
#include "lb_int.h"

#define CH_PPW 40   /* points per unit of weight */

struct ch_node {
	uint32_t       key;
	struct server *srv;
};

struct ch_ring {
	unsigned        seq;      /* odd while being rewritten (atomic) */
	unsigned        len, cap;
	struct ch_node *node;
};

struct ch_class {
	int            cur;       /* the published ring (atomic) */
	struct ch_ring ring[2];
};

struct lb_chash {
	struct ch_class cls[2];   /* active, backup */
	unsigned        gen;      /* lb_gen the rings were built from */
	int             building;
	struct ch_node **retired;
	int             nretired;
};

#define LD(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

/* The ring position of point <rank> of the server with id <puid>. */
static uint32_t point_key(int puid, unsigned rank)
{
	uint64_t z = ((uint64_t)(uint32_t)puid << 32 | rank) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint32_t)(z >> 32);
}

static int cmp_node(const void *a, const void *b)
{
	const struct ch_node *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	/* equal keys (rare): a stable order by server id */
	return x->srv->puid < y->srv->puid ? -1 : x->srv->puid > y->srv->puid;
}

static int build_class(struct lb_chash *ch, struct proxy *be, int backup)
{
	struct ch_class *c = &ch->cls[backup];
	int next = !LD(c->cur);
	struct ch_ring *r = &c->ring[next];
	unsigned need = 0, n = 0;
	struct list *l;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);

		if (s->backup == backup && srv_usable(s))
			need += (unsigned)__atomic_load_n(&s->eweight, __ATOMIC_RELAXED) * CH_PPW;
	}
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);   /* odd: being rewritten */
	if (need > r->cap) {
		struct ch_node *nn = malloc((size_t)need * sizeof(*nn)), **rt;

		if (!nn || !(rt = realloc(ch->retired, (size_t)(ch->nretired + 1) * sizeof(*rt)))) {
			free(nn);
			__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
			return -1;
		}
		ch->retired = rt;
		if (r->node)
			rt[ch->nretired++] = r->node;
		memset(nn, 0, (size_t)need * sizeof(*nn));
		__atomic_store_n(&r->node, nn, __ATOMIC_RELEASE);
		r->cap = need;
	}
	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		unsigned pts;

		if (s->backup != backup || !srv_usable(s))
			continue;
		pts = (unsigned)__atomic_load_n(&s->eweight, __ATOMIC_RELAXED) * CH_PPW;
		for (unsigned k = 0; k < pts && n < need; k++) {
			r->node[n].key = point_key(s->puid, k);
			r->node[n].srv = s;
			n++;
		}
	}
	if (n)
		qsort(r->node, n, sizeof(*r->node), cmp_node);
	__atomic_store_n(&r->len, n, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->cur, next, __ATOMIC_RELEASE);
	return 0;
}

static struct lb_chash *state_of(struct proxy *be)
{
	struct px_persist *pp = be->persist;
	struct lb_chash *ch, *none = NULL;

	if (!pp)
		return NULL;
	if ((ch = __atomic_load_n(&pp->chash, __ATOMIC_ACQUIRE)))
		return ch;
	if (!(ch = calloc(1, sizeof(*ch))))
		return NULL;
	ch->gen = ~0u;
	if (!__atomic_compare_exchange_n(&pp->chash, &none, ch, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		free(ch);
		return none;
	}
	return ch;
}

/* Rebuild when the backend changed (one builder; the others go on with
 * the rings they have). */
static void refresh(struct lb_chash *ch, struct proxy *be)
{
	unsigned gen = __atomic_load_n(&be->lb_gen, __ATOMIC_ACQUIRE);
	int zero = 0;

	if (LD(ch->gen) == gen)
		return;
	if (!__atomic_compare_exchange_n(&ch->building, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (build_class(ch, be, 0) == 0 && build_class(ch, be, 1) == 0)
		__atomic_store_n(&ch->gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&ch->building, 0, __ATOMIC_RELEASE);
}

/* The index of the point nearest to <h> in <node>[<len>] (len > 0). */
static unsigned nearest(const struct ch_node *node, unsigned len, uint32_t h)
{
	unsigned lo = 0, hi = len, nx, pv;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (node[mid].key < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	nx = lo == len ? 0 : lo;              /* first point >= h, wrapping */
	pv = nx == 0 ? len - 1 : nx - 1;      /* the one before it */
	return (uint32_t)(h - node[pv].key) <= (uint32_t)(node[nx].key - h) ? pv : nx;
}

/* Bounded loads: may <s> take one more request? */
static int within_bound(struct proxy *be, const struct server *s, int factor, long long tot_w)
{
	long long served = 1, cap;
	struct list *l;

	if (!factor || tot_w <= 0)
		return 1;
	list_for_each(l, &be->servers)
		served += __atomic_load_n(&list_entry(l, struct server, link)->cur_conns, __ATOMIC_RELAXED);
	/* F% of the average load per unit of weight, times this one's weight, rounded up */
	cap = (served * factor * __atomic_load_n(&s->eweight, __ATOMIC_RELAXED) + 100 * tot_w - 1) / (100 * tot_w);
	if (cap < 1)
		cap = 1;
	return __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED) < cap;
}

struct server *lb_chash_pick(struct proxy *be, struct lb_req *rq, uint32_t h)
{
	struct lb_chash *ch = state_of(be);
	int factor = be->persist ? be->persist->hash.balance_factor : 0;
	long long tot_w = factor ? lb_total_weight(be, rq) : 0;
	struct ch_class *c;
	struct server *found, *spare;

	if (!ch)
		return NULL;
	refresh(ch, be);
	c = &ch->cls[rq->backup];
	for (int tries = 0;; tries++) {
		int cur = LD(c->cur);
		struct ch_ring *r = &c->ring[cur];
		unsigned seq = LD(r->seq), len = LD(r->len), i;
		const struct ch_node *node = LD(r->node);

		found = spare = NULL;
		if (!(seq & 1) && len && node) {
			i = nearest(node, len, h);
			/* from the nearest point on, the first server that can take it */
			for (unsigned k = 0; k < len; k++) {
				struct server *s = node[(i + k) % len].srv;

				if (s->backup != rq->backup || !srv_usable(s))
					continue;   /* a ring older than the change: not there any more */
				if (s == rq->avoid) {
					rq->skipped = 1;
					continue;
				}
				if (!within_bound(be, s, factor, tot_w)) {
					if (!spare && !srv_full(s))
						spare = s;
					continue;
				}
				if (srv_full(s)) {
					/* its keys wait for it rather than move */
					rq->busy = 1;
					rq->keep = s;
					found = NULL;
					break;
				}
				found = s;
				break;
			}
			/* every server above its bound (cannot happen with F >= 100,
			 * kept as a guard): the first that has room */
			if (!found && !rq->busy)
				found = spare;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((!(seq & 1) && LD(r->seq) == seq && LD(c->cur) == cur) || tries > 8)
			break;
	}
	return found;
}

void lb_chash_free(struct proxy *be)
{
	struct lb_chash *ch = be->persist ? be->persist->chash : NULL;

	if (!ch)
		return;
	for (int b = 0; b < 2; b++)
		for (int k = 0; k < 2; k++)
			free(ch->cls[b].ring[k].node);
	for (int i = 0; i < ch->nretired; i++)
		free(ch->retired[i]);
	free(ch->retired);
	free(ch);
	be->persist->chash = NULL;
}

/* For tests and doc/persistence.md: the server a key goes to, as the
 * balancer would choose it with no request in progress. */
struct server *lb_chash_lookup(struct proxy *be, uint32_t h)
{
	struct lb_req rq = { 0 };

	return lb_chash_pick(be, &rq, h);
}
