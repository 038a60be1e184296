/* Stick tables (HAProxy's `stick-table`): typed keys with stored data
 * (server ids, general purpose counters and tags, event counters and
 * sliding-window rates), shared by every thread of the worker, by the
 * workers that follow each other over reloads, and by the master's peers
 * thread (src/stick/peers.c), because the entries live in a shared mapping
 * the master creates before forking (src/stick/table.c explains the
 * layout and the locking; doc/persistence.md the behaviour).
 *
 * Data types keep HAProxy's numbers: they are the bits of the peers
 * protocol's table definition and the order of `show table`. */
#ifndef TANDEM_STICK_T_H
#define TANDEM_STICK_T_H
#include <stddef.h>
#include <stdint.h>

struct proxy;
struct peers_conf;
struct stk_map;

/* Key types. */
enum stk_type { STK_T_IP = 0, STK_T_IPV6, STK_T_INT, STK_T_STR, STK_T_BIN, STK_T_N };

#define STK_STR_LEN_DEF 32      /* `len` of string and binary keys when not given */
#define STK_KEY_MAX     1024    /* longest `len` accepted */

/* Stored data types: HAProxy's STKTABLE_DT_* numbers. */
enum stk_dt {
	STK_DT_SERVER_ID = 0,
	STK_DT_GPT0,
	STK_DT_GPC0,
	STK_DT_GPC0_RATE,
	STK_DT_CONN_CNT,
	STK_DT_CONN_RATE,
	STK_DT_CONN_CUR,
	STK_DT_SESS_CNT,
	STK_DT_SESS_RATE,
	STK_DT_HTTP_REQ_CNT,
	STK_DT_HTTP_REQ_RATE,
	STK_DT_HTTP_ERR_CNT,
	STK_DT_HTTP_ERR_RATE,
	STK_DT_BYTES_IN_CNT,
	STK_DT_BYTES_IN_RATE,
	STK_DT_BYTES_OUT_CNT,
	STK_DT_BYTES_OUT_RATE,
	STK_DT_GPC1,
	STK_DT_GPC1_RATE,
	STK_DT_SERVER_KEY,       /* HAProxy's server name (a dictionary); not stored by tandem */
	STK_DT_HTTP_FAIL_CNT,
	STK_DT_HTTP_FAIL_RATE,
	STK_DT_N
};

/* How a data type is stored (HAProxy's std_t_*). */
enum stk_std { STK_STD_NONE = 0, STK_STD_SINT, STK_STD_UINT, STK_STD_ULL, STK_STD_FRQP };

struct stk_dt_info {
	const char *name;
	uint8_t     std;         /* enum stk_std; NONE: known to HAProxy, not to tandem */
	uint8_t     is_local;    /* not taken from peers (conn_cur: the connections are local) */
};

/* A sliding-window rate (HAProxy's freq_ctr over a period): events of the
 * current period and of the previous one. The rate is curr + prev x (the
 * part of the previous period still inside the window). The tick's low
 * bit is a lock taken while the period rotates. */
struct stk_frq {
	uint32_t tick;           /* start of the current period (ms, even) */
	uint32_t curr;
	uint32_t prev;
};

/* A `stick-table` line, as configured (also the key of its shared
 * mapping: a reload keeps a table whose layout did not change). */
struct stk_conf {
	struct stk_conf *next;       /* cfg->stick->tables, file order */
	char        *id;             /* the proxy's name */
	struct proxy *px;
	int          type;           /* enum stk_type */
	uint32_t     keylen;         /* bytes: 4, 16, 4, `len`, `len` */
	uint32_t     size;           /* entries, at most */
	uint32_t     expire;         /* ms, 0: entries never expire (only evicted) */
	int          nopurge;
	uint64_t     store;          /* bit (1 << dt) for each stored type */
	uint32_t     period[STK_DT_N]; /* rates: the period (ms) */
	char        *peers_name;     /* `peers NAME`, resolved into <peers> */
	struct peers_conf *peers;
	int          used_by_stick;  /* stick rules use it: server_id is stored */
	/* computed by stk_conf_layout() */
	uint16_t     off[STK_DT_N];  /* data offset in an entry's data area, 0: not stored */
	uint32_t     data_len;
	struct stk_table *t;         /* run time (stk_bind), NULL before */
	const char  *file; int line;
};

/* ---- the shared mapping (one per table) ------------------------------- */

/* Entry flags. */
enum { STK_E_USED = 1u << 0, STK_E_PENDING = 1u << 1 /* queued for the peers (ring) */ };

/* An entry: this header, then the key (keylen bytes rounded to 8), then
 * the data area. Entries are numbered from 0; links hold number + 1 so
 * that 0 means none. */
struct stk_ent {
	uint32_t hnext;          /* bucket chain, or free list */
	uint32_t lprev, lnext;   /* the shard's LRU list (most recent at the head) */
	uint32_t ref;            /* streams and sessions tracking it (shard lock) */
	uint64_t expire;         /* monotonic ms, 0: never */
	uint32_t hash;
	uint16_t klen;           /* bytes of the key in use (strings) */
	uint8_t  flags;          /* STK_E_* (shard lock; PENDING atomic) */
	uint8_t  pad;
	uint8_t  key[];          /* then the data area at the table's data offset */
};

/* One shard: a lock, and the LRU list of its entries. Each bucket belongs
 * to one shard, so a key's lookup, insertion and update take that shard's
 * lock only. */
struct stk_shard {
	uint32_t lock;           /* 0 free, else the owner's thread id */
	uint32_t head, tail;     /* LRU: index + 1 */
	uint32_t count;
	uint8_t  pad[48];
} __attribute__((aligned(64)));

/* Updates waiting for the peers thread: entry numbers appended by any
 * process (a slot holds (seq << 32) | index); the reader notices that it
 * fell more than a ring behind from the sequence and then sends the whole
 * table. */
#define STK_RING_SLOTS 65536u

struct stk_hdr {
	char     magic[8];       /* "TDMSTK1" */
	uint64_t sig;            /* layout signature: key type and length, size, data */
	uint32_t size, keylen, esz, nbuckets, nshards, data_off;
	uint32_t type;
	uint32_t fresh;          /* entries never used yet start here (atomic) */
	uint32_t used;           /* entries in use (atomic) */
	uint64_t free_top;       /* free stack: (tag << 32) | (index + 1) (atomic) */
	uint32_t full_logged;    /* the "table full" warning was logged (atomic) */
	uint32_t has_ring;
	uint64_t ring_head;      /* next update sequence (atomic) */
	uint64_t evicted;        /* entries evicted while full (atomic) */
	uint8_t  pad[24];
};

/* A table as one process sees it (the shared mapping and its parts). */
struct stk_table {
	struct stk_conf  *c;
	struct stk_map   *map;
	struct stk_hdr   *h;
	struct stk_shard *sh;
	uint32_t         *bucket;
	uint8_t          *ents;
	uint64_t         *ring;
	uint32_t          esz, nbm, nshm;   /* entry size, bucket and shard masks */
};

/* A key ready for a lookup. */
struct stk_key {
	uint16_t len;
	uint8_t  b[STK_KEY_MAX];
};

/* What a stream or a session tracks (track-sc0/1/2): an entry it holds
 * a reference to, until it ends. */
#define STK_NB_TRACK 3
struct stk_ctr {
	struct stk_table *t;     /* NULL: not tracking */
	uint32_t          idx;   /* the entry */
	uint8_t           from_sess;  /* set by tcp-request connection/session: lives with the session */
	uint8_t           content;    /* set by tcp-request content or http-request */
};

/* Configuration-wide: every table and `peers` section. */
struct stk_cfg {
	struct stk_conf   *tables;
	struct peers_conf *peers;
	char              *localpeer;    /* global `localpeer` (default: the host name) */
	int                localpeer_line;
};

#endif
