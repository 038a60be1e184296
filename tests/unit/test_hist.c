/* The history in the shared area (src/core/shm_hist.c, src/admin/hist.c)
 * and the circuit-breaker view of passive health (src/check/observe.c):
 *   - rings are found through the shared counters, private counters have none;
 *   - the sampler with simulated time: a first sample has gauges only, a
 *     second sample counts, a longer period is spread over its seconds
 *     (flagged), a reset counter counts from 0, a second is sampled once,
 *     the ring wraps after HIST_SECS seconds, percentiles come from the
 *     histogram's increase, rate maxima and their reset;
 *   - HAProxy's weighing of the previous second in rates;
 *   - state changes: ids in order, the last HIST_EVENTS kept, several
 *     writer threads at once, long strings cut, `from_id` and `max`;
 *   - closed / open / half-open through max-fails and observe. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>
#include <tandem/stats.h>
#include <tandem/stats_hist.h>
#include <tandem/counters-t.h>
#include "unit.h"

static struct cfg cfg;
static struct proxy fe, be;
static struct server s1;

static void build(void)
{
	memset(&cfg, 0, sizeof(cfg));
	list_init(&cfg.proxies);
	memset(&fe, 0, sizeof(fe));
	fe.id = "web"; fe.cap = PR_CAP_FE; fe.mode = PR_MODE_HTTP;
	fe.fe_ctr = ctr_new(); fe.be_ctr = ctr_new();
	list_init(&fe.servers);
	list_add_tail(&cfg.proxies, &fe.link);
	memset(&be, 0, sizeof(be));
	be.id = "app"; be.cap = PR_CAP_BE; be.mode = PR_MODE_HTTP;
	be.fe_ctr = ctr_new(); be.be_ctr = ctr_new();
	list_init(&be.servers);
	list_add_tail(&cfg.proxies, &be.link);
	memset(&s1, 0, sizeof(s1));
	s1.id = "s1"; s1.be = &be; s1.ctr = ctr_new();
	s1.uweight = s1.eweight = 1;
	s1.state = SRV_ST_RUNNING;
	list_add_tail(&be.servers, &s1.link);
	shm_bind_counters(&cfg);
}

static void test_rings(void)
{
	struct counters priv = { 0 };

	CHECK("rings exist for shared counters", shm_hist_ring(fe.fe_ctr) && shm_hist_ring(be.be_ctr) &&
	      shm_hist_ring(s1.ctr));
	CHECK("frontend and backend sides of one proxy record: two rings",
	      shm_hist_ring(fe.fe_ctr) != shm_hist_ring(fe.be_ctr));
	CHECK("private counters: no ring", shm_hist_ring(&priv) == NULL && shm_hist_ring(NULL) == NULL);
	CHECK("sizes: a ring is a fixed 32 KiB or so",
	      HIST_RING_BYTES < 33 * 1024 && HIST_RING_BYTES > HIST_SECS * 32);
	CHECKF(sizeof(struct hist_sample) == 36, "a sample is 36 bytes (%zu)", sizeof(struct hist_sample));
}

static void test_quantile(void)
{
	uint64_t c[CTR_HIST_N] = { 0 };

	CHECK("no request: no percentile", stats_hist_quantile_us(c, 0.5) == -1);
	c[0] = 10;   /* all <= 1 ms */
	CHECK("p50 of [0,1ms] is 0.5 ms", stats_hist_quantile_us(c, 0.5) == 500);
	c[0] = 0;
	c[3] = 4;    /* (5, 10] ms */
	CHECK("p50 inside (5,10]: 7.5 ms", stats_hist_quantile_us(c, 0.5) == 7500);
	c[CTR_HIST_N - 1] = 1000;
	CHECK("slower than the last bound: the bound (10 s)", stats_hist_quantile_us(c, 0.99) == 10000000);
}

static const struct hist_sample *at(const struct counters *c, uint32_t t)
{
	static struct hist_sample one;

	if (stats_hist_copy(c, t, 1, &one) < 0)
		return NULL;
	return &one;
}

static void test_sampler(void)
{
	uint64_t t0 = 1700000000000ull;   /* ms, a second boundary */
	uint32_t s0 = (uint32_t)(t0 / 1000) - 1;
	const struct hist_sample *x;
	struct stat_row r;
	int known;

	CTR_ADD(be.be_ctr->cum_req, 2);    /* before the first sample: a new row counts from 0 */
	stats_hist_sample(&cfg, t0 + 3);
	x = at(be.be_ctr, s0);
	CHECK("first sample: second t0-1, counted from 0", x && x->t == s0 && (x->flags & HSF_COUNTS) &&
	      x->req == 2 && x->state == HST_UP);
	CHECK("end: the newest sampled second", stats_hist_end() == s0);
	CTR_ADD(be.be_ctr->cum_req, 7);
	CTR_ADD(be.be_ctr->http_rsp[5], 2);
	CTR_ADD(be.be_ctr->failed_conns, 1);
	CTR_ADD(s1.ctr->cum_sess, 7);
	ctr_hist_add(be.be_ctr, 3000);   /* 3 ms: bucket (2,5] */
	CTR_ADD(fe.fe_ctr->failed_req, 4);
	stats_hist_sample(&cfg, t0 + 1004);
	x = at(be.be_ctr, s0 + 1);
	CHECK("second sample counts", x && x->t == s0 + 1 && (x->flags & HSF_COUNTS) && !(x->flags & HSF_FILLED) &&
	      x->req == 7 && x->e5xx == 2 && x->econ == 1 && x->eresp == 0);
	CHECK("latency of the second: p50 3.5 ms within (2,5]", x && (x->flags & HSF_LAT) && x->p50_us == 3500);
	x = at(s1.ctr, s0 + 1);
	CHECK("server: sessions as requests", x && x->req == 7 && x->state == HST_NOCHECK);
	x = at(fe.fe_ctr, s0 + 1);
	CHECK("frontend: bad requests in econ", x && x->econ == 4 && x->state == HST_OPEN);
	stats_hist_sample(&cfg, t0 + 1500);
	CTR_ADD(be.be_ctr->cum_req, 1);
	stats_hist_sample(&cfg, t0 + 1900);
	x = at(be.be_ctr, s0 + 1);
	CHECK("a second is sampled once", x && x->req == 7);

	/* rates: what came since, plus the previous second weighed */
	stats_row_init(&r, &cfg, STO_BE, &be, NULL);
	CHECK("rate: 1 now + 7 per 1001 ms x (1000-496)/1000",
	      fabs(stats_hist_rate(&r, HVM(HV_REQ), t0 + 1500, &known) - (1 + 7000.0 / 1001 * 0.504)) < 1e-9 && known);
	CHECK("rate after a late sampler: what came since over that time",
	      stats_hist_rate(&r, HVM(HV_REQ), t0 + 1004 + 2000, &known) == 0.5);
	CHECK("rate_max: 7 per second", stats_hist_rate_max(&r, HV_REQ) == 7);

	/* the worker was away 4 s: the period is spread over its seconds */
	CTR_ADD(be.be_ctr->cum_req, 9);    /* 1 + 9 = 10 */
	stats_hist_sample(&cfg, t0 + 5002);
	for (uint32_t i = 2; i <= 5; i++) {
		x = at(be.be_ctr, s0 + i);
		CHECKF(x && x->t == s0 + i && (x->flags & HSF_COUNTS) && !!(x->flags & HSF_FILLED) == (i < 5) &&
		       x->req == (i < 5 ? 2 : 4), "gap second %u: %u requests, filled %d", i, x ? x->req : 0,
		       x ? !!(x->flags & HSF_FILLED) : -1);
	}
	CHECK("rate_max is per second (10 over 4 s does not raise it)", stats_hist_rate_max(&r, HV_REQ) == 7);
	stats_hist_clear_max(be.be_ctr);
	CHECK("clear counters resets the maxima", stats_hist_rate_max(&r, HV_REQ) == 0);

	/* clear counters all: values go back, counted from 0 */
	CTR_SET(be.be_ctr->cum_req, 3);
	stats_hist_sample(&cfg, t0 + 6003);
	x = at(be.be_ctr, s0 + 6);
	CHECK("a reset counter counts from 0", x && x->req == 3);

	/* the clock goes back: nothing is overwritten */
	stats_hist_sample(&cfg, t0 + 2000);
	x = at(be.be_ctr, s0 + 6);
	CHECK("clock back: the newer samples stay", x && x->req == 3 && stats_hist_end() == s0 + 6);

	/* state changes of a backend are recorded by the sampler */
	{
		struct shm_event ev[HIST_EVENTS];
		uint64_t before = tdm_hist->ev_next;
		int n;

		s1.admin = SRV_ADMF_MAINT;
		stats_hist_sample(&cfg, t0 + 7003);
		x = at(s1.ctr, s0 + 7);
		CHECK("server state MAINT in the sample", x && x->state == HST_MAINT);
		n = shm_state_changes(ev, HIST_EVENTS, before);
		CHECK("backend UP -> DOWN recorded", n == 1 && !strcmp(ev[0].proxy, "app") && !ev[0].server[0] &&
		      !strcmp(ev[0].from, "UP") && !strcmp(ev[0].to, "DOWN") && ev[0].kind == SC_HEALTH);
		s1.admin = 0;
		stats_hist_sample(&cfg, t0 + 8003);
		n = shm_state_changes(ev, HIST_EVENTS, before);
		CHECK("and back UP", n == 2 && !strcmp(ev[1].to, "UP") &&
		      !strcmp(ev[1].detail, "1 active and 0 backup servers available."));
	}

	/* a ring is HIST_SECS seconds: the oldest go */
	stats_hist_sample(&cfg, t0 + 8003 + (HIST_SECS + 1) * 1000ull);
	x = at(be.be_ctr, s0 + 9 + HIST_SECS);
	CHECK("over 15 minutes later: a fresh start, gauges only", x && x->t == s0 + 9 + HIST_SECS &&
	      !(x->flags & HSF_COUNTS));
	x = at(be.be_ctr, s0 + 9);
	CHECK("the second 15 minutes older, in the same slot, is gone", x && x->t == 0);
}

/* ---- state changes -------------------------------------------------------- */

static void *writer(void *arg)
{
	char tag[32];

	for (int i = 0; i < 100; i++) {
		snprintf(tag, sizeof(tag), "w%lu-%d", (unsigned long)(uintptr_t)arg, i);
		shm_state_change(&(struct state_change){ .kind = SC_VRRP, .object = tag, .from = "BACKUP",
			.to = "MASTER", .reason = tag, .detail = tag });
	}
	return NULL;
}

static void test_events(void)
{
	struct shm_event *ev = malloc(sizeof(*ev) * HIST_EVENTS);
	pthread_t th[4];
	uint64_t base = tdm_hist->ev_next;
	char longname[400];
	int n, ok = 1;

	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	n = shm_state_changes(ev, HIST_EVENTS, 0);
	CHECKF(n == HIST_EVENTS, "the last %d changes are kept (%d)", HIST_EVENTS, n);
	for (int i = 0; i < n; i++) {
		if (ev[i].id != base + 400 - HIST_EVENTS + (uint64_t)i || strcmp(ev[i].object, ev[i].reason) ||
		    strcmp(ev[i].object, ev[i].detail) || ev[i].kind != SC_VRRP)
			ok = 0;
	}
	CHECK("4 writer threads: ids in order, each change whole", ok);
	n = shm_state_changes(ev, 5, 0);
	CHECK("max: the newest kept", n == 5 && ev[4].id == base + 399);
	n = shm_state_changes(ev, HIST_EVENTS, base + 398);
	CHECK("from_id", n == 2 && ev[0].id == base + 398);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	shm_state_change(&(struct state_change){ .kind = SC_CERT, .object = longname, .detail = longname });
	n = shm_state_changes(ev, 1, 0);
	CHECK("long strings are cut, not overflowed", n == 1 && strlen(ev[0].object) == SC_OBJ_LEN - 1 &&
	      strlen(ev[0].detail) == SC_DETAIL_LEN - 1 && !ev[0].from[0]);
	CHECK("words", !strcmp(sc_kind_str(SC_DNS), "dns") && !strcmp(hist_state_str(HST_NOCHECK), "no check"));
	free(ev);
}

/* ---- circuit breaker ---------------------------------------------------- */

static struct hs_out out;

static void step(struct hs *h, const struct hs_conf *c, int type, int what, uint64_t now)
{
	struct hs_event ev = { .type = type, .obs = what, .status = what, .duration = 1 };

	hs_step(h, c, &ev, now, NULL, NULL, &out);
}

static void test_breaker(void)
{
	struct hs_conf c = { 0 };
	struct hs h;

	/* nginx's max-fails 2 / fail-timeout 1 s, without active checks */
	c.rise = 2; c.fall = 3; c.inter = 2000; c.error_limit = 10; c.uweight = 1;
	c.max_fails = 2; c.fail_timeout = 1000;
	hs_init(&h, &c, 0);
	CHECK("max-fails: closed at start", hs_breaker(&h, &c) == CB_CLOSED);
	step(&h, &c, HS_EV_OBSERVE, OBS_CONN_ERR, 100);
	CHECK("one failure of two: closed", hs_breaker(&h, &c) == CB_CLOSED);
	step(&h, &c, HS_EV_OBSERVE, OBS_CONN_ERR, 200);
	CHECK("max-fails reached: open (ejected)", hs_breaker(&h, &c) == CB_OPEN && h.state == SRV_ST_STOPPED);
	step(&h, &c, HS_EV_TICK, 0, 1300);
	CHECK("fail-timeout expired: half-open (back, on probation)", hs_breaker(&h, &c) == CB_HALF_OPEN &&
	      h.state == SRV_ST_RUNNING);
	step(&h, &c, HS_EV_OBSERVE, OBS_CONN_ERR, 1400);
	CHECK("a failure on probation: open again at once", hs_breaker(&h, &c) == CB_OPEN);
	step(&h, &c, HS_EV_TICK, 0, 2500);
	step(&h, &c, HS_EV_OBSERVE, OBS_RESP_OK, 2600);
	CHECK("a success on probation: closed", hs_breaker(&h, &c) == CB_CLOSED);

	/* HAProxy's observe layer4 + tandem's checks */
	memset(&c, 0, sizeof(c));
	c.has_check = 1; c.rise = 2; c.fall = 3; c.inter = 2000; c.uweight = 1;
	c.observe = OBS_MODE_L4; c.error_limit = 2; c.on_error = ONERR_MARKDWN; c.fail_timeout = 10000;
	c.init_state = INIT_FULLY_UP;
	hs_init(&h, &c, 0);
	CHECK("observe: closed", hs_breaker(&h, &c) == CB_CLOSED);
	step(&h, &c, HS_EV_OBSERVE, OBS_CONN_ERR, 100);
	step(&h, &c, HS_EV_OBSERVE, OBS_CONN_ERR, 200);
	CHECK("error-limit with mark-down: open", hs_breaker(&h, &c) == CB_OPEN && h.state == SRV_ST_STOPPED);
	step(&h, &c, HS_EV_CHECK, HCHK_L4OK, 300);
	CHECK("a passed check while DOWN: half-open (DOWN 1/2)", hs_breaker(&h, &c) == CB_HALF_OPEN);
	step(&h, &c, HS_EV_CHECK, HCHK_L4CON, 400);
	CHECK("a failed probe: open again", hs_breaker(&h, &c) == CB_OPEN);
	step(&h, &c, HS_EV_CHECK, HCHK_L4OK, 500);
	step(&h, &c, HS_EV_CHECK, HCHK_L4OK, 600);
	CHECK("rise passed checks: UP, closed", hs_breaker(&h, &c) == CB_CLOSED && h.state == SRV_ST_RUNNING);
	step(&h, &c, HS_EV_CHECK, HCHK_L4CON, 700);
	step(&h, &c, HS_EV_CHECK, HCHK_L4CON, 800);
	step(&h, &c, HS_EV_CHECK, HCHK_L4CON, 900);
	CHECK("DOWN by active checks: the breaker did not trip (closed)", h.state == SRV_ST_STOPPED &&
	      hs_breaker(&h, &c) == CB_CLOSED);
	c.has_check = 0;
	c.max_fails = 0;
	CHECK("no passive health: none", hs_breaker(&h, &c) == CB_NONE && cb_state_str(CB_NONE) == NULL);
	CHECK("words", !strcmp(cb_state_str(CB_HALF_OPEN), "half-open") && !strcmp(cb_state_str(CB_OPEN), "open"));
}

int main(void)
{
	CHECK("shared area", shm_create() == 0 && tdm_hist != NULL);
	build();
	test_rings();
	test_quantile();
	test_sampler();
	test_events();
	test_breaker();
	UNIT_END();
}
