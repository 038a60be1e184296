/* A minimal JSON reader for the unit tests of the JSON export and the
 * dashboard's configuration: strict RFC 8259 syntax (what browsers'
 * JSON.parse accepts), a tree of nodes, lookups by key and index. Not for
 * production: no limits beyond the test documents', leaks on purpose are
 * avoided with jm_free. */
#ifndef TANDEM_JSON_MIN_H
#define TANDEM_JSON_MIN_H
#include <stdlib.h>
#include <string.h>

/* every helper may go unused in a given test */
#define JM_FN static __attribute__((unused))

enum { JM_NULL, JM_BOOL, JM_NUM, JM_STR, JM_ARR, JM_OBJ };

struct jm {
	int type;
	double num;         /* JM_NUM, JM_BOOL (0/1) */
	char *str;          /* JM_STR (decoded, UTF-8) */
	struct jm **kids;   /* JM_ARR, JM_OBJ */
	char **keys;        /* JM_OBJ */
	int n;
};

struct jm_in { const char *p, *end; int err; };

JM_FN struct jm *jm_value(struct jm_in *in);

JM_FN void jm_ws(struct jm_in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

JM_FN struct jm *jm_new(int type)
{
	struct jm *j = calloc(1, sizeof(*j));
	if (j)
		j->type = type;
	return j;
}

JM_FN void jm_free(struct jm *j)
{
	if (!j)
		return;
	for (int i = 0; i < j->n; i++) {
		jm_free(j->kids[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->kids);
	free(j->keys);
	free(j->str);
	free(j);
}

JM_FN int jm_hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A string literal at in->p (the opening quote); returns it decoded. */
JM_FN char *jm_string(struct jm_in *in)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	if (!s || in->p >= in->end || *in->p != '"')
		goto bad;
	in->p++;
	while (in->p < in->end && *in->p != '"') {
		unsigned c = (unsigned char)*in->p++;
		char tmp[4];
		size_t tl = 1;

		if (c < 0x20)
			goto bad;          /* raw control characters are not allowed */
		tmp[0] = (char)c;
		if (c == '\\') {
			if (in->p >= in->end)
				goto bad;
			c = (unsigned char)*in->p++;
			switch (c) {
			case '"': case '\\': case '/': tmp[0] = (char)c; break;
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				unsigned u = 0;
				if (in->end - in->p < 4)
					goto bad;
				for (int i = 0; i < 4; i++) {
					int h = jm_hex(in->p[i]);
					if (h < 0)
						goto bad;
					u = u * 16 + (unsigned)h;
				}
				in->p += 4;
				if (u < 0x80)
					tmp[0] = (char)u;
				else if (u < 0x800) {
					tmp[0] = (char)(0xc0 | (u >> 6));
					tmp[1] = (char)(0x80 | (u & 0x3f));
					tl = 2;
				} else {
					tmp[0] = (char)(0xe0 | (u >> 12));
					tmp[1] = (char)(0x80 | ((u >> 6) & 0x3f));
					tmp[2] = (char)(0x80 | (u & 0x3f));
					tl = 3;
				}
				break;
			}
			default:
				goto bad;
			}
		}
		if (n + tl + 1 > cap) {
			char *ns;
			cap = (n + tl + 1) * 2;
			if (!(ns = realloc(s, cap)))
				goto bad;
			s = ns;
		}
		memcpy(s + n, tmp, tl);
		n += tl;
	}
	if (in->p >= in->end)
		goto bad;
	in->p++;
	s[n] = '\0';
	return s;
bad:
	free(s);
	in->err = 1;
	return NULL;
}

JM_FN struct jm *jm_number(struct jm_in *in)
{
	const char *st = in->p;
	char tmp[64];
	struct jm *j;

	if (in->p < in->end && *in->p == '-')
		in->p++;
	if (in->p >= in->end || *in->p < '0' || *in->p > '9')
		goto bad;
	if (*in->p == '0' && in->p + 1 < in->end && in->p[1] >= '0' && in->p[1] <= '9')
		goto bad;          /* no leading zeros */
	while (in->p < in->end && ((*in->p >= '0' && *in->p <= '9') || *in->p == '.' || *in->p == 'e' ||
				   *in->p == 'E' || *in->p == '+' || *in->p == '-'))
		in->p++;
	if ((size_t)(in->p - st) >= sizeof(tmp))
		goto bad;
	memcpy(tmp, st, (size_t)(in->p - st));
	tmp[in->p - st] = '\0';
	j = jm_new(JM_NUM);
	if (j) {
		char *e;
		j->num = strtod(tmp, &e);
		if (*e || e[-1] == '.') {
			free(j);
			goto bad;
		}
	}
	return j;
bad:
	in->err = 1;
	return NULL;
}

JM_FN int jm_push(struct jm *j, struct jm *kid, char *key)
{
	struct jm **nk = realloc(j->kids, (size_t)(j->n + 1) * sizeof(*nk));
	if (!nk)
		return -1;
	j->kids = nk;
	if (j->type == JM_OBJ) {
		char **ks = realloc(j->keys, (size_t)(j->n + 1) * sizeof(*ks));
		if (!ks)
			return -1;
		j->keys = ks;
		ks[j->n] = key;
	}
	nk[j->n++] = kid;
	return 0;
}

JM_FN struct jm *jm_value(struct jm_in *in)
{
	struct jm *j = NULL;

	jm_ws(in);
	if (in->p >= in->end) {
		in->err = 1;
		return NULL;
	}
	if (*in->p == '{' || *in->p == '[') {
		int obj = *in->p == '{';
		char close = obj ? '}' : ']';

		j = jm_new(obj ? JM_OBJ : JM_ARR);
		in->p++;
		jm_ws(in);
		if (in->p < in->end && *in->p == close) {
			in->p++;
			return j;
		}
		for (;;) {
			char *key = NULL;
			struct jm *kid;

			jm_ws(in);
			if (obj) {
				if (!(key = jm_string(in)))
					break;
				jm_ws(in);
				if (in->p >= in->end || *in->p != ':') {
					free(key);
					in->err = 1;
					break;
				}
				in->p++;
			}
			kid = jm_value(in);
			if (in->err || jm_push(j, kid, key) < 0) {
				jm_free(kid);
				free(key);
				in->err = 1;
				break;
			}
			jm_ws(in);
			if (in->p < in->end && *in->p == ',') {
				in->p++;
				continue;
			}
			if (in->p < in->end && *in->p == close) {
				in->p++;
				return j;
			}
			in->err = 1;
			break;
		}
		jm_free(j);
		return NULL;
	}
	if (*in->p == '"') {
		char *s = jm_string(in);
		if (!s)
			return NULL;
		j = jm_new(JM_STR);
		j->str = s;
		return j;
	}
	if (in->end - in->p >= 4 && !memcmp(in->p, "null", 4)) {
		in->p += 4;
		return jm_new(JM_NULL);
	}
	if (in->end - in->p >= 4 && !memcmp(in->p, "true", 4)) {
		in->p += 4;
		j = jm_new(JM_BOOL);
		j->num = 1;
		return j;
	}
	if (in->end - in->p >= 5 && !memcmp(in->p, "false", 5)) {
		in->p += 5;
		return jm_new(JM_BOOL);
	}
	return jm_number(in);
}

/* Parse a whole document; NULL when it is not exactly one JSON value. */
JM_FN struct jm *jm_parse(const char *s, size_t len)
{
	struct jm_in in = { s, s + len, 0 };
	struct jm *j = jm_value(&in);

	jm_ws(&in);
	if (in.err || in.p != in.end) {
		jm_free(j);
		return NULL;
	}
	return j;
}

/* Member <key> of object <j>, or NULL. */
JM_FN struct jm *jm_get(const struct jm *j, const char *key)
{
	if (!j || j->type != JM_OBJ)
		return NULL;
	for (int i = 0; i < j->n; i++)
		if (!strcmp(j->keys[i], key))
			return j->kids[i];
	return NULL;
}

/* Element <i> of array <j>, or NULL. */
JM_FN struct jm *jm_at(const struct jm *j, int i)
{
	return j && j->type == JM_ARR && i >= 0 && i < j->n ? j->kids[i] : NULL;
}

/* The element of array <j> whose "name" is <name>, or NULL. */
JM_FN struct jm *jm_named(const struct jm *j, const char *name)
{
	for (int i = 0; j && j->type == JM_ARR && i < j->n; i++) {
		const struct jm *nm = jm_get(j->kids[i], "name");
		if (nm && nm->type == JM_STR && !strcmp(nm->str, name))
			return j->kids[i];
	}
	return NULL;
}

JM_FN double jm_num(const struct jm *j, double dflt)
{
	return j && j->type == JM_NUM ? j->num : dflt;
}

#endif
