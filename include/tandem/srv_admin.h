/* Administrative state of servers (maintenance, drain), kept apart from
 * their health: the admin socket, the stats page buttons and the config's
 * `disabled` all go through here; health checks never touch it. */
#ifndef TANDEM_SRV_ADMIN_H
#define TANDEM_SRV_ADMIN_H
#include <tandem/proxy-t.h>

enum srv_admin_mode { SRV_ADMIN_READY = 0, SRV_ADMIN_DRAIN, SRV_ADMIN_MAINT };

/* Put <s> in <mode> (ready clears both flags). Logs HAProxy's lines on a
 * change. <who> names the origin for the log ("stats socket", "stats page").
 * Returns 1 if the state changed, 0 if it already was so. Thread-safe. */
int srv_set_admin_mode(struct server *s, enum srv_admin_mode mode, const char *who);
/* Current mode of <s>. */
enum srv_admin_mode srv_admin_mode(const struct server *s);

#endif
