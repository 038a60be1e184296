/* The stream state machine: one client connection, its requests in order,
 * and the server connection serving the current one.
 *
 *   REQ_WAIT --head parsed--> CONNECT --connected/reused--> XFER
 *      ^                         |  ^ (retry)                 |
 *      |                         v  |                         v
 *      +------ keep-alive ---- (response done) <--------------+
 *   APPLET: tandem answers itself (stats)   TUNNEL: mode tcp / after 101
 *   CLOSING: flush a final response, then CLOSED (freed after this round).
 *
 * Every event calls stream_process(), which runs the handler of the current
 * state until no handler makes progress, then re-arms the single timer with
 * the nearest deadline. Bodies are forwarded as validated byte ranges
 * straight from the input buffer of one side to the socket of the other
 * (gathered with the rewritten head in one sendmsg), never copied whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/conn.h>
#include <tandem/errors.h>
#include <tandem/h1.h>
#include <tandem/httplog.h>
#include <tandem/lb.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/server.h>
#include <tandem/sock.h>
#include <tandem/srv_admin.h>
#include <tandem/stats.h>
#include <tandem/stats_http.h>
#include <tandem/stream.h>
#include <tandem/worker.h>

/* Parsing scratch: a head is parsed and rewritten at once, so one per thread. */
static __thread struct h1_msg scratch_msg;

static void stream_process(struct stream *s);
static int do_connect(struct stream *s);
static void req_done_accounting(struct stream *s);

#define G (&worker.cfg->g)

static uint64_t after(uint32_t ms)
{
	return ms ? now_ms + ms : 0;
}

static void set_term(struct stream *s, char who, char when)
{
	if (s->term[0] == '-') {
		s->term[0] = who;
		s->term[1] = when;
	}
}

/* ---- lifecycle ---- */

static void stream_free_task(struct ev_task *t)
{
	struct stream *s = t->ctx;

	free(s->reqline);
	free(s);
}

/* A server slot was freed on this thread: let the oldest stream queued
 * for that backend here try again (other threads poll, see queue_tick). */
static void queue_wake(const struct proxy *be)
{
	struct list *l;

	list_for_each(l, &this_thr->queue) {
		struct stream *q = list_entry(l, struct stream, qlink);
		if (q->be == be) {
			loop_timer_set(this_loop, &q->tmr, now_ms);
			return;
		}
	}
}

static void release_server_slot(struct stream *s)
{
	if (s->srv_counted) {
		__atomic_fetch_sub(&s->srv->cur_conns, 1, __ATOMIC_RELAXED);
		CTR_SUB(s->srv->ctr->cur_sess, 1);
		s->srv_counted = 0;
		if (s->srv->maxconn && !list_empty(&this_thr->queue))
			queue_wake(s->be);
	}
}

static void drop_server_conn(struct stream *s)
{
	if (s->sc) {
		s->sc->strm = NULL;
		conn_free_deferred(s->sc);
		s->sc = NULL;
	}
}

static void stream_close(struct stream *s)
{
	if (s->state == ST_CLOSED)
		return;
	release_server_slot(s);
	drop_server_conn(s);
	if (s->be)
		req_done_accounting(s);
	conn_close(&s->cli);
	buf_free(&s->cli_out);
	buf_free(&s->srv_out);
	if (s->gen_free)
		free((void *)s->gen);
	s->gen = NULL;
	s->gen_free = 0;
	loop_timer_del(this_loop, &s->tmr);
	s->state = ST_CLOSED;
	list_del(&s->link);
	list_del(&s->qlink);
	if (s->bind)
		__atomic_fetch_sub(&s->bind->curconn, 1, __ATOMIC_RELAXED);
	this_thr->nstreams--;
	CTR_SUB(s->fe->fe_ctr->cur_sess, 1);
	__atomic_fetch_sub(&worker.actconn, 1, __ATOMIC_RELAXED);
	ev_task_init(&s->task, stream_free_task, s);
	loop_task_wake(this_loop, &s->task);
	worker_stream_gone();
}

/* ---- access log ---- */

static int ms_between(uint64_t a_us, uint64_t b_us)
{
	if (!a_us || !b_us || b_us < a_us)
		return -1;
	return (int)((b_us - a_us) / 1000);
}

static void stream_log(struct stream *s)
{
	struct txn_log t;
	const struct proxy *fe = s->fe;
	uint64_t end = now_us;
	struct server *srv = s->srv;

	if (fe->options & PR_O_NOLOG)
		return;
	if (list_empty(&fe->logs) && !(fe->options & PR_O_LOG_GLOBAL))
		return;
	if (!(fe->options & (PR_O_HTTPLOG | PR_O_TCPLOG)))
		return;
	memset(&t, 0, sizeof(t));
	t.cli = s->cli_addr;
	t.accept_wall_us = s->req_wall_us;
	t.fe = fe->id;
	t.be = s->be ? s->be->id : fe->id;
	t.srv = srv ? srv->id : "<NOSRV>";
	t.TR = ms_between(s->t_req_us, s->t_head_us);
	t.Tw = s->t_conn_start_us ? 0 : -1;
	t.Tc = ms_between(s->t_conn_start_us, s->t_conn_us);
	t.Tr = ms_between(s->t_conn_us ? s->t_conn_us : s->t_head_us, s->t_rsp_us);
	t.Ta = ms_between(s->t_req_us, end);
	t.Tt = ms_between(s->t_accept_us, end);
	t.status = s->status;
	t.bytes_out = s->bytes_out;
	t.bytes_in = s->bytes_in;
	t.term[0] = s->term[0];
	t.term[1] = s->term[1];
	t.term[2] = '-';
	t.term[3] = '-';
	t.actconn = __atomic_load_n(&worker.actconn, __ATOMIC_RELAXED);
	t.feconn = (int)CTR_GET(fe->fe_ctr->cur_sess);
	t.beconn = s->be ? (int)CTR_GET(s->be->be_ctr->cur_sess) : 0;
	t.srvconn = srv ? __atomic_load_n(&srv->cur_conns, __ATOMIC_RELAXED) : 0;
	t.retries = s->retries;
	t.redispatched = s->redispatched;
	t.req_line = s->reqline;
	t.req_line_len = s->reqline_len;
	t.http = fe->mode == PR_MODE_HTTP;
	httplog_emit(G, fe, &t);
}

/* Account a finished request on every counter it touches. */
static void count_response(struct stream *s)
{
	int cls = s->status >= 100 && s->status < 600 ? s->status / 100 : 0;
	uint64_t ta_us = s->t_req_us && now_us > s->t_req_us ? now_us - s->t_req_us : 0;
	uint64_t ttime = ta_us / 1000;

	if (s->status < 0)
		return;
	ctr_hist_add(s->fe->fe_ctr, ta_us);
	CTR_ADD(s->fe->fe_ctr->http_rsp[cls], 1);
	CTR_ADD(s->fe->fe_ctr->bytes_out, s->bytes_out);
	CTR_ADD(s->fe->fe_ctr->bytes_in, s->bytes_in);
	if (s->be) {
		CTR_ADD(s->be->be_ctr->http_rsp[cls], 1);
		CTR_ADD(s->be->be_ctr->bytes_out, s->bytes_out);
		CTR_ADD(s->be->be_ctr->bytes_in, s->bytes_in);
		CTR_ADD(s->be->be_ctr->ttime_sum, ttime);
		ctr_hist_add(s->be->be_ctr, ta_us);
	}
	if (s->srv && s->t_conn_start_us) {
		CTR_ADD(s->srv->ctr->http_rsp[cls], 1);
		CTR_ADD(s->srv->ctr->bytes_out, s->bytes_out);
		CTR_ADD(s->srv->ctr->bytes_in, s->bytes_in);
		CTR_ADD(s->srv->ctr->ttime_sum, ttime);
		ctr_hist_add(s->srv->ctr, ta_us);
		if (s->t_rsp_us && s->t_conn_us)
			CTR_ADD(s->srv->ctr->rtime_sum, (s->t_rsp_us - s->t_conn_us) / 1000);
	}
}

/* ---- errors ---- */

/* Answer <status> ourselves and close, unless the response already started,
 * in which case all we can do is cut the connection. */
static void stream_error(struct stream *s, int status, char who, char when)
{
	const char *msg;
	size_t len;

	set_term(s, who, when);
	release_server_slot(s);
	drop_server_conn(s);
	if (s->be)
		req_done_accounting(s);
	if (s->rsp_started || status <= 0) {
		if (s->status < 0)
			s->status = status > 0 ? status : -1;
		count_response(s);
		stream_log(s);
		stream_close(s);
		return;
	}
	msg = http_error_msg(status, &len);
	s->status = status;
	s->cli_out.data = 0;
	s->cli_out.head = 0;
	if (s->gen_free)
		free((void *)s->gen);
	s->gen = msg;
	s->gen_len = len;
	s->gen_off = 0;
	s->gen_free = 0;
	s->bytes_out = len;
	s->cli_ka = 0;
	count_response(s);
	stream_log(s);
	s->exp_cli = after(s->fe->to.client ? s->fe->to.client : 5000);
	s->exp_srv = s->exp_req = 0;
	s->state = ST_CLOSING;
}

/* ---- sending ---- */

/* Send <out> then <gen> then the first <*fwd> bytes of <src> on <c>.
 * Consumes what was sent. Returns bytes sent, or -1 on error. */
static ssize_t send_parts(struct conn *c, struct buf *out, struct stream *s,
			  struct buf *src, size_t *fwd)
{
	struct iovec iov[3];
	int n = 0;
	ssize_t r, left;

	if (out && out->data)
		iov[n++] = (struct iovec){ buf_ptr(out), out->data };
	if (s && s->gen && s->gen_off < s->gen_len)
		iov[n++] = (struct iovec){ (void *)(s->gen + s->gen_off), s->gen_len - s->gen_off };
	if (src && fwd && *fwd)
		iov[n++] = (struct iovec){ buf_ptr(src), *fwd };
	if (!n)
		return 0;
	r = conn_sendv(c, iov, n);
	if (r <= 0)
		return r;
	left = r;
	if (out && out->data) {
		size_t k = MIN((size_t)left, out->data);
		buf_consume(out, k);
		left -= (ssize_t)k;
	}
	if (s && s->gen && s->gen_off < s->gen_len) {
		size_t k = MIN((size_t)left, s->gen_len - s->gen_off);
		s->gen_off += k;
		left -= (ssize_t)k;
	}
	if (left && src && fwd) {
		buf_consume(src, (size_t)left);
		*fwd -= (size_t)left;
	}
	return r;
}

/* Validate newly arrived body bytes in <b> for <bd>. <eof>: the source
 * closed. Returns 0, or -1 on a framing error. */
static int body_scan(struct body *bd, struct buf *b, int eof)
{
	size_t avail;

	if (bd->done)
		return 0;
	avail = b->data - bd->kept - bd->fwd;
	switch (bd->mode) {
	case BM_NONE:
		bd->done = 1;
		return 0;
	case BM_CL: {
		size_t n = avail < bd->remain ? avail : (size_t)bd->remain;
		bd->fwd += n;
		bd->remain -= n;
		if (!bd->remain)
			bd->done = 1;
		else if (eof && bd->kept + bd->fwd == b->data)
			return -1;  /* truncated */
		return 0;
	}
	case BM_CHUNKED: {
		ssize_t n = avail ? h1_chunk_feed(&bd->ck, buf_ptr(b) + bd->kept + bd->fwd, avail) : 0;
		if (n < 0)
			return -1;
		bd->fwd += (size_t)n;
		if (bd->ck.done)
			bd->done = 1;
		else if (eof && bd->kept + bd->fwd == b->data)
			return -1;
		return 0;
	}
	case BM_CLOSE:
		bd->fwd = b->data - bd->kept;
		if (eof)
			bd->done = 1;
		return 0;
	}
	return 0;
}

/* ---- timers ---- */

static void stream_timer_cb(struct ev_timer *t)
{
	struct stream *s = t->ctx;

	if (s->state == ST_CLOSED)
		return;
	stream_process(s);
}

static void update_timer(struct stream *s)
{
	uint64_t e = 0;

	if (s->state == ST_CLOSED)
		return;
	if (s->exp_req)
		e = s->exp_req;
	if (s->exp_cli && (!e || s->exp_cli < e))
		e = s->exp_cli;
	if (s->exp_srv && (!e || s->exp_srv < e))
		e = s->exp_srv;
	if (e)
		loop_timer_set(this_loop, &s->tmr, e);
	else
		loop_timer_del(this_loop, &s->tmr);
}

static int expired(uint64_t exp)
{
	return exp && exp <= now_ms;
}

/* ---- I/O callbacks ---- */

static void cli_io_cb(struct ev_io *io, uint32_t ev)
{
	struct stream *s = io->ctx;

	if (s->state == ST_CLOSED)
		return;
	conn_note_events(&s->cli, ev);
	stream_process(s);
}

static void srv_io_cb(struct ev_io *io, uint32_t ev)
{
	struct conn *c = io->ctx;
	struct stream *s = c->strm;

	if ((c->flags & CF_CLOSED) || !s || s->state == ST_CLOSED)
		return;
	conn_note_events(c, ev);
	stream_process(s);
}

/* ---- request analysis ---- */

/* Start waiting for the next request on this connection. */
static void txn_reset(struct stream *s)
{
	s->srv = s->prev_srv = NULL;
	s->be = s->fe->defbe;
	memset(&s->req, 0, sizeof(s->req));
	memset(&s->rsp, 0, sizeof(s->rsp));
	s->status = -1;
	s->rsp_head_done = s->rsp_started = s->srv_ka = 0;
	s->expect100 = s->upgrade = 0;
	s->retries = s->redispatched = 0;
	s->idem_key = 0;
	s->t_req_us = s->t_head_us = s->t_conn_start_us = s->t_conn_us = s->t_rsp_us = 0;
	s->bytes_in = s->bytes_out = 0;
	s->term[0] = s->term[1] = '-';
	s->srv_out_sent = 0;
	s->srv_out.data = s->srv_out.head = 0;
	if (s->gen_free)
		free((void *)s->gen);
	s->gen = NULL;
	s->gen_len = s->gen_off = 0;
	s->gen_free = 0;
	free(s->reqline);
	s->reqline = NULL;
	s->reqline_len = 0;
}

static void keep_reqline(struct stream *s, const struct h1_msg *m)
{
	const char *end = m->uri.p + m->uri.len;
	size_t n;

	/* "METHOD URI HTTP/x.y" as received: up to the end of the version */
	n = (size_t)(end - m->method.p) + 9;
	if (n > 8192)
		n = 8192;
	s->reqline = malloc(n + 1);
	if (!s->reqline)
		return;
	memcpy(s->reqline, m->method.p, n);
	s->reqline[n] = 0;
	s->reqline_len = strlen(s->reqline);
	while (s->reqline_len && (s->reqline[s->reqline_len - 1] == '\r' ||
				  s->reqline[s->reqline_len - 1] == '\n'))
		s->reqline[--s->reqline_len] = 0;
}

static int stats_auth_ok(const struct proxy *px, const struct h1_msg *m);

/* Serve the stats applet (page, CSV, JSON, metrics, admin actions) for a
 * request on a stats-enabled proxy. The whole request body, if any, must
 * be in the buffer (admin forms are small): else 413. */
static void serve_stats(struct stream *s, const struct h1_msg *m)
{
	const struct proxy *px = s->fe;
	struct stats_reply rep;
	const char *body = buf_ptr(&s->cli.in) + m->head_len;
	size_t blen = 0;
	char meth[16];

	s->be = s->fe;
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0) {
		stream_error(s, 500, 'R', 'R');
		return;
	}
	if (!stats_auth_ok(px, m)) {
		const char *realm = px->stats_realm ? px->stats_realm : "HAProxy Statistics";
		static const char page[] = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
		buf_appendf(&s->cli_out, "HTTP/1.1 401 Unauthorized\r\ncontent-length: %zu\r\n"
			    "cache-control: no-cache\r\ncontent-type: text/html\r\n"
			    "www-authenticate: Basic realm=\"%s\"\r\n%s\r\n",
			    sizeof(page) - 1, realm, s->cli_ka ? "" : "connection: close\r\n");
		s->gen = page;
		s->gen_len = sizeof(page) - 1;
		s->status = 401;
		goto out;
	}
	if (s->req.mode == BM_CL && s->req.remain <= s->cli.in.data - m->head_len)
		blen = (size_t)s->req.remain;
	else if (s->req.mode != BM_NONE) {
		stream_error(s, 413, 'P', 'R');
		return;
	}
	snprintf(meth, sizeof(meth), "%.*s", (int)MIN(m->method.len, sizeof(meth) - 1), m->method.p);
	if (stats_http_serve(worker.cfg, px, meth, m->uri.p, m->uri.len, body, blen, m, &rep) < 0) {
		stream_error(s, 500, 'R', 'R');
		return;
	}
	if (blen) {
		/* the body was read with the head: it is consumed with it */
		s->req.remain = 0;
		s->req.done = 1;
		s->req.extra = blen;
	}
	buf_appendf(&s->cli_out, "HTTP/1.1 %d %s\r\ncontent-length: %zu\r\n"
		    "cache-control: no-cache\r\ncontent-type: %s\r\n%s%s%s%s\r\n",
		    rep.status, http_reason(rep.status), rep.len, rep.ctype ? rep.ctype : "text/plain",
		    rep.location[0] ? "location: " : "", rep.location, rep.location[0] ? "\r\n" : "",
		    s->cli_ka ? "" : "connection: close\r\n");
	s->gen = rep.body;
	s->gen_len = rep.len;
	s->gen_free = rep.body != NULL;
	s->status = rep.status;
out:
	s->gen_off = 0;
	s->bytes_out = s->cli_out.data + s->gen_len;
	s->state = ST_APPLET;
}

static int stats_auth_ok(const struct proxy *px, const struct h1_msg *m)
{
	const struct h1_hdr *h = h1_find_hdr(m, "authorization");

	return stats_auth_check(px, h ? h->value.p : NULL, h ? h->value.len : 0);
}

/* A complete request head is at the start of cli.in: decide everything
 * about this request, build the server-side head, and move on. */
static void analyze_request(struct stream *s, struct h1_msg *m)
{
	struct proxy *fe = s->fe;

	s->t_head_us = now_us;
	s->nreq++;
	s->bytes_in += m->head_len;
	s->meth = m->meth;
	s->req_ver = m->version;
	keep_reqline(s, m);
	CTR_ADD(fe->fe_ctr->cum_req, 1);
	s->cli_ka = !(m->flags & H1_F_CONN_CLOSE) &&
		(m->version == 11 || (m->flags & H1_F_CONN_KA)) &&
		!((fe->options | (fe->defbe ? fe->defbe->options : 0)) & PR_O_HTTPCLOSE) &&
		!worker.stopping;
	if (m->flags & H1_F_CHUNKED) {
		s->req.mode = BM_CHUNKED;
		h1_chunk_init(&s->req.ck);
	} else if ((m->flags & H1_F_HAS_CL) && m->content_length) {
		s->req.mode = BM_CL;
		s->req.remain = m->content_length;
	} else {
		s->req.mode = BM_NONE;
		s->req.done = 1;
	}
	s->exp_req = 0;
	s->exp_cli = after(fe->to.client);

	if (G->tune_max_body && (m->flags & H1_F_HAS_CL) && m->content_length > G->tune_max_body) {
		buf_consume(&s->cli.in, m->head_len);
		stream_error(s, 413, 'P', 'R');
		return;
	}
	if (stats_http_match(fe, m->uri.p, m->uri.len)) {
		serve_stats(s, m);
		buf_consume(&s->cli.in, m->head_len + s->req.extra);
		return;
	}
	s->be = fe->defbe;
	if (!s->be) {
		buf_consume(&s->cli.in, m->head_len);
		stream_error(s, 503, 'S', 'C');
		return;
	}
	CTR_ADD(s->be->be_ctr->cum_req, 1);
	__atomic_fetch_add(&s->be->req_inflight, 1, __ATOMIC_RELAXED);
	s->inflight = 1;
	s->idem_key = h1_find_hdr(m, "idempotency-key") != NULL;
	if ((m->flags & H1_F_EXPECT_100) && m->version == 11 && s->req.mode != BM_NONE) {
		/* Ask for the body ourselves (as nginx does): the server never
		 * sees Expect, so a retry to another server stays possible. */
		s->expect100 = 1;
		buf_alloc(&s->cli_out, G->tune_bufsize);
		buf_append(&s->cli_out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
	if ((m->flags & H1_F_UPGRADE) && (m->flags & H1_F_CONN_UPGRADE))
		s->upgrade = 1;
	if (buf_alloc(&s->srv_out, G->tune_bufsize) < 0 ||
	    http_build_req_head(s, m, &s->srv_out) < 0) {
		buf_consume(&s->cli.in, m->head_len);
		stream_error(s, 400, 'P', 'R');
		return;
	}
	buf_consume(&s->cli.in, m->head_len);
	s->state = ST_CONNECT;
}

/* ---- state handlers: each returns 1 when it changed something worth
 * another pass, 0 when the stream must wait for an event. ---- */

static int st_req_wait(struct stream *s)
{
	struct h1_msg *m = &scratch_msg;
	struct h1_limits lim;
	ssize_t r;
	int ret;

	/* an idle server connection kept for this client may die meanwhile */
	if (s->sc && (s->sc->flags & (CF_RD_READY | CF_EOF | CF_ERROR))) {
		if (conn_recv(s->sc, G->tune_bufsize) != 0 || s->sc->in.data)
			drop_server_conn(s);
	}
	if (!s->cli.in.data || s->cli.in.data < s->cli.in.size) {
		r = conn_recv(&s->cli, G->tune_bufsize);
		if (r < 0) {
			if (s->cli.in.data) {
				set_term(s, 'C', 'R');
				CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
				if (s->nreq || s->cli.in.data)
					stream_log(s);
			}
			stream_close(s);
			return 0;
		}
	}
	if (!s->cli.in.data) {
		buf_release(&s->cli.in);
		if (expired(s->exp_req)) {
			stream_close(s);  /* idle keep-alive timeout: silent close */
			return 0;
		}
		if (worker.stopping && !worker.retiring) {
			stream_close(s);
			return 0;
		}
		return 0;
	}
	if (!s->t_req_us) {
		s->t_req_us = now_us;
		s->req_wall_us = clock_wall_us();
		if (s->nreq) {
			uint32_t to = s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client;
			s->exp_req = after(to);
		}
	}
	lim.max_head = G->tune_bufsize - G->tune_maxrewrite;
	lim.max_hdrs = G->tune_maxhdr;
	ret = h1_parse_request(buf_ptr(&s->cli.in), s->cli.in.data, m, &lim);
	if (ret == H1_INCOMPLETE) {
		if (expired(s->exp_req)) {
			CTR_ADD(s->fe->fe_ctr->failed_req, 1);
			stream_error(s, 408, 'c', 'R');
			return 1;
		}
		if (buf_full(&s->cli.in)) {
			CTR_ADD(s->fe->fe_ctr->failed_req, 1);
			stream_error(s, 431, 'P', 'R');
			return 1;
		}
		/* edge-triggered: what is still queued (maybe the client's FIN)
		 * will not be announced again, so read on while it may be there */
		return (s->cli.flags & CF_RD_READY) != 0;
	}
	if (ret < 0) {
		CTR_ADD(s->fe->fe_ctr->failed_req, 1);
		s->t_head_us = now_us;
		stream_error(s, m->err_status ? m->err_status : 400, 'P', 'R');
		return 1;
	}
	/* A form posted to the stats page is read whole before it is served
	 * (it is small: it must fit in the buffer with its head). */
	if ((m->flags & H1_F_HAS_CL) && m->content_length &&
	    m->content_length <= s->cli.in.size - (size_t)ret &&
	    s->cli.in.data - (size_t)ret < m->content_length &&
	    stats_http_match(s->fe, m->uri.p, m->uri.len)) {
		if (expired(s->exp_req)) {
			stream_error(s, 408, 'c', 'R');
			return 1;
		}
		return (s->cli.flags & CF_RD_READY) != 0;
	}
	analyze_request(s, m);
	return 1;
}

static int st_applet(struct stream *s)
{
	ssize_t r = send_parts(&s->cli, &s->cli_out, s, NULL, NULL);

	if (r < 0) {
		set_term(s, 'C', 'D');
		stream_log(s);
		stream_close(s);
		return 0;
	}
	if (s->cli_out.data || s->gen_off < s->gen_len)
		return 0;
	count_response(s);
	stream_log(s);
	if (!s->cli_ka) {
		s->state = ST_CLOSING;
		return 1;
	}
	txn_reset(s);
	s->state = ST_REQ_WAIT;
	s->exp_cli = 0;
	s->exp_req = after(s->fe->to.http_keep_alive ? s->fe->to.http_keep_alive :
			   s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client);
	return 1;
}

/* ---- retries ---- */

/* The request stops occupying its backend (it ended, failed or moved on). */
static void req_done_accounting(struct stream *s)
{
	if (s->inflight) {
		__atomic_fetch_sub(&s->be->req_inflight, 1, __ATOMIC_RELAXED);
		s->inflight = 0;
	}
	if (s->in_retry) {
		__atomic_fetch_sub(&s->be->retries_inflight, 1, __ATOMIC_RELAXED);
		s->in_retry = 0;
	}
}

/* May the current request be sent again after a failure of kind <k>?
 *  - never once response bytes reached the client, or once request body
 *    bytes that were sent had to be dropped from the buffer;
 *  - within `retries`, and for the condition listed in `retry-on` (a broken
 *    reused connection is always a candidate: the server closed it first);
 *  - a request that is not idempotent (RFC 9110 9.2.2) only when none of it
 *    reached a server (connection failure), unless it has an Idempotency-Key;
 *  - response-level retries within the backend's retry budget. */
static int may_retry(struct stream *s, enum fail_kind k)
{
	static const uint32_t cond[] = {
		[FAIL_CONN] = RETRY_CONN_FAILURE, [FAIL_REUSED] = 0,
		[FAIL_EMPTY] = RETRY_EMPTY_RESP, [FAIL_JUNK] = RETRY_JUNK_RESP,
		[FAIL_TIMEOUT] = RETRY_RESP_TIMEOUT, [FAIL_STATUS] = RETRY_STATUS,
	};
	struct proxy *be = s->be;

	if (s->rsp_started || s->req.replay_lost || s->retries >= be->retries)
		return 0;
	if (k != FAIL_REUSED && !(be->retry_on & cond[k]))
		return 0;
	if (k != FAIL_CONN && !h1_method_idempotent(s->meth) && !s->idem_key)
		return 0;
	if (k != FAIL_CONN && k != FAIL_REUSED && !s->in_retry) {
		int inflight = __atomic_load_n(&be->req_inflight, __ATOMIC_RELAXED);
		int allowed = MAX(3, be->retry_budget * inflight / 100);

		if (__atomic_load_n(&be->retries_inflight, __ATOMIC_RELAXED) >= allowed)
			return 0;
		__atomic_fetch_add(&be->retries_inflight, 1, __ATOMIC_RELAXED);
		s->in_retry = 1;
	}
	return 1;
}

/* The request could not be served by the current server: retry (maybe on
 * another server) when allowed, else answer <status>. */
static int srv_failure(struct stream *s, int status, char who, char when, enum fail_kind k)
{
	struct proxy *be = s->be;

	/* what this failure says about the server's health (passive checks);
	 * a broken reused connection says nothing: the server closed it first */
	if (s->srv) {
		if (k == FAIL_CONN)
			srv_observe(s->srv, who == 's' ? OBS_CONN_TIMEOUT : OBS_CONN_ERR);
		else if (k == FAIL_EMPTY || k == FAIL_JUNK)
			srv_observe(s->srv, OBS_RESP_BAD);
		else if (k == FAIL_TIMEOUT)
			srv_observe(s->srv, OBS_RESP_TIMEOUT);
		else if (k == FAIL_STATUS)
			srv_observe(s->srv, OBS_RESP_RETRY);
	}

	if (k == FAIL_CONN) {
		CTR_ADD(be->be_ctr->failed_conns, 1);
		if (s->srv)
			CTR_ADD(s->srv->ctr->failed_conns, 1);
	}
	release_server_slot(s);
	drop_server_conn(s);
	if (may_retry(s, k)) {
		s->retries++;
		CTR_ADD(be->be_ctr->retries, 1);
		if (s->srv)
			CTR_ADD(s->srv->ctr->retries, 1);
		/* HAProxy's `option redispatch N`: N > 0 every Nth retry, N < 0
		 * the last -N retries. tandem also redispatches at once when the
		 * failed server is no longer usable (marked down meanwhile). */
		if (be->options & PR_O_REDISPATCH) {
			int n = be->redispatch ? be->redispatch : -1;
			int redisp = n > 0 ? (s->retries % n) == 0 : s->retries > be->retries + n;

			if (redisp || (s->srv && !srv_usable(s->srv))) {
				s->prev_srv = s->srv;
				s->srv = NULL;
				s->redispatched = 1;
				CTR_ADD(be->be_ctr->redispatches, 1);
			}
		}
		/* replay: the kept request body goes out again from its start */
		s->req.fwd += s->req.kept;
		s->req.kept = 0;
		s->req.sent = 0;
		s->srv_out_sent = 0;
		s->t_conn_us = 0;
		s->state = ST_CONNECT;
		return 1;
	}
	stream_error(s, status, who, when);
	return 1;
}

/* `option abortonclose`: a client that left while its request was still
 * waiting for a server gets nothing sent on its behalf. */
static int client_gone(struct stream *s)
{
	if (!((s->fe->options | s->be->options) & PR_O_ABORTONCLOSE))
		return 0;
	if (!(s->cli.flags & (CF_EOF | CF_ERROR | CF_RDHUP)))
		return 0;
	CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
	stream_error(s, 0, 'C', s->state == ST_QUEUE ? 'Q' : 'C');
	return 1;
}

static int st_queue(struct stream *s)
{
	struct server *srv;

	if (client_gone(s))
		return 0;
	srv = lb_pick(s->be, s->prev_srv, &s->cli_addr);
	if (srv) {
		list_del(&s->qlink);
		s->srv = srv;
		s->state = ST_CONNECT;
		return 1;
	}
	if (expired(s->exp_srv) || !lb_has_full(s->be)) {
		list_del(&s->qlink);
		stream_error(s, 503, 's', 'Q');
		return 1;
	}
	return 0;
}

/* Re-try queued streams of this thread: slots freed by other threads are
 * not announced, so poll every 10 ms while anything waits. */
void stream_queue_tick(struct ev_timer *t)
{
	struct list *l, *n;

	list_for_each_safe(l, n, &this_thr->queue)
		stream_process(list_entry(l, struct stream, qlink));
	if (!list_empty(&this_thr->queue))
		loop_timer_set(this_loop, t, now_ms + 10);
}

/* `option http-buffer-request`: wait for the whole body (or a full buffer)
 * before choosing a server. Returns 1 while still waiting. */
static int buffering_request(struct stream *s)
{
	if (!((s->fe->options | s->be->options) & PR_O_HTTP_BUF_REQ) || s->sc || s->req.done)
		return 0;
	ssize_t r = conn_recv(&s->cli, G->tune_bufsize);

	if (r > 0)
		s->bytes_in += (uint64_t)r;
	if (body_scan(&s->req, &s->cli.in, (s->cli.flags & (CF_EOF | CF_ERROR)) != 0) < 0 ||
	    (s->cli.flags & (CF_EOF | CF_ERROR))) {
		/* errors are reported by the transfer state, which sees the same */
		return 0;
	}
	if (s->req.done || buf_full(&s->cli.in))
		return 0;
	if (!s->exp_req) {
		uint32_t to = s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client;
		s->exp_req = after(to);
	}
	if (expired(s->exp_req)) {
		stream_error(s, 408, 'c', 'R');
		return 1;
	}
	return 1;
}

static int st_connect(struct stream *s)
{
	struct proxy *be = s->be;
	int r;

	if (client_gone(s))
		return 0;
	if (buffering_request(s))
		return 0;
	s->exp_req = 0;
	if (!s->sc || (s->sc->flags & CF_CONNECTING) == 0)
		return do_connect(s);
	/* waiting for the connection to complete */
	if (s->sc->flags & (CF_WR_READY | CF_ERROR)) {
		int err = (s->sc->flags & CF_ERROR) ? s->sc->err : sock_error(s->sc->io.fd);
		if (!err) {
			s->sc->flags &= ~CF_CONNECTING;
			s->t_conn_us = now_us;
			srv_observe(s->srv, OBS_CONN_OK);
			CTR_ADD(s->srv->ctr->cum_conn, 1);
			CTR_ADD(be->be_ctr->ctime_sum, (now_us - s->t_conn_start_us) / 1000);
			s->state = s->fe->mode == PR_MODE_HTTP ? ST_XFER : ST_TUNNEL;
			s->exp_srv = after(s->fe->mode == PR_MODE_HTTP ? be->to.server :
					   (be->to.tunnel ? be->to.tunnel : be->to.server));
			return 1;
		}
		s->sc->err = err;
		return srv_failure(s, 503, 'S', 'C', FAIL_CONN);
	}
	if (expired(s->exp_srv)) {
		r = srv_failure(s, 503, 's', 'C', FAIL_CONN);
		return r;
	}
	return 0;
}

/* Pick a server and get a connection to it (reused, pooled or new). */
static int do_connect(struct stream *s)
{
	struct proxy *be = s->be;
	struct server *srv = s->srv;
	struct conn *c = NULL;
	int fd;

	if (!srv) {
		srv = lb_pick(be, s->prev_srv, &s->cli_addr);
		if (!srv && lb_has_full(be)) {
			/* servers are alive but at their maxconn: wait for a slot
			 * (HAProxy's queue), up to `timeout queue` (else connect) */
			uint32_t to = be->to.queue ? be->to.queue : be->to.connect;
			if (list_empty(&this_thr->queue))
				loop_timer_set(this_loop, &this_thr->qtick, now_ms + 10);
			list_add_tail(&this_thr->queue, &s->qlink);
			s->t_queue_us = now_us;
			s->exp_srv = after(to);
			s->state = ST_QUEUE;
			return 0;
		}
		if (!srv) {
			stream_error(s, 503, 'S', 'C');
			return 1;
		}
		s->srv = srv;
	}
	if (!s->srv_counted) {
		__atomic_fetch_add(&srv->cur_conns, 1, __ATOMIC_RELAXED);
		CTR_ADD(srv->ctr->cum_sess, 1);
		CTR_ADD(be->be_ctr->cum_sess, 1);
		CTR_ADD(srv->ctr->cur_sess, 1);
		CTR_MAX(srv->ctr->max_sess, CTR_GET(srv->ctr->cur_sess));
		CTR_SET(srv->ctr->last_sess, clock_wall_us() / 1000000);
		s->srv_counted = 1;
	}
	s->t_conn_start_us = now_us;
	/* 1. the connection this client used last, if it goes to the same server */
	if (s->sc && s->sc->srv == srv && !(s->sc->flags & (CF_EOF | CF_ERROR)))
		c = s->sc;
	else if (s->sc) {
		struct conn *old = s->sc;
		s->sc = NULL;
		old->strm = NULL;
		if (be->http_reuse == REUSE_NEVER || srv_put_idle(old, G->tune_idle_pool) < 0)
			conn_free_deferred(old);
	}
	/* 2. an idle one from the pool ("safe": never for a first request) */
	if (!c && s->fe->mode == PR_MODE_HTTP && be->http_reuse != REUSE_NEVER &&
	    (s->nreq > 1 || be->http_reuse >= REUSE_AGGRESSIVE)) {
		c = srv_take_idle(srv);
		if (c) {
			c->io.cb = srv_io_cb;
			c->io.ctx = c;
		}
	}
	if (c) {
		c->strm = s;
		s->sc = c;
		s->t_conn_us = now_us;
		s->state = ST_XFER;
		s->exp_srv = after(be->to.server);
		return 1;
	}
	/* 3. a new connection */
	{
		/* the admin socket may change the address meanwhile (seqlock) */
		struct sockaddr_storage sa;
		socklen_t sl;

		srv_addr_get(srv, &sa, &sl);
		fd = sock_connect(&sa, sl);
	}
	c = fd >= 0 ? conn_new() : NULL;
	if (!c) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		s->sc = NULL;
		(void)e;
		return srv_failure(s, 503, 'S', 'C', FAIL_CONN);
	}
	c->srv = srv;
	c->strm = s;
	if (be->options & PR_O_TCP_KA) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (conn_init(c, fd, srv_io_cb, c) < 0) {
		close(fd);
		free(c);
		return srv_failure(s, 503, 'S', 'C', FAIL_CONN);
	}
	c->flags = CF_CONNECTING;
	c->t_start_us = now_us;
	s->sc = c;
	s->exp_srv = after(be->to.connect);
	return 1;
}

/* Response head parsed: decide framing and keep-alive, build the client head. */
static int analyze_response(struct stream *s, struct h1_msg *m)
{
	int ka;

	s->rsp_ver = m->version;
	if (m->status < 200) {
		/* interim: 100 is ours to send (or not wanted); others pass */
		buf_consume(&s->sc->in, m->head_len);
		if (m->status == 101 && s->upgrade) {
			s->status = 101;
			s->t_rsp_us = now_us;
			s->cli_ka = 0;
			if (http_build_rsp_head(s, m, &s->cli_out) < 0)
				return srv_failure(s, 502, 'P', 'H', FAIL_JUNK);
			s->rsp_head_done = 1;
			s->rsp_started = 1;
			s->state = ST_TUNNEL;
			s->exp_cli = s->exp_srv = 0;
			return 1;
		}
		if (m->status != 100 && m->status != 101)
			http_build_rsp_head(s, m, &s->cli_out);
		return 1;
	}
	if (s->be->retry_on & RETRY_STATUS) {
		int i;
		for (i = 0; i < s->be->n_retry_status; i++)
			if (s->be->retry_status[i] == m->status && may_retry(s, FAIL_STATUS)) {
				/* answer withheld: the connection is dropped with it */
				buf_consume(&s->sc->in, m->head_len);
				return srv_failure(s, m->status, 'S', 'H', FAIL_STATUS);
			}
	}
	s->status = m->status;
	s->t_rsp_us = now_us;
	srv_observe(s->srv, (m->status >= 500 && m->status != 501 && m->status != 505) ?
		    OBS_RESP_ERR : OBS_RESP_OK);
	if (s->req.kept) {
		/* the server answered: no replay any more, free the room */
		buf_consume(&s->cli.in, s->req.kept);
		s->req.kept = 0;
	}
	if (!h1_resp_has_body(s->meth, m->status)) {
		s->rsp.mode = BM_NONE;
		s->rsp.done = 1;
	} else if (m->flags & H1_F_CHUNKED) {
		s->rsp.mode = BM_CHUNKED;
		h1_chunk_init(&s->rsp.ck);
	} else if (m->flags & H1_F_HAS_CL) {
		s->rsp.mode = m->content_length ? BM_CL : BM_NONE;
		s->rsp.remain = m->content_length;
		s->rsp.done = !m->content_length;
	} else {
		s->rsp.mode = BM_CLOSE;
	}
	ka = !(m->flags & H1_F_CONN_CLOSE) && (m->version == 11 || (m->flags & H1_F_CONN_KA)) &&
		s->rsp.mode != BM_CLOSE;
	/* http-server-close / httpclose: one request per server connection */
	s->srv_ka = ka && !((s->fe->options | s->be->options) & (PR_O_SRV_CLOSE | PR_O_HTTPCLOSE));
	if (s->rsp.mode == BM_CLOSE)
		s->cli_ka = 0;  /* the client learns the end from our close */
	if (s->rsp.mode == BM_CHUNKED && s->req_ver == 10)
		s->cli_ka = 0;
	if (!s->req.done)
		s->cli_ka = 0;  /* early response: the rest of the request is not read */
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0 ||
	    http_build_rsp_head(s, m, &s->cli_out) < 0) {
		buf_consume(&s->sc->in, m->head_len);
		return srv_failure(s, 502, 'P', 'H', FAIL_JUNK);
	}
	s->bytes_out += s->cli_out.data;
	buf_consume(&s->sc->in, m->head_len);
	s->rsp_head_done = 1;
	/* the head for the server is no longer needed for a retry */
	s->srv_out.data = s->srv_out.head = 0;
	return 1;
}

/* The request and its response are complete: account, log, keep-alive. */
static int txn_end(struct stream *s)
{
	struct conn *sc = s->sc;

	count_response(s);
	stream_log(s);
	release_server_slot(s);
	req_done_accounting(s);
	if (sc) {
		if (s->srv_ka && s->req.done && !sc->in.data && !(sc->flags & (CF_EOF | CF_ERROR))) {
			sc->flags |= CF_USED;
			if (s->be->http_reuse != REUSE_NEVER || !s->cli_ka || worker.stopping) {
				/* back to the server's pool: an idle client then holds no
				 * server connection, and the pool (bounded per thread by
				 * tune.idle-pool) serves every client's next request */
				s->sc = NULL;
				sc->strm = NULL;
				if (s->be->http_reuse == REUSE_NEVER ||
				    srv_put_idle(sc, G->tune_idle_pool) < 0)
					conn_free_deferred(sc);
			} else {
				buf_release(&sc->in);  /* http-reuse never: private to this client */
			}
		} else {
			drop_server_conn(s);
		}
	}
	if (!s->cli_ka) {
		s->state = ST_CLOSING;
		return 1;
	}
	txn_reset(s);
	s->state = ST_REQ_WAIT;
	s->exp_cli = s->exp_srv = 0;
	s->exp_req = after(s->fe->to.http_keep_alive ? s->fe->to.http_keep_alive :
			   s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client);
	if (!s->cli.in.data)
		buf_release(&s->cli.in);
	buf_release(&s->cli_out);
	buf_free(&s->srv_out);  /* an idle client keeps no buffer at all */
	return 1;
}

static int st_xfer(struct stream *s)
{
	struct conn *sc = s->sc;
	struct h1_msg *m = &scratch_msg;
	int progress = 0;
	ssize_t r;

	/* 1. request towards the server: head (from srv_out_sent), then body */
	if (!s->req.done && s->req.kept && buf_full(&s->cli.in)) {
		/* the body outgrew the buffer: keep streaming, give up replays */
		buf_consume(&s->cli.in, s->req.kept);
		s->req.kept = 0;
		s->req.replay_lost = 1;
	}
	if (!s->req.done && !(s->cli.flags & (CF_EOF | CF_ERROR))) {
		r = conn_recv(&s->cli, G->tune_bufsize);
		if (r > 0) {
			s->bytes_in += (uint64_t)r;
			s->exp_cli = after(s->fe->to.client);
		}
	}
	if (!s->req.done && body_scan(&s->req, &s->cli.in, (s->cli.flags & (CF_EOF | CF_ERROR)) != 0) < 0) {
		if (s->cli.flags & (CF_EOF | CF_ERROR)) {
			CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
			stream_error(s, 0, 'C', 'D');
		} else {
			CTR_ADD(s->fe->fe_ctr->failed_req, 1);
			stream_error(s, 400, 'P', 'D');
		}
		return 0;
	}
	if (G->tune_max_body && s->req.mode == BM_CHUNKED && s->req.ck.data_total > G->tune_max_body) {
		stream_error(s, 413, 'P', 'D');
		return 0;
	}
	if (s->srv_out_sent < s->srv_out.data || s->req.fwd) {
		struct iovec iov[2];
		int n = 0;
		size_t head_left = s->srv_out.data - s->srv_out_sent;

		if (head_left)
			iov[n++] = (struct iovec){ buf_ptr(&s->srv_out) + s->srv_out_sent, head_left };
		if (s->req.fwd)
			iov[n++] = (struct iovec){ buf_ptr(&s->cli.in) + s->req.kept, s->req.fwd };
		r = conn_sendv(sc, iov, n);
		if (r < 0)
			return srv_failure(s, 502, 'S', 'H', (sc->flags & CF_USED) ? FAIL_REUSED : FAIL_EMPTY);
		if (r > 0) {
			size_t k = MIN((size_t)r, head_left), b = (size_t)r - k;
			s->srv_out_sent += k;
			if (b) {
				/* until the response head arrives, sent body bytes stay
				 * in the buffer so that a retry can send them again */
				if (!s->rsp_head_done && !s->req.replay_lost)
					s->req.kept += b;
				else
					buf_consume(&s->cli.in, b);
				s->req.fwd -= b;
				s->req.sent += b;
			}
			progress = 1;
			s->exp_srv = after(s->be->to.server);
		}
	}
	if ((s->cli.flags & (CF_EOF | CF_ERROR)) && !s->req.done && !s->req.fwd) {
		CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
		stream_error(s, 0, 'C', 'D');
		return 0;
	}

	/* 2. response from the server */
	for (;;) {
		int eof;

		r = conn_recv(sc, G->tune_bufsize);
		if (r > 0) {
			progress = 1;
			s->exp_srv = after(s->be->to.server);
		}
		eof = (sc->flags & (CF_EOF | CF_ERROR)) != 0;
		if (!s->rsp_head_done) {
			struct h1_limits lim = { G->tune_bufsize - G->tune_maxrewrite, G->tune_maxhdr };
			int ret;

			if (!sc->in.data) {
				if (eof) {
					/* closed before answering: a reused connection
					 * may just have been closed by the server */
					CTR_ADD(s->be->be_ctr->failed_resp, 1);
					CTR_ADD(s->srv->ctr->failed_resp, 1);
					return srv_failure(s, 502, 'S', 'H',
							   (sc->flags & CF_USED) ? FAIL_REUSED : FAIL_EMPTY);
				}
				break;
			}
			ret = h1_parse_response(buf_ptr(&sc->in), sc->in.data, m, &lim);
			if (ret == H1_INCOMPLETE && !eof && !buf_full(&sc->in))
				break;
			if (ret < 0) {
				CTR_ADD(s->be->be_ctr->failed_resp, 1);
				CTR_ADD(s->srv->ctr->failed_resp, 1);
				return srv_failure(s, 502, 'P', 'H', FAIL_JUNK);
			}
			analyze_response(s, m);
			if (s->state != ST_XFER)
				return 1;
			continue;
		}
		if (body_scan(&s->rsp, &sc->in, eof) < 0) {
			size_t before = s->rsp.fwd;

			CTR_ADD(s->be->be_ctr->srv_aborts, 1);
			CTR_ADD(s->srv->ctr->srv_aborts, 1);
			srv_observe(s->srv, OBS_RESP_BAD);
			/* give the client what did arrive: it sees the truncation
			 * (short body or no last chunk) rather than nothing */
			if (send_parts(&s->cli, &s->cli_out, NULL, &sc->in, &s->rsp.fwd) > 0)
				s->bytes_out += before - s->rsp.fwd;
			s->rsp_started = 1;  /* head is out (or about to be): just cut */
			stream_error(s, 0, 'S', 'D');
			return 0;
		}
		break;
	}

	/* 3. response towards the client */
	if (s->cli_out.data || s->rsp.fwd) {
		size_t before = s->rsp.fwd;
		r = send_parts(&s->cli, &s->cli_out, NULL, &sc->in, &s->rsp.fwd);
		if (r < 0) {
			CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
			s->rsp_started = 1;
			stream_error(s, 0, 'C', 'D');
			return 0;
		}
		if (r > 0) {
			s->rsp_started = s->rsp_head_done || s->rsp_started;
			s->bytes_out += before - s->rsp.fwd;
			s->rsp.sent += before - s->rsp.fwd;
			s->exp_cli = after(s->fe->to.client);
			progress = 1;
		}
	}
	if (s->rsp_head_done && s->rsp.done && !s->cli_out.data && !s->rsp.fwd &&
	    (s->req.done || !s->cli_ka))
		return txn_end(s);

	/* 4. timeouts */
	if (expired(s->exp_srv)) {
		CTR_ADD(s->be->be_ctr->failed_resp, 1);
		if (!s->rsp_head_done)
			return srv_failure(s, 504, 's', 'H', FAIL_TIMEOUT);
		s->rsp_started = 1;
		stream_error(s, 504, 's', 'D');
		return 0;
	}
	if (expired(s->exp_cli) && (s->cli_out.data || s->rsp.fwd || !s->req.done)) {
		s->rsp_started = s->rsp_started || s->rsp_head_done;
		stream_error(s, s->rsp_started ? 0 : 408, 'c', s->req.done ? 'D' : 'D');
		return 0;
	}
	/* waiting on the client's reading is not a server timeout */
	if (s->cli_out.data || s->rsp.fwd)
		s->exp_srv = s->rsp_head_done ? 0 : s->exp_srv;
	return progress;
}

/* Bytes both ways until both sides closed (mode tcp, or after 101). */
static int st_tunnel(struct stream *s)
{
	struct conn *sc = s->sc;
	uint32_t to_c = s->fe->to.tunnel ? s->fe->to.tunnel : s->fe->to.client;
	uint32_t to_s = s->be->to.tunnel ? s->be->to.tunnel : s->be->to.server;
	int progress = 0;
	ssize_t r;
	size_t before;

	if (!s->req.mode) {
		s->req.mode = s->rsp.mode = BM_CLOSE;
		s->req.done = s->rsp.done = 0;
		s->req.fwd = s->cli.in.data;  /* bytes sent after the upgrade request */
		s->rsp.fwd = sc->in.data;
	}
	/* client -> server */
	r = conn_recv(&s->cli, G->tune_bufsize);
	if (r > 0)
		s->bytes_in += (uint64_t)r;
	s->req.fwd = s->cli.in.data;
	if (s->req.fwd) {
		before = s->req.fwd;
		r = send_parts(sc, NULL, NULL, &s->cli.in, &s->req.fwd);
		if (r < 0) {
			set_term(s, 'S', 'D');
			goto end;
		}
		if (r > 0)
			progress = 1;
		(void)before;
	}
	if ((s->cli.flags & (CF_EOF | CF_ERROR)) && !s->cli.in.data && !(sc->flags & CF_SHUTW)) {
		shutdown(sc->io.fd, SHUT_WR);
		sc->flags |= CF_SHUTW;
	}
	/* server -> client */
	r = conn_recv(sc, G->tune_bufsize);
	s->rsp.fwd = sc->in.data;
	if (s->cli_out.data || s->rsp.fwd) {
		before = s->rsp.fwd;
		r = send_parts(&s->cli, &s->cli_out, NULL, &sc->in, &s->rsp.fwd);
		if (r < 0) {
			set_term(s, 'C', 'D');
			goto end;
		}
		if (r > 0) {
			s->bytes_out += before - s->rsp.fwd;
			progress = 1;
		}
	}
	if ((sc->flags & (CF_EOF | CF_ERROR)) && !sc->in.data && !(s->cli.flags & CF_SHUTW)) {
		shutdown(s->cli.io.fd, SHUT_WR);
		s->cli.flags |= CF_SHUTW;
	}
	if ((s->cli.flags & CF_SHUTW) && (sc->flags & CF_SHUTW))
		goto end;
	if ((s->cli.flags & CF_ERROR) || (sc->flags & CF_ERROR))
		goto end;
	/* once a side has sent its FIN, `timeout client-fin` / `server-fin` apply */
	if ((s->cli.flags & CF_EOF) && s->fe->to.client_fin)
		to_c = s->fe->to.client_fin;
	if ((sc->flags & CF_EOF) && s->be->to.server_fin)
		to_s = s->be->to.server_fin;
	if (progress || !s->exp_cli)
		s->exp_cli = after(to_c);
	if (progress || !s->exp_srv)
		s->exp_srv = after(to_s);
	if ((s->cli.flags & CF_EOF) && s->fe->to.client_fin && s->exp_cli > now_ms + to_c)
		s->exp_cli = now_ms + to_c;
	if ((sc->flags & CF_EOF) && s->be->to.server_fin && s->exp_srv > now_ms + to_s)
		s->exp_srv = now_ms + to_s;
	if (expired(s->exp_cli)) {
		set_term(s, 'c', 'D');
		goto end;
	}
	if (expired(s->exp_srv)) {
		set_term(s, 's', 'D');
		goto end;
	}
	return 0;
end:
	if (s->status < 0 && s->fe->mode == PR_MODE_TCP)
		s->status = -1;
	stream_log(s);
	stream_close(s);
	return 0;
}

/* Flush what is left for the client, then close gracefully: shut our
 * side, drain what the client still sends (closing with unread data would
 * reset the connection and could destroy the response in flight). */
static int st_closing(struct stream *s)
{
	ssize_t r;

	if (s->cli_out.data || (s->gen && s->gen_off < s->gen_len)) {
		r = send_parts(&s->cli, &s->cli_out, s, NULL, NULL);
		if (r < 0) {
			stream_close(s);
			return 0;
		}
		if (s->cli_out.data || (s->gen && s->gen_off < s->gen_len)) {
			if (expired(s->exp_cli))
				stream_close(s);
			return 0;
		}
	}
	if (!(s->cli.flags & CF_SHUTW)) {
		shutdown(s->cli.io.fd, SHUT_WR);
		s->cli.flags |= CF_SHUTW;
		s->exp_cli = now_ms + 1000;
		s->exp_req = s->exp_srv = 0;
	}
	for (;;) {
		s->cli.in.data = s->cli.in.head = 0;
		r = conn_recv(&s->cli, 4096);
		if (r < 0) {
			stream_close(s);
			return 0;
		}
		if (r == 0)
			break;
	}
	if (expired(s->exp_cli))
		stream_close(s);
	return 0;
}

static void stream_process(struct stream *s)
{
	int again = 1, guard = 64;

	while (again && guard-- > 0 && s->state != ST_CLOSED) {
		int prev = s->state;

		switch (s->state) {
		case ST_REQ_WAIT: again = st_req_wait(s); break;
		case ST_QUEUE:    again = st_queue(s); break;
		case ST_CONNECT:  again = st_connect(s); break;
		case ST_XFER:     again = st_xfer(s); break;
		case ST_APPLET:   again = st_applet(s); break;
		case ST_TUNNEL:   again = st_tunnel(s); break;
		case ST_CLOSING:  again = st_closing(s); break;
		default:          again = 0; break;
		}
		if (s->state != prev)
			again = 1;  /* a new state always gets its first look now */
	}
	if (s->state != ST_CLOSED && again) {
		/* still work to do: continue after other connections had a turn */
		loop_timer_set(this_loop, &s->tmr, now_ms);
		return;
	}
	update_timer(s);
}

/* ---- creation and stopping ---- */

int stream_new(struct proxy *fe, struct bind_conf *bind, int fd,
	       const struct sockaddr_storage *addr)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s) {
		close(fd);
		return -1;
	}
	s->fe = fe;
	s->bind = bind;
	s->be = fe->defbe;
	s->cli_addr = *addr;
	s->status = -1;
	s->term[0] = s->term[1] = '-';
	s->t_accept_us = now_us;
	s->req_wall_us = clock_wall_us();
	ev_timer_init(&s->tmr, stream_timer_cb, s);
	list_init(&s->task.link);
	list_init(&s->qlink);
	if (fe->options & PR_O_TCP_KA) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (conn_init(&s->cli, fd, cli_io_cb, s) < 0) {
		close(fd);
		free(s);
		return -1;
	}
	list_add_tail(&this_thr->streams, &s->link);
	this_thr->nstreams++;
	if (bind)
		__atomic_fetch_add(&bind->curconn, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&worker.actconn, 1, __ATOMIC_RELAXED);
	CTR_ADD(fe->fe_ctr->cum_conn, 1);
	CTR_ADD(fe->fe_ctr->cum_sess, 1);
	CTR_ADD(fe->fe_ctr->cur_sess, 1);
	CTR_MAX(fe->fe_ctr->max_sess, CTR_GET(fe->fe_ctr->cur_sess));
	if (fe->mode == PR_MODE_HTTP) {
		s->state = ST_REQ_WAIT;
		s->t_req_us = 0;
		s->exp_req = after(fe->to.http_request ? fe->to.http_request : fe->to.client);
	} else {
		s->t_req_us = s->t_head_us = now_us;
		s->state = ST_CONNECT;
		s->exp_cli = after(fe->to.client);
		if (!s->be) {
			stream_close(s);
			return 0;
		}
	}
	stream_process(s);
	return 0;
}

void stream_soft_stop(struct stream *s)
{
	if (s->state == ST_REQ_WAIT && !s->cli.in.data && !worker.retiring) {
		stream_close(s);
		return;
	}
	/* Finish the current request, then close. When retiring after a
	 * reload, an idle keep-alive client is not cut under its feet (it may
	 * be sending a request right now): its next request is answered with
	 * "Connection: close", or it is closed at `timeout http-keep-alive`
	 * (10 s when no keep-alive timeout is set, so the old worker ends). */
	s->cli_ka = 0;
	if (s->state == ST_REQ_WAIT && !s->cli.in.data && !s->exp_req) {
		s->exp_req = now_ms + 10000;
		update_timer(s);
	}
}

void stream_kill(struct stream *s)
{
	stream_close(s);
}
