/* VRRP configuration: tandem's own sections (src/cfg/kw_vrrp.c) and a
 * keepalived.conf read through `keepalived-config` (src/vrrp/kaconf.c):
 * stored values and defaults, keepalived's lexical rules (comments,
 * quotes, braces, include, $definitions, @conditions), every error with
 * its file:line, the post-parse checks, script strings split as keepalived
 * splits them, the script security check, and vrrp_addr_is_vip() used for
 * IP_FREEBIND. Files go to a private temp directory; the event log goes to
 * a file so that errors do not clutter the test output. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include <tandem/vrrp.h>
#include "unit.h"

static char tmpdir[64], cfgpath[128], kapath[128], logpath[128], err[1024];
static int logfd;

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static struct cfg *load(const char *text)
{
	put(cfgpath, text);
	return cfg_load(cfgpath, err, sizeof(err));
}

/* A tandem configuration that reads <ka> as keepalived.conf. */
static struct cfg *load_ka(const char *ka)
{
	put(kapath, ka);
	return load("global\n keepalived-config ka.conf\nbackend app\n server s 127.0.0.1:1\n");
}

/* 1 if the event log written since the last call holds <frag>. */
static int logged(const char *frag)
{
	static off_t seen;
	char buf[65536];
	ssize_t n;
	int found;

	n = pread(logfd, buf, sizeof(buf) - 1, seen);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	seen += n;
	found = strstr(buf, frag) != NULL;
	return found;
}

/* Expect failure at <file>:<line> with a message containing <frag>. */
static void expect_err_in(const char *name, struct cfg *c, const char *file, int line, const char *frag)
{
	char at[200];

	snprintf(at, sizeof(at), "%s:%d: ", file, line);
	CHECKF(!c && !strncmp(err, at, strlen(at)) && strstr(err, frag), "error: %s", name);
	if (c || strncmp(err, at, strlen(at)) || !strstr(err, frag))
		printf("  got:  %s\n  want: %s...%s\n", c ? "(loaded)" : err, at, frag);
	cfg_free(c);
}

static void expect_err(const char *name, const char *text, int line, const char *frag)
{
	expect_err_in(name, load(text), cfgpath, line, frag);
}

static void expect_ka_err(const char *name, const char *ka, int line, const char *frag)
{
	char file[160];

	snprintf(file, sizeof(file), "%s/ka.conf", tmpdir);
	expect_err_in(name, load_ka(ka), file, line, frag);
}

#define BASE "vrrp web\n interface eth0\n virtual-router-id 51\n virtual-ipaddress 192.0.2.100/24\n"

static struct vrrp_conf *nth(struct cfg *c, int n)
{
	struct list *l = c->vrrps.next;

	while (n--)
		l = l->next;
	return list_entry(l, struct vrrp_conf, link);
}

static int argv_is(char **argv, const char *a0, const char *a1, const char *a2)
{
	const char *want[] = { a0, a1, a2, NULL };
	int i;

	if (!argv)
		return 0;
	for (i = 0; want[i]; i++)
		if (!argv[i] || strcmp(argv[i], want[i]))
			return 0;
	return argv[i] == NULL;
}

/* ---- native sections ---- */

static void test_defaults(void)
{
	struct cfg *c = load(BASE);
	struct vrrp_conf *v;

	CHECK("minimal section loads", c && !list_empty(&c->vrrps));
	if (!c)
		return;
	v = nth(c, 0);
	CHECK("name, interface, vrid", !strcmp(v->name, "web") && !strcmp(v->ifname, "eth0") && v->vrid == 51);
	CHECK("defaults: version 3, priority 100, advert 1 s, preempt, 5 GARPs, no second burst, no refresh",
	      v->version == 3 && v->priority == 100 && v->adver_cs == 100 && v->preempt == 1 && v->garp_repeat == 5 &&
	      v->garp_delay_ms == 0 && v->garp_refresh_ms == 0 && v->preempt_delay_ms == 0 && v->startup_delay_ms == 0);
	CHECK("defaults: no notify, no peer, no track, no auth, no vmac, notify timeout 30 s",
	      !v->notify[VRRP_NOTIFY_GENERIC].argv && !v->npeers && !v->ntracks && v->auth_type == VRRP_AUTH_NONE &&
	      !v->use_vmac && !v->init_master && v->notify_timeout_ms == 30000 && v->flavor == VRRP_NATIVE);
	CHECK("vip stored", v->nvips == 1 && v->vips[0].ip.af == AF_INET && v->vips[0].plen == 24 &&
	      v->vips[0].ip.a[0] == 192 && v->vips[0].ip.a[3] == 100 && !v->vips[0].dev[0] && v->af == AF_INET);
	cfg_free(c);
}

static void test_full(void)
{
	struct cfg *c = load("global\n vrrp-router-id lb-1\n vrrp-script-user nobody\n"
			     "backend app\n server s 127.0.0.1:1\n"
			     "vrrp-script chk\n script \"/bin/sh -c 'exit 0'\"\n interval 2s\n timeout 500ms\n weight -20\n"
			     " rise 3\n fall 2\n init-fail\n user nobody\n"
			     "vrrp-track-file maint\n file /tmp/tandem-maint\n weight -10\n init-file 0 overwrite\n"
			     "vrrp web\n interface eth0\n virtual-router-id 7\n priority 254\n advert-int 30ms\n"
			     " virtual-ipaddress 192.0.2.100\n virtual-ipaddress 198.51.100.1/32 dev eth1 label eth1:v scope link"
			     " brd 198.51.100.255\n virtual-ipaddress-excluded 2001:db8::1/64\n"
			     " no preempt\n preempt-delay 2s\n startup-delay 3s\n unicast-peer 192.0.2.2\n unicast-peer 192.0.2.3\n"
			     " unicast-src-ip 192.0.2.1\n garp-repeat 0\n garp-refresh 1m\n garp-refresh-repeat 2\n"
			     " garp-master-delay 5s\n garp-lower-prio-repeat 3\n garp-lower-prio-delay 1s\n garp-interval 10ms\n"
			     " track-backend app\n track-backend app weight -50\n track-script chk weight 20\n"
			     " track-interface eth1 weight -5\n track-file maint\n"
			     " notify /bin/true\n notify-master \"/bin/echo master up\" user nobody\n notify-backup /bin/true\n"
			     " notify-fault /bin/true\n notify-stop /bin/true\n notify-master-rx-lower-pri /bin/true\n"
			     " notify-timeout 5s\n state master\n dont-track-primary\n skip-check-adv-addr\n"
			     " no higher-prio-send-advert\n"
			     "vrrp v2\n interface eth0\n virtual-router-id 8\n version 2\n advert-int 2s\n"
			     " authentication pass secret1\n virtual-ipaddress 192.0.2.200\n use-vmac vr8\n"
			     "vrrp six\n interface eth0\n virtual-router-id 9\n virtual-ipaddress 2001:db8::100\n"
			     " unicast-peer fe80::2\n"
			     "vrrp-sync-group both\n group v2 six\n notify-master /bin/true\n track-interface eth0\n");
	struct vrrp_conf *v, *o, *s6;
	struct vrrp_script_conf *sc;
	struct vrrp_tfile_conf *tf;
	struct vrrp_group_conf *g;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	CHECK("full configuration loads", c != NULL);
	if (!c) {
		printf("  %s\n", err);
		return;
	}
	v = nth(c, 0);
	o = nth(c, 1);
	s6 = nth(c, 2);
	CHECK("priority 254, advert 3 cs, state master", v->priority == 254 && v->adver_cs == 3 && v->init_master);
	CHECK("three vips: default /32, dev/label/scope/brd, excluded IPv6",
	      v->nvips == 3 && v->vips[0].plen == 32 && !strcmp(v->vips[1].dev, "eth1") &&
	      !strcmp(v->vips[1].label, "eth1:v") && v->vips[1].scope == 253 && v->vips[1].brd.af == AF_INET &&
	      v->vips[1].brd.a[3] == 255 && v->vips[2].excluded && v->vips[2].ip.af == AF_INET6 && v->vips[2].plen == 64 &&
	      v->af == AF_INET);
	CHECK("no preempt, delays", v->preempt == 0 && v->preempt_delay_ms == 2000 && v->startup_delay_ms == 3000);
	CHECK("peers, source", v->npeers == 2 && v->peers[1].a[3] == 3 && v->src.af == AF_INET && v->src.a[3] == 1);
	CHECK("garp", v->garp_repeat == 0 && v->garp_refresh_ms == 60000 && v->garp_refresh_repeat == 2 &&
	      v->garp_delay_ms == 5000 && v->garp_lower_repeat == 3 && v->garp_lower_delay_ms == 1000 &&
	      v->garp_interval_ms == 10);
	CHECK("tracks: backend fault, backend -50, script +20, interface -5, file (its own weight)",
	      v->ntracks == 5 && v->tracks[0].kind == VRRP_TRK_BACKEND && v->tracks[0].weight == 0 &&
	      v->tracks[1].weight == -50 && v->tracks[2].kind == VRRP_TRK_SCRIPT && v->tracks[2].weight == 20 &&
	      v->tracks[3].kind == VRRP_TRK_IF && !strcmp(v->tracks[3].name, "eth1") && v->tracks[3].weight == -5 &&
	      v->tracks[4].kind == VRRP_TRK_FILE && !v->tracks[4].weight_set);
	CHECK("notify commands split, user set", argv_is(v->notify[VRRP_NOTIFY_GENERIC].argv, "/bin/true", NULL, NULL) &&
	      argv_is(v->notify[VRRP_NOTIFY_MASTER].argv, "/bin/echo", "master", "up") &&
	      v->notify[VRRP_NOTIFY_MASTER].uid > 0 && v->notify[VRRP_NOTIFY_RX_LOWER].argv &&
	      v->notify_timeout_ms == 5000 && v->dont_track_primary && v->skip_check_adv_addr &&
	      !v->higher_prio_send_advert && o->higher_prio_send_advert);
	CHECK("version 2 section: auth pass, whole seconds, vmac", o->version == 2 && o->adver_cs == 200 &&
	      o->auth_type == VRRP_AUTH_PASS && !memcmp(o->auth_pass, "secret1", 8) && o->use_vmac &&
	      !strcmp(o->vmac_name, "vr8"));
	CHECK("IPv6 section", s6->af == AF_INET6 && s6->vips[0].plen == 128 && s6->npeers == 1 &&
	      s6->peers[0].af == AF_INET6);
	sc = vrrp_script_find(c->vrrp, "chk");
	CHECK("vrrp-script", sc && argv_is(sc->cmd.argv, "/bin/sh", "-c", "exit 0") && sc->interval_ms == 2000 &&
	      sc->timeout_ms == 500 && sc->weight == -20 && sc->rise == 3 && sc->fall == 2 && sc->init_fail &&
	      sc->cmd.uid > 0);
	tf = vrrp_tfile_find(c->vrrp, "maint");
	CHECK("vrrp-track-file", tf && !strcmp(tf->path, "/tmp/tandem-maint") && tf->weight == -10 && tf->init &&
	      tf->init_value == 0 && tf->init_overwrite);
	g = vrrp_group_find(c->vrrp, "both");
	CHECK("vrrp-sync-group", g && g->nmembers == 2 && !strcmp(g->members[1], "six") &&
	      g->notify[VRRP_NOTIFY_MASTER].argv && g->ntracks == 1 && g->tracks[0].kind == VRRP_TRK_IF);
	CHECK("globals", !strcmp(c->vrrp->router_id, "lb-1") && c->vrrp->script_uid > 0);

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(80);
	inet_pton(AF_INET, "198.51.100.1", &sin->sin_addr);
	CHECK("vrrp_addr_is_vip: a vip (any port)", vrrp_addr_is_vip(c, &ss));
	inet_pton(AF_INET, "192.0.2.200", &sin->sin_addr);
	CHECK("vrrp_addr_is_vip: another section's vip", vrrp_addr_is_vip(c, &ss));
	inet_pton(AF_INET, "192.0.2.2", &sin->sin_addr);
	CHECK("vrrp_addr_is_vip: a peer is not", !vrrp_addr_is_vip(c, &ss));
	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::100", &sin6->sin6_addr);
	CHECK("vrrp_addr_is_vip: an IPv6 vip", vrrp_addr_is_vip(c, &ss));
	inet_pton(AF_INET6, "2001:db8::1", &sin6->sin6_addr);
	CHECK("vrrp_addr_is_vip: an excluded IPv6 vip too", vrrp_addr_is_vip(c, &ss));
	inet_pton(AF_INET6, "2001:db8::2", &sin6->sin6_addr);
	CHECK("vrrp_addr_is_vip: another IPv6 address is not", !vrrp_addr_is_vip(c, &ss));
	cfg_free(c);

	/* members of a sync group: their weights become 0, as keepalived does */
	c = load("backend app\n server s 127.0.0.1:1\n" BASE " track-backend app weight -10\n"
		 "vrrp-sync-group g\n group web\n");
	CHECK("sync group member: weights set to 0, with a warning", c && nth(c, 0)->tracks[0].weight == 0 &&
	      logged("the weight of 'app' is set to 0"));
	cfg_free(c);

	c = load("frontend f\n bind 127.0.0.1:1\n");
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	CHECK("vrrp_addr_is_vip: no vrrp section", c && !vrrp_addr_is_vip(c, &ss));
	cfg_free(c);
}

static void test_errors(void)
{
	expect_err("name missing", "vrrp\n", 1, "expects a <name>");
	expect_err("name chars", "vrrp a/b\n", 1, "not permitted");
	expect_err("duplicate name", BASE "vrrp web\n", 5, "same name");
	expect_err("unknown keyword", BASE " vrrp_version 2\n", 5, "unknown keyword 'vrrp_version' in 'vrrp' section");
	expect_err("vrid 0", BASE " virtual-router-id 0\n", 5, "between 1 and 255");
	expect_err("vrid 256", BASE " virtual-router-id 256\n", 5, "between 1 and 255");
	expect_err("priority 0", BASE " priority 0\n", 5, "between 1 and 255");
	expect_err("version 4", BASE " version 4\n", 5, "between 2 and 3");
	expect_err("advert 15ms", BASE " advert-int 15ms\n", 5, "multiple of 10 ms");
	expect_err("advert 256s", BASE " advert-int 256s\n", 5, "multiple of 10 ms");
	expect_err("advert 5ms", BASE " advert-int 5ms\n", 5, "multiple of 10 ms");
	expect_err("v3 advert 41s", BASE " advert-int 41s\n", 1, "version 3 advertises 10 ms to 40.95 s");
	expect_err("v2 advert 1.5s", BASE " version 2\n advert-int 1500ms\n", 1, "version 2 advertises whole seconds");
	expect_err("v2 with IPv6", "vrrp w\n interface eth0\n virtual-router-id 1\n version 2\n virtual-ipaddress 2001:db8::1\n",
		   1, "version 2 is IPv4 only");
	expect_err("mixed families", BASE " virtual-ipaddress 2001:db8::1/64\n", 1, "must be of one family");
	expect_err("bad vip", BASE " virtual-ipaddress 192.0.2.300\n", 5, "invalid address '192.0.2.300'");
	expect_err("prefix 33", BASE " virtual-ipaddress 192.0.2.1/33\n", 5, "invalid address '192.0.2.1/33'");
	expect_err("vip twice", BASE " virtual-ipaddress 192.0.2.100/32\n", 5, "already listed");
	expect_err("vip dev without name", BASE " virtual-ipaddress 192.0.2.1 dev\n", 5, "'dev' expects a value");
	expect_err("vip unknown option", BASE " virtual-ipaddress 192.0.2.1 nodad x\n", 5, "unknown option 'nodad'");
	expect_err("vip bad scope", BASE " virtual-ipaddress 192.0.2.1 scope moon\n", 5, "unknown scope 'moon'");
	expect_err("vip label on IPv6", BASE " virtual-ipaddress-excluded 2001:db8::1 label eth0:x\n", 5, "IPv4 only");
	expect_err("interface too long", "vrrp w\n interface abcdefghijklmnop\n", 2, "invalid interface name");
	expect_err("preempt with argument", BASE " preempt yes\n", 5, "unexpected argument");
	expect_err("no priority", BASE " no priority\n", 5, "only 'no preempt' and 'no higher-prio-send-advert'");
	expect_err("peer of the other family", BASE " unicast-peer ::1\n", 1, "unicast peers must be of the virtual addresses' family");
	expect_err("peer twice", BASE " unicast-peer 192.0.2.2\n unicast-peer 192.0.2.2\n", 6, "already listed");
	expect_err("peer with prefix", BASE " unicast-peer 192.0.2.2/24\n", 5, "invalid IP address");
	expect_err("garp-repeat 101", BASE " garp-repeat 101\n", 5, "between 0 and 100");
	expect_err("garp-refresh 50ms", BASE " garp-refresh 50ms\n", 5, "at least 100ms");
	expect_err("notify-timeout 10ms", BASE " notify-timeout 10ms\n", 5, "at least 100ms");
	expect_err("track weight 254", "backend app\n server s 127.0.0.1:1\n" BASE " track-backend app weight 254\n", 7,
		   "-253 to 253");
	expect_err("track weight word", BASE " track-backend app prio -10\n", 5, "expects <name> [weight <N>]");
	expect_err("notify not found", BASE " notify no-such-program-here\n", 1, "not found in PATH");
	expect_err("notify quote", BASE " notify \"/bin/echo 'a\"\n", 5, "quote is not closed");
	expect_err("notify user unknown", BASE " notify /bin/true user no-such-user-here\n", 5, "unknown user");
	expect_err("notify extra word", BASE " notify /bin/true now\n", 5, "[user <user> [<group>]], got 'now'");
	expect_err("auth in v3", BASE " authentication pass x\n", 1, "authentication exists in VRRP version 2 only");
	expect_err("auth ah", BASE " version 2\n authentication ah x\n", 1, "AH (IPsec AH, RFC 2338) is not supported");
	expect_err("auth password too long", BASE " version 2\n authentication pass 123456789\n", 6, "1 to 8 characters");
	expect_err("auth type", BASE " version 2\n authentication md5 x\n", 6, "expects pass <password>");
	expect_err("state", BASE " state primary\n", 5, "expects master or backup");
	expect_err("owner with weighted track", "backend app\n server s 127.0.0.1:1\n" BASE
		   " priority 255\n track-backend app weight -10\n", 8, "priority 255 (address owner) cannot be changed");
	expect_err("owner with a script's own weight", "vrrp-script s\n script /bin/true\n weight -2\n" BASE
		   " priority 255\n track-script s\n", 9, "priority 255 (address owner) cannot be changed");
	expect_err("vmac with IPv6", "vrrp w\n interface eth0\n virtual-router-id 1\n virtual-ipaddress 2001:db8::1\n use-vmac\n",
		   1, "use_vmac is supported for IPv4 instances only");
	expect_err("vmac with unicast", BASE " use-vmac\n unicast-peer 192.0.2.9\n", 1, "use_vmac with unicast peers");
	/* post-parse checks name the section's line */
	expect_err("no interface", "vrrp w\n virtual-router-id 1\n virtual-ipaddress 192.0.2.1\n", 1, "has no 'interface'");
	expect_err("no vrid", "vrrp w\n interface eth0\n virtual-ipaddress 192.0.2.1\n", 1, "has no 'virtual-router-id'");
	expect_err("no vip", "vrrp w\n interface eth0\n virtual-router-id 1\n", 1, "has no 'virtual-ipaddress'");
	expect_err("only excluded vips", "vrrp w\n interface eth0\n virtual-router-id 1\n virtual-ipaddress-excluded 192.0.2.1\n",
		   1, "has no 'virtual-ipaddress' to advertise");
	expect_err("unknown backend", BASE " track-backend nope\n", 5, "tracks unknown backend 'nope'");
	expect_err("frontend is not a backend", "frontend nope\n bind 127.0.0.1:1\n" BASE " track-backend nope\n", 7,
		   "tracks unknown backend 'nope'");
	expect_err("unknown script", BASE " track-script nope\n", 5, "tracks unknown vrrp_script 'nope'");
	expect_err("unknown track file", BASE " track-file nope\n", 5, "tracks unknown track_file 'nope'");
	expect_err("peer is a vip", BASE " unicast-peer 192.0.2.100\n", 1, "a unicast-peer is one of its virtual addresses");
	expect_err("same vrid, same interface",
		   BASE "vrrp two\n interface eth0\n virtual-router-id 51\n virtual-ipaddress 192.0.2.101\n", 5,
		   "uses virtual router id 51 on eth0");
	{
		struct cfg *c = load(BASE "vrrp two\n interface eth1\n virtual-router-id 51\n virtual-ipaddress 192.0.2.101\n"
				     "vrrp six\n interface eth0\n virtual-router-id 51\n virtual-ipaddress 2001:db8::1\n");
		CHECK("same vrid on another interface, or of the other family, is fine", c != NULL);
		cfg_free(c);
	}
	/* scripts */
	expect_err("script without command", "vrrp-script s\n interval 1s\n", 1, "needs a 'script'");
	expect_err("script two words", "vrrp-script s\n script /bin/true now\n", 2, "one argument");
	expect_err("script rise 0", "vrrp-script s\n rise 0\n", 2, "between 1 and 1000");
	expect_err("script weight 254", "vrrp-script s\n weight 254\n", 2, "between -253 and 253");
	expect_err("script unknown keyword", "vrrp-script s\n period 1s\n", 2, "unknown keyword 'period' in 'vrrp-script'");
	expect_err("script twice", "vrrp-script s\n script /bin/true\nvrrp-script s\n", 3, "already declared at");
	expect_err("track file relative", "vrrp-track-file f\n file x\n", 2, "absolute path");
	expect_err("track file init junk", "vrrp-track-file f\n file /x\n init-file 1 2\n", 3, "[<value>] [overwrite]");
	expect_err("group unknown member", "vrrp-sync-group g\n group nope\n", 1, "names unknown instance 'nope'");
	expect_err("group without members", "vrrp-sync-group g\n notify /bin/true\n", 1, "needs members");
	expect_err("group weighted track", "vrrp-sync-group g\n track-interface eth0 weight -2\n", 2, "takes no weight");
	expect_err("instance in two groups", BASE "vrrp-sync-group g\n group web\nvrrp-sync-group h\n group web\n", 1,
		   "one sync group only");
	expect_err("global script user", "global\n vrrp-script-user no-such-user-here\n", 2, "unknown user");
	put(kapath, "! empty\n");
	expect_err("keepalived-config twice", "global\n keepalived-config ka.conf\n keepalived-config ka.conf\n", 3,
		   "already set");
	expect_err("keepalived-config missing", "global\n keepalived-config no-such-file.conf\n", 2, "cannot open");
	expect_err("keepalived-config device", "global\n keepalived-config /dev/zero\n", 2, "not a regular file");
}

/* Script strings and the script security check. */
static void test_scripts(void)
{
	const char *why;
	char **a, path[256], dir[200], msg[256];
	int ok;

	a = vrrp_cmd_split("  /bin/x  'a b'  \"c 'd'\" e\\ f \\x41\\101\\t ", &why);
	ok = a && !strcmp(a[0], "/bin/x") && !strcmp(a[1], "a b") && !strcmp(a[2], "c 'd'") && !strcmp(a[3], "e f") &&
	     !strcmp(a[4], "AA\t") && !a[5];
	CHECK("cmd split: blanks, quotes, escapes", ok);
	for (int i = 0; a && a[i]; i++)
		free(a[i]);
	free(a);
	CHECK("cmd split: unclosed quote", !vrrp_cmd_split("/bin/x 'a", &why) && strstr(why, "not closed"));
	CHECK("cmd split: empty", !vrrp_cmd_split("   ", &why) && strstr(why, "empty"));
	CHECK("cmd split: trailing backslash", !vrrp_cmd_split("/bin/x \\", &why));
	CHECK("cmd split: NUL byte", !vrrp_cmd_split("/bin/x \\x00", &why));

	CHECK("script security: /bin/true is safe", vrrp_script_unsafe("/bin/true", msg, sizeof(msg)) == 0);
	snprintf(dir, sizeof(dir), "%s/open", tmpdir);
	mkdir(dir, 0777);
	chmod(dir, 0777);
	snprintf(path, sizeof(path), "%s/s.sh", dir);
	put(path, "#!/bin/sh\nexit 0\n");
	chmod(path, 0755);
	CHECK("script security: a world-writable directory is unsafe",
	      vrrp_script_unsafe(path, msg, sizeof(msg)) == 1 && strstr(msg, "writable by everyone"));
	chmod(dir, 0755);
	chmod(path, 0664);
	CHECK("script security: a group-writable script is unsafe",
	      vrrp_script_unsafe(path, msg, sizeof(msg)) == 1 && strstr(msg, "its group"));
	CHECK("script security: a missing script cannot be checked", vrrp_script_unsafe("/no/such", msg, sizeof(msg)) < 0);
	if (geteuid() == 0) {
		char text[600];
		struct cfg *c;

		snprintf(text, sizeof(text), "global\n vrrp-script-security\n" BASE " notify %s\n", path);
		expect_err("script security refuses an unsafe root script", text, 3, "vrrp-script-security refuses it");
		snprintf(text, sizeof(text), BASE " notify %s\n", path);
		c = load(text);
		CHECK("without script security: loads, with a SECURITY warning", c && logged("SECURITY: the notify script"));
		cfg_free(c);
		snprintf(text, sizeof(text), "global\n vrrp-script-security\n vrrp-script-user nobody\n" BASE " notify %s\n", path);
		c = load(text);
		CHECK("script security: an unsafe script that does not run as root is fine", c != NULL);
		cfg_free(c);
	}
	unlink(path);
	rmdir(dir);
}

/* ---- keepalived.conf ---- */

static const char KA_FULL[] =
	"! Configuration File for keepalived\n"
	"global_defs {\n"
	"   router_id LVS_DEVEL   # the name\n"
	"   vrrp_garp_master_delay 1\n"
	"   vrrp_garp_master_repeat 3\n"
	"   vrrp_garp_master_refresh 30\n"
	"   vrrp_garp_interval 0.001\n"
	"   vrrp_startup_delay 2.5\n"
	"   script_user nobody\n"
	"   enable_script_security\n"
	"}\n"
	"$PRIO=150\n"
	"$NET=192.168\n"
	"vrrp_script chk_app {\n"
	"    script \"/bin/sh -c 'test -f /tmp/ok # not a comment'\"\n"
	"    interval 2\n"
	"    timeout 1\n"
	"    weight -60\n"
	"    fall 2\n"
	"    rise 3\n"
	"}\n"
	"track_file maint {\n"
	"    file \"/tmp/tandem-ka-maint\"\n"
	"    weight 5\n"
	"    init_file 1\n"
	"}\n"
	"vrrp_instance VI_1 {\n"
	"    state MASTER\n"
	"    interface eth0\n"
	"    virtual_router_id 51\n"
	"    advert_int 1\n"
	"    nopreempt\n"
	"    preempt_delay 1.5\n"
	"    authentication {\n"
	"        auth_type PASS\n"
	"        auth_pass 1111\n"
	"    }\n"
	"    virtual_ipaddress {\n"
	"        ${NET}.200.16/24 dev eth0 label eth0:1\n"
	"        192.168.200.17 ! a comment\n"
	"    }\n"
	"    virtual_ipaddress_excluded { 10.9.9.9 }\n"
	"    track_script {\n"
	"        chk_app\n"
	"    }\n"
	"    track_interface {\n"
	"        eth1 weight -10\n"
	"    }\n"
	"    track_file {\n"
	"        maint weight 2\n"
	"    }\n"
	"    unicast_src_ip 192.168.200.1\n"
	"    unicast_peer {\n"
	"        192.168.200.2\n"
	"    }\n"
	"    notify_master \"/bin/echo master 'up now'\" nobody\n"
	"    notify /bin/true\n"
	"    garp_master_repeat 2\n"
	"}\n"
	"vrrp_instance VI_2 { # braces on the keyword's line\n"
	"    interface eth0\n"
	"    virtual_router_id 52\n"
	"    priority $PRIO\n"
	"    version 3\n"
	"    advert_int 0.1\n"
	"    virtual_ipaddress { 192.168.201.1 }\n"
	"    use_vmac vrrp52\n"
	"}\n"
	"vrrp_instance VI_6 {\n"
	"    interface eth0\n"
	"    virtual_router_id 53\n"
	"    advert_int 0.5\n"
	"    virtual_ipaddress {\n"
	"        2001:db8::10\n"
	"    }\n"
	"}\n"
	"vrrp_sync_group G1 {\n"
	"    group {\n"
	"        VI_1 VI_2\n"
	"    }\n"
	"    notify_fault \"/bin/echo fault\"\n"
	"}\n";

static void test_keepalived(void)
{
	struct cfg *c = load_ka(KA_FULL);
	struct vrrp_conf *v1, *v2, *v6;
	struct vrrp_script_conf *sc;
	struct vrrp_tfile_conf *tf;
	struct vrrp_group_conf *g;

	CHECK("keepalived.conf loads", c != NULL);
	if (!c) {
		printf("  %s\n", err);
		return;
	}
	v1 = nth(c, 0);
	v2 = nth(c, 1);
	v6 = nth(c, 2);
	CHECK("instance names, flavour", !strcmp(v1->name, "VI_1") && !strcmp(v2->name, "VI_2") &&
	      !strcmp(v6->name, "VI_6") && v1->flavor == VRRP_KEEPALIVED);
	CHECK("state MASTER without priority: 255 (keepalived derives it)", v1->init_master && v1->priority == 255);
	CHECK("keepalived's default version 2, whole seconds", v1->version == 2 && v1->adver_cs == 100);
	CHECK("nopreempt, preempt_delay 1.5", !v1->preempt && v1->preempt_delay_ms == 1500);
	CHECK("PASS authentication", v1->auth_type == VRRP_AUTH_PASS && !memcmp(v1->auth_pass, "1111\0\0\0\0", 8));
	CHECK("virtual_ipaddress with ${NET}, dev, label; comment after an address",
	      v1->nvips == 3 && v1->vips[0].ip.a[0] == 192 && v1->vips[0].ip.a[2] == 200 && v1->vips[0].plen == 24 &&
	      !strcmp(v1->vips[0].label, "eth0:1") && v1->vips[1].ip.a[3] == 17 && v1->vips[2].excluded);
	CHECK("tracks: script, interface, file (weights 0: sync group member)",
	      v1->ntracks == 3 && v1->tracks[0].kind == VRRP_TRK_SCRIPT && v1->tracks[0].weight == 0 &&
	      v1->tracks[1].kind == VRRP_TRK_IF && v1->tracks[1].weight == 0 /* sync group member */ &&
	      v1->tracks[2].kind == VRRP_TRK_FILE);
	CHECK("unicast source and peer", v1->src.a[3] == 1 && v1->npeers == 1 && v1->peers[0].a[3] == 2);
	CHECK("notify_master split from its quoted string, user", argv_is(v1->notify[VRRP_NOTIFY_MASTER].argv,
	      "/bin/echo", "master", "up now") && v1->notify[VRRP_NOTIFY_MASTER].uid > 0 &&
	      argv_is(v1->notify[VRRP_NOTIFY_GENERIC].argv, "/bin/true", NULL, NULL));
	CHECK("garp: instance repeat, global delay/refresh/interval", v1->garp_repeat == 2 && v1->garp_delay_ms == 1000 &&
	      v1->garp_refresh_ms == 30000 && v1->garp_interval_ms == 1 && v1->garp_lower_repeat == 2 &&
	      v1->garp_lower_delay_ms == 1000);
	CHECK("startup delay from global_defs", v1->startup_delay_ms == 2500 && v2->startup_delay_ms == 2500);
	CHECK("use_vmac with a name", !v1->use_vmac && v2->use_vmac && !strcmp(v2->vmac_name, "vrrp52"));
	CHECK("VI_2: $PRIO, version 3, advert 0.1", v2->priority == 150 && v2->version == 3 && v2->adver_cs == 10 &&
	      v2->nvips == 1 && !v2->init_master && v2->priority == 150);
	CHECK("VI_6: IPv6 runs version 3, advert 0.5", v6->af == AF_INET6 && v6->version == 3 && v6->adver_cs == 50 &&
	      v6->priority == 100);
	sc = vrrp_script_find(c->vrrp, "chk_app");
	CHECK("vrrp_script: quoted script, interval, timeout, weight, rise, fall",
	      sc && argv_is(sc->cmd.argv, "/bin/sh", "-c", "test -f /tmp/ok # not a comment") && sc->interval_ms == 2000 &&
	      sc->timeout_ms == 1000 && sc->weight == -60 && sc->fall == 2 && sc->rise == 3);
	tf = vrrp_tfile_find(c->vrrp, "maint");
	CHECK("track_file", tf && !strcmp(tf->path, "/tmp/tandem-ka-maint") && tf->weight == 5 && tf->init && tf->init_value == 1);
	g = vrrp_group_find(c->vrrp, "G1");
	CHECK("vrrp_sync_group", g && g->nmembers == 2 && argv_is(g->notify[VRRP_NOTIFY_FAULT].argv, "/bin/echo", "fault", NULL));
	CHECK("global_defs: router_id, script user, security", !strcmp(c->vrrp->router_id, "LVS_DEVEL") &&
	      c->vrrp->script_uid > 0 && c->vrrp->script_security);
	CHECK("instances point to the keepalived.conf for messages", strstr(v1->file, "ka.conf") && v1->line == 27);
	cfg_free(c);

	/* keepalived rounds a version 2 interval to whole seconds */
	c = load_ka("vrrp_instance X {\n interface eth0\n virtual_router_id 1\n advert_int 0.6\n"
		    " virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
	CHECK("v2 advert_int 0.6: 1 s with a warning", c && nth(c, 0)->adver_cs == 100 && logged("is used as 1 s"));
	cfg_free(c);
	c = load_ka("global_defs {\n vrrp_version 3\n vrrp_min_garp\n}\nvrrp_instance X {\n interface eth0\n"
		    " virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
	CHECK("vrrp_version 3 in global_defs; vrrp_min_garp", c && nth(c, 0)->version == 3 && nth(c, 0)->garp_repeat == 1 &&
	      nth(c, 0)->garp_delay_ms == 0 && nth(c, 0)->higher_prio_send_advert);
	cfg_free(c);
	c = load_ka("global_defs {\n vrrp_higher_prio_send_advert off\n}\nvrrp_instance X {\n interface eth0\n"
		    " virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvrrp_instance Y {\n interface eth0\n"
		    " virtual_router_id 2\n higher_prio_send_advert\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n");
	CHECK("higher_prio_send_advert: global off, instance on", c && !nth(c, 0)->higher_prio_send_advert &&
	      nth(c, 1)->higher_prio_send_advert);
	cfg_free(c);
}

static void test_keepalived_lexical(void)
{
	char host[256], text[1024], inc[256], sub[256];
	struct cfg *c;

	/* @conditions match the host name's first label (keepalived's config id) */
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = 0;
	host[strcspn(host, ".")] = 0;
	snprintf(text, sizeof(text), "vrrp_instance X {\n interface eth0\n virtual_router_id 1\n"
		 " @%s priority 201\n @^%s priority 99\n @other-host priority 98\n"
		 " virtual_ipaddress {\n 10.0.0.1\n }\n}\n", host, host);
	c = load_ka(text);
	CHECK("@id and @^id lines", c && nth(c, 0)->priority == 201);
	cfg_free(c);
	c = load_ka("$P=7\n$Q=${P}0\nvrrp_instance X {\n interface eth0\n virtual_router_id $Q\n priority ${_HASH}\n"
		    " virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
	CHECK("${_HASH} is a '#', not a comment", !c && strstr(err, "got '#'"));
	cfg_free(c);
	c = load_ka("$P=7\n$Q=${P}0\nvrrp_instance X {\n interface eth0\n virtual_router_id $Q\n"
		    " virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
	CHECK("$definitions used in definitions, substituted at use", c && nth(c, 0)->vrid == 70);
	cfg_free(c);
	c = load_ka("vrrp_instance X\n{\n interface eth0\n virtual_router_id 1 # id\n"
		    " virtual_ipaddress\n {\n 10.0.0.1\n }\n}\n");
	CHECK("braces on their own lines", c && nth(c, 0)->nvips == 1);
	cfg_free(c);
	c = load_ka("vrrp_instance X{interface eth0\n virtual_router_id 1\n virtual_ipaddress {10.0.0.1}}\n");
	CHECK("braces glued to words", c && nth(c, 0)->nvips == 1 && !strcmp(nth(c, 0)->ifname, "eth0"));
	cfg_free(c);

	/* include: relative to the including file, glob patterns */
	snprintf(sub, sizeof(sub), "%s/conf.d", tmpdir);
	mkdir(sub, 0755);
	snprintf(inc, sizeof(inc), "%s/conf.d/a.conf", tmpdir);
	put(inc, "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
	snprintf(inc, sizeof(inc), "%s/conf.d/b.conf", tmpdir);
	put(inc, "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n");
	c = load_ka("include conf.d/*.conf\ninclude conf.d/none-*.conf\n");
	CHECK("include with a glob, in order; a plain include of nothing only warns",
	      c && !strcmp(nth(c, 0)->name, "A") && !strcmp(nth(c, 1)->name, "B") && logged("matches no file"));
	cfg_free(c);
	expect_ka_err("includem of nothing is an error", "includem conf.d/none-*.conf\n", 1, "matches no file");
	put(inc, "vrrp_instance B {\n interface eth0\n  virtual_router_id 300\n}\n");
	expect_err_in("an error in an included file names that file and line", load_ka("include conf.d/b.conf\n"),
		      inc, 3, "from 1 to 255");
	put(inc, "include b.conf\n");
	expect_err_in("an include loop", load_ka("include conf.d/b.conf\n"), inc, 1, "nested files");
	unlink(inc);
	snprintf(inc, sizeof(inc), "%s/conf.d/a.conf", tmpdir);
	unlink(inc);
	rmdir(sub);
}

static void test_keepalived_errors(void)
{
	expect_ka_err("virtual_server refused", "virtual_server 10.0.0.1 80 {\n delay_loop 6\n real_server 10.0.0.2 80 {\n"
		      " weight 1\n }\n}\n", 1, "keepalived's LVS (IPVS) part is not implemented");
	expect_ka_err("smtp_alert refused", "vrrp_instance X {\n smtp_alert\n}\n", 2, "tandem sends no e-mail");
	expect_ka_err("notification_email refused", "global_defs {\n notification_email {\n a@b\n }\n}\n", 2,
		      "tandem sends no e-mail");
	expect_ka_err("vrrp_strict refused", "global_defs {\n vrrp_strict\n}\n", 2, "no_accept");
	expect_ka_err("unknown keyword", "vrrp_instance X {\n interface eth0\n bogus_keyword 1\n}\n", 3,
		      "'bogus_keyword' is not implemented by tandem");
	expect_ka_err("unknown top-level", "static_routes {\n 10.0.0.0/8 dev eth0\n}\n", 1, "'static_routes' is not implemented");
	expect_ka_err("missing {", "vrrp_instance X\n interface eth0\n", 2, "'{' expected, got 'interface'");
	expect_ka_err("extra }", "}\n", 1, "extra '}'");
	expect_ka_err("block not closed", "vrrp_instance X {\n interface eth0\n", 2, "'}' missing");
	expect_ka_err("AH refused", "vrrp_instance X {\n interface eth0\n virtual_router_id 1\n authentication {\n"
		      " auth_type AH\n auth_pass x\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", 1,
		      "authentication type AH (IPsec AH, RFC 2338) is not supported");
	expect_ka_err("auth with version 3", "vrrp_instance X {\n interface eth0\n virtual_router_id 1\n version 3\n"
		      " authentication {\n auth_type PASS\n auth_pass x\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", 1,
		      "authentication exists in VRRP version 2 only");
	expect_ka_err("bad priority", "vrrp_instance X {\n priority 256\n}\n", 2, "from 1 to 255");
	expect_ka_err("bad advert", "vrrp_instance X {\n advert_int 1,5\n}\n", 2, "expects seconds");
	expect_ka_err("bad address option", "vrrp_instance X {\n virtual_ipaddress {\n 10.0.0.1/24 nodad\n }\n}\n", 3,
		      "option 'nodad' is not implemented");
	expect_ka_err("unicast_peer ttl", "vrrp_instance X {\n unicast_peer {\n 10.0.0.2 min_ttl 1\n }\n}\n", 3,
		      "'min_ttl' is not implemented");
	expect_ka_err("track reverse", "vrrp_instance X {\n track_interface {\n eth0 weight 1 reverse\n }\n}\n", 3,
		      "'reverse' is not implemented");
	expect_ka_err("vmac with a MAC", "vrrp_instance X {\n use_vmac v 00:00:5e:00:01:01\n}\n", 2, "MAC address of your own");
	expect_ka_err("no_accept refused", "vrrp_instance X {\n no_accept\n}\n", 2, "cannot drop their traffic");
	expect_ka_err("script with unquoted arguments", "vrrp_script s {\n script /bin/echo a\n}\n", 2,
		      "quote a command with arguments");
	expect_ka_err("script twice", "vrrp_script s {\n script /bin/true\n}\nvrrp_script s {\n}\n", 4, "already declared");
	expect_ka_err("sequence blocks", "~SEQ(i, 1, 1, 3) x\n", 1, "not supported by tandem");
	expect_ka_err("multiline definition", "$X= \\\n", 1, "multiline definition");
	expect_ka_err("unmatched quote", "vrrp_instance \"X {\n}\n", 1, "double quote");
	expect_ka_err("unknown script referenced", "vrrp_instance X {\n interface eth0\n virtual_router_id 1\n"
		      " track_script {\n nope\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", 5, "unknown vrrp_script 'nope'");
	{
		/* many stray blocks: reported, skipped, the stack does not grow */
		size_t n = 200000, len = 0;
		char *big = malloc(32 + 4 * n);

		len += (size_t)sprintf(big, "vrrp_instance X {\n");
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(big + len, "{\n}\n");
		sprintf(big + len, "}\n");
		expect_ka_err("200000 stray blocks", big, 2, "unexpected '{'");
		free(big);
	}
	{
		/* the native section is loaded after keepalived-config's instances */
		struct cfg *c;

		put(kapath, "vrrp_instance web {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
		c = load("global\n keepalived-config ka.conf\n" BASE);
		CHECK("a native section named like a keepalived instance is refused", !c && strstr(err, "same name"));
		cfg_free(c);
	}
}

/* kac_load_mem() with a collecting reporter: what the fuzzer drives. */
static int nerr_seen;
static void count_err(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx; (void)file; (void)line; (void)msg;
	nerr_seen++;
}

static void test_mem(void)
{
	struct list insts;
	struct vrrp_set set;
	struct kac_out out = { .insts = &insts, .set = &set, .err = count_err, .warn = NULL, .no_include = 1,
			       .config_id = "main" };
	int n;

	list_init(&insts);
	vrrp_set_init(&set);
	n = kac_load_mem("mem", "@main vrrp_script s {\n script /bin/true\n}\ninclude /etc/x\n", 56, &out);
	CHECK("from memory: @main kept, include refused when asked", n == 1 && nerr_seen == 1 && vrrp_script_find(&set, "s"));
	vrrp_set_release(&set);
	while (!list_empty(&insts)) {
		struct vrrp_conf *c = list_entry(insts.next, struct vrrp_conf, link);

		list_del(&c->link);
		vrrp_conf_free(c);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tandem-vrrpcfg-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	chmod(tmpdir, 0755);
	snprintf(cfgpath, sizeof(cfgpath), "%s/t.cfg", tmpdir);
	snprintf(kapath, sizeof(kapath), "%s/ka.conf", tmpdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	log_setup(logfd, LL_DEBUG, "tandem");
	test_defaults();
	test_full();
	test_errors();
	test_scripts();
	test_keepalived();
	test_keepalived_lexical();
	test_keepalived_errors();
	test_mem();
	unlink(cfgpath);
	unlink(kapath);
	unlink(logpath);
	rmdir(tmpdir);
	close(logfd);
	UNIT_END();
}
