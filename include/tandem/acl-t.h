/* ACLs and conditions (HAProxy's sections 7.1, 7.2 and 7.4).
 *
 *   acl NAME CRITERION [flags] [operator] VALUE...
 *   ... if|unless [!]acl1 [!]acl2 { anonymous acl } or [!]acl3 ...
 *
 * A named ACL declared on several lines is true when any of its lines
 * matches. A condition is a disjunction of suites; a suite is a
 * conjunction of (possibly negated) ACLs. Evaluation is three-valued so
 * that TCP content inspection can wait for more data (ACL_MISS). */
#ifndef TANDEM_ACL_T_H
#define TANDEM_ACL_T_H
#include <stdint.h>
#include <tandem/pattern-t.h>
#include <tandem/sample-t.h>

enum acl_res { ACL_FAIL = 0, ACL_MATCH = 1, ACL_MISS = 2 };

/* One `acl` line (or one anonymous ACL). */
struct acl_expr {
	struct smp_expr  *smp;
	uint8_t           match;       /* enum pat_match */
	struct pat_head **heads;       /* inline patterns first, then -f files, in order */
	int               nheads;
	char             *kw;          /* criterion keyword as written (for show acl) */
	const char       *file; int line;
};

struct acl {
	struct acl       *next;        /* in the proxy's list */
	char             *name;        /* NULL: anonymous */
	struct acl_expr **expr;
	int               nexpr;
	uint32_t          src;         /* union of the SMP_SRC_* its fetches need */
	int               builtin;     /* one of HAProxy's predefined ACLs */
};

struct acl_term {
	struct acl *acl;
	uint8_t     neg;
};

struct acl_suite {
	struct acl_term *term;
	int              n;
};

struct acl_cond {
	uint8_t           unless;      /* 1: `unless` */
	struct acl_suite *suite;
	int               n;
	uint32_t          src;         /* union of the sources its ACLs need */
	const char       *file; int line;
};

#endif
