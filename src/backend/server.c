/* Idle server connections, kept per thread and per server so that taking
 * or parking one never needs a lock. An idle connection stays registered
 * in epoll: if the server closes it (or sends anything: junk), it is
 * dropped at once, before a request can be sent into a dead socket.
 *
 * A server's address may change at run time (`set server addr`, DNS):
 * server.addr_gen counts the changes, and a pooled connection remembers
 * the count it was found connected to (checked once, when it is first
 * pooled). Connections to an older address are never taken again and are
 * closed by their thread's next purge (every second). */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/conn.h>
#include <tandem/loop.h>
#include <tandem/server.h>
#include <tandem/srv_admin.h>
#include <tandem/worker.h>

static unsigned gen_now(const struct server *s)
{
	return __atomic_load_n(&s->addr_gen, __ATOMIC_ACQUIRE) + 1;
}

/* Is <c> connected to the current address of its server? Learnt once per
 * connection (one getpeername), then remembered as a generation. */
static int conn_current(struct conn *c)
{
	struct sockaddr_storage peer, want;
	socklen_t pl = sizeof(peer), wl;
	unsigned gen = gen_now(c->srv);

	if (c->srv_gen)
		return c->srv_gen == gen;
	srv_addr_get(c->srv, &want, &wl);
	if (getpeername(c->io.fd, (struct sockaddr *)&peer, &pl) < 0 || peer.ss_family != want.ss_family)
		return 0;
	if (peer.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&peer, *b = (const void *)&want;

		if (a->sin_port != b->sin_port || a->sin_addr.s_addr != b->sin_addr.s_addr)
			return 0;
	} else if (peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&peer, *b = (const void *)&want;

		if (a->sin6_port != b->sin6_port || memcmp(&a->sin6_addr, &b->sin6_addr, 16))
			return 0;
	}
	/* the generation read before the address: a change meanwhile makes
	 * this stamp old, never a stale connection current */
	c->srv_gen = gen;
	return 1;
}

int srv_init_threads(struct cfg *cfg, int nbthread)
{
	struct list *pl, *sl;

	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);
			int i;

			s->thr = calloc((size_t)nbthread, sizeof(*s->thr));
			if (!s->thr)
				return -1;
			for (i = 0; i < nbthread; i++)
				list_init(&s->thr[i].idle);
		}
	}
	return 0;
}

static void idle_io_cb(struct ev_io *io, uint32_t ev)
{
	struct conn *c = io->ctx;
	struct server *s = c->srv;

	if (c->flags & CF_CLOSED)
		return;
	/* Writable again is no news for an idle connection (its last request
	 * left the socket buffer); anything to read, a close or an error means
	 * it is gone or broken: bytes from an idle server are never read as
	 * the answer to somebody's next request. */
	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	list_del(&c->link);
	s->thr[this_thr->id].nidle--;
	conn_free_deferred(c);
}

struct conn *srv_take_idle(struct server *s)
{
	struct srv_thr *t = &s->thr[this_thr->id];
	struct conn *c;

	while (!list_empty(&t->idle)) {
		/* most recently parked first: the least likely to be closed by the server */
		c = list_entry(t->idle.next, struct conn, link);
		list_del(&c->link);
		t->nidle--;
		if (c->srv_gen != gen_now(s)) {
			conn_free_deferred(c);   /* to an address the server no longer has */
			continue;
		}
		if (!conn_quiet(c)) {
			conn_free_deferred(c);   /* late bytes or a close not dispatched yet */
			continue;
		}
		c->flags &= ~CF_IDLE;
		return c;
	}
	return NULL;
}

int srv_put_idle(struct conn *c, unsigned max_idle)
{
	struct srv_thr *t = &c->srv->thr[this_thr->id];

	/* a server in maintenance keeps no idle connection: `del server`
	 * waits for none, and `maint` means no traffic at all */
	if ((unsigned)t->nidle >= max_idle || (c->flags & (CF_EOF | CF_ERROR | CF_CLOSED | CF_PRIVATE)) || c->in.data ||
	    (__atomic_load_n(&c->srv->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT) || !conn_current(c))
		return -1;
	buf_release(&c->in);
	c->strm = NULL;
	c->flags |= CF_IDLE;
	c->idle_since = now_ms;
	c->io.cb = idle_io_cb;
	c->io.ctx = c;
	list_add(&t->idle, &c->link);
	t->nidle++;
	return 0;
}

void srv_purge_idle(struct cfg *cfg, uint64_t age_ms)
{
	struct list *pl, *sl, *cl, *n;

	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);
			struct srv_thr *t;

			if (!s->thr)
				continue;
			t = &s->thr[this_thr->id];
			list_for_each_safe(cl, n, &t->idle) {
				struct conn *c = list_entry(cl, struct conn, link);
				if (age_ms && now_ms - c->idle_since < age_ms &&
				    !(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT) &&
				    c->srv_gen == gen_now(s))
					continue;
				list_del(&c->link);
				t->nidle--;
				conn_free_deferred(c);
			}
		}
	}
}

void (*srv_gone_cb)(struct server *s);

void srv_note_gone(struct server *s)
{
	if (srv_gone_cb)
		srv_gone_cb(s);
}

void srv_note_up(struct server *s)
{
	/* HAProxy: only an active server that can take traffic (weight > 0,
	 * not in maintenance) shuts the backups' sessions down */
	if (s->backup || !__atomic_load_n(&s->eweight, __ATOMIC_RELAXED) ||
	    (__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT) ||
	    __atomic_load_n(&s->state, __ATOMIC_RELAXED) == SRV_ST_STOPPED)
		return;
	__atomic_add_fetch(&s->be->bkp_kill_gen, 1, __ATOMIC_RELEASE);
	if (srv_gone_cb)
		srv_gone_cb(s);
}
