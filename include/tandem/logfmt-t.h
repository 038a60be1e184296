/* Log-format strings (HAProxy's section 8.2.6): `log-format`,
 * `error-log-format`, `unique-id-format`, and every value HAProxy takes as
 * a log-format string (set-header values, redirect locations, return
 * bodies...). Compiled once into a list of nodes: literal text,
 * %-variables (aliases) and %[sample expressions], each with its flags. */
#ifndef TANDEM_LOGFMT_T_H
#define TANDEM_LOGFMT_T_H
#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <tandem/sample-t.h>

enum lf_node_type {
	LF_TEXT = 0,
	LF_ALIAS,
	LF_EXPR,
	LF_SEP,     /* a word separator of a log-format directive: one space, merged
		     * with its neighbours, dropped after a field that printed nothing */
};

/* Node flags: %{+Q}, %{+X}, %{+E} (and %o spreading them). */
enum { LF_F_QUOTE = 1u << 0, LF_F_HEX = 1u << 1, LF_F_ESC = 1u << 2 };

struct lf_node {
	uint8_t          type;     /* enum lf_node_type */
	uint8_t          flags;    /* LF_F_* */
	uint16_t         alias;    /* LF_ALIAS: enum lf_alias (logfmt.c) */
	char            *text;     /* LF_TEXT: literal bytes */
	size_t           len;
	struct smp_expr *expr;     /* LF_EXPR */
};

struct logfmt {
	struct lf_node *node;
	int             n;
	uint32_t        src;       /* union of the SMP_SRC_* its expressions need */
	int             literal;   /* only text: rendering is a copy */
	char           *text;      /* as written */
};

/* What the %-variables show, filled by the stream. Times are milliseconds,
 * -1 when that step was never reached (HAProxy's convention). Anything a
 * rule-time rendering (a header value, a unique id) does not know yet is
 * left at its "unknown" value and prints as HAProxy prints it then. */
struct lf_info {
	int      Th, Ti, TR, Tw, Tc, Tr, Ta, Tt;
	uint64_t accept_us;        /* wall clock, connection accepted (%t %T %Tl %Ts %ms) */
	uint64_t req_us;           /* wall clock, request started (%tr %trg %trl); 0 = accept_us */
	int      status;           /* -1 = none */
	uint64_t bytes_out;        /* %B */
	uint64_t bytes_in;         /* %U */
	char     term[4];          /* termination state, '-' where unset */
	int      actconn, feconn, beconn, srvconn, retries, redispatched, srv_queue, be_queue;
	const char *req_line;      /* "GET / HTTP/1.1" as received, NULL = none (<BADREQ>) */
	size_t   req_line_len;
	const struct sockaddr_storage *cli, *frt;      /* %ci %cp, %fi %fp (NULL: from the context) */
	const struct sockaddr_storage *srv_addr;       /* %si %sp, NULL = none */
	const struct sockaddr_storage *bck_src;        /* %bi %bp, NULL = none */
	uint64_t uniq_id;          /* %rt */
	uint64_t log_counter;      /* %lc */
	int      logasap;          /* option logasap: totals prefixed with '+' */
	int      http;             /* the transaction is HTTP */
};

#endif
