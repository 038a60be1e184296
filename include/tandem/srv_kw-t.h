/* Server keywords (types): the one table of words a `server` line,
 * a `default-server` line and the runtime API's `add server` accept
 * (src/cfg/kw_server.c), and the description of struct server's members
 * that copying and freeing server settings follow. */
#ifndef TANDEM_SRV_KW_T_H
#define TANDEM_SRV_KW_T_H
#include <stddef.h>
#include <tandem/proxy-t.h>

/* Where a server line comes from (srv_kw_ctx.mode). */
enum {
	SRV_PARSE_CONFIG  = 0,        /* a `server` line of the configuration */
	SRV_PARSE_DEFSRV  = 1u << 0,  /* a `default-server` line */
	SRV_PARSE_DYNAMIC = 1u << 1,  /* `add server` (runtime API), or its re-creation after a reload */
};

/* srv_kw.flags */
#define SRV_KW_DYN    (1u << 0)   /* accepted by `add server` too */
#define SRV_KW_NODEF  (1u << 1)   /* not allowed on `default-server` lines */

/* What a keyword handler gets besides the server: where the line comes
 * from, and where to write why it refuses its argument. */
struct srv_kw_ctx {
	unsigned mode;                /* SRV_PARSE_* */
	char    *err;                 /* the message of a failure, as the user reads it */
	size_t   errlen;
};

/* One row of the keyword table. A handler sets its member(s) of <s> from
 * <val> (the argument when nval is 1, NULL otherwise) and returns 0, or
 * returns srv_kw_err(c, ...) (-1). A row without handler is a HAProxy
 * keyword tandem refuses, <refused> saying why. */
struct srv_kw {
	const char *name;
	int         nval;             /* words taken after the keyword: 0 or 1 */
	unsigned    flags;            /* SRV_KW_* */
	int       (*parse)(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
	const char *example;          /* nval 1: a valid argument (documentation, tests) */
	const char *refused;          /* no handler: end of "keyword 'K'..." */
	const char *needs;            /* words the keyword needs beside it to make a valid line
	                               * (`ssl` needs `verify none` without a CA file), or NULL */
};

/* How a member of struct server behaves when settings are copied from a
 * template (default-server) and when a server is released. */
enum srv_member_copy {
	SM_KEEP = 0,   /* the server's own (identity, run-time state): a copy leaves it */
	SM_VALUE,      /* a setting held by value: copied */
	SM_STR,        /* a setting held as an owned string (char *): duplicated, freed */
	SM_CUSTOM,     /* a setting with its own copy function (dup) */
};

struct srv_member {
	const char *name;
	size_t      off, size, align; /* where it is (align: for the test that checks that every byte is described) */
	int         copy;             /* enum srv_member_copy */
	/* SM_CUSTOM: copy <src>'s member into <dst> (replacing dst's). 0 or -1 */
	int       (*dup)(struct server *dst, const struct server *src);
	/* what the member owns, released by srv_settings_free (NULL: nothing;
	 * SM_STR members are freed without one) */
	void      (*release)(struct server *s);
};

#endif
