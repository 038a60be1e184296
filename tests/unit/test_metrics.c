/* /metrics on a hand-built configuration: the Prometheus text format 0.0.4
 * rules promtool checks (one HELP and TYPE per family, before its samples,
 * families contiguous, counters end in _total, histograms cumulative with
 * +Inf = _count, label values escaped), the values are the column table's,
 * and the stats proxy's scope and hide-version are honoured. The integration
 * test runs the real promtool and a real Prometheus on the output. */
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/stats.h>
#include <tandem/stats_export.h>
#include <tandem/version.h>
#include <tandem/counters-t.h>
#include "unit.h"

static struct cfg cfg;
static struct proxy fe, be, tcp, st;
static struct server sa, sb, sw;

static void mk_server(struct server *s, struct proxy *b, const char *id, int puid)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;

	memset(s, 0, sizeof(*s));
	s->ctr = unit_ctr();
	s->id = (char *)id;
	s->be = b;
	s->puid = puid;
	a->sin_family = AF_INET;
	a->sin_port = htons(8000 + puid);
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
	s->uweight = s->eweight = 1;
	s->state = SRV_ST_RUNNING;
	list_add_tail(&b->servers, &s->link);
}

static void mk_proxy(struct proxy *p, const char *id, int uuid, int cap, int mode)
{
	memset(p, 0, sizeof(*p));
	p->fe_ctr = unit_ctr();
	p->be_ctr = unit_ctr();
	p->id = (char *)id;
	p->uuid = uuid;
	p->cap = cap;
	p->mode = mode;
	list_init(&p->servers);
	list_init(&p->stats_auths);
	list_add_tail(&cfg.proxies, &p->link);
}

static void build_cfg(void)
{
	memset(&cfg, 0, sizeof(cfg));
	list_init(&cfg.proxies);
	cfg.g.nbthread = 3;
	cfg.g.maxconn = 2000;
	mk_proxy(&fe, "web", 1, PR_CAP_FE, PR_MODE_HTTP);
	CTR_SET(fe.fe_ctr->cum_req, 12);
	CTR_SET(fe.fe_ctr->cur_sess, 5);
	CTR_SET(fe.fe_ctr->http_rsp[2], 9);
	CTR_SET(fe.fe_ctr->ta_hist[0], 2);
	CTR_SET(fe.fe_ctr->ta_hist[4], 3);
	CTR_SET(fe.fe_ctr->ta_hist[CTR_HIST_N - 1], 1);
	CTR_SET(fe.fe_ctr->ta_sum_us, 11250001);
	mk_proxy(&be, "app", 2, PR_CAP_BE, PR_MODE_HTTP);
	CTR_SET(be.be_ctr->cum_req, 10);
	CTR_SET(be.be_ctr->ctime_sum, 30);
	CTR_SET(be.be_ctr->cum_sess, 10);
	mk_server(&sa, &be, "a", 1);
	sa.has_check = 1;
	sa.eweight = 3;
	sa.uweight = 4;
	CTR_SET(sa.ctr->cum_sess, 7);
	CTR_SET(sa.ctr->bytes_out, 123456789012ull);
	CTR_SET(sa.ctr->ta_hist[1], 6);
	mk_server(&sb, &be, "b", 2);
	sb.has_check = 1;
	sb.state = SRV_ST_STOPPED;
	CTR_SET(sb.ctr->failed_conns, 2);
	CTR_SET(sb.ctr->retries, 4);
	CTR_SET(sb.ctr->redispatches, 1);
	CTR_SET(sb.ctr->failed_resp, 3);
	mk_server(&sw, &be, "we\"i\\rd\nname", 3);
	sw.admin = SRV_ADMF_FMAINT;
	mk_proxy(&tcp, "db", 3, PR_CAP_FE | PR_CAP_BE, PR_MODE_TCP);
	mk_proxy(&st, "stats", 4, PR_CAP_FE | PR_CAP_BE, PR_MODE_HTTP);
	st.stats_enabled = 1;
	st.stats_uri = "/stats";
}

/* ---- a checker for the text format -------------------------------------- */

#define MAXFAM 256
static char fam_seen[MAXFAM][96];
static int nfam;

static int seen(const char *name)
{
	for (int i = 0; i < nfam; i++)
		if (!strcmp(fam_seen[i], name))
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* Parse the labels of a sample line at <p> ('{'), checking escapes; copies
 * the label set without "le" into <key> (for histogram grouping) and the le
 * value into <le>. Returns the position after '}', or NULL. */
static const char *parse_labels(const char *p, char *key, size_t keycap, char *le, size_t lecap)
{
	size_t k = 0;

	le[0] = '\0';
	p++;
	while (*p && *p != '}') {
		char name[64], val[256];
		size_t n = 0, v = 0;

		while ((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			if (n < sizeof(name) - 1)
				name[n++] = *p++;
			else
				return NULL;
		name[n] = '\0';
		if (!n || p[0] != '=' || p[1] != '"')
			return NULL;
		p += 2;
		while (*p && *p != '"') {
			if (*p == '\n')
				return NULL;           /* a raw newline would end the line */
			if (*p == '\\') {
				if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
					return NULL;
				if (v < sizeof(val) - 1)
					val[v++] = p[1] == 'n' ? '\n' : p[1];
				p += 2;
				continue;
			}
			if (v < sizeof(val) - 1)
				val[v++] = *p;
			p++;
		}
		val[v] = '\0';
		if (*p != '"')
			return NULL;
		p++;
		if (!strcmp(name, "le")) {
			if (strlen(val) >= lecap)
				return NULL;
			memcpy(le, val, strlen(val) + 1);
		}
		else
			k += (size_t)snprintf(key + k, k < keycap ? keycap - k : 0, "%s=%s;", name, val);
		if (*p == ',')
			p++;
	}
	return *p == '}' ? p + 1 : NULL;
}

struct histo { char key[300]; double last; int nb; int ok; double inf; };

/* Check <doc>; it must hold at least <min_hist> histogram series. */
static void check_format(const char *doc, int min_hist)
{
	char cur[96] = "", cur_type[16] = "", help_for[96] = "";
	const char *line = doc;
	int bad = 0, samples = 0, families = 0, hist_series = 0, hist_bad = 0;
	struct histo h = { .ok = 1 };

	nfam = 0;
	while (*line) {
		const char *eol = strchr(line, '\n');
		char buf[1024];
		size_t n;

		if (!eol) {
			CHECK("document ends with a newline", 0);
			return;
		}
		n = (size_t)(eol - line);
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = eol + 1;
		if (!strncmp(buf, "# HELP ", 7)) {
			char name[96];
			if (sscanf(buf + 7, "%95s", name) != 1 || seen(name) || !buf[7 + strlen(name)]) {
				printf("  bad or repeated HELP: %s\n", buf);
				bad++;
			}
			snprintf(help_for, sizeof(help_for), "%s", name);
			continue;
		}
		if (!strncmp(buf, "# TYPE ", 7)) {
			char name[96], type[16];
			if (sscanf(buf + 7, "%95s %15s", name, type) != 2 || strcmp(name, help_for) || seen(name)) {
				printf("  TYPE without its HELP or repeated: %s\n", buf);
				bad++;
			}
			if ((strcmp(type, "counter") == 0) != ends_with(name, "_total")) {
				printf("  counter names end in _total, others do not: %s\n", buf);
				bad++;
			}
			if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram")) {
				printf("  unexpected type: %s\n", buf);
				bad++;
			}
			if (nfam < MAXFAM)
				snprintf(fam_seen[nfam++], sizeof(fam_seen[0]), "%s", name);
			snprintf(cur, sizeof(cur), "%s", name);
			snprintf(cur_type, sizeof(cur_type), "%s", type);
			families++;
			continue;
		}
		if (buf[0] == '#') {
			printf("  unexpected comment: %s\n", buf);
			bad++;
			continue;
		}
		/* a sample: name[{labels}] value */
		{
			char name[128], key[300] = "", le[32];
			const char *p = buf;
			size_t nl = 0;
			char *e;
			double v;

			while (*p && *p != '{' && *p != ' ' && nl < sizeof(name) - 1)
				name[nl++] = *p++;
			name[nl] = '\0';
			le[0] = '\0';
			if (*p == '{' && !(p = parse_labels(p, key, sizeof(key), le, sizeof(le)))) {
				printf("  bad labels: %s\n", buf);
				bad++;
				continue;
			}
			if (*p != ' ') {
				printf("  no value separator: %s\n", buf);
				bad++;
				continue;
			}
			v = strtod(p + 1, &e);
			if (*e || e == p + 1) {
				printf("  bad value: %s\n", buf);
				bad++;
				continue;
			}
			samples++;
			if (!strcmp(cur_type, "histogram")) {
				size_t cl = strlen(cur);
				if (strncmp(name, cur, cl) || (strcmp(name + cl, "_bucket") && strcmp(name + cl, "_sum") &&
							       strcmp(name + cl, "_count"))) {
					printf("  sample outside its family %s: %s\n", cur, buf);
					bad++;
				} else if (!strcmp(name + cl, "_bucket")) {
					if (strcmp(h.key, key) || !h.nb) {
						snprintf(h.key, sizeof(h.key), "%s", key);
						h.nb = 0;
						h.last = 0;
						h.ok = 1;
						hist_series++;
					}
					if (v < h.last)
						h.ok = 0;
					h.last = v;
					h.nb++;
					if (!strcmp(le, "+Inf")) {
						h.inf = v;
						if (h.nb != CTR_HIST_N)
							h.ok = 0;
					}
				} else if (!strcmp(name + cl, "_count")) {
					if (!h.ok || v != h.inf || strcmp(h.key, key))
						hist_bad++;
					h.nb = 0;
				}
			} else if (strcmp(name, cur)) {
				printf("  sample outside its family %s: %s\n", cur, buf);
				bad++;
			}
		}
	}
	CHECKF(!bad, "text format: %d families, %d samples, no violation", families, samples);
	CHECKF(hist_series >= min_hist && !hist_bad, "histograms: %d series cumulative, %d buckets, +Inf = _count",
	       hist_series, CTR_HIST_N);
}

/* The value on the line "<series> VALUE", or -1 when there is no such line. */
static double sample(const char *doc, const char *series)
{
	size_t n = strlen(series);
	const char *p = doc;

	while ((p = strstr(p, series))) {
		if ((p == doc || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

static void test_metrics(void)
{
	size_t len = 0;
	char *doc = stats_render_metrics(&cfg, &st, &len);

	CHECK("metrics rendered", doc && len == strlen(doc));
	if (!doc)
		return;
	check_format(doc, 6);
	CHECK("build info with version", sample(doc, "tandem_build_info{version=\"" TANDEM_VERSION "\"}") == 1);
	CHECK("process threads", sample(doc, "tandem_process_threads") == 3);
	CHECK("process max connections", sample(doc, "tandem_process_max_connections") == 2000);
	CHECK("process current connections = frontends' sessions", sample(doc, "tandem_process_current_connections") == 5);
	CHECK("process resident memory > 0", sample(doc, "tandem_process_resident_memory_bytes") > 0);
	CHECK("process start time present", sample(doc, "tandem_process_start_time_seconds") >= 0 &&
	      sample(doc, "tandem_process_uptime_seconds") >= 0);
	CHECK("frontend requests", sample(doc, "tandem_frontend_http_requests_total{proxy=\"web\"}") == 12);
	CHECK("frontend responses by code", sample(doc, "tandem_frontend_http_responses_total{proxy=\"web\",code=\"2xx\"}") == 9 &&
	      sample(doc, "tandem_frontend_http_responses_total{proxy=\"web\",code=\"other\"}") == 0);
	CHECK("backend requests", sample(doc, "tandem_backend_http_requests_total{proxy=\"app\"}") == 10);
	CHECK("backend up", sample(doc, "tandem_backend_up{proxy=\"app\"}") == 1);
	CHECK("backend connect time average in seconds (30 ms / 10)",
	      sample(doc, "tandem_backend_connect_time_average_seconds{proxy=\"app\"}") == 0.003);
	CHECK("server up/down/maint", sample(doc, "tandem_server_up{proxy=\"app\",server=\"a\"}") == 1 &&
	      sample(doc, "tandem_server_up{proxy=\"app\",server=\"b\"}") == 0 &&
	      sample(doc, "tandem_server_up{proxy=\"app\",server=\"we\\\"i\\\\rd\\nname\"}") == 0);
	CHECK("server state set", sample(doc, "tandem_server_state{proxy=\"app\",server=\"b\",state=\"DOWN\"}") == 1 &&
	      sample(doc, "tandem_server_state{proxy=\"app\",server=\"b\",state=\"UP\"}") == 0 &&
	      sample(doc, "tandem_server_state{proxy=\"app\",server=\"we\\\"i\\\\rd\\nname\",state=\"MAINT\"}") == 1);
	CHECK("server weights", sample(doc, "tandem_server_weight{proxy=\"app\",server=\"a\"}") == 3 &&
	      sample(doc, "tandem_server_configured_weight{proxy=\"app\",server=\"a\"}") == 4);
	CHECK("server sessions", sample(doc, "tandem_server_sessions_total{proxy=\"app\",server=\"a\"}") == 7);
	CHECK("server bytes out (64-bit)", sample(doc, "tandem_server_bytes_out_total{proxy=\"app\",server=\"a\"}") == 123456789012.0);
	CHECK("server errors, retries, redispatches",
	      sample(doc, "tandem_server_connection_errors_total{proxy=\"app\",server=\"b\"}") == 2 &&
	      sample(doc, "tandem_server_response_errors_total{proxy=\"app\",server=\"b\"}") == 3 &&
	      sample(doc, "tandem_server_retries_total{proxy=\"app\",server=\"b\"}") == 4 &&
	      sample(doc, "tandem_server_redispatches_total{proxy=\"app\",server=\"b\"}") == 1);
	CHECK("frontend histogram buckets in seconds, cumulative",
	      sample(doc, "tandem_frontend_http_request_duration_seconds_bucket{proxy=\"web\",le=\"0.001\"}") == 2 &&
	      sample(doc, "tandem_frontend_http_request_duration_seconds_bucket{proxy=\"web\",le=\"0.025\"}") == 5 &&
	      sample(doc, "tandem_frontend_http_request_duration_seconds_bucket{proxy=\"web\",le=\"10\"}") == 5 &&
	      sample(doc, "tandem_frontend_http_request_duration_seconds_bucket{proxy=\"web\",le=\"+Inf\"}") == 6 &&
	      sample(doc, "tandem_frontend_http_request_duration_seconds_count{proxy=\"web\"}") == 6);
	CHECK("histogram sum exact in seconds", strstr(doc, "tandem_frontend_http_request_duration_seconds_sum{proxy=\"web\"} 11.250001\n"));
	CHECK("server histogram", sample(doc, "tandem_server_http_request_duration_seconds_bucket{proxy=\"app\",server=\"a\",le=\"0.002\"}") == 6);
	CHECK("TCP proxy: no HTTP series", !strstr(doc, "http_requests_total{proxy=\"db\"}") &&
	      !strstr(doc, "duration_seconds_bucket{proxy=\"db\""));
	CHECK("TCP proxy: sessions listed", sample(doc, "tandem_frontend_sessions_total{proxy=\"db\"}") == 0);
	CHECK("no data, no series (queue)", !strstr(doc, "tandem_server_queue_current") || strstr(doc, "# TYPE tandem_server_queue_current"));
	free(doc);

	/* scope and hide-version */
	st.n_stats_scope = 1;
	st.stats_scope = (char *[]){ "db" };
	st.stats_hide_version = 1;
	doc = stats_render_metrics(&cfg, &st, &len);
	CHECK("scope + hide-version rendered", doc != NULL);
	if (doc) {
		check_format(doc, 0);
		CHECK("scope: app not listed", !strstr(doc, "proxy=\"app\"") && !strstr(doc, "proxy=\"web\""));
		CHECK("scope: db listed", strstr(doc, "proxy=\"db\""));
		CHECK("hide-version: no build info", !strstr(doc, "tandem_build_info"));
		CHECK("no empty family (HELP without samples)", !strstr(doc, "# TYPE tandem_server_up gauge\n#"));
		free(doc);
	}
	st.n_stats_scope = 0;
	st.stats_hide_version = 0;
}

int main(void)
{
	build_cfg();
	test_metrics();
	UNIT_END();
}
