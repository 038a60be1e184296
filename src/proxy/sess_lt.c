/* The client connection's part of the long tail (issue 18), called by
 * the session (sess.c):
 *  - at the accept: tune.rcvbuf.client / tune.sndbuf.client, the
 *    listener's own counters (`option socket-stats`);
 *  - `bind ... accept-proxy`: the PROXY protocol header (v1 or v2, the
 *    parser is src/net/proxy_proto.c) comes before anything else, a TLS
 *    handshake included, within `timeout client`. Its addresses become the
 *    connection's (`src`, `dst`, logs, balance source, X-Forwarded-For),
 *    as HAProxy's do. The header is peeked at and only its own bytes are
 *    consumed, so what follows (a request, a TLS ClientHello) stays in the
 *    socket for whoever reads next. A header that is missing, malformed or
 *    late closes the connection: logged with HAProxy's words ("fe/1:
 *    Received something which does not look like a PROXY protocol
 *    header") and counted as a request error of the frontend and of the
 *    listener (a connection that sent nothing is only logged). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/conn.h>
#include <tandem/httplog.h>
#include <tandem/proxy_proto.h>
#include <tandem/sess.h>
#include "stream_int.h"

int sess_lt_accept(struct sess *ss, int fd)
{
	struct counters *lc = sess_li_ctr(ss);

	if (G->tune_rcvbuf_cli)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &G->tune_rcvbuf_cli, sizeof(int));
	if (G->tune_sndbuf_cli)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &G->tune_sndbuf_cli, sizeof(int));
	if (lc) {
		CTR_ADD(lc->cum_sess, 1);
		CTR_GADD(lc->cur_sess, 1);
		CTR_MAX(lc->max_sess, CTR_GET(lc->cur_sess));
	}
	return 0;
}

int sess_lt_expect_proxy(struct sess *ss)
{
	/* the bind's accept-proxy, or an expect-proxy rule that set ppw */
	if (!ss->ppw && (!ss->bind || !ss->bind->accept_proxy))
		return 0;
	ss->ppw = 1;
	sess_idle(ss, after(ss->fe->to.client));   /* HAProxy bounds it with `timeout client` */
	sess_pp_read(ss);   /* it may be there already */
	return 1;
}

void sess_lt_close(struct sess *ss)
{
	struct counters *lc = sess_li_ctr(ss);

	if (lc)
		CTR_GSUB(lc->cur_sess, 1);
	free(ss->pp);
	ss->pp = NULL;
}

/* "127.0.0.1:40000 [02/Dec/2026:10:00:00.123] fe/1: Received an invalid
 * PROXY protocol header" (HAProxy's embryonic session log: the bind's name,
 * else its number), counted as a request error unless the client closed
 * without sending anything (a port probe: not logged with dontlognull
 * either); then closed. */
static void pp_failed(struct sess *ss, int err, int got_bytes)
{
	struct sockaddr_storage addr;
	char bname[128];
	struct counters *lc = sess_li_ctr(ss);
	int probe = !got_bytes && (err == PP_ERR_EMPTY || err == PP_ERR_ABORT);

	ss->cli.err_code = (uint8_t)pp_co_err(err);   /* fc_err, for error-log-format */
	if (!probe) {
		CTR_ADD(ss->fe->fe_ctr->failed_req, 1);
		if (lc)
			CTR_ADD(lc->failed_req, 1);
	}
	if (sess_log_conn_error(ss, "PR", probe)) {
		sess_close(ss);
		return;
	}
	if (ss->bind->name)
		snprintf(bname, sizeof(bname), "%s", ss->bind->name);
	else
		snprintf(bname, sizeof(bname), "%d", ss->bind->luid);
	memset(&addr, 0, sizeof(addr));
	memcpy(&addr, &ss->addr, sizeof(ss->addr));
	httplog_emit_conn_error(G, ss->fe, &addr, clock_wall_us() - (now_us - ss->t_accept_us), bname,
				pp_strerror(err), probe);
	sess_close(ss);
}

/* What the header said, into the session. */
static void pp_apply(struct sess *ss, const struct pp_info *in)
{
	struct sess_pp *p;

	if (!in->local) {
		if (in->src.ss_family == AF_INET6)
			memcpy(&ss->addr.in6, &in->src, sizeof(ss->addr.in6));
		else
			memcpy(&ss->addr.in, &in->src, sizeof(ss->addr.in));
	}
	if (in->local && in->authority_len < 0 && in->unique_id_len < 0)
		return;   /* nothing to keep: the connection's own addresses */
	if (!(p = calloc(1, sizeof(*p))))
		return;   /* the addresses are kept; only the TLVs are lost */
	if (!in->local) {
		p->dst = in->dst;
		p->dst_set = 1;
	}
	if ((p->authority_len = in->authority_len) >= 0)
		memcpy(p->authority, in->authority, (size_t)in->authority_len + 1);
	if ((p->unique_id_len = in->unique_id_len) >= 0)
		memcpy(p->unique_id, in->unique_id, (size_t)in->unique_id_len + 1);
	ss->pp = p;
}

void sess_pp_read(struct sess *ss)
{
	static __thread char *pk;   /* one peek buffer per thread, tune.bufsize */
	size_t cap = G->tune_bufsize;
	struct pp_info info;
	ssize_t n;
	int r;

	if (!pk && !(pk = malloc(cap))) {
		pp_failed(ss, PP_ERR_ABORT, 0);
		return;
	}
	do
		n = recv(ss->cli.io.fd, pk, cap, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			pp_failed(ss, PP_ERR_ABORT, 0);
		return;   /* the next bytes bring a new event */
	}
	if (n == 0) {   /* closed: before anything, or in the middle of the header */
		pp_failed(ss, PP_ERR_EMPTY, 0);
		return;
	}
	r = pp_parse(pk, (size_t)n, &info);
	if (r == 0 && (size_t)n >= cap)
		r = PP_ERR_BAD_HDR;   /* longer than a buffer: HAProxy's bound too */
	if (r < 0) {
		pp_failed(ss, r, 1);
		return;
	}
	if (r == 0) {
		if (ss->cli.flags & CF_RDHUP)   /* the client closed in the middle of it */
			pp_failed(ss, PP_ERR_TRUNCATED, 1);
		return;   /* more bytes to come, within the deadline */
	}
	/* consume exactly the header: what follows is the client's own traffic */
	do
		n = recv(ss->cli.io.fd, pk, (size_t)r, 0);
	while (n < 0 && errno == EINTR);
	if (n != r) {
		pp_failed(ss, PP_ERR_ABORT, 1);
		return;
	}
	pp_apply(ss, &info);
	ss->ppw = 0;
	sess_idle(ss, 0);
	sess_ready(ss);
}

void sess_pp_timeout(struct sess *ss)
{
	char c;
	ssize_t n = recv(ss->cli.io.fd, &c, 1, MSG_PEEK);

	pp_failed(ss, PP_ERR_TIMEOUT, n > 0);
}
