/* Persistence in a request's way (include/tandem/persist.h lists where
 * the stream calls in): the cookie, stick rules, the request's hash key,
 * and what tracked stick counters count during a transaction.
 *
 * Server choice, HAProxy's order: use-server (rules.c) first; then, when
 * no rule chose and ignore-persist did not match, the persistence cookie;
 * then `stick match` / `stick on` rules (the first entry found whose
 * server may take the request); then the balancer, with the request's
 * hash key for the hash algorithms. A server DOWN or in maintenance is
 * passed over (the request is balanced as if persistence had said
 * nothing) unless force-persist matched. A persisted server that fails is
 * left like any other (retries, `option redispatch`).
 *
 * Stores: `stick store-request` keys are taken from the request, `stick
 * store-response` keys from the response; only the first of each kind per
 * table counts (HAProxy's rule). The entries are written once the server
 * is known for sure: when its response head arrives (HTTP) or when the
 * connection is established (TCP), with the server's id (`id`, else its
 * position). */
#include <stdlib.h>
#include <string.h>
#include <tandem/acl.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/h1.h>
#include <tandem/lb.h>
#include <tandem/persist.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/srv_state.h>
#include <tandem/stick.h>
#include "stream_int.h"

/* ---- the stream's state ---- */

static struct strm_persist *pst_get(struct stream *s)
{
	if (!s->pst)
		s->pst = calloc(1, sizeof(*s->pst));
	return s->pst;
}

static void stores_clear(struct strm_persist *p)
{
	for (int i = 0; i < p->nstore; i++) {
		free(p->store[i].big);
		p->store[i].big = NULL;
	}
	p->nstore = 0;
}

struct stk_ctr *persist_trk(struct stream *s)
{
	struct strm_persist *p;

	if (!worker.cfg->stick || !worker.cfg->stick->tables)
		return NULL;
	p = pst_get(s);
	return p ? p->trk : NULL;
}

void persist_stream_free(struct stream *s)
{
	if (!s->pst)
		return;
	for (int i = 0; i < STK_NB_TRACK; i++)
		stk_track_stop(&s->pst->trk[i], now_ms);
	stores_clear(s->pst);
	free(s->pst);
	s->pst = NULL;
}

/* The tracked counter <i> that counts for this stream: the stream's own,
 * else its session's. */
static struct stk_ctr *counter(struct stream *s, int i)
{
	if (s->pst && s->pst->trk[i].t)
		return &s->pst->trk[i];
	if (s->sess->stkctr && s->sess->stkctr[i].t)
		return &s->sess->stkctr[i];
	return NULL;
}

/* ---- sessions ---- */

void persist_sess_start(struct sess *ss)
{
	for (int i = 0; ss->stkctr && i < STK_NB_TRACK; i++)
		stk_ctr_add(&ss->stkctr[i], STK_DT_SESS_CNT, STK_DT_SESS_RATE, 1, now_ms);
}

void persist_sess_end(struct sess *ss)
{
	if (!ss->stkctr)
		return;
	for (int i = 0; i < STK_NB_TRACK; i++)
		stk_track_stop(&ss->stkctr[i], now_ms);
	free(ss->stkctr);
	ss->stkctr = NULL;
}

/* ---- requests ---- */

void persist_http_req(struct stream *s)
{
	for (int i = 0; i < STK_NB_TRACK; i++) {
		struct stk_ctr *c = counter(s, i);

		if (c)
			stk_ctr_add(c, STK_DT_HTTP_REQ_CNT, STK_DT_HTTP_REQ_RATE, 1, now_ms);
	}
}

/* The server of backend <be> with id <id> (a stick table's server_id). */
static struct server *server_by_id(const struct proxy *be, int id)
{
	const struct list *l;

	for (l = be->servers.next; l != &be->servers; l = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE)) {
		struct server *s = list_entry(l, struct server, link);

		if (s->puid == id)
			return s;
	}
	return NULL;
}

/* May persistence send a request to <s>? Not DOWN nor in maintenance
 * (draining is fine: it keeps its persistent clients), or forced. */
static int persist_ok(const struct server *s, int force)
{
	return force || (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != SRV_ST_STOPPED &&
			 !(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT));
}

static void choose(struct stream *s, struct strm_persist *p, struct server *sv)
{
	s->srv = sv;
	p->psrv = sv;
	s->flags |= SF_SRV_CHOSEN;
	if (p->force && !persist_ok(sv, 0))
		s->flags |= SF_FORCE_SRV;   /* a DOWN server on purpose: not moved */
}

static int has_store(const struct strm_persist *p, const struct stk_table *t, int rsp)
{
	for (int i = 0; i < p->nstore; i++)
		if (p->store[i].t == t && p->store[i].rsp == rsp)
			return 1;
	return 0;
}

static void add_store(struct strm_persist *p, struct stk_table *t, const struct stk_key *k, int rsp)
{
	struct pst_store *st;

	if (p->nstore >= PST_MAX_STORE)
		return;
	st = &p->store[p->nstore];
	st->big = NULL;
	if (k->len > PST_KEY_INLINE && !(st->big = malloc(k->len)))
		return;
	memcpy(st->big ? st->big : st->key, k->b, k->len);
	st->t = t;
	st->len = k->len;
	st->rsp = (uint8_t)rsp;
	p->nstore++;
}

/* Stick rules on the request (<rsp> 0) or the response (1). */
static void stick_rules(struct stream *s, struct strm_persist *p, struct smp_ctx *c, int rsp)
{
	const struct px_persist *pp = s->be->persist;

	for (int i = 0; i < pp->nstick; i++) {
		const struct stick_rule *r = &pp->stick[i];
		struct stk_table *t = r->table ? r->table->t : NULL;
		struct sample smp;
		struct stk_key k;
		struct stk_ent *e;
		int store = rsp ? (r->flags & STICK_STORE_RSP) : (r->flags & STICK_STORE_REQ);
		int match = !rsp && (r->flags & STICK_MATCH);

		if (!t || (!store && !match))
			continue;
		/* only the first store of each table counts */
		if (store && !match && has_store(p, t, rsp))
			continue;
		if (!acl_cond_true(r->cond, c))
			continue;
		if (!smp_eval(r->expr, c, &smp) || !stk_key_of_smp(t, &smp, c, &k))
			continue;
		if (match && (e = stk_get(t, &k, STK_GET_TOUCH, now_ms))) {
			int32_t *id = stk_data(t, e, STK_DT_SERVER_ID);
			int sid = id ? *id : 0;

			stk_unlock(t, e);
			if (!s->srv && !p->ignore && sid) {
				struct server *sv = server_by_id(s->be, sid);

				if (sv && persist_ok(sv, p->force))
					choose(s, p, sv);
			}
		}
		if (store && !has_store(p, t, rsp))
			add_store(p, t, &k, rsp);
	}
}

/* ---- the request's hash key (LB_HASH) ---- */

/* `balance uri [whole] [len N] [depth N] [path-only]` */
static void key_uri(const struct hash_conf *h, const char *u, size_t len, const char **kp, size_t *kl)
{
	size_t n = 0;
	unsigned slashes = 0;

	if (h->uri_path_only && len && u[0] != '/') {
		/* an absolute URI: from the path on */
		const char *sch = memmem(u, len, "://", 3), *pth;

		if (sch && (pth = memchr(sch + 3, '/', len - (size_t)(sch + 3 - u)))) {
			len -= (size_t)(pth - u);
			u = pth;
		} else {
			len = 0;
		}
	}
	if (h->uri_len && len > h->uri_len)
		len = h->uri_len;
	for (; n < len; n++) {
		if (u[n] == '/') {
			if (h->uri_depth && ++slashes == h->uri_depth + 1)
				break;
		} else if (u[n] == '?' && !h->uri_whole) {
			break;
		}
	}
	*kp = u;
	*kl = n;
}

/* The value of parameter <name> in "a=1&b=2" ([p, p + len)). */
static int param_value(const char *p, size_t len, const char *name, size_t nl, const char **v, size_t *vl)
{
	while (len > nl) {
		const char *amp;

		if (p[nl] == '=' && !memcmp(p, name, nl)) {
			const char *b = p + nl + 1, *e = b;

			while (e < p + len && *e != '&')
				e++;
			*v = b;
			*vl = (size_t)(e - b);
			return 1;
		}
		if (!(amp = memchr(p, '&', len)))
			return 0;
		len -= (size_t)(amp + 1 - p);
		p = amp + 1;
	}
	return 0;
}

/* hdr(NAME) use_domain_only: "www.example.com" hashes "example". */
static void domain_only(const char *v, size_t len, const char **kp, size_t *kl)
{
	const char *end = v + len, *p = end, *stop = NULL;

	while (p > v) {
		p--;
		if (*p != '.')
			continue;
		if (!stop) {
			stop = p;   /* before the top-level domain */
			continue;
		}
		p++;
		break;
	}
	if (!stop) {
		*kp = v;
		*kl = len;
		return;
	}
	if (p == v && *p == '.')
		p++;
	*kp = p;
	*kl = (size_t)(stop - p);
}

static void hash_key(struct stream *s, struct strm_persist *p, struct h1_msg *m, struct smp_ctx *c)
{
	const struct hash_conf *h = &s->be->persist->hash;
	const char *k = NULL;
	size_t kl = 0;

	p->has_hash = 0;
	p->hash_body = 0;
	switch (h->key) {
	case HK_URI:
		if (!m)
			return;
		key_uri(h, m->uri.p, m->uri.len, &k, &kl);
		break;
	case HK_URL_PARAM: {
		const char *q;

		if (!m)
			return;
		q = memchr(m->uri.p, '?', m->uri.len);
		if (!q || !param_value(q + 1, m->uri.len - (size_t)(q + 1 - m->uri.p), h->name, h->nlen, &k, &kl)) {
			/* check_post: the body is buffered (http-buffer-request),
			 * looked at when the server is chosen */
			if (h->check_post && m->meth == H1_M_POST)
				p->hash_body = 1;
			return;
		}
		break;
	}
	case HK_HDR: {
		const struct h1_hdr *hd = NULL;

		if (!m)
			return;
		for (unsigned i = 0; i < m->nhdrs && !hd; i++)
			if (m->hdrs[i].name.len == h->nlen && !strncasecmp(m->hdrs[i].name.p, h->name, h->nlen))
				hd = &m->hdrs[i];
		if (!hd || !hd->value.len)
			return;   /* absent or empty: round robin */
		k = hd->value.p;
		kl = hd->value.len;
		/* the first value of a list, as HAProxy reads it */
		if (memchr(k, ',', kl) && strncasecmp(h->name, "cookie", 6)) {
			kl = (size_t)((const char *)memchr(k, ',', kl) - k);
			while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
				kl--;
		}
		if (h->domain_only)
			domain_only(k, kl, &k, &kl);
		break;
	}
	case HK_RDP_COOKIE:
	case HK_EXPR: {
		struct sample smp;

		if (!h->expr || !c || !smp_eval(h->expr, c, &smp))
			return;
		if (smp.flags & SMP_F_MAY_CHANGE)
			return;
		if (smp.type != SMP_T_STR && smp.type != SMP_T_BIN && !smp_cast(&smp, SMP_T_BIN, c) &&
		    !smp_cast(&smp, SMP_T_STR, c))
			return;
		if (h->key == HK_RDP_COOKIE && !smp.u.str.len)
			return;
		k = smp.u.str.p;
		kl = smp.u.str.len;
		break;
	}
	default:
		return;
	}
	p->hash = lb_hash_key(s->be, k, kl);
	p->has_hash = 1;
}

/* url_param check_post: the parameter in the body that came with the
 * request (form-encoded; only the first chunk of a chunked body). */
static void hash_body(struct stream *s, struct strm_persist *p)
{
	const struct hash_conf *h = &s->be->persist->hash;
	const char *b = s->cli->in.data ? buf_ptr(&s->cli->in) : NULL, *v;
	size_t bl = s->cli->in.data, vl;

	p->hash_body = 0;
	if (!b)
		return;
	if (s->req.mode == BM_CHUNKED) {
		const char *eol = memchr(b, '\n', bl);
		unsigned long n = strtoul(b, NULL, 16);

		if (!eol)
			return;
		bl -= (size_t)(eol + 1 - b);
		b = eol + 1;
		if (n < bl)
			bl = n;
	} else if (s->req.mode == BM_CL && s->req.remain + s->req.sent < bl) {
		bl = (size_t)(s->req.remain + s->req.sent);
	}
	if (!param_value(b, bl, h->name, h->nlen, &v, &vl))
		return;
	/* a form body is URI-encoded: anything else is not a parameter */
	for (size_t i = 0; i < vl; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 127) {
			vl = i;
			break;
		}
	p->hash = lb_hash_key(s->be, v, vl);
	p->has_hash = 1;
}

void persist_req(struct stream *s, struct h1_msg *m, struct smp_ctx *c, int force)
{
	struct proxy *be = s->be;
	const struct px_persist *pp = be ? be->persist : NULL;
	struct strm_persist *p;
	int use;

	if (!persist_wanted(be) || !c || !(p = pst_get(s)))
		return;
	p->force = force == 1;
	p->ignore = force == -1;
	p->psrv = NULL;
	use = !s->srv && !p->ignore;
	memset(&p->ck, 0, sizeof(p->ck));
	if (pp->ck.name && m) {
		if (ck_request(be, m, c, use, p->force, &p->ck) < 0)
			CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
		if (use && p->ck.srv)
			choose(s, p, p->ck.srv);
	}
	if (pp->nstick) {
		c->phase = sf(s, SF_HTTP) ? SMP_PH_HTTP_REQ : SMP_PH_TCP_CONT;
		stick_rules(s, p, c, 0);
	}
	/* the key even when a cookie or a rule chose: a redispatch (the
	 * chosen server's queue full, or DOWN) hashes it as HAProxy does */
	if (be->lbalgo == LB_HASH)
		hash_key(s, p, m, c);
}

struct server *persist_pick(struct stream *s, struct server *avoid, struct server **keep)
{
	struct strm_persist *p = s->pst;

	if (s->be->lbalgo != LB_HASH || !p)
		return lb_pick_keep(s->be, avoid, &s->cli_addr, 0, 0, keep);
	if (p->hash_body && !p->has_hash)
		hash_body(s, p);
	return lb_pick_keep(s->be, avoid, &s->cli_addr, p->hash, p->has_hash, keep);
}

/* ---- stores, once the server is known ---- */

static void commit_stores(struct stream *s)
{
	struct strm_persist *p = s->pst;

	if (!p || !p->nstore || !s->srv)
		return;
	for (int i = 0; i < p->nstore; i++) {
		struct pst_store *st = &p->store[i];
		struct stk_key k;
		struct stk_ent *e;
		int32_t *id;

		stk_key_set(st->t, &k, st->big ? st->big : st->key, st->len);
		if (!(e = stk_get(st->t, &k, STK_GET_CREATE | STK_GET_TOUCH, now_ms)))
			continue;
		if ((id = stk_data(st->t, e, STK_DT_SERVER_ID)) && *id != s->srv->puid) {
			*id = s->srv->puid;
			stk_updated(st->t, e);
		} else if (id) {
			stk_updated(st->t, e);   /* touched: the peers learn the new expiry */
		}
		stk_unlock(st->t, e);
	}
	stores_clear(p);
}

void persist_connected(struct stream *s)
{
	if (!sf(s, SF_HTTP))
		commit_stores(s);
}

void persist_rsp_store(struct stream *s, struct h1_msg *m, struct smp_ctx *c)
{
	struct strm_persist *p = s->pst;
	const struct px_persist *pp = s->be ? s->be->persist : NULL;

	(void)m;
	if (!p || !pp)
		return;
	if (pp->nstick && c) {
		c->phase = SMP_PH_HTTP_RES;
		stick_rules(s, p, c, 1);
	}
	commit_stores(s);
}

void persist_rsp_cookie(struct stream *s, struct h1_msg *m, struct smp_ctx *c)
{
	struct strm_persist *p = s->pst;
	const struct px_persist *pp = s->be ? s->be->persist : NULL;
	struct ck_req none = { 0 };

	if (!pp || !pp->ck.name || !c || m->status < 200)
		return;
	if (ck_response(s->be, s->srv, m, c, p ? &p->ck : &none, p && p->psrv && p->psrv == s->srv,
			s->meth, p && p->ignore, clock_wall_us() / 1000000) < 0)
		CTR_ADD(s->fe->fe_ctr->failed_rewrites, 1);
}

/* ---- the end of a transaction ---- */

void persist_txn_end(struct stream *s)
{
	struct strm_persist *p = s->pst;
	int st = s->status;

	if (!p && !s->sess->stkctr)
		return;
	for (int i = 0; i < STK_NB_TRACK; i++) {
		struct stk_ctr *c = counter(s, i);
		struct stk_ent *e;

		if (!c)
			continue;
		e = stk_ent(c->t, c->idx);
		stk_lock_ent(c->t, e);
		if (s->bytes_in)
			stk_ent_add(c->t, e, STK_DT_BYTES_IN_CNT, STK_DT_BYTES_IN_RATE, s->bytes_in, now_ms);
		if (s->bytes_out)
			stk_ent_add(c->t, e, STK_DT_BYTES_OUT_CNT, STK_DT_BYTES_OUT_RATE, s->bytes_out, now_ms);
		/* HTTP: a 4xx (the client's doing: denied, not found...) and a
		 * 5xx other than 501 and 505 (a server's failure) */
		if (sf(s, SF_HTTP) && st >= 400 && st < 500)
			stk_ent_add(c->t, e, STK_DT_HTTP_ERR_CNT, STK_DT_HTTP_ERR_RATE, 1, now_ms);
		else if (sf(s, SF_HTTP) && st >= 500 && st < 600 && st != 501 && st != 505)
			stk_ent_add(c->t, e, STK_DT_HTTP_FAIL_CNT, STK_DT_HTTP_FAIL_RATE, 1, now_ms);
		stk_unlock(c->t, e);
	}
	if (!p)
		return;
	for (int i = 0; i < STK_NB_TRACK; i++)
		stk_track_stop(&p->trk[i], now_ms);
	stores_clear(p);
	memset(&p->ck, 0, sizeof(p->ck));
	p->psrv = NULL;
	p->has_hash = p->hash_body = 0;
	p->ignore = p->force = 0;
}
