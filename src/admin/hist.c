/* The stats history: see stats_hist.h.
 *
 * Cost. Once a second, thread 0 walks the rows (every frontend, backend
 * and server) and, for each, reads the counters the request path already
 * keeps (relaxed loads, about 25 words), computes two percentiles from the
 * latency histogram's increase and writes a 36-byte sample and the ring's
 * header. Nothing is added to the request path and no lock is taken there;
 * the only lock is a server's health lock, taken here once per second to
 * read its circuit-breaker state (the request path takes it only when a
 * request fails). `make bench` runs with the sampler on.
 *
 * Alignment. Samples are taken just after each wall-clock second starts,
 * and the sample of second T covers the period since the previous sample
 * (about [T, T+1)). When the previous sample is older (the worker was
 * restarting, or thread 0 was held up), the counts of the whole period are
 * spread evenly over its seconds, marked HSF_FILLED. A ring's first sample
 * (a new row) counts from 0, where its counters started; a sample after a
 * silence longer than the ring (or the clock going back) has nothing to
 * count from: gauges only. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>
#include <tandem/srv_state.h>
#include <tandem/stats.h>
#include <tandem/stats_hist.h>

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static struct {
	struct ev_timer tmr;
	struct cfg *cfg;
	int on;
} sampler;

/* ---- values of a row ---------------------------------------------------- */

static const struct counters *row_ctr(const struct stat_row *r)
{
	return r->obj == STO_FE ? r->px->fe_ctr : r->obj == STO_BE ? r->px->be_ctr : r->srv->ctr;
}

static void row_values(int obj, const struct counters *c, uint64_t v[HV_N])
{
	v[HV_SESS] = CTR_GET(c->cum_sess);
	v[HV_REQ] = CTR_GET(c->cum_req);
	v[HV_CONN] = CTR_GET(c->cum_conn);
	v[HV_E5XX] = CTR_GET(c->http_rsp[5]);
	v[HV_E4XX] = CTR_GET(c->http_rsp[4]);
	v[HV_ECON] = obj == STO_FE ? CTR_GET(c->failed_req) : CTR_GET(c->failed_conns);
	v[HV_ERESP] = obj == STO_FE ? 0 : CTR_GET(c->failed_resp);
}

/* Which value a sample's "req" follows: HTTP requests of an HTTP proxy,
 * sessions of a server (each is one request) or of a TCP proxy. */
static int req_value(const struct stat_row *r)
{
	return r->obj != STO_SRV && r->px->mode == PR_MODE_HTTP ? HV_REQ : HV_SESS;
}

int stats_hist_state(const struct stat_row *r)
{
	const struct server *s = r->srv;
	const struct list *l;
	int adm, st;

	if (r->obj == STO_FE)
		return r->px->disabled ? HST_STOP : HST_OPEN;
	if (r->obj == STO_BE) {
		list_for_each(l, &r->px->servers)
			if (srv_usable(list_entry(l, struct server, link)))
				return HST_UP;
		return HST_DOWN;
	}
	adm = LD(s->admin);
	st = LD(s->state);
	if (adm & SRV_ADMF_MAINT)
		return HST_MAINT;
	if (st == SRV_ST_STOPPED)
		return HST_DOWN;
	if (adm & SRV_ADMF_DRAIN)
		return HST_DRAIN;
	if (st == SRV_ST_STOPPING)
		return HST_NOLB;
	return LD(s->has_check) ? HST_UP : HST_NOCHECK;
}

int64_t stats_hist_quantile_us(const uint64_t *c, double q)
{
	uint64_t total = 0, cum = 0;
	double rank;
	int i;

	for (i = 0; i < CTR_HIST_N; i++)
		total += c[i];
	if (!total)
		return -1;
	rank = q * (double)total;
	for (i = 0; i < CTR_HIST_N; i++) {
		if (c[i] && (double)(cum + c[i]) >= rank) {
			double lo, hi;

			if (i >= CTR_HIST_N - 1)   /* slower than the last bound */
				return (int64_t)ctr_hist_bounds_ms[CTR_HIST_N - 2] * 1000;
			lo = i ? ctr_hist_bounds_ms[i - 1] : 0;
			hi = ctr_hist_bounds_ms[i];
			return (int64_t)((lo + (hi - lo) * (rank - (double)cum) / (double)c[i]) * 1000.0 + 0.5);
		}
		cum += c[i];
	}
	return (int64_t)ctr_hist_bounds_ms[CTR_HIST_N - 2] * 1000;
}

/* ---- sampling ------------------------------------------------------------ */

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint16_t sat16(uint64_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* Increase of a cumulative value; a value that went back was reset
 * (`clear counters all`): it counts from 0. */
static uint64_t delta(uint64_t now, uint64_t then)
{
	return now >= then ? now - then : now;
}

/* What one row's sample needs, read once. */
struct row_read {
	uint64_t v[HV_N];
	uint64_t h[CTR_HIST_N];
	int      req;       /* HV_* of the sample's "req" */
	uint32_t scur;
	int      state, cb;
};

/* Write the sample(s) for second <t> into <r>. */
static void ring_put(struct hist_ring *r, const struct row_read *rd, uint32_t t, uint64_t now_ms)
{
	uint64_t d[HV_N], dh[CTR_HIST_N];
	uint32_t last = r->last_t, gap;
	int64_t p50 = -1, p99 = -1;
	int k;

	shm_hist_write_begin(r);
	if (!last) {
		/* a new row: its counters started at 0 with it (the master binds
		 * them before the worker runs), so this second counts from 0,
		 * as if sampled a second ago */
		memset(r->cum, 0, sizeof(r->cum));
		memset(r->hist, 0, sizeof(r->hist));
		r->last_ms = now_ms - 1000;
		last = t - 1;
	} else if (t - last > HIST_SECS || !r->last_ms || now_ms <= r->last_ms) {
		/* too old to count from (or the clock went back): gauges only */
		struct hist_sample *s = &r->s[t % HIST_SECS];

		memset(s, 0, sizeof(*s));
		s->t = t;
		s->scur = rd->scur;
		s->state = (uint8_t)rd->state;
		s->cb = (uint8_t)rd->cb;
		memset(r->prev, 0, sizeof(r->prev));
		r->prev_ms = 0;
		goto done;
	}
	gap = t - last;
	for (k = 0; k < HV_N; k++)
		d[k] = delta(rd->v[k], r->cum[k]);
	for (k = 0; k < CTR_HIST_N; k++)
		dh[k] = delta(rd->h[k], r->hist[k]);
	p50 = stats_hist_quantile_us(dh, 0.50);
	p99 = stats_hist_quantile_us(dh, 0.99);
	for (uint32_t i = 1; i <= gap; i++) {
		struct hist_sample *s = &r->s[(last + i) % HIST_SECS];
		/* spread evenly; the last second takes the remainder */
#define SHARE(x) ((x) / gap + (i == gap ? (x) % gap : 0))
		s->t = last + i;
		s->req = sat32(SHARE(d[rd->req]));
		s->e5xx = sat32(SHARE(d[HV_E5XX]));
		s->e4xx = sat32(SHARE(d[HV_E4XX]));
		s->econ = sat16(SHARE(d[HV_ECON]));
		s->eresp = sat16(SHARE(d[HV_ERESP]));
#undef SHARE
		s->p50_us = p50 < 0 ? 0 : sat32((uint64_t)p50);
		s->p99_us = p99 < 0 ? 0 : sat32((uint64_t)p99);
		s->scur = rd->scur;
		s->state = (uint8_t)rd->state;
		s->cb = (uint8_t)rd->cb;
		s->flags = (uint8_t)(HSF_COUNTS | (p50 >= 0 ? HSF_LAT : 0) | (i < gap ? HSF_FILLED : 0));
		s->pad = 0;
	}
	for (k = 0; k < HV_N; k++)
		r->prev[k] = sat32(d[k]);
	r->prev_ms = sat32(now_ms - r->last_ms);
	/* HAProxy's maxima of the per-second rates */
	if (d[HV_SESS] / gap > r->max_sess)
		r->max_sess = sat32(d[HV_SESS] / gap);
	if (d[HV_REQ] / gap > r->max_req)
		r->max_req = sat32(d[HV_REQ] / gap);
	if (d[HV_CONN] / gap > r->max_conn)
		r->max_conn = sat32(d[HV_CONN] / gap);
done:
	memcpy(r->cum, rd->v, sizeof(r->cum));
	memcpy(r->hist, rd->h, sizeof(r->hist));
	r->last_t = t;
	r->last_ms = now_ms;
	r->last_state = (uint8_t)rd->state;
	shm_hist_write_end(r);
}

/* A backend lost its last server or has one again: a state change, seen
 * here for every cause (health, admin, forced, servers added or deleted). */
static void backend_change(const struct stat_row *r, int was, int now)
{
	const struct list *l;
	int act = 0, bck = 0;
	char detail[96];

	list_for_each(l, &r->px->servers) {
		const struct server *s = list_entry(l, struct server, link);

		if (srv_usable(s))
			(s->backup ? bck++ : act++);
	}
	snprintf(detail, sizeof(detail), "%d active and %d backup servers available.", act, bck);
	shm_state_change(&(struct state_change){ .kind = SC_HEALTH, .proxy = r->px->id,
		.from = hist_state_str(was), .to = hist_state_str(now),
		.reason = now == HST_DOWN ? "no server available" : "a server is available again",
		.detail = detail });
}

static void sample_row(const struct stat_row *r, uint32_t t, uint64_t now_ms)
{
	const struct counters *c = row_ctr(r);
	struct hist_ring *ring = shm_hist_ring(c);
	struct row_read rd;
	int was;

	if (!ring || (ring->last_t && t <= ring->last_t))
		return;   /* no history for this row, or this second is sampled already */
	row_values(r->obj, c, rd.v);
	for (int k = 0; k < CTR_HIST_N; k++)
		rd.h[k] = CTR_GET(c->ta_hist[k]);
	rd.req = req_value(r);
	rd.scur = sat32(CTR_GET(c->cur_sess));
	rd.state = stats_hist_state(r);
	rd.cb = r->obj == STO_SRV ? srv_breaker(r->srv) : CB_NONE;
	was = ring->last_t ? ring->last_state : HST_NONE;
	ring_put(ring, &rd, t, now_ms);
	if (r->obj == STO_BE && was != HST_NONE && was != rd.state)
		backend_change(r, was, rd.state);
}

void stats_hist_sample(const struct cfg *cfg, uint64_t now_ms)
{
	uint32_t t = (uint32_t)(now_ms / 1000) - 1;   /* the second that just ended */
	struct stat_row r;
	struct list *pp, *sp;

	if (!tdm_hist || now_ms < 2000)
		return;
	list_for_each(pp, &cfg->proxies) {
		const struct proxy *px = list_entry(pp, struct proxy, link);

		if (px->cap & PR_CAP_DEF)
			continue;
		if (px->cap & PR_CAP_FE) {
			stats_row_init(&r, cfg, STO_FE, px, NULL);
			sample_row(&r, t, now_ms);
		}
		if (!(px->cap & PR_CAP_BE))
			continue;
		stats_row_init(&r, cfg, STO_BE, px, NULL);
		sample_row(&r, t, now_ms);
		list_for_each(sp, &px->servers) {
			stats_row_init(&r, cfg, STO_SRV, px, list_entry(sp, struct server, link));
			sample_row(&r, t, now_ms);
		}
	}
	if (t > __atomic_load_n(&tdm_hist->sampled_t, __ATOMIC_RELAXED))   /* the clock may go back */
		__atomic_store_n(&tdm_hist->sampled_t, t, __ATOMIC_RELEASE);
}

/* ---- the sampler ------------------------------------------------------------ */

/* Milliseconds until 2 ms past the next wall-clock second. */
static uint64_t next_delay(void)
{
	uint64_t w = clock_wall_us() / 1000;

	return 1000 - w % 1000 + 2;
}

static void sampler_cb(struct ev_timer *t)
{
	/* only the current worker writes: a retiring one (reload) or one
	 * not yet announced leaves the rings to it */
	if (tdm_shm && __atomic_load_n(&tdm_shm->worker_pid, __ATOMIC_ACQUIRE) == (int)getpid())
		stats_hist_sample(sampler.cfg, clock_wall_us() / 1000);
	loop_timer_set(this_loop, t, now_ms + next_delay());
}

int stats_hist_start(struct cfg *cfg)
{
	if (!tdm_hist || sampler.on)
		return 0;
	sampler.cfg = cfg;
	ev_timer_init(&sampler.tmr, sampler_cb, NULL);
	loop_timer_set(this_loop, &sampler.tmr, now_ms + next_delay());
	sampler.on = 1;
	return 0;
}

void stats_hist_stop(void)
{
	if (!sampler.on)
		return;
	loop_timer_del(this_loop, &sampler.tmr);
	sampler.on = 0;
}

/* ---- reading ------------------------------------------------------------- */

/* The header fields rates need, consistent. */
struct ring_head {
	uint64_t last_ms;
	uint32_t prev_ms;
	uint64_t cum[HV_N];
	uint32_t prev[HV_N];
	uint32_t max_sess, max_req, max_conn;
};

static int read_head(const struct counters *c, struct ring_head *h)
{
	const struct hist_ring *r = shm_hist_ring(c);
	uint32_t seq;
	int tries = 0;

	if (!r)
		return -1;
	do {
		seq = shm_hist_read_begin(r);
		h->last_ms = r->last_ms;
		h->prev_ms = r->prev_ms;
		memcpy(h->cum, r->cum, sizeof(h->cum));
		memcpy(h->prev, r->prev, sizeof(h->prev));
		h->max_sess = r->max_sess;
		h->max_req = r->max_req;
		h->max_conn = r->max_conn;
	} while (shm_hist_read_retry(r, seq) && ++tries < 1000);
	return h->last_ms ? 0 : -1;
}

double stats_hist_rate(const struct stat_row *r, unsigned mask, uint64_t now_ms, int *known)
{
	const struct counters *c = row_ctr(r);
	struct ring_head h;
	uint64_t v[HV_N], curr = 0, prev = 0, el;

	*known = 0;
	if (read_head(c, &h) < 0)
		return 0;
	*known = 1;
	row_values(r->obj, c, v);
	for (int k = 0; k < HV_N; k++)
		if (mask & HVM(k)) {
			curr += delta(v[k], h.cum[k]);
			prev += h.prev[k];
		}
	el = now_ms > h.last_ms ? now_ms - h.last_ms : 0;
	if (el >= 1000)      /* the sampler is late: what came since, over that time */
		return (double)curr * 1000.0 / (double)el;
	return (double)curr + (h.prev_ms ? (double)prev * 1000.0 / h.prev_ms : 0.0) * (double)(1000 - el) / 1000.0;
}

uint64_t stats_hist_rate_max(const struct stat_row *r, int hv)
{
	struct ring_head h;

	if (read_head(row_ctr(r), &h) < 0)
		return 0;
	return hv == HV_REQ ? h.max_req : hv == HV_CONN ? h.max_conn : h.max_sess;
}

void stats_hist_clear_max(const struct counters *c)
{
	struct hist_ring *r = shm_hist_ring(c);

	if (!r)
		return;
	shm_hist_write_begin(r);
	r->max_sess = r->max_req = r->max_conn = 0;
	shm_hist_write_end(r);
}

uint32_t stats_hist_end(void)
{
	return tdm_hist ? __atomic_load_n(&tdm_hist->sampled_t, __ATOMIC_ACQUIRE) : 0;
}

int stats_hist_copy(const struct counters *c, uint32_t end_t, uint32_t n, struct hist_sample *out)
{
	const struct hist_ring *r = shm_hist_ring(c);
	uint32_t seq;
	int tries = 0;

	if (!r)
		return -1;
	if (n > HIST_SECS)
		n = HIST_SECS;
	do {
		seq = shm_hist_read_begin(r);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t t = end_t - (n - 1) + i;

			out[i] = r->s[t % HIST_SECS];
			if (out[i].t != t)
				memset(&out[i], 0, sizeof(out[i]));
		}
	} while (shm_hist_read_retry(r, seq) && ++tries < 100);
	return 0;
}
