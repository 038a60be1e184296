#ifndef TANDEM_LOOP_H
#define TANDEM_LOOP_H
#include <sys/epoll.h>
#include <tandem/loop-t.h>

/* The loop of the calling thread (set by loop_init). */
extern __thread struct loop *this_loop;

/* Create a loop and make it this thread's. Returns 0 or -1 (errno set). */
int loop_init(struct loop *l, int id);
void loop_destroy(struct loop *l);
/* Events taken per epoll_wait (`tune.maxpollevents`); set before any loop runs. */
extern int loop_max_events;
/* Run until l->stop is set (from a callback, or via loop_wakeup from any thread). */
void loop_run(struct loop *l);
/* After loop_run() returned: run the deferred tasks still queued (frees). */
void loop_finish(struct loop *l);
/* Make a loop blocked in epoll_wait return (thread-safe). */
void loop_wakeup(struct loop *l);

static inline void ev_io_init(struct ev_io *io, int fd, ev_io_cb cb, void *ctx)
{ io->fd = fd; io->mask = 0; io->cb = cb; io->ctx = ctx; }
/* Set the watched events (EPOLLIN|EPOLLOUT|EPOLLRDHUP...); 0 unregisters.
 * Cheap when unchanged. Returns 0 or -1. */
int loop_io_set(struct loop *l, struct ev_io *io, uint32_t mask);
/* Unregister (before close). */
void loop_io_del(struct loop *l, struct ev_io *io);

static inline void ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *ctx)
{ t->when = 0; t->idx = -1; t->cb = cb; t->ctx = ctx; }
/* Arm (or re-arm) <t> to fire at absolute time <when> (now_ms based). */
void loop_timer_set(struct loop *l, struct ev_timer *t, uint64_t when);
void loop_timer_del(struct loop *l, struct ev_timer *t);
static inline int ev_timer_armed(const struct ev_timer *t) { return t->idx >= 0; }

static inline void ev_task_init(struct ev_task *t, ev_task_cb cb, void *ctx)
{ list_init(&t->link); t->cb = cb; t->ctx = ctx; }
/* Queue <t> to run after the current I/O round (no-op if already queued). */
void loop_task_wake(struct loop *l, struct ev_task *t);
void loop_task_cancel(struct ev_task *t);

#endif
