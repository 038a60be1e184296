/* hc: one non-blocking HTTP/1.1 client connection driven by tandem's event
 * loop. One request at a time; the connection is kept alive between
 * requests unless either side asks to close. The load generator runs many,
 * fault actions and the LB-status poller use one each.
 *
 * Every outcome is reported once, through the callback, never from inside
 * hc_send() itself (immediate failures are deferred to a loop task), so the
 * callback may start the next request at once. */
#ifndef CHAOS_HC_H
#define CHAOS_HC_H
#include <stdint.h>
#include <tandem/buf-t.h>
#include <tandem/loop-t.h>
#include <tandem/h1-t.h>
#include "util.h"

#define HC_NODE_MAX 33

/* Outcome of a request. The transport kinds are the client-visible error
 * classes of the report. */
enum hc_err {
	HC_OK = 0,
	HC_E_CONNECT,   /* connect refused / failed */
	HC_E_RESET,     /* ECONNRESET or EPIPE while sending or reading */
	HC_E_CLOSED,    /* connection closed before the response was complete */
	HC_E_TIMEOUT,   /* no complete response within the request's deadline */
	HC_E_BAD,       /* response that does not parse (head or chunked framing) */
};

struct hc_resp {
	int         err;                /* enum hc_err */
	int         status;             /* HTTP status when err == HC_OK */
	char        node[HC_NODE_MAX];  /* X-Node value, "" when absent */
	uint64_t    t_start_us;         /* when hc_send() was called */
	uint64_t    t_end_us;           /* when the outcome was known */
	const char *body;               /* kept body (see keep_body), valid during the callback */
	size_t      body_len;
};

struct hc;
typedef void (*hc_cb)(struct hc *c, const struct hc_resp *r);

struct hc {
	struct ev_io    io;          /* io.fd < 0: no connection */
	struct ev_timer tmr;         /* request deadline */
	struct ev_task  task;        /* deferred report of an immediate failure */
	struct target   dst;
	int             state;       /* internal (HCS_*) */
	int             pending_err; /* what the task reports */
	int             head_req;    /* request is HEAD: response has no body */
	int             close_after; /* close once the response is complete */
	int             body_mode;   /* internal */
	uint64_t        body_left;
	struct h1_chunk ck;
	struct buf      out, in;
	uint64_t        t0_us;
	int             status;
	char            node[HC_NODE_MAX];
	size_t          keep_body;   /* keep up to this many body bytes (0: discard) */
	char           *body;
	size_t          body_len;
	hc_cb           cb;
	void           *ctx;
};

/* Prepare <c> for requests to <dst>. No connection is made yet. */
void hc_init(struct hc *c, const struct target *dst, hc_cb cb, void *ctx);
/* Send the complete request <req> (head and body) and report its outcome
 * within <timeout_ms>. Reuses the open connection if any, else connects.
 * <close_after>: close once the response is in (the request should say
 * "Connection: close"). <head_req>: the request is HEAD. Returns 0, or -1
 * if <c> is busy or memory ran out (nothing will be reported). */
int hc_send(struct hc *c, const char *req, size_t len, int head_req, int close_after,
	    uint64_t timeout_ms);
/* Is a request in progress? */
int hc_busy(const struct hc *c);
/* Drop the connection and any request in progress (no report). */
void hc_close(struct hc *c);
/* hc_close() and release the buffers. */
void hc_free(struct hc *c);
/* Name of an hc_err ("connect", "reset", ...). */
const char *hc_err_name(int err);

/* Blocking convenience for set-up and tear-down, outside any running loop:
 * GET <path> from <dst>, running loop <l> until the answer or <timeout_ms>.
 * The body (up to <cap>-1 bytes, NUL-terminated) goes to <body> if not
 * NULL. Returns the status, or -1 with *err set (enum hc_err). */
int hc_fetch(struct loop *l, const struct target *dst, const char *path, uint64_t timeout_ms,
	     char *body, size_t cap, int *err);
/* The same with any method (no body) and the answer's X-Node into <node>
 * (HC_NODE_MAX bytes) when not NULL. */
int hc_request(struct loop *l, const struct target *dst, const char *method, const char *path,
	       uint64_t timeout_ms, char *body, size_t cap, char *node, int *err);

#endif
