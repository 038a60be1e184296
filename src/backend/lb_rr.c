/* roundrobin, static-rr: smooth weighted round-robin (nginx's algorithm),
 * in one order shared by every thread.
 *
 * The period. For servers of weights w1..wn (divided by their greatest
 * common divisor; total W), W steps of smooth weighted round-robin -- each
 * step adds every weight to its server's current weight, chooses the
 * highest (the first on ties) and subtracts W from it -- give each server
 * exactly wi picks, spread evenly (3:1 gives A A B A), and bring every
 * current weight back to 0: the sequence repeats with period W.
 *
 * The schedule. That period is computed once into an array of W slots per
 * class of servers (active, backup). A pick takes the backend's next
 * ticket with one atomic increment and reads slot[ticket % W]: no lock,
 * and since all threads draw from one counter, the requests of all
 * threads together follow the period exactly, as in a single thread.
 *
 * Refusals. The slot's server is checked when it is read: one that is
 * full (maxconn), the one that just failed (redispatch) or one that went
 * down since the schedule was made is passed over for the server of the
 * next ticket that can take the request (rr_take), so the others keep
 * their order and their shares.
 *
 * Changes. Everything that alters a server's state, admin flags or weight,
 * or a backend's server list, bumps proxy.lb_gen (srv_state.h). The first
 * thread to pick after that rebuilds the schedules from the servers' values
 * (one builder at a time, by an atomic flag; the other threads keep picking
 * from the previous schedule meanwhile, checking each server as above).
 * The ticket goes on counting across a rebuild, so frequent changes (a
 * slowstart ramp) do not favour the head of the period.
 *
 * Publication. Each class has two schedules: the builder rewrites the one
 * not in use and then publishes it by its index. A reader checks a
 * sequence number around its read and reads again if the builder started
 * rewriting that schedule meanwhile (it can only be two rebuilds late).
 * Whatever it reads is safe to touch: a slot array is filled before it is
 * published, slots only ever hold valid servers (servers are never freed
 * while the worker runs, see srv_admin.h), and an array replaced by a
 * bigger one is kept until lb_free().
 *
 * Cost. A rebuild is W steps of O(n). Beyond RR_MAX_WORK the weights are
 * halved until it fits, and the ratio is then approximate: with weights of
 * at most 256 this needs more than 256 servers, with large and different
 * weights (equal weights reduce to 1 by their gcd). */
#include <stdlib.h>
#include <string.h>
#include <tandem/lb.h>
#include <tandem/srv_state.h>
#include "lb_int.h"

#define RR_MAX_WORK (1ull << 24)   /* period length x servers per rebuild */
#define RR_MAX_BURN 32             /* refused tickets before searching the period */

#define LD(x)      __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v)   __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

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

static int gcd(int a, int b)
{
	while (b) {
		int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* ---- building (one thread at a time) ------------------------------------ */

static int scratch_room(struct lb_rr *rr, int n)
{
	struct server **c;
	int *w, *cw, cap = rr->ncap ? rr->ncap : 8;

	if (n <= rr->ncap)
		return 0;
	while (cap < n)
		cap *= 2;
	c = realloc(rr->cand, (size_t)cap * sizeof(*c));
	if (c)
		rr->cand = c;
	w = realloc(rr->w, (size_t)cap * sizeof(*w));
	if (w)
		rr->w = w;
	cw = realloc(rr->cw, (size_t)cap * sizeof(*cw));
	if (cw)
		rr->cw = cw;
	if (!c || !w || !cw)
		return -1;
	rr->ncap = cap;
	return 0;
}

/* Gather the usable servers of class <backup> and their weights, reduced;
 * returns their number and sets *total to the period length. */
static int gather(struct proxy *be, struct lb_rr *rr, int backup, unsigned long long *total)
{
	struct list *l;
	int i, n = 0, g = 0;

	list_for_each(l, &be->servers) {
		struct server *s = list_entry(l, struct server, link);
		int w;

		if (s->backup != backup || !srv_usable(s))
			continue;
		w = LD(s->eweight);
		if (w <= 0)           /* changed since srv_usable(): skip it */
			continue;
		if (scratch_room(rr, n + 1) < 0)
			return -1;
		rr->cand[n] = s;
		rr->w[n] = w;
		g = gcd(w, g);
		n++;
	}
	*total = 0;
	for (i = 0; i < n; i++) {
		rr->w[i] /= g;
		rr->cw[i] = 0;
		*total += (unsigned long long)rr->w[i];
	}
	/* bound the work of a rebuild (see the top of the file) */
	while (n && *total != (unsigned long long)n && *total * (unsigned long long)n > RR_MAX_WORK) {
		*total = 0;
		for (i = 0; i < n; i++) {
			rr->w[i] = (rr->w[i] + 1) / 2;
			*total += (unsigned long long)rr->w[i];
		}
	}
	return n;
}

/* Keep an array that a late reader may still hold until lb_free(). */
static int retire(struct lb_rr *rr, struct server **old)
{
	struct server ***r;

	if (!old)
		return 0;
	r = realloc(rr->retired, (size_t)(rr->nretired + 1) * sizeof(*r));
	if (!r)
		return -1;
	rr->retired = r;
	rr->retired[rr->nretired++] = old;
	return 0;
}

/* Rewrite the schedule of class <backup> that is not in use from the
 * servers' values now, then publish it. Returns 0, or -1 when out of
 * memory (the published schedule stays as it was). */
static int rr_build(struct proxy *be, struct lb_rr *rr, int backup)
{
	struct lb_rr_class *c = &rr->cls[backup];
	int idx = !__atomic_load_n(&c->cur, __ATOMIC_RELAXED);
	struct lb_sched *b = &c->sched[idx];
	struct server **slot = b->slot;
	unsigned long long total, k;
	unsigned seq = b->seq;
	int n = gather(be, rr, backup, &total);

	if (n < 0 || total > 0xffffffffull)
		return -1;
	if (total > b->cap) {
		unsigned cap = b->cap ? b->cap : 16;

		while (cap < total)
			cap = cap > 0x7fffffffu ? (unsigned)total : cap * 2;
		slot = calloc(cap, sizeof(*slot));
		if (!slot || retire(rr, b->slot) < 0) {
			free(slot);
			return -1;
		}
		b->cap = cap;
	}
	/* readers still on this schedule (two rebuilds late) see an odd
	 * sequence, or a changed one after their read, and read again */
	ST(b->seq, seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (k = 0; k < total; k++)
		ST(slot[k], rr->cand[total == (unsigned long long)n ? (int)k : lb_swrr_step(rr->w, rr->cw, n)]);
	/* the array before the length that covers it, both before the
	 * sequence: a reader that sees the length sees a filled array */
	__atomic_store_n(&b->slot, slot, __ATOMIC_RELEASE);
	__atomic_store_n(&b->len, (unsigned)total, __ATOMIC_RELEASE);
	__atomic_store_n(&b->seq, seq + 2, __ATOMIC_RELEASE);
	__atomic_store_n(&c->cur, idx, __ATOMIC_RELEASE);
	return 0;
}

/* Rebuild the schedules if a server changed since they were made, unless
 * another thread is already at it. */
static void rr_refresh(struct proxy *be, struct lb_rr *rr)
{
	unsigned gen = __atomic_load_n(&be->lb_gen, __ATOMIC_ACQUIRE);

	if (gen == LD(rr->gen))
		return;
	if (__atomic_exchange_n(&rr->building, 1, __ATOMIC_ACQUIRE))
		return;
	gen = __atomic_load_n(&be->lb_gen, __ATOMIC_ACQUIRE);
	if (rr_build(be, rr, 0) == 0 && rr_build(be, rr, 1) == 0)
		ST(rr->gen, gen);
	__atomic_store_n(&rr->building, 0, __ATOMIC_RELEASE);
}

static void rr_state_free(struct lb_rr *rr)
{
	int i;

	for (i = 0; i < 2; i++) {
		free(rr->cls[i].sched[0].slot);
		free(rr->cls[i].sched[1].slot);
	}
	for (i = 0; i < rr->nretired; i++)
		free(rr->retired[i]);
	free(rr->retired);
	free(rr->cand);
	free(rr->w);
	free(rr->cw);
	free(rr);
}

/* The backend's state, made (with its first schedules) on its first pick. */
static struct lb_rr *rr_state(struct proxy *be)
{
	struct lb_rr *rr = __atomic_load_n(&be->lb_rr, __ATOMIC_ACQUIRE), *cur = NULL;

	if (rr)
		return rr;
	rr = aligned_alloc(_Alignof(struct lb_rr), sizeof(*rr));
	if (!rr)
		return NULL;
	memset(rr, 0, sizeof(*rr));
	rr->gen = __atomic_load_n(&be->lb_gen, __ATOMIC_ACQUIRE) - 1;   /* not built yet */
	rr_refresh(be, rr);
	if (__atomic_compare_exchange_n(&be->lb_rr, &cur, rr, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return rr;
	rr_state_free(rr);    /* another thread was first */
	return cur;
}

void lb_free(struct proxy *be)
{
	if (be->lb_rr)
		rr_state_free(be->lb_rr);
	be->lb_rr = NULL;
	lb_chash_free(be);
}

/* ---- picking (any thread) ------------------------------------------------ */

/* Take the next ticket of class <c> and the server of its slot, or, when
 * that one cannot take the request, the server of a following ticket that
 * can: the refused slots are used up, so the others keep their order and
 * their shares (with A, B, C and B full: A C A C). A walk of the live list
 * first tells whether any server can (noting full and avoided ones in
 * <rq>), so a backend where none can costs O(servers), and one that can
 * but is not in the schedule yet (it came up since the last rebuild) is
 * taken as found. After RR_MAX_BURN refused tickets the rest of the period
 * is searched without taking more. */
static struct server *rr_take(struct proxy *be, struct lb_rr_class *c, struct server **slot,
			      unsigned len, struct lb_req *rq)
{
	unsigned t = __atomic_fetch_add(&c->ticket, 1, __ATOMIC_RELAXED);
	struct server *s, *found = NULL;
	struct list *l;
	unsigned k;

	if (len && lb_candidate((s = LD(slot[t % len])), rq))
		return s;
	list_for_each(l, &be->servers) {
		s = list_entry(l, struct server, link);
		if (lb_candidate(s, rq)) {
			found = s;
			break;
		}
	}
	if (!found)
		return NULL;
	for (k = 0; k < len && k < RR_MAX_BURN; k++) {
		t = __atomic_fetch_add(&c->ticket, 1, __ATOMIC_RELAXED);
		if (lb_candidate((s = LD(slot[t % len])), rq))
			return s;
	}
	for (k = 1; k < len; k++)
		if (lb_candidate((s = LD(slot[(t + k) % len])), rq))
			return s;
	return found;
}

struct server *lb_rr_pick(struct proxy *be, struct lb_req *rq)
{
	struct lb_rr *rr = rr_state(be);
	struct lb_rr_class *c;

	if (!rr) {   /* out of memory: still serve, in list order */
		struct lb_rr_class none = { .ticket = 0 };
		return rr_take(be, &none, NULL, 0, rq);
	}
	rr_refresh(be, rr);
	c = &rr->cls[rq->backup];
	for (;;) {
		struct lb_req save = *rq;
		struct lb_sched *b = &c->sched[__atomic_load_n(&c->cur, __ATOMIC_ACQUIRE)];
		unsigned seq = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE), len;
		struct server **slot, *s;

		if (seq & 1)
			continue;    /* two rebuilds late: another one is published now */
		len = __atomic_load_n(&b->len, __ATOMIC_ACQUIRE);
		slot = __atomic_load_n(&b->slot, __ATOMIC_ACQUIRE);
		s = rr_take(be, c, slot, len, rq);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (LD(b->seq) == seq)
			return s;
		*rq = save;  /* raced with a rewrite of this schedule: again */
	}
}
