/* Rules and actions (HAProxy's `http-request`, `http-response`,
 * `http-after-response`, `tcp-request`, `tcp-response`), compiled at load,
 * and the verdict a rule list returns to the stream.
 *
 * A rule is an action keyword with its compiled arguments and an optional
 * condition. Running a list evaluates the rules in order: most actions act
 * and go on; a final one (allow, deny, return...) stops the list and
 * decides. The stream then does what the verdict says (rules.h). */
#ifndef TANDEM_ACTION_T_H
#define TANDEM_ACTION_T_H
#include <stdint.h>
#include <stddef.h>
#include <tandem/acl-t.h>
#include <tandem/logfmt-t.h>
#include <tandem/sample-t.h>

/* What the stream must do after a rule list ran. */
enum rule_verdict {
	RV_CONTINUE = 0,  /* no final rule matched: go on */
	RV_ALLOW,         /* allow / accept: this list stops, processing goes on */
	RV_DENY,          /* answer res.reply (status res.status), count a denied request */
	RV_TARPIT,        /* hold the client for `timeout tarpit`, then answer res.reply */
	RV_REJECT,        /* close the client connection without an answer */
	RV_SILENT_DROP,   /* close abruptly (RST), no answer */
	RV_REPLY,         /* answer res.reply (return, redirect, auth, early answers) */
	RV_SERVICE,       /* hand the request to the service named res.service */
	RV_WAIT,          /* more data needed: run the list again when data arrive or
			   * after res.wait_ms; res.resume says where it stopped */
	RV_ERROR,         /* internal error (a rewrite failed in strict mode): answer 500 */
	RV_SWITCH_HTTP,   /* tcp-request content switch-mode http */
	RV_CLOSE,         /* tcp-response content close: close the server connection */
};

/* A response tandem builds itself. */
enum reply_type {
	REPLY_ERRFILE = 0,  /* the proxy's errorfile for <status>, else the built-in page */
	REPLY_RAW,          /* a response loaded from a file (errorfile): status, headers, body */
	REPLY_BODY,         /* status + content-type + hdr lines + a body (string or file) */
	REPLY_LF_BODY,      /* same, the body is a log-format string (lf-string, lf-file) */
	REPLY_ERRFILES,     /* the `http-errors` section <errs> for <status>, else as ERRFILE */
	REPLY_REDIRECT,     /* a redirect (struct redirect) */
	REPLY_AUTH,         /* 401 (or 407) asking for Basic credentials for <realm> */
};

struct reply_hdr {
	char          *name;
	struct logfmt *value;
};

struct http_errors;

/* Redirect kinds and flags (HAProxy's `redirect` options). */
enum { REDIR_LOCATION = 0, REDIR_PREFIX, REDIR_SCHEME };
enum {
	REDIR_F_DROP_QUERY   = 1u << 0,
	REDIR_F_APPEND_SLASH = 1u << 1,
	REDIR_F_SET_COOKIE   = 1u << 2,
	REDIR_F_CLEAR_COOKIE = 1u << 3,
	REDIR_F_IGNORE_EMPTY = 1u << 4,
};

struct redirect {
	int            kind;       /* REDIR_* */
	unsigned       flags;      /* REDIR_F_* */
	struct logfmt *target;     /* location / prefix / scheme */
	char          *cookie;     /* NAME=value (set-cookie) or NAME (clear-cookie) */
};

struct http_reply {
	int                type;   /* enum reply_type */
	int                status;
	char              *reason; /* NULL: the standard phrase */
	char              *ctype;  /* content-type, NULL: none */
	struct reply_hdr  *hdr;
	int                nhdr;
	char              *raw;    /* RAW: the header lines of an errorfile; BODY: the body */
	size_t             raw_len;
	char              *body;   /* RAW: the errorfile's body */
	size_t             body_len;
	struct logfmt     *lf;     /* LF_BODY */
	struct http_errors *errs;  /* ERRFILES */
	struct redirect   *redir;  /* REDIRECT */
	char              *realm;  /* AUTH: NULL = the proxy's name */
};

/* ---- rules ------------------------------------------------------------ */

/* Rule sets (where a rule may appear). */
enum {
	RS_TCP_CONN    = 1u << 0,
	RS_TCP_CONT    = 1u << 1,
	RS_HTTP_REQ    = 1u << 2,
	RS_TCP_RES     = 1u << 3,
	RS_HTTP_RES    = 1u << 4,
	RS_HTTP_AFTER  = 1u << 5,
	RS_TCP_SESS    = 1u << 6,
};

/* What an action returns to the list runner. */
enum act_ret {
	ACT_CONT = 0,   /* next rule */
	ACT_STOP,       /* stop the list with res->verdict already set */
	ACT_ERR,        /* rewrite failure: RV_ERROR in strict mode, else go on */
	ACT_WAIT,       /* need more data */
};

struct rule;
struct rule_result;
struct act_parse;

struct action_kw {
	const char *name;
	unsigned    where;           /* RS_* */
	/* compile args[*cur..] into <r>; advance *cur past what it used.
	 * 0, or -1 with the error reported. */
	int       (*parse)(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs);
	enum act_ret (*exec)(const struct rule *r, struct smp_ctx *ctx, struct rule_result *res);
	int         prefix;          /* name is a prefix: "set-var(" */
};

/* Compiled action arguments (one action uses a few of these). */
struct act_data {
	char            *name;       /* header name / service name */
	size_t           nlen;
	struct logfmt   *fmt;        /* value, path, uri, method, log-format... */
	struct regex    *re;
	struct smp_expr *expr;
	int              match;      /* del-header -m METHOD */
	int              ival;       /* status, log level, var id, capture slot, mode... */
	int              ival2;      /* capture length, set-var conditions... */
	uint32_t         ms;         /* delays */
	struct http_reply *reply;
	char            *str;        /* reason phrase, ... */
	struct smp_arg  *tab;        /* track-sc: the stick table (resolved after parsing) */
};

struct rule {
	const struct action_kw *kw;
	struct acl_cond        *cond;
	struct act_data         a;
	const char             *file; int line;
};

struct rule_list {
	struct rule *r;
	int          n;
};

/* The outcome of running a rule list. */
struct rule_result {
	int                       verdict;   /* enum rule_verdict */
	int                       status;    /* DENY, TARPIT, REPLY, ERROR: the status to send */
	const struct http_reply  *reply;     /* NULL: the built-in or errorfile page for <status> */
	const char               *service;   /* RV_SERVICE: service name */
	uint32_t                  wait_ms;   /* RV_WAIT: the longest wait allowed (0 = none) */
	size_t                    want_body; /* RV_WAIT from wait-for-body: bytes wanted (0 = the whole body) */
	int                       resume;    /* RV_WAIT: rule index to restart from */
	const char               *file;      /* the deciding rule (0/NULL: none) */
	int                       line;
	uint8_t                   expect_proxy; /* tcp-request connection expect-proxy layer4 ran */
};

#endif
