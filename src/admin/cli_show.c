/* Read-only commands of the runtime API (level user): show info, show
 * stat (cli_stat.c), show backend, show servers state, show version, get
 * weight. Output formats are HAProxy's, field for field, so that hatop,
 * exporters and scripts written for HAProxy parse them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/dns-t.h>
#include <tandem/srv_admin.h>
#include <tandem/sock.h>
#include <tandem/version.h>
#include <tandem/worker.h>
#include "cli_int.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

uint64_t cli_start_wall_s;

/* ---- tags ------------------------------------------------------------ */

const char *cli_tag_word(const char *tags, int part)
{
	static const char *const origin[] = { "M", "Metric", "S", "Status", "K", "Key", "C", "Config", "P", "Product", NULL };
	static const char *const nature[] = { "A", "Age", "a", "Avg", "C", "Counter", "D", "Duration", "G", "Gauge",
					      "L", "Limit", "M", "Max", "m", "Min", "N", "Name", "O", "Output",
					      "R", "Rate", "T", "Time", NULL };
	static const char *const scope[] = { "C", "Cluster", "P", "Process", "S", "Service", "s", "System", NULL };
	const char *const *t = part == 0 ? origin : part == 1 ? nature : scope;

	for (; *t; t += 2)
		if (**t == tags[part])
			return t[1];
	return "";
}

void cli_json_str(struct stats_sb *b, const char *str)
{
	stats_sb_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			stats_sb_addf(b, "\\%c", *p);
		else if (*p < 0x20)
			stats_sb_addf(b, "\\u%04x", *p);
		else
			stats_sb_add(b, (const char *)p, 1);
	}
	stats_sb_add(b, "\"", 1);
}

/* ---- show info --------------------------------------------------------
 * HAProxy's fields with their HAProxy positions (the typed and JSON forms
 * carry them; holes are allowed). Fields for features tandem does not
 * have (TLS, pipes, compression, peers) are 0, which is exactly what
 * HAProxy reports without them; fields tandem does not measure (rates,
 * memory pools, idle percentage) are left out rather than invented. */

struct info_field {
	int pos;
	const char *name, *tags, *type;
	char val[64];
};

static void info_add(struct info_field *f, int *n, int pos, const char *name, const char *tags,
		     const char *type, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void info_add(struct info_field *f, int *n, int pos, const char *name, const char *tags,
		     const char *type, const char *fmt, ...)
{
	va_list ap;

	f[*n].pos = pos;
	f[*n].name = name;
	f[*n].tags = tags;
	f[*n].type = type;
	va_start(ap, fmt);
	vsnprintf(f[*n].val, sizeof(f[*n].val), fmt, ap);
	va_end(ap);
	(*n)++;
}

/* "2026/11/21" from the compiler's "Nov 21 2026". */
static const char *release_date(void)
{
	static char out[32];
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__;
	const char *m = strstr(months, (char[4]){ d[0], d[1], d[2], 0 });

	snprintf(out, sizeof(out), "%.4s/%02d/%02d", d + 7, m ? (int)(m - months) / 3 % 12 + 1 : 1,
		 atoi(d + 4) % 32);
	return out;
}

static int info_fields(const struct cfg *cfg, struct info_field *f)
{
	const struct global *g = &cfg->g;
	uint64_t now = clock_wall_us() / 1000000, start = cli_start_wall_s ? cli_start_wall_s : tandem_start_wall_s;
	uint64_t up = start && now > start ? now - start : 0;
	uint64_t cum_conn = 0, cum_req = 0, bytes_out = 0;
	int nlst = 0, n = 0, cur = LD(worker.actconn);
	struct rlimit rl = { 0, 0 };
	struct list *l, *b;

	list_for_each(l, &cfg->proxies) {
		const struct proxy *px = list_entry(l, struct proxy, link);

		if (!(px->cap & PR_CAP_FE))
			continue;
		cum_conn += CTR_GET(px->fe_ctr->cum_conn);
		cum_req += CTR_GET(px->fe_ctr->cum_req);
		bytes_out += CTR_GET(px->fe_ctr->bytes_out);
		list_for_each(b, &px->binds)
			nlst++;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	info_add(f, &n, 0, "Name", "POS", "str", "tandem");
	info_add(f, &n, 1, "Version", "POS", "str", "%s", TANDEM_VERSION);
	info_add(f, &n, 2, "Release_date", "POS", "str", "%s", release_date());
	info_add(f, &n, 3, "Nbthread", "CGS", "u32", "%d", worker.nbthread > 0 ? worker.nbthread : g->nbthread);
	info_add(f, &n, 4, "Nbproc", "CGS", "u32", "1");
	info_add(f, &n, 5, "Process_num", "KGP", "u32", "1");
	info_add(f, &n, 6, "Pid", "SGP", "u32", "%d", (int)getpid());
	info_add(f, &n, 7, "Uptime", "MDP", "str", "%ud %uh%02um%02us", (unsigned)(up / 86400),
		 (unsigned)(up % 86400 / 3600), (unsigned)(up % 3600 / 60), (unsigned)(up % 60));
	info_add(f, &n, 8, "Uptime_sec", "MDP", "u32", "%llu", (unsigned long long)up);
	info_add(f, &n, 13, "Ulimit-n", "CLP", "u32", "%llu", (unsigned long long)rl.rlim_cur);
	info_add(f, &n, 14, "Maxsock", "CLP", "u32", "%llu", (unsigned long long)rl.rlim_cur);
	info_add(f, &n, 15, "Maxconn", "CLP", "u32", "%d", g->maxconn);
	info_add(f, &n, 16, "Hard_maxconn", "CLP", "u32", "%d", g->maxconn);
	info_add(f, &n, 17, "CurrConns", "MGP", "u32", "%d", cur);
	info_add(f, &n, 18, "CumConns", "MCP", "u32", "%llu", (unsigned long long)cum_conn);
	info_add(f, &n, 19, "CumReq", "MCP", "u32", "%llu", (unsigned long long)cum_req);
	info_add(f, &n, 20, "MaxSslConns", "MMP", "u32", "0");
	info_add(f, &n, 21, "CurrSslConns", "MGP", "u32", "0");
	info_add(f, &n, 22, "CumSslConns", "MCP", "u32", "0");
	info_add(f, &n, 23, "Maxpipes", "CLP", "u32", "0");
	info_add(f, &n, 24, "PipesUsed", "MGP", "u32", "0");
	info_add(f, &n, 25, "PipesFree", "MGP", "u32", "0");
	info_add(f, &n, 27, "ConnRateLimit", "CLP", "u32", "0");
	info_add(f, &n, 30, "SessRateLimit", "CLP", "u32", "0");
	info_add(f, &n, 32, "SslRate", "MRP", "u32", "0");
	info_add(f, &n, 33, "SslRateLimit", "CLP", "u32", "0");
	info_add(f, &n, 34, "MaxSslRate", "MMP", "u32", "0");
	info_add(f, &n, 42, "CompressBpsIn", "MRP", "u32", "0");
	info_add(f, &n, 43, "CompressBpsOut", "MRP", "u32", "0");
	info_add(f, &n, 44, "CompressBpsRateLim", "CLP", "u32", "0");
	info_add(f, &n, 47, "Tasks", "MGP", "u32", "%d", cur);
	info_add(f, &n, 48, "Run_queue", "MGP", "u32", "0");
	info_add(f, &n, 50, "node", "COS", "str", "%s", g->node ? g->node : "");
	if (g->desc)
		info_add(f, &n, 51, "description", "COS", "str", "%s", g->desc);
	info_add(f, &n, 52, "Stopping", "MGP", "u32", "%d", worker.stopping ? 1 : 0);
	info_add(f, &n, 53, "Jobs", "MGP", "u32", "%d", cur + nlst);
	info_add(f, &n, 55, "Listeners", "MGP", "u32", "%d", nlst);
	info_add(f, &n, 56, "ActivePeers", "MGP", "u32", "0");
	info_add(f, &n, 57, "ConnectedPeers", "MGP", "u32", "0");
	info_add(f, &n, 59, "BusyPolling", "MGP", "u32", "0");
	info_add(f, &n, 60, "FailedResolutions", "MGP", "u32", "0");
	info_add(f, &n, 61, "TotalBytesOut", "MGP", "u64", "%llu", (unsigned long long)bytes_out);
	info_add(f, &n, 62, "TotalSplicdedBytesOut", "MGP", "u64", "0");
	info_add(f, &n, 66, "Build info", "POS", "str", "%s", TANDEM_VERSION);
	info_add(f, &n, 70, "Start_time_sec", "MDP", "u32", "%llu", (unsigned long long)start);
	info_add(f, &n, 71, "Tainted", "SGP", "str", "0");
	return n;
}

/* show info [typed|json] [desc] [float] */
static int cmd_show_info(struct cli_sess *s, char **args, int nargs)
{
	struct info_field f[64];
	int typed = 0, json = 0, n = info_fields(s->cfg, f);

	for (int i = 2; i < nargs; i++) {
		typed |= !strcmp(args[i], "typed");
		json |= !strcmp(args[i], "json");
	}
	if (json) {
		stats_sb_add(s->out, "[", 1);
		for (int i = 0; i < n; i++) {
			int num = strcmp(f[i].type, "str") != 0;

			cli_out(s, "%s{\"field\":{\"pos\":%d,\"name\":", i ? "," : "", f[i].pos);
			cli_json_str(s->out, f[i].name);
			cli_out(s, "},\"processNum\":1,\"tags\":{\"origin\":\"%s\",\"nature\":\"%s\",\"scope\":\"%s\"},"
				"\"value\":{\"type\":\"%s\",\"value\":", cli_tag_word(f[i].tags, 0),
				cli_tag_word(f[i].tags, 1), cli_tag_word(f[i].tags, 2), f[i].type);
			if (num)
				stats_sb_adds(s->out, f[i].val);
			else
				cli_json_str(s->out, f[i].val);
			stats_sb_adds(s->out, "}}");
		}
		stats_sb_adds(s->out, "]\n");
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (typed)
			cli_out(s, "%d.%s.1:%s:%s:%s\n", f[i].pos, f[i].name, f[i].tags, f[i].type, f[i].val);
		else
			cli_out(s, "%s: %s\n", f[i].name, f[i].val);
	}
	return 0;
}

static int cmd_show_version(struct cli_sess *s, char **args, int nargs)
{
	(void)args; (void)nargs;
	return cli_msg(s, TANDEM_VERSION);
}

/* show backend: the backends of the running configuration. */
static int cmd_show_backend(struct cli_sess *s, char **args, int nargs)
{
	struct list *l;

	(void)args; (void)nargs;
	cli_out(s, "# name\n");
	list_for_each(l, &s->cfg->proxies) {
		const struct proxy *px = list_entry(l, struct proxy, link);

		if ((px->cap & PR_CAP_BE) && !(px->cap & PR_CAP_DEF))
			cli_out(s, "%s\n", px->id);
	}
	return 0;
}

/* ---- show servers state ---------------------------------------------- */

/* tandem's check statuses as HAProxy's numbers (its enum has START,
 * CHECKED and L57DATA in between), and the check result they imply. */
static int haproxy_hchk(int st)
{
	static const int map[HCHK_NSTATUS] = {
		[HCHK_UNKNOWN] = 0, [HCHK_INI] = 1, [HCHK_HANA] = 4, [HCHK_SOCKERR] = 5,
		[HCHK_L4OK] = 6, [HCHK_L4TOUT] = 7, [HCHK_L4CON] = 8, [HCHK_L6OK] = 9,
		[HCHK_L6TOUT] = 10, [HCHK_L6RSP] = 11, [HCHK_L7TOUT] = 12, [HCHK_L7RSP] = 13,
		[HCHK_L7OK] = 15, [HCHK_L7OKC] = 16, [HCHK_L7STS] = 17,
	};
	return st >= 0 && st < HCHK_NSTATUS ? map[st] : 0;
}

static int check_result(int st)
{
	if (st == HCHK_UNKNOWN || st == HCHK_INI)
		return 0;                      /* CHK_RES_UNKNOWN */
	if (st == HCHK_L7OKC)
		return 4;                      /* CHK_RES_CONDPASS */
	if (st == HCHK_L4OK || st == HCHK_L6OK || st == HCHK_L7OK)
		return 3;                      /* CHK_RES_PASSED */
	return 2;                              /* CHK_RES_FAILED */
}

static void ip_of(const struct sockaddr_storage *ss, char *ip, size_t len, int *port)
{
	if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6)
		sock_addr_ip_port(ss, ip, len, port);
	else {
		snprintf(ip, len, "-");
		*port = 0;
	}
}

static void server_state_line(struct cli_sess *s, const struct proxy *be, const struct server *sv, uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct chk_snap c;
	char ip[64], cip[64] = "-";
	int port, cport, adm = LD(sv->admin), st = LD(sv->state), chk_state = 0, paused;
	uint64_t lc = LD(sv->last_change);
	const char *fqdn = "-", *srvrec = "-";

	srv_addr_get(sv, &ss, &sl);
	ip_of(&ss, ip, sizeof(ip), &port);
	if (sv->chk_addrlen)
		ip_of(&sv->chk_addr, cip, sizeof(cip), &cport);
	if (srv_check_snapshot(sv, &c) < 0) {
		c.status = HCHK_INI;
		c.health = st != SRV_ST_STOPPED ? (sv->chk_rise > 0 ? sv->chk_rise : CHK_DEF_RISE) : 0;
	}
	paused = srv_health_paused(sv);
	if (paused >= 0)   /* CHK_ST_CONFIGURED, plus CHK_ST_ENABLED unless paused */
		chk_state = 0x02 | (paused ? 0 : 0x04);
	/* the name, HAProxy's way: an SRV slot shows its record's target as
	 * srv_fqdn and the SRV label as srvrecord */
	if (sv->hostname && sv->hostname[0] == '_') {
		srvrec = sv->hostname;
		if (sv->dns && sv->dns->target[0]) {
			fqdn = sv->dns->target;
			if (!port)
				port = sv->dns->port;
		}
	} else if (sv->hostname) {
		fqdn = sv->hostname;
		if (!port)
			port = sv->hostport;
	}
	/* srv_admin_state: HAProxy's bits (FMAINT 0x01, FDRAIN 0x08, RMAINT 0x20) */
	cli_out(s, "%d %s %d %s %s %d %d %d %d %llu %d %d %d %d 0 0 0 %s %d %s %d %d %s - 0\n",
		be->uuid, be->id, sv->puid, sv->id, ip, st,
		((adm & SRV_ADMF_FMAINT) ? 0x01 : 0) | ((adm & SRV_ADMF_DRAIN) ? 0x08 : 0) |
		((adm & SRV_ADMF_RMAINT) ? 0x20 : 0),
		srv_uweight_get(sv), sv->cfg_weight, (unsigned long long)(lc && now > lc ? now - lc : 0),
		haproxy_hchk(c.status), check_result(c.status), c.health, chk_state,
		fqdn, port, srvrec, sv->use_ssl ? 1 : 0, sv->chk_port, cip);
}

/* show servers state [<backend>]: HAProxy's format version 1. */
static int cmd_show_servers_state(struct cli_sess *s, char **args, int nargs)
{
	const struct proxy *only = NULL;
	uint64_t now = clock_wall_us() / 1000000;
	struct list *l, *m;

	if (nargs > 3 && !(only = cli_find_backend(s->cfg, args[3])))
		return cli_msg(s, "Can't find backend.");
	cli_out(s, "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
		"srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
		"srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
		"srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n");
	list_for_each(l, &s->cfg->proxies) {
		const struct proxy *be = list_entry(l, struct proxy, link);

		if (!(be->cap & PR_CAP_BE) || (be->cap & PR_CAP_DEF) || (only && be != only))
			continue;
		list_for_each(m, &be->servers)
			server_state_line(s, be, list_entry(m, struct server, link), now);
	}
	return 0;
}

/* get weight <backend>/<server>: "CURRENT (initial INITIAL)". */
static int cmd_get_weight(struct cli_sess *s, char **args, int nargs)
{
	struct proxy *be;
	struct server *sv;

	if (cli_get_server(s, nargs > 2 ? args[2] : NULL, &be, &sv) < 0)
		return 0;
	cli_out(s, "%d (initial %d)\n", srv_uweight_get(sv), sv->cfg_weight);
	return 0;
}

const struct cli_cmd cli_show_cmds[] = {
	{ { "get", "weight", NULL }, "get weight <bk>/<srv>", "report a server's current weight", CLI_LVL_USER, cmd_get_weight },
	{ { "show", "backend", NULL }, "show backend", "list backends in the current running config", CLI_LVL_USER, cmd_show_backend },
	{ { "show", "info", NULL }, "show info [json|typed]*", "report information about the running process", CLI_LVL_USER, cmd_show_info },
	{ { "show", "servers", "state", NULL }, "show servers state [<backend>]", "dump volatile server information (all or for a single backend)", CLI_LVL_USER, cmd_show_servers_state },
	{ { "show", "stat", NULL }, "show stat [json|no-maint|typed|up]*", "report counters for each proxy and server", CLI_LVL_USER, cli_cmd_show_stat },
	{ { "show", "version", NULL }, "show version", "show version of the current process", CLI_LVL_USER, cmd_show_version },
	{ .kw = { NULL } }
};
