/* TLS pieces that need no network: the ClientHello parser on hellos made
 * by OpenSSL itself (every prefix, SSLv2, a hello over two records, bytes
 * that are no TLS), ALPN lists, `sni` expressions and their evaluation on
 * a request head, version words, and certificate loading from a
 * configuration (SNI names, key types, a key that does not match, an
 * expired certificate: a warning). Certificates and keys are made here. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include <tandem/ssl.h>
#include <tandem/ssl_hello.h>
#include "unit.h"

/* ---- a ClientHello as OpenSSL sends it ---------------------------------- */

static size_t client_hello(const char *sni, const char *alpn_wire, size_t alpn_len, int max_ver,
			   unsigned char *out, size_t outlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	BIO *rd = BIO_new(BIO_s_mem()), *wr = BIO_new(BIO_s_mem());
	size_t n = 0;
	char *p;
	long l;

	SSL_set_bio(ssl, rd, wr);
	SSL_set_connect_state(ssl);
	if (max_ver)
		SSL_set_max_proto_version(ssl, max_ver);
	if (sni)
		SSL_set_tlsext_host_name(ssl, sni);
	if (alpn_wire)
		SSL_set_alpn_protos(ssl, (const unsigned char *)alpn_wire, (unsigned)alpn_len);
	SSL_do_handshake(ssl);
	l = BIO_get_mem_data(wr, &p);
	if (l > 0 && (size_t)l <= outlen) {
		memcpy(out, p, (size_t)l);
		n = (size_t)l;
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return n;
}

static void test_hello(void)
{
	unsigned char buf[8192];
	struct tls_hello h;
	size_t n = client_hello("www.example.com", "\x02h2\x08http/1.1", 12, 0, buf, sizeof(buf));
	const uint8_t *name;
	size_t nl, off = 0;
	int r, prefixes_ok = 1;

	CHECK("hello: OpenSSL produced a ClientHello", n > 100);
	r = tls_hello_parse(buf, n, &h);
	CHECK("hello: parsed", r == TLS_HELLO_OK);
	CHECK("hello: type 1 (req.ssl_hello_type)", h.hello_type == 1);
	CHECK("hello: legacy version 3.3 (req.ssl_ver)", h.version == 0x30003);
	CHECK("hello: supported_versions says TLS 1.3", h.max_version == 0x30004);
	CHECK("hello: SNI (req.ssl_sni)", h.sni && h.sni_len == 15 && !memcmp(h.sni, "www.example.com", 15));
	CHECK("hello: ALPN first h2", tls_hello_alpn_next(&h, &off, &name, &nl) && nl == 2 && !memcmp(name, "h2", 2));
	CHECK("hello: ALPN then http/1.1", tls_hello_alpn_next(&h, &off, &name, &nl) && nl == 8 &&
	      !memcmp(name, "http/1.1", 8));
	CHECK("hello: ALPN ends", !tls_hello_alpn_next(&h, &off, &name, &nl));
	CHECK("hello: supported_groups (req.ssl_ec_ext)", h.ec_ext == 1);
	CHECK("hello: used the whole record", h.used == n);
	for (size_t k = 0; k < n; k++)
		if (tls_hello_parse(buf, k, &h) != TLS_HELLO_MORE) {
			printf("# prefix of %zu bytes not MORE\n", k);
			prefixes_ok = 0;
		}
	CHECK("hello: every prefix asks for more", prefixes_ok);

	n = client_hello(NULL, NULL, 0, TLS1_2_VERSION, buf, sizeof(buf));
	r = tls_hello_parse(buf, n, &h);
	CHECK("hello TLS 1.2 only: parsed, no SNI, no ALPN", r == TLS_HELLO_OK && !h.sni && !h.alpn);
	CHECK("hello TLS 1.2 only: version 3.3", h.version == 0x30003 && h.max_version == 0x30003);
	CHECK("hello TLS 1.2 only: session ticket extension, empty", h.st_ext == 1);

	/* the same hello cut into two records: not read (HAProxy reads one) */
	{
		unsigned char two[8192];
		size_t half = (n - 5) / 2;

		memcpy(two, buf, 5 + half);
		two[3] = (unsigned char)(half >> 8);
		two[4] = (unsigned char)half;
		two[5 + half] = 0x16;
		two[6 + half] = 3;
		two[7 + half] = 1;
		two[8 + half] = (unsigned char)((n - 5 - half) >> 8);
		two[9 + half] = (unsigned char)(n - 5 - half);
		memcpy(two + 10 + half, buf + 5 + half, n - 5 - half);
		CHECK("hello over two records: not read", tls_hello_parse(two, n + 5, &h) == TLS_HELLO_NOT);
	}
	CHECK("plain HTTP is not TLS", tls_hello_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &h) == TLS_HELLO_NOT);
	CHECK("a handshake record of another version is not TLS",
	      tls_hello_parse((const uint8_t *)"\x16\x02\x00\x00\x10", 5, &h) == TLS_HELLO_NOT);
	{
		/* SSLv2-compatible hello: length 0x2e, type 1, version 3.1 */
		unsigned char v2[48] = { 0x80, 0x2e, 0x01, 0x03, 0x01 };

		CHECK("SSLv2 hello: type 1, version 3.1", tls_hello_parse(v2, sizeof(v2), &h) == TLS_HELLO_OK &&
		      h.sslv2 && h.hello_type == 1 && h.version == 0x30001);
		CHECK("SSLv2 hello cut: more", tls_hello_parse(v2, 20, &h) == TLS_HELLO_MORE);
	}
}

/* ---- values --------------------------------------------------------------- */

static void test_values(void)
{
	char dropped[64], err[512];
	char *k;

	k = ssl_alpn_http1("h2,http/1.1", dropped, sizeof(dropped));
	CHECK("alpn: h2 dropped over HTTP", k && !strcmp(k, "http/1.1") && !strcmp(dropped, "h2"));
	free(k);
	k = ssl_alpn_http1("h2", dropped, sizeof(dropped));
	CHECK("alpn: nothing left", k && !*k && !strcmp(dropped, "h2"));
	free(k);
	k = ssl_alpn_http1("http/1.1,http/1.0", dropped, sizeof(dropped));
	CHECK("alpn: HTTP/1 kept as written", k && !strcmp(k, "http/1.1,http/1.0") && !*dropped);
	free(k);
	CHECK("alpn: empty name refused", ssl_alpn_check("h2,,http/1.1", err, sizeof(err)) < 0);
	CHECK("alpn: trailing comma refused", ssl_alpn_check("h2,", err, sizeof(err)) < 0);
	CHECK("versions", ssl_ver_parse("TLSv1.2") == TLSV_12 && ssl_ver_parse("TLSv1.3") == TLSV_13 &&
	      ssl_ver_parse("SSLv3") == TLSV_SSL3 && ssl_ver_parse("TLS1.2") < 0);
	CHECK("sni: req.hdr(host)", !ssl_sni_expr_check("req.hdr(host)", err, sizeof(err)));
	CHECK("sni: with converters", !ssl_sni_expr_check("req.hdr(host,1),field(1,:),lower", err, sizeof(err)));
	CHECK("sni: str()", !ssl_sni_expr_check("str(api.example.com)", err, sizeof(err)));
	CHECK("sni: ssl_fc_sni", !ssl_sni_expr_check("ssl_fc_sni", err, sizeof(err)));
	CHECK("sni: unknown fetch named", ssl_sni_expr_check("foo(bar)", err, sizeof(err)) < 0 &&
	      strstr(err, "unknown fetch method 'foo'"));
	CHECK("sni: unknown converter named", ssl_sni_expr_check("ssl_fc_sni,base64", err, sizeof(err)) < 0 &&
	      strstr(err, "unknown converter 'base64'"));
	CHECK("sni: unclosed", ssl_sni_expr_check("req.hdr(host", err, sizeof(err)) < 0);
}

/* ---- certificates ------------------------------------------------------------ */

static char dir[64];

/* A self-signed certificate for <cn> (and SAN DNS names <sans>), with an
 * EC or RSA key, valid from <from_days> to <to_days> around now. */
static void make_cert(const char *path, const char *cn, const char *sans, int ec, long from_days, long to_days,
		      const char *keypath)
{
	EVP_PKEY *pk = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	if (sans) {
		X509V3_CTX v3;
		X509_EXTENSION *e;

		X509V3_set_ctx_nodb(&v3);
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, sans);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	if (!keypath)
		PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	if (keypath) {
		f = fopen(keypath, "w");
		PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static struct cfg *load(const char *text, char *err, size_t errlen)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.cfg", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return cfg_load(path, err, errlen);
}

static void test_certs(void)
{
	char text[2048], err[400], p1[128], p2[128], p3[128], p4[128], k4[128];
	struct cfg *c;
	struct server *s;
	size_t n;
	char sni[256];

	snprintf(p1, sizeof(p1), "%s/rsa.pem", dir);
	snprintf(p2, sizeof(p2), "%s/ec.pem", dir);
	snprintf(p3, sizeof(p3), "%s/old.pem", dir);
	snprintf(p4, sizeof(p4), "%s/split.pem", dir);
	snprintf(k4, sizeof(k4), "%s/split.pem.key", dir);
	make_cert(p1, "a.test", "DNS:a.test,DNS:*.w.test", 0, -1, 30, NULL);
	make_cert(p2, "a.test", NULL, 1, -1, 30, NULL);
	make_cert(p3, "old.test", NULL, 1, -60, -30, NULL);
	make_cert(p4, "split.test", NULL, 1, -1, 30, k4);

	snprintf(text, sizeof(text),
		 "defaults\n mode http\n timeout client 1s\n timeout server 1s\n timeout connect 1s\n"
		 "frontend f\n bind 127.0.0.1:0 ssl crt %s crt %s crt %s crt %s alpn h2,http/1.1\n default_backend b\n"
		 "backend b\n server s 127.0.0.1:1 ssl verify none sni req.hdr(host),field(1,:),lower\n"
		 " server t 127.0.0.1:2 ssl verify none sni str(Fixed.Example)\n", p1, p2, p3, p4);
	c = load(text, err, sizeof(err));
	CHECKF(c != NULL, "certificates load (RSA, ECDSA, expired, key in FILE.key) (%s)", c ? "" : err);
	if (!c)
		return;
	s = proxy_find_server(cfg_find_proxy(c, "b", PR_CAP_BE), "s");
	{
		static const char head[] = "GET / HTTP/1.1\r\nHost: API.Example.com:8443\r\nX: y\r\n\r\n";
		struct ssl_sni_env env = { head, sizeof(head) - 1, NULL };

		n = ssl_srv_sni(s, &env, sni, sizeof(sni));
		CHECKF(n == 15 && !strcmp(sni, "api.example.com"), "sni: req.hdr(host),field(1,:),lower gives '%s'", sni);
		CHECK("sni: from the request: connections are private", ssl_srv_sni_private(s));
		env.head = "GET / HTTP/1.1\r\n\r\n";
		env.head_len = strlen(env.head);
		CHECK("sni: no Host, no SNI", ssl_srv_sni(s, &env, sni, sizeof(sni)) == 0);
	}
	s = proxy_find_server(cfg_find_proxy(c, "b", PR_CAP_BE), "t");
	n = ssl_srv_sni(s, NULL, sni, sizeof(sni));
	CHECKF(n == 13 && !strcmp(sni, "Fixed.Example"), "sni: str() as written ('%s')", sni);
	CHECK("sni: a constant one shares connections", !ssl_srv_sni_private(s));
	cfg_free(c);

	/* a key that does not belong to the certificate */
	{
		char mixed[128], k1[128];
		FILE *in, *out;
		char line[4096];
		int keep = 0;

		snprintf(mixed, sizeof(mixed), "%s/mixed.pem", dir);
		snprintf(k1, sizeof(k1), "%s/k1.pem", dir);
		make_cert(mixed, "m.test", NULL, 0, -1, 30, k1);   /* cert only */
		out = fopen(mixed, "a");
		in = fopen(p2, "r");   /* append the other certificate's key */
		while (fgets(line, sizeof(line), in)) {
			if (strstr(line, "BEGIN PRIVATE KEY"))
				keep = 1;
			if (keep)
				fputs(line, out);
		}
		fclose(in);
		fclose(out);
		snprintf(text, sizeof(text), "frontend f\n bind 127.0.0.1:0 ssl crt %s\n", mixed);
		c = load(text, err, sizeof(err));
		CHECKF(!c && strstr(err, "inconsistencies between private key and certificate"), "key mismatch refused (%s)", err);
		cfg_free(c);
	}
	snprintf(text, sizeof(text), "frontend f\n bind 127.0.0.1:0 ssl crt %s ciphers NOPE\n", p1);
	c = load(text, err, sizeof(err));
	CHECKF(!c && strstr(err, "unable to set SSL cipher list to 'NOPE'"), "bad cipher string refused (%s)", err);
	cfg_free(c);
	snprintf(text, sizeof(text), "frontend f\n bind 127.0.0.1:0 ssl crt %s/missing.pem\n", dir);
	c = load(text, err, sizeof(err));
	CHECKF(!c && strstr(err, "unable to stat SSL certificate from file") && strstr(err, "No such file"),
	       "missing certificate refused (%s)", err);
	cfg_free(c);

	/* a FIFO must not block the loader: refused at once, whatever reads it */
	{
		static const char *const uses[] = {
			"bind 127.0.0.1:0 ssl crt %s",
			"bind 127.0.0.1:0 ssl crt-list %s",
			"bind 127.0.0.1:0 ssl crt " "%s" " ca-file %s verify optional",
			"bind 127.0.0.1:0 ssl crt " "%s" " ca-file " "%s" " crl-file %s verify optional",
			"bind 127.0.0.1:0 ssl crt " "%s" " tls-ticket-keys %s",
		};
		char fifo[128], line[512];

		snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
		if (mkfifo(fifo, 0600) < 0) {
			printf("# mkfifo failed: skipped\n");
			return;
		}
		for (size_t u = 0; u < sizeof(uses) / sizeof(uses[0]); u++) {
			if (u == 0 || u == 1)
				snprintf(line, sizeof(line), uses[u], fifo);
			else if (u == 3)
				snprintf(line, sizeof(line), uses[u], p1, p1, fifo);
			else
				snprintf(line, sizeof(line), uses[u], p1, fifo);
			snprintf(text, sizeof(text), "frontend f\n %s\n", line);
			c = load(text, err, sizeof(err));
			CHECKF(!c && strstr(err, "not a regular file"), "FIFO refused: use %zu (%.200s)", u, err);
			cfg_free(c);
		}
		snprintf(text, sizeof(text), "global\n ssl-dh-param-file %s\nfrontend f\n bind 127.0.0.1:0 ssl crt %s\n", fifo, p1);
		c = load(text, err, sizeof(err));
		CHECKF(!c && strstr(err, "not a regular file"), "FIFO refused: ssl-dh-param-file (%.200s)", err);
		cfg_free(c);
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tandem-ssl-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	log_setup(2, LL_ERR, "test");
	test_hello();
	test_values();
	test_certs();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	UNIT_END();
}
