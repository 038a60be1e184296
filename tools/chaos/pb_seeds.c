/* The seeds playbook (--playbook seeds): the lab notes' scenarios on
 * generated labs, each judged against thresholds derived from the check
 * settings (see doc/chaos.md for the reasoning behind every number). */
#include <string.h>
#include "playbook.h"
#include "report.h"

static unsigned detect_limit(const struct cli *c)
{
	/* first failed check within one inter, the others fastinter apart */
	return c->lab.inter_ms + c->lab.fall * c->lab.fastinter_ms + MARGIN_MS;
}


static void judge_kill(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	(void)c;
	pb_errors_zero(x);
	pb_check(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<", 0, 1000, "ms", 0);
	pb_check(s, "last answer from A after", (double)r->res[0].detect_traffic_ms, "<", 0, 1000, "ms", 1);
}

static void judge_recover(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	double lim = (double)c->lab.rise * c->lab.inter_ms + 500;

	pb_errors_zero(x);
	pb_check(s, "A's share back to 70% of normal after", (double)r->res[1].recover_share_ms, "<=", 0,
	    lim, "ms", 0);
	pb_check(s, "first answer from A after restart", (double)r->res[1].recover_first_ms, "<=", 0, lim,
	    "ms", 1);
	pb_check(s, "tandem marks A UP after", (double)r->res[1].recover_lb_ms, "<=", 0, lim, "ms", 1);
}

static void judge_hang(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	struct wsum w;

	/* each check to a hung node waits for its timeout (inter, as in HAProxy
	 * without `timeout check`) */
	double down = c->lab.inter_ms + c->lab.fall * (double)c->lab.inter_ms +
		      (c->lab.fall - 1) * (double)c->lab.fastinter_ms + MARGIN_MS;

	pb_errors_zero(x);
	meas_sum(&r->m, 0, r->m.used_ms, &w);
	pb_check(s, "slow requests (>= --slow)", (double)w.slow, "<=", 0, c->run.load.conns, "", 0);
	pb_check(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, down, "ms", 1);
	/* the requests waiting on A move to B and C as soon as A is DOWN
	 * (doc/retries.md): the slowest waits the detection, plus a round trip,
	 * not `timeout server` */
	pb_check(s, "max latency", r->m.all.max_us / 1000.0, "<=", 0, down + 300, "ms", 0);
}

static void judge_zombie(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	pb_errors_zero(x);
	pb_check(s, "last request served by A after", (double)r->res[0].detect_traffic_ms, "<=", 0,
	    detect_limit(c), "ms", 0);
	pb_check(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, detect_limit(c),
	    "ms", 1);
}

static void judge_graceful(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	pb_errors_zero(x);
	pb_check(s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, detect_limit(c),
	    "ms", 1);
	pb_check(s, "last answer from A after", (double)r->res[0].detect_traffic_ms, "<=", 0,
	    c->lab.drain_ms + 1000.0, "ms", 1);
}

/* A storm of 500s from A: retried elsewhere (retry-on 500), and A ejected
 * by passive checks (observe layer7) while its /health still says 200. */
static void judge_storm(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	(void)c;
	pb_errors_zero(x);
	pb_check(s, "last request served by A after", (double)r->res[0].detect_traffic_ms, "<=", 0,
	    1000, "ms", 0);
}

static void judge_weighted(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	uint64_t ans = r->m.nodes[0] + r->m.nodes[1];

	(void)c;
	pb_errors_zero(x);
	pb_check(s, "A's share (weight 3 of 4)", ans ? 100.0 * r->m.nodes[0] / ans : 0, "in", 70, 80, "%", 0);
}

static void judge_alldown(struct pb_ctx *x)
{
	const struct cli *c = x->c;
	const struct run *r = x->r;
	struct scen_res *s = x->s;
	uint64_t t = r->plan.f[0].state == FS_DONE ? r->plan.f[0].t_ms : 0;
	struct wsum w, late;
	uint64_t hard = r->m.kind[EK_CONNECT] + r->m.kind[EK_RESET] + r->m.kind[EK_CLOSED] +
			r->m.kind[EK_TIMEOUT] + r->m.kind[EK_BAD];

	(void)c;
	meas_sum(&r->m, t, r->m.used_ms, &w);
	meas_sum(&r->m, t + 200, r->m.used_ms, &late);
	pb_check(s, "requests without an HTTP answer", (double)hard, "==", 0, 0, "", 0);
	pb_check(s, "max latency after the kill", w.lat_max_us / 1000.0, "<=", 0, 1000, "ms", 0);
	pb_check(s, "answers other than 503 from 200 ms after", (double)(late.done - late.s503), "==", 0, 0,
	    "", 0);
	pb_check(s, "503 answers after the kill", (double)w.s503, ">", 0, 0, "", 1);
}

/* The runtime API's drain: no new request for A (those in flight finish),
 * then ready brings it back (seed 002's rolling deploy, one step of it). */
static void judge_drain(struct pb_ctx *x)
{
	const struct run *r = x->r;
	struct scen_res *s = x->s;

	pb_errors_zero(x);
	pb_check(s, "last request served by A after drain", (double)r->res[0].detect_traffic_ms, "<=", 0,
		 MARGIN_MS, "ms", 0);
	pb_check(s, "tandem shows A in DRAIN after", (double)r->res[0].detect_lb_ms, "<=", 0, MARGIN_MS, "ms", 1);
	pb_check(s, "A's share back to 70% of normal after ready", (double)r->res[1].recover_share_ms, "<=", 0,
		 500 + MARGIN_MS, "ms", 0);
}

static const struct scenario scenarios[] = {
	{ .name = "kill", .desc = "SIGKILL node A under load: no client error, tandem detects it within 1 s",
	  .nodes = 3, .duration_ms = 4000, .faults = { "1.5s:kill:A" }, .judge = judge_kill },
	{ .name = "recover", .desc = "kill A, then start it again: its share comes back within rise x inter + 500 ms",
	  .nodes = 3, .duration_ms = 5500, .faults = { "1s:kill:A", "2.5s:restart:A" }, .judge = judge_recover },
	{ .name = "hang", .desc = "SIGSTOP A for 2.5 s, then SIGCONT: no error, at most --conns slow requests",
	  .nodes = 3, .duration_ms = 6000, .faults = { "1s:stop:A", "3.5s:cont:A" }, .judge = judge_hang },
	{ .name = "zombie", .desc = "A's /health fails while it still serves: no request reaches A after "
	  "inter + fall x fastinter + 300 ms", .nodes = 3, .duration_ms = 3500, .faults = { "1s:zombie:A" },
	  .judge = judge_zombie },
	{ .name = "graceful", .desc = "SIGTERM A (tandem-app drains for --drain-ms): no client error",
	  .nodes = 3, .duration_ms = 4500, .faults = { "1s:term:A" }, .judge = judge_graceful },
	{ .name = "weighted", .desc = "two nodes weighted 3:1: A gets 75% +- 5%", .nodes = 2, .weights = { 3, 1 },
	  .duration_ms = 3000, .judge = judge_weighted },
	{ .name = "alldown", .desc = "kill every node: clients get 503 within 1 s, never a hang or a reset",
	  .nodes = 3, .duration_ms = 3500, .faults = { "1s:kill:A,B,C" }, .judge = judge_alldown },
	{ .name = "storm500", .desc = "A answers 500 to everything but its /health: no client error (retry-on 500), "
	  "A ejected by max-fails (nginx's semantics) within 1 s", .nodes = 3, .duration_ms = 3500,
	  .faults = { "1s:error500:A" }, .judge = judge_storm,
	  .retry_on = "conn-failure empty-response 500 502 503 504",
	  .server_extra = "max-fails 2 fail-timeout 10s",
	  /* a third of the traffic fails at once: the budget must cover it */
	  .backend_extra = "retry-budget 50" },
	{ .name = "drain", .desc = "set server app/A state drain on the runtime API: no client error, no new "
	  "request reaches A, then ready: A's share comes back", .nodes = 3, .duration_ms = 4000,
	  .faults = { "1s:drain:A", "2.5s:ready:A" }, .judge = judge_drain },
};

const struct playbook pb_seeds = {
	"seeds", "the lab notes' scenarios on generated labs", NULL, scenarios,
	sizeof(scenarios) / sizeof(scenarios[0])
};
