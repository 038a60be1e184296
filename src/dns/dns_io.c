/* c-ares, driven by thread 0's event loop: one channel per nameserver (so
 * that every nameserver is asked at once and each has its own counters),
 * its sockets registered in epoll level-triggered (c-ares reads what it
 * wants and leaves the rest), its next timeout armed in the loop's timers.
 *
 * c-ares opens and reads its sockets through the wrappers below. A UDP
 * datagram reaches c-ares only when it comes from the nameserver's address
 * and port, holds at least a header, and carries the id and question of a
 * query still in flight on that nameserver; any other is dropped and
 * counted (invalid, or outdated for an id nobody waits for), so c-ares
 * never mistakes it for an answer, and an empty datagram cannot make it
 * close the socket. (UDP sockets are left unconnected so that datagrams
 * from elsewhere are seen, and counted, here.) Answers with the TC bit or longer than the announced
 * size are counted (truncated, too_big) and left to c-ares, which asks
 * again over TCP and never hands the partial answer over. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include "dns_int.h"

/* ---- pending UDP queries ----------------------------------------------------- */

/* The question section of a message: from byte 12 to the end of its
 * first name plus type and class. Its length, or 0. */
static size_t question_len(const uint8_t *b, size_t len)
{
	size_t p = 12;

	while (p < len && b[p]) {
		if (b[p] & 0xc0)
			return 0;        /* our queries are never compressed */
		p += 1 + (size_t)b[p];
	}
	if (p + 5 > len || p + 5 - 12 > DNS_NAME_BUF + 8)
		return 0;
	return p + 5 - 12;
}

/* Same question, names compared without case (RFC 4343). */
static int same_question(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

static void pend_drop(struct dns_ns_rt *nr, int i)
{
	nr->pend[i] = nr->pend[--nr->npend];
}

static void pend_add(struct dns_ns_rt *nr, const uint8_t *q, size_t len)
{
	size_t ql = question_len(q, len);
	uint64_t now = clock_mono_us() / 1000, old = 4ull * (nr->rs->timeout_retry + 1000);
	struct dns_pend *p;

	if (!ql)
		return;
	/* entries whose answers c-ares gave up on long ago */
	for (int i = nr->npend - 1; i >= 0; i--)
		if (now - nr->pend[i].sent_ms > old)
			pend_drop(nr, i);
	if (nr->npend == nr->cap) {
		int cap = nr->cap ? nr->cap * 2 : 16;
		struct dns_pend *n = realloc(nr->pend, (size_t)cap * sizeof(*n));

		if (!n)
			return;
		nr->pend = n;
		nr->cap = cap;
	}
	p = &nr->pend[nr->npend++];
	p->id = (uint16_t)(q[0] << 8 | q[1]);
	p->qlen = (uint16_t)ql;
	p->sent_ms = now;
	memcpy(p->q, q + 12, ql);
}

void dns_io_forget(struct dns_ns_rt *nr, const char *name, int qtype, int id)
{
	uint8_t q[DNS_NAME_BUF + 32];
	int len;

	if (id >= 0) {
		for (int i = 0; i < nr->npend; i++)
			if (nr->pend[i].id == id) {
				pend_drop(nr, i);
				return;
			}
		return;
	}
	/* no answer (timeout): the oldest query of that question */
	if ((len = dns_msg_query(q, sizeof(q), 0, name, qtype, 1)) < 0)
		return;
	for (int i = 0; i < nr->npend; i++)
		if (nr->pend[i].qlen == (size_t)len - 12 && same_question(nr->pend[i].q, q + 12, (size_t)len - 12)) {
			pend_drop(nr, i);
			return;
		}
}

/* ---- socket functions given to c-ares ------------------------------------------ */

static struct dns_sock *sock_of(struct dns_ns_rt *nr, int fd)
{
	struct list *l;

	list_for_each(l, &nr->socks) {
		struct dns_sock *s = list_entry(l, struct dns_sock, link);

		if (s->fd == fd && !s->dead)
			return s;
	}
	return NULL;
}

static ares_socket_t w_socket(int af, int type, int proto, void *arg)
{
	struct dns_ns_rt *nr = arg;
	struct dns_sock *s = calloc(1, sizeof(*s));
	int fd;

	if (!s)
		return ARES_SOCKET_BAD;
	fd = socket(af, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd < 0) {
		free(s);
		return ARES_SOCKET_BAD;
	}
	s->fd = fd;
	s->udp = type == SOCK_DGRAM;
	s->nr = nr;
	list_add_tail(&nr->socks, &s->link);
	return fd;
}

/* Closed sockets: freed once the loop is done with the current batch of
 * events (one of them may still point to the ev_io). */
static struct list graveyard = LIST_HEAD_INIT(graveyard);
static struct ev_task bury_task;

static void bury_cb(struct ev_task *t)
{
	struct list *l, *n;

	(void)t;
	list_for_each_safe(l, n, &graveyard) {
		list_del(l);
		free(list_entry(l, struct dns_sock, link));
	}
}

static int w_close(ares_socket_t fd, void *arg)
{
	struct dns_ns_rt *nr = arg;
	struct dns_sock *s = sock_of(nr, fd);

	if (s) {
		loop_io_del(dns_loop, &s->io);
		s->dead = 1;
		list_del(&s->link);
		list_add_tail(&graveyard, &s->link);
		if (!bury_task.cb)
			ev_task_init(&bury_task, bury_cb, NULL);
		loop_task_wake(dns_loop, &bury_task);
	}
	return close(fd);
}

/* UDP sockets stay unconnected: a datagram from another address then
 * reaches the wrapper below, which drops and counts it (a connected socket
 * would have the kernel drop it silently); queries go out with sendmsg to
 * the nameserver. TCP connects as usual. */
static int w_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *arg)
{
	struct dns_ns_rt *nr = arg;
	struct dns_sock *s = sock_of(nr, fd);

	if (s && s->udp)
		return 0;
	return connect(fd, sa, len);
}

static int from_ns(const struct dns_nameserver *ns, const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family != ns->addr.ss_family)
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const void *)sa, *b = (const void *)&ns->addr;

		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const void *)sa, *b = (const void *)&ns->addr;

		return a->sin6_port == b->sin6_port && !memcmp(&a->sin6_addr, &b->sin6_addr, 16);
	}
	return 0;
}

static ares_ssize_t w_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags, struct sockaddr *from,
			       ares_socklen_t *fromlen, void *arg)
{
	struct dns_ns_rt *nr = arg;
	struct dns_ns_ctr *c = &nr->ns->ctr;
	uint32_t announced = nr->rs->payload_size < DNS_UDP_MAX ? nr->rs->payload_size : DNS_UDP_MAX;

	if (!from)   /* TCP: a byte stream from the connected nameserver */
		return recv(fd, buf, len, flags);
	for (;;) {
		socklen_t fl = *fromlen;
		ssize_t n = recvfrom(fd, buf, len, flags | MSG_TRUNC, from, &fl);
		const uint8_t *b = buf;
		size_t got, ql;
		int i;

		if (n < 0)
			return n;
		*fromlen = fl;
		got = (size_t)n < len ? (size_t)n : len;
		if (!from_ns(nr->ns, from, fl) || got < 12) {
			c->invalid++;       /* another address, or not even a header */
			continue;
		}
		for (i = 0; i < nr->npend; i++)
			if (nr->pend[i].id == (b[0] << 8 | b[1]))
				break;
		if (i == nr->npend) {
			c->outdated++;      /* nobody waits for this id (any more) */
			continue;
		}
		ql = nr->pend[i].qlen;
		if (got < 12 + ql || !same_question(b + 12, nr->pend[i].q, ql)) {
			c->invalid++;       /* our id, another question */
			continue;
		}
		if ((size_t)n > announced)
			c->too_big++;       /* c-ares asks again over TCP */
		else if (b[2] & 0x02)
			c->truncated++;     /* likewise */
		return (ares_ssize_t)got;
	}
}

static ares_ssize_t w_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *arg)
{
	struct dns_ns_rt *nr = arg;
	struct dns_sock *s = sock_of(nr, fd);
	ssize_t r;

	if (s && s->udp) {
		struct msghdr mh = { .msg_name = &nr->ns->addr, .msg_namelen = nr->ns->addrlen,
				     .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };

		if ((r = sendmsg(fd, &mh, MSG_NOSIGNAL)) > 0 && n == 1)
			pend_add(nr, iov[0].iov_base, iov[0].iov_len);
		return r;
	}
	return writev(fd, iov, n);
}

static const struct ares_socket_functions sock_funcs = {
	.asocket = w_socket, .aclose = w_close, .aconnect = w_connect,
	.arecvfrom = w_recvfrom, .asendv = w_sendv,
};

/* ---- the loop's side ------------------------------------------------------------- */

void dns_io_rearm(struct dns_ns_rt *nr)
{
	struct timeval tv, *t;

	if (!nr->ok)
		return;
	t = ares_timeout(nr->ch, NULL, &tv);
	if (!t) {
		loop_timer_del(dns_loop, &nr->tmr);
		return;
	}
	loop_timer_set(dns_loop, &nr->tmr, now_ms + (uint64_t)t->tv_sec * 1000 + (uint64_t)t->tv_usec / 1000 + 1);
}

static void timer_cb(struct ev_timer *t)
{
	struct dns_ns_rt *nr = t->ctx;

	if (!nr->ok)
		return;
	ares_process_fd(nr->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_io_rearm(nr);
}

static void io_cb(struct ev_io *io, uint32_t ev)
{
	struct dns_sock *s = io->ctx;
	struct dns_ns_rt *nr = s->nr;

	if (s->dead || !nr->ok)
		return;
	ares_process_fd(nr->ch, (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? s->fd : ARES_SOCKET_BAD,
			(ev & EPOLLOUT) ? s->fd : ARES_SOCKET_BAD);
	dns_io_rearm(nr);
}

/* c-ares says which of its sockets it wants to read or write. */
static void sock_state_cb(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dns_ns_rt *nr = arg;
	struct dns_sock *s = sock_of(nr, fd);

	if (!s)
		return;
	if (!readable && !writable) {
		loop_io_del(dns_loop, &s->io);
		return;
	}
	if (!s->io.cb)
		ev_io_init(&s->io, fd, io_cb, s);
	/* level-triggered: c-ares may leave bytes for its next turn */
	if (loop_io_set(dns_loop, &s->io, (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0)) < 0)
		log_event(LL_WARNING, "resolvers %s: nameserver %s: cannot watch a socket.", nr->rs->id, nr->ns->id);
}

int dns_io_open(struct dns_ns_rt *nr)
{
	struct resolvers *rs = nr->rs;
	struct dns_nameserver *ns = nr->ns;
	struct ares_options o;
	struct ares_addr_port_node node;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_EDNSPSZ;
	int port, r;

	memset(&o, 0, sizeof(o));
	/* every answer, whatever its code, comes to us (NOCHECKRESP): the
	 * resolution decides; no search list, no /etc/hosts */
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS |
		  (ns->tcp ? ARES_FLAG_USEVC : 0);
	o.timeout = (int)rs->timeout_retry;   /* one try: retries are the resolution's */
	o.tries = 1;
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = nr;
	o.ednspsz = (int)(rs->payload_size < DNS_UDP_MAX ? rs->payload_size : DNS_UDP_MAX);
	list_init(&nr->socks);
	ev_timer_init(&nr->tmr, timer_cb, nr);
	if ((r = ares_init_options(&nr->ch, &o, mask)) != ARES_SUCCESS) {
		log_event(LL_ALERT, "resolvers %s: nameserver %s: cannot set up the resolver: %s.", rs->id, ns->id,
			  ares_strerror(r));
		return -1;
	}
	memset(&node, 0, sizeof(node));
	node.family = ns->addr.ss_family;
	if (node.family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&ns->addr;

		memcpy(&node.addr.addr4, &a->sin_addr, 4);
		port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)&ns->addr;

		memcpy(&node.addr.addr6, &a->sin6_addr, 16);
		port = ntohs(a->sin6_port);
	}
	node.udp_port = node.tcp_port = port;
	if ((r = ares_set_servers_ports(nr->ch, &node)) != ARES_SUCCESS) {
		log_event(LL_ALERT, "resolvers %s: nameserver %s: %s.", rs->id, ns->id, ares_strerror(r));
		ares_destroy(nr->ch);
		return -1;
	}
	ares_set_socket_functions(nr->ch, &sock_funcs, nr);
	nr->ok = 1;
	return 0;
}

void dns_io_close(struct dns_ns_rt *nr)
{
	if (!nr->ok)
		return;
	/* callbacks of queries in flight run with ARES_EDESTRUCTION and do
	 * nothing but free their argument */
	ares_destroy(nr->ch);
	nr->ok = 0;
	loop_timer_del(dns_loop, &nr->tmr);
	free(nr->pend);
	nr->pend = NULL;
	nr->npend = nr->cap = 0;
	/* its sockets are in the graveyard: freed by the loop's task */
}

void dns_io_query(struct dns_ns_rt *nr, const char *name, int qtype, ares_callback cb, void *arg)
{
	nr->ns->ctr.sent++;
	ares_query(nr->ch, name, 1 /* class IN */, qtype, cb, arg);
	dns_io_rearm(nr);
}
