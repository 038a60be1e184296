/* TLS as the sessions and streams see it: see include/tandem/ssl_sess.h. */
#include <stdio.h>
#include <string.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/counters-t.h>
#include <tandem/httplog.h>
#include <tandem/httplog-t.h>
#include <tandem/sess.h>
#include <tandem/ssl.h>
#include <tandem/ssl_sess.h>
#include <tandem/worker.h>
#include <tandem/xprt_ssl.h>

int ssl_sess_tls(const struct bind_conf *bind)
{
	return bind && bind->ssl && bind->ssl->ssl;
}

int ssl_sess_accept(struct sess *ss)
{
	return ssl_conn_accept(&ss->cli, ss->bind, this_thr ? this_thr->id : 0);
}

void ssl_sess_done(struct sess *ss)
{
	CTR_ADD(ss->fe->fe_ctr->ssl_sess, 1);
	if (ssl_conn_resumed(&ss->cli))
		CTR_ADD(ss->fe->fe_ctr->ssl_reused, 1);
}

/* The listener's name: its `name`, else its position in the frontend
 * (HAProxy's listener id). */
static void bind_name(const struct sess *ss, char *out, size_t len)
{
	const struct list *l;
	int n = 0;

	if (ss->bind && ss->bind->name) {
		snprintf(out, len, "%s", ss->bind->name);
		return;
	}
	list_for_each(l, &ss->fe->binds) {
		n++;
		if (list_entry(l, struct bind_conf, link) == ss->bind)
			break;
	}
	snprintf(out, len, "%d", n);
}

void ssl_sess_failed(struct sess *ss, int timed_out)
{
	char msg[128], detail[256], line[512], bname[128];
	int cls = ssl_conn_hs_error(&ss->cli, timed_out, msg, sizeof(msg), detail, sizeof(detail));
	struct sockaddr_storage addr;

	CTR_ADD(ss->fe->fe_ctr->ssl_failed, 1);
	ss->cli.err_code = (uint8_t)ssl_hse_co_err(cls);   /* fc_err, for error-log-format */
	/* HAProxy's termination state of a connection that never became a
	 * stream: an error on the proxy's side, during the request */
	if (sess_log_conn_error(ss, "PR", cls == SSL_HSE_EMPTY || cls == SSL_HSE_ABORT))
		return;
	bind_name(ss, bname, sizeof(bname));
	if (*detail)
		snprintf(line, sizeof(line), "%s (%s)", msg, detail);
	else
		snprintf(line, sizeof(line), "%s", msg);
	memset(&addr, 0, sizeof(addr));
	memcpy(&addr, &ss->addr, sizeof(ss->addr));
	httplog_emit_conn_error(&worker.cfg->g, ss->fe, &addr, clock_wall_us() - (now_us - ss->t_accept_us), bname,
				line, cls == SSL_HSE_EMPTY || cls == SSL_HSE_ABORT);
}

int ssl_sess_connect(struct stream *s, struct conn *c)
{
	struct ssl_sni_env env = { NULL, 0, s->cli };
	char sni[256];

	if (s->srv_out.data) {
		env.head = buf_ptr(&s->srv_out);
		env.head_len = s->srv_out.data;
	}
	ssl_srv_sni(s->srv, &env, sni, sizeof(sni));
	return ssl_conn_connect(c, s->srv, sni, this_thr ? this_thr->id : 0);
}

void ssl_sess_srv_done(struct stream *s)
{
	if (s->sc && xprt_ssl_ctx(s->sc))
		ssl_srv_hs_done(s->srv, s->sc);
}

void ssl_sess_srv_failed(struct stream *s)
{
	if (s->sc && xprt_ssl_ctx(s->sc))
		ssl_srv_hs_failed(s->srv, s->sc);
}

void ssl_sess_log(const struct stream *s, struct txn_log *t)
{
	if (!ssl_fc(s->cli))
		return;
	t->ssl_version = ssl_fc_protocol(s->cli);
	t->ssl_cipher = ssl_fc_cipher(s->cli);
	t->ssl_sni = ssl_fc_sni(s->cli);
}
