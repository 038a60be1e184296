/* Lab processes (see lab.h): spawn, wait for readiness, signal, restart,
 * reap and stop. Children get PR_SET_PDEATHSIG so that a crashed chaos does
 * not leave a lab running; everything else is stopped by PID. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <tandem/clock.h>
#include "chaos.h"
#include "lab.h"
#include "lbstat.h"

void lab_opts_default(struct lab_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nodes = 3;
	o->checks = 1;
	o->inter_ms = 500;
	o->fastinter_ms = 100;
	o->fall = 2;
	o->rise = 2;
	o->retries = 3;
	snprintf(o->retry_on, sizeof(o->retry_on), "conn-failure empty-response");
	o->drain_ms = 2000;
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void dir_file(const struct lab *lab, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", lab->dir, name);
}

/* fork/exec <argv> with stdout and stderr appended to <log>. Returns the
 * PID or -1. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* child */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
	}
	execv(argv[0], argv);
	fprintf(stderr, "tandem-chaos: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn_node(struct lab *lab, int i)
{
	struct node *n = &lab->node[i];
	char listen[32], drain[16], log[PATH_MAX];
	char *argv[] = { (char *)lab->o.app_bin, "--name", n->name, "--listen", listen,
			 "--drain-ms", drain, "--quiet", NULL };

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", n->port);
	snprintf(drain, sizeof(drain), "%u", lab->o.drain_ms);
	snprintf(log, sizeof(log), "%s/node-%s.log", lab->dir, n->name);
	n->pid = spawn(argv, log);
	return n->pid;
}

/* The first lines of a log file into <out> (for error messages: the
 * first complaint of a process that did not start is the one that counts). */
static void log_head(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[200];
	size_t o = 0;
	int n = 0;

	out[0] = 0;
	if (!f)
		return;
	while (n++ < 4 && fgets(line, sizeof(line), f) && o + 1 < len) {
		line[strcspn(line, "\n")] = 0;
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "\n  " : "  ", line);
		if (o >= len)
			o = len - 1;
	}
	fclose(f);
}

static int wait_exit(pid_t pid, unsigned ms, int *status)
{
	uint64_t end = clock_mono_us() + (uint64_t)ms * 1000;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		if (clock_mono_us() >= end)
			return -1;
		nap_ms(5);
	}
}

/* Stop <pid> with <sig>, then SIGKILL after <ms>. */
static void stop_pid(pid_t pid, int sig, unsigned ms)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, sig);
	kill(pid, SIGCONT);   /* a stopped (SIGSTOP) process must run to act on it */
	if (wait_exit(pid, ms, &st) < 0) {
		kill(pid, SIGKILL);
		wait_exit(pid, 2000, &st);
	}
}

/* Poll GET <path> on <t> until it answers <want> (or any 2xx when want is
 * 0), the process <pid> exits, or <ms> pass. 0 or -1. */
static int wait_http(struct loop *l, const struct target *t, const char *path, int want,
		     pid_t pid, unsigned ms)
{
	uint64_t end = clock_mono_us() + (uint64_t)ms * 1000;
	int st;

	while (clock_mono_us() < end && !chaos_interrupted) {
		int s = hc_fetch(l, t, path, 500, NULL, 0, NULL);
		if (want ? s == want : (s >= 200 && s < 300))
			return 0;
		if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		nap_ms(20);
	}
	return -1;
}

static int pick_ports(struct lab *lab)
{
	int i, p;

	for (i = 0; i < lab->n; i++) {
		if ((p = free_port()) < 0)
			return -1;
		lab->node[i].port = p;
	}
	if ((lab->fe_port = free_port()) < 0 || (lab->stats_port = free_port()) < 0)
		return -1;
	return 0;
}

static int write_config(struct lab *lab)
{
	char path[PATH_MAX];
	FILE *f;

	dir_file(lab, "tandem.cfg", path, sizeof(path));
	if (!(f = fopen(path, "w")))
		return -1;
	lab_write_config(lab, f);
	return fclose(f);
}

static int start_nodes(struct lab *lab, struct loop *l)
{
	int i;

	for (i = 0; i < lab->n; i++)
		if (spawn_node(lab, i) < 0) {
			snprintf(lab->err, sizeof(lab->err), "fork: %s", strerror(errno));
			return -1;
		}
	for (i = 0; i < lab->n; i++) {
		struct node *n = &lab->node[i];
		if (wait_http(l, &n->direct, "/health", 200, n->pid, 5000) < 0) {
			char log[PATH_MAX], tail[300];
			snprintf(log, sizeof(log), "%s/node-%s.log", lab->dir, n->name);
			log_head(log, tail, sizeof(tail));
			snprintf(lab->err, sizeof(lab->err),
				 "node %s (%.100s) did not answer /health on port %d within 5 s: %.250s",
				 n->name, lab->o.app_bin, n->port, tail);
			return -1;
		}
	}
	return 0;
}

static int start_tandem(struct lab *lab, struct loop *l)
{
	char cfg[PATH_MAX], log[PATH_MAX], tail[700];
	char *argv[] = { (char *)lab->o.tandem_bin, "-f", cfg, NULL };
	struct target fe, st;

	dir_file(lab, "tandem.cfg", cfg, sizeof(cfg));
	dir_file(lab, "tandem.log", log, sizeof(log));
	lab->tandem_pid = spawn(argv, log);
	if (lab->tandem_pid < 0) {
		snprintf(lab->err, sizeof(lab->err), "fork: %s", strerror(errno));
		return -1;
	}
	target_local(&fe, lab->fe_port, "/");
	target_local(&st, lab->stats_port, "/stats;csv");
	if (wait_http(l, &st, "/stats;csv", 200, lab->tandem_pid, 5000) < 0 ||
	    wait_http(l, &fe, "/health", 0, lab->tandem_pid, 5000) < 0) {
		log_head(log, tail, sizeof(tail));
		snprintf(lab->err, sizeof(lab->err), "%.80s did not start (config %.80s):\n%.700s",
			 lab->o.tandem_bin, cfg, tail);
		return -1;
	}
	return 0;
}

struct up_ctx {
	const struct lab *lab;
	int               up;       /* servers that take traffic */
	char              seen[200];
};

static void up_cb(void *ctx, const char *server, const char *status)
{
	struct up_ctx *u = ctx;
	size_t o = strlen(u->seen);

	if (lab_find(u->lab, server) < 0)
		return;
	if (!strcmp(status, "UP") || !strcmp(status, "no check"))
		u->up++;
	snprintf(u->seen + o, sizeof(u->seen) - o, "%s%s %s", o ? ", " : "", server, status);
}

/* Wait until tandem's stats say every node is UP (or "no check"): tandem
 * may start its servers down and bring them up after `rise` checks, and a
 * load started before that would measure the start-up, not the faults. */
static int wait_servers_up(struct lab *lab, struct loop *l)
{
	static char csv[64 * 1024];
	uint64_t end = clock_mono_us() + 5000000;
	struct target st;
	struct up_ctx u;

	target_local(&st, lab->stats_port, "/stats;csv");
	do {
		int s = hc_fetch(l, &st, "/stats;csv", 1000, csv, sizeof(csv), NULL);
		memset(&u, 0, sizeof(u));
		u.lab = lab;
		if (s == 200)
			stats_csv_each(csv, strlen(csv), "app", up_cb, &u);
		if (u.up == lab->n)
			return 0;
		nap_ms(20);
	} while (clock_mono_us() < end && !chaos_interrupted);
	snprintf(lab->err, sizeof(lab->err), "tandem did not report every server UP within 5 s (%s)",
		 u.seen[0] ? u.seen : "no server rows in its stats CSV");
	return -1;
}

int lab_start(struct lab *lab, const struct lab_opts *o, struct loop *l)
{
	int i;

	memset(lab, 0, sizeof(*lab));
	lab->o = *o;
	lab->managed = 1;
	lab->tandem_exit = -1;
	lab->n = o->nodes;
	for (i = 0; i < lab->n; i++) {
		struct node *n = &lab->node[i];
		snprintf(n->name, sizeof(n->name), "%c", 'A' + i);
		n->weight = o->weights[i];
		n->exit_status = -1;
	}
	{
		const char *parent = o->workdir ? o->workdir : getenv("TMPDIR");
		snprintf(lab->dir, sizeof(lab->dir), "%.200s/tandem-chaos-XXXXXX",
			 parent && *parent ? parent : "/tmp");
	}
	if (!mkdtemp(lab->dir)) {
		snprintf(lab->err, sizeof(lab->err), "mkdtemp: %s", strerror(errno));
		lab->dir[0] = 0;
		return -1;
	}
	if (pick_ports(lab) < 0) {
		snprintf(lab->err, sizeof(lab->err), "no free port on 127.0.0.1");
		goto fail;
	}
	for (i = 0; i < lab->n; i++) {
		target_local(&lab->node[i].direct, lab->node[i].port, "/");
		lab->node[i].has_direct = 1;
	}
	if (write_config(lab) < 0) {
		snprintf(lab->err, sizeof(lab->err), "cannot write %s/tandem.cfg", lab->dir);
		goto fail;
	}
	if (start_nodes(lab, l) < 0 || start_tandem(lab, l) < 0 || wait_servers_up(lab, l) < 0)
		goto fail;
	if (chaos_interrupted) {
		snprintf(lab->err, sizeof(lab->err), "interrupted");
		goto fail;
	}
	return 0;
fail:
	lab_stop(lab, 1);
	return -1;
}

void lab_remove_dir(struct lab *lab)
{
	char path[PATH_MAX];
	int i;

	if (!lab->dir[0])
		return;
	dir_file(lab, "tandem.cfg", path, sizeof(path));
	unlink(path);
	dir_file(lab, "tandem.log", path, sizeof(path));
	unlink(path);
	for (i = 0; i < lab->n; i++) {
		snprintf(path, sizeof(path), "%s/node-%s.log", lab->dir, lab->node[i].name);
		unlink(path);
	}
	rmdir(lab->dir);
}

/* First line of <path> that starts a sanitizer report, into lab->san. */
static int scan_log(struct lab *lab, const char *name)
{
	static const char *const marks[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
		"runtime error: ", "SUMMARY: UndefinedBehaviorSanitizer", NULL
	};
	char path[PATH_MAX], line[512];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%s", lab->dir, name);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		for (i = 0; marks[i]; i++)
			if (strstr(line, marks[i])) {
				line[strcspn(line, "\n")] = 0;
				snprintf(lab->san, sizeof(lab->san), "%.150s/%.40s: %.200s", lab->dir, name, line);
				fclose(f);
				return 1;
			}
	fclose(f);
	return 0;
}

int lab_stop(struct lab *lab, int keep_dir)
{
	char name[64];
	int i, found;

	if (!lab->managed)
		return 0;
	stop_pid(lab->tandem_pid, SIGTERM, 3000);
	lab->tandem_pid = 0;
	for (i = 0; i < lab->n; i++) {
		stop_pid(lab->node[i].pid, SIGINT, 2000);
		lab->node[i].pid = 0;
	}
	found = lab->dir[0] && scan_log(lab, "tandem.log");
	for (i = 0; !found && lab->dir[0] && i < lab->n; i++) {
		snprintf(name, sizeof(name), "node-%s.log", lab->node[i].name);
		found = scan_log(lab, name);
	}
	if (!keep_dir && !lab->o.keep && !found)
		lab_remove_dir(lab);
	return found;
}

int lab_find(const struct lab *lab, const char *name)
{
	int i;

	for (i = 0; i < lab->n; i++)
		if (!strcmp(lab->node[i].name, name))
			return i;
	return -1;
}

int lab_add_external(struct lab *lab, const char *spec)
{
	const char *eq = strchr(spec, '='), *colon;
	struct node *n;
	char *end;
	long pid = 0;

	if (!eq || eq == spec || (size_t)(eq - spec) >= HC_NODE_MAX || lab->n == MAX_NODES)
		return -1;
	n = &lab->node[lab->n];
	memset(n, 0, sizeof(*n));
	memcpy(n->name, spec, (size_t)(eq - spec));
	n->exit_status = -1;
	colon = strchr(eq + 1, ':');
	if (colon != eq + 1) {
		pid = strtol(eq + 1, &end, 10);
		if (pid <= 0 || (*end && *end != ':'))
			return -1;
	}
	n->pid = (pid_t)pid;
	if (colon && colon[1]) {
		if (parse_url(colon + 1, &n->direct) < 0)
			return -1;
		n->has_direct = 1;
	}
	if (lab_find(lab, n->name) >= 0)
		return -1;
	lab->n++;
	return 0;
}

int lab_signal(struct lab *lab, int i, int sig, char *err, size_t errlen)
{
	struct node *n = &lab->node[i];

	if (n->pid <= 0) {
		snprintf(err, errlen, "node %s has no PID (not running, or none given with --node)",
			 n->name);
		return -1;
	}
	if (kill(n->pid, sig) < 0) {
		snprintf(err, errlen, "kill(%d, %s): %s", (int)n->pid, strsignal(sig), strerror(errno));
		return -1;
	}
	return 0;
}

int lab_restart(struct lab *lab, int i, char *err, size_t errlen)
{
	struct node *n = &lab->node[i];
	int st;

	if (!lab->managed) {
		snprintf(err, errlen, "restart needs a lab (--lab): chaos does not know how %s was started",
			 n->name);
		return -1;
	}
	if (n->pid > 0) {
		/* still running (or draining): the port must be free again */
		kill(n->pid, SIGKILL);
		kill(n->pid, SIGCONT);
		wait_exit(n->pid, 2000, &st);
		n->exit_status = st;
		n->pid = 0;
	}
	if (spawn_node(lab, i) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		n->pid = 0;
		return -1;
	}
	return 0;
}

int lab_reap(struct lab *lab)
{
	int i, st, gone = 0;

	if (!lab->managed)
		return 0;
	for (i = 0; i < lab->n; i++) {
		struct node *n = &lab->node[i];
		if (n->pid > 0 && waitpid(n->pid, &st, WNOHANG) == n->pid) {
			n->exit_status = st;
			n->pid = 0;
		}
	}
	if (lab->tandem_pid > 0 && waitpid(lab->tandem_pid, &st, WNOHANG) == lab->tandem_pid) {
		lab->tandem_exit = st;
		lab->tandem_pid = 0;
		gone = 1;
	}
	return gone;
}
