/* What answers do to servers (src/dns/dns_srv.c), without a network: the
 * DNS module is started on a configuration (channels set up, nothing sent:
 * the loop never turns here), then answers and failures are handed to the
 * groups as a resolution would. Covers scaling up and down (others never
 * move), duplicate addresses, families and networks, hold obsolete, SRV
 * slots (ports, weights, additional records, own resolutions of targets),
 * a mass change of an SRV set (converges in one answer), more records than
 * slots, failures within and past their hold, the operator's maintenance
 * apart from DNS's, and the reload handover of all of it. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/lb.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/shm.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include "../../src/dns/dns_int.h"
#include "unit.h"

static char path[] = "/tmp/tandem-test-dnssrv-XXXXXX";

static struct cfg *load(const char *text)
{
	char err[1024];
	FILE *f = fopen(path, "w");
	struct cfg *c;

	fputs(text, f);
	fclose(f);
	c = cfg_load(path, err, sizeof(err));
	if (!c)
		printf("# load: %s\n", err);
	return c;
}

static struct server *srv(struct cfg *c, const char *name)
{
	return proxy_find_server(cfg_find_proxy(c, "be", PR_CAP_BE), name);
}

/* "10.0.0.1:80", "-" without address */
static const char *where(const struct server *s)
{
	static char buf[8][80];
	static int n;
	char *b = buf[n++ % 8];
	struct sockaddr_storage ss;
	socklen_t len;

	srv_addr_get(s, &ss, &len);
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, b, 64);
		sprintf(b + strlen(b), ":%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, b, 64);
		sprintf(b + strlen(b), ":%d", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		strcpy(b, "-");
	}
	return b;
}

static int rmaint(const struct server *s)
{
	return !!(s->admin & SRV_ADMF_RMAINT);
}

/* ---- answers handed to a resolution ------------------------------------------ */

struct rec { int type; const char *a; const char *name; int port, weight, additional; };

static void set_result(struct dns_res *r, const struct rec *recs)
{
	int n = 0;

	while (recs[n].type)
		n++;
	free(r->cur.it);
	r->cur.it = calloc((size_t)(n ? n : 1), sizeof(*r->cur.it));
	r->cur.n = n;
	for (int i = 0; i < n; i++) {
		struct dns_item *it = &r->cur.it[i];

		it->type = recs[i].type;
		it->additional = recs[i].additional;
		if (recs[i].a) {
			it->addr.af = strchr(recs[i].a, ':') ? AF_INET6 : AF_INET;
			inet_pton(it->addr.af, recs[i].a, it->addr.a);
		}
		if (recs[i].name)
			snprintf(it->name, sizeof(it->name), "%s", recs[i].name);
		it->port = (uint16_t)recs[i].port;
		it->weight = (uint16_t)recs[i].weight;
	}
}

static void valid(struct server *s, const struct rec *recs, uint64_t now)
{
	struct dns_group *g = s->dns->grp;
	struct dns_res *r = g->res;

	set_result(r, recs);
	r->status = DNS_ST_VALID;
	r->last_valid = now;
	r->valid_ns = NULL;
	dns_group_apply(g, "dns/ns1", now);
}

static void fail(struct server *s, int status, uint64_t last_valid, uint64_t now)
{
	struct dns_group *g = s->dns->grp;

	g->res->status = status;
	g->res->last_valid = last_valid;
	dns_group_fail(g, now);
}

#define A(x)   { DNS_T_A, x, NULL, 0, 0, 0 }
#define AAAA(x){ DNS_T_AAAA, x, NULL, 0, 0, 0 }
#define SRV(t, p, w) { DNS_T_SRV, NULL, t, p, w, 0 }
#define AR(t, x) { DNS_T_A, x, t, 0, 0, 1 }
#define END    { 0, NULL, NULL, 0, 0, 0 }

#define RS "resolvers dns\n  nameserver ns1 127.0.0.1:53\n  hold obsolete %s\n  hold timeout 30s\n  hold nx 5s\n"
#define DEF "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"

static struct cfg *start(const char *be_lines, const char *obsolete)
{
	char text[4096];
	struct cfg *c;

	snprintf(text, sizeof(text), RS DEF "backend be\n%s", obsolete, be_lines);
	if (!(c = load(text)))
		return NULL;
	if (dns_start(c) < 0) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

static void stop(struct cfg *c)
{
	dns_stop();
	cfg_free(c);
}

/* ---- host names: a template's slots -------------------------------------------- */

static void test_scaling(void)
{
	struct cfg *c = start("  server-template web 3 web.test:8080 resolvers dns init-addr none\n", "0s");
	struct server *w1, *w2, *w3;
	uint64_t t = now_ms;

	CHECK("template started", c != NULL);
	if (!c)
		return;
	w1 = srv(c, "web1");
	w2 = srv(c, "web2");
	w3 = srv(c, "web3");
	CHECK("one group for the three slots, one resolution", w1->dns->grp == w3->dns->grp && w1->dns->grp->n == 3 &&
	      w1->dns->grp->res->refs == 1);
	CHECK("start: all wait", rmaint(w1) && rmaint(w2) && rmaint(w3) && !srv_usable(w1));

	valid(w1, (struct rec[]){ A("10.0.0.1"), A("10.0.0.2"), END }, t);
	CHECK("two records: two slots, in order", !strcmp(where(w1), "10.0.0.1:8080") &&
	      !strcmp(where(w2), "10.0.0.2:8080") && !rmaint(w1) && !rmaint(w2) && rmaint(w3) && srv_usable(w1));

	/* scale up, records in another order: nobody moves */
	valid(w1, (struct rec[]){ A("10.0.0.3"), A("10.0.0.2"), A("10.0.0.1"), END }, t + 1000);
	CHECK("scale up: the new one takes the free slot, the others stay",
	      !strcmp(where(w1), "10.0.0.1:8080") && !strcmp(where(w2), "10.0.0.2:8080") &&
	      !strcmp(where(w3), "10.0.0.3:8080") && !rmaint(w3));

	/* scale down: the first one goes; its slot drains (maintenance), the others stay */
	valid(w1, (struct rec[]){ A("10.0.0.2"), A("10.0.0.3"), END }, t + 2000);
	CHECK("scale down: only the gone one leaves", rmaint(w1) && !srv_usable(w1) && w1->dns->cause &&
	      !strcmp(w1->dns->cause, "No IP for server") &&
	      !strcmp(where(w2), "10.0.0.2:8080") && !strcmp(where(w3), "10.0.0.3:8080") && !rmaint(w2) && !rmaint(w3));
	CHECK("a drained slot keeps its last address (requests in flight end there)", !strcmp(where(w1), "10.0.0.1:8080"));

	/* a moved instance: new address in the free slot */
	valid(w1, (struct rec[]){ A("10.0.0.2"), A("10.0.0.3"), A("10.0.0.9"), END }, t + 3000);
	CHECK("a new address fills the free slot", !strcmp(where(w1), "10.0.0.9:8080") && !rmaint(w1));

	/* a failure within hold: nothing changes; past it: maintenance */
	fail(w1, DNS_ST_TIMEOUT, t + 3000, t + 3000 + 29000);
	CHECK("timeout within hold: servers kept", !rmaint(w1) && !rmaint(w2) && !rmaint(w3));
	fail(w1, DNS_ST_TIMEOUT, t + 3000, t + 3000 + 31000);
	CHECK("timeout past hold: maintenance by resolution, cause", rmaint(w1) && rmaint(w2) && rmaint(w3) &&
	      !strcmp(w2->dns->cause, "DNS timeout status"));
	CHECK("addresses kept for when DNS returns", !strcmp(where(w2), "10.0.0.2:8080"));
	valid(w1, (struct rec[]){ A("10.0.0.2"), A("10.0.0.3"), A("10.0.0.9"), END }, t + 40000);
	CHECK("valid again: back, nobody moved", !rmaint(w1) && !rmaint(w2) && !rmaint(w3) &&
	      !strcmp(where(w1), "10.0.0.9:8080") && !strcmp(where(w2), "10.0.0.2:8080"));
	fail(w1, DNS_ST_NX, t + 40000, t + 44000);
	CHECK("NXDOMAIN within hold nx: kept", !rmaint(w1));
	fail(w1, DNS_ST_NX, t + 40000, t + 46000);
	CHECK("NXDOMAIN past hold nx: maintenance", rmaint(w1) && !strcmp(w1->dns->cause, "DNS NX status"));
	stop(c);
}

static void test_operator(void)
{
	struct cfg *c = start("  server a web.test:80 resolvers dns init-addr none\n", "0s");
	struct server *a;

	if (!c)
		return;
	a = srv(c, "a");
	srv_set_admin_mode(a, SRV_ADMIN_MAINT, "stats socket");
	valid(a, (struct rec[]){ A("10.0.0.1"), END }, now_ms);
	CHECK("DNS does not end an operator's maintenance", !rmaint(a) && (a->admin & SRV_ADMF_FMAINT) &&
	      !srv_usable(a) && !strcmp(where(a), "10.0.0.1:80"));
	valid(a, (struct rec[]){ END }, now_ms);
	CHECK("both at once", rmaint(a) && (a->admin & SRV_ADMF_FMAINT));
	srv_set_admin_mode(a, SRV_ADMIN_READY, "stats socket");
	CHECK("'set server state ready' does not end DNS's", rmaint(a) && !(a->admin & SRV_ADMF_FMAINT) &&
	      !srv_usable(a) && srv_admin_mode(a) == SRV_ADMIN_READY);
	valid(a, (struct rec[]){ A("10.0.0.1"), END }, now_ms);
	CHECK("and DNS ends its own", !rmaint(a) && srv_usable(a));
	stop(c);
}

static void test_dup_family(void)
{
	struct cfg *c = start("  server a web.test:80 resolvers dns init-addr none\n"
			      "  server b web.test:80 resolvers dns init-addr none\n"
			      "  server x dup.test:80 resolvers dns init-addr none resolve-opts allow-dup-ip\n"
			      "  server y dup.test:80 resolvers dns init-addr none resolve-opts allow-dup-ip\n"
			      "  server v4 fam.test:80 resolvers dns init-addr none resolve-prefer ipv4\n"
			      "  server v6 fam2.test:80 resolvers dns init-addr none\n"
			      "  server n net.test:80 resolvers dns init-addr none resolve-prefer ipv4 resolve-net 192.168.0.0/16\n",
			      "0s");

	if (!c)
		return;
	valid(srv(c, "a"), (struct rec[]){ A("10.0.0.1"), END }, now_ms);
	CHECK("one address, two servers: no duplicate by default", !strcmp(where(srv(c, "a")), "10.0.0.1:80") &&
	      rmaint(srv(c, "b")));
	valid(srv(c, "x"), (struct rec[]){ A("10.0.0.5"), END }, now_ms);
	CHECK("allow-dup-ip: both use it", !strcmp(where(srv(c, "x")), "10.0.0.5:80") &&
	      !strcmp(where(srv(c, "y")), "10.0.0.5:80") && !rmaint(srv(c, "y")));
	valid(srv(c, "x"), (struct rec[]){ A("10.0.0.5"), A("10.0.0.6"), END }, now_ms);
	CHECK("allow-dup-ip with two: each its own", strcmp(where(srv(c, "x")), where(srv(c, "y"))));
	valid(srv(c, "v4"), (struct rec[]){ AAAA("fd00::1"), A("10.1.0.1"), END }, now_ms);
	CHECK("resolve-prefer ipv4", !strcmp(where(srv(c, "v4")), "10.1.0.1:80"));
	valid(srv(c, "v6"), (struct rec[]){ A("10.1.0.1"), AAAA("fd00::1"), END }, now_ms);
	CHECK("default preference: ipv6", !strcmp(where(srv(c, "v6")), "fd00::1:80"));
	valid(srv(c, "v6"), (struct rec[]){ A("10.1.0.1"), END }, now_ms);
	CHECK("only ipv4 left: ipv4", !strcmp(where(srv(c, "v6")), "10.1.0.1:80"));
	valid(srv(c, "n"), (struct rec[]){ A("10.1.0.1"), A("192.168.3.3"), END }, now_ms);
	CHECK("resolve-net", !strcmp(where(srv(c, "n")), "192.168.3.3:80"));
	stop(c);

	/* hold obsolete: a record missing from one answer is served on */
	c = start("  server-template w 2 web.test:80 resolvers dns init-addr none\n", "10s");
	if (!c)
		return;
	valid(srv(c, "w1"), (struct rec[]){ A("10.0.0.1"), A("10.0.0.2"), END }, now_ms);
	valid(srv(c, "w1"), (struct rec[]){ A("10.0.0.2"), END }, now_ms + 1000);
	CHECK("hold obsolete: kept while younger", !rmaint(srv(c, "w1")) && !strcmp(where(srv(c, "w1")), "10.0.0.1:80"));
	valid(srv(c, "w1"), (struct rec[]){ A("10.0.0.2"), END }, now_ms + 11000);
	CHECK("hold obsolete: gone after", rmaint(srv(c, "w1")) && !rmaint(srv(c, "w2")));
	stop(c);
}

/* ---- SRV records ------------------------------------------------------------------- */

static int usable(struct cfg *c, int n)
{
	char name[16];
	int u = 0;

	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		u += srv_usable(srv(c, name));
	}
	return u;
}

static void test_srv(void)
{
	struct cfg *c = start("  server-template t 3 _http._tcp.web.test resolvers dns\n", "0s");
	struct server *t1, *t2, *t3;
	uint64_t t = now_ms;

	if (!c)
		return;
	t1 = srv(c, "t1");
	t2 = srv(c, "t2");
	t3 = srv(c, "t3");
	valid(t1, (struct rec[]){ SRV("one.test", 8080, 10), SRV("two.test", 8081, 700), AR("one.test", "127.0.0.4"), END }, t);
	CHECK("SRV: records bound in order", !strcmp(t1->dns->target, "one.test") && t1->dns->port == 8080 &&
	      !strcmp(t2->dns->target, "two.test") && t2->dns->port == 8081 && !t3->dns->target[0]);
	CHECK("SRV: address from the additional record, the record's port", !strcmp(where(t1), "127.0.0.4:8080") &&
	      !rmaint(t1) && !t1->dns->sub);
	CHECK("SRV: weights from the records ((w+255)/256)", srv_uweight_get(t1) == 1 && srv_uweight_get(t2) == 3);
	CHECK("SRV: no additional record: its own resolution, waiting", rmaint(t2) && t2->dns->sub &&
	      !strcmp(t2->dns->sub->name, "two.test") && t2->dns->sub->kind == DNS_K_HOST);
	CHECK("SRV: the free slot waits", rmaint(t3));
	/* the target's own resolution answers */
	set_result(t2->dns->sub, (struct rec[]){ A("127.0.0.6"), END });
	t2->dns->sub->status = DNS_ST_VALID;
	dns_slots_apply(t2->dns->sub, "dns/ns1", t);
	CHECK("SRV: the target resolved: in service on the record's port", !strcmp(where(t2), "127.0.0.6:8081") && !rmaint(t2));

	/* the port of a record changes: another record, same target */
	valid(t1, (struct rec[]){ SRV("one.test", 9090, 256), SRV("two.test", 8081, 700), AR("one.test", "127.0.0.4"),
				  AR("two.test", "127.0.0.6"), END }, t + 1000);
	CHECK("SRV: a new port is a new record", usable(c, 3) == 2 &&
	      ((t1->dns->port == 9090 && !strcmp(where(t1), "127.0.0.4:9090")) ||
	       (t3->dns->port == 9090 && !strcmp(where(t3), "127.0.0.4:9090"))));
	CHECK("SRV: an additional record now: the own resolution is released", !t2->dns->sub && !rmaint(t2));

	/* a mass change: every record replaced at once */
	valid(t1, (struct rec[]){ SRV("a.test", 1001, 10), SRV("b.test", 1002, 10), SRV("c.test", 1003, 10),
				  AR("a.test", "10.0.1.1"), AR("b.test", "10.0.1.2"), AR("c.test", "10.0.1.3"), END }, t + 2000);
	CHECK("mass SRV change: converges in one answer, all three in service", usable(c, 3) == 3 &&
	      !rmaint(t1) && !rmaint(t2) && !rmaint(t3));
	{
		int seen = 0;

		for (int i = 1; i <= 3; i++) {
			const char *w = where(srv(c, i == 1 ? "t1" : i == 2 ? "t2" : "t3"));

			seen |= !strcmp(w, "10.0.1.1:1001") << 0 | !strcmp(w, "10.0.1.2:1002") << 1 |
				!strcmp(w, "10.0.1.3:1003") << 2;
		}
		CHECK("mass SRV change: each new record once", seen == 7);
	}
	/* more records than slots */
	valid(t1, (struct rec[]){ SRV("a.test", 1001, 10), SRV("b.test", 1002, 10), SRV("c.test", 1003, 10),
				  SRV("d.test", 1004, 10), AR("a.test", "10.0.1.1"), AR("b.test", "10.0.1.2"),
				  AR("c.test", "10.0.1.3"), AR("d.test", "10.0.1.4"), END }, t + 3000);
	CHECK("more records than slots: the slots stay, the rest is counted", usable(c, 3) == 3 &&
	      t1->dns->grp->unplaced == 1);
	/* scale to zero: NOERROR without records */
	valid(t1, (struct rec[]){ END }, t + 4000);
	CHECK("no record: every slot drains", usable(c, 3) == 0 && rmaint(t1) &&
	      !strcmp(t1->dns->cause, "entry removed from SRV record") && !t1->dns->target[0]);
	/* ignore-weight */
	stop(c);
	c = start("  server-template t 1 _http._tcp.web.test resolvers dns resolve-opts ignore-weight weight 7\n", "0s");
	if (!c)
		return;
	valid(srv(c, "t1"), (struct rec[]){ SRV("a.test", 1001, 65535), AR("a.test", "10.0.1.1"), END }, now_ms);
	CHECK("ignore-weight", srv_uweight_get(srv(c, "t1")) == 7 && !rmaint(srv(c, "t1")));
	stop(c);
}

/* ---- reload handover --------------------------------------------------------------- */

static void test_handover(void)
{
	struct cfg *c, *n;
	struct shm_srv *r, rec;
	struct server *s;

	CHECK("shared area", shm_create() == 0);
	tdm_shm->worker_pid = getpid();
	c = start("  server-template t 2 _http._tcp.web.test resolvers dns\n"
		  "  server a web.test:80 resolvers dns init-addr none\n", "0s");
	if (!c)
		return;
	valid(srv(c, "t1"), (struct rec[]){ SRV("one.test", 8080, 10), AR("one.test", "127.0.0.4"), END }, now_ms);
	valid(srv(c, "a"), (struct rec[]){ A("10.0.0.7"), END }, now_ms);
	for (int i = 0; i < 3; i++) {
		const char *name = i == 0 ? "t1" : i == 1 ? "t2" : "a";

		s = srv(c, name);
		r = shm_srv_find("be", name, 1);
		shm_srv_write_begin(r);
		r->admin = s->admin;
		dns_handover_fill(s, r);
		r->published_ms = 1;
		shm_srv_write_end(r);
	}
	dns_stop();
	/* the next worker: its configuration, then the import */
	n = load("resolvers dns\n  nameserver ns1 127.0.0.1:53\n" DEF "backend be\n"
		 "  server-template t 2 _http._tcp.web.test resolvers dns\n"
		 "  server a web.test:80 resolvers dns init-addr none\n");
	if (!n) {
		cfg_free(c);
		return;
	}
	CHECK("the new configuration already starts from the record (no query): a has its address",
	      !strcmp(where(srv(n, "a")), "10.0.0.7:80") && !rmaint(srv(n, "a")));
	for (int i = 0; i < 3; i++) {
		const char *name = i == 0 ? "t1" : i == 1 ? "t2" : "a";

		if (shm_srv_read(shm_srv_find("be", name, 0), &rec) == 0)
			dns_handover_import(srv(n, name), &rec);
	}
	CHECK("SRV slot: binding, port and address kept", srv(n, "t1")->dns && !strcmp(srv(n, "t1")->dns->target, "one.test") &&
	      srv(n, "t1")->dns->port == 8080 && !strcmp(where(srv(n, "t1")), "127.0.0.4:8080") && !rmaint(srv(n, "t1")));
	CHECK("free slot stays free", rmaint(srv(n, "t2")) && (!srv(n, "t2")->dns || !srv(n, "t2")->dns->target[0]));
	CHECK("the module starts on the imported state", dns_start(n) == 0 && srv(n, "t1")->dns->grp &&
	      srv(n, "a")->dns->grp);
	valid(srv(n, "t1"), (struct rec[]){ SRV("one.test", 8080, 10), AR("one.test", "127.0.0.4"), END }, now_ms);
	CHECK("the same answer after the reload changes nothing", !strcmp(srv(n, "t1")->dns->target, "one.test") &&
	      !strcmp(where(srv(n, "t1")), "127.0.0.4:8080") && !rmaint(srv(n, "t1")) && rmaint(srv(n, "t2")));
	dns_stop();
	cfg_free(n);
	cfg_free(c);
}

int main(void)
{
	struct loop l;
	int fd = mkstemp(path);

	if (fd < 0 || loop_init(&l, 0) < 0)
		return 1;
	close(fd);
	log_setup(-1, LL_EMERG, NULL);
	clock_update();
	test_scaling();
	test_operator();
	test_dup_family();
	test_srv();
	test_handover();
	unlink(path);
	loop_destroy(&l);
	UNIT_END();
}
