/* Server run-time helpers: per-thread idle connection pools. */
#ifndef TANDEM_SERVER_H
#define TANDEM_SERVER_H
#include <tandem/conn-t.h>
#include <tandem/proxy-t.h>

/* Allocate per-thread parts of every server of <cfg>. Returns 0 or -1. */
int srv_init_threads(struct cfg *cfg, int nbthread);
/* Take an idle connection to <s> from this thread's pool, or NULL. */
struct conn *srv_take_idle(struct server *s);
/* Park <c> (no owner, nothing pending) in this thread's pool of its server.
 * Returns 0, or -1 when the pool is full (the caller closes it). */
int srv_put_idle(struct conn *c, unsigned max_idle);
/* Close idle connections older than <age_ms> (or all when age_ms is 0). */
void srv_purge_idle(struct cfg *cfg, uint64_t age_ms);

/* Told when a server goes DOWN or into maintenance (srv_note_gone(), from
 * the setters of srv_state.h): the worker's hook moves the requests waiting
 * on it to other servers. */
extern void (*srv_gone_cb)(struct server *s);

#endif
