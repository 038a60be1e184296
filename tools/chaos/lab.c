/* Lab processes (see lab.h): spawn, wait for readiness, signal, restart,
 * reap and stop. Children get PR_SET_PDEATHSIG so that a crashed chaos does
 * not leave a lab running; everything else is stopped by PID.
 *
 * Start order: dependencies (Redis answering PING, dnsmasq answering a
 * query), nodes (answering /health), tandem (its stats page and its frontend
 * answering), then every server of the configuration UP in tandem's stats.
 * Any failure stops what was started and says which process and why (the
 * first lines of its log). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <tandem/clock.h>
#include "chaos.h"
#include "lab.h"
#include "labdef.h"
#include "lbstat.h"

#define MAX_ARGV 48

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
	o->redis_bin = "redis-server";
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

/* fork/exec <argv> with stdout and stderr appended to <log>, and <env>
 * (NAME=VALUE strings, NULL-terminated, may be NULL) added to the
 * environment. <search>: look argv[0] up in PATH. Returns the PID or -1. */
static pid_t spawn(char *const argv[], const char *log, char *const env[], int search)
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
	for (; env && *env; env++)
		putenv(*env);
	if (search)
		execvp(argv[0], argv);
	else
		execv(argv[0], argv);
	fprintf(stderr, "tandem-chaos: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Append the blank-separated words of <s> (modified) to argv. */
static int split_args(char *s, char **argv, int n)
{
	char *save, *tok;

	for (tok = strtok_r(s, " \t", &save); tok && n < MAX_ARGV - 1; tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	return n;
}

/* The node's own address (for /health, /admin/fault, the load's --node). */
static void node_target(struct node *n)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&n->direct.ss;

	target_local(&n->direct, n->port, "/");
	if (n->addr[0] && inet_pton(AF_INET, n->addr, &a4->sin_addr) == 1)
		snprintf(n->direct.hostport, sizeof(n->direct.hostport), "%s:%d", n->addr, n->port);
	n->has_direct = 1;
}

static pid_t spawn_node(struct lab *lab, int i)
{
	struct node *n = &lab->node[i];
	char listen[40], drain[16], log[PATH_MAX], args[sizeof(n->args)];
	char *argv[MAX_ARGV] = { (char *)lab->o.app_bin, "--name", n->name, "--listen", listen,
				 "--drain-ms", drain };
	int k = 7;

	snprintf(listen, sizeof(listen), "%s:%d", n->addr[0] ? n->addr : "127.0.0.1", n->port);
	snprintf(drain, sizeof(drain), "%u", lab->o.drain_ms);
	/* a generated lab's nodes log nothing (load tests); a defined lab's keep
	 * their JSON access log in the demo, where someone reads it */
	if (!lab->def || !lab->o.nominal_ports)
		argv[k++] = "--quiet";
	snprintf(args, sizeof(args), "%s", n->args);
	k = split_args(args, argv, k);
	argv[k] = NULL;
	snprintf(log, sizeof(log), "%s/node-%s.log", lab->dir, n->name);
	n->pid = spawn(argv, log, NULL, 0);
	return n->pid;
}

static const char *dnsmasq_bin(const struct lab *lab)
{
	if (lab->o.dnsmasq_bin)
		return lab->o.dnsmasq_bin;
	/* /usr/sbin is often missing from a user's PATH */
	return access("/usr/sbin/dnsmasq", X_OK) == 0 ? "/usr/sbin/dnsmasq" : "dnsmasq";
}

static void hosts_path(const struct lab *lab, const struct dep *d, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.hosts", lab->dir, d->name);
}

/* The names a DNS dependency answers: each node's name with its address
 * (dynamic nodes once they were added). Written whole, then renamed, so
 * that dnsmasq never reads half a file. 0 or -1. */
static int write_hosts(const struct lab *lab, const struct dep *d)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int i;

	hosts_path(lab, d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	for (i = 0; i < lab->n; i++)
		if (!lab->node[i].dynamic || lab->node[i].pid > 0)
			fprintf(f, "%s %s\n", lab->node[i].addr[0] ? lab->node[i].addr : "127.0.0.1",
				lab->node[i].name);
	if (fclose(f) != 0 || chmod(tmp, 0644) < 0 || rename(tmp, path) < 0)
		return -1;
	return 0;
}

static pid_t spawn_dep(struct lab *lab, int i)
{
	struct dep *d = &lab->dep[i];
	char port[16], log[PATH_MAX], portopt[32], hosts[PATH_MAX + 16];
	char *redis[] = { (char *)lab->o.redis_bin, "--port", port, "--bind", "127.0.0.1", "--save", "",
			  "--appendonly", "no", "--dir", lab->dir, "--daemonize", "no", NULL };
	/* only the lab's names, only on loopback; no upstream, no system
	 * files; a name it does not have is an answer (NXDOMAIN), not a
	 * forwarded query (--local=// covers the names without a dot) */
	char *dnsmasq[] = { (char *)dnsmasq_bin(lab), "--no-daemon", portopt, "--listen-address=127.0.0.1",
			    "--bind-interfaces", "--no-resolv", "--no-hosts", "--no-poll", "--conf-file=/dev/null",
			    "--pid-file=", "--local=//", hosts, "--log-facility=-", NULL };

	snprintf(port, sizeof(port), "%d", d->port);
	snprintf(log, sizeof(log), "%s/%s.log", lab->dir, d->name);
	if (d->kind == DEP_DNS) {
		snprintf(portopt, sizeof(portopt), "--port=%d", d->port);
		memcpy(hosts, "--addn-hosts=", 13);
		hosts_path(lab, d, hosts + 13, sizeof(hosts) - 13);
		if (write_hosts(lab, d) < 0)
			return -1;
		d->pid = spawn(dnsmasq, log, NULL, 1);
	} else {
		d->pid = spawn(redis, log, NULL, 1);
	}
	return d->pid;
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

/* Does a Redis on 127.0.0.1:<port> answer PING with +PONG now? (blocking,
 * bounded by a short timeout: set-up only) */
static int redis_pong(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 0, 300000 };
	char buf[16];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, "PING\r\n", 6) == 6 &&
	    (n = read(fd, buf, sizeof(buf) - 1)) >= 5) {
		buf[n] = 0;
		ok = !strncmp(buf, "+PONG", 5);
	}
	close(fd);
	return ok;
}

/* Does a DNS server on 127.0.0.1:<port> answer a query for <name> (any
 * answer) now? (blocking, bounded by a short timeout: set-up only) */
static int dns_answers(int port, const char *name)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 0, 300000 };
	unsigned char q[300], r[512];
	const char *p = name;
	size_t o = 12;
	int fd, ok = 0;

	memset(q, 0, 12);
	q[0] = 0x7a, q[1] = 0x03;       /* id */
	q[2] = 0x01;                    /* recursion desired */
	q[5] = 1;                       /* one question */
	while (*p && o + 70 < sizeof(q)) {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 63)
			return 0;
		q[o++] = (unsigned char)l;
		memcpy(q + o, p, l);
		o += l;
		p += l + (p[l] == '.');
	}
	q[o++] = 0;
	q[o++] = 0, q[o++] = 1;         /* A */
	q[o++] = 0, q[o++] = 1;         /* IN */
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, q, o, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)o &&
	    recv(fd, r, sizeof(r), 0) >= 12 && r[0] == q[0] && r[1] == q[1])
		ok = 1;
	close(fd);
	return ok;
}

/* Is dependency <d> ready to serve? */
static int dep_ready(const struct lab *lab, const struct dep *d)
{
	if (d->kind == DEP_DNS)
		return dns_answers(d->port, lab->n ? lab->node[0].name : "probe");
	return redis_pong(d->port);
}

/* ---- variables ---- */

void lab_set_var(struct lab *lab, const char *name, const char *fmt, ...)
{
	struct lab_var *v = NULL;
	va_list ap;
	int i;

	for (i = 0; i < lab->nvar; i++)
		if (!strcmp(lab->var[i].name, name))
			v = &lab->var[i];
	if (!v) {
		if (lab->nvar == MAX_VARS)
			return;
		v = &lab->var[lab->nvar++];
		snprintf(v->name, sizeof(v->name), "%s", name);
	}
	va_start(ap, fmt);
	vsnprintf(v->value, sizeof(v->value), fmt, ap);
	va_end(ap);
}

void lab_var_name(const char *prefix, const char *name, char *out, size_t len)
{
	size_t i, o = (size_t)snprintf(out, len, "%s", prefix);

	for (i = 0; name[i] && o + 1 < len; i++)
		out[o++] = isalnum((unsigned char)name[i]) ? (char)toupper((unsigned char)name[i]) : '_';
	out[o] = 0;
}

int lab_expand(const struct lab *lab, const char *in, char *out, size_t cap)
{
	size_t o = 0;

	while (*in) {
		const char *e;
		size_t nl, vl;
		int i;

		if (in[0] != '$' || in[1] != '{' || !(e = strchr(in + 2, '}'))) {
			if (o + 1 >= cap)
				goto too_long;
			out[o++] = *in++;
			continue;
		}
		nl = (size_t)(e - in - 2);
		for (i = 0; i < lab->nvar; i++)
			if (strlen(lab->var[i].name) == nl && !memcmp(lab->var[i].name, in + 2, nl))
				break;
		if (i == lab->nvar) {
			snprintf(out, cap, "unknown variable ${%.*s}", (int)nl, in + 2);
			return -1;
		}
		vl = strlen(lab->var[i].value);
		if (o + vl >= cap)
			goto too_long;
		memcpy(out + o, lab->var[i].value, vl);
		o += vl;
		in = e + 1;
	}
	out[o] = 0;
	return 0;
too_long:
	snprintf(out, cap, "text too long after expansion");
	return -1;
}

/* ---- ports ---- */

static int port_taken(const struct lab *lab, int p, int upto_nodes, int upto_deps)
{
	int i;

	if (p == lab->fe_port || p == lab->stats_port)
		return 1;
	for (i = 0; i < upto_nodes; i++)
		if (lab->node[i].port == p)
			return 1;
	for (i = 0; i < upto_deps; i++)
		if (lab->dep[i].port == p)
			return 1;
	return 0;
}

/* A port for a process of the lab: <nominal> in the demo when it is free
 * (else the next free one above it), a random free one otherwise; never
 * one already given to another process of the lab. -1 if none. */
static int pick_one(const struct lab *lab, int nominal, int upto_nodes, int upto_deps)
{
	int p, tries;

	if (lab->o.nominal_ports && nominal > 0) {
		for (p = nominal; p < 65000; p++)
			if (!port_taken(lab, p, upto_nodes, upto_deps) && port_is_free(p))
				return p;
		return -1;
	}
	for (tries = 0; tries < 50; tries++)
		if ((p = free_port()) > 0 && !port_taken(lab, p, upto_nodes, upto_deps))
			return p;
	return -1;
}

static int pick_ports(struct lab *lab)
{
	const struct lab_def *d = lab->def;
	int i;

	lab->fe_port = lab->stats_port = 0;
	if ((lab->fe_port = pick_one(lab, d ? d->fe_port : 0, 0, 0)) < 0 ||
	    (lab->stats_port = pick_one(lab, d ? d->stats_port : 0, 0, 0)) < 0)
		return -1;
	for (i = 0; i < lab->n; i++)
		if ((lab->node[i].port = pick_one(lab, d ? d->nodes[i].port : 0, i, 0)) < 0)
			return -1;
	for (i = 0; i < lab->ndep; i++)
		if ((lab->dep[i].port = pick_one(lab, d ? d->deps[i].port : 0, lab->n, i)) < 0)
			return -1;
	return 0;
}

/* ---- start ---- */

static int write_config(struct lab *lab)
{
	FILE *f;

	dir_file(lab, "tandem.cfg", lab->cfg, sizeof(lab->cfg));
	if (!(f = fopen(lab->cfg, "w")))
		return -1;
	lab_write_config(lab, f);
	return fclose(f);
}

static int start_deps(struct lab *lab)
{
	uint64_t end;
	int i, st;

	for (i = 0; i < lab->ndep; i++)
		if (spawn_dep(lab, i) < 0) {
			snprintf(lab->err, sizeof(lab->err), "cannot start %s: %s", lab->dep[i].name, strerror(errno));
			return -1;
		}
	for (i = 0; i < lab->ndep; i++) {
		struct dep *d = &lab->dep[i];
		end = clock_mono_us() + 5000000;
		while (!dep_ready(lab, d) && clock_mono_us() < end && !chaos_interrupted &&
		       waitpid(d->pid, &st, WNOHANG) != d->pid)
			nap_ms(20);
		if (!dep_ready(lab, d)) {
			char log[PATH_MAX], tail[300];
			snprintf(log, sizeof(log), "%s/%s.log", lab->dir, d->name);
			log_head(log, tail, sizeof(tail));
			if (d->kind == DEP_DNS)
				snprintf(lab->err, sizeof(lab->err), "%s (%.60s) did not answer a DNS query on port %d "
					 "within 5 s (is dnsmasq installed? tools/deps.sh lab): %.300s", d->name,
					 dnsmasq_bin(lab), d->port, tail);
			else
				snprintf(lab->err, sizeof(lab->err), "%s (%.60s) did not answer PING on port %d within "
					 "5 s (is redis-server installed? tools/deps.sh lab): %.300s", d->name,
					 lab->o.redis_bin, d->port, tail);
			return -1;
		}
	}
	return 0;
}

static int start_nodes(struct lab *lab, struct loop *l)
{
	int i;

	for (i = 0; i < lab->n; i++)
		if (!lab->node[i].dynamic && spawn_node(lab, i) < 0) {
			snprintf(lab->err, sizeof(lab->err), "fork: %s", strerror(errno));
			return -1;
		}
	for (i = 0; i < lab->n; i++) {
		struct node *n = &lab->node[i];
		if (n->dynamic)
			continue;
		if (wait_http(l, &n->direct, "/health", 200, n->pid, 5000) < 0) {
			char log[PATH_MAX], tail[300];
			snprintf(log, sizeof(log), "%s/node-%s.log", lab->dir, n->name);
			log_head(log, tail, sizeof(tail));
			snprintf(lab->err, sizeof(lab->err),
				 "node %s (%.100s) did not answer /health on %s within 5 s: %.250s",
				 n->name, lab->o.app_bin, n->direct.hostport, tail);
			return -1;
		}
	}
	return 0;
}

static int start_tandem(struct lab *lab, struct loop *l)
{
	char log[PATH_MAX], tail[700];
	char *argv[] = { (char *)lab->o.tandem_bin, "-f", lab->cfg, NULL };
	char envbuf[MAX_VARS + 1][300];
	char *env[MAX_VARS + 2];
	struct target fe, st;
	int i, ne = 0;

	/* a defined lab's configuration reads its ports from the environment */
	for (i = 0; lab->def && i < lab->nvar; i++) {
		snprintf(envbuf[ne], sizeof(envbuf[ne]), "%s=%s", lab->var[i].name, lab->var[i].value);
		env[ne] = envbuf[ne];
		ne++;
	}
	if (lab->def && lab->o.env && strchr(lab->o.env, '=')) {
		snprintf(envbuf[ne], sizeof(envbuf[ne]), "%s", lab->o.env);
		env[ne] = envbuf[ne];
		ne++;
	}
	env[ne] = NULL;
	dir_file(lab, "tandem.log", log, sizeof(log));
	lab->tandem_pid = spawn(argv, log, env, 0);
	if (lab->tandem_pid < 0) {
		snprintf(lab->err, sizeof(lab->err), "fork: %s", strerror(errno));
		return -1;
	}
	target_local(&fe, lab->fe_port, "/");
	target_local(&st, lab->stats_port, lab->stats_path);
	if (wait_http(l, &st, lab->stats_path, 200, lab->tandem_pid, 5000) < 0 ||
	    wait_http(l, &fe, "/health", 0, lab->tandem_pid, 5000) < 0) {
		log_head(log, tail, sizeof(tail));
		snprintf(lab->err, sizeof(lab->err), "%.80s did not start (config %.200s):\n%.700s",
			 lab->o.tandem_bin, lab->cfg, tail);
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

/* Wait until tandem's stats say every node of the configuration is UP (or
 * "no check"): tandem may start its servers down and bring them up after
 * `rise` checks, and a load started before that would measure the start-up,
 * not the faults. Dynamic nodes are not in the configuration yet. */
static int wait_servers_up(struct lab *lab, struct loop *l)
{
	static char csv[64 * 1024];
	uint64_t end = clock_mono_us() + 8000000;
	struct target st;
	struct up_ctx u;
	int i, want = 0;

	for (i = 0; i < lab->n; i++)
		want += !lab->node[i].dynamic;
	target_local(&st, lab->stats_port, lab->stats_path);
	do {
		int s = hc_fetch(l, &st, lab->stats_path, 1000, csv, sizeof(csv), NULL);
		memset(&u, 0, sizeof(u));
		u.lab = lab;
		if (s == 200) {
			char more[sizeof(lab->more_backends)], *be, *save;

			stats_csv_each(csv, strlen(csv), lab->backend, up_cb, &u);
			/* a lab that routes by path has nodes in several backends */
			snprintf(more, sizeof(more), "%s", lab->more_backends);
			for (be = strtok_r(more, ",", &save); be; be = strtok_r(NULL, ",", &save))
				stats_csv_each(csv, strlen(csv), be, up_cb, &u);
		}
		if (u.up == want)
			return 0;
		nap_ms(20);
	} while (clock_mono_us() < end && !chaos_interrupted);
	snprintf(lab->err, sizeof(lab->err), "tandem did not report every server of backend %s UP within "
		 "8 s (%s)", lab->backend, u.seen[0] ? u.seen : "no server rows in its stats CSV");
	return -1;
}

/* The runtime API's socket: in the lab's directory when the path is short
 * enough for a UNIX socket (tandem also binds PATH.PID.tmp first), else in
 * /tmp under a name of its own. */
static void set_admin_sock(struct lab *lab)
{
	static unsigned seq;

	if (strlen(lab->dir) + 32 < sizeof(((struct sockaddr_un *)0)->sun_path))
		snprintf(lab->admin_sock, sizeof(lab->admin_sock), "%s/admin.sock", lab->dir);
	else
		snprintf(lab->admin_sock, sizeof(lab->admin_sock), "/tmp/tandem-chaos-%d-%u.sock",
			 (int)getpid(), seq++);
}

static int make_dir(struct lab *lab)
{
	const char *parent = lab->o.workdir ? lab->o.workdir : getenv("TMPDIR");

	snprintf(lab->dir, sizeof(lab->dir), "%.200s/tandem-chaos-XXXXXX",
		 parent && *parent ? parent : "/tmp");
	if (!mkdtemp(lab->dir)) {
		snprintf(lab->err, sizeof(lab->err), "mkdtemp: %s", strerror(errno));
		lab->dir[0] = 0;
		return -1;
	}
	/* dnsmasq started by root reads its hosts file as another user */
	for (int i = 0; i < lab->ndep; i++)
		if (lab->dep[i].kind == DEP_DNS)
			chmod(lab->dir, 0755);
	return 0;
}

/* Everything after the layout is known: ports, processes, readiness. */
static int lab_bring_up(struct lab *lab, struct loop *l)
{
	int i;

	for (i = 0; i < lab->n; i++)
		node_target(&lab->node[i]);
	if (start_deps(lab) < 0 || start_nodes(lab, l) < 0 || start_tandem(lab, l) < 0 ||
	    wait_servers_up(lab, l) < 0)
		return -1;
	if (chaos_interrupted) {
		snprintf(lab->err, sizeof(lab->err), "interrupted");
		return -1;
	}
	return 0;
}

int lab_start(struct lab *lab, const struct lab_opts *o, struct loop *l)
{
	int i;

	memset(lab, 0, sizeof(*lab));
	lab->o = *o;
	lab->managed = 1;
	lab->tandem_exit = -1;
	lab->n = o->nodes;
	snprintf(lab->backend, sizeof(lab->backend), "app");
	snprintf(lab->stats_path, sizeof(lab->stats_path), "/stats;csv");
	snprintf(lab->load_path, sizeof(lab->load_path), "/read");
	for (i = 0; i < lab->n; i++) {
		struct node *n = &lab->node[i];
		snprintf(n->name, sizeof(n->name), "%c", 'A' + i);
		snprintf(n->addr, sizeof(n->addr), "127.0.0.1");
		n->weight = o->weights[i];
		n->exit_status = -1;
	}
	if (make_dir(lab) < 0)
		return -1;
	set_admin_sock(lab);
	if (pick_ports(lab) < 0) {
		snprintf(lab->err, sizeof(lab->err), "no free port on 127.0.0.1");
		goto fail;
	}
	if (write_config(lab) < 0) {
		snprintf(lab->err, sizeof(lab->err), "cannot write %s/tandem.cfg", lab->dir);
		goto fail;
	}
	if (lab_bring_up(lab, l) < 0)
		goto fail;
	return 0;
fail:
	lab_stop(lab, 1);
	return -1;
}

/* The layout of a defined lab, without ports (also for lab_preview). */
static void def_layout(struct lab *lab, const struct lab_def *d)
{
	int i, j;

	lab->def = d;
	for (i = 0; i < MAX_NODES && d->nodes[i].name; i++) {
		struct node *n = &lab->node[i];
		snprintf(n->name, sizeof(n->name), "%s", d->nodes[i].name);
		snprintf(n->addr, sizeof(n->addr), "%s", d->nodes[i].addr ? d->nodes[i].addr : "127.0.0.1");
		n->dynamic = d->nodes[i].dynamic;
		n->exit_status = -1;
		n->has_direct = 1;
	}
	lab->n = i;
	for (i = 0; i < MAX_DEPS && d->deps[i].name; i++) {
		struct dep *x = &lab->dep[i];
		snprintf(x->name, sizeof(x->name), "%s", d->deps[i].name);
		x->exit_status = -1;
		x->subject = -1;
		x->kind = d->deps[i].kind;
		for (j = 0; d->deps[i].subject && j < lab->n; j++)
			if (!strcmp(lab->node[j].name, d->deps[i].subject))
				x->subject = j;
	}
	lab->ndep = i;
	snprintf(lab->backend, sizeof(lab->backend), "%s", d->backend);
	snprintf(lab->more_backends, sizeof(lab->more_backends), "%s", d->more_backends ? d->more_backends : "");
	snprintf(lab->stats_path, sizeof(lab->stats_path), "%s;csv", d->stats_uri);
	snprintf(lab->load_path, sizeof(lab->load_path), "%s", d->load_path);
}

void lab_preview(struct lab *lab, int n, const struct lab_def *def)
{
	int i;

	memset(lab, 0, sizeof(*lab));
	lab->managed = 1;
	snprintf(lab->admin_sock, sizeof(lab->admin_sock), "(the lab's)");
	if (def) {
		def_layout(lab, def);
		return;
	}
	lab->n = n;
	snprintf(lab->backend, sizeof(lab->backend), "app");
	for (i = 0; i < n; i++) {
		snprintf(lab->node[i].name, sizeof(lab->node[i].name), "%c", 'A' + i);
		lab->node[i].has_direct = 1;   /* lab_start fills the addresses */
	}
}

int lab_start_def(struct lab *lab, const struct lab_def *d, const struct lab_opts *o, struct loop *l)
{
	char name[40], buf[sizeof(lab->node[0].args)];
	int i;

	memset(lab, 0, sizeof(*lab));
	lab->o = *o;
	lab->managed = 1;
	lab->tandem_exit = -1;
	def_layout(lab, d);
	if (make_dir(lab) < 0)
		return -1;
	snprintf(lab->cfg, sizeof(lab->cfg), "%.400s/%s/tandem.cfg", o->labs_dir ? o->labs_dir : "contrib/labs",
		 d->id);
	if (access(lab->cfg, R_OK) < 0) {
		snprintf(lab->err, sizeof(lab->err), "cannot read %s (use --labs-dir DIR)", lab->cfg);
		goto fail;
	}
	if (pick_ports(lab) < 0) {
		snprintf(lab->err, sizeof(lab->err), "no free port on 127.0.0.1");
		goto fail;
	}
	set_admin_sock(lab);
	lab_set_var(lab, "LAB_DIR", "%s", lab->dir);
	lab_set_var(lab, "ADMIN_SOCK", "%s", lab->admin_sock);
	lab_set_var(lab, "PORT_FE", "%d", lab->fe_port);
	lab_set_var(lab, "PORT_STATS", "%d", lab->stats_port);
	for (i = 0; i < lab->n; i++) {
		lab_var_name("PORT_", lab->node[i].name, name, sizeof(name));
		lab_set_var(lab, name, "%d", lab->node[i].port);
		lab_var_name("ADDR_", lab->node[i].name, name, sizeof(name));
		lab_set_var(lab, name, "%s", lab->node[i].addr);
	}
	for (i = 0; i < lab->ndep; i++) {
		lab_var_name("PORT_", lab->dep[i].name, name, sizeof(name));
		lab_set_var(lab, name, "%d", lab->dep[i].port);
	}
	for (i = 0; i < lab->n; i++) {
		struct node *n = &lab->node[i];
		snprintf(buf, sizeof(buf), "%s %s", d->node_args ? d->node_args : "",
			 d->nodes[i].args ? d->nodes[i].args : "");
		if (lab_expand(lab, buf, n->args, sizeof(n->args)) < 0 ||
		    lab_expand(lab, d->nodes[i].add_args ? d->nodes[i].add_args : "", n->add_args,
			       sizeof(n->add_args)) < 0) {
			snprintf(lab->err, sizeof(lab->err), "lab %s, node %s: %s", d->id, n->name,
				 n->args[0] ? n->args : n->add_args);
			goto fail;
		}
	}
	if (lab_bring_up(lab, l) < 0)
		goto fail;
	return 0;
fail:
	lab_stop(lab, 1);
	return -1;
}

/* ---- stop ---- */

void lab_remove_dir(struct lab *lab)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (!lab->dir[0])
		return;
	/* only what the lab's processes wrote there: plain files, no subdirectory */
	if ((d = opendir(lab->dir))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", lab->dir, e->d_name);
				unlink(path);
			}
		closedir(d);
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

int lab_log_has(const struct lab *lab, const char *file, const char *needle)
{
	char path[PATH_MAX], line[2048];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s", lab->dir, file);
	if (!(f = fopen(path, "r")))
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
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
	for (i = 0; i < lab->ndep; i++) {
		stop_pid(lab->dep[i].pid, SIGTERM, 2000);
		lab->dep[i].pid = 0;
	}
	/* tandem removes its socket when it stops; one it could not remove
	 * (killed) must not stay in /tmp */
	if (lab->admin_sock[0] && strncmp(lab->admin_sock, lab->dir, strlen(lab->dir)))
		unlink(lab->admin_sock);
	found = lab->dir[0] && scan_log(lab, "tandem.log");
	for (i = 0; !found && lab->dir[0] && i < lab->n; i++) {
		snprintf(name, sizeof(name), "node-%s.log", lab->node[i].name);
		found = scan_log(lab, name);
	}
	if (!keep_dir && !lab->o.keep && !found)
		lab_remove_dir(lab);
	return found;
}

/* ---- nodes and dependencies ---- */

int lab_find(const struct lab *lab, const char *name)
{
	int i;

	for (i = 0; i < lab->n; i++)
		if (!strcmp(lab->node[i].name, name))
			return i;
	return -1;
}

int lab_find_dep(const struct lab *lab, const char *name)
{
	int i;

	for (i = 0; i < lab->ndep; i++)
		if (!strcmp(lab->dep[i].name, name))
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

int lab_signal_dep(struct lab *lab, int i, int sig, char *err, size_t errlen)
{
	struct dep *d = &lab->dep[i];

	if (d->pid <= 0) {
		snprintf(err, errlen, "%s is not running", d->name);
		return -1;
	}
	if (kill(d->pid, sig) < 0) {
		snprintf(err, errlen, "kill(%d, %s): %s", (int)d->pid, strsignal(sig), strerror(errno));
		return -1;
	}
	return 0;
}

/* Kill a running process before it is started again on its port. */
static void kill_wait(pid_t *pid, int *exit_status)
{
	int st = -1;

	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	kill(*pid, SIGCONT);
	wait_exit(*pid, 2000, &st);
	*exit_status = st;
	*pid = 0;
}

int lab_restart(struct lab *lab, int i, char *err, size_t errlen)
{
	struct node *n = &lab->node[i];

	if (!lab->managed) {
		snprintf(err, errlen, "restart needs a lab (--lab): chaos does not know how %s was started",
			 n->name);
		return -1;
	}
	kill_wait(&n->pid, &n->exit_status);   /* still running (or draining): the port must be free */
	if (spawn_node(lab, i) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		n->pid = 0;
		return -1;
	}
	return 0;
}

int lab_spawn_node(struct lab *lab, int i, char *err, size_t errlen)
{
	return lab_restart(lab, i, err, errlen);
}

int lab_restart_dep(struct lab *lab, int i, char *err, size_t errlen)
{
	struct dep *d = &lab->dep[i];

	kill_wait(&d->pid, &d->exit_status);
	if (spawn_dep(lab, i) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		d->pid = 0;
		return -1;
	}
	return 0;
}

int lab_move(struct lab *lab, int i, char *err, size_t errlen)
{
	struct node *n = &lab->node[i];
	struct in_addr a;
	uint32_t h;
	int k;

	if (!lab->managed) {
		snprintf(err, errlen, "move needs a lab (--lab): chaos does not know how %s was started", n->name);
		return -1;
	}
	for (k = 0; k < lab->ndep && lab->dep[k].kind != DEP_DNS; k++)
		;
	if (k == lab->ndep) {
		snprintf(err, errlen, "move needs a lab whose servers are found by DNS (lab 003); this one has no "
			 "DNS server");
		return -1;
	}
	if (inet_pton(AF_INET, n->addr, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
		snprintf(err, errlen, "node %s has no loopback address of its own to move from", n->name);
		return -1;
	}
	kill_wait(&n->pid, &n->exit_status);
	/* 127.0.X.Y -> 127.0.X+1.Y (127/8 is all loopback on Linux: no set-up) */
	h = ntohl(a.s_addr);
	h = (h & 0xffff00ffu) | ((((h >> 8) & 0xff) + 1) % 256) << 8;
	a.s_addr = htonl(h);
	inet_ntop(AF_INET, &a, n->addr, sizeof(n->addr));
	n->moves++;
	node_target(n);
	if (spawn_node(lab, i) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		n->pid = 0;
		return -1;
	}
	/* the container is up with its new address, then its name says so */
	for (k = 0; k < lab->ndep; k++) {
		struct dep *d = &lab->dep[k];
		if (d->kind != DEP_DNS)
			continue;
		if (write_hosts(lab, d) < 0) {
			snprintf(err, errlen, "cannot rewrite %s's hosts file in %s: %s", d->name, lab->dir,
				 strerror(errno));
			return -1;
		}
		if (d->pid > 0)
			kill(d->pid, SIGHUP);
	}
	{
		char name[40];
		lab_var_name("ADDR_", n->name, name, sizeof(name));
		lab_set_var(lab, name, "%s", n->addr);
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
	for (i = 0; i < lab->ndep; i++) {
		struct dep *d = &lab->dep[i];
		if (d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->exit_status = st;
			d->pid = 0;
		}
	}
	if (lab->tandem_pid > 0 && waitpid(lab->tandem_pid, &st, WNOHANG) == lab->tandem_pid) {
		lab->tandem_exit = st;
		lab->tandem_pid = 0;
		gone = 1;
	}
	return gone;
}
