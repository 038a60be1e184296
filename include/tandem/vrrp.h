/* VRRP version 3 (RFC 5798) for IPv4: lets two tandem nodes share virtual
 * addresses. The protocol runs in the master process (a thread of its own,
 * see src/vrrp/vrrp.c), never in the worker, so replacing a worker never
 * moves the addresses. doc/vrrp.md describes configuration and behaviour. */
#ifndef TANDEM_VRRP_H
#define TANDEM_VRRP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/vrrp-t.h>

struct cfg;

/* ---- state machine (fsm.c): pure, no I/O, no clock ---- */

/* Put <f> in Initialize; keeps the configuration fields. */
void vrrp_fsm_init(struct vrrp_fsm *f);
/* Feed one event at time <now> (ms). Updates <f> and returns the
 * VRRP_ACT_* actions the caller must perform. */
unsigned vrrp_fsm_step(struct vrrp_fsm *f, const struct vrrp_input *in, uint64_t now);
/* Earliest armed timer of <f>, 0 when none. Call vrrp_fsm_step with
 * VRRP_EV_TIMER once the clock reaches it. */
uint64_t vrrp_fsm_next(const struct vrrp_fsm *f);
/* RFC 5798 6.1 timers for <f>'s current priority and Master_Adver_Interval, in ms. */
uint64_t vrrp_skew_ms(const struct vrrp_fsm *f);
uint64_t vrrp_master_down_ms(const struct vrrp_fsm *f);
/* "INIT", "BACKUP", "MASTER", "FAULT". */
const char *vrrp_state_str(enum vrrp_state s);

/* ---- packets (pkt.c): pure ---- */

/* Internet checksum (RFC 1071) of <len> bytes read as big-endian 16-bit
 * words, continuing the partial sum <sum>: the folded, complemented value
 * (store it big-endian). Over data that carries a correct checksum, 0. */
uint16_t vrrp_csum(const void *data, size_t len, uint32_t sum);
/* Partial sum of the IPv4 pseudo-header (RFC 5798 5.2.8: the one TCP and
 * UDP use) for a VRRP message of <len> bytes from <src> to <dst>. */
uint32_t vrrp_pseudo4(const uint8_t src[4], const uint8_t dst[4], size_t len);
/* Build the VRRP part of an IPv4 advertisement (what follows the IP header)
 * into <out>, checksum included. <addrs> holds naddr 4-byte addresses.
 * Returns its length, or 0 if it does not fit in <cap> or a field is out
 * of range. */
size_t vrrp_pkt_build4(uint8_t *out, size_t cap, int vrid, int prio, unsigned adver_cs,
		       const uint8_t *addrs, int naddr, const uint8_t src[4], const uint8_t dst[4]);
/* Parse and validate a received IPv4 datagram, IP header included (as a raw
 * socket delivers it): IP header, TTL 255, version 3, type advertisement,
 * lengths against the address count, checksum with the pseudo-header, a
 * non-zero interval. Returns VRRP_OK with <out> filled, or the
 * VRRP_DROP_* reason. VRID and address list are the caller's to check. */
int vrrp_pkt_parse4(const uint8_t *pkt, size_t len, struct vrrp_advert *out);
/* The 28-byte ARP payload of a gratuitous ARP request announcing <ip> at
 * <mac> (sender and target address both <ip>, target hardware zero,
 * as RFC 5227 announcements; sent to the broadcast address). */
void vrrp_garp_build(uint8_t out[28], const uint8_t mac[6], const uint8_t ip[4]);
/* Name of a drop reason ("checksum", "ttl", ...). */
const char *vrrp_drop_str(int reason);

/* ---- configuration helpers (src/cfg/kw_vrrp.c) ---- */

/* 1 if <ss> (any port) is one of the virtual addresses of <cfg>'s vrrp
 * sections: its listeners need IP_FREEBIND. */
int vrrp_addr_is_vip(const struct cfg *cfg, const struct sockaddr_storage *ss);

/* ---- runtime, master process (vrrp.c) ---- */

/* Start every `vrrp` instance of <cfg>: map the shared snapshot, resolve
 * interfaces, remove addresses a crashed previous run left behind, open
 * sockets, start the guard process and the VRRP thread (all signals
 * blocked in it). Call in the master before forking the worker and after
 * daemonizing. The instances keep their own copy of the configuration.
 * Returns 0 (also when there is no vrrp section) or -1 (logged). */
int vrrp_start(struct cfg *cfg);
/* A reload loaded <ncfg>: the running instances go on unchanged (the
 * addresses never move on a reload); warns when its vrrp sections differ. */
void vrrp_reload(const struct cfg *ncfg);
/* Leave: every MASTER instance sends a priority-0 advertisement and
 * removes its addresses, then the thread ends and the guard is stopped.
 * Blocks until done (bounded by netlink timeouts). Idempotent; safe when
 * vrrp_start() was never called. */
void vrrp_stop(void);
/* Copy up to <max> instance snapshots into <out>; returns the number of
 * instances (may exceed <max>), 0 when VRRP is not running. Consistent per
 * instance; callable from any thread of the master or of the worker. */
int vrrp_snapshot(struct vrrp_snap *out, int max);

#endif
