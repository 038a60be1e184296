/* Building OpenSSL contexts from the configuration, HAProxy's way:
 *
 *   - a bind has an initial context without certificate: it holds the
 *     session cache (shared by every thread of the worker), the ticket
 *     key callback and the ClientHello callback that picks the
 *     certificate (ssl_bind.c) and switches the handshake to that
 *     certificate's context;
 *   - each certificate served by a bind (a `crt` file, a crt-list line)
 *     gets its own context with the bind's options and the line's on top:
 *     ciphers, curves, versions, client verification, ALPN, OCSP;
 *   - OpenSSL copies some settings into the SSL object when it is made,
 *     not when its context changes: ssl_switch_ctx() applies those (verify
 *     mode, CA names, versions, curves) after the switch.
 *
 * Every context carries a struct ctx_extra (ex_data) that holds a
 * reference to the certificate data it was built from, freed with the
 * context: a handshake in flight keeps what it uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <tandem/xprt_ssl.h>
#include "ssl_int.h"

int ssl_idx_extra = -1;
int ssl_idx_crt = -1;

static void extra_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct ctx_extra *e = ptr;

	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (!e)
		return;
	ckch_data_unref(e->d);
	free(e->alpn);
	free(e->curves);
	free(e);
}

/* The client certificate kept by ssl_verify_cb, released with its SSL. */
static void crt_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	X509_free(ptr);
}

int ssl_lib_init(void)
{
	static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&mtx);
	if (ssl_idx_extra < 0)
		ssl_idx_extra = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, extra_free);
	if (ssl_idx_crt < 0)
		ssl_idx_crt = SSL_get_ex_new_index(0, NULL, NULL, NULL, crt_free);
	pthread_mutex_unlock(&mtx);
	return ssl_idx_extra < 0 || ssl_idx_crt < 0 ? -1 : 0;
}

int ssl_ver_openssl(int v)
{
	switch (v) {
	case TLSV_SSL3: return SSL3_VERSION;
	case TLSV_10:   return TLS1_VERSION;
	case TLSV_11:   return TLS1_1_VERSION;
	case TLSV_12:   return TLS1_2_VERSION;
	case TLSV_13:   return TLS1_3_VERSION;
	default:        return 0;
	}
}

int ssl_alpn_wire(const char *list, unsigned char **out, size_t *len)
{
	size_t n = strlen(list);
	unsigned char *w, *o;
	const char *p = list;

	*out = NULL;
	*len = 0;
	if (!n)
		return 0;
	if (!(w = malloc(n + 1)))
		return -1;
	o = w;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l && l < 256) {
			*o++ = (unsigned char)l;
			memcpy(o, p, l);
			o += l;
		}
		p += l + (e ? 1 : 0);
	}
	*out = w;
	*len = (size_t)(o - w);
	return 0;
}

/* ---- shared settings -------------------------------------------------------- */

/* The versions a context allows: [min, max] from ssl-min-ver/ssl-max-ver
 * (default TLSv1.2..TLSv1.3) or force-*, minus the no-* ones. A hole in the
 * middle (no-tlsv11 between 1.0 and 1.2) cannot be expressed: the range
 * keeps its upper part, with a warning. 0, or -1 when nothing is left. */
static int versions(const struct ssl_opts *o, int force, int *min, int *max, struct ssl_msgs *m, const char *what)
{
	int lo = (o->set & SSLS_MIN) && o->min_ver ? o->min_ver : TLSV_12;
	int hi = (o->set & SSLS_MAX) && o->max_ver ? o->max_ver : TLSV_13;
	struct ssl_opts tmp;

	if (force)
		lo = hi = force;
	/* HAProxy: with ssl-min-ver or ssl-max-ver, the no-* words are ignored
	 * (ssl_cfg.c warns once per line) */
	if (o->set & (SSLS_MIN | SSLS_MAX)) {
		tmp = *o;
		tmp.flags &= ~SSLO_NO_VERS;
		o = &tmp;
	}
	while (lo <= hi && (o->flags & SSLO_NO_VER(lo)))
		lo++;
	while (hi >= lo && (o->flags & SSLO_NO_VER(hi)))
		hi--;
	if (lo > hi) {
		ssl_err(m, "all SSL/TLS versions are disabled for %s.", what);
		return -1;
	}
	for (int v = hi - 1; v > lo; v--)
		if (o->flags & SSLO_NO_VER(v)) {
			ssl_warn(m, "%s: %s is disabled between enabled versions: only %s to %s are used.", what,
				 ssl_ver_name(v), ssl_ver_name(v + 1), ssl_ver_name(hi));
			lo = v + 1;
			break;
		}
	*min = lo;
	*max = hi;
	return 0;
}

/* Options, modes, versions (unless <any_ver>: every version OpenSSL has),
 * ciphers and curves. */
static int common_setup(SSL_CTX *ctx, const struct ssl_opts *o, int force, int server, struct ssl_msgs *m,
			const char *what, int any_ver)
{
	uint64_t opts = SSL_OP_ALL | SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION |
			SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
	int lo, hi;

	if (server) {
		opts |= SSL_OP_PRIORITIZE_CHACHA;
		if (!(o->flags & SSLO_PREFER_CLI))
			opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
	}
	if (o->flags & SSLO_NO_TICKETS)
		opts |= SSL_OP_NO_TICKET;
	if ((o->flags & SSLO_KTLS) && !(o->flags & SSLO_NO_KTLS))
		opts |= SSL_OP_ENABLE_KTLS;
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			 SSL_MODE_RELEASE_BUFFERS);
	/* read whole records (and what follows) in one recv(): fewer syscalls;
	 * not with kTLS, whose receive side wants the socket left alone */
	if (!(opts & SSL_OP_ENABLE_KTLS))
		SSL_CTX_set_read_ahead(ctx, 1);
	if (any_ver) {
		SSL_CTX_set_min_proto_version(ctx, 0);
		SSL_CTX_set_max_proto_version(ctx, 0);
		ERR_clear_error();
		return 0;
	}
	if (versions(o, force, &lo, &hi, m, what) < 0)
		return -1;
	if (!SSL_CTX_set_min_proto_version(ctx, ssl_ver_openssl(lo)) ||
	    !SSL_CTX_set_max_proto_version(ctx, ssl_ver_openssl(hi))) {
		char r[256];

		ssl_err(m, "%s: OpenSSL refuses the protocol range %s to %s (%s).", what, ssl_ver_name(lo),
			ssl_ver_name(hi), ssl_reason(r, sizeof(r)));
		return -1;
	}
	if (o->ciphers && !SSL_CTX_set_cipher_list(ctx, o->ciphers)) {
		ssl_err(m, "unable to set SSL cipher list to '%s' for %s.", o->ciphers, what);
		ERR_clear_error();
		return -1;
	}
	if (o->ciphersuites && !SSL_CTX_set_ciphersuites(ctx, o->ciphersuites)) {
		ssl_err(m, "unable to set TLS 1.3 cipher suites to '%s' for %s.", o->ciphersuites, what);
		ERR_clear_error();
		return -1;
	}
	if (o->curves) {
		if (!SSL_CTX_set1_groups_list(ctx, o->curves)) {
			ssl_err(m, "unable to set SSL curves list to '%s' for %s.", o->curves, what);
			ERR_clear_error();
			return -1;
		}
	} else if (o->ecdhe && !SSL_CTX_set1_groups_list(ctx, o->ecdhe)) {
		ssl_err(m, "unable to set elliptic named curve to '%s' for %s.", o->ecdhe, what);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

static const unsigned char sid_ctx[] = "tandem";

static struct ctx_extra *extra_attach(SSL_CTX *ctx)
{
	struct ctx_extra *e = calloc(1, sizeof(*e));

	if (e && !SSL_CTX_set_ex_data(ctx, ssl_idx_extra, e)) {
		free(e);
		e = NULL;
	}
	return e;
}

/* Load CA certificates into the context's store: a file, a directory
 * (every .pem, .crt, .cer and .crl in it), or "@system-ca". */
static int load_cas(SSL_CTX *ctx, const char *path, struct ssl_msgs *m, const char *kw)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	struct stat sb;
	char r[256];

	if (!strcmp(path, "@system-ca")) {
		if (!SSL_CTX_set_default_verify_paths(ctx)) {
			ssl_err(m, "'%s' : unable to load the system's CA certificates (%s).", kw, ssl_reason(r, sizeof(r)));
			return -1;
		}
		return 0;
	}
	if (ssl_plain_file(path, 1) < 0 || stat(path, &sb) < 0) {
		ssl_err(m, "'%s' : unable to load %s (%s).", kw, path, errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode) ? !X509_STORE_load_path(st, path) : !X509_STORE_load_file(st, path)) {
		ssl_err(m, "'%s' : unable to load %s (%s).", kw, path, ssl_reason(r, sizeof(r)));
		return -1;
	}
	return 0;
}

static int load_crl(SSL_CTX *ctx, const char *path, struct ssl_msgs *m)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());
	char r[256];

	if (ssl_plain_file(path, 0) < 0) {
		ssl_err(m, "'crl-file' : unable to load %s (%s).", path, errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	if (!lk || X509_load_crl_file(lk, path, X509_FILETYPE_PEM) <= 0) {
		ssl_err(m, "'crl-file' : unable to load %s (%s).", path, ssl_reason(r, sizeof(r)));
		return -1;
	}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

int ssl_load_dh_file(const char *path, EVP_PKEY **out, struct ssl_msgs *m)
{
	BIO *in;
	char r[256];

	if (ssl_plain_file(path, 0) < 0) {
		*out = NULL;
		ssl_err(m, "unable to load the DH parameters from '%s' (%s).", path,
			errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	in = BIO_new_file(path, "r");
	*out = in ? PEM_read_bio_Parameters(in, NULL) : NULL;
	BIO_free(in);
	if (!*out || EVP_PKEY_get_base_id(*out) != EVP_PKEY_DH) {
		EVP_PKEY_free(*out);
		*out = NULL;
		ssl_err(m, "unable to load the DH parameters from '%s' (%s).", path, ssl_reason(r, sizeof(r)));
		return -1;
	}
	return 0;
}

/* RFC 7919's group of at least <bits> (2048 minimum: OpenSSL 3's default
 * security level refuses smaller DH). */
static EVP_PKEY *ffdhe(int bits)
{
	const char *name = bits >= 8192 ? "ffdhe8192" : bits >= 6144 ? "ffdhe6144" : bits >= 4096 ? "ffdhe4096" :
			   bits >= 3072 ? "ffdhe3072" : "ffdhe2048";
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *pk = NULL;
	OSSL_PARAM p[2];

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
	p[1] = OSSL_PARAM_construct_end();
	if (pc && EVP_PKEY_paramgen_init(pc) > 0 && EVP_PKEY_CTX_set_params(pc, p) > 0)
		EVP_PKEY_paramgen(pc, &pk);
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return pk;
}

/* DHE parameters, HAProxy's order: the certificate file's, then
 * ssl-dh-param-file, then tune.ssl.default-dh-param (sized after the key,
 * at most that many bits); none of them: no DHE suites. */
static void set_dh(SSL_CTX *ctx, const struct ckch_data *d, const struct ssl_cfg_rt *rt, const struct ssl_global *g)
{
	EVP_PKEY *dh = NULL;

	if (d && d->dh && EVP_PKEY_up_ref(d->dh))
		dh = d->dh;
	else if (rt && rt->dh_global && EVP_PKEY_up_ref(rt->dh_global))
		dh = rt->dh_global;
	else if (g->default_dh_param) {
		int bits = g->default_dh_param;

		if (d && d->key && (d->key_type == EVP_PKEY_RSA || d->key_type == EVP_PKEY_DSA) &&
		    EVP_PKEY_get_bits(d->key) < bits)
			bits = EVP_PKEY_get_bits(d->key);
		dh = ffdhe(bits);
	}
	if (dh && !SSL_CTX_set0_tmp_dh_pkey(ctx, dh))
		EVP_PKEY_free(dh);
	ERR_clear_error();
}

/* ---- callbacks ----------------------------------------------------------------- */

/* Record the first certificate error and its depth (the handshake still
 * fails on it: OpenSSL's decision is kept). */
int ssl_verify_cb(int ok, X509_STORE_CTX *st)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ssl_xprt *x = ssl ? SSL_get_app_data(ssl) : NULL;

	if (!ok && x && !x->vfy_err) {
		x->vfy_err = X509_STORE_CTX_get_error(st);
		x->vfy_depth = X509_STORE_CTX_get_error_depth(st);
		/* a client's certificate that fails verification is never
		 * stored in the session: keep it so that error-log-format can
		 * name it (ssl_c_s_dn...), as HAProxy does */
		if (!(x->flags & XS_CLIENT) && ssl_idx_crt >= 0 && !SSL_get_ex_data(ssl, ssl_idx_crt)) {
			X509 *crt = X509_STORE_CTX_get0_cert(st);   /* the leaf being verified */

			if (crt && X509_up_ref(crt) && !SSL_set_ex_data(ssl, ssl_idx_crt, crt))
				X509_free(crt);
		}
	}
	return ok;
}

static int alpn_select_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
			  unsigned int inlen, void *arg)
{
	const struct ctx_extra *e = arg;
	unsigned char *sel;

	(void)s;
	if (!e || !e->alpn || !e->alpn_len)
		return SSL_TLSEXT_ERR_NOACK;
	/* our order first (server preference), as HAProxy does */
	if (SSL_select_next_proto(&sel, outlen, e->alpn, (unsigned int)e->alpn_len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* Acknowledge the server name when the client sent one (the ClientHello
 * callback already chose the certificate). */
static int servername_cb(SSL *s, int *al, void *arg)
{
	(void)al; (void)arg;
	return SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

void ssl_switch_ctx(SSL *ssl, SSL_CTX *ctx)
{
	const struct ctx_extra *e = SSL_CTX_get_ex_data(ctx, ssl_idx_extra);
	STACK_OF(X509_NAME) *cas = SSL_CTX_get_client_CA_list(ctx);

	SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), ssl_verify_cb);
	if (cas && sk_X509_NAME_num(cas))
		SSL_set_client_CA_list(ssl, SSL_dup_CA_list(cas));
	SSL_set_SSL_CTX(ssl, ctx);
	if (e) {
		if (e->min_ver)
			SSL_set_min_proto_version(ssl, e->min_ver);
		if (e->max_ver)
			SSL_set_max_proto_version(ssl, e->max_ver);
		if (e->curves)
			SSL_set1_groups_list(ssl, e->curves);
	}
	ERR_clear_error();
}

/* ---- binds ------------------------------------------------------------------------- */

/* Settings of the bind's initial context: its versions are the widest of
 * its certificates' (crt-list lines may allow more than the bind), set
 * exactly on the SSL once a certificate is chosen. */
SSL_CTX *ssl_ctx_bind_initial(struct ssl_bind_rt *b, const struct ssl_global *g, struct ssl_msgs *m)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const struct ssl_bind_conf *sc = b->sc;
	struct ssl_opts o = sc->o;
	struct ctx_extra *e;
	char r[256];

	if (!ctx) {
		ssl_err(m, "cannot create an SSL context (%s).", ssl_reason(r, sizeof(r)));
		return NULL;
	}
	o.ciphers = o.ciphersuites = o.curves = o.ecdhe = NULL;
	if (common_setup(ctx, &o, 0, 1, m, sc->where, 1) < 0 || !(e = extra_attach(ctx)))
		goto fail;
	if (g->cachesize) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
		SSL_CTX_sess_set_cache_size(ctx, (long)g->cachesize);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	SSL_CTX_set_timeout(ctx, (long)g->lifetime);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	SSL_CTX_set_client_hello_cb(ctx, ssl_client_hello_cb, b);
	SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
	if (b->tk)
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ssl_ticket_cb);
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *ssl_ctx_bind_inst(struct ssl_bind_rt *b, const struct ssl_opts *o, struct ckch_data *d,
			   struct ssl_cfg_rt *rt, const struct ssl_global *g, struct ssl_msgs *m)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = b->sc->where;
	struct ctx_extra *e;
	int verify = o->verify ? o->verify : TLS_VFY_NONE, lo, hi;
	char r[256];

	if (!ctx) {
		ssl_err(m, "cannot create an SSL context (%s).", ssl_reason(r, sizeof(r)));
		return NULL;
	}
	if (common_setup(ctx, o, b->sc->force_ver, 1, m, what, 0) < 0 || !(e = extra_attach(ctx)))
		goto fail;
	ckch_data_ref(d);
	e->d = d;
	versions(o, b->sc->force_ver, &lo, &hi, &(struct ssl_msgs){ 0 }, what);
	e->min_ver = ssl_ver_openssl(lo);
	e->max_ver = ssl_ver_openssl(hi);
	if (o->curves && !(e->curves = strdup(o->curves)))
		goto oom;
	if (!o->curves && o->ecdhe && !(e->curves = strdup(o->ecdhe)))
		goto oom;
	if (!SSL_CTX_use_cert_and_key(ctx, d->cert, d->key, d->chain, 1)) {
		ssl_err(m, "unable to use the certificate of %s (%s).", what, ssl_reason(r, sizeof(r)));
		goto fail;
	}
	set_dh(ctx, d, rt, g);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	if (b->tk)
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ssl_ticket_cb);
	if (verify != TLS_VFY_NONE) {
		if (!o->ca_file && !o->ca_verify_file) {
			ssl_err(m, "verify is enabled but no CA file specified for %s.", what);
			goto fail;
		}
		if (o->ca_file && load_cas(ctx, o->ca_file, m, "ca-file") < 0)
			goto fail;
		if (o->ca_verify_file && load_cas(ctx, o->ca_verify_file, m, "ca-verify-file") < 0)
			goto fail;
		if (o->ca_file && !(o->flags & SSLO_NO_CA_NAMES) && strcmp(o->ca_file, "@system-ca")) {
			struct stat sb;
			STACK_OF(X509_NAME) *names = NULL;

			if (!stat(o->ca_file, &sb) && S_ISDIR(sb.st_mode)) {
				if ((names = sk_X509_NAME_new_null()))
					SSL_add_dir_cert_subjects_to_stack(names, o->ca_file);
			} else if (!ssl_plain_file(o->ca_file, 0)) {
				names = SSL_load_client_CA_file(o->ca_file);
			}
			if (names)
				SSL_CTX_set_client_CA_list(ctx, names);
		}
		if (o->crl_file && load_crl(ctx, o->crl_file, m) < 0)
			goto fail;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (verify == TLS_VFY_REQUIRED ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
				   ssl_verify_cb);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (d->ocsp_file) {
		SSL_CTX_set_tlsext_status_cb(ctx, ssl_ocsp_status_cb);
		SSL_CTX_set_tlsext_status_arg(ctx, d);
	}
	if (o->alpn) {
		char *use = b->bc->fe->mode == PR_MODE_HTTP ? ssl_alpn_http1(o->alpn, NULL, 0) : strdup(o->alpn);

		if (!use || ssl_alpn_wire(use, &e->alpn, &e->alpn_len) < 0) {
			free(use);
			goto oom;
		}
		free(use);
		if (e->alpn)
			SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, e);
	}
	ERR_clear_error();
	return ctx;
oom:
	ssl_err(m, "out of memory");
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

/* ---- servers -------------------------------------------------------------------------- */

/* The client context of connections to a server (and its TLS checks). */
SSL_CTX *ssl_srv_ctx_make(struct ssl_srv_rt *r, const struct server *s, const struct ssl_global *g,
			  struct ckch_data *crt, struct ssl_msgs *m)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct ssl_opts o = { 0 };
	struct ctx_extra *e;
	char what[512], rs[256];

	snprintf(what, sizeof(what), "server %s/%s", s->be ? s->be->id : "?", s->id ? s->id : "(default)");
	if (!ctx) {
		ssl_err(m, "cannot create an SSL context (%s).", ssl_reason(rs, sizeof(rs)));
		return NULL;
	}
	o.ciphers = s->ssl_ciphers ? s->ssl_ciphers : g->srv_def.ciphers;
	o.ciphersuites = s->ssl_ciphersuites ? s->ssl_ciphersuites : g->srv_def.ciphersuites;
	o.curves = g->srv_def.curves;
	o.flags = s->ssl_flags | g->srv_def.flags;
	if (s->ssl_min_ver || (g->srv_def.set & SSLS_MIN)) {
		o.set |= SSLS_MIN;
		o.min_ver = s->ssl_min_ver ? s->ssl_min_ver : g->srv_def.min_ver;
	}
	if (s->ssl_max_ver || (g->srv_def.set & SSLS_MAX)) {
		o.set |= SSLS_MAX;
		o.max_ver = s->ssl_max_ver ? s->ssl_max_ver : g->srv_def.max_ver;
	}
	if (common_setup(ctx, &o, s->ssl_force_ver ? s->ssl_force_ver : g->srv_force, 0, m, what, 0) < 0 ||
	    !(e = extra_attach(ctx)))
		goto fail;
	if (crt) {
		ckch_data_ref(crt);
		e->d = crt;
		if (!SSL_CTX_use_cert_and_key(ctx, crt->cert, crt->key, crt->chain, 1)) {
			ssl_err(m, "unable to use the client certificate of %s (%s).", what, ssl_reason(rs, sizeof(rs)));
			goto fail;
		}
	}
	if (r->verify == TLS_VFY_REQUIRED) {
		if (!s->ssl_ca_file) {
			if (g->server_verify == TLS_VFY_REQUIRED && !s->ssl_verify)
				ssl_err(m, "'%s' : verify is enabled by default but no CA file specified. If you're running "
					"on a LAN where you're certain to trust the server's certificate, please set an explicit "
					"'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the "
					"global section to disable server-side verifications by default.", what);
			else
				ssl_err(m, "'%s' : verify is enabled but no CA file specified.", what);
			goto fail;
		}
		if (load_cas(ctx, s->ssl_ca_file, m, "ca-file") < 0)
			goto fail;
		if (s->ssl_crl_file && load_crl(ctx, s->ssl_crl_file, m) < 0)
			goto fail;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, ssl_verify_cb);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (s->ssl_alpn) {
		char *use = s->be && s->be->mode == PR_MODE_HTTP ? ssl_alpn_http1(s->ssl_alpn, NULL, 0) : strdup(s->ssl_alpn);

		if (!use || ssl_alpn_wire(use, &e->alpn, &e->alpn_len) < 0) {
			free(use);
			ssl_err(m, "out of memory");
			goto fail;
		}
		free(use);
		if (e->alpn_len && SSL_CTX_set_alpn_protos(ctx, e->alpn, (unsigned int)e->alpn_len)) {
			ssl_err(m, "unable to set ALPN for %s.", what);
			goto fail;
		}
	}
	/* sessions: OpenSSL keeps none itself; each thread keeps the last one it
	 * got per server (ssl_srv.c), offered by its next connection */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	if (!s->ssl_no_reuse)
		SSL_CTX_sess_set_new_cb(ctx, ssl_srv_new_sess_cb);
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}
