#ifndef TANDEM_SESS_H
#define TANDEM_SESS_H
#include <tandem/sess-t.h>

struct proxy;
struct bind_conf;

/* Start a session for an accepted client socket <fd> on <bind> of
 * frontend <fe> (this thread). Closes fd and returns -1 on failure. */
int sess_new(struct proxy *fe, struct bind_conf *bind, int fd, const struct sockaddr_storage *addr);
/* Soft stop: close it now if idle; else its request finishes and the
 * connection closes after it (idle keep-alive clients of a worker retiring
 * after a reload are kept until their next request or a deadline). */
void sess_soft_stop(struct sess *ss);
/* Log a connection that failed before any request (a TLS or PROXY
 * protocol handshake) with the frontend's error-log-format (HAProxy 2.6);
 * <term> is the termination state, <empty>: the client sent nothing (not
 * logged with dontlognull). Returns 1 when the frontend has an
 * error-log-format (the line is written or left out), 0 when it has none:
 * the caller writes HAProxy's legacy line (httplog_emit_conn_error). */
int sess_log_conn_error(struct sess *ss, const char *term, int empty);
/* Hard stop: close it now. */
void sess_kill(struct sess *ss);

#endif
