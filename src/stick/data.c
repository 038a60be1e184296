/* Stick table data types (HAProxy's names and numbers), the layout of an
 * entry's data area, and sliding-window rates.
 *
 * Rates follow HAProxy's freq_ctr over a period: events are counted in the
 * current period; when it is over, its count becomes the previous one
 * (or 0 when more than a whole period passed). The rate read at a time t
 * is curr + prev x (the part of the previous period still inside the
 * window [t - period, t]), rounded down, with HAProxy's correction for
 * very low rates (no event yet in this period and at most one in the
 * previous: the previous count). So N events within one period read N. */
#include <stdio.h>
#include <string.h>
#include <tandem/stick.h>

const struct stk_dt_info stk_dt[STK_DT_N] = {
	[STK_DT_SERVER_ID]      = { "server_id",      STK_STD_SINT, 0 },
	[STK_DT_GPT0]           = { "gpt0",           STK_STD_UINT, 0 },
	[STK_DT_GPC0]           = { "gpc0",           STK_STD_UINT, 0 },
	[STK_DT_GPC0_RATE]      = { "gpc0_rate",      STK_STD_FRQP, 0 },
	[STK_DT_CONN_CNT]       = { "conn_cnt",       STK_STD_UINT, 0 },
	[STK_DT_CONN_RATE]      = { "conn_rate",      STK_STD_FRQP, 0 },
	[STK_DT_CONN_CUR]       = { "conn_cur",       STK_STD_UINT, 1 },
	[STK_DT_SESS_CNT]       = { "sess_cnt",       STK_STD_UINT, 0 },
	[STK_DT_SESS_RATE]      = { "sess_rate",      STK_STD_FRQP, 0 },
	[STK_DT_HTTP_REQ_CNT]   = { "http_req_cnt",   STK_STD_UINT, 0 },
	[STK_DT_HTTP_REQ_RATE]  = { "http_req_rate",  STK_STD_FRQP, 0 },
	[STK_DT_HTTP_ERR_CNT]   = { "http_err_cnt",   STK_STD_UINT, 0 },
	[STK_DT_HTTP_ERR_RATE]  = { "http_err_rate",  STK_STD_FRQP, 0 },
	[STK_DT_BYTES_IN_CNT]   = { "bytes_in_cnt",   STK_STD_ULL,  0 },
	[STK_DT_BYTES_IN_RATE]  = { "bytes_in_rate",  STK_STD_FRQP, 0 },
	[STK_DT_BYTES_OUT_CNT]  = { "bytes_out_cnt",  STK_STD_ULL,  0 },
	[STK_DT_BYTES_OUT_RATE] = { "bytes_out_rate", STK_STD_FRQP, 0 },
	[STK_DT_GPC1]           = { "gpc1",           STK_STD_UINT, 0 },
	[STK_DT_GPC1_RATE]      = { "gpc1_rate",      STK_STD_FRQP, 0 },
	[STK_DT_SERVER_KEY]     = { "server_key",     STK_STD_NONE, 0 },
	[STK_DT_HTTP_FAIL_CNT]  = { "http_fail_cnt",  STK_STD_UINT, 0 },
	[STK_DT_HTTP_FAIL_RATE] = { "http_fail_rate", STK_STD_FRQP, 0 },
};

int stk_dt_find(const char *name, size_t len)
{
	for (int i = 0; i < STK_DT_N; i++)
		if (strlen(stk_dt[i].name) == len && !memcmp(stk_dt[i].name, name, len))
			return i;
	return -1;
}

const char *stk_type_name(int type)
{
	static const char *const n[STK_T_N] = { "ip", "ipv6", "integer", "string", "binary" };

	return type >= 0 && type < STK_T_N ? n[type] : "?";
}

static size_t std_size(int std)
{
	switch (std) {
	case STK_STD_SINT:
	case STK_STD_UINT: return 4;
	case STK_STD_ULL:  return 8;
	case STK_STD_FRQP: return sizeof(struct stk_frq);
	default:           return 0;
	}
}

int stk_conf_layout(struct stk_conf *c, char *err, size_t errlen)
{
	size_t at = 0;

	memset(c->off, 0, sizeof(c->off));
	if (c->used_by_stick)
		c->store |= 1ull << STK_DT_SERVER_ID;
	/* 64-bit counters first: every member stays naturally aligned */
	for (int pass = 0; pass < 2; pass++)
		for (int dt = 0; dt < STK_DT_N; dt++) {
			size_t sz = std_size(stk_dt[dt].std);

			if (!(c->store & (1ull << dt)) || !sz || (sz == 8) != (pass == 0))
				continue;
			if (at + 1 > 0xffff - sz) {
				snprintf(err, errlen, "too much data stored per entry");
				return -1;
			}
			c->off[dt] = (uint16_t)(at + 1);
			at += sz;
		}
	c->data_len = (uint32_t)((at + 7) & ~(size_t)7);
	return 0;
}

/* ---- rates ----------------------------------------------------------------- */

void stk_frq_add(struct stk_frq *f, uint32_t period, uint32_t now, uint32_t inc)
{
	uint32_t tick;

	if (!period)
		period = 1;
	for (;;) {
		tick = __atomic_load_n(&f->tick, __ATOMIC_ACQUIRE);
		if (now - tick < period) {
			__atomic_add_fetch(&f->curr, inc, __ATOMIC_RELAXED);
			return;
		}
		/* the period is over: one thread rotates, holding the low bit */
		if (!(tick & 1) && __atomic_compare_exchange_n(&f->tick, &tick, tick | 1, 0,
								__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
	}
	__atomic_store_n(&f->prev, __atomic_exchange_n(&f->curr, inc, __ATOMIC_ACQ_REL), __ATOMIC_RELAXED);
	tick += period;
	if (now - tick >= period) {
		/* at least two periods went by without an event */
		__atomic_store_n(&f->prev, 0, __ATOMIC_RELAXED);
		tick = now;
	}
	__atomic_store_n(&f->tick, tick & ~1u, __ATOMIC_RELEASE);
}

uint32_t stk_frq_read(const struct stk_frq *f, uint32_t period, uint32_t now)
{
	uint64_t curr, past;
	uint32_t tick;
	int32_t remain;

	if (!period)
		period = 1;
	for (;;) {
		tick = __atomic_load_n(&f->tick, __ATOMIC_ACQUIRE);
		curr = __atomic_load_n(&f->curr, __ATOMIC_RELAXED);
		past = __atomic_load_n(&f->prev, __ATOMIC_RELAXED);
		if (!(tick & 1) && __atomic_load_n(&f->tick, __ATOMIC_ACQUIRE) == tick)
			break;
	}
	remain = (int32_t)(tick + period - now);
	if (remain < 0) {
		/* past the current period: maybe part of it is still in the window */
		remain += (int32_t)period;
		past = remain >= 0 ? curr : 0;
		curr = 0;
	}
	if (remain < 0)
		remain = 0;
	if (!curr && past <= 1)
		return (uint32_t)past;
	return (uint32_t)((past * (uint64_t)remain + curr * period) / period);
}
