/* Unit tests of the configuration parser: lexer, value parsers, keyword
 * storage, defaults inheritance, checks, and the exact shape of error
 * messages. Configuration files are written to a private temp directory;
 * the event log is captured into a file to check [ALERT]/[WARNING] lines. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/cfg_lex.h>
#include <tandem/dns-t.h>
#include <tandem/log.h>
#include <tandem/rules.h>
#define CFG_TEST_STUB_GETADDRINFO   /* the seeds name hosts like "nginx1" */
#include "cfg_test.h"

/* Load <text>, expect failure with err containing <frag>. */
static void expect_err_has(const char *name, const char *text, const char *frag)
{
	struct cfg *c = load(text);

	CHECKF(!c && strstr(err, frag), "error %s", name);
	if (c || !strstr(err, frag))
		printf("  got:  %s\n  want: ...%s...\n", c ? "(loaded)" : err, frag);
	cfg_free(c);
}

/* ------------------------------------------------------------------ */

static int lex(const char *line, struct cfg_words *w, const char **e)
{
	return cfg_lex_line(line, strlen(line), w, e);
}

static void test_lexer(void)
{
	struct cfg_words w = { 0 };
	const char *e;

	CHECK("lex words", lex("  bind\t:80   name  x \n", &w, &e) == 0 && w.n == 4 &&
	      !strcmp(w.v[0], "bind") && !strcmp(w.v[1], ":80") && !strcmp(w.v[3], "x") && !w.v[4]);
	CHECK("lex comment", lex("server a 1.2.3.4:80 # check", &w, &e) == 0 && w.n == 3);
	CHECK("lex comment glued", lex("mode http#x", &w, &e) == 0 && w.n == 2 && !strcmp(w.v[1], "http"));
	CHECK("lex empty", lex("   # only a comment\r\n", &w, &e) == 0 && w.n == 0);
	CHECK("lex blank", lex("", &w, &e) == 0 && w.n == 0);
	CHECK("lex dquote", lex("a \"b c # d\" e", &w, &e) == 0 && w.n == 3 && !strcmp(w.v[1], "b c # d"));
	CHECK("lex squote literal", lex("a 'x \\\" $HOME'", &w, &e) == 0 && w.n == 2 && !strcmp(w.v[1], "x \\\" $HOME"));
	CHECK("lex concat", lex("a\"b\"'c'd", &w, &e) == 0 && w.n == 1 && !strcmp(w.v[0], "abcd"));
	CHECK("lex escapes", lex("a\\ b \\#c \\\\ \\x41\\t\\r\\n", &w, &e) == 0 && w.n == 4 &&
	      !strcmp(w.v[0], "a b") && !strcmp(w.v[1], "#c") && !strcmp(w.v[2], "\\") && !strcmp(w.v[3], "A\t\r\n"));
	CHECK("lex escape in dquote", lex("\"a\\\"b\"", &w, &e) == 0 && !strcmp(w.v[0], "a\"b"));
	CHECK("lex unknown escape kept", lex("^/a\\.b", &w, &e) == 0 && !strcmp(w.v[0], "^/a\\.b"));
	CHECK("lex empty quoted word", lex("a \"\" b", &w, &e) == 0 && w.n == 3 && !strcmp(w.v[1], ""));
	setenv("TANDEM_T_VAR", "v1 v2", 1);
	unsetenv("TANDEM_T_UNSET");
	CHECK("lex env braces", lex("x \"${TANDEM_T_VAR}!\"", &w, &e) == 0 && w.n == 2 && !strcmp(w.v[1], "v1 v2!"));
	CHECK("lex env bare", lex("x \"$TANDEM_T_VAR-z\"", &w, &e) == 0 && !strcmp(w.v[1], "v1 v2-z"));
	CHECK("lex env unset empty", lex("x \"[${TANDEM_T_UNSET}]\"", &w, &e) == 0 && !strcmp(w.v[1], "[]"));
	CHECK("lex env default", lex("x \"${TANDEM_T_UNSET-dflt}\"", &w, &e) == 0 && !strcmp(w.v[1], "dflt"));
	CHECK("lex env split", lex("x \"${TANDEM_T_VAR[*]}\" y", &w, &e) == 0 && w.n == 4 &&
	      !strcmp(w.v[1], "v1") && !strcmp(w.v[2], "v2") && !strcmp(w.v[3], "y"));
	CHECK("lex env not unquoted", lex("x $TANDEM_T_VAR", &w, &e) == 0 && !strcmp(w.v[1], "$TANDEM_T_VAR"));
	CHECK("lex lone dollar", lex("x \"a$ b\"", &w, &e) == 0 && !strcmp(w.v[1], "a$ b"));
	CHECK("lex unmatched dquote", lex("a \"b", &w, &e) < 0 && !strcmp(e, "unmatched quote"));
	CHECK("lex unmatched squote", lex("a 'b", &w, &e) < 0 && !strcmp(e, "unmatched quote"));
	CHECK("lex no continuation", lex("bind :80 \\", &w, &e) < 0 && strstr(e, "continuation"));
	CHECK("lex bad hex", lex("a\\xZZ", &w, &e) < 0);
	CHECK("lex unterminated var", lex("\"${A\"", &w, &e) < 0);
	CHECK("lex NUL", cfg_lex_line("a\0b", 3, &w, &e) < 0);
	cfg_words_free(&w);
}

static void test_values(void)
{
	uint32_t ms;
	uint64_t sz;
	struct sockaddr_storage ss;
	socklen_t len;
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;

	CHECK("time plain ms", cfg_parse_time("100", &ms) == 0 && ms == 100);
	CHECK("time ms", cfg_parse_time("100ms", &ms) == 0 && ms == 100);
	CHECK("time s", cfg_parse_time("2s", &ms) == 0 && ms == 2000);
	CHECK("time m", cfg_parse_time("1m", &ms) == 0 && ms == 60000);
	CHECK("time h", cfg_parse_time("1h", &ms) == 0 && ms == 3600000);
	CHECK("time d", cfg_parse_time("1d", &ms) == 0 && ms == 86400000);
	CHECK("time us", cfg_parse_time("2500us", &ms) == 0 && ms == 2);
	CHECK("time zero", cfg_parse_time("0", &ms) == 0 && ms == 0);
	CHECK("time max", cfg_parse_time("2147483647", &ms) == 0 && ms == 2147483647u);
	CHECK("time overflow", cfg_parse_time("2147483648", &ms) < 0 && cfg_parse_time("25d", &ms) < 0);
	CHECK("time huge", cfg_parse_time("99999999999999999999999s", &ms) < 0);
	CHECK("time underflow", cfg_parse_time("10us", &ms) < 0);
	CHECK("time bad unit", cfg_parse_time("5x", &ms) < 0 && cfg_parse_time("5 s", &ms) < 0 && cfg_parse_time("5S", &ms) < 0);
	CHECK("time empty/neg", cfg_parse_time("", &ms) < 0 && cfg_parse_time("-1", &ms) < 0 && cfg_parse_time("s", &ms) < 0);

	CHECK("size plain", cfg_parse_size("16384", &sz) == 0 && sz == 16384);
	CHECK("size k", cfg_parse_size("16k", &sz) == 0 && sz == 16384);
	CHECK("size K", cfg_parse_size("1K", &sz) == 0 && sz == 1024);
	CHECK("size m", cfg_parse_size("1m", &sz) == 0 && sz == 1048576);
	CHECK("size g", cfg_parse_size("1g", &sz) == 0 && sz == 1073741824ull);
	CHECK("size bad", cfg_parse_size("1kb", &sz) < 0 && cfg_parse_size("", &sz) < 0 &&
	      cfg_parse_size("k", &sz) < 0 && cfg_parse_size("-1", &sz) < 0);
	CHECK("size overflow", cfg_parse_size("99999999999999999999", &sz) < 0 && cfg_parse_size("99999999999g", &sz) < 0);

	CHECK("addr *:80", cfg_parse_addr("*:80", &ss, &len) == 0 && ss.ss_family == AF_INET &&
	      in->sin_addr.s_addr == htonl(INADDR_ANY) && ntohs(in->sin_port) == 80 && len == sizeof(*in));
	CHECK("addr :8080", cfg_parse_addr(":8080", &ss, &len) == 0 && ss.ss_family == AF_INET && ntohs(in->sin_port) == 8080);
	CHECK("addr v4", cfg_parse_addr("10.1.2.3:443", &ss, &len) == 0 && in->sin_addr.s_addr == inet_addr("10.1.2.3"));
	CHECK("addr [::1]", cfg_parse_addr("[::1]:80", &ss, &len) == 0 && ss.ss_family == AF_INET6 &&
	      IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) && ntohs(in6->sin6_port) == 80 && len == sizeof(*in6));
	CHECK("addr :::80", cfg_parse_addr(":::80", &ss, &len) == 0 && ss.ss_family == AF_INET6 &&
	      IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) && ntohs(in6->sin6_port) == 80);
	CHECK("addr ipv4@", cfg_parse_addr("ipv4@127.0.0.1:81", &ss, &len) == 0 && ss.ss_family == AF_INET);
	CHECK("addr ipv6@:80", cfg_parse_addr("ipv6@:80", &ss, &len) == 0 && ss.ss_family == AF_INET6 &&
	      IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr));
	CHECK("addr ipv4@ rejects v6", cfg_parse_addr("ipv4@[::1]:80", &ss, &len) < 0);
	CHECK("addr port 0", cfg_parse_addr("127.0.0.1:0", &ss, &len) == 0 && in->sin_port == 0);
	CHECK("addr localhost", cfg_parse_addr("localhost:80", &ss, &len) == 0 &&
	      (ss.ss_family == AF_INET ? in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) : IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)));
	CHECK("addr no port", cfg_parse_addr("127.0.0.1", &ss, &len) < 0 && cfg_parse_addr("127.0.0.1:", &ss, &len) < 0);
	CHECK("addr bad port", cfg_parse_addr("1.2.3.4:65536", &ss, &len) < 0 && cfg_parse_addr("1.2.3.4:x", &ss, &len) < 0);
	CHECK("addr range", cfg_parse_addr("1.2.3.4:80-90", &ss, &len) < 0 && cfg_parse_addr("1.2.3.4:+1", &ss, &len) < 0);
	CHECK("addr unix", cfg_parse_addr("/run/x.sock", &ss, &len) < 0 && cfg_parse_addr("unix@/x", &ss, &len) < 0);
	CHECK("addr bad prefix", cfg_parse_addr("quic4@:443", &ss, &len) < 0);
	CHECK("addr unresolvable", cfg_parse_addr("no-such-host.invalid:80", &ss, &len) < 0);
	CHECK("addr empty", cfg_parse_addr("", &ss, &len) < 0);
}

static void test_full(void)
{
	struct cfg *c = expect_ok("full", "# a typical file\n"
		"global\n"
		"    nbthread 3\n"
		"    maxconn 5000\n"
		"    log stdout format raw local0 info\n"
		"    log 127.0.0.1:1514 len 2048 format rfc5424 local1 notice err\n"
		"    log 127.0.0.2 daemon\n"
		"    log /dev/log local2\n"
		"    pidfile /run/tandem.pid\n"
		"    daemon\n"
		"    master-worker\n"
		"    uid 1234\n"
		"    gid 99\n"
		"    chroot /var/empty\n"
		"    hard-stop-after 30s\n"
		"    grace 2s\n"
		"    tune.bufsize 32k\n"
		"    tune.maxrewrite 2048\n"
		"    tune.http.maxhdr 50\n"
		"    tune.http.max-body-size 10m\n"
		"    tune.idle-pool.shared-per-server 8\n"
		"    node lb1\n"
		"    description main \"load balancer\"\n"
		"    stats timeout 30s\n"
		"    ulimit-n 20000\n"
		"\n"
		"defaults\n"
		"    mode http\n"
		"    log global\n"
		"    option httplog\n"
		"    option dontlognull\n"
		"    option forwardfor except 127.0.0.0/8 header X-Real-IP if-none\n"
		"    option http-server-close\n"
		"    option redispatch\n"
		"    retries 2\n"
		"    timeout connect 5s\n"
		"    timeout client 30s\n"
		"    timeout server 30s\n"
		"    timeout http-request 10s\n"
		"    timeout http-keep-alive 2s\n"
		"    timeout queue 1m\n"
		"    timeout tunnel 1h\n"
		"    timeout client-fin 1s\n"
		"    timeout server-fin 2s\n"
		"    timeout check 10s\n"
		"    default-server weight 7 maxconn 50\n"
		"\n"
		"frontend web\n"
		"    bind :8080,127.0.0.1:8081 name web backlog 100 maxconn 300\n"
		"    bind [::1]:8082 v6only\n"
		"    maxconn 1000\n"
		"    http-request set-header X-Proto \"http 1\"\n"
		"    http-request add-header X-Pct 100%%\n"
		"    http-request del-header X-Secret\n"
		"    http-response set-header Server tandem\n"
		"    default_backend app\n"
		"    description the web entry\n"
		"    id 10\n"
		"\n"
		"backend app\n"
		"    balance static-rr\n"
		"    http-reuse always\n"
		"    option redispatch 2\n"
		"    fullconn 400\n"
		"    server s1 127.0.0.1:9001\n"
		"    server s2 127.0.0.1:9002 weight 3 maxconn 10 backup id 5\n"
		"    server s3 127.0.0.1:9003 disabled\n"
		"    server s4 localhost:9004 weight 0\n"
		"\n"
		"listen stats\n"
		"    bind 127.0.0.1:8404\n"
		"    no log\n"
		"    stats enable\n"
		"    stats uri /\n"
		"    stats refresh 2s\n"
		"    stats realm Tandem\\ stats\n"
		"    stats auth admin:secret\n"
		"    stats auth ops:p:w\n"
		"    stats admin if TRUE\n"
		"    stats hide-version\n"
		"    stats show-legends\n"
		"    stats show-node\n"
		"    stats show-desc the lb\n"
		"    stats scope app\n");
	struct proxy *fe, *be, *st;
	struct server *s;
	struct bind_conf *b;
	struct log_target *t;
	struct sockaddr_in *in;

	if (!c)
		return;
	CHECK("g nbthread", c->g.nbthread == 3);
	CHECK("g maxconn", c->g.maxconn == 5000);
	CHECK("g daemon/pidfile", c->g.daemon == 1 && !strcmp(c->g.pidfile, "/run/tandem.pid"));
	CHECK("g uid/gid", c->g.uid == 1234 && c->g.gid == 99);
	CHECK("g chroot", !strcmp(c->g.chroot, "/var/empty"));
	CHECK("g hard-stop/grace", c->g.hard_stop_after == 30000 && c->g.grace == 2000);
	CHECK("g tune", c->g.tune_bufsize == 32768 && c->g.tune_maxrewrite == 2048 && c->g.tune_maxhdr == 50 &&
	      c->g.tune_max_body == 10485760 && c->g.tune_idle_pool == 8);
	CHECK("g node/desc", !strcmp(c->g.node, "lb1") && !strcmp(c->g.desc, "main load balancer"));
	CHECK("g ulimit-n", c->g.rlimit_nofile == 20000);
	t = list_entry(c->g.logs.next, struct log_target, link);
	CHECK("g log stdout", t->fd == 1 && t->addrlen == 0 && t->format == LOGF_RAW && t->facility == 16 &&
	      t->level == LL_INFO && t->minlevel == LL_EMERG && t->maxlen == 1024);
	t = list_entry(t->link.next, struct log_target, link);
	in = (struct sockaddr_in *)&t->addr;
	CHECK("g log udp", t->fd == -1 && t->addrlen == sizeof(*in) && ntohs(in->sin_port) == 1514 &&
	      t->format == LOGF_RFC5424 && t->facility == 17 && t->level == LL_NOTICE && t->minlevel == LL_ERR &&
	      t->maxlen == 2048);
	t = list_entry(t->link.next, struct log_target, link);
	in = (struct sockaddr_in *)&t->addr;
	CHECK("g log default port", ntohs(in->sin_port) == 514 && t->facility == 3 && t->level == LL_DEBUG &&
	      t->format == LOGF_RFC3164);
	t = list_entry(t->link.next, struct log_target, link);
	CHECK("g log unix", t->addr.ss_family == AF_UNIX && t->fd == -1 && t->facility == 18);

	fe = cfg_find_proxy(c, "web", PR_CAP_FE);
	be = cfg_find_proxy(c, "app", PR_CAP_BE);
	st = cfg_find_proxy(c, "stats", PR_CAP_FE);
	CHECK("lookup", fe && be && st && !cfg_find_proxy(c, "web", PR_CAP_BE) && !cfg_find_proxy(c, "nope", 3));
	if (!fe || !be || !st)
		goto out;
	CHECK("fe inherits mode/timeouts", fe->mode == PR_MODE_HTTP && fe->to.client == 30000 && fe->to.connect == 5000 &&
	      fe->to.http_request == 10000 && fe->to.http_keep_alive == 2000 && fe->to.client_fin == 1000);
	CHECK("be inherits timeouts", be->to.server == 30000 && be->to.queue == 60000 && be->to.tunnel == 3600000 &&
	      be->to.server_fin == 2000 && be->to.check == 10000);
	CHECK("fe options", (fe->options & (PR_O_HTTPLOG | PR_O_DONTLOGNULL | PR_O_FORWARDFOR | PR_O_FWDFOR_IFNONE |
					    PR_O_SRV_CLOSE | PR_O_LOG_GLOBAL)) ==
	      (PR_O_HTTPLOG | PR_O_DONTLOGNULL | PR_O_FORWARDFOR | PR_O_FWDFOR_IFNONE | PR_O_SRV_CLOSE | PR_O_LOG_GLOBAL) &&
	      !(fe->options & (PR_O_HTTP_KA | PR_O_HTTPCLOSE)));
	CHECK("fwdfor header/except", !strcmp(fe->fwdfor_hdr, "X-Real-IP") && fe->fwdfor_except_af == AF_INET &&
	      fe->fwdfor_except_bits == 8 && fe->fwdfor_except_addr[0] == 127);
	CHECK("fe defbe", fe->defbe == be && !strcmp(fe->defbe_name, "app"));
	CHECK("fe id/desc/maxconn", fe->uuid == 10 && !strcmp(fe->desc, "the web entry") && fe->maxconn == 1000);
	CHECK("be uuid auto", be->uuid == 1 && st->uuid == 2);
	CHECK("be retries/redispatch", be->retries == 2 && be->redispatch == 2 && (be->options & PR_O_REDISPATCH));
	CHECK("defaults redispatch -1", fe->redispatch == -1);
	CHECK("be balance/reuse/fullconn", be->lbalgo == LB_STATIC_RR && be->http_reuse == REUSE_ALWAYS && be->fullconn == 400);
	CHECK("fe reuse default safe", fe->http_reuse == REUSE_SAFE);

	b = list_entry(fe->binds.next, struct bind_conf, link);
	CHECK("bind 1", !strcmp(b->addr_str, ":8080") && !strcmp(b->name, "web") && b->backlog == 100 &&
	      b->maxconn == 300 && b->fd == -1 && b->fe == fe && b->line == 49);
	b = list_entry(b->link.next, struct bind_conf, link);
	CHECK("bind 2 (comma)", !strcmp(b->addr_str, "127.0.0.1:8081") && !strcmp(b->name, "web") && b->backlog == 100);
	b = list_entry(b->link.next, struct bind_conf, link);
	CHECK("bind 3 v6only, default backlog", b->addr.ss_family == AF_INET6 && b->v6only && b->backlog == 1000);
	CHECK("3 binds", b->link.next == &fe->binds);

	CHECK("req rules", fe->rules && fe->rules->set[RSI_HTTP_REQ].n == 3 &&
	      !strcmp(fe->rules->set[RSI_HTTP_REQ].r[0].kw->name, "set-header") &&
	      !strcmp(fe->rules->set[RSI_HTTP_REQ].r[0].a.name, "X-Proto") &&
	      !strcmp(fe->rules->set[RSI_HTTP_REQ].r[2].kw->name, "del-header") &&
	      fe->rules->set[RSI_HTTP_REQ].r[2].line == 54);
	CHECK("rsp rules", fe->rules && fe->rules->set[RSI_HTTP_RES].n == 1 &&
	      !strcmp(fe->rules->set[RSI_HTTP_RES].r[0].kw->name, "set-header"));

	CHECK("nsrv", be->nsrv == 4);
	s = proxy_find_server(be, "s1");
	CHECK("s1 defaults", s && s->uweight == 7 && s->eweight == 7 && s->maxconn == 50 && !s->backup &&
	      s->state == SRV_ST_RUNNING && s->admin == 0 && s->be == be && s->puid == 1 && s->line == 65 &&
	      ntohs(((struct sockaddr_in *)&s->addr)->sin_port) == 9001);
	s = proxy_find_server(be, "s2");
	CHECK("s2 kws", s && s->uweight == 3 && s->maxconn == 10 && s->backup && s->puid == 5);
	s = proxy_find_server(be, "s3");
	CHECK("s3 disabled", s && (s->admin & SRV_ADMF_MAINT) && s->puid == 2);
	s = proxy_find_server(be, "s4");
	CHECK("s4 resolved weight 0", s && s->uweight == 0 && s->addrlen > 0 && !strcmp(s->addr_str, "localhost:9004"));
	CHECK("no such server", !proxy_find_server(be, "s9"));

	CHECK("listen defbe self", st->defbe == st && st->cap == (PR_CAP_FE | PR_CAP_BE));
	CHECK("no log", (st->options & PR_O_NOLOG) && !(st->options & PR_O_LOG_GLOBAL) && list_empty(&st->logs));
	CHECK("stats", st->stats_enabled && !strcmp(st->stats_uri, "/") && st->stats_refresh == 2000 &&
	      !strcmp(st->stats_realm, "Tandem stats") && st->stats_hide_version &&
	      st->stats_show_legends && st->stats_show_node && !st->stats_node && st->stats_show_desc &&
	      !strcmp(st->stats_desc, "the lb") && st->n_stats_scope == 1 && !strcmp(st->stats_scope[0], "app") &&
	      st->stats_admin);
	{
		struct stats_auth *a1 = list_entry(st->stats_auths.next, struct stats_auth, link);
		struct stats_auth *a2 = list_entry(a1->link.next, struct stats_auth, link);

		CHECK("stats auth", !strcmp(a1->user, "admin") && !strcmp(a1->pass, "secret") &&
		      !strcmp(a2->user, "ops") && !strcmp(a2->pass, "p:w"));
	}
	CHECK("stats default uri", !strcmp(fe->stats_uri, "/haproxy?stats") && !fe->stats_enabled);
	CHECK("no warnings on a complete file", !strstr(logbuf, "[WARNING]"));
out:
	cfg_free(c);
}

static void test_builtin_defaults(void)
{
	struct cfg *c = expect_ok("builtin", "frontend f\n bind 127.0.0.1:18080\n default_backend b\n"
				  "backend b\n server x 127.0.0.1:1\n");
	struct proxy *f, *b;
	struct server *s;

	if (!c)
		return;
	f = cfg_find_proxy(c, "f", PR_CAP_FE);
	b = cfg_find_proxy(c, "b", PR_CAP_BE);
	s = proxy_find_server(b, "x");
	CHECK("builtin mode tcp", f->mode == PR_MODE_TCP && b->mode == PR_MODE_TCP);
	CHECK("builtin retries/reuse/lb", b->retries == 3 && b->http_reuse == REUSE_SAFE && b->lbalgo == LB_ROUNDROBIN &&
	      b->redispatch == 0 && !(b->options & PR_O_REDISPATCH));
	CHECK("builtin timeouts unset", f->to.client == 0 && b->to.connect == 0 && b->to.server == 0);
	CHECK("builtin fwdfor hdr", !strcmp(f->fwdfor_hdr, "X-Forwarded-For") && !(f->options & PR_O_FORWARDFOR));
	CHECK("builtin http mode KA", (f->options & PR_O_HTTP_KA) && (b->options & PR_O_HTTP_KA));
	CHECK("builtin server", s->uweight == 1 && s->eweight == 1 && s->maxconn == 0 && s->state == SRV_ST_RUNNING);
	CHECK("builtin global", c->g.tune_bufsize == 16384 && c->g.tune_maxrewrite == 1024 && c->g.tune_maxhdr == 101 &&
	      c->g.tune_idle_pool == 64 && c->g.tune_max_body == 0 && c->g.uid == -1 && c->g.gid == -1 &&
	      c->g.nbthread >= 1 && c->g.maxconn >= 100 && c->g.node && *c->g.node &&
	      c->g.rlimit_nofile > 2 * c->g.maxconn && list_empty(&c->g.logs) && !c->g.daemon);
	CHECK("builtin no logs", !(f->options & (PR_O_LOG_GLOBAL | PR_O_HTTPLOG)) && list_empty(&f->logs));
	CHECK("missing timeouts warning fe",
	      strstr(logbuf, "[WARNING]") && strstr(logbuf, " : config : missing timeouts for frontend 'f'. While not properly invalid, "
		     "you will certainly encounter various problems with such a configuration. To fix this, please ensure that all "
		     "following timeouts are set to a non-zero value: 'client', 'connect', 'server'.\n"));
	CHECK("missing timeouts warning be", strstr(logbuf, "missing timeouts for backend 'b'"));
	cfg_free(c);
}

static void test_defaults_semantics(void)
{
	struct cfg *c = expect_ok("multi defaults",
		"defaults\n mode http\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n option forwardfor\n"
		"frontend a\n bind 127.0.0.1:18001\n default_backend b1\n"
		"backend b1\n"
		"defaults\n timeout client 2s\n"                 /* resets: back to tcp, no forwardfor */
		"frontend c\n bind 127.0.0.1:18002\n mode tcp\n"
		"defaults named\n mode http\n retries 7\n timeout client 3s\n"
		"defaults\n mode tcp\n"
		"frontend d from named\n bind 127.0.0.1:18003\n"
		"defaults child from named\n retries 8\n"
		"backend e from child\n"
		"backend e2\n no option forwardfor\n");
	struct proxy *p;

	if (!c)
		return;
	p = cfg_find_proxy(c, "a", PR_CAP_FE);
	CHECK("defaults 1 applies", p->mode == PR_MODE_HTTP && p->to.client == 1000 && (p->options & PR_O_FORWARDFOR));
	p = cfg_find_proxy(c, "b1", PR_CAP_BE);
	CHECK("defaults 1 applies to backend", p->mode == PR_MODE_HTTP && p->to.server == 1000);
	p = cfg_find_proxy(c, "c", PR_CAP_FE);
	CHECK("defaults 2 resets", p->mode == PR_MODE_TCP && p->to.client == 2000 && p->to.connect == 0 &&
	      !(p->options & PR_O_FORWARDFOR));
	p = cfg_find_proxy(c, "d", PR_CAP_FE);
	CHECK("from named", p->mode == PR_MODE_HTTP && p->retries == 7 && p->to.client == 3000);
	p = cfg_find_proxy(c, "e", PR_CAP_BE);
	CHECK("defaults from defaults", p->mode == PR_MODE_HTTP && p->retries == 8 && p->to.client == 3000);
	p = cfg_find_proxy(c, "e2", PR_CAP_BE);
	CHECK("the last defaults, named or not, applies next", p->mode == PR_MODE_HTTP && p->retries == 8);
	CHECK("no defaults in proxies", !cfg_find_proxy(c, "named", PR_CAP_FE | PR_CAP_BE));
	cfg_free(c);

	c = expect_ok("mode conflicts with defaults",
		"defaults\n mode http\n option httplog\n option http-keep-alive\n timeout client 1s\n"
		"frontend t\n bind 127.0.0.1:18004\n mode tcp\n option httpclose\n no option httpclose\n");
	if (c) {
		p = cfg_find_proxy(c, "t", PR_CAP_FE);
		CHECK("httplog falls back to tcplog", (p->options & PR_O_TCPLOG) && !(p->options & PR_O_HTTPLOG) &&
		      strstr(logbuf, "'option httplog' not usable with frontend 't' (needs 'mode http'). Falling back to 'option tcplog'."));
		CHECK("no option leaves default KA", (p->options & (PR_O_HTTP_KA | PR_O_HTTPCLOSE | PR_O_SRV_CLOSE)) == PR_O_HTTP_KA);
		CHECK("frontend without backend warns", strstr(logbuf, "frontend 't' has no 'default_backend'"));
		cfg_free(c);
	}

	c = expect_ok("option httpslog and the other log formats",
		"defaults\n mode http\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n log-format \"D %ST\"\n"
		"frontend s\n bind 127.0.0.1:18010\n option httpslog\n"
		"frontend lf\n bind 127.0.0.1:18011\n option httpslog\n log-format \"F %ST\"\n"
		"frontend h\n bind 127.0.0.1:18012\n log-format \"F %ST\"\n option httpslog\n option httplog clf\n"
		"frontend inh\n bind 127.0.0.1:18013\n"
		"frontend t\n bind 127.0.0.1:18014\n mode tcp\n option httpslog\n");
	if (c) {
		p = cfg_find_proxy(c, "s", PR_CAP_FE);
		CHECK("httpslog: what httplog enables, and its format replaces the inherited log-format",
		      (p->options & (PR_O_HTTPLOG | PR_O_HTTPSLOG | PR_O_TCPLOG)) == (PR_O_HTTPLOG | PR_O_HTTPSLOG) &&
		      p->rules && !p->rules->lf_src.text && p->rules->log_format);
		p = cfg_find_proxy(c, "lf", PR_CAP_FE);
		CHECK("a later log-format wins over httpslog", p->rules && p->rules->lf_src.text &&
		      !strcmp(p->rules->lf_src.text, "F %ST"));
		p = cfg_find_proxy(c, "h", PR_CAP_FE);
		CHECK("a later option httplog clf wins over httpslog and log-format",
		      (p->options & (PR_O_HTTPLOG | PR_O_HTTPLOG_CLF | PR_O_HTTPSLOG)) == (PR_O_HTTPLOG | PR_O_HTTPLOG_CLF) &&
		      p->rules && !p->rules->lf_src.text);
		p = cfg_find_proxy(c, "inh", PR_CAP_FE);
		CHECK("the defaults' log-format is inherited", p->rules && p->rules->lf_src.text &&
		      !strcmp(p->rules->lf_src.text, "D %ST"));
		p = cfg_find_proxy(c, "t", PR_CAP_FE);
		CHECK("httpslog in tcp mode falls back to tcplog",
		      (p->options & (PR_O_TCPLOG | PR_O_HTTPLOG | PR_O_HTTPSLOG)) == PR_O_TCPLOG &&
		      strstr(logbuf, "'option httpslog' not usable with frontend 't' (needs 'mode http'). Falling back to 'option tcplog'."));
		cfg_free(c);
	}
	expect_err("no option httpslog", "frontend f\n bind 127.0.0.1:18015\n no option httpslog\n", 3,
		   "negation/default is not supported for option 'httpslog'.");
	expect_err("option httpslog with a word", "frontend f\n bind 127.0.0.1:18015\n option httpslog clf\n", 3,
		   "'option httpslog' cannot handle unexpected argument 'clf'.");

	c = expect_ok("httplog json in tcp mode",
		"frontend t\n bind 127.0.0.1:18007\n mode tcp\n timeout client 1s\n option httplog json\n");
	if (c) {
		p = cfg_find_proxy(c, "t", PR_CAP_FE);
		CHECK("httplog json stays json in tcp mode",
		      (p->options & (PR_O_TCPLOG | PR_O_HTTPLOG_JSON)) == (PR_O_TCPLOG | PR_O_HTTPLOG_JSON) &&
		      !(p->options & PR_O_HTTPLOG) &&
		      strstr(logbuf, "'option httplog json' in frontend 't' (mode tcp) logs the 'option tcplog' fields as JSON."));
		cfg_free(c);
	}

	c = expect_ok("cap warnings",
		"frontend f\n bind 127.0.0.1:18005\n timeout server 5s\n timeout client 1s\n option abortonclose\n retries 4\n"
		" option httpclose\n option http-keep-alive\n option tcpka\n option http-buffer-request\n"
		"backend b\n timeout client 5s\n option httplog\n maxconn 9\n option redispatch -1\n no option redispatch\n");
	if (c) {
		p = cfg_find_proxy(c, "f", PR_CAP_FE);
		CHECK("cap fe ignores be keywords", p->to.server == 0 && p->retries == 3 && !(p->options & PR_O_ABORTONCLOSE) &&
		      strstr(logbuf, "parsing [") && strstr(logbuf, ":3] : 'timeout server' ignored because frontend 'f' has no backend capability."));
		CHECK("http modes exclusive", (p->options & (PR_O_HTTP_KA | PR_O_HTTPCLOSE | PR_O_SRV_CLOSE)) == PR_O_HTTP_KA);
		CHECK("tcpka stored, bufreq dropped in tcp", (p->options & PR_O_TCP_KA) && !(p->options & PR_O_HTTP_BUF_REQ) &&
		      strstr(logbuf, "'option http-buffer-request' ignored for frontend 'f'"));
		p = cfg_find_proxy(c, "b", PR_CAP_BE);
		CHECK("cap be ignores fe keywords", p->to.client == 0 && !(p->options & PR_O_HTTPLOG) && p->maxconn == 0 &&
		      strstr(logbuf, "'option httplog' ignored because backend 'b' has no frontend capability."));
		CHECK("no option redispatch", p->redispatch == 0 && !(p->options & PR_O_REDISPATCH));
		cfg_free(c);
	}

	c = expect_ok("log forms",
		"defaults\n log global\n log stderr format short local3 warning\n"
		"frontend f\n bind 127.0.0.1:18006\n no log\n log stdout local0\n"
		"backend b\n");
	if (c) {
		struct log_target *t;

		p = cfg_find_proxy(c, "f", PR_CAP_FE);
		t = list_entry(p->logs.next, struct log_target, link);
		CHECK("no log then log", !(p->options & (PR_O_LOG_GLOBAL | PR_O_NOLOG)) && t->fd == 1 && t->link.next == &p->logs);
		p = cfg_find_proxy(c, "b", PR_CAP_BE);
		t = list_entry(p->logs.next, struct log_target, link);
		CHECK("inherited logs", (p->options & PR_O_LOG_GLOBAL) && t->fd == 2 && t->format == LOGF_SHORT &&
		      t->facility == 19 && t->level == LL_WARNING);
		cfg_free(c);
	}
}

#define F0 "frontend f\n bind 127.0.0.1:18100\n"

static void test_errors(void)
{
	expect_err("unknown kw", "backend b\n foo bar\n", 2, "unknown keyword 'foo' in 'backend' section");
	expect_err("unknown kw global", "global\n\n  nbthreads 2\n", 3, "unknown keyword 'nbthreads' in 'global' section");
	expect_err("unknown kw defaults", "defaults\n bind :80\n", 2, "'bind' not allowed in 'defaults' section.");
	expect_err("out of section", "mode http\n", 1, "unknown keyword 'mode' out of section.");
	expect_err("bind in backend", "backend b\n bind :80\n", 2, "'bind' not allowed in 'backend' section.");
	expect_err("server in frontend", F0 " server s 1.2.3.4:80\n", 3, "'server' not allowed in 'frontend' section.");
	expect_err("server in defaults", "defaults\n server s 1.2.3.4:80\n", 2, "'server' not allowed in 'defaults' section.");
	expect_err("default_backend in backend", "backend b\n default_backend x\n", 2, "'default_backend' not allowed in 'backend' section.");
	expect_err("balance in frontend", F0 " balance roundrobin\n", 3, "'balance' not allowed in 'frontend' section.");
	expect_err("http-request in defaults", "defaults\n http-request del-header x\n", 2, "'http-request' not allowed in 'defaults' section.");
	expect_err("id in defaults", "defaults\n id 3\n", 2, "'id' not allowed in 'defaults' section.");
	expect_err("bad timeout", "defaults\n timeout client 5x\n", 2,
		   "invalid time value '5x' for 'timeout client' (a number with an optional unit: us, ms, s, m, h, d).");
	expect_err("timeout overflow", "defaults\n timeout client 30d\n", 2,
		   "timer overflow in argument '30d' to 'timeout client', maximum value is 2147483647 ms (~24.8 days).");
	expect_err("timeout name", "defaults\n timeout foo 1s\n", 2,
		   "'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', "
		   "'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got 'foo').");
	expect_err("timeout missing value", "defaults\n timeout client\n", 2,
		   "'timeout client' expects a time value (for example 500ms, 5s, 1m).");
	expect_err("contimeout", "defaults\n contimeout 5s\n", 2, "'contimeout' is deprecated: use 'timeout connect'.");
	expect_err("clitimeout", "defaults\n clitimeout 5s\n", 2, "'clitimeout' is deprecated: use 'timeout client'.");
	expect_err("srvtimeout", "defaults\n srvtimeout 5s\n", 2, "'srvtimeout' is deprecated: use 'timeout server'.");
	expect_err("bad retries", "defaults\n retries many\n", 2, "'retries' expects an integer between 0 and 1000, got 'many'.");
	expect_err("too many args", "defaults\n retries 3 4\n", 2, "'retries' cannot handle unexpected argument '4'.");
	expect_err("bad mode", "defaults\n mode udp\n", 2, "unknown proxy mode 'udp' (tandem supports 'http' and 'tcp').");
	expect_err("balance later", "backend b\n balance log-hash\n", 2,
		   "balance algorithm 'log-hash' is not supported yet (supported: roundrobin, static-rr, leastconn, source, first, random, uri, url_param, hdr(), rdp-cookie, hash).");
	expect_err("balance hdr", "backend b\n balance hdr()\n", 2, "hdr requires an http header field name.");
	expect_err("balance random(0)", "backend b\n balance random(0)\n", 2,
		   "'balance random(N)': N must be a number between 1 and 100 (got 'random(0)').");
	{
		static const struct { const char *kw; int algo; } algos[] = {
			{ "leastconn", LB_LEASTCONN }, { "source", LB_SOURCE }, { "first", LB_FIRST },
			{ "random", LB_RANDOM }, { "random(3)", LB_RANDOM }, { "static-rr", LB_STATIC_RR },
		};
		size_t k;
		for (k = 0; k < sizeof(algos) / sizeof(algos[0]); k++) {
			char txt[128], nm[64];
			struct cfg *cb;
			snprintf(txt, sizeof(txt), "backend b\n balance %s\n", algos[k].kw);
			snprintf(nm, sizeof(nm), "balance %s", algos[k].kw);
			cb = expect_ok(nm, txt);
			if (cb) {
				struct proxy *pb = cfg_find_proxy(cb, "b", PR_CAP_BE);
				CHECKF(pb && pb->lbalgo == algos[k].algo &&
				       (strcmp(algos[k].kw, "random(3)") || pb->lb_draws == 3),
				       "balance %s stored", algos[k].kw);
				cfg_free(cb);
			}
		}
	}
	expect_err("balance unknown", "backend b\n balance magic\n", 2, "unknown balance algorithm 'magic'.");
	expect_err("http-reuse", "backend b\n http-reuse sometimes\n", 2,
		   "'http-reuse' expects 'never', 'safe', 'aggressive' or 'always', got 'sometimes'.");
	/* the rules language itself: tests/unit/test_rules_cfg.c */
	expect_err("use_backend", F0 " use_backend b if { path_beg /api }\n", 3,
		   "Proxy 'f': unable to find required use_backend: 'b'.");
	expect_err("acl", F0 " acl is_api path_bgn /api\n", 3,
		   "error detected while parsing ACL 'is_api' : ACL keyword 'path_bgn' : unknown fetch method 'path_bgn'.");
	expect_err("compression", "defaults\n compression algo gzip\n", 2, "'compression' is not supported by tandem.");
	expect_err("capture", F0 " capture request header Host len 0\n", 3,
		   "'capture' : 'len' expects a length between 1 and 65535, got '0'.");
	expect_err("unique-id", F0 " unique-id-format %{+X}o\\ %cx\n", 3,
		   "'unique-id-format' : no such format alias 'cx'. If you wanted to emit the '%' character verbatim, you need to use '%%'.");
	expect_err("stick", "backend b\n stick on src\n", 2, "Proxy 'b': unable to find stick-table 'b'.");
	expect_err("cookie", "backend b\n cookie SRV insert rewrite\n", 2, "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
	expect_err("errorfile", "defaults\n errorfile 503 /nonexistent/x.http\n", 2,
		   "errorfile : error opening file '/nonexistent/x.http': No such file or directory");
	expect_err("httpchk extra arg", "backend b\n option httpchk GET /health HTTP/1.1 x\n", 2,
		   "'option httpchk' cannot handle unexpected argument 'x' (quote values with spaces).");
	expect_err("http-check disable-on-404 arg", "backend b\n http-check disable-on-404 x\n", 2,
		   "'disable-on-404' cannot handle unexpected argument 'x'.");
	expect_err("splice arg", "defaults\n option splice-auto x\n", 2, "'option splice-auto' cannot handle unexpected argument 'x'.");
	expect_err("unknown option", "defaults\n option frobnicate\n", 2, "unknown option 'frobnicate'.");
	expect_err("no prefix", "defaults\n no retries\n", 2,
		   "'no retries' is not supported: the 'no' prefix only applies to 'option' and 'log'.");
	expect_err("httplog arg", "defaults\n option httplog xml\n", 2, "'option httplog' only supports 'clf' and 'json' (got 'xml').");
	expect_err("forwardfor bad net", "defaults\n option forwardfor except 10.0.0.0/33\n", 2,
		   "'option forwardfor except' expects a network (for example 10.0.0.0/8), got '10.0.0.0/33'.");
	expect_err("http-request cond", F0 " http-request set-header X-A b if { ssl_fc_npn }\n", 3,
		   "error detected while parsing an 'http-request set-header' condition : ACL keyword 'ssl_fc_npn' : unknown fetch method 'ssl_fc_npn'.");
	expect_err("http-request unless", F0 " http-response del-header Server unless foo\n", 3,
		   "error detected while parsing an 'http-response del-header' condition : no such ACL : 'foo'.");
	expect_err("http-request expr", F0 " http-request set-header X-Src %[srx]\n", 3,
		   "error detected in frontend 'f' while parsing 'http-request set-header' rule : failed to parse sample expression <srx]> : unknown fetch method 'srx'.");
	expect_err("http-request action", F0 " http-request dney\n", 3, "'http-request' : unknown action 'dney' (expects ");
	expect_err("http-request args", F0 " http-request set-header X-A\n", 3, "'set-header' expects <name> and <fmt> as arguments.");
	expect_err("http-request spaces", F0 " http-request set-header X-A a b\n", 3,
		   "'http-request set-header' : unexpected argument 'b' (a condition starts with 'if' or 'unless'; quote values that contain spaces).");
	expect_err("http-request name", F0 " http-request del-header X:A\n", 3, "'del-header': invalid header name 'X:A'.");
	expect_err("stats admin cond", "listen l\n stats admin if NOSUCHACL\n", 2,
		   "error detected while parsing an 'stats admin' condition : no such ACL : 'NOSUCHACL'.");
	expect_err("httpchk method", "backend b\n option httpchk G@T /\n", 2, "'option httpchk': invalid method 'G@T'.");
	expect_err("http-check send hdr", "backend b\n option httpchk\n http-check send hdr X\\ Y v\n", 3,
		   "'http-check send': invalid header 'X Y'.");
	expect_err("stats admin bad word", "listen l\n stats admin when TRUE\n", 2,
		   "'stats admin' : unexpected argument 'when' (expects 'if' or 'unless').");
	{
		/* the constant conditions tandem accepts, and what they store */
		static const struct { const char *line; int want; } adm[] = {
			{ "stats admin", 1 }, { "stats admin if TRUE", 1 }, { "stats admin unless FALSE", 1 },
			{ "stats admin if FALSE", 0 }, { "stats admin unless TRUE", 0 },
		};
		for (size_t i = 0; i < sizeof(adm) / sizeof(adm[0]); i++) {
			char text[128];
			struct cfg *ac;
			struct proxy *lp;

			snprintf(text, sizeof(text), "listen l\n mode http\n bind 127.0.0.1:18099\n %s\n", adm[i].line);
			ac = expect_ok(adm[i].line, text);
			lp = ac ? cfg_find_proxy(ac, "l", PR_CAP_FE) : NULL;
			CHECKF(lp && lp->stats_admin == adm[i].want && lp->stats_enabled, "%s: stats_admin %d",
			       adm[i].line, adm[i].want);
			cfg_free(ac);
		}
	}
	/* global stats socket / timeout / maxconn: tests/unit/test_cli.c */
	expect_err("stats timeout", "global\n stats timeout 0\n", 2,
		   "'stats timeout' expects a positive value, got '0'.");
	expect_err("stats timeout in proxy", "listen l\n stats timeout 30s\n", 2,
		   "'stats timeout' is only valid in the 'global' section.");
	expect_err("stats auth", "listen l\n stats auth admin\n", 2, "'stats auth' expects <user>:<password>.");
	expect_err("stats socket in proxy", "listen l\n stats socket /x\n", 2, "'stats socket' is only valid in the 'global' section.");
	expect_err("stats unknown", "listen l\n stats frob\n", 2,
		   "'stats' expects 'admin', 'auth', 'enable', 'hide-version', 'realm', 'refresh', 'scope', 'show-desc', "
		   "'show-legends', 'show-node' or 'uri' (got 'frob').");

	/* bind */
	expect_err("bind no port", F0 " bind 127.0.0.1\n", 3, "'bind' : missing port number in '127.0.0.1'.");
	expect_err("bind bad addr", F0 " bind 300.1.1.1:80\n", 3, "'bind' : invalid address '300.1.1.1' in '300.1.1.1:80'.");
	expect_err("bind ssl", F0 " bind :443 ssl crt /x.pem\n", 3,
		   "unable to stat SSL certificate from file '/x.pem' : No such file or directory.");
	expect_err("bind ssl no crt", F0 " bind :443 ssl\n", 3, "no SSL certificate specified for bind ':443' (use 'crt').");
	expect_err("bind 0-RTT", F0 " bind :443 ssl crt /x.pem allow-0rtt\n", 3,
		   "'bind :443' : 'allow-0rtt' TLS 1.3 early data (0-RTT) is not supported by tandem: ");
	expect_err("bind ssl-min-ver", F0 " bind :443 ssl crt /x.pem ssl-min-ver TLSv2\n", 3,
		   "'bind :443' : 'TLSv2' : unknown ssl/tls version.");
	expect_err("bind transparent", F0 " bind :80 transparent\n", 3,
		   "'bind' : 'transparent' is not supported by tandem ('freebind' binds an address not configured yet).");
	expect_err("bind unknown opt", F0 " bind :80 accept-netscaler-cip 1\n", 3,
		   "'bind' : option 'accept-netscaler-cip' is not supported by tandem (supported: name, v4v6, v6only, freebind, "
		   "backlog, maxconn, accept-proxy, and the TLS options of doc/tls.md).");
	expect_err("bind unix", F0 " bind /run/x.sock\n", 3,
		   "'bind' : address '/run/x.sock': UNIX, abstract and inherited sockets are not supported.");
	expect_err("bind range", F0 " bind :90-80\n", 3, "'bind' : invalid port range in ':90-80'.");
	expect_err("bind dup", F0 "frontend g\n bind 127.0.0.1:18100\n", 4,
		   "frontend 'g': cannot bind '127.0.0.1:18100': address already bound by frontend 'f' at ");
	expect_err("bind dup same line", "frontend g\n bind 127.0.0.1:18101,127.0.0.1:18101\n", 2,
		   "frontend 'g': cannot bind '127.0.0.1:18101': address already bound by frontend 'g' at ");

	/* servers */
	expect_err("server bad port offset", "backend b\n server s1 127.0.0.1:+x\n", 2,
		   "'server s1': invalid port offset '+x' in '127.0.0.1:+x'.");
	expect_err("server inter 0", "backend b\n server s1 127.0.0.1:80 check inter 0\n", 2,
		   "invalid value 0 for argument 'inter' of server s1.");
	expect_err("server rise 0", "backend b\n default-server rise 0\n", 2, "'rise' has to be > 0 (got '0').");
	expect_err("server ssl", "backend b\n server s1 127.0.0.1:443 ssl\n", 2,
		   "'server b/s1' : verify is enabled by default but no CA file specified. ");
	expect_err("server 0-RTT", "backend b\n server s1 127.0.0.1:443 ssl allow-0rtt\n", 2,
		   "'server s1': keyword 'allow-0rtt': TLS 1.3 early data (0-RTT) is not supported by tandem.");
	expect_err("server sni", "backend b\n server s1 127.0.0.1:443 sni foo(bar)\n", 2,
		   "error detected while parsing sni expression : unknown fetch method 'foo' ");
	expect_err("server unknown kw", "backend b\n server s1 127.0.0.1:80 wieght 3\n", 2, "'server s1': unknown keyword 'wieght'.");
	expect_err("server weight", "backend b\n server s1 127.0.0.1:80 weight 300\n", 2,
		   "weight of server s1 is not within 0 and 256 (got '300').");
	expect_err("server weight missing", "backend b\n server s1 127.0.0.1:80 weight\n", 2, "'server s1': 'weight' expects an argument.");
	expect_err("server id on default", "backend b\n default-server id 4\n", 2,
		   "'default-server': keyword 'id' is not allowed on 'default-server' lines.");
	expect_err_has("server unresolvable", "backend b\n server s1 no-such-host.invalid:80\n",
		       ":2: 'server s1': could not resolve address 'no-such-host.invalid': ");
	expect_err("server name", "backend b\n server s/1 1.2.3.4:80\n", 2, "character '/' is not permitted in server name 's/1'.");
	expect_err("server args", "backend b\n server s1\n", 2, "'server' expects <name> and <addr>:<port> as arguments.");
	expect_err("server dup", "backend b\n server s1 1.2.3.4:80\n server s1 1.2.3.5:80\n", 3,
		   "backend 'b' has the same server name 's1' declared at ");
	expect_err("server dup id", "backend b\n server s1 1.2.3.4:80 id 3\n server s2 1.2.3.5:80 id 3\n", 3,
		   "server 'b/s2' reuses the same custom id as server 's1' (declared at ");

	/* sections and names */
	expect_err("resolvers without nameserver", "global\nresolvers docker\n hold valid 10s\n", 2,
		   "resolvers 'docker' has no nameserver (add 'nameserver' or 'parse-resolv-conf').");
	expect_err("userlist", "userlist u\n user admin password x\n", 2,
		   "user 'admin': the password is not a hash crypt(3) supports (use 'insecure-password' for clear text).");
	expect_err("peers", "peers p\n bind :1\n", 2,
		   "'bind' in a 'peers' section is not supported by tandem (use 'peer NAME ADDR:PORT' lines).");
	expect_err("program", "program p\n", 1, "section 'program' is not supported by tandem.");
	expect_err("cache", "cache c\n", 1, "section 'cache' is not supported by tandem.");
	expect_err("mailers", "mailers m\n", 1, "section 'mailers' is not supported by tandem.");
	expect_err("proxy no name", "backend\n", 1, "'backend' expects an <id> argument");
	expect_err("proxy bad name", "backend a/b\n", 1, "character '/' is not permitted in 'backend' name 'a/b'.");
	expect_err("proxy dup", "backend a\nbackend a\n", 2, "backend 'a' has the same name as backend 'a' declared at ");
	expect_err("listen dup", "frontend a\n bind 127.0.0.1:18200\n default_backend a\nbackend a\nlisten a\n", 5,
		   "listen 'a' has the same name as frontend 'a' declared at ");
	expect_err("from missing", "frontend a from nope\n", 1, "defaults section 'nope' not found for frontend 'a'.");
	expect_err("from ambiguous", "defaults x\ndefaults x\nbackend a from x\n", 3,
		   "ambiguous defaults section name 'x' referenced by backend 'a' exists at least at ");
	expect_err("backend extra arg", "backend a 1.2.3.4:80\n", 1, "'backend' cannot handle unexpected argument '1.2.3.4:80'.");
	expect_err("lexer error line", "global\n\n log \"stdout local0\n", 3, "unmatched quote");
	expect_err("proxy dup id", "backend a\n id 4\nbackend b\n id 4\n", 3, "backend 'b' reuses the same custom id as backend 'a' (declared at ");

	/* check phase */
	expect_err("defbe missing", F0 " default_backend nope\n", 3, "frontend 'f': unable to find required default_backend: 'nope'.");
	expect_err("defbe is frontend", F0 " default_backend g\nfrontend g\n bind 127.0.0.1:18101\n", 3,
		   "frontend 'f': unable to find required default_backend: 'g'.");
	/* a TCP frontend may send to an HTTP backend: upgraded to HTTP, as HAProxy 2.x */
	cfg_free(expect_ok("tcp fe http be", F0 " default_backend b\nbackend b\n mode http\n"));
	expect_err("http fe tcp be", F0 " mode http\n default_backend b\nbackend b\n", 4,
		   "http mode frontend 'f' cannot use backend 'b' (mode tcp) as its default backend (see 'mode').");

	/* global */
	expect_err("stats socket", "global\n stats socket /run/haproxy.sock mode 660 level admin expose-fd all\n", 2,
		   "'stats socket' : 'expose-fd' only supports 'listeners' (got 'all').");
	expect_err("ssl global", "global\n ssl-default-bind-options no-tlsv10 bogus\n", 2,
		   "unknown option 'bogus' on global statement 'ssl-default-bind-options'.");
	expect_err("tune.ssl", "global\n tune.ssl.default-dh-param x\n", 2, "'tune.ssl.default-dh-param' expects an integer >= 1024.");
	expect_err("ca-base", "global\n ca-base\n", 2, "'ca-base' expects a directory path as an argument.");
	expect_err("ssl-engine", "global\n ssl-engine rdrand\n", 2,
		   "'ssl-engine' is not supported by tandem (its TLS keywords are listed in doc/tls.md).");
	expect_err("lua", "global\n lua-load /x.lua\n", 2, "'lua-load' is not supported: tandem has no Lua.");
	expect_err("nbproc", "global\n nbproc 2\n", 2, "'nbproc' is not supported (HAProxy removed it too): use 'nbthread'.");
	expect_err("maxconnrate", "global\n maxconnrate 100\n", 2, "'maxconnrate' is not supported by tandem.");
	expect_err("spread-checks range", "global\n spread-checks 51\n", 2, "'spread-checks' needs a positive value in range 0..50.");
	expect_err("nbthread 0", "global\n nbthread 0\n", 2, "'nbthread' expects an integer between 1 and 256, got '0'.");
	expect_err("maxhdr", "global\n tune.http.maxhdr 200\n", 2,
		   "'tune.http.maxhdr' expects an integer between 1 and 101 (tandem's parser limit), got '200'.");
	expect_err("bufsize", "global\n tune.bufsize 12q\n", 2, "invalid size '12q' for 'tune.bufsize' (a number with an optional k, m or g suffix).");
	expect_err("bufsize small", "global\n tune.bufsize 100\n", 2, "'tune.bufsize' must be between 1024 and 268435456 bytes, got '100'.");
	expect_err("unknown user", "global\n user no-such-user-xyz\n", 2, "cannot find user id for 'no-such-user-xyz'.");
	expect_err("unknown group", "global\n group no-such-group-xyz\n", 2, "cannot find group id for 'no-such-group-xyz'.");
	expect_err("daemon arg", "global\n daemon yes\n", 2, "'daemon' cannot handle unexpected argument 'yes'.");
	expect_err("log global in global", "global\n log global\n", 2, "'log global' is only valid in proxy sections.");
	expect_err("log facility", "global\n log stdout local9\n", 2, "'log' : unknown log facility 'local9'.");
	expect_err("log level", "global\n log stdout local0 loud\n", 2, "'log' : unknown optional log level 'loud'.");
	expect_err("log format", "global\n log stdout format json local0\n", 2,
		   "'log' : unknown log format 'json' (expected raw, short, rfc3164, rfc5424, iso, timed, local or priority).");
	expect_err("log no facility", "global\n log stdout format raw\n", 2, "'log' expects a facility (for example local0).");
	expect_err("log extra", "global\n log stdout local0 info err debug\n", 2, "'log' cannot handle unexpected argument 'debug'.");
	expect_err("log ring", "global\n log ring@buf local0\n", 2,
		   "'log' : target 'ring@buf' is not supported by tandem (use stdout, stderr, a UNIX datagram socket path or a UDP address).");
	expect_err("log tcp", "global\n log tcp@1.2.3.4:514 local0\n", 2,
		   "'log' : target 'tcp@1.2.3.4:514' is not supported by tandem (use stdout, stderr, a UNIX datagram socket path or a UDP address).");
	expect_err_has("log unresolvable (a name starting with tcp)", "global\n log tcplogger.invalid local0\n",
		       ":2: 'log' : could not resolve address 'tcplogger.invalid': ");
	expect_err("log len", "global\n log stdout len 10 local0\n", 2, "'len' expects an integer between 80 and 65535, got '10'.");

	/* several errors: the first one is returned, all are logged */
	{
		struct cfg *c = load("backend b\n foo\n bar\n");

		CHECK("first error returned", !c && strstr(err, ":2: unknown keyword 'foo'"));
		CHECK("all errors logged", strstr(logbuf, "unknown keyword 'foo'") && strstr(logbuf, "unknown keyword 'bar'"));
		cfg_free(c);
	}
	/* the exact ALERT line */
	{
		char want[600];
		struct cfg *c = load("backend b\n foo\n");

		snprintf(want, sizeof(want), " : config : parsing [%s:2] : unknown keyword 'foo' in 'backend' section\n", cfgpath);
		CHECK("alert line shape", !c && !strncmp(logbuf, "[ALERT]    (", 12) && strstr(logbuf, want));
		cfg_free(c);
	}
	/* a missing file */
	{
		struct cfg *c = cfg_load("/nonexistent/tandem.cfg", err, sizeof(err));

		CHECK("missing file", !c && !strcmp(err, "/nonexistent/tandem.cfg: cannot open configuration file: No such file or directory"));
	}
}

static void test_misc_ok(void)
{
	struct cfg *c;
	struct proxy *p;

	c = expect_ok("listen with address and tcp mode",
		"listen l 127.0.0.1:18300\n mode tcp\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n"
		" server s 127.0.0.1:1\n"
		"listen l2\n bind 127.0.0.1:18301\n default_backend l\n disabled\n"
		"frontend same\n bind 127.0.0.1:18302\n default_backend same\n timeout client 1s\n"
		"backend same\n");
	if (c) {
		struct bind_conf *b;

		p = cfg_find_proxy(c, "l", PR_CAP_FE);
		b = list_entry(p->binds.next, struct bind_conf, link);
		CHECK("listen addr bind", !list_empty(&p->binds) && !strcmp(b->addr_str, "127.0.0.1:18300") && p->defbe == p);
		p = cfg_find_proxy(c, "l2", PR_CAP_FE);
		CHECK("listen default_backend other", p->defbe == cfg_find_proxy(c, "l", PR_CAP_BE) && p->disabled);
		p = cfg_find_proxy(c, "same", PR_CAP_FE);
		CHECK("fe and be may share a name", p->defbe == cfg_find_proxy(c, "same", PR_CAP_BE) && p->defbe != p &&
		      p->uuid == 3 && p->defbe->uuid == 4);
		cfg_free(c);
	}

	c = expect_ok("env and quotes",
		"global\n description \"${TANDEM_T_VAR}\" 'x y'\n"
		"frontend f\n bind \"127.0.0.1:18303\"\n http-request set-header X-V \"a ${TANDEM_T_VAR}\"\n mode http\n timeout client 1s\n");
	if (c) {
		p = cfg_find_proxy(c, "f", PR_CAP_FE);
		CHECK("env expanded", !strcmp(c->g.desc, "v1 v2 x y") && p->rules && p->rules->set[RSI_HTTP_REQ].n == 1 &&
		      !strcmp(p->rules->set[RSI_HTTP_REQ].r[0].a.fmt->text, "a v1 v2"));
		cfg_free(c);
	}

	c = expect_ok("tune.maxrewrite clamp", "global\n tune.bufsize 4096\n tune.maxrewrite 4000\n");
	if (c) {
		CHECK("maxrewrite clamped with warning", c->g.tune_maxrewrite == 2048 &&
		      strstr(logbuf, "[WARNING]") && strstr(logbuf, "tune.maxrewrite (4000) must not exceed half of tune.bufsize (4096); using 2048."));
		cfg_free(c);
	}
	c = expect_ok("small bufsize", "global\n tune.bufsize 1k\n");
	if (c) {
		CHECK("maxrewrite half of small bufsize", c->g.tune_maxrewrite == 512);
		cfg_free(c);
	}

	c = expect_ok("stats in tcp mode", "listen s\n bind 127.0.0.1:18304\n stats enable\n timeout client 1s\n");
	if (c) {
		p = cfg_find_proxy(c, "s", PR_CAP_FE);
		CHECK("stats dropped in tcp mode", !p->stats_enabled &&
		      strstr(logbuf, "'stats' statement ignored for listen 's' as it requires HTTP mode."));
		cfg_free(c);
	}

	c = expect_ok("port 0 binds never conflict",
		"frontend a\n bind 127.0.0.1:0\nfrontend b\n bind 127.0.0.1:0\n bind [::1]:18305 v4v6 freebind\n");
	if (c) {
		struct bind_conf *bc;

		p = cfg_find_proxy(c, "b", PR_CAP_FE);
		bc = list_entry(p->binds.prev, struct bind_conf, link);
		CHECK("v4v6 freebind", bc->v4v6 && bc->freebind && !bc->v6only);
		CHECK("no-bind and no-backend warnings absent for binds", !strstr(logbuf, "has no 'bind' directive"));
		cfg_free(c);
	}

	c = expect_ok("frontend without bind", "frontend nb\n timeout client 1s\n");
	if (c) {
		CHECK("no bind warning", strstr(logbuf, "frontend 'nb' has no 'bind' directive. Please declare it as a backend if this was intended."));
		cfg_free(c);
	}

	c = expect_ok("empty file", "# nothing\n\n");
	if (c) {
		CHECK("empty proxies", list_empty(&c->proxies));
		cfg_free(c);
	}

	c = expect_ok("crlf and tabs", "global\r\n\tnbthread\t2\r\n");
	if (c) {
		CHECK("crlf", c->g.nbthread == 2);
		cfg_free(c);
	}

	c = expect_ok("default-server enabled/no-backup overrides",
		"backend b\n default-server backup disabled weight 5\n server a 127.0.0.1:1\n server c 127.0.0.1:2 no-backup enabled\n");
	if (c) {
		struct proxy *b = cfg_find_proxy(c, "b", PR_CAP_BE);
		struct server *a = proxy_find_server(b, "a"), *s2 = proxy_find_server(b, "c");

		CHECK("default-server applied", a->backup && (a->admin & SRV_ADMF_MAINT) && a->uweight == 5);
		CHECK("server overrides", !s2->backup && !(s2->admin & SRV_ADMF_MAINT) && s2->uweight == 5);
		cfg_free(c);
	}
}

/* The seeds' HAProxy snippets (lab notes 002 and 003): the full files load
 * (seed 003's resolvers section and `init-addr libc,none` included). */
static void test_seeds(void)
{
	const char *full003 =
		"global\n"
		"    log stdout format raw local0\n"
		"    maxconn 4096\n"
		"    stats socket /var/run/haproxy.sock mode 660 level admin\n"
		"\n"
		"resolvers docker\n"
		"    nameserver dns1 10.89.4.1:53\n"
		"    nameserver dns2 172.20.0.1:53\n"
		"    resolve_retries 3\n"
		"    timeout resolve 1s\n"
		"    timeout retry 1s\n"
		"    hold valid 10s\n"
		"\n"
		"defaults\n"
		"    mode http\n"
		"    log global\n"
		"    option httplog\n"
		"    option dontlognull\n"
		"    option redispatch\n"
		"    option http-server-close\n"
		"    option forwardfor\n"
		"    retries 3\n"
		"    timeout connect 5s\n"
		"    timeout client 30s\n"
		"    timeout server 30s\n"
		"    timeout check 10s\n"
		"    maxconn 3000\n"
		"\n"
		"frontend http_front\n"
		"    bind *:80\n"
		"    default_backend nginx_backend\n"
		"\n"
		"backend nginx_backend\n"
		"    balance roundrobin\n"
		"    option httpchk GET /\n"
		"    http-check expect status 200\n"
		"    server nginx1 nginx1:80 check inter 2s rise 2 fall 3 resolvers docker init-addr libc,none\n"
		"    server nginx2 nginx2:80 check inter 2s rise 2 fall 3 resolvers docker init-addr libc,none\n"
		"\n"
		"listen stats\n"
		"    bind *:8404\n"
		"    stats enable\n"
		"    stats uri /\n"
		"    stats refresh 5s\n"
		"    stats admin if TRUE\n";
	struct cfg *c = load(full003);

	CHECK("seed 003 full: loads", c != NULL);
	if (c) {
		struct proxy *be = cfg_find_proxy(c, "nginx_backend", PR_CAP_BE);
		struct server *n1 = be ? proxy_find_server(be, "nginx1") : NULL;
		struct resolvers *rs = list_empty(&c->resolvers) ? NULL :
				       list_entry(c->resolvers.next, struct resolvers, link);

		CHECK("seed 003: resolvers docker", rs && !strcmp(rs->id, "docker") && rs->nns == 2 &&
		      rs->resolve_retries == 3 && rs->timeout_resolve == 1000 && rs->timeout_retry == 1000 &&
		      rs->hold_valid == 10000 && rs->hold_nx == 30000);
		/* nginx1 does not resolve here (init-addr libc fails): none, so
		 * in maintenance by resolution until DNS gives an address */
		CHECK("seed 003: nginx1 waits for DNS", n1 && n1->resolvers == rs && !strcmp(n1->hostname, "nginx1") &&
		      n1->hostport == 80 && (n1->admin & SRV_ADMF_RMAINT) && !(n1->admin & SRV_ADMF_FMAINT));
	}
	cfg_free(c);

	c = expect_ok("seed 003 without resolvers/checks/stats socket/stats admin",
		"global\n    log stdout format raw local0\n    maxconn 4096\n\n"
		"defaults\n    mode http\n    log global\n    option httplog\n    option dontlognull\n    option redispatch\n"
		"    option http-server-close\n    option forwardfor\n    retries 3\n    timeout connect 5s\n"
		"    timeout client 30s\n    timeout server 30s\n    timeout check 10s\n    maxconn 3000\n\n"
		"frontend http_front\n    bind 127.0.0.1:18080\n    default_backend nginx_backend\n\n"
		"backend nginx_backend\n    balance roundrobin\n"
		"    server nginx1 127.0.0.1:18081\n    server nginx2 127.0.0.1:18082\n    server nginx3 127.0.0.1:18083\n\n"
		"listen stats\n    bind 127.0.0.1:18404\n    stats enable\n    stats uri /\n    stats refresh 5s\n");
	if (c) {
		struct proxy *be = cfg_find_proxy(c, "nginx_backend", PR_CAP_BE);

		CHECK("seed 003 values", c->g.maxconn == 4096 && be->nsrv == 3 && be->to.check == 10000 &&
		      (be->options & PR_O_REDISPATCH) && be->redispatch == -1);
		cfg_free(c);
	}

	/* seed 002: the algorithms of its exercise, and its health-check lines */
	/* (seed 002's leastconn and source are covered by the balance tests above) */
	c = expect_ok("seed 002 minus checks",
		"defaults\n mode http\n timeout connect 5s    # connect\n timeout client 30s\n timeout server 30s\n"
		"frontend gateway\n bind 127.0.0.1:18090\n option http-server-close\n option forwardfor\n default_backend gw\n"
		"backend gw\n balance roundrobin\n server g1 127.0.0.1:18093\n server g2 127.0.0.1:18094\n");
	if (c) {
		struct proxy *f = cfg_find_proxy(c, "gateway", PR_CAP_FE);

		CHECK("seed 002 values", (f->options & (PR_O_SRV_CLOSE | PR_O_FORWARDFOR)) == (PR_O_SRV_CLOSE | PR_O_FORWARDFOR) &&
		      f->to.client == 30000);
		cfg_free(c);
	}
}

int main(void)
{
	/* a few tests resolve names that do not exist: bound the DNS wait */
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
	if (cfg_test_init("/tmp/tandem-cfg-XXXXXX") < 0)
		return 1;

	test_lexer();
	test_values();
	test_full();
	test_builtin_defaults();
	test_defaults_semantics();
	test_errors();
	test_misc_ok();
	test_seeds();

	cfg_test_done();
	UNIT_END();
}
