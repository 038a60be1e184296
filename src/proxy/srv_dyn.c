/* Servers created at run time: by `add server` on the runtime API, and
 * again by the next worker after a reload (the handover passes their words).
 * Both go through the one server-keyword parser (srv_parse_server), so a
 * dynamic server means exactly what the same words mean in the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/cfg_value.h>
#include <tandem/check.h>
#include <tandem/handover.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_dyn.h>
#include <tandem/srv_kw.h>
#include <tandem/worker.h>

struct proxy *proxy_find_backend(const struct cfg *cfg, const char *name)
{
	struct list *l;

	list_for_each(l, &cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		if ((px->cap & PR_CAP_BE) && !strcmp(px->id, name))
			return px;
	}
	return NULL;
}

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

const char *srv_dyn_create(struct proxy *be, const char *name, char **args, int nargs,
			   char *buf, size_t buflen)
{
	int nthr = worker.nbthread > 0 ? worker.nbthread : 1;
	const char *bad;
	struct server *sv;
	const struct list *l;

	if (!be)
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

int srv_dyn_restore(struct cfg *cfg, const char *bname, const char *name, char **argv, int argc)
{
	char buf[1024];
	const char *err = srv_dyn_create(proxy_find_backend(cfg, bname), name, argv, argc, buf, sizeof(buf));

	if (err) {
		log_event(LL_WARNING, "Server %s/%s added at run time could not be re-created after the reload: %s",
			  bname, name, err);
		return -1;
	}
	return 0;
}

