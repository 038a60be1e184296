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
	if (e->has_re)
		regfree(&e->re);
	memset(e, 0, sizeof(*e));
}

void chk_px_drop_tcp(struct chk_px *p)
{
	for (int i = 0; i < p->ntcp; i++) {
		free(p->tcp[i].data);
		free(p->tcp[i].comment);
		chk_expect_free(&p->tcp[i].exp);
	}
	free(p->tcp);
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
	chk_hdrs_free(p->hdrs, p->nhdrs);
	chk_px_drop_http(p);
	chk_px_drop_tcp(p);
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
	d->has_re = 0;
	if (s->has_re && d->pat) {
		if (regcomp(&d->re, d->pat, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) == 0)
			d->has_re = 1;
		else
			*err = 1;
	}
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
	if (s->ntcp && (d->tcp = calloc((size_t)s->ntcp, sizeof(*d->tcp)))) {
		for (int i = 0; i < s->ntcp; i++) {
			d->tcp[i] = s->tcp[i];
			d->tcp[i].data = mdup(s->tcp[i].data, s->tcp[i].len, err);
			d->tcp[i].comment = sdup(s->tcp[i].comment, err);
			expect_dup(&d->tcp[i].exp, &s->tcp[i].exp, err);
		}
		d->ntcp = s->ntcp;
	} else if (s->ntcp) {
		*err = 1;
	}
	/* rules seen by the next section are inherited ones */
	d->http_inh = s->nsend || s->n_http_exp;
	d->tcp_inh = s->ntcp > 0;
	return d;
}

