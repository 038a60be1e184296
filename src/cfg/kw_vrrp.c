/* The `vrrp NAME` section (tandem's own; HAProxy has none): one VRRPv3
 * virtual router shared with other tandem nodes or keepalived. Keywords
 * and defaults are documented in doc/vrrp.md:
 *
 *   vrrp web
 *       interface eth0
 *       virtual-router-id 51
 *       priority 200                  # 1..255, 255 = address owner; default 100
 *       advert-int 100ms              # 10 ms steps (centiseconds); default 1s
 *       virtual-ipaddress 192.0.2.100/24 [dev eth1]
 *       preempt | no preempt          # default preempt
 *       preempt-delay 5s
 *       unicast-peer 192.0.2.2        # unicast instead of multicast 224.0.0.18
 *       garp-repeat 5
 *       garp-refresh 60s
 *       track-backend app [weight -50]
 *       notify /usr/local/bin/vrrp-notify
 *
 * The section being parsed is always the last one of cfg->vrrps. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/vrrp.h>
#include "cfg_int.h"

static struct vrrp_conf *cur(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->vrrps.prev, struct vrrp_conf, link);
}

int cfg_vrrp_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct vrrp_conf *c;
	const char *bad;
	struct list *l;

	ctx->sec = SEC_SKIP;   /* its lines are not reported one by one on error */
	ctx->px = NULL;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'vrrp' expects a <name> argument.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in 'vrrp' name '%s'.", *bad, args[1]);
	if (strlen(args[1]) >= VRRP_NAME_LEN)
		return cfg_err(ctx, "'vrrp' name '%s' is too long (at most %d characters).", args[1], VRRP_NAME_LEN - 1);
	list_for_each(l, &ctx->cfg->vrrps) {
		c = list_entry(l, struct vrrp_conf, link);
		if (!strcmp(c->name, args[1]))
			return cfg_err(ctx, "vrrp '%s' has the same name as vrrp '%s' declared at %s:%d.",
				       args[1], c->name, c->file, c->line);
	}
	if (!(c = calloc(1, sizeof(*c))))
		return cfg_err(ctx, "out of memory");
	strcpy(c->name, args[1]);
	c->priority = 100;      /* keepalived's default */
	c->adver_cs = 100;      /* 1 s, RFC 5798's default */
	c->preempt = 1;
	c->garp_repeat = 5;     /* keepalived's vrrp_garp_master_repeat */
	c->file = ctx->file;
	c->line = ctx->line;
	list_add_tail(&ctx->cfg->vrrps, &c->link);
	ctx->sec = SEC_VRRP;
	return 0;
}

/* ---- keyword handlers: (ctx, conf, args, nargs); 0 or -1 (reported) ---- */

static int ifname_arg(struct cfg_ctx *ctx, const char *kw, const char *s, char out[VRRP_IFNAME_LEN])
{
	if (!s || !*s)
		return cfg_err(ctx, "'%s' expects an interface name.", kw);
	if (strlen(s) >= VRRP_IFNAME_LEN || strchr(s, '/') || strchr(s, ' '))
		return cfg_err(ctx, "'%s': invalid interface name '%s'.", kw, s);
	strcpy(out, s);
	return 0;
}

static int ipv4_arg(struct cfg_ctx *ctx, const char *kw, const char *s, struct vrrp_ip *ip)
{
	uint8_t a6[16];

	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a6) == 1)
		return cfg_err(ctx, "'%s': IPv6 address '%s' is not supported yet (VRRP runs over IPv4 only).", kw, s);
	return cfg_err(ctx, "'%s': invalid IPv4 address '%s'.", kw, s);
}

static int kw_interface(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return ifname_arg(ctx, args[0], args[1], c->ifname);
}

static int kw_vrid(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_int(ctx, args[0], args[1], 1, 255, &v) < 0)
		return -1;
	c->vrid = (int)v;
	return 0;
}

static int kw_priority(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_int(ctx, args[0], args[1], 1, 255, &v) < 0)
		return -1;
	c->priority = (int)v;
	return 0;
}

static int kw_advert_int(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	uint32_t ms;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_time(ctx, args[0], args[1], &ms) < 0)
		return -1;
	/* the Max Adver Int field carries 12 bits of centiseconds */
	if (ms % 10 || ms < 10 || ms > VRRP_MAX_ADVER_CS * 10)
		return cfg_err(ctx, "'advert-int' must be a multiple of 10 ms between 10ms and %dms "
			       "(VRRPv3 carries centiseconds), got '%s'.", VRRP_MAX_ADVER_CS * 10, args[1]);
	c->adver_cs = ms / 10;
	return 0;
}

/* virtual-ipaddress ADDR[/LEN] [dev IF] */
static int kw_vip(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	struct vrrp_vip v;
	char addr[64], *slash;
	long long plen = 32;

	memset(&v, 0, sizeof(v));
	if (nargs < 2)
		return cfg_err(ctx, "'virtual-ipaddress' expects <address>[/<prefix length>] [dev <interface>].");
	if (nargs > 2) {
		if (strcmp(args[2], "dev") != 0 || nargs != 4)
			return cfg_err(ctx, "'virtual-ipaddress' expects <address>[/<prefix length>] [dev <interface>], got '%s'.",
				       args[2]);
		if (ifname_arg(ctx, "virtual-ipaddress ... dev", args[3], v.dev) < 0)
			return -1;
	}
	if (strlen(args[1]) >= sizeof(addr))
		return cfg_err(ctx, "'virtual-ipaddress': invalid address '%s'.", args[1]);
	strcpy(addr, args[1]);
	if ((slash = strchr(addr, '/')))
		*slash++ = 0;
	if (ipv4_arg(ctx, args[0], addr, &v.ip) < 0)
		return -1;
	if (slash && cfg_parse_int(slash, 1, 32, &plen) < 0)
		return cfg_err(ctx, "'virtual-ipaddress': invalid prefix length '%s' (1 to 32).", slash);
	v.plen = (int)plen;
	for (int i = 0; i < c->nvips; i++)
		if (!memcmp(c->vips[i].ip.a, v.ip.a, 4))
			return cfg_err(ctx, "'virtual-ipaddress': '%s' is already listed.", addr);
	if (c->nvips == VRRP_MAX_VIPS)
		return cfg_err(ctx, "'virtual-ipaddress': at most %d addresses per vrrp section.", VRRP_MAX_VIPS);
	c->vips[c->nvips++] = v;
	return 0;
}

static int kw_preempt(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 0) < 0)
		return -1;
	c->preempt = !ctx->no;
	return 0;
}

static int kw_preempt_delay(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_time(ctx, args[0], args[1], &c->preempt_delay_ms) < 0)
		return -1;
	if (c->preempt_delay_ms > 3600000)
		return cfg_err(ctx, "'preempt-delay' is at most 1h, got '%s'.", args[1]);
	return 0;
}

static int kw_peer(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	struct vrrp_ip ip;

	if (nargs < 2)
		return cfg_err(ctx, "'unicast-peer' expects an IPv4 address.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || ipv4_arg(ctx, args[0], args[1], &ip) < 0)
		return -1;
	for (int i = 0; i < c->npeers; i++)
		if (!memcmp(c->peers[i].a, ip.a, 4))
			return cfg_err(ctx, "'unicast-peer': '%s' is already listed.", args[1]);
	if (c->npeers == VRRP_MAX_PEERS)
		return cfg_err(ctx, "'unicast-peer': at most %d peers.", VRRP_MAX_PEERS);
	c->peers[c->npeers++] = ip;
	return 0;
}

static int kw_garp_repeat(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_int(ctx, args[0], args[1], 0, 100, &v) < 0)
		return -1;
	c->garp_repeat = (int)v;
	return 0;
}

static int kw_garp_refresh(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_time(ctx, args[0], args[1], &c->garp_refresh_ms) < 0)
		return -1;
	if (c->garp_refresh_ms && c->garp_refresh_ms < 100)
		return cfg_err(ctx, "'garp-refresh' is 0 (off) or at least 100ms, got '%s'.", args[1]);
	return 0;
}

/* track-backend NAME [weight -N] */
static int kw_track(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	struct vrrp_track *t;
	long long w = 0;

	if (nargs != 2 && nargs != 4)
		return cfg_err(ctx, "'track-backend' expects <backend> [weight -<N>].");
	if (nargs == 4) {
		if (strcmp(args[2], "weight") != 0)
			return cfg_err(ctx, "'track-backend' expects <backend> [weight -<N>], got '%s'.", args[2]);
		if (cfg_parse_int(args[3], -254, -1, &w) < 0)
			return cfg_err(ctx, "'track-backend %s weight' expects -1 to -254 (the priority is lowered by N), got '%s'.",
				       args[1], args[3]);
	}
	if (c->ntracks == VRRP_MAX_TRACK)
		return cfg_err(ctx, "'track-backend': at most %d per vrrp section.", VRRP_MAX_TRACK);
	t = &c->tracks[c->ntracks];
	if (!(t->backend = strdup(args[1])))
		return cfg_err(ctx, "out of memory");
	t->weight = (int)-w;
	t->line = ctx->line;
	c->ntracks++;
	return 0;
}

static int kw_notify(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs < 2 || args[1][0] != '/')
		return cfg_err(ctx, "'notify' expects the absolute path of a program.");
	return cfg_strdup(ctx, &c->notify, args[1]);
}

static const struct {
	const char *name;
	int (*fn)(struct cfg_ctx *, struct vrrp_conf *, char **, int);
	int no_ok;
} vrrp_kws[] = {
	{ "interface",         kw_interface,     0 },
	{ "virtual-router-id", kw_vrid,          0 },
	{ "priority",          kw_priority,      0 },
	{ "advert-int",        kw_advert_int,    0 },
	{ "virtual-ipaddress", kw_vip,           0 },
	{ "preempt",           kw_preempt,       1 },
	{ "preempt-delay",     kw_preempt_delay, 0 },
	{ "unicast-peer",      kw_peer,          0 },
	{ "garp-repeat",       kw_garp_repeat,   0 },
	{ "garp-refresh",      kw_garp_refresh,  0 },
	{ "track-backend",     kw_track,         0 },
	{ "notify",            kw_notify,        0 },
};

int cfg_vrrp_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	ctx->no = 0;
	if (!strcmp(args[0], "no")) {
		if (nargs < 2)
			return cfg_err(ctx, "'no' expects a keyword.");
		ctx->no = 1;
		args++;
		nargs--;
	}
	for (size_t i = 0; i < ARRAY_SIZE(vrrp_kws); i++) {
		if (strcmp(args[0], vrrp_kws[i].name) != 0)
			continue;
		if (ctx->no && !vrrp_kws[i].no_ok)
			return cfg_err(ctx, "'no %s' is not supported: in a 'vrrp' section only 'no preempt' is.", args[0]);
		return vrrp_kws[i].fn(ctx, cur(ctx), args, nargs);
	}
	return cfg_err(ctx, "unknown keyword '%s' in 'vrrp' section", args[0]);
}

int cfg_vrrp_check(struct cfg_ctx *ctx)
{
	struct list *l, *m;
	int bad = 0;

	list_for_each(l, &ctx->cfg->vrrps) {
		struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);

		if (!c->ifname[0])
			bad |= cfg_err_at(ctx, c->line, "vrrp '%s' has no 'interface'.", c->name);
		if (!c->vrid)
			bad |= cfg_err_at(ctx, c->line, "vrrp '%s' has no 'virtual-router-id'.", c->name);
		if (!c->nvips)
			bad |= cfg_err_at(ctx, c->line, "vrrp '%s' has no 'virtual-ipaddress'.", c->name);
		for (int i = 0; i < c->ntracks; i++)
			if (!cfg_find_proxy(ctx->cfg, c->tracks[i].backend, PR_CAP_BE))
				bad |= cfg_err_at(ctx, c->tracks[i].line, "vrrp '%s': 'track-backend' names unknown backend '%s'.",
						  c->name, c->tracks[i].backend);
		for (int p = 0; p < c->npeers; p++)
			for (int i = 0; i < c->nvips; i++)
				if (!memcmp(c->peers[p].a, c->vips[i].ip.a, 4))
					bad |= cfg_err_at(ctx, c->line, "vrrp '%s': a unicast-peer is one of its virtual addresses.",
							  c->name);
		/* two routers with one VRID on one link would fight each other */
		for (m = l->next; m != &ctx->cfg->vrrps; m = m->next) {
			struct vrrp_conf *o = list_entry(m, struct vrrp_conf, link);

			if (o->vrid == c->vrid && c->vrid && !strcmp(o->ifname, c->ifname))
				bad |= cfg_err_at(ctx, o->line, "vrrp '%s' uses virtual-router-id %d on %s like vrrp '%s' (line %d).",
						  o->name, o->vrid, o->ifname, c->name, c->line);
		}
	}
	return bad ? -1 : 0;
}

void cfg_vrrp_free(struct cfg *cfg)
{
	if (!cfg->vrrps.next)
		return;   /* a struct cfg that never went through cfg_load */
	while (!list_empty(&cfg->vrrps)) {
		struct vrrp_conf *c = list_entry(cfg->vrrps.next, struct vrrp_conf, link);

		list_del(&c->link);
		for (int i = 0; i < c->ntracks; i++)
			free(c->tracks[i].backend);
		free(c->notify);
		free(c);
	}
}

int vrrp_addr_is_vip(const struct cfg *cfg, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct list *l;

	if (!cfg->vrrps.next || ss->ss_family != AF_INET)
		return 0;
	for (l = cfg->vrrps.next; l != &cfg->vrrps; l = l->next) {
		const struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);

		for (int i = 0; i < c->nvips; i++)
			if (c->vips[i].ip.af == AF_INET && !memcmp(c->vips[i].ip.a, &sin->sin_addr, 4))
				return 1;
	}
	return 0;
}
