/* Round-robin as the worker runs it: lb_pick() on a `balance roundrobin`
 * backend goes through the production lb_rr_pick() and its schedule.
 * Exact order and ratios, gcd and weight 0, full, avoided and stale servers
 * skipped, servers added, several threads drawing from one order, rebuilds
 * while other threads pick, and big backends. */
#include <pthread.h>
#include <stdlib.h>
#include <tandem/lb.h>
#include <tandem/srv_state.h>
#include "unit.h"

static struct proxy be;
static struct server *srv;
static int nsrv;

static void add_server(int weight)
{
	struct server *s = &srv[nsrv];

	s->be = &be;
	s->uweight = s->eweight = weight;
	s->state = SRV_ST_RUNNING;
	list_add_tail(&be.servers, &s->link);
	be.nsrv = ++nsrv;
	be_lb_changed(&be);
}

/* A fresh backend of <n> servers (room for <room>) with weights <w>. */
static void setup(int algo, const int *w, int n, int room)
{
	lb_free(&be);
	free(srv);
	memset(&be, 0, sizeof(be));
	list_init(&be.servers);
	be.lbalgo = algo;
	srv = calloc((size_t)room, sizeof(*srv));
	nsrv = 0;
	for (int i = 0; i < n; i++)
		add_server(w[i]);
}

static int idx(const struct server *s)
{
	return s ? (int)(s - srv) : -1;
}

/* <n> picks as letters ('-' for none). */
static const char *picks(int n, struct server *avoid)
{
	static char out[256];
	int i;

	for (i = 0; i < n && i < 255; i++) {
		int k = idx(lb_pick(&be, avoid, NULL));
		out[i] = k < 0 ? '-' : (char)('A' + k);
	}
	out[i] = 0;
	return out;
}

static void counts(int n, int *c)
{
	memset(c, 0, (size_t)nsrv * sizeof(*c));
	for (int i = 0; i < n; i++) {
		int k = idx(lb_pick(&be, NULL, NULL));
		if (k >= 0)
			c[k]++;
	}
}

/* ---- order ---- */

static void test_order(void)
{
	const char *q;
	int c[3];

	setup(LB_ROUNDROBIN, (int[]){ 3, 1 }, 2, 2);
	q = picks(16, NULL);
	CHECKF(!strcmp(q, "AABAAABAAABAAABA"), "3:1 gives A A B A repeated (got %s)", q);
	setup(LB_STATIC_RR, (int[]){ 3, 1 }, 2, 2);
	q = picks(8, NULL);
	CHECKF(!strcmp(q, "AABAAABA"), "static-rr: the same order (got %s)", q);
	setup(LB_ROUNDROBIN, (int[]){ 1, 1, 1 }, 3, 3);
	q = picks(6, NULL);
	CHECKF(!strcmp(q, "ABCABC"), "1:1:1 rotates (got %s)", q);
	/* nginx's documented example: weights 5, 1, 1 give a a b a c a a */
	setup(LB_ROUNDROBIN, (int[]){ 5, 1, 1 }, 3, 3);
	q = picks(7, NULL);
	CHECKF(!strcmp(q, "AABACAA"), "5:1:1 is smooth (got %s)", q);
	counts(63, c);
	CHECKF(c[0] == 45 && c[1] == 9 && c[2] == 9, "5:1:1 over 9 more periods: 45/9/9 (%d/%d/%d)", c[0], c[1], c[2]);
	setup(LB_ROUNDROBIN, (int[]){ 6, 2 }, 2, 2);
	q = picks(8, NULL);
	CHECKF(!strcmp(q, "AABAAABA"), "6:2 is 3:1 (weights reduced by their gcd; got %s)", q);
	setup(LB_ROUNDROBIN, (int[]){ 2, 3 }, 2, 2);
	q = picks(10, NULL);
	CHECKF(!strcmp(q, "BABABBABAB"), "2:3: the heavier first, ties to the first (got %s)", q);
	setup(LB_ROUNDROBIN, (int[]){ 2, 0 }, 2, 2);
	q = picks(4, NULL);
	CHECKF(!strcmp(q, "AAAA"), "weight 0 never picked (got %s)", q);
}

/* ---- servers that cannot take the request ---- */

static void test_refusals(void)
{
	const char *q;

	setup(LB_ROUNDROBIN, (int[]){ 1, 1, 1 }, 3, 3);
	srv[1].maxconn = 1;
	srv[1].cur_conns = 1;
	q = picks(8, NULL);
	CHECKF(!strcmp(q, "ACACACAC"), "a full server is skipped, the others share its turns (got %s)", q);
	srv[1].cur_conns = 0;
	q = picks(6, NULL);
	CHECKF(!strcmp(q, "ABCABC"), "a slot free again: back in its place (got %s)", q);
	q = picks(8, &srv[1]);
	CHECKF(!strchr(q, 'B') && !strchr(q, '-') && strchr(q, 'A') && strchr(q, 'C'),
	       "the avoided server (redispatch) is skipped (got %s)", q);
	srv[0].maxconn = 1; srv[0].cur_conns = 1;
	srv[2].maxconn = 1; srv[2].cur_conns = 1;
	q = picks(3, &srv[1]);
	CHECKF(!strcmp(q, "BBB"), "the avoided server when no other has room (got %s)", q);
	srv[1].maxconn = 1; srv[1].cur_conns = 1;
	q = picks(3, NULL);
	CHECKF(!strcmp(q, "---") && lb_has_full(&be), "all full: none, and lb_has_full (got %s)", q);
	srv[0].cur_conns = srv[1].cur_conns = srv[2].cur_conns = 0;

	/* a change the schedule has not seen yet (written behind the
	 * setters' back): the pick still checks the server */
	srv[1].state = SRV_ST_STOPPED;
	q = picks(6, NULL);
	CHECKF(!strchr(q, 'B') && !strchr(q, '-'), "a server down since the schedule was made is skipped (got %s)", q);
	srv[1].state = SRV_ST_RUNNING;
	srv_set_state(&srv[1], SRV_ST_STOPPED);
	q = picks(6, NULL);
	CHECKF(!strcmp(q, "ACACAC") || !strcmp(q, "CACACA"), "after the change: A and C in turn (got %s)", q);
	srv_set_state(&srv[1], SRV_ST_RUNNING);
	srv_set_admin(&srv[2], SRV_ADMF_DRAIN, SRV_ADMF_DRAIN);
	q = picks(6, NULL);
	CHECKF(!strchr(q, 'C') && strchr(q, 'A') && strchr(q, 'B'), "drain: out of rotation (got %s)", q);
	srv_set_admin(&srv[2], SRV_ADMF_DRAIN, 0);
	srv_set_eweight(&srv[0], 2);
	{
		int c[3];
		counts(8, c);
		CHECKF(c[0] == 4 && c[1] == 2 && c[2] == 2, "set weight 2:1:1: 4/2/2 over two periods (%d/%d/%d)",
		       c[0], c[1], c[2]);
	}

	/* backups: only when no active server is usable */
	setup(LB_ROUNDROBIN, (int[]){ 1, 1, 1 }, 3, 3);
	srv[2].backup = 1;
	q = picks(4, NULL);
	CHECKF(!strcmp(q, "ABAB"), "backup out while actives are up (got %s)", q);
	srv[0].maxconn = srv[1].maxconn = 1;
	srv[0].cur_conns = srv[1].cur_conns = 1;
	q = picks(2, NULL);
	CHECKF(!strcmp(q, "--") && lb_has_full(&be),
	       "actives full: no backup, the request waits (HAProxy; got %s)", q);
	srv_set_state(&srv[0], SRV_ST_STOPPED);
	srv_set_state(&srv[1], SRV_ST_STOPPED);
	q = picks(2, NULL);
	CHECKF(!strcmp(q, "CC"), "actives down: the backup (got %s)", q);
}

/* ---- servers added at run time ---- */

static void test_growth(void)
{
	int c[40], ok = 1, total = 0, i, j;

	setup(LB_ROUNDROBIN, (int[]){ 1 }, 1, 40);
	for (i = 1; i < 40; i++) {
		add_server(i % 7 + 1);   /* a new server, as srv_publish does it */
		total = 0;
		for (j = 0; j <= i; j++)
			total += srv[j].eweight;
		counts(total, c);
		for (j = 0; j <= i; j++)
			ok &= c[j] == srv[j].eweight;
	}
	CHECK("each server added: one period gives each its weight exactly", ok);
}

/* ---- threads ---- */

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static char tseq[64];
static int tpos;
static int tcount[2][3];
static volatile int changing;

static void *serial_picker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mtx);
		if (tpos >= 40) {
			pthread_mutex_unlock(&mtx);
			return NULL;
		}
		tseq[tpos++] = (char)('A' + idx(lb_pick(&be, NULL, NULL)));
		pthread_mutex_unlock(&mtx);
	}
}

static void *free_picker(void *arg)
{
	int *c = arg;

	for (int i = 0; i < 20000; i++) {
		int k = idx(lb_pick(&be, NULL, NULL));
		if (k >= 0)
			c[k]++;
	}
	return NULL;
}

static void *bad_picker(void *arg)
{
	int *bad = arg;

	while (__atomic_load_n(&changing, __ATOMIC_RELAXED)) {
		struct server *s = lb_pick(&be, NULL, NULL);
		if (!s || idx(s) < 0 || idx(s) > 2)
			(*bad)++;
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[2];
	int bad[2] = { 0, 0 }, c[3];

	/* two threads taking turns in any order share one sequence */
	setup(LB_ROUNDROBIN, (int[]){ 3, 1 }, 2, 2);
	pthread_create(&th[0], NULL, serial_picker, NULL);
	pthread_create(&th[1], NULL, serial_picker, NULL);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	CHECKF(!strcmp(tseq, "AABAAABAAABAAABAAABAAABAAABAAABAAABAAABA"),
	       "two threads: one global order A A B A (got %s)", tseq);

	/* at full speed: every pick is one slot of the period */
	setup(LB_ROUNDROBIN, (int[]){ 3, 1 }, 2, 2);
	pthread_create(&th[0], NULL, free_picker, tcount[0]);
	pthread_create(&th[1], NULL, free_picker, tcount[1]);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	CHECKF(tcount[0][0] + tcount[1][0] == 30000 && tcount[0][1] + tcount[1][1] == 10000,
	       "two threads, 40000 picks at 3:1: exactly 30000/10000 (%d/%d)",
	       tcount[0][0] + tcount[1][0], tcount[0][1] + tcount[1][1]);

	/* rebuilds (growing the schedule) while two threads pick */
	setup(LB_ROUNDROBIN, (int[]){ 1, 1, 1 }, 3, 3);
	changing = 1;
	pthread_create(&th[0], NULL, bad_picker, &bad[0]);
	pthread_create(&th[1], NULL, bad_picker, &bad[1]);
	for (int i = 0; i < 3000; i++) {
		srv_set_eweight(&srv[2], 1 + (i * 37) % 200);
		if (i % 10 == 0)
			srv_set_state(&srv[1], i % 20 ? SRV_ST_RUNNING : SRV_ST_STOPPED);
	}
	srv_set_state(&srv[1], SRV_ST_RUNNING);
	srv_set_admin(&srv[2], SRV_ADMF_MAINT, SRV_ADMF_MAINT);
	__atomic_store_n(&changing, 0, __ATOMIC_RELAXED);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	CHECKF(!bad[0] && !bad[1], "picks during 3000 rebuilds: always a server of the backend (%d, %d bad)",
	       bad[0], bad[1]);
	counts(10, c);
	CHECKF(c[0] == 5 && c[1] == 5 && c[2] == 0, "then: the final state, exactly (%d/%d/%d)", c[0], c[1], c[2]);
}

/* ---- big backends ---- */

static void test_big(void)
{
	int *w = malloc(5000 * sizeof(*w)), *c = malloc(5000 * sizeof(*c)), ok = 1, total = 0, i;

	/* 300 servers of weights 1..256: exact */
	for (i = 0; i < 300; i++)
		total += w[i] = i % 256 + 1;
	setup(LB_ROUNDROBIN, w, 300, 300);
	counts(total, c);
	for (i = 0; i < 300; i++)
		ok &= c[i] == w[i];
	CHECKF(ok, "300 servers, weights 1..256: one period (%d picks) gives each its weight", total);

	/* 5000 servers of weights 256 and 1: too much work for an exact
	 * period, the weights are scaled down (here to plain rotation) */
	for (i = 0; i < 5000; i++)
		w[i] = i % 2 ? 1 : 256;
	setup(LB_ROUNDROBIN, w, 5000, 5000);
	counts(5000, c);
	for (i = 0, ok = 1; i < 5000; i++)
		ok &= c[i] == 1;
	CHECK("5000 servers: bounded rebuild, every server still served", ok);
	free(w);
	free(c);
}

int main(void)
{
	test_order();
	test_refusals();
	test_growth();
	test_threads();
	test_big();
	lb_free(&be);
	free(srv);
	UNIT_END();
}
