/* libFuzzer driver for the peers protocol's messages (src/stick/peers_msg.c):
 * the input is a byte stream as a peer would send it after the hello, cut
 * into messages by pm_next() and handled as src/stick/peers.c does:
 * definitions parsed (and the table they describe made, as a local table
 * of the same name would be), table switches, updates parsed and applied.
 * Contract checked:
 *  - pm_next() never consumes more than it is given, and a payload lies
 *    inside the input;
 *  - a parsed definition has a name of 1..255 bytes and a known key type
 *    or -1; building a definition of the table made from it parses back
 *    to the same id, name, key type and length, expiry, data and periods;
 *  - a parsed update's key fits STK_KEY_MAX; once applied, the entry is in
 *    the table (unless sent with an expiry of 0: it expires at once), and the update built from it parses back with the same key
 *    and the same counters (conn_cur excepted: it stays local);
 *  - nothing reads past a message (ASan) and nothing is undefined (UBSan).
 * A violated invariant aborts.
 *
 * fuzz-src: LIB */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/stick.h>
#include "../../src/stick/peers_int.h"

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

#define MAX_DEFS 4

struct rt {
	struct pm_def   def;
	int             usable;
	struct stk_conf conf;
	char            name[256];
	int             open;
};

static uint8_t out[PM_MAX_LEN];
static struct pm_upd u, u2;

/* The table a definition describes, as tandem would declare it. */
static void make_table(struct rt *r)
{
	struct stk_conf *c = &r->conf;
	const struct pm_def *d = &r->def;

	memset(c, 0, sizeof(*c));
	if (!r->usable || d->type < 0)
		return;
	memcpy(r->name, d->name, d->nlen);
	r->name[d->nlen] = 0;
	if (strlen(r->name) != d->nlen)
		return;   /* a NUL in the name: no local table can have it */
	c->id = r->name;
	c->type = d->type;
	switch (d->type) {
	case STK_T_IP:   if (d->keylen != 4) return; c->keylen = 4; break;
	case STK_T_IPV6: if (d->keylen != 16) return; c->keylen = 16; break;
	case STK_T_INT:  if (d->keylen != 4) return; c->keylen = 4; break;
	case STK_T_STR:  if (d->keylen < 2 || d->keylen > STK_KEY_MAX + 1) return; c->keylen = d->keylen - 1; break;
	default:         if (!d->keylen || d->keylen > STK_KEY_MAX) return; c->keylen = d->keylen; break;
	}
	c->size = 8;
	c->expire = d->expire;
	for (int dt = 0; dt < STK_DT_N; dt++)
		if ((d->data >> dt & 1) && stk_dt[dt].std != STK_STD_NONE) {
			c->store |= 1ull << dt;
			if (stk_dt[dt].std == STK_STD_FRQP)
				c->period[dt] = d->period[dt] ? d->period[dt] : 1000;
		}
	if (stk_table_open(c) == 0)
		r->open = 1;
}

static void check_def_roundtrip(const struct rt *r)
{
	const struct stk_conf *c = &r->conf;
	static struct pm_def d;
	size_t n = pm_def_build(c->t, r->def.id, out);

	INV(n <= PM_MAX_LEN);
	INV(pm_def_parse(out, n, &d) == 0);
	INV(d.id == r->def.id && d.nlen == r->def.nlen && !memcmp(d.name, r->def.name, d.nlen));
	INV(d.type == c->type && d.keylen == (c->type == STK_T_STR ? c->keylen + 1 : c->keylen));
	INV(d.expire == c->expire && d.data == c->store);
	for (int dt = 0; dt < STK_DT_N; dt++)
		if (stk_dt[dt].std == STK_STD_FRQP && (c->store >> dt & 1))
			INV(d.period[dt] == c->period[dt]);
}

static void check_update(struct rt *r, int type, const struct pm *m, uint64_t now)
{
	struct stk_table *t;
	struct stk_key k;
	struct stk_ent *e;
	static struct pm_def own;
	size_t n;

	if (pm_upd_parse(&r->def, type, m->data, m->len, &u) < 0)
		return;
	INV(u.klen <= STK_KEY_MAX);
	if (!r->open)
		return;
	t = r->conf.t;
	INV(pm_upd_apply(t, &r->def, &u, now) == 0);
	stk_key_set(t, &k, u.key, u.klen);
	INV(pm_def_parse(out, pm_def_build(t, 1, out), &own) == 0);
	e = stk_get(t, &k, 0, now);
	if (u.has_expire && !u.expire && r->conf.expire) {
		/* sent as expiring now (HAProxy's meaning too): may be gone */
		if (e)
			stk_unlock(t, e);
		return;
	}
	INV(e != NULL);
	n = pm_upd_build(t, e, 7, (uint32_t)now, out);
	stk_unlock(t, e);
	INV(n <= PM_MAX_LEN);
	INV(pm_upd_parse(&own, PM_UPDATE, out, n, &u2) == 0);
	INV(u2.has_id && u2.id == 7 && u2.klen == k.len && !memcmp(u2.key, k.b, k.len));
	for (int dt = 0; dt < STK_DT_N; dt++) {
		if (!(r->conf.store >> dt & 1) || !(u.present >> dt & 1) || stk_dt[dt].is_local)
			continue;
		INV(u2.present >> dt & 1);
		switch (stk_dt[dt].std) {
		case STK_STD_SINT:
		case STK_STD_UINT: INV((uint32_t)u2.val[dt].v == (uint32_t)u.val[dt].v); break;
		case STK_STD_ULL:  INV(u2.val[dt].v == u.val[dt].v); break;
		default: break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rt rt[MAX_DEFS];
	int nrt = 0, cur = -1;
	uint64_t now = 100000000;
	size_t at = 0;

	memset(rt, 0, sizeof(rt));
	while (at < size) {
		struct pm m = { 0 };
		long n = pm_next(data + at, size - at, &m);

		if (n <= 0)
			break;
		INV((size_t)n <= size - at);
		if (m.len)
			INV(m.data >= data + at && m.data + m.len <= data + at + n);
		at += (size_t)n;
		now += 7;
		if (m.cls != PM_STKT)
			continue;
		switch (m.type) {
		case PM_DEFINE: {
			static struct pm_def d;
			int r = pm_def_parse(m.data, m.len, &d), slot;

			if (r < 0)
				goto done;   /* the session would close */
			INV(d.nlen >= 1 && d.nlen <= 255);
			INV(d.type >= -1 && d.type < STK_T_N);
			for (slot = 0; slot < nrt && rt[slot].def.id != d.id; slot++)
				;
			if (slot == nrt) {
				if (nrt == MAX_DEFS) {
					cur = -1;
					break;
				}
				nrt++;
			} else if (rt[slot].open) {
				stk_table_close(&rt[slot].conf);
				rt[slot].open = 0;
			}
			rt[slot].def = d;
			rt[slot].usable = r == 0 && d.type >= 0;
			make_table(&rt[slot]);
			if (rt[slot].open)
				check_def_roundtrip(&rt[slot]);
			cur = slot;
			break;
		}
		case PM_SWITCH: {
			const uint8_t *q = m.data;
			uint32_t id = (uint32_t)pm_dec(&q, m.data + m.len);

			if (!q)
				goto done;
			cur = -1;
			for (int i = 0; i < nrt; i++)
				if (rt[i].def.id == id)
					cur = i;
			break;
		}
		case PM_UPDATE:
		case PM_INCUPDATE:
		case PM_UPDATE_TIMED:
		case PM_INCUPDATE_TIMED:
			if (cur >= 0 && rt[cur].usable)
				check_update(&rt[cur], m.type, &m, now);
			break;
		default:
			break;
		}
	}
done:
	for (int i = 0; i < nrt; i++)
		if (rt[i].open)
			stk_table_close(&rt[i].conf);
	return 0;
}
