/* Command line parsing of tandem-chaos (see cli.h and usage() below). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"
#include "playbook.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: tandem-chaos --lab N [options]           start N tandem-app nodes and a tandem, then load and break them\n"
"       tandem-chaos --lab NNN [options]         the same on a lab of the seeds (contrib/labs/NNN: %s)\n"
"       tandem-chaos --url http://HOST:PORT/PATH [--node NAME=PID:URL ...] [options]\n"
"       tandem-chaos --playbook NAME [options]   scenarios, each PASS/FAIL (%s)\n"
"       tandem-chaos --demo NNN                  start a lab, print its playbook, hold it until Ctrl-C\n"
"lab:\n"
"  --tandem PATH          tandem binary (default: next to tandem-chaos)\n"
"  --app PATH             tandem-app binary (default: next to tandem-chaos)\n"
"  --weights 3,1          server weights, in node order\n"
"  --config-extra FILE    appended to the generated config (after backend 'app')\n"
"  --no-checks            no health-check lines (for a tandem without them)\n"
"  --inter MS --fastinter MS --fall N --rise N   check settings (500ms, 100ms, 2, 2)\n"
"  --retries N            (3)   --retry-on LIST   ('conn-failure empty-response'; 'none')\n"
"  --drain-ms MS          tandem-app's graceful stop period (2000)\n"
"  --keep                 keep the lab's directory (config, logs)\n"
"  --workdir DIR          where the labs' directories go (default $TMPDIR or /tmp)\n"
"  --labs-dir DIR         where contrib/labs/NNN are (default: found from this program's place)\n"
"  --redis-server PATH    the Redis of the labs that have one (default redis-server in PATH)\n"
"  --dnsmasq PATH         the DNS server of the labs that have one (default /usr/sbin/dnsmasq)\n"
"target:\n"
"  --node NAME=PID:URL    a node's PID (for kill/stop/cont/term) and direct URL\n"
"                         (for zombie/error500/slow/off), e.g. A=1234:http://127.0.0.1:9001\n"
"  --stats-url URL        tandem's stats CSV, e.g. http://127.0.0.1:8404/stats;csv\n"
"  --backend NAME         backend whose servers are the nodes (default app)\n"
"  --admin-socket PATH    tandem's runtime API (for drain, ready, maint)\n"
"load:\n"
"  --conns C, -c C (10)  --new-conn  --rate R  --path /read  --post-ratio F (0)\n"
"  --duration D (10s)  --req-timeout D (10s)  --slow D (1s)\n"
"  -n COUNT               send COUNT requests in all, then stop (ab's -n; bounded by --duration, 300s)\n"
"  --stage DUR:CONNS,...  ramp the connections like k6's stages, e.g. 5s:20,10s:20,5s:0\n"
"                         (from --conns, or 1; the run lasts the sum of the stages)\n"
"faults:\n"
"  --fault TIME:ACTION[:MS]:NODES   e.g. 2s:kill:A, 3s:slow:200:B, 1s:kill:A,B, 2s:drain:A\n"
"                         actions: kill stop cont term restart zombie error500 slow off\n"
"                         drain ready maint (runtime API), add (a lab's dynamic node),\n"
"                         move (a node back on a new address, told to the lab's DNS: lab 003);\n"
"                         kill stop cont term restart also on a lab's Redis or DNS (redis-A, dns)\n"
"  --plan FILE            one fault per line ('#' comments)\n"
"output:\n"
"  --json FILE|-  --chart FILE.html  -v (show the per-second table in playbook mode)\n"
"See doc/chaos.md and doc/labs.md.\n", labdef_ids(), playbook_names());
}

/* Directory of this executable + "/" + name, for the default binaries. */
static const char *sibling(const char *name)
{
	static char buf[2][PATH_MAX];
	static int which;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return name;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return name;
	*slash = 0;
	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%.*s/%s", PATH_MAX - 32, self, name);
	return buf[which];
}

static int parse_weights(struct cli *c, const char *s)
{
	char buf[256], *tok, *save;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",:", &save); tok; tok = strtok_r(NULL, ",:", &save)) {
		char *end;
		long w = strtol(tok, &end, 10);
		if (*end || w < 0 || w > 256 || i == MAX_NODES)
			return -1;
		c->lab.weights[i++] = (int)w;
	}
	return i ? 0 : -1;
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, "tandem-chaos: bad value for %s: '%s'\n", opt, val);
	return 2;
}

static int get_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

enum {
	O_LAB = 256, O_URL, O_PLAYBOOK, O_TANDEM, O_APP, O_WEIGHTS, O_EXTRA, O_NOCHECKS, O_INTER,
	O_FASTINTER, O_FALL, O_RISE, O_RETRIES, O_RETRYON, O_DRAIN, O_KEEP, O_NODE, O_STATS,
	O_BACKEND, O_CONNS, O_NEWCONN, O_RATE, O_PATH, O_POST, O_DURATION, O_REQTO, O_SLOW,
	O_FAULT, O_PLAN, O_JSON, O_CHART, O_WORKDIR, O_STAGE, O_ADMIN, O_LABSDIR, O_REDIS, O_DNSMASQ, O_DEMO,
};

static const struct option longopts[] = {
	{ "lab", 1, 0, O_LAB }, { "url", 1, 0, O_URL }, { "playbook", 1, 0, O_PLAYBOOK },
	{ "tandem", 1, 0, O_TANDEM }, { "app", 1, 0, O_APP }, { "weights", 1, 0, O_WEIGHTS },
	{ "config-extra", 1, 0, O_EXTRA }, { "no-checks", 0, 0, O_NOCHECKS },
	{ "inter", 1, 0, O_INTER }, { "fastinter", 1, 0, O_FASTINTER }, { "fall", 1, 0, O_FALL },
	{ "rise", 1, 0, O_RISE }, { "retries", 1, 0, O_RETRIES }, { "retry-on", 1, 0, O_RETRYON },
	{ "drain-ms", 1, 0, O_DRAIN }, { "keep", 0, 0, O_KEEP }, { "node", 1, 0, O_NODE },
	{ "stats-url", 1, 0, O_STATS }, { "backend", 1, 0, O_BACKEND }, { "conns", 1, 0, O_CONNS },
	{ "new-conn", 0, 0, O_NEWCONN }, { "rate", 1, 0, O_RATE }, { "path", 1, 0, O_PATH },
	{ "post-ratio", 1, 0, O_POST }, { "duration", 1, 0, O_DURATION },
	{ "req-timeout", 1, 0, O_REQTO }, { "slow", 1, 0, O_SLOW }, { "fault", 1, 0, O_FAULT },
	{ "plan", 1, 0, O_PLAN }, { "json", 1, 0, O_JSON }, { "chart", 1, 0, O_CHART },
	{ "workdir", 1, 0, O_WORKDIR }, { "stage", 1, 0, O_STAGE }, { "admin-socket", 1, 0, O_ADMIN },
	{ "labs-dir", 1, 0, O_LABSDIR }, { "redis-server", 1, 0, O_REDIS }, { "demo", 1, 0, O_DEMO },
	{ "dnsmasq", 1, 0, O_DNSMASQ },
	{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
};

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* contrib/labs of the source tree this program was built in: bin/ and
 * build-san/bin/ are one and two levels below the root. */
static const char *find_labs_dir(void)
{
	static char found[PATH_MAX];
	char cand[PATH_MAX + 32], exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int up;

	if (n > 0) {
		exe[n] = 0;
		if ((slash = strrchr(exe, '/')))
			*slash = 0;
		for (up = 1; slash && up <= 2; up++) {
			snprintf(cand, sizeof(cand), "%s/%s/contrib/labs", exe, up == 1 ? ".." : "../..");
			if (is_dir(cand) && realpath(cand, found))
				return found;
		}
	}
	if (is_dir("contrib/labs") && realpath("contrib/labs", found))
		return found;
	return "contrib/labs";
}

static void defaults(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	lab_opts_default(&c->lab);
	c->lab.tandem_bin = sibling("tandem");
	c->lab.app_bin = sibling("tandem-app");
	c->lab.labs_dir = find_labs_dir();
	c->run.load.conns = 10;
	c->run.load.req_timeout_ms = 10000;
	c->run.load.error_pause_ms = 10;
	c->run.duration_ms = 10000;
	c->run.slow_ms = 1000;
	snprintf(c->run.backend, sizeof(c->run.backend), "app");
}

static int one_opt(struct cli *c, int o, const char *a)
{
	unsigned u;
	uint64_t ms;
	char *end;

	switch (o) {
	case O_LAB:
		/* three digits: a lab of the seeds; else a number of nodes */
		if (strlen(a) == 3 && strspn(a, "0123456789") == 3) {
			if (!(c->lab_def = labdef_find(a))) {
				fprintf(stderr, "tandem-chaos: no lab %s (there are: %s)\n", a, labdef_ids());
				return 2;
			}
			break;
		}
		if (get_uint(a, MAX_NODES, &u) < 0 || !u)
			return bad("--lab", a);
		c->lab_nodes = (int)u;
		break;
	case O_DEMO:
		if (!labdef_find(a)) {
			fprintf(stderr, "tandem-chaos: no lab %s (there are: %s)\n", a, labdef_ids());
			return 2;
		}
		c->demo = a;
		break;
	case O_STAGE:
		if (stages_parse(&c->run.load, a) < 0)
			return bad("--stage (want DUR:CONNS,..., e.g. 5s:20,10s:20,5s:0)", a);
		break;
	case 'n': {
		char *end;
		unsigned long long v = strtoull(a, &end, 10);
		if (*end || end == a || !v)
			return bad("-n", a);
		c->run.load.count = v;
		break;
	}
	case O_ADMIN: c->admin_sock = a; break;
	case O_LABSDIR: {
		static char abs[PATH_MAX];
		if (!is_dir(a) || !realpath(a, abs))
			return bad("--labs-dir (not a directory)", a);
		c->lab.labs_dir = abs;
		break;
	}
	case O_REDIS: c->lab.redis_bin = a; break;
	case O_DNSMASQ: c->lab.dnsmasq_bin = a; break;
	case O_URL: c->url = a; break;
	case O_PLAYBOOK: c->playbook = a; break;
	case O_TANDEM: c->lab.tandem_bin = a; break;
	case O_APP: c->lab.app_bin = a; break;
	case O_WEIGHTS:
		if (parse_weights(c, a) < 0)
			return bad("--weights", a);
		break;
	case O_EXTRA:
		if (access(a, R_OK) < 0)
			return bad("--config-extra (cannot read it)", a);
		c->lab.config_extra = a;
		break;
	case O_NOCHECKS: c->lab.checks = 0; break;
	case O_INTER: case O_FASTINTER:
		/* a plain number is milliseconds here, as in HAProxy */
		if (*a && strspn(a, "0123456789") == strlen(a))
			ms = strtoull(a, NULL, 10);
		else if (parse_ms(a, &ms) < 0)
			return bad("--inter/--fastinter", a);
		if (!ms || ms > 3600000)
			return bad("--inter/--fastinter", a);
		*(o == O_INTER ? &c->lab.inter_ms : &c->lab.fastinter_ms) = (unsigned)ms;
		break;
	case O_FALL: case O_RISE:
		if (get_uint(a, 100, &u) < 0 || !u)
			return bad("--fall/--rise", a);
		*(o == O_FALL ? &c->lab.fall : &c->lab.rise) = u;
		break;
	case O_RETRIES:
		if (get_uint(a, 100, &c->lab.retries) < 0)
			return bad("--retries", a);
		break;
	case O_RETRYON: snprintf(c->lab.retry_on, sizeof(c->lab.retry_on), "%s", a); break;
	case O_DRAIN:
		if (get_uint(a, 3600000, &c->lab.drain_ms) < 0)
			return bad("--drain-ms", a);
		break;
	case O_KEEP: c->lab.keep = 1; break;
	case O_WORKDIR:
		if (access(a, W_OK) < 0)
			return bad("--workdir (not a writable directory)", a);
		c->lab.workdir = a;
		break;
	case O_NODE:
		if (c->nnodes == MAX_NODES)
			return bad("--node (too many)", a);
		c->nodes[c->nnodes++] = a;
		break;
	case O_STATS: c->stats_url = a; break;
	case O_BACKEND: snprintf(c->run.backend, sizeof(c->run.backend), "%s", a); break;
	case O_CONNS:
	case 'c':
		if (get_uint(a, MAX_CONNS, &u) < 0 || !u)
			return bad("--conns", a);
		c->run.load.conns = (int)u;
		c->conns_set = 1;
		break;
	case O_NEWCONN: c->run.load.new_conn = 1; break;
	case O_RATE:
		c->run.load.rate = strtod(a, &end);
		if (*end || c->run.load.rate < 0)
			return bad("--rate", a);
		break;
	case O_PATH:
		if (a[0] != '/' || strlen(a) >= sizeof(c->run.load.dst.path))
			return bad("--path", a);
		c->path = a;
		break;
	case O_POST:
		c->run.load.post_ratio = strtod(a, &end);
		if (*end || c->run.load.post_ratio < 0 || c->run.load.post_ratio > 1)
			return bad("--post-ratio", a);
		break;
	case O_DURATION:
		if (parse_ms(a, &c->run.duration_ms) < 0 || !c->run.duration_ms)
			return bad("--duration", a);
		c->duration_set = 1;
		break;
	case O_REQTO:
		if (parse_ms(a, &c->run.load.req_timeout_ms) < 0 || !c->run.load.req_timeout_ms)
			return bad("--req-timeout", a);
		break;
	case O_SLOW:
		if (parse_ms(a, &c->run.slow_ms) < 0)
			return bad("--slow", a);
		break;
	case O_FAULT:
		if (c->nfaults == MAX_FAULTS)
			return bad("--fault (too many)", a);
		c->faults[c->nfaults++] = a;
		break;
	case O_PLAN: c->plan_file = a; break;
	case O_JSON: c->json = a; break;
	case O_CHART: c->chart = a; break;
	case 'v': c->verbose = 1; break;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return 2;
	}
	return 0;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	int o, r, modes;

	defaults(c);
	while ((o = getopt_long(argc, argv, "hvn:c:", longopts, NULL)) != -1)
		if ((r = one_opt(c, o, optarg)))
			return r;
	if (optind < argc) {
		fprintf(stderr, "tandem-chaos: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	modes = !!c->lab_nodes + !!c->lab_def + !!c->url + !!c->playbook + !!c->demo;
	if (modes != 1) {
		fprintf(stderr, "tandem-chaos: give exactly one of --lab N|NNN, --url URL, --playbook NAME, "
			"--demo NNN\n");
		usage(stderr);
		return 2;
	}
	if (c->playbook && !playbook_find(c->playbook)) {
		fprintf(stderr, "tandem-chaos: unknown playbook '%s' (there are: %s)\n", c->playbook,
			playbook_names());
		return 2;
	}
	if (c->run.load.nstages) {
		if (c->duration_set || c->run.load.count) {
			fprintf(stderr, "tandem-chaos: --stage sets the run's length: no --duration or -n with it\n");
			return 2;
		}
		if (!c->conns_set)
			c->run.load.conns = 1;   /* k6's ramping starts from one VU */
		c->run.duration_ms = stages_ms(&c->run.load);
	} else if (c->run.load.count && !c->duration_set) {
		c->run.duration_ms = 300000;   /* a bound: the run ends when the count is done */
	}
	if (c->run.load.count && c->run.load.count < (uint64_t)c->run.load.conns)
		c->run.load.conns = (int)c->run.load.count;   /* ab: -c at most -n */
	if (c->admin_sock && !c->url) {
		fprintf(stderr, "tandem-chaos: --admin-socket is for --url (a lab has its own)\n");
		return 2;
	}
	if (c->url && parse_url(c->url, &c->run.load.dst) < 0) {
		fprintf(stderr, "tandem-chaos: bad --url '%s' (want http://IP:PORT/PATH)\n", c->url);
		return 2;
	}
	if (c->stats_url && parse_url(c->stats_url, &c->run.stats) < 0) {
		fprintf(stderr, "tandem-chaos: bad --stats-url '%s'\n", c->stats_url);
		return 2;
	}
	c->run.has_stats = c->stats_url != NULL;
	if (c->lab_nodes)
		c->lab.nodes = c->lab_nodes;
	if (c->path)
		snprintf(c->run.load.dst.path, sizeof(c->run.load.dst.path), "%s", c->path);
	return 0;
}
