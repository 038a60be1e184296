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

/* Send a line of its own to every log target of <fe> (a connection that
 * never made a transaction: HAProxy's embryonic session errors). <err>:
 * it reports an error (log-separate-errors). */
void httplog_emit_text(const struct global *g, const struct proxy *fe, int err, const char *text);
/* "ADDR:PORT [date]" of HAProxy's session prefix, for <cli> at <wall_us>. */
size_t httplog_prefix(const struct sockaddr_storage *cli, uint64_t wall_us, char *out, size_t len);

#endif
