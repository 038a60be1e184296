/* The load: C client connections in a closed loop (each sends its next
 * request when the previous one is over), keep-alive or one connection
 * per request, optionally capped at R requests/s in total, GET of a path
 * mixed with POST /write carrying a unique X-Request-Id. */
#ifndef CHAOS_LOAD_H
#define CHAOS_LOAD_H
#include <stdint.h>
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
};

struct load;

struct client {
	struct hc       hc;
	struct ev_timer wait;       /* pacing or pause after an error */
	struct load    *ld;
	int             busy;
};

struct load {
	struct load_opts o;
	struct meas     *m;
	struct client   *cl;
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
/* Drop what is still in flight (counted in m->unfinished) and free. */
void load_free(struct load *ld);

#endif
