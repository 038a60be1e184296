/* Pattern references, compiled indexes and matching (see pattern-t.h). */
#ifndef TANDEM_PATTERN_H
#define TANDEM_PATTERN_H
#include <stddef.h>
#include <tandem/pattern-t.h>

struct rules_cfg;

/* ---- match methods ---- */
/* "str", "beg"... -> PAT_M_*, or -1. */
int pat_match_parse(const char *name);
const char *pat_match_name(int m);
/* The method an ACL uses by default on a sample of <type>; -1 (binary):
 * "-m" is required. */
int pat_match_default(int type);
/* The sample type a method matches on (the ACL casts to it). */
int pat_match_input(int m);
/* Does method <m> accept samples of <type> (after a cast)? */
int pat_match_accepts(int m, int type);

/* ---- references ---- */
/* A new reference. <file>: its name (the file is not read here), NULL for
 * inline ACL patterns. Returns NULL on out of memory. */
struct pat_ref *pat_ref_new(struct rules_cfg *rc, const char *file, unsigned flags, const char *desc);
struct pat_ref *pat_ref_find_file(struct rules_cfg *rc, const char *file);
/* "#ID" or a file name, restricted to references with <flags> (PAT_REF_MAP
 * or PAT_REF_ACL). */
struct pat_ref *pat_ref_lookup(struct rules_cfg *rc, const char *id, unsigned flags);
/* Read <ref->file>: one pattern per line (maps: key, blanks, value).
 * Empty lines and lines starting with '#' are skipped, leading blanks
 * stripped. 0, or -1 with <err> filled. */
int pat_ref_load(struct pat_ref *ref, int is_map, char *err, size_t errlen);
/* Append an entry to the reference only (load time). NULL on OOM. */
struct pat_elt *pat_ref_append(struct pat_ref *ref, const char *key, const char *value, int line);
/* Record a use ("map at file 'x' line 3") for `show map|acl`. */
void pat_ref_add_use(struct pat_ref *ref, const char *what, const char *file, int line);

/* ---- indexes ---- */
/* Compile <ref> for method <match> (and map output <map_type>, SMP_T_ANY
 * for ACLs). Every entry must compile: else NULL with <err> naming the
 * pattern (and its file:line for files). */
struct pat_head *pat_head_new(struct pat_ref *ref, int match, int icase, int map_type,
			      const char *file, int line, char *err, size_t errlen);
/* Match <smp> (already of the method's input type) against <h>. Returns
 * the pattern that matched (maps: its value), or NULL. Readers must hold
 * qsbr_read_lock(). FOUND and BOOL are decided by the caller. */
const struct pattern *pat_match(const struct pat_head *h, const struct sample *smp);
/* Parse a map value for output type <type> into <out> (string bytes point
 * into <text>). 0, or -1 with <err> filled. */
int pat_parse_value(const char *text, int type, struct sample *out, char *err, size_t errlen);
/* How the index stores entries, as `get map` prints it: "tree" or "list". */
const char *pat_head_idx_name(const struct pat_head *h);

/* ---- runtime changes (one writer: the runtime API's thread) ----
 * Each applies to the reference and to every index built from it, or to
 * none of them (a pattern that does not compile for one index). */
int  pat_ref_add(struct pat_ref *ref, const char *key, const char *value, char *err, size_t errlen);
/* Set the value of every entry with <key>. Returns how many changed (0: not
 * found), or -1 with <err> filled. */
int  pat_ref_set_key(struct pat_ref *ref, const char *key, const char *value, char *err, size_t errlen);
int  pat_ref_set_elt(struct pat_ref *ref, struct pat_elt *e, const char *value, char *err, size_t errlen);
/* Delete every entry with <key>; returns how many. */
int  pat_ref_del_key(struct pat_ref *ref, const char *key);
void pat_ref_del_elt(struct pat_ref *ref, struct pat_elt *e);
void pat_ref_clear(struct pat_ref *ref);
/* The entry whose id (address, as `show map` prints it) is <id>, or NULL. */
struct pat_elt *pat_ref_find_elt(struct pat_ref *ref, unsigned long long id);

/* Release every reference and index of <rc> (no reader may remain). */
void pat_refs_free(struct rules_cfg *rc);

/* Parse an IPv4 or IPv6 network ("10.0.0.0/8", "10.1", "::1/128").
 * 0, or -1. <v6> tells which; <addr> is masked. */
int pat_parse_net(const char *s, size_t len, uint8_t *v6, uint8_t addr[16], uint8_t *bits);

/* ---- reload handover (src/rules/pat_handover.c) ---- */
struct rules_cfg;
/* Publish the pattern files changed at run time (current worker, when a
 * reload starts). */
void pat_handover_publish(struct rules_cfg *rc, uint64_t now_ms);
/* New worker: take over the previous worker's runtime changes of files
 * whose content did not change. Returns the number of files. */
int pat_handover_import(struct rules_cfg *rc);

#endif
