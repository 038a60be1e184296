/* ACLs (HAProxy's section 7): the `acl` line, derived keywords (path_beg,
 * hdr_dom...), predefined ACLs (METH_GET, LOCALHOST...), anonymous ACLs,
 * conditions, and their evaluation.
 *
 * An ACL keyword may be a fetch (its output type picks the default match
 * method) or a derived name: a fetch plus a match method, used only when
 * no converter follows (then the output type decides, as in HAProxy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/acl.h>
#include <tandem/pattern.h>
#include <tandem/proxy-t.h>
#include <tandem/qsbr.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>
#include "rules_int.h"

/* ---- derived ACL keywords ---- */

struct acl_kw {
	const char *name;
	const char *fetch;
	int         match;
};

#define DERIVE(base, fetch) \
	{ base "_beg", fetch, PAT_M_BEG }, { base "_dir", fetch, PAT_M_DIR }, \
	{ base "_dom", fetch, PAT_M_DOM }, { base "_end", fetch, PAT_M_END }, \
	{ base "_len", fetch, PAT_M_LEN }, { base "_reg", fetch, PAT_M_REG }, \
	{ base "_sub", fetch, PAT_M_SUB }

static const struct acl_kw acl_kws[] = {
	DERIVE("path", "path"),
	DERIVE("url", "url"),
	DERIVE("base", "base"),
	DERIVE("hdr", "hdr"),
	DERIVE("shdr", "res.hdr"),
	DERIVE("urlp", "urlp"),
	DERIVE("cook", "req.cook"),
	DERIVE("scook", "res.cook"),
	{ "url_param", "urlp", PAT_M_STR },
	{ "req.ssl_sni", "req.ssl_sni", PAT_M_STR },
	{ "method", "method", PAT_M_STR },
	{ NULL, NULL, 0 }
};

/* HAProxy's predefined ACLs (section 7.4). */
static const struct {
	const char *name;
	const char *def[6];   /* criterion, then patterns */
} builtins[] = {
	{ "FALSE",          { "always_false" } },
	{ "TRUE",           { "always_true" } },
	{ "HTTP",           { "req.proto_http" } },
	{ "HTTP_1.0",       { "req.ver", "1.0" } },
	{ "HTTP_1.1",       { "req.ver", "1.1" } },
	{ "HTTP_2.0",       { "req.ver", "2.0" } },
	{ "HTTP_CONTENT",   { "req.hdr_val(content-length)", "gt", "0" } },
	{ "HTTP_URL_ABS",   { "url_reg", "^[^/:]*://" } },
	{ "HTTP_URL_SLASH", { "url_beg", "/" } },
	{ "HTTP_URL_STAR",  { "url", "*" } },
	{ "LOCALHOST",      { "src", "127.0.0.1/8", "::1" } },
	{ "METH_CONNECT",   { "method", "CONNECT" } },
	{ "METH_DELETE",    { "method", "DELETE" } },
	{ "METH_GET",       { "method", "GET", "HEAD" } },
	{ "METH_HEAD",      { "method", "HEAD" } },
	{ "METH_OPTIONS",   { "method", "OPTIONS" } },
	{ "METH_POST",      { "method", "POST" } },
	{ "METH_PUT",       { "method", "PUT" } },
	{ "METH_TRACE",     { "method", "TRACE" } },
	{ "RDP_COOKIE",     { "req.rdp_cookie_cnt", "gt", "0" } },
	{ "REQ_CONTENT",    { "req.len", "gt", "0" } },
	{ "WAIT_END",       { "wait_end" } },
};

void acl_for_each_kw(void (*fn)(const char *name, int predefined, void *arg), void *arg)
{
	for (const struct acl_kw *k = acl_kws; k->name; k++)
		fn(k->name, 0, arg);
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		fn(builtins[i].name, 1, arg);
}

/* ------------------------------------------------------------------ */
/* release                                                             */

static void expr_free(struct acl_expr *e)
{
	if (!e)
		return;
	smp_expr_free(e->smp);
	free(e->heads);
	free(e->kw);
	free(e);
}

static void acl_free(struct acl *a)
{
	for (int i = 0; i < a->nexpr; i++)
		expr_free(a->expr[i]);
	free(a->expr);
	free(a->name);
	free(a);
}

void acl_free_all(struct acl *list)
{
	while (list) {
		struct acl *n = list->next;

		acl_free(list);
		list = n;
	}
}

void acl_cond_free(struct acl_cond *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		free(c->suite[i].term);
	free(c->suite);
	free(c);
}

/* ------------------------------------------------------------------ */
/* parsing one expression: CRITERION [flags] [operator] VALUE...       */

static int add_head(struct acl_expr *e, struct pat_head *h)
{
	struct pat_head **n = realloc(e->heads, (size_t)(e->nheads + 1) * sizeof(*n));

	if (!n)
		return -1;
	e->heads = n;
	n[e->nheads++] = h;
	return 0;
}

/* Parse args[0..nargs-1] (criterion first) into an expression. <pfx>
 * starts every error message ("error detected while parsing ACL 'x' : "). */
static struct acl_expr *expr_parse(const struct smp_pctx *pc, struct rules_report *rep, char **args, int nargs,
				   const char *pfx)
{
	const char *crit = args[0], *nm_end = crit;
	const struct acl_kw *kw = NULL;
	struct acl_expr *e = calloc(1, sizeof(*e));
	struct smp_pctx apc = *pc;
	char err[1024], *text = NULL;
	int match = -1, icase = 0, map_file = 0, forced_id = -1, i = 1, op = 0;
	struct pat_ref *inl = NULL;
	char desc[512];

	if (!e) {
		rep_err(rep, pc, "out of memory");
		return NULL;
	}
	e->file = pc->file;
	e->line = pc->line;
	while (*nm_end && *nm_end != '(' && *nm_end != ',')
		nm_end++;
	for (const struct acl_kw *k = acl_kws; k->name; k++)
		if (strlen(k->name) == (size_t)(nm_end - crit) && !memcmp(k->name, crit, (size_t)(nm_end - crit))) {
			kw = k;
			break;
		}
	if (!(e->kw = strndup(crit, (size_t)(nm_end - crit))))
		goto oom;
	if (kw) {
		size_t fl = strlen(kw->fetch);

		if (!(text = malloc(fl + strlen(nm_end) + 1)))
			goto oom;
		memcpy(text, kw->fetch, fl);
		strcpy(text + fl, nm_end);
	} else if (!(text = strdup(crit))) {
		goto oom;
	}
	apc.in_acl = 1;
	if (!(e->smp = smp_expr_parse(text, NULL, &apc, err, sizeof(err)))) {
		rep_err(rep, pc, "%sACL keyword '%s' : %s.", pfx, crit, err);
		goto fail;
	}
	/* a derived keyword's method applies only without converters */
	if (kw && !e->smp->nconv)
		match = kw->match;
	else
		match = pat_match_default(e->smp->out_type);

	/* flags */
	for (; i < nargs && args[i][0] == '-' && args[i][1]; i++) {
		const char *f = args[i];

		if (!strcmp(f, "--")) {
			i++;
			break;
		}
		if (!strcmp(f, "-i")) {
			icase = 1;
		} else if (!strcmp(f, "-n")) {
			/* tandem never resolves names in patterns: -n is what it always does */
		} else if (!strcmp(f, "-M")) {
			map_file = 1;
		} else if (!strcmp(f, "-m")) {
			if (i + 1 >= nargs) {
				rep_err(rep, pc, "%s'-m' expects a match method.", pfx);
				goto fail;
			}
			if ((match = pat_match_parse(args[++i])) < 0) {
				rep_err(rep, pc, "%sunknown matching method '%s' when parsing ACL expression.", pfx, args[i]);
				goto fail;
			}
			if (e->nheads) {
				rep_err(rep, pc, "%s'-m' must be placed before any '-f' in an ACL.", pfx);
				goto fail;
			}
		} else if (!strcmp(f, "-u")) {
			char *end;

			if (i + 1 >= nargs || (forced_id = (int)strtol(args[++i], &end, 10), *end) || forced_id < 0) {
				rep_err(rep, pc, "%s'-u' expects a numeric unique id.", pfx);
				goto fail;
			}
		} else if (!strcmp(f, "-f")) {
			struct pat_ref *ref;
			struct pat_head *h;

			if (i + 1 >= nargs) {
				rep_err(rep, pc, "%s'-f' expects a file name.", pfx);
				goto fail;
			}
			i++;
			if (match < 0) {
				rep_err(rep, pc, "%sACL keyword '%s' : the matching method must be specified first (using '-m') "
					"when the fetch returns a %s.", pfx, crit, smp_type_name(e->smp->out_type));
				goto fail;
			}
			if (!(ref = pat_ref_find_file(pc->rcfg, args[i]))) {
				if (!(ref = pat_ref_new(pc->rcfg, args[i], PAT_REF_ACL, NULL)))
					goto oom;
				if (pat_ref_load(ref, map_file, err, sizeof(err)) < 0) {
					rep_err(rep, pc, "%s%s.", pfx, err);
					goto fail;
				}
			}
			ref->flags |= PAT_REF_ACL;
			pat_ref_add_use(ref, "acl", pc->file, pc->line);
			if (!(h = pat_head_new(ref, match, icase, SMP_T_ANY, pc->file, pc->line, err, sizeof(err)))) {
				rep_err(rep, pc, "%s%s.", pfx, err);
				goto fail;
			}
			if (add_head(e, h) < 0)
				goto oom;
		} else {
			break;   /* a pattern starting with '-' (a negative number) */
		}
	}
	if (match < 0) {
		rep_err(rep, pc, "%sACL keyword '%s' : a matching method must be specified with '-m' "
			"for a %s sample.", pfx, crit, smp_type_name(e->smp->out_type));
		goto fail;
	}
	if (!pat_match_accepts(match, e->smp->out_type)) {
		rep_err(rep, pc, "%sACL keyword '%s' : matching method '%s' cannot be used on a %s sample.",
			pfx, crit, pat_match_name(match), smp_type_name(e->smp->out_type));
		goto fail;
	}
	e->match = (uint8_t)match;

	/* the inline patterns: their own reference, like HAProxy's */
	snprintf(desc, sizeof(desc), "acl '%s' file '%s' line %d", e->kw, pc->file ? pc->file : "", pc->line);
	if (!(inl = pat_ref_new(pc->rcfg, NULL, PAT_REF_ACL, desc)))
		goto oom;
	if (forced_id >= 0) {
		for (struct pat_ref *r = pc->rcfg->refs; r; r = r->next)
			if (r != inl && r->id == forced_id) {
				rep_err(rep, pc, "%sACL unique id %d is already used.", pfx, forced_id);
				goto fail;
			}
		inl->id = forced_id;
	}
	for (; i < nargs; i++) {
		const char *v = args[i];
		char rng[64];

		if (match == PAT_M_INT || match == PAT_M_LEN) {
			/* operators apply to the following values */
			if (!strcmp(v, "eq")) { op = 0; continue; }
			if (!strcmp(v, "gt")) { op = 1; continue; }
			if (!strcmp(v, "ge")) { op = 2; continue; }
			if (!strcmp(v, "lt")) { op = 3; continue; }
			if (!strcmp(v, "le")) { op = 4; continue; }
			if (op) {
				char *end;
				long long n = strtoll(v, &end, 10);

				if (*end || end == v) {
					rep_err(rep, pc, "%s'%s' is not a number.", pfx, v);
					goto fail;
				}
				switch (op) {
				case 1: snprintf(rng, sizeof(rng), "%lld:", n + 1); break;
				case 2: snprintf(rng, sizeof(rng), "%lld:", n); break;
				case 3: snprintf(rng, sizeof(rng), ":%lld", n - 1); break;
				default: snprintf(rng, sizeof(rng), ":%lld", n); break;
				}
				v = rng;
			}
		}
		if (!pat_ref_append(inl, v, NULL, 0))
			goto oom;
	}
	if (inl->nelt && (match == PAT_M_FOUND || match == PAT_M_BOOL))
		rep_warn(rep, pc, "%sACL keyword '%s' : the patterns are ignored by the '%s' match method.",
			 pfx, crit, pat_match_name(match));
	if (!inl->nelt && !e->nheads && match != PAT_M_FOUND && match != PAT_M_BOOL)
		rep_warn(rep, pc, "parsing acl keyword '%s' :\n  no pattern to match against were provided, so this ACL "
			 "will never match.\n  If this is desired, please add 'always_false' to better reflect this intent,\n"
			 "  or use '-m found' to match samples that were found.", crit);
	{
		struct pat_head *h = pat_head_new(inl, match, icase, SMP_T_ANY, pc->file, pc->line, err, sizeof(err));

		if (!h) {
			rep_err(rep, pc, "%s%s.", pfx, err);
			goto fail;
		}
		/* inline patterns are tried first */
		if (add_head(e, h) < 0)
			goto oom;
		memmove(&e->heads[1], &e->heads[0], (size_t)(e->nheads - 1) * sizeof(e->heads[0]));
		e->heads[0] = h;
	}
	free(text);
	return e;
oom:
	rep_err(rep, pc, "out of memory");
fail:
	free(text);
	expr_free(e);
	return NULL;
}

static int acl_add_expr(struct acl *a, struct acl_expr *e)
{
	struct acl_expr **n = realloc(a->expr, (size_t)(a->nexpr + 1) * sizeof(*n));

	if (!n)
		return -1;
	a->expr = n;
	n[a->nexpr++] = e;
	a->src |= e->smp->fetch->src;
	return 0;
}

static struct acl *acl_find(struct px_rules *r, const char *name)
{
	for (struct acl *a = r->acls; a; a = a->next)
		if (a->name && !strcmp(a->name, name))
			return a;
	return NULL;
}

static struct acl *acl_new(struct px_rules *r, const char *name)
{
	struct acl *a = calloc(1, sizeof(*a)), **pa;

	if (!a || (name && !(a->name = strdup(name)))) {
		free(a);
		return NULL;
	}
	for (pa = &r->acls; *pa; pa = &(*pa)->next)
		;
	*pa = a;
	return a;
}

int acl_parse_line(const struct smp_pctx *pc, struct rules_report *rep, char **args, int nargs)
{
	struct px_rules *r = px_rules_get(pc->px);
	struct acl_expr *e;
	struct acl *a;
	char who[300];

	if (!r)
		return rep_err(rep, pc, "out of memory");
	if (nargs < 3)
		return rep_err(rep, pc, "'acl' expects an ACL name and a criterion (acl <name> <criterion> [flags] [values]).");
	for (const char *p = args[1]; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.' || *p == ':'))
			return rep_err(rep, pc, "character '%c' is not permitted in acl name '%s'.", *p, args[1]);
	snprintf(who, sizeof(who), "error detected while parsing ACL '%s' : ", args[1]);
	if (!(e = expr_parse(pc, rep, args + 2, nargs - 2, who)))
		return -1;
	if (!(a = acl_find(r, args[1])) && !(a = acl_new(r, args[1]))) {
		expr_free(e);
		return rep_err(rep, pc, "out of memory");
	}
	if (acl_add_expr(a, e) < 0) {
		expr_free(e);
		return rep_err(rep, pc, "out of memory");
	}
	return 0;
}

static int is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i].name, name))
			return 1;
	return 0;
}

/* A predefined ACL, compiled in this proxy the first time it is named. */
static struct acl *builtin(const struct smp_pctx *pc, struct rules_report *rep, struct px_rules *r, const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		char *args[7];
		int n = 0;
		struct acl_expr *e;
		struct acl *a;

		if (strcmp(builtins[i].name, name))
			continue;
		while (n < 6 && builtins[i].def[n]) {
			args[n] = (char *)builtins[i].def[n];
			n++;
		}
		args[n] = NULL;
		if (!(e = expr_parse(pc, rep, args, n, "")))
			return NULL;
		if (!(a = acl_new(r, name)) || acl_add_expr(a, e) < 0) {
			expr_free(e);
			rep_err(rep, pc, "out of memory");
			return NULL;
		}
		a->builtin = 1;
		return a;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* conditions                                                          */

static int add_term(struct acl_cond *c, struct acl *a, int neg)
{
	struct acl_suite *s = &c->suite[c->n - 1];
	struct acl_term *t = realloc(s->term, (size_t)(s->n + 1) * sizeof(*t));

	if (!t)
		return -1;
	s->term = t;
	t[s->n].acl = a;
	t[s->n].neg = (uint8_t)neg;
	s->n++;
	c->src |= a->src;
	return 0;
}

static int new_suite(struct acl_cond *c)
{
	struct acl_suite *s = realloc(c->suite, (size_t)(c->n + 1) * sizeof(*s));

	if (!s)
		return -1;
	c->suite = s;
	memset(&s[c->n], 0, sizeof(s[0]));
	c->n++;
	return 0;
}

int acl_cond_parse(const struct smp_pctx *pc, struct rules_report *rep, char **args, int *cur, int nargs,
		   const char *where, struct acl_cond **out)
{
	struct px_rules *r = px_rules_get(pc->px);
	struct acl_cond *c;
	int i = *cur, neg = 0;
	char pfx[400];

	*out = NULL;
	if (i >= nargs)
		return 0;
	snprintf(pfx, sizeof(pfx), "error detected while parsing an %s condition : ", where);
	if (strcmp(args[i], "if") && strcmp(args[i], "unless"))
		return rep_err(rep, pc, "%s : expects 'if' or 'unless' followed by a condition, got '%s'.", where, args[i]);
	if (!r || !(c = calloc(1, sizeof(*c))) || new_suite(c) < 0) {
		if (r)
			free(c);
		return rep_err(rep, pc, "out of memory");
	}
	c->unless = args[i][0] == 'u';
	c->file = pc->file;
	c->line = pc->line;
	if (i + 1 >= nargs) {
		acl_cond_free(c);
		return rep_err(rep, pc, "error detected while parsing an %s condition : missing condition after '%s'.",
			       where, args[i]);
	}
	for (i++; i < nargs; i++) {
		const char *w = args[i];
		struct acl *a;

		if (!strcmp(w, "!")) {
			neg = !neg;
			continue;
		}
		if (!strcmp(w, "or") || !strcmp(w, "||")) {
			if (!c->suite[c->n - 1].n || neg) {
				acl_cond_free(c);
				return rep_err(rep, pc, "error detected while parsing an %s condition : '%s' without a term before it.",
					       where, w);
			}
			if (new_suite(c) < 0)
				goto oom;
			continue;
		}
		while (*w == '!') {
			neg = !neg;
			w++;
		}
		if (!strcmp(w, "{")) {
			int j, depth = 1;
			struct acl_expr *e;

			for (j = i + 1; j < nargs; j++) {
				if (!strcmp(args[j], "{"))
					depth++;
				else if (!strcmp(args[j], "}") && !--depth)
					break;
			}
			if (j >= nargs) {
				acl_cond_free(c);
				return rep_err(rep, pc, "error detected while parsing an %s condition : missing closing '}' "
					       "in anonymous ACL.", where);
			}
			if (j == i + 1) {
				acl_cond_free(c);
				return rep_err(rep, pc, "error detected while parsing an %s condition : empty anonymous ACL.", where);
			}
			if (!(e = expr_parse(pc, rep, args + i + 1, j - i - 1, pfx))) {
				acl_cond_free(c);
				return -1;
			}
			if (!(a = acl_new(r, NULL)) || acl_add_expr(a, e) < 0) {
				expr_free(e);
				goto oom;
			}
			i = j;
		} else if (!*w) {
			acl_cond_free(c);
			return rep_err(rep, pc, "error detected while parsing an %s condition : '!' without an ACL.", where);
		} else if (!(a = acl_find(r, w))) {
			if (!is_builtin(w)) {
				acl_cond_free(c);
				return rep_err(rep, pc, "error detected while parsing an %s condition : no such ACL : '%s'.",
					       where, w);
			}
			if (!(a = builtin(pc, rep, r, w))) {
				acl_cond_free(c);
				return -1;
			}
		}
		if (add_term(c, a, neg) < 0)
			goto oom;
		neg = 0;
	}
	if (!c->suite[c->n - 1].n || neg) {
		acl_cond_free(c);
		return rep_err(rep, pc, "error detected while parsing an %s condition : the condition ends with an "
			       "operator without an ACL after it.", where);
	}
	*cur = nargs;
	*out = c;
	return 0;
oom:
	acl_cond_free(c);
	return rep_err(rep, pc, "out of memory");
}

int acl_cond_check_phase(const struct acl_cond *c, int phase, const char *where, struct rules_report *rep)
{
	struct smp_pctx pc = { .file = c->file, .line = c->line };
	int ret = 0;

	for (int s = 0; s < c->n; s++)
		for (int t = 0; t < c->suite[s].n; t++) {
			const struct acl *a = c->suite[s].term[t].acl;
			int bad = 0;

			for (int k = 0; k < a->nexpr; k++)
				bad += !smp_src_ok(a->expr[k]->smp->fetch->src, phase);
			if (!bad)
				continue;
			if (bad == a->nexpr) {
				/* HAProxy only warns here; a rule that can never apply is refused */
				if (a->name)
					rep_err(rep, &pc, "acl '%s' will never match in %s because it only involves keywords "
						"that are incompatible with it (it needs '%s').", a->name, where,
						smp_src_name(a->expr[0]->smp->fetch->src, phase));
				else
					rep_err(rep, &pc, "anonymous acl will never match in %s because it uses keyword '%s' "
						"which is incompatible with it (it needs '%s').", where, a->expr[0]->kw,
						smp_src_name(a->expr[0]->smp->fetch->src, phase));
				ret = -1;
			} else {
				rep_warn(rep, &pc, "acl '%s' may not match in %s: some of its keywords are incompatible with it.",
					 a->name ? a->name : "anonymous", where);
			}
		}
	return ret;
}

/* ------------------------------------------------------------------ */
/* evaluation                                                          */

static int match_one(const struct acl_expr *e, struct sample *s, struct smp_ctx *ctx)
{
	int in = pat_match_input(e->match);

	if (e->match == PAT_M_FOUND)
		return 1;
	if (in == SMP_T_BIN && s->type == SMP_T_STR)
		s->type = SMP_T_BIN;
	else if (in == SMP_T_STR && s->type == SMP_T_BIN)
		s->type = SMP_T_STR;
	else if (!smp_cast(s, in, ctx))
		return 0;
	if (e->match == PAT_M_BOOL)
		return s->u.sint != 0;
	for (int i = 0; i < e->nheads; i++)
		if (pat_match(e->heads[i], s))
			return 1;
	return 0;
}

int acl_expr_exec(const struct acl_expr *e, struct smp_ctx *ctx)
{
	const struct smp_expr *x = e->smp;
	int miss = 0;
	struct sample s;

	/* iterate the occurrences only when no occurrence was asked for */
	if ((x->fetch->flags & SMP_KW_ITER) &&
	    (x->fetch->iter_arg < 0 || x->args[x->fetch->iter_arg].type == ARGT_STOP)) {
		struct smp_iter it = { 0 };

		for (;;) {
			if (!smp_eval_iter(x, ctx, &it, &s)) {
				miss |= s.flags & SMP_F_MAY_CHANGE;
				break;
			}
			miss |= s.flags & SMP_F_MAY_CHANGE;
			if (match_one(e, &s, ctx))
				return ACL_MATCH;
			if (!(s.flags & SMP_F_NOT_LAST))
				break;
		}
		return miss ? ACL_MISS : ACL_FAIL;
	}
	if (!smp_eval(x, ctx, &s))
		return (s.flags & SMP_F_MAY_CHANGE) ? ACL_MISS : ACL_FAIL;
	if (match_one(e, &s, ctx))
		return ACL_MATCH;
	return (s.flags & SMP_F_MAY_CHANGE) ? ACL_MISS : ACL_FAIL;
}

int acl_exec(const struct acl *a, struct smp_ctx *ctx)
{
	int res = ACL_FAIL;

	for (int i = 0; i < a->nexpr; i++) {
		int r = acl_expr_exec(a->expr[i], ctx);

		if (r == ACL_MATCH)
			return ACL_MATCH;
		if (r == ACL_MISS)
			res = ACL_MISS;
	}
	return res;
}

/* Three-valued logic: a suite is MISS when no term fails and one misses;
 * the condition matches as soon as a suite matches. */
int acl_cond_exec(const struct acl_cond *c, struct smp_ctx *ctx)
{
	int res = ACL_FAIL;

	qsbr_read_lock();
	for (int s = 0; s < c->n && res != ACL_MATCH; s++) {
		int suite = ACL_MATCH;

		for (int t = 0; t < c->suite[s].n; t++) {
			int r = acl_exec(c->suite[s].term[t].acl, ctx);

			if (c->suite[s].term[t].neg && r != ACL_MISS)
				r = r == ACL_MATCH ? ACL_FAIL : ACL_MATCH;
			if (r == ACL_FAIL) {
				suite = ACL_FAIL;
				break;
			}
			if (r == ACL_MISS)
				suite = ACL_MISS;
		}
		if (suite == ACL_MATCH)
			res = ACL_MATCH;
		else if (suite == ACL_MISS)
			res = ACL_MISS;
	}
	qsbr_read_unlock();
	if (res == ACL_MISS)
		return ACL_MISS;
	if (c->unless)
		res = res == ACL_MATCH ? ACL_FAIL : ACL_MATCH;
	return res;
}
