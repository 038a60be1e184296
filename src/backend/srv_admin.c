/* Maintenance and drain: flags in server.admin, changed with atomic
 * read-modify-write so that two admins racing cannot lose a flag. lb.c
 * reads them lock-free: a server in MAINT or DRAIN gets no new request;
 * requests in flight finish (drain) or finish too (maint: tandem never
 * cuts a request that is already being served). */
#include <tandem/clock.h>
#include <tandem/lb.h>
#include <tandem/log.h>
#include <tandem/srv_admin.h>

enum srv_admin_mode srv_admin_mode(const struct server *s)
{
	int adm = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);

	if (adm & SRV_ADMF_MAINT)
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

int srv_set_admin_mode(struct server *s, enum srv_admin_mode mode, const char *who)
{
	int want = mode == SRV_ADMIN_MAINT ? SRV_ADMF_MAINT : mode == SRV_ADMIN_DRAIN ? SRV_ADMF_DRAIN : 0;
	int old = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);
	int act, bck, cur;

	/* replace the MAINT/DRAIN bits, keep any other flag */
	while (!__atomic_compare_exchange_n(&s->admin, &old,
					    (old & ~(SRV_ADMF_MAINT | SRV_ADMF_DRAIN)) | want,
					    0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	if ((old & (SRV_ADMF_MAINT | SRV_ADMF_DRAIN)) == want)
		return 0;
	__atomic_store_n(&s->last_change, clock_wall_us() / 1000000, __ATOMIC_RELAXED);
	count_left(s->be, &act, &bck);
	cur = __atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED);
	if (mode == SRV_ADMIN_MAINT)
		log_event(LL_WARNING, "Server %s/%s is going DOWN for maintenance (%s). %d active and %d backup servers left. %d sessions active, 0 requeued, 0 remaining in queue.",
			  s->be->id, s->id, who, act, bck, cur);
	else if (mode == SRV_ADMIN_DRAIN)
		log_event(LL_NOTICE, "Server %s/%s enters drain state (%s). %d active and %d backup servers left. %d sessions active, 0 requeued, 0 remaining in queue.",
			  s->be->id, s->id, who, act, bck, cur);
	else if (old & SRV_ADMF_MAINT)
		log_event(LL_NOTICE, "Server %s/%s is UP (leaving forced maintenance, %s).", s->be->id, s->id, who);
	else
		log_event(LL_NOTICE, "Server %s/%s is UP (leaving forced drain, %s).", s->be->id, s->id, who);
	if (!act && !bck && mode != SRV_ADMIN_READY)
		log_event(LL_ALERT, "backend '%s' has no server available!", s->be->id);
	return 1;
}
