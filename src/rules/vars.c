/* Variables (HAProxy's set-var / var()): names are registered at load
 * ("txn.foo" gets an id), values live in stores the stream owns (one for
 * the client connection, one for the transaction), indexed by id.
 *
 * A store entry is valid while its generation is the store's generation
 * for the variable's scope: forgetting every variable of a scope at the
 * end of a request is one increment. The proc scope is one process-wide
 * store under a mutex (values are copied out on read). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>

static const char *const scope_names[VS_COUNT] = { "proc", "sess", "txn", "req", "res", "check" };

int vars_register(struct rules_cfg *rc, const char *name, size_t len, char *err, size_t errlen)
{
	int scope = -1;
	size_t sl = 0;
	char **nn;
	uint8_t *ns;

	for (int i = 0; i < VS_COUNT; i++) {
		sl = strlen(scope_names[i]);
		if (len > sl + 1 && !memcmp(name, scope_names[i], sl) && name[sl] == '.') {
			scope = i;
			break;
		}
	}
	if (scope < 0) {
		snprintf(err, errlen, "invalid variable name '%.*s'. A variable name must be start by its scope. "
			 "The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'", (int)len, name);
		return -1;
	}
	for (size_t i = sl + 1; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' && name[i] != '_') {
			snprintf(err, errlen, "invalid character '%c' in variable name '%.*s' (letters, digits, '.' and '_')",
				 name[i], (int)len, name);
			return -1;
		}
	if (!rc) {
		snprintf(err, errlen, "variables are not available here");
		return -1;
	}
	for (int i = 0; i < rc->nvar; i++)
		if (strlen(rc->var_name[i]) == len && !memcmp(rc->var_name[i], name, len))
			return i;
	nn = realloc(rc->var_name, (rc->nvar + 1) * sizeof(*nn));
	if (nn)
		rc->var_name = nn;
	ns = realloc(rc->var_scope, (size_t)(rc->nvar + 1));
	if (ns)
		rc->var_scope = ns;
	if (!nn || !ns || !(nn[rc->nvar] = strndup(name, len))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ns[rc->nvar] = (uint8_t)scope;
	return rc->nvar++;
}

int vars_scope(const struct rules_cfg *rc, int id)
{
	return rc && id >= 0 && id < rc->nvar ? rc->var_scope[id] : -1;
}

static struct var_store proc_store;
static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;

/* The store of <scope>; <create>: a connection's sess store is made on
 * its first set (ctx->sess_home says where the connection keeps it). */
static struct var_store *store_of(struct smp_ctx *ctx, int scope, int create)
{
	switch (scope) {
	case VS_PROC: return &proc_store;
	case VS_SESS:
		if (!ctx->sess_vars && create && ctx->sess_home) {
			if (!*ctx->sess_home)
				*ctx->sess_home = calloc(1, sizeof(struct var_store));
			ctx->sess_vars = *ctx->sess_home;
		}
		return ctx->sess_vars;
	case VS_TXN:
	case VS_REQ:
	case VS_RES:  return ctx->txn_vars;
	default:      return NULL;
	}
}

/* The entry for <id> in <vs>, allocating the array on first use. */
static struct var_ent *entry(struct var_store *vs, const struct rules_cfg *rc, int id)
{
	if (id >= vs->n) {
		/* all names are registered at load: this runs once per store */
		int n = rc->nvar > id ? rc->nvar : id + 1;
		struct var_ent *ne = realloc(vs->ent, (size_t)n * sizeof(*ne));

		if (!ne)
			return NULL;
		memset(ne + vs->n, 0, (size_t)(n - vs->n) * sizeof(*ne));
		vs->ent = ne;
		vs->n = n;
	}
	return &vs->ent[id];
}

int vars_set(struct smp_ctx *ctx, int id, const struct sample *smp)
{
	int scope = vars_scope(ctx->rcfg, id);
	struct var_store *vs = scope >= 0 ? store_of(ctx, scope, 1) : NULL;
	struct var_ent *e;
	int ok = 0;

	if (!vs)
		return 0;
	if (scope == VS_PROC)
		pthread_mutex_lock(&proc_lock);
	if (!(e = entry(vs, ctx->rcfg, id)))
		goto out;
	e->type = smp->type;
	switch (smp->type) {
	case SMP_T_BOOL:
	case SMP_T_SINT:
		e->sint = smp->u.sint;
		break;
	case SMP_T_IPV4:
		e->ip.v4 = smp->u.ipv4;
		break;
	case SMP_T_IPV6:
		e->ip.v6 = smp->u.ipv6;
		break;
	case SMP_T_STR:
	case SMP_T_BIN:
		if (smp->u.str.len + 1 > e->cap) {
			size_t cap = smp->u.str.len + 1 < 32 ? 32 : smp->u.str.len + 1;
			char *nb = realloc(e->buf, cap);

			if (!nb)
				goto out;
			e->buf = nb;
			e->cap = cap;
		}
		memcpy(e->buf, smp->u.str.p, smp->u.str.len);
		e->buf[smp->u.str.len] = 0;
		e->len = smp->u.str.len;
		break;
	default:
		goto out;
	}
	e->gen = vs->gen[scope] + 1;
	ok = 1;
out:
	if (scope == VS_PROC)
		pthread_mutex_unlock(&proc_lock);
	return ok;
}

int vars_get(struct smp_ctx *ctx, int id, struct sample *smp)
{
	int scope = vars_scope(ctx->rcfg, id);
	struct var_store *vs = scope >= 0 ? store_of(ctx, scope, 0) : NULL;
	struct var_ent *e;
	int ok = 0;

	if (!vs)
		return 0;
	if (scope == VS_PROC)
		pthread_mutex_lock(&proc_lock);
	if (!vs->ent || id >= vs->n || (e = &vs->ent[id])->gen != vs->gen[scope] + 1)
		goto out;
	memset(smp, 0, sizeof(*smp));
	smp->type = e->type;
	switch (e->type) {
	case SMP_T_BOOL:
	case SMP_T_SINT:
		smp->u.sint = e->sint;
		break;
	case SMP_T_IPV4:
		smp->u.ipv4 = e->ip.v4;
		break;
	case SMP_T_IPV6:
		smp->u.ipv6 = e->ip.v6;
		break;
	default:
		if (scope == VS_PROC) {
			/* another thread may change it: the reader gets a copy */
			char *p = smp_alloc(ctx, e->len + 1);

			if (!p)
				goto out;
			memcpy(p, e->buf, e->len);
			smp->u.str.p = p;
		} else {
			smp->u.str.p = e->buf;
		}
		smp->u.str.len = e->len;
		smp->flags = SMP_F_CONST;
		break;
	}
	smp->flags |= SMP_F_VOL;
	ok = 1;
out:
	if (scope == VS_PROC)
		pthread_mutex_unlock(&proc_lock);
	return ok;
}

void vars_unset(struct smp_ctx *ctx, int id)
{
	int scope = vars_scope(ctx->rcfg, id);
	struct var_store *vs = scope >= 0 ? store_of(ctx, scope, 0) : NULL;

	if (!vs)
		return;
	if (scope == VS_PROC)
		pthread_mutex_lock(&proc_lock);
	if (vs->ent && id < vs->n)
		vs->ent[id].gen = 0;
	if (scope == VS_PROC)
		pthread_mutex_unlock(&proc_lock);
}

void vars_reset(struct var_store *vs, int scope)
{
	if (vs && scope >= 0 && scope < VS_COUNT)
		vs->gen[scope]++;
}

void vars_store_free(struct var_store *vs)
{
	if (!vs)
		return;
	for (int i = 0; i < vs->n; i++)
		free(vs->ent[i].buf);
	free(vs->ent);
	vs->ent = NULL;
	vs->n = 0;
}

void vars_proc_free(void)
{
	pthread_mutex_lock(&proc_lock);
	vars_store_free(&proc_store);
	pthread_mutex_unlock(&proc_lock);
}
