/* Measurement store (see meas.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meas.h"

int meas_init(struct meas *m, uint64_t span_ms, uint64_t slow_ms)
{
	memset(m, 0, sizeof(*m));
	m->nsec = (size_t)(span_ms / 1000 + 2);
	m->ntick = (size_t)(span_ms / TICK_MS + 2);
	m->slow_us = slow_ms * 1000;
	m->sec = calloc(m->nsec, sizeof(*m->sec));
	m->tick = calloc(m->ntick, sizeof(*m->tick));
	if (!m->sec || !m->tick) {
		meas_free(m);
		return -1;
	}
	return 0;
}

void meas_free(struct meas *m)
{
	free(m->sec);
	free(m->tick);
	m->sec = NULL;
	m->tick = NULL;
}

int meas_node(struct meas *m, const char *name)
{
	int i;

	if (!*name)
		return -1;
	for (i = 0; i < m->nnodes; i++)
		if (!strcmp(m->names[i], name))
			return i;
	if (m->nnodes == MAX_NODES)
		return -1;
	snprintf(m->names[m->nnodes], HC_NODE_MAX, "%s", name);
	return m->nnodes++;
}

static int hist_idx(uint64_t v)
{
	int msb, shift, idx;

	if (v < 64)
		return (int)v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - 5;
	idx = 64 + (msb - 6) * 32 + (int)((v >> shift) - 32);
	return idx < HIST_N ? idx : HIST_N - 1;
}

/* Upper bound (exclusive) of bucket <i>. */
static uint64_t hist_upper(int i)
{
	int msb, shift;

	if (i < 64)
		return (uint64_t)i + 1;
	msb = (i - 64) / 32 + 6;
	shift = msb - 5;
	return ((uint64_t)(32 + (i - 64) % 32) + 1) << shift;
}

void hist_add(struct hist *h, uint64_t us)
{
	h->b[hist_idx(us)]++;
	h->n++;
	if (us > h->max_us)
		h->max_us = us;
}

uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	int i;

	if (!h->n)
		return 0;
	want = (uint64_t)((double)h->n * p / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_N; i++) {
		seen += h->b[i];
		if (seen >= want) {
			uint64_t u = hist_upper(i);
			return u < h->max_us ? u : h->max_us;
		}
	}
	return h->max_us;
}

static void codes_add(struct codes *c, int code)
{
	int i;

	for (i = 0; i < MAX_CODES; i++) {
		if (c->code[i] == code || !c->code[i]) {
			c->code[i] = (uint16_t)code;
			c->n[i]++;
			return;
		}
	}
	c->other++;
}

uint32_t codes_get(const struct codes *c, int code)
{
	int i;

	for (i = 0; i < MAX_CODES; i++)
		if (c->code[i] == code)
			return c->n[i];
	return 0;
}

const char *ek_name(int k)
{
	static const char *const names[] = { "connect", "reset", "closed", "timeout", "bad", "http" };
	return k >= 0 && k < EK_MAX ? names[k] : "?";
}

int meas_is_error(const struct hc_resp *r)
{
	return r->err != HC_OK || r->status >= 400;
}

void meas_record(struct meas *m, const struct hc_resp *r)
{
	uint64_t at_us = r->t_end_us > m->t0_us ? r->t_end_us - m->t0_us : 0;
	uint64_t lat = r->t_end_us - r->t_start_us;
	uint32_t at_ms = (uint32_t)(at_us / 1000);
	size_t si = at_us / 1000000, ti = at_ms / TICK_MS;
	struct sec *s;
	struct tick *t;
	int node = meas_node(m, r->node);
	int err = meas_is_error(r);

	if (si >= m->nsec)
		si = m->nsec - 1;
	if (ti >= m->ntick)
		ti = m->ntick - 1;
	s = &m->sec[si];
	t = &m->tick[ti];
	s->done++;
	t->done++;
	m->done++;
	hist_add(&s->h, lat);
	hist_add(&m->all, lat);
	if (lat > t->lat_max_us)
		t->lat_max_us = (uint32_t)(lat > UINT32_MAX ? UINT32_MAX : lat);
	if (lat >= m->slow_us)
		t->slow++;
	if (r->err == HC_OK && r->status == 503)
		t->s503++;
	if (err) {
		int k = r->err ? r->err - 1 : EK_HTTP;   /* HC_E_* are in EK_* order */
		s->err++;
		t->err++;
		m->err++;
		s->kind[k]++;
		m->kind[k]++;
		if (k == EK_HTTP) {
			codes_add(&s->codes, r->status);
			codes_add(&m->codes, r->status);
		}
	} else {
		s->ok++;
		m->ok++;
	}
	if (r->err != HC_OK)
		return;
	if (node < 0) {
		t->no_node++;
		s->no_node++;
		m->no_node++;
		return;
	}
	s->nodes[node]++;
	m->nodes[node]++;
	if (!t->nodes[node]++)
		t->first_ms[node] = at_ms;
	t->last_ms[node] = at_ms;
}

size_t meas_ticks(const struct meas *m)
{
	size_t n = (m->used_ms + TICK_MS - 1) / TICK_MS;
	return n > m->ntick ? m->ntick : n;
}

size_t meas_secs(const struct meas *m)
{
	size_t n = (m->used_ms + 999) / 1000;
	return n > m->nsec ? m->nsec : n;
}

void meas_sum(const struct meas *m, uint64_t from_ms, uint64_t to_ms, struct wsum *w)
{
	size_t i, a = from_ms / TICK_MS, b = (to_ms + TICK_MS - 1) / TICK_MS, n = meas_ticks(m);
	int k;

	memset(w, 0, sizeof(*w));
	if (b > n)
		b = n;
	for (i = a; i < b; i++) {
		const struct tick *t = &m->tick[i];
		w->done += t->done;
		w->err += t->err;
		w->slow += t->slow;
		w->s503 += t->s503;
		w->no_node += t->no_node;
		if (t->lat_max_us > w->lat_max_us)
			w->lat_max_us = t->lat_max_us;
		for (k = 0; k < m->nnodes; k++) {
			w->nodes[k] += t->nodes[k];
			w->answered += t->nodes[k];
		}
	}
}
