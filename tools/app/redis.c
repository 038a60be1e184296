/* Redis for tandem-app: hiredis' asynchronous client on the worker's own
 * event loop (tandem's loop.c), one connection per worker thread, nothing
 * ever blocks.
 *
 * The adapter: hiredis asks for read/write interest through the ev hooks
 * (addRead, delRead, addWrite, delWrite, cleanup) and we call
 * redisAsyncHandleRead/Write when epoll says so, as hiredis' own adapters
 * do for libev or ae.
 *
 * Life of a connection (struct rconn, per thread):
 *   none --connect--> connecting --onConnect OK--> connected
 *     ^                    | refused                   | EOF, error, timeout
 *     +--- (retry after APP_REDIS_RETRY_MS) <----------+
 * A connect is started on demand (and once at thread start). Commands sent
 * while connecting are queued by hiredis and written once connected. When a
 * connect fails, commands fail at once for APP_REDIS_RETRY_MS instead of
 * each trying a new connect (a load test against a dead Redis must not turn
 * into a connect storm).
 *
 * Timeouts: hiredis 0.14 has none for asynchronous commands, so every
 * command (struct rop) carries a deadline; replies come back in order, so
 * the oldest pending command is the one that times out first, and one timer
 * watches it. On expiry the context is freed: hiredis then fails every
 * pending command (reply NULL), which answers their clients with 503.
 *
 * While hiredis fails the pending commands of a dying context (reply NULL),
 * the callbacks may try to send new ones (a pipelined request): `tearing`
 * makes those fail at once instead of touching the dying context. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <tandem/clock.h>
#include <tandem/list.h>
#include <tandem/loop.h>
#include "app.h"

struct rop {
	struct list  link;       /* in rconn.ops, oldest first */
	struct conn *c;          /* NULL once the client connection went away */
	rop_cb       cb;
	void        *arg;
	uint64_t     deadline_ms;
};

struct rconn {
	struct loop       *l;
	redisAsyncContext *ac;   /* NULL: not connected nor connecting */
	struct ev_io       io;
	uint32_t           want; /* events hiredis asked for */
	struct ev_timer    tmr;  /* deadline of the oldest pending command */
	struct list        ops;
	int                tearing;
	uint64_t           retry_at_ms;
	char               err[160];
};

static __thread struct rconn *rc;
/* 1 up, 0 down, 2 not known yet, -1 not configured (atomic) */
static int g_up = -1;

int redis_up(void)
{
	int v = __atomic_load_n(&g_up, __ATOMIC_RELAXED);

	return v == 2 ? 0 : v;
}

const char *redis_last_error(void)
{
	return rc && rc->err[0] ? rc->err : "not connected";
}

/* Record the state; log only the transitions (any thread may see one first). */
static void set_up(int up, const char *why)
{
	int old = __atomic_exchange_n(&g_up, up, __ATOMIC_RELAXED);

	if (old == up)
		return;
	if (up)
		app_event(LL_NOTICE, "Redis %s:%d is up", app_cfg.redis_host, app_cfg.redis_port);
	else
		app_event(LL_WARNING, "Redis %s:%d is down: %s; deep health checks answer 503",
			  app_cfg.redis_host, app_cfg.redis_port, why);
}

/* ---- the event-loop adapter ---- */

static void ev_apply(struct rconn *r)
{
	if (r->io.fd >= 0)
		loop_io_set(r->l, &r->io, r->want);
}

static void a_add_read(void *p) { struct rconn *r = p; r->want |= EPOLLIN; ev_apply(r); }
static void a_del_read(void *p) { struct rconn *r = p; r->want &= ~(uint32_t)EPOLLIN; ev_apply(r); }
static void a_add_write(void *p) { struct rconn *r = p; r->want |= EPOLLOUT; ev_apply(r); }
static void a_del_write(void *p) { struct rconn *r = p; r->want &= ~(uint32_t)EPOLLOUT; ev_apply(r); }

/* hiredis frees the context (and closes the socket) right after this. */
static void a_cleanup(void *p)
{
	struct rconn *r = p;

	loop_io_del(r->l, &r->io);
	r->io.fd = -1;
	r->want = 0;
	r->ac = NULL;
	r->tearing = 0;
}

static void io_cb(struct ev_io *io, uint32_t events)
{
	struct rconn *r = io->ctx;

	/* each call may free the context (r->ac becomes NULL through cleanup) */
	if (r->ac && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		redisAsyncHandleRead(r->ac);
	if (r->ac && (events & EPOLLOUT))
		redisAsyncHandleWrite(r->ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn *r = ac->ev.data;

	if (status != REDIS_OK) {
		snprintf(r->err, sizeof(r->err), "connect: %s", ac->errstr);
		r->retry_at_ms = now_ms + APP_REDIS_RETRY_MS;
		set_up(0, r->err);
		return;
	}
	r->err[0] = 0;
	set_up(1, NULL);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn *r = ac->ev.data;

	if (status != REDIS_OK && !r->err[0])
		snprintf(r->err, sizeof(r->err), "%s", ac->errstr);
	if (status != REDIS_OK)
		set_up(0, r->err);
}

/* Start connecting. 0, or -1 with r->err set. */
static int rconn_connect(struct rconn *r)
{
	redisAsyncContext *ac;

	if (now_ms < r->retry_at_ms)
		return -1;
	r->err[0] = 0;
	ac = redisAsyncConnect(app_cfg.redis_host, app_cfg.redis_port);
	if (!ac) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -1;
	}
	if (ac->err) {
		/* refused at once (loopback) or no socket */
		snprintf(r->err, sizeof(r->err), "connect: %s", ac->errstr);
		redisAsyncFree(ac);
		r->retry_at_ms = now_ms + APP_REDIS_RETRY_MS;
		set_up(0, r->err);
		return -1;
	}
	ev_io_init(&r->io, ac->c.fd, io_cb, r);
	r->want = 0;
	ac->ev.data = r;
	ac->ev.addRead = a_add_read;
	ac->ev.delRead = a_del_read;
	ac->ev.addWrite = a_add_write;
	ac->ev.delWrite = a_del_write;
	ac->ev.cleanup = a_cleanup;
	r->ac = ac;
	/* after the hooks: this one asks for the first write event */
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	return 0;
}

/* ---- commands ---- */

static void arm(struct rconn *r)
{
	if (list_empty(&r->ops)) {
		loop_timer_del(r->l, &r->tmr);
		return;
	}
	loop_timer_set(r->l, &r->tmr, list_entry(r->ops.next, struct rop, link)->deadline_ms);
}

static void reply_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rconn *r = ac->ev.data ? ac->ev.data : rc;
	struct rop *op = priv;
	const char *err = NULL;

	list_del(&op->link);
	if (!reply) {
		/* the context is going away: every pending command ends here */
		r->tearing = 1;
		if (!r->err[0])
			snprintf(r->err, sizeof(r->err), "%s", ac->err ? ac->errstr : "connection lost");
		err = r->err;
		set_up(0, r->err);
	}
	if (op->c)
		op->c->rop = NULL;
	op->cb(op->c, reply, err, op->arg);
	free(op);
	arm(r);
}

static void timeout_cb(struct ev_timer *t)
{
	struct rconn *r = t->ctx;
	struct rop *op;

	if (list_empty(&r->ops) || !r->ac)
		return;
	op = list_entry(r->ops.next, struct rop, link);
	if (op->deadline_ms > now_ms) {
		arm(r);
		return;
	}
	snprintf(r->err, sizeof(r->err), "no answer within %u ms", app_cfg.redis_timeout_ms);
	set_up(0, r->err);
	/* fails every pending command through reply_cb, then cleanup */
	redisAsyncFree(r->ac);
}

int redis_submit(struct conn *c, rop_cb cb, void *arg, int argc, const char *const *argv,
		 const size_t *lens)
{
	struct rconn *r = rc;
	struct rop *op;

	if (!r)
		return -1;
	if (r->tearing)
		return -1;
	if (!r->ac && rconn_connect(r) < 0)
		return -1;
	op = calloc(1, sizeof(*op));
	if (!op) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -1;
	}
	op->c = c;
	op->cb = cb;
	op->arg = arg;
	op->deadline_ms = now_ms + app_cfg.redis_timeout_ms;
	if (redisAsyncCommandArgv(r->ac, reply_cb, op, argc, (const char **)argv, lens) != REDIS_OK) {
		snprintf(r->err, sizeof(r->err), "cannot send the command");
		free(op);
		return -1;
	}
	list_add_tail(&r->ops, &op->link);
	c->rop = op;
	if (r->ops.next == &op->link)
		arm(r);
	return 0;
}

void redis_detach(struct conn *c)
{
	if (c->rop) {
		c->rop->c = NULL;
		c->rop = NULL;
	}
}

int redis_thread_init(struct loop *l)
{
	if (!app_cfg.redis_host[0])
		return 0;
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -1;
	rc->l = l;
	rc->io.fd = -1;
	list_init(&rc->ops);
	ev_timer_init(&rc->tmr, timeout_cb, rc);
	/* "not known yet": the first result, up or down, is logged */
	__atomic_compare_exchange_n(&g_up, &(int){ -1 }, 2, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	/* connect now, so the state is known before the first request */
	rconn_connect(rc);
	return 0;
}

void redis_thread_free(void)
{
	if (!rc)
		return;
	if (rc->ac)
		redisAsyncFree(rc->ac);   /* pending commands fail (their clients are gone) */
	loop_timer_del(rc->l, &rc->tmr);
	free(rc);
	rc = NULL;
}
