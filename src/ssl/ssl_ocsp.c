/* OCSP stapling from a FILE.ocsp next to the certificate (DER), as HAProxy
 * does: the response must be successful, hold a single response for this
 * very certificate (identified with its issuer, from the chain or
 * FILE.issuer), say "good" and be valid now; otherwise it is ignored with
 * a warning. A client that asks (status_request) gets it stapled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include "ssl_int.h"

int ssl_ocsp_check(struct ckch_data *d, const unsigned char *der, size_t len, char *why, size_t whylen)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL;
	int status, reason, ret = -1;

	if (!rsp || p != der + len) {
		snprintf(why, whylen, "not a DER OCSP response");
		goto out;
	}
	if (OCSP_response_status(rsp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(why, whylen, "response status is '%s'", OCSP_response_status_str(OCSP_response_status(rsp)));
		goto out;
	}
	if (!(bs = OCSP_response_get1_basic(rsp))) {
		snprintf(why, whylen, "no basic response");
		goto out;
	}
	if (OCSP_resp_count(bs) != 1) {
		snprintf(why, whylen, "%d single responses (one expected)", OCSP_resp_count(bs));
		goto out;
	}
	if (!d->issuer) {
		snprintf(why, whylen, "the issuer certificate is neither in the chain nor in a '.issuer' file");
		goto out;
	}
	if (!(id = OCSP_cert_to_id(NULL, d->cert, d->issuer))) {
		snprintf(why, whylen, "cannot identify the certificate");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &status, &reason, NULL, &thisupd, &nextupd)) {
		snprintf(why, whylen, "the response is not about this certificate");
		goto out;
	}
	if (status != V_OCSP_CERTSTATUS_GOOD) {
		snprintf(why, whylen, "certificate status is '%s'", OCSP_cert_status_str(status));
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, 300, -1)) {
		snprintf(why, whylen, "the response is not valid now (expired or not yet valid)");
		goto out;
	}
	ret = 0;
out:
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	ERR_clear_error();
	return ret;
}

/* Called during a handshake that asked for the certificate status; <arg>
 * is the certificate's data (held by the context). */
int ssl_ocsp_status_cb(SSL *ssl, void *arg)
{
	const struct ckch_data *d = arg;
	unsigned char *copy;

	if (!d || !d->ocsp || !d->ocsp_len)
		return SSL_TLSEXT_ERR_NOACK;
	if (!(copy = OPENSSL_malloc(d->ocsp_len)))
		return SSL_TLSEXT_ERR_NOACK;
	memcpy(copy, d->ocsp, d->ocsp_len);
	if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)d->ocsp_len)) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* One line about the stapled response ("good, next update Mon DD ..."). */
const char *ssl_ocsp_describe(const struct ckch_data *d, char *buf, size_t len)
{
	const unsigned char *p = d->ocsp;
	OCSP_RESPONSE *rsp;
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL;
	OCSP_CERTID *id = NULL;
	int status = -1, reason;
	BIO *mem = NULL;

	if (!d->ocsp) {
		snprintf(buf, len, d->ocsp_file ? "enabled, no response yet" : "none");
		return buf;
	}
	rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)d->ocsp_len);
	if (rsp && (bs = OCSP_response_get1_basic(rsp)) && d->issuer &&
	    (id = OCSP_cert_to_id(NULL, d->cert, d->issuer)))
		OCSP_resp_find_status(bs, id, &status, &reason, NULL, &thisupd, &nextupd);
	snprintf(buf, len, "%s", status >= 0 ? OCSP_cert_status_str(status) : "unknown");
	if (nextupd && (mem = BIO_new(BIO_s_mem()))) {
		char *s;
		long n;

		ASN1_GENERALIZEDTIME_print(mem, nextupd);
		n = BIO_get_mem_data(mem, &s);
		snprintf(buf + strlen(buf), len - strlen(buf), ", next update %.*s", (int)n, s);
	}
	BIO_free(mem);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	ERR_clear_error();
	return buf;
}
