/* The history of the stats (src/admin/hist.c): a sampler on the worker's
 * thread 0 that, once per wall-clock second, reads the counters every row
 * already has (no lock, nothing added to the request path) into the rings
 * of the shared area (shm_hist.h), and what is read back from them: the
 * per-second rates of the CSV, JSON and dashboard (HAProxy's way: the
 * current second's count plus the previous second's, weighed by what is
 * left of it), their maxima, and the samples of the last 15 minutes. */
#ifndef TANDEM_STATS_HIST_H
#define TANDEM_STATS_HIST_H
#include <stdint.h>
#include <tandem/proxy-t.h>
#include <tandem/shm_hist-t.h>
#include <tandem/stats-t.h>

/* The sampler, a worker module served by thread 0 (admin.c registers it). */
int  stats_hist_start(struct cfg *cfg);
void stats_hist_stop(void);

/* Take the samples of every row of <cfg> for the second that ended before
 * wall-clock <now_ms> (the sampler's timer; unit tests call it with
 * simulated time). Also records backends going DOWN or UP again as state
 * changes. */
void stats_hist_sample(const struct cfg *cfg, uint64_t now_ms);

/* Sums of HV_* values (shm_hist-t.h) a rate is read for. */
#define HVM(k)    (1u << (k))
#define HVM_ERR   (HVM(HV_E5XX) | HVM(HV_ECON) | HVM(HV_ERESP))

/* Per-second rate of the sum of the values in <mask> of row <r> (its
 * counters) at wall-clock <now_ms>: the count since the newest sample,
 * plus the previous period's count weighed by what is left of a second
 * since then (HAProxy's freq_ctr over one second). 0 with *known = 0 when
 * the row has no history (no sample yet, or no ring). */
double stats_hist_rate(const struct stat_row *r, unsigned mask, uint64_t now_ms, int *known);
/* Highest per-second rate of HV_SESS, HV_REQ or HV_CONN seen for <r>
 * (HAProxy's rate_max, req_rate_max, conn_rate_max); 0 without history. */
uint64_t stats_hist_rate_max(const struct stat_row *r, int hv);
/* Reset those maxima (`clear counters`). */
void stats_hist_clear_max(const struct counters *c);

/* Copy the samples of the <n> seconds ending with <end_t> (oldest first)
 * of the row whose counters are <c> into <out>; a second without sample
 * gets t = 0. Returns 0, or -1 when the row has no ring. */
int stats_hist_copy(const struct counters *c, uint32_t end_t, uint32_t n, struct hist_sample *out);
/* Newest second sampled for every row (0: none yet). */
uint32_t stats_hist_end(void);

/* q-quantile (0..1) in microseconds of histogram bucket counts <c>
 * (CTR_HIST_N, not cumulative, upper bounds ctr_hist_bounds_ms, the last
 * bucket +Inf), interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does. Returns -1 when the counts are all 0. */
int64_t stats_hist_quantile_us(const uint64_t *c, double q);

/* The state of row <r> as a sample records it (enum hist_state). */
int stats_hist_state(const struct stat_row *r);

#endif
