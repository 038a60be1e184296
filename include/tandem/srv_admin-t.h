/* Types of administrative server changes (srv_admin.h). */
#ifndef TANDEM_SRV_ADMIN_T_H
#define TANDEM_SRV_ADMIN_T_H

/* What `set server <b>/<s> state` and the stats page set. */
enum srv_admin_mode { SRV_ADMIN_READY = 0, SRV_ADMIN_DRAIN, SRV_ADMIN_MAINT };

#endif
