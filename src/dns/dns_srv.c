/* What answers do to servers. Every change goes through
 * src/backend/srv_admin.c (the address under its sequence lock, weights,
 * maintenance by resolution), as `set server` does, so the traffic threads
 * see a server whole and the load balancer's publication follows.
 *
 * The servers of a backend that share a name form a group (a
 * server-template's slots, or servers written with the same name); a
 * group is given the addresses of one answer at once, so that:
 *   - a server keeps its address while the answer holds it (and it is the
 *     best family and network for it): scaling never moves the others;
 *   - two servers of a group get the same address only with
 *     `resolve-opts allow-dup-ip` (HAProxy's rule);
 *   - a server that gets no address enters maintenance by resolution
 *     (RMAINT: no new request; requests in flight finish, as in a drain)
 *     and leaves it, with a fresh health state, when one comes.
 * SRV slots are bound to records (target and port): a slot keeps its
 * record while the answers hold it (or for `hold obsolete`), new records
 * fill free slots, and a record's address comes from the additional
 * section or from the target's own resolution. A mass change of the set
 * therefore frees the old slots and fills them in the same pass: nothing
 * stays stuck until a reload.
 * A resolution that fails (timeout, refused, SERVFAIL, NXDOMAIN) changes
 * nothing until its `hold` has passed since the last valid answer: one
 * lost answer never takes a server out. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include <tandem/srv_admin.h>
#include "dns_int.h"

/* ---- addresses ------------------------------------------------------------------ */

const char *dns_addr_str(const struct dns_addr *a, char *buf, size_t len)
{
	if (!a->af || !inet_ntop(a->af, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "(none)");
	return buf;
}

static int net_match(const struct srv_net *n, const struct dns_addr *a)
{
	int bits = n->bits;

	if (n->af != a->af)
		return 0;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->a[i] & m) != (n->a[i] & m))
			return 0;
	}
	return 1;
}

int dns_addr_score(const struct server *s, const struct dns_addr *a)
{
	int prefer = s->resolve_prefer ? s->resolve_prefer : AF_INET6, sc = 0;

	if (a->af == prefer)
		sc += 8;
	for (int i = 0; i < s->n_resolve_net; i++)
		if (net_match(&s->resolve_net[i], a)) {
			sc += 4;
			break;
		}
	return sc;
}

/* The address and port of <s> now (af 0: none). */
static void cur_addr(const struct server *s, struct dns_addr *a, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	srv_addr_get(s, &ss, &len);
	memset(a, 0, sizeof(*a));
	*port = 0;
	if (ss.ss_family == AF_INET) {
		a->af = AF_INET;
		memcpy(a->a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		a->af = AF_INET6;
		memcpy(a->a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
}

static int same_addr(const struct dns_addr *x, const struct dns_addr *y)
{
	return x->af && x->af == y->af && !memcmp(x->a, y->a, x->af == AF_INET ? 4 : 16);
}

int dns_pick(const struct server *s, const struct dns_addr *c, int n, const unsigned char *taken)
{
	struct dns_addr cur;
	int port, best = -1, best_sc = -1, dup = -1, dup_sc = -1;

	cur_addr(s, &cur, &port);
	for (int i = 0; i < n; i++) {
		/* the address it has wins a tie: no move without a reason */
		int sc = dns_addr_score(s, &c[i]) * 2 + same_addr(&cur, &c[i]);

		if (taken && taken[i]) {
			if (sc > dup_sc) {
				dup = i;
				dup_sc = sc;
			}
		} else if (sc > best_sc) {
			best = i;
			best_sc = sc;
		}
	}
	if (best >= 0)
		return best;
	return (s->resolve_opts & SRV_RSLV_ALLOW_DUP_IP) ? dup : -1;
}

static const char *shown_name(const struct server *s)
{
	if (s->dns && s->dns->target[0])
		return s->dns->target;
	return s->hostname ? s->hostname : "-";
}

/* Give <s> address <a> and <port>; 1 when it changed. Logs HAProxy's line.
 * A server that was DOWN may be a new instance there: its health starts
 * afresh (one passed check brings it UP) and it is checked at once; one
 * that was UP keeps its state and is checked at once too. (Leaving
 * maintenance renews the health as well, see rmaint_off.) */
static int set_addr(struct server *s, const struct dns_addr *a, int port, const char *by)
{
	struct sockaddr_storage ss;
	struct dns_addr cur;
	char o[INET6_ADDRSTRLEN + 8], n[INET6_ADDRSTRLEN + 8];
	int cport, was_down;
	socklen_t len;

	cur_addr(s, &cur, &cport);
	if (same_addr(&cur, a) && cport == port)
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (a->af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->a, 4);
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->a, 16);
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	}
	was_down = __atomic_load_n(&s->state, __ATOMIC_RELAXED) == SRV_ST_STOPPED;
	srv_addr_set(s, &ss, len);
	srv_health_renew(s, was_down);
	if (!same_addr(&cur, a))
		log_event(LL_NOTICE, "%s/%s changed its IP from %s to %s by %s.", s->be->id, s->id,
			  dns_addr_str(&cur, o, sizeof(o)), dns_addr_str(a, n, sizeof(n)), by);
	else
		log_event(LL_NOTICE, "%s/%s changed its port from %d to %d by %s.", s->be->id, s->id, cport, port, by);
	return 1;
}

/* Maintenance by resolution. The server keeps its last address (HAProxy
 * clears it): a request that was given this server just before keeps a
 * valid destination and finishes there, like a drain; no new one comes. */
static void rmaint_on(struct server *s, const char *cause)
{
	s->dns->cause = cause;
	srv_set_rmaint(s, cause);
}

/* Out of it: whoever answers there now was never checked, so its health
 * starts afresh (and it is checked at once) before it takes traffic. */
static void rmaint_off(struct server *s)
{
	s->dns->cause = NULL;
	if (!(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT))
		return;
	srv_health_renew(s, 1);
	srv_clr_rmaint(s, shown_name(s));
}

/* The A/AAAA records of a result (answer section, or the additional
 * records of <name> when not NULL) into <c> (malloc'd). Their number. */
static int addrs_of(const struct dns_result *x, const char *name, struct dns_addr **c)
{
	int n = 0, k;

	*c = x->n ? malloc((size_t)x->n * sizeof(**c)) : NULL;
	if (!*c)
		return 0;
	for (int i = 0; i < x->n; i++) {
		const struct dns_item *it = &x->it[i];

		if (it->type != DNS_T_A && it->type != DNS_T_AAAA)
			continue;
		if (name ? (!it->additional || strcmp(it->name, name)) : it->additional)
			continue;
		for (k = 0; k < n && !same_addr(&(*c)[k], &it->addr); k++)
			;
		if (k == n)   /* an address listed twice is one address */
			(*c)[n++] = it->addr;
	}
	return n;
}

/* ---- host names: a group shares the addresses of one answer ------------------ */

static int group_apply_host(struct dns_group *g, const char *by, uint64_t now)
{
	struct dns_res *r = g->res;
	struct dns_addr *c = NULL;
	int n = addrs_of(&r->cur, NULL, &c), changed = 0;
	unsigned char *taken = calloc((size_t)(n ? n : 1), 1), *keep = calloc((size_t)g->n, 1);

	if (!taken || !keep)
		goto out;
	/* 1. who may keep its address: still in the answer, the best for it,
	 * and not already someone else's */
	for (int i = 0; i < g->n; i++) {
		struct server *s = g->slot[i];
		struct dns_addr cur;
		int port, k = -1, best = 0;

		cur_addr(s, &cur, &port);
		if (!cur.af)
			continue;
		for (int j = 0; j < n; j++) {
			int sc = dns_addr_score(s, &c[j]);

			if (sc > best)
				best = sc;
			if (k < 0 && same_addr(&cur, &c[j]))
				k = j;
		}
		if (k >= 0) {
			/* a duplicate only when nothing else is left (pass 2) */
			if (dns_addr_score(s, &c[k]) < best || taken[k])
				continue;
			taken[k]++;
			keep[i] = 1;
			s->dns->seen_ms = now;
		} else if (now - s->dns->seen_ms < r->rs->hold_obsolete &&
			   !(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT)) {
			keep[i] = 2;   /* gone from this answer, still served for `hold obsolete` */
		}
	}
	/* 2. the others take what is left */
	for (int i = 0; i < g->n; i++) {
		struct server *s = g->slot[i];
		int k;

		if (keep[i] == 1) {
			rmaint_off(s);
			continue;
		}
		if (keep[i])
			continue;
		if ((k = dns_pick(s, c, n, taken)) >= 0) {
			taken[k]++;
			changed += set_addr(s, &c[k], s->hostport, by);
			s->dns->seen_ms = now;
			rmaint_off(s);
		} else if (!(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT)) {
			rmaint_on(s, "No IP for server");
		}
	}
out:
	free(c);
	free(taken);
	free(keep);
	return changed;
}

/* ---- SRV records: slots bound to records --------------------------------------- */

static void set_weight(struct server *s, uint16_t srv_weight)
{
	int w = (srv_weight + 255) / 256;   /* 0..65535 onto 0..256, 0 stays 0 (HAProxy's mapping) */
	const char *err;

	if (s->resolve_opts & SRV_RSLV_IGNORE_WEIGHT || w == srv_uweight_get(s))
		return;
	if ((err = srv_set_uweight(s, w))) {
		/* said once per refused weight, not at every answer */
		if (s->dns->refused_weight != w + 1)
			log_event(LL_WARNING, "%s/%s: weight %d from its SRV record not applied: %s", s->be->id, s->id, w, err);
		s->dns->refused_weight = w + 1;
	}
}

void dns_slot_unsub(struct server *s)
{
	struct dns_res *r = s->dns ? s->dns->sub : NULL;

	if (!r)
		return;
	list_del(&s->dns->sub_link);
	s->dns->sub = NULL;
	dns_res_put(r);
}

/* An SRV slot from its target's own resolution. */
static int slot_apply(struct server *s, struct dns_res *t, const char *by, uint64_t now)
{
	struct dns_addr *c = NULL;
	int n = addrs_of(&t->cur, NULL, &c), k = dns_pick(s, c, n, NULL), changed = 0;

	if (k >= 0) {
		changed = set_addr(s, &c[k], s->dns->port, by);
		s->dns->seen_ms = now;
		rmaint_off(s);
	} else if (!(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT)) {
		rmaint_on(s, "No IP for server");
	}
	free(c);
	return changed;
}

static void unbind(struct server *s)
{
	dns_slot_unsub(s);
	rmaint_on(s, "entry removed from SRV record");
	s->dns->target[0] = 0;
	s->dns->port = 0;
}

static int group_apply_srv(struct dns_group *g, const char *by, uint64_t now)
{
	struct dns_res *r = g->res;
	const struct dns_result *x = &r->cur;
	int *slot_of = calloc((size_t)(x->n ? x->n : 1), sizeof(int)), *bound = calloc((size_t)g->n, sizeof(int));
	int changed = 0, unplaced = 0;

	(void)by;   /* an SRV answer gives addresses through its additional records */
	if (!slot_of || !bound)
		goto out;
	for (int j = 0; j < x->n; j++)
		slot_of[j] = -1;
	/* records named twice are one record */
	for (int j = 0; j < x->n; j++)
		for (int k = 0; k < j; k++)
			if (x->it[j].type == DNS_T_SRV && x->it[k].type == DNS_T_SRV && x->it[j].port == x->it[k].port &&
			    !strcmp(x->it[j].name, x->it[k].name))
				slot_of[j] = -2;
	/* 1. slots whose record is still there */
	for (int i = 0; i < g->n; i++) {
		struct dns_srv *d = g->slot[i]->dns;

		if (!d->target[0])
			continue;
		for (int j = 0; j < x->n; j++)
			if (x->it[j].type == DNS_T_SRV && slot_of[j] == -1 && x->it[j].port == d->port &&
			    !strcmp(x->it[j].name, d->target)) {
				slot_of[j] = i;
				bound[i] = 1;
				d->seen_ms = now;
				set_weight(g->slot[i], x->it[j].weight);
				break;
			}
		/* 2. gone: kept for `hold obsolete`, then freed */
		if (!bound[i]) {
			if (now - d->seen_ms < r->rs->hold_obsolete &&
			    !(__atomic_load_n(&g->slot[i]->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT))
				bound[i] = 2;
			else
				unbind(g->slot[i]);
		}
	}
	/* 3. new records take free slots, in order */
	for (int j = 0; j < x->n; j++) {
		int i;

		if (x->it[j].type != DNS_T_SRV || slot_of[j] != -1)
			continue;
		for (i = 0; i < g->n && g->slot[i]->dns->target[0]; i++)
			;
		if (i == g->n) {
			unplaced++;
			continue;
		}
		log_event(LL_NOTICE, "%s/%s changed its FQDN from %s to %s by 'SRV record'.", g->be->id,
			  g->slot[i]->id, "(null)", x->it[j].name);
		snprintf(g->slot[i]->dns->target, DNS_NAME_BUF, "%s", x->it[j].name);
		g->slot[i]->dns->port = x->it[j].port;
		g->slot[i]->dns->seen_ms = now;
		slot_of[j] = i;
		bound[i] = 1;
		set_weight(g->slot[i], x->it[j].weight);
	}
	if (unplaced != g->unplaced) {
		if (unplaced)
			log_event(LL_WARNING, "backend %s: %d SRV record(s) of '%s' find no free server (the template has %d).",
				  g->be->id, unplaced, r->name, g->n);
		g->unplaced = unplaced;
	}
	/* 4. the address of each record: its additional record, or its own resolution */
	for (int i = 0; i < g->n; i++) {
		struct server *s = g->slot[i];
		struct dns_srv *d = s->dns;
		struct dns_addr *c = NULL;
		int n;

		if (bound[i] != 1)
			continue;
		n = addrs_of(x, d->target, &c);
		if (n) {
			int k = dns_pick(s, c, n, NULL);

			dns_slot_unsub(s);
			changed += set_addr(s, &c[k], d->port, "DNS additional record");
			rmaint_off(s);
		} else {
			struct dns_res *t = d->sub;

			if (!t || strcmp(t->name, d->target)) {
				dns_slot_unsub(s);
				if ((t = dns_res_get(r->rs, d->target, DNS_K_HOST))) {
					d->sub = t;
					list_add_tail(&t->slots, &d->sub_link);
				}
			}
			if (t && dns_res_fresh(t, now))
				changed += slot_apply(s, t, "DNS cache", now);
			else if (t)
				dns_res_kick(t);
		}
		free(c);
	}
out:
	free(slot_of);
	free(bound);
	return changed;
}

void dns_group_apply(struct dns_group *g, const char *by, uint64_t now)
{
	int changed = g->res->kind == DNS_K_SRV ? group_apply_srv(g, by, now) : group_apply_host(g, by, now);

	if (changed && g->res->valid_ns)
		g->res->valid_ns->ctr.update += (uint64_t)changed;
}

void dns_slots_apply(struct dns_res *r, const char *by, uint64_t now)
{
	struct list *l, *n;

	list_for_each_safe(l, n, &r->slots) {
		struct dns_srv *d = list_entry(l, struct dns_srv, sub_link);
		struct server *s = NULL;

		/* the slot's server: found through its group */
		for (int i = 0; d->grp && i < d->grp->n && !s; i++)
			if (d->grp->slot[i]->dns == d)
				s = d->grp->slot[i];
		if (s && slot_apply(s, r, by, now) && r->valid_ns)
			r->valid_ns->ctr.update++;
	}
}

/* ---- failures --------------------------------------------------------------------- */

static int still_held(const struct dns_res *r, uint64_t now)
{
	uint64_t base = r->last_valid ? r->last_valid : r->born;

	return now - base < dns_hold_of(r->rs, r->status);
}

void dns_group_fail(struct dns_group *g, uint64_t now)
{
	struct dns_res *r = g->res;

	if (still_held(r, now))
		return;
	for (int i = 0; i < g->n; i++) {
		struct server *s = g->slot[i];

		if (r->kind == DNS_K_SRV && !s->dns->target[0])
			continue;   /* a free slot is in maintenance already */
		if (!(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT))
			rmaint_on(s, dns_status_cause(r->status));
	}
}

void dns_slots_fail(struct dns_res *r, uint64_t now)
{
	struct list *l;

	if (still_held(r, now))
		return;
	list_for_each(l, &r->slots) {
		struct dns_srv *d = list_entry(l, struct dns_srv, sub_link);

		for (int i = 0; d->grp && i < d->grp->n; i++)
			if (d->grp->slot[i]->dns == d &&
			    !(__atomic_load_n(&d->grp->slot[i]->admin, __ATOMIC_RELAXED) & SRV_ADMF_RMAINT))
				rmaint_on(d->grp->slot[i], dns_status_cause(r->status));
	}
}

/* ---- servers joining and leaving resolutions -------------------------------------- */

static struct dns_srv *dsrv(struct server *s)
{
	if (!s->dns && (s->dns = calloc(1, sizeof(*s->dns))))
		list_init(&s->dns->sub_link);
	return s->dns;
}

int dns_srv_attach(struct server *s)
{
	char name[DNS_NAME_BUF];
	struct dns_srv *d = dsrv(s);
	struct dns_group *g = NULL;
	struct dns_res *r;
	struct server **ns;
	struct list *l;
	struct dns_addr cur;
	int port;

	if (!d || !s->resolvers || !s->hostname || !s->resolvers->rt)
		return d ? 0 : -1;
	dns_name_norm(s->hostname, name);
	if (!(r = dns_res_get(s->resolvers, name, name[0] == '_' ? DNS_K_SRV : DNS_K_HOST)))
		return -1;
	list_for_each(l, &r->groups)
		if (list_entry(l, struct dns_group, link)->be == s->be)
			g = list_entry(l, struct dns_group, link);
	if (g) {
		dns_res_put(r);   /* the group holds the resolution already */
	} else {
		if (!(g = calloc(1, sizeof(*g)))) {
			dns_res_put(r);
			return -1;
		}
		g->res = r;
		g->be = s->be;
		list_add_tail(&r->groups, &g->link);
	}
	if (!(ns = realloc(g->slot, (size_t)(g->n + 1) * sizeof(*ns))))
		return -1;
	g->slot = ns;
	g->slot[g->n++] = s;
	d->grp = g;
	cur_addr(s, &cur, &port);
	if (cur.af && !d->seen_ms)
		d->seen_ms = now_ms;   /* its first address counts as seen now */
	return 0;
}

void dns_srv_detach(struct server *s)
{
	struct dns_srv *d = s->dns;
	struct dns_group *g;

	if (!d)
		return;
	dns_slot_unsub(s);
	if (!(g = d->grp))
		return;
	d->grp = NULL;
	for (int i = 0; i < g->n; i++)
		if (g->slot[i] == s) {
			memmove(g->slot + i, g->slot + i + 1, (size_t)(g->n - i - 1) * sizeof(*g->slot));
			g->n--;
			break;
		}
	if (!g->n) {
		struct dns_res *r = g->res;

		list_del(&g->link);
		free(g->slot);
		free(g);
		dns_res_put(r);
	}
}

const char *dns_set_fqdn(struct server *s, const char *fqdn, char *msg, size_t len)
{
	char name[DNS_NAME_BUF], *copy;
	struct dns_srv *d;

	if (!fqdn || !*fqdn)
		return "set server <b>/<s> fqdn requires a FQDN.";
	if (!s->resolvers)
		return "set server <b>/<s> fqdn failed because no resolution is configured.";
	if (s->hostname && s->hostname[0] == '_')
		return "set server <b>/<s> fqdn failed because SRV resolution is configured.";
	if (dns_name_valid(fqdn) < 0 || fqdn[0] == '_') {
		snprintf(msg, len, "invalid fqdn '%s'", fqdn);
		return msg;
	}
	dns_name_norm(fqdn, name);
	if (s->hostname && !strcmp(s->hostname, name)) {
		snprintf(msg, len, "no need to change the FDQN by 'stats socket command'");
		return NULL;
	}
	if (!(copy = strdup(name)) || !(d = dsrv(s))) {
		free(copy);
		return "Out of memory.";
	}
	snprintf(msg, len, "%s/%s changed its FQDN from %s to %s by 'stats socket command'", s->be->id, s->id,
		 s->hostname ? s->hostname : "(null)", name);
	log_event(LL_NOTICE, "%s.", msg);
	if (dns_running())
		dns_srv_detach(s);
	free(s->hostname);
	s->hostname = copy;
	d->cli_fqdn = 1;
	d->seen_ms = now_ms;
	if (dns_running() && dns_srv_attach(s) == 0 && d->grp) {
		struct dns_res *r = d->grp->res;

		/* a name known for less than `hold valid` is used at once; else
		 * it is asked now */
		if (dns_res_fresh(r, now_ms))
			dns_group_apply(d->grp, "DNS cache", now_ms);
		else
			dns_res_kick(r);
	}
	return NULL;
}

/* ---- reload handover ---------------------------------------------------------------- */

static const char *const causes[] = {
	NULL, "No IP for server", "entry removed from SRV record", "DNS NX status", "DNS timeout status",
	"DNS refused status", "unspecified DNS error",
};

void dns_handover_fill(const struct server *s, struct shm_srv *rec)
{
	const struct dns_srv *d = s->dns;
	struct dns_addr a;
	int port;

	cur_addr(s, &a, &port);
	rec->addr.af = a.af;
	rec->addr.port = (uint16_t)port;
	memcpy(rec->addr.a, a.a, sizeof(a.a));
	if (!s->hostname)
		rec->fqdn = (struct shm_ref){ 0, 0 };
	else if (!shm_eq(rec->fqdn, s->hostname) && shm_put(s->hostname, strlen(s->hostname), &rec->fqdn) < 0)
		rec->fqdn = (struct shm_ref){ 0, 0 };
	rec->dns = s->resolvers && s->hostname && d;
	if (!d)
		return;
	if (!d->target[0])
		rec->target = (struct shm_ref){ 0, 0 };
	else if (!shm_eq(rec->target, d->target) && shm_put(d->target, strlen(d->target), &rec->target) < 0)
		rec->dns = 0;   /* no room: the next worker starts afresh */
	rec->dns_port = d->port;
	rec->dns_seen_ms = d->seen_ms;
	rec->fqdn_cli = d->cli_fqdn;
	rec->dns_cause = 0;
	for (size_t i = 1; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (d->cause && !strcmp(d->cause, causes[i]))
			rec->dns_cause = (int)i;
}

void dns_handover_import(struct server *s, const struct shm_srv *rec)
{
	const char *fq = shm_get(rec->fqdn), *tg;
	struct dns_srv *d;
	struct sockaddr_storage ss;
	socklen_t len = 0;

	if (!s->resolvers || !s->hostname || !rec->dns || !fq)
		return;
	if (rec->fqdn_cli && s->hostname[0] != '_' && fq[0] != '_' && strcmp(fq, s->hostname)) {
		char *copy = strdup(fq);   /* `set server fqdn` outlives the reload */

		if (!copy)
			return;
		free(s->hostname);
		s->hostname = copy;
	} else if (strcmp(fq, s->hostname)) {
		return;   /* another name in this configuration: it starts afresh */
	}
	if (!(d = dsrv(s)))
		return;
	d->cli_fqdn = rec->fqdn_cli;
	d->seen_ms = rec->dns_seen_ms;
	d->port = rec->dns_port;
	tg = shm_get(rec->target);
	snprintf(d->target, sizeof(d->target), "%s", tg ? tg : "");
	d->cause = rec->dns_cause > 0 && (size_t)rec->dns_cause < sizeof(causes) / sizeof(causes[0]) ?
		   causes[rec->dns_cause] : NULL;
	memset(&ss, 0, sizeof(ss));
	if (rec->addr.af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, rec->addr.a, 4);
		sin->sin_port = htons(rec->addr.port);
		len = sizeof(*sin);
	} else if (rec->addr.af == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, rec->addr.a, 16);
		sin6->sin6_port = htons(rec->addr.port);
		len = sizeof(*sin6);
	}
	/* nothing runs yet: plain stores, no log (the server goes on) */
	srv_addr_set(s, &ss, len);
	if (rec->admin & SRV_ADMF_RMAINT)
		__atomic_fetch_or(&s->admin, SRV_ADMF_RMAINT, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&s->admin, ~SRV_ADMF_RMAINT, __ATOMIC_RELAXED);
}
