/* TLS as the sessions and streams see it (src/proxy/ssl_sess.c): putting
 * the transport under a client or server connection, and what a client
 * handshake's end means to the proxy (counters, HAProxy's connection error
 * log line). The session drives the client's handshake itself
 * (conn_handshake, src/proxy/sess.c) before its first stream: the
 * handshake counts as waiting on the client (`timeout client` and, in
 * HTTP, `timeout http-request` from the accept). */
#ifndef TANDEM_SSL_SESS_H
#define TANDEM_SSL_SESS_H
#include <tandem/conn-t.h>
#include <tandem/sess-t.h>
#include <tandem/stream-t.h>

/* <bind> terminates TLS (`bind ... ssl`). */
int  ssl_sess_tls(const struct bind_conf *bind);
/* TLS under the client connection of <ss> (its bind has `ssl`). 0 or -1. */
int  ssl_sess_accept(struct sess *ss);
/* The client handshake of <ss> completed: counted on the frontend. */
void ssl_sess_done(struct sess *ss);
/* The client handshake of <ss> failed, or was cut at a deadline
 * (<timed_out>): counted on the frontend and logged once, as HAProxy logs
 * an embryonic session ("ip:port [date] fe/bind: SSL handshake failure"),
 * with OpenSSL's reason in parentheses. */
void ssl_sess_failed(struct sess *ss, int timed_out);
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
