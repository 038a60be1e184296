/* Unit tests for src/http/h1_parse.c: valid requests and responses (with
 * every truncation point), each error class and its status, hop-by-hop
 * marking, flags, limits, and the small helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <tandem/h1.h>
#include "unit.h"

static const struct h1_limits deflim = { 15360, H1_MAX_HDRS };
static struct h1_msg M, M2;

static int parse(int is_req, const char *s, size_t len, struct h1_msg *m,
		 const struct h1_limits *lim)
{
	return is_req ? h1_parse_request(s, len, m, lim) : h1_parse_response(s, len, m, lim);
}

static int str_in(struct h1_str s, const char *buf, size_t len)
{
	return s.p == NULL ? s.len == 0 :
		s.p >= buf && s.p + s.len <= buf + len;
}

static int str_eq(struct h1_str a, struct h1_str b)
{
	return a.p == b.p && a.len == b.len;
}

/* Same parse result, field by field (same buffer, so same pointers). */
static int msg_same(const struct h1_msg *a, const struct h1_msg *b)
{
	if (!str_eq(a->method, b->method) || a->meth != b->meth || !str_eq(a->uri, b->uri) ||
	    a->status != b->status || !str_eq(a->reason, b->reason) ||
	    a->version != b->version || a->flags != b->flags ||
	    a->content_length != b->content_length || !str_eq(a->host, b->host) ||
	    a->head_len != b->head_len || a->nhdrs != b->nhdrs ||
	    a->err_status != b->err_status || a->err_pos != b->err_pos)
		return 0;
	for (unsigned i = 0; i < a->nhdrs; i++)
		if (!str_eq(a->hdrs[i].name, b->hdrs[i].name) ||
		    !str_eq(a->hdrs[i].value, b->hdrs[i].value) ||
		    a->hdrs[i].hop != b->hdrs[i].hop)
			return 0;
	return 1;
}

static int sv(struct h1_str s, const char *lit)
{
	return s.p && s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

/* Parse a message that must be valid. Checks: complete parse returns the
 * head length; every shorter prefix is H1_INCOMPLETE; parsing again, and
 * with bytes appended after the head, gives the identical result; all
 * strings point inside the buffer. Leaves the result in M. */
static int valid(int is_req, const char *name, const char *raw)
{
	size_t len = strlen(raw);
	char *buf = malloc(len + 16);
	int r, ok = 1;

	memcpy(buf, raw, len);
	r = parse(is_req, buf, len, &M, &deflim);
	CHECKF(r == (int)len, "%s: parses whole (got %d, want %zu, err %d %s)",
	       name, r, len, M.err_status, M.err_reason ? M.err_reason : "");
	if (r != (int)len) {
		free(buf);
		return 0;
	}
	CHECKF(M.head_len == len, "%s: head_len", name);
	for (size_t k = 0; k < len; k++) {
		int rk = parse(is_req, buf, k, &M2, &deflim);
		if (rk != H1_INCOMPLETE) {
			CHECKF(0, "%s: prefix %zu gives %d (%s)", name, k, rk,
			       M2.err_reason ? M2.err_reason : "");
			ok = 0;
			break;
		}
	}
	if (ok)
		CHECKF(1, "%s: every truncation is incomplete", name);
	r = parse(is_req, buf, len, &M2, &deflim);
	CHECKF(r == (int)len && msg_same(&M, &M2), "%s: reparse identical", name);
	memcpy(buf + len, "XYZ\r\n\r\n", 8);
	r = parse(is_req, buf, len + 7, &M2, &deflim);
	CHECKF(r == (int)len && msg_same(&M, &M2), "%s: trailing bytes ignored", name);
	/* restore M as the reference result (pointers into <raw> would be
	 * nicer, but <buf> is what the strings point at; reparse on raw) */
	r = parse(is_req, raw, len, &M, &deflim);
	for (unsigned i = 0; i < M.nhdrs; i++)
		ok &= str_in(M.hdrs[i].name, raw, len) && str_in(M.hdrs[i].value, raw, len);
	ok &= str_in(M.method, raw, len) && str_in(M.uri, raw, len) &&
	      str_in(M.reason, raw, len) && str_in(M.host, raw, len);
	CHECKF(ok, "%s: strings inside the buffer", name);
	free(buf);
	return r == (int)len;
}

/* Parse a message of <len> bytes that must be refused with <status>. */
static void invalid(int is_req, const char *name, const char *raw, size_t len, int status)
{
	int r = parse(is_req, raw, len, &M, &deflim);

	CHECKF(r == H1_ERROR && M.err_status == status,
	       "%s: refused with %d (got r=%d status=%d %s)", name, status, r,
	       M.err_status, M.err_reason ? M.err_reason : "");
	CHECKF(r != H1_ERROR || (M.err_reason && M.err_pos <= len),
	       "%s: error has reason and position", name);
	for (size_t k = 0; k < len; k++)
		if (parse(is_req, raw, k, &M2, &deflim) > 0) {
			CHECKF(0, "%s: prefix %zu accepted", name, k);
			break;
		}
}

#define REQ(name, raw) valid(1, name, raw)
#define RESP(name, raw) valid(0, name, raw)
/* raw is always a string literal: sizeof keeps embedded NULs */
#define BADREQ(name, raw, st) invalid(1, name, raw, sizeof(raw) - 1, st)
#define BADRESP(name, raw) invalid(0, name, raw, sizeof(raw) - 1, 502)
#define H11 "GET / HTTP/1.1\r\nHost: a\r\n"

static void test_valid_requests(void)
{
	if (REQ("simple GET", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")) {
		CHECK("simple GET: method", sv(M.method, "GET") && M.meth == H1_M_GET);
		CHECK("simple GET: uri", sv(M.uri, "/"));
		CHECK("simple GET: version", M.version == 11);
		CHECK("simple GET: host", (M.flags & H1_F_HAS_HOST) && sv(M.host, "example.com"));
		CHECK("simple GET: one header", M.nhdrs == 1 && !M.hdrs[0].hop);
		CHECK("simple GET: no framing flags",
		      !(M.flags & (H1_F_CHUNKED | H1_F_HAS_CL | H1_F_HAS_TE)));
	}
	if (REQ("POST with CL", "POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0005\r\n\r\n")) {
		CHECK("POST with CL: meth", M.meth == H1_M_POST);
		CHECK("POST with CL: length", (M.flags & H1_F_HAS_CL) && M.content_length == 5);
	}
	if (REQ("CL max", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n"))
		CHECK("CL max: value", M.content_length == INT64_MAX);
	if (REQ("chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")) {
		CHECK("chunked: flags", (M.flags & H1_F_CHUNKED) && (M.flags & H1_F_HAS_TE) &&
		      !(M.flags & H1_F_HAS_CL));
		CHECK("chunked: TE is hop-by-hop", M.hdrs[1].hop == 1);
	}
	if (REQ("chunked any case, OWS", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  ChUnKeD \t\r\n\r\n"))
		CHECK("chunked any case: flags", M.flags & H1_F_CHUNKED);
	if (REQ("HTTP/1.0 without Host", "GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")) {
		CHECK("HTTP/1.0: version", M.version == 10 && !(M.flags & H1_F_HAS_HOST));
		CHECK("HTTP/1.0: keep-alive", (M.flags & H1_F_CONN_KA) && !(M.flags & H1_F_CONN_CLOSE));
	}
	if (REQ("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
		CHECK("OPTIONS *: meth", M.meth == H1_M_OPTIONS && sv(M.uri, "*"));
	if (REQ("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
		CHECK("CONNECT: meth", M.meth == H1_M_CONNECT && sv(M.uri, "example.com:443"));
	REQ("CONNECT IPv6", "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
	if (REQ("absolute-form", "GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n")) {
		CHECK("absolute-form: uri", sv(M.uri, "http://example.com/a?b"));
		CHECK("absolute-form: host is the authority, inside the target",
		      sv(M.host, "example.com") && M.host.p == M.uri.p + 7 &&
		      M.hdrs[0].value.p == M.host.p && M.hdrs[0].value.len == M.host.len);
	}
	if (REQ("absolute-form, other Host", "GET http://a.example/ HTTP/1.1\r\nX: 1\r\nHost: b.example\r\n\r\n"))
		CHECK("absolute-form, other Host: Host value is the authority",
		      sv(M.host, "a.example") && sv(M.hdrs[1].value, "a.example") && sv(M.hdrs[1].name, "Host") &&
		      (M.flags & H1_F_HAS_HOST));
	if (REQ("absolute-form https, port, any case", "GET HTTPS://A.example:8443?q HTTP/1.1\r\nHost:\r\n\r\n"))
		CHECK("absolute-form https: authority with port", sv(M.host, "A.example:8443") &&
		      sv(M.hdrs[0].value, "A.example:8443"));
	if (REQ("absolute-form IP-literal", "GET http://[::1]:80/x HTTP/1.1\r\nHost: z\r\n\r\n"))
		CHECK("absolute-form IP-literal: authority", sv(M.host, "[::1]:80"));
	if (REQ("absolute-form, HTTP/1.0 without Host", "GET http://a.example/ HTTP/1.0\r\n\r\n"))
		CHECK("absolute-form, HTTP/1.0: no Host added", !(M.flags & H1_F_HAS_HOST) && M.nhdrs == 0);
	if (REQ("OWS trimmed", "GET / HTTP/1.1\r\nHost:a\r\nX-A:   v w \t \r\nX-E:\r\nX-F: \t \r\n"
		"X-T:\tx\ty\t\r\n\r\n")) {
		CHECK("OWS: host without space", sv(M.host, "a"));
		CHECK("OWS: trimmed both sides", sv(M.hdrs[1].value, "v w"));
		CHECK("OWS: empty value", M.hdrs[2].value.len == 0);
		CHECK("OWS: blank value", M.hdrs[3].value.len == 0);
		CHECK("OWS: inner HTAB kept", sv(M.hdrs[4].value, "x\ty"));
		CHECK("OWS: name", sv(M.hdrs[1].name, "X-A"));
	}
	REQ("obs-text in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x80\xff caf\xc3\xa9\r\n\r\n");
	REQ("all tchars in name", "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n");
	REQ("visible URI bytes", "GET /a\"<>[]{}|\\^`~%20 HTTP/1.1\r\nHost: a\r\n\r\n");
	if (REQ("leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"))
		CHECK("leading empty lines: method after them", sv(M.method, "GET"));
	if (REQ("extension method", "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n"))
		CHECK("extension method: OTHER", M.meth == H1_M_OTHER && sv(M.method, "PURGE"));
	if (REQ("lower-case method is another method", "get / HTTP/1.1\r\nHost: a\r\n\r\n"))
		CHECK("lower-case method: OTHER", M.meth == H1_M_OTHER);
	if (REQ("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n"))
		CHECK("empty Host: has host", (M.flags & H1_F_HAS_HOST) && M.host.len == 0);
	if (REQ("CL zero", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"))
		CHECK("CL zero: has CL", (M.flags & H1_F_HAS_CL) && M.content_length == 0);
	REQ("look-alike names are fine", "GET / HTTP/1.1\r\nHost: a\r\nContent-Lengths: x\r\n"
	    "X_Content_Length: y\r\nTransfer-Encodings: z\r\n\r\n");

	static const struct { const char *m; enum h1_method e; } meths[] = {
		{ "GET", H1_M_GET }, { "HEAD", H1_M_HEAD }, { "POST", H1_M_POST },
		{ "PUT", H1_M_PUT }, { "DELETE", H1_M_DELETE }, { "OPTIONS", H1_M_OPTIONS },
		{ "TRACE", H1_M_TRACE }, { "PATCH", H1_M_PATCH }, { "GETS", H1_M_OTHER },
	};
	for (size_t i = 0; i < sizeof(meths) / sizeof(meths[0]); i++) {
		char b[128];
		snprintf(b, sizeof(b), "%s /x HTTP/1.1\r\nHost: a\r\n\r\n", meths[i].m);
		int r = h1_parse_request(b, strlen(b), &M, &deflim);
		CHECKF(r > 0 && M.meth == meths[i].e, "method id %s", meths[i].m);
	}
}

static void test_connection(void)
{
	if (REQ("Connection options", "GET / HTTP/1.1\r\nHost: a\r\nX-Foo: 1\r\n"
		"Connection: close, X-Foo,x-bar\r\nx-BAR: 2\r\nX-Baz: 3\r\nKeep-Alive: 5\r\n"
		"TE: trailers\r\nProxy-Connection: x\r\nContent-Length: 0\r\n\r\n")) {
		CHECK("Connection: close flag", (M.flags & H1_F_CONN_CLOSE) && !(M.flags & H1_F_CONN_KA));
		CHECK("Connection: Host not hop", M.hdrs[0].hop == 0);
		CHECK("Connection: named X-Foo (before) hop", M.hdrs[1].hop == 1);
		CHECK("Connection: itself hop", M.hdrs[2].hop == 1);
		CHECK("Connection: named x-bar (after, other case) hop", M.hdrs[3].hop == 1);
		CHECK("Connection: unnamed X-Baz not hop", M.hdrs[4].hop == 0);
		CHECK("Connection: Keep-Alive hop", M.hdrs[5].hop == 1);
		CHECK("Connection: TE hop", M.hdrs[6].hop == 1);
		CHECK("Connection: Proxy-Connection hop", M.hdrs[7].hop == 1);
		CHECK("Connection: Content-Length not hop", M.hdrs[8].hop == 0);
	}
	if (REQ("upgrade", "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
		"Upgrade: websocket\r\nExpect: 100-Continue\r\n\r\n")) {
		CHECK("upgrade: flags", (M.flags & H1_F_CONN_UPGRADE) && (M.flags & H1_F_UPGRADE));
		CHECK("upgrade: Upgrade hop", M.hdrs[2].hop == 1);
		CHECK("upgrade: expect 100", M.flags & H1_F_EXPECT_100);
	}
	if (REQ("expect other", "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"))
		CHECK("expect other: no flag", !(M.flags & H1_F_EXPECT_100));
	if (REQ("Connection list with empties", "GET / HTTP/1.1\r\nHost: a\r\n"
		"Connection: , keep-alive ,,\r\n\r\n"))
		CHECK("Connection list: keep-alive", M.flags & H1_F_CONN_KA);
	BADREQ("Connection names Content-Length", H11 "Connection: content-length\r\n"
	       "Content-Length: 3\r\n\r\n", 400);
	BADREQ("Connection names Host", H11 "Connection: close, host\r\n\r\n", 400);
	BADREQ("Connection not a token list", H11 "Connection: a b\r\n\r\n", 400);
	BADREQ("Connection with a quote", H11 "Connection: \"close\"\r\n\r\n", 400);
}

static void test_invalid_requests(void)
{
	/* framing */
	BADREQ("CL and TE", H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	BADREQ("TE and CL", H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400);
	BADREQ("CL list 1,1", H11 "Content-Length: 1,1\r\n\r\n", 400);
	BADREQ("CL list 1, 1", H11 "Content-Length: 1, 1\r\n\r\n", 400);
	BADREQ("CL duplicate equal", H11 "Content-Length: 1\r\nContent-Length: 1\r\n\r\n", 400);
	BADREQ("CL duplicate different", H11 "Content-Length: 1\r\ncontent-length: 2\r\n\r\n", 400);
	BADREQ("CL negative", H11 "Content-Length: -1\r\n\r\n", 400);
	BADREQ("CL plus", H11 "Content-Length: +1\r\n\r\n", 400);
	BADREQ("CL hex", H11 "Content-Length: 0x10\r\n\r\n", 400);
	BADREQ("CL empty", H11 "Content-Length: \r\n\r\n", 400);
	BADREQ("CL inner space", H11 "Content-Length: 1 2\r\n\r\n", 400);
	BADREQ("CL over INT64_MAX", H11 "Content-Length: 9223372036854775808\r\n\r\n", 400);
	BADREQ("CL 2^64", H11 "Content-Length: 18446744073709551616\r\n\r\n", 400);
	BADREQ("CL huge", H11 "Content-Length: 99999999999999999999999999\r\n\r\n", 400);
	BADREQ("TE chunked, gzip", H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", 400);
	BADREQ("TE gzip only", H11 "Transfer-Encoding: gzip\r\n\r\n", 400);
	BADREQ("TE foo", H11 "Transfer-Encoding: foo\r\n\r\n", 400);
	BADREQ("TE xchunked", H11 "Transfer-Encoding: xchunked\r\n\r\n", 400);
	BADREQ("TE unknown before chunked", H11 "Transfer-Encoding: foo, chunked\r\n\r\n", 501);
	BADREQ("TE gzip, chunked", H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 501);
	BADREQ("TE identity, chunked", H11 "Transfer-Encoding: identity, chunked\r\n\r\n", 501);
	BADREQ("TE ,chunked,", H11 "Transfer-Encoding: ,chunked,\r\n\r\n", 501);
	BADREQ("TE chunked,", H11 "Transfer-Encoding: chunked,\r\n\r\n", 501);
	BADREQ("TE , chunked", H11 "Transfer-Encoding: , chunked\r\n\r\n", 501);
	BADREQ("TE gzip then chunked fields", H11 "Transfer-Encoding: gzip\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n", 501);
	BADREQ("TE params before chunked", H11 "Transfer-Encoding: gzip ; q=1 ;"
	       "x=\"a \\\" b\" ,, identity, chunked\r\n\r\n", 501);
	BADREQ("TE chunked twice", H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 400);
	BADREQ("TE chunked twice in two fields", H11 "Transfer-Encoding: chunked\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n", 400);
	BADREQ("TE chunked then gzip field", H11 "Transfer-Encoding: chunked\r\n"
	       "Transfer-Encoding: gzip\r\n\r\n", 400);
	BADREQ("TE chunked with parameter", H11 "Transfer-Encoding: chunked;a=b\r\n\r\n", 400);
	BADREQ("TE parameter without value", H11 "Transfer-Encoding: gzip;q, chunked\r\n\r\n", 400);
	BADREQ("TE dangling semicolon", H11 "Transfer-Encoding: gzip;, chunked\r\n\r\n", 400);
	BADREQ("TE unterminated quote", H11 "Transfer-Encoding: gzip;a=\"x, chunked\r\n\r\n", 400);
	BADREQ("TE empty", H11 "Transfer-Encoding:\r\n\r\n", 400);
	BADREQ("TE only commas", H11 "Transfer-Encoding: , ,\r\n\r\n", 400);
	BADREQ("TE obs-text", H11 "Transfer-Encoding: \xa0" "chunked\r\n\r\n", 400);
	BADREQ("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	BADREQ("Content_Length", H11 "Content_Length: 5\r\n\r\n", 400);
	BADREQ("Transfer_Encoding", H11 "Transfer_Encoding: chunked\r\n\r\n", 400);
	BADREQ("Transfer---Encoding", H11 "Transfer---Encoding: chunked\r\n\r\n", 400);
	BADREQ("content__length", H11 "content__length: 5\r\n\r\n", 400);

	/* field syntax */
	BADREQ("space before colon", H11 "Content-Length : 5\r\n\r\n", 400);
	BADREQ("tab before colon", H11 "X\t: 5\r\n\r\n", 400);
	BADREQ("space inside name", H11 "Transfer- Encoding: chunked\r\n\r\n", 400);
	BADREQ("obs-fold", H11 "X: a\r\n b\r\n\r\n", 400);
	BADREQ("obs-fold tab", H11 "X: a\r\n\tb\r\n\r\n", 400);
	BADREQ("whitespace before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
	BADREQ("bare CR in value", H11 "X: a\rb\r\n\r\n", 400);
	BADREQ("bare CR ending field", H11 "X: a\rY: b\r\n\r\n", 400);
	BADREQ("bare CR at line start", H11 "\rX: a\r\n\r\n", 400);
	BADREQ("bare CR as final line", H11 "\r\r\n", 400);
	BADREQ("bare LF ending field", H11 "X: a\nY: b\r\n\r\n", 400);
	BADREQ("bare LF everywhere", "GET / HTTP/1.1\nHost: a\n\n", 400);
	BADREQ("bare LF final", H11 "\n", 400);
	BADREQ("NUL in name", H11 "X\0Y: a\r\n\r\n", 400);
	BADREQ("NUL in value", H11 "X: a\0b\r\n\r\n", 400);
	BADREQ("CTL 0x01 in value", H11 "X: \x01\r\n\r\n", 400);
	BADREQ("CTL 0x1f in value", H11 "X: a\x1f\r\n\r\n", 400);
	BADREQ("DEL in value", H11 "X: a\x7f\r\n\r\n", 400);
	BADREQ("obs-text in name", H11 "X\x80: a\r\n\r\n", 400);
	BADREQ("colon in name", H11 "X:Y:Z: a\r\nA(B: c\r\n\r\n", 400);
	BADREQ("empty name", H11 ": a\r\n\r\n", 400);
	BADREQ("no colon", H11 "Xyz\r\n\r\n", 400);
	BADREQ("quote in name", H11 "X\"Y: a\r\n\r\n", 400);

	/* Host */
	BADREQ("missing Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 400);
	BADREQ("missing Host, no fields", "GET / HTTP/1.1\r\n\r\n", 400);
	BADREQ("duplicate Host", H11 "Host: a\r\n\r\n", 400);
	BADREQ("duplicate Host other case", H11 "host: b\r\n\r\n", 400);
	BADREQ("Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
	BADREQ("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
	BADREQ("Host with obs-text", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 400);

	/* versions */
	BADREQ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	BADREQ("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
	BADREQ("HTTP/0.9 version", "GET / HTTP/0.9\r\n\r\n", 505);
	BADREQ("HTTP/3.0", "GET / HTTP/3.0\r\n\r\n", 505);
	BADREQ("HTTP/1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
	BADREQ("HTTP/11.1", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("lower-case http", "GET / http/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("HTTP/1", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400);
	BADREQ("no version (HTTP/0.9)", "GET /\r\n\r\n", 400);
	BADREQ("trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
	BADREQ("bare CR after version", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
	BADREQ("ICE", "SOURCE / ICE/1.0\r\n\r\n", 400);

	/* request line */
	BADREQ("empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("method with @", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("method obs-text", "G\xc3\x89T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("tab after method", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("two spaces after target", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("tab in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("CTL in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("NUL in target", "GET /a\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("obs-text in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("asterisk plus more", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("relative target", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("scheme starting with digit", "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("gopher scheme", "GET gopher://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	BADREQ("httpx scheme", "GET httpx://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("urn target", "GET urn:x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("userinfo", "GET http://u:p@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	BADREQ("userinfo without password", "GET http://u@a.example/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("userinfo in https", "GET https://a:b@c/ HTTP/1.1\r\nHost: c\r\n\r\n", 400);
	BADREQ("http: without //", "GET http:a.example HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("http: single slash", "GET http:/a.example/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("empty host", "GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("empty host with port", "GET http://:80/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("bad port", "GET http://a:8x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("unclosed IP-literal", "GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("empty IP-literal", "GET http://[]/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("fragment after authority", "GET http://a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("absolute-form, still one Host", "GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	BADREQ("absolute-form, HTTP/1.1 without Host", "GET http://a/ HTTP/1.1\r\n\r\n", 400);
	BADREQ("CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("CONNECT empty port", "CONNECT example.com: HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("CONNECT userinfo", "CONNECT u@example.com:1 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("CONNECT with path", "CONNECT a:1/x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("CONNECT no host", "CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("starts with LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("starts with bare CR", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	BADREQ("binary garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400);
	BADREQ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
}

/* 414 / 431 and header count limits. */
static void test_limits(void)
{
	char buf[40000];
	struct h1_limits lim = { 64, 4 };
	int r;

	/* request line longer than max_head: incomplete while short, then 414 */
	snprintf(buf, sizeof(buf), "GET /%0100d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	r = h1_parse_request(buf, 40, &M, &lim);
	CHECK("414: short prefix still incomplete", r == H1_INCOMPLETE);
	r = h1_parse_request(buf, 63, &M, &lim);
	CHECK("414: 63 bytes incomplete", r == H1_INCOMPLETE);
	r = h1_parse_request(buf, 64, &M, &lim);
	CHECK("414: at max_head", r == H1_ERROR && M.err_status == 414);
	r = h1_parse_request(buf, strlen(buf), &M, &lim);
	CHECK("414: whole message", r == H1_ERROR && M.err_status == 414);

	/* request line fits, head does not: 431 */
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: %080d\r\n\r\n", 0);
	r = h1_parse_request(buf, strlen(buf), &M, &lim);
	CHECK("431: head too large", r == H1_ERROR && M.err_status == 431);
	r = h1_parse_request(buf, 50, &M, &lim);
	CHECK("431: prefix below limit incomplete", r == H1_INCOMPLETE);

	/* head of exactly max_head bytes is fine, one more byte is not */
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: %025d\r\n\r\n", 0);
	lim.max_head = strlen(buf);
	r = h1_parse_request(buf, strlen(buf), &M, &lim);
	CHECKF(r == (int)strlen(buf), "head of exactly max_head accepted (r=%d)", r);
	lim.max_head--;
	r = h1_parse_request(buf, strlen(buf), &M, &lim);
	CHECK("head of max_head+1 refused 431", r == H1_ERROR && M.err_status == 431);

	/* header count */
	lim.max_head = 4096;
	lim.max_hdrs = 4;
	strcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
	r = h1_parse_request(buf, strlen(buf), &M, &lim);
	CHECK("max_hdrs: exactly 4 accepted", r > 0 && M.nhdrs == 4);
	strcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
	r = h1_parse_request(buf, strlen(buf), &M, &lim);
	CHECK("max_hdrs: 5th refused 431", r == H1_ERROR && M.err_status == 431);
	strcpy(buf, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n");
	r = h1_parse_response(buf, strlen(buf), &M, &lim);
	CHECK("max_hdrs: response refused 502", r == H1_ERROR && M.err_status == 502);

	/* max_hdrs above H1_MAX_HDRS is clamped (the array has that size) */
	lim.max_head = sizeof(buf);
	lim.max_hdrs = 1000;
	size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < H1_MAX_HDRS; i++)
		n += (size_t)sprintf(buf + n, "X%d: %d\r\n", i, i);
	strcpy(buf + n, "\r\n");
	r = h1_parse_request(buf, n + 2, &M, &lim);
	CHECK("H1_MAX_HDRS headers accepted", r > 0 && M.nhdrs == H1_MAX_HDRS);
	strcpy(buf + n, "Y: 1\r\n\r\n");
	r = h1_parse_request(buf, n + 8, &M, &lim);
	CHECK("H1_MAX_HDRS+1 refused 431", r == H1_ERROR && M.err_status == 431);

	/* NULL limits: defaults */
	r = h1_parse_request("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, &M, NULL);
	CHECK("NULL limits use defaults", r == 27);
	memset(buf, 'a', 20000);
	memcpy(buf, "GET /", 5);
	r = h1_parse_request(buf, 20000, &M, NULL);
	CHECK("NULL limits: long line 414", r == H1_ERROR && M.err_status == 414);
}

static void test_responses(void)
{
	if (RESP("200 with CL", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")) {
		CHECK("200 with CL: status", M.status == 200 && sv(M.reason, "OK") && M.version == 11);
		CHECK("200 with CL: framing", (M.flags & H1_F_HAS_CL) && M.content_length == 3 &&
		      !(M.flags & H1_F_BODY_TO_CLOSE));
	}
	if (RESP("200 to close", "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n"))
		CHECK("200 to close: flag", (M.flags & H1_F_BODY_TO_CLOSE) && M.version == 10);
	if (RESP("204", "HTTP/1.1 204 No Content\r\n\r\n"))
		CHECK("204: no body to close", !(M.flags & H1_F_BODY_TO_CLOSE));
	if (RESP("304 empty reason", "HTTP/1.1 304 \r\n\r\n"))
		CHECK("304: empty reason", M.status == 304 && M.reason.len == 0 &&
		      !(M.flags & H1_F_BODY_TO_CLOSE));
	if (RESP("no SP before missing reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"))
		CHECK("no reason: status", M.status == 200 && M.reason.len == 0);
	if (RESP("100 continue", "HTTP/1.1 100 Continue\r\n\r\n"))
		CHECK("100: no body to close", M.status == 100 && !(M.flags & H1_F_BODY_TO_CLOSE));
	if (RESP("101", "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
		 "Upgrade: websocket\r\n\r\n"))
		CHECK("101: flags", (M.flags & H1_F_CONN_UPGRADE) && (M.flags & H1_F_UPGRADE) &&
		      !(M.flags & H1_F_BODY_TO_CLOSE));
	if (RESP("chunked response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
		CHECK("chunked response: flags", (M.flags & H1_F_CHUNKED) &&
		      !(M.flags & H1_F_BODY_TO_CLOSE));
	if (RESP("TE gzip response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"))
		CHECK("TE gzip: to close", (M.flags & H1_F_BODY_TO_CLOSE) && (M.flags & H1_F_HAS_TE) &&
		      !(M.flags & H1_F_CHUNKED));
	if (RESP("TE chunked, gzip response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"))
		CHECK("TE chunked,gzip: to close", (M.flags & H1_F_BODY_TO_CLOSE) &&
		      !(M.flags & H1_F_CHUNKED));
	if (RESP("TE unknown response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo, chunked\r\n\r\n"))
		CHECK("TE unknown in response: chunked", M.flags & H1_F_CHUNKED);
	if (RESP("reason obs-text", "HTTP/1.1 500 Ori\xc3\xabntatieprobleem\r\nConnection: close\r\n\r\n"))
		CHECK("reason obs-text: close flag", M.flags & H1_F_CONN_CLOSE);
	RESP("reason with tabs and spaces", "HTTP/1.1 200  O\tK \r\n\r\n");
	RESP("status 999", "HTTP/1.1 999 Odd\r\n\r\n");
	RESP("response leading CRLF", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	RESP("response: Host not needed, Host twice fine",
	     "HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n");

	BADRESP("TE and CL", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n");
	BADRESP("CL list", "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n");
	BADRESP("CL duplicate", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
	BADRESP("CL garbage", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n");
	BADRESP("TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	BADRESP("TE syntax", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;\r\n\r\n");
	BADRESP("TE chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
	BADRESP("status two digits", "HTTP/1.1 20 OK\r\n\r\n");
	BADRESP("status four digits", "HTTP/1.1 2000 OK\r\n\r\n");
	BADRESP("status 099", "HTTP/1.1 099 OK\r\n\r\n");
	BADRESP("status letters", "HTTP/1.1 abc OK\r\n\r\n");
	BADRESP("two spaces before status", "HTTP/1.1  200 OK\r\n\r\n");
	BADRESP("HTTP/2.0 response", "HTTP/2.0 200 OK\r\n\r\n");
	BADRESP("HTTP/0.9 response", "HTTP/0.9 200 OK\r\n\r\n");
	BADRESP("RTSP response", "RTSP/1.0 200 OK\r\n\r\n");
	BADRESP("tab after version", "HTTP/1.1\t200 OK\r\n\r\n");
	BADRESP("CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n");
	BADRESP("bare LF status line", "HTTP/1.1 200 OK\nX: a\r\n\r\n");
	BADRESP("bare CR status line", "HTTP/1.1 200 OK\rX: a\r\n\r\n");
	BADRESP("obs-fold response", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n");
	BADRESP("space before colon response", "HTTP/1.1 200 OK\r\nX : a\r\n\r\n");
	BADRESP("NUL in response value", "HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n");
	BADRESP("disguised CL in response", "HTTP/1.1 200 OK\r\nContent_Length: 1\r\n\r\n");

	char big[300];
	struct h1_limits lim = { 64, 8 };
	snprintf(big, sizeof(big), "HTTP/1.1 200 %0100d\r\n\r\n", 0);
	CHECK("response status line too long: 502",
	      h1_parse_response(big, strlen(big), &M, &lim) == H1_ERROR && M.err_status == 502);
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: %0100d\r\n\r\n", 0);
	CHECK("response head too large: 502",
	      h1_parse_response(big, strlen(big), &M, &lim) == H1_ERROR && M.err_status == 502);
}

static void test_helpers(void)
{
	CHECK("has_body HEAD 200", !h1_resp_has_body(H1_M_HEAD, 200));
	CHECK("has_body HEAD 404", !h1_resp_has_body(H1_M_HEAD, 404));
	CHECK("has_body GET 100", !h1_resp_has_body(H1_M_GET, 100));
	CHECK("has_body GET 101", !h1_resp_has_body(H1_M_GET, 101));
	CHECK("has_body GET 204", !h1_resp_has_body(H1_M_GET, 204));
	CHECK("has_body GET 304", !h1_resp_has_body(H1_M_GET, 304));
	CHECK("has_body CONNECT 200", !h1_resp_has_body(H1_M_CONNECT, 200));
	CHECK("has_body CONNECT 407", h1_resp_has_body(H1_M_CONNECT, 407));
	CHECK("has_body GET 200", h1_resp_has_body(H1_M_GET, 200));
	CHECK("has_body POST 500", h1_resp_has_body(H1_M_POST, 500));
	CHECK("has_body OTHER 205", h1_resp_has_body(H1_M_OTHER, 205));

	CHECK("idempotent GET", h1_method_idempotent(H1_M_GET));
	CHECK("idempotent HEAD", h1_method_idempotent(H1_M_HEAD));
	CHECK("idempotent PUT", h1_method_idempotent(H1_M_PUT));
	CHECK("idempotent DELETE", h1_method_idempotent(H1_M_DELETE));
	CHECK("idempotent OPTIONS", h1_method_idempotent(H1_M_OPTIONS));
	CHECK("idempotent TRACE", h1_method_idempotent(H1_M_TRACE));
	CHECK("not idempotent POST", !h1_method_idempotent(H1_M_POST));
	CHECK("not idempotent PATCH", !h1_method_idempotent(H1_M_PATCH));
	CHECK("not idempotent CONNECT", !h1_method_idempotent(H1_M_CONNECT));
	CHECK("not idempotent OTHER", !h1_method_idempotent(H1_M_OTHER));

	struct h1_str s = { "Content-Type", 12 };
	CHECK("str_ieq same", h1_str_ieq(s, "content-type"));
	CHECK("str_ieq upper", h1_str_ieq(s, "CONTENT-TYPE"));
	CHECK("str_ieq shorter", !h1_str_ieq(s, "content-typ"));
	CHECK("str_ieq longer", !h1_str_ieq(s, "content-types"));
	CHECK("str_ieq differs", !h1_str_ieq(s, "content_type"));
	struct h1_str t = { "^", 1 };
	CHECK("str_ieq ^ is not ~", !h1_str_ieq(t, "~"));

	const char *raw = "GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nx-one: 2\r\n\r\n";
	if (h1_parse_request(raw, strlen(raw), &M, &deflim) > 0) {
		const struct h1_hdr *h = h1_find_hdr(&M, "X-ONE");
		CHECK("find_hdr first match", h && sv(h->value, "1"));
		CHECK("find_hdr missing", h1_find_hdr(&M, "X-Two") == NULL);
		CHECK("find_hdr host", h1_find_hdr(&M, "host") == &M.hdrs[0]);
	} else {
		CHECK("find_hdr message parses", 0);
	}
}

/* Every byte value at every position of a long value / target: the
 * word-at-a-time scanner must agree with the byte classes. */
static void test_byte_classes(void)
{
	char buf[256];
	int bad_ok = 1, good_ok = 1, uri_bad_ok = 1, uri_good_ok = 1;

	for (int pos = 0; pos < 40; pos++) {
		for (int c = 0; c < 256; c++) {
			int allowed = c == '\t' || (c >= 0x20 && c != 0x7f);
			char v[41];
			memset(v, 'v', 40);
			v[40] = 0;
			int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: a%sz\r\n\r\n", v);
			buf[28 + pos] = (char)c;       /* inside the value, after "a" */
			int r = h1_parse_request(buf, (size_t)n, &M, &deflim);
			if (allowed)
				good_ok &= r == n;
			else
				bad_ok &= r == H1_ERROR && M.err_pos == (size_t)(28 + pos);

			allowed = c > 0x20 && c < 0x7f;
			n = snprintf(buf, sizeof(buf), "GET /%s HTTP/1.1\r\nHost: a\r\n\r\n", v);
			buf[5 + pos] = (char)c;
			r = h1_parse_request(buf, (size_t)n, &M, &deflim);
			if (allowed)
				uri_good_ok &= r == n;
			else
				uri_bad_ok &= r == H1_ERROR &&
					(c == ' ' || M.err_pos == (size_t)(5 + pos));
		}
	}
	CHECK("value: every allowed byte at every position accepted", good_ok);
	CHECK("value: every CTL/DEL at every position refused at its offset", bad_ok);
	CHECK("target: every visible byte at every position accepted", uri_good_ok);
	CHECK("target: every other byte at every position refused at its offset", uri_bad_ok);
}

/* Error positions point at the offending byte. */
static void test_err_pos(void)
{
	const char *raw = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
	h1_parse_request(raw, 36, &M, &deflim);
	CHECK("err_pos at NUL", M.err_status == 400 && M.err_pos == 29);
	raw = "GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n";
	h1_parse_request(raw, strlen(raw), &M, &deflim);
	CHECK("err_pos at space before colon", M.err_pos == 26);
	raw = "GET /\x01 HTTP/1.1\r\n";
	h1_parse_request(raw, strlen(raw), &M, &deflim);
	CHECK("err_pos in target, early (no full head needed)",
	      M.err_status == 400 && M.err_pos == 5);
}

/* The one token check (RFC 9110 5.6.2), also used by the configuration
 * for header names and methods. */
static void test_is_token(void)
{
	char one[2] = { 0, 0 };
	int c, ok = 1;

	CHECK("token: X-Forwarded-For", h1_is_token("X-Forwarded-For"));
	CHECK("token: every tchar", h1_is_token("!#$%&'*+-.^_`|~09azAZ"));
	CHECK("token: empty is not", !h1_is_token(""));
	CHECK("token: space, colon, quote, slash are not",
	      !h1_is_token("X A") && !h1_is_token("X:A") && !h1_is_token("\"X\"") && !h1_is_token("a/b"));
	CHECK("token: DEL and non-ASCII are not", !h1_is_token("a\x7f") && !h1_is_token("caf\xc3\xa9"));
	for (c = 1; c < 256; c++) {
		one[0] = (char)c;
		ok &= h1_is_token(one) == (c < 0x80 && (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
							 (c && strchr("!#$%&'*+-.^_`|~", c))));
	}
	CHECK("token: exactly ALPHA, DIGIT and !#$%&'*+-.^_`|~", ok);
}

int main(void)
{
	test_is_token();
	test_valid_requests();
	test_connection();
	test_invalid_requests();
	test_limits();
	test_responses();
	test_helpers();
	test_err_pos();
	test_byte_classes();
	UNIT_END();
}
