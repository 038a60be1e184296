/* Lab 004 (seed 004_7fe097ff1eb5c673.txt), "Load balancer and high
 * availability": nginx (here tandem, contrib/labs/004/tandem.cfg) sends /api
 * to two Node.js API instances sharing Redis (here tandem-app api-1 and
 * api-2, 64 MiB memory limit each, one Redis) and the rest to a static site
 * (here tandem-app web). An instance whose memory passes 80% of its limit
 * answers 503 to /api/health and leaves the pool. What the lab expects:
 *   - with api-1 sick, 5 requests to /api/health all answer "2 - OK", the
 *     application keeps working (read and write todos);
 *   - its lesson: the "clear memory" request cannot reach the sick
 *     instance through the balancer (it lands on the healthy one), so
 *     operators need a management path to one named instance. tandem.cfg
 *     has one: /mgmt/<instance>/... (use-server + force-persist) reaches it
 *     while ordinary traffic never does. */
#include <string.h>
#include <tandem/clock.h>
#include <time.h>
#include "chaos.h"
#include "playbook.h"
#include "report.h"

/* tandem.cfg: check inter 1s fastinter 250ms rise 2 fall 2 */
#define INTER_MS     1000
#define FASTINTER_MS 250
#define FALL         2
#define RISE         2

static const struct lab_def lab004 = {
	.id = "004",
	.title = "/api to two instances sharing Redis, the rest static; a sick instance and a management path",
	.seed = "004_7fe097ff1eb5c673.txt",
	.backend = "api_backend",
	.more_backends = "frontend",
	.load_path = "/api/todos",
	.stats_uri = "/stats",
	.fe_port = 8080,
	.stats_port = 8404,
	.nodes = {
		{ .name = "api-1", .port = 3001, .args = "--redis 127.0.0.1:${PORT_REDIS} --mem-limit 64m" },
		{ .name = "api-2", .port = 3002, .args = "--redis 127.0.0.1:${PORT_REDIS} --mem-limit 64m" },
		{ .name = "web", .port = 8081 },
	},
	.deps = {
		{ .name = "redis", .port = 6379, .subject = NULL },
	},
};

enum { API1, API2, WEB };

static void judge_routing(struct pb_ctx *x)
{
	int per[MAX_NODES];
	char node[HC_NODE_MAX];

	pb_errors_zero(x);
	pb_split(x, "/api/health", 10, per);
	pb_check(x->s, "10 x /api/health: answered by api-1", per[API1], "in", 5, 5, "", 0);
	pb_check(x->s, "10 x /api/health: answered by api-2", per[API2], "in", 5, 5, "", 0);
	pb_split(x, "/", 4, per);
	pb_check(x->s, "4 x /: answered by the static site", per[WEB], "==", 0, 4, "", 0);
	pb_check(x->s, "/mgmt/api-2/api/health: status", pb_fe_node(x, "GET", "/mgmt/api-2/api/health", node),
		 "==", 0, 200, "", 0);
	pb_check(x->s, "/mgmt/api-2/api/health: answered by api-2", !strcmp(node, "api-2"), "==", 0, 1, "", 0);
}

static void judge_sick(struct pb_ctx *x)
{
	const struct run *r = x->r;
	uint64_t t = pb_fault_ms(x, 0);
	int per[MAX_NODES];

	pb_errors_zero(x);
	pb_check(x->s, "tandem marks api-1 DOWN after its memory passed 80%", (double)r->res[0].detect_lb_ms,
		 "<=", 0, INTER_MS + FALL * FASTINTER_MS + MARGIN_MS, "ms", 0);
	pb_check(x->s, "api-1's share from 2 s after (the sick node gets no traffic)",
		 pb_share(x, "api-1", t + 2000, r->m.used_ms), "in", 0, 0, "%", 0);
	pb_split(x, "/api/health", 5, per);
	pb_check(x->s, "5 x /api/health: answered by api-2 (the lab: '2 - OK' x5)", per[API2], "==", 0, 5, "", 0);
	pb_check(x->s, "GET /api/todos: status", pb_fe_status(x, "GET", "/api/todos"), "==", 0, 200, "", 0);
}

/* Poll until node <k> answers one of <n> requests to <path> (back in the
 * pool), at most <limit_ms>: the time it took, or -1. */
static double back_in_pool(struct pb_ctx *x, int k, const char *path, uint64_t limit_ms)
{
	uint64_t t0 = clock_mono_us();
	int per[MAX_NODES];

	while ((clock_mono_us() - t0) / 1000 < limit_ms && !chaos_interrupted) {
		pb_split(x, path, 2, per);
		if (per[k])
			return (clock_mono_us() - t0) / 1000.0;
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);   /* the next check is due */
	}
	return -1;
}

static void judge_lesson(struct pb_ctx *x)
{
	char node[HC_NODE_MAX];
	int per[MAX_NODES], st;

	pb_errors_zero(x);
	st = pb_fe_node(x, "POST", "/api/stress/clear", node);
	pb_check(x->s, "POST /api/stress/clear through the pool: status", st, "==", 0, 200, "", 0);
	pb_check(x->s, "... answered by the healthy api-2 (the lab's bug)", !strcmp(node, "api-2"), "==", 0, 1,
		 "", 0);
	pb_split(x, "/api/health", 4, per);
	pb_check(x->s, "api-1 still out of the pool: its answers to 4 requests", per[API1], "==", 0, 0, "", 0);
	st = pb_fe_node(x, "POST", "/mgmt/api-1/api/stress/clear", node);
	pb_check(x->s, "POST /mgmt/api-1/api/stress/clear: status", st, "==", 0, 200, "", 0);
	pb_check(x->s, "... answered by api-1, out of the pool", !strcmp(node, "api-1"), "==", 0, 1, "", 0);
	pb_check(x->s, "api-1 back in the pool after its memory was freed", back_in_pool(x, API1, "/api/health",
		 5000), "<=", 0, RISE * INTER_MS + MARGIN_MS, "ms", 0);
}

static const struct scenario scen004[] = {
	{ .name = "routing", .desc = "/api to the two instances (5/5), / to the static site, the management path "
	  "to the instance it names", .duration_ms = 1500, .conns = 2, .judge = judge_routing },
	{ .name = "sick", .desc = "api-1's memory past 80%: out of the pool, no error, /api/health answered by "
	  "api-2 only, todos still served", .duration_ms = 6000, .conns = 10,
	  .faults = { "1s:stress:api-1" }, .judge = judge_sick },
	{ .name = "lesson", .desc = "the clear-memory request reaches the healthy instance through the pool; the "
	  "management path reaches the sick one, which comes back", .duration_ms = 4000, .conns = 4,
	  .faults = { "1s:stress:api-1" }, .judge = judge_lesson },
};

const struct playbook pb_004 = {
	"004", "/api to two instances sharing Redis, the rest static; a sick instance and a management path",
	&lab004, scen004, sizeof(scen004) / sizeof(scen004[0])
};
