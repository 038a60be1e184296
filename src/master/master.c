/* The master's life: fork the worker, wait for signals and children,
 * reload on SIGHUP/SIGUSR2, restart a crashed worker.
 *
 * Reload: the new configuration is checked first; on any error it is
 * logged with its file:line and nothing changes. Otherwise the new worker
 * is forked on the same listening sockets (matched by address; only new
 * addresses are bound), and once it runs the old worker is told to retire
 * (SIGUSR2: no more accepts, finish in-flight requests, answer the next
 * request on idle keep-alive connections with "Connection: close", exit
 * when done or at hard-stop-after). */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <tandem/bgp.h>
#include <tandem/cfg.h>
#include <tandem/cli.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/master.h>
#include <tandem/peers.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>
#include <tandem/stick.h>
#include <tandem/sock.h>
#include <tandem/vrrp.h>
#include <tandem/worker.h>

#define MAX_OLD 64

static pid_t old_pids[MAX_OLD];
static int nold;
static pid_t master_pid;

static uint64_t mono_ms(void)
{
	return clock_mono_us() / 1000;
}

static int same_addr(const struct bind_conf *a, const struct bind_conf *b)
{
	if (a->addr.ss_family != b->addr.ss_family)
		return 0;
	if (a->addr.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&b->addr;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->addr, *y = (const void *)&b->addr;
		return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return a->addrlen == b->addrlen && !memcmp(&a->addr, &b->addr, a->addrlen);
}

static struct bind_conf *find_old_bind(struct cfg *old, const struct bind_conf *nb)
{
	struct list *pl, *bl;

	if (!old)
		return NULL;
	list_for_each(pl, &old->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		list_for_each(bl, &px->binds) {
			struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			if (b->fd >= 0 && same_addr(b, nb))
				return b;
		}
	}
	return NULL;
}

int master_open_listeners(struct cfg *cfg, struct cfg *old)
{
	struct list *pl, *bl;
	char err[256];

	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		if (px->disabled)
			continue;
		list_for_each(bl, &px->binds) {
			struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			struct bind_conf *ob = find_old_bind(old, b);
			int backlog = b->backlog ? b->backlog :
				(px->maxconn ? px->maxconn : cfg->g.maxconn);
			int v6only = b->v6only ? 1 : (b->v4v6 ? 0 : -1);

			if (ob) {
				b->fd = ob->fd;   /* taken over: the old config no longer owns it */
				ob->fd = -1;
				b->reused = 1;
				continue;
			}
			/* a VRRP virtual address may be held by the other node now;
			 * an anycast address is added once BIRD was reached */
			b->fd = sock_listen(&b->addr, b->addrlen, backlog, v6only,
					    b->freebind || vrrp_addr_is_vip(cfg, &b->addr) ||
					    bgp_addr_is_service(cfg, &b->addr), err, sizeof(err));
			if (b->fd < 0) {
				log_event(LL_ALERT, "Binding [%s:%d] for %s %s: %s", b->file ? b->file : "?", b->line,
					  (px->cap & PR_CAP_BE) ? "proxy" : "frontend", px->id, err);
				goto fail;
			}
		}
	}
	/* the stats sockets (admin socket), kept across reloads by path or address */
	if (cli_socks_open(cfg, old) < 0)
		goto fail;
	return 0;
fail:
	/* give back what was taken over, close what was opened */
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		list_for_each(bl, &px->binds) {
			struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			if (b->fd < 0)
				continue;
			if (b->reused) {
				struct list *opl, *obl;
				list_for_each(opl, &old->proxies) {
					struct proxy *op = list_entry(opl, struct proxy, link);
					list_for_each(obl, &op->binds) {
						struct bind_conf *o = list_entry(obl, struct bind_conf, link);
						if (o->fd < 0 && same_addr(o, b) && b->fd >= 0) {
							o->fd = b->fd;
							b->fd = -1;
						}
					}
				}
			} else {
				close(b->fd);
			}
			b->fd = -1;
			b->reused = 0;
		}
	}
	return -1;
}

void master_close_listeners(struct cfg *cfg)
{
	struct list *pl, *bl;

	cli_socks_close(cfg);
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
		/* a worker never outlives its master: it would keep the listening
		 * sockets and the VIP's traffic with nobody to supervise it. SIGKILL,
		 * not SIGTERM: it must work even if a thread of the worker is stuck
		 * (SIGTERM is read from a signalfd by thread 0's loop). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != master_pid)
			_exit(1);
		peers_forked();   /* the peer sessions are the master's */
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

/* Wait (bounded) until worker <pid> has set up every thread and published
 * itself, so that the old one is retired only when the new one serves. */
static int wait_worker_ready(pid_t pid, uint32_t ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end) {
		int st;
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		if (tdm_shm && __atomic_load_n(&tdm_shm->worker_pid, __ATOMIC_ACQUIRE) == pid)
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		nanosleep(&ts, NULL);
	}
	return -1;
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

static void signal_old(int sig)
{
	int i;

	for (i = 0; i < nold; i++)
		kill(old_pids[i], sig);
}

/* Returns 1 when <p> was one of the retiring workers (and forgets it). */
static int reap_old(pid_t p)
{
	int i;

	for (i = 0; i < nold; i++)
		if (old_pids[i] == p) {
			old_pids[i] = old_pids[--nold];
			return 1;
		}
	return 0;
}

/* The worker changed (reload, restart after a crash): a state change the
 * dashboard and `show state-changes` list (shm_hist.h). */
static void process_change(int old_pid, int new_pid, const char *reason, const char *detail)
{
	char from[24], to[24];

	snprintf(from, sizeof(from), "pid %d", old_pid);
	snprintf(to, sizeof(to), "pid %d", new_pid);
	shm_state_change(&(struct state_change){ .kind = SC_PROCESS, .object = "worker",
		.from = from, .to = to, .reason = reason, .detail = detail });
}

/* Tell whoever asked (the admin socket's `reload`) how the reload ended. */
static void reload_result(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reload_result(int ok, const char *fmt, ...)
{
	va_list ap;

	if (!tdm_shm)
		return;
	va_start(ap, fmt);
	vsnprintf(tdm_shm->reload_msg, sizeof(tdm_shm->reload_msg), fmt, ap);
	va_end(ap);
	tdm_shm->reload_ok = ok;
	__atomic_add_fetch(&tdm_shm->reload_seq, 1, __ATOMIC_RELEASE);
}

/* SIGHUP / SIGUSR2: load, check, start the new worker, retire the old. */
static void reload(struct cfg **cfgp, pid_t *wpid, const char *path)
{
	struct cfg *ncfg;
	char err[1024];
	pid_t np;

	sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading", (unsigned long long)clock_mono_us());
	log_event(LL_NOTICE, "Reloading configuration from %s", path);
	ncfg = cfg_load(path, err, sizeof(err));
	if (!ncfg) {
		log_event(LL_ALERT, "Reload failed: %s. The current configuration and worker (%d) are kept.",
			  err, (int)*wpid);
		reload_result(0, "%s", err);
		sd_notifyf("READY=1\nSTATUS=reload failed: %s", err);
		return;
	}
	shm_bind_counters(ncfg);  /* the new worker goes on counting where the old one is */
	/* stick tables: the same ones (same name and definition) are taken
	 * over as they are; changed ones get their entries copied */
	if (stk_bind(ncfg) < 0) {
		log_event(LL_ALERT, "Reload failed: cannot map the stick tables. The current configuration and worker (%d) are kept.",
			  (int)*wpid);
		reload_result(0, "cannot map the stick tables");
		cfg_free(ncfg);
		stk_gc(*cfgp);
		sd_notifyf("READY=1\nSTATUS=reload failed: stick tables");
		return;
	}
	if (master_open_listeners(ncfg, *cfgp) < 0) {
		log_event(LL_ALERT, "Reload failed: cannot bind the new listeners. The current configuration and worker (%d) are kept.",
			  (int)*wpid);
		reload_result(0, "cannot bind the new listeners");
		cfg_free(ncfg);
		stk_gc(*cfgp);
		sd_notifyf("READY=1\nSTATUS=reload failed: cannot bind");
		return;
	}
	/* have the current worker publish its servers' state right now, so the
	 * new one takes over the latest (bounded wait: it may be wedged) */
	if (tdm_shm) {
		unsigned ack = __atomic_load_n(&tdm_shm->publish_ack, __ATOMIC_ACQUIRE);
		uint64_t end = mono_ms() + 500;

		kill(*wpid, SIGURG);
		while (__atomic_load_n(&tdm_shm->publish_ack, __ATOMIC_ACQUIRE) == ack && mono_ms() < end) {
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	np = fork_worker(ncfg);
	if (np < 0 || wait_worker_ready(np, 5000) < 0) {
		log_event(LL_ALERT, "Reload failed: the new worker did not start. The current worker (%d) is kept.", (int)*wpid);
		reload_result(0, "the new worker did not start");
		if (np > 0) {
			kill(np, SIGKILL);
			waitpid(np, NULL, 0);
		}
		/* hand the sockets back to the old configuration */
		master_open_listeners(*cfgp, ncfg);
		master_close_listeners(ncfg);
		cfg_free(ncfg);
		stk_gc(*cfgp);
		sd_notifyf("READY=1\nSTATUS=reload failed: worker did not start");
		return;
	}
	if (nold < MAX_OLD)
		old_pids[nold++] = *wpid;
	kill(*wpid, SIGUSR2);
	vrrp_reload(ncfg);
	bgp_reload(ncfg);   /* nothing is withdrawn */
	log_event(LL_NOTICE, "Reload done: worker (%d) serves, former worker (%d) is finishing its connections.",
		  (int)np, (int)*wpid);
	process_change((int)*wpid, (int)np, "reload", "the new configuration is served");
	reload_result(1, "worker %d serves the new configuration", (int)np);
	/* sockets of the old config that the new one did not take: closed here;
	 * the former worker closes its own copies when it retires */
	master_close_listeners(*cfgp);
	peers_reload(ncfg);   /* the peers thread follows the new tables before the old ones go */
	cfg_free(*cfgp);
	*cfgp = ncfg;
	*wpid = np;
	stk_gc(ncfg);   /* tables the new configuration dropped (the old worker keeps its copy) */
	sd_notifyf("READY=1\nSTATUS=serving");
}

static volatile int reload_requested;

void master_request_reload(void)
{
	if (master_pid > 0)
		kill(master_pid, SIGUSR2);
}

int master_run(struct cfg **cfgp)
{
	sigset_t set;
	pid_t wpid;
	int stopping = 0, crashes = 0, exit_code = 0, sigint = 0;
	uint64_t last_start_ms, grace_end_ms = 0;
	struct cfg *cfg = *cfgp;
	char *path = strdup(cfg->path ? cfg->path : "");

	master_pid = getpid();
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);

	wpid = fork_worker(cfg);
	if (wpid < 0) {
		free(path);
		return 1;
	}
	last_start_ms = mono_ms();
	wait_worker_ready(wpid, 5000);
	log_event(LL_NOTICE, "Loading success.");
	sd_notifyf("READY=1\nMAINPID=%d\nSTATUS=serving", (int)getpid());
	(void)reload_requested;
	for (;;) {
		siginfo_t si;
		int sig;

		if (grace_end_ms) {
			/* `grace`: keep serving (and accepting) this long after SIGUSR1 */
			uint64_t now = mono_ms();
			struct timespec ts;

			if (now >= grace_end_ms) {
				grace_end_ms = 0;
				master_close_listeners(*cfgp);
				if (wpid > 0)
					kill(wpid, SIGUSR1);
				signal_old(SIGUSR1);
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
				/* anycast: withdraw first, serve on while the routers converge */
				uint32_t wd = bgp_withdraw(1);

				stopping = 1;
				vrrp_stop();   /* priority 0 first: the backup takes over at once */
				sd_notifyf("STOPPING=1\nSTATUS=soft stop");
				if ((*cfgp)->g.grace || wd) {
					log_event(LL_NOTICE, "Soft stop requested: stopping in %u ms (%s).", MAX((*cfgp)->g.grace, wd),
						  (*cfgp)->g.grace >= wd ? "grace" : "anycast withdraw-delay");
					grace_end_ms = mono_ms() + MAX((*cfgp)->g.grace, wd);
					break;
				}
				/* refuse new connections at once: the workers close their copies too */
				master_close_listeners(*cfgp);
				kill(wpid, SIGUSR1);
				signal_old(SIGUSR1);
			}
			break;
		case SIGTERM:
		case SIGINT:
			stopping = 1;
			/* HAProxy's master leaves with 130 after SIGINT (128 + 2),
			 * as a shell reports an interrupted command */
			if (sig == SIGINT)
				sigint = 1;
			grace_end_ms = 0;
			vrrp_stop();
			bgp_withdraw(0);
			sd_notifyf("STOPPING=1\nSTATUS=hard stop");
			master_close_listeners(*cfgp);
			kill(wpid, SIGTERM);
			signal_old(SIGTERM);
			break;
		case SIGHUP:
		case SIGUSR2:
			if (!stopping)
				reload(cfgp, &wpid, path);
			break;
		case SIGCHLD: {
			int status;
			pid_t p;
			char how[96];

			while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
				describe_exit(status, how, sizeof(how));
				if (reap_old(p)) {
					log_event(LL_NOTICE, "Former worker (%d) %s", (int)p, how);
					continue;
				}
				if (p != wpid)
					continue;
				if (stopping) {
					log_event(LL_NOTICE, "Current worker (%d) %s", (int)p, how);
					exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
					wpid = -1;
					continue;
				}
				log_event(LL_ALERT, "Current worker (%d) %s: restarting it", (int)p, how);
				/* back off when it keeps dying right after start */
				if (mono_ms() - last_start_ms < 2000) {
					crashes++;
					if (crashes > 1)
						usleep((useconds_t)MIN(100000 << MIN(crashes - 2, 5), 3000000));
				} else {
					crashes = 0;
				}
				/* nobody else runs: what the dead worker held in the
				 * stick tables (locks, tracked entries) is free again */
				if (!nold)
					stk_crash_reset(*cfgp);
				wpid = fork_worker(*cfgp);
				if (wpid < 0) {
					free(path);
					return 1;
				}
				process_change((int)p, (int)wpid, "worker restarted", how);
				last_start_ms = mono_ms();
			}
			if (stopping && wpid <= 0 && !nold) {
				if (sigint)
					exit_code = 130;
				log_event(LL_NOTICE, "All workers exited. Exiting... (%d)", exit_code);
				free(path);
				return exit_code;
			}
			break;
		}
		default:
			break;
		}
	}
}
