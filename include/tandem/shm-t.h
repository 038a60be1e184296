/* Memory shared between the master and its worker (mmap'ed MAP_SHARED by
 * the master before forking). The worker publishes what the master needs
 * to decide things without touching traffic: that every worker thread is
 * still turning (heartbeats), and how many usable servers each backend has
 * (VRRP's track-backend). Plain words written by one side, read by the
 * other with relaxed atomics. */
#ifndef TANDEM_SHM_T_H
#define TANDEM_SHM_T_H
#include <stdint.h>

#define SHM_MAX_THR 64
#define SHM_MAX_BE  256

struct shm_be {
	char name[64];
	int  usable;       /* servers that may take traffic now (active or backup) */
	int  total;
};

struct tdm_shm {
	uint64_t      thr_beat_ms[SHM_MAX_THR]; /* CLOCK_MONOTONIC ms of each thread's last beat */
	int           nthr;
	int           worker_pid;
	uint64_t      worker_start_ms;
	int           nbe;
	struct shm_be be[SHM_MAX_BE];
};

#endif
