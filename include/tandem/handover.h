/* What a worker hands to its successor across a reload, through the
 * master/worker shared area: each server's health, admin state (drain,
 * maint) and runtime weight. (Counters live in the shared area itself.) */
#ifndef TANDEM_HANDOVER_H
#define TANDEM_HANDOVER_H
#include <tandem/proxy-t.h>

/* Publish every server's state (only the current worker does; thread 0,
 * periodically and when a reload starts). */
void handover_publish(struct cfg *cfg);
/* Publish the map and ACL files changed on the runtime API (only when a
 * reload starts: SIGURG, `reload`; each publication copies the files'
 * entries into the shared area, which never frees). */
void handover_publish_maps(struct cfg *cfg);
/* At start, after health checks are set up and before they run: take over
 * what the previous worker published. Servers that are new in the
 * configuration follow their init-state. Returns the number restored. */
int handover_import(struct cfg *cfg);
/* `del server`: remember that <be>/<srv> was removed at run time, so the
 * next worker does not bring it back. */
void handover_mark_deleted(const char *be, const char *srv);
/* `add server`: a server of that name exists again. */
void handover_forget_deleted(const char *be, const char *srv);

#endif
