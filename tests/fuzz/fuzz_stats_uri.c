/* libFuzzer driver for the stats listener's request routing
 * (src/admin/stats_http.c): the options after `stats uri` (";csv",
 * ";json", ";st=CODE"...) and the JSON export's query string
 * (?history=SECONDS&rows=...), with the documents they lead to rendered
 * over a small configuration whose rows have a history (the sampler is
 * driven once per input). Each input is a request target; the contract:
 *  1. the answer is one of the documented statuses (200, 400, 404, 405);
 *  2. a 200 has a body of the announced length, NUL-terminated; a JSON
 *     document starts with '{' and ends with "}\n"; a 400 names the
 *     parameter it refuses;
 *  3. the same target answers the same status twice (no state leaks from
 *     one request into the next; lengths may differ: ages and rates move).
 * A violated invariant aborts.
 *
 * fuzz-src: LIB */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>
#include <tandem/stats_hist.h>
#include <tandem/stats_http.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static struct cfg cfg;
static struct proxy fe, be, st;
static struct server s1;
static uint64_t clk = 1800000000000ull;

static void build(void)
{
	list_init(&cfg.proxies);
	cfg.g.nbthread = 1;
	cfg.g.maxconn = 100;
	fe.id = "web"; fe.uuid = 1; fe.cap = PR_CAP_FE; fe.mode = PR_MODE_HTTP;
	be.id = "app"; be.uuid = 2; be.cap = PR_CAP_BE; be.mode = PR_MODE_HTTP;
	st.id = "stats"; st.uuid = 3; st.cap = PR_CAP_FE | PR_CAP_BE; st.mode = PR_MODE_HTTP;
	st.stats_enabled = 1;
	st.stats_uri = "/stats";
	for (struct proxy *p = &fe; p; p = p == &fe ? &be : p == &be ? &st : NULL) {
		p->fe_ctr = ctr_new();
		p->be_ctr = ctr_new();
		list_init(&p->servers);
		list_init(&p->stats_auths);
		list_add_tail(&cfg.proxies, &p->link);
	}
	s1.id = "s1"; s1.be = &be; s1.puid = 1; s1.ctr = ctr_new();
	s1.uweight = s1.eweight = 1;
	s1.state = SRV_ST_RUNNING;
	list_add_tail(&be.servers, &s1.link);
	shm_create();
	shm_bind_counters(&cfg);
}

static void serve(const char *uri, size_t len, struct stats_reply *out)
{
	INV(stats_http_serve(&cfg, &st, "GET", uri, len, NULL, 0, NULL, out) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int built;
	struct stats_reply a, b;
	char uri[2048];
	size_t len;

	if (!built) {
		build();
		built = 1;
	}
	/* the target starts with the stats URI: the options are what is fuzzed */
	len = (size_t)snprintf(uri, sizeof(uri), "/stats");
	if (size > sizeof(uri) - len - 1)
		size = sizeof(uri) - len - 1;
	memcpy(uri + len, data, size);
	len += size;
	uri[len] = 0;
	CTR_ADD(be.be_ctr->cum_req, 1 + size % 7);
	clk += 1000;
	stats_hist_sample(&cfg, clk);
	serve(uri, len, &a);
	INV(a.status == 200 || a.status == 400 || a.status == 404 || a.status == 405);
	if (a.status == 200) {
		INV(a.body && strlen(a.body) == a.len);
		if (!strcmp(a.ctype, "application/json"))
			INV(a.len >= 3 && a.body[0] == '{' && !strcmp(a.body + a.len - 2, "}\n"));
	}
	if (a.status == 400)
		INV(a.body && (!strncmp(a.body, "'history'", 9) || !strncmp(a.body, "'rows'", 6)));
	serve(uri, len, &b);
	INV(b.status == a.status);
	free(a.body);
	free(b.body);
	return 0;
}
