#ifndef TANDEM_STREAM_H
#define TANDEM_STREAM_H
#include <tandem/stream-t.h>

/* Timer callback re-trying this thread's queued streams. */
struct ev_timer;
void stream_queue_tick(struct ev_timer *t);
/* Free this thread's pool of streams and empty session blocks (the thread
 * is ending). */
void stream_pool_flush(void);
void sess_blocks_flush(void);
/* The servers' state changed: move the requests of this thread waiting on
 * a server now DOWN or in maintenance to other servers, when that is safe
 * (src/proxy/stream_fail.c). Logs how many moved, per server. */
void stream_srv_gone_scan(void);

/* http_head.c: build the heads sent on each side. Return 0, -1 if they do not fit. */
int http_build_req_head(struct stream *s, const struct h1_msg *m, struct buf *out);
int http_build_rsp_head(struct stream *s, const struct h1_msg *m, struct buf *out);

#endif
