/* Access log of tandem-app: one JSON line per request on stdout.
 *
 * Lines are gathered in a per-thread buffer and written once per event-loop
 * round (a deferred task), so logging costs one write(2) per round rather
 * than per request. A mutex around the write keeps threads' batches whole.
 * When stdout is a pipe or socket it is made non-blocking: if the reader
 * stops reading, lines are dropped (and counted) instead of stalling the
 * server, which would otherwise hang every test that forgot to drain it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include "app.h"

#define ALOG_SIZE 65536

struct alog {
	char   buf[ALOG_SIZE];
	size_t len;
	struct ev_task flush;
};

static __thread struct alog *alog;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t dropped;  /* lines lost to a full pipe (atomic) */

void alog_setup_stdout(void)
{
	struct stat st;
	int fl;

	if (fstat(1, &st) < 0)
		return;
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return;
	fl = fcntl(1, F_GETFL);
	if (fl >= 0)
		fcntl(1, F_SETFL, fl | O_NONBLOCK);
}

/* Write as much of the buffer as stdout takes now; keep the rest. */
static void alog_write(struct alog *a)
{
	size_t off = 0;

	pthread_mutex_lock(&out_lock);
	while (off < a->len) {
		ssize_t n = write(1, a->buf + off, a->len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;  /* EAGAIN (reader is slow), EPIPE, closed stdout: keep or drop below */
	}
	pthread_mutex_unlock(&out_lock);
	if (off && off < a->len)
		memmove(a->buf, a->buf + off, a->len - off);
	a->len -= off;
}

static void alog_flush_task(struct ev_task *t)
{
	alog_write(t->ctx);
}

int alog_thread_init(void)
{
	if (app_cfg.quiet)
		return 0;
	alog = malloc(sizeof(*alog));
	if (!alog)
		return -1;
	alog->len = 0;
	ev_task_init(&alog->flush, alog_flush_task, alog);
	return 0;
}

void alog_thread_flush(void)
{
	if (alog)
		alog_write(alog);
}

void alog_thread_free(void)
{
	if (!alog)
		return;
	loop_task_cancel(&alog->flush);
	free(alog);
	alog = NULL;
}

void alog_request(const char *method, const char *path, int status, uint64_t us,
		  const char *req_id, uint64_t bytes)
{
	char epath[APP_PATH_MAX * 6 + 1], eid[APP_REQID_MAX * 6 + 1], emeth[16 * 6 + 1];
	char line[sizeof(epath) + sizeof(eid) + sizeof(emeth) + 256];
	uint64_t wall = clock_wall_us();
	int n;

	if (!alog)
		return;
	json_escape(epath, sizeof(epath), path);
	json_escape(emeth, sizeof(emeth), method);
	if (req_id)
		json_escape(eid, sizeof(eid), req_id);
	n = snprintf(line, sizeof(line),
		     "{\"ts\":%llu.%03u,\"node\":\"%s\",\"method\":\"%s\",\"path\":\"%s\","
		     "\"status\":%d,\"ms\":%llu.%03u,\"req_id\":%s%s%s,\"bytes\":%llu}\n",
		     (unsigned long long)(wall / 1000000), (unsigned)(wall % 1000000 / 1000),
		     app_cfg.name, emeth, epath, status,
		     (unsigned long long)(us / 1000), (unsigned)(us % 1000),
		     req_id ? "\"" : "", req_id ? eid : "null", req_id ? "\"" : "",
		     (unsigned long long)bytes);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (alog->len + (size_t)n > ALOG_SIZE)
		alog_write(alog);
	if (alog->len + (size_t)n > ALOG_SIZE) {
		__atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	memcpy(alog->buf + alog->len, line, (size_t)n);
	alog->len += (size_t)n;
	loop_task_wake(this_loop, &alog->flush);
}

void app_event(int level, const char *fmt, ...)
{
	static const char *const names[] = { "EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE",
					      "INFO", "DEBUG" };
	char msg[512], emsg[sizeof(msg) * 6 + 1], line[sizeof(emsg) + 160];
	uint64_t wall = clock_wall_us();
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_event(level, "%s", msg);
	if (app_cfg.quiet)
		return;
	json_escape(emsg, sizeof(emsg), msg);
	n = snprintf(line, sizeof(line), "{\"ts\":%llu.%03u,\"node\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n",
		     (unsigned long long)(wall / 1000000), (unsigned)(wall % 1000000 / 1000),
		     app_cfg.name, names[level >= 0 && level <= LL_DEBUG ? level : LL_INFO], emsg);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (alog && alog->len + (size_t)n <= ALOG_SIZE) {
		/* a worker thread: keep the line in order with its access lines */
		memcpy(alog->buf + alog->len, line, (size_t)n);
		alog->len += (size_t)n;
		loop_task_wake(this_loop, &alog->flush);
		return;
	}
	/* start-up and exit (no loop), or a full buffer: one write, best effort */
	pthread_mutex_lock(&out_lock);
	if (write(1, line, (size_t)n) < 0)
		__atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&out_lock);
}
