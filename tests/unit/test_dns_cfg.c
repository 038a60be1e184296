/* DNS discovery, configuration side (src/cfg/kw_resolvers.c): the
 * `resolvers` section and its defaults, the server keywords, init-addr in
 * order, server-template, and the errors (file:line and the word) for a
 * nameserver that is not an address, an unknown section, a template count
 * out of range, a name that is not one. Host names: getaddrinfo is replaced
 * (only "localhost" and "multi.test" resolve), so nothing leaves the
 * machine. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <tandem/cfg.h>
#include <tandem/dns.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include <stdarg.h>
#include "unit.h"

/* CHECKF with room for whole error lines */
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

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	static const char *const multi[] = { "10.0.0.1", "10.0.0.2", "fd00::3", NULL };
	const char *const one[] = { "127.0.0.1", NULL };
	const char *const *list;
	struct addrinfo *head = NULL, **tail = &head;

	(void)service;
	if (!node)
		return EAI_NONAME;
	if (!strcmp(node, "localhost"))
		list = one;
	else if (!strcmp(node, "multi.test"))
		list = multi;
	else
		return EAI_NONAME;
	for (int i = 0; list[i]; i++) {
		struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in6));
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(ai + 1);
		struct sockaddr_in *s4 = (struct sockaddr_in *)(ai + 1);
		int v6 = strchr(list[i], ':') != NULL;

		if (hints && hints->ai_family && hints->ai_family != (v6 ? AF_INET6 : AF_INET)) {
			free(ai);
			continue;
		}
		if (v6) {
			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, list[i], &s6->sin6_addr);
			ai->ai_addrlen = sizeof(*s6);
		} else {
			s4->sin_family = AF_INET;
			inet_pton(AF_INET, list[i], &s4->sin_addr);
			ai->ai_addrlen = sizeof(*s4);
		}
		ai->ai_family = v6 ? AF_INET6 : AF_INET;
		ai->ai_socktype = SOCK_STREAM;
		ai->ai_addr = (struct sockaddr *)(ai + 1);
		*tail = ai;
		tail = &ai->ai_next;
	}
	*res = head;
	return head ? 0 : EAI_NONAME;
}

void freeaddrinfo(struct addrinfo *res)
{
	while (res) {
		struct addrinfo *n = res->ai_next;

		free(res);
		res = n;
	}
}

static char path[] = "/tmp/tandem-test-dnscfg-XXXXXX";
static char err[2048];

static struct cfg *load(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return cfg_load(path, err, sizeof(err));
}

/* Refused with "FILE:<line>: <msg...>" (msg a prefix). */
static void expect_err(const char *name, const char *text, int line, const char *msg)
{
	char want[1024];
	struct cfg *c = load(text);

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	CHECKF(!c && !strncmp(err, want, strlen(want)), "refused: %s", name);
	if (c || strncmp(err, want, strlen(want)))
		printf("  got:  %s\n  want: %s\n", c ? "(loaded)" : err, want);
	cfg_free(c);
}

static struct server *srv(struct cfg *c, const char *be, const char *name)
{
	struct proxy *px = c ? cfg_find_proxy(c, be, PR_CAP_BE) : NULL;

	return px ? proxy_find_server(px, name) : NULL;
}

static const char *addr(const struct server *s, char *buf, size_t len)
{
	int port = 0;

	if (!s || (s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6))
		return "-";
	if (s->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&s->addr)->sin_addr, buf, (socklen_t)len);
		port = ntohs(((const struct sockaddr_in *)&s->addr)->sin_port);
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&s->addr)->sin6_addr, buf, (socklen_t)len);
		port = ntohs(((const struct sockaddr_in6 *)&s->addr)->sin6_port);
	}
	snprintf(buf + strlen(buf), len - strlen(buf), ":%d", port);
	return buf;
}

#define RS "resolvers dns\n  nameserver ns1 127.0.0.1:53\n"
#define DEF "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"

static void test_section(void)
{
	struct cfg *c = load("resolvers dns\n"
			     "  nameserver ns1 127.0.0.1:5353\n"
			     "  nameserver ns2 [::1]\n"
			     "  nameserver ns3 tcp@10.0.0.3:53\n"
			     "  resolve_retries 5\n"
			     "  timeout resolve 2s\n"
			     "  timeout retry 300ms\n"
			     "  hold valid 1s\n  hold nx 2s\n  hold timeout 3s\n  hold refused 4s\n  hold other 5s\n"
			     "  hold obsolete 6s\n"
			     "  accepted_payload_size 8192\n"
			     "resolvers other\n  nameserver a 127.0.0.2\n");
	struct resolvers *rs, *o;
	struct dns_nameserver *n1, *n2, *n3;

	CHECKF(c != NULL, "section loads (%s)", err);
	if (!c)
		return;
	rs = list_entry(c->resolvers.next, struct resolvers, link);
	o = list_entry(c->resolvers.prev, struct resolvers, link);
	n1 = list_entry(rs->nameservers.next, struct dns_nameserver, link);
	n2 = list_entry(n1->link.next, struct dns_nameserver, link);
	n3 = list_entry(n2->link.next, struct dns_nameserver, link);
	CHECK("section values", !strcmp(rs->id, "dns") && rs->nns == 3 && rs->resolve_retries == 5 &&
	      rs->timeout_resolve == 2000 && rs->timeout_retry == 300 && rs->hold_valid == 1000 && rs->hold_nx == 2000 &&
	      rs->hold_timeout == 3000 && rs->hold_refused == 4000 && rs->hold_other == 5000 &&
	      rs->hold_obsolete == 6000 && rs->payload_size == 8192);
	CHECK("nameservers", !strcmp(n1->id, "ns1") && n1->addr.ss_family == AF_INET && !n1->tcp &&
	      ntohs(((struct sockaddr_in *)&n1->addr)->sin_port) == 5353 &&
	      n2->addr.ss_family == AF_INET6 && ntohs(((struct sockaddr_in6 *)&n2->addr)->sin6_port) == 53 &&
	      n3->tcp && !strcmp(n3->id, "ns3"));
	CHECK("HAProxy's defaults", !strcmp(o->id, "other") && o->resolve_retries == 3 && o->timeout_resolve == 1000 &&
	      o->timeout_retry == 1000 && o->hold_valid == 10000 && o->hold_nx == 30000 && o->hold_timeout == 30000 &&
	      o->hold_refused == 30000 && o->hold_other == 30000 && o->hold_obsolete == 0 && o->payload_size == 512);
	cfg_free(c);

	c = load("resolvers r\n  parse-resolv-conf\n  nameserver extra 127.0.0.1\n");
	if (access("/etc/resolv.conf", R_OK) == 0)
		CHECKF(c != NULL, "parse-resolv-conf loads (%s)", err);
	else
		CHECKF(!c && strstr(err, "'parse-resolv-conf' : failed to open /etc/resolv.conf."),
		       "parse-resolv-conf without the file: an error (%s)", err);
	cfg_free(c);
	c = load(RS "  resolution_pool_size 64\n");
	CHECK("resolution_pool_size: deprecated, accepted", c != NULL);
	cfg_free(c);

	expect_err("nameserver not an address", "resolvers dns\n  nameserver ns1 dns.example:53\n", 2,
		   "'nameserver ns1' : invalid address 'dns.example:53' ");
	expect_err("nameserver bad port", "resolvers dns\n  nameserver ns1 127.0.0.1:99999\n", 2,
		   "'nameserver ns1' : invalid address '127.0.0.1:99999' ");
	expect_err("nameserver port 0", "resolvers dns\n  nameserver ns1 127.0.0.1:0\n", 2,
		   "'nameserver ns1' : invalid address '127.0.0.1:0' ");
	expect_err("nameserver without address", "resolvers dns\n  nameserver ns1\n", 2,
		   "'nameserver' expects <name> and <addr>[:<port>] as arguments.");
	expect_err("nameserver twice", RS "  nameserver ns1 127.0.0.2:53\n", 3,
		   "'nameserver' : resolvers 'dns' already has a nameserver named 'ns1'.");
	expect_err("no nameserver", "resolvers dns\n  hold valid 1s\n", 1,
		   "resolvers 'dns' has no nameserver (add 'nameserver' or 'parse-resolv-conf').");
	expect_err("section twice", RS "resolvers dns\n  nameserver n 127.0.0.1\n", 3,
		   "resolvers 'dns' has the same name as resolvers declared at ");
	expect_err("section without name", "resolvers\n", 1, "missing name for resolvers section.");
	expect_err("unknown keyword", RS "  nameservers x\n", 3, "unknown keyword 'nameservers' in 'resolvers' section.");
	expect_err("hold status", RS "  hold forever 1s\n", 3, "'hold' expects 'nx', 'other', 'refused', 'timeout', 'valid' or 'obsolete'");
	expect_err("hold time", RS "  hold nx 1x\n", 3, "invalid time value '1x' for 'hold'");
	expect_err("hold valid 0", RS "  hold valid 0\n", 3, "'hold valid' expects a time greater than 0.");
	expect_err("timeout event", RS "  timeout query 1s\n", 3, "'timeout' expects 'retry' or 'resolve'");
	expect_err("timeout 0", RS "  timeout retry 0\n", 3, "'timeout retry' expects a time greater than 0.");
	expect_err("retries 0", RS "  resolve_retries 0\n", 3, "");
	expect_err("payload too small", RS "  accepted_payload_size 511\n", 3,
		   "'accepted_payload_size' expects a number between 512 and 65535 (got '511').");
	expect_err("payload too big", RS "  accepted_payload_size 65536\n", 3,
		   "'accepted_payload_size' expects a number between 512 and 65535");
}

static void test_server_keywords(void)
{
	char b[80];
	struct cfg *c = load(RS DEF "backend be\n"
			     "  default-server resolvers dns init-addr none\n"
			     "  server a web.test:80 resolve-prefer ipv4 resolve-net 10.0.0.0/8,fd00::/8 "
			     "resolve-opts allow-dup-ip,ignore-weight\n"
			     "  server b 127.0.0.9:81\n"
			     "  server c localhost:82 init-addr libc\n");
	struct server *a = srv(c, "be", "a"), *bs = srv(c, "be", "b"), *cs = srv(c, "be", "c");

	CHECKF(c != NULL, "server keywords load (%s)", err);
	if (!c)
		return;
	CHECK("a: name, port, section, RMAINT (init-addr none from default-server)",
	      a && !strcmp(a->hostname, "web.test") && a->hostport == 80 && a->resolvers &&
	      !strcmp(a->resolvers->id, "dns") && (a->admin & SRV_ADMF_RMAINT) && !(a->admin & SRV_ADMF_FMAINT) &&
	      a->addrlen == 0);
	CHECK("a: options", a && a->resolve_prefer == AF_INET && a->n_resolve_net == 2 &&
	      a->resolve_net[0].af == AF_INET && a->resolve_net[0].bits == 8 && a->resolve_net[1].af == AF_INET6 &&
	      a->resolve_opts == (SRV_RSLV_ALLOW_DUP_IP | SRV_RSLV_IGNORE_WEIGHT));
	CHECK("b: an address: no name, no maintenance", bs && !bs->hostname && !(bs->admin & SRV_ADMF_MAINT) &&
	      !strcmp(addr(bs, b, sizeof(b)), "127.0.0.9:81"));
	CHECK("c: init-addr libc", cs && !strcmp(addr(cs, b, sizeof(b)), "127.0.0.1:82") &&
	      !(cs->admin & SRV_ADMF_RMAINT) && !strcmp(cs->hostname, "localhost"));
	cfg_free(c);

	/* a name without resolvers nor init-addr: resolved now, as always */
	c = load(DEF "backend be\n  server a localhost:80\n");
	CHECK("plain name resolved at load", c && srv(c, "be", "a")->addrlen && srv(c, "be", "a")->hostname &&
	      !srv(c, "be", "a")->resolvers);
	cfg_free(c);
	expect_err("plain name that does not resolve", DEF "backend be\n  server a nowhere.test:80\n", 7,
		   "'server a': could not resolve address 'nowhere.test'");

	expect_err("unknown resolvers section", RS DEF "backend be\n  server a web.test:80 resolvers nope init-addr none\n",
		   9, "'server be/a' : unable to find required resolvers 'nope'.");
	expect_err("resolve-prefer", RS DEF "backend be\n  server a 1.2.3.4:80 resolve-prefer ipv5\n", 9,
		   "'resolve-prefer' expects either ipv4 or ipv6 as argument.");
	expect_err("resolve-opts", RS DEF "backend be\n  server a 1.2.3.4:80 resolve-opts dup\n", 9,
		   "'resolve-opts' : unknown resolve-opts option 'dup'");
	expect_err("resolve-net", RS DEF "backend be\n  server a 1.2.3.4:80 resolve-net 10.0.0.0/33\n", 9,
		   "'resolve-net' : invalid network '10.0.0.0/33'.");
	expect_err("resolve-net too many", RS DEF "backend be\n  server a 1.2.3.4:80 resolve-net "
		   "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8\n", 9,
		   "'resolve-net' : too many networks (at most 5).");
	expect_err("init-addr method", RS DEF "backend be\n  server a web.test:80 init-addr libc,dns\n", 9,
		   "'init-addr' : unknown init-addr method 'dns'");
	expect_err("init-addr nothing resolves", RS DEF "backend be\n  server a web.test:80 resolvers dns init-addr libc\n",
		   9, "'server a': could not resolve address 'web.test' (init-addr: no method gave one).");
	expect_err("invalid FQDN", RS DEF "backend be\n  server a web..test:80 resolvers dns init-addr none\n", 9,
		   "'server a': invalid FQDN 'web..test' ");
	expect_err("FQDN label too long", RS DEF "backend be\n  server a "
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test:80 resolvers dns init-addr none\n",
		   9, "'server a': invalid FQDN ");
	expect_err("name without port, checked", RS DEF "backend be\n  server a web.test resolvers dns init-addr none check\n", 9,
		   "backend 'be': server 'a' has neither service port nor check port.");
	expect_err("SRV label needs resolvers", RS DEF "backend be\n  server a _http._tcp.web.test\n", 9,
		   "'server a': '_http._tcp.web.test' is an SRV label: it needs 'resolvers'");

	/* init-addr: order as given; an address; none */
	c = load(RS DEF "backend be\n"
		 "  server a nowhere.test:80 resolvers dns init-addr libc,10.1.1.1,none\n"
		 "  server b nowhere.test:80 resolvers dns init-addr none,10.1.1.1\n"
		 "  server c localhost:80 resolvers dns init-addr 10.2.2.2,libc\n"
		 "  server d _http._tcp.web.test resolvers dns\n");
	CHECKF(c != NULL, "init-addr orders load (%s)", err);
	if (c) {
		CHECK("libc fails, the address follows", !strcmp(addr(srv(c, "be", "a"), b, sizeof(b)), "10.1.1.1:80") &&
		      !(srv(c, "be", "a")->admin & SRV_ADMF_RMAINT));
		CHECK("none first wins", srv(c, "be", "b")->addrlen == 0 && (srv(c, "be", "b")->admin & SRV_ADMF_RMAINT));
		CHECK("the address first wins over libc", !strcmp(addr(srv(c, "be", "c"), b, sizeof(b)), "10.2.2.2:80"));
		CHECK("an SRV label waits for DNS", srv(c, "be", "d")->addrlen == 0 &&
		      (srv(c, "be", "d")->admin & SRV_ADMF_RMAINT) && !strcmp(srv(c, "be", "d")->hostname, "_http._tcp.web.test"));
	}
	cfg_free(c);
}

static void test_template(void)
{
	char b[80];
	struct cfg *c = load(RS DEF "backend be\n"
			     "  server-template web 3 multi.test:8080 resolvers dns init-addr libc,none check\n"
			     "  server-template x 5-7 _http._tcp.svc.test resolvers dns weight 5\n");
	struct proxy *be = c ? cfg_find_proxy(c, "be", PR_CAP_BE) : NULL;

	CHECKF(c != NULL, "server-template loads (%s)", err);
	if (!c)
		return;
	CHECK("names from the prefix and the numbers", be->nsrv == 6 && srv(c, "be", "web1") && srv(c, "be", "web3") &&
	      !srv(c, "be", "web4") && srv(c, "be", "x5") && srv(c, "be", "x7") && !srv(c, "be", "x4"));
	/* libc gives each slot its own address, the preferred family (ipv6) first */
	CHECK("slot 1: first address (ipv6 preferred)", !strcmp(addr(srv(c, "be", "web1"), b, sizeof(b)), "fd00::3:8080"));
	CHECK("slot 2: second address", !strcmp(addr(srv(c, "be", "web2"), b, sizeof(b)), "10.0.0.1:8080"));
	CHECK("slot 3: third address", !strcmp(addr(srv(c, "be", "web3"), b, sizeof(b)), "10.0.0.2:8080"));
	CHECK("keywords on every slot", srv(c, "be", "web2")->has_check && srv(c, "be", "x6")->uweight == 5 &&
	      srv(c, "be", "x6")->resolvers);
	CHECK("SRV slots wait for DNS", (srv(c, "be", "x5")->admin & SRV_ADMF_RMAINT) && !srv(c, "be", "x5")->addrlen);
	CHECK("ids in order", srv(c, "be", "web1")->puid == 1 && srv(c, "be", "x7")->puid == 6);
	cfg_free(c);

	c = load(RS DEF "backend be\n  server-template s 4 multi.test:80 resolvers dns init-addr libc,none\n");
	CHECK("more slots than libc addresses: the rest wait", c && srv(c, "be", "s4") &&
	      (srv(c, "be", "s4")->admin & SRV_ADMF_RMAINT) && !(srv(c, "be", "s3")->admin & SRV_ADMF_RMAINT));
	cfg_free(c);

	expect_err("count 0", RS DEF "backend be\n  server-template s 0 web.test:80\n", 9,
		   "'server-template' : invalid number or range '0' (NUM or LOW-HIGH, 1 to 1024 servers, numbers from 1).");
	expect_err("count too big", RS DEF "backend be\n  server-template s 1025 web.test:80\n", 9,
		   "'server-template' : invalid number or range '1025'");
	expect_err("range reversed", RS DEF "backend be\n  server-template s 5-3 web.test:80\n", 9,
		   "'server-template' : invalid number or range '5-3'");
	expect_err("range too wide", RS DEF "backend be\n  server-template s 1-2000 web.test:80\n", 9,
		   "'server-template' : invalid number or range '1-2000'");
	expect_err("count not a number", RS DEF "backend be\n  server-template s x web.test:80\n", 9,
		   "'server-template' : invalid number or range 'x'");
	expect_err("template without name", RS DEF "backend be\n  server-template s 3\n", 9,
		   "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
	expect_err("template bad prefix", RS DEF "backend be\n  server-template s/ 3 web.test:80\n", 9,
		   "character '/' is not permitted in server-template prefix 's/'.");
	expect_err("template invalid FQDN", RS DEF "backend be\n  server-template s 3 web.-test!:80 resolvers dns init-addr none\n",
		   9, "'server s1': invalid FQDN ");
	expect_err("template names collide", RS DEF "backend be\n  server s2 1.2.3.4:80\n  server-template s 3 1.2.3.5:80\n", 10,
		   "backend 'be' has the same server name 's2' declared at ");
	expect_err("template in defaults", RS "defaults\n  server-template s 3 web.test:80\n", 4,
		   "'server-template' not allowed in 'defaults' section.");
}

/* init-addr last, and a reload's servers that DNS resolves: the previous
 * worker's record (shared area), for the same name only. */
static void test_last(void)
{
	struct shm_srv *r;
	struct cfg *c;
	char b[80];

	CHECK("shared area", shm_create() == 0);
	tdm_shm->worker_pid = getpid();
	/* a record as a worker publishes it */
	r = shm_srv_find("be", "a", 1);
	shm_srv_write_begin(r);
	r->addr.af = AF_INET;
	r->addr.port = 80;
	inet_pton(AF_INET, "10.9.9.9", r->addr.a);
	shm_put("web.test", 8, &r->fqdn);
	r->published_ms = 1;
	shm_srv_write_end(r);
	r = shm_srv_find("be", "b", 1);
	shm_srv_write_begin(r);
	r->dns = 1;
	r->admin = SRV_ADMF_RMAINT;
	shm_put("web.test", 8, &r->fqdn);
	r->published_ms = 1;
	shm_srv_write_end(r);

	c = load(RS DEF "backend be\n"
		 "  server a web.test:80 init-addr last,none\n"
		 "  server b web.test:80 resolvers dns init-addr libc,10.3.3.3\n"
		 "  server c web.test:80 init-addr last,10.4.4.4\n");
	CHECKF(c != NULL, "init-addr last loads (%s)", err);
	if (c) {
		CHECK("last: the previous worker's address", !strcmp(addr(srv(c, "be", "a"), b, sizeof(b)), "10.9.9.9:80") &&
		      !(srv(c, "be", "a")->admin & SRV_ADMF_RMAINT));
		CHECK("resolved by DNS before the reload: goes on without any query (no address, RMAINT)",
		      srv(c, "be", "b")->addrlen == 0 && (srv(c, "be", "b")->admin & SRV_ADMF_RMAINT));
		CHECK("no record: next method", !strcmp(addr(srv(c, "be", "c"), b, sizeof(b)), "10.4.4.4:80"));
	}
	cfg_free(c);
	/* another name in the new configuration: the record is not used */
	c = load(RS DEF "backend be\n  server a other.test:80 init-addr last,none\n");
	CHECK("last: only for the same name", c && srv(c, "be", "a")->addrlen == 0 &&
	      (srv(c, "be", "a")->admin & SRV_ADMF_RMAINT));
	cfg_free(c);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	log_setup(-1, LL_EMERG, NULL);
	test_section();
	test_server_keywords();
	test_template();
	test_last();
	unlink(path);
	UNIT_END();
}
