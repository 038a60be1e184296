/* TCP analysis: the rules that look at a connection before (or instead
 * of) HTTP, in HAProxy's order:
 *
 *   accept     tcp-request connection at the accept, tcp-request session
 *              once a handshake (TLS) is done (tcp_accept_rules(), called
 *              by sess_new() and sess_begin());
 *   ST_INSPECT tcp-request content of the frontend (payload, waiting up to
 *              `tcp-request inspect-delay` for the bytes its conditions
 *              need), use_backend / default_backend, tcp-request content of
 *              the backend, use-server (a TCP frontend's stream starts here,
 *              with or without rules);
 *   tunnel     tcp-response content on the first bytes of the server
 *              (tcp_rsp_rules(), called by st_tunnel()).
 *
 * A rule set that needs more bytes waits without spinning: the stream
 * sleeps until the client sends more or the inspect delay ends (exp_insp,
 * one of the state's deadlines), then the set resumes at the rule that
 * waited. `switch-mode http`, or a backend in HTTP mode, turns the
 * connection into HTTP: the bytes already read are parsed as the first
 * request (ST_REQ_WAIT), and the session stays HTTP for the next ones. */
#include <string.h>
#include <sys/socket.h>
#include <tandem/action.h>
#include <tandem/buf.h>
#include <tandem/conn.h>
#include <tandem/qsbr.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/sock.h>
#include <tandem/persist.h>
#include "stream_int.h"

/* ---- at accept ------------------------------------------------------------ */

int tcp_accept_rules(struct sess *ss, int set)
{
	struct rule_result res = { 0 };
	struct smp_ctx *c;
	int ret = 0;

	if (!rules_has(ss->fe, set))
		return 0;
	qsbr_read_lock();
	if (!(c = rx_ctx_sess(ss))) {
		qsbr_read_unlock();
		return -1;
	}
	rules_run(ss->fe, set, c, &res);
	switch (res.verdict) {
	case RV_REJECT:
	case RV_SILENT_DROP:
	case RV_ERROR:
		if (set == RSI_TCP_SESS)
			CTR_ADD(ss->fe->fe_ctr->denied_sess, 1);
		else
			CTR_ADD(ss->fe->fe_ctr->denied_conn, 1);
		if (res.verdict == RV_SILENT_DROP)
			sock_linger_reset(ss->cli.io.fd);
		ret = -1;
		break;
	default:
		break;   /* accept: this set stops, the next one runs */
	}
	if (res.expect_proxy && ret == 0)
		ss->ppw = 1;   /* sess_lt_expect_proxy() waits for the header */
	qsbr_read_unlock();
	return ret;
}

/* ---- content inspection ------------------------------------------------- */

/* Stages of ST_INSPECT (s->rwait_set). */
enum { INS_FE = 0, INS_ROUTE, INS_BE, INS_SERVER };

/* The connection becomes HTTP: the bytes read so far are its first request. */
static int upgrade_http(struct stream *s)
{
	s->flags |= SF_HTTP;
	s->sess->http = 1;
	s->state = ST_REQ_WAIT;
	s->t_req_us = 0;
	s->t_head_us = 0;
	s->exp_insp = 0;
	s->exp_cli = 0;
	s->exp_req = after(s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client);
	return 1;
}

/* Close after a reject (a reset for silent-drop), logged. */
static int insp_drop(struct stream *s, int rst, char who)
{
	set_term(s, who, 'R');
	if (rst)
		sock_linger_reset(s->cli->io.fd);
	stream_log(s);
	stream_close(s);
	return 0;
}

/* Run <px>'s tcp-request content rules on the payload. 1: decided (go on),
 * 0: waiting for data or closed. */
static int insp_set(struct stream *s, struct smp_ctx *c, struct proxy *px)
{
	struct rule_result *res = &s->rwait;

	if (!rules_has(px, RSI_TCP_CONT))
		return 1;
	rules_run(px, RSI_TCP_CONT, c, res);
	switch (res->verdict) {
	case RV_WAIT:
		return 0;
	case RV_REJECT:
	case RV_SILENT_DROP:
	case RV_ERROR:
		CTR_ADD(s->fe->fe_ctr->denied_req, 1);
		if (px != s->fe)
			CTR_ADD(px->be_ctr->denied_req, 1);
		return insp_drop(s, res->verdict == RV_SILENT_DROP, res->verdict == RV_ERROR ? 'I' : 'P');
	case RV_SWITCH_HTTP:
		if (px == s->fe)
			s->flags |= SF_TCP_DONE;
		memset(res, 0, sizeof(*res));
		return upgrade_http(s), 0;
	default:
		memset(res, 0, sizeof(*res));
		return 1;
	}
}

/* A buffer that holds all it may (an area not allocated yet holds nothing). */
static int full(const struct buf *b)
{
	return b->size && buf_full(b);
}

/* Is the inspection over for <px>'s rules: no more bytes worth waiting for? */
static int insp_final(const struct stream *s, const struct proxy *px)
{
	return !rules_inspect_delay(px, 0) || expired(s->exp_insp) || full(&s->cli->in) ||
	       (s->cli->flags & (CF_EOF | CF_ERROR));
}

int st_inspect(struct stream *s)
{
	struct proxy *fe = s->fe, *px;
	struct smp_ctx *c = NULL;
	int rules = strm_rules_on(s), go = 1;
	ssize_t r;

	if (expired(s->exp_cli)) {
		/* `timeout client` before the rules could decide */
		CTR_ADD(fe->fe_ctr->cli_aborts, 1);
		return insp_drop(s, 0, 'c');
	}
	if (!rules) {
		s->be = fe->defbe;
		goto route;
	}
	/* what the client sent so far (a buffer at most: the rules look at
	 * the first bytes) */
	/* edge-triggered readiness: read until the socket says it has no
	 * more (or the buffer is full), so that a FIN queued behind the data
	 * is seen now and not at the end of the inspect delay */
	while (!full(&s->cli->in) && (r = conn_recv(s->cli, G->tune_bufsize)) > 0)
		s->bytes_in += (uint64_t)r;
	qsbr_read_lock();
	if (!sf(s, SF_TXN) && rx_txn_begin(s) < 0)
		goto oom;
	if (!(c = rx_ctx(s, NULL, NULL)))
		goto oom;
	rx_arena_reset();
	c->payload = s->cli->in.data ? buf_ptr(&s->cli->in) : "";
	c->payload_len = s->cli->in.data;
	while (go && s->state == ST_INSPECT) {
		switch (s->rwait_set) {
		case INS_FE:
			px = fe;
			if (!s->exp_insp && rules_inspect_delay(px, 0))
				s->exp_insp = after(rules_inspect_delay(px, 0));
			c->payload_final = insp_final(s, px);
			if (!(go = insp_set(s, c, px)))
				break;
			s->flags |= SF_TCP_DONE;
			s->rwait_set = INS_ROUTE;
			break;
		case INS_ROUTE:
			c->payload_final = 1;
			px = rules_use_backend(worker.cfg, fe, c);
			s->be = px ? px : fe->defbe;
			s->exp_insp = 0;
			s->rwait_set = INS_BE;
			qsbr_read_unlock();
			goto route;
		case INS_BE:
			px = s->be;
			if (!s->exp_insp && rules_inspect_delay(px, 0))
				s->exp_insp = after(rules_inspect_delay(px, 0));
			c->be = px;
			c->payload_final = insp_final(s, px);
			if (!(go = insp_set(s, c, px)))
				break;
			s->rwait_set = INS_SERVER;
			break;
		default: {
			struct server *sv;
			int force;

			c->be = s->be;
			c->payload_final = 1;
			force = 0;
			if (s->be->rules && (sv = rules_use_server(s->be, c, &force))) {
				s->srv = sv;
				s->flags |= SF_SRV_CHOSEN | (force == 1 ? SF_FORCE_SRV : 0);
			}
			persist_req(s, NULL, c, force);   /* stick rules, the hash key (persist.c) */
			go = 0;
			s->exp_insp = 0;
			s->state = ST_CONNECT;
			break;
		}
		}
	}
	qsbr_read_unlock();
	/* waiting: data or the end of the inspect delay wakes the stream */
	return s->state != ST_INSPECT;
route:
	/* the backend is chosen (use_backend, default_backend) */
	if (!s->be) {
		set_term(s, 'S', 'C');   /* nowhere to go: closed, as HAProxy does */
		stream_log(s);
		stream_close(s);
		return 0;
	}
	s->flags |= SF_BE_SET;
	if (s->be->mode == PR_MODE_HTTP)
		return upgrade_http(s);
	be_sess_enter(s);   /* a TCP stream occupies its backend until it ends */
	if (s->be != fe && rules_has(s->be, RSI_TCP_CONT)) {
		s->rwait_set = INS_BE;
		return 1;   /* the backend's rules, with its own inspect delay */
	}
	s->rwait_set = INS_SERVER;
	if (!rules || !s->be->rules || (!s->be->rules->n_srv_rule && !persist_wanted(s->be))) {
		s->exp_insp = 0;
		s->state = ST_CONNECT;
	}
	return 1;
oom:
	qsbr_read_unlock();
	return insp_drop(s, 0, 'R');
}

/* ---- tcp-response content -------------------------------------------------- */

int tcp_rsp_rules(struct stream *s)
{
	const struct proxy *be = s->be;
	uint32_t delay = rules_inspect_delay(be, 1);
	struct rule_result res;
	struct smp_ctx *c;
	const struct proxy *px;
	int ret = 1;

	if (be != s->fe && rules_inspect_delay(s->fe, 1) > delay)
		delay = rules_inspect_delay(s->fe, 1);
	qsbr_read_lock();
	if (!(c = rx_ctx(s, NULL, NULL))) {
		qsbr_read_unlock();
		return 1;
	}
	rx_arena_reset();
	if (!s->exp_insp && delay)
		s->exp_insp = after(delay);
	c->payload = s->sc->in.data ? buf_ptr(&s->sc->in) : "";
	c->payload_len = s->sc->in.data;
	c->payload_final = !delay || expired(s->exp_insp) || full(&s->sc->in) ||
			   (s->sc->flags & (CF_EOF | CF_ERROR));
	px = rx_rsp_set(s, c, RSI_TCP_RES, &res);
	switch (res.verdict) {
	case RV_WAIT:
		ret = 0;   /* the server's bytes wait for the decision */
		break;
	case RV_REJECT:
	case RV_SILENT_DROP:
	case RV_ERROR:
		CTR_ADD(s->fe->fe_ctr->denied_resp, 1);
		if (px && px != s->fe)
			CTR_ADD(s->be->be_ctr->denied_resp, 1);
		if (s->srv)
			CTR_ADD(s->srv->ctr->denied_resp, 1);
		if (res.verdict == RV_SILENT_DROP)
			sock_linger_reset(s->cli->io.fd);
		set_term(s, res.verdict == RV_ERROR ? 'I' : 'P', 'D');
		ret = -1;
		break;
	case RV_CLOSE:
		/* what came is forwarded, then the server connection is closed */
		shutdown(s->sc->io.fd, SHUT_RDWR);
		s->sc->flags |= CF_EOF;
		break;
	default:
		break;
	}
	if (ret != 0) {
		s->flags |= SF_TCPRES_DONE;
		s->exp_insp = 0;
	}
	qsbr_read_unlock();
	return ret;
}
