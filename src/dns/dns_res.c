/* Resolutions: one per resolvers section, name and kind (A+AAAA for a host
 * name, SRV for a label), shared by every server that uses that name.
 *
 * A round asks every nameserver of the section at once (A and AAAA
 * together for a host name) and takes the first nameserver whose answers
 * hold records, as HAProxy does; answers that come after are counted as
 * outdated. When every nameserver failed, the round is tried again
 * (`resolve_retries` rounds in all, `timeout retry` apart) unless the
 * failure is an NXDOMAIN, which is an answer. Then:
 *   - a valid answer goes to the servers (src/dns/dns_srv.c);
 *   - a failure leaves the servers as they are while the last valid
 *     answer is younger than its `hold` (nx, timeout, refused, other);
 *     after that they enter maintenance by resolution.
 * The next round comes `timeout resolve` later, as in HAProxy 2.6; a known
 * answer younger than `hold valid` serves a server that joins the name
 * (`set server fqdn`, a new SRV target) without a query.
 * A name with no address records (NODATA) counts as NXDOMAIN: the name
 * gives no server.
 *
 * Reloads: the times of the last query and of the last valid answer of
 * every resolution are kept in the shared area, so the next worker asks
 * each name when the previous one would have, not all at once, and its
 * hold times go on counting from the same valid answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/shm.h>
#include "dns_int.h"

struct loop *dns_loop;
static struct cfg *dns_cfg;
static int running;

struct dns_q {
	struct dns_res *r;
	struct dns_ns_rt *nr;
	int qtype;
	unsigned round;
};

int dns_running(void)
{
	return running;
}

uint32_t dns_hold_of(const struct resolvers *rs, int status)
{
	switch (status) {
	case DNS_ST_NX:      return rs->hold_nx;
	case DNS_ST_TIMEOUT: return rs->hold_timeout;
	case DNS_ST_REFUSED: return rs->hold_refused;
	default:             return rs->hold_other;
	}
}

const char *dns_status_cause(int status)
{
	switch (status) {
	case DNS_ST_NX:      return "DNS NX status";
	case DNS_ST_TIMEOUT: return "DNS timeout status";
	case DNS_ST_REFUSED: return "DNS refused status";
	default:             return "unspecified DNS error";
	}
}

const struct dns_ns_ctr *dns_ns_counters(const struct dns_nameserver *ns)
{
	return &ns->ctr;
}

/* ---- results --------------------------------------------------------------- */

static void result_clear(struct dns_result *x)
{
	free(x->it);
	x->it = NULL;
	x->n = 0;
}

static void result_add(struct dns_result *x, const struct dns_msg *m)
{
	struct dns_item *n;

	if (!m->nitems || x->n >= DNS_MAX_ITEMS)
		return;
	n = realloc(x->it, (size_t)(x->n + m->nitems) * sizeof(*n));
	if (!n)
		return;
	memcpy(n + x->n, m->items, (size_t)m->nitems * sizeof(*n));
	x->it = n;
	x->n += m->nitems;
}

/* ---- the shared area: when each name was asked ------------------------------ */

static void shm_publish(struct dns_res *r)
{
	struct shm_dns *d = r->shm_rec;

	if (!d && !(d = r->shm_rec = shm_dns_find(r->rs->id, r->name, r->kind, 1)))
		return;
	shm_dns_write(d, r->status, r->last_valid, r->last_query);
}

/* ---- life of a resolution ----------------------------------------------------- */

static void res_free(struct dns_res *r)
{
	for (int i = 0; i < r->rs->nns; i++)
		result_clear(&r->nsr[i].got);
	free(r->nsr);
	result_clear(&r->cur);
	free(r);
}

static void maybe_free(struct dns_res *r)
{
	if (r->dead && !r->pending)
		res_free(r);
}

static void round_start(struct dns_res *r);

static void tmr_cb(struct ev_timer *t)
{
	struct dns_res *r = t->ctx;

	if (r->dead || r->running || !running)
		return;
	round_start(r);
}

/* Every `timeout resolve`, whatever the last status (HAProxy 2.6 asks for
 * its servers' names at that pace; `hold valid` only says how long a known
 * answer serves a server that joins the name, see dns_res_fresh). */
static uint64_t next_after(const struct dns_res *r, int status)
{
	uint32_t d = r->rs->timeout_resolve;

	(void)status;
	return d < 10 ? 10 : d;   /* never a query storm, whatever the settings */
}

int dns_res_fresh(const struct dns_res *r, uint64_t now)
{
	return r->status == DNS_ST_VALID && r->cur.n && r->last_valid && now - r->last_valid < r->rs->hold_valid;
}

struct dns_res *dns_res_get(struct resolvers *rs, const char *name, int kind)
{
	struct list *l;
	struct dns_res *r;
	struct shm_dns *d, rec;
	uint64_t due = now_ms;

	list_for_each(l, &rs->rt->res) {
		r = list_entry(l, struct dns_res, link);
		if (r->kind == kind && !strcmp(r->name, name)) {
			r->refs++;
			return r;
		}
	}
	if (!(r = calloc(1, sizeof(*r))) || !(r->nsr = calloc((size_t)(rs->nns ? rs->nns : 1), sizeof(*r->nsr)))) {
		free(r);
		return NULL;
	}
	r->rs = rs;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->kind = kind;
	r->refs = 1;
	r->born = now_ms;
	list_init(&r->groups);
	list_init(&r->slots);
	ev_timer_init(&r->tmr, tmr_cb, r);
	list_add_tail(&rs->rt->res, &r->link);
	/* after a reload: ask when the previous worker would have */
	if ((d = shm_dns_find(rs->id, r->name, kind, 0)) && shm_dns_read(d, &rec) == 0 && rec.last_query_ms) {
		r->shm_rec = d;
		r->status = rec.status;
		r->last_valid = rec.last_valid_ms;
		r->last_query = rec.last_query_ms;
		if (r->last_valid)
			r->born = r->last_valid;
		due = r->last_query + next_after(r, r->status);
		if (due < now_ms)
			due = now_ms;
	}
	loop_timer_set(dns_loop, &r->tmr, due);
	return r;
}

void dns_res_put(struct dns_res *r)
{
	if (!r || --r->refs > 0)
		return;
	r->dead = 1;
	loop_timer_del(dns_loop, &r->tmr);
	list_del(&r->link);
	maybe_free(r);
}

void dns_res_kick(struct dns_res *r)
{
	if (r->running || r->dead)
		return;
	if (!ev_timer_armed(&r->tmr) || r->tmr.when > now_ms)
		loop_timer_set(dns_loop, &r->tmr, now_ms);
}

/* ---- a round ------------------------------------------------------------------ */

static int rank(int st)
{
	static const int order[] = { [DNS_ST_NONE] = 0, [DNS_ST_TIMEOUT] = 1, [DNS_ST_OTHER] = 2,
				     [DNS_ST_REFUSED] = 3, [DNS_ST_NX] = 4, [DNS_ST_VALID] = 5 };

	return order[st];
}

static void conclude(struct dns_res *r, int status, struct dns_result *got, struct dns_ns_rt *nr)
{
	char by[256];
	struct list *l;

	r->running = 0;
	r->tries = 0;           /* the next resolution has all its rounds */
	r->status = status;
	r->last_status = now_ms;
	if (status == DNS_ST_VALID) {
		struct dns_result t = r->cur;

		r->cur = *got;          /* the answer replaces the last one */
		*got = t;
		result_clear(got);
		r->last_valid = now_ms;
		r->valid_ns = nr->ns;
		snprintf(by, sizeof(by), "%s/%s", r->rs->id, nr->ns->id);
	}
	shm_publish(r);
	/* the groups and slots first: an apply may drop the last user of <r>
	 * (a slot released), so <r> is held meanwhile */
	r->refs++;
	list_for_each(l, &r->groups) {
		struct dns_group *g = list_entry(l, struct dns_group, link);

		if (status == DNS_ST_VALID)
			dns_group_apply(g, by, now_ms);
		else
			dns_group_fail(g, now_ms);
	}
	if (status == DNS_ST_VALID)
		dns_slots_apply(r, by, now_ms);
	else
		dns_slots_fail(r, now_ms);
	if (!r->dead)
		loop_timer_set(dns_loop, &r->tmr, now_ms + next_after(r, status));
	dns_res_put(r);
}

static int round_busy(const struct dns_res *r)
{
	for (int i = 0; i < r->rs->nns; i++)
		if (r->nsr[i].pending)
			return 1;
	return 0;
}

static void round_failed(struct dns_res *r)
{
	int st = r->last_err ? r->last_err : DNS_ST_TIMEOUT;

	if (st != DNS_ST_NX && --r->tries > 0) {
		/* once more, `timeout retry` after the last round started */
		uint64_t at = r->round_start + r->rs->timeout_retry;

		r->running = 0;
		loop_timer_set(dns_loop, &r->tmr, at > now_ms ? at : now_ms);
		return;
	}
	conclude(r, st, NULL, NULL);
}

/* One nameserver has all its answers for the round. */
static void ns_done(struct dns_res *r, int i)
{
	struct dns_nsr *x = &r->nsr[i];

	if (x->status == DNS_ST_VALID) {
		conclude(r, DNS_ST_VALID, &x->got, r->rs->rt->nr[i]);
		return;
	}
	result_clear(&x->got);
	if (rank(x->status) > rank(r->last_err) || r->last_err == DNS_ST_NONE)
		r->last_err = x->status;
	if (!round_busy(r))
		round_failed(r);
}

static void query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_q *q = arg;
	struct dns_res *r = q->r;
	struct dns_ns_rt *nr = q->nr;
	struct dns_ns_ctr *c = &nr->ns->ctr;
	struct dns_msg m;
	int st, p = -1, i = nr->idx;

	(void)timeouts;
	memset(&m, 0, sizeof(m));
	/* r->pending drops at the end: nothing below can free <r> meanwhile */
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
		goto out;
	if (abuf && alen > 0) {
		p = dns_msg_parse(abuf, (size_t)alen, -1, r->name, q->qtype, 65535, &m);
		dns_io_forget(nr, r->name, q->qtype, m.id);
	} else {
		dns_io_forget(nr, r->name, q->qtype, -1);
	}
	if (r->dead || !r->running || q->round != r->round) {
		if (p >= 0)
			c->outdated++;      /* another nameserver answered first, or too late */
		goto out;
	}
	switch (p) {
	case DNS_P_OK:
		if (m.cname)
			c->cname++;
		if (m.cname_error)
			c->cname_error++;
		if (m.nitems) {
			c->valid++;
			st = DNS_ST_VALID;
		} else {
			c->any_err++;       /* the name has no record of that type */
			st = DNS_ST_NX;
		}
		break;
	case DNS_P_NX:        c->nx++; st = DNS_ST_NX; break;
	case DNS_P_REFUSED:   c->refused++; st = DNS_ST_REFUSED; break;
	case DNS_P_OTHER:     c->other++; st = DNS_ST_OTHER; break;
	case DNS_P_TRUNCATED: c->truncated++; st = DNS_ST_OTHER; break;
	case DNS_P_TOO_BIG:   c->too_big++; st = DNS_ST_OTHER; break;
	case DNS_P_INVALID:
	case DNS_P_MISMATCH:  c->invalid++; st = DNS_ST_OTHER; break;
	default:              /* no answer */
		if (status == ARES_ETIMEOUT) {
			c->timeout++;
			st = DNS_ST_TIMEOUT;
		} else if (status == ARES_ECONNREFUSED) {
			c->snd_error++;     /* could not be sent (c-ares' status for it), or TCP refused */
			st = DNS_ST_TIMEOUT;
		} else {
			c->other++;
			st = DNS_ST_OTHER;
		}
		break;
	}
	if (st == DNS_ST_VALID)
		result_add(&r->nsr[i].got, &m);
	if (rank(st) > rank(r->nsr[i].status))
		r->nsr[i].status = st;
	if (--r->nsr[i].pending == 0 && !r->nsr[i].status)
		r->nsr[i].status = DNS_ST_OTHER;
	if (!r->nsr[i].pending)
		ns_done(r, i);
out:
	dns_msg_free(&m);
	free(q);
	r->pending--;
	maybe_free(r);
}

static void round_start(struct dns_res *r)
{
	static const int host_types[] = { DNS_T_A, DNS_T_AAAA }, srv_types[] = { DNS_T_SRV };
	const int *types = r->kind == DNS_K_SRV ? srv_types : host_types;
	int ntypes = r->kind == DNS_K_SRV ? 1 : 2;
	struct resolvers *rs = r->rs;

	if (r->tries <= 0)
		r->tries = rs->resolve_retries > 0 ? rs->resolve_retries : 1;
	r->running = 1;
	r->round++;
	r->round_start = r->last_query = now_ms;
	r->last_err = DNS_ST_NONE;
	/* every nameserver's count first: an answer c-ares hands over at
	 * once must not end a round that is still being sent */
	for (int i = 0; i < rs->nns; i++) {
		result_clear(&r->nsr[i].got);
		r->nsr[i].status = DNS_ST_NONE;
		r->nsr[i].pending = rs->rt->nr[i]->ok ? ntypes : 0;
	}
	r->refs++;   /* held while queries go out (a callback may run now) */
	for (int i = 0; i < rs->nns; i++) {
		struct dns_ns_rt *nr = rs->rt->nr[i];

		if (!nr->ok) {
			nr->ns->ctr.snd_error++;
			continue;
		}
		for (int t = 0; t < ntypes; t++) {
			struct dns_q *q = malloc(sizeof(*q));

			if (!q) {
				/* out of memory: this query counts as failed */
				if (!--r->nsr[i].pending && !r->nsr[i].status)
					r->nsr[i].status = DNS_ST_OTHER;
				continue;
			}
			*q = (struct dns_q){ r, nr, types[t], r->round };
			r->pending++;
			dns_io_query(nr, r->name, types[t], query_cb, q);
		}
	}
	/* nothing went out (no usable nameserver): a failed round */
	if (r->running && !round_busy(r)) {
		for (int i = 0; i < rs->nns; i++)
			if (!r->nsr[i].status)
				r->nsr[i].status = DNS_ST_TIMEOUT;
		r->last_err = r->last_err ? r->last_err : DNS_ST_TIMEOUT;
		round_failed(r);
	}
	dns_res_put(r);
}

/* ---- the worker module --------------------------------------------------------- */

int dns_start(struct cfg *cfg)
{
	struct list *l, *pl, *sl;

	dns_loop = this_loop;
	dns_cfg = cfg;
	if (list_empty(&cfg->resolvers))
		return 0;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		log_event(LL_ALERT, "DNS resolution: cannot initialise c-ares.");
		return -1;
	}
	list_for_each(l, &cfg->resolvers) {
		struct resolvers *rs = list_entry(l, struct resolvers, link);
		struct list *nl;
		int i = 0;

		if (!(rs->rt = calloc(1, sizeof(*rs->rt))) ||
		    !(rs->rt->nr = calloc((size_t)(rs->nns ? rs->nns : 1), sizeof(*rs->rt->nr))))
			goto oom;
		list_init(&rs->rt->res);
		list_for_each(nl, &rs->nameservers) {
			struct dns_nameserver *ns = list_entry(nl, struct dns_nameserver, link);
			struct dns_ns_rt *nr = calloc(1, sizeof(*nr));

			if (!nr)
				goto oom;
			nr->ns = ns;
			nr->rs = rs;
			nr->idx = i;
			ns->rt = nr;
			rs->rt->nr[i++] = nr;
			dns_io_open(nr);   /* a failure is logged; the nameserver counts as silent */
		}
	}
	running = 1;
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		if (!(px->cap & PR_CAP_BE) || px->disabled)
			continue;
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);

			if (s->resolvers && s->hostname && dns_srv_attach(s) < 0)
				goto oom;
		}
	}
	return 0;
oom:
	log_event(LL_ALERT, "DNS resolution: out of memory.");
	dns_stop();
	return -1;
}

void dns_stop(void)
{
	struct list *l, *pl, *sl;

	if (!dns_cfg || list_empty(&dns_cfg->resolvers))
		return;
	running = 0;
	/* servers first: they forget their groups and target resolutions */
	list_for_each(pl, &dns_cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(sl, &px->servers)
			dns_srv_detach(list_entry(sl, struct server, link));
	}
	list_for_each(l, &dns_cfg->resolvers) {
		struct resolvers *rs = list_entry(l, struct resolvers, link);

		if (!rs->rt)
			continue;
		for (int i = 0; i < rs->nns; i++)
			if (rs->rt->nr[i]) {
				dns_io_close(rs->rt->nr[i]);   /* queries in flight end here */
				rs->rt->nr[i]->ns->rt = NULL;
				free(rs->rt->nr[i]);
			}
		/* every resolution lost its users with the servers */
		while (!list_empty(&rs->rt->res)) {
			struct dns_res *r = list_entry(rs->rt->res.next, struct dns_res, link);

			r->refs = 1;
			dns_res_put(r);
		}
		free(rs->rt->nr);
		free(rs->rt);
		rs->rt = NULL;
	}
	ares_library_cleanup();
	dns_cfg = NULL;
}
