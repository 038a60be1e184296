/* Memory shared between the master and its worker (mmap'ed MAP_SHARED by
 * the master before forking). The worker publishes what the master needs
 * to decide things without touching traffic: that every worker thread is
 * still turning (heartbeats), and how many usable servers each backend has
 * (VRRP's track-backend). Plain words written by one side, read by the
 * other with relaxed atomics. */
#ifndef TANDEM_SHM_T_H
#define TANDEM_SHM_T_H
#include <stdint.h>
#include <tandem/counters-t.h>

#define SHM_MAX_THR 64
#define SHM_MAX_BE  256

/* Names and argument vectors live in the arena: bytes appended to a
 * second shared mapping and referenced by offset, never changed nor freed
 * once published (like the records that point to them). So a name of any
 * length keys its record exactly. The mapping is reserved, not committed:
 * pages are used as they are written. */
#define SHM_ARENA_SIZE (64u << 20)

struct shm_ref {
	uint32_t off;      /* 0: none */
	uint32_t len;      /* bytes, without the NUL that follows them */
} __attribute__((aligned(8)));   /* read and written in one atomic access */

struct shm_be {
	struct shm_ref name;  /* backend name (arena) */
	int  usable;       /* servers that may take traffic now (active or backup) */
	int  total;
};

#define SHM_MAX_SRV 4096
#define SHM_MAX_PXC 1024

/* Counters live here, not in the worker, so that every worker that comes
 * and goes (reloads, crashes) adds to the same numbers: Prometheus series
 * stay monotonic. Keyed by names; slots are never reused. */
struct shm_pxc {
	struct shm_ref  name;
	int             cap;
	int             used;         /* set (release) once the key is written */
	struct counters fe[CTR_SLOTS], be[CTR_SLOTS]; /* ctr_nslots of them in use */
};
struct shm_srvc {
	struct shm_ref  be, srv;
	int             used;
	struct counters c[CTR_SLOTS];
};

/* What a worker knows about one server that its successor must not forget
 * (reload): health, admin state, runtime weight. Keyed by names. */
struct shm_srv {
	struct shm_ref be, srv;
	int      used;          /* slot taken (never released: names are reused) */
	uint32_t seq;           /* odd while being written (seqlock) */
	int      state;         /* SRV_ST_* */
	int      admin;         /* SRV_ADMF_* */
	int      cfg_weight;    /* weight in the configuration when published */
	int      uweight;       /* runtime user weight (admin socket) */
	int      health, has_health;  /* health checks' rise/fall counter */
	uint64_t chkfail, chkdown, downtime_ms;
	uint64_t published_ms;
	int      dynamic;       /* added at run time (`add server`): re-created after a reload */
	int      deleted;       /* removed at run time (`del server`): stays removed */
	struct shm_ref dyn_argv; /* `add server` words (address, keywords), each followed by a NUL */
};

/* A pattern file (map or ACL) changed on the runtime API, handed to the
 * next worker (reload): its entries, and what the file held when the
 * worker that changed it loaded it. The next worker takes the entries
 * only when the file still holds that (src/rules/pat_handover.c). Keyed by
 * the file's name. */
#define SHM_MAX_MAP 512
struct shm_map {
	struct shm_ref file;
	int      used;
	uint32_t seq;           /* odd while being written (seqlock) */
	uint64_t file_hash;     /* FNV-1a of the file's bytes when loaded */
	struct shm_ref blob;    /* entries: key NUL value NUL ... (off 0: none, the file as it is) */
	uint32_t nelt;
	uint64_t published_ms;
};

struct tdm_shm {
	uint64_t      thr_beat_ms[SHM_MAX_THR]; /* CLOCK_MONOTONIC ms of each thread's last beat */
	int           nthr;
	int           worker_pid;
	unsigned      publish_ack;   /* bumped by the worker each time it published on request (SIGURG) */
	unsigned      reload_seq;    /* bumped by the master when a reload ended (admin socket `reload`) */
	int           reload_ok;
	char          reload_msg[512];
	uint64_t      worker_start_ms;
	uint32_t      arena_used;    /* bytes of the arena handed out (any process) */
	int           nbe;
	struct shm_be be[SHM_MAX_BE];
	int           nsrv;
	struct shm_srv srv[SHM_MAX_SRV];
	int           npxc, nsrvc;
	struct shm_pxc pxc[SHM_MAX_PXC];
	struct shm_srvc srvc[SHM_MAX_SRV];
	int           nmap;
	struct shm_map map[SHM_MAX_MAP];
};

#endif
