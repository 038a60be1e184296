/* VRRP types: version 2 (RFC 3768, IPv4, optional PASS authentication)
 * and version 3 (RFC 5798, IPv4 and IPv6). Configuration of an instance
 * (a native `vrrp NAME` section or a keepalived.conf `vrrp_instance`),
 * tracked objects, sync groups, the pure state machine (src/vrrp/fsm.c),
 * parsed advertisements (src/vrrp/pkt.c) and the read-only snapshot other
 * subsystems display.
 *
 * Addresses are kept as an address family plus 16 bytes in network order:
 * IPv4 uses the first 4 bytes. Comparing two addresses of one family is
 * memcmp(), which is the numeric order both RFCs use to break priority
 * ties. */
#ifndef TANDEM_VRRP_T_H
#define TANDEM_VRRP_T_H
#include <stdint.h>
#include <tandem/list.h>

#define VRRP_PROTO        112          /* IANA protocol number */
#define VRRP_TYPE_ADVERT  1
#define VRRP_TTL          255          /* RFC 3768 7.1 / RFC 5798 7.1 */
#define VRRP_MCAST4       0xe0000012u  /* 224.0.0.18, host order */
#define VRRP_HDR_LEN      8            /* fixed part of an advertisement */
#define VRRP_AUTH_LEN     8            /* v2: Authentication Data after the addresses */
#define VRRP_MAX_VIPS     32
#define VRRP_MAX_PEERS    16
#define VRRP_MAX_TRACK    16
#define VRRP_MAX_INST     16           /* instances in one configuration */
#define VRRP_MAX_SCRIPTS  32           /* vrrp_script / vrrp-script definitions */
#define VRRP_MAX_GROUPS   8
#define VRRP_NAME_LEN     32
#define VRRP_IFNAME_LEN   16           /* IFNAMSIZ */
#define VRRP_MAX_ADVER_CS 4095         /* v3: 12-bit Max Adver Int field, centiseconds */
#define VRRP_MAX_ADVER_S2 255          /* v2: 8-bit Adver Int field, seconds */
#define VRRP_HIST         8            /* transitions remembered per instance */
#define VRRP_REASON_LEN   72

enum vrrp_state {
	VRRP_ST_INIT = 0,   /* RFC Initialize (also: not started yet, stopped) */
	VRRP_ST_BACKUP,
	VRRP_ST_MASTER,
	VRRP_ST_FAULT,      /* keepalived's: cannot serve (worker stale, a tracked object failed) */
};

enum vrrp_auth {
	VRRP_AUTH_NONE = 0, /* RFC 3768 Auth Type 0 */
	VRRP_AUTH_PASS = 1, /* RFC 2338 simple text password (keepalived's PASS) */
	VRRP_AUTH_AH   = 2, /* RFC 2338 IPsec AH: refused by the configuration */
};

/* ---- configuration (src/vrrp/conf.c, src/cfg/kw_vrrp.c, src/vrrp/kaconf.c) ---- */

struct vrrp_ip {
	int     af;                 /* AF_INET or AF_INET6; 0 = none */
	uint8_t a[16];              /* network order */
};

struct vrrp_vip {
	struct vrrp_ip ip;
	int     plen;               /* prefix length: default 32 (IPv4) / 128 (IPv6) */
	char    dev[VRRP_IFNAME_LEN]; /* "" = the instance's interface (or its VMAC) */
	char    label[VRRP_IFNAME_LEN]; /* IFA_LABEL, "" = none (IPv4 only) */
	int     scope;              /* RT_SCOPE_* (0 = global) */
	struct vrrp_ip brd;         /* IFA_BROADCAST, af 0 = none */
	int     excluded;           /* virtual_ipaddress_excluded: held, not advertised */
};

/* A program to run (notify or track script), split the way keepalived
 * splits a script string (conf.c: vrrp_cmd_split). */
struct vrrp_cmd {
	char  **argv;               /* NULL-terminated; NULL = not configured */
	int     uid, gid;           /* -1: the default script user */
};

/* Notifications, in the order they run for one transition. */
enum vrrp_notify_kind {
	VRRP_NOTIFY_MASTER = 0,     /* notify_master / notify-master: no extra argument */
	VRRP_NOTIFY_BACKUP,
	VRRP_NOTIFY_FAULT,
	VRRP_NOTIFY_STOP,
	VRRP_NOTIFY_GENERIC,        /* notify: + INSTANCE|GROUP NAME STATE PRIORITY */
	VRRP_NOTIFY_RX_LOWER,       /* notify_master_rx_lower_pri: a master heard a lower one */
	VRRP_NOTIFY_N
};

enum vrrp_track_kind {
	VRRP_TRK_BACKEND = 1,       /* track-backend: a tandem backend has no usable server */
	VRRP_TRK_SCRIPT,            /* vrrp_script / vrrp-script, by name */
	VRRP_TRK_IF,                /* track_interface: link down (not UP and RUNNING) */
	VRRP_TRK_FILE,              /* track_file: a number read from a file */
};

/* One tracked object of an instance or a sync group. Weight, as in
 * keepalived: 0 = FAULT while failed; < 0 = the priority is lowered by
 * -weight while failed; > 0 = raised by weight while OK. For a file the
 * number read is multiplied by the weight (0: a non-zero number is a
 * failure). */
struct vrrp_track {
	int     kind;               /* enum vrrp_track_kind */
	char   *name;               /* backend, script, interface or track_file name */
	int     weight;
	int     weight_set;         /* 0: the script's / file's own weight applies */
	const char *file; int line;
};

/* vrrp_script NAME { ... } / vrrp-script NAME */
struct vrrp_script_conf {
	struct list link;           /* in vrrp_set.scripts */
	char    name[VRRP_NAME_LEN];
	char   *cmdline;            /* as written, for messages */
	struct vrrp_cmd cmd;
	uint32_t interval_ms;       /* default 1 s */
	uint32_t timeout_ms;        /* default: the interval */
	int     weight;             /* -253..253, default 0 */
	int     rise, fall;         /* default 1 and 1 */
	int     init_fail;          /* initially failed (needs <rise> successes) */
	const char *file; int line;
};

/* track_file NAME { ... } / vrrp-track-file NAME */
struct vrrp_tfile_conf {
	struct list link;           /* in vrrp_set.tfiles */
	char    name[VRRP_NAME_LEN];
	char   *path;
	int     weight;             /* default 1 */
	int     init;               /* init_file: create the file (with init_value) at start */
	long    init_value;
	int     init_overwrite;     /* init_file ... overwrite: write even if it exists */
	const char *file; int line;
};

/* vrrp_sync_group NAME { ... } / vrrp-sync-group NAME */
struct vrrp_group_conf {
	struct list link;           /* in vrrp_set.groups */
	char    name[VRRP_NAME_LEN];
	char   *members[VRRP_MAX_INST]; int nmembers;
	struct vrrp_cmd notify[VRRP_NOTIFY_N];   /* MASTER..GENERIC (RX_LOWER unused) */
	struct vrrp_track tracks[VRRP_MAX_TRACK]; int ntracks;   /* weight 0 only */
	const char *file; int line;
};

/* Everything VRRP in a configuration besides the instances (cfg->vrrps):
 * named scripts, track files, sync groups, process-wide settings, and the
 * names of the keepalived.conf files read (configuration objects point to
 * them for file:line messages). */
struct vrrp_set {
	struct list scripts;        /* struct vrrp_script_conf */
	struct list tfiles;         /* struct vrrp_tfile_conf */
	struct list groups;         /* struct vrrp_group_conf */
	char    router_id[64];      /* router_id / vrrp-router-id, "" = the host name */
	int     script_security;    /* enable_script_security / vrrp-script-security */
	int     script_uid, script_gid; /* script_user / vrrp-script-user; -1 = tandem's own */
	char   *keepalived_path;    /* keepalived-config FILE, NULL when none */
	char  **files; int nfiles;  /* file names kept for messages */
};

enum vrrp_flavor { VRRP_NATIVE = 0, VRRP_KEEPALIVED };

struct vrrp_conf {
	struct list link;           /* in cfg->vrrps, file order */
	char    name[VRRP_NAME_LEN];
	int     flavor;             /* enum vrrp_flavor: where it was written */
	char    ifname[VRRP_IFNAME_LEN];
	int     vrid;               /* 1..255, required */
	int     version;            /* 2 or 3 */
	int     af;                 /* AF_INET / AF_INET6, from the addresses */
	int     priority;           /* 1..255; 255 = address owner */
	int     init_master;        /* `state MASTER`: shorter first Master_Down_Timer */
	unsigned adver_cs;          /* Advertisement_Interval, centiseconds */
	int     preempt;
	uint32_t preempt_delay_ms;  /* no preemption until this long after start-up */
	uint32_t startup_delay_ms;  /* the instance starts this long after tandem */
	int     auth_type;          /* enum vrrp_auth (v2 only) */
	uint8_t auth_pass[VRRP_AUTH_LEN]; /* zero padded */
	struct vrrp_vip vips[VRRP_MAX_VIPS]; int nvips;
	struct vrrp_ip peers[VRRP_MAX_PEERS]; int npeers; /* unicast when npeers > 0 */
	struct vrrp_ip src;         /* unicast_src_ip / mcast_src_ip; af 0 = the interface's */
	int     use_vmac;           /* send from / hold the addresses on a macvlan with the virtual MAC */
	char    vmac_name[VRRP_IFNAME_LEN]; /* "" = vrrp.VRID */
	int     dont_track_primary; /* the instance's own interface going down is not a fault */
	int     skip_check_adv_addr;/* skip the address list check of received adverts */
	int     higher_prio_send_advert; /* a MASTER outranked sends one advert before it yields */
	int     garp_repeat;        /* gratuitous ARPs / NAs per address on becoming MASTER */
	uint32_t garp_delay_ms;     /* a second burst this long after becoming MASTER; 0 = none */
	uint32_t garp_refresh_ms;   /* repeat them this often while MASTER; 0 = never */
	int     garp_refresh_repeat;
	int     garp_lower_repeat;  /* on hearing a lower-priority master (split brain) */
	uint32_t garp_lower_delay_ms;
	uint32_t garp_interval_ms;  /* pause between two messages of a burst; 0 = none */
	struct vrrp_track tracks[VRRP_MAX_TRACK]; int ntracks;
	struct vrrp_cmd notify[VRRP_NOTIFY_N];
	uint32_t notify_timeout_ms; /* a notify script running longer is killed */
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
	VRRP_EV_SYNC_MASTER,   /* sync group: every member wants MASTER: go now */
	VRRP_EV_SYNC_BACKUP,   /* sync group: a member was outranked: leave MASTER */
};

/* Actions the caller performs, in this order, after vrrp_fsm_step(). */
#define VRRP_ACT_SEND_ADVERT  0x01u  /* advertisement with fsm.priority */
#define VRRP_ACT_SEND_PRIO0   0x02u  /* advertisement with priority 0 (giving up) */
#define VRRP_ACT_ADD_VIPS     0x04u  /* add the virtual addresses, then gratuitous ARPs/NAs */
#define VRRP_ACT_DEL_VIPS     0x08u  /* remove the virtual addresses */
#define VRRP_ACT_STATE        0x10u  /* fsm.state changed (fsm.why says why): log, notify */
#define VRRP_ACT_GARP         0x20u  /* re-announce the addresses now (we won a split brain) */
#define VRRP_ACT_LOWER_RX     0x40u  /* MASTER heard another master with a lower rank */
#define VRRP_ACT_WANT_MASTER  0x80u  /* sync group: Master_Down_Timer fired but the group holds us */

/* Why the last state change happened (fsm.why). */
enum vrrp_why {
	VRRP_WHY_NONE = 0,
	VRRP_WHY_STARTUP,      /* -> BACKUP at Startup */
	VRRP_WHY_OWNER,        /* -> MASTER at Startup: priority 255 */
	VRRP_WHY_MASTER_DOWN,  /* -> MASTER: Master_Down_Timer fired */
	VRRP_WHY_PRIO0,        /* -> MASTER: the master left (priority 0), Skew_Time passed */
	VRRP_WHY_HIGHER_PRIO,  /* -> BACKUP: an advertisement with a higher priority */
	VRRP_WHY_HIGHER_ADDR,  /* -> BACKUP: the same priority from a higher address */
	VRRP_WHY_FAULT,
	VRRP_WHY_FAULT_CLEAR,  /* -> BACKUP when the fault cleared */
	VRRP_WHY_SHUTDOWN,
	VRRP_WHY_SYNC_MASTER,
	VRRP_WHY_SYNC_BACKUP,
};

/* An event's input. <src> and the advertisement fields matter for
 * VRRP_EV_ADVERT only. */
struct vrrp_input {
	enum vrrp_event ev;
	int      prio;              /* Priority field of the advertisement */
	unsigned adver_cs;          /* its interval, centiseconds (> 0) */
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
	int      init_master;       /* `state MASTER`: first Master_Down_Timer is one interval + skew */
	int      learn_interval;    /* v3: learn Master_Adver_Interval; v2: intervals must match */
	int      sync_hold;         /* set by the caller before a TIMER: the sync group is not ready */
	int      higher_prio_send_advert; /* MASTER outranked: advertise once more before yielding */
	struct vrrp_ip primary;     /* our primary address on the interface (tie breaks) */
	/* state */
	enum vrrp_state state;
	enum vrrp_why why;          /* reason of the last state change */
	unsigned master_adver_cs;   /* Master_Adver_Interval (learned in BACKUP) */
	uint64_t master_down_at;    /* Master_Down_Timer */
	uint64_t adver_at;          /* Adver_Timer */
	uint64_t preempt_at;        /* end of preempt-delay, 0 once elapsed or unused */
	int      prio0_seen;        /* the Master_Down_Timer is Skew_Time after a priority 0 */
	int      want_master;       /* sync group: our timer fired, waiting for the others */
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
	VRRP_DROP_VERSION,     /* unknown version, or not the instance's version */
	VRRP_DROP_TYPE,        /* not an advertisement */
	VRRP_DROP_CHECKSUM,
	VRRP_DROP_INTERVAL,    /* an interval of 0 */
	VRRP_DROP_VRID,        /* another virtual router (not an error: counted apart) */
	VRRP_DROP_ADDRLIST,    /* addresses differ from ours and the sender is not the owner */
	VRRP_DROP_OWNER,       /* we are the address owner (priority 255): RFC 5798 7.1 */
	VRRP_DROP_PEER,        /* unicast mode: sender is not a configured peer */
	VRRP_DROP_SELF,        /* our own advertisement looped back */
	VRRP_DROP_AUTH_TYPE,   /* v2: another authentication type than ours */
	VRRP_DROP_AUTH,        /* v2 PASS: wrong password */
	VRRP_DROP_ADVER_MISMATCH, /* v2: Adver Int differs from ours (RFC 3768 7.1) */
	VRRP_DROP_NREASONS
};

/* A parsed advertisement; <addrs> and <auth> point into the received buffer. */
struct vrrp_advert {
	struct vrrp_ip src, dst;
	int      ttl;
	int      version;           /* 2 or 3 */
	int      vrid, prio, naddr;
	unsigned adver_cs;          /* v2: Adver Int seconds * 100 */
	int      auth_type;         /* v2 */
	const uint8_t *auth;        /* v2: VRRP_AUTH_LEN bytes */
	const uint8_t *addrs;       /* naddr addresses of 4 (IPv4) or 16 bytes (IPv6) */
};

/* What to build (vrrp_pkt_build). */
struct vrrp_pkt_spec {
	int      version;           /* 2 or 3 */
	int      af;
	int      vrid, prio, naddr;
	unsigned adver_cs;          /* v2: must be a multiple of 100 (whole seconds) */
	const uint8_t *addrs;       /* naddr addresses of the family's size */
	int      auth_type;         /* v2 */
	const uint8_t *auth;        /* v2 PASS: VRRP_AUTH_LEN bytes */
	const uint8_t *src, *dst;   /* v3: for the pseudo-header checksum */
};

/* ---- snapshot (src/vrrp/vrrp.c): what `show vrrp`, /metrics and the
 * dashboard read. Lives in memory shared with the worker. ---- */
struct vrrp_hist {
	uint64_t wall_ms;           /* CLOCK_REALTIME ms of the change */
	uint8_t  from, to;          /* enum vrrp_state */
	char     reason[VRRP_REASON_LEN];
};

struct vrrp_snap {
	char     name[VRRP_NAME_LEN];
	char     ifname[VRRP_IFNAME_LEN];
	char     vmac[VRRP_IFNAME_LEN];   /* "" = none */
	char     group[VRRP_NAME_LEN];    /* sync group, "" = none */
	int      vrid, version, af, auth_type, unicast;
	enum vrrp_state state;
	int      priority;          /* configured */
	int      eff_priority;      /* after tracking */
	unsigned adver_cs;          /* ours */
	unsigned master_adver_cs;   /* Master_Adver_Interval */
	struct vrrp_ip master;      /* current master (ours when MASTER; af 0 unknown) */
	int      master_prio;
	int      nvips;
	int      fault_worker;      /* 1: FAULT because the worker stopped beating */
	int      fault_track;       /* 1: FAULT because of a tracked object / the sync group */
	char     fault_reason[VRRP_REASON_LEN];
	uint64_t since_ms;          /* CLOCK_MONOTONIC ms of the last state change */
	uint64_t transitions;
	uint64_t became_master;
	uint64_t split_brain;       /* episodes of another master heard while MASTER */
	uint64_t adverts_rx, adverts_tx, prio0_rx, prio0_tx;
	uint64_t notify_run, notify_failed;
	uint64_t dropped[VRRP_DROP_NREASONS]; /* per enum vrrp_drop; [0] unused */
	int      nhist;             /* entries used in hist[] (newest last) */
	struct vrrp_hist hist[VRRP_HIST];
};

/* A vrrp_script as `show vrrp` and the stats JSON show it. */
struct vrrp_script_snap {
	char     name[VRRP_NAME_LEN];
	int      state;             /* 0 unknown, 1 OK, 2 failed */
	uint64_t runs, failures, timeouts;
	int      last_status;       /* wait status, -1: could not start */
	uint64_t last_dur_us;
};

#endif
