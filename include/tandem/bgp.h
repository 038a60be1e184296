/* BGP anycast through a local BIRD 2: each `anycast` section's service
 * addresses are announced while this node can serve and withdrawn when it
 * cannot, by enabling and disabling BIRD `static` protocols over BIRD's
 * control socket. Runs in the master process (a thread of its own, like
 * VRRP), so a worker restart or a reload never withdraws anything.
 * doc/scale-out.md describes configuration and behaviour. */
#ifndef TANDEM_BGP_H
#define TANDEM_BGP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/bgp-t.h>

struct cfg;

/* ---- BIRD's control socket protocol (birdc.c): pure ---- */

void birdc_init(struct birdc_parser *p);
/* Read bytes of <buf> until one line is complete. Returns 1 with <out>
 * filled (*used: bytes consumed, the line's '\n' included), 0 when every
 * byte was consumed without completing a line (*used == len), or -1 when
 * the bytes are not BIRD's protocol (p->err says why; the parser stays in
 * error until birdc_init). */
int birdc_parse(struct birdc_parser *p, const char *buf, size_t len, size_t *used, struct birdc_line *out);
/* 1 if <s> can name a BIRD protocol in tandem's commands: 1..63 letters,
 * digits and '_', starting with a letter or '_' (no pattern characters). */
int birdc_proto_name_ok(const char *s);
/* The text of command <cmd> for <proto>, '\n' included, into <out>.
 * Returns its length, or 0 when it does not fit or the name is not valid. */
size_t birdc_cmd_build(char *out, size_t cap, int cmd, const char *proto);
/* Start reading the reply to <cmd> (<proto> for enable/disable). */
void birdc_reply_init(struct birdc_reply *r, int cmd, const char *proto);
/* Account one reply line (not BIRDC_ASYNC). Returns 1 once the reply is
 * complete (r->res set), else 0. */
int birdc_reply_line(struct birdc_reply *r, const struct birdc_line *l);
/* "enabled", "already enabled", "no such protocol"... */
const char *birdc_res_str(int res);

/* ---- the decision (decide.c): pure ---- */

/* What the signals say. <stale_ms>: age of the oldest worker heartbeat
 * (-1: no worker published yet); <wstart_ms>: when the current worker
 * published itself; <usable>[i]: usable servers of tracked backend i as
 * last published (-1 unknown: not counted against). <started>: the worker
 * has served once (all its threads beat within BGP_STALE_MS), kept by the
 * caller. Returns 1 (announce) or 0, *why (enum bgp_why)
 * and, for BGP_WHY_BACKEND, *track = the index of the first empty backend. */
#define BGP_STALE_MS 1000      /* a worker thread silent this long cannot serve */
int bgp_decide(int started, long long stale_ms, uint64_t wstart_ms, uint64_t now_ms,
	       const int *usable, int ntrack, int *why, int *track);
/* "starting", "ready", "worker stopped serving", ... */
const char *bgp_why_str(int why);
/* "down", "connecting", "up". */
const char *bgp_bird_str(int bird);
/* The section's state as one word: "announced", "withdrawn", "announcing",
 * "withdrawing" (BIRD has not confirmed yet), "unknown" (BIRD unreachable). */
const char *bgp_state_str(const struct bgp_snap *s);

/* ---- configuration helpers (src/cfg/kw_bgp.c) ---- */

/* 1 if <ss> (any port) is an address of <cfg>'s anycast sections: its
 * listeners get IP_FREEBIND. */
int bgp_addr_is_service(const struct cfg *cfg, const struct sockaddr_storage *ss);

/* ---- runtime, master process (bgp.c) ---- */

/* Before daemonizing, after the listeners are open: connect to each
 * section's BIRD (an unreachable socket is an error naming its path),
 * disable its protocols (a protocol BIRD does not have is an error), put
 * the addresses on their interfaces. Blocking, bounded by 2 s per socket.
 * Returns 0 (also without anycast sections) or -1 (logged). */
int bgp_prepare(struct cfg *cfg);
/* After daemonizing: start the thread (all signals blocked in it) and the
 * guard process. 0 or -1 (logged). */
int bgp_start(void);
/* Stop announcing: <soft> (SIGUSR1) or not (SIGTERM). Returns the time in
 * ms the master should keep serving before draining: the largest
 * withdraw-delay of the sections that were announced, 0 for a hard stop
 * or when nothing was announced. Returns at once; the thread withdraws. */
uint32_t bgp_withdraw(int soft);
/* A reload loaded <ncfg>: nothing is withdrawn; warns when its anycast
 * sections differ (they take effect at the next restart). */
void bgp_reload(const struct cfg *ncfg);
/* Leave: withdraw (bounded wait for BIRD's answers), remove the addresses,
 * stop the thread and the guard. Idempotent; safe when never started. */
void bgp_stop(void);
/* Copy up to <max> section snapshots; returns the number of sections (may
 * exceed <max>), 0 when none. Callable from the master or the worker. */
int bgp_snapshot(struct bgp_snap *out, int max);

#endif
