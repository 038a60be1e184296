/* The configuration's preprocessor directives (HAProxy's section 2.4):
 * conditional blocks `.if COND` / `.elif COND` / `.else` / `.endif`, and
 * the messages `.notice`, `.warning`, `.alert`, `.diag`.
 *
 * Directive lines are lexed like every other line (so environment
 * variables expand in conditions); cfg_cond_line() sees each lexed line
 * before the section parser does and says whether the parser may have it.
 *
 * A condition is an expression: an empty one is false; a number is true
 * when not 0; a predicate with arguments in parentheses (defined(),
 * feature(), streq(), strneq(), version_atleast(), version_before(), and
 * HAProxy 2.7's openssl_version_atleast(), openssl_version_before(),
 * ssllib_name_startswith());
 * '(' expr ')'; '!' negates; '&&' binds tighter than '||'. The words of the
 * line are joined with single spaces first, as HAProxy does. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <tandem/log.h>
#include "cfg_int.h"

/* HAProxy's nesting states: a TAKE level is parsed, the others skipped.
 * SKIP: an earlier branch of this level was taken (or the level is inside
 * a skipped one), so no later branch may be. */
enum { C_IF_TAKE = 1, C_IF_DROP, C_IF_SKIP, C_ELIF_TAKE, C_ELIF_DROP, C_ELIF_SKIP, C_ELSE_TAKE, C_ELSE_DROP };

/* What `version_atleast()` and `version_before()` compare with: tandem
 * reads HAProxy 2.6's language (doc/configuration.md). */
#define CFG_COMPAT_VERSION "2.6"

/* What `feature()` finds: tandem's build features, named as in `haproxy
 * -vv` where HAProxy has the same one. */
static const char *const features[] = {
	"EPOLL", "THREAD", "LINUX_SPLICE", "CPU_AFFINITY", "ACCEPT4", "GETADDRINFO", "OPENSSL"
	/* no LUA, ZLIB, QUIC... */, NULL
};

/* ---- the expression ---- */

struct cx {
	const char *p;
	char *err;
	size_t errlen;
	int depth;
};

static void skip_sp(struct cx *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

static int fail(struct cx *c, const char *fmt, const char *what)
{
	if (!*c->err)
		snprintf(c->err, c->errlen, fmt, what);
	return -1;
}

/* "2.4-dev19" -> {2, 4, -1 (dev), 19}: missing parts count as 0, a -devN
 * comes before the release it leads to. */
static void version_key(const char *v, long k[4])
{
	char *end;

	k[0] = k[1] = k[2] = k[3] = 0;
	k[0] = strtol(v, &end, 10);
	if (*end == '.') {
		k[1] = strtol(end + 1, &end, 10);
		if (*end == '.')
			k[2] = strtol(end + 1, &end, 10);
	}
	if (!strncmp(end, "-dev", 4)) {
		k[3] = strtol(end + 4, &end, 10) - 1000000;   /* before the release */
	} else if (*end == '-' || *end == '+') {
		k[3] = 0;
	}
}

/* The TLS library's name ("OpenSSL") and version ("3.0.11"), from the
 * library itself (HAProxy asks it the same way). */
static void ssllib(char *name, size_t nl, char *ver, size_t vl)
{
	const char *t = OpenSSL_version(OPENSSL_VERSION), *sp = strchr(t, ' ');
	size_t n = sp ? (size_t)(sp - t) : strlen(t);

	snprintf(name, nl, "%.*s", (int)n, t);
	snprintf(ver, vl, "%s", sp ? sp + 1 : "");
	ver[strcspn(ver, " ")] = 0;
}

/* <0, 0, >0 as <mine> is older, equal, newer than <v>. */
static int version_cmp_to(const char *mine, const char *v)
{
	long a[4], b[4];

	version_key(mine, a);
	version_key(v, b);
	for (int i = 0; i < 4; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* ... of the compat version (the language tandem reads). */
static int version_cmp(const char *v)
{
	return version_cmp_to(CFG_COMPAT_VERSION, v);
}

/* One argument of a predicate into <out>: up to ',' or ')', single or
 * double quotes keep those characters. Returns 0 or -1. */
static int pred_arg(struct cx *c, char *out, size_t cap)
{
	size_t n = 0;
	char q = 0;

	for (; *c->p; c->p++) {
		char ch = *c->p;

		if (q) {
			if (ch == q) {
				q = 0;
				continue;
			}
		} else if (ch == '"' || ch == '\'') {
			q = ch;
			continue;
		} else if (ch == ',' || ch == ')') {
			break;
		} else if (ch == '\\' && c->p[1]) {
			ch = *++c->p;
		}
		if (n + 1 >= cap)
			return fail(c, "argument too long in conditional expression '%s'", c->p);
		out[n++] = ch;
	}
	if (q)
		return fail(c, "unterminated quote in conditional expression '%s'", c->p);
	out[n] = 0;
	return 0;
}

static int eval_expr(struct cx *c);

static int eval_pred(struct cx *c)
{
	static const struct { const char *name; int nargs; } preds[] = {
		{ "defined", 1 }, { "feature", 1 }, { "streq", 2 }, { "strneq", 2 },
		{ "version_atleast", 1 }, { "version_before", 1 },
		{ "openssl_version_atleast", 1 }, { "openssl_version_before", 1 }, { "ssllib_name_startswith", 1 },
	};
	char args[2][1024], name[32], lname[64], lver[64];
	size_t len = strcspn(c->p, " \t(");
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(preds); i++)
		if (strlen(preds[i].name) == len && !strncmp(c->p, preds[i].name, len))
			break;
	if (i == ARRAY_SIZE(preds))
		return fail(c, "unparsable conditional expression '%s'", c->p);
	snprintf(name, sizeof(name), "%s", preds[i].name);
	c->p += len;
	skip_sp(c);
	if (*c->p != '(')
		return fail(c, "missing '(' after predicate in conditional expression '%s'", name);
	c->p++;
	for (;;) {
		if (n == 2)
			return fail(c, "too many arguments for predicate '%s' in conditional expression", name);
		if (pred_arg(c, args[n], sizeof(args[n])) < 0)
			return -1;
		n++;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p != ')')
			return fail(c, "missing ')' after the arguments of predicate '%s' in conditional expression", name);
		c->p++;
		break;
	}
	if (n != preds[i].nargs)
		return fail(c, "wrong number of arguments for predicate '%s' in conditional expression", name);
	switch (i) {
	case 0:
		return getenv(args[0]) != NULL;
	case 1:
		for (const char *const *f = features; *f; f++)
			if (!strcmp(*f, args[0]))
				return 1;
		return 0;
	case 2:
		return strcmp(args[0], args[1]) == 0;
	case 3:
		return strcmp(args[0], args[1]) != 0;
	case 4:
		return version_cmp(args[0]) >= 0;
	case 5:
		return version_cmp(args[0]) < 0;
	}
	ssllib(lname, sizeof(lname), lver, sizeof(lver));
	switch (i) {
	case 6:
		return version_cmp_to(lver, args[0]) >= 0;
	case 7:
		return version_cmp_to(lver, args[0]) < 0;
	default:
		return !strncmp(lname, args[0], strlen(args[0]));
	}
}

static int eval_term(struct cx *c)
{
	int neg = 0, v;
	char *end;
	long num;

	skip_sp(c);
	while (*c->p == '!') {
		neg = !neg;
		c->p++;
		skip_sp(c);
	}
	if (!*c->p)
		return fail(c, "unparsable conditional expression '%s'", "(empty term)");
	num = strtol(c->p, &end, 0);
	if (end != c->p) {
		c->p = end;
		v = num != 0;
	} else if (*c->p == '(') {
		if (++c->depth > 32)
			return fail(c, "too deeply nested conditional expression '%s'", c->p);
		c->p++;
		if ((v = eval_expr(c)) < 0)
			return -1;
		skip_sp(c);
		if (*c->p != ')')
			return fail(c, "expected ')' after conditional expression '%s'", c->p);
		c->p++;
		c->depth--;
	} else if (isalpha((unsigned char)*c->p)) {
		if ((v = eval_pred(c)) < 0)
			return -1;
	} else {
		return fail(c, "unparsable conditional expression '%s'", c->p);
	}
	return neg ? !v : v;
}

/* Every term is parsed (so a syntax error is reported whatever the values);
 * && before ||. */
static int eval_expr(struct cx *c)
{
	int any = 0, all, v;

	for (;;) {
		all = 1;
		for (;;) {
			if ((v = eval_term(c)) < 0)
				return -1;
			all = all && v;
			skip_sp(c);
			if (c->p[0] == '&' && c->p[1] == '&') {
				c->p += 2;
				continue;
			}
			break;
		}
		any = any || all;
		if (c->p[0] == '|' && c->p[1] == '|') {
			c->p += 2;
			continue;
		}
		return any;
	}
}

int cfg_eval_condition(const char *expr, char *err, size_t errlen)
{
	struct cx c = { .p = expr, .err = err, .errlen = errlen };
	int v;

	*err = 0;
	skip_sp(&c);
	if (!*c.p)
		return 0;   /* an empty condition is false */
	if ((v = eval_expr(&c)) < 0)
		return -1;
	skip_sp(&c);
	if (*c.p) {
		snprintf(err, errlen, "unexpected character '%c' at the end of conditional expression '%s'", *c.p, expr);
		return -1;
	}
	return v;
}

/* ---- the directives ---- */

static int masked(const struct cfg_ctx *ctx)
{
	int st = ctx->cond_lvl ? ctx->cond[ctx->cond_lvl] : C_IF_TAKE;

	return st != C_IF_TAKE && st != C_ELIF_TAKE && st != C_ELSE_TAKE;
}

static int eval_line(struct cfg_ctx *ctx, char **args, int nargs)
{
	char *expr = cfg_join(args, 1, nargs), err[512];
	int v;

	if (!expr)
		return cfg_err(ctx, "out of memory");
	v = cfg_eval_condition(expr, err, sizeof(err));
	if (v < 0)
		cfg_err(ctx, "%s in '%s %s'.", err, args[0], expr);
	free(expr);
	return v;
}

int cfg_cond_line(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *d = args[0];
	int v;
	unsigned char *st;

	if (!strcmp(d, ".if")) {
		if (ctx->cond_lvl + 1 >= CFG_MAX_NESTED_IF) {
			cfg_err(ctx, "too many nested '.if', max is %d.", CFG_MAX_NESTED_IF);   /* HAProxy says 10, allows 9 */
			ctx->abort = 1;
			return 1;
		}
		if (masked(ctx)) {
			ctx->cond[++ctx->cond_lvl] = C_IF_SKIP;
			return 1;
		}
		ctx->cond_lvl++;
		if ((v = eval_line(ctx, args, nargs)) < 0) {
			ctx->cond[ctx->cond_lvl] = C_IF_SKIP;   /* parse neither branch */
			ctx->abort = 1;
			return 1;
		}
		ctx->cond[ctx->cond_lvl] = v ? C_IF_TAKE : C_IF_DROP;
		return 1;
	}
	if (!strcmp(d, ".elif") || !strcmp(d, ".else") || !strcmp(d, ".endif")) {
		int is_elif = d[2] == 'l' && d[3] == 'i';

		if (!is_elif && nargs > 1) {
			cfg_err(ctx, "Unexpected argument '%s' for '%s'.", args[1], d);
			return 1;
		}
		if (!ctx->cond_lvl) {
			cfg_err(ctx, "lone '%s' with no matching '.if'.", d);
			ctx->abort = 1;
			return 1;
		}
		st = &ctx->cond[ctx->cond_lvl];
		if (!strcmp(d, ".endif")) {
			ctx->cond_lvl--;
			return 1;
		}
		if (*st == C_ELSE_TAKE || *st == C_ELSE_DROP) {
			cfg_err(ctx, "'%s' after '.else' is not permitted.", d);
			ctx->abort = 1;
			return 1;
		}
		if (*st == C_IF_TAKE || *st == C_IF_SKIP || *st == C_ELIF_TAKE || *st == C_ELIF_SKIP) {
			*st = is_elif ? C_ELIF_SKIP : C_ELSE_DROP;
			return 1;
		}
		if (!is_elif) {
			*st = C_ELSE_TAKE;
			return 1;
		}
		if ((v = eval_line(ctx, args, nargs)) < 0) {
			*st = C_ELIF_SKIP;
			ctx->abort = 1;
			return 1;
		}
		*st = v ? C_ELIF_TAKE : C_ELIF_DROP;
		return 1;
	}
	if (masked(ctx))
		return 1;   /* inside a block the conditions leave out */
	if (!strcmp(d, ".notice") || !strcmp(d, ".warning") || !strcmp(d, ".alert") || !strcmp(d, ".diag")) {
		const char *msg = nargs > 1 ? args[1] : "";

		if (nargs > 2) {
			cfg_err(ctx, "Unexpected argument '%s' for '%s'. Use quotes if the message should contain spaces.",
				args[2], d);
			return 1;
		}
		switch (d[1]) {
		case 'n':
			log_event(LL_NOTICE, "config : parsing [%s:%d] : '%s'.", ctx->file, ctx->line, msg);
			break;
		case 'w':
			cfg_warn(ctx, "'%s'.", msg);
			break;
		case 'a':
			cfg_err(ctx, "'%s'.", msg);
			ctx->abort = 1;   /* fatal at once, as HAProxy */
			break;
		default:
			if (cfg_diag_mode)
				log_event(LL_NOTICE, "config : parsing [%s:%d] : '%s'.", ctx->file, ctx->line, msg);
			break;
		}
		return 1;
	}
	return 0;
}

void cfg_cond_end(struct cfg_ctx *ctx)
{
	if (ctx->cond_lvl && !ctx->abort)
		cfg_err(ctx, "non-terminated '.if' block.");
}

int cfg_diag_mode;
