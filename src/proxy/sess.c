/* Sessions: one per client connection, from accept to close (sess-t.h).
 * An idle keep-alive client is only its session; the stream that carries a
 * request is taken from the thread's pool when the first bytes of the
 * request arrive, and given back when the response is done and nothing
 * more is waiting. The session owns the connection's I/O callback and its
 * one timer, and hands both to the stream while one runs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/conn.h>
#include <tandem/loop.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/sess.h>
#include <tandem/ssl_sess.h>
#include <tandem/stream.h>
#include <tandem/persist.h>
#include "stream_int.h"

#define STRM_POOL_MAX 64   /* free streams kept per thread for the next requests */

/* ---- the stream pool ---- */

struct stream *stream_alloc(void)
{
	struct stream *s;

	if (!list_empty(&this_thr->strm_pool)) {
		/* the rules' transaction store and variables stay with the
		 * stream: no allocation per request once the thread is warm */
		struct txn_store *t;
		struct var_store v;
		struct strm_persist *pst;

		s = list_entry(this_thr->strm_pool.next, struct stream, link);
		list_del(&s->link);
		this_thr->nstrm_pool--;
		t = s->txn;
		v = s->vars;
		pst = s->pst;
		memset(s, 0, sizeof(*s));
		s->txn = t;
		s->vars = v;
		s->pst = pst;
	} else if (!(s = calloc(1, sizeof(*s)))) {
		return NULL;
	}
	list_init(&s->link);
	list_init(&s->qlink);
	list_init(&s->task.link);
	return s;
}

static void stream_free(struct stream *s)
{
	persist_stream_free(s);
	txn_store_free(s->txn);
	vars_store_free(&s->vars);
	free(s);
}

static void stream_release_task(struct ev_task *t)
{
	struct stream *s = t->ctx;

	free(s->reqline);
	s->reqline = NULL;
	if (this_thr->nstrm_pool < STRM_POOL_MAX && !worker.stopping) {
		list_add(&this_thr->strm_pool, &s->link);
		this_thr->nstrm_pool++;
	} else {
		stream_free(s);
	}
}

void stream_release_deferred(struct stream *s)
{
	ev_task_init(&s->task, stream_release_task, s);
	loop_task_wake(this_loop, &s->task);
}

void stream_pool_flush(void)
{
	while (!list_empty(&this_thr->strm_pool)) {
		struct stream *s = list_entry(this_thr->strm_pool.next, struct stream, link);

		list_del(&s->link);
		stream_free(s);
	}
	this_thr->nstrm_pool = 0;
}

/* ---- session memory ----
 * Sessions are packed in per-thread blocks: an idle keep-alive client then
 * costs sizeof(struct sess) and nothing more (no allocator header, no hole
 * left next to it by the request's stream going back to its pool). A block
 * is found from any of its sessions by its alignment, and freed when its
 * last session goes (one empty block is kept for the next burst). */
#define SESS_BLOCK 65536

struct sess_block {
	struct list  link;     /* this thread's blocks with a free slot */
	struct sess *free;     /* free slots, chained through ->strm */
	int          used, in_list;
};

#define SESS_SLOTS ((SESS_BLOCK - sizeof(struct sess_block)) / sizeof(struct sess))

static struct sess_block *block_of(struct sess *ss)
{
	return (struct sess_block *)((uintptr_t)ss & ~(uintptr_t)(SESS_BLOCK - 1));
}

static struct sess *sess_alloc(void)
{
	struct sess_block *b;
	struct sess *ss;

	if (list_empty(&this_thr->sess_blocks)) {
		struct sess *slots;
		size_t i;

		if (!(b = aligned_alloc(SESS_BLOCK, SESS_BLOCK)))
			return NULL;
		b->free = NULL;
		b->used = 0;
		slots = (struct sess *)(b + 1);
		for (i = SESS_SLOTS; i-- > 0;) {
			slots[i].strm = (struct stream *)b->free;
			b->free = &slots[i];
		}
		list_add(&this_thr->sess_blocks, &b->link);
		b->in_list = 1;
	}
	b = list_entry(this_thr->sess_blocks.next, struct sess_block, link);
	ss = b->free;
	b->free = (struct sess *)ss->strm;
	if (!b->free) {
		list_del(&b->link);
		b->in_list = 0;
	}
	b->used++;
	memset(ss, 0, sizeof(*ss));
	return ss;
}

static void sess_free_task(struct ev_task *t)
{
	struct sess *ss = t->ctx;
	struct sess_block *b = block_of(ss);

	ss->strm = (struct stream *)b->free;
	b->free = ss;
	if (!b->in_list) {
		list_add_tail(&this_thr->sess_blocks, &b->link);
		b->in_list = 1;
	}
	/* an empty block goes, unless it is the only one with room */
	if (!--b->used && (this_thr->sess_blocks.next != &b->link || b->link.next != &this_thr->sess_blocks)) {
		list_del(&b->link);
		free(b);
	}
}

void sess_blocks_flush(void)
{
	while (!list_empty(&this_thr->sess_blocks)) {
		struct sess_block *b = list_entry(this_thr->sess_blocks.next, struct sess_block, link);

		list_del(&b->link);
		if (!b->used)
			free(b);  /* a block still in use belongs to sessions not closed: left as is */
	}
}

/* ---- sessions ---- */

void sess_close(struct sess *ss)
{
	if (ss->closed)
		return;
	if (ss->strm)
		stream_end(ss->strm);
	ss->closed = 1;
	persist_sess_end(ss);   /* the session's tracked stick counters */
	if (ss->vars) {
		vars_store_free(ss->vars);
		free(ss->vars);
		ss->vars = NULL;
	}
	sess_lt_close(ss);   /* listener counters, the PROXY header's addresses (sess_lt.c) */
	conn_close(&ss->cli);
	loop_timer_del(this_loop, &ss->tmr);
	list_del(&ss->link);
	if (ss->bind)
		__atomic_fetch_sub(&ss->bind->curconn, 1, __ATOMIC_RELAXED);
	this_thr->nsess--;
	CTR_GSUB(ss->fe->fe_ctr->cur_sess, 1);
	__atomic_fetch_sub(&worker.actconn, 1, __ATOMIC_RELAXED);
	ev_task_init(&ss->cli.free_task, sess_free_task, ss);
	loop_task_wake(this_loop, &ss->cli.free_task);
	worker_stream_gone();
}

void sess_kill(struct sess *ss)
{
	sess_close(ss);
}

/* Wait for the next request until <exp> (0: no deadline). */
void sess_idle(struct sess *ss, uint64_t exp)
{
	ss->exp_idle = exp;
	if (!ss->cli.in.data)
		buf_release(&ss->cli.in);
	if (exp)
		loop_timer_set(this_loop, &ss->tmr, exp);
	else
		loop_timer_del(this_loop, &ss->tmr);
}

/* Bytes (or the end) may have come from an idle client: read them, and
 * start a stream when there are some. */
static void sess_idle_read(struct sess *ss)
{
	ssize_t r = conn_recv(&ss->cli, G->tune_bufsize);
	struct stream *s;

	if (r < 0) {
		sess_close(ss);  /* the client left between requests: silent close */
		return;
	}
	if (!ss->cli.in.data) {
		buf_release(&ss->cli.in);
		if (worker.stopping && !worker.retiring)
			sess_close(ss);
		return;
	}
	if (!(s = stream_start(ss))) {
		sess_close(ss);
		return;
	}
	stream_process(s);
}

static void sess_begin(struct sess *ss);

/* A TLS client's handshake, before its first stream (HAProxy's embryonic
 * session). Its deadline is the session's idle one, set at the accept: a
 * handshake waits on the client. A failure is counted and logged once
 * (ssl_sess_failed), then the connection closes. */
static void sess_handshake(struct sess *ss)
{
	int r = conn_handshake(&ss->cli);

	if (!r)
		return;
	if (r < 0) {
		ssl_sess_failed(ss, 0);
		sess_close(ss);
		return;
	}
	ss->hs = 0;
	ssl_sess_done(ss);
	sess_begin(ss);
}

static void sess_io_cb(struct ev_io *io, uint32_t ev)
{
	struct sess *ss = io->ctx;

	if (ss->closed)
		return;
	conn_note_events(&ss->cli, ev);
	if (ss->strm)
		stream_process(ss->strm);
	else if (ss->ppw)
		sess_pp_read(ss);   /* accept-proxy: the PROXY header first (sess_lt.c) */
	else if (ss->hs)
		sess_handshake(ss);
	else
		sess_idle_read(ss);
}

static void sess_timer_cb(struct ev_timer *t)
{
	struct sess *ss = t->ctx;

	if (ss->closed)
		return;
	if (ss->strm) {
		stream_process(ss->strm);
		return;
	}
	if (ss->exp_idle && ss->exp_idle <= now_ms) {
		if (ss->ppw) {
			sess_pp_timeout(ss);   /* logged and counted, closed */
			return;
		}
		if (ss->hs)
			ssl_sess_failed(ss, 1);  /* a stalled TLS handshake: logged once */
		sess_close(ss);  /* keep-alive or http-request timeout: silent close */
	}
	else if (ss->exp_idle)
		loop_timer_set(this_loop, &ss->tmr, ss->exp_idle);
}

int sess_new(struct proxy *fe, struct bind_conf *bind, int fd, const struct sockaddr_storage *addr)
{
	struct sess *ss = sess_alloc();

	if (!ss) {
		close(fd);
		return -1;
	}
	ss->fe = fe;
	ss->bind = bind;
	memcpy(&ss->addr, addr, addr->ss_family == AF_INET6 ? sizeof(ss->addr.in6) :
	       addr->ss_family == AF_INET ? sizeof(ss->addr.in) : sizeof(ss->addr.sa));
	ss->t_accept_us = now_us;
	ev_timer_init(&ss->tmr, sess_timer_cb, ss);
	list_init(&ss->cli.free_task.link);
	if (fe->options & PR_O_TCP_KA) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (conn_init(&ss->cli, fd, sess_io_cb, ss) < 0) {
		close(fd);
		ev_task_init(&ss->cli.free_task, sess_free_task, ss);
		sess_free_task(&ss->cli.free_task);
		return -1;
	}
	list_add_tail(&this_thr->sessions, &ss->link);
	this_thr->nsess++;
	if (bind)
		__atomic_fetch_add(&bind->curconn, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&worker.actconn, 1, __ATOMIC_RELAXED);
	CTR_ADD(fe->fe_ctr->cum_conn, 1);
	CTR_ADD(fe->fe_ctr->cum_sess, 1);
	CTR_GADD(fe->fe_ctr->cur_sess, 1);
	CTR_MAX(fe->fe_ctr->max_sess, CTR_GET(fe->fe_ctr->cur_sess));
	/* socket buffers, the listener's counters (sess_lt.c) */
	sess_lt_accept(ss, fd);
	/* tcp-request connection: at accept, before any handshake or PROXY
	 * header (as HAProxy); a refused connection is closed at once,
	 * without a log line */
	if (fe->rules && tcp_accept_rules(ss, RSI_TCP_CONN) < 0) {
		sess_close(ss);
		return 0;
	}
	/* with accept-proxy, the PROXY header before anything else, TLS
	 * included: sess_ready() once it is read */
	if (sess_lt_expect_proxy(ss))
		return 0;
	sess_ready(ss);
	return 0;
}

/* Accepted (and its PROXY header read, if one was expected): TLS first,
 * then requests. */
void sess_ready(struct sess *ss)
{
	struct proxy *fe = ss->fe;

	if (ssl_sess_tls(ss->bind)) {
		/* TLS first, under `timeout client` and, in HTTP, the first
		 * request's `timeout http-request` (both from the accept) */
		uint64_t exp = after(fe->to.client);

		if (ssl_sess_accept(ss) < 0) {
			sess_close(ss);
			return;
		}
		if (fe->mode == PR_MODE_HTTP && fe->to.http_request &&
		    (!exp || after(fe->to.http_request) < exp))
			exp = after(fe->to.http_request);
		ss->hs = 1;
		sess_idle(ss, exp);
		sess_handshake(ss);
		return;
	}
	sess_begin(ss);
}

/* The connection is ready for requests (accepted, or its TLS handshake
 * done): HTTP waits for the first request, TCP starts its stream. */
static void sess_begin(struct sess *ss)
{
	struct proxy *fe = ss->fe;
	struct stream *s;

	/* tcp-request session: once the handshake (if any) is done */
	if (fe->rules && tcp_accept_rules(ss, RSI_TCP_SESS) < 0) {
		sess_close(ss);
		return;
	}
	/* after both accept phases, which may have started tracking */
	if (ss->stkctr)
		persist_sess_start(ss);   /* a session counts in what it tracks */
	if (fe->mode == PR_MODE_HTTP) {
		/* the first request: `timeout http-request` from the accept */
		uint32_t to = fe->to.http_request ? fe->to.http_request : fe->to.client;

		sess_idle(ss, to ? ss->t_accept_us / 1000 + to : 0);
		sess_idle_read(ss);   /* the request may be there already */
		return;
	}
	/* TCP: a frontend without a backend closes at once, unless its
	 * rules may route (use_backend, tcp-request content) */
	if ((!fe->defbe && !(fe->rules && (fe->rules->n_be_rule || fe->rules->set[RSI_TCP_CONT].n))) ||
	    !(s = stream_start(ss))) {
		sess_close(ss);
		return;
	}
	stream_process(s);
}

void sess_soft_stop(struct sess *ss)
{
	struct stream *s = ss->strm;

	if (!s || (s->state == ST_REQ_WAIT && !s->cli->in.data)) {
		if (!worker.retiring) {
			sess_close(ss);
			return;
		}
		/* Retiring after a reload: an idle keep-alive client is not cut
		 * under its feet (it may be sending a request right now): its
		 * next request is answered with "Connection: close", or it is
		 * closed at its keep-alive deadline (10 s when none is set, so
		 * the old worker ends). */
		if (!s && !ss->exp_idle)
			sess_idle(ss, now_ms + 10000);
		if (s && !s->exp_req) {
			s->exp_req = now_ms + 10000;
			loop_timer_set(this_loop, &ss->tmr, s->exp_req);
		}
	}
	if (s)
		s->flags &= ~SF_CLI_KA;  /* finish the current request, then close */
}
