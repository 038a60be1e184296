/* The JSON export on a hand-built configuration: the document is valid JSON
 * (as JSON.parse sees it), has the documented shape, every column value
 * equals what the column table (and so the CSV) says, the histograms are the
 * counters', names are escaped, the stats proxy's scope, show-node/desc and hide-version
 * are honoured, rates and the history come out of the sampler's rings as
 * documented (HAProxy's per-second rates, ?history=), and
 * rendering from several threads at once while counters move is safe. */
#include <pthread.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/stats.h>
#include <tandem/clock.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>
#include <tandem/stats_export.h>
#include <tandem/stats_hist.h>
#include <tandem/version.h>
#include <tandem/counters-t.h>
#include "unit.h"
#include "json_min.h"

static struct cfg cfg;
static struct proxy fe, be, st;
static struct server sa, sb, sw;
static struct stats_auth auth = { .user = "admin", .pass = "pw" };

static void mk_server(struct server *s, const char *id, int puid, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;

	memset(s, 0, sizeof(*s));
	s->ctr = unit_ctr();
	s->id = (char *)id;
	s->be = &be;
	s->puid = puid;
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
	s->uweight = s->eweight = 1;
	s->state = SRV_ST_RUNNING;
	list_add_tail(&be.servers, &s->link);
}

static void build_cfg(void)
{
	memset(&cfg, 0, sizeof(cfg));
	list_init(&cfg.proxies);
	cfg.g.nbthread = 2;
	cfg.g.maxconn = 4096;
	cfg.g.node = "lb1";
	cfg.g.desc = "edge";

	memset(&fe, 0, sizeof(fe));
	fe.fe_ctr = unit_ctr();
	fe.be_ctr = unit_ctr();
	fe.id = "web"; fe.uuid = 1; fe.cap = PR_CAP_FE; fe.mode = PR_MODE_HTTP;
	list_init(&fe.servers);
	list_init(&fe.stats_auths);
	CTR_SET(fe.fe_ctr->cum_sess, 10);
	CTR_SET(fe.fe_ctr->cur_sess, 2);
	CTR_SET(fe.fe_ctr->cum_req, 12);
	CTR_SET(fe.fe_ctr->http_rsp[2], 9);
	CTR_SET(fe.fe_ctr->http_rsp[5], 3);
	CTR_SET(fe.fe_ctr->ta_hist[0], 4);
	CTR_SET(fe.fe_ctr->ta_hist[3], 5);
	CTR_SET(fe.fe_ctr->ta_hist[CTR_HIST_N - 1], 1);
	CTR_SET(fe.fe_ctr->ta_sum_us, 12500000);
	list_add_tail(&cfg.proxies, &fe.link);

	memset(&be, 0, sizeof(be));
	be.fe_ctr = unit_ctr();
	be.be_ctr = unit_ctr();
	be.id = "app"; be.uuid = 2; be.cap = PR_CAP_BE; be.mode = PR_MODE_HTTP;
	list_init(&be.servers);
	list_init(&be.stats_auths);
	be.last_change = 1000;
	CTR_SET(be.be_ctr->cum_sess, 10);
	CTR_SET(be.be_ctr->cum_req, 10);
	CTR_SET(be.be_ctr->ta_hist[2], 7);
	list_add_tail(&cfg.proxies, &be.link);
	mk_server(&sa, "a", 1, 8001);
	sa.has_check = 1;
	sa.eweight = sa.uweight = 3;
	CTR_SET(sa.ctr->cum_sess, 7);
	CTR_SET(sa.ctr->cur_sess, 1);
	CTR_SET(sa.ctr->max_sess, 4);
	CTR_SET(sa.ctr->http_rsp[2], 6);
	CTR_SET(sa.ctr->ta_hist[1], 6);
	mk_server(&sb, "b", 2, 8002);
	sb.state = SRV_ST_STOPPED;
	sb.has_check = 1;
	CTR_SET(sb.ctr->cum_sess, 3);
	CTR_SET(sb.ctr->failed_conns, 2);
	CTR_SET(sb.ctr->retries, 4);
	CTR_SET(sb.ctr->redispatches, 1);
	/* a name that needs every kind of escaping */
	mk_server(&sw, "w\"e\\ird</script>\n\x01", 3, 8003);
	sw.admin = SRV_ADMF_DRAIN;

	memset(&st, 0, sizeof(st));
	st.fe_ctr = unit_ctr();
	st.be_ctr = unit_ctr();
	st.id = "stats"; st.uuid = 3; st.cap = PR_CAP_FE | PR_CAP_BE; st.mode = PR_MODE_HTTP;
	list_init(&st.servers);
	list_init(&st.stats_auths);
	st.stats_enabled = 1;
	st.stats_uri = "/stats";
	list_add_tail(&cfg.proxies, &st.link);
}

static struct jm *render(const struct proxy *px, uint64_t now_ms)
{
	size_t len = 0;
	char *doc = stats_render_json(&cfg, px, now_ms, &len);
	struct jm *j;

	CHECK("json rendered", doc && len == strlen(doc));
	if (!doc)
		return NULL;
	j = jm_parse(doc, len);
	CHECK("json parses (strict RFC 8259)", j != NULL);
	if (!j)
		printf("  doc: %.400s\n", doc);
	free(doc);
	return j;
}

/* Every member of <o> named after a column equals stats_get() of that
 * column, except the rates, which only the JSON export computes. */
static void same_as_table(const struct jm *o, const struct stat_row *r, const char *what)
{
	int compared = 0, bad = 0;

	for (int i = 0; o && i < o->n; i++) {
		for (int f = 0; f < ST_F_TOTAL; f++) {
			struct stat_val v;
			const struct jm *k = o->kids[i];
			int ok;

			if (strcmp(o->keys[i], stat_cols[f].name))
				continue;
			/* rates are computed by the renderer (the CSV has no data for them) */
			if (f == ST_F_RATE || f == ST_F_REQ_RATE)
				continue;
			stats_get(f, r, &v);
			switch (v.type) {
			case STV_U64: case STV_AGE: ok = k->type == JM_NUM && k->num == (double)v.u; break;
			case STV_S64: ok = k->type == JM_NUM && k->num == (double)v.s; break;
			case STV_STR: ok = k->type == JM_STR && !strcmp(k->str, v.str ? v.str : ""); break;
			default: ok = k->type == JM_NULL;
			}
			if (!ok) {
				printf("  %s: column %s differs\n", what, stat_cols[f].name);
				bad++;
			}
			compared++;
		}
	}
	CHECKF(compared >= 10 && !bad, "%s: %d values equal to the column table", what, compared);
}

/* A row as the document of time <ms> reads it. */
static void row_at(struct stat_row *r, int obj, const struct proxy *px, const struct server *s, uint64_t ms)
{
	stats_row_init(r, &cfg, obj, px, s);
	r->now_ms = ms;
	r->now_s = ms / 1000;
}

static void test_shape(void)
{
	uint64_t now = clock_wall_us() / 1000;
	struct jm *j = render(&st, now), *fes, *bes, *app, *srvs, *a, *b, *w, *h;
	struct stat_row r;

	if (!j)
		return;
	CHECK("top: node (global node when show-node is off)", jm_get(j, "node") && !strcmp(jm_get(j, "node")->str, "lb1"));
	CHECK("top: desc null without show-desc", jm_get(j, "desc") && jm_get(j, "desc")->type == JM_NULL);
	CHECK("top: version", jm_get(j, "version") && !strcmp(jm_get(j, "version")->str, TANDEM_VERSION));
	CHECK("top: pid, uptime_s, nbthread, maxconn", jm_num(jm_get(j, "pid"), 0) > 0 &&
	      jm_get(j, "uptime_s") && jm_num(jm_get(j, "nbthread"), 0) == 2 && jm_num(jm_get(j, "maxconn"), 0) == 4096);
	CHECK("top: current_conns = sum of frontend scur", jm_num(jm_get(j, "current_conns"), -1) == 2);
	CHECK("top: refresh_ms 1000 by default", jm_num(jm_get(j, "refresh_ms"), 0) == 1000);
	CHECK("top: admin false without stats admin", jm_get(j, "admin") && jm_get(j, "admin")->type == JM_BOOL &&
	      !jm_get(j, "admin")->num);
	h = jm_get(j, "hist_bounds_ms");
	CHECK("top: hist_bounds_ms are the counters' bounds", h && h->n == CTR_HIST_N - 1 &&
	      jm_num(jm_at(h, 0), 0) == ctr_hist_bounds_ms[0] &&
	      jm_num(jm_at(h, CTR_HIST_N - 2), 0) == ctr_hist_bounds_ms[CTR_HIST_N - 2]);

	fes = jm_get(j, "frontends");
	bes = jm_get(j, "backends");
	CHECK("frontends: web and the stats listen", fes && fes->n == 2 && jm_named(fes, "web") && jm_named(fes, "stats"));
	CHECK("backends: app and the stats listen", bes && bes->n == 2 && jm_named(bes, "app"));
	CHECK("stats flag on the stats proxy only", jm_get(jm_named(bes, "stats"), "stats")->num == 1 &&
	      jm_get(jm_named(bes, "app"), "stats")->num == 0);
	row_at(&r, STO_FE, &fe, NULL, now);
	same_as_table(jm_named(fes, "web"), &r, "frontend web");
	CHECK("frontend hrsp", jm_num(jm_get(jm_get(jm_named(fes, "web"), "hrsp"), "2xx"), -1) == 9 &&
	      jm_num(jm_get(jm_get(jm_named(fes, "web"), "hrsp"), "5xx"), -1) == 3);
	h = jm_get(jm_get(jm_named(fes, "web"), "hist"), "counts");
	CHECK("frontend hist counts are ta_hist", h && h->n == CTR_HIST_N && jm_num(jm_at(h, 0), -1) == 4 &&
	      jm_num(jm_at(h, 3), -1) == 5 && jm_num(jm_at(h, CTR_HIST_N - 1), -1) == 1);
	CHECK("frontend hist sum_s", jm_num(jm_get(jm_get(jm_named(fes, "web"), "hist"), "sum_s"), 0) == 12.5);
	CHECK("frontend cap/iid", !strcmp(jm_get(jm_named(fes, "web"), "cap")->str, "frontend") &&
	      jm_num(jm_get(jm_named(fes, "web"), "iid"), 0) == 1);

	app = jm_named(bes, "app");
	row_at(&r, STO_BE, &be, NULL, now);
	same_as_table(app, &r, "backend app");
	CHECK("backend status UP (a is up)", !strcmp(jm_get(app, "status")->str, "UP"));
	CHECK("backend hist", jm_num(jm_at(jm_get(jm_get(app, "hist"), "counts"), 2), -1) == 7);
	srvs = jm_get(app, "servers");
	CHECK("servers in configuration order", srvs && srvs->n == 3 &&
	      !strcmp(jm_get(jm_at(srvs, 0), "name")->str, "a") && !strcmp(jm_get(jm_at(srvs, 1), "name")->str, "b"));
	a = jm_named(srvs, "a");
	b = jm_named(srvs, "b");
	row_at(&r, STO_SRV, &be, &sa, now);
	same_as_table(a, &r, "server a");
	row_at(&r, STO_SRV, &be, &sb, now);
	same_as_table(b, &r, "server b");
	CHECK("server a: status, weight, scur, smax, stot", !strcmp(jm_get(a, "status")->str, "UP") &&
	      jm_num(jm_get(a, "weight"), 0) == 3 && jm_num(jm_get(a, "scur"), 0) == 1 &&
	      jm_num(jm_get(a, "smax"), 0) == 4 && jm_num(jm_get(a, "stot"), 0) == 7);
	CHECK("server b: DOWN, econ, wretr, wredis", !strcmp(jm_get(b, "status")->str, "DOWN") &&
	      jm_num(jm_get(b, "econ"), 0) == 2 && jm_num(jm_get(b, "wretr"), 0) == 4 &&
	      jm_num(jm_get(b, "wredis"), 0) == 1);
	CHECK("server: addr and sid", !strcmp(jm_get(a, "addr")->str, "127.0.0.1:8001") && jm_num(jm_get(b, "sid"), 0) == 2);
	CHECK("server: hrsp object", jm_num(jm_get(jm_get(a, "hrsp"), "2xx"), -1) == 6);
	CHECK("server: hist", jm_num(jm_at(jm_get(jm_get(a, "hist"), "counts"), 1), -1) == 6);
	/* keys present even without data (null), so the shape is stable */
	for (size_t i = 0; i < 8; i++) {
		static const char *const keys[] = { "check_status", "check_duration", "lastchg", "downtime",
						    "chkfail", "qcur", "rate", "err_rate" };
		CHECKF(jm_get(b, keys[i]) != NULL, "server row always has %s", keys[i]);
	}
	w = jm_at(srvs, 2);
	CHECK("escaped name comes back intact", w && jm_get(w, "name") &&
	      !strcmp(jm_get(w, "name")->str, "w\"e\\ird</script>\n\x01"));
	CHECK("DRAIN status", w && !strcmp(jm_get(w, "status")->str, "DRAIN"));
	jm_free(j);
}

static void test_stats_settings(void)
{
	size_t len;
	char *doc;
	struct jm *j;

	st.n_stats_scope = 1;
	st.stats_scope = (char *[]){ "app" };
	st.stats_hide_version = 1;
	st.stats_show_node = 1;
	st.stats_node = "edge-7";
	st.stats_show_desc = 1;
	st.stats_refresh = 5000;
	st.stats_admin = 1;
	list_add_tail(&st.stats_auths, &auth.link);
	j = render(&st, 1000);
	if (j) {
		CHECK("scope: no frontend listed", jm_get(j, "frontends") && jm_get(j, "frontends")->n == 0);
		CHECK("scope: only app", jm_get(j, "backends") && jm_get(j, "backends")->n == 1 &&
		      jm_named(jm_get(j, "backends"), "app"));
		CHECK("hide-version: version null", jm_get(j, "version")->type == JM_NULL);
		CHECK("show-node NAME", !strcmp(jm_get(j, "node")->str, "edge-7") && jm_get(j, "show_node")->num == 1);
		CHECK("show-desc: global description", jm_get(j, "desc")->type == JM_STR &&
		      !strcmp(jm_get(j, "desc")->str, "edge"));
		CHECK("refresh_ms follows stats refresh", jm_num(jm_get(j, "refresh_ms"), 0) == 5000);
		CHECK("admin true with stats admin and stats auth", jm_get(j, "admin")->num == 1);
		jm_free(j);
	}
	list_del(&auth.link);
	j = render(&st, 1000);
	CHECK("admin false without stats auth", j && jm_get(j, "admin")->num == 0);
	jm_free(j);
	doc = stats_render_json(&cfg, NULL, 1000, &len);
	j = doc ? jm_parse(doc, len) : NULL;
	CHECK("NULL stats proxy: everything", j && jm_get(j, "frontends")->n == 2 && jm_get(j, "backends")->n == 2);
	jm_free(j);
	free(doc);
	st.n_stats_scope = 0;
	st.stats_scope = NULL;
	st.stats_hide_version = st.stats_show_node = st.stats_show_desc = st.stats_admin = 0;
	st.stats_node = NULL;
	st.stats_refresh = 0;
}

static double be_rate(struct jm *j, const char *key)
{
	return jm_num(jm_get(jm_named(jm_get(j, "backends"), "app"), key), -1);
}

static struct jm *srv_obj(struct jm *j, const char *name)
{
	return jm_named(jm_get(jm_named(jm_get(j, "backends"), "app"), "servers"), name);
}

/* Move every row's counters into the shared area, values kept, as the
 * master does before forking (rings exist only for shared counters). */
static void share_counters(void)
{
	struct counters saved[16];
	struct counters **ptrs[16];
	struct list *pl, *sl;
	int n = 0;

	CHECK("shared area", shm_create() == 0 && tdm_hist != NULL);
	list_for_each(pl, &cfg.proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		ptrs[n++] = &px->fe_ctr;
		ptrs[n++] = &px->be_ctr;
		list_for_each(sl, &px->servers)
			ptrs[n++] = &list_entry(sl, struct server, link)->ctr;
	}
	for (int i = 0; i < n; i++) {
		saved[i] = **ptrs[i];
		*ptrs[i] = ctr_new();   /* shm_bind_counters frees what it replaces */
	}
	shm_bind_counters(&cfg);
	for (int i = 0; i < n; i++)
		**ptrs[i] = saved[i];
	CHECK("counters bound", be.ctr_shared && sa.ctr_shared && shm_hist_ring(be.be_ctr) != NULL);
}

/* Rates and history come from the sampler's rings; the sampler is driven
 * here with simulated wall-clock time. */
static uint64_t T0;   /* ms, the second boundary the test starts at (state changes carry the real time) */

static void test_rates(void)
{
	struct json_opts ho = { .history_s = 5, .history_rows = STO_FE | STO_BE | STO_SRV };
	struct jm *j, *hist, *ev;
	size_t len;
	char *doc;

	T0 = clock_wall_us() / 1000000 * 1000;
	share_counters();
	j = render(&st, T0);
	CHECK("before any sample: no span, rates 0", j && jm_num(jm_get(j, "rate_span_ms"), -1) == 0 &&
	      be_rate(j, "req_rate") == 0);
	jm_free(j);
	/* first sample of second T0/1000 - 1: the new rows count from 0 (the
	 * backend's 10 requests so far) */
	stats_hist_sample(&cfg, T0);
	CTR_ADD(be.be_ctr->cum_req, 20);
	CTR_ADD(be.be_ctr->cum_sess, 20);
	CTR_ADD(sa.ctr->cum_sess, 10);
	CTR_ADD(sb.ctr->failed_conns, 5);
	j = render(&st, T0 + 500);
	CHECK("after the first sample: span 1000 ms", j && jm_num(jm_get(j, "rate_span_ms"), -1) == 1000);
	CHECK("20 this second + half of the previous second's 10: 25/s", be_rate(j, "req_rate") == 25 &&
	      be_rate(j, "rate") == 25);
	CHECK("server a req_rate 10 + 7/2 (sessions)", jm_num(jm_get(srv_obj(j, "a"), "req_rate"), -1) == 13.5);
	CHECK("server b err_rate 5 + 2/2 (connection errors)", jm_num(jm_get(srv_obj(j, "b"), "err_rate"), -1) == 6);
	jm_free(j);
	stats_hist_sample(&cfg, T0 + 1000);   /* closes the period: 20 requests in 1000 ms */
	j = render(&st, T0 + 1250);
	CHECK("HAProxy's weighing: 0 now + 20 x 750/1000 = 15/s", be_rate(j, "req_rate") == 15);
	jm_free(j);
	CTR_ADD(be.be_ctr->cum_req, 10);
	CTR_ADD(be.be_ctr->cum_sess, 10);
	j = render(&st, T0 + 1250);
	CHECK("10 more now: 25/s", be_rate(j, "req_rate") == 25);
	jm_free(j);

	/* the history of the last 5 seconds */
	doc = stats_render_json_opts(&cfg, NULL, T0 + 1255, &ho, &len);
	j = doc ? jm_parse(doc, len) : NULL;
	free(doc);
	hist = j ? jm_get(j, "history") : NULL;
	CHECK("history: window of 5 s ending with the newest sampled second",
	      hist && jm_num(jm_get(hist, "seconds"), 0) == 5 && jm_num(jm_get(hist, "end_s"), 0) == T0 / 1000);
	{
		struct jm *bh = jm_get(jm_named(jm_get(j, "backends"), "app"), "history");
		struct jm *req = jm_get(bh, "req"), *state = jm_get(bh, "state");
		struct jm *ah = jm_get(srv_obj(j, "a"), "history"), *bhist = jm_get(srv_obj(j, "b"), "history");

		CHECK("backend req: no sample, then the 10 from 0, then 20",
		      req && req->n == 5 && jm_at(req, 0)->type == JM_NULL && jm_num(jm_at(req, 3), -1) == 10 &&
		      jm_num(jm_at(req, 4), -1) == 20);
		CHECK("backend state: unknown, then UP", state && jm_at(state, 2)->type == JM_NULL &&
		      !strcmp(jm_at(state, 3)->str, "UP") && !strcmp(jm_at(state, 4)->str, "UP"));
		CHECK("server a: its sessions", jm_num(jm_at(jm_get(ah, "req"), 4), -1) == 10);
		CHECK("server b: its connection errors", jm_num(jm_at(jm_get(bhist, "econ"), 4), -1) == 5 &&
		      jm_num(jm_at(jm_get(bhist, "e5xx"), 4), -1) == 0);
		CHECK("server b: state DOWN, passive null without health", !strcmp(jm_at(jm_get(bhist, "state"), 4)->str, "DOWN") &&
		      jm_at(jm_get(bhist, "passive"), 4)->type == JM_NULL);
		CHECK("frontend rows: ereq instead of econ/eresp",
		      jm_get(jm_get(jm_named(jm_get(j, "frontends"), "web"), "history"), "ereq") &&
		      !jm_get(jm_get(jm_named(jm_get(j, "frontends"), "web"), "history"), "econ"));
	}
	jm_free(j);

	/* the backend loses its last server: a state change, in the history */
	sa.admin = SRV_ADMF_MAINT;
	stats_hist_sample(&cfg, T0 + 2005);
	sa.admin = 0;
	doc = stats_render_json_opts(&cfg, NULL, T0 + 2100, &ho, &len);
	j = doc ? jm_parse(doc, len) : NULL;
	free(doc);
	ev = j ? jm_get(jm_get(j, "history"), "events") : NULL;
	CHECK("history.events: the backend went DOWN", ev && ev->n >= 1 &&
	      !strcmp(jm_get(jm_at(ev, ev->n - 1), "object")->str, "app") &&
	      !strcmp(jm_get(jm_at(ev, ev->n - 1), "from")->str, "UP") &&
	      !strcmp(jm_get(jm_at(ev, ev->n - 1), "to")->str, "DOWN") &&
	      !strcmp(jm_get(jm_at(ev, ev->n - 1), "kind")->str, "health") &&
	      !strcmp(jm_get(jm_at(ev, ev->n - 1), "reason")->str, "no server available") &&
	      jm_get(jm_at(ev, ev->n - 1), "server")->type == JM_NULL);
	jm_free(j);
	/* outside the stats proxy's scope: not listed */
	st.n_stats_scope = 1;
	st.stats_scope = (char *[]){ "web" };
	doc = stats_render_json_opts(&cfg, &st, T0 + 2100, &ho, &len);
	j = doc ? jm_parse(doc, len) : NULL;
	free(doc);
	ev = j ? jm_get(jm_get(j, "history"), "events") : NULL;
	CHECK("scope: changes of other proxies left out", ev && ev->n == 0);
	jm_free(j);
	st.n_stats_scope = 0;
	st.stats_scope = NULL;
	/* history is asked for: a window older than every change lists none */
	ho.history_s = 1;
	doc = stats_render_json_opts(&cfg, NULL, T0 + 60000, &ho, &len);
	j = doc ? jm_parse(doc, len) : NULL;
	free(doc);
	CHECK("a 1 s window a minute later lists no change",
	      j && jm_get(jm_get(j, "history"), "events") && jm_get(jm_get(j, "history"), "events")->n == 0);
	jm_free(j);
}

/* Several threads render while another moves the counters. */
static int stop_bump;   /* atomic */

static void *bump(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_bump, __ATOMIC_RELAXED)) {
		CTR_ADD(be.be_ctr->cum_req, 1);
		CTR_ADD(sa.ctr->cum_sess, 1);
		ctr_hist_add(sa.ctr, 1500);
	}
	return NULL;
}

static void *renderer(void *arg)
{
	uint64_t base = 100000 + (uint64_t)(uintptr_t)arg * 7;
	long ok = 0;

	for (int i = 0; i < 150; i++) {
		size_t len;
		char *doc = stats_render_json(&cfg, &st, base + (uint64_t)i * 40, &len);
		struct jm *j = doc ? jm_parse(doc, len) : NULL;
		ok += j && be_rate(j, "req_rate") >= 0;
		jm_free(j);
		free(doc);
	}
	return (void *)ok;
}

static void test_threads(void)
{
	pthread_t b, t[4];
	long total = 0;

	__atomic_store_n(&stop_bump, 0, __ATOMIC_RELAXED);
	pthread_create(&b, NULL, bump, NULL);
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, renderer, (void *)i);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		total += (long)r;
	}
	__atomic_store_n(&stop_bump, 1, __ATOMIC_RELAXED);
	pthread_join(b, NULL);
	CHECKF(total == 600, "4 threads x 150 concurrent renders all valid (%ld)", total);
}

int main(void)
{
	build_cfg();
	test_shape();
	test_stats_settings();
	test_rates();
	test_threads();
	UNIT_END();
}
