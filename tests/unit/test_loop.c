/* Event loop: timers fire in order, re-arming and cancelling work, tasks
 * run after the current round, and cross-thread wake-ups reach the loop. */
#include <pthread.h>
#include <unistd.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "unit.h"

static struct loop L;
static char order[32];
static int norder;

static void tcb(struct ev_timer *t)
{
	order[norder++] = *(const char *)t->ctx;
	if (norder >= 3)
		L.stop = 1;
}

static int task_runs;
static void task_cb(struct ev_task *t)
{
	(void)t;
	task_runs++;
}

static int hooked;
static void hook(struct loop *l)
{
	hooked++;
	l->stop = 1;
}

static void *waker(void *arg)
{
	usleep(20000);
	loop_wakeup(arg);
	return NULL;
}

int main(void)
{
	struct ev_timer a, b, c, d;
	struct ev_task t;
	pthread_t th;
	uint64_t t0;

	CHECK("loop_init", loop_init(&L, 0) == 0);
	clock_update();
	t0 = now_us;
	ev_timer_init(&a, tcb, "a");
	ev_timer_init(&b, tcb, "b");
	ev_timer_init(&c, tcb, "c");
	ev_timer_init(&d, tcb, "d");
	loop_timer_set(&L, &c, now_ms + 30);
	loop_timer_set(&L, &a, now_ms + 10);
	loop_timer_set(&L, &b, now_ms + 20);
	loop_timer_set(&L, &d, now_ms + 5);
	loop_timer_del(&L, &d);               /* cancelled: never fires */
	loop_timer_set(&L, &b, now_ms + 40);  /* re-armed later: fires last */
	CHECK("armed timers are armed", ev_timer_armed(&a) && !ev_timer_armed(&d));
	ev_task_init(&t, task_cb, NULL);
	loop_task_wake(&L, &t);
	loop_task_wake(&L, &t);               /* queued once only */
	loop_run(&L);
	order[norder] = 0;
	CHECKF(!strcmp(order, "acb"), "timers fire by deadline, cancel and re-arm honoured (got %s)", order);
	CHECK("timers did not fire early", clock_mono_us() - t0 >= 39000);
	CHECK("a task queued twice runs once", task_runs == 1);

	L.stop = 0;
	L.wake_hook = hook;
	pthread_create(&th, NULL, waker, &L);
	loop_run(&L);
	pthread_join(th, NULL);
	CHECK("loop_wakeup from another thread runs the wake hook", hooked == 1);
	loop_destroy(&L);
	UNIT_END();
}
