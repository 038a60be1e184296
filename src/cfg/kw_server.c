/* `server` and `default-server` lines. A backend's defsrv is the template
 * (built-in values, then what defaults sections and `default-server` lines
 * set); each `server` starts as a copy of it, then applies its own words.
 *
 * Health-check keywords (check, inter, rise, fall, observe, max-fails...)
 * are described in doc/health-checks.md. The backend's check rules
 * (option httpchk, tcp-check...) live in the default-server template only
 * (defsrv.chk_px, see kw_check.c), so that defaults sections pass them on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include "cfg_int.h"
#include "kw_check.h"

void srv_settings_init(struct server *s)
{
	list_init(&s->link);
	if (!s->ctr)
		s->ctr = ctr_new();
	s->uweight = s->eweight = 1;
	s->state = SRV_ST_RUNNING;  /* checked servers get their initial state when checks start */
	s->chk_inter = CHK_DEF_INTER;
	s->chk_rise = CHK_DEF_RISE;
	s->chk_fall = CHK_DEF_FALL;
	s->error_limit = CHK_DEF_ERROR_LIMIT;
	s->on_error = ONERR_FAILCHK;
	s->max_fails = -1;          /* nginx's passive checks only when written */
}

/* Copy every setting of <src> into <dst> without touching <dst>'s identity
 * (name, address, backend, list link, counters, run-time state). Settings
 * added later are copied automatically; a new pointer member must also be
 * duplicated here and released in srv_settings_free(). */
int srv_settings_copy(struct server *dst, const struct server *src)
{
	struct server keep = *dst;

	*dst = *src;
	dst->link = keep.link;
	dst->be = keep.be;
	dst->id = keep.id;
	dst->puid = keep.puid;
	dst->addr_str = keep.addr_str;
	dst->addr = keep.addr;
	dst->addrlen = keep.addrlen;
	dst->ctr = keep.ctr;
	dst->ctr_shared = keep.ctr_shared;
	dst->dyn_args = keep.dyn_args;
	dst->thr = keep.thr;
	dst->cur_conns = keep.cur_conns;
	dst->last_change = keep.last_change;
	dst->file = keep.file;
	dst->line = keep.line;
	dst->hc = keep.hc;
	/* only a default-server template carries the backend's check rules */
	dst->chk_px = NULL;
	if (keep.be && dst == &keep.be->defsrv) {
		int err = 0;

		chk_px_free(keep.chk_px);
		dst->chk_px = chk_px_dup(src->chk_px, &err);
		if (err)
			return -1;
	} else {
		dst->chk_px = keep.chk_px;
	}
	return 0;
}

void srv_settings_free(struct server *s)
{
	free(s->id);
	free(s->addr_str);
	s->id = s->addr_str = NULL;
	chk_px_free(s->chk_px);
	s->chk_px = NULL;
	srv_health_free(s->hc);
	s->hc = NULL;
	if (!s->ctr_shared)
		free(s->ctr);
	s->ctr = NULL;
	free(s->dyn_args);
	s->dyn_args = NULL;
}

void srv_free(struct server *s)
{
	if (!s)
		return;
	srv_settings_free(s);
	free(s->thr);
	free(s);
}

/* ---- keywords on the server line ---- */

static int skw_weight(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	long long v;

	(void)kw; (void)defsrv;
	if (cfg_parse_int(val, 0, 256, &v) < 0)
		return cfg_err(ctx, "weight of server %s is not within 0 and 256 (got '%s').",
			       s->id ? s->id : "(default-server)", val);
	s->uweight = s->eweight = (int)v;
	return 0;
}

static int skw_maxconn(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	long long v;

	(void)defsrv;
	if (cfg_arg_int(ctx, kw, val, 0, 10000000, &v) < 0)
		return -1;
	s->maxconn = (int)v;
	return 0;
}

static int skw_backup(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	(void)ctx; (void)val; (void)defsrv;
	s->backup = strcmp(kw, "backup") == 0;
	return 0;
}

static int skw_disabled(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	(void)ctx; (void)val; (void)defsrv;
	if (strcmp(kw, "disabled") == 0)
		s->admin |= SRV_ADMF_MAINT;
	else
		s->admin &= ~SRV_ADMF_MAINT;
	return 0;
}

static int skw_id(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	long long v;

	(void)defsrv;
	if (cfg_parse_int(val, 1, 0x7fffffff, &v) < 0)
		return cfg_err(ctx, "'%s': custom id has to be > 0 (got '%s').", kw, val);
	s->puid = (int)v;
	return 0;
}

/* ---- health checks ---- */

static const char *srv_name(const struct server *s)
{
	return s->id ? s->id : "(default-server)";
}

static int skw_check(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	(void)ctx; (void)val; (void)defsrv;
	s->has_check = strcmp(kw, "check") == 0;
	return 0;
}

/* inter, fastinter, downinter, slowstart, fail-timeout */
static int skw_time(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	uint32_t ms;

	(void)defsrv;
	if (cfg_arg_time(ctx, kw, val, &ms) < 0)
		return -1;
	if (!strcmp(kw, "slowstart")) {
		s->slowstart = ms;
		return 0;
	}
	if (!ms)
		return cfg_err(ctx, "invalid value 0 for argument '%s' of server %s.", kw, srv_name(s));
	if (!strcmp(kw, "inter"))
		s->chk_inter = ms;
	else if (!strcmp(kw, "fastinter"))
		s->chk_fastinter = ms;
	else if (!strcmp(kw, "downinter"))
		s->chk_downinter = ms;
	else
		s->fail_timeout = ms;
	return 0;
}

/* rise, fall, error-limit (> 0), max-fails (>= 0), port (1..65535) */
static int skw_count(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	long long v;
	int port = !strcmp(kw, "port"), mf = !strcmp(kw, "max-fails");

	(void)defsrv;
	if (!val || !*val)
		return cfg_err(ctx, "'%s' expects an integer argument.", kw);
	if (cfg_parse_int(val, mf ? 0 : 1, port ? 65535 : 0x7fffffff, &v) < 0) {
		if (port)
			return cfg_err(ctx, "'%s' expects a port number between 1 and 65535 (got '%s').", kw, val);
		return cfg_err(ctx, "'%s' has to be %s (got '%s').", kw, mf ? ">= 0" : "> 0", val);
	}
	if (!strcmp(kw, "rise"))
		s->chk_rise = (int)v;
	else if (!strcmp(kw, "fall"))
		s->chk_fall = (int)v;
	else if (!strcmp(kw, "error-limit"))
		s->error_limit = (int)v;
	else if (mf)
		s->max_fails = (int)v;
	else
		s->chk_port = (int)v;
	return 0;
}

static int skw_addr(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	char why[512];

	(void)defsrv;
	if (cfg_addr_ex(val, &s->chk_addr, &s->chk_addrlen, 0, 0, why, sizeof(why)) < 0)
		return cfg_err(ctx, "'%s' : %s.", kw, why);
	return 0;
}

/* A keyword whose argument is one of <names>, stored as <first>+index. */
static int pick(struct cfg_ctx *ctx, const char *kw, const char *val, const char *const *names,
		const char *expect, int first, int *dst)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(val, names[i])) {
			*dst = first + i;
			return 0;
		}
	return cfg_err(ctx, "'%s' expects one of %s but got '%s'.", kw, expect, val);
}

static int skw_init_state(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	static const char *const n[] = { "fully-down", "down", "up", "fully-up", NULL };

	(void)defsrv;
	return pick(ctx, kw, val, n, "'fully-up', 'up', 'down', or 'fully-down'", INIT_FULLY_DOWN, &s->init_state);
}

static int skw_observe(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	static const char *const n[] = { "none", "layer4", "layer7", NULL };

	(void)defsrv;
	if (pick(ctx, kw, val, n, "'none', 'layer4', 'layer7'", OBS_MODE_NONE, &s->observe) < 0)
		return -1;
	if (s->observe == OBS_MODE_L7 && ctx->px->mode != PR_MODE_HTTP)
		return cfg_err(ctx, "'%s %s' can only be used in http proxies.", kw, val);
	return 0;
}

static int skw_on_error(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	static const char *const n[] = { "fastinter", "fail-check", "sudden-death", "mark-down", NULL };

	(void)defsrv;
	return pick(ctx, kw, val, n, "'fastinter', 'fail-check', 'sudden-death' or 'mark-down'", ONERR_FASTINTER,
		    &s->on_error);
}

static int skw_refused(struct cfg_ctx *ctx, struct server *s, const char *kw, const char *val, int defsrv)
{
	(void)s; (void)val; (void)defsrv;
	return cfg_err(ctx, "'%s' is not supported by tandem (it does not send the PROXY protocol).", kw);
}

static const struct srv_kw srv_kws[] = {
	{ "weight",    1, 0, skw_weight },
	{ "maxconn",   1, 0, skw_maxconn },
	{ "backup",    0, 0, skw_backup },
	{ "no-backup", 0, 0, skw_backup },
	{ "disabled",  0, 0, skw_disabled },
	{ "enabled",   0, 0, skw_disabled },
	{ "id",        1, 1, skw_id },
	{ "check",        0, 0, skw_check },
	{ "no-check",     0, 0, skw_check },
	{ "inter",        1, 0, skw_time },
	{ "fastinter",    1, 0, skw_time },
	{ "downinter",    1, 0, skw_time },
	{ "slowstart",    1, 0, skw_time },
	{ "fail-timeout", 1, 0, skw_time },
	{ "rise",         1, 0, skw_count },
	{ "fall",         1, 0, skw_count },
	{ "error-limit",  1, 0, skw_count },
	{ "max-fails",    1, 0, skw_count },
	{ "port",         1, 0, skw_count },
	{ "addr",         1, 0, skw_addr },
	{ "init-state",   1, 0, skw_init_state },
	{ "observe",      1, 0, skw_observe },
	{ "on-error",     1, 0, skw_on_error },
	{ "check-send-proxy", 0, 0, skw_refused },
	{ NULL, 0, 0, NULL }
};

/* HAProxy server keywords tandem does not implement yet: a clear error
 * instead of "unknown keyword". */
static const char *const srv_later[] = {
	"agent-check", "agent-port", "agent-inter", "agent-addr", "agent-send",
	"on-marked-down", "on-marked-up", "track",
	"init-addr", "resolvers", "resolve-prefer", "resolve-net", "resolve-opts",
	"maxqueue", "minconn", "cookie", "redir", "send-proxy",
	"send-proxy-v2", "source", "usesrc", "pool-max-conn", "pool-purge-delay",
	"pool-low-conn", "tfo", "namespace", "proto", "check-proto", "no-check-send-proxy",
	"check-via-socks4", "no-agent-check",
	"health-check", "log-proto", "non-stick", "stick", "shard", "ws", "tcp-ut",
	"set-proxy-v2-tlv-fmt", "hash-key", "guid", "strict-maxconn", "idle-ping",
	NULL
};

static const char *const srv_tls[] = {
	"ssl", "verify", "verifyhost", "sni", "ca-file", "crl-file", "crt", "alpn", "npn",
	"ciphers", "ciphersuites", "check-ssl", "check-sni", "check-alpn", "no-ssl-reuse",
	"ssl-min-ver", "ssl-max-ver", "ssl-reuse", "force-sslv3", "force-tlsv10",
	"force-tlsv11", "force-tlsv12", "force-tlsv13", "no-sslv3", "no-tlsv10",
	"no-tlsv11", "no-tlsv12", "no-tlsv13", "allow-0rtt", "curves", "sigalgs",
	"client-sigalgs", "no-tls-tickets", "tls-tickets", "send-proxy-v2-ssl",
	"send-proxy-v2-ssl-cn", NULL
};

static int in_list(const char *const *l, const char *w)
{
	for (; *l; l++)
		if (strcmp(*l, w) == 0)
			return 1;
	return 0;
}

/* Apply args[from..nargs-1] to <s>. <what> names the line in messages. */
static int srv_parse_kws(struct cfg_ctx *ctx, struct server *s, char **args, int from, int nargs,
			 int defsrv, const char *what)
{
	int ret = 0;

	for (int i = from; i < nargs; i++) {
		const struct srv_kw *k;

		for (k = srv_kws; k->name; k++)
			if (strcmp(k->name, args[i]) == 0)
				break;
		if (!k->name) {
			if (in_list(srv_later, args[i]))
				ret = cfg_err(ctx, "'%s': keyword '%s' is not supported yet.", what, args[i]);
			else if (in_list(srv_tls, args[i]))
				ret = cfg_err(ctx, "'%s': keyword '%s': TLS is not supported by tandem.", what, args[i]);
			else
				ret = cfg_err(ctx, "'%s': unknown keyword '%s'.", what, args[i]);
			return ret;  /* the rest of the line cannot be trusted */
		}
		if (defsrv && k->nodef) {
			ret = cfg_err(ctx, "'%s': keyword '%s' is not allowed on 'default-server' lines.", what, args[i]);
			if (k->nval)
				i++;
			continue;
		}
		if (k->nval && (i + 1 >= nargs || !*args[i + 1])) {
			ret = cfg_err(ctx, "'%s': '%s' expects an argument.", what, args[i]);
			break;
		}
		if (k->fn(ctx, s, args[i], k->nval ? args[i + 1] : NULL, defsrv) < 0)
			ret = -1;
		if (k->nval)
			i++;
	}
	return ret;
}

/* server NAME ADDR:PORT [keywords...] */
static int kw_server(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct proxy *px = ctx->px;
	struct server *s;
	const char *bad;
	char what[300], why[512];

	if (nargs < 3)
		return cfg_err(ctx, "'server' expects <name> and <addr>:<port> as arguments.");
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in server name '%s'.", *bad, args[1]);
	snprintf(what, sizeof(what), "server %s", args[1]);
	if (!(s = calloc(1, sizeof(*s))))
		return cfg_err(ctx, "out of memory");
	srv_settings_init(s);
	srv_settings_copy(s, &px->defsrv);
	s->be = px;
	s->file = ctx->file;
	s->line = ctx->line;
	if (!(s->id = strdup(args[1])) || !(s->addr_str = strdup(args[2]))) {
		srv_free(s);
		return cfg_err(ctx, "out of memory");
	}
	/* keywords first: an unsupported one matters more than a name that
	 * does not resolve here (yet) */
	if (srv_parse_kws(ctx, s, args, 3, nargs, 0, what) < 0) {
		srv_free(s);
		return -1;
	}
	if (cfg_addr_ex(args[2], &s->addr, &s->addrlen, ADDR_PORT_MANDATORY, 0, why, sizeof(why)) < 0) {
		if (strncmp(why, "missing port", 12) == 0)
			cfg_err(ctx, "'%s': %s (tandem requires an explicit server port).", what, why);
		else
			cfg_err(ctx, "'%s': %s.", what, why);
		srv_free(s);
		return -1;
	}
	list_add_tail(&px->servers, &s->link);
	px->nsrv++;
	return 0;
}

/* default-server [keywords...] */
static int kw_default_server(struct cfg_ctx *ctx, char **args, int nargs)
{
	return srv_parse_kws(ctx, &ctx->px->defsrv, args, 1, nargs, 1, "default-server");
}

const struct cfg_kw cfg_server_kws[] = {
	{ "server",         KW_BE | KW_LI,          kw_server },
	{ "default-server", KW_DEF | KW_BE | KW_LI, kw_default_server },
	{ NULL, 0, NULL }
};
