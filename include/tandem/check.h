/* Server health: one state per server, fed by active checks (src/check/)
 * and by passive observation of live traffic (stream.c calls srv_observe).
 * Every state change goes through this module, which logs HAProxy's
 * phrases ("Server app/a is DOWN, reason: ...") and keeps the counters. */
#ifndef TANDEM_CHECK_H
#define TANDEM_CHECK_H
#include <tandem/proxy-t.h>

/* What live traffic taught us about a server (any worker thread). */
enum obs_event {
	OBS_CONN_OK = 0,    /* connection established (layer 4 success) */
	OBS_CONN_ERR,       /* refused, reset, unreachable (layer 4 failure) */
	OBS_CONN_TIMEOUT,   /* `timeout connect` expired */
	OBS_RESP_OK,        /* a valid response head, status not counted as error */
	OBS_RESP_ERR,       /* 5xx counted as error by observe layer7 (500-504 except 501/505) */
	OBS_RESP_BAD,       /* invalid, empty or truncated response */
	OBS_RESP_TIMEOUT,   /* `timeout server` expired before the response */
};

/* Report one observation about <s> (thread-safe, cheap on success). */
void srv_observe(struct server *s, enum obs_event ev);

/* Start health checks for every server with `check`, spread over the
 * worker threads (called once per thread from the worker, after loop
 * setup, with that thread's id). */
void checks_start_thread(struct cfg *cfg, int tid, int nbthread);
/* Stop this thread's checks (soft/hard stop). */
void checks_stop_thread(int tid);

#endif
