/* tandem-app's health answers and memory watch.
 *
 * Three endpoints, two depths:
 *   /health                shallow (liveness): text "OK" or "SICK <reason>",
 *                          from the process alone (draining, zombie, memory);
 *   /health_check,         deep (readiness, seed 000's and seed 004's): the
 *   /api/health            same reasons plus the dependency, Redis, asked
 *                          with a PING at every check when --redis is set;
 *                          a JSON document either way.
 * So a node whose Redis is gone keeps answering / with 200 while its deep
 * health says 503: the labs' "zombie", made real. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <tandem/clock.h>
#include "app.h"

static int mem_high;   /* last state seen by health_mem_watch (atomic) */

int health_mem_watch(void)
{
	uint64_t rss, lim = app_cfg.mem_limit;
	int high;

	if (!lim)
		return 0;
	rss = state_rss();
	high = rss * 100 >= lim * APP_MEM_HIGH_PCT;
	if (__atomic_exchange_n(&mem_high, high, __ATOMIC_RELAXED) != high) {
		if (high)
			app_event(LL_WARNING, "memory %.1f MiB is %.0f%% of --mem-limit %.0f MiB (>= %d%%): "
				  "health checks answer 503", rss / 1048576.0, rss * 100.0 / lim,
				  lim / 1048576.0, APP_MEM_HIGH_PCT);
		else
			app_event(LL_NOTICE, "memory %.1f MiB is %.0f%% of --mem-limit %.0f MiB (< %d%%): "
				  "health checks answer 200 again", rss / 1048576.0, rss * 100.0 / lim,
				  lim / 1048576.0, APP_MEM_HIGH_PCT);
	}
	return high;
}

/* The deep health document. <redis>: 1 up, 0 down (<rerr> says why),
 * -1 not configured. */
static void health_doc(struct conn *c, int redis, const char *rerr)
{
	const char *why = state_sick_reason();
	uint64_t rss = state_rss(), lim = app_cfg.mem_limit;
	double up = (clock_mono_us() - app_cfg.start_us) / 1e6;
	char pct[32], limit[32], esc[6 * 200 + 1];
	struct sbuf b = { 0 };

	if (!why && redis == 0)
		why = "redis";
	if (lim) {
		snprintf(pct, sizeof(pct), "%.1f", rss * 100.0 / lim);
		snprintf(limit, sizeof(limit), "%llu", (unsigned long long)lim);
	} else {
		strcpy(pct, "null");
		strcpy(limit, "null");
	}
	sb_printf(&b, "{\"status\":\"%s\",\"healthy\":%s,\"node\":\"%s\",\"instance\":\"%s\","
		  "\"reason\":%s%s%s,\"memory\":{\"used_bytes\":%llu,\"limit_bytes\":%s,"
		  "\"percent\":%s,\"unhealthy_at_percent\":%d},\"redis\":",
		  why ? "UNHEALTHY" : "OK", why ? "false" : "true", app_cfg.name, app_cfg.name,
		  why ? "\"" : "", why ? why : "null", why ? "\"" : "",
		  (unsigned long long)rss, limit, pct, APP_MEM_HIGH_PCT);
	if (redis < 0) {
		sb_printf(&b, "{\"state\":\"not configured\"}");
	} else {
		sb_printf(&b, "{\"state\":\"%s\",\"addr\":\"%s:%d\",\"error\":", redis ? "up" : "down",
			  app_cfg.redis_host, app_cfg.redis_port);
		if (redis || !rerr)
			sb_printf(&b, "null}");
		else {
			char e[200];

			snprintf(e, sizeof(e), "%s", rerr);
			json_escape(esc, sizeof(esc), e);
			sb_printf(&b, "\"%s\"}", esc);
		}
	}
	sb_printf(&b, ",\"draining\":%s,\"uptime_s\":%.3f}\n", state_draining() ? "true" : "false", up);
	if (b.err) {
		free(b.s);
		resp_simple(c, 503, "text/plain", "out of memory\n", 14);
		return;
	}
	resp_heap(c, why ? 503 : 200, "application/json", b.s, b.len);
}

static void ping_cb(struct conn *c, struct redisReply *r, const char *err, void *arg)
{
	(void)arg;
	if (!c)
		return;
	if (r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG"))
		health_doc(c, 1, NULL);
	else if (r && r->type == REDIS_REPLY_ERROR)
		health_doc(c, 0, r->str);
	else
		health_doc(c, 0, err ? err : "unexpected answer to PING");
	conn_async_done(c);
}

int health_respond(struct conn *c)
{
	static const char *const ping[] = { "PING" };
	const char *why;
	char body[64];

	if (c->req.route == R_HEALTH) {
		why = state_sick_reason();
		if (!why) {
			resp_simple(c, 200, "text/plain", "OK", 2);
			return 0;
		}
		snprintf(body, sizeof(body), "SICK %s", why);
		resp_simple(c, 503, "text/plain", body, strlen(body));
		return 0;
	}
	if (!app_cfg.redis_host[0]) {
		health_doc(c, -1, NULL);
		return 0;
	}
	if (redis_submit(c, ping_cb, NULL, 1, ping, NULL) < 0) {
		health_doc(c, 0, redis_last_error());
		return 0;
	}
	return 1;
}
