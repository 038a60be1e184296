/* Types of the history kept in the master's shared area (shm_hist.h):
 * per-second samples of every frontend, backend and server over the last
 * HIST_SECS seconds, and the last HIST_EVENTS state changes of anything
 * (servers, backends, VRRP, DNS, certificates, the worker itself).
 *
 * Both live in a mapping the master creates before forking, beside the
 * counters, so a reload or a crash restart of the worker keeps them: the
 * live dashboard opened a minute after an incident still shows it.
 *
 * Sizes are fixed: a ring is HIST_RING_BYTES whatever the traffic, one per
 * counters record (so rings are keyed by the same names as the counters:
 * see shm-t.h), and pages are committed only once a ring is written. */
#ifndef TANDEM_SHM_HIST_T_H
#define TANDEM_SHM_HIST_T_H
#include <stdint.h>
#include <tandem/counters-t.h>
#include <tandem/shm-t.h>

#define HIST_SECS   900      /* 15 minutes of per-second samples */
#define HIST_EVENTS 200      /* state changes kept */

/* What a sample's state byte says (a row's status word, without the
 * transitional "1/3" part). */
enum hist_state {
	HST_NONE = 0,      /* unknown (a gap filled after a restart) */
	HST_UP, HST_DOWN, HST_MAINT, HST_DRAIN, HST_NOLB, HST_NOCHECK,   /* servers; UP/DOWN: backends */
	HST_OPEN, HST_STOP,                                             /* frontends */
	HST_N
};

/* Sample flags. */
#define HSF_COUNTS  0x01   /* the counts are known (not the first sample of a ring) */
#define HSF_LAT     0x02   /* p50/p99 are known (a request finished in the period) */
#define HSF_FILLED  0x04   /* one second of a longer period (the worker was away):
			    * counts are the period's spread evenly, state unknown */

/* One second of one row: 36 bytes. Counts saturate rather than wrap. */
struct hist_sample {
	uint32_t t;        /* wall-clock second this sample covers; the slot is t % HIST_SECS */
	uint32_t req;      /* requests: HTTP requests of an HTTP frontend/backend, sessions otherwise */
	uint32_t e5xx, e4xx;
	uint16_t econ;     /* connection errors (frontend: bad requests, ereq) */
	uint16_t eresp;    /* response errors (frontend: 0) */
	uint32_t p50_us, p99_us;  /* latency percentiles of the requests that finished */
	uint32_t scur;     /* current sessions when sampled */
	uint8_t  state;    /* enum hist_state */
	uint8_t  cb;       /* servers: passive health as a circuit breaker (CB_*, check-t.h), 0 = none */
	uint8_t  flags;    /* HSF_* */
	uint8_t  pad;
};

/* The cumulative values a ring follows (deltas are taken between samples). */
enum { HV_SESS = 0, HV_REQ, HV_CONN, HV_E5XX, HV_E4XX, HV_ECON, HV_ERESP, HV_N };

/* The history of one row. One writer at a time (the current worker's
 * sampler, on its thread 0); readers on any thread copy what they need
 * between two reads of <seq> and retry when it moved. */
struct hist_ring {
	uint32_t seq;             /* odd while the sampler writes */
	uint32_t last_t;          /* second of the newest sample, 0 = none yet */
	uint64_t last_ms;         /* wall-clock ms when the newest sample was taken */
	uint32_t prev_ms;         /* length of the period the newest sample closed */
	uint8_t  last_state;      /* state at the newest sample (backends: change detection) */
	uint8_t  pad[3];
	uint64_t cum[HV_N];       /* cumulative values read at the newest sample */
	uint64_t hist[CTR_HIST_N];/* latency histogram read at the newest sample */
	uint32_t prev[HV_N];      /* their increase over that period */
	uint32_t max_sess, max_req, max_conn;  /* highest per-second rates seen (HAProxy's *_max) */
	struct hist_sample s[HIST_SECS];
};

/* What kind of thing changed. */
enum sc_kind {
	SC_HEALTH = 0,     /* health checks, passive health, backends losing or regaining servers */
	SC_ADMIN,          /* maintenance, drain, forced health (stats page, admin socket) */
	SC_VRRP,           /* a VRRP instance's state */
	SC_DNS,            /* name resolution (servers in RMAINT...) */
	SC_CERT,           /* TLS certificates */
	SC_PROCESS,        /* the worker: reloads, crash restarts */
	SC_NKINDS
};

#define SC_NAME_LEN   96
#define SC_OBJ_LEN    128
#define SC_WORD_LEN   24
#define SC_REASON_LEN 128
#define SC_DETAIL_LEN 320

/* One recorded state change (about 820 bytes). */
struct shm_event {
	uint32_t seq;             /* 2 * id + 1 while written, 2 * id + 2 once complete */
	uint32_t kind;            /* enum sc_kind */
	uint64_t id;              /* 0, 1, 2... in the order they were recorded */
	uint64_t time_ms;         /* wall clock */
	char proxy[SC_NAME_LEN];  /* a proxy or server change: the proxy, else "" */
	char server[SC_NAME_LEN]; /* a server change: the server, else "" */
	char object[SC_OBJ_LEN];  /* anything else: a VRRP instance, a certificate... */
	char from[SC_WORD_LEN], to[SC_WORD_LEN];   /* state words ("UP", "DOWN", "MASTER"...) */
	char reason[SC_REASON_LEN];   /* why, in words ("Layer4 connection problem", "stats socket") */
	char detail[SC_DETAIL_LEN];   /* what explains it (check status, info, duration, servers left) */
};

/* The whole area. Rings are placed parallel to the counters records of
 * shm-t.h: the frontend and backend sides of pxc[i] use fe[i] and be[i],
 * srvc[j] uses srv[j]. */
struct shm_hist {
	uint64_t ev_next;         /* id of the next event (any process, atomic) */
	uint32_t sampled_t;       /* newest second every ring of the current worker was sampled for */
	uint32_t pad;
	struct shm_event ev[HIST_EVENTS];
	struct hist_ring fe[SHM_MAX_PXC];
	struct hist_ring be[SHM_MAX_PXC];
	struct hist_ring srv[SHM_MAX_SRV];
};

/* A state change to record (shm_state_change): fill what applies. */
struct state_change {
	int kind;                 /* enum sc_kind */
	const char *proxy;        /* a proxy (backend, frontend) or a server's backend */
	const char *server;       /* a server of <proxy> */
	const char *object;       /* none of those: what changed (VRRP instance, certificate path...) */
	const char *from, *to;    /* state words */
	const char *reason;       /* short: why */
	const char *detail;       /* longer: what explains it, may be NULL */
};

#endif
