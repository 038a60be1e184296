/* Sample fetches of the TLS layer (HAProxy's 7.3.4): the client connection
 * (ssl_fc*, the client's certificate ssl_c_*, the one tandem presented
 * ssl_f_*) and the server connection (ssl_bc*, the server's certificate
 * ssl_s_*), read through the accessors of include/tandem/ssl.h.
 *
 * Like HAProxy, on a connection without TLS the booleans (ssl_fc,
 * ssl_fc_has_sni, ssl_c_used, ssl_fc_is_resumed...) are false and
 * everything else has no value. Strings that OpenSSL owns live as long as the connection, longer
 * than any rule or log line that reads them: they are used in place;
 * what is formatted here (names, serials, dates) goes to the arena. */
#include <stdio.h>
#include <string.h>
#include <tandem/sample.h>
#include <tandem/ssl.h>
#include "rules_int.h"

/* Which connection a fetch reads: the client's or the server's. */
static const struct conn *cli(const struct smp_ctx *c) { return c->cli_conn; }
static const struct conn *srv(const struct smp_ctx *c) { return c->srv_conn; }

/* ---- values ------------------------------------------------------------- */

static int v_bool(struct sample *s, int v)
{
	smp_set_bool(s, v);
	return 1;
}

static int v_int(struct sample *s, long long v)
{
	if (v < 0)
		return 0;
	smp_set_int(s, v);
	return 1;
}

static int v_cstr(struct sample *s, const char *p)
{
	if (!p)
		return 0;
	smp_set_str(s, p, strlen(p), SMP_F_CONST);
	return 1;
}

/* <len> bytes of <p> copied to the arena, as a string or a binary. */
static int v_copy(struct sample *s, struct smp_ctx *c, const void *p, size_t len, int type)
{
	char *d;

	if (!len || !(d = arena_dup(c, p, len)))
		return 0;
	smp_set_str(s, d, len, 0);
	s->type = (uint8_t)type;
	return 1;
}

/* ---- the connection ------------------------------------------------------ */

#define CONN_FETCHES(P, CONN)                                                                     \
static int P##_tls(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_bool(s, ssl_fc(CONN(c))); }                                         \
static int P##_protocol(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_cstr(s, ssl_fc_protocol(CONN(c))); }                                \
static int P##_cipher(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_cstr(s, ssl_fc_cipher(CONN(c))); }                                  \
static int P##_use_keysize(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_int(s, ssl_fc_use_keysize(CONN(c))); }                              \
static int P##_alg_keysize(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_int(s, ssl_fc_alg_keysize(CONN(c))); }                              \
static int P##_alpn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{                                                                                                 \
	size_t len;                                                                               \
	const unsigned char *p = ssl_fc_alpn(CONN(c), &len);                                      \
	(void)a; (void)it;                                                                        \
	if (!p)                                                                                   \
		return 0;                                                                         \
	smp_set_str(s, (const char *)p, len, SMP_F_CONST);                                        \
	return 1;                                                                                 \
}                                                                                                 \
static int P##_is_resumed(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{                                                                                                 \
	(void)a; (void)it;   /* HAProxy's: false without TLS, not "no value" */                   \
	return v_bool(s, ssl_fc_session_reused(CONN(c)) > 0);                                     \
}                                                                                                 \
static int P##_session_id(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{                                                                                                 \
	unsigned char id[64];                                                                     \
	(void)a; (void)it;                                                                        \
	return v_copy(s, c, id, ssl_fc_session_id(CONN(c), id, sizeof(id)), SMP_T_BIN);          \
}                                                                                                 \
static int P##_err(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{                                                                                                 \
	(void)a; (void)it;                                                                        \
	if (!ssl_fc(CONN(c)))                                                                     \
		return 0;                                                                         \
	smp_set_int(s, (long long)ssl_fc_err(CONN(c)));                                           \
	return 1;                                                                                 \
}                                                                                                 \
static int P##_err_str(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{                                                                                                 \
	char b[256];                                                                              \
	(void)a; (void)it;                                                                        \
	return v_copy(s, c, b, ssl_fc_err_str(CONN(c), b, sizeof(b)), SMP_T_STR);                \
}

CONN_FETCHES(fc, cli)
CONN_FETCHES(bc, srv)

static int fc_sni(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return v_cstr(s, ssl_fc_sni(c->cli_conn));
}

static int fc_has_sni(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return v_bool(s, ssl_fc_sni(c->cli_conn) != NULL);
}

/* ssl_c_used: a client certificate in the session (resumed or not);
 * ssl_fc_has_crt: one sent during this connection's own handshake. */
static int c_used(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return v_bool(s, ssl_c_used(c->cli_conn));
}

static int fc_has_crt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return v_bool(s, ssl_c_used(c->cli_conn) && ssl_fc_session_reused(c->cli_conn) == 0);
}

static int c_verify(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return v_int(s, ssl_c_verify(c->cli_conn));
}

/* ssl_c_err, ssl_c_ca_err, ssl_c_ca_err_depth: the first verification
 * error at the client's certificate / above it (a handshake with one
 * fails: they are for error-log-format). */
static int c_err(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	int d;

	(void)a; (void)it;
	return v_int(s, ssl_c_err(c->cli_conn, 0, &d));
}

static int c_ca_err(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	int d;

	(void)a; (void)it;
	return v_int(s, ssl_c_err(c->cli_conn, 1, &d));
}

static int c_ca_err_depth(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	int d;

	(void)a; (void)it;
	return ssl_c_err(c->cli_conn, 1, &d) < 0 ? 0 : v_int(s, d);
}

/* ---- certificates -----------------------------------------------------------
 * <peer> 1: the other side's (the client's on the client connection, the
 * server's on the server connection); 0: the one tandem presented. */

#define DN_MAX 1024

/* ssl_x_s_dn([ENTRY[,OCC[,FORMAT]]]): with ENTRY, the OCCth value of
 * that name (default 1); else with FORMAT rfc2253 the RFC 2253 form; else
 * HAProxy's "/C=../CN=.." one-line form. */
static int f_dn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, const struct conn *cn, int peer,
		int issuer)
{
	char buf[DN_MAX];
	size_t len;

	if (a[0].type == ARGT_STR && a[0].u.str.len)
		len = ssl_cert_dn_entry(cn, peer, issuer, a[0].u.str.p,
					a[1].type == ARGT_SINT ? (int)a[1].u.sint : 1, buf, sizeof(buf));
	else if (a[2].type == ARGT_STR && a[2].u.str.len)
		len = ssl_cert_dn_rfc2253(cn, peer, issuer, buf, sizeof(buf));
	else
		len = ssl_cert_dn(cn, peer, issuer, buf, sizeof(buf));
	return v_copy(s, c, buf, len, SMP_T_STR);
}

/* FORMAT: HAProxy knows rfc2253 only. */
static int chk_dn(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	if (a[2].type == ARGT_STR && a[2].u.str.len && strcmp(a[2].u.str.p, "rfc2253")) {
		snprintf(err, errlen, "only rfc2253 or a blank value are currently supported as the format argument.");
		return -1;
	}
	return 0;
}

static int f_serial(struct sample *s, struct smp_ctx *c, const struct conn *cn, int peer)
{
	unsigned char b[64];

	return v_copy(s, c, b, ssl_cert_serial(cn, peer, b, sizeof(b)), SMP_T_BIN);
}

static int f_sha1(struct sample *s, struct smp_ctx *c, const struct conn *cn, int peer)
{
	unsigned char b[64];

	return v_copy(s, c, b, ssl_cert_sha1(cn, peer, b, sizeof(b)), SMP_T_BIN);
}

static int f_date(struct sample *s, struct smp_ctx *c, const struct conn *cn, int peer, int after)
{
	char b[40];

	return v_copy(s, c, b, ssl_cert_date(cn, peer, after, b, sizeof(b)), SMP_T_STR);
}

#define CERT_FETCHES(P, CONN, PEER)                                                               \
static int P##_s_dn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)it; return f_dn(a, s, c, CONN(c), PEER, 0); }                                             \
static int P##_i_dn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)it; return f_dn(a, s, c, CONN(c), PEER, 1); }                                             \
static int P##_serial(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return f_serial(s, c, CONN(c), PEER); }                                      \
static int P##_sha1(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return f_sha1(s, c, CONN(c), PEER); }                                        \
static int P##_notbefore(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return f_date(s, c, CONN(c), PEER, 0); }                                     \
static int P##_notafter(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return f_date(s, c, CONN(c), PEER, 1); }                                     \
static int P##_version(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_int(s, ssl_cert_version(CONN(c), PEER)); }                          \
static int P##_key_alg(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_cstr(s, ssl_cert_key_alg(CONN(c), PEER)); }                         \
static int P##_sig_alg(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it) \
{ (void)a; (void)it; return v_cstr(s, ssl_cert_sig_alg(CONN(c), PEER)); }

CERT_FETCHES(cc, cli, 1)   /* ssl_c_*: the client's certificate */
CERT_FETCHES(ff, cli, 0)   /* ssl_f_*: tandem's, on the client connection */
CERT_FETCHES(ss, srv, 1)   /* ssl_s_*: the server's */

/* ---- the table ------------------------------------------------------------ */

#define L5C SMP_SRC_L5CLI
#define L5S SMP_SRC_L5SRV
#define DNARGS { ARGT_STR, ARGT_SINT, ARGT_STR }

#define CERT_ROWS(PFX, P, SRC)                                                                          \
	{ PFX "_s_dn",      P##_s_dn,      DNARGS, 0, SMP_T_STR,  SRC, 0, chk_dn, -1 },                  \
	{ PFX "_i_dn",      P##_i_dn,      DNARGS, 0, SMP_T_STR,  SRC, 0, chk_dn, -1 },                  \
	{ PFX "_serial",    P##_serial,    { 0 },  0, SMP_T_BIN,  SRC, 0, NULL, -1 },                    \
	{ PFX "_sha1",      P##_sha1,      { 0 },  0, SMP_T_BIN,  SRC, 0, NULL, -1 },                    \
	{ PFX "_notbefore", P##_notbefore, { 0 },  0, SMP_T_STR,  SRC, 0, NULL, -1 },                    \
	{ PFX "_notafter",  P##_notafter,  { 0 },  0, SMP_T_STR,  SRC, 0, NULL, -1 },                    \
	{ PFX "_version",   P##_version,   { 0 },  0, SMP_T_SINT, SRC, 0, NULL, -1 },                    \
	{ PFX "_key_alg",   P##_key_alg,   { 0 },  0, SMP_T_STR,  SRC, 0, NULL, -1 },                    \
	{ PFX "_sig_alg",   P##_sig_alg,   { 0 },  0, SMP_T_STR,  SRC, 0, NULL, -1 }

#define CONN_ROWS(PFX, P, SRC)                                                                          \
	{ PFX,                  P##_tls,         { 0 }, 0, SMP_T_BOOL, SRC, 0, NULL, -1 },               \
	{ PFX "_protocol",      P##_protocol,    { 0 }, 0, SMP_T_STR,  SRC, 0, NULL, -1 },               \
	{ PFX "_cipher",        P##_cipher,      { 0 }, 0, SMP_T_STR,  SRC, 0, NULL, -1 },               \
	{ PFX "_use_keysize",   P##_use_keysize, { 0 }, 0, SMP_T_SINT, SRC, 0, NULL, -1 },               \
	{ PFX "_alg_keysize",   P##_alg_keysize, { 0 }, 0, SMP_T_SINT, SRC, 0, NULL, -1 },               \
	{ PFX "_alpn",          P##_alpn,        { 0 }, 0, SMP_T_STR,  SRC, 0, NULL, -1 },               \
	{ PFX "_is_resumed",    P##_is_resumed,  { 0 }, 0, SMP_T_BOOL, SRC, 0, NULL, -1 },               \
	{ PFX "_session_id",    P##_session_id,  { 0 }, 0, SMP_T_BIN,  SRC, 0, NULL, -1 },               \
	{ PFX "_err",           P##_err,         { 0 }, 0, SMP_T_SINT, SRC, 0, NULL, -1 },               \
	{ PFX "_err_str",       P##_err_str,     { 0 }, 0, SMP_T_STR,  SRC, 0, NULL, -1 }

const struct smp_fetch_kw smp_fetch_ssl[] = {
	CONN_ROWS("ssl_fc", fc, L5C),
	{ "ssl_fc_sni",     fc_sni,     { 0 }, 0, SMP_T_STR,  L5C, 0, NULL, -1 },
	{ "ssl_fc_has_sni", fc_has_sni, { 0 }, 0, SMP_T_BOOL, L5C, 0, NULL, -1 },
	{ "ssl_fc_has_crt", fc_has_crt, { 0 }, 0, SMP_T_BOOL, L5C, 0, NULL, -1 },
	{ "ssl_c_used",     c_used,     { 0 }, 0, SMP_T_BOOL, L5C, 0, NULL, -1 },
	{ "ssl_c_verify",   c_verify,   { 0 }, 0, SMP_T_SINT, L5C, 0, NULL, -1 },
	{ "ssl_c_err",      c_err,      { 0 }, 0, SMP_T_SINT, L5C, 0, NULL, -1 },
	{ "ssl_c_ca_err",   c_ca_err,   { 0 }, 0, SMP_T_SINT, L5C, 0, NULL, -1 },
	{ "ssl_c_ca_err_depth", c_ca_err_depth, { 0 }, 0, SMP_T_SINT, L5C, 0, NULL, -1 },
	CERT_ROWS("ssl_c", cc, L5C),
	CERT_ROWS("ssl_f", ff, L5C),
	CONN_ROWS("ssl_bc", bc, L5S),
	CERT_ROWS("ssl_s", ss, L5S),
	{ NULL, NULL, { 0 }, 0, 0, 0, 0, NULL, -1 },
};
