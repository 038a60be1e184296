#ifndef TANDEM_CONN_H
#define TANDEM_CONN_H
#include <sys/types.h>
#include <sys/uio.h>
#include <tandem/conn-t.h>

/* Set up <c> around <fd> and register it (edge-triggered) with the
 * calling thread's loop, with <cb> as its I/O callback. Returns 0 or -1. */
int conn_init(struct conn *c, int fd, void (*cb)(struct ev_io *, uint32_t), void *ctx);
/* Translate epoll events into readiness flags. */
void conn_note_events(struct conn *c, uint32_t ev);
/* Read what fits into c->in (allocated with <bufsize> if needed).
 * Returns bytes read, 0 when nothing could be read now (not ready, or
 * buffer full), -1 when the peer closed (CF_EOF) or failed (CF_ERROR). */
ssize_t conn_recv(struct conn *c, size_t bufsize);
/* Gathered write. Returns bytes written (possibly 0 when not writable),
 * or -1 on error (CF_ERROR set). */
ssize_t conn_sendv(struct conn *c, struct iovec *iov, int n);
/* Drive the transport's handshake (TLS): 1 done (always for a plain
 * socket), 0 in progress (call again on the next event), -1 failed
 * (CF_ERROR set; the transport keeps why). */
int conn_handshake(struct conn *c);
/* Shut the write side: the transport says goodbye first (TLS
 * close_notify), then the socket's SHUT_WR. Sets CF_SHUTW. */
void conn_shutw(struct conn *c);
/* Unregister and close the socket (idempotent); frees the input buffer. */
void conn_close(struct conn *c);
/* Allocate / free a heap connection (server side). conn_free_deferred
 * closes now and frees after the current I/O round. */
struct conn *conn_new(void);
void conn_free_deferred(struct conn *c);

#endif
