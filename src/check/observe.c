/* Passive health: what live traffic tells about a server (srv_observe,
 * called by streams on any thread). The decisions are the state machine's
 * (health.c): HAProxy's `observe` with error-limit/on-error, tandem's
 * "a refused or reset connection takes a checked server down at once",
 * nginx's max-fails/fail-timeout. This file only keeps the success path
 * cheap: a success that cannot change anything takes no lock.
 *
 * It also says where passive health stands, in the words of a circuit
 * breaker (the pattern lab 001 builds in its application), for the stats:
 *   - max-fails / fail-timeout (nginx): open while the server is ejected;
 *     half-open once fail-timeout expired with the failure count still at
 *     max-fails (the next failure opens it again at once, a success
 *     closes it); closed otherwise.
 *   - observe / error-limit (HAProxy), and tandem's rule for refused
 *     connections (any server with `check`): open while the server is
 *     DOWN because live traffic took it down; half-open while its active
 *     checks bring it back (DOWN, health counter above 0: the probes
 *     succeed); closed once UP again (or DOWN for another reason: the
 *     breaker did not trip, the active checks did).
 * With both, the worse of the two is shown. */
#include <tandem/check.h>
#include "check_int.h"

void srv_observe(struct server *s, enum obs_event ev)
{
	struct srv_health *h = s ? s->hc : NULL;
	struct hs_event e = { .type = HS_EV_OBSERVE, .obs = ev };
	struct hs_out o;

	if (!h)
		return;
	/* a success with no error count to clear: nothing to do (RESP_ERR is
	 * a success for max-fails but an error for observe layer7) */
	if ((ev == OBS_CONN_OK || ev == OBS_RESP_OK ||
	     (ev == OBS_RESP_ERR && h->conf.observe != OBS_MODE_L7)) &&
	    __atomic_load_n(&h->quick_ok, __ATOMIC_RELAXED))
		return;
	srv_health_apply(h, &e, &o);
}

/* ---- the circuit-breaker view ----------------------------------------- */

/* Severity order: open > half-open > closed > none. */
static int cb_worse(int a, int b)
{
	static const int rank[] = { [CB_NONE] = 0, [CB_CLOSED] = 1, [CB_HALF_OPEN] = 2, [CB_OPEN] = 3 };

	return rank[a] >= rank[b] ? a : b;
}

int hs_breaker(const struct hs *h, const struct hs_conf *c)
{
	int mf = CB_NONE, ob = CB_NONE;

	if (c->max_fails > 0)
		mf = h->ejected ? CB_OPEN : h->fails >= c->max_fails ? CB_HALF_OPEN : CB_CLOSED;
	if (c->has_check) {
		if (h->state == SRV_ST_STOPPED && h->passive_down)
			ob = h->health > 0 ? CB_HALF_OPEN : CB_OPEN;
		else
			ob = CB_CLOSED;
	}
	return cb_worse(mf, ob);
}

int srv_breaker(const struct server *s)
{
	struct srv_health *h = s ? s->hc : NULL;
	int cb;

	if (!h)
		return CB_NONE;
	pthread_mutex_lock(&h->lock);
	cb = hs_breaker(&h->hs, &h->conf);
	pthread_mutex_unlock(&h->lock);
	return cb;
}

const char *cb_state_str(int cb)
{
	switch (cb) {
	case CB_CLOSED:    return "closed";
	case CB_OPEN:      return "open";
	case CB_HALF_OPEN: return "half-open";
	default:           return NULL;
	}
}
