/* Lab 001 (seed 001_4c289c935a6cfc46.txt), "Production Lab": nginx (here
 * tandem, contrib/labs/001/tandem.cfg) on one port in front of a slow
 * writer (app_slow: /write, 50 ms) and two fast readers (app_fast_1 and
 * app_fast_2: /read, 5 ms) weighted 3:1, routed by path. The lab's tests
 * and what it expects:
 *   Test 1  stop a replica: /read still answers, from the other one;
 *   Test 2  SIGTERM the writer: /write gets 502, or 503 during its shutdown;
 *   Test 3  10 writes take ~500-700 ms, 10 reads ~100-250 ms;
 *   Test 4  20 reads split ~15:5 (weights 3:1);
 *   Test 5  both replicas stopped: /read fails after trying both;
 *   Test 3.4 throughput, `ab -n 1000 -c 50 .../read` (no number given: ab's
 *           report, requests/s and the latency percentiles);
 *   k6      (its improvements) stages 30s:20, 1m:50, 30s:0 on /read,
 *           checking every answer is 200, latency reported. Run here at a
 *           tenth of the length, and without k6's sleep(1) between a VU's
 *           requests: each connection asks again as soon as it is answered,
 *           a heavier load than the lab's. */
#include <string.h>
#include <tandem/clock.h>
#include "playbook.h"
#include "report.h"

/* tandem.cfg: check inter 1s fastinter 250ms rise 2 fall 2 */
#define INTER_MS     1000
#define FASTINTER_MS 250
#define FALL         2

static const struct lab_def lab001 = {
	.id = "001",
	.title = "one port, a slow writer and two readers weighted 3:1, routed by path",
	.seed = "001_4c289c935a6cfc46.txt",
	.backend = "readers",
	.more_backends = "writer",
	.load_path = "/read",
	.stats_uri = "/stats",
	.fe_port = 8080,
	.stats_port = 8404,
	.node_args = "--read-delay-ms 5 --write-delay-ms 50",
	.nodes = {
		{ .name = "FAST_REPLICA_1", .port = 5001 },
		{ .name = "FAST_REPLICA_2", .port = 5002 },
		{ .name = "SLOW", .port = 5003, .args = "--drain-ms 1500" },
	},
};

enum { R1, R2, W };

static void judge_routing(struct pb_ctx *x)
{
	int per[MAX_NODES];

	pb_errors_zero(x);
	pb_split(x, "/read", 20, per);
	pb_check(x->s, "20 reads: answered by FAST_REPLICA_1", per[R1], "in", 15, 15, "", 0);
	pb_check(x->s, "20 reads: answered by FAST_REPLICA_2", per[R2], "in", 5, 5, "", 0);
	pb_check(x->s, "20 reads: answered by the writer", per[W], "==", 0, 0, "", 0);
	pb_split(x, "/write", 4, per);
	pb_check(x->s, "4 writes: answered by the writer", per[W], "==", 0, 4, "", 0);
}

/* <n> sequential requests through the frontend; their total time, ms (-1
 * when one of them failed). */
static double timed(struct pb_ctx *x, const char *method, const char *path, int n)
{
	uint64_t t0 = clock_mono_us();

	for (int i = 0; i < n; i++)
		if (pb_fe_status(x, method, path) != 200)
			return -1;
	return (clock_mono_us() - t0) / 1000.0;
}

static void judge_latency(struct pb_ctx *x)
{
	double w = timed(x, "POST", "/write", 10), r = timed(x, "GET", "/read", 10);

	pb_errors_zero(x);
	/* a lower bound: the writes reached the slow writer, each of them */
	pb_check(x->s, "10 writes: total time", w, "in", 500, 5000, "ms", 0);
	pb_check(x->s, "10 reads: total time", r, "in", 100, 250, "ms", 1);
	pb_check(x->s, "10 reads: faster than 10 writes", r >= 0 && r < w, "==", 0, 1, "", 0);
}

static void judge_failover(struct pb_ctx *x)
{
	const struct run *r = x->r;
	uint64_t t = pb_fault_ms(x, 0);

	pb_errors_zero(x);
	pb_check(x->s, "tandem marks FAST_REPLICA_1 DOWN after", (double)r->res[0].detect_lb_ms, "<=", 0,
		 INTER_MS + FALL * FASTINTER_MS + MARGIN_MS, "ms", 0);
	pb_check(x->s, "FAST_REPLICA_2's share from 2 s after the stop", pb_share(x, "FAST_REPLICA_2", t + 2000,
		 r->m.used_ms), "in", 100, 100, "%", 0);
	pb_check(x->s, "tandem's log says it is DOWN",
		 lab_log_has(x->lab, "tandem.log", "Server readers/FAST_REPLICA_1 is DOWN"), "==", 0, 1, "", 0);
}

static void judge_all_down(struct pb_ctx *x)
{
	pb_errors_zero(x);   /* the load writes: the writer is another backend */
	pb_check(x->s, "/read with both replicas stopped: status", pb_fe_status(x, "GET", "/read"), "==", 0,
		 503, "", 0);
	pb_check(x->s, "/write meanwhile: status", pb_fe_status(x, "POST", "/write"), "==", 0, 200, "", 0);
}

static void judge_graceful(struct pb_ctx *x)
{
	pb_errors_zero(x);   /* the load reads */
	pb_check(x->s, "tandem's log says the writer is DOWN",
		 lab_log_has(x->lab, "tandem.log", "Server writer/SLOW is DOWN"), "==", 0, 1, "", 0);
	pb_check(x->s, "/write after the writer's shutdown: status", pb_fe_status(x, "POST", "/write"), "==", 0,
		 503, "", 0);
	pb_check(x->s, "/read meanwhile: status", pb_fe_status(x, "GET", "/read"), "==", 0, 200, "", 0);
}

/* Node <k>'s share of the answers of the whole run, in percent (-1 without any). */
static double node_share(const struct run *r, int k)
{
	uint64_t sum = r->m.nodes[R1] + r->m.nodes[R2] + r->m.nodes[W];

	return sum ? 100.0 * r->m.nodes[k] / sum : -1;
}

/* What ab and k6 print at the end: requests/s and the percentiles
 * (reported, not judged: the lab gives no number; the bound shown is
 * tandem.cfg's timeout server). */
static void report_rate(struct pb_ctx *x, const char *rate_what)
{
	const struct run *r = x->r;

	pb_check(x->s, rate_what, r->m.done * 1000.0 / r->m.used_ms, ">", 0, 0, "", 1);
	pb_check(x->s, "p95 latency", hist_pct(&r->m.all, 95) / 1000.0, "<=", 0, 5000, "ms", 1);
	pb_check(x->s, "p99 latency", hist_pct(&r->m.all, 99) / 1000.0, "<=", 0, 5000, "ms", 1);
}

/* Weighted 3:1 over many requests in flight at once: 75/25, give or take
 * what the retries and the order of the answers move. */
static void judge_split(struct pb_ctx *x, const char *when)
{
	char what[96];

	snprintf(what, sizeof(what), "FAST_REPLICA_1's share %s (weight 3 of 4)", when);
	pb_check(x->s, what, node_share(x->r, R1), "in", 70, 80, "%", 0);
	snprintf(what, sizeof(what), "FAST_REPLICA_2's share %s (weight 1 of 4)", when);
	pb_check(x->s, what, node_share(x->r, R2), "in", 20, 30, "%", 0);
	snprintf(what, sizeof(what), "the writer's share %s", when);
	pb_check(x->s, what, node_share(x->r, W), "in", 0, 0, "%", 0);
}

static void judge_throughput(struct pb_ctx *x)
{
	const struct run *r = x->r;

	pb_errors_zero(x);
	pb_check(x->s, "requests sent (ab -n 1000)", (double)r->m.sent, "==", 0, 1000, "", 0);
	pb_check(x->s, "requests answered 2xx", (double)r->m.ok, "==", 0, 1000, "", 0);
	judge_split(x, "of the 1000");
	report_rate(x, "requests per second (ab's 'Requests per second')");
}

static void judge_ramp(struct pb_ctx *x)
{
	const struct run *r = x->r;

	pb_errors_zero(x);
	pb_check(x->s, "answers with a 2xx status (k6's check 'status 200')",
		 r->m.done ? 100.0 * r->m.ok / r->m.done : 0, "in", 100, 100, "%", 0);
	pb_check(x->s, "requests over the ramp", (double)r->m.done, ">", 0, 0, "", 0);
	judge_split(x, "over the ramp");
	report_rate(x, "requests per second (k6's http_reqs rate)");
}

static const struct scenario scen001[] = {
	{ .name = "routing", .desc = "Test 4 and the routing: 20 reads split 15:5 (weights 3:1), writes to the "
	  "writer alone", .duration_ms = 1500, .conns = 2, .judge = judge_routing },
	{ .name = "latency", .desc = "Test 3: 10 writes (50 ms each) against 10 reads (5 ms each)",
	  .duration_ms = 1000, .conns = 1, .judge = judge_latency },
	{ .name = "failover", .desc = "Test 1: 10 connections reading, FAST_REPLICA_1 stopped: no error, "
	  "FAST_REPLICA_2 answers everything", .duration_ms = 6000, .conns = 10,
	  .faults = { "2s:kill:FAST_REPLICA_1" }, .judge = judge_failover },
	{ .name = "all-readers-down", .desc = "Test 5: both replicas stopped: /read answers 503 after trying "
	  "them, /write still served", .duration_ms = 4000, .conns = 4, .path = "/write",
	  .faults = { "1s:kill:FAST_REPLICA_1", "1s:kill:FAST_REPLICA_2" }, .judge = judge_all_down },
	{ .name = "graceful", .desc = "Test 2: SIGTERM to the writer: it drains (health 503), tandem takes it out, "
	  "then /write answers 503", .duration_ms = 5000, .conns = 4,
	  .faults = { "1s:term:SLOW" }, .judge = judge_graceful },
	{ .name = "throughput", .desc = "Test 3.4: ab -n 1000 -c 50 on /read: all answered, no error, 3:1 "
	  "kept, requests/s and p95/p99", .count = 1000, .conns = 50, .path = "/read",
	  .judge = judge_throughput },
	{ .name = "ramp", .desc = "k6's stages at a tenth (3s:20, 6s:50, 3s:0) on /read: every answer 200, "
	  "3:1 kept, latency reported", .stages = "3s:20,6s:50,3s:0", .conns = 1, .path = "/read",
	  .judge = judge_ramp },
};

const struct playbook pb_001 = {
	"001", "one port, a slow writer and two readers weighted 3:1, routed by path", &lab001, scen001,
	sizeof(scen001) / sizeof(scen001[0])
};
