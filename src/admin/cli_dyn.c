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
 *
 * The keywords are the configuration's (src/cfg/kw_server.c, the rows
 * flagged for run time), parsed by the same function as `server` lines.
 * A dynamic server keeps its words (address and keywords) as an argument
 * vector: the reload handover (src/proxy/handover.c) passes them to the
 * next worker, which re-creates the server from them with the same
 * function (cli_dyn_restore). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/cfg_value.h>
#include <tandem/check.h>
#include <tandem/log.h>
#include <tandem/handover.h>
#include <tandem/shm.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_kw.h>
#include <tandem/worker.h>
#include "cli_int.h"

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

/* Create <bname>/<name> from its words args[0..nargs) (address, then
 * keywords). Returns NULL, or the error line to answer (<buf> may hold
 * it). Shared by the command and by the reload handover. */
static const char *add_server(struct cfg *cfg, const char *bname, const char *name, char **args,
			      int nargs, char *buf, size_t buflen)
{
	int nthr = worker.nbthread > 0 ? worker.nbthread : 1;
	const char *bad;
	struct proxy *be;
	struct server *sv;
	const struct list *l;

	if (!(be = cli_find_backend(cfg, bname)))
		return "No such backend.";
	if (be->lbalgo == LB_STATIC_RR || be->lbalgo == LB_SOURCE)
		return "Backend must use a dynamic load balancing to support dynamic servers.";
	if (!*name || nargs < 1)
		return "'server' expects <name> and <addr>[:<port>] as arguments.";
	if ((bad = cfg_invalid_char(name))) {
		snprintf(buf, buflen, "character '%c' is not permitted in server name '%s'.", *bad, name);
		return buf;
	}
	list_for_each(l, &be->servers)
		if (!strcmp(list_entry(l, struct server, link)->id, name))
			return "Already exists a server with the same name in backend.";
	if (!(sv = srv_parse_server(be, NULL, name, args, nargs, SRV_PARSE_DYNAMIC, buf, buflen)))
		return buf;
	sv->file = "stats socket";
	if (sv->puid) {
		list_for_each(l, &be->servers)
			if (list_entry(l, struct server, link)->puid == sv->puid) {
				srv_free(sv);
				return "'id' : custom id already used by another server.";
			}
	} else {
		sv->puid = free_puid(be);
	}
	/* the words, for the reload handover; the per-thread part */
	if (!(sv->dyn_argv = srv_argv_dup(args, nargs)) || !(sv->thr = calloc((size_t)nthr, sizeof(*sv->thr)))) {
		srv_free(sv);
		return "Out of memory.";
	}
	for (int i = 0; i < nthr; i++)
		list_init(&sv->thr[i].idle);
	sv->cfg_weight = sv->uweight;   /* "initial" weight of `get weight` */
	/* HAProxy's default initial state: a dynamic server is UP until its
	 * checks (once enabled) say otherwise */
	if (sv->init_state == INIT_UNSET)
		sv->init_state = INIT_UP;
	/* counters in the shared area: they survive reloads like the others */
	shm_bind_server_counters(sv);
	if (srv_health_attach(sv, 1) < 0) {
		srv_free(sv);
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
	char buf[1024], *bname;
	const char *arg = nargs > 2 ? args[2] : "", *slash = strchr(arg, '/'), *err;

	if (!slash)
		return cli_msg(s, "Require 'backend/server'.");
	if (!(bname = strndup(arg, (size_t)(slash - arg))))
		return cli_msg(s, "Out of memory.");
	err = add_server(s->cfg, bname, slash + 1, args + 3, nargs - 3, buf, sizeof(buf));
	free(bname);
	if (err) {
		cli_out(s, "%s\n", err);
		return 0;
	}
	return cli_msg(s, "New server registered.");
}

int cli_dyn_restore(struct cfg *cfg, const char *bname, const char *name, char **argv, int argc)
{
	char buf[1024];
	const char *err = add_server(cfg, bname, name, argv, argc, buf, sizeof(buf));

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
