/* The `global` section: process-wide settings, plus the `log` target parser
 * shared with proxies. Defaults follow HAProxy; the automatic values
 * (nbthread, maxconn, node) are computed in cfg_global_finish() once the
 * whole file is read. */
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>
#include <tandem/cli.h>
#include <tandem/h1-t.h>
#include <tandem/log.h>
#include <tandem/ssl.h>
#include "cfg_int.h"
#include "kw_check.h"
#include "kw_ssl.h"

#define NBTHREAD_MAX   256
#define NBTHREAD_AUTO_MAX 64     /* HAProxy's default MAX_THREADS */
#define MAXCONN_MIN_AUTO 100     /* HAProxy's DEFAULT_MAXCONN */
#define NOFILE_CAP     1048576   /* never size from an "unlimited" rlimit */
#define MAXREWRITE_UNSET UINT32_MAX

void cfg_global_init(struct global *g)
{
	memset(g, 0, sizeof(*g));
	ssl_global_init(&g->ssl);
	list_init(&g->logs);
	g->tune_bufsize = 16384;
	g->tune_maxrewrite = MAXREWRITE_UNSET;  /* finish: min(1024, bufsize / 2) */
	g->tune_maxhdr = H1_MAX_HDRS;
	g->tune_idle_pool = 64;
	g->strict_limits = 1;          /* HAProxy's default */
	g->idle_pool_shared = -1;
	g->tune_maxaccept = 64;
	g->tune_maxpollevents = 200;
	g->uid = g->gid = -1;
	g->stats_timeout = CLI_DEF_TIMEOUT_MS;
	g->stats_maxconn = CLI_DEF_MAXCONN;
	list_init(&g->stats_socks);
}

void cfg_global_free(struct global *g)
{
	cfg_log_targets_free(&g->logs);
	free(g->pidfile);
	free(g->user);
	free(g->group);
	free(g->chroot);
	free(g->node);
	free(g->desc);
	free(g->cpu_map);
	cli_sock_conf_free(&g->stats_socks);
	ssl_global_free(&g->ssl);
}

void cli_sock_conf_free(struct list *socks)
{
	while (!list_empty(socks)) {
		struct cli_sock_conf *c = list_entry(socks->next, struct cli_sock_conf, link);

		list_del(&c->link);
		free(c->addr_str);
		free(c);
	}
}

/* ------------------------------------------------------------------ */
/* log targets                                                         */

static const char *const facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const struct { const char *name; int fmt; } log_formats[] = {
	{ "rfc3164", LOGF_RFC3164 }, { "raw", LOGF_RAW }, { "short", LOGF_SHORT },
	{ "iso", LOGF_ISO }, { "timed", LOGF_TIMED }, { "local", LOGF_LOCAL },
	{ "priority", LOGF_PRIORITY }, { "rfc5424", LOGF_RFC5424 },
};

void cfg_log_targets_free(struct list *l)
{
	while (!list_empty(l)) {
		struct log_target *t = list_entry(l->next, struct log_target, link);

		list_del(&t->link);
		free(t);
	}
}

int cfg_log_targets_copy(struct list *dst, const struct list *src)
{
	const struct list *l;

	list_for_each(l, src) {
		struct log_target *t = malloc(sizeof(*t));

		if (!t)
			return -1;
		*t = *list_entry(l, struct log_target, link);
		list_add_tail(dst, &t->link);
	}
	return 0;
}

/* Fill the destination of <t> from the target word. */
static int log_dest(struct cfg_ctx *ctx, struct log_target *t, const char *dst)
{
	char why[512];

	if (strcmp(dst, "stdout") == 0 || strcmp(dst, "fd@1") == 0) {
		t->fd = 1;
		return 0;
	}
	if (strcmp(dst, "stderr") == 0 || strcmp(dst, "fd@2") == 0) {
		t->fd = 2;
		return 0;
	}
	if (*dst == '/' || strncmp(dst, "unix@", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&t->addr;
		const char *path = *dst == '/' ? dst : dst + 5;

		if (strlen(path) >= sizeof(un->sun_path))
			return cfg_err(ctx, "'log' : socket path '%s' is too long.", path);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		t->addrlen = sizeof(*un);
		return 0;
	}
	if (strncmp(dst, "ring@", 5) == 0 || strncmp(dst, "tcp@", 4) == 0 || strncmp(dst, "tcp4@", 5) == 0 ||
	    strncmp(dst, "tcp6@", 5) == 0 || strncmp(dst, "fd@", 3) == 0 || strncmp(dst, "abns@", 5) == 0)
		return cfg_err(ctx, "'log' : target '%s' is not supported by tandem (use stdout, stderr, a UNIX datagram socket path or a UDP address).", dst);
	if (cfg_addr_ex(dst, &t->addr, &t->addrlen, 0, 514, why, sizeof(why)) < 0)
		return cfg_err(ctx, "'log' : %s.", why);
	return 0;
}

/* log TARGET [len N] [format F] FACILITY [LEVEL [MINLEVEL]] */
int cfg_parse_log(struct cfg_ctx *ctx, char **args, int nargs, struct list *into)
{
	struct log_target *t;
	int i = 2, f;

	if (nargs < 3)
		return cfg_err(ctx, "'log' expects either <address[:port]> and <facility> or 'global' as arguments.");
	if (!(t = calloc(1, sizeof(*t))))
		return cfg_err(ctx, "out of memory");
	list_init(&t->link);
	t->fd = -1;
	t->format = LOGF_RFC3164;
	t->level = LL_DEBUG;
	t->minlevel = LL_EMERG;
	t->maxlen = 1024;
	if (log_dest(ctx, t, args[1]) < 0)
		goto fail;

	while (i < nargs) {
		if (strcmp(args[i], "len") == 0) {
			long long v;

			if (cfg_arg_int(ctx, "len", args[i + 1], 80, 65535, &v) < 0)
				goto fail;
			t->maxlen = (int)v;
			i += 2;
		} else if (strcmp(args[i], "format") == 0) {
			size_t k;

			for (k = 0; args[i + 1] && k < ARRAY_SIZE(log_formats); k++)
				if (strcmp(args[i + 1], log_formats[k].name) == 0)
					break;
			if (!args[i + 1] || k == ARRAY_SIZE(log_formats)) {
				cfg_err(ctx, "'log' : unknown log format '%s' (expected raw, short, rfc3164, rfc5424, iso, timed, local or priority).",
					args[i + 1] ? args[i + 1] : "");
				goto fail;
			}
			t->format = log_formats[k].fmt;
			i += 2;
		} else if (strcmp(args[i], "sample") == 0 || strcmp(args[i], "profile") == 0) {
			cfg_err(ctx, "'log' : '%s' is not supported by tandem.", args[i]);
			goto fail;
		} else {
			break;
		}
	}
	if (i >= nargs) {
		cfg_err(ctx, "'log' expects a facility (for example local0).");
		goto fail;
	}
	for (f = 0; f < (int)ARRAY_SIZE(facilities); f++)
		if (strcmp(args[i], facilities[f]) == 0)
			break;
	if (f == (int)ARRAY_SIZE(facilities)) {
		cfg_err(ctx, "'log' : unknown log facility '%s'.", args[i]);
		goto fail;
	}
	t->facility = f;
	if (++i < nargs && (t->level = log_level_parse(args[i])) < 0) {
		cfg_err(ctx, "'log' : unknown optional log level '%s'.", args[i]);
		goto fail;
	}
	if (i < nargs && ++i < nargs && (t->minlevel = log_level_parse(args[i])) < 0) {
		cfg_err(ctx, "'log' : unknown optional minimum log level '%s'.", args[i]);
		goto fail;
	}
	if (i < nargs && ++i < nargs) {
		cfg_err(ctx, "'log' cannot handle unexpected argument '%s'.", args[i]);
		goto fail;
	}
	list_add_tail(into, &t->link);
	return 0;
fail:
	free(t);
	return -1;
}

/* ------------------------------------------------------------------ */
/* keywords                                                            */

#define G (&ctx->cfg->g)

static int gkw_log(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs > 1 && strcmp(args[1], "global") == 0)
		return cfg_err(ctx, "'log global' is only valid in proxy sections.");
	return cfg_parse_log(ctx, args, nargs, &G->logs);
}

static int gkw_nbthread(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 ||
	    cfg_arg_int(ctx, args[0], args[1], 1, NBTHREAD_MAX, &v) < 0)
		return -1;
	G->nbthread = (int)v;
	return 0;
}

static int gkw_maxconn(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 ||
	    cfg_arg_int(ctx, args[0], args[1], 1, 10000000, &v) < 0)
		return -1;
	G->maxconn = (int)v;
	return 0;
}

static int gkw_ulimit(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 ||
	    cfg_arg_int(ctx, args[0], args[1], 1, 100000000, &v) < 0)
		return -1;
	G->rlimit_nofile = G->ulimit_n = (int)v;
	return 0;
}

static int gkw_flag(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 0) < 0)
		return -1;
	if (strcmp(args[0], "daemon") == 0)
		G->daemon = 1;
	/* master-worker: tandem always runs a master and a worker */
	return 0;
}

/* pidfile, chroot, node: one word. */
static int gkw_string(struct cfg_ctx *ctx, char **args, int nargs)
{
	char **dst = strcmp(args[0], "pidfile") == 0 ? &G->pidfile :
		     strcmp(args[0], "chroot") == 0 ? &G->chroot : &G->node;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects an argument.", args[0]);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return cfg_strdup(ctx, dst, args[1]);
}

static int gkw_description(struct cfg_ctx *ctx, char **args, int nargs)
{
	char *d;

	if (nargs < 2)
		return cfg_err(ctx, "'%s' expects a string argument.", args[0]);
	if (!(d = cfg_join(args, 1, nargs)))
		return cfg_err(ctx, "out of memory");
	free(G->desc);
	G->desc = d;
	return 0;
}

static int gkw_user(struct cfg_ctx *ctx, char **args, int nargs)
{
	int is_user = strcmp(args[0], "user") == 0;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects a name.", args[0]);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (is_user) {
		struct passwd *pw = getpwnam(args[1]);

		if (!pw)
			return cfg_err(ctx, "cannot find user id for '%s'.", args[1]);
		G->uid = (int)pw->pw_uid;
		return cfg_strdup(ctx, &G->user, args[1]);
	} else {
		struct group *gr = getgrnam(args[1]);

		if (!gr)
			return cfg_err(ctx, "cannot find group id for '%s'.", args[1]);
		G->gid = (int)gr->gr_gid;
		return cfg_strdup(ctx, &G->group, args[1]);
	}
}

static int gkw_uid(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 ||
	    cfg_arg_int(ctx, args[0], args[1], 0, 0x7fffffff, &v) < 0)
		return -1;
	if (strcmp(args[0], "uid") == 0)
		G->uid = (int)v;
	else
		G->gid = (int)v;
	return 0;
}

static int gkw_time(struct cfg_ctx *ctx, char **args, int nargs)
{
	uint32_t *dst = strcmp(args[0], "grace") == 0 ? &G->grace : &G->hard_stop_after;

	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return cfg_arg_time(ctx, args[0], args[1], dst);
}

static int gkw_tune(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *kw = args[0];
	long long v;
	uint64_t sz;

	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (strcmp(kw, "tune.bufsize") == 0) {
		if (cfg_arg_size(ctx, kw, args[1], &sz) < 0)
			return -1;
		if (sz < 1024 || sz > (256u << 20))
			return cfg_err(ctx, "'%s' must be between 1024 and 268435456 bytes, got '%s'.", kw, args[1]);
		G->tune_bufsize = (uint32_t)sz;
	} else if (strcmp(kw, "tune.maxrewrite") == 0) {
		if (cfg_arg_int(ctx, kw, args[1], 0, 256 << 20, &v) < 0)
			return -1;
		G->tune_maxrewrite = (uint32_t)v;
	} else if (strcmp(kw, "tune.http.maxhdr") == 0) {
		if (cfg_parse_int(args[1] ? args[1] : "", 1, H1_MAX_HDRS, &v) < 0)
			return cfg_err(ctx, "'%s' expects an integer between 1 and %d (tandem's parser limit), got '%s'.",
				       kw, H1_MAX_HDRS, args[1] ? args[1] : "");
		G->tune_maxhdr = (uint32_t)v;
	} else if (strcmp(kw, "tune.http.max-body-size") == 0) {
		if (cfg_arg_size(ctx, kw, args[1], &sz) < 0)
			return -1;
		G->tune_max_body = sz;
	} else { /* tune.idle-pool.shared-per-server */
		if (cfg_arg_int(ctx, kw, args[1], 0, 1000000, &v) < 0)
			return -1;
		G->tune_idle_pool = (uint32_t)v;
	}
	return 0;
}

/* ---- the long tail of process keywords (issue 18) ---- */

/* `strict-limits` / `no strict-limits` (HAProxy: on by default): a
 * setrlimit that fails is fatal, else a warning. */
static int gkw_strict_limits(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 0) < 0)
		return -1;
	G->strict_limits = !ctx->no;
	return 0;
}

/* all | odd | even | N | N-M | N- into [*lo, *hi] and a parity (0 any,
 * 1 odd, 2 even); numbers 1..max. */
static int id_set(const char *s, int max, int *lo, int *hi, int *parity)
{
	char *end;
	long a, b;

	*parity = 0;
	*lo = 1;
	*hi = max;
	if (!strcmp(s, "all"))
		return 0;
	if (!strcmp(s, "odd") || !strcmp(s, "even")) {
		*parity = s[0] == 'o' ? 1 : 2;
		return 0;
	}
	a = strtol(s, &end, 10);
	if (end == s || a < 1 || a > max)
		return -1;
	b = a;
	if (*end == '-') {
		s = end + 1;
		b = *s ? strtol(s, &end, 10) : max;
		if ((*s && end == s) || b < a || b > max)
			return -1;
	}
	if (*end)
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* cpu-map [auto:]PROCS[/THREADS] CPUSET... (doc/configuration.md) */
static int gkw_cpu_map(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct cpu_map_rule r, *nr;
	char procs[64], *slash;
	const char *a;
	int plo, phi, par, tlo = 1, thi = NBTHREAD_MAX, tpar = 0, nthr;
	unsigned char cpus[1024] = { 0 };

	memset(&r, 0, sizeof(r));
	if (nargs < 3)
		return cfg_err(ctx, "'cpu-map' expects a process number ('all', 'odd', 'even', a number from 1 to 64 or a "
			       "range), optionally followed by '/' and a thread set, then a list of CPU ranges with numbers "
			       "from 0 to 1023.");
	a = args[1];
	if (!strncmp(a, "auto:", 5)) {
		r.autom = 1;
		a += 5;
	}
	snprintf(procs, sizeof(procs), "%s", a);
	if ((slash = strchr(procs, '/')))
		*slash++ = 0;
	if (id_set(procs, 64, &plo, &phi, &par) < 0)
		return cfg_err(ctx, "'cpu-map' : invalid process set '%s' (all, odd, even, N or N-M).", procs);
	if (slash && id_set(slash, NBTHREAD_MAX, &tlo, &thi, &tpar) < 0)
		return cfg_err(ctx, "'cpu-map' : invalid thread set '%s' (all, odd, even, N or N-M, from 1 to %d).",
			       slash, NBTHREAD_MAX);
	for (int i = 2; i < nargs; i++) {
		char *end;
		long lo = strtol(args[i], &end, 10), hi = lo;

		if (end == args[i] || lo < 0 || lo > 1023)
			return cfg_err(ctx, "'cpu-map' : invalid CPU set '%s' (a number or a range from 0 to 1023).", args[i]);
		if (*end == '-') {
			const char *h = end + 1;

			hi = *h ? strtol(h, &end, 10) : 1023;
			if ((*h && end == h) || hi < lo || hi > 1023)
				return cfg_err(ctx, "'cpu-map' : invalid CPU range '%s'.", args[i]);
		}
		if (*end)
			return cfg_err(ctx, "'cpu-map' : invalid CPU set '%s' (a number or a range from 0 to 1023).", args[i]);
		for (long c = lo; c <= hi; c++)
			cpus[c] = 1;
	}
	/* tandem is one process: a line for other processes only has no
	 * object, as HAProxy ignores processes above 1 */
	if (plo > 1 || par == 2)
		return 0;
	for (int c = 0; c < 1024; c++)
		if (cpus[c])
			r.cpu[r.ncpu++] = (short)c;
	r.lo = tlo;
	r.hi = thi;
	if (tpar) {   /* odd/even threads: one rule per thread */
		for (int t = tpar == 1 ? 1 : 2, k = 0; t <= NBTHREAD_MAX; t += 2, k++) {
			struct cpu_map_rule one = r;

			one.lo = one.hi = t;
			if (r.autom) {
				if (k >= r.ncpu)
					break;
				one.autom = 0;
				one.ncpu = 1;
				one.cpu[0] = r.cpu[k];
			}
			if (!(nr = realloc(G->cpu_map, (size_t)(G->n_cpu_map + 1) * sizeof(*nr))))
				return cfg_err(ctx, "out of memory");
			G->cpu_map = nr;
			nr[G->n_cpu_map++] = one;
		}
		return 0;
	}
	nthr = slash ? thi - tlo + 1 : 0;
	if (r.autom && nthr != r.ncpu && !(slash && !strcmp(slash, "all")))
		return cfg_err(ctx, "'cpu-map' : PROC/THREAD range and CPU sets must have the same size to be "
			       "automatically bound.");
	if (!slash) {          /* the whole process: every thread */
		r.lo = 1;
		r.hi = NBTHREAD_MAX;
		if (r.autom) {     /* one CPU for the process: its first */
			r.autom = 0;
			r.ncpu = r.ncpu ? 1 : 0;
		}
	}
	if (!(nr = realloc(G->cpu_map, (size_t)(G->n_cpu_map + 1) * sizeof(*nr))))
		return cfg_err(ctx, "out of memory");
	G->cpu_map = nr;
	nr[G->n_cpu_map++] = r;
	return 0;
}

/* tune.idle-pool.shared on|off: tandem keeps idle server connections per
 * thread, which is HAProxy's "off"; "on" (sharing them between threads)
 * is the same with one thread only (checked once nbthread is known). */
static int gkw_idle_pool_shared(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs < 2 || (strcmp(args[1], "on") && strcmp(args[1], "off")))
		return cfg_err(ctx, "'%s' expects either 'on' or 'off' but got '%s'.", args[0], nargs < 2 ? "" : args[1]);
	G->idle_pool_shared = args[1][1] == 'n';
	G->idle_pool_line = ctx->line;
	return 0;
}

/* The tune.* that tandem implements beyond buffers and headers. */
static int gkw_tune_more(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *kw = args[0];
	long long v;
	uint64_t sz;

	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (!strcmp(kw, "tune.maxaccept")) {
		if (cfg_arg_int(ctx, kw, args[1], -1, 1000000, &v) < 0)
			return -1;
		G->tune_maxaccept = v ? (int)v : 64;
	} else if (!strcmp(kw, "tune.maxpollevents")) {
		if (cfg_arg_int(ctx, kw, args[1], 1, 1000000, &v) < 0)
			return -1;
		G->tune_maxpollevents = (int)v;
	} else if (!strcmp(kw, "tune.pipesize")) {
		if (cfg_arg_size(ctx, kw, args[1], &sz) < 0)
			return -1;
		if (sz > (1u << 30))
			return cfg_err(ctx, "'%s' must be at most 1g, got '%s'.", kw, args[1]);
		G->tune_pipesize = (uint32_t)sz;
	} else {   /* tune.rcvbuf.client|server, tune.sndbuf.client|server */
		int *dst = !strcmp(kw, "tune.rcvbuf.client") ? &G->tune_rcvbuf_cli :
			   !strcmp(kw, "tune.rcvbuf.server") ? &G->tune_rcvbuf_srv :
			   !strcmp(kw, "tune.sndbuf.client") ? &G->tune_sndbuf_cli : &G->tune_sndbuf_srv;

		if (cfg_arg_size(ctx, kw, args[1], &sz) < 0)
			return -1;
		if (sz > 0x7fffffff)
			return cfg_err(ctx, "'%s' must be below 2g, got '%s'.", kw, args[1]);
		*dst = (int)sz;
	}
	return 0;
}

/* tune.* HAProxy has and tandem has no use for: why, for each family. */
static int gkw_tune_refused(struct cfg_ctx *ctx, char **args, int nargs)
{
	static const struct { const char *pfx, *why; } refused[] = {
		{ "tune.h2.", "tandem has no HTTP/2" },
		{ "tune.quic.", "tandem has no QUIC" },
		{ "tune.comp.", "tandem has no compression" },
		{ "tune.zlib.", "tandem has no compression" },
		{ "tune.vars.", "tandem does not bound the memory of variables by scope (each name the configuration uses holds one value per scope instance)" },
		{ "tune.http.cookielen", "it bounds 'capture cookie', which tandem does not support" },
		{ "tune.http.logurilen", "tandem logs the whole request line (within the log's 'len')" },
		{ "tune.pattern.cache-size", "tandem keeps no cache of pattern match results to size (every match is made again)" },
		{ "tune.buffers.", "tandem allocates buffers per connection, without a shared pool to bound" },
		{ "tune.idletimer", "tandem's sockets have no idle buffer heuristics" },
		{ "tune.recv_enough", "tandem reads what the socket has, up to the buffer size" },
		{ "tune.runqueue-depth", "tandem's event loop has no task run queue to tune" },
		{ "tune.sched.", "tandem's event loop has no scheduler classes" },
		{ "tune.fd.", "tandem's sockets are always edge-triggered" },
		{ "tune.listener.", "every tandem thread accepts on every listener (EPOLLEXCLUSIVE)" },
		{ "tune.pool-", "tandem has no server connection pool limits beyond tune.idle-pool.shared-per-server" },
		{ "tune.fail-alloc", "it is a debugging option of HAProxy" },
		{ "tune.memory.", "it is a debugging option of HAProxy" },
		{ "tune.chksize", "HAProxy itself dropped it" },
	};

	(void)nargs;
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (!strncmp(args[0], refused[i].pfx, strlen(refused[i].pfx)))
			return cfg_err(ctx, "'%s' is not supported: %s.", args[0], refused[i].why);
	return cfg_err(ctx, "'%s' is not supported by tandem.", args[0]);
}

/* ---- the stats socket (runtime API, src/admin/cli*.c) ---- */

/* Where a `stats socket` listens: a UNIX path ("/run/x.sock", "unix@x",
 * a relative path) or a TCP address ("ipv4@127.0.0.1:9999", "[::1]:9999"). */
static int stats_sock_addr(struct cfg_ctx *ctx, struct cli_sock_conf *c, const char *a)
{
	char why[512];

	if (strncmp(a, "unix@", 5) == 0 || strchr(a, '/') || (!strchr(a, ':') && !strchr(a, '@'))) {
		struct sockaddr_un *un = (struct sockaddr_un *)&c->addr;
		const char *path = strncmp(a, "unix@", 5) == 0 ? a + 5 : a;

		if (!*path)
			return cfg_err(ctx, "'stats socket' expects a path or an address.");
		if (strlen(path) + 16 >= sizeof(un->sun_path))   /* room for the temporary name */
			return cfg_err(ctx, "'stats socket' : socket path '%s' is too long.", path);
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		c->addrlen = sizeof(*un);
		return 0;
	}
	if (cfg_addr_ex(a, &c->addr, &c->addrlen, ADDR_PORT_MANDATORY | ADDR_NO_RESOLVE, 0, why, sizeof(why)) < 0)
		return cfg_err(ctx, "'stats socket' : %s.", why);
	return 0;
}

/* One `stats socket` option at args[i] (and its value); returns the
 * number of words used, or -1. */
static int stats_sock_opt(struct cfg_ctx *ctx, struct cli_sock_conf *c, char **args, int i, int nargs)
{
	const char *kw = args[i], *val = i + 1 < nargs ? args[i + 1] : NULL;
	static const char *const levels[] = { "user", "operator", "admin" };
	long long v;

	if (strcmp(kw, "expose-fd") == 0) {
		/* HAProxy hands its listeners to a new process over this socket
		 * (-x); tandem's master already keeps them and hands them to each
		 * new worker itself (doc/lifecycle.md), which is what the option
		 * asks for: accepted, nothing more to do. */
		if (!val || strcmp(val, "listeners"))
			return cfg_err(ctx, "'stats socket' : 'expose-fd' only supports 'listeners' (got '%s').", val ? val : "");
		return 2;
	}
	if (strcmp(kw, "mode") && strcmp(kw, "level") && strcmp(kw, "user") && strcmp(kw, "group") &&
	    strcmp(kw, "uid") && strcmp(kw, "gid"))
		return cfg_err(ctx, "'stats socket' : keyword '%s' is not supported by tandem "
			       "(supported: mode, level, user, group, uid, gid, expose-fd listeners).", kw);
	if (!val || !*val)
		return cfg_err(ctx, "'stats socket' : '%s' expects an argument.", kw);
	if (strcmp(kw, "mode") == 0) {
		char *end;
		long m = strtol(val, &end, 8);

		if (*end || end == val || m < 0 || m > 07777)
			return cfg_err(ctx, "'stats socket' : 'mode' expects an octal permission like 600, got '%s'.", val);
		c->mode = (int)m;
	} else if (strcmp(kw, "level") == 0) {
		for (c->level = 0; c->level < 3 && strcmp(val, levels[c->level]); c->level++)
			;
		if (c->level == 3)
			return cfg_err(ctx, "'stats socket' : 'level' only supports 'user', 'operator', and 'admin', got '%s'.", val);
	} else if (strcmp(kw, "user") == 0) {
		struct passwd *pw = getpwnam(val);

		if (!pw)
			return cfg_err(ctx, "'stats socket' : cannot find user id for '%s'.", val);
		c->uid = (int)pw->pw_uid;
	} else if (strcmp(kw, "group") == 0) {
		struct group *gr = getgrnam(val);

		if (!gr)
			return cfg_err(ctx, "'stats socket' : cannot find group id for '%s'.", val);
		c->gid = (int)gr->gr_gid;
	} else {
		if (cfg_arg_int(ctx, kw, val, 0, 0x7fffffff, &v) < 0)
			return -1;
		*(kw[0] == 'u' ? &c->uid : &c->gid) = (int)v;
	}
	return 2;
}

/* stats socket ADDR [options]; stats timeout TIME; stats maxconn N */
static int gkw_stats(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct cli_sock_conf *c;
	long long v;
	uint32_t ms;

	if (nargs < 2)
		return cfg_err(ctx, "'stats' expects 'socket', 'timeout' or 'maxconn' in the 'global' section.");
	if (strcmp(args[1], "timeout") == 0) {
		if (nargs < 3)
			return cfg_err(ctx, "'stats timeout' expects a timeout value.");
		if (cfg_max_args(ctx, args + 1, nargs - 1, 1) < 0 || cfg_arg_time(ctx, "stats timeout", args[2], &ms) < 0)
			return -1;
		if (!ms || ms > 0x7fffffff)
			return cfg_err(ctx, "'stats timeout' expects a positive value, got '%s'.", args[2]);
		G->stats_timeout = (int)ms;
		return 0;
	}
	if (strcmp(args[1], "maxconn") == 0) {
		if (nargs < 3)
			return cfg_err(ctx, "'stats maxconn' expects an integer argument.");
		if (cfg_max_args(ctx, args + 1, nargs - 1, 1) < 0 ||
		    cfg_arg_int(ctx, "stats maxconn", args[2], 1, 100000, &v) < 0)
			return -1;
		G->stats_maxconn = (int)v;
		return 0;
	}
	if (strcmp(args[1], "socket") != 0)
		return cfg_err(ctx, "'stats %s' is not supported by tandem in the 'global' section.", args[1]);
	if (nargs < 3 || !*args[2])
		return cfg_err(ctx, "'stats socket' expects a path or an address.");
	if (!(c = calloc(1, sizeof(*c))))
		return cfg_err(ctx, "out of memory");
	c->mode = -1;
	c->uid = c->gid = -1;
	c->level = CLI_LVL_OPER;
	c->fd = -1;
	c->file = ctx->file;
	c->line = ctx->line;
	list_init(&c->link);
	if (!(c->addr_str = strdup(args[2]))) {
		free(c);
		return cfg_err(ctx, "out of memory");
	}
	list_add_tail(&G->stats_socks, &c->link);   /* freed with the global section even on error */
	if (stats_sock_addr(ctx, c, args[2]) < 0)
		return -1;
	for (int i = 3, n; i < nargs; i += n)
		if ((n = stats_sock_opt(ctx, c, args, i, nargs)) < 0)
			return -1;
	return 0;
}

/* Known HAProxy global keywords tandem rejects, with the reason. */
static int gkw_unsupported(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *kw = args[0];

	(void)nargs;
	if (strncmp(kw, "ssl-", 4) == 0 || strncmp(kw, "tune.ssl.", 9) == 0 || strcmp(kw, "key-base") == 0 ||
	    strcmp(kw, "issuers-chain-path") == 0)
		return cfg_err(ctx, "'%s' is not supported by tandem (its TLS keywords are listed in doc/tls.md).", kw);
	if (strncmp(kw, "lua-", 4) == 0 || strncmp(kw, "tune.lua.", 9) == 0)
		return cfg_err(ctx, "'%s' is not supported: tandem has no Lua.", kw);
	if (strcmp(kw, "nbproc") == 0)
		return cfg_err(ctx, "'nbproc' is not supported (HAProxy removed it too): use 'nbthread'.");
	return cfg_err(ctx, "'%s' is not supported by tandem.", kw);
}

const struct cfg_kw cfg_global_kws[] = {
	{ "nbthread",        0, gkw_nbthread },
	{ "maxconn",         0, gkw_maxconn },
	{ "ulimit-n",        0, gkw_ulimit },
	{ "log",             0, gkw_log },
	{ "daemon",          0, gkw_flag },
	{ "master-worker",   0, gkw_flag },
	{ "pidfile",         0, gkw_string },
	{ "chroot",          0, gkw_string },
	{ "node",            0, gkw_string },
	{ "localpeer",       0, cfg_kw_localpeer },  /* kw_stick.c */
	{ "description",     0, gkw_description },
	{ "user",            0, gkw_user },
	{ "group",           0, gkw_user },
	{ "uid",             0, gkw_uid },
	{ "gid",             0, gkw_uid },
	{ "hard-stop-after", 0, gkw_time },
	{ "grace",           0, gkw_time },
	{ "tune.bufsize",    0, gkw_tune },
	{ "tune.maxrewrite", 0, gkw_tune },
	{ "tune.http.maxhdr", 0, gkw_tune },
	{ "tune.http.max-body-size", 0, gkw_tune },
	{ "tune.idle-pool.shared-per-server", 0, gkw_tune },
	{ "tune.idle-pool.shared", 0, gkw_idle_pool_shared },
	{ "tune.maxaccept",  0, gkw_tune_more },
	{ "tune.maxpollevents", 0, gkw_tune_more },
	{ "tune.pipesize",   0, gkw_tune_more },
	{ "tune.rcvbuf.client", 0, gkw_tune_more },
	{ "tune.rcvbuf.server", 0, gkw_tune_more },
	{ "tune.sndbuf.client", 0, gkw_tune_more },
	{ "tune.sndbuf.server", 0, gkw_tune_more },
	{ "strict-limits",   KW_NO_OK, gkw_strict_limits },
	{ "cpu-map",         0, gkw_cpu_map },
	{ "stats",           0, gkw_stats },
	/* TLS (kw_ssl.c); the other ssl-* and tune.ssl.* words are refused */
	{ "crt-base",        0, cfg_gkw_ssl },
	{ "ca-base",         0, cfg_gkw_ssl },
	{ "ssl-default-bind-ciphers",        0, cfg_gkw_ssl },
	{ "ssl-default-bind-ciphersuites",   0, cfg_gkw_ssl },
	{ "ssl-default-bind-curves",         0, cfg_gkw_ssl },
	{ "ssl-default-bind-options",        0, cfg_gkw_ssl },
	{ "ssl-default-server-ciphers",      0, cfg_gkw_ssl },
	{ "ssl-default-server-ciphersuites", 0, cfg_gkw_ssl },
	{ "ssl-default-server-curves",       0, cfg_gkw_ssl },
	{ "ssl-default-server-options",      0, cfg_gkw_ssl },
	{ "ssl-dh-param-file",               0, cfg_gkw_ssl },
	{ "ssl-server-verify",               0, cfg_gkw_ssl },
	{ "ssl-load-extra-files",            0, cfg_gkw_ssl },
	{ "tune.ssl.default-dh-param",       0, cfg_gkw_ssl },
	{ "tune.ssl.cachesize",              0, cfg_gkw_ssl },
	{ "tune.ssl.lifetime",               0, cfg_gkw_ssl },
	{ "tune.ssl.maxrecord",              0, cfg_gkw_ssl },
	{ "keepalived-config", 0, cfg_vrrp_global },   /* kw_vrrp.c */
	{ "vrrp-script-user", 0, cfg_vrrp_global },
	{ "vrrp-script-security", 0, cfg_vrrp_global },
	{ "vrrp-router-id",  0, cfg_vrrp_global },
	{ "ssl-*",           0, gkw_unsupported },
	{ "tune.ssl.*",      0, gkw_unsupported },
	{ "key-base",        0, gkw_unsupported },
	{ "issuers-chain-path", 0, gkw_unsupported },
	{ "lua-*",           0, gkw_unsupported },
	{ "tune.lua.*",      0, gkw_unsupported },
	{ "nbproc",          0, gkw_unsupported },
	{ "spread-checks",   0, cfg_kw_spread_checks },   /* kw_check.c */
	{ "maxconnrate",     0, gkw_unsupported },
	{ "maxsessrate",     0, gkw_unsupported },
	{ "maxsslconn",      0, gkw_unsupported },
	{ "maxsslrate",      0, gkw_unsupported },
	{ "maxpipes",        0, gkw_unsupported },
	{ "maxcomprate",     0, gkw_unsupported },
	{ "maxzlibmem",      0, gkw_unsupported },
	{ "expose-fd",       0, gkw_unsupported },
	{ "external-check",  0, gkw_unsupported },
	{ "server-state-file", 0, gkw_unsupported },
	{ "server-state-base", 0, gkw_unsupported },
	{ "tune.*",          0, gkw_tune_refused },      /* last: the tune.* tandem has no use for */
	{ NULL, 0, NULL }
};

/* ------------------------------------------------------------------ */
/* automatic values                                                    */

static int cpus_online(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

int cfg_global_finish(struct cfg_ctx *ctx)
{
	struct global *g = G;
	struct list *l, *b;
	int nbind = 0, nsrv = 0, margin;

	if (!g->nbthread) {
		g->nbthread = cpus_online();
		if (g->nbthread > NBTHREAD_AUTO_MAX)
			g->nbthread = NBTHREAD_AUTO_MAX;
	}

	if (g->idle_pool_shared == 1 && g->nbthread > 1)
		return cfg_err_at(ctx, g->idle_pool_line, "'tune.idle-pool.shared on': tandem keeps idle server connections per "
				  "thread, which is what 'off' means; with nbthread %d, write 'off'.", g->nbthread);

	if (g->tune_maxrewrite == MAXREWRITE_UNSET) {
		g->tune_maxrewrite = MIN(1024u, g->tune_bufsize / 2);
	} else if (g->tune_maxrewrite > g->tune_bufsize / 2) {
		cfg_warn(ctx, "tune.maxrewrite (%u) must not exceed half of tune.bufsize (%u); using %u.",
			 g->tune_maxrewrite, g->tune_bufsize, g->tune_bufsize / 2);
		g->tune_maxrewrite = g->tune_bufsize / 2;
	}

	if (!g->node) {
		char host[256] = "";

		gethostname(host, sizeof(host) - 1);
		if (!(g->node = strdup(host)))
			return cfg_err(ctx, "out of memory");
	}

	/* maxconn: like HAProxy, two fds per connection (client and server)
	 * out of what RLIMIT_NOFILE allows (the master raises the soft limit
	 * to the hard one, so the hard limit counts), minus a margin for
	 * listeners, per-thread pollers and wake-up fds, one check socket per
	 * server and a few files (logs, pidfile, admin socket). */
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		list_for_each(b, &px->binds)
			nbind++;
		nsrv += px->nsrv;
	}
	margin = nbind + 4 * g->nbthread + nsrv + 32;
	if (!g->maxconn) {
		long long nofile = g->rlimit_nofile;

		if (!nofile) {
			struct rlimit rl;

			nofile = 1024;
			if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
				rlim_t m = rl.rlim_cur > rl.rlim_max ? rl.rlim_cur : rl.rlim_max;

				nofile = (m == RLIM_INFINITY || m > NOFILE_CAP) ? NOFILE_CAP : (long long)m;
			}
		}
		g->maxconn = (int)((nofile - margin) / 2);
		if (g->maxconn < MAXCONN_MIN_AUTO)
			g->maxconn = MAXCONN_MIN_AUTO;
	}
	if (!g->rlimit_nofile)
		g->rlimit_nofile = g->maxconn * 2 + margin;
	return 0;
}
