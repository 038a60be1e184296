/* Poller of tandem's stats CSV (see lbstat.h). The CSV is HAProxy's: a
 * "# pxname,svname,...,status,..." header, then one line per proxy and
 * server; columns are found by name, not position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "lbstat.h"

#define CSV_MAX (256 * 1024)

/* Index of column <name> in the header line <h> (without "# "), or -1. */
static int col_index(const char *h, size_t hlen, const char *name)
{
	size_t nl = strlen(name), i = 0;
	int col = 0;

	while (i <= hlen) {
		size_t j = i;
		while (j < hlen && h[j] != ',')
			j++;
		if (j - i == nl && !memcmp(h + i, name, nl))
			return col;
		col++;
		i = j + 1;
	}
	return -1;
}

/* Field <col> of the CSV line [p, e) into <out>. */
static void field(const char *p, const char *e, int col, char *out, size_t len)
{
	const char *f = p;
	size_t n;

	while (col-- > 0) {
		f = memchr(f, ',', (size_t)(e - f));
		if (!f) {
			out[0] = 0;
			return;
		}
		f++;
	}
	n = strcspn(f, ",\n\r");
	if (f + n > e)
		n = (size_t)(e - f);
	if (n >= len)
		n = len - 1;
	memcpy(out, f, n);
	out[n] = 0;
}

static void note(struct lbstat *s, int node, const char *status, uint64_t t_ms)
{
	struct lbev *ev;

	if (!strcmp(s->cur[node], status))
		return;
	snprintf(s->cur[node], sizeof(s->cur[node]), "%s", status);
	if (s->n == MAX_LBEV)
		return;
	ev = &s->ev[s->n++];
	ev->t_ms = t_ms;
	ev->node = node;
	snprintf(ev->status, sizeof(ev->status), "%s", status);
}

void stats_csv_each(const char *csv, size_t len, const char *backend,
		    void (*cb)(void *ctx, const char *server, const char *status), void *ctx)
{
	const char *p = csv, *end = csv + len, *nl;
	int cpx = -1, csv_ = -1, cst = -1;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (p[0] == '#') {
			const char *h = p + 1;
			while (*h == ' ')
				h++;
			cpx = col_index(h, (size_t)(nl - h), "pxname");
			csv_ = col_index(h, (size_t)(nl - h), "svname");
			cst = col_index(h, (size_t)(nl - h), "status");
		} else if (cpx >= 0 && csv_ >= 0 && cst >= 0) {
			char px[64], sv[64], st[24];
			field(p, nl, cpx, px, sizeof(px));
			field(p, nl, csv_, sv, sizeof(sv));
			if (!strcmp(px, backend) && strcmp(sv, "BACKEND") && strcmp(sv, "FRONTEND")) {
				field(p, nl, cst, st, sizeof(st));
				cb(ctx, sv, st);
			}
		}
		p = nl + 1;
	}
}

struct note_ctx {
	struct lbstat *s;
	uint64_t       t_ms;
};

static void note_cb(void *ctx, const char *server, const char *status)
{
	struct note_ctx *n = ctx;
	int i = lab_find(n->s->lab, server);

	if (i >= 0)
		note(n->s, i, status, n->t_ms);
}

static void parse_csv(struct lbstat *s, const char *csv, size_t len, uint64_t t_ms)
{
	struct note_ctx n = { s, t_ms };

	stats_csv_each(csv, len, s->backend, note_cb, &n);
}

static void poll_cb(struct ev_timer *t);

static void answer_cb(struct hc *c, const struct hc_resp *r)
{
	struct lbstat *s = c->ctx;
	uint64_t mid = (r->t_start_us + r->t_end_us) / 2;

	if (r->err || r->status != 200)
		s->fails++;
	else
		parse_csv(s, r->body, r->body_len, (mid - s->t0_us) / 1000);
	if (s->active)
		loop_timer_set(this_loop, &s->tmr, now_ms + LBSTAT_POLL_MS);
}

static void poll_cb(struct ev_timer *t)
{
	struct lbstat *s = t->ctx;
	char req[512];
	int n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tandem-chaos\r\n\r\n",
		     s->hc.dst.path, s->hc.dst.hostport);
	s->polls++;
	if (hc_send(&s->hc, req, (size_t)n, 0, 0, 1000) < 0)
		loop_timer_set(this_loop, &s->tmr, now_ms + LBSTAT_POLL_MS);
}

void lbstat_start(struct lbstat *s, const struct target *stats, const char *backend,
		  struct lab *lab, uint64_t t0_us)
{
	memset(s, 0, sizeof(*s));
	hc_init(&s->hc, stats, answer_cb, s);
	s->hc.keep_body = CSV_MAX;
	ev_timer_init(&s->tmr, poll_cb, s);
	snprintf(s->backend, sizeof(s->backend), "%s", backend);
	s->lab = lab;
	s->t0_us = t0_us;
	s->active = 1;
	poll_cb(&s->tmr);
}

void lbstat_stop(struct lbstat *s)
{
	if (!s->active)
		return;
	s->active = 0;
	loop_timer_del(this_loop, &s->tmr);
	hc_free(&s->hc);
}

const struct lbev *lbstat_find(const struct lbstat *s, int node, uint64_t from_ms, uint64_t to_ms,
			       const char *prefix, int exact)
{
	int i;

	for (i = 0; i < s->n; i++) {
		const struct lbev *e = &s->ev[i];
		if (e->node != node || e->t_ms < from_ms || e->t_ms >= to_ms)
			continue;
		if (exact ? !strcmp(e->status, prefix) : !strncmp(e->status, prefix, strlen(prefix)))
			return e;
	}
	return NULL;
}

const char *lbstat_status_at(const struct lbstat *s, int node, uint64_t t_ms)
{
	const char *st = "";
	int i;

	for (i = 0; i < s->n && s->ev[i].t_ms < t_ms; i++)
		if (s->ev[i].node == node)
			st = s->ev[i].status;
	return st;
}
