/* Load generator (see load.h). One thread, non-blocking sockets; every
 * outcome is handed to meas_record() as it happens. chaos never retries a
 * request: what a client would see is what is counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "load.h"

static void next_request(struct client *c);

static uint64_t rnd(struct load *ld)
{
	/* xorshift64*: good enough to pick POST vs GET */
	ld->rng ^= ld->rng >> 12;
	ld->rng ^= ld->rng << 25;
	ld->rng ^= ld->rng >> 27;
	return ld->rng * 2685821657736338717ULL;
}

static void send_request(struct client *c)
{
	struct load *ld = c->ld;

	if (ld->o.count && ld->m->sent >= ld->o.count)
		return;   /* ab's -n: every request is out */
	const char *close_hdr = ld->o.new_conn ? "Connection: close\r\n" : "";
	char req[768];
	const char *p = ld->get_req;
	size_t len = ld->get_len;

	if (ld->o.post_ratio > 0 &&
	    (double)(rnd(ld) >> 11) / 9007199254740992.0 < ld->o.post_ratio) {
		char body[96];
		int bl, n;

		ld->rid++;
		bl = snprintf(body, sizeof(body), "{\"chaos\":\"%s\",\"seq\":%llu}", ld->tag,
			      (unsigned long long)ld->rid);
		n = snprintf(req, sizeof(req),
			     "POST /write HTTP/1.1\r\nHost: %s\r\nUser-Agent: tandem-chaos\r\n"
			     "X-Request-Id: chaos-%s-%llu\r\nContent-Type: application/json\r\n"
			     "Content-Length: %d\r\n%s\r\n%s",
			     ld->o.dst.hostport, ld->tag, (unsigned long long)ld->rid, bl, close_hdr, body);
		p = req;
		len = (size_t)n;
		ld->m->posts++;
	}
	if (hc_send(&c->hc, p, len, 0, ld->o.new_conn, ld->o.req_timeout_ms) < 0) {
		/* out of memory: try again a little later rather than spin */
		loop_timer_set(this_loop, &c->wait, now_ms + 100);
		return;
	}
	c->busy = 1;
	ld->inflight++;
	ld->m->sent++;
}

static void wait_cb(struct ev_timer *t)
{
	struct client *c = t->ctx;

	if (!c->ld->stopping && c->active)
		send_request(c);
}

/* Connections wanted now by the stages: linear within the current stage. */
static int stage_target(const struct load *ld, uint64_t t)
{
	double from = ld->o.conns;
	int i;

	for (i = 0; i < ld->o.nstages; i++) {
		const struct stage *s = &ld->o.stages[i];
		if (t < s->ms)
			return (int)(from + (s->target - from) * (double)t / (double)s->ms + 0.5);
		t -= s->ms;
		from = s->target;
	}
	return (int)from;
}

/* Switch clients on or off to follow the stages. One leaving finishes its
 * request first (k6 lets an iteration end), then closes its connection. */
static void stage_cb(struct ev_timer *t)
{
	struct load *ld = t->ctx;
	int want = stage_target(ld, now_ms - ld->t0_ms), i;

	if (want > ld->ncl)
		want = ld->ncl;
	for (i = 0; i < ld->ncl && ld->nactive < want; i++)
		if (!ld->cl[i].active) {
			ld->cl[i].active = 1;
			ld->nactive++;
			if (!ld->cl[i].busy && !ev_timer_armed(&ld->cl[i].wait))
				next_request(&ld->cl[i]);
		}
	for (i = ld->ncl - 1; i >= 0 && ld->nactive > want; i--)
		if (ld->cl[i].active) {
			ld->cl[i].active = 0;
			ld->nactive--;
			loop_timer_del(this_loop, &ld->cl[i].wait);
			if (!ld->cl[i].busy)
				hc_close(&ld->cl[i].hc);
		}
	if (!ld->stopping)
		loop_timer_set(this_loop, t, now_ms + 100);
}

int load_count_done(const struct load *ld)
{
	return ld->o.count && ld->m->sent >= ld->o.count && !ld->inflight;
}

uint64_t stages_ms(const struct load_opts *o)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < o->nstages; i++)
		t += o->stages[i].ms;
	return t;
}

int stages_parse(struct load_opts *o, const char *spec)
{
	char buf[512], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", spec);
	o->nstages = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(tok, ':'), *end;
		long n;

		if (!colon || o->nstages == MAX_STAGES)
			return -1;
		*colon = 0;
		n = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || n < 0 || n > MAX_CONNS ||
		    parse_ms(tok, &o->stages[o->nstages].ms) < 0 || !o->stages[o->nstages].ms)
			return -1;
		o->stages[o->nstages++].target = (int)n;
	}
	return o->nstages ? 0 : -1;
}

/* Send now, or at the next free slot when the rate is capped. */
static void next_request(struct client *c)
{
	struct load *ld = c->ld;
	uint64_t now, slot;

	if (ld->stopping || !c->active) {
		if (!c->active)
			hc_close(&c->hc);   /* a connection the ramp no longer wants */
		return;
	}
	if (ld->o.rate <= 0) {
		send_request(c);
		return;
	}
	now = clock_mono_us();
	slot = ld->next_slot_us > now ? ld->next_slot_us : now;
	ld->next_slot_us = slot + (uint64_t)(1e6 / ld->o.rate);
	if (slot <= now + 500)
		send_request(c);
	else
		loop_timer_set(this_loop, &c->wait, (slot + 999) / 1000);
}

static void done_cb(struct hc *h, const struct hc_resp *r)
{
	struct client *c = h->ctx;
	struct load *ld = c->ld;

	c->busy = 0;
	ld->inflight--;
	meas_record(ld->m, r);
	if (r->err != HC_OK && ld->o.error_pause_ms) {
		/* a refused connect comes back at once: do not spin on it */
		if (!ld->stopping)
			loop_timer_set(this_loop, &c->wait, now_ms + ld->o.error_pause_ms);
		return;
	}
	next_request(c);
}

int load_start(struct load *ld, const struct load_opts *o, struct meas *m)
{
	int i, n, most = o->conns;

	memset(ld, 0, sizeof(*ld));
	ld->o = *o;
	ld->m = m;
	for (i = 0; i < o->nstages; i++)
		if (o->stages[i].target > most)
			most = o->stages[i].target;
	ld->ncl = most;
	ld->cl = calloc((size_t)(most ? most : 1), sizeof(*ld->cl));
	if (!ld->cl)
		return -1;
	ld->rng = clock_wall_us() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	snprintf(ld->tag, sizeof(ld->tag), "%llx", (unsigned long long)(rnd(ld) >> 24));
	n = snprintf(ld->get_req, sizeof(ld->get_req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tandem-chaos\r\n%s\r\n",
		     o->dst.path, o->dst.hostport, o->new_conn ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(ld->get_req))
		return -1;
	ld->get_len = (size_t)n;
	ld->next_slot_us = clock_mono_us();
	for (i = 0; i < ld->ncl; i++) {
		struct client *c = &ld->cl[i];
		c->ld = ld;
		c->active = i < o->conns;
		hc_init(&c->hc, &o->dst, done_cb, c);
		ev_timer_init(&c->wait, wait_cb, c);
	}
	ld->nactive = o->conns;
	ld->t0_ms = now_ms;
	ev_timer_init(&ld->stage_tmr, stage_cb, ld);
	if (o->nstages)
		loop_timer_set(this_loop, &ld->stage_tmr, now_ms + 100);
	for (i = 0; i < o->conns; i++)
		next_request(&ld->cl[i]);
	return 0;
}

void load_stop(struct load *ld)
{
	int i;

	ld->stopping = 1;
	loop_timer_del(this_loop, &ld->stage_tmr);
	for (i = 0; i < ld->ncl; i++)
		loop_timer_del(this_loop, &ld->cl[i].wait);
}

void load_free(struct load *ld)
{
	int i;

	if (!ld->cl)
		return;
	load_stop(ld);
	for (i = 0; i < ld->ncl; i++) {
		if (ld->cl[i].busy)
			ld->m->unfinished++;
		hc_free(&ld->cl[i].hc);
	}
	free(ld->cl);
	ld->cl = NULL;
}
