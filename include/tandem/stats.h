/* Stats rendering. One table of columns (see src/admin/stats.c) feeds every
 * format so that HTML, CSV and JSON never disagree. */
#ifndef TANDEM_STATS_H
#define TANDEM_STATS_H
#include <stddef.h>
#include <stdint.h>
#include <tandem/proxy-t.h>
#include <tandem/stats-t.h>

/* Render the stats page for the stats proxy <px> over every proxy in <cfg>.
 * Returns a malloc'd NUL-terminated document (caller frees) and its length,
 * or NULL on allocation failure. */
char *stats_render_html(const struct cfg *cfg, const struct proxy *px, size_t *len);
char *stats_render_csv(const struct cfg *cfg, size_t *len);
/* The CSV export as served by the stats proxy <px>: only the proxies its
 * `stats scope` lists (HAProxy applies the scope to ";csv" as well).
 * <px> NULL = every proxy, like stats_render_csv(). */
char *stats_render_csv_px(const struct cfg *cfg, const struct proxy *px, size_t *len);
/* The same, only the proxies whose name contains <scope> (any case; NULL
 * or "": all): the stats URI's `scope=` (HAProxy's). */
char *stats_render_csv_scope(const struct cfg *cfg, const struct proxy *px, const char *scope, size_t *len);
/* Is proxy <p> shown by the stats proxy <px>? Yes when <px> is NULL or has
 * no `stats scope`; otherwise when a scope entry names <p> exactly or is
 * "." and <p> is <px> itself. */
int stats_in_scope(const struct proxy *px, const struct proxy *p);
/* The same for a proxy known by its name only (recorded state changes). */
int stats_name_in_scope(const struct proxy *px, const char *name);

/* Wall-clock second the process started (set by main); 0 = unknown. The
 * page shows the uptime from it. */
extern uint64_t tandem_start_wall_s;

/* The column table, indexed by enum stat_field (= HAProxy CSV position). */
extern const struct stat_col stat_cols[ST_F_TOTAL];

/* Value of column <field> for row <r>; STV_NONE when the row kind is out of
 * the column's scope or tandem has no data for it. Lock-free: counters are
 * read with CTR_GET and states with atomic loads. */
void stats_get(int field, const struct stat_row *r, struct stat_val *v);
/* Fill <r> for a row of <obj> (STO_*) of proxy <px> (and server <srv>). */
void stats_row_init(struct stat_row *r, const struct cfg *cfg, int obj,
		    const struct proxy *px, const struct server *srv);
/* Status words, HAProxy's: server "UP", "DOWN", "MAINT", "DRAIN", "NOLB",
 * "no check"; backend "UP"/"DOWN"; frontend "OPEN"/"STOP". */
const char *stats_srv_status(const struct server *srv);
const char *stats_row_status(const struct stat_row *r);

/* Text buffer helpers shared by the renderers. */
void stats_sb_add(struct stats_sb *b, const char *s, size_t n);
void stats_sb_adds(struct stats_sb *b, const char *s);
void stats_sb_addf(struct stats_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append <s> with &, <, >, " and ' escaped for HTML text and attributes. */
void stats_sb_html(struct stats_sb *b, const char *s);
/* Append the text form of <v> (numbers in decimal, "" for STV_NONE). */
void stats_sb_val(struct stats_sb *b, const struct stat_val *v);
/* Append <v> as one CSV cell, HAProxy's way: text is quoted only when it
 * holds a comma, a quote (doubled inside) or a line break. */
void stats_sb_csv(struct stats_sb *b, const struct stat_val *v);
/* Hand over the buffer (NUL-terminated) and its length; NULL after a failure. */
char *stats_sb_finish(struct stats_sb *b, size_t *len);

#endif
