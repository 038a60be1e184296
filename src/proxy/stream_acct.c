/* Accounting of a finished (or failed) request: the counters it touches
 * and its access-log line. */
#include <string.h>
#include <tandem/counters-t.h>
#include <tandem/httplog.h>
#include <tandem/rules.h>
#include <tandem/server.h>
#include <tandem/srv_admin.h>
#include <tandem/ssl_sess.h>
#include "stream_int.h"

static uint64_t log_counter;   /* %lc */

static int ms_between(uint64_t a_us, uint64_t b_us)
{
	if (!a_us || !b_us || b_us < a_us)
		return -1;
	return (int)((b_us - a_us) / 1000);
}

void stream_log(struct stream *s)
{
	struct txn_log t;
	const struct proxy *fe = s->fe;
	uint64_t end = now_us;
	struct server *srv = s->srv;

	if (fe->options & PR_O_NOLOG)
		return;
	if (list_empty(&fe->logs) && !(fe->options & PR_O_LOG_GLOBAL))
		return;
	if (!(fe->options & (PR_O_HTTPLOG | PR_O_TCPLOG)) && !(fe->rules && fe->rules->log_format))
		return;
	if (sf(s, SF_NOLOG))
		return;
	memset(&t, 0, sizeof(t));
	t.cli = s->cli_addr;
	if (s->dst_set)   /* the PROXY header's (no log format prints it yet) */
		t.fe_addr = s->dst_addr;
	t.accept_wall_us = s->req_wall_us;
	t.fe = fe->id;
	t.be = s->be ? s->be->id : fe->id;
	t.srv = srv ? srv->id : "<NOSRV>";
	t.TR = ms_between(s->t_req_us, s->t_head_us);
	t.Tw = s->t_conn_start_us ? 0 : -1;
	t.Tc = ms_between(s->t_conn_start_us, s->t_conn_us);
	t.Tr = ms_between(s->t_conn_us ? s->t_conn_us : s->t_head_us, s->t_rsp_us);
	t.Ta = ms_between(s->t_req_us, end);
	t.Tt = ms_between(s->sess->t_accept_us, end);
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
	t.redispatched = sf(s, SF_REDISPATCHED);
	t.req_line = s->reqline;
	t.req_line_len = s->reqline_len;
	t.http = sf(s, SF_HTTP);
	ssl_sess_log(s, &t);
	if (srv) {
		socklen_t sl;

		srv_addr_get(srv, &t.srv_addr, &sl);
	}
	t.log_counter = __atomic_add_fetch(&log_counter, 1, __ATOMIC_RELAXED);
	if (s->txn || fe->rules) {
		/* per thread: a log line can be 64 kB (log ... len) */
		static __thread char line[65536];
		int level = -1, n = rx_log(s, &t, 0, line, sizeof(line), &level);

		if (n < 0)
			return;   /* set-log-level silent */
		httplog_emit_line(G, fe, &t, n ? line : NULL, (size_t)n, level);
		return;
	}
	httplog_emit(G, fe, &t);
}

/* Account a finished request on every counter it touches. */
void count_response(struct stream *s)
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
	if (sess_li_ctr(s->sess)) {   /* option socket-stats */
		CTR_ADD(sess_li_ctr(s->sess)->bytes_out, s->bytes_out);
		CTR_ADD(sess_li_ctr(s->sess)->bytes_in, s->bytes_in);
	}
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

/* A connection that failed before any request (a handshake: TLS, the
 * PROXY protocol) is logged with error-log-format when the frontend has
 * one (HAProxy 2.6's connection error log); else the caller writes the
 * legacy line. A client that sent nothing is left out with dontlognull. */
int sess_log_conn_error(struct sess *ss, const char *term, int empty)
{
	static __thread char line[65536];
	struct txn_log t;
	int n;

	if (!ss->fe->rules || !ss->fe->rules->error_log_format)
		return 0;
	if ((ss->fe->options & PR_O_NOLOG) || (empty && (ss->fe->options & PR_O_DONTLOGNULL)))
		return 1;
	if (!(n = rx_log_conn_error(ss, term, line, sizeof(line))))
		return 1;
	memset(&t, 0, sizeof(t));
	memcpy(&t.cli, &ss->addr, sizeof(ss->addr));
	t.term[0] = term[0];
	t.term[1] = term[1];
	t.term[2] = t.term[3] = '-';
	t.status = -1;
	t.bytes_in = 1;   /* not a probe: dontlognull was decided above */
	t.TR = t.Tw = t.Tc = t.Tr = t.Ta = -1;
	httplog_emit_line(G, ss->fe, &t, line, (size_t)n, -1);
	return 1;
}
