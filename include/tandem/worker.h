/* The worker process: nbthread threads, one event loop each (types in
 * worker-t.h). */
#ifndef TANDEM_WORKER_H
#define TANDEM_WORKER_H
#include <tandem/worker-t.h>

extern struct worker worker;
extern __thread struct worker_thr *this_thr;

/* A module served by the worker's thread 0 (the runtime API): started once
 * the loops exist, stopped with the listeners (soft or hard stop, retiring
 * after a reload). main() registers them, so the proxy layer never calls
 * into the modules above it. */
struct worker_module {
	const char *name;
	int  (*start)(struct cfg *cfg);  /* on thread 0: 0, or -1 (logged) */
	void (*stop)(void);              /* on thread 0 */
	struct worker_module *next;
};
/* Add <m> (before the worker starts). */
void worker_module_register(struct worker_module *m);

/* Run the worker on <cfg> (listener fds already open). Returns the exit code. */
int worker_run(struct cfg *cfg);
/* Called by a stream when it ends: maybe resume paused listeners, maybe exit. */
void worker_stream_gone(void);

#endif
