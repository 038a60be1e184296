/* Server health: one state per server, fed by active checks (src/check/)
 * and by passive observation of live traffic (stream.c calls srv_observe).
 * Every state change goes through this module, which logs HAProxy's
 * phrases ("Server app/a is DOWN, reason: ...") and keeps the counters.
 * doc/health-checks.md describes keywords, defaults and log lines. */
#ifndef TANDEM_CHECK_H
#define TANDEM_CHECK_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/check-t.h>
#include <tandem/proxy-t.h>

/* Report one observation about <s> (thread-safe, cheap on success). */
void srv_observe(struct server *s, enum obs_event ev);

/* Start health checks for every server with `check`, spread over the
 * worker threads (called once per thread from the worker, after loop
 * setup, with that thread's id). */
void checks_start_thread(struct cfg *cfg, int tid, int nbthread);
/* Stop this thread's checks (soft/hard stop). */
void checks_stop_thread(int tid);

/* ---- the pure health state machine (src/check/health.c) ----------------
 * No clock, no lock, no I/O: everything comes in as arguments, so the unit
 * tests drive it with simulated time. */

/* Settings of <s> as the state machine sees them (defaults applied). */
void hs_conf_from_server(struct hs_conf *c, const struct server *s);
/* Initial state per init-state (or always UP without `check`). */
void hs_init(struct hs *h, const struct hs_conf *c, uint64_t now_ms);
/* Apply one event at time <now_ms>. <may_eject> is asked before a passive
 * event takes the server out (NULL = always allowed). Fills <out>. */
void hs_step(struct hs *h, const struct hs_conf *c, const struct hs_event *ev, uint64_t now_ms,
	     hs_may_eject_fn may_eject, void *arg, struct hs_out *out);
/* Delay before the next active check (HAProxy's srv_getinter). */
uint32_t hs_next_inter(const struct hs *h, const struct hs_conf *c);
/* Effective weight at <now_ms> (slowstart ramp), for a server that is UP. */
int hs_weight(const struct hs *h, const struct hs_conf *c, uint64_t now_ms);
/* Is the server's health between DOWN and fully UP? (for "UP 1/3" forms) */
int hs_transitional(const struct hs *h, const struct hs_conf *c);

/* Passive health as a circuit breaker (CB_*, src/check/observe.c): open
 * while live traffic keeps the server out, half-open while it is back on
 * probation, closed otherwise; CB_NONE without passive health. */
int hs_breaker(const struct hs *h, const struct hs_conf *c);

/* ---- names ---- */
const char *hchk_status_info(int status);   /* "L4OK" */
/* "closed", "open", "half-open" for CB_*; NULL for CB_NONE. */
const char *cb_state_str(int cb);
const char *hchk_status_desc(int status);   /* "Layer4 check passed" */
/* "L4 unsuccessful connection" ... for an observation (HAProxy's analyze statuses). */
const char *obs_event_desc(int ev);

/* ---- run time, for stats and the admin socket ---- */

/* The circuit-breaker state of <s> now (CB_*; any thread). */
int srv_breaker(const struct server *s);
/* Fill <out> for <s>; returns 0, or -1 when <s> has no health state. */
int srv_check_snapshot(const struct server *s, struct chk_snap *out);
/* Backend downtime in seconds (HAProxy's "downtime" of a BACKEND row). */
uint64_t be_downtime_s(const struct proxy *px);
/* Reload: continue from a previous worker's health for <s> (before its
 * checks run). Returns 0, or -1 when <s> has no active checks. */
int srv_health_restore(struct server *s, int state, int health, uint64_t chkfail,
		       uint64_t chkdown, uint64_t downtime_ms);
/* Release a server's run-time health (its checks must be stopped). */
void srv_health_free(struct srv_health *h);

/* ---- the admin socket (src/admin/cli*.c, thread 0) ---- */

/* Force the health of <s> to SRV_ST_RUNNING, SRV_ST_STOPPING or
 * SRV_ST_STOPPED as if checks had just decided so (`set server health`);
 * later checks change it again as usual. Logs the transition with <why>
 * ("changed from CLI"). Returns 0, or -1 when <s> has no health state
 * (no `check`, no max-fails): the caller then sets server.state itself. */
int srv_health_force(struct server *s, int state, const char *why);
/* Set the user weight the health module scales (slowstart) and publish
 * the effective weight. 0, or -1 without health state. */
int srv_health_set_uweight(struct server *s, int w);
/* `disable health` (1) / `enable health` (0): while paused no check starts
 * and a running check's result is dropped; the state stays as it is.
 * Returns 0, or -1 when <s> has no active checks. */
int srv_health_pause(struct server *s, int paused);
/* 1 when the active checks of <s> are paused, 0 when they run, -1 none. */
int srv_health_paused(const struct server *s);
/* The address of <s> changed: its checks connect to the new one from the
 * next check on (unless `addr` gave them their own). */
void srv_health_addr_changed(struct server *s);
/* DNS gave <s> an address where an instance nobody checked may answer:
 * with <reset>, its health starts again as at start (init-state: DOWN
 * until one check passes, by default); either way its next check runs at
 * once (within the checks' 100 ms tick) rather than after `inter`. Any
 * thread; nothing is logged (the caller logs why). */
void srv_health_renew(struct server *s, int reset);
/* Health state for a server added at run time, owned by the calling
 * thread (the admin socket's). With <paused>, active checks wait for
 * `enable health` (HAProxy's rule for dynamic servers). Returns 0 (also
 * when there is nothing to watch), or -1 (out of memory, checks not
 * running in this process). */
int srv_health_attach(struct server *s, int paused);
/* A server removed at run time: its checks stop for good (its owner
 * thread notices at its next timer); nothing is freed. */
void srv_health_detach(struct server *s);

/* Protocol checks' own judgements (src/check/check_proto.c), set as the
 * custom expectations of their built-in rules by the configuration. */
int chk_mysql_iniths(struct srv_health *h, const struct chk_tcp_rule *t, int last);
int chk_mysql_ok(struct srv_health *h, const struct chk_tcp_rule *t, int last);
int chk_ldap_bindrsp(struct srv_health *h, const struct chk_tcp_rule *t, int last);

/* Does a check rule of <s>'s backend open a TLS connection (`tcp-check
 * connect ssl`, `http-check connect ssl`)? Its TLS context is then needed
 * even without `ssl` or `check-ssl` (src/ssl/ssl_srv.c). */
struct server;
int chk_srv_tls_rules(const struct server *s);

/* The backend's check rules, or NULL (plain connect checks). */
static inline const struct chk_px *chk_px_of(const struct proxy *px)
{
	return px->defsrv.chk_px;
}

#endif
