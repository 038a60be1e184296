/* Post-parse resolution and checks, run once the whole file was read
 * without error: resolve default_backend, verify modes, give ids, detect
 * duplicate servers and binds, warn like HAProxy about risky settings,
 * then compute the automatic global values. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/ssl.h>
#include "cfg_int.h"

/* Give every proxy (or server) without `id` the lowest unused id, after
 * checking that forced ids are unique. <ids>[i] is the forced id or 0. */
static int next_free_id(const int *ids, int n, int from)
{
	for (int id = from;; id++) {
		int used = 0;

		for (int i = 0; i < n && !used; i++)
			used = ids[i] == id;
		if (!used)
			return id;
	}
}

static int check_proxy_ids(struct cfg_ctx *ctx)
{
	struct list *l, *m;
	int n = 0, i = 0, last = 0, *ids;

	list_for_each(l, &ctx->cfg->proxies)
		n++;
	if (!n)
		return 0;
	if (!(ids = calloc(n, sizeof(*ids))))
		return cfg_err(ctx, "out of memory");
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		ids[i++] = px->uuid;
		if (!px->uuid)
			continue;
		list_for_each(m, &ctx->cfg->proxies) {
			struct proxy *o = list_entry(m, struct proxy, link);

			if (o == px)
				break;
			if (o->uuid == px->uuid)
				cfg_err_at(ctx, px->line, "%s '%s' reuses the same custom id as %s '%s' (declared at %s:%d).",
					   cfg_px_type(px), px->id, cfg_px_type(o), o->id, o->file, o->line);
		}
	}
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		if (!px->uuid)
			px->uuid = last = next_free_id(ids, n, last + 1);
	}
	free(ids);
	return 0;
}

static int check_servers(struct cfg_ctx *ctx, struct proxy *px)
{
	struct list *l, *m;
	int n = 0, i = 0, last = 0, *ids;

	if (!px->nsrv)
		return 0;
	if (!(ids = calloc(px->nsrv, sizeof(*ids))))
		return cfg_err(ctx, "out of memory");
	list_for_each(l, &px->servers) {
		struct server *s = list_entry(l, struct server, link);

		ids[i++] = s->puid;
		list_for_each(m, &px->servers) {
			struct server *o = list_entry(m, struct server, link);

			if (o == s)
				break;
			if (strcmp(o->id, s->id) == 0)
				cfg_err_at(ctx, s->line, "%s '%s' has the same server name '%s' declared at %s:%d.",
					   cfg_px_type(px), px->id, s->id, o->file, o->line);
			if (s->puid && o->puid == s->puid)
				cfg_err_at(ctx, s->line, "server '%s/%s' reuses the same custom id as server '%s' (declared at %s:%d).",
					   px->id, s->id, o->id, o->file, o->line);
		}
		n++;
	}
	list_for_each(l, &px->servers) {
		struct server *s = list_entry(l, struct server, link);

		if (!s->puid)
			s->puid = last = next_free_id(ids, n, last + 1);
	}
	free(ids);
	return 0;
}

static int check_defbe(struct cfg_ctx *ctx, struct proxy *px)
{
	struct proxy *be;

	if (!(px->cap & PR_CAP_FE))
		return 0;
	if (!px->defbe_name) {
		if (px->cap & PR_CAP_BE)
			px->defbe = px;   /* a listen serves itself */
		else if (!px->stats_enabled && !px->disabled)
			cfg_warn_at(ctx, px->line, "frontend '%s' has no 'default_backend': its requests will get a 503 (http) or be closed (tcp).",
				    px->id);
		return 0;
	}
	be = cfg_find_proxy(ctx->cfg, px->defbe_name, PR_CAP_BE);
	if (!be)
		return cfg_err_at(ctx, px->defbe_line, "%s '%s': unable to find required default_backend: '%s'.",
				  cfg_px_type(px), px->id, px->defbe_name);
	/* a TCP frontend may send to an HTTP backend: the connection is
	 * upgraded to HTTP (HAProxy 2.x), src/proxy/tcp_ana.c */
	if (be->mode != px->mode && px->mode == PR_MODE_HTTP) {
		return cfg_err_at(ctx, px->defbe_line, "http mode %s '%s' cannot use %s '%s' (mode tcp) as its default backend (see 'mode').",
				  cfg_px_type(px), px->id, cfg_px_type(be), be->id);
	}
	px->defbe = be;
	return 0;
}

/* Features that need HTTP mode: HAProxy warns and drops them. */
static void check_http_only(struct cfg_ctx *ctx, struct proxy *px)
{
	if (px->mode == PR_MODE_HTTP)
		return;
	/* `option httplog json` stays JSON: the tcplog fields as one JSON
	 * object (src/admin/httplog.c), so the tandem extension is honoured
	 * rather than silently turned into plain text. */
	if ((px->cap & PR_CAP_FE) && (px->options & PR_O_HTTPLOG)) {
		int json = px->options & PR_O_HTTPLOG_JSON;

		if (json)
			cfg_warn_at(ctx, px->line, "'option httplog json' in %s '%s' (mode tcp) logs the 'option tcplog' fields as JSON.",
				    cfg_px_type(px), px->id);
		else
			cfg_warn_at(ctx, px->line, "'option %s' not usable with %s '%s' (needs 'mode http'). Falling back to 'option tcplog'.",
				    (px->options & PR_O_HTTPSLOG) ? "httpslog" : "httplog", cfg_px_type(px), px->id);
		px->options = (px->options & ~(PR_O_HTTPLOG | PR_O_HTTPLOG_CLF | PR_O_HTTPLOG_JSON | PR_O_HTTPSLOG)) |
			      PR_O_TCPLOG;
		if (json)
			px->options |= PR_O_HTTPLOG_JSON;
	}
	if (px->options & PR_O_FORWARDFOR) {
		cfg_warn_at(ctx, px->line, "'option forwardfor' ignored for %s '%s' as it requires HTTP mode.", cfg_px_type(px), px->id);
		px->options &= ~(PR_O_FORWARDFOR | PR_O_FWDFOR_IFNONE);
	}
	if (px->stats_enabled) {
		cfg_warn_at(ctx, px->line, "'stats' statement ignored for %s '%s' as it requires HTTP mode.", cfg_px_type(px), px->id);
		px->stats_enabled = 0;
	}
	if (px->options & PR_O_HTTP_BUF_REQ) {
		cfg_warn_at(ctx, px->line, "'option http-buffer-request' ignored for %s '%s' as it requires HTTP mode.",
			    cfg_px_type(px), px->id);
		px->options &= ~PR_O_HTTP_BUF_REQ;
	}
}

static void check_timeouts(struct cfg_ctx *ctx, struct proxy *px)
{
	int fe_missing = (px->cap & PR_CAP_FE) && !px->to.client;
	int be_missing = (px->cap & PR_CAP_BE) && px->nsrv &&
		(!px->to.connect || (!px->to.server && (px->mode == PR_MODE_HTTP || !px->to.tunnel)));

	if (px->disabled || !(fe_missing || be_missing))
		return;
	cfg_warn_at(ctx, 0, "missing timeouts for %s '%s'. While not properly invalid, you will certainly encounter "
		    "various problems with such a configuration. To fix this, please ensure that all following "
		    "timeouts are set to a non-zero value: 'client', 'connect', 'server'.", cfg_px_type(px), px->id);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
}

static int addr_port(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)a)->sin_port)
				       : ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

/* The same address and port bound twice cannot work (port 0 is left to the
 * kernel and never conflicts). */
static void check_binds(struct cfg_ctx *ctx)
{
	struct list *l, *b, *l2, *b2;

	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		if (px->disabled)
			continue;
		list_for_each(b, &px->binds) {
			struct bind_conf *bc = list_entry(b, struct bind_conf, link);
			int dup = 0;

			if (!addr_port(&bc->addr))
				continue;
			list_for_each(l2, &ctx->cfg->proxies) {
				struct proxy *p2 = list_entry(l2, struct proxy, link);

				if (p2->disabled)
					continue;
				list_for_each(b2, &p2->binds) {
					struct bind_conf *o = list_entry(b2, struct bind_conf, link);

					if (o == bc) {
						dup = -1;
						break;
					}
					if (same_addr(&o->addr, &bc->addr)) {
						cfg_err_at(ctx, bc->line, "%s '%s': cannot bind '%s': address already bound by %s '%s' at %s:%d.",
							   cfg_px_type(px), px->id, bc->addr_str, cfg_px_type(p2), p2->id, o->file, o->line);
						dup = 1;
						break;
					}
				}
				if (dup)
					break;
			}
		}
	}
}

static void ssl_report_err(void *c, int line, const char *msg)
{
	cfg_err_at(c, line, "%s", msg);
}

static void ssl_report_warn(void *c, int line, const char *msg)
{
	cfg_warn_at(c, line, "%s", msg);
}

int cfg_check(struct cfg_ctx *ctx)
{
	struct list *l, *b;
	int nerr = ctx->nerr;

	check_proxy_ids(ctx);
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		check_http_only(ctx, px);
		check_defbe(ctx, px);
		check_servers(ctx, px);
		check_timeouts(ctx, px);
		cfg_check_longtail(ctx, px);
		if ((px->cap & PR_CAP_FE) && list_empty(&px->binds) && !px->disabled)
			cfg_warn_at(ctx, px->line, "%s '%s' has no 'bind' directive. Please declare it as a backend if this was intended.",
				    cfg_px_type(px), px->id);
		if (!(px->options & (PR_O_HTTP_KA | PR_O_HTTPCLOSE | PR_O_SRV_CLOSE)))
			px->options |= PR_O_HTTP_KA;
	}
	check_binds(ctx);
	if (cfg_global_finish(ctx) < 0)
		return -1;

	/* the listen backlog defaults to the frontend's maxconn (else global) */
	list_for_each(l, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);

		list_for_each(b, &px->binds) {
			struct bind_conf *bc = list_entry(b, struct bind_conf, link);

			if (!bc->backlog)
				bc->backlog = MIN(px->maxconn ? px->maxconn : ctx->cfg->g.maxconn, 65535);
		}
	}
	/* TLS: certificates, crt-lists and contexts, once every default is known */
	if (ctx->nerr == nerr) {
		struct ssl_report r = { ctx, ssl_report_err, ssl_report_warn };

		ssl_cfg_prepare(ctx->cfg, &r);
	}
	return ctx->nerr > nerr ? -1 : 0;
}
