/* Types of server health: the check statuses (HAProxy's), the per-server
 * health settings and state, the pure state machine's events and actions
 * (src/check/health.c), the proxy-level check rules (option httpchk,
 * http-check, option tcp-check, tcp-check) and the run-time state of one
 * server's checks. See doc/health-checks.md. */
#ifndef TANDEM_CHECK_T_H
#define TANDEM_CHECK_T_H
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/loop-t.h>

struct server;
struct proxy;

/* Result of one check, HAProxy's names and order: a code ("code: 200") is
 * shown in logs only for statuses at or after HCHK_L7OK (HAProxy's
 * HCHK_STATUS_L57DATA boundary). */
enum hchk_status {
	HCHK_UNKNOWN = 0, /* "UNK"     Unknown */
	HCHK_INI,         /* "INI"     Initializing (no check ended yet) */
	HCHK_HANA,        /* "HANA"    Health analyze (passive observation) */
	HCHK_SOCKERR,     /* "SOCKERR" Socket error */
	HCHK_L4OK,        /* "L4OK"    Layer4 check passed */
	HCHK_L4TOUT,      /* "L4TOUT"  Layer4 timeout */
	HCHK_L4CON,       /* "L4CON"   Layer4 connection problem */
	HCHK_L6OK,        /* "L6OK"    Layer6 check passed (a TLS handshake, check-ssl) */
	HCHK_L6TOUT,      /* "L6TOUT"  Layer6 timeout (TLS handshake) */
	HCHK_L6RSP,       /* "L6RSP"   Layer6 invalid response (TLS handshake failure) */
	HCHK_L7TOUT,      /* "L7TOUT"  Layer7 timeout */
	HCHK_L7RSP,       /* "L7RSP"   Layer7 invalid response */
	HCHK_L7OK,        /* "L7OK"    Layer7 check passed */
	HCHK_L7OKC,       /* "L7OKC"   Layer7 check conditionally passed (unused) */
	HCHK_L7STS,       /* "L7STS"   Layer7 wrong status */
	HCHK_NSTATUS
};

/* `observe` (server keyword). */
enum { OBS_MODE_NONE = 0, OBS_MODE_L4, OBS_MODE_L7 };
/* `on-error` (server keyword); HAProxy's default is fail-check. */
enum { ONERR_FASTINTER = 1, ONERR_FAILCHK, ONERR_SUDDTH, ONERR_MARKDWN };
/* `init-state` (server keyword). INIT_UNSET means tandem's default, which
 * is INIT_DOWN for a checked server (HAProxy's default is INIT_UP). */
enum { INIT_UNSET = 0, INIT_FULLY_DOWN, INIT_DOWN, INIT_UP, INIT_FULLY_UP };

/* Built-in defaults (HAProxy's). */
#define CHK_DEF_INTER       2000
#define CHK_DEF_RISE        2
#define CHK_DEF_FALL        3
#define CHK_DEF_ERROR_LIMIT 10
#define CHK_DEF_EJECT_PCT   50
#define CHK_DEF_SPREAD_PCT  5     /* tandem's jitter when `spread-checks` is not set */

/* ---- the pure state machine (src/check/health.c) ---------------------- */

/* Settings of one server, as the state machine needs them. */
struct hs_conf {
	int      has_check;    /* `check`: active checks own the UP/DOWN decision */
	int      rise, fall;
	uint32_t inter, fastinter, downinter;   /* ms; fastinter/downinter 0 = inter */
	int      observe;      /* OBS_MODE_* */
	int      error_limit;
	int      on_error;     /* ONERR_* */
	int      max_fails;    /* nginx's max_fails, 0 = off */
	uint32_t fail_timeout; /* ms */
	uint32_t slowstart;    /* ms, 0 = off */
	int      uweight;
	int      ramp;         /* weights may move (not static-rr): slowstart ramps */
	int      init_state;   /* INIT_* */
	int      tcp_mode;     /* mode tcp: a connection is the whole exchange */
};

enum hs_ev_type {
	HS_EV_CHECK = 1,       /* an active check ended */
	HS_EV_OBSERVE,         /* live traffic taught something (enum obs_event) */
	HS_EV_TICK,            /* time passed: ejection expiry, slowstart ramp */
	HS_EV_AGENT,           /* the agent check said something about the health (agent_down) */
};

struct hs_event {
	int         type;      /* HS_EV_* */
	int         status;    /* HS_EV_CHECK: HCHK_* */
	int         code;      /* HS_EV_CHECK: HTTP status or 0 */
	int         duration;  /* HS_EV_CHECK: ms */
	const char *desc;      /* HS_EV_CHECK: info text, may be NULL */
	int         obs;       /* HS_EV_OBSERVE: enum obs_event */
	int         agent_down;/* HS_EV_AGENT: 1 down/fail/stopped, 0 up */
};

#define HS_DESC_LEN 160

/* Health of one server. Only hs_init/hs_step change it. */
struct hs {
	int      health;       /* HAProxy's counter: 0..rise+fall-1, UP when >= rise */
	int      ejected;      /* max-fails: out of rotation until checked + fail_timeout */
	int      state;        /* published operational state (SRV_ST_*) */
	int      eweight;      /* published effective weight */
	int      was_up;       /* has been UP once: slowstart applies to later rises only */
	uint64_t up_since;     /* ms: start of the slowstart ramp */
	int      fastinter;    /* force fastinter for the next schedule (HAProxy's CHK_ST_FASTINTER) */
	int      resched;      /* the next check should be re-planned (fastinter forced) */
	int      cons_errors;  /* observe: consecutive errors */
	int      fails;        /* max-fails: nginx's peer->fails */
	uint64_t accessed, checked;  /* max-fails: nginx's peer->accessed/checked, ms */
	int      refused;      /* a passive ejection was refused by max-ejected-percent (logged once) */
	int      nolb;         /* the last check passed conditionally (disable-on-404): NOLB while UP */
	int      agent_down;   /* the agent check said down/fail/stopped: DOWN whatever the checks say */
	int      passive_down; /* the last UP -> DOWN was decided by live traffic (circuit breaker "open") */
	/* last check result, for stats and logs */
	int      status;       /* HCHK_* */
	int      code;
	int      duration;     /* ms, -1 = none */
	char     desc[HS_DESC_LEN];
	/* counters */
	uint64_t chkfail;      /* failed checks (passive ones included, as HAProxy) */
	uint64_t chkdown;      /* UP -> DOWN transitions */
	uint64_t hanafail;     /* passive events that acted (HAProxy's failed_hana) */
	uint64_t down_since;   /* ms when it went DOWN, 0 when UP */
	uint64_t downtime;     /* ms spent DOWN before down_since */
};

/* What the caller must do after hs_step. The reason fields describe the
 * transition for the log line. */
struct hs_out {
	int went_up, went_down;
	int went_nolb, left_nolb; /* UP -> NOLB (disable-on-404), NOLB -> UP */
	int report;            /* the health counter or the status moved (option log-health-checks) */
	int prev_status;
	int passive;           /* the transition was caused by live traffic */
	int refused;           /* a passive ejection was refused (first time: log it) */
	int weight_changed;
	int status, code, duration;   /* reason of the transition */
	const char *desc;      /* info text (points into <buf>), may be "" */
	char buf[HS_DESC_LEN];
	uint64_t now;          /* internal: the step's time */
};

/* Asked right before a passive event takes a server out: may it? (the
 * max-ejected-percent bound). Returns 1 and reserves the slot, or 0. */
typedef int (*hs_may_eject_fn)(void *arg);

/* ---- proxy-level check rules (cfg: option httpchk / tcp-check) -------- */

enum { CHK_TYPE_CONNECT = 0, CHK_TYPE_HTTP, CHK_TYPE_TCP };

enum { EXP_STATUS = 1, EXP_RSTATUS, EXP_STRING, EXP_RSTRING, EXP_BINARY, EXP_RBINARY,
       EXP_HDR, EXP_FHDR,  /* http-check expect [!] hdr|fhdr name [-m M] N [value [-m M] V] */
       EXP_CUSTOM };       /* a protocol check's own judgement (check_proto.c) */

/* Matching methods of `expect hdr` (-m): HAProxy's. */
enum { HM_STR = 0, HM_BEG, HM_END, HM_SUB, HM_REG };

/* How the info text of a protocol check's expectation is made (HAProxy's
 * on-success / on-error log-formats of its built-in rulesets). */
enum {
	EMSG_NONE = 0,      /* the generic "TCPCHK did not match content ..." */
	EMSG_TEXT,          /* a fixed text */
	EMSG_PAYLOAD,       /* the bytes read from <off>, cut at the first CR or LF */
	EMSG_PAYLOAD_RAW,   /* the bytes read from <off> as they are */
};

struct chk_run;
struct srv_health;
struct chk_tcp_rule;
/* A custom expectation: 0 wait for more bytes, 1 met (go on), -1 failed
 * (reported). <last>: nothing more will come. */
typedef int (*chk_custom_fn)(struct srv_health *h, const struct chk_tcp_rule *r, int last);

struct chk_expect {
	int      type;         /* EXP_* */
	int      inverse;      /* `!` */
	char    *pat;          /* text as written (string, regex, hex digits) */
	char    *bin;          /* EXP_BINARY: decoded bytes */
	size_t   binlen;
	int    (*ranges)[2];   /* EXP_STATUS: code ranges */
	int      nranges;
	regex_t  re;           /* EXP_R*: compiled (REG_EXTENDED) */
	int      has_re;
	char    *comment;
	/* expect options (HAProxy's), and what protocol checks add */
	int      min_recv;     /* `min-recv N`: -1 unset */
	int      ok_status, err_status, tout_status;   /* HCHK_*, 0 = L7OK / L7RSP / L7TOUT */
	int      ok_msg, err_msg;                      /* EMSG_* */
	char    *ok_text, *err_text;                   /* EMSG_TEXT */
	int      ok_off, err_off;                      /* EMSG_PAYLOAD*: offset */
	int      code_from_payload;                    /* check code = the first 3 bytes (SMTP) */
	chk_custom_fn custom;                          /* EXP_CUSTOM */
	/* EXP_HDR / EXP_FHDR */
	int      name_meth, value_meth;                /* HM_* */
	char    *value;                                /* NULL: the header's presence only */
	regex_t  vre;
	int      has_vre;
};

enum { TCR_CONNECT = 1, TCR_SEND, TCR_EXPECT, TCR_COMMENT };

struct chk_tcp_rule {
	int      act;          /* TCR_* */
	int      port;         /* connect: `port N`, 0 = the server's check port */
	struct sockaddr_storage addr; socklen_t addrlen;   /* connect: `addr A` (0: the check's) */
	int      send_proxy;   /* connect: `send-proxy` */
	int      dflt;         /* connect: `default` (the server's check settings) */
	int      linger;       /* connect: `linger` (a clean close instead of a reset) */
	int      ssl;          /* connect: `ssl` (TLS on this connection, with the server's TLS settings) */
	char    *sni, *alpn;   /* connect: `sni NAME`, `alpn LIST` (NULL: the server's check-sni, check-alpn) */
	int      dyn;          /* send: built when sent (CHK_DYN_*, check_proto.c) */
	char    *data;         /* send: bytes to send */
	size_t   len;
	struct chk_expect exp; /* expect */
	char    *comment;
};

struct chk_hdr { char *name, *value; };

/* The check settings of one backend. They live in the backend's
 * default-server template (server.chk_px of proxy->defsrv) so that
 * `defaults` sections pass them on like every other server setting. */
struct chk_px {
	int      type;         /* CHK_TYPE_*: last of option httpchk / option tcp-check wins */
	int      http_rules;   /* http-check rules were written (a warning without option httpchk) */
	int      tcp_rules_given;
	int      http_inh, tcp_inh;   /* the rules came from a defaults section */
	/* `option httpchk [meth] uri [ver]`; NULL: OPTIONS, /, HTTP/1.0 */
	char    *meth, *uri, *ver;
	struct chk_hdr *hdrs; int nhdrs;   /* old form: "ver\r\nName: value" */
	/* `http-check send`: wins over the option's values */
	char    *s_meth, *s_uri, *s_ver, *body;
	struct chk_hdr *s_hdrs; int s_nhdrs;
	int      nsend;
	struct chk_expect *http_exp; int n_http_exp;   /* none: status 200-399 */
	/* tcp-check rules, in order */
	struct chk_tcp_rule *tcp; int ntcp;
	/* passive */
	int      max_ejected_pct;   /* -1 = unset (default 50) */
	/* the long tail (issue 18) */
	int      disable404;   /* `http-check disable-on-404` */
	int      send_state;   /* `http-check send-state` */
	int      conn_port;    /* `http-check connect port N` */
	struct sockaddr_storage conn_addr; socklen_t conn_addrlen;  /* `http-check connect addr A` */
	int      conn_pp;      /* `http-check connect send-proxy` */
	int      conn_ssl;     /* `http-check connect ssl` */
	int      conn_dflt;    /* `http-check connect default` */
	char    *conn_sni, *conn_alpn;   /* `http-check connect sni|alpn` */
	int      has_conn;     /* an `http-check connect` was written */
	int      proto;        /* CHK_PROTO_*: a protocol check's own rules (ptcp) run */
	struct chk_tcp_rule *ptcp; int nptcp;  /* its rules (kw_check.c builds them) */
};

/* Protocol checks: `option mysql-check` and friends, run as built-in
 * tcp-check sequences with HAProxy's exchanges (src/cfg/chk_proto.c builds
 * them, src/check/check_proto.c judges what needs more than a pattern). */
enum { CHK_PROTO_NONE = 0, CHK_PROTO_MYSQL, CHK_PROTO_PGSQL, CHK_PROTO_REDIS, CHK_PROTO_SSL3,
       CHK_PROTO_SMTP, CHK_PROTO_LDAP };
/* Bytes a send step builds when it runs (chk_tcp_rule.dyn). */
enum { CHK_DYN_NONE = 0, CHK_DYN_SSL3_HELLO };

/* ---- run time of one server's health (src/check/check.c) -------------- */

/* One active check in flight (owner thread only). */
struct ssl_st;
struct chk_run {
	struct ev_io    io;
	struct ev_timer tmr;       /* next check when idle; deadline while running */
	int      fd;               /* -1 when no connection */
	int      running;
	int      phase;            /* internal: connecting, sending, receiving */
	int      step;             /* tcp-check: index of the rule being run */
	int      connected;
	uint64_t start_us;
	char    *out; size_t outlen, outoff;
	char    *in;  size_t inlen, incap;
	int      eof;
	int      conn_step;        /* tcp-check: the connect rule the socket belongs to (-1: the implicit one) */
	int      linger;           /* close cleanly (`connect linger`) instead of a reset */
	int      tls;              /* TLS on this connection: 1, 0, -1 the server's check-ssl */
	const char *sni, *alpn;    /* a connect rule's own TLS names, NULL: the server's */
	char     pp[256];          /* a PROXY protocol header still to send first */
	size_t   pplen, ppoff;
	char    *dyn;              /* a send step's bytes built when it ran (CHK_DYN_*) */
	struct ssl_st *ssl;        /* TLS (check-ssl, check_ssl.c), NULL: plain */
	int      tls_done;         /* its handshake completed */
};

struct srv_health {
	pthread_mutex_t lock;      /* guards <hs> and <conf> reads that must agree */
	struct hs       hs;
	struct hs_conf  conf;
	struct server  *srv;
	int             tid;       /* owner thread: runs the active checks and the tick */
	const struct chk_px *px;   /* the backend's rules, NULL = plain connect check */
	struct chk_run  run;
	struct sockaddr_storage addr;  /* where checks connect */
	socklen_t       addrlen;
	char           *req;       /* HTTP checks: the request, built once */
	size_t          reqlen;
	int             quick_ok;  /* atomic: a success on live traffic changes nothing now */
	/* admin socket (check.c, "admin socket" section) */
	int             paused;    /* atomic: `disable health`: no check starts, a running one's result is dropped */
	int             gone;      /* atomic: the server was deleted: its checks stop for good */
	unsigned        addr_gen;  /* atomic: bumped when the server's address changes */
	unsigned        addr_seen; /* owner thread: addr_gen the check target was computed for */
	int             hurry;     /* atomic: check as soon as possible (a new address, srv_health_renew) */
	/* the long tail (issue 18) */
	int             pp_default;/* the default connection sends a PROXY header (check-send-proxy, send-proxy) */
	struct chk_agent *agent;   /* `agent-check`, NULL without (check_agent.c) */
};

/* The agent check of one server (src/check/check_agent.c): its own
 * connection and schedule on the owner thread, and what the agent said. */
struct chk_agent {
	struct chk_run  run;
	struct sockaddr_storage addr;
	socklen_t       addrlen;
	uint32_t        inter;
	int             health;    /* HAProxy's agent counter: 0..rise+fall-1 */
	int             down;      /* the agent said down/fail/stopped: the server stays DOWN until "up" */
	int             status, code, duration;   /* last result (stats agent_*) */
	char            desc[HS_DESC_LEN];
	int             maxconn_set;
};

/* ---- what the rest of tandem sees (check.h) ---- */

/* What live traffic taught us about a server (any worker thread). */
enum obs_event {
	OBS_CONN_OK = 0,    /* connection established (layer 4 success) */
	OBS_CONN_ERR,       /* refused, reset, unreachable (layer 4 failure) */
	OBS_CONN_TIMEOUT,   /* `timeout connect` expired */
	OBS_RESP_OK,        /* a valid response head, status not counted as error */
	OBS_RESP_ERR,       /* 5xx counted as error by observe layer7 (every 5xx but 501 and 505) */
	OBS_RESP_BAD,       /* invalid, empty or truncated response */
	OBS_RESP_TIMEOUT,   /* `timeout server` expired before the response */
	OBS_RESP_RETRY,     /* a status the backend's `retry-on` refuses (retried elsewhere):
			     * an error for observe layer7, and a failure for max-fails, as
			     * nginx counts http_500 listed in proxy_next_upstream */
};

/* Passive health seen as a circuit breaker (src/check/observe.c,
 * doc/health-checks.md): traffic flows (closed), live traffic took the
 * server out (open), or it is back on probation (half-open). */
enum { CB_NONE = 0, CB_CLOSED, CB_OPEN, CB_HALF_OPEN };

/* A consistent copy of a server's check values. */
struct chk_snap {
	int      enabled;      /* the server has `check` */
	int      status, code, duration;
	int      health, rise, fall;
	int      transitional; /* between DOWN and fully UP */
	int      state;        /* SRV_ST_* */
	uint64_t chkfail, chkdown, hanafail;
	uint64_t downtime_s;   /* total seconds DOWN */
	char     desc[HS_DESC_LEN];
};
#endif
