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

	if (!c->ld->stopping)
		send_request(c);
}

/* Send now, or at the next free slot when the rate is capped. */
static void next_request(struct client *c)
{
	struct load *ld = c->ld;
	uint64_t now, slot;

	if (ld->stopping)
		return;
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
	int i, n;

	memset(ld, 0, sizeof(*ld));
	ld->o = *o;
	ld->m = m;
	ld->cl = calloc((size_t)o->conns, sizeof(*ld->cl));
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
	for (i = 0; i < o->conns; i++) {
		struct client *c = &ld->cl[i];
		c->ld = ld;
		hc_init(&c->hc, &o->dst, done_cb, c);
		ev_timer_init(&c->wait, wait_cb, c);
	}
	for (i = 0; i < o->conns; i++)
		next_request(&ld->cl[i]);
	return 0;
}

void load_stop(struct load *ld)
{
	int i;

	ld->stopping = 1;
	for (i = 0; i < ld->o.conns; i++)
		loop_timer_del(this_loop, &ld->cl[i].wait);
}

void load_free(struct load *ld)
{
	int i;

	if (!ld->cl)
		return;
	load_stop(ld);
	for (i = 0; i < ld->o.conns; i++) {
		if (ld->cl[i].busy)
			ld->m->unfinished++;
		hc_free(&ld->cl[i].hc);
	}
	free(ld->cl);
	ld->cl = NULL;
}
