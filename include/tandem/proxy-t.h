/* Configuration-time and run-time model: global settings, proxies
 * (frontends, backends, listens) and servers. The config parser fills these;
 * the worker reads them. Times are milliseconds; 0 means "not set". */
#ifndef TANDEM_PROXY_T_H
#define TANDEM_PROXY_T_H
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/list.h>
#include <tandem/counters-t.h>
#include <tandem/ssl-t.h>

struct px_rules;     /* rules-t.h */
struct rules_cfg;    /* rules-t.h */
struct px_persist;   /* persist-t.h */
struct stk_cfg;      /* stick-t.h */

/* ---- logging targets (global `log`, proxy `log global` / `log ...`) ---- */
enum log_fmt { LOGF_RFC3164 = 0, LOGF_RAW, LOGF_SHORT, LOGF_ISO, LOGF_TIMED, LOGF_LOCAL, LOGF_PRIORITY, LOGF_RFC5424 };

struct log_target {
	struct list link;
	int  fd;          /* 1 = stdout, 2 = stderr, or a UDP socket for syslog */
	struct sockaddr_storage addr; socklen_t addrlen;  /* syslog over UDP when addrlen */
	int  format;      /* enum log_fmt */
	int  facility;    /* 0..23 (local0 = 16) */
	int  level;       /* max level sent (LL_*), default LL_DEBUG */
	int  minlevel;
	int  maxlen;      /* `len N`: longest line sent, default 1024 */
};

/* ---- global section ---- */
struct global {
	int      nbthread;        /* default: number of CPUs */
	int      maxconn;         /* default computed from RLIMIT_NOFILE */
	struct list logs;         /* struct log_target */
	int      daemon;
	char    *pidfile;
	uint32_t hard_stop_after; /* ms, 0 = none */
	uint32_t grace;           /* ms */
	/* tune.* */
	uint32_t tune_bufsize;    /* tune.bufsize, default 16384 */
	uint32_t tune_maxrewrite; /* tune.maxrewrite, default 1024 */
	uint32_t tune_maxhdr;     /* tune.http.maxhdr, default 101 */
	uint64_t tune_max_body;   /* tune.http.max-body-size (tandem), 0 = unlimited; 413 above */
	uint32_t tune_idle_pool;  /* tune.idle-pool.shared-per-server (tandem): max idle srv conns per thread, default 64 */
	char    *user, *group, *chroot;
	int      uid, gid;        /* resolved, -1 when not set */
	int      stats_timeout;   /* `stats timeout`: admin socket idle timeout, ms (default 10000) */
	int      stats_maxconn;   /* `stats maxconn`: concurrent admin socket sessions (default 10) */
	struct list stats_socks;  /* `stats socket` lines: struct cli_sock_conf (cli-t.h) */
	char    *node;            /* `node` name for stats, default hostname */
	char    *desc;
	uint32_t log_hdr_pid;     /* pid shown in log headers */
	int      rlimit_nofile;   /* RLIMIT_NOFILE the master should set: `ulimit-n`, else computed from maxconn */
	int      ulimit_n;        /* `ulimit-n` as given (0: not given): the limit is then set exactly, lowered too */
	int      spread_checks;   /* `spread-checks` percent (0..50); used when spread_checks_set */
	int      spread_checks_set;
	struct ssl_global ssl;    /* crt-base, ssl-default-*, tune.ssl.* (ssl-t.h, doc/tls.md) */
	/* process keywords of the long tail (kw_global.c, doc/configuration.md) */
	int      strict_limits;   /* `strict-limits` (default on, HAProxy's): a failed setrlimit is fatal */
	int      idle_pool_shared;/* `tune.idle-pool.shared`: -1 unset, 0 off, 1 on (only with one thread) */
	int      idle_pool_line;
	int      tune_maxaccept;  /* connections accepted per listener wake-up (64; -1 = no limit) */
	int      tune_maxpollevents; /* events per epoll_wait (200) */
	uint32_t tune_pipesize;   /* splice pipes (0 = the kernel's default) */
	int      tune_rcvbuf_cli, tune_rcvbuf_srv, tune_sndbuf_cli, tune_sndbuf_srv; /* SO_RCVBUF/SO_SNDBUF, 0 = system */
	struct cpu_map_rule *cpu_map; int n_cpu_map;  /* `cpu-map` lines, in order */
	int      no_listener_ok;  /* internal: a stats socket or VRRP/anycast section is enough to start */
};

/* One `cpu-map [auto:]1[/THREADS] CPUS...` line: threads <lo>..<hi>
 * (1-based, inclusive) on <cpus>; <autom>: one CPU each, in order. */
struct cpu_map_rule {
	int      lo, hi;
	int      autom;
	int      ncpu;            /* CPUs listed, in ascending order in <cpu> */
	short    cpu[1024];
};

/* A fixed source for outgoing connections (`source ADDR[:PORT[-PORT]]
 * [interface NAME]`, backend and server keyword). */
struct conn_src {
	struct sockaddr_storage addr;
	socklen_t addrlen;        /* 0: none */
	int      port_lo, port_hi;/* 0: any port */
	char     iface[16];       /* SO_BINDTODEVICE, "" = none */
};

/* ---- listening sockets ---- */
struct bind_conf {
	struct list link;         /* in proxy->binds */
	struct proxy *fe;
	char   *addr_str;         /* as written, for messages */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int     fd;               /* created by the master, -1 before */
	char   *name;             /* `name` option */
	int     v6only, v4v6, freebind;
	int     backlog;          /* default: maxconn of the frontend, capped */
	int     maxconn;          /* `maxconn` bind option: 0 = the frontend's */
	int     curconn;          /* connections accepted on this bind and still open (atomic) */
	int     reused;           /* fd taken over from the previous configuration (reload) */
	int     accept_proxy;     /* `accept-proxy`: a PROXY protocol header (v1 or v2) comes first */
	int     luid;             /* listener id in its frontend, 1-based (HAProxy's, for logs) */
	struct counters *ctr;     /* `option socket-stats`: this listener's own (not kept across reloads) */
	struct ssl_bind_conf *ssl; /* TLS options of the line (shared by its addresses), NULL: none */
	const char *file; int line;
};

/* ---- servers ---- */
enum srv_state {             /* operational state (health), HAProxy's names */
	SRV_ST_STOPPED = 0,      /* DOWN */
	SRV_ST_STARTING,         /* UP, slowstart in progress */
	SRV_ST_RUNNING,          /* UP */
	SRV_ST_STOPPING,         /* UP but going down (NOLB) */
};
enum {                       /* administrative state flags, kept apart from health */
	SRV_ADMF_FMAINT = 1u << 0,   /* an operator's maintenance (`disabled`, `set server state maint`) */
	SRV_ADMF_DRAIN  = 1u << 1,
	SRV_ADMF_RMAINT = 1u << 2,   /* maintenance by resolution: DNS gives the server no address */
	/* in maintenance, whatever the cause: what readers test (lb, checks,
	 * pools); writers set FMAINT or RMAINT, never both at once through this */
	SRV_ADMF_MAINT  = SRV_ADMF_FMAINT | SRV_ADMF_RMAINT,
};

/* `resolve-opts` (server keyword) */
enum { SRV_RSLV_ALLOW_DUP_IP = 1u << 0, SRV_RSLV_PREVENT_DUP_IP = 1u << 1, SRV_RSLV_IGNORE_WEIGHT = 1u << 2 };
/* `init-addr` methods, in the order written (0 ends the list) */
enum { SRV_IADDR_END = 0, SRV_IADDR_LAST, SRV_IADDR_LIBC, SRV_IADDR_NONE, SRV_IADDR_IP };
#define SRV_MAX_IADDR 4
#define SRV_MAX_RNET  5      /* `resolve-net`: networks per server (HAProxy's SRV_MAX_PREF_NET) */

struct srv_net {             /* one `resolve-net` network */
	int     af;
	int     bits;
	uint8_t a[16];
};

struct chk_px;       /* check-t.h */
struct lb_rr;        /* lb-t.h */
struct srv_health;   /* check-t.h */
struct resolvers;    /* dns-t.h */
struct dns_srv;      /* dns-t.h */

/* Per-thread part of a server: only its own thread touches it. */
struct srv_thr {
	struct list idle;        /* idle server connections (struct conn) */
	int   nidle;
	int   cur_conns;         /* connections of this thread to the server */
};

struct server {
	struct list link;        /* in proxy->servers */
	struct proxy *be;
	char  *id;
	int    puid;             /* position (1-based) */
	char  *addr_str;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int    uweight;          /* configured weight (`weight`, default 1, 0..256) */
	int    eweight;          /* effective weight (atomic; admin socket may change it) */
	int    maxconn;          /* 0 = unlimited */
	int    cfg_weight;       /* weight as configured (uweight may change at run time) */
	void  *hand_rec;         /* this server's reload handover record (shm), cached */
	char **dyn_argv;         /* added at run time: its `add server` words (address, keywords), NULL-terminated; else NULL */
	int    state;            /* enum srv_state (atomic) */
	int    admin;            /* SRV_ADMF_* (atomic) */
	int    backup;
	int    cur_conns;        /* active requests on this server, all threads (atomic) */
	struct counters *ctr;    /* own, or in the master's shared area once bound (ctr_shared): survives reloads */
	int    ctr_shared;
	struct srv_thr *thr;     /* [nbthread], allocated by the worker */
	uint64_t last_change;    /* wall seconds of the last state change */
	int    has_check;        /* `check` on the server line: health checks run (stats shows "no check" otherwise) */
	/* health checks and passive health (doc/health-checks.md, check-t.h) */
	uint32_t chk_inter, chk_fastinter, chk_downinter; /* ms: inter 2000, fast/down 0 = inter */
	int    chk_rise, chk_fall;       /* 2 and 3 */
	int    chk_port;                 /* `port`: 0 = the server's port */
	struct sockaddr_storage chk_addr; socklen_t chk_addrlen; /* `addr`: len 0 = the server's address */
	int    init_state;               /* INIT_*: 0 = tandem's default (down until the first check passes) */
	int    observe;                  /* OBS_MODE_* */
	int    error_limit;              /* consecutive errors before on-error acts, 10 */
	int    on_error;                 /* ONERR_*, fail-check */
	int    max_fails;                /* nginx's max_fails: -1 = not set, 0 = off */
	uint32_t fail_timeout;           /* nginx's fail_timeout, ms: 0 = not set (10s when max-fails is) */
	uint32_t slowstart;              /* ms, 0 = off */
	struct chk_px *chk_px;           /* backend check rules: only on proxy->defsrv */
	struct srv_health *hc;           /* run-time health (src/check/), NULL when nothing to watch */
	/* the long tail (issue 18, doc/configuration.md) */
	int    port_map, port_off;       /* no port, "+N", "-N": the client's destination port (+ offset) */
	int    maxqueue;                 /* `maxqueue`: 0 = unlimited */
	int    queue_len;                /* requests in this server's own queue, all threads (atomic): stats qcur */
	int    queue_max;                /* the highest queue_len seen (atomic): stats qmax */
	int    on_marked_down;           /* SRV_ONMD_* */
	int    on_marked_up;             /* SRV_ONMU_* */
	int    pp_opts;                  /* SRV_PP_*: send-proxy, send-proxy-v2, proxy-v2-options */
	int    check_send_proxy;         /* `check-send-proxy` */
	struct conn_src src;             /* `source` (addrlen 0: the backend's, if any) */
	int    has_agent;                /* `agent-check` */
	int    agent_port;               /* `agent-port` (else `port`) */
	int    agent_port_set;           /* `agent-port` was written */
	uint32_t agent_inter;            /* `agent-inter`, ms (0: `inter`) */
	char  *agent_send;               /* `agent-send` */
	struct sockaddr_storage agent_addr; socklen_t agent_addrlen; /* `agent-addr` (0: the server's) */
	/* DNS service discovery (doc/discovery.md, src/dns/) */
	char  *hostname;                 /* the name of the address (or an SRV label: "_svc._proto.name"), NULL when numeric */
	int    hostport;                 /* the port written with the name (0: none, SRV) */
	unsigned addr_gen;               /* bumped at each address change: pooled connections to an older one are closed (atomic) */
	char  *resolvers_id;             /* `resolvers NAME` */
	struct resolvers *resolvers;     /* that section, found after parsing */
	int    resolve_prefer;           /* `resolve-prefer`: AF_INET or AF_INET6; 0 = not set (ipv6, HAProxy's default) */
	unsigned resolve_opts;           /* SRV_RSLV_* */
	struct srv_net resolve_net[SRV_MAX_RNET];
	int    n_resolve_net;
	uint8_t init_addr[SRV_MAX_IADDR]; /* `init-addr` methods in order (SRV_IADDR_*); all 0 = not set (last,libc) */
	struct sockaddr_storage init_ip; /* `init-addr` ADDR */
	struct dns_srv *dns;             /* run-time DNS state (src/dns/), NULL when not resolved at run time */
	/* TLS towards the server (doc/tls.md); the context is built after parsing */
	int    use_ssl;                  /* `ssl` / `no-ssl` */
	int    check_ssl;                /* `check-ssl` / `no-check-ssl` */
	int    ssl_verify;               /* TLS_VFY_*: UNSET follows `ssl-server-verify` */
	int    ssl_min_ver, ssl_max_ver; /* TLSV_* */
	int    ssl_force_ver;            /* force-tlsvXX: TLSV_*, 0 none */
	uint32_t ssl_flags;              /* SSLO_*: no-tlsvXX, no-tls-tickets, ktls */
	int    ssl_no_reuse;             /* `no-ssl-reuse` / `ssl-reuse` */
	char  *ssl_ca_file, *ssl_crl_file, *ssl_crt;
	char  *ssl_sni;                  /* `sni EXPR` as written */
	char  *ssl_verifyhost;
	char  *ssl_alpn, *ssl_ciphers, *ssl_ciphersuites;
	char  *check_sni, *check_alpn;
	void  *ssl_rt;                   /* client context, SNI expression, sessions per thread (src/ssl/) */
	char  *cookie;                   /* `cookie VALUE` (persistence, doc/persistence.md), NULL: none */
	const char *file; int line;
};

enum { SRV_ONMD_NONE = 0, SRV_ONMD_SHUTDOWN = 1 };       /* on-marked-down shutdown-sessions */
enum { SRV_ONMU_NONE = 0, SRV_ONMU_SHUTDOWN_BACKUP = 1 }; /* on-marked-up shutdown-backup-sessions */
enum {                       /* server.pp_opts (HAProxy's SRV_PP_*) */
	SRV_PP_V1           = 1u << 0,  /* send-proxy */
	SRV_PP_V2           = 1u << 1,  /* send-proxy-v2 */
	SRV_PP_V2_AUTHORITY = 1u << 2,  /* proxy-v2-options authority */
	SRV_PP_V2_UNIQUE_ID = 1u << 3,  /* proxy-v2-options unique-id */
	SRV_PP_V2_CRC32C    = 1u << 4,  /* proxy-v2-options crc32c */
};

/* ---- proxies ---- */
enum { PR_CAP_FE = 1, PR_CAP_BE = 2, PR_CAP_DEF = 4 };
enum { PR_MODE_TCP = 0, PR_MODE_HTTP = 1 };
enum { LB_ROUNDROBIN = 0, LB_STATIC_RR, LB_LEASTCONN, LB_SOURCE, LB_FIRST, LB_RANDOM,
       LB_HASH /* uri, url_param, hdr(), rdp-cookie, hash EXPR: persist-t.h */ };
enum { REUSE_NEVER = 0, REUSE_SAFE, REUSE_AGGRESSIVE, REUSE_ALWAYS };
enum {                       /* `retry-on` conditions (HAProxy's names) */
	RETRY_CONN_FAILURE  = 1u << 0,
	RETRY_EMPTY_RESP    = 1u << 1,
	RETRY_JUNK_RESP     = 1u << 2,
	RETRY_RESP_TIMEOUT  = 1u << 3,
	RETRY_0RTT_REJECTED = 1u << 4,
	RETRY_STATUS        = 1u << 5,  /* one of retry_status[] */
};

enum {                       /* proxy->options */
	PR_O_FORWARDFOR     = 1u << 0,
	PR_O_HTTPLOG        = 1u << 1,
	PR_O_DONTLOGNULL    = 1u << 2,
	PR_O_HTTP_KA        = 1u << 3,  /* option http-keep-alive (default mode) */
	PR_O_HTTPCLOSE      = 1u << 4,  /* option httpclose */
	PR_O_SRV_CLOSE      = 1u << 5,  /* option http-server-close */
	PR_O_TCPLOG         = 1u << 6,
	PR_O_LOGASAP        = 1u << 7,
	PR_O_HTTPLOG_JSON   = 1u << 8,  /* option httplog json (tandem) */
	PR_O_HTTPLOG_CLF    = 1u << 9,  /* option httplog clf */
	PR_O_REDISPATCH     = 1u << 10,
	PR_O_LOG_GLOBAL     = 1u << 11, /* `log global` */
	PR_O_NOLOG          = 1u << 12, /* `no log` */
	PR_O_DONTLOG_NORMAL = 1u << 13,
	PR_O_LOG_SEPARATE_ERRORS = 1u << 14,
	PR_O_FWDFOR_IFNONE  = 1u << 15,
	PR_O_ABORTONCLOSE   = 1u << 16,
	PR_O_HTTPSLOG       = 1u << 17, /* option httpslog (with PR_O_HTTPLOG): its format, rules.c */
	PR_O_TCP_KA         = 1u << 18, /* option tcpka / clitcpka / srvtcpka */
	PR_O_HTTP_BUF_REQ   = 1u << 19, /* option http-buffer-request */
	PR_O_LOG_HCHKS      = 1u << 20, /* option log-health-checks */
	PR_O_SPLICE_REQ     = 1u << 21, /* option splice-request */
	PR_O_SPLICE_RSP     = 1u << 22, /* option splice-response */
	PR_O_SPLICE_AUTO    = 1u << 23, /* option splice-auto */
	PR_O_SOCKET_STATS   = 1u << 24, /* option socket-stats */
};
/* After cfg_load exactly one of PR_O_HTTP_KA, PR_O_HTTPCLOSE and
 * PR_O_SRV_CLOSE is set on every proxy (keep-alive when none was chosen). */

struct stats_auth { struct list link; char *user; char *pass; };

struct timeouts {
	uint32_t connect, client, server, http_request, http_keep_alive, queue,
		 tunnel, client_fin, server_fin, check, tarpit;
};

struct proxy {
	struct list link;        /* in cfg->proxies, in file order */
	char  *id;
	int    uuid;             /* 1-based, in file order */
	int    cap;              /* PR_CAP_* */
	int    mode;             /* PR_MODE_* */
	struct list binds;       /* struct bind_conf (frontends) */
	struct list servers;     /* struct server (backends) */
	int    nsrv;
	int    nbind;            /* listeners (bind_conf) so far: their ids */
	char  *defbe_name;       /* default_backend, resolved into defbe */
	int    defbe_line;       /* line of the default_backend keyword */
	struct proxy *defbe;     /* for a `listen`: itself */
	int    lbalgo;           /* LB_* */
	int    lb_draws;         /* `balance random(N)`: servers drawn per pick, default 2 */
	unsigned lb_gen;         /* bumped (atomic) when a server's state, admin flags or weight, or the
				  * server list, change: see srv_state.h */
	struct lb_rr *lb_rr;     /* round-robin schedule (lb-t.h), made by the first pick */
	uint32_t retry_on;       /* RETRY_* (`retry-on`), default RETRY_CONN_FAILURE */
	uint16_t retry_status[10]; int n_retry_status; /* statuses listed in `retry-on` */
	int    retry_budget;     /* `retry-budget PCT` (tandem): retries in flight <= PCT% of requests in flight, min 3; default 20 */
	int    retries_inflight; /* retry attempts now in progress (atomic) */
	int    req_inflight;     /* requests now in progress on this backend (atomic) */
	struct timeouts to;
	int    retries;          /* default 3 */
	int    redispatch;       /* `option redispatch [N]`: 0 off, N as HAProxy (-1 = last retry) */
	uint32_t options;        /* PR_O_* */
	char  *fwdfor_hdr;       /* default "X-Forwarded-For" */
	int    fwdfor_except_af; /* `option forwardfor except NET`: AF_INET/AF_INET6, 0 = none */
	uint8_t fwdfor_except_addr[16]; int fwdfor_except_bits; /* network and prefix length */
	int    http_reuse;       /* REUSE_*, default SAFE */
	struct px_rules *rules;  /* ACLs, rule sets, captures, formats (rules-t.h); NULL when none */
	struct px_persist *persist; /* cookie, stick rules, stick-table, hash balancing (persist-t.h); NULL: none */
	int    nqueued;          /* requests waiting, the backend's queue and its servers' (atomic): queue() */
	int    maxconn;          /* frontend maxconn, 0 = global */
	int    fullconn;
	struct list logs;        /* proxy-local log targets (struct log_target), plus global when PR_O_LOG_GLOBAL */
	/* stats */
	int    stats_enabled;
	char  *stats_uri;        /* default "/haproxy?stats" */
	uint32_t stats_refresh;  /* ms, 0 = none */
	char  *stats_realm;
	struct list stats_auths; /* struct stats_auth */
	int    stats_hide_version;
	int    stats_admin;
	int    stats_show_legends, stats_show_node;
	char  *stats_node;       /* `stats show-node NAME`, NULL = global node */
	int    stats_show_desc;
	char  *stats_desc;       /* `stats show-desc TEXT`, NULL = global description */
	char **stats_scope; int n_stats_scope; /* `stats scope NAME`: proxies listed (none = all) */
	char  *desc;
	int    disabled;
	struct counters *fe_ctr; /* frontend side; own, or in the shared area once bound (ctr_shared) */
	struct counters *be_ctr; /* backend side */
	int    ctr_shared;
	uint64_t last_change;
	struct server defsrv;    /* `default-server` settings: template of each `server` line */
	/* health checks, run time (src/check/check.c) */
	int    srv_nout;         /* servers DOWN now (atomic): max-ejected-percent bound */
	uint64_t chkdown;        /* times the backend lost its last usable server (atomic) */
	uint64_t down_since_ms, downtime_ms; /* backend downtime (under the checks' backend lock) */
	/* the long tail (issue 18) */
	int    lb_set;           /* `balance` was written (here or in its defaults): dispatch is then ignored */
	int    dispatch_line;    /* `dispatch ADDR`: line of the keyword (its server is "dispatch") */
	struct server *dispatch_srv; /* that server when used (no `balance`): the balancer's only choice */
	struct conn_src src;     /* backend `source` */
	int    queue_len;        /* requests waiting in this backend's queue, all threads (atomic): stats qcur */
	int    queue_max;        /* the highest queue_len seen (atomic): stats qmax */
	unsigned bkp_kill_gen;   /* bumped when on-marked-up shuts the backup servers' sessions (atomic) */
	const char *file; int line;
};

/* A parsed configuration: what the master checks and the worker runs. */
struct cfg {
	struct global g;
	struct rules_cfg *rules; /* pattern references, userlists, variables (rules-t.h); NULL when none */
	struct stk_cfg *stick;   /* stick tables and peers sections (stick-t.h); NULL when none */
	struct list proxies;     /* struct proxy (no defaults sections) */
	struct list vrrps;       /* struct vrrp_conf (`vrrp` sections, vrrp-t.h) */
	struct list anycasts;    /* struct bgp_conf (`anycast` sections, bgp-t.h) */
	struct vrrp_set *vrrp;   /* VRRP scripts, groups, keepalived-config (vrrp-t.h); NULL when none */
	struct list resolvers;   /* struct resolvers (`resolvers` sections, dns-t.h) */
	char *path;
	void *ssl;               /* TLS certificates, crt-lists, ticket keys (src/ssl/), NULL without TLS */
};

#endif
