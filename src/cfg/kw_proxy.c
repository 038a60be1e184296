/* Keywords of `defaults`, `frontend`, `backend` and `listen` sections.
 *
 * Where a keyword may appear is in the table at the end (KW_* masks; a
 * keyword in the wrong kind of section is an error). Tuning keywords that
 * HAProxy merely ignores with a warning when the proxy lacks the frontend
 * or backend side (timeouts, options, retries...) do the same here through
 * cfg_px_has_cap(). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/h1.h>
#include <tandem/rules.h>
#include <tandem/ssl.h>
#include "cfg_int.h"
#include "kw_check.h"
#include "kw_ssl.h"

#define PX (ctx->px)

static int kw_mode(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs < 2)
		return cfg_err(ctx, "'mode' expects 'http' or 'tcp'.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (strcmp(args[1], "http") == 0)
		PX->mode = PR_MODE_HTTP;
	else if (strcmp(args[1], "tcp") == 0)
		PX->mode = PR_MODE_TCP;
	else if (strcmp(args[1], "health") == 0)
		return cfg_err(ctx, "'mode health' doesn't exist anymore (HAProxy removed it too).");
	else
		return cfg_err(ctx, "unknown proxy mode '%s' (tandem supports 'http' and 'tcp').", args[1]);
	return 0;
}

/* ---- bind ---- */

static int in_list(const char *const *l, const char *w)
{
	for (; *l; l++)
		if (strcmp(*l, w) == 0)
			return 1;
	return 0;
}

/* A port range "ADDR:LOW-HIGH" (HAProxy's): *lo and *hi, or both 0 when
 * <a> has a single port. -1 when the range is invalid. */
static int bind_port_range(const char *a, int *lo, int *hi)
{
	const char *c = strrchr(a, ':'), *d;
	long long l, h;
	char buf[16];

	*lo = *hi = 0;
	if (!c || (strchr(a, ']') && c < strchr(a, ']')) || !(d = strchr(c + 1, '-')))
		return 0;
	if ((size_t)(d - c - 1) >= sizeof(buf))
		return -1;
	memcpy(buf, c + 1, (size_t)(d - c - 1));
	buf[d - c - 1] = 0;
	if (cfg_parse_int(buf, 1, 65535, &l) < 0 || cfg_parse_int(d + 1, 1, 65535, &h) < 0 || h < l)
		return -1;
	*lo = (int)l;
	*hi = (int)h;
	return 0;
}

/* bind ADDR:PORT[,ADDR:PORT...] [options]: one bind_conf per address (and
 * per port of a range), all sharing the options. */
int cfg_kw_bind(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct bind_conf opt = { 0 };
	struct ssl_bind_conf *sc = NULL;   /* TLS options (kw_ssl.c), shared by the line's addresses */
	char *list, *tok, *save = NULL;
	int ret = 0;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'bind' expects [<addr>]:<port>[,...] as arguments.");
	for (int i = 2; i < nargs; i++) {
		const char *o = args[i];
		long long v;
		int r = cfg_bind_ssl_kw(ctx, &sc, args[1], args, i, nargs);

		if (r < 0) {
			ssl_bind_conf_release(sc);
			return -1;
		}
		if (r > 0) {
			i += r - 1;
			continue;
		}
		if (strcmp(o, "name") == 0 && i + 1 < nargs) {
			opt.name = args[++i];
		} else if (strcmp(o, "v4v6") == 0) {
			opt.v4v6 = 1;
		} else if (strcmp(o, "v6only") == 0) {
			opt.v6only = 1;
		} else if (strcmp(o, "freebind") == 0) {
			opt.freebind = 1;
		} else if (strcmp(o, "accept-proxy") == 0) {
			opt.accept_proxy = 1;
		} else if (strcmp(o, "backlog") == 0 || strcmp(o, "maxconn") == 0) {
			if (cfg_arg_int(ctx, o, args[i + 1], 1, 10000000, &v) < 0) {
				ssl_bind_conf_release(sc);
				return -1;
			}
			if (*o == 'b')
				opt.backlog = (int)v;
			else
				opt.maxconn = (int)v;
			i++;
		} else {
			ssl_bind_conf_release(sc);
			if (strcmp(o, "name") == 0)
				return cfg_err(ctx, "'bind' : 'name' expects an argument.");
			if (strcmp(o, "transparent") == 0)
				return cfg_err(ctx, "'bind' : 'transparent' is not supported by tandem ('freebind' binds an address not configured yet).");
			return cfg_err(ctx, "'bind' : option '%s' is not supported by tandem (supported: name, v4v6, v6only, "
				       "freebind, backlog, maxconn, accept-proxy, and the TLS options of doc/tls.md).", o);
		}
	}
	if (opt.v4v6 && opt.v6only) {
		ssl_bind_conf_release(sc);
		return cfg_err(ctx, "'bind' : 'v4v6' and 'v6only' are mutually exclusive.");
	}

	if (!(list = strdup(args[1]))) {
		ssl_bind_conf_release(sc);
		return cfg_err(ctx, "out of memory");
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char one[600], exp[512];
		int lo, hi;

		/* environment variables first, so that a port range may come from one */
		if (strchr(tok, '$') && cfg_env_expand(tok, exp, sizeof(exp)) == 0)
			tok = exp;
		/* ADDR:LOW-HIGH: one listener per port, as HAProxy */
		if (bind_port_range(tok, &lo, &hi) < 0) {
			ret = cfg_err(ctx, "'bind' : invalid port range in '%s'.", tok);
			continue;
		}
		for (int port = lo; port <= hi; port++) {
			struct bind_conf *b;
			char why[512];

			if (lo)
				snprintf(one, sizeof(one), "%.*s:%d", (int)(strrchr(tok, ':') - tok), tok, port);
			else
				snprintf(one, sizeof(one), "%s", tok);
			if (!(b = calloc(1, sizeof(*b)))) {
				ret = cfg_err(ctx, "out of memory");
				break;
			}
			*b = opt;
			list_init(&b->link);
			b->fe = PX;
			b->fd = -1;
			b->file = ctx->file;
			b->line = ctx->line;
			b->name = NULL;
			if (cfg_addr_ex(one, &b->addr, &b->addrlen, ADDR_PORT_MANDATORY, 0, why, sizeof(why)) < 0) {
				free(b);
				ret = cfg_err(ctx, "'bind' : %s.", why);
				break;
			}
			if (!(b->addr_str = strdup(one)) || (opt.name && !(b->name = strdup(opt.name)))) {
				free(b->addr_str);
				free(b);
				ret = cfg_err(ctx, "out of memory");
				break;
			}
			if ((b->ssl = sc))
				sc->refs++;
			list_add_tail(&PX->binds, &b->link);
			b->luid = ++PX->nbind;
			b->ctr = ctr_new();   /* option socket-stats */
		}
	}
	free(list);
	ssl_bind_conf_release(sc);   /* the binds hold theirs */
	return ret;
}

/* ---- routing and balancing ---- */

static int kw_default_backend(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'default_backend' expects a backend name.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	PX->defbe_line = ctx->line;
	return cfg_strdup(ctx, &PX->defbe_name, args[1]);
}

static int kw_balance(struct cfg_ctx *ctx, char **args, int nargs)
{
	static const char *const later[] = { "log-hash", "sticky", NULL };
	const char *a;

	if (nargs < 2)
		return cfg_err(ctx, "'balance' expects an algorithm (roundrobin, static-rr, leastconn, source, first, random, uri, url_param, hdr(), rdp-cookie or hash).");
	a = args[1];
	PX->lb_set = 1;   /* a `dispatch` address is then ignored, as in HAProxy */
	if (strcmp(a, "roundrobin") == 0)
		PX->lbalgo = LB_ROUNDROBIN;
	else if (strcmp(a, "static-rr") == 0)
		PX->lbalgo = LB_STATIC_RR;
	else if (strcmp(a, "leastconn") == 0)
		PX->lbalgo = LB_LEASTCONN;
	else if (strcmp(a, "source") == 0)
		PX->lbalgo = LB_SOURCE;
	else if (strcmp(a, "first") == 0)
		PX->lbalgo = LB_FIRST;
	else if (strncmp(a, "random", 6) == 0 && (a[6] == 0 || a[6] == '(')) {
		long long n = 2;
		if (a[6] == '(') {
			char *end;
			n = strtoll(a + 7, &end, 10);
			if (end == a + 7 || strcmp(end, ")") || n < 1 || n > 100)
				return cfg_err(ctx, "'balance random(N)': N must be a number between 1 and 100 (got '%s').", a);
		}
		PX->lbalgo = LB_RANDOM;
		PX->lb_draws = (int)n;
	} else if (!strcmp(a, "uri") || !strcmp(a, "url_param") || !strcmp(a, "hash") ||
		   !strncmp(a, "hdr(", 4) || !strncmp(a, "rdp-cookie", 10)) {
		/* the hash forms take their own arguments (kw_stick.c) */
		return cfg_balance_hash(ctx, args, nargs);
	} else if (in_list(later, a))
		return cfg_err(ctx, "balance algorithm '%s' is not supported yet (supported: roundrobin, static-rr, leastconn, source, first, random, uri, url_param, hdr(), rdp-cookie, hash).", a);
	else
		return cfg_err(ctx, "unknown balance algorithm '%s'.", a);
	return cfg_max_args(ctx, args, nargs, 1);
}

/* ---- timeouts, retries, limits ---- */

static const struct {
	const char *name;
	size_t off;
	int cap;
} timeouts[] = {
	{ "client",          offsetof(struct timeouts, client),          PR_CAP_FE },
	{ "client-fin",      offsetof(struct timeouts, client_fin),      PR_CAP_FE },
	{ "http-request",    offsetof(struct timeouts, http_request),    PR_CAP_FE | PR_CAP_BE },
	{ "http-keep-alive", offsetof(struct timeouts, http_keep_alive), PR_CAP_FE | PR_CAP_BE },
	{ "server",          offsetof(struct timeouts, server),          PR_CAP_BE },
	{ "server-fin",      offsetof(struct timeouts, server_fin),      PR_CAP_BE },
	{ "connect",         offsetof(struct timeouts, connect),         PR_CAP_BE },
	{ "queue",           offsetof(struct timeouts, queue),           PR_CAP_BE },
	{ "tunnel",          offsetof(struct timeouts, tunnel),          PR_CAP_BE },
	{ "check",           offsetof(struct timeouts, check),           PR_CAP_BE },
	{ "tarpit",          offsetof(struct timeouts, tarpit),          PR_CAP_FE | PR_CAP_BE },
};

static int kw_timeout(struct cfg_ctx *ctx, char **args, int nargs)
{
	char kw[64];
	uint32_t ms;
	size_t i;

	if (nargs < 2)
		return cfg_err(ctx, "'timeout' expects a timeout name and a value.");
	for (i = 0; i < ARRAY_SIZE(timeouts); i++)
		if (strcmp(args[1], timeouts[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(timeouts))
		return cfg_err(ctx, "'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', "
			       "'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '%s').", args[1]);
	snprintf(kw, sizeof(kw), "timeout %s", args[1]);
	if (nargs > 3)
		return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
	if (cfg_arg_time(ctx, kw, args[2], &ms) < 0)
		return -1;
	if (!cfg_px_has_cap(ctx, timeouts[i].cap, kw))
		return 0;
	*(uint32_t *)((char *)&PX->to + timeouts[i].off) = ms;
	return 0;
}

static int kw_int_setting(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;
	int cap = PR_CAP_BE;
	int *dst;
	long long max = 10000000;

	if (strcmp(args[0], "retries") == 0) {
		dst = &PX->retries;
		max = 1000;
	} else if (strcmp(args[0], "maxconn") == 0) {
		dst = &PX->maxconn;
		cap = PR_CAP_FE;
	} else {
		dst = &PX->fullconn;
	}
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_int(ctx, args[0], args[1], 0, max, &v) < 0)
		return -1;
	if (cfg_px_has_cap(ctx, cap, args[0]))
		*dst = (int)v;
	return 0;
}

static int kw_http_reuse(struct cfg_ctx *ctx, char **args, int nargs)
{
	static const char *const modes[] = { "never", "safe", "aggressive", "always" };
	size_t i;

	if (nargs < 2)
		return cfg_err(ctx, "'http-reuse' expects 'never', 'safe', 'aggressive' or 'always'.");
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (strcmp(args[1], modes[i]) == 0)
			break;
	if (i == ARRAY_SIZE(modes))
		return cfg_err(ctx, "'http-reuse' expects 'never', 'safe', 'aggressive' or 'always', got '%s'.", args[1]);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (cfg_px_has_cap(ctx, PR_CAP_BE, "http-reuse"))
		PX->http_reuse = (int)i;  /* REUSE_* follow the same order */
	return 0;
}

/* ---- options ---- */

static const struct {
	const char *name;
	uint32_t flag;
	int cap;
} bool_opts[] = {
	{ "dontlognull",         PR_O_DONTLOGNULL,         PR_CAP_FE },
	{ "dontlog-normal",      PR_O_DONTLOG_NORMAL,      PR_CAP_FE },
	{ "log-separate-errors", PR_O_LOG_SEPARATE_ERRORS, PR_CAP_FE },
	{ "logasap",             PR_O_LOGASAP,             PR_CAP_FE },
	{ "abortonclose",        PR_O_ABORTONCLOSE,        PR_CAP_BE },
	{ "tcpka",               PR_O_TCP_KA,              PR_CAP_FE | PR_CAP_BE },
	{ "clitcpka",            PR_O_TCP_KA,              PR_CAP_FE },
	{ "srvtcpka",            PR_O_TCP_KA,              PR_CAP_BE },
	{ "http-buffer-request", PR_O_HTTP_BUF_REQ,        PR_CAP_FE | PR_CAP_BE },
	{ "log-health-checks",   PR_O_LOG_HCHKS,           PR_CAP_BE },
	{ "splice-request",      PR_O_SPLICE_REQ,          PR_CAP_FE | PR_CAP_BE },
	{ "splice-response",     PR_O_SPLICE_RSP,          PR_CAP_FE | PR_CAP_BE },
	{ "splice-auto",         PR_O_SPLICE_AUTO,         PR_CAP_FE | PR_CAP_BE },
	{ "socket-stats",        PR_O_SOCKET_STATS,        PR_CAP_FE },
	/* the three HTTP connection modes exclude each other */
	{ "http-keep-alive",     PR_O_HTTP_KA,             PR_CAP_FE | PR_CAP_BE },
	{ "httpclose",           PR_O_HTTPCLOSE,           PR_CAP_FE | PR_CAP_BE },
	{ "http-server-close",   PR_O_SRV_CLOSE,           PR_CAP_FE | PR_CAP_BE },
};
#define HTTP_MODE_MASK (PR_O_HTTP_KA | PR_O_HTTPCLOSE | PR_O_SRV_CLOSE)

static const char *const opts_checks[] = {
	"spop-check", "external-check", NULL
};
static const char *const opts_unsupported[] = {
	"accept-invalid-http-request",
	"accept-invalid-http-response", "accept-unsafe-violations-in-http-request",
	"accept-unsafe-violations-in-http-response", "allbackups", "checkcache", "contstats",
	"disable-h2-upgrade", "forwarded", "h1-case-adjust-bogus-client",
	"h1-case-adjust-bogus-server", "http-drop-request-trailers", "http-drop-response-trailers",
	"http-ignore-probes", "http-no-delay", "http-pretend-keepalive",
	"http-restrict-req-hdr-names", "http-use-htx", "http-use-proxy-header", "http_proxy",
	"idle-close-on-response", "independent-streams", "nolinger", "originalto",
	"original-to", "persist", "prefer-last-server", "tcp-smart-accept",
	"tcp-smart-connect", "transparent", "assume-rfc6587-ntf", "dont-parse-log", NULL
};

/* option forwardfor [except NET] [header NAME] [if-none] */
static int opt_forwardfor(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *hdr = "X-Forwarded-For";
	int af = 0, bits = 0, ifnone = 0;
	uint8_t net[16] = { 0 };

	if (ctx->no) {
		if (cfg_max_args(ctx, args, nargs, 1) < 0)
			return -1;
		PX->options &= ~(PR_O_FORWARDFOR | PR_O_FWDFOR_IFNONE);
		return 0;
	}
	for (int i = 2; i < nargs; i++) {
		if (strcmp(args[i], "except") == 0) {
			if (i + 1 >= nargs || cfg_parse_net(args[i + 1], &af, net, &bits) < 0)
				return cfg_err(ctx, "'option forwardfor except' expects a network (for example 10.0.0.0/8), got '%s'.",
					       i + 1 < nargs ? args[i + 1] : "");
			i++;
		} else if (strcmp(args[i], "header") == 0) {
			if (i + 1 >= nargs || !*args[i + 1])
				return cfg_err(ctx, "'option forwardfor header' expects a header name.");
			hdr = args[++i];
		} else if (strcmp(args[i], "if-none") == 0) {
			ifnone = 1;
		} else {
			return cfg_err(ctx, "'option forwardfor' only supports optional values 'except', 'header' and 'if-none' (got '%s').", args[i]);
		}
	}
	if (!cfg_px_has_cap(ctx, PR_CAP_FE | PR_CAP_BE, "option forwardfor"))
		return 0;
	if (cfg_strdup(ctx, &PX->fwdfor_hdr, hdr) < 0)
		return -1;
	PX->options |= PR_O_FORWARDFOR;
	PX->options = ifnone ? PX->options | PR_O_FWDFOR_IFNONE : PX->options & ~PR_O_FWDFOR_IFNONE;
	PX->fwdfor_except_af = af;
	memcpy(PX->fwdfor_except_addr, net, 16);
	PX->fwdfor_except_bits = bits;
	return 0;
}

#define LOG_FORMAT_OPTS (PR_O_TCPLOG | PR_O_HTTPLOG | PR_O_HTTPLOG_CLF | PR_O_HTTPLOG_JSON | PR_O_HTTPSLOG)

/* The log format options (option httplog [clf|json], httpslog, tcplog) and
 * log-format replace one another: the last one wins, as in HAProxy, which
 * warns about it in a defaults section only. Drops a log-format set
 * earlier in this section or inherited from defaults. */
const char *cfg_log_format_prev(const struct proxy *px)
{
	if (px->rules && px->rules->lf_src.text)
		return "log-format";
	if (px->options & PR_O_HTTPSLOG)
		return "option httpslog";
	if (px->options & PR_O_HTTPLOG_CLF)
		return "option httplog clf";
	if (px->options & PR_O_HTTPLOG_JSON)
		return "option httplog json";
	if (px->options & PR_O_HTTPLOG)
		return "option httplog";
	if (px->options & PR_O_TCPLOG)
		return "option tcplog";
	return NULL;
}

static void set_log_format_option(struct cfg_ctx *ctx, const char *what)
{
	const char *prev = cfg_log_format_prev(PX);

	if (prev && (PX->cap & PR_CAP_DEF))
		cfg_warn(ctx, "'%s' overrides previous '%s' in 'defaults' section.", what, prev);
	if (PX->rules) {
		free(PX->rules->lf_src.text);
		PX->rules->lf_src.text = NULL;
	}
}

static int kw_option(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *o;
	char kw[96];

	if (nargs < 2)
		return cfg_err(ctx, "'option' expects an option name.");
	o = args[1];
	snprintf(kw, sizeof(kw), "option %s", o);

	for (size_t i = 0; i < ARRAY_SIZE(bool_opts); i++) {
		uint32_t f = bool_opts[i].flag;

		if (strcmp(o, bool_opts[i].name) != 0)
			continue;
		if (nargs > 2)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[2]);
		if (!cfg_px_has_cap(ctx, bool_opts[i].cap, kw))
			return 0;
		if (ctx->no)
			PX->options &= ~f;
		else if (f & HTTP_MODE_MASK)
			PX->options = (PX->options & ~HTTP_MODE_MASK) | f;
		else
			PX->options |= f;
		return 0;
	}
	if (strcmp(o, "forwardfor") == 0)
		return opt_forwardfor(ctx, args, nargs);
	if (strcmp(o, "redispatch") == 0) {
		long long v = -1;

		if (nargs > 3)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
		if (ctx->no && nargs > 2)
			return cfg_err(ctx, "'no option redispatch' takes no argument.");
		if (nargs > 2 && cfg_arg_int(ctx, kw, args[2], -1000, 1000, &v) < 0)
			return -1;
		if (!cfg_px_has_cap(ctx, PR_CAP_BE, kw))
			return 0;
		if (ctx->no || v == 0) {
			PX->options &= ~PR_O_REDISPATCH;
			PX->redispatch = 0;
		} else {
			PX->options |= PR_O_REDISPATCH;
			PX->redispatch = (int)v;
		}
		return 0;
	}
	if (strcmp(o, "httplog") == 0) {
		uint32_t extra = 0;

		if (nargs > 2 && !ctx->no) {
			if (strcmp(args[2], "clf") == 0)
				extra = PR_O_HTTPLOG_CLF;
			else if (strcmp(args[2], "json") == 0)
				extra = PR_O_HTTPLOG_JSON;
			else
				return cfg_err(ctx, "'option httplog' only supports 'clf' and 'json' (got '%s').", args[2]);
		}
		if (nargs > (ctx->no ? 2 : 3))
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[ctx->no ? 2 : 3]);
		if (!cfg_px_has_cap(ctx, PR_CAP_FE, kw))
			return 0;
		if (ctx->no) {
			PX->options &= ~(PR_O_HTTPLOG | PR_O_HTTPLOG_CLF | PR_O_HTTPLOG_JSON | PR_O_HTTPSLOG);
			return 0;
		}
		set_log_format_option(ctx, extra == PR_O_HTTPLOG_CLF ? "option httplog clf" : kw);
		PX->options = (PX->options & ~(LOG_FORMAT_OPTS)) | PR_O_HTTPLOG | extra;
		return 0;
	}
	/* option httpslog: httplog's format followed by the client connection's
	 * TLS part (rules.c compiles it); everything else as option httplog */
	if (strcmp(o, "httpslog") == 0) {
		if (ctx->no)
			return cfg_err(ctx, "negation/default is not supported for option '%s'.", o);
		if (nargs > 2)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[2]);
		if (!cfg_px_has_cap(ctx, PR_CAP_FE, kw))
			return 0;
		if (!px_rules_get(PX))   /* its format is compiled with the proxy's rules */
			return cfg_err(ctx, "out of memory");
		set_log_format_option(ctx, kw);
		PX->options = (PX->options & ~(LOG_FORMAT_OPTS)) | PR_O_HTTPLOG | PR_O_HTTPSLOG;
		return 0;
	}
	if (strcmp(o, "tcplog") == 0) {
		if (nargs > 2)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[2]);
		if (!cfg_px_has_cap(ctx, PR_CAP_FE, kw))
			return 0;
		if (ctx->no) {
			PX->options &= ~PR_O_TCPLOG;
		} else {
			set_log_format_option(ctx, kw);
			PX->options = (PX->options & ~(LOG_FORMAT_OPTS)) | PR_O_TCPLOG;
		}
		return 0;
	}
	if (cfg_is_check_option(o))
		return cfg_opt_check(ctx, args, nargs);
	if (in_list(opts_checks, o))
		return cfg_err(ctx, "'%s' is not supported by tandem (supported checks: option httpchk, tcp-check, mysql-check, "
			       "pgsql-check, redis-check, ssl-hello-chk, smtpchk, ldap-check).", kw);
	if (in_list(opts_unsupported, o))
		return cfg_err(ctx, "'%s' is not supported by tandem.", kw);
	return cfg_err(ctx, "unknown option '%s'.", o);
}

/* ---- logs ---- */

static int kw_log(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (ctx->no) {
		if (cfg_max_args(ctx, args, nargs, 0) < 0)
			return -1;
		cfg_log_targets_free(&PX->logs);
		PX->options = (PX->options & ~PR_O_LOG_GLOBAL) | PR_O_NOLOG;
		return 0;
	}
	if (nargs > 1 && strcmp(args[1], "global") == 0) {
		if (cfg_max_args(ctx, args, nargs, 1) < 0)
			return -1;
		PX->options = (PX->options & ~PR_O_NOLOG) | PR_O_LOG_GLOBAL;
		return 0;
	}
	if (cfg_parse_log(ctx, args, nargs, &PX->logs) < 0)
		return -1;
	PX->options &= ~PR_O_NOLOG;
	return 0;
}

/* ---- identity and state ---- */

static int kw_description(struct cfg_ctx *ctx, char **args, int nargs)
{
	char *d;

	if (nargs < 2)
		return cfg_err(ctx, "'description' expects a string argument.");
	if (!(d = cfg_join(args, 1, nargs)))
		return cfg_err(ctx, "out of memory");
	free(PX->desc);
	PX->desc = d;
	return 0;
}

static int kw_disabled(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 0) < 0)
		return -1;
	PX->disabled = strcmp(args[0], "disabled") == 0;
	return 0;
}

static int kw_id(struct cfg_ctx *ctx, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs < 2 || cfg_parse_int(args[1], 1, 0x7fffffff, &v) < 0)
		return cfg_err(ctx, "'id' expects a custom id > 0, got '%s'.", nargs < 2 ? "" : args[1]);
	PX->uuid = (int)v;
	return 0;
}

/* ---- stats ---- */

static int kw_stats(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct proxy *px = PX;
	const char *sub = nargs > 1 ? args[1] : "";
	char kw[64];
	int ret = 0;

	snprintf(kw, sizeof(kw), "stats %s", sub);
	if (!strcmp(sub, "enable") || !strcmp(sub, "hide-version") || !strcmp(sub, "show-legends")) {
		if (nargs > 2)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[2]);
		if (sub[0] == 'h')
			px->stats_hide_version = 1;
		else if (sub[0] == 's')
			px->stats_show_legends = 1;
	} else if (!strcmp(sub, "uri") || !strcmp(sub, "realm")) {
		if (nargs < 3 || !*args[2])
			return cfg_err(ctx, "'%s' expects an argument.", kw);
		if (nargs > 3)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s' (quote or escape spaces).", kw, args[3]);
		ret = cfg_strdup(ctx, sub[0] == 'u' ? &px->stats_uri : &px->stats_realm, args[2]);
	} else if (!strcmp(sub, "refresh")) {
		if (nargs > 3)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
		if (cfg_arg_time(ctx, kw, args[2], &px->stats_refresh) < 0)
			return -1;
	} else if (!strcmp(sub, "auth")) {
		struct stats_auth *a;
		const char *colon = nargs > 2 ? strchr(args[2], ':') : NULL;

		if (!colon || colon == args[2])
			return cfg_err(ctx, "'stats auth' expects <user>:<password>.");
		if (nargs > 3)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
		if (!(a = calloc(1, sizeof(*a))) || !(a->user = strndup(args[2], colon - args[2])) ||
		    !(a->pass = strdup(colon + 1))) {
			if (a)
				free(a->user);
			free(a);
			return cfg_err(ctx, "out of memory");
		}
		list_add_tail(&px->stats_auths, &a->link);
	} else if (!strcmp(sub, "show-node")) {
		if (nargs > 3)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
		if (nargs > 2 && cfg_invalid_char(args[2]))
			return cfg_err(ctx, "'stats show-node': invalid node name '%s'.", args[2]);
		px->stats_show_node = 1;
		ret = cfg_strdup(ctx, &px->stats_node, nargs > 2 ? args[2] : NULL);
	} else if (!strcmp(sub, "show-desc")) {
		char *d = NULL;

		if (nargs > 2 && !(d = cfg_join(args, 2, nargs)))
			return cfg_err(ctx, "out of memory");
		px->stats_show_desc = 1;
		free(px->stats_desc);
		px->stats_desc = d;
	} else if (!strcmp(sub, "scope")) {
		char **ns;

		if (nargs < 3 || !*args[2])
			return cfg_err(ctx, "'stats scope' expects a proxy name ('.' for this one).");
		if (nargs > 3)
			return cfg_err(ctx, "'%s' cannot handle unexpected argument '%s'.", kw, args[3]);
		if (!(ns = realloc(px->stats_scope, (px->n_stats_scope + 1) * sizeof(*ns))))
			return cfg_err(ctx, "out of memory");
		px->stats_scope = ns;
		if (!(ns[px->n_stats_scope] = strdup(args[2])))
			return cfg_err(ctx, "out of memory");
		px->n_stats_scope++;
	} else if (!strcmp(sub, "admin")) {
		/* HAProxy's form is `stats admin if|unless COND`; a bare
		 * `stats admin` means `if TRUE`. The constant conditions are
		 * decided here; others are compiled (rules_stats_admin()).
		 * Admin actions also need `stats auth` (src/admin/stats_http.c). */
		if (nargs == 2)
			px->stats_admin = 1;
		else if (nargs == 4 && (!strcmp(args[2], "if") || !strcmp(args[2], "unless")) &&
			 (!strcmp(args[3], "TRUE") || !strcmp(args[3], "FALSE")))
			px->stats_admin = (args[2][0] == 'i') == (args[3][0] == 'T');
		else if (nargs > 3)
			ret = cfg_stats_admin_cond(ctx, args, nargs);
		else
			return cfg_err(ctx, "'stats admin' expects nothing or 'if'/'unless' followed by a condition.");
	} else if (!strcmp(sub, "socket") || !strcmp(sub, "timeout") || !strcmp(sub, "maxconn")) {
		return cfg_err(ctx, "'%s' is only valid in the 'global' section.", kw);
	} else if (!strcmp(sub, "http-request")) {
		ret = cfg_stats_http_rule(ctx, args, nargs);
	} else {
		return cfg_err(ctx, "'stats' expects 'admin', 'auth', 'enable', 'hide-version', 'realm', 'refresh', "
			       "'scope', 'show-desc', 'show-legends', 'show-node' or 'uri' (got '%s').", sub);
	}
	if (!ret)
		px->stats_enabled = 1;   /* as in HAProxy, any stats keyword enables stats */
	return ret;
}

/* ---- dispatch, source ---- */

/* dispatch ADDR:PORT: a backend without `balance` sends everything there
 * (a server named "dispatch", added here: src/cfg/check_lt.c checks the
 * rest once the whole section is known). */
static int kw_dispatch(struct cfg_ctx *ctx, char **args, int nargs)
{
	char *sargs[2] = { NULL, NULL };
	struct server *s;
	char err[1024];

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'dispatch' expects <addr>:<port> as argument.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	if (PX->dispatch_line)
		return cfg_err(ctx, "'dispatch' already set at line %d.", PX->dispatch_line);
	sargs[0] = args[1];
	if (!(s = srv_parse_server(PX, NULL, "dispatch", sargs, 1, SRV_PARSE_CONFIG, err, sizeof(err))))
		return cfg_err(ctx, "'dispatch' : %s", err);
	if (s->port_map) {
		srv_free(s);
		return cfg_err(ctx, "'dispatch' : missing port number in '%s'.", args[1]);
	}
	s->file = ctx->file;
	s->line = ctx->line;
	list_add_tail(&PX->servers, &s->link);
	PX->nsrv++;
	PX->dispatch_line = ctx->line;
	return 0;
}

/* source ADDR[:PORT[-PORT]] [interface NAME]; `usesrc` is refused */
static int kw_source(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct conn_src src;
	char why[512];
	int i;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'source' expects <addr>[:<port>] as argument.");
	if (cfg_parse_source(args[1], &src, 0, why, sizeof(why)) < 0)
		return cfg_err(ctx, "'source' : %s.", why);
	for (i = 2; i < nargs; i++) {
		if (!strcmp(args[i], "interface") && i + 1 < nargs) {
			if (strlen(args[i + 1]) >= sizeof(src.iface))
				return cfg_err(ctx, "'source' : interface name '%s' is too long.", args[i + 1]);
			strcpy(src.iface, args[++i]);
		} else if (!strcmp(args[i], "usesrc")) {
			return cfg_err(ctx, "'source' : 'usesrc' (transparent proxying from the client's address) is not "
				       "supported by tandem: only a fixed source address is.");
		} else {
			return cfg_err(ctx, "'source' only supports optional keywords 'usesrc' and 'interface' (got '%s').", args[i]);
		}
	}
	if (!cfg_px_has_cap(ctx, PR_CAP_BE, args[0]))
		return 0;
	PX->src = src;
	return 0;
}

/* ---- keywords tandem knows but rejects ---- */

static const struct {
	const char *kw;
	const char *why;
} rejected[] = {
	{ "compression", "'compression' is not supported by tandem." },
	{ "errorloc", "error pages as redirects are not supported yet: use 'errorfile' or 'http-error'." },
	{ "errorloc302", "error pages as redirects are not supported yet: use 'errorfile' or 'http-error'." },
	{ "errorloc303", "error pages as redirects are not supported yet: use 'errorfile' or 'http-error'." },
	{ "log-format-sd", "RFC 5424 structured data ('log-format-sd') is not supported yet." },
	{ "external-check", "external checks are not supported by tandem (use option httpchk or option tcp-check)." },
	{ "contimeout", "'contimeout' is deprecated: use 'timeout connect'." },
	{ "clitimeout", "'clitimeout' is deprecated: use 'timeout client'." },
	{ "srvtimeout", "'srvtimeout' is deprecated: use 'timeout server'." },
	{ "monitor-net", "'monitor-net' doesn't exist anymore (HAProxy removed it too)." },
	{ "bind-process", "'bind-process' is not supported (HAProxy removed it too)." },
	{ "reqadd", "'reqadd' and friends were removed from HAProxy: use 'http-request add-header'." },
	{ "rspadd", "'rspadd' and friends were removed from HAProxy: use 'http-response add-header'." },
	{ "reqrep", "'reqrep' and friends were removed from HAProxy: use 'http-request' rules." },
	{ "reqdel", "'reqdel' and friends were removed from HAProxy: use 'http-request del-header'." },
	{ "reqidel", "'reqidel' and friends were removed from HAProxy: use 'http-request del-header'." },
	{ "rsprep", "'rsprep' and friends were removed from HAProxy: use 'http-response' rules." },
	{ "rspdel", "'rspdel' and friends were removed from HAProxy: use 'http-response del-header'." },
	{ "rspidel", "'rspidel' and friends were removed from HAProxy: use 'http-response del-header'." },
	{ "block", "'block' was removed from HAProxy: use 'http-request deny'." },
	{ "persist", "'persist' is not supported by tandem." },
	{ "rate-limit", "'rate-limit' is not supported by tandem." },
	{ "log-tag", "'log-tag' is not supported by tandem." },
	{ "email-alert", "'email-alert' is not supported by tandem." },
	{ "filter", "'filter' is not supported by tandem." },
	{ "load-server-state-from-file", "server state files are not supported yet." },
	{ "server-state-file-name", "server state files are not supported yet." },
	{ "http-send-name-header", "'http-send-name-header' is not supported by tandem." },
	{ "max-keep-alive-queue", "'max-keep-alive-queue' is not supported by tandem." },
	{ "max-session-srv-conns", "'max-session-srv-conns' is not supported by tandem." },
	{ "backlog", "'backlog' is not supported as a proxy keyword: use the 'backlog' option of 'bind'." },
	{ "transparent", "'transparent' is not supported by tandem." },
	{ "usesrc", "'usesrc' (transparent proxying from the client's address) is not supported by tandem: "
		    "'source ADDR' sets a fixed source address." },
	{ "guid", "'guid' is not supported by tandem." },
};

const char *cfg_proxy_rejected(const char *kw)
{
	for (size_t i = 0; i < ARRAY_SIZE(rejected); i++)
		if (strcmp(kw, rejected[i].kw) == 0)
			return rejected[i].why;
	return NULL;
}

const struct cfg_kw cfg_proxy_kws[] = {
	{ "mode",            KW_ALL,                 kw_mode },
	{ "bind",            KW_FE | KW_LI,          cfg_kw_bind },
	{ "default_backend", KW_DEF | KW_FE | KW_LI, kw_default_backend },
	{ "balance",         KW_DEF | KW_BE | KW_LI, kw_balance },
	{ "timeout",         KW_ALL,                 kw_timeout },
	{ "retries",         KW_ALL,                 kw_int_setting },
	{ "maxconn",         KW_ALL,                 kw_int_setting },
	{ "fullconn",        KW_ALL,                 kw_int_setting },
	{ "http-reuse",      KW_ALL,                 kw_http_reuse },
	{ "option",          KW_ALL | KW_NO_OK,      kw_option },
	{ "log",             KW_ALL | KW_NO_OK,      kw_log },
	{ "description",     KW_NODEF,               kw_description },
	{ "disabled",        KW_ALL,                 kw_disabled },
	{ "enabled",         KW_ALL,                 kw_disabled },
	{ "id",              KW_NODEF,               kw_id },
	{ "stats",           KW_ALL,                 kw_stats },
	{ "http-check",      KW_ALL,                 cfg_kw_http_check },
	{ "tcp-check",       KW_ALL,                 cfg_kw_tcp_check },
	{ "max-ejected-percent", KW_DEF | KW_BE | KW_LI, cfg_kw_max_ejected },
	{ "dispatch",        KW_NODEF,               kw_dispatch },
	{ "source",          KW_ALL,                 kw_source },
	{ NULL, 0, NULL }
};
