/* Playbooks: scenarios run one after another, each on a fresh lab, each
 * judged by its own checks. The machinery (playbook.c) is the same for the
 * seeds playbook (generated labs, pb_seeds.c) and for each lab of the seeds
 * (pb_NNN.c: a struct lab_def and its scenarios). Adding a lab is adding
 * contrib/labs/NNN/, a pb_NNN.c with its table, and one line in labs.c. */
#ifndef CHAOS_PLAYBOOK_H
#define CHAOS_PLAYBOOK_H
#include "cli.h"
#include "labdef.h"

#define MAX_CHECKS 16
#define PB_FAULTS  8
/* slack for measurement and scheduling on a busy machine */
#define MARGIN_MS  300

struct check {
	char        what[96];
	double      value;          /* -1: never happened */
	const char *cmp;            /* "<=", "<", "==", ">" (lo), "in" (lo..hi) */
	double      lo, hi;
	const char *unit;           /* "ms", "%", "" */
	int         info;           /* reported, not judged */
	int         pass;
};

struct scen_res {
	int          ran;
	char         err[1200];
	int          pass;
	int          n;
	struct check ck[MAX_CHECKS];
};

/* What a judge sees: the options, the loop (for probes), the lab (still
 * running: probes may ask its processes), the run and where to add checks. */
struct pb_ctx {
	const struct cli *c;
	struct loop      *l;
	struct lab       *lab;
	const struct run *r;
	struct scen_res  *s;
};

struct scenario {
	const char *name;
	const char *desc;
	/* generated labs (the seeds playbook) */
	int         nodes;
	int         weights[MAX_NODES];
	const char *retry_on;      /* replaces the lab's retry-on, NULL = keep */
	const char *server_extra;  /* added to every server line, NULL = none */
	const char *backend_extra; /* one more backend line, NULL = none */
	/* every lab */
	uint64_t    duration_ms;   /* 0 with count or stages */
	const char *faults[PB_FAULTS];
	void      (*judge)(struct pb_ctx *x);
	/* defined labs */
	const char *env;           /* NAME=VALUE given to tandem (e.g. BALANCE=leastconn) */
	const char *path;          /* what the load requests, NULL = the lab's */
	int         conns;         /* 0 = --conns */
	uint64_t    count;         /* ab's -n, 0 = none */
	const char *stages;        /* k6's stages "2s:10,3s:10", NULL = none */
	double      post_ratio;
};

struct playbook {
	const char            *name;    /* "seeds", "000" */
	const char            *title;
	const struct lab_def  *lab;     /* NULL: generated labs */
	const struct scenario *sc;
	int                    n;
};

/* The registry (labs.c). */
const struct playbook *playbook_find(const char *name);
const struct lab_def *labdef_find(const char *id);
/* "seeds 000 002" for messages. */
const char *playbook_names(void);
const char *labdef_ids(void);

/* Run <pb>. Exit status: 0 all passed, 1 a check missed or a scenario could
 * not run. */
int playbook_run(const struct cli *c, struct loop *l, const struct playbook *pb);

/* ---- for judges ---- */
void pb_check(struct scen_res *s, const char *what, double v, const char *cmp, double lo, double hi,
	      const char *unit, int info);
void pb_errors_zero(struct pb_ctx *x);
/* <n> sequential GET <path> through the frontend; answers per node into
 * <per_node> (lab node order); returns the number of 2xx answers. */
int pb_split(struct pb_ctx *x, const char *path, int n, int *per_node);
/* Status of <method> <path> sent through the frontend (-1 on error). */
int pb_fe_status(struct pb_ctx *x, const char *method, const char *path);
/* Status of <method> <path> (no body) sent through the frontend; the node
 * that answered (X-Node) into <node> (HC_NODE_MAX bytes). */
int pb_fe_node(struct pb_ctx *x, const char *method, const char *path, char *node);
/* Status of <method> <path> sent to node <name> directly (-1 on error). */
int pb_node_status(struct pb_ctx *x, const char *name, const char *method, const char *path);
/* Share (0..100) of node <name> among the answers in [from_ms, to_ms) of the run. */
double pb_share(struct pb_ctx *x, const char *name, uint64_t from_ms, uint64_t to_ms);
/* When fault <k> took effect (ms from the start of the load). */
uint64_t pb_fault_ms(struct pb_ctx *x, int k);

#endif
