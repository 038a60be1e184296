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
 * function (srv_dyn_create, src/proxy/srv_dyn.c). */
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
#include <tandem/srv_dyn.h>
#include <tandem/srv_kw.h>
#include <tandem/worker.h>
#include "cli_int.h"

/* ---- add server ------------------------------------------------------ */

/* add server <backend>/<server> <addr>:<port> [keywords...] */
static int cmd_add_server(struct cli_sess *s, char **args, int nargs)
{
	char buf[1024], *bname;
	const char *arg = nargs > 2 ? args[2] : "", *slash = strchr(arg, '/'), *err;

	if (!slash)
		return cli_msg(s, "Require 'backend/server'.");
	if (!(bname = strndup(arg, (size_t)(slash - arg))))
		return cli_msg(s, "Out of memory.");
	err = srv_dyn_create(cli_find_backend(s->cfg, bname), slash + 1, args + 3, nargs - 3,
			     buf, sizeof(buf));
	free(bname);
	if (err) {
		cli_out(s, "%s\n", err);
		return 0;
	}
	return cli_msg(s, "New server registered.");
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
