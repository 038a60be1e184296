/* tandem's own VRRP sections (HAProxy has none) and the VRRP global
 * keywords. doc/vrrp.md lists every keyword with its default and its
 * keepalived.conf twin:
 *
 *   vrrp web                          # one virtual router (keepalived: vrrp_instance)
 *       interface eth0
 *       virtual-router-id 51
 *       version 3                     # 2 or 3; default 3
 *       priority 200                  # 1..255, 255 = address owner; default 100
 *       advert-int 100ms              # v3: 10 ms steps; v2: whole seconds; default 1s
 *       virtual-ipaddress 192.0.2.100/24 [dev eth1] [label eth0:1] [scope S] [brd B]
 *       track-backend app [weight -50]
 *       track-script chk [weight -20]
 *       notify-master "/usr/local/bin/master web" [user nobody]
 *       ...
 *   vrrp-script chk                   # keepalived: vrrp_script
 *       script "killall -0 myd"
 *       interval 2s
 *   vrrp-track-file maint             # keepalived: track_file
 *       file /run/maint
 *   vrrp-sync-group both              # keepalived: vrrp_sync_group
 *       group web db
 *
 *   global
 *       keepalived-config /etc/keepalived/keepalived.conf   # read a keepalived.conf too
 *
 * Instances from either language end in cfg->vrrps; scripts, track files,
 * groups and process-wide settings in cfg->vrrp (struct vrrp_set). The
 * section being parsed is always the last one of its list. */
#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/log.h>
#include <tandem/vrrp.h>
#include "cfg_int.h"

static struct vrrp_set *vset(struct cfg_ctx *ctx)
{
	struct cfg *cfg = ctx->cfg;

	if (!cfg->vrrp) {
		if (!(cfg->vrrp = malloc(sizeof(*cfg->vrrp)))) {
			cfg_err(ctx, "out of memory");
			return NULL;
		}
		vrrp_set_init(cfg->vrrp);
	}
	return cfg->vrrp;
}

static struct vrrp_conf *cur(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->vrrps.prev, struct vrrp_conf, link);
}

static struct vrrp_script_conf *cur_script(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->vrrp->scripts.prev, struct vrrp_script_conf, link);
}

static struct vrrp_tfile_conf *cur_tfile(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->vrrp->tfiles.prev, struct vrrp_tfile_conf, link);
}

static struct vrrp_group_conf *cur_group(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->vrrp->groups.prev, struct vrrp_group_conf, link);
}

/* Report <msg> at <file>:<line> (a keepalived.conf, an include of it). */
static void err_in(void *vctx, const char *file, int line, const char *msg)
{
	struct cfg_ctx *ctx = vctx;
	const char *saved = ctx->file;

	/* no file: the line being parsed (keepalived-config itself) */
	ctx->file = file ? file : saved;
	cfg_err_at(ctx, file ? line : ctx->line, "%s", msg);
	ctx->file = saved;
}

static void warn_in(void *vctx, const char *file, int line, const char *msg)
{
	struct cfg_ctx *ctx = vctx;
	const char *saved = ctx->file;

	ctx->file = file ? file : saved;
	cfg_warn_at(ctx, line, "%s", msg);
	ctx->file = saved;
}

/* ---- sections ---- */

int cfg_vrrp_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *kind = args[0], *bad, *name = nargs > 1 ? args[1] : NULL;
	struct vrrp_set *s;
	struct list *l;

	ctx->sec = SEC_SKIP;   /* its lines are not reported one by one on error */
	ctx->px = NULL;
	if (!name || !*name)
		return cfg_err(ctx, "'%s' expects a <name> argument.", kind);
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if ((bad = cfg_invalid_char(name)))
		return cfg_err(ctx, "character '%c' is not permitted in '%s' name '%s'.", *bad, kind, name);
	if (strlen(name) >= VRRP_NAME_LEN)
		return cfg_err(ctx, "'%s' name '%s' is too long (at most %d characters).", kind, name, VRRP_NAME_LEN - 1);
	if (!(s = vset(ctx)))
		return -1;
	if (!strcmp(kind, "vrrp")) {
		struct vrrp_conf *c;

		list_for_each(l, &ctx->cfg->vrrps) {
			c = list_entry(l, struct vrrp_conf, link);
			if (!strcmp(c->name, name))
				return cfg_err(ctx, "vrrp '%s' has the same name as vrrp '%s' declared at %s:%d.",
					       name, c->name, c->file, c->line);
		}
		if (!(c = vrrp_conf_new(name, VRRP_NATIVE)))
			return cfg_err(ctx, "out of memory");
		c->file = ctx->file;
		c->line = ctx->line;
		list_add_tail(&ctx->cfg->vrrps, &c->link);
		ctx->sec = SEC_VRRP;
	} else if (!strcmp(kind, "vrrp-script")) {
		struct vrrp_script_conf *sc = vrrp_script_find(s, name);

		if (sc)
			return cfg_err(ctx, "vrrp-script '%s' is already declared at %s:%d.", name, sc->file, sc->line);
		if (!(sc = calloc(1, sizeof(*sc))))
			return cfg_err(ctx, "out of memory");
		strcpy(sc->name, name);
		sc->cmd.uid = sc->cmd.gid = -1;
		sc->interval_ms = 1000;   /* keepalived's defaults */
		sc->rise = sc->fall = 1;
		sc->file = ctx->file;
		sc->line = ctx->line;
		list_add_tail(&s->scripts, &sc->link);
		ctx->sec = SEC_VRRP_SCRIPT;
	} else if (!strcmp(kind, "vrrp-track-file")) {
		struct vrrp_tfile_conf *tf = vrrp_tfile_find(s, name);

		if (tf)
			return cfg_err(ctx, "vrrp-track-file '%s' is already declared at %s:%d.", name, tf->file, tf->line);
		if (!(tf = calloc(1, sizeof(*tf))))
			return cfg_err(ctx, "out of memory");
		strcpy(tf->name, name);
		tf->weight = 1;
		tf->file = ctx->file;
		tf->line = ctx->line;
		list_add_tail(&s->tfiles, &tf->link);
		ctx->sec = SEC_VRRP_TFILE;
	} else {
		struct vrrp_group_conf *g = vrrp_group_find(s, name);

		if (g)
			return cfg_err(ctx, "vrrp-sync-group '%s' is already declared at %s:%d.", name, g->file, g->line);
		if (!(g = calloc(1, sizeof(*g))))
			return cfg_err(ctx, "out of memory");
		strcpy(g->name, name);
		for (int i = 0; i < VRRP_NOTIFY_N; i++)
			g->notify[i].uid = g->notify[i].gid = -1;
		g->file = ctx->file;
		g->line = ctx->line;
		list_add_tail(&s->groups, &g->link);
		ctx->sec = SEC_VRRP_GROUP;
	}
	return 0;
}

/* ---- argument helpers: report and return -1 ---- */

static int ifname_arg(struct cfg_ctx *ctx, const char *kw, const char *s, char out[VRRP_IFNAME_LEN])
{
	if (!s || !*s)
		return cfg_err(ctx, "'%s' expects an interface name.", kw);
	if (strlen(s) >= VRRP_IFNAME_LEN || strchr(s, '/') || strchr(s, ' ') || !strcmp(s, ".") || !strcmp(s, ".."))
		return cfg_err(ctx, "'%s': invalid interface name '%s'.", kw, s);
	strcpy(out, s);
	return 0;
}

static int ip_arg(struct cfg_ctx *ctx, const char *kw, const char *s, struct vrrp_ip *ip)
{
	int plen;

	if (!s || strchr(s, '/') || vrrp_parse_prefix(s, ip, &plen) < 0)
		return cfg_err(ctx, "'%s': invalid IP address '%s'.", kw, s ? s : "");
	return 0;
}

static int weight_arg(struct cfg_ctx *ctx, char **args, int nargs, int lim, struct vrrp_track *t)
{
	long long w;

	if (nargs == 2)
		return 0;
	if (nargs != 4 || strcmp(args[2], "weight"))
		return cfg_err(ctx, "'%s' expects <name> [weight <N>].", args[0]);
	if (cfg_parse_int(args[3], -lim, lim, &w) < 0)
		return cfg_err(ctx, "'%s %s weight' expects %d to %d, got '%s'.", args[0], args[1], -lim, lim, args[3]);
	t->weight = (int)w;
	t->weight_set = 1;
	return 0;
}

/* track-{backend,script,interface,file} NAME [weight N] into <tracks>. */
static int track_arg(struct cfg_ctx *ctx, char **args, int nargs, struct vrrp_track *tracks, int *n)
{
	static const struct { const char *kw; int kind, lim; } kinds[] = {
		{ "track-backend", VRRP_TRK_BACKEND, 253 }, { "track-script", VRRP_TRK_SCRIPT, 253 },
		{ "track-interface", VRRP_TRK_IF, 253 }, { "track-file", VRRP_TRK_FILE, 254 },
	};
	struct vrrp_track t = { 0 };
	size_t k;

	for (k = 0; strcmp(kinds[k].kw, args[0]); k++)
		;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects <name> [weight <N>].", args[0]);
	if (weight_arg(ctx, args, nargs, kinds[k].lim, &t) < 0)
		return -1;
	if (*n == VRRP_MAX_TRACK)
		return cfg_err(ctx, "'%s': at most %d tracked objects per section.", args[0], VRRP_MAX_TRACK);
	t.kind = kinds[k].kind;
	t.file = ctx->file;
	t.line = ctx->line;
	if (kinds[k].kind == VRRP_TRK_IF && strlen(args[1]) >= VRRP_IFNAME_LEN)
		return cfg_err(ctx, "'%s': invalid interface name '%s'.", args[0], args[1]);
	if (!(t.name = strdup(args[1])))
		return cfg_err(ctx, "out of memory");
	tracks[(*n)++] = t;
	return 0;
}

/* CMD [user USER [GROUP]] into <cmd>. */
static int cmd_arg(struct cfg_ctx *ctx, char **args, int nargs, struct vrrp_cmd *cmd)
{
	const char *why;
	char ubuf[128];
	char **argv;

	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "'%s' expects a command (in quotes when it has arguments) [user <user> [<group>]].",
			       args[0]);
	if (nargs > 2 && (strcmp(args[2], "user") || nargs < 4 || nargs > 5))
		return cfg_err(ctx, "'%s' expects a command (in quotes when it has arguments) [user <user> [<group>]], got '%s'.",
			       args[0], args[2]);
	if (!(argv = vrrp_cmd_split(args[1], &why)))
		return cfg_err(ctx, "'%s': %s.", args[0], why);
	vrrp_cmd_free(cmd);
	cmd->argv = argv;
	cmd->uid = cmd->gid = -1;
	if (nargs > 2 && vrrp_user_lookup(args[3], nargs > 4 ? args[4] : NULL, &cmd->uid, &cmd->gid,
					  ubuf, sizeof(ubuf)) < 0)
		return cfg_err(ctx, "'%s': %s.", args[0], ubuf);
	return 0;
}

static int notify_kind(const char *kw)
{
	static const char *const names[VRRP_NOTIFY_N] = {
		"notify-master", "notify-backup", "notify-fault", "notify-stop", "notify", "notify-master-rx-lower-pri",
	};

	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		if (!strcmp(kw, names[i]))
			return i;
	return -1;
}

static int time_arg(struct cfg_ctx *ctx, char **args, int nargs, uint32_t max_ms, uint32_t *out)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_time(ctx, args[0], args[1], out) < 0)
		return -1;
	if (*out > max_ms)
		return cfg_err(ctx, "'%s' is at most %u s, got '%s'.", args[0], max_ms / 1000, args[1]);
	return 0;
}

static int int_arg(struct cfg_ctx *ctx, char **args, int nargs, long long min, long long max, int *out)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_int(ctx, args[0], args[1], min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- `vrrp` keywords: (ctx, conf, args, nargs); 0 or -1 (reported) ---- */

static int kw_interface(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return ifname_arg(ctx, args[0], args[1], c->ifname);
}

static int kw_vrid(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	return int_arg(ctx, args, nargs, 1, 255, &c->vrid);
}

static int kw_priority(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	return int_arg(ctx, args, nargs, 1, 255, &c->priority);
}

static int kw_version(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	return int_arg(ctx, args, nargs, 2, 3, &c->version);
}

static int kw_advert_int(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	uint32_t ms;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_time(ctx, args[0], args[1], &ms) < 0)
		return -1;
	/* v3's field carries 12 bits of centiseconds, v2's 8 bits of seconds:
	 * the version may come later, vrrp_conf_check() says which applies */
	if (ms % 10 || ms < 10 || ms > VRRP_MAX_ADVER_S2 * 1000)
		return cfg_err(ctx, "'advert-int' must be a multiple of 10 ms between 10ms and 255s "
			       "(VRRP carries centiseconds or seconds), got '%s'.", args[1]);
	c->adver_cs = ms / 10;
	return 0;
}

/* virtual-ipaddress[-excluded] ADDR[/LEN] [dev IF] [label L] [scope S] [brd B] */
static int kw_vip(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	struct vrrp_vip v;

	memset(&v, 0, sizeof(v));
	if (nargs < 2)
		return cfg_err(ctx, "'%s' expects <address>[/<prefix length>] [dev <if>] [label <label>] "
			       "[scope <scope>] [brd <address>].", args[0]);
	if (vrrp_parse_prefix(args[1], &v.ip, &v.plen) < 0)
		return cfg_err(ctx, "'%s': invalid address '%s' (IPv4 or IPv6, with an optional /prefix length).",
			       args[0], args[1]);
	for (int i = 2; i < nargs; i += 2) {
		const char *opt = args[i], *val = i + 1 < nargs ? args[i + 1] : NULL;

		if (!val)
			return cfg_err(ctx, "'%s': '%s' expects a value.", args[0], opt);
		if (!strcmp(opt, "dev")) {
			if (ifname_arg(ctx, "virtual-ipaddress ... dev", val, v.dev) < 0)
				return -1;
		} else if (!strcmp(opt, "label")) {
			if (strlen(val) >= VRRP_IFNAME_LEN || v.ip.af != AF_INET)
				return cfg_err(ctx, "'%s': a label is at most %d characters, IPv4 only: '%s'.",
					       args[0], VRRP_IFNAME_LEN - 1, val);
			strcpy(v.label, val);
		} else if (!strcmp(opt, "scope")) {
			if ((v.scope = vrrp_parse_scope(val)) < 0)
				return cfg_err(ctx, "'%s': unknown scope '%s' (global, site, link, host, nowhere).",
					       args[0], val);
		} else if (!strcmp(opt, "brd")) {
			if (ip_arg(ctx, "virtual-ipaddress ... brd", val, &v.brd) < 0)
				return -1;
			if (v.brd.af != AF_INET || v.ip.af != AF_INET)
				return cfg_err(ctx, "'%s': a broadcast address is IPv4 only.", args[0]);
		} else {
			return cfg_err(ctx, "'%s': unknown option '%s' (dev, label, scope, brd).", args[0], opt);
		}
	}
	v.excluded = !strcmp(args[0], "virtual-ipaddress-excluded");
	for (int i = 0; i < c->nvips; i++)
		if (c->vips[i].ip.af == v.ip.af && !memcmp(c->vips[i].ip.a, v.ip.a, 16))
			return cfg_err(ctx, "'%s': '%s' is already listed.", args[0], args[1]);
	if (c->nvips == VRRP_MAX_VIPS)
		return cfg_err(ctx, "'%s': at most %d addresses per vrrp section.", args[0], VRRP_MAX_VIPS);
	if (!v.excluded) {
		int first = 1;   /* the first advertised address sets the family */

		for (int i = 0; i < c->nvips; i++)
			first &= c->vips[i].excluded;
		if (first)
			c->af = v.ip.af;
	}
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

static int kw_flag(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 0) < 0)
		return -1;
	if (!strcmp(args[0], "dont-track-primary"))
		c->dont_track_primary = 1;
	else if (!strcmp(args[0], "higher-prio-send-advert"))
		c->higher_prio_send_advert = !ctx->no;
	else
		c->skip_check_adv_addr = 1;
	return 0;
}

static int kw_time(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	static const struct { const char *kw; size_t off; uint32_t max; } t[] = {
		{ "preempt-delay", offsetof(struct vrrp_conf, preempt_delay_ms), 3600000 },
		{ "startup-delay", offsetof(struct vrrp_conf, startup_delay_ms), 3600000 },
		{ "garp-master-delay", offsetof(struct vrrp_conf, garp_delay_ms), 86400000 },
		{ "garp-refresh", offsetof(struct vrrp_conf, garp_refresh_ms), 86400000 },
		{ "garp-lower-prio-delay", offsetof(struct vrrp_conf, garp_lower_delay_ms), 86400000 },
		{ "garp-interval", offsetof(struct vrrp_conf, garp_interval_ms), 10000 },
		{ "notify-timeout", offsetof(struct vrrp_conf, notify_timeout_ms), 3600000 },
	};
	size_t i;
	uint32_t *p;

	for (i = 0; strcmp(t[i].kw, args[0]); i++)
		;
	p = (uint32_t *)(void *)((char *)c + t[i].off);
	if (time_arg(ctx, args, nargs, t[i].max, p) < 0)
		return -1;
	if (!strcmp(args[0], "garp-refresh") && *p && *p < 100)
		return cfg_err(ctx, "'garp-refresh' is 0 (off) or at least 100ms, got '%s'.", args[1]);
	if (!strcmp(args[0], "notify-timeout") && *p < 100)
		return cfg_err(ctx, "'notify-timeout' is at least 100ms, got '%s'.", args[1]);
	return 0;
}

static int kw_count(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (!strcmp(args[0], "garp-repeat"))
		return int_arg(ctx, args, nargs, 0, 100, &c->garp_repeat);
	if (!strcmp(args[0], "garp-refresh-repeat"))
		return int_arg(ctx, args, nargs, 1, 100, &c->garp_refresh_repeat);
	return int_arg(ctx, args, nargs, 0, 100, &c->garp_lower_repeat);
}

static int kw_peer(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	struct vrrp_ip ip;

	if (nargs < 2)
		return cfg_err(ctx, "'unicast-peer' expects an IP address.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0 || ip_arg(ctx, args[0], args[1], &ip) < 0)
		return -1;
	for (int i = 0; i < c->npeers; i++)
		if (!memcmp(&c->peers[i], &ip, sizeof(ip)))
			return cfg_err(ctx, "'unicast-peer': '%s' is already listed.", args[1]);
	if (c->npeers == VRRP_MAX_PEERS)
		return cfg_err(ctx, "'unicast-peer': at most %d peers.", VRRP_MAX_PEERS);
	c->peers[c->npeers++] = ip;
	return 0;
}

static int kw_src(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	return ip_arg(ctx, args[0], args[1], &c->src);
}

static int kw_track(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	return track_arg(ctx, args, nargs, c->tracks, &c->ntracks);
}

static int kw_notify(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	return cmd_arg(ctx, args, nargs, &c->notify[notify_kind(args[0])]);
}

/* authentication pass|ah SECRET */
static int kw_auth(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (nargs != 3)
		return cfg_err(ctx, "'authentication' expects pass <password> (VRRP version 2 only).");
	if (!strcasecmp(args[1], "ah")) {
		c->auth_type = VRRP_AUTH_AH;   /* refused with its reason by vrrp_conf_check() */
	} else if (!strcasecmp(args[1], "pass")) {
		c->auth_type = VRRP_AUTH_PASS;
	} else {
		return cfg_err(ctx, "'authentication' expects pass <password>, got '%s'.", args[1]);
	}
	if (!*args[2] || strlen(args[2]) > VRRP_AUTH_LEN)
		return cfg_err(ctx, "'authentication': the password is 1 to %d characters (the field is %d bytes).",
			       VRRP_AUTH_LEN, VRRP_AUTH_LEN);
	memset(c->auth_pass, 0, sizeof(c->auth_pass));
	memcpy(c->auth_pass, args[2], strlen(args[2]));
	return 0;
}

static int kw_state(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs == 2 && !strcasecmp(args[1], "master"))
		c->init_master = 1;
	else if (nargs == 2 && !strcasecmp(args[1], "backup"))
		c->init_master = 0;
	else
		return cfg_err(ctx, "'state' expects master or backup.");
	return 0;
}

static int kw_vmac(struct cfg_ctx *ctx, struct vrrp_conf *c, char **args, int nargs)
{
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	c->use_vmac = 1;
	if (nargs == 2)
		return ifname_arg(ctx, args[0], args[1], c->vmac_name);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cfg_ctx *, struct vrrp_conf *, char **, int);
	int no_ok;
} vrrp_kws[] = {
	{ "interface",         kw_interface,     0 },
	{ "virtual-router-id", kw_vrid,          0 },
	{ "version",           kw_version,       0 },
	{ "priority",          kw_priority,      0 },
	{ "state",             kw_state,         0 },
	{ "advert-int",        kw_advert_int,    0 },
	{ "virtual-ipaddress", kw_vip,           0 },
	{ "virtual-ipaddress-excluded", kw_vip,  0 },
	{ "authentication",    kw_auth,          0 },
	{ "preempt",           kw_preempt,       1 },
	{ "preempt-delay",     kw_time,          0 },
	{ "startup-delay",     kw_time,          0 },
	{ "unicast-peer",      kw_peer,          0 },
	{ "unicast-src-ip",    kw_src,           0 },
	{ "use-vmac",          kw_vmac,          0 },
	{ "dont-track-primary", kw_flag,         0 },
	{ "skip-check-adv-addr", kw_flag,        0 },
	{ "higher-prio-send-advert", kw_flag,    1 },
	{ "garp-repeat",       kw_count,         0 },
	{ "garp-refresh",      kw_time,          0 },
	{ "garp-refresh-repeat", kw_count,       0 },
	{ "garp-master-delay", kw_time,          0 },
	{ "garp-lower-prio-repeat", kw_count,    0 },
	{ "garp-lower-prio-delay", kw_time,      0 },
	{ "garp-interval",     kw_time,          0 },
	{ "track-backend",     kw_track,         0 },
	{ "track-script",      kw_track,         0 },
	{ "track-interface",   kw_track,         0 },
	{ "track-file",        kw_track,         0 },
	{ "notify",            kw_notify,        0 },
	{ "notify-master",     kw_notify,        0 },
	{ "notify-backup",     kw_notify,        0 },
	{ "notify-fault",      kw_notify,        0 },
	{ "notify-stop",       kw_notify,        0 },
	{ "notify-master-rx-lower-pri", kw_notify, 0 },
	{ "notify-timeout",    kw_time,          0 },
};

/* ---- `vrrp-script`, `vrrp-track-file`, `vrrp-sync-group` ---- */

static int script_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct vrrp_script_conf *sc = cur_script(ctx);
	const char *kw = args[0];
	char ubuf[128];

	if (!strcmp(kw, "script")) {
		const char *why;
		char **argv;

		if (nargs != 2 || !*args[1])
			return cfg_err(ctx, "'script' expects one argument: the command line, in quotes when it has arguments.");
		if (!(argv = vrrp_cmd_split(args[1], &why)))
			return cfg_err(ctx, "'script': %s.", why);
		vrrp_cmd_free(&sc->cmd);
		free(sc->cmdline);
		sc->cmd.argv = argv;
		return cfg_strdup(ctx, &sc->cmdline, args[1]);
	}
	if (!strcmp(kw, "interval") || !strcmp(kw, "timeout")) {
		uint32_t *p = kw[0] == 'i' ? &sc->interval_ms : &sc->timeout_ms;

		if (time_arg(ctx, args, nargs, 86400000, p) < 0)
			return -1;
		if (*p < 10)
			return cfg_err(ctx, "'%s' is at least 10ms, got '%s'.", kw, args[1]);
		return 0;
	}
	if (!strcmp(kw, "weight"))
		return int_arg(ctx, args, nargs, -253, 253, &sc->weight);
	if (!strcmp(kw, "rise"))
		return int_arg(ctx, args, nargs, 1, 1000, &sc->rise);
	if (!strcmp(kw, "fall"))
		return int_arg(ctx, args, nargs, 1, 1000, &sc->fall);
	if (!strcmp(kw, "init-fail")) {
		if (cfg_max_args(ctx, args, nargs, 0) < 0)
			return -1;
		sc->init_fail = 1;
		return 0;
	}
	if (!strcmp(kw, "user")) {
		if (nargs < 2 || nargs > 3)
			return cfg_err(ctx, "'user' expects <user> [<group>].");
		if (vrrp_user_lookup(args[1], nargs > 2 ? args[2] : NULL, &sc->cmd.uid, &sc->cmd.gid,
				     ubuf, sizeof(ubuf)) < 0)
			return cfg_err(ctx, "'user': %s.", ubuf);
		return 0;
	}
	return cfg_err(ctx, "unknown keyword '%s' in 'vrrp-script' section", kw);
}

static int tfile_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct vrrp_tfile_conf *tf = cur_tfile(ctx);
	long long v;

	if (!strcmp(args[0], "file")) {
		if (nargs != 2 || args[1][0] != '/')
			return cfg_err(ctx, "'file' expects an absolute path.");
		return cfg_strdup(ctx, &tf->path, args[1]);
	}
	if (!strcmp(args[0], "weight"))
		return int_arg(ctx, args, nargs, -254, 254, &tf->weight);
	if (!strcmp(args[0], "init-file")) {
		int i = 1;

		tf->init = 1;
		tf->init_value = 0;
		if (i < nargs && strcmp(args[i], "overwrite")) {
			if (cfg_parse_int(args[i], -2147483647LL, 2147483647LL, &v) < 0)
				return cfg_err(ctx, "'init-file' expects [<value>] [overwrite], got '%s'.", args[i]);
			tf->init_value = (long)v;
			i++;
		}
		if (i < nargs && !strcmp(args[i], "overwrite")) {
			tf->init_overwrite = 1;
			i++;
		}
		if (i < nargs)
			return cfg_err(ctx, "'init-file' expects [<value>] [overwrite], got '%s'.", args[i]);
		return 0;
	}
	return cfg_err(ctx, "unknown keyword '%s' in 'vrrp-track-file' section", args[0]);
}

static int group_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct vrrp_group_conf *g = cur_group(ctx);
	int k;

	if (!strcmp(args[0], "group")) {
		if (nargs < 2)
			return cfg_err(ctx, "'group' expects the names of vrrp sections.");
		for (int i = 1; i < nargs; i++) {
			if (g->nmembers == VRRP_MAX_INST)
				return cfg_err(ctx, "'group': at most %d members.", VRRP_MAX_INST);
			if (!(g->members[g->nmembers] = strdup(args[i])))
				return cfg_err(ctx, "out of memory");
			g->nmembers++;
		}
		return 0;
	}
	if (!strncmp(args[0], "track-", 6) && strcmp(args[0], "track-backend") &&
	    strcmp(args[0], "track-script") && strcmp(args[0], "track-interface") && strcmp(args[0], "track-file"))
		return cfg_err(ctx, "unknown keyword '%s' in 'vrrp-sync-group' section", args[0]);
	if (!strncmp(args[0], "track-", 6)) {
		if (track_arg(ctx, args, nargs, g->tracks, &g->ntracks) < 0)
			return -1;
		if (g->tracks[g->ntracks - 1].weight)
			return cfg_err(ctx, "'%s' in a sync group takes no weight other than 0: a failure puts every "
				       "member in FAULT.", args[0]);
		return 0;
	}
	if ((k = notify_kind(args[0])) >= 0 && k != VRRP_NOTIFY_RX_LOWER)
		return cmd_arg(ctx, args, nargs, &g->notify[k]);
	return cfg_err(ctx, "unknown keyword '%s' in 'vrrp-sync-group' section", args[0]);
}

int cfg_vrrp_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	ctx->no = 0;
	if (ctx->sec == SEC_VRRP_SCRIPT)
		return script_kw(ctx, args, nargs);
	if (ctx->sec == SEC_VRRP_TFILE)
		return tfile_kw(ctx, args, nargs);
	if (ctx->sec == SEC_VRRP_GROUP)
		return group_kw(ctx, args, nargs);
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
			return cfg_err(ctx, "'no %s' is not supported: in a 'vrrp' section only 'no preempt' and "
				       "'no higher-prio-send-advert' are.", args[0]);
		return vrrp_kws[i].fn(ctx, cur(ctx), args, nargs);
	}
	return cfg_err(ctx, "unknown keyword '%s' in 'vrrp' section", args[0]);
}

/* ---- global keywords ---- */

int cfg_vrrp_global(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct vrrp_set *s = vset(ctx);
	char why[128];

	if (!s)
		return -1;
	if (!strcmp(args[0], "vrrp-script-security")) {
		if (cfg_max_args(ctx, args, nargs, 0) < 0)
			return -1;
		s->script_security = 1;
		return 0;
	}
	if (!strcmp(args[0], "vrrp-script-user")) {
		if (nargs < 2 || nargs > 3)
			return cfg_err(ctx, "'vrrp-script-user' expects <user> [<group>].");
		if (vrrp_user_lookup(args[1], nargs > 2 ? args[2] : NULL, &s->script_uid, &s->script_gid,
				     why, sizeof(why)) < 0)
			return cfg_err(ctx, "'vrrp-script-user': %s.", why);
		return 0;
	}
	if (!strcmp(args[0], "vrrp-router-id")) {
		if (cfg_max_args(ctx, args, nargs, 1) < 0)
			return -1;
		if (nargs < 2 || !*args[1] || strlen(args[1]) >= sizeof(s->router_id))
			return cfg_err(ctx, "'vrrp-router-id' expects a name of 1 to %zu characters.",
				       sizeof(s->router_id) - 1);
		strcpy(s->router_id, args[1]);
		return 0;
	}
	/* keepalived-config FILE: a path relative to this file's directory */
	{
		struct kac_out out = {
			.insts = &ctx->cfg->vrrps, .set = s, .err = err_in, .warn = warn_in, .ctx = ctx,
		};
		char path[4096];
		int saved_line = ctx->line;

		if (cfg_max_args(ctx, args, nargs, 1) < 0)
			return -1;
		if (nargs < 2 || !*args[1])
			return cfg_err(ctx, "'keepalived-config' expects the path of a keepalived.conf.");
		if (s->keepalived_path)
			return cfg_err(ctx, "'keepalived-config' is already set to '%s'.", s->keepalived_path);
		if (args[1][0] == '/') {
			snprintf(path, sizeof(path), "%s", args[1]);
		} else {
			char *dup = strdup(ctx->file);

			if (!dup)
				return cfg_err(ctx, "out of memory");
			snprintf(path, sizeof(path), "%s/%s", dirname(dup), args[1]);
			free(dup);
		}
		if (!(s->keepalived_path = strdup(path)))
			return cfg_err(ctx, "out of memory");
		kac_load(path, &out);
		ctx->line = saved_line;
		return 0;
	}
}

/* ---- checks after the whole file is read ---- */

static int inst_in_group(const struct vrrp_set *s, const char *name, const struct vrrp_group_conf **out)
{
	const struct list *l;
	int n = 0;

	for (l = s->groups.next; l != &s->groups; l = l->next) {
		const struct vrrp_group_conf *g = list_entry(l, struct vrrp_group_conf, link);

		for (int i = 0; i < g->nmembers; i++)
			if (!strcmp(g->members[i], name)) {
				if (!n)
					*out = g;
				n++;
			}
	}
	return n;
}

static int check_tracks(struct cfg_ctx *ctx, const struct vrrp_set *s, const char *what,
			const struct vrrp_track *t, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		const char *missing = NULL;

		if (t[i].kind == VRRP_TRK_BACKEND && !cfg_find_proxy(ctx->cfg, t[i].name, PR_CAP_BE))
			missing = "backend";
		else if (t[i].kind == VRRP_TRK_SCRIPT && !vrrp_script_find(s, t[i].name))
			missing = "vrrp_script";
		else if (t[i].kind == VRRP_TRK_FILE && !vrrp_tfile_find(s, t[i].name))
			missing = "track_file";
		if (missing) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s tracks unknown %s '%s'.", what, missing, t[i].name);
			err_in(ctx, t[i].file, t[i].line, msg);
			bad++;
		}
	}
	return bad;
}

/* A script or notify command: found, and safe if it runs as root. */
static int check_cmd(struct cfg_ctx *ctx, const struct vrrp_set *s, struct vrrp_cmd *cmd,
		     const char *what, const char *file, int line, int *warned)
{
	char why[512], msg[700];
	int uid = cmd->uid >= 0 ? cmd->uid : s->script_uid, r;

	if (!cmd->argv)
		return 0;
	if (vrrp_cmd_resolve(cmd) < 0) {
		snprintf(msg, sizeof(msg), "%s: program '%s' not found in PATH.", what, cmd->argv[0]);
		err_in(ctx, file, line, msg);
		return 1;
	}
	if (uid > 0)
		return 0;   /* runs as an unprivileged user */
	r = vrrp_script_unsafe(cmd->argv[0], why, sizeof(why));
	if (r < 0 || (r > 0 && s->script_security)) {
		snprintf(msg, sizeof(msg), "%s runs as root and %s%s", what, why,
			 r > 0 ? " (enable_script_security / vrrp-script-security refuses it)." : ".");
		err_in(ctx, file, line, msg);
		return 1;
	}
	if (r > 0 && !(*warned)++) {
		snprintf(msg, sizeof(msg), "SECURITY: %s runs as root and %s; set vrrp-script-user / script_user, "
			 "or enable vrrp-script-security / enable_script_security to refuse such scripts.", what, why);
		warn_in(ctx, file, line, msg);
	}
	return 0;
}

int cfg_vrrp_check(struct cfg_ctx *ctx)
{
	struct vrrp_set empty, *s = ctx->cfg->vrrp;
	struct list *l, *m;
	int bad = 0, n = 0, warned = 0;

	if (!s) {
		vrrp_set_init(&empty);
		s = &empty;
	}
	list_for_each(l, &ctx->cfg->vrrps) {
		struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);
		const struct vrrp_group_conf *g = NULL;
		char what[96];

		n++;
		snprintf(what, sizeof(what), "%s '%s'", c->flavor == VRRP_KEEPALIVED ? "vrrp_instance" : "vrrp", c->name);
		bad += check_tracks(ctx, s, what, c->tracks, c->ntracks);
		for (int k = 0; k < VRRP_NOTIFY_N; k++) {
			char w[160];

			snprintf(w, sizeof(w), "the notify script of %s", what);
			bad += check_cmd(ctx, s, &c->notify[k], w, c->file, c->line, &warned);
		}
		if (inst_in_group(s, c->name, &g) > 1) {
			err_in(ctx, c->file, c->line, "an instance can be a member of one sync group only.");
			bad++;
		}
		/* keepalived: "any track scripts/files configured against member
		 * VRRP instances will have their tracking weights automatically set
		 * to zero, in order to avoid inconsistent priorities" */
		if (g)
			for (int i = 0; i < c->ntracks; i++)
				if (c->tracks[i].weight || !c->tracks[i].weight_set) {
					struct vrrp_script_conf *sc = c->tracks[i].kind == VRRP_TRK_SCRIPT ?
						vrrp_script_find(s, c->tracks[i].name) : NULL;
					struct vrrp_tfile_conf *tf = c->tracks[i].kind == VRRP_TRK_FILE ?
						vrrp_tfile_find(s, c->tracks[i].name) : NULL;
					int w = c->tracks[i].weight_set ? c->tracks[i].weight :
						sc ? sc->weight : tf ? tf->weight : 0;

					if (w) {
						char msg[256];

						snprintf(msg, sizeof(msg), "%s is in sync group '%s': the weight of '%s' is "
							 "set to 0 (a failure is a FAULT of the whole group), as keepalived does.",
							 what, g->name, c->tracks[i].name);
						warn_in(ctx, c->tracks[i].file, c->tracks[i].line, msg);
					}
					c->tracks[i].weight = 0;
					c->tracks[i].weight_set = 1;
				}
		bad += vrrp_conf_check(c, err_in, ctx);
		/* keepalived: "if an instance has priority 255 configured, the
		 * priority cannot be reduced by track_scripts" (nor raised) */
		for (int i = 0; c->priority == 255 && i < c->ntracks; i++) {
			const struct vrrp_track *t = &c->tracks[i];
			struct vrrp_script_conf *sc = t->kind == VRRP_TRK_SCRIPT ? vrrp_script_find(s, t->name) : NULL;
			struct vrrp_tfile_conf *tf = t->kind == VRRP_TRK_FILE ? vrrp_tfile_find(s, t->name) : NULL;
			int w = t->weight_set ? t->weight : sc ? sc->weight : tf ? tf->weight : 0;

			if (w) {
				char msg[256];

				snprintf(msg, sizeof(msg), "%s: priority 255 (address owner) cannot be changed by the weight "
					 "of '%s'; use weight 0 (FAULT) or a lower priority.", what, t->name);
				err_in(ctx, t->file, t->line, msg);
				bad++;
			}
		}
		/* two routers with one VRID and family on one link fight each other */
		for (m = l->next; m != &ctx->cfg->vrrps; m = m->next) {
			struct vrrp_conf *o = list_entry(m, struct vrrp_conf, link);
			char msg[256];

			if (!strcmp(o->name, c->name)) {
				snprintf(msg, sizeof(msg), "'%s' has the same name as the instance declared at %s:%d.",
					 o->name, c->file, c->line);
				err_in(ctx, o->file, o->line, msg);
				bad++;
			}
			if (o->vrid == c->vrid && c->vrid && o->af == c->af && !strcmp(o->ifname, c->ifname)) {
				snprintf(msg, sizeof(msg), "'%s' uses virtual router id %d on %s like '%s' (%s:%d).",
					 o->name, o->vrid, o->ifname, c->name, c->file, c->line);
				err_in(ctx, o->file, o->line, msg);
				bad++;
			}
		}
	}
	if (n > VRRP_MAX_INST) {
		cfg_err(ctx, "at most %d VRRP instances, got %d.", VRRP_MAX_INST, n);
		bad++;
	}
	n = 0;
	list_for_each(l, &s->scripts) {
		struct vrrp_script_conf *sc = list_entry(l, struct vrrp_script_conf, link);
		char what[96];

		n++;
		snprintf(what, sizeof(what), "vrrp_script '%s'", sc->name);
		if (!sc->cmd.argv) {
			err_in(ctx, sc->file, sc->line, "a vrrp_script needs a 'script'.");
			bad++;
		}
		bad += check_cmd(ctx, s, &sc->cmd, what, sc->file, sc->line, &warned);
	}
	if (n > VRRP_MAX_SCRIPTS) {
		cfg_err(ctx, "at most %d VRRP scripts, got %d.", VRRP_MAX_SCRIPTS, n);
		bad++;
	}
	list_for_each(l, &s->tfiles) {
		struct vrrp_tfile_conf *tf = list_entry(l, struct vrrp_tfile_conf, link);

		if (!tf->path) {
			err_in(ctx, tf->file, tf->line, "a track file needs a 'file'.");
			bad++;
		}
	}
	n = 0;
	list_for_each(l, &s->groups) {
		struct vrrp_group_conf *g = list_entry(l, struct vrrp_group_conf, link);
		char what[96];

		n++;
		snprintf(what, sizeof(what), "sync group '%s'", g->name);
		if (!g->nmembers) {
			err_in(ctx, g->file, g->line, "a sync group needs members ('group').");
			bad++;
		}
		for (int i = 0; i < g->nmembers; i++) {
			int found = 0;

			list_for_each(m, &ctx->cfg->vrrps)
				found |= !strcmp(list_entry(m, struct vrrp_conf, link)->name, g->members[i]);
			if (!found) {
				char msg[160];

				snprintf(msg, sizeof(msg), "sync group '%s' names unknown instance '%s'.", g->name, g->members[i]);
				err_in(ctx, g->file, g->line, msg);
				bad++;
			}
		}
		bad += check_tracks(ctx, s, what, g->tracks, g->ntracks);
		for (int k = 0; k < VRRP_NOTIFY_N; k++)
			bad += check_cmd(ctx, s, &g->notify[k], what, g->file, g->line, &warned);
	}
	if (n > VRRP_MAX_GROUPS) {
		cfg_err(ctx, "at most %d VRRP sync groups, got %d.", VRRP_MAX_GROUPS, n);
		bad++;
	}
	return bad ? -1 : 0;
}

void cfg_vrrp_free(struct cfg *cfg)
{
	if (cfg->vrrps.next) {   /* else a struct cfg that never went through cfg_load */
		while (!list_empty(&cfg->vrrps)) {
			struct vrrp_conf *c = list_entry(cfg->vrrps.next, struct vrrp_conf, link);

			list_del(&c->link);
			vrrp_conf_free(c);
		}
	}
	if (cfg->vrrp) {
		vrrp_set_release(cfg->vrrp);
		free(cfg->vrrp);
		cfg->vrrp = NULL;
	}
}

int vrrp_addr_is_vip(const struct cfg *cfg, const struct sockaddr_storage *ss)
{
	const struct list *l;
	const uint8_t *a;
	size_t alen;

	if (!cfg->vrrps.next)
		return 0;
	if (ss->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		alen = 4;
	} else if (ss->ss_family == AF_INET6) {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		alen = 16;
	} else {
		return 0;
	}
	for (l = cfg->vrrps.next; l != &cfg->vrrps; l = l->next) {
		const struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);

		for (int i = 0; i < c->nvips; i++)
			if (c->vips[i].ip.af == ss->ss_family && !memcmp(c->vips[i].ip.a, a, alen))
				return 1;
	}
	return 0;
}
