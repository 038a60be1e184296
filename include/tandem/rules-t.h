/* What the rules language adds to a proxy and to a configuration: the
 * compiled rule sets of a proxy (struct px_rules, hung on proxy->rules,
 * NULL when the proxy has none), and the configuration-wide registry
 * (struct rules_cfg, on cfg->rules): pattern references, userlists,
 * http-errors sections, variable names, cache slots. */
#ifndef TANDEM_RULES_T_H
#define TANDEM_RULES_T_H
#include <stdint.h>
#include <tandem/acl-t.h>
#include <tandem/action-t.h>
#include <tandem/logfmt-t.h>
#include <tandem/pattern-t.h>

/* Rule set indexes; (1u << index) is the RS_* bit of action-t.h. */
enum rule_set {
	RSI_TCP_CONN = 0, RSI_TCP_CONT, RSI_HTTP_REQ, RSI_TCP_RES, RSI_HTTP_RES, RSI_HTTP_AFTER,
	RSI_TCP_SESS, RSI_COUNT
};

/* Status codes an errorfile may replace (HAProxy's list). */
#define RULES_ERR_CODES { 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504 }
#define RULES_N_ERR 17

/* `userlist` sections. */
struct ul_user {
	char     *name;
	char     *pass;          /* crypt(3) hash, or the clear text when insecure */
	int       insecure;
	uint64_t  groups;        /* bit i: member of groups[i] */
};

struct userlist {
	struct userlist *next;
	char            *name;
	struct ul_user  *user;
	int              nuser;
	char           **group;  /* at most 64 */
	int              ngroup;
	char           **grp_users;  /* `group NAME users a,b`: resolved after parsing */
	const char      *file; int line;
};

/* `http-errors` sections. */
struct http_errors {
	struct http_errors *next;
	char               *name;
	struct http_reply  *msg[RULES_N_ERR];
	const char         *file; int line;
};

/* use_backend NAME|%[expr] [if|unless COND] */
struct switch_rule {
	struct acl_cond *cond;
	struct proxy    *be;         /* static name, resolved after parsing */
	char            *be_name;
	struct logfmt   *dyn;        /* dynamic form: the name is computed */
	const char      *file; int line;
};

/* use-server NAME [if|unless COND] */
struct srv_rule {
	struct acl_cond *cond;
	struct server   *srv;
	char            *srv_name;
	const char      *file; int line;
};

/* force-persist / ignore-persist [if|unless COND] */
struct persist_rule {
	int              ignore;     /* 1: ignore-persist */
	struct acl_cond *cond;
};

/* An errorfile / errorfiles / http-error line as written: compiled for
 * each proxy after parsing (defaults sections pass them on), in order. */
struct err_directive {
	char      **args;            /* args[0] is the keyword */
	int         nargs;
	const char *file; int line;
};

/* `capture request|response header NAME len N`, `declare capture request|response len N` */
struct cap_decl {
	char *hdr;                   /* NULL: declared only (filled by rules) */
	int   len;
};

/* A log-format string kept as written until it is compiled for each proxy
 * (defaults sections pass strings on; the proxy's mode and captures decide
 * what it may use). */
struct lf_src {
	char       *text;
	const char *file; int line;
};

struct px_rules {
	struct acl          *acls;               /* named and anonymous ACLs */
	struct rule_list     set[RSI_COUNT];
	uint32_t             inspect_delay[2];   /* tcp-request, tcp-response inspect-delay (ms) */
	struct switch_rule  *be_rule;   int n_be_rule;
	struct srv_rule     *srv_rule;  int n_srv_rule;
	struct persist_rule *persist;   int n_persist;
	struct rule_list     redirects;          /* the `redirect` keyword (after http-request rules) */
	char                *monitor_uri;
	struct acl_cond    **monitor_fail; int n_monitor_fail;
	struct err_directive *err_dir;  int n_err_dir;
	struct http_reply   *errmsg[RULES_N_ERR]; /* resolved: the custom reply per code, NULL = built-in */
	struct cap_decl     *cap_req; int n_cap_req;
	struct cap_decl     *cap_rsp; int n_cap_rsp;
	struct lf_src        lf_src, elf_src, uid_src;
	struct logfmt       *log_format;         /* log-format (NULL: the option's format) */
	struct logfmt       *error_log_format;   /* error-log-format */
	struct logfmt       *unique_id_format;   /* unique-id-format */
	char                *unique_id_header;
	struct acl_cond     *stats_admin;        /* stats admin if|unless COND */
	struct rule_list     stats_rules;        /* stats http-request allow|deny|auth [if|unless COND] */
	int                  http_upgrade;       /* tcp-request content switch-mode http: HTTP rules apply */
	int                  http_rules_ignored; /* HTTP rules dropped: the proxy is in TCP mode */
	unsigned             order_seen;         /* rule kinds met so far (ORD_*, kw_rules.c: order warnings) */
};

/* How the engine reports configuration errors and warnings: the
 * configuration parser (src/cfg/kw_rules.c) turns them into its
 * "parsing [file:line]" alerts; tests and the fuzz driver collect them. */
struct rules_report {
	void (*err)(void *arg, const char *file, int line, const char *msg);
	void (*warn)(void *arg, const char *file, int line, const char *msg);
	void  *arg;
	int    nerr;
};

/* An argument that names something defined later in the file. */
struct arg_fixup {
	struct arg_fixup *next;
	struct smp_arg   *arg;
	struct proxy     *px;        /* the proxy it appears in (for server names) */
	const char       *file; int line;
	char             *kw;        /* the keyword it belongs to, for messages */
};

struct rules_cfg {
	struct pat_ref     *refs;          /* every pattern reference, creation order */
	int                 next_ref_id;
	struct userlist    *userlists;
	struct http_errors *errs;
	char              **var_name;      /* variable registry: "txn.foo", index = id */
	uint8_t            *var_scope;
	int                 nvar;
	char              **cache_key;     /* expression text per cache slot */
	int                 ncache;
	struct arg_fixup   *fixups;
	int                 max_cap_req, max_cap_rsp;  /* most captures of any frontend */
};

#endif
