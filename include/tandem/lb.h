/* Load balancing: choosing a server for a request. Whether a server is
 * usable or full is decided in srv_state.h, for every module alike. */
#ifndef TANDEM_LB_H
#define TANDEM_LB_H
#include <stdint.h>
#include <stddef.h>
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
/* The same with the request's hash key (`balance uri|url_param|hdr()|
 * rdp-cookie|hash`): <has_hash> 0 when the request has no key (round
 * robin then, as HAProxy). */
struct server *lb_pick_key(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli,
			   uint32_t hash, int has_hash);
/* The same, and when the request's key belongs to a server that is full
 * (hashing), that server in <keep> (the request waits in its own queue,
 * HAProxy's rule); NULL otherwise. */
struct server *lb_pick_keep(struct proxy *be, struct server *avoid, const struct sockaddr_storage *cli,
			    uint32_t hash, int has_hash, struct server **keep);
/* The hash of a request key with <be>'s `hash-type` function and modifier. */
uint32_t lb_hash_key(const struct proxy *be, const void *key, size_t len);
/* Consistent hashing (lb_chash.c): the server hash <h> goes to with no
 * request in progress (tests, measurements); release the rings. */
struct server *lb_chash_lookup(struct proxy *be, uint32_t h);
void lb_chash_free(struct proxy *be);
/* Is some usable server of <be> at its maxconn? (then a request waits in
 * the queue instead of failing) */
int lb_has_full(const struct proxy *be);
/* Hash of a client address (source balancing), exposed for tests. */
unsigned lb_hash_addr(const struct sockaddr_storage *ss);
/* Release the balancing state of <be> (no pick may run on it any more). */
void lb_free(struct proxy *be);

#endif
