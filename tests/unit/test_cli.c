/* The runtime API without sockets: line and word splitting, the weight
 * argument, `stats socket` parsing, and commands run on a loaded
 * configuration through cli_exec_line() -- their output formats
 * (HAProxy's, checked against captures of HAProxy 2.6) and their effect on
 * the servers, levels, unknown commands, interactive mode. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <tandem/cfg.h>
#include <tandem/cli.h>
#include <tandem/srv_state.h>
#include <tandem/srv_admin.h>
#include <tandem/stats.h>
#include "unit.h"

/* ---- helpers ---------------------------------------------------------- */

static struct cfg *load(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/tandem-test-cli-XXXXXX";
	int fd = mkstemp(path);
	struct cfg *c;

	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return NULL;
	}
	close(fd);
	c = cfg_load(path, err, errlen);
	unlink(path);
	if (c) {   /* what the worker does at start */
		struct list *pl, *sl;

		list_for_each(pl, &c->proxies)
			list_for_each(sl, &list_entry(pl, struct proxy, link)->servers)
				list_entry(sl, struct server, link)->cfg_weight = list_entry(sl, struct server, link)->uweight;
	}
	return c;
}

static struct stats_sb out;
static struct cli_sess sess;

static void new_sess(struct cfg *c, int level)
{
	free(out.s);
	memset(&out, 0, sizeof(out));
	memset(&sess, 0, sizeof(sess));
	sess.cfg = c;
	sess.level = level;
	sess.out = &out;
	sess.timeout_ms = 10000;
}

/* Run <line> in a fresh non-interactive session at <level>; the output. */
static const char *run(struct cfg *c, int level, const char *line)
{
	char buf[4096];

	new_sess(c, level);
	snprintf(buf, sizeof(buf), "%s", line);
	cli_exec_line(&sess, buf);
	stats_sb_add(&out, "", 0);
	return out.s ? out.s : "";
}

static struct server *srv(struct cfg *c, const char *be, const char *name)
{
	struct proxy *px = cfg_find_proxy(c, be, PR_CAP_BE);

	return px ? proxy_find_server(px, name) : NULL;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- splitting -------------------------------------------------------- */

static void test_split(void)
{
	char line[] = "show info;set server a/b state drain ; get\\;weight x\\ y";
	char *cmds[8], *args[8];
	int n = cli_split_cmds(line, cmds, 8), w;

	CHECK("split: three commands", n == 3);
	CHECK("split: first", !strcmp(cmds[0], "show info"));
	w = cli_split_words(cmds[1], args, 8);
	CHECK("words: five, spaces collapse", w == 5 && !strcmp(args[0], "set") && !strcmp(args[4], "drain"));
	w = cli_split_words(cmds[2], args, 8);
	CHECK("words: escaped ; and space are literal", w == 2 && !strcmp(args[0], "get;weight") &&
	      !strcmp(args[1], "x y"));
	{
		char many[] = "a b c d e";

		CHECK("words: too many", cli_split_words(many, args, 4) == -1);
	}
	{
		char empty[] = "   ";

		CHECK("words: empty", cli_split_words(empty, args, 4) == 0);
	}
}

static void test_weight_parse(void)
{
	int w = -1;

	CHECK("weight: 7", !srv_weight_parse("7", 3, &w) && w == 7);
	CHECK("weight: 0", !srv_weight_parse("0", 3, &w) && w == 0);
	CHECK("weight: 256", !srv_weight_parse("256", 3, &w) && w == 256);
	CHECK("weight: 50% of 3 is 1", !srv_weight_parse("50%", 3, &w) && w == 1);
	CHECK("weight: 300% of 100 capped at 256", !srv_weight_parse("300%", 100, &w) && w == 256);
	CHECK("weight: 257 refused", !strcmp(srv_weight_parse("257", 3, &w),
					     "Absolute weight can only be between 0 and 256 inclusive."));
	CHECK("weight: -1 refused", !strcmp(srv_weight_parse("-1", 3, &w),
					    "Absolute weight can only be between 0 and 256 inclusive."));
	CHECK("weight: garbage", !strcmp(srv_weight_parse("x", 3, &w), "Empty weight string empty or preceded by garbage"));
	CHECK("weight: trailing", !strcmp(srv_weight_parse("5x", 3, &w), "Trailing garbage in weight string"));
	CHECK("weight: empty", !strcmp(srv_weight_parse("", 3, &w), "Require <weight> or <weight%>."));
	CHECK("weight: huge", srv_weight_parse("99999999999999999999", 3, &w) != NULL);
}

/* ---- configuration ------------------------------------------------------ */

static const char base_cfg[] =
	"global\n"
	"  stats socket /tmp/tandem-unit-admin.sock mode 600 level admin\n"
	"  stats socket ipv4@127.0.0.1:9999 level user\n"
	"  stats socket unix@relative.sock\n"
	"  stats timeout 2m\n"
	"  stats maxconn 3\n"
	"defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"
	"frontend fe\n  bind 127.0.0.1:18080\n  default_backend app\n"
	"backend app\n"
	"  server a 127.0.0.1:18081 weight 3\n"
	"  server b 127.0.0.2:18082 check inter 1s\n"
	"backend st\n  balance static-rr\n  server c 127.0.0.1:18083\n";

static void test_config(void)
{
	char err[512] = "";
	struct cfg *c = load(base_cfg, err, sizeof(err));
	struct cli_sock_conf *s1, *s2, *s3;

	CHECK("cfg: stats sockets accepted", c != NULL);
	if (!c) {
		printf("# %s\n", err);
		return;
	}
	s1 = list_entry(c->g.stats_socks.next, struct cli_sock_conf, link);
	s2 = list_entry(s1->link.next, struct cli_sock_conf, link);
	s3 = list_entry(s2->link.next, struct cli_sock_conf, link);
	CHECK("cfg: unix path, mode, level", s1->addr.ss_family == AF_UNIX && s1->mode == 0600 &&
	      s1->level == CLI_LVL_ADMIN && !strcmp(((struct sockaddr_un *)&s1->addr)->sun_path, "/tmp/tandem-unit-admin.sock"));
	CHECK("cfg: ipv4@ address, level user", s2->addr.ss_family == AF_INET && s2->level == CLI_LVL_USER &&
	      ntohs(((struct sockaddr_in *)&s2->addr)->sin_port) == 9999);
	CHECK("cfg: unix@ relative path, default level operator, no mode", s3->addr.ss_family == AF_UNIX &&
	      s3->level == CLI_LVL_OPER && s3->mode == -1 && !strcmp(((struct sockaddr_un *)&s3->addr)->sun_path, "relative.sock"));
	CHECK("cfg: fds not opened by the parser", s1->fd == -1 && s2->fd == -1);
	CHECK("cfg: stats timeout 2m", c->g.stats_timeout == 120000);
	CHECK("cfg: stats maxconn 3", c->g.stats_maxconn == 3);
	cfg_free(c);

	c = load("global\n  nbthread 1\n", err, sizeof(err));
	CHECK("cfg: defaults timeout 10s, maxconn 10, no socket", c && c->g.stats_timeout == 10000 &&
	      c->g.stats_maxconn == 10 && list_empty(&c->g.stats_socks));
	cfg_free(c);

	static const struct { const char *line, *want; } bad[] = {
		{ "stats socket /tmp/x.sock expose-fd all", "'expose-fd' only supports 'listeners'" },
		{ "stats socket /tmp/x.sock level root", "'level' only supports" },
		{ "stats socket /tmp/x.sock mode 999", "'mode' expects an octal" },
		{ "stats socket /tmp/x.sock accept-proxy", "keyword 'accept-proxy' is not supported" },
		{ "stats socket /tmp/x.sock mode", "'mode' expects an argument" },
		{ "stats socket", "expects a path or an address" },
		{ "stats socket ipv4@127.0.0.1", "missing port" },
		{ "stats timeout", "expects a timeout value" },
		{ "stats timeout 0", "positive value" },
		{ "stats maxconn 0", "between 1 and" },
		{ "stats foo", "'stats foo' is not supported" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "global\n  %s\n", bad[i].line);
		err[0] = 0;
		c = load(text, err, sizeof(err));
		CHECKF(!c && strstr(err, bad[i].want), "cfg: '%s' refused (%s)", bad[i].line, err);
		cfg_free(c);
	}
}

/* ---- commands ------------------------------------------------------------ */

static void test_session_cmds(struct cfg *c)
{
	const char *o;

	o = run(c, CLI_LVL_ADMIN, "help");
	CHECK("help: title", !strncmp(o, "The following commands are valid at this level:\n", 48));
	CHECK("help: HAProxy's column layout", strstr(o, "\n  get weight <bk>/<srv>                   : report a server's current weight\n") != NULL);
	CHECK("help: help/prompt/quit last", strstr(o, "  quit                                    : disconnect\n\n") != NULL);
	CHECK("help: ends with one empty line", strlen(o) > 2 && !strcmp(o + strlen(o) - 2, "\n\n"));
	o = run(c, CLI_LVL_ADMIN, "help show");
	CHECK("help show: only show commands", strstr(o, "show backend") && !strstr(o, "get weight"));
	o = run(c, CLI_LVL_USER, "foo bar");
	CHECK("unknown: full list", !strncmp(o, "Unknown command. Please enter one of the following commands only:\n", 66) &&
	      strstr(o, "show info"));
	o = run(c, CLI_LVL_USER, "show foo");
	CHECK("unknown: close matches", !strncmp(o, "Unknown command, but maybe one of the following ones is a better match:\n", 72) &&
	      strstr(o, "show backend") && !strstr(o, "get weight") && strstr(o, "  quit "));
	CHECK("non-interactive: the caller closes (no quit)", sess.quit == 0 && !sess.interactive);

	new_sess(c, CLI_LVL_ADMIN);
	{
		char l1[] = "prompt", l2[] = "show cli level;show version", l3[] = "", l4[] = "prompt";

		cli_exec_line(&sess, l1);
		CHECK("prompt: empty answer then the prompt", out.len == 3 && !memcmp(out.s, "\n> ", 3) && !sess.quit);
		out.len = 0;
		cli_exec_line(&sess, l2);
		stats_sb_add(&out, "", 0);
		CHECK("prompt: one prompt after each command", !strncmp(out.s, "admin\n\n> ", 9) &&
		      !strcmp(out.s + strlen(out.s) - 3, "\n> "));
		out.len = 0;
		cli_exec_line(&sess, l3);
		CHECK("prompt: empty line, just a prompt", out.len == 2 && !memcmp(out.s, "> ", 2));
		out.len = 0;
		cli_exec_line(&sess, l4);
		CHECK("prompt again: leaves interactive mode", out.len == 1 && out.s[0] == '\n' && !sess.interactive);
	}
	new_sess(c, CLI_LVL_ADMIN);
	{
		char l[] = "quit;show info";

		cli_exec_line(&sess, l);
		CHECK("quit: nothing more runs", out.len == 0 && sess.quit);
	}
	o = run(c, CLI_LVL_ADMIN, "operator;show cli level;user;show cli level;operator;show cli level");
	CHECK("operator/user lower the level, never raise it", !strcmp(o, "\noperator\n\n\nuser\n\n\nuser\n\n"));
	o = run(c, CLI_LVL_USER, "set timeout cli 30");
	CHECK("set timeout cli 30", !strcmp(o, "\n") && sess.timeout_ms == 30000);
	CHECK("set timeout cli x", !strcmp(run(c, CLI_LVL_USER, "set timeout cli x"), "Invalid timeout value.\n\n"));
	CHECK("set timeout foo", !strcmp(run(c, CLI_LVL_USER, "set timeout foo 1"), "'set timeout' only supports 'cli'.\n\n"));
}

static void test_show(struct cfg *c)
{
	const char *o;

	o = run(c, CLI_LVL_USER, "show backend");
	CHECK("show backend", !strcmp(o, "# name\napp\nst\n\n"));
	o = run(c, CLI_LVL_USER, "show info");
	CHECK("show info: Name first", !strncmp(o, "Name: tandem\nVersion: ", 22));
	CHECK("show info: fields hatop needs", strstr(o, "\nRelease_date: ") && strstr(o, "\nNbproc: 1\n") &&
	      strstr(o, "\nProcess_num: 1\n") && strstr(o, "\nPid: ") && strstr(o, "\nUptime: 0d ") &&
	      strstr(o, "\nMaxconn: ") && strstr(o, "\nCurrConns: 0\n") && strstr(o, "\nMaxpipes: 0\n") &&
	      strstr(o, "\nPipesUsed: 0\n") && strstr(o, "\nTasks: ") && strstr(o, "\nRun_queue: 0\n") &&
	      strstr(o, "\nnode: ") && strstr(o, "\nCumReq: 0\n"));
	o = run(c, CLI_LVL_USER, "show info typed");
	CHECK("show info typed", !strncmp(o, "0.Name.1:POS:str:tandem\n1.Version.1:POS:str:", 44) &&
	      strstr(o, "\n17.CurrConns.1:MGP:u32:0\n"));
	o = run(c, CLI_LVL_USER, "show info json");
	{
		static const char want[] = "[{\"field\":{\"pos\":0,\"name\":\"Name\"},\"processNum\":1,\"tags\":"
			"{\"origin\":\"Product\",\"nature\":\"Output\",\"scope\":\"Service\"},"
			"\"value\":{\"type\":\"str\",\"value\":\"tandem\"}},";

		CHECK("show info json", !strncmp(o, want, sizeof(want) - 1) && !strcmp(o + strlen(o) - 4, "}]\n\n") &&
		      strstr(o, "{\"field\":{\"pos\":17,\"name\":\"CurrConns\"},\"processNum\":1,\"tags\":{\"origin\":"
			     "\"Metric\",\"nature\":\"Gauge\",\"scope\":\"Process\"},\"value\":{\"type\":\"u32\",\"value\":0}}"));
	}

	o = run(c, CLI_LVL_USER, "show servers state");
	{
		static const char want[] = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state "
			"srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
			"srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port "
			"srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

		CHECK("show servers state: version and header", !strncmp(o, want, sizeof(want) - 1));
	}
	CHECK("show servers state: a (no check)", strstr(o, "\n2 app 1 a 127.0.0.1 2 0 3 3 ") &&
	      strstr(o, " 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0\n"));
	CHECK("show servers state: 3 servers, 25 fields each", count_lines(o) == 6 &&
	      strstr(o, "\n3 st 1 c 127.0.0.1 2 0 1 1 "));
	o = run(c, CLI_LVL_USER, "show servers state st");
	CHECK("show servers state st", count_lines(o) == 4 && strstr(o, "\n3 st 1 c "));
	o = run(c, CLI_LVL_USER, "show servers state #3");
	CHECK("show servers state #3", count_lines(o) == 4 && strstr(o, "\n3 st 1 c "));
	CHECK("show servers state nope", !strcmp(run(c, CLI_LVL_USER, "show servers state nope"), "Can't find backend.\n\n"));

	CHECK("get weight", !strcmp(run(c, CLI_LVL_USER, "get weight app/a"), "3 (initial 3)\n\n"));
	CHECK("get weight #2/#1", !strcmp(run(c, CLI_LVL_USER, "get weight #2/#1"), "3 (initial 3)\n\n"));
	CHECK("get weight: no slash", !strcmp(run(c, CLI_LVL_USER, "get weight app"), "Require 'backend/server'.\n\n"));
	CHECK("get weight: no backend", !strcmp(run(c, CLI_LVL_USER, "get weight x/a"), "No such backend.\n\n"));
	CHECK("get weight: no server", !strcmp(run(c, CLI_LVL_USER, "get weight app/x"), "No such server.\n\n"));
	CHECK("get weight: frontend is no backend", !strcmp(run(c, CLI_LVL_USER, "get weight fe/a"), "No such backend.\n\n"));
}

static void test_show_stat(struct cfg *c)
{
	const char *o;
	size_t n;

	o = run(c, CLI_LVL_USER, "show stat");
	CHECK("show stat: HAProxy's header", !strncmp(o, "# pxname,svname,qcur,qmax,scur,smax,slim,stot,", 46));
	CHECK("show stat: rows in HAProxy's order", strstr(o, "\nfe,FRONTEND,") && strstr(o, "\napp,a,") &&
	      strstr(o, "\napp,BACKEND,") && strstr(o, "\nst,c,") && strstr(o, "\nst,BACKEND,") &&
	      strstr(o, "\napp,a,") < strstr(o, "\napp,BACKEND,"));
	CHECK("show stat: 7 lines and the empty one", count_lines(o) == 8 && !strcmp(o + strlen(o) - 2, "\n\n"));
	{
		size_t sz;
		char *page = stats_render_csv(c, &sz);

		CHECK("show stat: same document as the stats page's CSV", page && strlen(o) == sz + 1 &&
		      !strncmp(o, page, sz));
		free(page);
	}
	{
		/* one CSV quoting for both (stats_sb_csv) */
		struct server *b = srv(c, "app", "b");
		char *id = b->id;

		b->id = "b,\"q\"";
		o = run(c, CLI_LVL_USER, "show stat 2 4 -1");
		CHECK("show stat: a comma or quote in a name is quoted, quotes doubled",
		      strstr(o, "\napp,\"b,\"\"q\"\"\",") != NULL);
		b->id = id;
	}
	o = run(c, CLI_LVL_USER, "show stat 2 4 -1");
	CHECK("show stat 2 4 -1: servers of app only", count_lines(o) == 4 && strstr(o, "\napp,a,") &&
	      strstr(o, "\napp,b,") && !strstr(o, "BACKEND"));
	o = run(c, CLI_LVL_USER, "show stat app 2 -1");
	CHECK("show stat app 2 -1: backend row only", count_lines(o) == 3 && strstr(o, "\napp,BACKEND,"));
	o = run(c, CLI_LVL_USER, "show stat -1 5 2");
	CHECK("show stat -1 5 2: FE + server #2", count_lines(o) == 4 && strstr(o, "\nfe,FRONTEND,") && strstr(o, "\napp,b,"));
	CHECK("show stat nope 1 1", !strcmp(run(c, CLI_LVL_USER, "show stat nope -1 -1"), "No such proxy.\n\n"));

	o = run(c, CLI_LVL_USER, "show stat typed");
	CHECK("show stat typed: F line", !strncmp(o, "F.1.0.0.pxname.1:KNS:str:fe\nF.1.0.1.svname.1:KNS:str:FRONTEND\n", 62));
	CHECK("show stat typed: S status", strstr(o, "\nS.2.1.17.status.1:SGP:str:no check\n") != NULL);
	CHECK("show stat typed: B act is a gauge", strstr(o, "\nB.2.0.19.act.1:MGP:u32:") != NULL);
	CHECK("show stat typed: S act is a status", strstr(o, "\nS.2.1.19.act.1:SGP:u32:1\n") != NULL);
	CHECK("show stat typed: lastsess s32", strstr(o, "\nS.2.1.55.lastsess.1:MAP:s32:-1\n") != NULL);
	CHECK("show stat typed: empty fields left out", !strstr(o, ".qlimit."));

	o = run(c, CLI_LVL_USER, "show stat json");
	n = strlen(o);
	CHECK("show stat json: array of arrays", !strncmp(o, "[[{\"objType\":\"Frontend\",\"proxyId\":1,\"id\":0,"
		"\"field\":{\"pos\":0,\"name\":\"pxname\"},\"processNum\":1,\"tags\":{\"origin\":\"Key\",\"nature\":\"Name\","
		"\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"fe\"}}", 185) && n > 6 &&
	      !strcmp(o + n - 5, "}]]\n\n"));
	CHECK("show stat json: server object", strstr(o, "{\"objType\":\"Server\",\"proxyId\":2,\"id\":1,\"field\":{\"pos\":17,"
		"\"name\":\"status\"},\"processNum\":1,\"tags\":{\"origin\":\"Status\",\"nature\":\"Gauge\",\"scope\":\"Process\"},"
		"\"value\":{\"type\":\"str\",\"value\":\"no check\"}}") != NULL);
	CHECK("show stat json: numbers unquoted", strstr(o, "\"name\":\"weight\"},\"processNum\":1,\"tags\":{\"origin\":\"Metric\","
		"\"nature\":\"Avg\",\"scope\":\"Process\"},\"value\":{\"type\":\"u32\",\"value\":3}}") != NULL);
}

static void test_levels(struct cfg *c)
{
	struct server *a = srv(c, "app", "a");
	static const char *const admin_only[] = {
		"set server app/a state maint", "set weight app/a 1", "disable server app/a", "enable server app/a",
		"disable health app/b", "enable health app/b", "add server app/z 127.0.0.1:1", "del server app/a",
		"clear counters all", "set server app/a weight 1",
	};

	for (size_t i = 0; i < sizeof(admin_only) / sizeof(admin_only[0]); i++) {
		CHECKF(!strcmp(run(c, CLI_LVL_OPER, admin_only[i]), "Permission denied\n\n"), "operator: '%s' denied", admin_only[i]);
		CHECKF(!strcmp(run(c, CLI_LVL_USER, admin_only[i]), "Permission denied\n\n"), "user: '%s' denied", admin_only[i]);
	}
	CHECK("levels: nothing changed", srv_admin_mode(a) == SRV_ADMIN_READY && a->uweight == 3 &&
	      srv(c, "app", "z") == NULL);
	CHECK("user: clear counters denied", !strcmp(run(c, CLI_LVL_USER, "clear counters"), "Permission denied\n\n"));
	CHECK("operator: clear counters allowed", !strcmp(run(c, CLI_LVL_OPER, "clear counters"), "\n"));
	CHECK("user: show commands allowed", !strncmp(run(c, CLI_LVL_USER, "show servers state"), "1\n", 2));
}

static void test_set_server(struct cfg *c)
{
	struct server *a = srv(c, "app", "a"), *b = srv(c, "app", "b"), *cc = srv(c, "st", "c");
	struct sockaddr_storage ss;
	socklen_t sl;
	char ip[64];

	CHECK("state drain", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a state drain"), "\n") &&
	      srv_admin_mode(a) == SRV_ADMIN_DRAIN && !srv_usable(a));
	CHECK("state maint", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a state maint"), "\n") &&
	      srv_admin_mode(a) == SRV_ADMIN_MAINT);
	CHECK("show stat: MAINT", strstr(run(c, CLI_LVL_USER, "show stat"), "\napp,a,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,"));
	CHECK("show servers state: admin 0x01", strstr(run(c, CLI_LVL_USER, "show servers state app"), "\n2 app 1 a 127.0.0.1 2 1 "));
	CHECK("state ready", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a state ready"), "\n") &&
	      srv_admin_mode(a) == SRV_ADMIN_READY && srv_usable(a));
	CHECK("state bad word: error, unchanged", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a state foo"),
		"'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n") && srv_admin_mode(a) == SRV_ADMIN_READY);
	CHECK("disable server", !strcmp(run(c, CLI_LVL_ADMIN, "disable server app/a"), "\n") && srv_admin_mode(a) == SRV_ADMIN_MAINT);
	CHECK("enable server", !strcmp(run(c, CLI_LVL_ADMIN, "enable server app/a"), "\n") && srv_admin_mode(a) == SRV_ADMIN_READY);
	CHECK("set server: usage", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a"),
		"usage: set server <backend>/<server> addr | fqdn | health | state | weight\n\n"));

	CHECK("weight 5", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a weight 5"), "\n") && a->eweight == 5 && a->uweight == 5);
	CHECK("get weight after set", !strcmp(run(c, CLI_LVL_USER, "get weight app/a"), "5 (initial 3)\n\n"));
	CHECK("weight 200% of the initial", !strcmp(run(c, CLI_LVL_ADMIN, "set weight app/a 200%"), "\n") && a->eweight == 6);
	CHECK("weight 300: error, unchanged", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a weight 300"),
		"Absolute weight can only be between 0 and 256 inclusive.\n\n") && a->eweight == 6);
	CHECK("weight 0: out of rotation", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a weight 0"), "\n") && !srv_usable(a));
	CHECK("weight 100%: back", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a weight 100%"), "\n") && a->eweight == 3 && srv_usable(a));
	CHECK("static-rr: 5 refused", !strcmp(run(c, CLI_LVL_ADMIN, "set server st/c weight 5"),
		"Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n") && cc->eweight == 1);
	CHECK("static-rr: 0% and 100% accepted", !strcmp(run(c, CLI_LVL_ADMIN, "set server st/c weight 0%"), "\n") &&
	      cc->eweight == 0 && !strcmp(run(c, CLI_LVL_ADMIN, "set server st/c weight 100%"), "\n") && cc->eweight == 1);

	CHECK("health down", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a health down"), "\n") &&
	      a->state == SRV_ST_STOPPED && !srv_usable(a));
	CHECK("health stopping", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a health stopping"), "\n") &&
	      a->state == SRV_ST_STOPPING && !srv_usable(a));
	CHECK("show stat: NOLB", strstr(run(c, CLI_LVL_USER, "show stat"), ",NOLB,") != NULL);
	CHECK("health up", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a health up"), "\n") &&
	      a->state == SRV_ST_RUNNING && srv_usable(a));
	CHECK("health bad word", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a health sick"),
		"'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n") && a->state == SRV_ST_RUNNING);

	CHECK("addr + port", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a addr 127.0.0.9 port 9999"),
		"IP changed from '127.0.0.1' to '127.0.0.9', port changed from '18081' to '9999' by 'stats socket command'\n\n"));
	srv_addr_get(a, &ss, &sl);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
	CHECK("addr applied", !strcmp(ip, "127.0.0.9") && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9999);
	CHECK("addr same", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a addr 127.0.0.9"),
		"no need to change the addr by 'stats socket command'\n\n"));
	CHECK("addr invalid: unchanged", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a addr foo port 1"),
		"Invalid addr 'foo' by 'stats socket command'\n\n"));
	CHECK("addr bad port: unchanged", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a addr 127.0.0.5 port x"),
		"Invalid port 'x' by 'stats socket command'\n\n"));
	srv_addr_get(a, &ss, &sl);
	CHECK("addr still 127.0.0.9:9999", ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(0x7f000009) &&
	      ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9999);
	CHECK("addr IPv6", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/a addr ::1 port 80"),
		"IP changed from '127.0.0.9' to '::1', port changed from '9999' to '80' by 'stats socket command'\n\n") &&
	      a->addr.ss_family == AF_INET6);
	CHECK("show servers state: new address", strstr(run(c, CLI_LVL_USER, "show servers state app"), "\n2 app 1 a ::1 2 0 ") != NULL);
	CHECK("show stat: new address", strstr(run(c, CLI_LVL_USER, "show stat"), ",[::1]:80,") != NULL);
	run(c, CLI_LVL_ADMIN, "set server app/a addr 127.0.0.1 port 18081");

	CHECK("disable health: no checks here, nothing to do", !strcmp(run(c, CLI_LVL_ADMIN, "disable health app/a"), "\n"));
	(void)b;
}

static void test_clear_counters(struct cfg *c)
{
	struct server *a = srv(c, "app", "a");
	struct proxy *fe = cfg_find_proxy(c, "fe", PR_CAP_FE);

	CTR_SET(a->ctr->cum_sess, 10);
	CTR_SET(a->ctr->max_sess, 4);
	CTR_SET(a->ctr->cur_sess, 1);
	CTR_SET(fe->fe_ctr->cum_req, 7);
	run(c, CLI_LVL_OPER, "clear counters");
	CHECK("clear counters: maxima only", CTR_GET(a->ctr->max_sess) == 1 && CTR_GET(a->ctr->cum_sess) == 10 &&
	      CTR_GET(fe->fe_ctr->cum_req) == 7);
	run(c, CLI_LVL_ADMIN, "clear counters all");
	CHECK("clear counters all: totals too, gauges kept", CTR_GET(a->ctr->cum_sess) == 0 &&
	      CTR_GET(fe->fe_ctr->cum_req) == 0 && CTR_GET(a->ctr->cur_sess) == 1);
	CTR_SET(a->ctr->cur_sess, 0);
}

static void test_dynamic(struct cfg *c)
{
	struct proxy *app = cfg_find_proxy(c, "app", PR_CAP_BE);
	struct server *n;
	int nsrv = app->nsrv;

	CHECK("add: static backend refused", !strcmp(run(c, CLI_LVL_ADMIN, "add server st/n 127.0.0.1:1"),
		"Backend must use a dynamic load balancing to support dynamic servers.\n\n"));
	CHECK("add: no address", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n"),
		"'server' expects <name> and <addr>[:<port>] as arguments.\n\n"));
	CHECK("add: existing name", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/a 127.0.0.1:1"),
		"Already exists a server with the same name in backend.\n\n"));
	CHECK("add: bad name", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/x! 127.0.0.1:1"),
		"character '!' is not permitted in server name 'x!'.\n\n"));
	CHECK("add: unknown keyword", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:1 foo"),
		"unknown keyword 'foo'.\n\n"));
	CHECK("add: unsupported keyword", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:1 track app/a"),
		"keyword 'track' is not supported yet.\n\n"));
	CHECK("add: keyword refused at run time", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:1 no-check"),
		"'no-check' option is not accepted for dynamic server\n\n"));
	CHECK("add: bad weight", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:1 weight 999"),
		"weight of server n is not within 0 and 256 (got '999').\n\n"));
	CHECK("add: bad port offset", strstr(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:+x"), "invalid port offset") != NULL);
	CHECK("add: failures changed nothing", app->nsrv == nsrv && !srv(c, "app", "n"));

	CHECK("add server", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:18084 weight 4 maxconn 9 backup"),
		"New server registered.\n\n"));
	n = srv(c, "app", "n");
	CHECK("add: linked, settings", n && app->nsrv == nsrv + 1 && n->uweight == 4 && n->maxconn == 9 && n->backup &&
	      n->puid == 3 && n->thr != NULL);
	CHECK("add: in maintenance by default", n && srv_admin_mode(n) == SRV_ADMIN_MAINT && !srv_usable(n));
	CHECK("add: listed last", strstr(run(c, CLI_LVL_USER, "show servers state app"), "\n2 app 3 n 127.0.0.1 2 1 4 4 "));
	CHECK("add: get weight", !strcmp(run(c, CLI_LVL_USER, "get weight app/n"), "4 (initial 4)\n\n"));
	CHECK("enable the new server", !strcmp(run(c, CLI_LVL_ADMIN, "set server app/n state ready"), "\n") && srv_usable(n));
	CHECK("del: needs maintenance", !strcmp(run(c, CLI_LVL_ADMIN, "del server app/n"),
		"Only servers in maintenance mode can be deleted.\n\n") && srv(c, "app", "n") == n);
	run(c, CLI_LVL_ADMIN, "disable server app/n");
	__atomic_store_n(&n->cur_conns, 1, __ATOMIC_RELAXED);
	CHECK("del: refused while requests are in flight", !strcmp(run(c, CLI_LVL_ADMIN, "del server app/n"),
		"Server still has connections attached to it, cannot remove it.\n\n"));
	__atomic_store_n(&n->cur_conns, 0, __ATOMIC_RELAXED);
	CHECK("del server", !strcmp(run(c, CLI_LVL_ADMIN, "del server app/n"), "Server deleted.\n\n"));
	CHECK("del: unlinked, memory kept, next link intact", !srv(c, "app", "n") && app->nsrv == nsrv &&
	      n->id && n->link.next == &app->servers);
	CHECK("del: gone from the outputs", !strstr(run(c, CLI_LVL_USER, "show stat"), "\napp,n,"));
	CHECK("del: twice", !strcmp(run(c, CLI_LVL_ADMIN, "del server app/n"), "No such server.\n\n"));
	CHECK("add again after del, enabled", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/n 127.0.0.1:18085 enabled id 7"),
		"New server registered.\n\n") && srv(c, "app", "n") != n && srv(c, "app", "n")->puid == 7 &&
	      srv_usable(srv(c, "app", "n")));
	CHECK("add: custom id taken", !strcmp(run(c, CLI_LVL_ADMIN, "add server app/m 127.0.0.1:1 id 7"),
		"'id' : custom id already used by another server.\n\n"));
}

int main(void)
{
	char err[512] = "";
	struct cfg *c;

	test_split();
	test_weight_parse();
	test_config();
	c = load(base_cfg, err, sizeof(err));
	CHECK("config for the commands", c != NULL);
	if (c) {
		test_session_cmds(c);
		test_show(c);
		test_show_stat(c);
		test_levels(c);
		test_set_server(c);
		test_clear_counters(c);
		test_dynamic(c);
	}
	free(out.s);
	cfg_free(c);   /* deleted servers stay (reachable): they are never freed */
	UNIT_END();
}
