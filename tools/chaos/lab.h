/* The lab: tandem-app nodes, their Redis instances and one tandem in front
 * of them, started, watched and stopped by chaos itself, by PID. Two kinds:
 *   generated  (--lab N, the seeds playbook): N nodes A, B, C... and a
 *              configuration written by labcfg.c from lab_opts;
 *   defined    (--lab NNN, --playbook NNN, --demo NNN): a lab of the seeds,
 *              its topology in a struct lab_def (labdef.h) and its tandem
 *              configuration in contrib/labs/NNN/tandem.cfg, whose ports come
 *              from the environment ("${PORT_FE-8080}").
 * In target mode the same structure only describes nodes someone else
 * started (--node), so fault actions work the same way on all three. */
#ifndef CHAOS_LAB_H
#define CHAOS_LAB_H
#include <sys/types.h>
#include <tandem/loop-t.h>
#include "hc.h"
#include "meas.h"
#include "util.h"

#define MAX_DEPS 8
#define MAX_VARS (MAX_NODES + MAX_DEPS + 8)

struct lab_def;

struct node {
	char          name[HC_NODE_MAX];
	int           port;        /* the node's own port (lab) */
	struct target direct;      /* its own address, for /admin/fault and /admin/stats */
	int           has_direct;
	pid_t         pid;         /* 0: not running / unknown */
	int           weight;
	int           exit_status; /* wait status of its last exit, -1 if none */
	int           dynamic;     /* not in the configuration: the `add` action starts and adds it */
	char          args[256];   /* defined labs: extra tandem-app arguments, variables expanded */
	char          add_args[256]; /* defined labs: keywords of its `add server` line */
	char          addr[16];    /* the IPv4 address it listens on (127.0.0.1 unless its lab
	                            * gives it one); `move` changes it */
	int           moves;       /* times it was moved to another address */
};

/* A process the nodes depend on (a Redis instance of a defined lab). */
struct dep {
	char          name[HC_NODE_MAX];
	int           port;
	pid_t         pid;
	int           exit_status;
	int           subject;     /* the node whose health depends on it alone, -1 if shared */
	int           kind;        /* enum lab_dep_kind */
};

/* A variable of a defined lab: PORT_FE, PORT_A, PORT_REDIS_A, LAB_DIR... */
struct lab_var {
	char name[32];
	char value[256];
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
	const char *labs_dir;      /* where contrib/labs/NNN/ are (defined labs) */
	const char *redis_bin;     /* redis-server (found in PATH by default) */
	const char *dnsmasq_bin;   /* dnsmasq (/usr/sbin/dnsmasq, else found in PATH) */
	int         nominal_ports; /* defined labs: the lab's own ports when free (the demo) */
	const char *env;           /* defined labs: one more NAME=VALUE for tandem, or NULL */
};

struct lab {
	struct lab_opts o;
	const struct lab_def *def; /* a defined lab, NULL for a generated one */
	int         managed;       /* 1: chaos started the processes */
	int         n;
	struct node node[MAX_NODES];
	int         ndep;
	struct dep  dep[MAX_DEPS];
	pid_t       tandem_pid;
	int         tandem_exit;   /* wait status when it exited on its own, else -1 */
	int         fe_port, stats_port;
	char        backend[64];   /* the backend whose servers are the nodes */
	char        more_backends[128]; /* other backends serving nodes (a lab routing by path), "" none */
	char        stats_path[64];/* stats CSV path ("/stats;csv") */
	char        load_path[128];/* default path of the load */
	char        cfg[512];      /* tandem's configuration file */
	char        admin_sock[300]; /* tandem's admin socket (runtime API), "" if none */
	int         nvar;
	struct lab_var var[MAX_VARS];
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
/* The same for a defined lab (its nodes, its Redis instances, tandem on
 * <labs_dir>/<id>/tandem.cfg with the ports in the environment). */
int lab_start_def(struct lab *lab, const struct lab_def *def, const struct lab_opts *o, struct loop *l);
/* Node names (and dependency names) of a lab before it exists, to check a
 * fault plan: a generated lab of <n> nodes, or <def>'s. */
void lab_preview(struct lab *lab, int n, const struct lab_def *def);
/* Set a variable (defined labs). */
void lab_set_var(struct lab *lab, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* <prefix><NAME>: the name upper-cased, other characters than letters and
 * digits made '_' ("PORT_", "redis-A" -> "PORT_REDIS_A"). */
void lab_var_name(const char *prefix, const char *name, char *out, size_t len);
/* Expand ${NAME} in <in> from the lab's variables. 0, or -1 with <out>
 * holding the error (unknown variable, too long). */
int lab_expand(const struct lab *lab, const char *in, char *out, size_t cap);
/* Start a `dynamic` node (action add): spawn it. 0 or -1. */
int lab_spawn_node(struct lab *lab, int i, char *err, size_t errlen);
/* Dependencies: find by name, signal, restart (on the same port). */
int lab_find_dep(const struct lab *lab, const char *name);
int lab_signal_dep(struct lab *lab, int i, int sig, char *err, size_t errlen);
int lab_restart_dep(struct lab *lab, int i, char *err, size_t errlen);
/* Start node <i> again on another address (a container restarted with a
 * new IP): killed if it runs, started on its address with the third byte
 * moved up (127.0.0.11 -> 127.0.1.11), and every DNS dependency told the
 * new address. 0 or -1. */
int lab_move(struct lab *lab, int i, char *err, size_t errlen);
/* Does <file> in the lab's directory contain <needle>? */
int lab_log_has(const struct lab *lab, const char *file, const char *needle);
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
