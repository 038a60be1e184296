/* Service discovery by DNS, configuration side (doc/discovery.md,
 * doc/configuration.md): the `resolvers NAME` section, the server keywords
 * `resolvers`, `resolve-prefer`, `resolve-net`, `resolve-opts`,
 * `init-addr` (their rows are in kw_server.c's table), `server-template`,
 * and what a server written with a name starts with (init-addr):
 *
 *   resolvers dns
 *       nameserver ns1 10.0.0.2:53          # UDP, TCP for truncated answers
 *       nameserver ns2 tcp@10.0.0.3:53      # TCP only
 *       parse-resolv-conf                   # the nameservers of /etc/resolv.conf
 *       resolve_retries 3
 *       timeout resolve 1s                  # ask for every name this often
 *       timeout retry 1s                    # wait this long for an answer
 *       hold valid 10s                      # a known answer serves a joining server this long
 *       hold nx 30s                         # keep servers this long after NXDOMAIN...
 *       hold timeout 30s                    # ...no answer,
 *       hold refused 30s                    # ...REFUSED,
 *       hold other 30s                      # ...any other failure
 *       hold obsolete 0s                    # keep a record missing from answers
 *       accepted_payload_size 512           # EDNS0, 512..65535
 *
 * A section may be named by servers before it appears; names are matched
 * once the whole file is read. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/dns.h>
#include <tandem/shm.h>
#include "cfg_int.h"

#define RESOLV_CONF "/etc/resolv.conf"

static struct resolvers *cur(struct cfg_ctx *ctx)
{
	return list_entry(ctx->cfg->resolvers.prev, struct resolvers, link);
}

int cfg_resolvers_start(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct resolvers *rs;
	const char *bad;
	struct list *l;

	ctx->sec = SEC_SKIP;   /* its lines are not reported one by one on error */
	ctx->px = NULL;
	if (nargs < 2 || !*args[1])
		return cfg_err(ctx, "missing name for resolvers section.");
	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in 'resolvers' name '%s'.", *bad, args[1]);
	list_for_each(l, &ctx->cfg->resolvers) {
		rs = list_entry(l, struct resolvers, link);
		if (!strcmp(rs->id, args[1]))
			return cfg_err(ctx, "resolvers '%s' has the same name as resolvers declared at %s:%d.",
				       args[1], rs->file, rs->line);
	}
	if (!(rs = calloc(1, sizeof(*rs))) || !(rs->id = strdup(args[1]))) {
		free(rs);
		return cfg_err(ctx, "out of memory");
	}
	list_init(&rs->nameservers);
	/* HAProxy's defaults */
	rs->resolve_retries = 3;
	rs->timeout_resolve = 1000;
	rs->timeout_retry = 1000;
	rs->hold_valid = 10000;
	rs->hold_nx = rs->hold_timeout = rs->hold_refused = rs->hold_other = 30000;
	rs->hold_obsolete = 0;
	rs->payload_size = 512;
	rs->file = ctx->file;
	rs->line = ctx->line;
	list_add_tail(&ctx->cfg->resolvers, &rs->link);
	ctx->sec = SEC_RESOLVERS;
	return 0;
}

/* ---- the section's keywords ------------------------------------------------ */

static int add_ns(struct cfg_ctx *ctx, struct resolvers *rs, const char *id, const char *addr)
{
	struct dns_nameserver *ns;
	const char *a = addr;
	char why[512];
	struct list *l;
	int tcp = 0;

	list_for_each(l, &rs->nameservers)
		if (!strcmp(list_entry(l, struct dns_nameserver, link)->id, id))
			return cfg_err(ctx, "'nameserver' : resolvers '%s' already has a nameserver named '%s'.", rs->id, id);
	if (!strncmp(a, "tcp@", 4) || !strncmp(a, "tcp4@", 5) || !strncmp(a, "tcp6@", 5))
		tcp = 1;
	if (!(ns = calloc(1, sizeof(*ns))) || !(ns->id = strdup(id))) {
		free(ns);
		return cfg_err(ctx, "out of memory");
	}
	if (cfg_addr_ex(a, &ns->addr, &ns->addrlen, ADDR_NO_RESOLVE, 53, why, sizeof(why)) < 0 ||
	    (ns->addr.ss_family == AF_INET ? ((struct sockaddr_in *)&ns->addr)->sin_port
	     : ((struct sockaddr_in6 *)&ns->addr)->sin6_port) == 0) {
		free(ns->id);
		free(ns);
		if (!why[0])
			snprintf(why, sizeof(why), "port 0 in '%s'", addr);
		return cfg_err(ctx, "'nameserver %s' : invalid address '%s' (an IP address and an optional port, "
			       "tcp@ for TCP): %s.", id, addr, why);
	}
	ns->tcp = tcp;
	ns->file = ctx->file;
	ns->line = ctx->line;
	list_add_tail(&rs->nameservers, &ns->link);
	rs->nns++;
	return 0;
}

static int kw_nameserver(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	const char *bad;

	if (nargs < 3)
		return cfg_err(ctx, "'nameserver' expects <name> and <addr>[:<port>] as arguments.");
	if (cfg_max_args(ctx, args, nargs, 2) < 0)
		return -1;
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in nameserver name '%s'.", *bad, args[1]);
	return add_ns(ctx, rs, args[1], args[2]);
}

/* The nameservers of /etc/resolv.conf, in its order, named by their address. */
static int kw_parse_resolv_conf(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	char line[512];
	FILE *f;
	int n = 0;

	if (cfg_max_args(ctx, args, nargs, 0) < 0)
		return -1;
	if (!(f = fopen(RESOLV_CONF, "r")))
		return cfg_err(ctx, "'parse-resolv-conf' : failed to open %s.", RESOLV_CONF);
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *w = strtok_r(line, " \t\r\n", &save), *addr;
		char ns[300];
		struct in6_addr a6;
		struct in_addr a4;
		struct list *l;
		int dup = 0;

		if (!w || strcmp(w, "nameserver") || !(addr = strtok_r(NULL, " \t\r\n", &save)))
			continue;
		if (inet_pton(AF_INET, addr, &a4) == 1)
			snprintf(ns, sizeof(ns), "%s:53", addr);
		else if (inet_pton(AF_INET6, addr, &a6) == 1)
			snprintf(ns, sizeof(ns), "[%s]:53", addr);
		else {
			cfg_warn(ctx, "'parse-resolv-conf' : nameserver '%s' of %s is not an IP address, skipped.", addr,
				 RESOLV_CONF);
			continue;
		}
		list_for_each(l, &rs->nameservers)
			dup |= !strcmp(list_entry(l, struct dns_nameserver, link)->id, addr);
		if (dup)
			continue;
		if (add_ns(ctx, rs, addr, ns) < 0) {
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	if (!n)
		cfg_warn(ctx, "'parse-resolv-conf' : no nameserver found in %s.", RESOLV_CONF);
	return 0;
}

static int kw_retries(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0 || cfg_arg_int(ctx, args[0], args[1], 1, 1000, &v) < 0)
		return -1;
	rs->resolve_retries = (int)v;
	return 0;
}

static int kw_timeout(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	uint32_t ms;

	if (nargs < 3 || (strcmp(args[1], "resolve") && strcmp(args[1], "retry")))
		return cfg_err(ctx, "'timeout' expects 'retry' or 'resolve' and <time> as arguments.");
	if (cfg_max_args(ctx, args, nargs, 2) < 0 || cfg_arg_time(ctx, "timeout", args[2], &ms) < 0)
		return -1;
	if (!ms)
		return cfg_err(ctx, "'timeout %s' expects a time greater than 0.", args[1]);
	if (!strcmp(args[1], "resolve"))
		rs->timeout_resolve = ms;
	else
		rs->timeout_retry = ms;
	return 0;
}

static int kw_hold(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	static const struct { const char *name; size_t off; } st[] = {
		{ "nx", offsetof(struct resolvers, hold_nx) },
		{ "other", offsetof(struct resolvers, hold_other) },
		{ "refused", offsetof(struct resolvers, hold_refused) },
		{ "timeout", offsetof(struct resolvers, hold_timeout) },
		{ "valid", offsetof(struct resolvers, hold_valid) },
		{ "obsolete", offsetof(struct resolvers, hold_obsolete) },
	};
	uint32_t ms;

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (nargs < 2 || strcmp(args[1], st[i].name))
			continue;
		if (nargs < 3)
			return cfg_err(ctx, "'hold %s' expects a <time> argument.", args[1]);
		if (cfg_max_args(ctx, args, nargs, 2) < 0 || cfg_arg_time(ctx, "hold", args[2], &ms) < 0)
			return -1;
		if (!ms && !strcmp(args[1], "valid"))
			return cfg_err(ctx, "'hold valid' expects a time greater than 0.");
		*(uint32_t *)((char *)rs + st[i].off) = ms;
		return 0;
	}
	return cfg_err(ctx, "'hold' expects 'nx', 'other', 'refused', 'timeout', 'valid' or 'obsolete' as argument, "
		       "then a <time>.");
}

static int kw_payload(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	long long v;

	if (cfg_max_args(ctx, args, nargs, 1) < 0)
		return -1;
	if (nargs < 2 || cfg_parse_int(args[1], 512, 65535, &v) < 0)
		return cfg_err(ctx, "'accepted_payload_size' expects a number between 512 and 65535 (got '%s').",
			       nargs > 1 ? args[1] : "");
	rs->payload_size = (uint32_t)v;
	return 0;
}

static int kw_pool_size(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs)
{
	(void)rs; (void)nargs;
	cfg_warn(ctx, "'%s' is deprecated and has no effect (as in HAProxy): resolutions are created as needed.",
		 args[0]);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cfg_ctx *ctx, struct resolvers *rs, char **args, int nargs);
} rs_kws[] = {
	{ "nameserver", kw_nameserver },
	{ "parse-resolv-conf", kw_parse_resolv_conf },
	{ "resolve_retries", kw_retries },
	{ "timeout", kw_timeout },
	{ "hold", kw_hold },
	{ "accepted_payload_size", kw_payload },
	{ "resolution_pool_size", kw_pool_size },
};

int cfg_resolvers_kw(struct cfg_ctx *ctx, char **args, int nargs)
{
	for (size_t i = 0; i < sizeof(rs_kws) / sizeof(rs_kws[0]); i++)
		if (!strcmp(args[0], rs_kws[i].name))
			return rs_kws[i].fn(ctx, cur(ctx), args, nargs);
	return cfg_err(ctx, "unknown keyword '%s' in 'resolvers' section.", args[0]);
}

/* ---- server keywords (rows in kw_server.c) ------------------------------------ */

int cfg_skw_resolvers(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	const char *bad = cfg_invalid_char(val);
	char *n;

	if (bad)
		return srv_kw_err(c, "'%s' : character '%c' is not permitted in resolvers name '%s'.", kw, *bad, val);
	if (!(n = strdup(val)))
		return srv_kw_err(c, "out of memory");
	free(s->resolvers_id);
	s->resolvers_id = n;
	return 0;
}

int cfg_skw_resolve_prefer(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	if (!strcmp(val, "ipv4"))
		s->resolve_prefer = AF_INET;
	else if (!strcmp(val, "ipv6"))
		s->resolve_prefer = AF_INET6;
	else
		return srv_kw_err(c, "'%s' expects either ipv4 or ipv6 as argument.", kw);
	return 0;
}

int cfg_skw_resolve_net(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	struct srv_net nets[SRV_MAX_RNET];
	char buf[1024], *save = NULL, *w;
	int n = 0;

	if (strlen(val) >= sizeof(buf))
		return srv_kw_err(c, "'%s' : argument too long.", kw);
	strcpy(buf, val);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (n == SRV_MAX_RNET)
			return srv_kw_err(c, "'%s' : too many networks (at most %d).", kw, SRV_MAX_RNET);
		if (cfg_parse_net(w, &nets[n].af, nets[n].a, &nets[n].bits) < 0)
			return srv_kw_err(c, "'%s' : invalid network '%s'.", kw, w);
		n++;
	}
	if (!n)
		return srv_kw_err(c, "'%s' expects a list of networks.", kw);
	memcpy(s->resolve_net, nets, sizeof(nets[0]) * (size_t)n);
	s->n_resolve_net = n;
	return 0;
}

int cfg_skw_resolve_opts(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	char buf[256], *save = NULL, *w;
	unsigned o = 0;

	if (strlen(val) >= sizeof(buf))
		return srv_kw_err(c, "'%s' : argument too long.", kw);
	strcpy(buf, val);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "allow-dup-ip"))
			o = (o & ~SRV_RSLV_PREVENT_DUP_IP) | SRV_RSLV_ALLOW_DUP_IP;
		else if (!strcmp(w, "prevent-dup-ip"))
			o = (o & ~SRV_RSLV_ALLOW_DUP_IP) | SRV_RSLV_PREVENT_DUP_IP;
		else if (!strcmp(w, "ignore-weight"))
			o |= SRV_RSLV_IGNORE_WEIGHT;
		else
			return srv_kw_err(c, "'%s' : unknown resolve-opts option '%s', supported methods are "
					  "'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'.", kw, w);
	}
	if (!o)
		return srv_kw_err(c, "'%s' expects a list of options.", kw);
	s->resolve_opts = o;
	return 0;
}

int cfg_skw_init_addr(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	uint8_t m[SRV_MAX_IADDR] = { 0 };
	struct sockaddr_storage ip;
	char buf[512], *save = NULL, *w;
	int n = 0, have_ip = 0;

	if (strlen(val) >= sizeof(buf))
		return srv_kw_err(c, "'%s' : argument too long.", kw);
	strcpy(buf, val);
	memset(&ip, 0, sizeof(ip));
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		uint8_t v;

		if (!strcmp(w, "last"))
			v = SRV_IADDR_LAST;
		else if (!strcmp(w, "libc"))
			v = SRV_IADDR_LIBC;
		else if (!strcmp(w, "none"))
			v = SRV_IADDR_NONE;
		else {
			struct sockaddr_in *a4 = (struct sockaddr_in *)&ip;
			struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ip;

			if (have_ip)
				continue;       /* an address always works: a second is never reached */
			memset(&ip, 0, sizeof(ip));
			if (inet_pton(AF_INET, w, &a4->sin_addr) == 1)
				a4->sin_family = AF_INET;
			else if (inet_pton(AF_INET6, w, &a6->sin6_addr) == 1)
				a6->sin6_family = AF_INET6;
			else
				return srv_kw_err(c, "'%s' : unknown init-addr method '%s', supported methods are "
						  "'last', 'libc', 'none' and an IP address.", kw, w);
			v = SRV_IADDR_IP;
			have_ip = 1;
		}
		if (memchr(m, v, (size_t)n))
			continue;
		if (n == SRV_MAX_IADDR)
			return srv_kw_err(c, "'%s' : too many init-addr methods when trying to add '%s'.", kw, w);
		m[n++] = v;
	}
	if (!n)
		return srv_kw_err(c, "'%s' expects a list of methods.", kw);
	memcpy(s->init_addr, m, sizeof(m));
	s->init_ip = ip;
	return 0;
}

/* ---- a server's first address ---------------------------------------------------- */

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	       ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

/* The previous worker's record of <s> (reload), when it was published for
 * the same name: 0 with <rec> filled, or -1. */
static int last_record(const struct server *s, struct shm_srv *rec)
{
	struct shm_srv *r = s->be ? shm_srv_find(s->be->id, s->id, 0) : NULL;

	if (!r || !r->published_ms || shm_srv_read(r, rec) < 0 || !shm_eq(rec->fqdn, s->hostname))
		return -1;
	return 0;
}

static void from_shm(struct server *s, const struct shm_addr *a)
{
	memset(&s->addr, 0, sizeof(s->addr));
	if (a->af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&s->addr;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->a, 4);
		sin->sin_port = htons(a->port);
	} else if (a->af == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->addr;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->a, 16);
		sin6->sin6_port = htons(a->port);
	}
	s->addrlen = ss_len(&s->addr);
}

/* libc: every address of <host>, the preferred family first, duplicates
 * out; the <idx>-th (a server-template's slot). 0, or -1. */
static int libc_addr(const struct server *s, const char *host, int fam, int idx, struct sockaddr_storage *out)
{
	struct addrinfo hints = { .ai_family = fam, .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int prefer = s->resolve_prefer ? s->resolve_prefer : AF_INET6, n = 0, found = -1;
	struct sockaddr_storage list[64];

	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -1;
	for (int pass = 0; pass < 2; pass++)
		for (ai = res; ai && n < 64; ai = ai->ai_next) {
			int dup = 0;

			if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
			    (pass == 0) != (ai->ai_family == prefer) || ai->ai_addrlen > sizeof(list[0]))
				continue;
			memset(&list[n], 0, sizeof(list[n]));
			memcpy(&list[n], ai->ai_addr, ai->ai_addrlen);
			set_port(&list[n], 0);
			for (int k = 0; k < n && !dup; k++)
				dup = !memcmp(&list[k], &list[n], ss_len(&list[n]));
			if (!dup)
				n++;
		}
	freeaddrinfo(res);
	if (idx < n) {
		*out = list[idx];
		found = 0;
	}
	return found;
}

/* Split "[ipv4@|ipv6@]NAME[:PORT]". 1 with <host>/<port>/<fam> when it
 * is a name (not an address), 0 when not a name, -1 with <why>. */
static int split_name(const char *str, char *host, size_t hl, int *port, int *fam, char *why, size_t wl)
{
	const char *p = str, *colon;
	size_t n;

	*fam = AF_UNSPEC;
	*port = 0;
	if (!strncmp(p, "ipv4@", 5)) {
		*fam = AF_INET;
		p += 5;
	} else if (!strncmp(p, "ipv6@", 5)) {
		*fam = AF_INET6;
		p += 5;
	}
	if (*p == '[' || strchr(p, '@') || strchr(p, '/') || strspn(p, "0123456789.:") == strlen(p))
		return 0;
	colon = strrchr(p, ':');
	n = colon ? (size_t)(colon - p) : strlen(p);
	if (n >= hl) {
		snprintf(why, wl, "invalid FQDN in '%s' (too long)", str);
		return -1;
	}
	memcpy(host, p, n);
	host[n] = 0;
	if (colon) {
		long long v;

		if (cfg_parse_int(colon + 1, 0, 65535, &v) < 0) {
			snprintf(why, wl, "invalid port '%s' in '%s'", colon + 1, str);
			return -1;
		}
		*port = (int)v;
	} else if (host[0] != '_') {
		snprintf(why, wl, "missing port number in '%s'", str);
		return -1;
	}
	if (dns_name_valid(host) < 0) {
		snprintf(why, wl, "invalid FQDN '%s' (labels of 1 to 63 letters, digits, '-' or '_', "
			 "at most 253 characters)", host);
		return -1;
	}
	return 1;
}

int cfg_srv_addr(struct server *s, const char *a, int idx, char *why, size_t wl)
{
	static const uint8_t dflt[] = { SRV_IADDR_LAST, SRV_IADDR_LIBC, SRV_IADDR_END };
	static const uint8_t dflt_srv[] = { SRV_IADDR_LAST, SRV_IADDR_NONE, SRV_IADDR_END };
	char host[DNS_NAME_BUF];
	const uint8_t *m;
	struct shm_srv rec;
	int port, fam, r, is_srv;

	*why = 0;
	if (cfg_addr_ex(a, &s->addr, &s->addrlen, ADDR_PORT_MANDATORY | ADDR_NO_RESOLVE, 0, why, wl) == 0)
		return 0;   /* an address */
	if ((r = split_name(a, host, sizeof(host), &port, &fam, why, wl)) <= 0) {
		if (r == 0)   /* not a name: the address parser's own words */
			cfg_addr_ex(a, &s->addr, &s->addrlen, ADDR_PORT_MANDATORY, 0, why, wl);
		return -1;
	}
	if (!(s->hostname = malloc(DNS_NAME_BUF)))
		return snprintf(why, wl, "out of memory"), -1;
	dns_name_norm(host, s->hostname);
	s->hostport = port;
	is_srv = host[0] == '_';
	if (is_srv && !s->resolvers_id) {
		snprintf(why, wl, "'%s' is an SRV label: it needs 'resolvers'", host);
		return -1;
	}
	if (!s->resolvers_id && !s->init_addr[0]) {
		/* resolved once, now, as before DNS discovery existed */
		return cfg_addr_ex(a, &s->addr, &s->addrlen, ADDR_PORT_MANDATORY, 0, why, wl);
	}
	/* after a reload, a server the previous worker resolved by DNS goes on
	 * with what DNS told it (its address, or none): no query at all */
	if (s->resolvers_id && last_record(s, &rec) == 0 && rec.dns) {
		from_shm(s, &rec.addr);
		if (rec.admin & SRV_ADMF_RMAINT)
			s->admin |= SRV_ADMF_RMAINT;
		return 0;
	}
	m = s->init_addr[0] ? s->init_addr : is_srv ? dflt_srv : dflt;
	for (int i = 0; i < SRV_MAX_IADDR && m[i]; i++) {
		struct sockaddr_storage ss;

		switch (m[i]) {
		case SRV_IADDR_LAST:
			if (last_record(s, &rec) < 0 || !rec.addr.af)
				continue;
			from_shm(s, &rec.addr);
			return 0;
		case SRV_IADDR_LIBC:
			if (is_srv || libc_addr(s, s->hostname, fam, idx, &ss) < 0)
				continue;
			set_port(&ss, port);
			s->addr = ss;
			s->addrlen = ss_len(&ss);
			return 0;
		case SRV_IADDR_NONE:
			/* no address: in maintenance until DNS gives one */
			memset(&s->addr, 0, sizeof(s->addr));
			s->addrlen = 0;
			s->admin |= SRV_ADMF_RMAINT;
			return 0;
		case SRV_IADDR_IP:
			s->addr = s->init_ip;
			set_port(&s->addr, port);
			s->addrlen = ss_len(&s->addr);
			return 0;
		}
	}
	snprintf(why, wl, "could not resolve address '%s' (init-addr: no method gave one)", host);
	return -1;
}

/* ---- server-template ---------------------------------------------------------------- */

#define TMPL_MAX 1024

/* server-template PREFIX NUM|LOW-HIGH FQDN[:PORT] [keywords...] */
int cfg_kw_server_template(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct proxy *px = ctx->px;
	long long lo, hi;
	const char *bad, *dash;
	char err[1024];

	if (nargs < 4)
		return cfg_err(ctx, "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in server-template prefix '%s'.", *bad, args[1]);
	dash = strchr(args[2], '-');
	if (dash) {
		char a[32];
		size_t l = (size_t)(dash - args[2]);

		if (l >= sizeof(a))
			goto range;
		memcpy(a, args[2], l);
		a[l] = 0;
		if (cfg_parse_int(a, 1, 1000000, &lo) < 0 || cfg_parse_int(dash + 1, 1, 1000000, &hi) < 0 || hi < lo)
			goto range;
	} else {
		if (cfg_parse_int(args[2], 1, 1000000, &hi) < 0)
			goto range;
		lo = 1;
	}
	if (hi - lo + 1 > TMPL_MAX)
		goto range;
	for (long long i = lo; i <= hi; i++) {
		char name[300];
		struct server *s;

		snprintf(name, sizeof(name), "%s%lld", args[1], i);
		if (!(s = srv_parse_server_at(px, &px->defsrv, name, args + 3, nargs - 3, SRV_PARSE_CONFIG,
					      (int)(i - lo), err, sizeof(err))))
			return cfg_err(ctx, "%s", err);
		s->file = ctx->file;
		s->line = ctx->line;
		list_add_tail(&px->servers, &s->link);
		px->nsrv++;
	}
	return 0;
range:
	return cfg_err(ctx, "'server-template' : invalid number or range '%s' (NUM or LOW-HIGH, 1 to %d servers, "
		       "numbers from 1).", args[2], TMPL_MAX);
}

/* ---- after the whole file ---------------------------------------------------------- */

int cfg_resolvers_check(struct cfg_ctx *ctx)
{
	struct list *l, *pl, *sl;
	int bad = 0;

	list_for_each(l, &ctx->cfg->resolvers) {
		struct resolvers *rs = list_entry(l, struct resolvers, link);

		if (!rs->nns)
			bad |= cfg_err_at(ctx, rs->line, "resolvers '%s' has no nameserver (add 'nameserver' or "
					  "'parse-resolv-conf').", rs->id);
	}
	list_for_each(pl, &ctx->cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(sl, &px->servers) {
			struct server *s = list_entry(sl, struct server, link);

			if (!s->resolvers_id)
				continue;
			list_for_each(l, &ctx->cfg->resolvers)
				if (!strcmp(list_entry(l, struct resolvers, link)->id, s->resolvers_id))
					s->resolvers = list_entry(l, struct resolvers, link);
			if (!s->resolvers)
				bad |= cfg_err_at(ctx, s->line, "'server %s/%s' : unable to find required resolvers '%s'.",
						  px->id, s->id, s->resolvers_id);
		}
	}
	return bad ? -1 : 0;
}

void cfg_resolvers_free(struct cfg *cfg)
{
	if (!cfg->resolvers.next)
		return;   /* a struct cfg that never went through cfg_load */
	while (!list_empty(&cfg->resolvers)) {
		struct resolvers *rs = list_entry(cfg->resolvers.next, struct resolvers, link);

		list_del(&rs->link);
		while (!list_empty(&rs->nameservers)) {
			struct dns_nameserver *ns = list_entry(rs->nameservers.next, struct dns_nameserver, link);

			list_del(&ns->link);
			free(ns->id);
			free(ns);
		}
		free(rs->id);
		free(rs);
	}
}
