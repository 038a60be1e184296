/* Helpers for the unit tests that load configuration text with cfg_load()
 * and check its answer: the file is written to a private temp directory
 * and the event log of each load is captured into logbuf, to check its
 * [ALERT]/[WARNING] lines.
 *
 * Each unit test is one translation unit, so this header holds the
 * definitions themselves. Before including it, a test may define:
 *  - CFG_TEST_STUB_GETADDRINFO: name resolution without DNS, only
 *    "localhost" resolves (to 127.0.0.1), so nothing leaves the machine
 *    (the seeds name hosts like "nginx1");
 *  - CFG_TEST_NO_LOADER: only the stub, for a test with its own loader
 *    (the configuration fuzzer too: it does not include unit.h then). */
#ifndef TANDEM_CFG_TEST_H
#define TANDEM_CFG_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CFG_TEST_STUB_GETADDRINFO
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>

/* Not static: these replace the C library's at link time. */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo *ai;
	struct sockaddr_in *sin;

	(void)service;
	if (!node || strcmp(node, "localhost") || (hints && hints->ai_family == AF_INET6))
		return EAI_NONAME;
	ai = calloc(1, sizeof(*ai) + sizeof(*sin));
	if (!ai)
		return EAI_MEMORY;
	sin = (struct sockaddr_in *)(ai + 1);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ai->ai_family = AF_INET;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)sin;
	ai->ai_addrlen = sizeof(*sin);
	*res = ai;
	return 0;
}

void freeaddrinfo(struct addrinfo *res)
{
	free(res);
}
#endif

#ifndef CFG_TEST_NO_LOADER
#include <fcntl.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include "unit.h"

static char tmpdir[64];
static char cfgpath[128];
static int logfd = -1;
static char logbuf[65536];
static char err[512];

/* The temp directory from <tmpl> ("/tmp/NAME-XXXXXX"), its config file
 * path, and the event log sent to a file there. -1 (said on stderr) when
 * one cannot be made. */
static inline int cfg_test_init(const char *tmpl)
{
	char path[sizeof(tmpdir) + 8];

	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(cfgpath, sizeof(cfgpath), "%s/t.cfg", tmpdir);
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	logfd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (logfd < 0) {
		perror("log file");
		return -1;
	}
	log_setup(logfd, LL_DEBUG, "test");
	return 0;
}

/* The event log back to stderr, the temp directory removed. */
static inline void cfg_test_done(void)
{
	char path[sizeof(tmpdir) + 8];

	log_setup(2, LL_INFO, "tandem");
	close(logfd);
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	unlink(path);
	unlink(cfgpath);
	rmdir(tmpdir);
}

/* Write <text> to the config file and load it; the event log of this load
 * ends up in logbuf. */
static inline struct cfg *load(const char *text)
{
	FILE *f = fopen(cfgpath, "w");
	struct cfg *c;
	ssize_t n;

	fputs(text, f);
	fclose(f);
	if (ftruncate(logfd, 0) < 0 || lseek(logfd, 0, SEEK_SET) < 0)
		perror("log reset");
	c = cfg_load(cfgpath, err, sizeof(err));
	n = pread(logfd, logbuf, sizeof(logbuf) - 1, 0);
	logbuf[n > 0 ? n : 0] = 0;
	return c;
}

/* Load <text>, expect failure with err == "FILE:<line>: <msg>"; a message
 * ending with a space ("... at ") is checked up to there (it goes on with
 * a file:line of its own). Any other message is compared whole. */
static inline void expect_err(const char *name, const char *text, int line, const char *msg)
{
	char want[600];
	struct cfg *c = load(text);
	size_t n;

	snprintf(want, sizeof(want), "%s:%d: %s", cfgpath, line, msg);
	n = *msg && msg[strlen(msg) - 1] == ' ' ? strlen(want) : sizeof(want);
	CHECKF(!c && strncmp(err, want, n) == 0, "error %s", name);
	if (c || strncmp(err, want, n) != 0)
		printf("  got:  %s\n  want: %s\n", c ? "(loaded)" : err, want);
	cfg_free(c);
}

static inline struct cfg *expect_ok(const char *name, const char *text)
{
	struct cfg *c = load(text);

	CHECKF(c != NULL, "loads: %s", name);
	if (!c)
		printf("  err: %s\n", err);
	return c;
}
#endif

#endif
