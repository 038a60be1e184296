/* The rules language as the rest of tandem sees it: what the configuration
 * parser calls to compile it, and what the stream calls to run it.
 *
 * The stream's side, in a request's way (HAProxy's analysers), and where
 * each call is made (src/proxy/, doc/configuration.md "How the rules run"):
 *
 *   accept      rules_run(fe, RSI_TCP_CONN)            tcp_ana.c tcp_accept_rules()
 *               rules_run(fe, RSI_TCP_SESS)
 *   TCP mode    rules_run(fe, RSI_TCP_CONT)            tcp_ana.c st_inspect() (ctx->payload;
 *               rules_inspect_delay(fe, 0)             RV_WAIT until data or the delay)
 *               rules_use_backend(), be's content rules, rules_use_server()
 *   HTTP head   rules_run(fe, RSI_TCP_CONT)            http_ana.c req_rules()
 *               rules_monitor(fe, ctx)                 monitor-uri / monitor fail
 *               rules_capture_req(fe, ctx)             capture request header, txn facts
 *               rules_run(fe, RSI_HTTP_REQ)            http-request, then `redirect` rules
 *               rules_use_backend(fe, ctx)             use_backend (NULL: default_backend)
 *   backend     rules_run(be, RSI_TCP_CONT), rules_run(be, RSI_HTTP_REQ)   when be != fe
 *               rules_use_server(be, ctx, &force)      http_ana.c choose_server()
 *               rules_unique_id_header(fe, ctx)        then the head is written from the message
 *   response    rules_capture_rsp(fe, ctx)             http_ana.c rsp_rules()
 *               rules_run(be, RSI_TCP_RES) / (fe, ...) tcp-response content (TCP mode: st_tunnel())
 *               rules_run(be, RSI_HTTP_RES), then (fe, RSI_HTTP_RES) when be != fe
 *               rules_run(be, RSI_HTTP_AFTER), then fe (also on responses tandem makes:
 *               strm_rules.c rx_render())
 *   log         rules_log(fe, ctx, li, error, ...)     stream_acct.c stream_log()
 *
 * Every verdict other than RV_CONTINUE and RV_ALLOW ends the analysis of
 * the message; a reply is rendered with http_reply_render() right away
 * (while the request head is still there). */
#ifndef TANDEM_RULES_H
#define TANDEM_RULES_H
#include <stddef.h>
#include <tandem/action.h>
#include <tandem/buf-t.h>
#include <tandem/logfmt.h>
#include <tandem/proxy-t.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>

/* ---- configuration (src/cfg/kw_rules.c) ---------------------------------- */

/* The configuration's registry, created on first use (NULL on OOM). */
struct rules_cfg *rules_cfg_get(struct cfg *cfg);
void rules_cfg_free(struct cfg *cfg);
/* The proxy's rule sets, created on first use (NULL on OOM). */
struct px_rules *px_rules_get(struct proxy *px);
/* Copy what a defaults section passes on (formats, errorfiles, monitor-uri,
 * inspect delays, unique-id-header). 0 or -1 (OOM). */
int rules_px_inherit(struct proxy *px, const struct proxy *def);
void rules_px_free(struct proxy *px);
/* After parsing: resolve names (backends, servers, userlists, http-errors
 * sections), compile log formats per proxy, check modes and captures.
 * 0, or -1 (reported). */
int rules_check(struct cfg *cfg, struct rules_report *rep);

/* userlist sections (src/rules/userlist.c) */
struct userlist *userlist_new(struct rules_cfg *rc, const char *name, const char *file, int line,
			      char *err, size_t errlen);
int  userlist_kw(struct userlist *ul, char **args, int nargs, char *err, size_t errlen);
int  userlist_resolve(struct userlist *ul, char *err, size_t errlen);
void userlists_free(struct rules_cfg *rc);
struct userlist *userlist_find(const struct rules_cfg *rc, const char *name);
/* 0-based user index when <user>/<pass> are valid in <ul>, else -1. */
int  userlist_check(const struct userlist *ul, const char *user, const char *pass);
/* Errorfiles (src/rules/reply.c) */
struct http_reply *errorfile_load(const char *path, char *err, size_t errlen);
int  rules_err_index(int status);

/* ---- the stream's side ------------------------------------------------------ */

/* Per-stream storage: captures, unique id, request facts (sample-t.h). */
struct txn_store *txn_store_new(const struct proxy *fe);
void txn_store_reset(struct txn_store *t);
void txn_store_free(struct txn_store *t);

/* Start a new transaction in <ctx>: drops cached results, txn/req/res
 * variables and captures. Call before the first rule of each request. */
void rules_txn_begin(struct smp_ctx *ctx);
/* End of request processing (req variables go) / of the response (res). */
void rules_req_end(struct smp_ctx *ctx);
void rules_rsp_end(struct smp_ctx *ctx);

/* Run rule set <set> (enum rule_set) of <px>. RSI_HTTP_REQ also runs the
 * proxy's `redirect` rules when the http-request rules did not decide.
 * Sets ctx->phase. Zero <res> before a first run (see rule_list_run). */
void rules_run(const struct proxy *px, int set, struct smp_ctx *ctx, struct rule_result *res);
/* Does <px> have rules in <set>? (to skip setting up a context) */
int rules_has(const struct proxy *px, int set);
/* tcp-request (dir 0) / tcp-response (dir 1) inspect-delay, ms. */
uint32_t rules_inspect_delay(const struct proxy *px, int dir);

/* use_backend: the first matching rule's backend (dynamic names looked up
 * in <cfg>), or NULL (use default_backend). A dynamic name that names no
 * backend gives NULL too, as in HAProxy. */
struct proxy *rules_use_backend(const struct cfg *cfg, const struct proxy *fe, struct smp_ctx *ctx);
/* use-server: the first matching rule's server (even when DOWN, as in
 * HAProxy, when the request is persistent: *force set by force-persist),
 * or NULL. *force: 1 force-persist matched, -1 ignore-persist matched, 0. */
struct server *rules_use_server(const struct proxy *be, struct smp_ctx *ctx, int *force);
/* monitor-uri: 0 when the request is not for it; else 200, or 503 when a
 * `monitor fail` condition holds. */
int rules_monitor(const struct proxy *fe, struct smp_ctx *ctx);
/* stats admin if|unless: may this request use the stats page's admin
 * actions? (1 also when no condition is configured but `stats admin` is.) */
int rules_stats_admin(const struct proxy *px, struct smp_ctx *ctx);

/* Capture `capture request header` slots and the request facts the log
 * needs later (method, version). Call once the request head is parsed. */
void rules_capture_req(const struct proxy *fe, struct smp_ctx *ctx);
/* Same for `capture response header` and the response version. */
void rules_capture_rsp(const struct proxy *fe, struct smp_ctx *ctx);
/* The transaction's unique id, generated from the frontend's
 * unique-id-format on first use. NULL when there is none. */
const char *rules_unique_id(struct smp_ctx *ctx, size_t *len);
/* Add unique-id-header to ctx->req (0, or -1 when the head is full). */
int rules_unique_id_header(const struct proxy *fe, struct smp_ctx *ctx);

/* The access-log line for this transaction from the frontend's log-format
 * (or error-log-format when <error> and one is set), into <out>. Returns
 * the length, or 0 when the frontend has no custom format (the option's
 * format applies). The context's req/rsp are not used (gone at log time). */
size_t rules_log(const struct proxy *fe, struct smp_ctx *ctx, const struct lf_info *li, int error,
		 char *out, size_t outlen);
/* The custom reply for <status> configured on <px> (errorfile, errorfiles,
 * http-error), or NULL: render it with http_reply_render(). */
const struct http_reply *rules_errmsg(const struct proxy *px, int status);
/* "HTTP/1.1 103 Early Hints" with the early-hint headers collected, into
 * <out>; 0 (nothing when there are none) or -1 (no room). */
int rules_early_hints(const struct smp_ctx *ctx, struct buf *out);

/* Free the calling thread's caches (regex match data, log-format scratch,
 * crypt area) and give back its reader slot. Call when a thread ends. */
void rules_thread_exit(void);

/* Editing a parsed head in place (src/rules/hdr_edit.c), for what edits
 * heads besides the rules (cookie persistence): values must live in the
 * context's arena (or longer) until the head is emitted. 0, or -1 on a
 * rewrite failure (header table full, a value with CR/LF/NUL). */
int msg_add_hdr(struct smp_ctx *ctx, struct h1_msg *m, const char *name, size_t nlen,
		const char *val, size_t vlen);
int msg_set_hdr_value(struct smp_ctx *ctx, struct h1_msg *m, unsigned idx, const char *val, size_t vlen);
void msg_del_hdr(struct smp_ctx *ctx, struct h1_msg *m, unsigned idx);

/* Helpers other files of the engine share. */
int rules_nbsrv(const struct proxy *be);
uint64_t rules_rand64(void);

#endif
