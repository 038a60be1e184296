/* The TLS transport: records through OpenSSL over the connection's socket.
 *
 * Readiness is edge-triggered (src/net/conn.c). OpenSSL reads and writes
 * the socket itself (a socket BIO, so kernel TLS can take over the record
 * layer), and tells when it would block and on which side:
 *   - a read that returns data leaves CF_RD_READY set: more records may
 *     wait in the socket or already decrypted inside OpenSSL, and no edge
 *     would announce them; the next read finds out (WANT_READ clears it);
 *   - a read that must first write (a handshake message, a key update)
 *     sets CF_RD_WANT_WR, so the socket's next "writable" edge makes the
 *     read worth trying again; a write that must first read, the reverse.
 * The handshake runs when conn_handshake() is called (the stream does so
 * before anything else), or implicitly from the first read or write.
 *
 * Writes: OpenSSL needs a contiguous buffer and, after WANT_WRITE, the very
 * same bytes again (it already encrypted them into a record that is half
 * on the wire). So each SSL_write takes at most one record (16 KiB): from
 * the caller's buffer when the bytes are contiguous there, else gathered
 * into a per-thread scratch area (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). A
 * record that would block stays owed (pend_wr): the caller still holds its
 * bytes (they were not reported written) and offers them first next time.
 * A short count is only returned when the socket is full, as conn_sendv()
 * expects.
 *
 * Idle connections hold no I/O buffer: the contexts set
 * SSL_MODE_RELEASE_BUFFERS (src/ssl/ssl_ctx.c), and the transport's own
 * state is this small struct. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <tandem/clock.h>
#include <tandem/conn.h>
#include <tandem/sock.h>
#include <tandem/xprt_ssl.h>

#define REC_MAX 16384          /* largest TLS record payload */
#define IDLE_MS 1000           /* tune.ssl.maxrecord: a pause this long ends a burst (HAProxy's tune.idletimer) */

uint32_t xprt_ssl_maxrecord;

static __thread unsigned char wr_scratch[REC_MAX];

/* Note why the handshake failed; the connection is dead from now on. */
static void hs_fail(struct conn *c, struct ssl_xprt *x, int ret)
{
	int e = SSL_get_error(x->ssl, ret);
	unsigned long code = ERR_peek_error();

	x->flags |= XS_FAILED;
	x->flags &= ~(XS_HS_RD | XS_HS_WR);
	if (!x->err_code)
		x->err_code = code;
	if (e == SSL_ERROR_ZERO_RETURN) {
		x->err_class = SSL_HSE_EMPTY;
	} else if (e == SSL_ERROR_SYSCALL) {
		if (!code && errno && errno != EPIPE) {
			x->err_class = SSL_HSE_ABORT;
			x->sys_err = errno;
		} else {
			x->err_class = SSL_HSE_EMPTY;
		}
	} else if (code && ERR_GET_LIB(code) == ERR_LIB_SSL &&
		   ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		x->err_class = SSL_HSE_EMPTY;
	} else if (x->vfy_err) {
		x->err_class = x->vfy_depth ? SSL_HSE_CA_FAIL : SSL_HSE_CRT_FAIL;
	} else {
		x->err_class = SSL_HSE_HANDSHAKE;
	}
	ERR_clear_error();
	c->flags |= CF_ERROR;
	c->err = x->sys_err ? x->sys_err : EPROTO;
}

/* One step of the handshake. 1 done, 0 waiting (XS_HS_RD / XS_HS_WR say
 * for what; the matching readiness flag is cleared), -1 failed. */
static int hs_step(struct conn *c, struct ssl_xprt *x)
{
	int r;

	if (x->flags & XS_HS_DONE)
		return 1;
	if (x->flags & XS_FAILED)
		return -1;
	/* nothing new on the side it waits for: no syscall */
	if ((x->flags & XS_HS_RD) && !(c->flags & CF_RD_READY))
		return 0;
	if ((x->flags & XS_HS_WR) && !(c->flags & CF_WR_READY))
		return 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(x->ssl);
	if (r == 1) {
		x->flags &= ~(XS_HS_RD | XS_HS_WR);
		x->flags |= XS_HS_DONE;
		/* application data may have come with the last flight, already
		 * read into OpenSSL's buffer: no edge will tell */
		c->flags |= CF_RD_READY;
		return 1;
	}
	switch (SSL_get_error(x->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		x->flags = (x->flags & ~XS_HS_WR) | XS_HS_RD;
		c->flags &= ~CF_RD_READY;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		x->flags = (x->flags & ~XS_HS_RD) | XS_HS_WR;
		c->flags &= ~CF_WR_READY;
		return 0;
	default:
		hs_fail(c, x, r);
		return -1;
	}
}

static int ssl_handshake(struct conn *c)
{
	struct ssl_xprt *x = c->xprt_ctx;

	return x ? hs_step(c, x) : -1;
}

/* An I/O error after the handshake: a clean end (close_notify, or a close
 * without one: SSL_OP_IGNORE_UNEXPECTED_EOF makes that look the same) or
 * a failure. Sets *st. */
static void io_error(struct conn *c, struct ssl_xprt *x, int ret, int *st)
{
	int e = SSL_get_error(x->ssl, ret);
	unsigned long code = ERR_peek_error();

	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && !code && !errno) ||
	    (code && ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		*st = SIO_EOF;
	} else {
		if (!x->err_code)
			x->err_code = code;
		x->flags |= XS_FAILED;
		c->err = (e == SSL_ERROR_SYSCALL && errno) ? errno : EPROTO;
		*st = SIO_ERR;
	}
	ERR_clear_error();
}

static ssize_t ssl_rcv(struct conn *c, void *p, size_t len, int *st)
{
	struct ssl_xprt *x = c->xprt_ctx;
	size_t got = 0;
	int r;

	if (!x || (x->flags & XS_FAILED)) {
		*st = SIO_ERR;
		return 0;
	}
	if (!(x->flags & XS_HS_DONE)) {
		r = hs_step(c, x);
		if (r < 0) {
			*st = SIO_ERR;
			return 0;
		}
		if (!r) {
			if (x->flags & XS_HS_WR)
				c->flags |= CF_RD_WANT_WR;
			*st = SIO_AGAIN;
			return 0;
		}
	}
	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(x->ssl, p, len, &got);
	if (r > 0) {
		c->flags &= ~CF_RD_WANT_WR;
		*st = SIO_DONE;
		return (ssize_t)got;
	}
	switch (SSL_get_error(x->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		c->flags &= ~CF_RD_WANT_WR;
		*st = SIO_AGAIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->flags |= CF_RD_WANT_WR;
		c->flags &= ~CF_WR_READY;
		*st = SIO_AGAIN;
		return 0;
	default:
		io_error(c, x, r, st);
		return 0;
	}
}

/* Copy <len> bytes starting <off> bytes into <iov> to <dst>. */
static void gather(unsigned char *dst, const struct iovec *iov, int n, size_t off, size_t len)
{
	for (int i = 0; i < n && len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		memcpy(dst, (const char *)iov[i].iov_base + off, l);
		dst += l;
		len -= l;
		off = 0;
	}
}

/* The bytes [off, off+len) of <iov> when they lie in one element, else NULL. */
static const void *contiguous(const struct iovec *iov, int n, size_t off, size_t len)
{
	for (int i = 0; i < n; i++) {
		if (off < iov[i].iov_len)
			return off + len <= iov[i].iov_len ? (const char *)iov[i].iov_base + off : NULL;
		off -= iov[i].iov_len;
	}
	return NULL;
}

/* How many bytes the next record may carry: tune.ssl.maxrecord keeps
 * records small at the start of a burst (the client can use the first
 * bytes sooner), full records once the connection streams. */
static size_t record_room(struct ssl_xprt *x)
{
	uint64_t now = now_ms;

	if (!xprt_ssl_maxrecord || xprt_ssl_maxrecord >= REC_MAX)
		return REC_MAX;
	if (now - x->last_wr_ms >= IDLE_MS)
		x->streak = 0;
	x->last_wr_ms = now;
	return x->streak < 2 * REC_MAX ? xprt_ssl_maxrecord : REC_MAX;
}

static ssize_t ssl_snd(struct conn *c, const struct iovec *iov, int n, int *st)
{
	struct ssl_xprt *x = c->xprt_ctx;
	size_t total = 0, done = 0;
	int r;

	if (!x || (x->flags & (XS_FAILED | XS_SHUTW))) {
		*st = SIO_ERR;
		return 0;
	}
	if (!(x->flags & XS_HS_DONE)) {
		r = hs_step(c, x);
		if (r < 0) {
			*st = SIO_ERR;
			return 0;
		}
		if (!r) {
			if (x->flags & XS_HS_RD)
				c->flags |= CF_WR_WANT_RD;
			*st = SIO_AGAIN;
			return 0;
		}
	}
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	while (done < total) {
		size_t chunk = total - done, room = record_room(x), w = 0;
		const void *src;

		if (chunk > room)
			chunk = room;
		if (x->pend_wr > chunk) {
			/* the record owed must go out whole, with the same bytes */
			if (x->pend_wr > total - done) {
				x->flags |= XS_FAILED;
				c->err = EPROTO;
				*st = SIO_ERR;
				return 0;
			}
			chunk = x->pend_wr;
		}
		src = contiguous(iov, n, done, chunk);
		if (!src) {
			gather(wr_scratch, iov, n, done, chunk);
			src = wr_scratch;
		}
		ERR_clear_error();
		errno = 0;
		r = SSL_write_ex(x->ssl, src, chunk, &w);
		if (r > 0) {
			x->pend_wr = 0;
			c->flags &= ~CF_WR_WANT_RD;
			done += w;
			x->streak += w;
			continue;
		}
		switch (SSL_get_error(x->ssl, r)) {
		case SSL_ERROR_WANT_WRITE:
			x->pend_wr = chunk;
			break;
		case SSL_ERROR_WANT_READ:
			x->pend_wr = chunk;
			c->flags |= CF_WR_WANT_RD;
			c->flags &= ~CF_RD_READY;
			break;
		default:
			io_error(c, x, r, st);
			if (*st == SIO_EOF)
				*st = SIO_ERR;   /* nothing can be written any more */
			return done ? (ssize_t)done : 0;
		}
		ERR_clear_error();
		if (done) {
			*st = SIO_DONE;
			return (ssize_t)done;
		}
		*st = SIO_AGAIN;
		return 0;
	}
	*st = SIO_DONE;
	return (ssize_t)done;
}

static void ssl_shutw(struct conn *c)
{
	struct ssl_xprt *x = c->xprt_ctx;

	if (!x || (x->flags & XS_SHUTW))
		return;
	x->flags |= XS_SHUTW;
	if ((x->flags & (XS_HS_DONE | XS_FAILED)) != XS_HS_DONE || (c->flags & CF_ERROR))
		return;
	ERR_clear_error();
	SSL_shutdown(x->ssl);   /* close_notify, best effort: the socket may be full */
	ERR_clear_error();
}

static void ssl_close(struct conn *c)
{
	struct ssl_xprt *x = c->xprt_ctx;

	if (!x)
		return;
	ssl_shutw(c);
	SSL_free(x->ssl);
	free(x);
	c->xprt_ctx = NULL;
	ERR_clear_error();
}

const struct xprt_ops xprt_ssl = {
	.name = "ssl", .rcv = ssl_rcv, .snd = ssl_snd, .close = ssl_close,
	.handshake = ssl_handshake, .shutw = ssl_shutw,
};

int xprt_ssl_attach(struct conn *c, struct ssl_st *ssl, int client, void *owner, int tid)
{
	struct ssl_xprt *x = calloc(1, sizeof(*x));

	if (!x || !SSL_set_fd(ssl, c->io.fd)) {
		free(x);
		SSL_free(ssl);
		ERR_clear_error();
		return -1;
	}
	x->ssl = ssl;
	x->owner = owner;
	x->tid = tid;
	x->last_wr_ms = now_ms;
	if (client) {
		x->flags |= XS_CLIENT;
		SSL_set_connect_state(ssl);
	} else {
		SSL_set_accept_state(ssl);
	}
	SSL_set_app_data(ssl, x);
	c->xprt = &xprt_ssl;
	c->xprt_ctx = x;
	return 0;
}
