#ifndef TANDEM_STREAM_H
#define TANDEM_STREAM_H
#include <tandem/stream-t.h>

/* Create a stream for an accepted client socket <fd> on <bind> of frontend
 * <fe> (this thread). Closes fd and returns -1 on failure. */
int stream_new(struct proxy *fe, struct bind_conf *bind, int fd,
	       const struct sockaddr_storage *addr);
/* Soft stop: close the stream now if it is idle between requests. */
void stream_soft_stop(struct stream *s);
/* Timer callback re-trying this thread's queued streams. */
struct ev_timer;
void stream_queue_tick(struct ev_timer *t);
/* Hard stop: close it now. */
void stream_kill(struct stream *s);
/* The servers' state changed: move the requests of this thread waiting on
 * a server now DOWN or in maintenance to other servers, when that is safe
 * (src/proxy/stream_fail.c). Logs how many moved, per server. */
void stream_srv_gone_scan(void);

/* http_head.c: build the heads sent on each side. Return 0, -1 if they do not fit. */
int http_build_req_head(struct stream *s, const struct h1_msg *m, struct buf *out);
int http_build_rsp_head(struct stream *s, const struct h1_msg *m, struct buf *out);

#endif
