/* What each tandem-app endpoint answers (doc/tandem-app.md is the user's
 * view of this file). Two steps per request, once its body is in:
 * route_decide() picks the delay (or hang/reset) from the route and the
 * fault mode; route_respond() builds the response when the delay is over,
 * so that anything it reports (health, stats) is current at answer time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/buf.h>
#include "app.h"

#define SLOW_MAX_MS 3600000u  /* /slow and fault slow: at most an hour */

enum route route_of(const char *path)
{
	static const struct { const char *path; enum route r; } tab[] = {
		{ "/", R_ROOT }, { "/read", R_READ }, { "/write", R_WRITE }, { "/slow", R_SLOW },
		{ "/echo", R_ECHO }, { "/bytes", R_BYTES }, { "/status", R_STATUS },
		{ "/health", R_HEALTH }, { "/health_check", R_HEALTH_CHECK },
		{ "/api/health", R_API_HEALTH }, { "/api/todos", R_TODOS },
		{ "/stress", R_STRESS }, { "/api/stress", R_API_STRESS },
		{ "/api/stress/clear", R_API_STRESS_CLEAR }, { "/metrics", R_METRICS },
		{ "/admin/fault", R_FAULT }, { "/admin/stats", R_STATS },
		{ "/admin/release", R_RELEASE }, { "/admin/reset", R_RESET },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(path, tab[i].path))
			return tab[i].r;
	if (!strncmp(path, "/api/todos/", 11) && path[11])
		return R_TODO;
	return R_OTHER;
}

int route_hashes_body(enum route r) { return r == R_ECHO; }
int route_keeps_body(enum route r) { return r == R_TODOS; }

/* ---- response helpers ---- */

int resp_begin(struct conn *c, int status, const char *ctype, enum framing fr,
	       uint64_t clen, const char *extra_hdrs)
{
	struct resp *rs = &c->resp;
	struct req *rq = &c->req;
	struct buf *o = &c->out;
	int close = !rq->keepalive || state_draining();

	memset(rs, 0, sizeof(*rs));
	rs->status = status;
	if (fr == FR_CHUNKED && rq->version < 11)
		fr = FR_CLOSE;  /* HTTP/1.0 has no chunked encoding */
	if (fr == FR_CLOSE)
		close = 1;
	rs->close_after = close;
	if (buf_alloc(o, APP_OUT_SIZE) < 0) {
		rs->close_after = 1;
		return -1;
	}
	/* The head always fits: the request id is bounded and the buffer is
	 * emptied before a new response starts. */
	buf_appendf(o, "HTTP/1.1 %d %s\r\n", status, status_reason(status));
	if (ctype && fr != FR_NOBODY)
		buf_appendf(o, "Content-Type: %s\r\n", ctype);
	if (fr == FR_LENGTH)
		buf_appendf(o, "Content-Length: %llu\r\n", (unsigned long long)clen);
	else if (fr == FR_CHUNKED)
		buf_appendf(o, "Transfer-Encoding: chunked\r\n");
	buf_appendf(o, "X-Node: %s\r\n", app_cfg.name);
	if (rq->has_id)
		buf_appendf(o, "X-Request-Id: %s\r\n", rq->req_id);
	if (extra_hdrs)
		buf_appendf(o, "%s", extra_hdrs);
	if (close)
		buf_appendf(o, "Connection: close\r\n");
	else if (rq->version < 11)
		buf_appendf(o, "Connection: keep-alive\r\n");
	buf_appendf(o, "\r\n");
	rs->chunked = fr == FR_CHUNKED;
	return 0;
}

/* Attach a heap body; HEAD requests get the head only. */
void resp_heap(struct conn *c, int status, const char *ctype, char *body, size_t len)
{
	if (resp_begin(c, status, ctype, FR_LENGTH, len, NULL) < 0 || c->req.meth == H1_M_HEAD || !len) {
		free(body);
		return;
	}
	c->resp.src = RS_MEM;
	c->resp.mem = body;
	c->resp.mem_len = len;
}

void resp_simple(struct conn *c, int status, const char *ctype, const char *body, size_t len)
{
	if (resp_begin(c, status, ctype, FR_LENGTH, len, NULL) < 0 || c->req.meth == H1_M_HEAD)
		return;
	if (buf_append(&c->out, body, len) == 0) {
		c->resp.body_bytes = len;
		return;
	}
	/* too big for the buffer: stream it from a copy */
	c->resp.mem = malloc(len);
	if (!c->resp.mem) {
		c->resp.close_after = 1;  /* the head promised a body we cannot send */
		return;
	}
	memcpy(c->resp.mem, body, len);
	c->resp.src = RS_MEM;
	c->resp.mem_len = len;
}

void resp_json(struct conn *c, int status, const char *fmt, ...)
{
	char body[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(body))
		n = sizeof(body) - 1;
	resp_simple(c, status, "application/json", body, (size_t)n);
}

static void resp_text(struct conn *c, int status, const char *text)
{
	resp_simple(c, status, "text/plain", text, strlen(text));
}

/* Parse query parameter <key> as a number. Returns 1 found and valid,
 * 0 absent, -1 present but invalid. */
static int query_u64(const struct req *r, const char *key, uint64_t *v)
{
	size_t len;
	const char *p = query_get(r->query, key, &len);

	if (!p)
		return 0;
	return parse_u64(p, len, v) < 0 ? -1 : 1;
}

/* Is query flag <key> set ("1", "true", "yes" or bare)? */
static int query_flag(const struct req *r, const char *key)
{
	size_t len;
	const char *p = query_get(r->query, key, &len);

	return p && (!len || (len == 1 && *p == '1') || (len == 4 && !memcmp(p, "true", 4)) ||
		     (len == 3 && !memcmp(p, "yes", 3)));
}


/* ---- decide ---- */

long route_decide(struct conn *c)
{
	struct req *r = &c->req;
	unsigned fms;
	enum fault_mode fm = state_fault(&fms);
	uint64_t d = 0, v;

	if (!route_is_admin(r->route)) {
		if (fm == FAULT_HANG)
			return -1;
		if (fm == FAULT_RESET)
			return -2;
		if (fm == FAULT_ERROR500 && !route_is_health(r->route))
			return 0;
	}
	switch (r->route) {
	case R_ROOT:
	case R_READ:
		d = app_cfg.read_delay_ms;
		break;
	case R_WRITE:
		d = app_cfg.write_delay_ms;
		break;
	case R_SLOW:
		if (query_u64(r, "ms", &v) == 1)
			d = MIN(v, (uint64_t)SLOW_MAX_MS);
		break;
	default:
		break;
	}
	if (fm == FAULT_SLOW && !route_is_admin(r->route))
		d += fms;
	return (long)d;
}

/* ---- respond ---- */

/* 405 for /echo called without a body method. */
static void respond_405(struct conn *c)
{
	static const char body[] = "method not allowed\n";

	if (resp_begin(c, 405, "text/plain", FR_LENGTH, sizeof(body) - 1, "Allow: POST, PUT\r\n") < 0)
		return;
	if (c->req.meth != H1_M_HEAD && buf_append(&c->out, body, sizeof(body) - 1) == 0)
		c->resp.body_bytes = sizeof(body) - 1;
}

/* /write answers any method (seed 001's slow writer is called with GET
 * and POST); the body, if any, is counted. */
static void respond_write(struct conn *c)
{
	resp_json(c, 200, "{\"node\":\"%s\",\"written\":%llu}", app_cfg.name,
		  (unsigned long long)c->req.body_len);
}

static void respond_echo(struct conn *c)
{
	uint8_t d[SHA256_DIGEST_LEN];
	char hex[65];

	if (!c->req.hash_body) {
		respond_405(c);
		return;
	}
	sha256_final(&c->req.sha, d);
	sha256_hex(d, hex);
	resp_json(c, 200, "{\"sha256\":\"%s\",\"length\":%llu}", hex,
		  (unsigned long long)c->req.body_len);
}

static void respond_bytes(struct conn *c)
{
	uint64_t n = 0;
	enum framing fr = FR_LENGTH;

	if (query_u64(&c->req, "n", &n) < 0) {
		resp_text(c, 400, "bad n\n");
		return;
	}
	if (query_flag(&c->req, "close"))
		fr = FR_CLOSE;
	else if (query_flag(&c->req, "chunked"))
		fr = FR_CHUNKED;
	if (resp_begin(c, 200, "application/octet-stream", fr, n, NULL) < 0)
		return;
	if (c->req.meth == H1_M_HEAD)
		return;
	c->resp.src = RS_PATTERN;
	c->resp.pat_len = n;
}

static void respond_status(struct conn *c)
{
	uint64_t code;
	char body[32];
	int n;

	if (query_u64(&c->req, "code", &code) != 1 || code < 200 || code > 599) {
		resp_text(c, 400, "bad code (200..599)\n");
		return;
	}
	if (code == 204 || code == 304) {
		resp_begin(c, (int)code, NULL, FR_NOBODY, 0, NULL);
		return;
	}
	n = snprintf(body, sizeof(body), "STATUS %d\n", (int)code);
	resp_simple(c, (int)code, "text/plain", body, (size_t)n);
}

/* /stress?mb=N and seed 004's /api/stress ([mb=N]; without it: up to
 * APP_STRESS_DEFAULT_PCT of --mem-limit, or APP_STRESS_DEFAULT_MB). */
static void respond_stress(struct conn *c)
{
	uint64_t mb = 0, rss, lim = app_cfg.mem_limit;
	int q = query_u64(&c->req, "mb", &mb), r;

	/* <mb> is only set when the query has it */
	if (q < 0 || (q == 0 && c->req.route == R_STRESS) || (q > 0 && mb > UINT32_MAX)) {
		resp_text(c, 400, "bad mb\n");
		return;
	}
	if (q == 0) {
		rss = state_rss();
		mb = !lim ? APP_STRESS_DEFAULT_MB :
		     lim * APP_STRESS_DEFAULT_PCT / 100 > rss ? (lim * APP_STRESS_DEFAULT_PCT / 100 - rss) >> 20 : 0;
	}
	r = state_stress_add((unsigned)mb);
	rss = state_rss();
	if (r == STRESS_LIMIT) {
		resp_json(c, 503, "{\"node\":\"%s\",\"error\":\"memory limit\",\"wanted_mb\":%llu,"
			  "\"stress_mb\":%u,\"rss\":%llu,\"mem_limit\":%llu}", app_cfg.name,
			  (unsigned long long)mb, state_stress_mb(), (unsigned long long)rss,
			  (unsigned long long)lim);
		return;
	}
	if (r < 0) {
		resp_json(c, 507, "{\"node\":\"%s\",\"error\":\"cannot allocate\",\"stress_mb\":%u}",
			  app_cfg.name, state_stress_mb());
		return;
	}
	resp_json(c, 200, "{\"node\":\"%s\",\"instance\":\"%s\",\"allocated_mb\":%llu,\"stress_mb\":%u,"
		  "\"rss\":%llu,\"mem_limit\":%llu,\"memory_percent\":%.1f,\"healthy\":%s}",
		  app_cfg.name, app_cfg.name, (unsigned long long)mb, state_stress_mb(),
		  (unsigned long long)rss, (unsigned long long)lim, lim ? rss * 100.0 / lim : 0.0,
		  state_sick_reason() ? "false" : "true");
}

static void respond_release(struct conn *c)
{
	unsigned mb = state_stress_release();

	resp_json(c, 200, "{\"node\":\"%s\",\"instance\":\"%s\",\"released_mb\":%u,\"rss\":%llu}",
		  app_cfg.name, app_cfg.name, mb, (unsigned long long)state_rss());
}

static void respond_fault(struct conn *c)
{
	size_t len;
	const char *mode = query_get(c->req.query, "mode", &len);
	unsigned ms;
	enum fault_mode fm;

	if (mode) {
		int m = fault_parse(mode, len);
		uint64_t v = APP_SLOW_DEFAULT_MS;
		int has_ms = query_u64(&c->req, "ms", &v);

		if (m < 0 || has_ms < 0) {
			resp_text(c, 400, "bad fault: mode=zombie|error500|hang|slow|reset|off [&ms=N]\n");
			return;
		}
		state_set_fault((enum fault_mode)m, (unsigned)MIN(v, (uint64_t)SLOW_MAX_MS));
	}
	fm = state_fault(&ms);
	resp_json(c, 200, "{\"node\":\"%s\",\"fault\":\"%s\",\"ms\":%u}", app_cfg.name,
		  fault_name(fm), fm == FAULT_SLOW ? ms : 0);
}

int route_respond(struct conn *c)
{
	struct req *r = &c->req;
	size_t len;
	char *doc;

	if (!route_is_admin(r->route) && !route_is_health(r->route) &&
	    state_fault(NULL) == FAULT_ERROR500) {
		resp_text(c, 500, "fault error500\n");
		return 0;
	}
	switch (r->route) {
	case R_SLOW:
		if (query_u64(r, "ms", &(uint64_t){ 0 }) < 0) {
			resp_text(c, 400, "bad ms\n");
			break;
		}
		/* fall through */
	case R_ROOT:
	case R_READ:
		resp_simple(c, 200, "text/plain", app_cfg.node_body, app_cfg.node_body_len);
		break;
	case R_WRITE:
		respond_write(c);
		break;
	case R_ECHO:
		respond_echo(c);
		break;
	case R_BYTES:
		respond_bytes(c);
		break;
	case R_STATUS:
		respond_status(c);
		break;
	case R_HEALTH:
	case R_HEALTH_CHECK:
	case R_API_HEALTH:
		return health_respond(c);
	case R_TODOS:
	case R_TODO:
		return todo_respond(c);
	case R_STRESS:
	case R_API_STRESS:
		respond_stress(c);
		break;
	case R_API_STRESS_CLEAR:
	case R_RELEASE:
		respond_release(c);
		break;
	case R_METRICS:
		doc = metrics_text(&len);
		if (doc)
			resp_heap(c, 200, "text/plain; version=0.0.4", doc, len);
		else
			resp_text(c, 500, "out of memory\n");
		break;
	case R_FAULT:
		respond_fault(c);
		break;
	case R_STATS:
		doc = state_stats_json(&len);
		if (doc)
			resp_heap(c, 200, "application/json", doc, len);
		else
			resp_text(c, 500, "out of memory\n");
		break;
	case R_RESET:
		state_reset();
		resp_json(c, 200, "{\"node\":\"%s\",\"reset\":true}", app_cfg.name);
		break;
	default:
		resp_text(c, 404, "not found\n");
		break;
	}
	return 0;
}
