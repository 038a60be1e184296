/* tandem-chaos: the lab notes' verification playbook as a program. Starts
 * (or targets) a tandem with tandem-app nodes behind it, drives a closed
 * loop of clients through it, breaks nodes on a schedule, and reports what
 * the clients saw: errors by kind, latency, each node's share, and per
 * fault the time to detect and to recover. See doc/chaos.md.
 * This file: signals, the single-run modes (--lab, --url) and outputs. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/loop.h>
#include "chaos.h"
#include "cli.h"
#include "labdef.h"
#include "playbook.h"
#include "report.h"

volatile sig_atomic_t chaos_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	chaos_interrupted = 1;
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static FILE *open_out(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		fprintf(stderr, "tandem-chaos: cannot write %s\n", path);
	return f;
}

static int close_out(FILE *f)
{
	if (f == stdout)
		return fflush(f);
	return fclose(f);
}

int write_outputs(const struct cli *c, const struct run *const *runs, int n, const char *title,
		  void (*json)(FILE *f, void *ctx), void *ctx)
{
	FILE *f;
	int rc = 0;

	if (c->json && (f = open_out(c->json))) {
		if (json)
			json(f, ctx);
		else
			report_json(f, runs[0]);
		fputc('\n', f);
		rc |= close_out(f);
	} else if (c->json)
		rc = -1;
	if (c->chart && (f = open_out(c->chart))) {
		chart_html(f, runs, n, title);
		rc |= close_out(f);
	} else if (c->chart)
		rc = -1;
	return rc ? -1 : 0;
}

static int parse_plan(const struct cli *c, struct plan *p, const struct lab *lab)
{
	char err[300];
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < c->nfaults; i++)
		if (plan_parse(p, lab, c->faults[i], err, sizeof(err)) < 0)
			goto bad;
	if (c->plan_file && plan_load(p, lab, c->plan_file, err, sizeof(err)) < 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "tandem-chaos: %s\n", err);
	return -1;
}

static int single_run(struct cli *c, struct loop *l)
{
	static struct lab lab;
	static struct run r;
	FILE *out = c->json && !strcmp(c->json, "-") ? stderr : stdout;
	const struct run *runs[1] = { &r };
	int i, rc = 0;

	memset(&r, 0, sizeof(r));
	r.o = c->run;
	if (c->lab_nodes || c->lab_def) {
		lab_preview(&lab, c->lab_nodes, c->lab_def);
	} else {
		memset(&lab, 0, sizeof(lab));
		if (c->admin_sock)
			snprintf(lab.admin_sock, sizeof(lab.admin_sock), "%s", c->admin_sock);
		for (i = 0; i < c->nnodes; i++)
			if (lab_add_external(&lab, c->nodes[i]) < 0) {
				fprintf(stderr, "tandem-chaos: bad --node '%s' (want NAME=PID:URL, "
					"e.g. A=1234:http://127.0.0.1:9001)\n", c->nodes[i]);
				return 2;
			}
	}
	if (parse_plan(c, &r.plan, &lab) < 0)
		return 2;
	if (c->lab_nodes || c->lab_def) {
		if ((c->lab_def ? lab_start_def(&lab, c->lab_def, &c->lab, l) : lab_start(&lab, &c->lab, l)) < 0) {
			fprintf(stderr, "tandem-chaos: lab did not start: %s\n", lab.err);
			return 1;
		}
		target_local(&r.o.load.dst, lab.fe_port, c->path ? c->path : lab.load_path);
		target_local(&r.o.stats, lab.stats_port, lab.stats_path);
		snprintf(r.o.backend, sizeof(r.o.backend), "%s", lab.backend);
		r.o.has_stats = 1;
		if (c->lab_def)
			fprintf(out, "lab %s: %s; tandem on 127.0.0.1:%d (stats :%d), work dir %s\n",
				c->lab_def->id, c->lab_def->title, lab.fe_port, lab.stats_port, lab.dir);
		else
			fprintf(out, "lab: %d nodes, tandem on 127.0.0.1:%d (stats :%d), work dir %s\n",
				lab.n, lab.fe_port, lab.stats_port, lab.dir);
	}
	r.lab = &lab;
	{
		char who[96];
		if (c->lab_def)
			snprintf(who, sizeof(who), "lab %s", c->lab_def->id);
		else if (c->lab_nodes)
			snprintf(who, sizeof(who), "lab of %d nodes", lab.n);
		else
			snprintf(who, sizeof(who), "target %s", r.o.load.dst.hostport);
		char how[64];
		if (r.o.load.nstages)
			snprintf(how, sizeof(how), "%d stages from %d", r.o.load.nstages, r.o.load.conns);
		else
			snprintf(how, sizeof(how), "%d", r.o.load.conns);
		if (r.o.load.count)
			snprintf(r.title, sizeof(r.title), "%.60s: %llu requests over %s %s connections, GET %.40s%s",
				 who, (unsigned long long)r.o.load.count, how,
				 r.o.load.new_conn ? "new" : "keep-alive", r.o.load.dst.path,
				 r.o.load.post_ratio > 0 ? " + POST /write" : "");
		else
			snprintf(r.title, sizeof(r.title), "%.60s: %s %s connections, GET %.40s%s, %.1f s", who,
				 how, r.o.load.new_conn ? "new" : "keep-alive", r.o.load.dst.path,
				 r.o.load.post_ratio > 0 ? " + POST /write" : "", r.o.duration_ms / 1000.0);
	}
	if (run_exec(&r, l) < 0) {
		fprintf(stderr, "tandem-chaos: out of memory\n");
		rc = 1;
	} else {
		report_text(out, &r);
		if (write_outputs(c, runs, 1, "tandem-chaos report", NULL, NULL) < 0)
			rc = 1;
	}
	if (lab_stop(&lab, c->lab.keep)) {
		fprintf(stderr, "tandem-chaos: sanitizer report in the lab's logs: %s\n", lab.san);
		rc = 1;
	}
	run_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	static struct cli c;
	struct loop l;
	int rc;

	rc = cli_parse(&c, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	setup_signals();
	if (loop_init(&l, 0) < 0) {
		perror("tandem-chaos: event loop");
		return 1;
	}
	if (c.demo)
		rc = demo_run(&c, &l);
	else if (c.playbook)
		rc = playbook_run(&c, &l, playbook_find(c.playbook));
	else
		rc = single_run(&c, &l);
	loop_destroy(&l);
	if (chaos_interrupted && !rc)
		rc = 130;
	return rc;
}
