/* Internals of the configuration parser, shared by the files of src/cfg/.
 *
 * Parsing is table driven: each subsystem owns a table of keywords
 * (kw_global.c, kw_proxy.c, kw_server.c...) listed in parse.c. A handler
 * gets the words of one line and the parsing context; it reports its own
 * errors through cfg_err() and returns -1, or returns 0. */
#ifndef TANDEM_CFG_INT_H
#define TANDEM_CFG_INT_H
#include <stdarg.h>
#include <stdint.h>
#include <tandem/cfg.h>
#include <tandem/cfg_value.h>
#include <tandem/proxy-t.h>
#include <tandem/srv_kw.h>

/* Section kinds (ctx->sec). */
enum { SEC_NONE = 0, SEC_GLOBAL, SEC_DEFAULTS, SEC_FRONTEND, SEC_BACKEND, SEC_LISTEN, SEC_SKIP, SEC_VRRP,
       SEC_VRRP_SCRIPT, SEC_VRRP_TFILE, SEC_VRRP_GROUP, SEC_ANYCAST, SEC_USERLIST, SEC_HTTP_ERRORS, SEC_RESOLVERS, SEC_PEERS };

/* Where a proxy keyword may appear (cfg_kw.where). */
#define KW_DEF  (1u << 0)
#define KW_FE   (1u << 1)
#define KW_BE   (1u << 2)
#define KW_LI   (1u << 3)
#define KW_ALL  (KW_DEF | KW_FE | KW_BE | KW_LI)
#define KW_NODEF (KW_FE | KW_BE | KW_LI)
#define KW_NO_OK (1u << 8)   /* accepts the "no" prefix */

#define CFG_MAX_NESTED_IF 10   /* HAProxy's MAXNESTEDCONDS */

struct cfg_ctx {
	struct cfg   *cfg;
	const char   *file;      /* == cfg->path, lives as long as cfg */
	int           line;      /* line being parsed, 0 when none */
	int           nerr;
	char         *err; size_t errlen;   /* first error, "FILE:LINE: message" */
	int           sec;       /* SEC_* */
	struct proxy *px;        /* current proxy or defaults section */
	struct list   defaults;  /* every defaults section (struct proxy), file order */
	struct proxy *last_def;  /* defaults applied to the next proxies (NULL: built-in) */
	int           no;        /* the line started with "no" (removed from args) */
	/* preprocessor (cond.c): conditional blocks, HAProxy's nesting states */
	int           cond_lvl;
	unsigned char cond[CFG_MAX_NESTED_IF];
	int           abort;     /* a fatal directive (.alert, a bad .if): stop reading */
};

/* A keyword handler: args[0] is the keyword, args[nargs] is NULL. */
typedef int (*cfg_kw_fn)(struct cfg_ctx *ctx, char **args, int nargs);

struct cfg_kw {
	const char *name;        /* a trailing '*' matches any keyword with that prefix */
	unsigned    where;       /* KW_* for proxy keywords, unused for global */
	cfg_kw_fn   fn;
};

/* Keyword tables, each ended by a { NULL } entry. */
extern const struct cfg_kw cfg_global_kws[];   /* kw_global.c */
extern const struct cfg_kw cfg_proxy_kws[];    /* kw_proxy.c */
extern const struct cfg_kw cfg_server_kws[];   /* kw_server.c: server, default-server */
extern const struct cfg_kw cfg_retry_kws[];    /* kw_retry.c: retry-on, retry-budget */
extern const struct cfg_kw cfg_rules_kws[];    /* kw_rules.c: acl, http-request, use_backend... */
extern const struct cfg_kw cfg_stick_kws[];    /* kw_stick.c: stick-table, stick, cookie, hash-type... */

/* ---- errors and warnings (parse.c) ----
 * cfg_err logs "[ALERT] ... : config : parsing [FILE:LINE] : msg", counts
 * the error and keeps the first one as "FILE:LINE: msg" for the caller.
 * The _at variants name another line (0: no line). Always return -1. */
int  cfg_err(struct cfg_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  cfg_err_at(struct cfg_ctx *ctx, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cfg_warn(struct cfg_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The log format a proxy has so far ("log-format", "option httplog"...),
 * NULL for none: the last of them wins (HAProxy warns in defaults). */
const char *cfg_log_format_prev(const struct proxy *px);
void cfg_warn_at(struct cfg_ctx *ctx, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "frontend", "backend", "listen" or "defaults". */
const char *cfg_px_type(const struct proxy *px);
/* 1 if the current proxy has <cap> (defaults always do). Otherwise warns
 * "'KW' ignored because TYPE 'NAME' has no CAP capability." (HAProxy's
 * behaviour for tuning keywords) and returns 0. */
int  cfg_px_has_cap(struct cfg_ctx *ctx, int cap, const char *kw);

/* ---- argument helpers (parse.c); report the error and return -1 ---- */
int  cfg_max_args(struct cfg_ctx *ctx, char **args, int nargs, int max);
int  cfg_arg_int(struct cfg_ctx *ctx, const char *kw, const char *s, long long min, long long max, long long *out);
int  cfg_arg_time(struct cfg_ctx *ctx, const char *kw, const char *s, uint32_t *ms);
int  cfg_arg_size(struct cfg_ctx *ctx, const char *kw, const char *s, uint64_t *out);
/* Replace *dst by a copy of <s> (NULL allowed). 0 or -1 (out of memory, reported). */
int  cfg_strdup(struct cfg_ctx *ctx, char **dst, const char *s);
/* Words args[from..nargs-1] joined by single spaces, malloc'd (NULL on OOM). */
char *cfg_join(char **args, int from, int nargs);

/* ---- values (value.c): include/tandem/cfg_value.h ---- */

/* ---- shared parsers ---- */
/* kw_global.c: parse a `log` line (global or proxy, not `log global`) and
 * append a struct log_target to <into>. */
int  cfg_parse_log(struct cfg_ctx *ctx, char **args, int nargs, struct list *into);
void cfg_log_targets_free(struct list *l);
int  cfg_log_targets_copy(struct list *dst, const struct list *src);
/* kw_global.c: fill built-in global defaults; compute the automatic ones
 * (nbthread, maxconn, node, rlimit_nofile) after parsing. */
void cfg_global_init(struct global *g);
int  cfg_global_finish(struct cfg_ctx *ctx);
void cfg_global_free(struct global *g);

/* kw_server.c: the server keywords and settings: include/tandem/srv_kw.h */

/* kw_proxy.c: the `bind` keyword, also used for `listen NAME ADDR`. */
int  cfg_kw_bind(struct cfg_ctx *ctx, char **args, int nargs);
/* kw_proxy.c: why a known HAProxy proxy keyword is rejected, or NULL. */
const char *cfg_proxy_rejected(const char *kw);

/* kw_vrrp.c: the `vrrp NAME`, `vrrp-script NAME`, `vrrp-track-file NAME`
 * and `vrrp-sync-group NAME` sections (start, their keywords, post-parse
 * checks, release), and the VRRP global keywords (keepalived-config...).
 * The current section is the last of its list. */
int  cfg_vrrp_start(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_vrrp_global(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_vrrp_kw(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_vrrp_check(struct cfg_ctx *ctx);
void cfg_vrrp_free(struct cfg *cfg);

/* kw_bgp.c: the `anycast NAME` section (BGP announcements through BIRD),
 * the same four steps. The current section is the last of cfg->anycasts. */
int  cfg_bgp_start(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_bgp_kw(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_bgp_check(struct cfg_ctx *ctx);
void cfg_bgp_free(struct cfg *cfg);
/* kw_resolvers.c: the `resolvers NAME` section (start, its keywords, the
 * post-parse checks that also find each server's section, release); the
 * DNS server keywords (rows in kw_server.c); `server-template`; the first
 * address of a server written with a name (init-addr) from <a> (its
 * address as written, the port made explicit: cfg_srv_port_map), <idx> being its
 * place in a server-template (0 otherwise): 0, or -1 with <why>. */
int  cfg_resolvers_start(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_resolvers_kw(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_resolvers_check(struct cfg_ctx *ctx);
void cfg_resolvers_free(struct cfg *cfg);
int  cfg_skw_resolvers(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int  cfg_skw_resolve_prefer(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int  cfg_skw_resolve_net(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int  cfg_skw_resolve_opts(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int  cfg_skw_init_addr(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int  cfg_kw_server_template(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_srv_addr(struct server *s, const char *a, int idx, char *why, size_t wl);
/* kw_server.c: srv_parse_server for the <idx>-th server of a template. */
struct server *srv_parse_server_at(struct proxy *be, const struct server *tmpl, const char *name,
				   char **args, int nargs, unsigned mode, int idx, char *err, size_t errlen);

/* kw_rules.c: the `userlist` and `http-errors` sections, `stats admin
 * if|unless COND`, and the rules' checks after parsing. */
int  cfg_userlist_start(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_userlist_kw(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_http_errors_start(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_http_errors_kw(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_stats_admin_cond(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_stats_http_rule(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_rules_check(struct cfg_ctx *ctx);

/* kw_stick.c: persistence and hash balancing (doc/persistence.md): the
 * hash forms of `balance`, the `peers` section, `localpeer`, what a
 * defaults section passes on, release, and the checks after parsing. */
int  cfg_balance_hash(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_peers_start(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_peers_kw(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_kw_localpeer(struct cfg_ctx *ctx, char **args, int nargs);
int  cfg_persist_inherit(struct proxy *px, const struct proxy *def);
void cfg_persist_free(struct proxy *px);
void cfg_stick_free(struct cfg *cfg);
int  cfg_stick_check(struct cfg_ctx *ctx);

/* parse.c: proxy life cycle */
struct proxy *cfg_proxy_new(struct cfg_ctx *ctx, const char *name, int cap, const struct proxy *def);
void cfg_proxy_free(struct proxy *px);

/* cond.c: `.if/.elif/.else/.endif` and `.notice/.warning/.alert/.diag`.
 * cfg_cond_line() returns 1 when the line was a directive or lies in a
 * block the conditions leave out (the parser skips it), else 0.
 * cfg_cond_end() reports an unterminated block at the end of the file. */
int  cfg_cond_line(struct cfg_ctx *ctx, char **args, int nargs);
void cfg_cond_end(struct cfg_ctx *ctx);

/* check_lt.c: the checks of the long tail for <px> (log targets,
 * dispatch, ports of checked servers), called by cfg_check(). */
void cfg_check_longtail(struct cfg_ctx *ctx, struct proxy *px);

/* check.c: post-parse resolution and checks. 0 or -1 (errors reported). */
int  cfg_check(struct cfg_ctx *ctx);

#endif
