/* The script runner: a small single-threaded child of the master that
 * starts VRRP's programs (track scripts, notify scripts) for the VRRP
 * thread and reports how each ended.
 *
 * Why a process of its own: forking the multi-threaded master from the
 * VRRP thread is unsafe (locks held by other threads), the master's
 * SIGCHLD loop reaps any child it has (it would steal the exit statuses),
 * and a slow or hung script must never block the protocol. The VRRP
 * thread sends requests on a SOCK_SEQPACKET pair and reads results when
 * they come; the runner never blocks on a script.
 *
 * Each program runs in a process group of its own (setsid), with default
 * signal handling, stdin from /dev/null, tandem's stdout/stderr, no other
 * descriptor, SIGTERM when the runner dies (PR_SET_PDEATHSIG, as
 * keepalived does), and the requested user and group. When it overruns
 * its timeout its whole group gets SIGTERM, and SIGKILL one second later.
 * When the master goes away (the socket closes, or SIGTERM from the
 * kernel on its death) the runner does the same to every running group,
 * then exits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "vrrp_int.h"

#define MAX_JOBS   128
#define KILL_GRACE 1000   /* ms between SIGTERM and SIGKILL */

struct job {
	uint32_t id;
	pid_t    pid;         /* 0: slot free */
	uint64_t start_us, deadline_ms;
	int      stage;       /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	int      timed_out;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int vrrp_run_req_fill(struct vrrp_run_req *r, uint32_t id, char *const argv[], const char *const extra[],
		      int uid, int gid, uint32_t timeout_ms)
{
	size_t off = 0;

	memset(r, 0, offsetof(struct vrrp_run_req, args));
	r->id = id;
	r->timeout_ms = timeout_ms;
	r->uid = uid;
	r->gid = gid;
	for (int pass = 0; pass < 2; pass++) {
		const char *const *v = pass ? extra : (const char *const *)argv;

		for (; v && *v; v++) {
			size_t l = strlen(*v) + 1;

			if (off + l > sizeof(r->args) || r->argc == 255)
				return -1;
			memcpy(r->args + off, *v, l);
			off += l;
			r->argc++;
		}
	}
	r->len = (uint16_t)off;
	return r->argc ? 0 : -1;
}

/* In the child: become the program. Never returns. */
static void exec_job(const struct vrrp_run_req *q, int sock)
{
	char *argv[256];
	const char *p = q->args;
	sigset_t none;
	int fd;

	(void)sock;
	for (int i = 0; i < q->argc; i++) {
		argv[i] = (char *)p;
		p += strlen(p) + 1;
	}
	argv[q->argc] = NULL;
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	syscall(SYS_close_range, 3U, ~0U, 0U);
	if (q->gid >= 0) {
		gid_t g = (gid_t)q->gid;

		if (setgroups(1, &g) < 0 || setgid(g) < 0)
			_exit(126);
	}
	if (q->uid >= 0 && setuid((uid_t)q->uid) < 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

static void report(int sock, uint32_t id, int status, int err, int timed_out, uint64_t dur_us)
{
	struct vrrp_run_res r = { .id = id, .status = status, .err = err, .timed_out = (uint32_t)timed_out,
				  .dur_us = dur_us };

	while (send(sock, &r, sizeof(r), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void start_job(struct job *jobs, int sock, const struct vrrp_run_req *q, size_t len)
{
	struct job *j = NULL;
	pid_t pid;

	if (len < offsetof(struct vrrp_run_req, args) || len < offsetof(struct vrrp_run_req, args) + q->len ||
	    !q->argc || q->len > sizeof(q->args) || q->args[q->len - 1]) {
		report(sock, len >= sizeof(uint32_t) ? q->id : 0, -1, EINVAL, 0, 0);
		return;
	}
	for (int i = 0; i < MAX_JOBS && !j; i++)
		if (!jobs[i].pid)
			j = &jobs[i];
	if (!j) {
		report(sock, q->id, -1, EAGAIN, 0, 0);
		return;
	}
	pid = fork();
	if (pid < 0) {
		report(sock, q->id, -1, errno, 0, 0);
		return;
	}
	if (pid == 0)
		exec_job(q, sock);
	j->id = q->id;
	j->pid = pid;
	j->start_us = mono_us();
	j->deadline_ms = j->start_us / 1000 + (q->timeout_ms ? q->timeout_ms : 3600000);
	j->stage = 0;
	j->timed_out = 0;
}

static void reap(struct job *jobs, int sock)
{
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < MAX_JOBS; i++)
			if (jobs[i].pid == p) {
				report(sock, jobs[i].id, st, 0, jobs[i].timed_out, mono_us() - jobs[i].start_us);
				jobs[i].pid = 0;
				break;
			}
}

/* SIGTERM then SIGKILL to the groups that overran; the next deadline. */
static uint64_t enforce(struct job *jobs, uint64_t now_ms)
{
	uint64_t next = 0;

	for (int i = 0; i < MAX_JOBS; i++) {
		struct job *j = &jobs[i];

		if (!j->pid)
			continue;
		if (now_ms >= j->deadline_ms && j->stage < 2) {
			kill(-j->pid, j->stage ? SIGKILL : SIGTERM);
			kill(j->pid, j->stage ? SIGKILL : SIGTERM);   /* if setsid had not run yet */
			j->timed_out = 1;
			j->stage++;
			j->deadline_ms = now_ms + KILL_GRACE;
		}
		if (j->stage < 2 && (!next || j->deadline_ms < next))
			next = j->deadline_ms;
	}
	return next;
}

static int running(const struct job *jobs)
{
	for (int i = 0; i < MAX_JOBS; i++)
		if (jobs[i].pid)
			return 1;
	return 0;
}

static void runner_main(int sock, pid_t master)
{
	static struct job jobs[MAX_JOBS];
	static struct vrrp_run_req q;
	struct pollfd pf[2];
	sigset_t set;
	int sfd, leaving = 0;
	uint64_t leave_at = 0;

	prctl(PR_SET_NAME, "vrrp-scripts");
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* keep the socket (moved to 3) and stdio; nothing of the master's */
	if (sock != 3) {
		dup2(sock, 3);
		sock = 3;
	}
	fcntl(sock, F_SETFD, 0);
	syscall(SYS_close_range, 4U, ~0U, 0U);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		_exit(1);
	if (getppid() != master)
		leaving = 1;
	for (;;) {
		uint64_t now = mono_us() / 1000, next = enforce(jobs, now);
		int tmo = -1;

		if (leaving) {
			if (!running(jobs))
				_exit(0);
			if (!leave_at) {
				leave_at = now + KILL_GRACE;
				for (int i = 0; i < MAX_JOBS; i++)
					if (jobs[i].pid) {
						kill(-jobs[i].pid, SIGTERM);
						kill(jobs[i].pid, SIGTERM);
					}
			} else if (now >= leave_at) {
				for (int i = 0; i < MAX_JOBS; i++)
					if (jobs[i].pid) {
						kill(-jobs[i].pid, SIGKILL);
						kill(jobs[i].pid, SIGKILL);
					}
			}
			next = next && next < leave_at + 10 ? next : leave_at + 10;
		}
		if (next)
			tmo = next > now ? (int)(next - now) : 0;
		pf[0].fd = leaving ? -1 : sock;
		pf[0].events = POLLIN;
		pf[1].fd = sfd;
		pf[1].events = POLLIN;
		if (poll(pf, 2, tmo) < 0 && errno != EINTR)
			_exit(1);
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					leaving = 1;   /* the master died (PDEATHSIG) or someone asked */
			reap(jobs, sock);
		}
		if (!leaving && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = recv(sock, &q, sizeof(q), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				leaving = 1;   /* the master closed its end */
			else if (n > 0)
				start_job(jobs, sock, &q, (size_t)n);
		}
	}
}

int vrrp_runner_start(pid_t *pid)
{
	int sv[2], e;
	sigset_t all, old;
	pid_t master = getpid(), p;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* fork with every signal blocked: the child sets its own mask */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	p = fork();
	if (p == 0) {
		close(sv[0]);
		runner_main(sv[1], master);
	}
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (p < 0) {
		close(sv[0]);
		errno = e;
		return -1;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	*pid = p;
	return sv[0];
}
