/* Lab 002 (seed 002_c464ce9336b7b9fc.txt), "Load Balancing (HAProxy)":
 * HAProxy (here tandem, contrib/labs/002/tandem.cfg) on :8080 over N gateway
 * instances (here tandem-app gateway-1..3, and gateway-4, gateway-5 added at
 * run time with the runtime API's `add server` where the lab runs `docker
 * compose up --scale gateway=N`), `option httpchk GET /health`, `check inter
 * 2s rise 2 fall 3`, stats on :8404, `show stat` on a UNIX socket. What the
 * lab shows and expects:
 *   round robin: 33/33/33;
 *   one instance fails: 50/50, and 33/33/33 again when it recovers;
 *   scaling out: new instances join the rotation;
 *   balance leastconn and source (the algorithms it lists);
 *   zero-downtime rolling deploy (here with drain on the runtime API). */
#include <stdio.h>
#include <string.h>
#include "admin.h"
#include "lbstat.h"
#include "playbook.h"

/* tandem.cfg: check inter 2s rise 2 fall 3 (fastinter and downinter = inter) */
#define INTER_MS 2000
#define RISE     2

static const struct lab_def lab002 = {
	.id = "002",
	.title = "HAProxy over N gateways: round robin, failover, scaling, algorithms",
	.seed = "002_c464ce9336b7b9fc.txt",
	.backend = "gateway",
	.load_path = "/",
	.stats_uri = "/stats",
	.fe_port = 8080,
	.stats_port = 8404,
	.nodes = {
		{ .name = "gateway-1", .port = 8083 },
		{ .name = "gateway-2", .port = 8084 },
		{ .name = "gateway-3", .port = 8085 },
		{ .name = "gateway-4", .port = 8086, .dynamic = 1,
		  .add_args = "check inter 2s rise 2 fall 3 enabled" },
		{ .name = "gateway-5", .port = 8087, .dynamic = 1,
		  .add_args = "check inter 2s rise 2 fall 3 enabled" },
	},
};

static const char *const gw[] = { "gateway-1", "gateway-2", "gateway-3", "gateway-4", "gateway-5" };

/* Each of the first <n> gateways gets lo..hi % of the answers in [from, to). */
static void shares(struct pb_ctx *x, int n, double lo, double hi, uint64_t from, uint64_t to, const char *when)
{
	char what[96];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s's share %s", gw[i], when);
		pb_check(x->s, what, pb_share(x, gw[i], from, to), "in", lo, hi, "%", 0);
	}
}

static void judge_roundrobin(struct pb_ctx *x)
{
	pb_errors_zero(x);
	shares(x, 3, 28, 38, 200, x->r->m.used_ms, "(33/33/33)");
}

static void judge_failure(struct pb_ctx *x)
{
	const struct run *r = x->r;
	uint64_t kill = pb_fault_ms(x, 0), back = pb_fault_ms(x, 1), end = r->m.used_ms;

	pb_errors_zero(x);
	shares(x, 3, 28, 38, 200, kill, "before (33/33/33)");
	shares(x, 2, 45, 55, kill + 500, back, "while gateway-3 is dead (50/50)");
	pb_check(x->s, "gateway-3's share while dead", pb_share(x, "gateway-3", kill + 500, back), "==", 0, 0,
		 "%", 0);
	pb_check(x->s, "gateway-3's share back to 70% of normal after restart",
		 (double)r->res[1].recover_share_ms, "<=", 0, RISE * INTER_MS + 500 + MARGIN_MS, "ms", 0);
	shares(x, 3, 28, 38, end - 1500, end, "in the last 1.5 s (33/33/33)");
}

struct up_count {
	int up, rows;
};

static void count_up(void *ctx, const char *server, const char *status)
{
	struct up_count *u = ctx;

	(void)server;
	u->rows++;
	u->up += !strcmp(status, "UP");
}

static void judge_scale(struct pb_ctx *x)
{
	static char csv[ADMIN_ANSWER_MAX];
	const struct run *r = x->r;
	struct up_count u = { 0, 0 };

	pb_errors_zero(x);
	pb_check(x->s, "first answer from gateway-4 after add", (double)r->res[0].recover_first_ms, "<=", 0,
		 1000, "ms", 0);
	shares(x, 5, 15, 25, r->m.used_ms - 1500, r->m.used_ms, "in the last 1.5 s (20% each)");
	if (admin_cmd(x->lab->admin_sock, "show stat", 2000, csv, sizeof(csv)) == 0)
		stats_csv_each(csv, strlen(csv), "gateway", count_up, &u);
	pb_check(x->s, "servers UP in `show stat` (runtime API)", u.up, "==", 0, 5, "", 0);
}

static void judge_leastconn(struct pb_ctx *x)
{
	pb_errors_zero(x);
	pb_check(x->s, "slow gateway-1's share (roundrobin would give 33%)",
		 pb_share(x, "gateway-1", 1500, x->r->m.used_ms), "<", 0, 15, "%", 0);
}

static void judge_source(struct pb_ctx *x)
{
	double top = 0, v;
	int i;

	pb_errors_zero(x);
	for (i = 0; i < 3; i++)
		if ((v = pb_share(x, gw[i], 0, x->r->m.used_ms)) > top)
			top = v;
	pb_check(x->s, "share of the one gateway every request from 127.0.0.1 goes to", top, "in", 100, 100,
		 "%", 0);
}

static void judge_rolling(struct pb_ctx *x)
{
	const struct run *r = x->r;

	pb_errors_zero(x);
	pb_check(x->s, "last request served by gateway-1 after drain", (double)r->res[0].detect_traffic_ms,
		 "<=", 0, MARGIN_MS, "ms", 0);
	pb_check(x->s, "tandem shows gateway-1 in DRAIN after", (double)r->res[0].detect_lb_ms, "<=", 0,
		 MARGIN_MS, "ms", 1);
	pb_check(x->s, "gateway-1's share back to 70% of normal after ready",
		 (double)r->res[3].recover_share_ms, "<=", 0, 500 + MARGIN_MS, "ms", 0);
}

static const struct scenario scen002[] = {
	{ .name = "roundrobin", .desc = "three gateways, balance roundrobin: 33/33/33", .duration_ms = 3000,
	  .conns = 10, .judge = judge_roundrobin },
	{ .name = "failure", .desc = "gateway-3 killed then started again: 33/33/33 -> 50/50 -> 33/33/33, "
	  "no client error", .duration_ms = 12000, .conns = 10,
	  .faults = { "2s:kill:gateway-3", "4.5s:restart:gateway-3" }, .judge = judge_failure },
	{ .name = "scale", .desc = "--scale gateway=5 as `add server` on the runtime API: 5 x 20%, all UP in "
	  "`show stat`", .duration_ms = 6000, .conns = 10,
	  .faults = { "1.5s:add:gateway-4", "3s:add:gateway-5" }, .judge = judge_scale },
	{ .name = "leastconn", .desc = "balance leastconn, gateway-1 made 200 ms slow: it gets few requests",
	  .duration_ms = 4000, .conns = 10, .env = "BALANCE=leastconn",
	  .faults = { "0.5s:slow:200:gateway-1" }, .judge = judge_leastconn },
	{ .name = "source", .desc = "balance source: every request from one client address goes to one gateway",
	  .duration_ms = 3000, .conns = 10, .env = "BALANCE=source", .judge = judge_source },
	{ .name = "rolling", .desc = "zero-downtime deploy of gateway-1: drain, stop, start, ready; no client "
	  "error", .duration_ms = 6500, .conns = 10,
	  .faults = { "1s:drain:gateway-1", "2s:kill:gateway-1", "2.5s:restart:gateway-1",
		      "4s:ready:gateway-1" }, .judge = judge_rolling },
};

const struct playbook pb_002 = {
	"002", "HAProxy over N gateways: round robin, failover, scaling, algorithms", &lab002, scen002,
	sizeof(scen002) / sizeof(scen002[0])
};
