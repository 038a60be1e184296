/* Runtime API for stick tables, HAProxy's commands and answers:
 *
 *   show table                               one line per table
 *   show table <t> [data.<type> <op> <v>]*   its entries (up to 4 filters)
 *   show table <t> key <k>                   one entry
 *   clear table <t> [data.<type> <op> <v>]*  remove entries (not in use)
 *   clear table <t> key <k>
 *   set table <t> key <k> [data.<type> <v>]* create or update an entry
 *
 * <op> is eq, ne, le, ge, lt or gt. Entries are read and changed under
 * their shard's lock while the worker threads carry traffic (table.c);
 * an entry a stream tracks is never removed ("Entry currently in use"). A
 * rate set here reads as that value for the rest of its period, then fades
 * as HAProxy's does. Changes are announced to the peers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/stick.h>
#include "cli_int.h"

#define FILTERS 4

enum { OP_EQ = 0, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT };

struct filter {
	int       n;
	int       dt[FILTERS];
	int       op[FILTERS];
	long long v[FILTERS];
};

static struct stk_conf *find_table(struct cli_sess *s, const char *name)
{
	return s->cfg ? stk_conf_find(s->cfg, name) : NULL;
}

static long long read_value(struct stk_table *t, struct stk_ent *e, int dt)
{
	void *p = stk_data(t, e, dt);

	if (!p)
		return 0;
	switch (stk_dt[dt].std) {
	case STK_STD_SINT: return *(int32_t *)p;
	case STK_STD_UINT: return *(uint32_t *)p;
	case STK_STD_ULL:  return (long long)*(uint64_t *)p;
	case STK_STD_FRQP: return stk_frq_read(p, t->c->period[dt], (uint32_t)now_ms);
	default:           return 0;
	}
}

static void head(struct cli_sess *s, const struct stk_conf *c)
{
	cli_out(s, "# table: %s, type: %s, size:%u, used:%u\n", c->id, stk_type_name(c->type), c->size,
		c->t ? stk_count(c->t) : 0);
}

static void dump_entry(struct cli_sess *s, struct stk_table *t, struct stk_ent *e)
{
	char key[2 * STK_KEY_MAX + 1];
	long long exp = e->expire ? (long long)(e->expire - now_ms) : 0;

	stk_key_print(t, e, key, sizeof(key));
	cli_out(s, "%p: key=%s use=%u exp=%lld", (void *)e, key, e->ref, exp > 0 ? exp : 0);
	for (int dt = 0; dt < STK_DT_N; dt++) {
		if (!t->c->off[dt])
			continue;
		if (stk_dt[dt].std == STK_STD_FRQP)
			cli_out(s, " %s(%u)=%lld", stk_dt[dt].name, t->c->period[dt], read_value(t, e, dt));
		else
			cli_out(s, " %s=%lld", stk_dt[dt].name, read_value(t, e, dt));
	}
	cli_out(s, "\n");
}

static int matches(struct stk_table *t, struct stk_ent *e, const struct filter *f)
{
	for (int i = 0; i < f->n; i++) {
		long long d = read_value(t, e, f->dt[i]), v = f->v[i];

		switch (f->op[i]) {
		case OP_EQ: if (d != v) return 0; break;
		case OP_NE: if (d == v) return 0; break;
		case OP_LE: if (d > v) return 0; break;
		case OP_GE: if (d < v) return 0; break;
		case OP_LT: if (d >= v) return 0; break;
		default:    if (d <= v) return 0; break;
		}
	}
	return 1;
}

static int parse_ll(const char *s, long long *v)
{
	char *end;

	if (!*s)
		return -1;
	*v = strtoll(s, &end, 10);
	return *end ? -1 : 0;
}

/* data.<type> <op> <value> filters from args[i]. 0, or -1 (answered). */
static int parse_filters(struct cli_sess *s, const struct stk_conf *c, char **args, int i, int nargs, struct filter *f)
{
	static const char *const ops[] = { "eq", "ne", "le", "ge", "lt", "gt" };
	char msg[160];

	f->n = 0;
	for (; i < nargs; i += 3) {
		int k, op = -1;

		if (f->n == FILTERS) {
			snprintf(msg, sizeof(msg), "Detected extra data in filter, %ith word of input, after '%s'",
				 i + 1, args[i - 1]);
			return cli_msg(s, msg), -1;
		}
		if (strncmp(args[i], "data.", 5)) {
			cli_msg(s, "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>");
			return -1;
		}
		if ((k = stk_dt_find(args[i] + 5, strlen(args[i] + 5))) < 0 || stk_dt[k].std == STK_STD_NONE) {
			snprintf(msg, sizeof(msg), "Filter entry #%i: Unknown data type", f->n + 1);
			return cli_msg(s, msg), -1;
		}
		if (!c->off[k]) {
			snprintf(msg, sizeof(msg), "Filter entry #%i: Data type not stored in this table", f->n + 1);
			return cli_msg(s, msg), -1;
		}
		for (size_t j = 0; i + 1 < nargs && j < sizeof(ops) / sizeof(ops[0]); j++)
			if (!strcmp(args[i + 1], ops[j]))
				op = (int)j;
		if (op < 0) {
			snprintf(msg, sizeof(msg), "Filter entry #%i: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"", f->n + 1);
			return cli_msg(s, msg), -1;
		}
		if (i + 2 >= nargs || parse_ll(args[i + 2], &f->v[f->n]) < 0) {
			snprintf(msg, sizeof(msg), "Filter entry #%i: Require a valid integer value to compare against", f->n + 1);
			return cli_msg(s, msg), -1;
		}
		f->dt[f->n] = k;
		f->op[f->n] = op;
		f->n++;
	}
	return 0;
}

struct walk_arg {
	struct cli_sess     *s;
	const struct filter *f;
	int                  clear;
	unsigned             removed, busy;
};

static int walk_one(struct stk_table *t, struct stk_ent *e, void *arg)
{
	struct walk_arg *w = arg;

	if (!matches(t, e, w->f))
		return 0;
	if (!w->clear) {
		dump_entry(w->s, t, e);
		return 0;
	}
	if (stk_remove(t, e) < 0)
		w->busy++;
	else
		w->removed++;
	return 0;
}

/* show|clear table <t> key <k> */
static int by_key(struct cli_sess *s, struct stk_conf *c, char **args, int nargs, int clear)
{
	struct stk_table *t = c->t;
	struct stk_key k;
	struct stk_ent *e;

	if (nargs < 5 || !*args[4])
		return cli_msg(s, "Key value expected");
	if (t->h->type == STK_T_BIN)
		return cli_msg(s, clear ? "Removing keys from tables of type other than ip, ipv6, string and integer is not supported"
				  : "Showing keys from tables of type other than ip, ipv6, string and integer is not supported");
	if (stk_key_parse(t, args[4], &k) < 0)
		return cli_msg(s, "Invalid key");
	if (!(e = stk_get(t, &k, 0, now_ms)))
		return 0;   /* absent: nothing to show or remove */
	if (clear)
		return stk_remove_unlock(t, e) < 0 ? cli_msg(s, "Entry currently in use, cannot remove") : 0;
	head(s, c);
	dump_entry(s, t, e);
	stk_unlock(t, e);
	return 0;
}

static int cmd_show_table(struct cli_sess *s, char **args, int nargs)
{
	struct stk_conf *c;
	struct filter f;
	struct walk_arg w = { .s = s, .f = &f };
	uint32_t pos = 0;

	clock_update();
	if (nargs < 3) {
		for (c = s->cfg && s->cfg->stick ? s->cfg->stick->tables : NULL; c; c = c->next)
			head(s, c);
		return 0;
	}
	if (!(c = find_table(s, args[2])) || !c->t)
		return cli_msg(s, "No such table");
	if (nargs > 3 && !strcmp(args[3], "key")) {
		if (s->level < CLI_LVL_OPER)
			return cli_msg(s, "Permission denied");
		return by_key(s, c, args, nargs, 0);
	}
	if (parse_filters(s, c, args, 3, nargs, &f) < 0)
		return 0;
	head(s, c);
	if (s->level < CLI_LVL_OPER)
		return cli_msg(s, "# contents not dumped due to insufficient privileges");
	stk_walk(c->t, &pos, ~0u, now_ms, walk_one, &w);
	return 0;
}

static int cmd_clear_table(struct cli_sess *s, char **args, int nargs)
{
	struct stk_conf *c;
	struct filter f;
	struct walk_arg w = { .s = s, .f = &f, .clear = 1 };
	uint32_t pos = 0;

	clock_update();
	if (nargs < 3)
		return cli_msg(s, "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>");
	if (!(c = find_table(s, args[2])) || !c->t)
		return cli_msg(s, "No such table");
	if (nargs > 3 && !strcmp(args[3], "key")) {
		if (s->level < CLI_LVL_OPER)
			return cli_msg(s, "Permission denied");
		return by_key(s, c, args, nargs, 1);
	}
	if (nargs > 3 && strncmp(args[3], "data.", 5))
		return cli_msg(s, "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>");
	if (parse_filters(s, c, args, 3, nargs, &f) < 0)
		return 0;
	/* HAProxy's way: below operator, the entries are not touched, silently */
	if (s->level >= CLI_LVL_OPER)
		stk_walk(c->t, &pos, ~0u, now_ms, walk_one, &w);
	return 0;
}

static int cmd_set_table(struct cli_sess *s, char **args, int nargs)
{
	struct stk_conf *c;
	struct stk_table *t;
	struct stk_key k;
	struct stk_ent *e;

	clock_update();
	if (nargs < 3)
		return cli_msg(s, "Required arguments: <table> key <key> [data.<store_data_type> <value>]*");
	if (!(c = find_table(s, args[2])) || !(t = c->t))
		return cli_msg(s, "No such table");
	if (nargs < 4 || strcmp(args[3], "key"))
		return cli_msg(s, "Required arguments: <table> key <key> [data.<store_data_type> <value>]*");
	if (nargs < 5 || !*args[4])
		return cli_msg(s, "Key value expected");
	if (t->h->type == STK_T_BIN)
		return cli_msg(s, "Inserting keys into tables of type other than ip, ipv6, string and integer is not supported");
	if (stk_key_parse(t, args[4], &k) < 0)
		return cli_msg(s, "Invalid key");
	/* every argument first: nothing is created for a wrong command */
	for (int i = 5; i < nargs; i += 2) {
		long long v;
		int dt;

		if (strncmp(args[i], "data.", 5))
			return cli_msg(s, "\"data.<type>\" followed by a value expected");
		if ((dt = stk_dt_find(args[i] + 5, strlen(args[i] + 5))) < 0 || stk_dt[dt].std == STK_STD_NONE)
			return cli_msg(s, "Unknown data type");
		if (!c->off[dt])
			return cli_msg(s, "Data type not stored in this table");
		if (i + 1 >= nargs || parse_ll(args[i + 1], &v) < 0)
			return cli_msg(s, "Require a valid integer value to store");
	}
	if (!(e = stk_get(t, &k, STK_GET_CREATE | STK_GET_TOUCH, now_ms)))
		return cli_msg(s, "Unable to allocate a new entry");
	for (int i = 5; i + 1 < nargs; i += 2) {
		int dt = stk_dt_find(args[i] + 5, strlen(args[i] + 5));
		void *p = stk_data(t, e, dt);
		long long v = strtoll(args[i + 1], NULL, 10);

		switch (stk_dt[dt].std) {
		case STK_STD_SINT: *(int32_t *)p = (int32_t)v; break;
		case STK_STD_UINT: *(uint32_t *)p = (uint32_t)v; break;
		case STK_STD_ULL:  *(uint64_t *)p = (uint64_t)v; break;
		case STK_STD_FRQP: {
			/* HAProxy's way: the value for the rest of this period,
			 * then fading out over the next */
			struct stk_frq *f = p;

			f->tick = (uint32_t)now_ms & ~1u;
			f->prev = 0;
			f->curr = (uint32_t)v;
			break;
		}
		default:
			break;
		}
	}
	stk_updated(t, e);
	stk_unlock(t, e);
	return 0;
}

const struct cli_cmd cli_table_cmds[] = {
	{ { "clear", "table", NULL }, "clear table <table> [<filter>]*", "remove an entry from a table (filter: data/key)",
	  CLI_LVL_USER, cmd_clear_table },
	{ { "set", "table", NULL }, "set table <table> key <k> [data.* <v>]*", "update or create a table entry's data",
	  CLI_LVL_OPER, cmd_set_table },
	{ { "show", "table", NULL }, "show table <table> [<filter>]*",
	  "report table usage stats or dump this table's contents (filter: data/key)", CLI_LVL_USER, cmd_show_table },
	{ .kw = { NULL } }
};
