/* The HTML timeline (see report.h): plain SVG drawn from the 100 ms ticks,
 * grouped into at most MAX_BINS bins, with no script, font or stylesheet
 * from outside so the file can be mailed or archived as is. */
#include <string.h>
#include "report.h"

#define W        960
#define LEFT     60
#define RIGHT    20
#define TOP1     40     /* requests/errors panel */
#define H1       150
#define TOP2     (TOP1 + H1 + 40)   /* share panel */
#define H2       120
#define HEIGHT   (TOP2 + H2 + 50)
#define MAX_BINS 300

static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2",
	"#ff9da7", "#9c755f", "#e15759", "#bab0ac", "#1f77b4", "#17becf",
	"#8c564b", "#2ca02c", "#d62728", "#9467bd",
};

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

struct bins {
	size_t n, per;       /* number of bins, ticks per bin */
	double span_s;       /* seconds per bin */
	double ms_total;
};

static double xpos(const struct bins *b, double ms)
{
	return LEFT + (W - LEFT - RIGHT) * (ms / (b->ms_total > 0 ? b->ms_total : 1));
}

static void bin_sum(const struct meas *m, const struct bins *b, size_t i, struct wsum *w)
{
	meas_sum(m, i * b->per * TICK_MS, (i + 1) * b->per * TICK_MS, w);
}

/* A rounded-up axis maximum: 1, 2, 5 x 10^k. */
static double nice_max(double v)
{
	double p = 1;

	if (v <= 0)
		return 1;
	while (p * 10 <= v)
		p *= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static void time_axis(FILE *f, const struct bins *b, int y)
{
	double step = b->ms_total > 20000 ? 5000 : b->ms_total > 8000 ? 2000 : 1000, t;

	fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#888'/>\n", LEFT, y, W - RIGHT, y);
	for (t = 0; t <= b->ms_total; t += step)
		fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>%.0fs</text>\n",
			xpos(b, t), y + 12, t / 1000);
}

static void rate_panel(FILE *f, const struct run *r, const struct bins *b)
{
	double max = 0, y0 = TOP1 + H1;
	struct wsum w;
	size_t i;
	int pass;

	for (i = 0; i < b->n; i++) {
		bin_sum(&r->m, b, i, &w);
		if (w.done / b->span_s > max)
			max = w.done / b->span_s;
	}
	max = nice_max(max);
	fprintf(f, "<text x='%d' y='%d' font-size='11'>requests/s (blue), errors/s (red); max %.0f/s</text>\n",
		LEFT, TOP1 - 8, max);
	fprintf(f, "<text x='%d' y='%d' font-size='10' text-anchor='end'>%.0f</text>\n", LEFT - 4, TOP1 + 4, max);
	fprintf(f, "<text x='%d' y='%.0f' font-size='10' text-anchor='end'>0</text>\n", LEFT - 4, y0);
	fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#eee'/>\n", LEFT, TOP1, W - RIGHT, TOP1);
	for (pass = 0; pass < 2; pass++) {
		fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='",
			pass ? "#d62728" : "#1f77b4");
		for (i = 0; i < b->n; i++) {
			double v;
			bin_sum(&r->m, b, i, &w);
			v = (pass ? w.err : w.done) / b->span_s;
			fprintf(f, "%.1f,%.1f ", xpos(b, (i + 0.5) * b->per * TICK_MS), y0 - H1 * v / max);
		}
		fprintf(f, "'/>\n");
	}
	time_axis(f, b, TOP1 + H1);
}

/* Value of stacking layer <j>: node j, or the proxy's own answers last. */
static double layer_val(const struct wsum *w, int j, int nnodes)
{
	return j < nnodes ? w->nodes[j] : w->no_node;
}

/* Height (0..1) of the top of layer <top> (exclusive) in bin <i>. */
static double stack_frac(const struct meas *m, const struct bins *b, size_t i, int top)
{
	struct wsum w;
	double below = 0, all;
	int j;

	bin_sum(m, b, i, &w);
	all = (double)w.answered + w.no_node;
	if (all <= 0)
		return 0;
	for (j = 0; j < top; j++)
		below += layer_val(&w, j, m->nnodes);
	return below / all;
}

static void share_panel(FILE *f, const struct run *r, const struct bins *b)
{
	const struct meas *m = &r->m;
	double y0 = TOP2 + H2;
	int layer, nl = m->nnodes + 1;   /* the last layer: answers without X-Node */
	size_t i;

	fprintf(f, "<text x='%d' y='%d' font-size='11'>share of answers per node "
		"(grey: answered by the proxy itself, e.g. 503)</text>\n", LEFT, TOP2 - 8);
	fprintf(f, "<text x='%d' y='%d' font-size='10' text-anchor='end'>100%%</text>\n", LEFT - 4, TOP2 + 4);
	for (layer = 0; layer < nl; layer++) {
		const char *color = layer < m->nnodes ? palette[layer % 16] : "#c7c7c7";
		fprintf(f, "<polygon fill='%s' stroke='none' points='", color);
		for (i = 0; i < b->n; i++)      /* upper edge, left to right */
			fprintf(f, "%.1f,%.1f ", xpos(b, (i + 0.5) * b->per * TICK_MS),
				y0 - H2 * stack_frac(m, b, i, layer + 1));
		for (i = b->n; i-- > 0;)        /* lower edge, right to left */
			fprintf(f, "%.1f,%.1f ", xpos(b, (i + 0.5) * b->per * TICK_MS),
				y0 - H2 * stack_frac(m, b, i, layer));
		fprintf(f, "'/>\n");
	}
	time_axis(f, b, TOP2 + H2);
	for (layer = 0; layer < m->nnodes; layer++) {
		int x = LEFT + layer * 70;
		fprintf(f, "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>"
			"<text x='%d' y='%d' font-size='11'>", x, HEIGHT - 14, palette[layer % 16], x + 14, HEIGHT - 5);
		esc(f, m->names[layer]);
		fprintf(f, "</text>\n");
	}
}

static void markers(FILE *f, const struct run *r, const struct bins *b)
{
	int k;

	for (k = 0; k < r->plan.n; k++) {
		const struct fault *x = &r->plan.f[k];
		char label[64];
		double px;

		if (x->state != FS_DONE)
			continue;
		px = xpos(b, (double)x->t_ms);
		fault_label(&r->plan, x, label, sizeof(label));
		fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#000' stroke-dasharray='4,3'/>\n",
			px, TOP1 - 4, px, TOP2 + H2);
		fprintf(f, "<text x='%.1f' y='%d' font-size='11' font-weight='bold'>", px + 3, TOP1 + 10 + 12 * (k % 4));
		esc(f, label);
		fprintf(f, "</text>\n");
	}
	for (k = 0; r->has_lb && k < r->lb.n; k++) {
		const struct lbev *e = &r->lb.ev[k];
		double px = xpos(b, (double)e->t_ms);
		int down = !strncmp(e->status, "DOWN", 4);

		fprintf(f, "<g><title>%.2fs ", e->t_ms / 1000.0);
		esc(f, r->lab->node[e->node].name);
		fputc(' ', f);
		esc(f, e->status);
		fprintf(f, " (tandem's stats)</title><path d='M%.1f %d l-4 8 h8 z' fill='%s'/></g>\n",
			px, TOP2 + H2 + 14, down ? "#d62728" : "#2ca02c");
	}
}

static void one_chart(FILE *f, const struct run *r)
{
	struct bins b;
	size_t ticks = meas_ticks(&r->m);

	/* up to --duration: the grace period after it only drains requests */
	if (ticks > (r->o.duration_ms + TICK_MS - 1) / TICK_MS)
		ticks = (r->o.duration_ms + TICK_MS - 1) / TICK_MS;

	b.per = ticks / MAX_BINS + 1;
	b.n = (ticks + b.per - 1) / b.per;
	b.span_s = b.per * TICK_MS / 1000.0;
	b.ms_total = (double)(b.n * b.per * TICK_MS);
	fprintf(f, "<h2>");
	esc(f, r->title[0] ? r->title : "run");
	fprintf(f, "</h2>\n<p>%llu requests, %llu errors, p99 %.1f ms, max %.1f ms. "
		"Red triangles: tandem marked the node DOWN; green: UP (hover for details).</p>\n",
		(unsigned long long)r->m.done, (unsigned long long)r->m.err,
		hist_pct(&r->m.all, 99) / 1000.0, r->m.all.max_us / 1000.0);
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
		"font-family='sans-serif' viewBox='0 0 %d %d'>\n", W, HEIGHT, W, HEIGHT);
	fprintf(f, "<rect width='%d' height='%d' fill='#fff'/>\n", W, HEIGHT);
	if (b.n) {
		rate_panel(f, r, &b);
		share_panel(f, r, &b);
		markers(f, r, &b);
	}
	fprintf(f, "</svg>\n");
}

void chart_html(FILE *f, const struct run *const *runs, int n, const char *title)
{
	int i;

	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>");
	esc(f, title);
	fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:20px;color:#222}"
		"h2{font-size:16px;margin:24px 0 4px}p{font-size:12px;margin:0 0 6px}</style>\n"
		"</head><body>\n<h1 style='font-size:18px'>");
	esc(f, title);
	fprintf(f, "</h1>\n");
	for (i = 0; i < n; i++)
		one_chart(f, runs[i]);
	fprintf(f, "</body></html>\n");
}
