/* Measurements of one run: every request outcome lands in a one-second
 * row (the report's table), a 100 ms tick (fault analysis and the chart)
 * and the run's totals. Times are relative to the start of the load. */
#ifndef CHAOS_MEAS_H
#define CHAOS_MEAS_H
#include <stdint.h>
#include <stddef.h>
#include "hc.h"

#define MAX_NODES 16
#define TICK_MS   100
#define MAX_CODES 8
/* log-linear latency histogram: exact below 64 us, then 32 steps per power
 * of two (about 3% wide) up to 2^34 us */
#define HIST_N    (64 + 29 * 32)

/* Client-visible error kinds. */
enum ek { EK_CONNECT, EK_RESET, EK_CLOSED, EK_TIMEOUT, EK_BAD, EK_HTTP, EK_MAX };

struct hist {
	uint32_t b[HIST_N];
	uint64_t n;
	uint64_t max_us;
};

/* Error statuses (>= 400) by code; codes beyond MAX_CODES go to other. */
struct codes {
	uint16_t code[MAX_CODES];
	uint32_t n[MAX_CODES];
	uint32_t other;
};

struct tick {
	uint32_t done;                 /* requests finished (answered or failed) */
	uint32_t err;
	uint32_t slow;                 /* latency >= slow threshold */
	uint32_t s503;
	uint32_t no_node;              /* answers without X-Node */
	uint32_t lat_max_us;
	uint32_t nodes[MAX_NODES];     /* answers carrying X-Node of each node */
	uint32_t first_ms[MAX_NODES];  /* first / last such answer in the tick */
	uint32_t last_ms[MAX_NODES];
};

struct sec {
	uint32_t done, ok, err;
	uint32_t kind[EK_MAX];
	struct codes codes;
	uint32_t nodes[MAX_NODES];
	uint32_t no_node;              /* answers without X-Node (the proxy's own) */
	struct hist h;
};

struct meas {
	uint64_t t0_us;                /* clock_mono_us() at the start of the load */
	uint64_t slow_us;
	size_t nsec, ntick;            /* capacity; later outcomes go to the last slot */
	size_t used_ms;                /* length of the run (set by the runner) */
	struct sec *sec;
	struct tick *tick;
	struct hist all;
	uint64_t done, ok, err, kind[EK_MAX];
	struct codes codes;
	uint64_t nodes[MAX_NODES], no_node;
	uint64_t unfinished;           /* still in flight when the run ended */
	uint64_t sent, posts;
	int nnodes;
	char names[MAX_NODES][HC_NODE_MAX];
};

/* Allocate room for <span_ms> of run. 0 or -1. */
int meas_init(struct meas *m, uint64_t span_ms, uint64_t slow_ms);
void meas_free(struct meas *m);
/* Index of node <name>, added if new; -1 when the table is full or name empty. */
int meas_node(struct meas *m, const char *name);
/* Record one outcome. */
void meas_record(struct meas *m, const struct hc_resp *r);
/* Is a request outcome an error? (transport error or status >= 400) */
int meas_is_error(const struct hc_resp *r);

void hist_add(struct hist *h, uint64_t us);
/* Latency (us) at percentile <p> (0..100): the upper bound of its bucket. */
uint64_t hist_pct(const struct hist *h, double p);
/* Count of <code> in <c>. */
uint32_t codes_get(const struct codes *c, int code);
/* Name of an error kind ("connect", "reset", "closed", "timeout", "bad", "http"). */
const char *ek_name(int k);
/* Ticks / seconds actually covered by the run. */
size_t meas_ticks(const struct meas *m);
size_t meas_secs(const struct meas *m);

/* Sum of the ticks covering [from_ms, to_ms) (tick granularity: from is
 * rounded down, to up). */
struct wsum {
	uint32_t done, err, slow, s503, lat_max_us;
	uint32_t answered;             /* answers carrying an X-Node */
	uint32_t no_node;              /* answers without X-Node */
	uint32_t nodes[MAX_NODES];
};
void meas_sum(const struct meas *m, uint64_t from_ms, uint64_t to_ms, struct wsum *w);

#endif
