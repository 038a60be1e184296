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
#include <tandem/ssl.h>
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
	const struct server *s = h->srv;
	long n;

	/* HAProxy: checks send the PROXY protocol with `check-send-proxy`, or
	 * when the server's traffic does and the check goes to its own port */
	h->pp_default = s->check_send_proxy || (s->pp_opts && !s->chk_port && !s->chk_addrlen);
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
		if (!r->linger)   /* `connect linger` closes cleanly */
			setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(r->fd);
		r->fd = -1;
	}
	r->running = 0;
	r->out = NULL;
	r->pplen = r->ppoff = 0;
	free(r->dyn);
	r->dyn = NULL;
}

/* ---- HAProxy's description of where a tcp-check stopped ---- */

static int first_rule(const struct chk_px *p)
{
	int n;
	const struct chk_tcp_rule *t = chk_rules(p, &n);

	for (int i = 0; i < n; i++)
		if (t[i].act != TCR_COMMENT)
			return i;
	return -1;
}

/* " at step N of tcp-check (...)" for the rule being run, or for the
 * connection step; "" when the check is not a tcp-check. */
static void tcp_where(const struct srv_health *h, char *out, size_t len)
{
	const struct chk_px *p = h->px;
	const struct chk_tcp_rule *t, *rules;
	int n = 0, i, nr;

	*out = 0;
	if (!is_tcp(h) || p->proto)   /* protocol checks name no step (HAProxy) */
		return;
	rules = chk_rules(p, &nr);
	if (!h->run.connected) {
		i = h->run.conn_step >= 0 ? h->run.conn_step : first_rule(p);
		if (i < 0 || rules[i].act != TCR_CONNECT) {
			snprintf(out, len, " at initial connection step of tcp-check");
			return;
		}
	} else {
		i = h->run.step < nr ? h->run.step : nr - 1;
		if (i < 0) {
			snprintf(out, len, " at initial connection step of tcp-check");
			return;
		}
	}
	t = &rules[i];
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
	chk_report(h, h->run.connected ? chk_tout_status(h, HCHK_L7TOUT) : HCHK_L4TOUT, 0, where);
}

/* ---- I/O ---- */

static void want(struct srv_health *h, int wr)
{
	uint32_t m = wr ? EPOLLOUT : 0;

	if (!h->run.eof && (!h->run.in || h->run.inlen < h->run.incap))
		m |= EPOLLIN | EPOLLRDHUP;
	loop_io_set(owner_loop(h), &h->run.io, m ? m : EPOLLERR);
}

/* The PROXY protocol header of the connection goes out first. 1 sent,
 * 0 waiting, -1 reported. */
static int send_pp(struct srv_health *h)
{
	struct chk_run *r = &h->run;

	while (r->ppoff < r->pplen) {
		int st, err = 0;
		ssize_t n = sock_send(r->fd, r->pp + r->ppoff, r->pplen - r->ppoff, &st, &err);

		if (st == SIO_AGAIN) {
			want(h, 1);
			return 0;
		}
		if (st != SIO_DONE) {
			fail_errno(h, HCHK_SOCKERR, err);
			return -1;
		}
		r->ppoff += (size_t)n;
	}
	return 1;
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

static int start_connect(struct srv_health *h, const struct chk_tcp_rule *t);

/* Run the rules from the current step until one waits or the end. */
static void tcp_run(struct srv_health *h)
{
	struct chk_run *r = &h->run;
	int n, last = -1;
	const struct chk_tcp_rule *rules = chk_rules(h->px, &n);

	if (r->ppoff < r->pplen) {
		int v = send_pp(h);

		if (v <= 0)
			return;
	}
	for (; r->step < n; r->step++) {
		const struct chk_tcp_rule *t = &rules[r->step];
		int final, v;

		switch (t->act) {
		case TCR_CONNECT:
			/* a later connect step: a new connection, the
			 * current one is closed (HAProxy's multi-connect
			 * sequences) */
			if (r->conn_step != r->step) {
				start_connect(h, t);
				return;
			}
			break;
		case TCR_SEND:
			if (r->phase != SND_BUSY) {   /* a new exchange: forget what was read */
				r->out = (char *)chk_send_data(h, t, &r->outlen);
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
			if (!r->inlen && t->exp.type != EXP_CUSTOM) {
				char desc[HS_DESC_LEN];

				if (!final)
					return;
				if (t->exp.comment)
					snprintf(desc, sizeof(desc), "TCPCHK got an empty response at step %d comment: '%s'",
						 r->step + 1, t->exp.comment);
				else
					snprintf(desc, sizeof(desc), "TCPCHK got an empty response at step %d", r->step + 1);
				chk_report(h, t->exp.err_status ? t->exp.err_status : HCHK_L7RSP, 0, desc);
				return;
			}
			v = chk_expect_eval(h, t, r->step, final);
			if (v != 1)
				return;      /* waiting, or failed (or passed) and reported */
			break;
		default:
			break;
		}
		if (t->act != TCR_COMMENT)
			last = r->step;
	}
	if (last < 0 || rules[last].act == TCR_CONNECT)
		chk_report(h, HCHK_L4OK, 0, last < 0 || r->conn_step < 0 ? NULL : "(tcp-check)");
	else
		chk_tcp_passed(h, &rules[last]);
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
		if (h->px->send_state)   /* the request carries the server's state now */
			r->out = chk_http_state_request(h, &r->outlen);
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
	if (chk_http_eval(h->px, r->in, r->inlen, r->incap, r->eof, &status, &code, desc, sizeof(desc))) {
		chk_http_disable404(h, &status, code, desc);
		chk_report(h, status, code, desc);
	}
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

/* TLS on this connection: a connect rule's `ssl`, else the server's
 * check-ssl; a rule's own SNI and ALPN are set before the handshake. */
static int tls_wanted(const struct srv_health *h)
{
	return h->run.tls < 0 ? chk_tls_wanted(h) : h->run.tls;
}

static int tls_start(struct srv_health *h)
{
	struct chk_run *r = &h->run;

	if (!r->ssl && (r->sni || r->alpn) && h->srv->ssl_rt &&
	    (!(r->ssl = ssl_check_new(h->srv, r->fd)) || ssl_check_names(h->srv, r->ssl, r->sni, r->alpn) < 0)) {
		chk_report(h, HCHK_SOCKERR, 0, "cannot start TLS");
		return -1;
	}
	return chk_tls_step(h);   /* a missing context is reported there too */
}

static void connected(struct srv_health *h)
{
	const struct proxy *be = h->srv->be;

	h->run.connected = 1;
	if (be->to.check)   /* from now on, "timeout check" bounds the check */
		loop_timer_set(owner_loop(h), &h->run.tmr, now_ms + be->to.check);
	want(h, 0);
	if (h->run.pplen)   /* a PROXY protocol header goes out before anything, TLS included */
		chk_pp_prepare(h, h->run.fd);
	if (h->run.ppoff < h->run.pplen && send_pp(h) <= 0)
		return;   /* io_cb sends the rest */
	if (tls_wanted(h) && tls_start(h) <= 0)
		return;   /* TLS first (check-ssl, connect ssl): io_cb continues it */
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
	if (r->ppoff < r->pplen) {   /* the PROXY header, before TLS and the check */
		if (send_pp(h) <= 0)
			return;
		want(h, 0);
		if (tls_wanted(h) && tls_start(h) <= 0)
			return;
		progress(h);
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

/* Open the connection of connect rule <t> (NULL: the default one): where
 * it goes, whether a PROXY header goes first, how it ends. */
static int open_conn(struct srv_health *h, const struct chk_tcp_rule *t)
{
	struct chk_run *r = &h->run;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, pp;

	if (t)
		chk_connect_target(h, t, &ss, &sl);
	else {
		ss = h->addr;
		sl = h->addrlen;
	}
	pp = t ? (t->send_proxy || (t->dflt && h->pp_default)) : h->pp_default;
	if (is_http(h) && h->px->has_conn)
		pp = h->px->conn_pp || h->pp_default;
	r->linger = t && t->linger;
	/* TLS: a connect rule's `ssl`; without it, plain unless `default`
	 * (or no rule at all): then the server's check-ssl */
	r->tls = t ? (t->ssl ? 1 : t->dflt ? -1 : 0) : -1;
	r->sni = t ? t->sni : NULL;
	r->alpn = t ? t->alpn : NULL;
	if (is_http(h) && h->px->has_conn) {
		r->tls = h->px->conn_ssl ? 1 : h->px->conn_dflt ? -1 : 0;
		r->sni = h->px->conn_sni;
		r->alpn = h->px->conn_alpn;
	}
	r->pplen = r->ppoff = 0;
	if (pp)
		r->pplen = 1;   /* built once connected, when the local address is known */
	if ((fd = chk_sock_connect(h, &ss, sl)) < 0) {
		int e = errno;

		fail_errno(h, (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) ? HCHK_SOCKERR : HCHK_L4CON, e);
		return -1;
	}
	r->fd = fd;
	ev_io_init(&r->io, fd, io_cb, h);
	if (loop_io_set(owner_loop(h), &r->io, EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0) {
		fail_errno(h, HCHK_SOCKERR, errno);
		return -1;
	}
	return 0;
}

/* A later `connect` step: close the current connection, open the next. */
static int start_connect(struct srv_health *h, const struct chk_tcp_rule *t)
{
	struct chk_run *r = &h->run;
	int step = r->step;

	chk_tls_close(r);   /* the previous connection's TLS, if any */
	if (r->fd >= 0) {
		struct linger lg = { 1, 0 };

		loop_io_del(owner_loop(h), &r->io);
		if (!r->linger)
			setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(r->fd);
		r->fd = -1;
	}
	r->connected = 0;
	r->conn_step = step;
	r->phase = SND_NONE;
	r->inlen = 0;
	r->eof = 0;
	r->out = NULL;
	r->outlen = r->outoff = 0;
	return open_conn(h, t);
}

void chk_conn_start(struct srv_health *h)
{
	struct chk_run *r = &h->run;
	const struct proxy *be = h->srv->be;
	const struct chk_tcp_rule *first = NULL;
	uint32_t to = h->conf.inter;

	r->running = 1;
	r->connected = 0;
	r->step = 0;
	r->phase = SND_NONE;
	r->inlen = 0;
	r->eof = 0;
	r->out = NULL;
	r->outlen = r->outoff = 0;
	r->conn_step = -1;
	r->start_us = clock_mono_us();
	if (!r->in) {
		r->incap = in_cap();
		if (!(r->in = malloc(r->incap + 1))) {
			fail_errno(h, HCHK_SOCKERR, ENOMEM);
			return;
		}
	}
	if (is_tcp(h)) {   /* a first `connect` rule sets up the first connection */
		int i = first_rule(h->px), n;
		const struct chk_tcp_rule *rules = chk_rules(h->px, &n);

		if (i >= 0 && rules[i].act == TCR_CONNECT) {
			first = &rules[i];
			r->conn_step = i;
		}
	}
	if (open_conn(h, first) < 0)
		return;
	if (be->to.check && be->to.connect && be->to.connect < to)
		to = be->to.connect;
	loop_timer_set(owner_loop(h), &r->tmr, now_ms + to);
}
