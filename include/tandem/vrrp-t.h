/* VRRP version 3 (RFC 5798) types: configuration of a `vrrp NAME` section,
 * the pure state machine (src/vrrp/fsm.c), parsed advertisements
 * (src/vrrp/pkt.c) and the read-only snapshot other subsystems display.
 *
 * Addresses are kept as an address family plus 16 bytes in network order
 * so that IPv6 (a follow-up) fits without changing these types: IPv4 uses
 * the first 4 bytes. Comparing two addresses of one family is memcmp(),
 * which is the numeric order RFC 5798 uses to break priority ties. */
#ifndef TANDEM_VRRP_T_H
#define TANDEM_VRRP_T_H
#include <stdint.h>
#include <tandem/list.h>

#define VRRP_PROTO        112          /* IANA protocol number */
#define VRRP_VERSION      3
#define VRRP_TYPE_ADVERT  1
#define VRRP_TTL          255          /* RFC 5798 5.1.1.3 / 7.1 */
#define VRRP_MCAST4       0xe0000012u  /* 224.0.0.18, host order */
#define VRRP_HDR_LEN      8            /* fixed part of an advertisement */
#define VRRP_MAX_VIPS     32
#define VRRP_MAX_PEERS    16
#define VRRP_MAX_TRACK    16
#define VRRP_MAX_INST     16           /* instances in one configuration */
#define VRRP_NAME_LEN     32
#define VRRP_IFNAME_LEN   16           /* IFNAMSIZ */
#define VRRP_MAX_ADVER_CS 4095         /* 12-bit Max Adver Int field */

enum vrrp_state {
	VRRP_ST_INIT = 0,   /* RFC 5798 Initialize */
	VRRP_ST_BACKUP,
	VRRP_ST_MASTER,
	VRRP_ST_FAULT,      /* keepalived's: cannot serve (worker stale, tracked backend empty) */
};

/* ---- configuration (src/cfg/kw_vrrp.c) ---- */

struct vrrp_ip {
	int     af;                 /* AF_INET; AF_INET6 later */
	uint8_t a[16];              /* network order */
};

struct vrrp_vip {
	struct vrrp_ip ip;
	int     plen;               /* prefix length, default 32 */
	char    dev[VRRP_IFNAME_LEN]; /* "" = the instance's interface */
};

struct vrrp_track {
	char   *backend;            /* backend name (checked after parsing) */
	int     weight;             /* 0: FAULT when it has no usable server; N > 0: priority - N */
	int     line;
};

struct vrrp_conf {
	struct list link;           /* in cfg->vrrps, file order */
	char    name[VRRP_NAME_LEN];
	char    ifname[VRRP_IFNAME_LEN];
	int     vrid;               /* 1..255, required */
	int     priority;           /* 1..255, default 100; 255 = address owner */
	unsigned adver_cs;          /* Advertisement_Interval, centiseconds, default 100 */
	int     preempt;            /* default 1 */
	uint32_t preempt_delay_ms;  /* no preemption until this long after start-up */
	struct vrrp_vip vips[VRRP_MAX_VIPS]; int nvips;
	struct vrrp_ip peers[VRRP_MAX_PEERS]; int npeers; /* unicast when npeers > 0 */
	int     garp_repeat;        /* gratuitous ARPs per address on becoming MASTER, default 5 */
	uint32_t garp_refresh_ms;   /* repeat them this often while MASTER; 0 = never (default) */
	struct vrrp_track tracks[VRRP_MAX_TRACK]; int ntracks;
	char   *notify;             /* script run on each state change, or NULL */
	const char *file; int line;
};

/* ---- the pure state machine (src/vrrp/fsm.c) ---- */

enum vrrp_event {
	VRRP_EV_STARTUP = 0,   /* RFC 5798 6.4.1 Startup */
	VRRP_EV_SHUTDOWN,      /* 6.4.2/6.4.3 Shutdown: leave for Initialize */
	VRRP_EV_TIMER,         /* time passed: fire expired Master_Down/Adver timers */
	VRRP_EV_ADVERT,        /* a valid advertisement for our VRID was received */
	VRRP_EV_FAULT,         /* cannot serve: go to FAULT (priority-0 advert if MASTER) */
	VRRP_EV_FAULT_CLEAR,   /* can serve again: like Startup */
	VRRP_EV_PRIORITY,      /* fsm.priority was changed by the caller (tracking) */
};

/* Actions the caller performs, in this order, after vrrp_fsm_step(). */
#define VRRP_ACT_SEND_ADVERT  0x01u  /* advertisement with fsm.priority */
#define VRRP_ACT_SEND_PRIO0   0x02u  /* advertisement with priority 0 (giving up) */
#define VRRP_ACT_ADD_VIPS     0x04u  /* add the virtual addresses, then gratuitous ARPs */
#define VRRP_ACT_DEL_VIPS     0x08u  /* remove the virtual addresses */
#define VRRP_ACT_STATE        0x10u  /* fsm.state changed: log, notify */

/* An event's input. <src> and the advertisement fields matter for
 * VRRP_EV_ADVERT only. */
struct vrrp_input {
	enum vrrp_event ev;
	int      prio;              /* Priority field of the advertisement */
	unsigned adver_cs;          /* its Max Adver Int, centiseconds (> 0) */
	struct vrrp_ip src;         /* its sender (the IP source address) */
};

/* One virtual router's protocol state. The caller sets the configuration
 * part; vrrp_fsm_init() and vrrp_fsm_step() own the rest. Times are
 * absolute milliseconds on the caller's clock; 0 = timer not armed. */
struct vrrp_fsm {
	/* configuration */
	int      priority;          /* current (effective) priority, 1..255 */
	unsigned adver_cs;          /* Advertisement_Interval */
	int      preempt;           /* Preempt_Mode */
	uint32_t preempt_delay_ms;
	struct vrrp_ip primary;     /* our primary address on the interface (tie breaks) */
	/* state */
	enum vrrp_state state;
	unsigned master_adver_cs;   /* Master_Adver_Interval (learned in BACKUP) */
	uint64_t master_down_at;    /* Master_Down_Timer */
	uint64_t adver_at;          /* Adver_Timer */
	uint64_t preempt_at;        /* end of preempt-delay, 0 once elapsed or unused */
	struct vrrp_ip master;      /* current master as far as we know (af 0: unknown) */
	int      master_prio;       /* its priority */
};

/* ---- packets (src/vrrp/pkt.c) ---- */

/* Why a received packet was dropped (counted per reason). */
enum vrrp_drop {
	VRRP_OK = 0,
	VRRP_DROP_TRUNCATED,   /* shorter than an IP header + VRRP header */
	VRRP_DROP_IPHDR,       /* not IPv4, bad header length, not protocol 112, fragment */
	VRRP_DROP_LENGTH,      /* IP total length, VRRP length and address count disagree */
	VRRP_DROP_TTL,         /* TTL/hop limit not 255 */
	VRRP_DROP_VERSION,     /* not VRRP version 3 */
	VRRP_DROP_TYPE,        /* not an advertisement */
	VRRP_DROP_CHECKSUM,
	VRRP_DROP_INTERVAL,    /* Max Adver Int of 0 */
	VRRP_DROP_VRID,        /* another virtual router (not an error: counted apart) */
	VRRP_DROP_ADDRLIST,    /* addresses differ from ours and the sender is not the owner */
	VRRP_DROP_OWNER,       /* we are the address owner (priority 255): RFC 5798 7.1 */
	VRRP_DROP_PEER,        /* unicast mode: sender is not a configured peer */
	VRRP_DROP_SELF,        /* our own advertisement looped back */
	VRRP_DROP_NREASONS
};

/* A parsed advertisement; <addrs> points into the received buffer. */
struct vrrp_advert {
	struct vrrp_ip src, dst;
	int      ttl;
	int      vrid, prio, naddr;
	unsigned adver_cs;
	const uint8_t *addrs;       /* naddr addresses of 4 (IPv4) or 16 bytes */
};

/* ---- snapshot (src/vrrp/vrrp.c): what `show vrrp`, /metrics and the
 * dashboard read. Lives in memory shared with the worker. ---- */
struct vrrp_snap {
	char     name[VRRP_NAME_LEN];
	char     ifname[VRRP_IFNAME_LEN];
	int      vrid;
	enum vrrp_state state;
	int      priority;          /* configured */
	int      eff_priority;      /* after track-backend weights */
	unsigned adver_cs;          /* ours */
	unsigned master_adver_cs;   /* Master_Adver_Interval */
	struct vrrp_ip master;      /* current master (ours when MASTER; af 0 unknown) */
	int      master_prio;
	int      nvips;
	int      fault_worker;      /* 1: FAULT because the worker stopped beating */
	int      fault_track;       /* 1: FAULT because a tracked backend has no usable server */
	uint64_t since_ms;          /* CLOCK_MONOTONIC ms of the last state change */
	uint64_t transitions;
	uint64_t became_master;
	uint64_t adverts_rx, adverts_tx, prio0_rx, prio0_tx;
	uint64_t dropped[VRRP_DROP_NREASONS]; /* per enum vrrp_drop; [0] unused */
};

#endif
