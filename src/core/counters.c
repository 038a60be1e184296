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

struct counters *ctr_new(void)
{
	struct counters *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	return c;
}
