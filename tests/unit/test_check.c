/* Health-check pieces without sockets: the HTTP request built from
 * `option httpchk` / `http-check send`, the judgement of responses by
 * `http-check expect`, tcp-check matching, and the parsing of every check
 * keyword (with defaults-section inheritance of the rules). */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/check.h>
#include <tandem/log.h>
#include "../../src/check/check_int.h"
#include "unit.h"

static char cfgpath[256];

static struct cfg *load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(cfgpath, "w");

	fputs(text, f);
	fclose(f);
	return cfg_load(cfgpath, err, errlen);
}

static int eval(const struct chk_px *px, const char *resp, int eof, int *st, int *code, char *desc)
{
	size_t len = strlen(resp);

	return chk_http_eval(px, resp, len, 16384, eof, st, code, desc, 160);
}

static void test_request(void)
{
	struct chk_px p = { .type = CHK_TYPE_HTTP, .max_ejected_pct = -1 };
	struct chk_hdr oh[1] = { { "Host", "www" } }, sh[1] = { { "X-Check", "1" } };
	char *r = NULL;
	long n;

	n = chk_http_request(&p, &r);
	CHECK("default request", n > 0 && !strcmp(r, "OPTIONS / HTTP/1.0\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
	free(r);
	p.meth = "GET"; p.uri = "/health"; p.ver = "HTTP/1.1"; p.hdrs = oh; p.nhdrs = 1;
	n = chk_http_request(&p, &r);
	CHECK("option httpchk with old-form header",
	      n > 0 && !strcmp(r, "GET /health HTTP/1.1\r\nHost: www\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
	free(r);
	p.s_meth = "POST"; p.s_uri = "/ping"; p.s_hdrs = sh; p.s_nhdrs = 1; p.body = "hi";
	n = chk_http_request(&p, &r);
	CHECK("http-check send wins, headers add, body counted",
	      n > 0 && !strcmp(r, "POST /ping HTTP/1.1\r\nHost: www\r\nX-Check: 1\r\nConnection: close\r\n"
				  "Content-Length: 2\r\n\r\nhi"));
	free(r);
}

static struct chk_expect mk(int type, const char *pat, int inverse)
{
	struct chk_expect e = { .type = type, .inverse = inverse, .pat = (char *)pat };

	if (type == EXP_RSTRING || type == EXP_RSTATUS || type == EXP_RBINARY)
		e.has_re = regcomp(&e.re, pat, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) == 0;
	return e;
}

static void test_eval(void)
{
	struct chk_px p = { .type = CHK_TYPE_HTTP };
	static int r200[][2] = { { 200, 200 }, { 300, 303 } };
	struct chk_expect e[2];
	char desc[160];
	int st, code;

	CHECK("incomplete head waits", eval(&p, "HTTP/1.1 200 OK\r\nContent-", 0, &st, &code, desc) == 0);
	CHECK("empty at eof", eval(&p, "", 1, &st, &code, desc) == 1 && st == HCHK_L7RSP &&
	      !strcmp(desc, "TCPCHK got an empty response at step 1"));
	CHECK("200 by default", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7OK && code == 200 && !*desc);
	CHECK("302 by default", eval(&p, "HTTP/1.0 302 Found\r\n\r\n", 0, &st, &code, desc) == 1 && st == HCHK_L7OK);
	CHECK("503: L7STS with the reason", eval(&p, "HTTP/1.1 503 Service Unavailable\r\n\r\n", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7STS && code == 503 && !strcmp(desc, "Service Unavailable"));
	CHECK("invalid: L7RSP", eval(&p, "HTTP/1.1 2x0 OK\r\n\r\n", 0, &st, &code, desc) == 1 && st == HCHK_L7RSP);
	CHECK("1xx then final", eval(&p, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7OK && code == 204);

	e[0] = (struct chk_expect){ .type = EXP_STATUS, .ranges = r200, .nranges = 2 };
	p.http_exp = e; p.n_http_exp = 1;
	CHECK("status list: 301", eval(&p, "HTTP/1.1 301 Moved\r\n\r\n", 0, &st, &code, desc) == 1 && st == HCHK_L7OK);
	CHECK("status list: 204 fails", eval(&p, "HTTP/1.1 204 No Content\r\n\r\n", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7STS && !strcmp(desc, "No Content"));
	e[0].inverse = 1;
	CHECK("! status", eval(&p, "HTTP/1.1 204 No Content\r\n\r\n", 0, &st, &code, desc) == 1 && st == HCHK_L7OK);

	e[0] = mk(EXP_RSTATUS, "^5", 0);
	CHECK("rstatus", eval(&p, "HTTP/1.1 502 Bad Gateway\r\n\r\n", 0, &st, &code, desc) == 1 && st == HCHK_L7OK);
	regfree(&e[0].re);

	e[0] = mk(EXP_STRING, "OK", 0);
	CHECK("string: waits for the body (Content-Length)",
	      eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 0, &st, &code, desc) == 0);
	CHECK("string: match", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7OK && code == 200);
	CHECK("string: no match", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nKO", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7RSP && !strcmp(desc, "HTTP content check did not match"));
	CHECK("string: no body", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7RSP && !strcmp(desc, "HTTP content check could not find a response body"));
	CHECK("string: close-delimited waits for eof", eval(&p, "HTTP/1.0 200 OK\r\n\r\nOK", 0, &st, &code, desc) == 0);
	CHECK("string: close-delimited at eof", eval(&p, "HTTP/1.0 200 OK\r\n\r\nxOKx", 1, &st, &code, desc) == 1 &&
	      st == HCHK_L7OK);
	CHECK("string: chunked, split across chunks",
	      eval(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nO\r\n1;x=y\r\nK\r\n0\r\n\r\n", 0,
		   &st, &code, desc) == 1 && st == HCHK_L7OK);
	CHECK("string: chunked waits for the end",
	      eval(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nO\r\n", 0, &st, &code, desc) == 0);
	e[0].inverse = 1;
	CHECK("! string matched", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7RSP && !strcmp(desc, "HTTP check matched unwanted content"));
	e[0].inverse = 0;
	e[0].comment = "need OK";
	CHECK("comment added to the info", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nKO", 0, &st, &code, desc) == 1 &&
	      !strcmp(desc, "HTTP content check did not match comment: need OK"));
	e[0].comment = NULL;

	/* every rule must pass, in order */
	e[1] = (struct chk_expect){ .type = EXP_STATUS, .ranges = r200, .nranges = 1 };
	p.n_http_exp = 2;
	CHECK("string and status", eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7OK);
	CHECK("string ok, status not", eval(&p, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nOK", 0, &st, &code, desc) == 1 &&
	      st == HCHK_L7STS);

	e[0] = mk(EXP_RSTRING, "^NODE_[A-Z]+$", 0);
	p.n_http_exp = 1;
	CHECK("rstring, $ before a final newline",
	      eval(&p, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nNODE_A\n", 0, &st, &code, desc) == 1 && st == HCHK_L7OK);
	regfree(&e[0].re);
}

static void test_match(void)
{
	struct chk_expect e = { .type = EXP_BINARY, .bin = "\x00\x01", .binlen = 2 };

	CHECK("binary with NUL bytes", chk_expect_match(&e, "ab\x00\x01z", 5));
	CHECK("binary absent", !chk_expect_match(&e, "ab\x00z", 4));
	e = mk(EXP_RBINARY, "^4F4B", 0);
	CHECK("rbinary runs on upper-case hex", chk_expect_match(&e, "OK!", 3));
	regfree(&e.re);
	e = mk(EXP_RSTRING, "b.d", 0);
	CHECK("rstring past a NUL byte", chk_expect_match(&e, "a\0bcd", 5));
	regfree(&e.re);
	e = mk(EXP_STRING, "+OK", 0);
	CHECK("string", chk_expect_match(&e, "x+OK\r\n", 6) && !chk_expect_match(&e, "+O", 2));
}

static void test_cfg(void)
{
	char err[512];
	struct cfg *c;
	struct proxy *b1, *b2, *b3;
	struct server *s;
	const struct chk_px *p;

	c = load("defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n"
		 " option httpchk GET /health\n http-check expect status 200\n default-server inter 3s fall 5\n"
		 "backend b1\n server s 127.0.0.1:81 check\n"
		 "backend b2\n http-check expect string OK\n server s 127.0.0.1:82 check init-state fully-up observe layer7"
		 " error-limit 4 on-error mark-down slowstart 2s port 8080 addr 127.0.0.2 max-fails 2 fail-timeout 3s\n"
		 "backend b3\n option tcp-check\n tcp-check connect port 9000\n tcp-check send PING\\r\\n\n"
		 " tcp-check expect ! string ERR\n max-ejected-percent 30\n server s 127.0.0.1:83 check no-check\n",
		 err, sizeof(err));
	CHECK("check config loads", c != NULL);
	if (!c) {
		printf("  err: %s\n", err);
		return;
	}
	b1 = cfg_find_proxy(c, "b1", PR_CAP_BE);
	b2 = cfg_find_proxy(c, "b2", PR_CAP_BE);
	b3 = cfg_find_proxy(c, "b3", PR_CAP_BE);
	p = chk_px_of(b1);
	CHECK("b1 inherits option httpchk", p && p->type == CHK_TYPE_HTTP && !strcmp(p->meth, "GET") && !strcmp(p->uri, "/health"));
	CHECK("b1 inherits the expect rule", p && p->n_http_exp == 1 && p->http_exp[0].type == EXP_STATUS);
	s = list_entry(b1->servers.next, struct server, link);
	CHECK("default-server inter/fall inherited", s->has_check && s->chk_inter == 3000 && s->chk_fall == 5 && s->chk_rise == 2);
	CHECK("servers do not carry the rules", s->chk_px == NULL);
	p = chk_px_of(b2);
	CHECK("b2's own expect replaces the inherited one",
	      p && p->n_http_exp == 1 && p->http_exp[0].type == EXP_STRING && !strcmp(p->http_exp[0].pat, "OK"));
	s = list_entry(b2->servers.next, struct server, link);
	CHECK("b2 server keywords", s->init_state == INIT_FULLY_UP && s->observe == OBS_MODE_L7 && s->error_limit == 4 &&
	      s->on_error == ONERR_MARKDWN && s->slowstart == 2000 && s->chk_port == 8080 && s->chk_addrlen &&
	      s->max_fails == 2 && s->fail_timeout == 3000);
	p = chk_px_of(b3);
	CHECK("b3 tcp-check rules", p && p->type == CHK_TYPE_TCP && p->ntcp == 3 && p->tcp[0].act == TCR_CONNECT &&
	      p->tcp[0].port == 9000 && p->tcp[1].act == TCR_SEND && p->tcp[1].len == 6 &&
	      !memcmp(p->tcp[1].data, "PING\r\n", 6) && p->tcp[2].exp.inverse && p->tcp[2].exp.type == EXP_STRING);
	CHECK("b3 max-ejected-percent", p && p->max_ejected_pct == 30);
	s = list_entry(b3->servers.next, struct server, link);
	CHECK("no-check after check", !s->has_check);
	cfg_free(c);

	c = load("backend b\n tcp-check send x\n tcp-check connect\n server s 127.0.0.1:1\n", err, sizeof(err));
	CHECK("connect must come first", !c && strstr(err, "first step MUST also be a 'connect'"));
	cfg_free(c);
	c = load("backend b\n http-check send meth GET\n http-check send uri /x\n", err, sizeof(err));
	CHECK("one http-check send", !c && strstr(err, "only one 'http-check send'"));
	cfg_free(c);
	c = load("frontend f\n bind 127.0.0.1:1\n option httpchk\n", err, sizeof(err));
	CHECK("option httpchk in a frontend: ignored with a warning", c != NULL);
	cfg_free(c);
}

int main(void)
{
	snprintf(cfgpath, sizeof(cfgpath), "/tmp/tandem-test-check-%d.cfg", (int)getpid());
	log_setup(open("/dev/null", O_WRONLY), LL_DEBUG, "test");
	test_request();
	test_eval();
	test_match();
	test_cfg();
	unlink(cfgpath);
	UNIT_END();
}
