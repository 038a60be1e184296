/* Value parsers of the configuration language: integers, times, sizes,
 * addresses and networks (include/tandem/cfg_value.h). Pure functions (no
 * logging), so that the parser, the server keywords, the runtime API and
 * the unit tests share them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/cfg_value.h>

int cfg_parse_int(const char *s, long long min, long long max, long long *out)
{
	const char *p = s;
	long long v = 0;
	int neg = 0;

	if (!s || !*s)
		return -1;
	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (LLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p)
		return -1;
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Times: digits then an optional unit (us, ms, s, m, h, d; default ms).
 * The result must fit a signed 32-bit millisecond count, as HAProxy's
 * timers do (2147483647 ms, about 24.8 days). */
int cfg_time_ex(const char *s, uint32_t *ms)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	const char *p = s;
	uint64_t v = 0, r;
	int big = 0;

	if (!s || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > 1000000000000000ull)
			big = 1;          /* keep scanning to validate the syntax */
		else
			v = v * 10 + (*p - '0');
	}
	if (strcmp(p, "us") == 0) {
		if (big)
			return -2;
		r = v / 1000;
		if (v && !r)
			return -3;
	} else {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(p, units[i].u) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		if (big)
			return -2;
		r = v * units[i].mul;
	}
	if (r > INT32_MAX)
		return -2;
	*ms = (uint32_t)r;
	return 0;
}

int cfg_parse_time(const char *s, uint32_t *ms)
{
	return cfg_time_ex(s, ms) == 0 ? 0 : -1;
}

/* Sizes: digits then an optional k, m or g (powers of 1024), either case. */
int cfg_parse_size(const char *s, uint64_t *bytes)
{
	const char *p = s;
	uint64_t v = 0, mul = 1;

	if (!s || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case 0: break;
	case 'k': case 'K': mul = 1ull << 10; p++; break;
	case 'm': case 'M': mul = 1ull << 20; p++; break;
	case 'g': case 'G': mul = 1ull << 30; p++; break;
	default: return -1;
	}
	if (*p)
		return -1;
	if (v && mul > UINT64_MAX / v)
		return -1;
	*bytes = v * mul;
	return 0;
}

/* Resolve <host> with getaddrinfo (HAProxy's "init-addr libc"): the first
 * IPv4 answer is preferred when the family is free, so that results do not
 * depend on the resolver's ordering between A and AAAA. */
static int resolve(const char *host, int fam, struct sockaddr_storage *ss, char *why, size_t wl)
{
	struct addrinfo hints = { .ai_family = fam, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai, *pick = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);

	if (rc != 0 || !res) {
		snprintf(why, wl, "could not resolve address '%s': %s", host,
			 rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (!pick || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
			pick = ai;
	}
	if (!pick) {
		snprintf(why, wl, "could not resolve address '%s': no IPv4 or IPv6 address", host);
		freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int cfg_env_expand(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	while (*in) {
		const char *name, *def = NULL, *val;
		size_t nlen, dlen = 0;
		char nbuf[256];
		int brace = 0;

		if (*in != '$' || !(isalpha((unsigned char)in[1]) || in[1] == '_' || in[1] == '{')) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *in++;
			continue;
		}
		in++;
		if (*in == '{') {
			brace = 1;
			in++;
		}
		name = in;
		while (isalnum((unsigned char)*in) || *in == '_')
			in++;
		nlen = (size_t)(in - name);
		if (brace) {
			if (*in == '-') {            /* ${VAR-default} */
				def = ++in;
				while (*in && *in != '}')
					in++;
				dlen = (size_t)(in - def);
			}
			if (*in != '}' || !nlen)
				return -1;
			in++;
		}
		if (nlen >= sizeof(nbuf))
			return -1;
		memcpy(nbuf, name, nlen);
		nbuf[nlen] = 0;
		val = getenv(nbuf);
		if (!val && def) {
			if (o + dlen >= outlen)
				return -1;
			memcpy(out + o, def, dlen);
			o += dlen;
			continue;
		}
		for (; val && *val; val++) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *val;
		}
	}
	out[o] = 0;
	return 0;
}

int cfg_srv_port_map(const char *s, char *out, size_t outlen, int *port_map, int *port_off, char *why, size_t wl)
{
	char exp[512];
	const char *host, *colon;
	long long v;

	*port_map = 0;
	*port_off = 0;
	if (s && strchr(s, '$')) {
		if (cfg_env_expand(s, exp, sizeof(exp)) < 0) {
			snprintf(why, wl, "address '%s': bad or too long environment variable reference", s);
			return -1;
		}
		s = exp;
	}
	if (!s)
		s = "";
	if (strlen(s) + 3 > outlen) {
		snprintf(why, wl, "address '%s' is too long", s);
		return -1;
	}
	/* the port part: after "]" for a bracketed IPv6 address, else after
	 * the last ':' (so an IPv6 address needs brackets to have no port) */
	host = strchr(s, '@') ? strchr(s, '@') + 1 : s;
	if (*host == '[') {
		const char *rb = strchr(host, ']');
		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strrchr(host, ':');
	}
	if (!*host || *host == '_' || (colon && colon[1] && colon[1] != '+' && colon[1] != '-')) {
		/* a port (or an SRV label, whose records give it): as written */
		snprintf(out, outlen, "%s", s);
		return 0;
	}
	if (!colon) {                 /* no port: the client's destination port */
		snprintf(out, outlen, "%s:0", s);
		*port_map = 1;
		return 0;
	}
	v = 0;                        /* "HOST:", or an offset */
	if (colon[1] && cfg_parse_int(colon + 2, 0, 65535, &v) < 0) {
		snprintf(why, wl, "invalid port offset '%s' in '%s'", colon + 1, s);
		return -1;
	}
	snprintf(out, outlen, "%.*s:0", (int)(colon - s), s);
	*port_map = 1;
	*port_off = colon[1] == '-' ? -(int)v : (int)v;
	return 0;
}

int cfg_parse_source(const char *s, struct conn_src *src, int flags, char *why, size_t wl)
{
	char exp[512], host[512];
	const char *h, *colon, *dash;
	long long lo = 0, hi = 0;

	if (s && strchr(s, '$')) {
		if (cfg_env_expand(s, exp, sizeof(exp)) < 0) {
			snprintf(why, wl, "address '%s': bad or too long environment variable reference", s);
			return -1;
		}
		s = exp;
	}
	if (!s || !*s) {
		snprintf(why, wl, "expects <addr>[:<port>[-<port>]] as argument");
		return -1;
	}
	h = strchr(s, '@') ? strchr(s, '@') + 1 : s;
	if (*h == '[') {
		const char *rb = strchr(h, ']');
		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strrchr(h, ':');
	}
	if (strlen(s) >= sizeof(host)) {
		snprintf(why, wl, "address '%s' is too long", s);
		return -1;
	}
	if (colon && colon[1]) {
		char pbuf[32];

		snprintf(pbuf, sizeof(pbuf), "%s", colon + 1);
		dash = strchr(pbuf, '-');
		if (dash)
			*(char *)dash = 0;
		if (cfg_parse_int(pbuf, 0, 65535, &lo) < 0 ||
		    (dash && cfg_parse_int(dash + 1, 1, 65535, &hi) < 0) || (dash && hi < lo) || (dash && !lo)) {
			snprintf(why, wl, "invalid source port or port range '%s' in '%s'", colon + 1, s);
			return -1;
		}
		if (!dash)
			hi = lo;
		snprintf(host, sizeof(host), "%.*s:0", (int)(colon - s), s);
	} else {
		snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	}
	memset(src, 0, sizeof(*src));
	if (cfg_addr_ex(host, &src->addr, &src->addrlen, flags & ~ADDR_PORT_MANDATORY, 0, why, wl) < 0)
		return -1;
	src->port_lo = (int)lo;
	src->port_hi = (int)hi;
	return 0;
}

int cfg_addr_ex(const char *s, struct sockaddr_storage *ss, socklen_t *len, int flags,
		int defport, char *why, size_t wl)
{
	static const struct { const char *pfx; int fam; } pfx[] = {
		{ "ipv4@", AF_INET }, { "ipv6@", AF_INET6 },
		{ "tcp@", AF_UNSPEC }, { "tcp4@", AF_INET }, { "tcp6@", AF_INET6 },
		{ "udp@", AF_UNSPEC }, { "udp4@", AF_INET }, { "udp6@", AF_INET6 },
	};
	char host[256];
	const char *p = s, *at, *portstr = NULL, *hend;
	int fam = AF_UNSPEC, port;
	struct sockaddr_storage tmp;

	*why = 0;
	if (s && strchr(s, '$')) {   /* environment variables, as HAProxy's str2sa_range */
		static __thread char exp[512];

		if (cfg_env_expand(s, exp, sizeof(exp)) < 0) {
			snprintf(why, wl, "address '%s': bad or too long environment variable reference", s);
			return -1;
		}
		s = p = exp;
	}
	if (!s || !*s) {
		snprintf(why, wl, "empty address");
		return -1;
	}
	if (*s == '/' || strncmp(s, "unix@", 5) == 0 || strncmp(s, "abns@", 5) == 0 ||
	    strncmp(s, "fd@", 3) == 0 || strncmp(s, "sockpair@", 9) == 0) {
		snprintf(why, wl, "address '%s': UNIX, abstract and inherited sockets are not supported", s);
		return -1;
	}
	at = strchr(s, '@');
	if (at) {
		size_t i;

		for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
			if (strncmp(s, pfx[i].pfx, strlen(pfx[i].pfx)) == 0)
				break;
		if (i == sizeof(pfx) / sizeof(pfx[0])) {
			snprintf(why, wl, "address '%s': unknown or unsupported prefix '%.*s'", s, (int)(at - s + 1), s);
			return -1;
		}
		fam = pfx[i].fam;
		p = at + 1;
	}

	/* split host and port: "[v6]:port" or the last ':' */
	if (*p == '[') {
		const char *rb = strchr(p, ']');

		if (!rb) {
			snprintf(why, wl, "address '%s': missing ']'", s);
			return -1;
		}
		if (rb[1] == ':')
			portstr = rb + 2;
		else if (rb[1]) {
			snprintf(why, wl, "address '%s': unexpected text after ']'", s);
			return -1;
		}
		hend = rb;
		p++;
	} else {
		const char *c = strrchr(p, ':');

		if (c) {
			portstr = c + 1;
			hend = c;
		} else {
			hend = p + strlen(p);
		}
	}
	if ((size_t)(hend - p) >= sizeof(host)) {
		snprintf(why, wl, "address '%s': host name too long", s);
		return -1;
	}
	memcpy(host, p, hend - p);
	host[hend - p] = 0;

	if (portstr) {
		long long v;

		if (!*portstr) {
			snprintf(why, wl, "missing port number in '%s'", s);
			return -1;
		}
		if (*portstr == '+' || *portstr == '-') {
			snprintf(why, wl, "address '%s': port offsets are not supported", s);
			return -1;
		}
		if (strchr(portstr, '-')) {
			snprintf(why, wl, "address '%s': port ranges are not supported", s);
			return -1;
		}
		if (cfg_parse_int(portstr, 0, 65535, &v) < 0) {
			snprintf(why, wl, "invalid port '%s' in '%s'", portstr, s);
			return -1;
		}
		port = (int)v;
	} else if (flags & ADDR_PORT_MANDATORY) {
		snprintf(why, wl, "missing port number in '%s'", s);
		return -1;
	} else {
		port = defport;
	}

	memset(&tmp, 0, sizeof(tmp));
	if (!*host || strcmp(host, "*") == 0) {
		if (fam == AF_INET6) {
			((struct sockaddr_in6 *)&tmp)->sin6_family = AF_INET6;
			((struct sockaddr_in6 *)&tmp)->sin6_addr = in6addr_any;
		} else {
			((struct sockaddr_in *)&tmp)->sin_family = AF_INET;
			((struct sockaddr_in *)&tmp)->sin_addr.s_addr = htonl(INADDR_ANY);
		}
	} else if (fam != AF_INET6 && inet_pton(AF_INET, host, &((struct sockaddr_in *)&tmp)->sin_addr) == 1) {
		tmp.ss_family = AF_INET;
	} else if (fam != AF_INET && inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&tmp)->sin6_addr) == 1) {
		tmp.ss_family = AF_INET6;
	} else if (strspn(host, "0123456789.") == strlen(host)) {
		/* a dotted number that is not an IPv4 address is a typo, not a name */
		snprintf(why, wl, "invalid address '%s' in '%s'", host, s);
		return -1;
	} else if (flags & ADDR_NO_RESOLVE) {
		snprintf(why, wl, "'%s' is not an IP address (host names are resolved only when the configuration is loaded)",
			 host);
		return -1;
	} else if (resolve(host, fam, &tmp, why, wl) < 0) {
		return -1;
	}

	if (tmp.ss_family == AF_INET) {
		((struct sockaddr_in *)&tmp)->sin_port = htons(port);
		*len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&tmp)->sin6_port = htons(port);
		*len = sizeof(struct sockaddr_in6);
	}
	*ss = tmp;
	return 0;
}

int cfg_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char why[256];

	return cfg_addr_ex(s, ss, len, ADDR_PORT_MANDATORY, 0, why, sizeof(why));
}

int cfg_parse_net(const char *s, int *af, uint8_t addr[16], int *bits)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	long long b;
	int fam, max;

	if (!hl || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1) {
		fam = AF_INET; max = 32;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		fam = AF_INET6; max = 128;
	} else {
		return -1;
	}
	if (!slash) {
		b = max;
	} else if (cfg_parse_int(slash + 1, 0, max, &b) < 0) {
		uint8_t m[4];
		uint32_t mask;

		/* dotted mask, IPv4 only; it must be contiguous */
		if (fam != AF_INET || inet_pton(AF_INET, slash + 1, m) != 1)
			return -1;
		mask = ((uint32_t)m[0] << 24) | (m[1] << 16) | (m[2] << 8) | m[3];
		if (mask & (~mask >> 1))
			return -1;
		for (b = 0; mask & 0x80000000u; mask <<= 1)
			b++;
	}
	/* clear host bits so that matching is a plain prefix compare */
	for (int i = 0; i < max / 8; i++) {
		int keep = (int)b - i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	*af = fam;
	*bits = (int)b;
	return 0;
}

const char *cfg_invalid_char(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_' && *p != ':')
			return p;
	return NULL;
}

/* ---- the same, with the message ---- */

int cfg_val_int(const char *kw, const char *s, long long min, long long max, long long *out,
		char *err, size_t errlen)
{
	if (!s || !*s) {
		snprintf(err, errlen, "'%s' expects an integer argument.", kw);
		return -1;
	}
	if (cfg_parse_int(s, min, max, out) < 0) {
		snprintf(err, errlen, "'%s' expects an integer between %lld and %lld, got '%s'.", kw, min, max, s);
		return -1;
	}
	return 0;
}

int cfg_val_time(const char *kw, const char *s, uint32_t *ms, char *err, size_t errlen)
{
	if (!s || !*s) {
		snprintf(err, errlen, "'%s' expects a time value (for example 500ms, 5s, 1m).", kw);
		return -1;
	}
	switch (cfg_time_ex(s, ms)) {
	case 0:
		return 0;
	case -2:
		snprintf(err, errlen, "timer overflow in argument '%s' to '%s', maximum value is 2147483647 ms (~24.8 days).",
			 s, kw);
		break;
	case -3:
		snprintf(err, errlen, "timer underflow in argument '%s' to '%s', minimum non-null value is 1 ms.", s, kw);
		break;
	default:
		snprintf(err, errlen, "invalid time value '%s' for '%s' (a number with an optional unit: us, ms, s, m, h, d).",
			 s, kw);
	}
	return -1;
}

int cfg_val_size(const char *kw, const char *s, uint64_t *out, char *err, size_t errlen)
{
	if (!s || !*s) {
		snprintf(err, errlen, "'%s' expects a size argument.", kw);
		return -1;
	}
	if (cfg_parse_size(s, out) < 0) {
		snprintf(err, errlen, "invalid size '%s' for '%s' (a number with an optional k, m or g suffix).", s, kw);
		return -1;
	}
	return 0;
}
