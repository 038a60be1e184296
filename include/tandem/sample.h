/* The expression engine: compiling sample expressions at load and
 * evaluating them per request (see sample-t.h). */
#ifndef TANDEM_SAMPLE_H
#define TANDEM_SAMPLE_H
#include <stddef.h>
#include <string.h>
#include <tandem/sample-t.h>

struct rules_cfg;
struct proxy;

/* ---- compiling (load time) ---------------------------------------------- */

/* Compile the expression starting at <text>. It ends at the end of the
 * string, or at the first character that cannot continue it (a ']' in a
 * log-format string, a space); *end (if not NULL) points there. Returns the
 * expression, or NULL with <err> filled ("unknown fetch method 'x'", ...). */
struct smp_expr *smp_expr_parse(const char *text, const char **end, const struct smp_pctx *pc,
				char *err, size_t errlen);
void smp_expr_free(struct smp_expr *e);
/* Can a fetch that needs <src> run in <phase>? 1 yes, 0 no. */
int smp_src_ok(unsigned src, int phase);
/* Human name of the first source in <src> not available in <phase>
 * ("HTTP request headers"), for HAProxy-like messages. */
const char *smp_src_name(unsigned src, int phase);
/* Check that <e> can run in <phase>: 0, or -1 with <err> filled. */
int smp_expr_check_phase(const struct smp_expr *e, int phase, char *err, size_t errlen);
/* Sources <e> needs (fetch). */
unsigned smp_expr_src(const struct smp_expr *e);

const struct smp_fetch_kw *smp_find_fetch(const char *name, size_t len);
const struct smp_conv_kw *smp_find_conv(const char *name, size_t len);
/* Every fetch / converter keyword, for documentation checks and the fuzz
 * dictionary: calls <fn> for each name. */
void smp_for_each_kw(void (*fn)(const char *name, int is_conv, void *arg), void *arg);
const char *smp_type_name(int type);

/* Parse one argument <s> as <type> into <a> (used for actions' arguments
 * too). 0, or -1 with <err> filled. */
int smp_arg_parse(const struct smp_pctx *pc, int type, const char *s, size_t len,
		  struct smp_arg *a, char *err, size_t errlen);
void smp_arg_free(struct smp_arg *a);
/* Have the name argument <a> (backend, server, userlist, table) resolved
 * after parsing, for keyword <kw>. <a> must not move until then. 0 or -1. */
int smp_arg_defer(const struct smp_pctx *pc, struct smp_arg *a, const char *kw);
/* Register variable <name> ("txn.foo") in the configuration; returns its
 * id, or -1 with <err> filled (bad scope or name). */
int vars_register(struct rules_cfg *rc, const char *name, size_t len, char *err, size_t errlen);

/* ---- evaluating (run time) ---------------------------------------------- */

/* Evaluate <e> to one value (the last occurrence for iterating fetches,
 * as HAProxy does outside ACLs). Results of cacheable expressions are
 * kept for the request until smp_ctx_invalidate(). 1 = value, 0 = none. */
int smp_eval(const struct smp_expr *e, struct smp_ctx *ctx, struct sample *out);
/* Iterating evaluation for ACLs: call with a zeroed <it> until it returns 0
 * or <out> lacks SMP_F_NOT_LAST. */
int smp_eval_iter(const struct smp_expr *e, struct smp_ctx *ctx, struct smp_iter *it, struct sample *out);
/* Evaluate and convert to a string (integers and addresses printed) in the
 * arena or in place. 1 = value, 0 = none. */
int smp_eval_str(const struct smp_expr *e, struct smp_ctx *ctx, struct sample *out);

/* Convert <smp> to <type> in place (HAProxy's casts). 1 ok, 0 not possible. */
int smp_cast(struct sample *smp, int type, struct smp_ctx *ctx);
/* Could a sample of type <from> be cast to <to>? */
int smp_castable(int from, int to);
/* Make a string/binary sample writable (copy into the arena when CONST),
 * with room for <extra> more bytes. 1 ok, 0 arena full. */
int smp_make_rw(struct sample *smp, size_t extra, struct smp_ctx *ctx);

/* ---- the context ----------------------------------------------------------- */

/* Allocate <n> bytes from the request's arena; NULL when it is full. */
void *smp_alloc(struct smp_ctx *ctx, size_t n);
/* The local address of the client connection (dst, %fi), asked for once
 * when the context has it lazily; NULL when unknown. */
const struct sockaddr_storage *smp_ctx_dst(struct smp_ctx *ctx);
/* Forget every cached result (a message was edited, the backend changed, a
 * new request or phase starts). */
void smp_ctx_invalidate(struct smp_ctx *ctx);

/* ---- variables (src/rules/vars.c) ---------------------------------------- */

/* Set variable <id> to <smp> (copied). Returns 1, or 0 when it cannot be
 * stored (no store for its scope, out of memory). */
int vars_set(struct smp_ctx *ctx, int id, const struct sample *smp);
/* Read variable <id>; 1 = set (string bytes stay owned by the store), 0 = not set. */
int vars_get(struct smp_ctx *ctx, int id, struct sample *smp);
void vars_unset(struct smp_ctx *ctx, int id);
/* Drop every variable of <scope> in <vs> (new request: VS_TXN, VS_REQ, VS_RES). */
void vars_reset(struct var_store *vs, int scope);
void vars_store_free(struct var_store *vs);
/* Scope of variable <id> (enum var_scope). */
int vars_scope(const struct rules_cfg *rc, int id);
/* Release the process-wide (proc scope) variables. */
void vars_proc_free(void);

/* ---- helpers shared by the fetch and converter files --------------------- */

/* Set <smp> to a constant or arena string. */
static inline void smp_set_str(struct sample *smp, const char *p, size_t len, int flags)
{
	smp->type = SMP_T_STR;
	smp->flags = (uint8_t)flags;
	smp->u.str.p = p;
	smp->u.str.len = len;
}
static inline void smp_set_int(struct sample *smp, long long v)
{
	smp->type = SMP_T_SINT;
	smp->flags = 0;
	smp->u.sint = v;
}
static inline void smp_set_bool(struct sample *smp, int v)
{
	smp->type = SMP_T_BOOL;
	smp->flags = 0;
	smp->u.sint = !!v;
}
/* Print an IPv4/IPv6 sample's address into <buf>; returns its length. */
size_t smp_ip_str(const struct sample *smp, char *buf, size_t len);
/* The fetch tables (each ends with a NULL name). */
extern const struct smp_fetch_kw smp_fetch_l4[];       /* fetch_l4.c */
extern const struct smp_fetch_kw smp_fetch_http[];     /* fetch_http.c */
extern const struct smp_fetch_kw smp_fetch_payload[];  /* fetch_payload.c */
extern const struct smp_conv_kw smp_conv_std[];        /* conv.c */
extern const struct smp_conv_kw smp_conv_map[];        /* conv_map.c */
extern const struct smp_fetch_kw smp_fetch_stick[];    /* stick_fetch.c */
extern const struct smp_fetch_kw smp_fetch_rdp[];      /* fetch_rdp.c */
extern const struct smp_fetch_kw smp_fetch_ssl[];      /* fetch_ssl.c */
extern const struct smp_conv_kw smp_conv_stick[];      /* stick_fetch.c */

#endif
