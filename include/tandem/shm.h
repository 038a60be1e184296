#ifndef TANDEM_SHM_H
#define TANDEM_SHM_H
#include <stddef.h>
#include <tandem/proxy-t.h>
#include <tandem/shm-t.h>

/* The shared area (NULL until shm_create). */
extern struct tdm_shm *tdm_shm;

/* Map the area and its arena (master, before forking). Returns 0 or -1. */
int shm_create(void);
/* The arena (shm-t.h): copy <len> bytes (a NUL is added after them) and
 * fill <ref>: 0, or -1 when there is no area or no room left (logged
 * once). Any process may add; what is added never changes. */
int shm_put(const void *p, size_t len, struct shm_ref *ref);
/* The bytes of <ref> (NUL-terminated), NULL for none. */
const char *shm_get(struct shm_ref ref);
/* 1 when <ref> holds exactly the string <s>. */
int shm_eq(struct shm_ref ref, const char *s);
/* Argument vectors (NULL-terminated) in the arena, each word followed by
 * a NUL, so that words of any length and content come back as they went:
 * store one; compare one; get one back as a calloc'd array of pointers
 * into the arena (free() the array only), returning its word count or -1. */
int shm_argv_put(char *const *argv, struct shm_ref *ref);
int shm_argv_eq(struct shm_ref ref, char *const *argv);
int shm_argv_get(struct shm_ref ref, char ***argv);
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
/* The record of resolution <rs>/<name>/<kind> (src/dns); with <create>,
 * taken if missing (only by the current worker). NULL when absent or full. */
struct shm_dns *shm_dns_find(const char *rs, const char *name, int kind, int create);
/* Update (seqlock) / read a consistent copy (0, or -1). */
void shm_dns_write(struct shm_dns *d, int status, uint64_t last_valid_ms, uint64_t last_query_ms);
int  shm_dns_read(const struct shm_dns *d, struct shm_dns *out);
/* 1 when this process is the current worker (the one that publishes). */
int  shm_is_current(void);
/* Point the counters of every proxy and server of <cfg> into the shared
 * area (found by name, created when new), so a new worker continues the
 * numbers of the previous one. Counters that cannot be placed (table full)
 * stay private. Master, before forking. */
void shm_bind_counters(struct cfg *cfg);
/* The same for one server added at run time (worker). */
void shm_bind_server_counters(struct server *s);
/* Usable servers of backend <name> as last published, -1 if unknown. */
int shm_backend_usable(const char *name);
/* Worker: publish backend slot <i> (0..SHM_MAX_BE-1): its name and its
 * usable and total server counts. */
void shm_be_publish(int i, const char *name, int usable, int total);

#endif
