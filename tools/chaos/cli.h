/* The command line of tandem-chaos, parsed once, and the ways to use it: a
 * single run (lab or target mode), a playbook, and a lab held for a demo. */
#ifndef CHAOS_CLI_H
#define CHAOS_CLI_H
#include <tandem/loop-t.h>
#include "lab.h"
#include "plan.h"
#include "run.h"

struct lab_def;

struct cli {
	int         lab_nodes;          /* --lab N; 0 in target mode */
	const struct lab_def *lab_def;  /* --lab NNN: a lab of the seeds */
	const char *demo;               /* --demo NNN: start the lab, print its playbook, hold it */
	const char *url;                /* --url (target mode) */
	const char *playbook;           /* --playbook NAME */
	const char *admin_sock;         /* --admin-socket (target mode) */
	int         conns_set;          /* --conns/-c given */
	int         duration_set;       /* --duration given */
	const char *path;               /* --path, NULL: the URL's, or /read */
	struct lab_opts lab;
	struct run_opts run;            /* load options, duration, slow */
	const char *faults[MAX_FAULTS];
	int         nfaults;
	const char *plan_file;
	const char *nodes[MAX_NODES];   /* --node NAME=PID:URL */
	int         nnodes;
	const char *stats_url;          /* target mode: tandem's stats CSV */
	const char *json, *chart;       /* output files, "-" for stdout */
	int         verbose;
};

/* Parse argv into <c>. Returns 0, or 2 after printing the problem (or 1
 * after printing the help, which is not an error: exit 0). */
int cli_parse(struct cli *c, int argc, char **argv);
/* Write the JSON and chart files the options ask for. <json_runs> is
 * written by the caller-supplied function when not NULL. 0 or -1. */
int write_outputs(const struct cli *c, const struct run *const *runs, int n, const char *title,
		  void (*json)(FILE *f, void *ctx), void *ctx);
/* Start a defined lab (nominal ports when free), print its playbook.txt
 * with the real ports, then follow tandem's log until Ctrl-C. Exit status
 * 0, or 1 if the lab did not start. */
int demo_run(const struct cli *c, struct loop *l);

#endif
