/* Internals shared by the files of src/check/: check.c (scheduling and
 * state changes), check_tcp.c (connections and tcp-check rules),
 * check_http.c (HTTP request and response), observe.c (passive). */
#ifndef TANDEM_CHECK_INT_H
#define TANDEM_CHECK_INT_H
#include <sys/socket.h>
#include <tandem/check-t.h>

/* Apply <ev> to <h> under its lock, publish the new state (atomic stores
 * read by lb.c) and log transitions. Any thread. Fills <o>. */
void srv_health_apply(struct srv_health *h, const struct hs_event *ev, struct hs_out *o);
/* The running check of <h> ended with <status> (owner thread): apply it
 * and plan the next one. <desc> (info text) may be NULL. */
void chk_report(struct srv_health *h, int status, int code, const char *desc);

/* check_tcp.c, owner thread only. */
/* Prepare what every check of <h> needs (HTTP request). 0 or -1. */
int  chk_prepare(struct srv_health *h);
/* Start one check now; it ends with chk_report(). */
void chk_conn_start(struct srv_health *h);
/* The running check's deadline passed: report the timeout. */
void chk_conn_timeout(struct srv_health *h);
/* Close the check's connection, if any, without reporting. */
void chk_conn_close(struct srv_health *h);

/* The tcp-check rules that run: a protocol check's own (option
 * mysql-check...) or the ones the configuration wrote. */
static inline const struct chk_tcp_rule *chk_rules(const struct chk_px *p, int *n)
{
	if (p->proto) {
		*n = p->nptcp;
		return p->ptcp;
	}
	*n = p->ntcp;
	return p->tcp;
}

/* check_expect.c: the tcp-check expectations with HAProxy's options
 * (min-recv, ok/error/tout-status) and the protocol checks' messages.
 * chk_expect_eval: 0 wait for more bytes, 1 met, -1 failed (reported).
 * chk_tcp_passed: every rule passed, <last> the last one that is not a
 * comment (reported). chk_send_data: the bytes a send step sends now. */
int  chk_expect_eval(struct srv_health *h, const struct chk_tcp_rule *t, int step, int last);
void chk_tcp_passed(struct srv_health *h, const struct chk_tcp_rule *last);
const char *chk_send_data(struct srv_health *h, const struct chk_tcp_rule *t, size_t *len);
/* The timeout status of the step running now (its tout-status), else <dflt>. */
int  chk_tout_status(const struct srv_health *h, int dflt);
/* Info text from the bytes read at <off>: cut at CR/LF when <cut>. */
void chk_payload_text(const struct srv_health *h, int off, int cut, char *out, size_t len);

/* check_pp.c: a PROXY protocol header for a check connection (a LOCAL one
 * for v2, the check's own addresses for v1, as HAProxy), into h->run.pp. */
void chk_pp_prepare(struct srv_health *h, int fd);
/* Where the connect rule <t> (NULL: the default connection) connects. */
void chk_connect_target(const struct srv_health *h, const struct chk_tcp_rule *t,
			struct sockaddr_storage *ss, socklen_t *len);

/* check_pp.c: a connection for a check, from the server's or backend's
 * `source` when set (sock_connect otherwise). fd or -1 (errno). */
int  chk_sock_connect(const struct srv_health *h, const struct sockaddr_storage *ss, socklen_t len);
/* The first `tcp-check connect` (or `http-check connect`) rule's address
 * and port override the check's target (check_target in check.c). */
void chk_first_connect(const struct chk_px *p, struct sockaddr_storage *ss, socklen_t *len, int *port);
void chk_http_connect(const struct chk_px *p, struct sockaddr_storage *ss, socklen_t *len, int *port);
/* check_expect.c: the HTTP request with `http-check send-state`'s header
 * (built in h->run.dyn); `http-check disable-on-404` applied to a result. */
char *chk_http_state_request(struct srv_health *h, size_t *len);
void chk_http_disable404(const struct srv_health *h, int *status, int code, char *desc);

/* check_expect.c: does the response head <m> have a header matching the
 * `expect hdr|fhdr` <e> (name, then the value when one is given)? */
struct h1_msg;
int  chk_hdr_match(const struct chk_expect *e, const struct h1_msg *m);

/* check_log.c: `option log-health-checks`'s line for a result that moved
 * the counter or the status ("Health check for server be/s failed, ...");
 * the NOLB transitions of `http-check disable-on-404`. */
void chk_log_result(struct srv_health *h, const struct hs_out *o, const char *kind);
void chk_log_nolb(struct srv_health *h, const struct hs_out *o);
/* The reason part of a log line (", reason: ..., code: N, info: \"...\",
 * check duration: Nms") into <out>. */
void chk_reason_text(const struct hs_out *o, char *out, size_t len);

/* check_agent.c: the agent check of <h> (none without `agent-check`):
 * set up, first run after <delay> ms, stop, release. Owner thread. */
int  chk_agent_init(struct srv_health *h);
void chk_agent_start(struct srv_health *h, uint32_t delay);
void chk_agent_stop(struct srv_health *h);
void chk_agent_free(struct srv_health *h);
/* check_ssl.c: TLS under a check (check-ssl), on the owner thread. */
/* The check of <h> uses TLS (the server's effective check-ssl). */
int  chk_tls_wanted(const struct srv_health *h);
/* Connected: start or continue the handshake. 1 done, 0 waiting (the
 * events it needs are set), -1 failed (reported: L6RSP). */
int  chk_tls_step(struct srv_health *h);
/* Read and write through TLS when the check has it (sock_recv/sock_send's
 * contract otherwise). */
ssize_t chk_recv(struct srv_health *h, void *p, size_t len, int *st, int *err);
ssize_t chk_send(struct srv_health *h, const void *p, size_t len, int *st, int *err);
void chk_tls_close(struct chk_run *r);

/* check_http.c */
/* Build the HTTP request of <px> (malloc'd into *out). Length or -1. */
long chk_http_request(const struct chk_px *px, char **out);
/* Evaluate the response in <buf> (<len> bytes of a <cap> buffer; <eof>:
 * nothing more will come). Returns 0 when more bytes are needed, else 1
 * with *status (HCHK_*), *code and <desc> filled. */
int  chk_http_eval(const struct chk_px *px, const char *buf, size_t len, size_t cap, int eof,
		   int *status, int *code, char *desc, size_t desclen);
/* One expectation against bytes (string, regex, binary): 1 match, 0 not. */
int  chk_expect_match(const struct chk_expect *e, const char *buf, size_t len);

#endif
