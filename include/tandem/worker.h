/* The worker process: nbthread threads, one event loop each. */
#ifndef TANDEM_WORKER_H
#define TANDEM_WORKER_H
#include <pthread.h>
#include <tandem/loop-t.h>
#include <tandem/proxy-t.h>

struct worker_thr {
	struct loop   loop;
	pthread_t     th;
	int           id;
	struct list   streams;     /* live streams of this thread */
	int           nstreams;
	struct ev_io *lst_io;      /* one per bind_conf, registered here */
	char         *lst_off;     /* per listener: 1 = unregistered (full, fd limit or stopping) */
	int           nlst;
	int           lst_paused;  /* listeners unregistered here (atomic: other threads look) */
	struct ev_timer lst_retry; /* re-checks paused listeners while any is paused */
	uint64_t      emfile_until;/* no accept() before this (now_ms) after EMFILE/ENFILE */
	struct ev_timer purge;     /* periodic idle pool purge */
	struct ev_timer beat;      /* heartbeat for the master (shm) */
	int           stopping_seen;
	struct list   queue;       /* streams waiting for a server slot (ST_QUEUE) */
	struct ev_timer qtick;     /* re-tries queued streams while the queue is not empty */
};

struct worker {
	struct cfg   *cfg;
	int           nbthread;
	struct worker_thr *thr;
	volatile int  stopping;    /* soft stop requested */
	volatile int  hard_stop;
	volatile int  retiring;    /* stopping after a reload: idle keep-alives are kept until they time out */
	int           actconn;     /* client connections, all threads (atomic) */
};

extern struct worker worker;
extern __thread struct worker_thr *this_thr;

/* Run the worker on <cfg> (listener fds already open). Returns the exit code. */
int worker_run(struct cfg *cfg);
/* Called by a stream when it ends: maybe resume paused listeners (on every
 * thread), maybe exit. */
void worker_stream_gone(void);
/* accept() failed with EMFILE/ENFILE on <what> ("Proxy NAME", "stats
 * socket"): log HAProxy's ALERT at most once a second per process, with the
 * count of those not printed since the last one. Any thread. */
void worker_fd_limit_alert(const char *what);

#endif
