#ifndef TANDEM_STATS_SVC_H
#define TANDEM_STATS_SVC_H

/* Register the "stats" and "prometheus-exporter" services (src/admin/stats_svc.c). */
void stats_services_register(void);

#endif
