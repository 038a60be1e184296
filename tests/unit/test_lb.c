/* Balancing algorithms over a hand-built backend: which server each one
 * picks, backup servers, the avoided server, and unusable servers; what
 * "usable" and "full" mean (srv_state.h). Round-robin's order is in
 * test_lb_rr.c. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <tandem/lb.h>
#include <tandem/srv_state.h>
#include "unit.h"

static struct proxy be;
static struct server srv[4];
static struct srv_thr thr[4];

static void setup(int algo, int n)
{
	int i;

	lb_free(&be);
	memset(&be, 0, sizeof(be));
	memset(srv, 0, sizeof(srv));
	memset(thr, 0, sizeof(thr));
	list_init(&be.servers);
	be.lbalgo = algo;
	be.nsrv = n;
	for (i = 0; i < n; i++) {
		srv[i].be = &be;
		srv[i].id = (char[]){ (char)('A' + i), 0 };
		srv[i].uweight = srv[i].eweight = 1;
		srv[i].state = SRV_ST_RUNNING;
		srv[i].thr = &thr[i];
		list_add_tail(&be.servers, &srv[i].link);
	}
}

static struct sockaddr_storage addr4(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (void *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s4->sin_addr);
	return ss;
}

int main(void)
{
	struct sockaddr_storage c1 = addr4("10.0.0.1");
	struct server *s;
	int i, n[4] = { 0 }, same = 1;

	/* leastconn */
	setup(LB_LEASTCONN, 3);
	srv[0].cur_conns = 5; srv[1].cur_conns = 1; srv[2].cur_conns = 3;
	CHECK("leastconn picks the least loaded", lb_pick(&be, NULL, NULL) == &srv[1]);
	srv[1].eweight = 1; srv[2].eweight = 4;  /* 3/4 < 1/1 */
	CHECK("leastconn weighs by weight", lb_pick(&be, NULL, NULL) == &srv[2]);
	srv[0].cur_conns = srv[1].cur_conns = srv[2].cur_conns = 0;
	srv[2].eweight = 1;
	for (i = 0; i < 30; i++)
		n[lb_pick(&be, NULL, NULL) - srv]++;
	CHECKF(n[0] == 10 && n[1] == 10 && n[2] == 10, "leastconn ties rotate (%d/%d/%d)", n[0], n[1], n[2]);

	/* source */
	setup(LB_SOURCE, 3);
	s = lb_pick(&be, NULL, &c1);
	for (i = 0; i < 10; i++)
		same &= lb_pick(&be, NULL, &c1) == s;
	CHECK("source: same client, same server", s && same);
	memset(n, 0, sizeof(n));
	for (i = 0; i < 300; i++) {
		char ip[32];
		struct sockaddr_storage a;
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250 + 1);
		a = addr4(ip);
		n[lb_pick(&be, NULL, &a) - srv]++;
	}
	CHECKF(n[0] > 60 && n[1] > 60 && n[2] > 60, "source spreads clients (%d/%d/%d)", n[0], n[1], n[2]);

	/* first */
	setup(LB_FIRST, 3);
	srv[0].maxconn = 2; srv[0].cur_conns = 1;
	CHECK("first: first server with a free slot", lb_pick(&be, NULL, NULL) == &srv[0]);
	srv[0].cur_conns = 2;
	CHECK("first: next one when full", lb_pick(&be, NULL, NULL) == &srv[1]);
	CHECK("a full server makes lb_has_full true", lb_has_full(&be));

	/* random(2) prefers the less loaded of two draws */
	setup(LB_RANDOM, 2);
	be.lb_draws = 2;
	srv[0].cur_conns = 100;
	memset(n, 0, sizeof(n));
	for (i = 0; i < 400; i++)
		n[lb_pick(&be, NULL, NULL) - srv]++;
	CHECKF(n[1] > 250, "random(2) favours the idle server (%d/%d)", n[0], n[1]);

	/* availability rules, common to all */
	setup(LB_ROUNDROBIN, 3);
	srv[2].backup = 1;
	srv[0].state = SRV_ST_STOPPED;
	srv[1].admin = SRV_ADMF_MAINT;
	CHECK("backup used only when no active server is usable", lb_pick(&be, NULL, NULL) == &srv[2]);
	srv[1].admin = 0;
	CHECK("active server preferred over backup", lb_pick(&be, NULL, NULL) == &srv[1]);
	CHECK("avoided server skipped when another is usable", lb_pick(&be, &srv[1], NULL) == &srv[2]);
	srv[2].state = SRV_ST_STOPPED;
	CHECK("avoided server used when it is the only one", lb_pick(&be, &srv[1], NULL) == &srv[1]);
	srv[1].admin = SRV_ADMF_DRAIN;
	CHECK("nothing usable: NULL", lb_pick(&be, NULL, NULL) == NULL);
	srv[1].admin = 0;
	srv[1].eweight = 0;
	CHECK("weight 0 is never picked", lb_pick(&be, NULL, NULL) == NULL);

	/* usable (health, admin, weight) is one thing, full another */
	setup(LB_ROUNDROBIN, 1);
	srv[0].maxconn = 2; srv[0].cur_conns = 2;
	CHECK("a server at its maxconn is usable and full", srv_usable(&srv[0]) && srv_full(&srv[0]));
	srv[0].cur_conns = 1;
	CHECK("below its maxconn: not full", !srv_full(&srv[0]));
	srv[0].maxconn = 0; srv[0].cur_conns = 1000;
	CHECK("no maxconn: never full", !srv_full(&srv[0]));
	srv[0].state = SRV_ST_STARTING;
	CHECK("slowstart: usable", srv_usable(&srv[0]));
	srv[0].state = SRV_ST_STOPPING;
	CHECK("stopping (NOLB): not usable", !srv_usable(&srv[0]));
	srv[0].state = SRV_ST_RUNNING; srv[0].admin = SRV_ADMF_DRAIN;
	CHECK("drain: not usable", !srv_usable(&srv[0]));
	srv[0].admin = SRV_ADMF_MAINT;
	CHECK("maint: not usable", !srv_usable(&srv[0]));
	srv[0].admin = 0; srv[0].eweight = 0;
	CHECK("weight 0: not usable", !srv_usable(&srv[0]));

	/* a full active server keeps the backups out, whatever the algorithm:
	 * the request waits for a slot (HAProxy's queue) */
	for (i = 0; i < 5; i++) {
		static const int algos[] = { LB_ROUNDROBIN, LB_LEASTCONN, LB_SOURCE, LB_FIRST, LB_RANDOM };
		setup(algos[i], 2);
		srv[1].backup = 1;
		srv[0].maxconn = 1; srv[0].cur_conns = 1;
		CHECKF(lb_pick(&be, NULL, &c1) == NULL && lb_has_full(&be),
		       "algorithm %d: active full, no backup, wait", algos[i]);
		srv[0].state = SRV_ST_STOPPED;
		CHECKF(lb_pick(&be, NULL, &c1) == &srv[1] && !lb_has_full(&be),
		       "algorithm %d: active down, the backup", algos[i]);
	}
	lb_free(&be);
	UNIT_END();
}
