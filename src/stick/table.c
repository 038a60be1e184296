/* Stick table storage: one shared mapping per table, made by the master
 * before it forks a worker, so that every worker thread, the workers that
 * follow each other over reloads (the old one finishing its connections
 * while the new one serves) and the master's peers thread see the same
 * entries. Nothing in it is a pointer: entries are numbered.
 *
 * Layout of a mapping:
 *
 *   struct stk_hdr | struct stk_shard [nshards] | bucket [nbuckets] |
 *   entries [size] | update ring [STK_RING_SLOTS] (tables with peers)
 *
 * - Bounded memory: <size> entries at most, each of a fixed size (header,
 *   key, data). Pages are committed as entries are first used.
 * - Shards: each hash bucket belongs to one of up to 64 shards; a shard
 *   has a lock and the LRU list of its entries. A lookup, an insertion or
 *   a data update takes one shard lock, never two, so threads meet only
 *   when their keys fall in the same shard. The locks are spin locks in
 *   the shared memory holding the owner's thread id: a waiter that spins
 *   for long checks that the owner still exists, so a worker killed while
 *   holding one does not block the next.
 * - Free entries: a stack (tagged index, compare-and-swap) shared by all
 *   shards; entries never used yet are taken from a counter first.
 * - Full table: the oldest entry of the shard (its LRU tail; other shards
 *   in turn when that one has none free) is evicted, once per insertion;
 *   `nopurge` refuses the insertion instead. The first eviction is logged.
 *   Referenced entries (tracked by a stream) are never evicted.
 * - Expiry: a touch sets expire = now + <expire> and moves the entry to
 *   the head of its shard's LRU. Every table has one period, so each LRU
 *   is ordered by expiry too: the expiry timer (expire.c) removes tails
 *   that are due, shard by shard, and learns when to run next from the
 *   new tails. Nothing scans the table. An entry that expired but was not
 *   reclaimed yet is invisible to lookups. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/proxy-t.h>
#include <tandem/stick.h>

#define STK_MAX_SHARDS 64

/* ---- locks -------------------------------------------------------------- */

static __thread uint32_t my_tid;

static uint32_t self_tid(void)
{
	if (!my_tid)
		my_tid = (uint32_t)syscall(SYS_gettid);
	return my_tid;
}

/* Is thread <tid> (of any process) gone? */
static int owner_gone(uint32_t tid)
{
	return kill((pid_t)tid, 0) < 0 && errno == ESRCH;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static void lock_shard(struct stk_shard *s)
{
	uint32_t me = self_tid(), cur = 0;
	unsigned long spins = 0;

	while (!__atomic_compare_exchange_n(&s->lock, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		if (cur == me)
			abort();   /* a path took the same shard twice: a bug, never a wait */
		if (cur && ++spins >= (1ul << 22)) {
			spins = 0;
			/* a process killed while holding it: take it over */
			if (owner_gone(cur) &&
			    __atomic_compare_exchange_n(&s->lock, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return;
		}
		if (spins & 63)
			cpu_relax();
		else
			sched_yield();
		cur = 0;
	}
}

static void unlock_shard(struct stk_shard *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

/* ---- hashing ------------------------------------------------------------ */

static uint32_t key_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	while (n >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;

		memcpy(&v, p, n);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

static struct stk_shard *shard_of(const struct stk_table *t, uint32_t hash)
{
	return &t->sh[(hash & t->nbm) & t->nshm];
}

/* ---- LRU ---------------------------------------------------------------- */

static void lru_unlink(struct stk_table *t, struct stk_shard *s, struct stk_ent *e)
{
	if (e->lprev)
		stk_ent(t, e->lprev - 1)->lnext = e->lnext;
	else
		s->head = e->lnext;
	if (e->lnext)
		stk_ent(t, e->lnext - 1)->lprev = e->lprev;
	else
		s->tail = e->lprev;
	e->lprev = e->lnext = 0;
}

static void lru_push_head(struct stk_table *t, struct stk_shard *s, struct stk_ent *e)
{
	uint32_t me = stk_idx(t, e) + 1;

	e->lprev = 0;
	e->lnext = s->head;
	if (s->head)
		stk_ent(t, s->head - 1)->lprev = me;
	s->head = me;
	if (!s->tail)
		s->tail = me;
}

/* ---- free entries ------------------------------------------------------- */

static void free_push(struct stk_table *t, struct stk_ent *e)
{
	uint64_t top = __atomic_load_n(&t->h->free_top, __ATOMIC_RELAXED), nt;
	uint32_t me = stk_idx(t, e) + 1;

	do {
		e->hnext = (uint32_t)top;
		nt = ((top >> 32) + 1) << 32 | me;
	} while (!__atomic_compare_exchange_n(&t->h->free_top, &top, nt, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static struct stk_ent *free_pop(struct stk_table *t)
{
	uint64_t top = __atomic_load_n(&t->h->free_top, __ATOMIC_ACQUIRE), nt;
	uint32_t f;

	while ((uint32_t)top) {
		struct stk_ent *e = stk_ent(t, (uint32_t)top - 1);

		/* <e> may be taken and pushed again meanwhile: the tag tells */
		nt = ((top >> 32) + 1) << 32 | __atomic_load_n(&e->hnext, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&t->h->free_top, &top, nt, 1, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			return e;
	}
	f = __atomic_load_n(&t->h->fresh, __ATOMIC_RELAXED);
	while (f < t->h->size)
		if (__atomic_compare_exchange_n(&t->h->fresh, &f, f + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return stk_ent(t, f);
	return NULL;
}

/* Unlink <e> from its bucket chain and its LRU (shard lock held). */
static void unlink_ent(struct stk_table *t, struct stk_shard *s, struct stk_ent *e)
{
	uint32_t *pp = &t->bucket[e->hash & t->nbm], me = stk_idx(t, e) + 1;

	while (*pp && *pp != me)
		pp = &stk_ent(t, *pp - 1)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(t, s, e);
	s->count--;
	e->flags &= (uint8_t)~STK_E_USED;
	__atomic_sub_fetch(&t->h->used, 1, __ATOMIC_RELAXED);
}

/* Take the oldest unreferenced entry of shard <s> out of the table (its
 * lock held): returns it unlinked, or NULL. Expired ones go first anyway
 * since they are the oldest. */
static struct stk_ent *evict_from(struct stk_table *t, struct stk_shard *s)
{
	uint32_t i = s->tail;
	int looked = 0;

	while (i && looked++ < 32) {
		struct stk_ent *e = stk_ent(t, i - 1);

		if (!e->ref) {
			unlink_ent(t, s, e);
			return e;
		}
		i = e->lprev;
	}
	return NULL;
}

/* A spare entry for an insertion into shard <mine> (no lock held). */
static struct stk_ent *get_spare(struct stk_table *t, struct stk_shard *mine, uint64_t now)
{
	struct stk_ent *e = free_pop(t);
	uint32_t n;

	if (e || t->c->nopurge)
		return e;
	/* full: evict the oldest, starting with the new key's own shard */
	n = t->nshm + 1;
	for (uint32_t k = 0; k < n && !e; k++) {
		struct stk_shard *s = &t->sh[((uint32_t)(mine - t->sh) + k) & t->nshm];

		if (!s->tail)
			continue;
		lock_shard(s);
		e = evict_from(t, s);
		unlock_shard(s);
	}
	if (e) {
		int expired = stk_expired(e, now);

		if (!expired)
			__atomic_add_fetch(&t->h->evicted, 1, __ATOMIC_RELAXED);
		if (!expired && !__atomic_exchange_n(&t->h->full_logged, 1, __ATOMIC_RELAXED))
			log_event(LL_WARNING, "stick-table '%s' is full (%u entries): the oldest entries are evicted "
				  "to make room (logged once).", t->c->id, t->h->size);
	}
	return e;
}

/* ---- lookups ---------------------------------------------------------------- */

static struct stk_ent *find_locked(struct stk_table *t, const struct stk_key *k, uint32_t hash)
{
	for (uint32_t i = t->bucket[hash & t->nbm]; i;) {
		struct stk_ent *e = stk_ent(t, i - 1);

		if (e->hash == hash && e->klen == k->len && !memcmp(e->key, k->b, k->len))
			return e;
		i = e->hnext;
	}
	return NULL;
}

void stk_touch(struct stk_table *t, struct stk_ent *e, uint64_t now)
{
	struct stk_shard *s = shard_of(t, e->hash);

	e->expire = t->c->expire ? now + t->c->expire : 0;
	if (s->head != stk_idx(t, e) + 1) {
		lru_unlink(t, s, e);
		lru_push_head(t, s, e);
	}
}

/* Clear an entry's data for a new life (shard lock held). */
static void reset_data(struct stk_table *t, struct stk_ent *e)
{
	memset((uint8_t *)e + t->h->data_off, 0, t->c->data_len);
}

struct stk_ent *stk_get(struct stk_table *t, const struct stk_key *k, unsigned flags, uint64_t now)
{
	uint32_t hash = key_hash(k->b, k->len);
	struct stk_shard *s = shard_of(t, hash);
	struct stk_ent *e, *spare = NULL;

	lock_shard(s);
	e = find_locked(t, k, hash);
	if (e && stk_expired(e, now) && !e->ref) {
		/* due but not reclaimed yet: it starts a new life */
		if (!(flags & STK_GET_CREATE)) {
			unlock_shard(s);
			return NULL;
		}
		reset_data(t, e);
		flags |= STK_GET_TOUCH;
	}
	if (!e) {
		if (!(flags & STK_GET_CREATE)) {
			unlock_shard(s);
			return NULL;
		}
		unlock_shard(s);
		if (!(spare = get_spare(t, s, now)))
			return NULL;
		lock_shard(s);
		/* someone may have inserted it meanwhile */
		if (!(e = find_locked(t, k, hash))) {
			e = spare;
			spare = NULL;
			memset(e, 0, sizeof(*e) + t->h->data_off - sizeof(*e) + t->c->data_len);
			e->hash = hash;
			e->klen = k->len;
			memcpy(e->key, k->b, k->len);
			e->flags = STK_E_USED;
			e->hnext = t->bucket[hash & t->nbm];
			t->bucket[hash & t->nbm] = stk_idx(t, e) + 1;
			lru_push_head(t, s, e);
			s->count++;
			__atomic_add_fetch(&t->h->used, 1, __ATOMIC_RELAXED);
			flags |= STK_GET_TOUCH;
		}
	}
	if (flags & STK_GET_TOUCH)
		stk_touch(t, e, now);
	if (flags & STK_GET_REF)
		e->ref++;
	if (spare)
		free_push(t, spare);
	return e;
}

void stk_lock_ent(struct stk_table *t, struct stk_ent *e)
{
	lock_shard(shard_of(t, e->hash));
}

void stk_unlock(struct stk_table *t, struct stk_ent *e)
{
	unlock_shard(shard_of(t, e->hash));
}

void stk_release(struct stk_table *t, struct stk_ent *e, uint64_t now)
{
	stk_lock_ent(t, e);
	if (e->ref)
		e->ref--;
	stk_touch(t, e, now);
	stk_unlock(t, e);
}

int stk_remove(struct stk_table *t, struct stk_ent *e)
{
	if (e->ref)
		return -1;
	unlink_ent(t, shard_of(t, e->hash), e);
	free_push(t, e);
	return 0;
}

int stk_remove_unlock(struct stk_table *t, struct stk_ent *e)
{
	struct stk_shard *s = shard_of(t, e->hash);
	int busy = e->ref != 0;

	/* the shard is known before: once on the free list, <e> may be
	 * taken and rehashed by another thread */
	if (!busy)
		unlink_ent(t, s, e);
	unlock_shard(s);
	if (!busy)
		free_push(t, e);
	return busy ? -1 : 0;
}

uint32_t stk_count(const struct stk_table *t)
{
	return __atomic_load_n(&t->h->used, __ATOMIC_RELAXED);
}

/* ---- updates for the peers ------------------------------------------------ */

void stk_updated(struct stk_table *t, struct stk_ent *e)
{
	uint64_t seq;

	if (!t->ring || (__atomic_fetch_or(&e->flags, STK_E_PENDING, __ATOMIC_ACQ_REL) & STK_E_PENDING))
		return;
	seq = __atomic_fetch_add(&t->h->ring_head, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&t->ring[seq % STK_RING_SLOTS], (seq + 1) << 32 | stk_idx(t, e), __ATOMIC_RELEASE);
}

int stk_ring_next(struct stk_table *t, uint64_t *seq, uint32_t *idx)
{
	uint64_t head = stk_ring_head(t), v;

	if (!t->ring || *seq >= head)
		return 0;
	if (head - *seq > STK_RING_SLOTS) {
		*seq = head;
		return -1;
	}
	v = __atomic_load_n(&t->ring[*seq % STK_RING_SLOTS], __ATOMIC_ACQUIRE);
	if ((v >> 32) != *seq + 1) {
		if ((v >> 32) > *seq + 1) {
			/* overwritten: the writers lapped the reader */
			*seq = head;
			return -1;
		}
		return 0;   /* claimed, not written yet: next time */
	}
	*idx = (uint32_t)v;
	(*seq)++;
	if (*idx >= t->h->size)
		return 0;
	/* the writer that comes next queues it again */
	__atomic_fetch_and(&stk_ent(t, *idx)->flags, (uint8_t)~STK_E_PENDING, __ATOMIC_ACQ_REL);
	return 1;
}

/* ---- expiry and walks ------------------------------------------------------ */

uint64_t stk_expire(struct stk_table *t, uint64_t now, unsigned budget)
{
	uint64_t next = 0;

	for (uint32_t k = 0; k <= t->nshm; k++) {
		struct stk_shard *s = &t->sh[k];
		unsigned moved = 0;

		if (!s->tail)
			continue;
		lock_shard(s);
		while (s->tail) {
			struct stk_ent *e = stk_ent(t, s->tail - 1);

			if (!e->expire || e->expire > now) {
				if (e->expire && (!next || e->expire < next))
					next = e->expire;
				break;
			}
			if (e->ref) {
				/* in use: it is touched again when released */
				if (++moved > s->count)
					break;
				lru_unlink(t, s, e);
				lru_push_head(t, s, e);
				continue;
			}
			if (!budget) {
				next = now;
				break;
			}
			budget--;
			unlink_ent(t, s, e);
			free_push(t, e);
		}
		unlock_shard(s);
	}
	return next;
}

int stk_walk(struct stk_table *t, uint32_t *pos, unsigned budget, uint64_t now,
	     int (*fn)(struct stk_table *t, struct stk_ent *e, void *arg), void *arg)
{
	uint32_t end = __atomic_load_n(&t->h->fresh, __ATOMIC_RELAXED);

	while (*pos < end) {
		struct stk_ent *e = stk_ent(t, *pos);
		struct stk_shard *s;
		int stop = 0;

		if (!budget--)
			return 0;
		(*pos)++;
		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & STK_E_USED))
			continue;
		s = shard_of(t, __atomic_load_n(&e->hash, __ATOMIC_RELAXED));
		lock_shard(s);
		/* still in use, and still in this shard (it may have been reused) */
		if ((e->flags & STK_E_USED) && shard_of(t, e->hash) == s && !stk_expired(e, now))
			stop = fn(t, e, arg);
		unlock_shard(s);
		if (stop)
			return 1;
	}
	return 1;
}

struct stk_conf *stk_conf_find(const struct cfg *cfg, const char *name)
{
	for (struct stk_conf *c = cfg->stick ? cfg->stick->tables : NULL; c; c = c->next)
		if (!strcmp(c->id, name))
			return c;
	return NULL;
}

/* ---- mappings ----------------------------------------------------------- */

/* A mapping, kept by the master across configurations, with the
 * definition it was made for (a reload compares and migrates with it). */
struct stk_map {
	struct stk_map *next;
	char           *name;
	uint64_t        sig;
	void           *base;
	size_t          len;
	int             has_ring;
	int             shared;      /* made by stk_bind (else a private one of stk_table_open) */
	struct stk_conf conf;        /* the definition (no links) */
};

static struct stk_map *maps;

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

static uint64_t layout_sig(const struct stk_conf *c)
{
	uint64_t h = 1469598103934665603ull;
	uint64_t v[4] = { (uint64_t)c->type << 32 | c->keylen, c->size, c->store, c->peers != NULL };

	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 8; b++) {
			h ^= (v[i] >> (8 * b)) & 0xff;
			h *= 1099511628211ull;
		}
	for (int dt = 0; dt < STK_DT_N; dt++)
		if (c->store & (1ull << dt)) {
			h ^= c->period[dt];
			h *= 1099511628211ull;
		}
	return h;
}

struct geo {
	uint32_t nsh, nb, esz, data_off;
	size_t   o_sh, o_b, o_e, o_r, len;
};

static void geometry(const struct stk_conf *c, int has_ring, struct geo *g)
{
	size_t at;

	g->nb = pow2_at_least(c->size ? c->size : 1);
	g->nsh = g->nb < STK_MAX_SHARDS ? g->nb : STK_MAX_SHARDS;
	g->data_off = (uint32_t)(sizeof(struct stk_ent) + ((c->keylen + 7) & ~7u));
	g->esz = g->data_off + c->data_len;
	g->esz = (g->esz + 7) & ~7u;
	at = sizeof(struct stk_hdr);
	at = (at + 63) & ~(size_t)63;
	g->o_sh = at;
	at += (size_t)g->nsh * sizeof(struct stk_shard);
	g->o_b = at;
	at += (size_t)g->nb * sizeof(uint32_t);
	at = (at + 63) & ~(size_t)63;
	g->o_e = at;
	at += (size_t)c->size * g->esz;
	at = (at + 63) & ~(size_t)63;
	g->o_r = at;
	if (has_ring)
		at += (size_t)STK_RING_SLOTS * sizeof(uint64_t);
	g->len = (at + 4095) & ~(size_t)4095;
}

static void attach(struct stk_table *t, struct stk_conf *c, struct stk_map *m)
{
	struct geo g;

	geometry(c, m->has_ring, &g);
	t->c = c;
	t->map = m;
	t->h = m->base;
	t->sh = (struct stk_shard *)(void *)((uint8_t *)m->base + g.o_sh);
	t->bucket = (uint32_t *)(void *)((uint8_t *)m->base + g.o_b);
	t->ents = (uint8_t *)m->base + g.o_e;
	t->ring = m->has_ring ? (uint64_t *)(void *)((uint8_t *)m->base + g.o_r) : NULL;
	t->esz = g.esz;
	t->nbm = g.nb - 1;
	t->nshm = g.nsh - 1;
}

static struct stk_map *map_new(const struct stk_conf *c, int shared)
{
	struct stk_map *m = calloc(1, sizeof(*m));
	struct stk_hdr *h;
	struct geo g;

	geometry(c, c->peers != NULL, &g);
	if (!m || !(m->name = strdup(c->id))) {
		free(m);
		return NULL;
	}
	/* reserved, not committed: pages come as entries are first used */
	m->base = mmap(NULL, g.len, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->base == MAP_FAILED) {
		free(m->name);
		free(m);
		return NULL;
	}
	m->len = g.len;
	m->sig = layout_sig(c);
	m->has_ring = c->peers != NULL;
	m->shared = shared;
	m->conf = *c;
	m->conf.next = NULL;
	m->conf.id = m->name;
	m->conf.px = NULL;
	m->conf.peers_name = NULL;
	m->conf.peers = NULL;
	m->conf.t = NULL;
	h = m->base;
	memcpy(h->magic, "TDMSTK1", 8);
	h->sig = m->sig;
	h->size = c->size;
	h->keylen = c->keylen;
	h->esz = g.esz;
	h->nbuckets = g.nb;
	h->nshards = g.nsh;
	h->data_off = g.data_off;
	h->type = (uint32_t)c->type;
	h->has_ring = (uint32_t)m->has_ring;
	return m;
}

static void map_free(struct stk_map *m)
{
	munmap(m->base, m->len);
	free(m->name);
	free(m);
}

int stk_table_open(struct stk_conf *c)
{
	struct stk_map *m;
	char err[128];

	if (c->t)
		return 0;
	if (!c->data_len && stk_conf_layout(c, err, sizeof(err)) < 0)
		return -1;
	if (!(c->t = calloc(1, sizeof(*c->t))) || !(m = map_new(c, 0))) {
		free(c->t);
		c->t = NULL;
		return -1;
	}
	attach(c->t, c, m);
	return 0;
}

void stk_table_close(struct stk_conf *c)
{
	if (!c->t)
		return;
	if (c->t->map && !c->t->map->shared)
		map_free(c->t->map);
	free(c->t);
	c->t = NULL;
}

/* Copy the entries of <from> into <to> (a reload changed the layout):
 * each key that <to> can hold, with the data types both store. */
struct migrate { struct stk_table *to; uint64_t now; uint32_t n; };

static int migrate_one(struct stk_table *from, struct stk_ent *e, void *arg)
{
	struct migrate *mg = arg;
	struct stk_table *to = mg->to;
	struct stk_key k;
	struct stk_ent *ne;

	if (from->h->type != to->h->type)
		return 0;
	stk_key_set(to, &k, e->key, e->klen);
	/* the source shard's lock is held; <to> is another table */
	if (!(ne = stk_get(to, &k, STK_GET_CREATE | STK_GET_TOUCH, mg->now)))
		return 0;
	for (int dt = 0; dt < STK_DT_N; dt++) {
		void *src = stk_data(from, e, dt), *dst = stk_data(to, ne, dt);

		if (!src || !dst)
			continue;
		switch (stk_dt[dt].std) {
		case STK_STD_SINT: case STK_STD_UINT: memcpy(dst, src, 4); break;
		case STK_STD_ULL: memcpy(dst, src, 8); break;
		case STK_STD_FRQP:
			/* counts over another period would read as a wrong rate */
			if (from->c->period[dt] == to->c->period[dt])
				memcpy(dst, src, sizeof(struct stk_frq));
			break;
		}
	}
	{
		uint32_t *cur = stk_data(to, ne, STK_DT_CONN_CUR);

		if (cur)
			*cur = 0;   /* the connections counted there are not this table's references */
	}
	if (e->expire && to->c->expire && e->expire < ne->expire)
		ne->expire = e->expire;
	stk_updated(to, ne);
	stk_unlock(to, ne);
	mg->n++;
	return 0;
}

int stk_bind(struct cfg *cfg)
{
	struct stk_conf *c;
	char err[128];

	if (!cfg->stick)
		return 0;
	clock_update();
	for (c = cfg->stick->tables; c; c = c->next) {
		struct stk_map *m, *old = NULL;

		if (c->t)
			continue;
		if (!c->data_len && stk_conf_layout(c, err, sizeof(err)) < 0) {
			log_event(LL_ALERT, "stick-table '%s': %s", c->id, err);
			return -1;
		}
		for (m = maps; m; m = m->next)
			if (!strcmp(m->name, c->id)) {
				if (m->sig == layout_sig(c))
					break;
				old = m;
			}
		if (!(c->t = calloc(1, sizeof(*c->t))))
			return -1;
		if (m) {
			attach(c->t, c, m);
			continue;
		}
		if (!(m = map_new(c, 1))) {
			log_event(LL_ALERT, "stick-table '%s': cannot map %u entries: %s", c->id, c->size, strerror(errno));
			free(c->t);
			c->t = NULL;
			return -1;
		}
		attach(c->t, c, m);
		if (old) {
			/* the definition changed: keep what the old table knew */
			struct stk_table ot;
			struct migrate mg = { c->t, now_ms, 0 };
			uint32_t pos = 0;

			attach(&ot, &old->conf, old);
			stk_walk(&ot, &pos, ~0u, now_ms, migrate_one, &mg);
			log_event(LL_NOTICE, "stick-table '%s': its definition changed; %u entries taken over from the previous one.",
				  c->id, mg.n);
		}
		m->next = maps;
		maps = m;
	}
	return 0;
}

void stk_gc(const struct cfg *live)
{
	struct stk_map **pm = &maps;

	while (*pm) {
		struct stk_map *m = *pm;
		const struct stk_conf *c = live && live->stick ? live->stick->tables : NULL;

		for (; c; c = c->next)
			if (c->t && c->t->map == m)
				break;
		if (c) {
			pm = &m->next;
			continue;
		}
		*pm = m->next;
		map_free(m);
	}
}

void stk_crash_reset(const struct cfg *cfg)
{
	const struct stk_conf *c;

	for (c = cfg && cfg->stick ? cfg->stick->tables : NULL; c; c = c->next) {
		struct stk_table *t = c->t;
		uint32_t end;

		if (!t)
			continue;
		/* nobody else runs: the locks and references are the dead one's */
		for (uint32_t k = 0; k <= t->nshm; k++)
			__atomic_store_n(&t->sh[k].lock, 0, __ATOMIC_RELEASE);
		end = __atomic_load_n(&t->h->fresh, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < end; i++) {
			struct stk_ent *e = stk_ent(t, i);
			uint32_t *cur;

			if (!(e->flags & STK_E_USED) || !e->ref)
				continue;
			e->ref = 0;
			if ((cur = stk_data(t, e, STK_DT_CONN_CUR)))
				*cur = 0;
		}
	}
}
