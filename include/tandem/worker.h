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
/* Called by a stream when it ends: maybe resume paused listeners (on every
 * thread), maybe exit. */
void worker_stream_gone(void);
/* accept() failed with EMFILE/ENFILE on <what> ("Proxy NAME", "stats
 * socket"): log HAProxy's ALERT at most once a second per process, with the
 * count of those not printed since the last one. Any thread. */
void worker_fd_limit_alert(const char *what);

/* Bind the calling thread (worker thread <tid>) as `cpu-map` says (src/proxy/cpu_map.c). */
void worker_cpu_map(int tid);

#endif
