/* The seeds playbook: the lab notes' scenarios, each on a fresh lab, each
 * judged against thresholds derived from the check settings (see
 * doc/chaos.md for the reasoning behind every number). */
#include <stdio.h>
#include <string.h>
#include <tandem/clock.h>
#include "chaos.h"
#include "cli.h"
#include "report.h"

#define MAX_CHECKS 6
#define NSCEN      8
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

struct scenario {
	const char *name;
	const char *desc;
	int         nodes;
	int         weights[MAX_NODES];
	uint64_t    duration_ms;
	const char *faults[4];
	void      (*judge)(const struct cli *c, const struct run *r, struct scen_res *s);
	const char *retry_on;      /* replaces the lab's retry-on, NULL = keep */
	const char *server_extra;  /* added to every server line, NULL = none */
	const char *backend_extra; /* one more backend line, NULL = none */
};

static void add(struct scen_res *s, const char *what, double v, const char *cmp, double lo,
		double hi, const char *unit, int info)
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

static unsigned detect_limit(const struct cli *c)
{
	/* first failed check within one inter, the others fastinter apart */
	return c->lab.inter_ms + c->lab.fall * c->lab.fastinter_ms + MARGIN_MS;
}

static void errors_zero(const struct run *r, struct scen_res *s)
{
	add(s, "client errors", (double)r->m.err, "==", 0, 0, "", 0);
}

static void judge_kill(const struct cli *c, const struct run *r, struct scen_res *s)
{
	(void)c;
	errors_zero(r, s);
	add(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<", 0, 1000, "ms", 0);
	add(s, "last answer from A after", (double)r->res[0].detect_traffic_ms, "<", 0, 1000, "ms", 1);
}

static void judge_recover(const struct cli *c, const struct run *r, struct scen_res *s)
{
	double lim = (double)c->lab.rise * c->lab.inter_ms + 500;

	errors_zero(r, s);
	add(s, "A's share back to 70% of normal after", (double)r->res[1].recover_share_ms, "<=", 0,
	    lim, "ms", 0);
	add(s, "first answer from A after restart", (double)r->res[1].recover_first_ms, "<=", 0, lim,
	    "ms", 1);
	add(s, "tandem marks A UP after", (double)r->res[1].recover_lb_ms, "<=", 0, lim, "ms", 1);
}

static void judge_hang(const struct cli *c, const struct run *r, struct scen_res *s)
{
	struct wsum w;

	errors_zero(r, s);
	meas_sum(&r->m, 0, r->m.used_ms, &w);
	add(s, "slow requests (>= --slow)", (double)w.slow, "<=", 0, c->run.load.conns, "", 0);
	/* each check to a hung node waits for its timeout (inter, as in HAProxy
	 * without `timeout check`) */
	add(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0,
	    c->lab.inter_ms + c->lab.fall * (double)c->lab.inter_ms +
	    (c->lab.fall - 1) * (double)c->lab.fastinter_ms + MARGIN_MS, "ms", 1);
	add(s, "max latency", r->m.all.max_us / 1000.0, "<=", 0, 5000, "ms", 1);
}

static void judge_zombie(const struct cli *c, const struct run *r, struct scen_res *s)
{
	errors_zero(r, s);
	add(s, "last request served by A after", (double)r->res[0].detect_traffic_ms, "<=", 0,
	    detect_limit(c), "ms", 0);
	add(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, detect_limit(c),
	    "ms", 1);
}

static void judge_graceful(const struct cli *c, const struct run *r, struct scen_res *s)
{
	errors_zero(r, s);
	add(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, detect_limit(c),
	    "ms", 1);
	add(s, "last answer from A after", (double)r->res[0].detect_traffic_ms, "<=", 0,
	    c->lab.drain_ms + 1000.0, "ms", 1);
}

/* A storm of 500s from A: retried elsewhere (retry-on 500), and A ejected
 * by passive checks (observe layer7) while its /health still says 200. */
static void judge_storm(const struct cli *c, const struct run *r, struct scen_res *s)
{
	(void)c;
	errors_zero(r, s);
	add(s, "last request served by A after", (double)r->res[0].detect_traffic_ms, "<=", 0,
	    1000, "ms", 0);
}

static void judge_weighted(const struct cli *c, const struct run *r, struct scen_res *s)
{
	uint64_t ans = r->m.nodes[0] + r->m.nodes[1];

	(void)c;
	errors_zero(r, s);
	add(s, "A's share (weight 3 of 4)", ans ? 100.0 * r->m.nodes[0] / ans : 0, "in", 70, 80, "%", 0);
}

static void judge_alldown(const struct cli *c, const struct run *r, struct scen_res *s)
{
	uint64_t t = r->plan.f[0].state == FS_DONE ? r->plan.f[0].t_ms : 0;
	struct wsum w, late;
	uint64_t hard = r->m.kind[EK_CONNECT] + r->m.kind[EK_RESET] + r->m.kind[EK_CLOSED] +
			r->m.kind[EK_TIMEOUT] + r->m.kind[EK_BAD];

	(void)c;
	meas_sum(&r->m, t, r->m.used_ms, &w);
	meas_sum(&r->m, t + 200, r->m.used_ms, &late);
	add(s, "requests without an HTTP answer", (double)hard, "==", 0, 0, "", 0);
	add(s, "max latency after the kill", w.lat_max_us / 1000.0, "<=", 0, 1000, "ms", 0);
	add(s, "answers other than 503 from 200 ms after", (double)(late.done - late.s503), "==", 0, 0,
	    "", 0);
	add(s, "503 answers after the kill", (double)w.s503, ">", 0, 0, "", 1);
}

static const struct scenario scenarios[NSCEN] = {
	{ "kill", "SIGKILL node A under load: no client error, tandem detects it within 1 s",
	  3, {0}, 4000, { "1.5s:kill:A" }, judge_kill, NULL, NULL, NULL },
	{ "recover", "kill A, then start it again: its share comes back within rise x inter + 500 ms",
	  3, {0}, 5500, { "1s:kill:A", "2.5s:restart:A" }, judge_recover, NULL, NULL, NULL },
	{ "hang", "SIGSTOP A for 2.5 s, then SIGCONT: no error, at most --conns slow requests",
	  3, {0}, 6000, { "1s:stop:A", "3.5s:cont:A" }, judge_hang, NULL, NULL, NULL },
	{ "zombie", "A's /health fails while it still serves: no request reaches A after "
	  "inter + fall x fastinter + 300 ms", 3, {0}, 3500, { "1s:zombie:A" }, judge_zombie, NULL, NULL, NULL },
	{ "graceful", "SIGTERM A (tandem-app drains for --drain-ms): no client error",
	  3, {0}, 4500, { "1s:term:A" }, judge_graceful, NULL, NULL, NULL },
	{ "weighted", "two nodes weighted 3:1: A gets 75% +- 5%", 2, {3, 1}, 3000, { NULL },
	  judge_weighted, NULL, NULL, NULL },
	{ "alldown", "kill every node: clients get 503 within 1 s, never a hang or a reset",
	  3, {0}, 3500, { "1s:kill:A,B,C" }, judge_alldown, NULL, NULL, NULL },
	{ "storm500", "A answers 500 to everything but its /health: no client error (retry-on 500), "
	  "A ejected by max-fails (nginx's semantics) within 1 s", 3, {0}, 3500, { "1s:error500:A" },
	  judge_storm, "conn-failure empty-response 500 502 503 504", "max-fails 2 fail-timeout 10s",
	  /* a third of the traffic fails at once: the budget must cover it */
	  "retry-budget 50" },
};

static struct run runs[NSCEN];
static struct scen_res results[NSCEN];
static struct lab labs[NSCEN];

static void print_check(const struct check *k)
{
	char v[32], lim[48];

	if (k->value < 0 && strcmp(k->unit, "%"))
		snprintf(v, sizeof(v), "never");
	else
		snprintf(v, sizeof(v), "%.*f%s%s", strcmp(k->unit, "%") ? 0 : 1, k->value,
			 *k->unit ? " " : "", k->unit);
	if (!strcmp(k->cmp, "in"))
		snprintf(lim, sizeof(lim), "%.0f..%.0f %s", k->lo, k->hi, k->unit);
	else if (!strcmp(k->cmp, ">"))
		snprintf(lim, sizeof(lim), "> %.0f%s%s", k->lo, *k->unit ? " " : "", k->unit);
	else
		snprintf(lim, sizeof(lim), "%s %.0f%s%s", k->cmp, k->hi, *k->unit ? " " : "", k->unit);
	printf("    %-5s %-44s %12s   (%s %s)\n", k->info ? "info" : k->pass ? "PASS" : "FAIL",
	       k->what, v, k->info ? "expected" : "limit", lim);
}

static int run_scenario(const struct cli *c, struct loop *l, int i)
{
	const struct scenario *sc = &scenarios[i];
	struct scen_res *s = &results[i];
	struct run *r = &runs[i];
	struct lab *lab = &labs[i];
	struct lab_opts lo = c->lab;
	char err[300];
	int f, k;

	printf("[%d/%d] %s: %s\n", i + 1, NSCEN, sc->name, sc->desc);
	fflush(stdout);
	memset(r, 0, sizeof(*r));
	lo.nodes = sc->nodes;
	memcpy(lo.weights, sc->weights, sizeof(lo.weights));
	if (sc->retry_on)
		snprintf(lo.retry_on, sizeof(lo.retry_on), "%s", sc->retry_on);
	if (sc->server_extra)
		snprintf(lo.server_extra, sizeof(lo.server_extra), "%s", sc->server_extra);
	if (sc->backend_extra)
		snprintf(lo.backend_extra, sizeof(lo.backend_extra), "%s", sc->backend_extra);
	r->o = c->run;
	r->o.duration_ms = sc->duration_ms;
	snprintf(r->title, sizeof(r->title), "%s: %s", sc->name, sc->desc);
	if (lab_start(lab, &lo, l) < 0) {
		snprintf(s->err, sizeof(s->err), "lab did not start: %s", lab->err);
		printf("    FAIL  %s\n  => FAIL\n", s->err);
		return 0;
	}
	for (f = 0; f < 4 && sc->faults[f]; f++)
		if (plan_parse(&r->plan, lab, sc->faults[f], err, sizeof(err)) < 0) {
			snprintf(s->err, sizeof(s->err), "%s", err);   /* a bug in the table */
			lab_stop(lab, 0);
			return 0;
		}
	target_local(&r->o.load.dst, lab->fe_port, c->path ? c->path : "/read");
	target_local(&r->o.stats, lab->stats_port, "/stats;csv");
	r->o.has_stats = 1;
	r->lab = lab;
	if (run_exec(r, l) < 0) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		lab_stop(lab, 0);
		return 0;
	}
	s->ran = 1;
	sc->judge(c, r, s);
	if (r->tandem_died)
		snprintf(s->err, sizeof(s->err), "tandem exited during the run (%.2f s)",
			 r->tandem_died_ms / 1000.0);
	for (f = 0; f < r->plan.n; f++)
		if (r->plan.f[f].state != FS_DONE && !s->err[0])
			snprintf(s->err, sizeof(s->err), "fault %s %s failed: %s", fact_name(r->plan.f[f].act),
				 lab->node[r->plan.f[f].node].name, r->plan.f[f].msg);
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
	printf("    (%llu requests, %llu errors, p99 %.1f ms)\n  => %s\n",
	       (unsigned long long)r->m.done, (unsigned long long)r->m.err,
	       hist_pct(&r->m.all, 99) / 1000.0, s->pass ? "PASS" : "FAIL");
	if (s->pass && !c->lab.keep)
		lab_remove_dir(lab);
	else if (!c->lab.keep)
		printf("    (config and logs kept in %s)\n", lab->dir);
	fflush(stdout);
	return 1;
}

struct pb_json {
	const struct cli *c;
	int pass;
	uint64_t elapsed_ms;
};

static void json_out(FILE *f, void *ctx)
{
	struct pb_json *p = ctx;
	int i, k;

	fprintf(f, "{\"playbook\":\"seeds\",\"pass\":%s,\"elapsed_ms\":%llu,"
		"\"settings\":{\"checks\":%s,\"inter_ms\":%u,\"fastinter_ms\":%u,\"fall\":%u,\"rise\":%u,"
		"\"retries\":%u,\"retry_on\":",
		p->pass ? "true" : "false", (unsigned long long)p->elapsed_ms,
		p->c->lab.checks ? "true" : "false", p->c->lab.inter_ms, p->c->lab.fastinter_ms,
		p->c->lab.fall, p->c->lab.rise, p->c->lab.retries);
	json_str(f, p->c->lab.retry_on);
	fprintf(f, "},\"scenarios\":[");
	for (i = 0; i < NSCEN; i++) {
		const struct scen_res *s = &results[i];
		fprintf(f, "%s{\"name\":\"%s\",\"description\":", i ? "," : "", scenarios[i].name);
		json_str(f, scenarios[i].desc);
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

int playbook_run(const struct cli *c, struct loop *l)
{
	const struct run *done[NSCEN];
	struct pb_json pj = { c, 1, 0 };
	uint64_t t0 = clock_mono_us();
	int i, nd = 0, failed = 0;

	printf("seeds playbook: checks %s (inter %ums fastinter %ums fall %u rise %u), retries %u, "
	       "retry-on '%s', %d keep-alive connections on GET %s\n",
	       c->lab.checks ? "on" : "OFF", c->lab.inter_ms, c->lab.fastinter_ms, c->lab.fall,
	       c->lab.rise, c->lab.retries, c->lab.retry_on, c->run.load.conns,
	       c->path ? c->path : "/read");
	for (i = 0; i < NSCEN && !chaos_interrupted; i++) {
		if (run_scenario(c, l, i))
			done[nd++] = &runs[i];
		if (!results[i].pass)
			failed++;
	}
	failed += NSCEN - i;   /* interrupted: the rest did not run */
	pj.pass = !failed;
	pj.elapsed_ms = (clock_mono_us() - t0) / 1000;
	printf("\nseeds playbook: %d passed, %d failed (%.1f s):", NSCEN - failed, failed,
	       pj.elapsed_ms / 1000.0);
	for (i = 0; i < NSCEN; i++)
		printf(" %s=%s", scenarios[i].name, results[i].pass ? "PASS" : "FAIL");
	printf("\n");
	if (write_outputs(c, done, nd, "tandem-chaos: seeds playbook", json_out, &pj) < 0)
		failed++;
	for (i = 0; i < NSCEN; i++)
		run_free(&runs[i]);
	return failed ? 1 : 0;
}
