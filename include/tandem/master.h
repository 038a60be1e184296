/* The master process: owns the configuration, the listening sockets and the
 * workers; reloads by starting a new worker on the same sockets. */
#ifndef TANDEM_MASTER_H
#define TANDEM_MASTER_H
#include <tandem/proxy-t.h>

/* Open every listening socket of <cfg>, reusing the ones of <old> (may be
 * NULL) bound to the same address: a reload never closes and re-binds a
 * socket, so no queued connection is dropped. Returns 0, or -1 (nothing
 * of <old> changed, every socket opened here closed again). */
int master_open_listeners(struct cfg *cfg, struct cfg *old);
void master_close_listeners(struct cfg *cfg);
/* Run the master until it stops; returns the exit code. <*cfgp> may be
 * replaced by reloads (the caller frees the final one). */
int master_run(struct cfg **cfgp);
/* Ask the running master for a reload (used by the admin socket later):
 * same as SIGUSR2. */
void master_request_reload(void);

/* notify.c: systemd's notify protocol (no-op without $NOTIFY_SOCKET).
 * <state> is e.g. "READY=1", "RELOADING=1", "STOPPING=1". */
void sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
