/* The crash guard: a tiny child of the master that acts only if the
 * master dies without leaving cleanly (kill -9, a crash). The VRRP thread
 * dies with the master, and the addresses it added would stay on the
 * interface: this host would keep answering ARP for them while the backup
 * takes over, and both would hold the virtual address.
 *
 * The guard asks the kernel for a signal when its parent dies
 * (PR_SET_PDEATHSIG); then, for every instance the shared snapshot still
 * shows as MASTER, it sends the priority-0 advertisements prepared by the
 * master (so the backup takes over within Skew_Time, as after a clean
 * stop), deletes every virtual address, and exits. On a clean stop the
 * master kills the guard first (vrrp_stop). Everything it sends was built
 * before the fork; it only opens sockets and writes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <tandem/log.h>
#include "vrrp_int.h"

static void guard_act(const struct vrrp_guard_inst *g, int n)
{
	int nl = vrrp_nl_open();

	for (int i = 0; i < n; i++) {
		const struct vrrp_guard_inst *x = &g[i];
		int fd;

		if (__atomic_load_n(&x->snap->state, __ATOMIC_ACQUIRE) == VRRP_ST_MASTER &&
		    (fd = vrrp_sock_open(x->af, x->ifname, x->ifindex, 0)) >= 0) {
			for (int d = 0; d < x->ndst; d++)
				vrrp_send(x->af, fd, x->ifindex, x->src, x->dst[d], x->prio0[d], x->prio0_len[d]);
			close(fd);
			log_event(LL_WARNING, "VRRP guard: master process died: (%s) sent priority 0",
				  x->snap->name);
		}
		for (int v = 0; nl >= 0 && v < x->ndel; v++)
			vrrp_nl_request(nl, x->del[v], x->del_len[v]);
	}
	if (nl >= 0)
		close(nl);
}

/* The guard's life: wait for the master's death, act once, exit. <act>
 * is VRRP's guard_act, or another subsystem's (vrrp_guard_spawn). */
static void guard_main(void (*act)(const void *), const void *arg, const char *name, pid_t master)
{
	sigset_t set;
	siginfo_t si;

	/* inherited descriptors (listeners, the VRRP socket) must not be kept
	 * open by this process; fd 2 stays for the log */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	prctl(PR_SET_NAME, name);   /* at most 15 characters */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		_exit(1);
	for (;;) {
		/* the parent may have died before PR_SET_PDEATHSIG took effect */
		if (getppid() != master) {
			act(arg);
			_exit(0);
		}
		if (sigwaitinfo(&set, &si) < 0 && errno != EINTR)
			_exit(1);
		/* a SIGTERM from someone else while the master lives: ignore */
	}
}

int vrrp_guard_spawn(const char *name, void (*act)(const void *arg), const void *arg)
{
	sigset_t all, old;
	pid_t master = getpid(), pid;

	/* fork with every signal blocked: the child keeps SIGTERM blocked and
	 * waits for it; nothing may kill it before it is ready */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		guard_main(act, arg, name, master);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}

struct vrrp_plan {
	const struct vrrp_guard_inst *g;
	int n;
};

static void vrrp_act(const void *arg)
{
	const struct vrrp_plan *p = arg;

	guard_act(p->g, p->n);
}

int vrrp_guard_start(const struct vrrp_guard_inst *g, int n)
{
	/* the child uses its copy of this frame: it never returns from the spawn */
	struct vrrp_plan plan = { g, n };

	return vrrp_guard_spawn("vrrp-guard", vrrp_act, &plan);
}
