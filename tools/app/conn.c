/* One client connection of tandem-app: read, parse (h1_parse_request),
 * consume the body, let routes.c decide and answer, write, repeat for
 * keep-alive and pipelined requests.
 *
 * States (struct conn.state):
 *   CS_HEAD  -> CS_BODY -> (CS_WAIT: delay timer) -> (CS_ASYNC: Redis) -> CS_SEND -> CS_HEAD ...
 *                       -> CS_HANG (fault hang: until the client goes away)
 *   CS_SEND with close_after -> CS_LINGER (write side shut, input drained
 *   until EOF or a short timer, so the client never loses the response to
 *   a RST caused by unread input) -> freed.
 * conn_process() runs the machine until it must wait for I/O or a timer,
 * then conn_update_events() registers exactly what it waits for. A closed
 * connection is freed by a deferred task, never inside its own callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/h1.h>
#include <tandem/loop.h>
#include "app.h"

#define SEND_BUDGET   (1u << 20)  /* bytes written per wake-up before yielding to others */
#define LINGER_MS     1000        /* how long a closing connection drains input */

static void conn_process(struct conn *c);

/* ---- life cycle ---- */

/* Free what a request owns (kept body). */
static void req_release(struct req *r)
{
	free(r->keep);
	r->keep = NULL;
	r->keep_len = 0;
}

static void conn_free(struct conn *c)
{
	list_del(&c->link);
	req_release(&c->req);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->resp.mem);
	free(c);
}

static void conn_free_task(struct ev_task *t)
{
	conn_free(t->ctx);
}

/* Finish the books of a request that will never complete normally. */
static void req_abort(struct conn *c)
{
	if (c->req.inflight) {
		state_inflight_add(-1);
		c->req.inflight = 0;
	}
}

/* Close now. <rst>: send a TCP reset instead of a FIN (fault "reset").
 * The memory goes later, in a task, as pending callbacks may still hold <c>. */
static void conn_close(struct conn *c, int rst)
{
	if (c->closed)
		return;
	c->closed = 1;
	req_abort(c);
	redis_detach(c);   /* a Redis answer still to come finds nobody */
	loop_timer_del(&c->w->loop, &c->timer);
	loop_io_del(&c->w->loop, &c->io);
	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	state_conn_closed();
	loop_task_wake(&c->w->loop, &c->task);
}

/* Exit path, after loop_run() returned: tasks will not run any more, so
 * free directly, including connections already closed but not yet freed. */
void conn_close_all(struct worker *w)
{
	while (!list_empty(&w->conns)) {
		struct conn *c = list_entry(w->conns.next, struct conn, link);

		conn_close(c, 0);
		loop_task_cancel(&c->task);
		conn_free(c);
	}
}

static void conn_io_cb(struct ev_io *io, uint32_t events);
static void conn_timer_cb(struct ev_timer *t);

void conn_accept(struct worker *w, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->w = w;
	c->fd = fd;
	c->state = CS_HEAD;
	ev_io_init(&c->io, fd, conn_io_cb, c);
	ev_timer_init(&c->timer, conn_timer_cb, c);
	ev_task_init(&c->task, conn_free_task, c);
	list_add_tail(&w->conns, &c->link);
	state_conn_opened();
	conn_process(c);
}

/* ---- I/O primitives ---- */

/* Read once into the input buffer. Returns 0, or -1 on a connection error.
 * EOF sets peer_eof. */
static int conn_read(struct conn *c)
{
	ssize_t n;

	if (c->peer_eof)
		return 0;
	if (buf_alloc(&c->in, APP_IN_SIZE) < 0)
		return -1;
	if (!buf_tailroom(&c->in))
		buf_compact(&c->in);
	if (!buf_tailroom(&c->in))
		return 0;
	n = read(c->fd, buf_tail(&c->in), buf_tailroom(&c->in));
	if (n > 0) {
		c->in.data += (size_t)n;
		return 0;
	}
	if (n == 0) {
		c->peer_eof = 1;
		return 0;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -1;
}

/* Write what the output buffer holds. Returns 1 when it is empty, 0 when
 * the socket is full (want_out set), -1 on error. */
static int conn_write_out(struct conn *c)
{
	while (c->out.data) {
		ssize_t n = send(c->fd, buf_ptr(&c->out), c->out.data, MSG_NOSIGNAL);

		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->want_out = 1;
			return 0;
		}
		return -1;
	}
	return 1;
}

/* The static pattern table: PATTERN_TAB bytes starting at any offset
 * below 256 cover one output buffer, so producing /bytes is a memcpy. */
#define PATTERN_TAB (APP_OUT_SIZE + 256)
static uint8_t pattern_tab[PATTERN_TAB];

static void pattern_init(void)
{
	size_t i;

	if (pattern_tab[1])   /* pattern_byte(1) = 38: already built */
		return;
	for (i = 0; i < PATTERN_TAB; i++)
		pattern_tab[i] = pattern_byte(i);
}

/* Produce more response body into the output buffer's free room. */
static void resp_fill(struct conn *c)
{
	struct resp *rs = &c->resp;
	struct buf *o = &c->out;
	size_t room;

	if (rs->src == RS_NONE)
		return;
	if (buf_tailroom(o) < buf_room(o) && buf_tailroom(o) < APP_OUT_SIZE / 2)
		buf_compact(o);
	room = buf_tailroom(o);
	if (rs->src == RS_MEM) {
		size_t k = MIN(room, rs->mem_len - rs->mem_off);

		memcpy(buf_tail(o), rs->mem + rs->mem_off, k);
		o->data += k;
		rs->mem_off += k;
		rs->body_bytes += k;
		if (rs->mem_off == rs->mem_len) {
			free(rs->mem);
			rs->mem = NULL;
			rs->src = RS_NONE;
		}
		return;
	}
	/* RS_PATTERN */
	if (rs->pat_off < rs->pat_len) {
		uint64_t left = rs->pat_len - rs->pat_off;
		size_t k, hdr = 0;

		if (rs->chunked) {
			if (room < 64)
				return;
			room -= 32;  /* size line and trailing CRLF */
		}
		k = (size_t)MIN((uint64_t)room, left);
		if (rs->chunked)
			hdr = (size_t)sprintf(buf_tail(o), "%zx\r\n", k);
		memcpy(buf_tail(o) + hdr, pattern_tab + (rs->pat_off & 255), k);
		o->data += hdr + k;
		if (rs->chunked) {
			memcpy(buf_tail(o), "\r\n", 2);
			o->data += 2;
		}
		rs->pat_off += k;
		rs->body_bytes += k;
		room = buf_tailroom(o);
	}
	if (rs->pat_off == rs->pat_len) {
		if (rs->chunked) {
			if (room < 5)
				return;
			memcpy(buf_tail(o), "0\r\n\r\n", 5);
			o->data += 5;
		}
		rs->src = RS_NONE;
	}
}

/* Send the response. Returns 1 once entirely written, 0 to wait for the
 * socket (or to yield after SEND_BUDGET bytes), -1 on error. */
static int conn_send(struct conn *c)
{
	size_t sent = 0;

	if (c->want_out)
		return 0;
	for (;;) {
		size_t before;
		int r;

		resp_fill(c);
		if (!c->out.data)
			return c->resp.src == RS_NONE ? 1 : 0;
		before = c->out.data;
		r = conn_write_out(c);
		if (r <= 0)
			return r;
		sent += before;
		if (sent >= SEND_BUDGET && c->resp.src != RS_NONE) {
			c->want_out = 1;  /* resume on EPOLLOUT, after other connections */
			return 0;
		}
	}
}

/* ---- request handling ---- */

/* Copy what the request head says into c->req (the head bytes are about to
 * be consumed) and count the request. */
static void req_setup(struct conn *c, const struct h1_msg *m)
{
	struct req *r = &c->req;
	const struct h1_hdr *h;
	const char *u = m->uri.p, *ue = m->uri.p + m->uri.len, *q;
	size_t n;

	req_release(r);
	memset(r, 0, sizeof(*r));
	r->meth = m->meth;
	r->mslot = meth_slot_of(m->meth);
	n = MIN((size_t)m->method.len, sizeof(r->method) - 1);
	memcpy(r->method, m->method.p, n);
	r->method[n] = 0;

	/* absolute-form (a proxy's request line): skip scheme and authority */
	if (u < ue && *u != '/') {
		const char *s = memchr(u, ':', (size_t)(ue - u));

		if (s && ue - s > 3 && s[1] == '/' && s[2] == '/') {
			const char *p = memchr(s + 3, '/', (size_t)(ue - s - 3));

			u = p ? p : ue;
		}
	}
	q = memchr(u, '?', (size_t)(ue - u));
	n = MIN((size_t)((q ? q : ue) - u), sizeof(r->path) - 1);
	memcpy(r->path, u, n);
	r->path[n] = 0;
	if (!n)
		strcpy(r->path, "/");
	if (q) {
		n = MIN((size_t)(ue - q - 1), sizeof(r->query) - 1);
		memcpy(r->query, q + 1, n);
		r->query[n] = 0;
	}

	h = h1_find_hdr(m, "x-request-id");
	if (h && h->value.len) {
		n = MIN((size_t)h->value.len, (size_t)APP_REQID_MAX);
		memcpy(r->req_id, h->value.p, n);
		r->req_id[n] = 0;
		r->has_id = 1;
	}
	r->version = m->version;
	if (m->version >= 11)
		r->keepalive = !(m->flags & H1_F_CONN_CLOSE);
	else
		r->keepalive = (m->flags & H1_F_CONN_KA) && !(m->flags & H1_F_CONN_CLOSE);
	r->route = route_of(r->path);
	if (m->flags & H1_F_CHUNKED) {
		r->bmode = BM_CHUNKED;
		h1_chunk_init(&r->chunk);
	} else if ((m->flags & H1_F_HAS_CL) && m->content_length) {
		r->bmode = BM_LENGTH;
		r->body_left = m->content_length;
	}
	if (route_hashes_body(r->route) && (r->meth == H1_M_POST || r->meth == H1_M_PUT)) {
		r->hash_body = 1;
		sha256_init(&r->sha);
	}
	if (route_keeps_body(r->route) && (r->meth == H1_M_POST || r->meth == H1_M_PUT))
		r->keep = malloc(APP_KEEP_MAX + 1);   /* NULL: answered 503 by the route */
	r->t_start_us = now_us;
	/* admin requests answer at once; not counting them keeps /admin/stats
	 * from reporting itself as in flight */
	if (!route_is_admin(r->route)) {
		r->inflight = 1;
		state_inflight_add(1);
	}
	state_count_request(r->route, r->mslot, r->has_id ? r->req_id : NULL);
	memset(&c->resp, 0, sizeof(c->resp));
}

/* Answer a request that could not be parsed, and close. */
static void conn_bad_request(struct conn *c, int status)
{
	static const char body[] = "bad request\n";

	if (status < 400 || status > 599)
		status = 400;
	req_abort(c);
	req_release(&c->req);
	memset(&c->req, 0, sizeof(c->req));
	strcpy(c->req.method, "-");
	strcpy(c->req.path, "-");
	c->req.t_start_us = now_us;
	c->req.version = 11;
	memset(&c->resp, 0, sizeof(c->resp));
	resp_simple(c, status, "text/plain", body, sizeof(body) - 1);
	c->resp.close_after = 1;
	c->state = CS_SEND;
}

/* Try to parse a head from the input buffer. Returns 1 when the state
 * changed, 0 when more input is needed, -1 when the connection was closed. */
static int conn_head(struct conn *c)
{
	struct h1_limits lim = { .max_head = APP_MAX_HEAD, .max_hdrs = APP_MAX_HDRS };
	struct h1_msg m;
	int ret;

	if (!c->in.data) {
		if (c->peer_eof) {
			conn_close(c, 0);
			return -1;
		}
		/* idle keep-alive connection: hold no buffer memory */
		buf_release(&c->in);
		buf_release(&c->out);
		return 0;
	}
	ret = h1_parse_request(buf_ptr(&c->in), c->in.data, &m, &lim);
	if (ret == H1_INCOMPLETE) {
		if (c->peer_eof) {
			conn_close(c, 0);  /* truncated head: nobody to answer */
			return -1;
		}
		if (c->in.data >= APP_MAX_HEAD) {
			conn_bad_request(c, 431);
			return 1;
		}
		return 0;
	}
	if (ret < 0) {
		conn_bad_request(c, m.err_status);
		return 1;
	}
	req_setup(c, &m);
	buf_consume(&c->in, (size_t)ret);
	if ((m.flags & H1_F_EXPECT_100) && c->req.bmode != BM_NONE && !c->in.data &&
	    c->req.version >= 11 && buf_alloc(&c->out, APP_OUT_SIZE) == 0)
		buf_append(&c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	c->state = CS_BODY;
	return 1;
}

/* The request is in: decide (answer now, later, never, or reset). Returns
 * -1 if the connection was closed. */
static int conn_dispatch(struct conn *c)
{
	long d = route_decide(c);

	if (d == -2) {
		conn_close(c, 1);
		return -1;
	}
	if (d == -1) {
		/* hung requests do not hold up a graceful exit */
		req_abort(c);
		c->state = CS_HANG;
		return 0;
	}
	if (d > 0) {
		c->state = CS_WAIT;
		loop_timer_set(&c->w->loop, &c->timer, now_ms + (uint64_t)d);
		return 0;
	}
	c->state = route_respond(c) ? CS_ASYNC : CS_SEND;
	return 0;
}

void conn_async_done(struct conn *c)
{
	if (c->closed || c->state != CS_ASYNC)
		return;
	c->state = CS_SEND;
	conn_process(c);
}

/* The response is entirely written: log, count, and go on. Returns -1 if
 * the connection is closing. */
static int conn_done(struct conn *c)
{
	struct req *r = &c->req;

	alog_request(r->method, r->path, c->resp.status, now_us - r->t_start_us,
		     r->has_id ? r->req_id : NULL, c->resp.body_bytes);
	state_count_status(c->resp.status);
	metrics_observe(r->route, c->resp.status, now_us - r->t_start_us);
	req_abort(c);
	req_release(r);
	if (c->resp.close_after) {
		/* lingering close: FIN now, drain input until the client closes */
		shutdown(c->fd, SHUT_WR);
		c->state = CS_LINGER;
		loop_timer_set(&c->w->loop, &c->timer, now_ms + LINGER_MS);
		return -1;
	}
	c->state = CS_HEAD;
	return 0;
}

/* Register the events the current state waits for. */
static void conn_update_events(struct conn *c)
{
	uint32_t mask = 0;

	if (c->closed)
		return;
	if (!c->peer_eof && (!c->in.area || buf_room(&c->in)))
		mask |= EPOLLIN;
	if (c->want_out)
		mask |= EPOLLOUT;
	if (loop_io_set(&c->w->loop, &c->io, mask) < 0)
		conn_close(c, 0);
}

/* Run the state machine as far as it goes without waiting. */
static void conn_process(struct conn *c)
{
	int r;

	while (!c->closed) {
		switch (c->state) {
		case CS_HEAD:
			r = conn_head(c);
			if (r <= 0)
				goto wait;
			continue;
		case CS_BODY:
			if (c->out.data && !c->want_out && conn_write_out(c) < 0) {
				conn_close(c, 0);  /* 100-continue could not be sent */
				return;
			}
			r = body_consume(&c->req, &c->in);
			if (r < 0) {
				conn_bad_request(c, 400);
				continue;
			}
			if (r == 0) {
				if (c->peer_eof || (c->in.area && !buf_room(&c->in))) {
					conn_close(c, 0);  /* body cut short, or no progress possible */
					return;
				}
				goto wait;
			}
			if (conn_dispatch(c) < 0)
				return;
			continue;
		case CS_WAIT:
		case CS_ASYNC:
			goto wait;
		case CS_HANG:
			if (c->peer_eof) {
				conn_close(c, 0);
				return;
			}
			/* keep reading (and discarding) so a live client is noticed leaving */
			if (c->in.data)
				buf_consume(&c->in, c->in.data);
			goto wait;
		case CS_SEND:
			r = conn_send(c);
			if (r < 0) {
				conn_close(c, 0);
				return;
			}
			if (r == 0)
				goto wait;
			conn_done(c);
			continue;
		case CS_LINGER:
			if (c->in.data)
				buf_consume(&c->in, c->in.data);
			if (c->peer_eof) {
				conn_close(c, 0);
				return;
			}
			goto wait;
		}
	}
	return;
wait:
	conn_update_events(c);
}

static void conn_io_cb(struct ev_io *io, uint32_t events)
{
	struct conn *c = io->ctx;

	if (c->closed)
		return;
	/* ERR, or HUP (both directions shut: a reset, or the peer's FIN after
	 * our own shutdown): nothing more can be sent, and a level-triggered
	 * HUP would otherwise fire forever */
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(c, 0);
		return;
	}
	if (events & EPOLLOUT)
		c->want_out = 0;
	if ((events & EPOLLIN) && conn_read(c) < 0) {
		conn_close(c, 0);
		return;
	}
	conn_process(c);
}

static void conn_timer_cb(struct ev_timer *t)
{
	struct conn *c = t->ctx;

	if (c->closed)
		return;
	if (c->state == CS_LINGER) {
		conn_close(c, 0);
		return;
	}
	if (c->state == CS_WAIT) {
		c->state = route_respond(c) ? CS_ASYNC : CS_SEND;
		conn_process(c);
	}
}

/* Called once before threads start. */
void conn_global_init(void)
{
	pattern_init();
}
