/* Passive health: what live traffic tells about a server (srv_observe,
 * called by streams on any thread). The decisions are the state machine's
 * (health.c): HAProxy's `observe` with error-limit/on-error, tandem's
 * "a refused or reset connection takes a checked server down at once",
 * nginx's max-fails/fail-timeout. This file only keeps the success path
 * cheap: a success that cannot change anything takes no lock. */
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
