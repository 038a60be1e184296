/* The stream state machine: one client connection, its requests in order,
 * and the server connection serving the current one.
 *
 *   REQ_WAIT --head parsed--> CONNECT --connected/reused--> XFER
 *      ^                         |  ^ (retry)                 |
 *      |                         v  |                         v
 *      +------ keep-alive ---- (response done) <--------------+
 *   QUEUE: waiting for a server slot   APPLET: a service answers (stats)
 *   TUNNEL: mode tcp / after 101 / CONNECT
 *   CLOSING: flush a final response, then CLOSED (freed after this round).
 *
 * Every event calls stream_process(), which runs the handler of the current
 * state until no handler makes progress, then arms the single timer on the
 * deadline of the state (state_deadline()). The transfer state lives in
 * stream_xfer.c, the meaning of heads in http_ana.c, failures and retries
 * in stream_fail.c, counters and logs in stream_acct.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/check.h>
#include <tandem/conn.h>
#include <tandem/h1.h>
#include <tandem/lb.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/server.h>
#include <tandem/sock.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include <tandem/sess.h>
#include <tandem/ssl_sess.h>
#include <tandem/stream.h>
#include <tandem/persist.h>
#include "stream_int.h"

static int do_connect(struct stream *s);

/* ---- lifecycle ---- */


/* A slot of <srv> was freed on this thread: let the oldest stream queued
 * here that it may serve (one waiting for <srv> itself, or any of the
 * backend's) try again (other threads poll, see queue_tick). */
static void queue_wake(const struct server *srv)
{
	struct list *l;

	list_for_each(l, &this_thr->queue) {
		struct stream *q = list_entry(l, struct stream, qlink);
		if (q->be == srv->be && (!q->qsrv || q->qsrv == srv)) {
			loop_timer_set(this_loop, &q->sess->tmr, now_ms);
			return;
		}
	}
}

void release_server_slot(struct stream *s)
{
	if (sf(s, SF_SRV_COUNTED)) {
		__atomic_fetch_sub(&s->srv->cur_conns, 1, __ATOMIC_RELAXED);
		CTR_GSUB(s->srv->ctr->cur_sess, 1);
		s->flags &= ~SF_SRV_COUNTED;
		if (s->srv->maxconn && !list_empty(&this_thr->queue))
			queue_wake(s->srv);
	}
}

void drop_server_conn(struct stream *s)
{
	if (s->sc) {
		s->sc->strm = NULL;
		conn_free_deferred(s->sc);
		s->sc = NULL;
	}
}

/* The stream ends (its request is over, or its connection closes): let go
 * of everything it holds; the object goes back to the thread's pool after
 * this I/O round (an event later in the round may still point to it). */
void stream_end(struct stream *s)
{
	if (s->state == ST_CLOSED)
		return;
	persist_txn_end(s);   /* stick counters: errors, bytes; the stream's released */
	release_server_slot(s);
	drop_server_conn(s);
	if (s->be)
		req_done_accounting(s);
	buf_free(&s->cli_out);
	buf_free(&s->srv_out);
	if (s->gen_free)
		free((void *)s->gen);
	s->gen = NULL;
	s->gen_free = 0;
	s->state = ST_CLOSED;
	stream_queue_leave(s);   /* (maxqueue's count) and out of the thread's queue */
	stream_pp_free(s);
	stream_splice_free(s);
	if (s->sess->strm == s)
		s->sess->strm = NULL;
	stream_release_deferred(s);
}

/* Close the client connection, and with it the stream. */
void stream_close(struct stream *s)
{
	sess_close(s->sess);
}

/* ---- timers ---- */

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* The deadline that matters in the stream's current state. Each state's
 * handler acts on every one of these when it expires (or clears it when it
 * stops applying), so this is never in the past once the handlers ran:
 *   REQ_WAIT  exp_req  (timeout http-request / http-keep-alive), exp_insp (wait-for-body)
 *   INSPECT   exp_insp (tcp-request inspect-delay), exp_cli (timeout client)
 *   TARPIT    exp_insp (timeout tarpit)
 *   QUEUE     exp_srv  (timeout queue)
 *   CONNECT   exp_srv  (timeout connect), exp_req (http-buffer-request)
 *   XFER      exp_cli  while the client must send or take bytes,
 *             exp_srv  while the server must (timeout client / server)
 *   TUNNEL    exp_cli, exp_srv (timeout tunnel, client-fin, server-fin), exp_insp
 *             (tcp-response inspect-delay)
 *   APPLET, CLOSING  exp_cli */
static uint64_t state_deadline(const struct stream *s)
{
	switch (s->state) {
	case ST_REQ_WAIT: return earliest(s->exp_req, s->exp_insp);
	case ST_QUEUE:    return s->exp_srv;
	case ST_CONNECT:  return earliest(s->exp_srv, s->exp_req);
	case ST_XFER:     return earliest(s->exp_cli, s->exp_srv);
	case ST_TUNNEL:   return earliest(earliest(s->exp_cli, s->exp_srv), s->exp_insp);
	case ST_INSPECT:  return earliest(s->exp_insp, s->exp_cli);
	case ST_TARPIT:   return s->exp_insp;
	case ST_APPLET:
	case ST_CLOSING:  return s->exp_cli;
	default:          return 0;
	}
}

static const char *const state_names[] = {
	[ST_REQ_WAIT] = "REQ_WAIT", [ST_QUEUE] = "QUEUE", [ST_CONNECT] = "CONNECT", [ST_XFER] = "XFER",
	[ST_APPLET] = "APPLET", [ST_TUNNEL] = "TUNNEL", [ST_CLOSING] = "CLOSING", [ST_CLOSED] = "CLOSED",
	[ST_INSPECT] = "INSPECT", [ST_TARPIT] = "TARPIT",
};

/* A handler left the stream in a state it cannot leave by itself (a due
 * deadline nobody acted on, or turns without progress): a bug. Say where it
 * stood, then close it rather than let the thread spin on it. */
static void stream_stuck(struct stream *s, const char *why)
{
	uint64_t now = now_ms;

	log_event(LL_ERR, "BUG: stream stuck (%s) in %s on %s/%s: req phase=%d fwd=%zu kept=%zu, "
		  "rsp phase=%d fwd=%zu, flags=0x%x, cli in=%zu out=%zu flags=0x%x, "
		  "srv in=%zu flags=0x%x, deadlines req=%lld cli=%lld srv=%lld ms: closed.",
		  why, state_names[s->state], s->fe->id, s->be ? s->be->id : "-",
		  s->req.phase, s->req.fwd, s->req.kept, s->rsp.phase, s->rsp.fwd,
		  s->flags, s->cli->in.data, s->cli_out.data, s->cli->flags,
		  s->sc ? s->sc->in.data : 0, s->sc ? s->sc->flags : 0,
		  s->exp_req ? (long long)(s->exp_req - now) : 0LL,
		  s->exp_cli ? (long long)(s->exp_cli - now) : 0LL,
		  s->exp_srv ? (long long)(s->exp_srv - now) : 0LL);
	CTR_ADD(s->fe->fe_ctr->failed_req, 1);
	stream_error(s, 500, 'I', 'D');
	if (s->state != ST_CLOSED)
		stream_close(s);
}

/* Arm the stream's one timer on the deadline of its state. A deadline
 * already past here is one no handler acted on: arming it would fire at once
 * and again forever, so that is treated as the bug it is. */
static void update_timer(struct stream *s)
{
	uint64_t e;

	if (s->state == ST_CLOSED)
		return;
	e = state_deadline(s);
	if (e && e <= now_ms) {
		stream_stuck(s, "deadline passed");
		return;
	}
	if (e)
		loop_timer_set(this_loop, &s->sess->tmr, e);
	else
		loop_timer_del(this_loop, &s->sess->tmr);
}

/* ---- I/O callbacks ---- */

static void srv_io_cb(struct ev_io *io, uint32_t ev)
{
	struct conn *c = io->ctx;
	struct stream *s = c->strm;

	if ((c->flags & CF_CLOSED) || !s || s->state == ST_CLOSED)
		return;
	conn_note_events(c, ev);
	stream_process(s);
}

/* Start waiting for the next request on this connection. */
void txn_reset(struct stream *s)
{
	persist_txn_end(s);   /* stick counters: errors, bytes; the stream's released */
	s->meth = H1_M_OTHER;
	s->srv = s->prev_srv = NULL;
	s->be = s->fe->defbe;
	memset(&s->req, 0, sizeof(s->req));
	memset(&s->rsp, 0, sizeof(s->rsp));
	s->status = -1;
	s->flags &= SF_CLI_KA | SF_HTTP;  /* the rest describes one transaction */
	s->exp_insp = 0;
	memset(&s->rwait, 0, sizeof(s->rwait));
	s->rwait_set = 0;
	s->retries = 0;
	s->svc = NULL;
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

/* ---- state handlers: each returns 1 when it changed something worth
 * another pass, 0 when the stream must wait for an event. ---- */

static int txn_next(struct stream *s);

static int st_req_wait(struct stream *s)
{
	struct h1_msg *m = strm_scratch();
	struct h1_limits lim;
	ssize_t r;
	int ret;

	/* an idle server connection kept for this client may die meanwhile */
	if (s->sc && (s->sc->flags & (CF_RD_READY | CF_EOF | CF_ERROR))) {
		if (conn_recv(s->sc, G->tune_bufsize) != 0 || s->sc->in.data)
			drop_server_conn(s);
	}
	if (!s->cli->in.data || s->cli->in.data < s->cli->in.size) {
		r = conn_recv(s->cli, G->tune_bufsize);
		if (r < 0) {
			if (s->cli->in.data) {
				set_term(s, 'C', 'R');
				CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
				if (s->sess->nreq || s->cli->in.data)
					stream_log(s);
			}
			stream_close(s);
			return 0;
		}
	}
	if (!s->cli->in.data) {
		buf_release(&s->cli->in);
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
		if (s->sess->nreq) {
			uint32_t to = s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client;
			s->exp_req = after(to);
		}
	}
	lim.max_head = G->tune_bufsize - G->tune_maxrewrite;
	lim.max_hdrs = G->tune_maxhdr;
	ret = h1_parse_request(buf_ptr(&s->cli->in), s->cli->in.data, m, &lim);
	if (ret == H1_INCOMPLETE) {
		if (expired(s->exp_req)) {
			CTR_ADD(s->fe->fe_ctr->failed_req, 1);
			stream_error(s, 408, 'c', 'R');
			return 1;
		}
		if (buf_full(&s->cli->in)) {
			CTR_ADD(s->fe->fe_ctr->failed_req, 1);
			stream_error(s, 431, 'P', 'R');
			return 1;
		}
		/* edge-triggered: what is still queued (maybe the client's FIN)
		 * will not be announced again, so read on while it may be there */
		return (s->cli->flags & CF_RD_READY) != 0;
	}
	if (ret < 0) {
		CTR_ADD(s->fe->fe_ctr->failed_req, 1);
		s->t_head_us = now_us;
		stream_error(s, m->err_status ? m->err_status : 400, 'P', 'R');
		return 1;
	}
	/* A form posted to a service (the stats page) is read whole before it
	 * is served (it is small: it must fit in the buffer with its head). */
	if (http_wants_body_first(s, m, (size_t)ret)) {
		if (expired(s->exp_req)) {
			stream_error(s, 408, 'c', 'R');
			return 1;
		}
		return (s->cli->flags & CF_RD_READY) != 0;
	}
	http_analyze_request(s, m);
	return 1;
}

static int st_applet(struct stream *s)
{
	ssize_t r = send_parts(s->cli, &s->cli_out, s, NULL, NULL);

	if (r < 0) {
		set_term(s, 'C', 'D');
		stream_log(s);
		stream_close(s);
		return 0;
	}
	if (r > 0 || !s->exp_cli)
		s->exp_cli = after(s->fe->to.client);
	if (s->cli_out.data || s->gen_off < s->gen_len) {
		if (expired(s->exp_cli)) {
			/* the client stopped taking the page: `timeout client` */
			set_term(s, 'c', 'D');
			stream_log(s);
			stream_close(s);
		}
		return 0;
	}
	count_response(s);
	stream_log(s);
	return txn_next(s);
}

/* http-request tarpit: the answer is ready in cli_out; it leaves when the
 * tarpit time is over, or the stream ends when the client goes first. */
static int st_tarpit(struct stream *s)
{
	if (s->cli->flags & (CF_ERROR | CF_EOF | CF_RDHUP)) {
		set_term(s, 'C', 'T');
		stream_log(s);
		stream_close(s);
		return 0;
	}
	if (!expired(s->exp_insp))
		return 0;
	s->exp_insp = 0;
	s->state = ST_APPLET;
	return 1;
}

/* Waiting in the backend's queue for any server, or in one server's own
 * queue (s->qsrv, stream_srv.c) for a slot of that server. */
static int st_queue(struct stream *s)
{
	struct server *srv;

	if (client_gone(s))
		return 0;
	if ((srv = s->qsrv)) {
		if (srv_usable(srv) || sf(s, SF_FORCE_SRV) || !(s->be->options & PR_O_REDISPATCH)) {
			if (__atomic_load_n(&srv->cur_conns, __ATOMIC_RELAXED) < srv->maxconn) {
				stream_queue_leave(s);
				s->flags |= SF_SRV_DEQUEUED;
				s->state = ST_CONNECT;
				return 1;
			}
			if (expired(s->exp_srv)) {
				stream_queue_leave(s);
				stream_error(s, 503, 's', 'Q');
				return 1;
			}
			return 0;
		}
		/* its server went DOWN: balanced instead, with option
		 * redispatch (HAProxy redistributes that server's queue) */
		stream_queue_leave(s);
		s->srv = NULL;
		s->flags &= ~SF_SRV_CHOSEN;
		s->flags |= SF_REDISPATCHED;
		CTR_ADD(s->be->be_ctr->redispatches, 1);
		s->state = ST_CONNECT;
		return 1;
	}
	srv = persist_pick(s, s->prev_srv, NULL);   /* the balancer, with the request's hash key */
	if (srv) {
		stream_queue_leave(s);
		s->srv = srv;
		s->state = ST_CONNECT;
		return 1;
	}
	if (expired(s->exp_srv) || !lb_has_full(s->be)) {
		stream_queue_leave(s);
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
	if (!((s->fe->options | s->be->options) & PR_O_HTTP_BUF_REQ) || s->sc || s->req.phase == MSG_DONE)
		return 0;
	conn_recv(s->cli, G->tune_bufsize);
	if (req_body_scan(s, (s->cli->flags & (CF_EOF | CF_ERROR)) != 0) < 0 ||
	    (s->cli->flags & (CF_EOF | CF_ERROR))) {
		/* errors are reported by the transfer state, which sees the same */
		return 0;
	}
	if (s->req.phase == MSG_DONE || buf_full(&s->cli->in)) {
		s->t_head_us = now_us;   /* as HAProxy: TR covers the wait for the body */
		return 0;
	}
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
		int hs;

		/* send-proxy: the PROXY header goes out first, on the socket
		 * itself (before a TLS handshake), stream_pp.c */
		if (!err && (r = stream_pp_srv_send(s)) <= 0) {
			if (r < 0)
				return srv_failure(s, 503, 'S', 'C', FAIL_CONN);
			return expired(s->exp_srv) ? srv_failure(s, 503, 's', 'C', FAIL_CONN) : 0;
		}
		hs = err ? 0 : conn_handshake(s->sc);   /* TLS: part of connecting, under `timeout connect` */

		if (hs < 0) {
			ssl_sess_srv_failed(s);
			return srv_failure(s, 503, 'S', 'C', FAIL_CONN);
		}
		if (!err && !hs) {
			if (expired(s->exp_srv))
				return srv_failure(s, 503, 's', 'C', FAIL_CONN);
			return 0;
		}
		if (!err) {
			ssl_sess_srv_done(s);
			s->sc->flags &= ~CF_CONNECTING;
			s->t_conn_us = now_us;
			srv_observe(s->srv, OBS_CONN_OK);
			CTR_ADD(s->srv->ctr->cum_conn, 1);
			CTR_ADD(be->be_ctr->ctime_sum, (now_us - s->t_conn_start_us) / 1000);
			s->state = sf(s, SF_HTTP) ? ST_XFER : ST_TUNNEL;
			persist_connected(s);   /* TCP: stick stores, the server being known */
			s->exp_cli = 0;  /* armed by the new state when it waits on the client */
			s->exp_srv = after(sf(s, SF_HTTP) ? be->to.server :
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

/* Servers are alive but at their maxconn: wait for a slot of any of them
 * (the backend's queue, <srv> NULL) or of <srv> (its own queue), up to
 * `timeout queue` (else `timeout connect`). */
static int queue_up(struct stream *s, struct server *srv)
{
	uint32_t to = s->be->to.queue ? s->be->to.queue : s->be->to.connect;

	if (list_empty(&this_thr->queue))
		loop_timer_set(this_loop, &this_thr->qtick, now_ms + 10);
	list_add_tail(&this_thr->queue, &s->qlink);
	stream_queue_enter(s, srv);
	s->t_queue_us = now_us;
	s->exp_srv = after(to);
	s->state = ST_QUEUE;
	return 0;
}

/* <srv>'s own queue holds its maxqueue requests: HAProxy's queue error,
 * 503 'SQ', counted as a connection error of the server. */
static int queue_full(struct stream *s, struct server *srv)
{
	CTR_ADD(srv->ctr->failed_conns, 1);
	CTR_ADD(s->be->be_ctr->failed_conns, 1);
	stream_error(s, 503, 'S', 'Q');
	return 1;
}

/* Pick a server and get a connection to it (reused, pooled or new). */
static int do_connect(struct stream *s)
{
	struct proxy *be = s->be;
	struct server *srv = s->srv;
	struct conn *c = NULL;
	int fd, q;

	if (srv && (q = stream_srv_queue_full(s, srv))) {
		if (q > 0)
			return queue_up(s, srv);
		/* its queue holds maxqueue requests: another server with
		 * option redispatch (never under force-persist), else 503 */
		if (!(be->options & PR_O_REDISPATCH) || sf(s, SF_FORCE_SRV))
			return queue_full(s, srv);
		s->srv = srv = NULL;
		s->flags &= ~SF_SRV_CHOSEN;
	}
	if (!srv) {
		struct server *keep;

		srv = persist_pick(s, s->prev_srv, &keep);   /* the balancer, with the request's hash key */
		if (!srv && keep) {
			/* hashing: the key's server is full, the request waits
			 * for it in its queue; that queue full: 503, the key is
			 * not moved (HAProxy) */
			if (keep->maxqueue && __atomic_load_n(&keep->queue_len, __ATOMIC_RELAXED) >= keep->maxqueue)
				return queue_full(s, keep);
			s->srv = keep;
			return queue_up(s, keep);
		}
		if (!srv && lb_has_full(be))
			return queue_up(s, NULL);
		if (!srv) {
			stream_error(s, 503, 'S', 'C');
			return 1;
		}
		s->srv = srv;
	}
	if (!sf(s, SF_SRV_COUNTED)) {
		__atomic_fetch_add(&srv->cur_conns, 1, __ATOMIC_RELAXED);
		CTR_ADD(srv->ctr->cum_sess, 1);
		CTR_ADD(be->be_ctr->cum_sess, 1);
		CTR_GADD(srv->ctr->cur_sess, 1);
		CTR_MAX(srv->ctr->max_sess, CTR_GET(srv->ctr->cur_sess));
		CTR_SET(srv->ctr->last_sess, clock_wall_us() / 1000000);
		s->flags |= SF_SRV_COUNTED;
		stream_srv_taken(s);
	}
	s->t_conn_start_us = now_us;
	/* 1. the connection this client used last, if it goes to the same server
	 * (not one opened for another request's TLS name: CF_PRIVATE) */
	if (s->sc && s->sc->srv == srv && !(s->sc->flags & (CF_EOF | CF_ERROR | CF_PRIVATE)) && conn_quiet(s->sc))
		c = s->sc;
	else if (s->sc) {
		struct conn *old = s->sc;
		s->sc = NULL;
		old->strm = NULL;
		if (be->http_reuse == REUSE_NEVER || !conn_quiet(old) || srv_put_idle(old, G->tune_idle_pool) < 0)
			conn_free_deferred(old);
	}
	/* 2. an idle one from the pool ("safe": never for a first request);
	 * never one that carries another client's PROXY header or port */
	if (!c && sf(s, SF_HTTP) && be->http_reuse != REUSE_NEVER && !srv_conn_private(srv) &&
	    (s->sess->nreq > 1 || be->http_reuse >= REUSE_AGGRESSIVE)) {
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
		s->exp_cli = 0;
		s->exp_srv = after(be->to.server);
		return 1;
	}
	/* 3. a new connection */
	{
		/* the admin socket may change the address meanwhile (seqlock) */
		struct sockaddr_storage sa;
		socklen_t sl;

		srv_addr_get(srv, &sa, &sl);
		fd = stream_connect_srv(s, srv, &sa, sl);   /* mapped ports, source */
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
	if (srv->use_ssl && ssl_sess_connect(s, c) < 0)
		return srv_failure(s, 503, 'S', 'C', FAIL_CONN);
	return 1;
}

/* May the server connection that served the finished exchange serve another
 * request (stay with this client, or go to the pool)? Only after a complete,
 * well-framed HTTP/1.1 exchange with nothing after it: never after CONNECT,
 * an unfinished request, a response read until close, or when the server
 * sent bytes past the end of its response (they would be read as the answer
 * to someone else's request). Those bytes are counted as a response error
 * and logged. */
static int srv_conn_reusable(struct stream *s, struct conn *sc)
{
	size_t junk;

	if (!sf(s, SF_SRV_KA) || s->req.phase != MSG_DONE || s->req.fwd || s->meth == H1_M_CONNECT ||
	    (sc->flags & (CF_EOF | CF_ERROR)))
		return 0;
	/* readiness is edge-triggered: bytes still in the kernel will not be
	 * announced again, so look now rather than trust the buffer alone */
	if (!sc->in.data && (sc->flags & CF_RD_READY) && conn_recv(sc, G->tune_bufsize) < 0)
		return 0;
	junk = sc->in.data;
	if (!junk)
		return 1;
	CTR_ADD(s->be->be_ctr->failed_resp, 1);
	if (s->srv)
		CTR_ADD(s->srv->ctr->failed_resp, 1);
	log_event(LL_WARNING, "Server %s/%s sent %zu byte(s) after the end of a response: "
		  "connection closed, not reused.", s->be->id, s->srv ? s->srv->id : "-", junk);
	return 0;
}

/* The request and its response are complete: account, log, keep-alive. */
int txn_end(struct stream *s)
{
	struct conn *sc = s->sc;

	count_response(s);
	stream_log(s);
	release_server_slot(s);
	req_done_accounting(s);
	if (sc) {
		if (srv_conn_reusable(s, sc)) {
			sc->flags |= CF_USED;
			if ((s->be->http_reuse != REUSE_NEVER && !srv_conn_private(sc->srv)) || !sf(s, SF_CLI_KA) ||
			    worker.stopping) {
				/* back to the server's pool: an idle client then holds no
				 * server connection, and the pool (bounded per thread by
				 * tune.idle-pool) serves every client's next request */
				s->sc = NULL;
				sc->strm = NULL;
				if (s->be->http_reuse == REUSE_NEVER || srv_conn_private(sc->srv) ||
				    srv_put_idle(sc, G->tune_idle_pool) < 0)
					conn_free_deferred(sc);
			} else {
				buf_release(&sc->in);  /* http-reuse never: private to this client */
			}
		} else {
			drop_server_conn(s);
		}
	}
	return txn_next(s);
}

/* After a response: close, or wait for the next request. A client with
 * nothing more to say yet, and no server connection kept for it, keeps
 * only its session (sess.c): the stream goes back to the pool. A client
 * that already sent its next request (pipelining) keeps the stream. */
static int txn_next(struct stream *s)
{
	uint32_t ka = s->fe->to.http_keep_alive ? s->fe->to.http_keep_alive :
		      s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client;

	if (!sf(s, SF_CLI_KA)) {
		s->state = ST_CLOSING;
		return 1;
	}
	if (!s->cli->in.data && !s->sc) {
		sess_idle(s->sess, after(ka));
		stream_end(s);
		return 1;
	}
	txn_reset(s);
	s->state = ST_REQ_WAIT;
	s->exp_cli = s->exp_srv = 0;
	s->exp_req = after(ka);
	if (!s->cli->in.data)
		buf_release(&s->cli->in);
	buf_release(&s->cli_out);
	buf_free(&s->srv_out);  /* an idle client keeps no buffer at all */
	return 1;
}

/* Flush what is left for the client, then close gracefully: shut our
 * side, drain what the client still sends (closing with unread data would
 * reset the connection and could destroy the response in flight). */
static int st_closing(struct stream *s)
{
	ssize_t r;

	if (!s->exp_cli)
		s->exp_cli = after(s->fe->to.client ? s->fe->to.client : 5000);
	if (s->cli_out.data || (s->gen && s->gen_off < s->gen_len)) {
		r = send_parts(s->cli, &s->cli_out, s, NULL, NULL);
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
	if (!(s->cli->flags & CF_SHUTW)) {
		conn_shutw(s->cli);
		s->exp_cli = now_ms + 1000;
		s->exp_req = s->exp_srv = 0;
	}
	for (;;) {
		s->cli->in.data = s->cli->in.head = 0;
		r = conn_recv(s->cli, 4096);
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

/* What a turn of the handlers can change; equal before and after a full
 * round of turns means the handlers went round in circles. */
struct strm_mark {
	int state, nreq;
	size_t cli_in, cli_out, srv_in, req_fwd, rsp_fwd, gen_off, srv_out_sent;
	uint64_t bytes_in, bytes_out;
};

static void stream_mark(const struct stream *s, struct strm_mark *m)
{
	memset(m, 0, sizeof(*m));
	m->state = s->state;
	m->nreq = s->sess->nreq;
	m->cli_in = s->cli->in.data;
	m->cli_out = s->cli_out.data;
	m->srv_in = s->sc ? s->sc->in.data : 0;
	m->req_fwd = s->req.fwd;
	m->rsp_fwd = s->rsp.fwd;
	m->gen_off = s->gen_off;
	m->srv_out_sent = s->srv_out_sent;
	m->bytes_in = s->bytes_in;
	m->bytes_out = s->bytes_out;
}

/* Run the current state's handler until none makes progress. A bounded
 * number of turns per call: a stream with more to do (many pipelined
 * requests) yields to the other connections of the thread and continues at
 * the next loop turn. If a whole round of turns changed nothing a handler
 * claimed progress without making any: the stream is logged and closed (see
 * stream_stuck) instead of being run again forever. */
void stream_process(struct stream *s)
{
	int again = 1, guard = 64;
	struct strm_mark before, after_;

	stream_mark(s, &before);
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
		case ST_INSPECT:  again = st_inspect(s); break;
		case ST_TARPIT:   again = st_tarpit(s); break;
		default:          again = 0; break;
		}
		if (s->state != prev)
			again = 1;  /* a new state always gets its first look now */
	}
	if (s->state != ST_CLOSED && again) {
		stream_mark(s, &after_);
		if (!memcmp(&before, &after_, sizeof(before))) {
			stream_stuck(s, "no progress in 64 turns");
			return;
		}
		/* still work to do: continue after other connections had a turn */
		loop_timer_set(this_loop, &s->sess->tmr, now_ms);
		return;
	}
	update_timer(s);
}

/* ---- creation ---- */

/* A stream for the session's next request (bytes arrived) or, in TCP
 * mode, for the connection. NULL when out of memory. */
struct stream *stream_start(struct sess *ss)
{
	struct proxy *fe = ss->fe;
	struct stream *s = stream_alloc();

	if (!s)
		return NULL;
	s->sess = ss;
	s->cli = &ss->cli;
	memcpy(&s->cli_addr, &ss->addr, sizeof(ss->addr));
	s->fe = fe;
	s->be = fe->defbe;
	s->status = -1;
	s->term[0] = s->term[1] = '-';
	s->req_wall_us = clock_wall_us();
	ss->strm = s;
	if (fe->mode == PR_MODE_HTTP || ss->http) {
		s->flags |= SF_HTTP;
		s->state = ST_REQ_WAIT;
		/* the first request's deadline counts from the accept */
		s->exp_req = ss->nreq ? 0 : ss->exp_idle;
	} else {
		/* TCP: the rules (if any) and the backend decide first (tcp_ana.c) */
		s->t_req_us = s->t_head_us = now_us;
		s->state = ST_INSPECT;
		s->exp_cli = after(fe->to.client);
	}
	stream_pp_start(s);   /* the PROXY header's destination, if any (stream_pp.c) */
	return s;
}

void stream_srv_gone_scan(void)
{
	struct list *l, *n;
	struct moved { const struct server *srv; int n; } moved[8];
	int nm = 0, i, others = 0;

	stream_srv_shutdown_scan();   /* on-marked-down / on-marked-up first */
	list_for_each_safe(l, n, &this_thr->sessions) {
		struct stream *s = list_entry(l, struct sess, link)->strm;
		const struct server *sv = s ? s->srv : NULL;

		if (!s || !stream_srv_gone(s))
			continue;
		for (i = 0; i < nm && moved[i].srv != sv; i++)
			;
		if (i < nm)
			moved[i].n++;
		else if (nm < (int)(sizeof(moved) / sizeof(moved[0])))
			moved[nm++] = (struct moved){ sv, 1 };
		else
			others++;
		stream_process(s);
	}
	for (i = 0; i < nm; i++)
		log_event(LL_NOTICE, "%d request(s) waiting on %s/%s re-dispatched: the server is %s.",
			  moved[i].n, moved[i].srv->be->id, moved[i].srv->id,
			  (__atomic_load_n(&moved[i].srv->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT) ?
			  "in maintenance" : "DOWN");
	if (others)
		log_event(LL_NOTICE, "%d more request(s) re-dispatched off servers DOWN or in maintenance.", others);
}
