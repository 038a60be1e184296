/* Master/worker shared area: see shm-t.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>

struct tdm_shm *tdm_shm;
static char *arena;          /* SHM_ARENA_SIZE bytes, mapped with tdm_shm (same address in every process) */

int shm_create(void)
{
	void *p, *a;

	if (tdm_shm)
		return 0;
	/* anonymous mappings start zeroed: nothing to clear */
	p = mmap(NULL, sizeof(struct tdm_shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	a = mmap(NULL, SHM_ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == MAP_FAILED) {
		munmap(p, sizeof(struct tdm_shm));
		return -1;
	}
	arena = a;
	tdm_shm = p;
	/* the history (shm_hist.h): without it, tandem runs without history */
	if (shm_hist_create() < 0)
		log_event(LL_WARNING, "shared area: cannot map the history: the dashboard shows no history and the rates read 0.");
	return 0;
}

/* ---- the arena --------------------------------------------------------- */

/* Hand out <len> bytes of the arena (any process, any thread): their
 * offset, or 0 when it is full. Offsets start at 8 so that 0 means none. */
static uint32_t arena_alloc(size_t len)
{
	uint32_t used = __atomic_load_n(&tdm_shm->arena_used, __ATOMIC_RELAXED);
	static int warned;

	do {
		if (len > SHM_ARENA_SIZE - 8 - used) {
			if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
				log_event(LL_WARNING, "shared area: no room left for names (%u bytes used); "
					  "new proxies and servers keep private counters and are not handed over on reload.",
					  used);
			return 0;
		}
	} while (!__atomic_compare_exchange_n(&tdm_shm->arena_used, &used, used + (uint32_t)len, 0,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 8 + used;
}

int shm_put(const void *p, size_t len, struct shm_ref *ref)
{
	uint32_t off;

	if (!tdm_shm || !arena || len >= SHM_ARENA_SIZE || !(off = arena_alloc(len + 1)))
		return -1;
	memcpy(arena + off, p, len);
	arena[off + len] = 0;
	ref->off = off;
	ref->len = (uint32_t)len;
	return 0;
}

const char *shm_get(struct shm_ref ref)
{
	if (!arena || !ref.off || ref.off >= SHM_ARENA_SIZE || ref.len >= SHM_ARENA_SIZE - ref.off)
		return NULL;
	return arena + ref.off;
}

int shm_eq(struct shm_ref ref, const char *s)
{
	const char *v = shm_get(ref);

	return v && strlen(s) == ref.len && !memcmp(v, s, ref.len);
}

/* An argument vector is stored packed: each word followed by a NUL. */
static size_t argv_size(char *const *argv)
{
	size_t n = 0;

	for (; argv && *argv; argv++)
		n += strlen(*argv) + 1;
	return n;
}

int shm_argv_put(char *const *argv, struct shm_ref *ref)
{
	size_t len = argv_size(argv), at = 0;
	char *buf = malloc(len + 1);
	int ret;

	if (!buf)
		return -1;
	for (; argv && *argv; argv++) {
		size_t l = strlen(*argv) + 1;

		memcpy(buf + at, *argv, l);
		at += l;
	}
	ret = shm_put(buf, len, ref);
	free(buf);
	return ret;
}

int shm_argv_eq(struct shm_ref ref, char *const *argv)
{
	const char *v = shm_get(ref);
	size_t at = 0;

	if (!v || argv_size(argv) != ref.len)
		return 0;
	for (; argv && *argv; argv++) {
		size_t l = strlen(*argv) + 1;

		if (memcmp(v + at, *argv, l))
			return 0;
		at += l;
	}
	return 1;
}

int shm_argv_get(struct shm_ref ref, char ***argv)
{
	const char *v = shm_get(ref);
	int n = 0, i = 0;
	char **out;

	*argv = NULL;
	if (!v)
		return -1;
	for (uint32_t k = 0; k < ref.len; k++)
		n += v[k] == 0;
	if (!(out = calloc((size_t)n + 1, sizeof(*out))))
		return -1;
	for (uint32_t k = 0; k < ref.len && i < n; k += (uint32_t)strlen(v + k) + 1)
		out[i++] = (char *)(v + k);
	*argv = out;
	return n;
}

/* ---- heartbeats, backends ------------------------------------------- */

void shm_beat(int tid, uint64_t now_ms)
{
	if (tdm_shm && tid >= 0 && tid < SHM_MAX_THR)
		__atomic_store_n(&tdm_shm->thr_beat_ms[tid], now_ms, __ATOMIC_RELAXED);
}

long long shm_worker_stale_ms(uint64_t now_ms)
{
	long long worst = -1;
	int i, n;

	if (!tdm_shm)
		return -1;
	n = __atomic_load_n(&tdm_shm->nthr, __ATOMIC_RELAXED);
	for (i = 0; i < n && i < SHM_MAX_THR; i++) {
		uint64_t b = __atomic_load_n(&tdm_shm->thr_beat_ms[i], __ATOMIC_RELAXED);
		long long age = b ? (long long)(now_ms - b) : (long long)now_ms;
		if (age > worst)
			worst = age;
	}
	return worst;
}

static struct shm_ref load_ref(const struct shm_ref *r)
{
	struct shm_ref v;

	__atomic_load(r, &v, __ATOMIC_ACQUIRE);
	return v;
}

int shm_backend_usable(const char *name)
{
	int i, n;

	if (!tdm_shm)
		return -1;
	n = __atomic_load_n(&tdm_shm->nbe, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < SHM_MAX_BE; i++)
		if (shm_eq(load_ref(&tdm_shm->be[i].name), name))
			return __atomic_load_n(&tdm_shm->be[i].usable, __ATOMIC_RELAXED);
	return -1;
}

static struct shm_pxc *pxc_lookup(const char *name, int cap);

void shm_be_publish(int i, const char *name, int usable, int total)
{
	struct shm_be *b;
	struct shm_ref ref;
	struct shm_pxc *p;

	if (!tdm_shm || i < 0 || i >= SHM_MAX_BE)
		return;
	b = &tdm_shm->be[i];
	if (!shm_eq(load_ref(&b->name), name)) {
		/* the name is in the arena already when the backend's counters
		 * are shared; else it is added (a new one per rename of the slot) */
		if ((p = pxc_lookup(name, -1)))
			ref = p->name;
		else if (shm_put(name, strlen(name), &ref) < 0)
			ref = (struct shm_ref){ 0, 0 };
		__atomic_store(&b->name, &ref, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&b->usable, usable, __ATOMIC_RELAXED);
	__atomic_store_n(&b->total, total, __ATOMIC_RELAXED);
}

/* ---- server state records (reload handover) -------------------------- */

struct shm_srv *shm_srv_find(const char *be, const char *srv, int create)
{
	int i, n;

	if (!tdm_shm)
		return NULL;
	n = __atomic_load_n(&tdm_shm->nsrv, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < SHM_MAX_SRV; i++) {
		struct shm_srv *r = &tdm_shm->srv[i];
		if (r->used && shm_eq(r->be, be) && shm_eq(r->srv, srv))
			return r;
	}
	if (!create || n >= SHM_MAX_SRV)
		return NULL;
	/* one writer (the current worker's thread 0): fill, then publish */
	{
		struct shm_srv *r = &tdm_shm->srv[n];
		memset(r, 0, sizeof(*r));
		if (shm_put(be, strlen(be), &r->be) < 0 || shm_put(srv, strlen(srv), &r->srv) < 0)
			return NULL;
		r->used = 1;
		__atomic_store_n(&tdm_shm->nsrv, n + 1, __ATOMIC_RELEASE);
		return r;
	}
}

/* Copy <len> bytes of a record whose writer bumps <seq> around each change
 * (odd while writing): retried until a copy was taken between two equal
 * even values; -1 after 1000 tries (a writer that died mid-change). */
static int seq_read(const uint32_t *seq, const void *rec, void *out, size_t len)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t a = __atomic_load_n(seq, __ATOMIC_ACQUIRE), b;

		if (a & 1)
			continue;
		memcpy(out, rec, len);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(seq, __ATOMIC_RELAXED);
		if (a == b)
			return 0;
	}
	return -1;
}

void shm_srv_write_begin(struct shm_srv *r)
{
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
}

void shm_srv_write_end(struct shm_srv *r)
{
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
}

int shm_srv_read(const struct shm_srv *r, struct shm_srv *out)
{
	return seq_read(&r->seq, r, out, sizeof(*out));
}

/* ---- pattern files changed at run time (reload handover) ------------- */

struct shm_map *shm_map_find(const char *file, int create)
{
	int i, n;

	if (!tdm_shm)
		return NULL;
	n = __atomic_load_n(&tdm_shm->nmap, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < SHM_MAX_MAP; i++) {
		struct shm_map *r = &tdm_shm->map[i];

		if (r->used && shm_eq(r->file, file))
			return r;
	}
	if (!create || n >= SHM_MAX_MAP)
		return NULL;
	{
		/* one writer (the current worker's thread 0): fill, then publish */
		struct shm_map *r = &tdm_shm->map[n];

		memset(r, 0, sizeof(*r));
		if (shm_put(file, strlen(file), &r->file) < 0)
			return NULL;
		r->used = 1;
		__atomic_store_n(&tdm_shm->nmap, n + 1, __ATOMIC_RELEASE);
		return r;
	}
}

void shm_map_write(struct shm_map *r, uint64_t file_hash, struct shm_ref blob, uint32_t nelt, uint64_t now_ms)
{
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
	r->file_hash = file_hash;
	r->blob = blob;
	r->nelt = nelt;
	r->published_ms = now_ms;
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
}

int shm_map_read(const struct shm_map *r, struct shm_map *out)
{
	return seq_read(&r->seq, r, out, sizeof(*out));
}

/* ---- resolutions (reload handover of the DNS timing) ------------------------ */

int shm_is_current(void)
{
	static pid_t me;

	if (!me)
		me = getpid();
	return tdm_shm && __atomic_load_n(&tdm_shm->worker_pid, __ATOMIC_ACQUIRE) == me;
}

struct shm_dns *shm_dns_find(const char *rs, const char *name, int kind, int create)
{
	int i, n;
	struct shm_dns *d;

	if (!tdm_shm)
		return NULL;
	n = __atomic_load_n(&tdm_shm->ndns, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < SHM_MAX_DNS; i++) {
		d = &tdm_shm->dns[i];
		if (__atomic_load_n(&d->used, __ATOMIC_ACQUIRE) && d->kind == kind && shm_eq(d->rs, rs) &&
		    shm_eq(d->name, name))
			return d;
	}
	if (!create || n >= SHM_MAX_DNS || !shm_is_current())
		return NULL;
	/* one writer (the current worker's thread 0): fill, then publish */
	d = &tdm_shm->dns[n];
	memset(d, 0, sizeof(*d));
	if (shm_put(rs, strlen(rs), &d->rs) < 0 || shm_put(name, strlen(name), &d->name) < 0)
		return NULL;
	d->kind = kind;
	__atomic_store_n(&d->used, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&tdm_shm->ndns, n + 1, __ATOMIC_RELEASE);
	return d;
}

void shm_dns_write(struct shm_dns *d, int status, uint64_t last_valid_ms, uint64_t last_query_ms)
{
	if (!shm_is_current())
		return;   /* a retiring worker no longer speaks for the servers */
	__atomic_add_fetch(&d->seq, 1, __ATOMIC_ACQ_REL);
	d->status = status;
	d->last_valid_ms = last_valid_ms;
	d->last_query_ms = last_query_ms;
	__atomic_add_fetch(&d->seq, 1, __ATOMIC_RELEASE);
}

int shm_dns_read(const struct shm_dns *d, struct shm_dns *out)
{
	return seq_read(&d->seq, d, out, sizeof(*out));
}

/* ---- counters ---------------------------------------------------------- */

/* Claim the next slot of a table of <max> (any process, any thread). */
static int claim(int *n, int max)
{
	int i = __atomic_fetch_add(n, 1, __ATOMIC_ACQ_REL);

	if (i >= max) {
		__atomic_fetch_sub(n, 1, __ATOMIC_ACQ_REL);
		return -1;
	}
	return i;
}

/* The counters record of proxy <name> with capabilities <cap> (-1: any). */
static struct shm_pxc *pxc_lookup(const char *name, int cap)
{
	int i, n = __atomic_load_n(&tdm_shm->npxc, __ATOMIC_ACQUIRE);

	for (i = 0; i < n && i < SHM_MAX_PXC; i++) {
		struct shm_pxc *p = &tdm_shm->pxc[i];

		if (__atomic_load_n(&p->used, __ATOMIC_ACQUIRE) && (cap < 0 || p->cap == cap) && shm_eq(p->name, name))
			return p;
	}
	return NULL;
}

static struct shm_pxc *pxc_find(const char *name, int cap)
{
	struct shm_pxc *p = pxc_lookup(name, cap);
	struct shm_ref ref;
	int i;

	if (p)
		return p;
	if (shm_put(name, strlen(name), &ref) < 0 || (i = claim(&tdm_shm->npxc, SHM_MAX_PXC)) < 0)
		return NULL;
	p = &tdm_shm->pxc[i];
	p->name = ref;
	p->cap = cap;
	__atomic_store_n(&p->used, 1, __ATOMIC_RELEASE);
	return p;
}

static struct shm_srvc *srvc_find(const char *be, const char *srv)
{
	int i, n = __atomic_load_n(&tdm_shm->nsrvc, __ATOMIC_ACQUIRE);
	struct shm_ref rb, rs;
	struct shm_srvc *p;

	for (i = 0; i < n && i < SHM_MAX_SRV; i++) {
		p = &tdm_shm->srvc[i];
		if (__atomic_load_n(&p->used, __ATOMIC_ACQUIRE) && shm_eq(p->be, be) && shm_eq(p->srv, srv))
			return p;
	}
	if (shm_put(be, strlen(be), &rb) < 0 || shm_put(srv, strlen(srv), &rs) < 0 ||
	    (i = claim(&tdm_shm->nsrvc, SHM_MAX_SRV)) < 0)
		return NULL;
	p = &tdm_shm->srvc[i];
	p->be = rb;
	p->srv = rs;
	__atomic_store_n(&p->used, 1, __ATOMIC_RELEASE);
	return p;
}

void shm_bind_server_counters(struct server *s)
{
	struct shm_srvc *c;

	if (!tdm_shm || s->ctr_shared || !s->be || !s->id)
		return;
	if (!(c = srvc_find(s->be->id, s->id)))
		return;
	free(s->ctr);
	s->ctr = &c->c[0];
	s->ctr_shared = 1;
}

void shm_bind_counters(struct cfg *cfg)
{
	struct list *pl, *sl;

	if (!tdm_shm)
		return;
	list_for_each(pl, &cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);
		struct shm_pxc *c;

		if (!px->ctr_shared && (c = pxc_find(px->id, px->cap))) {
			free(px->fe_ctr);
			free(px->be_ctr);
			px->fe_ctr = &c->fe[0];
			px->be_ctr = &c->be[0];
			px->ctr_shared = 1;
		}
		list_for_each(sl, &px->servers)
			shm_bind_server_counters(list_entry(sl, struct server, link));
	}
}
