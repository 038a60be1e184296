/* tandem's entry point: command line, configuration check, daemon mode and
 * pidfile, then the master process (src/master/master.c). The master opens
 * every listening socket once, forks the worker and then only waits: it
 * forwards signals, reloads, restarts a crashed worker and never touches
 * client traffic, so nothing a worker does can take the listeners down. */
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
#include <tandem/admin.h>
#include <tandem/bgp.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/counters-t.h>
#include <tandem/dns.h>
#include <tandem/log.h>
#include <tandem/master.h>
#include <tandem/peers.h>
#include <tandem/shm.h>
#include <tandem/stick.h>
#include <tandem/sock.h>
#include <tandem/ssl.h>
#include <tandem/version.h>
#include <tandem/vrrp.h>
#include <tandem/worker.h>

extern uint64_t tandem_start_wall_s;

/* DNS resolution runs on the worker's thread 0 beside the runtime API */
static struct worker_module dns_module = {
	.name = "DNS resolution", .start = dns_start, .stop = dns_stop,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tandem -f CONFIG [-c] [-D] [-p PIDFILE] [-d] [-dD] [-x SOCKET] [-v]\n"
		"  -f FILE   configuration file (HAProxy syntax)\n"
		"  -c        check the configuration and exit (0 valid, 1 invalid, 2 valid but\n"
		"            nothing to listen on)\n"
		"  -D        run in the background (daemon)\n"
		"  -p FILE   write the master's PID to FILE\n"
		"  -d        debug: print debug-level event logs\n"
		"  -dD       diagnostic mode: print the configuration's .diag messages\n"
		"  -q        quiet: only warnings and errors\n"
		"  -x SOCKET accepted for HAProxy's scripts: tandem's master hands the\n"
		"            listening sockets to each new worker itself\n"
		"  -v        print the version and exit\n"
		"Signals: SIGUSR1 soft stop, SIGTERM/SIGINT hard stop, SIGHUP/SIGUSR2 reload.\n");
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

	ssl_mem_init();    /* before OpenSSL allocates anything: its memory is counted (/metrics) */
	ctr_init((int)sysconf(_SC_NPROCESSORS_ONLN));  /* counter slots: before any counter set */
	admin_register();  /* the stats services and the runtime API */
	worker_module_register(&dns_module);
	worker_module_register(&stk_expire_module);   /* stick tables: the expiry timer */
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
		} else if (!strcmp(a, "-dD")) {
			cfg_diag_mode = 1;
		} else if (!strcmp(a, "-x") && i + 1 < argc) {
			/* HAProxy's new process fetches the listeners from the old
			 * one over this socket; tandem's master keeps them and gives
			 * them to every worker it forks (doc/lifecycle.md) */
			i++;
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
		/* HAProxy's answer for a file that is valid but listens nowhere */
		if (!cfg_has_listener(cfg, 0)) {
			printf("Configuration file has no error but will not start (no listener) => exit(2).\n");
			cfg_free(cfg);
			return 2;
		}
		printf("Configuration file is valid\n");
		cfg_free(cfg);
		return 0;
	}
	if (!cfg_has_listener(cfg, 1)) {
		log_event(LL_ALERT, "[tandem.main()] No enabled listener found (check for 'bind' directives) ! Exiting.");
		cfg_free(cfg);
		return 1;
	}
	if (cfg->g.daemon)
		daemon_mode = 1;
	if (!pidfile)
		pidfile = cfg->g.pidfile;
	signal(SIGPIPE, SIG_IGN);
	{
		/* room for maxconn clients plus their server connections; an
		 * explicit `ulimit-n` is applied as given, lower or higher
		 * (HAProxy's meaning), a computed one only raises the limit */
		struct rlimit rl;
		rlim_t want = cfg->g.rlimit_nofile > 0 ? (rlim_t)cfg->g.rlimit_nofile :
			(rlim_t)cfg->g.maxconn * 2 + 256;
		if (!getrlimit(RLIMIT_NOFILE, &rl) && (rl.rlim_cur < want || cfg->g.ulimit_n)) {
			rl.rlim_cur = want;
			if (rl.rlim_max < want)
				rl.rlim_max = want;  /* allowed when running as root */
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
				getrlimit(RLIMIT_NOFILE, &rl);
				if (cfg->g.strict_limits) {   /* HAProxy's default */
					log_event(LL_ALERT, "[tandem.main()] Cannot raise FD limit to %llu, limit is %llu.",
						  (unsigned long long)want, (unsigned long long)rl.rlim_cur);
					return 1;
				}
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
	shm_bind_counters(cfg);
	/* stick tables live in memory shared with the workers (and kept over
	 * reloads), made here before any fork */
	if (stk_bind(cfg) < 0) {
		log_event(LL_ALERT, "Cannot map the stick tables. Exiting.");
		return 1;
	}
	if (master_open_listeners(cfg, NULL) < 0) {
		log_event(LL_ALERT, "Failed to bind some listeners. Exiting.");
		return 1;
	}
	/* BIRD must answer before tandem goes to the background, so that an
	 * unreachable control socket ends tandem with status 1 */
	if (bgp_prepare(cfg) < 0) {
		log_event(LL_ALERT, "Cannot start the anycast announcements. Exiting.");
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
	/* VRRP lives in the master (a thread of its own), never in a worker */
	if (vrrp_start(cfg) < 0) {
		log_event(LL_ALERT, "Cannot start VRRP. Exiting.");
		bgp_stop();
		return 1;
	}
	/* so do the BGP announcements (src/bgp/) */
	if (bgp_start() < 0) {
		log_event(LL_ALERT, "Cannot start the anycast announcements. Exiting.");
		vrrp_stop();
		bgp_stop();
		return 1;
	}
	/* the stick tables' peers: a thread of the master, like VRRP */
	if (peers_start(cfg) < 0) {
		log_event(LL_ALERT, "Cannot start the stick table peers. Exiting.");
		vrrp_stop();
		bgp_stop();
		return 1;
	}
	i = master_run(&cfg);
	peers_stop();
	vrrp_stop();
	bgp_stop();   /* the workers are gone: withdraw (again), remove the addresses */
	master_close_listeners(cfg);
	cfg_free(cfg);
	return i;
}
