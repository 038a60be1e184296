/* /metrics: the Prometheus text exposition format, version 0.0.4.
 *
 * One table (metrics[]) lists every metric family: its name, help, type,
 * the kind of row it is read from and the stats column (stats_get) or
 * conversion that produces the value, so a number here is always the one
 * the CSV, JSON and HTML show. Latency histograms come from the rows'
 * struct counters (ta_hist, ta_sum_us); process metrics from the process.
 *
 * Format rules kept here (checked by `promtool check metrics`): each family
 * is one contiguous block led by its # HELP and # TYPE lines and written
 * only when it has at least one sample; counters end in _total; times are
 * in seconds; histogram buckets are cumulative with le="+Inf" equal to
 * _count; label values escape backslash, double quote and newline. The
 * stats proxy's `stats scope` limits the proxies listed, as for ;csv. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <tandem/bgp.h>
#include <tandem/check.h>
#include <tandem/stats.h>
#include <tandem/vrrp.h>
#include <tandem/stats_export.h>
#include <tandem/ssl.h>
#include <tandem/ssl_store.h>
#include <tandem/version.h>

enum { MT_GAUGE, MT_COUNTER, MT_HIST };
enum {
	MV_PLAIN,      /* the column's number */
	MV_MS_TO_S,    /* a column in milliseconds, shown in seconds */
	MV_UP,         /* 1 when the status word means "takes traffic" */
	MV_STATE,      /* one series per state word, 1 for the current one */
	MV_HRSP,       /* one series per status class, label code */
	MV_HIST,       /* the row's request duration histogram (HTTP only) */
	MV_PASSIVE,    /* one series per circuit-breaker word, 1 for the current one */
	MV_SSL,        /* a TLS counter of struct counters (field: its offset); rows with TLS only */
};

struct metric {
	const char *name;
	const char *help;
	int type;      /* MT_* */
	int obj;       /* STO_* row kind */
	int field;     /* ST_F_* column (MV_PLAIN, MV_MS_TO_S) */
	int conv;      /* MV_* */
};

#define FE STO_FE
#define BE STO_BE
#define SV STO_SRV
#define G MT_GAUGE
#define C MT_COUNTER
#define H MT_HIST

static const struct metric metrics[] = {
	/* frontends */
	{ "tandem_frontend_current_sessions", "Current client sessions.", G, FE, ST_F_SCUR, MV_PLAIN },
	{ "tandem_frontend_max_sessions", "Highest number of concurrent client sessions.", G, FE, ST_F_SMAX, MV_PLAIN },
	{ "tandem_frontend_limit_sessions", "Configured session limit (maxconn).", G, FE, ST_F_SLIM, MV_PLAIN },
	{ "tandem_frontend_sessions_total", "Client sessions since start.", C, FE, ST_F_STOT, MV_PLAIN },
	{ "tandem_frontend_connections_total", "Client connections accepted since start.", C, FE, ST_F_CONN_TOT, MV_PLAIN },
	{ "tandem_frontend_bytes_in_total", "Bytes received from clients.", C, FE, ST_F_BIN, MV_PLAIN },
	{ "tandem_frontend_bytes_out_total", "Bytes sent to clients.", C, FE, ST_F_BOUT, MV_PLAIN },
	{ "tandem_frontend_requests_denied_total", "Requests denied by rules.", C, FE, ST_F_DREQ, MV_PLAIN },
	{ "tandem_frontend_request_errors_total", "Invalid or aborted requests.", C, FE, ST_F_EREQ, MV_PLAIN },
	{ "tandem_frontend_http_requests_total", "HTTP requests received.", C, FE, ST_F_REQ_TOT, MV_PLAIN },
	{ "tandem_frontend_http_responses_total", "HTTP responses sent, by status class.", C, FE, 0, MV_HRSP },
	{ "tandem_frontend_http_request_duration_seconds", "Total time of HTTP requests (Ta), from the first byte of the request to the end of the response.", H, FE, 0, MV_HIST },
	{ "tandem_frontend_ssl_handshakes_total", "TLS handshakes completed with clients.", C, FE, offsetof(struct counters, ssl_sess), MV_SSL },
	{ "tandem_frontend_ssl_reused_sessions_total", "TLS handshakes with clients that resumed a session.", C, FE, offsetof(struct counters, ssl_reused), MV_SSL },
	{ "tandem_frontend_ssl_handshake_failures_total", "TLS handshakes with clients that failed, were closed or timed out.", C, FE, offsetof(struct counters, ssl_failed), MV_SSL },
	/* backends */
	{ "tandem_backend_up", "1 when the backend has a server able to take traffic, else 0.", G, BE, 0, MV_UP },
	{ "tandem_backend_active_servers", "Active servers able to take traffic.", G, BE, ST_F_ACT, MV_PLAIN },
	{ "tandem_backend_backup_servers", "Backup servers able to take traffic.", G, BE, ST_F_BCK, MV_PLAIN },
	{ "tandem_backend_weight", "Sum of the effective weights of the servers taking traffic.", G, BE, ST_F_WEIGHT, MV_PLAIN },
	{ "tandem_backend_current_sessions", "Current sessions.", G, BE, ST_F_SCUR, MV_PLAIN },
	{ "tandem_backend_max_sessions", "Highest number of concurrent sessions.", G, BE, ST_F_SMAX, MV_PLAIN },
	{ "tandem_backend_limit_sessions", "Configured session limit (fullconn).", G, BE, ST_F_SLIM, MV_PLAIN },
	{ "tandem_backend_sessions_total", "Sessions routed to the backend since start.", C, BE, ST_F_STOT, MV_PLAIN },
	{ "tandem_backend_bytes_in_total", "Bytes received from clients.", C, BE, ST_F_BIN, MV_PLAIN },
	{ "tandem_backend_bytes_out_total", "Bytes sent to clients.", C, BE, ST_F_BOUT, MV_PLAIN },
	{ "tandem_backend_requests_denied_total", "Requests denied by rules.", C, BE, ST_F_DREQ, MV_PLAIN },
	{ "tandem_backend_connection_errors_total", "Failed connections to servers.", C, BE, ST_F_ECON, MV_PLAIN },
	{ "tandem_backend_response_errors_total", "Invalid or truncated server responses.", C, BE, ST_F_ERESP, MV_PLAIN },
	{ "tandem_backend_retries_total", "Connection retries.", C, BE, ST_F_WRETR, MV_PLAIN },
	{ "tandem_backend_redispatches_total", "Requests redispatched to another server.", C, BE, ST_F_WREDIS, MV_PLAIN },
	{ "tandem_backend_client_aborts_total", "Transfers aborted by the client.", C, BE, ST_F_CLI_ABRT, MV_PLAIN },
	{ "tandem_backend_server_aborts_total", "Transfers aborted by the server.", C, BE, ST_F_SRV_ABRT, MV_PLAIN },
	{ "tandem_backend_check_down_total", "Times the backend lost its last usable server.", C, BE, ST_F_CHKDOWN, MV_PLAIN },
	{ "tandem_backend_downtime_seconds_total", "Time spent without any usable server.", C, BE, ST_F_DOWNTIME, MV_PLAIN },
	{ "tandem_backend_last_change_seconds", "Seconds since the last state change.", G, BE, ST_F_LASTCHG, MV_PLAIN },
	{ "tandem_backend_queue_current", "Requests waiting for a server.", G, BE, ST_F_QCUR, MV_PLAIN },
	{ "tandem_backend_queue_max", "Highest number of requests waiting for a server.", G, BE, ST_F_QMAX, MV_PLAIN },
	{ "tandem_backend_http_requests_total", "HTTP requests routed to the backend.", C, BE, ST_F_REQ_TOT, MV_PLAIN },
	{ "tandem_backend_http_responses_total", "HTTP responses, by status class.", C, BE, 0, MV_HRSP },
	{ "tandem_backend_connect_time_average_seconds", "Average time to connect to a server, since start.", G, BE, ST_F_CTIME, MV_MS_TO_S },
	{ "tandem_backend_response_time_average_seconds", "Average time to the server's response head, since start.", G, BE, ST_F_RTIME, MV_MS_TO_S },
	{ "tandem_backend_total_time_average_seconds", "Average total session time, since start.", G, BE, ST_F_TTIME, MV_MS_TO_S },
	{ "tandem_backend_http_request_duration_seconds", "Total time of HTTP requests (Ta) routed to the backend.", H, BE, 0, MV_HIST },
	{ "tandem_backend_ssl_handshakes_total", "TLS handshakes completed with servers.", C, BE, offsetof(struct counters, ssl_sess), MV_SSL },
	{ "tandem_backend_ssl_reused_sessions_total", "TLS handshakes with servers that resumed a session.", C, BE, offsetof(struct counters, ssl_reused), MV_SSL },
	{ "tandem_backend_ssl_handshake_failures_total", "TLS handshakes with servers that failed.", C, BE, offsetof(struct counters, ssl_failed), MV_SSL },
	/* servers */
	{ "tandem_server_up", "1 when the server takes traffic or only drains (UP, no check, DRAIN), 0 when DOWN, MAINT or NOLB.", G, SV, 0, MV_UP },
	{ "tandem_server_state", "Current state of the server: 1 for the series of its state.", G, SV, 0, MV_STATE },
	{ "tandem_server_passive_state", "Passive health as a circuit breaker: 1 for the series of its state (closed: traffic flows; open: live traffic took the server out; half-open: back on probation).", G, SV, 0, MV_PASSIVE },
	{ "tandem_server_weight", "Effective weight.", G, SV, ST_F_WEIGHT, MV_PLAIN },
	{ "tandem_server_configured_weight", "Configured weight.", G, SV, ST_F_UWEIGHT, MV_PLAIN },
	{ "tandem_server_backup", "1 for a backup server.", G, SV, ST_F_BCK, MV_PLAIN },
	{ "tandem_server_current_sessions", "Current sessions.", G, SV, ST_F_SCUR, MV_PLAIN },
	{ "tandem_server_max_sessions", "Highest number of concurrent sessions.", G, SV, ST_F_SMAX, MV_PLAIN },
	{ "tandem_server_limit_sessions", "Configured session limit (maxconn).", G, SV, ST_F_SLIM, MV_PLAIN },
	{ "tandem_server_sessions_total", "Sessions (requests) routed to the server since start.", C, SV, ST_F_STOT, MV_PLAIN },
	{ "tandem_server_bytes_in_total", "Bytes received from clients for this server.", C, SV, ST_F_BIN, MV_PLAIN },
	{ "tandem_server_bytes_out_total", "Bytes sent to clients from this server.", C, SV, ST_F_BOUT, MV_PLAIN },
	{ "tandem_server_http_responses_total", "HTTP responses, by status class.", C, SV, 0, MV_HRSP },
	{ "tandem_server_connection_errors_total", "Failed connections to the server.", C, SV, ST_F_ECON, MV_PLAIN },
	{ "tandem_server_response_errors_total", "Invalid or truncated responses.", C, SV, ST_F_ERESP, MV_PLAIN },
	{ "tandem_server_retries_total", "Connection retries.", C, SV, ST_F_WRETR, MV_PLAIN },
	{ "tandem_server_redispatches_total", "Requests redispatched away from the server.", C, SV, ST_F_WREDIS, MV_PLAIN },
	{ "tandem_server_client_aborts_total", "Transfers aborted by the client.", C, SV, ST_F_CLI_ABRT, MV_PLAIN },
	{ "tandem_server_server_aborts_total", "Transfers aborted by the server.", C, SV, ST_F_SRV_ABRT, MV_PLAIN },
	{ "tandem_server_check_failures_total", "Failed health checks.", C, SV, ST_F_CHKFAIL, MV_PLAIN },
	{ "tandem_server_check_down_total", "UP to DOWN transitions.", C, SV, ST_F_CHKDOWN, MV_PLAIN },
	{ "tandem_server_check_duration_seconds", "Duration of the last health check.", G, SV, ST_F_CHECK_DURATION, MV_MS_TO_S },
	{ "tandem_server_last_change_seconds", "Seconds since the last state change.", G, SV, ST_F_LASTCHG, MV_PLAIN },
	{ "tandem_server_downtime_seconds_total", "Time spent DOWN.", C, SV, ST_F_DOWNTIME, MV_PLAIN },
	{ "tandem_server_queue_current", "Requests waiting for this server.", G, SV, ST_F_QCUR, MV_PLAIN },
	{ "tandem_server_queue_limit", "Configured queue limit.", G, SV, ST_F_QLIMIT, MV_PLAIN },
	{ "tandem_server_connect_time_average_seconds", "Average time to connect, since start.", G, SV, ST_F_CTIME, MV_MS_TO_S },
	{ "tandem_server_response_time_average_seconds", "Average time to the response head, since start.", G, SV, ST_F_RTIME, MV_MS_TO_S },
	{ "tandem_server_total_time_average_seconds", "Average total session time, since start.", G, SV, ST_F_TTIME, MV_MS_TO_S },
	{ "tandem_server_http_request_duration_seconds", "Total time of HTTP requests (Ta) served by the server.", H, SV, 0, MV_HIST },
	{ "tandem_server_ssl_handshakes_total", "TLS handshakes completed with the server.", C, SV, offsetof(struct counters, ssl_sess), MV_SSL },
	{ "tandem_server_ssl_reused_sessions_total", "TLS handshakes with the server that resumed a session.", C, SV, offsetof(struct counters, ssl_reused), MV_SSL },
	{ "tandem_server_ssl_handshake_failures_total", "TLS handshakes with the server that failed.", C, SV, offsetof(struct counters, ssl_failed), MV_SSL },
};

#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

/* Server state words and their label values. */
static const struct { const char *status; const char *label; } srv_states[] = {
	{ "UP", "UP" }, { "DOWN", "DOWN" }, { "MAINT", "MAINT" }, { "DRAIN", "DRAIN" },
	{ "NOLB", "NOLB" }, { "no check", "NO_CHECK" }, { "MAINT (resolution)", "MAINT_RESOLUTION" },
};

static const struct { const char *code; int field; } hrsp_codes[] = {
	{ "1xx", ST_F_HRSP_1XX }, { "2xx", ST_F_HRSP_2XX }, { "3xx", ST_F_HRSP_3XX },
	{ "4xx", ST_F_HRSP_4XX }, { "5xx", ST_F_HRSP_5XX }, { "other", ST_F_HRSP_OTHER },
};

struct mctx {
	struct stats_sb *b;
	const struct metric *m;
	int headed;    /* HELP/TYPE of the current family written */
};

/* Help text: backslash and newline escaped. */
static void add_help(struct stats_sb *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			stats_sb_adds(b, "\\\\");
		else if (*s == '\n')
			stats_sb_adds(b, "\\n");
		else
			stats_sb_add(b, s, 1);
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void add_label(struct stats_sb *b, const char *name, const char *val)
{
	stats_sb_adds(b, name);
	stats_sb_adds(b, "=\"");
	for (; *val; val++) {
		if (*val == '\\' || *val == '"') {
			stats_sb_add(b, "\\", 1);
			stats_sb_add(b, val, 1);
		} else if (*val == '\n')
			stats_sb_adds(b, "\\n");
		else
			stats_sb_add(b, val, 1);
	}
	stats_sb_add(b, "\"", 1);
}

static void family_head(struct mctx *c, const char *name, const char *help, int type)
{
	static const char *const tn[] = { [MT_GAUGE] = "gauge", [MT_COUNTER] = "counter", [MT_HIST] = "histogram" };

	if (c->headed)
		return;
	stats_sb_addf(c->b, "# HELP %s ", name);
	add_help(c->b, help);
	stats_sb_addf(c->b, "\n# TYPE %s %s\n", name, tn[type]);
	c->headed = 1;
}

/* "name{proxy="..",server="..",<extra>="<xval>"} " -- <suffix> is appended
 * to the name (histogram parts), <extra> may be NULL. */
static void series(struct mctx *c, const struct stat_row *r, const char *suffix,
		   const char *extra, const char *xval)
{
	struct stats_sb *b = c->b;

	family_head(c, c->m->name, c->m->help, c->m->type);
	stats_sb_adds(b, c->m->name);
	stats_sb_adds(b, suffix);
	stats_sb_add(b, "{", 1);
	add_label(b, "proxy", r->px->id ? r->px->id : "");
	if (r->obj == STO_SRV) {
		stats_sb_add(b, ",", 1);
		add_label(b, "server", r->srv->id ? r->srv->id : "");
	}
	if (extra) {
		stats_sb_add(b, ",", 1);
		add_label(b, extra, xval);
	}
	stats_sb_adds(b, "} ");
}

static void num_u(struct stats_sb *b, uint64_t v)
{
	stats_sb_addf(b, "%llu\n", (unsigned long long)v);
}

/* Milliseconds as exact decimal seconds ("0.015"). */
static void num_ms(struct stats_sb *b, uint64_t ms)
{
	stats_sb_addf(b, "%llu.%03llu\n", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
}

static int srv_status_up(const char *st)
{
	return !strncmp(st, "UP", 2) || !strcmp(st, "no check") || !strncmp(st, "DRAIN", 5);
}

static void emit_hist(struct mctx *c, const struct stat_row *r)
{
	const struct counters *ctr = stats_row_counters(r);
	uint64_t cum = 0, sum_us;
	char le[32];

	if (r->px->mode != PR_MODE_HTTP)
		return;
	for (int i = 0; i < CTR_HIST_N; i++) {
		cum += CTR_GET(ctr->ta_hist[i]);
		if (i < CTR_HIST_N - 1)
			snprintf(le, sizeof(le), "%g", ctr_hist_bounds_ms[i] / 1000.0);
		else
			snprintf(le, sizeof(le), "+Inf");
		series(c, r, "_bucket", "le", le);
		num_u(c->b, cum);
	}
	series(c, r, "_sum", NULL, NULL);
	sum_us = CTR_GET(ctr->ta_sum_us);   /* exact: seconds and microseconds */
	stats_sb_addf(c->b, "%llu.%06llu\n", (unsigned long long)(sum_us / 1000000),
		      (unsigned long long)(sum_us % 1000000));
	series(c, r, "_count", NULL, NULL);
	num_u(c->b, cum);
}

/* Does the row speak TLS (a bind with `ssl`; a server with `ssl`)? */
static int row_has_tls(const struct stat_row *r)
{
	const struct list *l;

	if (r->obj == STO_SRV)
		return r->srv->use_ssl;
	if (r->obj == STO_FE) {
		if (!r->px->binds.next)
			return 0;   /* a proxy built without binds (tests) */
		list_for_each(l, &r->px->binds) {
			const struct bind_conf *b = list_entry(l, struct bind_conf, link);

			if (b->ssl && b->ssl->ssl)
				return 1;
		}
		return 0;
	}
	if (!r->px->servers.next)
		return 0;
	list_for_each(l, &r->px->servers)
		if (list_entry(l, struct server, link)->use_ssl)
			return 1;
	return 0;
}

/* The sample(s) of the current metric for row <r>. */
static void emit_row(struct mctx *c, const struct stat_row *r)
{
	const struct metric *m = c->m;
	struct stat_val v;
	const char *st;

	switch (m->conv) {
	case MV_PLAIN:
	case MV_MS_TO_S:
		stats_get(m->field, r, &v);
		if (v.type == STV_S64 && v.s < 0)
			return;          /* "never" / "no value" */
		if (v.type == STV_S64)
			v.u = (uint64_t)v.s;
		else if (v.type != STV_U64 && v.type != STV_AGE)
			return;
		series(c, r, "", NULL, NULL);
		if (m->conv == MV_MS_TO_S)
			num_ms(c->b, v.u);
		else
			num_u(c->b, v.u);
		break;
	case MV_UP:
		st = stats_row_status(r);
		series(c, r, "", NULL, NULL);
		num_u(c->b, r->obj == STO_SRV ? (uint64_t)srv_status_up(st) : (uint64_t)!strcmp(st, "UP"));
		break;
	case MV_STATE: {
		size_t best = 0, bestn = 0;

		st = stats_row_status(r);
		/* transitional forms ("UP 1/3", "DOWN 2/3") count as their first
		 * word; the longest match wins ("MAINT (resolution)" over "MAINT") */
		for (size_t i = 0; i < sizeof(srv_states) / sizeof(srv_states[0]); i++) {
			size_t n = strlen(srv_states[i].status);

			if (!strncmp(st, srv_states[i].status, n) && (st[n] == '\0' || st[n] == ' ') && n > bestn) {
				best = i;
				bestn = n;
			}
		}
		for (size_t i = 0; i < sizeof(srv_states) / sizeof(srv_states[0]); i++) {
			series(c, r, "", "state", srv_states[i].label);
			num_u(c->b, (uint64_t)(bestn && i == best));
		}
		break;
	case MV_PASSIVE:
		stats_get(ST_F_PASSIVE_STATE, r, &v);
		if (v.type != STV_STR)
			return;          /* no passive health */
		for (int cb = CB_CLOSED; cb <= CB_HALF_OPEN; cb++) {
			series(c, r, "", "state", cb_state_str(cb));
			num_u(c->b, (uint64_t)!strcmp(v.str, cb_state_str(cb)));
		}
		break;
	}
	case MV_HRSP:
		for (size_t i = 0; i < sizeof(hrsp_codes) / sizeof(hrsp_codes[0]); i++) {
			stats_get(hrsp_codes[i].field, r, &v);
			if (v.type != STV_U64)
				continue;
			series(c, r, "", "code", hrsp_codes[i].code);
			num_u(c->b, v.u);
		}
		break;
	case MV_HIST:
		emit_hist(c, r);
		break;
	case MV_SSL:
		if (!row_has_tls(r))
			return;
		series(c, r, "", NULL, NULL);
		num_u(c->b, CTR_GET(*(const ctr_t *)(const void *)((const char *)stats_row_counters(r) + m->field)));
		break;
	}
}

static void emit_metric(struct mctx *c, const struct cfg *cfg, const struct proxy *spx)
{
	struct stat_row r;
	struct list *pp, *sp;

	list_for_each(pp, &cfg->proxies) {
		const struct proxy *px = list_entry(pp, struct proxy, link);
		if ((px->cap & PR_CAP_DEF) || !stats_in_scope(spx, px))
			continue;
		if (c->m->obj == STO_FE && (px->cap & PR_CAP_FE)) {
			stats_row_init(&r, cfg, STO_FE, px, NULL);
			emit_row(c, &r);
		} else if (c->m->obj == STO_BE && (px->cap & PR_CAP_BE)) {
			stats_row_init(&r, cfg, STO_BE, px, NULL);
			emit_row(c, &r);
		} else if (c->m->obj == STO_SRV && (px->cap & PR_CAP_BE)) {
			list_for_each(sp, &px->servers) {
				stats_row_init(&r, cfg, STO_SRV, px, list_entry(sp, struct server, link));
				emit_row(c, &r);
			}
		}
	}
}

/* Resident set size from /proc/self/statm (pages), 0 if unreadable. */
static uint64_t rss_bytes(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void gauge(struct stats_sb *b, const char *name, const char *help, uint64_t v)
{
	struct mctx c = { .b = b };

	family_head(&c, name, help, MT_GAUGE);
	stats_sb_adds(b, name);
	stats_sb_add(b, " ", 1);
	num_u(b, v);
}

static void emit_process(struct stats_sb *b, const struct cfg *cfg, const struct proxy *spx)
{
	struct timespec ts;
	uint64_t conns = 0;
	struct list *pp;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!(spx && spx->stats_hide_version)) {
		struct mctx c = { .b = b };
		family_head(&c, "tandem_build_info", "tandem version, as a label; the value is always 1.", MT_GAUGE);
		stats_sb_adds(b, "tandem_build_info{");
		add_label(b, "version", TANDEM_VERSION);
		stats_sb_adds(b, "} 1\n");
	}
	list_for_each(pp, &cfg->proxies) {
		const struct proxy *p = list_entry(pp, struct proxy, link);
		if ((p->cap & PR_CAP_FE) && !(p->cap & PR_CAP_DEF))
			conns += CTR_GET(p->fe_ctr->cur_sess);
	}
	gauge(b, "tandem_process_start_time_seconds", "Start time of the tandem process, seconds since the epoch.",
	      tandem_start_wall_s);
	gauge(b, "tandem_process_uptime_seconds", "Seconds since tandem started.",
	      tandem_start_wall_s && (uint64_t)ts.tv_sec > tandem_start_wall_s ?
	      (uint64_t)ts.tv_sec - tandem_start_wall_s : 0);
	gauge(b, "tandem_process_threads", "Worker threads (nbthread).", (uint64_t)cfg->g.nbthread);
	gauge(b, "tandem_process_max_connections", "Configured process connection limit (maxconn).",
	      (uint64_t)cfg->g.maxconn);
	gauge(b, "tandem_process_current_connections", "Client connections open now, over every frontend.",
	      conns);
	gauge(b, "tandem_process_resident_memory_bytes", "Resident memory of the worker process.",
	      rss_bytes());
	gauge(b, "tandem_process_ssl_memory_bytes", "Memory OpenSSL holds in the worker (contexts, certificates, "
	      "session caches, each TLS connection's state), bytes.", ssl_mem_in_use());
}

/* VRRP instances (the master's VRRP thread keeps their snapshot in shared
 * memory): state as one series per state name, priorities, counters. */
static void vrrp_series(struct stats_sb *b, const struct vrrp_snap *v, const char *name,
			const char *extra_label, const char *extra_val, uint64_t val)
{
	char vrid[16];

	snprintf(vrid, sizeof(vrid), "%d", v->vrid);
	stats_sb_adds(b, name);
	stats_sb_adds(b, "{");
	add_label(b, "instance", v->name);
	stats_sb_adds(b, ",");
	add_label(b, "vrid", vrid);
	if (extra_label) {
		stats_sb_adds(b, ",");
		add_label(b, extra_label, extra_val);
	}
	stats_sb_adds(b, "} ");
	num_u(b, val);
}

/* vrrp_script track scripts: state and counters, by script name. */
static void emit_vrrp_scripts(struct stats_sb *b)
{
	static const struct { const char *name, *help; int type; } fam[] = {
		{ "tandem_vrrp_script_ok", "1 when the VRRP track script's state is OK, 0 when failed or not known yet.", MT_GAUGE },
		{ "tandem_vrrp_script_runs_total", "VRRP track script runs.", MT_COUNTER },
		{ "tandem_vrrp_script_failures_total", "VRRP track script runs that failed (timeouts included).", MT_COUNTER },
		{ "tandem_vrrp_script_timeouts_total", "VRRP track script runs killed at their timeout.", MT_COUNTER },
	};
	struct vrrp_script_snap sc[VRRP_MAX_SCRIPTS];
	int n = vrrp_scripts_snapshot(sc, VRRP_MAX_SCRIPTS);

	if (n > VRRP_MAX_SCRIPTS)
		n = VRRP_MAX_SCRIPTS;
	for (int k = 0; n > 0 && k < (int)(sizeof(fam) / sizeof(fam[0])); k++) {
		struct mctx f = { .b = b };

		family_head(&f, fam[k].name, fam[k].help, fam[k].type);
		for (int i = 0; i < n; i++) {
			uint64_t v = k == 0 ? sc[i].state == 1 : k == 1 ? sc[i].runs : k == 2 ? sc[i].failures : sc[i].timeouts;

			stats_sb_adds(b, fam[k].name);
			stats_sb_adds(b, "{");
			add_label(b, "script", sc[i].name);
			stats_sb_adds(b, "} ");
			num_u(b, v);
		}
	}
}

static void emit_vrrp(struct stats_sb *b)
{
	static const struct { const char *name, *help; int type; size_t off; } fam[] = {
		{ "tandem_vrrp_priority", "Configured VRRP priority.", MT_GAUGE, offsetof(struct vrrp_snap, priority) },
		{ "tandem_vrrp_effective_priority", "VRRP priority after track-backend weights.", MT_GAUGE,
		  offsetof(struct vrrp_snap, eff_priority) },
	};
	static const struct { const char *name, *help; size_t off; } ctr[] = {
		{ "tandem_vrrp_transitions_total", "VRRP state changes.", offsetof(struct vrrp_snap, transitions) },
		{ "tandem_vrrp_became_master_total", "Times this node became VRRP master.", offsetof(struct vrrp_snap, became_master) },
		{ "tandem_vrrp_adverts_received_total", "VRRP advertisements received and accepted.", offsetof(struct vrrp_snap, adverts_rx) },
		{ "tandem_vrrp_adverts_sent_total", "VRRP advertisements sent.", offsetof(struct vrrp_snap, adverts_tx) },
		{ "tandem_vrrp_split_brain_total", "Times another MASTER of the virtual router was heard while MASTER.",
		  offsetof(struct vrrp_snap, split_brain) },
		{ "tandem_vrrp_notify_runs_total", "VRRP notify scripts run.", offsetof(struct vrrp_snap, notify_run) },
		{ "tandem_vrrp_notify_failures_total", "VRRP notify scripts that failed, timed out or could not start.",
		  offsetof(struct vrrp_snap, notify_failed) },
	};
	static const char *const states[] = { "INIT", "BACKUP", "MASTER", "FAULT" };
	struct vrrp_snap snap[32];
	int n = vrrp_snapshot(snap, 32), i, k;
	struct mctx c = { .b = b };

	if (n <= 0)
		return;
	if (n > 32)
		n = 32;
	family_head(&c, "tandem_vrrp_state", "VRRP state of the instance: 1 for the current state.", MT_GAUGE);
	for (i = 0; i < n; i++)
		for (k = 0; k < 4; k++)
			vrrp_series(b, &snap[i], "tandem_vrrp_state", "state", states[k],
				    strcmp(vrrp_state_str(snap[i].state), states[k]) == 0);
	for (k = 0; k < (int)(sizeof(fam) / sizeof(fam[0])); k++) {
		struct mctx f = { .b = b };
		family_head(&f, fam[k].name, fam[k].help, fam[k].type);
		for (i = 0; i < n; i++)
			vrrp_series(b, &snap[i], fam[k].name, NULL, NULL,
				    (uint64_t)*(const int *)(const void *)((const char *)&snap[i] + fam[k].off));
	}
	for (k = 0; k < (int)(sizeof(ctr) / sizeof(ctr[0])); k++) {
		struct mctx f = { .b = b };
		family_head(&f, ctr[k].name, ctr[k].help, MT_COUNTER);
		for (i = 0; i < n; i++)
			vrrp_series(b, &snap[i], ctr[k].name, NULL, NULL,
				    *(const uint64_t *)(const void *)((const char *)&snap[i] + ctr[k].off));
	}
	{
		struct mctx f = { .b = b };
		family_head(&f, "tandem_vrrp_dropped_packets_total", "VRRP packets dropped, by reason.", MT_COUNTER);
		for (i = 0; i < n; i++)
			for (k = 1; k < VRRP_DROP_NREASONS; k++)
				vrrp_series(b, &snap[i], "tandem_vrrp_dropped_packets_total", "reason",
					    vrrp_drop_str(k), snap[i].dropped[k]);
	}
	emit_vrrp_scripts(b);
}

/* anycast sections (the master's BGP thread keeps their snapshot in shared
 * memory): what the node wants, what BIRD confirmed per address, counters. */
static void anycast_series(struct stats_sb *b, const char *name, const struct bgp_snap *v,
			   const struct bgp_snap_addr *a, uint64_t val)
{
	stats_sb_adds(b, name);
	stats_sb_adds(b, "{");
	add_label(b, "section", v->name);
	if (a) {
		char s[INET6_ADDRSTRLEN];

		inet_ntop(a->af, a->a, s, sizeof(s));
		stats_sb_adds(b, ",");
		add_label(b, "address", s);
		stats_sb_adds(b, ",");
		add_label(b, "protocol", a->proto);
	}
	stats_sb_adds(b, "} ");
	num_u(b, val);
}

static void emit_anycast(struct stats_sb *b)
{
	static const struct { const char *name, *help; size_t off; } ctr[] = {
		{ "tandem_anycast_announcements_total", "Times the node decided to announce (it could serve again).",
		  offsetof(struct bgp_snap, announces) },
		{ "tandem_anycast_withdrawals_total", "Times the node decided to withdraw.",
		  offsetof(struct bgp_snap, withdrawals) },
		{ "tandem_anycast_bird_failures_total", "Connections to BIRD's control socket that failed or were lost.",
		  offsetof(struct bgp_snap, bird_failures) },
		{ "tandem_anycast_bird_errors_total", "Commands BIRD refused.", offsetof(struct bgp_snap, bird_errors) },
		{ "tandem_anycast_bird_reverts_total",
		  "BIRD protocols found in the wrong state and put right (BIRD reconfigured or restarted).",
		  offsetof(struct bgp_snap, bird_reverts) },
	};
	struct bgp_snap snap[BGP_MAX_SECT];
	int n = bgp_snapshot(snap, BGP_MAX_SECT), i, k;
	struct mctx c1 = { .b = b }, c2 = { .b = b }, c3 = { .b = b };

	if (n <= 0)
		return;
	if (n > BGP_MAX_SECT)
		n = BGP_MAX_SECT;
	family_head(&c1, "tandem_anycast_can_serve", "1 while the node can serve and wants its addresses announced.",
		    MT_GAUGE);
	for (i = 0; i < n; i++)
		anycast_series(b, "tandem_anycast_can_serve", &snap[i], NULL, (uint64_t)snap[i].want);
	family_head(&c2, "tandem_anycast_bird_up", "1 while tandem talks to BIRD's control socket.", MT_GAUGE);
	for (i = 0; i < n; i++)
		anycast_series(b, "tandem_anycast_bird_up", &snap[i], NULL, snap[i].bird == BGP_BIRD_UP);
	family_head(&c3, "tandem_anycast_announced",
		    "1 while BIRD confirmed the address's protocol enabled (the route is offered to BGP).", MT_GAUGE);
	for (i = 0; i < n; i++)
		for (k = 0; k < snap[i].naddrs && k < BGP_MAX_ADDR; k++)
			anycast_series(b, "tandem_anycast_announced", &snap[i], &snap[i].addrs[k],
				       snap[i].bird == BGP_BIRD_UP && snap[i].addrs[k].bird == 1);
	for (k = 0; k < (int)(sizeof(ctr) / sizeof(ctr[0])); k++) {
		struct mctx f = { .b = b };

		family_head(&f, ctr[k].name, ctr[k].help, MT_COUNTER);
		for (i = 0; i < n; i++)
			anycast_series(b, ctr[k].name, &snap[i], NULL,
				       *(const uint64_t *)(const void *)((const char *)&snap[i] + ctr[k].off));
	}
}

/* Every certificate's validity (the store of the configuration): an alert
 * can fire well before one lapses. Labels: the file, its first name. */
struct cert_mctx { struct stats_sb *b; int after; int headed; };

static void cert_series(void *arg, const struct ssl_cert_view *v)
{
	struct cert_mctx *c = arg;
	struct mctx m = { .b = c->b, .headed = c->headed };

	if (c->after)
		family_head(&m, "tandem_ssl_cert_not_after_seconds",
			    "End of validity of each certificate (notAfter), seconds since the epoch.", MT_GAUGE);
	else
		family_head(&m, "tandem_ssl_cert_not_before_seconds",
			    "Start of validity of each certificate (notBefore), seconds since the epoch.", MT_GAUGE);
	c->headed = 1;
	stats_sb_adds(c->b, c->after ? "tandem_ssl_cert_not_after_seconds{" : "tandem_ssl_cert_not_before_seconds{");
	add_label(c->b, "path", v->path);
	stats_sb_add(c->b, ",", 1);
	add_label(c->b, "cn", v->subject_cn);
	stats_sb_addf(c->b, ",used=\"%d\"} %lld\n", v->used, (long long)(c->after ? v->not_after : v->not_before));
}

static void emit_ssl_certs(struct stats_sb *b, const struct cfg *cfg)
{
	struct cert_mctx c = { b, 1, 0 };

	ssl_store_foreach((struct cfg *)cfg, cert_series, &c);
	c.after = 0;
	c.headed = 0;
	ssl_store_foreach((struct cfg *)cfg, cert_series, &c);
}

char *stats_render_metrics(const struct cfg *cfg, const struct proxy *spx, size_t *len)
{
	struct stats_sb b = { 0 };

	emit_process(&b, cfg, spx);
	emit_vrrp(&b);
	emit_ssl_certs(&b, cfg);
	emit_anycast(&b);
	for (size_t i = 0; i < NMETRICS; i++) {
		struct mctx c = { .b = &b, .m = &metrics[i] };
		emit_metric(&c, cfg, spx);
	}
	return stats_sb_finish(&b, len);
}
