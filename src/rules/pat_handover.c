/* Runtime changes of pattern files (maps and ACL files changed with `add
 * map`, `set map`, `del acl`...) kept by a reload, unless the file changed
 * on disk meanwhile: then the file wins, as it does for a server's weight
 * edited in the configuration.
 *
 * When the master is about to start a new worker (SIGURG), the current
 * worker publishes, in the master's shared area, the entries of every
 * file it changed at run time, with a hash of what the file held when it
 * was loaded. The new worker loads the files as usual, and for a file
 * whose bytes hash the same, replaces its entries with the published
 * ones. Records are keyed by file name; a worker that holds a file as it
 * is on disk clears a record an older worker left, so that stale changes
 * never come back. Inline ACL patterns (no file) are not handed over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/log.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/rules-t.h>
#include <tandem/shm.h>

/* Entries as one blob: per entry a tag ('k' key only, 'v' key and value),
 * the key, a NUL, and for 'v' the value and a NUL. */
static char *pack(const struct pat_ref *ref, size_t *len, uint32_t *n)
{
	size_t sz = 1;
	char *b, *o;

	*n = 0;
	for (const struct pat_elt *e = ref->elts.next; e != &ref->elts; e = e->next)
		sz += 2 + strlen(e->key) + (e->value ? strlen(e->value) + 1 : 0);
	if (!(b = o = malloc(sz)))
		return NULL;
	for (const struct pat_elt *e = ref->elts.next; e != &ref->elts; e = e->next) {
		size_t kl = strlen(e->key) + 1;

		*o++ = e->value ? 'v' : 'k';
		memcpy(o, e->key, kl);
		o += kl;
		if (e->value) {
			size_t vl = strlen(e->value) + 1;

			memcpy(o, e->value, vl);
			o += vl;
		}
		(*n)++;
	}
	*len = (size_t)(o - b);
	return b;
}

void pat_handover_publish(struct rules_cfg *rc, uint64_t now_ms)
{
	for (struct pat_ref *ref = rc ? rc->refs : NULL; ref; ref = ref->next) {
		struct shm_map *r;
		struct shm_ref blob;
		size_t len;
		uint32_t n;
		char *b;

		if (!(ref->flags & PAT_REF_FILE) || !ref->file)
			continue;
		if (ref->gen == ref->pub_gen) {
			/* unchanged here: a record holds this worker's entries
			 * already (imported), or must not apply any more */
			if (!ref->imported && (r = shm_map_find(ref->file, 0)) && r->blob.off)
				shm_map_write(r, 0, (struct shm_ref){ 0, 0 }, 0, now_ms);
			continue;
		}
		if (!(b = pack(ref, &len, &n)))
			continue;
		if (shm_put(b, len, &blob) == 0 && (r = shm_map_find(ref->file, 1))) {
			shm_map_write(r, ref->file_hash, blob, n, now_ms);
			ref->pub_gen = ref->gen;
			ref->imported = 1;   /* the record is this worker's state now */
		} else {
			log_event(LL_WARNING, "Pattern file '%s': no room left in the shared area: its runtime changes "
				  "will not be kept by the next reload.", ref->file);
		}
		free(b);
	}
}

int pat_handover_import(struct rules_cfg *rc)
{
	int kept = 0;

	for (struct pat_ref *ref = rc ? rc->refs : NULL; ref; ref = ref->next) {
		struct shm_map *r, rec;
		const char *b, *end;
		char err[256];
		int bad = 0;

		if (!(ref->flags & PAT_REF_FILE) || !ref->file || !(r = shm_map_find(ref->file, 0)) ||
		    shm_map_read(r, &rec) < 0 || !rec.blob.off || !(b = shm_get(rec.blob)))
			continue;
		if (rec.file_hash != ref->file_hash) {
			log_event(LL_NOTICE, "Pattern file '%s' changed on disk: the changes made at run time before the "
				  "reload are dropped.", ref->file);
			continue;
		}
		pat_ref_clear(ref);
		for (end = b + rec.blob.len; b < end;) {
			const char *key = b + 1, *val = NULL;

			b = key + strlen(key) + 1;
			if (key[-1] == 'v') {
				val = b;
				b = val + strlen(val) + 1;
			}
			if (pat_ref_add(ref, key, val, err, sizeof(err)) < 0)
				bad++;
		}
		if (bad)
			log_event(LL_WARNING, "Pattern file '%s': %d entr%s changed at run time no longer fit%s its uses: "
				  "dropped.", ref->file, bad, bad > 1 ? "ies" : "y", bad > 1 ? "" : "s");
		ref->gen = ref->pub_gen = 0;
		ref->imported = 1;
		kept++;
		log_event(LL_NOTICE, "Pattern file '%s': %u entr%s as changed at run time, kept across the reload.",
			  ref->file, rec.nelt, rec.nelt == 1 ? "y" : "ies");
	}
	qsbr_reclaim();
	return kept;
}
