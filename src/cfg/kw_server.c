/* Server keywords: `server` and `default-server` lines of the
 * configuration, and the runtime API's `add server` (src/admin/cli_dyn.c),
 * through one table (srv_kws[]) and one parser (srv_parse_server), as
 * HAProxy's parse_server serves both. Handlers write their errors into a
 * buffer (struct srv_kw_ctx); the configuration adds "FILE:LINE: " and
 * logs them, the runtime API answers them as they are.
 *
 * A backend's defsrv is the template (built-in values, then what defaults
 * sections and `default-server` lines set); each `server` starts as a copy
 * of it, then applies its own words. A dynamic server starts from the
 * built-in values (HAProxy never applies default-server to them).
 *
 * Health-check keywords (check, inter, rise, fall, observe, max-fails...)
 * are described in doc/health-checks.md. The backend's check rules
 * (option httpchk, tcp-check...) live in the default-server template only
 * (defsrv.chk_px, see kw_check.c), so that defaults sections pass them on. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/srv_kw.h>
#include <tandem/ssl.h>
#include "cfg_int.h"
#include "kw_check.h"
#include "kw_ssl.h"

/* ---- the members of struct server ------------------------------------ */

static void rel_str(struct server *s, size_t off)
{
	char **p = (char **)((char *)s + off);

	free(*p);
	*p = NULL;
}

static void rel_id(struct server *s)       { rel_str(s, offsetof(struct server, id)); }
static void rel_addr_str(struct server *s) { rel_str(s, offsetof(struct server, addr_str)); }
static void rel_hostname(struct server *s) { rel_str(s, offsetof(struct server, hostname)); }

static void rel_dns(struct server *s)
{
	free(s->dns);   /* plain data (dns-t.h); its resolutions are gone with the DNS module */
	s->dns = NULL;
}

static void rel_dyn_argv(struct server *s)
{
	srv_argv_free(s->dyn_argv);
	s->dyn_argv = NULL;
}

static void rel_ctr(struct server *s)
{
	if (!s->ctr_shared)
		free(s->ctr);
	s->ctr = NULL;
}

static void rel_thr(struct server *s)
{
	free(s->thr);
	s->thr = NULL;
}

static void rel_hc(struct server *s)
{
	srv_health_free(s->hc);
	s->hc = NULL;
}

static void rel_ssl_rt(struct server *s)
{
	ssl_srv_release(s);
}

static void rel_chk_px(struct server *s)
{
	chk_px_free(s->chk_px);
	s->chk_px = NULL;
}

/* Only a default-server template carries the backend's check rules: a
 * template copied into its backend's defsrv (defaults inheritance) brings
 * them; a server keeps its own (none). */
static int dup_chk_px(struct server *dst, const struct server *src)
{
	int err = 0;

	if (!dst->be || dst != &dst->be->defsrv)
		return 0;
	chk_px_free(dst->chk_px);
	dst->chk_px = chk_px_dup(src->chk_px, &err);
	return err ? -1 : 0;
}

#define M(f, how, dup, rel) { #f, offsetof(struct server, f), sizeof(((struct server *)0)->f), \
			      __alignof__(((struct server *)0)->f), how, dup, rel }
#define KEEP(f)     M(f, SM_KEEP, NULL, NULL)
#define OWN(f, rel) M(f, SM_KEEP, NULL, rel)
#define VALUE(f)    M(f, SM_VALUE, NULL, NULL)
#define STR(f)      M(f, SM_STR, NULL, NULL)

/* Every member of struct server, in declaration order (tests/unit/
 * test_srv_kw.c checks that nothing is left out). A setting a keyword
 * writes is SM_VALUE, or SM_STR for an owned string; what belongs to one
 * server only (its name, address, counters, run-time state) is SM_KEEP,
 * with a release function when it owns memory. */
const struct srv_member srv_members[] = {
	KEEP(link),
	KEEP(be),
	OWN(id, rel_id),
	VALUE(puid),             /* `id`: never on default-server, so a template's is 0 */
	OWN(addr_str, rel_addr_str),
	KEEP(addr),
	KEEP(addrlen),
	VALUE(uweight),
	VALUE(eweight),
	VALUE(maxconn),
	VALUE(cfg_weight),
	KEEP(hand_rec),          /* points into the shared area, not owned */
	OWN(dyn_argv, rel_dyn_argv),
	VALUE(state),
	VALUE(admin),            /* `disabled` / `enabled` */
	VALUE(backup),
	KEEP(cur_conns),
	OWN(ctr, rel_ctr),
	KEEP(ctr_shared),
	OWN(thr, rel_thr),
	KEEP(last_change),
	VALUE(has_check),
	VALUE(chk_inter),
	VALUE(chk_fastinter),
	VALUE(chk_downinter),
	VALUE(chk_rise),
	VALUE(chk_fall),
	VALUE(chk_port),
	VALUE(chk_addr),
	VALUE(chk_addrlen),
	VALUE(init_state),
	VALUE(observe),
	VALUE(error_limit),
	VALUE(on_error),
	VALUE(max_fails),
	VALUE(fail_timeout),
	VALUE(slowstart),
	M(chk_px, SM_CUSTOM, dup_chk_px, rel_chk_px),
	OWN(hc, rel_hc),
	KEEP(port_map),          /* part of the address: the server's own */
	KEEP(port_off),
	VALUE(maxqueue),
	KEEP(queue_len),         /* run-time state: the server's own queue */
	KEEP(queue_max),
	VALUE(on_marked_down),
	VALUE(on_marked_up),
	VALUE(pp_opts),
	VALUE(check_send_proxy),
	VALUE(src),
	VALUE(has_agent),
	VALUE(agent_port),
	VALUE(agent_port_set),
	VALUE(agent_inter),
	M(agent_send, SM_STR, NULL, NULL),
	VALUE(agent_addr),
	VALUE(agent_addrlen),
	OWN(hostname, rel_hostname),  /* from its address, or `set server fqdn` */
	KEEP(hostport),
	KEEP(addr_gen),
	M(resolvers_id, SM_STR, NULL, NULL),
	KEEP(resolvers),         /* found from resolvers_id after parsing */
	VALUE(resolve_prefer),
	VALUE(resolve_opts),
	VALUE(resolve_net),
	VALUE(n_resolve_net),
	VALUE(init_addr),
	VALUE(init_ip),
	OWN(dns, rel_dns),
	VALUE(use_ssl),
	VALUE(check_ssl),
	VALUE(ssl_verify),
	VALUE(ssl_min_ver),
	VALUE(ssl_max_ver),
	VALUE(ssl_force_ver),
	VALUE(ssl_flags),
	VALUE(ssl_no_reuse),
	STR(ssl_ca_file),
	STR(ssl_crl_file),
	STR(ssl_crt),
	STR(ssl_sni),
	STR(ssl_verifyhost),
	STR(ssl_alpn),
	STR(ssl_ciphers),
	STR(ssl_ciphersuites),
	STR(check_sni),
	STR(check_alpn),
	OWN(ssl_rt, rel_ssl_rt), /* built after parsing (src/ssl/ssl_srv.c) */
	M(cookie, SM_STR, NULL, NULL),   /* `cookie VALUE` */
	KEEP(file),              /* the configuration's path or a literal: not owned */
	KEEP(line),
};
const size_t srv_nmembers = sizeof(srv_members) / sizeof(srv_members[0]);

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

int srv_settings_copy(struct server *dst, const struct server *src)
{
	int ret = 0;

	for (size_t i = 0; i < srv_nmembers; i++) {
		const struct srv_member *m = &srv_members[i];
		void *d = (char *)dst + m->off;
		const void *v = (const char *)src + m->off;

		switch (m->copy) {
		case SM_VALUE:
			memcpy(d, v, m->size);
			break;
		case SM_STR: {
			const char *from = *(char *const *)v;
			char *n = NULL;

			if (from && !(n = strdup(from)))
				ret = -1;
			free(*(char **)d);
			*(char **)d = n;
			break;
		}
		case SM_CUSTOM:
			if (m->dup(dst, src) < 0)
				ret = -1;
			break;
		default:
			break;
		}
	}
	return ret;
}

void srv_settings_free(struct server *s)
{
	for (size_t i = 0; i < srv_nmembers; i++) {
		const struct srv_member *m = &srv_members[i];

		if (m->release)
			m->release(s);
		else if (m->copy == SM_STR)
			rel_str(s, m->off);
	}
}

void srv_free(struct server *s)
{
	if (!s)
		return;
	srv_settings_free(s);
	free(s);
}

char **srv_argv_dup(char *const *args, int nargs)
{
	char **v = calloc((size_t)nargs + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < nargs; i++)
		if (!(v[i] = strdup(args[i]))) {
			srv_argv_free(v);
			return NULL;
		}
	return v;
}

void srv_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int srv_argv_count(char *const *argv)
{
	int n = 0;

	while (argv && argv[n])
		n++;
	return n;
}

/* ---- keyword handlers ------------------------------------------------ */

int srv_kw_err(struct srv_kw_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *srv_name(const struct server *s)
{
	return s->id ? s->id : "(default-server)";
}

static int skw_weight(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	long long v;

	(void)kw;
	if (cfg_parse_int(val, 0, 256, &v) < 0)
		return srv_kw_err(c, "weight of server %s is not within 0 and 256 (got '%s').", srv_name(s), val);
	s->uweight = s->eweight = (int)v;
	return 0;
}

static int skw_maxconn(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	long long v;

	if (cfg_val_int(kw, val, 0, 10000000, &v, c->err, c->errlen) < 0)
		return -1;
	s->maxconn = (int)v;
	return 0;
}

static int skw_backup(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	(void)c; (void)val;
	s->backup = strcmp(kw, "backup") == 0;
	return 0;
}

static int skw_disabled(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	(void)c; (void)val;
	if (strcmp(kw, "disabled") == 0)
		s->admin |= SRV_ADMF_FMAINT;
	else
		s->admin &= ~SRV_ADMF_FMAINT;
	return 0;
}

static int skw_id(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	long long v;

	if (cfg_parse_int(val, 1, 0x7fffffff, &v) < 0)
		return srv_kw_err(c, "'%s': custom id has to be > 0 (got '%s').", kw, val);
	s->puid = (int)v;
	return 0;
}

/* cookie VALUE: the value of the backend's persistence cookie that names
 * this server (doc/persistence.md). */
static int skw_cookie(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	char *v;

	for (const char *p = val; *p; p++)
		if ((unsigned char)*p <= 32 || *p == ';' || *p == ',' || *p == '"' || *p == '\\' || *p == 127)
			return srv_kw_err(c, "'%s': character '%c' is not permitted in a cookie value ('%s').",
					  kw, *p, val);
	if (!*val)
		return srv_kw_err(c, "'%s' expects <value> as argument.", kw);
	if (!(v = strdup(val)))
		return srv_kw_err(c, "out of memory");
	free(s->cookie);
	s->cookie = v;
	return 0;
}

static int skw_check(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	(void)c; (void)val;
	s->has_check = strcmp(kw, "check") == 0;
	return 0;
}

/* inter, fastinter, downinter, slowstart, fail-timeout */
static int skw_time(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	uint32_t ms;

	if (cfg_val_time(kw, val, &ms, c->err, c->errlen) < 0)
		return -1;
	if (!strcmp(kw, "slowstart")) {
		s->slowstart = ms;
		return 0;
	}
	if (!ms)
		return srv_kw_err(c, "invalid value 0 for argument '%s' of server %s.", kw, srv_name(s));
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
static int skw_count(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	long long v;
	int port = !strcmp(kw, "port"), mf = !strcmp(kw, "max-fails");

	if (cfg_parse_int(val, mf ? 0 : 1, port ? 65535 : 0x7fffffff, &v) < 0) {
		if (port)
			return srv_kw_err(c, "'%s' expects a port number between 1 and 65535 (got '%s').", kw, val);
		return srv_kw_err(c, "'%s' has to be %s (got '%s').", kw, mf ? ">= 0" : "> 0", val);
	}
	if (!strcmp(kw, "rise"))
		s->chk_rise = (int)v;
	else if (!strcmp(kw, "fall"))
		s->chk_fall = (int)v;
	else if (!strcmp(kw, "error-limit"))
		s->error_limit = (int)v;
	else if (mf)
		s->max_fails = (int)v;
	else {
		s->chk_port = (int)v;
		if (!s->agent_port_set)   /* HAProxy: `port` is the agent's too, unless agent-port */
			s->agent_port = (int)v;
	}
	return 0;
}

/* `addr`: names are resolved when the configuration is loaded only */
static int skw_addr(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	char why[512];
	int flags = (c->mode & SRV_PARSE_DYNAMIC) ? ADDR_NO_RESOLVE : 0;

	if (cfg_addr_ex(val, &s->chk_addr, &s->chk_addrlen, flags, 0, why, sizeof(why)) < 0)
		return srv_kw_err(c, "'%s' : %s.", kw, why);
	return 0;
}

/* A keyword whose argument is one of <names>, stored as <first>+index. */
static int pick(struct srv_kw_ctx *c, const char *kw, const char *val, const char *const *names,
		const char *expect, int first, int *dst)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(val, names[i])) {
			*dst = first + i;
			return 0;
		}
	return srv_kw_err(c, "'%s' expects one of %s but got '%s'.", kw, expect, val);
}

static int skw_init_state(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	static const char *const n[] = { "fully-down", "down", "up", "fully-up", NULL };

	return pick(c, kw, val, n, "'fully-up', 'up', 'down', or 'fully-down'", INIT_FULLY_DOWN, &s->init_state);
}

static int skw_observe(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	static const char *const n[] = { "none", "layer4", "layer7", NULL };

	if (pick(c, kw, val, n, "'none', 'layer4', 'layer7'", OBS_MODE_NONE, &s->observe) < 0)
		return -1;
	if (s->observe == OBS_MODE_L7 && s->be && s->be->mode != PR_MODE_HTTP)
		return srv_kw_err(c, "'%s %s' can only be used in http proxies.", kw, val);
	return 0;
}

static int skw_on_error(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	static const char *const n[] = { "fastinter", "fail-check", "sudden-death", "mark-down", NULL };

	return pick(c, kw, val, n, "'fastinter', 'fail-check', 'sudden-death' or 'mark-down'", ONERR_FASTINTER,
		    &s->on_error);
}

/* ---- the long tail (issue 18): doc/configuration.md, doc/health-checks.md ---- */

static int skw_on_marked(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	if (!strcmp(kw, "on-marked-down")) {
		if (strcmp(val, "shutdown-sessions"))
			return srv_kw_err(c, "'%s' expects 'shutdown-sessions' but got '%s'", kw, val);
		s->on_marked_down = SRV_ONMD_SHUTDOWN;
	} else {
		if (strcmp(val, "shutdown-backup-sessions"))
			return srv_kw_err(c, "'%s' expects 'shutdown-backup-sessions' but got '%s'", kw, val);
		s->on_marked_up = SRV_ONMU_SHUTDOWN_BACKUP;
	}
	return 0;
}

static int skw_maxqueue(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	long long v;

	if (cfg_val_int(kw, val, 0, 10000000, &v, c->err, c->errlen) < 0)
		return -1;
	s->maxqueue = (int)v;
	return 0;
}

/* send-proxy, send-proxy-v2, no-send-proxy, no-send-proxy-v2,
 * check-send-proxy, no-check-send-proxy */
static int skw_send_proxy(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	int no = !strncmp(kw, "no-", 3);

	(void)c; (void)val;
	if (strstr(kw, "check-send-proxy"))
		s->check_send_proxy = !no;
	else if (strstr(kw, "-v2"))
		s->pp_opts = no ? s->pp_opts & ~SRV_PP_V2 : s->pp_opts | SRV_PP_V2;
	else
		s->pp_opts = no ? s->pp_opts & ~SRV_PP_V1 : s->pp_opts | SRV_PP_V1;
	return 0;
}

/* proxy-v2-options OPT[,OPT...]: authority, unique-id, crc32c; the SSL
 * TLVs (ssl, cert-cn, ssl-cipher, cert-sig, cert-key) are not sent yet. */
static int skw_pp2_opts(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	const char *p = val;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 9 && !strncmp(p, "authority", 9))
			s->pp_opts |= SRV_PP_V2_AUTHORITY;
		else if (n == 9 && !strncmp(p, "unique-id", 9))
			s->pp_opts |= SRV_PP_V2_UNIQUE_ID;
		else if (n == 6 && !strncmp(p, "crc32c", 6))
			s->pp_opts |= SRV_PP_V2_CRC32C;
		else if ((n == 3 && !strncmp(p, "ssl", 3)) || (n == 7 && !strncmp(p, "cert-cn", 7)) ||
			 (n == 10 && !strncmp(p, "ssl-cipher", 10)) || (n == 8 && !strncmp(p, "cert-sig", 8)) ||
			 (n == 8 && !strncmp(p, "cert-key", 8)))
			return srv_kw_err(c, "'%s' : '%.*s' (the SSL TLVs of the client's TLS connection) is not supported yet.",
					  kw, (int)n, p);
		else
			return srv_kw_err(c, "'%s' : bad option '%.*s'", kw, (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* source ADDR[:PORT[-PORT]] (then `interface NAME`); `usesrc` is refused */
static int skw_source(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	char why[512];
	int flags = (c->mode & SRV_PARSE_DYNAMIC) ? ADDR_NO_RESOLVE : 0;

	if (cfg_parse_source(val, &s->src, flags, why, sizeof(why)) < 0)
		return srv_kw_err(c, "'%s' : %s.", kw, why);
	return 0;
}

/* `source ADDR interface NAME` (alone: the interface only, SO_BINDTODEVICE) */
static int skw_interface(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	if (strlen(val) >= sizeof(s->src.iface))
		return srv_kw_err(c, "'%s' : interface name '%s' is too long.", kw, val);
	strcpy(s->src.iface, val);
	return 0;
}

static int skw_agent(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val)
{
	char why[512];
	long long v;
	uint32_t ms;
	int flags = (c->mode & SRV_PARSE_DYNAMIC) ? ADDR_NO_RESOLVE : 0;

	if (!strcmp(kw, "agent-check") || !strcmp(kw, "no-agent-check")) {
		s->has_agent = kw[0] == 'a';
	} else if (!strcmp(kw, "agent-port")) {
		if (cfg_parse_int(val, 1, 65535, &v) < 0)
			return srv_kw_err(c, "'%s' expects a valid TCP port (1..65535), got '%s'.", kw, val);
		s->agent_port = (int)v;
		s->agent_port_set = 1;
	} else if (!strcmp(kw, "agent-inter")) {
		if (cfg_val_time(kw, val, &ms, c->err, c->errlen) < 0)
			return -1;
		if (!ms)
			return srv_kw_err(c, "invalid value 0 for argument '%s' of server %s.", kw, srv_name(s));
		s->agent_inter = ms;
	} else if (!strcmp(kw, "agent-send")) {
		char *d = strdup(val);

		if (!d)
			return srv_kw_err(c, "out of memory");
		free(s->agent_send);
		s->agent_send = d;
	} else {   /* agent-addr: an address without port (agent-port gives it) */
		if (cfg_addr_ex(val, &s->agent_addr, &s->agent_addrlen, flags, 0, why, sizeof(why)) < 0)
			return srv_kw_err(c, "'%s' : %s.", kw, why);
	}
	return 0;
}

/* Rows: a keyword without argument, one with an argument (and an example
 * of it), a HAProxy keyword tandem refuses (rather than "unknown"). */
#define KW0(n, fl, fn)      { n, 0, fl, fn, NULL, NULL, NULL }
#define KW1(n, fl, fn, ex)  { n, 1, fl, fn, ex, NULL, NULL }
#define KW0N(n, fl, fn, nd) { n, 0, fl, fn, NULL, NULL, nd }   /* with the words it needs beside it */
#define REFUSED(n, why)     { n, 0, 0, NULL, NULL, why, NULL }   /* "keyword 'n'<why>." */
#define LATER(n)            REFUSED(n, " is not supported yet")
#define DYN SRV_KW_DYN

/* The keyword table. `add server` accepts the rows flagged DYN, with the
 * same meaning; `no-check` is not among them, as in HAProxy (a dynamic
 * server has no default-server `check` to cancel). */
const struct srv_kw srv_kws[] = {
	KW1("weight",       DYN, skw_weight,     "10"),
	KW1("maxconn",      DYN, skw_maxconn,    "100"),
	KW0("backup",       DYN, skw_backup),
	KW0("no-backup",    DYN, skw_backup),
	KW0("disabled",     DYN, skw_disabled),
	KW0("enabled",      DYN, skw_disabled),
	KW1("id",           DYN | SRV_KW_NODEF, skw_id, "7"),
	KW0("check",        DYN, skw_check),
	KW0("no-check",     0,   skw_check),
	KW1("inter",        DYN, skw_time,       "2s"),
	KW1("fastinter",    DYN, skw_time,       "500ms"),
	KW1("downinter",    DYN, skw_time,       "5s"),
	KW1("slowstart",    DYN, skw_time,       "30s"),
	KW1("fail-timeout", DYN, skw_time,       "10s"),
	KW1("rise",         DYN, skw_count,      "3"),
	KW1("fall",         DYN, skw_count,      "2"),
	KW1("error-limit",  DYN, skw_count,      "5"),
	KW1("max-fails",    DYN, skw_count,      "3"),
	KW1("port",         DYN, skw_count,      "8080"),
	KW1("addr",         DYN, skw_addr,       "127.0.0.2"),
	KW1("init-state",   DYN, skw_init_state, "fully-up"),
	KW1("observe",      DYN, skw_observe,    "layer7"),
	KW1("on-error",     DYN, skw_on_error,   "mark-down"),
	KW1("on-marked-down", DYN, skw_on_marked, "shutdown-sessions"),
	KW1("on-marked-up", DYN, skw_on_marked,  "shutdown-backup-sessions"),
	KW1("maxqueue",     DYN, skw_maxqueue,   "10"),
	KW0("send-proxy",   DYN, skw_send_proxy),
	KW0("send-proxy-v2", DYN, skw_send_proxy),
	KW0("no-send-proxy", DYN, skw_send_proxy),
	KW0("no-send-proxy-v2", DYN, skw_send_proxy),
	KW1("proxy-v2-options", DYN, skw_pp2_opts, "authority,unique-id"),
	KW0("check-send-proxy", DYN, skw_send_proxy),
	KW0("no-check-send-proxy", DYN, skw_send_proxy),
	KW1("source",       DYN, skw_source,     "127.0.0.1"),
	KW1("interface",    DYN, skw_interface,  "lo"),
	KW0("agent-check",  DYN, skw_agent),
	KW0("no-agent-check", 0, skw_agent),
	KW1("agent-port",   DYN, skw_agent,      "5555"),
	KW1("agent-inter",  DYN, skw_agent,      "1s"),
	KW1("agent-send",   DYN, skw_agent,      "ping"),
	KW1("agent-addr",   DYN, skw_agent,      "127.0.0.3"),
	REFUSED("usesrc", ": transparent proxying (connecting from the client's address) is not supported by tandem; "
		"'source ADDR' sets a fixed source address"),
	REFUSED("check-via-socks4", " is not supported by tandem (it has no SOCKS4 client)"),
	REFUSED("socks4", " is not supported by tandem (it has no SOCKS4 client)"),
	/* DNS (kw_resolvers.c); not for `add server`, as in HAProxy */
	KW1("resolvers",      0, cfg_skw_resolvers,      "dns"),
	KW1("resolve-prefer", 0, cfg_skw_resolve_prefer, "ipv4"),
	KW1("resolve-net",    0, cfg_skw_resolve_net,    "10.0.0.0/8,192.168.0.0/16"),
	KW1("resolve-opts",   0, cfg_skw_resolve_opts,   "allow-dup-ip,ignore-weight"),
	KW1("init-addr",      0, cfg_skw_init_addr,      "last,libc,none"),
	KW1("cookie",       DYN, skw_cookie,     "s1"),

	LATER("track"), LATER("minconn"), LATER("redir"),
	LATER("pool-max-conn"), LATER("pool-purge-delay"), LATER("pool-low-conn"), LATER("tfo"),
	LATER("namespace"), LATER("proto"), LATER("check-proto"),
	LATER("health-check"), LATER("log-proto"),
	LATER("non-stick"), LATER("stick"), LATER("shard"), LATER("ws"), LATER("tcp-ut"),
	LATER("set-proxy-v2-tlv-fmt"), LATER("hash-key"), LATER("guid"), LATER("strict-maxconn"),
	LATER("idle-ping"),

	/* TLS towards the server (kw_ssl.c, doc/tls.md). Not for `add server`
	 * yet: a dynamic server's context would have to be built at run time. */
	KW0N("ssl",          0, skw_ssl_flag, "verify none"),
	KW0("no-ssl",        0, skw_ssl_flag),
	KW0N("check-ssl",    0, skw_ssl_flag, "verify none"),
	KW0("no-check-ssl",  0, skw_ssl_flag),
	KW1("verify",        0, skw_ssl_verify, "none"),
	KW1("verifyhost",    0, skw_ssl_str,  "www.example.com"),
	KW0("no-verifyhost", 0, skw_ssl_flag),
	KW1("sni",           0, skw_ssl_str,  "req.hdr(host)"),
	KW1("ca-file",       0, skw_ssl_str,  "ca.pem"),
	KW1("crl-file",      0, skw_ssl_str,  "crl.pem"),
	KW1("crt",           0, skw_ssl_str,  "client.pem"),
	KW1("alpn",          0, skw_ssl_str,  "http/1.1"),
	KW1("ciphers",       0, skw_ssl_str,  "ECDHE+AESGCM"),
	KW1("ciphersuites",  0, skw_ssl_str,  "TLS_AES_128_GCM_SHA256"),
	KW1("check-sni",     0, skw_ssl_str,  "www.example.com"),
	KW1("check-alpn",    0, skw_ssl_str,  "http/1.1"),
	KW0("no-ssl-reuse",  0, skw_ssl_flag),
	KW0("ssl-reuse",     0, skw_ssl_flag),
	KW1("ssl-min-ver",   0, skw_ssl_ver,  "TLSv1.2"),
	KW1("ssl-max-ver",   0, skw_ssl_ver,  "TLSv1.3"),
	KW0("force-sslv3",   0, skw_ssl_flag),
	KW0("force-tlsv10",  0, skw_ssl_flag),
	KW0("force-tlsv11",  0, skw_ssl_flag),
	KW0("force-tlsv12",  0, skw_ssl_flag),
	KW0("force-tlsv13",  0, skw_ssl_flag),
	KW0("no-sslv3",      SRV_KW_NODEF, skw_ssl_flag),   /* HAProxy: not on default-server */
	KW0("no-tlsv10",     SRV_KW_NODEF, skw_ssl_flag),
	KW0("no-tlsv11",     SRV_KW_NODEF, skw_ssl_flag),
	KW0("no-tlsv12",     SRV_KW_NODEF, skw_ssl_flag),
	KW0("no-tlsv13",     SRV_KW_NODEF, skw_ssl_flag),
	KW0("no-tls-tickets", 0, skw_ssl_flag),
	KW0("tls-tickets",   0, skw_ssl_flag),
	KW1("ktls",          0, skw_ssl_str,  "off"),
	REFUSED("allow-0rtt", ": TLS 1.3 early data (0-RTT) is not supported by tandem"),
	REFUSED("npn", " is obsolete and not supported by tandem: use 'alpn'"),
	LATER("curves"), LATER("sigalgs"), LATER("client-sigalgs"),
	REFUSED("send-proxy-v2-ssl", " is not supported yet (the PROXY v2 SSL TLVs: use send-proxy-v2)"),
	REFUSED("send-proxy-v2-ssl-cn", " is not supported yet (the PROXY v2 SSL TLVs: use send-proxy-v2)"),
	{ NULL, 0, 0, NULL, NULL, NULL, NULL }
};

const struct srv_kw *srv_kw_find(const char *name)
{
	for (const struct srv_kw *k = srv_kws; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* ---- the parser ------------------------------------------------------ */

int srv_parse_kws(struct srv_kw_ctx *c, struct server *s, char **args, int nargs, const char *what)
{
	/* "'<what>': " before messages about the words themselves */
	const char *q = what ? "'" : "", *w = what ? what : "", *sep = what ? "': " : "";

	for (int i = 0; i < nargs; i++) {
		const struct srv_kw *k = srv_kw_find(args[i]);

		if (!k)
			return srv_kw_err(c, "%s%s%sunknown keyword '%s'.", q, w, sep, args[i]);
		if (!k->parse)
			return srv_kw_err(c, "%s%s%skeyword '%s'%s.", q, w, sep, args[i], k->refused);
		if ((c->mode & SRV_PARSE_DYNAMIC) && !(k->flags & SRV_KW_DYN))
			return srv_kw_err(c, "'%s' option is not accepted for dynamic server", args[i]);
		if ((c->mode & SRV_PARSE_DEFSRV) && (k->flags & SRV_KW_NODEF))
			return srv_kw_err(c, "%s%s%skeyword '%s' is not allowed on 'default-server' lines.",
					  q, w, sep, args[i]);
		if (k->nval && (i + 1 >= nargs || !*args[i + 1]))
			return srv_kw_err(c, "%s%s%s'%s' expects an argument.", q, w, sep, args[i]);
		if (k->parse(c, s, args[i], k->nval ? args[i + 1] : NULL) < 0)
			return -1;
		i += k->nval;
	}
	return 0;
}

struct server *srv_parse_server(struct proxy *be, const struct server *tmpl, const char *name,
				char **args, int nargs, unsigned mode, char *err, size_t errlen)
{
	return srv_parse_server_at(be, tmpl, name, args, nargs, mode, 0, err, errlen);
}

struct server *srv_parse_server_at(struct proxy *be, const struct server *tmpl, const char *name,
				   char **args, int nargs, unsigned mode, int idx, char *err, size_t errlen)
{
	struct srv_kw_ctx c = { .mode = mode, .err = err, .errlen = errlen };
	char norm[600];
	struct server *s;
	char why[512];
	char *what = NULL;

	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv_settings_init(s);
	if (tmpl && srv_settings_copy(s, tmpl) < 0)
		goto oom;
	s->be = be;
	if (mode & SRV_PARSE_DYNAMIC) {
		s->admin = SRV_ADMF_FMAINT;      /* until `enabled` or `set server ... state ready` */
		s->init_state = INIT_UNSET;
	}
	if (!(s->id = strdup(name)) || !(s->addr_str = strdup(nargs > 0 ? args[0] : "")))
		goto oom;
	if (!(mode & SRV_PARSE_DYNAMIC) && asprintf(&what, "server %s", name) < 0) {
		what = NULL;
		goto oom;
	}
	/* keywords first: an unsupported one matters more than a name that
	 * does not resolve here (yet) */
	if (srv_parse_kws(&c, s, args + 1, nargs - 1, what) < 0)
		goto fail;
	/* no port, "+N" or "-N": the port the client connected to (HAProxy's
	 * mapped ports), then a name: resolved now or by DNS later, as
	 * init-addr and resolvers say (kw_resolvers.c); run time: numeric only */
	if (cfg_srv_port_map(s->addr_str, norm, sizeof(norm), &s->port_map, &s->port_off, why, sizeof(why)) < 0 ||
	    ((mode & SRV_PARSE_DYNAMIC) ?
	     cfg_addr_ex(norm, &s->addr, &s->addrlen, ADDR_PORT_MANDATORY | ADDR_NO_RESOLVE, 0, why, sizeof(why)) < 0 :
	     cfg_srv_addr(s, norm, idx, why, sizeof(why)) < 0)) {
		snprintf(err, errlen, "'server %s': %s.", name, why);
		goto fail;
	}
	if (s->has_agent && !s->agent_port) {   /* HAProxy's words, config and add server alike */
		snprintf(err, errlen, "server %s does not have agent port. Agent check has been disabled.", name);
		goto fail;
	}
	free(what);
	return s;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(what);
	srv_free(s);
	return NULL;
}

/* server NAME ADDR:PORT [keywords...] */
static int kw_server(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct proxy *px = ctx->px;
	struct server *s;
	const char *bad;
	char err[1024];

	if (nargs < 3)
		return cfg_err(ctx, "'server' expects <name> and <addr>:<port> as arguments.");
	if ((bad = cfg_invalid_char(args[1])))
		return cfg_err(ctx, "character '%c' is not permitted in server name '%s'.", *bad, args[1]);
	if (!(s = srv_parse_server(px, &px->defsrv, args[1], args + 2, nargs - 2, SRV_PARSE_CONFIG,
				   err, sizeof(err))))
		return cfg_err(ctx, "%s", err);
	s->file = ctx->file;
	s->line = ctx->line;
	list_add_tail(&px->servers, &s->link);
	px->nsrv++;
	return 0;
}

/* default-server [keywords...] */
static int kw_default_server(struct cfg_ctx *ctx, char **args, int nargs)
{
	struct srv_kw_ctx c = { .mode = SRV_PARSE_DEFSRV };
	char err[1024];

	c.err = err;
	c.errlen = sizeof(err);
	if (srv_parse_kws(&c, &ctx->px->defsrv, args + 1, nargs - 1, "default-server") < 0)
		return cfg_err(ctx, "%s", err);
	return 0;
}

const struct cfg_kw cfg_server_kws[] = {
	{ "server",         KW_BE | KW_LI,          kw_server },
	{ "server-template", KW_BE | KW_LI,         cfg_kw_server_template },
	{ "default-server", KW_DEF | KW_BE | KW_LI, kw_default_server },
	{ NULL, 0, NULL }
};
