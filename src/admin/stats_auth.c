/* Credentials and origin checks for the stats page (doc/management.md,
 * "Stats page: authentication and admin actions").
 *
 * Basic authentication (RFC 7617) against the proxy's `stats auth` lines.
 * The credentials are decoded strictly, so that exactly one byte string is
 * accepted for a given user and password: the scheme "Basic" (any case),
 * one or more SP, then base64 (RFC 4648 4) with its padding, a length
 * multiple of 4, unused bits zero, and nothing after the padding. The
 * comparison with the configured user:password lines does not depend on
 * where the first difference is nor on which line matches (every line is
 * compared in full), so response times tell nothing about the secret.
 *
 * Same-origin check for admin POSTs: a browser that holds the credentials
 * for the stats page would otherwise run an admin action for any page that
 * submits a form to it (a cross-site request forgery). Browsers send Origin
 * on every cross-origin POST; its host[:port] must be the request's Host.
 * Without Origin, a Referer must agree the same way. A request with neither
 * comes from a program (curl, scripts written for HAProxy's form), not from
 * a page a browser was sent to, and is accepted. */
#include <string.h>
#include <strings.h>
#include <tandem/h1.h>
#include <tandem/list.h>
#include <tandem/stats_http.h>

/* Longest credentials decoded: user:password of a `stats auth` line can
 * be longer, but such a line then simply never matches. */
#define AUTH_MAX 1024

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Strict base64 of <in,n> into <out> (capacity <cap>). Returns the decoded
 * length, or -1 when <in> is not canonical padded base64 or does not fit. */
static long b64_strict(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0, pad = 0;

	if (!n || n % 4)
		return -1;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int last = i + 4 == n;

		for (int k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;    /* padding, only at the very end */
				continue;
			}
			if ((v[k] = b64val((unsigned char)in[i + k])) < 0)
				return -1;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (last && pad == 2) {
			if (v[1] & 0x0f)
				return -1;   /* unused bits must be zero */
			break;
		}
		out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
		if (last && pad == 1) {
			if (v[2] & 0x03)
				return -1;
			break;
		}
		out[o++] = (unsigned char)((v[2] & 0x03) << 6 | v[3]);
	}
	return (long)o;
}

/* 0 when <got,n> equals user ":" pass, in a time that depends only on <n>
 * and on the lengths of user and pass. */
static unsigned cred_diff(const unsigned char *got, size_t n, const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass), want = ul + 1 + pl;
	unsigned d = n != want;

	for (size_t i = 0; i < n; i++) {
		unsigned char e;

		if (i < ul)
			e = (unsigned char)user[i];
		else if (i == ul)
			e = ':';
		else if (i - ul - 1 < pl)
			e = (unsigned char)pass[i - ul - 1];
		else
			e = 0;
		d |= (unsigned)(got[i] ^ e);
	}
	return d;
}

int stats_auth_check(const struct proxy *px, const char *authz, size_t len)
{
	unsigned char dec[AUTH_MAX];
	const struct list *l;
	size_t i;
	long n;
	int ok = 0;

	if (list_empty(&px->stats_auths))
		return 1;
	if (!authz || len < 6 || strncasecmp(authz, "Basic", 5) || authz[5] != ' ')
		return 0;
	for (i = 5; i < len && authz[i] == ' '; i++)
		;
	n = b64_strict(authz + i, len - i, dec, sizeof(dec));
	if (n < 0)
		return 0;
	list_for_each(l, &px->stats_auths) {
		const struct stats_auth *a = list_entry(l, const struct stats_auth, link);

		ok |= !cred_diff(dec, (size_t)n, a->user, a->pass);
	}
	return ok;
}

/* host[:port] of an absolute URI <u,n> (scheme "://" authority ...), with
 * the scheme's default port dropped; 0 when <u> is not such a URI. */
static int uri_authority(const char *u, size_t n, const char **ap, size_t *an)
{
	const char *p = memchr(u, ':', n), *e = u + n, *a, *ae;
	size_t sl;

	if (!p || e - p < 3 || memcmp(p, "://", 3))
		return 0;
	sl = (size_t)(p - u);
	a = p + 3;
	for (ae = a; ae < e && *ae != '/' && *ae != '?' && *ae != '#'; ae++)
		if (*ae == '@')
			return 0;
	if (ae == a)
		return 0;
	if (sl == 4 && !strncasecmp(u, "http", 4) && ae - a > 3 && !memcmp(ae - 3, ":80", 3))
		ae -= 3;
	else if (sl == 5 && !strncasecmp(u, "https", 5) && ae - a > 4 && !memcmp(ae - 4, ":443", 4))
		ae -= 4;
	*ap = a;
	*an = (size_t)(ae - a);
	return 1;
}

/* Does the origin named by <u,n> (an Origin or Referer value) have the
 * same host[:port] as the request's <host>? A Host naming port 80 or 443
 * explicitly is compared without it (the origin's default port is
 * dropped the same way). */
static int same_origin(const char *u, size_t n, const struct h1_str *host)
{
	const char *a;
	size_t an, hn = host->len;

	if (!uri_authority(u, n, &a, &an) || !host->p || !hn)
		return 0;
	if (hn > 3 && !memcmp(host->p + hn - 3, ":80", 3))
		hn -= 3;
	else if (hn > 4 && !memcmp(host->p + hn - 4, ":443", 4))
		hn -= 4;
	return an == hn && !strncasecmp(a, host->p, an);
}

int stats_origin_ok(const struct h1_msg *m)
{
	const struct h1_hdr *o, *r;

	if (!m)
		return 1;
	o = h1_find_hdr(m, "origin");
	if (o)
		return same_origin(o->value.p, o->value.len, &m->host);   /* "null" fails too */
	r = h1_find_hdr(m, "referer");
	if (r)
		return same_origin(r->value.p, r->value.len, &m->host);
	return 1;
}
