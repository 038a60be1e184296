/* The certificate store: certificate, key, chain, DH parameters and OCSP
 * response of each PEM file, by path (HAProxy's ckch_store), with the
 * files next to it that HAProxy reads too (ssl-load-extra-files' default
 * "all"): FILE.key when the PEM has no key, FILE.ocsp (stapling),
 * FILE.issuer (the OCSP issuer when the chain lacks it). A file that does
 * not exist but FILE.rsa / FILE.ecdsa / FILE.dsa do is a multi-cert bundle:
 * its members are loaded as separate certificates (see ssl_bind.c).
 *
 * The SHA-256 of the bytes read is kept (the disk signature): a reload
 * compares it with what was on disk when a certificate was changed at run
 * time, to know whether the file or the runtime change is newer. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "ssl_int.h"

#define PEM_MAX (8u << 20)

/* ---- messages --------------------------------------------------------------- */

void ssl_err(struct ssl_msgs *m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->nerr++;
	if (m->buf && m->len && (m->nerr == 1 || !*m->buf))
		snprintf(m->buf, m->len, "%s", msg);
	if (m->r && m->r->err)
		m->r->err(m->r->ctx, m->line, msg);
}

void ssl_warn(struct ssl_msgs *m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->r && m->r->warn)
		m->r->warn(m->r->ctx, m->line, msg);
}

const char *ssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r;

	*buf = 0;
	if (e && (r = ERR_reason_error_string(e)))
		snprintf(buf, len, "%s", r);
	else if (e)
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

int ssl_plain_file(const char *path, int dir_ok)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode) || (dir_ok && S_ISDIR(st.st_mode)))
		return 0;
	errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	return -1;
}

/* " (OpenSSL: reason)" or "" */
static const char *why(char *buf, size_t len)
{
	char r[200];

	ssl_reason(r, sizeof(r));
	if (*r)
		snprintf(buf, len, " (OpenSSL: %s)", r);
	else
		*buf = 0;
	return buf;
}

/* ---- reading files ---------------------------------------------------------- */

/* The whole file: 0 with *buf malloc'd (NUL-terminated), or -1 with errno. */
static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > PEM_MAX) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : !S_ISREG(st.st_mode) ? EINVAL : EFBIG;
		return -1;
	}
	if (!(b = malloc((size_t)st.st_size + 1))) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf; (void)size; (void)rw; (void)u;
	return 0;   /* never ask on a terminal: an encrypted key is an error */
}

/* ---- the data --------------------------------------------------------------- */

void ckch_data_ref(struct ckch_data *d)
{
	if (d)
		__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
}

void ckch_data_unref(struct ckch_data *d)
{
	if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	X509_free(d->cert);
	EVP_PKEY_free(d->key);
	sk_X509_pop_free(d->chain, X509_free);
	EVP_PKEY_free(d->dh);
	X509_free(d->issuer);
	free(d->ocsp);
	for (int i = 0; i < d->nnames; i++)
		free(d->names[i]);
	free(d->names);
	free(d->pem);
	free(d);
}

static int add_name(struct ckch_data *d, const char *n, size_t len)
{
	char **v;
	char *s;

	if (!len || len > 255)
		return 0;
	for (int i = 0; i < d->nnames; i++)
		if (strlen(d->names[i]) == len && !strncasecmp(d->names[i], n, len))
			return 0;
	if (!(s = strndup(n, len)) || !(v = realloc(d->names, sizeof(*v) * (size_t)(d->nnames + 1)))) {
		free(s);
		return -1;
	}
	ssl_lower(s);
	d->names = v;
	d->names[d->nnames++] = s;
	return 0;
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

/* Names, key type, dates, issuer: what the store and the SNI index read. */
static int data_finish(struct ckch_data *d)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(d->cert, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj = X509_get_subject_name(d->cert);
	int i = -1, ret = 0;

	for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);

		if (g->type == GEN_DNS && add_name(d, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
						   (size_t)ASN1_STRING_length(g->d.dNSName)) < 0)
			ret = -1;
	}
	GENERAL_NAMES_free(sans);
	while (subj && (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		unsigned char *u = NULL;
		int l = ASN1_STRING_to_UTF8(&u, cn);

		if (l > 0 && add_name(d, (const char *)u, (size_t)l) < 0)
			ret = -1;
		OPENSSL_free(u);
	}
	d->key_type = d->key ? EVP_PKEY_get_base_id(d->key) : 0;
	d->not_before = asn1_time(X509_get0_notBefore(d->cert));
	d->not_after = asn1_time(X509_get0_notAfter(d->cert));
	for (int k = 0; !d->issuer && d->chain && k < sk_X509_num(d->chain); k++) {
		X509 *c = sk_X509_value(d->chain, k);

		if (X509_check_issued(c, d->cert) == X509_V_OK && X509_up_ref(c))
			d->issuer = c;
	}
	ERR_clear_error();
	return ret;
}

int ckch_key_ecdsa(const struct ckch_data *d)
{
	return d && d->key_type == EVP_PKEY_EC;
}

/* Certificate, chain, key and DH parameters from a PEM buffer. 0, or -1
 * with <err> saying what is wrong: a sentence ending in OpenSSL's reason,
 * "unable to load the private key (OpenSSL: ...)". The key may be absent
 * when <key_optional>. */
static int pem_parse(struct ckch_data *d, const char *buf, size_t len, int key_optional, char *err, size_t errlen)
{
	BIO *in = BIO_new_mem_buf(buf, (int)len);
	X509 *x;
	char r[256];

	if (!in) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ERR_clear_error();
	d->dh = PEM_read_bio_Parameters(in, NULL);
	if (d->dh && EVP_PKEY_get_base_id(d->dh) != EVP_PKEY_DH) {
		EVP_PKEY_free(d->dh);
		d->dh = NULL;
	}
	ERR_clear_error();
	BIO_reset(in);
	d->cert = PEM_read_bio_X509_AUX(in, NULL, no_passphrase, NULL);
	if (!d->cert) {
		snprintf(err, errlen, "No certificate found%s", why(r, sizeof(r)));
		BIO_free(in);
		return -1;
	}
	ERR_clear_error();
	BIO_reset(in);
	d->key = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL);
	if (!d->key) {
		/* a key that is there but cannot be read (encrypted, damaged) is an
		 * error; no key at all may be found in FILE.key */
		if (memmem(buf, len, "PRIVATE KEY-----", 16)) {
			snprintf(err, errlen, "unable to load the private key%s", why(r, sizeof(r)));
			BIO_free(in);
			return -1;
		}
		ERR_clear_error();
		if (!key_optional) {
			snprintf(err, errlen, "no private key found");
			BIO_free(in);
			return -1;
		}
	}
	BIO_reset(in);
	X509_free(PEM_read_bio_X509_AUX(in, NULL, no_passphrase, NULL));   /* past the leaf: the chain follows it */
	ERR_clear_error();
	if (!(d->chain = sk_X509_new_null())) {
		snprintf(err, errlen, "out of memory");
		BIO_free(in);
		return -1;
	}
	while ((x = PEM_read_bio_X509(in, NULL, no_passphrase, NULL))) {
		if (!sk_X509_push(d->chain, x)) {
			X509_free(x);
			break;
		}
	}
	ERR_clear_error();
	BIO_free(in);
	return 0;
}

static struct ckch_data *data_new(void)
{
	struct ckch_data *d = calloc(1, sizeof(*d));

	if (d)
		d->refs = 1;
	return d;
}

/* The key against the certificate. */
static int key_matches(struct ckch_data *d)
{
	int ok = X509_check_private_key(d->cert, d->key);

	ERR_clear_error();
	return ok == 1;
}

struct ckch_data *ckch_data_load_mem(const char *pem, size_t len, char *err, size_t errlen)
{
	struct ckch_data *d = data_new();

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pem_parse(d, pem, len, 0, err, errlen) < 0)
		goto fail;
	if (!key_matches(d)) {
		snprintf(err, errlen, "inconsistencies between private key and certificate");
		goto fail;
	}
	if (data_finish(d) < 0 || !(d->pem = malloc(len + 1))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(d->pem, pem, len);
	d->pem[len] = 0;
	d->pem_len = len;
	return d;
fail:
	ckch_data_unref(d);
	return NULL;
}

struct ckch_data *ckch_data_load_file(const char *path, struct ssl_msgs *m)
{
	struct ckch_data *d = data_new();
	char *buf = NULL, *kbuf = NULL, *obuf = NULL, *ibuf = NULL, *extra = NULL;
	size_t len = 0, klen = 0, olen = 0, ilen = 0;
	char err[512];
	EVP_MD_CTX *md = NULL;

	if (!d) {
		ssl_err(m, "out of memory");
		return NULL;
	}
	if (read_file(path, &buf, &len) < 0) {
		ssl_err(m, "unable to stat SSL certificate from file '%s' : %s.", path,
			errno == EINVAL ? "not a regular file" : strerror(errno));
		goto fail;
	}
	if (pem_parse(d, buf, len, 1, err, sizeof(err)) < 0) {
		if (!strncmp(err, "No certificate found", 20))
			ssl_err(m, "unable to load certificate from file '%s'%s.", path, err + 20);
		else
			ssl_err(m, "'%s': %s.", path, err);
		goto fail;
	}
	if (!d->key) {
		/* FILE.key, as HAProxy looks for it */
		if (asprintf(&extra, "%s.key", path) < 0) {
			extra = NULL;
			ssl_err(m, "out of memory");
			goto fail;
		}
		if (read_file(extra, &kbuf, &klen) < 0) {
			ssl_err(m, "No Private Key found in '%s' nor in '%s' (%s).", path, extra, strerror(errno));
			goto fail;
		}
		{
			BIO *in = BIO_new_mem_buf(kbuf, (int)klen);
			char r[256];

			d->key = in ? PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL) : NULL;
			BIO_free(in);
			if (!d->key) {
				ssl_err(m, "No Private Key found in '%s'%s.", extra, why(r, sizeof(r)));
				goto fail;
			}
		}
		free(extra);
		extra = NULL;
	}
	if (!key_matches(d)) {
		ssl_err(m, "inconsistencies between private key and certificate loaded '%s'.", path);
		goto fail;
	}
	if (data_finish(d) < 0) {
		ssl_err(m, "out of memory");
		goto fail;
	}
	/* FILE.issuer when the chain does not carry the OCSP issuer */
	if (asprintf(&extra, "%s.issuer", path) < 0) {
		extra = NULL;
		ssl_err(m, "out of memory");
		goto fail;
	}
	if (!d->issuer && read_file(extra, &ibuf, &ilen) == 0) {
		BIO *in = BIO_new_mem_buf(ibuf, (int)ilen);
		X509 *is = in ? PEM_read_bio_X509(in, NULL, no_passphrase, NULL) : NULL;
		char r[256];

		BIO_free(in);
		if (!is) {
			ssl_err(m, "unable to load the issuer certificate from '%s'%s.", extra, why(r, sizeof(r)));
			goto fail;
		}
		d->issuer = is;
	}
	free(extra);
	/* FILE.ocsp: stapling is on when the file exists; an empty one waits
	 * for a response from the runtime API */
	if (asprintf(&extra, "%s.ocsp", path) < 0) {
		extra = NULL;
		ssl_err(m, "out of memory");
		goto fail;
	}
	if (read_file(extra, &obuf, &olen) == 0) {
		d->ocsp_file = 1;
		if (olen && ckch_data_set_ocsp(d, (unsigned char *)obuf, olen, err, sizeof(err)) < 0)
			ssl_warn(m, "OCSP response in '%s' ignored: %s.", extra, err);
	}
	/* the disk signature: every byte read, in order */
	if (!(md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, buf, len) || (kbuf && !EVP_DigestUpdate(md, kbuf, klen)) ||
	    (ibuf && !EVP_DigestUpdate(md, ibuf, ilen)) || (obuf && !EVP_DigestUpdate(md, obuf, olen)) ||
	    !EVP_DigestFinal_ex(md, d->sig, NULL)) {
		ssl_err(m, "cannot compute the SHA-256 of '%s'.", path);
		goto fail;
	}
	EVP_MD_CTX_free(md);
	free(extra);
	free(buf);
	free(kbuf);
	free(obuf);
	free(ibuf);
	ERR_clear_error();
	return d;
fail:
	EVP_MD_CTX_free(md);
	free(extra);
	free(buf);
	free(kbuf);
	free(obuf);
	free(ibuf);
	ckch_data_unref(d);
	ERR_clear_error();
	return NULL;
}

int ckch_data_set_ocsp(struct ckch_data *d, const unsigned char *der, size_t len, char *err, size_t errlen)
{
	unsigned char *copy;

	if (ssl_ocsp_check(d, der, len, err, errlen) < 0)
		return -1;
	if (!(copy = malloc(len))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, der, len);
	free(d->ocsp);
	d->ocsp = copy;
	d->ocsp_len = len;
	d->ocsp_file = 1;
	return 0;
}

/* ---- the store ------------------------------------------------------------- */

struct ckch *ckch_find(struct ssl_cfg_rt *rt, const char *path)
{
	struct list *l;

	list_for_each(l, &rt->ckchs) {
		struct ckch *c = list_entry(l, struct ckch, link);

		if (!strcmp(c->path, path))
			return c;
	}
	return NULL;
}

struct ckch *ckch_get(struct ssl_cfg_rt *rt, const char *path, struct ssl_msgs *m)
{
	struct ckch *c = ckch_find(rt, path);
	struct ckch_data *d;

	if (c)
		return c;
	if (!(d = ckch_data_load_file(path, m)))
		return NULL;
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path))) {
		free(c);
		ckch_data_unref(d);
		ssl_err(m, "out of memory");
		return NULL;
	}
	c->d = d;
	memcpy(c->disk_sig, d->sig, sizeof(c->disk_sig));
	c->has_disk = 1;
	if (d->not_after && d->not_after < time(NULL)) {
		char date[64];
		struct tm tm;

		gmtime_r(&d->not_after, &tm);
		strftime(date, sizeof(date), "%b %e %H:%M:%S %Y GMT", &tm);
		ssl_warn(m, "certificate '%s' expired on %s: it is served anyway.", path, date);
	}
	list_add_tail(&rt->ckchs, &c->link);
	return c;
}

void ckch_free(struct ckch *c)
{
	if (!c)
		return;
	list_del(&c->link);
	ckch_data_unref(c->d);
	ckch_data_unref(c->txn);
	free(c->path);
	free(c);
}

/* A new data object sharing <d>'s certificate and key (to change its OCSP
 * response in a transaction without touching what contexts use). */
struct ckch_data *ckch_data_dup(const struct ckch_data *d)
{
	struct ckch_data *n = data_new();

	if (!n)
		return NULL;
	if ((d->cert && !X509_up_ref(d->cert)) || (d->key && !EVP_PKEY_up_ref(d->key)))
		goto fail;
	n->cert = d->cert;
	n->key = d->key;
	if (d->chain && !(n->chain = X509_chain_up_ref(d->chain)))
		goto fail;
	if (d->dh && EVP_PKEY_up_ref(d->dh))
		n->dh = d->dh;
	if (d->issuer && X509_up_ref(d->issuer))
		n->issuer = d->issuer;
	for (int i = 0; i < d->nnames; i++)
		if (add_name(n, d->names[i], strlen(d->names[i])) < 0)
			goto fail;
	if (d->ocsp) {
		if (!(n->ocsp = malloc(d->ocsp_len)))
			goto fail;
		memcpy(n->ocsp, d->ocsp, d->ocsp_len);
		n->ocsp_len = d->ocsp_len;
	}
	n->ocsp_file = d->ocsp_file;
	if (d->pem) {
		if (!(n->pem = malloc(d->pem_len + 1)))
			goto fail;
		memcpy(n->pem, d->pem, d->pem_len + 1);
		n->pem_len = d->pem_len;
	}
	n->key_type = d->key_type;
	n->not_before = d->not_before;
	n->not_after = d->not_after;
	memcpy(n->sig, d->sig, sizeof(n->sig));
	return n;
fail:
	ckch_data_unref(n);
	ERR_clear_error();
	return NULL;
}
