/* tandem-app's /metrics: Prometheus text format 0.0.4. Requests by path
 * (the route, so that unknown paths cannot grow the series without bound:
 * they are "other") and status code, a latency histogram per path, and
 * gauges for memory, health, Redis, connections. Counters are relaxed
 * atomics shared by every thread; they only grow (/admin/reset leaves them
 * alone, Prometheus counters must not go back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/clock.h>
#include "app.h"

#define ADD(v, n) __atomic_fetch_add(&(v), (n), __ATOMIC_RELAXED)
#define GET(v)    __atomic_load_n(&(v), __ATOMIC_RELAXED)

/* bucket upper bounds, microseconds (the text says seconds) */
static const uint64_t bound_us[] = { 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
				     250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define NB (sizeof(bound_us) / sizeof(bound_us[0]))

static uint64_t by_status[R_COUNT][500];  /* [route][status - 100] */
static uint64_t bucket[R_COUNT][NB + 1];  /* per bucket (not cumulative); [NB] = above the last */
static uint64_t sum_us[R_COUNT];

void metrics_observe(enum route r, int status, uint64_t us)
{
	size_t i;

	if (status >= 100 && status < 600)
		ADD(by_status[r][status - 100], 1);
	for (i = 0; i < NB && us > bound_us[i]; i++)
		;
	ADD(bucket[r][i], 1);
	ADD(sum_us[r], us);
}

static void gauge(struct sbuf *b, const char *name, const char *help, const char *type, double v)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

char *metrics_text(size_t *len)
{
	struct sbuf b = { 0 };
	uint64_t total, ctot;
	long ccur;
	size_t i, k;
	int r, up;

	sb_printf(&b, "# HELP tandem_app_info The node's name.\n# TYPE tandem_app_info gauge\n"
		  "tandem_app_info{node=\"%s\"} 1\n", app_cfg.name);
	sb_printf(&b, "# HELP tandem_app_requests_total HTTP requests answered, by path and status code.\n"
		  "# TYPE tandem_app_requests_total counter\n");
	for (r = 0; r < R_COUNT; r++)
		for (k = 0; k < 500; k++) {
			uint64_t v = GET(by_status[r][k]);

			if (v)
				sb_printf(&b, "tandem_app_requests_total{path=\"%s\",code=\"%zu\"} %llu\n",
					  route_name((enum route)r), k + 100, (unsigned long long)v);
		}
	sb_printf(&b, "# HELP tandem_app_request_duration_seconds Time from the end of the request head "
		  "to the last response byte, by path.\n"
		  "# TYPE tandem_app_request_duration_seconds histogram\n");
	for (r = 0; r < R_COUNT; r++) {
		uint64_t snap[NB + 1];

		for (i = 0, total = 0; i <= NB; i++)
			total += snap[i] = GET(bucket[r][i]);
		if (!total)
			continue;
		for (i = 0, total = 0; i < NB; i++) {
			total += snap[i];
			sb_printf(&b, "tandem_app_request_duration_seconds_bucket{path=\"%s\",le=\"%g\"} %llu\n",
				  route_name((enum route)r), bound_us[i] / 1e6, (unsigned long long)total);
		}
		total += snap[NB];
		sb_printf(&b, "tandem_app_request_duration_seconds_bucket{path=\"%s\",le=\"+Inf\"} %llu\n"
			  "tandem_app_request_duration_seconds_sum{path=\"%s\"} %.6f\n"
			  "tandem_app_request_duration_seconds_count{path=\"%s\"} %llu\n",
			  route_name((enum route)r), (unsigned long long)total, route_name((enum route)r),
			  GET(sum_us[r]) / 1e6, route_name((enum route)r), (unsigned long long)total);
	}
	gauge(&b, "tandem_app_resident_memory_bytes", "Resident memory of the process.", "gauge",
	      (double)state_rss());
	if (app_cfg.mem_limit)
		gauge(&b, "tandem_app_memory_limit_bytes", "--mem-limit: allocations beyond it are refused, "
		      "health fails at 80% of it.", "gauge", (double)app_cfg.mem_limit);
	gauge(&b, "tandem_app_stress_bytes", "Memory held by /stress and /api/stress.", "gauge",
	      (double)state_stress_mb() * 1048576.0);
	gauge(&b, "tandem_app_healthy", "1 when /health answers 200 (not draining, no zombie fault, "
	      "memory under 80% of the limit).", "gauge", state_sick_reason() ? 0 : 1);
	up = redis_up();
	if (up >= 0)
		gauge(&b, "tandem_app_redis_up", "1 when the last exchange with Redis succeeded.", "gauge", up);
	gauge(&b, "tandem_app_inflight_requests", "Requests received and not answered yet.", "gauge",
	      (double)state_inflight());
	state_conns(&ctot, &ccur);
	gauge(&b, "tandem_app_connections_open", "Client connections open now.", "gauge", (double)ccur);
	gauge(&b, "tandem_app_connections_total", "Client connections accepted.", "counter", (double)ctot);
	gauge(&b, "tandem_app_start_time_seconds", "Start time of the process, seconds since the epoch.",
	      "gauge", (double)app_cfg.start_wall_us / 1e6);
	if (b.err) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}
