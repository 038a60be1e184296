/* Health checks over TLS: `check-ssl`, or `ssl` on a server whose checks
 * go to its own address and port (HAProxy's rule). The server's context
 * (its verification, client certificate, versions, ciphers) with the
 * checks' own names: `check-sni` for SNI (the `sni` expression needs a
 * request, checks have none), `verifyhost` for name verification,
 * `check-alpn` else the server's `alpn`. The check code (src/check/) keeps
 * its plain socket and level-triggered polling; these calls only put
 * records on it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <tandem/sock.h>
#include "ssl_int.h"

struct ssl_st *ssl_check_new(struct server *s, int fd)
{
	struct ssl_srv_rt *r = s->ssl_rt;
	SSL *ssl;

	if (!r)
		return NULL;
	pthread_rwlock_rdlock(&r->lock);
	ssl = SSL_new(r->ctx);
	pthread_rwlock_unlock(&r->lock);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_connect_state(ssl);
	if (s->check_sni && *s->check_sni)
		SSL_set_tlsext_host_name(ssl, s->check_sni);
	if (r->check_alpn)
		SSL_set_alpn_protos(ssl, r->check_alpn, (unsigned int)r->check_alpn_len);
	if (r->verify == TLS_VFY_REQUIRED) {
		const char *host = s->ssl_verifyhost ? s->ssl_verifyhost : s->check_sni;

		if (host && *host) {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			SSL_set1_host(ssl, host);
		}
	}
	ERR_clear_error();
	return ssl;
}

int ssl_check_names(struct server *s, struct ssl_st *ssl, const char *sni, const char *alpn)
{
	const struct ssl_srv_rt *r = s->ssl_rt;
	unsigned char *wire = NULL;
	size_t wl = 0;
	int ret = 0;

	if (sni && *sni) {
		SSL_set_tlsext_host_name(ssl, sni);
		if (r && r->verify == TLS_VFY_REQUIRED && !s->ssl_verifyhost) {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			SSL_set1_host(ssl, sni);
		}
	}
	if (alpn && *alpn) {
		if (ssl_alpn_wire(alpn, &wire, &wl) < 0 || SSL_set_alpn_protos(ssl, wire, (unsigned int)wl) != 0)
			ret = -1;
		free(wire);
	}
	ERR_clear_error();
	return ret;
}

void ssl_check_free(struct ssl_st *ssl)
{
	if (!ssl)
		return;
	ERR_clear_error();
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
}

int ssl_check_handshake(struct ssl_st *ssl, int *want_write, char *err, size_t errlen)
{
	int r, e;
	long v;
	unsigned long code;

	*want_write = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(ssl);
	if (r == 1)
		return 1;
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_WANT_WRITE) {
		*want_write = 1;
		return 0;
	}
	code = ERR_peek_error();
	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK)
		snprintf(err, errlen, "SSL handshake failure (%s)", X509_verify_cert_error_string(v));
	else if (code && ERR_reason_error_string(code))
		snprintf(err, errlen, "SSL handshake failure (%s)", ERR_reason_error_string(code));
	else if (e == SSL_ERROR_SYSCALL && errno)
		snprintf(err, errlen, "SSL handshake failure (%s)", strerror(errno));
	else
		snprintf(err, errlen, "SSL handshake failure (connection closed)");
	ERR_clear_error();
	return -1;
}

static ssize_t outcome(struct ssl_st *ssl, int r, size_t n, int *st)
{
	int e;

	if (r > 0) {
		*st = SIO_DONE;
		return (ssize_t)n;
	}
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		*st = SIO_AGAIN;
	else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && !errno && !ERR_peek_error()))
		*st = SIO_EOF;
	else
		*st = SIO_ERR;
	ERR_clear_error();
	return 0;
}

ssize_t ssl_check_recv(struct ssl_st *ssl, void *p, size_t len, int *st)
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(ssl, p, len, &n);
	return outcome(ssl, r, n, st);
}

ssize_t ssl_check_send(struct ssl_st *ssl, const void *p, size_t len, int *st)
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(ssl, p, len, &n);
	return outcome(ssl, r, n, st);
}
