/* A connection: one socket, registered once in its thread's epoll in
 * edge-triggered mode. Readiness is remembered in flags so that no
 * epoll_ctl() is needed per request (I/O is attempted speculatively). */
#ifndef TANDEM_CONN_T_H
#define TANDEM_CONN_T_H
#include <stdint.h>
#include <sys/types.h>
#include <tandem/buf-t.h>
#include <tandem/list.h>
#include <tandem/loop-t.h>

enum {
	CF_RD_READY   = 1u << 0,  /* the socket may have bytes to read */
	CF_WR_READY   = 1u << 1,  /* the socket may accept bytes */
	CF_EOF        = 1u << 2,  /* read side closed by the peer */
	CF_ERROR      = 1u << 3,  /* socket error (err holds errno) */
	CF_CONNECTING = 1u << 4,  /* outgoing connect in progress */
	CF_SHUTW      = 1u << 5,  /* we shut our write side */
	CF_IDLE       = 1u << 6,  /* in a server's idle pool */
	CF_CLOSED     = 1u << 7,  /* fd closed; object awaiting deferred free */
	CF_USED       = 1u << 8,  /* carried at least one request (reuse: a failure may be a race with the server's close) */
	CF_RDHUP      = 1u << 9,  /* epoll saw the peer's FIN: keep reading until recv() says 0 */
	/* A transport with a state machine of its own (TLS) may need the
	 * other direction's readiness to make progress: a read that must
	 * first write (a handshake message, a key update), a write that must
	 * first read. These flags make that other edge count for it. */
	CF_RD_WANT_WR = 1u << 10, /* the last read waits for the socket to take bytes */
	CF_WR_WANT_RD = 1u << 11, /* the last write waits for bytes from the socket */
	CF_PRIVATE    = 1u << 12, /* bound to one request's parameters (TLS SNI from the request): never reused */
};

struct server;
struct stream;
struct conn;
struct iovec;

/* A transport under a connection: how its bytes cross (the plain socket
 * here; TLS sits in the same place). The stream and the HTTP code only call
 * conn_recv() and conn_sendv(), and never know which transport they use.
 * Both calls return the bytes moved, or 0 with *st set to one of sock.h's
 * SIO_AGAIN (nothing now: readiness must come back), SIO_EOF (reads: the
 * peer closed cleanly) or SIO_ERR (c->err holds the reason). A transport
 * keeps CF_RD_READY set while it may still have bytes for the reader
 * (readiness is edge-triggered: what it holds is not announced again). */
struct xprt_ops {
	const char *name;
	ssize_t (*rcv)(struct conn *c, void *p, size_t len, int *st);
	ssize_t (*snd)(struct conn *c, const struct iovec *iov, int n, int *st);
	void    (*close)(struct conn *c);   /* release its state; the fd is closed by conn_close */
	/* Optional. handshake: 1 done, 0 in progress (readiness flags tell
	 * which edge it waits for), -1 failed (CF_ERROR set); NULL: none.
	 * shutw: say goodbye (TLS close_notify) before the socket's SHUT_WR. */
	int     (*handshake)(struct conn *c);
	void    (*shutw)(struct conn *c);
};

/* The plain socket transport (src/net/conn.c); TLS: include/tandem/xprt_ssl.h. */
extern const struct xprt_ops xprt_raw;

struct conn {
	struct ev_io  io;
	const struct xprt_ops *xprt;  /* never NULL once initialised */
	void         *xprt_ctx;       /* the transport's state (TLS session), NULL for raw */
	struct buf    in;         /* bytes read from this socket, not yet consumed */
	uint32_t      flags;      /* CF_* */
	int           err;        /* errno of the failure, when CF_ERROR */
	struct server *srv;       /* server connections: the server */
	struct stream *strm;      /* owning stream, NULL when idle */
	struct list   link;       /* server idle pool */
	uint64_t      idle_since; /* now_ms when it went idle */
	unsigned      srv_gen;    /* server connections: 1 + the server's addr_gen it was found connected to (0: not known yet) */
	uint8_t       err_code;   /* why it was given up: HAProxy's CO_ER_* (conn_err.h, fc_err), 0 none
				   * (here: in srv_gen's padding, a session holds one conn) */
	struct ev_task free_task; /* deferred free of a heap-allocated conn */
	uint64_t      t_start_us; /* connect start */
};

#endif
