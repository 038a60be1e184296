/* Regular expressions through PCRE2, JIT-compiled when the library can.
 * Compiled once at load; matching allocates nothing (each thread keeps
 * one match-data block). */
#ifndef TANDEM_REGEX_H
#define TANDEM_REGEX_H
#include <stddef.h>

#define REGEX_MAX_GROUPS 10   /* \0 .. \9 in substitutions (HAProxy's MAX_MATCH) */

struct regex;

/* Compile <pat> (<len> bytes, need not be NUL-terminated). <icase>: -i.
 * Returns NULL with <err> filled with the pattern and PCRE2's message. */
struct regex *regex_compile(const char *pat, size_t len, int icase, char *err, size_t errlen);
void regex_free(struct regex *re);
/* Does <re> match anywhere in <s>? 1 yes, 0 no (errors count as no). */
int regex_match(const struct regex *re, const char *s, size_t len);
/* Match and report the groups: ovec[2*i], ovec[2*i+1] are the start and
 * end offsets of group i (group 0 = the whole match; unset groups have
 * start == end == (size_t)-1). Searches from <start>. Returns the number
 * of groups filled (>= 1), or 0 when there is no match. */
int regex_exec(const struct regex *re, const char *s, size_t len, size_t start,
	       size_t ovec[2 * REGEX_MAX_GROUPS]);
/* The pattern as written. */
const char *regex_text(const struct regex *re);
/* Release the calling thread's match data (call when a thread ends). */
void regex_thread_free(void);
/* 1 when the regex was JIT-compiled. */
int regex_is_jit(const struct regex *re);

#endif
