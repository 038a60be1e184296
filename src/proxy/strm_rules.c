/* The stream's side of the rules language (src/rules/): the evaluation
 * context, the replies tandem makes itself and the access-log line.
 *
 * One context per thread: a stream's analyses never interleave on a
 * thread (each runs to its end, or stops and is run again from the
 * start of a rule set), so one per-thread smp_ctx, arena and cache serve
 * every stream of the thread. rx_ctx() fills it from a stream before each
 * analysis; what outlives an analysis (captures, the unique id, the log
 * level, variables) lives with the stream (s->txn, s->vars) or the
 * session (sess variables, created on their first set). A stream whose
 * proxies have no rules never comes here: an idle client costs its
 * session only, and a request without rules pays nothing for them.
 *
 * Replies (deny, return, redirect, auth, monitor-uri, error pages) are
 * rendered by the engine (http_reply_render); when a proxy has
 * http-after-response rules, the reply's head is parsed back, the rules
 * edit it, and it is emitted again (rx_after()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/action.h>
#include <tandem/buf.h>
#include <tandem/errors.h>
#include <tandem/h1.h>
#include <tandem/httplog.h>
#include <tandem/log.h>
#include <tandem/logfmt.h>
#include <tandem/qsbr.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/server.h>
#include <tandem/sock.h>
#include <tandem/persist.h>
#include "stream_int.h"

/* Rewritten values, converter results and rendered replies of one
 * analysis: reset when a head is analysed, bounded (a rewrite that does
 * not fit fails, as HAProxy's tune.maxrewrite). */
#define RX_ARENA_MIN (32 * 1024)

struct rx_thr {
	struct smp_ctx        ctx;
	struct lf_info        li;
	struct smp_arena      arena;
	struct smp_cache_ent *cache;
	int                   ncache;
	struct h1_msg         msg;     /* a reply's head, parsed back for http-after-response */
	struct h1_msg         reqmsg;  /* the request head re-read from srv_out (error pages) */
	struct buf            tmp;     /* a reply rendered before http-after-response edits it */
	struct h1_msg        *cur_req; /* the request head of the analysis in progress, NULL none */
	const struct stream  *li_strm; /* the transaction <li> was filled for */
	uint64_t              li_id;
};

static __thread struct rx_thr *rx;
static uint64_t rx_req_counter;    /* %rt: every transaction of the process */

static int rx_init(void)
{
	const struct rules_cfg *rc = worker.cfg->rules;
	size_t asz = 2 * (size_t)G->tune_bufsize;

	if (rx)
		return 0;
	if (!(rx = calloc(1, sizeof(*rx))))
		return -1;
	if (asz < RX_ARENA_MIN)
		asz = RX_ARENA_MIN;
	rx->ncache = rc ? rc->ncache : 0;
	if (!(rx->arena.area = malloc(asz)) ||
	    (rx->ncache && !(rx->cache = calloc((size_t)rx->ncache, sizeof(*rx->cache))))) {
		free(rx->arena.area);
		free(rx);
		rx = NULL;
		return -1;
	}
	rx->arena.size = asz;
	return 0;
}

void strm_rules_thread_exit(void)
{
	if (!rx)
		return;
	free(rx->arena.area);
	free(rx->cache);
	buf_free(&rx->tmp);
	free(rx);
	rx = NULL;
}

void rx_arena_reset(void)
{
	if (rx) {
		rx->arena.used = 0;
		rx->arena.full = 0;
	}
}

void rx_set_req(struct h1_msg *m)
{
	if (rx)
		rx->cur_req = m;
}

/* The facts %-variables show at rule time (accept date, client, %rt...). */
static void rx_fill_li(struct stream *s, struct lf_info *li)
{
	memset(li, 0, sizeof(*li));
	li->Th = li->Ti = li->TR = li->Tw = li->Tc = li->Tr = li->Ta = li->Tt = -1;
	li->status = s->status;
	/* the wall clock at accept, from the one read when the request began */
	li->accept_us = s->t_req_us >= s->sess->t_accept_us ? s->req_wall_us - (s->t_req_us - s->sess->t_accept_us) :
			s->req_wall_us;
	li->req_us = s->req_wall_us;
	li->cli = &s->cli_addr;
	li->uniq_id = s->uniq_id;
	li->actconn = __atomic_load_n(&worker.actconn, __ATOMIC_RELAXED);
	li->feconn = (int)CTR_GET(s->fe->fe_ctr->cur_sess);
	li->http = sf(s, SF_HTTP);
	li->req_line = s->reqline;
	li->req_line_len = s->reqline_len;
	li->term[0] = li->term[1] = li->term[2] = li->term[3] = '-';
}

struct smp_ctx *rx_ctx(struct stream *s, struct h1_msg *req, struct h1_msg *rsp)
{
	struct smp_ctx *c;

	if (!rx && rx_init() < 0)
		return NULL;
	c = &rx->ctx;
	c->src = &s->cli_addr;
	/* dst: the client's PROXY header's (accept-proxy), else the local
	 * address, asked when a rule needs it */
	c->dst = s->dst_set ? &s->dst_addr : NULL;
	c->dst_lazy = !s->dst_set;
	c->dst_fd = s->cli->io.fd;
	c->fe = s->fe;
	c->be = sf(s, SF_BE_SET) ? s->be : NULL;
	c->srv = s->srv;
	c->cli_conn = s->cli;
	c->srv_conn = s->sc;
	c->req = req;
	c->rsp = rsp;
	c->payload = NULL;
	c->payload_len = 0;
	c->payload_final = 1;
	c->status = s->status;
	c->phase = 0;
	c->arena = &rx->arena;
	c->cache = rx->cache;
	c->ncache = rx->ncache;
	smp_ctx_invalidate(c);
	c->sess_vars = s->sess->vars;
	c->sess_home = &s->sess->vars;
	c->txn_vars = &s->vars;
	c->txn = s->txn;
	c->rcfg = worker.cfg->rules;
	c->req_count = s->sess->nreq;
	c->req_line = s->reqline;
	c->req_line_len = s->reqline_len;
	c->body = NULL;
	c->body_len = 0;
	c->body_final = 1;
	c->hints = NULL;
	c->nhints = 0;
	c->last_rule_file = NULL;
	c->last_rule_line = 0;
	/* the %-variables' facts change little during a transaction: filled
	 * once per transaction (status follows) */
	if (rx->li_strm != s || rx->li_id != s->uniq_id) {
		rx_fill_li(s, &rx->li);
		rx->li_strm = s;
		rx->li_id = s->uniq_id;
	}
	rx->li.status = s->status;
	c->li = &rx->li;
	c->trk = persist_trk(s);         /* track-sc of content and HTTP rules */
	c->sess_trk = &s->sess->stkctr;  /* and of tcp-request connection/session */
	return c;
}

int rx_txn_begin(struct stream *s)
{
	const struct px_rules *r = s->fe->rules;
	struct txn_store *t = s->txn;

	/* the capture slots are the frontend's: a pooled stream may come from
	 * another frontend */
	if (t && (t->req_decl != (r ? r->cap_req : NULL) || t->rsp_decl != (r ? r->cap_rsp : NULL) ||
		  t->n_cap_req != (r ? r->n_cap_req : 0) || t->n_cap_rsp != (r ? r->n_cap_rsp : 0))) {
		txn_store_free(t);
		s->txn = t = NULL;
	}
	if (!t && !(s->txn = txn_store_new(s->fe)))
		return -1;
	s->uniq_id = __atomic_fetch_add(&rx_req_counter, 1, __ATOMIC_RELAXED);
	/* what rules_txn_begin() does, without a context: the next rx_ctx()
	 * fills that (cache epoch, hints, status) */
	vars_reset(&s->vars, VS_TXN);
	vars_reset(&s->vars, VS_REQ);
	vars_reset(&s->vars, VS_RES);
	txn_store_reset(s->txn);
	s->flags |= SF_TXN;
	return 0;
}

/* The context of a connection before it has a stream (tcp-request
 * connection and session): addresses, the frontend, sess variables. */
struct smp_ctx *rx_ctx_sess(struct sess *ss)
{
	static __thread struct sockaddr_storage src;
	struct smp_ctx *c;

	if (!rx && rx_init() < 0)
		return NULL;
	c = &rx->ctx;
	memset(c, 0, sizeof(*c));
	memcpy(&src, &ss->addr, sizeof(ss->addr));
	c->src = &src;
	c->dst_lazy = 1;
	c->dst_fd = ss->cli.io.fd;
	if (ss->pp && ss->pp->dst_set) {   /* tcp-request session: after the PROXY header */
		static __thread struct sockaddr_storage dst;

		dst = ss->pp->dst;
		c->dst = &dst;
		c->dst_lazy = 0;
	}
	c->fe = ss->fe;
	c->cli_conn = &ss->cli;
	c->status = -1;
	c->payload_final = 1;
	c->body_final = 1;
	c->arena = &rx->arena;
	c->cache = rx->cache;
	c->ncache = rx->ncache;
	smp_ctx_invalidate(c);
	rx_arena_reset();
	c->sess_vars = ss->vars;
	c->sess_home = &ss->vars;
	c->rcfg = worker.cfg->rules;
	c->sess_trk = &ss->stkctr;       /* tcp-request connection/session track-sc */
	return c;
}

/* ---- replies ---------------------------------------------------------- */

/* Emit the (edited) head <m> of a reply tandem made: its status line and
 * every header as they stand, then the empty line. */
static int emit_head(struct buf *out, const struct h1_msg *m)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "HTTP/1.1 %03d ", m->status);

	if (buf_append(out, line, (size_t)n) || buf_append(out, m->reason.p, m->reason.len) ||
	    buf_append(out, "\r\n", 2))
		return -1;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct h1_hdr *h = &m->hdrs[i];

		if (buf_append(out, h->name.p, h->name.len) || buf_append(out, ": ", 2) ||
		    buf_append(out, h->value.p, h->value.len) || buf_append(out, "\r\n", 2))
			return -1;
	}
	return buf_append(out, "\r\n", 2);
}

int rx_has_after(const struct stream *s, int with_rsp)
{
	const struct proxy *be = sf(s, SF_BE_SET) ? s->be : NULL;

	if (rules_has(s->fe, RSI_HTTP_AFTER) || (be && be != s->fe && rules_has(be, RSI_HTTP_AFTER)))
		return 1;
	return with_rsp && (rules_has(s->fe, RSI_HTTP_RES) || (be && be != s->fe && rules_has(be, RSI_HTTP_RES)));
}

/* Run the response rule set <set> of the backend, then of the frontend
 * (HAProxy's order); returns the proxy whose rule decided, or NULL. */
const struct proxy *rx_rsp_set(struct stream *s, struct smp_ctx *c, int set, struct rule_result *res)
{
	const struct proxy *be = sf(s, SF_BE_SET) ? s->be : NULL;

	memset(res, 0, sizeof(*res));
	if (be && be != s->fe && rules_has(be, set)) {
		rules_run(be, set, c, res);
		if (res->verdict != RV_CONTINUE && res->verdict != RV_ALLOW)
			return be;
		memset(res, 0, sizeof(*res));
	}
	if (!rules_has(s->fe, set))
		return NULL;
	rules_run(s->fe, set, c, res);
	return res->verdict != RV_CONTINUE ? s->fe : NULL;
}

/* The reply rendered in <in> (a whole response) goes out through
 * http-after-response (and http-response first when <with_rsp>: a service
 * answers as a server would): parse its head back, run the rules, emit it
 * into <out> with its body. A rule that fails (strict mode) makes it a
 * 500 page instead, without the rules (returns 1 then). 0, or -1 when it
 * does not fit. */
static int rx_after(struct stream *s, struct smp_ctx *c, struct buf *in, struct buf *out, int with_rsp,
		    int head_req)
{
	struct h1_limits lim = { in->data, H1_MAX_HDRS };
	struct h1_msg *m = &rx->msg;
	struct rule_result res;
	int ret = h1_parse_response(buf_ptr(in), in->data, m, &lim);

	if (ret < 0 || ret == H1_INCOMPLETE)
		return -1;
	c->rsp = m;
	c->status = m->status;
	if (with_rsp) {
		rx_rsp_set(s, c, RSI_HTTP_RES, &res);
		if (res.verdict == RV_ERROR)
			goto fail;
	}
	rx_rsp_set(s, c, RSI_HTTP_AFTER, &res);
	if (res.verdict == RV_ERROR)
		goto fail;
	c->rsp = NULL;
	if (emit_head(out, m) < 0 || buf_append(out, buf_ptr(in) + m->head_len, in->data - m->head_len) < 0)
		return -1;
	s->status = m->status;
	return 0;
fail:
	c->rsp = NULL;
	CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
	s->status = 500;
	return http_reply_render(NULL, 500, c, 0, head_req, out) < 0 ? -1 : 1;
}

int rx_render(struct stream *s, struct smp_ctx *c, const struct http_reply *rp, int status, int ka, int head_req,
	      int with_rsp, struct buf *out)
{
	if (!status)
		status = rp ? rp->status : 500;
	s->status = status;
	if (!rx_has_after(s, with_rsp))
		return http_reply_render(rp, status, c, ka, head_req, out);
	if (buf_alloc(&rx->tmp, G->tune_bufsize) < 0)
		return -1;
	rx->tmp.data = rx->tmp.head = 0;
	if (http_reply_render(rp, status, c, ka, head_req, &rx->tmp) < 0)
		return -1;
	return rx_after(s, c, &rx->tmp, out, with_rsp, head_req) < 0 ? -1 : 0;
}

int rx_after_service(struct stream *s, struct buf *head, int head_req)
{
	struct smp_ctx *c = rx_ctx(s, rx ? rx->cur_req : NULL, NULL);
	int ret;

	if (!c || buf_alloc(&rx->tmp, G->tune_bufsize) < 0)
		return -1;
	rx->tmp.data = rx->tmp.head = 0;
	if (buf_append(&rx->tmp, buf_ptr(head), head->data) < 0)
		return -1;
	head->data = head->head = 0;
	ret = rx_after(s, c, &rx->tmp, head, 1, head_req);
	return ret;
}

/* The request head for a page made after it was forwarded: the head sent
 * to the server is still in srv_out until the response arrives (kept for
 * a retry), so the page's log-format parts can read its headers. */
static struct h1_msg *reread_request(struct stream *s)
{
	struct h1_limits lim;

	if (rx->cur_req)
		return rx->cur_req;
	if (!s->srv_out.data)
		return NULL;
	lim.max_head = s->srv_out.data;
	lim.max_hdrs = H1_MAX_HDRS;
	if (h1_parse_request(buf_ptr(&s->srv_out), s->srv_out.data, &rx->reqmsg, &lim) <= 0)
		return NULL;
	return &rx->reqmsg;
}

int rx_error_page(struct stream *s, int status, struct buf *out)
{
	const struct proxy *be = sf(s, SF_BE_SET) ? s->be : NULL;
	struct smp_ctx *c;
	int ret, nested = rx && rx->cur_req;

	if (!s->fe->rules && !(be && be->rules))
		return 1;
	if (!rules_errmsg(s->fe, status) && !(be && rules_errmsg(be, status)) && !rx_has_after(s, 0))
		return 1;
	if (!rx && rx_init() < 0)
		return -1;
	if (!nested)
		qsbr_read_lock();
	if (!(c = rx_ctx(s, reread_request(s), NULL))) {
		ret = -1;
	} else {
		if (!nested)
			rx_arena_reset();
		ret = rx_render(s, c, NULL, status, 0, s->meth == H1_M_HEAD, 0, out);
	}
	if (!nested)
		qsbr_read_unlock();
	return ret;
}

/* ---- the unique id, outside the rules ---------------------------------- */

size_t rx_unique_id(struct stream *s, char *out, size_t max)
{
	const struct px_rules *r = s->fe->rules;
	struct smp_ctx *c;
	const char *id;
	size_t used, len = 0;

	if (!r || !r->unique_id_format || !s->txn || (!rx && rx_init() < 0))
		return 0;
	/* made once per transaction (the header, the log and the PROXY
	 * header show the same id); its arena use is given back */
	used = rx->arena.used;
	qsbr_read_lock();
	if ((c = rx_ctx(s, sf(s, SF_HTTP) ? reread_request(s) : NULL, NULL)) && (id = rules_unique_id(c, &len))) {
		if (len > max)
			len = max;
		memcpy(out, id, len);
	}
	qsbr_read_unlock();
	rx->arena.used = used;
	return len;
}

/* ---- the access log --------------------------------------------------- */

int rx_log(struct stream *s, const struct txn_log *t, int error, char *line, size_t len, int *level)
{
	const struct px_rules *r = s->fe->rules;
	struct smp_ctx *c;
	struct lf_info li;
	size_t used, n;

	if (s->txn && s->txn->log_level != -1) {
		if (s->txn->log_level == -2)
			return -1;  /* set-log-level silent */
		*level = s->txn->log_level;
	}
	if (!r || (!r->log_format && !r->error_log_format))
		return 0;
	if (!rx && rx_init() < 0)
		return 0;
	/* the log may be written in the middle of an analysis (a reply, an
	 * error): its arena use is given back after the line */
	used = rx->arena.used;
	qsbr_read_lock();
	c = rx_ctx(s, NULL, NULL);
	if (!c) {
		qsbr_read_unlock();
		return 0;
	}
	memset(&li, 0, sizeof(li));
	li.Th = 0;
	li.Ti = 0;
	li.TR = t->TR;
	li.Tw = t->Tw;
	li.Tc = t->Tc;
	li.Tr = t->Tr;
	li.Ta = t->Ta;
	li.Tt = t->Tt;
	li.accept_us = rx->li.accept_us;
	li.req_us = t->accept_wall_us;
	li.status = t->status;
	li.bytes_out = t->bytes_out;
	li.bytes_in = t->bytes_in;
	memcpy(li.term, t->term, 4);
	li.actconn = t->actconn;
	li.feconn = t->feconn;
	li.beconn = t->beconn;
	li.srvconn = t->srvconn;
	li.retries = t->retries;
	li.redispatched = t->redispatched;
	li.srv_queue = t->srv_queue;
	li.be_queue = t->be_queue;
	li.req_line = t->req_line;
	li.req_line_len = t->req_line_len;
	li.cli = &s->cli_addr;
	li.srv_addr = t->srv_addr.ss_family ? &t->srv_addr : NULL;
	li.uniq_id = s->uniq_id;
	li.log_counter = t->log_counter;
	li.logasap = (s->fe->options & PR_O_LOGASAP) != 0;
	li.http = t->http;
	c->li = &li;
	c->status = t->status;
	n = rules_log(s->fe, c, &li, error, line, len);
	c->li = &rx->li;
	qsbr_read_unlock();
	rx->arena.used = used;
	return n ? (int)n : 0;
}

/* ---- connection errors (error-log-format) ------------------------------ */

int rx_log_conn_error(struct sess *ss, const char *term, char *line, size_t len)
{
	const struct px_rules *r = ss->fe->rules;
	struct smp_ctx *c;
	struct lf_info li;
	size_t n;

	if (!r || !r->error_log_format)
		return 0;
	qsbr_read_lock();
	if (!(c = rx_ctx_sess(ss))) {
		qsbr_read_unlock();
		return 0;
	}
	memset(&li, 0, sizeof(li));
	li.Th = li.Ti = li.TR = li.Tw = li.Tc = li.Tr = li.Ta = -1;
	li.Tt = (int)((now_us - ss->t_accept_us) / 1000);
	li.accept_us = clock_wall_us() - (now_us - ss->t_accept_us);
	li.status = 0;   /* HAProxy's %ST without a transaction */
	memcpy(li.term, term, 2);
	li.term[2] = li.term[3] = '-';
	li.cli = c->src;
	li.actconn = __atomic_load_n(&worker.actconn, __ATOMIC_RELAXED);
	li.feconn = (int)CTR_GET(ss->fe->fe_ctr->cur_sess);
	li.uniq_id = __atomic_fetch_add(&rx_req_counter, 1, __ATOMIC_RELAXED);
	c->li = &li;
	n = rules_log(ss->fe, c, &li, 1, line, len);
	c->li = NULL;
	qsbr_read_unlock();
	return (int)n;
}
