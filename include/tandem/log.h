/* Event log (tandem's own messages) and the sink for access-log lines.
 * Lines go to stderr by default, or where `log stdout|stderr` in `global`
 * says. Writes are one write(2) per line so threads never interleave. */
#ifndef TANDEM_LOG_H
#define TANDEM_LOG_H
#include <stdarg.h>
#include <stddef.h>

/* Same numbers as syslog severities; prefixed LL_ so <syslog.h> can coexist. */
enum log_level { LL_EMERG, LL_ALERT, LL_CRIT, LL_ERR, LL_WARNING, LL_NOTICE, LL_INFO, LL_DEBUG };

/* Select the file descriptor for event and access logs (1 or 2), the max
 * level printed, and a tag ("tandem", "tandem-app"). */
void log_setup(int fd, int max_level, const char *tag);
/* Log one event line: "[NOTICE]   (pid) : message". */
void log_event(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write an already formatted line (a trailing newline is added if missing). */
void log_raw(const char *line, size_t len);
/* The tag given to log_setup ("tandem" by default), used in syslog headers. */
const char *log_get_tag(void);
/* Parse a level name ("info", "notice", ...); -1 if unknown. */
int log_level_parse(const char *name);

#endif
