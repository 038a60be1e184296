/* Private to src/backend: one pick function per algorithm. Each returns a
 * server of the class asked for (active or backup) that can take the
 * request now: usable (srv_state.h), below its maxconn, and not the server
 * to avoid; or NULL. On the way it notes in the request what it saw. */
#ifndef TANDEM_LB_INT_H
#define TANDEM_LB_INT_H
#include <sys/socket.h>
#include <tandem/proxy-t.h>
#include <tandem/srv_state.h>

/* One pick: what is asked, and what the algorithm learned on the way. */
struct lb_req {
	int backup;                              /* the class: 0 active, 1 backup servers */
	const struct server *avoid;              /* the server that just failed (redispatch), or NULL */
	const struct sockaddr_storage *cli;      /* the client's address (source hashing), or NULL */
	uint32_t hash;                           /* LB_HASH: the request's key, hashed (lb_hash_key) */
	int has_hash;                            /* the request has a key (else round robin) */
	int skipped;                             /* <avoid> is usable and was refused only for being <avoid> */
	int busy;                                /* a usable server of the class is full (at its maxconn) */
	struct server *keep;                     /* hashing: the key's server, full: the request waits for it */
};

/* Can <s> take the request <rq> (class, usable, not full, not avoided)?
 * Notes a full or an avoided server in <rq>. */
static inline int lb_candidate(const struct server *s, struct lb_req *rq)
{
	if (s->backup != rq->backup || !srv_usable(s))
		return 0;
	if (s == rq->avoid) {
		rq->skipped = 1;
		return 0;
	}
	if (srv_full(s)) {
		rq->busy = 1;
		return 0;
	}
	return 1;
}
/* Sum of the effective weights of the candidates (0: none). */
long long lb_total_weight(struct proxy *be, struct lb_req *rq);
/* The candidate owning weight unit <slot> (0 <= slot < total weight), in
 * configuration order: the weighted map both source and random use. */
struct server *lb_weighted_slot(struct proxy *be, struct lb_req *rq, long long slot);

struct server *lb_rr_pick(struct proxy *be, struct lb_req *rq);
struct server *lb_lc_pick(struct proxy *be, struct lb_req *rq);
struct server *lb_source_pick(struct proxy *be, struct lb_req *rq);
struct server *lb_first_pick(struct proxy *be, struct lb_req *rq);
struct server *lb_random_pick(struct proxy *be, struct lb_req *rq);
struct server *lb_hash_pick(struct proxy *be, struct lb_req *rq);
/* lb_chash.c: the server of hash <h> on the consistent ring of <rq>'s class. */
struct server *lb_chash_pick(struct proxy *be, struct lb_req *rq, uint32_t h);

/* One step of smooth weighted round-robin over <n> servers (nginx's
 * algorithm): adds each weight to its current weight <cw>, chooses the
 * highest (the first on ties) and subtracts the total from it. Returns the
 * index chosen. lb_rr.c builds its schedules with it. */
int lb_swrr_step(const int *weight, int *cw, int n);

#endif
