/* Private to src/backend: one pick function per algorithm. Each returns a
 * usable server of the given class (active or backup), never <avoid>
 * (setting *skipped when it was the only reason to skip), or NULL. */
#ifndef TANDEM_LB_INT_H
#define TANDEM_LB_INT_H
#include <sys/socket.h>
#include <tandem/proxy-t.h>

int lb_candidate(const struct server *s, int backup, const struct server *avoid, int *skipped);
/* Sum of the effective weights of the candidates (0: none). */
long long lb_total_weight(struct proxy *be, int backup, const struct server *avoid, int *skipped);
/* The candidate owning weight unit <slot> (0 <= slot < total weight), in
 * configuration order: the weighted map both source and random use. */
struct server *lb_weighted_slot(struct proxy *be, int backup, const struct server *avoid,
				int *skipped, long long slot);
struct server *lb_rr_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);
struct server *lb_lc_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);
struct server *lb_source_pick(struct proxy *be, int backup, struct server *avoid,
			      const struct sockaddr_storage *cli, int *skipped);
struct server *lb_first_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);
struct server *lb_random_pick(struct proxy *be, int backup, struct server *avoid, int *skipped);

#endif
