/* Types of the `anycast` sections: service addresses announced over BGP
 * by a local BIRD 2 while this node can serve, withdrawn when it cannot
 * (src/bgp/, doc/scale-out.md). tandem speaks no BGP itself: it enables
 * and disables one BIRD `static` protocol per address over BIRD's control
 * socket, the text protocol birdc speaks. */
#ifndef TANDEM_BGP_T_H
#define TANDEM_BGP_T_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/list.h>

#define BGP_NAME_LEN      32      /* section name */
#define BGP_PROTO_LEN     64      /* BIRD protocol name */
#define BGP_SOCK_LEN      108     /* sizeof(sun_path) */
#define BGP_IFNAME_LEN    16      /* IFNAMSIZ */
#define BGP_MAX_ADDR      16      /* addresses per section */
#define BGP_MAX_TRACK     16
#define BGP_MAX_SECT      16      /* sections in one configuration */
#define BGP_DEF_SOCKET    "/run/bird/bird.ctl"   /* Debian's bird2 */
#define BGP_DEF_DEV       "lo"
#define BGP_DEF_WITHDRAW_DELAY_MS 2000

/* ---- configuration (src/cfg/kw_bgp.c) ---- */

struct bgp_addr {
	int     af;                       /* AF_INET or AF_INET6 */
	uint8_t a[16];                    /* network order */
	char    proto[BGP_PROTO_LEN];     /* the BIRD static protocol holding its route */
	char    dev[BGP_IFNAME_LEN];      /* interface tandem puts it on, default "lo" */
	int     line;
};

struct bgp_track {
	char   *backend;                  /* announce only while it has a usable server */
	int     line;
};

struct bgp_conf {
	struct list link;                 /* in cfg->anycasts, file order */
	char    name[BGP_NAME_LEN];
	char    socket[BGP_SOCK_LEN];     /* BIRD's control socket, default BGP_DEF_SOCKET */
	struct bgp_addr addrs[BGP_MAX_ADDR]; int naddrs;
	struct bgp_track tracks[BGP_MAX_TRACK]; int ntracks;
	uint32_t withdraw_delay_ms;       /* soft stop: withdraw, serve on this long, then drain */
	const char *file; int line;
};

/* ---- BIRD's control socket protocol (src/bgp/birdc.c) ----
 * Every line ends with '\n' and is one of:
 *   "NNNN-text"  a line of a reply that goes on (NNNN: four digits),
 *   " text"      a continuation: same code as the line before, reply goes on,
 *   "NNNN text"  the last line of a reply: the command is answered,
 *   "+text"      a spontaneous line (BIRD's log, after the `echo` command).
 * Codes: 0xxx done, 1xxx table entry, 2xxx table heading, 8xxx run-time
 * error, 9xxx parse error. On connecting BIRD greets with "0001 BIRD ... ready." */

#define BIRDC_TEXT_MAX 240        /* text kept per line; the rest of a longer line is skipped */

enum birdc_kind {
	BIRDC_PART = 1,           /* "NNNN-text" or " text" */
	BIRDC_LAST,               /* "NNNN text" */
	BIRDC_ASYNC,              /* "+text" */
};

struct birdc_line {
	int     kind;             /* enum birdc_kind */
	int     code;             /* 0..9999; a continuation carries the code of the line before */
	int     cut;              /* the line was longer than BIRDC_TEXT_MAX */
	size_t  len;
	char    text[BIRDC_TEXT_MAX + 1];  /* NUL-terminated, without the prefix and the '\n' */
};

/* Resumable: bytes may come in any pieces. */
struct birdc_parser {
	int     st;               /* position in the current line (birdc.c) */
	int     code, ndig;
	int     in_reply;         /* a reply has begun and not ended: continuations allowed */
	int     prev_code;
	struct birdc_line cur;
	const char *err;          /* why the stream was refused (-1 from birdc_parse) */
};

/* The commands tandem sends. */
enum birdc_cmd {
	BIRDC_HELLO = 0,          /* nothing sent: the greeting */
	BIRDC_ENABLE,             /* enable "PROTO" */
	BIRDC_DISABLE,            /* disable "PROTO" */
	BIRDC_ECHO,               /* echo { info }: BIRD's log lines come as "+" lines */
};

/* What a reply meant. */
enum birdc_res {
	BIRDC_R_PENDING = 0,      /* not complete yet */
	BIRDC_R_OK,               /* greeting / echo accepted */
	BIRDC_R_CHANGED,          /* 0011 enabled / 0009 disabled */
	BIRDC_R_ALREADY,          /* 0010 already enabled / 0008 already disabled */
	BIRDC_R_NOMATCH,          /* 8003 No protocols match */
	BIRDC_R_DENIED,           /* 8007 Access denied (restricted socket) */
	BIRDC_R_ERROR,            /* another error, or a reply that does not fit the command */
};

struct birdc_reply {
	int     cmd;              /* enum birdc_cmd */
	char    proto[BGP_PROTO_LEN];
	int     res;              /* enum birdc_res */
	int     code;             /* code of the deciding line */
	int     seen;             /* our protocol's status line was seen */
	char    msg[BIRDC_TEXT_MAX + 16]; /* "NNNN text" of the deciding line, for logs */
};

/* ---- snapshot (src/bgp/bgp.c): what `show anycast`, /metrics and the
 * dashboard read. Lives in memory shared with the worker. ---- */

enum bgp_bird {
	BGP_BIRD_DOWN = 0,        /* not connected: waiting to retry */
	BGP_BIRD_CONNECTING,      /* connected, waiting for the greeting */
	BGP_BIRD_UP,              /* talking to BIRD */
};

/* Why the node wants its addresses announced or not. */
enum bgp_why {
	BGP_WHY_STARTING = 0,     /* the worker has not served yet */
	BGP_WHY_READY,            /* it can serve: announce */
	BGP_WHY_WORKER,           /* the worker stopped beating */
	BGP_WHY_BACKEND,          /* a tracked backend has no usable server */
	BGP_WHY_SOFTSTOP,         /* SIGUSR1: withdrawn, draining after withdraw-delay */
	BGP_WHY_STOP,             /* hard stop or exit */
};

struct bgp_snap_addr {
	int     af;
	uint8_t a[16];
	char    proto[BGP_PROTO_LEN];
	char    dev[BGP_IFNAME_LEN];
	int     bird;             /* BIRD's protocol as last confirmed: 1 enabled, 0 disabled, -1 unknown */
};

struct bgp_snap {
	char     name[BGP_NAME_LEN];
	char     socket[BGP_SOCK_LEN];
	int      bird;            /* enum bgp_bird */
	int      want;            /* 1: announce (the node can serve) */
	int      why;             /* enum bgp_why */
	char     why_backend[64]; /* with BGP_WHY_BACKEND */
	uint32_t withdraw_delay_ms;
	uint64_t since_ms;        /* CLOCK_MONOTONIC ms of the last change of <want> */
	int      naddrs;
	struct bgp_snap_addr addrs[BGP_MAX_ADDR];
	uint64_t announces;       /* times <want> became 1 */
	uint64_t withdrawals;     /* times it became 0 after being 1 */
	uint64_t bird_connects;   /* connections to BIRD that reached the greeting */
	uint64_t bird_failures;   /* connection attempts that failed, connections lost */
	uint64_t bird_errors;     /* commands BIRD refused */
	uint64_t bird_reverts;    /* protocols found in the wrong state (BIRD reconfigured or restarted) */
	char     last_error[160];
};

#endif
