/* Converters (src/rules/conv.c) and the map converters
 * (src/rules/conv_map.c): every keyword, with HAProxy's documented
 * examples where its documentation gives some. */
#include "rules_test.h"

static void test_strings(void)
{
	t_ctx(NULL);
	T_EQ("str(MiXeD),lower", "mixed");
	T_EQ("str(MiXeD),upper", "MIXED");
	T_EQ("str(abcd),length", "4");
	T_EQ("str(xxabcxx),ltrim(x)", "abcxx");
	T_EQ("str(xxabcxx),rtrim(x)", "xxabc");
	T_EQ("str('ab\r\ncd'),cut_crlf", "ab");
	/* HAProxy's field examples */
	T_EQ("str(f1_f2_f3__f5),field(5,_)", "f5");
	T_EQ("str(f1_f2_f3__f5),field(2,_,0)", "f2_f3__f5");
	T_EQ("str(f1_f2_f3__f5),field(2,_,2)", "f2_f3");
	T_EQ("str(f1_f2_f3__f5),field(-2,_,3)", "f2_f3_");
	T_EQ("str(f1_f2_f3__f5),field(-3,_,0)", "f1_f2_f3");
	T_EQ("str(f1_f2_f3__f5),field(9,_)", NULL);
	T_EQ("str(a:b;c),field(3,:;)", "c");
	/* HAProxy's word examples */
	T_EQ("str(f1_f2_f3__f5),word(4,_)", "f5");
	T_EQ("str(f1_f2_f3__f5),word(2,_,0)", "f2_f3__f5");
	T_EQ("str(f1_f2_f3__f5),word(3,_,2)", "f3__f5");
	T_EQ("str(f1_f2_f3__f5),word(-2,_,3)", "f1_f2_f3");
	T_EQ("str(f1_f2_f3__f5),word(-3,_,0)", "f1_f2");
	T_EQ("str(/f1/f2/f3/f4),word(1,/)", "f1");
	/* regsub */
	T_EQ("str(a//b///c),regsub('/+','/','g')", "a/b/c");
	T_EQ("str(a//b///c),regsub('/+',/)", "a/b///c");
	T_EQ("str(Hello World),regsub('(\\w+) (\\w+)','\\2 \\1')", "World Hello");
	T_EQ("str(ABC),regsub(b,x,i)", "AxC");
	T_EQ("str(ABC),regsub(b,x)", "ABC");
	T_EQ("str(?;&x=1),regsub('[?;&]*','')", "x=1");
	T_EQ("str(abc),regsub('',-,g)", "-a-b-c-");
	/* encodings */
	T_EQ("str(hello),base64", "aGVsbG8=");
	T_EQ("str(aGVsbG8=),b64dec", "hello");
	T_EQ("str(aGVsbG8),b64dec", NULL);
	T_EQ("str(hi?>),ub64enc", "aGk_Pg");
	T_EQ("str(aGk_Pg),ub64dec", "hi?>");
	T_EQ("str(AB),hex", "4142");
	T_EQ("str(4142),hex2i", "16706");
	T_EQ("str(zz),hex2i", "0");
	T_EQ("int(1),htonl,hex", "00000001");
	T_EQ("str(abcdef),bytes(1,2)", "bc");
	T_EQ("str(abcdef),bytes(4)", "ef");
	T_EQ("str(abcdef),bytes(10)", "");
	T_EQ("str(a%20b+c),url_dec", "a b+c");
	T_EQ("str(a%20b+c),url_dec(1)", "a b c");
	T_EQ("str(/x?a+b),url_dec", "/x?a b");
	T_EQ("str(a%2),url_dec", NULL);
	T_EQ("str(a b/c~),url_enc", "a%20b%2Fc~");
	T_EQ("str('say \"hi\"\\ /\t'),json", "say \\\"hi\\\"\\\\ \\/\\t");
	T_EQ("str(\xc3\xa9),json", "\\u00c3\\u00a9");
	T_EQ("str(\xc3\xa9),json(utf8)", "\\u00e9");
	T_EQ("str(a\xff" "b),json(utf8)", NULL);
	T_EQ("str(a\xff" "b),json(utf8s)", "ab");
	T_EQ("str(\xc0\xaf),json(utf8)", NULL);       /* overlong '/' */
	T_EQ("str(\xc0\xaf),json(utf8p)", "\\/");
	/* hosts */
	T_EQ("str(WWW.Example.com:8080),host_only", "www.example.com");
	T_EQ("str([::1]:80),host_only", "[::1]");
	T_EQ("str(127.0.0.1),host_only", "127.0.0.1");
	T_EQ("str(example.com:8080),port_only", "8080");
	T_EQ("str([::1]:443),port_only", "443");
	T_EQ("str(example.com),port_only", "0");
	T_EQ("bool(1),iif(yes,no)", "yes");
	T_EQ("bool(0),iif(yes,no)", "no");
}

static void test_integers(void)
{
	t_ctx(NULL);
	T_EQ("int(5),add(3)", "8");
	T_EQ("int(5),sub(7)", "-2");
	T_EQ("int(6),mul(-2)", "-12");
	T_EQ("int(7),div(2)", "3");
	T_EQ("int(7),div(0)", "9223372036854775807");
	T_EQ("int(7),mod(3)", "1");
	T_EQ("int(7),mod(0)", "0");
	T_EQ("int(6),and(3)", "2");
	T_EQ("int(6),or(3)", "7");
	T_EQ("int(6),xor(3)", "5");
	T_EQ("int(6),neg", "-6");
	T_EQ("int(0),cpl", "-1");
	T_EQ("int(0),not", "1");
	T_EQ("int(5),bool", "1");
	T_EQ("int(5),odd", "1");
	T_EQ("int(5),even", "0");
	T_EQ("int(9223372036854775807),add(1)", "9223372036854775807");   /* saturated */
	T_EQ("src,ipmask(24)", "192.168.1.0");
	T_EQ("src,ipmask(255.255.0.0)", "192.168.0.0");
	T_EQ("ipv6(2001:db8::1:2),ipmask(24,64)", "2001:db8::");
	T_EQ("ipv6(2001:db8::1),ipmask(24)", NULL);
	T_EQ("int(0),http_date", "Thu, 01 Jan 1970 00:00:00 GMT");
	T_EQ("int(0),http_date(86400)", "Fri, 02 Jan 1970 00:00:00 GMT");
	T_EQ("int(1500),http_date(0,ms)", "Thu, 01 Jan 1970 00:00:01 GMT");
	T_EQ("int(0),utime(%Y-%m-%d)", "1970-01-01");
	T_EQ("int(0),utime(%H,3600)", "01");
	{
		char v[64];

		CHECK("ltime formats a local date", t_str("int(0),ltime(%Y)", v, sizeof(v)) && (!strcmp(v, "1970") || !strcmp(v, "1969")));
	}
	/* operands from variables */
	{
		char err[256];
		int id = vars_register(&T_rc, "txn.n", 5, err, sizeof(err));
		struct sample s;

		smp_set_int(&s, 10);
		vars_set(&C, id, &s);
		T_EQ("int(5),add(txn.n)", "15");
		T_EQ("int(5),mul(txn.n)", "50");
		T_EQ("int(5),add(txn.unset)", NULL);
	}
}

static void test_vars(void)
{
	char err[256];
	struct sample s;
	int a, b;

	t_ctx(NULL);
	a = vars_register(&T_rc, "txn.a", 5, err, sizeof(err));
	b = vars_register(&T_rc, "txn.b", 5, err, sizeof(err));
	smp_set_str(&s, "AAA", 3, SMP_F_CONST);
	vars_set(&C, a, &s);
	smp_set_str(&s, "BBB", 3, SMP_F_CONST);
	vars_set(&C, b, &s);
	T_EQ("str(x),concat(<,txn.a,>)", "x<AAA>");
	T_EQ("str(x),concat(,txn.a)", "xAAA");
	T_EQ("str(x),concat(-)", "x-");
	T_EQ("str(x),concat(<,txn.none,>)", "x<>");
	T_EQ("str(),add_item(\",\",txn.a)", "AAA");
	T_EQ("str(x),add_item(\",\",txn.a)", "x,AAA");
	T_EQ("str(x),add_item(\",\",txn.a,\"(s1)\")", "x,AAA(s1)");
	T_EQ("str(x),add_item(\",\",txn.none)", "x");
	T_EQ("str(AAA),strcmp(txn.a)", "0");
	T_EQ("str(AAB),strcmp(txn.a)", "1");
	T_EQ("str(AA),strcmp(txn.a)", "-1");
	T_EQ("str(AAA),strcmp(txn.none)", NULL);
	T_EQ("str(set),set-var(txn.c)", "set");
	T_EQ("var(txn.c)", "set");
	T_EQ("str(again),set-var(txn.c,ifnotexists)", "again");
	T_EQ("var(txn.c)", "set");
	T_EQ("str(new),set-var(txn.c,ifexists)", "new");
	T_EQ("var(txn.c)", "new");
	T_EQ("str(),set-var(txn.c,ifnotempty)", "");
	T_EQ("var(txn.c)", "new");
	T_EQ("int(3),set-var(txn.i)", "3");
	T_EQ("int(2),set-var(txn.i,ifgt)", "2");
	T_EQ("var(txn.i)", "3");
	T_EQ("int(5),set-var(txn.i,ifgt)", "5");
	T_EQ("var(txn.i)", "5");
	T_EQ("int(4),set-var(txn.i,iflt)", "4");
	T_EQ("var(txn.i)", "4");
	T_EQ("str(z),unset-var(txn.c)", "z");
	T_EQ("var(txn.c)", NULL);
	{
		struct smp_expr *e = t_expr("str(x),set-var(txn.q,ifsometimes)");

		CHECK("unknown set-var condition", !e && strstr(T_err, "unknown condition 'ifsometimes'"));
	}
}

static void test_captures(void)
{
	struct proxy px;
	struct cap_decl decl[2] = { { NULL, 3 }, { NULL, 10 } };
	struct px_rules pr;
	char id[] = "capfe";

	memset(&px, 0, sizeof(px));
	memset(&pr, 0, sizeof(pr));
	px.id = id;
	px.rules = &pr;
	pr.cap_req = decl;
	pr.n_cap_req = 2;
	t_ctx(&px);
	T_EQ("str(abcdef),capture-req(0)", "abcdef");
	T_EQ("capture.req.hdr(0)", "abc");            /* truncated to the slot's length */
	T_EQ("str(xyz),capture-req(1)", "xyz");
	T_EQ("capture.req.hdr(1)", "xyz");
	T_EQ("str(q),capture-req(7)", "q");            /* no such slot: ignored silently */
	T_EQ("capture.req.hdr(7)", NULL);
	T_EQ("capture.res.hdr(0)", NULL);
	t_ctx(NULL);
	px.rules = NULL;
}

static void test_maps(void)
{
	const char *m1 = t_file(0,
		"# comment\n"
		"\n"
		"/api         api_backend\n"
		"/api/v2      v2_backend\n"
		"  /static    static files  \n"
		"www.example.com  web\n"
		"/api         duplicate_ignored\n");
	const char *mi = t_file(1, "10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n2001:db8::/32 doc\n0.0.0.0/0 any\n");
	const char *mn = t_file(2, "0:99 small\n100:999 medium\n1000: large\n");
	const char *mv = t_file(3, "a 1\nb 2\n");
	const char *mr = t_file(4, "^/img/.*\\.png$ png\n^/img/ img\n");
	char e[400];

	t_ctx(NULL);
	snprintf(e, sizeof(e), "str(/api),map(%s)", m1);
	T_EQ(e, "api_backend");
	snprintf(e, sizeof(e), "str(/api/v2/x),map(%s,dflt)", m1);
	T_EQ(e, "dflt");
	snprintf(e, sizeof(e), "str(/nope),map(%s)", m1);
	T_EQ(e, NULL);
	snprintf(e, sizeof(e), "str(/static),map_str(%s)", m1);
	T_EQ(e, "static files");
	snprintf(e, sizeof(e), "str(/api/v2/users),map_beg(%s)", m1);
	T_EQ(e, "v2_backend");                          /* the longest prefix */
	snprintf(e, sizeof(e), "str(/api/v1),map_beg(%s)", m1);
	T_EQ(e, "api_backend");
	snprintf(e, sizeof(e), "str(x/static/y),map_sub(%s)", m1);
	T_EQ(e, "static files");
	snprintf(e, sizeof(e), "str(/a/static),map_end(%s)", m1);
	T_EQ(e, "static files");
	snprintf(e, sizeof(e), "str(foo.www.example.com),map_dom(%s)", m1);
	T_EQ(e, "web");
	snprintf(e, sizeof(e), "str(/img/a.png),map_reg(%s)", mr);
	T_EQ(e, "png");
	snprintf(e, sizeof(e), "str(/img/a.gif),map_reg(%s)", mr);
	T_EQ(e, "img");
	snprintf(e, sizeof(e), "str(10.1.2.3),map_ip(%s)", mi);
	T_EQ(e, "ten-one");                             /* the longest prefix */
	snprintf(e, sizeof(e), "str(10.9.2.3),map_ip(%s)", mi);
	T_EQ(e, "ten");
	snprintf(e, sizeof(e), "src,map_ip(%s)", mi);
	T_EQ(e, "any");
	snprintf(e, sizeof(e), "ipv6(2001:db8::5),map_ip(%s)", mi);
	T_EQ(e, "doc");
	snprintf(e, sizeof(e), "int(150),map_int(%s)", mn);
	T_EQ(e, "medium");
	snprintf(e, sizeof(e), "int(5000),map_int(%s)", mn);
	T_EQ(e, "large");
	snprintf(e, sizeof(e), "str(b),map_str_int(%s),add(1)", mv);
	T_EQ(e, "3");
	snprintf(e, sizeof(e), "str(zz),map_str_int(%s,7)", mv);
	T_EQ(e, "7");
	{
		const char *mip = t_file(5, "a 192.0.2.1\nb 2001:db8::9\n");

		snprintf(e, sizeof(e), "str(a),map_str_ip(%s)", mip);
		T_EQ(e, "192.0.2.1");
		snprintf(e, sizeof(e), "str(b),map_ip_ip(%s)", mip);   /* str keys cannot be networks */
		{
			struct smp_expr *x = t_expr(e);

			CHECK("map_ip on a non-address key file is refused", !x && strstr(T_err, "is not a valid IPv4 or IPv6 address"));
			smp_expr_free(x);
		}
		snprintf(e, sizeof(e), "str(b),map_str_ip(%s)", mip);
		T_EQ(e, "2001:db8::9");
	}
	/* errors */
	{
		struct smp_expr *x = t_expr("str(a),map(/nonexistent/map)");

		CHECK("missing map file", !x && strstr(T_err, "failed to open pattern file </nonexistent/map>"));
		snprintf(e, sizeof(e), "str(a),map_str_int(%s)", m1);
		x = t_expr(e);
		CHECK("non-integer values in map_str_int", !x && strstr(T_err, "is not a valid integer"));
		snprintf(e, sizeof(e), "str(a),map_int_int(%s,x)", mn);
		x = t_expr(e);
		CHECK("bad default for an integer map", !x);
	}
	/* one file, one reference, shared */
	{
		int refs = 0;

		for (struct pat_ref *r = T_rc.refs; r; r = r->next)
			refs += r->file && !strcmp(r->file, m1);
		CHECK("a map file is loaded once", refs == 1);
	}
	/* runtime changes seen by the converter */
	{
		struct pat_ref *r = pat_ref_find_file(&T_rc, m1);

		/* (a request sees the map as it was when it started: each check
		 * below is a new request) */
		CHECK("add", r && pat_ref_add(r, "/new", "new_backend", e, sizeof(e)) == 0);
		rules_txn_begin(&C);
		snprintf(e, sizeof(e), "str(/new),map(%s)", m1);
		T_EQ(e, "new_backend");
		CHECK("set", pat_ref_set_key(r, "/new", "changed", e, sizeof(e)) == 1);
		rules_txn_begin(&C);
		snprintf(e, sizeof(e), "str(/new),map(%s)", m1);
		T_EQ(e, "changed");
		snprintf(e, sizeof(e), "str(/new/x),map_beg(%s)", m1);
		T_EQ(e, "changed");
		CHECK("del", pat_ref_del_key(r, "/new") == 1);
		rules_txn_begin(&C);
		snprintf(e, sizeof(e), "str(/new),map(%s)", m1);
		T_EQ(e, NULL);
		pat_ref_clear(r);
		rules_txn_begin(&C);
		snprintf(e, sizeof(e), "str(/api),map(%s)", m1);
		T_EQ(e, NULL);
		qsbr_reclaim();
	}
	for (int i = 0; i < 6; i++)
		unlink(t_file_path(i));
}

int main(void)
{
	t_init_px();
	test_strings();
	test_integers();
	test_vars();
	test_captures();
	test_maps();
	t_cleanup();
	UNIT_END();
}
