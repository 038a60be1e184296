/* TLS as the streams see it (src/proxy/ssl_sess.c): putting the transport
 * under a client or server connection, and what a client handshake's end
 * means to the proxy (counters, HAProxy's connection error log line). The
 * stream drives the handshake itself (conn_handshake) in its HANDSHAKE
 * state, which counts as waiting on the client (src/proxy/stream.c). */
#ifndef TANDEM_SSL_SESS_H
#define TANDEM_SSL_SESS_H
#include <tandem/conn-t.h>
#include <tandem/stream-t.h>

/* TLS under the client connection of <s> (its bind has `ssl`). 0 or -1. */
int  ssl_sess_accept(struct stream *s);
/* The client handshake of <s> completed: counted on the frontend. */
void ssl_sess_done(struct stream *s);
/* The client handshake of <s> failed, or was cut at a deadline
 * (<timed_out>): counted on the frontend and logged once, as HAProxy logs
 * an embryonic session ("ip:port [date] fe/bind: SSL handshake failure"),
 * with OpenSSL's reason in parentheses. */
void ssl_sess_failed(struct stream *s, int timed_out);
/* The client connection's TLS for the access log (version, cipher, SNI). */
struct txn_log;
void ssl_sess_log(const struct stream *s, struct txn_log *t);
/* TLS under <c>, the new connection of <s> to its server: the SNI from the
 * server's `sni` expression (the request head as sent, the client
 * connection). 0 or -1. */
int  ssl_sess_connect(struct stream *s, struct conn *c);
/* The handshake with the server completed (counted; nothing for a plain
 * connection), or failed (counted and logged, at most once a second per
 * server; the stream then treats it as a connection failure: 503, retry). */
void ssl_sess_srv_done(struct stream *s);
void ssl_sess_srv_failed(struct stream *s);

#endif
