/* ACLs and conditions: parsing at load, evaluation per request. */
#ifndef TANDEM_ACL_H
#define TANDEM_ACL_H
#include <stddef.h>
#include <tandem/acl-t.h>

struct px_rules;
struct proxy;

/* Parse an `acl NAME CRITERION ...` line (args[0] = "acl"). Errors and
 * warnings are reported through <rep> (see struct rules_report). 0 / -1. */
struct rules_report;
int acl_parse_line(const struct smp_pctx *pc, struct rules_report *rep, char **args, int nargs);

/* Parse a condition starting at args[*cur] ("if" or "unless") up to the end
 * of args, for a rule set running in <phase> (enum smp_phase; -1: checked
 * later). <where> names the rule set in messages ("frontend http-request
 * rule"). *cond is NULL when there is no condition. 0, or -1 (reported). */
int acl_cond_parse(const struct smp_pctx *pc, struct rules_report *rep, char **args, int *cur, int nargs,
		   const char *where, struct acl_cond **cond);
void acl_cond_free(struct acl_cond *c);
/* Check that <c> can be evaluated in <phase>: 0 or -1 (reported). */
int acl_cond_check_phase(const struct acl_cond *c, int phase, const char *where, struct rules_report *rep);

/* Evaluate: ACL_MATCH, ACL_FAIL or ACL_MISS (data may still come). The
 * if/unless polarity is applied (MISS stays MISS). */
int acl_cond_exec(const struct acl_cond *c, struct smp_ctx *ctx);
/* Convenience: 1 when the condition holds (MISS counts as no), 1 when
 * there is no condition. */
static inline int acl_cond_true(const struct acl_cond *c, struct smp_ctx *ctx)
{
	return !c || acl_cond_exec(c, ctx) == ACL_MATCH;
}
int acl_exec(const struct acl *a, struct smp_ctx *ctx);
int acl_expr_exec(const struct acl_expr *e, struct smp_ctx *ctx);

/* Release every ACL of a proxy. */
void acl_free_all(struct acl *list);
/* Every ACL keyword (derived names such as path_beg) and predefined ACL
 * name, for documentation checks. */
void acl_for_each_kw(void (*fn)(const char *name, int predefined, void *arg), void *arg);

#endif
