/* Reload state handover: see handover.h. Servers resolved by DNS keep
 * their address, their SRV record (slot) and their maintenance by
 * resolution (src/dns/dns_srv.c fills and reads that part), so a reload
 * never leaves a backend without servers nor re-asks every name. Servers added at run time (admin
 * socket) are re-created from their `add server` line, servers removed at
 * run time stay removed (a tombstone record), so the new worker has the
 * same servers as the old one, not only those of the configuration file. A record is keyed by backend and
 * server names; a server renamed or new in the configuration starts from
 * its init-state, as HAProxy's server-state file does. A runtime weight
 * (admin socket) survives only while the configured weight is unchanged:
 * an edited configuration wins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/dns.h>
#include <tandem/handover.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_dyn.h>

static int is_current(void)
{
	static pid_t me;

	if (!me)
		me = getpid();
	return tdm_shm && __atomic_load_n(&tdm_shm->worker_pid, __ATOMIC_ACQUIRE) == me;
}

/* A server whose record could not be created (the table is full): the
 * search is not repeated at every publication (it scans the whole table). */
#define HAND_REC_NONE ((void *)&hand_rec_none)
static const char hand_rec_none;
static int full_logged;

void handover_publish(struct cfg *cfg)
{
	struct list *pl, *sl;
	uint64_t now = clock_mono_us() / 1000;

	if (!is_current())
		return;
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		if (!(px->cap & PR_CAP_BE))
			continue;
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);
			struct shm_srv *r = s->hand_rec;
			struct chk_snap cs;

			if (r == HAND_REC_NONE)
				continue;   /* no record to be had: not looked for again */
			if (!r) {
				r = shm_srv_find(px->id, s->id, 1);
				s->hand_rec = r ? (void *)r : HAND_REC_NONE;
				if (!r) {
					if (!full_logged++)
						log_event(LL_WARNING, "Server %s/%s (and any server after it): no room "
							  "left for its state in the shared area: it will start "
							  "afresh after a reload.", px->id, s->id);
					continue;
				}
			}
			shm_srv_write_begin(r);
			r->state = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
			r->admin = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);
			r->cfg_weight = s->cfg_weight;
			r->uweight = s->uweight;
			r->has_health = 0;
			if (srv_check_snapshot(s, &cs) == 0 && cs.enabled) {
				r->has_health = 1;
				r->health = cs.health;
				r->state = cs.state;
				r->chkfail = cs.chkfail;
				r->chkdown = cs.chkdown;
				r->downtime_ms = cs.downtime_s * 1000;
			}
			/* a dynamic server's words are stored once (they never
			 * change while it lives); a server re-added under the
			 * same name gets its new words */
			r->dynamic = s->dyn_argv != NULL;
			if (s->dyn_argv && !shm_argv_eq(r->dyn_argv, s->dyn_argv) &&
			    shm_argv_put(s->dyn_argv, &r->dyn_argv) < 0)
				r->dynamic = 0;   /* no room: it cannot be re-created (logged by shm) */
			r->deleted = 0;
			dns_handover_fill(s, r);
			r->published_ms = now;
			shm_srv_write_end(r);
		}
	}
}

void handover_mark_deleted(const char *be, const char *srv)
{
	struct shm_srv *r = is_current() ? shm_srv_find(be, srv, 1) : NULL;

	if (!r)
		return;
	shm_srv_write_begin(r);
	r->deleted = 1;
	r->dynamic = 0;
	r->published_ms = clock_mono_us() / 1000;
	shm_srv_write_end(r);
}

void handover_forget_deleted(const char *be, const char *srv)
{
	struct shm_srv *r = is_current() ? shm_srv_find(be, srv, 0) : NULL;

	if (!r)
		return;
	shm_srv_write_begin(r);
	r->deleted = 0;
	shm_srv_write_end(r);
}

static struct server *find_server(struct proxy *px, const char *id)
{
	struct list *sl;

	list_for_each(sl, &px->servers) {
		struct server *s = list_entry(sl, struct server, link);
		if (!strcmp(s->id, id))
			return s;
	}
	return NULL;
}

/* Bring the set of servers in line with the previous worker's: re-create
 * the ones it added at run time, take out the ones it removed. */
static void import_server_set(struct cfg *cfg)
{
	int i, n = __atomic_load_n(&tdm_shm->nsrv, __ATOMIC_ACQUIRE);

	for (i = 0; i < n && i < SHM_MAX_SRV; i++) {
		struct shm_srv rec;
		const char *bname, *sname;
		struct proxy *px;
		struct server *s;

		if (shm_srv_read(&tdm_shm->srv[i], &rec) < 0 || !rec.used || !rec.published_ms)
			continue;
		bname = shm_get(rec.be);
		sname = shm_get(rec.srv);
		if (!bname || !sname || !(px = cfg_find_proxy(cfg, bname, PR_CAP_BE)))
			continue;
		s = find_server(px, sname);
		if (rec.deleted && s) {
			/* removed at run time: out of rotation for good in this
			 * worker too (it stays in memory: nothing runs yet, but
			 * the health module already holds it) */
			__atomic_fetch_or(&s->admin, SRV_ADMF_FMAINT, __ATOMIC_RELAXED);
			srv_health_detach(s);
			list_del(&s->link);
			px->nsrv--;
			log_event(LL_NOTICE, "Server %s/%s stays removed (deleted at run time before the reload).",
				  px->id, s->id);
		} else if (rec.dynamic && !s) {
			char **argv;
			int argc = shm_argv_get(rec.dyn_argv, &argv);

			if (argc > 0 && srv_dyn_restore(cfg, px->id, sname, argv, argc) == 0)
				log_event(LL_NOTICE, "Server %s/%s added at run time is kept across the reload.",
					  px->id, sname);
			free(argv);
		}
	}
}

int handover_import(struct cfg *cfg)
{
	struct list *pl, *sl;
	int n = 0;

	if (!tdm_shm)
		return 0;
	import_server_set(cfg);
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		if (!(px->cap & PR_CAP_BE))
			continue;
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);
			struct shm_srv *r = shm_srv_find(px->id, s->id, 0);
			struct shm_srv rec;

			if (!r || !r->published_ms || shm_srv_read(r, &rec) < 0)
				continue;
			/* admin state: drain and maint survive; the config's
			 * `disabled` still applies on top. Maintenance by
			 * resolution comes with the DNS state, when the name is
			 * the same */
			__atomic_fetch_or(&s->admin, rec.admin & (SRV_ADMF_FMAINT | SRV_ADMF_DRAIN), __ATOMIC_RELAXED);
			dns_handover_import(s, &rec);
			if (rec.cfg_weight == s->cfg_weight && rec.uweight != s->uweight)
				srv_set_uweight(s, rec.uweight);  /* health's slowstart base follows */
			if (rec.has_health && s->has_check)
				srv_health_restore(s, rec.state, rec.health, rec.chkfail, rec.chkdown, rec.downtime_ms);
			n++;
		}
	}
	if (n)
		log_event(LL_NOTICE, "Took over the state of %d server(s) from the previous worker.", n);
	return n;
}
