/* Hash balancing: `balance source` and the request-key forms (uri,
 * url_param, hdr(), rdp-cookie, hash EXPR; the stream computes the key's
 * hash while it analyses the request, src/proxy/persist.c), with
 * `hash-type map-based` (default) or `consistent` (lb_chash.c).
 *
 * Map-based: the key's hash modulo the total weight of the usable servers
 * names a server, weights in configuration order. The same key keeps its
 * server while the set of usable servers does not change; when it
 * changes, most keys move (HAProxy's documented behaviour; consistent
 * hashing is the remedy). A full server keeps its keys (the request
 * waits for it); the server to avoid after a failure passes the key to
 * the next one.
 *
 * Map-based `balance source` keeps tandem's historical address hash (an
 * FNV-1a of the address, mixed); with `hash-type consistent` the address
 * is folded into 32-bit words as HAProxy does, then the avalanche
 * modifier if configured, then the ring. */
#include <netinet/in.h>
#include <string.h>
#include <tandem/hash.h>
#include <tandem/lb.h>
#include <tandem/persist-t.h>
#include "lb_int.h"

/* 32-bit FNV-1a followed by a final avalanche so that nearby addresses
 * spread over the servers. */
static unsigned hash_bytes(const unsigned char *p, size_t n)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

unsigned lb_hash_addr(const struct sockaddr_storage *ss)
{
	if (!ss)
		return 0;
	if (ss->ss_family == AF_INET)
		return hash_bytes((const void *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	if (ss->ss_family == AF_INET6)
		return hash_bytes((const void *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
	return 0;
}

uint32_t lb_hash_key(const struct proxy *be, const void *key, size_t len)
{
	const struct hash_conf *h = be->persist ? &be->persist->hash : NULL;
	int func = h ? h->func : HF_SDBM;
	uint32_t v;

	switch (func) {
	case HF_DJB2:  v = hash_djb2(key, len); break;
	case HF_WT6:   v = hash_wt6(key, len); break;
	case HF_CRC32: v = hash_crc32(key, len); break;
	case HF_NONE: {
		/* the key is the hash, written as a decimal integer (a
		 * converter made it), as HAProxy's `none` reads it */
		const unsigned char *p = key;
		uint64_t n = 0;
		size_t i = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		for (; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			n = n * 10 + (p[i] - '0');
		v = (uint32_t)n;
		break;
	}
	default:       v = hash_sdbm(key, len); break;
	}
	return h && h->avalanche ? hash_avalanche(v) : v;
}

/* HAProxy's address folding for consistent source hashing. */
static uint32_t addr_words(const struct sockaddr_storage *ss)
{
	const unsigned char *p;
	uint32_t h = 0, w;
	size_t n;

	if (!ss)
		return 0;
	if (ss->ss_family == AF_INET) {
		p = (const void *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		n = 4;
	} else if (ss->ss_family == AF_INET6) {
		p = (const void *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		n = 16;
	} else {
		return 0;
	}
	for (size_t i = 0; i + 4 <= n; i += 4) {
		memcpy(&w, p + i, 4);
		h ^= ntohl(w);
	}
	return h;
}

static int consistent(const struct proxy *be)
{
	return be->persist && be->persist->hash.type == HT_CONSISTENT;
}

/* Map-based: hash modulo the usable servers' weights (see above). */
static struct server *map_pick(struct proxy *be, struct lb_req *rq, uint32_t h)
{
	long long total = 0, slot;
	struct list *l;
	struct server *s = NULL, *first = NULL;
	int after = 0;

	list_for_each(l, &be->servers) {
		struct server *x = list_entry(l, struct server, link);

		if (x->backup == rq->backup && srv_usable(x))
			total += __atomic_load_n(&x->uweight, __ATOMIC_RELAXED);
	}
	if (!total)
		return NULL;
	slot = (long long)(h % (unsigned long long)total);
	list_for_each(l, &be->servers) {
		struct server *x = list_entry(l, struct server, link);

		if (x->backup != rq->backup || !srv_usable(x))
			continue;
		if (!first && x != rq->avoid)
			first = x;
		if (after) {
			/* the key's server was the one to avoid: the next one */
			if (x != rq->avoid)
				return srv_full(x) ? (rq->busy = 1, rq->keep = x, NULL) : x;
			continue;
		}
		slot -= __atomic_load_n(&x->uweight, __ATOMIC_RELAXED);
		if (slot < 0) {
			s = x;
			if (s == rq->avoid) {
				rq->skipped = 1;
				after = 1;
				continue;
			}
			break;
		}
	}
	if (after)
		s = first;   /* wrapped around */
	if (s && srv_full(s)) {
		rq->busy = 1;   /* its keys wait for it */
		rq->keep = s;
		return NULL;
	}
	return s;
}

struct server *lb_source_pick(struct proxy *be, struct lb_req *rq)
{
	long long total;

	if (consistent(be)) {
		uint32_t h = addr_words(rq->cli);

		if (be->persist->hash.avalanche)
			h = hash_avalanche(h);
		return lb_chash_pick(be, rq, h);
	}
	total = lb_total_weight(be, rq);
	if (!total)
		return NULL;
	return lb_weighted_slot(be, rq, (long long)(lb_hash_addr(rq->cli) % (unsigned long long)total));
}

struct server *lb_hash_pick(struct proxy *be, struct lb_req *rq)
{
	/* no key in this request (header or parameter absent): round robin,
	 * as HAProxy falls back */
	if (!rq->has_hash)
		return lb_rr_pick(be, rq);
	if (consistent(be))
		return lb_chash_pick(be, rq, rq->hash);
	return map_pick(be, rq, rq->hash);
}
