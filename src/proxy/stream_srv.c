/* The server side of a stream, for the long tail of keywords (issue 18):
 *  - where a new server connection goes and from where: a server written
 *    without a port (or with "+N"/"-N") gets the port the client connected
 *    to (plus the offset); `source` binds the connection to a fixed
 *    address (port range, interface); tune.rcvbuf/sndbuf.server;
 *  - which server connections may not be shared with other clients (they
 *    carry this client's PROXY header, or go to its destination port);
 *  - the backend's queue and the servers' own queues (maxqueue; stats
 *    qcur, qmax);
 *  - `on-marked-down shutdown-sessions` and `on-marked-up
 *    shutdown-backup-sessions`: the streams of a server marked DOWN (or of
 *    the backup servers when an active one comes UP) are closed at once,
 *    logged with HAProxy's termination code 'D' (or 'U'). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/conn.h>
#include <tandem/log.h>
#include <tandem/server.h>
#include <tandem/sock.h>
#include <tandem/srv_state.h>
#include "stream_int.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static int port_of(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)a)->sin_port)
	     : a->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)a)->sin6_port) : 0;
}

int stream_connect_srv(struct stream *s, struct server *srv, struct sockaddr_storage *sa, socklen_t sl)
{
	const struct conn_src *src = (srv->src.addrlen || srv->src.iface[0]) ? &srv->src : &s->be->src;
	int fd;

	if (srv->port_map) {   /* HAProxy's mapped ports: the client's port, plus the offset */
		int port = port_of(stream_dst(s)) + srv->port_off;

		port &= 0xffff;
		if (sa->ss_family == AF_INET)
			((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
		else if (sa->ss_family == AF_INET6)
			((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
	}
	fd = sock_connect_from(sa, sl, &src->addr, src->addrlen, src->port_lo, src->port_hi, src->iface);
	if (fd >= 0) {
		if (G->tune_rcvbuf_srv)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &G->tune_rcvbuf_srv, sizeof(int));
		if (G->tune_sndbuf_srv)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &G->tune_sndbuf_srv, sizeof(int));
	}
	return fd;
}

int srv_conn_private(const struct server *srv)
{
	return srv && (srv->pp_opts || srv->port_map);
}

/* ---- the queues ----
 * HAProxy's two queues. A balanced request waits in its backend's queue
 * for any server with a free slot; a request tied to one server (a
 * cookie, a stick match, use-server: SF_SRV_CHOSEN; or its hash key, see
 * do_connect) whose server is at its maxconn, or already has requests
 * waiting, waits in that server's own queue, which `maxqueue` bounds:
 * when it is full, a chosen request is balanced instead with `option
 * redispatch` (not under force-persist), a hashed one and the others are
 * answered 503 (HAProxy's queue error: logged 'SQ', counted as a
 * connection error of the server). Both queues are the same thread lists (a stream's
 * qsrv says which): only the counts are per backend and per server (stats
 * qcur, qmax; the queue() fetch counts both). A server with requests in
 * its own queue takes no balanced request (srv_full) until they are
 * served, as HAProxy's balancers skip it. */

static void count_in(int *len, int *max)
{
	int n = __atomic_add_fetch(len, 1, __ATOMIC_RELAXED);
	int m = __atomic_load_n(max, __ATOMIC_RELAXED);

	while (n > m && !__atomic_compare_exchange_n(max, &m, n, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void stream_queue_enter(struct stream *s, struct server *srv)
{
	if (!s->queued) {
		s->qsrv = srv;
		if (srv)
			count_in(&srv->queue_len, &srv->queue_max);
		else
			count_in(&s->be->queue_len, &s->be->queue_max);
		__atomic_add_fetch(&s->be->nqueued, 1, __ATOMIC_RELAXED);
		s->queued = 1;
	}
}

void stream_queue_leave(struct stream *s)
{
	if (s->queued) {
		__atomic_fetch_sub(s->qsrv ? &s->qsrv->queue_len : &s->be->queue_len, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&s->be->nqueued, 1, __ATOMIC_RELAXED);
		s->queued = 0;
	}
	s->qsrv = NULL;
	list_del(&s->qlink);
}

int stream_srv_queue_full(const struct stream *s, const struct server *srv)
{
	if (!srv->maxconn || sf(s, SF_SRV_COUNTED | SF_SRV_DEQUEUED) || !sf(s, SF_SRV_CHOSEN) || s->retries)
		return 0;   /* balanced (the backend's queue), or a retry on its server */
	if (!LD(srv->queue_len) && LD(srv->cur_conns) < srv->maxconn)
		return 0;   /* a free slot and nobody waiting before it */
	return srv->maxqueue && LD(srv->queue_len) >= srv->maxqueue ? -1 : 1;
}

/* ---- on-marked-down / on-marked-up ---- */

static int gone(const struct server *sv)
{
	return LD(sv->state) == SRV_ST_STOPPED || (LD(sv->admin) & SRV_ADMF_MAINT);
}

/* Where the stream was when it was shut down (HAProxy's second letter). */
static char stage(const struct stream *s)
{
	switch (s->state) {
	case ST_QUEUE:   return 'Q';
	case ST_CONNECT: return 'C';
	case ST_XFER:    return (s->rsp.phase == MSG_HEAD && !sf(s, SF_RSP_STARTED)) ? 'H' : 'D';
	default:         return 'D';
	}
}

/* Close the idle connections this thread keeps for <sv>. */
static void drop_idle(struct server *sv)
{
	struct srv_thr *t;
	struct list *l, *n;

	if (!sv->thr)
		return;
	t = &sv->thr[this_thr->id];
	list_for_each_safe(l, n, &t->idle) {
		list_del(l);
		t->nidle--;
		conn_free_deferred(list_entry(l, struct conn, link));
	}
}

/* Should <s> be shut down now? 'D' (its server was marked DOWN or put in
 * maintenance, with shutdown-sessions), 'U' (it uses a backup server and
 * an active one with shutdown-backup-sessions came UP since), or 0. */
static char why_shut(const struct stream *s)
{
	const struct server *sv = s->srv;

	if (!sv || s->state == ST_CLOSED || s->state == ST_CLOSING || s->state == ST_REQ_WAIT)
		return 0;
	if (sv->on_marked_down && gone(sv))
		return 'D';
	if (sv->backup && LD(sv->be->bkp_kill_gen) != s->bkp_gen)
		return 'U';
	return 0;
}

void stream_srv_shutdown_scan(void)
{
	struct { const struct server *sv; int n; char why; } done[8];
	struct list *l, *n;
	int nd = 0, other = 0;

	list_for_each_safe(l, n, &this_thr->sessions) {
		struct stream *s = list_entry(l, struct sess, link)->strm;
		struct server *sv;
		char why;
		int i;

		if (!s)
			continue;   /* an idle client without server connection */
		sv = s->srv;
		why = why_shut(s);
		/* a private server connection an idle client keeps for later */
		if (!why && s->sc && s->sc->srv && s->sc->srv->on_marked_down && gone(s->sc->srv) &&
		    s->state == ST_REQ_WAIT)
			drop_server_conn(s);
		if (!why)
			continue;
		CTR_ADD(sv->ctr->srv_aborts, 1);
		CTR_ADD(s->be->be_ctr->srv_aborts, 1);
		for (i = 0; i < nd && (done[i].sv != sv || done[i].why != why); i++)
			;
		if (i < nd)
			done[i].n++;
		else if (nd < (int)(sizeof(done) / sizeof(done[0])))
			done[nd++] = (typeof(done[0])){ sv, 1, why };
		else
			other++;
		stream_error(s, 0, why, stage(s));
		if (s->state != ST_CLOSED)
			stream_close(s);
	}
	for (int i = 0; i < nd; i++) {
		if (done[i].why == 'D')
			drop_idle((struct server *)done[i].sv);
		log_event(LL_NOTICE, "%d session(s) on %s/%s shut down: %s.", done[i].n, done[i].sv->be->id,
			  done[i].sv->id, done[i].why == 'D' ? "the server is DOWN (on-marked-down shutdown-sessions)"
			  : "an active server is UP again (on-marked-up shutdown-backup-sessions)");
	}
	if (other)
		log_event(LL_NOTICE, "%d more session(s) shut down by on-marked-down or on-marked-up.", other);
}

void stream_srv_taken(struct stream *s)
{
	if (s->srv && s->srv->backup)
		s->bkp_gen = LD(s->be->bkp_kill_gen);
}
