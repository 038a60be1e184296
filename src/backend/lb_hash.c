/* source: the client's address hashed onto the usable servers, weighted
 * (HAProxy's default map-based hashing): the same client keeps reaching the
 * same server while the set of usable servers does not change. */
#include <netinet/in.h>
#include <string.h>
#include <tandem/lb.h>
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

struct server *lb_source_pick(struct proxy *be, struct lb_req *rq)
{
	long long total = lb_total_weight(be, rq);

	if (!total)
		return NULL;
	return lb_weighted_slot(be, rq, (long long)(lb_hash_addr(rq->cli) % (unsigned long long)total));
}
