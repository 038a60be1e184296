/* The expression engine's types: samples, their arguments, fetch and
 * converter keywords, compiled expressions and the evaluation context the
 * stream fills before running rules (HAProxy's section 7.3 model).
 *
 * An expression ("req.hdr(host),lower,map(hosts.map)") is compiled once at
 * load into a struct smp_expr: a fetch keyword with typed arguments and an
 * array of converters. Nothing is parsed per request. Evaluation reads the
 * request or response head in place (zero-copy slices of the input buffer);
 * converters write their results into the per-request arena. */
#ifndef TANDEM_SAMPLE_T_H
#define TANDEM_SAMPLE_T_H
#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tandem/h1-t.h>

struct proxy;
struct server;
struct regex;
struct pat_ref;
struct pat_head;
struct userlist;
struct smp_ctx;
struct rules_cfg;
struct cap_decl;
struct stk_conf;
struct stk_ctr;
struct lf_info;
struct conn;

/* Sample types (HAProxy's). Strings and binaries are (pointer, length):
 * never NUL-terminated, never written through unless SMP_F_CONST is clear. */
enum smp_type {
	SMP_T_ANY = 0,   /* argument or output type not known yet */
	SMP_T_BOOL,
	SMP_T_SINT,      /* signed 64-bit integer */
	SMP_T_ADDR,      /* IPv4 or IPv6: only as an expected input type */
	SMP_T_IPV4,
	SMP_T_IPV6,
	SMP_T_STR,
	SMP_T_BIN,
	SMP_TYPES
};

/* Sample flags. */
enum {
	SMP_F_CONST      = 1u << 0,  /* bytes belong to someone else (message, config): copy before changing */
	SMP_F_NOT_LAST   = 1u << 1,  /* an iterating fetch has more values: call it again */
	SMP_F_MAY_CHANGE = 1u << 2,  /* data incomplete: the value may change with more data */
	SMP_F_VOL        = 1u << 3,  /* the value depends on state that changes (never cached) */
};

struct sample {
	uint8_t type;          /* enum smp_type */
	uint8_t flags;         /* SMP_F_* */
	union {
		long long       sint;    /* BOOL (0/1) and SINT */
		struct in_addr  ipv4;
		struct in6_addr ipv6;
		struct { const char *p; size_t len; } str;   /* STR and BIN */
	} u;
};

/* ---- arguments -------------------------------------------------------- */

/* Argument types of fetches, converters and actions, checked at load. */
enum arg_type {
	ARGT_STOP = 0,   /* end of the list */
	ARGT_SINT,       /* integer */
	ARGT_STR,        /* string (may be empty) */
	ARGT_IPV4,       /* an IPv4 address */
	ARGT_MSK4,       /* an IPv4 netmask: bits or dotted */
	ARGT_IPV6,
	ARGT_MSK6,       /* an IPv6 prefix length */
	ARGT_BE,         /* a backend, by name (resolved after parsing) */
	ARGT_SRV,        /* a server, [backend/]server (resolved after parsing) */
	ARGT_USR,        /* a userlist (resolved after parsing) */
	ARGT_REG,        /* a regular expression (compiled) */
	ARGT_VAR,        /* a variable name: scope.name */
	ARGT_MAP,        /* a map file (loaded): only map converters */
	ARGT_TIME,       /* a time with unit (ms) */
	ARGT_TAB,        /* a stick table, by name (resolved after parsing; empty: the proxy's own) */
};

#define SMP_MAX_ARGS 5

struct smp_arg {
	uint8_t type;          /* enum arg_type; ARGT_STOP = not given */
	union {
		long long sint;
		struct { char *p; size_t len; } str;
		struct in_addr  ipv4;
		struct in6_addr ipv6;
		struct proxy   *px;
		struct server  *srv;
		struct userlist *ul;
		struct regex   *re;
		int             var;     /* variable id (vars registry) */
		struct pat_head *map;    /* compiled map index */
		struct stk_conf *tab;    /* stick table (stick-t.h) */
	} u;
	char *name;            /* BE/SRV/USR: the name as written, until resolved */
};

/* ---- where a sample's data comes from, and where it may be used ---------
 * HAProxy refuses at load a fetch used where its data cannot be there (a
 * response header in a request rule). Each fetch names its source; each
 * rule set names the sources available to it. */
enum {
	SMP_SRC_INTRN = 1u << 0,   /* constants, environment, proxies, servers */
	SMP_SRC_L4    = 1u << 1,   /* the client connection: addresses, ports */
	SMP_SRC_TXN   = 1u << 2,   /* variables, unique id */
	SMP_SRC_HRQHV = 1u << 3,   /* request head (headers, URI), while analysed */
	SMP_SRC_HRQHP = 1u << 4,   /* request facts kept for the whole transaction (method, captures) */
	SMP_SRC_HRSHV = 1u << 5,   /* response head, while analysed */
	SMP_SRC_HRSHP = 1u << 6,   /* response facts kept afterwards (status, captures) */
	SMP_SRC_REQ   = 1u << 7,   /* request bytes (TCP content inspection) */
	SMP_SRC_RES   = 1u << 8,   /* response bytes (TCP content inspection) */
	SMP_SRC_BE    = 1u << 9,   /* the chosen backend / server */
	SMP_SRC_L5CLI = 1u << 10,  /* the client connection's transport (TLS: ssl_fc*, ssl_c_*, ssl_f_*) */
	SMP_SRC_L5SRV = 1u << 11,  /* the server connection's transport (ssl_bc*, ssl_s_*): once it exists */
};

/* Rule sets (HAProxy's analysers) and what each may see. */
enum smp_phase {
	SMP_PH_TCP_CONN = 0,   /* tcp-request connection */
	SMP_PH_TCP_CONT,       /* tcp-request content */
	SMP_PH_HTTP_REQ,       /* http-request, use_backend, use-server, monitor fail, redirect... */
	SMP_PH_TCP_RES,        /* tcp-response content */
	SMP_PH_HTTP_RES,       /* http-response */
	SMP_PH_HTTP_AFTER,     /* http-after-response */
	SMP_PH_LOG,            /* log-format at log time (the heads are gone) */
	SMP_PH_COUNT
};

/* ---- keywords --------------------------------------------------------- */

struct smp_iter;

/* A fetch: fills <smp> and returns 1, or returns 0 when there is no value
 * (the ACL is then false). <it> is NULL for one value; otherwise the fetch
 * iterates (e.g. every occurrence of a header) and sets SMP_F_NOT_LAST
 * while more values may follow; the caller calls again with the same <it>. */
typedef int (*smp_fetch_fn)(const struct smp_arg *args, struct sample *smp,
			    struct smp_ctx *ctx, struct smp_iter *it);
/* A converter: transforms <smp> in place. 1 = done, 0 = no value. */
typedef int (*smp_conv_fn)(const struct smp_arg *args, struct sample *smp, struct smp_ctx *ctx);
/* Where an expression is compiled, for its checks and messages. */
struct smp_pctx {
	struct rules_cfg *rcfg;
	struct proxy     *px;        /* the proxy (backend/server arguments default to it) */
	const char       *file;
	int               line;
	int               phase;     /* enum smp_phase, -1: not checked here (checked later) */
	int               in_acl;    /* parsing an ACL criterion */
};

/* Argument check at load: 0, or -1 with <err> filled. */
typedef int (*smp_check_fn)(const struct smp_pctx *pc, struct smp_arg *args, char *err, size_t errlen);

enum {
	SMP_KW_VOLATILE = 1u << 0,   /* never cached: time, random, state that changes */
	SMP_KW_ITER     = 1u << 1,   /* iterates occurrences in ACLs when <occ> is not given */
	SMP_KW_DEPREC   = 1u << 2,   /* deprecated alias (still accepted) */
};

struct smp_fetch_kw {
	const char   *name;
	smp_fetch_fn  fn;
	uint8_t       args[SMP_MAX_ARGS];  /* argument types, ARGT_STOP-terminated */
	uint8_t       min_args;            /* mandatory ones */
	uint8_t       out_type;            /* enum smp_type */
	uint16_t      src;                 /* SMP_SRC_* it needs */
	uint16_t      flags;               /* SMP_KW_* */
	smp_check_fn  check;
	int           iter_arg;            /* ITER: index of the <occ> argument (-1: none) */
};

struct smp_conv_kw {
	const char   *name;
	smp_conv_fn   fn;
	uint8_t       args[SMP_MAX_ARGS];
	uint8_t       min_args;
	uint8_t       in_type;             /* SMP_T_ANY accepts any castable input */
	uint8_t       out_type;            /* SMP_T_ANY: same as its input */
	uint16_t      flags;               /* SMP_KW_VOLATILE when it reads variables */
	smp_check_fn  check;
	const void   *priv;                /* per-keyword data (map match method...) */
};

/* ---- compiled expression ----------------------------------------------- */

struct smp_conv {
	const struct smp_conv_kw *kw;
	struct smp_arg args[SMP_MAX_ARGS];
};

struct smp_expr {
	const struct smp_fetch_kw *fetch;
	struct smp_arg   args[SMP_MAX_ARGS];
	struct smp_conv *conv;
	int              nconv;
	int              cache_slot;     /* per-request cache index, -1: not cached */
	uint8_t          out_type;       /* type after the last converter */
	char            *text;           /* as written, for messages */
};

/* Iteration state for fetches that return several values. */
struct smp_iter {
	int      started;
	unsigned idx;        /* next header / cookie index */
	size_t   off;        /* offset inside the current value (comma lists) */
};

/* ---- evaluation context ------------------------------------------------ */

/* Per-request scratch memory for rewritten values and converter results.
 * Bounded: an allocation that does not fit fails (a rewrite failure). */
struct smp_arena {
	char  *area;
	size_t size, used;
	int    full;       /* an allocation failed since it was last cleared */
};

/* Per-request cache of expression results (one entry per cacheable
 * expression of the configuration). An entry is valid while its epoch is
 * the context's: bumping the epoch (new request, message edited) drops
 * every entry at once, without touching them. */
struct smp_cache_ent {
	uint32_t      epoch;
	uint8_t       ok;        /* 1: a value, 0: no value */
	struct sample smp;
};

/* Variable scopes (HAProxy's). */
enum var_scope { VS_PROC = 0, VS_SESS, VS_TXN, VS_REQ, VS_RES, VS_CHECK, VS_COUNT };

struct var_ent {
	uint32_t gen;            /* valid when == the store's generation for its scope */
	uint8_t  type;           /* enum smp_type */
	long long sint;
	union { struct in_addr v4; struct in6_addr v6; } ip;
	char    *buf;            /* STR / BIN bytes (owned) */
	size_t   len, cap;
};

/* A set of variables owned by the stream: one for the client connection
 * (sess scope) and one for the transaction (txn, req and res scopes).
 * Entries are indexed by the variable's id in the configuration's
 * registry and allocated on the first set. */
struct var_store {
	struct var_ent *ent;
	int             n;
	uint32_t        gen[VS_COUNT];   /* current generation per scope */
};

/* What the stream stores for one transaction beyond the message heads:
 * captured headers (`capture request|response header`, `declare capture`,
 * `http-request capture`), the unique id, and what rules asked for the
 * log line. Allocated once per stream (txn_store_new), reset per request. */
struct txn_store {
	char   **cap_req;      /* [n_cap_req] captured values, NULL = none */
	uint16_t *cap_req_len;
	char   **cap_rsp;
	uint16_t *cap_rsp_len;
	int      n_cap_req, n_cap_rsp;
	const struct cap_decl *req_decl, *rsp_decl;   /* the frontend's slots (lengths, names) */
	char    *cap_mem;      /* backing storage for all slots */
	char    *cap_req_mem, *cap_rsp_mem;
	char     unique_id[128]; /* HAProxy's UNIQUEID_LEN */
	int      unique_id_len;  /* -1: not generated yet */
	int      log_level;      /* set-log-level: -1 unchanged, -2 silent, else LL_* */
	int      strict;         /* strict-mode of the rule set being run (1 = on) */
	int      no_l7_retry;    /* disable-l7-retry */
	/* request facts that outlive the request head */
	int      meth;           /* enum h1_method */
	char     meth_str[16];   /* the method when H1_M_OTHER (truncated) */
	int      req_ver;        /* 10 / 11, 0 = unknown */
	int      rsp_ver;        /* 10 / 11 of the response, 0 = none yet */
};

/* Everything a fetch may look at. The stream fills it before running a rule
 * list (see rules.h for which fields each rule set needs):
 *   - connection and proxies: always;
 *   - req: the request head being analysed (request rules only);
 *   - rsp: the response head being analysed (response rules only);
 *   - payload: TCP content inspection (tcp-request/tcp-response content);
 *   - arena, cache, vars, txn: owned by the stream (or the thread for the
 *     arena and the cache), see rules.h. */
struct smp_ctx {
	const struct sockaddr_storage *src, *dst;   /* client and local addresses (dst: see dst_fd) */
	int              dst_fd;    /* dst_lazy: the client socket, asked for its local address on first use */
	uint8_t          dst_lazy;  /* dst is not known yet: smp_ctx_dst() fills dst_buf from dst_fd */
	struct sockaddr_storage dst_buf;
	struct proxy    *fe, *be;
	struct server   *srv;                       /* NULL until chosen */
	/* the connections themselves, for the TLS fetches (include/tandem/ssl.h):
	 * the client's (NULL: none known, as a plain one) and the server's
	 * (NULL until connected) */
	const struct conn *cli_conn, *srv_conn;
	struct h1_msg   *req, *rsp;
	const char      *payload;   /* TCP mode: bytes received so far (req or res side) */
	size_t           payload_len;
	int              payload_final;  /* 1: no more bytes will come (or inspect-delay over) */
	int              status;    /* HTTP status when known, else -1 */
	int              phase;     /* enum smp_phase being run */
	struct smp_arena *arena;
	struct smp_cache_ent *cache;
	int              ncache;
	uint32_t         epoch;     /* cache epoch (bumped by smp_ctx_invalidate) */
	struct var_store *sess_vars, *txn_vars;
	/* where the client connection keeps its sess variables: the store is
	 * created on the first set (an idle client without any costs nothing) */
	struct var_store **sess_home;
	struct txn_store *txn;
	const struct rules_cfg *rcfg;   /* the configuration's registry (vars, caches) */
	uint64_t         req_count; /* requests on this client connection (http_first_req) */
	const char      *req_line;  /* "GET /x HTTP/1.1" as received, kept by the stream for the log */
	size_t           req_line_len;
	const char      *body;      /* request body bytes buffered so far (wait-for-body), or NULL */
	size_t           body_len;
	int              body_final;/* the whole body is in <body> (or the wait is over) */
	struct h1_hdr   *hints;     /* early-hint headers collected by http-request rules (arena) */
	unsigned         nhints;
	/* what %-variables show when a format is rendered at rule time (a
	 * header value, the unique id): the stream's facts so far, or NULL */
	const struct lf_info *li;
	/* stick tables: the counters tracked by this stream (track-sc in
	 * tcp-request content and http rules, [STK_NB_TRACK]) and by its
	 * session (tcp-request connection/session), allocated by the first
	 * such rule; NULL when the caller provides none */
	struct stk_ctr  *trk;
	struct stk_ctr **sess_trk;
	/* where the last rule that matched came from (last_rule_file/line) */
	const char      *last_rule_file;
	int              last_rule_line;
};

#endif
