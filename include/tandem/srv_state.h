/* What a server can take, decided in one place.
 *
 * Two questions, kept apart on purpose:
 *   - usable: may the server be given traffic at all? Its health, its
 *     administrative state and its weight say so (HAProxy's srv_is_usable):
 *     UP or in slowstart, neither in maintenance nor draining, weight > 0.
 *     Stats ("act"/"bck", backend UP/DOWN), the health log lines ("N active
 *     and M backup servers left"), VRRP's track-backend and the choice
 *     between active and backup servers all ask this.
 *   - full: is it at its `maxconn` right now? A full server is busy, not
 *     down: a request for it waits in the queue (HAProxy's meaning), the
 *     balancer looks for a server with a free slot, and nothing else
 *     changes. Under a load of slow requests every server may be full for
 *     a long time; counting that as "down" would, for instance, make VRRP
 *     move the virtual address away exactly when the node is busiest.
 *
 * Every change at run time to what srv_usable() reads (state, admin flags,
 * effective weight) and to a backend's server list goes through the setters
 * below (srv_publish/srv_unpublish for the list), so the balancer learns
 * about it (proxy.lb_gen): the round-robin schedule is rebuilt from the
 * servers' values on the next pick (src/backend/lb_rr.c). Only what runs
 * before the first pick writes the fields directly: the configuration, the
 * reload's import of the previous worker's state, a server being built by
 * `add server` before it is published. Readers use relaxed atomic loads;
 * the setters release-publish lb_gen after their store, so a thread that
 * sees the new generation sees the change. */
#ifndef TANDEM_SRV_STATE_H
#define TANDEM_SRV_STATE_H
#include <tandem/proxy-t.h>

/* May <s> be given traffic (health, admin state, weight)? */
static inline int srv_usable(const struct server *s)
{
	int st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	if (st != SRV_ST_RUNNING && st != SRV_ST_STARTING)
		return 0;
	if (__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & (SRV_ADMF_MAINT | SRV_ADMF_DRAIN))
		return 0;
	return __atomic_load_n(&s->eweight, __ATOMIC_RELAXED) > 0;
}

/* Is <s> at its maxconn now (a new request would have to wait)? */
static inline int srv_full(const struct server *s)
{
	return s->maxconn && (__atomic_load_n(&s->cur_conns, __ATOMIC_RELAXED) >= s->maxconn ||
			      __atomic_load_n(&s->queue_len, __ATOMIC_RELAXED) > 0);
}

/* Something the balancer reads about the servers of <be> changed. */
static inline void be_lb_changed(struct proxy *be)
{
	if (be)
		__atomic_fetch_add(&be->lb_gen, 1, __ATOMIC_RELEASE);
}

/* <s> just went DOWN or into maintenance: requests waiting on it may move
 * to other servers at once (src/backend/server.c calls the worker's hook). */
void srv_note_gone(struct server *s);
/* <s> just came UP (or out of maintenance): with `on-marked-up
 * shutdown-backup-sessions`, the backup servers' streams are closed
 * (src/backend/server.c tells the worker the same way). */
void srv_note_up(struct server *s);

/* Set the operational state of <s> (SRV_ST_*); returns the previous one. */
static inline int srv_set_state(struct server *s, int state)
{
	int was = __atomic_exchange_n(&s->state, state, __ATOMIC_RELAXED);

	if (was != state) {
		be_lb_changed(s->be);
		if (state == SRV_ST_STOPPED)
			srv_note_gone(s);
		else if (was == SRV_ST_STOPPED && s->on_marked_up)
			srv_note_up(s);
	}
	return was;
}

/* Set the effective weight of <s> (what the balancer uses). */
static inline void srv_set_eweight(struct server *s, int w)
{
	if (__atomic_exchange_n(&s->eweight, w, __ATOMIC_RELAXED) != w)
		be_lb_changed(s->be);
}

/* Replace the admin flags of <s> in <mask> by <flags> (atomic
 * read-modify-write: two admins racing cannot lose a flag). Returns the
 * previous flags. */
static inline int srv_set_admin(struct server *s, int mask, int flags)
{
	int old = __atomic_load_n(&s->admin, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(&s->admin, &old, (old & ~mask) | (flags & mask),
					    0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	if ((old & mask) != (flags & mask)) {
		be_lb_changed(s->be);
		if ((flags & mask & SRV_ADMF_MAINT) && !(old & SRV_ADMF_MAINT))
			srv_note_gone(s);
		else if ((old & SRV_ADMF_MAINT) && !(flags & mask & SRV_ADMF_MAINT) && s->on_marked_up)
			srv_note_up(s);
	}
	return old;
}

#endif
