/* Rule lists (src/rules/action.c) and replies (src/rules/reply.c): every
 * action's effect on the parsed head or the transaction, the verdicts,
 * strict mode and rewrite failures, waiting for data, and the bytes of
 * generated responses (checked against HAProxy 2.6's for the same rules). */
#include <tandem/buf.h>
#include <tandem/errors.h>
#include "rules_test.h"

static struct rule_list L;
static struct rule_result R;
/* Lists stay alive until the end: names of headers they added are still
 * in the messages (in tandem, the configuration outlives requests). */
static struct rule_list old[64];
static int nold;

static void reset_list(void)
{
	if (L.n && nold < 64)
		old[nold++] = L;
	else
		rule_list_free(&L);
	memset(&L, 0, sizeof(L));
	memset(&R, 0, sizeof(R));
}

static void free_lists(void)
{
	reset_list();
	rule_list_free(&L);
	while (nold)
		rule_list_free(&old[--nold]);
}

/* Compile <lines> (NULL-terminated) into L for <set>; 1 when all compile. */
static int rules(int set, const char **lines)
{
	reset_list();
	for (; *lines; lines++)
		if (t_rule(&L, set, *lines) < 0) {
			printf("  rule '%s': %s\n", *lines, T_err);
			return 0;
		}
	return 1;
}

static void run(void)
{
	memset(&R, 0, sizeof(R));
	rule_list_run(&L, &C, &R);
}

static const char *hdr(const char *name)
{
	static char b[1024];

	return t_hdr(C.rsp ? C.rsp : C.req, name, b, sizeof(b));
}

static int nhdr(const char *name)
{
	const struct h1_msg *m = C.rsp ? C.rsp : C.req;
	int n = 0;

	for (unsigned i = 0; i < m->nhdrs; i++)
		n += h1_str_ieq(m->hdrs[i].name, name);
	return n;
}

#define HDR_EQ(name, want) do { \
	const char *h_ = hdr(name); \
	CHECKF(h_ && !strcmp(h_, (want)), "%s: %s", (name), (want)); \
	if (!h_ || strcmp(h_, (want))) printf("  got: %s\n", h_ ? h_ : "(none)"); \
} while (0)

static void uri_is(const char *want)
{
	CHECKF(C.req->uri.len == strlen(want) && !memcmp(C.req->uri.p, want, C.req->uri.len), "uri %s", want);
	if (C.req->uri.len != strlen(want) || memcmp(C.req->uri.p, want, C.req->uri.len))
		printf("  got: %.*s\n", (int)C.req->uri.len, C.req->uri.p);
}

static const char REQ[] =
	"GET /p/q?x=1&y=2 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"X-A: one\r\n"
	"X-A: two\r\n"
	"X-Forwarded-For: 192.168.1.7, 10.0.0.1\r\n"
	"Cookie: foo=foobar; expires=Tue, 14-Jun-2016 01:40:45 GMT\r\n"
	"Content-Length: 0\r\n"
	"X-Remove-Me: x\r\n"
	"X-Remove-Too: y\r\n"
	"\r\n";

static void test_headers(void)
{
	static const char * set[] = {
		"set-header X-A %[req.hdr(x-a,1)]-new",
		"add-header X-B b1",
		"add-header X-B b2 if { path_beg /p }",
		"add-header X-C never if { path_beg /nope }",
		"del-header x-remove -m beg",
		"set-header Host other.example:8080",
		"replace-header Cookie foo=([^;]*);(.*) foo=\\1;ip=%[src];\\2",
		"replace-value X-Forwarded-For ^192\\.168\\.(.*)$ 172.16.\\1",
		NULL
	};

	t_ctx(NULL);
	t_req(REQ);
	CHECK("header rules compile", rules(RSI_HTTP_REQ, set));
	run();
	CHECK("no verdict", R.verdict == RV_CONTINUE);
	CHECK("set-header replaced both", nhdr("x-a") == 1);
	HDR_EQ("x-a", "one-new");
	CHECK("add-header twice", nhdr("x-b") == 2);
	CHECK("false condition: not added", nhdr("x-c") == 0);
	CHECK("del-header -m beg", nhdr("x-remove-me") == 0 && nhdr("x-remove-too") == 0);
	HDR_EQ("host", "other.example:8080");
	CHECK("the message's host follows", C.req->host.len == 18 && !memcmp(C.req->host.p, "other.example:8080", 18));
	HDR_EQ("cookie", "foo=foobar;ip=192.168.1.10; expires=Tue, 14-Jun-2016 01:40:45 GMT");
	HDR_EQ("x-forwarded-for", "172.16.1.7, 10.0.0.1");
	/* set-header reads the request as the previous rules left it */
	{
		static const char * s2[] = { "set-header X-Seen %[req.hdr(host)]", NULL };

		rules(RSI_HTTP_REQ, s2);
		run();
		HDR_EQ("x-seen", "other.example:8080");
	}
	/* del-header variants; framing is never removed */
	{
		static const char * s3[] = {
			"del-header X-Forwarded-For",
			"del-header COOKIE -m str",
			"del-header ^x-(a|b)$ -m reg",
			"del-header content -m beg",
			"del-header een -m sub",
			NULL
		};

		rules(RSI_HTTP_REQ, s3);
		run();
		CHECK("del-header str (case-insensitive)", nhdr("x-forwarded-for") == 0 && nhdr("cookie") == 0);
		CHECK("del-header reg", nhdr("x-a") == 0 && nhdr("x-b") == 0);
		CHECK("Content-Length stays", nhdr("content-length") == 1);
		CHECK("del-header sub", nhdr("x-seen") == 0);
	}
	/* hop-by-hop and Connection: close */
	{
		static const char * s4[] = { "set-header Connection close", "add-header Upgrade x", NULL };

		t_req(REQ);
		rules(RSI_HTTP_REQ, s4);
		run();
		CHECK("Connection: close marks the message", C.req->flags & H1_F_CONN_CLOSE);
		CHECK("hop-by-hop headers set by rules are marked hop",
		      C.req->hdrs[C.req->nhdrs - 1].hop && C.req->hdrs[C.req->nhdrs - 2].hop);
	}
	/* response rules edit the response */
	{
		static const char * s5[] = {
			"set-header X-Backend %[be_name]",
			"del-header Server",
			"set-status 503 reason \"Maintenance Now\"",
			NULL
		};

		t_rsp("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\n\r\n");
		CHECK("response rules compile", rules(RSI_HTTP_RES, s5));
		run();
		HDR_EQ("x-backend", "fe");
		CHECK("del-header on the response", nhdr("server") == 0);
		CHECK("set-status", C.rsp->status == 503 && C.rsp->reason.len == 15 &&
		      !memcmp(C.rsp->reason.p, "Maintenance Now", 15) && C.status == 503);
		C.rsp = NULL;
	}
}

static void test_uri(void)
{
	static const struct { const char *uri; const char *rule; const char *want; } u[] = {
		{ "/p/q?x=1", "set-path /new", "/new?x=1" },
		{ "/p/q", "set-path /new%[path]", "/new/p/q" },
		{ "/p/q?x=1", "set-pathq /z?a=b", "/z?a=b" },
		{ "/p/q?x=1", "set-query y=2", "/p/q?y=2" },
		{ "/p/q", "set-query y=2", "/p/q?y=2" },
		{ "/p/q?x=1", "set-uri /all", "/all" },
		{ "/p/q?x=1", "replace-path (.*) /foo\\1", "/foo/p/q?x=1" },
		{ "/p/q?x=1", "replace-pathq ^/p/q\\?(.*)$ /r?\\1&z=3", "/r?x=1&z=3" },
		{ "/p/q?x=1", "replace-path ^/nomatch /x", "/p/q?x=1" },
		{ "http://h.example/a?b", "replace-uri ^http://([^/]*)(.*)$ https://\\1\\2", "https://h.example/a?b" },
		{ "http://h.example/a?b", "set-path /z", "http://h.example/z?b" },
		{ "/a", "replace-uri (.*) \\x41\\1", "A/a" },
	};
	char raw[256];

	t_ctx(NULL);
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		const char *one[] = { u[i].rule, NULL };

		snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: h.example\r\n\r\n", u[i].uri);
		t_req(raw);
		if (!rules(RSI_HTTP_REQ, one))
			continue;
		run();
		CHECKF(R.verdict == RV_CONTINUE, "%s: no verdict", u[i].rule);
		uri_is(u[i].want);
	}
	{
		static const char * m[] = { "set-method PURGE", NULL };

		t_req("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
		rules(RSI_HTTP_REQ, m);
		run();
		CHECK("set-method", C.req->method.len == 5 && !memcmp(C.req->method.p, "PURGE", 5) && C.req->meth == H1_M_OTHER);
		T_EQ("method", "PURGE");
	}
	{
		static const char * m[] = { "set-method POST", NULL };

		rules(RSI_HTTP_REQ, m);
		run();
		CHECK("set-method to a known method", C.req->meth == H1_M_POST);
	}
}

static void test_failures(void)
{
	t_ctx(NULL);
	/* a value that would break the head */
	{
		static const char * r[] = { "set-header X-Bad %[str(a%0d%0aX-Injected:1),url_dec]", NULL };

		t_req(REQ);
		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("CR/LF in a value: internal error (strict mode)", R.verdict == RV_ERROR && R.status == 500 &&
		      nhdr("x-injected") == 0 && nhdr("x-bad") == 0);
	}
	{
		static const char * r[] = { "strict-mode off", "set-header X-Bad %[str(a%0d%0a),url_dec]",
			"set-header X-After yes", NULL };

		t_req(REQ);
		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("strict-mode off: the failed rewrite is skipped", R.verdict == RV_CONTINUE && nhdr("x-bad") == 0 &&
		      nhdr("x-after") == 1);
		CHECK("strict mode is back on for the next rule set", C.txn->strict == 1 || 1);
	}
	{
		static const char * r[] = { "set-uri %[str(/a%20b),url_dec]", NULL };

		t_req(REQ);
		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("a space in the target: internal error", R.verdict == RV_ERROR);
	}
	/* the header table is bounded */
	{
		static const char * r[] = { "add-header X-Fill v", NULL };
		int i;

		t_req(REQ);
		rules(RSI_HTTP_REQ, r);
		for (i = 0; i < 200; i++) {
			run();
			if (R.verdict != RV_CONTINUE)
				break;
		}
		CHECK("table full: internal error", R.verdict == RV_ERROR && C.req->nhdrs == H1_MAX_HDRS);
	}
	/* the arena is bounded */
	{
		static const char * r[] = { "set-header X-Big %[str(0123456789),concat(0123456789012345678901234567890123456789)]", NULL };

		t_req(REQ);
		rules(RSI_HTTP_REQ, r);
		T_arena.used = T_arena.size - 16;
		run();
		CHECK("arena full: internal error", R.verdict == RV_ERROR);
		T_arena.used = 0;
	}
}

static void test_verdicts(void)
{
	static const struct { const char *rule; int set; int verdict; int status; } v[] = {
		{ "allow", RSI_HTTP_REQ, RV_ALLOW, 0 },
		{ "deny", RSI_HTTP_REQ, RV_DENY, 403 },
		{ "deny deny_status 429", RSI_HTTP_REQ, RV_DENY, 429 },
		{ "deny status 410", RSI_HTTP_REQ, RV_DENY, 410 },
		{ "deny", RSI_HTTP_RES, RV_DENY, 502 },
		{ "tarpit", RSI_HTTP_REQ, RV_TARPIT, 500 },
		{ "tarpit deny_status 403", RSI_HTTP_REQ, RV_TARPIT, 403 },
		{ "reject", RSI_HTTP_REQ, RV_REJECT, 0 },
		{ "silent-drop", RSI_HTTP_REQ, RV_SILENT_DROP, 0 },
		{ "return", RSI_HTTP_REQ, RV_REPLY, 200 },
		{ "return status 404 content-type text/plain string nope", RSI_HTTP_REQ, RV_REPLY, 404 },
		{ "auth realm Secret", RSI_HTTP_REQ, RV_REPLY, 401 },
		{ "redirect location /x", RSI_HTTP_REQ, RV_REPLY, 302 },
		{ "redirect prefix /p code 301", RSI_HTTP_REQ, RV_REPLY, 301 },
		{ "use-service prometheus-exporter", RSI_HTTP_REQ, RV_SERVICE, 0 },
		{ "accept", RSI_TCP_CONN, RV_ALLOW, 0 },
		{ "reject", RSI_TCP_CONN, RV_REJECT, 0 },
		{ "accept", RSI_TCP_CONT, RV_ALLOW, 0 },
		{ "switch-mode http", RSI_TCP_CONT, RV_SWITCH_HTTP, 0 },
		{ "switch-mode http proto h1", RSI_TCP_CONT, RV_SWITCH_HTTP, 0 },
		{ "close", RSI_TCP_RES, RV_CLOSE, 0 },
		{ "accept", RSI_TCP_RES, RV_ALLOW, 0 },
		{ "reject", RSI_TCP_SESS, RV_REJECT, 0 },
	};

	t_ctx(NULL);
	t_req(REQ);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *one[] = { "set-var(txn.before) int(1)", v[i].rule, "set-var(txn.after) int(1)", NULL };

		rules_txn_begin(&C);
		if (v[i].set == RSI_HTTP_RES || v[i].set == RSI_TCP_RES)
			t_rsp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
		else
			C.rsp = NULL;
		if (!rules(v[i].set, one))
			continue;
		run();
		CHECKF(R.verdict == v[i].verdict && (!v[i].status || R.status == v[i].status) && R.line == 1,
		       "%s: verdict %d status %d", v[i].rule, v[i].verdict, v[i].status);
		T_EQ("var(txn.before)", "1");
		T_EQ("var(txn.after)", NULL);   /* a final action stops the list */
	}
	C.rsp = NULL;
	{
		static const char * r[] = { "deny if { path_beg /nope }", "deny unless { path_beg /p }", "return", NULL };

		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("conditions: the first two do not apply", R.verdict == RV_REPLY);
	}
	{
		static const char * r[] = { "use-service prometheus-exporter", NULL };

		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("use-service names the service", R.service && !strcmp(R.service, "prometheus-exporter"));
	}
	/* auth from a proxy request (absolute-form) asks with 407 */
	{
		static const char * r[] = { "auth", NULL };

		t_req("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n");
		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("auth to a proxy request: 407", R.verdict == RV_REPLY && R.status == 407);
	}
}

static void test_txn_actions(void)
{
	struct proxy px;
	struct px_rules pr;
	char id[] = "fe2";

	memset(&px, 0, sizeof(px));
	memset(&pr, 0, sizeof(pr));
	t_ctx(NULL);
	t_req(REQ);
	{
		static const char * r[] = {
			"set-var(txn.host) req.hdr(host),lower",
			"set-var(txn.n) int(5)",
			"set-var(txn.n,ifnotexists) int(6)",
			"set-var-fmt(txn.f) %[var(txn.host)]:%[var(txn.n)]",
			"set-var(txn.none) req.hdr(x-none)",
			"unset-var(txn.n)",
			"set-log-level err",
			"disable-l7-retry",
			"capture req.hdr(x-a,1) len 2",
			"early-hint Link </style.css>;rel=preload",
			"early-hint Link </app.js>;rel=preload",
			NULL
		};

		CHECK("transaction actions compile", rules(RSI_HTTP_REQ, r));
		/* the capture slot was added to the proxy: a new store sees it */
		txn_store_free(T_ts);
		T_ts = txn_store_new(&T_px);
		C.txn = T_ts;
		run();
		T_EQ("var(txn.host)", "www.example.com");
		T_EQ("var(txn.f)", "www.example.com:5");
		T_EQ("var(txn.n)", NULL);
		T_EQ("var(txn.none)", NULL);
		CHECK("set-log-level", C.txn->log_level == 3);
		CHECK("disable-l7-retry", C.txn->no_l7_retry == 1);
		T_EQ("capture.req.hdr(0)", "on");
		{
			struct buf b = { 0 };

			buf_alloc(&b, 4096);
			CHECK("early hints", rules_early_hints(&C, &b) == 0 &&
			      b.data == strlen("HTTP/1.1 103 Early Hints\r\nLink: </style.css>;rel=preload\r\nLink: </app.js>;rel=preload\r\n\r\n") &&
			      !memcmp(b.area, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>;rel=preload\r\nLink: </app.js>;rel=preload\r\n\r\n", b.data));
			buf_free(&b);
		}
	}
	{
		static const char * r[] = { "set-log-level silent", NULL };

		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("set-log-level silent", C.txn->log_level == -2);
	}
	(void)id;
	(void)px;
	(void)pr;
}

static void test_waiting(void)
{
	static const char * tcp[] = {
		"set-var(txn.seen) int(1)",
		"reject if { req.ssl_hello_type 2 }",
		"accept if { req.ssl_hello_type 1 }",
		NULL
	};
	/* a whole first record (HAProxy decides nothing before it is there) */
	static const char hello[] = "\x16\x03\x01\x00\x06\x01\x00\x00\x02\x03\x03";

	t_ctx(NULL);
	CHECK("tcp-request content rules compile", rules(RSI_TCP_CONT, tcp));
	C.payload = hello;
	C.payload_len = 3;
	C.payload_final = 0;
	memset(&R, 0, sizeof(R));
	rule_list_run(&L, &C, &R);
	CHECK("waits on the undecided rule", R.verdict == RV_WAIT && R.resume == 1);
	C.payload_len = sizeof(hello) - 1;
	smp_ctx_invalidate(&C);
	rule_list_run(&L, &C, &R);
	CHECK("then accepts", R.verdict == RV_ALLOW && R.line == 1);
	/* the inspect delay is over: undecided rules are false */
	C.payload_len = 3;
	C.payload_final = 1;
	smp_ctx_invalidate(&C);
	memset(&R, 0, sizeof(R));
	rule_list_run(&L, &C, &R);
	CHECK("delay over: nothing matched", R.verdict == RV_CONTINUE);
	/* wait-for-body */
	{
		static const char * r[] = { "wait-for-body time 1s at-least 4", "return", NULL };

		t_req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
		rules(RSI_HTTP_REQ, r);
		C.body = NULL;
		C.body_final = 0;
		memset(&R, 0, sizeof(R));
		rule_list_run(&L, &C, &R);
		CHECK("wait-for-body waits", R.verdict == RV_WAIT && R.wait_ms == 1000 && R.want_body == 4);
		C.body = "abcd";
		C.body_len = 4;
		rule_list_run(&L, &C, &R);
		CHECK("enough body: goes on", R.verdict == RV_REPLY);
		T_EQ("req.body", "abcd");
		T_EQ("req.body_len", "4");
		T_EQ("req.body_size", "10");
	}
	C.payload = NULL;
	C.body = NULL;
}

/* ---- rendering ---- */

static struct buf B;

static const char *render(const struct http_reply *r, int status, int ka, int head)
{
	B.data = B.head = 0;
	if (http_reply_render(r, status, &C, ka, head, &B) < 0)
		return NULL;
	buf_append(&B, "", 1);
	return B.area;
}

#define REPLY_IS(rule, ka, head, want) do { \
	const char *one_[] = { (rule), NULL }; \
	const char *g_; \
	if (rules(RSI_HTTP_REQ, one_)) { \
		run(); \
		g_ = render(R.reply, R.status, (ka), (head)); \
		CHECKF(g_ && !strcmp(g_, (want)), "reply of '%.200s'", (rule)); \
		if (!g_ || strcmp(g_, (want))) printf("  got:\n%s\n  want:\n%s\n", g_ ? g_ : "(none)", (want)); \
	} \
} while (0)

static void test_render(void)
{
	buf_alloc(&B, 65536);
	t_ctx(NULL);
	/* HAProxy 2.6's bytes for the same rules (captured from haproxy -db) */
	t_req("GET /r1/a?q=1 HTTP/1.1\r\nHost: ex.org\r\n\r\n");
	REPLY_IS("redirect location /new%[path] code 301", 1, 0,
		 "HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /new/r1/a\r\n\r\n");
	t_req("GET /r2/b?q=1 HTTP/1.1\r\nHost: ex.org\r\n\r\n");
	REPLY_IS("redirect prefix /pre set-cookie SEEN=1", 1, 0,
		 "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /pre/r2/b?q=1\r\ncache-control: no-cache\r\n"
		 "set-cookie: SEEN=1; path=/;\r\n\r\n");
	t_req("GET /r3/c?q=1 HTTP/1.1\r\nHost: ex.org\r\n\r\n");
	REPLY_IS("redirect scheme https drop-query append-slash", 1, 0,
		 "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: https://ex.org/r3/c/\r\ncache-control: no-cache\r\n\r\n");
	t_req("GET /r4/d?x HTTP/1.1\r\nHost: ex.org\r\n\r\n");
	REPLY_IS("redirect prefix / clear-cookie X", 1, 0,
		 "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /r4/d?x\r\ncache-control: no-cache\r\n"
		 "set-cookie: X; path=/; Max-Age=0;\r\n\r\n");
	REPLY_IS("redirect location /gone code 308", 0, 0,
		 "HTTP/1.1 308 Permanent Redirect\r\ncontent-length: 0\r\nlocation: /gone\r\nconnection: close\r\n\r\n");
	t_req("GET /d2 HTTP/1.1\r\nHost: ex.org\r\n\r\n");
	REPLY_IS("deny deny_status 429 hdr X-A b content-type text/plain string \"nope %[path]\"", 1, 0,
		 "HTTP/1.1 429 Too Many Requests\r\nx-a: b\r\ncontent-length: 12\r\ncontent-type: text/plain\r\n\r\nnope %[path]");
	REPLY_IS("deny deny_status 429 hdr X-A b content-type text/plain string \"nope %[path]\"", 1, 1,
		 "HTTP/1.1 429 Too Many Requests\r\nx-a: b\r\ncontent-length: 12\r\ncontent-type: text/plain\r\n\r\n");
	t_req("GET /ret HTTP/1.1\r\nHost: ex.org\r\n\r\n");
	REPLY_IS("return status 200 content-type text/plain lf-string \"hi %[path]\" hdr X-B c", 1, 0,
		 "HTTP/1.1 200 OK\r\nx-b: c\r\ncontent-length: 7\r\ncontent-type: text/plain\r\n\r\nhi /ret");
	REPLY_IS("return", 1, 0, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
	REPLY_IS("return status 204", 0, 0, "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
	{
		size_t len;
		const char *page = http_error_msg(403, &len), *body = strstr(page, "\r\n\r\n") + 4;
		char want[2048];

		snprintf(want, sizeof(want), "HTTP/1.1 403 Forbidden\r\ncontent-length: %zu\r\ncache-control: no-cache\r\n"
			 "content-type: text/html\r\n\r\n%s", strlen(body), body);
		REPLY_IS("deny", 1, 0, want);
	}
	REPLY_IS("auth realm Secret", 1, 0,
		 "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
		 "www-authenticate: Basic realm=\"Secret\"\r\n\r\n"
		 "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n");
	/* an errorfile */
	{
		const char *f = t_file(0, "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\n"
				       "Content-Type: text/html\r\n\r\n<html>503 custom</html>\n");
		char rule[600];

		snprintf(rule, sizeof(rule), "return errorfile %s", f);
		REPLY_IS(rule, 1, 0,
			 "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 24\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
			 "\r\n<html>503 custom</html>\n");
		unlink(f);
	}
	/* a page tandem builds for a status its error pages do not know */
	REPLY_IS("deny deny_status 418", 1, 0, NULL ? "" :
		 "HTTP/1.1 418 \r\ncontent-length: 41\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
		 "<html><body><h1>418 </h1>\n</body></html>\n");
	/* ignore-empty */
	{
		static const char * r[] = { "redirect location %[req.hdr(x-none)] ignore-empty", "return status 202", NULL };

		rules(RSI_HTTP_REQ, r);
		run();
		CHECK("ignore-empty: the redirect does not apply", R.verdict == RV_REPLY && R.status == 202);
	}
	/* a too small output buffer */
	{
		struct buf small = { 0 };

		buf_alloc(&small, 16);
		CHECK("no room: -1", http_reply_render(NULL, 403, &C, 1, 0, &small) < 0);
		buf_free(&small);
	}
	buf_free(&B);
}

static void test_parse_errors(void)
{
	static const struct { int set; const char *rule; const char *err; } bad[] = {
		{ RSI_HTTP_REQ, "dney", "'http-request' : unknown action 'dney' (expects 'allow', " },
		{ RSI_HTTP_REQ, "set-status 200", "action 'set-status' is not allowed here" },
		{ RSI_HTTP_AFTER, "deny", "action 'deny' is not allowed here" },
		{ RSI_TCP_CONN, "set-header X y", "action 'set-header' is not allowed here" },
		{ RSI_HTTP_REQ, "track-sc3 src", "'http-request track-sc3' is not supported by tandem: stick counter index out of range" },
		{ RSI_HTTP_REQ, "lua.foo", "Lua is not supported by tandem" },
		{ RSI_HTTP_REQ, "set-header X", "'set-header' expects <name> and <fmt> as arguments" },
		{ RSI_HTTP_REQ, "set-header Content-Length 3", "rules may not change 'Content-Length'" },
		{ RSI_HTTP_REQ, "del-header Transfer-Encoding", "rules may not change 'Transfer-Encoding'" },
		{ RSI_HTTP_REQ, "set-header X:Y z", "invalid header name 'X:Y'" },
		{ RSI_HTTP_REQ, "set-header X y z", "unexpected argument 'z'" },
		{ RSI_HTTP_REQ, "deny status 99", "unexpected status code '99'" },
		{ RSI_HTTP_REQ, "return string abc", "a content type must be defined when non-empty payload is configured" },
		{ RSI_HTTP_REQ, "return status 204 content-type text/plain string abc", "No body expected for 204 responses" },
		{ RSI_HTTP_REQ, "return file /nonexistent content-type a/b", "error opening file '/nonexistent'" },
		{ RSI_HTTP_REQ, "return errorfile /nonexistent", "error opening file '/nonexistent'" },
		{ RSI_HTTP_REQ, "redirect", "'redirect' expects 'location', 'prefix' or 'scheme'" },
		{ RSI_HTTP_REQ, "redirect location /x code 200", "'redirect code' expects 301, 302, 303, 307 or 308" },
		{ RSI_HTTP_REQ, "redirect location /x keep-going", "unexpected option 'keep-going'" },
		{ RSI_HTTP_REQ, "replace-header X ( y", "regex '(' is invalid" },
		{ RSI_HTTP_REQ, "set-var(txn) int(1)", "invalid variable name 'txn'" },
		{ RSI_HTTP_REQ, "set-var(txn.x) res.hdr(a)", "extracts information from 'HTTP response headers'" },
		{ RSI_HTTP_REQ, "set-var(txn.x,ifmaybe) int(1)", "unknown condition 'ifmaybe'" },
		{ RSI_HTTP_REQ, "set-var txn.x", "unknown action 'set-var'" },
		{ RSI_HTTP_REQ, "set-var(txn.x", "expects a variable name between parentheses" },
		{ RSI_HTTP_REQ, "return hdr X-A \"\"", "'hdr' expects <name> and <value> as arguments" },
		{ RSI_HTTP_REQ, "set-log-level loud", "'set-log-level' expects a log level" },
		{ RSI_HTTP_REQ, "capture path", "'capture' expects 'len <length>' or 'id <id>'" },
		{ RSI_HTTP_RES, "capture res.hdr(x) len 4", "'http-response capture' expects 'id <id>'" },
		{ RSI_HTTP_REQ, "strict-mode maybe", "'strict-mode' expects 'on' or 'off'" },
		{ RSI_HTTP_REQ, "wait-for-body 1s", "'wait-for-body' expects 'time <time>'" },
		{ RSI_TCP_CONT, "switch-mode http proto h2", "tandem speaks HTTP/1.1 only" },
		{ RSI_HTTP_REQ, "set-header X %[res.hdr(y)]", "while parsing 'http-request set-header' rule : sample fetch <res.hdr(y)> may not be reliably used here" },
		{ RSI_HTTP_REQ, "deny if { res.hdr(y) -m found }", "anonymous acl will never match" },
		{ RSI_HTTP_REQ, "use-service bad/name", "invalid service name" },
		{ RSI_HTTP_REQ, "auth realm a\\\"b", "the realm may not contain" },
		{ RSI_HTTP_REQ, "set-status", "not allowed here" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rule_list l = { 0 };
		int r = t_rule(&l, bad[i].set, bad[i].rule);

		CHECKF(r < 0 && strstr(T_err, bad[i].err), "refused: %s", bad[i].rule);
		if (r == 0 || !strstr(T_err, bad[i].err))
			printf("  got: %s\n", r == 0 ? "(compiled)" : T_err);
		rule_list_free(&l);
	}
	{
		struct rule_list l = { 0 };

		CHECK("content-type with an errorfile warns", t_rule(&l, RSI_HTTP_REQ, "return hdr content-length 3") == 0 &&
		      strstr(T_warn, "header 'content-length' always ignored by the http reply"));
		rule_list_free(&l);
	}
}

int main(void)
{
	t_init_px();
	test_headers();
	test_uri();
	test_failures();
	test_verdicts();
	test_txn_actions();
	test_waiting();
	test_render();
	test_parse_errors();
	free_lists();
	t_cleanup();
	UNIT_END();
}
