/* Stick table synchronisation: HAProxy's peers protocol ("HAProxyS 2.1"),
 * in a thread of the master (like VRRP), so that a node that takes over
 * the virtual address (VRRP) or the traffic (a load balancer in front)
 * knows the other's stickiness and rate counters. doc/persistence.md
 * describes the behaviour; peers_msg.c the messages.
 *
 * Why the master: the tables live in memory the master maps before it
 * forks (table.c), so this thread reads what the workers wrote and writes
 * what the peers send without any handover, and a reload (a new worker)
 * does not touch the peer sessions.
 *
 * Sessions. Each `peers` section names this node (the local peer: the
 * `localpeer` name, else the host name), whose address is listened on, and
 * the others, which are connected to. Both sides connect; an accepted
 * session from a peer replaces the one already there (HAProxy's rule), and
 * a peer that fails is tried again after 50 ms to 2 s (random, so two
 * nodes do not keep crossing). A session carries, each way:
 *   - table definitions (once per session and table) and entry updates;
 *   - RESYNCREQ: "send me everything" (sent once per peer after start:
 *     a node that (re)starts learns the tables of the running one), answered
 *     by every entry then RESYNCFINISHED, itself confirmed (RESYNCCONFIRM);
 *   - acknowledgements of updates, and a heartbeat after 3 s without
 *     traffic; a session that received nothing for 5 s is closed.
 *
 * Local updates. Every change a worker makes to an entry is queued in the
 * table's update ring (table.c); each peer has its own position in it,
 * kept across disconnections: a peer that comes back gets what changed
 * meanwhile, or the whole table when it fell more than a ring behind.
 * Updates learned from a peer are not queued (not sent back).
 *
 * Reload: when the peers sections and the tables they share did not
 * change (same mappings), the thread goes on untouched; otherwise it is
 * restarted on the new configuration (sessions reconnect, resync). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/peers.h>
#include <tandem/proxy-t.h>
#include <tandem/stick.h>
#include "peers_int.h"

#define TICK_MS        50      /* pushes, heartbeats and reconnections are looked at this often */
#define HEARTBEAT_MS   3000
#define DEAD_MS        5000    /* nothing received for this long: the session is closed */
#define CONNECT_MS     5000
#define TEACH_BUDGET   4096    /* entries per tick and session during a full push */
#define OUT_HIGH       (256 * 1024)   /* stop producing while this much waits for the socket */
#define MAX_TABS       64      /* tables per peers section */
#define MAX_RTABS      64      /* tables a peer may define in one session */

/* A table shared over a peers section, as this thread sees it: a copy of
 * its definition, so it outlives the configuration it came from. */
struct ptab {
	struct stk_conf  conf;
	struct stk_table t;
	uint32_t         id;        /* our id for it (definitions, switches) */
};

struct rtab {
	uint32_t      id;
	struct pm_def def;
	int           usable;
	int           local;        /* index of our table of the same name and key, -1 none */
	uint32_t      last_id;      /* the last update id received */
	uint32_t      acked;        /* the last acknowledged */
};

enum { PS_IDLE = 0, PS_CONNECTING, PS_WAIT_STATUS, PS_WAIT_HELLO, PS_ESTAB };

struct ppeer {
	struct ppeer  *next;               /* accepted connections not identified yet (pgroup.pend) */
	struct pgroup *g;
	char           name[64];
	struct sockaddr_storage addr;
	socklen_t      addrlen;
	int            fd;
	struct ev_io   io;
	int            state;
	int            outgoing;
	uint8_t       *in, *out;
	size_t         in_len, in_cap, out_len, out_cap;
	uint64_t       last_rx, last_tx, retry_at, conn_deadline;
	/* what we send */
	uint64_t       pos[MAX_TABS];      /* our position in each table's update ring */
	uint8_t        lagged[MAX_TABS];   /* fell a ring behind: send the whole table */
	uint64_t       defined;            /* tables defined in this session */
	int            cur_tab;            /* the table of the last update sent, -1 none */
	uint32_t       upd_id;
	int            teach;              /* a full push is in progress (asked: RESYNCFINISHED at its end) */
	int            teach_asked;
	int            teach_tab;
	uint32_t       teach_pos;
	int            learned;            /* RESYNCREQ sent once since start */
	/* what we receive */
	struct rtab    rt[MAX_RTABS];
	int            nrt, cur_rt;
};

struct pgroup {
	char           name[64];
	char           local[64];
	struct sockaddr_storage laddr;
	socklen_t      laddrlen;
	int            lfd;
	struct ev_io   lio;
	struct ppeer  *peer;
	int            npeer;
	struct ppeer  *pend;      /* accepted, waiting for their hello */
	struct ptab   *tab[MAX_TABS];
	int            ntab;
};

static struct {
	int             running;
	pthread_t       th;
	struct loop     loop;
	struct ev_timer tick;
	struct pgroup  *g;
	int             ng;
	char           *sig;      /* what the configuration was (peers_reload compares) */
	uint8_t        *scratch;  /* one message being built */
} P;

/* ---- output ---- */

static int out_room(struct ppeer *p, size_t n)
{
	if (p->out_len + n <= p->out_cap)
		return 0;
	size_t cap = p->out_cap ? p->out_cap : 16384;
	uint8_t *o;

	while (cap < p->out_len + n)
		cap *= 2;
	if (!(o = realloc(p->out, cap)))
		return -1;
	p->out = o;
	p->out_cap = cap;
	return 0;
}

static void out_put(struct ppeer *p, const void *d, size_t n)
{
	if (n && out_room(p, n) == 0) {
		memcpy(p->out + p->out_len, d, n);
		p->out_len += n;
	}
}

/* A message: class, type, and for types >= 128 the length and payload. */
static void send_msg(struct ppeer *p, int cls, int type, const uint8_t *data, size_t len)
{
	uint8_t h[12];
	size_t n = 0;

	h[n++] = (uint8_t)cls;
	h[n++] = (uint8_t)type;
	if (type >= 128)
		n += pm_enc(len, h + n);
	out_put(p, h, n);
	if (len)
		out_put(p, data, len);
}

static void flush_out(struct ppeer *p);

static void peer_close(struct ppeer *p, const char *why)
{
	if (p->fd < 0)
		return;
	if (p->state == PS_ESTAB)
		log_event(LL_NOTICE, "peers %s: session with peer '%s' closed (%s).", p->g->name, p->name, why);
	loop_io_del(&P.loop, &p->io);
	close(p->fd);
	p->fd = -1;
	p->state = PS_IDLE;
	p->in_len = p->out_len = 0;
	p->teach = 0;
	/* not at once: the other side may be connecting to us */
	p->retry_at = now_ms + 50 + (uint64_t)(random() % 2000);
}

/* ---- sending updates ---- */

/* Make <tab> the table of the next updates (define it once per session). */
static void select_tab(struct ppeer *p, int tab)
{
	struct ptab *pt = p->g->tab[tab];
	uint8_t b[16];

	if (p->cur_tab == tab)
		return;
	if (!(p->defined >> tab & 1)) {
		size_t n = pm_def_build(&pt->t, pt->id, P.scratch);

		send_msg(p, PM_STKT, PM_DEFINE, P.scratch, n);
		p->defined |= 1ull << tab;
	} else {
		send_msg(p, PM_STKT, PM_SWITCH, b, pm_enc(pt->id, b));
	}
	p->cur_tab = tab;
}

static void send_entry(struct ppeer *p, int tab, struct stk_ent *e)
{
	struct ptab *pt = p->g->tab[tab];
	size_t n;

	select_tab(p, tab);
	n = pm_upd_build(&pt->t, e, ++p->upd_id, (uint32_t)now_ms, P.scratch);
	send_msg(p, PM_STKT, PM_UPDATE, P.scratch, n);
}

struct teach_arg { struct ppeer *p; int tab; unsigned sent; };

static int teach_one(struct stk_table *t, struct stk_ent *e, void *arg)
{
	struct teach_arg *a = arg;

	(void)t;
	send_entry(a->p, a->tab, e);
	a->sent++;
	return 0;
}

/* Part of a full push: <budget> entries, table after table. */
static void teach_step(struct ppeer *p)
{
	unsigned budget = TEACH_BUDGET;

	while (p->teach && budget && p->out_len < OUT_HIGH) {
		struct teach_arg a = { p, p->teach_tab, 0 };

		if (p->teach_tab >= p->g->ntab) {
			p->teach = 0;
			if (p->teach_asked)
				send_msg(p, PM_CTRL, PM_RESYNCFINISHED, NULL, 0);
			p->teach_asked = 0;
			break;
		}
		if (stk_walk(&p->g->tab[p->teach_tab]->t, &p->teach_pos, budget, now_ms, teach_one, &a)) {
			p->teach_tab++;
			p->teach_pos = 0;
		}
		budget = budget > a.sent + 1 ? budget - a.sent - 1 : 0;
	}
}

static void start_teach(struct ppeer *p, int asked)
{
	p->teach = 1;
	p->teach_asked |= asked;
	p->teach_tab = 0;
	p->teach_pos = 0;
}

/* What the workers changed since this peer's last position. */
static void push_updates(struct ppeer *p)
{
	for (int i = 0; i < p->g->ntab && p->out_len < OUT_HIGH; i++) {
		struct ptab *pt = p->g->tab[i];
		uint32_t idx;
		int r;

		while (p->out_len < OUT_HIGH && (r = stk_ring_next(&pt->t, &p->pos[i], &idx)) != 0) {
			struct stk_ent *e;

			if (r < 0) {
				/* the workers went a whole ring ahead: everything */
				log_event(LL_WARNING, "peers %s: peer '%s' fell behind the updates of table '%s': sending it whole.",
					  p->g->name, p->name, pt->conf.id);
				start_teach(p, 0);
				continue;
			}
			e = stk_ent(&pt->t, idx);
			stk_lock_ent(&pt->t, e);
			if ((e->flags & STK_E_USED) && !stk_expired(e, now_ms))
				send_entry(p, i, e);
			stk_unlock(&pt->t, e);
		}
	}
}

/* ---- receiving ---- */

static void send_error(struct ppeer *p, int code, const char *why)
{
	send_msg(p, PM_ERROR, code, NULL, 0);
	flush_out(p);
	peer_close(p, why);
}

static void send_acks(struct ppeer *p)
{
	for (int i = 0; i < p->nrt; i++) {
		struct rtab *r = &p->rt[i];
		uint8_t b[16];
		size_t n;
		uint32_t v;

		if (r->last_id == r->acked)
			continue;
		n = pm_enc(r->id, b);
		v = htonl(r->last_id);
		memcpy(b + n, &v, 4);
		send_msg(p, PM_STKT, PM_ACK, b, n + 4);
		r->acked = r->last_id;
	}
}

static int local_tab(const struct pgroup *g, const struct pm_def *d)
{
	for (int i = 0; i < g->ntab; i++) {
		const struct stk_conf *c = &g->tab[i]->conf;
		uint32_t kl = c->type == STK_T_STR ? c->keylen + 1 : c->keylen;

		if (strlen(c->id) == d->nlen && !memcmp(c->id, d->name, d->nlen))
			return c->type == d->type && kl == d->keylen ? i : -1;   /* same name, other key: ignored */
	}
	return -1;
}

/* One message from the peer. 0, or -1 when the session was closed. */
static int handle(struct ppeer *p, const struct pm *m)
{
	switch (m->cls) {
	case PM_CTRL:
		switch (m->type) {
		case PM_RESYNCREQ:
			start_teach(p, 1);
			return 0;
		case PM_RESYNCFINISHED:
		case PM_RESYNCPARTIAL:
			send_msg(p, PM_CTRL, PM_RESYNCCONFIRM, NULL, 0);
			log_event(LL_NOTICE, "peers %s: learned the tables of peer '%s'.", p->g->name, p->name);
			return 0;
		default:
			return 0;   /* confirm, heartbeat */
		}
	case PM_ERROR:
		peer_close(p, m->type == PM_ERR_SIZELIMIT ? "the peer found a message too big" : "protocol error reported by the peer");
		return -1;
	case PM_STKT:
		break;
	default:
		return 0;   /* an unknown class: ignored, as HAProxy does */
	}
	switch (m->type) {
	case PM_DEFINE: {
		struct pm_def d;
		int r = pm_def_parse(m->data, m->len, &d), slot;

		if (r < 0) {
			send_error(p, PM_ERR_PROTO, "malformed table definition");
			return -1;
		}
		/* a table id defined again replaces the previous one */
		for (slot = 0; slot < p->nrt && p->rt[slot].id != d.id; slot++)
			;
		if (slot == p->nrt) {
			if (p->nrt == MAX_RTABS) {
				p->cur_rt = -1;
				return 0;
			}
			p->nrt++;
		}
		p->rt[slot].id = d.id;
		p->rt[slot].def = d;
		p->rt[slot].usable = r == 0 && d.type >= 0;
		p->rt[slot].local = p->rt[slot].usable ? local_tab(p->g, &d) : -1;
		p->rt[slot].last_id = p->rt[slot].acked = 0;
		p->cur_rt = slot;
		return 0;
	}
	case PM_SWITCH: {
		const uint8_t *q = m->data;
		uint32_t id = (uint32_t)pm_dec(&q, m->data + m->len);

		if (!q) {
			send_error(p, PM_ERR_PROTO, "malformed table switch");
			return -1;
		}
		p->cur_rt = -1;
		for (int i = 0; i < p->nrt; i++)
			if (p->rt[i].id == id)
				p->cur_rt = i;
		return 0;
	}
	case PM_UPDATE:
	case PM_INCUPDATE:
	case PM_UPDATE_TIMED:
	case PM_INCUPDATE_TIMED: {
		static __thread struct pm_upd u;
		struct rtab *r = p->cur_rt >= 0 ? &p->rt[p->cur_rt] : NULL;

		if (!r || !r->usable)
			return 0;   /* a table we do not know or cannot read */
		if (pm_upd_parse(&r->def, m->type, m->data, m->len, &u) < 0) {
			send_error(p, PM_ERR_PROTO, "malformed update");
			return -1;
		}
		r->last_id = u.has_id ? u.id : r->last_id + 1;
		if (r->local >= 0)
			pm_upd_apply(&p->g->tab[r->local]->t, &r->def, &u, now_ms);
		return 0;
	}
	default:
		return 0;   /* acks (tandem resumes from its own ring position), unknown types */
	}
}

/* The "hello" of an accepted connection, then our status. */
static int read_hello(struct ppeer **pp)
{
	struct ppeer *p = *pp, *known = NULL;
	struct pgroup *g = p->g;
	char *l1, *l2, *l3, *e1, *e2, *e3, *sp;
	unsigned maj, min;
	int status = 200;

	l1 = (char *)p->in;
	if (!(e1 = memchr(l1, '\n', p->in_len)) || !(e2 = memchr(e1 + 1, '\n', p->in_len - (size_t)(e1 + 1 - l1))) ||
	    !(e3 = memchr(e2 + 1, '\n', p->in_len - (size_t)(e2 + 1 - l1)))) {
		if (p->in_len > 1024) {
			peer_close(p, "no hello");
			return -1;
		}
		return 0;
	}
	*e1 = *e2 = *e3 = 0;
	l2 = e1 + 1;
	l3 = e2 + 1;
	if (e1 > l1 && e1[-1] == '\r') e1[-1] = 0;
	if (e2 > l2 && e2[-1] == '\r') e2[-1] = 0;
	if (e3 > l3 && e3[-1] == '\r') e3[-1] = 0;
	if (strncmp(l1, PEERS_PROTO " ", sizeof(PEERS_PROTO)))
		status = 501;
	else if (sscanf(l1 + sizeof(PEERS_PROTO), "%u.%u", &maj, &min) != 2 || maj != PEERS_MAJOR || min > PEERS_MINOR)
		status = 502;
	else if (strcmp(l2, g->local))
		status = 503;
	else {
		if ((sp = strchr(l3, ' ')))
			*sp = 0;
		for (int i = 0; i < g->npeer; i++)
			if (!strcmp(g->peer[i].name, l3) && strcmp(g->peer[i].name, g->local))
				known = &g->peer[i];
		if (!known)
			status = 504;
	}
	if (status != 200) {
		char s[8];

		snprintf(s, sizeof(s), "%d\n", status);
		if (write(p->fd, s, strlen(s)) < 0) { /* nothing more to do */ }
		log_event(LL_WARNING, "peers %s: refused a session (status %d).", g->name, status);
		peer_close(p, "refused");
		return -1;
	}
	/* the accepted connection becomes the peer's session (HAProxy's rule:
	 * it replaces the one there was) */
	{
		size_t used = (size_t)(e3 + 1 - l1);
		int fd = p->fd;
		uint8_t *rest = NULL;
		size_t rl = p->in_len - used;

		if (rl && (rest = malloc(rl)))
			memcpy(rest, p->in + used, rl);
		loop_io_del(&P.loop, &p->io);
		p->fd = -1;
		p->state = PS_IDLE;
		p->in_len = p->out_len = 0;
		*pp = NULL;   /* freed with the pending list (tick) */
		if (known->fd >= 0)
			peer_close(known, "replaced by the peer's new session");
		known->fd = fd;
		known->outgoing = 0;
		ev_io_init(&known->io, fd, NULL, known);
		known->in_len = known->out_len = 0;
		if (rl && rest && out_room(known, 0) == 0) {
			if (!known->in || known->in_cap < rl) {
				free(known->in);
				known->in_cap = rl > 65536 ? rl : 65536;
				known->in = malloc(known->in_cap);
			}
			if (known->in) {
				memcpy(known->in, rest, rl);
				known->in_len = rl;
			}
		}
		free(rest);
		*pp = known;
		out_put(known, "200\n", 4);
		return 1;
	}
}

static void established(struct ppeer *p)
{
	p->state = PS_ESTAB;
	p->last_rx = p->last_tx = now_ms;
	p->defined = 0;
	p->cur_tab = -1;
	p->nrt = 0;
	p->cur_rt = -1;
	log_event(LL_NOTICE, "peers %s: session with peer '%s' established (%s).", p->g->name, p->name,
		  p->outgoing ? "connected" : "accepted");
	/* a node that has not learned since it started asks once */
	if (!p->learned) {
		send_msg(p, PM_CTRL, PM_RESYNCREQ, NULL, 0);
		p->learned = 1;
	}
}

static void io_cb(struct ev_io *io, uint32_t ev);

/* Read and handle what came. 0, -1 when closed. */
static int on_read(struct ppeer **pp)
{
	struct ppeer *p = *pp;

	for (;;) {
		ssize_t r;

		if (p->in_cap - p->in_len < 4096) {
			size_t cap = p->in_cap ? p->in_cap * 2 : 65536;
			uint8_t *n;

			if (cap > 4 * PM_MAX_LEN || !(n = realloc(p->in, cap))) {
				send_error(p, PM_ERR_SIZELIMIT, "message too big");
				return -1;
			}
			p->in = n;
			p->in_cap = cap;
		}
		r = read(p->fd, p->in + p->in_len, p->in_cap - p->in_len);
		if (r == 0) {
			peer_close(p, "closed by the peer");
			return -1;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			peer_close(p, strerror(errno));
			return -1;
		}
		p->in_len += (size_t)r;
		p->last_rx = now_ms;
		if ((size_t)r < p->in_cap - p->in_len)
			break;
	}
	if (p->state == PS_WAIT_HELLO) {
		int r = read_hello(pp);

		if (r <= 0)
			return r;
		p = *pp;
		p->io.cb = io_cb;
		loop_io_set(&P.loop, &p->io, EPOLLIN | EPOLLOUT);
		established(p);
	}
	if (p->state == PS_WAIT_STATUS) {
		uint8_t *nl = memchr(p->in, '\n', p->in_len);
		int code;
		size_t used;

		if (!nl) {
			if (p->in_len > 16) {
				peer_close(p, "bad status");
				return -1;
			}
			return 0;
		}
		code = atoi((const char *)p->in);
		used = (size_t)(nl + 1 - p->in);
		memmove(p->in, p->in + used, p->in_len - used);
		p->in_len -= used;
		if (code != 200) {
			char why[64];

			snprintf(why, sizeof(why), "the peer answered %d", code);
			log_event(LL_WARNING, "peers %s: peer '%s' refused the session (status %d).", p->g->name, p->name, code);
			peer_close(p, why);
			return -1;
		}
		established(p);
	}
	if (p->state == PS_ESTAB && p->in_len) {
		size_t at = 0;
		struct pm m;
		long n;

		while ((n = pm_next(p->in + at, p->in_len - at, &m)) > 0) {
			at += (size_t)n;
			if (handle(p, &m) < 0)
				return -1;
		}
		if (n < 0) {
			send_error(p, PM_ERR_SIZELIMIT, "message too big or malformed");
			return -1;
		}
		if (at) {
			memmove(p->in, p->in + at, p->in_len - at);
			p->in_len -= at;
		}
		send_acks(p);
	}
	return 0;
}

static void flush_out(struct ppeer *p)
{
	while (p->out_len && p->fd >= 0) {
		ssize_t w = send(p->fd, p->out, p->out_len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				peer_close(p, strerror(errno));
			return;
		}
		memmove(p->out, p->out + w, p->out_len - (size_t)w);
		p->out_len -= (size_t)w;
		p->last_tx = now_ms;
	}
}

static void io_cb(struct ev_io *io, uint32_t ev)
{
	struct ppeer *p = io->ctx;

	clock_update();
	if (p->state == PS_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			peer_close(p, strerror(err ? err : errno));
			return;
		}
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		{
			char hello[256];
			int n = snprintf(hello, sizeof(hello), PEERS_PROTO " %d.%d\n%s\n%s %d 1\n", PEERS_MAJOR, PEERS_MINOR,
					 p->name, p->g->local, (int)getpid());

			out_put(p, hello, (size_t)n);
		}
		p->state = PS_WAIT_STATUS;
		p->last_rx = now_ms;
	}
	if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && on_read(&p) < 0)
		return;
	if (p && p->fd >= 0) {
		flush_out(p);
		if (p->fd >= 0)
			loop_io_set(&P.loop, &p->io, p->out_len ? EPOLLIN | EPOLLOUT : EPOLLIN);
	}
}

/* A connection accepted on the local peer's address: its hello says who. */
static void accept_cb(struct ev_io *io, uint32_t ev)
{
	struct pgroup *g = io->ctx;

	(void)ev;
	clock_update();
	for (;;) {
		int fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		struct ppeer *p;

		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!(p = calloc(1, sizeof(*p)))) {
			close(fd);
			continue;
		}
		p->g = g;
		p->fd = fd;
		p->state = PS_WAIT_HELLO;
		p->last_rx = now_ms;
		snprintf(p->name, sizeof(p->name), "(incoming)");
		ev_io_init(&p->io, fd, io_cb, p);
		/* the hello decides which peer this is; until then a stray
		 * connection that sends nothing is closed by its deadline */
		p->conn_deadline = now_ms + CONNECT_MS;
		if (loop_io_set(&P.loop, &p->io, EPOLLIN) < 0) {
			close(fd);
			free(p);
			continue;
		}
		p->next = g->pend;
		g->pend = p;
	}
}

static void try_connect(struct ppeer *p)
{
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		p->retry_at = now_ms + 1000;
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) < 0 && errno != EINPROGRESS) {
		close(fd);
		p->retry_at = now_ms + 50 + (uint64_t)(random() % 2000);
		return;
	}
	p->fd = fd;
	p->outgoing = 1;
	p->state = PS_CONNECTING;
	p->conn_deadline = now_ms + CONNECT_MS;
	p->in_len = p->out_len = 0;
	ev_io_init(&p->io, fd, io_cb, p);
	loop_io_set(&P.loop, &p->io, EPOLLIN | EPOLLOUT);
}

static void tick_cb(struct ev_timer *t)
{
	(void)t;
	clock_update();
	for (int gi = 0; gi < P.ng; gi++) {
		struct pgroup *g = &P.g[gi];

		/* accepted connections: identified (fd taken), refused, or silent too long */
		for (struct ppeer **pp = &g->pend; *pp;) {
			struct ppeer *p = *pp;

			if (p->fd >= 0 && now_ms < p->conn_deadline) {
				pp = &p->next;
				continue;
			}
			if (p->fd >= 0) {
				loop_io_del(&P.loop, &p->io);
				close(p->fd);
			}
			*pp = p->next;
			free(p->in);
			free(p->out);
			free(p);
		}
		for (int i = 0; i < g->npeer; i++) {
			struct ppeer *p = &g->peer[i];

			if (!strcmp(p->name, g->local))
				continue;
			if (p->fd < 0) {
				if (now_ms >= p->retry_at)
					try_connect(p);
				continue;
			}
			if (p->state != PS_ESTAB) {
				if (now_ms >= p->conn_deadline)
					peer_close(p, "handshake timeout");
				continue;
			}
			if (now_ms - p->last_rx >= DEAD_MS) {
				peer_close(p, "nothing received for 5 s");
				continue;
			}
			teach_step(p);
			push_updates(p);
			if (!p->out_len && now_ms - p->last_tx >= HEARTBEAT_MS) {
				send_msg(p, PM_CTRL, PM_HEARTBEAT, NULL, 0);
				p->last_tx = now_ms;
			}
			flush_out(p);
			if (p->fd >= 0)
				loop_io_set(&P.loop, &p->io, p->out_len ? EPOLLIN | EPOLLOUT : EPOLLIN);
		}
	}
	loop_timer_set(&P.loop, &P.tick, now_ms + TICK_MS);
}

static void *thread_main(void *arg)
{
	(void)arg;
	this_loop = &P.loop;
	clock_update();
	srandom((unsigned)(getpid() ^ now_ms));
	for (int gi = 0; gi < P.ng; gi++) {
		struct pgroup *g = &P.g[gi];

		ev_io_init(&g->lio, g->lfd, accept_cb, g);
		loop_io_set(&P.loop, &g->lio, EPOLLIN);
	}
	ev_timer_init(&P.tick, tick_cb, NULL);
	loop_timer_set(&P.loop, &P.tick, now_ms);
	loop_run(&P.loop);
	return NULL;
}

/* ---- start, stop, reload ---- */

/* What the running thread depends on, as text (peers_reload compares). */
static char *signature(const struct cfg *cfg)
{
	size_t cap = 256, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = 0;
	for (const struct peers_conf *pc = cfg->stick ? cfg->stick->peers : NULL; pc; pc = pc->next) {
		if (!pc->used || pc->disabled)
			continue;
		for (const struct peer_conf *p = pc->peers; p; p = p->next) {
			char line[512];
			int n = snprintf(line, sizeof(line), "%s|%s|%s|%d\n", pc->name, p->name, p->addr_str, p->local);

			while (len + (size_t)n + 1 > cap) {
				char *ns = realloc(s, cap *= 2);

				if (!ns) {
					free(s);
					return NULL;
				}
				s = ns;
			}
			memcpy(s + len, line, (size_t)n + 1);
			len += (size_t)n;
		}
		for (const struct stk_conf *c = cfg->stick->tables; c; c = c->next) {
			char line[512];
			int n;

			if (c->peers != pc)
				continue;
			n = snprintf(line, sizeof(line), "T%s|%s|%p\n", pc->name, c->id, c->t ? (void *)c->t->map : NULL);
			while (len + (size_t)n + 1 > cap) {
				char *ns = realloc(s, cap *= 2);

				if (!ns) {
					free(s);
					return NULL;
				}
				s = ns;
			}
			memcpy(s + len, line, (size_t)n + 1);
			len += (size_t)n;
		}
	}
	return s;
}

static void release(void)
{
	for (int gi = 0; gi < P.ng; gi++) {
		struct pgroup *g = &P.g[gi];

		while (g->pend) {
			struct ppeer *p = g->pend;

			g->pend = p->next;
			if (p->fd >= 0)
				close(p->fd);
			free(p->in);
			free(p->out);
			free(p);
		}
		for (int i = 0; i < g->npeer; i++) {
			struct ppeer *p = &g->peer[i];

			if (p->fd >= 0)
				close(p->fd);
			free(p->in);
			free(p->out);
		}
		free(g->peer);
		for (int i = 0; i < g->ntab; i++)
			free(g->tab[i]);
		if (g->lfd >= 0)
			close(g->lfd);
	}
	free(P.g);
	P.g = NULL;
	P.ng = 0;
	free(P.scratch);
	P.scratch = NULL;
	free(P.sig);
	P.sig = NULL;
}

static int listen_on(struct pgroup *g)
{
	int one = 1, fd = socket(g->laddr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* the address may be a VRRP virtual one, not here yet */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&g->laddr, g->laddrlen) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	g->lfd = fd;
	return 0;
}

int peers_start(struct cfg *cfg)
{
	sigset_t all, old;
	int n = 0, r;

	if (P.running || !cfg->stick)
		return 0;
	for (const struct peers_conf *pc = cfg->stick->peers; pc; pc = pc->next)
		n += pc->used && !pc->disabled;
	if (!n)
		return 0;
	if (!(P.g = calloc((size_t)n, sizeof(*P.g))) || !(P.scratch = malloc(PM_MAX_LEN + 64)))
		goto fail;
	for (const struct peers_conf *pc = cfg->stick->peers; pc; pc = pc->next) {
		struct pgroup *g;
		int k = 0;

		if (!pc->used || pc->disabled)
			continue;
		g = &P.g[P.ng++];
		g->lfd = -1;
		snprintf(g->name, sizeof(g->name), "%s", pc->name);
		if (!(g->peer = calloc((size_t)pc->npeers, sizeof(*g->peer))))
			goto fail;
		for (const struct peer_conf *p = pc->peers; p; p = p->next) {
			struct ppeer *pp = &g->peer[k++];

			pp->g = g;
			pp->fd = -1;
			pp->cur_tab = pp->cur_rt = -1;
			snprintf(pp->name, sizeof(pp->name), "%s", p->name);
			pp->addr = p->addr;
			pp->addrlen = p->addrlen;
			if (p->local) {
				snprintf(g->local, sizeof(g->local), "%s", p->name);
				g->laddr = p->addr;
				g->laddrlen = p->addrlen;
			}
		}
		g->npeer = k;
		for (const struct stk_conf *c = cfg->stick->tables; c; c = c->next) {
			struct ptab *t;

			if (c->peers != pc || !c->t)
				continue;
			if (g->ntab == MAX_TABS) {
				log_event(LL_WARNING, "peers %s: more than %d tables: '%s' is not shared.", g->name, MAX_TABS, c->id);
				continue;
			}
			if (!(t = calloc(1, sizeof(*t))))
				goto fail;
			t->conf = *c;
			t->conf.next = NULL;
			t->conf.px = NULL;
			t->conf.peers_name = NULL;
			t->conf.t = NULL;
			if (!(t->conf.id = strdup(c->id))) {
				free(t);
				goto fail;
			}
			t->t = *c->t;
			t->t.c = &t->conf;
			t->id = (uint32_t)g->ntab + 1;
			g->tab[g->ntab++] = t;
		}
		/* every peer starts from the updates made from now on */
		for (int i = 0; i < g->npeer; i++)
			for (int j = 0; j < g->ntab; j++)
				g->peer[i].pos[j] = stk_ring_head(&g->tab[j]->t);
		if (!g->local[0] || listen_on(g) < 0) {
			log_event(LL_ALERT, "peers %s: cannot listen on the local peer's address: %s", g->name,
				  g->local[0] ? strerror(errno) : "no local peer");
			goto fail;
		}
	}
	if (loop_init(&P.loop, 0) < 0)
		goto fail;
	P.sig = signature(cfg);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&P.th, NULL, thread_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		loop_destroy(&P.loop);
		goto fail;
	}
	P.running = 1;
	for (int gi = 0; gi < P.ng; gi++)
		log_event(LL_NOTICE, "peers %s: local peer '%s', %d other peer(s), %d table(s).", P.g[gi].name,
			  P.g[gi].local, P.g[gi].npeer - 1, P.g[gi].ntab);
	return 0;
fail:
	for (int gi = 0; P.g && gi < P.ng; gi++)
		for (int i = 0; i < P.g[gi].ntab; i++)
			free(P.g[gi].tab[i]->conf.id);
	release();
	return -1;
}

void peers_stop(void)
{
	if (!P.running)
		return;
	P.loop.stop = 1;
	loop_wakeup(&P.loop);
	pthread_join(P.th, NULL);
	loop_destroy(&P.loop);
	for (int gi = 0; gi < P.ng; gi++)
		for (int i = 0; i < P.g[gi].ntab; i++)
			free(P.g[gi].tab[i]->conf.id);
	release();
	P.running = 0;
}

void peers_forked(void)
{
	/* a worker has nothing to do with the master's peer sockets: its
	 * copies would keep a closed session open for the peer */
	for (int gi = 0; gi < P.ng; gi++) {
		struct pgroup *g = &P.g[gi];

		if (g->lfd >= 0)
			close(g->lfd);
		for (int i = 0; i < g->npeer; i++)
			if (g->peer[i].fd >= 0)
				close(g->peer[i].fd);
		for (struct ppeer *p = g->pend; p; p = p->next)
			if (p->fd >= 0)
				close(p->fd);
	}
	if (P.running) {
		close(P.loop.epfd);
		close(P.loop.wakefd);
	}
}

void peers_reload(struct cfg *ncfg)
{
	char *sig = signature(ncfg);

	if (P.running && sig && P.sig && !strcmp(sig, P.sig)) {
		free(sig);
		return;   /* same peers, same tables: the sessions go on */
	}
	free(sig);
	if (P.running)
		log_event(LL_NOTICE, "peers: the peers or their tables changed: the sessions restart.");
	peers_stop();
	if (peers_start(ncfg) < 0)
		log_event(LL_ALERT, "peers: cannot start on the new configuration; the tables are not shared until the next reload.");
}
