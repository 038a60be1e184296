/* Protocol health checks: `option mysql-check [user U [post-41|pre-41]]`,
 * `option pgsql-check user U`, `option redis-check`, `option
 * ssl-hello-chk`, `option smtpchk [HELO|EHLO DOMAIN]`, `option
 * ldap-check`. Each is a built-in tcp-check sequence with HAProxy's exact
 * exchange (its src/tcpcheck.c rulesets): the bytes sent, what is
 * expected, the statuses and the info texts of the log lines. The rules go
 * to chk_px.ptcp and run on the tcp-check engine (src/check/check_tcp.c);
 * the judgements a pattern cannot express (MySQL packets, LDAP's bind
 * response) are custom functions of src/check/check_proto.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include "kw_check.h"

#define PX (ctx->px)

static struct chk_tcp_rule *add(struct chk_px *p, int act)
{
	struct chk_tcp_rule *nt = realloc(p->ptcp, (size_t)(p->nptcp + 1) * sizeof(*nt));

	if (!nt)
		return NULL;
	p->ptcp = nt;
	memset(&nt[p->nptcp], 0, sizeof(*nt));
	nt[p->nptcp].act = act;
	nt[p->nptcp].exp.min_recv = -1;
	return &nt[p->nptcp++];
}

/* `tcp-check connect default linger` */
static int add_connect(struct chk_px *p)
{
	struct chk_tcp_rule *r = add(p, TCR_CONNECT);

	if (!r)
		return -1;
	r->dflt = 1;
	r->linger = 1;
	return 0;
}

static int add_send(struct chk_px *p, const void *data, size_t len, int dyn)
{
	struct chk_tcp_rule *r = add(p, TCR_SEND);

	if (!r || !(r->data = malloc(len ? len : 1)))
		return -1;
	memcpy(r->data, data, len);
	r->len = len;
	r->dyn = dyn;
	return 0;
}

/* An expectation: <type> EXP_*, <pat> its pattern (a regex for R*). */
static struct chk_tcp_rule *add_expect(struct chk_px *p, int type, const char *pat, int inverse, int min_recv)
{
	struct chk_tcp_rule *r = add(p, TCR_EXPECT);

	if (!r)
		return NULL;
	r->exp.type = type;
	r->exp.inverse = inverse;
	r->exp.min_recv = min_recv;
	if (pat && !(r->exp.pat = strdup(pat)))
		return NULL;
	if (type == EXP_RSTRING || type == EXP_RBINARY) {
		if (regcomp(&r->exp.re, pat, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
			return NULL;
		r->exp.has_re = 1;
	}
	return r;
}

static int set_text(char **dst, const char *t)
{
	return (*dst = strdup(t)) ? 0 : -1;
}

/* ---- the rulesets ---- */

static int build_redis(struct chk_px *p)
{
	static const char req[] = "*1\r\n$4\r\nPING\r\n";
	struct chk_tcp_rule *r;

	if (add_send(p, req, sizeof(req) - 1, 0) < 0 ||
	    !(r = add_expect(p, EXP_STRING, "+PONG\r\n", 0, -1)))
		return -1;
	r->exp.err_status = HCHK_L7STS;
	r->exp.err_msg = EMSG_PAYLOAD;
	r->exp.ok_msg = EMSG_TEXT;
	return set_text(&r->exp.ok_text, "Redis server is ok");
}

/* An SSLv3 CLIENT HELLO (RFC 2246 A.3, A.4): 39 common ciphers, no
 * session id, null compression; the time is written when it is sent
 * (check_proto.c), the random is HAProxy's "HAPROXYSSLCHK\n" twice. */
static int build_ssl3(struct chk_px *p)
{
	unsigned char hello[126], *b = hello;
	static const unsigned short ciphers[] = {
		0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x000A,
		0x000B, 0x000C, 0x000D, 0x000E, 0x000F, 0x0010, 0x0011, 0x0012, 0x0013, 0x0014,
		0x0015, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x001B, 0x002F, 0x0030, 0x0031,
		0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A,
	};
	struct chk_tcp_rule *r;

	*b++ = 0x16; *b++ = 0x03; *b++ = 0x00; *b++ = 0x00; *b++ = 0x79;   /* handshake, SSLv3, 0x79 bytes */
	*b++ = 0x01; *b++ = 0x00; *b++ = 0x00; *b++ = 0x75;                 /* client hello, 0x75 bytes */
	*b++ = 0x03; *b++ = 0x00;                                           /* version 3.0 */
	memset(b, 0, 4); b += 4;                                            /* gmt time (offset 11) */
	memcpy(b, "HAPROXYSSLCHK\nHAPROXYSSLCHK\n", 28); b += 28;           /* random */
	*b++ = 0x00;                                                        /* no session id */
	*b++ = 0x00; *b++ = 0x4E;                                           /* 78 bytes of suites */
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		*b++ = (unsigned char)(ciphers[i] >> 8);
		*b++ = (unsigned char)ciphers[i];
	}
	*b++ = 0x01; *b++ = 0x00;                                           /* null compression */
	if (add_send(p, hello, (size_t)(b - hello), CHK_DYN_SSL3_HELLO) < 0 ||
	    !(r = add_expect(p, EXP_RBINARY, "^1[56]", 0, 5)))
		return -1;
	r->exp.ok_status = HCHK_L6OK;
	r->exp.err_status = HCHK_L6RSP;
	r->exp.tout_status = HCHK_L6TOUT;
	return 0;
}

static int build_smtp(struct chk_px *p, const char *cmd)
{
	struct chk_tcp_rule *r;
	char line[600];

	if (add_connect(p) < 0 || !(r = add_expect(p, EXP_RSTRING, "^[0-9]{3}[ \r]", 0, 4)))
		return -1;
	r->exp.err_status = HCHK_L7RSP;
	r->exp.err_msg = EMSG_PAYLOAD;
	if (!(r = add_expect(p, EXP_RSTRING, "^2[0-9]{2}[ \r]", 0, 4)))
		return -1;
	r->exp.err_status = HCHK_L7STS;
	r->exp.err_msg = EMSG_PAYLOAD;
	r->exp.err_off = 4;
	r->exp.code_from_payload = 1;
	/* the whole (multi-line) answer to HELO/EHLO, then a QUIT and its
	 * answer: a clean end for the server's logs (HAProxy 2.6.7 on) */
	snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (add_send(p, line, strlen(line), 0) < 0 ||
	    !(r = add_expect(p, EXP_RSTRING, "^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]", 0, -1)))
		return -1;
	r->exp.err_status = HCHK_L7STS;
	r->exp.err_msg = r->exp.ok_msg = EMSG_PAYLOAD;
	r->exp.err_off = r->exp.ok_off = 4;
	r->exp.code_from_payload = 1;
	if (add_send(p, "QUIT\r\n", 6, 0) < 0 || !(r = add_expect(p, EXP_RSTRING, "^2[0-9]{2}[- \r]", 0, 4)))
		return -1;
	r->exp.err_status = HCHK_L7STS;
	r->exp.err_msg = r->exp.ok_msg = EMSG_PAYLOAD;
	r->exp.err_off = r->exp.ok_off = 4;
	r->exp.code_from_payload = 1;
	return 0;
}

static int build_pgsql(struct chk_px *p, const char *user)
{
	size_t ul = strlen(user), plen = 15 + ul, n = 0;
	unsigned char *req = malloc(plen);
	struct chk_tcp_rule *r;
	int rc = -1;

	if (!req)
		return -1;
	req[n++] = (unsigned char)(plen >> 24); req[n++] = (unsigned char)(plen >> 16);
	req[n++] = (unsigned char)(plen >> 8);  req[n++] = (unsigned char)plen;
	memcpy(req + n, "\x00\x03\x00\x00", 4); n += 4;   /* protocol 3.0 */
	memcpy(req + n, "user", 5); n += 5;               /* "user" and its NUL */
	memcpy(req + n, user, ul + 1); n += ul + 1;
	req[n++] = 0;
	if (add_connect(p) < 0 || add_send(p, req, n, 0) < 0 ||
	    !(r = add_expect(p, EXP_RSTRING, "^E", 1, 5)))
		goto out;
	r->exp.err_status = HCHK_L7RSP;
	r->exp.err_msg = EMSG_PAYLOAD_RAW;
	r->exp.err_off = 6;
	if (!(r = add_expect(p, EXP_RBINARY, "^52000000(08|0A|0C)000000(00|02|03|04|05|06)", 0, 9)))
		goto out;
	r->exp.err_status = HCHK_L7STS;
	r->exp.ok_msg = r->exp.err_msg = EMSG_TEXT;
	if (set_text(&r->exp.ok_text, "PostgreSQL server is ok") < 0 ||
	    set_text(&r->exp.err_text, "PostgreSQL unknown error") < 0)
		goto out;
	rc = 0;
out:
	free(req);
	return rc;
}

/* MySQL: the handshake (and with a user, a client authentication packet
 * then COM_QUIT, and the server's answer to it) judged by check_proto.c. */
static int build_mysql(struct chk_px *p, const char *user, int post41)
{
	struct chk_tcp_rule *r;

	if (add_connect(p) < 0)
		return -1;
	if (user) {
		size_t ul = strlen(user), plen = post41 ? ul + 7 + 27 : ul + 7, n = 0;
		unsigned char *req = calloc(1, plen + 4 + 5);
		int rc;

		if (!req)
			return -1;
		req[n++] = (unsigned char)plen; req[n++] = (unsigned char)(plen >> 8);
		req[n++] = (unsigned char)(plen >> 16); req[n++] = 1;               /* length, sequence 1 */
		if (post41) {
			memcpy(req + n, "\x00\x82\x00\x00", 4); n += 4;            /* capabilities */
			memcpy(req + n, "\x00\x80\x00\x01", 4); n += 4;            /* max packet */
			req[n++] = 0x21;                                           /* charset utf8 */
			n += 23;                                                   /* zeroes */
		} else {
			memcpy(req + n, "\x00\x80", 2); n += 2;                    /* capabilities */
			memcpy(req + n, "\x00\x00\x01", 3); n += 3;                /* max packet */
		}
		memcpy(req + n, user, ul + 1); n += ul + 1;                        /* user and NUL */
		req[n++] = 0;                                                      /* filler */
		memcpy(req + n, "\x01\x00\x00\x00\x01", 5); n += 5;               /* COM_QUIT */
		rc = add_send(p, req, n, 0);
		free(req);
		if (rc < 0)
			return -1;
	}
	if (!(r = add_expect(p, EXP_CUSTOM, NULL, 0, -1)))
		return -1;
	r->exp.custom = chk_mysql_iniths;
	if (user) {
		if (!(r = add_expect(p, EXP_CUSTOM, NULL, 0, -1)))
			return -1;
		r->exp.custom = chk_mysql_ok;
	}
	return 0;
}

static int build_ldap(struct chk_px *p)
{
	static const unsigned char req[] = {   /* anonymous simple bind, LDAPv3 */
		0x30, 0x0C, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00
	};
	struct chk_tcp_rule *r;

	if (add_send(p, req, sizeof(req), 0) < 0 || !(r = add_expect(p, EXP_RBINARY, "^30", 0, 14)))
		return -1;
	r->exp.err_msg = EMSG_TEXT;
	if (set_text(&r->exp.err_text, "Not LDAPv3 protocol") < 0 || !(r = add_expect(p, EXP_CUSTOM, NULL, 0, -1)))
		return -1;
	r->exp.custom = chk_ldap_bindrsp;
	return 0;
}

/* ---- the options ---- */

int cfg_is_proto_check(const char *o)
{
	return !strcmp(o, "mysql-check") || !strcmp(o, "pgsql-check") || !strcmp(o, "redis-check") ||
	       !strcmp(o, "ssl-hello-chk") || !strcmp(o, "smtpchk") || !strcmp(o, "ldap-check");
}

int cfg_opt_proto_check(struct cfg_ctx *ctx, struct chk_px *p, char **args, int nargs)
{
	const char *o = args[1];
	int rc;

	if (ctx->no)
		return cfg_err(ctx, "'no option %s' is not supported (select another check instead).", o);
	chk_px_drop_proto(p);
	if (!strcmp(o, "redis-check") || !strcmp(o, "ssl-hello-chk") || !strcmp(o, "ldap-check")) {
		if (cfg_max_args(ctx, args + 1, nargs - 1, 0) < 0)
			return -1;
		p->proto = o[0] == 'r' ? CHK_PROTO_REDIS : o[0] == 's' ? CHK_PROTO_SSL3 : CHK_PROTO_LDAP;
		rc = p->proto == CHK_PROTO_REDIS ? build_redis(p) : p->proto == CHK_PROTO_SSL3 ? build_ssl3(p) : build_ldap(p);
	} else if (!strcmp(o, "smtpchk")) {
		char cmd[600] = "HELO localhost";

		if (cfg_max_args(ctx, args + 1, nargs - 1, 2) < 0)
			return -1;
		/* HAProxy: any other command than HELO or EHLO, or a missing
		 * domain, is the default command */
		if (nargs > 3 && *args[3] && (!strcmp(args[2], "HELO") || !strcmp(args[2], "EHLO"))) {
			if (strlen(args[3]) > 500)
				return cfg_err(ctx, "'option smtpchk': domain name too long.");
			snprintf(cmd, sizeof(cmd), "%s %s", args[2], args[3]);
		}
		p->proto = CHK_PROTO_SMTP;
		rc = build_smtp(p, cmd);
	} else if (!strcmp(o, "pgsql-check")) {
		if (cfg_max_args(ctx, args + 1, nargs - 1, 2) < 0)
			return -1;
		if (nargs < 4 || !*args[3])
			return cfg_err(ctx, "'option pgsql-check' expects 'user <username>' as argument.");
		if (strcmp(args[2], "user"))
			return cfg_err(ctx, "'option pgsql-check' only supports optional values: 'user'.");
		if (strlen(args[3]) > 1000)
			return cfg_err(ctx, "'option pgsql-check': user name too long.");
		p->proto = CHK_PROTO_PGSQL;
		rc = build_pgsql(p, args[3]);
	} else {   /* mysql-check [user U [post-41|pre-41]] */
		int post41 = 1;

		if (cfg_max_args(ctx, args + 1, nargs - 1, 3) < 0)
			return -1;
		if (nargs > 2 && strcmp(args[2], "user"))
			return cfg_err(ctx, "'option mysql-check' only supports optional values: 'user' (got '%s').", args[2]);
		if (nargs > 2 && (nargs < 4 || !*args[3]))
			return cfg_err(ctx, "'option mysql-check user' expects <username> as argument.");
		if (nargs > 4) {
			if (!strcmp(args[4], "pre-41"))
				post41 = 0;
			else if (strcmp(args[4], "post-41"))
				return cfg_err(ctx, "keyword 'user' only supports 'post-41' and 'pre-41' (got '%s').", args[4]);
		}
		if (nargs > 3 && strlen(args[3]) > 1000)
			return cfg_err(ctx, "'option mysql-check': user name too long.");
		p->proto = CHK_PROTO_MYSQL;
		rc = build_mysql(p, nargs > 3 ? args[3] : NULL, post41);
	}
	if (rc < 0)
		return cfg_err(ctx, "out of memory");
	p->type = CHK_TYPE_TCP;
	return 0;
}
