/* The playbook machinery (see playbook.h): for each scenario of a table, a
 * fresh lab (generated, or the playbook's defined lab), its faults, one run,
 * the scenario's judge (which may also probe the lab while it still runs),
 * PASS/FAIL per check, and one JSON document and chart for the whole. */
#include <stdio.h>
#include <string.h>
#include <tandem/clock.h>
#include "chaos.h"
#include "playbook.h"
#include "report.h"

#define MAX_SCEN 16

void pb_check(struct scen_res *s, const char *what, double v, const char *cmp, double lo, double hi,
	      const char *unit, int info)
{
	struct check *k;

	if (s->n == MAX_CHECKS)
		return;
	k = &s->ck[s->n++];
	snprintf(k->what, sizeof(k->what), "%s", what);
	k->value = v;
	k->cmp = cmp;
	k->lo = lo;
	k->hi = hi;
	k->unit = unit;
	k->info = info;
	if (v < 0 && strcmp(unit, "%"))
		k->pass = 0;                   /* "never" misses every limit */
	else if (!strcmp(cmp, "<="))
		k->pass = v <= hi;
	else if (!strcmp(cmp, "<"))
		k->pass = v < hi;
	else if (!strcmp(cmp, "=="))
		k->pass = v == hi;
	else if (!strcmp(cmp, ">"))
		k->pass = v > lo;
	else
		k->pass = v >= lo && v <= hi;
}

void pb_errors_zero(struct pb_ctx *x)
{
	pb_check(x->s, "client errors", (double)x->r->m.err, "==", 0, 0, "", 0);
}

int pb_split(struct pb_ctx *x, const char *path, int n, int *per_node)
{
	struct target fe;
	char node[HC_NODE_MAX];
	int i, ok = 0;

	memset(per_node, 0, sizeof(int) * (size_t)x->lab->n);
	target_local(&fe, x->lab->fe_port, path);
	for (i = 0; i < n && !chaos_interrupted; i++) {
		int st = hc_request(x->l, &fe, "GET", path, 2000, NULL, 0, node, NULL);
		int k = lab_find(x->lab, node);

		if (st >= 200 && st < 300) {
			ok++;
			if (k >= 0)
				per_node[k]++;
		}
	}
	return ok;
}

int pb_fe_status(struct pb_ctx *x, const char *method, const char *path)
{
	struct target fe;

	target_local(&fe, x->lab->fe_port, path);
	return hc_request(x->l, &fe, method, path, 2000, NULL, 0, NULL, NULL);
}

int pb_fe_node(struct pb_ctx *x, const char *method, const char *path, char *node)
{
	struct target fe;

	node[0] = 0;
	target_local(&fe, x->lab->fe_port, path);
	return hc_request(x->l, &fe, method, path, 2000, NULL, 0, node, NULL);
}

int pb_node_status(struct pb_ctx *x, const char *name, const char *method, const char *path)
{
	int k = lab_find(x->lab, name);

	if (k < 0)
		return -1;
	return hc_request(x->l, &x->lab->node[k].direct, method, path, 2000, NULL, 0, NULL, NULL);
}

double pb_share(struct pb_ctx *x, const char *name, uint64_t from_ms, uint64_t to_ms)
{
	struct wsum w;
	int k = meas_node((struct meas *)&x->r->m, name);

	meas_sum(&x->r->m, from_ms, to_ms, &w);
	return k >= 0 && w.answered ? 100.0 * w.nodes[k] / w.answered : 0;
}

uint64_t pb_fault_ms(struct pb_ctx *x, int k)
{
	const struct fault *f = &x->r->plan.f[k];

	return f->state == FS_DONE ? f->t_ms : f->at_ms;
}

/* ---- running ---- */

static struct run runs[MAX_SCEN];
static struct scen_res results[MAX_SCEN];
static struct lab labs[MAX_SCEN];

static void print_check(const struct check *k)
{
	char v[32], lim[48];

	if (k->value < 0 && strcmp(k->unit, "%"))
		snprintf(v, sizeof(v), "never");
	else
		snprintf(v, sizeof(v), "%.*f%s%s", strcmp(k->unit, "%") ? 0 : 1, k->value,
			 *k->unit ? " " : "", k->unit);
	if (!strcmp(k->cmp, "in"))
		snprintf(lim, sizeof(lim), "%.0f..%.0f%s%s", k->lo, k->hi, *k->unit ? " " : "", k->unit);
	else if (!strcmp(k->cmp, ">"))
		snprintf(lim, sizeof(lim), "> %.0f%s%s", k->lo, *k->unit ? " " : "", k->unit);
	else
		snprintf(lim, sizeof(lim), "%s %.0f%s%s", k->cmp, k->hi, *k->unit ? " " : "", k->unit);
	printf("    %-5s %-58s %10s   (%s %s)\n", k->info ? "info" : k->pass ? "PASS" : "FAIL",
	       k->what, v, k->info ? "expected" : "limit", lim);
}

static int start_lab(const struct cli *c, struct loop *l, const struct playbook *pb,
		     const struct scenario *sc, struct lab *lab)
{
	struct lab_opts lo = c->lab;

	if (pb->lab) {
		lo.env = sc->env;
		return lab_start_def(lab, pb->lab, &lo, l);
	}
	lo.nodes = sc->nodes;
	memcpy(lo.weights, sc->weights, sizeof(lo.weights));
	if (sc->retry_on)
		snprintf(lo.retry_on, sizeof(lo.retry_on), "%s", sc->retry_on);
	if (sc->server_extra)
		snprintf(lo.server_extra, sizeof(lo.server_extra), "%s", sc->server_extra);
	if (sc->backend_extra)
		snprintf(lo.backend_extra, sizeof(lo.backend_extra), "%s", sc->backend_extra);
	return lab_start(lab, &lo, l);
}

static int run_scenario(const struct cli *c, struct loop *l, const struct playbook *pb, int i)
{
	const struct scenario *sc = &pb->sc[i];
	struct scen_res *s = &results[i];
	struct run *r = &runs[i];
	struct lab *lab = &labs[i];
	struct pb_ctx x = { c, l, lab, r, s };
	char err[300];
	const char *path;
	int f, k;

	printf("[%d/%d] %s: %s\n", i + 1, pb->n, sc->name, sc->desc);
	fflush(stdout);
	memset(r, 0, sizeof(*r));
	r->o = c->run;
	r->o.duration_ms = sc->duration_ms;
	if (sc->conns)
		r->o.load.conns = sc->conns;
	r->o.load.count = sc->count;
	if (sc->post_ratio > 0)
		r->o.load.post_ratio = sc->post_ratio;
	r->o.load.nstages = 0;
	if (sc->stages && stages_parse(&r->o.load, sc->stages) < 0) {
		snprintf(s->err, sizeof(s->err), "bad stages '%s' in the table", sc->stages);
		printf("    FAIL  %s\n  => FAIL\n", s->err);
		return 0;
	}
	if (sc->stages)
		r->o.duration_ms = stages_ms(&r->o.load);
	if (sc->count && !r->o.duration_ms)
		r->o.duration_ms = 60000;   /* a bound, not the expected length */
	snprintf(r->title, sizeof(r->title), "%s: %s", sc->name, sc->desc);
	if (start_lab(c, l, pb, sc, lab) < 0) {
		snprintf(s->err, sizeof(s->err), "lab did not start: %s", lab->err);
		printf("    FAIL  %s\n  => FAIL\n", s->err);
		return 0;
	}
	for (f = 0; f < PB_FAULTS && sc->faults[f]; f++)
		if (plan_parse(&r->plan, lab, sc->faults[f], err, sizeof(err)) < 0) {
			snprintf(s->err, sizeof(s->err), "%s", err);   /* a bug in the table */
			lab_stop(lab, 0);
			printf("    FAIL  %s\n  => FAIL\n", s->err);
			return 0;
		}
	path = c->path ? c->path : sc->path ? sc->path : lab->load_path;
	target_local(&r->o.load.dst, lab->fe_port, path);
	target_local(&r->o.stats, lab->stats_port, lab->stats_path);
	snprintf(r->o.backend, sizeof(r->o.backend), "%s", lab->backend);
	r->o.has_stats = 1;
	r->lab = lab;
	if (run_exec(r, l) < 0) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		lab_stop(lab, 0);
		return 0;
	}
	s->ran = 1;
	sc->judge(&x);
	if (r->tandem_died)
		snprintf(s->err, sizeof(s->err), "tandem exited during the run (%.2f s)",
			 r->tandem_died_ms / 1000.0);
	for (f = 0; f < r->plan.n; f++)
		if (r->plan.f[f].state != FS_DONE && !s->err[0])
			snprintf(s->err, sizeof(s->err), "fault %s %s failed: %s", fact_name(r->plan.f[f].act),
				 fault_target(&r->plan, &r->plan.f[f]), r->plan.f[f].msg);
	if (lab_stop(lab, 1) && !s->err[0])
		snprintf(s->err, sizeof(s->err), "sanitizer report: %s", lab->san);
	s->pass = !s->err[0] && !r->interrupted;
	for (k = 0; k < s->n; k++)
		if (!s->ck[k].info && !s->ck[k].pass)
			s->pass = 0;
	if (c->verbose)
		report_text(stdout, r);
	for (k = 0; k < s->n; k++)
		print_check(&s->ck[k]);
	if (s->err[0])
		printf("    FAIL  %s\n", s->err);
	printf("    (%llu requests, %llu errors, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, p99.9 %.1f ms)\n"
	       "  => %s\n", (unsigned long long)r->m.done, (unsigned long long)r->m.err,
	       hist_pct(&r->m.all, 50) / 1000.0, hist_pct(&r->m.all, 95) / 1000.0,
	       hist_pct(&r->m.all, 99) / 1000.0, hist_pct(&r->m.all, 99.9) / 1000.0,
	       s->pass ? "PASS" : "FAIL");
	if (s->pass && !c->lab.keep)
		lab_remove_dir(lab);
	else if (!c->lab.keep)
		printf("    (config and logs kept in %s)\n", lab->dir);
	fflush(stdout);
	return 1;
}

struct pb_json {
	const struct cli      *c;
	const struct playbook *pb;
	int                    pass;
	uint64_t               elapsed_ms;
};

static void json_out(FILE *f, void *ctx)
{
	struct pb_json *p = ctx;
	int i, k;

	fprintf(f, "{\"playbook\":");
	json_str(f, p->pb->name);
	fprintf(f, ",\"title\":");
	json_str(f, p->pb->title);
	fprintf(f, ",\"pass\":%s,\"elapsed_ms\":%llu,", p->pass ? "true" : "false",
		(unsigned long long)p->elapsed_ms);
	if (p->pb->lab) {
		fprintf(f, "\"lab\":");
		json_str(f, p->pb->lab->id);
		fprintf(f, ",\"seed\":");
		json_str(f, p->pb->lab->seed);
		fprintf(f, ",\"settings\":{\"conns\":%d}", p->c->run.load.conns);
	} else {
		fprintf(f, "\"settings\":{\"checks\":%s,\"inter_ms\":%u,\"fastinter_ms\":%u,\"fall\":%u,"
			"\"rise\":%u,\"retries\":%u,\"retry_on\":",
			p->c->lab.checks ? "true" : "false", p->c->lab.inter_ms, p->c->lab.fastinter_ms,
			p->c->lab.fall, p->c->lab.rise, p->c->lab.retries);
		json_str(f, p->c->lab.retry_on);
		fputc('}', f);
	}
	fprintf(f, ",\"scenarios\":[");
	for (i = 0; i < p->pb->n; i++) {
		const struct scen_res *s = &results[i];
		fprintf(f, "%s{\"name\":\"%s\",\"description\":", i ? "," : "", p->pb->sc[i].name);
		json_str(f, p->pb->sc[i].desc);
		fprintf(f, ",\"pass\":%s,\"error\":", s->pass ? "true" : "false");
		if (s->err[0])
			json_str(f, s->err);
		else
			fprintf(f, "null");
		fprintf(f, ",\"checks\":[");
		for (k = 0; k < s->n; k++) {
			const struct check *ck = &s->ck[k];
			fprintf(f, "%s{\"what\":", k ? "," : "");
			json_str(f, ck->what);
			fprintf(f, ",\"value\":%.3f,\"cmp\":\"%s\",\"lo\":%.3f,\"hi\":%.3f,\"unit\":\"%s\","
				"\"info\":%s,\"pass\":%s}", ck->value, ck->cmp, ck->lo, ck->hi, ck->unit,
				ck->info ? "true" : "false", ck->pass ? "true" : "false");
		}
		fprintf(f, "],\"run\":");
		if (s->ran)
			report_json(f, &runs[i]);
		else
			fprintf(f, "null");
		fputc('}', f);
	}
	fprintf(f, "]}");
}

int playbook_run(const struct cli *c, struct loop *l, const struct playbook *pb)
{
	const struct run *done[MAX_SCEN];
	struct pb_json pj = { c, pb, 1, 0 };
	uint64_t t0 = clock_mono_us();
	char title[160];
	int i, nd = 0, failed = 0;

	if (pb->n > MAX_SCEN)
		return 1;
	memset(results, 0, sizeof(results));
	if (pb->lab)
		printf("lab %s playbook: %s (%s); %d keep-alive connections unless a scenario says "
		       "otherwise\n", pb->name, pb->title, pb->lab->seed, c->run.load.conns);
	else
		printf("seeds playbook: checks %s (inter %ums fastinter %ums fall %u rise %u), retries %u, "
		       "retry-on '%s', %d keep-alive connections on GET %s\n",
		       c->lab.checks ? "on" : "OFF", c->lab.inter_ms, c->lab.fastinter_ms, c->lab.fall,
		       c->lab.rise, c->lab.retries, c->lab.retry_on, c->run.load.conns,
		       c->path ? c->path : "/read");
	for (i = 0; i < pb->n && !chaos_interrupted; i++) {
		if (run_scenario(c, l, pb, i))
			done[nd++] = &runs[i];
		if (!results[i].pass)
			failed++;
	}
	failed += pb->n - i;   /* interrupted: the rest did not run */
	pj.pass = !failed;
	pj.elapsed_ms = (clock_mono_us() - t0) / 1000;
	printf("\n%s%s playbook: %d passed, %d failed (%.1f s):", pb->lab ? "lab " : "", pb->name,
	       pb->n - failed, failed, pj.elapsed_ms / 1000.0);
	for (i = 0; i < pb->n; i++)
		printf(" %s=%s", pb->sc[i].name, results[i].pass ? "PASS" : "FAIL");
	printf("\n");
	snprintf(title, sizeof(title), "tandem-chaos: %s playbook", pb->name);
	if (write_outputs(c, done, nd, title, json_out, &pj) < 0)
		failed++;
	for (i = 0; i < pb->n; i++)
		run_free(&runs[i]);
	return failed ? 1 : 0;
}
