/* TLS keywords (doc/tls.md): the TLS options of `bind` lines, the global
 * crt-base, ca-base, ssl-default-*, ssl-dh-param-file, tune.ssl.* and
 * ssl-server-verify, and the handlers of the TLS rows of the server
 * keyword table (kw_server.c). Values are checked here (versions, ALPN
 * lists, sni expressions, option words); files are read and contexts built
 * once the whole file is parsed (src/ssl/ssl_cfg.c, from cfg_check), so
 * the global defaults apply wherever they are written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/ssl.h>
#include "cfg_int.h"
#include "kw_ssl.h"

#define G (&ctx->cfg->g)
#define GS (&ctx->cfg->g.ssl)

/* ---- bind -------------------------------------------------------------------- */

static int add_src(struct cfg_ctx *ctx, struct ssl_bind_conf *sc, int type, const char *path)
{
	struct ssl_crt_src *v = realloc(sc->crts, sizeof(*v) * (size_t)(sc->ncrts + 1));

	if (!v)
		return cfg_err(ctx, "out of memory");
	sc->crts = v;
	v[sc->ncrts].type = type;
	if (!(v[sc->ncrts].path = strdup(path)))
		return cfg_err(ctx, "out of memory");
	sc->ncrts++;
	return 0;
}

int cfg_bind_ssl_kw(struct cfg_ctx *ctx, struct ssl_bind_conf **scp, const char *addr, char **args, int i, int nargs)
{
	const char *w = args[i], *v = i + 1 < nargs ? args[i + 1] : NULL, *why;
	struct ssl_bind_conf *sc = *scp;
	char err[512];
	int r, force = 0;

	if ((why = ssl_opt_refused(w)))
		return cfg_err(ctx, "'bind %s' : '%s' %s.", addr, w, why);
	if (strcmp(w, "ssl") && strcmp(w, "crt") && strcmp(w, "crt-list") && strcmp(w, "tls-ticket-keys")) {
		struct ssl_opts probe = { 0 };
		char *pargs[3] = { (char *)w, (char *)(v ? v : ""), NULL };

		/* not a TLS word at all: let the caller report it */
		r = ssl_opt_word(&probe, &force, SSLP_BIND, pargs, 0, v ? 2 : 1, err, sizeof(err));
		ssl_opts_free(&probe);
		if (r == 0)
			return 0;
	}
	if (!sc) {
		if (!(sc = ssl_bind_conf_new()))
			return cfg_err(ctx, "out of memory");
		sc->file = ctx->file;
		sc->line = ctx->line;
		if (asprintf(&sc->where, "bind '%s'", addr) < 0) {
			sc->where = NULL;
			ssl_bind_conf_release(sc);
			return cfg_err(ctx, "out of memory");
		}
		*scp = sc;
	}
	if (!strcmp(w, "ssl")) {
		sc->ssl = 1;
		return 1;
	}
	if (!strcmp(w, "crt") || !strcmp(w, "crt-list") || !strcmp(w, "tls-ticket-keys")) {
		if (!v || !*v)
			return cfg_err(ctx, "'bind %s' : '%s' : missing %s path.", addr, w,
				       !strcmp(w, "crt") ? "certificate" : !strcmp(w, "crt-list") ? "crt-list file" : "keys file");
		if (!strcmp(w, "tls-ticket-keys")) {
			free(sc->tls_ticket_keys);
			if (!(sc->tls_ticket_keys = strdup(v)))
				return cfg_err(ctx, "out of memory");
			return 2;
		}
		if (add_src(ctx, sc, !strcmp(w, "crt") ? SSL_CRT_FILE : SSL_CRT_LIST, v) < 0)
			return -1;
		return 2;
	}
	r = ssl_opt_word(&sc->o, &force, SSLP_BIND, args, i, nargs, err, sizeof(err));
	if (r < 0)
		return cfg_err(ctx, "'bind %s' : %s.", addr, err);
	if (force)
		sc->force_ver = force;
	return r;
}

/* ---- global ------------------------------------------------------------------- */

static int set_path(struct cfg_ctx *ctx, char **dst, char **args, int nargs)
{
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects a directory path as an argument.", args[0]);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (*dst) {
		cfg_warn(ctx, "'%s' already specified. Continuing.", args[0]);
		return 0;
	}
	return cfg_strdup(ctx, dst, args[1]);
}

/* ssl-default-{bind,server}-{ciphers,ciphersuites,curves,options} */
static int gkw_ssl_default(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *kw = args[0];
	int bind = !strncmp(kw, "ssl-default-bind-", 17);
	const char *what = kw + (bind ? 17 : 19);
	struct ssl_opts *o = bind ? &GS->bind_def : &GS->srv_def;
	char err[512];

	if (!strcmp(what, "options")) {
		int *force = bind ? &GS->bind_force : &GS->srv_force;

		for (int i = 1; i < nargs;) {
			int r = ssl_opt_word(o, force, bind ? SSLP_DEFBIND : SSLP_DEFSRV, args, i, nargs, err, sizeof(err));

			if (r < 0)
				return cfg_err(ctx, "%s on global statement '%s'.", err, kw);
			if (!r)
				return cfg_err(ctx, "unknown option '%s' on global statement '%s'.", args[i], kw);
			i += r;
		}
		return 0;
	}
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "global statement '%s' expects a %s as an argument.", kw,
			       !strcmp(what, "curves") ? "curves list" : "cipher suite");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (!strcmp(what, "ciphers")) {
		if (cfg_strdup(ctx, &o->ciphers, args[1]) < 0)
			return -1;
		o->set |= SSLS_CIPHERS;
	} else if (!strcmp(what, "ciphersuites")) {
		if (cfg_strdup(ctx, &o->ciphersuites, args[1]) < 0)
			return -1;
		o->set |= SSLS_SUITES;
	} else if (!strcmp(what, "curves")) {
		if (cfg_strdup(ctx, &o->curves, args[1]) < 0)
			return -1;
		o->set |= SSLS_CURVES;
	} else {
		return cfg_err(ctx, "unknown keyword '%s' in 'global' section", kw);
	}
	return 0;
}

int cfg_gkw_ssl(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *kw = args[0];
	long long v;

	if (!strcmp(kw, "crt-base"))
		return set_path(ctx, &GS->crt_base, args, nargs);
	if (!strcmp(kw, "ca-base"))
		return set_path(ctx, &GS->ca_base, args, nargs);
	if (!strncmp(kw, "ssl-default-", 12))
		return gkw_ssl_default(ctx, args, nargs);
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects an argument.", kw);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (!strcmp(kw, "ssl-dh-param-file")) {
		GS->dh_file = ctx->file;
		GS->dh_line = ctx->line;
		return cfg_strdup(ctx, &GS->dh_param_file, args[1]);
	}
	if (!strcmp(kw, "ssl-server-verify")) {
		if (!strcmp(args[1], "none"))
			GS->server_verify = TLS_VFY_NONE;
		else if (!strcmp(args[1], "required"))
			GS->server_verify = TLS_VFY_REQUIRED;
		else
			return cfg_err(ctx, "'%s' expects 'none' or 'required' as argument.", kw);
		return 0;
	}
	if (!strcmp(kw, "tune.ssl.default-dh-param")) {
		if (cfg_parse_int(args[1], 1024, 16384, &v) < 0)
			return cfg_err(ctx, "'%s' expects an integer >= 1024.", kw);
		if (v < 2048)
			cfg_warn(ctx, "'%s %lld': OpenSSL 3 refuses DH groups smaller than 2048 bits at its default "
				 "security level: 2048 is used.", kw, v);
		GS->default_dh_param = (int)v;
		return 0;
	}
	if (!strcmp(kw, "tune.ssl.cachesize")) {
		if (cfg_parse_int(args[1], 0, 100000000, &v) < 0)
			return cfg_err(ctx, "'%s' expects a positive integer.", kw);
		GS->cachesize = (int)v;
		return 0;
	}
	if (!strcmp(kw, "tune.ssl.maxrecord")) {
		if (cfg_parse_int(args[1], 0, 16384, &v) < 0)
			return cfg_err(ctx, "'%s' expects a positive integer (at most 16384).", kw);
		GS->maxrecord = (uint32_t)v;
		return 0;
	}
	if (!strcmp(kw, "tune.ssl.lifetime")) {
		uint32_t ms;

		/* seconds by default, as HAProxy reads it */
		if (cfg_parse_int(args[1], 0, 2147483, &v) == 0) {
			GS->lifetime = (uint32_t)v;
			return 0;
		}
		if (cfg_time_ex(args[1], &ms) < 0)
			return cfg_err(ctx, "'%s' expects a time in seconds (got '%s').", kw, args[1]);
		GS->lifetime = ms / 1000;
		return 0;
	}
	if (!strcmp(kw, "ssl-load-extra-files")) {
		/* "all" is what tandem always does; other choices are not offered */
		for (int i = 1; i < nargs; i++)
			if (strcmp(args[i], "all"))
				return cfg_err(ctx, "'%s %s' is not supported by tandem: it always looks for FILE.key, "
					       "FILE.ocsp, FILE.issuer and bundles ('all').", kw, args[i]);
		return 0;
	}
	return cfg_err(ctx, "unknown keyword '%s' in 'global' section", kw);
}

/* ---- server keywords (rows in kw_server.c) -------------------------------------- */

static int set_sstr(struct srv_kw_ctx *c, char **dst, const char *val)
{
	char *n = val ? strdup(val) : NULL;

	if (val && !n)
		return srv_kw_err(c, "out of memory");
	free(*dst);
	*dst = n;
	return 0;
}

int skw_ssl_flag(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	int ver;

	(void)c; (void)val;
	if (!strcmp(kw, "ssl"))
		s->use_ssl = 1;
	else if (!strcmp(kw, "no-ssl"))
		s->use_ssl = 0;
	else if (!strcmp(kw, "check-ssl"))
		s->check_ssl = 1;
	else if (!strcmp(kw, "no-check-ssl"))
		s->check_ssl = 0;
	else if (!strcmp(kw, "no-ssl-reuse"))
		s->ssl_no_reuse = 1;
	else if (!strcmp(kw, "ssl-reuse"))
		s->ssl_no_reuse = 0;
	else if (!strcmp(kw, "no-tls-tickets"))
		s->ssl_flags |= SSLO_NO_TICKETS;
	else if (!strcmp(kw, "tls-tickets"))
		s->ssl_flags &= ~SSLO_NO_TICKETS;
	else if (!strcmp(kw, "no-verifyhost"))
		return set_sstr(c, &s->ssl_verifyhost, NULL);
	else if (!strncmp(kw, "no-", 3) && (ver = ssl_ver_parse(!strcmp(kw, "no-sslv3") ? "SSLv3" :
		 !strcmp(kw, "no-tlsv10") ? "TLSv1.0" : !strcmp(kw, "no-tlsv11") ? "TLSv1.1" :
		 !strcmp(kw, "no-tlsv12") ? "TLSv1.2" : "TLSv1.3")) > 0)
		s->ssl_flags |= SSLO_NO_VER(ver);
	else if (!strncmp(kw, "force-", 6) && (ver = ssl_ver_parse(!strcmp(kw, "force-sslv3") ? "SSLv3" :
		 !strcmp(kw, "force-tlsv10") ? "TLSv1.0" : !strcmp(kw, "force-tlsv11") ? "TLSv1.1" :
		 !strcmp(kw, "force-tlsv12") ? "TLSv1.2" : "TLSv1.3")) > 0)
		s->ssl_force_ver = ver;
	return 0;
}

int skw_ssl_verify(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	(void)kw;
	if (!strcmp(val, "none"))
		s->ssl_verify = TLS_VFY_NONE;
	else if (!strcmp(val, "required"))
		s->ssl_verify = TLS_VFY_REQUIRED;
	else
		return srv_kw_err(c, "verify: unknown verify method '%s', only 'none' and 'required' are supported.", val);
	return 0;
}

int skw_ssl_ver(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	int v = ssl_ver_parse(val);

	if (v < 0)
		return srv_kw_err(c, "'%s' : unknown ssl/tls version '%s' (SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3).", kw, val);
	if (!strcmp(kw, "ssl-min-ver"))
		s->ssl_min_ver = v;
	else
		s->ssl_max_ver = v;
	return 0;
}

int skw_ssl_str(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	char err[512];

	if (!strcmp(kw, "ca-file"))
		return set_sstr(c, &s->ssl_ca_file, val);
	if (!strcmp(kw, "crl-file"))
		return set_sstr(c, &s->ssl_crl_file, val);
	if (!strcmp(kw, "crt"))
		return set_sstr(c, &s->ssl_crt, val);
	if (!strcmp(kw, "verifyhost"))
		return set_sstr(c, &s->ssl_verifyhost, val);
	if (!strcmp(kw, "ciphers"))
		return set_sstr(c, &s->ssl_ciphers, val);
	if (!strcmp(kw, "ciphersuites"))
		return set_sstr(c, &s->ssl_ciphersuites, val);
	if (!strcmp(kw, "check-sni"))
		return set_sstr(c, &s->check_sni, val);
	if (!strcmp(kw, "sni")) {
		if (ssl_sni_expr_check(val, err, sizeof(err)) < 0)
			return srv_kw_err(c, "%s.", err);
		return set_sstr(c, &s->ssl_sni, val);
	}
	if (!strcmp(kw, "alpn") || !strcmp(kw, "check-alpn")) {
		if (ssl_alpn_check(val, err, sizeof(err)) < 0)
			return srv_kw_err(c, "'%s' : invalid protocol list '%s' (comma-separated names of 1 to 255 bytes).",
					  kw, val);
		return set_sstr(c, *kw == 'a' ? &s->ssl_alpn : &s->check_alpn, val);
	}
	if (!strcmp(kw, "ktls")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return srv_kw_err(c, "'ktls' expects 'on' or 'off'.");
		s->ssl_flags &= ~(SSLO_KTLS | SSLO_NO_KTLS);
		s->ssl_flags |= !strcmp(val, "on") ? SSLO_KTLS : SSLO_NO_KTLS;
		return 0;
	}
	return srv_kw_err(c, "unknown keyword '%s'.", kw);
}
