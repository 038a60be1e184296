/* Process-wide state of tandem-app shared by every worker thread: request
 * counters (relaxed atomics: they are statistics, not synchronisation), the
 * fault mode, the draining flag, memory stress blocks, health, and the
 * /admin/stats document. */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "app.h"

#define STRESS_MAX_MB 4096   /* never let a test take the machine down */

#define ADD(v, n) __atomic_fetch_add(&(v), (n), __ATOMIC_RELAXED)
#define GET(v)    __atomic_load_n(&(v), __ATOMIC_RELAXED)
#define SET(v, n) __atomic_store_n(&(v), (n), __ATOMIC_RELAXED)

static uint64_t n_requests;        /* non-admin requests */
static uint64_t n_admin;           /* /admin/ requests */
static uint64_t n_route[R_COUNT];
static uint64_t n_meth[MS_COUNT];
static uint64_t n_status[600];     /* index = status code (100..599) */
static uint64_t n_post_with_id, n_post_without_id;
static uint64_t n_conn_total;
static uint64_t n_conn_ever;       /* never reset: /metrics' counter */
static long     n_conn_cur;
static long     n_inflight;
static int      fault_mode;        /* enum fault_mode */
static unsigned fault_ms;
static int      draining;

static const char *const route_names[R_COUNT] = {
	[R_ROOT] = "/", [R_READ] = "/read", [R_WRITE] = "/write", [R_SLOW] = "/slow",
	[R_ECHO] = "/echo", [R_BYTES] = "/bytes", [R_STATUS] = "/status",
	[R_HEALTH] = "/health", [R_HEALTH_CHECK] = "/health_check", [R_API_HEALTH] = "/api/health",
	[R_TODOS] = "/api/todos", [R_TODO] = "/api/todos/{id}", [R_STRESS] = "/stress",
	[R_API_STRESS] = "/api/stress", [R_API_STRESS_CLEAR] = "/api/stress/clear",
	[R_METRICS] = "/metrics", [R_FAULT] = "/admin/fault",
	[R_STATS] = "/admin/stats", [R_RELEASE] = "/admin/release",
	[R_RESET] = "/admin/reset", [R_OTHER] = "other",
};

static const char *const meth_names[MS_COUNT] = {
	[MS_GET] = "GET", [MS_HEAD] = "HEAD", [MS_POST] = "POST", [MS_PUT] = "PUT",
	[MS_DELETE] = "DELETE", [MS_OPTIONS] = "OPTIONS", [MS_PATCH] = "PATCH",
	[MS_OTHER] = "OTHER",
};

const char *route_name(enum route r) { return route_names[r]; }
const char *meth_slot_name(enum meth_slot m) { return meth_names[m]; }

enum meth_slot meth_slot_of(enum h1_method m)
{
	switch (m) {
	case H1_M_GET:     return MS_GET;
	case H1_M_HEAD:    return MS_HEAD;
	case H1_M_POST:    return MS_POST;
	case H1_M_PUT:     return MS_PUT;
	case H1_M_DELETE:  return MS_DELETE;
	case H1_M_OPTIONS: return MS_OPTIONS;
	case H1_M_PATCH:   return MS_PATCH;
	default:           return MS_OTHER;
	}
}

void state_count_request(enum route r, enum meth_slot m, const char *req_id)
{
	if (route_is_admin(r))
		ADD(n_admin, 1);
	else
		ADD(n_requests, 1);
	ADD(n_route[r], 1);
	ADD(n_meth[m], 1);
	if (m == MS_POST) {
		if (req_id) {
			ADD(n_post_with_id, 1);
			idmap_add(req_id);
		} else {
			ADD(n_post_without_id, 1);
		}
	}
}

void state_count_status(int status)
{
	if (status >= 100 && status < 600)
		ADD(n_status[status], 1);
}

void state_conn_opened(void) { ADD(n_conn_total, 1); ADD(n_conn_ever, 1); ADD(n_conn_cur, 1); }
void state_conn_closed(void) { ADD(n_conn_cur, -1); }
void state_conns(uint64_t *total, long *cur) { *total = GET(n_conn_ever); *cur = GET(n_conn_cur); }
void state_inflight_add(int delta) { ADD(n_inflight, delta); }
long state_inflight(void) { return GET(n_inflight); }

void state_reset(void)
{
	int i;

	SET(n_requests, 0);
	SET(n_admin, 0);
	for (i = 0; i < R_COUNT; i++)
		SET(n_route[i], 0);
	for (i = 0; i < MS_COUNT; i++)
		SET(n_meth[i], 0);
	for (i = 0; i < 600; i++)
		SET(n_status[i], 0);
	SET(n_post_with_id, 0);
	SET(n_post_without_id, 0);
	SET(n_conn_total, 0);
	idmap_clear();
}

/* ---- faults ---- */

static const char *const fault_names[] = {
	[FAULT_OFF] = "off", [FAULT_ZOMBIE] = "zombie", [FAULT_ERROR500] = "error500",
	[FAULT_HANG] = "hang", [FAULT_SLOW] = "slow", [FAULT_RESET] = "reset",
};

const char *fault_name(enum fault_mode m) { return fault_names[m]; }

int fault_parse(const char *s, size_t len)
{
	/* the demo script's names are accepted as aliases */
	static const struct { const char *name; enum fault_mode m; } tab[] = {
		{ "off", FAULT_OFF }, { "none", FAULT_OFF }, { "normal", FAULT_OFF },
		{ "zombie", FAULT_ZOMBIE }, { "unhealthy", FAULT_ZOMBIE },
		{ "error500", FAULT_ERROR500 }, { "error", FAULT_ERROR500 }, { "500", FAULT_ERROR500 },
		{ "hang", FAULT_HANG }, { "slow", FAULT_SLOW }, { "reset", FAULT_RESET },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].name) == len && !memcmp(tab[i].name, s, len))
			return (int)tab[i].m;
	return -1;
}

enum fault_mode state_fault(unsigned *ms)
{
	if (ms)
		*ms = GET(fault_ms);
	return (enum fault_mode)GET(fault_mode);
}

void state_set_fault(enum fault_mode m, unsigned ms)
{
	SET(fault_ms, ms);
	SET(fault_mode, (int)m);
}

void state_set_draining(void) { SET(draining, 1); }
int state_draining(void) { return GET(draining); }

/* ---- memory ---- */

uint64_t state_rss(void)
{
	char b[128];
	unsigned long size, resident;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	if (sscanf(b, "%lu %lu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

const char *state_sick_reason(void)
{
	if (state_draining())
		return "draining";
	if (state_fault(NULL) == FAULT_ZOMBIE)
		return "zombie";
	if (health_mem_watch())
		return "memory";
	return NULL;
}

struct stress_block {
	struct stress_block *next;
	size_t len;
};

static pthread_mutex_t stress_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stress_block *stress_head;
static unsigned stress_total_mb;

int state_stress_add(unsigned mb)
{
	struct stress_block *b;
	size_t len = (size_t)mb << 20, off;
	long pg = sysconf(_SC_PAGESIZE);
	int ret = STRESS_NOMEM;

	if (!mb)
		return STRESS_OK;
	pthread_mutex_lock(&stress_lock);
	/* a container's limit: resident memory may not pass it (checked under
	 * the lock so that two requests cannot both squeeze under it) */
	if (app_cfg.mem_limit && state_rss() + len > app_cfg.mem_limit) {
		ret = STRESS_LIMIT;
		goto out;
	}
	if (mb > STRESS_MAX_MB || stress_total_mb + mb > STRESS_MAX_MB)
		goto out;
	/* mmap, not malloc: the release must give the pages back to the kernel
	 * so that RSS (and /health) follow */
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		goto out;
	for (off = 0; off < len; off += (size_t)pg)
		((volatile char *)b)[off] = 1;  /* touch: make it resident */
	b->len = len;
	b->next = stress_head;
	stress_head = b;
	stress_total_mb += mb;
	ret = STRESS_OK;
out:
	pthread_mutex_unlock(&stress_lock);
	health_mem_watch();   /* log the crossing now, not at the next health check */
	return ret;
}

unsigned state_stress_mb(void)
{
	unsigned mb;

	pthread_mutex_lock(&stress_lock);
	mb = stress_total_mb;
	pthread_mutex_unlock(&stress_lock);
	return mb;
}

unsigned state_stress_release(void)
{
	unsigned mb;

	pthread_mutex_lock(&stress_lock);
	while (stress_head) {
		struct stress_block *b = stress_head;

		stress_head = b->next;
		munmap(b, b->len);
	}
	mb = stress_total_mb;
	stress_total_mb = 0;
	pthread_mutex_unlock(&stress_lock);
	health_mem_watch();
	return mb;
}

/* ---- /admin/stats ---- */

char *state_stats_json(size_t *len)
{
	struct sbuf b = { 0 };
	unsigned fms;
	enum fault_mode fm = state_fault(&fms);
	const char *sick = state_sick_reason();
	int i, first;

	sb_printf(&b, "{\"node\":\"%s\",\"pid\":%d,\"requests\":%llu,\"admin_requests\":%llu,"
		  "\"inflight\":%ld,\"connections\":{\"total\":%llu,\"current\":%ld},",
		  app_cfg.name, (int)getpid(), (unsigned long long)GET(n_requests),
		  (unsigned long long)GET(n_admin), GET(n_inflight),
		  (unsigned long long)GET(n_conn_total), GET(n_conn_cur));
	sb_printf(&b, "\"paths\":{");
	for (i = 0; i < R_COUNT; i++)
		sb_printf(&b, "%s\"%s\":%llu", i ? "," : "", route_names[i],
			  (unsigned long long)GET(n_route[i]));
	sb_printf(&b, "},\"methods\":{");
	for (i = 0; i < MS_COUNT; i++)
		sb_printf(&b, "%s\"%s\":%llu", i ? "," : "", meth_names[i],
			  (unsigned long long)GET(n_meth[i]));
	sb_printf(&b, "},\"status\":{");
	for (i = 100, first = 1; i < 600; i++) {
		uint64_t v = GET(n_status[i]);

		if (!v)
			continue;
		sb_printf(&b, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)v);
		first = 0;
	}
	sb_printf(&b, "},\"fault\":\"%s\",\"fault_ms\":%u,\"healthy\":%s,\"sick_reason\":%s%s%s,"
		  "\"draining\":%s,\"rss\":%llu,\"mem_limit\":%llu,\"stress_mb\":%u,\"redis\":%s,",
		  fault_name(fm), fm == FAULT_SLOW ? fms : 0, sick ? "false" : "true",
		  sick ? "\"" : "", sick ? sick : "null", sick ? "\"" : "",
		  state_draining() ? "true" : "false", (unsigned long long)state_rss(),
		  (unsigned long long)app_cfg.mem_limit, state_stress_mb(),
		  redis_up() < 0 ? "null" : redis_up() ? "\"up\"" : "\"down\"");
	sb_printf(&b, "\"post_with_id\":%llu,\"post_without_id\":%llu,\"post_id_dups\":%llu,"
		  "\"post_ids\":{", (unsigned long long)GET(n_post_with_id),
		  (unsigned long long)GET(n_post_without_id), (unsigned long long)idmap_dups());
	if (!b.err && idmap_json(&b.s, &b.len, &b.cap) < 0)
		b.err = 1;
	sb_printf(&b, "}}\n");
	if (b.err) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}
