/* The lab: N tandem-app nodes and one tandem in front of them, started,
 * watched and stopped by chaos itself, by PID. In target mode the same
 * structure only describes nodes someone else started (--node), so fault
 * actions work the same way on both. */
#ifndef CHAOS_LAB_H
#define CHAOS_LAB_H
#include <sys/types.h>
#include <tandem/loop-t.h>
#include "hc.h"
#include "meas.h"
#include "util.h"

struct node {
	char          name[HC_NODE_MAX];
	int           port;        /* the node's own port (lab) */
	struct target direct;      /* its own address, for /admin/fault and /admin/stats */
	int           has_direct;
	pid_t         pid;         /* 0: not running / unknown */
	int           weight;
	int           exit_status; /* wait status of its last exit, -1 if none */
};

/* How the lab is built. Defaults: lab_opts_default(). */
struct lab_opts {
	const char *tandem_bin, *app_bin;
	const char *config_extra;  /* file appended to the generated config, or NULL */
	int         nodes;
	int         weights[MAX_NODES]; /* 0: no weight keyword */
	int         checks;        /* 0: no health-check lines (--no-checks) */
	unsigned    inter_ms, fastinter_ms, fall, rise, retries;
	char        retry_on[128]; /* "" or "none": no retry-on line */
	char        server_extra[128]; /* appended to every server line ("" = none) */
	char        backend_extra[128]; /* one more line in the backend ("" = none) */
	unsigned    drain_ms;      /* tandem-app --drain-ms */
	int         keep;          /* keep the work directory */
	const char *workdir;       /* parent of the work directory (default $TMPDIR or /tmp) */
};

struct lab {
	struct lab_opts o;
	int         managed;       /* 1: chaos started the processes */
	int         n;
	struct node node[MAX_NODES];
	pid_t       tandem_pid;
	int         tandem_exit;   /* wait status when it exited on its own, else -1 */
	int         fe_port, stats_port;
	char        dir[256];      /* work directory: config and logs */
	char        err[1024];     /* why lab_start failed */
	char        san[400];      /* first sanitizer report line found in the logs */
};

void lab_opts_default(struct lab_opts *o);
/* Managed lab: pick ports, write the config, start the nodes, wait for
 * their /health, start tandem, wait for it to answer through the frontend.
 * Runs <l> for the waits. 0, or -1 with lab->err set (everything started is
 * stopped again). */
int lab_start(struct lab *lab, const struct lab_opts *o, struct loop *l);
/* Stop every process chaos started (nodes: SIGINT, tandem: SIGTERM, then
 * SIGKILL after a deadline), reap them, look for sanitizer reports in
 * their logs (sanitized builds: nobody else reads these logs), and remove
 * the work directory unless <keep_dir>, --keep, or a report was found.
 * Returns 1 when a report was found (lab->san names it), else 0. */
int lab_stop(struct lab *lab, int keep_dir);
void lab_remove_dir(struct lab *lab);
/* Target mode: add NAME=PID:URL (PID may be empty, URL may be omitted). 0 or -1. */
int lab_add_external(struct lab *lab, const char *spec);
int lab_find(const struct lab *lab, const char *name);
/* Send <sig> to node <i>. 0, or -1 with <err> filled. */
int lab_signal(struct lab *lab, int i, int sig, char *err, size_t errlen);
/* Start node <i> again on its port (a running one is killed first). 0 or -1. */
int lab_restart(struct lab *lab, int i, char *err, size_t errlen);
/* Reap children that exited (non-blocking). Returns 1 if tandem itself
 * exited since the last call. */
int lab_reap(struct lab *lab);
/* Write the tandem configuration for <lab> to <f>. */
void lab_write_config(const struct lab *lab, FILE *f);

#endif
