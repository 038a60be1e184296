/* The JSON export (`stats uri;json`): tandem's own, simpler schema than
 * HAProxy's "show stat json" array of typed fields -- one object per
 * frontend, backend and server, keyed by the HAProxy CSV column names, so
 * a script written against the CSV finds the same names. doc/management.md
 * documents every key.
 *
 * Every number comes from the column table through stats_get() (so JSON,
 * CSV and the HTML page cannot disagree), except the latency histogram,
 * read from struct counters' ta_hist, and the per-second rates and the
 * history, read from the rings the sampler keeps in the shared area
 * (hist.c). A value tandem has no data for is null rather than absent, so
 * the shape of a row never depends on the running state. */
#include <arpa/inet.h>
#include <tandem/bgp.h>
#include <tandem/check.h>
#include <tandem/vrrp.h>
#include <tandem/clock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <tandem/stats.h>
#include <tandem/stats_export.h>
#include <tandem/stats_hist.h>
#include <tandem/shm_hist.h>
#include <tandem/ssl_store.h>
#include <tandem/version.h>

static void json_vrrp(struct stats_sb *b);
static void json_ssl_certs(struct stats_sb *b, const struct cfg *cfg);
static void json_anycast(struct stats_sb *b);

#define F STO_FE
#define B STO_BE
#define S STO_SRV

/* Columns a row carries, in output order; the key is the column's CSV name. */
static const struct { int field; unsigned scope; } json_cols[] = {
	{ ST_F_STATUS, F|B|S }, { ST_F_MODE, F|B }, { ST_F_ALGO, B },
	{ ST_F_SID, S }, { ST_F_ADDR, S },
	{ ST_F_WEIGHT, B|S }, { ST_F_UWEIGHT, B|S }, { ST_F_ACT, B|S }, { ST_F_BCK, B|S },
	{ ST_F_SCUR, F|B|S }, { ST_F_SMAX, F|B|S }, { ST_F_SLIM, F|B|S },
	{ ST_F_STOT, F|B|S }, { ST_F_LBTOT, B|S }, { ST_F_CONN_TOT, F }, { ST_F_REQ_TOT, F|B },
	{ ST_F_BIN, F|B|S }, { ST_F_BOUT, F|B|S },
	{ ST_F_DREQ, F|B }, { ST_F_EREQ, F }, { ST_F_ECON, B|S }, { ST_F_ERESP, B|S },
	{ ST_F_WRETR, B|S }, { ST_F_WREDIS, B|S }, { ST_F_CLI_ABRT, B|S }, { ST_F_SRV_ABRT, B|S },
	{ ST_F_QCUR, B|S }, { ST_F_QMAX, B|S }, { ST_F_QLIMIT, S },
	{ ST_F_CHECK_STATUS, S }, { ST_F_CHECK_CODE, S }, { ST_F_CHECK_DURATION, S },
	{ ST_F_CHECK_DESC, S }, { ST_F_CHECK_HEALTH, S }, { ST_F_CHECK_RISE, S },
	{ ST_F_CHECK_FALL, S }, { ST_F_LAST_CHK, S },
	{ ST_F_CHKFAIL, S }, { ST_F_CHKDOWN, B|S }, { ST_F_HANAFAIL, S },
	{ ST_F_LASTCHG, B|S }, { ST_F_DOWNTIME, B|S }, { ST_F_LASTSESS, B|S },
	{ ST_F_CTIME, B|S }, { ST_F_RTIME, B|S }, { ST_F_TTIME, B|S },
	{ ST_F_PASSIVE_STATE, S },
};

/* "hrsp": {"1xx": .., ..., "other": ..} */
static const struct { const char *key; int field; } json_hrsp[] = {
	{ "1xx", ST_F_HRSP_1XX }, { "2xx", ST_F_HRSP_2XX }, { "3xx", ST_F_HRSP_3XX },
	{ "4xx", ST_F_HRSP_4XX }, { "5xx", ST_F_HRSP_5XX }, { "other", ST_F_HRSP_OTHER },
};

const struct counters *stats_row_counters(const struct stat_row *r)
{
	if (r->obj == STO_FE)
		return r->px->fe_ctr;
	if (r->obj == STO_BE)
		return r->px->be_ctr;
	return r->srv->ctr;
}

void stats_sb_json_str(struct stats_sb *b, const char *s)
{
	const char *run = s;

	stats_sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&')
			continue;
		stats_sb_add(b, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			stats_sb_addf(b, "\\%c", c);
		else if (c == '\n')
			stats_sb_adds(b, "\\n");
		else
			stats_sb_addf(b, "\\u%04x", c);
		run = s + 1;
	}
	stats_sb_add(b, run, (size_t)(s - run));
	stats_sb_add(b, "\"", 1);
}

static void json_val(struct stats_sb *b, const struct stat_val *v)
{
	/* numbers print as in the CSV; strings need JSON quoting; no value is null */
	if (v->type == STV_STR)
		stats_sb_json_str(b, v->str ? v->str : "");
	else if (v->type == STV_U64 || v->type == STV_AGE || v->type == STV_S64)
		stats_sb_val(b, v);
	else
		stats_sb_adds(b, "null");
}

/* A rate with two decimals, without trailing zeros ("12.5", "0"). */
static void json_rate(struct stats_sb *b, double r)
{
	char tmp[48];
	size_t n;

	snprintf(tmp, sizeof(tmp), "%.2f", r);
	n = strlen(tmp);
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	if (n && tmp[n - 1] == '.')
		n--;
	stats_sb_add(b, tmp, n);
}

/* "hist": {"counts": [per bucket, not cumulative], "sum_s": total seconds} */
static void json_hist(struct stats_sb *b, const struct counters *c)
{
	stats_sb_adds(b, ",\"hist\":{\"counts\":[");
	for (int i = 0; i < CTR_HIST_N; i++)
		stats_sb_addf(b, "%s%llu", i ? "," : "", (unsigned long long)CTR_GET(c->ta_hist[i]));
	stats_sb_addf(b, "],\"sum_s\":%.6f}", (double)CTR_GET(c->ta_sum_us) / 1e6);
}

/* Which value "req_rate" and the samples' "req" follow: HTTP requests of
 * an HTTP proxy, sessions of a server or of a TCP proxy. */
static unsigned req_mask(const struct stat_row *r)
{
	return r->obj != STO_SRV && r->px->mode == PR_MODE_HTTP ? HVM(HV_REQ) : HVM(HV_SESS);
}

static void json_row_rate(struct stats_sb *b, const char *key, const struct stat_row *r, unsigned mask)
{
	int known;
	double x = stats_hist_rate(r, mask, r->now_ms, &known);

	stats_sb_addf(b, ",\"%s\":", key);
	json_rate(b, x);
}

/* ---- history -------------------------------------------------------------
 * "history": {"req": [...], "e5xx": [...], ...} for the seconds of the
 * document's window, oldest first; null where there is no sample (or no
 * count: the first sample of a row has gauges only). */

struct hist_win {
	uint32_t end_t, n;           /* seconds end_t-n+1 .. end_t */
	struct hist_sample *buf;     /* n samples, reused row after row */
};

enum { HK_REQ, HK_E5XX, HK_E4XX, HK_ECON, HK_ERESP, HK_P50, HK_P99, HK_SCUR, HK_STATE, HK_PASSIVE };

static void hist_series(struct stats_sb *b, const struct hist_win *w, const char *key, int what)
{
	stats_sb_addf(b, "\"%s\":[", key);
	for (uint32_t i = 0; i < w->n; i++) {
		const struct hist_sample *s = &w->buf[i];
		int counts = s->t && (s->flags & HSF_COUNTS);
		const char *word;

		if (i)
			stats_sb_add(b, ",", 1);
		switch (what) {
		case HK_REQ:   counts ? stats_sb_addf(b, "%u", s->req) : stats_sb_adds(b, "null"); break;
		case HK_E5XX:  counts ? stats_sb_addf(b, "%u", s->e5xx) : stats_sb_adds(b, "null"); break;
		case HK_E4XX:  counts ? stats_sb_addf(b, "%u", s->e4xx) : stats_sb_adds(b, "null"); break;
		case HK_ECON:  counts ? stats_sb_addf(b, "%u", s->econ) : stats_sb_adds(b, "null"); break;
		case HK_ERESP: counts ? stats_sb_addf(b, "%u", s->eresp) : stats_sb_adds(b, "null"); break;
		case HK_P50:
		case HK_P99:
			if (counts && (s->flags & HSF_LAT)) {
				uint32_t us = what == HK_P50 ? s->p50_us : s->p99_us;
				stats_sb_addf(b, "%u.%03u", us / 1000, us % 1000);
			} else
				stats_sb_adds(b, "null");
			break;
		case HK_SCUR:  s->t ? stats_sb_addf(b, "%u", s->scur) : stats_sb_adds(b, "null"); break;
		case HK_STATE:
			word = s->t && s->state != HST_NONE ? hist_state_str(s->state) : NULL;
			word ? stats_sb_json_str(b, word) : stats_sb_adds(b, "null");
			break;
		case HK_PASSIVE:
			word = s->t ? cb_state_str(s->cb) : NULL;
			word ? stats_sb_json_str(b, word) : stats_sb_adds(b, "null");
			break;
		}
	}
	stats_sb_add(b, "]", 1);
}

static void json_row_history(struct stats_sb *b, const struct stat_row *r, const struct hist_win *w)
{
	if (stats_hist_copy(stats_row_counters(r), w->end_t, w->n, w->buf) < 0) {
		stats_sb_adds(b, ",\"history\":null");
		return;
	}
	stats_sb_adds(b, ",\"history\":{");
	hist_series(b, w, "req", HK_REQ);
	stats_sb_add(b, ",", 1);
	hist_series(b, w, "e5xx", HK_E5XX);
	stats_sb_add(b, ",", 1);
	hist_series(b, w, "e4xx", HK_E4XX);
	stats_sb_add(b, ",", 1);
	if (r->obj == STO_FE)
		hist_series(b, w, "ereq", HK_ECON);
	else {
		hist_series(b, w, "econ", HK_ECON);
		stats_sb_add(b, ",", 1);
		hist_series(b, w, "eresp", HK_ERESP);
	}
	stats_sb_add(b, ",", 1);
	hist_series(b, w, "p50_ms", HK_P50);
	stats_sb_add(b, ",", 1);
	hist_series(b, w, "p99_ms", HK_P99);
	stats_sb_add(b, ",", 1);
	hist_series(b, w, "scur", HK_SCUR);
	stats_sb_add(b, ",", 1);
	hist_series(b, w, "state", HK_STATE);
	if (r->obj == STO_SRV) {
		stats_sb_add(b, ",", 1);
		hist_series(b, w, "passive", HK_PASSIVE);
	}
	stats_sb_add(b, "}", 1);
}

/* The fields of one row, without the braces. <want> says whether the
 * row's history was asked for; <w> is the window (NULL: no sample yet, the
 * history is null). */
static void json_row(struct stats_sb *b, const struct stat_row *r, int want, const struct hist_win *w)
{
	struct stat_val v;
	const void *key = stats_row_counters(r);

	stats_get(r->obj == STO_SRV ? ST_F_SVNAME : ST_F_PXNAME, r, &v);
	stats_sb_adds(b, "\"name\":");
	json_val(b, &v);
	if (r->obj != STO_SRV) {
		const char *cap = (r->px->cap & (PR_CAP_FE | PR_CAP_BE)) == (PR_CAP_FE | PR_CAP_BE) ? "listen" :
				  (r->px->cap & PR_CAP_FE) ? "frontend" : "backend";
		stats_get(ST_F_IID, r, &v);
		stats_sb_adds(b, ",\"iid\":");
		json_val(b, &v);
		stats_sb_addf(b, ",\"cap\":\"%s\"", cap);
	}
	for (size_t i = 0; i < sizeof(json_cols) / sizeof(json_cols[0]); i++) {
		if (!(json_cols[i].scope & r->obj))
			continue;
		stats_get(json_cols[i].field, r, &v);
		stats_sb_addf(b, ",\"%s\":", stat_cols[json_cols[i].field].name);
		json_val(b, &v);
	}
	if (r->obj == STO_SRV) {
		/* the operator's state, apart from DNS's maintenance ("MAINT
		 * (resolution)" in status): what the admin buttons show */
		int adm = __atomic_load_n(&r->srv->admin, __ATOMIC_RELAXED);

		stats_sb_addf(b, ",\"admin\":\"%s\"", (adm & SRV_ADMF_FMAINT) ? "maint" :
			      (adm & SRV_ADMF_DRAIN) ? "drain" : "ready");
	}
	stats_sb_adds(b, ",\"hrsp\":{");
	for (size_t i = 0; i < sizeof(json_hrsp) / sizeof(json_hrsp[0]); i++) {
		stats_get(json_hrsp[i].field, r, &v);
		stats_sb_addf(b, "%s\"%s\":", i ? "," : "", json_hrsp[i].key);
		json_val(b, &v);
	}
	stats_sb_adds(b, "}");
	/* TLS handshakes (HAProxy's ssl stats module names) */
	stats_sb_addf(b, ",\"ssl_sess\":%llu,\"ssl_reused_sess\":%llu,\"ssl_failed_handshake\":%llu",
		      (unsigned long long)CTR_GET(((const struct counters *)key)->ssl_sess),
		      (unsigned long long)CTR_GET(((const struct counters *)key)->ssl_reused),
		      (unsigned long long)CTR_GET(((const struct counters *)key)->ssl_failed));
	json_row_rate(b, "rate", r, HVM(HV_SESS));
	json_row_rate(b, "req_rate", r, req_mask(r));
	json_row_rate(b, "err_rate", r, HVM_ERR);
	json_hist(b, key);
	if (want && w)
		json_row_history(b, r, w);
	else if (want)
		stats_sb_adds(b, ",\"history\":null");
}

/* Sum of the frontends' current sessions: the process' client connections. */
static uint64_t cur_conns(const struct cfg *cfg)
{
	struct list *pp;
	uint64_t n = 0;

	list_for_each(pp, &cfg->proxies) {
		const struct proxy *p = list_entry(pp, struct proxy, link);
		if ((p->cap & PR_CAP_FE) && !(p->cap & PR_CAP_DEF))
			n += CTR_GET(p->fe_ctr->cur_sess);
	}
	return n;
}

static void json_bool(struct stats_sb *b, const char *key, int v)
{
	stats_sb_addf(b, ",\"%s\":%s", key, v ? "true" : "false");
}

static void json_opt_str(struct stats_sb *b, const char *key, const char *s)
{
	stats_sb_addf(b, ",\"%s\":", key);
	if (s)
		stats_sb_json_str(b, s);
	else
		stats_sb_adds(b, "null");
}

static void json_head(struct stats_sb *b, const struct cfg *cfg, const struct proxy *px, uint64_t now_ms)
{
	const char *node = stats_shown_node(cfg, px);
	uint64_t now_s = now_ms / 1000;
	char host[256] = "";

	if (!node)
		node = cfg->g.node;
	if (!node && gethostname(host, sizeof(host) - 1) == 0)
		node = host;
	stats_sb_adds(b, "{\"node\":");
	stats_sb_json_str(b, node ? node : "");
	json_opt_str(b, "desc", stats_shown_desc(cfg, px));
	json_opt_str(b, "version", px && px->stats_hide_version ? NULL : TANDEM_VERSION);
	stats_sb_addf(b, ",\"pid\":%d", (int)getpid());
	stats_sb_addf(b, ",\"uptime_s\":%llu,\"start_time_s\":%llu",
		      (unsigned long long)(tandem_start_wall_s && now_s > tandem_start_wall_s ?
					   now_s - tandem_start_wall_s : 0),
		      (unsigned long long)tandem_start_wall_s);
	stats_sb_addf(b, ",\"time_ms\":%llu", (unsigned long long)now_ms);
	stats_sb_addf(b, ",\"nbthread\":%d,\"maxconn\":%d,\"current_conns\":%llu",
		      cfg->g.nbthread, cfg->g.maxconn, (unsigned long long)cur_conns(cfg));
	/* how the dashboard should behave: polling period and what it shows */
	stats_sb_addf(b, ",\"refresh_ms\":%u", px && px->stats_refresh > 1000 ? px->stats_refresh : 1000u);
	json_bool(b, "admin", px && px->stats_admin && !list_empty(&px->stats_auths));
	json_bool(b, "show_node", px && px->stats_show_node);
	json_bool(b, "show_desc", px && px->stats_show_desc);
	json_bool(b, "show_legends", px && px->stats_show_legends);
	stats_sb_adds(b, ",\"hist_bounds_ms\":[");
	for (int i = 0; i < CTR_HIST_N - 1; i++)
		stats_sb_addf(b, "%s%u", i ? "," : "", ctr_hist_bounds_ms[i]);
	stats_sb_adds(b, "]");
	json_vrrp(b);
	json_ssl_certs(b, cfg);
	json_anycast(b);
}

/* "ssl_certs":[{"path","cn","not_before_s","not_after_s","days_left","used"}]:
 * every certificate of the store, so an expiry shows before it happens. */
struct certs_ctx { struct stats_sb *b; int n; time_t now; };

static void cert_row(void *arg, const struct ssl_cert_view *v)
{
	struct certs_ctx *c = arg;

	stats_sb_adds(c->b, c->n++ ? ",{\"path\":" : "{\"path\":");
	stats_sb_json_str(c->b, v->path);
	stats_sb_adds(c->b, ",\"cn\":");
	stats_sb_json_str(c->b, v->subject_cn);
	stats_sb_addf(c->b, ",\"not_before_s\":%lld,\"not_after_s\":%lld,\"days_left\":%lld,\"used\":%s}",
		      (long long)v->not_before, (long long)v->not_after,
		      (long long)(v->not_after - c->now) / 86400, v->used ? "true" : "false");
}

static void json_ssl_certs(struct stats_sb *b, const struct cfg *cfg)
{
	struct certs_ctx c = { b, 0, time(NULL) };

	stats_sb_adds(b, ",\"ssl_certs\":[");
	ssl_store_foreach((struct cfg *)cfg, cert_row, &c);
	stats_sb_adds(b, "]");
}

/* VRRP instances, from the snapshot the master's VRRP thread shares:
 * "vrrp":[{"name","interface","vrid","version","family","authentication",
 * "vmac","sync_group","unicast","state","priority","effective_priority",
 * "master","master_priority","since_s","transitions","split_brain",
 * "fault_reason","notify_run","notify_failed","dropped":{reason:n},
 * "last_transitions":[{"time_ms","from","to","reason"}]}] (empty without
 * VRRP), then "vrrp_router_id" and "vrrp_scripts":[{"name","state","runs",
 * "failures","timeouts","last_ms"}]. doc/vrrp.md documents the keys. */
static void json_vrrp(struct stats_sb *b)
{
	struct vrrp_snap snap[32];
	struct vrrp_script_snap sc[VRRP_MAX_SCRIPTS];
	uint64_t now = clock_mono_us() / 1000;
	int n = vrrp_snapshot(snap, 32), ns, i;

	stats_sb_adds(b, ",\"vrrp\":[");
	for (i = 0; i < n && i < 32; i++) {
		const struct vrrp_snap *v = &snap[i];
		char master[64] = "";
		int first = 1;

		if (v->master.af == AF_INET || v->master.af == AF_INET6)
			inet_ntop(v->master.af, v->master.a, master, sizeof(master));
		stats_sb_adds(b, i ? ",{\"name\":" : "{\"name\":");
		stats_sb_json_str(b, v->name);
		stats_sb_adds(b, ",\"interface\":");
		stats_sb_json_str(b, v->ifname);
		stats_sb_addf(b, ",\"vrid\":%d,\"version\":%d,\"family\":\"%s\",\"authentication\":\"%s\",\"vmac\":",
			      v->vrid, v->version, v->af == AF_INET6 ? "IPv6" : "IPv4",
			      v->auth_type == VRRP_AUTH_PASS ? "PASS" : "none");
		stats_sb_json_str(b, v->vmac);
		stats_sb_adds(b, ",\"sync_group\":");
		stats_sb_json_str(b, v->group);
		stats_sb_addf(b, ",\"unicast\":%s,\"state\":\"%s\",\"priority\":%d,\"effective_priority\":%d,\"master\":",
			      v->unicast ? "true" : "false", vrrp_state_str(v->state), v->priority, v->eff_priority);
		stats_sb_json_str(b, master);
		stats_sb_addf(b, ",\"master_priority\":%d,\"since_s\":%llu,\"transitions\":%llu,\"split_brain\":%llu,"
			      "\"fault_reason\":", v->master_prio,
			      (unsigned long long)(v->since_ms && now > v->since_ms ? (now - v->since_ms) / 1000 : 0),
			      (unsigned long long)v->transitions, (unsigned long long)v->split_brain);
		stats_sb_json_str(b, v->fault_reason);
		stats_sb_addf(b, ",\"notify_run\":%llu,\"notify_failed\":%llu,\"dropped\":{",
			      (unsigned long long)v->notify_run, (unsigned long long)v->notify_failed);
		for (int r = 1; r < VRRP_DROP_NREASONS; r++)
			if (v->dropped[r]) {
				stats_sb_addf(b, "%s\"%s\":%llu", first ? "" : ",", vrrp_drop_str(r),
					      (unsigned long long)v->dropped[r]);
				first = 0;
			}
		stats_sb_adds(b, "},\"last_transitions\":[");
		for (int h = 0; h < v->nhist && h < VRRP_HIST; h++) {
			stats_sb_addf(b, "%s{\"time_ms\":%llu,\"from\":\"%s\",\"to\":\"%s\",\"reason\":", h ? "," : "",
				      (unsigned long long)v->hist[h].wall_ms, vrrp_state_str(v->hist[h].from),
				      vrrp_state_str(v->hist[h].to));
			stats_sb_json_str(b, v->hist[h].reason);
			stats_sb_adds(b, "}");
		}
		stats_sb_adds(b, "]}");
	}
	stats_sb_adds(b, "]");
	if (n <= 0)
		return;
	stats_sb_adds(b, ",\"vrrp_router_id\":");
	stats_sb_json_str(b, vrrp_router_id());
	stats_sb_adds(b, ",\"vrrp_scripts\":[");
	ns = vrrp_scripts_snapshot(sc, VRRP_MAX_SCRIPTS);
	for (i = 0; i < ns && i < VRRP_MAX_SCRIPTS; i++) {
		stats_sb_adds(b, i ? ",{\"name\":" : "{\"name\":");
		stats_sb_json_str(b, sc[i].name);
		stats_sb_addf(b, ",\"state\":\"%s\",\"runs\":%llu,\"failures\":%llu,\"timeouts\":%llu,\"last_ms\":%llu}",
			      sc[i].state == 1 ? "OK" : sc[i].state == 2 ? "FAILED" : "UNKNOWN",
			      (unsigned long long)sc[i].runs, (unsigned long long)sc[i].failures,
			      (unsigned long long)sc[i].timeouts, (unsigned long long)(sc[i].last_dur_us / 1000));
	}
	stats_sb_adds(b, "]");
}

/* anycast sections, from the snapshot the master's BGP thread shares:
 * "anycast":[{"name","state","can_serve","reason","backend","since_s","bird",
 * "bird_socket","addresses":[{"address","protocol","dev","bird"}],
 * "announcements","withdrawals","bird_failures","bird_errors","bird_reverts",
 * "last_error"}] (empty without anycast sections). */
static void json_anycast(struct stats_sb *b)
{
	struct bgp_snap snap[BGP_MAX_SECT];
	uint64_t now = clock_mono_us() / 1000;
	int n = bgp_snapshot(snap, BGP_MAX_SECT), i, k;

	stats_sb_adds(b, ",\"anycast\":[");
	for (i = 0; i < n && i < BGP_MAX_SECT; i++) {
		const struct bgp_snap *v = &snap[i];

		stats_sb_adds(b, i ? ",{\"name\":" : "{\"name\":");
		stats_sb_json_str(b, v->name);
		stats_sb_addf(b, ",\"state\":\"%s\",\"can_serve\":%s,\"reason\":", bgp_state_str(v),
			      v->want ? "true" : "false");
		stats_sb_json_str(b, bgp_why_str(v->why));
		stats_sb_adds(b, ",\"backend\":");
		stats_sb_json_str(b, v->why_backend);
		stats_sb_addf(b, ",\"since_s\":%llu,\"bird\":\"%s\",\"bird_socket\":",
			      (unsigned long long)(v->since_ms && now > v->since_ms ? (now - v->since_ms) / 1000 : 0),
			      bgp_bird_str(v->bird));
		stats_sb_json_str(b, v->socket);
		stats_sb_adds(b, ",\"addresses\":[");
		for (k = 0; k < v->naddrs && k < BGP_MAX_ADDR; k++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(v->addrs[k].af, v->addrs[k].a, a, sizeof(a));
			stats_sb_adds(b, k ? ",{\"address\":" : "{\"address\":");
			stats_sb_json_str(b, a);
			stats_sb_adds(b, ",\"protocol\":");
			stats_sb_json_str(b, v->addrs[k].proto);
			stats_sb_adds(b, ",\"dev\":");
			stats_sb_json_str(b, v->addrs[k].dev);
			stats_sb_addf(b, ",\"bird\":\"%s\"}", v->addrs[k].bird > 0 ? "enabled" :
				      v->addrs[k].bird == 0 ? "disabled" : "unknown");
		}
		stats_sb_addf(b, "],\"announcements\":%llu,\"withdrawals\":%llu,\"bird_failures\":%llu,"
			      "\"bird_errors\":%llu,\"bird_reverts\":%llu,\"last_error\":",
			      (unsigned long long)v->announces, (unsigned long long)v->withdrawals,
			      (unsigned long long)v->bird_failures, (unsigned long long)v->bird_errors,
			      (unsigned long long)v->bird_reverts);
		stats_sb_json_str(b, v->last_error);
		stats_sb_adds(b, "}");
	}
	stats_sb_adds(b, "]");
}

/* "history": {"seconds","end_s","events":[...]}: the window and the state
 * changes recorded in it (of the proxies in scope; the others are
 * node-wide: VRRP, certificates, the process). */
static void json_history_head(struct stats_sb *b, const struct proxy *spx, const struct json_opts *o,
			      const struct hist_win *w, uint64_t now_ms)
{
	struct shm_event *ev = malloc(sizeof(*ev) * HIST_EVENTS);
	uint64_t since = now_ms > (uint64_t)o->history_s * 1000u ? now_ms - (uint64_t)o->history_s * 1000u : 0;
	int n = ev ? shm_state_changes(ev, HIST_EVENTS, 0) : 0, first = 1;

	if (!ev)
		b->err = 1;
	stats_sb_addf(b, ",\"history\":{\"seconds\":%u,\"end_s\":%u,\"step_s\":1,\"events\":[",
		      w ? w->n : 0, w ? w->end_t : 0);
	for (int i = 0; i < n; i++) {
		const struct shm_event *e = &ev[i];

		if (e->time_ms < since || (e->proxy[0] && !stats_name_in_scope(spx, e->proxy)))
			continue;
		stats_sb_addf(b, "%s{\"id\":%llu,\"time_ms\":%llu,\"kind\":\"%s\",\"proxy\":", first ? "" : ",",
			      (unsigned long long)e->id, (unsigned long long)e->time_ms, sc_kind_str((int)e->kind));
		e->proxy[0] ? stats_sb_json_str(b, e->proxy) : stats_sb_adds(b, "null");
		stats_sb_adds(b, ",\"server\":");
		e->server[0] ? stats_sb_json_str(b, e->server) : stats_sb_adds(b, "null");
		stats_sb_adds(b, ",\"object\":");
		if (e->proxy[0]) {
			char obj[SC_NAME_LEN * 2 + 2];

			snprintf(obj, sizeof(obj), "%s%s%s", e->proxy, e->server[0] ? "/" : "", e->server);
			stats_sb_json_str(b, obj);
		} else
			stats_sb_json_str(b, e->object);
		stats_sb_adds(b, ",\"from\":");
		stats_sb_json_str(b, e->from);
		stats_sb_adds(b, ",\"to\":");
		stats_sb_json_str(b, e->to);
		stats_sb_adds(b, ",\"reason\":");
		stats_sb_json_str(b, e->reason);
		stats_sb_adds(b, ",\"detail\":");
		stats_sb_json_str(b, e->detail);
		stats_sb_adds(b, "}");
		first = 0;
	}
	stats_sb_adds(b, "]}");
	free(ev);
}

char *stats_render_json(const struct cfg *cfg, const struct proxy *spx, uint64_t now_ms, size_t *len)
{
	return stats_render_json_opts(cfg, spx, now_ms, NULL, len);
}

/* Rows use the document's time, so that a document is one instant (and
 * unit tests can set it). */
static void row_init(struct stat_row *r, const struct cfg *cfg, int obj, const struct proxy *px,
		     const struct server *srv, uint64_t now_ms)
{
	stats_row_init(r, cfg, obj, px, srv);
	r->now_ms = now_ms;
	r->now_s = now_ms / 1000;
}

char *stats_render_json_opts(const struct cfg *cfg, const struct proxy *spx, uint64_t now_ms,
			     const struct json_opts *o, size_t *len)
{
	struct stats_sb b = { 0 };
	struct stat_row r;
	struct list *pp, *sp;
	struct hist_win win = { 0 }, *w = NULL;
	uint32_t end = stats_hist_end();
	int first = 1;

	if (o && o->history_s && end) {
		win.end_t = end;
		win.n = o->history_s < HIST_SECS ? o->history_s : HIST_SECS;
		if (win.n > end)
			win.n = end;
		if (!(win.buf = malloc(sizeof(*win.buf) * win.n)))
			return NULL;
		w = &win;
	}
	json_head(&b, cfg, spx, now_ms);
	/* the span the rates cover: a second (the current one and what is
	 * left of the previous), more when sampling is late; 0 before any */
	{
		uint64_t newest = end ? ((uint64_t)end + 1) * 1000u : 0;
		uint64_t span = !end ? 0 : now_ms > newest + 1000 ? now_ms - newest : 1000;

		stats_sb_addf(&b, ",\"rate_span_ms\":%llu", (unsigned long long)span);
	}
	if (o && o->history_s)
		json_history_head(&b, spx, o, w, now_ms);

	stats_sb_adds(&b, ",\"frontends\":[");
	list_for_each(pp, &cfg->proxies) {
		const struct proxy *px = list_entry(pp, struct proxy, link);
		if (!(px->cap & PR_CAP_FE) || (px->cap & PR_CAP_DEF) || !stats_in_scope(spx, px))
			continue;
		row_init(&r, cfg, STO_FE, px, NULL, now_ms);
		stats_sb_adds(&b, first ? "{" : ",{");
		json_row(&b, &r, o && o->history_s && (o->history_rows & STO_FE), w);
		json_bool(&b, "stats", px->stats_enabled);
		stats_sb_adds(&b, "}");
		first = 0;
	}
	stats_sb_adds(&b, "],\"backends\":[");
	first = 1;
	list_for_each(pp, &cfg->proxies) {
		const struct proxy *px = list_entry(pp, struct proxy, link);
		int sfirst = 1;

		if (!(px->cap & PR_CAP_BE) || (px->cap & PR_CAP_DEF) || !stats_in_scope(spx, px))
			continue;
		row_init(&r, cfg, STO_BE, px, NULL, now_ms);
		stats_sb_adds(&b, first ? "{" : ",{");
		json_row(&b, &r, o && o->history_s && (o->history_rows & STO_BE), w);
		json_bool(&b, "stats", px->stats_enabled);
		stats_sb_adds(&b, ",\"servers\":[");
		list_for_each(sp, &px->servers) {
			row_init(&r, cfg, STO_SRV, px, list_entry(sp, struct server, link), now_ms);
			stats_sb_adds(&b, sfirst ? "{" : ",{");
			json_row(&b, &r, o && o->history_s && (o->history_rows & STO_SRV), w);
			stats_sb_adds(&b, "}");
			sfirst = 0;
		}
		stats_sb_adds(&b, "]}");
		first = 0;
	}
	stats_sb_adds(&b, "]}\n");
	free(win.buf);
	return stats_sb_finish(&b, len);
}
