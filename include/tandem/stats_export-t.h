/* Types of the stats exports beyond CSV (stats_export.h): the JSON
 * export's options, the Prometheus content type, the embedded dashboard
 * sources. */
#ifndef TANDEM_STATS_EXPORT_T_H
#define TANDEM_STATS_EXPORT_T_H
#include <stddef.h>
#include <stdint.h>

/* ---- options of the JSON export (stats_render_json_opts) ---- */
#define JSON_HISTORY_MAX_S 86400u  /* longest ?history= (state changes; samples stop at HIST_SECS) */

struct json_opts {
	uint32_t history_s;       /* ?history=SECONDS: the last SECONDS of history, 0 = none */
	unsigned history_rows;    /* STO_* rows that carry their samples (?rows=) */
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
