/* The load: C client connections in a closed loop (each sends its next
 * request when the previous one is over), keep-alive or one connection
 * per request, optionally capped at R requests/s in total, GET of a path
 * mixed with POST /write carrying a unique X-Request-Id. Optionally a fixed
 * number of requests in all (ab's -n), or a number of connections that
 * follows stages (k6's ramping stages). */
#ifndef CHAOS_LOAD_H
#define CHAOS_LOAD_H
#include <stdint.h>

#define MAX_STAGES 16
#define MAX_CONNS  10000

/* k6's stage: over <ms>, the number of connections goes linearly from what
 * it was to <target>. */
struct stage {
	uint64_t ms;
	int      target;
};
#include <tandem/loop-t.h>
#include "hc.h"
#include "meas.h"
#include "util.h"

struct load_opts {
	struct target dst;          /* where to send, dst.path is the GET path */
	int           conns;
	int           new_conn;     /* a new connection per request */
	double        rate;         /* total requests/s, 0: as fast as answers come */
	double        post_ratio;   /* share of POST /write, 0..1 */
	uint64_t      req_timeout_ms;
	unsigned      error_pause_ms; /* a connection pauses this long after a transport error */
	uint64_t      count;        /* send this many requests in all, then stop (0: no limit) */
	int           nstages;      /* with stages, <conns> is the number at the start */
	struct stage  stages[MAX_STAGES];
};

struct load;

struct client {
	struct hc       hc;
	struct ev_timer wait;       /* pacing or pause after an error */
	struct load    *ld;
	int             busy;
	int             active;     /* sends requests (stages switch clients on and off) */
};

struct load {
	struct load_opts o;
	struct meas     *m;
	struct client   *cl;
	int              ncl;       /* clients allocated: the most any stage wants */
	int              nactive;
	struct ev_timer  stage_tmr;
	uint64_t         t0_ms;
	int              stopping;
	int              inflight;
	uint64_t         next_slot_us;
	uint64_t         rid;
	uint64_t         rng;
	char             tag[20];   /* makes request ids unique across runs */
	char             get_req[512];
	size_t           get_len;
};

/* Start the clients on this thread's loop. 0 or -1. */
int load_start(struct load *ld, const struct load_opts *o, struct meas *m);
/* Send no new request (those in flight go on). */
void load_stop(struct load *ld);
/* With a request count: every request was sent (and none is in flight). */
int load_count_done(const struct load *ld);
/* Sum of the stages' durations (0 without stages). */
uint64_t stages_ms(const struct load_opts *o);
/* Parse "30s:20,1m:50,30s:0" into o->stages. 0, or -1. */
int stages_parse(struct load_opts *o, const char *spec);
/* Drop what is still in flight (counted in m->unfinished) and free. */
void load_free(struct load *ld);

#endif
