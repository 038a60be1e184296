/* Event log: tandem's own messages ("[NOTICE]   (pid) : message").
 *
 * The line shape follows HAProxy's stderr messages so that operators and
 * scripts used to one recognise the other: the bracketed label is padded so
 * that "(pid)" always starts in column 12. Every line leaves in exactly one
 * write(2)/writev(2) call, so lines written by different threads (or by the
 * master and a worker sharing the same stderr) never interleave as long as
 * they stay under PIPE_BUF. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <tandem/log.h>

#define LOG_LINE_MAX 2048  /* longer event messages are truncated */

/* Settings are written once at start-up (before threads exist) and read by
 * every thread; relaxed atomics keep the sanitizers quiet at no cost. */
static int log_fd = 2;
static int log_max = LL_INFO;
static const char *log_tag_name = "tandem";

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* Labels shown on the event line. HAProxy only prints ALERT, WARNING,
 * NOTICE (and INFO/DEBUG for verbose output) on stderr: every severity worse
 * than "warning" is an ALERT there, so it is here too. */
static const char *const level_labels[] = {
	"ALERT", "ALERT", "ALERT", "ALERT", "WARNING", "NOTICE", "INFO", "DEBUG",
};

void log_setup(int fd, int max_level, const char *tag)
{
	if (fd >= 0)
		__atomic_store_n(&log_fd, fd, __ATOMIC_RELAXED);
	if (max_level >= LL_EMERG && max_level <= LL_DEBUG)
		__atomic_store_n(&log_max, max_level, __ATOMIC_RELAXED);
	if (tag && *tag)
		__atomic_store_n(&log_tag_name, tag, __ATOMIC_RELAXED);
}

const char *log_get_tag(void)
{
	return __atomic_load_n(&log_tag_name, __ATOMIC_RELAXED);
}

/* Write the iovecs completely, retrying on EINTR and short writes. A short
 * write only happens on huge lines or full non-blocking pipes; losing the
 * "one syscall" property then is better than losing the text. */
static void write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;   /* nowhere to report a failing log fd */
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++; cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
}

void log_event(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int len, n;

	if (level < LL_EMERG)
		level = LL_EMERG;
	if (level > LL_DEBUG || level > __atomic_load_n(&log_max, __ATOMIC_RELAXED))
		return;

	/* "[NOTICE]" followed by spaces up to 11 columns, then "(pid) : ". */
	len = snprintf(line, sizeof(line), "[%s]%*s(%d) : ", level_labels[level],
		       (int)(9 - strlen(level_labels[level])), "", (int)getpid());

	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len += n;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;   /* truncated: keep room for '\n' */

	/* Callers may or may not end their message with a newline. */
	while (len > 0 && line[len - 1] == '\n')
		len--;
	line[len++] = '\n';

	struct iovec iov = { line, (size_t)len };
	write_all(__atomic_load_n(&log_fd, __ATOMIC_RELAXED), &iov, 1);
}

void log_raw(const char *line, size_t len)
{
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	int cnt = (len && line[len - 1] == '\n') ? 1 : 2;

	write_all(__atomic_load_n(&log_fd, __ATOMIC_RELAXED), iov, cnt);
}

int log_level_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(level_names[i], name) == 0)
			return i;
	return -1;
}
