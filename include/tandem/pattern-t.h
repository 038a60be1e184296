/* Patterns: what ACLs match samples against, and what maps look keys up
 * in (HAProxy's section 7.1 model).
 *
 * Two levels, as in HAProxy:
 *   - a reference (struct pat_ref) is the list of entries as written: the
 *     words of an `acl` line, or the lines of a pattern or map file. The
 *     runtime API (`show map`, `add acl`...) works on references; they are
 *     numbered (#ID) and files are also found by name.
 *   - a compiled index (struct pat_head) is one reference compiled for one
 *     match method (and, for maps, one output type). A reference used by
 *     two ACLs with different methods has two indexes; a change made on
 *     the runtime API is applied to the reference and to every index.
 *
 * Indexes are read by every worker thread without a lock while the admin
 * thread (the only writer) changes them: a pattern is fully built before
 * it is linked with a release store, a removed one stays readable until
 * no reader can still hold it (src/rules/qsbr.c), and the exact-string
 * hash is replaced as a whole when it grows. */
#ifndef TANDEM_PATTERN_T_H
#define TANDEM_PATTERN_T_H
#include <stdint.h>
#include <stddef.h>
#include <tandem/sample-t.h>

/* Match methods (HAProxy's names and order). */
enum pat_match {
	PAT_M_FOUND = 0, PAT_M_BOOL, PAT_M_INT, PAT_M_IP, PAT_M_BIN, PAT_M_LEN,
	PAT_M_STR, PAT_M_BEG, PAT_M_SUB, PAT_M_DIR, PAT_M_DOM, PAT_M_END, PAT_M_REG,
	PAT_M_COUNT
};

/* Result of matching one sample against an index. */
enum { PAT_NOMATCH = 0, PAT_MATCH = 1 };

/* One compiled pattern. Immutable once published, except <next>. */
struct pattern {
	struct pattern *next;          /* read with acquire loads, written with release stores */
	struct pat_elt *elt;           /* the entry it comes from (writer side only) */
	union {
		struct { long long min, max; uint8_t min_set, max_set; } range;  /* INT, LEN */
		struct { uint8_t v6; uint8_t bits; uint8_t addr[16]; } ip;       /* IP: network */
		struct { char *p; size_t len; } str;                            /* strings, BIN */
		struct regex *re;                                               /* REG */
	} v;
	uint32_t hash;                 /* STR: hash of the key */
	struct sample value;           /* maps: the value, typed (bytes owned) */
};

/* Exact-string index: chained hash, replaced as a whole when it grows. */
struct pat_hash {
	unsigned         mask;         /* buckets - 1 (a power of two minus one) */
	unsigned         count;
	struct pattern  *b[];
};

/* One entry of a reference, as written (owned by the writer side). */
struct pat_elt {
	struct pat_elt *next, *prev;
	char           *key;
	char           *value;         /* maps only, else NULL */
	int             line;          /* line in the file, 0 = runtime or inline */
};

struct pat_head;

/* Reference flags. */
enum {
	PAT_REF_MAP  = 1u << 0,        /* used by a map */
	PAT_REF_ACL  = 1u << 1,        /* used by an ACL */
	PAT_REF_FILE = 1u << 2,        /* loaded from a file (found by name) */
};

struct pat_ref {
	struct pat_ref  *next;         /* in rules_cfg.refs, creation order */
	int              id;           /* unique id (#ID on the runtime API) */
	unsigned         flags;        /* PAT_REF_* */
	char            *file;         /* file name, or NULL (inline ACL patterns) */
	char            *desc;         /* "acl 'src' file 'x.cfg' line 10" (inline) */
	char            *uses;         /* "by map at file 'x.cfg' line 14, by ..." (files) */
	struct pat_elt   elts;         /* list head */
	int              nelt;
	struct pat_head *heads;        /* every index built from it */
	/* reload handover of runtime changes (src/rules/pat_handover.c) */
	uint64_t         file_hash;    /* the file's bytes when it was loaded (FNV-1a) */
	unsigned         gen;          /* changes made on the runtime API */
	unsigned         pub_gen;      /* the change last handed over */
	uint8_t          imported;     /* holds a previous worker's runtime state */
};

/* A compiled index. */
struct pat_head {
	struct pat_head *next_of_ref;  /* in ref->heads */
	struct pat_ref  *ref;
	uint8_t          match;        /* enum pat_match */
	uint8_t          icase;        /* -i */
	uint8_t          no_dns;       /* -n (tandem never resolves: kept for show) */
	uint8_t          map_type;     /* maps: output type (SMP_T_STR, SINT, IPV4/IPV6), else SMP_T_ANY */
	struct pattern  *list;         /* ordered patterns (see pattern.c for the order per method) */
	struct pat_hash *hash;         /* STR without -i: exact keys */
	const char      *file; int line; /* where it is used */
};

#endif
