/* Servers added and removed at run time: `add server` and `del server`
 * (level admin), with HAProxy's rules:
 *   - only backends with a dynamic algorithm (not static-rr, not the
 *     map-based `source`) accept new servers;
 *   - a new server starts from built-in settings (never default-server),
 *     in maintenance unless `enabled` is given, and its active checks wait
 *     for `enable health`;
 *   - a server can be deleted only in maintenance, with no request in
 *     flight and no idle connection kept for it.
 * How the lists stay safe for the threads that walk them while this runs
 * is described in srv_admin.h and doc/architecture.md ("Dynamic servers").
 * Dynamic servers do not survive a reload: as HAProxy says, add them to
 * the configuration file too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/log.h>
#include <tandem/handover.h>
#include <tandem/shm.h>
#include <tandem/srv_admin.h>
#include <tandem/worker.h>
#include "../cfg/cfg_int.h"
#include "cli_int.h"

/* ---- keywords of `add server` -----------------------------------------
 * The server-line keywords that make sense for a new server, with the
 * configuration's ranges and words. Errors are written into <err>. */

static int kw_int(const char *kw, const char *val, long long min, long long max, long long *out,
		  char *err, size_t len)
{
	if (cfg_parse_int(val, min, max, out) < 0) {
		snprintf(err, len, "'%s' expects an integer between %lld and %lld, got '%s'.", kw, min, max, val);
		return -1;
	}
	return 0;
}

static int kw_pick(const char *kw, const char *val, const char *const *names, int first, int *out,
		   char *err, size_t len)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], val)) {
			*out = first + i;
			return 0;
		}
	snprintf(err, len, "'%s' does not accept '%s'.", kw, val);
	return -1;
}

static const char *const unsupported[] = {
	"agent-check", "agent-addr", "agent-port", "agent-inter", "agent-send", "track",
	"on-marked-down", "on-marked-up", "maxqueue", "minconn", "send-proxy", "send-proxy-v2",
	"source", "usesrc", "pool-max-conn", "pool-purge-delay", "pool-low-conn", "tfo", "proto",
	"check-proto", "ssl", "sni", "verify", "verifyhost", "ca-file", "crl-file", "crt", "alpn",
	"check-ssl", "check-sni", "check-alpn", "ws", "cookie", "resolvers", "init-addr", NULL
};

/* Apply args[from..nargs-1] to <sv>. 0, or -1 with <err> filled. */
static int apply_kws(struct server *sv, char **args, int from, int nargs, char *err, size_t len)
{
	static const char *const obs[] = { "none", "layer4", "layer7", NULL };
	static const char *const onerr[] = { "fastinter", "fail-check", "sudden-death", "mark-down", NULL };
	static const char *const init[] = { "fully-down", "down", "up", "fully-up", NULL };
	static const char *const with_val[] = {
		"weight", "maxconn", "id", "inter", "fastinter", "downinter", "slowstart", "fail-timeout",
		"rise", "fall", "error-limit", "max-fails", "port", "addr", "init-state", "observe", "on-error", NULL
	};

	for (int i = from; i < nargs; i++) {
		const char *kw = args[i], *val = NULL;
		long long v;
		uint32_t ms;
		char why[256];

		for (int k = 0; with_val[k]; k++)
			if (!strcmp(with_val[k], kw)) {
				if (i + 1 >= nargs) {
					snprintf(err, len, "'%s' expects an argument.", kw);
					return -1;
				}
				val = args[++i];
			}
		if (!strcmp(kw, "backup") || !strcmp(kw, "no-backup")) {
			sv->backup = kw[0] == 'b';
		} else if (!strcmp(kw, "enabled") || !strcmp(kw, "disabled")) {
			sv->admin = kw[0] == 'd' ? SRV_ADMF_MAINT : 0;
		} else if (!strcmp(kw, "check") || !strcmp(kw, "no-check")) {
			sv->has_check = kw[0] == 'c';
		} else if (!strcmp(kw, "weight")) {
			if (kw_int(kw, val, 0, 256, &v, err, len) < 0)
				return -1;
			sv->uweight = sv->eweight = (int)v;
		} else if (!strcmp(kw, "maxconn")) {
			if (kw_int(kw, val, 0, 10000000, &v, err, len) < 0)
				return -1;
			sv->maxconn = (int)v;
		} else if (!strcmp(kw, "id")) {
			if (kw_int(kw, val, 1, 0x7fffffff, &v, err, len) < 0)
				return -1;
			sv->puid = (int)v;
		} else if (!strcmp(kw, "rise") || !strcmp(kw, "fall") || !strcmp(kw, "error-limit") ||
			   !strcmp(kw, "max-fails") || !strcmp(kw, "port")) {
			if (kw_int(kw, val, !strcmp(kw, "max-fails") ? 0 : 1, !strcmp(kw, "port") ? 65535 : 0x7fffffff,
				   &v, err, len) < 0)
				return -1;
			if (!strcmp(kw, "rise"))
				sv->chk_rise = (int)v;
			else if (!strcmp(kw, "fall"))
				sv->chk_fall = (int)v;
			else if (!strcmp(kw, "error-limit"))
				sv->error_limit = (int)v;
			else if (!strcmp(kw, "max-fails"))
				sv->max_fails = (int)v;
			else
				sv->chk_port = (int)v;
		} else if (!strcmp(kw, "inter") || !strcmp(kw, "fastinter") || !strcmp(kw, "downinter") ||
			   !strcmp(kw, "slowstart") || !strcmp(kw, "fail-timeout")) {
			if (cfg_time_ex(val, &ms) < 0 || (!ms && strcmp(kw, "slowstart"))) {
				snprintf(err, len, "invalid time value '%s' for '%s'.", val, kw);
				return -1;
			}
			if (!strcmp(kw, "inter"))
				sv->chk_inter = ms;
			else if (!strcmp(kw, "fastinter"))
				sv->chk_fastinter = ms;
			else if (!strcmp(kw, "downinter"))
				sv->chk_downinter = ms;
			else if (!strcmp(kw, "slowstart"))
				sv->slowstart = ms;
			else
				sv->fail_timeout = ms;
		} else if (!strcmp(kw, "addr")) {
			if (cfg_addr_ex(val, &sv->chk_addr, &sv->chk_addrlen, ADDR_NO_RESOLVE, 0, why, sizeof(why)) < 0) {
				snprintf(err, len, "'addr' : %s.", why);
				return -1;
			}
		} else if (!strcmp(kw, "init-state")) {
			if (kw_pick(kw, val, init, INIT_FULLY_DOWN, &sv->init_state, err, len) < 0)
				return -1;
		} else if (!strcmp(kw, "observe")) {
			if (kw_pick(kw, val, obs, OBS_MODE_NONE, &sv->observe, err, len) < 0)
				return -1;
			if (sv->observe == OBS_MODE_L7 && sv->be->mode != PR_MODE_HTTP) {
				snprintf(err, len, "'observe layer7' can only be used in http proxies.");
				return -1;
			}
		} else if (!strcmp(kw, "on-error")) {
			if (kw_pick(kw, val, onerr, ONERR_FASTINTER, &sv->on_error, err, len) < 0)
				return -1;
		} else {
			int known = 0;

			for (int k = 0; unsupported[k]; k++)
				known |= !strcmp(unsupported[k], kw);
			snprintf(err, len, known ? "'%s' is not supported by tandem." : "unknown keyword '%s'.", kw);
			return -1;
		}
	}
	return 0;
}

/* ---- add server ------------------------------------------------------ */

/* The lowest id no server of <be> uses (HAProxy's choice). */
static int free_puid(const struct proxy *be)
{
	for (int id = 1;; id++) {
		const struct list *l;
		int used = 0;

		list_for_each(l, &be->servers)
			used |= list_entry(l, struct server, link)->puid == id;
		if (!used)
			return id;
	}
}

static struct server *new_server(struct proxy *be, const char *name, const char *addr)
{
	int nthr = worker.nbthread > 0 ? worker.nbthread : 1;
	struct server *sv = calloc(1, sizeof(*sv));

	if (!sv)
		return NULL;
	srv_settings_init(sv);
	sv->be = be;
	sv->file = "stats socket";
	sv->admin = SRV_ADMF_MAINT;       /* until `enabled` or `set server ... state ready` */
	sv->init_state = INIT_UNSET;
	sv->id = strdup(name);
	sv->addr_str = strdup(addr);
	sv->thr = calloc((size_t)nthr, sizeof(*sv->thr));
	if (!sv->id || !sv->addr_str || !sv->thr) {
		free(sv->id);
		free(sv->addr_str);
		free(sv->thr);
		free(sv->ctr);
		free(sv);
		return NULL;
	}
	for (int i = 0; i < nthr; i++)
		list_init(&sv->thr[i].idle);
	/* counters in the shared area: they survive reloads like the others */
	shm_bind_server_counters(sv);
	return sv;
}

static void drop_server(struct server *sv)
{
	free(sv->dyn_args);
	free(sv->id);
	free(sv->addr_str);
	free(sv->thr);
	if (!sv->ctr_shared)
		free(sv->ctr);
	free(sv);
}

/* Create <bname>/<name> with address and keywords args[3..nargs) (the
 * `add server` command line). Returns NULL, or the error line to answer
 * (<buf> may hold it). Shared by the command and by the reload handover. */
static const char *add_server(struct cfg *cfg, const char *bname, const char *name, char **args,
			      int nargs, char *buf, size_t buflen)
{
	char err[320], why[256];
	const char *bad;
	struct proxy *be;
	struct server *sv;
	const struct list *l;
	size_t used = 0;
	int i;

	if (!(be = cli_find_backend(cfg, bname)))
		return "No such backend.";
	if (be->lbalgo == LB_STATIC_RR || be->lbalgo == LB_SOURCE)
		return "Backend must use a dynamic load balancing to support dynamic servers.";
	if (!*name || nargs < 4)
		return "'server' expects <name> and <addr>[:<port>] as arguments.";
	if ((bad = cfg_invalid_char(name))) {
		snprintf(buf, buflen, "character '%c' is not permitted in server name '%s'.", *bad, name);
		return buf;
	}
	list_for_each(l, &be->servers)
		if (!strcmp(list_entry(l, struct server, link)->id, name))
			return "Already exists a server with the same name in backend.";
	if (!(sv = new_server(be, name, args[3])))
		return "Out of memory.";
	if (cfg_addr_ex(args[3], &sv->addr, &sv->addrlen, ADDR_PORT_MANDATORY | ADDR_NO_RESOLVE, 0,
			why, sizeof(why)) < 0) {
		snprintf(buf, buflen, "'server %s': %s%s.", name, why,
			 strncmp(why, "missing port", 12) ? "" : " (tandem requires an explicit server port)");
		drop_server(sv);
		return buf;
	}
	if (apply_kws(sv, args, 4, nargs, err, sizeof(err)) < 0) {
		drop_server(sv);
		snprintf(buf, buflen, "%s", err);
		return buf;
	}
	if (sv->puid) {
		list_for_each(l, &be->servers)
			if (list_entry(l, struct server, link)->puid == sv->puid) {
				drop_server(sv);
				return "'id' : custom id already used by another server.";
			}
	} else {
		sv->puid = free_puid(be);
	}
	/* remember the command line: a reload re-creates the server from it */
	if ((sv->dyn_args = malloc(256))) {
		sv->dyn_args[0] = 0;
		for (i = 3; i < nargs && used < 255; i++)
			used += (size_t)snprintf(sv->dyn_args + used, 256 - used, "%s%s", i > 3 ? " " : "", args[i]);
	}
	sv->cfg_weight = sv->uweight;   /* "initial" weight of `get weight` */
	/* HAProxy's default initial state: a dynamic server is UP until its
	 * checks (once enabled) say otherwise */
	if (sv->init_state == INIT_UNSET)
		sv->init_state = INIT_UP;
	if (srv_health_attach(sv, 1) < 0) {
		drop_server(sv);
		return "Cannot set up the health checks of the new server.";
	}
	srv_publish(sv);
	handover_forget_deleted(be->id, sv->id);
	log_event(LL_NOTICE, "Server %s/%s added (stats socket)%s.", be->id, sv->id,
		  (sv->admin & SRV_ADMF_MAINT) ? ", in maintenance" : "");
	return NULL;
}

/* add server <backend>/<server> <addr>:<port> [keywords...] */
static int cmd_add_server(struct cli_sess *s, char **args, int nargs)
{
	char bname[256], buf[512];
	const char *arg = nargs > 2 ? args[2] : "", *slash = strchr(arg, '/'), *err;

	if (!slash || (size_t)(slash - arg) >= sizeof(bname))
		return cli_msg(s, "Require 'backend/server'.");
	memcpy(bname, arg, (size_t)(slash - arg));
	bname[slash - arg] = 0;
	err = add_server(s->cfg, bname, slash + 1, args, nargs, buf, sizeof(buf));
	if (err) {
		cli_out(s, "%s\n", err);
		return 0;
	}
	return cli_msg(s, "New server registered.");
}

int cli_dyn_restore(struct cfg *cfg, const char *bname, const char *name, const char *argstr)
{
	char copy[256], buf[512], *args[40], *tok, *save = NULL;
	const char *err;
	int n = 3;

	snprintf(copy, sizeof(copy), "%s", argstr);
	args[0] = "add";
	args[1] = "server";
	args[2] = "";
	for (tok = strtok_r(copy, " ", &save); tok && n < 40; tok = strtok_r(NULL, " ", &save))
		args[n++] = tok;
	err = add_server(cfg, bname, name, args, n, buf, sizeof(buf));
	if (err) {
		log_event(LL_WARNING, "Server %s/%s added at run time could not be re-created after the reload: %s",
			  bname, name, err);
		return -1;
	}
	return 0;
}

/* ---- del server ------------------------------------------------------ */

/* Deleted servers: never freed while the worker runs (other threads may
 * still point to them), but kept reachable so that they are not leaks. */
static struct server **graveyard;
static int ngrave;

static int bury(struct server *sv)
{
	struct server **g = realloc(graveyard, (size_t)(ngrave + 1) * sizeof(*g));

	if (!g)
		return -1;
	graveyard = g;
	graveyard[ngrave++] = sv;
	return 0;
}

static int cmd_del_server(struct cli_sess *s, char **args, int nargs)
{
	struct proxy *be;
	struct server *sv;

	if (cli_get_server(s, nargs > 2 ? args[2] : NULL, &be, &sv) < 0)
		return 0;
	if (!(__atomic_load_n(&sv->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT))
		return cli_msg(s, "Only servers in maintenance mode can be deleted.");
	if (srv_conns_left(sv) > 0)
		return cli_msg(s, "Server still has connections attached to it, cannot remove it.");
	if (bury(sv) < 0)
		return cli_msg(s, "Out of memory.");
	srv_health_detach(sv);
	srv_unpublish(sv);
	handover_mark_deleted(be->id, sv->id);
	log_event(LL_NOTICE, "Server %s/%s deleted (stats socket).", be->id, sv->id);
	return cli_msg(s, "Server deleted.");
}

const struct cli_cmd cli_dyn_cmds[] = {
	{ { "add", "server", NULL }, "add server <bk>/<srv>", "create a new server", CLI_LVL_ADMIN, cmd_add_server },
	{ { "del", "server", NULL }, "del server <bk>/<srv>", "remove a server (in maintenance, without connections)", CLI_LVL_ADMIN, cmd_del_server },
	{ .kw = { NULL } }
};
