/* Whether this node can serve, from the signals VRRP also decides with
 * (doc/vrrp.md, "FAULT"): the worker's per-thread heartbeats and each
 * tracked backend's count of usable servers, both published by the worker
 * in the master/worker shared area every 100 ms. "Listeners bound" needs
 * no signal of its own: the master opened every listener before anything
 * else (tandem does not start otherwise) and the worker publishes itself,
 * and starts beating, only once each of its threads watches them. Pure. */
#include <tandem/bgp.h>

int bgp_decide(int started, long long stale_ms, uint64_t wstart_ms, uint64_t now_ms,
	       const int *usable, int ntrack, int *why, int *track)
{
	*track = -1;
	if (stale_ms < 0 || (uint64_t)stale_ms > BGP_STALE_MS) {
		/* a worker that has just been started (crash restart, reload)
		 * gets BGP_STALE_MS to beat for the first time: until then the
		 * node keeps what it had, as VRRP does */
		int fresh = started && stale_ms >= 0 && wstart_ms && now_ms >= wstart_ms &&
			now_ms - wstart_ms <= BGP_STALE_MS;

		if (!fresh) {
			*why = started ? BGP_WHY_WORKER : BGP_WHY_STARTING;
			return 0;
		}
	}
	for (int i = 0; i < ntrack; i++) {
		if (usable[i] == 0) {   /* -1: not published yet, not held against */
			*why = BGP_WHY_BACKEND;
			*track = i;
			return 0;
		}
	}
	*why = BGP_WHY_READY;
	return 1;
}

const char *bgp_why_str(int why)
{
	switch (why) {
	case BGP_WHY_STARTING: return "the worker has not served yet";
	case BGP_WHY_READY:    return "the node can serve";
	case BGP_WHY_WORKER:   return "the worker stopped serving";
	case BGP_WHY_BACKEND:  return "a tracked backend has no usable server";
	case BGP_WHY_SOFTSTOP: return "soft stop";
	case BGP_WHY_STOP:     return "stopping";
	default:               return "?";
	}
}

const char *bgp_bird_str(int bird)
{
	switch (bird) {
	case BGP_BIRD_UP:         return "up";
	case BGP_BIRD_CONNECTING: return "connecting";
	default:                  return "down";
	}
}

const char *bgp_state_str(const struct bgp_snap *s)
{
	int agree = 1;

	if (s->bird != BGP_BIRD_UP)
		return "unknown";
	for (int i = 0; i < s->naddrs; i++)
		agree &= s->addrs[i].bird == s->want;
	if (agree)
		return s->want ? "announced" : "withdrawn";
	return s->want ? "announcing" : "withdrawing";
}
