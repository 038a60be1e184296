/* Load balancing: run-time state of a backend's round-robin
 * (src/backend/lb_rr.c explains the scheme). */
#ifndef TANDEM_LB_T_H
#define TANDEM_LB_T_H

struct server;

/* One smooth weighted round-robin period, written by one thread while
 * others may read it: a sequence lock tells readers that they raced with
 * a rewrite and must read again. */
struct lb_sched {
	unsigned        seq;     /* even: stable; odd: being rewritten (atomic) */
	unsigned        len;     /* slots in use: one period; 0 = no usable server */
	unsigned        cap;     /* slots allocated */
	struct server **slot;    /* slot[k]: the server of pick k of the period */
};

/* Active (0) or backup (1) servers of a backend. */
struct lb_rr_class {
	/* the next pick's number, taken by every thread (atomic): alone on
	 * its cache line so that taking it does not evict the schedule. 32
	 * bits: a cheaper division; the wrap every 2^32 picks only shifts the
	 * position in the period once. */
	_Alignas(64) unsigned ticket;
	_Alignas(64) int cur;    /* the published schedule: sched[cur] (atomic) */
	struct lb_sched sched[2];
};

struct lb_rr {
	struct lb_rr_class cls[2];
	unsigned gen;            /* proxy.lb_gen the schedules were built from */
	int      building;       /* a thread is rebuilding (atomic flag) */
	/* the builder's scratch space (one builder at a time) */
	struct server **cand;
	int     *w, *cw;
	int      ncap;
	/* slot arrays replaced by bigger ones: a late reader may still be
	 * looking at one (it then reads again), so they are freed only with
	 * the whole state (lb_free) */
	struct server ***retired;
	int      nretired;
};

#endif
