/* Sample expressions: compiling "fetch(args),conv(args),..." at load, and
 * evaluating it per request with casts and a per-request cache.
 *
 * Arguments are split on unquoted commas; inside an argument, single or
 * double quotes and backslashes are a second level of quoting (the
 * configuration line has already removed the first), so that a regex
 * with commas or parentheses can be written `regsub('[,()]',_,g)`. */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/compat.h>
#include <tandem/pattern.h>
#include <tandem/regex.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>

/* ------------------------------------------------------------------ */
/* keyword lookup                                                      */

static const struct smp_fetch_kw *const fetch_tables[] = { smp_fetch_l4, smp_fetch_http, smp_fetch_payload,
							   smp_fetch_stick, smp_fetch_rdp, smp_fetch_ssl };
static const struct smp_conv_kw *const conv_tables[] = { smp_conv_std, smp_conv_map, smp_conv_stick };

const struct smp_fetch_kw *smp_find_fetch(const char *name, size_t len)
{
	for (size_t t = 0; t < ARRAY_SIZE(fetch_tables); t++)
		for (const struct smp_fetch_kw *k = fetch_tables[t]; k->name; k++)
			if (strlen(k->name) == len && !memcmp(k->name, name, len))
				return k;
	return NULL;
}

const struct smp_conv_kw *smp_find_conv(const char *name, size_t len)
{
	for (size_t t = 0; t < ARRAY_SIZE(conv_tables); t++)
		for (const struct smp_conv_kw *k = conv_tables[t]; k->name; k++)
			if (strlen(k->name) == len && !memcmp(k->name, name, len))
				return k;
	return NULL;
}

void smp_for_each_kw(void (*fn)(const char *name, int is_conv, void *arg), void *arg)
{
	for (size_t t = 0; t < ARRAY_SIZE(fetch_tables); t++)
		for (const struct smp_fetch_kw *k = fetch_tables[t]; k->name; k++)
			fn(k->name, 0, arg);
	for (size_t t = 0; t < ARRAY_SIZE(conv_tables); t++)
		for (const struct smp_conv_kw *k = conv_tables[t]; k->name; k++)
			fn(k->name, 1, arg);
}

const char *smp_type_name(int type)
{
	static const char *const names[SMP_TYPES] = {
		"any", "bool", "sint", "addr", "ipv4", "ipv6", "str", "bin",
	};

	return type >= 0 && type < SMP_TYPES ? names[type] : "?";
}

/* ------------------------------------------------------------------ */
/* sources and phases                                                  */

/* The client connection's transport is there from the accept on (ssl_fc
 * is true in tcp-request connection, before the handshake); the server's
 * only once a response comes (HAProxy's L5SRV: response rules, the log). */
#define PH_COMMON (SMP_SRC_INTRN | SMP_SRC_L4 | SMP_SRC_L5CLI | SMP_SRC_TXN)
static const unsigned phase_src[SMP_PH_COUNT] = {
	[SMP_PH_TCP_CONN]   = PH_COMMON,
	[SMP_PH_TCP_CONT]   = PH_COMMON | SMP_SRC_HRQHV | SMP_SRC_HRQHP | SMP_SRC_REQ | SMP_SRC_BE,
	[SMP_PH_HTTP_REQ]   = PH_COMMON | SMP_SRC_HRQHV | SMP_SRC_HRQHP | SMP_SRC_BE,
	[SMP_PH_TCP_RES]    = PH_COMMON | SMP_SRC_HRQHP | SMP_SRC_RES | SMP_SRC_BE | SMP_SRC_L5SRV,
	[SMP_PH_HTTP_RES]   = PH_COMMON | SMP_SRC_HRQHP | SMP_SRC_HRSHV | SMP_SRC_HRSHP | SMP_SRC_BE |
			      SMP_SRC_L5SRV,
	[SMP_PH_HTTP_AFTER] = PH_COMMON | SMP_SRC_HRQHP | SMP_SRC_HRSHV | SMP_SRC_HRSHP | SMP_SRC_BE |
			      SMP_SRC_L5SRV,
	[SMP_PH_LOG]        = PH_COMMON | SMP_SRC_HRQHP | SMP_SRC_HRSHP | SMP_SRC_BE | SMP_SRC_L5SRV,
};

/* hdr() and cookie() read the request or the response, whichever the
 * rule set has: they need one of the two heads, not both. */
static unsigned either(unsigned src, int phase)
{
	const unsigned both = SMP_SRC_HRQHV | SMP_SRC_HRSHV, raw = SMP_SRC_REQ | SMP_SRC_RES;

	if ((src & both) == both && (phase_src[phase] & both))
		src &= ~both;
	if ((src & raw) == raw && (phase_src[phase] & raw))
		src &= ~raw;
	return src;
}

int smp_src_ok(unsigned src, int phase)
{
	if (phase < 0 || phase >= SMP_PH_COUNT)
		return 1;
	return (either(src, phase) & ~phase_src[phase]) == 0;
}

const char *smp_src_name(unsigned src, int phase)
{
	unsigned miss = phase >= 0 && phase < SMP_PH_COUNT ? either(src, phase) & ~phase_src[phase] : 0;

	if ((miss & SMP_SRC_HRQHV) && (miss & SMP_SRC_HRSHV)) return "HTTP request headers,HTTP response headers";
	if (miss & SMP_SRC_HRQHV) return "HTTP request headers";
	if (miss & SMP_SRC_HRQHP) return "HTTP request";
	if (miss & SMP_SRC_HRSHV) return "HTTP response headers";
	if (miss & SMP_SRC_HRSHP) return "HTTP response";
	if (miss & SMP_SRC_REQ)   return "request buffer";
	if (miss & SMP_SRC_RES)   return "response buffer";
	if (miss & SMP_SRC_BE)    return "backend";
	if (miss & SMP_SRC_L5SRV) return "server-side connection";
	if (miss & SMP_SRC_L5CLI) return "client-side connection";
	return "?";
}

unsigned smp_expr_src(const struct smp_expr *e)
{
	return e->fetch->src;
}

int smp_expr_check_phase(const struct smp_expr *e, int phase, char *err, size_t errlen)
{
	if (smp_src_ok(e->fetch->src, phase))
		return 0;
	snprintf(err, errlen, "sample fetch <%s> may not be reliably used here because it needs '%s' which is not available here",
		 e->text, smp_src_name(e->fetch->src, phase));
	return -1;
}

/* ------------------------------------------------------------------ */
/* arguments                                                           */

void smp_arg_free(struct smp_arg *a)
{
	switch (a->type) {
	case ARGT_STR:
		free(a->u.str.p);
		break;
	case ARGT_REG:
		regex_free(a->u.re);
		break;
	default:
		break;
	}
	free(a->name);
	memset(a, 0, sizeof(*a));
}

static int parse_mask4(const char *s, struct in_addr *out)
{
	char *end;
	long b = strtol(s, &end, 10);

	if (*s && !*end && end != s) {
		if (b < 0 || b > 32)
			return -1;
		out->s_addr = b ? htonl(0xffffffffu << (32 - b)) : 0;
		return 0;
	}
	if (inet_pton(AF_INET, s, out) != 1)
		return -1;
	{
		uint32_t m = ntohl(out->s_addr);

		if (m & (~m >> 1))
			return -1;   /* not contiguous */
	}
	return 0;
}

int smp_arg_defer(const struct smp_pctx *pc, struct smp_arg *a, const char *kw)
{
	struct arg_fixup *f;

	if (!pc->rcfg)
		return 0;
	if (!(f = calloc(1, sizeof(*f))) || !(f->kw = strdup(kw))) {
		free(f);
		return -1;
	}
	f->arg = a;
	f->px = pc->px;
	f->file = pc->file;
	f->line = pc->line;
	f->next = pc->rcfg->fixups;
	pc->rcfg->fixups = f;
	return 0;
}

int smp_arg_parse(const struct smp_pctx *pc, int type, const char *s, size_t len,
		  struct smp_arg *a, char *err, size_t errlen)
{
	char tmp[256];

	memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	switch (type) {
	case ARGT_SINT: {
		long long v = 0;
		size_t i = 0;
		int neg = 0;

		if (i < len && (s[i] == '-' || s[i] == '+'))
			neg = s[i++] == '-';
		if (i == len)
			goto bad_int;
		for (; i < len; i++) {
			int d = s[i] - '0';

			if (!isdigit((unsigned char)s[i]) || v > (LLONG_MAX - d) / 10)
				goto bad_int;
			v = v * 10 + d;
		}
		a->u.sint = neg ? -v : v;
		return 0;
bad_int:
		snprintf(err, errlen, "expects an integer, got '%.*s'", (int)len, s);
		return -1;
	}
	case ARGT_TIME: {
		uint32_t ms;

		if (len >= sizeof(tmp))
			goto too_long;
		memcpy(tmp, s, len);
		tmp[len] = 0;
		if (cfg_parse_time(tmp, &ms) < 0) {
			snprintf(err, errlen, "expects a time, got '%s'", tmp);
			return -1;
		}
		a->u.sint = ms;
		return 0;
	}
	case ARGT_STR:
		if (!(a->u.str.p = malloc(len + 1)))
			goto oom;
		memcpy(a->u.str.p, s, len);
		a->u.str.p[len] = 0;
		a->u.str.len = len;
		return 0;
	case ARGT_IPV4:
	case ARGT_MSK4:
	case ARGT_IPV6:
	case ARGT_MSK6:
		if (len >= sizeof(tmp))
			goto too_long;
		memcpy(tmp, s, len);
		tmp[len] = 0;
		if (type == ARGT_IPV4 && inet_pton(AF_INET, tmp, &a->u.ipv4) == 1)
			return 0;
		if (type == ARGT_IPV6 && inet_pton(AF_INET6, tmp, &a->u.ipv6) == 1)
			return 0;
		if (type == ARGT_MSK4 && parse_mask4(tmp, &a->u.ipv4) == 0)
			return 0;
		if (type == ARGT_MSK6) {
			char *end;
			long b = strtol(tmp, &end, 10);

			if (*tmp && !*end && b >= 0 && b <= 128) {
				memset(&a->u.ipv6, 0, sizeof(a->u.ipv6));
				for (int i = 0; i < b; i++)
					a->u.ipv6.s6_addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
				return 0;
			}
		}
		snprintf(err, errlen, "invalid %s '%s'",
			 type == ARGT_IPV4 ? "IPv4 address" : type == ARGT_IPV6 ? "IPv6 address" :
			 type == ARGT_MSK4 ? "IPv4 mask" : "IPv6 mask", tmp);
		return -1;
	case ARGT_TAB:
		/* empty: the proxy's own table, named after it */
		if (!len && pc->px) {
			s = pc->px->id;
			len = strlen(s);
		}
		/* fallthrough */
	case ARGT_BE:
	case ARGT_SRV:
	case ARGT_USR:
		if (!len) {
			snprintf(err, errlen, "expects a %s name", type == ARGT_BE ? "backend" :
				 type == ARGT_SRV ? "server" : type == ARGT_TAB ? "table" : "userlist");
			return -1;
		}
		if (!(a->name = strndup(s, len)))
			goto oom;
		return 0;
	case ARGT_REG:
		if (!(a->u.re = regex_compile(s, len, 0, err, errlen)))
			return -1;
		return 0;
	case ARGT_VAR:
		if ((a->u.var = vars_register(pc->rcfg, s, len, err, errlen)) < 0)
			return -1;
		return 0;
	default:
		snprintf(err, errlen, "unexpected argument");
		return -1;
	}
too_long:
	snprintf(err, errlen, "argument too long");
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Find the ')' closing the argument list that starts after <p>, skipping
 * quoted parts and escaped characters. Returns its position or NULL. */
static const char *args_end(const char *p, const char *end)
{
	char q = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
			continue;
		}
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '\'' || *p == '"') {
			q = *p;
		} else if (*p == ')') {
			return p;
		}
	}
	return NULL;
}

/* Unquote one argument [p, e) into a malloc'd buffer. */
static char *unquote(const char *p, const char *e, size_t *olen)
{
	char *o = malloc((size_t)(e - p) + 1), *w = o;
	char q = 0;

	if (!o)
		return NULL;
	for (; p < e; p++) {
		if (*p == '\\' && p + 1 < e && q != '\'') {
			*w++ = *++p;
			continue;
		}
		if (q) {
			if (*p == q) {
				q = 0;
				continue;
			}
		} else if (*p == '\'' || *p == '"') {
			q = *p;
			continue;
		}
		*w++ = *p;
	}
	*w = 0;
	*olen = (size_t)(w - o);
	return o;
}

/* Parse "(a,b,...)" at [p, end) into <args> for keyword <kw> expecting
 * <types>. *pp moves past the ')'. 0 or -1 (err filled). */
static int parse_args(const struct smp_pctx *pc, const char *kind, const char *kw, const uint8_t *types,
		      int min, const char **pp, const char *end, struct smp_arg *args, char *err, size_t errlen)
{
	const char *p = *pp, *close;
	int max = 0, n = 0;

	while (max < SMP_MAX_ARGS && types[max] != ARGT_STOP)
		max++;
	if (p < end && *p == '(') {
		if (!(close = args_end(p + 1, end))) {
			snprintf(err, errlen, "missing closing ')' after arguments to %s '%s'", kind, kw);
			return -1;
		}
		p++;
		if (close > p || max) {
			while (p <= close) {
				const char *s = p, *e;
				char q = 0;
				char *val;
				size_t vlen;
				char why[256];

				for (e = s; e < close; e++) {
					if (*e == '\\' && e + 1 < close) {
						e++;
						continue;
					}
					if (q) {
						if (*e == q)
							q = 0;
					} else if (*e == '\'' || *e == '"') {
						q = *e;
					} else if (*e == ',') {
						break;
					}
				}
				if (n >= max) {
					snprintf(err, errlen, "%s '%s' : end of arguments expected at position %d, but got '%.*s'",
						 kind, kw, n + 1, (int)(close - s), s);
					return -1;
				}
				if (!(val = unquote(s, e, &vlen))) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
				if (!vlen && types[n] != ARGT_STR && n >= min) {
					args[n].type = ARGT_STOP;   /* empty optional argument: not given */
				} else if (smp_arg_parse(pc, types[n], val, vlen, &args[n], why, sizeof(why)) < 0) {
					snprintf(err, errlen, "%s '%s' : invalid arg %d: %s", kind, kw, n + 1, why);
					free(val);
					return -1;
				}
				free(val);
				n++;
				p = e + 1;
			}
		}
		*pp = close + 1;
	}
	/* count the mandatory arguments actually given */
	for (int i = 0; i < min; i++)
		if (i >= n || args[i].type == ARGT_STOP) {
			snprintf(err, errlen, "%s '%s' : missing arguments (got %d/%d)", kind, kw, i, min);
			return -1;
		}
	return 0;
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

void smp_expr_free(struct smp_expr *e)
{
	if (!e)
		return;
	for (int i = 0; i < SMP_MAX_ARGS; i++)
		smp_arg_free(&e->args[i]);
	for (int c = 0; c < e->nconv; c++)
		for (int i = 0; i < SMP_MAX_ARGS; i++)
			smp_arg_free(&e->conv[c].args[i]);
	free(e->conv);
	free(e->text);
	free(e);
}

/* A cacheable expression gets the slot of any identical one. */
static int cache_slot(struct rules_cfg *rc, const char *text)
{
	char **nk;

	if (!rc)
		return -1;
	for (int i = 0; i < rc->ncache; i++)
		if (!strcmp(rc->cache_key[i], text))
			return i;
	if (!(nk = realloc(rc->cache_key, (rc->ncache + 1) * sizeof(*nk))))
		return -1;
	rc->cache_key = nk;
	if (!(nk[rc->ncache] = strdup(text)))
		return -1;
	return rc->ncache++;
}

struct smp_expr *smp_expr_parse(const char *text, const char **endp, const struct smp_pctx *pc,
				char *err, size_t errlen)
{
	const char *p = text, *end = text + strlen(text), *nm;
	struct smp_expr *e = calloc(1, sizeof(*e));
	int type, vol;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cache_slot = -1;
	for (nm = p; p < end && name_char(*p); p++)
		;
	if (p == nm) {
		snprintf(err, errlen, "missing fetch method");
		goto fail;
	}
	if (!(e->fetch = smp_find_fetch(nm, (size_t)(p - nm)))) {
		snprintf(err, errlen, "unknown fetch method '%.*s'", (int)(p - nm), nm);
		goto fail;
	}
	if (parse_args(pc, "fetch method", e->fetch->name, e->fetch->args, e->fetch->min_args,
		       &p, end, e->args, err, errlen) < 0)
		goto fail;
	if (e->fetch->check && e->fetch->check(pc, e->args, err, errlen) < 0)
		goto fail;
	/* nbsrv, be_conn, queue... without a backend name read the proxy the
	 * rule is written in: in a frontend HAProxy refuses it */
	if (e->fetch->args[0] == ARGT_BE && e->args[0].type != ARGT_BE && pc && pc->px &&
	    (pc->px->cap & (PR_CAP_FE | PR_CAP_BE | PR_CAP_DEF)) == PR_CAP_FE) {
		snprintf(err, errlen, "proxy '%s', referenced in arg 1 of sample fetch keyword '%s', has not backend capability.",
			 pc->px->id ? pc->px->id : "", e->fetch->name);
		goto fail;
	}
	type = e->fetch->out_type;
	vol = !!(e->fetch->flags & SMP_KW_VOLATILE);

	while (p < end && *p == ',') {
		const struct smp_conv_kw *ck;
		struct smp_conv *nc;
		char why[512];

		for (nm = ++p; p < end && name_char(*p); p++)
			;
		if (p == nm) {
			snprintf(err, errlen, "missing converter name after ','");
			goto fail;
		}
		if (!(ck = smp_find_conv(nm, (size_t)(p - nm)))) {
			snprintf(err, errlen, "unknown converter '%.*s'", (int)(p - nm), nm);
			goto fail;
		}
		if (!(nc = realloc(e->conv, (e->nconv + 1) * sizeof(*nc)))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		e->conv = nc;
		memset(&nc[e->nconv], 0, sizeof(*nc));
		nc[e->nconv].kw = ck;
		e->nconv++;
		if (ck->in_type != SMP_T_ANY && !smp_castable(type, ck->in_type)) {
			snprintf(err, errlen, "converter '%s' cannot be applied to a %s sample", ck->name,
				 smp_type_name(type));
			goto fail;
		}
		if (parse_args(pc, "converter", ck->name, ck->args, ck->min_args, &p, end,
			       nc[e->nconv - 1].args, why, sizeof(why)) < 0 ||
		    (ck->check && ck->check(pc, nc[e->nconv - 1].args, why, sizeof(why)) < 0)) {
			snprintf(err, errlen, "%s", why);
			goto fail;
		}
		if (ck->out_type != SMP_T_ANY)
			type = ck->out_type;
		vol |= !!(ck->flags & SMP_KW_VOLATILE);
		for (int i = 0; i < SMP_MAX_ARGS; i++)
			vol |= nc[e->nconv - 1].args[i].type == ARGT_VAR;   /* reads a variable */
	}
	if (endp)
		*endp = p;
	else if (p < end) {
		snprintf(err, errlen, "unexpected '%s' after the expression", p);
		goto fail;
	}
	e->out_type = (uint8_t)type;
	if (!(e->text = strndup(text, (size_t)(p - text)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* names defined later in the file are resolved after parsing */
	for (int c = -1; c < e->nconv; c++) {
		struct smp_arg *a = c < 0 ? e->args : e->conv[c].args;
		const char *kw = c < 0 ? e->fetch->name : e->conv[c].kw->name;

		for (int i = 0; i < SMP_MAX_ARGS; i++)
			if ((a[i].type == ARGT_BE || a[i].type == ARGT_SRV || a[i].type == ARGT_USR ||
			     a[i].type == ARGT_TAB) && a[i].name && smp_arg_defer(pc, &a[i], kw) < 0) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
	}
	if (!vol)
		e->cache_slot = cache_slot(pc->rcfg, e->text);
	return e;
fail:
	smp_expr_free(e);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* casts                                                               */

int smp_castable(int from, int to)
{
	if (from == to || from == SMP_T_ANY || to == SMP_T_ANY)
		return 1;
	switch (to) {
	case SMP_T_BOOL: return from == SMP_T_SINT || from == SMP_T_STR;
	case SMP_T_SINT: return from == SMP_T_BOOL || from == SMP_T_STR || from == SMP_T_IPV4 || from == SMP_T_BIN;
	case SMP_T_ADDR: return from == SMP_T_IPV4 || from == SMP_T_IPV6 || from == SMP_T_STR || from == SMP_T_SINT;
	case SMP_T_IPV4: return from == SMP_T_SINT || from == SMP_T_STR || from == SMP_T_IPV6 || from == SMP_T_ADDR;
	case SMP_T_IPV6: return from == SMP_T_IPV4 || from == SMP_T_STR || from == SMP_T_ADDR;
	case SMP_T_STR:  return 1;
	case SMP_T_BIN:  return 1;
	default:         return 0;
	}
}

void *smp_alloc(struct smp_ctx *ctx, size_t n)
{
	struct smp_arena *a = ctx ? ctx->arena : NULL;
	void *p;

	if (!a)
		return NULL;
	if (n > a->size - a->used) {
		a->full = 1;
		return NULL;
	}
	p = a->area + a->used;
	a->used += (n + 7) & ~(size_t)7;
	if (a->used > a->size)
		a->used = a->size;
	return p;
}

/* Epochs come from one counter per thread: contexts of the same thread
 * may share a cache (the stream's per-thread one), and an epoch one of
 * them drew is never the current epoch of another. */
static __thread uint32_t thr_epoch;

void smp_ctx_invalidate(struct smp_ctx *ctx)
{
	if (++thr_epoch == 0) {
		if (ctx->cache)
			memset(ctx->cache, 0, (size_t)ctx->ncache * sizeof(*ctx->cache));
		thr_epoch = 1;
	}
	ctx->epoch = thr_epoch;
}

const struct sockaddr_storage *smp_ctx_dst(struct smp_ctx *ctx)
{
	if (ctx->dst_lazy) {
		socklen_t sl = sizeof(ctx->dst_buf);

		ctx->dst_lazy = 0;
		if (getsockname(ctx->dst_fd, (struct sockaddr *)&ctx->dst_buf, &sl) == 0)
			ctx->dst = &ctx->dst_buf;
	}
	return ctx->dst;
}

int smp_make_rw(struct sample *smp, size_t extra, struct smp_ctx *ctx)
{
	char *p;

	if (!(smp->flags & SMP_F_CONST) && !extra)
		return 1;
	if (!(p = smp_alloc(ctx, smp->u.str.len + extra + 1)))
		return 0;
	memcpy(p, smp->u.str.p, smp->u.str.len);
	smp->u.str.p = p;
	smp->flags &= (uint8_t)~SMP_F_CONST;
	return 1;
}

size_t smp_ip_str(const struct sample *smp, char *buf, size_t len)
{
	if (smp->type == SMP_T_IPV4 && len >= 16) {
		/* by hand: glibc's inet_ntop goes through sprintf, and %[src]
		 * in a header value is printed for every request */
		const uint8_t *a = (const uint8_t *)&smp->u.ipv4;
		char *o = buf;

		for (int i = 0; i < 4; i++) {
			unsigned v = a[i];

			if (i)
				*o++ = '.';
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
		}
		*o = 0;
		return (size_t)(o - buf);
	}
	if (!inet_ntop(smp->type == SMP_T_IPV4 ? AF_INET : AF_INET6,
		       smp->type == SMP_T_IPV4 ? (const void *)&smp->u.ipv4 : (const void *)&smp->u.ipv6, buf, (socklen_t)len))
		return 0;
	return strlen(buf);
}

static int str_to_int(const char *p, size_t len, long long *out)
{
	size_t i = 0;
	long long v = 0;
	int neg = 0;

	if (i < len && (p[i] == '-' || p[i] == '+'))
		neg = p[i++] == '-';
	if (i == len || !isdigit((unsigned char)p[i]))
		return 0;
	for (; i < len && isdigit((unsigned char)p[i]); i++) {
		if (v > (LLONG_MAX - 9) / 10)
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	*out = neg ? -v : v;
	return 1;
}

static int str_to_ip(const char *p, size_t len, struct sample *smp, int want)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, p, len);
	tmp[len] = 0;
	if (want != SMP_T_IPV6 && inet_pton(AF_INET, tmp, &smp->u.ipv4) == 1) {
		smp->type = SMP_T_IPV4;
		return 1;
	}
	if (want != SMP_T_IPV4 && inet_pton(AF_INET6, tmp, &smp->u.ipv6) == 1) {
		smp->type = SMP_T_IPV6;
		return 1;
	}
	return 0;
}

int smp_cast(struct sample *smp, int type, struct smp_ctx *ctx)
{
	int from = smp->type;
	char *buf;
	int n;

	if (from == type || type == SMP_T_ANY)
		return 1;
	if (type == SMP_T_ADDR && (from == SMP_T_IPV4 || from == SMP_T_IPV6))
		return 1;
	switch (type) {
	case SMP_T_BOOL:
		if (from == SMP_T_SINT) {
			smp->u.sint = !!smp->u.sint;
		} else if (from == SMP_T_STR) {
			long long v;

			if (!str_to_int(smp->u.str.p, smp->u.str.len, &v))
				return 0;
			smp->u.sint = !!v;
		} else {
			return 0;
		}
		smp->type = SMP_T_BOOL;
		smp->flags &= (uint8_t)~SMP_F_CONST;
		return 1;
	case SMP_T_SINT:
		if (from == SMP_T_BOOL) {
			/* same representation */
		} else if (from == SMP_T_STR || from == SMP_T_BIN) {
			long long v;

			if (!str_to_int(smp->u.str.p, smp->u.str.len, &v))
				return 0;
			smp->u.sint = v;
		} else if (from == SMP_T_IPV4) {
			smp->u.sint = ntohl(smp->u.ipv4.s_addr);
		} else {
			return 0;
		}
		smp->type = SMP_T_SINT;
		smp->flags &= (uint8_t)~SMP_F_CONST;
		return 1;
	case SMP_T_ADDR:
	case SMP_T_IPV4:
	case SMP_T_IPV6:
		if (from == SMP_T_STR || from == SMP_T_BIN) {
			if (!str_to_ip(smp->u.str.p, smp->u.str.len, smp, type))
				return 0;
		} else if (from == SMP_T_SINT && type != SMP_T_IPV6) {
			smp->u.ipv4.s_addr = htonl((uint32_t)smp->u.sint);
			smp->type = SMP_T_IPV4;
		} else if (from == SMP_T_IPV4 && type == SMP_T_IPV6) {
			struct in_addr v4 = smp->u.ipv4;

			memset(&smp->u.ipv6, 0, sizeof(smp->u.ipv6));
			smp->u.ipv6.s6_addr[10] = smp->u.ipv6.s6_addr[11] = 0xff;
			memcpy(&smp->u.ipv6.s6_addr[12], &v4, 4);
			smp->type = SMP_T_IPV6;
		} else if (from == SMP_T_IPV6 && type == SMP_T_IPV4) {
			static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
			struct in_addr v4;

			if (memcmp(smp->u.ipv6.s6_addr, mapped, 12))
				return 0;
			memcpy(&v4, &smp->u.ipv6.s6_addr[12], 4);
			smp->u.ipv4 = v4;
			smp->type = SMP_T_IPV4;
		} else {
			return 0;
		}
		smp->flags &= (uint8_t)~SMP_F_CONST;
		return 1;
	case SMP_T_STR:
	case SMP_T_BIN:
		if (from == SMP_T_STR || from == SMP_T_BIN) {
			smp->type = (uint8_t)type;
			return 1;
		}
		if (type == SMP_T_BIN && (from == SMP_T_IPV4 || from == SMP_T_IPV6)) {
			size_t l = from == SMP_T_IPV4 ? 4 : 16;

			if (!(buf = smp_alloc(ctx, l)))
				return 0;
			memcpy(buf, from == SMP_T_IPV4 ? (void *)&smp->u.ipv4 : (void *)&smp->u.ipv6, l);
			smp_set_str(smp, buf, l, 0);
			smp->type = SMP_T_BIN;
			return 1;
		}
		if (type == SMP_T_BIN && (from == SMP_T_SINT || from == SMP_T_BOOL)) {
			/* HAProxy's int-to-binary cast: 8 bytes, big endian */
			unsigned long long v = (unsigned long long)smp->u.sint;

			if (!(buf = smp_alloc(ctx, 8)))
				return 0;
			for (int i = 7; i >= 0; i--, v >>= 8)
				buf[i] = (char)(v & 0xff);
			smp_set_str(smp, buf, 8, 0);
			smp->type = SMP_T_BIN;
			return 1;
		}
		if (!(buf = smp_alloc(ctx, INET6_ADDRSTRLEN + 1)))
			return 0;
		if (from == SMP_T_BOOL || from == SMP_T_SINT)
			n = snprintf(buf, 24, "%lld", smp->u.sint);
		else if (from == SMP_T_IPV4 || from == SMP_T_IPV6)
			n = (int)smp_ip_str(smp, buf, INET6_ADDRSTRLEN + 1);
		else
			return 0;
		smp_set_str(smp, buf, (size_t)n, 0);
		smp->type = (uint8_t)type;
		return 1;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* evaluation                                                          */

static int run_convs(const struct smp_expr *e, struct smp_ctx *ctx, struct sample *smp)
{
	for (int i = 0; i < e->nconv; i++) {
		const struct smp_conv *c = &e->conv[i];

		if (c->kw->in_type != SMP_T_ANY && !smp_cast(smp, c->kw->in_type, ctx))
			return 0;
		if (!c->kw->fn(c->args, smp, ctx))
			return 0;
	}
	return 1;
}

int smp_eval_iter(const struct smp_expr *e, struct smp_ctx *ctx, struct smp_iter *it, struct sample *out)
{
	for (;;) {
		memset(out, 0, sizeof(*out));
		if (!e->fetch->fn(e->args, out, ctx, it))
			return 0;
		if (run_convs(e, ctx, out))
			return 1;
		/* a converter failed on this value: try the next one */
		if (!it || !(out->flags & SMP_F_NOT_LAST))
			return 0;
	}
}

int smp_eval(const struct smp_expr *e, struct smp_ctx *ctx, struct sample *out)
{
	struct smp_cache_ent *ce = NULL;
	int ok;

	if (e->cache_slot >= 0 && e->cache_slot < ctx->ncache && ctx->cache) {
		ce = &ctx->cache[e->cache_slot];
		if (ce->epoch == ctx->epoch && ctx->epoch) {
			*out = ce->smp;
			return ce->ok;
		}
	}
	memset(out, 0, sizeof(*out));
	ok = e->fetch->fn(e->args, out, ctx, NULL) && run_convs(e, ctx, out);
	out->flags &= (uint8_t)~SMP_F_NOT_LAST;
	if (ce && ctx->epoch && !(out->flags & (SMP_F_MAY_CHANGE | SMP_F_VOL))) {
		ce->epoch = ctx->epoch;
		ce->ok = (uint8_t)ok;
		ce->smp = *out;
		/* a later user must not write into a shared result */
		if (out->type == SMP_T_STR || out->type == SMP_T_BIN)
			ce->smp.flags |= SMP_F_CONST;
		out->flags = ce->smp.flags;
	}
	return ok;
}

int smp_eval_str(const struct smp_expr *e, struct smp_ctx *ctx, struct sample *out)
{
	if (!smp_eval(e, ctx, out))
		return 0;
	if (out->type == SMP_T_BIN) {
		out->type = SMP_T_STR;
		return 1;
	}
	return smp_cast(out, SMP_T_STR, ctx);
}
