/* The map converters: map(<file>[,<default>]), map_<match>(...) and
 * map_<match>_<output>(...), HAProxy's 27 names. A map file is loaded
 * once (a reference shared by every use of the same file name) and
 * compiled once per match method and output type; the runtime API changes
 * it while workers read it (pattern.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/rules-t.h>
#include <tandem/sample.h>
#include "rules_int.h"

/* A map keyword's match method and output type. */
struct map_desc {
	uint8_t match;
	uint8_t out;      /* SMP_T_STR, SMP_T_SINT or SMP_T_ADDR */
};

/* Find or build the index of <file> for <d>. */
static struct pat_head *map_head(const struct smp_pctx *pc, const char *file, const struct map_desc *d,
				 char *err, size_t errlen)
{
	struct pat_ref *ref;
	struct pat_head *h;

	if (!pc->rcfg) {
		snprintf(err, errlen, "maps are not available here");
		return NULL;
	}
	if (!(ref = pat_ref_find_file(pc->rcfg, file))) {
		char why[512];

		if (!(ref = pat_ref_new(pc->rcfg, file, PAT_REF_MAP, NULL))) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		if (pat_ref_load(ref, 1, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s", why);
			return NULL;
		}
	} else if ((ref->flags & PAT_REF_ACL) && !(ref->flags & PAT_REF_MAP)) {
		/* loaded as an ACL pattern file (one column): read it as a map */
		snprintf(err, errlen, "file '%s' is already used as an ACL pattern file", file);
		return NULL;
	}
	ref->flags |= PAT_REF_MAP;
	pat_ref_add_use(ref, "map", pc->file, pc->line);
	for (h = ref->heads; h; h = h->next_of_ref)
		if (h->match == d->match && h->map_type == d->out && !h->icase)
			return h;
	return pat_head_new(ref, d->match, 0, d->out, pc->file, pc->line, err, errlen);
}

static int map_check(const struct smp_pctx *pc, struct smp_arg *a, const struct map_desc *d,
		     char *err, size_t errlen)
{
	struct pat_head *h;
	char why[512];

	if (!(h = map_head(pc, a[0].u.str.p, d, why, sizeof(why)))) {
		snprintf(err, errlen, "failed to load map '%s': %s", a[0].u.str.p, why);
		return -1;
	}
	free(a[0].u.str.p);
	a[0].type = ARGT_MAP;
	a[0].u.map = h;
	if (a[1].type == ARGT_STR) {
		struct sample v;

		if (pat_parse_value(a[1].u.str.p, d->out, &v, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "map default value: %s", why);
			return -1;
		}
	}
	return 0;
}

static int map_conv(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, const struct map_desc *d)
{
	const struct pattern *p;
	int ok = 0;

	qsbr_read_lock();
	p = pat_match(a[0].u.map, s);
	if (p) {
		/* copy out: the runtime API may free the pattern once unlocked */
		if (p->value.type == SMP_T_STR) {
			char *o = arena_dup(c, p->value.u.str.p, p->value.u.str.len);

			if (o) {
				smp_set_str(s, o, p->value.u.str.len, 0);
				ok = 1;
			}
		} else {
			*s = p->value;
			s->flags = 0;
			ok = 1;
		}
	}
	qsbr_read_unlock();
	if (p)
		return ok;
	if (a[1].type != ARGT_STR)
		return 0;
	if (d->out == SMP_T_STR) {
		smp_set_str(s, a[1].u.str.p, a[1].u.str.len, SMP_F_CONST);
		return 1;
	}
	{
		char why[64];

		return pat_parse_value(a[1].u.str.p, d->out, s, why, sizeof(why)) == 0;
	}
}

/* One converter function and check per keyword: generated. */
#define MAP_KW(NAME, M, OUT, IN) \
static const struct map_desc d_##NAME = { M, OUT }; \
static int f_##NAME(const struct smp_arg *a, struct sample *s, struct smp_ctx *c) \
{ return map_conv(a, s, c, &d_##NAME); } \
static int k_##NAME(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen) \
{ return map_check(pc, a, &d_##NAME, err, errlen); }

#define STRM(name, M) \
	MAP_KW(name, M, SMP_T_STR, SMP_T_STR) \
	MAP_KW(name##_int, M, SMP_T_SINT, SMP_T_STR) \
	MAP_KW(name##_ip, M, SMP_T_ADDR, SMP_T_STR)

MAP_KW(map, PAT_M_STR, SMP_T_STR, SMP_T_STR)
STRM(map_str, PAT_M_STR)
STRM(map_beg, PAT_M_BEG)
STRM(map_sub, PAT_M_SUB)
STRM(map_dir, PAT_M_DIR)
STRM(map_dom, PAT_M_DOM)
STRM(map_end, PAT_M_END)
STRM(map_reg, PAT_M_REG)
STRM(map_int, PAT_M_INT)
STRM(map_ip, PAT_M_IP)

#define ENT(name, in, out) { #name, f_##name, { ARGT_STR, ARGT_STR }, 1, in, out, 0, k_##name, &d_##name }
#define ENT3(name, in) ENT(name, in, SMP_T_STR), ENT(name##_int, in, SMP_T_SINT), ENT(name##_ip, in, SMP_T_ANY)

const struct smp_conv_kw smp_conv_map[] = {
	ENT(map, SMP_T_STR, SMP_T_STR),
	ENT3(map_str, SMP_T_STR),
	ENT3(map_beg, SMP_T_STR),
	ENT3(map_sub, SMP_T_STR),
	ENT3(map_dir, SMP_T_STR),
	ENT3(map_dom, SMP_T_STR),
	ENT3(map_end, SMP_T_STR),
	ENT3(map_reg, SMP_T_STR),
	ENT3(map_int, SMP_T_SINT),
	ENT3(map_ip, SMP_T_ADDR),
	{ .name = NULL }
};
