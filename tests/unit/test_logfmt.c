/* Log-format strings (src/rules/logfmt.c): parsing errors, every
 * %-variable, the flags (+Q +X +E, %o), separators of directives,
 * expressions in log and value modes, rendering into the arena, and
 * HAProxy's `option httplog` / `option tcplog` / CLF strings rendering the
 * same bytes as tandem's built-in formats (src/proxy/httplog.c). */
#include <regex.h>
#include <time.h>
#include <tandem/httplog.h>
#include "rules_test.h"

static struct logfmt *lf(const char *text, int words)
{
	struct smp_pctx pc = t_pc(-1);
	char err[1024];
	struct logfmt *l = words ? logfmt_parse_words(text, &pc, -1, err, sizeof(err)) :
			   logfmt_parse(text, &pc, -1, err, sizeof(err));

	snprintf(T_err, sizeof(T_err), "%s", l ? "" : err);
	return l;
}

static char out[8192];

static const char *render(const char *text, int words, const struct lf_info *li, int mode)
{
	struct logfmt *l = lf(text, words);

	out[0] = 0;
	if (!l)
		return NULL;
	logfmt_render(l, &C, li, mode, out, sizeof(out));
	logfmt_free(l);
	return out;
}

#define R_EQ(text, li, want) do { \
	const char *g_ = render((text), 0, (li), LF_MODE_VALUE); \
	CHECKF(g_ && !strcmp(g_, (want)), "render %s", (text)); \
	if (!g_ || strcmp(g_, (want))) \
		printf("  got:  '%s'\n  want: '%s'\n", g_ ? g_ : T_err, (want)); \
} while (0)

#define W_EQ(text, li, want) do { \
	const char *g_ = render((text), 1, (li), LF_MODE_LOG); \
	CHECKF(g_ && !strcmp(g_, (want)), "log %s", (text)); \
	if (!g_ || strcmp(g_, (want))) \
		printf("  got:  '%s'\n  want: '%s'\n", g_ ? g_ : T_err, (want)); \
} while (0)

static void test_errors(void)
{
	static const struct { const char *text; const char *err; } bad[] = {
		{ "%x", "no such format alias 'x'. If you wanted to emit the '%' character verbatim, you need to use '%%'" },
		{ "a %", "unexpected character ' ' after '%'" },
		{ "%{+Z}o", "unknown log-format flag '+Z'" },
		{ "%{+Q", "missing '}' after '%{'" },
		{ "%[path", "missing ']' after sample expression" },
		{ "%[nosuch]", "failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'" },
		{ "%Tx", "no such format alias 'Tx'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct logfmt *l = lf(bad[i].text, 0);

		CHECKF(!l && strstr(T_err, bad[i].err), "refused: %s", bad[i].text);
		if (l || !strstr(T_err, bad[i].err))
			printf("  got: %s\n", l ? "(compiled)" : T_err);
		logfmt_free(l);
	}
	{
		struct smp_pctx pc = t_pc(-1);
		char err[512];
		struct logfmt *l = logfmt_parse("%[req.hdr(host)]", &pc, SMP_PH_LOG, err, sizeof(err));

		CHECK("a request header at log time is refused (as HAProxy)", !l &&
		      strstr(err, "needs 'HTTP request headers' which is not available here"));
	}
}

static void test_aliases(void)
{
	struct sockaddr_storage srv, bck;
	struct lf_info li = {
		.Th = 0, .Ti = 2, .TR = 3, .Tw = 4, .Tc = 5, .Tr = 6, .Ta = 20, .Tt = 30,
		.accept_us = 1700000000123456ull, .req_us = 1700000001000000ull, .status = 200,
		.bytes_out = 1234, .bytes_in = 56, .term = { 'C', 'D', '-', '-' },
		.actconn = 1, .feconn = 2, .beconn = 3, .srvconn = 4, .retries = 1, .redispatched = 1,
		.srv_queue = 5, .be_queue = 6, .req_line = "GET /p?q=1 HTTP/1.1", .req_line_len = 19,
		.uniq_id = 26, .log_counter = 9,
	};
	char buf[64];

	t_ctx(NULL);
	t_addr(&srv, "10.9.8.7", 8080);
	t_addr(&bck, "10.9.8.1", 33000);
	li.srv_addr = &srv;
	li.bck_src = &bck;
	R_EQ("100%%", NULL, "100%");
	R_EQ("%ci:%cp", &li, "192.168.1.10:40000");
	R_EQ("%{+X}ci:%{+X}cp", &li, "C0A8010A:9C40");
	R_EQ("%fi:%fp", &li, "10.0.0.1:80");
	R_EQ("%si:%sp %bi:%bp", &li, "10.9.8.7:8080 10.9.8.1:33000");
	R_EQ("%si", NULL, "-");
	R_EQ("%B %U %ST", &li, "1234 56 200");
	R_EQ("%Th/%Ti/%TR/%Tw/%Tc/%Tr/%Ta/%Tt", &li, "0/2/3/4/5/6/20/30");
	R_EQ("%Tq %Td %Tu", &li, "5 10 28");
	R_EQ("%Ta", NULL, "-1");
	R_EQ("%ts %tsc", &li, "CD CD--");
	R_EQ("%ac/%fc/%bc/%sc/%rc %sq/%bq", &li, "1/2/3/4/+1 5/6");
	R_EQ("%r", &li, "GET /p?q=1 HTTP/1.1");
	R_EQ("%{+Q}r", &li, "\"GET /p?q=1 HTTP/1.1\"");
	R_EQ("%HM|%HU|%HP|%HPO|%HQ|%HV", &li, "GET|/p?q=1|/p|/p|?q=1|HTTP/1.1");
	R_EQ("%f %ft %b %s", &li, "fe fe fe <NOSRV>");
	R_EQ("%{+Q}b", &li, "\"fe\"");
	R_EQ("%rt %{+X}rt %lc", &li, "26 001A 9");
	R_EQ("%CC %CS %{+Q}CC", &li, "- - \"\"");
	R_EQ("%sslc %sslv", &li, "- -");
	R_EQ("%Ts %{+X}Ts %ms", &li, "1700000000 6553F100 123");
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	R_EQ("%pid", &li, buf);
	{
		char host[256];

		gethostname(host, sizeof(host));
		R_EQ("%H", &li, host);
	}
	R_EQ("%T", &li, "14/Nov/2023:22:13:20 +0000");
	R_EQ("%trg", &li, "14/Nov/2023:22:13:21 +0000");
	{
		const char *g = render("%t|%tr|%Tl|%trl", 0, &li, LF_MODE_VALUE);
		regex_t re;

		regcomp(&re, "^[0-9]{2}/[A-Z][a-z]{2}/2023:[0-9]{2}:[0-9]{2}:20\\.123\\|[0-9]{2}/[A-Z][a-z]{2}/2023:[0-9]{2}:[0-9]{2}:21\\.000\\|"
			"[0-9]{2}/Nov/2023:[0-9:]{8} [+-][0-9]{4}\\|[0-9]{2}/Nov/2023:[0-9:]{8} [+-][0-9]{4}$", REG_EXTENDED);
		CHECKF(g && regexec(&re, g, 0, NULL, 0) == 0, "local dates: %s", g ? g : "");
		regfree(&re);
	}
	li.logasap = 1;
	R_EQ("%Ta %Tt %B", &li, "+20 +30 +1234");
	/* the request line is encoded */
	li.req_line = "GET /a\"b#c\x01 HTTP/1.1";
	li.req_line_len = strlen(li.req_line);
	R_EQ("%r", &li, "GET /a#22b#23c#01 HTTP/1.1");
	li.req_line = NULL;
	R_EQ("%r %HM", &li, "<BADREQ> -");
}

static void test_captures_and_flags(void)
{
	struct proxy px;
	struct px_rules pr;
	struct cap_decl rq[2] = { { "x-tag", 20 }, { "user-agent", 5 } }, rs[1] = { { "server", 10 } };
	char id[] = "capfe";
	struct lf_info li = { .Ta = -1 };

	memset(&px, 0, sizeof(px));
	memset(&pr, 0, sizeof(pr));
	px.id = id;
	px.rules = &pr;
	pr.cap_req = rq;
	pr.n_cap_req = 2;
	pr.cap_rsp = rs;
	pr.n_cap_rsp = 1;
	t_ctx(&px);
	CHECK("request parses", t_req("GET / HTTP/1.1\r\nHost: h\r\nX-Tag: a|b{c}\r\nUser-Agent: Mozilla/5.0\r\n\r\n"));
	rules_capture_req(&px, &C);
	t_rsp("HTTP/1.1 200 OK\r\nServer: srv\r\nContent-Length: 0\r\n\r\n");
	rules_capture_rsp(&px, &C);
	R_EQ("%hr", &li, "{a#7Cb#7Bc#7D|Mozil}");
	R_EQ("%hs", &li, "{srv}");
	R_EQ("%hrl", &li, "a#7Cb#7Bc#7D Mozil");
	R_EQ("%{+Q}hrl", &li, "\"a#7Cb#7Bc#7D\" \"Mozil\"");
	R_EQ("%{+Q}hr", &li, "\"{a#7Cb#7Bc#7D|Mozil}\"");
	R_EQ("%[capture.req.hdr(0)]", &li, "a|b{c}");
	/* %o spreads its flags; -Q removes one */
	R_EQ("%{+Q}o%b %{-Q}b %ST", &li, "\"capfe\" capfe 0");
	/* +E escapes for structured data */
	t_req("GET / HTTP/1.1\r\nHost: x\r\nX-S: a\"b\\c]d\r\n\r\n");
	R_EQ("%{+E}[req.hdr(x-s)]", &li, "a\\\"b\\\\c\\]d");
	W_EQ("%{+Q,+E}[req.hdr(x-s)]", &li, "\"a\\\"b\\\\c\\]d\"");
	/* in a value HAProxy 2.6 quotes the %-variables, never a sample */
	R_EQ("%{+Q,+E}[req.hdr(x-s)]", &li, "a\\\"b\\\\c\\]d");
	R_EQ("%{+Q}[str(x)] %{+Q}b", &li, "x \"capfe\"");
	/* expressions */
	R_EQ("%[src]/%[path]", &li, "192.168.1.10//");
	/* no value: "-" (or "" quoted) in a log line, nothing in a value (HAProxy's) */
	W_EQ("[%[req.hdr(none)]] [%{+Q}[req.hdr(none)]]", &li, "[-] [\"\"]");
	R_EQ("[%[req.hdr(none)]] [%{+Q}[req.hdr(none)]]", &li, "[] []");
	t_ctx(NULL);
}

static void test_separators_and_modes(void)
{
	struct lf_info li = { .status = 200 };

	t_ctx(NULL);
	W_EQ("a  b", &li, "a b");
	W_EQ(" a b ", &li, "a b ");
	W_EQ("%ST %hr %hs %ST", &li, "200 200");       /* no captures: the fields and one separator vanish */
	W_EQ("%ST %hr", &li, "200 ");
	{
		char err[256];
		int id = vars_register(&T_rc, "txn.l", 5, err, sizeof(err));
		struct sample s;

		smp_set_str(&s, "x\ny\x7f", 4, SMP_F_CONST);
		vars_set(&C, id, &s);
		W_EQ("v=%[var(txn.l)]", &li, "v=x#0Ay#7F");   /* a value cannot forge a log line */
		R_EQ("v=%[var(txn.l)]", &li, "v=x\ny\x7f");
	}
	/* rendering into the arena */
	{
		struct logfmt *l = lf("constant", 0);
		size_t len;
		char *p = logfmt_render_arena(l, &C, NULL, &len);

		CHECK("literal: no copy", p && len == 8 && p == l->node[0].text);
		logfmt_free(l);
		l = lf("%[src]-x", 0);
		p = logfmt_render_arena(l, &C, NULL, &len);
		CHECK("expression: in the arena", p && !strcmp(p, "192.168.1.10-x") && p >= T_arena_mem &&
		      p < T_arena_mem + sizeof(T_arena_mem));
		T_arena.used = T_arena.size - 2;
		CHECK("arena full: NULL", !logfmt_render_arena(l, &C, NULL, &len));
		T_arena.used = 0;
		logfmt_free(l);
	}
	{
		char small[8];
		struct logfmt *l = lf("0123456789abcdef", 0);

		CHECK("truncated to the buffer", logfmt_render(l, &C, NULL, LF_MODE_LOG, small, sizeof(small)) == 7 &&
		      !strcmp(small, "0123456"));
		logfmt_free(l);
	}
}

/* HAProxy's definitions of its built-in formats, rendered by the engine,
 * must give the bytes src/proxy/httplog.c writes for the same transaction. */
static void test_builtin_equivalence(void)
{
	struct txn_log t;
	struct lf_info li;
	struct proxy fe;
	char id[] = "fe", want[2048], got[2048];
	struct logfmt *l;

	memset(&t, 0, sizeof(t));
	memset(&li, 0, sizeof(li));
	memset(&fe, 0, sizeof(fe));
	fe.id = id;
	fe.mode = PR_MODE_HTTP;
	t_addr(&t.cli, "192.168.1.10", 40000);
	t_addr(&t.fe_addr, "10.0.0.1", 80);
	t.accept_wall_us = 1700000000123456ull;
	t.fe = "fe"; t.be = "be"; t.srv = "s1";
	t.TR = 1; t.Tw = 0; t.Tc = 2; t.Tr = 3; t.Ta = 10; t.Tt = 12; t.status = 200;
	t.bytes_out = 999; t.bytes_in = 77;
	memcpy(t.term, "----", 4);
	t.actconn = 1; t.feconn = 1; t.beconn = 1; t.srvconn = 1; t.retries = 0;
	t.req_line = "GET /x?y=\"1\" HTTP/1.1";
	t.req_line_len = strlen(t.req_line);
	t.http = 1;
	li.Th = 0; li.Ti = 0; li.TR = 1; li.Tw = 0; li.Tc = 2; li.Tr = 3; li.Ta = 10; li.Tt = 12;
	li.accept_us = li.req_us = t.accept_wall_us;
	li.status = 200; li.bytes_out = 999; li.bytes_in = 77;
	memcpy(li.term, "----", 4);
	li.actconn = li.feconn = li.beconn = li.srvconn = 1;
	li.req_line = t.req_line; li.req_line_len = t.req_line_len;
	li.http = 1;
	li.cli = &t.cli;
	li.frt = &t.fe_addr;

	{
		/* ctx: frontend fe, backend be, server s1 */
		static char bid[] = "be", sid[] = "s1";
		static struct proxy be;
		static struct server sv;

		t_ctx(&fe);
		be.id = bid;
		sv.id = sid;
		C.be = &be;
		C.srv = &sv;
	}
	fe.options = PR_O_HTTPLOG;
	httplog_format(&fe, &t, want, sizeof(want));
	l = lf("%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r", 1);
	logfmt_render(l, &C, &li, LF_MODE_LOG, got, sizeof(got));
	CHECKF(!strcmp(got, want), "option httplog as a log-format");
	if (strcmp(got, want))
		printf("  got:  %s\n  want: %s\n", got, want);
	logfmt_free(l);

	fe.options = PR_O_HTTPLOG | PR_O_HTTPLOG_CLF;
	httplog_format(&fe, &t, want, sizeof(want));
	l = lf("%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl", 1);
	logfmt_render(l, &C, &li, LF_MODE_LOG, got, sizeof(got));
	CHECKF(!strcmp(got, want), "option httplog clf as a log-format");
	if (strcmp(got, want))
		printf("  got:  %s\n  want: %s\n", got, want);
	logfmt_free(l);

	t.http = 0;
	li.http = 0;
	memcpy(t.term, "--\0\0", 4);
	memcpy(li.term, "--\0\0", 4);
	fe.options = PR_O_TCPLOG;
	httplog_format(&fe, &t, want, sizeof(want));
	l = lf("%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq", 1);
	logfmt_render(l, &C, &li, LF_MODE_LOG, got, sizeof(got));
	CHECKF(!strcmp(got, want), "option tcplog as a log-format");
	if (strcmp(got, want))
		printf("  got:  %s\n  want: %s\n", got, want);
	logfmt_free(l);
	t_ctx(NULL);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	t_init_px();
	test_errors();
	test_aliases();
	test_captures_and_flags();
	test_separators_and_modes();
	test_builtin_equivalence();
	t_cleanup();
	UNIT_END();
}
