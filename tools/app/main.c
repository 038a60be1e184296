/* tandem-app: the demo backend and black-box test target of tandem.
 * This file: command line, the listening socket, worker threads (one event
 * loop each, sharing the listening socket), and signals:
 *   SIGTERM  graceful: /health turns 503 at once, connections are still
 *            accepted and served (with Connection: close) for --drain-ms,
 *            then the listener shuts and the process exits 0 once no request
 *            is in flight (at most APP_EXIT_GRACE_MS later);
 *   SIGUSR1  the same with a drain period of 0;
 *   SIGINT   immediate exit (status 0).
 * Each event is logged on stderr and, beside the access log, as a JSON line
 * on stdout (app_event).
 * Signals are received through a signalfd in thread 0's loop, so every
 * decision is taken in normal code, not in a handler. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include "app.h"

#define ACCEPT_BURST   64    /* accepts per wake-up, then let the loop breathe */
#define ACCEPT_PAUSE_MS 100  /* after EMFILE: retry later instead of spinning */
#define MAX_THREADS    64
#define MAX_DELAY_MS   3600000u

struct app_cfg app_cfg;
__thread struct worker *this_worker;

static struct worker *workers;
static int listen_fd = -1;
static int listen_shut;
/* thread 0 only: signal and drain handling */
static struct ev_io sig_io;
static struct ev_timer drain_timer;
static uint64_t drain_deadline, exit_deadline;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tandem-app --name NAME --listen ADDR:PORT [options]\n"
		"  --name NAME            node name (letters, digits, '_', '-', '.'; max %d)\n"
		"  --listen ADDR:PORT     127.0.0.1:9001, [::1]:9001, *:9001 (port 0: any free)\n"
		"  --read-delay-ms MS     delay of GET / and /read (default 5)\n"
		"  --write-delay-ms MS    delay of POST /write (default 50)\n"
		"  --mem-limit SIZE       memory allocations beyond it get 503, health fails at >= 80%%\n"
		"                         of it (e.g. 64m; default none)\n"
		"  --redis HOST:PORT      keep the todos in Redis; deep health checks PING it\n"
		"  --redis-timeout-ms MS  a Redis command unanswered by then fails (default %d)\n"
		"  --drain-ms MS          graceful stop period after SIGTERM (default 2000)\n"
		"  --threads N            worker threads (default 1)\n"
		"  --quiet                no access log on stdout\n"
		"See doc/tandem-app.md.\n", APP_NAME_MAX, APP_REDIS_TIMEOUT_MS);
}

/* ---- listening socket ---- */

/* Parse ADDR:PORT ([v6]:PORT, *:PORT, :PORT) into <ss>. 0 or -1. */
static int parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[128];
	const char *port;
	struct addrinfo hints = { 0 }, *ai;
	size_t hl;
	int err;

	if (arg[0] == '[') {
		const char *e = strchr(arg, ']');

		if (!e || e[1] != ':')
			return -1;
		hl = (size_t)(e - arg - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, arg + 1, hl);
		port = e + 2;
	} else {
		const char *e = strrchr(arg, ':');

		if (!e)
			return -1;
		hl = (size_t)(e - arg);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, arg, hl);
		port = e + 1;
	}
	host[hl] = 0;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");  /* numeric only otherwise: no resolver surprises */
	if (!*port)
		return -1;
	/* a wildcard means every IPv4 address ("[::]:PORT" for IPv6) */
	hints.ai_family = !hl || !strcmp(host, "*") ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	err = getaddrinfo(!hl || !strcmp(host, "*") ? NULL : host, port, &hints, &ai);
	if (err)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Create, bind and listen. Prints the bound address (useful with port 0). */
static int open_listener(const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[INET6_ADDRSTRLEN];
	int one = 1, fd, port;

	if (parse_listen(arg, &ss, &sl) < 0) {
		fprintf(stderr, "tandem-app: bad --listen '%s' (want ADDR:PORT or [ADDR]:PORT)\n", arg);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4096) < 0)
		goto fail;
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		app_event(LL_NOTICE, "node %s listening on [%s]:%d", app_cfg.name, host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		app_event(LL_NOTICE, "node %s listening on %s:%d", app_cfg.name, host, port);
	}
	return fd;
fail:
	fprintf(stderr, "tandem-app: cannot listen on %s: %s\n", arg, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ---- accepting ---- */

void worker_stop_accepting(struct worker *w)
{
	w->listening = 0;
	loop_timer_del(&w->loop, &w->accept_retry);
	loop_io_del(&w->loop, &w->lio);
}

static void accept_cb(struct ev_io *io, uint32_t events)
{
	struct worker *w = io->ctx;
	int i, one = 1;

	(void)events;
	for (i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EAGAIN)
				return;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the queue stays readable: pause instead of spinning */
				loop_io_del(&w->loop, &w->lio);
				loop_timer_set(&w->loop, &w->accept_retry, now_ms + ACCEPT_PAUSE_MS);
				return;
			}
			/* EINVAL: the listener was shut down (end of drain) */
			worker_stop_accepting(w);
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn_accept(w, fd);
	}
}

static void accept_retry_cb(struct ev_timer *t)
{
	struct worker *w = t->ctx;

	if (w->listening && !__atomic_load_n(&listen_shut, __ATOMIC_RELAXED))
		loop_io_set(&w->loop, &w->lio, EPOLLIN);
}

/* ---- drain and exit (thread 0) ---- */

/* Runs in a worker's own thread when another thread woke its loop. */
static void worker_wake_hook(struct loop *l)
{
	struct worker *w = container_of(l, struct worker, loop);

	if (__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE))
		l->stop = 1;
}

/* Stop every loop; main() then cleans up and exits 0. Other threads are
 * told through their quit flag and a wake-up, so that each loop's stop
 * field is only ever written by its own thread. */
static void stop_all(void)
{
	int i;

	this_loop->stop = 1;
	for (i = 1; i < app_cfg.threads; i++) {
		__atomic_store_n(&workers[i].quit, 1, __ATOMIC_RELEASE);
		loop_wakeup(&workers[i].loop);
	}
}

static void drain_timer_cb(struct ev_timer *t)
{
	(void)t;
	if (now_ms < drain_deadline) {
		loop_timer_set(this_loop, &drain_timer, drain_deadline);
		return;
	}
	if (!listen_shut) {
		/* end of the drain period: no new connections (every thread's
		 * accept fails with EINVAL and unregisters the listener) */
		__atomic_store_n(&listen_shut, 1, __ATOMIC_RELAXED);
		shutdown(listen_fd, SHUT_RDWR);
	}
	if (state_inflight() <= 0 || now_ms >= exit_deadline) {
		if (state_inflight() > 0)
			app_event(LL_WARNING, "exiting with %ld request(s) still in flight", state_inflight());
		stop_all();
		return;
	}
	loop_timer_set(this_loop, &drain_timer, now_ms + 5);
}

static void begin_drain(int sig, unsigned ms)
{
	uint64_t dl = now_ms + ms;

	if (!state_draining())
		app_event(LL_NOTICE, "received signal %d (%s): graceful shutdown, health checks answer 503, "
			  "draining for %u ms", sig, sig == SIGTERM ? "SIGTERM" : "SIGUSR1", ms);
	state_set_draining();
	if (!drain_deadline || dl < drain_deadline) {
		drain_deadline = dl;
		exit_deadline = dl + APP_EXIT_GRACE_MS;
	}
	loop_timer_set(this_loop, &drain_timer, now_ms);
}

static void signal_cb(struct ev_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
			alog_thread_flush();
			_exit(0);
		case SIGTERM:
			begin_drain(SIGTERM, app_cfg.drain_ms);
			break;
		case SIGUSR1:
			begin_drain(SIGUSR1, 0);
			break;
		}
	}
}

/* ---- threads ---- */

/* Body of every worker thread (thread 0 runs it on the main thread). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	this_worker = w;
	this_loop = &w->loop;
	if (__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE))
		return NULL;  /* stopped before it even started */
	list_init(&w->conns);
	if (alog_thread_init() < 0 || redis_thread_init(&w->loop) < 0) {
		fprintf(stderr, "tandem-app: out of memory\n");
		exit(1);
	}
	ev_io_init(&w->lio, listen_fd, accept_cb, w);
	ev_timer_init(&w->accept_retry, accept_retry_cb, w);
	w->listening = 1;
	if (loop_io_set(&w->loop, &w->lio, EPOLLIN) < 0) {
		perror("tandem-app: epoll");
		exit(1);
	}
	if (w->id == 0)
		loop_io_set(&w->loop, &sig_io, EPOLLIN);
	loop_run(&w->loop);
	worker_stop_accepting(w);
	conn_close_all(w);
	redis_thread_free();
	alog_thread_flush();
	alog_thread_free();
	buf_pool_flush();   /* the thread's cache of buffer areas dies with it */
	return NULL;
}

/* Parse a millisecond option value. */
static unsigned opt_ms(const char *name, const char *v)
{
	uint64_t ms;

	if (parse_u64(v, strlen(v), &ms) < 0 || ms > MAX_DELAY_MS) {
		fprintf(stderr, "tandem-app: bad %s '%s' (0..%u)\n", name, v, MAX_DELAY_MS);
		exit(2);
	}
	return (unsigned)ms;
}

/* --redis HOST:PORT ([v6]:PORT; localhost means 127.0.0.1). 0 or -1. */
static int parse_redis(const char *arg)
{
	const char *colon = strrchr(arg, ':'), *h = arg;
	size_t hl;
	uint64_t port;

	if (!colon || parse_u64(colon + 1, strlen(colon + 1), &port) < 0 || !port || port > 65535)
		return -1;
	hl = (size_t)(colon - arg);
	if (hl >= 2 && arg[0] == '[' && arg[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (!hl || hl >= sizeof(app_cfg.redis_host))
		return -1;
	memcpy(app_cfg.redis_host, h, hl);
	app_cfg.redis_host[hl] = 0;
	if (!strcmp(app_cfg.redis_host, "localhost"))
		strcpy(app_cfg.redis_host, "127.0.0.1");
	{
		/* numeric only: hiredis resolves names with a blocking getaddrinfo */
		struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai;

		if (getaddrinfo(app_cfg.redis_host, NULL, &hints, &ai))
			return -1;
		freeaddrinfo(ai);
	}
	app_cfg.redis_port = (int)port;
	return 0;
}

static int valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > APP_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", s[i]))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	enum { O_NAME = 256, O_LISTEN, O_RDELAY, O_WDELAY, O_MEM, O_DRAIN, O_THREADS, O_QUIET, O_HELP,
	       O_REDIS, O_REDIS_TO };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "read-delay-ms", required_argument, NULL, O_RDELAY },
		{ "write-delay-ms", required_argument, NULL, O_WDELAY },
		{ "mem-limit", required_argument, NULL, O_MEM },
		{ "drain-ms", required_argument, NULL, O_DRAIN },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "redis", required_argument, NULL, O_REDIS },
		{ "redis-timeout-ms", required_argument, NULL, O_REDIS_TO },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *listen_arg = NULL;
	struct rlimit rl;
	sigset_t ss;
	uint64_t v;
	int o, i, sfd;
	pthread_t *tids;

	app_cfg.read_delay_ms = 5;
	app_cfg.write_delay_ms = 50;
	app_cfg.drain_ms = 2000;
	app_cfg.threads = 1;
	app_cfg.redis_timeout_ms = APP_REDIS_TIMEOUT_MS;
	app_cfg.start_us = clock_mono_us();
	app_cfg.start_wall_us = clock_wall_us();
	while ((o = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (o) {
		case O_NAME: name = optarg; break;
		case O_LISTEN: listen_arg = optarg; break;
		case O_RDELAY: app_cfg.read_delay_ms = opt_ms("--read-delay-ms", optarg); break;
		case O_WDELAY: app_cfg.write_delay_ms = opt_ms("--write-delay-ms", optarg); break;
		case O_DRAIN: app_cfg.drain_ms = opt_ms("--drain-ms", optarg); break;
		case O_REDIS:
			if (parse_redis(optarg) < 0) {
				fprintf(stderr, "tandem-app: bad --redis '%s' (want IP:PORT, e.g. 127.0.0.1:6379)\n",
					optarg);
				return 2;
			}
			break;
		case O_REDIS_TO:
			app_cfg.redis_timeout_ms = opt_ms("--redis-timeout-ms", optarg);
			if (!app_cfg.redis_timeout_ms) {
				fprintf(stderr, "tandem-app: bad --redis-timeout-ms '0'\n");
				return 2;
			}
			break;
		case O_MEM:
			if (parse_size(optarg, &app_cfg.mem_limit) < 0) {
				fprintf(stderr, "tandem-app: bad --mem-limit '%s' (e.g. 64m, 1g)\n", optarg);
				return 2;
			}
			break;
		case O_THREADS:
			if (parse_u64(optarg, strlen(optarg), &v) < 0 || !v || v > MAX_THREADS) {
				fprintf(stderr, "tandem-app: bad --threads '%s' (1..%d)\n", optarg, MAX_THREADS);
				return 2;
			}
			app_cfg.threads = (int)v;
			break;
		case 'q':
		case O_QUIET: app_cfg.quiet = 1; break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !name || !listen_arg) {
		usage(stderr);
		return 2;
	}
	if (!valid_name(name)) {
		fprintf(stderr, "tandem-app: bad --name '%s'\n", name);
		return 2;
	}
	strcpy(app_cfg.name, name);
	app_cfg.node_body_len = (size_t)sprintf(app_cfg.node_body, "NODE_%s\n", name);

	log_setup(2, LL_INFO, "tandem-app");
	/* load tests open many connections: take every descriptor we may */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	/* block before any thread exists so that all inherit the mask and the
	 * signals reach only the signalfd */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		perror("tandem-app: signalfd");
		return 1;
	}
	ev_io_init(&sig_io, sfd, signal_cb, NULL);
	ev_timer_init(&drain_timer, drain_timer_cb, NULL);

	listen_fd = open_listener(listen_arg);
	if (listen_fd < 0)
		return 1;
	if (!app_cfg.quiet)
		alog_setup_stdout();
	conn_global_init();

	workers = calloc((size_t)app_cfg.threads, sizeof(*workers));
	tids = calloc((size_t)app_cfg.threads, sizeof(*tids));
	if (!workers || !tids) {
		fprintf(stderr, "tandem-app: out of memory\n");
		return 1;
	}
	/* every loop exists before any thread runs, so that thread 0 may stop
	 * them at any time; worker 0's last since loop_init sets this_loop */
	for (i = app_cfg.threads - 1; i >= 0; i--) {
		workers[i].id = i;
		if (loop_init(&workers[i].loop, i) < 0) {
			perror("tandem-app: loop_init");
			return 1;
		}
		workers[i].loop.wake_hook = worker_wake_hook;
	}
	for (i = 1; i < app_cfg.threads; i++) {
		if (pthread_create(&tids[i], NULL, worker_main, &workers[i])) {
			fprintf(stderr, "tandem-app: cannot start thread %d\n", i);
			return 1;
		}
	}
	worker_main(&workers[0]);
	for (i = 1; i < app_cfg.threads; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < app_cfg.threads; i++)
		loop_destroy(&workers[i].loop);
	close(listen_fd);
	close(sfd);
	free(workers);
	free(tids);
	todo_free_all();
	if (state_draining())
		app_event(LL_NOTICE, "graceful shutdown complete: node %s stopped", app_cfg.name);
	else
		app_event(LL_NOTICE, "node %s stopped", app_cfg.name);
	return 0;
}
