/* Access-log formats (httplog, clf, json, tcplog, connect line), syslog
 * headers, emit filters (dontlognull, dontlog-normal, log-separate-errors,
 * target levels, log global), UDP targets, and the event log of log.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/httplog.h>
#include <tandem/log.h>
#include "unit.h"

/* ---- a tiny strict JSON validator (objects, arrays, strings, numbers,
 * literals); returns a pointer past the value or NULL. ---- */
static const char *js_ws(const char *p) { while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++; return p; }
static const char *js_value(const char *p);
static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c >= 0x80)   /* our output promises ASCII only */
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p)
				return NULL;
		}
		p++;
	}
	return p + 1;
}
static const char *js_number(const char *p)
{
	const char *s = p;
	if (*p == '-') p++;
	if (!isdigit((unsigned char)*p)) return NULL;
	if (*p == '0' && isdigit((unsigned char)p[1])) return NULL;
	while (isdigit((unsigned char)*p)) p++;
	if (*p == '.') { p++; if (!isdigit((unsigned char)*p)) return NULL; while (isdigit((unsigned char)*p)) p++; }
	return p > s ? p : NULL;
}
static const char *js_value(const char *p)
{
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p) return NULL;
				p = js_ws(p);
				if (*p++ != ':') return NULL;
			}
			p = js_value(p);
			if (!p) return NULL;
			p = js_ws(p);
			if (*p == ',') { p++; continue; }
			if (*p == close) return p + 1;
			return NULL;
		}
	}
	if (*p == '"') return js_string(p);
	if (!strncmp(p, "true", 4)) return p + 4;
	if (!strncmp(p, "false", 5)) return p + 5;
	if (!strncmp(p, "null", 4)) return p + 4;
	return js_number(p);
}
static int json_valid(const char *s)
{
	const char *e = js_value(s);
	return e && *js_ws(e) == '\0';
}

/* ---- fixtures ---- */
static void set_v4(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

static uint64_t test_time_us(void)
{
	/* 21/Nov/2026:01:02:03.456 UTC */
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 21, .tm_hour = 1, .tm_min = 2, .tm_sec = 3 };
	return (uint64_t)timegm(&tm) * 1000000 + 456789;
}

static void base_txn(struct txn_log *t)
{
	static const char rl[] = "GET /index.html HTTP/1.1";
	memset(t, 0, sizeof(*t));
	set_v4(&t->cli, "10.0.1.2", 33317);
	set_v4(&t->fe_addr, "10.0.3.31", 8012);
	t->accept_wall_us = test_time_us();
	t->fe = "http-in"; t->be = "static"; t->srv = "srv1";
	t->TR = 10; t->Tw = 0; t->Tc = 30; t->Tr = 69; t->Ta = 109; t->Tt = 5007;
	t->status = 200; t->bytes_out = 2750; t->bytes_in = 120;
	memcpy(t->term, "----", 4);
	t->actconn = 1; t->feconn = 1; t->beconn = 1; t->srvconn = 1; t->retries = 0;
	t->req_line = rl; t->req_line_len = sizeof(rl) - 1;
	t->http = 1;
}

static void base_fe(struct proxy *fe, uint32_t opts)
{
	memset(fe, 0, sizeof(*fe));
	fe->id = "http-in";
	fe->mode = PR_MODE_HTTP;
	fe->options = opts;
	list_init(&fe->logs);
}

static char buf[8192];
static const char *fmt(const struct proxy *fe, const struct txn_log *t)
{
	httplog_format(fe, t, buf, sizeof(buf));
	return buf;
}

#define EXPECT(name, got, want) do { const char *g_ = (got), *w_ = (want); \
	int ok_ = strcmp(g_, w_) == 0; CHECK(name, ok_); \
	if (!ok_) printf("  got:  [%s]\n  want: [%s]\n", g_, w_); } while (0)

static void test_formats(void)
{
	struct proxy fe;
	struct txn_log t;

	base_fe(&fe, PR_O_HTTPLOG);
	base_txn(&t);
	EXPECT("httplog default", fmt(&fe, &t),
	       "10.0.1.2:33317 [21/Nov/2026:01:02:03.456] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- "
	       "1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"");

	t.retries = 1; t.redispatched = 1; t.srv_queue = 2; t.be_queue = 3;
	fe.options |= PR_O_LOGASAP;
	EXPECT("httplog logasap + redispatch", fmt(&fe, &t),
	       "10.0.1.2:33317 [21/Nov/2026:01:02:03.456] http-in static/srv1 10/0/30/69/+109 200 +2750 - - ---- "
	       "1/1/1/1/+1 2/3 \"GET /index.html HTTP/1.1\"");

	base_fe(&fe, PR_O_HTTPLOG);
	base_txn(&t);
	t.req_line = NULL; t.srv = NULL; t.status = 400; t.TR = -1; t.Tw = t.Tc = t.Tr = -1; t.Ta = 3;
	memcpy(t.term, "PR--", 4);
	t.bytes_out = 187;
	EXPECT("httplog bad request", fmt(&fe, &t),
	       "10.0.1.2:33317 [21/Nov/2026:01:02:03.456] http-in static/<NOSRV> -1/-1/-1/-1/3 400 187 - - PR-- "
	       "1/1/1/1/0 0/0 \"<BADREQ>\"");

	static const char ugly[] = "GET /a\"b#c\x01\xff HTTP/1.1";
	base_txn(&t);
	t.req_line = ugly; t.req_line_len = sizeof(ugly) - 1;
	fmt(&fe, &t);
	CHECK("request line encoded", strstr(buf, "\"GET /a#22b#23c#01#FF HTTP/1.1\"") != NULL);

	base_txn(&t);
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&t.cli;
	memset(&t.cli, 0, sizeof(t.cli));
	a6->sin6_family = AF_INET6; a6->sin6_port = htons(5000); a6->sin6_addr = in6addr_loopback;
	fmt(&fe, &t);
	CHECK("ipv6 client without brackets", strncmp(buf, "::1:5000 [", 10) == 0);
	t.cli.ss_family = AF_UNSPEC;
	fmt(&fe, &t);
	CHECK("unknown family prints -:-", strncmp(buf, "-:- [", 5) == 0);

	base_fe(&fe, PR_O_HTTPLOG | PR_O_HTTPLOG_CLF);
	base_txn(&t);
	EXPECT("httplog clf", fmt(&fe, &t),
	       "10.0.1.2 - - [21/Nov/2026:01:02:03 +0000] \"GET /index.html HTTP/1.1\" 200 2750 \"\" \"\" 33317 456 "
	       "\"http-in\" \"static\" \"srv1\" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 \"\" \"\" ");

	base_fe(&fe, PR_O_TCPLOG);
	fe.mode = PR_MODE_TCP;
	base_txn(&t);
	t.http = 0; t.bytes_out = 212; t.retries = 3; t.actconn = t.feconn = t.beconn = t.srvconn = 0;
	memcpy(t.term, "--\0\0", 4);
	EXPECT("tcplog", fmt(&fe, &t),
	       "10.0.1.2:33317 [21/Nov/2026:01:02:03.456] http-in static/srv1 0/30/5007 212 -- 0/0/0/0/3 0/0");

	base_fe(&fe, PR_O_HTTPLOG);
	fmt(&fe, &t);   /* httplog on a TCP stream: HAProxy falls back to tcplog */
	CHECK("httplog on tcp stream gives tcplog", strstr(buf, " 0/30/5007 212 -- ") != NULL);

	base_fe(&fe, 0);
	fe.id = "www";
	base_txn(&t);
	t.fe = NULL;
	EXPECT("connect line (no log option)", fmt(&fe, &t),
	       "Connect from 10.0.1.2:33317 to 10.0.3.31:8012 (www/HTTP)");
	fe.mode = PR_MODE_TCP;
	CHECK("connect line tcp", strstr(fmt(&fe, &t), "(www/TCP)") != NULL);

	/* truncation keeps a NUL and reports the stored length */
	base_fe(&fe, PR_O_HTTPLOG);
	base_txn(&t);
	char small[16];
	size_t n = httplog_format(&fe, &t, small, sizeof(small));
	CHECK("truncated to outlen-1", n == 15 && strlen(small) == 15 && strncmp(small, "10.0.1.2:33317 ", 15) == 0);
	CHECK("outlen 0 is safe", httplog_format(&fe, &t, small, 0) == 0);
}

static void test_json(void)
{
	struct proxy fe;
	struct txn_log t;

	base_fe(&fe, PR_O_HTTPLOG | PR_O_HTTPLOG_JSON);
	base_txn(&t);
	fmt(&fe, &t);
	CHECK("json valid", json_valid(buf));
	if (!json_valid(buf))
		printf("  json: %s\n", buf);
	CHECK("json starts with client_ip", strncmp(buf, "{\"client_ip\":\"10.0.1.2\",\"client_port\":33317,", 44) == 0);
	CHECK("json accept_date ISO", strstr(buf, "\"accept_date\":\"2026-11-21T01:02:03.456+00:00\"") != NULL);
	CHECK("json names", strstr(buf, "\"frontend\":\"http-in\",\"backend\":\"static\",\"server\":\"srv1\"") != NULL);
	CHECK("json timers", strstr(buf, "\"TR\":10,\"Tw\":0,\"Tc\":30,\"Tr\":69,\"Ta\":109,\"status\":200") != NULL);
	CHECK("json bytes", strstr(buf, "\"bytes_read\":2750,\"bytes_uploaded\":120") != NULL);
	CHECK("json term", strstr(buf, "\"termination_state\":\"----\"") != NULL);
	CHECK("json conns", strstr(buf, "\"actconn\":1,\"feconn\":1,\"beconn\":1,\"srv_conn\":1,\"retries\":0,"
				   "\"redispatched\":false,\"srv_queue\":0,\"backend_queue\":0") != NULL);
	CHECK("json request split", strstr(buf, "\"method\":\"GET\",\"uri\":\"/index.html\",\"version\":\"HTTP/1.1\"}") != NULL);

	static const char ugly[] = "POST /p?q=\"x\"\\y\n\x01\xc3\xa9 HTTP/1.1";
	t.req_line = ugly; t.req_line_len = sizeof(ugly) - 1;
	t.srv = "we\"ird\\name";
	fmt(&fe, &t);
	CHECK("json valid with hostile bytes", json_valid(buf));
	CHECK("json escapes", strstr(buf, "\"uri\":\"/p?q=\\\"x\\\"\\\\y\\n\\u0001\\u00c3\\u00a9\"") != NULL);
	CHECK("json escapes names", strstr(buf, "\"server\":\"we\\\"ird\\\\name\"") != NULL);

	t.req_line = NULL;
	t.cli.ss_family = AF_UNSPEC;
	fmt(&fe, &t);
	CHECK("json without request/address valid", json_valid(buf));
	CHECK("json nulls", strstr(buf, "\"client_ip\":null,\"client_port\":null") &&
	      strstr(buf, "\"method\":null,\"uri\":null,\"version\":null}"));

	static const char v09[] = "GET /old";
	t.req_line = v09; t.req_line_len = sizeof(v09) - 1;
	fmt(&fe, &t);
	CHECK("json 0.9 line", strstr(buf, "\"method\":\"GET\",\"uri\":\"/old\",\"version\":null}") != NULL);

	base_txn(&t);
	t.http = 0;
	fmt(&fe, &t);
	CHECK("json tcp valid", json_valid(buf));
	CHECK("json tcp fields", strstr(buf, "\"Tw\":0,\"Tc\":30,\"Tt\":5007,") && !strstr(buf, "\"method\"") &&
	      strstr(buf, "\"termination_state\":\"--\""));

	/* what a TCP frontend with `option httplog json` gets after cfg_check */
	base_fe(&fe, PR_O_TCPLOG | PR_O_HTTPLOG_JSON);
	fe.mode = PR_MODE_TCP;
	fmt(&fe, &t);
	CHECK("tcp frontend json stays json", json_valid(buf) && strstr(buf, "\"Tt\":5007,") && !strstr(buf, "\"method\""));

	CHECK("validator rejects junk", !json_valid("{\"a\":}") && !json_valid("{\"a\":1,}") && !json_valid("{\"a\":\"\x01\"}"));
}

/* ---- emit, through pipes and a UDP socket ---- */
static int pfd[2];

static int drain(char *out, size_t len)
{
	ssize_t n = read(pfd[0], out, len - 1);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	return (int)n;
}

static void target_init(struct log_target *lt, int fd, int format)
{
	memset(lt, 0, sizeof(*lt));
	lt->fd = fd;
	lt->format = format;
	lt->facility = 16;   /* local0 */
	lt->level = LL_DEBUG;
	lt->minlevel = LL_EMERG;
	list_init(&lt->link);
}

/* "<134>Nov 21 01:02:03 tandem[123]: " */
static int rfc3164_shape(const char *s)
{
	static const char *mon = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p;
	char m[4] = { 0 };
	if (strncmp(s, "<134>", 5))
		return 0;
	memcpy(m, s + 5, 3);
	if (!strstr(mon, m) || s[8] != ' ')
		return 0;
	if (!(s[9] == ' ' || isdigit((unsigned char)s[9])) || !isdigit((unsigned char)s[10]) || s[11] != ' ')
		return 0;
	for (int i = 12; i < 20; i++)
		if ((i == 14 || i == 17) ? s[i] != ':' : !isdigit((unsigned char)s[i]))
			return 0;
	if (strncmp(s + 20, " tandem[", 8))
		return 0;
	p = s + 28;
	while (isdigit((unsigned char)*p))
		p++;
	return p > s + 28 && !strncmp(p, "]: ", 3);
}

/* "2026-11-21T01:02:03.456789+00:00" at <s>; returns its length or 0. */
static int iso_shape(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddddd+dd:dd";
	for (int i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    pat[i] == '+' ? (s[i] != '+' && s[i] != '-') : s[i] != pat[i])
			return 0;
	}
	return (int)sizeof(pat) - 1;
}

static void test_emit(void)
{
	struct proxy fe;
	struct txn_log t;
	struct global g;
	struct log_target lt, glt;
	char got[9000], line[8192], want[9000];
	int n;

	if (pipe2(pfd, O_NONBLOCK) < 0) {
		CHECK("pipe", 0);
		return;
	}
	memset(&g, 0, sizeof(g));
	list_init(&g.logs);
	base_fe(&fe, PR_O_HTTPLOG);
	base_txn(&t);
	httplog_format(&fe, &t, line, sizeof(line));

	target_init(&lt, pfd[1], LOGF_RAW);
	list_add_tail(&fe.logs, &lt.link);
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "%s\n", line);
	EXPECT("raw target: line + newline", got, want);

	lt.format = LOGF_RFC3164;
	httplog_emit(&g, &fe, &t);
	n = drain(got, sizeof(got));
	CHECK("rfc3164 header shape", rfc3164_shape(got));
	CHECK("rfc3164 body", n > 0 && strstr(got, "]: 10.0.1.2:33317 [") && got[n - 1] == '\n');
	g.log_hdr_pid = 4242;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("rfc3164 uses log_hdr_pid", strstr(got, " tandem[4242]: 10.0.1.2") != NULL);
	g.log_hdr_pid = 0;

	lt.format = LOGF_LOCAL;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("local header shape", rfc3164_shape(got));

	lt.format = LOGF_SHORT;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "<6>%s\n", line);
	EXPECT("short: <level>", got, want);

	lt.format = LOGF_PRIORITY;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "<134>%s\n", line);
	EXPECT("priority: <facility*8+level>", got, want);

	lt.format = LOGF_ISO;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	n = iso_shape(got);
	CHECK("iso header", n && got[n] == ' ' && !strncmp(got + n + 1, line, strlen(line)));

	lt.format = LOGF_TIMED;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	n = iso_shape(got + 3);
	CHECK("timed header", !strncmp(got, "<6>", 3) && n && !strncmp(got + 3 + n, " 10.0.1.2", 9));

	lt.format = LOGF_RFC5424;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	n = iso_shape(got + 7);
	snprintf(want, sizeof(want), " - tandem %d - - %s\n", (int)getpid(), line);
	CHECK("rfc5424 header", !strncmp(got, "<134>1 ", 7) && n && !strcmp(got + 7 + n, want));

	/* filters */
	lt.format = LOGF_SHORT;
	t.bytes_in = 0;
	fe.options |= PR_O_DONTLOGNULL;
	httplog_emit(&g, &fe, &t);
	CHECK("dontlognull drops empty connection", drain(got, sizeof(got)) == 0);
	t.bytes_in = 1;
	httplog_emit(&g, &fe, &t);
	CHECK("dontlognull keeps a connection that sent data", drain(got, sizeof(got)) > 0);
	fe.options &= ~PR_O_DONTLOGNULL;

	fe.options |= PR_O_DONTLOG_NORMAL;
	httplog_emit(&g, &fe, &t);
	CHECK("dontlog-normal drops a 200", drain(got, sizeof(got)) == 0);
	t.status = 503;
	httplog_emit(&g, &fe, &t);
	CHECK("dontlog-normal keeps a 503", drain(got, sizeof(got)) > 0 && !strncmp(got, "<6>", 3));
	t.status = 404;
	httplog_emit(&g, &fe, &t);
	CHECK("dontlog-normal drops a 404 (not an error for HAProxy)", drain(got, sizeof(got)) == 0);
	memcpy(t.term, "CD--", 4);
	httplog_emit(&g, &fe, &t);
	CHECK("dontlog-normal keeps a client abort", drain(got, sizeof(got)) > 0);
	memcpy(t.term, "LR--", 4);
	httplog_emit(&g, &fe, &t);
	CHECK("dontlog-normal drops a local ('L') end", drain(got, sizeof(got)) == 0);
	memcpy(t.term, "----", 4);
	t.retries = 1;
	httplog_emit(&g, &fe, &t);
	CHECK("dontlog-normal keeps a retried request", drain(got, sizeof(got)) > 0);
	t.retries = 0; t.status = 200;
	fe.options &= ~PR_O_DONTLOG_NORMAL;

	fe.options |= PR_O_LOG_SEPARATE_ERRORS;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("separate-errors: normal at info", !strncmp(got, "<6>", 3));
	t.status = 502;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("separate-errors: error at err", !strncmp(got, "<3>", 3));
	lt.minlevel = LL_WARNING;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("minlevel caps severity", !strncmp(got, "<4>", 3));
	lt.minlevel = LL_EMERG;
	t.status = 200;
	fe.options &= ~PR_O_LOG_SEPARATE_ERRORS;

	lt.level = LL_NOTICE;
	httplog_emit(&g, &fe, &t);
	CHECK("target max level drops info", drain(got, sizeof(got)) == 0);
	lt.level = LL_DEBUG;

	fe.options |= PR_O_NOLOG;
	httplog_emit(&g, &fe, &t);
	CHECK("no log", drain(got, sizeof(got)) == 0);
	fe.options &= ~PR_O_NOLOG;

	/* log global: both the proxy's and the global targets receive it */
	target_init(&glt, pfd[1], LOGF_PRIORITY);
	list_add_tail(&g.logs, &glt.link);
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("without log global only proxy target", !strncmp(got, "<6>", 3) && !strstr(got, "<134>"));
	fe.options |= PR_O_LOG_GLOBAL;
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("log global adds global targets", !strncmp(got, "<6>", 3) && strstr(got, "\n<134>10.0.1.2"));
	list_del(&lt.link);
	httplog_emit(&g, &fe, &t);
	drain(got, sizeof(got));
	CHECK("log global alone", !strncmp(got, "<134>", 5));
	list_del(&glt.link);

	/* a zeroed (never initialised) list is treated as empty */
	struct proxy z;
	memset(&z, 0, sizeof(z));
	z.options = PR_O_HTTPLOG;
	httplog_emit(NULL, &z, &t);
	CHECK("zeroed proxy logs list is safe", drain(got, sizeof(got)) == 0);

	/* UDP syslog target: one datagram, no trailing newline */
	int us = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (us < 0 || bind(us, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(us, (struct sockaddr *)&sa, &sl) < 0) {
		CHECK("udp socket", 0);
		return;
	}
	target_init(&lt, -1, LOGF_RFC3164);
	memcpy(&lt.addr, &sa, sizeof(sa));
	lt.addrlen = sizeof(sa);
	fe.options &= ~PR_O_LOG_GLOBAL;
	list_add_tail(&fe.logs, &lt.link);
	httplog_emit(&g, &fe, &t);
	struct pollfd p = { .fd = us, .events = POLLIN };
	n = poll(&p, 1, 2000) == 1 ? (int)recv(us, got, sizeof(got) - 1, 0) : -1;
	if (n < 0) n = 0;
	got[n] = '\0';
	CHECK("udp datagram received", n > 0);
	CHECK("udp rfc3164 shape", rfc3164_shape(got));
	CHECK("udp no trailing newline", n > 0 && got[n - 1] != '\n' && !strcmp(strstr(got, "]: ") + 3, line));
	close(us);
	list_del(&lt.link);
}

/* `log ... len N`: header + text + newline never exceed N bytes; the text
 * is cut, the header kept; 0 (a zeroed target) means HAProxy's 1024. */
static void test_maxlen(void)
{
	static char got[70000], line[70000], rl[30000];
	struct proxy fe;
	struct txn_log t;
	struct global g;
	struct log_target lt;
	int n, full;

	memset(&g, 0, sizeof(g));
	list_init(&g.logs);
	base_fe(&fe, PR_O_HTTPLOG);
	base_txn(&t);
	full = (int)httplog_format(&fe, &t, line, sizeof(line));
	target_init(&lt, pfd[1], LOGF_RAW);
	list_add_tail(&fe.logs, &lt.link);

	lt.maxlen = 100;
	httplog_emit(&g, &fe, &t);
	n = drain(got, sizeof(got));
	CHECK("len 100: 100 bytes with the newline", full > 100 && n == 100 && got[99] == '\n' &&
	      !memchr(got, '\n', 99) && !strncmp(got, line, 99));

	lt.format = LOGF_RFC3164;
	httplog_emit(&g, &fe, &t);
	n = drain(got, sizeof(got));
	CHECK("len 100 counts the syslog header", n == 100 && rfc3164_shape(got) && got[99] == '\n' &&
	      !strncmp(strstr(got, "]: ") + 3, line, (size_t)(99 - (strstr(got, "]: ") + 3 - got))));

	lt.maxlen = full + 1;   /* exactly enough for a raw line */
	lt.format = LOGF_RAW;
	httplog_emit(&g, &fe, &t);
	n = drain(got, sizeof(got));
	CHECK("line that fits is untouched", n == full + 1 && !strncmp(got, line, (size_t)full));

	/* a long request line: cut at the default 1024, whole with len 65535 */
	memset(rl, 'a', sizeof(rl));
	memcpy(rl, "GET /", 5);
	memcpy(rl + sizeof(rl) - 9, " HTTP/1.1", 9);
	t.req_line = rl; t.req_line_len = sizeof(rl);
	lt.maxlen = 0;
	httplog_emit(&g, &fe, &t);
	n = drain(got, sizeof(got));
	CHECK("default len is 1024", n == 1024 && got[1023] == '\n');
	lt.maxlen = 65535;
	httplog_emit(&g, &fe, &t);
	n = drain(got, sizeof(got));
	CHECK("len 65535 keeps a 30000-byte request line", n > 30000 && got[n - 1] == '\n' &&
	      strstr(got, "a HTTP/1.1\"\n") != NULL);
	list_del(&lt.link);

	/* UDP: no newline is sent, so the datagram is at most N - 1 bytes */
	int us = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (us < 0 || bind(us, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(us, (struct sockaddr *)&sa, &sl) < 0) {
		CHECK("udp socket", 0);
		return;
	}
	target_init(&lt, -1, LOGF_RFC3164);
	memcpy(&lt.addr, &sa, sizeof(sa));
	lt.addrlen = sizeof(sa);
	lt.maxlen = 200;
	list_add_tail(&fe.logs, &lt.link);
	httplog_emit(&g, &fe, &t);
	struct pollfd p = { .fd = us, .events = POLLIN };
	n = poll(&p, 1, 2000) == 1 ? (int)recv(us, got, sizeof(got) - 1, 0) : -1;
	CHECK("udp datagram cut to len - 1", n == 199 && rfc3164_shape(got));
	close(us);
	list_del(&lt.link);
}

static void test_event_log(void)
{
	char got[4096], want[256];

	CHECK("level parse", log_level_parse("emerg") == LL_EMERG && log_level_parse("warning") == LL_WARNING &&
	      log_level_parse("info") == LL_INFO && log_level_parse("debug") == LL_DEBUG &&
	      log_level_parse("err") == LL_ERR && log_level_parse("bogus") == -1 && log_level_parse(NULL) == -1);

	log_setup(pfd[1], LL_NOTICE, "tandem");
	log_event(LL_WARNING, "config : parsing [%s:%d] : oops", "a.cfg", 3);
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "[WARNING]  (%d) : config : parsing [a.cfg:3] : oops\n", (int)getpid());
	EXPECT("warning line", got, want);

	log_event(LL_NOTICE, "New worker (%d) forked\n", 12);
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "[NOTICE]   (%d) : New worker (12) forked\n", (int)getpid());
	EXPECT("notice line, caller newline not doubled", got, want);

	log_event(LL_ERR, "backend 'b' has no server available!");
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "[ALERT]    (%d) : backend 'b' has no server available!\n", (int)getpid());
	EXPECT("err shows as ALERT", got, want);

	log_event(LL_INFO, "hidden");
	CHECK("above max level dropped", drain(got, sizeof(got)) == 0);

	log_setup(pfd[1], LL_DEBUG, NULL);
	log_event(LL_INFO, "i");
	log_event(LL_DEBUG, "d");
	drain(got, sizeof(got));
	snprintf(want, sizeof(want), "[INFO]     (%d) : i\n[DEBUG]    (%d) : d\n", (int)getpid(), (int)getpid());
	EXPECT("info/debug labels", got, want);

	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_event(LL_NOTICE, "%s", big);
	int n = drain(got, sizeof(got));
	CHECK("long event truncated, still one line", n > 1000 && got[n - 1] == '\n' && !memchr(got, '\n', n - 1));

	log_raw("abc", 3);
	log_raw("def\n", 4);
	drain(got, sizeof(got));
	EXPECT("log_raw adds newline only when missing", got, "abc\ndef\n");
	CHECK("tag", strcmp(log_get_tag(), "tandem") == 0);
	log_setup(2, LL_INFO, "tandem");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_formats();
	test_json();
	test_emit();
	test_maxlen();
	test_event_log();
	UNIT_END();
}
