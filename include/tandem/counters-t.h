/* Statistics counters shared by all worker threads. One struct serves
 * frontends, backends and servers; unused fields stay zero.
 *
 * Every request adds to a dozen of them on the frontend, the backend and
 * the server. So that threads never write the same cache lines, a counter
 * set is ctr_nslots copies of struct counters side by side (one per CPU, at
 * most CTR_SLOTS; threads beyond share slots, which the relaxed atomic adds
 * keep exact): a thread adds to its own slot (ctr_slot_off), a reader sums
 * the slots (CTR_GET). The gauge of current sessions and the two maxima are
 * kept in slot 0 only, exact at once: `maxconn` decisions read them. */
#ifndef TANDEM_COUNTERS_T_H
#define TANDEM_COUNTERS_T_H
#include <stdint.h>

typedef uint64_t ctr_t;  /* always accessed through CTR_* macros */

#define CTR_HIST_N 14   /* latency histogram buckets, the last one is +Inf */

struct counters {
	ctr_t cum_conn;      /* connections accepted (fe) / established (srv) */
	ctr_t cum_sess;      /* sessions (fe: client connections, be/srv: requests routed) */
	ctr_t cum_req;       /* HTTP requests */
	ctr_t cur_sess;      /* current sessions (gauge) */
	ctr_t max_sess;      /* highest cur_sess seen */
	ctr_t bytes_in;      /* from clients */
	ctr_t bytes_out;     /* to clients */
	ctr_t denied_req;
	ctr_t failed_req;    /* fe: bad requests (4xx produced by the parser) */
	ctr_t failed_conns;  /* be/srv: connect errors */
	ctr_t failed_resp;   /* be/srv: bad or truncated responses */
	ctr_t retries;
	ctr_t redispatches;
	ctr_t cli_aborts;
	ctr_t srv_aborts;
	ctr_t http_rsp[6];   /* [0] other, [1..5] 1xx..5xx */
	ctr_t last_sess;     /* wall time (s) of the last session, 0 = never */
	ctr_t ttime_sum;     /* sum of total times (ms), for averages */
	ctr_t rtime_sum;     /* sum of response times (ms) */
	ctr_t ctime_sum;     /* sum of connect times (ms) */
	/* total time of each finished request (Ta), bucketed: bucket i counts
	 * requests with Ta <= hist_bounds_ms[i] and above the previous bound;
	 * the last bucket is everything slower (+Inf). */
	ctr_t ta_hist[CTR_HIST_N];
	ctr_t ta_sum_us;     /* sum of Ta in microseconds (histogram _sum) */
	/* TLS handshakes (HAProxy's ssl stats module): fe with clients, be/srv with servers */
	ctr_t ssl_sess;      /* handshakes completed */
	ctr_t ssl_reused;    /* of which resumed a session */
	ctr_t ssl_failed;    /* handshakes that failed (error, close, timeout) */
};

#define CTR_SLOTS 8       /* most slots per counter set */
#include <stddef.h>
extern int ctr_nslots;                 /* slots of every set: min(CPUs, CTR_SLOTS); 1 until ctr_init() */
extern __thread size_t ctr_slot_off;   /* this thread's slot, as a byte offset (0: slot 0) */
/* At start, before any counter set exists: one slot per CPU (<ncpu>). */
void ctr_init(int ncpu);
/* The calling worker thread <id> writes slot id % ctr_nslots from now on. */
void ctr_thread_init(int id);
/* Sum of a counter over the slots of its set (<c> points into slot 0). */
static inline ctr_t ctr_sum(const ctr_t *c)
{
	ctr_t v = 0;
	int i;

	for (i = 0; i < ctr_nslots; i++)
		v += __atomic_load_n((const ctr_t *)(const void *)((const char *)c + (size_t)i * sizeof(struct counters)),
				     __ATOMIC_RELAXED);
	return v;
}

/* Upper bounds (ms) of ta_hist buckets, ascending; see counters.c. */
extern const unsigned ctr_hist_bounds_ms[CTR_HIST_N - 1];
/* A zeroed counter set of ctr_nslots slots (aborts when memory is out:
 * counters are never optional). */
struct counters *ctr_new(void);
/* Zero every counter of the set <c> but the gauge of current sessions;
 * the maximum of sessions restarts from the current value. */
void ctr_clear(struct counters *c);
/* Record one request total time (microseconds) in <c>'s histogram. */
void ctr_hist_add(struct counters *c, uint64_t us);

/* A counter of this thread's slot: <c> names the field in slot 0. */
#define CTR_SLOT(c)   (*(ctr_t *)(void *)((char *)&(c) + ctr_slot_off))
#define CTR_ADD(c, v) __atomic_fetch_add(&CTR_SLOT(c), (v), __ATOMIC_RELAXED)
#define CTR_GET(c)    ctr_sum(&(c))
/* Gauges and maxima: slot 0 only, shared by all threads. */
#define CTR_GADD(c, v) __atomic_fetch_add(&(c), (v), __ATOMIC_RELAXED)
#define CTR_GSUB(c, v) __atomic_fetch_sub(&(c), (v), __ATOMIC_RELAXED)
#define CTR_SET(c, v) __atomic_store_n(&(c), (v), __ATOMIC_RELAXED)
/* Raise <c> (slot 0) to at least <v>. */
#define CTR_MAX(c, v) do { ctr_t o_ = __atomic_load_n(&(c), __ATOMIC_RELAXED), v_ = (v); \
	while (o_ < v_ && !__atomic_compare_exchange_n(&(c), &o_, v_, 1, \
		__ATOMIC_RELAXED, __ATOMIC_RELAXED)) ; } while (0)

#endif
