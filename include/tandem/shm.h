#ifndef TANDEM_SHM_H
#define TANDEM_SHM_H
#include <tandem/proxy-t.h>
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
/* The record of server <be>/<srv>; with <create>, taken if missing.
 * NULL when absent (or the table is full). Only the current worker
 * creates records. */
struct shm_srv *shm_srv_find(const char *be, const char *srv, int create);
/* Seqlock around a record update / a consistent read (copy into <out>;
 * returns 0, -1 when no stable copy could be had). */
void shm_srv_write_begin(struct shm_srv *r);
void shm_srv_write_end(struct shm_srv *r);
int shm_srv_read(const struct shm_srv *r, struct shm_srv *out);
/* Point the counters of every proxy and server of <cfg> into the shared
 * area (found by name, created when new), so a new worker continues the
 * numbers of the previous one. Counters that cannot be placed (table full)
 * stay private. Master, before forking. */
void shm_bind_counters(struct cfg *cfg);
/* The same for one server added at run time (worker). */
void shm_bind_server_counters(struct server *s);
/* Usable servers of backend <name> as last published, -1 if unknown. */
int shm_backend_usable(const char *name);

#endif
