/* Lab 000 (seed 000_0ddc1b70d217e314.txt), "Production Lab: Hardening
 * Availability": nginx (here tandem, contrib/labs/000/tandem.cfg) in front of
 * two Gunicorn nodes (here tandem-app A and B, 4 threads each as Gunicorn's 4
 * workers), each with its own Redis as the database its deep /health_check
 * depends on. The lab's three tests and what it expects:
 *   Test 1  sanity: /health_check through the balancer answers 200;
 *   Test 2  k6 with 10 VUs, kill node A: A removed within 1-2 s, "upstream
 *           server temporarily disabled" in the log, no 502 reaches a client,
 *           B takes 100% of the traffic;
 *   Test 3  start A again: back in the pool within ~5 s, then 10 requests
 *           split ~5/5;
 * plus the lab's "zombie" (alive, DB gone) made real: its Redis is killed,
 * its deep health check turns 503, the balancer takes it out while it still
 * answers / with 200; and healed when its Redis comes back. */
#include <string.h>
#include "playbook.h"
#include "report.h"

/* tandem.cfg: check inter 1s fastinter 250ms rise 2 fall 2 */
#define INTER_MS     1000
#define FASTINTER_MS 250
#define FALL         2

static const struct lab_def lab000 = {
	.id = "000",
	.title = "nginx over two Gunicorn nodes: aggressive failover, deep health checks",
	.seed = "000_0ddc1b70d217e314.txt",
	.backend = "backend",
	.load_path = "/",
	.stats_uri = "/stats",
	.fe_port = 8080,
	.stats_port = 8404,
	.node_args = "--threads 4",
	.nodes = {
		{ .name = "A", .port = 8001, .args = "--redis 127.0.0.1:${PORT_REDIS_A}" },
		{ .name = "B", .port = 8002, .args = "--redis 127.0.0.1:${PORT_REDIS_B}" },
	},
	.deps = {
		{ .name = "redis-A", .port = 6380, .subject = "A" },
		{ .name = "redis-B", .port = 6381, .subject = "B" },
	},
};

static void judge_sanity(struct pb_ctx *x)
{
	int per[MAX_NODES];

	pb_errors_zero(x);
	pb_check(x->s, "HEAD /health_check through tandem: status", pb_fe_status(x, "HEAD", "/health_check"),
		 "==", 0, 200, "", 0);
	pb_check(x->s, "node A's own /health_check: status", pb_node_status(x, "A", "GET", "/health_check"),
		 "==", 0, 200, "", 0);
	pb_check(x->s, "node B's own /health_check: status", pb_node_status(x, "B", "GET", "/health_check"),
		 "==", 0, 200, "", 0);
	pb_split(x, "/", 10, per);
	pb_check(x->s, "10 requests: answered by A", per[0], "in", 4, 6, "", 0);
}

static void judge_failover(struct pb_ctx *x)
{
	const struct run *r = x->r;
	uint64_t t = pb_fault_ms(x, 0);

	pb_errors_zero(x);
	pb_check(x->s, "502 answers", codes_get(&r->m.codes, 502), "==", 0, 0, "", 0);
	pb_check(x->s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, 2000, "ms", 0);
	pb_check(x->s, "last answer from A after", (double)r->res[0].detect_traffic_ms, "<=", 0, 2000, "ms", 0);
	pb_check(x->s, "B's share from 2 s after the kill", pb_share(x, "B", t + 2000, r->m.used_ms), "in",
		 100, 100, "%", 0);
	pb_check(x->s, "tandem's log says A is DOWN",
		 lab_log_has(x->lab, "tandem.log", "Server backend/A is DOWN"), "==", 0, 1, "", 0);
	pb_check(x->s, "p99 latency over the run", hist_pct(&r->m.all, 99) / 1000.0, "<=", 0, 1000, "ms", 1);
}

static void judge_recovery(struct pb_ctx *x)
{
	const struct run *r = x->r;
	int per[MAX_NODES];

	pb_errors_zero(x);
	pb_check(x->s, "A's share back to 70% of normal after restart", (double)r->res[1].recover_share_ms,
		 "<=", 0, 5000, "ms", 0);
	pb_check(x->s, "tandem marks A UP after restart", (double)r->res[1].recover_lb_ms, "<=", 0, 5000, "ms", 1);
	pb_split(x, "/", 10, per);
	pb_check(x->s, "then 10 requests: answered by A", per[0], "in", 4, 6, "", 0);
	pb_check(x->s, "then 10 requests: answered by B", per[1], "in", 4, 6, "", 0);
}

static void judge_zombie(struct pb_ctx *x)
{
	const struct run *r = x->r;
	double lim = INTER_MS + FALL * FASTINTER_MS + MARGIN_MS;

	pb_errors_zero(x);
	pb_check(x->s, "last request served by A after its Redis died", (double)r->res[0].detect_traffic_ms,
		 "<=", 0, lim, "ms", 0);
	pb_check(x->s, "tandem marks A DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0, lim, "ms", 1);
	pb_check(x->s, "A's own / (alive): status", pb_node_status(x, "A", "GET", "/"), "==", 0, 200, "", 0);
	pb_check(x->s, "A's own /health_check (DB gone): status",
		 pb_node_status(x, "A", "GET", "/health_check"), "==", 0, 503, "", 0);
	pb_check(x->s, "B's own /health_check: status", pb_node_status(x, "B", "GET", "/health_check"),
		 "==", 0, 200, "", 0);
}

static void judge_heal(struct pb_ctx *x)
{
	const struct run *r = x->r;

	pb_errors_zero(x);
	pb_check(x->s, "A's share back to 70% of normal after its Redis", (double)r->res[1].recover_share_ms,
		 "<=", 0, 5000, "ms", 0);
	pb_check(x->s, "tandem marks A UP after", (double)r->res[1].recover_lb_ms, "<=", 0,
		 2 * INTER_MS + MARGIN_MS, "ms", 1);
}

static const struct scenario scen000[] = {
	{ .name = "sanity", .desc = "Test 1: /health_check through the balancer answers 200, both nodes healthy",
	  .duration_ms = 1500, .conns = 2, .path = "/health_check", .judge = judge_sanity },
	{ .name = "failover", .desc = "Test 2: 10 connections, node A killed: removed within 1-2 s, no 502, "
	  "B takes 100%", .duration_ms = 8000, .conns = 10, .faults = { "3s:kill:A" }, .judge = judge_failover },
	{ .name = "recovery", .desc = "Test 3: A started again: back within ~5 s, then 10 requests split ~5/5",
	  .duration_ms = 9000, .conns = 10, .faults = { "1s:kill:A", "3s:restart:A" },
	  .judge = judge_recovery },
	{ .name = "zombie", .desc = "A's Redis killed: its deep health turns 503, tandem takes it out while / "
	  "still answers 200, no client error", .duration_ms = 4000, .conns = 10,
	  .faults = { "1s:kill:redis-A" }, .judge = judge_zombie },
	{ .name = "heal", .desc = "A's Redis back: A returns to the pool", .duration_ms = 7000, .conns = 10,
	  .faults = { "1s:kill:redis-A", "3s:restart:redis-A" }, .judge = judge_heal },
};

const struct playbook pb_000 = {
	"000", "nginx over two Gunicorn nodes: aggressive failover, deep health checks", &lab000, scen000,
	sizeof(scen000) / sizeof(scen000[0])
};
