/* Load balancing: choosing a server for a request. */
#ifndef TANDEM_LB_H
#define TANDEM_LB_H
#include <sys/socket.h>
#include <tandem/proxy-t.h>

/* May <s> take a new request now (health, admin state, weight, maxconn)? */
int srv_usable(const struct server *s);
/* Pick a server of <be> for a request on the calling thread. <avoid> is
 * skipped when another usable server exists (redispatch). Backup servers
 * are used only when no active one is usable. NULL when none is usable. */
struct server *lb_pick(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli);
/* Hash of a client address (source balancing), exposed for tests. */
unsigned lb_hash_addr(const struct sockaddr_storage *ss);
/* Is some server of <be> healthy and enabled but at its maxconn? (then a
 * request waits in the queue instead of failing) */
int lb_has_full(const struct proxy *be);
/* Smooth weighted round-robin over <n> candidates (nginx's algorithm):
 * pure function used by lb_pick and the unit tests. <cw> holds each
 * candidate's current weight and is updated. Returns the chosen index. */
int lb_swrr_step(const int *weight, int *cw, int n);

#endif
