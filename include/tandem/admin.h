#ifndef TANDEM_ADMIN_H
#define TANDEM_ADMIN_H

/* Register the admin module's services (stats page, Prometheus exporter)
 * and the runtime API served by the worker's thread 0 (src/admin/admin.c). */
void admin_register(void);

#endif
