/* Types of the stats column table (src/admin/stats.c). Every output format
 * (CSV, HTML, JSON, Prometheus) reads values through the same
 * table and getters, so two formats can never disagree about a number. */
#ifndef TANDEM_STATS_T_H
#define TANDEM_STATS_T_H
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct proxy;
struct server;
struct bind_conf;

/* Kinds of rows (HAProxy's F, B and S letters in its CSV documentation). */
enum { STO_FE = 1, STO_BE = 2, STO_SRV = 4, STO_LI = 8 };   /* LI: a listener (option socket-stats) */

/* What a getter produced. */
enum stat_vtype {
	STV_NONE = 0,  /* no value for this row: empty CSV cell / empty HTML cell */
	STV_U64,       /* counter, gauge or limit */
	STV_S64,       /* signed number (-1 = never, as HAProxy) */
	STV_STR,       /* text (names, status, address) */
	STV_AGE,       /* seconds; plain number in CSV, "1h02m" in HTML */
};

struct stat_val {
	int      type;         /* enum stat_vtype */
	uint64_t u;            /* STV_U64, STV_AGE */
	int64_t  s;            /* STV_S64 */
	const char *str;       /* STV_STR; may point into sbuf */
	char     sbuf[160];    /* storage for computed text (addresses, a check's info: HS_DESC_LEN) */
};

/* One row of the report: a frontend, a backend or one server. */
struct stat_row {
	int obj;                     /* STO_* */
	const struct cfg *cfg;
	const struct proxy *px;
	const struct server *srv;    /* server rows only */
	const struct bind_conf *li;  /* listener rows only */
	uint64_t now_s;              /* wall clock seconds, for ages */
	uint64_t now_ms;             /* wall clock milliseconds, for rates */
};

/* One column. Its position in stat_cols[] is its HAProxy CSV position. */
struct stat_col {
	const char *name;    /* HAProxy CSV name ("scur") */
	const char *label;   /* short human title ("Cur"), NULL = not on the HTML page */
	const char *desc;    /* one-line description (HTML tooltip, dashboards) */
	unsigned scope;      /* STO_* rows that carry a value */
	void (*get)(const struct stat_row *r, int arg, struct stat_val *v);  /* NULL: tandem has no data */
	int arg;             /* getter argument (e.g. offset of a counter) */
};

/* HAProxy's static CSV fields (management guide, "CSV format"), in order,
 * then tandem's own (after HAProxy's last, as HAProxy appends the fields
 * of its stats modules). */
enum stat_field {
	ST_F_PXNAME, ST_F_SVNAME, ST_F_QCUR, ST_F_QMAX, ST_F_SCUR, ST_F_SMAX, ST_F_SLIM,
	ST_F_STOT, ST_F_BIN, ST_F_BOUT, ST_F_DREQ, ST_F_DRESP, ST_F_EREQ, ST_F_ECON,
	ST_F_ERESP, ST_F_WRETR, ST_F_WREDIS, ST_F_STATUS, ST_F_WEIGHT, ST_F_ACT, ST_F_BCK,
	ST_F_CHKFAIL, ST_F_CHKDOWN, ST_F_LASTCHG, ST_F_DOWNTIME, ST_F_QLIMIT, ST_F_PID,
	ST_F_IID, ST_F_SID, ST_F_THROTTLE, ST_F_LBTOT, ST_F_TRACKED, ST_F_TYPE, ST_F_RATE,
	ST_F_RATE_LIM, ST_F_RATE_MAX, ST_F_CHECK_STATUS, ST_F_CHECK_CODE,
	ST_F_CHECK_DURATION, ST_F_HRSP_1XX, ST_F_HRSP_2XX, ST_F_HRSP_3XX, ST_F_HRSP_4XX,
	ST_F_HRSP_5XX, ST_F_HRSP_OTHER, ST_F_HANAFAIL, ST_F_REQ_RATE, ST_F_REQ_RATE_MAX,
	ST_F_REQ_TOT, ST_F_CLI_ABRT, ST_F_SRV_ABRT, ST_F_COMP_IN, ST_F_COMP_OUT,
	ST_F_COMP_BYP, ST_F_COMP_RSP, ST_F_LASTSESS, ST_F_LAST_CHK, ST_F_LAST_AGT,
	ST_F_QTIME, ST_F_CTIME, ST_F_RTIME, ST_F_TTIME, ST_F_AGENT_STATUS, ST_F_AGENT_CODE,
	ST_F_AGENT_DURATION, ST_F_CHECK_DESC, ST_F_AGENT_DESC, ST_F_CHECK_RISE,
	ST_F_CHECK_FALL, ST_F_CHECK_HEALTH, ST_F_AGENT_RISE, ST_F_AGENT_FALL,
	ST_F_AGENT_HEALTH, ST_F_ADDR, ST_F_COOKIE, ST_F_MODE, ST_F_ALGO, ST_F_CONN_RATE,
	ST_F_CONN_RATE_MAX, ST_F_CONN_TOT, ST_F_INTERCEPTED, ST_F_DCON, ST_F_DSES,
	ST_F_WREW, ST_F_CONNECT, ST_F_REUSE, ST_F_CACHE_LOOKUPS, ST_F_CACHE_HITS,
	ST_F_SRV_ICUR, ST_F_SRV_ILIM, ST_F_QT_MAX, ST_F_CT_MAX, ST_F_RT_MAX, ST_F_TT_MAX,
	ST_F_EINT, ST_F_IDLE_CONN_CUR, ST_F_SAFE_CONN_CUR, ST_F_USED_CONN_CUR,
	ST_F_NEED_CONN_EST, ST_F_UWEIGHT,
	ST_F_PASSIVE_STATE,          /* tandem: passive health as a circuit breaker */
	ST_F_TOTAL
};

/* A growable text buffer for renderers. Allocation failures are sticky:
 * later appends do nothing and stats_sb_finish() returns NULL. */
struct stats_sb {
	char  *s;
	size_t len, cap;
	int    err;
};

#endif
