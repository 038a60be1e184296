/* Stats rendering. One table of columns (see src/admin/stats.c) feeds every
 * format so that HTML, CSV and JSON never disagree. */
#ifndef TANDEM_STATS_H
#define TANDEM_STATS_H
#include <stddef.h>
#include <tandem/proxy-t.h>

/* Render the stats page for the stats proxy <px> over every proxy in <cfg>.
 * Returns a malloc'd NUL-terminated document (caller frees) and its length,
 * or NULL on allocation failure. */
char *stats_render_html(const struct cfg *cfg, const struct proxy *px, size_t *len);
char *stats_render_csv(const struct cfg *cfg, size_t *len);

#endif
