/* Pattern references, compiled indexes and matching (pattern-t.h).
 *
 * How each method keeps its patterns, and in which order they are tried:
 *   str      without -i: a chained hash on the key (first loaded wins);
 *            with -i: a list in load order, keys kept lower-cased;
 *   beg      a list sorted by decreasing length: the first match is the
 *            longest prefix (what HAProxy's prefix tree returns for maps);
 *   ip       a list sorted by decreasing prefix length (longest match);
 *   others   a list in load order.
 * `get map` calls the hash and the sorted lists "tree", as HAProxy does.
 *
 * Concurrency: the runtime API's thread is the only writer; worker
 * threads read under qsbr_read_lock(). A pattern is complete before a
 * release store links it; an unlinked one is handed to qsbr_retire(). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <tandem/compat.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/regex.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>

#define LOAD(p)     __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

static const char *const match_names[PAT_M_COUNT] = {
	[PAT_M_FOUND] = "found", [PAT_M_BOOL] = "bool", [PAT_M_INT] = "int", [PAT_M_IP] = "ip",
	[PAT_M_BIN] = "bin", [PAT_M_LEN] = "len", [PAT_M_STR] = "str", [PAT_M_BEG] = "beg",
	[PAT_M_SUB] = "sub", [PAT_M_DIR] = "dir", [PAT_M_DOM] = "dom", [PAT_M_END] = "end",
	[PAT_M_REG] = "reg",
};

int pat_match_parse(const char *name)
{
	for (int i = 0; i < PAT_M_COUNT; i++)
		if (!strcmp(name, match_names[i]))
			return i;
	return -1;
}

const char *pat_match_name(int m)
{
	return m >= 0 && m < PAT_M_COUNT ? match_names[m] : "?";
}

int pat_match_default(int type)
{
	switch (type) {
	case SMP_T_BOOL: return PAT_M_BOOL;
	case SMP_T_SINT: return PAT_M_INT;
	case SMP_T_IPV4:
	case SMP_T_IPV6:
	case SMP_T_ADDR: return PAT_M_IP;
	case SMP_T_STR:  return PAT_M_STR;
	default:         return -1;
	}
}

int pat_match_input(int m)
{
	switch (m) {
	case PAT_M_FOUND: return SMP_T_ANY;
	case PAT_M_BOOL:
	case PAT_M_INT:   return SMP_T_SINT;
	case PAT_M_IP:    return SMP_T_ADDR;
	case PAT_M_BIN:   return SMP_T_BIN;
	default:          return SMP_T_STR;
	}
}

/* HAProxy's compatibility matrix (section 7.1). */
int pat_match_accepts(int m, int type)
{
	if (type == SMP_T_ANY || m == PAT_M_FOUND)
		return 1;
	switch (m) {
	case PAT_M_BOOL: return type == SMP_T_BOOL || type == SMP_T_SINT || type == SMP_T_STR;
	case PAT_M_INT:  return type == SMP_T_BOOL || type == SMP_T_SINT || type == SMP_T_STR ||
				type == SMP_T_IPV4 || type == SMP_T_IPV6;
	case PAT_M_IP:   return type == SMP_T_IPV4 || type == SMP_T_IPV6 || type == SMP_T_ADDR ||
				type == SMP_T_STR || type == SMP_T_BIN;
	case PAT_M_BIN:  return type == SMP_T_STR || type == SMP_T_BIN;
	default:         return 1;   /* len and the string methods take anything printable */
	}
}

/* ------------------------------------------------------------------ */
/* parsing patterns                                                    */

/* HAProxy's IPv4 notation: dotted, with the all-zero octets before the
 * last one omitted ("10.12" is 10.0.0.12). Digits and dots only. */
static int parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
	unsigned long part[4];
	int n = 0;
	size_t i = 0;

	if (!len || len > 15)
		return -1;
	while (i < len) {
		unsigned long v = 0;
		size_t st = i;

		if (n == 4)
			return -1;
		while (i < len && isdigit((unsigned char)s[i])) {
			v = v * 10 + (unsigned long)(s[i] - '0');
			if (v > 255)
				return -1;
			i++;
		}
		if (i == st)
			return -1;
		part[n++] = v;
		if (i < len) {
			if (s[i] != '.' || i + 1 == len)
				return -1;
			i++;
		}
	}
	memset(out, 0, 4);
	for (int k = 0; k < n - 1; k++)
		out[k] = (uint8_t)part[k];
	out[3] = (uint8_t)part[n - 1];
	return 0;
}

static void mask_addr(uint8_t *a, int bits, int max)
{
	for (int i = 0; i < max / 8; i++) {
		int keep = bits - i * 8;

		if (keep <= 0)
			a[i] = 0;
		else if (keep < 8)
			a[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

int pat_parse_net(const char *s, size_t len, uint8_t *v6, uint8_t addr[16], uint8_t *bits)
{
	const char *slash = memchr(s, '/', len);
	size_t hl = slash ? (size_t)(slash - s) : len;
	char host[INET6_ADDRSTRLEN + 1];
	long b;

	memset(addr, 0, 16);
	if (parse_ipv4(s, hl, addr) == 0) {
		*v6 = 0;
		b = 32;
		if (slash) {
			const char *m = slash + 1;
			size_t ml = len - hl - 1;
			uint8_t mk[4];
			char *end;
			char tmp[16];

			if (!ml || ml >= sizeof(tmp))
				return -1;
			memcpy(tmp, m, ml);
			tmp[ml] = 0;
			b = strtol(tmp, &end, 10);
			if (*end || end == tmp) {
				uint32_t mask;

				if (parse_ipv4(m, ml, mk) < 0 || memchr(m, '.', ml) == NULL)
					return -1;
				mask = ((uint32_t)mk[0] << 24) | ((uint32_t)mk[1] << 16) | ((uint32_t)mk[2] << 8) | mk[3];
				if (mask & (~mask >> 1))
					return -1;   /* not contiguous */
				for (b = 0; mask & 0x80000000u; mask <<= 1)
					b++;
			} else if (b < 0 || b > 32) {
				return -1;
			}
		}
		*bits = (uint8_t)b;
		mask_addr(addr, (int)b, 32);
		return 0;
	}
	if (!hl || hl > INET6_ADDRSTRLEN)
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (inet_pton(AF_INET6, host, addr) != 1)
		return -1;
	*v6 = 1;
	b = 128;
	if (slash) {
		char tmp[8], *end;
		size_t ml = len - hl - 1;

		if (!ml || ml >= sizeof(tmp))
			return -1;
		memcpy(tmp, slash + 1, ml);
		tmp[ml] = 0;
		b = strtol(tmp, &end, 10);
		if (*end || end == tmp || b < 0 || b > 128)
			return -1;
	}
	*bits = (uint8_t)b;
	mask_addr(addr, (int)b, 128);
	return 0;
}

/* Integer or range "N", "N:M", "N:", ":M" (also with '-'); HAProxy also
 * takes dotted versions "1.2" (major << 16 | minor). */
static int parse_num(const char *s, size_t len, long long *v)
{
	size_t i = 0;
	long long r = 0, minor = 0;
	int neg = 0, dot = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (dot) {
			minor = minor * 10 + (s[i] - '0');
			if (minor > 65535)
				return -1;
		} else {
			if (r > (LLONG_MAX - 9) / 10)
				return -1;
			r = r * 10 + (s[i] - '0');
		}
	}
	if (dot) {
		if (r > 65535)
			return -1;
		r = (r << 16) | minor;
	}
	*v = neg ? -r : r;
	return 0;
}

static int parse_range(const char *s, size_t len, struct pattern *p, char *err, size_t errlen)
{
	const char *sep = NULL;

	/* HAProxy's syntax: the first ':' or '-' separates the bounds (so
	 * integer patterns are positive, as its documentation says) */
	for (size_t i = 0; i < len && !sep; i++)
		if (s[i] == ':' || s[i] == '-')
			sep = s + i;
	if (!len)
		goto bad;
	if (!sep) {
		if (parse_num(s, len, &p->v.range.min) < 0) {
			snprintf(err, errlen, "'%.*s' is not a number", (int)len, s);
			return -1;
		}
		p->v.range.max = p->v.range.min;
		p->v.range.min_set = p->v.range.max_set = 1;
		return 0;
	}
	p->v.range.min_set = sep > s;
	p->v.range.max_set = sep + 1 < s + len;
	if (!p->v.range.min_set && !p->v.range.max_set)
		goto bad;
	if (p->v.range.min_set && parse_num(s, (size_t)(sep - s), &p->v.range.min) < 0)
		goto bad;
	if (p->v.range.max_set && parse_num(sep + 1, (size_t)(s + len - sep - 1), &p->v.range.max) < 0)
		goto bad;
	if (p->v.range.min_set && p->v.range.max_set && p->v.range.min > p->v.range.max)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "'%.*s' is not a valid number range", (int)len, s);
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int pat_parse_value(const char *text, int type, struct sample *out, char *err, size_t errlen)
{
	size_t len = strlen(text);

	memset(out, 0, sizeof(*out));
	switch (type) {
	case SMP_T_SINT: {
		long long v;

		if (parse_num(text, len, &v) < 0 || memchr(text, '.', len)) {
			snprintf(err, errlen, "'%s' is not a valid integer", text);
			return -1;
		}
		out->type = SMP_T_SINT;
		out->u.sint = v;
		return 0;
	}
	case SMP_T_ADDR:
	case SMP_T_IPV4:
	case SMP_T_IPV6: {
		uint8_t v6, bits, a[16];

		if (pat_parse_net(text, len, &v6, a, &bits) < 0 || bits != (v6 ? 128 : 32)) {
			snprintf(err, errlen, "'%s' is not a valid IPv4 or IPv6 address", text);
			return -1;
		}
		out->type = v6 ? SMP_T_IPV6 : SMP_T_IPV4;
		if (v6)
			memcpy(&out->u.ipv6, a, 16);
		else
			memcpy(&out->u.ipv4, a, 4);
		return 0;
	}
	default:
		out->type = SMP_T_STR;
		out->flags = SMP_F_CONST;
		out->u.str.p = text;
		out->u.str.len = len;
		return 0;
	}
}

static uint32_t hash_bytes(const char *p, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619u;
	}
	return h;
}

static void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	/* the key and value bytes live in the same block as the pattern */
	free(p);
}

static void pattern_free_re(struct pattern *p)
{
	regex_free(p->v.re);
	free(p);
}

static void pattern_retire(struct pat_head *h, struct pattern *p)
{
	if (h->match == PAT_M_REG)
		qsbr_retire(p, (void (*)(void *))pattern_free_re);
	else
		qsbr_retire(p, (void (*)(void *))pattern_free);
}

static void pattern_destroy(struct pat_head *h, struct pattern *p)
{
	if (h->match == PAT_M_REG)
		pattern_free_re(p);
	else
		pattern_free(p);
}

/* Compile <e> for <h>: a complete pattern (key and value copied into the
 * same block), or NULL with <err> filled. */
static struct pattern *pattern_build(const struct pat_head *h, const struct pat_elt *e, char *err, size_t errlen)
{
	size_t klen = strlen(e->key);
	size_t vlen = e->value ? strlen(e->value) : 0;
	struct pattern *p = calloc(1, sizeof(*p) + klen + 1 + vlen + 1);
	char *kbuf, *vbuf;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	kbuf = (char *)(p + 1);
	vbuf = kbuf + klen + 1;
	p->elt = (struct pat_elt *)e;
	switch (h->match) {
	case PAT_M_FOUND:
	case PAT_M_BOOL:
		break;
	case PAT_M_INT:
	case PAT_M_LEN:
		if (parse_range(e->key, klen, p, err, errlen) < 0)
			goto fail;
		break;
	case PAT_M_IP:
		if (pat_parse_net(e->key, klen, &p->v.ip.v6, p->v.ip.addr, &p->v.ip.bits) < 0) {
			snprintf(err, errlen, "'%s' is not a valid IPv4 or IPv6 address", e->key);
			goto fail;
		}
		break;
	case PAT_M_BIN:
		if (klen % 2) {
			snprintf(err, errlen, "'%s' is not a valid hexadecimal binary string (odd length)", e->key);
			goto fail;
		}
		for (size_t i = 0; i < klen; i += 2) {
			int a = hexval(e->key[i]), b = hexval(e->key[i + 1]);

			if (a < 0 || b < 0) {
				snprintf(err, errlen, "'%s' is not a valid hexadecimal binary string", e->key);
				goto fail;
			}
			kbuf[i / 2] = (char)(a << 4 | b);
		}
		p->v.str.p = kbuf;
		p->v.str.len = klen / 2;
		break;
	case PAT_M_REG:
		if (!(p->v.re = regex_compile(e->key, klen, h->icase, err, errlen)))
			goto fail;
		break;
	default:
		memcpy(kbuf, e->key, klen);
		if (h->icase)
			for (size_t i = 0; i < klen; i++)
				kbuf[i] = (char)tolower((unsigned char)kbuf[i]);
		p->v.str.p = kbuf;
		p->v.str.len = klen;
		p->hash = hash_bytes(kbuf, klen);
		break;
	}
	if (h->map_type != SMP_T_ANY) {
		const char *v = e->value ? e->value : "";

		if (pat_parse_value(v, h->map_type, &p->value, err, errlen) < 0)
			goto fail_re;
		if (p->value.type == SMP_T_STR) {
			memcpy(vbuf, v, vlen);
			p->value.u.str.p = vbuf;
		}
	}
	return p;
fail_re:
	if (h->match == PAT_M_REG)
		regex_free(p->v.re);
fail:
	free(p);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* indexes: insert / remove                                            */

static struct pat_hash *hash_new(unsigned buckets)
{
	struct pat_hash *t = calloc(1, sizeof(*t) + buckets * sizeof(t->b[0]));

	if (t)
		t->mask = buckets - 1;
	return t;
}

static int uses_hash(const struct pat_head *h)
{
	return h->match == PAT_M_STR && !h->icase;
}

/* Is <a> tried before <b> in a sorted list? */
static int goes_before(const struct pat_head *h, const struct pattern *a, const struct pattern *b)
{
	if (h->match == PAT_M_BEG)
		return a->v.str.len > b->v.str.len;
	if (h->match == PAT_M_IP)
		return a->v.ip.bits > b->v.ip.bits;
	return 0;   /* load order */
}

static void hash_link(struct pat_hash *t, struct pattern *p)
{
	struct pattern **pp = &t->b[p->hash & t->mask];

	/* append: the first entry with a key is the one found */
	while (*pp)
		pp = &(*pp)->next;
	p->next = NULL;
	STORE(*pp, p);
	t->count++;
}

/* Grow the hash: a new table with copies of the patterns is published,
 * the old table and patterns are retired. 0 or -1 (kept as it was). */
static int hash_grow(struct pat_head *h)
{
	struct pat_hash *old = h->hash, *t = hash_new((old->mask + 1) * 4);

	if (!t)
		return -1;
	for (unsigned i = 0; i <= old->mask; i++)
		for (struct pattern *p = old->b[i]; p; p = p->next) {
			size_t extra = p->v.str.len + 1 + (p->value.type == SMP_T_STR ? p->value.u.str.len + 1 : 1);
			struct pattern *c = malloc(sizeof(*c) + extra);
			char *k;

			if (!c) {
				for (unsigned j = 0; j <= t->mask; j++)
					for (struct pattern *q = t->b[j], *n; q; q = n) {
						n = q->next;
						free(q);
					}
				free(t);
				return -1;
			}
			*c = *p;
			k = (char *)(c + 1);
			memcpy(k, p->v.str.p, p->v.str.len);
			k[p->v.str.len] = 0;
			c->v.str.p = k;
			if (p->value.type == SMP_T_STR) {
				memcpy(k + p->v.str.len + 1, p->value.u.str.p, p->value.u.str.len);
				c->value.u.str.p = k + p->v.str.len + 1;
			}
			hash_link(t, c);
		}
	STORE(h->hash, t);
	for (unsigned i = 0; i <= old->mask; i++)
		for (struct pattern *p = old->b[i], *n; p; p = n) {
			n = p->next;
			qsbr_retire(p, (void (*)(void *))pattern_free);
		}
	qsbr_retire(old, free);
	return 0;
}

static int head_insert(struct pat_head *h, struct pattern *p)
{
	struct pattern **pp;

	if (uses_hash(h)) {
		if (!h->hash && !(h->hash = hash_new(16)))
			return -1;
		if (h->hash->count >= 2 * (h->hash->mask + 1) && hash_grow(h) < 0)
			return -1;
		hash_link(h->hash, p);
		return 0;
	}
	for (pp = &h->list; *pp && !goes_before(h, p, *pp); pp = &(*pp)->next)
		;
	p->next = *pp;
	STORE(*pp, p);
	return 0;
}

/* Unlink every pattern of <h> built from <e> (retired, not freed). */
static void head_remove_elt(struct pat_head *h, const struct pat_elt *e)
{
	struct pattern **pp;

	if (uses_hash(h)) {
		if (!h->hash)
			return;
		for (unsigned i = 0; i <= h->hash->mask; i++)
			for (pp = &h->hash->b[i]; *pp;) {
				struct pattern *p = *pp;

				if (p->elt == e) {
					STORE(*pp, p->next);
					h->hash->count--;
					pattern_retire(h, p);
					continue;
				}
				pp = &p->next;
			}
		return;
	}
	for (pp = &h->list; *pp;) {
		struct pattern *p = *pp;

		if (p->elt == e) {
			STORE(*pp, p->next);
			pattern_retire(h, p);
			continue;
		}
		pp = &p->next;
	}
}

/* Replace the pattern built from <e> by <np> in place (same position). */
static void head_replace_elt(struct pat_head *h, const struct pat_elt *e, struct pattern *np)
{
	struct pattern **pp = NULL;

	if (uses_hash(h)) {
		if (h->hash)
			pp = &h->hash->b[np->hash & h->hash->mask];
	} else {
		pp = &h->list;
	}
	for (; pp && *pp; pp = &(*pp)->next)
		if ((*pp)->elt == e) {
			struct pattern *old = *pp;

			np->next = old->next;
			STORE(*pp, np);
			pattern_retire(h, old);
			return;
		}
	/* not found (cannot happen): insert it */
	head_insert(h, np);
}

/* ------------------------------------------------------------------ */
/* references                                                          */

struct pat_ref *pat_ref_new(struct rules_cfg *rc, const char *file, unsigned flags, const char *desc)
{
	struct pat_ref *r = calloc(1, sizeof(*r)), **pr;

	if (!r)
		return NULL;
	if ((file && !(r->file = strdup(file))) || (desc && !(r->desc = strdup(desc)))) {
		free(r->file);
		free(r);
		return NULL;
	}
	r->flags = flags | (file ? PAT_REF_FILE : 0);
	r->elts.next = r->elts.prev = &r->elts;
	r->id = rc->next_ref_id++;
	for (pr = &rc->refs; *pr; pr = &(*pr)->next)
		;
	*pr = r;
	return r;
}

struct pat_ref *pat_ref_find_file(struct rules_cfg *rc, const char *file)
{
	for (struct pat_ref *r = rc->refs; r; r = r->next)
		if (r->file && !strcmp(r->file, file))
			return r;
	return NULL;
}

struct pat_ref *pat_ref_lookup(struct rules_cfg *rc, const char *id, unsigned flags)
{
	if (!rc || !id)
		return NULL;
	if (id[0] == '#') {
		char *end;
		long v = strtol(id + 1, &end, 10);

		if (end == id + 1 || *end)
			return NULL;
		for (struct pat_ref *r = rc->refs; r; r = r->next)
			if (r->id == v && (r->flags & flags))
				return r;
		return NULL;
	}
	for (struct pat_ref *r = rc->refs; r; r = r->next)
		if (r->file && (r->flags & flags) && !strcmp(r->file, id))
			return r;
	return NULL;
}

struct pat_elt *pat_ref_append(struct pat_ref *ref, const char *key, const char *value, int line)
{
	struct pat_elt *e = calloc(1, sizeof(*e));

	if (!e || !(e->key = strdup(key)) || (value && !(e->value = strdup(value)))) {
		if (e)
			free(e->key);
		free(e);
		return NULL;
	}
	e->line = line;
	e->prev = ref->elts.prev;
	e->next = &ref->elts;
	ref->elts.prev->next = e;
	ref->elts.prev = e;
	ref->nelt++;
	return e;
}

static void elt_free(struct pat_elt *e)
{
	free(e->key);
	free(e->value);
	free(e);
}

static void elt_unlink(struct pat_ref *ref, struct pat_elt *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	ref->nelt--;
}

void pat_ref_add_use(struct pat_ref *ref, const char *what, const char *file, int line)
{
	char one[512];
	size_t ol, ul = ref->uses ? strlen(ref->uses) : 0;
	char *n;

	snprintf(one, sizeof(one), "by %s at file '%s' line %d", what, file ? file : "", line);
	ol = strlen(one);
	/* HAProxy lists the latest use first */
	if (!(n = malloc(ol + (ul ? ul + 2 : 0) + 1)))
		return;
	memcpy(n, one, ol);
	if (ul) {
		memcpy(n + ol, ", ", 2);
		memcpy(n + ol + 2, ref->uses, ul);
		ol += ul + 2;
	}
	n[ol] = 0;
	free(ref->uses);
	ref->uses = n;
}

int pat_ref_load(struct pat_ref *ref, int is_map, char *err, size_t errlen)
{
	FILE *f = fopen(ref->file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ln = 0, ret = 0;

	if (!f) {
		snprintf(err, errlen, "failed to open pattern file <%s> (%s)", ref->file, strerror(errno));
		return -1;
	}
	{
		struct stat st;

		/* a device or a pipe would never end (or block): refused */
		if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "pattern file <%s> is not a regular file", ref->file);
			fclose(f);
			return -1;
		}
	}
	ref->file_hash = 1469598103934665603ULL;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line, *end = line + len, *key, *val = NULL;

		/* what the file held, to tell after a reload whether it changed */
		for (ssize_t i = 0; i < len; i++)
			ref->file_hash = (ref->file_hash ^ (unsigned char)line[i]) * 1099511628211ULL;
		ln++;
		while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
			*--end = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (memchr(p, 0, (size_t)(end - p))) {
			snprintf(err, errlen, "file '%s' line %d: NUL byte in pattern", ref->file, ln);
			ret = -1;
			break;
		}
		key = p;
		if (is_map) {
			/* key, blanks, then the value up to the end of the line
			 * (trailing blanks removed, inner ones kept) */
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (*p) {
				*p++ = 0;
				while (*p == ' ' || *p == '\t')
					p++;
			}
			val = p;
			while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = 0;
		} else {
			while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = 0;
		}
		if (!pat_ref_append(ref, key, val, ln)) {
			snprintf(err, errlen, "out of memory");
			ret = -1;
			break;
		}
	}
	if (ret == 0 && ferror(f)) {
		snprintf(err, errlen, "failed to read pattern file <%s> (%s)", ref->file, strerror(errno));
		ret = -1;
	}
	free(line);
	fclose(f);
	return ret;
}

struct pat_head *pat_head_new(struct pat_ref *ref, int match, int icase, int map_type,
			      const char *file, int line, char *err, size_t errlen)
{
	struct pat_head *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ref = ref;
	h->match = (uint8_t)match;
	h->icase = !!icase;
	h->map_type = (uint8_t)map_type;
	h->file = file;
	h->line = line;
	for (struct pat_elt *e = ref->elts.next; e != &ref->elts; e = e->next) {
		char why[512];
		struct pattern *p;

		if (match == PAT_M_FOUND || match == PAT_M_BOOL)
			break;   /* no pattern is ever compared */
		if (!(p = pattern_build(h, e, why, sizeof(why)))) {
			if (ref->file && e->line)
				snprintf(err, errlen, "%s at file '%s' line %d", why, ref->file, e->line);
			else
				snprintf(err, errlen, "%s", why);
			goto fail;
		}
		if (head_insert(h, p) < 0) {
			pattern_destroy(h, p);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	h->next_of_ref = ref->heads;
	ref->heads = h;
	return h;
fail:
	for (struct pattern *p = h->list, *n; p; p = n) {
		n = p->next;
		pattern_destroy(h, p);
	}
	if (h->hash) {
		for (unsigned i = 0; i <= h->hash->mask; i++)
			for (struct pattern *p = h->hash->b[i], *n; p; p = n) {
				n = p->next;
				free(p);
			}
		free(h->hash);
	}
	free(h);
	return NULL;
}

const char *pat_head_idx_name(const struct pat_head *h)
{
	if (uses_hash(h) || (h->match == PAT_M_BEG && !h->icase) || h->match == PAT_M_IP)
		return "tree";
	return "list";
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

static int mem_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != (unsigned char)b[i])
			return 0;
	return 1;
}

/* Compare sample bytes <s> with pattern bytes <p> (lower-cased when icase). */
static int bytes_eq(const char *s, const char *p, size_t n, int icase)
{
	return icase ? mem_ieq(s, p, n) : memcmp(s, p, n) == 0;
}

static int find_sub(const char *s, size_t sl, const char *p, size_t pl, int icase)
{
	if (pl > sl)
		return 0;
	if (!pl)
		return 1;
	if (!icase)
		return memmem(s, sl, p, pl) != NULL;
	for (size_t i = 0; i + pl <= sl; i++)
		if (tolower((unsigned char)s[i]) == (unsigned char)p[0] && mem_ieq(s + i, p, pl))
			return 1;
	return 0;
}

/* Is the pattern a whole "word" of <s>, words being delimited by any
 * character of <delims> or the ends? Delimiters at the ends of the pattern
 * are ignored (HAProxy's dir and dom matches). */
static int match_word(const char *s, size_t sl, const char *p, size_t pl, int icase, const char *delims)
{
	while (pl && strchr(delims, p[0]))
		p++, pl--;
	while (pl && strchr(delims, p[pl - 1]))
		pl--;
	if (!pl || pl > sl)
		return 0;
	for (size_t i = 0; i + pl <= sl; i++) {
		if (i && !strchr(delims, s[i - 1]))
			continue;
		if (!bytes_eq(s + i, p, pl, icase))
			continue;
		if (i + pl == sl || strchr(delims, s[i + pl]))
			return 1;
	}
	return 0;
}

static int range_ok(const struct pattern *p, long long v)
{
	return (!p->v.range.min_set || v >= p->v.range.min) &&
	       (!p->v.range.max_set || v <= p->v.range.max);
}

static int prefix_eq(const uint8_t *a, const uint8_t *net, int bits)
{
	int full = bits / 8;

	if (memcmp(a, net, (size_t)full))
		return 0;
	if (bits % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - bits % 8));

		return (a[full] & m) == net[full];
	}
	return 1;
}

/* HAProxy's rules for matching v4 against v6 (section 7.1.6). */
static int ip_ok(const struct pattern *p, const struct sample *smp)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t v4compat[12] = { 0 };

	if (smp->type == SMP_T_IPV4) {
		uint8_t a6[16];

		if (!p->v.ip.v6)
			return prefix_eq((const uint8_t *)&smp->u.ipv4, p->v.ip.addr, p->v.ip.bits);
		memcpy(a6, v4mapped, 12);
		memcpy(a6 + 12, &smp->u.ipv4, 4);
		return prefix_eq(a6, p->v.ip.addr, p->v.ip.bits);
	}
	if (smp->type == SMP_T_IPV6) {
		const uint8_t *a = smp->u.ipv6.s6_addr;

		if (p->v.ip.v6)
			return prefix_eq(a, p->v.ip.addr, p->v.ip.bits);
		/* ::ffff:a.b.c.d, ::a.b.c.d or 2002:a.b.c.d:: */
		if (!memcmp(a, v4mapped, 12) || !memcmp(a, v4compat, 12))
			return prefix_eq(a + 12, p->v.ip.addr, p->v.ip.bits);
		if (a[0] == 0x20 && a[1] == 0x02)
			return prefix_eq(a + 2, p->v.ip.addr, p->v.ip.bits);
	}
	return 0;
}

static int one_match(const struct pat_head *h, const struct pattern *p, const struct sample *smp)
{
	const char *s = smp->u.str.p;
	size_t sl = smp->u.str.len, pl = p->v.str.len;

	switch (h->match) {
	case PAT_M_INT:
		return range_ok(p, smp->u.sint);
	case PAT_M_LEN:
		return range_ok(p, (long long)sl);
	case PAT_M_IP:
		return ip_ok(p, smp);
	case PAT_M_BIN:
	case PAT_M_STR:
		return sl == pl && bytes_eq(s, p->v.str.p, sl, h->icase);
	case PAT_M_BEG:
		return pl <= sl && bytes_eq(s, p->v.str.p, pl, h->icase);
	case PAT_M_END:
		return pl <= sl && bytes_eq(s + sl - pl, p->v.str.p, pl, h->icase);
	case PAT_M_SUB:
		return find_sub(s, sl, p->v.str.p, pl, h->icase);
	case PAT_M_DIR:
		return match_word(s, sl, p->v.str.p, pl, h->icase, "/");
	case PAT_M_DOM:
		return match_word(s, sl, p->v.str.p, pl, h->icase, "/?.:");
	case PAT_M_REG:
		return regex_match(p->v.re, s, sl);
	default:
		return 0;
	}
}

const struct pattern *pat_match(const struct pat_head *h, const struct sample *smp)
{
	const struct pattern *p, *ret = NULL;

	qsbr_read_lock();
	if (uses_hash(h)) {
		const struct pat_hash *t = LOAD(h->hash);

		if (t) {
			uint32_t hv = hash_bytes(smp->u.str.p, smp->u.str.len);

			for (p = LOAD(t->b[hv & t->mask]); p; p = LOAD(p->next))
				if (p->hash == hv && p->v.str.len == smp->u.str.len &&
				    !memcmp(p->v.str.p, smp->u.str.p, smp->u.str.len)) {
					ret = p;
					break;
				}
		}
	} else {
		for (p = LOAD(h->list); p; p = LOAD(p->next))
			if (one_match(h, p, smp)) {
				ret = p;
				break;
			}
	}
	qsbr_read_unlock();
	return ret;
}

/* ------------------------------------------------------------------ */
/* runtime changes                                                     */

/* Build the patterns of <e> for every index of <ref>: all or none. */
static int build_all(struct pat_ref *ref, const struct pat_elt *e, struct pattern **out, int n,
		     char *err, size_t errlen)
{
	int i = 0;

	for (struct pat_head *h = ref->heads; h; h = h->next_of_ref, i++) {
		if (i >= n)
			break;
		out[i] = NULL;
		if (h->match == PAT_M_FOUND || h->match == PAT_M_BOOL)
			continue;
		if (!(out[i] = pattern_build(h, e, err, errlen))) {
			struct pat_head *g = ref->heads;

			for (int j = 0; j < i; j++, g = g->next_of_ref)
				if (out[j])
					pattern_destroy(g, out[j]);
			return -1;
		}
	}
	return 0;
}

static int nheads(const struct pat_ref *ref)
{
	int n = 0;

	for (const struct pat_head *h = ref->heads; h; h = h->next_of_ref)
		n++;
	return n;
}

int pat_ref_add(struct pat_ref *ref, const char *key, const char *value, char *err, size_t errlen)
{
	ref->gen++;   /* a runtime change: handed over at the next reload */
	int n = nheads(ref), i = 0;
	struct pattern **pats = calloc(n ? n : 1, sizeof(*pats));
	struct pat_elt *e;

	if (!pats || !(e = pat_ref_append(ref, key, value, 0))) {
		free(pats);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (build_all(ref, e, pats, n, err, errlen) < 0) {
		elt_unlink(ref, e);
		elt_free(e);
		free(pats);
		return -1;
	}
	for (struct pat_head *h = ref->heads; h; h = h->next_of_ref, i++)
		if (pats[i] && head_insert(h, pats[i]) < 0)
			pattern_destroy(h, pats[i]);   /* out of memory: this index misses it */
	free(pats);
	return 0;
}

int pat_ref_set_elt(struct pat_ref *ref, struct pat_elt *e, const char *value, char *err, size_t errlen)
{
	ref->gen++;   /* a runtime change: handed over at the next reload */
	int n = nheads(ref), i = 0;
	struct pattern **pats;
	char *nv = strdup(value), *ov;

	if (!nv || !(pats = calloc(n ? n : 1, sizeof(*pats)))) {
		free(nv);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ov = e->value;
	e->value = nv;
	if (build_all(ref, e, pats, n, err, errlen) < 0) {
		e->value = ov;
		free(nv);
		free(pats);
		return -1;
	}
	free(ov);
	for (struct pat_head *h = ref->heads; h; h = h->next_of_ref, i++)
		if (pats[i])
			head_replace_elt(h, e, pats[i]);
	free(pats);
	return 0;
}

int pat_ref_set_key(struct pat_ref *ref, const char *key, const char *value, char *err, size_t errlen)
{
	int n = 0;

	for (struct pat_elt *e = ref->elts.next; e != &ref->elts; e = e->next)
		if (!strcmp(e->key, key)) {
			if (pat_ref_set_elt(ref, e, value, err, errlen) < 0)
				return -1;
			n++;
		}
	return n;
}

void pat_ref_del_elt(struct pat_ref *ref, struct pat_elt *e)
{
	ref->gen++;   /* a runtime change: handed over at the next reload */
	for (struct pat_head *h = ref->heads; h; h = h->next_of_ref)
		head_remove_elt(h, e);
	elt_unlink(ref, e);
	/* patterns of the retired list point to <e> only for the writer;
	 * readers never follow it, so the entry can go now */
	elt_free(e);
}

int pat_ref_del_key(struct pat_ref *ref, const char *key)
{
	int n = 0;

	for (struct pat_elt *e = ref->elts.next, *nx; e != &ref->elts; e = nx) {
		nx = e->next;
		if (!strcmp(e->key, key)) {
			pat_ref_del_elt(ref, e);
			n++;
		}
	}
	return n;
}

void pat_ref_clear(struct pat_ref *ref)
{
	while (ref->elts.next != &ref->elts)
		pat_ref_del_elt(ref, ref->elts.next);
}

struct pat_elt *pat_ref_find_elt(struct pat_ref *ref, unsigned long long id)
{
	for (struct pat_elt *e = ref->elts.next; e != &ref->elts; e = e->next)
		if ((unsigned long long)(uintptr_t)e == id)
			return e;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* release                                                             */

static void head_free(struct pat_head *h)
{
	for (struct pattern *p = h->list, *n; p; p = n) {
		n = p->next;
		pattern_destroy(h, p);
	}
	if (h->hash) {
		for (unsigned i = 0; i <= h->hash->mask; i++)
			for (struct pattern *p = h->hash->b[i], *n; p; p = n) {
				n = p->next;
				free(p);
			}
		free(h->hash);
	}
	free(h);
}

void pat_refs_free(struct rules_cfg *rc)
{
	qsbr_reclaim();
	while (rc->refs) {
		struct pat_ref *r = rc->refs;

		rc->refs = r->next;
		while (r->heads) {
			struct pat_head *h = r->heads;

			r->heads = h->next_of_ref;
			head_free(h);
		}
		while (r->elts.next != &r->elts) {
			struct pat_elt *e = r->elts.next;

			elt_unlink(r, e);
			elt_free(e);
		}
		free(r->file);
		free(r->desc);
		free(r->uses);
		free(r);
	}
}
