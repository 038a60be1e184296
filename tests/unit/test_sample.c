/* Sample fetches (src/rules/fetch_*.c) and the expression engine
 * (src/rules/sample.c): every fetch against heads parsed by the real
 * HTTP/1.1 parser, argument checking, casts, the per-request cache, the
 * rule-set availability of sources, TLS ClientHello parsing. */
#include <tandem/conn_err.h>
#include <tandem/proxy_proto.h>
#include <tandem/ssl.h>
#include <tandem/xprt_ssl.h>
#include "rules_test.h"

static const char REQ[] =
	"GET /path/to/x.html?a=1&b=two&a=3&c HTTP/1.1\r\n"
	"Host: www.Example.com:8080\r\n"
	"X-Multi: a, b, \"c,d\"\r\n"
	"X-Multi: e\r\n"
	"Cookie: SID=abc; theme=dark; SID=def\r\n"
	"Cookie: lang=en\r\n"
	"X-Ip: 10.1.2.3, ::1\r\n"
	"X-Num: 42\r\n"
	"Authorization: Basic Ym9iOnB3\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char RSP[] =
	"HTTP/1.1 404 Not Found\r\n"
	"Server: x\r\n"
	"Set-Cookie: a=1; Path=/\r\n"
	"Set-Cookie: b=2\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static void test_http_request(void)
{
	t_ctx(NULL);
	CHECK("request parses", t_req(REQ));
	T_EQ("method", "GET");
	T_EQ("path", "/path/to/x.html");
	T_EQ("pathq", "/path/to/x.html?a=1&b=two&a=3&c");
	T_EQ("query", "a=1&b=two&a=3&c");
	T_EQ("url", "/path/to/x.html?a=1&b=two&a=3&c");
	T_EQ("base", "www.Example.com:8080/path/to/x.html");
	T_EQ("baseq", "www.Example.com:8080/path/to/x.html?a=1&b=two&a=3&c");
	T_EQ("req.ver", "1.1");
	T_EQ("req_ver", "1.1");
	T_EQ("http_first_req", "1");
	T_EQ("hdr(host)", "www.Example.com:8080");
	T_EQ("hdr(HOST)", "www.Example.com:8080");
	T_EQ("req.hdr(x-multi)", "e");
	T_EQ("req.hdr(x-multi,1)", "a");
	T_EQ("req.hdr(x-multi,2)", "b");
	T_EQ("req.hdr(x-multi,3)", "\"c,d\"");
	T_EQ("req.hdr(x-multi,-2)", "\"c,d\"");
	T_EQ("req.hdr(x-multi,5)", NULL);
	T_EQ("req.hdr(x-none)", NULL);
	T_EQ("req.fhdr(x-multi)", "e");
	T_EQ("req.fhdr(x-multi,1)", "a, b, \"c,d\"");
	T_EQ("req.hdr_cnt(x-multi)", "4");
	T_EQ("hdr_cnt(x-multi)", "4");
	T_EQ("req.fhdr_cnt(x-multi)", "2");
	T_EQ("req.hdr_cnt(x-none)", "0");
	T_EQ("req.hdr_ip(x-ip)", "::1");
	T_EQ("req.hdr_ip(x-ip,1)", "10.1.2.3");
	T_EQ("hdr_ip(x-ip,1)", "10.1.2.3");
	T_EQ("req.hdr_val(x-num)", "42");
	T_EQ("hdr_val(x-num)", "42");
	T_EQ("req.cook(SID)", "def");
	T_EQ("req.cook(theme)", "dark");
	T_EQ("req.cook(lang)", "en");
	T_EQ("req.cook()", "abc");
	T_EQ("cook(SID)", "def");
	T_EQ("req.cook(nope)", NULL);
	T_EQ("req.cook_cnt(SID)", "2");
	T_EQ("cook_cnt(SID)", "2");
	T_EQ("req.cook_val(SID)", "0");
	T_EQ("url_param(a)", "1");
	T_EQ("urlp(b)", "two");
	T_EQ("urlp(c)", NULL);
	T_EQ("urlp(zz)", NULL);
	T_EQ("urlp_val(a)", "1");
	T_EQ("http_auth_user", "bob");
	T_EQ("http_auth_pass", "pw");
	T_EQ("http_auth_type", "Basic");
	T_EQ("http_auth_bearer", NULL);
	T_EQ("capture.req.method", "GET");
	T_EQ("capture.req.uri", "/path/to/x.html?a=1&b=two&a=3&c");
	T_EQ("capture.req.ver", "HTTP/1.1");
	T_EQ("req.hdr_names", "Host,X-Multi,X-Multi,Cookie,Cookie,X-Ip,X-Num,Authorization,Content-Length");
	T_EQ("req.hdr_names(;)", "Host;X-Multi;X-Multi;Cookie;Cookie;X-Ip;X-Num;Authorization;Content-Length");
	{
		char v[4096];

		CHECK("req.hdrs has the block",
		      t_str("req.hdrs", v, sizeof(v)) && strstr(v, "Host: www.Example.com:8080\r\n") &&
		      strstr(v, "Content-Length: 0\r\n\r\n"));
	}
	T_EQ("req.body_size", "0");
	T_EQ("req.body", NULL);
	T_EQ("status", NULL);
	T_EQ("res.hdr(server)", NULL);
	/* absolute-form target */
	t_req("GET http://h.example:81/p/q?x=1 HTTP/1.1\r\nHost: h.example:81\r\n\r\n");
	T_EQ("path", "/p/q");
	T_EQ("query", "x=1");
	T_EQ("url", "http://h.example:81/p/q?x=1");
	T_EQ("pathq", "/p/q?x=1");
	/* no query */
	t_req("POST /only HTTP/1.0\r\nAuthorization: Bearer tok123\r\n\r\n");
	T_EQ("query", NULL);
	T_EQ("method", "POST");
	T_EQ("req.ver", "1.0");
	T_EQ("base", "/only");
	T_EQ("http_auth_bearer", "tok123");
	T_EQ("http_auth_type", "Bearer");
	T_EQ("http_auth_user", NULL);
	/* an empty query after '?' */
	t_req("GET /e? HTTP/1.1\r\nHost: x\r\n\r\n");
	T_EQ("query", "");
	C.req_count = 2;
	smp_ctx_invalidate(&C);
	T_EQ("http_first_req", "0");
	/* a method tandem does not know by name */
	t_req("PURGE /x HTTP/1.1\r\nHost: x\r\n\r\n");
	T_EQ("method", "PURGE");
}

static void test_http_response(void)
{
	t_ctx(NULL);
	t_req(REQ);
	CHECK("response parses", t_rsp(RSP));
	T_EQ("status", "404");
	T_EQ("res.ver", "1.1");
	T_EQ("resp_ver", "1.1");
	T_EQ("res.hdr(server)", "x");
	T_EQ("shdr(server)", "x");
	T_EQ("hdr(server)", "x");          /* hdr() reads the response in response rules */
	T_EQ("res.fhdr(set-cookie,1)", "a=1; Path=/");
	T_EQ("res.hdr_cnt(set-cookie)", "2");
	T_EQ("shdr_cnt(set-cookie)", "2");
	T_EQ("res.fhdr_cnt(set-cookie)", "2");
	T_EQ("res.cook(a)", "1");
	T_EQ("res.cook(b)", "2");
	T_EQ("scook(b)", "2");
	T_EQ("set-cookie(a)", "1");
	T_EQ("res.cook_cnt", "2");
	T_EQ("res.cook_val(b)", "2");
	T_EQ("cookie(b)", "2");
	T_EQ("res.hdr_names", "Server,Set-Cookie,Set-Cookie,Content-Length");
	T_EQ("capture.res.ver", "HTTP/1.1");
	T_EQ("res.hdr_val(content-length)", "0");
	/* what survives the heads for logs */
	rules_capture_req(&T_px, &C);
	rules_capture_rsp(&T_px, &C);
	C.req = NULL;
	C.rsp = NULL;
	smp_ctx_invalidate(&C);
	T_EQ("method", "GET");
	T_EQ("capture.req.ver", "HTTP/1.1");
	T_EQ("capture.req.uri", "/path/to/x.html?a=1&b=two&a=3&c");
	T_EQ("capture.res.ver", "HTTP/1.1");
	T_EQ("status", "404");
	T_EQ("path", NULL);
}

static void test_internal(void)
{
	char v[256], host[256];

	t_ctx(NULL);
	T_EQ("src", "192.168.1.10");
	T_EQ("src_port", "40000");
	T_EQ("dst", "10.0.0.1");
	T_EQ("dst_port", "80");
	T_EQ("fc_src", "192.168.1.10");
	T_EQ("fe_name", "fe");
	T_EQ("be_name", "fe");
	T_EQ("srv_name", NULL);
	T_EQ("always_true", "1");
	T_EQ("always_false", "0");
	T_EQ("int(-5)", "-5");
	T_EQ("str(abc)", "abc");
	T_EQ("str()", "");
	T_EQ("bool(true)", "1");
	T_EQ("bool(0)", "0");
	T_EQ("ipv4(1.2.3.4)", "1.2.3.4");
	T_EQ("ipv6(2001:db8::1)", "2001:db8::1");
	T_EQ("bin(414243)", "ABC");
	setenv("TANDEM_RULES_T", "envval", 1);
	T_EQ("env(TANDEM_RULES_T)", "envval");
	T_EQ("env(TANDEM_RULES_NOPE)", NULL);
	CHECK("date is now", t_str("date", v, sizeof(v)) && atoll(v) > 1600000000);
	CHECK("date(10,ms)", t_str("date(10,ms)", v, sizeof(v)) && atoll(v) > 1600000000000LL);
	CHECK("rand(10) < 10", t_str("rand(10)", v, sizeof(v)) && atoi(v) >= 0 && atoi(v) < 10);
	CHECK("uuid", t_str("uuid", v, sizeof(v)) && strlen(v) == 36 && v[14] == '4');
	gethostname(host, sizeof(host));
	T_EQ("hostname", host);
	T_EQ("var(txn.x)", NULL);
	T_EQ("var(txn.nope,dflt)", "dflt");
	{
		struct smp_expr *e = t_expr("str(hello)");
		struct sample s;
		char err[256];
		int id = vars_register(&T_rc, "txn.x", 5, err, sizeof(err));

		CHECK("var registered", id >= 0);
		CHECK("var set", e && smp_eval(e, &C, &s) && vars_set(&C, id, &s));
		T_EQ("var(txn.x)", "hello");
		rules_txn_begin(&C);
		T_EQ("var(txn.x) gone with the transaction", NULL);
		smp_expr_free(e);
		id = vars_register(&T_rc, "sess.s", 6, err, sizeof(err));
		smp_set_int(&s, 7);
		vars_set(&C, id, &s);
		rules_txn_begin(&C);
		T_EQ("var(sess.s)", "7");
		id = vars_register(&T_rc, "proc.p", 6, err, sizeof(err));
		smp_set_str(&s, "pv", 2, SMP_F_CONST);
		vars_set(&C, id, &s);
		T_EQ("var(proc.p)", "pv");
		CHECK("bad var scope", vars_register(&T_rc, "foo.x", 5, err, sizeof(err)) < 0 &&
		      strstr(err, "must be start by its scope"));
		CHECK("bad var char", vars_register(&T_rc, "txn.a-b", 7, err, sizeof(err)) < 0);
	}
	T_EQ("last_rule_file", NULL);
	T_EQ("unique-id", NULL);
	T_EQ("fe_client_timeout", "0");
}

/* A TLS 1.2 ClientHello with SNI a.example and ALPN h2, http/1.1. */
static size_t client_hello(unsigned char *b)
{
	static const unsigned char sni[] = {
		0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09,
		'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	};
	static const unsigned char alpn[] = {
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2',
		0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
	};
	size_t n = 0, ext = sizeof(sni) + sizeof(alpn);
	size_t hs = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + ext;

	b[n++] = 0x16; b[n++] = 3; b[n++] = 1;
	b[n++] = (unsigned char)((hs + 4) >> 8); b[n++] = (unsigned char)(hs + 4);
	b[n++] = 1; b[n++] = 0; b[n++] = (unsigned char)(hs >> 8); b[n++] = (unsigned char)hs;
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0x42, 32); n += 32;
	b[n++] = 0;                       /* session id */
	b[n++] = 0; b[n++] = 2; b[n++] = 0x13; b[n++] = 0x01;   /* one suite */
	b[n++] = 1; b[n++] = 0;           /* compression: null */
	b[n++] = (unsigned char)(ext >> 8); b[n++] = (unsigned char)ext;
	memcpy(b + n, sni, sizeof(sni)); n += sizeof(sni);
	memcpy(b + n, alpn, sizeof(alpn)); n += sizeof(alpn);
	return n;
}

static void test_payload(void)
{
	unsigned char hello[512];
	size_t n = client_hello(hello);
	char v[256];

	t_ctx(NULL);
	C.payload = (const char *)hello;
	C.payload_len = n;
	C.payload_final = 1;
	C.phase = SMP_PH_TCP_CONT;
	CHECK("req.len", t_str("req.len", v, sizeof(v)) && (size_t)atoi(v) == n);
	T_EQ("req.payload(0,1),hex", "16");
	T_EQ("req.payload(1,2),hex", "0301");
	CHECK("req.payload_lv(3,2): the record", t_str("req.payload_lv(3,2),length", v, sizeof(v)) && (size_t)atoi(v) == n - 5);
	T_EQ("req.ssl_hello_type", "1");
	T_EQ("req_ssl_hello_type", "1");
	T_EQ("req.ssl_sni", "a.example");
	T_EQ("req_ssl_sni", "a.example");
	T_EQ("req.ssl_ver", "196611");          /* 3.3 as HAProxy encodes it: 3 << 16 | 3 */
	T_EQ("req.ssl_alpn", "h2");
	T_EQ("req.proto_http", "0");
	/* matching the version with a dotted pattern, as HAProxy's doc shows */
	CHECK("req.ssl_ver 3.3", t_match("if { req.ssl_ver 3.3 }") == ACL_MATCH);
	CHECK("req.ssl_ver 3:3.1 no", t_match("if { req.ssl_ver 3:3.1 }") == ACL_FAIL);
	CHECK("alpn iterates in ACLs", t_match("if { req.ssl_alpn http/1.1 }") == ACL_MATCH);
	CHECK("sni -i", t_match("if { req.ssl_sni -i A.EXAMPLE }") == ACL_MATCH);
	/* incomplete hello: no value yet, MAY_CHANGE while data may come */
	C.payload_len = 20;
	C.payload_final = 0;
	smp_ctx_invalidate(&C);
	{
		struct smp_expr *e = t_expr("req.ssl_sni");
		struct sample s;

		CHECK("partial hello: no sni yet", e && !smp_eval(e, &C, &s) && (s.flags & SMP_F_MAY_CHANGE));
		CHECK("partial hello: ACL misses", t_match("if { req.ssl_sni a.example }") == ACL_MISS);
		C.payload_final = 1;
		smp_ctx_invalidate(&C);
		CHECK("partial hello, final: ACL fails", t_match("if { req.ssl_sni a.example }") == ACL_FAIL);
		smp_expr_free(e);
	}
	/* not TLS */
	C.payload = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	C.payload_len = strlen(C.payload);
	smp_ctx_invalidate(&C);
	T_EQ("req.ssl_hello_type", NULL);
	T_EQ("req.proto_http", "1");
	T_EQ("req.payload(0,3)", "GET");
	T_EQ("req.payload(4,0)", "/ HTTP/1.1\r\nHost: x\r\n\r\n");
	C.payload = "\x00\x03" "abcdef";
	C.payload_len = 8;
	smp_ctx_invalidate(&C);
	T_EQ("req.payload_lv(0,2)", "abc");
	T_EQ("req.payload_lv(0,2,4)", "cde");
	T_EQ("req.payload(6,5)", NULL);
	T_EQ("wait_end", "1");
	C.payload_final = 0;
	smp_ctx_invalidate(&C);
	T_EQ("wait_end", NULL);
	T_EQ("res.len", "8");
}

static void test_errors(void)
{
	static const struct { const char *expr, *err; } bad[] = {
		{ "nosuch", "unknown fetch method 'nosuch'" },
		{ "", "missing fetch method" },
		{ "hdr(a,b)", "fetch method 'hdr' : invalid arg 2: expects an integer, got 'b'" },
		{ "req.fhdr", "fetch method 'req.fhdr' : missing arguments (got 0/1)" },
		{ "int(1,2)", "fetch method 'int' : end of arguments expected at position 2, but got '2'" },
		{ "int(x)", "fetch method 'int' : invalid arg 1: expects an integer, got 'x'" },
		{ "path,nope", "unknown converter 'nope'" },
		{ "path,", "missing converter name after ','" },
		{ "always_true,ipmask(24)", "converter 'ipmask' cannot be applied to a bool sample" },
		{ "path,regsub((,x)", "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)" },
		{ "str(a", "missing closing ')' after arguments to fetch method 'str'" },
		{ "var(foo.x)", "fetch method 'var' : invalid arg 1: invalid variable name 'foo.x'." },
		{ "bool(maybe)", "fetch method 'bool' : expects 0, 1, true or false, got 'maybe'" },
		{ "date(0,h)", "invalid unit 'h' (expects s, ms or us)" },
		{ "path,field(x,_)", "converter 'field' : invalid arg 1: expects an integer, got 'x'" },
		{ "path junk", "unexpected ' junk' after the expression" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct smp_expr *e = t_expr(bad[i].expr);

		CHECKF(!e && strstr(T_err, bad[i].err), "refused: %s", bad[i].expr);
		if (e || !strstr(T_err, bad[i].err))
			printf("  got: %s\n", e ? "(compiled)" : T_err);
		smp_expr_free(e);
	}
	/* second-level quoting inside arguments */
	t_ctx(NULL);
	T_EQ("str('a,b'),length", "3");
	T_EQ("str(\"x)y\")", "x)y");
	T_EQ("str(a\\,b)", "a,b");
}

static void test_phases(void)
{
	static const struct { const char *expr; int phase; int ok; } m[] = {
		{ "req.hdr(host)", SMP_PH_HTTP_REQ, 1 },
		{ "req.hdr(host)", SMP_PH_TCP_CONT, 1 },
		{ "req.hdr(host)", SMP_PH_HTTP_RES, 0 },
		{ "req.hdr(host)", SMP_PH_LOG, 0 },
		{ "req.hdr(host)", SMP_PH_TCP_CONN, 0 },
		{ "path", SMP_PH_HTTP_AFTER, 0 },
		{ "method", SMP_PH_HTTP_RES, 1 },
		{ "method", SMP_PH_LOG, 1 },
		{ "method", SMP_PH_TCP_CONN, 0 },
		{ "status", SMP_PH_HTTP_REQ, 0 },
		{ "status", SMP_PH_LOG, 1 },
		{ "res.hdr(x)", SMP_PH_HTTP_RES, 1 },
		{ "res.hdr(x)", SMP_PH_HTTP_REQ, 0 },
		{ "res.hdr(x)", SMP_PH_LOG, 0 },
		{ "hdr(x)", SMP_PH_HTTP_REQ, 1 },
		{ "hdr(x)", SMP_PH_HTTP_RES, 1 },
		{ "hdr(x)", SMP_PH_LOG, 0 },
		{ "req.len", SMP_PH_TCP_CONT, 1 },
		{ "req.len", SMP_PH_HTTP_REQ, 0 },
		{ "req.len", SMP_PH_TCP_RES, 0 },
		{ "res.len", SMP_PH_TCP_RES, 1 },
		{ "wait_end", SMP_PH_TCP_CONT, 1 },
		{ "wait_end", SMP_PH_TCP_RES, 1 },
		{ "req.proto_http", SMP_PH_HTTP_REQ, 1 },
		{ "req.proto_http", SMP_PH_TCP_CONN, 0 },
		{ "capture.req.hdr(0)", SMP_PH_LOG, 1 },
		{ "capture.req.hdr(0)", SMP_PH_TCP_CONN, 0 },
		{ "var(txn.x)", SMP_PH_TCP_CONN, 1 },
		{ "unique-id", SMP_PH_TCP_CONN, 1 },
		{ "src", SMP_PH_TCP_CONN, 1 },
		{ "be_name", SMP_PH_LOG, 1 },
		/* TLS: the client connection from the accept on, the server's
		 * once a response comes (HAProxy's L5CLI / L5SRV) */
		{ "ssl_fc", SMP_PH_TCP_CONN, 1 },
		{ "ssl_fc_sni", SMP_PH_HTTP_REQ, 1 },
		{ "ssl_c_s_dn(CN)", SMP_PH_LOG, 1 },
		{ "ssl_f_serial", SMP_PH_HTTP_AFTER, 1 },
		{ "ssl_bc", SMP_PH_HTTP_REQ, 0 },
		{ "ssl_bc_protocol", SMP_PH_TCP_CONT, 0 },
		{ "ssl_bc_cipher", SMP_PH_TCP_CONN, 0 },
		{ "ssl_bc", SMP_PH_HTTP_RES, 1 },
		{ "ssl_bc_alpn", SMP_PH_TCP_RES, 1 },
		{ "ssl_s_s_dn", SMP_PH_HTTP_AFTER, 1 },
		{ "ssl_bc_is_resumed", SMP_PH_LOG, 1 },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct smp_expr *e = t_expr(m[i].expr);
		int ok = e && smp_expr_check_phase(e, m[i].phase, err, sizeof(err)) == 0;

		CHECKF(ok == m[i].ok, "%s %s in phase %d", m[i].expr, m[i].ok ? "usable" : "refused", m[i].phase);
		smp_expr_free(e);
	}
	{
		struct smp_expr *e = t_expr("req.hdr(host)");

		CHECK("phase message names the source",
		      e && smp_expr_check_phase(e, SMP_PH_LOG, err, sizeof(err)) < 0 &&
		      !strcmp(err, "sample fetch <req.hdr(host)> may not be reliably used here because it needs "
			      "'HTTP request headers' which is not available here"));
		smp_expr_free(e);
		e = t_expr("ssl_bc");
		CHECKF(e && smp_expr_check_phase(e, SMP_PH_HTTP_REQ, err, sizeof(err)) < 0 &&
		       !strcmp(err, "sample fetch <ssl_bc> may not be reliably used here because it needs "
			       "'server-side connection' which is not available here"), "ssl_bc in a request rule: %.200s", err);
		smp_expr_free(e);
	}
}

/* The TLS fetches (fetch_ssl.c) on connections without TLS, or none: the
 * booleans are false, the rest has no value (HAProxy's). Their values on
 * real TLS connections are tested end to end (tests/integ/test_rules_tls.py). */
static void test_tls_plain(void)
{
	static const struct { const char *expr; int type; } kw[] = {
		{ "ssl_fc", SMP_T_BOOL }, { "ssl_fc_sni", SMP_T_STR }, { "ssl_fc_has_sni", SMP_T_BOOL },
		{ "ssl_fc_protocol", SMP_T_STR }, { "ssl_fc_cipher", SMP_T_STR }, { "ssl_fc_alpn", SMP_T_STR },
		{ "ssl_fc_use_keysize", SMP_T_SINT }, { "ssl_fc_alg_keysize", SMP_T_SINT },
		{ "ssl_fc_is_resumed", SMP_T_BOOL }, { "ssl_fc_session_id", SMP_T_BIN }, { "ssl_fc_err", SMP_T_SINT },
		{ "ssl_fc_err_str", SMP_T_STR }, { "ssl_fc_has_crt", SMP_T_BOOL }, { "ssl_c_used", SMP_T_BOOL },
		{ "ssl_c_verify", SMP_T_SINT }, { "ssl_c_err", SMP_T_SINT }, { "ssl_c_ca_err", SMP_T_SINT },
		{ "ssl_c_ca_err_depth", SMP_T_SINT }, { "ssl_c_s_dn", SMP_T_STR }, { "ssl_c_i_dn(CN,-1)", SMP_T_STR },
		{ "ssl_c_s_dn(,0,rfc2253)", SMP_T_STR }, { "ssl_c_serial", SMP_T_BIN }, { "ssl_c_sha1", SMP_T_BIN },
		{ "ssl_c_notbefore", SMP_T_STR }, { "ssl_c_notafter", SMP_T_STR }, { "ssl_c_version", SMP_T_SINT },
		{ "ssl_c_key_alg", SMP_T_STR }, { "ssl_c_sig_alg", SMP_T_STR }, { "ssl_f_s_dn(CN)", SMP_T_STR },
		{ "ssl_f_i_dn", SMP_T_STR }, { "ssl_f_serial", SMP_T_BIN }, { "ssl_f_sha1", SMP_T_BIN },
		{ "ssl_f_notafter", SMP_T_STR }, { "ssl_f_version", SMP_T_SINT }, { "ssl_f_key_alg", SMP_T_STR },
		{ "ssl_bc", SMP_T_BOOL }, { "ssl_bc_protocol", SMP_T_STR }, { "ssl_bc_cipher", SMP_T_STR },
		{ "ssl_bc_alpn", SMP_T_STR }, { "ssl_bc_use_keysize", SMP_T_SINT }, { "ssl_bc_is_resumed", SMP_T_BOOL },
		{ "ssl_bc_session_id", SMP_T_BIN }, { "ssl_bc_err", SMP_T_SINT }, { "ssl_bc_err_str", SMP_T_STR },
		{ "ssl_s_s_dn", SMP_T_STR }, { "ssl_s_i_dn(CN)", SMP_T_STR }, { "ssl_s_serial", SMP_T_BIN },
		{ "ssl_s_notafter", SMP_T_STR }, { "ssl_s_sig_alg", SMP_T_STR },
	};
	static const char *const refused[][2] = {
		{ "ssl_c_s_dn(CN,1,ldap)", "only rfc2253 or a blank value are currently supported as the format argument." },
		{ "ssl_c_s_dn(CN,x)", "expects an integer, got 'x'" },
		{ "ssl_fc(1)", "end of arguments expected" },
		{ "ssl_fc_session_reused", "unknown fetch method 'ssl_fc_session_reused'" },   /* not HAProxy's */
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		struct smp_expr *e = t_expr(kw[i].expr);

		CHECKF(e && e->out_type == kw[i].type, "%s compiles, type %s", kw[i].expr, smp_type_name(kw[i].type));
		smp_expr_free(e);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct smp_expr *e = t_expr(refused[i][0]);

		CHECKF(!e && strstr(T_err, refused[i][1]), "refused: %s (%s)", refused[i][0], e ? "compiled" : T_err);
		smp_expr_free(e);
	}
	t_ctx(NULL);   /* no connection: as a plain one */
	CHECK("the context has no connection", C.cli_conn == NULL && C.srv_conn == NULL);
	T_EQ("ssl_fc", "0");
	T_EQ("ssl_fc_has_sni", "0");
	T_EQ("ssl_c_used", "0");
	T_EQ("ssl_fc_has_crt", "0");
	T_EQ("ssl_bc", "0");
	T_EQ("ssl_fc_sni", NULL);
	T_EQ("ssl_fc_protocol", NULL);
	T_EQ("ssl_fc_cipher", NULL);
	T_EQ("ssl_fc_alpn", NULL);
	T_EQ("ssl_fc_use_keysize", NULL);
	T_EQ("ssl_fc_is_resumed", "0");   /* a boolean: false (HAProxy's) */
	T_EQ("ssl_bc_is_resumed", "0");
	T_EQ("ssl_fc_err", NULL);
	T_EQ("ssl_fc_err_str", NULL);
	T_EQ("ssl_c_verify", NULL);
	T_EQ("ssl_c_err", NULL);
	T_EQ("ssl_c_ca_err_depth", NULL);
	T_EQ("ssl_c_s_dn", NULL);
	T_EQ("ssl_c_s_dn(CN)", NULL);
	T_EQ("ssl_c_serial,hex", NULL);
	T_EQ("ssl_f_s_dn", NULL);
	T_EQ("ssl_bc_protocol", NULL);
	T_EQ("ssl_s_s_dn(CN)", NULL);
	/* HAProxy's integer-to-binary cast (ssl_fc_err,hex): 8 bytes, big endian */
	T_EQ("int(10),hex", "000000000000000A");
	T_EQ("int(-1),hex", "FFFFFFFFFFFFFFFF");
	T_EQ("int(10),length", "2");   /* to a string: its digits */
}

/* fc_err / fc_err_str: HAProxy's connection error codes (conn_err.h) of
 * the client connection; the numbers and words are HAProxy 2.6's (checked
 * against it end to end in tests/integ/test_httpslog.py). */
static void test_fc_err(void)
{
	static const struct { int code, num; const char *text; } tab[] = {
		{ CO_ER_NONE, 0, "Success" },
		{ CO_ER_PRX_EMPTY, 11, "Connection closed while waiting for PROXY protocol header" },
		{ CO_ER_PRX_TIMEOUT, 13, "Timeout while waiting for PROXY protocol header" },
		{ CO_ER_PRX_TRUNCATED, 14, "Truncated PROXY protocol header received" },
		{ CO_ER_PRX_NOT_HDR, 15, "Received something which does not look like a PROXY protocol header" },
		{ CO_ER_PRX_BAD_HDR, 16, "Received an invalid PROXY protocol header" },
		{ CO_ER_SSL_EMPTY, 24, "Connection closed during SSL handshake" },
		{ CO_ER_SSL_ABORT, 25, "Connection error during SSL handshake" },
		{ CO_ER_SSL_TIMEOUT, 26, "Timeout during SSL handshake" },
		{ CO_ER_SSL_CA_FAIL, 30, "SSL client CA chain cannot be verified" },
		{ CO_ER_SSL_CRT_FAIL, 31, "SSL client certificate not trusted" },
		{ CO_ER_SSL_HANDSHAKE, 34, "SSL handshake failure" },
		{ CO_ER_SSL_FATAL, 43, "SSL fatal error" },
	};
	struct ssl_xprt x;
	struct conn cn;
	char num[16];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		CHECKF(tab[i].code == tab[i].num && conn_err_str(tab[i].code) && !strcmp(conn_err_str(tab[i].code), tab[i].text),
		       "code %d: %s", tab[i].num, tab[i].text);
	for (int i = 0; i < CO_ER_COUNT; i++)
		CHECKF(conn_err_str(i) != NULL, "code %d has a text", i);
	CHECK("out of range: no text", !conn_err_str(CO_ER_COUNT) && !conn_err_str(-1));
	/* one table: the PROXY header's and the TLS handshake's words */
	CHECK("PROXY errors map to CO_ER_PRX_*",
	      pp_co_err(PP_ERR_NOT_HDR) == CO_ER_PRX_NOT_HDR && pp_co_err(PP_ERR_BAD_HDR) == CO_ER_PRX_BAD_HDR &&
	      pp_co_err(PP_ERR_BAD_PROTO) == CO_ER_PRX_BAD_PROTO && pp_co_err(PP_ERR_EMPTY) == CO_ER_PRX_EMPTY &&
	      pp_co_err(PP_ERR_TRUNCATED) == CO_ER_PRX_TRUNCATED && pp_co_err(PP_ERR_TIMEOUT) == CO_ER_PRX_TIMEOUT &&
	      pp_co_err(PP_ERR_ABORT) == CO_ER_PRX_ABORT && pp_strerror(PP_ERR_TIMEOUT) == conn_err_str(CO_ER_PRX_TIMEOUT));
	CHECK("TLS handshake classes map to CO_ER_SSL_*",
	      ssl_hse_co_err(SSL_HSE_EMPTY) == CO_ER_SSL_EMPTY && ssl_hse_co_err(SSL_HSE_ABORT) == CO_ER_SSL_ABORT &&
	      ssl_hse_co_err(SSL_HSE_TIMEOUT) == CO_ER_SSL_TIMEOUT && ssl_hse_co_err(SSL_HSE_HANDSHAKE) == CO_ER_SSL_HANDSHAKE &&
	      ssl_hse_co_err(SSL_HSE_CRT_FAIL) == CO_ER_SSL_CRT_FAIL && ssl_hse_co_err(SSL_HSE_CA_FAIL) == CO_ER_SSL_CA_FAIL &&
	      ssl_hse_co_err(SSL_HSE_NONE) == CO_ER_SSL_HANDSHAKE);

	t_ctx(NULL);
	T_EQ("fc_err", NULL);       /* no connection */
	T_EQ("fc_err_str", NULL);
	memset(&cn, 0, sizeof(cn));
	cn.xprt = &xprt_raw;
	C.cli_conn = &cn;
	smp_ctx_invalidate(&C);     /* the answers above are cached */
	T_EQ("fc_err", "0");        /* a healthy connection */
	T_EQ("fc_err_str", "Success");
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		cn.err_code = (uint8_t)tab[i].code;
		t_ctx(NULL);
		C.cli_conn = &cn;
		snprintf(num, sizeof(num), "%d", tab[i].num);
		T_EQ("fc_err", num);
		T_EQ("fc_err_str", tab[i].text);
	}
	/* TLS: no value while the handshake runs, 0 once it is done */
	memset(&x, 0, sizeof(x));
	cn.err_code = 0;
	cn.xprt = &xprt_ssl;
	cn.xprt_ctx = &x;
	t_ctx(NULL);
	C.cli_conn = &cn;
	T_EQ("fc_err", NULL);
	T_EQ("fc_err_str", NULL);
	x.flags = XS_HS_DONE;
	t_ctx(NULL);
	C.cli_conn = &cn;
	T_EQ("fc_err", "0");
	cn.err_code = CO_ER_SSL_TIMEOUT;   /* a failure is known before the handshake ends */
	x.flags = 0;
	t_ctx(NULL);
	C.cli_conn = &cn;
	T_EQ("fc_err", "26");
	T_EQ("fc_err,neg", "-26");
	{
		struct smp_expr *e = t_expr("fc_err");

		CHECK("fc_err is an integer, usable from tcp-request connection on",
		      e && e->out_type == SMP_T_SINT && smp_expr_check_phase(e, SMP_PH_TCP_CONN, T_err, sizeof(T_err)) == 0);
		smp_expr_free(e);
		e = t_expr("fc_err_str");
		CHECK("fc_err_str is a string", e && e->out_type == SMP_T_STR);
		smp_expr_free(e);
	}
	t_ctx(NULL);
}

static void test_cache_and_casts(void)
{
	struct smp_expr *a = t_expr("req.hdr(host),lower"), *b = t_expr("req.hdr(host),lower");
	struct sample s1, s2;

	t_ctx(NULL);
	t_req(REQ);
	CHECK("identical expressions share a cache slot", a && b && a->cache_slot >= 0 && a->cache_slot == b->cache_slot);
	CHECK("first evaluation", smp_eval(a, &C, &s1) && s1.u.str.len == 20);
	CHECK("second from the cache (same bytes)", smp_eval(b, &C, &s2) && s2.u.str.p == s1.u.str.p);
	CHECK("cached value is read-only", s2.flags & SMP_F_CONST);
	/* an edit of the head drops the cache */
	T_req.hdrs[0].value.p = "other.example";
	T_req.hdrs[0].value.len = 13;
	smp_ctx_invalidate(&C);
	CHECK("after an edit: the new value", smp_eval(b, &C, &s2) && s2.u.str.len == 13 && !memcmp(s2.u.str.p, "other.example", 13));
	smp_expr_free(a);
	smp_expr_free(b);
	a = t_expr("rand");
	CHECK("volatile fetches are not cached", a && a->cache_slot < 0);
	smp_expr_free(a);
	a = t_expr("req.hdr(x),add(txn.v)");
	CHECK("expressions reading variables are not cached", a && a->cache_slot < 0);
	smp_expr_free(a);
	/* casts */
	t_ctx(NULL);
	T_EQ("str(12),add(3)", "15");
	T_EQ("str(1.2.3.4),ipmask(8)", "1.0.0.0");
	T_EQ("int(16909060),ipmask(32)", "1.2.3.4");
	T_EQ("src,hex", "C0A8010A");
	T_EQ("str(abc),add(1)", NULL);       /* not a number: no value */
	CHECK("castable matrix", smp_castable(SMP_T_STR, SMP_T_SINT) && smp_castable(SMP_T_IPV4, SMP_T_STR) &&
	      !smp_castable(SMP_T_BOOL, SMP_T_IPV4) && smp_castable(SMP_T_SINT, SMP_T_BOOL));
	/* an arena too small: converters fail, no crash */
	T_arena.size = T_arena.used + 4;
	T_EQ("str(abcdefgh),upper", NULL);
	T_arena.size = sizeof(T_arena_mem);
}

int main(void)
{
	t_init_px();
	test_http_request();
	test_http_response();
	test_internal();
	test_payload();
	test_errors();
	test_phases();
	test_tls_plain();
	test_fc_err();
	test_cache_and_casts();
	t_cleanup();
	UNIT_END();
}
