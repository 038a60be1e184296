/* TLS towards servers: the client context of each server with `ssl` (or
 * whose checks use TLS), the `sni` expression, the server certificate's
 * verification (`verify required` checks the chain with `ca-file` and the
 * names against the SNI sent, else `verifyhost`), the client certificate
 * (`crt`), and session reuse: each thread keeps the last session a server
 * gave it and offers it on its next connection to that server with the
 * same SNI (`no-ssl-reuse` turns it off). A failed handshake drops it.
 *
 * `sni EXPR` takes a sample expression in HAProxy. Until the rules engine
 * lands, a small evaluator here supports the forms real configurations
 * use: req.hdr(NAME[,OCC]), hdr(NAME), req.fhdr(NAME), str(TEXT) and
 * ssl_fc_sni, with the lower, upper and field(N,C) converters. A server
 * whose SNI comes from the request (req.hdr, ssl_fc_sni) gets connections
 * that serve one request only (CF_PRIVATE): a pooled connection must
 * never carry another request under a name it was not opened for. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/xprt_ssl.h>
#include <tandem/check.h>
#include "ssl_int.h"

int ssl_srv_check_ssl(const struct server *s)
{
	return s->check_ssl || (s->use_ssl && !s->chk_port && !s->chk_addrlen);
}

/* Keep the session a server just gave this thread (TLS 1.3 sends it after
 * the handshake, so this is the one place that sees every version). */
int ssl_srv_new_sess_cb(SSL *ssl, SSL_SESSION *sess)
{
	const struct ssl_xprt *x = SSL_get_app_data(ssl);
	struct ssl_srv_rt *r = x && (x->flags & XS_CLIENT) ? x->owner : NULL;
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct srv_sess *t;

	if (!r || !r->thr || x->tid < 0 || x->tid >= r->nthr || r->srv->ssl_no_reuse)
		return 0;
	t = &r->thr[x->tid];
	SSL_SESSION_free(t->sess);
	t->sess = sess;
	snprintf(t->sni, sizeof(t->sni), "%s", sni ? sni : "");
	return 1;   /* we keep the reference */
}

int ssl_srv_build(struct ssl_cfg_rt *rt, struct server *s, const struct ssl_global *g, struct ssl_msgs *m)
{
	struct ssl_srv_rt *r;
	char err[512];
	char **paths[] = { &s->ssl_ca_file, &s->ssl_crl_file };

	if (!s->use_ssl && !ssl_srv_check_ssl(s) && !chk_srv_tls_rules(s))
		return 0;   /* (a `tcp-check connect ssl` needs the context too) */
	if (!(r = calloc(1, sizeof(*r)))) {
		ssl_err(m, "out of memory");
		return -1;
	}
	r->srv = s;
	pthread_rwlock_init(&r->lock, NULL);
	s->ssl_rt = r;
	r->verify = s->ssl_verify ? s->ssl_verify : g->server_verify;
	for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
		if (!*paths[k] || **paths[k] == '@')
			continue;
		if (ssl_path_rebase(paths[k], g->ca_base) < 0) {
			ssl_err(m, "out of memory");
			return -1;
		}
	}
	if (s->ssl_sni && sni_expr_parse(s->ssl_sni, &r->sni, err, sizeof(err)) < 0) {
		ssl_err(m, "'server %s/%s' : %s.", s->be->id, s->id, err);
		return -1;
	}
	if (s->check_alpn) {
		char *use = s->be->mode == PR_MODE_HTTP ? ssl_alpn_http1(s->check_alpn, NULL, 0) : strdup(s->check_alpn);

		if (!use || ssl_alpn_wire(use, &r->check_alpn, &r->check_alpn_len) < 0) {
			free(use);
			ssl_err(m, "out of memory");
			return -1;
		}
		free(use);
	}
	if (s->ssl_crt) {
		char *path = ssl_path_join(g->crt_base, s->ssl_crt);

		if (!path || !(r->crt = ckch_get(rt, path, m))) {
			free(path);
			if (!path)
				ssl_err(m, "out of memory");
			return -1;
		}
		free(path);
		r->crt->direct = 1;
		r->crt->nused++;
	}
	if (!(r->ctx = ssl_srv_ctx_make(r, s, g, r->crt ? r->crt->d : NULL, m)))
		return -1;
	return 0;
}

void ssl_srv_free(struct ssl_srv_rt *r)
{
	if (!r)
		return;
	SSL_CTX_free(r->ctx);
	free(r->sni.arg);
	free(r->check_alpn);
	for (int k = 0; r->thr && k < r->nthr; k++)
		SSL_SESSION_free(r->thr[k].sess);
	free(r->thr);
	if (r->crt)
		r->crt->nused--;
	pthread_rwlock_destroy(&r->lock);
	free(r);
}

void ssl_srv_release(struct server *s)
{
	ssl_srv_free(s->ssl_rt);
	s->ssl_rt = NULL;
}

/* ---- the sni expression ------------------------------------------------------- */

/* The values of header <name> in <head> (an HTTP/1 request head): each
 * comma-separated value for req.hdr/hdr, each line for req.fhdr (<full>).
 * Writes occurrence <occ> (1 first, -1 last) to <out>. Length or 0. */
static size_t hdr_value(const char *head, size_t len, const char *name, int occ, int full, char *out, size_t outlen)
{
	const char *p = head, *end = head + len;
	size_t nl = strlen(name);
	struct { const char *v; size_t l; } vals[64];
	int n = 0;

	/* skip the request line */
	while (p < end && *p != '\n')
		p++;
	while (p < end) {
		const char *line = ++p, *eol, *v;

		while (p < end && *p != '\n')
			p++;
		eol = p;
		if (eol > line && eol[-1] == '\r')
			eol--;
		if (eol == line)
			break;     /* end of the head */
		if ((size_t)(eol - line) <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
			continue;
		v = line + nl + 1;
		while (full) {
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			{
				const char *e = eol;

				while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
					e--;
				if (n < 64) {
					vals[n].v = v;
					vals[n++].l = (size_t)(e - v);
				}
			}
			break;
		}
		while (!full && v <= eol) {
			const char *c = memchr(v, ',', (size_t)(eol - v)), *e;

			if (!c)
				c = eol;
			while (v < c && (*v == ' ' || *v == '\t'))
				v++;
			e = c;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (n < 64) {
				vals[n].v = v;
				vals[n++].l = (size_t)(e - v);
			}
			v = c + 1;
		}
	}
	if (!n)
		return 0;
	occ = occ < 0 ? n + occ : occ - 1;
	if (occ < 0 || occ >= n || vals[occ].l >= outlen)
		return 0;
	memcpy(out, vals[occ].v, vals[occ].l);
	out[vals[occ].l] = 0;
	return vals[occ].l;
}

size_t ssl_srv_sni(const struct server *s, const struct ssl_sni_env *env, char *out, size_t outlen)
{
	const struct ssl_srv_rt *r = s->ssl_rt;
	const struct sni_expr *x = r ? &r->sni : NULL;
	size_t len = 0;

	if (!x || !x->fetch || !outlen)
		return 0;
	*out = 0;
	switch (x->fetch) {
	case SNIF_STR:
		len = (size_t)snprintf(out, outlen, "%s", x->arg);
		break;
	case SNIF_HDR:
		if (env && env->head)
			len = hdr_value(env->head, env->head_len, x->arg, x->occ, x->full, out, outlen);
		break;
	case SNIF_FC_SNI: {
		const char *sni = env && env->cli ? ssl_fc_sni(env->cli) : NULL;

		if (sni)
			len = (size_t)snprintf(out, outlen, "%s", sni);
		break;
	}
	}
	if (len >= outlen)
		return 0;
	for (int k = 0; k < x->nconv; k++) {
		if (x->conv[k].type == SNIC_LOWER || x->conv[k].type == SNIC_UPPER) {
			for (size_t i = 0; i < len; i++)
				out[i] = (char)(x->conv[k].type == SNIC_LOWER ? tolower((unsigned char)out[i]) :
						toupper((unsigned char)out[i]));
		} else {
			/* field(N,C): the Nth field separated by C */
			char *f = out, *e;
			int idx = 1;

			while (idx < x->conv[k].n && (f = memchr(f, x->conv[k].delim, len - (size_t)(f - out)))) {
				f++;
				idx++;
			}
			if (!f) {
				*out = 0;
				return 0;
			}
			e = memchr(f, x->conv[k].delim, len - (size_t)(f - out));
			len = (size_t)((e ? e : out + len) - f);
			memmove(out, f, len);
			out[len] = 0;
		}
	}
	/* a host name, or nothing: never a name with spaces or controls */
	if (len > 255)
		len = 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] <= ' ' || out[i] == 0x7f)
			len = 0;
	out[len] = 0;
	return len;
}

int ssl_srv_sni_private(const struct server *s)
{
	const struct ssl_srv_rt *r = s->ssl_rt;

	return r && (r->sni.fetch == SNIF_HDR || r->sni.fetch == SNIF_FC_SNI);
}

/* ---- connections ------------------------------------------------------------------ */

int ssl_conn_connect(struct conn *c, struct server *s, const char *sni, int tid)
{
	struct ssl_srv_rt *r = s->ssl_rt;
	SSL *ssl;

	if (!r)
		return -1;
	pthread_rwlock_rdlock(&r->lock);
	ssl = SSL_new(r->ctx);
	pthread_rwlock_unlock(&r->lock);
	if (!ssl) {
		ERR_clear_error();
		return -1;
	}
	if (sni && *sni)
		SSL_set_tlsext_host_name(ssl, sni);
	if (r->verify == TLS_VFY_REQUIRED) {
		const char *host = sni && *sni ? sni : s->ssl_verifyhost;

		if (host) {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			SSL_set1_host(ssl, host);
		}
	}
	if (!s->ssl_no_reuse && r->thr && tid >= 0 && tid < r->nthr && r->thr[tid].sess &&
	    !strcmp(r->thr[tid].sni, sni ? sni : ""))
		SSL_set_session(ssl, r->thr[tid].sess);
	ERR_clear_error();
	if (xprt_ssl_attach(c, ssl, 1, r, tid) < 0)
		return -1;
	if (ssl_srv_sni_private(s))
		c->flags |= CF_PRIVATE;
	return 0;
}

void ssl_srv_hs_done(struct server *s, const struct conn *c)
{
	CTR_ADD(s->ctr->ssl_sess, 1);
	CTR_ADD(s->be->be_ctr->ssl_sess, 1);
	if (ssl_conn_resumed(c)) {
		CTR_ADD(s->ctr->ssl_reused, 1);
		CTR_ADD(s->be->be_ctr->ssl_reused, 1);
	}
}

void ssl_srv_hs_failed(struct server *s, const struct conn *c)
{
	struct ssl_srv_rt *r = s->ssl_rt;
	const struct ssl_xprt *x = xprt_ssl_ctx(c);
	uint64_t now = clock_wall_us() / 1000000, last;
	char msg[128], detail[256];

	CTR_ADD(s->ctr->ssl_failed, 1);
	CTR_ADD(s->be->be_ctr->ssl_failed, 1);
	if (!r)
		return;
	/* a session that led to a failure is not offered again */
	if (x && r->thr && x->tid >= 0 && x->tid < r->nthr && r->thr[x->tid].sess) {
		SSL_SESSION_free(r->thr[x->tid].sess);
		r->thr[x->tid].sess = NULL;
	}
	last = __atomic_load_n(&r->fail_log_s, __ATOMIC_RELAXED);
	if (now <= last || !__atomic_compare_exchange_n(&r->fail_log_s, &last, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&r->fail_quiet, 1, __ATOMIC_RELAXED);
		return;
	}
	ssl_conn_hs_error(c, 0, msg, sizeof(msg), detail, sizeof(detail));
	{
		unsigned quiet = __atomic_exchange_n(&r->fail_quiet, 0, __ATOMIC_RELAXED);
		char more[64] = "";

		if (quiet)
			snprintf(more, sizeof(more), " (and %u more not logged)", quiet);
		log_event(LL_WARNING, "Server %s/%s: %s%s%s%s%s.", s->be->id, s->id,
			  msg, *detail ? " (" : "", detail, *detail ? ")" : "", more);
	}
}
