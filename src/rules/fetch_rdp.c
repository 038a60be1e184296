/* The RDP cookie of a Remote Desktop connection request (HAProxy's
 * req.rdp_cookie and req.rdp_cookie_cnt): a TPKT header and an X.224
 * connection request (11 bytes), then "Cookie: <name>=<value>\r\n". Used
 * by `balance rdp-cookie` and the RDP_COOKIE predefined ACL. While the
 * bytes may still come, the sample may change (inspect-delay waits). */
#include <string.h>
#include <strings.h>
#include <tandem/sample.h>

#define RQ (SMP_SRC_REQ)

/* 1: a cookie, [*v, *v + *vl); 0: none; -1: too short yet. */
static int rdp_cookie(const char *p, size_t len, const char *name, size_t nl, const char **v, size_t *vl)
{
	size_t i = 11;

	if (len <= 11 + 11)
		return -1;
	if (strncasecmp(p + i, "Cookie:", 7))
		return 0;
	i += 7;
	while (i < len && p[i] == ' ')
		i++;
	if (nl) {
		if (len - i <= nl)
			return -1;
		if (p[i + nl] != '=' || strncasecmp(p + i, name, nl))
			return 0;
		i += nl + 1;
	} else {
		while (i < len && p[i] != '=') {
			if (p[i] == '\r' || p[i] == '\n')
				return 0;
			i++;
		}
		if (i >= len)
			return -1;
		i++;
	}
	*v = p + i;
	while (i < len && p[i] != '\r')
		i++;
	if (len - i < 2)
		return -1;
	if (p[i + 1] != '\n')
		return 0;
	*vl = (size_t)(p + i - *v);
	return 1;
}

static int f_rdp_cookie(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *v;
	size_t vl;
	int r;

	(void)it;
	r = rdp_cookie(c->payload ? c->payload : "", c->payload_len, a[0].type == ARGT_STR ? a[0].u.str.p : "",
		       a[0].type == ARGT_STR ? a[0].u.str.len : 0, &v, &vl);
	if (r <= 0) {
		if (r < 0 && !c->payload_final)
			s->flags |= SMP_F_MAY_CHANGE;
		return 0;
	}
	smp_set_str(s, v, vl, SMP_F_CONST | SMP_F_VOL);
	return 1;
}

static int f_rdp_cookie_cnt(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const char *v;
	size_t vl;
	int r;

	(void)it;
	r = rdp_cookie(c->payload ? c->payload : "", c->payload_len, a[0].type == ARGT_STR ? a[0].u.str.p : "",
		       a[0].type == ARGT_STR ? a[0].u.str.len : 0, &v, &vl);
	if (r < 0 && !c->payload_final) {
		s->flags |= SMP_F_MAY_CHANGE;
		return 0;
	}
	smp_set_int(s, r > 0);
	s->flags |= SMP_F_VOL;
	return 1;
}

const struct smp_fetch_kw smp_fetch_rdp[] = {
	{ "req.rdp_cookie",     f_rdp_cookie,     { ARGT_STR }, 0, SMP_T_STR,  RQ, SMP_KW_VOLATILE, NULL, -1 },
	{ "rdp_cookie",         f_rdp_cookie,     { ARGT_STR }, 0, SMP_T_STR,  RQ, SMP_KW_VOLATILE | SMP_KW_DEPREC, NULL, -1 },
	{ "req.rdp_cookie_cnt", f_rdp_cookie_cnt, { ARGT_STR }, 0, SMP_T_SINT, RQ, SMP_KW_VOLATILE, NULL, -1 },
	{ "rdp_cookie_cnt",     f_rdp_cookie_cnt, { ARGT_STR }, 0, SMP_T_SINT, RQ, SMP_KW_VOLATILE | SMP_KW_DEPREC, NULL, -1 },
	{ .name = NULL }
};
