/* The worker process: nbthread threads, one event loop each (types in
 * worker-t.h). */
#ifndef TANDEM_WORKER_H
#define TANDEM_WORKER_H
#include <tandem/worker-t.h>

extern struct worker worker;
extern __thread struct worker_thr *this_thr;

/* Add module <m> (struct worker_module, worker-t.h) before the worker starts. */
void worker_module_register(struct worker_module *m);

/* Run the worker on <cfg> (listener fds already open). Returns the exit code. */
int worker_run(struct cfg *cfg);
/* Called by a stream when it ends: maybe resume paused listeners, maybe exit. */
void worker_stream_gone(void);

/* Bind the calling thread (worker thread <tid>) as `cpu-map` says (src/proxy/cpu_map.c). */
void worker_cpu_map(int tid);

#endif
