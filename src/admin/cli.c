/* The runtime API's command line: splitting a line into commands and
 * words, finding the command, checking the session's level, and the
 * session commands themselves (help, prompt, quit, operator, user, show
 * cli level, set timeout cli).
 *
 * HAProxy's conventions, so that its tools parse tandem's answers:
 *   - commands are separated by ';', words by spaces; a backslash makes
 *     the next character literal;
 *   - every answer ends with an empty line, which marks its end (no
 *     answer ever contains an empty line itself);
 *   - in interactive mode ("prompt") the prompt "> " follows each answer;
 *     otherwise the connection closes after the first line;
 *   - an unknown command answers "Unknown command..." with the help lines
 *     of the commands that look closest, and changes nothing;
 *   - a command above the session's level answers "Permission denied".
 *
 * Command functions live in one file per group (cli_show.c, cli_server.c,
 * cli_dyn.c); other subsystems add theirs with cli_register_command(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/cli.h>
#include <tandem/stats.h>

#define MAX_EXTRA 32

static const struct cli_cmd *extra[MAX_EXTRA];
static int nextra;

/* ---- output ---------------------------------------------------------- */

void cli_vout(struct cli_sess *s, const char *fmt, va_list ap)
{
	char small[1024];
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= 0 && (size_t)n < sizeof(small))
		stats_sb_add(s->out, small, (size_t)n);
	else if (n >= 0) {
		char *big = malloc((size_t)n + 1);

		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, again);
			stats_sb_add(s->out, big, (size_t)n);
			free(big);
		}
	}
	va_end(again);
}

void cli_out(struct cli_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vout(s, fmt, ap);
	va_end(ap);
}

int cli_msg(struct cli_sess *s, const char *msg)
{
	stats_sb_adds(s->out, msg);
	stats_sb_add(s->out, "\n", 1);
	return 0;
}

/* ---- splitting ------------------------------------------------------- */

int cli_split_cmds(char *line, char **cmds, int max)
{
	int n = 0;
	char *start = line, *p;

	for (p = line; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;               /* the escaped character stays for cli_split_words */
			continue;
		}
		if (*p == ';') {
			*p = 0;
			if (n < max)
				cmds[n++] = start;
			start = p + 1;
		}
	}
	if (n < max)
		cmds[n++] = start;
	return n;
}

int cli_split_words(char *cmd, char **args, int max)
{
	char *r = cmd, *w = cmd;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (n >= max)
			return -1;
		args[n++] = w;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '\\' && r[1])
				r++;
			*w++ = *r++;
		}
		if (*r)
			r++;
		*w++ = 0;   /* never past r: w only ever lags behind */
	}
	return n;
}

/* ---- the command table ----------------------------------------------- */

static int cmd_help(struct cli_sess *s, char **args, int nargs);
static int cmd_prompt(struct cli_sess *s, char **args, int nargs);
static int cmd_quit(struct cli_sess *s, char **args, int nargs);
static int cmd_lower(struct cli_sess *s, char **args, int nargs);
static int cmd_show_level(struct cli_sess *s, char **args, int nargs);
static int cmd_set_timeout(struct cli_sess *s, char **args, int nargs);

static const struct cli_cmd session_cmds[] = {
	{ { "operator", NULL }, "operator", "lower the level of the current CLI session to operator", CLI_LVL_USER, cmd_lower },
	{ { "set", "timeout", NULL }, "set timeout [cli] <delay>", "change a timeout setting", CLI_LVL_USER, cmd_set_timeout },
	{ { "show", "cli", "level", NULL }, "show cli level", "display the level of the current CLI session", CLI_LVL_USER, cmd_show_level },
	{ { "user", NULL }, "user", "lower the level of the current CLI session to user", CLI_LVL_USER, cmd_lower },
	{ .kw = { NULL } }
};

/* Always listed last, as HAProxy does. */
static const struct cli_cmd last_cmds[] = {
	{ { "help", NULL }, "help [<command>]", "list matching or all commands", CLI_LVL_USER, cmd_help },
	{ { "prompt", NULL }, "prompt", "toggle interactive mode with prompt", CLI_LVL_USER, cmd_prompt },
	{ { "quit", NULL }, "quit", "disconnect", CLI_LVL_USER, cmd_quit },
	{ .kw = { NULL } }
};

static const struct cli_cmd *const tables[] = {
	cli_dyn_cmds, cli_server_cmds, cli_show_cmds, cli_events_cmds, cli_vrrp_cmds, cli_bgp_cmds, cli_reload_cmds,
	cli_dns_cmds, cli_ssl_cmds, cli_map_cmds, cli_table_cmds, session_cmds,
};

/* Visit every command: the built-in tables, then registered ones, then
 * help/prompt/quit. <fn> returns non-zero to stop. */
static void for_each_cmd(int (*fn)(const struct cli_cmd *c, void *arg), void *arg)
{
	const struct cli_cmd *sorted[128];
	int n = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cli_cmd *c = tables[t]; c->kw[0]; c++)
			if (n < (int)(sizeof(sorted) / sizeof(sorted[0])))
				sorted[n++] = c;
	for (int i = 0; i < nextra && n < (int)(sizeof(sorted) / sizeof(sorted[0])); i++)
		sorted[n++] = extra[i];
	/* help order: by usage text (insertion sort: a few dozen entries) */
	for (int i = 1; i < n; i++) {
		const struct cli_cmd *c = sorted[i];
		int j = i;

		while (j > 0 && strcmp(sorted[j - 1]->usage, c->usage) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = c;
	}
	for (int i = 0; i < n; i++)
		if (fn(sorted[i], arg))
			return;
	for (const struct cli_cmd *c = last_cmds; c->kw[0]; c++)
		if (fn(c, arg))
			return;
}

/* How many leading words of args match all of <c>'s keywords (0: no match). */
static int kw_match(const struct cli_cmd *c, char **args, int nargs)
{
	int i;

	for (i = 0; c->kw[i]; i++)
		if (i >= nargs || strcmp(c->kw[i], args[i]))
			return 0;
	return i;
}

struct find_arg { char **args; int nargs; const struct cli_cmd *best; int best_n; };

static int find_cb(const struct cli_cmd *c, void *arg)
{
	struct find_arg *f = arg;
	int m = kw_match(c, f->args, f->nargs);

	if (m > f->best_n) {
		f->best = c;
		f->best_n = m;
	}
	return 0;
}

int cli_register_command(const struct cli_cmd *cmd)
{
	struct find_arg f = { (char **)cmd->kw, 0, NULL, 0 };

	while (cmd->kw[f.nargs])
		f.nargs++;
	if (!f.nargs || nextra >= MAX_EXTRA)
		return -1;
	for_each_cmd(find_cb, &f);
	if (f.best && f.best_n == f.nargs && !f.best->kw[f.nargs])
		return -1;   /* the very same keywords are taken */
	extra[nextra++] = cmd;
	return 0;
}

/* ---- help ------------------------------------------------------------ */

static void help_line(struct cli_sess *s, const struct cli_cmd *c)
{
	cli_out(s, "  %-40s: %s\n", c->usage, c->help);
}

struct help_arg { struct cli_sess *s; char **args; int nargs; int found; };

/* A command is listed by `help WORDS` when its keywords start with WORDS. */
static int help_cb(const struct cli_cmd *c, void *arg)
{
	struct help_arg *h = arg;
	int i;

	for (i = 0; i < h->nargs; i++)
		if (!c->kw[i] || strcmp(c->kw[i], h->args[i]))
			return 0;
	help_line(h->s, c);
	h->found++;
	return 0;
}

static int all_cb(const struct cli_cmd *c, void *arg)
{
	help_line(arg, c);
	return 0;
}

static int cmd_help(struct cli_sess *s, char **args, int nargs)
{
	struct help_arg h = { s, args + 1, nargs - 1, 0 };

	cli_out(s, "The following commands are valid at this level:\n");
	if (h.nargs > 0)
		for_each_cmd(help_cb, &h);
	if (!h.found)
		for_each_cmd(all_cb, s);
	return 0;
}

/* Unknown command: the commands sharing its first word when there are
 * some (HAProxy suggests close matches), else the whole list. */
struct near_arg { struct cli_sess *s; const char *first; int found; };

static int near_cb(const struct cli_cmd *c, void *arg)
{
	struct near_arg *n = arg;

	if (!strcmp(c->kw[0], n->first) || (c >= last_cmds && c < last_cmds + 3)) {
		help_line(n->s, c);
		n->found += strcmp(c->kw[0], n->first) == 0;
	}
	return 0;
}

static int first_cb(const struct cli_cmd *c, void *arg)
{
	struct near_arg *n = arg;

	n->found += !strcmp(c->kw[0], n->first);
	return 0;
}

static void unknown(struct cli_sess *s, char **args, int nargs)
{
	struct near_arg n = { s, nargs ? args[0] : "", 0 };

	for_each_cmd(first_cb, &n);
	if (n.found) {
		cli_out(s, "Unknown command, but maybe one of the following ones is a better match:\n");
		n.found = 0;
		for_each_cmd(near_cb, &n);
		return;
	}
	cli_out(s, "Unknown command. Please enter one of the following commands only:\n");
	for_each_cmd(all_cb, s);
}

/* ---- session commands ------------------------------------------------ */

/* Leaving interactive mode makes the session non-interactive again: it
 * closes after this line (cli_sock.c). */
static int cmd_prompt(struct cli_sess *s, char **args, int nargs)
{
	(void)args; (void)nargs;
	s->interactive = !s->interactive;
	return 0;
}

static int cmd_quit(struct cli_sess *s, char **args, int nargs)
{
	(void)args; (void)nargs;
	s->quit = 1;
	return 0;
}

static const char *const level_names[] = { "user", "operator", "admin" };

/* `operator` / `user`: a session may only lower its level. */
static int cmd_lower(struct cli_sess *s, char **args, int nargs)
{
	int want = strcmp(args[0], "user") == 0 ? CLI_LVL_USER : CLI_LVL_OPER;

	(void)nargs;
	if (want < s->level)
		s->level = want;
	return 0;
}

static int cmd_show_level(struct cli_sess *s, char **args, int nargs)
{
	(void)args; (void)nargs;
	return cli_msg(s, level_names[s->level >= 0 && s->level <= CLI_LVL_ADMIN ? s->level : 0]);
}

/* set timeout cli <seconds> */
static int cmd_set_timeout(struct cli_sess *s, char **args, int nargs)
{
	char *end;
	long v;

	if (nargs < 3 || strcmp(args[2], "cli"))
		return cli_msg(s, "'set timeout' only supports 'cli'.");
	if (nargs < 4)
		return cli_msg(s, "Expects an integer value.");
	v = strtol(args[3], &end, 10);
	if (*end || end == args[3] || v <= 0 || v > 2147483)
		return cli_msg(s, "Invalid timeout value.");
	s->timeout_ms = (uint32_t)v * 1000u;
	return 0;
}

/* ---- lookups --------------------------------------------------------- */

struct proxy *cli_find_backend(const struct cfg *cfg, const char *arg)
{
	struct list *l;

	if (*arg == '#') {
		char *end;
		long id = strtol(arg + 1, &end, 10);

		if (*end || end == arg + 1)
			return NULL;
		list_for_each(l, &cfg->proxies) {
			struct proxy *px = list_entry(l, struct proxy, link);

			if ((px->cap & PR_CAP_BE) && px->uuid == id)
				return px;
		}
		return NULL;
	}
	return cfg_find_proxy(cfg, arg, PR_CAP_BE);
}

int cli_get_server(struct cli_sess *s, const char *arg, struct proxy **be, struct server **sv)
{
	char name[256];
	const char *slash = arg ? strchr(arg, '/') : NULL;
	struct list *l;

	*be = NULL;
	*sv = NULL;
	if (!slash || (size_t)(slash - arg) >= sizeof(name)) {
		cli_msg(s, "Require 'backend/server'.");
		return -1;
	}
	memcpy(name, arg, (size_t)(slash - arg));
	name[slash - arg] = 0;
	if (!(*be = cli_find_backend(s->cfg, name))) {
		cli_msg(s, "No such backend.");
		return -1;
	}
	list_for_each(l, &(*be)->servers) {
		struct server *x = list_entry(l, struct server, link);

		if (slash[1] == '#' ? (x->puid == atoi(slash + 2) && slash[2]) : !strcmp(x->id, slash + 1)) {
			*sv = x;
			return 0;
		}
	}
	cli_msg(s, "No such server.");
	return -1;
}

/* ---- running a line -------------------------------------------------- */

/* Run one command (already split into words) and terminate its answer. */
static void run_cmd(struct cli_sess *s, char **args, int nargs)
{
	struct find_arg f = { args, nargs, NULL, 0 };
	size_t before = s->out->len;

	for_each_cmd(find_cb, &f);
	if (!f.best)
		unknown(s, args, nargs);
	else if (s->level < f.best->level)
		cli_msg(s, "Permission denied");
	else
		f.best->fn(s, args, nargs);
	if (s->quit)
		return;
	/* answers end with a newline, then the empty line that closes them */
	if (s->out->len > before && !s->out->err && s->out->s[s->out->len - 1] != '\n')
		stats_sb_add(s->out, "\n", 1);
	stats_sb_add(s->out, "\n", 1);
	if (s->interactive)
		stats_sb_add(s->out, "> ", 2);
}

void cli_exec_line(struct cli_sess *s, char *line)
{
	char *cmds[CLI_MAX_ARGS], *args[CLI_MAX_ARGS + 1];
	int ncmd = cli_split_cmds(line, cmds, CLI_MAX_ARGS);

	for (int i = 0; i < ncmd && !s->quit; i++) {
		int nargs = cli_split_words(cmds[i], args, CLI_MAX_ARGS);

		if (nargs < 0) {
			cli_msg(s, "Too many words on the command line.");
			stats_sb_add(s->out, "\n", 1);
			if (s->interactive)
				stats_sb_add(s->out, "> ", 2);
			continue;
		}
		args[nargs] = NULL;
		if (!nargs && s->interactive) {
			if (ncmd == 1)   /* an empty line: just a new prompt */
				stats_sb_add(s->out, "> ", 2);
			continue;
		}
		if (!nargs && ncmd > 1)
			continue;
		run_cmd(s, args, nargs);
	}
}
