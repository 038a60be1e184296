#ifndef TANDEM_SHM_H
#define TANDEM_SHM_H
#include <tandem/shm-t.h>

/* The shared area (NULL until shm_create). */
extern struct tdm_shm *tdm_shm;

/* Map the area (master, before forking). Returns 0 or -1. */
int shm_create(void);
/* Worker side: publish this thread's heartbeat. */
void shm_beat(int tid, uint64_t now_ms);
/* Master side: age in ms of the oldest thread heartbeat of the current
 * worker, or -1 when no worker published yet. */
long long shm_worker_stale_ms(uint64_t now_ms);
/* Usable servers of backend <name> as last published, -1 if unknown. */
int shm_backend_usable(const char *name);

#endif
