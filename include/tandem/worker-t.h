/* Types of the worker process: nbthread threads, one event loop each. */
#ifndef TANDEM_WORKER_T_H
#define TANDEM_WORKER_T_H
#include <pthread.h>
#include <tandem/loop-t.h>
#include <tandem/proxy-t.h>

struct worker_thr {
	struct loop   loop;
	pthread_t     th;
	int           id;
	struct list   sessions;    /* client sessions of this thread (struct sess) */
	int           nsess;
	struct list   strm_pool;   /* free streams, for the next requests */
	struct list   sess_blocks; /* blocks of sessions with a free slot (sess.c) */
	int           nstrm_pool;
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
	unsigned      srv_gone_seen; /* worker.srv_gone_gen this thread has acted on */
};

struct worker {
	struct cfg   *cfg;
	int           nbthread;
	struct worker_thr *thr;
	volatile int  stopping;    /* soft stop requested */
	volatile int  hard_stop;
	volatile int  retiring;    /* stopping after a reload: idle keep-alives are kept until they time out */
	int           actconn;     /* client connections, all threads (atomic) */
	unsigned      srv_gone_gen;/* bumped when a server goes DOWN or into maintenance (atomic) */
};

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

#endif
