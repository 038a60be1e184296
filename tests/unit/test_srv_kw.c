/* The server keyword table (src/cfg/kw_server.c), driven from the table
 * itself so that a keyword added later is covered without touching this
 * file:
 *  - every member of struct server is described in srv_members[] (copy
 *    and free follow that description);
 *  - copying a default-server template gives a server the same settings
 *    as writing the keyword on its own line;
 *  - every keyword the configuration accepts, `add server` accepts with
 *    the same meaning (the same settings), or refuses with HAProxy's
 *    "not accepted for dynamic server" when its row says so; for a set of
 *    good and bad arguments, both accept or both refuse with the same
 *    words;
 *  - a dynamic server with a long name and a 1 KiB argument list is
 *    re-created identically by three reload handovers.
 * Host names: getaddrinfo is replaced (cfg_test.h: only "localhost"
 * resolves), so nothing leaves the machine. */
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/cfg.h>
#include <tandem/check.h>
#include <tandem/cli.h>
#include <tandem/handover.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/shm.h>
#include <tandem/srv_kw.h>
#include <tandem/stats.h>
#include <tandem/worker.h>
#include "unit.h"
#define CFG_TEST_STUB_GETADDRINFO
#define CFG_TEST_NO_LOADER   /* its load() below strips FILE:LINE and sets weights */
#include "cfg_test.h"

/* ---- helpers ------------------------------------------------------------ */

/* CHECKF with room for long messages (they quote whole error lines). */
static void checkv(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void checkv(int ok, const char *fmt, ...)
{
	char *name = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) < 0)
		name = NULL;
	va_end(ap);
	CHECK(name ? name : fmt, ok);
	free(name);
}
#undef CHECKF
#define CHECKF(cond, ...) checkv(!!(cond), __VA_ARGS__)

#define BASE "resolvers dns\n  nameserver ns1 127.0.0.1:53\n" \
	     "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n" \
	     "backend app\n  balance roundrobin\n  server a 127.0.0.1:18081 id 1000\n"
#define ADDR "127.0.0.1:18090"

/* Load <text>; NULL with the message (without "FILE:LINE: ") in <msg>. */
static struct cfg *load(const char *text, char *msg, size_t msglen)
{
	char path[] = "/tmp/tandem-test-srvkw-XXXXXX", err[2048] = "";
	int fd = mkstemp(path);
	struct cfg *c;

	*msg = 0;
	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	c = cfg_load(path, err, sizeof(err));
	unlink(path);
	if (c) {   /* what the worker does at start */
		struct list *pl, *sl;

		list_for_each(pl, &c->proxies)
			list_for_each(sl, &list_entry(pl, struct proxy, link)->servers)
				list_entry(sl, struct server, link)->cfg_weight =
					list_entry(sl, struct server, link)->uweight;
	} else {
		const char *p = strncmp(err, path, strlen(path)) ? err : err + strlen(path);

		/* ":LINE: message" */
		if (*p == ':' && (p = strstr(p + 1, ": ")))
			p += 2;
		else
			p = err;
		snprintf(msg, msglen, "%s", p);
	}
	return c;
}

static struct stats_sb out;

/* Run one admin command on <c>; the answer without its closing empty line. */
static const char *run(struct cfg *c, const char *line)
{
	static char ans[4096];
	struct cli_sess sess = { .cfg = c, .level = CLI_LVL_ADMIN, .out = &out, .timeout_ms = 10000 };
	char *buf = strdup(line);
	size_t n;

	free(out.s);
	memset(&out, 0, sizeof(out));
	if (!buf)
		return "";
	cli_exec_line(&sess, buf);
	free(buf);
	stats_sb_add(&out, "", 0);
	snprintf(ans, sizeof(ans), "%s", out.s ? out.s : "");
	n = strlen(ans);
	while (n && ans[n - 1] == '\n')
		ans[--n] = 0;
	return ans;
}

static struct server *srv(struct cfg *c, const char *name)
{
	struct proxy *px = c ? cfg_find_proxy(c, "app", PR_CAP_BE) : NULL;

	return px ? proxy_find_server(px, name) : NULL;
}

static int member_eq(const struct srv_member *m, const struct server *a, const struct server *b)
{
	const void *x = (const char *)a + m->off, *y = (const char *)b + m->off;

	if (m->copy == SM_STR) {
		const char *s = *(char *const *)x, *t = *(char *const *)y;

		return s == t || (s && t && !strcmp(s, t));
	}
	return !memcmp(x, y, m->size);
}

static int is_setting(const struct srv_member *m)
{
	return m->copy == SM_VALUE || m->copy == SM_STR;
}

/* The settings in which <x> and <y> differ, or NULL. */
static const char *settings_diff(const struct server *x, const struct server *y)
{
	for (size_t i = 0; i < srv_nmembers; i++)
		if (is_setting(&srv_members[i]) && !member_eq(&srv_members[i], x, y))
			return srv_members[i].name;
	return NULL;
}

/* A keyword's meaning: the settings it changed on either path (relative to
 * that path's server without it) must end equal. NULL, or the first that
 * does not. */
static const char *effect_diff(const struct server *cbase, const struct server *c,
			       const struct server *dbase, const struct server *d)
{
	for (size_t i = 0; i < srv_nmembers; i++) {
		const struct srv_member *m = &srv_members[i];

		if (!is_setting(m))
			continue;
		if ((!member_eq(m, cbase, c) || !member_eq(m, dbase, d)) && !member_eq(m, c, d))
			return m->name;
	}
	return NULL;
}

/* ---- every byte of struct server is described --------------------------- */

static int by_off(const void *a, const void *b)
{
	const struct srv_member *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static void test_members(void)
{
	struct srv_member *m = malloc(srv_nmembers * sizeof(*m));
	size_t end = 0, maxalign = 1;
	int ok = 1;

	if (!m)
		return;
	memcpy(m, srv_members, srv_nmembers * sizeof(*m));
	qsort(m, srv_nmembers, sizeof(*m), by_off);
	for (size_t i = 0; i < srv_nmembers; i++) {
		/* the next member starts where padding for its alignment ends:
		 * anything else is a member srv_members[] does not describe */
		if (m[i].off != align_up(end, m[i].align)) {
			printf("# struct server: bytes %zu..%zu before '%s' are not described in srv_members[]\n",
			       end, m[i].off, m[i].name);
			ok = 0;
		}
		if (m[i].copy == SM_CUSTOM && !m[i].dup)
			ok = 0;
		end = m[i].off + m[i].size;
		if (m[i].align > maxalign)
			maxalign = m[i].align;
	}
	CHECK("srv_members[] describes every member of struct server", ok &&
	      align_up(end, maxalign) == sizeof(struct server));
	free(m);
}

/* Copy and free follow the description: settings are copied (owned
 * strings duplicated), the rest is left; under the sanitizers, releasing
 * both servers shows that nothing is shared or leaked. */
static void test_copy(void)
{
	struct server *tmpl = calloc(1, sizeof(*tmpl)), *s = calloc(1, sizeof(*s)), keep;
	int ok = 1;

	if (!tmpl || !s)
		return;
	srv_settings_init(tmpl);
	srv_settings_init(s);
	tmpl->id = strdup("template");
	s->id = strdup("mine");
	for (size_t i = 0; i < srv_nmembers; i++) {
		const struct srv_member *m = &srv_members[i];

		if (m->copy == SM_VALUE)
			memset((char *)tmpl + m->off, 0x5a, m->size);
		else if (m->copy == SM_STR)
			*(char **)((char *)tmpl + m->off) = strdup(m->name);
	}
	keep = *s;
	CHECK("copy: succeeds", srv_settings_copy(s, tmpl) == 0);
	for (size_t i = 0; i < srv_nmembers; i++) {
		const struct srv_member *m = &srv_members[i];
		const void *got = (char *)s + m->off;

		if (m->copy == SM_VALUE && memcmp(got, (char *)tmpl + m->off, m->size)) {
			printf("# copy: setting '%s' not copied\n", m->name);
			ok = 0;
		} else if (m->copy == SM_STR && (*(char *const *)got == *(char **)((char *)tmpl + m->off) ||
						 strcmp(*(char *const *)got, m->name))) {
			printf("# copy: string '%s' not duplicated\n", m->name);
			ok = 0;
		} else if (m->copy == SM_KEEP && memcmp(got, (char *)&keep + m->off, m->size)) {
			printf("# copy: '%s' (the server's own) was overwritten\n", m->name);
			ok = 0;
		}
	}
	CHECK("copy: settings copied, strings duplicated, identity kept", ok && !strcmp(s->id, "mine"));
	srv_free(tmpl);
	srv_free(s);
}

/* ---- the keyword table --------------------------------------------------- */

static void test_table(void)
{
	int ok = 1;

	for (const struct srv_kw *k = srv_kws; k->name; k++) {
		if (k->parse && k->nval == 1 && !k->example) {
			printf("# keyword '%s' takes an argument: its row needs an example\n", k->name);
			ok = 0;
		}
		if (!k->parse && (!k->refused || k->nval)) {
			printf("# keyword '%s': a refused row says why and takes no argument\n", k->name);
			ok = 0;
		}
		if (srv_kw_find(k->name) != k) {
			printf("# keyword '%s' twice in the table\n", k->name);
			ok = 0;
		}
	}
	CHECK("table: rows well formed", ok);
}

/* Words a keyword cannot go without (HAProxy refuses `agent-check` without
 * an agent port), written before it on every line that tries it. */
static const char *companion(const char *kw)
{
	return !strcmp(kw, "agent-check") ? "agent-port 5555 " : "";
}

/* Good and bad arguments tried with every keyword that takes one (the
 * row's example is tried too). */
static const char *const candidates[] = {
	"x", "-1", "0", "1", "1x", "007", "2147483647", "2147483648", "99999999999999999999",
	"65535", "65536", "1.2.3.4", "1.2.3.4.5", "::1", "[::1]", "1.2.3.4:80", "localhost",
	"none", "layer4", "layer7", "layer9", "up", "fully-down", "fastinter", "mark-down",
	"100ms", "10us", "1us", "25d", "5S", "%", NULL
};

/* The server line "server n ADDR <words>" and `add server app/n ADDR
 * <words>`: NULL when they agree, else what differs (in <why>). */
static const char *compare(const char *words, const struct server *cbase, const struct server *dbase,
			   char *why, size_t whylen)
{
	char *text = NULL, *cmd = NULL, cmsg[2048], dmsg[4096], tmp[8];
	struct cfg *cc, *dc;
	const char *ans, *diff;

	*why = 0;
	if (asprintf(&text, BASE "  server n " ADDR " %s\n", words) < 0 ||
	    asprintf(&cmd, "add server app/n " ADDR " %s", words) < 0) {
		free(text);
		return "out of memory";
	}
	cc = load(text, cmsg, sizeof(cmsg));
	dc = load(BASE, tmp, sizeof(tmp));
	ans = run(dc, cmd);
	snprintf(dmsg, sizeof(dmsg), "%s", ans);
	if (strstr(dmsg, "host names are resolved only when the configuration is loaded")) {
		/* the one difference by design: no DNS at run time (the
		 * configuration resolves "localhost", refuses other names) */
	} else if (cc && !strcmp(dmsg, "New server registered.")) {
		if ((diff = effect_diff(cbase, srv(cc, "n"), dbase, srv(dc, "n"))))
			snprintf(why, whylen, "different meaning: setting '%s'", diff);
	} else if (!cc && strcmp(dmsg, "New server registered.")) {
		/* the same words; messages about the words themselves name
		 * the line in the configuration only */
		if (strcmp(cmsg, dmsg) && (strncmp(cmsg, "'server n': ", 12) || strcmp(cmsg + 12, dmsg)))
			snprintf(why, whylen, "config '%s' / add server '%s'", cmsg, dmsg);
	} else {
		snprintf(why, whylen, "config %s%s / add server '%s'", cc ? "accepts" : "refuses: ",
			 cc ? "" : cmsg, dmsg);
	}
	cfg_free(cc);
	cfg_free(dc);
	free(text);
	free(cmd);
	return *why ? why : NULL;
}

static void test_config_and_add_server(void)
{
	char tmp[2048], why[8192], text[2048];
	struct cfg *cb = load(BASE "  server n " ADDR "\n", tmp, sizeof(tmp)), *db = load(BASE, tmp, sizeof(tmp));
	const struct server *cbase, *dbase;

	CHECK("baseline: add server without keywords", db && !strcmp(run(db, "add server app/n " ADDR), "New server registered."));
	cbase = srv(cb, "n");
	dbase = srv(db, "n");
	if (!cbase || !dbase)
		return;
	for (const struct srv_kw *k = srv_kws; k->name; k++) {
		char words[512];
		struct cfg *c;
		const char *r;

		snprintf(words, sizeof(words), "%s%s%s%s", companion(k->name), k->name, k->nval ? " " : "",
			 k->nval && k->example ? k->example : "");
		if (!k->parse) {
			CHECKF(!compare(words, cbase, dbase, why, sizeof(why)), "'%s' refused alike by the config and add server %s",
			       k->name, why);
			continue;
		}
		if (!(k->flags & SRV_KW_DYN)) {
			snprintf(text, sizeof(text), BASE "  server n " ADDR " %s%s%s\n", words, k->needs ? " " : "",
				 k->needs ? k->needs : "");
			c = load(text, tmp, sizeof(tmp));
			CHECKF(c != NULL, "'%s' accepted by the config (%s)", words, tmp);
			cfg_free(c);
			c = load(BASE, tmp, sizeof(tmp));
			snprintf(tmp, sizeof(tmp), "'%s' option is not accepted for dynamic server", k->name);
			snprintf(why, sizeof(why), "add server app/n " ADDR " %s", words);
			CHECKF(!strcmp(run(c, why), tmp), "'%s' refused by add server in HAProxy's words", k->name);
			cfg_free(c);
			continue;
		}
		r = compare(words, cbase, dbase, why, sizeof(why));
		CHECKF(!r, "'%s': the config and add server agree %s", words, why);
		/* the example is valid: both accept it */
		snprintf(text, sizeof(text), BASE "  server n " ADDR " %s\n", words);
		c = load(text, tmp, sizeof(tmp));
		CHECKF(c != NULL, "'%s': example accepted (%s)", words, tmp);
		cfg_free(c);
		if (!k->nval)
			continue;
		/* missing argument, then each candidate */
		r = compare(k->name, cbase, dbase, why, sizeof(why));
		CHECKF(!r, "'%s' without argument: same refusal %s", k->name, why);
		for (int i = 0; candidates[i]; i++) {
			snprintf(words, sizeof(words), "%s %s", k->name, *candidates[i] ? candidates[i] : "\"\"");
			r = compare(words, cbase, dbase, why, sizeof(why));
			CHECKF(!r, "'%s': the config and add server agree %s", words, why);
		}
	}
	cfg_free(cb);
	cfg_free(db);
}

/* default-server: every keyword allowed there gives a server the same
 * settings as on the server's own line (the template copy forgets none). */
static void test_default_server(void)
{
	char tmp[2048], text[2048];

	for (const struct srv_kw *k = srv_kws; k->name; k++) {
		struct cfg *a, *b;
		const char *d = "(not loaded)";

		if (!k->parse || (k->flags & SRV_KW_NODEF))
			continue;
		snprintf(text, sizeof(text), BASE "  default-server %s%s %s %s\n  server n " ADDR "\n", companion(k->name),
			 k->name, k->nval ? k->example : "", k->needs ? k->needs : "");
		a = load(text, tmp, sizeof(tmp));
		snprintf(text, sizeof(text), BASE "  server n " ADDR " %s%s %s %s\n", companion(k->name), k->name,
			 k->nval ? k->example : "", k->needs ? k->needs : "");
		b = load(text, tmp, sizeof(tmp));
		if (srv(a, "n") && srv(b, "n"))
			d = settings_diff(srv(a, "n"), srv(b, "n"));
		CHECKF(!d, "default-server %s: inherited like written on the server (%s)", k->name, d ? d : "");
		cfg_free(a);
		cfg_free(b);
	}
}

/* ---- a dynamic server across reloads ------------------------------------ */

/* add server words: an address, then keyword pairs with long (zero-padded)
 * values up to more than 1 KiB, then settings that are easy to recognise
 * (past any short limit). At most 61 words (the runtime API's 64 with
 * "add server B/S"). */
static int long_args(char *buf, size_t len, char **argv)
{
	static const char *const kws[] = { "inter", "rise", "fall", "error-limit", "slowstart", "fastinter" };
	static const char *const tail[] = { "weight", "7", "maxconn", "13", "backup", "enabled", "port", "8081",
					    "addr", "127.0.0.2", "observe", "layer4", NULL };
	size_t at = 0;
	int n = 0;

	argv[n++] = buf;
	at += (size_t)snprintf(buf + at, len - at, "%s", ADDR) + 1;
	for (int i = 0; i < 22; i++) {
		argv[n++] = buf + at;
		at += (size_t)snprintf(buf + at, len - at, "%s", kws[i % 6]) + 1;
		argv[n++] = buf + at;
		at += (size_t)snprintf(buf + at, len - at, "%040d", 2 + i) + 1;
	}
	for (int i = 0; tail[i]; i++) {
		argv[n++] = buf + at;
		at += (size_t)snprintf(buf + at, len - at, "%s", tail[i]) + 1;
	}
	argv[n] = NULL;
	return n;
}

static void test_handover(void)
{
	char name[121], words[4096], cmd[8192], tmp[2048], *argv[64];
	int argc = long_args(words, sizeof(words), argv);
	size_t total = 0, at;
	struct cfg *c[4] = { NULL };
	struct server *first;

	memset(name, 'd', 120);
	name[120] = 0;
	for (int i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	CHECKF(total > 1024 && argc <= 61, "the argument list is over 1 KiB (%zu bytes, %d words)", total, argc);
	at = (size_t)snprintf(cmd, sizeof(cmd), "add server app/%s", name);
	for (int i = 0; i < argc; i++)
		at += (size_t)snprintf(cmd + at, sizeof(cmd) - at, " %s", argv[i]);

	CHECK("shared area", shm_create() == 0);
	tdm_shm->worker_pid = getpid();   /* this process plays the current worker */
	c[0] = load(BASE, tmp, sizeof(tmp));
	if (!c[0])
		return;
	shm_bind_counters(c[0]);
	CHECK("add server with 1 KiB of words", !strcmp(run(c[0], cmd), "New server registered."));
	first = srv(c[0], name);
	CHECK("the words are kept as they came", first && srv_argv_count(first->dyn_argv) == argc &&
	      !strcmp(first->dyn_argv[argc - 1], "layer4") && !strcmp(first->dyn_argv[2], argv[2]));
	if (!first)
		return;
	CTR_ADD(first->ctr->cum_sess, 5);
	for (int r = 1; r <= 3; r++) {
		struct server *s;
		const char *d = "(missing)";
		int same = 1;

		handover_publish(c[r - 1]);
		c[r] = load(BASE, tmp, sizeof(tmp));
		if (!c[r])
			return;
		shm_bind_counters(c[r]);
		handover_import(c[r]);
		s = srv(c[r], name);
		if (s) {
			d = settings_diff(first, s);
			same = srv_argv_count(s->dyn_argv) == argc;
			for (int i = 0; same && i < argc; i++)
				same = !strcmp(s->dyn_argv[i], argv[i]);
		}
		CHECKF(s && !d, "reload %d: the dynamic server is back with the same settings (%s)", r, d ? d : "");
		CHECKF(s && same, "reload %d: with the same words", r);
		CHECKF(s && s->ctr == first->ctr && CTR_GET(s->ctr->cum_sess) == 5,
		       "reload %d: its counters continue (keyed by its whole name)", r);
	}
	for (int r = 0; r < 4; r++)
		cfg_free(c[r]);
}

/* What the worker sets up before `add server` can attach health checks
 * to a new server: thread 0 with its loop, the health module started on a
 * configuration without checks, then stopped so that no check or timer
 * ever runs here (servers are freed with their configuration). */
static void worker_scaffold(void)
{
	char tmp[256];
	struct cfg *c = load(BASE, tmp, sizeof(tmp));

	worker.nbthread = 1;
	worker.thr = calloc(1, sizeof(*worker.thr));
	if (!c || !worker.thr || loop_init(&worker.thr[0].loop, 0) < 0) {
		CHECK("worker scaffold", 0);
		return;
	}
	checks_start_thread(c, 0, 1);
	checks_stop_thread(0);
	/* c stays: the health module keeps a pointer to it */
}

int main(void)
{
	log_setup(-1, LL_EMERG, NULL);   /* hundreds of refused lines: not worth printing */
	worker_scaffold();
	test_members();
	test_copy();
	test_table();
	test_config_and_add_server();
	test_default_server();
	test_handover();
	free(out.s);
	UNIT_END();
}
