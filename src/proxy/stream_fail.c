/* How a request ends early: a generated error (stream_error), or a failure
 * on its server that may be retried (srv_failure, the one "next upstream"
 * path, as nginx has), and the backend accounting of requests in flight and
 * retries that the retry budget reads. */
#include <stdlib.h>
#include <string.h>
#include <tandem/buf.h>
#include <tandem/check.h>
#include <tandem/errors.h>
#include <tandem/h1.h>
#include <tandem/lb.h>
#include <tandem/srv_state.h>
#include <tandem/server.h>
#include <tandem/srv_admin.h>
#include <tandem/sample-t.h>
#include "stream_int.h"

/* Answer <status> ourselves and close, unless the response already started,
 * in which case all we can do is cut the connection. <status> <= 0: cut
 * without an answer. */
void stream_error(struct stream *s, int status, char who, char when)
{
	const char *msg;
	size_t len;

	set_term(s, who, when);
	release_server_slot(s);
	drop_server_conn(s);
	if (s->be)
		req_done_accounting(s);
	/* a TCP stream has no page to show: closed, as HAProxy does */
	if (sf(s, SF_RSP_STARTED) || status <= 0 || !sf(s, SF_HTTP)) {
		if (s->status < 0 && sf(s, SF_HTTP))
			s->status = status > 0 ? status : -1;
		count_response(s);
		stream_log(s);
		stream_close(s);
		return;
	}
	s->cli_out.data = 0;
	s->cli_out.head = 0;
	if (s->gen_free)
		free((void *)s->gen);
	s->gen = NULL;
	s->gen_len = s->gen_off = 0;
	s->gen_free = 0;
	/* the proxy's own page (errorfile, http-error) and its
	 * http-after-response rules, when it has them */
	if (strm_rules_on(s) && buf_alloc(&s->cli_out, G->tune_bufsize) == 0 &&
	    rx_error_page(s, status, &s->cli_out) == 0) {
		s->bytes_out = s->cli_out.data;
		goto sent;
	}
	s->cli_out.data = s->cli_out.head = 0;
	msg = http_error_msg(status, &len);
	if (s->meth == H1_M_HEAD) {
		/* an answer to HEAD has a head only (its length says the body's) */
		const char *end = memmem(msg, len, "\r\n\r\n", 4);
		if (end)
			len = (size_t)(end + 4 - msg);
	}
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
sent:
	s->flags &= ~SF_CLI_KA;
	count_response(s);
	stream_log(s);
	s->exp_cli = after(s->fe->to.client ? s->fe->to.client : 5000);
	s->exp_srv = s->exp_req = 0;
	s->state = ST_CLOSING;
}

/* The request now occupies its backend (HAProxy's beconn: from the moment
 * it is handed to the backend, queued or not, until it ends): the
 * backend's current sessions, read by be_conn, the stats' scur and %bc. */
void be_sess_enter(struct stream *s)
{
	struct counters *c = s->be ? s->be->be_ctr : NULL;

	if (!c || sf(s, SF_BE_COUNTED))
		return;
	CTR_GADD(c->cur_sess, 1);
	CTR_MAX(c->max_sess, CTR_GET(c->cur_sess));
	s->flags |= SF_BE_COUNTED;
}

/* The request stops occupying its backend (it ended, failed or moved on). */
void req_done_accounting(struct stream *s)
{
	if (sf(s, SF_BE_COUNTED)) {
		CTR_GSUB(s->be->be_ctr->cur_sess, 1);
		s->flags &= ~SF_BE_COUNTED;
	}
	if (sf(s, SF_INFLIGHT)) {
		__atomic_fetch_sub(&s->be->req_inflight, 1, __ATOMIC_RELAXED);
		s->flags &= ~SF_INFLIGHT;
	}
	if (sf(s, SF_IN_RETRY)) {
		__atomic_fetch_sub(&s->be->retries_inflight, 1, __ATOMIC_RELAXED);
		s->flags &= ~SF_IN_RETRY;
	}
}

/* Is <s>'s server gone for good for the request waiting on it: marked DOWN
 * by its checks (active or passive) or put in maintenance? A draining
 * server is not: draining means "finish what you have". */
static int srv_gone(const struct server *sv)
{
	return __atomic_load_n(&sv->state, __ATOMIC_RELAXED) == SRV_ST_STOPPED ||
	       (__atomic_load_n(&sv->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT);
}

/* May the current request be sent again after a failure of kind <k>?
 *  - never once response bytes reached the client, or once request body
 *    bytes that were sent had to be dropped from the buffer;
 *  - within `retries`, and for the condition listed in `retry-on` (a broken
 *    reused connection is always a candidate: the server closed it first);
 *  - a request that is not idempotent (RFC 9110 9.2.2) only when none of it
 *    reached a server (connection failure), unless it has an Idempotency-Key;
 *  - response-level retries within the backend's retry budget, unless
 *    the server has been marked DOWN or put in maintenance meanwhile (the
 *    budget stops retry storms against overloaded servers; a server its
 *    checks declared DOWN is not one of those, see stream_srv_gone()). */
int may_retry(struct stream *s, enum fail_kind k)
{
	static const uint32_t cond[] = {
		[FAIL_CONN] = RETRY_CONN_FAILURE, [FAIL_REUSED] = 0,
		[FAIL_EMPTY] = RETRY_EMPTY_RESP, [FAIL_JUNK] = RETRY_JUNK_RESP,
		[FAIL_TIMEOUT] = RETRY_RESP_TIMEOUT, [FAIL_STATUS] = RETRY_STATUS,
	};
	struct proxy *be = s->be;

	if (sf(s, SF_RSP_STARTED | SF_REPLAY_LOST) || s->retries >= be->retries)
		return 0;
	/* http-request disable-l7-retry: only a failed connection is retried */
	if (k != FAIL_CONN && s->txn && s->txn->no_l7_retry)
		return 0;
	if (k != FAIL_REUSED && !(be->retry_on & cond[k]))
		return 0;
	if (k != FAIL_CONN && !h1_method_idempotent(s->meth) && !sf(s, SF_IDEM_KEY))
		return 0;
	if (k != FAIL_CONN && k != FAIL_REUSED && !sf(s, SF_IN_RETRY) && !(s->srv && srv_gone(s->srv))) {
		int inflight = __atomic_load_n(&be->req_inflight, __ATOMIC_RELAXED);
		int allowed = MAX(3, be->retry_budget * inflight / 100);

		if (__atomic_load_n(&be->retries_inflight, __ATOMIC_RELAXED) >= allowed)
			return 0;
		__atomic_fetch_add(&be->retries_inflight, 1, __ATOMIC_RELAXED);
		s->flags |= SF_IN_RETRY;
	}
	return 1;
}

/* Send the request again (to the same server or, s->srv being NULL, to
 * the one the balancer picks): the kept request body goes out again from
 * its start and the response starts over. */
static void replay(struct stream *s)
{
	s->req.fwd += s->req.kept;
	s->req.kept = 0;
	s->req.sent = 0;
	memset(&s->rsp, 0, sizeof(s->rsp));
	s->status = -1;
	s->srv_out_sent = 0;
	s->t_conn_us = 0;
	s->exp_srv = 0;
	s->state = ST_CONNECT;
}

/* The request could not be served by the current server: retry (maybe on
 * another server) when allowed, else answer <status>. Returns 1 (the state
 * changed). */
int srv_failure(struct stream *s, int status, char who, char when, enum fail_kind k)
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
		 * failed server is no longer usable (marked down meanwhile)
		 * or is full. */
		if (be->options & PR_O_REDISPATCH) {
			int n = be->redispatch ? be->redispatch : -1;
			int redisp = n > 0 ? (s->retries % n) == 0 : s->retries > be->retries + n;

			/* a server forced by use-server + force-persist is
			 * not left for being DOWN: that is why it was forced */
			if (redisp || (s->srv && !sf(s, SF_FORCE_SRV) && (!srv_usable(s->srv) || srv_full(s->srv)))) {
				s->prev_srv = s->srv;
				s->srv = NULL;
				s->flags |= SF_REDISPATCHED;
				CTR_ADD(be->be_ctr->redispatches, 1);
			}
		}
		replay(s);
		return 1;
	}
	stream_error(s, status, who, when);
	return 1;
}

/* `option abortonclose`: a client that left while its request was still
 * waiting for a server gets nothing sent on its behalf. */
int client_gone(struct stream *s)
{
	if (!((s->fe->options | s->be->options) & PR_O_ABORTONCLOSE))
		return 0;
	if (!(s->cli->flags & (CF_EOF | CF_ERROR | CF_RDHUP)))
		return 0;
	CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
	stream_error(s, 0, 'C', s->state == ST_QUEUE ? 'Q' : 'C');
	return 1;
}

/* May the request be sent to another server now, its server being gone?
 * Nothing of the response reached the client, the request can be replayed
 * whole (body still kept), and it is idempotent (or carries an
 * Idempotency-Key), or none of it reached the server yet. */
static int safe_to_move(const struct stream *s)
{
	if (sf(s, SF_RSP_STARTED | SF_REPLAY_LOST) || s->rsp.phase != MSG_HEAD)
		return 0;
	if (h1_method_idempotent(s->meth) || sf(s, SF_IDEM_KEY))
		return 1;
	return !s->srv_out_sent && !s->req.sent;
}

/* Does <be> have a usable server other than <sv> to send a request to? */
static int other_server(const struct proxy *be, const struct server *sv)
{
	const struct list *l;

	for (l = be->servers.next; l != &be->servers; l = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE)) {
		const struct server *o = list_entry(l, struct server, link);

		if (o != sv && srv_usable(o))
			return 1;
	}
	return 0;
}

int stream_srv_gone(struct stream *s)
{
	struct server *sv = s->srv;
	struct proxy *be = s->be;

	if (!sv || (s->state != ST_CONNECT && s->state != ST_XFER) || !srv_gone(sv) || !safe_to_move(s) ||
	    sf(s, SF_FORCE_SRV))
		return 0;
	/* with nowhere else to go, waiting on it is still the best chance */
	if (!other_server(be, sv))
		return 0;
	/* Re-dispatched, not retried: outside `retries` and the retry budget
	 * (the budget stops retry storms against overloaded servers, and a
	 * server its checks declared DOWN is not one of those), but counted
	 * with the retries and redispatches. Its connection is closed. */
	s->retries++;
	CTR_ADD(be->be_ctr->retries, 1);
	CTR_ADD(sv->ctr->retries, 1);
	CTR_ADD(be->be_ctr->redispatches, 1);
	release_server_slot(s);
	drop_server_conn(s);
	s->prev_srv = sv;
	s->srv = NULL;
	s->flags |= SF_REDISPATCHED;
	replay(s);
	return 1;
}
