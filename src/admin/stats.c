/* Statistics: the column table, value getters and the CSV output.
 *
 * stat_cols[] holds HAProxy's 100 static "show stat" CSV fields in their
 * documented order, so the CSV header and every row line up with what
 * HAProxy tools expect. Each column names the rows it applies to and a getter;
 * columns tandem has no data for keep a NULL getter and print empty, as
 * HAProxy prints fields that do not apply. The HTML page (stats_html.c) and
 * JSON and Prometheus renderers read the very same getters.
 *
 * Everything here runs while worker threads update the counters: counters
 * are read with CTR_GET, server state and weights with atomic loads, and a
 * row is never "locked" -- values of one row may be a few requests apart,
 * which is fine for statistics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/check.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include <tandem/stats.h>
#include <tandem/stats_hist.h>

uint64_t tandem_start_wall_s;

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* ---- row helpers ---------------------------------------------------------- */

static const struct counters *row_ctr(const struct stat_row *r)
{
	if (r->obj == STO_FE)
		return r->px->fe_ctr;
	if (r->obj == STO_BE)
		return r->px->be_ctr;
	if (r->obj == STO_LI)
		return r->li->ctr;
	return r->srv->ctr;
}

/* HAProxy's words; a checked server between DOWN and fully UP shows its
 * progress as HAProxy does: "DOWN h/rise" going up, "UP (h-rise+1)/fall"
 * going down. The text lives in a per-thread buffer until the next call. */
const char *stats_srv_status(const struct server *s)
{
	static __thread char buf[32];
	int adm = LD(s->admin), st = LD(s->state);
	struct chk_snap c;
	int tr = s->hc && srv_check_snapshot(s, &c) == 0 && c.enabled && c.transitional;
	const char *w;

	/* DNS's maintenance is told apart from an operator's (HAProxy's words) */
	if (adm & SRV_ADMF_RMAINT)
		return "MAINT (resolution)";
	if (adm & SRV_ADMF_MAINT)
		return "MAINT";
	if (st == SRV_ST_STOPPED) {
		if (!tr)
			return "DOWN";
		snprintf(buf, sizeof(buf), "DOWN %d/%d", c.health, c.rise);
		return buf;
	}
	w = (adm & SRV_ADMF_DRAIN) ? "DRAIN" : st == SRV_ST_STOPPING ? "NOLB" : s->has_check ? "UP" : "no check";
	if (!tr || !s->has_check)
		return w;
	snprintf(buf, sizeof(buf), "%s %d/%d", w, c.health - c.rise + 1, c.fall);
	return buf;
}

/* Usable servers of backend <px>, active and backup (HAProxy's
 * srv_act/srv_bck: a draining, stopping or weight-0 server is not one). */
static void be_count(const struct proxy *px, int *act, int *bck)
{
	struct list *pos;

	*act = *bck = 0;
	list_for_each(pos, &px->servers) {
		const struct server *s = list_entry(pos, struct server, link);
		if (srv_usable(s))
			(s->backup ? (*bck)++ : (*act)++);
	}
}

const char *stats_row_status(const struct stat_row *r)
{
	int act, bck;

	if (r->obj == STO_FE)
		return r->px->disabled ? "STOP" : "OPEN";
	if (r->obj == STO_LI)   /* HAProxy's listener states */
		return r->li->maxconn && LD(r->li->curconn) >= r->li->maxconn ? "FULL" : "OPEN";
	if (r->obj == STO_SRV)
		return stats_srv_status(r->srv);
	be_count(r->px, &act, &bck);
	return (act + bck) ? "UP" : "DOWN";
}

void stats_row_init(struct stat_row *r, const struct cfg *cfg, int obj,
		    const struct proxy *px, const struct server *srv)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	r->obj = obj;
	r->cfg = cfg;
	r->px = px;
	r->srv = srv;
	r->li = NULL;
	r->now_s = (uint64_t)ts.tv_sec;
	r->now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- getters -------------------------------------------------------------- */

static void set_u(struct stat_val *v, uint64_t u) { v->type = STV_U64; v->u = u; }
static void set_s(struct stat_val *v, int64_t s) { v->type = STV_S64; v->s = s; }
static void set_str(struct stat_val *v, const char *s) { v->type = STV_STR; v->str = s; }

static void get_pxname(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	set_str(v, r->px->id ? r->px->id : "");
}

static void get_svname(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	if (r->obj == STO_LI) {   /* its name, else HAProxy's "sock-N" */
		if (r->li->name)
			set_str(v, r->li->name);
		else {
			snprintf(v->sbuf, sizeof(v->sbuf), "sock-%d", r->li->luid);
			set_str(v, v->sbuf);
		}
		return;
	}
	set_str(v, r->obj == STO_FE ? "FRONTEND" : r->obj == STO_BE ? "BACKEND" :
		   (r->srv->id ? r->srv->id : ""));
}

/* A counter of the row's own struct counters; <arg> is its offset. */
static void get_ctr(const struct stat_row *r, int arg, struct stat_val *v)
{
	const ctr_t *c = (const ctr_t *)(const void *)((const char *)row_ctr(r) + arg);
	set_u(v, CTR_GET(*c));
}

/* Same, but only meaningful for HTTP proxies (HAProxy leaves these empty in TCP mode). */
static void get_http_ctr(const struct stat_row *r, int arg, struct stat_val *v)
{
	if (r->px->mode == PR_MODE_HTTP)
		get_ctr(r, arg, v);
}

/* Average of a time sum over the sessions routed to the row. HAProxy
 * averages the last 1024 requests; tandem averages since start. */
static void get_avg(const struct stat_row *r, int arg, struct stat_val *v)
{
	uint64_t n = CTR_GET(row_ctr(r)->cum_sess);
	const ctr_t *sum = (const ctr_t *)(const void *)((const char *)row_ctr(r) + arg);
	set_u(v, n ? CTR_GET(*sum) / n : 0);
}

static void get_slim(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	if (r->obj == STO_FE) {
		int m = r->px->maxconn ? r->px->maxconn : (r->cfg ? r->cfg->g.maxconn : 0);
		if (m > 0)
			set_u(v, (uint64_t)m);
	} else if (r->obj == STO_BE) {
		if (r->px->fullconn > 0)
			set_u(v, (uint64_t)r->px->fullconn);
	} else if (r->obj == STO_LI) {
		int m = r->li->maxconn ? r->li->maxconn : r->px->maxconn ? r->px->maxconn : (r->cfg ? r->cfg->g.maxconn : 0);

		if (m > 0)
			set_u(v, (uint64_t)m);
	} else if (r->srv->maxconn > 0)
		set_u(v, (uint64_t)r->srv->maxconn);
}

static void get_status(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	snprintf(v->sbuf, sizeof(v->sbuf), "%s", stats_row_status(r));
	set_str(v, v->sbuf);
}

/* ---- health checks: servers read a snapshot (src/check/check.c) ---- */

enum { CK_STATUS, CK_CODE, CK_DURATION, CK_FAIL, CK_DOWN, CK_DOWNTIME, CK_DESC, CK_RISE, CK_FALL,
       CK_HEALTH, CK_HANA, CK_LAST };

static void get_check(const struct stat_row *r, int arg, struct stat_val *v)
{
	struct chk_snap c;

	if (r->obj == STO_BE) {
		if (arg == CK_DOWN)
			set_u(v, LD(r->px->chkdown));
		else if (arg == CK_DOWNTIME)
			set_u(v, be_downtime_s(r->px));
		return;
	}
	if (srv_check_snapshot(r->srv, &c) < 0)
		return;
	switch (arg) {
	case CK_FAIL:     set_u(v, c.chkfail); return;
	case CK_DOWN:     set_u(v, c.chkdown); return;
	case CK_DOWNTIME: set_u(v, c.downtime_s); return;
	case CK_HANA:     set_u(v, c.hanafail); return;
	}
	if (!c.enabled)
		return;
	switch (arg) {
	case CK_STATUS:
		set_str(v, hchk_status_info(c.status));
		break;
	case CK_CODE:
		if (c.status >= HCHK_L7OK)
			set_u(v, (uint64_t)c.code);
		break;
	case CK_DURATION:
		if (c.status != HCHK_INI && c.duration >= 0)
			set_u(v, (uint64_t)c.duration);
		break;
	case CK_DESC:
		set_str(v, hchk_status_desc(c.status));
		break;
	case CK_LAST:
		snprintf(v->sbuf, sizeof(v->sbuf), "%.*s", (int)sizeof(v->sbuf) - 1, c.desc);
		set_str(v, v->sbuf);
		break;
	case CK_RISE:
		set_u(v, (uint64_t)c.rise);
		break;
	case CK_FALL:
		set_u(v, (uint64_t)c.fall);
		break;
	case CK_HEALTH:
		set_u(v, (uint64_t)c.health);
		break;
	}
}

/* Effective weight: the server's, or for a backend the sum over the servers
 * that take traffic (backups only count when no active server is left). */
static void get_weight(const struct stat_row *r, int arg, struct stat_val *v)
{
	uint64_t act = 0, bck = 0;
	struct list *pos;
	int uw = arg;   /* 1 = configured (user) weight, 0 = effective */

	if (r->obj == STO_SRV) {
		set_u(v, (uint64_t)(uw ? r->srv->uweight : LD(r->srv->eweight)));
		return;
	}
	list_for_each(pos, &r->px->servers) {
		const struct server *s = list_entry(pos, struct server, link);
		uint64_t w = (uint64_t)(uw ? s->uweight : LD(s->eweight));
		if (uw)
			act += w;
		else if (srv_usable(s))
			*(s->backup ? &bck : &act) += w;
	}
	set_u(v, act ? act : bck);
}

/* act/bck: for a server 1/0 flags, for a backend the number of usable servers. */
static void get_actbck(const struct stat_row *r, int want_backup, struct stat_val *v)
{
	int act, bck;

	if (r->obj == STO_SRV) {
		set_u(v, (uint64_t)(!!r->srv->backup == want_backup));
		return;
	}
	be_count(r->px, &act, &bck);
	set_u(v, (uint64_t)(want_backup ? bck : act));
}

/* qcur, qmax: the backend's queue, or the server's own (maxqueue) */
static void get_queue(const struct stat_row *r, int arg, struct stat_val *v)
{
	if (r->obj == STO_BE)
		set_u(v, (uint64_t)(arg ? LD(r->px->queue_max) : LD(r->px->queue_len)));
	else
		set_u(v, (uint64_t)(arg ? LD(r->srv->queue_max) : LD(r->srv->queue_len)));
}

static void get_qlimit(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	if (r->srv->maxqueue)
		set_u(v, (uint64_t)r->srv->maxqueue);
}

static void get_lastchg(const struct stat_row *r, int arg, struct stat_val *v)
{
	uint64_t t = r->obj == STO_SRV ? LD(r->srv->last_change) : LD(r->px->last_change);

	(void)arg;
	if (t) {
		v->type = STV_AGE;
		v->u = r->now_s > t ? r->now_s - t : 0;
	}
}

static void get_lastsess(const struct stat_row *r, int arg, struct stat_val *v)
{
	uint64_t t = CTR_GET(row_ctr(r)->last_sess);

	(void)arg;
	if (!t) {
		set_s(v, -1);    /* HAProxy: -1 = never */
		return;
	}
	v->type = STV_AGE;
	v->u = r->now_s > t ? r->now_s - t : 0;
}

static void get_const(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)r;
	set_u(v, (uint64_t)arg);
}

static void get_iid(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	set_u(v, (uint64_t)r->px->uuid);
}

static void get_sid(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	set_u(v, r->obj == STO_SRV ? (uint64_t)r->srv->puid : r->obj == STO_LI ? (uint64_t)r->li->luid : 0);
}

static void get_type(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	set_u(v, r->obj == STO_FE ? 0 : r->obj == STO_BE ? 1 : r->obj == STO_LI ? 3 : 2);
}

/* "ip:port", IPv6 in brackets as HAProxy prints it. */
static void get_addr(const struct stat_row *r, int arg, struct stat_val *v)
{
	struct sockaddr_storage sa;
	const struct sockaddr_storage *ss = &sa;
	socklen_t sl;
	char ip[INET6_ADDRSTRLEN];

	(void)arg;
	if (r->obj == STO_LI)
		sa = r->li->addr;
	else
		srv_addr_get(r->srv, &sa, &sl);  /* consistent while `set server addr` runs */
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(v->sbuf, sizeof(v->sbuf), "%s:%d", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(v->sbuf, sizeof(v->sbuf), "[%s]:%d", ip, ntohs(a->sin6_port));
	} else if (r->srv->addr_str) {
		snprintf(v->sbuf, sizeof(v->sbuf), "%s", r->srv->addr_str);
	} else
		return;
	set_str(v, v->sbuf);
}

static void get_mode(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	set_str(v, r->px->mode == PR_MODE_HTTP ? "http" : "tcp");
}

static void get_algo(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)arg;
	static const char *const names[] = {
		[LB_ROUNDROBIN] = "roundrobin", [LB_STATIC_RR] = "static-rr",
		[LB_LEASTCONN] = "leastconn", [LB_SOURCE] = "source",
		[LB_FIRST] = "first", [LB_RANDOM] = "random",
	};
	int a = r->px->lbalgo;

	set_str(v, a >= 0 && a < (int)(sizeof(names) / sizeof(names[0])) && names[a] ? names[a] : "roundrobin");
}

/* ---- rates (src/admin/hist.c) ---- */

/* Per-second rates, HAProxy's integers: <arg> is a HV_* value; sessions of
 * a server, requests and connections of a frontend. 0 until the sampler
 * has seen the row (HAProxy's counters start at 0 too). */
static void get_rate(const struct stat_row *r, int arg, struct stat_val *v)
{
	int known;
	double x = stats_hist_rate(r, HVM(arg), r->now_ms, &known);

	set_u(v, (uint64_t)x);
}

/* The highest of those rates; never below the current one. */
static void get_rate_max(const struct stat_row *r, int arg, struct stat_val *v)
{
	int known;
	uint64_t cur = (uint64_t)stats_hist_rate(r, HVM(arg), r->now_ms, &known);
	uint64_t m = stats_hist_rate_max(r, arg);

	set_u(v, m > cur ? m : cur);
}

/* tandem has no `rate-limit sessions`: no limit, which HAProxy shows as 0. */
static void get_rate_lim(const struct stat_row *r, int arg, struct stat_val *v)
{
	(void)r;
	(void)arg;
	set_u(v, 0);
}

/* "closed", "open", "half-open"; empty without passive health. */
static void get_passive(const struct stat_row *r, int arg, struct stat_val *v)
{
	const char *w = cb_state_str(srv_breaker(r->srv));

	(void)arg;
	if (w)
		set_str(v, w);
}

/* ---- the table ------------------------------------------------------------ */

#define F   STO_FE
#define B   STO_BE
#define S   STO_SRV
#define L   STO_LI
#define CTR(f) (int)offsetof(struct counters, f)
/* [field] = { csv name, html label, description, scope, getter, arg } */
#define COL(id, nm, lbl, dsc, sc, g, a) [id] = { nm, lbl, dsc, sc, g, a }
#define NOCOL(id, nm, sc) [id] = { nm, NULL, NULL, sc, NULL, 0 }

const struct stat_col stat_cols[ST_F_TOTAL] = {
	COL(ST_F_PXNAME, "pxname", NULL, "proxy name", F|B|S|L, get_pxname, 0),
	COL(ST_F_SVNAME, "svname", NULL, "FRONTEND, BACKEND or the server name", F|B|S|L, get_svname, 0),
	COL(ST_F_QCUR, "qcur", "Cur", "requests waiting: in the backend's queue, or in the server's own (requests tied to it by persistence)", B|S, get_queue, 0),
	COL(ST_F_QMAX, "qmax", "Max", "highest number of requests waiting in the queue", B|S, get_queue, 1),
	COL(ST_F_SCUR, "scur", "Cur", "current sessions", F|B|S|L, get_ctr, CTR(cur_sess)),
	COL(ST_F_SMAX, "smax", "Max", "highest number of concurrent sessions", F|B|S|L, get_ctr, CTR(max_sess)),
	COL(ST_F_SLIM, "slim", "Limit", "configured session limit", F|B|S|L, get_slim, 0),
	COL(ST_F_STOT, "stot", "Total", "sessions since start", F|B|S|L, get_ctr, CTR(cum_sess)),
	COL(ST_F_BIN, "bin", "In", "bytes received from clients", F|B|S|L, get_ctr, CTR(bytes_in)),
	COL(ST_F_BOUT, "bout", "Out", "bytes sent to clients", F|B|S|L, get_ctr, CTR(bytes_out)),
	COL(ST_F_DREQ, "dreq", "Req", "requests denied by rules", F|B, get_ctr, CTR(denied_req)),
	COL(ST_F_DRESP, "dresp", "Resp", "responses denied by rules", F|B|S, get_ctr, CTR(denied_resp)),
	COL(ST_F_EREQ, "ereq", "Req", "invalid or aborted requests", F|L, get_ctr, CTR(failed_req)),
	COL(ST_F_ECON, "econ", "Conn", "failed connections to servers", B|S, get_ctr, CTR(failed_conns)),
	COL(ST_F_ERESP, "eresp", "Resp", "invalid or truncated server responses", B|S, get_ctr, CTR(failed_resp)),
	COL(ST_F_WRETR, "wretr", "Retr", "connection retries", B|S, get_ctr, CTR(retries)),
	COL(ST_F_WREDIS, "wredis", "Redis", "requests redispatched to another server", B|S, get_ctr, CTR(redispatches)),
	COL(ST_F_STATUS, "status", "Status", "state of the frontend, backend or server", F|B|S|L, get_status, 0),
	COL(ST_F_WEIGHT, "weight", "Wght", "effective weight (backend: sum over usable servers)", B|S, get_weight, 0),
	COL(ST_F_ACT, "act", "Act", "active server (backend: usable active servers)", B|S, get_actbck, 0),
	COL(ST_F_BCK, "bck", "Bck", "backup server (backend: usable backup servers)", B|S, get_actbck, 1),
	COL(ST_F_CHKFAIL, "chkfail", "Chk", "failed health checks", S, get_check, CK_FAIL),
	COL(ST_F_CHKDOWN, "chkdown", "Dwn", "UP to DOWN transitions (backend: times it lost its last server)", B|S, get_check, CK_DOWN),
	COL(ST_F_LASTCHG, "lastchg", "LastChg", "time since the last state change", B|S, get_lastchg, 0),
	COL(ST_F_DOWNTIME, "downtime", "Dwntme", "total seconds DOWN", B|S, get_check, CK_DOWNTIME),
	COL(ST_F_QLIMIT, "qlimit", "Limit", "the server's maxqueue (empty: none)", S, get_qlimit, 0),
	COL(ST_F_PID, "pid", NULL, "process number (always 1)", F|B|S|L, get_const, 1),
	COL(ST_F_IID, "iid", NULL, "proxy id", F|B|S|L, get_iid, 0),
	COL(ST_F_SID, "sid", NULL, "server id inside its backend", F|B|S|L, get_sid, 0),
	NOCOL(ST_F_THROTTLE, "throttle", S),
	COL(ST_F_LBTOT, "lbtot", "LbTot", "times the server was picked", B|S, get_ctr, CTR(cum_sess)),
	NOCOL(ST_F_TRACKED, "tracked", S),
	COL(ST_F_TYPE, "type", NULL, "0 frontend, 1 backend, 2 server, 3 listener", F|B|S|L, get_type, 0),
	COL(ST_F_RATE, "rate", "Cur", "sessions per second over the last second", F|B|S, get_rate, HV_SESS),
	COL(ST_F_RATE_LIM, "rate_lim", "Limit", "limit on new sessions per second (0: none)", F, get_rate_lim, 0),
	COL(ST_F_RATE_MAX, "rate_max", "Max", "highest number of sessions per second", F|B|S, get_rate_max, HV_SESS),
	COL(ST_F_CHECK_STATUS, "check_status", "LastChk", "last health check status (L4OK, L4CON, L7STS...)", S, get_check, CK_STATUS),
	COL(ST_F_CHECK_CODE, "check_code", NULL, "HTTP status of the last layer 7 check", S, get_check, CK_CODE),
	COL(ST_F_CHECK_DURATION, "check_duration", NULL, "duration of the last check (ms)", S, get_check, CK_DURATION),
	COL(ST_F_HRSP_1XX, "hrsp_1xx", "1xx", "HTTP responses 1xx", F|B|S, get_http_ctr, CTR(http_rsp[1])),
	COL(ST_F_HRSP_2XX, "hrsp_2xx", "2xx", "HTTP responses 2xx", F|B|S, get_http_ctr, CTR(http_rsp[2])),
	COL(ST_F_HRSP_3XX, "hrsp_3xx", "3xx", "HTTP responses 3xx", F|B|S, get_http_ctr, CTR(http_rsp[3])),
	COL(ST_F_HRSP_4XX, "hrsp_4xx", "4xx", "HTTP responses 4xx", F|B|S, get_http_ctr, CTR(http_rsp[4])),
	COL(ST_F_HRSP_5XX, "hrsp_5xx", "5xx", "HTTP responses 5xx", F|B|S, get_http_ctr, CTR(http_rsp[5])),
	COL(ST_F_HRSP_OTHER, "hrsp_other", "Other", "HTTP responses with other codes", F|B|S, get_http_ctr, CTR(http_rsp[0])),
	COL(ST_F_HANAFAIL, "hanafail", NULL, "passive health events that acted", S, get_check, CK_HANA),
	COL(ST_F_REQ_RATE, "req_rate", NULL, "HTTP requests per second over the last second", F, get_rate, HV_REQ),
	COL(ST_F_REQ_RATE_MAX, "req_rate_max", NULL, "highest number of HTTP requests per second", F, get_rate_max, HV_REQ),
	COL(ST_F_REQ_TOT, "req_tot", "Requests", "HTTP requests", F|B, get_http_ctr, CTR(cum_req)),
	COL(ST_F_CLI_ABRT, "cli_abrt", "CliAbrt", "transfers aborted by the client", B|S, get_ctr, CTR(cli_aborts)),
	COL(ST_F_SRV_ABRT, "srv_abrt", "SrvAbrt", "transfers aborted by the server", B|S, get_ctr, CTR(srv_aborts)),
	NOCOL(ST_F_COMP_IN, "comp_in", F|B),
	NOCOL(ST_F_COMP_OUT, "comp_out", F|B),
	NOCOL(ST_F_COMP_BYP, "comp_byp", F|B),
	NOCOL(ST_F_COMP_RSP, "comp_rsp", F|B),
	COL(ST_F_LASTSESS, "lastsess", "Last", "time since the last session (-1: never)", B|S, get_lastsess, 0),
	COL(ST_F_LAST_CHK, "last_chk", NULL, "info text of the last check", S, get_check, CK_LAST),
	NOCOL(ST_F_LAST_AGT, "last_agt", S),
	NOCOL(ST_F_QTIME, "qtime", B|S),
	COL(ST_F_CTIME, "ctime", "Connect", "average connect time (ms)", B|S, get_avg, CTR(ctime_sum)),
	COL(ST_F_RTIME, "rtime", "Response", "average response time (ms)", B|S, get_avg, CTR(rtime_sum)),
	COL(ST_F_TTIME, "ttime", "Total", "average total session time (ms)", B|S, get_avg, CTR(ttime_sum)),
	NOCOL(ST_F_AGENT_STATUS, "agent_status", S),
	NOCOL(ST_F_AGENT_CODE, "agent_code", S),
	NOCOL(ST_F_AGENT_DURATION, "agent_duration", S),
	COL(ST_F_CHECK_DESC, "check_desc", NULL, "description of check_status", S, get_check, CK_DESC),
	NOCOL(ST_F_AGENT_DESC, "agent_desc", S),
	COL(ST_F_CHECK_RISE, "check_rise", NULL, "rise setting", S, get_check, CK_RISE),
	COL(ST_F_CHECK_FALL, "check_fall", NULL, "fall setting", S, get_check, CK_FALL),
	COL(ST_F_CHECK_HEALTH, "check_health", NULL, "health counter (0 to rise+fall-1)", S, get_check, CK_HEALTH),
	NOCOL(ST_F_AGENT_RISE, "agent_rise", S),
	NOCOL(ST_F_AGENT_FALL, "agent_fall", S),
	NOCOL(ST_F_AGENT_HEALTH, "agent_health", S),
	COL(ST_F_ADDR, "addr", "Address", "server address and port", S|L, get_addr, 0),
	NOCOL(ST_F_COOKIE, "cookie", B|S),
	COL(ST_F_MODE, "mode", NULL, "proxy mode (http or tcp)", F|B|S, get_mode, 0),
	COL(ST_F_ALGO, "algo", NULL, "load-balancing algorithm", B, get_algo, 0),
	COL(ST_F_CONN_RATE, "conn_rate", NULL, "connections per second over the last second", F, get_rate, HV_CONN),
	COL(ST_F_CONN_RATE_MAX, "conn_rate_max", NULL, "highest number of connections per second", F, get_rate_max, HV_CONN),
	COL(ST_F_CONN_TOT, "conn_tot", NULL, "connections accepted", F, get_ctr, CTR(cum_conn)),
	COL(ST_F_INTERCEPTED, "intercepted", NULL, "requests answered by tandem itself (rules, monitor-uri, services)", F|B, get_ctr, CTR(intercepted)),
	COL(ST_F_DCON, "dcon", NULL, "connections rejected by tcp-request connection rules", F, get_ctr, CTR(denied_conn)),
	COL(ST_F_DSES, "dses", NULL, "sessions rejected by tcp-request session rules", F, get_ctr, CTR(denied_sess)),
	COL(ST_F_WREW, "wrew", NULL, "rewrites that failed", F|B|S, get_ctr, CTR(failed_rewrites)),
	COL(ST_F_CONNECT, "connect", NULL, "connections established to servers", B|S, get_ctr, CTR(cum_conn)),
	NOCOL(ST_F_REUSE, "reuse", B|S),
	NOCOL(ST_F_CACHE_LOOKUPS, "cache_lookups", F|B),
	NOCOL(ST_F_CACHE_HITS, "cache_hits", F|B),
	NOCOL(ST_F_SRV_ICUR, "srv_icur", S),
	NOCOL(ST_F_SRV_ILIM, "src_ilim", S),
	NOCOL(ST_F_QT_MAX, "qtime_max", B|S),
	NOCOL(ST_F_CT_MAX, "ctime_max", B|S),
	NOCOL(ST_F_RT_MAX, "rtime_max", B|S),
	NOCOL(ST_F_TT_MAX, "ttime_max", B|S),
	NOCOL(ST_F_EINT, "eint", F|B|S),
	NOCOL(ST_F_IDLE_CONN_CUR, "idle_conn_cur", S),
	NOCOL(ST_F_SAFE_CONN_CUR, "safe_conn_cur", S),
	NOCOL(ST_F_USED_CONN_CUR, "used_conn_cur", S),
	NOCOL(ST_F_NEED_CONN_EST, "need_conn_est", S),
	COL(ST_F_UWEIGHT, "uweight", NULL, "configured weight (backend: sum)", B|S, get_weight, 1),
	COL(ST_F_PASSIVE_STATE, "passive_state", "Passive", "passive health as a circuit breaker: closed, open, half-open",
	    S, get_passive, 0),
};

void stats_get(int field, const struct stat_row *r, struct stat_val *v)
{
	const struct stat_col *c;

	v->type = STV_NONE;
	v->str = NULL;
	if (field < 0 || field >= ST_F_TOTAL)
		return;
	c = &stat_cols[field];
	if (c->get && (c->scope & r->obj))
		c->get(r, c->arg, v);
}

/* ---- text buffer ---------------------------------------------------------- */

static int sb_room(struct stats_sb *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->err)
		return 0;
	if (b->len + n + 1 <= b->cap)
		return 1;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->err = 1;
		return 0;
	}
	b->s = s;
	b->cap = cap;
	b->s[b->len] = '\0';
	return 1;
}

void stats_sb_add(struct stats_sb *b, const char *s, size_t n)
{
	if (!sb_room(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void stats_sb_adds(struct stats_sb *b, const char *s)
{
	stats_sb_add(b, s, strlen(s));
}

void stats_sb_addf(struct stats_sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void stats_sb_html(struct stats_sb *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		}
		if (rep) {
			stats_sb_add(b, run, (size_t)(s - run));
			stats_sb_adds(b, rep);
			run = s + 1;
		}
	}
	stats_sb_add(b, run, (size_t)(s - run));
}

void stats_sb_val(struct stats_sb *b, const struct stat_val *v)
{
	switch (v->type) {
	case STV_U64:
	case STV_AGE:
		stats_sb_addf(b, "%llu", (unsigned long long)v->u);
		break;
	case STV_S64:
		stats_sb_addf(b, "%lld", (long long)v->s);
		break;
	case STV_STR:
		stats_sb_adds(b, v->str ? v->str : "");
		break;
	}
}

char *stats_sb_finish(struct stats_sb *b, size_t *len)
{
	if (!b->err && !b->s)
		sb_room(b, 0);    /* an empty document is still a string */
	if (b->err) {
		free(b->s);
		b->s = NULL;
		b->len = b->cap = 0;
		return NULL;
	}
	if (len)
		*len = b->len;
	return b->s;
}

/* ---- CSV ------------------------------------------------------------------ */

void stats_sb_csv(struct stats_sb *b, const struct stat_val *v)
{
	const char *s;

	if (v->type != STV_STR) {
		stats_sb_val(b, v);
		return;
	}
	s = v->str ? v->str : "";
	if (!strpbrk(s, ",\"\r\n")) {
		stats_sb_adds(b, s);
		return;
	}
	stats_sb_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			stats_sb_add(b, "\"", 1);
		stats_sb_add(b, s, 1);
	}
	stats_sb_add(b, "\"", 1);
}

/* One CSV line; every field, empty or not, is followed by a comma, as in HAProxy. */
static void csv_row(struct stats_sb *b, const struct stat_row *r)
{
	struct stat_val v;

	for (int f = 0; f < ST_F_TOTAL; f++) {
		stats_get(f, r, &v);
		stats_sb_csv(b, &v);
		stats_sb_add(b, ",", 1);
	}
	stats_sb_add(b, "\n", 1);
}

int stats_in_scope(const struct proxy *px, const struct proxy *p)
{
	if (!px || !px->n_stats_scope)
		return 1;
	for (int i = 0; i < px->n_stats_scope; i++) {
		const char *name = px->stats_scope[i];

		if ((p->id && !strcmp(name, p->id)) || (!strcmp(name, ".") && p == px))
			return 1;
	}
	return 0;
}

int stats_name_in_scope(const struct proxy *px, const char *name)
{
	if (!px || !px->n_stats_scope)
		return 1;
	for (int i = 0; i < px->n_stats_scope; i++) {
		const char *sc = px->stats_scope[i];

		if (!strcmp(sc, name) || (!strcmp(sc, ".") && px->id && !strcmp(px->id, name)))
			return 1;
	}
	return 0;
}

char *stats_render_csv(const struct cfg *cfg, size_t *len)
{
	return stats_render_csv_px(cfg, NULL, len);
}

char *stats_render_csv_px(const struct cfg *cfg, const struct proxy *spx, size_t *len)
{
	return stats_render_csv_scope(cfg, spx, NULL, len);
}

/* HAProxy's `scope=` of the stats URI: the proxies whose name contains
 * the text, whatever the case. */
static int name_has(const char *id, const char *scope)
{
	size_t n = strlen(scope), l = id ? strlen(id) : 0;

	for (size_t i = 0; i + n <= l; i++)
		if (!strncasecmp(id + i, scope, n))
			return 1;
	return 0;
}

char *stats_render_csv_scope(const struct cfg *cfg, const struct proxy *spx, const char *scope, size_t *len)
{
	struct stats_sb b = { 0 };
	struct stat_row r;
	struct list *pp, *sp;

	stats_sb_adds(&b, "# ");
	for (int f = 0; f < ST_F_TOTAL; f++) {
		stats_sb_adds(&b, stat_cols[f].name);
		stats_sb_add(&b, ",", 1);
	}
	stats_sb_add(&b, "\n", 1);

	list_for_each(pp, &cfg->proxies) {
		const struct proxy *px = list_entry(pp, struct proxy, link);
		if ((px->cap & PR_CAP_DEF) || !stats_in_scope(spx, px) || (scope && *scope && !name_has(px->id, scope)))
			continue;
		if (px->cap & PR_CAP_FE) {
			stats_row_init(&r, cfg, STO_FE, px, NULL);
			csv_row(&b, &r);
			if (px->options & PR_O_SOCKET_STATS) {   /* a row per listener, after the frontend's */
				struct list *bl;

				list_for_each(bl, &px->binds) {
					stats_row_init(&r, cfg, STO_LI, px, NULL);
					r.li = list_entry(bl, struct bind_conf, link);
					csv_row(&b, &r);
				}
			}
		}
		if (!(px->cap & PR_CAP_BE))
			continue;
		list_for_each(sp, &px->servers) {
			stats_row_init(&r, cfg, STO_SRV, px, list_entry(sp, struct server, link));
			csv_row(&b, &r);
		}
		stats_row_init(&r, cfg, STO_BE, px, NULL);
		csv_row(&b, &r);
	}
	return stats_sb_finish(&b, len);
}
