/* `userlist` sections and HTTP Basic authentication (http_auth,
 * http_auth_group, `http-request auth`). Passwords are crypt(3) hashes
 * (`password`) or clear text (`insecure-password`), HAProxy's two forms.
 * crypt_r() is used with one work area per thread, so checks on several
 * threads never share state. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/h1.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include "rules_int.h"

struct userlist *userlist_find(const struct rules_cfg *rc, const char *name)
{
	for (struct userlist *u = rc ? rc->userlists : NULL; u; u = u->next)
		if (!strcmp(u->name, name))
			return u;
	return NULL;
}

static __thread struct crypt_data *tls_crypt;

void userlist_thread_free(void)
{
	free(tls_crypt);
	tls_crypt = NULL;
}

/* Compare in time independent of where the strings differ. */
static int same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int userlist_check(const struct userlist *ul, const char *user, const char *pass)
{
	for (int i = 0; i < ul->nuser; i++) {
		const struct ul_user *u = &ul->user[i];
		const char *h;

		if (strcmp(u->name, user))
			continue;
		if (!u->pass)
			return -1;
		if (u->insecure)
			return same(u->pass, pass) ? i : -1;
		if (!tls_crypt && !(tls_crypt = calloc(1, sizeof(*tls_crypt))))
			return -1;
		h = crypt_r(pass, u->pass, tls_crypt);
		return h && h[0] != '*' && same(h, u->pass) ? i : -1;
	}
	return -1;
}

/* The Authorization (or Proxy-Authorization) value: scheme and the rest. */
static int auth_header(const struct h1_msg *req, int proxy_auth, struct h1_str *scheme, struct h1_str *cred)
{
	const struct h1_hdr *h = h1_find_hdr(req, proxy_auth ? "proxy-authorization" : "authorization");
	const char *p, *e, *sp;

	if (!h)
		return 0;
	p = h->value.p;
	e = p + h->value.len;
	for (sp = p; sp < e && *sp != ' '; sp++)
		;
	scheme->p = p;
	scheme->len = (uint32_t)(sp - p);
	while (sp < e && *sp == ' ')
		sp++;
	cred->p = sp;
	cred->len = (uint32_t)(e - sp);
	return 1;
}

int http_auth_basic(struct smp_ctx *ctx, const struct h1_msg *req, int proxy_auth,
		    const char **user, const char **pass, const char **type, size_t *type_len)
{
	struct h1_str scheme, cred;
	char *buf, *colon;
	long n;

	*type = NULL;
	if (!auth_header(req, proxy_auth, &scheme, &cred))
		return 0;
	*type = scheme.p;
	*type_len = scheme.len;
	if (scheme.len != 5 || strncasecmp(scheme.p, "basic", 5))
		return 0;
	if (!(buf = smp_alloc(ctx, cred.len * 3 / 4 + 4)) || (n = b64_decode(cred.p, cred.len, buf, 0)) < 0)
		return 0;
	buf[n] = 0;
	if (strlen(buf) != (size_t)n || !(colon = strchr(buf, ':')))
		return 0;
	*colon = 0;
	*user = buf;
	*pass = colon + 1;
	return 1;
}

int userlist_check_req(const struct userlist *ul, const struct h1_msg *req)
{
	struct h1_str scheme, cred;
	char buf[1024], *colon;
	long n;

	if (!auth_header(req, 0, &scheme, &cred) || scheme.len != 5 || strncasecmp(scheme.p, "basic", 5) ||
	    cred.len * 3 / 4 + 4 > sizeof(buf) || (n = b64_decode(cred.p, cred.len, buf, 0)) < 0)
		return -1;
	buf[n] = 0;
	if (strlen(buf) != (size_t)n || !(colon = strchr(buf, ':')))
		return -1;
	*colon = 0;
	return userlist_check(ul, buf, colon + 1);
}

/* ---- the section ---- */

static int group_index(struct userlist *ul, const char *g, size_t len)
{
	for (int i = 0; i < ul->ngroup; i++)
		if (strlen(ul->group[i]) == len && !memcmp(ul->group[i], g, len))
			return i;
	return -1;
}

struct userlist *userlist_new(struct rules_cfg *rc, const char *name, const char *file, int line, char *err, size_t errlen)
{
	struct userlist *u, **pu;

	if (userlist_find(rc, name)) {
		snprintf(err, errlen, "userlist '%s' is already defined.", name);
		return NULL;
	}
	if (!(u = calloc(1, sizeof(*u))) || !(u->name = strdup(name))) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->file = file;
	u->line = line;
	for (pu = &rc->userlists; *pu; pu = &(*pu)->next)
		;
	*pu = u;
	return u;
}

int userlist_kw(struct userlist *ul, char **args, int nargs, char *err, size_t errlen)
{
	if (!strcmp(args[0], "group")) {
		char **ng;

		if (nargs < 2 || !*args[1]) {
			snprintf(err, errlen, "'group' expects a group name.");
			return -1;
		}
		if (group_index(ul, args[1], strlen(args[1])) >= 0) {
			snprintf(err, errlen, "group '%s' is already defined in userlist '%s'.", args[1], ul->name);
			return -1;
		}
		if (ul->ngroup >= 64) {
			snprintf(err, errlen, "too many groups in userlist '%s' (at most 64).", ul->name);
			return -1;
		}
		if (!(ng = realloc(ul->group, (size_t)(ul->ngroup + 1) * sizeof(*ng))) ||
		    !(ul->grp_users = realloc(ul->grp_users, (size_t)(ul->ngroup + 1) * sizeof(char *)))) {
			if (ng)
				ul->group = ng;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ul->group = ng;
		ul->grp_users[ul->ngroup] = NULL;
		if (!(ng[ul->ngroup] = strdup(args[1]))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ul->ngroup++;
		for (int i = 2; i < nargs; i++) {
			if (!strcmp(args[i], "users") && i + 1 < nargs) {
				free(ul->grp_users[ul->ngroup - 1]);
				if (!(ul->grp_users[ul->ngroup - 1] = strdup(args[++i]))) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
			} else {
				snprintf(err, errlen, "'group' only supports 'users' (got '%s').", args[i]);
				return -1;
			}
		}
		return 0;
	}
	if (!strcmp(args[0], "user")) {
		struct ul_user *nu, *u;
		const char *groups = NULL;

		if (nargs < 2 || !*args[1]) {
			snprintf(err, errlen, "'user' expects a user name.");
			return -1;
		}
		for (int i = 0; i < ul->nuser; i++)
			if (!strcmp(ul->user[i].name, args[1])) {
				snprintf(err, errlen, "user '%s' is already defined in userlist '%s'.", args[1], ul->name);
				return -1;
			}
		if (!(nu = realloc(ul->user, (size_t)(ul->nuser + 1) * sizeof(*nu)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ul->user = nu;
		u = &nu[ul->nuser];
		memset(u, 0, sizeof(*u));
		if (!(u->name = strdup(args[1]))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ul->nuser++;
		for (int i = 2; i < nargs; i++) {
			if ((!strcmp(args[i], "password") || !strcmp(args[i], "insecure-password")) && i + 1 < nargs) {
				u->insecure = args[i][0] == 'i';
				free(u->pass);
				if (!(u->pass = strdup(args[++i]))) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
			} else if (!strcmp(args[i], "groups") && i + 1 < nargs) {
				groups = args[++i];
			} else {
				snprintf(err, errlen, "'user' supports 'password', 'insecure-password' and 'groups' "
					 "(got '%s').", args[i]);
				return -1;
			}
		}
		if (!u->pass) {
			snprintf(err, errlen, "user '%s' has no password ('password' or 'insecure-password').", u->name);
			return -1;
		}
		if (!u->insecure) {
			/* a hash crypt(3) cannot use would refuse every request: say so now */
			struct crypt_data cd;
			const char *h;

			memset(&cd, 0, sizeof(cd));
			h = crypt_r("tandem-check", u->pass, &cd);
			if (!h || h[0] == '*') {
				snprintf(err, errlen, "user '%s': the password is not a hash crypt(3) supports "
					 "(use 'insecure-password' for clear text).", u->name);
				return -1;
			}
		}
		if (groups) {
			/* resolved now: groups must be declared before users, as in HAProxy */
			for (const char *g = groups; *g;) {
				const char *c = strchr(g, ',');
				size_t l = c ? (size_t)(c - g) : strlen(g);
				int gi = group_index(ul, g, l);

				if (gi < 0) {
					snprintf(err, errlen, "user '%s': no such group '%.*s' in userlist '%s'.",
						 u->name, (int)l, g, ul->name);
					return -1;
				}
				u->groups |= 1ull << gi;
				g += l + (c ? 1 : 0);
			}
		}
		return 0;
	}
	snprintf(err, errlen, "unknown keyword '%s' in 'userlist' section (expects 'group' or 'user').", args[0]);
	return -1;
}

/* `group NAME users a,b`: add the group to those users (after parsing). */
int userlist_resolve(struct userlist *ul, char *err, size_t errlen)
{
	for (int gi = 0; gi < ul->ngroup; gi++) {
		const char *p = ul->grp_users ? ul->grp_users[gi] : NULL;

		while (p && *p) {
			const char *c = strchr(p, ',');
			size_t l = c ? (size_t)(c - p) : strlen(p);
			int found = 0;

			for (int i = 0; i < ul->nuser; i++)
				if (strlen(ul->user[i].name) == l && !memcmp(ul->user[i].name, p, l)) {
					ul->user[i].groups |= 1ull << gi;
					found = 1;
				}
			if (!found) {
				snprintf(err, errlen, "group '%s' of userlist '%s' names unknown user '%.*s'.",
					 ul->group[gi], ul->name, (int)l, p);
				return -1;
			}
			p += l + (c ? 1 : 0);
		}
	}
	return 0;
}

void userlists_free(struct rules_cfg *rc)
{
	while (rc->userlists) {
		struct userlist *u = rc->userlists;

		rc->userlists = u->next;
		for (int i = 0; i < u->nuser; i++) {
			free(u->user[i].name);
			free(u->user[i].pass);
		}
		free(u->user);
		for (int i = 0; i < u->ngroup; i++) {
			free(u->group[i]);
			if (u->grp_users)
				free(u->grp_users[i]);
		}
		free(u->group);
		free(u->grp_users);
		free(u->name);
		free(u);
	}
}
