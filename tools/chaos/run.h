/* One run: load + fault plan + LB-status poller on one event loop for
 * --duration, then the analysis of what the clients saw. */
#ifndef CHAOS_RUN_H
#define CHAOS_RUN_H
#include <stdint.h>
#include <tandem/loop-t.h>
#include "lab.h"
#include "lbstat.h"
#include "load.h"
#include "meas.h"
#include "plan.h"

/* After --duration no new request is sent; those in flight get this long. */
#define RUN_GRACE_MS 1000
/* A node still answering this close to the end of a fault's window was
 * never taken out of rotation ("not detected"). */
#define UNDETECTED_QUIET_MS 1000
/* Share "back near normal": at least this fraction of the node's normal
 * share over RECOVER_WINDOW_MS. */
#define RECOVER_FRACTION 0.7
#define RECOVER_WINDOW_MS 500

struct run_opts {
	struct load_opts load;
	uint64_t         duration_ms;
	uint64_t         slow_ms;       /* a "slow" request takes at least this long */
	int              has_stats;     /* poll tandem's stats CSV */
	struct target    stats;
	char             backend[64];
};

/* What one fault did. Times in ms from the fault; -1: never; -2: does not apply. */
struct fault_res {
	int64_t  detect_traffic_ms;   /* last answer from the node (share fell to 0 for good) */
	int64_t  detect_lb_ms;        /* tandem's stats said DOWN */
	int64_t  recover_first_ms;    /* recovery actions: first answer from the node again */
	int64_t  recover_share_ms;    /* share back to RECOVER_FRACTION of normal */
	int64_t  recover_lb_ms;       /* tandem's stats said UP again */
	uint64_t win_end_ms;          /* the fault's window: until the next fault or the end */
	uint32_t done, errors, slow;
	uint64_t max_lat_us;
	double   normal_share;        /* the node's share before any fault (0..1) */
};

struct run {
	struct run_opts  o;
	struct lab      *lab;
	struct meas      m;
	struct plan      plan;
	struct lbstat    lb;
	int              has_lb;
	struct fault_res res[MAX_FAULTS];
	double           normal_share[MAX_NODES];
	int              tandem_died;     /* the proxy exited during the run */
	uint64_t         tandem_died_ms;
	int              interrupted;
	char             title[256];
};

/* Run the load and the plan (already parsed into r->plan) against the lab
 * or target, then analyse. 0, or -1 if the run could not start. */
int run_exec(struct run *r, struct loop *l);
void run_free(struct run *r);
/* Fill r->res and r->normal_share from the measurements (run_exec calls it). */
void run_analyze(struct run *r);

#endif
