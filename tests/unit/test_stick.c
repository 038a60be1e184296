/* Stick tables (src/stick/): HAProxy's sliding-window rates, keys of each
 * type, lookups, the bound on size (the oldest evicted, nopurge refusing),
 * expiry from the LRU tails, references, the update ring the peers read,
 * and many threads hammering one small table. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <tandem/stick.h>
#include "unit.h"

static struct stk_conf conf(int type, uint32_t keylen, uint32_t size, uint32_t expire, uint64_t store)
{
	struct stk_conf c = { 0 };

	c.id = "t";
	c.type = type;
	c.keylen = keylen;
	c.size = size;
	c.expire = expire;
	c.store = store;
	for (int dt = 0; dt < STK_DT_N; dt++)
		if (stk_dt[dt].std == STK_STD_FRQP)
			c.period[dt] = 10000;
	return c;
}

static struct stk_ent *get_ip(struct stk_table *t, const char *ip, unsigned fl, uint64_t now)
{
	struct in_addr a;
	struct stk_key k;

	inet_pton(AF_INET, ip, &a);
	stk_key_set(t, &k, &a, 4);
	return stk_get(t, &k, fl, now);
}

static void test_rates(void)
{
	struct stk_frq f = { 0 };
	uint32_t p = 10000, t0 = 1000000;

	CHECK("rate: empty counter reads 0", stk_frq_read(&f, p, t0) == 0);
	for (int i = 0; i < 7; i++)
		stk_frq_add(&f, p, t0 + (uint32_t)i, 1);
	CHECKF(stk_frq_read(&f, p, t0 + 10) == 7, "rate: 7 events in the period read 7 (got %u)", stk_frq_read(&f, p, t0 + 10));
	/* half of the next period: 7 x 0.5 of the previous one plus 2 new */
	stk_frq_add(&f, p, t0 + p + p / 2, 2);
	CHECKF(stk_frq_read(&f, p, t0 + p + p / 2) == 5, "rate: the previous period fades with the window (got %u)",
	       stk_frq_read(&f, p, t0 + p + p / 2));
	CHECKF(stk_frq_read(&f, p, t0 + 3 * p) == 0, "rate: two periods later it is 0 (got %u)", stk_frq_read(&f, p, t0 + 3 * p));
	/* HAProxy's low-rate correction: one event, then nothing: reads 1 */
	memset(&f, 0, sizeof(f));
	stk_frq_add(&f, p, t0, 1);
	CHECK("rate: one event in the previous period still reads 1",
	      stk_frq_read(&f, p, t0 + p + p - 10) == 1);
	/* a gap of more than two periods restarts the counter */
	memset(&f, 0, sizeof(f));
	stk_frq_add(&f, p, t0, 5);
	stk_frq_add(&f, p, t0 + 5 * p, 1);
	CHECKF(stk_frq_read(&f, p, t0 + 5 * p) == 1, "rate: after a long gap only the new event (got %u)",
	       stk_frq_read(&f, p, t0 + 5 * p));
}

static void test_keys(void)
{
	struct stk_conf cs = conf(STK_T_STR, 8, 16, 0, 0), cb = conf(STK_T_BIN, 4, 16, 0, 0);
	struct stk_conf c6 = conf(STK_T_IPV6, 16, 16, 0, 0), ci = conf(STK_T_INT, 4, 16, 0, 0);
	struct stk_key k;
	struct stk_ent *e;
	char buf[128];

	CHECK("string table opens", stk_table_open(&cs) == 0);
	stk_key_set(cs.t, &k, "abcdefghijkl", 12);
	CHECK("string keys are cut to the table's length", k.len == 8 && !memcmp(k.b, "abcdefgh", 8));
	e = stk_get(cs.t, &k, STK_GET_CREATE, 0);
	CHECK("string entry created", e != NULL);
	stk_key_print(cs.t, e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "abcdefgh"), "string key printed (%s)", buf);
	stk_unlock(cs.t, e);
	CHECK("string key parsed", stk_key_parse(cs.t, "abcdefgh", &k) == 0 && (e = stk_get(cs.t, &k, 0, 0)) != NULL);
	if (e)
		stk_unlock(cs.t, e);

	CHECK("binary table opens", stk_table_open(&cb) == 0);
	CHECK("binary key from hex", stk_key_parse(cb.t, "0a0b", &k) == 0 && k.len == 4 && k.b[1] == 0x0b && k.b[2] == 0);
	CHECK("binary key: odd hex refused", stk_key_parse(cb.t, "0a0", &k) < 0);
	CHECK("binary key: too long refused", stk_key_parse(cb.t, "0102030405", &k) < 0);
	e = stk_get(cb.t, &k, STK_GET_CREATE, 0);
	stk_key_print(cb.t, e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "0A0B0000"), "binary key printed in hex (%s)", buf);
	stk_unlock(cb.t, e);

	CHECK("ipv6 table opens", stk_table_open(&c6) == 0);
	CHECK("ipv6 key", stk_key_parse(c6.t, "2001:db8::1", &k) == 0 && k.len == 16);
	CHECK("an IPv4 address names its mapped IPv6 form", stk_key_parse(c6.t, "10.1.2.3", &k) == 0 &&
	      k.b[10] == 0xff && k.b[12] == 10);
	CHECK("ipv6 key: garbage refused", stk_key_parse(c6.t, "nope", &k) < 0);

	CHECK("integer table opens", stk_table_open(&ci) == 0);
	CHECK("integer key", stk_key_parse(ci.t, "4294967295", &k) == 0);
	CHECK("integer key: out of range refused", stk_key_parse(ci.t, "4294967296", &k) < 0);
	e = stk_get(ci.t, &k, STK_GET_CREATE, 0);
	stk_key_print(ci.t, e, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "4294967295"), "integer key printed unsigned (%s)", buf);
	stk_unlock(ci.t, e);
	stk_table_close(&cs);
	stk_table_close(&cb);
	stk_table_close(&c6);
	stk_table_close(&ci);
}

static void test_bound_and_expiry(void)
{
	struct stk_conf c = conf(STK_T_IP, 4, 8, 1000, 1ull << STK_DT_GPC0);
	struct stk_conf np = conf(STK_T_IP, 4, 4, 0, 0);
	struct stk_ent *e;
	char ip[32];
	int found = 0;

	CHECK("ip table opens", stk_table_open(&c) == 0);
	for (int i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		e = get_ip(c.t, ip, STK_GET_CREATE, 100 + (uint64_t)i);
		if (e)
			stk_unlock(c.t, e);
	}
	CHECK("eight entries fit a table of eight", stk_count(c.t) == 8 && stk_avail(c.t) == 0);
	/* the ninth evicts the oldest of its shard (each shard holds one) */
	e = get_ip(c.t, "10.0.1.1", STK_GET_CREATE, 200);
	CHECK("a ninth entry is made room for", e != NULL);
	if (e)
		stk_unlock(c.t, e);
	CHECK("the table stays at its size", stk_count(c.t) == 8);
	CHECK("evictions are counted", c.t->h->evicted >= 1);
	/* a referenced entry survives eviction and expiry */
	e = get_ip(c.t, "10.0.1.1", STK_GET_REF, 300);
	CHECK("lookup with a reference", e != NULL && e->ref == 1);
	if (e)
		stk_unlock(c.t, e);
	/* everything else expires at 200+1000 */
	stk_expire(c.t, 5000, 1000);
	CHECKF(stk_count(c.t) == 1, "expired entries removed, the referenced one kept (%u left)", stk_count(c.t));
	e = get_ip(c.t, "10.0.1.1", 0, 5000);
	found = e != NULL;
	if (e) {
		stk_unlock(c.t, e);
		stk_release(c.t, e, 5000);
	}
	CHECK("the referenced entry is still there", found);
	CHECK("released: it expires from now", stk_expire(c.t, 5500, 100) == 6000 && stk_count(c.t) == 1);
	stk_expire(c.t, 6000, 100);
	CHECK("then it goes", stk_count(c.t) == 0);
	/* an expired entry not reclaimed yet is not seen, and starts anew */
	e = get_ip(c.t, "10.0.2.1", STK_GET_CREATE, 100);
	*(uint32_t *)stk_data(c.t, e, STK_DT_GPC0) = 5;
	stk_unlock(c.t, e);
	CHECK("a due entry is invisible", get_ip(c.t, "10.0.2.1", 0, 2000) == NULL);
	e = get_ip(c.t, "10.0.2.1", STK_GET_CREATE, 2000);
	CHECK("and comes back empty", e && *(uint32_t *)stk_data(c.t, e, STK_DT_GPC0) == 0);
	if (e)
		stk_unlock(c.t, e);

	np.nopurge = 1;
	CHECK("nopurge table opens", stk_table_open(&np) == 0);
	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "10.9.0.%d", i + 1);
		if ((e = get_ip(np.t, ip, STK_GET_CREATE, 1)))
			stk_unlock(np.t, e);
	}
	CHECK("nopurge: a full table refuses a new key", get_ip(np.t, "10.9.9.9", STK_GET_CREATE, 2) == NULL);
	CHECK("nopurge: existing keys still found", (e = get_ip(np.t, "10.9.0.1", 0, 2)) != NULL);
	if (e)
		stk_unlock(np.t, e);
	stk_table_close(&c);
	stk_table_close(&np);
}

static void test_ring(void)
{
	struct stk_conf c = conf(STK_T_IP, 4, 64, 0, 1ull << STK_DT_GPC0);
	struct peers_conf *fake = (struct peers_conf *)&c;   /* any non-NULL: the table gets a ring */
	struct stk_ent *e;
	uint64_t pos;
	uint32_t idx;
	int n = 0, r;

	c.peers = fake;
	CHECK("table with a ring opens", stk_table_open(&c) == 0 && c.t->ring != NULL);
	pos = stk_ring_head(c.t);
	e = get_ip(c.t, "1.1.1.1", STK_GET_CREATE, 1);
	stk_updated(c.t, e);
	stk_updated(c.t, e);   /* already queued: once */
	stk_unlock(c.t, e);
	while ((r = stk_ring_next(c.t, &pos, &idx)) > 0)
		n += idx == stk_idx(c.t, e);
	CHECK("an update is queued once until read", n == 1 && r == 0);
	/* writers a whole ring ahead: the reader is told to send everything */
	for (unsigned i = 0; i < STK_RING_SLOTS + 10; i++) {
		stk_lock_ent(c.t, e);
		e->flags &= (uint8_t)~STK_E_PENDING;
		stk_updated(c.t, e);
		stk_unlock(c.t, e);
	}
	CHECK("a lapped reader learns it", stk_ring_next(c.t, &pos, &idx) < 0);
	c.peers = NULL;
	stk_table_close(&c);
}

/* ---- threads ---- */

static struct stk_conf tc;

static void *hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < 200000; i++) {
		char ip[32];
		struct stk_ent *e;

		seed = seed * 1103515245 + 12345;
		snprintf(ip, sizeof(ip), "10.%u.%u.1", (seed >> 16) % 4, (seed >> 8) % 64);
		if (!(e = get_ip(tc.t, ip, STK_GET_CREATE | STK_GET_REF | STK_GET_TOUCH, (uint64_t)i)))
			continue;
		stk_ent_add(tc.t, e, STK_DT_HTTP_REQ_CNT, STK_DT_HTTP_REQ_RATE, 1, (uint64_t)i);
		stk_unlock(tc.t, e);
		stk_release(tc.t, e, (uint64_t)i);
		if (i % 1000 == 0)
			stk_expire(tc.t, (uint64_t)i, 64);
	}
	return NULL;
}

static int count_refs(struct stk_table *t, struct stk_ent *e, void *arg)
{
	(void)t;
	*(unsigned *)arg += e->ref;
	return 0;
}

static void test_threads(void)
{
	pthread_t th[4];
	unsigned refs = 0;
	uint32_t pos = 0;

	tc = conf(STK_T_IP, 4, 100, 50, 1ull << STK_DT_HTTP_REQ_CNT | 1ull << STK_DT_HTTP_REQ_RATE);
	CHECK("shared table opens", stk_table_open(&tc) == 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECKF(stk_count(tc.t) <= 100, "four threads, 256 keys, 100 entries: the bound holds (%u)", stk_count(tc.t));
	stk_walk(tc.t, &pos, ~0u, 0, count_refs, &refs);
	CHECK("every reference was given back", refs == 0);
	stk_table_close(&tc);
}

static void test_layout(void)
{
	struct stk_conf c = conf(STK_T_STR, 32, 1, 0, 0);
	char err[128];

	c.store = 1ull << STK_DT_BYTES_IN_CNT | 1ull << STK_DT_GPC0 | 1ull << STK_DT_HTTP_REQ_RATE;
	CHECK("layout computed", stk_conf_layout(&c, err, sizeof(err)) == 0);
	CHECK("64-bit counters first, aligned", c.off[STK_DT_BYTES_IN_CNT] == 1 && (c.off[STK_DT_GPC0] - 1) % 4 == 0);
	CHECK("what is not stored has no place", !c.off[STK_DT_CONN_CUR]);
	c.used_by_stick = 1;
	stk_conf_layout(&c, err, sizeof(err));
	CHECK("stick rules add server_id", c.off[STK_DT_SERVER_ID] != 0);
	CHECK("data type names", stk_dt_find("http_req_rate", 13) == STK_DT_HTTP_REQ_RATE && stk_dt_find("nope", 4) < 0);
}

int main(void)
{
	test_rates();
	test_keys();
	test_bound_and_expiry();
	test_ring();
	test_layout();
	test_threads();
	UNIT_END();
}
