/* The worker process: nbthread threads, each with its own event loop. Every
 * thread watches every listening socket (EPOLLEXCLUSIVE, so one thread wakes
 * per new connection) and a connection stays on the thread that accepted it.
 * Thread 0 also reads the signals (signalfd) the master forwards. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/conn.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/server.h>
#include <tandem/shm.h>
#include <tandem/srv_state.h>
#include <tandem/ssl.h>
#include <tandem/handover.h>
#include <tandem/sess.h>
#include <tandem/stream.h>
#include <tandem/worker.h>

struct worker worker;
__thread struct worker_thr *this_thr;

static int listeners_left;      /* threads that still have listeners registered */
static struct ev_io sig_io;
static struct ev_timer hard_stop_tmr;

struct lst_ctx {
	struct bind_conf *bind;
};

static void accept_cb(struct ev_io *io, uint32_t ev);
static void take_handed_over(void);

static struct worker_module *modules, **modules_tail = &modules;

void worker_module_register(struct worker_module *m)
{
	struct worker_module *it;

	for (it = modules; it; it = it->next)
		if (it == m)
			return;
	m->next = NULL;
	*modules_tail = m;
	modules_tail = &m->next;
}

static void modules_stop(void)
{
	struct worker_module *m;

	for (m = modules; m; m = m->next)
		if (m->stop)
			m->stop();
}

/* ---- pausing and resuming listeners --------------------------------------
 *
 * Every thread watches every listener (level-triggered, EPOLLEXCLUSIVE). A
 * listener that cannot take a connection now is unregistered on the thread
 * that noticed, so the connection waits in the kernel's backlog instead of
 * waking the thread again and again:
 *  - the frontend is at its `maxconn`: that frontend's listeners only (the
 *    other frontends and the stats page stay reachable);
 *  - the bind is at its `maxconn`: that listener only;
 *  - the process is at the global `maxconn`, or accept() ran out of file
 *    descriptors: every listener of the thread (for the fd limit, no
 *    accept() is tried again for RETRY_MS).
 * A paused listener comes back as soon as its limits allow: when a stream
 * ends on this thread (worker_stream_gone), when one ends on another thread
 * (which wakes the threads that have paused listeners), and every RETRY_MS
 * while anything is paused (an fd freed by something else than a stream, a
 * limit changed at run time). */
#define RETRY_MS 100

enum full_reason { NOT_FULL = 0, FULL_GLOBAL, FULL_FE, FULL_BIND };

static enum full_reason listener_full(const struct bind_conf *b)
{
	if (__atomic_load_n(&worker.actconn, __ATOMIC_RELAXED) >= worker.cfg->g.maxconn)
		return FULL_GLOBAL;
	if (b->fe->maxconn && (int)CTR_GET(b->fe->fe_ctr->cur_sess) >= b->fe->maxconn)
		return FULL_FE;
	if (b->maxconn && __atomic_load_n(&b->curconn, __ATOMIC_RELAXED) >= b->maxconn)
		return FULL_BIND;
	return NOT_FULL;
}

static const struct bind_conf *lst_bind(int i)
{
	return ((const struct lst_ctx *)this_thr->lst_io[i].ctx)->bind;
}

static void pause_listener(int i)
{
	if (this_thr->lst_off[i])
		return;
	loop_io_del(&this_thr->loop, &this_thr->lst_io[i]);
	this_thr->lst_off[i] = 1;
	__atomic_add_fetch(&this_thr->lst_paused, 1, __ATOMIC_RELEASE);
	if (!worker.stopping && !ev_timer_armed(&this_thr->lst_retry))
		loop_timer_set(&this_thr->loop, &this_thr->lst_retry, now_ms + RETRY_MS);
}

/* Pause every listener of this thread (global maxconn, fd limit, stop). */
static void stop_accepting_here(void)
{
	for (int i = 0; i < this_thr->nlst; i++)
		pause_listener(i);
}

/* Pause the listeners this thread has for frontend <fe>. */
static void pause_frontend(const struct proxy *fe)
{
	for (int i = 0; i < this_thr->nlst; i++)
		if (lst_bind(i)->fe == fe)
			pause_listener(i);
}

/* Register again the paused listeners of this thread whose limits allow a
 * connection now. */
static void resume_accepting_here(void)
{
	if (!__atomic_load_n(&this_thr->lst_paused, __ATOMIC_ACQUIRE) || worker.stopping)
		return;
	if (now_ms < this_thr->emfile_until)
		return;   /* the retry timer comes back then */
	for (int i = 0; i < this_thr->nlst; i++) {
		if (!this_thr->lst_off[i] || listener_full(lst_bind(i)) != NOT_FULL)
			continue;
		if (loop_io_set(&this_thr->loop, &this_thr->lst_io[i], EPOLLIN | EPOLLEXCLUSIVE) < 0)
			continue;   /* tried again at the next retry */
		this_thr->lst_off[i] = 0;
		__atomic_sub_fetch(&this_thr->lst_paused, 1, __ATOMIC_RELEASE);
	}
}

static void lst_retry_cb(struct ev_timer *t)
{
	resume_accepting_here();
	if (__atomic_load_n(&this_thr->lst_paused, __ATOMIC_ACQUIRE) && !worker.stopping) {
		uint64_t when = now_ms + RETRY_MS;

		if (this_thr->emfile_until > now_ms && this_thr->emfile_until < when)
			when = this_thr->emfile_until;
		loop_timer_set(&this_thr->loop, t, when);
	}
}

void worker_fd_limit_alert(const char *what)
{
	static uint64_t last_ms;       /* atomic */
	static unsigned suppressed;    /* atomic */
	uint64_t last = __atomic_load_n(&last_ms, __ATOMIC_RELAXED);

	if (last && now_ms < last + 1000) {
		__atomic_add_fetch(&suppressed, 1, __ATOMIC_RELAXED);
		return;
	}
	if (!__atomic_compare_exchange_n(&last_ms, &last, now_ms ? now_ms : 1, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&suppressed, 1, __ATOMIC_RELAXED);
		return;
	}
	{
		unsigned n = __atomic_exchange_n(&suppressed, 0, __ATOMIC_RELAXED);

		if (n)
			log_event(LL_ALERT, "%s reached system FD limit (maxsock). Please check system tunables."
				  " (%u similar messages suppressed in the last second)", what, n);
		else
			log_event(LL_ALERT, "%s reached system FD limit (maxsock). Please check system tunables.", what);
	}
}

/* Soft stop, run on each thread: no more accepts, idle clients closed,
 * busy ones finish their request. The last thread to let go of the
 * listeners closes them, so new connections are refused at once (the
 * master closes its own copies too). */
static void thread_soft_stop(void)
{
	struct list *l, *n;
	struct list *pl;

	checks_stop_thread(this_thr->id);
	if (this_thr->id == 0)
		modules_stop();   /* new admin socket clients go to the new worker */
	if (this_thr->stopping_seen)
		return;
	this_thr->stopping_seen = 1;
	stop_accepting_here();
	loop_timer_del(&this_thr->loop, &this_thr->lst_retry);
	if (__atomic_sub_fetch(&listeners_left, 1, __ATOMIC_ACQ_REL) == 0) {
		list_for_each(pl, &worker.cfg->proxies) {
			struct proxy *px = list_entry(pl, struct proxy, link);
			struct list *bl;
			list_for_each(bl, &px->binds) {
				struct bind_conf *b = list_entry(bl, struct bind_conf, link);
				if (b->fd >= 0) {
					close(b->fd);
					b->fd = -1;
				}
			}
		}
	}
	list_for_each_safe(l, n, &this_thr->sessions)
		sess_soft_stop(list_entry(l, struct sess, link));
	srv_purge_idle(worker.cfg, 0);
	if (!this_thr->nsess)
		this_thr->loop.stop = 1;
}

static void thread_hard_stop(void)
{
	struct list *l, *n;

	checks_stop_thread(this_thr->id);
	if (this_thr->id == 0)
		modules_stop();
	list_for_each_safe(l, n, &this_thr->sessions)
		sess_kill(list_entry(l, struct sess, link));
	this_thr->loop.stop = 1;
}

static void wake_hook(struct loop *lp)
{
	unsigned gen = __atomic_load_n(&worker.srv_gone_gen, __ATOMIC_ACQUIRE);

	(void)lp;
	/* connections handed over by another thread first: a stop then treats
	 * them as it treats this thread's own */
	take_handed_over();
	if (worker.hard_stop)
		thread_hard_stop();
	else if (worker.stopping)
		thread_soft_stop();
	else
		resume_accepting_here();   /* a slot may have freed on another thread */
	if (gen != this_thr->srv_gone_seen) {
		this_thr->srv_gone_seen = gen;
		stream_srv_gone_scan();
	}
}

/* A server went DOWN or into maintenance (on any thread): every thread
 * looks at the requests waiting on it at its next loop turn (never inside
 * the caller, which may be one of those requests). */
static void srv_gone_hook(struct server *s)
{
	int i;

	(void)s;
	__atomic_add_fetch(&worker.srv_gone_gen, 1, __ATOMIC_RELEASE);
	for (i = 0; i < worker.nbthread; i++)
		loop_wakeup(&worker.thr[i].loop);
}

static void wake_all(void)
{
	int i;

	for (i = 0; i < worker.nbthread; i++)
		loop_wakeup(&worker.thr[i].loop);
}

static void hard_stop_cb(struct ev_timer *t)
{
	(void)t;
	log_event(LL_WARNING, "Hard-stop-after expired: closing remaining connections.");
	worker.hard_stop = 1;
	wake_all();
}

static void signal_cb(struct ev_io *io, uint32_t ev)
{
	struct signalfd_siginfo si;

	(void)ev;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			if (!worker.stopping) {
				worker.stopping = 1;
				log_event(LL_NOTICE, "Stopping frontends: soft stop requested, finishing %d active connection(s).",
					  __atomic_load_n(&worker.actconn, __ATOMIC_RELAXED));
				if (worker.cfg->g.hard_stop_after)
					loop_timer_set(this_loop, &hard_stop_tmr, now_ms + worker.cfg->g.hard_stop_after);
				wake_all();
			}
			break;
		case SIGURG:
			/* the master is about to start a new worker: publish what
			 * it must take over now rather than at the next beat */
			handover_publish(worker.cfg);
			handover_publish_maps(worker.cfg);
			if (tdm_shm)
				__atomic_add_fetch(&tdm_shm->publish_ack, 1, __ATOMIC_RELEASE);
			break;
		case SIGUSR2:
			/* retire after a reload: like a soft stop, but idle
			 * keep-alive clients are not cut (see sess_soft_stop) */
			if (!worker.stopping) {
				worker.retiring = 1;
				worker.stopping = 1;
				log_event(LL_NOTICE, "Retiring after a reload: %d active connection(s) to finish.",
					  __atomic_load_n(&worker.actconn, __ATOMIC_RELAXED));
				if (worker.cfg->g.hard_stop_after)
					loop_timer_set(this_loop, &hard_stop_tmr, now_ms + worker.cfg->g.hard_stop_after);
				wake_all();
			}
			break;
		case SIGTERM:
		case SIGINT:
			worker.stopping = 1;
			worker.hard_stop = 1;
			wake_all();
			break;
		default:
			break;
		}
	}
}

void worker_stream_gone(void)
{
	__atomic_sub_fetch(&this_thr->load, 1, __ATOMIC_RELAXED);
	if (worker.stopping) {
		if (!this_thr->nsess)
			this_thr->loop.stop = 1;
		return;
	}
	resume_accepting_here();
	/* the slot freed here may be what another thread's paused listener
	 * waits for (a frontend's or the global maxconn is shared) */
	for (int i = 0; i < worker.nbthread; i++) {
		struct worker_thr *t = &worker.thr[i];

		if (t != this_thr && __atomic_load_n(&t->lst_paused, __ATOMIC_ACQUIRE))
			loop_wakeup(&t->loop);
	}
}

/* ---- sharing accepted connections between threads ------------------------
 *
 * A burst of connections (a client opening 50 at once) wakes one thread:
 * while it is being woken, the other threads' EPOLLEXCLUSIVE entries are
 * skipped. Measured with 2 threads, the woken one took all 50 connections in
 * two runs of four and the other idled. So the accepting thread hands each
 * new connection to the least loaded thread (client connections owned or
 * queued there), itself when it is within one of the least; the receiver
 * creates the session from its wake hook. As HAProxy's per-thread accept
 * queues, but with a plain locked array: a hand-over costs one lock and
 * one eventfd write, only for connections that change thread. */
struct acc_item {
	int fd;
	struct bind_conf *bind;
	struct sockaddr_storage ss;
};

static struct worker_thr *least_loaded(void)
{
	struct worker_thr *best = this_thr;
	int min = __atomic_load_n(&this_thr->load, __ATOMIC_RELAXED) - 1;

	for (int i = 0; i < worker.nbthread; i++) {
		struct worker_thr *t = &worker.thr[i];
		int l = __atomic_load_n(&t->load, __ATOMIC_RELAXED);

		if (t != this_thr && l < min) {
			min = l;
			best = t;
		}
	}
	return best;
}

/* Queue an accepted connection for thread <t>; 0, or -1 (fd left to the caller). */
static int hand_over(struct worker_thr *t, int fd, struct bind_conf *b, const struct sockaddr_storage *ss)
{
	int wake;

	pthread_mutex_lock(&t->inq_lock);
	if (t->inq_n == t->inq_size) {
		int nsize = t->inq_size ? t->inq_size * 2 : 16;
		struct acc_item *n = realloc(t->inq, (size_t)nsize * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&t->inq_lock);
			return -1;
		}
		t->inq = n;
		t->inq_size = nsize;
	}
	t->inq[t->inq_n].fd = fd;
	t->inq[t->inq_n].bind = b;
	t->inq[t->inq_n].ss = *ss;
	wake = t->inq_n++ == 0;
	pthread_mutex_unlock(&t->inq_lock);
	if (wake)
		loop_wakeup(&t->loop);
	return 0;
}

/* Create the streams of the connections other threads handed to this one. */
static void take_handed_over(void)
{
	struct acc_item items[64];
	int n, i;

	do {
		pthread_mutex_lock(&this_thr->inq_lock);
		n = this_thr->inq_n < 64 ? this_thr->inq_n : 64;
		if (!n) {
			pthread_mutex_unlock(&this_thr->inq_lock);
			return;
		}
		memcpy(items, this_thr->inq, (size_t)n * sizeof(*items));
		memmove(this_thr->inq, this_thr->inq + n, (size_t)(this_thr->inq_n - n) * sizeof(*items));
		this_thr->inq_n -= n;
		pthread_mutex_unlock(&this_thr->inq_lock);
		for (i = 0; i < n; i++)
			if (sess_new(items[i].bind->fe, items[i].bind, items[i].fd, &items[i].ss) < 0)
				__atomic_sub_fetch(&this_thr->load, 1, __ATOMIC_RELAXED);
	} while (n == 64);
}

static void accept_cb(struct ev_io *io, uint32_t ev)
{
	struct lst_ctx *lc = io->ctx;
	struct bind_conf *b = lc->bind;
	/* tune.maxaccept: connections taken per wake-up (-1: as many as come) */
	int budget = worker.cfg->g.tune_maxaccept > 0 ? worker.cfg->g.tune_maxaccept : 1 << 30;

	(void)ev;
	while (budget-- > 0 && !worker.stopping) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd;

		/* full: leave new connections in the backlog until a slot frees */
		switch (listener_full(b)) {
		case FULL_GLOBAL:
			stop_accepting_here();
			return;
		case FULL_FE:
			pause_frontend(b->fe);
			return;
		case FULL_BIND:
			pause_listener((int)(io - this_thr->lst_io));
			return;
		case NOT_FULL:
			break;
		}
		fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				char what[160];

				snprintf(what, sizeof(what), "Proxy %s", b->fe->id);
				worker_fd_limit_alert(what);
				this_thr->emfile_until = now_ms + RETRY_MS;
				stop_accepting_here();
			}
			return;
		}
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		{
			struct worker_thr *t = worker.nbthread > 1 ? least_loaded() : this_thr;

			__atomic_add_fetch(&t->load, 1, __ATOMIC_RELAXED);
			if (t != this_thr && hand_over(t, fd, b, &ss) == 0)
				continue;
			if (t != this_thr) {
				__atomic_sub_fetch(&t->load, 1, __ATOMIC_RELAXED);
				__atomic_add_fetch(&this_thr->load, 1, __ATOMIC_RELAXED);
			}
			if (sess_new(b->fe, b, fd, &ss) < 0)
				__atomic_sub_fetch(&this_thr->load, 1, __ATOMIC_RELAXED);
		}
	}
}

/* Publish backends' usable server counts for the master (VRRP tracking).
 * Usable, not free: a backend whose servers are all at their maxconn is
 * busy (its requests queue), and must not make the node give up its
 * virtual address. */
static void publish_backends(void)
{
	struct list *pl, *sl;
	int n = 0;

	if (!tdm_shm || __atomic_load_n(&tdm_shm->worker_pid, __ATOMIC_RELAXED) != (int)getpid())
		return;  /* a retiring worker no longer speaks for the node */
	list_for_each(pl, &worker.cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		int usable = 0, total = 0;

		if (!(px->cap & PR_CAP_BE) || n >= SHM_MAX_BE)
			continue;
		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);
			total++;
			usable += srv_usable(s);
		}
		shm_be_publish(n++, px->id, usable, total);
	}
	__atomic_store_n(&tdm_shm->nbe, n, __ATOMIC_RELAXED);
}

/* Every 100 ms each thread proves it still turns; thread 0 also publishes
 * the backends' state. A wedged thread stops beating, and the master sees it. */
static void beat_cb(struct ev_timer *t)
{
	shm_beat(this_thr->id, now_ms);
	if (this_thr->id == 0) {
		publish_backends();
		handover_publish(worker.cfg);
	}
	loop_timer_set(this_loop, t, now_ms + 100);
}

static void purge_cb(struct ev_timer *t)
{
	/* Close server connections idle for 5s (HAProxy's pool-purge-delay):
	 * long enough to reuse, short enough to beat most servers' own
	 * keep-alive timeouts and the races they bring. */
	srv_purge_idle(worker.cfg, 5000);
	/* after a burst (slow readers holding thousands of full buffers),
	 * give the memory back rather than keep the high-water mark */
	buf_trim_idle();
	loop_timer_set(this_loop, t, now_ms + 1000);
}

static int thread_setup(struct worker_thr *t)
{
	struct list *pl, *bl;
	int n = 0;

	if (loop_init(&t->loop, t->id) < 0)
		return -1;
	this_thr = t;
	t->loop.wake_hook = wake_hook;
	t->loop.owner = t;
	list_init(&t->sessions);
	list_init(&t->strm_pool);
	list_init(&t->sess_blocks);
	pthread_mutex_init(&t->inq_lock, NULL);
	list_for_each(pl, &worker.cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		list_for_each(bl, &px->binds)
			n++;
	}
	t->lst_io = calloc((size_t)(n ? n : 1), sizeof(*t->lst_io));
	t->lst_off = calloc((size_t)(n ? n : 1), 1);
	if (!t->lst_io || !t->lst_off)
		return -1;
	ev_timer_init(&t->lst_retry, lst_retry_cb, t);
	list_for_each(pl, &worker.cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		if (px->disabled)
			continue;
		list_for_each(bl, &px->binds) {
			struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			struct lst_ctx *lc = malloc(sizeof(*lc));
			struct ev_io *io = &t->lst_io[t->nlst];

			if (!lc || b->fd < 0)
				continue;
			lc->bind = b;
			ev_io_init(io, b->fd, accept_cb, lc);
			if (loop_io_set(&t->loop, io, EPOLLIN | EPOLLEXCLUSIVE) < 0)
				return -1;
			t->nlst++;
		}
	}
	list_init(&t->queue);
	ev_timer_init(&t->qtick, stream_queue_tick, t);
	ev_timer_init(&t->purge, purge_cb, t);
	loop_timer_set(&t->loop, &t->purge, now_ms + 1000);
	ev_timer_init(&t->beat, beat_cb, t);
	loop_timer_set(&t->loop, &t->beat, now_ms);
	checks_start_thread(worker.cfg, t->id, worker.nbthread);
	return 0;
}

static void *thread_main(void *arg)
{
	struct worker_thr *t = arg;

	worker_cpu_map(t->id);   /* cpu-map (src/proxy/cpu_map.c) */
	this_thr = t;
	this_loop = &t->loop;
	ctr_thread_init(t->id);   /* this thread's counter slots */
	clock_update();
	loop_run(&t->loop);
	loop_finish(&t->loop);
	stream_pool_flush();
	sess_blocks_flush();
	return NULL;
}

int worker_run(struct cfg *cfg)
{
	sigset_t set;
	int i, sfd;
	struct worker_module *mod;

	worker.cfg = cfg;
	srv_gone_cb = srv_gone_hook;
	loop_max_events = cfg->g.tune_maxpollevents;
	{
		struct list *pl, *sl;
		list_for_each(pl, &cfg->proxies) {
			struct proxy *px = list_entry(pl, struct proxy, link);
			list_for_each(sl, &px->servers)
				list_entry(sl, struct server, link)->cfg_weight =
					list_entry(sl, struct server, link)->uweight;
		}
	}
	worker.nbthread = cfg->g.nbthread > 0 ? cfg->g.nbthread : 1;
	worker.thr = calloc((size_t)worker.nbthread, sizeof(*worker.thr));
	if (!worker.thr || srv_init_threads(cfg, worker.nbthread) < 0) {
		log_event(LL_ALERT, "out of memory while starting the worker");
		return 1;
	}
	listeners_left = worker.nbthread;

	/* signals: read by thread 0 only, blocked everywhere (inherited by threads) */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGURG);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < worker.nbthread; i++) {
		worker.thr[i].id = i;
		if (thread_setup(&worker.thr[i]) < 0) {
			log_event(LL_ALERT, "cannot set up thread %d: %s", i, strerror(errno));
			return 1;
		}
	}
	/* reload: continue from the previous worker's view of the servers
	 * (checks are set up by now, and run only once the loops turn) */
	handover_import(cfg);
	/* TLS: per-thread server sessions; ticket keys and certificates changed
	 * on the runtime API taken over from the previous worker */
	if (ssl_worker_init(cfg, worker.nbthread) < 0)
		return 1;
	/* thread 0 is this one */
	this_thr = &worker.thr[0];
	this_loop = &worker.thr[0].loop;
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		return 1;
	ev_io_init(&sig_io, sfd, signal_cb, NULL);
	loop_io_set(this_loop, &sig_io, EPOLLIN);
	/* thread 0 serves the registered modules (the admin socket) */
	for (mod = modules; mod; mod = mod->next)
		if (mod->start(cfg) < 0)
			log_event(LL_ALERT, "The %s is not served by this worker.", mod->name);
	ev_timer_init(&hard_stop_tmr, hard_stop_cb, NULL);
	for (i = 1; i < worker.nbthread; i++) {
		if (pthread_create(&worker.thr[i].th, NULL, thread_main, &worker.thr[i]) != 0) {
			log_event(LL_ALERT, "cannot start thread %d", i);
			return 1;
		}
	}
	/* every thread watches the listeners now: tell the master we serve */
	if (tdm_shm) {
		tdm_shm->nthr = worker.nbthread < SHM_MAX_THR ? worker.nbthread : SHM_MAX_THR;
		tdm_shm->worker_start_ms = clock_mono_us() / 1000;
		__atomic_store_n(&tdm_shm->worker_pid, (int)getpid(), __ATOMIC_RELEASE);
	}
	thread_main(&worker.thr[0]);
	for (i = 1; i < worker.nbthread; i++)
		pthread_join(worker.thr[i].th, NULL);
	return 0;
}
