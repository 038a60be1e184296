/* Post-parse checks of the long tail (issue 18), run with the others
 * (check.c): log targets for the access-log options, `dispatch` against
 * `balance`, health checks of servers without a port, and whether the
 * configuration listens anywhere at all. */
#include <string.h>
#include <netinet/in.h>
#include <tandem/check-t.h>
#include "cfg_int.h"

int cfg_has_listener(const struct cfg *cfg, int run)
{
	const struct list *l;

	if (!list_empty(&cfg->vrrps) || !list_empty(&cfg->anycasts))
		return 1;
	if (run && !list_empty(&cfg->g.stats_socks))
		return 1;
	list_for_each(l, &cfg->proxies) {
		const struct proxy *px = list_entry(l, struct proxy, link);

		if (!px->disabled && !list_empty(&px->binds))
			return 1;
	}
	return 0;
}

/* HAProxy: "log format ignored for frontend 'fe' since it has no log
 * address." (option httplog / tcplog with nowhere to send the line) */
static void check_log_targets(struct cfg_ctx *ctx, struct proxy *px)
{
	int targets = !list_empty(&px->logs) ||
		      ((px->options & PR_O_LOG_GLOBAL) && !list_empty(&ctx->cfg->g.logs));

	if (!(px->cap & PR_CAP_FE) || (px->options & PR_O_NOLOG) || targets ||
	    !(px->options & (PR_O_HTTPLOG | PR_O_TCPLOG)))
		return;
	cfg_warn_at(ctx, 0, "log format ignored for %s '%s' since it has no log address.", cfg_px_type(px), px->id);
}

/* `dispatch` takes every request the balancer would place when no
 * `balance` is set; with one, HAProxy ignores it with a warning. Servers
 * beside a used dispatch address are reached only through persistence (a
 * cookie, a stick match, use-server), as in HAProxy. */
static void check_dispatch(struct cfg_ctx *ctx, struct proxy *px)
{
	struct list *l, *n;

	if (!px->dispatch_line)
		return;
	if (px->lb_set) {
		cfg_warn_at(ctx, px->dispatch_line, "dispatch address of %s '%s' will be ignored in balance mode.",
			    cfg_px_type(px), px->id);
		list_for_each_safe(l, n, &px->servers) {
			struct server *s = list_entry(l, struct server, link);

			if (s->line == px->dispatch_line && !strcmp(s->id, "dispatch")) {
				list_del(&s->link);
				srv_free(s);
				px->nsrv--;
			}
		}
		px->dispatch_line = 0;
		return;
	}
	list_for_each(l, &px->servers) {
		struct server *s = list_entry(l, struct server, link);

		if (s->line == px->dispatch_line && !strcmp(s->id, "dispatch"))
			px->dispatch_srv = s;
	}
}

static int srv_port(const struct server *s)
{
	if (s->port_map)
		return 0;
	if (s->hostname)   /* a name (DNS may give the address later); an SRV label's records give the port */
		return s->hostname[0] == '_' ? 1 : s->hostport;
	return s->addr.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&s->addr)->sin_port)
	     : ntohs(((const struct sockaddr_in6 *)&s->addr)->sin6_port);
}

/* A checked server needs a port to check: its own, `port`, `addr` with a
 * port, or a first `tcp-check connect port` (HAProxy's alerts). */
static void check_check_ports(struct cfg_ctx *ctx, struct proxy *px)
{
	const struct chk_px *p = px->defsrv.chk_px;
	struct list *l;

	list_for_each(l, &px->servers) {
		struct server *s = list_entry(l, struct server, link);
		int aport = 0, first = -1;

		if (!s->has_check || srv_port(s) || s->chk_port)
			continue;
		if (s->chk_addrlen)
			aport = s->chk_addr.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&s->chk_addr)->sin_port)
			      : ntohs(((struct sockaddr_in6 *)&s->chk_addr)->sin6_port);
		if (aport)
			continue;
		if (p && (p->type == CHK_TYPE_TCP || p->type == CHK_TYPE_HTTP))
			for (int i = 0; i < p->ntcp && first < 0; i++)
				if (p->tcp[i].act != TCR_COMMENT)
					first = i;
		if (p && p->type == CHK_TYPE_HTTP && p->conn_port)
			continue;
		if (!p || p->type != CHK_TYPE_TCP || first < 0) {
			cfg_err_at(ctx, s->line, "%s '%s': server '%s' has neither service port nor check port.",
				   cfg_px_type(px), px->id, s->id);
			continue;
		}
		if (p->tcp[first].act != TCR_CONNECT || !p->tcp[first].port) {
			cfg_err_at(ctx, s->line, "%s '%s': server '%s' has neither service port nor check port nor tcp_check "
				   "rule 'connect' with port information.", cfg_px_type(px), px->id, s->id);
			continue;
		}
		for (int i = first; i < p->ntcp; i++)
			if (p->tcp[i].act == TCR_CONNECT && !p->tcp[i].port) {
				cfg_err_at(ctx, s->line, "%s '%s': server '%s' has neither service port nor check port, and a "
					   "tcp_check rule 'connect' with no port information.", cfg_px_type(px), px->id, s->id);
				break;
			}
	}
}

void cfg_check_longtail(struct cfg_ctx *ctx, struct proxy *px)
{
	check_log_targets(ctx, px);
	if (px->cap & PR_CAP_BE) {
		check_dispatch(ctx, px);
		check_check_ports(ctx, px);
	}
}
