/* The rules language through the configuration parser (src/cfg/kw_rules.c,
 * src/rules/rules.c): keywords and sections, errors naming file:line and
 * the word, inheritance from defaults, name resolution after parsing,
 * and the stream-facing entry points on a loaded configuration
 * (use_backend, use-server with force-persist, monitor-uri, error pages,
 * userlists, unique ids, captures, log formats, inspect delays). */
#include <tandem/buf.h>
#include <tandem/log.h>
#include <tandem/stats_svc.h>
#include "rules_test.h"

static char err[2048];
static char cfgpath[64];
static struct rule_result R_dummy;

static void B_render(const struct http_reply *r, int status, struct buf *b)
{
	b->data = b->head = 0;
	if (http_reply_render(r, status, &C, 1, 0, b) < 0)
		b->data = 0;
	buf_append(b, "", 1);
}

static struct cfg *load(const char *text)
{
	int fd;

	snprintf(cfgpath, sizeof(cfgpath), "/tmp/tandem-rules-cfg-XXXXXX");
	if ((fd = mkstemp(cfgpath)) < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return NULL;
	}
	close(fd);
	{
		struct cfg *c = cfg_load(cfgpath, err, sizeof(err));

		unlink(cfgpath);
		return c;
	}
}

/* The configuration must be refused with "<file>:<line>: <msg...>". */
static void refused(const char *name, const char *text, int line, const char *msg)
{
	struct cfg *c = load(text);
	char want[1024];

	snprintf(want, sizeof(want), "%s:%d: %s", cfgpath, line, msg);
	CHECKF(!c && !strncmp(err, want, strlen(want)), "refused: %s", name);
	if (c || strncmp(err, want, strlen(want)))
		printf("  got:  %s\n  want: %s\n", c ? "(loaded)" : err, want);
	cfg_free(c);
}

/* The configuration loads, and its warnings contain each of <want>
 * (NULL-terminated), in that order. */
static void warns(const char *name, const char *text, const char *const *want)
{
	char path[] = "/tmp/tandem-rules-log-XXXXXX", logbuf[8192];
	int fd = mkstemp(path);
	const char *at = logbuf;
	struct cfg *c;
	ssize_t n;

	if (fd < 0) {
		CHECKF(0, "warns: %s: temporary log file", name);
		return;
	}
	unlink(path);
	log_setup(fd, LL_DEBUG, "test");
	c = load(text);
	log_setup(2, LL_INFO, "tandem");
	n = pread(fd, logbuf, sizeof(logbuf) - 1, 0);
	close(fd);
	logbuf[n > 0 ? n : 0] = 0;
	CHECKF(c != NULL, "warns: %s: loads", name);
	for (; *want; want++) {
		const char *hit = strstr(at, *want);

		CHECKF(hit != NULL, "warns: %s: '%s'", name, *want);
		if (!hit) {
			printf("  log:  %s\n", logbuf);
			break;
		}
		at = hit + strlen(*want);
	}
	cfg_free(c);
}

#define HEAD "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n"

static struct proxy *px(struct cfg *c, const char *name)
{
	return cfg_find_proxy(c, name, PR_CAP_FE | PR_CAP_BE);
}

static void test_errors(void)
{
	refused("unknown fetch in an acl", HEAD "frontend f\n bind 127.0.0.1:18500\n acl a pth /x\n", 8,
		"error detected while parsing ACL 'a' : ACL keyword 'pth' : unknown fetch method 'pth'.");
	refused("unknown acl", HEAD "frontend f\n bind 127.0.0.1:18500\n http-request deny if nope\n", 8,
		"error detected while parsing an 'http-request deny' condition : no such ACL : 'nope'.");
	refused("unknown action", HEAD "frontend f\n bind 127.0.0.1:18500\n http-response dney\n", 8,
		"'http-response' : unknown action 'dney' (expects ");
	refused("unknown converter", HEAD "frontend f\n bind 127.0.0.1:18500\n http-request set-header X %[path,lowr]\n", 8,
		"error detected in frontend 'f' while parsing 'http-request set-header' rule : failed to parse sample "
		"expression <path,lowr]> : unknown converter 'lowr'.");
	refused("unknown match", HEAD "frontend f\n bind 127.0.0.1:18500\n acl a path -m strr /x\n", 8,
		"error detected while parsing ACL 'a' : unknown matching method 'strr' when parsing ACL expression.");
	refused("bad regex", HEAD "frontend f\n bind 127.0.0.1:18500\n acl a path_reg [a-\n", 8,
		"error detected while parsing ACL 'a' : regex '[a-' is invalid (error=missing terminating ] for character class");
	refused("pattern file", HEAD "frontend f\n bind 127.0.0.1:18500\n acl a src -f /nonexistent/ips\n", 8,
		"error detected while parsing ACL 'a' : failed to open pattern file </nonexistent/ips>");
	refused("map file", HEAD "frontend f\n bind 127.0.0.1:18500\n use_backend %[path,map(/nonexistent/m)]\n", 8,
		"use_backend: failed to parse log-format '%[path,map(/nonexistent/m)]' : failed to parse sample expression");
	refused("response fetch in a request rule", HEAD "frontend f\n bind 127.0.0.1:18500\n http-request set-var(txn.s) status\n", 8,
		"fetch method 'set-var(txn.s)' extracts information from 'HTTP response', none of which is available here.");
	refused("request fetch in a response rule", HEAD "frontend f\n bind 127.0.0.1:18500\n http-response deny if { path /x }\n", 8,
		"anonymous acl will never match in 'http-response deny' of frontend 'f' because it uses keyword 'path'");
	refused("request header at log time", HEAD "frontend f\n bind 127.0.0.1:18500\n log-format %[req.hdr(host)]\n", 8,
		"failed to parse log-format : sample fetch <req.hdr(host)> may not be reliably used here because it needs "
		"'HTTP request headers' which is not available here.");
	refused("use_backend to nothing", HEAD "frontend f\n bind 127.0.0.1:18500\n use_backend nob if { path /x }\n", 8,
		"Proxy 'f': unable to find required use_backend: 'nob'.");
	refused("use_backend to a tcp backend", HEAD "frontend f\n bind 127.0.0.1:18500\n use_backend t\nbackend t\n mode tcp\n", 8,
		"Proxy 'f': unable to use backend 't' with wrong mode, required: http, has: tcp.");
	refused("use-server to nothing", HEAD "backend b\n server s1 127.0.0.1:18501\n use-server s9 if TRUE\n", 8,
		"use-server rule refers to unknown server 's9' in backend 'b'.");
	refused("use-server without condition", HEAD "backend b\n server s1 127.0.0.1:18501\n use-server s1\n", 8,
		"'use-server' requires either 'if' or 'unless' followed by a condition.");
	refused("force-persist without condition", HEAD "backend b\n force-persist\n", 7,
		"'force-persist' requires either 'if' or 'unless' followed by a condition.");
	refused("nbsrv of nothing", HEAD "frontend f\n bind 127.0.0.1:18500\n acl dead nbsrv(nob) lt 1\n", 8,
		"unable to find backend 'nob' referenced in arg 1 of 'nbsrv'.");
	refused("srv_is_up of nothing", HEAD "backend b\n server s1 127.0.0.1:18501\n acl up srv_is_up(b/s2)\n", 8,
		"unable to find server 'b/s2' referenced in arg 1 of 'srv_is_up'.");
	refused("http_auth of nothing", HEAD "frontend f\n bind 127.0.0.1:18500\n http-request auth unless { http_auth(u) }\n", 8,
		"unable to find userlist 'u' referenced in arg 1 of 'http_auth'.");
	refused("errorfile code", HEAD "frontend f\n bind 127.0.0.1:18500\n errorfile 418 /etc/hostname\n", 8,
		"errorfile : status code '418' not handled.");
	refused("errorfiles section", HEAD "frontend f\n bind 127.0.0.1:18500\n errorfiles nosuch\n", 8,
		"errorfiles : unknown http-errors section 'nosuch'.");
	refused("http-error code", HEAD "frontend f\n bind 127.0.0.1:18500\n http-error status 418 content-type text/plain string x\n", 8,
		"http-error: status code '418' not handled.");
	refused("tcp-request connection in a backend", HEAD "backend b\n tcp-request connection reject\n", 7,
		"'tcp-request connection' is not allowed in backend sections.");
	refused("tcp-request what", HEAD "frontend f\n bind 127.0.0.1:18500\n tcp-request later accept\n", 8,
		"'tcp-request' expects 'connection', 'session', 'content' or 'inspect-delay', got 'later'.");
	refused("inspect-delay", HEAD "frontend f\n bind 127.0.0.1:18500\n tcp-request inspect-delay soon\n", 8,
		"invalid time value 'soon' for 'tcp-request inspect-delay'");
	refused("L6 fetch in an HTTP proxy", HEAD "frontend f\n bind 127.0.0.1:18500\n tcp-request content reject if { req.len gt 10 }\n", 6,
		"proxy 'f': L6 sample fetches (req.len, req.payload, req.ssl_*...) cannot be used");
	refused("userlist user without password", "userlist u\n user bob\n", 2,
		"user 'bob' has no password ('password' or 'insecure-password').");
	refused("userlist unknown group", "userlist u\n user bob insecure-password x groups g\n", 2,
		"user 'bob': no such group 'g' in userlist 'u'.");
	refused("userlist twice", "userlist u\nuserlist u\n", 2, "userlist 'u' is already defined.");
	refused("unknown service", HEAD "frontend f\n bind 127.0.0.1:18500\n http-request use-service nosuch\n", 8,
		"error detected in frontend 'f' while parsing 'http-request use-service' rule : 'nosuch' unknown service name.");
	refused("HTTP service in tcp-request content", HEAD "frontend f\n bind 127.0.0.1:18500\n"
		" tcp-request content use-service prometheus-exporter\n", 8,
		"'prometheus-exporter' service only available on 'http-request' rulesets.");
	{
		struct cfg *c = load(HEAD "frontend f\n bind 127.0.0.1:18500\n http-request use-service prometheus-exporter\n");

		CHECK("use-service of a registered service loads", c != NULL);
		cfg_free(c);
	}
	refused("capture cookie", HEAD "frontend f\n bind 127.0.0.1:18500\n capture cookie SID len 10\n", 8,
		"'capture cookie' is not supported by tandem");
	refused("capture id not declared", HEAD "frontend f\n bind 127.0.0.1:18500\n http-request capture path id 0\n", 8,
		"'http-request capture' : capture id 0 is not declared");
	refused("monitor", HEAD "frontend f\n bind 127.0.0.1:18500\n monitor ok if TRUE\n", 8, "'monitor' expects 'fail'.");
	refused("acl in defaults", HEAD " acl a path /x\n", 6, "'acl' not allowed in 'defaults' section.");
	{
		/* HAProxy's words when a keyword lacks the proxy side it acts on:
		 * warned and ignored */
		static const char *const w[] = {
			":7] : 'use_backend' ignored because backend 'b' has no frontend capability.",
			":8] : 'monitor' ignored because backend 'b' has no frontend capability.",
			":9] : 'monitor-uri' ignored because backend 'b' has no frontend capability.",
			":10] : 'capture' ignored because backend 'b' has no frontend capability.",
			":11] : 'declare' ignored because backend 'b' has no frontend capability.",
			":12] : 'unique-id-header' ignored because backend 'b' has no frontend capability.",
			":14] : 'use-server' ignored because frontend 'f' has no backend capability.",
			":15] : 'force-persist' ignored because frontend 'f' has no backend capability.",
			":16] : 'ignore-persist' ignored because frontend 'f' has no backend capability.",
			NULL
		};

		warns("keywords without their side", HEAD "backend b\n use_backend c\n monitor fail if TRUE\n monitor-uri /m\n"
		      " capture request header Host len 8\n declare capture request len 8\n unique-id-header X-Id\n"
		      "frontend f\n use-server s if TRUE\n force-persist if TRUE\n ignore-persist if TRUE\n", w);
	}
	{
		static const char *const w[] = { "config : log format ignored for frontend 'f' since it has no log address.", NULL };

		warns("log-format without a log target", HEAD "frontend f\n bind 127.0.0.1:18500\n log-format %ci\n", w);
	}
	{
		/* HAProxy runs these kinds in a fixed order and says so */
		static const char *const w[] = {
			":9] : a 'redirect' rule placed after a 'use_backend' rule will still be processed before.",
			":10] : a 'http-request' rule placed after a 'redirect' rule will still be processed before.",
			":11] : a 'monitor fail' rule placed after an 'http-request' rule will still be processed before.",
			":12] : a 'tcp-request' rule placed after a 'monitor fail' rule will still be processed before.",
			":13] : a 'tcp-request' rule placed after a 'tcp-request content' rule will still be processed before.",
			":14] : a 'tcp-request' rule placed after a 'tcp-request session' rule will still be processed before.",
			":18] : a 'http-request' rule placed after a 'use_backend' rule will still be processed before.",
			NULL
		};

		warns("rules out of their order", HEAD "frontend f\n bind 127.0.0.1:18500\n use_backend b if TRUE\n"
		      " redirect location /x if FALSE\n http-request deny if FALSE\n monitor fail if FALSE\n"
		      " tcp-request content accept\n tcp-request session accept\n tcp-request connection accept\n"
		      "backend b\n use-server s if TRUE\n use_backend c if TRUE\n http-request deny if FALSE\n"
		      " server s 127.0.0.1:18501\n", w);
	}
	refused("log-format alias", HEAD "frontend f\n bind 127.0.0.1:18500\n log-format %ci:%cq\n", 8,
		"'log-format' : no such format alias 'cq'.");
}

static const char CFG[] =
	"global\n"
	"defaults\n"
	" mode http\n"
	" timeout connect 1s\n timeout client 1s\n timeout server 1s\n"
	" log-format \"%ci %b %[var(txn.tag)] %hr\"\n"
	" unique-id-format %{+X}o\\ %ci:%cp_%Ts_%rt\n"
	" errorfile 503 @ERR503@\n"
	" monitor-uri /health\n"
	"userlist admins\n"
	" group ops\n"
	" group dev users carol\n"
	" user alice insecure-password secret groups ops\n"
	" user bob password $5$salt$Gcm6FsVtF/Qa77ZKD.iwsJlCVPY0XSMgLJL0Hnww/c1\n"
	" user carol insecure-password c\n"
	"http-errors site\n"
	" errorfile 404 @ERR404@\n"
	"frontend fe\n"
	" bind 127.0.0.1:18510\n"
	" capture request header Host len 32\n"
	" capture response header Server len 8\n"
	" declare capture request len 4\n"
	" acl is_api path_beg /api\n"
	" acl is_static path_beg /static\n"
	" acl dead nbsrv(api) lt 1\n"
	" monitor fail if dead\n"
	" unique-id-header X-Req-Id\n"
	" http-request set-var(txn.tag) str(tagged)\n"
	" http-request capture req.hdr(x-t) id 1\n"
	" http-request set-header X-Old literal\n"
	" use_backend api if is_api\n"
	" use_backend %[req.hdr(x-pick)] if { req.hdr(x-pick) -m found }\n"
	" use_backend static if is_static\n"
	" default_backend api\n"
	" errorfiles site\n"
	" tcp-request inspect-delay 5s\n"
	"backend api\n"
	" server a1 127.0.0.1:18511\n"
	" server a2 127.0.0.1:18512\n"
	" force-persist if { req.hdr(x-admin) -m found }\n"
	" use-server a2 if { req.hdr(x-admin) a2 }\n"
	" use-server a1 if { req.hdr(x-want) a1 }\n"
	" http-error status 502 content-type text/plain lf-string \"bad gateway for %[path]\"\n"
	"backend static\n"
	" server s1 127.0.0.1:18513\n"
	" log-format %b\n"
	" redirect scheme https if { path /secure }\n"
	"listen stats\n"
	" bind 127.0.0.1:18514\n"
	" stats uri /s\n"
	" stats admin if { src 127.0.0.0/8 }\n"
	"frontend tcp_fe\n"
	" mode tcp\n"
	" bind 127.0.0.1:18515\n"
	" tcp-request inspect-delay 3s\n"
	" tcp-request content accept if { req.ssl_hello_type 1 }\n"
	" use_backend tls_a if { req.ssl_sni -i a.example }\n"
	" http-request deny\n"
	"backend tls_a\n"
	" mode tcp\n"
	" server t1 127.0.0.1:18516\n";

static char *subst(const char *tpl, const char *k1, const char *v1, const char *k2, const char *v2)
{
	size_t n = strlen(tpl) + strlen(v1) + strlen(v2) + 1;
	char *o = malloc(n), *w = o;

	for (const char *p = tpl; *p;) {
		if (!strncmp(p, k1, strlen(k1))) {
			w += sprintf(w, "%s", v1);
			p += strlen(k1);
		} else if (!strncmp(p, k2, strlen(k2))) {
			w += sprintf(w, "%s", v2);
			p += strlen(k2);
		} else {
			*w++ = *p++;
		}
	}
	*w = 0;
	return o;
}

static void test_loaded(void)
{
	const char *e503 = t_file(0, "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\ndown\n");
	const char *e404 = t_file(1, "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno such page\n");
	char *text = subst(CFG, "@ERR503@", e503, "@ERR404@", e404);
	struct cfg *c = load(text);
	struct proxy *fe, *api, *stat, *lst, *tfe;
	struct server *a1, *a2;
	struct buf b = { 0 };
	int force;

	free(text);
	CHECK("configuration loads", c != NULL);
	if (!c) {
		printf("  err: %s\n", err);
		return;
	}
	fe = px(c, "fe");
	api = px(c, "api");
	stat = px(c, "static");
	lst = px(c, "stats");
	tfe = px(c, "tcp_fe");
	a1 = proxy_find_server(api, "a1");
	a2 = proxy_find_server(api, "a2");
	buf_alloc(&b, 65536);
	CHECK("proxies", fe && api && stat && lst && tfe && a1 && a2);

	/* defaults passed on */
	CHECK("log-format inherited", fe->rules->log_format && api->rules && api->rules->log_format == NULL);
	CHECK("log-format in a backend is ignored (HAProxy warns)", stat->rules->log_format == NULL);
	CHECK("inspect delays", rules_inspect_delay(fe, 0) == 5000 && rules_inspect_delay(tfe, 0) == 3000);
	CHECK("http rules in a tcp frontend: ignored (HAProxy warns)", tfe->rules->http_rules_ignored &&
	      !rules_has(tfe, RSI_HTTP_REQ));
	CHECK("capture slots", fe->rules->n_cap_req == 2 && fe->rules->n_cap_rsp == 1 && T_rc.nvar == 0);

	/* a request on fe */
	t_ctx(fe);
	C.rcfg = c->rules;
	C.fe = C.be = fe;
	txn_store_free(T_ts);
	C.txn = T_ts = txn_store_new(fe);
	rules_txn_begin(&C);
	t_req("GET /api/users HTTP/1.1\r\nHost: www.example.com\r\nX-T: abcdef\r\n\r\n");
	rules_capture_req(fe, &C);
	CHECK("monitor-uri: not this request", rules_monitor(fe, &C) == 0);
	memset(&R_dummy, 0, sizeof(R_dummy));
	rules_run(fe, RSI_HTTP_REQ, &C, &R_dummy);
	CHECK("http-request rules ran", R_dummy.verdict == RV_CONTINUE);
	T_EQ("var(txn.tag)", "tagged");
	T_EQ("capture.req.hdr(0)", "www.example.com");
	T_EQ("capture.req.hdr(1)", "abcd");
	CHECK("use_backend static name", rules_use_backend(c, fe, &C) == api);
	t_req("GET /static/a.css HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK("use_backend second rule", rules_use_backend(c, fe, &C) == stat);
	t_req("GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK("no rule: default_backend (NULL)", rules_use_backend(c, fe, &C) == NULL);
	t_req("GET /static HTTP/1.1\r\nHost: x\r\nX-Pick: static\r\n\r\n");
	CHECK("dynamic use_backend", rules_use_backend(c, fe, &C) == stat);
	t_req("GET /static HTTP/1.1\r\nHost: x\r\nX-Pick: nosuch\r\n\r\n");
	CHECK("dynamic use_backend to nothing: default (as HAProxy)", rules_use_backend(c, fe, &C) == NULL);
	/* unique id and its header */
	{
		size_t len;
		const char *id = rules_unique_id(&C, &len);

		CHECK("unique-id-format", id && len > 10 && !strncmp(id, "C0A8010A:9C40_", 14));
		CHECK("unique-id-header", rules_unique_id_header(fe, &C) == 0);
		T_EQ("req.hdr(x-req-id)", id);
		T_EQ("unique-id", id);
	}
	/* monitor-uri: 200, then 503 when the api backend has no usable server */
	t_req("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
	__atomic_store_n(&a1->state, SRV_ST_RUNNING, __ATOMIC_RELAXED);
	__atomic_store_n(&a1->eweight, 1, __ATOMIC_RELAXED);
	smp_ctx_invalidate(&C);
	CHECK("monitor: 200", rules_monitor(fe, &C) == 200);
	__atomic_store_n(&a1->state, SRV_ST_STOPPED, __ATOMIC_RELAXED);
	__atomic_store_n(&a2->state, SRV_ST_STOPPED, __ATOMIC_RELAXED);
	smp_ctx_invalidate(&C);
	CHECK("monitor fail: 503", rules_monitor(fe, &C) == 503);
	/* the frontend's errorfile for 503 (from defaults) */
	{
		B_render(rules_errmsg(fe, 503), 503, &b);
		CHECK("errorfile 503 from defaults", strstr(b.area, "HTTP/1.1 503 Service Unavailable\r\n") &&
		      strstr(b.area, "\r\n\r\ndown\n"));
		B_render(NULL, 404, &b);
		CHECK("errorfiles section 404", strstr(b.area, "HTTP/1.1 404 Not Found\r\n") && strstr(b.area, "no such page"));
	}
	/* use-server: a DOWN server only with force-persist */
	C.be = api;
	t_req("GET / HTTP/1.1\r\nHost: x\r\nX-Want: a1\r\n\r\n");
	CHECK("use-server to a DOWN server: not used", rules_use_server(api, &C, &force) == NULL && force == 0);
	__atomic_store_n(&a1->state, SRV_ST_RUNNING, __ATOMIC_RELAXED);
	smp_ctx_invalidate(&C);
	CHECK("use-server to an UP server", rules_use_server(api, &C, &force) == a1);
	t_req("GET / HTTP/1.1\r\nHost: x\r\nX-Admin: a2\r\n\r\n");
	CHECK("force-persist + use-server: the DOWN server", rules_use_server(api, &C, &force) == a2 && force == 1);
	__atomic_store_n(&a2->admin, SRV_ADMF_MAINT, __ATOMIC_RELAXED);
	smp_ctx_invalidate(&C);
	CHECK("force-persist reaches a server in maintenance too", rules_use_server(api, &C, &force) == a2);
	/* the backend's http-error */
	t_req("GET /x/y HTTP/1.1\r\nHost: x\r\n\r\n");
	B_render(rules_errmsg(api, 502), 502, &b);
	CHECK("http-error lf-string", strstr(b.area, "HTTP/1.1 502 Bad Gateway\r\n") && strstr(b.area, "bad gateway for /x/y"));
	/* the redirect keyword of the static backend */
	C.be = stat;
	t_req("GET /secure HTTP/1.1\r\nHost: x\r\n\r\n");
	memset(&R_dummy, 0, sizeof(R_dummy));
	rules_run(stat, RSI_HTTP_REQ, &C, &R_dummy);
	CHECK("redirect keyword", R_dummy.verdict == RV_REPLY && R_dummy.status == 302);
	/* log line */
	{
		char line[512];
		struct lf_info li = { .status = 200 };

		C.be = api;
		rules_capture_rsp(fe, &C);
		C.req = NULL;
		size_t n = rules_log(fe, &C, &li, 0, line, sizeof(line));

		CHECKF(n > 0 && !strcmp(line, "192.168.1.10 api tagged {www.example.com|abcd}"), "rules_log: %.200s", line);
		CHECK("no custom format: 0", rules_log(stat, &C, &li, 0, line, sizeof(line)) == 0 &&
		      rules_log(api, &C, &li, 0, line, sizeof(line)) == 0);
	}
	/* userlist */
	{
		const struct userlist *u = userlist_find(c->rules, "admins");

		CHECK("userlist", u && u->nuser == 3 && u->ngroup == 2);
		CHECK("insecure-password", userlist_check(u, "alice", "secret") == 0 && userlist_check(u, "alice", "x") < 0);
		CHECK("crypt(3) password", userlist_check(u, "bob", "password") == 1 && userlist_check(u, "bob", "passwd") < 0);
		CHECK("group users", u->user[2].groups == 2 && u->user[0].groups == 1);
	}
	/* stats admin if COND */
	C.fe = C.be = lst;
	t_addr(&T_src, "127.0.0.1", 1);
	smp_ctx_invalidate(&C);
	CHECK("stats admin if src: local", rules_stats_admin(lst, &C) == 1);
	t_addr(&T_src, "8.8.8.8", 1);
	smp_ctx_invalidate(&C);
	CHECK("stats admin if src: remote", rules_stats_admin(lst, &C) == 0);
	/* TLS routing in the tcp frontend */
	{
		static const unsigned char hello[] = {
			0x16, 0x03, 0x01, 0x00, 0x35, 0x01, 0x00, 0x00, 0x31, 0x03, 0x03,
			0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
			0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
			0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
			0x00, 0x0e, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x00, 0x05, 'a', '.', 'e', 'x', 'a',
		};
		struct rule_result r = { 0 };

		C.fe = C.be = tfe;
		C.req = NULL;
		C.payload = (const char *)hello;
		C.payload_len = 3;
		C.payload_final = 0;
		smp_ctx_invalidate(&C);
		rules_run(tfe, RSI_TCP_CONT, &C, &r);
		CHECK("tcp-request content waits for the hello", r.verdict == RV_WAIT);
		C.payload_len = sizeof(hello);
		smp_ctx_invalidate(&C);
		rules_run(tfe, RSI_TCP_CONT, &C, &r);
		CHECK("then accepts", r.verdict == RV_ALLOW);
		CHECK("SNI routing: not a.example", rules_use_backend(c, tfe, &C) == NULL);
	}
	buf_free(&b);
	C.payload = NULL;
	t_ctx(NULL);
	cfg_free(c);
	unlink(e503);
	unlink(e404);
}

int main(void)
{
	t_init_px();
	stats_services_register(); /* as main() does before reading the configuration */
	test_errors();
	test_loaded();
	t_cleanup();
	UNIT_END();
}
