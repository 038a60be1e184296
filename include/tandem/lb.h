/* Load balancing: choosing a server for a request. Whether a server is
 * usable or full is decided in srv_state.h, for every module alike. */
#ifndef TANDEM_LB_H
#define TANDEM_LB_H
#include <sys/socket.h>
#include <tandem/lb-t.h>
#include <tandem/proxy-t.h>

/* Pick a server of <be> for a request (any thread, no lock). <avoid> is
 * skipped when another server can take the request (redispatch). Backup
 * servers are used only when no active one is usable; an active server
 * at its maxconn is busy, not gone, so its requests wait in the queue
 * rather than go to a backup (HAProxy's rule). NULL when no server can
 * take the request now: see lb_has_full() for whether to wait. */
struct server *lb_pick(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli);
/* Is some usable server of <be> at its maxconn? (then a request waits in
 * the queue instead of failing) */
int lb_has_full(const struct proxy *be);
/* Hash of a client address (source balancing), exposed for tests. */
unsigned lb_hash_addr(const struct sockaddr_storage *ss);
/* Release the balancing state of <be> (no pick may run on it any more). */
void lb_free(struct proxy *be);

#endif
