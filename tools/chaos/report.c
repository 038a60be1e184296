/* The human report (see report.h). */
#include <string.h>
#include "report.h"

static double us_ms(uint64_t us)
{
	return (double)us / 1000.0;
}

/* "reset:2 503:10", or "-" when there is no error. */
static void kinds_str(const uint32_t *kind, const struct codes *c, char *out, size_t len)
{
	size_t o = 0;
	int k, i;

	out[0] = 0;
	for (k = 0; k < EK_HTTP; k++)
		if (kind[k] && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s:%u", o ? " " : "", ek_name(k), kind[k]);
	for (i = 0; i < MAX_CODES && c->code[i]; i++)
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%u:%u", o ? " " : "", c->code[i], c->n[i]);
	if (c->other && o < len)
		o += (size_t)snprintf(out + o, len - o, "%sother:%u", o ? " " : "", c->other);
	if (!o)
		snprintf(out, len, "-");
}

static void seconds_table(FILE *f, const struct run *r)
{
	const struct meas *m = &r->m;
	size_t s, n = meas_secs(m);
	int i;

	fprintf(f, "%5s %7s %7s %6s %8s %8s %8s %8s %8s ", "t(s)", "req/s", "ok", "err", "p50", "p95", "p99",
		"p99.9", "max");
	for (i = 0; i < m->nnodes; i++)
		fprintf(f, " %5s", m->names[i]);
	fprintf(f, "  errors by kind\n");
	for (s = 0; s < n; s++) {
		const struct sec *x = &m->sec[s];
		uint32_t ans = x->no_node;
		char kinds[160];

		for (i = 0; i < m->nnodes; i++)
			ans += x->nodes[i];
		kinds_str(x->kind, &x->codes, kinds, sizeof(kinds));
		fprintf(f, "%5zu %7u %7u %6u %8.1f %8.1f %8.1f %8.1f %8.1f ", s, x->done, x->ok, x->err,
			us_ms(hist_pct(&x->h, 50)), us_ms(hist_pct(&x->h, 95)), us_ms(hist_pct(&x->h, 99)),
			us_ms(hist_pct(&x->h, 99.9)), us_ms(x->h.max_us));
		for (i = 0; i < m->nnodes; i++) {
			if (ans)
				fprintf(f, " %4.0f%%", 100.0 * x->nodes[i] / ans);
			else
				fprintf(f, " %5s", "-");
		}
		fprintf(f, "  %s\n", kinds);
	}
	fprintf(f, "(latencies in ms; node columns: share of the answers that second)\n");
}

static void ms_cell(FILE *f, int64_t v)
{
	char b[32];

	if (v == -2)
		fprintf(f, " %10s", "n/a");
	else if (v == -1)
		fprintf(f, " %10s", "never");
	else
		fprintf(f, " %10s", fmt_ms((double)v, b, sizeof(b)));
}

static void faults_table(FILE *f, const struct run *r)
{
	int k;

	if (!r->plan.n)
		return;
	fprintf(f, "\nfaults (ms from the fault; detect = last answer from the node / tandem says DOWN;\n"
		"        recover = first answer / share back to %.0f%% of normal / tandem says UP)\n",
		RECOVER_FRACTION * 100);
	fprintf(f, "%8s  %-16s %10s %10s %10s %10s %10s %7s %6s %10s  %s\n", "at", "fault",
		"detect", "detect-lb", "first", "share", "up-lb", "errors", "slow", "max-lat", "note");
	for (k = 0; k < r->plan.n; k++) {
		const struct fault *x = &r->plan.f[k];
		const struct fault_res *res = &r->res[k];
		char label[64], at[32], lat[32];

		fault_label(&r->plan, x, label, sizeof(label));
		fmt_ms((double)(x->state == FS_DONE ? x->t_ms : x->at_ms), at, sizeof(at));
		fprintf(f, "%8s  %-16s", at, label);
		ms_cell(f, res->detect_traffic_ms);
		ms_cell(f, res->detect_lb_ms);
		ms_cell(f, res->recover_first_ms);
		ms_cell(f, res->recover_share_ms);
		ms_cell(f, res->recover_lb_ms);
		fprintf(f, " %7u %6u %10s  %s\n", res->errors, res->slow,
			fmt_ms(us_ms(res->max_lat_us), lat, sizeof(lat)),
			x->state == FS_DONE ? "" : x->msg);
	}
}

static void totals(FILE *f, const struct run *r)
{
	const struct meas *m = &r->m;
	uint32_t kind[EK_MAX];
	uint64_t ans = m->no_node;
	char kinds[200];
	int i;

	for (i = 0; i < EK_MAX; i++)
		kind[i] = (uint32_t)m->kind[i];
	kinds_str(kind, &m->codes, kinds, sizeof(kinds));
	fprintf(f, "\ntotal: %llu requests in %.1f s (%.0f/s), %llu ok, %llu errors (%s), %llu unfinished\n",
		(unsigned long long)m->done, m->used_ms / 1000.0,
		m->used_ms ? m->done * 1000.0 / m->used_ms : 0.0, (unsigned long long)m->ok,
		(unsigned long long)m->err, kinds, (unsigned long long)m->unfinished);
	fprintf(f, "latency: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms\n",
		us_ms(hist_pct(&m->all, 50)), us_ms(hist_pct(&m->all, 95)), us_ms(hist_pct(&m->all, 99)),
		us_ms(hist_pct(&m->all, 99.9)), us_ms(m->all.max_us));
	for (i = 0; i < m->nnodes; i++)
		ans += m->nodes[i];
	fprintf(f, "share:");
	for (i = 0; i < m->nnodes; i++)
		fprintf(f, " %s %.1f%%", m->names[i], ans ? 100.0 * m->nodes[i] / ans : 0.0);
	fprintf(f, "  (answers without X-Node: %llu)\n", (unsigned long long)m->no_node);
	if (r->has_lb) {
		fprintf(f, "tandem's view:");
		for (i = 0; i < r->lb.n; i++)
			fprintf(f, "%s %.2fs %s %s", i ? ";" : "", r->lb.ev[i].t_ms / 1000.0,
				r->lab->node[r->lb.ev[i].node].name, r->lb.ev[i].status);
		fprintf(f, "%s\n", r->lb.n ? "" : " (no server row found in the stats CSV)");
	}
	if (r->tandem_died)
		fprintf(f, "!! tandem exited during the run, at %.2f s\n", r->tandem_died_ms / 1000.0);
	if (r->interrupted)
		fprintf(f, "!! interrupted\n");
}

void report_text(FILE *f, const struct run *r)
{
	if (r->title[0])
		fprintf(f, "== %s\n", r->title);
	seconds_table(f, r);
	faults_table(f, r);
	totals(f, r);
}
