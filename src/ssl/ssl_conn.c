/* TLS on one connection: putting the transport under an accepted client
 * connection, what a handshake left (resumed or not; why it failed, in
 * HAProxy's words), and the accessors behind the ssl_fc*, ssl_c_* and
 * ssl_f_* sample fetches (include/tandem/ssl.h documents each). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <tandem/conn_err.h>
#include <tandem/xprt_ssl.h>
#include "ssl_int.h"

int ssl_conn_accept(struct conn *c, struct bind_conf *b, int tid)
{
	struct ssl_bind_rt *r = b->ssl ? b->ssl->rt : NULL;
	SSL *ssl;

	if (!r || !(ssl = SSL_new(r->initial))) {
		ERR_clear_error();
		return -1;
	}
	return xprt_ssl_attach(c, ssl, 0, r, tid);
}

static SSL *ssl_of(const struct conn *c)
{
	const struct ssl_xprt *x = xprt_ssl_ctx(c);

	return x ? x->ssl : NULL;
}

int ssl_conn_resumed(const struct conn *c)
{
	SSL *ssl = ssl_of(c);

	return ssl && SSL_session_reused(ssl);
}

int ssl_hse_co_err(int cls)
{
	switch (cls) {
	case SSL_HSE_EMPTY:    return CO_ER_SSL_EMPTY;
	case SSL_HSE_ABORT:    return CO_ER_SSL_ABORT;
	case SSL_HSE_TIMEOUT:  return CO_ER_SSL_TIMEOUT;
	case SSL_HSE_CRT_FAIL: return CO_ER_SSL_CRT_FAIL;
	case SSL_HSE_CA_FAIL:  return CO_ER_SSL_CA_FAIL;
	default:               return CO_ER_SSL_HANDSHAKE;   /* SSL_HSE_HANDSHAKE, or no class known */
	}
}

int ssl_conn_hs_error(const struct conn *c, int timed_out, char *msg, size_t msglen, char *detail, size_t dlen)
{
	const struct ssl_xprt *x = xprt_ssl_ctx(c);
	int cls = x ? x->err_class : SSL_HSE_NONE;

	if (cls == SSL_HSE_NONE && timed_out)
		cls = SSL_HSE_TIMEOUT;
	if (x && (x->flags & XS_CLIENT) && (cls == SSL_HSE_CRT_FAIL || cls == SSL_HSE_CA_FAIL))
		cls = SSL_HSE_HANDSHAKE;   /* our verification of a server: the detail says which */
	snprintf(msg, msglen, "%s", conn_err_str(ssl_hse_co_err(cls)));
	*detail = 0;
	if (!x)
		return cls;
	if (x->vfy_err)
		snprintf(detail, dlen, "%s%s", x->vfy_depth ? "" : "", X509_verify_cert_error_string(x->vfy_err));
	else if (x->err_code && ERR_reason_error_string(x->err_code))
		snprintf(detail, dlen, "%s", ERR_reason_error_string(x->err_code));
	else if (x->sys_err)
		snprintf(detail, dlen, "%s", strerror(x->sys_err));
	return cls;
}

/* ---- fetches ------------------------------------------------------------------ */

int ssl_fc(const struct conn *c)
{
	return xprt_ssl_ctx(c) != NULL;
}

const char *ssl_fc_sni(const struct conn *c)
{
	SSL *ssl = ssl_of(c);

	return ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

const char *ssl_fc_protocol(const struct conn *c)
{
	SSL *ssl = ssl_of(c);

	return ssl && SSL_is_init_finished(ssl) ? SSL_get_version(ssl) : NULL;
}

const char *ssl_fc_cipher(const struct conn *c)
{
	SSL *ssl = ssl_of(c);
	const SSL_CIPHER *ci = ssl ? SSL_get_current_cipher(ssl) : NULL;

	return ci ? SSL_CIPHER_get_name(ci) : NULL;
}

/* SSL_CIPHER_get_bits() returns the secret bits used (HAProxy's
 * use_keysize) and gives the algorithm's key size (alg_keysize). */
int ssl_fc_use_keysize(const struct conn *c)
{
	SSL *ssl = ssl_of(c);
	const SSL_CIPHER *ci = ssl ? SSL_get_current_cipher(ssl) : NULL;

	return ci ? SSL_CIPHER_get_bits(ci, NULL) : -1;
}

int ssl_fc_alg_keysize(const struct conn *c)
{
	SSL *ssl = ssl_of(c);
	const SSL_CIPHER *ci = ssl ? SSL_get_current_cipher(ssl) : NULL;
	int bits = -1;

	if (ci)
		SSL_CIPHER_get_bits(ci, &bits);
	return bits;
}

const unsigned char *ssl_fc_alpn(const struct conn *c, size_t *len)
{
	SSL *ssl = ssl_of(c);
	const unsigned char *p = NULL;
	unsigned int l = 0;

	if (ssl)
		SSL_get0_alpn_selected(ssl, &p, &l);
	*len = p ? l : 0;
	return p && l ? p : NULL;
}

int ssl_fc_session_reused(const struct conn *c)
{
	SSL *ssl = ssl_of(c);

	return ssl ? SSL_session_reused(ssl) != 0 : -1;
}

size_t ssl_fc_session_id(const struct conn *c, unsigned char *out, size_t outlen)
{
	SSL *ssl = ssl_of(c);
	SSL_SESSION *s = ssl ? SSL_get_session(ssl) : NULL;
	const unsigned char *id;
	unsigned int l = 0;

	if (!s)
		return 0;
	id = SSL_SESSION_get_id(s, &l);
	if (!l || l > outlen)
		return 0;
	memcpy(out, id, l);
	return l;
}

unsigned long ssl_fc_err(const struct conn *c)
{
	const struct ssl_xprt *x = xprt_ssl_ctx(c);

	return x ? x->err_code : 0;
}

size_t ssl_fc_err_str(const struct conn *c, char *out, size_t outlen)
{
	unsigned long e = ssl_fc_err(c);

	if (!e || !outlen)
		return 0;
	ERR_error_string_n(e, out, outlen);
	return strlen(out);
}

/* The peer's certificate (a reference to free): the session's, else, when
 * its verification failed the handshake, the one ssl_verify_cb kept
 * (HAProxy does the same: error-log-format can name a refused client). */
static X509 *peer_cert(SSL *ssl)
{
	X509 *x = SSL_get1_peer_certificate(ssl);

	if (!x && ssl_idx_crt >= 0 && (x = SSL_get_ex_data(ssl, ssl_idx_crt)))
		X509_up_ref(x);
	return x;
}

int ssl_c_used(const struct conn *c)
{
	SSL *ssl = ssl_of(c);
	X509 *x = ssl ? peer_cert(ssl) : NULL;

	X509_free(x);
	return x != NULL;
}

long ssl_c_verify(const struct conn *c)
{
	const struct ssl_xprt *x = xprt_ssl_ctx(c);

	/* no value until the handshake is done (HAProxy's: it may change) */
	if (!x || !SSL_is_init_finished(x->ssl))
		return -1;
	return x->vfy_err ? x->vfy_err : SSL_get_verify_result(x->ssl);
}

int ssl_c_err(const struct conn *c, int ca, int *depth)
{
	const struct ssl_xprt *x = xprt_ssl_ctx(c);

	*depth = 0;
	if (!x)
		return -1;
	if (!x->vfy_err || (ca ? x->vfy_depth == 0 : x->vfy_depth != 0))
		return 0;
	*depth = x->vfy_depth;
	return x->vfy_err;
}

/* The certificate of <c>: the peer's (a reference to free) or ours. */
static X509 *cert_of(const struct conn *c, int peer, int *owned)
{
	SSL *ssl = ssl_of(c);

	*owned = 0;
	if (!ssl)
		return NULL;
	if (peer) {
		*owned = 1;
		return peer_cert(ssl);
	}
	return SSL_get_certificate(ssl);
}

static void release(X509 *x, int owned)
{
	if (owned)
		X509_free(x);
}

size_t ssl_cert_dn(const struct conn *c, int peer, int issuer, char *out, size_t outlen)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	X509_NAME *n = x ? (issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x)) : NULL;
	size_t len = 0;

	if (n && outlen) {
		X509_NAME_oneline(n, out, (int)outlen);
		len = strlen(out);
	}
	release(x, owned);
	return len;
}

/* One entry of the name: the <occ>th (1 = first, -1 = last) whose short
 * name (or dotted OID when it has none) is <entry>, case ignored. */
size_t ssl_cert_dn_entry(const struct conn *c, int peer, int issuer, const char *entry, int occ,
			 char *out, size_t outlen)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	X509_NAME *n = x ? (issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x)) : NULL;
	int cnt = n ? X509_NAME_entry_count(n) : 0, step = occ < 0 ? -1 : 1, want = occ < 0 ? -occ : occ;
	size_t len = 0;

	if (!want)
		cnt = 0;   /* occurrence 0 is none (HAProxy) */
	for (int i = step > 0 ? 0 : cnt - 1; i >= 0 && i < cnt; i += step) {
		X509_NAME_ENTRY *ne = X509_NAME_get_entry(n, i);
		ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(ne);
		const ASN1_STRING *d = X509_NAME_ENTRY_get_data(ne);
		int nid = OBJ_obj2nid(obj);
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		char oid[80];

		if (!sn) {
			OBJ_obj2txt(oid, sizeof(oid), obj, 1);
			sn = oid;
		}
		if (strcasecmp(sn, entry) || --want > 0)
			continue;
		if ((size_t)ASN1_STRING_length(d) < outlen) {
			len = (size_t)ASN1_STRING_length(d);
			memcpy(out, ASN1_STRING_get0_data(d), len);
			out[len] = 0;
		}
		break;
	}
	release(x, owned);
	return len;
}

/* The name as RFC 2253 writes it ("CN=a.test,O=Example"), as HAProxy's
 * "rfc2253" format: OpenSSL's printer with XN_FLAG_RFC2253. */
size_t ssl_cert_dn_rfc2253(const struct conn *c, int peer, int issuer, char *out, size_t outlen)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	X509_NAME *n = x ? (issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x)) : NULL;
	BIO *b = n ? BIO_new(BIO_s_mem()) : NULL;
	size_t len = 0;

	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		char *p;
		long l = BIO_get_mem_data(b, &p);

		if (l > 0 && (size_t)l < outlen) {
			memcpy(out, p, (size_t)l);
			out[l] = 0;
			len = (size_t)l;
		}
	}
	BIO_free(b);
	release(x, owned);
	return len;
}

size_t ssl_cert_serial(const struct conn *c, int peer, unsigned char *out, size_t outlen)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	const ASN1_INTEGER *sn = x ? X509_get0_serialNumber(x) : NULL;
	size_t len = 0;

	if (sn && (size_t)ASN1_STRING_length(sn) <= outlen) {
		len = (size_t)ASN1_STRING_length(sn);
		memcpy(out, ASN1_STRING_get0_data(sn), len);
	}
	release(x, owned);
	return len;
}

size_t ssl_cert_date(const struct conn *c, int peer, int not_after, char *out, size_t outlen)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	const ASN1_TIME *t = x ? (not_after ? X509_get0_notAfter(x) : X509_get0_notBefore(x)) : NULL;
	size_t len = 0;

	/* HAProxy gives the ASN.1 text: YYMMDDhhmmss[Z] (UTCTime) */
	if (t) {
		const unsigned char *d = ASN1_STRING_get0_data(t);
		size_t l = (size_t)ASN1_STRING_length(t);

		if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME && l >= 2) {
			d += 2;   /* the century is not part of the text */
			l -= 2;
		}
		if (l < outlen) {
			memcpy(out, d, l);
			out[l] = 0;
			len = l;
		}
	}
	release(x, owned);
	return len;
}

int ssl_cert_version(const struct conn *c, int peer)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	int v = x ? (int)X509_get_version(x) + 1 : -1;

	release(x, owned);
	return v;
}

size_t ssl_cert_sha1(const struct conn *c, int peer, unsigned char *out, size_t outlen)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int l = 0;
	size_t len = 0;

	if (x && X509_digest(x, EVP_sha1(), md, &l) && l <= outlen) {
		memcpy(out, md, l);
		len = l;
	}
	release(x, owned);
	return len;
}

const char *ssl_cert_key_alg(const struct conn *c, int peer)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	const char *n = k ? OBJ_nid2sn(EVP_PKEY_get_base_id(k)) : NULL;

	release(x, owned);
	return n;
}

const char *ssl_cert_sig_alg(const struct conn *c, int peer)
{
	int owned;
	X509 *x = cert_of(c, peer, &owned);
	const char *n = x ? OBJ_nid2sn(X509_get_signature_nid(x)) : NULL;

	release(x, owned);
	return n;
}
