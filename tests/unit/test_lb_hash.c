/* Hash balancing (src/backend/lb_hash.c, lb_chash.c, src/core/hash.c):
 * the hash functions against known values, map-based and consistent
 * choices, what moves when a server leaves and comes back (the numbers
 * doc/persistence.md quotes are printed here), weights, the server to
 * avoid, bounded loads. */
#include <stdlib.h>
#include <tandem/hash.h>
#include <tandem/lb.h>
#include <tandem/persist-t.h>
#include <tandem/srv_state.h>
#include "unit.h"

#define NS 8
static struct proxy be;
static struct px_persist pp;
static struct server srv[NS];
static struct srv_thr thr[NS];

static void setup(int n, int type)
{
	lb_free(&be);
	memset(&be, 0, sizeof(be));
	memset(&pp, 0, sizeof(pp));
	memset(srv, 0, sizeof(srv));
	list_init(&be.servers);
	be.lbalgo = LB_HASH;
	be.persist = &pp;
	pp.hash.type = type;
	pp.hash.avalanche = type == HT_CONSISTENT;
	be.nsrv = n;
	for (int i = 0; i < n; i++) {
		srv[i].be = &be;
		srv[i].puid = i + 1;
		srv[i].id = (char[]){ (char)('A' + i), 0 };
		srv[i].uweight = srv[i].eweight = 1;
		srv[i].state = SRV_ST_RUNNING;
		srv[i].thr = &thr[i];
		list_add_tail(&be.servers, &srv[i].link);
	}
}

static struct server *pick(uint32_t h)
{
	return lb_pick_key(&be, NULL, NULL, h, 1);
}

static uint32_t key_hash(int k)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "/object/%d", k);

	return lb_hash_key(&be, buf, (size_t)n);
}

#define KEYS 20000

static void test_functions(void)
{
	CHECKF(hash_crc32("123456789", 9) == 0xcbf43926u, "crc32 check value (%08x)", hash_crc32("123456789", 9));
	CHECK("xxh64 of nothing", hash_xxh64("", 0, 0) == 0xef46db3751d8e999ull);
	CHECK("xxh64 of abc", hash_xxh64("abc", 3, 0) == 0x44bc2cf5ad770999ull);
	CHECK("djb2 of a", hash_djb2("a", 1) == 5381u * 33 + 'a');
	CHECK("sdbm of ab", hash_sdbm("ab", 2) == (uint32_t)('b' + ((uint32_t)'a' << 6) + ((uint32_t)'a' << 16) - 'a'));
	CHECK("wt6 differs from its input order", hash_wt6("ab", 2) != hash_wt6("ba", 2));
	CHECK("avalanche mixes", hash_avalanche(1) != 1 && hash_avalanche(1) != hash_avalanche(2));
	setup(2, HT_MAP);
	pp.hash.func = HF_NONE;
	CHECK("none: the key is the number", lb_hash_key(&be, "12345", 5) == 12345);
	pp.hash.func = HF_SDBM;
	pp.hash.avalanche = 1;
	CHECK("avalanche applies after the function", lb_hash_key(&be, "ab", 2) == hash_avalanche(hash_sdbm("ab", 2)));
}

static void test_map(void)
{
	struct server *before[KEYS];
	int moved_survivors = 0, survivors = 0, n[NS] = { 0 };

	setup(4, HT_MAP);
	for (int k = 0; k < KEYS; k++) {
		before[k] = pick(key_hash(k));
		n[before[k] - srv]++;
	}
	CHECKF(n[0] > KEYS / 6 && n[1] > KEYS / 6 && n[2] > KEYS / 6 && n[3] > KEYS / 6,
	       "map-based spreads keys (%d/%d/%d/%d)", n[0], n[1], n[2], n[3]);
	CHECK("map-based: same key, same server", pick(key_hash(7)) == before[7]);
	srv_set_state(&srv[3], SRV_ST_STOPPED);
	for (int k = 0; k < KEYS; k++) {
		if (before[k] == &srv[3])
			continue;
		survivors++;
		if (pick(key_hash(k)) != before[k])
			moved_survivors++;
	}
	/* both ratios: of all keys (what the leaver's share is compared
	 * with) and of the keys the survivors held */
	printf("# map-based, 4 servers, one leaves: survivors' keys that move: %.1f%% of all keys, "
	       "%.1f%% of the survivors' keys\n", 100.0 * moved_survivors / KEYS, 100.0 * moved_survivors / survivors);
	CHECK("map-based moves survivors' keys when one leaves (HAProxy's documented behaviour)", moved_survivors > KEYS / 4);
	srv_set_state(&srv[3], SRV_ST_RUNNING);
	/* the key's server is the one to avoid: the next one */
	CHECK("map-based: the server to avoid passes the key on",
	      lb_pick_key(&be, before[7], NULL, key_hash(7), 1) != before[7]);
	/* a full server keeps its keys: the request waits */
	srv[0].maxconn = 1;
	srv[0].cur_conns = 1;
	for (int k = 0; k < KEYS; k++)
		if (before[k] == &srv[0]) {
			CHECK("map-based: a full server's key waits for it", pick(key_hash(k)) == NULL);
			break;
		}
	srv[0].maxconn = 0;
	srv[0].cur_conns = 0;
	CHECK("no key: round robin", lb_pick_key(&be, NULL, NULL, 0, 0) != NULL);
}

static void test_consistent(void)
{
	struct server *before[KEYS];
	int n[NS] = { 0 }, moved = 0, survivors_moved = 0, back = 0, to[NS] = { 0 }, dead = 0;

	setup(4, HT_CONSISTENT);
	for (int k = 0; k < KEYS; k++) {
		before[k] = pick(key_hash(k));
		n[before[k] - srv]++;
	}
	printf("# consistent, 4 servers of weight 1, %d keys: %d/%d/%d/%d\n", KEYS, n[0], n[1], n[2], n[3]);
	CHECKF(n[0] > KEYS / 8 && n[1] > KEYS / 8 && n[2] > KEYS / 8 && n[3] > KEYS / 8,
	       "consistent spreads keys (%d/%d/%d/%d)", n[0], n[1], n[2], n[3]);
	srv_set_state(&srv[2], SRV_ST_STOPPED);
	for (int k = 0; k < KEYS; k++) {
		struct server *s = pick(key_hash(k));

		if (s != before[k])
			moved++;
		if (before[k] != &srv[2] && s != before[k])
			survivors_moved++;
		if (before[k] == &srv[2]) {
			to[s - srv]++;
			dead++;
		}
	}
	printf("# consistent, one of 4 leaves: %.1f%% of all keys move (its share was %.1f%%), to %d/%d/-/%d\n",
	       100.0 * moved / KEYS, 100.0 * n[2] / KEYS, to[0], to[1], to[3]);
	CHECK("consistent: the survivors' keys do not move", survivors_moved == 0);
	CHECK("consistent: only the leaving server's keys move", moved == dead);
	CHECKF(to[0] > 0 && to[1] > 0 && to[3] > 0, "its keys spread over the others (%d/%d/%d)", to[0], to[1], to[3]);
	srv_set_state(&srv[2], SRV_ST_RUNNING);
	for (int k = 0; k < KEYS; k++)
		back += pick(key_hash(k)) == before[k];
	CHECK("consistent: when it comes back, every key is where it was", back == KEYS);

	/* weights: twice the weight, about twice the keys */
	srv[0].eweight = srv[0].uweight = 2;
	be_lb_changed(&be);
	memset(n, 0, sizeof(n));
	for (int k = 0; k < KEYS; k++)
		n[pick(key_hash(k)) - srv]++;
	printf("# consistent, weights 2/1/1/1: %d/%d/%d/%d\n", n[0], n[1], n[2], n[3]);
	CHECKF(n[0] > (n[1] + n[2] + n[3]) / 3 * 3 / 2, "consistent honours weights (%d vs %d/%d/%d)", n[0], n[1], n[2], n[3]);
	srv[0].eweight = srv[0].uweight = 1;
	be_lb_changed(&be);

	/* the server to avoid (redispatch): the next point's */
	CHECK("consistent: the server to avoid passes the key on", lb_pick_key(&be, before[5], NULL, key_hash(5), 1) != before[5]);

	/* bounded loads: a loaded server's keys spill over */
	pp.hash.balance_factor = 150;
	srv[1].cur_conns = 100;
	{
		int spilled = 1;

		for (int k = 0; k < KEYS; k++)
			if (before[k] == &srv[1] && pick(key_hash(k)) == &srv[1])
				spilled = 0;
		CHECK("hash-balance-factor: a server above its bound is passed over", spilled);
	}
	srv[1].cur_conns = 0;
	pp.hash.balance_factor = 0;

	/* backups: used when no active server is left */
	srv[3].backup = 1;
	be_lb_changed(&be);
	for (int i = 0; i < 3; i++)
		srv_set_state(&srv[i], SRV_ST_STOPPED);
	CHECK("consistent: the backup when no active server", pick(key_hash(1)) == &srv[3]);
}

int main(void)
{
	test_functions();
	test_map();
	test_consistent();
	lb_free(&be);
	UNIT_END();
}
