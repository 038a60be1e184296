/* Master/worker shared area: see shm-t.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <tandem/shm.h>

struct tdm_shm *tdm_shm;

int shm_create(void)
{
	void *p;

	if (tdm_shm)
		return 0;
	p = mmap(NULL, sizeof(struct tdm_shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, sizeof(struct tdm_shm));
	tdm_shm = p;
	return 0;
}

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

int shm_backend_usable(const char *name)
{
	int i, n;

	if (!tdm_shm)
		return -1;
	n = __atomic_load_n(&tdm_shm->nbe, __ATOMIC_RELAXED);
	for (i = 0; i < n && i < SHM_MAX_BE; i++)
		if (!strcmp(tdm_shm->be[i].name, name))
			return __atomic_load_n(&tdm_shm->be[i].usable, __ATOMIC_RELAXED);
	return -1;
}

struct shm_srv *shm_srv_find(const char *be, const char *srv, int create)
{
	int i, n;

	if (!tdm_shm)
		return NULL;
	n = __atomic_load_n(&tdm_shm->nsrv, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < SHM_MAX_SRV; i++) {
		struct shm_srv *r = &tdm_shm->srv[i];
		if (r->used && !strcmp(r->be, be) && !strcmp(r->srv, srv))
			return r;
	}
	if (!create || n >= SHM_MAX_SRV)
		return NULL;
	/* one writer (the current worker's thread 0): fill, then publish */
	{
		struct shm_srv *r = &tdm_shm->srv[n];
		memset(r, 0, sizeof(*r));
		snprintf(r->be, sizeof(r->be), "%s", be);
		snprintf(r->srv, sizeof(r->srv), "%s", srv);
		r->used = 1;
		__atomic_store_n(&tdm_shm->nsrv, n + 1, __ATOMIC_RELEASE);
		return r;
	}
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
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		uint32_t a = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE), b;
		if (a & 1)
			continue;
		memcpy(out, r, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
		if (a == b)
			return 0;
	}
	return -1;
}

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

static struct shm_pxc *pxc_find(const char *name, int cap)
{
	int i, n = __atomic_load_n(&tdm_shm->npxc, __ATOMIC_ACQUIRE);
	struct shm_pxc *p;

	for (i = 0; i < n && i < SHM_MAX_PXC; i++) {
		p = &tdm_shm->pxc[i];
		if (__atomic_load_n(&p->used, __ATOMIC_ACQUIRE) && p->cap == cap && !strcmp(p->name, name))
			return p;
	}
	if ((i = claim(&tdm_shm->npxc, SHM_MAX_PXC)) < 0)
		return NULL;
	p = &tdm_shm->pxc[i];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->cap = cap;
	__atomic_store_n(&p->used, 1, __ATOMIC_RELEASE);
	return p;
}

static struct shm_srvc *srvc_find(const char *be, const char *srv)
{
	int i, n = __atomic_load_n(&tdm_shm->nsrvc, __ATOMIC_ACQUIRE);
	struct shm_srvc *p;

	for (i = 0; i < n && i < SHM_MAX_SRV; i++) {
		p = &tdm_shm->srvc[i];
		if (__atomic_load_n(&p->used, __ATOMIC_ACQUIRE) && !strcmp(p->be, be) && !strcmp(p->srv, srv))
			return p;
	}
	if ((i = claim(&tdm_shm->nsrvc, SHM_MAX_SRV)) < 0)
		return NULL;
	p = &tdm_shm->srvc[i];
	snprintf(p->be, sizeof(p->be), "%s", be);
	snprintf(p->srv, sizeof(p->srv), "%s", srv);
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
	s->ctr = &c->c;
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
			px->fe_ctr = &c->fe;
			px->be_ctr = &c->be;
			px->ctr_shared = 1;
		}
		list_for_each(sl, &px->servers)
			shm_bind_server_counters(list_entry(sl, struct server, link));
	}
}
