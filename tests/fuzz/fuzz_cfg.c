/* libFuzzer driver for the configuration parser and checker: each input is
 * a configuration file, loaded with cfg_load() (src/cfg/: lexer, every
 * keyword table, defaults inheritance, post-parse checks) and released.
 * The parser's contract:
 *  - no crash, no leak (ASan), no undefined behaviour (UBSan), on any bytes;
 *  - refused: the error names the file and a line of it ("FILE:LINE: ..."
 *    with 1 <= LINE <= lines + 1, or "FILE: ..." for whole-file checks);
 *  - accepted: names are valid, servers have an IPv4/IPv6 address, a
 *    position unique in their backend and a weight in 0..256; every
 *    frontend's default backend is a backend of the same mode; every proxy
 *    has exactly one HTTP connection mode; a server's settings survive a
 *    copy (srv_settings_copy) and are released once;
 *  - loading the same bytes again gives the same answer.
 * Host names (the unit tests' stub, tests/unit/cfg_test.h) and user names
 * (below) are looked up in tables instead of DNS and NSS: nothing leaves
 * the machine and runs stay fast and deterministic.
 * A violated invariant aborts (the fuzzer reports it as a crash).
 *
 * fuzz-src: LIB
 * fuzz-dict: tests/fuzz/cfg.dict
 * fuzz-seeds: contrib */
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <tandem/cfg.h>
#include <tandem/cfg_value.h>
#include <tandem/log.h>
#include <tandem/srv_kw.h>
#define CFG_TEST_STUB_GETADDRINFO   /* only "localhost" resolves */
#define CFG_TEST_NO_LOADER
#include "../unit/cfg_test.h"

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

/* ---- names without NSS (host names: cfg_test.h) ----------------------- */

struct passwd *getpwnam(const char *name)
{
	static struct passwd pw = { .pw_name = "nobody", .pw_uid = 65534, .pw_gid = 65534 };

	return !strcmp(name, "nobody") ? &pw : NULL;
}

struct group *getgrnam(const char *name)
{
	static struct group gr = { .gr_name = "nogroup", .gr_gid = 65534 };

	return !strcmp(name, "nogroup") ? &gr : NULL;
}

/* ---- the checks --------------------------------------------------------- */

static int fd = -1;
static char path[64];

static void check_refused(const char *err, const uint8_t *data, size_t size)
{
	size_t plen = strlen(path), lines = 1;
	const char *p;
	char *end;
	long line;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	INV(!strncmp(err, path, plen) && err[plen] == ':');
	p = err + plen + 1;
	if (*p == ' ')
		return;               /* "FILE: message": a check of the whole file */
	line = strtol(p, &end, 10);
	INV(end != p && *end == ':' && line >= 1 && (size_t)line <= lines + 1);
}

static void check_server(const struct proxy *px, const struct server *s)
{
	struct server *copy = calloc(1, sizeof(*copy));
	const struct list *l;

	INV(s->id && *s->id && !cfg_invalid_char(s->id) && s->be == px);
	/* an address, or none yet: a name that waits for DNS (init-addr none),
	 * in maintenance by resolution */
	INV(s->addr.ss_family == AF_INET || s->addr.ss_family == AF_INET6 ||
	    (s->addr.ss_family == AF_UNSPEC && s->hostname && (s->admin & SRV_ADMF_RMAINT)));
	INV(s->puid > 0 && s->uweight >= 0 && s->uweight <= 256 && s->maxconn >= 0);
	list_for_each(l, &px->servers) {
		const struct server *o = list_entry(l, struct server, link);

		if (o == s)
			break;
		INV(o->puid != s->puid);
	}
	/* the template copy: settings come along, nothing is shared */
	INV(copy != NULL);
	srv_settings_init(copy);
	INV(srv_settings_copy(copy, s) == 0);
	INV(copy->uweight == s->uweight && copy->maxconn == s->maxconn && copy->chk_inter == s->chk_inter);
	srv_free(copy);
}

static void check_accepted(const struct cfg *c)
{
	const struct list *pl, *sl;

	list_for_each(pl, &c->proxies) {
		const struct proxy *px = list_entry(pl, struct proxy, link);
		uint32_t ka = px->options & (PR_O_HTTP_KA | PR_O_HTTPCLOSE | PR_O_SRV_CLOSE);

		INV(px->id && !cfg_invalid_char(px->id) && px->uuid > 0);
		INV(ka == PR_O_HTTP_KA || ka == PR_O_HTTPCLOSE || ka == PR_O_SRV_CLOSE);
		if (px->defbe) {
			INV(px->defbe->cap & PR_CAP_BE);
			INV(px->defbe->mode == px->mode);
		}
		list_for_each(sl, &px->servers)
			check_server(px, list_entry(sl, struct server, link));
	}
}

static struct cfg *load(const uint8_t *data, size_t size, char *err, size_t errlen)
{
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return cfg_load(path, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2048], err2[2048];
	struct cfg *c, *c2;

	if (fd < 0) {
		int null = open("/dev/null", O_WRONLY);

		/* every refused line logs an ALERT: keep the fuzzer's output readable */
		log_setup(null >= 0 ? null : 2, LL_EMERG, NULL);
		if ((fd = memfd_create("fuzz_cfg", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	c = load(data, size, err, sizeof(err));
	if (c)
		check_accepted(c);
	else
		check_refused(err, data, size);
	/* deterministic */
	c2 = load(data, size, err2, sizeof(err2));
	INV(!c == !c2);
	if (!c)
		INV(!strcmp(err, err2));
	cfg_free(c);
	cfg_free(c2);
	return 0;
}
