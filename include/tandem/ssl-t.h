/* TLS settings as the configuration writes them (HAProxy's keywords and
 * defaults): the global section's `ssl-default-*` and `tune.ssl.*`, the
 * TLS options of a `bind` line (and of a crt-list line), and the values
 * shared with server lines. No OpenSSL type appears here: the contexts
 * built from these settings live in src/ssl/ (opaque `rt` pointers), so
 * the model headers stay free of the library. See doc/tls.md. */
#ifndef TANDEM_SSL_T_H
#define TANDEM_SSL_T_H
#include <stdint.h>

/* `verify`: none, optional (bind only), required. UNSET: the default
 * applies (bind: none; server: `ssl-server-verify`, itself required). */
enum { TLS_VFY_UNSET = 0, TLS_VFY_NONE, TLS_VFY_OPTIONAL, TLS_VFY_REQUIRED };

/* Protocol versions, in order (`ssl-min-ver`, `ssl-max-ver`, force-*). */
enum { TLSV_UNSET = 0, TLSV_SSL3, TLSV_10, TLSV_11, TLSV_12, TLSV_13 };
#define TLSV_MIN TLSV_SSL3
#define TLSV_MAX TLSV_13

/* Option words of bind lines, server lines and `ssl-default-*-options`
 * (struct ssl_opts.flags). */
enum {
	SSLO_NO_SSLV3    = 1u << 0,   /* no-sslv3 ... no-tlsv13: one bit per version */
	SSLO_NO_TLSV10   = 1u << 1,
	SSLO_NO_TLSV11   = 1u << 2,
	SSLO_NO_TLSV12   = 1u << 3,
	SSLO_NO_TLSV13   = 1u << 4,
	SSLO_NO_TICKETS  = 1u << 5,   /* no-tls-tickets */
	SSLO_PREFER_CLI  = 1u << 6,   /* prefer-client-ciphers (bind) */
	SSLO_STRICT_SNI  = 1u << 7,   /* strict-sni (bind) */
	SSLO_NO_CA_NAMES = 1u << 8,   /* no-ca-names (bind, crt-list) */
	SSLO_KTLS        = 1u << 9,   /* ktls on: kernel TLS after the handshake (SSL_OP_ENABLE_KTLS) */
	SSLO_NO_KTLS     = 1u << 10,  /* ktls off, written explicitly */
};
#define SSLO_NO_VERS (SSLO_NO_SSLV3 | SSLO_NO_TLSV10 | SSLO_NO_TLSV11 | SSLO_NO_TLSV12 | SSLO_NO_TLSV13)
/* The bit of SSLO_NO_SSLV3..SSLO_NO_TLSV13 for version <v> (TLSV_*). */
#define SSLO_NO_VER(v) (1u << ((v) - TLSV_SSL3))

/* The settings a bind line, a crt-list line (`[...]`) and the global
 * ssl-default-bind-* lines share. Strings are owned (NULL: not written).
 * <set> says which members were written, so that a crt-list line only
 * overrides what it names and a default only fills what a bind left out. */
enum {
	SSLS_CIPHERS = 1u << 0, SSLS_SUITES = 1u << 1, SSLS_CURVES = 1u << 2, SSLS_ECDHE = 1u << 3,
	SSLS_CA = 1u << 4, SSLS_CA_VERIFY = 1u << 5, SSLS_CRL = 1u << 6, SSLS_ALPN = 1u << 7,
	SSLS_VERIFY = 1u << 8, SSLS_MIN = 1u << 9, SSLS_MAX = 1u << 10,
};
struct ssl_opts {
	char    *ciphers;        /* TLS <= 1.2 cipher list (OpenSSL syntax) */
	char    *ciphersuites;   /* TLS 1.3 suites */
	char    *curves;         /* groups list; when set, `ecdhe` is ignored */
	char    *ecdhe;          /* one named curve (default prime256v1 in HAProxy; OpenSSL's list here) */
	char    *ca_file;        /* CAs verifying clients (names sent in the CertificateRequest) */
	char    *ca_verify_file; /* more CAs to verify with, whose names are not sent */
	char    *crl_file;
	char    *alpn;           /* "h2,http/1.1" as written */
	int      verify;         /* TLS_VFY_* */
	int      min_ver, max_ver;  /* TLSV_*, UNSET: default (min TLSv1.2, max TLSv1.3) */
	uint32_t flags;          /* SSLO_* */
	uint32_t set;            /* SSLS_*: written members */
};

/* Where the certificates of a bind come from, in the order written: the
 * first one found is the default certificate. */
enum { SSL_CRT_FILE = 0, SSL_CRT_LIST };
struct ssl_crt_src {
	int   type;              /* SSL_CRT_FILE (file or directory) / SSL_CRT_LIST */
	char *path;              /* as written (crt-base applied after parsing) */
};

/* The TLS part of a bind line. The bind_confs of one line (one per
 * address) share it (<refs>). */
struct ssl_bind_conf {
	int      refs;
	int      ssl;            /* the `ssl` keyword: TLS on this listener */
	struct ssl_opts o;
	int      force_ver;      /* force-sslv3 .. force-tlsv13: TLSV_*, 0 none */
	char    *tls_ticket_keys;   /* `tls-ticket-keys FILE` */
	struct ssl_crt_src *crts; int ncrts;
	const char *file; int line; /* the bind line, for messages */
	char    *where;          /* "bind 127.0.0.1:443" for messages */
	void    *rt;             /* contexts, certificates, SNI index: src/ssl/ (struct ssl_bind_rt) */
};

/* Global TLS settings (the `global` section). */
struct ssl_global {
	char    *crt_base, *ca_base;
	struct ssl_opts bind_def;   /* ssl-default-bind-ciphers/-ciphersuites/-curves/-options */
	int      bind_force;
	struct ssl_opts srv_def;    /* ssl-default-server-* */
	int      srv_force;
	char    *dh_param_file;     /* ssl-dh-param-file */
	int      default_dh_param;  /* tune.ssl.default-dh-param, bits; 0: not set */
	int      cachesize;         /* tune.ssl.cachesize, sessions (default 20000, 0 = no cache) */
	uint32_t lifetime;          /* tune.ssl.lifetime, seconds (default 300) */
	uint32_t maxrecord;         /* tune.ssl.maxrecord, bytes (0 = no limit) */
	int      server_verify;     /* ssl-server-verify: TLS_VFY_NONE / REQUIRED (default) */
	const char *dh_file; int dh_line; /* where ssl-dh-param-file was written */
};

#define SSL_DEF_CACHESIZE 20000
#define SSL_DEF_LIFETIME  300

#endif
