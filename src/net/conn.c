/* Connection I/O. Edge-triggered: readiness flags are set by epoll events
 * and cleared only when the transport says "would block" (or a short
 * read/write shows the socket was drained), so callers simply try I/O when
 * they need it. Bytes cross through the connection's transport (xprt): the
 * plain socket here; the callers never see which one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/conn.h>
#include <tandem/conn_err.h>
#include <tandem/loop.h>
#include <tandem/sock.h>
#include <tandem/xprt_ssl.h>

/* ---- the plain socket transport ---- */

static ssize_t raw_rcv(struct conn *c, void *p, size_t len, int *st)
{
	ssize_t n = sock_recv(c->io.fd, p, len, st, &c->err);

	/* a short read drained the socket: the next edge will tell (unless the
	 * FIN's edge already fired: then read on until recv says 0) */
	if (n > 0 && (size_t)n < len && !(c->flags & CF_RDHUP))
		c->flags &= ~CF_RD_READY;
	return n;
}

static ssize_t raw_snd(struct conn *c, const struct iovec *iov, int n, int *st)
{
	return sock_sendv(c->io.fd, iov, n, st, &c->err);
}

const struct xprt_ops xprt_raw = { .name = "raw", .rcv = raw_rcv, .snd = raw_snd };

/* ---- connections ---- */

int conn_init(struct conn *c, int fd, void (*cb)(struct ev_io *, uint32_t), void *ctx)
{
	memset(&c->in, 0, sizeof(c->in));
	c->flags = CF_WR_READY | CF_RD_READY;
	c->err = 0;
	c->err_code = 0;
	if (!c->xprt)
		c->xprt = &xprt_raw;
	list_init(&c->link);
	ev_io_init(&c->io, fd, cb, ctx);
	return loop_io_set(this_loop, &c->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

void conn_note_events(struct conn *c, uint32_t ev)
{
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= CF_RD_READY | ((c->flags & CF_WR_WANT_RD) ? CF_WR_READY : 0);
	if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && (c->flags & CF_RD_WANT_WR))
		c->flags |= CF_RD_READY;
	/* The FIN's edge has fired now and will not fire again: a later short
	 * read must not make us forget that the end is already queued. */
	if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= CF_RDHUP;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->flags |= CF_WR_READY;
}

ssize_t conn_recv(struct conn *c, size_t bufsize)
{
	ssize_t n;
	size_t room;
	int st;

	if (!(c->flags & CF_RD_READY) || (c->flags & (CF_EOF | CF_ERROR | CF_CLOSED)))
		return (c->flags & (CF_EOF | CF_ERROR)) ? -1 : 0;
	if (buf_alloc(&c->in, bufsize) < 0)
		return 0;
	if (buf_tailroom(&c->in) < buf_room(&c->in) / 2 || !buf_tailroom(&c->in))
		buf_compact(&c->in);
	room = buf_tailroom(&c->in);
	if (!room)
		return 0;
	n = c->xprt->rcv(c, buf_tail(&c->in), room, &st);
	if (n > 0) {
		c->in.data += (size_t)n;
		return n;
	}
	switch (st) {
	case SIO_AGAIN:
		c->flags &= ~CF_RD_READY;
		return 0;
	case SIO_EOF:
		c->flags |= CF_EOF;
		return -1;
	default:
		c->flags |= CF_ERROR;
		return -1;
	}
}

/* Nothing to read, no end, no error: the connection is as quiet as a
 * parked one must be before it carries a new request. Asked of the kernel
 * itself (a peek), not of the readiness flags: an idle connection's late
 * bytes may sit behind an epoll event that this loop has not dispatched
 * yet, and once a request is sent they would be read as its answer. */
int conn_quiet(const struct conn *c)
{
	char b;
	ssize_t r;

	if (c->flags & (CF_EOF | CF_ERROR | CF_CLOSED | CF_RDHUP))
		return 0;
	r = recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

ssize_t conn_sendv(struct conn *c, struct iovec *iov, int n)
{
	size_t want = 0;
	ssize_t r;
	int i, st;

	if (c->flags & (CF_ERROR | CF_CLOSED))
		return -1;
	if (!(c->flags & CF_WR_READY))
		return 0;
	for (i = 0; i < n; i++)
		want += iov[i].iov_len;
	if (!want)
		return 0;
	r = c->xprt->snd(c, iov, n, &st);
	if (r > 0) {
		if ((size_t)r < want)
			c->flags &= ~CF_WR_READY;
		return r;
	}
	if (st == SIO_AGAIN) {
		c->flags &= ~CF_WR_READY;
		return 0;
	}
	c->flags |= CF_ERROR;
	return -1;
}

int conn_handshake(struct conn *c)
{
	if (c->flags & CF_CLOSED)
		return -1;
	return c->xprt && c->xprt->handshake ? c->xprt->handshake(c) : 1;
}

void conn_shutw(struct conn *c)
{
	if (c->flags & (CF_SHUTW | CF_CLOSED))
		return;
	if (c->xprt && c->xprt->shutw)
		c->xprt->shutw(c);
	shutdown(c->io.fd, SHUT_WR);
	c->flags |= CF_SHUTW;
}

void conn_close(struct conn *c)
{
	if (c->flags & CF_CLOSED)
		return;
	if (c->xprt && c->xprt->close)
		c->xprt->close(c);
	if (c->io.fd >= 0) {
		loop_io_del(this_loop, &c->io);
		close(c->io.fd);
		c->io.fd = -1;
	}
	c->flags |= CF_CLOSED;
	buf_free(&c->in);
}

struct conn *conn_new(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c) {
		c->io.fd = -1;
		list_init(&c->link);
	}
	return c;
}

static void conn_free_task(struct ev_task *t)
{
	free(t->ctx);
}

void conn_free_deferred(struct conn *c)
{
	conn_close(c);
	list_del(&c->link);
	ev_task_init(&c->free_task, conn_free_task, c);
	loop_task_wake(this_loop, &c->free_task);
}

int conn_err_code(const struct conn *c)
{
	const struct ssl_xprt *x;

	if (!c)
		return -1;
	if (c->err_code)
		return c->err_code;
	/* a handshake under way may still fail: HAProxy gives no value yet */
	if ((x = xprt_ssl_ctx(c)) && !(x->flags & (XS_HS_DONE | XS_FAILED)))
		return -1;
	return CO_ER_NONE;
}
