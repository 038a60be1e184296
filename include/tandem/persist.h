/* Persistence in a request's way (src/proxy/persist.c, cookie.c): the
 * stream calls these at fixed points, next to the rules (rules.h):
 *
 *   accept       persist_sess_start(ss)      sess_cnt, sess_rate of the session's counters
 *   HTTP head    persist_http_req(s)         count the request (http_req_cnt/rate) in the
 *                                            counters tracked so far (before http-request)
 *                persist_req(s, m, c, force) after use-server: the cookie (server, and the
 *                                            Cookie header rewritten), stick match, the
 *                                            store-request keys, the request's hash key
 *   TCP inspect  persist_req(s, NULL, c, f)  the same for a TCP backend (its payload)
 *   connect      persist_pick(s, av, keep)   the balancer with the request's hash key
 *                persist_connected(s)        TCP: the stores are made (the server is known)
 *   response     persist_rsp_store(s, m, c)  store-response keys, then every store
 *                persist_rsp_cookie(s, m, c) after the response rules: Set-Cookie
 *   end          persist_txn_end(s)          errors, bytes, the stream's counters released
 *                persist_sess_end(ss)        the session's counters released
 */
#ifndef TANDEM_PERSIST_H
#define TANDEM_PERSIST_H
#include <tandem/h1-t.h>
#include <tandem/persist-t.h>
#include <tandem/proxy-t.h>
#include <tandem/sample-t.h>

struct stream;
struct sess;
struct server;

void persist_sess_start(struct sess *ss);
void persist_sess_end(struct sess *ss);
void persist_http_req(struct stream *s);
void persist_req(struct stream *s, struct h1_msg *m, struct smp_ctx *c, int force);
/* <keep>: the full server the request's hash key belongs to (it waits in
 * that server's queue), else NULL. */
struct server *persist_pick(struct stream *s, struct server *avoid, struct server **keep);
void persist_connected(struct stream *s);
void persist_rsp_store(struct stream *s, struct h1_msg *m, struct smp_ctx *c);
void persist_rsp_cookie(struct stream *s, struct h1_msg *m, struct smp_ctx *c);
void persist_txn_end(struct stream *s);
/* The stream's tracked counters for the rules' context (allocated on
 * first use; NULL on OOM), and the release of what a pooled stream kept. */
struct stk_ctr *persist_trk(struct stream *s);
void persist_stream_free(struct stream *s);
/* Does the backend need a look at requests (cookie, stick rules, hash key)? */
static inline int persist_wanted(const struct proxy *be)
{
	return be && be->persist && (be->persist->ck.name || be->persist->nstick || be->lbalgo == LB_HASH);
}

/* ---- cookies (src/proxy/cookie.c) ---- */

/* The request side: find the persistence cookie in the Cookie headers of
 * <m>, the server it names (<use>: persistence applies, i.e. no use-server
 * chose and no ignore-persist; <force>: force-persist, a DOWN server is
 * taken), and rewrite the headers (prefix stripped; insert+indirect:
 * removed). 0, or -1 when a rewrite failed (arena full). */
int ck_request(const struct proxy *be, struct h1_msg *m, struct smp_ctx *c, int use, int force, struct ck_req *out);
/* The response side: the server's Set-Cookie for our cookie (removed,
 * rewritten or prefixed), then ours inserted when needed (with
 * Cache-control: private under nocache on a cacheable response).
 * <direct>: the client reached <srv> through persistence. <meth>: the
 * request's method. 0 or -1 (rewrite failed). */
int ck_response(const struct proxy *be, struct server *srv, struct h1_msg *m, struct smp_ctx *c,
		const struct ck_req *rq, int direct, int meth, int ignore, uint64_t now_s);
/* HAProxy's 30-bit dates in 5 base64 characters (encode into <out>[5];
 * decode: -1 when invalid). */
void ck_s30tob64(uint32_t v, char out[5]);
int  ck_b64tos30(const char *in);

#endif
