/* Administrative changes to servers (see srv_admin.h).
 *
 * Maintenance and drain: flags in server.admin, changed with atomic
 * read-modify-write so that two admins racing cannot lose a flag
 * (srv_set_admin, srv_state.h). The balancer reads them lock-free: a
 * server in MAINT or DRAIN gets no new request; requests in flight finish
 * (drain) or finish too (maint: tandem never cuts a request that is
 * already being served).
 *
 * Weights, addresses and dynamic servers follow, each with the way other
 * threads may keep reading while the admin socket writes. */
#include <stdio.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/shm_hist.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include <tandem/worker.h>

enum srv_admin_mode srv_admin_mode(const struct server *s)
{
	int adm = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);

	if (adm & SRV_ADMF_FMAINT)
		return SRV_ADMIN_MAINT;
	if (adm & SRV_ADMF_DRAIN)
		return SRV_ADMIN_DRAIN;
	return SRV_ADMIN_READY;
}

static void count_left(const struct proxy *be, int *act, int *bck)
{
	const struct list *l;

	*act = *bck = 0;
	list_for_each(l, &be->servers) {
		const struct server *s = list_entry(l, struct server, link);
		if (!srv_usable(s))
			continue;
		if (s->backup)
			(*bck)++;
		else
			(*act)++;
	}
}

/* The status word the stats show for <s> with admin flags <adm>. */
static const char *status_word(const struct server *s, int adm)
{
	int st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	if (adm & SRV_ADMF_MAINT)
		return "MAINT";
	if (st == SRV_ST_STOPPED)
		return "DOWN";
	if (adm & SRV_ADMF_DRAIN)
		return "DRAIN";
	return st == SRV_ST_STOPPING ? "NOLB" : s->has_check ? "UP" : "no check";
}

int srv_set_admin_mode(struct server *s, enum srv_admin_mode mode, const char *who)
{
	int want = mode == SRV_ADMIN_MAINT ? SRV_ADMF_FMAINT : mode == SRV_ADMIN_DRAIN ? SRV_ADMF_DRAIN : 0;
	int old, act, bck, cur, rmaint;

	/* replace the operator's bits (FMAINT/DRAIN), keep any other flag: the
	 * operator and DNS never undo each other's maintenance */
	old = srv_set_admin(s, SRV_ADMF_FMAINT | SRV_ADMF_DRAIN, want);
	if ((old & (SRV_ADMF_FMAINT | SRV_ADMF_DRAIN)) == want)
		return 0;
	__atomic_store_n(&s->last_change, clock_wall_us() / 1000000, __ATOMIC_RELAXED);
	count_left(s->be, &act, &bck);
	cur = __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED);
	{
		char detail[SC_DETAIL_LEN];

		snprintf(detail, sizeof(detail), "%s; %d active and %d backup servers left, %d sessions active.",
			 mode == SRV_ADMIN_MAINT ? "maintenance" : mode == SRV_ADMIN_DRAIN ? "drain" : "ready",
			 act, bck, cur);
		shm_state_change(&(struct state_change){ .kind = SC_ADMIN, .proxy = s->be->id, .server = s->id,
			.from = status_word(s, old), .to = status_word(s, want | (old & SRV_ADMF_RMAINT)),
			.reason = who, .detail = detail });
	}
	rmaint = old & SRV_ADMF_RMAINT;
	if (mode == SRV_ADMIN_MAINT) {
		if (!rmaint)
			log_event(LL_WARNING, "Server %s/%s is going DOWN for maintenance (%s). %d active and %d backup servers left. %d sessions active, 0 requeued, 0 remaining in queue.",
				  s->be->id, s->id, who, act, bck, cur);
	} else if (mode == SRV_ADMIN_DRAIN)
		log_event(LL_NOTICE, "Server %s/%s enters drain state (%s). %d active and %d backup servers left. %d sessions active, 0 requeued, 0 remaining in queue.",
			  s->be->id, s->id, who, act, bck, cur);
	else if ((old & SRV_ADMF_FMAINT) && rmaint)
		log_event(LL_NOTICE, "Server %s/%s is leaving forced maintenance but remains in maintenance (resolution, %s).",
			  s->be->id, s->id, who);
	else if (old & SRV_ADMF_FMAINT)
		log_event(LL_NOTICE, "Server %s/%s is UP (leaving forced maintenance, %s).", s->be->id, s->id, who);
	else
		log_event(LL_NOTICE, "Server %s/%s is UP (leaving forced drain, %s).", s->be->id, s->id, who);
	if (!act && !bck && mode != SRV_ADMIN_READY && !rmaint)
		log_event(LL_ALERT, "backend '%s' has no server available!", s->be->id);
	return 1;
}

/* ---- maintenance by resolution (DNS) --------------------------------------- */

int srv_set_rmaint(struct server *s, const char *cause)
{
	int old = srv_set_admin(s, SRV_ADMF_RMAINT, SRV_ADMF_RMAINT), act, bck;  /* the balancer and the waiting requests learn it */

	if (old & SRV_ADMF_RMAINT)
		return 0;
	__atomic_store_n(&s->last_change, clock_wall_us() / 1000000, __ATOMIC_RELAXED);
	if (old & SRV_ADMF_FMAINT)
		return 1;   /* in maintenance already: nothing changes for traffic */
	count_left(s->be, &act, &bck);
	log_event(LL_WARNING, "%sServer %s/%s is going DOWN for maintenance (%s). %d active and %d backup servers left. %d sessions active, 0 requeued, 0 remaining in queue.",
		  s->backup ? "Backup " : "", s->be->id, s->id, cause, act, bck,
		  __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED));
	if (!act && !bck)
		log_event(LL_ALERT, "backend '%s' has no server available!", s->be->id);
	return 1;
}

int srv_clr_rmaint(struct server *s, const char *name)
{
	int old = srv_set_admin(s, SRV_ADMF_RMAINT, 0);

	if (!(old & SRV_ADMF_RMAINT))
		return 0;
	__atomic_store_n(&s->last_change, clock_wall_us() / 1000000, __ATOMIC_RELAXED);
	if (old & SRV_ADMF_FMAINT)
		log_event(LL_NOTICE, "%sServer %s/%s ('%s') resolves again but remains in maintenance.",
			  s->backup ? "Backup " : "", s->be->id, s->id, name);
	else
		log_event(LL_NOTICE, "%sServer %s/%s ('%s') is %s/%s (resolves again).", s->backup ? "Backup " : "",
			  s->be->id, s->id, name,
			  __atomic_load_n(&s->state, __ATOMIC_RELAXED) == SRV_ST_STOPPED ? "DOWN" : "UP",
			  (old & SRV_ADMF_DRAIN) ? "DRAIN" : "READY");
	return 1;
}

/* ---- weights ------------------------------------------------------------ */

const char *srv_weight_parse(const char *arg, int iweight, int *w)
{
	const char *p = arg;
	long v = 0;
	int digits = 0;

	if (!arg || !*arg)
		return "Require <weight> or <weight%>.";
	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (v < 1000000)     /* big enough to be out of range, small enough not to overflow */
			v = v * 10 + (*p - '0');
	if (!digits)
		return "Empty weight string empty or preceded by garbage";
	if (*arg == '-')
		v = -v;
	if (*p == '%' && !p[1]) {
		if (v < 0)
			return "Relative weight must be positive.";
		v = (long)iweight * v / 100;
		*w = v > 256 ? 256 : (int)v;
		return NULL;
	}
	if (*p)
		return "Trailing garbage in weight string";
	if (v < 0 || v > 256)
		return "Absolute weight can only be between 0 and 256 inclusive.";
	*w = (int)v;
	return NULL;
}

int srv_uweight_get(const struct server *s)
{
	return __atomic_load_n(&s->uweight, __ATOMIC_RELAXED);
}

const char *srv_set_uweight(struct server *s, int w)
{
	if (s->be && s->be->lbalgo == LB_STATIC_RR && w != 0 && w != s->cfg_weight)
		return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.";
	__atomic_store_n(&s->uweight, w, __ATOMIC_RELAXED);
	/* the health module owns the effective weight when it watches the
	 * server (slowstart ramps towards the user weight) */
	if (srv_health_set_uweight(s, w) < 0)
		srv_set_eweight(s, w);
	return NULL;
}

/* ---- address ------------------------------------------------------------ */

/* One sequence for every server: changes are rare and serialized by the
 * admin socket, so readers almost never retry. Odd while a write runs. */
static unsigned addr_seq;

void srv_addr_get(const struct server *s, struct sockaddr_storage *ss, socklen_t *len)
{
	unsigned a, b;

	for (;;) {
		a = __atomic_load_n(&addr_seq, __ATOMIC_ACQUIRE);
		if (a & 1)
			continue;
		memcpy(ss, &s->addr, sizeof(*ss));
		*len = s->addrlen;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&addr_seq, __ATOMIC_RELAXED);
		if (a == b)
			return;
	}
}

void srv_addr_set(struct server *s, const struct sockaddr_storage *ss, socklen_t len)
{
	unsigned q = __atomic_load_n(&addr_seq, __ATOMIC_RELAXED);

	__atomic_store_n(&addr_seq, q + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&s->addr, ss, sizeof(*ss));
	s->addrlen = len;
	__atomic_store_n(&addr_seq, q + 2, __ATOMIC_RELEASE);
	/* connections pooled for the old address are closed by their threads */
	__atomic_add_fetch(&s->addr_gen, 1, __ATOMIC_RELEASE);
	srv_health_addr_changed(s);
}

/* ---- dynamic servers ---------------------------------------------------- */

void srv_publish(struct server *s)
{
	struct list *head = &s->be->servers, *tail = head->prev;

	s->link.next = head;
	s->link.prev = tail;
	/* everything written to <s> before this store is visible to a thread
	 * that reaches <s> through tail->next */
	__atomic_store_n(&tail->next, &s->link, __ATOMIC_RELEASE);
	head->prev = &s->link;   /* only writers (this thread) go backwards */
	__atomic_fetch_add(&s->be->nsrv, 1, __ATOMIC_RELAXED);
	be_lb_changed(s->be);
}

void srv_unpublish(struct server *s)
{
	struct list *p = s->link.prev, *n = s->link.next;

	/* s->link.next is left as it is: a walker standing on <s> goes on to
	 * the next server (never list_del, which would self-link it) */
	__atomic_store_n(&p->next, n, __ATOMIC_RELEASE);
	n->prev = p;
	s->link.prev = NULL;
	__atomic_fetch_sub(&s->be->nsrv, 1, __ATOMIC_RELAXED);
	be_lb_changed(s->be);
}

int srv_conns_left(const struct server *s)
{
	int n = __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED);

	if (s->thr)
		for (int i = 0; i < worker.nbthread; i++)
			n += __atomic_load_n(&s->thr[i].nidle, __ATOMIC_RELAXED);
	return n;
}
