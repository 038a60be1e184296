/* Types of the per-thread event loop (epoll, edge-triggered for connections,
 * with a binary min-heap of timers and a list of deferred tasks run after I/O
 * dispatch). */
#ifndef TANDEM_LOOP_T_H
#define TANDEM_LOOP_T_H
#include <stdint.h>
#include <tandem/list.h>

struct loop;
struct ev_io;
struct ev_timer;
struct ev_task;

/* Called with the epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLERR, ...). */
typedef void (*ev_io_cb)(struct ev_io *io, uint32_t events);
typedef void (*ev_timer_cb)(struct ev_timer *t);
typedef void (*ev_task_cb)(struct ev_task *t);

/* One file descriptor watched by one loop. <mask> is what epoll currently
 * has registered, so loop_io_set() only calls epoll_ctl() on a change. */
struct ev_io {
	int      fd;
	uint32_t mask;     /* registered events, 0 = not registered */
	ev_io_cb cb;
	void    *ctx;
};

struct ev_timer {
	uint64_t    when;  /* expiry in now_ms; meaningless when idx < 0 */
	int         idx;   /* position in the heap, -1 when not armed */
	uint32_t    pass;  /* timer pass during which it was armed (0: outside one) */
	ev_timer_cb cb;
	void       *ctx;
};

/* A task to run once, after the current round of I/O callbacks. Used to
 * free objects outside their own callbacks and to chain state machine steps
 * without recursion. */
struct ev_task {
	struct list link;  /* self-linked when not queued */
	ev_task_cb  cb;
	void       *ctx;
};

struct loop {
	int       epfd;
	int       id;            /* thread number, 0..nbthread-1 */
	volatile int stop;       /* set to leave loop_run() */
	struct ev_timer **heap;  /* timer min-heap */
	int       nheap, heap_size;
	uint32_t  tpass;         /* current timer pass while run_timers() runs, else 0 */
	uint32_t  npass;         /* timer passes so far */
	struct list tasks;       /* queued ev_task */
	/* cross-thread wakeups and messages (eventfd) */
	int       wakefd;
	struct ev_io wake_io;
	void    (*wake_hook)(struct loop *l); /* run on loop_wakeup() from another thread */
	void     *owner;         /* the worker thread owning this loop */
};

#endif
