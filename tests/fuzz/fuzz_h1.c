/* libFuzzer driver for the HTTP/1.x head parser (src/http/h1_parse.c).
 * Each input is parsed as a request and as a response, with the default
 * limits and with tiny ones, and must satisfy the parser's contract:
 *  - the result is H1_ERROR, H1_INCOMPLETE or a head length <= len and
 *    <= max_head, equal to head_len;
 *  - every h1_str points inside the head; header names are non-empty
 *    tokens, values carry no CR/LF/NUL and no leading/trailing OWS;
 *  - flags are consistent (chunked implies TE; TE and CL never both;
 *    an HTTP/1.1 request has Host);
 *  - requests: a Transfer-Encoding is exactly "chunked"; an absolute-form
 *    target is http(s)://host... without userinfo, and the Host field's
 *    value (and msg.host) is its authority;
 *  - errors carry a known status, a reason and a position inside the input;
 *  - parsing again gives the identical result, and so does parsing just
 *    the head; one byte less than a head is H1_INCOMPLETE.
 * A violated invariant aborts (the fuzzer reports it as a crash).
 *
 * fuzz-src: src/http/h1_parse.c src/http/h1_chunk.c
 * fuzz-dict: tests/fuzz/h1.dict */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/h1.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static struct h1_msg m1, m2;

static int in_buf(struct h1_str s, const char *b, size_t n)
{
	return s.p == NULL ? s.len == 0 : (s.p >= b && s.p + s.len <= b + n);
}

static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c && strchr("!#$%&'*+-.^_`|~", c));
}

static void same(const struct h1_msg *a, const struct h1_msg *b, int r)
{
	if (r == H1_ERROR) {
		INV(a->err_status == b->err_status && a->err_pos == b->err_pos &&
		    a->err_reason == b->err_reason);
		return;
	}
	if (r == H1_INCOMPLETE)
		return;
	INV(a->method.p == b->method.p && a->method.len == b->method.len);
	INV(a->uri.p == b->uri.p && a->uri.len == b->uri.len && a->meth == b->meth);
	INV(a->status == b->status && a->reason.p == b->reason.p && a->reason.len == b->reason.len);
	INV(a->version == b->version && a->flags == b->flags);
	INV(a->content_length == b->content_length && a->head_len == b->head_len);
	INV(a->host.p == b->host.p && a->host.len == b->host.len && a->nhdrs == b->nhdrs);
	for (unsigned i = 0; i < a->nhdrs; i++) {
		INV(a->hdrs[i].name.p == b->hdrs[i].name.p && a->hdrs[i].name.len == b->hdrs[i].name.len);
		INV(a->hdrs[i].value.p == b->hdrs[i].value.p && a->hdrs[i].value.len == b->hdrs[i].value.len);
		INV(a->hdrs[i].hop == b->hdrs[i].hop);
	}
}

static void check(int is_req, const char *d, size_t n, const struct h1_limits *lim)
{
	int r = is_req ? h1_parse_request(d, n, &m1, lim) : h1_parse_response(d, n, &m1, lim);
	int r2;

	INV(r == H1_ERROR || r == H1_INCOMPLETE || (r > 0 && (size_t)r <= n));
	if (r == H1_ERROR) {
		static const int req_st[] = { 400, 414, 431, 501, 505 };
		int ok = 0;
		for (size_t i = 0; i < sizeof(req_st) / sizeof(req_st[0]); i++)
			ok |= is_req && m1.err_status == req_st[i];
		ok |= !is_req && m1.err_status == 502;
		INV(ok);
		INV(m1.err_reason != NULL && m1.err_pos <= n);
	} else if (r == H1_INCOMPLETE) {
		INV(n < lim->max_head);
	} else {
		size_t h = (size_t)r;
		INV(m1.head_len == h && h <= lim->max_head);
		INV(m1.nhdrs <= lim->max_hdrs && m1.nhdrs <= H1_MAX_HDRS);
		INV(m1.version == 10 || m1.version == 11);
		INV(h >= 4 && !memcmp(d + h - 4, "\r\n\r\n", 4));
		INV(in_buf(m1.method, d, h) && in_buf(m1.uri, d, h) && in_buf(m1.reason, d, h) &&
		    in_buf(m1.host, d, h));
		for (unsigned i = 0; i < m1.nhdrs; i++) {
			const struct h1_hdr *x = &m1.hdrs[i];
			INV(in_buf(x->name, d, h) && in_buf(x->value, d, h) && x->name.len > 0);
			for (uint32_t k = 0; k < x->name.len; k++)
				INV(is_tchar((unsigned char)x->name.p[k]));
			for (uint32_t k = 0; k < x->value.len; k++)
				INV(x->value.p[k] != '\r' && x->value.p[k] != '\n' && x->value.p[k] != 0);
			if (x->value.len) {
				INV(x->value.p[0] != ' ' && x->value.p[0] != '\t');
				INV(x->value.p[x->value.len - 1] != ' ' && x->value.p[x->value.len - 1] != '\t');
			}
		}
		if (m1.flags & H1_F_CHUNKED)
			INV(m1.flags & H1_F_HAS_TE);
		INV(!((m1.flags & H1_F_HAS_TE) && (m1.flags & H1_F_HAS_CL)));
		if (is_req) {
			INV(m1.method.len > 0 && m1.uri.len > 0 && m1.status == 0);
			if (m1.version == 11)
				INV(m1.flags & H1_F_HAS_HOST);
			if (m1.flags & H1_F_HAS_TE)
				INV(m1.flags & H1_F_CHUNKED);
			for (unsigned i = 0; i < m1.nhdrs; i++)
				if (h1_str_ieq(m1.hdrs[i].name, "transfer-encoding"))
					INV(h1_str_ieq(m1.hdrs[i].value, "chunked"));
			if (m1.uri.p[0] != '/' && m1.uri.p[0] != '*' && m1.meth != H1_M_CONNECT) {
				const char *u = m1.uri.p, *a;
				size_t sl = (u[4] | 0x20) == 's' ? 5 : 4;
				INV(m1.uri.len > sl + 3 && !memcmp(u + sl, "://", 3));
				a = u + sl + 3;
				INV(a[0] != '/' && a[0] != '?' && a[0] != ':');
				for (const char *q = a; q < u + m1.uri.len && *q != '/' && *q != '?'; q++)
					INV(*q != '@');
				if (m1.flags & H1_F_HAS_HOST) {
					const struct h1_hdr *hh = h1_find_hdr(&m1, "host");
					INV(m1.host.p == a && hh && hh->value.p == a && hh->value.len == m1.host.len);
					INV(a + m1.host.len == u + m1.uri.len || a[m1.host.len] == '/' ||
					    a[m1.host.len] == '?');
				}
			}
			INV(!(m1.flags & H1_F_BODY_TO_CLOSE));
		} else {
			INV(m1.status >= 100 && m1.status <= 999);
		}
		if (m1.flags & H1_F_HAS_CL)
			INV(m1.content_length <= (uint64_t)INT64_MAX);

		/* the head alone parses the same; one byte less is incomplete */
		r2 = is_req ? h1_parse_request(d, h, &m2, lim) : h1_parse_response(d, h, &m2, lim);
		INV(r2 == r);
		same(&m1, &m2, r);
		r2 = is_req ? h1_parse_request(d, h - 1, &m2, lim) : h1_parse_response(d, h - 1, &m2, lim);
		INV(r2 == H1_INCOMPLETE);
	}
	/* deterministic */
	r2 = is_req ? h1_parse_request(d, n, &m2, lim) : h1_parse_response(d, n, &m2, lim);
	INV(r2 == r);
	same(&m1, &m2, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct h1_limits def = { 15360, H1_MAX_HDRS }, tiny = { 48, 3 };
	const char *d = (const char *)data;

	check(1, d, size, &def);
	check(0, d, size, &def);
	check(1, d, size, &tiny);
	check(0, d, size, &tiny);
	return 0;
}
