/* Administrative changes to servers, kept apart from their health: the
 * admin socket, the stats page buttons and the config's `disabled` all go
 * through here; health checks never touch the admin state.
 *
 * Threads: the writers below run on one thread at a time (the admin
 * socket's thread 0, or a stats page request); every worker thread reads
 * the same servers lock-free (lb.c, stream.c). doc/architecture.md
 * ("Dynamic servers") explains how servers are added and removed while
 * other threads walk the lists. */
#ifndef TANDEM_SRV_ADMIN_H
#define TANDEM_SRV_ADMIN_H
#include <sys/socket.h>
#include <tandem/proxy-t.h>
#include <tandem/srv_admin-t.h>

/* Put <s> in <mode> (ready clears both flags). Logs HAProxy's lines on a
 * change. <who> names the origin for the log ("stats socket", "stats page").
 * Returns 1 if the state changed, 0 if it already was so. Thread-safe.
 * This is the operator's maintenance (SRV_ADMF_FMAINT): it leaves the
 * maintenance by resolution (SRV_ADMF_RMAINT) alone, and the other way
 * round, as HAProxy keeps FMAINT and RMAINT apart. */
int srv_set_admin_mode(struct server *s, enum srv_admin_mode mode, const char *who);
/* The operator's mode of <s> (maintenance by resolution is not one). */
enum srv_admin_mode srv_admin_mode(const struct server *s);

/* ---- maintenance by resolution (src/dns/) ---------------------------------
 * A server DNS gives no address is in maintenance with <cause> (HAProxy's
 * words: "DNS NX status", "No IP for server"...), logged as HAProxy does;
 * leaving it logs "... ('<name>') is UP/READY (resolves again)". Both
 * return 1 when the flag changed. Like srv_set_admin_mode, srv_addr_set and
 * srv_set_uweight, they are where DNS changes a server: anything that keeps
 * its own view of the servers (a load-balancing schedule) is told here. */
int srv_set_rmaint(struct server *s, const char *cause);
int srv_clr_rmaint(struct server *s, const char *name);

/* ---- weights -------------------------------------------------------------
 * Three weights, HAProxy's: the initial one (server.cfg_weight, from the
 * configuration, never changed at run time), the user weight
 * (server.uweight: what `set weight` last set, which the health module
 * scales during slowstart) and the effective one (server.eweight, what
 * lb.c reads). */

/* Parse HAProxy's `set weight` argument: "N" (0..256) or "N%" of
 * <iweight>, the initial weight (the result capped at 256). Returns NULL
 * with *w set, or the error line to answer. Pure. */
const char *srv_weight_parse(const char *arg, int iweight, int *w);
/* The user weight of <s> now. */
int srv_uweight_get(const struct server *s);
/* Set the user weight of <s> to <w> (0..256, already parsed). A backend
 * with a static algorithm (static-rr) only accepts 0 and the initial
 * weight, as in HAProxy. Returns NULL, or the error line to answer. */
const char *srv_set_uweight(struct server *s, int w);

/* ---- address -------------------------------------------------------------
 * server.addr changes at run time (`set server addr`) while other threads
 * connect to it. A sequence lock keeps readers from seeing half of an
 * address: writers are serialized by the caller (admin socket thread);
 * readers retry while a write is in progress, which is a few stores. */

/* Copy the address of <s> (consistent even during a change). */
void srv_addr_get(const struct server *s, struct sockaddr_storage *ss, socklen_t *len);
/* Replace the address (and port) of <s>; new connections and health
 * checks use it, established ones are left alone, idle pooled ones are
 * closed (server.addr_gen). len 0: no address. */
void srv_addr_set(struct server *s, const struct sockaddr_storage *ss, socklen_t len);

/* ---- servers added and removed at run time --------------------------------
 * Servers are never freed while the worker runs: a removed server is
 * unlinked from its backend so new walks skip it, but a thread standing on
 * it (or a stream pointing to it) still reads valid memory and its next
 * link still leads back into the list. */

/* Append <s> (fully initialized: thr[] allocated, health attached) to its
 * backend's list; other threads see it whole or not at all. */
void srv_publish(struct server *s);
/* Unlink <s> from its backend (memory kept, see above). */
void srv_unpublish(struct server *s);
/* Requests in flight on <s> plus idle connections kept for it (a
 * snapshot; every thread's pool is counted). */
int srv_conns_left(const struct server *s);

#endif
