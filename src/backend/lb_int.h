/* Private to src/backend: one pick function per algorithm. Each returns a
 * usable server of the given class (active or backup), never <avoid>
 * (setting *skipped when it was the only reason to skip), or NULL. */
#ifndef TANDEM_LB_INT_H
#define TANDEM_LB_INT_H
#include <sys/socket.h>
#include <tandem/proxy-t.h>

int lb_candidate(const struct server *s, int backup, const struct server *avoid, int *skipped);
struct server *lb_rr_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);
struct server *lb_lc_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);
struct server *lb_source_pick(struct proxy *be, int backup, struct server *avoid,
			      const struct sockaddr_storage *cli, int *skipped);
struct server *lb_first_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);
struct server *lb_random_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);

#endif
