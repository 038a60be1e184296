/* Lab 003 (seed 003_fa8cd845f26234c1.txt), "Stateless Layer High
 * Availability", Part 1: one HAProxy (here tandem, contrib/labs/003/tandem.cfg)
 * on :8080 over three nginx (here tandem-app nginx1..nginx3, each on a
 * loopback address of its own), the servers found by DNS (`resolvers docker`,
 * `init-addr libc,none`; here dnsmasq answering their names), `check inter 2s
 * fall 3 rise 2`, stats on :8404. What the lab shows and expects:
 *   load balancing: ~33% each when healthy;
 *   health check and failover (Demo 4): nginx1 stopped, HAProxy marks it DOWN
 *     within 5-10 s, then nginx2 too (all traffic to nginx3), both restored;
 *     the load runs without error: success rate > 99% during a backend failure;
 *   backend recovery (Demo 5): instances brought back one by one, 5 s apart,
 *     traffic redistributed;
 *   dynamic DNS (Troubleshooting): a container restarted with a new IP is
 *     found again, back UP within 10-15 s, no HAProxy restart;
 *   the DNS server not answering does not take the servers out (the lab's
 *     unanswered nameserver, and `hold`).
 * Part 2 (two balancers sharing a virtual IP with keepalived) needs network
 * namespaces: tests/netns/lab003.py, doc/labs.md. */
#include <stdio.h>
#include <string.h>
#include "admin.h"
#include "lbstat.h"
#include "playbook.h"

/* tandem.cfg: check inter 2s fall 3 rise 2 (fastinter = downinter = inter);
 * resolvers: timeout resolve 1s */
#define INTER_MS   2000
#define FALL       3
#define RISE       2
#define RESOLVE_MS 1000
#define HOLD_MS    10000

static const struct lab_def lab003 = {
	.id = "003",
	.title = "HAProxy over three nginx found by DNS: round robin, failover, recovery, new addresses",
	.seed = "003_fa8cd845f26234c1.txt",
	.backend = "nginx_backend",
	.load_path = "/",
	.stats_uri = "/",
	.fe_port = 8080,
	.stats_port = 8404,
	.nodes = {
		{ .name = "nginx1", .port = 8081, .addr = "127.0.0.11" },
		{ .name = "nginx2", .port = 8082, .addr = "127.0.0.12" },
		{ .name = "nginx3", .port = 8083, .addr = "127.0.0.13" },
	},
	.deps = {
		{ .name = "dns", .port = 8053, .kind = DEP_DNS },
	},
};

static const char *const ng[] = { "nginx1", "nginx2", "nginx3" };

/* Each nginx gets lo..hi % of the answers in [from, to). */
static void shares(struct pb_ctx *x, double lo, double hi, uint64_t from, uint64_t to, const char *when)
{
	char what[96];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "%s's share %s", ng[i], when);
		pb_check(x->s, what, pb_share(x, ng[i], from, to), "in", lo, hi, "%", 0);
	}
}

/* Answered requests / all requests, in %, over the whole run. */
static double success_rate(const struct run *r)
{
	return r->m.done ? 100.0 * (double)(r->m.done - r->m.err) / (double)r->m.done : 0;
}

/* Is <addr> the address tandem gives server <srv> (`show servers state`)? */
static int server_addr_is(struct pb_ctx *x, const char *srv, const char *addr)
{
	static char out[ADMIN_ANSWER_MAX];
	char cmd[128], name[64], a[64];
	const char *p;

	snprintf(cmd, sizeof(cmd), "show servers state %s", x->lab->backend);
	if (admin_cmd(x->lab->admin_sock, cmd, 2000, out, sizeof(out)) < 0)
		return 0;
	/* "be_id be_name srv_id srv_name srv_addr ..." per line */
	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (*p != '#' && sscanf(p, "%*s %*s %*s %63s %63s", name, a) == 2 && !strcmp(name, srv))
			return !strcmp(a, addr);
	return 0;
}

static void judge_roundrobin(struct pb_ctx *x)
{
	char line[128];

	pb_errors_zero(x);
	shares(x, 28, 38, 200, x->r->m.used_ms, "(~33% each)");
	/* init-addr libc,none: libc does not know the names, DNS does */
	snprintf(line, sizeof(line), "nginx_backend/nginx1 changed its IP from (none) to %s by docker/dns1",
		 x->lab->node[0].addr);
	pb_check(x->s, "nginx1's address came from the lab's DNS (tandem's log)",
		 lab_log_has(x->lab, "tandem.log", line), "==", 0, 1, "", 0);
}

static void judge_failover(struct pb_ctx *x)
{
	const struct run *r = x->r;
	uint64_t k2 = pb_fault_ms(x, 1), r1 = pb_fault_ms(x, 2), end = r->m.used_ms;

	pb_check(x->s, "success rate through the failures (> 99%)", success_rate(r), "in", 99, 100, "%", 0);
	pb_errors_zero(x);
	pb_check(x->s, "tandem marks nginx1 DOWN after (the lab: 5-10 s)", (double)r->res[0].detect_lb_ms,
		 "<=", 0, FALL * INTER_MS + MARGIN_MS, "ms", 0);
	pb_check(x->s, "last answer from nginx1 after its kill", (double)r->res[0].detect_traffic_ms, "<=", 0,
		 MARGIN_MS, "ms", 0);
	pb_check(x->s, "nginx3's share while nginx1 and nginx2 are dead", pb_share(x, "nginx3", k2 + 500, r1),
		 "in", 100, 100, "%", 0);
	/* rise 2 checks, inter 2s apart, the first within inter of the start */
	pb_check(x->s, "nginx1's share back to 70% of normal after restart", (double)r->res[2].recover_share_ms,
		 "<=", 0, RISE * INTER_MS + 500 + MARGIN_MS, "ms", 0);
	pb_check(x->s, "nginx2's share back to 70% of normal after restart", (double)r->res[3].recover_share_ms,
		 "<=", 0, RISE * INTER_MS + 500 + MARGIN_MS, "ms", 0);
	shares(x, 28, 38, end - 1500, end, "in the last 1.5 s (~33% each)");
}

static void judge_readdress(struct pb_ctx *x)
{
	const struct run *r = x->r;
	const char *now = x->lab->node[0].addr;
	char line[128];

	pb_errors_zero(x);
	pb_check(x->s, "tandem marks nginx1 DOWN after its kill", (double)r->res[0].detect_lb_ms, "<=", 0,
		 FALL * INTER_MS + MARGIN_MS, "ms", 0);
	pb_check(x->s, "first answer from nginx1 at its new address (the lab: 10-15 s)",
		 (double)r->res[1].recover_first_ms, "<=", 0, RESOLVE_MS + 1000, "ms", 0);
	pb_check(x->s, "tandem marks nginx1 UP again after", (double)r->res[1].recover_lb_ms, "<=", 0,
		 RESOLVE_MS + 1000, "ms", 1);
	pb_check(x->s, "nginx1's share back to 70% of normal after", (double)r->res[1].recover_share_ms, "<=",
		 0, RESOLVE_MS + 1000 + MARGIN_MS, "ms", 0);
	pb_check(x->s, "`show servers state` gives nginx1 its new address", server_addr_is(x, "nginx1", now),
		 "==", 0, 1, "", 0);
	snprintf(line, sizeof(line), "nginx_backend/nginx1 changed its IP from %.20s to %.20s by docker/dns1",
		 lab003.nodes[0].addr, now);
	pb_check(x->s, "tandem's log says nginx1 changed its IP", lab_log_has(x->lab, "tandem.log", line),
		 "==", 0, 1, "", 0);
}

/* When tandem's stats first showed server <node> in <status> in [from, to),
 * in ms from <from>; -1 if never. */
static double lb_at(struct pb_ctx *x, int node, const char *status, uint64_t from, uint64_t to)
{
	const struct lbev *e = x->r->has_lb ? lbstat_find(&x->r->lb, node, from, to, status, 1) : NULL;

	return e ? (double)(e->t_ms - from) : -1;
}

static void judge_dns_down(struct pb_ctx *x)
{
	const struct run *r = x->r;
	uint64_t kill = pb_fault_ms(x, 0), back = pb_fault_ms(x, 1), end = r->m.used_ms;
	struct wsum w;
	double maint;

	meas_sum(&r->m, kill, kill + HOLD_MS, &w);
	pb_check(x->s, "client errors while the last answer holds (10 s)", w.err, "==", 0, 0, "", 0);
	shares(x, 28, 38, kill + 500, kill + HOLD_MS, "while the last answer holds");
	maint = lb_at(x, 0, "MAINT (resolution)", kill, back);
	pb_check(x->s, "nginx1 in MAINT (resolution) after (hold timeout 10s, 3 tries)", maint, "in", HOLD_MS,
		 HOLD_MS + 3 * RESOLVE_MS + MARGIN_MS, "ms", 0);
	if (maint >= 0) {
		meas_sum(&r->m, kill + (uint64_t)maint + 100, back, &w);
		pb_check(x->s, "then 503 answers (\"no server available\")", w.s503, ">", 0, 0, "", 1);
	}
	pb_check(x->s, "nginx1 UP again after the DNS server's restart", lb_at(x, 0, "UP", back, end), "<=", 0,
		 RESOLVE_MS + MARGIN_MS, "ms", 0);
	shares(x, 28, 38, end - 1000, end, "in the last second");
}

static const struct scenario scen003[] = {
	{ .name = "roundrobin", .desc = "Demo 3: load through HAProxy, the servers found by DNS: ~33% each",
	  .duration_ms = 3000, .conns = 5, .judge = judge_roundrobin },
	{ .name = "failover", .desc = "Demos 4 and 5: nginx1 stopped, then nginx2 (all to nginx3), then both "
	  "brought back 5 s apart; success rate > 99%", .duration_ms = 19000, .conns = 5,
	  .faults = { "1.5s:kill:nginx1", "5s:kill:nginx2", "8s:restart:nginx1", "13s:restart:nginx2" },
	  .judge = judge_failover },
	{ .name = "readdress", .desc = "dynamic DNS: nginx1 stopped, back 5 s later with a new IP, found again "
	  "(the lab: 10-15 s)", .duration_ms = 9000, .conns = 5,
	  .faults = { "1s:kill:nginx1", "6s:move:nginx1" }, .judge = judge_readdress },
	{ .name = "dns-down", .desc = "Troubleshooting: the DNS server stops answering: no change for 10 s "
	  "(hold timeout), then MAINT (resolution) and 503 (the lab's symptom), back when it answers again",
	  .duration_ms = 15500, .conns = 5, .faults = { "1s:kill:dns", "13.5s:restart:dns" },
	  .judge = judge_dns_down },
};

const struct playbook pb_003 = {
	"003", "HAProxy over three nginx found by DNS: round robin, failover, recovery, new addresses", &lab003,
	scen003, sizeof(scen003) / sizeof(scen003[0])
};
