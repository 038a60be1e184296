/* Certificates changed on the runtime API survive a reload.
 *
 * `commit ssl cert` (ssl_store.c) writes a record in the master's shared
 * area: the path, the PEM as committed (and the OCSP response), and the
 * SHA-256 of the file as this configuration had loaded it. The next worker
 * (src/proxy/worker.c calls ssl_worker_init) looks the record up for each
 * certificate of its configuration: when the file on disk is still what it
 * was when the change was made, the runtime version is newer and is
 * served; when the file changed since, the file wins and the record is
 * retired. The master itself never reads the records: it only checks the
 * configuration, which the file on disk always satisfies. */
#include <stdlib.h>
#include <string.h>
#include <tandem/log.h>
#include <tandem/shm.h>
#include "ssl_int.h"

static struct shm_cert *cert_find(const char *path, int create)
{
	int n;

	if (!tdm_shm)
		return NULL;
	n = __atomic_load_n(&tdm_shm->ncert, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n && i < SHM_MAX_CERT; i++) {
		struct shm_cert *r = &tdm_shm->cert[i];

		if (r->used && shm_eq(r->path, path))
			return r;
	}
	if (!create)
		return NULL;
	if (n >= SHM_MAX_CERT) {
		log_event(LL_WARNING, "shared area: no room left for certificate records: the change of %s will not "
			  "outlive a reload.", path);
		return NULL;
	}
	{
		struct shm_cert *r = &tdm_shm->cert[n];

		memset(r, 0, sizeof(*r));
		if (shm_put(path, strlen(path), &r->path) < 0)
			return NULL;
		r->used = 1;
		__atomic_store_n(&tdm_shm->ncert, n + 1, __ATOMIC_RELEASE);
		return r;
	}
}

void ssl_handover_commit(struct ckch *c)
{
	struct shm_cert *r = cert_find(c->path, 1);
	struct shm_ref pem = { 0, 0 }, ocsp = { 0, 0 };

	if (!r || !c->d || !c->d->pem)
		return;
	if (shm_put(c->d->pem, c->d->pem_len, &pem) < 0 ||
	    (c->d->ocsp && shm_put(c->d->ocsp, c->d->ocsp_len, &ocsp) < 0)) {
		log_event(LL_WARNING, "shared area: no room left: the change of %s will not outlive a reload.", c->path);
		return;
	}
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
	r->pem = pem;
	r->ocsp = ocsp;
	memcpy(r->disk_sig, c->disk_sig, sizeof(r->disk_sig));
	r->has_disk = c->has_disk;
	r->dead = 0;
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
}

/* A stable copy of <r> (seqlock). 0, or -1 when it kept changing. */
static int read_rec(const struct shm_cert *r, struct shm_cert *out)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1)
			continue;
		memcpy(out, r, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) == s1)
			return 0;
	}
	return -1;
}

void ssl_handover_import(struct ssl_cfg_rt *rt)
{
	struct list *l;

	if (!tdm_shm)
		return;
	list_for_each(l, &rt->ckchs) {
		struct ckch *c = list_entry(l, struct ckch, link);
		struct shm_cert *r = cert_find(c->path, 0), rec;
		struct ckch_data *d;
		const char *pem, *ocsp;
		char err[512];

		if (!r || read_rec(r, &rec) < 0 || rec.dead || !rec.pem.off)
			continue;
		if (!c->has_disk || !rec.has_disk || memcmp(c->disk_sig, rec.disk_sig, sizeof(rec.disk_sig))) {
			__atomic_store_n(&r->dead, 1, __ATOMIC_RELEASE);
			log_event(LL_NOTICE, "Certificate %s changed on disk since it was committed on the runtime API: "
				  "the file is served.", c->path);
			continue;
		}
		if (!(pem = shm_get(rec.pem)) || !(d = ckch_data_load_mem(pem, rec.pem.len, err, sizeof(err)))) {
			log_event(LL_WARNING, "Certificate %s committed on the runtime API cannot be loaded again (%s): "
				  "the file is served.", c->path, pem ? err : "missing");
			continue;
		}
		d->ocsp_file = c->d ? c->d->ocsp_file : 0;
		if (rec.ocsp.off && (ocsp = shm_get(rec.ocsp)) &&
		    ckch_data_set_ocsp(d, (const unsigned char *)ocsp, rec.ocsp.len, err, sizeof(err)) < 0)
			log_event(LL_WARNING, "Certificate %s: the OCSP response committed on the runtime API is "
				  "dropped (%s).", c->path, err);
		if (ssl_store_replace(rt, c, d, err, sizeof(err)) < 0) {
			log_event(LL_WARNING, "Certificate %s committed on the runtime API cannot be used (%s): the "
				  "file is served.", c->path, err);
			ckch_data_unref(d);
			continue;
		}
		c->from_runtime = 1;
		log_event(LL_NOTICE, "Certificate %s: serving the version committed on the runtime API before "
			  "the reload (the file is unchanged since).", c->path);
	}
}
