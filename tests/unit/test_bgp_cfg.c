/* The `anycast NAME` configuration section (src/cfg/kw_bgp.c): stored
 * values and defaults, every error (with its file:line), the post-parse
 * checks and warning, and bgp_addr_is_service() used for IP_FREEBIND.
 * Files go to a private temp directory; the event log to a file that the
 * warning test reads. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>
#include <tandem/bgp.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include "unit.h"

static char tmpdir[64], cfgpath[128], logpath[128], err[512];
static int logfd;

static struct cfg *load(const char *text)
{
	FILE *f = fopen(cfgpath, "w");

	fputs(text, f);
	fclose(f);
	return cfg_load(cfgpath, err, sizeof(err));
}

/* Expect failure at <line> with a message containing <frag>. */
static void expect_err(const char *name, const char *text, int line, const char *frag)
{
	struct cfg *c = load(text);
	char at[160];

	snprintf(at, sizeof(at), "%s:%d: ", cfgpath, line);
	CHECKF(!c && !strncmp(err, at, strlen(at)) && strstr(err, frag), "error: %s", name);
	if (c || strncmp(err, at, strlen(at)) || !strstr(err, frag))
		printf("  got:  %s\n  want: %s...%s\n", c ? "(loaded)" : err, at, frag);
	cfg_free(c);
}

#define FE "frontend fe\n bind 198.51.100.10:80\n default_backend app\nbackend app\n server s 127.0.0.1:1\n"
/* BASE's section starts at line 6 */
#define BASE FE "anycast web\n address 198.51.100.10 protocol anycast_web\n"

static struct bgp_conf *first(struct cfg *c)
{
	return list_entry(c->anycasts.next, struct bgp_conf, link);
}

static void test_defaults(void)
{
	struct cfg *c = load(BASE);
	struct bgp_conf *b;

	CHECK("minimal section loads", c && !list_empty(&c->anycasts));
	if (!c) {
		printf("  %s\n", err);
		return;
	}
	b = first(c);
	CHECK("name", !strcmp(b->name, "web"));
	CHECK("defaults: Debian's socket, 2 s withdraw-delay, no tracks",
	      !strcmp(b->socket, "/run/bird/bird.ctl") && b->withdraw_delay_ms == 2000 && !b->ntracks);
	CHECK("address: IPv4, protocol, dev lo", b->naddrs == 1 && b->addrs[0].af == AF_INET && b->addrs[0].a[0] == 198 &&
	      b->addrs[0].a[3] == 10 && !strcmp(b->addrs[0].proto, "anycast_web") && !strcmp(b->addrs[0].dev, "lo") &&
	      b->addrs[0].line == 7);
	cfg_free(c);
}

static void test_full(void)
{
	struct cfg *c = load(FE "frontend fe6\n bind [2001:db8::10]:80\n default_backend app\nbackend api\n server s 127.0.0.1:2\n"
			     "anycast web\n address 198.51.100.10/32 protocol any4 dev dummy0\n"
			     " address 2001:db8::10/128 dev lo protocol any6\n bird-socket /var/run/bird2.ctl\n"
			     " track-backend app\n track-backend api\n withdraw-delay 500ms\n"
			     "anycast other\n address 198.51.100.11 protocol other4\n withdraw-delay 0\n");
	struct bgp_conf *b, *o;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	CHECK("full sections load", c != NULL);
	if (!c) {
		printf("  %s\n", err);
		return;
	}
	b = first(c);
	o = list_entry(b->link.next, struct bgp_conf, link);
	CHECK("two addresses, v4 and v6, their protocols and devices",
	      b->naddrs == 2 && b->addrs[0].af == AF_INET && !strcmp(b->addrs[0].dev, "dummy0") &&
	      !strcmp(b->addrs[0].proto, "any4") && b->addrs[1].af == AF_INET6 && b->addrs[1].a[0] == 0x20 &&
	      b->addrs[1].a[15] == 0x10 && !strcmp(b->addrs[1].proto, "any6") && !strcmp(b->addrs[1].dev, "lo"));
	CHECK("socket, delay", !strcmp(b->socket, "/var/run/bird2.ctl") && b->withdraw_delay_ms == 500);
	CHECK("tracks", b->ntracks == 2 && !strcmp(b->tracks[0].backend, "app") && !strcmp(b->tracks[1].backend, "api"));
	CHECK("second section, file order, delay 0", !strcmp(o->name, "other") && o->withdraw_delay_ms == 0);

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(80);
	inet_pton(AF_INET, "198.51.100.11", &sin->sin_addr);
	CHECK("bgp_addr_is_service: an address (any port)", bgp_addr_is_service(c, &ss));
	inet_pton(AF_INET, "198.51.100.12", &sin->sin_addr);
	CHECK("bgp_addr_is_service: another is not", !bgp_addr_is_service(c, &ss));
	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::10", &sin6->sin6_addr);
	CHECK("bgp_addr_is_service: IPv6", bgp_addr_is_service(c, &ss));
	cfg_free(c);

	c = load("frontend f\n bind 127.0.0.1:1\n");
	ss.ss_family = AF_INET;
	CHECK("bgp_addr_is_service: no anycast section", c && !bgp_addr_is_service(c, &ss));
	cfg_free(c);
}

static void test_errors(void)
{
	expect_err("name missing", "anycast\n", 1, "expects a <name>");
	expect_err("name chars", "anycast a/b\n", 1, "not permitted");
	expect_err("duplicate name", BASE "anycast web\n", 8, "same name");
	expect_err("unknown keyword", BASE " priority 100\n", 8, "unknown keyword 'priority' in 'anycast' section");
	expect_err("no prefix", BASE " no withdraw-delay\n", 8, "'no' prefix is not supported");
	expect_err("not a host route", FE "anycast w\n address 198.51.100.0/24 protocol p\n", 7,
		   "'address 198.51.100.0/24' is not a host route");
	expect_err("not a host route (v6)", FE "anycast w\n address 2001:db8::/64 protocol p\n", 7, "is not a host route");
	expect_err("bad prefix", FE "anycast w\n address 198.51.100.1/33 protocol p\n", 7, "invalid prefix length");
	expect_err("bad address", FE "anycast w\n address 198.51.100.300 protocol p\n", 7, "invalid IP address");
	expect_err("loopback", FE "anycast w\n address 127.0.0.2 protocol p\n", 7, "cannot be a service address");
	expect_err("multicast", FE "anycast w\n address 224.0.0.5 protocol p\n", 7, "cannot be a service address");
	expect_err("v6 unspecified", FE "anycast w\n address :: protocol p\n", 7, "cannot be a service address");
	expect_err("v6 link-local", FE "anycast w\n address fe80::1 protocol p\n", 7, "cannot be a service address");
	expect_err("v4 link-local", FE "anycast w\n address 169.254.1.1 protocol p\n", 7, "cannot be a service address");
	expect_err("no protocol", FE "anycast w\n address 198.51.100.1\n", 7, "names no BIRD protocol");
	expect_err("protocol without value", FE "anycast w\n address 198.51.100.1 protocol\n", 7, "needs a value");
	expect_err("pattern as protocol", FE "anycast w\n address 198.51.100.1 protocol any_*\n", 7,
		   "invalid BIRD protocol name 'any_*'");
	expect_err("junk word", FE "anycast w\n address 198.51.100.1 protocol p via lo\n", 7, "got 'via'");
	expect_err("dev too long", FE "anycast w\n address 198.51.100.1 protocol p dev abcdefghijklmnopq\n", 7,
		   "invalid interface name");
	expect_err("address twice", BASE " address 198.51.100.10/32 protocol other\n", 8, "already listed");
	expect_err("relative socket", BASE " bird-socket bird.ctl\n", 8, "absolute path");
	expect_err("socket too long", BASE " bird-socket /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 8, "too long for a UNIX socket");
	expect_err("track weight", BASE " track-backend app weight -10\n", 8, "has no meaning in an 'anycast' section");
	expect_err("track twice", BASE " track-backend app\n track-backend app\n", 9, "already tracked");
	expect_err("withdraw-delay junk", BASE " withdraw-delay soon\n", 8, "withdraw-delay");
	expect_err("withdraw-delay 1h", BASE " withdraw-delay 1h\n", 8, "at most 10m");
	/* post-parse checks */
	expect_err("no address", FE "anycast w\n withdraw-delay 1s\n", 6, "has no 'address'");
	expect_err("unknown backend", BASE " track-backend nope\n", 8, "unknown backend 'nope'");
	expect_err("same address in two sections",
		   BASE "anycast two\n address 198.51.100.10 protocol p2\n", 9, "is also an address of anycast 'web'");
	expect_err("same protocol in two sections",
		   BASE "anycast two\n address 198.51.100.11 protocol anycast_web\n", 9, "BIRD protocol anycast_web is also used");
	expect_err("also a VRRP address",
		   BASE "vrrp v\n interface eth0\n virtual-router-id 1\n virtual-ipaddress 198.51.100.10\n", 7,
		   "is also a VRRP virtual address");
	{
		struct cfg *c = load(BASE "anycast two\n address 198.51.100.11 protocol anycast_web\n bird-socket /run/other.ctl\n");
		CHECK("the same protocol name in another BIRD is fine", c != NULL);
		cfg_free(c);
		c = load(FE "anycast w\n address 198.51.100.1 protocol a\n address 198.51.100.2 protocol a\n");
		CHECK("two addresses in one protocol are fine", c != NULL);
		cfg_free(c);
	}
}

static void test_warning(void)
{
	struct cfg *c;
	char buf[8192];
	ssize_t n;

	(void)ftruncate(logfd, 0);
	lseek(logfd, 0, SEEK_SET);
	c = load("frontend fe\n bind 192.0.2.1:80\n default_backend app\nbackend app\n server s 127.0.0.1:1\n"
		 "anycast web\n address 198.51.100.10 protocol p\n");
	CHECK("an address no frontend binds loads", c != NULL);
	cfg_free(c);
	c = load("frontend fe\n bind :80\n default_backend app\nbackend app\n server s 127.0.0.1:1\n"
		 "anycast web\n address 198.51.100.20 protocol q\n");
	cfg_free(c);
	n = pread(logfd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	CHECK("...with a warning naming its line", strstr(buf, "t.cfg:7] : anycast 'web': no frontend binds 198.51.100.10") != NULL);
	CHECK("a wildcard bind is enough", !strstr(buf, "no frontend binds 198.51.100.20"));
	if (!strstr(buf, "no frontend binds 198.51.100.10"))
		printf("  log: %s\n", buf);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tandem-bgpcfg-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/t.cfg", tmpdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	log_setup(logfd, LL_DEBUG, "tandem");
	test_defaults();
	test_full();
	test_errors();
	test_warning();
	unlink(cfgpath);
	unlink(logpath);
	rmdir(tmpdir);
	close(logfd);
	UNIT_END();
}
