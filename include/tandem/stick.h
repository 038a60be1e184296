/* Stick tables: see stick-t.h for the model, src/stick/table.c for the
 * shared layout and locking, doc/persistence.md for the behaviour.
 *
 * Locking, in one rule: an entry is read or written only under the lock of
 * its shard. stk_get() returns with that lock held; stk_lock_ent() takes it
 * for an entry the caller holds a reference to (a tracked counter); every
 * path ends with stk_unlock(). Never two shard locks at once. */
#ifndef TANDEM_STICK_H
#define TANDEM_STICK_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/stick-t.h>

struct cfg;

/* ---- data types (src/stick/data.c) --------------------------------------- */

extern const struct stk_dt_info stk_dt[STK_DT_N];
/* The data type called <name> (<len> bytes), or -1. */
int stk_dt_find(const char *name, size_t len);
/* Key type names: "ip", "ipv6", "integer", "string", "binary". */
const char *stk_type_name(int type);
/* Offsets of the stored data types and the entry's data size. 0, or -1
 * when the data does not fit an entry (<err> filled). */
int stk_conf_layout(struct stk_conf *c, char *err, size_t errlen);

/* Rates (HAProxy's freq_ctr with a period): add <inc> events at <now>,
 * read the rate over the window ending at <now>. */
void     stk_frq_add(struct stk_frq *f, uint32_t period, uint32_t now, uint32_t inc);
uint32_t stk_frq_read(const struct stk_frq *f, uint32_t period, uint32_t now);

/* ---- the shared mappings (src/stick/table.c), master side ---------------- */

/* Give every table of <cfg> its shared mapping before the worker is forked:
 * a table of the same name and layout in the running configuration is
 * taken over as it is (a reload keeps every entry); one whose layout
 * changed gets a new mapping and the old entries are copied into it
 * (the key and the data types both have). 0, or -1 (logged). */
int  stk_bind(struct cfg *cfg);
/* Release the mappings no table of <live> uses (after a reload ended, in
 * either direction). Processes that still map them keep their copy. */
void stk_gc(const struct cfg *live);
/* A worker died while no other one ran: the references it held (tracked
 * entries) and the locks it may have held are gone with it. Master only. */
void stk_crash_reset(const struct cfg *cfg);
/* The table named <name> (a proxy's), NULL when none. */
struct stk_conf *stk_conf_find(const struct cfg *cfg, const char *name);
/* Bind one table to a private mapping (tests, fuzzing). 0 or -1. */
int  stk_table_open(struct stk_conf *c);
/* Release what stk_table_open made (tests). */
void stk_table_close(struct stk_conf *c);

/* ---- keys (src/stick/key.c) ---------------------------------------------- */

/* Parse <s> as a key of <t>'s type (the runtime API's `key K`). 0 or -1. */
int    stk_key_parse(const struct stk_table *t, const char *s, struct stk_key *k);
/* Print the key of entry <e> as `show table` does. Returns the length. */
size_t stk_key_print(const struct stk_table *t, const struct stk_ent *e, char *buf, size_t len);
/* Fill <k> from raw bytes of the table's type (IPv4/IPv6 addresses in
 * network order, a 32-bit integer in host order, string or binary bytes,
 * truncated or padded to the table's length). */
void   stk_key_set(const struct stk_table *t, struct stk_key *k, const void *p, size_t len);

/* ---- entries (src/stick/table.c), any process, any thread ----------------- */

static inline struct stk_ent *stk_ent(const struct stk_table *t, uint32_t idx)
{
	return (struct stk_ent *)(void *)(t->ents + (size_t)idx * t->esz);
}
static inline uint32_t stk_idx(const struct stk_table *t, const struct stk_ent *e)
{
	return (uint32_t)(((const uint8_t *)e - t->ents) / t->esz);
}
/* Pointer to data type <dt> of <e>, NULL when <t> does not store it. */
static inline void *stk_data(const struct stk_table *t, struct stk_ent *e, int dt)
{
	uint16_t off = t->c->off[dt];

	return off ? (uint8_t *)e + t->h->data_off + off - 1 : NULL;
}

enum {
	STK_GET_CREATE = 1u << 0,   /* create it when missing */
	STK_GET_REF    = 1u << 1,   /* take a reference (release with stk_release) */
	STK_GET_TOUCH  = 1u << 2,   /* refresh its expiry and LRU position */
};

/* Find key <k> in <t> (or create it), with <now> the monotonic ms clock.
 * Returns the entry with its shard's lock held (stk_unlock(t, e) when done),
 * or NULL (lock not held): absent, or no room (the table is full and
 * cannot evict: nopurge, or every entry is in use). */
struct stk_ent *stk_get(struct stk_table *t, const struct stk_key *k, unsigned flags, uint64_t now);
/* Lock the shard of <e> (an entry the caller holds a reference to). */
void stk_lock_ent(struct stk_table *t, struct stk_ent *e);
void stk_unlock(struct stk_table *t, struct stk_ent *e);
/* Refresh <e>'s expiry and LRU position (shard lock held). */
void stk_touch(struct stk_table *t, struct stk_ent *e, uint64_t now);
/* Drop a reference taken with STK_GET_REF; the entry is touched, so it
 * expires <expire> after its last user left (HAProxy's behaviour). */
void stk_release(struct stk_table *t, struct stk_ent *e, uint64_t now);
/* Remove <e> now (shard lock held; refused while referenced: returns -1).
 * Within a stk_walk() callback only: elsewhere use stk_remove_unlock(),
 * which also releases the lock (a removed entry may be reused at once). */
int  stk_remove(struct stk_table *t, struct stk_ent *e);
int  stk_remove_unlock(struct stk_table *t, struct stk_ent *e);
/* Tell the peers thread that <e> changed (shard lock held). */
void stk_updated(struct stk_table *t, struct stk_ent *e);
/* Is <e> expired at <now> (then lookups do not see it)? */
static inline int stk_expired(const struct stk_ent *e, uint64_t now)
{
	return e->expire && e->expire <= now;
}

/* Entries in use (expired ones not yet reclaimed included), free room. */
uint32_t stk_count(const struct stk_table *t);
static inline uint32_t stk_avail(const struct stk_table *t)
{
	uint32_t n = stk_count(t);

	return n < t->h->size ? t->h->size - n : 0;
}

/* Remove the expired entries of <t> (at most <budget>), and return when
 * the next one expires (0: none known). The expiry timer calls it. */
uint64_t stk_expire(struct stk_table *t, uint64_t now, unsigned budget);

/* Walk the entries of <t> in entry order from <*pos> (0 to start):
 * calls <fn> with the shard lock held for each live entry; <fn> returns 0
 * to go on, 1 to stop after this one. Returns 1 when the walk ended,
 * 0 when <budget> entries were visited (call again with <*pos>). */
int stk_walk(struct stk_table *t, uint32_t *pos, unsigned budget, uint64_t now,
	     int (*fn)(struct stk_table *t, struct stk_ent *e, void *arg), void *arg);

/* ---- updates for the peers (ring) ---------------------------------------- */

/* The next update to send: 1 with *idx set, 0 when none, -1 when the
 * reader fell a whole ring behind (send everything). <*seq> is the
 * reader's position. */
int stk_ring_next(struct stk_table *t, uint64_t *seq, uint32_t *idx);
static inline uint64_t stk_ring_head(const struct stk_table *t)
{
	return __atomic_load_n(&t->h->ring_head, __ATOMIC_ACQUIRE);
}

/* ---- tracked counters (src/stick/track.c) --------------------------------- */

/* Start tracking <e> (shard lock held, a reference taken) in <c>: counts
 * a connection (conn_cnt, conn_rate, conn_cur) as HAProxy's
 * stream_start_counters does. */
void stk_track_start(struct stk_ctr *c, struct stk_table *t, struct stk_ent *e, uint64_t now);
/* Stop tracking: conn_cur goes down, the reference is released. */
void stk_track_stop(struct stk_ctr *c, uint64_t now);
/* Add to a counter and its rate (<cnt>, <rate>: STK_DT_*, -1 for none). */
void stk_ctr_add(struct stk_ctr *c, int cnt, int rate, uint64_t inc, uint64_t now);
/* Add <inc> to data <cnt> and its <rate> of <e> (shard lock held). */
void stk_ent_add(struct stk_table *t, struct stk_ent *e, int cnt, int rate, uint64_t inc, uint64_t now);

/* ---- the expiry timer (src/stick/expire.c): a worker module ------------- */

struct worker_module;
extern struct worker_module stk_expire_module;

#endif
