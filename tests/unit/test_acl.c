/* ACLs (src/rules/acl.c) and patterns (src/rules/pattern.c): every match
 * method, the flags (-i -m -f -M -n -u --), integer operators and ranges,
 * IPv4/IPv6 and CIDR matching (HAProxy's cross-family rules), pattern
 * files, derived keywords, predefined ACLs, conditions (AND, or/||, !,
 * anonymous ACLs, unless, three-valued logic), the errors and warnings,
 * runtime changes of pattern sets, and readers matching while a writer
 * changes them (under the sanitizers, a use after free fails here). */
#include <pthread.h>
#include "rules_test.h"

#define M(line) t_match(line)

static const char REQ[] =
	"GET /images/png/logo/32x32.png?id=7 HTTP/1.1\r\n"
	"Host: www1.dc-eu.Example.com:80\r\n"
	"User-Agent: Mozilla/5.0 (X11)\r\n"
	"X-Forwarded-For: 10.0.0.1, 192.168.5.6\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static void test_methods(void)
{
	t_ctx(NULL);
	t_req(REQ);
	/* str, beg, end, sub, reg */
	CHECK("str", M("if { path /images/png/logo/32x32.png }") == ACL_MATCH);
	CHECK("str no", M("if { path /images }") == ACL_FAIL);
	CHECK("str several patterns", M("if { path /a /images/png/logo/32x32.png }") == ACL_MATCH);
	CHECK("beg", M("if { path_beg /images /other }") == ACL_MATCH);
	CHECK("beg -m", M("if { path -m beg /images }") == ACL_MATCH);
	CHECK("end", M("if { path_end .png .jpg }") == ACL_MATCH);
	CHECK("sub", M("if { path_sub logo }") == ACL_MATCH);
	CHECK("sub no", M("if { path_sub LOGO }") == ACL_FAIL);
	CHECK("sub -i", M("if { path_sub -i LOGO }") == ACL_MATCH);
	CHECK("reg", M("if { path_reg ^/images/.*\\.png$ }") == ACL_MATCH);
	CHECK("reg -i", M("if { path_reg -i ^/IMAGES/ }") == ACL_MATCH);
	CHECK("reg no", M("if { path_reg ^/IMAGES/ }") == ACL_FAIL);
	/* dir: HAProxy's documented examples. Its documentation also lists
	 * "png" as not matching, but HAProxy 2.6 matches it (it is a segment
	 * of the path), and so does tandem. */
	{
		static const char *const yes[] = { "/images", "/images/png", "images/png", "/png/logo",
			"logo/32x32.png", "32x32.png", "png" };
		static const char *const no[] = { "32x32", "images/pn", "ogo" };
		char l[256];

		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			snprintf(l, sizeof(l), "if { path_dir %s }", yes[i]);
			CHECKF(M(l) == ACL_MATCH, "dir matches %s", yes[i]);
		}
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			snprintf(l, sizeof(l), "if { path_dir %s }", no[i]);
			CHECKF(M(l) == ACL_FAIL, "dir does not match %s", no[i]);
		}
	}
	/* dom: HAProxy's documented examples on http://www1.dc-eu.example.com:80/blah;
	 * its documentation also says "dc-eu.example:80" matches, but HAProxy
	 * 2.6 does not match it (not a run of words of the string), nor does tandem */
	t_req("GET http://www1.dc-eu.example.com:80/blah HTTP/1.1\r\nHost: www1.dc-eu.example.com\r\n\r\n");
	{
		static const char *const yes[] = { "http", "www1", ".www1", "dc-eu", "example", "com", "80",
			"dc-eu.example", "blah", ":www1:", "example.com:80" };
		static const char *const no[] = { "eu", "dc", "dc-eu.example:80" };
		char l[256];

		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			snprintf(l, sizeof(l), "if { url_dom %s }", yes[i]);
			CHECKF(M(l) == ACL_MATCH, "dom matches %s", yes[i]);
		}
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			snprintf(l, sizeof(l), "if { url_dom %s }", no[i]);
			CHECKF(M(l) == ACL_FAIL, "dom does not match %s", no[i]);
		}
	}
	t_req(REQ);
	/* hdr derivatives, -i */
	CHECK("hdr_beg -i", M("if { hdr_beg(host) -i www1. }") == ACL_MATCH);
	CHECK("hdr_dom", M("if { hdr_dom(host) -i example }") == ACL_MATCH);
	CHECK("hdr_end", M("if { hdr_end(host) :80 }") == ACL_MATCH);
	CHECK("hdr_reg", M("if { hdr_reg(user-agent) Mozilla/[0-9] }") == ACL_MATCH);
	CHECK("hdr_sub", M("if { hdr_sub(user-agent) X11 }") == ACL_MATCH);
	CHECK("hdr_len", M("if { hdr_len(host) 25 }") == ACL_MATCH);
	CHECK("-i before later patterns only (exact)", M("if { hdr(host) www1.dc-eu.example.com:80 }") == ACL_FAIL);
	CHECK("-i exact", M("if { hdr(host) -i www1.dc-eu.example.com:80 }") == ACL_MATCH);
	CHECK("all occurrences in ACLs", M("if { req.hdr(x-forwarded-for) 10.0.0.1 }") == ACL_MATCH);
	CHECK("an occurrence when given", M("if { req.hdr(x-forwarded-for,1) 192.168.5.6 }") == ACL_FAIL);
	CHECK("hdr_ip network", M("if { hdr_ip(x-forwarded-for) 192.168.0.0/16 }") == ACL_MATCH);
	CHECK("hdr_ip last occurrence", M("if { hdr_ip(x-forwarded-for,-1) 10.0.0.0/8 }") == ACL_FAIL);
	/* len */
	CHECK("len", M("if { path_len 26 }") == ACL_MATCH);
	CHECK("len range", M("if { path -m len 20:30 }") == ACL_MATCH);
	CHECK("len gt", M("if { path -m len gt 30 }") == ACL_FAIL);
	/* found, bool */
	CHECK("found", M("if { req.hdr(user-agent) -m found }") == ACL_MATCH);
	CHECK("found no", M("if { req.hdr(x-none) -m found }") == ACL_FAIL);
	CHECK("found on an empty value", t_req("GET / HTTP/1.1\r\nHost: x\r\nX-E:\r\n\r\n") && M("if { req.hdr(x-e) -m found }") == ACL_MATCH);
	t_req(REQ);
	CHECK("bool true", M("if { always_true }") == ACL_MATCH);
	CHECK("bool false", M("if { always_false }") == ACL_FAIL);
	CHECK("bool on int", M("if { int(3) -m bool }") == ACL_MATCH);
	CHECK("bool on 0", M("if { int(0) -m bool }") == ACL_FAIL);
	/* int and operators */
	CHECK("int eq", M("if { int(5) 5 }") == ACL_MATCH);
	CHECK("int set", M("if { int(5) 1 3 5 }") == ACL_MATCH);
	CHECK("int range", M("if { int(5) 1:10 }") == ACL_MATCH);
	CHECK("int range open", M("if { int(5) 6: }") == ACL_FAIL);
	CHECK("int range -", M("if { int(5) 1-5 }") == ACL_MATCH);
	CHECK("int range :n", M("if { int(5) :4 }") == ACL_FAIL);
	CHECK("gt", M("if { int(5) gt 4 }") == ACL_MATCH);
	CHECK("gt no", M("if { int(5) gt 5 }") == ACL_FAIL);
	CHECK("ge", M("if { int(5) ge 5 }") == ACL_MATCH);
	CHECK("lt", M("if { int(5) lt 6 }") == ACL_MATCH);
	CHECK("le", M("if { int(5) le 4 }") == ACL_FAIL);
	CHECK("eq", M("if { int(5) eq 5 }") == ACL_MATCH);
	CHECK("negative with lt", M("if { int(-1) lt 0 }") == ACL_MATCH);
	CHECK("dotted version", M("if { int(196609) 3.1 }") == ACL_MATCH);
	CHECK("int on a string sample", M("if { str(42) -m int 42 }") == ACL_MATCH);
	CHECK("int on a bool", M("if { always_true -m int 1 }") == ACL_MATCH);
	/* bin */
	CHECK("bin", M("if { str(Hello) -m bin 48656c6c6f }") == ACL_MATCH);
	CHECK("bin no", M("if { str(Hello) -m bin 48656c6c }") == ACL_FAIL);
	/* str on non-strings (casts) */
	CHECK("str on an int", M("if { int(12) -m str 12 }") == ACL_MATCH);
	CHECK("beg on an address", M("if { src -m beg 192.168. }") == ACL_MATCH);
	/* patterns after -- */
	CHECK("-- then -i as a pattern", M("if { str(-i) -- -i }") == ACL_MATCH);
	CHECK("-i as second pattern", M("if { str(-i) x -i }") == ACL_MATCH);
}

static void test_ip(void)
{
	t_ctx(NULL);
	CHECK("v4 exact", M("if { src 192.168.1.10 }") == ACL_MATCH);
	CHECK("v4 cidr", M("if { src 192.168.0.0/16 }") == ACL_MATCH);
	CHECK("v4 dotted mask", M("if { src 192.168.0.0/255.255.0.0 }") == ACL_MATCH);
	CHECK("v4 no", M("if { src 10.0.0.0/8 }") == ACL_FAIL);
	CHECK("v4 abbreviated 192.168.1.10 as 192.168.10? no", M("if { src 192.168.10 }") == ACL_FAIL);
	t_addr(&T_src, "127.0.0.1", 1);
	smp_ctx_invalidate(&C);
	CHECK("v4 abbreviated (HAProxy: 127.1 = 127.0.0.1)", M("if { src 127.1 }") == ACL_MATCH);
	CHECK("v4 abbreviated network", M("if { src 127.1/8 }") == ACL_MATCH);
	CHECK("LOCALHOST", M("if LOCALHOST") == ACL_MATCH);
	t_addr(&T_src, "::1", 1);
	smp_ctx_invalidate(&C);
	CHECK("LOCALHOST v6", M("if LOCALHOST") == ACL_MATCH);
	CHECK("v6 exact", M("if { src ::1 }") == ACL_MATCH);
	t_addr(&T_src, "2001:db8::42", 1);
	smp_ctx_invalidate(&C);
	CHECK("v6 cidr", M("if { src 2001:db8::/32 }") == ACL_MATCH);
	CHECK("v6 no", M("if { src 2001:db9::/32 }") == ACL_FAIL);
	CHECK("v6 against a v4 pattern", M("if { src 0.0.0.0/0 }") == ACL_FAIL);
	/* v4-mapped v6 address against a v4 pattern */
	t_addr(&T_src, "::ffff:10.1.2.3", 1);
	smp_ctx_invalidate(&C);
	CHECK("::ffff:a.b.c.d against v4", M("if { src 10.0.0.0/8 }") == ACL_MATCH);
	t_addr(&T_src, "2002:a01:203::1", 1);
	smp_ctx_invalidate(&C);
	CHECK("2002:a.b.c.d:: (6to4) against v4", M("if { src 10.1.2.3 }") == ACL_MATCH);
	/* v4 address against a v6 pattern: prefixed with ::ffff: */
	t_addr(&T_src, "10.1.2.3", 1);
	smp_ctx_invalidate(&C);
	CHECK("v4 against ::ffff:0:0/96", M("if { src ::ffff:0:0/96 }") == ACL_MATCH);
	CHECK("ip on a string", M("if { str(10.1.2.3) -m ip 10.1.0.0/16 }") == ACL_MATCH);
	CHECK("ip on a bad string", M("if { str(x) -m ip 10.1.0.0/16 }") == ACL_FAIL);
	CHECK("bad network refused", !t_cond("if { src 1.2.3.4/40 }", -1) && strstr(T_err, "'1.2.3.4/40' is not a valid IPv4 or IPv6 address"));
	CHECK("host names refused (-n is always on)", !t_cond("if { src localhost }", -1));
	CHECK("v6 dotted mask refused", !t_cond("if { src ::1/255.0.0.0 }", -1));
}

static void test_files(void)
{
	const char *f1 = t_file(0, "# list\n\n  /admin\n/private \n#/commented\n");
	const char *f2 = t_file(1, "MOZILLA\ncurl/\n");
	const char *f3 = t_file(2, "10.0.0.0/8\n192.168.1.10\n");
	const char *fm = t_file(3, "/a x\n/b y\n");
	char l[512];

	t_ctx(NULL);
	t_req("GET /private HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8\r\n\r\n");
	snprintf(l, sizeof(l), "if { path -f %s }", f1);
	CHECK("-f: leading blanks and comments", M(l) == ACL_MATCH);
	snprintf(l, sizeof(l), "if { path_beg -f %s }", f1);
	CHECK("-f with a derived keyword", M(l) == ACL_MATCH);
	t_req("GET /commented HTTP/1.1\r\nHost: x\r\n\r\n");
	snprintf(l, sizeof(l), "if { path_beg -f %s }", f1);
	CHECK("-f: a # line is a comment", M(l) == ACL_FAIL);
	t_req("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5\r\n\r\n");
	snprintf(l, sizeof(l), "if { hdr_beg(user-agent) -f %s }", f2);
	CHECK("-f without -i", M(l) == ACL_FAIL);
	snprintf(l, sizeof(l), "if { hdr_beg(user-agent) -i -f %s }", f2);
	CHECK("-i then -f", M(l) == ACL_MATCH);
	snprintf(l, sizeof(l), "if { hdr_beg(user-agent) -f %s -i mozilla }", f2);
	CHECK("-f then -i: the inline pattern is case-insensitive", M(l) == ACL_MATCH);
	snprintf(l, sizeof(l), "if { src -f %s }", f3);
	CHECK("-f ip", M(l) == ACL_MATCH);
	snprintf(l, sizeof(l), "if { path -M -f %s }", fm);
	t_req("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK("-M: the keys of a map file", M(l) == ACL_MATCH);
	CHECK("missing file", !t_cond("if { path -f /nonexistent/file }", -1) &&
	      strstr(T_err, "failed to open pattern file </nonexistent/file>"));
	{
		const char *bad = t_file(4, "10.0.0.0/8\nnot-an-ip\n");

		snprintf(l, sizeof(l), "if { src -f %s }", bad);
		CHECK("a bad line names its file and line", !t_cond(l, -1) && strstr(T_err, "'not-an-ip' is not a valid IPv4 or IPv6 address at file") &&
		      strstr(T_err, "line 2"));
	}
	snprintf(l, sizeof(l), "if { path -f %s -m beg x }", f1);
	CHECK("-m after -f refused", !t_cond(l, -1) && strstr(T_err, "'-m' must be placed before any '-f'"));
	for (int i = 0; i < 5; i++)
		unlink(t_file_path(i));
}

static void test_named_and_builtins(void)
{
	t_ctx(NULL);
	t_req("POST /api/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 3\r\n\r\n");
	CHECK("acl line", t_acl("acl is_api path_beg /api") == 0);
	CHECK("acl line 2 (OR)", t_acl("acl is_api hdr(host) -i static.example.com") == 0);
	CHECK("named acl", M("if is_api") == ACL_MATCH);
	CHECK("negated", M("if !is_api") == ACL_FAIL);
	CHECK("negated, separate word", M("if ! is_api") == ACL_FAIL);
	CHECK("unless", M("unless is_api") == ACL_FAIL);
	CHECK("and", M("if is_api METH_POST") == ACL_MATCH);
	CHECK("and no", M("if is_api METH_GET") == ACL_FAIL);
	CHECK("or", M("if METH_GET or is_api") == ACL_MATCH);
	CHECK("||", M("if METH_GET || METH_PUT") == ACL_FAIL);
	CHECK("and binds tighter than or", M("if METH_GET is_api || METH_POST !is_api") == ACL_FAIL);
	CHECK("anonymous", M("if { path_beg /api } { method POST }") == ACL_MATCH);
	CHECK("negated anonymous", M("if !{ path_beg /api }") == ACL_FAIL);
	CHECK("no such acl", M("if nosuch") == -1 && strstr(T_err, "no such ACL : 'nosuch'"));
	CHECK("bad acl name", t_acl("acl bad/name path /") < 0 && strstr(T_err, "character '/' is not permitted"));
	CHECK("acl without criterion", t_acl("acl x") < 0);
	/* every predefined ACL */
	{
		static const struct { const char *name; const char *req; int want; } b[] = {
			{ "TRUE", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "FALSE", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_FAIL },
			{ "HTTP_1.0", "GET / HTTP/1.0\r\n\r\n", ACL_MATCH },
			{ "HTTP_1.1", "GET / HTTP/1.0\r\n\r\n", ACL_FAIL },
			{ "HTTP_1.1", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "HTTP_2.0", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_FAIL },
			{ "HTTP_CONTENT", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n", ACL_MATCH },
			{ "HTTP_CONTENT", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", ACL_FAIL },
			{ "HTTP_URL_ABS", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "HTTP_URL_ABS", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_FAIL },
			{ "HTTP_URL_SLASH", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "HTTP_URL_STAR", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", ACL_MATCH },
			{ "METH_DELETE", "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_GET", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_GET", "POST / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_FAIL },
			{ "METH_HEAD", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_OPTIONS", "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_POST", "POST / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_PUT", "PUT / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
			{ "METH_TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", ACL_MATCH },
		};
		char l[64];

		for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
			t_req(b[i].req);
			snprintf(l, sizeof(l), "if %s", b[i].name);
			CHECKF(M(l) == b[i].want, "predefined %s", b[i].name);
		}
	}
	/* payload-based predefined ACLs */
	C.req = NULL;
	C.payload = "x";
	C.payload_len = 1;
	smp_ctx_invalidate(&C);
	CHECK("REQ_CONTENT", M("if REQ_CONTENT") == ACL_MATCH);
	CHECK("WAIT_END", M("if WAIT_END") == ACL_MATCH);
	C.payload = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	C.payload_len = strlen(C.payload);
	smp_ctx_invalidate(&C);
	CHECK("HTTP", M("if HTTP") == ACL_MATCH);
}

static void test_threevalued(void)
{
	t_ctx(NULL);
	C.payload = "\x16\x03";
	C.payload_len = 2;
	C.payload_final = 0;
	CHECK("MISS while data may come", M("if { req.ssl_hello_type 1 }") == ACL_MISS);
	CHECK("MISS is not negated", M("if !{ req.ssl_hello_type 1 }") == ACL_MISS);
	CHECK("MISS stays MISS under unless", M("unless { req.ssl_hello_type 1 }") == ACL_MISS);
	CHECK("FAIL in the suite wins over MISS", M("if { req.ssl_hello_type 1 } FALSE") == ACL_FAIL);
	CHECK("a matching suite wins over MISS", M("if { req.ssl_hello_type 1 } || TRUE") == ACL_MATCH);
	CHECK("MISS or FAIL is MISS", M("if { req.ssl_hello_type 1 } || FALSE") == ACL_MISS);
	C.payload_final = 1;
	smp_ctx_invalidate(&C);
	CHECK("FAIL once no more data will come", M("if { req.ssl_hello_type 1 }") == ACL_FAIL);
}

static void test_errors(void)
{
	static const struct { const char *cond; const char *err; } bad[] = {
		{ "if { path -m nosuch /x }", "unknown matching method 'nosuch' when parsing ACL expression." },
		{ "if { path,nosuchconv /x }", "ACL keyword 'path,nosuchconv' : unknown converter 'nosuchconv'" },
		{ "if { path_reg ( }", "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)" },
		{ "if { src_port foo }", "'foo' is not a number" },
		{ "if { req.payload(0,3) abc }", "a matching method must be specified with '-m' for a bin sample" },
		{ "if { var(txn.x) abc }", "a matching method must be specified with '-m' for a any sample" },
		{ "if { always_true -m ip 1.2.3.4 }", "matching method 'ip' cannot be used on a bool sample" },
		{ "if", "missing condition after 'if'" },
		{ "when TRUE", "expects 'if' or 'unless'" },
		{ "if TRUE or", "the condition ends with an operator" },
		{ "if or TRUE", "'or' without a term before it" },
		{ "if { path /x", "missing closing '}' in anonymous ACL" },
		{ "if { }", "empty anonymous ACL" },
		{ "if TRUE !", "the condition ends with an operator" },
		{ "if { str(x) -u 900 x }", NULL },   /* valid: a forced id */
		{ "if { str(x) -u 900 x }", "ACL unique id 900 is already used" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct acl_cond *c = t_cond(bad[i].cond, -1);

		if (!bad[i].err) {
			CHECKF(c != NULL, "accepted: %s", bad[i].cond);
		} else {
			CHECKF(!c && strstr(T_err, bad[i].err), "refused: %s", bad[i].cond);
			if (c || !strstr(T_err, bad[i].err))
				printf("  got: %s\n", c ? "(compiled)" : T_err);
		}
		acl_cond_free(c);
	}
	/* a response fetch in a request rule is refused (HAProxy only warns) */
	CHECK("incompatible ACL refused", !t_cond("if { res.hdr(x) -m found }", SMP_PH_HTTP_REQ) &&
	      strstr(T_err, "anonymous acl will never match"));
	CHECK("named incompatible ACL refused", t_acl("acl resp status 200") == 0 &&
	      !t_cond("if resp", SMP_PH_HTTP_REQ) && strstr(T_err, "acl 'resp' will never match"));
	CHECK("mixed ACL only warns", t_acl("acl mixed status 200") == 0 && t_acl("acl mixed path /x") == 0);
	{
		struct acl_cond *c = t_cond("if mixed", SMP_PH_HTTP_REQ);

		CHECK("mixed ACL warning", c && T_nwarn == 1 && strstr(T_warn, "may not match"));
		acl_cond_free(c);
	}
	/* warnings: no pattern, patterns with found */
	{
		struct acl_cond *c = t_cond("if { hdr(x) }", -1);

		CHECK("no pattern: warned", c && strstr(T_warn, "no pattern to match against were provided"));
		acl_cond_free(c);
		c = t_cond("if { hdr(x) -m found abc }", -1);
		CHECK("patterns with found: warned", c && strstr(T_warn, "the patterns are ignored"));
		acl_cond_free(c);
	}
}

static void test_runtime_changes(void)
{
	struct pat_ref *r;
	struct pat_head *hs, *hi, *hb, *hip;
	struct sample s;
	char err[256], k[32];

	r = pat_ref_new(&T_rc, NULL, PAT_REF_ACL, "test");
	hs = pat_head_new(r, PAT_M_STR, 0, SMP_T_ANY, "t", 1, err, sizeof(err));
	hi = pat_head_new(r, PAT_M_STR, 1, SMP_T_ANY, "t", 1, err, sizeof(err));
	hb = pat_head_new(r, PAT_M_BEG, 0, SMP_T_ANY, "t", 1, err, sizeof(err));
	CHECK("indexes built", hs && hi && hb);
	/* many entries: the exact-string hash grows several times */
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof(k), "/Key%d", i);
		if (pat_ref_add(r, k, NULL, err, sizeof(err)) < 0)
			break;
	}
	CHECK("3000 entries", r->nelt == 3000);
	qsbr_reclaim();
	smp_set_str(&s, "/Key2999", 8, SMP_F_CONST);
	CHECK("found after growth", pat_match(hs, &s) != NULL);
	smp_set_str(&s, "/key2999", 8, SMP_F_CONST);
	CHECK("exact is case sensitive", pat_match(hs, &s) == NULL);
	CHECK("-i index", pat_match(hi, &s) != NULL);
	smp_set_str(&s, "/Key29990/x", 11, SMP_F_CONST);
	CHECK("beg: longest prefix", pat_match(hb, &s) && !strcmp(pat_match(hb, &s)->elt->key, "/Key2999"));
	CHECK("del by key", pat_ref_del_key(r, "/Key2999") == 1);
	smp_set_str(&s, "/Key2999", 8, SMP_F_CONST);
	CHECK("gone from every index", !pat_match(hs, &s) && !pat_match(hi, &s));
	CHECK("del of a missing key", pat_ref_del_key(r, "/nope") == 0);
	{
		struct pat_elt *e = r->elts.next;

		CHECK("find by reference", pat_ref_find_elt(r, (unsigned long long)(uintptr_t)e) == e);
		pat_ref_del_elt(r, e);
		CHECK("deleted by reference", r->nelt == 2998);
	}
	pat_ref_clear(r);
	CHECK("clear", r->nelt == 0);
	smp_set_str(&s, "/Key5", 5, SMP_F_CONST);
	CHECK("nothing left", !pat_match(hs, &s) && !pat_match(hb, &s));
	/* an entry that does not compile for one index is refused for all */
	hip = pat_head_new(r, PAT_M_IP, 0, SMP_T_ANY, "t", 1, err, sizeof(err));
	CHECK("all or nothing", pat_ref_add(r, "not-an-ip", NULL, err, sizeof(err)) < 0 && r->nelt == 0 &&
	      strstr(err, "is not a valid IPv4 or IPv6 address"));
	CHECK("a valid one goes everywhere", pat_ref_add(r, "10.0.0.0/8", NULL, err, sizeof(err)) == 0);
	s.type = SMP_T_IPV4;
	inet_pton(AF_INET, "10.2.3.4", &s.u.ipv4);
	CHECK("ip index sees it", pat_match(hip, &s) != NULL);
	/* maps: set changes the value in place */
	{
		struct pat_ref *m = pat_ref_new(&T_rc, NULL, PAT_REF_MAP, "m");
		struct pat_head *mh = pat_head_new(m, PAT_M_STR, 0, SMP_T_SINT, "t", 1, err, sizeof(err));
		const struct pattern *p;

		CHECK("map add", pat_ref_add(m, "a", "1", err, sizeof(err)) == 0);
		CHECK("map add non-int refused", pat_ref_add(m, "b", "x", err, sizeof(err)) < 0);
		CHECK("map set", pat_ref_set_key(m, "a", "5", err, sizeof(err)) == 1);
		smp_set_str(&s, "a", 1, SMP_F_CONST);
		p = pat_match(mh, &s);
		CHECK("map value after set", p && p->value.type == SMP_T_SINT && p->value.u.sint == 5);
		CHECK("map set refused keeps the old value", pat_ref_set_key(m, "a", "zz", err, sizeof(err)) < 0 &&
		      (p = pat_match(mh, &s)) && p->value.u.sint == 5);
	}
	qsbr_reclaim();
}

/* Readers match while the writer adds, changes and removes entries; the
 * sanitizers catch any access to a freed pattern. */
static struct pat_head *conc_head;
static struct pat_head *conc_map;
static volatile int conc_stop;
static long conc_hits[4];

static void *reader(void *arg)
{
	long id = (long)arg, hits = 0;
	char k[32];
	struct sample s;

	while (!__atomic_load_n(&conc_stop, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 64; i++) {
			const struct pattern *p;

			snprintf(k, sizeof(k), "k%d", i);
			smp_set_str(&s, k, strlen(k), SMP_F_CONST);
			qsbr_read_lock();
			if (pat_match(conc_head, &s))
				hits++;
			if ((p = pat_match(conc_map, &s)) && p->value.u.str.len && p->value.u.str.p[0] != 'v')
				abort();   /* a value must always be whole */
			qsbr_read_unlock();
		}
	}
	conc_hits[id] = hits;
	qsbr_thread_exit();
	return NULL;
}

static void test_concurrency(void)
{
	struct pat_ref *r = pat_ref_new(&T_rc, NULL, PAT_REF_ACL, "conc"), *m = pat_ref_new(&T_rc, NULL, PAT_REF_MAP, "cm");
	pthread_t th[4];
	char err[256], k[32], v[32];
	int waiting;

	conc_head = pat_head_new(r, PAT_M_STR, 0, SMP_T_ANY, "t", 1, err, sizeof(err));
	pat_head_new(r, PAT_M_BEG, 0, SMP_T_ANY, "t", 1, err, sizeof(err));
	conc_map = pat_head_new(m, PAT_M_STR, 0, SMP_T_STR, "t", 1, err, sizeof(err));
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, reader, (void *)i);
	for (int round = 0; round < 300; round++) {
		for (int i = 0; i < 64; i++) {
			snprintf(k, sizeof(k), "k%d", i);
			snprintf(v, sizeof(v), "v%d-%d", round, i);
			pat_ref_add(r, k, NULL, err, sizeof(err));
			pat_ref_add(m, k, v, err, sizeof(err));
		}
		for (int i = 0; i < 64; i += 2) {
			snprintf(k, sizeof(k), "k%d", i);
			snprintf(v, sizeof(v), "v%d", round);
			pat_ref_set_key(m, k, v, err, sizeof(err));
			pat_ref_del_key(r, k);
		}
		pat_ref_clear(r);
		pat_ref_clear(m);
		qsbr_reclaim();
	}
	__atomic_store_n(&conc_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	waiting = qsbr_reclaim();
	CHECK("readers ran", conc_hits[0] + conc_hits[1] + conc_hits[2] + conc_hits[3] >= 0);
	CHECK("everything retired is freed once readers are gone", waiting == 0);
}

int main(void)
{
	t_init_px();
	test_methods();
	test_ip();
	test_files();
	test_named_and_builtins();
	test_threevalued();
	test_errors();
	test_runtime_changes();
	test_concurrency();
	t_cleanup();
	UNIT_END();
}
