/* Preparing a configuration's TLS (in the master, after parsing): global
 * defaults applied to binds and servers, certificates, crt-lists, CA and
 * CRL files, DH parameters and ticket keys loaded, every context built.
 * Any failure is a configuration error with the bind or server line; an
 * expired certificate, an OCSP response that does not fit, a protocol in
 * `alpn` tandem does not speak, kTLS asked for where the kernel has none:
 * warnings. The worker takes it from there (ssl_worker_init). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <tandem/log.h>
#include <tandem/xprt_ssl.h>
#include <tandem/check.h>
#include "ssl_int.h"

/* Does the kernel offer the "tls" upper layer protocol (kTLS)? */
static int ktls_available(void)
{
	char buf[256] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	char *tok, *save = NULL;

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, "tls"))
			return 1;
	return 0;
}

/* ca-file, ca-verify-file, crl-file relative to ca-base. */
static int ca_paths(struct ssl_opts *o, const char *base)
{
	char **v[] = { &o->ca_file, &o->ca_verify_file, &o->crl_file };

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		if (!*v[k] || **v[k] == '/' || **v[k] == '@')
			continue;
		if (ssl_path_rebase(v[k], base) < 0)
			return -1;
	}
	return 0;
}

static void alpn_warning(struct ssl_msgs *m, const char *what, const char *list)
{
	char dropped[256];
	char *keep = ssl_alpn_http1(list, dropped, sizeof(dropped));

	if (keep && *dropped)
		ssl_warn(m, "%s: 'alpn %s': tandem speaks HTTP/1.1 only, so %s %s not offered (such clients use "
			 "http/1.1)%s.", what, list, dropped, strchr(dropped, ',') ? "are" : "is",
			 *keep ? "" : "; no ALPN protocol is left");
	free(keep);
}

static int any_tls(const struct cfg *cfg)
{
	const struct list *pl, *l;

	list_for_each(pl, &cfg->proxies) {
		const struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(l, &px->binds)
			if (list_entry(l, struct bind_conf, link)->ssl)
				return 1;
		list_for_each(l, &px->servers) {
			const struct server *s = list_entry(l, struct server, link);

			if (s->use_ssl || ssl_srv_check_ssl(s) || chk_srv_tls_rules(s))
				return 1;
		}
	}
	return 0;
}

int ssl_cfg_prepare(struct cfg *cfg, const struct ssl_report *r)
{
	struct ssl_msgs m = { .r = r };
	struct ssl_global *g = &cfg->g.ssl;
	struct ssl_cfg_rt *rt;
	struct list *pl, *l;
	int ktls = -1;

	if (!any_tls(cfg))
		return 0;
	if (ssl_lib_init() < 0) {
		ssl_err(&m, "cannot initialise OpenSSL.");
		return m.nerr;
	}
	if (!(rt = calloc(1, sizeof(*rt)))) {
		ssl_err(&m, "out of memory");
		return m.nerr;
	}
	rt->cfg = cfg;
	list_init(&rt->ckchs);
	list_init(&rt->crtlists);
	list_init(&rt->tkeys);
	pthread_rwlock_init(&rt->lock, NULL);
	cfg->ssl = rt;
	if (g->dh_param_file) {
		m.line = g->dh_line;
		ssl_load_dh_file(g->dh_param_file, &rt->dh_global, &m);
	}
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(l, &px->binds) {
			struct bind_conf *bc = list_entry(l, struct bind_conf, link);
			struct ssl_bind_conf *sc = bc->ssl;

			if (!sc || sc->rt || px->disabled)
				continue;
			m.line = sc->line;
			if (!sc->ssl) {
				if (sc->ncrts)
					ssl_warn(&m, "%s: 'crt' and 'crt-list' have no effect without 'ssl'.", sc->where);
				continue;
			}
			if (ssl_opts_fill(&sc->o, &g->bind_def) < 0 || ca_paths(&sc->o, g->ca_base) < 0) {
				ssl_err(&m, "out of memory");
				continue;
			}
			if (!sc->force_ver)
				sc->force_ver = g->bind_force;
			if ((sc->o.set & (SSLS_MIN | SSLS_MAX)) && (sc->o.flags & SSLO_NO_VERS))
				ssl_warn(&m, "no-sslv3/no-tlsv1x are ignored for %s. Use only 'ssl-min-ver' and "
					 "'ssl-max-ver' to fix.", sc->where);
			if (sc->o.alpn && px->mode == PR_MODE_HTTP)
				alpn_warning(&m, sc->where, sc->o.alpn);
			if ((sc->o.flags & SSLO_KTLS) && !(sc->o.flags & SSLO_NO_KTLS)) {
				if (ktls < 0)
					ktls = ktls_available();
				if (!ktls)
					ssl_warn(&m, "%s: 'ktls on': this kernel offers no kernel TLS ('tls' is not in "
						 "/proc/sys/net/ipv4/tcp_available_ulp): OpenSSL's record layer is used.", sc->where);
			}
			ssl_bind_build(rt, bc, &m);
		}
		list_for_each(l, &px->servers) {
			struct server *s = list_entry(l, struct server, link);
			char what[512];

			if (!s->use_ssl && !ssl_srv_check_ssl(s) && !chk_srv_tls_rules(s))
				continue;
			m.line = s->line;
			snprintf(what, sizeof(what), "'server %s/%s'", px->id, s->id);
			if (s->ssl_alpn && px->mode == PR_MODE_HTTP)
				alpn_warning(&m, what, s->ssl_alpn);
			if ((s->ssl_min_ver || s->ssl_max_ver || (g->srv_def.set & (SSLS_MIN | SSLS_MAX))) &&
			    ((s->ssl_flags | g->srv_def.flags) & SSLO_NO_VERS))
				ssl_warn(&m, "no-sslv3/no-tlsv1x are ignored for %s. Use only 'ssl-min-ver' and "
					 "'ssl-max-ver' to fix.", what);
			if (s->check_alpn && px->mode == PR_MODE_HTTP)
				alpn_warning(&m, what, s->check_alpn);
			if ((s->ssl_flags & SSLO_KTLS) && !(s->ssl_flags & SSLO_NO_KTLS)) {
				if (ktls < 0)
					ktls = ktls_available();
				if (!ktls)
					ssl_warn(&m, "%s: 'ktls on': this kernel offers no kernel TLS: OpenSSL's record "
						 "layer is used.", what);
			}
			ssl_srv_build(rt, s, g, &m);
		}
	}
	ERR_clear_error();
	return m.nerr;
}

void ssl_cfg_release(struct cfg *cfg)
{
	struct ssl_cfg_rt *rt = cfg ? cfg->ssl : NULL;
	struct list *pl, *l;

	if (!rt)
		return;
	/* contexts first: they point into the store */
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(l, &px->binds) {
			struct bind_conf *bc = list_entry(l, struct bind_conf, link);

			if (bc->ssl && bc->ssl->rt) {
				ssl_bind_free(bc->ssl->rt);
				bc->ssl->rt = NULL;
			}
		}
		list_for_each(l, &px->servers)
			ssl_srv_release(list_entry(l, struct server, link));
	}
	while (!list_empty(&rt->crtlists))
		crtlist_free(list_entry(rt->crtlists.next, struct crtlist, link));
	while (!list_empty(&rt->ckchs))
		ckch_free(list_entry(rt->ckchs.next, struct ckch, link));
	while (!list_empty(&rt->tkeys))
		tkeys_free(list_entry(rt->tkeys.next, struct tkeys, link));
	EVP_PKEY_free(rt->dh_global);
	pthread_rwlock_destroy(&rt->lock);
	free(rt);
	cfg->ssl = NULL;
}

int ssl_worker_init(struct cfg *cfg, int nbthread)
{
	struct ssl_cfg_rt *rt = cfg->ssl;
	struct list *pl, *l;

	if (!rt)
		return 0;
	rt->nbthread = nbthread;
	xprt_ssl_maxrecord = cfg->g.ssl.maxrecord;
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(l, &px->servers) {
			struct ssl_srv_rt *r = list_entry(l, struct server, link)->ssl_rt;

			if (!r || r->thr)
				continue;
			if (!(r->thr = calloc((size_t)nbthread, sizeof(*r->thr)))) {
				log_event(LL_ALERT, "out of memory while preparing TLS sessions");
				return -1;
			}
			r->nthr = nbthread;
		}
	}
	tkeys_handover(rt);
	ssl_handover_import(rt);
	return 0;
}
