/* Internals of src/ssl/: the certificate store, the contexts of binds and
 * servers, crt-lists, ticket keys. Only src/ssl/ includes this (and the
 * OpenSSL headers with it); everything else goes through
 * include/tandem/ssl.h and ssl_store.h.
 *
 * Ownership and threads (doc/tls.md, "How it is built"):
 *   - everything hangs off one configuration (struct cfg.ssl): a reload's
 *     new configuration, parsed in the master while the old one still
 *     runs, never shares a certificate object with it;
 *   - a certificate's data (struct ckch_data) is immutable once loaded and
 *     reference counted: each SSL_CTX built from it holds a reference
 *     (released with the context by OpenSSL's ex_data free callback), so
 *     a context still used by a handshake in flight keeps its data alive
 *     after `commit ssl cert` replaced it;
 *   - the runtime API (worker thread 0) is the only writer of the store,
 *     the crt-lists and the SNI indexes; handshakes on every thread read
 *     a bind's index and contexts under its read lock, and leave the lock
 *     holding their own reference to the context they picked. */
#ifndef TANDEM_SSL_INT_H
#define TANDEM_SSL_INT_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <tandem/list.h>
#include <tandem/proxy-t.h>
#include <tandem/ssl.h>

/* ---- certificates ----------------------------------------------------- */

/* One certificate with its key, chain, DH parameters and OCSP response,
 * as read from a file (or from a `set ssl cert` payload). */
struct ckch_data {
	int            refs;          /* atomic */
	X509          *cert;
	EVP_PKEY      *key;
	STACK_OF(X509) *chain;
	EVP_PKEY      *dh;            /* DH parameters found in the PEM, or NULL */
	X509          *issuer;        /* of the leaf, for OCSP (chain or .issuer) */
	unsigned char *ocsp;          /* DER OCSP response to staple, NULL none */
	size_t         ocsp_len;
	int            ocsp_file;     /* a .ocsp file exists (stapling enabled even if empty) */
	char         **names;         /* DNS names: subjectAltName DNS entries and CN, lowercase */
	int            nnames;
	int            key_type;      /* EVP_PKEY_RSA, EVP_PKEY_EC, ... */
	time_t         not_before, not_after;
	unsigned char  sig[32];       /* SHA-256 of the files read (disk signature), zero for a payload */
	char          *pem;           /* the payload as committed (runtime changes), NULL from a file */
	size_t         pem_len;
};

/* A certificate in the store, by path (HAProxy's ckch_store). */
struct ckch {
	struct list    link;          /* in ssl_cfg_rt.ckchs */
	char          *path;
	struct ckch_data *d;          /* current data; NULL for a `new ssl cert` not yet committed */
	struct ckch_data *txn;        /* `set ssl cert` in progress, NULL none */
	int            txn_open;      /* a transaction exists (new or set) */
	int            direct;        /* named by a `crt` on a bind or server line (cannot be deleted) */
	int            nused;         /* instances and servers using it */
	unsigned char  disk_sig[32];  /* the file as the configuration loaded it */
	int            has_disk;      /* disk_sig is meaningful */
	int            from_runtime;  /* the data came from the runtime API (now or before a reload) */
};

/* ---- crt-lists ---------------------------------------------------------- */

struct crtlist_entry {
	struct list    link;          /* in crtlist.entries */
	struct ckch   *c;
	struct ssl_opts *o;           /* the line's [options], NULL none */
	char         **filters;       /* SNI filters as written ("!" and "*." kept), NULL-terminated */
	int            nfilters;
	int            line;          /* line in the file (0: added at run time) */
};

/* A crt-list file, or a directory given to `crt` (loaded the same way). */
struct crtlist {
	struct list    link;          /* in ssl_cfg_rt.crtlists */
	char          *path;
	int            is_dir;
	struct list    entries;
};

/* ---- binds -------------------------------------------------------------- */

struct ssl_bind_rt;

/* One certificate served by one bind (a `crt` file, a crt-list line). */
struct ckch_inst {
	struct list    link;          /* in ssl_bind_rt.insts, in order */
	struct ssl_bind_rt *b;
	struct ckch   *c;
	struct crtlist_entry *ent;    /* the crt-list line, NULL for a `crt` file */
	struct ssl_opts o;            /* bind options with the line's on top (owned) */
	SSL_CTX       *ctx;           /* current context (under b->lock) */
	int            key_type;      /* of its certificate (under b->lock) */
	unsigned       order;         /* declaration order: the lowest wins a tie */
};

/* A name of a bind's SNI index. */
struct sni_ent {
	char          *name;          /* lowercase; for a wildcard, without the "*" (".example.com") */
	int            wild, neg;
	struct ckch_inst *inst;
};

struct tkeys;

struct ssl_bind_rt {
	struct bind_conf *bc;
	struct ssl_bind_conf *sc;
	SSL_CTX       *initial;       /* no certificate: session cache, ticket keys, the ClientHello switch */
	pthread_rwlock_t lock;        /* the index and each instance's ctx */
	struct list    insts;         /* struct ckch_inst */
	struct ckch_inst *def;        /* the default certificate (the first one) */
	struct sni_ent *sni;          /* sorted by name, then wild, then order */
	int            nsni;
	unsigned       next_order;
	struct tkeys  *tk;            /* ticket keys, NULL: no tickets */
	unsigned char *alpn;          /* bind ALPN, wire format */
	size_t         alpn_len;
	int            verify;        /* effective TLS_VFY_* of the bind line */
	struct crtlist **lists;       /* crt-lists and `crt` directories it loads */
	int            nlists;
};

/* Per-context data kept with each SSL_CTX (ex_data, freed with it). */
struct ctx_extra {
	struct ckch_data *d;          /* reference, for OCSP stapling */
	unsigned char *alpn;          /* wire format (server side: what we prefer) */
	size_t         alpn_len;
	char          *curves;        /* applied to the SSL after the switch (crt-list curves) */
	int            min_ver, max_ver; /* OpenSSL version numbers, 0 none */
};

/* ---- ticket keys -------------------------------------------------------- */

#define TKEYS_N 3
struct tkey {
	unsigned char  name[16];
	unsigned char  aes[32];
	unsigned char  hmac[32];
	int            aes256;        /* 80-byte key (AES-256), else 48 (AES-128) */
};
struct tkeys {
	struct list    link;          /* in ssl_cfg_rt.tkeys */
	char          *file;          /* NULL: generated (shared with the next worker) */
	pthread_rwlock_t lock;
	struct tkey    k[TKEYS_N];
	int            n;
	int            enc;           /* the key that encrypts new tickets */
};

/* ---- servers -------------------------------------------------------------- */

enum { SNIF_NONE = 0, SNIF_STR, SNIF_HDR, SNIF_FC_SNI };
enum { SNIC_LOWER = 1, SNIC_UPPER, SNIC_FIELD };
struct sni_expr {
	int            fetch;         /* SNIF_* */
	char          *arg;           /* string, or header name */
	int            occ;           /* header occurrence: > 0 from the first, < 0 from the last */
	int            full;          /* req.fhdr: whole lines, not comma-separated values */
	struct { int type, n; char delim; } conv[4];
	int            nconv;
};

struct srv_sess {                 /* the last session a thread got from the server */
	SSL_SESSION   *sess;
	char           sni[256];
};

struct ssl_srv_rt {
	struct server *srv;
	pthread_rwlock_t lock;        /* ctx (replaced by `commit ssl cert` of the client certificate) */
	SSL_CTX       *ctx;
	struct ckch   *crt;           /* client certificate, NULL none */
	struct sni_expr sni;
	unsigned char *check_alpn;    /* wire, NULL: the server's */
	size_t         check_alpn_len;
	struct srv_sess *thr;         /* [nthr] */
	int            nthr;
	int            verify;        /* effective */
	uint64_t       fail_log_s;    /* last handshake failure logged (seconds) */
	unsigned       fail_quiet;    /* failures not logged since */
};

/* ---- the whole configuration's TLS state (struct cfg.ssl) --------------- */

struct ssl_cfg_rt {
	struct cfg    *cfg;
	pthread_rwlock_t lock;        /* the store and the crt-lists (CLI writes; metrics read) */
	struct list    ckchs;         /* struct ckch */
	struct list    crtlists;      /* struct crtlist */
	struct list    tkeys;         /* struct tkeys */
	struct tkeys  *gen_keys;      /* generated ticket keys, shared by binds without a file */
	EVP_PKEY      *dh_global;     /* ssl-dh-param-file */
	int            nbthread;
	struct ckch   *txn;           /* the certificate of the one transaction in progress */
};

/* ---- shared helpers ------------------------------------------------------- */

/* Errors and warnings while loading (configuration or runtime API). */
struct ssl_msgs {
	const struct ssl_report *r;   /* NULL: collect in <buf> only */
	int            line;          /* configuration line the messages are about */
	char          *buf; size_t len;  /* the first error, for the runtime API */
	int            nerr;
};
void ssl_err(struct ssl_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ssl_warn(struct ssl_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* OpenSSL's reason for the last failure (and clear its queue). */
const char *ssl_reason(char *buf, size_t len);
/* 0 when <path> is a regular file (or a directory, <dir_ok>), else -1 with
 * errno: a FIFO or a device would block the loader or never end. */
int ssl_plain_file(const char *path, int dir_ok);

/* ssl_ckch.c */
struct ckch_data *ckch_data_load_file(const char *path, struct ssl_msgs *m);
struct ckch_data *ckch_data_load_mem(const char *pem, size_t len, char *err, size_t errlen);
struct ckch_data *ckch_data_dup(const struct ckch_data *d);
void ckch_data_ref(struct ckch_data *d);
void ckch_data_unref(struct ckch_data *d);
int  ckch_data_set_ocsp(struct ckch_data *d, const unsigned char *der, size_t len, char *err, size_t errlen);
struct ckch *ckch_find(struct ssl_cfg_rt *rt, const char *path);
struct ckch *ckch_get(struct ssl_cfg_rt *rt, const char *path, struct ssl_msgs *m);  /* find or load */
void ckch_free(struct ckch *c);
int  ckch_key_ecdsa(const struct ckch_data *d);

/* ssl_ctx.c */
extern int ssl_idx_extra;        /* SSL_CTX ex_data: struct ctx_extra */
extern int ssl_idx_crt;          /* SSL ex_data: a client certificate that failed verification (X509) */
int  ssl_lib_init(void);
int  ssl_ver_openssl(int v);     /* TLSV_* -> TLS1_2_VERSION, ... */
SSL_CTX *ssl_ctx_bind_initial(struct ssl_bind_rt *b, const struct ssl_global *g, struct ssl_msgs *m);
SSL_CTX *ssl_ctx_bind_inst(struct ssl_bind_rt *b, const struct ssl_opts *o, struct ckch_data *d,
			   struct ssl_cfg_rt *rt, const struct ssl_global *g, struct ssl_msgs *m);
int  ssl_alpn_wire(const char *list, unsigned char **out, size_t *len);
void ssl_switch_ctx(SSL *ssl, SSL_CTX *ctx);
int  ssl_verify_cb(int ok, X509_STORE_CTX *st);
int  ssl_load_dh_file(const char *path, EVP_PKEY **out, struct ssl_msgs *m);

/* ssl_bind.c */
int  ssl_client_hello_cb(SSL *ssl, int *al, void *arg);
int  ssl_bind_build(struct ssl_cfg_rt *rt, struct bind_conf *bc, struct ssl_msgs *m);
void ssl_bind_free(struct ssl_bind_rt *b);
int  ssl_bind_reindex(struct ssl_bind_rt *b);   /* under the write lock */
struct ckch_inst *ssl_inst_new(struct ssl_bind_rt *b, struct ckch *c, struct crtlist_entry *e,
			       struct ssl_cfg_rt *rt, struct ssl_msgs *m);
void ssl_inst_free(struct ckch_inst *i);
struct crtlist *crtlist_find(struct ssl_cfg_rt *rt, const char *path);
struct crtlist *crtlist_load(struct ssl_cfg_rt *rt, const char *path, int is_dir, struct ssl_msgs *m);
/* <store_only>: the certificate must already be in the store (runtime API:
 * no file is read then). */
int  crtlist_parse_line(struct ssl_cfg_rt *rt, const char *line, int lineno, struct crtlist_entry **out,
			struct ssl_msgs *m, int store_only);
/* The options of <o> as crt-list words ("alpn h2 verify none ..."). */
void ssl_opts_words(const struct ssl_opts *o, char *out, size_t len);
void crtlist_entry_free(struct crtlist_entry *e);
void crtlist_free(struct crtlist *l);
/* Binds using crt-list <l> (callback per bind). */
void ssl_binds_using(struct ssl_cfg_rt *rt, const struct crtlist *l, void (*fn)(struct ssl_bind_rt *, void *), void *arg);
int  ssl_bind_uses_list(const struct ssl_bind_rt *b, const struct crtlist *l);

/* ssl_tickets.c */
struct tkeys *tkeys_load(struct ssl_cfg_rt *rt, const char *file, struct ssl_msgs *m);
struct tkeys *tkeys_generated(struct ssl_cfg_rt *rt);
void tkeys_free(struct tkeys *t);
int  ssl_ticket_cb(SSL *s, unsigned char key_name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx,
		   EVP_MAC_CTX *hctx, int enc);
/* Worker: take the generated keys from the shared area (or publish them). */
void tkeys_handover(struct ssl_cfg_rt *rt);

/* ssl_ocsp.c */
int  ssl_ocsp_check(struct ckch_data *d, const unsigned char *der, size_t len, char *why, size_t whylen);
int  ssl_ocsp_status_cb(SSL *ssl, void *arg);
const char *ssl_ocsp_describe(const struct ckch_data *d, char *buf, size_t len);

/* ssl_opts.c */
int  sni_expr_parse(const char *expr, struct sni_expr *x, char *err, size_t errlen);

/* ssl_srv.c */
int  ssl_srv_new_sess_cb(SSL *ssl, SSL_SESSION *sess);
int  ssl_srv_build(struct ssl_cfg_rt *rt, struct server *s, const struct ssl_global *g, struct ssl_msgs *m);
void ssl_srv_free(struct ssl_srv_rt *r);
SSL_CTX *ssl_srv_ctx_make(struct ssl_srv_rt *r, const struct server *s, const struct ssl_global *g,
			  struct ckch_data *crt, struct ssl_msgs *m);

/* ssl_store.c: serve <d> for <c> everywhere it is used (the contexts are
 * built first; nothing changes if one fails). Takes <d>'s reference. */
int  ssl_store_replace(struct ssl_cfg_rt *rt, struct ckch *c, struct ckch_data *d, char *err, size_t errlen);

/* ssl_handover.c (worker side of the shared area) */
void ssl_handover_import(struct ssl_cfg_rt *rt);
void ssl_handover_commit(struct ckch *c);

/* small string helpers */
char *ssl_path_join(const char *base, const char *path);  /* malloc'd */
/* *path made ssl_path_join(base, *path) in place; -1 (*path kept) when out of
 * memory. Which paths to rebase (absolute, '@' names) is the caller's rule. */
int   ssl_path_rebase(char **path, const char *base);
void  ssl_lower(char *s);

#endif
