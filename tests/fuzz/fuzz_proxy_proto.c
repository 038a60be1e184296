/* libFuzzer driver for the PROXY protocol parser (src/net/proxy_proto.c).
 * Each input is parsed as it comes, and with each shorter prefix the
 * parser's contract must hold:
 *  - the result is a header length in 1..len, 0 (more bytes needed) or one
 *    of the parser's errors; parsing is deterministic, never reads past the
 *    length (ASan), and a prefix of a header is never refused (0) when the
 *    whole is accepted;
 *  - an accepted header parses the same from exactly its own bytes;
 *  - its addresses, built again as v1 and v2 headers (with the TLVs it
 *    carried and a CRC32C), parse back to the same addresses and TLVs.
 * A violated invariant aborts (the fuzzer reports it as a crash).
 * fuzz-src: src/net/proxy_proto.c src/net/conn_err.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <tandem/proxy_proto.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	size_t n = a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	return a->ss_family == b->ss_family && !memcmp(a, b, n);
}

static void rebuild(const struct pp_info *in)
{
	char out[1024];
	struct pp_info b;
	struct pp2_opts o = { .crc32c = 1 };
	size_t n;
	int r;

	if (in->local)
		return;
	if (in->authority_len >= 0) {
		o.authority = in->authority;
		o.authority_len = in->authority_len;
	}
	if (in->unique_id_len >= 0) {
		o.unique_id = 1;
		o.uid = in->unique_id;
		o.uid_len = in->unique_id_len;
	}
	n = pp_build_v2(out, sizeof(out), &in->src, &in->dst, &o);
	INV(n > 0);
	r = pp_parse(out, n, &b);
	INV(r == (int)n && !b.local && b.version == 2);
	if (in->src.ss_family == in->dst.ss_family) {   /* mixed families come back as IPv6 */
		INV(same_addr(&in->src, &b.src) && same_addr(&in->dst, &b.dst));
	}
	INV(b.authority_len == in->authority_len && b.unique_id_len == in->unique_id_len);
	INV(b.authority_len < 0 || !memcmp(b.authority, in->authority, (size_t)b.authority_len));
	INV(b.unique_id_len < 0 || !memcmp(b.unique_id, in->unique_id, (size_t)b.unique_id_len));
	n = pp_build_v1(out, sizeof(out), &in->src, &in->dst);
	INV(n > 0 && n <= PP_V1_MAX);
	r = pp_parse(out, n, &b);
	INV(r == (int)n && !b.local && b.version == 1);
	if (in->src.ss_family == in->dst.ss_family)
		INV(same_addr(&in->src, &b.src) && same_addr(&in->dst, &b.dst));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_info a, b;
	int r, full;

	if (size > 70000)
		return 0;
	full = pp_parse(data, size, &a);
	INV(full == 0 || (full > 0 && (size_t)full <= size) || full == PP_ERR_NOT_HDR || full == PP_ERR_BAD_HDR ||
	    full == PP_ERR_BAD_PROTO);
	INV(pp_parse(data, size, &b) == full);
	if (full > 0) {
		INV(pp_parse(data, (size_t)full, &b) == full);
		INV(b.local == a.local && b.version == a.version);
		rebuild(&a);
		/* a prefix of an accepted header waits for more */
		for (size_t n = 0; n < (size_t)full; n += 1 + n / 4) {
			r = pp_parse(data, n, &b);
			INV(r == 0);
		}
	}
	pp_strerror(full < 0 ? full : PP_ERR_TIMEOUT);
	return 0;
}
