/* Commands that change servers (level admin) and counters: set server
 * (state, weight, health, addr), set weight, enable/disable server,
 * enable/disable health, clear counters. Each one checks all its
 * arguments before changing anything, so a malformed command answers an
 * error line and leaves the server as it was. The changes themselves go
 * through srv_admin.c (admin state, weights, address) and the health
 * module (forced health, paused checks), which other threads read
 * lock-free. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/shm_hist.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include <tandem/stats_hist.h>
#include "cli_int.h"

#define WHO "stats socket"

/* ---- state ----------------------------------------------------------- */

static int set_state(struct cli_sess *s, struct server *sv, const char *arg)
{
	enum srv_admin_mode m;

	if (!arg || !*arg)
		goto usage;
	if (!strcmp(arg, "ready"))
		m = SRV_ADMIN_READY;
	else if (!strcmp(arg, "drain"))
		m = SRV_ADMIN_DRAIN;
	else if (!strcmp(arg, "maint"))
		m = SRV_ADMIN_MAINT;
	else
		goto usage;
	srv_set_admin_mode(sv, m, WHO);
	return 0;
usage:
	return cli_msg(s, "'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
}

/* ---- weight ---------------------------------------------------------- */

static int set_weight(struct cli_sess *s, struct server *sv, const char *arg)
{
	const char *err;
	int w;

	if ((err = srv_weight_parse(arg, sv->cfg_weight, &w)) || (err = srv_set_uweight(sv, w)))
		return cli_msg(s, err);
	return 0;
}

/* ---- health ---------------------------------------------------------- */

static int set_health(struct cli_sess *s, struct server *sv, const char *arg)
{
	int st, was;

	if (arg && !strcmp(arg, "up"))
		st = SRV_ST_RUNNING;
	else if (arg && !strcmp(arg, "stopping"))
		st = SRV_ST_STOPPING;
	else if (arg && !strcmp(arg, "down"))
		st = SRV_ST_STOPPED;
	else
		return cli_msg(s, "'set server <srv> health' expects 'up', 'stopping', or 'down'.");
	if (srv_health_force(sv, st, "changed from CLI") == 0)
		return 0;
	/* no health state: nothing else writes server.state */
	was = srv_set_state(sv, st);
	if (was != st) {
		static const char *const word[] = { [SRV_ST_STOPPED] = "DOWN", [SRV_ST_STARTING] = "UP",
						    [SRV_ST_RUNNING] = "UP", [SRV_ST_STOPPING] = "NOLB" };

		__atomic_store_n(&sv->last_change, clock_wall_us() / 1000000, __ATOMIC_RELAXED);
		log_event(LL_WARNING, "Server %s/%s is %s, changed from CLI.", sv->be->id, sv->id,
			  st == SRV_ST_STOPPED ? "DOWN" : st == SRV_ST_STOPPING ? "stopping" : "UP");
		shm_state_change(&(struct state_change){ .kind = SC_ADMIN, .proxy = sv->be->id, .server = sv->id,
			.from = was >= 0 && was <= SRV_ST_STOPPING ? word[was] : "", .to = word[st],
			.reason = "changed from CLI", .detail = "forced health" });
	}
	return 0;
}

/* ---- address --------------------------------------------------------- */

static int parse_ip(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, arg, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, arg, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static void ip_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const void *a = ss->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
						  : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) || !inet_ntop(ss->ss_family, a, out, (socklen_t)len))
		snprintf(out, len, "-");
}

/* set server <b>/<s> addr <ip> [port <port>] */
static int set_addr(struct cli_sess *s, struct server *sv, char **args, int nargs)
{
	struct sockaddr_storage old, nw;
	socklen_t oldlen, nwlen;
	char oip[64], nip[64], msg[320];
	int oport, nport, n = 0;

	if (nargs < 5)
		return cli_msg(s, "set server <b>/<s> addr requires an address and optionally a port.");
	if (parse_ip(args[4], &nw, &nwlen) < 0) {
		cli_out(s, "Invalid addr '%s' by '" WHO " command'\n", args[4]);
		return 0;
	}
	srv_addr_get(sv, &old, &oldlen);
	oport = port_of(&old);
	nport = oport;
	if (nargs > 5) {
		char *end;
		long p;

		if (strcmp(args[5], "port") || nargs < 7)
			return cli_msg(s, "set server <b>/<s> addr requires an address and optionally a port.");
		p = strtol(args[6], &end, 10);
		if (end == args[6] || *end || p < 1 || p > 65535) {
			cli_out(s, "Invalid port '%s' by '" WHO " command'\n", args[6]);
			return 0;
		}
		nport = (int)p;
	}
	set_port(&nw, nport);
	ip_str(&old, oip, sizeof(oip));
	ip_str(&nw, nip, sizeof(nip));
	if (strcmp(oip, nip))
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "IP changed from '%s' to '%s'", oip, nip);
	else
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "no need to change the addr");
	if (nargs > 5) {
		if (nport != oport)
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, ", port changed from '%d' to '%d'", oport, nport);
		else
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, ", no need to change the port");
	}
	snprintf(msg + n, sizeof(msg) - (size_t)n, " by '" WHO " command'");
	if (strcmp(oip, nip) || nport != oport) {
		srv_addr_set(sv, &nw, nwlen);
		log_event(LL_NOTICE, "%s/%s changed its address: %s.", sv->be->id, sv->id, msg);
	}
	/* a server without address (init-addr none) and no resolvers to give
	 * it one: the operator just did */
	if (!sv->resolvers)
		srv_clr_rmaint(sv, sv->hostname ? sv->hostname : nip);
	return cli_msg(s, msg);
}

/* ---- the commands ---------------------------------------------------- */

/* set server <b>/<s> addr|health|state|weight ... */
static int cmd_set_server(struct cli_sess *s, char **args, int nargs)
{
	struct proxy *be;
	struct server *sv;
	const char *arg = nargs > 4 ? args[4] : NULL;

	if (cli_get_server(s, nargs > 2 ? args[2] : NULL, &be, &sv) < 0)
		return 0;
	if (nargs > 3 && !strcmp(args[3], "state"))
		return set_state(s, sv, arg);
	if (nargs > 3 && !strcmp(args[3], "weight"))
		return set_weight(s, sv, arg);
	if (nargs > 3 && !strcmp(args[3], "health"))
		return set_health(s, sv, arg);
	if (nargs > 3 && !strcmp(args[3], "addr"))
		return set_addr(s, sv, args, nargs);
	if (nargs > 3 && !strcmp(args[3], "fqdn"))
		return cli_set_server_fqdn(s, sv, arg);
	return cli_msg(s, "usage: set server <backend>/<server> addr | fqdn | health | state | weight");
}

/* set weight <b>/<s> <weight>[%] (HAProxy's older form) */
static int cmd_set_weight(struct cli_sess *s, char **args, int nargs)
{
	struct proxy *be;
	struct server *sv;

	if (cli_get_server(s, nargs > 2 ? args[2] : NULL, &be, &sv) < 0)
		return 0;
	return set_weight(s, sv, nargs > 3 ? args[3] : NULL);
}

/* enable|disable server <b>/<s>: leave or enter maintenance */
static int cmd_server_maint(struct cli_sess *s, char **args, int nargs)
{
	struct proxy *be;
	struct server *sv;

	if (cli_get_server(s, nargs > 2 ? args[2] : NULL, &be, &sv) < 0)
		return 0;
	srv_set_admin_mode(sv, args[0][0] == 'd' ? SRV_ADMIN_MAINT : SRV_ADMIN_READY, WHO);
	return 0;
}

/* enable|disable health <b>/<s>: resume or pause active checks */
static int cmd_health(struct cli_sess *s, char **args, int nargs)
{
	struct proxy *be;
	struct server *sv;
	int pause = args[0][0] == 'd';
	char was[32];

	if (cli_get_server(s, nargs > 2 ? args[2] : NULL, &be, &sv) < 0)
		return 0;
	snprintf(was, sizeof(was), "%s", stats_srv_status(sv));
	if (srv_health_pause(sv, pause) < 0)
		return 0;   /* no active checks: nothing to do (HAProxy says nothing either) */
	log_event(LL_NOTICE, "Health checks of server %s/%s %s (" WHO ").", be->id, sv->id,
		  pause ? "paused" : "resumed");
	shm_state_change(&(struct state_change){ .kind = SC_ADMIN, .proxy = be->id, .server = sv->id,
		.from = was, .to = stats_srv_status(sv), .reason = WHO,
		.detail = pause ? "health checks paused" : "health checks resumed" });
	return 0;
}

/* ---- clear counters -------------------------------------------------- */

/* Every counter of <c> but the gauge of current sessions (<all>), or only
 * the maxima. */
static void clear_ctr(struct counters *c, int all)
{
	stats_hist_clear_max(c);   /* rate_max and the like are maxima too */
	if (all)
		ctr_clear(c);
	else
		CTR_SET(c->max_sess, CTR_GET(c->cur_sess));
}

/* clear counters [all]: maxima need operator, everything needs admin. */
static int cmd_clear_counters(struct cli_sess *s, char **args, int nargs)
{
	int all = nargs > 2 && !strcmp(args[2], "all");
	struct list *pl, *sl;

	if (all && s->level < CLI_LVL_ADMIN)
		return cli_msg(s, "Permission denied");
	list_for_each(pl, &s->cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		clear_ctr(px->fe_ctr, all);
		clear_ctr(px->be_ctr, all);
		list_for_each(sl, &px->servers)
			clear_ctr(list_entry(sl, struct server, link)->ctr, all);
	}
	return 0;
}

const struct cli_cmd cli_server_cmds[] = {
	{ { "clear", "counters", NULL }, "clear counters [all]", "clear max statistics counters (or all counters)", CLI_LVL_OPER, cmd_clear_counters },
	{ { "disable", "health", NULL }, "disable health <bk>/<srv>", "disable health checks", CLI_LVL_ADMIN, cmd_health },
	{ { "disable", "server", NULL }, "disable server <bk>/<srv>", "disable a server for maintenance (use 'set server' instead)", CLI_LVL_ADMIN, cmd_server_maint },
	{ { "enable", "health", NULL }, "enable health <bk>/<srv>", "enable health checks", CLI_LVL_ADMIN, cmd_health },
	{ { "enable", "server", NULL }, "enable server <bk>/<srv>", "enable a disabled server (use 'set server' instead)", CLI_LVL_ADMIN, cmd_server_maint },
	{ { "set", "server", NULL }, "set server <bk>/<srv> [opts]", "change a server's state, weight, address, fqdn or health", CLI_LVL_ADMIN, cmd_set_server },
	{ { "set", "weight", NULL }, "set weight <bk>/<srv> <weight>[%]", "change a server's weight (use 'set server' instead)", CLI_LVL_ADMIN, cmd_set_weight },
	{ .kw = { NULL } }
};
