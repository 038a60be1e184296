/* Per-thread event loop: epoll (connections are registered edge-triggered,
 * see conn.c), a binary min-heap of timers, and deferred tasks. One iteration:
 *   1. run queued tasks (they may queue more: bounded by one pass),
 *   2. sleep in epoll_wait until the next timer (0 if tasks are queued),
 *   3. refresh the cached clock, dispatch I/O callbacks,
 *   4. fire expired timers.
 * Callbacks never free objects that other pending events may still point
 * to: they queue a task instead (see stream.c), as Redis' ae does with its
 * deferred deletes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <tandem/clock.h>
#include <tandem/loop.h>

__thread struct loop *this_loop;

#define MAX_EVENTS 256

#ifdef TDM_LOOP_STATS
/* Debug switch (make CFLAGS+=-DTDM_LOOP_STATS): per-thread histograms of what
 * one loop turn does, printed to stderr when the loop ends. Used to find
 * where tail latency under load comes from (doc/architecture.md, "Event
 * loop"); compiled out otherwise, so the hot loop carries no branch for it. */
#include <stdio.h>
#include <tandem/clock.h>
#define LS_BUCKETS 24
struct loop_stats {
	uint64_t turns;
	uint64_t events[LS_BUCKETS];   /* events per epoll_wait, log2 buckets */
	uint64_t io_us[LS_BUCKETS];    /* time dispatching I/O callbacks per turn */
	uint64_t tmr_us[LS_BUCKETS];   /* time running timers per turn */
	uint64_t task_us[LS_BUCKETS];  /* time running tasks per turn */
	uint64_t ntimers[LS_BUCKETS];  /* timers fired per turn */
	uint64_t max_io_us, max_tmr_us, max_task_us;
};
static __thread struct loop_stats ls;
static __thread uint64_t ls_fired;

static int ls_bucket(uint64_t v)
{
	int b = 0;

	while (v && b < LS_BUCKETS - 1) {
		v >>= 1;
		b++;
	}
	return b;
}

static void ls_print_one(const char *name, const uint64_t *h)
{
	int b, last = 0;

	for (b = 0; b < LS_BUCKETS; b++)
		if (h[b])
			last = b;
	fprintf(stderr, "  %-10s", name);
	for (b = 0; b <= last; b++)
		fprintf(stderr, " <%llu:%llu", b ? 1ull << b : 1ull, (unsigned long long)h[b]);
	fprintf(stderr, "\n");
}

static void ls_print(const struct loop *l)
{
	fprintf(stderr, "loop stats thread %d: %llu turns; max us: io %llu, timers %llu, tasks %llu\n", l->id,
		(unsigned long long)ls.turns, (unsigned long long)ls.max_io_us,
		(unsigned long long)ls.max_tmr_us, (unsigned long long)ls.max_task_us);
	ls_print_one("events", ls.events);
	ls_print_one("io_us", ls.io_us);
	ls_print_one("timers_us", ls.tmr_us);
	ls_print_one("tasks_us", ls.task_us);
	ls_print_one("timers", ls.ntimers);
}
#define LS_NOTE(hist, maxv, us) do { ls.hist[ls_bucket(us)]++; if ((us) > ls.maxv) ls.maxv = (us); } while (0)
#endif
/* Events taken per epoll_wait (`tune.maxpollevents`), set before loops run. */
int loop_max_events = MAX_EVENTS;

static void wake_cb(struct ev_io *io, uint32_t events)
{
	struct loop *l = io->ctx;
	uint64_t v;
	(void)events;
	/* drain the eventfd, then let the owner look at shared flags */
	while (read(io->fd, &v, sizeof(v)) > 0)
		;
	if (l->wake_hook)
		l->wake_hook(l);
}

int loop_init(struct loop *l, int id)
{
	memset(l, 0, sizeof(*l));
	l->id = id;
	list_init(&l->tasks);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd < 0) {
		close(l->epfd);
		return -1;
	}
	ev_io_init(&l->wake_io, l->wakefd, wake_cb, l);
	if (loop_io_set(l, &l->wake_io, EPOLLIN) < 0) {
		close(l->wakefd);
		close(l->epfd);
		return -1;
	}
	this_loop = l;
	clock_update();
	return 0;
}

void loop_destroy(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->wakefd >= 0)
		close(l->wakefd);
	free(l->heap);
	l->heap = NULL;
	l->epfd = l->wakefd = -1;
}

void loop_wakeup(struct loop *l)
{
	uint64_t one = 1;
	ssize_t r = write(l->wakefd, &one, sizeof(one));
	(void)r; /* EAGAIN means a wake-up is already pending: fine */
}

int loop_io_set(struct loop *l, struct ev_io *io, uint32_t mask)
{
	struct epoll_event ev;
	int op;

	if (mask == io->mask)
		return 0;
	if (!mask) {
		loop_io_del(l, io);
		return 0;
	}
	op = io->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	ev.events = mask;
	ev.data.ptr = io;
	if (epoll_ctl(l->epfd, op, io->fd, &ev) < 0)
		return -1;
	io->mask = mask;
	return 0;
}

void loop_io_del(struct loop *l, struct ev_io *io)
{
	if (io->mask) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
		io->mask = 0;
	}
}

/* ---- timer heap ---- */

static void heap_swap(struct loop *l, int a, int b)
{
	struct ev_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->idx = a;
	l->heap[b]->idx = b;
}

static void heap_up(struct loop *l, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (l->heap[p]->when <= l->heap[i]->when)
			break;
		heap_swap(l, i, p);
		i = p;
	}
}

static void heap_down(struct loop *l, int i)
{
	for (;;) {
		int c = 2 * i + 1, m = i;
		if (c < l->nheap && l->heap[c]->when < l->heap[m]->when)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[m]->when)
			m = c + 1;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

void loop_timer_del(struct loop *l, struct ev_timer *t)
{
	int i = t->idx;

	if (i < 0)
		return;
	t->idx = -1;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->idx = i;
	heap_down(l, i);
	heap_up(l, i);
}

void loop_timer_set(struct loop *l, struct ev_timer *t, uint64_t when)
{
	t->pass = l->tpass;
	if (t->idx >= 0) {
		uint64_t old = t->when;
		t->when = when;
		if (when < old)
			heap_up(l, t->idx);
		else if (when > old)
			heap_down(l, t->idx);
		return;
	}
	if (l->nheap == l->heap_size) {
		int nsize = l->heap_size ? l->heap_size * 2 : 64;
		struct ev_timer **nh = realloc(l->heap, (size_t)nsize * sizeof(*nh));
		if (!nh)
			abort(); /* a timer we cannot arm would hang a connection forever */
		l->heap = nh;
		l->heap_size = nsize;
	}
	t->when = when;
	t->idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->idx);
}

/* ---- tasks ---- */

void loop_task_wake(struct loop *l, struct ev_task *t)
{
	if (list_empty(&t->link))
		list_add_tail(&l->tasks, &t->link);
}

void loop_task_cancel(struct ev_task *t)
{
	list_del(&t->link);
}

/* Run the tasks queued so far; tasks queued meanwhile wait for the next pass
 * so that a task re-queuing itself cannot starve I/O. */
static void run_tasks(struct loop *l)
{
	struct list batch;

	if (list_empty(&l->tasks))
		return;
	/* move the whole list to <batch> */
	batch.next = l->tasks.next;
	batch.prev = l->tasks.prev;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	list_init(&l->tasks);
	while (!list_empty(&batch)) {
		struct ev_task *t = list_entry(batch.next, struct ev_task, link);
		list_del(&t->link);
		t->cb(t);
	}
}

/* Fire the timers that are due. A timer armed again during this pass (by
 * its own callback or another one) waits for the next loop turn even when it
 * is due already: the loop goes back to epoll_wait() (with a zero timeout)
 * in between, so I/O, signals and stop requests are always seen, whatever a
 * callback does with its timer. */
static void run_timers(struct loop *l)
{
	if (!++l->npass)
		l->npass = 1;  /* 0 means "armed outside a pass" */
	l->tpass = l->npass;
	while (l->nheap && l->heap[0]->when <= now_ms && l->heap[0]->pass != l->tpass) {
		struct ev_timer *t = l->heap[0];
		loop_timer_del(l, t);
#ifdef TDM_LOOP_STATS
		ls_fired++;
#endif
		t->cb(t);
	}
	l->tpass = 0;
}

void loop_finish(struct loop *l)
{
	int rounds = 16;  /* tasks may queue tasks (a close frees a stream, then its session) */

	while (!list_empty(&l->tasks) && rounds-- > 0)
		run_tasks(l);
}

void loop_run(struct loop *l)
{
	struct epoll_event evs_local[MAX_EVENTS], *evs = evs_local;
	int maxev = loop_max_events > 0 ? loop_max_events : MAX_EVENTS;

	if (maxev > MAX_EVENTS && !(evs = malloc(sizeof(*evs) * (size_t)maxev))) {
		evs = evs_local;
		maxev = MAX_EVENTS;
	}
	this_loop = l;
	clock_update();
	while (!l->stop) {
		int timeout = -1, n, i;
#ifdef TDM_LOOP_STATS
		uint64_t t0 = clock_mono_us(), t1, t2;

		run_tasks(l);
		t1 = clock_mono_us();
		LS_NOTE(task_us, max_task_us, t1 - t0);
#else
		run_tasks(l);
#endif
		if (l->stop)
			break;
		if (!list_empty(&l->tasks))
			timeout = 0;
		else if (l->nheap) {
			uint64_t w = l->heap[0]->when;
			timeout = w <= now_ms ? 0 : (int)MIN(w - now_ms, 60000u);
		}
		n = epoll_wait(l->epfd, evs, maxev, timeout);
		clock_update();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
#ifdef TDM_LOOP_STATS
		t0 = clock_mono_us();
		ls.turns++;
		ls.events[ls_bucket((uint64_t)n)]++;
#endif
		for (i = 0; i < n; i++) {
			struct ev_io *io = evs[i].data.ptr;
			io->cb(io, evs[i].events);
		}
#ifdef TDM_LOOP_STATS
		t1 = clock_mono_us();
		LS_NOTE(io_us, max_io_us, t1 - t0);
		ls_fired = 0;
		run_timers(l);
		t2 = clock_mono_us();
		LS_NOTE(tmr_us, max_tmr_us, t2 - t1);
		ls.ntimers[ls_bucket(ls_fired)]++;
#else
		run_timers(l);
#endif
	}
#ifdef TDM_LOOP_STATS
	ls_print(l);
#endif
	if (evs != evs_local)
		free(evs);
}
