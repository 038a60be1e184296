/* Sample fetches from internal state (HAProxy's 7.3.2) and from the client
 * connection (7.3.3): constants, environment, time, proxies and servers,
 * variables, addresses. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <tandem/clock.h>
#include <tandem/conn_err.h>
#include <tandem/proxy-t.h>
#include <tandem/rules.h>
#include <tandem/sample.h>

/* ---- constants ---- */

static int f_true(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)c; (void)it;
	smp_set_bool(s, 1);
	return 1;
}

static int f_false(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)c; (void)it;
	smp_set_bool(s, 0);
	return 1;
}

static int f_int(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)c; (void)it;
	smp_set_int(s, a[0].u.sint);
	return 1;
}

static int f_str(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)c; (void)it;
	smp_set_str(s, a[0].u.str.p, a[0].u.str.len, SMP_F_CONST);
	return 1;
}

static int chk_bool(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	const char *v = a[0].u.str.p;
	int b;

	(void)pc;
	if (!strcmp(v, "1") || !strcasecmp(v, "true"))
		b = 1;
	else if (!strcmp(v, "0") || !strcasecmp(v, "false"))
		b = 0;
	else {
		snprintf(err, errlen, "fetch method 'bool' : expects 0, 1, true or false, got '%s'", v);
		return -1;
	}
	free(a[0].u.str.p);
	a[0].type = ARGT_SINT;
	a[0].u.sint = b;
	return 0;
}

static int f_bool(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)c; (void)it;
	smp_set_bool(s, (int)a[0].u.sint);
	return 1;
}

static int f_ipv4(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)c; (void)it;
	s->type = SMP_T_IPV4;
	s->u.ipv4 = a[0].u.ipv4;
	return 1;
}

static int f_ipv6(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)c; (void)it;
	s->type = SMP_T_IPV6;
	s->u.ipv6 = a[0].u.ipv6;
	return 1;
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int chk_bin(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	char *p = a[0].u.str.p;
	size_t n = a[0].u.str.len;

	(void)pc;
	if (n % 2) {
		snprintf(err, errlen, "fetch method 'bin' : odd number of hexadecimal digits in '%s'", p);
		return -1;
	}
	for (size_t i = 0; i < n; i += 2) {
		int x = hexv(p[i]), y = hexv(p[i + 1]);

		if (x < 0 || y < 0) {
			snprintf(err, errlen, "fetch method 'bin' : '%s' is not hexadecimal", p);
			return -1;
		}
		p[i / 2] = (char)(x << 4 | y);
	}
	a[0].u.str.len = n / 2;
	return 0;
}

static int f_bin(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)c; (void)it;
	smp_set_str(s, a[0].u.str.p, a[0].u.str.len, SMP_F_CONST);
	s->type = SMP_T_BIN;
	return 1;
}

/* ---- environment and time ---- */

static int f_env(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *v = getenv(a[0].u.str.p);

	(void)c; (void)it;
	if (!v)
		return 0;
	smp_set_str(s, v, strlen(v), SMP_F_CONST);
	return 1;
}

static int chk_date_unit(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	if (a[1].type == ARGT_STR) {
		const char *u = a[1].u.str.p;
		long long mul;

		if (!strcmp(u, "s"))
			mul = 1;
		else if (!strcmp(u, "ms"))
			mul = 1000;
		else if (!strcmp(u, "us"))
			mul = 1000000;
		else {
			snprintf(err, errlen, "invalid unit '%s' (expects s, ms or us)", u);
			return -1;
		}
		free(a[1].u.str.p);
		a[1].type = ARGT_SINT;
		a[1].u.sint = mul;
	}
	return 0;
}

static int f_date(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	uint64_t us = clock_wall_us();
	long long off = a[0].type == ARGT_SINT ? a[0].u.sint : 0;
	long long mul = a[1].type == ARGT_SINT ? a[1].u.sint : 1;

	(void)c; (void)it;
	if (mul == 1)
		smp_set_int(s, (long long)(us / 1000000) + off);
	else if (mul == 1000)
		smp_set_int(s, (long long)(us / 1000) + off * 1000);
	else
		smp_set_int(s, (long long)us + off * 1000000);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_date_us(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)c; (void)it;
	smp_set_int(s, (long long)(clock_wall_us() % 1000000));
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_hostname(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	static char host[256];
	static int len = -1;

	(void)a; (void)c; (void)it;
	if (__atomic_load_n(&len, __ATOMIC_ACQUIRE) < 0) {
		char tmp[256];

		if (gethostname(tmp, sizeof(tmp) - 1) < 0)
			return 0;
		tmp[sizeof(tmp) - 1] = 0;
		memcpy(host, tmp, sizeof(host));
		__atomic_store_n(&len, (int)strlen(host), __ATOMIC_RELEASE);
	}
	smp_set_str(s, host, (size_t)len, SMP_F_CONST);
	return 1;
}

/* xorshift64*, seeded per thread: statistics, not cryptography. */
uint64_t rules_rand64(void)
{
	static __thread uint64_t x;

	if (!x)
		x = clock_mono_us() ^ ((uint64_t)(uintptr_t)&x << 17) ^ 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dull;
}

static int f_rand(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	uint32_t r = (uint32_t)(rules_rand64() >> 32);

	(void)c; (void)it;
	if (a[0].type == ARGT_SINT && a[0].u.sint > 0)
		smp_set_int(s, (long long)(((uint64_t)r * (uint64_t)a[0].u.sint) >> 32));
	else
		smp_set_int(s, r);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_uuid(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	uint64_t hi = rules_rand64(), lo = rules_rand64();
	char *p = smp_alloc(c, 37);

	(void)a; (void)it;
	if (!p)
		return 0;
	hi = (hi & ~0xf000ull) | 0x4000ull;                  /* version 4 */
	lo = (lo & ~(3ull << 62)) | (2ull << 62);            /* variant 10 */
	snprintf(p, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32), (unsigned)(hi >> 16) & 0xffff,
		 (unsigned)hi & 0xffff, (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffull));
	smp_set_str(s, p, 36, 0);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int chk_uuid(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	if (a[0].type == ARGT_SINT && a[0].u.sint != 4) {
		snprintf(err, errlen, "fetch method 'uuid' : only version 4 is supported");
		return -1;
	}
	return 0;
}

/* ---- proxies and servers ---- */

static struct proxy *cur_be(const struct smp_ctx *c)
{
	return c->be ? c->be : c->fe;
}

static struct proxy *arg_be(const struct smp_arg *a, const struct smp_ctx *c)
{
	return a[0].type == ARGT_BE && a[0].u.px ? a[0].u.px : cur_be(c);
}

static int set_name(struct sample *s, const char *n)
{
	if (!n)
		return 0;
	smp_set_str(s, n, strlen(n), SMP_F_CONST);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_fe_name(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return c->fe && set_name(s, c->fe->id);
}

static int f_fe_id(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->fe)
		return 0;
	smp_set_int(s, c->fe->uuid);
	return 1;
}

static int f_fe_defbe(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return c->fe && c->fe->defbe && set_name(s, c->fe->defbe->id);
}

static int f_be_name(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct proxy *be = cur_be(c);

	(void)a; (void)it;
	return be && set_name(s, be->id);
}

static int f_be_id(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct proxy *be = cur_be(c);

	(void)a; (void)it;
	if (!be)
		return 0;
	smp_set_int(s, be->uuid);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_srv_name(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return c->srv && set_name(s, c->srv->id);
}

static int f_srv_id(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->srv)
		return 0;
	smp_set_int(s, c->srv->puid);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_timeout(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it, int which)
{
	struct proxy *px = which == 0 ? c->fe : cur_be(c);

	(void)a; (void)it;
	if (!px)
		return 0;
	smp_set_int(s, which == 0 ? px->to.client : which == 1 ? px->to.server : px->to.tunnel);
	return 1;
}

static int f_fe_client_to(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return f_timeout(a, s, c, it, 0);
}

static int f_be_server_to(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return f_timeout(a, s, c, it, 1);
}

static int f_be_tunnel_to(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	return f_timeout(a, s, c, it, 2);
}

/* HAProxy's usable servers: UP (or starting), not in maintenance nor
 * draining, with a weight; backups count (as one) only when no active
 * server is usable. */
static int usable(const struct server *sv)
{
	int st = __atomic_load_n(&sv->state, __ATOMIC_RELAXED);
	int adm = __atomic_load_n(&sv->admin, __ATOMIC_RELAXED);

	return (st == SRV_ST_RUNNING || st == SRV_ST_STARTING) && !(adm & (SRV_ADMF_MAINT | SRV_ADMF_DRAIN)) &&
	       __atomic_load_n(&sv->eweight, __ATOMIC_RELAXED) > 0;
}

int rules_nbsrv(const struct proxy *be)
{
	int act = 0, bck = 0;
	const struct list *l;

	/* servers added at run time are linked with release stores */
	for (l = __atomic_load_n(&be->servers.next, __ATOMIC_ACQUIRE); l != &be->servers;
	     l = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE)) {
		const struct server *sv = list_entry(l, struct server, link);

		if (!usable(sv))
			continue;
		if (sv->backup)
			bck++;
		else
			act++;
	}
	return act ? act : bck ? 1 : 0;
}

static int f_nbsrv(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct proxy *be = arg_be(a, c);

	(void)it;
	if (!be)
		return 0;
	smp_set_int(s, rules_nbsrv(be));
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_be_conn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct proxy *be = arg_be(a, c);

	(void)it;
	if (!be || !be->be_ctr)
		return 0;
	smp_set_int(s, (long long)CTR_GET(be->be_ctr->cur_sess));
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_queue(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct proxy *be = arg_be(a, c);

	(void)it;
	if (!be)
		return 0;
	smp_set_int(s, __atomic_load_n(&be->nqueued, __ATOMIC_RELAXED));   /* its servers' queues too */
	s->flags |= SMP_F_VOL;
	return 1;
}

/* avg_queue: queued requests divided by usable servers (HAProxy's). */
static int f_avg_queue(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct proxy *be = arg_be(a, c);
	int q, n;

	(void)it;
	if (!be)
		return 0;
	q = __atomic_load_n(&be->nqueued, __ATOMIC_RELAXED);
	n = rules_nbsrv(be);
	smp_set_int(s, n ? (q + n - 1) / n : q);
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_srv_is_up(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const struct server *sv = a[0].u.srv;
	int st, adm;

	(void)c; (void)it;
	if (!sv)
		return 0;
	st = __atomic_load_n(&sv->state, __ATOMIC_RELAXED);
	adm = __atomic_load_n(&sv->admin, __ATOMIC_RELAXED);
	smp_set_bool(s, (st == SRV_ST_RUNNING || st == SRV_ST_STARTING) && !(adm & SRV_ADMF_MAINT));
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_srv_conn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const struct server *sv = a[0].u.srv;

	(void)c; (void)it;
	if (!sv)
		return 0;
	smp_set_int(s, __atomic_load_n(&sv->cur_conns, __ATOMIC_RELAXED));
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_srv_weight(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const struct server *sv = a[0].u.srv;

	(void)c; (void)it;
	if (!sv)
		return 0;
	smp_set_int(s, __atomic_load_n(&sv->eweight, __ATOMIC_RELAXED));
	s->flags |= SMP_F_VOL;
	return 1;
}

static int f_srv_uweight(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const struct server *sv = a[0].u.srv;

	(void)c; (void)it;
	if (!sv)
		return 0;
	smp_set_int(s, __atomic_load_n(&sv->uweight, __ATOMIC_RELAXED));
	s->flags |= SMP_F_VOL;
	return 1;
}

/* ---- variables, unique id, rules ---- */

static int f_var(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)it;
	if (vars_get(c, a[0].u.var, s))
		return 1;
	if (a[1].type == ARGT_STR) {
		smp_set_str(s, a[1].u.str.p, a[1].u.str.len, SMP_F_CONST);
		return 1;
	}
	return 0;
}

static int f_unique_id(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *id;
	size_t len;

	(void)a; (void)it;
	if (!(id = rules_unique_id(c, &len)))
		return 0;
	smp_set_str(s, id, len, SMP_F_CONST);
	return 1;
}

static int f_last_rule_file(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->last_rule_file)
		return 0;
	smp_set_str(s, c->last_rule_file, strlen(c->last_rule_file), SMP_F_CONST | SMP_F_VOL);
	return 1;
}

static int f_last_rule_line(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->last_rule_file)
		return 0;
	smp_set_int(s, c->last_rule_line);
	s->flags |= SMP_F_VOL;
	return 1;
}

/* ---- connection ---- */

static int addr_of(const struct sockaddr_storage *ss, struct sample *s)
{
	if (!ss)
		return 0;
	if (ss->ss_family == AF_INET) {
		s->type = SMP_T_IPV4;
		s->u.ipv4 = ((const struct sockaddr_in *)ss)->sin_addr;
		return 1;
	}
	if (ss->ss_family == AF_INET6) {
		s->type = SMP_T_IPV6;
		s->u.ipv6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		return 1;
	}
	return 0;
}

static int port_of(const struct sockaddr_storage *ss, struct sample *s)
{
	if (!ss)
		return 0;
	if (ss->ss_family == AF_INET)
		smp_set_int(s, ntohs(((const struct sockaddr_in *)ss)->sin_port));
	else if (ss->ss_family == AF_INET6)
		smp_set_int(s, ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	else
		return 0;
	return 1;
}

static int f_src(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return addr_of(c->src, s);
}

static int f_dst(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return addr_of(smp_ctx_dst(c), s);
}

static int f_src_port(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return port_of(c->src, s);
}

static int f_dst_port(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	return port_of(smp_ctx_dst(c), s);
}

/* fc_err, fc_err_str: why the client connection failed (HAProxy's
 * connection error code, conn_err.h), 0 / "Success" for none; no value
 * while its TLS handshake runs. They are for error-log-format: a failed
 * connection never reaches a rule. */
static int f_fc_err(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	int e = conn_err_code(c->cli_conn);

	(void)a; (void)it;
	if (e < 0)
		return 0;
	smp_set_int(s, e);
	return 1;
}

static int f_fc_err_str(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	int e = conn_err_code(c->cli_conn);
	const char *t = e < 0 ? NULL : conn_err_str(e);

	(void)a; (void)it;
	if (!t)
		return 0;
	smp_set_str(s, t, strlen(t), SMP_F_CONST);
	return 1;
}

#define INT  SMP_SRC_INTRN
#define L4   SMP_SRC_L4
#define VOL  SMP_KW_VOLATILE

const struct smp_fetch_kw smp_fetch_l4[] = {
	{ "always_false",  f_false,    { 0 },                 0, SMP_T_BOOL, INT, 0, NULL, -1 },
	{ "always_true",   f_true,     { 0 },                 0, SMP_T_BOOL, INT, 0, NULL, -1 },
	{ "int",           f_int,      { ARGT_SINT },         1, SMP_T_SINT, INT, 0, NULL, -1 },
	{ "str",           f_str,      { ARGT_STR },          1, SMP_T_STR,  INT, 0, NULL, -1 },
	{ "bool",          f_bool,     { ARGT_STR },          1, SMP_T_BOOL, INT, 0, chk_bool, -1 },
	{ "ipv4",          f_ipv4,     { ARGT_IPV4 },         1, SMP_T_IPV4, INT, 0, NULL, -1 },
	{ "ipv6",          f_ipv6,     { ARGT_IPV6 },         1, SMP_T_IPV6, INT, 0, NULL, -1 },
	{ "bin",           f_bin,      { ARGT_STR },          1, SMP_T_BIN,  INT, 0, chk_bin, -1 },
	{ "env",           f_env,      { ARGT_STR },          1, SMP_T_STR,  INT, VOL, NULL, -1 },
	{ "date",          f_date,     { ARGT_SINT, ARGT_STR }, 0, SMP_T_SINT, INT, VOL, chk_date_unit, -1 },
	{ "date_us",       f_date_us,  { 0 },                 0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "hostname",      f_hostname, { 0 },                 0, SMP_T_STR,  INT, 0, NULL, -1 },
	{ "rand",          f_rand,     { ARGT_SINT },         0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "uuid",          f_uuid,     { ARGT_SINT },         0, SMP_T_STR,  INT, VOL, chk_uuid, -1 },
	{ "nbsrv",         f_nbsrv,    { ARGT_BE },           0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "be_conn",       f_be_conn,  { ARGT_BE },           0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "queue",         f_queue,    { ARGT_BE },           0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "avg_queue",     f_avg_queue,{ ARGT_BE },           0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "srv_is_up",     f_srv_is_up,{ ARGT_SRV },          1, SMP_T_BOOL, INT, VOL, NULL, -1 },
	{ "srv_conn",      f_srv_conn, { ARGT_SRV },          1, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "srv_weight",    f_srv_weight,{ ARGT_SRV },         1, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "srv_uweight",   f_srv_uweight,{ ARGT_SRV },        1, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "var",           f_var,      { ARGT_VAR, ARGT_STR },1, SMP_T_ANY,  SMP_SRC_TXN, VOL, NULL, -1 },
	{ "unique-id",     f_unique_id,{ 0 },                 0, SMP_T_STR,  SMP_SRC_TXN, VOL, NULL, -1 },
	{ "last_rule_file",f_last_rule_file, { 0 },           0, SMP_T_STR,  INT, VOL, NULL, -1 },
	{ "last_rule_line",f_last_rule_line, { 0 },           0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "fe_name",       f_fe_name,  { 0 },                 0, SMP_T_STR,  INT, 0, NULL, -1 },
	{ "fe_id",         f_fe_id,    { 0 },                 0, SMP_T_SINT, INT, 0, NULL, -1 },
	{ "fe_defbe",      f_fe_defbe, { 0 },                 0, SMP_T_STR,  INT, 0, NULL, -1 },
	{ "fe_client_timeout", f_fe_client_to, { 0 },         0, SMP_T_SINT, INT, 0, NULL, -1 },
	{ "be_name",       f_be_name,  { 0 },                 0, SMP_T_STR,  INT, VOL, NULL, -1 },
	{ "be_id",         f_be_id,    { 0 },                 0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "be_server_timeout", f_be_server_to, { 0 },         0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "be_tunnel_timeout", f_be_tunnel_to, { 0 },         0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "srv_name",      f_srv_name, { 0 },                 0, SMP_T_STR,  INT, VOL, NULL, -1 },
	{ "srv_id",        f_srv_id,   { 0 },                 0, SMP_T_SINT, INT, VOL, NULL, -1 },
	{ "src",           f_src,      { 0 },                 0, SMP_T_IPV4, L4, 0, NULL, -1 },
	{ "src_port",      f_src_port, { 0 },                 0, SMP_T_SINT, L4, 0, NULL, -1 },
	{ "dst",           f_dst,      { 0 },                 0, SMP_T_IPV4, L4, 0, NULL, -1 },
	{ "dst_port",      f_dst_port, { 0 },                 0, SMP_T_SINT, L4, 0, NULL, -1 },
	{ "fc_src",        f_src,      { 0 },                 0, SMP_T_IPV4, L4, 0, NULL, -1 },
	{ "fc_src_port",   f_src_port, { 0 },                 0, SMP_T_SINT, L4, 0, NULL, -1 },
	{ "fc_dst",        f_dst,      { 0 },                 0, SMP_T_IPV4, L4, 0, NULL, -1 },
	{ "fc_dst_port",   f_dst_port, { 0 },                 0, SMP_T_SINT, L4, 0, NULL, -1 },
	{ "fc_err",        f_fc_err,   { 0 },                 0, SMP_T_SINT, L4, 0, NULL, -1 },
	{ "fc_err_str",    f_fc_err_str, { 0 },               0, SMP_T_STR,  L4, 0, NULL, -1 },
	{ .name = NULL }
};
