#ifndef TANDEM_HTTPLOG_H
#define TANDEM_HTTPLOG_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/proxy-t.h>
#include <tandem/httplog-t.h>

/* Format one access-log line for <t> according to <fe>'s options (httplog,
 * httplog clf, httplog json, tcplog) into <out> (NUL-terminated, no newline).
 * Returns the length, truncated to outlen-1. */
size_t httplog_format(const struct proxy *fe, const struct txn_log *t, char *out, size_t outlen);
/* Format and send to every log target of <fe> (dontlognull honoured). */
void httplog_emit(const struct global *g, const struct proxy *fe, const struct txn_log *t);

/* A connection that ended before it became a request (a failed TLS
 * handshake: HAProxy's embryonic session log): "ip:port [date] fe/bind:
 * <msg>" to every log target of <fe>, at info level (err with `option
 * log-separate-errors`); <empty> (closed or reset before anything was
 * exchanged) is not logged with `option dontlognull`. */
void httplog_emit_conn_error(const struct global *g, const struct proxy *fe, const struct sockaddr_storage *cli,
			     uint64_t accept_wall_us, const char *bind_name, const char *msg, int empty);

#endif
