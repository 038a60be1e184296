/* Idle server connections, kept per thread and per server so that taking
 * or parking one never needs a lock. An idle connection stays registered
 * in epoll: if the server closes it (or sends anything: junk), it is
 * dropped at once, before a request can be sent into a dead socket. */
#include <stdlib.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/conn.h>
#include <tandem/loop.h>
#include <tandem/server.h>
#include <tandem/worker.h>

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

	if (list_empty(&t->idle))
		return NULL;
	/* most recently parked first: the least likely to be closed by the server */
	c = list_entry(t->idle.next, struct conn, link);
	list_del(&c->link);
	t->nidle--;
	c->flags &= ~CF_IDLE;
	return c;
}

int srv_put_idle(struct conn *c, unsigned max_idle)
{
	struct srv_thr *t = &c->srv->thr[this_thr->id];

	/* a server in maintenance keeps no idle connection: `del server`
	 * waits for none, and `maint` means no traffic at all */
	if ((unsigned)t->nidle >= max_idle || (c->flags & (CF_EOF | CF_ERROR | CF_CLOSED)) || c->in.data ||
	    (__atomic_load_n(&c->srv->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT))
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
				    !(__atomic_load_n(&s->admin, __ATOMIC_RELAXED) & SRV_ADMF_MAINT))
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
