/* tandem's entry point and master process. The master parses and checks
 * the configuration, opens every listening socket once, forks the worker
 * and then only waits: it forwards signals, restarts a crashed worker and
 * never touches client traffic, so nothing a worker does can take the
 * listeners down. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include <tandem/sock.h>
#include <tandem/version.h>
#include <tandem/worker.h>

extern uint64_t tandem_start_wall_s;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tandem -f CONFIG [-c] [-D] [-p PIDFILE] [-d] [-v]\n"
		"  -f FILE   configuration file (HAProxy syntax)\n"
		"  -c        check the configuration and exit (0 valid, 1 invalid)\n"
		"  -D        run in the background (daemon)\n"
		"  -p FILE   write the master's PID to FILE\n"
		"  -d        debug: print debug-level event logs\n"
		"  -q        quiet: only warnings and errors\n"
		"  -v        print the version and exit\n"
		"Signals: SIGUSR1 soft stop, SIGTERM/SIGINT hard stop.\n");
}

static int open_listeners(struct cfg *cfg)
{
	struct list *pl, *bl;
	char err[256];

	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		if (px->disabled)
			continue;
		list_for_each(bl, &px->binds) {
			struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			int backlog = b->backlog ? b->backlog :
				(px->maxconn ? px->maxconn : cfg->g.maxconn);
			int v6only = b->v6only ? 1 : (b->v4v6 ? 0 : -1);

			b->fd = sock_listen(&b->addr, b->addrlen, backlog, v6only, b->freebind, err, sizeof(err));
			if (b->fd < 0) {
				log_event(LL_ALERT, "Binding [%s:%d] for %s %s: %s", b->file ? b->file : "?", b->line,
					  (px->cap & PR_CAP_BE) ? "proxy" : "frontend", px->id, err);
				return -1;
			}
		}
	}
	return 0;
}

static void close_listeners(struct cfg *cfg)
{
	struct list *pl, *bl;

	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		list_for_each(bl, &px->binds) {
			struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			if (b->fd >= 0) {
				close(b->fd);
				b->fd = -1;
			}
		}
	}
}

/* Worker side of fork: drop privileges as configured, then serve. */
static int worker_start(struct cfg *cfg)
{
	struct global *g = &cfg->g;

	if (g->chroot && (chroot(g->chroot) < 0 || chdir("/") < 0)) {
		log_event(LL_ALERT, "[tandem.main()] Cannot chroot(%s): %s", g->chroot, strerror(errno));
		return 1;
	}
	if (g->gid >= 0 && (setgroups(0, NULL) < 0 || setgid((gid_t)g->gid) < 0)) {
		log_event(LL_ALERT, "[tandem.main()] Cannot set gid %d: %s", g->gid, strerror(errno));
		return 1;
	}
	if (g->uid >= 0 && setuid((uid_t)g->uid) < 0) {
		log_event(LL_ALERT, "[tandem.main()] Cannot set uid %d: %s", g->uid, strerror(errno));
		return 1;
	}
	return worker_run(cfg);
}

static pid_t fork_worker(struct cfg *cfg)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		/* the worker blocks what it reads through signalfd itself */
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(worker_start(cfg));
	}
	if (pid > 0)
		log_event(LL_NOTICE, "New worker (%d) forked", (int)pid);
	else
		log_event(LL_ALERT, "Cannot fork a worker: %s", strerror(errno));
	return pid;
}

static void describe_exit(int status, char *out, size_t len)
{
	if (WIFEXITED(status))
		snprintf(out, len, "exited with code %d (%s)", WEXITSTATUS(status),
			 WEXITSTATUS(status) ? "Error" : "Exit");
	else if (WIFSIGNALED(status))
		snprintf(out, len, "exited with code %d (%s)", 128 + WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "exited");
}

/* The master's life: wait for signals and for the worker. */
static int master_loop(struct cfg *cfg)
{
	sigset_t set;
	pid_t wpid;
	int stopping = 0, crashes = 0;
	uint64_t last_start_ms, grace_end_ms = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);

	wpid = fork_worker(cfg);
	if (wpid < 0)
		return 1;
	last_start_ms = clock_mono_us() / 1000;
	log_event(LL_NOTICE, "Loading success.");
	for (;;) {
		siginfo_t si;
		int sig;

		if (grace_end_ms) {
			/* `grace`: keep serving (and accepting) this long after SIGUSR1 */
			uint64_t now = clock_mono_us() / 1000;
			struct timespec ts;

			if (now >= grace_end_ms) {
				grace_end_ms = 0;
				close_listeners(cfg);
				kill(wpid, SIGUSR1);
				continue;
			}
			ts.tv_sec = (time_t)((grace_end_ms - now) / 1000);
			ts.tv_nsec = (long)((grace_end_ms - now) % 1000) * 1000000L;
			sig = sigtimedwait(&set, &si, &ts);
		} else {
			sig = sigwaitinfo(&set, &si);
		}
		if (sig < 0)
			continue;
		switch (sig) {
		case SIGUSR1:
			if (!stopping) {
				stopping = 1;
				if (cfg->g.grace) {
					log_event(LL_NOTICE, "Soft stop requested: stopping in %u ms (grace).", cfg->g.grace);
					grace_end_ms = clock_mono_us() / 1000 + cfg->g.grace;
					break;
				}
				/* refuse new connections at once: the worker closes its copies too */
				close_listeners(cfg);
				kill(wpid, SIGUSR1);
			}
			break;
		case SIGTERM:
		case SIGINT:
			stopping = 1;
			grace_end_ms = 0;
			close_listeners(cfg);
			kill(wpid, SIGTERM);
			break;
		case SIGHUP:
		case SIGUSR2:
			log_event(LL_WARNING, "Reload requested (signal %d), but reloads are not supported yet: keeping the current worker.", sig);
			break;
		case SIGCHLD: {
			int status;
			pid_t p;
			char how[96];

			while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
				if (p != wpid)
					continue;
				describe_exit(status, how, sizeof(how));
				if (stopping) {
					log_event(LL_NOTICE, "Current worker (%d) %s", (int)p, how);
					log_event(LL_NOTICE, "All workers exited. Exiting... (%d)",
						  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
					return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
				}
				log_event(LL_ALERT, "Current worker (%d) %s: restarting it", (int)p, how);
				/* back off when it keeps dying right after start */
				if (clock_mono_us() / 1000 - last_start_ms < 2000) {
					crashes++;
					if (crashes > 1)
						usleep((useconds_t)MIN(100000 << MIN(crashes - 2, 5), 3000000));
				} else {
					crashes = 0;
				}
				wpid = fork_worker(cfg);
				if (wpid < 0)
					return 1;
				last_start_ms = clock_mono_us() / 1000;
			}
			break;
		}
		default:
			break;
		}
	}
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cfgfile = NULL, *pidfile = NULL;
	int check = 0, daemon_mode = 0, level = LL_NOTICE, i;
	struct cfg *cfg;
	char err[1024];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "-vv") || !strcmp(a, "--version")) {
			printf("tandem version %s - an HTTP/1.1 and TCP load balancer\n", TANDEM_VERSION);
			return 0;
		} else if (!strcmp(a, "-f") && i + 1 < argc) {
			cfgfile = argv[++i];
		} else if (!strcmp(a, "-c")) {
			check = 1;
		} else if (!strcmp(a, "-D")) {
			daemon_mode = 1;
		} else if (!strcmp(a, "-W") || !strcmp(a, "-Ws") || !strcmp(a, "-db")) {
			/* master-worker is how tandem always runs; foreground is the default */
		} else if (!strcmp(a, "-p") && i + 1 < argc) {
			pidfile = argv[++i];
		} else if (!strcmp(a, "-d")) {
			level = LL_DEBUG;
		} else if (!strcmp(a, "-q")) {
			level = LL_WARNING;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "tandem: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 1;
		}
	}
	if (!cfgfile) {
		usage(stderr);
		return 1;
	}
	log_setup(2, level, "tandem");
	clock_update();
	cfg = cfg_load(cfgfile, err, sizeof(err));
	if (!cfg) {
		/* cfg_load already logged each error with its file:line */
		fprintf(stderr, "[ALERT]    (%d) : config : Fatal errors found in configuration.\n", (int)getpid());
		return 1;
	}
	if (check) {
		printf("Configuration file is valid\n");
		cfg_free(cfg);
		return 0;
	}
	if (cfg->g.daemon)
		daemon_mode = 1;
	if (!pidfile)
		pidfile = cfg->g.pidfile;
	signal(SIGPIPE, SIG_IGN);
	{
		/* room for maxconn clients plus their server connections */
		struct rlimit rl;
		rlim_t want = cfg->g.rlimit_nofile > 0 ? (rlim_t)cfg->g.rlimit_nofile :
			(rlim_t)cfg->g.maxconn * 2 + 256;
		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < want) {
			rl.rlim_cur = want;
			if (rl.rlim_max < want)
				rl.rlim_max = want;  /* allowed when running as root */
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
				getrlimit(RLIMIT_NOFILE, &rl);
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_NOFILE, &rl);
				log_event(LL_WARNING, "[tandem.main()] Cannot raise FD limit to %llu, limit is %llu.",
					  (unsigned long long)want, (unsigned long long)rl.rlim_cur);
			}
		}
	}
	if (shm_create() < 0) {
		log_event(LL_ALERT, "Cannot map the master/worker shared area: %s", strerror(errno));
		return 1;
	}
	if (open_listeners(cfg) < 0) {
		log_event(LL_ALERT, "Failed to bind some listeners. Exiting.");
		return 1;
	}
	if (daemon_mode && daemonize() < 0) {
		log_event(LL_ALERT, "Cannot daemonize: %s", strerror(errno));
		return 1;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");
		if (!f) {
			log_event(LL_ALERT, "Cannot create pidfile %s: %s", pidfile, strerror(errno));
			return 1;
		}
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	tandem_start_wall_s = clock_wall_us() / 1000000;
	i = master_loop(cfg);
	close_listeners(cfg);
	cfg_free(cfg);
	return i;
}
