/* PROTOTYPE (measurement only): io_uring as the loop's poller.
 * Generic fds: multishot POLL_ADD (the callback gets the poll mask, same bits
 * as epoll's). Connections: a multishot RECV with provided buffers (the
 * kernel fills ring buffers; the bytes wait in the registration until the
 * transport asks for them) and SENDs copied into a per-connection staging
 * buffer, submitted with the next io_uring_enter (batched), completing later.
 * A one-shot POLLOUT tells when a connect completed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <liburing.h>
#include <tandem/clock.h>
#include <tandem/loop.h>

#define RING_ENTRIES 4096
#define NBUFS        1024           /* provided receive buffers */
#define BUFSZ        4096
#define BGID         1
#define RXQ          64
#define TXCAP        32768

enum { T_POLL = 1, T_RECV, T_SEND, T_WRPOLL };

int uring_init(struct loop *l);
int uring_io_set(struct loop *l, struct ev_io *io, uint32_t mask);
int uring_conn_add(struct loop *l, struct ev_io *io);
void uring_io_del(struct loop *l, struct ev_io *io);
int uring_wait(struct loop *l, int timeout);

struct uop {
	struct ev_io *io;     /* NULL once unregistered */
	int      fd;
	int      inflight;    /* operations the kernel still holds */
	int      conn;
	int      recv_armed, wrpoll_armed;
	int      eof, err, want_wr;
	struct { uint16_t bid; uint32_t off, len; } rx[RXQ];
	int      rx_head, rx_n;
	char    *tx;
	size_t   tx_off, tx_len;   /* bytes [tx_off, tx_len) not yet sent */
	int      tx_state;         /* 0 idle, 1 prepared (tx_gen), 2 in flight */
	uint32_t tx_gen;
	struct io_uring_sqe *tx_sqe;
};

struct uring {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	char    *bufs;
	uint32_t sub_gen;          /* incremented at every submit */
};

static struct io_uring_sqe *get_sqe(struct uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		io_uring_submit(&u->ring);
		u->sub_gen++;
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static void *tag(struct uop *op, int t) { return (void *)((uintptr_t)op | (uintptr_t)t); }

int uring_init(struct loop *l)
{
	struct uring *u = calloc(1, sizeof(*u));
	struct io_uring_buf_reg reg;
	int i;

	if (!u)
		return -1;
	if (io_uring_queue_init(RING_ENTRIES, &u->ring, 0) < 0)
		goto fail;
	u->br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	u->bufs = malloc((size_t)NBUFS * BUFSZ);
	if (u->br == MAP_FAILED || !u->bufs)
		goto fail;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uintptr_t)u->br;
	reg.ring_entries = NBUFS;
	reg.bgid = BGID;
	if (io_uring_register_buf_ring(&u->ring, &reg, 0) < 0)
		goto fail;
	io_uring_buf_ring_init(u->br);
	for (i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i,
				      io_uring_buf_ring_mask(NBUFS), i);
	io_uring_buf_ring_advance(u->br, NBUFS);
	l->uring = u;
	return 0;
fail:
	free(u);
	return -1;
}

static void buf_give_back(struct uring *u, uint16_t bid)
{
	io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * BUFSZ, BUFSZ, bid, io_uring_buf_ring_mask(NBUFS), 0);
	io_uring_buf_ring_advance(u->br, 1);
}

static void op_put(struct uop *op)
{
	if (--op->inflight == 0 && !op->io) {
		free(op->tx);
		free(op);
	}
}

static void arm_recv(struct uring *u, struct uop *op)
{
	struct io_uring_sqe *sqe;

	if (op->recv_armed || op->eof || op->err || !op->io)
		return;
	sqe = get_sqe(u);
	io_uring_prep_recv_multishot(sqe, op->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data(sqe, tag(op, T_RECV));
	op->recv_armed = 1;
	op->inflight++;
}

static void arm_wrpoll(struct uring *u, struct uop *op)
{
	struct io_uring_sqe *sqe = get_sqe(u);

	io_uring_prep_poll_add(sqe, op->fd, POLLOUT);
	io_uring_sqe_set_data(sqe, tag(op, T_WRPOLL));
	op->wrpoll_armed = 1;
	op->inflight++;
}

int uring_io_set(struct loop *l, struct ev_io *io, uint32_t mask)
{
	struct uring *u = l->uring;
	struct uop *op;
	struct io_uring_sqe *sqe;

	if (mask == io->mask)
		return 0;
	if (io->mask)
		uring_io_del(l, io);
	if (!mask)
		return 0;
	op = calloc(1, sizeof(*op));
	if (!op)
		return -1;
	op->io = io;
	op->fd = io->fd;
	sqe = get_sqe(u);
	io_uring_prep_poll_multishot(sqe, io->fd, mask & (POLLIN | POLLOUT | POLLRDHUP | POLLPRI));
	io_uring_sqe_set_data(sqe, tag(op, T_POLL));
	op->inflight++;
	io->uop = op;
	io->mask = mask;
	return 0;
}

int uring_conn_add(struct loop *l, struct ev_io *io)
{
	struct uring *u = l->uring;
	struct uop *op = calloc(1, sizeof(*op));

	if (!op)
		return -1;
	op->io = io;
	op->fd = io->fd;
	op->conn = 1;
	io->uop = op;
	io->mask = EPOLLIN | EPOLLOUT;
	arm_recv(u, op);
	arm_wrpoll(u, op);
	return 0;
}

void uring_io_del(struct loop *l, struct ev_io *io)
{
	struct uring *u = l->uring;
	struct uop *op = io->uop;
	struct io_uring_sqe *sqe;

	if (!op)
		return;
	io->uop = NULL;
	io->mask = 0;
	op->io = NULL;
	while (op->rx_n) {
		buf_give_back(u, op->rx[op->rx_head].bid);
		op->rx_head = (op->rx_head + 1) % RXQ;
		op->rx_n--;
	}
	if (!op->conn) {
		sqe = get_sqe(u);
		io_uring_prep_poll_remove(sqe, (uintptr_t)tag(op, T_POLL));
		io_uring_sqe_set_data(sqe, NULL);
		return;
	}
	if (op->recv_armed) {
		sqe = get_sqe(u);
		io_uring_prep_cancel(sqe, tag(op, T_RECV), 0);
		io_uring_sqe_set_data(sqe, NULL);
	}
	if (op->wrpoll_armed) {
		sqe = get_sqe(u);
		io_uring_prep_poll_remove(sqe, (uintptr_t)tag(op, T_WRPOLL));
		io_uring_sqe_set_data(sqe, NULL);
	}
	/* a send in flight completes on its own (the kernel holds the file);
	 * with nothing in flight the registration goes now */
	if (!op->inflight) {
		free(op->tx);
		free(op);
	}
}

/* the transport asks for bytes: take them from the buffers the kernel filled */
ssize_t uring_conn_recv(struct loop *l, struct ev_io *io, void *p, size_t len, int *st, int *err)
{
	struct uring *u = l->uring;
	struct uop *op = io->uop;
	size_t got = 0;

	while (op->rx_n && got < len) {
		typeof(op->rx[0]) *e = &op->rx[op->rx_head];
		size_t n = e->len - e->off;

		if (n > len - got)
			n = len - got;
		memcpy((char *)p + got, u->bufs + (size_t)e->bid * BUFSZ + e->off, n);
		got += n;
		e->off += (uint32_t)n;
		if (e->off == e->len) {
			buf_give_back(u, e->bid);
			op->rx_head = (op->rx_head + 1) % RXQ;
			op->rx_n--;
		}
	}
	if (!op->recv_armed)
		arm_recv(u, op);
	if (got) {
		*st = 0;
		return (ssize_t)got;
	}
	if (op->err) {
		*err = op->err;
		*st = 3;
		return 0;
	}
	*st = op->eof ? 2 : 1;
	return 0;
}

static void tx_prep(struct uring *u, struct uop *op)
{
	struct io_uring_sqe *sqe = get_sqe(u);

	io_uring_prep_send(sqe, op->fd, op->tx + op->tx_off, op->tx_len - op->tx_off, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, tag(op, T_SEND));
	op->tx_sqe = sqe;
	op->tx_state = 1;
	op->tx_gen = u->sub_gen;
	op->inflight++;
}

ssize_t uring_conn_sendv(struct loop *l, struct ev_io *io, const struct iovec *iov, int n, int *st, int *err)
{
	struct uring *u = l->uring;
	struct uop *op = io->uop;
	size_t put = 0;
	int i;

	if (op->err) {
		*err = op->err;
		*st = 3;
		return 0;
	}
	if (!op->tx && !(op->tx = malloc(TXCAP))) {
		*err = ENOMEM;
		*st = 3;
		return 0;
	}
	if (op->tx_state == 1 && op->tx_gen != u->sub_gen)
		op->tx_state = 2;
	if (op->tx_state == 2) {
		op->want_wr = 1;
		*st = 1;
		return 0;
	}
	if (op->tx_state == 0)
		op->tx_off = op->tx_len = 0;
	for (i = 0; i < n && op->tx_len < TXCAP; i++) {
		size_t k = iov[i].iov_len;

		if (k > TXCAP - op->tx_len)
			k = TXCAP - op->tx_len;
		memcpy(op->tx + op->tx_len, iov[i].iov_base, k);
		op->tx_len += k;
		put += k;
	}
	if (!put) {
		op->want_wr = 1;
		*st = 1;
		return 0;
	}
	if (op->tx_state == 1)   /* not submitted yet: the same SQE sends more */
		op->tx_sqe->len = (uint32_t)(op->tx_len - op->tx_off);
	else
		tx_prep(u, op);
	*st = 0;
	return (ssize_t)put;
}

static void on_cqe(struct uring *u, struct io_uring_cqe *cqe)
{
	uintptr_t d = (uintptr_t)io_uring_cqe_get_data(cqe);
	struct uop *op = (struct uop *)(d & ~(uintptr_t)7);
	int t = (int)(d & 7), more = cqe->flags & IORING_CQE_F_MORE;
	struct ev_io *io;

	if (!op)
		return;
	io = op->io;
	switch (t) {
	case T_POLL:
		if (!more)
			op_put(op);
		if (io && cqe->res > 0)
			io->cb(io, (uint32_t)cqe->res);
		else if (io && !more && cqe->res != -ECANCELED && cqe->res != -ENOENT) {
			/* the multishot poll ended: arm it again */
			struct io_uring_sqe *sqe = get_sqe(u);
			io_uring_prep_poll_multishot(sqe, op->fd, io->mask & (POLLIN | POLLOUT | POLLRDHUP | POLLPRI));
			io_uring_sqe_set_data(sqe, tag(op, T_POLL));
			op->inflight++;
		}
		return;
	case T_RECV:
		if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
			uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
			if (!io || op->rx_n == RXQ) {
				buf_give_back(u, bid);
				if (io)
					op->err = ENOBUFS;
			} else {
				int tail = (op->rx_head + op->rx_n) % RXQ;
				op->rx[tail].bid = bid;
				op->rx[tail].off = 0;
				op->rx[tail].len = (uint32_t)cqe->res;
				op->rx_n++;
			}
		} else if (cqe->res == 0) {
			op->eof = 1;
		} else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
			op->err = -cqe->res;
		}
		if (!more) {
			op->recv_armed = 0;
			op_put(op);
			if (!io)
				return;
			if (cqe->res == -ENOBUFS || cqe->res > 0)
				arm_recv(u, op);   /* ended for want of buffers: again (bench only) */
		}
		if (io)
			io->cb(io, op->err ? EPOLLERR : op->eof ? (EPOLLIN | EPOLLRDHUP) : EPOLLIN);
		return;
	case T_SEND:
		if (cqe->res < 0) {
			op->err = -cqe->res;
			op->tx_state = 0;
		} else {
			op->tx_off += (size_t)cqe->res;
			op->tx_state = 0;
			if (op->tx_off < op->tx_len && io) {
				tx_prep(u, op);
				op_put(op);
				return;
			}
		}
		op_put(op);
		if (io && (op->want_wr || op->err)) {
			op->want_wr = 0;
			io->cb(io, op->err ? EPOLLERR : EPOLLOUT);
		}
		return;
	case T_WRPOLL:
		op->wrpoll_armed = 0;
		op_put(op);
		if (io && cqe->res > 0)
			io->cb(io, (uint32_t)cqe->res);
		return;
	}
}

/* One wait: submit what the turn prepared, sleep until a completion or
 * <timeout> ms (-1: none), then dispatch the completions. */
int uring_wait(struct loop *l, int timeout)
{
	struct uring *u = l->uring;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts;
	unsigned head, n = 0;
	int r;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long long)(timeout % 1000) * 1000000;
	}
	r = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, timeout >= 0 ? &ts : NULL, NULL);
	u->sub_gen++;
	clock_update();
	if (r < 0 && r != -ETIME && r != -EINTR)
		return -1;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		on_cqe(u, cqe);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return (int)n;
}
