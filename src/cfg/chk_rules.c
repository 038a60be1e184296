/* Life cycle of a backend's health-check rules (struct chk_px): release,
 * deep copy (for defaults inheritance through the default-server template).
 * Compiled regexes are compiled again from their source text on copy. */
#include <stdlib.h>
#include <string.h>
#include "kw_check.h"

void chk_expect_free(struct chk_expect *e)
{
	free(e->pat);
	free(e->bin);
	free(e->ranges);
	free(e->comment);
	free(e->ok_text);
	free(e->err_text);
	free(e->value);
	if (e->has_re)
		regfree(&e->re);
	if (e->has_vre)
		regfree(&e->vre);
	memset(e, 0, sizeof(*e));
}

static void rules_free(struct chk_tcp_rule *r, int n)
{
	for (int i = 0; i < n; i++) {
		free(r[i].data);
		free(r[i].comment);
		free(r[i].sni);
		free(r[i].alpn);
		chk_expect_free(&r[i].exp);
	}
	free(r);
}

void chk_px_drop_proto(struct chk_px *p)
{
	rules_free(p->ptcp, p->nptcp);
	p->ptcp = NULL;
	p->nptcp = 0;
	p->proto = CHK_PROTO_NONE;
}

void chk_px_drop_tcp(struct chk_px *p)
{
	rules_free(p->tcp, p->ntcp);
	p->tcp = NULL;
	p->ntcp = 0;
}

void chk_hdrs_free(struct chk_hdr *h, int n)
{
	for (int i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void chk_px_drop_http(struct chk_px *p)
{
	free(p->s_meth); free(p->s_uri); free(p->s_ver); free(p->body);
	p->s_meth = p->s_uri = p->s_ver = p->body = NULL;
	chk_hdrs_free(p->s_hdrs, p->s_nhdrs);
	p->s_hdrs = NULL;
	p->s_nhdrs = 0;
	p->nsend = 0;
	for (int i = 0; i < p->n_http_exp; i++)
		chk_expect_free(&p->http_exp[i]);
	free(p->http_exp);
	p->http_exp = NULL;
	p->n_http_exp = 0;
}

void chk_px_free(struct chk_px *p)
{
	if (!p)
		return;
	free(p->meth); free(p->uri); free(p->ver);
	free(p->conn_sni); free(p->conn_alpn);
	chk_hdrs_free(p->hdrs, p->nhdrs);
	chk_px_drop_http(p);
	chk_px_drop_tcp(p);
	chk_px_drop_proto(p);
	free(p);
}

static char *sdup(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*err = 1;
	return d;
}

static void *mdup(const void *s, size_t n, int *err)
{
	void *d;

	if (!s)
		return NULL;
	if (!(d = malloc(n ? n : 1)))
		*err = 1;
	else
		memcpy(d, s, n);
	return d;
}

static void expect_dup(struct chk_expect *d, const struct chk_expect *s, int *err)
{
	*d = *s;
	d->pat = sdup(s->pat, err);
	d->bin = mdup(s->bin, s->binlen, err);
	d->ranges = mdup(s->ranges, (size_t)s->nranges * sizeof(*s->ranges), err);
	d->comment = sdup(s->comment, err);
	d->ok_text = sdup(s->ok_text, err);
	d->err_text = sdup(s->err_text, err);
	d->value = sdup(s->value, err);
	d->has_re = d->has_vre = 0;
	if (s->has_re && d->pat) {
		int fl = (s->type == EXP_HDR || s->type == EXP_FHDR) ? REG_EXTENDED | REG_NOSUB | REG_ICASE
								 : REG_EXTENDED | REG_NOSUB | REG_NEWLINE;

		if (regcomp(&d->re, d->pat, fl) == 0)
			d->has_re = 1;
		else
			*err = 1;
	}
	if (s->has_vre && d->value) {
		if (regcomp(&d->vre, d->value, REG_EXTENDED | REG_NOSUB) == 0)
			d->has_vre = 1;
		else
			*err = 1;
	}
}

static struct chk_tcp_rule *rules_dup(const struct chk_tcp_rule *s, int n, int *err)
{
	struct chk_tcp_rule *d;

	if (!n)
		return NULL;
	if (!(d = calloc((size_t)n, sizeof(*d)))) {
		*err = 1;
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		d[i] = s[i];
		d[i].data = mdup(s[i].data, s[i].len, err);
		d[i].comment = sdup(s[i].comment, err);
		d[i].sni = sdup(s[i].sni, err);
		d[i].alpn = sdup(s[i].alpn, err);
		expect_dup(&d[i].exp, &s[i].exp, err);
	}
	return d;
}

static struct chk_hdr *hdrs_dup(const struct chk_hdr *h, int n, int *err)
{
	struct chk_hdr *d;

	if (!n)
		return NULL;
	if (!(d = calloc((size_t)n, sizeof(*d)))) {
		*err = 1;
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		d[i].name = sdup(h[i].name, err);
		d[i].value = sdup(h[i].value, err);
	}
	return d;
}

struct chk_px *chk_px_dup(const struct chk_px *s, int *err)
{
	struct chk_px *d;

	if (!s)
		return NULL;
	if (!(d = calloc(1, sizeof(*d)))) {
		*err = 1;
		return NULL;
	}
	*d = *s;
	d->meth = sdup(s->meth, err);
	d->uri = sdup(s->uri, err);
	d->ver = sdup(s->ver, err);
	d->hdrs = hdrs_dup(s->hdrs, s->nhdrs, err);
	d->s_meth = sdup(s->s_meth, err);
	d->s_uri = sdup(s->s_uri, err);
	d->s_ver = sdup(s->s_ver, err);
	d->s_hdrs = hdrs_dup(s->s_hdrs, s->s_nhdrs, err);
	d->body = sdup(s->body, err);
	d->conn_sni = sdup(s->conn_sni, err);
	d->conn_alpn = sdup(s->conn_alpn, err);
	d->http_exp = NULL;
	d->n_http_exp = 0;
	d->tcp = NULL;
	d->ntcp = 0;
	if (s->n_http_exp && (d->http_exp = calloc((size_t)s->n_http_exp, sizeof(*d->http_exp)))) {
		for (int i = 0; i < s->n_http_exp; i++)
			expect_dup(&d->http_exp[i], &s->http_exp[i], err);
		d->n_http_exp = s->n_http_exp;
	} else if (s->n_http_exp) {
		*err = 1;
	}
	d->tcp = rules_dup(s->tcp, s->ntcp, err);
	d->ntcp = d->tcp ? s->ntcp : 0;
	d->ptcp = rules_dup(s->ptcp, s->nptcp, err);
	d->nptcp = d->ptcp ? s->nptcp : 0;
	/* rules seen by the next section are inherited ones */
	d->http_inh = s->nsend || s->n_http_exp;
	d->tcp_inh = s->ntcp > 0;
	return d;
}

