/* Unit tests of the pure parts of issue 18's long tail: the PROXY protocol
 * parser and builders (src/net/proxy_proto.c; fuzzed by
 * tests/fuzz/fuzz_proxy_proto.c) and the conditions of `.if` blocks
 * (cfg_eval_condition, src/cfg/cond.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/proxy_proto.h>
#include "unit.h"

static struct sockaddr_storage v4(const char *ip, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *ip, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &a->sin6_addr);
	return ss;
}

static int same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr, 4) &&
		       ((const struct sockaddr_in *)a)->sin_port == ((const struct sockaddr_in *)b)->sin_port;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) &&
	       ((const struct sockaddr_in6 *)a)->sin6_port == ((const struct sockaddr_in6 *)b)->sin6_port;
}

static void test_v1(void)
{
	struct pp_info i;
	const char *h = "PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\nGET /";
	struct sockaddr_storage s = v4("192.168.0.1", 56324), d = v4("10.0.0.2", 443);
	size_t hl = strlen("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\n");

	CHECK("v1 tcp4", pp_parse(h, strlen(h), &i) == (int)hl && i.version == 1 && !i.local &&
	      same(&i.src, &s) && same(&i.dst, &d));
	for (size_t n = 0; n < hl; n++)
		if (pp_parse(h, n, &i) != 0) {
			CHECK("v1 every prefix needs more bytes", 0);
			break;
		}
	h = "PROXY TCP6 2001:db8::1 ::1 1 2\r\n";
	s = v6("2001:db8::1", 1);
	CHECK("v1 tcp6", pp_parse(h, strlen(h), &i) == (int)strlen(h) && same(&i.src, &s));
	h = "PROXY UNKNOWN whatever\r\n";
	CHECK("v1 unknown keeps the addresses", pp_parse(h, strlen(h), &i) == (int)strlen(h) && i.local);
	CHECK("not a header", pp_parse("GET / HTTP/1.1\r\n", 16, &i) == PP_ERR_NOT_HDR);
	CHECK("v1 bad address", pp_parse("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n", 30, &i) == PP_ERR_BAD_HDR);
	CHECK("v1 bad port", pp_parse("PROXY TCP4 1.2.3.4 1.2.3.4 1 70000\r\n", 36, &i) == PP_ERR_BAD_HDR);
	CHECK("v1 bad protocol", pp_parse("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", 32, &i) == PP_ERR_BAD_PROTO);
	{
		char longl[200];

		memset(longl, 'a', sizeof(longl));
		memcpy(longl, "PROXY TCP4 ", 11);
		CHECK("v1 line longer than 107 bytes", pp_parse(longl, sizeof(longl), &i) < 0);
	}
	CHECK("v1 error text", !strcmp(pp_strerror(PP_ERR_NOT_HDR),
				       "Received something which does not look like a PROXY protocol header"));
}

static void test_v2(void)
{
	struct sockaddr_storage s = v4("203.0.113.7", 4000), d = v4("198.51.100.1", 80);
	struct sockaddr_storage s6 = v6("2001:db8::7", 4000), d6 = v6("2001:db8::1", 80);
	struct pp2_opts o = { 0 };
	struct pp_info i;
	char b[512];
	size_t n;

	n = pp_build_v2(b, sizeof(b), &s, &d, &o);
	CHECK("v2 build size", n == PP2_HDR_LEN + 12 && !memcmp(b, PP2_SIG, PP2_SIG_LEN));
	CHECK("v2 round trip", pp_parse(b, n, &i) == (int)n && i.version == 2 && !i.local &&
	      same(&i.src, &s) && same(&i.dst, &d) && i.authority_len == -1 && i.unique_id_len == -1);
	for (size_t k = 0; k < n; k++)
		if (pp_parse(b, k, &i) != 0) {
			CHECK("v2 every prefix needs more bytes", 0);
			break;
		}
	n = pp_build_v2(b, sizeof(b), &s6, &d6, &o);
	CHECK("v2 ipv6 round trip", n == PP2_HDR_LEN + 36 && pp_parse(b, n, &i) == (int)n && same(&i.src, &s6));

	o.crc32c = 1;
	o.authority = "example.com";
	o.authority_len = 11;
	o.unique_id = 1;
	o.uid = "abc";
	o.uid_len = 3;
	n = pp_build_v2(b, sizeof(b), &s, &d, &o);
	CHECK("v2 TLVs round trip", n > 0 && pp_parse(b, n, &i) == (int)n && i.authority_len == 11 &&
	      !strcmp(i.authority, "example.com") && i.unique_id_len == 3 && !strcmp(i.unique_id, "abc"));
	b[n - 1] ^= 1;   /* the CRC no longer matches */
	CHECK("v2 wrong CRC32C refused", pp_parse(b, n, &i) < 0);

	memset(&o, 0, sizeof(o));
	o.local = 1;
	n = pp_build_v2(b, sizeof(b), NULL, NULL, &o);
	CHECK("v2 LOCAL", n >= PP2_HDR_LEN && pp_parse(b, n, &i) == (int)n && i.local);
	CHECK("v2 small buffer", pp_build_v2(b, 10, &s, &d, &o) == 0);

	n = pp_build_v2(b, sizeof(b), &s, &d, &o);
	b[12] = 0x22;   /* version 2, command 2: unknown */
	CHECK("v2 bad command", pp_parse(b, n, &i) < 0);
	/* CRC32C check value of "123456789" (RFC 3720 B.4) */
	CHECK("crc32c", pp_crc32c(0, "123456789", 9) == 0xe3069283u &&
	      pp_crc32c(pp_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u);
}

static void test_build_v1(void)
{
	struct sockaddr_storage s = v4("1.2.3.4", 5), d = v4("6.7.8.9", 10);
	char b[PP_V1_MAX + 1];
	size_t n = pp_build_v1(b, sizeof(b), &s, &d);

	CHECK("v1 build", n && !memcmp(b, "PROXY TCP4 1.2.3.4 6.7.8.9 5 10\r\n", n));
	n = pp_build_v1(b, sizeof(b), NULL, &d);
	CHECK("v1 build unknown", n == 15 && !memcmp(b, "PROXY UNKNOWN\r\n", 15));
	CHECK("v1 build small buffer", pp_build_v1(b, 8, &s, &d) == 0);
}

static int cond(const char *e)
{
	char err[256];

	return cfg_eval_condition(e, err, sizeof(err));
}

static void test_cond(void)
{
	setenv("TANDEM_T_COND", "", 1);
	unsetenv("TANDEM_T_NOPE");
	CHECK("empty is false", cond("") == 0);
	CHECK("0 / 1", cond("0") == 0 && cond("1") == 1 && cond("42") == 1);
	CHECK("defined", cond("defined(TANDEM_T_COND)") == 1 && cond("defined(TANDEM_T_NOPE)") == 0);
	CHECK("streq/strneq", cond("streq(a,a)") == 1 && cond("streq(a,b)") == 0 && cond("strneq(a,b)") == 1);
	CHECK("quoted arguments", cond("streq('a,b',\"a,b\")") == 1);
	CHECK("feature", cond("feature(EPOLL)") == 1 && cond("feature(OPENSSL)") == 1 && cond("feature(LUA)") == 0);
	CHECK("TLS library", cond("openssl_version_atleast(1.1.1)") == 1 && cond("openssl_version_before(1.0)") == 0 &&
	      cond("openssl_version_before(99)") == 1 && cond("ssllib_name_startswith(OpenSSL)") == 1 &&
	      cond("ssllib_name_startswith(LibreSSL)") == 0);
	CHECK("version_atleast", cond("version_atleast(2.4)") == 1 && cond("version_atleast(2.6)") == 1 &&
	      cond("version_atleast(2.7)") == 0 && cond("version_atleast(2.6-dev3)") == 1);
	CHECK("version_before", cond("version_before(2.7)") == 1 && cond("version_before(2.6)") == 0);
	CHECK("! && || ()", cond("!0") == 1 && cond("1 && 0 || 1") == 1 && cond("1 && (0 || 0)") == 0 &&
	      cond("!(1 && 1)") == 0);
	CHECK("&& before ||", cond("0 && 1 || 1 && 1") == 1 && cond("1 || 1 && 0") == 1);
	CHECK("errors", cond("foo(1)") < 0 && cond("streq(a)") < 0 && cond("1 &&") < 0 && cond("(1") < 0 &&
	      cond("1 1") < 0);
}

int main(void)
{
	test_v1();
	test_v2();
	test_build_v1();
	test_cond();
	UNIT_END();
}
