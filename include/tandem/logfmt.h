/* Log-format strings: compile at load, render per request (logfmt-t.h). */
#ifndef TANDEM_LOGFMT_H
#define TANDEM_LOGFMT_H
#include <stddef.h>
#include <tandem/logfmt-t.h>

/* Rendering modes. LOG: an access-log line (control bytes of sample
 * values are encoded "#XX" so a value cannot forge log lines). VALUE: a
 * header value, a URI, a body (bytes as they are; the caller refuses what
 * would break a head). */
enum { LF_MODE_LOG = 0, LF_MODE_VALUE = 1 };

/* Compile <text>. Sample expressions must be usable in <phase> (enum
 * smp_phase; -1: not checked). NULL with <err> filled ("no such format
 * alias 'x'", the expression's error...). */
struct logfmt *logfmt_parse(const char *text, const struct smp_pctx *pc, int phase, char *err, size_t errlen);
/* The same for a directive (`log-format`, `error-log-format`,
 * `unique-id-format`): every space is HAProxy's field separator (one
 * space, merged with its neighbours, none after a field that printed
 * nothing). */
struct logfmt *logfmt_parse_words(const char *text, const struct smp_pctx *pc, int phase, char *err, size_t errlen);
void logfmt_free(struct logfmt *lf);

/* Render into <out> (NUL-terminated, truncated to outlen - 1). <li> may be
 * NULL (rule time): fields it would give print as HAProxy prints unknown
 * ones. Returns the length written. */
size_t logfmt_render(const struct logfmt *lf, struct smp_ctx *ctx, const struct lf_info *li, int mode,
		     char *out, size_t outlen);
/* Render into the request's arena (VALUE mode). Returns the NUL-terminated
 * string and its length, or NULL when it does not fit (a rewrite failure). */
char *logfmt_render_arena(const struct logfmt *lf, struct smp_ctx *ctx, const struct lf_info *li, size_t *len);
/* Release the calling thread's scratch area (thread exit). */
void logfmt_thread_free(void);
/* Does <lf> use %-variables or expressions that need <src> (SMP_SRC_*)? */
int logfmt_uses(const struct logfmt *lf, unsigned src);
/* Names of every %-variable, for documentation checks: calls <fn>. */
void logfmt_for_each_alias(void (*fn)(const char *name, void *arg), void *arg);

#endif
