/* The `vrrp NAME` configuration section (src/cfg/kw_vrrp.c): stored values
 * and defaults, every error (with its line), the post-parse checks, and
 * vrrp_addr_is_vip() used for IP_FREEBIND. Files go to a private temp
 * directory; the event log goes to a file so that errors do not clutter
 * the test output. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include <tandem/vrrp.h>
#include "unit.h"

static char tmpdir[64], cfgpath[128], err[512];

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

#define BASE "vrrp web\n interface eth0\n virtual-router-id 51\n virtual-ipaddress 192.0.2.100/24\n"

static struct vrrp_conf *first(struct cfg *c)
{
	return list_entry(c->vrrps.next, struct vrrp_conf, link);
}

static void test_defaults(void)
{
	struct cfg *c = load(BASE);
	struct vrrp_conf *v;

	CHECK("minimal section loads", c && !list_empty(&c->vrrps));
	if (!c)
		return;
	v = first(c);
	CHECK("name, interface, vrid", !strcmp(v->name, "web") && !strcmp(v->ifname, "eth0") && v->vrid == 51);
	CHECK("defaults: priority 100, advert 1 s, preempt, 5 GARPs, no refresh, no delay",
	      v->priority == 100 && v->adver_cs == 100 && v->preempt == 1 && v->garp_repeat == 5 &&
	      v->garp_refresh_ms == 0 && v->preempt_delay_ms == 0 && !v->notify[VRRP_NOTIFY_GENERIC].argv && !v->npeers && !v->ntracks);
	CHECK("vip stored", v->nvips == 1 && v->vips[0].ip.af == AF_INET && v->vips[0].plen == 24 &&
	      v->vips[0].ip.a[0] == 192 && v->vips[0].ip.a[3] == 100 && !v->vips[0].dev[0]);
	cfg_free(c);
}

static void test_full(void)
{
	struct cfg *c = load("backend app\n server s 127.0.0.1:1\n"
			     "vrrp web\n interface eth0\n virtual-router-id 7\n priority 255\n advert-int 30ms\n"
			     " virtual-ipaddress 192.0.2.100\n virtual-ipaddress 198.51.100.1/32 dev eth1\n"
			     " no preempt\n preempt-delay 2s\n unicast-peer 192.0.2.2\n unicast-peer 192.0.2.3\n"
			     " garp-repeat 0\n garp-refresh 1m\n track-backend app\n track-backend app weight -50\n"
			     " notify /bin/true\n"
			     "vrrp other\n interface eth0\n virtual-router-id 8\n virtual-ipaddress 192.0.2.200\n preempt\n");
	struct vrrp_conf *v, *o;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	CHECK("full section loads", c != NULL);
	if (!c) {
		printf("  %s\n", err);
		return;
	}
	v = first(c);
	o = list_entry(v->link.next, struct vrrp_conf, link);
	CHECK("priority 255, advert 3 cs", v->priority == 255 && v->adver_cs == 3);
	CHECK("two vips, default /32, dev", v->nvips == 2 && v->vips[0].plen == 32 && v->vips[1].plen == 32 &&
	      !strcmp(v->vips[1].dev, "eth1"));
	CHECK("no preempt, delay", v->preempt == 0 && v->preempt_delay_ms == 2000);
	CHECK("peers", v->npeers == 2 && v->peers[1].a[3] == 3);
	CHECK("garp", v->garp_repeat == 0 && v->garp_refresh_ms == 60000);
	CHECK("tracks: fault, weight -50", v->ntracks == 2 && v->tracks[0].weight == 0 && v->tracks[1].weight == -50 &&
	      v->tracks[1].kind == VRRP_TRK_BACKEND && !strcmp(v->tracks[1].name, "app"));
	CHECK("notify", v->notify[VRRP_NOTIFY_GENERIC].argv &&
	      !strcmp(v->notify[VRRP_NOTIFY_GENERIC].argv[0], "/bin/true") && !v->notify[VRRP_NOTIFY_GENERIC].argv[1]);
	CHECK("second section, file order", !strcmp(o->name, "other") && o->vrid == 8 && o->preempt == 1);

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(80);
	inet_pton(AF_INET, "198.51.100.1", &sin->sin_addr);
	CHECK("vrrp_addr_is_vip: a vip (any port)", vrrp_addr_is_vip(c, &ss));
	inet_pton(AF_INET, "192.0.2.200", &sin->sin_addr);
	CHECK("vrrp_addr_is_vip: another section's vip", vrrp_addr_is_vip(c, &ss));
	inet_pton(AF_INET, "192.0.2.2", &sin->sin_addr);
	CHECK("vrrp_addr_is_vip: a peer is not", !vrrp_addr_is_vip(c, &ss));
	ss.ss_family = AF_INET6;
	CHECK("vrrp_addr_is_vip: IPv6 is not", !vrrp_addr_is_vip(c, &ss));
	cfg_free(c);

	c = load("frontend f\n bind 127.0.0.1:1\n");
	ss.ss_family = AF_INET;
	CHECK("vrrp_addr_is_vip: no vrrp section", c && !vrrp_addr_is_vip(c, &ss));
	cfg_free(c);
}

static void test_errors(void)
{
	expect_err("name missing", "vrrp\n", 1, "expects a <name>");
	expect_err("name chars", "vrrp a/b\n", 1, "not permitted");
	expect_err("duplicate name", BASE "vrrp web\n", 5, "same name");
	expect_err("unknown keyword", BASE " state MASTER\n", 5, "unknown keyword 'state' in 'vrrp' section");
	expect_err("vrid 0", BASE " virtual-router-id 0\n", 5, "between 1 and 255");
	expect_err("vrid 256", BASE " virtual-router-id 256\n", 5, "between 1 and 255");
	expect_err("priority 0", BASE " priority 0\n", 5, "between 1 and 255");
	expect_err("advert 15ms", BASE " advert-int 15ms\n", 5, "multiple of 10 ms");
	expect_err("advert 41s", BASE " advert-int 41s\n", 5, "multiple of 10 ms");
	expect_err("advert 1us", BASE " advert-int 5ms\n", 5, "multiple of 10 ms");
	expect_err("ipv6 vip", BASE " virtual-ipaddress 2001:db8::1/64\n", 5, "IPv6 address '2001:db8::1' is not supported yet");
	expect_err("bad vip", BASE " virtual-ipaddress 192.0.2.300\n", 5, "invalid IPv4 address");
	expect_err("prefix 33", BASE " virtual-ipaddress 192.0.2.1/33\n", 5, "invalid prefix length");
	expect_err("vip twice", BASE " virtual-ipaddress 192.0.2.100/32\n", 5, "already listed");
	expect_err("vip dev without name", BASE " virtual-ipaddress 192.0.2.1 dev\n", 5, "expects <address>");
	expect_err("vip junk", BASE " virtual-ipaddress 192.0.2.1 label x\n", 5, "expects <address>");
	expect_err("interface too long", "vrrp w\n interface abcdefghijklmnop\n", 2, "invalid interface name");
	expect_err("preempt with argument", BASE " preempt yes\n", 5, "unexpected argument");
	expect_err("no priority", BASE " no priority\n", 5, "only 'no preempt'");
	expect_err("peer ipv6", BASE " unicast-peer ::1\n", 5, "not supported yet");
	expect_err("peer twice", BASE " unicast-peer 192.0.2.2\n unicast-peer 192.0.2.2\n", 6, "already listed");
	expect_err("garp-repeat 101", BASE " garp-repeat 101\n", 5, "between 0 and 100");
	expect_err("garp-refresh 50ms", BASE " garp-refresh 50ms\n", 5, "at least 100ms");
	expect_err("track weight positive", BASE " track-backend app weight 10\n", 5, "-1 to -254");
	expect_err("track weight word", BASE " track-backend app prio -10\n", 5, "expects <backend> [weight");
	expect_err("notify relative", BASE " notify script.sh\n", 5, "absolute path");
	/* post-parse checks name the section's line */
	expect_err("no interface", "vrrp w\n virtual-router-id 1\n virtual-ipaddress 192.0.2.1\n", 1, "has no 'interface'");
	expect_err("no vrid", "vrrp w\n interface eth0\n virtual-ipaddress 192.0.2.1\n", 1, "has no 'virtual-router-id'");
	expect_err("no vip", "vrrp w\n interface eth0\n virtual-router-id 1\n", 1, "has no 'virtual-ipaddress'");
	expect_err("unknown backend", BASE " track-backend nope\n", 5, "unknown backend 'nope'");
	expect_err("frontend is not a backend", "frontend nope\n bind 127.0.0.1:1\n" BASE " track-backend nope\n", 7,
		   "unknown backend 'nope'");
	expect_err("peer is a vip", BASE " unicast-peer 192.0.2.100\n", 1, "a unicast-peer is one of its virtual addresses");
	expect_err("same vrid, same interface",
		   BASE "vrrp two\n interface eth0\n virtual-router-id 51\n virtual-ipaddress 192.0.2.101\n", 5,
		   "uses virtual-router-id 51 on eth0");
	{
		struct cfg *c = load(BASE "vrrp two\n interface eth1\n virtual-router-id 51\n virtual-ipaddress 192.0.2.101\n");
		CHECK("same vrid on another interface is fine", c != NULL);
		cfg_free(c);
	}
}

int main(void)
{
	char logpath[128];
	int fd;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tandem-vrrpcfg-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/t.cfg", tmpdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	log_setup(fd, LL_DEBUG, "tandem");
	test_defaults();
	test_full();
	test_errors();
	unlink(cfgpath);
	unlink(logpath);
	rmdir(tmpdir);
	close(fd);
	UNIT_END();
}
