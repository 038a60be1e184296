/* VRRP configuration objects shared by the two languages that describe
 * them: tandem's own `vrrp` sections (src/cfg/kw_vrrp.c) and keepalived's
 * keepalived.conf (kaconf.c). Defaults, release, keepalived's way of
 * splitting a script string, address and scope parsing, the checks an
 * instance must pass whatever language it came from, and keepalived's
 * script security check. Pure: no logging, no global state. */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <tandem/vrrp.h>

#define NOTIFY_TIMEOUT_MS 30000

struct vrrp_conf *vrrp_conf_new(const char *name, int flavor)
{
	struct vrrp_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	list_init(&c->link);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->flavor = flavor;
	c->af = AF_INET;
	c->priority = 100;          /* keepalived's VRRP_PRIO_DFL */
	c->adver_cs = 100;          /* 1 s, both RFCs' default */
	c->preempt = 1;
	c->garp_repeat = 5;         /* keepalived's vrrp_garp_master_repeat */
	c->garp_refresh_repeat = 1;
	c->garp_lower_repeat = -1;  /* = garp_repeat */
	c->notify_timeout_ms = NOTIFY_TIMEOUT_MS;
	c->higher_prio_send_advert = 1;   /* tandem's default (keepalived's is off) */
	if (flavor == VRRP_KEEPALIVED) {
		c->version = 2;             /* keepalived's vrrp_version default */
		c->garp_delay_ms = 5000;    /* keepalived's vrrp_garp_master_delay */
	} else {
		c->version = 3;
	}
	return c;
}

void vrrp_cmd_free(struct vrrp_cmd *c)
{
	if (c->argv) {
		for (char **a = c->argv; *a; a++)
			free(*a);
		free(c->argv);
	}
	c->argv = NULL;
}

void vrrp_track_free(struct vrrp_track *t)
{
	free(t->name);
	t->name = NULL;
}

void vrrp_conf_free(struct vrrp_conf *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ntracks; i++)
		vrrp_track_free(&c->tracks[i]);
	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		vrrp_cmd_free(&c->notify[i]);
	free(c);
}

void vrrp_set_init(struct vrrp_set *s)
{
	memset(s, 0, sizeof(*s));
	list_init(&s->scripts);
	list_init(&s->tfiles);
	list_init(&s->groups);
	s->script_uid = s->script_gid = -1;
}

void vrrp_set_release(struct vrrp_set *s)
{
	if (!s->scripts.next)
		return;   /* never initialised */
	while (!list_empty(&s->scripts)) {
		struct vrrp_script_conf *sc = list_entry(s->scripts.next, struct vrrp_script_conf, link);

		list_del(&sc->link);
		vrrp_cmd_free(&sc->cmd);
		free(sc->cmdline);
		free(sc);
	}
	while (!list_empty(&s->tfiles)) {
		struct vrrp_tfile_conf *tf = list_entry(s->tfiles.next, struct vrrp_tfile_conf, link);

		list_del(&tf->link);
		free(tf->path);
		free(tf);
	}
	while (!list_empty(&s->groups)) {
		struct vrrp_group_conf *g = list_entry(s->groups.next, struct vrrp_group_conf, link);

		list_del(&g->link);
		for (int i = 0; i < g->nmembers; i++)
			free(g->members[i]);
		for (int i = 0; i < VRRP_NOTIFY_N; i++)
			vrrp_cmd_free(&g->notify[i]);
		for (int i = 0; i < g->ntracks; i++)
			vrrp_track_free(&g->tracks[i]);
		free(g);
	}
	for (int i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s->keepalived_path);
	vrrp_set_init(s);
}

struct vrrp_script_conf *vrrp_script_find(const struct vrrp_set *s, const char *name)
{
	const struct list *l;

	for (l = s->scripts.next; l && l != &s->scripts; l = l->next) {
		struct vrrp_script_conf *sc = list_entry(l, struct vrrp_script_conf, link);

		if (!strcmp(sc->name, name))
			return sc;
	}
	return NULL;
}

struct vrrp_tfile_conf *vrrp_tfile_find(const struct vrrp_set *s, const char *name)
{
	const struct list *l;

	for (l = s->tfiles.next; l && l != &s->tfiles; l = l->next) {
		struct vrrp_tfile_conf *tf = list_entry(l, struct vrrp_tfile_conf, link);

		if (!strcmp(tf->name, name))
			return tf;
	}
	return NULL;
}

struct vrrp_group_conf *vrrp_group_find(const struct vrrp_set *s, const char *name)
{
	const struct list *l;

	for (l = s->groups.next; l && l != &s->groups; l = l->next) {
		struct vrrp_group_conf *g = list_entry(l, struct vrrp_group_conf, link);

		if (!strcmp(g->name, name))
			return g;
	}
	return NULL;
}

const char *vrrp_set_file(struct vrrp_set *s, const char *name)
{
	char **nf, *copy;

	for (int i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i], name))
			return s->files[i];
	if (!(copy = strdup(name)))
		return NULL;
	if (!(nf = realloc(s->files, sizeof(*nf) * (size_t)(s->nfiles + 1)))) {
		free(copy);
		return NULL;
	}
	s->files = nf;
	s->files[s->nfiles++] = copy;
	return copy;
}

/* ---- script strings ---- */

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

char **vrrp_cmd_split(const char *s, const char **why)
{
	size_t cap = 8, n = 0, len = strlen(s);
	char **argv = calloc(cap, sizeof(*argv));
	char *word = malloc(len + 1);
	char quote = 0;

	*why = "out of memory";
	if (!argv || !word)
		goto fail;
	while (*s) {
		size_t w = 0;
		int have = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		while (*s && (quote || (*s != ' ' && *s != '\t'))) {
			if (*s == '\\') {
				s++;
				if (!*s) {
					*why = "a backslash ends the script string";
					goto fail;
				}
				if (*s == 'x' && isxdigit((unsigned char)s[1])) {
					int v = 0;

					for (s++; isxdigit((unsigned char)*s) && v < 16; s++)
						v = v * 16 + hexval((unsigned char)*s);
					word[w++] = (char)v;
				} else if (*s == 'c' && s[1]) {
					word[w++] = (char)(s[1] & 0x1f);
					s += 2;
				} else if (*s >= '0' && *s <= '7') {
					int v = 0;

					for (int k = 0; k < 3 && *s >= '0' && *s <= '7'; k++)
						v = v * 8 + *s++ - '0';
					word[w++] = (char)v;
				} else {
					static const char from[] = "abEfnrtv", to[] = "\a\b\033\f\n\r\t\v";
					const char *p = strchr(from, *s);

					word[w++] = p && *s ? to[p - from] : *s;
					s++;
				}
				have = 1;
				continue;
			}
			if (quote && *s == quote) {
				quote = 0;
				s++;
				continue;
			}
			if (!quote && (*s == '"' || *s == '\'')) {
				quote = *s++;
				have = 1;
				continue;
			}
			word[w++] = *s++;
			have = 1;
		}
		if (quote) {
			*why = "a quote is not closed in the script string";
			goto fail;
		}
		if (!have)
			continue;
		if (memchr(word, 0, w)) {
			*why = "a NUL byte in the script string";
			goto fail;
		}
		if (n + 2 > cap) {
			char **na = realloc(argv, sizeof(*argv) * cap * 2);

			if (!na)
				goto fail;
			memset(na + cap, 0, sizeof(*na) * cap);
			argv = na;
			cap *= 2;
		}
		if (!(argv[n] = malloc(w + 1)))
			goto fail;
		memcpy(argv[n], word, w);
		argv[n++][w] = 0;
	}
	free(word);
	if (!n) {
		*why = "the script string is empty";
		free(argv);
		return NULL;
	}
	argv[n] = NULL;
	return argv;
fail:
	free(word);
	if (argv)
		for (size_t i = 0; i < n; i++)
			free(argv[i]);
	free(argv);
	return NULL;
}

int vrrp_cmd_resolve(struct vrrp_cmd *c)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!c->argv || strchr(c->argv[0], '/'))
		return 0;
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t dl = end ? (size_t)(end - path) : strlen(path);

		if (dl && dl + 1 + strlen(c->argv[0]) < sizeof(buf)) {
			memcpy(buf, path, dl);
			buf[dl] = '/';
			strcpy(buf + dl + 1, c->argv[0]);
			if (access(buf, X_OK) == 0) {
				char *full = strdup(buf);

				if (!full)
					return -1;
				free(c->argv[0]);
				c->argv[0] = full;
				return 0;
			}
		}
		path += dl + (end ? 1 : 0);
	}
	errno = ENOENT;
	return -1;
}

int vrrp_script_unsafe(const char *path, char *why, size_t whylen)
{
	char real[4096], *slash;
	struct stat st;

	if (!realpath(path, real)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* the file, then every directory up to / (keepalived's check) */
	for (;;) {
		if (stat(real[0] ? real : "/", &st) < 0) {
			snprintf(why, whylen, "%s: %s", real[0] ? real : "/", strerror(errno));
			return -1;
		}
		if (st.st_uid != 0) {
			snprintf(why, whylen, "%s is owned by uid %u, not root", real[0] ? real : "/", (unsigned)st.st_uid);
			return 1;
		}
		/* group/other write, unless a sticky directory (like /tmp): then
		 * only the owner, root here, may replace what is in it */
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))) {
			snprintf(why, whylen, "%s is writable by %s", real[0] ? real : "/",
				 (st.st_mode & S_IWOTH) ? "everyone" : "its group");
			return 1;
		}
		if (!real[0])
			return 0;
		slash = strrchr(real, '/');
		*slash = 0;
	}
}

int vrrp_user_lookup(const char *user, const char *group, int *uid, int *gid, char *why, size_t whylen)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr;

	if (!pw) {
		snprintf(why, whylen, "unknown user '%s'", user);
		return -1;
	}
	*uid = (int)pw->pw_uid;
	*gid = (int)pw->pw_gid;
	if (!group)
		return 0;
	if (!(gr = getgrnam(group))) {
		snprintf(why, whylen, "unknown group '%s'", group);
		return -1;
	}
	*gid = (int)gr->gr_gid;
	return 0;
}

/* ---- addresses ---- */

int vrrp_parse_prefix(const char *s, struct vrrp_ip *ip, int *plen)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t al = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	memset(ip, 0, sizeof(*ip));
	if (al >= sizeof(addr))
		return -1;
	memcpy(addr, s, al);
	addr[al] = 0;
	if (inet_pton(AF_INET, addr, ip->a) == 1)
		ip->af = AF_INET;
	else if (inet_pton(AF_INET6, addr, ip->a) == 1)
		ip->af = AF_INET6;
	else
		return -1;
	max = ip->af == AF_INET ? 32 : 128;
	*plen = max;
	if (slash) {
		char *end;
		long v;

		if (!isdigit((unsigned char)slash[1]))
			return -1;
		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (errno || *end || v < 0 || v > max)
			return -1;
		*plen = (int)v;
	}
	return 0;
}

int vrrp_parse_scope(const char *s)
{
	static const struct { const char *name; int v; } names[] = {
		{ "global", RT_SCOPE_UNIVERSE }, { "site", RT_SCOPE_SITE }, { "link", RT_SCOPE_LINK },
		{ "host", RT_SCOPE_HOST }, { "nowhere", RT_SCOPE_NOWHERE },
	};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].v;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > 255 ? -1 : (int)v;
}

/* ---- checks ---- */

static int report(vrrp_report_fn err, void *ctx, const struct vrrp_conf *c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int report(vrrp_report_fn err, void *ctx, const struct vrrp_conf *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err(ctx, c->file, c->line, msg);
	return 1;
}

int vrrp_conf_check(const struct vrrp_conf *c, vrrp_report_fn err, void *ctx)
{
	int ka = c->flavor == VRRP_KEEPALIVED;
	const char *kind = ka ? "vrrp_instance" : "vrrp";
	int bad = 0, adv = 0;

	if (!c->ifname[0])
		bad += report(err, ctx, c, "%s '%s' has no 'interface'.", kind, c->name);
	if (!c->vrid)
		bad += report(err, ctx, c, "%s '%s' has no '%s'.", kind, c->name, ka ? "virtual_router_id" : "virtual-router-id");
	for (int i = 0; i < c->nvips; i++) {
		if (c->vips[i].excluded)
			continue;
		if (c->vips[i].ip.af != c->af) {
			bad += report(err, ctx, c, "%s '%s': every advertised virtual address must be of one family "
				      "(IPv4 or IPv6); put the others in virtual_ipaddress_excluded or another instance.",
				      kind, c->name);
			break;
		}
		adv++;
	}
	if (!adv)
		bad += report(err, ctx, c, "%s '%s' has no '%s' to advertise.", kind, c->name,
			      ka ? "virtual_ipaddress" : "virtual-ipaddress");
	if (c->version != 2 && c->version != 3)
		bad += report(err, ctx, c, "%s '%s': VRRP version %d does not exist (2 or 3).", kind, c->name, c->version);
	if (c->version == 2 && c->af == AF_INET6)
		bad += report(err, ctx, c, "%s '%s': VRRP version 2 is IPv4 only (RFC 3768); IPv6 addresses need version 3.",
			      kind, c->name);
	if (c->version == 2 && (c->adver_cs % 100 || c->adver_cs > VRRP_MAX_ADVER_S2 * 100))
		bad += report(err, ctx, c, "%s '%s': VRRP version 2 advertises whole seconds, 1 to 255; got %u.%02u s.",
			      kind, c->name, c->adver_cs / 100, c->adver_cs % 100);
	if (c->version == 3 && (c->adver_cs < 1 || c->adver_cs > VRRP_MAX_ADVER_CS))
		bad += report(err, ctx, c, "%s '%s': VRRP version 3 advertises 10 ms to 40.95 s; got %u ms.",
			      kind, c->name, c->adver_cs * 10);
	if (c->auth_type == VRRP_AUTH_AH)
		bad += report(err, ctx, c, "%s '%s': authentication type AH (IPsec AH, RFC 2338) is not supported by "
			      "tandem; RFC 3768 removed it from VRRP. Use PASS, or no authentication.", kind, c->name);
	else if (c->auth_type == VRRP_AUTH_PASS && c->version != 2)
		bad += report(err, ctx, c, "%s '%s': authentication exists in VRRP version 2 only; "
			      "set version 2 or remove the authentication.", kind, c->name);
	else if (c->auth_type == VRRP_AUTH_PASS && !c->auth_pass[0])
		bad += report(err, ctx, c, "%s '%s': authentication PASS without a password.", kind, c->name);
	for (int i = 0; i < c->npeers; i++)
		if (c->peers[i].af != c->af) {
			bad += report(err, ctx, c, "%s '%s': unicast peers must be of the virtual addresses' family.",
				      kind, c->name);
			break;
		}
	if (c->src.af && c->src.af != c->af)
		bad += report(err, ctx, c, "%s '%s': the source address must be of the virtual addresses' family.",
			      kind, c->name);
	if (c->use_vmac && c->af == AF_INET6)
		bad += report(err, ctx, c, "%s '%s': use_vmac is supported for IPv4 instances only.", kind, c->name);
	if (c->use_vmac && c->npeers)
		bad += report(err, ctx, c, "%s '%s': use_vmac with unicast peers is not supported (keepalived needs "
			      "vmac_xmit_base for it, which tandem does not implement).", kind, c->name);
	for (int p = 0; p < c->npeers; p++)
		for (int i = 0; i < c->nvips; i++)
			if (c->peers[p].af == c->vips[i].ip.af && !memcmp(c->peers[p].a, c->vips[i].ip.a, 16))
				bad += report(err, ctx, c, "%s '%s': a %s is one of its virtual addresses.",
					      kind, c->name, ka ? "unicast_peer" : "unicast-peer");
	return bad;
}
