/* hc: non-blocking HTTP/1.1 client connection (see hc.h). The response
 * head is parsed with tandem's own h1_parse_response and chunked bodies are
 * followed with h1_chunk_feed, so chaos judges responses by the same rules
 * as the proxy under test. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/h1.h>
#include <tandem/loop.h>
#include <tandem/sock.h>
#include "hc.h"

#define HC_BUFSIZE 16384

enum { HCS_IDLE, HCS_CONNECTING, HCS_SENDING, HCS_HEAD, HCS_BODY };
enum { BODY_NONE, BODY_LEN, BODY_CHUNKED, BODY_CLOSE };

/* One thread: one parsed head at a time. */
static struct h1_msg scratch;
static const struct h1_limits limits = { HC_BUFSIZE, H1_MAX_HDRS };

static void hc_io_cb(struct ev_io *io, uint32_t ev);
static void hc_timer_cb(struct ev_timer *t);
static void hc_task_cb(struct ev_task *t);

const char *hc_err_name(int err)
{
	static const char *const names[] = { "ok", "connect", "reset", "closed", "timeout", "bad" };
	return err >= 0 && err <= HC_E_BAD ? names[err] : "?";
}

void hc_init(struct hc *c, const struct target *dst, hc_cb cb, void *ctx)
{
	memset(c, 0, sizeof(*c));
	ev_io_init(&c->io, -1, hc_io_cb, c);
	ev_timer_init(&c->tmr, hc_timer_cb, c);
	ev_task_init(&c->task, hc_task_cb, c);
	c->dst = *dst;
	c->cb = cb;
	c->ctx = ctx;
}

int hc_busy(const struct hc *c)
{
	return c->state != HCS_IDLE || !list_empty(&c->task.link);
}

static void drop_conn(struct hc *c)
{
	if (c->io.fd >= 0) {
		loop_io_del(this_loop, &c->io);
		close(c->io.fd);
		c->io.fd = -1;
	}
	c->in.data = c->in.head = 0;
	c->out.data = c->out.head = 0;
}

void hc_close(struct hc *c)
{
	loop_timer_del(this_loop, &c->tmr);
	loop_task_cancel(&c->task);
	drop_conn(c);
	c->state = HCS_IDLE;
}

void hc_free(struct hc *c)
{
	hc_close(c);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->body);
	c->body = NULL;
}

/* Report the outcome of the current request and return to idle. The
 * connection survives only a complete response that did not ask to close. */
static void finish(struct hc *c, int err)
{
	struct hc_resp r;

	loop_timer_del(this_loop, &c->tmr);
	memset(&r, 0, sizeof(r));
	r.err = err;
	r.status = err ? 0 : c->status;
	memcpy(r.node, c->node, sizeof(r.node));
	r.t_start_us = c->t0_us;
	r.t_end_us = clock_mono_us();
	r.body = c->body;
	r.body_len = c->body_len;
	if (err || c->close_after || c->body_mode == BODY_CLOSE || c->in.data)
		drop_conn(c);   /* bytes beyond the response: not a sane connection */
	c->state = HCS_IDLE;
	if (c->io.fd >= 0)
		loop_io_set(this_loop, &c->io, EPOLLIN | EPOLLRDHUP); /* notice a close while idle */
	c->cb(c, &r);
}

static void fail_later(struct hc *c, int err)
{
	c->pending_err = err;
	drop_conn(c);
	loop_task_wake(this_loop, &c->task);
}

static void hc_task_cb(struct ev_task *t)
{
	struct hc *c = t->ctx;

	finish(c, c->pending_err);
}

static void hc_timer_cb(struct ev_timer *t)
{
	struct hc *c = t->ctx;

	if (c->state != HCS_IDLE)
		finish(c, HC_E_TIMEOUT);
}

/* Write what is left of the request. Returns 0 (all sent or would block),
 * or an hc_err. */
static int do_write(struct hc *c)
{
	while (c->out.data) {
		ssize_t n = send(c->io.fd, buf_ptr(&c->out), c->out.data, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return errno == ECONNREFUSED ? HC_E_CONNECT : HC_E_RESET;
		}
		buf_consume(&c->out, (size_t)n);
	}
	c->state = HCS_HEAD;
	loop_io_set(this_loop, &c->io, EPOLLIN | EPOLLRDHUP);
	return 0;
}

static void keep(struct hc *c, const char *p, size_t n)
{
	size_t room;

	if (!c->keep_body || !c->body)
		return;
	room = c->keep_body - 1 - c->body_len;
	if (n > room)
		n = room;
	memcpy(c->body + c->body_len, p, n);
	c->body_len += n;
	c->body[c->body_len] = 0;
}

/* The response head is in: note status and X-Node, choose the body mode. */
static void got_head(struct hc *c, const struct h1_msg *m)
{
	const struct h1_hdr *h = h1_find_hdr(m, "x-node");

	c->status = m->status;
	c->node[0] = 0;
	if (h) {
		size_t n = h->value.len < HC_NODE_MAX - 1 ? h->value.len : HC_NODE_MAX - 1;
		memcpy(c->node, h->value.p, n);
		c->node[n] = 0;
	}
	if ((m->flags & H1_F_CONN_CLOSE) || (m->version == 10 && !(m->flags & H1_F_CONN_KA)))
		c->close_after = 1;
	if (c->head_req || !h1_resp_has_body(H1_M_GET, m->status))
		c->body_mode = BODY_NONE;
	else if (m->flags & H1_F_CHUNKED) {
		c->body_mode = BODY_CHUNKED;
		h1_chunk_init(&c->ck);
	} else if (m->flags & H1_F_HAS_CL) {
		c->body_mode = BODY_LEN;
		c->body_left = m->content_length;
	} else
		c->body_mode = BODY_CLOSE;
	c->state = HCS_BODY;
}

/* Make progress on the bytes in c->in. Returns 1 when the request is over
 * (reported), 0 when more bytes are needed. */
static int parse(struct hc *c)
{
	while (c->state == HCS_HEAD) {
		int r = h1_parse_response(buf_ptr(&c->in), c->in.data, &scratch, &limits);
		if (r == H1_INCOMPLETE) {
			if (c->in.data >= HC_BUFSIZE) {
				finish(c, HC_E_BAD);
				return 1;
			}
			return 0;
		}
		if (r < 0 || scratch.status == 101) {
			finish(c, HC_E_BAD);
			return 1;
		}
		if (scratch.status >= 200)
			got_head(c, &scratch);
		buf_consume(&c->in, (size_t)r);   /* 1xx: skip, parse the next head */
	}
	switch (c->body_mode) {
	case BODY_LEN: {
		size_t n = c->in.data < c->body_left ? c->in.data : (size_t)c->body_left;
		keep(c, buf_ptr(&c->in), n);
		buf_consume(&c->in, n);
		c->body_left -= n;
		if (c->body_left)
			return 0;
		break;
	}
	case BODY_CHUNKED: {
		ssize_t n = h1_chunk_feed(&c->ck, buf_ptr(&c->in), c->in.data);
		if (n < 0) {
			finish(c, HC_E_BAD);
			return 1;
		}
		buf_consume(&c->in, (size_t)n);   /* chunked bodies are never kept */
		if (!c->ck.done)
			return 0;
		break;
	}
	case BODY_CLOSE:
		keep(c, buf_ptr(&c->in), c->in.data);
		buf_consume(&c->in, c->in.data);
		return 0;                          /* complete at EOF */
	default:
		break;
	}
	finish(c, HC_OK);
	return 1;
}

static void do_read(struct hc *c)
{
	for (;;) {
		ssize_t n;

		if (!buf_tailroom(&c->in))
			buf_compact(&c->in);
		n = recv(c->io.fd, buf_tail(&c->in), buf_tailroom(&c->in), 0);
		if (n > 0) {
			c->in.data += (size_t)n;
			if (c->state == HCS_IDLE) {        /* unsolicited bytes */
				drop_conn(c);
				return;
			}
			if (parse(c))
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (c->state == HCS_IDLE) {           /* the server closed an idle connection */
			drop_conn(c);
			return;
		}
		if (n == 0 && c->state == HCS_BODY && c->body_mode == BODY_CLOSE)
			finish(c, HC_OK);
		else
			finish(c, n == 0 ? HC_E_CLOSED : HC_E_RESET);
		return;
	}
}

static void hc_io_cb(struct ev_io *io, uint32_t ev)
{
	struct hc *c = io->ctx;
	int err;

	switch (c->state) {
	case HCS_CONNECTING:
		err = sock_error(io->fd);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			finish(c, HC_E_CONNECT);
			return;
		}
		c->state = HCS_SENDING;
		/* fall through */
	case HCS_SENDING:
		err = do_write(c);
		if (err)
			finish(c, err);
		return;
	default:
		do_read(c);
		return;
	}
}

int hc_send(struct hc *c, const char *req, size_t len, int head_req, int close_after,
	    uint64_t timeout_ms)
{
	if (hc_busy(c))
		return -1;
	if (buf_alloc(&c->in, HC_BUFSIZE) < 0 || buf_alloc(&c->out, len > 4096 ? len : 4096) < 0)
		return -1;
	if (c->out.size < len) {
		buf_free(&c->out);
		if (buf_alloc(&c->out, len) < 0)
			return -1;
	}
	if (c->keep_body && !c->body && !(c->body = malloc(c->keep_body)))
		return -1;
	c->out.head = c->out.data = 0;
	buf_append(&c->out, req, len);
	c->in.head = c->in.data = 0;
	c->head_req = head_req;
	c->close_after = close_after;
	c->body_mode = BODY_NONE;
	c->body_len = 0;
	if (c->body)
		c->body[0] = 0;
	c->status = 0;
	c->node[0] = 0;
	c->t0_us = clock_mono_us();
	loop_timer_set(this_loop, &c->tmr, now_ms + timeout_ms);
	if (c->io.fd < 0) {
		int fd = sock_connect(&c->dst.ss, c->dst.len);
		if (fd < 0) {
			c->state = HCS_CONNECTING;
			fail_later(c, HC_E_CONNECT);
			return 0;
		}
		c->io.fd = fd;
		c->io.mask = 0;
		c->state = HCS_CONNECTING;
		if (loop_io_set(this_loop, &c->io, EPOLLOUT | EPOLLRDHUP) < 0)
			fail_later(c, HC_E_CONNECT);
		return 0;
	}
	/* kept-alive connection: write at once (it is almost always writable) */
	c->state = HCS_SENDING;
	{
		int err = do_write(c);
		if (err)
			fail_later(c, err);
		else if (c->state == HCS_SENDING)
			loop_io_set(this_loop, &c->io, EPOLLOUT | EPOLLRDHUP);
	}
	return 0;
}

/* ---- blocking fetch (set-up and tear-down only) ---- */

struct fetch_ctx {
	struct loop *l;
	int done, status, err;
	char *body;
	size_t cap;
	char *node;
};

static void fetch_cb(struct hc *c, const struct hc_resp *r)
{
	struct fetch_ctx *f = c->ctx;

	f->done = 1;
	f->err = r->err;
	f->status = r->err ? -1 : r->status;
	if (f->body && f->cap) {
		size_t n = r->body_len < f->cap - 1 ? r->body_len : f->cap - 1;
		memcpy(f->body, r->body ? r->body : "", n);
		f->body[n] = 0;
	}
	if (f->node)
		snprintf(f->node, HC_NODE_MAX, "%s", r->node);
	f->l->stop = 1;
}

int hc_fetch(struct loop *l, const struct target *dst, const char *path, uint64_t timeout_ms,
	     char *body, size_t cap, int *err)
{
	return hc_request(l, dst, "GET", path, timeout_ms, body, cap, NULL, err);
}

int hc_request(struct loop *l, const struct target *dst, const char *method, const char *path,
	       uint64_t timeout_ms, char *body, size_t cap, char *node, int *err)
{
	struct fetch_ctx f = { l, 0, -1, HC_E_CONNECT, body, cap, node };
	struct hc c;
	char req[512];
	int n;

	if (node)
		node[0] = 0;
	hc_init(&c, dst, fetch_cb, &f);
	c.keep_body = cap ? cap + 1 : 0;
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n",
		     method, path, dst->hostport,
		     strcmp(method, "GET") && strcmp(method, "HEAD") ? "Content-Length: 0\r\n" : "");
	clock_update();
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    hc_send(&c, req, (size_t)n, !strcmp(method, "HEAD"), 1, timeout_ms) < 0) {
		hc_free(&c);
		if (err)
			*err = HC_E_BAD;
		return -1;
	}
	l->stop = 0;
	while (!f.done && !l->stop)
		loop_run(l);
	l->stop = 0;
	hc_free(&c);
	if (err)
		*err = f.err;
	return f.status;
}
