/* The load balancer's own view: poll tandem's stats CSV (`stats uri`,
 * ";csv") every LBSTAT_POLL_MS and record each server's status changes
 * (UP, DOWN, "DOWN 1/2", MAINT, "no check"...). This is how chaos times
 * when tandem decided a node was down or back, which the traffic alone
 * cannot show for a dead node. */
#ifndef CHAOS_LBSTAT_H
#define CHAOS_LBSTAT_H
#include <stdint.h>
#include <tandem/loop-t.h>
#include "hc.h"
#include "lab.h"

#define LBSTAT_POLL_MS 50
#define MAX_LBEV       256

struct lbev {
	uint64_t t_ms;        /* relative to the start of the load */
	int      node;        /* index in the lab */
	char     status[24];
};

struct lbstat {
	struct hc       hc;
	struct ev_timer tmr;
	char            backend[64];
	struct lab     *lab;
	uint64_t        t0_us;
	char            cur[MAX_NODES][24];
	int             n;
	struct lbev     ev[MAX_LBEV];
	unsigned        polls, fails;
	int             active;
};

/* Start polling <stats> (URL path included, e.g. /stats;csv) for the
 * servers of <backend> named like the lab's nodes. */
void lbstat_start(struct lbstat *s, const struct target *stats, const char *backend,
		  struct lab *lab, uint64_t t0_us);
void lbstat_stop(struct lbstat *s);
/* First event for <node> in [from_ms, to_ms) whose status starts with
 * <prefix> ("DOWN", "UP"); NULL if none. With <exact>, only the status
 * itself matches (not a transitional "DOWN 1/2"). */
const struct lbev *lbstat_find(const struct lbstat *s, int node, uint64_t from_ms, uint64_t to_ms,
			       const char *prefix, int exact);
/* Call <cb> with the name and status of each server of <backend> in the
 * stats CSV <csv> (columns found by name in the "# pxname,..." header). */
void stats_csv_each(const char *csv, size_t len, const char *backend,
		    void (*cb)(void *ctx, const char *server, const char *status), void *ctx);
/* <node>'s status as last seen before <t_ms> ("" if never seen). */
const char *lbstat_status_at(const struct lbstat *s, int node, uint64_t t_ms);

#endif
