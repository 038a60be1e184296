/* Private to the stream's files (src/proxy/stream*.c, http_ana.c): the
 * helpers they share. Nothing outside the stream includes this. */
#ifndef TANDEM_STREAM_INT_H
#define TANDEM_STREAM_INT_H
#include <tandem/clock.h>
#include <tandem/h1-t.h>
#include <tandem/sess-t.h>
#include <tandem/stream-t.h>
#include <tandem/worker.h>

#define G (&worker.cfg->g)

/* Parsing scratch: a head is parsed and rewritten at once, so one per
 * thread (it never lives in the stream). Reached through a function: gcc 12
 * with UBSan reported the address of the thread-local object itself as a
 * null pointer in one caller (a false "member access within null pointer"
 * that went away when the code around it changed). */
struct h1_msg *strm_scratch(void);

static inline uint64_t after(uint32_t ms)
{
	return ms ? now_ms + ms : 0;
}

static inline int expired(uint64_t exp)
{
	return exp && exp <= now_ms;
}

static inline void set_term(struct stream *s, char who, char when)
{
	if (s->term[0] == '-') {
		s->term[0] = who;
		s->term[1] = when;
	}
}

static inline int sf(const struct stream *s, uint32_t f)
{
	return (s->flags & f) != 0;
}

/* Do rules apply to this stream's requests (its frontend, its backend,
 * the frontend's default backend have some)? A stream without them never
 * sets up a rules context. */
static inline int strm_rules_on(const struct stream *s)
{
	return s->fe->rules || (s->fe->defbe && s->fe->defbe->rules) ||
	       (s->be && s->be != s->fe->defbe && s->be->rules);
}

/* stream.c: life cycle and the state machine's driver */
void stream_close(struct stream *s);
void stream_end(struct stream *s);
void stream_process(struct stream *s);
struct stream *stream_start(struct sess *ss);

/* sess.c: client sessions and the thread's pool of streams */
struct stream *stream_alloc(void);
void stream_release_deferred(struct stream *s);
void sess_close(struct sess *ss);
void sess_idle(struct sess *ss, uint64_t exp);
void release_server_slot(struct stream *s);
void drop_server_conn(struct stream *s);
void txn_reset(struct stream *s);
int txn_end(struct stream *s);

/* stream_fail.c: the one way a request fails, retries or ends early */
void stream_error(struct stream *s, int status, char who, char when);
int srv_failure(struct stream *s, int status, char who, char when, enum fail_kind k);
int may_retry(struct stream *s, enum fail_kind k);
void req_done_accounting(struct stream *s);
void be_sess_enter(struct stream *s);
int client_gone(struct stream *s);
int stream_srv_gone(struct stream *s);

/* stream_acct.c: counters and the access log of a finished request */
void stream_log(struct stream *s);
void count_response(struct stream *s);

/* http_ana.c: what a request or response head means */
void http_analyze_request(struct stream *s, struct h1_msg *m);
int http_analyze_response(struct stream *s, struct h1_msg *m);
int http_wants_body_first(const struct stream *s, const struct h1_msg *m, size_t head_len);

/* strm_rules.c: the rules' evaluation context and the replies tandem makes */
struct smp_ctx;
struct http_reply;
struct txn_log;
struct rule_result;
/* Fill the thread's context from <s> for an analysis of <req> / <rsp>. NULL on OOM. */
struct smp_ctx *rx_ctx(struct stream *s, struct h1_msg *req, struct h1_msg *rsp);
/* A new transaction: the stream's txn store (captures...), %rt, variables
 * reset. 0, or -1 on OOM. */
int rx_txn_begin(struct stream *s);
/* Start a head's analysis: rewritten values go to a fresh arena. */
void rx_arena_reset(void);
/* The request head being analysed (replies made meanwhile read it), NULL after. */
void rx_set_req(struct h1_msg *m);
/* Does a reply get http-after-response (and http-response with <with_rsp>) rules? */
int rx_has_after(const struct stream *s, int with_rsp);
/* Render reply <rp> / <status> into <out> (keep-alive <ka>), through
 * http-after-response (and http-response: <with_rsp>). Sets s->status.
 * 0, or -1 when it does not fit. */
int rx_render(struct stream *s, struct smp_ctx *c, const struct http_reply *rp, int status, int ka,
	      int head_req, int with_rsp, struct buf *out);
/* A service's head in <head> goes through http-response and
 * http-after-response. 0, 1 (replaced by a 500 page: drop the body), -1. */
int rx_after_service(struct stream *s, struct buf *head, int head_req);
/* The page for an error <status> when a proxy has its own (errorfile...)
 * or http-after-response rules: rendered into <out>, 0. 1: the built-in
 * page applies as it is. -1: failed. */
int rx_error_page(struct stream *s, int status, struct buf *out);
/* The log line from log-format (error-log-format with <error>), and the
 * set-log-level level in *level. Returns its length, 0 for the option's
 * format, -1 for no log at all (silent). */
/* Run the response set <set> of the backend then the frontend; the proxy
 * whose rule decided, or NULL. */
const struct proxy *rx_rsp_set(struct stream *s, struct smp_ctx *c, int set, struct rule_result *res);
/* The transaction's unique id (`unique-id-format`, made now if not yet),
 * at most <max> bytes into <out>: its length, 0 without a format. */
size_t rx_unique_id(struct stream *s, char *out, size_t max);
int rx_log(struct stream *s, const struct txn_log *t, int error, char *line, size_t len, int *level);
void strm_rules_thread_exit(void);
struct smp_ctx *rx_ctx_sess(struct sess *ss);
/* error-log-format (else log-format) for a connection that failed before
 * any request: its length, 0 when the frontend has neither. */
int rx_log_conn_error(struct sess *ss, const char *term, char *line, size_t len);

/* tcp_ana.c: TCP analysis */
/* tcp-request connection (<set> RSI_TCP_CONN, at the accept) or session
 * (RSI_TCP_SESS, after the handshake) rules: 0, or -1 when the connection
 * is refused (counted; the caller closes it). */
int tcp_accept_rules(struct sess *ss, int set);
/* ST_INSPECT: tcp-request content, use_backend, use-server (TCP mode). */
int st_inspect(struct stream *s);
/* tcp-response content on the server's first bytes (TCP mode): 1 decided
 * (forward), 0 waiting (hold the server's bytes), -1 rejected (close). */
int tcp_rsp_rules(struct stream *s);

/* stream_xfer.c: moving bytes */
int st_xfer(struct stream *s);
int st_tunnel(struct stream *s);
ssize_t send_parts(struct conn *c, struct buf *out, struct stream *s, struct buf *src, size_t *fwd);
int body_scan(struct body *bd, struct buf *b, int eof);
int req_body_scan(struct stream *s, int eof);   /* body_scan(), counted in bytes_in */

/* The long tail (issue 18), small hooks into the session and the stream.
 * sess.c: the connection is accepted and, if a PROXY header was expected,
 * that header read: TLS, then requests. */
void sess_ready(struct sess *ss);
/* sess_lt.c: at the accept (socket buffers, the listener's counters;
 * returns 0); after `tcp-request connection`: 1 when a PROXY header must
 * come first (accept-proxy; ss->ppw set, the deadline armed), 0 to go on;
 * at the close; the header's bytes, or its deadline (logged with HAProxy's
 * words, counted, closed). */
int  sess_lt_accept(struct sess *ss, int fd);
int  sess_lt_expect_proxy(struct sess *ss);
void sess_lt_close(struct sess *ss);
void sess_pp_read(struct sess *ss);
void sess_pp_timeout(struct sess *ss);
/* What the client's PROXY header said beyond its source address. */
struct sess_pp {
	struct sockaddr_storage dst;
	uint8_t dst_set;           /* 0: a LOCAL header (the connection's own) */
	int    authority_len;      /* -1: no AUTHORITY TLV */
	int    unique_id_len;      /* -1: no UNIQUE_ID TLV */
	char   authority[256];
	char   unique_id[129];
};
/* The listener's own counters (`option socket-stats`), or NULL. */
static inline struct counters *sess_li_ctr(const struct sess *ss)
{
	return ss->bind && ss->bind->ctr && (ss->fe->options & PR_O_SOCKET_STATS) ? ss->bind->ctr : NULL;
}
/* stream_pp.c: the destination of a new stream (the PROXY header's);
 * send-proxy: the header on a new server connection, first, on the socket
 * itself (1 sent or none to send, 0 pending, -1 failed); the release; the
 * destination address the client reached (`dst`, mapped server ports). */
void stream_pp_start(struct stream *s);
int  stream_pp_srv_send(struct stream *s);
void stream_pp_free(struct stream *s);
const struct sockaddr_storage *stream_dst(struct stream *s);
/* stream_srv.c: new server connections, private ones, the queues,
 * on-marked-down / on-marked-up */
int  stream_connect_srv(struct stream *s, struct server *srv, struct sockaddr_storage *sa, socklen_t sl);
int  srv_conn_private(const struct server *srv);
void stream_queue_enter(struct stream *s, struct server *srv);  /* srv: its own queue, NULL: the backend's */
void stream_queue_leave(struct stream *s);       /* also unlinks s->qlink */
/* Must a request tied to <srv> wait in srv's own queue? 0 no (connect),
 * 1 yes, -1 that queue holds `maxqueue` requests already. */
int  stream_srv_queue_full(const struct stream *s, const struct server *srv);
void stream_srv_shutdown_scan(void);
void stream_srv_taken(struct stream *s);
/* stream_splice.c: option splice-* */
int  stream_splice_tunnel(struct stream *s);
int  stream_splice_rsp_body(struct stream *s, int *progress);   /* 1: the pipe owns the response now */
int  stream_splice_busy(const struct stream *s, int rsp);
void stream_splice_free(struct stream *s);

#endif
