/* The peers protocol's messages (src/stick/peers_msg.c): encoded
 * integers at every boundary of their encoding (HAProxy's
 * doc/peers-v2.0.txt table), framing, definitions, and updates carried
 * from one table to another (counters, rates, the server id; conn_cur
 * stays local). Malformed input is refused, never read past its end. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <tandem/stick.h>
#include "../../src/stick/peers_int.h"
#include "unit.h"

static void test_varint(void)
{
	static const uint64_t v[] = { 0, 1, 239, 240, 241, 2287, 2288, 2289, 264431, 264432, 33818863, 33818864,
				      4328786159ull, 4328786160ull, 0xffffffffull, ~0ull };
	static const size_t len[] = { 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 5, 10 };
	int ok = 1;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t b[16];
		size_t n = pm_enc(v[i], b);
		const uint8_t *p = b;
		uint64_t d = pm_dec(&p, b + n);

		if (d != v[i] || p != b + n || n != len[i]) {
			printf("  varint %llu: %zu bytes (want %zu), decoded %llu\n", (unsigned long long)v[i], n, len[i],
			       (unsigned long long)d);
			ok = 0;
		}
		/* one byte short: refused */
		p = b;
		pm_dec(&p, b + n - 1);
		if (p)
			ok = 0;
	}
	CHECK("encoded integers: sizes at each boundary, round trip, short input refused", ok);
}

static void test_framing(void)
{
	uint8_t m[] = { 0, 4, 10, 0x82, 3, 'a', 'b', 'c', 10 };
	struct pm pm;

	CHECK("control message: two bytes", pm_next(m, sizeof(m), &pm) == 2 && pm.cls == 0 && pm.type == 4);
	CHECK("table message: header, length, payload", pm_next(m + 2, sizeof(m) - 2, &pm) == 6 && pm.len == 3 &&
	      !memcmp(pm.data, "abc", 3));
	CHECK("incomplete message: wait", pm_next(m + 2, 4, &pm) == 0 && pm_next(m + 8, 1, &pm) == 0);
	{
		uint8_t big[16] = { 10, 0x80 };
		size_t n = pm_enc(PM_MAX_LEN + 1, big + 2);

		CHECK("a length over the limit is refused", pm_next(big, n + 2, &pm) < 0);
	}
}

static struct stk_conf conf(const char *id, int type, uint32_t keylen)
{
	struct stk_conf c = { 0 };

	c.id = (char *)id;
	c.type = type;
	c.keylen = keylen;
	c.size = 64;
	c.expire = 60000;
	c.store = 1ull << STK_DT_SERVER_ID | 1ull << STK_DT_GPC0 | 1ull << STK_DT_CONN_CUR |
		  1ull << STK_DT_HTTP_REQ_RATE | 1ull << STK_DT_BYTES_OUT_CNT;
	c.period[STK_DT_HTTP_REQ_RATE] = 10000;
	return c;
}

static void test_tables(void)
{
	struct stk_conf a = conf("web", STK_T_STR, 32), b = conf("web", STK_T_STR, 32);
	static uint8_t buf[PM_MAX_LEN];
	static struct pm_upd u;
	struct pm_def d;
	struct stk_key k;
	struct stk_ent *e;
	size_t n;
	uint32_t now = 5000000;

	stk_table_open(&a);
	stk_table_open(&b);
	n = pm_def_build(a.t, 7, buf);
	CHECK("definition parsed back", pm_def_parse(buf, n, &d) == 0);
	CHECK("definition: id, name, type, key length with its NUL, expiry, period",
	      d.id == 7 && d.nlen == 3 && !memcmp(d.name, "web", 3) && d.type == STK_T_STR && d.keylen == 33 &&
	      d.expire == 60000 && d.period[STK_DT_HTTP_REQ_RATE] == 10000);
	CHECK("definition: the data announced", d.data == (1ull << STK_DT_SERVER_ID | 1ull << STK_DT_GPC0 |
		1ull << STK_DT_CONN_CUR | 1ull << STK_DT_HTTP_REQ_RATE | 1ull << STK_DT_BYTES_OUT_CNT));
	/* cut anywhere but right after the data types (an older peer's
	 * definition ends there) */
	for (size_t cut = 0; cut < n; cut++)
		if (pm_def_parse(buf, cut, &d) == 0 && cut != 10) {
			printf("  a definition cut at %zu parsed\n", cut);
			CHECK("a truncated definition is not taken", 0);
			break;
		}
	pm_def_parse(buf, n, &d);

	stk_key_set(a.t, &k, "alice", 5);
	e = stk_get(a.t, &k, STK_GET_CREATE | STK_GET_TOUCH, now);
	*(int32_t *)stk_data(a.t, e, STK_DT_SERVER_ID) = 3;
	*(uint32_t *)stk_data(a.t, e, STK_DT_GPC0) = 42;
	*(uint32_t *)stk_data(a.t, e, STK_DT_CONN_CUR) = 9;
	*(uint64_t *)stk_data(a.t, e, STK_DT_BYTES_OUT_CNT) = 1ull << 40;
	for (int i = 0; i < 6; i++)
		stk_frq_add(stk_data(a.t, e, STK_DT_HTTP_REQ_RATE), 10000, now, 1);
	n = pm_upd_build(a.t, e, 99, now + 100, buf);
	stk_unlock(a.t, e);
	CHECK("update parsed back", pm_upd_parse(&d, PM_UPDATE, buf, n, &u) == 0 && u.has_id && u.id == 99 &&
	      u.klen == 5 && !memcmp(u.key, "alice", 5));
	CHECK("update applied to another table", pm_upd_apply(b.t, &d, &u, now + 200) == 0);
	e = stk_get(b.t, &k, 0, now + 200);
	CHECK("the entry is there", e != NULL);
	if (e) {
		CHECK("server_id, gpc0, 64-bit counter carried", *(int32_t *)stk_data(b.t, e, STK_DT_SERVER_ID) == 3 &&
		      *(uint32_t *)stk_data(b.t, e, STK_DT_GPC0) == 42 &&
		      *(uint64_t *)stk_data(b.t, e, STK_DT_BYTES_OUT_CNT) == 1ull << 40);
		CHECK("conn_cur stays local", *(uint32_t *)stk_data(b.t, e, STK_DT_CONN_CUR) == 0);
		CHECKF(stk_frq_read(stk_data(b.t, e, STK_DT_HTTP_REQ_RATE), 10000, now + 200) == 6,
		       "the rate reads the same on the other side (%u)",
		       stk_frq_read(stk_data(b.t, e, STK_DT_HTTP_REQ_RATE), 10000, now + 200));
		stk_unlock(b.t, e);
	}
	for (size_t cut = 0; cut < n; cut++)
		if (pm_upd_parse(&d, PM_UPDATE, buf, cut, &u) == 0) {
			printf("  an update cut at %zu parsed\n", cut);
			CHECK("a truncated update is refused", 0);
			break;
		}
	/* an integer table: the key travels in network order */
	{
		struct stk_conf ic = conf("ints", STK_T_INT, 4);
		uint32_t key = 0x01020304;

		stk_table_open(&ic);
		stk_key_set(ic.t, &k, &key, 4);
		e = stk_get(ic.t, &k, STK_GET_CREATE, now);
		n = pm_upd_build(ic.t, e, 1, now, buf);
		stk_unlock(ic.t, e);
		CHECK("integer keys are sent big-endian", buf[4] == 1 && buf[5] == 2 && buf[6] == 3 && buf[7] == 4);
		stk_table_close(&ic);
	}
	/* a definition with a data type tandem cannot read: unusable, not an error */
	{
		uint8_t x[64];
		size_t m = 0;

		m += pm_enc(1, x + m);
		m += pm_enc(1, x + m);
		x[m++] = 'z';
		m += pm_enc(4, x + m);
		m += pm_enc(4, x + m);
		m += pm_enc(1ull << 40, x + m);
		m += pm_enc(1000, x + m);
		CHECK("an unknown data type makes the table unusable", pm_def_parse(x, m, &d) == 1);
	}
	stk_table_close(&a);
	stk_table_close(&b);
}

int main(void)
{
	test_varint();
	test_framing();
	test_tables();
	UNIT_END();
}
