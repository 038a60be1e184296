/* Stats: CSV header names/order (HAProxy's), rows for a hand-built config,
 * status words, CSV quoting, and the HTML page (rows, hooks, escaping,
 * refresh, version, and agreement with the CSV values). */
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/stats.h>
#include <tandem/version.h>
#include <tandem/counters-t.h>
#include "unit.h"

/* HAProxy management guide, section 9.1, fields 0..99, typed independently
 * of src/admin/stats.c so that a slip in the table shows up here. */
static const char haproxy_header[] =
	"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
	"wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,"
	"sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"
	"check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,"
	"req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,"
	"lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,"
	"agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,"
	"agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,"
	"intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,"
	"qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,"
	"used_conn_cur,need_conn_est,uweight,";
/* tandem's own columns, after HAProxy's (as HAProxy appends its modules') */
static const char tandem_header[] = "passive_state,\n";

static struct cfg cfg;
static struct proxy fe, be;
static struct server sa, sb;

static void mk_server(struct server *s, const char *id, int puid, const char *ip, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;
	memset(s, 0, sizeof(*s));
	s->ctr = unit_ctr();
	s->id = (char *)id;
	s->be = &be;
	s->puid = puid;
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
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

	memset(&fe, 0, sizeof(fe));
	fe.fe_ctr = unit_ctr();
	fe.be_ctr = unit_ctr();
	fe.id = "web"; fe.uuid = 1; fe.cap = PR_CAP_FE; fe.mode = PR_MODE_HTTP;
	list_init(&fe.servers);
	fe.maxconn = 1000;
	fe.stats_uri = "/haproxy?stats";
	CTR_SET(fe.fe_ctr->cum_sess, 10);
	CTR_SET(fe.fe_ctr->cur_sess, 2);
	CTR_SET(fe.fe_ctr->max_sess, 5);
	CTR_SET(fe.fe_ctr->bytes_in, 1234);
	CTR_SET(fe.fe_ctr->bytes_out, 56789);
	CTR_SET(fe.fe_ctr->cum_req, 12);
	CTR_SET(fe.fe_ctr->cum_conn, 11);
	CTR_SET(fe.fe_ctr->failed_req, 1);
	CTR_SET(fe.fe_ctr->http_rsp[2], 9);
	CTR_SET(fe.fe_ctr->http_rsp[5], 3);
	list_add_tail(&cfg.proxies, &fe.link);

	memset(&be, 0, sizeof(be));
	be.fe_ctr = unit_ctr();
	be.be_ctr = unit_ctr();
	be.id = "app"; be.uuid = 2; be.cap = PR_CAP_BE; be.mode = PR_MODE_HTTP;
	list_init(&be.servers);
	be.last_change = 1000;
	list_add_tail(&cfg.proxies, &be.link);
	mk_server(&sa, "a", 1, "127.0.0.1", 8001);
	sa.has_check = 1;
	sa.eweight = sa.uweight = 3;
	sa.last_change = 1;
	CTR_SET(sa.ctr->cum_sess, 7);
	CTR_SET(sa.ctr->cur_sess, 1);
	CTR_SET(sa.ctr->http_rsp[2], 6);
	CTR_SET(sa.ctr->ctime_sum, 70);
	mk_server(&sb, "b", 2, "127.0.0.2", 8002);
	CTR_SET(sb.ctr->cum_sess, 3);
	CTR_SET(sb.ctr->failed_conns, 2);
	CTR_SET(sb.ctr->retries, 4);
	CTR_SET(sb.ctr->redispatches, 1);
	CTR_SET(be.be_ctr->cum_sess, 10);
	CTR_SET(be.be_ctr->cum_req, 10);
}

/* Split one CSV line into at most <max> fields (HAProxy quoting rules).
 * Returns the number of fields; the trailing comma yields no extra field. */
static int csv_split(const char *line, char fields[][64], int max)
{
	int n = 0;
	const char *p = line;

	while (*p && *p != '\n' && n < max) {
		int k = 0;
		if (*p == '"') {
			p++;
			while (*p && !(*p == '"' && p[1] != '"')) {
				if (*p == '"')
					p++;
				if (k < 63) fields[n][k++] = *p;
				p++;
			}
			if (*p == '"') p++;
		} else {
			while (*p && *p != ',' && *p != '\n') {
				if (k < 63) fields[n][k++] = *p;
				p++;
			}
		}
		fields[n][k] = '\0';
		n++;
		if (*p == ',')
			p++;
	}
	return n;
}

static char rows[8][ST_F_TOTAL + 4][64];
static int nrows;

/* Parse the CSV document into rows[]; checks the header on the way. */
static void parse_csv(const char *doc)
{
	const char *line = strchr(doc, '\n');
	nrows = 0;
	while (line && line[1] && nrows < 8) {
		line++;
		int n = csv_split(line, rows[nrows], ST_F_TOTAL + 4);
		CHECKF(n == ST_F_TOTAL, "csv row %d has %d fields", nrows, ST_F_TOTAL);
		const char *eol = strchr(line, '\n');
		CHECKF(eol && eol[-1] == ',', "csv row %d ends with a comma", nrows);
		nrows++;
		line = eol;
	}
}

static const char *cell(int row, int field) { return rows[row][field]; }

static void test_csv(void)
{
	size_t len = 0;
	char *doc = stats_render_csv(&cfg, &len);

	CHECK("csv rendered", doc != NULL && len == strlen(doc));
	if (!doc)
		return;
	CHECK("csv header is HAProxy's, names and order", strncmp(doc, haproxy_header, strlen(haproxy_header)) == 0);
	CHECK("then tandem's columns", strncmp(doc + strlen(haproxy_header), tandem_header, strlen(tandem_header)) == 0);
	for (int f = 0; f < ST_F_TOTAL; f++)
		if (!stat_cols[f].name) CHECKF(0, "column %d has a name", f);

	parse_csv(doc);
	CHECK("csv: 4 rows (FRONTEND, a, b, BACKEND)", nrows == 4);
	CHECK("row order", !strcmp(cell(0, ST_F_SVNAME), "FRONTEND") && !strcmp(cell(1, ST_F_SVNAME), "a") &&
	      !strcmp(cell(2, ST_F_SVNAME), "b") && !strcmp(cell(3, ST_F_SVNAME), "BACKEND"));
	CHECK("pxname", !strcmp(cell(0, 0), "web") && !strcmp(cell(1, 0), "app") && !strcmp(cell(3, 0), "app"));

	/* frontend */
	CHECK("fe scur/smax/slim/stot", !strcmp(cell(0, ST_F_SCUR), "2") && !strcmp(cell(0, ST_F_SMAX), "5") &&
	      !strcmp(cell(0, ST_F_SLIM), "1000") && !strcmp(cell(0, ST_F_STOT), "10"));
	CHECK("fe bin/bout", !strcmp(cell(0, ST_F_BIN), "1234") && !strcmp(cell(0, ST_F_BOUT), "56789"));
	CHECK("fe ereq", !strcmp(cell(0, ST_F_EREQ), "1"));
	CHECK("fe status OPEN", !strcmp(cell(0, ST_F_STATUS), "OPEN"));
	CHECK("fe type 0, iid 1, sid 0, pid 1", !strcmp(cell(0, ST_F_TYPE), "0") && !strcmp(cell(0, ST_F_IID), "1") &&
	      !strcmp(cell(0, ST_F_SID), "0") && !strcmp(cell(0, ST_F_PID), "1"));
	CHECK("fe hrsp", !strcmp(cell(0, ST_F_HRSP_2XX), "9") && !strcmp(cell(0, ST_F_HRSP_5XX), "3") &&
	      !strcmp(cell(0, ST_F_HRSP_1XX), "0"));
	CHECK("fe req_tot, conn_tot, mode", !strcmp(cell(0, ST_F_REQ_TOT), "12") &&
	      !strcmp(cell(0, ST_F_CONN_TOT), "11") && !strcmp(cell(0, ST_F_MODE), "http"));
	CHECK("fe: backend-only fields empty", !cell(0, ST_F_WEIGHT)[0] && !cell(0, ST_F_ECON)[0] &&
	      !cell(0, ST_F_ACT)[0] && !cell(0, ST_F_ALGO)[0] && !cell(0, ST_F_ADDR)[0]);
	CHECK("fields without data empty", !cell(0, ST_F_QCUR)[0] && !cell(1, ST_F_CHECK_STATUS)[0] &&
	      !cell(1, ST_F_THROTTLE)[0] && !cell(1, ST_F_PASSIVE_STATE)[0]);
	CHECK("rates 0 before any sample (HAProxy's 0), rate_lim 0 (no limit)", !strcmp(cell(0, ST_F_RATE), "0") &&
	      !strcmp(cell(0, ST_F_RATE_LIM), "0") && !strcmp(cell(0, ST_F_REQ_RATE_MAX), "0") &&
	      !strcmp(cell(1, ST_F_RATE), "0") && !cell(1, ST_F_RATE_LIM)[0] && !cell(1, ST_F_REQ_RATE)[0]);

	/* servers */
	CHECK("srv a status UP (checked)", !strcmp(cell(1, ST_F_STATUS), "UP"));
	CHECK("srv b status no check", !strcmp(cell(2, ST_F_STATUS), "no check"));
	CHECK("srv a weight/act/bck", !strcmp(cell(1, ST_F_WEIGHT), "3") && !strcmp(cell(1, ST_F_ACT), "1") &&
	      !strcmp(cell(1, ST_F_BCK), "0") && !strcmp(cell(1, ST_F_UWEIGHT), "3"));
	CHECK("srv a type 2, sid 1, iid 2", !strcmp(cell(1, ST_F_TYPE), "2") && !strcmp(cell(1, ST_F_SID), "1") &&
	      !strcmp(cell(1, ST_F_IID), "2"));
	CHECK("srv a stot/lbtot/scur", !strcmp(cell(1, ST_F_STOT), "7") && !strcmp(cell(1, ST_F_LBTOT), "7") &&
	      !strcmp(cell(1, ST_F_SCUR), "1"));
	CHECK("srv a ctime average", !strcmp(cell(1, ST_F_CTIME), "10"));
	CHECK("srv a addr", !strcmp(cell(1, ST_F_ADDR), "127.0.0.1:8001"));
	CHECK("srv a lastsess never = -1", !strcmp(cell(1, ST_F_LASTSESS), "-1"));
	CHECK("srv a lastchg is an age", atoll(cell(1, ST_F_LASTCHG)) > 1000000);
	CHECK("srv b econ/wretr/wredis", !strcmp(cell(2, ST_F_ECON), "2") && !strcmp(cell(2, ST_F_WRETR), "4") &&
	      !strcmp(cell(2, ST_F_WREDIS), "1"));
	CHECK("srv: frontend-only fields empty", !cell(1, ST_F_EREQ)[0] && !cell(1, ST_F_REQ_TOT)[0] &&
	      !cell(1, ST_F_CONN_TOT)[0]);

	/* backend */
	CHECK("be status UP", !strcmp(cell(3, ST_F_STATUS), "UP"));
	CHECK("be weight = sum of usable", !strcmp(cell(3, ST_F_WEIGHT), "4"));
	CHECK("be act 2 bck 0", !strcmp(cell(3, ST_F_ACT), "2") && !strcmp(cell(3, ST_F_BCK), "0"));
	CHECK("be type 1, sid 0, algo", !strcmp(cell(3, ST_F_TYPE), "1") && !strcmp(cell(3, ST_F_SID), "0") &&
	      !strcmp(cell(3, ST_F_ALGO), "roundrobin"));
	CHECK("be stot/req_tot", !strcmp(cell(3, ST_F_STOT), "10") && !strcmp(cell(3, ST_F_REQ_TOT), "10"));
	free(doc);

	/* TCP mode: no HTTP columns */
	be.mode = PR_MODE_TCP;
	doc = stats_render_csv(&cfg, NULL);
	parse_csv(doc);
	CHECK("tcp backend: hrsp empty, mode tcp", !cell(1, ST_F_HRSP_2XX)[0] && !strcmp(cell(1, ST_F_MODE), "tcp"));
	free(doc);
	be.mode = PR_MODE_HTTP;
}

static void test_states(void)
{
	struct stat_row r;
	struct stat_val v;

	sb.state = SRV_ST_STOPPED;
	CHECK("DOWN", !strcmp(stats_srv_status(&sb), "DOWN"));
	sb.admin = SRV_ADMF_FMAINT;
	CHECK("MAINT wins over DOWN", !strcmp(stats_srv_status(&sb), "MAINT"));
	sb.admin = SRV_ADMF_DRAIN; sb.state = SRV_ST_RUNNING;
	CHECK("DRAIN", !strcmp(stats_srv_status(&sb), "DRAIN"));
	sb.admin = 0; sb.state = SRV_ST_STOPPING;
	CHECK("NOLB", !strcmp(stats_srv_status(&sb), "NOLB"));
	sb.state = SRV_ST_STARTING; sb.has_check = 1;
	CHECK("STARTING shows UP", !strcmp(stats_srv_status(&sb), "UP"));

	/* a DRAIN server takes no new traffic: no weight, not counted in
	 * "act" (HAProxy 2.6: `set server be/s state drain` lowers act) */
	sb.has_check = 0; sb.state = SRV_ST_RUNNING; sb.admin = SRV_ADMF_DRAIN;
	stats_row_init(&r, &cfg, STO_BE, &be, NULL);
	stats_get(ST_F_WEIGHT, &r, &v);
	CHECK("be weight skips DRAIN", v.type == STV_U64 && v.u == 3);
	stats_get(ST_F_ACT, &r, &v);
	CHECK("DRAIN does not count as active", v.u == 1);
	sb.admin = 0; sb.state = SRV_ST_STOPPING;
	stats_get(ST_F_ACT, &r, &v);
	CHECK("NOLB does not count as active", v.u == 1);
	sb.state = SRV_ST_RUNNING; sb.eweight = 0;
	stats_get(ST_F_ACT, &r, &v);
	CHECK("weight 0 does not count as active", v.u == 1);
	sb.eweight = 1; sb.maxconn = 1; sb.cur_conns = 1;
	stats_get(ST_F_ACT, &r, &v);
	CHECK("a full server counts as active", v.u == 2);
	sb.maxconn = 0; sb.cur_conns = 0;

	/* backups only weigh when no active server is usable */
	sb.admin = 0; sb.backup = 1; sb.eweight = 5;
	sa.state = SRV_ST_STOPPED;
	stats_get(ST_F_WEIGHT, &r, &v);
	CHECK("be weight falls back to backups", v.u == 5);
	stats_get(ST_F_BCK, &r, &v);
	CHECK("be bck count", v.u == 1);
	CHECK("be UP on backup only", !strcmp(stats_row_status(&r), "UP"));
	sb.state = SRV_ST_STOPPED;
	CHECK("be DOWN when nothing usable", !strcmp(stats_row_status(&r), "DOWN"));
	sa.admin = SRV_ADMF_FMAINT; sa.state = SRV_ST_RUNNING;
	CHECK("be DOWN when only MAINT left", !strcmp(stats_row_status(&r), "DOWN"));
	stats_row_init(&r, &cfg, STO_FE, &fe, NULL);
	fe.disabled = 1;
	CHECK("fe STOP when disabled", !strcmp(stats_row_status(&r), "STOP"));
	fe.disabled = 0;
	stats_get(-1, &r, &v);
	CHECK("bad field is empty", v.type == STV_NONE);
	stats_get(ST_F_TOTAL, &r, &v);
	CHECK("field past the end is empty", v.type == STV_NONE);

	/* restore */
	sa.admin = 0; sa.state = SRV_ST_RUNNING;
	sb.state = SRV_ST_RUNNING; sb.backup = 0; sb.eweight = 1; sb.has_check = 0;
}

static void test_csv_quoting(void)
{
	char *doc;

	sb.id = "b,\"q\"";
	doc = stats_render_csv(&cfg, NULL);
	CHECK("csv quotes comma and doubles quotes", strstr(doc, "\napp,\"b,\"\"q\"\"\",") != NULL);
	parse_csv(doc);
	CHECK("quoted cell parses back", !strcmp(cell(2, ST_F_SVNAME), "b,\"q\"") && nrows == 4);
	free(doc);
	sb.id = "b";
}

/* The text of <td class="c-NAME"> inside the row that starts at <row>. */
static int html_cell(const char *row, const char *name, char *out, size_t outlen)
{
	char key[64];
	const char *end = strstr(row, "</tr>"), *p, *q;

	snprintf(key, sizeof(key), "<td class=\"c-%s\">", name);
	p = strstr(row, key);
	if (!p || (end && p > end))
		return -1;
	p += strlen(key);
	q = strstr(p, "</td>");
	if (!q || (size_t)(q - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

static void test_html(void)
{
	struct proxy stats_px;
	size_t len = 0;
	char *doc, *csv, got[128];

	memset(&stats_px, 0, sizeof(stats_px));
	stats_px.fe_ctr = unit_ctr();
	stats_px.be_ctr = unit_ctr();
	stats_px.stats_refresh = 5000;
	stats_px.stats_uri = "/haproxy?stats";
	tandem_start_wall_s = 1;
	doc = stats_render_html(&cfg, &stats_px, &len);
	CHECK("html rendered", doc && len == strlen(doc));
	if (!doc)
		return;
	CHECK("doctype", !strncmp(doc, "<!DOCTYPE html>", 15));
	CHECK("title", strstr(doc, "<title>Statistics Report for tandem</title>") != NULL);
	CHECK("refresh meta", strstr(doc, "<meta http-equiv=\"refresh\" content=\"5\">") != NULL);
	CHECK("version line", strstr(doc, "tandem version " TANDEM_VERSION) != NULL);
	CHECK("pid shown", strstr(doc, "<td id=\"info-pid\">") != NULL);
	CHECK("uptime shown", strstr(doc, "<td id=\"info-uptime\">") && !strstr(doc, "<td id=\"info-uptime\">-<"));
	CHECK("csv link", strstr(doc, "href=\"/haproxy?stats;csv\"") != NULL);
	CHECK("self-contained", !strstr(doc, "<script") && !strstr(doc, "<link") && !strstr(doc, "src=") &&
	      !strstr(doc, "http://") && !strstr(doc, "https://"));
	CHECK("ends with </html>", len > 8 && !strcmp(doc + len - 8, "</html>\n"));
	CHECK("proxy tables", strstr(doc, "<table class=\"proxy\" id=\"px-web\" data-proxy=\"web\">") &&
	      strstr(doc, "<table class=\"proxy\" id=\"px-app\" data-proxy=\"app\">"));

	const char *rfe = strstr(doc, "<tr class=\"frontend state-open\" data-proxy=\"web\">");
	const char *ra = strstr(doc, "<tr class=\"server state-up\" data-proxy=\"app\" data-server=\"a\">");
	const char *rb = strstr(doc, "<tr class=\"server state-no-check\" data-proxy=\"app\" data-server=\"b\">");
	const char *rbe = strstr(doc, "<tr class=\"backend state-up\" data-proxy=\"app\">");
	CHECK("frontend row", rfe != NULL);
	CHECK("server a row", ra != NULL);
	CHECK("server b row", rb != NULL);
	CHECK("backend row", rbe != NULL);
	CHECK("row order servers then backend", ra && rb && rbe && ra < rb && rb < rbe);

	/* every value shown on the page equals the CSV cell of the same column */
	csv = stats_render_csv(&cfg, NULL);
	parse_csv(csv);
	const char *hrows[4] = { rfe, ra, rb, rbe };
	static const int numeric[] = { ST_F_SCUR, ST_F_SMAX, ST_F_SLIM, ST_F_STOT, ST_F_LBTOT, ST_F_BIN, ST_F_BOUT,
		ST_F_REQ_TOT, ST_F_HRSP_1XX, ST_F_HRSP_2XX, ST_F_HRSP_5XX, ST_F_EREQ, ST_F_ECON, ST_F_ERESP,
		ST_F_WRETR, ST_F_WREDIS, ST_F_WEIGHT, ST_F_ACT, ST_F_BCK, ST_F_CTIME, ST_F_STATUS, ST_F_ADDR };
	int agree = 1;
	for (int i = 0; i < 4; i++) {
		if (!hrows[i])
			continue;
		for (size_t k = 0; k < sizeof(numeric) / sizeof(numeric[0]); k++) {
			int f = numeric[k];
			if (html_cell(hrows[i], stat_cols[f].name, got, sizeof(got)) < 0 || strcmp(got, cell(i, f))) {
				printf("  row %d %s: html [%s] csv [%s]\n", i, stat_cols[f].name, got, cell(i, f));
				agree = 0;
			}
		}
	}
	CHECK("html and csv agree", agree);
	CHECK("html age rendering", ra && html_cell(ra, "lastchg", got, sizeof(got)) == 0 && strchr(got, 'd'));
	free(csv);
	free(doc);

	/* escaping, hidden version, no refresh */
	fe.id = "w<e>b&\"x'";
	sa.id = "<script>alert(1)</script>";
	stats_px.stats_refresh = 0;
	stats_px.stats_hide_version = 1;
	doc = stats_render_html(&cfg, &stats_px, &len);
	CHECK("no refresh meta", !strstr(doc, "http-equiv=\"refresh\""));
	CHECK("version hidden", !strstr(doc, "tandem version"));
	CHECK("proxy name escaped", strstr(doc, "data-proxy=\"w&lt;e&gt;b&amp;&quot;x&#39;\"") &&
	      strstr(doc, "<caption>w&lt;e&gt;b&amp;&quot;x&#39; ") && !strstr(doc, "w<e>b"));
	CHECK("server name escaped", strstr(doc, "data-server=\"&lt;script&gt;alert(1)&lt;/script&gt;\"") &&
	      !strstr(doc, "<script>"));
	free(doc);
	fe.id = "web";
	sa.id = "a";

	CHECK("NULL stats proxy accepted", (doc = stats_render_html(&cfg, NULL, NULL)) != NULL);
	free(doc);
}

/* stats show-node / show-desc / show-legends / scope, as HAProxy means them */
static void test_html_options(void)
{
	struct proxy st;
	char *doc, *csv;

	memset(&st, 0, sizeof(st));
	st.fe_ctr = unit_ctr();
	st.be_ctr = unit_ctr();
	st.id = "stats";
	st.stats_uri = "/s";
	cfg.g.node = "lb1";
	cfg.g.desc = "main <lb>";

	doc = stats_render_html(&cfg, &st, NULL);
	CHECK("no show-node: node not shown", doc && !strstr(doc, "info-node") && !strstr(doc, "lb1") &&
	      strstr(doc, "<h1>Statistics Report for tandem</h1>"));
	CHECK("no show-desc: description not shown", doc && !strstr(doc, "info-desc") && !strstr(doc, "main &lt;lb&gt;"));
	CHECK("no show-legends: no proxy/server legends", doc && !strstr(doc, "<span class=\"legend\">") &&
	      !strstr(doc, "title=\"id: "));
	CHECK("state legend always shown", doc && strstr(doc, "<dl class=\"legend\" id=\"legend\">"));
	free(doc);

	st.stats_show_node = 1;
	st.stats_show_desc = 1;
	doc = stats_render_html(&cfg, &st, NULL);
	CHECK("show-node: global node in heading and info", doc &&
	      strstr(doc, "<h1>Statistics Report for tandem on <span id=\"node\">lb1</span>") &&
	      strstr(doc, "<td id=\"info-node\">lb1</td>"));
	CHECK("show-desc: global description, escaped", doc &&
	      strstr(doc, ": <span id=\"desc\">main &lt;lb&gt;</span></h1>") &&
	      strstr(doc, "<td id=\"info-desc\">main &lt;lb&gt;</td>"));
	free(doc);

	st.stats_node = "edge-7";
	st.stats_desc = "front door";
	doc = stats_render_html(&cfg, &st, NULL);
	CHECK("show-node NAME overrides the global node", doc && strstr(doc, "<span id=\"node\">edge-7</span>") &&
	      strstr(doc, "<td id=\"info-node\">edge-7</td>") && !strstr(doc, "lb1"));
	CHECK("show-desc TEXT overrides the global description", doc &&
	      strstr(doc, "<td id=\"info-desc\">front door</td>") && !strstr(doc, "main &lt;lb&gt;"));
	free(doc);

	st.stats_desc = NULL;
	cfg.g.desc = NULL;
	doc = stats_render_html(&cfg, &st, NULL);
	CHECK("show-desc with no description at all shows nothing", doc && !strstr(doc, "info-desc") &&
	      !strstr(doc, "id=\"desc\""));
	free(doc);
	st.stats_show_node = st.stats_show_desc = 0;
	st.stats_node = NULL;

	st.stats_show_legends = 1;
	doc = stats_render_html(&cfg, &st, NULL);
	CHECK("show-legends: proxy cap/mode/id", doc &&
	      strstr(doc, "<span class=\"legend\">cap: frontend, mode: http, id: 1</span>") &&
	      strstr(doc, "<span class=\"legend\">cap: backend, mode: http, id: 2</span>"));
	CHECK("show-legends: server id and address", doc &&
	      strstr(doc, "data-server=\"a\"><th class=\"legend\" title=\"id: 1, addr: 127.0.0.1:8001\">a</th>") &&
	      strstr(doc, "title=\"id: 2, addr: 127.0.0.2:8002\">b</th>"));
	free(doc);
	st.stats_show_legends = 0;

	/* scope */
	char *names[] = { "app", "nosuch" };
	st.stats_scope = names;
	st.n_stats_scope = 2;
	doc = stats_render_html(&cfg, &st, NULL);
	CHECK("scope app: only app's table", doc && strstr(doc, "id=\"px-app\"") && !strstr(doc, "id=\"px-web\""));
	free(doc);
	csv = stats_render_csv_px(&cfg, &st, NULL);
	CHECK("scope applies to the CSV export", csv && strstr(csv, "\napp,a,") && strstr(csv, "\napp,BACKEND,") &&
	      !strstr(csv, "\nweb,") && !strncmp(csv, "# pxname,svname,", 16));
	free(csv);
	csv = stats_render_csv(&cfg, NULL);
	CHECK("stats_render_csv ignores any scope", csv && strstr(csv, "\nweb,FRONTEND,") && strstr(csv, "\napp,BACKEND,"));
	free(csv);
	csv = stats_render_csv_px(&cfg, NULL, NULL);
	CHECK("no stats proxy: every proxy", csv && strstr(csv, "\nweb,FRONTEND,") && strstr(csv, "\napp,BACKEND,"));
	free(csv);

	/* "." is the stats proxy itself: here the frontend "web" serves the page */
	char *self[] = { "." };
	fe.stats_scope = self;
	fe.n_stats_scope = 1;
	doc = stats_render_html(&cfg, &fe, NULL);
	CHECK("scope . : only the stats proxy", doc && strstr(doc, "id=\"px-web\"") && !strstr(doc, "id=\"px-app\""));
	free(doc);
	char *nomatch[] = { "APP" };
	fe.stats_scope = nomatch;
	doc = stats_render_html(&cfg, &fe, NULL);
	CHECK("scope names are exact (case-sensitive)", doc && !strstr(doc, "<table class=\"proxy\""));
	free(doc);
	fe.stats_scope = NULL;
	fe.n_stats_scope = 0;
	CHECK("stats_in_scope", stats_in_scope(NULL, &be) && stats_in_scope(&fe, &be));
	cfg.g.node = NULL;
}

static void test_sb(void)
{
	struct stats_sb b = { 0 };
	size_t len;
	char *s;

	for (int i = 0; i < 5000; i++)
		stats_sb_addf(&b, "%d,", i);
	s = stats_sb_finish(&b, &len);
	CHECK("sb grows", s && len == strlen(s) && !strncmp(s, "0,1,2,", 6) && strstr(s, ",4999,"));
	free(s);
	struct stats_sb e = { 0 };
	s = stats_sb_finish(&e, &len);
	CHECK("empty sb is an empty string", s && len == 0 && s[0] == '\0');
	free(s);
	struct stats_sb f = { .err = 1 };
	stats_sb_adds(&f, "x");
	CHECK("sb failure is sticky", stats_sb_finish(&f, NULL) == NULL);
}

int main(void)
{
	build_cfg();
	test_csv();
	test_states();
	test_csv_quoting();
	test_html();
	test_html_options();
	test_sb();
	UNIT_END();
}
