/* Internals shared by the files of src/vrrp/: the system side (net.c),
 * the crash guard (guard.c), the script runner process (runner.c) and
 * tracked objects (track.c). Every function reports failure as -1 with
 * errno set unless said otherwise; none of them logs unless said so. */
#ifndef TANDEM_VRRP_INT_H
#define TANDEM_VRRP_INT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <tandem/vrrp.h>

struct cfg;

/* ---- interfaces (net.c) ---- */

/* Index and hardware address of <ifname>. 0 or -1. */
int vrrp_if_get(const char *ifname, int *ifindex, uint8_t mac[6]);
/* 1 if <ifname> is UP and RUNNING (has carrier), 0 if not, -1 if it does
 * not exist. */
int vrrp_if_up(const char *ifname);
/* First address of <af> on <ifname> that is none of <c>'s virtual
 * addresses: for IPv4 any, for IPv6 the link-local one (RFC 5798 5.1.2.2).
 * 0 or -1 (ENOENT: none). */
int vrrp_if_primary(const char *ifname, int af, const struct vrrp_conf *c, uint8_t out[16]);
/* Read / write an integer under /proc/sys/ (e.g. "net/ipv4/conf/eth0/arp_ignore").
 * Returns the value (>= 0) or -1; write: 0 or -1. */
int vrrp_sysctl_get(const char *name);
int vrrp_sysctl_set(const char *name, int value);

/* ---- the VRRP sockets (net.c) ---- */

/* Raw socket of <af> for protocol 112 bound to <ifname>: TTL / hop limit
 * 255, no multicast loop, multicast out of <ifindex>, member of the VRRP
 * group (224.0.0.18 / ff02::12) on it when <join>; IPv6 also asks for the
 * hop limit and destination of received packets. Non-blocking,
 * close-on-exec. */
int vrrp_sock_open(int af, const char *ifname, int ifindex, int join);
/* Send the VRRP message <buf> from <src> to <dst> out of <ifindex>
 * (IP_PKTINFO / IPV6_PKTINFO pick the source). 0 or -1. */
int vrrp_send(int af, int fd, int ifindex, const uint8_t *src, const uint8_t *dst,
	      const uint8_t *buf, size_t len);
/* Receive one IPv6 VRRP message: its length, and <src>, <dst>, <hoplimit>
 * from the socket (-1: nothing, errno). */
ssize_t vrrp_recv6(int fd, uint8_t *buf, size_t cap, uint8_t src[16], uint8_t dst[16], int *hoplimit);

/* ---- addresses and links over rtnetlink (net.c) ---- */

/* NETLINK_ROUTE socket with a 1 s receive timeout, close-on-exec. */
int vrrp_nl_open(void);
/* Build an RTM_NEWADDR (<add>) or RTM_DELADDR request for <ip>/<plen> on
 * <ifindex> into <buf>, asking for an acknowledgement. A delete names only
 * IFA_LOCAL, so it matches the address whatever its prefix length (a
 * crashed run may have used another one). Returns the length, 0 if <cap>
 * is too small. */
size_t vrrp_nl_build_addr(uint8_t *buf, size_t cap, int add, int ifindex,
			  const struct vrrp_ip *ip, int plen, uint32_t seq);
/* The same for a virtual address with its label, scope and broadcast
 * address; IPv6 addresses are added without duplicate address detection. */
size_t vrrp_nl_build_vip(uint8_t *buf, size_t cap, int add, int ifindex, const struct vrrp_vip *v, uint32_t seq);
/* RTM_NEWLINK creating macvlan <name> (private mode) on <base> with <mac>,
 * up; RTM_DELLINK of <ifindex>. Length or 0. */
size_t vrrp_nl_build_macvlan(uint8_t *buf, size_t cap, const char *name, int base, const uint8_t mac[6],
			     uint32_t seq);
size_t vrrp_nl_build_dellink(uint8_t *buf, size_t cap, int ifindex, uint32_t seq);
/* Send a request built above and wait for its acknowledgement. Returns 0,
 * or the negative errno the kernel (or the socket) reported. */
int vrrp_nl_request(int nl, const uint8_t *msg, size_t len);

/* ---- gratuitous ARP and unsolicited NA (net.c) ---- */

/* AF_PACKET datagram socket that receives nothing. */
int vrrp_garp_open(void);
/* Broadcast one gratuitous ARP request for <ip> from <mac> on <ifindex>
 * (payload from vrrp_garp_build()). */
int vrrp_garp_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip[4]);
/* Send one unsolicited Neighbor Advertisement for <ip> (vrrp_na_build())
 * to 33:33:00:00:00:01 on <ifindex>. */
int vrrp_na_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip[16], int router);

/* ---- crash guard (guard.c) ---- */

/* What the guard does when the master dies without vrrp_stop(): for each
 * instance whose shared snapshot still says MASTER, send its prepared
 * priority-0 advertisements; then delete every virtual address. */
#define VRRP_PKT_MAX (VRRP_HDR_LEN + 16 * VRRP_MAX_VIPS + VRRP_AUTH_LEN)
struct vrrp_guard_inst {
	const struct vrrp_snap *snap;   /* in the shared mapping */
	int     af;
	int     ifindex;                /* the interface advertisements leave by */
	char    ifname[VRRP_IFNAME_LEN];
	uint8_t src[16];
	int     ndst;
	uint8_t dst[VRRP_MAX_PEERS][16];
	uint8_t prio0[VRRP_MAX_PEERS][VRRP_PKT_MAX];
	size_t  prio0_len[VRRP_MAX_PEERS];
	int     ndel;
	uint8_t del[VRRP_MAX_VIPS][96];
	size_t  del_len[VRRP_MAX_VIPS];
};

/* Fork the guard for <n> instances; it waits for its parent's death
 * (PR_SET_PDEATHSIG). Returns its pid, or -1. */
int vrrp_guard_start(const struct vrrp_guard_inst *g, int n);
/* The same guard for another subsystem (BGP announcements, src/bgp/):
 * fork a process named <name> that runs act(arg) once when the master
 * dies, from its copy of the master's memory. Returns its pid, or -1. */
int vrrp_guard_spawn(const char *name, void (*act)(const void *arg), const void *arg);

/* ---- script runner process (runner.c) ----
 * Scripts (track scripts, notifications) are started by a small child of
 * the master, never by the VRRP thread: a fork of the multi-threaded
 * master would be unsafe, and the master's SIGCHLD loop reaps every child
 * it has. The runner starts each program in a process group of its own,
 * kills the group when the program overruns its timeout (SIGTERM, then
 * SIGKILL one second later), and reports how it ended. Requests and
 * results are datagrams on a SOCK_SEQPACKET pair. */

#define VRRP_RUN_ARGS 2048   /* bytes of NUL-separated arguments in a request */

struct vrrp_run_req {
	uint32_t id;
	uint32_t timeout_ms;
	int32_t  uid, gid;      /* -1: keep the runner's (root) */
	uint16_t argc;
	uint16_t len;           /* bytes used in args[] */
	char     args[VRRP_RUN_ARGS];
};

struct vrrp_run_res {
	uint32_t id;
	int32_t  status;        /* wait status; -1: it could not be started (err) */
	int32_t  err;           /* errno of a failed start */
	uint32_t timed_out;     /* 1: killed because it overran its timeout */
	uint64_t dur_us;
};

/* Fork the runner. Returns the master's end of the socket pair
 * (non-blocking, close-on-exec) and sets <pid>, or -1. */
int vrrp_runner_start(pid_t *pid);
/* Fill <r> for <argv> (NULL-terminated) and extra arguments <extra>
 * (NULL-terminated, may be NULL). 0, or -1 if they do not fit. */
int vrrp_run_req_fill(struct vrrp_run_req *r, uint32_t id, char *const argv[], const char *const extra[],
		      int uid, int gid, uint32_t timeout_ms);

/* ---- tracked objects (track.c) ---- */

enum { VTS_UNKNOWN = 0, VTS_OK, VTS_FAIL };

/* A vrrp_script at run time (one per definition, shared by its users). */
struct vscript {
	struct vrrp_script_conf *c;
	int      used;          /* tracked by an instance or a group: run it */
	int      state;         /* VTS_* */
	int      nok, nfail;    /* consecutive successes / failures */
	int      running;
	uint32_t job;
	uint64_t next_at;       /* ms: next run */
	uint64_t runs, failures, timeouts;
	int      last_status;   /* wait status of the last run, -1 when it did not start */
	uint64_t last_dur_us;
};

/* A track_file at run time. */
struct vtfile {
	struct vrrp_tfile_conf *c;
	long     value;
	int      read_once;
	int      missing_logged;
	struct timespec mtime;
	off_t    size;
	ino_t    ino;
};

/* The result of evaluating tracked objects (instance or group). */
struct veval {
	int      fault;                 /* a weight-0 object failed */
	int      unknown;               /* an object has no state yet */
	int      delta;                 /* priority change from weighted objects */
	char     reason[VRRP_REASON_LEN]; /* the first failure */
};

/* Evaluate <n> tracked objects at <now> into <e> (added to what it holds).
 * <starting>: the instance has not started; a backend with no usable
 * server yet is then unknown (its servers start DOWN until checked). */
void vtrack_eval(const struct vrrp_track *t, int n, int starting, struct veval *e);
/* Register the scripts and track files of <set> (run time copies). */
int vtrack_init(struct vrrp_set *set);
void vtrack_release(void);
/* Mark the script named <name> used. */
void vtrack_use_script(const char *name);
/* How long after start-up an instance tracking <t> waits at most for
 * their first state (scripts' first run, backends' first checks), ms. */
uint64_t vtrack_grace_ms(const struct vrrp_track *t, int n, const struct cfg *cfg);
/* Start the scripts that are due at <now> through <send> (the runner);
 * returns the earliest next time something is due (0: nothing). Logs. */
uint64_t vtrack_run_due(uint64_t now, int (*send)(const struct vrrp_run_req *));
/* A result for script job <id>; 1 if it was a script's (state may have
 * changed: logged), 0 if not. */
int vtrack_result(const struct vrrp_run_res *r, uint64_t now);
/* Re-read changed track files (logs changes). */
void vtrack_poll_files(void);
/* Scripts for the snapshot: how many, and the state of script <i>. */
int vtrack_nscripts(void);
void vtrack_script_snap(int i, struct vrrp_script_snap *out);

#endif
