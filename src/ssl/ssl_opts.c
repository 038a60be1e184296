/* TLS values as the configuration writes them: protocol versions, ALPN
 * lists, `sni` expressions, and the option sets shared by bind lines,
 * crt-list lines and the ssl-default-* globals. Nothing here touches an
 * OpenSSL object, so the keyword handlers (src/cfg/kw_ssl.c) can use it. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ssl_int.h"

static const char *const ver_names[] = {
	[TLSV_SSL3] = "SSLv3", [TLSV_10] = "TLSv1.0", [TLSV_11] = "TLSv1.1",
	[TLSV_12] = "TLSv1.2", [TLSV_13] = "TLSv1.3",
};

int ssl_ver_parse(const char *s)
{
	for (int v = TLSV_MIN; v <= TLSV_MAX; v++)
		if (!strcmp(s, ver_names[v]))
			return v;
	return -1;
}

const char *ssl_ver_name(int v)
{
	return v >= TLSV_MIN && v <= TLSV_MAX ? ver_names[v] : "?";
}

int ssl_alpn_check(const char *list, char *err, size_t errlen)
{
	const char *p = list;

	if (!*list) {
		snprintf(err, errlen, "'alpn' expects a comma-separated list of protocols");
		return -1;
	}
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (!l || l > 255) {
			snprintf(err, errlen, "'alpn' : protocol names must be 1 to 255 bytes long (in '%s')", list);
			return -1;
		}
		p += l + (e ? 1 : 0);
		if (e && !*p) {
			snprintf(err, errlen, "'alpn' : empty protocol name at the end of '%s'", list);
			return -1;
		}
	}
	return 0;
}

char *ssl_alpn_http1(const char *list, char *dropped, size_t dlen)
{
	char *out = malloc(strlen(list) + 1), *o = out;
	const char *p = list;
	size_t dl = 0;

	if (!out)
		return NULL;
	if (dlen)
		*dropped = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if ((l == 8 && !memcmp(p, "http/1.1", 8)) || (l == 8 && !memcmp(p, "http/1.0", 8))) {
			if (o != out)
				*o++ = ',';
			memcpy(o, p, l);
			o += l;
		} else if (dlen && dl + l + 2 < dlen) {
			if (dl)
				dropped[dl++] = ',';
			memcpy(dropped + dl, p, l);
			dl += l;
			dropped[dl] = 0;
		}
		p += l + (e ? 1 : 0);
	}
	*o = 0;
	return out;
}

/* ---- sni expressions ------------------------------------------------------ */

/* Split "name(args)" at <p>: the name's length, the arguments (between the
 * parentheses, unparsed) and what follows. -1 when the parentheses do not
 * close. */
static int split_call(const char *p, size_t *nlen, const char **args, size_t *alen, const char **rest)
{
	const char *q = p;

	while (*q && *q != '(' && *q != ',')
		q++;
	*nlen = (size_t)(q - p);
	*args = NULL;
	*alen = 0;
	if (*q == '(') {
		const char *c = strchr(q, ')');

		if (!c)
			return -1;
		*args = q + 1;
		*alen = (size_t)(c - q - 1);
		q = c + 1;
	}
	*rest = q;
	return 0;
}

int sni_expr_parse(const char *expr, struct sni_expr *x, char *err, size_t errlen)
{
	const char *args, *rest;
	size_t nlen, alen;

	memset(x, 0, sizeof(*x));
	if (split_call(expr, &nlen, &args, &alen, &rest) < 0) {
		snprintf(err, errlen, "missing closing ')' in sni expression '%s'", expr);
		return -1;
	}
#define IS(n) (nlen == strlen(n) && !memcmp(expr, n, nlen))
	if (IS("req.hdr") || IS("hdr") || IS("req.fhdr")) {
		const char *comma = args ? memchr(args, ',', alen) : NULL;
		size_t l = comma ? (size_t)(comma - args) : alen;

		if (!args || !l) {
			snprintf(err, errlen, "fetch method '%.*s' : missing header name", (int)nlen, expr);
			return -1;
		}
		x->fetch = SNIF_HDR;
		x->occ = -1;
		x->full = IS("req.fhdr");
		if (comma) {
			char *end;
			long v = strtol(comma + 1, &end, 10);

			if (end != args + alen || end == comma + 1 || !v) {
				snprintf(err, errlen, "fetch method '%.*s' : invalid occurrence '%.*s'",
					 (int)nlen, expr, (int)(alen - l - 1), comma + 1);
				return -1;
			}
			x->occ = (int)v;
		}
		x->arg = strndup(args, l);
	} else if (IS("str")) {
		if (!args) {
			snprintf(err, errlen, "fetch method 'str' : expects a string argument");
			return -1;
		}
		x->fetch = SNIF_STR;
		x->arg = strndup(args, alen);
	} else if (IS("ssl_fc_sni")) {
		if (args) {
			snprintf(err, errlen, "fetch method 'ssl_fc_sni' takes no argument");
			return -1;
		}
		x->fetch = SNIF_FC_SNI;
	} else {
		snprintf(err, errlen, "error detected while parsing sni expression : unknown fetch method '%.*s'"
			 " (tandem supports req.hdr(), hdr(), req.fhdr(), str() and ssl_fc_sni until the rules engine lands)",
			 (int)nlen, expr);
		return -1;
	}
#undef IS
	if ((x->fetch == SNIF_HDR || x->fetch == SNIF_STR) && !x->arg) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (*rest == ',') {
		const char *c = rest + 1;

		if (split_call(c, &nlen, &args, &alen, &rest) < 0 || x->nconv >= 4) {
			snprintf(err, errlen, "invalid converter in sni expression '%s'", expr);
			free(x->arg);
			x->arg = NULL;
			return -1;
		}
		if (nlen == 5 && !memcmp(c, "lower", 5) && !args) {
			x->conv[x->nconv++].type = SNIC_LOWER;
		} else if (nlen == 5 && !memcmp(c, "upper", 5) && !args) {
			x->conv[x->nconv++].type = SNIC_UPPER;
		} else if (nlen == 5 && !memcmp(c, "field", 5) && args) {
			char *end;
			long n = strtol(args, &end, 10);

			if (end == args || *end != ',' || n < 1 || end + 2 != args + alen) {
				snprintf(err, errlen, "converter 'field' expects (<index>,<delimiter>) in '%s'", expr);
				free(x->arg);
				x->arg = NULL;
				return -1;
			}
			x->conv[x->nconv].type = SNIC_FIELD;
			x->conv[x->nconv].n = (int)n;
			x->conv[x->nconv].delim = end[1];
			x->nconv++;
		} else {
			snprintf(err, errlen, "error detected while parsing sni expression : unknown converter '%.*s'"
				 " (tandem supports lower, upper and field(<index>,<delimiter>))", (int)nlen, c);
			free(x->arg);
			x->arg = NULL;
			return -1;
		}
	}
	if (*rest) {
		snprintf(err, errlen, "error detected while parsing sni expression : unexpected '%s'", rest);
		free(x->arg);
		x->arg = NULL;
		return -1;
	}
	return 0;
}

int ssl_sni_expr_check(const char *expr, char *err, size_t errlen)
{
	struct sni_expr x;

	if (sni_expr_parse(expr, &x, err, errlen) < 0)
		return -1;
	free(x.arg);
	return 0;
}

/* ---- option words ------------------------------------------------------------ */

static int set_str(char **dst, const char *v, char *err, size_t errlen)
{
	char *n = strdup(v);

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = n;
	return 0;
}

int ssl_opt_word(struct ssl_opts *o, int *force, int kind, char *const *args, int i, int n,
		 char *err, size_t errlen)
{
	const char *w = args[i], *v = i + 1 < n ? args[i + 1] : NULL;
	int bind = kind == SSLP_BIND, list = kind == SSLP_CRTLIST, defs = kind == SSLP_DEFBIND || kind == SSLP_DEFSRV;
	struct { const char *kw; size_t off; uint32_t bit; int where; } strs[] = {
		{ "ciphers",        offsetof(struct ssl_opts, ciphers),        SSLS_CIPHERS,   3 },
		{ "ciphersuites",   offsetof(struct ssl_opts, ciphersuites),   SSLS_SUITES,    3 },
		{ "curves",         offsetof(struct ssl_opts, curves),         SSLS_CURVES,    3 },
		{ "ecdhe",          offsetof(struct ssl_opts, ecdhe),          SSLS_ECDHE,     3 },
		{ "ca-file",        offsetof(struct ssl_opts, ca_file),        SSLS_CA,        3 },
		{ "ca-verify-file", offsetof(struct ssl_opts, ca_verify_file), SSLS_CA_VERIFY, 3 },
		{ "crl-file",       offsetof(struct ssl_opts, crl_file),       SSLS_CRL,       3 },
		{ "alpn",           offsetof(struct ssl_opts, alpn),           SSLS_ALPN,      3 },
	};
	int ver;

	/* value-taking words of bind and crt-list lines */
	for (size_t k = 0; (bind || list) && k < sizeof(strs) / sizeof(strs[0]); k++) {
		if (strcmp(w, strs[k].kw))
			continue;
		if (!v || !*v) {
			snprintf(err, errlen, "'%s' : missing %s argument", w, !strcmp(w, "alpn") ? "the protocol list as" :
				 !strcmp(w, "curves") || !strcmp(w, "ecdhe") ? "curve" : !strncmp(w, "cipher", 6) ? "cipher suite" : "file");
			return -1;
		}
		if (!strcmp(w, "alpn") && ssl_alpn_check(v, err, errlen) < 0)
			return -1;
		if (set_str((char **)((char *)o + strs[k].off), v, err, errlen) < 0)
			return -1;
		o->set |= strs[k].bit;
		return 2;
	}
	if ((bind || list) && !strcmp(w, "verify")) {
		if (!v || (strcmp(v, "none") && strcmp(v, "optional") && strcmp(v, "required"))) {
			snprintf(err, errlen, "'verify' : missing verify method");
			if (v && *v)
				snprintf(err, errlen, "'verify' : unknown verify method '%s', only 'none', 'optional', and 'required' are supported", v);
			return -1;
		}
		o->verify = !strcmp(v, "none") ? TLS_VFY_NONE : !strcmp(v, "optional") ? TLS_VFY_OPTIONAL : TLS_VFY_REQUIRED;
		o->set |= SSLS_VERIFY;
		return 2;
	}
	if ((bind || list || defs) && (!strcmp(w, "ssl-min-ver") || !strcmp(w, "ssl-max-ver"))) {
		if (!v || !*v) {
			snprintf(err, errlen, "'%s' : missing the ssl/tls version", w);
			return -1;
		}
		if ((ver = ssl_ver_parse(v)) < 0) {
			snprintf(err, errlen, "'%s' : unknown ssl/tls version", v);
			return -1;
		}
		if (w[5] == 'i') {
			o->min_ver = ver;
			o->set |= SSLS_MIN;
		} else {
			o->max_ver = ver;
			o->set |= SSLS_MAX;
		}
		return 2;
	}
	if ((bind || list) && !strcmp(w, "no-ca-names")) {
		o->flags |= SSLO_NO_CA_NAMES;
		return 1;
	}
	if (bind || defs) {
		if (!strncmp(w, "no-", 3) && (ver = ssl_ver_parse(!strcmp(w + 3, "sslv3") ? "SSLv3" :
			!strcmp(w + 3, "tlsv10") ? "TLSv1.0" : !strcmp(w + 3, "tlsv11") ? "TLSv1.1" :
			!strcmp(w + 3, "tlsv12") ? "TLSv1.2" : !strcmp(w + 3, "tlsv13") ? "TLSv1.3" : "")) > 0) {
			o->flags |= SSLO_NO_VER(ver);
			return 1;
		}
		if (!strncmp(w, "force-", 6) && (ver = ssl_ver_parse(!strcmp(w + 6, "sslv3") ? "SSLv3" :
			!strcmp(w + 6, "tlsv10") ? "TLSv1.0" : !strcmp(w + 6, "tlsv11") ? "TLSv1.1" :
			!strcmp(w + 6, "tlsv12") ? "TLSv1.2" : !strcmp(w + 6, "tlsv13") ? "TLSv1.3" : "")) > 0) {
			*force = ver;
			return 1;
		}
		if (!strcmp(w, "no-tls-tickets")) {
			o->flags |= SSLO_NO_TICKETS;
			return 1;
		}
	}
	if ((bind || kind == SSLP_DEFBIND) && !strcmp(w, "prefer-client-ciphers")) {
		o->flags |= SSLO_PREFER_CLI;
		return 1;
	}
	if (bind && !strcmp(w, "strict-sni")) {
		o->flags |= SSLO_STRICT_SNI;
		return 1;
	}
	if ((bind || defs) && !strcmp(w, "ktls")) {
		if (!v || (strcmp(v, "on") && strcmp(v, "off"))) {
			snprintf(err, errlen, "'ktls' expects 'on' or 'off'");
			return -1;
		}
		o->flags &= ~(SSLO_KTLS | SSLO_NO_KTLS);
		o->flags |= !strcmp(v, "on") ? SSLO_KTLS : SSLO_NO_KTLS;
		return 2;
	}
	return 0;
}

const char *ssl_opt_refused(const char *w)
{
	static const struct { const char *w, *why; } r[] = {
		{ "allow-0rtt", "TLS 1.3 early data (0-RTT) is not supported by tandem: it can be replayed, and tandem "
				"has no 'wait-for-handshake' to protect requests that are not idempotent; remove it" },
		{ "npn", "NPN is obsolete and not supported by tandem: use 'alpn'" },
		{ "ca-ignore-err", "is not supported by tandem yet (a certificate error always fails the handshake)" },
		{ "crt-ignore-err", "is not supported by tandem yet (a certificate error always fails the handshake)" },
		{ "generate-certificates", "is not supported by tandem" },
		{ "ca-sign-file", "is not supported by tandem (no certificate generation)" },
		{ "ca-sign-pass", "is not supported by tandem (no certificate generation)" },
		{ "sigalgs", "is not supported by tandem yet (OpenSSL's signature algorithms are used)" },
		{ "client-sigalgs", "is not supported by tandem yet (OpenSSL's signature algorithms are used)" },
		{ "ocsp-update", "is not supported by tandem (OCSP responses come from the .ocsp file or the runtime API)" },
		{ "quic-cc-algo", "is not supported by tandem (no QUIC)" },
	};

	for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++)
		if (!strcmp(w, r[k].w))
			return r[k].why;
	return NULL;
}

void ssl_opts_words(const struct ssl_opts *o, char *out, size_t len)
{
	static const char *const vfy[] = { "", "none", "optional", "required" };
	size_t at = 0;

#define W(...) do { int n_ = snprintf(out + at, at < len ? len - at : 0, __VA_ARGS__); \
		    if (n_ > 0) at += (size_t)n_; } while (0)
	*out = 0;
	if (o->alpn) W("%salpn %s", at ? " " : "", o->alpn);
	if (o->ca_file) W("%sca-file %s", at ? " " : "", o->ca_file);
	if (o->ca_verify_file) W("%sca-verify-file %s", at ? " " : "", o->ca_verify_file);
	if (o->ciphers) W("%sciphers %s", at ? " " : "", o->ciphers);
	if (o->ciphersuites) W("%sciphersuites %s", at ? " " : "", o->ciphersuites);
	if (o->crl_file) W("%scrl-file %s", at ? " " : "", o->crl_file);
	if (o->curves) W("%scurves %s", at ? " " : "", o->curves);
	if (o->ecdhe) W("%secdhe %s", at ? " " : "", o->ecdhe);
	if (o->flags & SSLO_NO_CA_NAMES) W("%sno-ca-names", at ? " " : "");
	if ((o->set & SSLS_VERIFY) && o->verify) W("%sverify %s", at ? " " : "", vfy[o->verify]);
	if ((o->set & SSLS_MIN) && o->min_ver) W("%sssl-min-ver %s", at ? " " : "", ssl_ver_name(o->min_ver));
	if ((o->set & SSLS_MAX) && o->max_ver) W("%sssl-max-ver %s", at ? " " : "", ssl_ver_name(o->max_ver));
#undef W
	if (at >= len && len)
		out[len - 1] = 0;
}

/* ---- option sets ----------------------------------------------------------- */

#define OPT_STRS(o) { &(o)->ciphers, &(o)->ciphersuites, &(o)->curves, &(o)->ecdhe, \
		      &(o)->ca_file, &(o)->ca_verify_file, &(o)->crl_file, &(o)->alpn }
static const uint32_t str_bits[] = { SSLS_CIPHERS, SSLS_SUITES, SSLS_CURVES, SSLS_ECDHE,
				     SSLS_CA, SSLS_CA_VERIFY, SSLS_CRL, SSLS_ALPN };

void ssl_opts_free(struct ssl_opts *o)
{
	char **s[] = OPT_STRS(o);

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

int ssl_opts_copy(struct ssl_opts *dst, const struct ssl_opts *src)
{
	char **d[] = OPT_STRS(dst);
	char *const *s[] = OPT_STRS(src);
	int ret = 0;

	*dst = *src;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (*s[i] && !(*d[i] = strdup(*s[i])))
			ret = -1;
	return ret;
}

int ssl_opts_fill(struct ssl_opts *dst, const struct ssl_opts *src)
{
	char **d[] = OPT_STRS(dst);
	char *const *s[] = OPT_STRS(src);
	int ret = 0;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		if ((dst->set & str_bits[i]) || !(src->set & str_bits[i]) || !*s[i])
			continue;
		free(*d[i]);
		if (!(*d[i] = strdup(*s[i])))
			ret = -1;
		dst->set |= str_bits[i];
	}
	if (!(dst->set & SSLS_VERIFY) && (src->set & SSLS_VERIFY)) {
		dst->verify = src->verify;
		dst->set |= SSLS_VERIFY;
	}
	if (!(dst->set & SSLS_MIN) && (src->set & SSLS_MIN)) {
		dst->min_ver = src->min_ver;
		dst->set |= SSLS_MIN;
	}
	if (!(dst->set & SSLS_MAX) && (src->set & SSLS_MAX)) {
		dst->max_ver = src->max_ver;
		dst->set |= SSLS_MAX;
	}
	dst->flags |= src->flags;
	return ret;
}

struct ssl_bind_conf *ssl_bind_conf_new(void)
{
	struct ssl_bind_conf *c = calloc(1, sizeof(*c));

	if (c)
		c->refs = 1;
	return c;
}

void ssl_bind_conf_release(struct ssl_bind_conf *c)
{
	if (!c || --c->refs > 0)
		return;
	if (c->rt)
		ssl_bind_free(c->rt);
	ssl_opts_free(&c->o);
	for (int i = 0; i < c->ncrts; i++)
		free(c->crts[i].path);
	free(c->crts);
	free(c->tls_ticket_keys);
	free(c->where);
	free(c);
}

void ssl_global_init(struct ssl_global *g)
{
	memset(g, 0, sizeof(*g));
	g->cachesize = SSL_DEF_CACHESIZE;
	g->lifetime = SSL_DEF_LIFETIME;
	g->server_verify = TLS_VFY_REQUIRED;
}

void ssl_global_free(struct ssl_global *g)
{
	free(g->crt_base);
	free(g->ca_base);
	ssl_opts_free(&g->bind_def);
	ssl_opts_free(&g->srv_def);
	free(g->dh_param_file);
	g->crt_base = g->ca_base = g->dh_param_file = NULL;
}

/* ---- strings ------------------------------------------------------------------ */

char *ssl_path_join(const char *base, const char *path)
{
	char *out;

	if (!base || !*base || *path == '/')
		return strdup(path);
	if (asprintf(&out, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", path) < 0)
		return NULL;
	return out;
}

int ssl_path_rebase(char **path, const char *base)
{
	char *full = ssl_path_join(base, *path);

	if (!full)
		return -1;
	free(*path);
	*path = full;
	return 0;
}

void ssl_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}
