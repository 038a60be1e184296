/* The `anycast NAME` section (tandem's own; HAProxy has none): service
 * addresses announced over BGP by a local BIRD 2 while this node can
 * serve. Keywords and defaults are documented in doc/scale-out.md:
 *
 *   anycast web
 *       address 198.51.100.10 protocol anycast_web [dev lo]   # host route, repeatable
 *       bird-socket /run/bird/bird.ctl                         # the default
 *       track-backend app                                      # repeatable
 *       withdraw-delay 2s                                      # the default
 *
 * The section being parsed is always the last one of cfg->anycasts. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/bgp.h>
#include <tandem/vrrp.h>
#include "cfg_int.h"

static struct bgp_conf *cur(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->anycasts.prev, struct bgp_conf, link);
}

int cfg_bgp_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct bgp_conf *c;
	const char *bad;
	struct list *l;

	ctx->sec = SEC_SKIP;   /* its lines are not reported one by one on error */
	ctx->px = NULL;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'anycast' expects a <name> argument.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in 'anycast' name '%s'.", *bad, args[1]);
	if (strlen(args[1]) >= BGP_NAME_LEN)
		return cfg_err(ctx, "'anycast' name '%s' is too long (at most %d characters).", args[1], BGP_NAME_LEN - 1);
	list_for_each(l, &ctx->cfg->anycasts) {
		c = list_entry(l, struct bgp_conf, link);
		if (!strcmp(c->name, args[1]))
			return cfg_err(ctx, "anycast '%s' has the same name as anycast '%s' declared at %s:%d.",
				       args[1], c->name, c->file, c->line);
	}
	if (!(c = calloc(1, sizeof(*c))))
		return cfg_err(ctx, "out of memory");
	strcpy(c->name, args[1]);
	strcpy(c->socket, BGP_DEF_SOCKET);
	c->withdraw_delay_ms = BGP_DEF_WITHDRAW_DELAY_MS;
	c->file = ctx->file;
	c->line = ctx->line;
	list_add_tail(&ctx->cfg->anycasts, &c->link);
	ctx->sec = SEC_ANYCAST;
	return 0;
}

/* ---- keyword handlers: (ctx, conf, args, nargs); 0 or -1 (reported) ---- */

/* address ADDR[/32|/128] protocol NAME [dev IF] */
static int kw_address(struct cfg_ctx *ctx, struct bgp_conf *c, char **args, int nargs)
{
	static const char usage[] = "'address' expects <address>[/32|/128] protocol <BIRD protocol> [dev <interface>]";
	struct bgp_addr a;
	char addr[64], *slash;
	long long plen;

	memset(&a, 0, sizeof(a));
	strcpy(a.dev, BGP_DEF_DEV);
	a.line = ctx->line;
	if (nargs < 2)
		return cfg_err(ctx, "%s.", usage);
	for (int i = 2; i < nargs; i += 2) {
		if (i + 1 >= nargs)
			return cfg_err(ctx, "%s: '%s' needs a value.", usage, args[i]);
		if (!strcmp(args[i], "protocol")) {
			if (!birdc_proto_name_ok(args[i + 1]))
				return cfg_err(ctx, "'address': invalid BIRD protocol name '%s' (letters, digits and '_', "
					       "starting with a letter or '_', at most %d characters).", args[i + 1], BGP_PROTO_LEN - 1);
			strcpy(a.proto, args[i + 1]);
		} else if (!strcmp(args[i], "dev")) {
			if (!*args[i + 1] || strlen(args[i + 1]) >= BGP_IFNAME_LEN || strchr(args[i + 1], '/'))
				return cfg_err(ctx, "'address ... dev': invalid interface name '%s'.", args[i + 1]);
			strcpy(a.dev, args[i + 1]);
		} else {
			return cfg_err(ctx, "%s, got '%s'.", usage, args[i]);
		}
	}
	if (!a.proto[0])
		return cfg_err(ctx, "'address %s' names no BIRD protocol: %s.", args[1], usage);
	if (strlen(args[1]) >= sizeof(addr))
		return cfg_err(ctx, "'address': invalid address '%s'.", args[1]);
	strcpy(addr, args[1]);
	if ((slash = strchr(addr, '/')))
		*slash++ = 0;
	if (inet_pton(AF_INET, addr, a.a) == 1)
		a.af = AF_INET;
	else if (inet_pton(AF_INET6, addr, a.a) == 1)
		a.af = AF_INET6;
	else
		return cfg_err(ctx, "'address': invalid IP address '%s'.", addr);
	plen = a.af == AF_INET ? 32 : 128;
	if (slash && cfg_parse_int(slash, 0, plen, &plen) < 0)
		return cfg_err(ctx, "'address': invalid prefix length '%s'.", slash);
	/* each node announces one route per service address: the address itself */
	if (plen != (a.af == AF_INET ? 32 : 128))
		return cfg_err(ctx, "'address %s' is not a host route: a service address is announced as /%d, got /%lld.",
			       args[1], a.af == AF_INET ? 32 : 128, plen);
	if ((a.af == AF_INET && (a.a[0] == 0 || a.a[0] == 127 || a.a[0] >= 224 || (a.a[0] == 169 && a.a[1] == 254))) ||
	    (a.af == AF_INET6 && (a.a[0] == 0xff || (a.a[0] == 0xfe && (a.a[1] & 0xc0) == 0x80) ||
				  !memcmp(a.a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15))))
		return cfg_err(ctx, "'address': '%s' cannot be a service address (unspecified, loopback, link-local or multicast).",
			       addr);
	for (int i = 0; i < c->naddrs; i++)
		if (c->addrs[i].af == a.af && !memcmp(c->addrs[i].a, a.a, 16))
			return cfg_err(ctx, "'address': '%s' is already listed.", addr);
	if (c->naddrs == BGP_MAX_ADDR)
		return cfg_err(ctx, "'address': at most %d addresses per anycast section.", BGP_MAX_ADDR);
	c->addrs[c->naddrs++] = a;
	return 0;
}

static int kw_socket(struct cfg_ctx *ctx, struct bgp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs < 2 || args[1][0] != '/')
		return cfg_err(ctx, "'bird-socket' expects the absolute path of BIRD's control socket.");
	if (strlen(args[1]) >= BGP_SOCK_LEN)
		return cfg_err(ctx, "'bird-socket': path '%s' is too long for a UNIX socket (at most %d characters).",
			       args[1], BGP_SOCK_LEN - 1);
	strcpy(c->socket, args[1]);
	return 0;
}

static int kw_track(struct cfg_ctx *ctx, struct bgp_conf *c, char **args, int nargs)
{
	struct bgp_track *t;

	if (nargs > 2 && !strcmp(args[2], "weight"))
		return cfg_err(ctx, "'track-backend ... weight' has no meaning in an 'anycast' section (there is no "
			       "priority: the addresses are announced or not); remove 'weight'.");
	if (nargs < 2 || cfg_max_args(ctx, args, nargs, 1) < 0)
		return nargs < 2 ? cfg_err(ctx, "'track-backend' expects <backend>.") : -1;
	if (c->ntracks == BGP_MAX_TRACK)
		return cfg_err(ctx, "'track-backend': at most %d per anycast section.", BGP_MAX_TRACK);
	for (int i = 0; i < c->ntracks; i++)
		if (!strcmp(c->tracks[i].backend, args[1]))
			return cfg_err(ctx, "'track-backend': '%s' is already tracked.", args[1]);
	t = &c->tracks[c->ntracks];
	if (!(t->backend = strdup(args[1])))
		return cfg_err(ctx, "out of memory");
	t->line = ctx->line;
	c->ntracks++;
	return 0;
}

static int kw_withdraw_delay(struct cfg_ctx *ctx, struct bgp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_time(ctx, args[0], args[1], &c->withdraw_delay_ms) < 0)
		return -1;
	if (c->withdraw_delay_ms > 600000)
		return cfg_err(ctx, "'withdraw-delay' is at most 10m, got '%s'.", args[1]);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cfg_ctx *, struct bgp_conf *, char **, int);
} bgp_kws[] = {
	{ "address",        kw_address },
	{ "bird-socket",    kw_socket },
	{ "track-backend",  kw_track },
	{ "withdraw-delay", kw_withdraw_delay },
};

int cfg_bgp_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (!strcmp(args[0], "no"))
		return cfg_err(ctx, "the 'no' prefix is not supported in an 'anycast' section.");
	for (size_t i = 0; i < ARRAY_SIZE(bgp_kws); i++)
		if (!strcmp(args[0], bgp_kws[i].name))
			return bgp_kws[i].fn(ctx, cur(ctx), args, nargs);
	return cfg_err(ctx, "unknown keyword '%s' in 'anycast' section", args[0]);
}

/* 1 if a frontend binds <a>'s address, or the wildcard of its family. */
static int bound_by_a_frontend(const struct cfg *cfg, const struct bgp_addr *a)
{
	const struct list *pl, *bl;

	for (pl = cfg->proxies.next; pl != &cfg->proxies; pl = pl->next) {
		const struct proxy *px = list_entry(pl, struct proxy, link);

		if (!(px->cap & PR_CAP_FE) || px->disabled)
			continue;
		for (bl = px->binds.next; bl != &px->binds; bl = bl->next) {
			const struct bind_conf *b = list_entry(bl, struct bind_conf, link);
			const struct sockaddr_in *s4 = (const void *)&b->addr;
			const struct sockaddr_in6 *s6 = (const void *)&b->addr;

			if (b->addr.ss_family == AF_INET && a->af == AF_INET &&
			    (!s4->sin_addr.s_addr || !memcmp(&s4->sin_addr, a->a, 4)))
				return 1;
			if (b->addr.ss_family == AF_INET6 &&
			    (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) ||
			     (a->af == AF_INET6 && !memcmp(&s6->sin6_addr, a->a, 16))))
				return 1;   /* [::] also takes IPv4 unless v6only */
		}
	}
	return 0;
}

int cfg_bgp_check(struct cfg_ctx *ctx)
{
	struct list *l, *m;
	int bad = 0;

	list_for_each(l, &ctx->cfg->anycasts) {
		struct bgp_conf *c = list_entry(l, struct bgp_conf, link);

		if (!c->naddrs)
			bad |= cfg_err_at(ctx, c->line, "anycast '%s' has no 'address'.", c->name);
		for (int i = 0; i < c->ntracks; i++)
			if (!cfg_find_proxy(ctx->cfg, c->tracks[i].backend, PR_CAP_BE))
				bad |= cfg_err_at(ctx, c->tracks[i].line, "anycast '%s': 'track-backend' names unknown backend '%s'.",
						  c->name, c->tracks[i].backend);
		for (int i = 0; i < c->naddrs; i++) {
			const struct bgp_addr *a = &c->addrs[i];
			struct sockaddr_storage ss;
			char s[INET6_ADDRSTRLEN];

			inet_ntop(a->af, a->a, s, sizeof(s));
			memset(&ss, 0, sizeof(ss));
			ss.ss_family = (sa_family_t)a->af;
			if (a->af == AF_INET)
				memcpy(&((struct sockaddr_in *)&ss)->sin_addr, a->a, 4);
			if (a->af == AF_INET && vrrp_addr_is_vip(ctx->cfg, &ss))
				bad |= cfg_err_at(ctx, a->line, "anycast '%s': %s is also a VRRP virtual address.", c->name, s);
			if (!bound_by_a_frontend(ctx->cfg, a))
				cfg_warn_at(ctx, a->line, "anycast '%s': no frontend binds %s (nor a wildcard address): "
					    "the node would attract connections nobody accepts.", c->name, s);
		}
		/* one address or one BIRD protocol in two sections: they would fight */
		for (m = l->next; m != &ctx->cfg->anycasts; m = m->next) {
			struct bgp_conf *o = list_entry(m, struct bgp_conf, link);

			for (int i = 0; i < o->naddrs; i++)
				for (int j = 0; j < c->naddrs; j++) {
					char s[INET6_ADDRSTRLEN];

					if (o->addrs[i].af == c->addrs[j].af && !memcmp(o->addrs[i].a, c->addrs[j].a, 16))
						bad |= cfg_err_at(ctx, o->addrs[i].line, "anycast '%s': %s is also an address of anycast '%s' (line %d).",
								  o->name, inet_ntop(o->addrs[i].af, o->addrs[i].a, s, sizeof(s)),
								  c->name, c->addrs[j].line);
					else if (!strcmp(o->addrs[i].proto, c->addrs[j].proto) && !strcmp(o->socket, c->socket))
						bad |= cfg_err_at(ctx, o->addrs[i].line, "anycast '%s': BIRD protocol %s is also used by anycast '%s' (line %d).",
								  o->name, o->addrs[i].proto, c->name, c->addrs[j].line);
				}
		}
	}
	return bad ? -1 : 0;
}

void cfg_bgp_free(struct cfg *cfg)
{
	if (!cfg->anycasts.next)
		return;   /* a struct cfg that never went through cfg_load */
	while (!list_empty(&cfg->anycasts)) {
		struct bgp_conf *c = list_entry(cfg->anycasts.next, struct bgp_conf, link);

		list_del(&c->link);
		for (int i = 0; i < c->ntracks; i++)
			free(c->tracks[i].backend);
		free(c);
	}
}

int bgp_addr_is_service(const struct cfg *cfg, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct list *l;

	if (!cfg->anycasts.next)
		return 0;
	for (l = cfg->anycasts.next; l != &cfg->anycasts; l = l->next) {
		const struct bgp_conf *c = list_entry(l, struct bgp_conf, link);

		for (int i = 0; i < c->naddrs; i++) {
			if (c->addrs[i].af == AF_INET && ss->ss_family == AF_INET && !memcmp(c->addrs[i].a, &s4->sin_addr, 4))
				return 1;
			if (c->addrs[i].af == AF_INET6 && ss->ss_family == AF_INET6 && !memcmp(c->addrs[i].a, &s6->sin6_addr, 16))
				return 1;
		}
	}
	return 0;
}
