/* What a proxy configures for persistence and hash balancing
 * (doc/persistence.md): the `cookie` keyword, `dynamic-cookie-key`, the
 * hash balancing algorithms (`balance uri|url_param|hdr()|rdp-cookie|hash`,
 * `hash-type`, `hash-balance-factor`), `stick` rules and the proxy's own
 * `stick-table`. Hung on proxy->persist, NULL when the proxy has none. */
#ifndef TANDEM_PERSIST_T_H
#define TANDEM_PERSIST_T_H
#include <stdint.h>
#include <tandem/acl-t.h>
#include <tandem/sample-t.h>
#include <tandem/stick-t.h>

/* ---- cookie NAME ... ---- */
enum { CK_NONE = 0, CK_INSERT, CK_REWRITE, CK_PREFIX, CK_PASSIVE /* no mode word: only read */ };
enum {
	CK_F_INDIRECT = 1u << 0,
	CK_F_NOCACHE  = 1u << 1,
	CK_F_POSTONLY = 1u << 2,
	CK_F_PRESERVE = 1u << 3,
	CK_F_HTTPONLY = 1u << 4,
	CK_F_SECURE   = 1u << 5,
	CK_F_DYNAMIC  = 1u << 6,
};

struct ck_conf {
	char     *name;          /* NULL: no cookie persistence */
	size_t    nlen;
	int       mode;          /* CK_* */
	unsigned  flags;         /* CK_F_* */
	char     *domain;        /* "; domain=a; domain=b" joined as HAProxy emits them, NULL: none */
	char     *attrs;         /* `attr` values joined with "; ", NULL: none */
	uint32_t  maxidle;       /* seconds, 0: none */
	uint32_t  maxlife;
	int       line;          /* where it was configured (messages) */
};

/* ---- hash balancing ---- */
enum { HK_URI = 0, HK_URL_PARAM, HK_HDR, HK_RDP_COOKIE, HK_EXPR };
enum { HT_MAP = 0, HT_CONSISTENT };
enum { HF_SDBM = 0, HF_DJB2, HF_WT6, HF_CRC32, HF_NONE };

struct hash_conf {
	int       key;           /* HK_*: what `balance` hashes (lbalgo LB_HASH) */
	int       uri_whole;     /* uri: keep the query string */
	int       uri_path_only; /* uri path-only */
	uint32_t  uri_len;       /* uri len N: 0 none */
	uint32_t  uri_depth;     /* uri depth N: 0 none */
	char     *name;          /* url_param / hdr / rdp-cookie name */
	size_t    nlen;
	int       check_post;    /* url_param ... check_post */
	int       domain_only;   /* hdr(...) use_domain_only */
	char     *expr_text;     /* hash EXPR as written (compiled per backend) */
	struct smp_expr *expr;
	int       type;          /* HT_*; default map-based */
	int       type_set;      /* hash-type given (consistent defaults to sdbm + avalanche) */
	int       func;          /* HF_* */
	int       avalanche;
	int       balance_factor;/* hash-balance-factor, 0: off, else >= 100 */
};

/* ---- stick on|match|store-request|store-response EXPR [table T] [cond] ---- */
enum { STICK_MATCH = 1u << 0, STICK_STORE_REQ = 1u << 1, STICK_STORE_RSP = 1u << 2 };

struct stick_rule {
	unsigned         flags;       /* STICK_*: `stick on` is MATCH | STORE_REQ */
	struct smp_expr *expr;
	struct acl_cond *cond;
	char            *table_name;  /* NULL: the proxy's own table */
	struct stk_conf *table;       /* resolved after parsing */
	const char      *file; int line;
};

struct lb_chash;   /* lb_chash.c: the consistent hash rings */

/* ---- what a stream keeps for one request (src/proxy/persist.c) ---- */

/* What the request's persistence cookie said (HAProxy's TX_CK_*). */
enum { CKS_NONE = 0, CKS_VALID, CKS_DOWN, CKS_INVALID, CKS_EXPIRED, CKS_OLD, CKS_UNUSED };

struct ck_req {
	uint8_t         state;        /* CKS_* */
	uint32_t        first, last;  /* dates in the cookie (wall seconds), 0: none */
	struct server  *srv;          /* the server it named and that may take it */
};

/* A key to store once the server is known (stick store-request/response). */
#define PST_MAX_STORE 8
#define PST_KEY_INLINE 48
struct pst_store {
	struct stk_table *t;
	uint16_t          len;
	uint8_t           rsp;        /* from a store-response rule */
	uint8_t           key[PST_KEY_INLINE];
	uint8_t          *big;        /* a longer key (malloc'd) */
};

struct strm_persist {
	struct stk_ctr   trk[STK_NB_TRACK];   /* track-sc of content and HTTP rules */
	struct ck_req    ck;
	struct server   *psrv;        /* the server persistence chose (cookie, stick match), NULL: none */
	uint8_t          ignore;      /* ignore-persist matched */
	uint8_t          force;       /* force-persist matched */
	uint8_t          has_hash;    /* the request has a hash key (LB_HASH) */
	uint8_t          hash_body;   /* url_param check_post: look in the body at connect time */
	uint32_t         hash;
	int              nstore;
	struct pst_store store[PST_MAX_STORE];
};

struct px_persist {
	struct ck_conf     ck;
	char              *dyn_key;       /* dynamic-cookie-key */
	struct hash_conf   hash;
	struct stick_rule *stick;  int nstick;
	struct stk_conf   *table;         /* this proxy's stick-table, NULL: none */
	struct lb_chash   *chash;         /* run time: rings (made by the first pick) */
};

#endif
