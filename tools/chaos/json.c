/* A run as JSON (see report.h). Written by hand: the shapes are fixed. */
#include <string.h>
#include "report.h"

static void jms(FILE *f, const char *key, int64_t v)
{
	if (v == -2)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%lld", key, (long long)v);
}

static void kinds(FILE *f, const uint64_t *k64, const uint32_t *k32, const struct codes *c)
{
	int k, i;

	fprintf(f, "\"kinds\":{");
	for (k = 0; k < EK_MAX; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", ek_name(k),
			(unsigned long long)(k64 ? k64[k] : k32[k]));
	fprintf(f, "},\"status\":{");
	for (i = 0; i < MAX_CODES && c->code[i]; i++)
		fprintf(f, "%s\"%u\":%u", i ? "," : "", c->code[i], c->n[i]);
	if (c->other)
		fprintf(f, "%s\"other\":%u", i ? "," : "", c->other);
	fputc('}', f);
}

static void lat(FILE *f, const struct hist *h)
{
	fprintf(f, "\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f",
		hist_pct(h, 50) / 1000.0, hist_pct(h, 95) / 1000.0, hist_pct(h, 99) / 1000.0,
		hist_pct(h, 99.9) / 1000.0, h->max_us / 1000.0);
}

static void totals(FILE *f, const struct run *r)
{
	const struct meas *m = &r->m;
	uint64_t ans = m->no_node;
	int i;

	for (i = 0; i < m->nnodes; i++)
		ans += m->nodes[i];
	fprintf(f, "\"totals\":{\"sent\":%llu,\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,"
		"\"unfinished\":%llu,\"posts\":%llu,\"no_node\":%llu,",
		(unsigned long long)m->sent, (unsigned long long)m->done, (unsigned long long)m->ok,
		(unsigned long long)m->err, (unsigned long long)m->unfinished,
		(unsigned long long)m->posts, (unsigned long long)m->no_node);
	kinds(f, m->kind, NULL, &m->codes);
	fputc(',', f);
	lat(f, &m->all);
	fprintf(f, ",\"answers\":{");
	for (i = 0; i < m->nnodes; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_str(f, m->names[i]);
		fprintf(f, ":%llu", (unsigned long long)m->nodes[i]);
	}
	fprintf(f, "},\"share\":{");
	for (i = 0; i < m->nnodes; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_str(f, m->names[i]);
		fprintf(f, ":%.4f", ans ? (double)m->nodes[i] / ans : 0.0);
	}
	fprintf(f, "}}");
}

static void seconds(FILE *f, const struct meas *m)
{
	size_t s, n = meas_secs(m);
	int i;

	fprintf(f, "\"seconds\":[");
	for (s = 0; s < n; s++) {
		const struct sec *x = &m->sec[s];
		fprintf(f, "%s{\"t\":%zu,\"requests\":%u,\"ok\":%u,\"errors\":%u,", s ? "," : "", s,
			x->done, x->ok, x->err);
		kinds(f, NULL, x->kind, &x->codes);
		fputc(',', f);
		lat(f, &x->h);
		fprintf(f, ",\"no_node\":%u,\"nodes\":{", x->no_node);
		for (i = 0; i < m->nnodes; i++) {
			fprintf(f, "%s", i ? "," : "");
			json_str(f, m->names[i]);
			fprintf(f, ":%u", x->nodes[i]);
		}
		fprintf(f, "}}");
	}
	fputc(']', f);
}

static void faults(FILE *f, const struct run *r)
{
	int k;

	fprintf(f, "\"faults\":[");
	for (k = 0; k < r->plan.n; k++) {
		const struct fault *x = &r->plan.f[k];
		const struct fault_res *res = &r->res[k];

		fprintf(f, "%s{\"at_ms\":%llu,\"t_ms\":", k ? "," : "", (unsigned long long)x->at_ms);
		if (x->state == FS_DONE)
			fprintf(f, "%llu", (unsigned long long)x->t_ms);
		else
			fprintf(f, "null");
		fprintf(f, ",\"action\":\"%s\",\"node\":", fact_name(x->act));
		json_str(f, fault_target(&r->plan, x));
		fprintf(f, ",\"ms\":%u,\"ok\":%s,\"error\":", x->ms, x->state == FS_DONE ? "true" : "false");
		if (x->state == FS_DONE)
			fprintf(f, "null");
		else
			json_str(f, x->msg);
		jms(f, "detect_traffic_ms", res->detect_traffic_ms);
		jms(f, "detect_lb_ms", res->detect_lb_ms);
		jms(f, "recover_first_ms", res->recover_first_ms);
		jms(f, "recover_share_ms", res->recover_share_ms);
		jms(f, "recover_lb_ms", res->recover_lb_ms);
		fprintf(f, ",\"window_end_ms\":%llu,\"requests\":%u,\"errors\":%u,\"slow\":%u,"
			"\"max_latency_ms\":%.3f,\"normal_share\":%.4f}",
			(unsigned long long)res->win_end_ms, res->done, res->errors, res->slow,
			res->max_lat_us / 1000.0, res->normal_share);
	}
	fputc(']', f);
}

static void lb_events(FILE *f, const struct run *r)
{
	int i;

	fprintf(f, "\"lb_events\":");
	if (!r->has_lb) {
		fprintf(f, "null");
		return;
	}
	fputc('[', f);
	for (i = 0; i < r->lb.n; i++) {
		fprintf(f, "%s{\"t_ms\":%llu,\"node\":", i ? "," : "", (unsigned long long)r->lb.ev[i].t_ms);
		json_str(f, r->lab->node[r->lb.ev[i].node].name);
		fprintf(f, ",\"status\":");
		json_str(f, r->lb.ev[i].status);
		fputc('}', f);
	}
	fputc(']', f);
}

void report_json(FILE *f, const struct run *r)
{
	const struct load_opts *lo = &r->o.load;
	int i;

	fprintf(f, "{\"title\":");
	json_str(f, r->title);
	fprintf(f, ",\"url\":\"http://%s", lo->dst.hostport);
	fprintf(f, "%s\",\"duration_ms\":%llu,\"run_ms\":%llu,\"conns\":%d,\"new_conn\":%s,"
		"\"rate\":%.3f,\"post_ratio\":%.3f,\"req_timeout_ms\":%llu,\"slow_ms\":%llu,\"count\":%llu,"
		"\"stages\":[",
		lo->dst.path, (unsigned long long)r->o.duration_ms, (unsigned long long)r->m.used_ms,
		lo->conns, lo->new_conn ? "true" : "false", lo->rate, lo->post_ratio,
		(unsigned long long)lo->req_timeout_ms, (unsigned long long)r->o.slow_ms,
		(unsigned long long)lo->count);
	for (i = 0; i < lo->nstages; i++)
		fprintf(f, "%s{\"ms\":%llu,\"conns\":%d}", i ? "," : "",
			(unsigned long long)lo->stages[i].ms, lo->stages[i].target);
	fprintf(f, "],\"nodes\":[");
	for (i = 0; i < r->m.nnodes; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_str(f, r->m.names[i]);
	}
	fprintf(f, "],\"tandem_died_ms\":");
	if (r->tandem_died)
		fprintf(f, "%llu", (unsigned long long)r->tandem_died_ms);
	else
		fprintf(f, "null");
	fprintf(f, ",\"interrupted\":%s,", r->interrupted ? "true" : "false");
	totals(f, r);
	fputc(',', f);
	faults(f, r);
	fputc(',', f);
	lb_events(f, r);
	fputc(',', f);
	seconds(f, &r->m);
	fputc('}', f);
}
