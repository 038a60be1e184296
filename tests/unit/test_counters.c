/* Counter helpers: histogram bucketing and the monotonic max. */
#include <tandem/counters-t.h>
#include "unit.h"

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
	UNIT_END();
}
