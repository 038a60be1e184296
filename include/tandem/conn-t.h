/* A connection: one socket, registered once in its thread's epoll in
 * edge-triggered mode. Readiness is remembered in flags so that no
 * epoll_ctl() is needed per request (I/O is attempted speculatively). */
#ifndef TANDEM_CONN_T_H
#define TANDEM_CONN_T_H
#include <stdint.h>
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
};

struct server;
struct stream;

struct conn {
	struct ev_io  io;
	struct buf    in;         /* bytes read from this socket, not yet consumed */
	uint32_t      flags;      /* CF_* */
	int           err;        /* errno of the failure, when CF_ERROR */
	struct server *srv;       /* server connections: the server */
	struct stream *strm;      /* owning stream, NULL when idle */
	struct list   link;       /* server idle pool */
	uint64_t      idle_since; /* now_ms when it went idle */
	struct ev_task free_task; /* deferred free of a heap-allocated conn */
	uint64_t      t_start_us; /* connect start */
};

#endif
