/* Types of the stats exports beyond CSV (stats_export.h): the per-second
 * rate history, the Prometheus content type, the embedded dashboard
 * sources. */
#ifndef TANDEM_STATS_EXPORT_T_H
#define TANDEM_STATS_EXPORT_T_H
#include <stddef.h>
#include <stdint.h>

/* ---- per-second rates (src/admin/stats_rate.c; see stats_export.h) ---- */
enum { RATE_SESS = 0, RATE_REQ, RATE_ERR, RATE_NVAL };
#define RATE_MIN_MS   1000u   /* shortest span a rate is computed over */
#define RATE_SAMPLES  4       /* samples kept */

struct rate_ent {
	const void *key;          /* the row's struct counters */
	uint64_t v[RATE_NVAL];
};

/* A private copy of the reference sample, for one rendering. */
struct rate_ref {
	uint64_t t_ms;            /* when the reference was taken, 0 = none */
	uint64_t now_ms;          /* time of this rendering */
	struct rate_ent *ents;    /* sorted by key */
	int n;
};

/* Content type of the Prometheus text exposition format 0.0.4 (/metrics). */
#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- embedded dashboard sources (src/admin/www_gen.c) ---- */
struct www_file {
	const char *name;         /* file name inside src/admin/www/ */
	const char *data;
	size_t len;
};

#endif
