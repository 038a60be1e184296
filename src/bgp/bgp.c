/* `anycast` sections at run time, in the master process: one thread
 * running the project's event loop with every signal blocked (as VRRP's),
 * so that neither a worker restart nor a reload ever withdraws anything,
 * and traffic never waits on BIRD.
 *
 * Per section: one connection to BIRD's control socket, the desired state
 * (announce while the node can serve: bgp_decide() over the worker's
 * heartbeats and the tracked backends, read from the master/worker shared
 * area every 50 ms) and, per BIRD protocol, the state BIRD last confirmed.
 * One command is outstanding at a time; after each answer the next
 * protocol whose confirmed state differs from the desired one is sent
 * `enable "P"` or `disable "P"`.
 *
 * BIRD puts a protocol back to its configured state (`disabled`, in the
 * bird.conf doc/scale-out.md gives) whenever it restarts or is
 * reconfigured. tandem therefore asks BIRD to echo its log (`echo
 * { info }`) and re-asserts every protocol after each spontaneous line,
 * and once a second anyway: a reverted protocol is put right within
 * milliseconds, counted and logged.
 *
 * If BIRD goes away the connection is retried with a back-off (100 ms
 * doubling to 2 s); nothing else changes: the worker serves on, the
 * addresses stay. Each section publishes a snapshot (bgp_snapshot()) in
 * memory shared with the worker, for `show anycast`, /metrics and the
 * dashboard. A crash of the master is covered by the guard (guard.c). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <tandem/clock.h>
#include <tandem/compat.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/proxy-t.h>
#include <tandem/shm.h>
#include "bgp_int.h"
#include "../vrrp/vrrp_int.h"   /* rtnetlink address requests, shared with VRRP */

#define HEALTH_MS        50      /* how often the worker and backends are looked at */
#define RECHECK_MS       1000    /* every protocol's state is re-asserted this often */
#define REPLY_TIMEOUT_MS 2000    /* BIRD answers in microseconds; longer means it is stuck */
#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   2000
#define FAIL_LOG_MS      30000   /* "still cannot reach BIRD" at most this often */
#define ASYNC_RECHECK_MS 20      /* a busy BIRD log re-checks the protocols at most this often */
#define START_TIMEOUT_MS 2000
#define STOP_TIMEOUT_MS  1000

/* Snapshot slots shared with the worker; seqlock per slot (odd = writing). */
struct bshared {
	int n;
	int live[BGP_MAX_SECT];     /* announced or maybe announced: a soft stop waits withdraw-delay */
	struct {
		uint32_t seq;
		struct bgp_snap s;
	} slot[BGP_MAX_SECT];
};

struct bproto {
	char name[BGP_PROTO_LEN];
	int  known;                 /* BIRD's state as last confirmed: 1 enabled, 0 disabled, -1 unknown */
	int  recheck;               /* send the command although <known> agrees */
	int  refused;               /* BIRD refused the last command: logged, retried at the next recheck */
};

struct bsect {
	struct bgp_conf conf;       /* own copy: a reload frees the configuration */
	int      ifindex[BGP_MAX_ADDR];
	int      added[BGP_MAX_ADDR];      /* bgp_prepare() put it there (or found it) */
	int      addr_proto[BGP_MAX_ADDR]; /* index in proto[] */
	struct bproto proto[BGP_MAX_ADDR];
	int      nproto;
	/* the connection to BIRD */
	int      fd;
	int      cstate;            /* enum bgp_bird */
	int      inprog;            /* connect() not finished */
	struct ev_io io;
	struct ev_timer ctmr;       /* retry (DOWN) or the answer's deadline (busy) */
	struct birdc_parser ps;
	struct birdc_reply rep;
	int      busy;              /* a command, or the greeting, is awaited */
	int      cur;               /* the command's protocol, -1 for greeting and echo */
	int      echo_pending;
	char     obuf[160];
	size_t   olen, ooff;
	uint32_t backoff_ms;
	unsigned fails;             /* attempts failed since the last greeting */
	uint64_t fail_logged_ms;
	uint64_t next_recheck_ms;
	uint64_t async_recheck_ms;  /* last re-check caused by a line of BIRD's log */
	/* what the node wants */
	int      started;           /* the worker served once */
	int      want, why, track;
	struct bgp_snap snap;       /* this thread's copy, published to the slot */
};

static struct {
	struct bsect s[BGP_MAX_SECT];
	int      n;
	struct bshared *sh;
	struct loop loop;
	pthread_t th;
	int      prepared, running;
	volatile int stop_req;
	volatile int stop_mode;     /* 0, BGP_WHY_SOFTSTOP or BGP_WHY_STOP: set by the master's thread */
	int      nl;
	uint32_t nlseq;
	pid_t    guard;
	struct ev_timer health;
	struct bgp_guard_plan gplan;
} B = { .nl = -1, .guard = -1 };

static void sync_bird(struct bsect *s);

/* ---- addresses and names ---- */

static const char *addr_str(const struct bgp_addr *a, char *buf, size_t len)
{
	return inet_ntop(a->af, a->a, buf, (socklen_t)len) ? buf : "?";
}

/* "198.51.100.10 (BIRD protocol anycast_web), ..." for the logs. */
static const char *addr_list(const struct bsect *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < s->conf.naddrs && off < len; i++) {
		char a[INET6_ADDRSTRLEN];
		int n = snprintf(buf + off, len - off, "%s%s (BIRD protocol %s)", i ? ", " : "",
				 addr_str(&s->conf.addrs[i], a, sizeof(a)), s->conf.addrs[i].proto);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

static int nl_addr(struct bsect *s, int i, int add)
{
	const struct bgp_addr *a = &s->conf.addrs[i];
	struct vrrp_ip ip = { .af = a->af };
	uint8_t msg[64];
	size_t len;

	memcpy(ip.a, a->a, sizeof(ip.a));
	len = vrrp_nl_build_addr(msg, sizeof(msg), add, s->ifindex[i], &ip, a->af == AF_INET6 ? 128 : 32, ++B.nlseq);
	return len ? vrrp_nl_request(B.nl, msg, len) : -EINVAL;
}

/* ---- snapshot ---- */

static void publish(struct bsect *s)
{
	int i = (int)(s - B.s), live = s->want;
	uint32_t seq = B.sh->slot[i].seq;

	s->snap.bird = s->cstate;
	s->snap.want = s->want;
	s->snap.why = s->why;
	if (s->why == BGP_WHY_BACKEND && s->track >= 0)
		snprintf(s->snap.why_backend, sizeof(s->snap.why_backend), "%s", s->conf.tracks[s->track].backend);
	else
		s->snap.why_backend[0] = 0;
	for (int k = 0; k < s->conf.naddrs; k++) {
		s->snap.addrs[k].bird = s->proto[s->addr_proto[k]].known;
		live |= s->snap.addrs[k].bird != 0;
	}
	__atomic_store_n(&B.sh->live[i], live, __ATOMIC_RELAXED);
	__atomic_store_n(&B.sh->slot[i].seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&B.sh->slot[i].s, &s->snap, sizeof(s->snap));
	__atomic_store_n(&B.sh->slot[i].seq, seq + 2, __ATOMIC_RELEASE);
}

int bgp_snapshot(struct bgp_snap *out, int max)
{
	int n;

	if (!B.sh)
		return 0;
	n = __atomic_load_n(&B.sh->n, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n && i < max; i++) {
		uint32_t s1, s2;

		do {
			s1 = __atomic_load_n(&B.sh->slot[i].seq, __ATOMIC_ACQUIRE);
			memcpy(&out[i], &B.sh->slot[i].s, sizeof(out[i]));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s2 = __atomic_load_n(&B.sh->slot[i].seq, __ATOMIC_RELAXED);
		} while ((s1 & 1) || s1 != s2);
	}
	return n;
}

static void set_error(struct bsect *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct bsect *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->snap.last_error, sizeof(s->snap.last_error), fmt, ap);
	va_end(ap);
}

/* ---- the decision ---- */

static void set_want(struct bsect *s, int want, int why, int track)
{
	char list[512];

	if (want == s->want) {
		if (why != s->why || track != s->track) {
			/* say why a node that starts does not announce yet */
			if (s->why == BGP_WHY_STARTING && why == BGP_WHY_BACKEND)
				log_event(LL_NOTICE, "(%s) not announcing %s yet: backend '%s' has no usable server",
					  s->conf.name, addr_list(s, list, sizeof(list)), s->conf.tracks[track].backend);
			s->why = why;
			s->track = track;
			publish(s);
		}
		return;
	}
	s->want = want;
	s->why = why;
	s->track = track;
	s->snap.since_ms = now_ms;
	addr_list(s, list, sizeof(list));
	if (want) {
		s->snap.announces++;
		log_event(LL_NOTICE, "(%s) announcing %s: %s", s->conf.name, list, bgp_why_str(why));
	} else {
		s->snap.withdrawals++;
		if (why == BGP_WHY_BACKEND)
			log_event(LL_WARNING, "(%s) withdrawing %s: backend '%s' has no usable server", s->conf.name,
				  list, s->conf.tracks[track].backend);
		else if (why == BGP_WHY_SOFTSTOP)
			log_event(LL_NOTICE, "(%s) withdrawing %s: soft stop, serving on for %u ms (withdraw-delay) "
				  "before draining", s->conf.name, list, s->conf.withdraw_delay_ms);
		else
			log_event(why == BGP_WHY_STOP ? LL_NOTICE : LL_WARNING, "(%s) withdrawing %s: %s",
				  s->conf.name, list, bgp_why_str(why));
	}
	publish(s);
	sync_bird(s);
}

static void health_sect(struct bsect *s, long long stale, uint64_t wstart)
{
	int usable[BGP_MAX_TRACK], why, track, want;

	for (int i = 0; i < s->conf.ntracks; i++)
		usable[i] = shm_backend_usable(s->conf.tracks[i].backend);
	if (stale >= 0 && stale <= BGP_STALE_MS)
		s->started = 1;   /* every worker thread beat: the worker served */
	want = bgp_decide(s->started, stale, wstart, now_ms, usable, s->conf.ntracks, &why, &track);
	if (B.stop_mode) {
		want = 0;
		why = B.stop_mode;
		track = -1;
	}
	set_want(s, want, why, track);
	if (now_ms >= s->next_recheck_ms) {
		s->next_recheck_ms = now_ms + RECHECK_MS;
		s->async_recheck_ms = now_ms;
		for (int k = 0; k < s->nproto; k++)
			s->proto[k].recheck = 1;
		sync_bird(s);
	}
}

static void health_all(void)
{
	long long stale = shm_worker_stale_ms(now_ms);
	uint64_t wstart = tdm_shm ? __atomic_load_n(&tdm_shm->worker_start_ms, __ATOMIC_RELAXED) : 0;

	for (int i = 0; i < B.n; i++)
		health_sect(&B.s[i], stale, wstart);
}

static void health_cb(struct ev_timer *t)
{
	health_all();
	loop_timer_set(&B.loop, t, now_ms + HEALTH_MS);
}

/* ---- the connection to BIRD ---- */

static void conn_close(struct bsect *s)
{
	if (s->fd >= 0) {
		loop_io_del(&B.loop, &s->io);
		close(s->fd);
		s->fd = -1;
	}
	s->busy = 0;
	s->inprog = 0;
	s->olen = s->ooff = 0;
	for (int k = 0; k < s->nproto; k++)
		s->proto[k].known = -1;
	loop_timer_del(&B.loop, &s->ctmr);
}

static void conn_fail(struct bsect *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_fail(struct bsect *s, const char *fmt, ...)
{
	char why[160];
	va_list ap;
	int was_up = s->cstate == BGP_BIRD_UP;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conn_close(s);
	s->cstate = BGP_BIRD_DOWN;
	s->snap.bird_failures++;
	set_error(s, "BIRD at %s: %s", s->conf.socket, why);
	if (was_up) {
		log_event(LL_WARNING, "(%s) lost BIRD's control socket %s: %s; reconnecting (the worker serves on)",
			  s->conf.name, s->conf.socket, why);
	} else if (!s->fails || now_ms - s->fail_logged_ms >= FAIL_LOG_MS) {
		log_event(LL_WARNING, "(%s) cannot reach BIRD at %s: %s (%u attempts failed; retrying with a back-off up to %d ms)",
			  s->conf.name, s->conf.socket, why, s->fails + 1, BACKOFF_MAX_MS);
		s->fail_logged_ms = now_ms;
	}
	s->fails++;
	loop_timer_set(&B.loop, &s->ctmr, now_ms + s->backoff_ms);
	s->backoff_ms = MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
	publish(s);
}

static void flush_out(struct bsect *s)
{
	while (s->ooff < s->olen) {
		ssize_t n = send(s->fd, s->obuf + s->ooff, s->olen - s->ooff, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			s->ooff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			loop_io_set(&B.loop, &s->io, EPOLLIN | EPOLLOUT);
			return;
		}
		conn_fail(s, "cannot send: %s", n < 0 ? strerror(errno) : "?");
		return;
	}
	s->olen = s->ooff = 0;
	loop_io_set(&B.loop, &s->io, EPOLLIN);
}

static void send_cmd(struct bsect *s, int cmd, int k)
{
	const char *name = k >= 0 ? s->proto[k].name : NULL;

	s->olen = birdc_cmd_build(s->obuf, sizeof(s->obuf), cmd, name);
	s->ooff = 0;
	if (!s->olen) {   /* names are checked when the configuration is read */
		conn_fail(s, "cannot build a command for '%s'", name ? name : "?");
		return;
	}
	birdc_reply_init(&s->rep, cmd, name);
	s->busy = 1;
	s->cur = k;
	loop_timer_set(&B.loop, &s->ctmr, now_ms + REPLY_TIMEOUT_MS);
	flush_out(s);
}

/* Send the next command this section needs, if BIRD is free. */
static void sync_bird(struct bsect *s)
{
	if (s->cstate != BGP_BIRD_UP || s->busy || s->fd < 0)
		return;
	if (s->echo_pending) {
		s->echo_pending = 0;
		send_cmd(s, BIRDC_ECHO, -1);
		return;
	}
	for (int k = 0; k < s->nproto; k++) {
		struct bproto *p = &s->proto[k];

		if ((p->known != s->want && !p->refused) || p->recheck) {
			p->recheck = 0;
			send_cmd(s, s->want ? BIRDC_ENABLE : BIRDC_DISABLE, k);
			return;
		}
	}
}

static void proto_reply(struct bsect *s)
{
	struct bproto *p = &s->proto[s->cur];
	const char *verb = s->rep.cmd == BIRDC_ENABLE ? "enable" : "disable";
	int state = s->rep.cmd == BIRDC_ENABLE;

	switch (s->rep.res) {
	case BIRDC_R_CHANGED:
		if (p->known == state) {
			/* it was confirmed so and has changed since: BIRD restarted
			 * (and reconnected in between) or was reconfigured */
			s->snap.bird_reverts++;
			log_event(LL_WARNING, "(%s) BIRD had %s protocol %s (a BIRD reconfiguration?): %sd it again",
				  s->conf.name, state ? "disabled" : "enabled", p->name, verb);
		} else {
			log_event(LL_INFO, "(%s) BIRD: %s", s->conf.name, s->rep.msg);
		}
		/* fall through */
	case BIRDC_R_ALREADY:
		if (p->refused)
			log_event(LL_NOTICE, "(%s) BIRD accepts '%s \"%s\"' again", s->conf.name, verb, p->name);
		p->known = state;
		p->refused = 0;
		break;
	default:
		p->known = -1;
		s->snap.bird_errors++;
		set_error(s, "BIRD refused '%s \"%s\"': %s", verb, p->name, s->rep.msg);
		if (!p->refused)
			log_event(LL_ERR, "(%s) BIRD at %s refused '%s \"%s\"': %s%s", s->conf.name, s->conf.socket,
				  verb, p->name, s->rep.msg, s->rep.res == BIRDC_R_NOMATCH ?
				  " (is the protocol defined in bird.conf? see doc/scale-out.md); retrying every second" :
				  "; retrying every second");
		p->refused = 1;
		break;
	}
}

static void on_reply(struct bsect *s)
{
	s->busy = 0;
	loop_timer_del(&B.loop, &s->ctmr);
	switch (s->rep.cmd) {
	case BIRDC_HELLO:
		if (s->rep.res != BIRDC_R_OK) {
			conn_fail(s, "BIRD greeted with '%s'", s->rep.msg);
			return;
		}
		s->cstate = BGP_BIRD_UP;
		s->snap.bird_connects++;
		if (s->fails)
			log_event(LL_NOTICE, "(%s) connected to BIRD at %s again (%u attempts had failed)",
				  s->conf.name, s->conf.socket, s->fails);
		s->fails = 0;
		s->backoff_ms = BACKOFF_MIN_MS;
		s->echo_pending = 1;
		for (int k = 0; k < s->nproto; k++)
			s->proto[k].recheck = 1;
		break;
	case BIRDC_ECHO:
		if (s->rep.res != BIRDC_R_OK)
			log_event(LL_INFO, "(%s) BIRD refused 'echo': %s (the protocols are re-checked every %d ms only)",
				  s->conf.name, s->rep.msg, RECHECK_MS);
		break;
	default:
		proto_reply(s);
		break;
	}
	publish(s);
	sync_bird(s);
}

static void read_in(struct bsect *s)
{
	char buf[4096];
	int async = 0;

	for (int round = 0; round < 16 && s->fd >= 0; round++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t off = 0;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_fail(s, "%s", n ? strerror(errno) : "BIRD closed the connection");
			return;
		}
		while (off < (size_t)n && s->fd >= 0) {
			struct birdc_line l;
			size_t used;
			int got = birdc_parse(&s->ps, buf + off, (size_t)n - off, &used, &l);

			if (got < 0) {
				conn_fail(s, "not BIRD's protocol: %s", s->ps.err);
				return;
			}
			off += used;
			if (!got)
				continue;
			if (l.kind == BIRDC_ASYNC) {
				async = 1;
				continue;
			}
			if (!s->busy) {
				conn_fail(s, "an answer to no command: '%04d %s'", l.code, l.text);
				return;
			}
			if (birdc_reply_line(&s->rep, &l))
				on_reply(s);
		}
	}
	if (async && s->fd >= 0 && s->cstate == BGP_BIRD_UP) {
		/* BIRD logged something (a reconfiguration, a protocol going
		 * down...): make sure ours are still as they should be; a BIRD
		 * that logs a lot gets it every ASYNC_RECHECK_MS (health tick) */
		if (now_ms - s->async_recheck_ms < ASYNC_RECHECK_MS) {
			s->next_recheck_ms = MIN(s->next_recheck_ms, s->async_recheck_ms + ASYNC_RECHECK_MS);
			return;
		}
		s->async_recheck_ms = now_ms;
		for (int k = 0; k < s->nproto; k++)
			s->proto[k].recheck = 1;
		sync_bird(s);
	}
}

static void io_cb(struct ev_io *io, uint32_t events)
{
	struct bsect *s = io->ctx;

	if (s->fd < 0)
		return;
	if (s->inprog && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			conn_fail(s, "%s", strerror(e));
			return;
		}
		s->inprog = 0;
		loop_io_set(&B.loop, &s->io, EPOLLIN);
	}
	if ((events & EPOLLOUT) && s->olen)
		flush_out(s);
	if (s->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_in(s);
}

static void conn_open(struct bsect *s)
{
	int fd = bgp_ctl_connect(s->conf.socket, &s->inprog);

	if (fd < 0) {
		conn_fail(s, "%s", strerror(errno));
		return;
	}
	s->fd = fd;
	s->cstate = BGP_BIRD_CONNECTING;
	birdc_init(&s->ps);
	birdc_reply_init(&s->rep, BIRDC_HELLO, NULL);
	s->busy = 1;
	s->cur = -1;
	ev_io_init(&s->io, fd, io_cb, s);
	loop_io_set(&B.loop, &s->io, EPOLLIN | (s->inprog ? EPOLLOUT : 0));
	loop_timer_set(&B.loop, &s->ctmr, now_ms + REPLY_TIMEOUT_MS);
	publish(s);
}

static void ctmr_cb(struct ev_timer *t)
{
	struct bsect *s = t->ctx;

	if (s->fd < 0)
		conn_open(s);
	else if (s->busy)
		conn_fail(s, "no answer within %d ms", REPLY_TIMEOUT_MS);
}

/* ---- the thread ---- */

static void wake_hook(struct loop *l)
{
	if (B.stop_req)
		l->stop = 1;
	else if (B.stop_mode)
		health_all();   /* withdraw now, not at the next tick */
}

static void *thread_main(void *arg)
{
	(void)arg;
	this_loop = &B.loop;
	clock_update();
	for (int i = 0; i < B.n; i++) {
		struct bsect *s = &B.s[i];

		ev_timer_init(&s->ctmr, ctmr_cb, s);
		ev_io_init(&s->io, s->fd, io_cb, s);
		loop_io_set(&B.loop, &s->io, EPOLLIN);
		s->next_recheck_ms = now_ms + RECHECK_MS;
		s->echo_pending = 1;
		sync_bird(s);
	}
	ev_timer_init(&B.health, health_cb, NULL);
	loop_timer_set(&B.loop, &B.health, now_ms);
	loop_run(&B.loop);
	for (int i = 0; i < B.n; i++)
		conn_close(&B.s[i]);
	return NULL;
}

/* ---- start and stop ---- */

static int conf_copy(struct bgp_conf *dst, const struct bgp_conf *src)
{
	*dst = *src;
	list_init(&dst->link);
	dst->file = NULL;
	for (int i = 0; i < dst->ntracks; i++)
		dst->tracks[i].backend = NULL;
	for (int i = 0; i < src->ntracks; i++)
		if (!(dst->tracks[i].backend = strdup(src->tracks[i].backend)))
			return -1;
	return 0;
}

static void conf_release(struct bgp_conf *c)
{
	for (int i = 0; i < c->ntracks; i++) {
		free(c->tracks[i].backend);
		c->tracks[i].backend = NULL;
	}
}

/* Withdraw through a fresh connection, blocking (exit, or a failed start). */
static void withdraw_blocking(struct bsect *s)
{
	struct birdc_parser p;
	char err[160];
	int fd = bgp_ctl_open(s->conf.socket, &p, STOP_TIMEOUT_MS, err, sizeof(err));

	for (int k = 0; fd >= 0 && k < s->nproto; k++) {
		struct birdc_reply rep;

		if (bgp_ctl_command(fd, &p, BIRDC_DISABLE, s->proto[k].name, STOP_TIMEOUT_MS, &rep, err, sizeof(err)) < 0) {
			close(fd);
			fd = -1;
		} else if (rep.res != BIRDC_R_CHANGED && rep.res != BIRDC_R_ALREADY) {
			log_event(LL_ERR, "(%s) BIRD refused 'disable \"%s\"': %s", s->conf.name, s->proto[k].name, rep.msg);
		}
	}
	if (fd < 0)
		log_event(LL_ERR, "(%s) cannot withdraw through BIRD at %s: %s", s->conf.name, s->conf.socket, err);
	else
		close(fd);
}

static void remove_addrs(struct bsect *s)
{
	char a[INET6_ADDRSTRLEN];

	for (int i = 0; i < s->conf.naddrs; i++) {
		int r;

		if (!s->added[i])
			continue;
		r = nl_addr(s, i, 0);
		if (r && r != -EADDRNOTAVAIL)
			log_event(LL_ERR, "(%s) cannot remove %s from %s: %s", s->conf.name,
				  addr_str(&s->conf.addrs[i], a, sizeof(a)), s->conf.addrs[i].dev, strerror(-r));
		s->added[i] = 0;
	}
}

static void release(void)
{
	for (int i = 0; i < B.n; i++) {
		if (B.s[i].fd >= 0)
			close(B.s[i].fd);
		B.s[i].fd = -1;
		conf_release(&B.s[i].conf);
	}
	if (B.nl >= 0)
		close(B.nl);
	B.nl = -1;
	B.n = 0;
	if (B.sh)
		__atomic_store_n(&B.sh->n, 0, __ATOMIC_RELEASE);
}

_Static_assert(sizeof(((struct bgp_snap *)0)->name) == sizeof(((struct bgp_conf *)0)->name), "name sizes");
_Static_assert(sizeof(((struct bgp_snap *)0)->socket) == sizeof(((struct bgp_conf *)0)->socket), "socket sizes");
_Static_assert(sizeof(((struct bgp_snap_addr *)0)->proto) == sizeof(((struct bgp_addr *)0)->proto), "proto sizes");
_Static_assert(sizeof(((struct bgp_snap_addr *)0)->dev) == sizeof(((struct bgp_addr *)0)->dev), "dev sizes");
_Static_assert(sizeof(((struct bgp_guard_sect *)0)->name) == BGP_NAME_LEN &&
	       sizeof(((struct bgp_guard_sect *)0)->socket) == BGP_SOCK_LEN &&
	       sizeof(((struct bgp_guard_sect *)0)->proto[0]) == BGP_PROTO_LEN, "guard plan sizes");

static int setup_sect(struct bsect *s, const struct bgp_conf *src)
{
	char a[INET6_ADDRSTRLEN];

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->track = -1;
	s->why = BGP_WHY_STARTING;
	s->backoff_ms = BACKOFF_MIN_MS;
	if (conf_copy(&s->conf, src) < 0) {
		log_event(LL_ALERT, "(%s) out of memory", src->name);
		return -1;
	}
	for (int i = 0; i < s->conf.naddrs; i++) {
		const struct bgp_addr *ad = &s->conf.addrs[i];
		uint8_t mac[6];
		int k;

		if (vrrp_if_get(ad->dev, &s->ifindex[i], mac) < 0) {
			log_event(LL_ALERT, "(%s) interface '%s' of %s: %s", s->conf.name, ad->dev,
				  addr_str(ad, a, sizeof(a)), strerror(errno));
			return -1;
		}
		for (k = 0; k < s->nproto && strcmp(s->proto[k].name, ad->proto); k++)
			;
		if (k == s->nproto) {
			memcpy(s->proto[k].name, ad->proto, sizeof(s->proto[k].name));
			s->proto[k].known = -1;
			s->nproto++;
		}
		s->addr_proto[i] = k;
		s->snap.addrs[i].af = ad->af;
		memcpy(s->snap.addrs[i].a, ad->a, sizeof(ad->a));
		memcpy(s->snap.addrs[i].proto, ad->proto, sizeof(s->snap.addrs[i].proto));
		memcpy(s->snap.addrs[i].dev, ad->dev, sizeof(s->snap.addrs[i].dev));
		s->snap.addrs[i].bird = -1;
	}
	/* same sizes, NUL-terminated by the configuration parser (memcpy: GCC
	 * takes snprintf between two members of one object for an overlap) */
	memcpy(s->snap.name, s->conf.name, sizeof(s->snap.name));
	memcpy(s->snap.socket, s->conf.socket, sizeof(s->snap.socket));
	s->snap.naddrs = s->conf.naddrs;
	s->snap.withdraw_delay_ms = s->conf.withdraw_delay_ms;
	s->snap.since_ms = clock_mono_us() / 1000;
	return 0;
}

/* Connect, make sure BIRD has every protocol (disabling it: nothing is
 * announced before the node serves), put the addresses in place. */
static int prepare_sect(struct bsect *s)
{
	char err[160], a[INET6_ADDRSTRLEN], list[512];

	s->fd = bgp_ctl_open(s->conf.socket, &s->ps, START_TIMEOUT_MS, err, sizeof(err));
	if (s->fd < 0) {
		log_event(LL_ALERT, "(%s) cannot reach BIRD's control socket %s: %s", s->conf.name, s->conf.socket, err);
		return -1;
	}
	s->snap.bird_connects++;
	for (int k = 0; k < s->nproto; k++) {
		struct bproto *p = &s->proto[k];
		struct birdc_reply rep;

		if (bgp_ctl_command(s->fd, &s->ps, BIRDC_DISABLE, p->name, START_TIMEOUT_MS, &rep, err, sizeof(err)) < 0) {
			log_event(LL_ALERT, "(%s) BIRD at %s: %s", s->conf.name, s->conf.socket, err);
			return -1;
		}
		if (rep.res == BIRDC_R_NOMATCH) {
			log_event(LL_ALERT, "(%s) BIRD at %s has no protocol '%s' (a `protocol static %s` holding the "
				  "service address's route, see doc/scale-out.md)", s->conf.name, s->conf.socket, p->name, p->name);
			return -1;
		}
		if (rep.res != BIRDC_R_CHANGED && rep.res != BIRDC_R_ALREADY) {
			log_event(LL_ALERT, "(%s) BIRD at %s refused 'disable \"%s\"': %s%s", s->conf.name, s->conf.socket,
				  p->name, rep.msg, rep.res == BIRDC_R_DENIED ? " (a restricted control socket?)" : "");
			return -1;
		}
		if (rep.res == BIRDC_R_CHANGED)
			log_event(LL_WARNING, "(%s) BIRD protocol %s was enabled before tandem started: disabled until "
				  "this node can serve", s->conf.name, p->name);
		p->known = 0;
	}
	s->cstate = BGP_BIRD_UP;
	for (int i = 0; i < s->conf.naddrs; i++) {
		int r = nl_addr(s, i, 1);

		if (r && r != -EEXIST) {
			log_event(LL_ALERT, "(%s) cannot add %s to %s: %s (tandem needs CAP_NET_ADMIN)", s->conf.name,
				  addr_str(&s->conf.addrs[i], a, sizeof(a)), s->conf.addrs[i].dev, strerror(-r));
			return -1;
		}
		if (r == -EEXIST)
			log_event(LL_NOTICE, "(%s) %s was already on %s: kept", s->conf.name,
				  addr_str(&s->conf.addrs[i], a, sizeof(a)), s->conf.addrs[i].dev);
		s->added[i] = 1;
	}
	log_event(LL_NOTICE, "(%s) anycast %s through BIRD at %s, withdraw-delay %u ms: withdrawn until the node serves",
		  s->conf.name, addr_list(s, list, sizeof(list)), s->conf.socket, s->conf.withdraw_delay_ms);
	return 0;
}

static void guard_plan(struct bsect *s, struct bgp_guard_sect *g)
{
	memset(g, 0, sizeof(*g));
	memcpy(g->name, s->conf.name, sizeof(g->name));   /* same sizes (asserted above) */
	memcpy(g->socket, s->conf.socket, sizeof(g->socket));
	g->nproto = s->nproto;
	for (int k = 0; k < s->nproto; k++)
		memcpy(g->proto[k], s->proto[k].name, sizeof(g->proto[k]));
	for (int i = 0; i < s->conf.naddrs; i++) {
		const struct bgp_addr *a = &s->conf.addrs[i];
		struct vrrp_ip ip = { .af = a->af };

		memcpy(ip.a, a->a, sizeof(ip.a));
		g->del_len[g->ndel] = vrrp_nl_build_addr(g->del[g->ndel], sizeof(g->del[g->ndel]), 0, s->ifindex[i], &ip,
							 a->af == AF_INET6 ? 128 : 32, 0x7ffe0000u + (uint32_t)i);
		if (g->del_len[g->ndel])
			g->ndel++;
	}
}

int bgp_prepare(struct cfg *cfg)
{
	struct list *l;
	int n = 0;

	if (B.prepared || !cfg->anycasts.next || list_empty(&cfg->anycasts))
		return 0;
	if (!B.sh) {
		void *p = mmap(NULL, sizeof(*B.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			log_event(LL_ALERT, "anycast: cannot map the snapshot area: %s", strerror(errno));
			return -1;
		}
		B.sh = p;
	}
	memset(B.sh, 0, sizeof(*B.sh));
	if ((B.nl = vrrp_nl_open()) < 0) {
		log_event(LL_ALERT, "anycast: cannot open a netlink socket: %s (tandem needs CAP_NET_ADMIN)", strerror(errno));
		return -1;
	}
	list_for_each(l, &cfg->anycasts) {
		const struct bgp_conf *c = list_entry(l, struct bgp_conf, link);

		if (n == BGP_MAX_SECT) {
			log_event(LL_ALERT, "anycast: at most %d sections", BGP_MAX_SECT);
			goto fail;
		}
		B.n = n + 1;
		if (setup_sect(&B.s[n], c) < 0 || prepare_sect(&B.s[n]) < 0)
			goto fail;
		guard_plan(&B.s[n], &B.gplan.s[n]);
		n++;
	}
	B.gplan.n = n;
	for (int i = 0; i < n; i++)
		publish(&B.s[i]);
	__atomic_store_n(&B.sh->n, n, __ATOMIC_RELEASE);
	B.prepared = 1;
	return 0;
fail:
	for (int i = 0; i < B.n; i++)
		remove_addrs(&B.s[i]);
	release();
	return -1;
}

int bgp_start(void)
{
	sigset_t all, old;
	int r;

	if (!B.prepared || B.running)
		return 0;
	B.guard = bgp_guard_start(&B.gplan);
	if (B.guard < 0)
		log_event(LL_WARNING, "anycast: cannot start the guard process: %s (BIRD would keep announcing after a crash)",
			  strerror(errno));
	if (loop_init(&B.loop, 0) < 0) {
		log_event(LL_ALERT, "anycast: cannot create the event loop: %s", strerror(errno));
		return -1;
	}
	B.loop.wake_hook = wake_hook;
	B.stop_req = 0;
	/* the thread inherits this mask: every signal stays with the master */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&B.th, NULL, thread_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		log_event(LL_ALERT, "anycast: cannot start its thread: %s", strerror(r));
		loop_destroy(&B.loop);
		return -1;
	}
	B.running = 1;
	return 0;
}

uint32_t bgp_withdraw(int soft)
{
	uint32_t delay = 0;

	if (!B.prepared)
		return 0;
	for (int i = 0; soft && i < B.n; i++)
		if (__atomic_load_n(&B.sh->live[i], __ATOMIC_RELAXED))
			delay = MAX(delay, B.s[i].conf.withdraw_delay_ms);
	/* a hard stop overrides a soft one, never the other way */
	if (B.stop_mode != BGP_WHY_STOP)
		B.stop_mode = soft ? BGP_WHY_SOFTSTOP : BGP_WHY_STOP;
	if (B.running)
		loop_wakeup(&B.loop);
	return delay;
}

static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int conf_same(const struct bgp_conf *a, const struct bgp_conf *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->socket, b->socket) || a->naddrs != b->naddrs ||
	    a->ntracks != b->ntracks || a->withdraw_delay_ms != b->withdraw_delay_ms)
		return 0;
	for (int i = 0; i < a->naddrs; i++)
		if (a->addrs[i].af != b->addrs[i].af || memcmp(a->addrs[i].a, b->addrs[i].a, 16) ||
		    strcmp(a->addrs[i].proto, b->addrs[i].proto) || strcmp(a->addrs[i].dev, b->addrs[i].dev))
			return 0;
	for (int i = 0; i < a->ntracks; i++)
		if (!str_same(a->tracks[i].backend, b->tracks[i].backend))
			return 0;
	return 1;
}

void bgp_reload(const struct cfg *ncfg)
{
	const struct list *l;
	int n = 0, same = 1;

	if (ncfg->anycasts.next)
		for (l = ncfg->anycasts.next; l != &ncfg->anycasts; l = l->next, n++)
			same &= n < B.n && conf_same(&B.s[n].conf, list_entry(l, struct bgp_conf, link));
	if (!same || n != B.n)
		log_event(LL_WARNING, "anycast: the reloaded configuration changes 'anycast' sections; they take effect "
			  "at the next restart (a reload never withdraws).");
}

void bgp_stop(void)
{
	if (!B.prepared)
		return;
	B.stop_mode = BGP_WHY_STOP;
	if (B.running) {
		B.stop_req = 1;
		loop_wakeup(&B.loop);
		pthread_join(B.th, NULL);
		B.running = 0;
		loop_destroy(&B.loop);
	}
	clock_update();
	for (int i = 0; i < B.n; i++) {
		struct bsect *s = &B.s[i];
		char list[512];

		if (s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
		}
		withdraw_blocking(s);
		remove_addrs(s);
		log_event(LL_NOTICE, "(%s) stopped: %s withdrawn and removed", s->conf.name, addr_list(s, list, sizeof(list)));
	}
	/* nothing is announced any more: the guard has nothing left to do */
	if (B.guard > 0) {
		kill(B.guard, SIGKILL);
		waitpid(B.guard, NULL, 0);
		B.guard = -1;
	}
	release();
	B.prepared = 0;
	B.stop_mode = 0;
}
