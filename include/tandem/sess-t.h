/* A session: one client connection, from accept to close. It is all an
 * idle keep-alive client costs (the connection, a timer, a few pointers):
 * the stream that carries a request (struct stream, much bigger, with its
 * buffers) exists only while a request is in progress, and goes back to a
 * per-thread pool between requests. HAProxy makes the same split. */
#ifndef TANDEM_SESS_T_H
#define TANDEM_SESS_T_H
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tandem/conn-t.h>
#include <tandem/list.h>
#include <tandem/loop-t.h>

struct proxy;
struct bind_conf;
struct stream;
struct var_store;
struct stk_ctr;
struct sess_pp;

struct sess {
	struct list       link;     /* this thread's sessions */
	struct conn       cli;      /* the client connection */
	struct proxy     *fe;
	struct bind_conf *bind;
	struct stream    *strm;     /* the request in progress, NULL while idle */
	struct ev_timer   tmr;      /* the stream's deadlines, or the idle one */
	uint64_t          exp_idle; /* idle: timeout http-request (first request) or http-keep-alive */
	uint64_t          t_accept_us;
	uint32_t          nreq;     /* requests on this connection */
	uint8_t           closed;
	uint8_t           hs;       /* a TLS handshake in progress (no stream yet) */
	uint8_t           http;     /* a TCP frontend's connection went HTTP (switch-mode, an HTTP backend) */
	uint8_t           ppw;      /* `accept-proxy`: its PROXY header is still to come (sess_lt.c) */
	struct var_store *vars;     /* sess-scoped variables, NULL until a rule sets one */
	struct stk_ctr   *stkctr;   /* stick counters tracked by tcp-request connection/session
				     * rules ([STK_NB_TRACK]), NULL until one tracks */
	struct sess_pp   *pp;       /* what that header said beyond the source, NULL: nothing */
	union {                     /* the client's address, compact (a stream */
		struct sockaddr     sa; /* gets it as a sockaddr_storage) */
		struct sockaddr_in  in;
		struct sockaddr_in6 in6;
	} addr;
	/* the deferred free uses cli.free_task (a client conn has no other use for it) */
};

#endif
