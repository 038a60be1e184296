/* TLS in tandem (src/ssl/, OpenSSL 3): what the rest of the program calls.
 * doc/tls.md describes the keywords, defaults, rotation and commands.
 *
 *   configuration  the keyword values (parsed by src/cfg/kw_ssl.c), then
 *                  ssl_cfg_prepare() once the file is read: certificates,
 *                  crt-lists and every context are built in the master, so
 *                  a bad file, key, cipher string or option is a
 *                  configuration error naming file:line;
 *   worker         ssl_worker_init() before the threads run: ticket keys
 *                  and certificates changed at run time are taken over
 *                  from the previous worker (shared area);
 *   connections    ssl_conn_accept() / ssl_conn_connect() put the TLS
 *                  transport (include/tandem/xprt_ssl.h) under a client or
 *                  server connection; the stream only drives the handshake
 *                  (conn_handshake) and reads the outcome here;
 *   fetches        the accessors at the end, for the rules engine's
 *                  ssl_fc*, ssl_c_*, ssl_f_* sample fetches. */
#ifndef TANDEM_SSL_H
#define TANDEM_SSL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <tandem/conn-t.h>
#include <tandem/proxy-t.h>
#include <tandem/ssl-t.h>

/* ---- values (src/ssl/ssl_opts.c: no OpenSSL state) ----------------------- */

/* "SSLv3", "TLSv1.0" .. "TLSv1.3" -> TLSV_*; -1 when unknown. */
int ssl_ver_parse(const char *s);
/* TLSV_* -> "TLSv1.2" ("?" when out of range). */
const char *ssl_ver_name(int v);
/* Check an ALPN list ("h2,http/1.1": names of 1..255 bytes). 0, or -1 with <err>. */
int ssl_alpn_check(const char *list, char *err, size_t errlen);
/* <list> without the protocols tandem cannot speak over HTTP (anything but
 * http/1.1 and http/1.0): malloc'd, "" when none is left; *dropped gets
 * the removed names ("h2") or stays empty. NULL when out of memory. */
char *ssl_alpn_http1(const char *list, char *dropped, size_t dlen);
/* Parse an `sni` expression (the forms real configurations use until the
 * rules engine lands: req.hdr(NAME[,OCC]), hdr(NAME), req.fhdr(NAME),
 * str(TEXT), ssl_fc_sni, with the lower, upper and field(N,C) converters).
 * 0, or -1 with HAProxy's message in <err>. */
int ssl_sni_expr_check(const char *expr, char *err, size_t errlen);

/* One option word of a TLS option set, at args[i] (args[i+1] its value
 * when it takes one), for a <kind> of line:
 *   SSLP_BIND     a bind line (every option of the set: ciphers, curves,
 *                 ca-file, verify, versions, no-*, force-*, strict-sni...)
 *   SSLP_CRTLIST  a crt-list line's [...] (HAProxy's subset)
 *   SSLP_DEFBIND  ssl-default-bind-options (versions, no-tls-tickets,
 *                 prefer-client-ciphers)
 *   SSLP_DEFSRV   ssl-default-server-options (versions, no-tls-tickets)
 * Returns the words used (1 or 2), 0 when the word is not one of them, or
 * -1 with HAProxy's message in <err>. *force gets force-* versions. */
enum { SSLP_BIND = 1, SSLP_CRTLIST, SSLP_DEFBIND, SSLP_DEFSRV };
int ssl_opt_word(struct ssl_opts *o, int *force, int kind, char *const *args, int i, int n,
		 char *err, size_t errlen);
/* HAProxy option words tandem knows and refuses, with why; NULL otherwise. */
const char *ssl_opt_refused(const char *word);

/* ssl_opts: release what they own; copy (deep; 0 or -1); put into <dst>
 * what <src> set and <dst> did not. */
void ssl_opts_free(struct ssl_opts *o);
int  ssl_opts_copy(struct ssl_opts *dst, const struct ssl_opts *src);
int  ssl_opts_fill(struct ssl_opts *dst, const struct ssl_opts *src);

/* A bind line's TLS part (refcounted: each address of the line holds one). */
struct ssl_bind_conf *ssl_bind_conf_new(void);
void ssl_bind_conf_release(struct ssl_bind_conf *c);
/* Global settings: defaults, release. */
void ssl_global_init(struct ssl_global *g);
void ssl_global_free(struct ssl_global *g);

/* ---- configuration (master) --------------------------------------------- */

/* Where messages about the configuration go (src/cfg prefixes file:line). */
struct ssl_report {
	void *ctx;
	void (*err)(void *ctx, int line, const char *msg);
	void (*warn)(void *ctx, int line, const char *msg);
};
/* Load certificates, crt-lists, CA and CRL files, DH parameters and ticket
 * keys, and build the contexts of every TLS bind and server of <cfg>
 * (global defaults applied). Returns the number of errors reported. */
int  ssl_cfg_prepare(struct cfg *cfg, const struct ssl_report *r);
/* Release everything ssl_cfg_prepare() built (cfg_free). */
void ssl_cfg_release(struct cfg *cfg);
/* Release a server's TLS runtime (srv_settings_free). */
void ssl_srv_release(struct server *s);
/* The effective `check-ssl`: checks of <s> use TLS (HAProxy's rule: `ssl`
 * without `port`/`addr` implies it). */
int  ssl_srv_check_ssl(const struct server *s);

/* ---- memory (src/ssl/ssl_mem.c) --------------------------------------------
 * Count OpenSSL's allocations: main() calls ssl_mem_init() before anything
 * else (0, or -1 when OpenSSL already allocated: then nothing is counted);
 * ssl_mem_in_use() is what OpenSSL holds now, in bytes (/metrics). */
int      ssl_mem_init(void);
uint64_t ssl_mem_in_use(void);

/* ---- worker --------------------------------------------------------------- */

/* Before the threads run: per-thread session slots of servers, ticket keys
 * and certificates changed at run time taken over from the shared area,
 * tune.ssl.maxrecord. 0 or -1 (logged). */
int  ssl_worker_init(struct cfg *cfg, int nbthread);

/* ---- connections ---------------------------------------------------------- */

/* Put TLS under an accepted client connection of bind <b> (which has
 * `ssl`). 0, or -1 (out of memory). */
int  ssl_conn_accept(struct conn *c, struct bind_conf *b, int tid);
/* Put TLS under a new connection to server <s> (`ssl`), with SNI <sni>
 * (NULL or "": none). 0 or -1. */
int  ssl_conn_connect(struct conn *c, struct server *s, const char *sni, int tid);

/* What the `sni` expression of <s> gives for a request: <head> is the
 * request head as sent to the server (req.hdr), <cli> the client
 * connection (ssl_fc_sni). Returns the length written to <out> (0: no
 * SNI). */
struct ssl_sni_env {
	const char *head; size_t head_len;
	const struct conn *cli;
};
size_t ssl_srv_sni(const struct server *s, const struct ssl_sni_env *env, char *out, size_t outlen);
/* 1 when the SNI of <s> depends on the request (a connection made with it
 * must not serve another one: CF_PRIVATE). */
int  ssl_srv_sni_private(const struct server *s);

/* A handshake of <c> completed: 1 when a session was resumed. Counts nothing. */
int  ssl_conn_resumed(const struct conn *c);
/* Why the handshake of <c> failed: HAProxy's words ("SSL handshake
 * failure", "Timeout during SSL handshake", ...) into <msg>, OpenSSL's
 * detail ("no shared cipher", "certificate has expired") into <detail>
 * (may be empty). Returns the SSL_HSE_* class (xprt_ssl.h). <timed_out>:
 * the owner cut it at a deadline. */
int  ssl_conn_hs_error(const struct conn *c, int timed_out, char *msg, size_t msglen,
		       char *detail, size_t dlen);
/* The connection error code (CO_ER_SSL_*, conn_err.h) of an SSL_HSE_* class:
 * its text is the <msg> above. */
int  ssl_hse_co_err(int cls);
/* A handshake with server <s> failed on <c>: count it and log it (at most
 * once a second per server, with the number left out). */
void ssl_srv_hs_failed(struct server *s, const struct conn *c);
/* A handshake with server <s> completed on <c>: count it. */
void ssl_srv_hs_done(struct server *s, const struct conn *c);

/* ---- health checks over TLS (src/ssl/ssl_check.c) ---------------------------
 * On the check's own socket <fd> (level-triggered polling, src/check/):
 * the server's context with `check-sni`, `check-alpn` (else `alpn`) and
 * `verifyhost`. */
struct ssl_st;
struct ssl_st *ssl_check_new(struct server *s, int fd);   /* NULL: cannot */
/* 1 done, 0 again (*want_write: wait for room, else for bytes), -1 failed
 * with "SSL handshake failure (reason)" in <err>. */
int  ssl_check_handshake(struct ssl_st *ssl, int *want_write, char *err, size_t errlen);
/* sock_recv()/sock_send()'s contract (include/tandem/sock.h). */
ssize_t ssl_check_recv(struct ssl_st *ssl, void *p, size_t len, int *st);
ssize_t ssl_check_send(struct ssl_st *ssl, const void *p, size_t len, int *st);
void ssl_check_free(struct ssl_st *ssl);
/* A `tcp-check connect ssl` rule's own names on <ssl> (NULL: the
 * server's): SNI (verified as the host name when verification is required
 * and `verifyhost` is not set) and ALPN ("h2,http/1.1"). 0, or -1. */
int  ssl_check_names(struct server *s, struct ssl_st *ssl, const char *sni, const char *alpn);

/* ---- fetches (HAProxy's ssl_fc*, ssl_c_*, ssl_f_*) --------------------------
 * Each takes the client (or server) connection; on a plain connection, or
 * when the value does not exist, strings are NULL, numbers -1 and lengths
 * 0. Strings point into OpenSSL's objects and live as long as the
 * connection (or are written to the caller's buffer where said). */

/* ssl_fc: 1 when <c> is TLS (handshake done or not). */
int         ssl_fc(const struct conn *c);
/* ssl_fc_sni: the server name the client sent, NULL when none. */
const char *ssl_fc_sni(const struct conn *c);
/* ssl_fc_protocol: "TLSv1.3", "TLSv1.2", ... */
const char *ssl_fc_protocol(const struct conn *c);
/* ssl_fc_cipher: the negotiated cipher's OpenSSL name. */
const char *ssl_fc_cipher(const struct conn *c);
/* ssl_fc_use_keysize: secret bits the cipher uses; ssl_fc_alg_keysize: bits
 * of its algorithm's key; -1 none. */
int         ssl_fc_use_keysize(const struct conn *c);
int         ssl_fc_alg_keysize(const struct conn *c);
/* ssl_fc_alpn: the negotiated protocol, *len bytes (not NUL-terminated). */
const unsigned char *ssl_fc_alpn(const struct conn *c, size_t *len);
/* ssl_fc_session_reused: 1 resumed, 0 full handshake, -1 not TLS. */
int         ssl_fc_session_reused(const struct conn *c);
/* ssl_fc_session_id: the session id into <out>; length, 0 none. */
size_t      ssl_fc_session_id(const struct conn *c, unsigned char *out, size_t outlen);
/* ssl_fc_err: OpenSSL's error code of a failed connection, 0 none; and
 * ssl_fc_err_str its text as HAProxy shows it ("error:0A0000C1:SSL
 * routines::no shared cipher") into <out>; length, 0 none. */
unsigned long ssl_fc_err(const struct conn *c);
size_t        ssl_fc_err_str(const struct conn *c, char *out, size_t outlen);
/* ssl_c_used: 1 when the client presented a certificate (also one whose
 * verification failed the handshake). */
int         ssl_c_used(const struct conn *c);
/* ssl_c_verify: the verification result of the client certificate
 * (X509_V_OK = 0, else OpenSSL's X509_V_ERR_* number); -1 not TLS or the
 * handshake not done. */
long        ssl_c_verify(const struct conn *c);
/* ssl_c_err (<ca> 0) / ssl_c_ca_err (<ca> 1): the first verification
 * error of the client's certificate itself / of its chain above it
 * (X509_V_ERR_*), 0 none, -1 not TLS; *depth: where in the chain. */
int         ssl_c_err(const struct conn *c, int ca, int *depth);

/* The certificate fetches: <peer> 1 for the client's (ssl_c_*), 0 for the
 * one tandem presented (ssl_f_*). */
/* ssl_c_s_dn / ssl_f_s_dn (issuer 0), ssl_c_i_dn / ssl_f_i_dn (issuer 1):
 * HAProxy's "/C=FR/O=.../CN=..." form into <out>; length, 0 none. */
size_t ssl_cert_dn(const struct conn *c, int peer, int issuer, char *out, size_t outlen);
/* ssl_c_s_dn(ENTRY[,OCC]): the value of the OCCth (1 first, -1 last, 0 none)
 * entry named ENTRY ("CN", case ignored; a dotted OID for names OpenSSL
 * does not know) into <out> (NUL-terminated); length, 0 none. */
size_t ssl_cert_dn_entry(const struct conn *c, int peer, int issuer, const char *entry, int occ,
			 char *out, size_t outlen);
/* ssl_c_s_dn(,,rfc2253): the RFC 2253 form ("CN=a.test,O=Example"); length, 0 none. */
size_t ssl_cert_dn_rfc2253(const struct conn *c, int peer, int issuer, char *out, size_t outlen);
/* ssl_c_serial / ssl_f_serial: the serial number's bytes; length, 0 none. */
size_t ssl_cert_serial(const struct conn *c, int peer, unsigned char *out, size_t outlen);
/* ssl_c_notbefore / ssl_f_notafter...: HAProxy's "YYMMDDhhmmss[Z]" form; length, 0 none. */
size_t ssl_cert_date(const struct conn *c, int peer, int not_after, char *out, size_t outlen);
/* ssl_c_version / ssl_f_version: X.509 version (1..3), -1 none. */
int    ssl_cert_version(const struct conn *c, int peer);
/* ssl_c_sha1 / ssl_f_sha1: the certificate's SHA-1 fingerprint (20 bytes); length, 0 none. */
size_t ssl_cert_sha1(const struct conn *c, int peer, unsigned char *out, size_t outlen);
/* ssl_c_key_alg / ssl_f_key_alg, ssl_c_sig_alg / ssl_f_sig_alg: OpenSSL's short names. */
const char *ssl_cert_key_alg(const struct conn *c, int peer);
const char *ssl_cert_sig_alg(const struct conn *c, int peer);

#endif
