/* The certificates of a TLS bind and how a handshake picks one.
 *
 * A bind's certificates come from its `crt` (a file, a bundle FILE.rsa /
 * FILE.ecdsa / FILE.dsa, or a directory loaded in alphabetical order) and
 * `crt-list` options, in the order written; the first one is the default.
 * Each becomes an instance (struct ckch_inst) with its own context.
 *
 * The SNI index lists, for every instance, the names it answers to: its
 * crt-list SNI filters when the line has some, else the certificate's DNS
 * subjectAltNames and CNs. "*.example.com" matches one label
 * (www.example.com, not a.b.example.com); "!name" excludes a name from
 * that line (a negative filter wins over a wildcard of the same line;
 * "!*" keeps a certificate out of the index: only the default role).
 * Exact names win over wildcards; among the candidates, an ECDSA
 * certificate when the client can verify ECDSA signatures, else RSA, else
 * any; then the first declared.
 *
 * The choice is made in the ClientHello callback, which then switches the
 * handshake to the chosen context (ssl_switch_ctx). Without a name, or
 * with one nothing matches: the default certificate, or, with
 * `strict-sni`, the handshake is refused (unrecognized_name). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include "ssl_int.h"

/* ---- instances ---------------------------------------------------------------- */

/* <dst> := <line> on top of <dst> (the line's options win). */
static int opts_overlay(struct ssl_opts *dst, const struct ssl_opts *line)
{
	struct ssl_opts tmp;

	if (ssl_opts_copy(&tmp, line) < 0 || ssl_opts_fill(&tmp, dst) < 0) {
		ssl_opts_free(&tmp);
		return -1;
	}
	ssl_opts_free(dst);
	*dst = tmp;
	return 0;
}

struct ckch_inst *ssl_inst_new(struct ssl_bind_rt *b, struct ckch *c, struct crtlist_entry *e,
			       struct ssl_cfg_rt *rt, struct ssl_msgs *m)
{
	struct ckch_inst *i = calloc(1, sizeof(*i));

	if (!i || ssl_opts_copy(&i->o, &b->sc->o) < 0 || (e && e->o && opts_overlay(&i->o, e->o) < 0)) {
		if (i)
			ssl_opts_free(&i->o);
		free(i);
		ssl_err(m, "out of memory");
		return NULL;
	}
	list_init(&i->link);
	i->b = b;
	i->c = c;
	i->ent = e;
	if (!c->d) {
		ssl_err(m, "certificate '%s' is empty (set and commit it first).", c->path);
		goto fail;
	}
	if (!(i->ctx = ssl_ctx_bind_inst(b, &i->o, c->d, rt, &rt->cfg->g.ssl, m)))
		goto fail;
	i->key_type = c->d->key_type;
	i->order = b->next_order++;
	c->nused++;
	return i;
fail:
	ssl_opts_free(&i->o);
	free(i);
	return NULL;
}

void ssl_inst_free(struct ckch_inst *i)
{
	if (!i)
		return;
	list_del(&i->link);
	if (i->c)
		i->c->nused--;
	SSL_CTX_free(i->ctx);
	ssl_opts_free(&i->o);
	free(i);
}

/* ---- the SNI index --------------------------------------------------------------- */

static int ent_cmp(const void *a, const void *b)
{
	const struct sni_ent *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->wild != y->wild)
		return x->wild - y->wild;
	return x->inst->order < y->inst->order ? -1 : x->inst->order > y->inst->order;
}

static int add_ent(struct sni_ent **v, int *n, int *cap, const char *name, int neg, struct ckch_inst *inst)
{
	struct sni_ent *e;
	int wild = 0;

	if (name[0] == '*' && name[1] == '.') {
		wild = 1;
		name++;
	}
	if (!*name || (!wild && name[0] == '*'))
		return 0;
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		struct sni_ent *nv = realloc(*v, sizeof(*nv) * (size_t)nc);

		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	e = &(*v)[*n];
	if (!(e->name = strdup(name)))
		return -1;
	ssl_lower(e->name);
	e->wild = wild;
	e->neg = neg;
	e->inst = inst;
	(*n)++;
	return 0;
}

static void ents_free(struct sni_ent *v, int n)
{
	for (int k = 0; k < n; k++)
		free(v[k].name);
	free(v);
}

int ssl_bind_reindex(struct ssl_bind_rt *b)
{
	struct sni_ent *v = NULL;
	int n = 0, cap = 0;
	struct list *l;

	list_for_each(l, &b->insts) {
		struct ckch_inst *i = list_entry(l, struct ckch_inst, link);
		struct crtlist_entry *e = i->ent;

		if (e && e->nfilters) {
			for (int k = 0; k < e->nfilters; k++) {
				const char *f = e->filters[k];
				int neg = *f == '!';

				if (neg && !strcmp(f + 1, "*"))
					continue;   /* "!*": the certificate's own names stay out */
				if (add_ent(&v, &n, &cap, f + neg, neg, i) < 0)
					goto oom;
			}
			continue;
		}
		for (int k = 0; i->c->d && k < i->c->d->nnames; k++)
			if (add_ent(&v, &n, &cap, i->c->d->names[k], 0, i) < 0)
				goto oom;
	}
	if (n)
		qsort(v, (size_t)n, sizeof(*v), ent_cmp);
	ents_free(b->sni, b->nsni);
	b->sni = v;
	b->nsni = n;
	return 0;
oom:
	ents_free(v, n);
	return -1;
}

/* First entry with (name, wild), or -1. */
static int lower_bound(const struct ssl_bind_rt *b, const char *name, int wild)
{
	int lo = 0, hi = b->nsni;

	while (lo < hi) {
		int mid = (lo + hi) / 2, c = strcmp(b->sni[mid].name, name);

		if (!c)
			c = b->sni[mid].wild - wild;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->nsni && !strcmp(b->sni[lo].name, name) && b->sni[lo].wild == wild ? lo : -1;
}

/* Is <inst> excluded from <name> by one of its negative filters? */
static int negated(const struct ssl_bind_rt *b, const struct ckch_inst *inst, int ex, int wi, const char *dot)
{
	for (int k = ex; k >= 0 && k < b->nsni && b->sni[k].wild == 0 && !strcmp(b->sni[k].name, b->sni[ex].name); k++)
		if (b->sni[k].neg && b->sni[k].inst == inst)
			return 1;
	for (int k = wi; k >= 0 && dot && k < b->nsni && b->sni[k].wild && !strcmp(b->sni[k].name, dot); k++)
		if (b->sni[k].neg && b->sni[k].inst == inst)
			return 1;
	return 0;
}

static struct ckch_inst *pick(const struct ssl_bind_rt *b, int from, int ex, int wi, const char *dot, int ecdsa_ok)
{
	struct ckch_inst *ec = NULL, *rsa = NULL, *any = NULL;
	const struct sni_ent *first = from >= 0 ? &b->sni[from] : NULL;

	for (int k = from; first && k < b->nsni && b->sni[k].wild == first->wild &&
	     !strcmp(b->sni[k].name, first->name); k++) {
		struct ckch_inst *i = b->sni[k].inst;
		int t;

		if (b->sni[k].neg || negated(b, i, ex, wi, dot))
			continue;
		t = i->key_type;
		if (t == EVP_PKEY_EC) {
			if (ecdsa_ok && !ec)
				ec = i;
		} else if (t == EVP_PKEY_RSA || t == EVP_PKEY_RSA_PSS) {
			if (!rsa)
				rsa = i;
		} else if (!any) {
			any = i;
		}
		if (t == EVP_PKEY_EC && !ecdsa_ok && !any)
			any = i;
	}
	return ec ? ec : rsa ? rsa : any;
}

static struct ckch_inst *sni_lookup(const struct ssl_bind_rt *b, const char *name, int ecdsa_ok)
{
	const char *dot = strchr(name, '.');
	int ex = lower_bound(b, name, 0), wi = dot ? lower_bound(b, dot, 1) : -1;
	struct ckch_inst *i = pick(b, ex, ex, wi, dot, ecdsa_ok);

	return i ? i : pick(b, wi, ex, wi, dot, ecdsa_ok);
}

/* Can the client verify ECDSA signatures? Its signature_algorithms
 * (TLS 1.2 and 1.3), else its cipher suites (older clients). */
static int client_ecdsa(SSL *ssl)
{
	const unsigned char *p;
	size_t len;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &p, &len) && len >= 2) {
		size_t l = ((size_t)p[0] << 8) | p[1];

		if (l > len - 2)
			l = len - 2;
		for (size_t k = 2; k + 1 < 2 + l; k += 2)
			if (p[k + 1] == 3 && p[k] >= 2 && p[k] <= 6)   /* ecdsa with sha1..sha512 */
				return 1;
		return 0;
	}
	len = SSL_client_hello_get0_ciphers(ssl, &p);
	for (size_t k = 0; k + 1 < len; k += 2) {
		const SSL_CIPHER *c = SSL_CIPHER_find(ssl, p + k);

		if (c && SSL_CIPHER_get_auth_nid(c) == NID_auth_ecdsa)
			return 1;
	}
	return 0;
}

/* The host name of the server_name extension, lowercase. 1 found, 0 not. */
static int client_sni(SSL *ssl, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t len, l;

	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5)
		return 0;
	l = ((size_t)p[0] << 8) | p[1];
	if (l + 2 > len || p[2] != TLSEXT_NAMETYPE_host_name)
		return 0;
	l = ((size_t)p[3] << 8) | p[4];
	if (!l || l + 5 > len || l >= outlen || memchr(p + 5, 0, l))
		return 0;
	memcpy(out, p + 5, l);
	out[l] = 0;
	ssl_lower(out);
	return 1;
}

int ssl_client_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct ssl_bind_rt *b = arg;
	struct ckch_inst *i = NULL;
	char name[256];
	SSL_CTX *ctx;
	int have = client_sni(ssl, name, sizeof(name));

	pthread_rwlock_rdlock(&b->lock);
	if (have)
		i = sni_lookup(b, name, client_ecdsa(ssl));
	if (!i && !(b->sc->o.flags & SSLO_STRICT_SNI))
		i = b->def;
	if (!i || !(ctx = i->ctx) || !SSL_CTX_up_ref(ctx)) {
		pthread_rwlock_unlock(&b->lock);
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	pthread_rwlock_unlock(&b->lock);
	ssl_switch_ctx(ssl, ctx);
	SSL_CTX_free(ctx);   /* the SSL holds its own reference now */
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* ---- crt-lists ------------------------------------------------------------------ */

struct crtlist *crtlist_find(struct ssl_cfg_rt *rt, const char *path)
{
	struct list *l;

	list_for_each(l, &rt->crtlists) {
		struct crtlist *c = list_entry(l, struct crtlist, link);

		if (!strcmp(c->path, path))
			return c;
	}
	return NULL;
}

void crtlist_entry_free(struct crtlist_entry *e)
{
	if (!e)
		return;
	list_del(&e->link);
	if (e->o) {
		ssl_opts_free(e->o);
		free(e->o);
	}
	for (int k = 0; k < e->nfilters; k++)
		free(e->filters[k]);
	free(e->filters);
	free(e);
}

void crtlist_free(struct crtlist *l)
{
	if (!l)
		return;
	while (!list_empty(&l->entries))
		crtlist_entry_free(list_entry(l->entries.next, struct crtlist_entry, link));
	list_del(&l->link);
	free(l->path);
	free(l);
}

/* Split <s> in place into words (spaces and tabs). */
static int words(char *s, char **v, int max)
{
	int n = 0;

	while (*s) {
		while (*s == ' ' || *s == '\t')
			*s++ = 0;
		if (!*s)
			break;
		if (n == max)
			return -1;
		v[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

int crtlist_parse_line(struct ssl_cfg_rt *rt, const char *line, int lineno, struct crtlist_entry **out,
		       struct ssl_msgs *m, int store_only)
{
	char *buf = strdup(line), *p, *open, *close = NULL, *v[64], err[512];
	struct crtlist_entry *e = calloc(1, sizeof(*e));
	const char *base = rt->cfg->g.ssl.crt_base;
	char *path = NULL;
	int n, force = 0;

	*out = NULL;
	if (!buf || !e)
		goto oom;
	list_init(&e->link);
	e->line = lineno;
	p = buf + strspn(buf, " \t");
	/* the certificate, then [options], then filters */
	open = strchr(p, '[');
	if (open) {
		if (!(close = strchr(open, ']'))) {
			ssl_err(m, "line %d: missing ']' after the SSL options.", lineno);
			goto fail;
		}
		*open = 0;
		*close = 0;
	}
	n = words(p, v, 64);
	if (n < 1) {
		ssl_err(m, "line %d: no certificate.", lineno);
		goto fail;
	}
	if (!(path = ssl_path_join(base, v[0])))
		goto oom;
	if (open && n > 1) {
		ssl_err(m, "line %d: SNI filters must come after the SSL options ('%s').", lineno, v[1]);
		goto fail;
	}
	if (!open && n > 1) {
		/* no options: the rest are filters */
		for (int k = 1; k < n; k++) {
			char **nf = realloc(e->filters, sizeof(*nf) * (size_t)(e->nfilters + 1));

			if (!nf || !(nf[e->nfilters] = strdup(v[k]))) {
				if (nf)
					e->filters = nf;
				goto oom;
			}
			e->filters = nf;
			e->nfilters++;
		}
	}
	if (open) {
		int no = words(open + 1, v, 64);

		if (no < 0) {
			ssl_err(m, "line %d: too many SSL options.", lineno);
			goto fail;
		}
		if (no > 0 && !(e->o = calloc(1, sizeof(*e->o))))
			goto oom;
		for (int k = 0; k < no;) {
			const char *why = ssl_opt_refused(v[k]);
			int r;

			if (why) {
				ssl_err(m, "line %d: '%s' %s.", lineno, v[k], why);
				goto fail;
			}
			r = ssl_opt_word(e->o, &force, SSLP_CRTLIST, v, k, no, err, sizeof(err));
			if (r < 0) {
				ssl_err(m, "line %d: %s.", lineno, err);
				goto fail;
			}
			if (!r) {
				ssl_err(m, "line %d: unknown ssl keyword '%s' (crt-list lines support alpn, ca-file, "
					"ca-verify-file, ciphers, ciphersuites, crl-file, curves, ecdhe, no-ca-names, "
					"ssl-min-ver, ssl-max-ver, verify).", lineno, v[k]);
				goto fail;
			}
			k += r;
		}
		/* filters after ']' */
		n = words(close + 1, v, 64);
		for (int k = 0; k < n; k++) {
			char **nf = realloc(e->filters, sizeof(*nf) * (size_t)(e->nfilters + 1));

			if (!nf || !(nf[e->nfilters] = strdup(v[k]))) {
				if (nf)
					e->filters = nf;
				goto oom;
			}
			e->filters = nf;
			e->nfilters++;
		}
		if (e->o && (e->o->set & SSLS_CA) && e->o->ca_file && !strchr("/@", *e->o->ca_file) &&
		    ssl_path_rebase(&e->o->ca_file, rt->cfg->g.ssl.ca_base) < 0)
			goto oom;
		if (e->o && e->o->ca_verify_file && *e->o->ca_verify_file != '/' &&
		    ssl_path_rebase(&e->o->ca_verify_file, rt->cfg->g.ssl.ca_base) < 0)
			goto oom;
		if (e->o && e->o->crl_file && *e->o->crl_file != '/' &&
		    ssl_path_rebase(&e->o->crl_file, rt->cfg->g.ssl.ca_base) < 0)
			goto oom;
	}
	if (store_only ? !(e->c = ckch_find(rt, path)) : !(e->c = ckch_get(rt, path, m))) {
		if (store_only)
			ssl_err(m, "certificate '%s' does not exist! (create it with 'new ssl cert', 'set ssl cert' "
				"and 'commit ssl cert' first)", path);
		goto fail;
	}
	free(path);
	free(buf);
	*out = e;
	return 0;
oom:
	ssl_err(m, "out of memory");
fail:
	free(path);
	free(buf);
	crtlist_entry_free(e);
	return -1;
}

static int reserved_ext(const char *name)
{
	static const char *const ext[] = { ".key", ".issuer", ".ocsp", ".sctl" };
	size_t l = strlen(name);

	for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
		size_t e = strlen(ext[k]);

		if (l > e && !strcmp(name + l - e, ext[k]))
			return 1;
	}
	return 0;
}

static int dir_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && !reserved_ext(d->d_name);
}

struct crtlist *crtlist_load(struct ssl_cfg_rt *rt, const char *path, int is_dir, struct ssl_msgs *m)
{
	struct crtlist *l = crtlist_find(rt, path);
	int ok = 1;

	if (l)
		return l;
	if (!(l = calloc(1, sizeof(*l))) || !(l->path = strdup(path))) {
		free(l);
		ssl_err(m, "out of memory");
		return NULL;
	}
	list_init(&l->entries);
	list_init(&l->link);
	l->is_dir = is_dir;
	if (is_dir) {
		struct dirent **names = NULL;
		int n = scandir(path, &names, dir_filter, alphasort);

		if (n < 0) {
			ssl_err(m, "unable to scan directory '%s' : %s.", path, strerror(errno));
			ok = 0;
		}
		for (int k = 0; k < n; k++) {
			char *full = NULL;
			struct stat st;
			struct crtlist_entry *e;

			if (ok && asprintf(&full, "%s/%s", path, names[k]->d_name) < 0)
				full = NULL;
			if (ok && full && !stat(full, &st) && S_ISREG(st.st_mode)) {
				if (!(e = calloc(1, sizeof(*e))) || !(e->c = ckch_get(rt, full, m))) {
					free(e);
					ok = 0;
				} else {
					list_init(&e->link);
					list_add_tail(&l->entries, &e->link);
				}
			}
			free(full);
			free(names[k]);
		}
		free(names);
	} else {
		FILE *f = ssl_plain_file(path, 0) < 0 ? NULL : fopen(path, "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		int lineno = 0;

		if (!f) {
			ssl_err(m, "'crt-list' : cannot open file '%s' : %s", path,
				errno == EINVAL ? "not a regular file" : strerror(errno));
			crtlist_free(l);
			return NULL;
		}
		while ((len = getline(&line, &cap, f)) >= 0) {
			struct crtlist_entry *e;
			char *s = line;

			lineno++;
			while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
				s[--len] = 0;
			s += strspn(s, " \t");
			if (!*s || *s == '#')
				continue;
			{
				/* messages name the list and its line */
				struct ssl_msgs sub = *m;
				char msgbuf[1024] = "";
				int before = m->nerr;

				sub.buf = msgbuf;
				sub.len = sizeof(msgbuf);
				sub.r = NULL;
				sub.nerr = 0;
				if (crtlist_parse_line(rt, s, lineno, &e, &sub, 0) < 0) {
					m->nerr = before;
					ssl_err(m, "'crt-list' file '%s': %s", path, msgbuf);
					ok = 0;
					continue;
				}
			}
			list_add_tail(&l->entries, &e->link);
		}
		free(line);
		fclose(f);
	}
	if (!ok) {
		crtlist_free(l);
		return NULL;
	}
	list_add_tail(&rt->crtlists, &l->link);
	return l;
}

/* ---- building a bind ------------------------------------------------------------- */

static int add_inst(struct ssl_bind_rt *b, struct ckch *c, struct crtlist_entry *e, struct ssl_cfg_rt *rt,
		    struct ssl_msgs *m)
{
	struct ckch_inst *i = ssl_inst_new(b, c, e, rt, m);

	if (!i)
		return -1;
	list_add_tail(&b->insts, &i->link);
	if (!b->def)
		b->def = i;
	return 0;
}

static int add_list(struct ssl_bind_rt *b, struct crtlist *l, struct ssl_cfg_rt *rt, struct ssl_msgs *m)
{
	struct crtlist **nl = realloc(b->lists, sizeof(*nl) * (size_t)(b->nlists + 1));
	struct list *p;
	int ret = 0;

	if (!nl) {
		ssl_err(m, "out of memory");
		return -1;
	}
	b->lists = nl;
	b->lists[b->nlists++] = l;

	list_for_each(p, &l->entries) {
		struct crtlist_entry *e = list_entry(p, struct crtlist_entry, link);

		if (add_inst(b, e->c, e, rt, m) < 0)
			ret = -1;
	}
	return ret;
}

/* `crt PATH`: a file, a bundle, or a directory. */
static int add_crt(struct ssl_bind_rt *b, const char *path, struct ssl_cfg_rt *rt, struct ssl_msgs *m)
{
	static const char *const bundle[] = { ".rsa", ".ecdsa", ".dsa" };
	struct stat st;
	struct crtlist *l;
	struct ckch *c;
	int found = 0;

	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		if (!(l = crtlist_load(rt, path, 1, m)))
			return -1;
		return add_list(b, l, rt, m);
	}
	if (stat(path, &st) < 0 && errno == ENOENT) {
		for (size_t k = 0; k < sizeof(bundle) / sizeof(bundle[0]); k++) {
			char *member = NULL;

			if (asprintf(&member, "%s%s", path, bundle[k]) < 0)
				return -1;
			if (!stat(member, &st)) {
				found = 1;
				if (!(c = ckch_get(rt, member, m)) || add_inst(b, c, NULL, rt, m) < 0) {
					free(member);
					return -1;
				}
				c->direct = 1;
			}
			free(member);
		}
		if (found)
			return 0;
	}
	if (!(c = ckch_get(rt, path, m)))
		return -1;
	c->direct = 1;
	return add_inst(b, c, NULL, rt, m);
}

int ssl_bind_build(struct ssl_cfg_rt *rt, struct bind_conf *bc, struct ssl_msgs *m)
{
	struct ssl_bind_conf *sc = bc->ssl;
	const struct ssl_global *g = &rt->cfg->g.ssl;
	struct ssl_bind_rt *b;
	int before = m->nerr;

	if (sc->rt)
		return 0;   /* the other addresses of the same line share it */
	if (!(b = calloc(1, sizeof(*b)))) {
		ssl_err(m, "out of memory");
		return -1;
	}
	b->sc = sc;
	b->bc = bc;
	list_init(&b->insts);
	pthread_rwlock_init(&b->lock, NULL);
	sc->rt = b;
	if (!(sc->o.flags & SSLO_NO_TICKETS)) {
		b->tk = sc->tls_ticket_keys ? tkeys_load(rt, sc->tls_ticket_keys, m) : tkeys_generated(rt);
		if (!b->tk)
			return -1;
	}
	if (!(b->initial = ssl_ctx_bind_initial(b, g, m)))
		return -1;
	for (int k = 0; k < sc->ncrts; k++) {
		const struct ssl_crt_src *s = &sc->crts[k];
		char *path = s->type == SSL_CRT_FILE ? ssl_path_join(g->crt_base, s->path) : strdup(s->path);
		struct crtlist *l;

		if (!path) {
			ssl_err(m, "out of memory");
			return -1;
		}
		if (s->type == SSL_CRT_FILE)
			add_crt(b, path, rt, m);
		else if ((l = crtlist_load(rt, path, 0, m)))
			add_list(b, l, rt, m);
		free(path);
	}
	if (m->nerr > before)
		return -1;
	if (!b->def) {
		ssl_err(m, "no SSL certificate specified for %s (use 'crt').", sc->where);
		return -1;
	}
	if (ssl_bind_reindex(b) < 0) {
		ssl_err(m, "out of memory");
		return -1;
	}
	return 0;
}

void ssl_bind_free(struct ssl_bind_rt *b)
{
	if (!b)
		return;
	while (!list_empty(&b->insts))
		ssl_inst_free(list_entry(b->insts.next, struct ckch_inst, link));
	ents_free(b->sni, b->nsni);
	SSL_CTX_free(b->initial);
	free(b->alpn);
	free(b->lists);
	pthread_rwlock_destroy(&b->lock);
	free(b);
}

int ssl_bind_uses_list(const struct ssl_bind_rt *b, const struct crtlist *l)
{
	for (int k = 0; k < b->nlists; k++)
		if (b->lists[k] == l)
			return 1;
	return 0;
}

void ssl_binds_using(struct ssl_cfg_rt *rt, const struct crtlist *l, void (*fn)(struct ssl_bind_rt *, void *), void *arg)
{
	struct list *pl, *bl;

	list_for_each(pl, &rt->cfg->proxies) {
		struct proxy *px = list_entry(pl, struct proxy, link);

		list_for_each(bl, &px->binds) {
			struct bind_conf *bc = list_entry(bl, struct bind_conf, link);
			struct ssl_bind_rt *b = bc->ssl ? bc->ssl->rt : NULL;

			if (b && b->bc == bc && ssl_bind_uses_list(b, l))
				fn(b, arg);
		}
	}
}
