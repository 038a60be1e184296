/* History in the master's shared area (types: shm_hist-t.h): per-second
 * rings of every frontend, backend and server, and the recent state
 * changes. The rings are written by the worker's sampler
 * (src/admin/hist.c); state changes by whoever sees them happen, in any
 * process and on any thread, through shm_state_change(). */
#ifndef TANDEM_SHM_HIST_H
#define TANDEM_SHM_HIST_H
#include <stddef.h>
#include <tandem/counters-t.h>
#include <tandem/shm_hist-t.h>

/* The area (NULL until shm_create). */
extern struct shm_hist *tdm_hist;

/* Map the area (called by shm_create, master, before forking). 0 or -1. */
int shm_hist_create(void);

/* Bytes the history of one row takes, and the state changes in all. */
#define HIST_RING_BYTES   sizeof(struct hist_ring)
#define HIST_EVENTS_BYTES (sizeof(struct shm_event) * HIST_EVENTS)

/* The ring of the row whose counters are <c> (counters bound in the shared
 * area by shm_bind_counters), or NULL when they are private (table full,
 * no shared area): such a row has no history. */
struct hist_ring *shm_hist_ring(const struct counters *c);

/* Seqlock of a ring: the writer brackets its update; a reader copies what
 * it needs between shm_hist_read_begin() and a zero shm_hist_read_retry(). */
void shm_hist_write_begin(struct hist_ring *r);
void shm_hist_write_end(struct hist_ring *r);
uint32_t shm_hist_read_begin(const struct hist_ring *r);
int shm_hist_read_retry(const struct hist_ring *r, uint32_t seq);

/* Record a state change (any process, any thread, never blocks; strings
 * longer than their field are cut). Its time is now. Without a shared
 * area (unit tests, `-c`) it is dropped. Example, from VRRP:
 *   shm_state_change(&(struct state_change){ .kind = SC_VRRP, .object = "VI_1",
 *       .from = "BACKUP", .to = "MASTER", .reason = "master down timer expired" });
 */
void shm_state_change(const struct state_change *sc);

/* Copy the recorded state changes whose id is at least <from_id>, oldest
 * first, into <out> (at most <max>; the newest are kept when more are
 * left). Returns how many were copied. A change being written is skipped. */
int shm_state_changes(struct shm_event *out, int max, uint64_t from_id);

/* Words of enum sc_kind ("health", "admin", "vrrp", "dns", "cert",
 * "process") and of enum hist_state ("UP", "no check", "" for none). */
const char *sc_kind_str(int kind);
const char *hist_state_str(int st);

#endif
