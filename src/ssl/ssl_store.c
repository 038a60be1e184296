/* The certificate store and the crt-lists on the runtime API: HAProxy's
 * transactions (new / set / commit / abort ssl cert) and crt-list edits
 * (add / del ssl crt-list). See include/tandem/ssl_store.h for the rules;
 * the contexts are built with the same code as at start (ssl_ctx.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <tandem/log.h>
#include <tandem/ssl_store.h>
#include "ssl_int.h"

static struct ssl_cfg_rt *rt_of(struct cfg *cfg)
{
	return cfg ? cfg->ssl : NULL;
}

static const char *status_word(const struct ckch *c)
{
	return !c->d ? "Empty" : c->nused ? "Used" : "Unused";
}

/* ---- show ssl cert --------------------------------------------------------------- */

static void out_date(ssl_out_fn out, void *arg, const char *label, time_t t)
{
	char date[64] = "-";
	struct tm tm;

	if (t) {
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%b %e %H:%M:%S %Y GMT", &tm);
	}
	out(arg, "%s: %s\n", label, date);
}

static void out_dn(ssl_out_fn out, void *arg, const char *label, X509_NAME *n)
{
	char buf[1024];

	if (!n)
		return;
	X509_NAME_oneline(n, buf, sizeof(buf));
	out(arg, "%s: %s\n", label, buf);
}

static void show_one(const struct ckch *c, const struct ckch_data *d, int txn, ssl_out_fn out, void *arg)
{
	char buf[512];

	out(arg, "Filename: %s%s\n", txn ? "*" : "", c->path);
	out(arg, "Status: %s\n", txn ? (c->d ? "Used" : "Unused") : status_word(c));
	if (!d)
		return;
	{
		const ASN1_INTEGER *sn = X509_get0_serialNumber(d->cert);
		BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		out(arg, "Serial: %s\n", hex ? hex : "-");
		OPENSSL_free(hex);
		BN_free(bn);
	}
	out_date(out, arg, "notBefore", d->not_before);
	out_date(out, arg, "notAfter", d->not_after);
	{
		GENERAL_NAMES *sans = X509_get_ext_d2i(d->cert, NID_subject_alt_name, NULL, NULL);
		size_t at = 0;

		buf[0] = 0;
		for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans); k++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);
			int n;

			if (g->type != GEN_DNS)
				continue;
			n = snprintf(buf + at, sizeof(buf) - at, "%sDNS:%.*s", at ? ", " : "",
				     ASN1_STRING_length(g->d.dNSName), (const char *)ASN1_STRING_get0_data(g->d.dNSName));
			if (n > 0 && (size_t)n < sizeof(buf) - at)
				at += (size_t)n;
		}
		GENERAL_NAMES_free(sans);
		if (at)
			out(arg, "Subject Alternative Name: %s\n", buf);
	}
	out(arg, "Algorithm: %s%d\n", d->key_type == EVP_PKEY_EC ? "EC" : d->key_type == EVP_PKEY_RSA ? "RSA" :
	    OBJ_nid2sn(d->key_type), d->key ? EVP_PKEY_get_bits(d->key) : 0);
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int ml = 0;
		size_t at = 0;

		if (X509_digest(d->cert, EVP_sha1(), md, &ml)) {
			for (unsigned int k = 0; k < ml && at + 3 < sizeof(buf); k++)
				at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%02X", md[k]);
			out(arg, "SHA1 FingerPrint: %s\n", buf);
		}
	}
	out_dn(out, arg, "Subject", X509_get_subject_name(d->cert));
	out_dn(out, arg, "Issuer", X509_get_issuer_name(d->cert));
	for (int k = 0; d->chain && k < sk_X509_num(d->chain); k++) {
		X509 *x = sk_X509_value(d->chain, k);

		out_dn(out, arg, "Chain Subject", X509_get_subject_name(x));
		out_dn(out, arg, "Chain Issuer", X509_get_issuer_name(x));
	}
	out(arg, "OCSP Response: %s\n", ssl_ocsp_describe(d, buf, sizeof(buf)));
	ERR_clear_error();
}

int ssl_cli_show_certs(struct cfg *cfg, const char *name, ssl_out_fn out, void *arg)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct list *l;
	int txn = 0, ocsp = 0, ret = 0;
	char *path;
	struct ckch *c;

	if (!rt) {
		if (name)
			out(arg, "Can't display the certificate: Not found or the certificate is a bundle!\n");
		return name ? -1 : 0;
	}
	pthread_rwlock_rdlock(&rt->lock);
	if (!name) {
		if (rt->txn)
			out(arg, "# transaction\n*%s\n", rt->txn->path);
		out(arg, "# filename\n");
		list_for_each(l, &rt->ckchs)
			out(arg, "%s\n", list_entry(l, struct ckch, link)->path);
		pthread_rwlock_unlock(&rt->lock);
		return 0;
	}
	if (*name == '*') {
		txn = 1;
		name++;
	}
	if (!(path = strdup(name))) {
		pthread_rwlock_unlock(&rt->lock);
		return -1;
	}
	if (!(c = ckch_find(rt, path)) && strlen(path) > 5 && !strcmp(path + strlen(path) - 5, ".ocsp")) {
		path[strlen(path) - 5] = 0;
		c = ckch_find(rt, path);
		ocsp = 1;
	}
	if (!c || (txn && rt->txn != c)) {
		out(arg, "Can't display the certificate: Not found or the certificate is a bundle!\n");
		ret = -1;
	} else if (ocsp) {
		char buf[512];
		const struct ckch_data *d = txn ? c->txn : c->d;

		out(arg, "Certificate: %s%s\nOCSP Response: %s\n", txn ? "*" : "", c->path,
		    d ? ssl_ocsp_describe(d, buf, sizeof(buf)) : "none");
	} else {
		show_one(c, txn ? c->txn : c->d, txn, out, arg);
	}
	free(path);
	pthread_rwlock_unlock(&rt->lock);
	return ret;
}

/* ---- transactions ------------------------------------------------------------------ */

int ssl_cli_new_cert(struct cfg *cfg, const char *path, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct ckch *c;

	if (!rt) {
		snprintf(msg, len, "This configuration has no TLS: there is no certificate store.");
		return -1;
	}
	pthread_rwlock_wrlock(&rt->lock);
	if (ckch_find(rt, path)) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Certificate '%s' already exists!", path);
		return -1;
	}
	if (rt->txn) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Operations on certificates are currently locked: a transaction is in progress on '%s'!",
			 rt->txn->path);
		return -1;
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path))) {
		free(c);
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Out of memory.");
		return -1;
	}
	list_add_tail(&rt->ckchs, &c->link);
	pthread_rwlock_unlock(&rt->lock);
	snprintf(msg, len, "New empty certificate store '%s'!", path);
	return 0;
}

/* Base64 (lines allowed) into a malloc'd buffer. */
static unsigned char *b64_decode(const char *in, size_t len, size_t *outlen)
{
	char *clean = malloc(len + 1);
	unsigned char *out;
	size_t n = 0, pad = 0;
	int dl;

	if (!clean)
		return NULL;
	for (size_t k = 0; k < len; k++)
		if (in[k] != '\n' && in[k] != '\r' && in[k] != ' ' && in[k] != '\t')
			clean[n++] = in[k];
	clean[n] = 0;
	if (!n || n % 4 || !(out = malloc(n / 4 * 3 + 1))) {
		free(clean);
		return NULL;
	}
	while (pad < n && pad < 2 && clean[n - 1 - pad] == '=')
		pad++;
	dl = EVP_DecodeBlock(out, (unsigned char *)clean, (int)n);
	free(clean);
	if (dl < 0 || (size_t)dl < pad) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)dl - pad;
	return out;
}

int ssl_cli_set_cert(struct cfg *cfg, const char *path, const char *payload, size_t plen, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	char *base = NULL, err[512];
	struct ckch_data *nd = NULL;
	struct ckch *c;
	int ocsp = 0, created;

	if (!rt) {
		snprintf(msg, len, "Can't replace a certificate which is not referenced by the configuration!");
		return -1;
	}
	if (!payload || !plen) {
		snprintf(msg, len, "'set ssl cert' expects a filename and the certificate as a payload.");
		return -1;
	}
	if (!(base = strdup(path))) {
		snprintf(msg, len, "Out of memory.");
		return -1;
	}
	pthread_rwlock_wrlock(&rt->lock);
	if (!(c = ckch_find(rt, base)) && strlen(base) > 5 && !strcmp(base + strlen(base) - 5, ".ocsp")) {
		base[strlen(base) - 5] = 0;
		c = ckch_find(rt, base);
		ocsp = 1;
	}
	if (!c) {
		snprintf(msg, len, "Can't replace a certificate which is not referenced by the configuration!");
		goto fail;
	}
	if (rt->txn && rt->txn != c) {
		snprintf(msg, len, "The ongoing transaction is about '%s' but you are trying to set '%s'",
			 rt->txn->path, c->path);
		goto fail;
	}
	if (ocsp) {
		const struct ckch_data *from = c->txn ? c->txn : c->d;
		size_t dl = 0;
		unsigned char *der = b64_decode(payload, plen, &dl);

		if (!from) {
			snprintf(msg, len, "Set the certificate of '%s' before its OCSP response.", c->path);
			free(der);
			goto fail;
		}
		if (!der) {
			snprintf(msg, len, "The OCSP response of '%s' must be sent in base64.", c->path);
			goto fail;
		}
		if (!(nd = ckch_data_dup(from)) || ckch_data_set_ocsp(nd, der, dl, err, sizeof(err)) < 0) {
			snprintf(msg, len, "Unable to use the OCSP response for '%s': %s.", c->path, nd ? err : "out of memory");
			free(der);
			goto fail;
		}
		free(der);
	} else if (!(nd = ckch_data_load_mem(payload, plen, err, sizeof(err)))) {
		/* HAProxy's three lines, with the reason */
		snprintf(msg, len, "unable to load certificate from file '%s': %s.\nCan't load the payload\n"
			 "Can't update %s!", c->path, err, c->path);
		goto fail;
	} else if (c->d && c->d->ocsp_file) {
		nd->ocsp_file = 1;   /* stapling stays on; a new response may follow (FILE.ocsp) */
	}
	created = !c->txn_open;
	ckch_data_unref(c->txn);
	c->txn = nd;
	c->txn_open = 1;
	rt->txn = c;
	pthread_rwlock_unlock(&rt->lock);
	snprintf(msg, len, "Transaction %s for certificate %s!", created ? "created" : "updated", c->path);
	free(base);
	return 0;
fail:
	ckch_data_unref(nd);
	pthread_rwlock_unlock(&rt->lock);
	free(base);
	return -1;
}

/* What a commit replaces: each context built anew. */
struct swap {
	struct ckch_inst *inst;   /* or NULL for a server */
	struct ssl_srv_rt *srv;
	SSL_CTX *ctx;
};

static int add_swap(struct swap **v, int *n, struct swap s)
{
	struct swap *nv = realloc(*v, sizeof(*nv) * (size_t)(*n + 1));

	if (!nv)
		return -1;
	*v = nv;
	(*v)[(*n)++] = s;
	return 0;
}

/* Build the contexts of everything that uses <c> with data <d>; on any
 * failure free them and fill <err>. Returns the count, -1 on failure. */
static int build_swaps(struct ssl_cfg_rt *rt, struct ckch *c, struct ckch_data *d, struct swap **out,
		       char *err, size_t errlen)
{
	struct ssl_msgs m = { .buf = err, .len = errlen };
	struct list *pl, *bl, *il;
	struct swap *v = NULL;
	int n = 0;

	*err = 0;
	list_for_each(pl, &rt->cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(bl, &px->binds) {
			struct bind_conf *bc = list_entry(bl, struct bind_conf, link);
			struct ssl_bind_rt *b = bc->ssl ? bc->ssl->rt : NULL;

			if (!b || b->bc != bc)
				continue;
			list_for_each(il, &b->insts) {
				struct ckch_inst *i = list_entry(il, struct ckch_inst, link);
				SSL_CTX *ctx;

				if (i->c != c)
					continue;
				if (!(ctx = ssl_ctx_bind_inst(b, &i->o, d, rt, &rt->cfg->g.ssl, &m)) ||
				    add_swap(&v, &n, (struct swap){ i, NULL, ctx }) < 0) {
					SSL_CTX_free(ctx);
					goto fail;
				}
			}
		}
		list_for_each(bl, &px->servers) {
			struct server *s = list_entry(bl, struct server, link);
			struct ssl_srv_rt *r = s->ssl_rt;
			SSL_CTX *ctx;

			if (!r || r->crt != c)
				continue;
			if (!(ctx = ssl_srv_ctx_make(r, s, &rt->cfg->g.ssl, d, &m)) ||
			    add_swap(&v, &n, (struct swap){ NULL, r, ctx }) < 0) {
				SSL_CTX_free(ctx);
				goto fail;
			}
		}
	}
	*out = v;
	return n;
fail:
	if (!*err)
		snprintf(err, errlen, "out of memory");
	for (int k = 0; k < n; k++)
		SSL_CTX_free(v[k].ctx);
	free(v);
	return -1;
}

/* Put the new contexts in place: one bind (or server) at a time, under its
 * write lock, its index rebuilt (the names may have changed). */
static void apply_swaps(struct swap *v, int n, struct ckch_data *d)
{
	for (int k = 0; k < n; k++) {
		SSL_CTX *old;

		if (!v[k].ctx)
			continue;   /* applied with an earlier one of its bind */
		if (v[k].srv) {
			pthread_rwlock_wrlock(&v[k].srv->lock);
			old = v[k].srv->ctx;
			v[k].srv->ctx = v[k].ctx;
			pthread_rwlock_unlock(&v[k].srv->lock);
			SSL_CTX_free(old);
			continue;
		}
		{
			struct ssl_bind_rt *b = v[k].inst->b;
			SSL_CTX **olds = calloc((size_t)n, sizeof(*olds));
			int no = 0;

			pthread_rwlock_wrlock(&b->lock);
			for (int j = k; j < n; j++) {
				if (!v[j].inst || v[j].inst->b != b || !v[j].ctx)
					continue;
				if (olds)
					olds[no++] = v[j].inst->ctx;
				else
					SSL_CTX_free(v[j].inst->ctx);   /* no room to defer: the SSLs keep their references */
				v[j].inst->ctx = v[j].ctx;
				v[j].inst->key_type = d->key_type;
				v[j].ctx = NULL;
			}
			ssl_bind_reindex(b);
			pthread_rwlock_unlock(&b->lock);
			for (int j = 0; j < no; j++)
				SSL_CTX_free(olds[j]);
			free(olds);
		}
	}
}

int ssl_store_replace(struct ssl_cfg_rt *rt, struct ckch *c, struct ckch_data *d, char *err, size_t errlen)
{
	struct swap *v = NULL;
	int n = build_swaps(rt, c, d, &v, err, errlen);

	if (n < 0)
		return -1;
	apply_swaps(v, n, d);
	free(v);
	ckch_data_unref(c->d);
	c->d = d;
	return 0;
}

int ssl_cli_commit_cert(struct cfg *cfg, const char *path, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct swap *v = NULL;
	struct ckch *c;
	char err[512];
	int n;

	if (!rt) {
		snprintf(msg, len, "No ongoing transaction!");
		return -1;
	}
	pthread_rwlock_wrlock(&rt->lock);
	c = rt->txn;
	if (!c) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "No ongoing transaction!");
		return -1;
	}
	if (strcmp(c->path, path)) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "The ongoing transaction is about '%s' but you are trying to set '%s'", c->path, path);
		return -1;
	}
	if (!c->txn) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "The transaction of '%s' is empty: 'set ssl cert' first.", c->path);
		return -1;
	}
	if ((n = build_swaps(rt, c, c->txn, &v, err, sizeof(err))) < 0) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Committing %s\nFailed!\n%s", c->path, err);
		return -1;
	}
	apply_swaps(v, n, c->txn);
	free(v);
	ckch_data_unref(c->d);
	c->d = c->txn;
	c->txn = NULL;
	c->txn_open = 0;
	c->from_runtime = 1;
	rt->txn = NULL;
	/* the next worker serves it too (unless the file changes on disk) */
	if (c->has_disk && c->d->pem)
		ssl_handover_commit(c);
	pthread_rwlock_unlock(&rt->lock);
	log_event(LL_NOTICE, "Certificate %s committed on the runtime API (%d context(s) replaced).", c->path, n);
	snprintf(msg, len, "Committing %s\nSuccess!", c->path);
	return 0;
}

int ssl_cli_abort_cert(struct cfg *cfg, const char *path, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct ckch *c;

	if (!rt || !rt->txn) {
		snprintf(msg, len, "No ongoing transaction!");
		return -1;
	}
	pthread_rwlock_wrlock(&rt->lock);
	c = rt->txn;
	if (strcmp(c->path, path)) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "The ongoing transaction is about '%s' but you are trying to abort a transaction for '%s'",
			 c->path, path);
		return -1;
	}
	ckch_data_unref(c->txn);
	c->txn = NULL;
	c->txn_open = 0;
	rt->txn = NULL;
	pthread_rwlock_unlock(&rt->lock);
	snprintf(msg, len, "Transaction aborted for certificate '%s'!", path);
	return 0;
}

int ssl_cli_del_cert(struct cfg *cfg, const char *path, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct ckch *c;

	if (!rt || !(c = ckch_find(rt, path))) {
		snprintf(msg, len, "certificate '%s' doesn't exist!", path);
		return -1;
	}
	pthread_rwlock_wrlock(&rt->lock);
	if (rt->txn == c) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Can't remove the certificate: a transaction is in progress on '%s'!", path);
		return -1;
	}
	if (c->nused || c->direct) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "certificate '%s' in use, can't be deleted!", path);
		return -1;
	}
	ckch_free(c);
	pthread_rwlock_unlock(&rt->lock);
	snprintf(msg, len, "Certificate '%s' deleted!", path);
	return 0;
}

/* ---- crt-lists ------------------------------------------------------------------------- */

int ssl_cli_show_crtlist(struct cfg *cfg, const char *name, int numbers, ssl_out_fn out, void *arg)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct crtlist *l;
	struct list *p;

	if (!rt)
		return name ? (out(arg, "didn't find the specified filename\n"), -1) : 0;
	pthread_rwlock_rdlock(&rt->lock);
	if (!name) {
		list_for_each(p, &rt->crtlists)
			out(arg, "%s\n", list_entry(p, struct crtlist, link)->path);
		pthread_rwlock_unlock(&rt->lock);
		return 0;
	}
	if (!(l = crtlist_find(rt, name))) {
		pthread_rwlock_unlock(&rt->lock);
		out(arg, "didn't find the specified filename\n");
		return -1;
	}
	out(arg, "# %s\n", l->path);
	list_for_each(p, &l->entries) {
		const struct crtlist_entry *e = list_entry(p, struct crtlist_entry, link);
		char opts[2048] = "";

		if (e->o)
			ssl_opts_words(e->o, opts, sizeof(opts));
		out(arg, "%s", e->c->path);
		if (numbers)
			out(arg, ":%d", e->line);
		if (e->o && *opts)
			out(arg, " [%s]", opts);
		for (int k = 0; k < e->nfilters; k++)
			out(arg, " %s", e->filters[k]);
		out(arg, "\n");
	}
	pthread_rwlock_unlock(&rt->lock);
	return 0;
}

struct add_ctx {
	struct ssl_cfg_rt *rt;
	struct crtlist_entry *e;
	struct ckch_inst **made;
	int n, fail;
	struct ssl_msgs *m;
};

static void add_to_bind(struct ssl_bind_rt *b, void *arg)
{
	struct add_ctx *a = arg;
	struct ckch_inst **nv, *i;

	if (a->fail)
		return;
	if (!(i = ssl_inst_new(b, a->e->c, a->e, a->rt, a->m)) ||
	    !(nv = realloc(a->made, sizeof(*nv) * (size_t)(a->n + 1)))) {
		ssl_inst_free(i);
		a->fail = 1;
		return;
	}
	a->made = nv;
	a->made[a->n++] = i;
}

int ssl_cli_add_crtlist(struct cfg *cfg, const char *list, const char *line, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	char err[1024] = "";
	struct ssl_msgs m = { .buf = err, .len = sizeof(err) };
	struct add_ctx a = { 0 };
	struct crtlist_entry *e;
	struct crtlist *l;
	struct list *p;
	int last = 0;

	if (!rt || !(l = crtlist_find(rt, list))) {
		snprintf(msg, len, "crt-list '%s' does not exist!", list);
		return -1;
	}
	pthread_rwlock_wrlock(&rt->lock);
	if (crtlist_parse_line(rt, line, 0, &e, &m, 1) < 0) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "%s", err);
		return -1;
	}
	if (!e->c->d) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "certificate '%s' is empty: commit it first!", e->c->path);
		crtlist_entry_free(e);
		return -1;
	}
	if (l->is_dir && (e->o || e->nfilters)) {
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Options or filters can't be used with a directory!");
		crtlist_entry_free(e);
		return -1;
	}
	list_for_each(p, &l->entries)
		if (list_entry(p, struct crtlist_entry, link)->line > last)
			last = list_entry(p, struct crtlist_entry, link)->line;
	e->line = last + 1;
	a.rt = rt;
	a.e = e;
	a.m = &m;
	ssl_binds_using(rt, l, add_to_bind, &a);
	if (a.fail) {
		for (int k = 0; k < a.n; k++)
			ssl_inst_free(a.made[k]);
		free(a.made);
		pthread_rwlock_unlock(&rt->lock);
		snprintf(msg, len, "Inserting certificate '%s' in crt-list '%s'.\nFailed!\n%s", e->c->path, list,
			 *err ? err : "out of memory");
		crtlist_entry_free(e);
		return -1;
	}
	for (int k = 0; k < a.n; k++) {
		struct ssl_bind_rt *b = a.made[k]->b;

		pthread_rwlock_wrlock(&b->lock);
		list_add_tail(&b->insts, &a.made[k]->link);
		ssl_bind_reindex(b);
		pthread_rwlock_unlock(&b->lock);
	}
	free(a.made);
	list_add_tail(&l->entries, &e->link);
	pthread_rwlock_unlock(&rt->lock);
	snprintf(msg, len, "Inserting certificate '%s' in crt-list '%s'.\nSuccess!", e->c->path, list);
	return 0;
}

struct del_ctx {
	struct crtlist_entry *e;
	int is_default;
};

static void check_default(struct ssl_bind_rt *b, void *arg)
{
	struct del_ctx *d = arg;

	if (b->def && b->def->ent == d->e)
		d->is_default = 1;
}

static void del_from_bind(struct ssl_bind_rt *b, void *arg)
{
	struct del_ctx *d = arg;
	struct list *p, *n;
	struct ckch_inst *gone[16];
	int ng = 0;

	pthread_rwlock_wrlock(&b->lock);
	list_for_each_safe(p, n, &b->insts) {
		struct ckch_inst *i = list_entry(p, struct ckch_inst, link);

		if (i->ent != d->e)
			continue;
		list_del(&i->link);
		if (ng < 16)
			gone[ng++] = i;
	}
	ssl_bind_reindex(b);
	pthread_rwlock_unlock(&b->lock);
	for (int k = 0; k < ng; k++)
		ssl_inst_free(gone[k]);
}

int ssl_cli_del_crtlist(struct cfg *cfg, const char *list, const char *cert, char *msg, size_t len)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct crtlist_entry *found = NULL;
	struct del_ctx d = { 0 };
	struct crtlist *l;
	char *name, *colon;
	struct list *p;
	int line = 0, count = 0;

	if (!rt || !(l = crtlist_find(rt, list))) {
		snprintf(msg, len, "crt-list '%s' does not exist!", list);
		return -1;
	}
	if (!(name = strdup(cert))) {
		snprintf(msg, len, "Out of memory.");
		return -1;
	}
	if ((colon = strrchr(name, ':')) && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		line = atoi(colon + 1);
		*colon = 0;
	}
	pthread_rwlock_wrlock(&rt->lock);
	list_for_each(p, &l->entries) {
		struct crtlist_entry *e = list_entry(p, struct crtlist_entry, link);

		if (strcmp(e->c->path, name) || (line && e->line != line))
			continue;
		found = e;
		count++;
	}
	if (!found) {
		snprintf(msg, len, "Can't delete the entry: certificate '%s' not found in crt-list '%s'!", cert, list);
		goto fail;
	}
	if (count > 1) {
		snprintf(msg, len, "Can't delete the entry: certificate '%s' is present on several lines of '%s', "
			 "name one with <certificate>:<line> (see 'show ssl crt-list -n %s')", name, list, list);
		goto fail;
	}
	d.e = found;
	ssl_binds_using(rt, l, check_default, &d);
	if (d.is_default) {
		snprintf(msg, len, "Can't delete the entry: '%s' is the default certificate of a bind line!", name);
		goto fail;
	}
	ssl_binds_using(rt, l, del_from_bind, &d);
	crtlist_entry_free(found);
	pthread_rwlock_unlock(&rt->lock);
	snprintf(msg, len, "Entry '%s' deleted in crtlist '%s'!", cert, list);
	free(name);
	return 0;
fail:
	pthread_rwlock_unlock(&rt->lock);
	free(name);
	return -1;
}

/* ---- views ----------------------------------------------------------------------------------- */

void ssl_store_foreach(struct cfg *cfg, void (*fn)(void *arg, const struct ssl_cert_view *v), void *arg)
{
	struct ssl_cfg_rt *rt = rt_of(cfg);
	struct list *l;

	if (!rt)
		return;
	pthread_rwlock_rdlock(&rt->lock);
	list_for_each(l, &rt->ckchs) {
		const struct ckch *c = list_entry(l, struct ckch, link);
		struct ssl_cert_view v = { c->path, 0, 0, c->nused > 0, "" };

		if (!c->d)
			continue;
		v.not_before = c->d->not_before;
		v.not_after = c->d->not_after;
		v.subject_cn = c->d->nnames ? c->d->names[0] : "";
		fn(arg, &v);
	}
	pthread_rwlock_unlock(&rt->lock);
}
