/* Counter helpers: histogram bucketing and the monotonic max. */
#include <tandem/counters-t.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"

/* Per-thread slots: each writer thread adds to its own slot, a reader sums
 * them, gauges and maxima live in slot 0; several threads on one slot stay
 * exact (atomic adds). */
static struct counters *shared;

static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg;

	ctr_thread_init(id);
	for (int i = 0; i < 100000; i++) {
		CTR_ADD(shared->cum_req, 1);
		CTR_ADD(shared->bytes_out, 3);
		CTR_GADD(shared->cur_sess, 1);
		CTR_GSUB(shared->cur_sess, 1);
	}
	return NULL;
}

static void slots(void)
{
	pthread_t th[6];
	int i;

	ctr_init(4);
	CHECK("slots follow the CPUs", ctr_nslots == 4);
	ctr_init(64);
	CHECK("at most CTR_SLOTS slots", ctr_nslots == CTR_SLOTS);
	ctr_init(4);
	shared = ctr_new();
	for (i = 0; i < 6; i++)   /* 6 threads on 4 slots: two slots shared */
		pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	CHECK("sum over the slots is exact", CTR_GET(shared->cum_req) == 600000);
	CHECK("sum of another field", CTR_GET(shared->bytes_out) == 1800000);
	CHECK("writes landed in several slots", shared[1].cum_req > 0 && shared[3].cum_req > 0);
	CHECK("the gauge lives in slot 0", shared[0].cur_sess == 0 && shared[1].cur_sess == 0);
	CTR_GADD(shared->cur_sess, 7);
	CTR_MAX(shared->max_sess, CTR_GET(shared->cur_sess));
	ctr_clear(shared);
	CHECK("clear zeroes every slot", CTR_GET(shared->cum_req) == 0 && CTR_GET(shared->bytes_out) == 0);
	CHECK("clear keeps current sessions", CTR_GET(shared->cur_sess) == 7);
	CHECK("the maximum restarts from the current value", CTR_GET(shared->max_sess) == 7);
	free(shared);
	ctr_init(1);
	ctr_thread_init(0);
}

int main(void)
{
	struct counters c;
	int i;

	memset(&c, 0, sizeof(c));
	ctr_hist_add(&c, 0);          /* 0 ms -> first bucket (<= 1 ms) */
	ctr_hist_add(&c, 1000);       /* exactly 1 ms -> first bucket */
	ctr_hist_add(&c, 1001);       /* just above -> second bucket (<= 2 ms) */
	ctr_hist_add(&c, 60000000);   /* a minute -> +Inf */
	CHECK("0 and 1 ms land in the <=1ms bucket", c.ta_hist[0] == 2);
	CHECK("1.001 ms lands in the <=2ms bucket", c.ta_hist[1] == 1);
	CHECK("60 s lands in +Inf", c.ta_hist[CTR_HIST_N - 1] == 1);
	CHECK("sum in microseconds", c.ta_sum_us == 60002001u);
	for (i = 1; i < CTR_HIST_N - 1; i++)
		CHECKF(ctr_hist_bounds_ms[i] > ctr_hist_bounds_ms[i - 1], "bounds ascend at %d", i);
	CTR_MAX(c.max_sess, 5);
	CTR_MAX(c.max_sess, 3);
	CHECK("CTR_MAX keeps the highest", c.max_sess == 5);
	slots();
	UNIT_END();
}
