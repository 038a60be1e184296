/* Latency histogram buckets shared by every counter set. Bounds follow
 * the usual Prometheus spread for HTTP latencies, in milliseconds. */
#include <stdlib.h>
#include <tandem/counters-t.h>

const unsigned ctr_hist_bounds_ms[CTR_HIST_N - 1] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
};

void ctr_hist_add(struct counters *c, uint64_t us)
{
	int i = 0;

	while (i < CTR_HIST_N - 1 && us > (uint64_t)ctr_hist_bounds_ms[i] * 1000u)
		i++;
	CTR_ADD(c->ta_hist[i], 1);
	CTR_ADD(c->ta_sum_us, us);
}

int ctr_nslots = 1;
__thread size_t ctr_slot_off;

void ctr_init(int ncpu)
{
	ctr_nslots = ncpu < 1 ? 1 : ncpu > CTR_SLOTS ? CTR_SLOTS : ncpu;
}

void ctr_thread_init(int id)
{
	ctr_slot_off = (size_t)(id % ctr_nslots) * sizeof(struct counters);
}

struct counters *ctr_new(void)
{
	struct counters *c = calloc((size_t)ctr_nslots, sizeof(*c));

	if (!c)
		abort();
	return c;
}

void ctr_clear(struct counters *c)
{
	ctr_t cur = __atomic_load_n(&c->cur_sess, __ATOMIC_RELAXED);
	size_t n = sizeof(*c) / sizeof(ctr_t);

	for (int i = 0; i < ctr_nslots; i++) {
		ctr_t *p = (ctr_t *)(void *)&c[i];

		for (size_t f = 0; f < n; f++)
			if (i || &p[f] != &c->cur_sess)
				__atomic_store_n(&p[f], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&c->max_sess, cur, __ATOMIC_RELAXED);
}
