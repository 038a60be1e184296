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
#include <tandem/action.h>
#include <tandem/h1.h>
#include <tandem/qsbr.h>
#include <tandem/rules.h>
#include <tandem/server.h>
#include <tandem/service.h>
#include <tandem/sock.h>
#include <tandem/stream.h>
#include <tandem/persist.h>
#include "stream_int.h"

static __thread struct h1_msg strm_scratch_msg;

struct h1_msg *strm_scratch(void)
{
	return &strm_scratch_msg;
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

/* Must the request whose head is at the start of the client buffer wait for
 * its body before it is analysed? Yes for a service that reads forms, while
 * the announced body fits in the buffer with the head and is not all there;
 * and after a `wait-for-body` rule, until the body (or the bytes it asked
 * for) came, the buffer is full, the client ended or the time is up: the
 * head is then analysed again, with its body. */
int http_wants_body_first(const struct stream *s, const struct h1_msg *m, size_t head_len)
{
	size_t avail = s->cli->in.data - head_len;
	const struct service *svc;

	if (sf(s, SF_WAIT_BODY)) {
		if (expired(s->exp_insp) || buf_full(&s->cli->in) || (s->cli->flags & (CF_EOF | CF_ERROR)))
			return 0;
		if (s->rwait.want_body && avail >= s->rwait.want_body)
			return 0;
		if (m->flags & H1_F_CHUNKED) {
			struct h1_chunk ck;

			h1_chunk_init(&ck);
			return h1_chunk_feed(&ck, buf_ptr(&s->cli->in) + head_len, avail) >= 0 && !ck.done;
		}
		return (m->flags & H1_F_HAS_CL) && avail < m->content_length;
	}
	if (!(m->flags & H1_F_HAS_CL) || !m->content_length ||
	    m->content_length > s->cli->in.size - head_len ||
	    avail >= m->content_length)
		return 0;
	svc = service_match(s->fe, m->uri.p, m->uri.len);
	return svc && (svc->flags & SVC_F_BODY);
}

/* The request body that came with the head is consumed with it, so the
 * connection can serve the next request after an answer tandem makes
 * itself; a body that did not come whole is never read: the connection
 * closes after the answer, so no body is ever parsed as the next request.
 * Returns 1 when the body (if any) was taken. */
static int take_body(struct stream *s, const struct h1_msg *m)
{
	if (s->req.mode == BM_NONE)
		return 1;
	if (s->req.mode == BM_CL && s->req.remain <= s->cli->in.data - m->head_len) {
		s->req.extra = (size_t)s->req.remain;
		s->req.remain = 0;
		s->req.phase = MSG_DONE;
		return 1;
	}
	s->flags &= ~SF_CLI_KA;
	return 0;
}

/* Let <svc> answer the request: build its reply into the client buffer and
 * the generated body, then the stream sends them (ST_APPLET). <c> is the
 * rules' context (NULL without rules): a service chosen by a rule answers
 * as a server would (http-response then http-after-response rules apply),
 * the stats page found by its URI gets http-after-response only (HAProxy
 * does the same). <auth_ok>: `stats http-request allow` matched. */
static void serve_service(struct stream *s, const struct service *svc, const struct h1_msg *m,
			  struct smp_ctx *c, struct proxy *px, int by_rule, int auth_ok)
{
	struct svc_req rq = { .cfg = worker.cfg, .px = px, .msg = m };
	struct svc_reply rep;

	s->be = px;
	s->flags |= SF_BE_SET;
	s->svc = svc;
	CTR_ADD(s->fe->fe_ctr->intercepted, 1);
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0) {
		stream_error(s, 500, 'R', 'R');
		return;
	}
	/* admin actions: `stats admin [if|unless COND]`, for authenticated
	 * users (stats auth, or stats http-request rules doing it) */
	rq.admin = (c && px->rules ? rules_stats_admin(px, c) : px->stats_admin) &&
		   (!list_empty(&px->stats_auths) || (px->rules && px->rules->stats_rules.n));
	rq.auth_ok = auth_ok;
	if (take_body(s, m)) {
		rq.body = buf_ptr(&s->cli->in) + m->head_len;
		rq.body_len = s->req.extra;
	} else {
		rq.body_unread = 1;
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
	if (c && rx_has_after(s, by_rule)) {
		int r = rx_after_service(s, &s->cli_out, m->meth == H1_M_HEAD);

		if (r != 0) {
			/* the rules failed: their 500 page replaces the answer */
			if (rep.body_owned)
				free((void *)rep.body);
			rep.body = NULL;
			rep.len = 0;
			rep.body_owned = 0;
			if (r < 0) {
				stream_error(s, 500, 'R', 'R');
				return;
			}
		}
	}
	s->gen = rep.body;
	s->gen_len = rep.len;
	s->gen_free = rep.body_owned;
	s->gen_off = 0;
	s->bytes_out = s->cli_out.data + s->gen_len;
	s->exp_cli = 0;
	s->state = ST_APPLET;
}

/* ---- request analysis ---------------------------------------------------- */

enum { ANA_GO = 0, ANA_DONE };   /* go on to a server / handled (answered, closed, waiting) */

/* Answer the request ourselves with <rp> / <status> (deny, return,
 * redirect, auth, monitor-uri): rendered now, while the request head is
 * there for its log-format parts, through http-after-response, and sent by
 * the applet state. The connection stays open when the body came whole,
 * as HAProxy does. <px> is the proxy whose rule answered. */
static int answer(struct stream *s, struct h1_msg *m, struct smp_ctx *c, const struct http_reply *rp,
		  int status, char who, struct proxy *px)
{
	s->be = px;
	s->flags |= SF_BE_SET;
	c->be = px;
	take_body(s, m);
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0 ||
	    rx_render(s, c, rp, status, sf(s, SF_CLI_KA), m->meth == H1_M_HEAD, 0, &s->cli_out) < 0) {
		s->cli_out.data = s->cli_out.head = 0;
		buf_consume(&s->cli->in, m->head_len + s->req.extra);
		CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
		stream_error(s, 500, 'I', 'R');
		return ANA_DONE;
	}
	set_term(s, who, 'R');
	s->bytes_out = s->cli_out.data;
	buf_consume(&s->cli->in, m->head_len + s->req.extra);
	s->exp_cli = 0;
	s->state = ST_APPLET;
	return ANA_DONE;
}

/* Close the client connection without an answer (reject), abruptly with
 * a reset for silent-drop. */
static int drop(struct stream *s, struct h1_msg *m, int rst)
{
	buf_consume(&s->cli->in, m ? m->head_len : s->cli->in.data);
	set_term(s, 'P', 'R');
	if (rst)
		sock_linger_reset(s->cli->io.fd);
	stream_log(s);
	stream_close(s);
	return ANA_DONE;
}

/* http-request tarpit: the answer is made now and held back for `timeout
 * tarpit` (else `timeout connect`) of the proxy whose rule matched. */
static int tarpit(struct stream *s, struct h1_msg *m, struct smp_ctx *c, const struct rule_result *res,
		  struct proxy *px)
{
	uint32_t to = px->to.tarpit ? px->to.tarpit : px->to.connect;

	answer(s, m, c, res->reply, res->status, 'P', px);
	if (s->state != ST_APPLET || !to)
		return ANA_DONE;
	s->term[1] = 'T';
	s->exp_insp = after(to);
	s->state = ST_TARPIT;
	return ANA_DONE;
}

/* A rule set of <px> decided <res> about the request <m>. */
static int req_verdict(struct stream *s, struct h1_msg *m, struct smp_ctx *c, const struct rule_result *res,
		       struct proxy *px)
{
	switch (res->verdict) {
	case RV_CONTINUE:
	case RV_ALLOW:
	case RV_SWITCH_HTTP:   /* already HTTP */
		return ANA_GO;
	case RV_DENY:
	case RV_TARPIT:
	case RV_REJECT:
	case RV_SILENT_DROP:
		CTR_ADD(s->fe->fe_ctr->denied_req, 1);
		if (px != s->fe)
			CTR_ADD(px->be_ctr->denied_req, 1);
		s->be = px;
		s->flags |= SF_BE_SET;
		if (res->verdict == RV_DENY)
			return answer(s, m, c, res->reply, res->status, 'P', px);
		if (res->verdict == RV_TARPIT)
			return tarpit(s, m, c, res, px);
		return drop(s, m, res->verdict == RV_SILENT_DROP);
	case RV_REPLY:
		CTR_ADD(s->fe->fe_ctr->intercepted, 1);
		/* an authentication request is the proxy's condition; a
		 * return or a redirect an answer made locally */
		return answer(s, m, c, res->reply, res->status,
			      res->reply && res->reply->type == REPLY_AUTH ? 'P' : 'L', px);
	case RV_SERVICE: {
		const struct service *svc = service_find(res->service);

		if (!svc)
			return answer(s, m, c, NULL, 500, 'I', px);
		serve_service(s, svc, m, c, px, 1, 0);
		buf_consume(&s->cli->in, m->head_len + s->req.extra);
		return ANA_DONE;
	}
	case RV_WAIT:
		/* wait-for-body: the head stays in the buffer; the whole
		 * analysis runs again once the body is there or the time is up */
		s->flags |= SF_WAIT_BODY;
		s->rwait = *res;
		if (!s->exp_insp)
			s->exp_insp = res->wait_ms ? after(res->wait_ms) : now_ms;
		return ANA_DONE;
	case RV_ERROR:
	default:
		CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
		if (px != s->fe)
			CTR_ADD(px->be_ctr->failed_rewrites, 1);
		return answer(s, m, c, NULL, 500, 'I', px);
	}
}

/* Run rule set <set> of <px> on the request and act on its verdict. */
static int req_set(struct stream *s, struct h1_msg *m, struct smp_ctx *c, struct proxy *px, int set)
{
	struct rule_result res = { 0 };

	if (!rules_has(px, set))
		return ANA_GO;
	rules_run(px, set, c, &res);
	return req_verdict(s, m, c, &res, px);
}

/* `stats uri` of <px>: the stats page answers, after `stats http-request`
 * rules (allow skips `stats auth`, deny answers 403, auth asks for
 * credentials). Returns ANA_GO when the request is not for it. */
static int stats_uri(struct stream *s, struct h1_msg *m, struct smp_ctx *c, struct proxy *px)
{
	const struct service *svc = service_match(px, m->uri.p, m->uri.len);
	int auth_ok = 0;

	if (!svc)
		return ANA_GO;
	if (c && px->rules && px->rules->stats_rules.n) {
		struct rule_result res = { 0 };

		c->phase = SMP_PH_HTTP_REQ;
		rule_list_run(&px->rules->stats_rules, c, &res);
		if (res.verdict == RV_ALLOW)
			auth_ok = 1;
		else if (res.verdict != RV_CONTINUE)
			return req_verdict(s, m, c, &res, px);
	}
	serve_service(s, svc, m, c, px, 0, auth_ok);
	buf_consume(&s->cli->in, m->head_len + s->req.extra);
	return ANA_DONE;
}

/* Server choice before the balancer (HAProxy's process_server_rules):
 * `use-server` (a server DOWN or in maintenance only when `force-persist`
 * matched: a management path reaches one node whatever its state), with
 * `force-persist` / `ignore-persist` deciding for the request. Persistence
 * (cookies, stick tables) chooses here too. */
static void choose_server(struct stream *s, struct h1_msg *m, struct smp_ctx *c)
{
	struct server *sv = NULL;
	int force = 0;

	if (!c || !s->be->rules)
		return;
	sv = rules_use_server(s->be, c, &force);
	if (sv) {
		s->srv = sv;
		s->flags |= SF_SRV_CHOSEN;
		if (force == 1)
			s->flags |= SF_FORCE_SRV;
	}
	/* persistence: the cookie, stick rules, the hash key (persist.c) */
	persist_req(s, m, c, force);
}

/* The request's rules, in HAProxy's order (its analysers):
 *   frontend  tcp-request content, monitor-uri, captures, http-request,
 *             stats uri, redirect;
 *   use_backend (default_backend when none matches);
 *   backend   tcp-request content, http-request, stats uri, redirect
 *             (when it is not the frontend itself);
 *   server    use-server, force-persist, ignore-persist;
 *   then      unique-id-header, early hints (103).
 * A stream that a TCP frontend's inspection switched to HTTP has its
 * backend already (SF_BE_SET): only the backend's part runs. */
static int req_rules(struct stream *s, struct h1_msg *m, struct smp_ctx *c)
{
	struct proxy *fe = s->fe, *be;
	int code;

	if (!c) {
		/* no rules anywhere: the frontend's own service, else the backend */
		if (stats_uri(s, m, NULL, fe))
			return ANA_DONE;
		if (!sf(s, SF_BE_SET)) {
			s->be = fe->defbe;
			s->flags |= SF_BE_SET;
		}
		return ANA_GO;
	}
	if (!sf(s, SF_BE_SET)) {
		if (!sf(s, SF_TCP_DONE) && req_set(s, m, c, fe, RSI_TCP_CONT))
			return ANA_DONE;
		persist_http_req(s);   /* the counters tracked so far count this request */
		if ((code = rules_monitor(fe, c))) {
			s->flags |= SF_NOLOG;
			CTR_ADD(fe->fe_ctr->intercepted, 1);
			return answer(s, m, c, NULL, code, 'L', fe);
		}
		rules_capture_req(fe, c);
		if (req_set(s, m, c, fe, RSI_HTTP_REQ) || stats_uri(s, m, c, fe))
			return ANA_DONE;
		be = rules_use_backend(worker.cfg, fe, c);
		s->be = be ? be : fe->defbe;
		s->flags |= SF_BE_SET;
		if (!s->be)
			return ANA_GO;   /* no backend: 503 */
		c->be = s->be;
	} else {
		persist_http_req(s);
		rules_capture_req(fe, c);
	}
	be = s->be;
	if (be != fe && (req_set(s, m, c, be, RSI_TCP_CONT) || req_set(s, m, c, be, RSI_HTTP_REQ) ||
			 stats_uri(s, m, c, be)))
		return ANA_DONE;
	choose_server(s, m, c);
	c->srv = s->srv;
	if (rules_unique_id_header(fe, c) < 0)
		CTR_ADD(fe->fe_ctr->failed_rewrites, 1);
	if (c->nhints && m->version == 11 && buf_alloc(&s->cli_out, G->tune_bufsize) == 0 &&
	    rules_early_hints(c, &s->cli_out) < 0)
		s->cli_out.data = s->cli_out.head = 0;
	return ANA_GO;
}

/* The request goes to a server: backend accounting, then the head for the
 * server from the (edited) message. */
static int forward_request(struct stream *s, struct h1_msg *m, struct smp_ctx *c)
{
	if (!s->be) {
		buf_consume(&s->cli->in, m->head_len);
		stream_error(s, 503, 'S', 'C');
		return ANA_DONE;
	}
	/* a rule may have asked for "Connection: close" */
	if (c && (m->flags & H1_F_CONN_CLOSE))
		s->flags &= ~SF_CLI_KA;
	CTR_ADD(s->be->be_ctr->cum_req, 1);
	__atomic_fetch_add(&s->be->req_inflight, 1, __ATOMIC_RELAXED);
	s->flags |= SF_INFLIGHT;
	be_sess_enter(s);
	if (h1_find_hdr(m, "idempotency-key"))
		s->flags |= SF_IDEM_KEY;
	if ((m->flags & H1_F_EXPECT_100) && m->version == 11 && s->req.mode != BM_NONE) {
		/* Ask for the body ourselves (as nginx does): the server never
		 * sees Expect, so a retry to another server stays possible. */
		s->flags |= SF_EXPECT100;
		if (buf_alloc(&s->cli_out, G->tune_bufsize) == 0)
			buf_append(&s->cli_out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
	if ((m->flags & H1_F_UPGRADE) && (m->flags & H1_F_CONN_UPGRADE))
		s->flags |= SF_UPGRADE;
	if (buf_alloc(&s->srv_out, G->tune_bufsize) < 0 ||
	    http_build_req_head(s, m, &s->srv_out) < 0) {
		buf_consume(&s->cli->in, m->head_len);
		stream_error(s, 400, 'P', 'R');
		return ANA_DONE;
	}
	buf_consume(&s->cli->in, m->head_len);
	s->state = ST_CONNECT;
	return ANA_GO;
}

/* A complete request head is at the start of cli.in: decide everything
 * about this request, build the server-side head, and move on. */
void http_analyze_request(struct stream *s, struct h1_msg *m)
{
	struct proxy *fe = s->fe;
	struct smp_ctx *c = NULL;
	int rules = strm_rules_on(s);
	int again = sf(s, SF_WAIT_BODY), ret;
	size_t avail = s->cli->in.data - m->head_len;

	if (!again) {
		s->t_head_us = now_us;
		s->sess->nreq++;
		s->bytes_in += m->head_len;
		keep_reqline(s, m);
		CTR_ADD(fe->fe_ctr->cum_req, 1);
	}
	s->flags &= ~SF_WAIT_BODY;
	s->exp_insp = 0;
	s->meth = m->meth;
	s->req_ver = m->version;
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
	if (rules) {
		/* what rules point to (map values, rewritten values) stays valid
		 * until the head for the server is written */
		qsbr_read_lock();
		if ((!sf(s, SF_TXN) && rx_txn_begin(s) < 0) || !(c = rx_ctx(s, m, NULL))) {
			qsbr_read_unlock();
			buf_consume(&s->cli->in, m->head_len);
			stream_error(s, 500, 'R', 'R');
			return;
		}
		rx_arena_reset();
		rx_set_req(m);
		c->body = buf_ptr(&s->cli->in) + m->head_len;
		c->body_len = s->req.mode == BM_CL && avail > s->req.remain ? (size_t)s->req.remain : avail;
		c->body_final = again || s->req.mode == BM_NONE ||
				(s->req.mode == BM_CL && avail >= s->req.remain) || buf_full(&s->cli->in);
	}
	ret = req_rules(s, m, c);
	if (ret == ANA_GO)
		ret = forward_request(s, m, c);
	if (rules) {
		rx_set_req(NULL);
		qsbr_read_unlock();
	}
	(void)ret;   /* waiting for a body (SF_WAIT_BODY): the head stays in the buffer */
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

/* ---- response analysis --------------------------------------------------- */

/* A response rule answered instead of the server (deny, return, redirect):
 * the server's response is dropped with its connection, the client gets
 * ours and keeps its connection when the request was read whole (as with
 * HAProxy). */
static int rsp_answer(struct stream *s, struct h1_msg *m, struct smp_ctx *c, const struct http_reply *rp,
		      int status, char who)
{
	buf_consume(&s->sc->in, m->head_len);
	release_server_slot(s);
	drop_server_conn(s);
	req_done_accounting(s);
	s->flags &= ~SF_SRV_KA;
	s->srv_out.data = s->srv_out.head = 0;
	if (s->req.phase != MSG_DONE)
		s->flags &= ~SF_CLI_KA;  /* the rest of the request is not read */
	c->rsp = NULL;
	if (buf_alloc(&s->cli_out, G->tune_bufsize) < 0 ||
	    rx_render(s, c, rp, status, sf(s, SF_CLI_KA), s->meth == H1_M_HEAD, 0, &s->cli_out) < 0) {
		CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
		stream_error(s, 500, 'I', 'H');
		return ANA_DONE;
	}
	set_term(s, who, 'H');
	s->bytes_out += s->cli_out.data;
	s->gen = NULL;
	s->exp_cli = s->exp_srv = 0;
	s->state = ST_APPLET;
	return ANA_DONE;
}

/* A response rule set decided <res> (<px> the proxy whose rule it was). */
static int rsp_verdict(struct stream *s, struct h1_msg *m, struct smp_ctx *c, const struct rule_result *res,
		       const struct proxy *px)
{
	switch (res->verdict) {
	case RV_CONTINUE:
	case RV_ALLOW:
		return ANA_GO;
	case RV_CLOSE:
		/* tcp-response content close: no more requests on this server connection */
		s->flags &= ~SF_SRV_KA;
		m->flags |= H1_F_CONN_CLOSE;
		return ANA_GO;
	case RV_DENY:
	case RV_REJECT:
	case RV_SILENT_DROP:
		CTR_ADD(s->fe->fe_ctr->denied_resp, 1);
		if (s->be != s->fe)
			CTR_ADD(s->be->be_ctr->denied_resp, 1);
		if (s->srv)
			CTR_ADD(s->srv->ctr->denied_resp, 1);
		if (res->verdict == RV_DENY)
			return rsp_answer(s, m, c, res->reply, res->status, 'P');
		buf_consume(&s->sc->in, m->head_len);
		set_term(s, 'P', 'H');
		if (res->verdict == RV_SILENT_DROP)
			sock_linger_reset(s->cli->io.fd);
		stream_error(s, 0, 'P', 'H');
		return ANA_DONE;
	case RV_REPLY:
		return rsp_answer(s, m, c, res->reply, res->status, 'L');
	case RV_ERROR:
	default:
		(void)px;
		CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
		return rsp_answer(s, m, c, NULL, 500, 'I');
	}
}

/* The response's rules, in HAProxy's order: captures, tcp-response content
 * (HTTP mode), http-response of the backend then of the frontend,
 * http-after-response the same. The head is edited in place; a rule may
 * answer instead (rsp_answer). */
static int rsp_rules(struct stream *s, struct h1_msg *m)
{
	struct smp_ctx *c = rx_ctx(s, NULL, m);
	struct rule_result res;
	const struct proxy *px;
	uint32_t close_before = m->flags & H1_F_CONN_CLOSE;

	if (!c)
		return ANA_GO;
	rx_arena_reset();
	persist_rsp_store(s, m, c);   /* stick store-response, then the stores */
	rules_capture_rsp(s->fe, c);
	if (!sf(s, SF_TCPRES_DONE)) {
		px = rx_rsp_set(s, c, RSI_TCP_RES, &res);
		if (rsp_verdict(s, m, c, &res, px))
			return ANA_DONE;
	}
	px = rx_rsp_set(s, c, RSI_HTTP_RES, &res);
	if (rsp_verdict(s, m, c, &res, px))
		return ANA_DONE;
	px = rx_rsp_set(s, c, RSI_HTTP_AFTER, &res);
	if (rsp_verdict(s, m, c, &res, px))
		return ANA_DONE;
	persist_rsp_cookie(s, m, c);   /* Set-Cookie of the persistence cookie */
	s->status = m->status;
	/* a rule asked for "Connection: close": the client's too */
	if (!close_before && (m->flags & H1_F_CONN_CLOSE))
		s->flags &= ~SF_CLI_KA;
	return ANA_GO;
}

/* A response head was parsed at the start of sc->in: decide framing and
 * keep-alive, build the client head. Returns 1 when the head was consumed
 * (or the request failed over), 0 when it must wait for the client to take
 * what is already pending. */
static int analyze_response(struct stream *s, struct h1_msg *m, int rules)
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
	if (rules && rsp_rules(s, m) == ANA_DONE)
		return 1;
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

int http_analyze_response(struct stream *s, struct h1_msg *m)
{
	int ret, rules = m->status >= 200 && strm_rules_on(s);

	if (!rules)
		return analyze_response(s, m, 0);
	qsbr_read_lock();
	ret = analyze_response(s, m, 1);
	qsbr_read_unlock();
	return ret;
}
