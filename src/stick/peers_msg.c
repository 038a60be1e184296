/* The peers protocol's messages (HAProxy's "HAProxyS 2.1"): framing,
 * encoded integers, table definitions and entry updates. Pure functions:
 * nothing here reads a socket or a clock (tests/fuzz/fuzz_peers.c feeds
 * them any bytes).
 *
 * Framing: <class> <type>, then for types >= 128 an encoded length and the
 * payload. Encoded integers: below 240 one byte; else the low 4 bits
 * follow a 0xF0 marker and 7 more bits come in each next byte, the high
 * bit of a byte saying another one follows (HAProxy's intencode).
 *
 * A table is defined once per session (its id, name, key type and length,
 * the data types its updates carry, its expiry, the period of each rate),
 * then updates name it by that id (or follow a SWITCH). An update carries
 * an update id (4 bytes, big endian; implied +1 for INCUPDATE), for
 * "timed" ones the remaining expiry (4 bytes), the key (strings: length
 * and bytes; integers: 4 bytes big endian; others: key length bytes), then
 * each announced data type in order: counters as encoded integers, rates
 * as the age of their period, its count and the previous period's count;
 * HAProxy's server_key as a length-prefixed dictionary entry (skipped). */
#include <arpa/inet.h>
#include <string.h>
#include <tandem/stick.h>
#include "peers_int.h"

/* How each data type is encoded, including those tandem does not store. */
enum { ENC_NONE = 0, ENC_INT, ENC_FRQP, ENC_DICT, ENC_ARR_INT, ENC_ARR_FRQP };

static const uint8_t enc_of[PM_TYPES] = {
	ENC_INT, ENC_INT, ENC_INT, ENC_FRQP, ENC_INT, ENC_FRQP, ENC_INT, ENC_INT, ENC_FRQP, ENC_INT,   /* 0-9 */
	ENC_FRQP, ENC_INT, ENC_FRQP, ENC_INT, ENC_FRQP, ENC_INT, ENC_FRQP, ENC_INT, ENC_FRQP,         /* 10-18 */
	ENC_DICT,                                                                                        /* 19 server_key */
	ENC_INT, ENC_FRQP,                                                                               /* 20-21 http_fail */
	ENC_ARR_INT, ENC_ARR_INT, ENC_ARR_FRQP,                                                          /* 22-24 gpt, gpc, gpc_rate */
	ENC_INT, ENC_FRQP,                                                                               /* 25-26 glitch */
};

/* ---- encoded integers ---- */

size_t pm_enc(uint64_t v, uint8_t *out)
{
	size_t n = 0;

	if (v < 240) {
		out[0] = (uint8_t)v;
		return 1;
	}
	out[n++] = (uint8_t)(v | 0xf0);
	v = (v - 240) >> 4;
	while (v >= 128) {
		out[n++] = (uint8_t)(v | 0x80);
		v = (v - 128) >> 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

uint64_t pm_dec(const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	uint64_t v;
	unsigned shift = 4;

	if (!p || p >= end)
		goto bad;
	v = *p++;
	if (v >= 240) {
		do {
			if (p >= end || shift > 63)
				goto bad;
			v += (uint64_t)*p << shift;
			shift += 7;
		} while (*p++ >= 128);
	}
	*pp = p;
	return v;
bad:
	*pp = NULL;
	return 0;
}

/* ---- framing ---- */

long pm_next(const uint8_t *buf, size_t len, struct pm *m)
{
	const uint8_t *p, *end = buf + len;
	uint64_t l;

	if (len < 2)
		return 0;
	m->cls = buf[0];
	m->type = buf[1];
	m->data = NULL;
	m->len = 0;
	if (m->type < 128)
		return 2;
	p = buf + 2;
	if (p >= end)
		return 0;
	l = pm_dec(&p, end);
	if (!p) {
		/* the length itself is incomplete, unless it is already too long */
		return len - 2 >= 10 ? -1 : 0;
	}
	if (l > PM_MAX_LEN)
		return -1;
	if ((size_t)(end - p) < l)
		return 0;
	m->data = p;
	m->len = (size_t)l;
	return (long)(p - buf) + (long)l;
}

int pm_net_type(int t)
{
	switch (t) {
	case STK_T_INT:  return 2;
	case STK_T_IP:   return 4;
	case STK_T_IPV6: return 5;
	case STK_T_STR:  return 6;
	default:         return 7;
	}
}

int pm_stk_type(int n)
{
	switch (n) {
	case 2: return STK_T_INT;
	case 4: return STK_T_IP;
	case 5: return STK_T_IPV6;
	case 6: return STK_T_STR;
	case 7: return STK_T_BIN;
	default: return -1;
	}
}

/* ---- definitions ---- */

size_t pm_def_build(const struct stk_table *t, uint32_t id, uint8_t *out)
{
	const struct stk_conf *c = t->c;
	size_t n = 0, nl = strlen(c->id);
	uint64_t data = 0;

	if (nl > 255)
		nl = 255;
	n += pm_enc(id, out + n);
	n += pm_enc(nl, out + n);
	memcpy(out + n, c->id, nl);
	n += nl;
	n += pm_enc((uint64_t)pm_net_type(c->type), out + n);
	/* HAProxy counts the NUL of string keys */
	n += pm_enc(c->type == STK_T_STR ? c->keylen + 1 : c->keylen, out + n);
	for (int dt = 0; dt < STK_DT_N; dt++)
		if (c->off[dt])
			data |= 1ull << dt;
	n += pm_enc(data, out + n);
	n += pm_enc(c->expire, out + n);
	/* each rate's period, prefixed by its type */
	for (int dt = 0; dt < STK_DT_N; dt++)
		if (c->off[dt] && stk_dt[dt].std == STK_STD_FRQP) {
			n += pm_enc((uint64_t)dt, out + n);
			n += pm_enc(c->period[dt], out + n);
		}
	return n;
}

int pm_def_parse(const uint8_t *p, size_t len, struct pm_def *d)
{
	const uint8_t *end = p + len;
	uint64_t v;
	int usable = 1;

	memset(d, 0, sizeof(*d));
	d->id = (uint32_t)pm_dec(&p, end);
	v = pm_dec(&p, end);
	if (!p || !v || v > 255 || v >= (uint64_t)(end - p))
		return -1;
	memcpy(d->name, p, (size_t)v);
	d->nlen = (size_t)v;
	p += v;
	d->type = pm_stk_type((int)pm_dec(&p, end));
	v = pm_dec(&p, end);
	d->keylen = v > STK_KEY_MAX + 1 ? STK_KEY_MAX + 2 : (uint32_t)v;
	d->data = pm_dec(&p, end);
	if (!p)
		return -1;
	if (d->data >> PM_TYPES)
		usable = 0;   /* a data type newer than what we know: its updates cannot be read */
	if (p >= end) {
		/* an old peer: no expiry nor parameters (arrays need theirs) */
		for (int dt = 0; dt < PM_TYPES; dt++)
			if ((d->data >> dt & 1) && (enc_of[dt] == ENC_ARR_INT || enc_of[dt] == ENC_ARR_FRQP))
				usable = 0;
		return usable ? 0 : 1;
	}
	d->expire = (uint32_t)pm_dec(&p, end);
	if (!p)
		return -1;
	for (int dt = 0; dt < PM_TYPES; dt++) {
		if (!(d->data >> dt & 1))
			continue;
		if (enc_of[dt] == ENC_FRQP || enc_of[dt] == ENC_ARR_INT || enc_of[dt] == ENC_ARR_FRQP) {
			if ((int)pm_dec(&p, end) != dt || !p)
				return p ? 1 : -1;   /* parameters out of order: unusable */
			if (enc_of[dt] != ENC_FRQP) {
				v = pm_dec(&p, end);
				if (!p)
					return -1;
				if (!v || v > 64)
					usable = 0;
				d->nbelem[dt] = (uint32_t)v;
			}
			if (enc_of[dt] != ENC_ARR_INT) {
				d->period[dt] = (uint32_t)pm_dec(&p, end);
				if (!p)
					return -1;
			}
		}
	}
	return usable ? 0 : 1;
}

/* ---- updates ---- */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

int pm_upd_parse(const struct pm_def *d, int type, const uint8_t *p, size_t len, struct pm_upd *u)
{
	const uint8_t *end = p + len;

	memset(u, 0, sizeof(*u));
	if (type == PM_UPDATE || type == PM_UPDATE_TIMED) {
		if (end - p < 4)
			return -1;
		u->id = rd32(p);
		u->has_id = 1;
		p += 4;
	}
	if (type == PM_UPDATE_TIMED || type == PM_INCUPDATE_TIMED) {
		if (end - p < 4)
			return -1;
		u->expire = rd32(p);
		u->has_expire = 1;
		p += 4;
	}
	switch (d->type) {
	case STK_T_STR: {
		uint64_t l = pm_dec(&p, end);

		if (!p || l > (uint64_t)(end - p))
			return -1;
		u->klen = (uint16_t)(l > STK_KEY_MAX ? STK_KEY_MAX : l);
		memcpy(u->key, p, u->klen);
		p += l;
		break;
	}
	case STK_T_INT: {
		uint32_t k;

		if (end - p < 4)
			return -1;
		k = rd32(p);
		memcpy(u->key, &k, 4);   /* host order, as tandem keeps integers */
		u->klen = 4;
		p += 4;
		break;
	}
	default:
		if (!d->keylen || d->keylen > STK_KEY_MAX || (size_t)(end - p) < d->keylen)
			return -1;
		memcpy(u->key, p, d->keylen);
		u->klen = (uint16_t)d->keylen;
		p += d->keylen;
		break;
	}
	for (int dt = 0; dt < PM_TYPES; dt++) {
		unsigned n = 1;

		if (!(d->data >> dt & 1))
			continue;
		switch (enc_of[dt]) {
		case ENC_ARR_INT:
		case ENC_ARR_FRQP:
			n = d->nbelem[dt];
			/* fallthrough */
		case ENC_INT:
		case ENC_FRQP:
			for (unsigned i = 0; i < n; i++) {
				struct pm_val v = { 0 };

				if (enc_of[dt] == ENC_INT || enc_of[dt] == ENC_ARR_INT) {
					v.v = pm_dec(&p, end);
				} else {
					v.age = (uint32_t)pm_dec(&p, end);
					v.curr = (uint32_t)pm_dec(&p, end);
					v.prev = (uint32_t)pm_dec(&p, end);
				}
				if (!p)
					return -1;
				if (i == 0)
					u->val[dt] = v;
			}
			u->present |= 1ull << dt;
			break;
		case ENC_DICT: {
			uint64_t l = pm_dec(&p, end);

			if (!p || l > (uint64_t)(end - p))
				return -1;
			p += l;   /* HAProxy's server name cache: not used by tandem */
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

static void wr32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

size_t pm_upd_build(const struct stk_table *t, struct stk_ent *e, uint32_t id, uint32_t now, uint8_t *out)
{
	const struct stk_conf *c = t->c;
	size_t n = 0;

	wr32(out, id);
	n += 4;
	switch (c->type) {
	case STK_T_STR:
		n += pm_enc(e->klen, out + n);
		memcpy(out + n, e->key, e->klen);
		n += e->klen;
		break;
	case STK_T_INT: {
		uint32_t k;

		memcpy(&k, e->key, 4);
		wr32(out + n, k);
		n += 4;
		break;
	}
	default:
		memcpy(out + n, e->key, c->keylen);
		n += c->keylen;
		break;
	}
	for (int dt = 0; dt < STK_DT_N; dt++) {
		void *p = c->off[dt] ? stk_data(t, e, dt) : NULL;

		if (!p)
			continue;
		switch (stk_dt[dt].std) {
		case STK_STD_SINT:
			n += pm_enc((uint64_t)(int64_t)*(int32_t *)p, out + n);
			break;
		case STK_STD_UINT:
			n += pm_enc(*(uint32_t *)p, out + n);
			break;
		case STK_STD_ULL:
			n += pm_enc(*(uint64_t *)p, out + n);
			break;
		case STK_STD_FRQP: {
			const struct stk_frq *f = p;
			uint32_t tick = __atomic_load_n(&f->tick, __ATOMIC_ACQUIRE) & ~1u;

			n += pm_enc((uint32_t)(now - tick), out + n);
			n += pm_enc(__atomic_load_n(&f->curr, __ATOMIC_RELAXED), out + n);
			n += pm_enc(__atomic_load_n(&f->prev, __ATOMIC_RELAXED), out + n);
			break;
		}
		default:
			break;
		}
	}
	return n;
}

int pm_upd_apply(struct stk_table *t, const struct pm_def *d, const struct pm_upd *u, uint64_t now)
{
	struct stk_key k;
	struct stk_ent *e;

	stk_key_set(t, &k, u->key, u->klen);
	if (!(e = stk_get(t, &k, STK_GET_CREATE | STK_GET_TOUCH, now)))
		return -1;
	for (int dt = 0; dt < STK_DT_N; dt++) {
		void *p;

		if (!(u->present >> dt & 1) || stk_dt[dt].is_local || !(p = stk_data(t, e, dt)))
			continue;
		switch (stk_dt[dt].std) {
		case STK_STD_SINT: *(int32_t *)p = (int32_t)u->val[dt].v; break;
		case STK_STD_UINT: *(uint32_t *)p = (uint32_t)u->val[dt].v; break;
		case STK_STD_ULL:  *(uint64_t *)p = u->val[dt].v; break;
		case STK_STD_FRQP: {
			struct stk_frq *f = p;

			/* only meaningful over the same period */
			if (d->period[dt] && d->period[dt] != t->c->period[dt])
				break;
			f->tick = ((uint32_t)now - u->val[dt].age) & ~1u;
			f->curr = u->val[dt].curr;
			f->prev = u->val[dt].prev;
			break;
		}
		default:
			break;
		}
	}
	if (u->has_expire && t->c->expire)
		e->expire = now + (u->expire < t->c->expire ? u->expire : t->c->expire);
	stk_unlock(t, e);
	return 0;
}
