/* Internals shared by the files of src/rules/ (not part of the engine's
 * interface: see sample.h, acl.h, action.h, logfmt.h, rules.h). */
#ifndef TANDEM_RULES_INT_H
#define TANDEM_RULES_INT_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/h1-t.h>
#include <tandem/rules-t.h>
#include <tandem/sample-t.h>

/* util.c */
/* Base64 (RFC 4648) decode of <in> into <out> (room for in_len*3/4+3).
 * <url>: the base64url alphabet. Returns the length, or -1 when invalid. */
long b64_decode(const char *in, size_t in_len, char *out, int url);
/* Encode; returns the length written (room: (in_len+2)/3*4 + 1). */
size_t b64_encode(const char *in, size_t in_len, char *out, int url);
/* URL-decode in place ("%XX", and '+' as space when <plus>); -1 when a
 * '%' is not followed by two hex digits. Returns the new length. */
long url_decode(char *s, size_t len, int plus);
int hex_val(int c);
/* Case-insensitive compare of a header name with <s>/<len>. */
int name_ieq(const struct h1_str *n, const char *s, size_t len);

/* fetch_http.c: the request method as a string, from the head or the
 * transaction. */
int http_method_str(const struct smp_ctx *ctx, const char **p, size_t *len);

/* userlist.c */
/* Check Basic credentials of the request against <ul>: returns the user's
 * index, or -1. */
int userlist_check_req(const struct userlist *ul, const struct h1_msg *req);
/* Decode the Authorization header: fills user and password (NUL-terminated,
 * in the arena). 1 ok, 0 none or not Basic. */
int http_auth_basic(struct smp_ctx *ctx, const struct h1_msg *req, int proxy_auth,
		    const char **user, const char **pass, const char **type, size_t *type_len);

/* hdr_edit.c: editing a parsed head in place (values go to the arena).
 * Every function returns 0, or -1 on a rewrite failure (arena full,
 * header table full), and invalidates the context's cache. */
int msg_add_hdr(struct smp_ctx *ctx, struct h1_msg *m, const char *name, size_t nlen,
		const char *val, size_t vlen);
int msg_set_hdr_value(struct smp_ctx *ctx, struct h1_msg *m, unsigned idx, const char *val, size_t vlen);
void msg_del_hdr(struct smp_ctx *ctx, struct h1_msg *m, unsigned idx);
int msg_set_uri(struct smp_ctx *ctx, struct h1_msg *m, const char *uri, size_t len);
int msg_set_method(struct smp_ctx *ctx, struct h1_msg *m, const char *meth, size_t len);
/* Copy <len> bytes into the arena (NULL when full). */
char *arena_dup(struct smp_ctx *ctx, const char *p, size_t len);
/* Parts of a request URI: path (from the first '/' after the authority
 * of an absolute URI), query (after '?', without it; has_q says whether
 * there is a '?'). */
void uri_split(const char *uri, size_t len, const char **path, size_t *plen,
	       const char **query, size_t *qlen, int *has_q);
/* Is <name> a header tandem re-emits itself (framing) or must not forward
 * as is (hop-by-hop)? 2 framing, 1 hop-by-hop, 0 end-to-end. */
int hdr_kind(const char *name, size_t len);

/* capture.c */
/* Store <len> bytes into capture slot <slot> of the request (rsp = 0) or
 * the response (1), truncated to the slot's length. */
void txn_capture(struct txn_store *t, int rsp, int slot, const char *p, size_t len);

/* stick_act.c: the stick table actions (track-sc0/1/2, sc-inc-gpc0/1,
 * sc-set-gpt0), a second table of action.c's. */
struct action_kw;
extern const struct action_kw stick_actions[];
/* stick_fetch.c: the key of table <t> from sample <smp> (cast to the
 * table's type). 1, or 0 when the sample cannot be a key of it. */
struct stk_table;
struct stk_key;
int stk_key_of_smp(const struct stk_table *t, struct sample *smp, struct smp_ctx *ctx, struct stk_key *k);

/* rules.c: the proxy's rules (allocated on first use, NULL on OOM). */
struct px_rules *px_rules_get(struct proxy *px);
/* Report an error / a warning at the parse position <pc>. rep_err
 * returns -1. */
int  rep_err(struct rules_report *rep, const struct smp_pctx *pc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rep_warn(struct rules_report *rep, const struct smp_pctx *pc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
