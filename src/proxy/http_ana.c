/* HTTP analysis: what a parsed request head asks for (framing, keep-alive,
 * a service or a backend, the head for the server) and what a response
 * head means (interim, tunnel, framing, keep-alive, the head for the
 * client). These are the fixed points where request and response rules
 * run (HAProxy's analysers). The heads are parsed in place into the
 * thread's scratch h1_msg and rewritten at once: nothing here keeps them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/buf.h>
#include <tandem/check.h>
#include <tandem/conn.h>
#include <tandem/errors.h>
#include <tandem/h1.h>
#include <tandem/server.h>
#include <tandem/service.h>
#include <tandem/stream.h>
#include "stream_int.h"

__thread struct h1_msg strm_scratch_msg;

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

/* Must the request whose head is at the start of the client buffer wait for
 * its body before it is analysed? Yes for a service that reads forms, while
 * the announced body fits in the buffer with the head and is not all there. */
int http_wants_body_first(const struct stream *s, const struct h1_msg *m, size_t head_len)
{
	const struct service *svc;

	if (!(m->flags & H1_F_HAS_CL) || !m->content_length ||
	    m->content_length > s->cli->in.size - head_len ||
	    s->cli->in.data - head_len >= m->content_length)
		return 0;
	svc = service_match(s->fe, m->uri.p, m->uri.len);
	return svc && (svc->flags & SVC_F_BODY);
}

/* Let <svc> answer the request: build its reply into the client buffer and
 * the generated body, then the stream sends them (ST_APPLET). A request
 * body that came with the head is consumed with it whatever the answer;
 * one that did not is never read: the connection closes after the answer,
 * so no body is ever parsed as the client's next request. */
static void serve_service(struct stream *s, const struct service *svc, const struct h1_msg *m)
{
	struct svc_req rq = { .cfg = worker.cfg, .px = s->fe, .msg = m };
	struct svc_reply rep;

	s->be = s->fe;
	s->svc = svc;
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0) {
		stream_error(s, 500, 'R', 'R');
		return;
	}
	if (s->req.mode == BM_CL && s->req.remain <= s->cli->in.data - m->head_len) {
		rq.body = buf_ptr(&s->cli->in) + m->head_len;
		rq.body_len = (size_t)s->req.remain;
		s->req.extra = rq.body_len;
		s->req.remain = 0;
		s->req.phase = MSG_DONE;
	} else if (s->req.mode != BM_NONE) {
		rq.body_unread = 1;
		s->flags &= ~SF_CLI_KA;
	}
	memset(&rep, 0, sizeof(rep));
	rep.status = 200;
	if (svc->serve(&rq, &rep) < 0) {
		stream_error(s, 500, 'R', 'R');
		return;
	}
	buf_appendf(&s->cli_out, "HTTP/1.1 %d %s\r\ncontent-length: %zu\r\n"
		    "cache-control: no-cache\r\ncontent-type: %s\r\n%.*s%s\r\n",
		    rep.status, http_reason(rep.status), rep.len, rep.ctype ? rep.ctype : "text/plain",
		    (int)rep.hlen, rep.hdrs, sf(s, SF_CLI_KA) ? "" : "connection: close\r\n");
	s->status = rep.status;
	if (m->meth == H1_M_HEAD) {
		/* the head says how long the body would be; none follows */
		if (rep.body_owned)
			free((void *)rep.body);
		rep.body = NULL;
		rep.len = 0;
		rep.body_owned = 0;
	}
	s->gen = rep.body;
	s->gen_len = rep.len;
	s->gen_free = rep.body_owned;
	s->gen_off = 0;
	s->bytes_out = s->cli_out.data + s->gen_len;
	s->exp_cli = 0;
	s->state = ST_APPLET;
}

/* A complete request head is at the start of cli.in: decide everything
 * about this request, build the server-side head, and move on. */
void http_analyze_request(struct stream *s, struct h1_msg *m)
{
	struct proxy *fe = s->fe;
	const struct service *svc;

	s->t_head_us = now_us;
	s->sess->nreq++;
	s->bytes_in += m->head_len;
	s->meth = m->meth;
	s->req_ver = m->version;
	keep_reqline(s, m);
	CTR_ADD(fe->fe_ctr->cum_req, 1);
	if (!(m->flags & H1_F_CONN_CLOSE) &&
	    (m->version == 11 || (m->flags & H1_F_CONN_KA)) &&
	    !((fe->options | (fe->defbe ? fe->defbe->options : 0)) & PR_O_HTTPCLOSE) &&
	    !worker.stopping)
		s->flags |= SF_CLI_KA;
	else
		s->flags &= ~SF_CLI_KA;
	s->req.phase = MSG_BODY;
	if (m->flags & H1_F_CHUNKED) {
		s->req.mode = BM_CHUNKED;
		h1_chunk_init(&s->req.ck);
	} else if ((m->flags & H1_F_HAS_CL) && m->content_length) {
		s->req.mode = BM_CL;
		s->req.remain = m->content_length;
	} else {
		s->req.mode = BM_NONE;
		s->req.phase = MSG_DONE;
	}
	s->exp_req = 0;
	s->exp_cli = 0;

	if (G->tune_max_body && (m->flags & H1_F_HAS_CL) && m->content_length > G->tune_max_body) {
		buf_consume(&s->cli->in, m->head_len);
		stream_error(s, 413, 'P', 'R');
		return;
	}
	if ((svc = service_match(fe, m->uri.p, m->uri.len))) {
		serve_service(s, svc, m);
		buf_consume(&s->cli->in, m->head_len + s->req.extra);
		return;
	}
	s->be = fe->defbe;
	if (!s->be) {
		buf_consume(&s->cli->in, m->head_len);
		stream_error(s, 503, 'S', 'C');
		return;
	}
	CTR_ADD(s->be->be_ctr->cum_req, 1);
	__atomic_fetch_add(&s->be->req_inflight, 1, __ATOMIC_RELAXED);
	s->flags |= SF_INFLIGHT;
	if (h1_find_hdr(m, "idempotency-key"))
		s->flags |= SF_IDEM_KEY;
	if ((m->flags & H1_F_EXPECT_100) && m->version == 11 && s->req.mode != BM_NONE) {
		/* Ask for the body ourselves (as nginx does): the server never
		 * sees Expect, so a retry to another server stays possible. */
		s->flags |= SF_EXPECT100;
		buf_alloc(&s->cli_out, G->tune_bufsize);
		buf_append(&s->cli_out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
	if ((m->flags & H1_F_UPGRADE) && (m->flags & H1_F_CONN_UPGRADE))
		s->flags |= SF_UPGRADE;
	if (buf_alloc(&s->srv_out, G->tune_bufsize) < 0 ||
	    http_build_req_head(s, m, &s->srv_out) < 0) {
		buf_consume(&s->cli->in, m->head_len);
		stream_error(s, 400, 'P', 'R');
		return;
	}
	buf_consume(&s->cli->in, m->head_len);
	s->state = ST_CONNECT;
}

/* An interim (1xx) head from the server. 100 is ours to send (we answered
 * Expect ourselves) or unasked: dropped. 101 switches to a tunnel when the
 * client asked to upgrade, else it is a broken answer. The others pass
 * whole: built into the client buffer only when they fit, so they are never
 * cut or glued to what follows. Returns 1 when consumed, 0 when the client
 * must first take what is pending. */
static int interim_response(struct stream *s, struct h1_msg *m)
{
	if (m->status == 101) {
		if (!sf(s, SF_UPGRADE))
			return srv_failure(s, 502, 'P', 'H', FAIL_JUNK), 1;
		buf_consume(&s->sc->in, m->head_len);
		s->status = 101;
		s->t_rsp_us = now_us;
		s->flags &= ~SF_CLI_KA;
		if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0 ||
		    http_build_rsp_head(s, m, &s->cli_out) < 0)
			return srv_failure(s, 502, 'P', 'H', FAIL_JUNK), 1;
		s->rsp.phase = MSG_DONE;
		s->flags |= SF_RSP_STARTED;
		s->state = ST_TUNNEL;
		s->exp_cli = s->exp_srv = 0;
		return 1;
	}
	if (m->status != 100) {
		size_t mark = s->cli_out.data;

		if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0)
			return 0;
		if (http_build_rsp_head(s, m, &s->cli_out) < 0) {
			s->cli_out.data = mark;
			if (!mark)  /* cannot fit even alone: a broken server */
				return srv_failure(s, 502, 'P', 'H', FAIL_JUNK), 1;
			return 0;
		}
		/* the client saw this server's answer begin: no retry now */
		s->flags |= SF_RSP_STARTED;
		s->bytes_out += s->cli_out.data - mark;
	}
	buf_consume(&s->sc->in, m->head_len);
	return 1;
}

/* A 2xx to CONNECT: a tunnel for this client alone (HAProxy's choice; RFC
 * 9110 9.3.6), bytes both ways until either side closes. Its server
 * connection ends with the tunnel, never in a pool. */
static int connect_established(struct stream *s, struct h1_msg *m)
{
	s->flags &= ~SF_SRV_KA;
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0 ||
	    http_build_rsp_head(s, m, &s->cli_out) < 0) {
		buf_consume(&s->sc->in, m->head_len);
		return srv_failure(s, 502, 'P', 'H', FAIL_JUNK), 1;
	}
	buf_consume(&s->sc->in, m->head_len);
	s->flags &= ~SF_CLI_KA;
	s->flags |= SF_RSP_STARTED;
	s->bytes_out += s->cli_out.data;
	s->rsp.phase = MSG_DONE;
	s->state = ST_TUNNEL;
	s->exp_cli = s->exp_srv = 0;
	return 1;
}

/* A response head was parsed at the start of sc->in: decide framing and
 * keep-alive, build the client head. Returns 1 when the head was consumed
 * (or the request failed over), 0 when it must wait for the client to take
 * what is already pending. */
int http_analyze_response(struct stream *s, struct h1_msg *m)
{
	int ka;

	if (m->status < 200)
		return interim_response(s, m);
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
	if (s->meth == H1_M_CONNECT && m->status < 300)
		return connect_established(s, m);
	if (s->req.kept) {
		/* the server answered: no replay any more, free the room */
		buf_consume(&s->cli->in, s->req.kept);
		s->req.kept = 0;
	}
	s->rsp.phase = MSG_BODY;
	if (!h1_resp_has_body(s->meth, m->status)) {
		s->rsp.mode = BM_NONE;
		s->rsp.phase = MSG_DONE;
	} else if (m->flags & H1_F_CHUNKED) {
		s->rsp.mode = BM_CHUNKED;
		h1_chunk_init(&s->rsp.ck);
	} else if (m->flags & H1_F_HAS_CL) {
		s->rsp.mode = m->content_length ? BM_CL : BM_NONE;
		s->rsp.remain = m->content_length;
		if (!m->content_length)
			s->rsp.phase = MSG_DONE;
	} else {
		s->rsp.mode = BM_CLOSE;
	}
	ka = !(m->flags & H1_F_CONN_CLOSE) && (m->version == 11 || (m->flags & H1_F_CONN_KA)) &&
		s->rsp.mode != BM_CLOSE;
	/* http-server-close / httpclose: one request per server connection */
	if (ka && !((s->fe->options | s->be->options) & (PR_O_SRV_CLOSE | PR_O_HTTPCLOSE)))
		s->flags |= SF_SRV_KA;
	else
		s->flags &= ~SF_SRV_KA;
	if (s->rsp.mode == BM_CLOSE)
		s->flags &= ~SF_CLI_KA;  /* the client learns the end from our close */
	if (s->rsp.mode == BM_CHUNKED && s->req_ver == 10)
		s->flags &= ~SF_CLI_KA;
	if (s->req.phase != MSG_DONE)
		s->flags &= ~SF_CLI_KA;  /* early response: the rest of the request is not read */
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0 ||
	    http_build_rsp_head(s, m, &s->cli_out) < 0) {
		buf_consume(&s->sc->in, m->head_len);
		s->rsp.phase = MSG_HEAD;
		return srv_failure(s, 502, 'P', 'H', FAIL_JUNK);
	}
	s->bytes_out += s->cli_out.data;
	buf_consume(&s->sc->in, m->head_len);
	/* the head for the server is no longer needed for a retry */
	s->srv_out.data = s->srv_out.head = 0;
	return 1;
}
