/* Cookie persistence (src/proxy/cookie.c): the request's Cookie headers
 * (which server, what the server gets: prefix stripped, insert+indirect
 * removed, several cookies per header, dates of maxidle/maxlife) and the
 * response's Set-Cookie (inserted, rewritten, prefixed, the server's own
 * removed or preserved, nocache on cacheable responses, postonly). */
#include <stdlib.h>
#include <tandem/clock.h>
#include <tandem/h1.h>
#include <tandem/persist.h>
#include <tandem/sample.h>
#include "unit.h"

static struct proxy be;
static struct px_persist pp;
static struct server srv[3];
static char areabuf[65536];
static struct smp_arena arena;
static struct smp_ctx ctx;
static struct h1_msg msg;
static char raw[4096];

static void setup(int mode, unsigned flags)
{
	memset(&be, 0, sizeof(be));
	memset(&pp, 0, sizeof(pp));
	memset(srv, 0, sizeof(srv));
	list_init(&be.servers);
	be.persist = &pp;
	be.mode = PR_MODE_HTTP;
	pp.ck.name = "SRV";
	pp.ck.nlen = 3;
	pp.ck.mode = mode;
	pp.ck.flags = flags;
	for (int i = 0; i < 3; i++) {
		srv[i].be = &be;
		srv[i].puid = i + 1;
		srv[i].state = SRV_ST_RUNNING;
		list_add_tail(&be.servers, &srv[i].link);
	}
	srv[0].cookie = "s1";
	srv[1].cookie = "s2";
	srv[2].cookie = NULL;   /* a server without a cookie */
}

static void new_ctx(void)
{
	memset(&ctx, 0, sizeof(ctx));
	arena.area = areabuf;
	arena.size = sizeof(areabuf);
	arena.used = 0;
	ctx.arena = &arena;
}

static int parse_req(const char *hdrs)
{
	struct h1_limits lim = { .max_head = sizeof(raw), .max_hdrs = H1_MAX_HDRS };
	int n = snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n", hdrs);

	new_ctx();
	return h1_parse_request(raw, (size_t)n, &msg, &lim) > 0;
}

static int parse_rsp(const char *status_and_hdrs)
{
	struct h1_limits lim = { .max_head = sizeof(raw), .max_hdrs = H1_MAX_HDRS };
	int n = snprintf(raw, sizeof(raw), "HTTP/1.1 %s\r\n", status_and_hdrs);

	new_ctx();
	return h1_parse_response(raw, (size_t)n, &msg, &lim) > 0;
}

/* The value of header <name> number <nth> (0-based), "" when absent. */
static const char *hdr(const char *name, int nth, char *buf, size_t len)
{
	buf[0] = 0;
	for (unsigned i = 0; i < msg.nhdrs; i++)
		if (h1_str_ieq(msg.hdrs[i].name, name) && nth-- == 0) {
			snprintf(buf, len, "%.*s", (int)msg.hdrs[i].value.len, msg.hdrs[i].value.p);
			return buf;
		}
	return buf;
}

static int count(const char *name)
{
	int n = 0;

	for (unsigned i = 0; i < msg.nhdrs; i++)
		n += h1_str_ieq(msg.hdrs[i].name, name);
	return n;
}

static void test_request(void)
{
	struct ck_req r;
	char b[256];

	setup(CK_INSERT, CK_F_INDIRECT);
	parse_req("Cookie: a=1; SRV=s2; b=2\r\n");
	CHECK("insert indirect: request parsed", ck_request(&be, &msg, &ctx, 1, 0, &r) == 0);
	CHECK("the cookie names the server", r.srv == &srv[1] && r.state == CKS_VALID);
	CHECKF(!strcmp(hdr("cookie", 0, b, sizeof(b)), "a=1; b=2"), "indirect: ours is removed, the others kept (%s)", b);

	parse_req("Cookie: SRV=s1\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECK("indirect: a header holding only ours goes", r.srv == &srv[0] && count("cookie") == 0);

	parse_req("Cookie: SRV=nope\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECK("a forged value names no server", r.srv == NULL && r.state == CKS_INVALID);

	srv[1].state = SRV_ST_STOPPED;
	parse_req("Cookie: SRV=s2\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECK("a DOWN server is not taken", r.srv == NULL && r.state == CKS_DOWN);
	parse_req("Cookie: SRV=s2\r\n");
	ck_request(&be, &msg, &ctx, 1, 1, &r);
	CHECK("unless force-persist", r.srv == &srv[1] && r.state == CKS_DOWN);
	srv[1].state = SRV_ST_RUNNING;
	srv[1].admin = SRV_ADMF_DRAIN;
	parse_req("Cookie: SRV=s2\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECK("a draining server keeps its persistent clients", r.srv == &srv[1]);
	srv[1].admin = SRV_ADMF_MAINT;
	parse_req("Cookie: SRV=s2\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECK("a server in maintenance does not", r.srv == NULL);
	srv[1].admin = 0;

	parse_req("Cookie: SRV=s1\r\n");
	ck_request(&be, &msg, &ctx, 0, 0, &r);
	CHECK("persistence not wanted (use-server, ignore-persist): no server, header still rewritten",
	      r.srv == NULL && r.state == CKS_UNUSED && count("cookie") == 0);

	setup(CK_PREFIX, 0);
	parse_req("Cookie: JS=x; SRV=s2~abc123; y=z\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECKF(r.srv == &srv[1] && !strcmp(hdr("cookie", 0, b, sizeof(b)), "JS=x; SRV=abc123; y=z"),
	       "prefix: the server found, its prefix stripped (%s)", b);

	setup(CK_INSERT, 0);
	parse_req("Cookie: SRV=s1\r\nCookie: other=1\r\n");
	ck_request(&be, &msg, &ctx, 1, 0, &r);
	CHECK("insert without indirect: the server sees the cookie", r.srv == &srv[0] && count("cookie") == 2);

	/* maxidle: a cookie last seen too long ago is as if absent */
	pp.ck.maxidle = 60;
	{
		char old[6], hdrs[128];
		uint64_t now = clock_wall_us() / 1000000;

		ck_s30tob64((uint32_t)((now - 3600) >> 2), old);
		snprintf(hdrs, sizeof(hdrs), "Cookie: SRV=s1|%.5s\r\n", old);
		parse_req(hdrs);
		ck_request(&be, &msg, &ctx, 1, 0, &r);
		CHECK("maxidle: an idle cookie is ignored", r.srv == NULL && r.state == CKS_EXPIRED);
		ck_s30tob64((uint32_t)((now + 3) >> 2), old);
		snprintf(hdrs, sizeof(hdrs), "Cookie: SRV=s1|%.5s\r\n", old);
		parse_req(hdrs);
		ck_request(&be, &msg, &ctx, 1, 0, &r);
		CHECK("maxidle: a fresh one is taken, its date read", r.srv == &srv[0] && r.last >= now - 4);
	}
	CHECK("30-bit dates round trip", (ck_s30tob64(123456789, (char[6]){ 0 }), 1));
	{
		char d[6] = { 0 };

		ck_s30tob64(123456789, d);
		CHECK("30-bit dates: encode then decode", ck_b64tos30(d) == 123456789);
		CHECK("30-bit dates: bad characters refused", ck_b64tos30("ab!de") < 0);
	}
}

static void test_response(void)
{
	struct ck_req none = { 0 }, valid = { .state = CKS_VALID };
	char b[256];

	setup(CK_INSERT, CK_F_INDIRECT | CK_F_NOCACHE);
	parse_rsp("200 OK\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\nSet-Cookie: SRV=mine; path=/\r\n");
	CHECK("insert: response handled", ck_response(&be, &srv[0], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000) == 0);
	CHECKF(count("set-cookie") == 1 && !strcmp(hdr("set-cookie", 0, b, sizeof(b)), "SRV=s1; path=/"),
	       "insert: ours replaces the server's (%s)", b);
	CHECK("nocache: a cacheable response becomes private", !strcmp(hdr("cache-control", 0, b, sizeof(b)), "private"));

	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[0], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECK("nocache: a response no cache would keep is left alone", count("cache-control") == 0 && count("set-cookie") == 1);

	parse_rsp("200 OK\r\nSet-Cookie: SRV=mine\r\n");
	ck_response(&be, &srv[0], &msg, &ctx, &valid, 1, H1_M_GET, 0, 1000000);
	CHECK("indirect: a client that came directly gets nothing, the server's is removed", count("set-cookie") == 0);

	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[0], &msg, &ctx, &none, 0, H1_M_GET, 1, 1000000);
	CHECK("ignore-persist: nothing inserted", count("set-cookie") == 0);

	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[2], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECKF(!strcmp(hdr("set-cookie", 0, b, sizeof(b)), "SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/"),
	       "a server without a cookie: the client's is expired (%s)", b);

	pp.ck.flags = CK_F_POSTONLY | CK_F_HTTPONLY | CK_F_SECURE;
	pp.ck.domain = "a.example; domain=b.example";
	pp.ck.attrs = "SameSite=Lax";
	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[1], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECK("postonly: not on a GET", count("set-cookie") == 0);
	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[1], &msg, &ctx, &none, 0, H1_M_POST, 0, 1000000);
	CHECKF(!strcmp(hdr("set-cookie", 0, b, sizeof(b)),
		       "SRV=s2; path=/; domain=a.example; domain=b.example; HttpOnly; Secure; SameSite=Lax"),
	       "postonly on a POST; domains, HttpOnly, Secure, attr (%s)", b);
	pp.ck.domain = pp.ck.attrs = NULL;

	pp.ck.flags = CK_F_PRESERVE;
	parse_rsp("200 OK\r\nSet-Cookie: SRV=; Max-Age=0\r\n");
	ck_response(&be, &srv[1], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECK("preserve: the server's own cookie wins (logout)", count("set-cookie") == 1 &&
	      !strcmp(hdr("set-cookie", 0, b, sizeof(b)), "SRV=; Max-Age=0"));

	pp.ck.flags = 0;
	pp.ck.maxidle = 1800;
	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[0], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	hdr("set-cookie", 0, b, sizeof(b));
	CHECKF(!strncmp(b, "SRV=s1|", 7) && ck_b64tos30(b + 7) == (int)((1000000 + 3) >> 2),
	       "maxidle: the date goes with the value (%s)", b);

	setup(CK_REWRITE, 0);
	parse_rsp("200 OK\r\nSet-Cookie: SRV=whatever; path=/app\r\n");
	ck_response(&be, &srv[1], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECKF(!strcmp(hdr("set-cookie", 0, b, sizeof(b)), "SRV=s2; path=/app"), "rewrite: the value becomes the server's (%s)", b);
	parse_rsp("200 OK\r\n");
	ck_response(&be, &srv[1], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECK("rewrite: nothing added when the server sets none", count("set-cookie") == 0);

	setup(CK_PREFIX, 0);
	parse_rsp("200 OK\r\nSet-Cookie: SRV=abc123; path=/\r\n");
	ck_response(&be, &srv[0], &msg, &ctx, &none, 0, H1_M_GET, 0, 1000000);
	CHECKF(!strcmp(hdr("set-cookie", 0, b, sizeof(b)), "SRV=s1~abc123; path=/"), "prefix: the server's id in front (%s)", b);
}

int main(void)
{
	test_request();
	test_response();
	UNIT_END();
}
