/* History in the master's shared area: see shm_hist-t.h.
 *
 * The area is one anonymous shared mapping made by the master before the
 * first fork, so every worker (and the master's own threads: VRRP) sees it
 * at the same address. It is reserved, not committed: a ring's pages are
 * used once the sampler writes it, and rows that never exist cost nothing
 * but address space. */
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <sys/mman.h>
#include <tandem/shm.h>
#include <tandem/shm_hist.h>

struct shm_hist *tdm_hist;

int shm_hist_create(void)
{
	void *p;

	if (tdm_hist)
		return 0;
	p = mmap(NULL, sizeof(struct shm_hist), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	tdm_hist = p;
	return 0;
}

/* ---- rings ------------------------------------------------------------- */

struct hist_ring *shm_hist_ring(const struct counters *c)
{
	const char *p = (const char *)c, *base;
	size_t i;

	if (!tdm_shm || !tdm_hist || !c)
		return NULL;
	base = (const char *)tdm_shm->pxc;
	if (p >= base && p < base + sizeof(tdm_shm->pxc)) {
		i = (size_t)(p - base) / sizeof(struct shm_pxc);
		if (c == &tdm_shm->pxc[i].fe[0])
			return &tdm_hist->fe[i];
		if (c == &tdm_shm->pxc[i].be[0])
			return &tdm_hist->be[i];
		return NULL;
	}
	base = (const char *)tdm_shm->srvc;
	if (p >= base && p < base + sizeof(tdm_shm->srvc)) {
		i = (size_t)(p - base) / sizeof(struct shm_srvc);
		return c == &tdm_shm->srvc[i].c[0] ? &tdm_hist->srv[i] : NULL;
	}
	return NULL;
}

void shm_hist_write_begin(struct hist_ring *r)
{
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void shm_hist_write_end(struct hist_ring *r)
{
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
}

uint32_t shm_hist_read_begin(const struct hist_ring *r)
{
	uint32_t s;

	/* a write takes microseconds: wait it out rather than fail */
	for (int i = 0; i < 100000; i++)
		if (!((s = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE)) & 1))
			return s;
	return s & ~1u;   /* a writer that died mid-write: read what is there */
}

int shm_hist_read_retry(const struct hist_ring *r, uint32_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&r->seq, __ATOMIC_RELAXED) != seq;
}

/* ---- state changes ----------------------------------------------------- */

static void put(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

#define WRITER_WAIT_MS 100

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void shm_state_change(const struct state_change *sc)
{
	struct shm_event *e;
	struct timespec ts;
	uint64_t id;
	uint32_t mine, cur;
	uint64_t wait_from = 0;

	if (!tdm_hist || !sc)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* claim an id: its slot is id % HIST_EVENTS; the one it replaces is
	 * 200 changes old */
	id = __atomic_fetch_add(&tdm_hist->ev_next, 1, __ATOMIC_ACQ_REL);
	e = &tdm_hist->ev[id % HIST_EVENTS];
	/* take the slot from the change it held (HIST_EVENTS older). A writer
	 * still in it (odd) finishes within microseconds unless it was
	 * preempted: let it run, but not forever (a process may die
	 * mid-write: after WRITER_WAIT_MS the slot is taken over). A newer
	 * change already there means this one was overtaken by HIST_EVENTS
	 * others: it is dropped, as it would be gone anyway. */
	mine = (uint32_t)(2 * id + 1);
	cur = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	for (;;) {
		if (cur >= mine)
			return;
		if ((cur & 1) && (!wait_from || mono_ms() - wait_from < WRITER_WAIT_MS)) {
			if (!wait_from)
				wait_from = mono_ms();
			sched_yield();
			cur = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
			continue;
		}
		if (__atomic_compare_exchange_n(&e->seq, &cur, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	e->kind = (uint32_t)sc->kind;
	e->id = id;
	e->time_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	put(e->proxy, sizeof(e->proxy), sc->proxy);
	put(e->server, sizeof(e->server), sc->server);
	put(e->object, sizeof(e->object), sc->object);
	put(e->from, sizeof(e->from), sc->from);
	put(e->to, sizeof(e->to), sc->to);
	put(e->reason, sizeof(e->reason), sc->reason);
	put(e->detail, sizeof(e->detail), sc->detail);
	/* complete, unless the slot was taken over meanwhile */
	__atomic_compare_exchange_n(&e->seq, &mine, mine + 1, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* Copy slot of <id> into <out>: 0, or -1 when it holds another change or
 * one being written. */
static int copy_event(uint64_t id, struct shm_event *out)
{
	const struct shm_event *e = &tdm_hist->ev[id % HIST_EVENTS];
	uint32_t want = (uint32_t)(2 * id + 2);

	if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) != want)
		return -1;
	memcpy(out, e, sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != want || out->id != id)
		return -1;
	/* strings from another process: terminated whatever happened */
	out->proxy[sizeof(out->proxy) - 1] = out->server[sizeof(out->server) - 1] = 0;
	out->object[sizeof(out->object) - 1] = out->reason[sizeof(out->reason) - 1] = 0;
	out->from[sizeof(out->from) - 1] = out->to[sizeof(out->to) - 1] = 0;
	out->detail[sizeof(out->detail) - 1] = 0;
	return 0;
}

int shm_state_changes(struct shm_event *out, int max, uint64_t from_id)
{
	uint64_t next, id;
	int n = 0;

	if (!tdm_hist || max <= 0)
		return 0;
	next = __atomic_load_n(&tdm_hist->ev_next, __ATOMIC_ACQUIRE);
	id = next > HIST_EVENTS ? next - HIST_EVENTS : 0;
	if (id < from_id)
		id = from_id;
	if (next > id && next - id > (uint64_t)max)
		id = next - (uint64_t)max;
	for (; id < next; id++)
		if (copy_event(id, &out[n]) == 0)
			n++;
	return n;
}

const char *sc_kind_str(int kind)
{
	static const char *const k[SC_NKINDS] = {
		[SC_HEALTH] = "health", [SC_ADMIN] = "admin", [SC_VRRP] = "vrrp",
		[SC_DNS] = "dns", [SC_CERT] = "cert", [SC_PROCESS] = "process",
	};

	return kind >= 0 && kind < SC_NKINDS ? k[kind] : "other";
}

const char *hist_state_str(int st)
{
	static const char *const s[HST_N] = {
		[HST_NONE] = "", [HST_UP] = "UP", [HST_DOWN] = "DOWN", [HST_MAINT] = "MAINT",
		[HST_DRAIN] = "DRAIN", [HST_NOLB] = "NOLB", [HST_NOCHECK] = "no check",
		[HST_OPEN] = "OPEN", [HST_STOP] = "STOP",
	};

	return st >= 0 && st < HST_N ? s[st] : "";
}
