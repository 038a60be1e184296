/* Output of a run: the human table (stdout), JSON, and the HTML chart. */
#ifndef CHAOS_REPORT_H
#define CHAOS_REPORT_H
#include <stdio.h>
#include "run.h"

/* Per-second table, faults with their numbers, totals, LB events. */
void report_text(FILE *f, const struct run *r);
/* The run as one JSON object (no trailing newline). -1 means "never",
 * null "does not apply". */
void report_json(FILE *f, const struct run *r);
/* A self-contained HTML page (inline SVG, no external resources) with one
 * timeline per run: requests/s and errors/s, each node's share stacked,
 * fault markers and tandem's status changes. */
void chart_html(FILE *f, const struct run *const *runs, int n, const char *title);

#endif
