/* The TLS transport (src/net/xprt_ssl.c): an OpenSSL SSL object under a
 * connection, driven by the connection's edge-triggered readiness. The
 * stream and the HTTP code never see it: they call conn_recv(),
 * conn_sendv(), conn_handshake() and conn_shutw() as on a plain socket.
 *
 * The SSL object is made and configured by src/ssl/ (contexts, SNI,
 * certificates, sessions); this file only moves records. Its state is
 * public so that src/ssl/ can read what a handshake left (for logs and
 * the fetches) without a second allocation per connection. */
#ifndef TANDEM_XPRT_SSL_H
#define TANDEM_XPRT_SSL_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/conn-t.h>

struct ssl_st;

/* How a handshake ended badly (HAProxy's connection error codes). */
enum {
	SSL_HSE_NONE = 0,
	SSL_HSE_EMPTY,      /* "Connection closed during SSL handshake" */
	SSL_HSE_ABORT,      /* "Connection error during SSL handshake" (reset) */
	SSL_HSE_TIMEOUT,    /* "Timeout during SSL handshake" (set by the owner) */
	SSL_HSE_HANDSHAKE,  /* "SSL handshake failure" (a protocol error; err_code says which) */
	SSL_HSE_CRT_FAIL,   /* "SSL client certificate not trusted" (verify failed at depth 0) */
	SSL_HSE_CA_FAIL,    /* "SSL client CA chain cannot be verified" (verify failed above) */
};

enum {
	XS_HS_DONE   = 1u << 0,  /* handshake complete */
	XS_FAILED    = 1u << 1,  /* handshake or record error: nothing more moves */
	XS_HS_RD     = 1u << 2,  /* the handshake waits for bytes */
	XS_HS_WR     = 1u << 3,  /* the handshake waits for room */
	XS_SHUTW     = 1u << 4,  /* close_notify sent (or given up) */
	XS_CLIENT    = 1u << 5,  /* we are the TLS client (server connection) */
	XS_GOT_BYTES = 1u << 6,  /* the peer sent something during the handshake */
};

struct ssl_xprt {
	struct ssl_st *ssl;
	uint32_t flags;          /* XS_* */
	size_t   pend_wr;        /* length of an SSL_write to repeat (it returned WANT_WRITE) */
	uint64_t last_wr_ms;     /* tune.ssl.maxrecord: small records after an idle period */
	uint64_t streak;         /* bytes sent since the connection was last idle */
	/* what a failed handshake left (filled here and by src/ssl's callbacks) */
	int      err_class;      /* SSL_HSE_* */
	unsigned long err_code;  /* the first OpenSSL error (ERR_get_error) */
	int      sys_err;        /* errno of a socket error */
	int      vfy_err;        /* X509_V_* of the first certificate error, 0 none */
	int      vfy_depth;      /* its depth in the chain */
	void    *owner;          /* src/ssl: struct ssl_bind_rt (accepted) or struct ssl_srv_rt (outgoing) */
	int      tid;            /* worker thread owning the connection */
};

extern const struct xprt_ops xprt_ssl;
/* tune.ssl.maxrecord (0: none), set once by src/ssl before the threads run. */
extern uint32_t xprt_ssl_maxrecord;

/* Put <ssl> (configured by src/ssl: role, SNI, session) under <c>, which
 * must be initialised (conn_init). The transport owns it from now on.
 * Returns 0, or -1 (out of memory; <ssl> is freed). */
int xprt_ssl_attach(struct conn *c, struct ssl_st *ssl, int client, void *owner, int tid);
/* The transport state of <c>, NULL when <c> is not TLS. */
static inline struct ssl_xprt *xprt_ssl_ctx(const struct conn *c)
{
	return c && c->xprt == &xprt_ssl ? (struct ssl_xprt *)c->xprt_ctx : NULL;
}

#endif
