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

/* An address as handed over: family (0: none), port, bytes. */
struct shm_addr {
	int      af;
	uint16_t port;
	uint8_t  a[16];
};

/* What a worker knows about one server that its successor must not forget
 * (reload): health, admin state, runtime weight, address and what DNS
 * told about it. Keyed by names. */
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
	/* its address and name (init-addr `last`, src/dns): */
	struct shm_addr addr;   /* the address it had */
	struct shm_ref fqdn;    /* the name it was written with (or set by `set server fqdn`), none when numeric */
	int      dns;           /* resolved at run time by the worker that published (resolvers and a name) */
	int      fqdn_cli;      /* the name was set by `set server fqdn` */
	struct shm_ref target;  /* SRV slot: the record's target it serves (none: a free slot) */
	int      dns_port;      /* SRV slot: the record's port */
	int      dns_cause;     /* why it is in maintenance by resolution (index, src/dns/dns_srv.c) */
	uint64_t dns_seen_ms;   /* last answer that named its address or record (monotonic ms) */
};

/* One resolution (resolvers section, name, kind) for the next worker: when
 * it last asked and last got a valid answer, so that a reload neither
 * asks every name at once nor restarts the hold times. */
#define SHM_MAX_DNS 1024
struct shm_dns {
	struct shm_ref rs, name;
	int      kind;
	int      used;          /* set (release) once the key is written */
	uint32_t seq;           /* seqlock */
	int      status;
	uint64_t last_valid_ms, last_query_ms;   /* monotonic ms, 0 = never */
};

/* TLS (src/ssl/ssl_tickets.c, ssl_handover.c): the ticket keys generated
 * for binds without `tls-ticket-keys` (state 0 none, 1 being written, 2
 * set: the first worker of a master writes them, the next ones read
 * them, so clients resume after a reload), and the certificates changed
 * on the runtime API, which the next worker serves too unless the file
 * changed on disk since (a record per path; a seqlock; the PEM and OCSP
 * bytes in the arena). */
struct shm_tls {
	uint32_t state;
	unsigned char keys[3][80];
};
#define SHM_MAX_CERT 256
struct shm_cert {
	struct shm_ref path;
	int      used;
	uint32_t seq;           /* odd while being written */
	int      dead;          /* the file on disk changed since: it won, the record is over */
	struct shm_ref pem;     /* certificate, key and chain as committed */
	struct shm_ref ocsp;    /* DER OCSP response, off 0: none */
	unsigned char disk_sig[32]; /* SHA-256 of the file(s) as the configuration had loaded them */
	int      has_disk;
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
	int           ndns;
	struct shm_dns dns[SHM_MAX_DNS];
	struct shm_tls tls;
	int           ncert;
	struct shm_cert cert[SHM_MAX_CERT];
};

#endif
