/* libFuzzer driver for the TLS listener path: each input is what a client
 * sends to a `bind ... ssl` listener (records, a ClientHello, garbage),
 * written to a real socket; tandem's side is the real code: the bind's
 * contexts and ClientHello callback (src/ssl/: certificate choice by SNI,
 * ALPN, client certificate request with `verify optional`, tickets, OCSP
 * callback), and the TLS transport (src/net/xprt_ssl.c) driven as the
 * session and stream drive it: conn_handshake(), then conn_recv() and conn_sendv()
 * once the handshake is done, then close. The accessors behind the
 * ssl_fc* fetches and the handshake error text run on every outcome.
 * Contract: no crash, no leak, no undefined behaviour (ASan/UBSan); the
 * handshake ends (done or failed) within a bounded number of steps once
 * the client's bytes are all in; a failed one has a class and a message.
 * The certificate and key are made at start-up in a temporary directory.
 *
 * fuzz-src: LIB */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tandem/buf.h>
#include <tandem/cfg.h>
#include <tandem/conn.h>
#include <tandem/log.h>
#include <tandem/ssl.h>
#include <tandem/xprt_ssl.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static struct cfg *cfg;
static struct bind_conf *lbind;
static char dir[64];

static void make_cert(const char *path)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	FILE *f = fopen(path, "w");

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400 * 30);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz.test", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	PEM_write_X509(f, x);
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(pk);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char crt[128], path[128], err[512];
	FILE *f;

	(void)argc; (void)argv;
	log_setup(2, LL_ALERT, "fuzz");
	snprintf(dir, sizeof(dir), "/tmp/tandem-fuzz-tls-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(crt, sizeof(crt), "%s/c.pem", dir);
	make_cert(crt);
	snprintf(path, sizeof(path), "%s/t.cfg", dir);
	f = fopen(path, "w");
	fprintf(f, "global\n tune.ssl.default-dh-param 2048\n"
		"frontend f\n mode http\n bind 127.0.0.1:0 ssl crt %s alpn h2,http/1.1 verify optional ca-file %s "
		"ssl-min-ver TLSv1.0\n", crt, crt);
	fclose(f);
	cfg = cfg_load(path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "fuzz_tls_server: %s\n", err);
		abort();
	}
	lbind = list_entry(list_entry(cfg->proxies.next, struct proxy, link)->binds.next, struct bind_conf, link);
	if (ssl_worker_init(cfg, 1) < 0)
		abort();
	unlink(crt);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void probe(const struct conn *c)
{
	char msg[128], detail[256], dn[512];
	unsigned char raw[64];
	size_t n;

	(void)ssl_fc(c);
	(void)ssl_fc_sni(c);
	(void)ssl_fc_protocol(c);
	(void)ssl_fc_cipher(c);
	(void)ssl_fc_alpn(c, &n);
	(void)ssl_fc_session_reused(c);
	(void)ssl_fc_session_id(c, raw, sizeof(raw));
	(void)ssl_fc_err_str(c, dn, sizeof(dn));
	(void)ssl_c_used(c);
	(void)ssl_c_verify(c);
	(void)ssl_cert_dn(c, 1, 0, dn, sizeof(dn));
	(void)ssl_cert_dn(c, 0, 1, dn, sizeof(dn));
	(void)ssl_cert_serial(c, 0, raw, sizeof(raw));
	(void)ssl_cert_date(c, 0, 1, dn, sizeof(dn));
	(void)ssl_cert_sha1(c, 0, raw, sizeof(raw));
	(void)ssl_cert_key_alg(c, 0);
	(void)ssl_conn_hs_error(c, 0, msg, sizeof(msg), detail, sizeof(detail));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c;
	int sv[2], hs = 0;
	size_t off = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while (off < size) {
		ssize_t w = write(sv[1], data + off, size - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);   /* the client said all it had to say */
	memset(&c, 0, sizeof(c));
	c.io.fd = sv[0];
	c.flags = CF_RD_READY | CF_WR_READY;
	if (ssl_conn_accept(&c, lbind, 0) < 0) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* the handshake, as the session drives it (sess_handshake); every
	 * turn stands for an epoll edge on both sides */
	for (int turn = 0; turn < 64; turn++) {
		hs = conn_handshake(&c);
		if (hs)
			break;
		c.flags |= CF_RD_READY | CF_WR_READY;
	}
	INV(hs != 0);   /* all the client's bytes are in: the handshake must end */
	if (hs < 0) {
		char msg[128], detail[256];

		INV(c.flags & CF_ERROR);
		INV(ssl_conn_hs_error(&c, 0, msg, sizeof(msg), detail, sizeof(detail)) != SSL_HSE_NONE && *msg);
	} else {
		struct iovec iov = { "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 38 };

		for (int turn = 0; turn < 64; turn++) {
			ssize_t r = conn_recv(&c, 16384);

			c.in.data = c.in.head = 0;
			if (r < 0)
				break;
			c.flags |= CF_RD_READY;
		}
		c.flags |= CF_WR_READY;
		conn_sendv(&c, &iov, 1);
	}
	probe(&c);
	c.xprt->close(&c);
	buf_free(&c.in);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
