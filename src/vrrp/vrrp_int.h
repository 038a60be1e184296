/* Internals shared by the files of src/vrrp/: the system side (net.c) and
 * the crash guard (guard.c). Every function reports failure as -1 with
 * errno set unless said otherwise; none of them logs. */
#ifndef TANDEM_VRRP_INT_H
#define TANDEM_VRRP_INT_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/vrrp.h>

/* ---- interfaces (net.c) ---- */

/* Index and hardware address of <ifname>. 0 or -1. */
int vrrp_if_get(const char *ifname, int *ifindex, uint8_t mac[6]);
/* First IPv4 address of <ifname> that is none of <c>'s virtual addresses
 * (the primary address VRRP sends from). 0 or -1 (ENOENT: none). */
int vrrp_if_primary4(const char *ifname, const struct vrrp_conf *c, uint8_t out[4]);

/* ---- the VRRP socket (net.c) ---- */

/* Raw IPv4 socket for protocol 112 bound to <ifname>: TTL 255 (unicast and
 * multicast), no multicast loop, multicast out of <ifindex>, and member of
 * 224.0.0.18 on it when <join> is set. Non-blocking, close-on-exec. */
int vrrp_sock_open4(const char *ifname, int ifindex, int join);
/* Send the VRRP message <buf> from <src> to <dst> out of <ifindex>
 * (IP_PKTINFO picks the source). 0 or -1. */
int vrrp_send4(int fd, int ifindex, const uint8_t src[4], const uint8_t dst[4],
	       const uint8_t *buf, size_t len);

/* ---- addresses over rtnetlink (net.c) ---- */

/* NETLINK_ROUTE socket with a 1 s receive timeout, close-on-exec. */
int vrrp_nl_open(void);
/* Build an RTM_NEWADDR (<add>) or RTM_DELADDR request for <ip>/<plen> on
 * <ifindex> into <buf>, asking for an acknowledgement. A delete names only
 * IFA_LOCAL, so it matches the address whatever its prefix length (a
 * crashed run may have used another one). Returns the length, 0 if <cap>
 * is too small. */
size_t vrrp_nl_build_addr(uint8_t *buf, size_t cap, int add, int ifindex,
			  const struct vrrp_ip *ip, int plen, uint32_t seq);
/* Send a request built above and wait for its acknowledgement. Returns 0,
 * or the negative errno the kernel (or the socket) reported. */
int vrrp_nl_request(int nl, const uint8_t *msg, size_t len);

/* ---- gratuitous ARP (net.c) ---- */

/* AF_PACKET datagram socket that receives nothing. */
int vrrp_garp_open(void);
/* Broadcast one gratuitous ARP request for <ip> from <mac> on <ifindex>
 * (payload from vrrp_garp_build()). */
int vrrp_garp_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip[4]);

/* ---- crash guard (guard.c) ---- */

/* What the guard does when the master dies without vrrp_stop(): for each
 * instance whose shared snapshot still says MASTER, send its prepared
 * priority-0 advertisements; then delete every virtual address. */
struct vrrp_guard_inst {
	const struct vrrp_snap *snap;   /* in the shared mapping */
	int     ifindex;
	char    ifname[VRRP_IFNAME_LEN];
	uint8_t src[4];
	int     ndst;
	uint8_t dst[VRRP_MAX_PEERS][4];
	uint8_t prio0[VRRP_MAX_PEERS][VRRP_HDR_LEN + 4 * VRRP_MAX_VIPS];
	size_t  prio0_len[VRRP_MAX_PEERS];
	int     ndel;
	uint8_t del[VRRP_MAX_VIPS][64];
	size_t  del_len[VRRP_MAX_VIPS];
};

/* Fork the guard for <n> instances; it waits for its parent's death
 * (PR_SET_PDEATHSIG). Returns its pid, or -1. */
int vrrp_guard_start(const struct vrrp_guard_inst *g, int n);
/* The same guard for another subsystem (BGP announcements, src/bgp/):
 * fork a process named <name> that runs act(arg) once when the master
 * dies, from its copy of the master's memory. Returns its pid, or -1. */
int vrrp_guard_spawn(const char *name, void (*act)(const void *arg), const void *arg);

#endif
