/* The fault plan: what to break, when, on which node. A fault is written
 * TIME:ACTION[:MS]:NODES, e.g. "2s:kill:A", "1.5s:slow:300:B", "1s:kill:A,B,C";
 * TIME is from the start of the load. Signal actions need the node's PID,
 * fault-mode actions its direct address (GET /admin/fault?mode=...), admin
 * actions tandem's runtime API (`set server BACKEND/NODE state drain`).
 * Signal actions also apply to a lab's dependencies ("1s:kill:redis-A"). */
#ifndef CHAOS_PLAN_H
#define CHAOS_PLAN_H
#include <stdint.h>
#include <tandem/loop-t.h>
#include "admin.h"
#include "hc.h"
#include "lab.h"

#define MAX_FAULTS 64

enum fact {
	FA_KILL,      /* SIGKILL */
	FA_STOP,      /* SIGSTOP: the node hangs */
	FA_CONT,      /* SIGCONT */
	FA_TERM,      /* SIGTERM: tandem-app's graceful drain */
	FA_RESTART,   /* start the node again on its port (lab only) */
	FA_ZOMBIE,    /* /health fails, traffic still served */
	FA_ERROR500,  /* every request gets 500 */
	FA_SLOW,      /* every response MS later */
	FA_OFF,       /* fault mode off */
	FA_STRESS,    /* the node's /api/stress: memory to 90% of --mem-limit, its health fails (seed 004) */
	FA_RELEASE,   /* the node's /api/stress/clear: memory back, health again */
	FA_DRAIN,     /* runtime API: set server B/N state drain */
	FA_READY,     /* runtime API: set server B/N state ready */
	FA_MAINT,     /* runtime API: set server B/N state maint */
	FA_ADD,       /* lab: start a dynamic node, then `add server` and `enable health` */
	FA_MOVE,      /* lab with DNS: start the node again on a new address and tell DNS */
	FA_MAX
};

enum { FS_PENDING, FS_SENT, FS_DONE, FS_FAILED };

struct plan;

struct fault {
	uint64_t        at_ms;     /* planned time */
	enum fact       act;
	int             node;      /* the node it is about (index in the lab), -1 if none */
	int             dep;       /* the dependency it acts on, -1 when it acts on the node */
	unsigned        ms;        /* FA_SLOW */
	int             ready;     /* FA_ADD: the new node answered /health */
	int             state;     /* FS_* */
	uint64_t        t_ms;      /* when it took effect (fault modes: when the node confirmed) */
	char            msg[160];  /* why it failed */
	struct hc       hc;
	struct admin_req adm;
	struct ev_timer tmr;
	struct plan    *plan;
};

struct plan {
	int           n;
	struct fault  f[MAX_FAULTS];
	struct lab   *lab;
	uint64_t      t0_us;
	const char   *backend;     /* for admin actions */
};

/* Parse one fault (or one per listed node) into <p>. 0, or -1 with <err>. */
int plan_parse(struct plan *p, const struct lab *lab, const char *spec, char *err, size_t errlen);
/* Parse a plan file: one fault per line, fields separated by ':' or blanks,
 * '#' starts a comment. 0, or -1 with <err> naming the line. */
int plan_load(struct plan *p, const struct lab *lab, const char *path, char *err, size_t errlen);
/* Order faults by time and arm their timers on this thread's loop. */
void plan_start(struct plan *p, struct lab *lab, uint64_t t0_us);
/* Cancel what has not happened yet. */
void plan_stop(struct plan *p);

const char *fact_name(enum fact a);
/* cont, off, restart, ready, add, move: the node is meant to serve again. */
int fact_is_recovery(enum fact a);
/* The name of what the fault acts on: a node or a dependency. */
const char *fault_target(const struct plan *p, const struct fault *f);
/* Human label: "kill A", "slow 300ms B", "kill redis-A". */
void fault_label(const struct plan *p, const struct fault *f, char *out, size_t len);

#endif
