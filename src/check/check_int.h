/* Internals shared by the files of src/check/: check.c (scheduling and
 * state changes), check_tcp.c (connections and tcp-check rules),
 * check_http.c (HTTP request and response), observe.c (passive). */
#ifndef TANDEM_CHECK_INT_H
#define TANDEM_CHECK_INT_H
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
