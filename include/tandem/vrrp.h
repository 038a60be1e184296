/* VRRP version 2 (RFC 3768) and 3 (RFC 5798, IPv4 and IPv6): lets tandem
 * nodes share virtual addresses with each other or with keepalived. The
 * protocol runs in the master process (a thread of its own, see
 * src/vrrp/vrrp.c), never in the worker, so replacing a worker never
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

#define VRRP_NA_LEN 72   /* IPv6 header + Neighbor Advertisement + target link-layer option */

/* Internet checksum (RFC 1071) of <len> bytes read as big-endian 16-bit
 * words, continuing the partial sum <sum>: the folded, complemented value
 * (store it big-endian). Over data that carries a correct checksum, 0. */
uint16_t vrrp_csum(const void *data, size_t len, uint32_t sum);
/* Partial sums of the pseudo-headers (v3 checksum, RFC 5798 5.2.8) for a
 * message of <len> bytes from <src> to <dst>; <next> is the IPv6 next
 * header (112, or 58 for ICMPv6). */
uint32_t vrrp_pseudo4(const uint8_t src[4], const uint8_t dst[4], size_t len);
uint32_t vrrp_pseudo6(const uint8_t src[16], const uint8_t dst[16], size_t len, int next);
/* Length of an advertisement of <version> with <naddr> addresses of <af>. */
size_t vrrp_pkt_len(int version, int af, int naddr);
/* Build the VRRP part of an advertisement (what follows the IP header)
 * into <out>, checksum included. Returns its length, or 0 if it does not
 * fit in <cap> or a field is out of range (v2: IPv4 only, whole seconds). */
size_t vrrp_pkt_build(uint8_t *out, size_t cap, const struct vrrp_pkt_spec *s);
/* The same for version 3 over IPv4 (<addrs>: naddr 4-byte addresses). */
size_t vrrp_pkt_build4(uint8_t *out, size_t cap, int vrid, int prio, unsigned adver_cs,
		       const uint8_t *addrs, int naddr, const uint8_t src[4], const uint8_t dst[4]);
/* Parse and validate a received IPv4 datagram, IP header included (as a raw
 * socket delivers it): IP header, TTL 255, version 2 or 3, type
 * advertisement, lengths against the address count, checksum (with the
 * pseudo-header for v3), a non-zero interval. Returns VRRP_OK with <out>
 * filled, or the VRRP_DROP_* reason. VRID, version wanted, authentication
 * and address list are the caller's to check. */
int vrrp_pkt_parse4(const uint8_t *pkt, size_t len, struct vrrp_advert *out);
/* The same for the VRRP part of an IPv6 packet (raw IPv6 sockets strip the
 * header): <src>, <dst> and <hoplimit> come from the socket. Version 3 only. */
int vrrp_pkt_parse6(const uint8_t *v, size_t len, const uint8_t src[16], const uint8_t dst[16],
		    int hoplimit, struct vrrp_advert *out);
/* The 28-byte ARP payload of a gratuitous ARP request announcing <ip> at
 * <mac> (sender and target address both <ip>, target hardware zero,
 * as RFC 5227 announcements; sent to the broadcast address). */
void vrrp_garp_build(uint8_t out[28], const uint8_t mac[6], const uint8_t ip[4]);
/* An unsolicited Neighbor Advertisement for <ip> at <mac>, IPv6 header
 * included (to ff02::1, hop limit 255, Override, Router when <router>). */
void vrrp_na_build(uint8_t out[VRRP_NA_LEN], const uint8_t mac[6], const uint8_t ip[16], int router);
/* Name of a drop reason ("checksum", "ttl", ...). */
const char *vrrp_drop_str(int reason);

/* ---- configuration objects (conf.c): pure, shared by the native section
 * (src/cfg/kw_vrrp.c) and the keepalived.conf reader (kaconf.c) ---- */

/* An instance with tandem's defaults (native) or keepalived's. */
struct vrrp_conf *vrrp_conf_new(const char *name, int flavor);
void vrrp_conf_free(struct vrrp_conf *c);
void vrrp_set_init(struct vrrp_set *s);
/* Free everything in <s> (not <s> itself). */
void vrrp_set_release(struct vrrp_set *s);
struct vrrp_script_conf *vrrp_script_find(const struct vrrp_set *s, const char *name);
struct vrrp_tfile_conf *vrrp_tfile_find(const struct vrrp_set *s, const char *name);
struct vrrp_group_conf *vrrp_group_find(const struct vrrp_set *s, const char *name);
/* Keep a copy of <name> in <s> for the life of the configuration; NULL on OOM. */
const char *vrrp_set_file(struct vrrp_set *s, const char *name);
void vrrp_cmd_free(struct vrrp_cmd *c);
void vrrp_track_free(struct vrrp_track *t);
/* Split a script string as keepalived does: words separated by blanks,
 * 'single' and "double" quotes group words (quotes removed), a backslash
 * escapes (\a \b \E \f \n \r \t \v, \NNN octal, \xHH, \cC, \C itself).
 * Returns a NULL-terminated malloc'd argv, or NULL with <why> set. */
char **vrrp_cmd_split(const char *s, const char **why);
/* Parse "ADDR[/LEN]" into <ip>/<plen> (default 32 / 128). 0 or -1. */
int vrrp_parse_prefix(const char *s, struct vrrp_ip *ip, int *plen);
/* "host", "link", "site", "global", "nowhere" or a number: RT_SCOPE_*; -1. */
int vrrp_parse_scope(const char *s);
/* Check one instance on its own (what both languages share): address
 * families, version, authentication, owner and weights, VMAC. Reports each
 * problem through <err> (file and line of the instance) and returns the
 * number of problems. */
typedef void (*vrrp_report_fn)(void *ctx, const char *file, int line, const char *msg);
int vrrp_conf_check(const struct vrrp_conf *c, vrrp_report_fn err, void *ctx);
/* The script security check of keepalived's enable_script_security: is
 * <path> (and every directory above it) writable by someone other than
 * root? 1: unsafe (with <why>), 0: safe, -1: cannot be checked (<why>). */
int vrrp_script_unsafe(const char *path, char *why, size_t whylen);
/* USER [GROUP] -> uid, gid (the user's group without GROUP). 0 or -1 (<why>). */
int vrrp_user_lookup(const char *user, const char *group, int *uid, int *gid, char *why, size_t whylen);
/* Resolve argv[0] of <c> through $PATH if it has no '/'. 0 or -1 (not found). */
int vrrp_cmd_resolve(struct vrrp_cmd *c);

/* ---- keepalived.conf (kaconf.c) ---- */

/* How the reader reports, and where it puts what it reads. */
struct kac_out {
	struct list *insts;         /* struct vrrp_conf appended (cfg->vrrps) */
	struct vrrp_set *set;
	vrrp_report_fn err, warn;
	void   *ctx;
	int     no_include;         /* fuzzing: `include` is an error */
	const char *config_id;      /* for @ID lines; NULL: the host name's first label */
};
/* Read keepalived.conf <path> (and what it includes). Returns the number
 * of errors reported (0: everything it read was understood). */
int kac_load(const char *path, struct kac_out *out);
/* The same from memory (<name> is used in messages). */
int kac_load_mem(const char *name, const char *data, size_t len, struct kac_out *out);

/* ---- configuration helpers (src/cfg/kw_vrrp.c) ---- */

/* 1 if <ss> (any port) is one of the virtual addresses of <cfg>'s vrrp
 * sections: its listeners need IP_FREEBIND. */
int vrrp_addr_is_vip(const struct cfg *cfg, const struct sockaddr_storage *ss);

/* ---- runtime, master process (vrrp.c) ---- */

/* Start every VRRP instance of <cfg>: take over its VRRP configuration
 * (cfg->vrrps and cfg->vrrp are emptied: the running instances own them,
 * a reload never changes them), map the shared snapshot, resolve
 * interfaces, create VMACs, remove addresses a crashed previous run left
 * behind, open sockets, start the guard and the script runner processes
 * and the VRRP thread (all signals blocked in it). Call in the master
 * before forking the worker and after daemonizing. Returns 0 (also when
 * there is no instance) or -1 (logged). */
int vrrp_start(struct cfg *cfg);
/* A reload loaded <ncfg>: the running instances go on unchanged (the
 * addresses never move on a reload); warns when its VRRP configuration
 * differs. */
void vrrp_reload(const struct cfg *ncfg);
/* Leave: every MASTER instance sends a priority-0 advertisement and
 * removes its addresses, the STOP notifications run (bounded), then the
 * thread ends and the helper processes are stopped. Blocks until done.
 * Idempotent; safe when vrrp_start() was never called. */
void vrrp_stop(void);
/* Copy up to <max> instance snapshots into <out>; returns the number of
 * instances (may exceed <max>), 0 when VRRP is not running. Consistent per
 * instance; callable from any thread of the master or of the worker. */
int vrrp_snapshot(struct vrrp_snap *out, int max);
/* Copy up to <max> script states into <out>; returns how many exist. */
int vrrp_scripts_snapshot(struct vrrp_script_snap *out, int max);
/* The router_id shown with the instances ("" when VRRP is not running). */
const char *vrrp_router_id(void);

#endif
