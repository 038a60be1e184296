/* Runtime API for maps and ACL pattern sets, HAProxy's commands and
 * answers: show|get|add|del|clear acl, show|get|add|set|del|clear map.
 * A map or ACL is named by its unique id ("#3", see `show map`) or by its
 * file name; an entry by its key or by its reference ("#0x55d5...", the
 * first column of `show map <map>`).
 *
 * Changes apply to the pattern reference and every compiled index built
 * from it at once; worker threads keep matching without a lock while this
 * runs (src/rules/pattern.c). Objects taken out are freed later, once no
 * thread can still read them (qsbr_reclaim after each change).
 *
 * tandem has no `prepare`/`commit` (versions): "@0" names the current
 * version, which is the only one. Changes are not kept across a reload. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>
#include "cli_int.h"

struct kind {
	unsigned    flag;      /* PAT_REF_MAP or PAT_REF_ACL */
	const char *what;      /* "map" or "acl" */
	const char *unknown;   /* HAProxy's answer for an unknown id */
};

static const struct kind MAP = { PAT_REF_MAP, "map", "Unknown map identifier. Please use #<id> or <file>." };
static const struct kind ACL = { PAT_REF_ACL, "acl", "Unknown ACL identifier. Please use #<id> or <file>." };

static struct rules_cfg *rcfg(struct cli_sess *s)
{
	return s->cfg ? s->cfg->rules : NULL;
}

/* Skip an optional "@<ver>" argument: 1 when it names the current version
 * (0) or is absent, 0 when it names another (which tandem never has). */
static int version(char **args, int *i, int nargs)
{
	if (*i < nargs && args[*i][0] == '@') {
		int cur = !strcmp(args[*i], "@0");

		(*i)++;
		return cur;
	}
	return 1;
}

static struct pat_ref *lookup(struct cli_sess *s, const struct kind *k, const char *id)
{
	return pat_ref_lookup(rcfg(s), id, k->flag);
}

/* ---- show ---- */

static int show(struct cli_sess *s, char **args, int nargs, const struct kind *k)
{
	int i = 2, cur = version(args, &i, nargs);
	struct pat_ref *ref;

	if (i >= nargs) {
		cli_out(s, "# id (file) description\n");
		for (ref = rcfg(s) ? rcfg(s)->refs : NULL; ref; ref = ref->next) {
			if (!(ref->flags & k->flag))
				continue;
			if (ref->file)
				cli_out(s, "%d (%s) pattern loaded from file '%s' used %s. curr_ver=0 next_ver=0 entry_cnt=%d\n",
					ref->id, ref->file, ref->file, ref->uses ? ref->uses : "by nothing", ref->nelt);
			else
				cli_out(s, "%d () %s. curr_ver=0 next_ver=0 entry_cnt=%d\n", ref->id,
					ref->desc ? ref->desc : "", ref->nelt);
		}
		return 0;
	}
	if (!(ref = lookup(s, k, args[i])))
		return cli_msg(s, k->unknown);
	if (!cur)
		return 0;   /* another version: nothing (HAProxy filters by version) */
	for (struct pat_elt *e = ref->elts.next; e != &ref->elts; e = e->next) {
		if (e->value && (ref->flags & PAT_REF_MAP) && k->flag == PAT_REF_MAP)
			cli_out(s, "%p %s %s\n", (void *)e, e->key, e->value);
		else
			cli_out(s, "%p %s\n", (void *)e, e->key);
	}
	return 0;
}

static int cmd_show_map(struct cli_sess *s, char **args, int nargs)
{
	return show(s, args, nargs, &MAP);
}

static int cmd_show_acl(struct cli_sess *s, char **args, int nargs)
{
	return show(s, args, nargs, &ACL);
}

/* ---- get ---- */

/* The sample <v> as the index's input type; 0 when it cannot be. */
static int sample_for(const struct pat_head *h, const char *v, struct sample *smp)
{
	memset(smp, 0, sizeof(*smp));
	switch (pat_match_input(h->match)) {
	case SMP_T_SINT: {
		char *end;

		smp->type = SMP_T_SINT;
		smp->u.sint = strtoll(v, &end, 10);
		return !*end && end != v;
	}
	case SMP_T_ADDR:
		if (inet_pton(AF_INET, v, &smp->u.ipv4) == 1)
			smp->type = SMP_T_IPV4;
		else if (inet_pton(AF_INET6, v, &smp->u.ipv6) == 1)
			smp->type = SMP_T_IPV6;
		else
			return 0;
		return 1;
	default:
		smp_set_str(smp, v, strlen(v), SMP_F_CONST);
		if (pat_match_input(h->match) == SMP_T_BIN)
			smp->type = SMP_T_BIN;
		return 1;
	}
}

static void print_value(struct cli_sess *s, const struct sample *v)
{
	char buf[64];

	switch (v->type) {
	case SMP_T_SINT:
		cli_out(s, "value=\"%lld\", type=\"sint\"", v->u.sint);
		break;
	case SMP_T_IPV4:
	case SMP_T_IPV6:
		smp_ip_str(v, buf, sizeof(buf));
		cli_out(s, "value=\"%s\", type=\"%s\"", buf, v->type == SMP_T_IPV4 ? "ipv4" : "ipv6");
		break;
	default:
		cli_out(s, "value=\"%.*s\", type=\"str\"", (int)v->u.str.len, v->u.str.p);
		break;
	}
}

static int get(struct cli_sess *s, char **args, int nargs, const struct kind *k)
{
	struct pat_ref *ref;
	int map = k->flag == PAT_REF_MAP;

	if (nargs < 4)
		return cli_msg(s, map ? "Missing map identifier and/or key." : "Missing ACL identifier and/or key.");
	if (!(ref = lookup(s, k, args[2])))
		return cli_msg(s, k->unknown);
	for (const struct pat_head *h = ref->heads; h; h = h->next_of_ref) {
		const struct pattern *p = NULL;
		struct sample smp;

		/* each index is reported on its own, as HAProxy does */
		if ((map && h->map_type == SMP_T_ANY) || (!map && h->map_type != SMP_T_ANY))
			continue;
		if (h->match == PAT_M_FOUND || h->match == PAT_M_BOOL)
			continue;
		if (sample_for(h, args[3], &smp))
			p = pat_match(h, &smp);
		cli_out(s, "type=%s, case=%s, %s=%s", pat_match_name(h->match), h->icase ? "insensitive" : "sensitive",
			map ? "found" : "match", p ? "yes" : "no");
		if (p) {
			cli_out(s, ", idx=%s, %s=\"%s\"", pat_head_idx_name(h), map ? "key" : "pattern",
				p->elt ? p->elt->key : "");
			if (map) {
				cli_out(s, ", ");
				print_value(s, &p->value);
			}
		}
		cli_out(s, "\n");
	}
	return 0;
}

static int cmd_get_map(struct cli_sess *s, char **args, int nargs)
{
	return get(s, args, nargs, &MAP);
}

static int cmd_get_acl(struct cli_sess *s, char **args, int nargs)
{
	return get(s, args, nargs, &ACL);
}

/* ---- changes ---- */

static int done(struct cli_sess *s)
{
	(void)s;
	qsbr_reclaim();
	return 0;
}

/* An error from the pattern layer, as HAProxy words it (ends with '.'). */
static int pat_error(struct cli_sess *s, const char *err)
{
	size_t n = strlen(err);

	cli_out(s, "%s%s\n", err, n && err[n - 1] == '.' ? "" : ".");
	return 0;
}

static int cmd_add_map(struct cli_sess *s, char **args, int nargs)
{
	int i = 2, cur = version(args, &i, nargs);
	struct pat_ref *ref;
	char err[512];

	if (nargs - i != 3)
		return cli_msg(s, "'add map' expects three parameters (map identifier, key and value) or one "
			       "parameter (map identifier) and a payload");
	if (!(ref = lookup(s, &MAP, args[i])))
		return cli_msg(s, MAP.unknown);
	if (!cur)
		return cli_msg(s, "This version of the map does not exist (tandem has no 'prepare map').");
	if (pat_ref_add(ref, args[i + 1], args[i + 2], err, sizeof(err)) < 0)
		return pat_error(s, err);
	return done(s);
}

static int cmd_add_acl(struct cli_sess *s, char **args, int nargs)
{
	int i = 2, cur = version(args, &i, nargs);
	struct pat_ref *ref;
	char err[512];

	if (nargs - i != 2)
		return cli_msg(s, "'add acl' expects two parameters: ACL identifier and pattern.");
	if (!(ref = lookup(s, &ACL, args[i])))
		return cli_msg(s, ACL.unknown);
	if (!cur)
		return cli_msg(s, "This version of the ACL does not exist (tandem has no 'prepare acl').");
	if (pat_ref_add(ref, args[i + 1], NULL, err, sizeof(err)) < 0)
		return pat_error(s, err);
	return done(s);
}

/* "#0x55..." names one entry; anything else is a key. */
static struct pat_elt *by_ref(struct pat_ref *ref, const char *w, int *is_ref)
{
	char *end;
	unsigned long long id;

	*is_ref = w[0] == '#';
	if (!*is_ref)
		return NULL;
	id = strtoull(w + 1, &end, 16);
	if (*end || end == w + 1)
		return NULL;
	return pat_ref_find_elt(ref, id);
}

static int del(struct cli_sess *s, char **args, int nargs, const struct kind *k)
{
	struct pat_ref *ref;
	struct pat_elt *e;
	int is_ref;

	if (nargs != 4)
		return cli_msg(s, k->flag == PAT_REF_MAP ? "This command expects two parameters: map identifier and key." :
			       "This command expects two parameters: ACL identifier and key.");
	if (!(ref = lookup(s, k, args[2])))
		return cli_msg(s, k->unknown);
	e = by_ref(ref, args[3], &is_ref);
	if (is_ref) {
		if (!e)
			return cli_msg(s, "Key not found.");
		pat_ref_del_elt(ref, e);
	} else if (!pat_ref_del_key(ref, args[3])) {
		return cli_msg(s, "Key not found.");
	}
	return done(s);
}

static int cmd_del_map(struct cli_sess *s, char **args, int nargs)
{
	return del(s, args, nargs, &MAP);
}

static int cmd_del_acl(struct cli_sess *s, char **args, int nargs)
{
	return del(s, args, nargs, &ACL);
}

static int clear(struct cli_sess *s, char **args, int nargs, const struct kind *k)
{
	int i = 2, cur = version(args, &i, nargs);
	struct pat_ref *ref;

	if (i >= nargs)
		return cli_msg(s, k->flag == PAT_REF_MAP ? "Missing map identifier." : "Missing ACL identifier.");
	if (!(ref = lookup(s, k, args[i])))
		return cli_msg(s, k->unknown);
	if (cur)
		pat_ref_clear(ref);
	return done(s);
}

static int cmd_clear_map(struct cli_sess *s, char **args, int nargs)
{
	return clear(s, args, nargs, &MAP);
}

static int cmd_clear_acl(struct cli_sess *s, char **args, int nargs)
{
	return clear(s, args, nargs, &ACL);
}

static int cmd_set_map(struct cli_sess *s, char **args, int nargs)
{
	struct pat_ref *ref;
	struct pat_elt *e;
	char err[512];
	int is_ref, n;

	if (nargs != 5)
		return cli_msg(s, "'set map' expects three parameters: map identifier, key and value.");
	if (!(ref = lookup(s, &MAP, args[2])))
		return cli_msg(s, MAP.unknown);
	e = by_ref(ref, args[3], &is_ref);
	if (is_ref) {
		if (!e)
			return cli_msg(s, "key or pattern not found.");
		if (pat_ref_set_elt(ref, e, args[4], err, sizeof(err)) < 0)
			return pat_error(s, err);
		return done(s);
	}
	if ((n = pat_ref_set_key(ref, args[3], args[4], err, sizeof(err))) < 0)
		return pat_error(s, err);
	if (!n)
		return cli_msg(s, "entry not found.");
	return done(s);
}

const struct cli_cmd cli_map_cmds[] = {
	{ { "add", "acl", NULL }, "add acl [@<ver>] <acl> <pattern>", "add an acl entry", CLI_LVL_OPER, cmd_add_acl },
	{ { "add", "map", NULL }, "add map [@<ver>] <map> <key> <val>", "add a map entry", CLI_LVL_OPER, cmd_add_map },
	{ { "clear", "acl", NULL }, "clear acl [@<ver>] <acl>", "clear the contents of this acl", CLI_LVL_OPER, cmd_clear_acl },
	{ { "clear", "map", NULL }, "clear map [@<ver>] <map>", "clear the contents of this map", CLI_LVL_OPER, cmd_clear_map },
	{ { "del", "acl", NULL }, "del acl <acl> [<key>|#<ref>]", "delete acl entries matching <key>", CLI_LVL_OPER, cmd_del_acl },
	{ { "del", "map", NULL }, "del map <map> [<key>|#<ref>]", "delete map entries matching <key>", CLI_LVL_OPER, cmd_del_map },
	{ { "get", "acl", NULL }, "get acl <acl> <value>", "report the patterns matching a sample for an ACL", CLI_LVL_USER, cmd_get_acl },
	{ { "get", "map", NULL }, "get map <acl> <value>", "report the keys and values matching a sample for a map", CLI_LVL_USER, cmd_get_map },
	{ { "set", "map", NULL }, "set map <map> [<key>|#<ref>] <value>", "modify a map entry", CLI_LVL_OPER, cmd_set_map },
	{ { "show", "acl", NULL }, "show acl [[@<ver>] <acl>]", "report available acls or dump an acl's contents", CLI_LVL_USER, cmd_show_acl },
	{ { "show", "map", NULL }, "show map [[@<ver>] <map>]", "report available maps or dump a map's contents", CLI_LVL_USER, cmd_show_map },
	{ .kw = { NULL } }
};
