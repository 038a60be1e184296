/* Master/worker shared area: see shm-t.h. */
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
