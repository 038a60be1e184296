/* Per-transaction storage the stream keeps for rules and logs: captured
 * headers (fixed slots sized at load, so capturing never allocates), the
 * unique id, and the request facts that outlive the request head. */
#include <stdlib.h>
#include <string.h>
#include <tandem/proxy-t.h>
#include <tandem/rules.h>
#include "rules_int.h"

struct txn_store *txn_store_new(const struct proxy *fe)
{
	const struct px_rules *r = fe ? fe->rules : NULL;
	int nq = r ? r->n_cap_req : 0, ns = r ? r->n_cap_rsp : 0;
	size_t mem = 0, off = 0;
	struct txn_store *t;

	for (int i = 0; i < nq; i++)
		mem += (size_t)r->cap_req[i].len + 1;
	for (int i = 0; i < ns; i++)
		mem += (size_t)r->cap_rsp[i].len + 1;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	t->n_cap_req = nq;
	t->n_cap_rsp = ns;
	if (nq + ns) {
		t->cap_req = calloc((size_t)(nq + ns), sizeof(char *));
		t->cap_req_len = calloc((size_t)(nq + ns), sizeof(uint16_t));
		t->cap_mem = malloc(mem);
		if (!t->cap_req || !t->cap_req_len || !t->cap_mem) {
			txn_store_free(t);
			return NULL;
		}
		t->cap_rsp = t->cap_req + nq;
		t->cap_rsp_len = t->cap_req_len + nq;
		t->req_decl = r->cap_req;
		t->rsp_decl = r->cap_rsp;
		t->cap_req_mem = t->cap_mem;
		for (int i = 0; i < nq; i++)
			off += (size_t)r->cap_req[i].len + 1;
		t->cap_rsp_mem = t->cap_mem + off;
	}
	txn_store_reset(t);
	return t;
}

void txn_store_reset(struct txn_store *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_cap_req + t->n_cap_rsp; i++)
		t->cap_req[i] = NULL;
	t->unique_id_len = -1;
	t->log_level = -1;
	t->strict = 1;
	t->no_l7_retry = 0;
	t->meth = 0;
	t->meth_str[0] = 0;
	t->req_ver = 0;
	t->rsp_ver = 0;
}

void txn_store_free(struct txn_store *t)
{
	if (!t)
		return;
	free(t->cap_req);
	free(t->cap_req_len);
	free(t->cap_mem);
	free(t);
}

void txn_capture(struct txn_store *t, int rsp, int slot, const char *p, size_t len)
{
	const struct cap_decl *d = rsp ? t->rsp_decl : t->req_decl;
	char **slots = rsp ? t->cap_rsp : t->cap_req;
	uint16_t *lens = rsp ? t->cap_rsp_len : t->cap_req_len;
	char *mem = rsp ? t->cap_rsp_mem : t->cap_req_mem;
	int n = rsp ? t->n_cap_rsp : t->n_cap_req;
	size_t off = 0;

	if (slot < 0 || slot >= n)
		return;   /* HAProxy: a capture into a slot that does not exist fails silently */
	for (int i = 0; i < slot; i++)
		off += (size_t)d[i].len + 1;
	if (len > (size_t)d[slot].len)
		len = (size_t)d[slot].len;
	memcpy(mem + off, p, len);
	mem[off + len] = 0;
	slots[slot] = mem + off;
	lens[slot] = (uint16_t)len;
}
