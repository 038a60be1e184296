/* `server` and `default-server` lines. A backend's defsrv is the template
 * (built-in values, then what defaults sections and `default-server` lines
 * set); each `server` starts as a copy of it, then applies its own words.
 *
 * The health-check feature adds its keywords (check, inter, rise, fall...)
 * to srv_kws[] below and removes them from srv_later[]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfg_int.h"

void srv_settings_init(struct server *s)
{
	list_init(&s->link);
	s->uweight = s->eweight = 1;
	s->state = SRV_ST_RUNNING;  /* no health checks yet: servers start UP */
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
	dst->thr = keep.thr;
	dst->cur_conns = keep.cur_conns;
	dst->last_change = keep.last_change;
	dst->file = keep.file;
	dst->line = keep.line;
	return 0;
}

void srv_settings_free(struct server *s)
{
	free(s->id);
	free(s->addr_str);
	s->id = s->addr_str = NULL;
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

static const struct srv_kw srv_kws[] = {
	{ "weight",    1, 0, skw_weight },
	{ "maxconn",   1, 0, skw_maxconn },
	{ "backup",    0, 0, skw_backup },
	{ "no-backup", 0, 0, skw_backup },
	{ "disabled",  0, 0, skw_disabled },
	{ "enabled",   0, 0, skw_disabled },
	{ "id",        1, 1, skw_id },
	{ NULL, 0, 0, NULL }
};

/* HAProxy server keywords tandem does not implement yet: a clear error
 * instead of "unknown keyword". */
static const char *const srv_later[] = {
	"check", "no-check", "inter", "fastinter", "downinter", "rise", "fall", "port", "addr",
	"agent-check", "agent-port", "agent-inter", "agent-addr", "agent-send", "observe",
	"error-limit", "on-error", "on-marked-down", "on-marked-up", "track", "slowstart",
	"init-addr", "resolvers", "resolve-prefer", "resolve-net", "resolve-opts",
	"max-fails", "fail-timeout", "maxqueue", "minconn", "cookie", "redir", "send-proxy",
	"send-proxy-v2", "source", "usesrc", "pool-max-conn", "pool-purge-delay",
	"pool-low-conn", "tfo", "namespace", "proto", "check-send-proxy", "check-proto",
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
