/* Per-second rates for the JSON export (and so the dashboard).
 *
 * tandem's counters are cumulative; a rate needs two readings and the time
 * between them. Rather than add a timer to every worker, the renderer keeps
 * a tiny per-process history: when a JSON document is built, the current
 * values of every row are recorded as a sample if the newest sample is at
 * least RATE_MIN_MS old (so a page polling every second adds one sample per
 * second whatever the number of open dashboards). A rate is then
 * (value now - value in the reference sample) / elapsed, the reference being
 * the newest sample at least RATE_MIN_MS old: with a dashboard open, rates
 * cover the last 1 to 2 seconds.
 *
 * Several worker threads may render at once. The history sits behind one
 * mutex, taken only by stats requests (never by the traffic path) for the
 * time it takes to walk the rows and copy the reference sample; the
 * rendering itself then works on its private copy without the lock. Samples
 * are keyed by the address of the row's struct counters, which is stable for
 * the life of the process. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/stats.h>
#include <tandem/stats_export.h>

struct sample {
	uint64_t t_ms;            /* monotonic time it was taken */
	struct rate_ent *ents;    /* sorted by key */
	int n;
};

static struct {
	pthread_mutex_t lock;
	struct sample s[RATE_SAMPLES];
	int newest;               /* index of the newest sample */
	int count;                /* samples held (<= RATE_SAMPLES) */
} hist = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t val_u(int field, const struct stat_row *r)
{
	struct stat_val v;

	stats_get(field, r, &v);
	return v.type == STV_U64 ? v.u : 0;
}

void stats_rate_values(const struct stat_row *r, uint64_t v[RATE_NVAL])
{
	v[RATE_SESS] = val_u(ST_F_STOT, r);
	/* a server has no request column: each session routed to it is one request */
	v[RATE_REQ] = r->obj == STO_SRV ? v[RATE_SESS] : val_u(ST_F_REQ_TOT, r);
	if (r->obj == STO_FE)
		v[RATE_ERR] = val_u(ST_F_EREQ, r) + val_u(ST_F_HRSP_5XX, r);
	else
		v[RATE_ERR] = val_u(ST_F_ECON, r) + val_u(ST_F_ERESP, r) + val_u(ST_F_HRSP_5XX, r);
}

static int ent_cmp(const void *a, const void *b)
{
	const struct rate_ent *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int ent_push(struct rate_ent **e, int *n, int *cap, const struct stat_row *r)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 32;
		struct rate_ent *ne = realloc(*e, (size_t)nc * sizeof(*ne));
		if (!ne)
			return -1;
		*e = ne;
		*cap = nc;
	}
	(*e)[*n].key = stats_row_counters(r);
	stats_rate_values(r, (*e)[*n].v);
	(*n)++;
	return 0;
}

/* Read every row of <cfg> into a new sample. Returns 0 or -1. */
static int take_sample(const struct cfg *cfg, uint64_t now_ms, struct sample *out)
{
	struct rate_ent *e = NULL;
	int n = 0, cap = 0;
	struct stat_row r;
	struct list *pp, *sp;

	list_for_each(pp, &cfg->proxies) {
		const struct proxy *px = list_entry(pp, struct proxy, link);
		if (px->cap & PR_CAP_DEF)
			continue;
		if (px->cap & PR_CAP_FE) {
			stats_row_init(&r, cfg, STO_FE, px, NULL);
			if (ent_push(&e, &n, &cap, &r) < 0)
				goto fail;
		}
		if (!(px->cap & PR_CAP_BE))
			continue;
		stats_row_init(&r, cfg, STO_BE, px, NULL);
		if (ent_push(&e, &n, &cap, &r) < 0)
			goto fail;
		list_for_each(sp, &px->servers) {
			stats_row_init(&r, cfg, STO_SRV, px, list_entry(sp, struct server, link));
			if (ent_push(&e, &n, &cap, &r) < 0)
				goto fail;
		}
	}
	if (n)
		qsort(e, (size_t)n, sizeof(*e), ent_cmp);
	out->t_ms = now_ms;
	out->ents = e;
	out->n = n;
	return 0;
fail:
	free(e);
	return -1;
}

int stats_rate_begin(const struct cfg *cfg, uint64_t now_ms, struct rate_ref *ref)
{
	const struct sample *pick = NULL;
	int ret = 0;

	memset(ref, 0, sizeof(*ref));
	ref->now_ms = now_ms;
	pthread_mutex_lock(&hist.lock);
	if (!hist.count || now_ms >= hist.s[hist.newest].t_ms + RATE_MIN_MS) {
		struct sample smp;

		if (take_sample(cfg, now_ms, &smp) == 0) {
			int slot = hist.count ? (hist.newest + 1) % RATE_SAMPLES : 0;
			free(hist.s[slot].ents);   /* the oldest goes when the ring is full */
			hist.s[slot] = smp;
			hist.newest = slot;
			if (hist.count < RATE_SAMPLES)
				hist.count++;
		} else
			ret = -1;
	}
	/* the newest sample old enough to measure against */
	for (int i = 0; i < hist.count; i++) {
		const struct sample *s = &hist.s[(hist.newest - i + RATE_SAMPLES) % RATE_SAMPLES];
		if (now_ms >= s->t_ms + RATE_MIN_MS) {
			pick = s;
			break;
		}
	}
	if (pick && pick->n) {
		ref->ents = malloc((size_t)pick->n * sizeof(*ref->ents));
		if (ref->ents) {
			memcpy(ref->ents, pick->ents, (size_t)pick->n * sizeof(*ref->ents));
			ref->n = pick->n;
			ref->t_ms = pick->t_ms;
		} else
			ret = -1;
	}
	pthread_mutex_unlock(&hist.lock);
	return ret;
}

double stats_rate(const struct rate_ref *ref, const void *key, int which, uint64_t cur)
{
	struct rate_ent k = { .key = key };
	const struct rate_ent *e;

	if (!ref->t_ms || !ref->n || which < 0 || which >= RATE_NVAL || ref->now_ms <= ref->t_ms)
		return 0;
	e = bsearch(&k, ref->ents, (size_t)ref->n, sizeof(k), ent_cmp);
	if (!e || cur < e->v[which])
		return 0;
	return (double)(cur - e->v[which]) * 1000.0 / (double)(ref->now_ms - ref->t_ms);
}

void stats_rate_end(struct rate_ref *ref)
{
	free(ref->ents);
	ref->ents = NULL;
	ref->n = 0;
}

void stats_rate_reset(void)
{
	pthread_mutex_lock(&hist.lock);
	for (int i = 0; i < RATE_SAMPLES; i++) {
		free(hist.s[i].ents);
		hist.s[i].ents = NULL;
		hist.s[i].n = 0;
	}
	hist.count = 0;
	hist.newest = 0;
	pthread_mutex_unlock(&hist.lock);
}
