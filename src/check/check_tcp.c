/* One active check: a non-blocking connection on the owner thread's loop,
 * then nothing more (plain layer 4 check), the tcp-check rules (send,
 * expect), or an HTTP exchange (check_http.c). The result goes to
 * chk_report() with HAProxy's statuses and info texts.
 *
 * Timeouts follow HAProxy's "timeout check": when it is set, connecting
 * may take min(timeout connect, inter) and, once connected, the rest of
 * the check may take "timeout check"; when it is not set, the whole check
 * must end within "inter". Connections end with a reset (SO_LINGER 0), as
 * HAProxy's checks do, so checks leave no TIME_WAIT sockets behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include <tandem/sock.h>
#include <tandem/worker.h>
#include "check_int.h"

enum { SND_NONE = 0, SND_BUSY, SND_DONE };

static size_t in_cap(void)
{
	uint32_t b = worker.cfg ? worker.cfg->g.tune_bufsize : 0;

	return b ? b : 16384;
}

static struct loop *owner_loop(const struct srv_health *h)
{
	return &worker.thr[h->tid].loop;
}

static int is_tcp(const struct srv_health *h)
{
	return h->px && h->px->type == CHK_TYPE_TCP;
}

static int is_http(const struct srv_health *h)
{
	return h->px && h->px->type == CHK_TYPE_HTTP;
}

int chk_prepare(struct srv_health *h)
{
	long n;

	if (!is_http(h))
		return 0;
	if ((n = chk_http_request(h->px, &h->req)) < 0)
		return -1;
	h->reqlen = (size_t)n;
	return 0;
}

void chk_conn_close(struct srv_health *h)
{
	struct chk_run *r = &h->run;

	chk_tls_close(r);
	if (r->fd >= 0) {
		struct linger lg = { 1, 0 };

		loop_io_del(owner_loop(h), &r->io);
		setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(r->fd);
		r->fd = -1;
	}
	r->running = 0;
	r->out = NULL;
}

/* ---- HAProxy's description of where a tcp-check stopped ---- */

static int first_rule(const struct chk_px *p)
{
	for (int i = 0; i < p->ntcp; i++)
		if (p->tcp[i].act != TCR_COMMENT)
			return i;
	return -1;
}

/* " at step N of tcp-check (...)" for the rule being run, or for the
 * connection step; "" when the check is not a tcp-check. */
static void tcp_where(const struct srv_health *h, char *out, size_t len)
{
	const struct chk_px *p = h->px;
	const struct chk_tcp_rule *t;
	int n = 0, i;

	*out = 0;
	if (!is_tcp(h))
		return;
	if (!h->run.connected) {
		i = first_rule(p);
		if (i < 0 || p->tcp[i].act != TCR_CONNECT) {
			snprintf(out, len, " at initial connection step of tcp-check");
			return;
		}
	} else {
		i = h->run.step < p->ntcp ? h->run.step : p->ntcp - 1;
		if (i < 0) {
			snprintf(out, len, " at initial connection step of tcp-check");
			return;
		}
	}
	t = &p->tcp[i];
	n = snprintf(out, len, " at step %d of tcp-check", i + 1);
	if (n < 0 || (size_t)n >= len)
		return;
	switch (t->act) {
	case TCR_CONNECT:
		if (t->port)
			n += snprintf(out + n, len - (size_t)n, " (connect port %d)", t->port);
		else
			n += snprintf(out + n, len - (size_t)n, " (connect)");
		break;
	case TCR_SEND:
		n += snprintf(out + n, len - (size_t)n, " (send)");
		break;
	case TCR_EXPECT:
		switch (t->exp.type) {
		case EXP_STRING:  n += snprintf(out + n, len - (size_t)n, " (expect string '%s')", t->exp.pat); break;
		case EXP_BINARY:  n += snprintf(out + n, len - (size_t)n, " (expect binary '%s')", t->exp.pat); break;
		case EXP_RSTRING: n += snprintf(out + n, len - (size_t)n, " (expect regex)"); break;
		default:          n += snprintf(out + n, len - (size_t)n, " (expect binary regex)"); break;
		}
		break;
	}
	if (t->comment && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, " comment: '%s'", t->comment);
}

/* A connection-level failure: L4CON while connecting, SOCKERR after. */
static void fail_errno(struct srv_health *h, int status, int err)
{
	char where[HS_DESC_LEN], desc[HS_DESC_LEN];

	tcp_where(h, where, sizeof(where));
	snprintf(desc, sizeof(desc), "%s%s", err ? strerror(err) : "", where);
	chk_report(h, status, 0, desc);
}

void chk_conn_timeout(struct srv_health *h)
{
	char where[HS_DESC_LEN];

	tcp_where(h, where, sizeof(where));
	if (h->run.connected && h->run.ssl && !h->run.tls_done) {
		chk_report(h, HCHK_L6TOUT, 0, NULL);   /* the TLS handshake did not end */
		return;
	}
	chk_report(h, h->run.connected ? HCHK_L7TOUT : HCHK_L4TOUT, 0, where);
}

/* ---- I/O ---- */

static void want(struct srv_health *h, int wr)
{
	uint32_t m = wr ? EPOLLOUT : 0;

	if (!h->run.eof && (!h->run.in || h->run.inlen < h->run.incap))
		m |= EPOLLIN | EPOLLRDHUP;
	loop_io_set(owner_loop(h), &h->run.io, m ? m : EPOLLERR);
}

/* Send what is pending. 0 done or waiting, -1 reported. */
static int send_some(struct srv_health *h)
{
	struct chk_run *r = &h->run;

	while (r->outoff < r->outlen) {
		int st, err = 0;
		ssize_t n = chk_send(h, r->out + r->outoff, r->outlen - r->outoff, &st, &err);

		if (st == SIO_AGAIN)
			break;
		if (st != SIO_DONE) {
			fail_errno(h, HCHK_SOCKERR, err);
			return -1;
		}
		r->outoff += (size_t)n;
	}
	want(h, r->outoff < r->outlen);
	return 0;
}

/* Read what is there. 0 ok (eof may be set), -1 reported (error with
 * nothing read: the server's data, if any, is judged instead). */
static int recv_some(struct srv_health *h)
{
	struct chk_run *r = &h->run;

	if (!r->in) {
		r->incap = in_cap();
		if (!(r->in = malloc(r->incap + 1))) {
			fail_errno(h, HCHK_SOCKERR, ENOMEM);
			return -1;
		}
	}
	while (!r->eof && r->inlen < r->incap) {
		int st, err = 0;
		ssize_t n = chk_recv(h, r->in + r->inlen, r->incap - r->inlen, &st, &err);

		if (n > 0) {
			r->inlen += (size_t)n;
			continue;
		}
		if (st == SIO_AGAIN)
			break;
		if (st == SIO_ERR && !r->inlen) {
			fail_errno(h, HCHK_SOCKERR, err);
			return -1;
		}
		r->eof = 1;   /* closed, or a reset right after the data: judge the data */
	}
	r->in[r->inlen] = 0;
	if (r->eof)
		want(h, r->outoff < r->outlen);
	return 0;
}

/* ---- tcp-check rules ---- */

static void tcp_fail_expect(struct srv_health *h, const struct chk_tcp_rule *t, int matched)
{
	char desc[HS_DESC_LEN];
	int n, step = h->run.step + 1;

	n = snprintf(desc, sizeof(desc), "%s", matched ? "TCPCHK matched unwanted content" : "TCPCHK did not match content");
	switch (t->exp.type) {
	case EXP_STRING:  n += snprintf(desc + n, sizeof(desc) - (size_t)n, " '%s' at step %d", t->exp.pat, step); break;
	case EXP_BINARY:  n += snprintf(desc + n, sizeof(desc) - (size_t)n, " (binary) at step %d", step); break;
	case EXP_RSTRING: n += snprintf(desc + n, sizeof(desc) - (size_t)n, " (regex) at step %d", step); break;
	default:          n += snprintf(desc + n, sizeof(desc) - (size_t)n, " (binary regex) at step %d", step); break;
	}
	if (t->exp.comment && n > 0 && (size_t)n < sizeof(desc))
		snprintf(desc + n, sizeof(desc) - (size_t)n, " comment: %s", t->exp.comment);
	chk_report(h, HCHK_L7RSP, 0, desc);
}

/* Run the rules from the current step until one waits or the end. */
static void tcp_run(struct srv_health *h)
{
	const struct chk_px *p = h->px;
	struct chk_run *r = &h->run;
	int last = -1;

	for (; r->step < p->ntcp; r->step++) {
		const struct chk_tcp_rule *t = &p->tcp[r->step];
		int m, final;

		switch (t->act) {
		case TCR_SEND:
			if (r->phase != SND_BUSY) {   /* a new exchange: forget what was read */
				r->out = t->data;
				r->outlen = t->len;
				r->outoff = 0;
				r->inlen = 0;
				r->phase = SND_BUSY;
			}
			if (send_some(h) < 0)
				return;
			if (r->outoff < r->outlen)
				return;
			r->phase = SND_DONE;
			r->out = NULL;
			break;
		case TCR_EXPECT:
			final = r->eof || r->inlen >= r->incap;
			if (!r->inlen) {
				char desc[HS_DESC_LEN];

				if (!final)
					return;
				if (t->exp.comment)
					snprintf(desc, sizeof(desc), "TCPCHK got an empty response at step %d comment: '%s'",
						 r->step + 1, t->exp.comment);
				else
					snprintf(desc, sizeof(desc), "TCPCHK got an empty response at step %d", r->step + 1);
				chk_report(h, HCHK_L7RSP, 0, desc);
				return;
			}
			m = chk_expect_match(&t->exp, r->in, r->inlen);
			if (!m && !final)
				return;            /* the match may still come */
			if (!(m ^ t->exp.inverse)) {
				tcp_fail_expect(h, t, m);
				return;
			}
			break;
		default:
			break;
		}
		if (t->act != TCR_COMMENT)
			last = r->step;
	}
	if (last < 0 || p->tcp[last].act == TCR_CONNECT)
		chk_report(h, HCHK_L4OK, 0, last < 0 ? NULL : "(tcp-check)");
	else
		chk_report(h, HCHK_L7OK, 0, "(tcp-check)");
}

/* ---- HTTP ---- */

static void http_run(struct srv_health *h)
{
	struct chk_run *r = &h->run;
	char desc[HS_DESC_LEN];
	int status, code;

	if (r->phase == SND_NONE) {
		r->out = h->req;
		r->outlen = h->reqlen;
		r->outoff = 0;
		r->phase = SND_BUSY;
	}
	if (r->phase == SND_BUSY) {
		if (send_some(h) < 0)
			return;
		if (r->outoff < r->outlen)
			return;
		r->phase = SND_DONE;
	}
	if (!r->inlen && !r->eof)
		return;
	desc[0] = 0;
	if (chk_http_eval(h->px, r->in, r->inlen, r->incap, r->eof, &status, &code, desc, sizeof(desc)))
		chk_report(h, status, code, desc);
}

/* ---- driving ---- */

static void progress(struct srv_health *h)
{
	if (is_tcp(h))
		tcp_run(h);
	else if (is_http(h))
		http_run(h);
	else
		chk_report(h, h->run.ssl ? HCHK_L6OK : HCHK_L4OK, 0, NULL);
}

static void connected(struct srv_health *h)
{
	const struct proxy *be = h->srv->be;

	h->run.connected = 1;
	if (be->to.check)   /* from now on, "timeout check" bounds the check */
		loop_timer_set(owner_loop(h), &h->run.tmr, now_ms + be->to.check);
	want(h, 0);
	if (chk_tls_wanted(h) && chk_tls_step(h) <= 0)
		return;   /* TLS first (check-ssl): io_cb continues it */
	progress(h);
}

static void io_cb(struct ev_io *io, uint32_t ev)
{
	struct srv_health *h = io->ctx;
	struct chk_run *r = &h->run;

	if (!r->running || r->fd < 0)
		return;
	if (!r->connected) {
		int e = sock_error(r->fd);

		if (e) {
			fail_errno(h, HCHK_L4CON, e);
			return;
		}
		if (ev & (EPOLLOUT | EPOLLIN))
			connected(h);
		return;
	}
	if (r->ssl && !r->tls_done) {
		if (chk_tls_step(h) <= 0)
			return;
		progress(h);
		return;
	}
	if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && recv_some(h) < 0)
		return;
	progress(h);
}

void chk_conn_start(struct srv_health *h)
{
	struct chk_run *r = &h->run;
	const struct proxy *be = h->srv->be;
	uint32_t to = h->conf.inter;
	int fd;

	r->running = 1;
	r->connected = 0;
	r->step = 0;
	r->phase = SND_NONE;
	r->inlen = 0;
	r->eof = 0;
	r->out = NULL;
	r->outlen = r->outoff = 0;
	r->start_us = clock_mono_us();
	if (!r->in) {
		r->incap = in_cap();
		if (!(r->in = malloc(r->incap + 1))) {
			fail_errno(h, HCHK_SOCKERR, ENOMEM);
			return;
		}
	}
	if ((fd = sock_connect(&h->addr, h->addrlen)) < 0) {
		int e = errno;

		fail_errno(h, (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) ? HCHK_SOCKERR : HCHK_L4CON, e);
		return;
	}
	r->fd = fd;
	ev_io_init(&r->io, fd, io_cb, h);
	if (loop_io_set(owner_loop(h), &r->io, EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0) {
		fail_errno(h, HCHK_SOCKERR, errno);
		return;
	}
	if (be->to.check && be->to.connect && be->to.connect < to)
		to = be->to.connect;
	loop_timer_set(owner_loop(h), &r->tmr, now_ms + to);
}
