/* Rule lists: compiling `http-request`, `http-response`,
 * `http-after-response`, `tcp-request` and `tcp-response` lines, and
 * running a compiled list (action-t.h). */
#ifndef TANDEM_ACTION_H
#define TANDEM_ACTION_H
#include <tandem/action-t.h>
#include <tandem/buf-t.h>
#include <tandem/rules-t.h>

/* What a rule parser needs to know. */
struct act_parse {
	const struct smp_pctx *pc;
	struct rules_report   *rep;
	int                    set;     /* enum rule_set */
	int                    phase;   /* enum smp_phase of that set */
	const char            *where;   /* "frontend 'x'" */
	const char            *setname; /* "http-request" */
	const char            *kw;      /* the action being parsed (set by rule_parse) */
	/* Is there a service of this name (use-service)? NULL: not checked
	 * (the engine alone, in tests). Every service answers HTTP. */
	int                  (*service_known)(const char *name);
};

/* Compile one rule: args[0] is the action keyword, args[nargs] is NULL.
 * Appends to <list>. 0, or -1 (reported). */
int rule_parse(struct act_parse *p, struct rule_list *list, char **args, int nargs);
void rule_list_free(struct rule_list *l);
/* The action keywords of rule set <set> ("allow", "deny"...), for
 * messages and documentation checks. */
void action_for_each_kw(int set, void (*fn)(const char *name, void *arg), void *arg);

/* Run <list> in <ctx>. Zero <res> before the first run; after RV_WAIT run
 * again with the same <res> (it restarts at the rule that waited). */
void rule_list_run(const struct rule_list *list, struct smp_ctx *ctx, struct rule_result *res);

/* Stick tables (src/rules/stick_act.c): can an expression giving
 * <out_type> samples make keys of a table of type <table_type> (enum
 * stk_type)? And, once the tables are resolved, is the key of rule <r>
 * (track-sc) one of its table's? 0, or -1 with <err> filled. */
int stk_key_type_ok(int out_type, int table_type);
/* The key of table <t> from sample <smp> (cast to the table's type, in
 * <ctx>'s arena when needed): 1, or 0 when it cannot be one. */
struct stk_table;
struct stk_key;
int stk_key_of_smp(const struct stk_table *t, struct sample *smp, struct smp_ctx *ctx, struct stk_key *k);
int stick_act_check(const struct rule *r, char *err, size_t errlen);

/* Replies (src/rules/reply.c). */
void http_reply_free(struct http_reply *r);
/* Render the reply for <status> (<r> NULL: the proxy's errorfile for that
 * status, else tandem's built-in page) into <out>: status line, headers
 * with Content-Length (and "connection: close" unless <keep_alive>), then
 * the body unless <head_req> or the status has none. Dynamic parts
 * (lf-string, hdr values, redirect targets) are evaluated now, so call it
 * while the request head is still there. 0, or -1 when <out> is too small
 * or the arena is full. */
int http_reply_render(const struct http_reply *r, int status, struct smp_ctx *ctx, int keep_alive,
		      int head_req, struct buf *out);

#endif
