/* src/admin/stats_auth.c: strict Basic credentials (padding, no trailing
 * junk, unused bits zero, scheme case, several `stats auth` lines) and the
 * same-origin check of admin POSTs (Origin, then Referer, against Host). */
#include <stdlib.h>
#include <tandem/h1.h>
#include <tandem/stats_http.h>
#include "unit.h"

static struct proxy px;
static struct stats_auth a1 = { .user = "admin", .pass = "s3cret" };
static struct stats_auth a2 = { .user = "ro", .pass = "x:y" };
static struct stats_auth a3 = { .user = "u", .pass = "pwd" };
static struct stats_auth a4 = { .user = "u", .pass = "pw" };

static int ok(const char *v)
{
	return stats_auth_check(&px, v, v ? strlen(v) : 0);
}

static void test_basic(void)
{
	list_init(&px.stats_auths);
	CHECK("no stats auth: anyone", ok(NULL) && ok("Basic !!!"));
	list_add_tail(&px.stats_auths, &a1.link);
	list_add_tail(&px.stats_auths, &a2.link);
	list_add_tail(&px.stats_auths, &a3.link);
	list_add_tail(&px.stats_auths, &a4.link);

	/* admin:s3cret = YWRtaW46czNjcmV0 ; ro:x:y = cm86eDp5 */
	CHECK("valid credentials", ok("Basic YWRtaW46czNjcmV0"));
	CHECK("second line", ok("Basic cm86eDp5"));
	CHECK("scheme any case, several SP", ok("bAsIc   YWRtaW46czNjcmV0"));
	CHECK("no header", !ok(NULL));
	CHECK("empty", !ok(""));
	CHECK("scheme only", !ok("Basic"));
	CHECK("scheme and SP only", !ok("Basic "));
	CHECK("other scheme", !ok("Bearer YWRtaW46czNjcmV0"));
	CHECK("scheme without SP", !ok("BasicYWRtaW46czNjcmV0"));
	CHECK("tab instead of SP", !ok("Basic\tYWRtaW46czNjcmV0"));
	CHECK("trailing junk", !ok("Basic YWRtaW46czNjcmV0!!!!garbage"));
	CHECK("trailing base64", !ok("Basic YWRtaW46czNjcmV0YWRt"));
	CHECK("trailing padding", !ok("Basic YWRtaW46czNjcmV0===="));
	CHECK("trailing space kept in value", !ok("Basic YWRtaW46czNjcmV0 "));
	CHECK("wrong password", !ok("Basic YWRtaW46czNjcmV1"));
	CHECK("password prefix", !ok("Basic YWRtaW46czNjcmU="));       /* admin:s3cre */
	CHECK("password longer", !ok("Basic YWRtaW46czNjcmV0eA=="));   /* admin:s3cretx */
	CHECK("user only", !ok("Basic YWRtaW4="));                      /* admin */
	CHECK("user and colon", !ok("Basic YWRtaW46"));                 /* admin: */
	CHECK("NUL after credentials", !ok("Basic YWRtaW46czNjcmV0AA=="));
	CHECK("user of one line with password of another", !ok("Basic YWRtaW46eDp5")); /* admin:x:y */
	/* "ro:x:y" with the padding stripped is "cm86eDp5" (no padding needed);
	 * "ro:x" = cm86eA== : unpadded form refused */
	CHECK("missing padding", !ok("Basic YWRtaW46czNjcmV0eA"));
	CHECK("padding in the middle", !ok("Basic YWRt=W46czNjcmV0"));
	/* u:pwd = dTpwd2Q= and u:pw = dTpwdw== ; the same bytes with non-zero
	 * unused bits (a second spelling of the same credentials) are refused */
	CHECK("one padding byte", ok("Basic dTpwd2Q="));
	CHECK("two padding bytes", ok("Basic dTpwdw=="));
	CHECK("non-zero unused bits (=)", !ok("Basic dTpwd2R="));
	CHECK("non-zero unused bits (==)", !ok("Basic dTpwdx=="));
	CHECK("padding missing (=)", !ok("Basic dTpwd2Q"));
	CHECK("padding missing (==)", !ok("Basic dTpwdw"));
	CHECK("three padding bytes", !ok("Basic dTpw===="));
	CHECK("URL-safe alphabet refused", !ok("Basic YWRtaW46czNjcmV0-_=="));
	{
		/* far longer than any credentials: refused without overflow */
		size_t n = 4000;
		char *big = malloc(n + 7);
		memcpy(big, "Basic ", 6);
		memset(big + 6, 'A', n);
		big[6 + n] = 0;
		CHECK("oversized credentials", !ok(big));
		free(big);
	}
}

/* Parse <raw> as a request and return the origin check's answer. */
static int origin(const char *raw)
{
	static struct h1_msg m;
	int r = h1_parse_request(raw, strlen(raw), &m, NULL);

	if (r <= 0) {
		CHECKF(0, "test request parses: %s", raw);
		return -1;
	}
	return stats_origin_ok(&m);
}

#define RQ(extra) "POST /stats HTTP/1.1\r\nHost: lb.example:8404\r\n" extra "\r\n"

static void test_origin(void)
{
	CHECK("no request: accepted", stats_origin_ok(NULL));
	CHECK("neither Origin nor Referer (curl): accepted", origin(RQ("")) == 1);
	CHECK("same Origin", origin(RQ("Origin: http://lb.example:8404\r\n")) == 1);
	CHECK("same Origin, https, any case", origin(RQ("Origin: HTTPS://LB.example:8404\r\n")) == 1);
	CHECK("other host", origin(RQ("Origin: http://evil.example:8404\r\n")) == 0);
	CHECK("other port", origin(RQ("Origin: http://lb.example:8405\r\n")) == 0);
	CHECK("no port", origin(RQ("Origin: http://lb.example\r\n")) == 0);
	CHECK("suffix host", origin(RQ("Origin: http://xlb.example:8404\r\n")) == 0);
	CHECK("Origin null", origin(RQ("Origin: null\r\n")) == 0);
	CHECK("Origin garbage", origin(RQ("Origin: lb.example:8404\r\n")) == 0);
	CHECK("Origin with userinfo", origin(RQ("Origin: http://lb.example:8404@evil\r\n")) == 0);
	CHECK("same Referer", origin(RQ("Referer: http://lb.example:8404/stats;st=DONE\r\n")) == 1);
	CHECK("other Referer", origin(RQ("Referer: http://evil.example/x?http://lb.example:8404/\r\n")) == 0);
	CHECK("Origin decides over Referer", origin(RQ("Origin: http://evil.example\r\n"
						       "Referer: http://lb.example:8404/\r\n")) == 0);
	CHECK("default ports", origin("POST /s HTTP/1.1\r\nHost: lb\r\nOrigin: http://lb:80\r\n\r\n") == 1 &&
	      origin("POST /s HTTP/1.1\r\nHost: lb:443\r\nOrigin: https://lb\r\n\r\n") == 1 &&
	      origin("POST /s HTTP/1.1\r\nHost: lb\r\nOrigin: https://lb\r\n\r\n") == 1);
	CHECK("HTTP/1.0 without Host, with Origin", origin("POST /s HTTP/1.0\r\nOrigin: http://lb\r\n\r\n") == 0);
	CHECK("absolute-form: the authority is the host",
	      origin("POST http://lb.example:8404/stats HTTP/1.1\r\nHost: evil\r\n"
		     "Origin: http://lb.example:8404\r\n\r\n") == 1);
}

int main(void)
{
	test_basic();
	test_origin();
	UNIT_END();
}
