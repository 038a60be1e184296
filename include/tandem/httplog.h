#ifndef TANDEM_HTTPLOG_H
#define TANDEM_HTTPLOG_H
#include <stddef.h>
#include <tandem/proxy-t.h>
#include <tandem/httplog-t.h>

/* Format one access-log line for <t> according to <fe>'s options (httplog,
 * httplog clf, httplog json, tcplog) into <out> (NUL-terminated, no newline).
 * Returns the length, truncated to outlen-1. */
size_t httplog_format(const struct proxy *fe, const struct txn_log *t, char *out, size_t outlen);
/* Format and send to every log target of <fe> (dontlognull honoured). */
void httplog_emit(const struct global *g, const struct proxy *fe, const struct txn_log *t);
/* The same with the line already rendered (<text>, or NULL for the
 * option's format) and a level (<level> < 0: the usual one). */
void httplog_emit_line(const struct global *g, const struct proxy *fe, const struct txn_log *t,
		       const char *text, size_t tlen, int level);

#endif
