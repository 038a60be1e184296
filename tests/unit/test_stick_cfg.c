/* Configuration of persistence and hash balancing (src/cfg/kw_stick.c):
 * what is stored (stick-table, cookie, hash-type, balance hash forms,
 * peers), what defaults pass on, and every error with its file:line:
 * unknown stored data, counter index out of range, tables named but not
 * declared, keys that cannot be a table's. */
#include <stdlib.h>
#include <unistd.h>
#include <tandem/cfg.h>
#include <tandem/log.h>
#include <tandem/peers-t.h>
#include <tandem/persist-t.h>
#include <tandem/stick.h>
#include "cfg_test.h"

#define HEAD "defaults\n mode http\n timeout client 1s\n timeout server 1s\n timeout connect 1s\n"

static void test_ok(void)
{
	struct cfg *c;
	struct proxy *fe, *be;

	c = expect_ok("stick-table and rules",
		      HEAD
		      "frontend fe\n bind 127.0.0.1:1\n"
		      " stick-table type string len 40 size 2k expire 5m nopurge store gpc0,http_req_rate(10s) store conn_cur\n"
		      " http-request track-sc1 req.hdr(x) \n default_backend be\n"
		      "backend be\n stick-table type ip size 10\n stick on src\n stick match src table fe\n"
		      " server a 127.0.0.1:2\n");
	if (c) {
		const struct stk_conf *t = stk_conf_find(c, "fe"), *b = stk_conf_find(c, "be");

		CHECK("table stored", t && t->type == STK_T_STR && t->keylen == 40 && t->size == 2048 &&
		      t->expire == 300000 && t->nopurge);
		CHECK("store lines add up, rates keep their period",
		      t && (t->store >> STK_DT_GPC0 & 1) && (t->store >> STK_DT_CONN_CUR & 1) &&
		      t->period[STK_DT_HTTP_REQ_RATE] == 10000);
		CHECK("a table used by stick rules stores server_id", b && b->off[STK_DT_SERVER_ID] && t->off[STK_DT_SERVER_ID]);
		be = cfg_find_proxy(c, "be", PR_CAP_BE);
		CHECK("stick rules resolved", be && be->persist && be->persist->nstick == 2 &&
		      be->persist->stick[0].table == b && be->persist->stick[1].table == t &&
		      be->persist->stick[0].flags == (STICK_MATCH | STICK_STORE_REQ));
	}
	cfg_free(c);

	c = expect_ok("cookie and hashing in defaults",
		      HEAD " cookie SRV insert indirect nocache domain .a.example maxidle 30m maxlife 8h attr SameSite=Lax\n"
		      " hash-type consistent djb2 avalanche\n hash-balance-factor 150\n balance uri whole depth 2\n"
		      "backend be\n server a 127.0.0.1:2 cookie a1\n server b 127.0.0.1:3\n"
		      "backend be2\n dynamic-cookie-key secret\n cookie S insert dynamic\n"
		      " server a 127.0.0.1:2\n server b 127.0.0.1:3\n");
	if (c) {
		const struct px_persist *pp;
		struct server *a, *b;

		be = cfg_find_proxy(c, "be", PR_CAP_BE);
		pp = be ? be->persist : NULL;
		CHECK("cookie inherited", pp && !strcmp(pp->ck.name, "SRV") && pp->ck.mode == CK_INSERT &&
		      pp->ck.flags == (CK_F_INDIRECT | CK_F_NOCACHE) && pp->ck.maxidle == 1800 && pp->ck.maxlife == 28800 &&
		      !strcmp(pp->ck.domain, ".a.example") && !strcmp(pp->ck.attrs, "SameSite=Lax"));
		CHECK("hashing inherited", pp && be->lbalgo == LB_HASH && pp->hash.key == HK_URI && pp->hash.uri_whole &&
		      pp->hash.uri_depth == 2 && pp->hash.type == HT_CONSISTENT && pp->hash.func == HF_DJB2 &&
		      pp->hash.avalanche && pp->hash.balance_factor == 150);
		a = be ? proxy_find_server(be, "a") : NULL;
		CHECK("server cookie", a && a->cookie && !strcmp(a->cookie, "a1"));
		be = cfg_find_proxy(c, "be2", PR_CAP_BE);
		a = be ? proxy_find_server(be, "a") : NULL;
		b = be ? proxy_find_server(be, "b") : NULL;
		CHECK("dynamic cookies: 16 hex digits, one per address",
		      a && b && a->cookie && b->cookie && strlen(a->cookie) == 16 && strcmp(a->cookie, b->cookie));
	}
	cfg_free(c);

	c = expect_ok("consistent defaults to sdbm with avalanche", HEAD "backend be\n balance hdr(host) use_domain_only\n"
		      " hash-type consistent\n server a 127.0.0.1:2\n");
	if (c) {
		be = cfg_find_proxy(c, "be", PR_CAP_BE);
		CHECK("hash-type consistent alone", be->persist->hash.func == HF_SDBM && be->persist->hash.avalanche &&
		      be->persist->hash.key == HK_HDR && be->persist->hash.domain_only && !strcmp(be->persist->hash.name, "host"));
	}
	cfg_free(c);

	c = expect_ok("peers", "global\n localpeer n1\npeers p\n peer n1 127.0.0.1:10001\n peer n2 127.0.0.1:10002\n"
		      HEAD "backend be\n stick-table type ip size 1 peers p\n server a 127.0.0.1:2\n");
	if (c) {
		const struct stk_conf *t = stk_conf_find(c, "be");

		CHECK("a table names its peers, the local one found", t && t->peers && t->peers->npeers == 2 &&
		      t->peers->peers->local && !t->peers->peers->next->local);
	}
	cfg_free(c);

	c = expect_ok("url_param check_post waits for the body", HEAD "backend be\n balance url_param id check_post\n"
		      " server a 127.0.0.1:2\n");
	if (c) {
		be = cfg_find_proxy(c, "be", PR_CAP_BE);
		CHECK("check_post buffers the request", be->options & PR_O_HTTP_BUF_REQ);
	}
	cfg_free(c);

	c = expect_ok("layer 7 hash in TCP mode falls back", "defaults\n mode tcp\n timeout client 1s\n timeout server 1s\n"
		      " timeout connect 1s\nbackend be\n balance uri\n server a 127.0.0.1:2\n");
	if (c) {
		be = cfg_find_proxy(c, "be", PR_CAP_BE);
		CHECK("HAProxy's warning and round robin", be->lbalgo == LB_ROUNDROBIN && strstr(logbuf, "Layer 7 hash not possible"));
	}
	cfg_free(c);
	fe = NULL;
	(void)fe;
}

static void test_errors(void)
{
	expect_err("unknown stored data", HEAD "backend b\n stick-table type ip size 1 store gpc0,foo\n", 7,
		   "stick-table: unknown store option 'foo'.");
	expect_err("rate without a period", HEAD "backend b\n stick-table type ip size 1 store conn_rate\n", 7,
		   "stick-table: missing argument to store option 'conn_rate'.");
	expect_err("counter with an argument", HEAD "backend b\n stick-table type ip size 1 store gpc0(1s)\n", 7,
		   "stick-table: unexpected argument to store option 'gpc0'.");
	expect_err("gpc arrays", HEAD "backend b\n stick-table type ip size 1 store gpc(3)\n", 7,
		   "stick-table: store option 'gpc' is not supported by tandem (supported: server_id, gpt0, gpc0, gpc0_rate, gpc1, "
		   "gpc1_rate, conn_cnt, conn_cur, conn_rate, sess_cnt, sess_rate, http_req_cnt, http_req_rate, http_err_cnt, "
		   "http_err_rate, http_fail_cnt, http_fail_rate, bytes_in_cnt, bytes_in_rate, bytes_out_cnt, bytes_out_rate).");
	expect_err("missing size", HEAD "backend b\n stick-table type ip\n", 7, "stick-table: missing size.");
	expect_err("missing type", HEAD "backend b\n stick-table size 10\n", 7, "stick-table: missing type.");
	expect_err("unknown type", HEAD "backend b\n stick-table type mac size 10\n", 7,
		   "stick-table: unknown type 'mac' (expects ip, ipv6, integer, string or binary).");
	expect_err("len on ip", HEAD "backend b\n stick-table type ip len 4 size 10\n", 7, "stick-table: unknown argument 'len'.");
	expect_err("two tables", HEAD "backend b\n stick-table type ip size 1\n stick-table type ip size 1\n", 8,
		   "stick-table: only one stick-table per proxy (one was declared at line 7).");
	expect_err("expire overflow", HEAD "backend b\n stick-table type ip size 1 expire 30d\n", 7,
		   "stick-table: timer overflow in argument <30d> to <expire>, maximum value is 2147483647 ms (~24.8 days).");
	expect_err("track-sc index", HEAD "frontend f\n bind :1\n stick-table type ip size 1\n http-request track-sc3 src\n", 9,
		   "'http-request track-sc3' is not supported by tandem: stick counter index out of range: tandem tracks sc0, sc1 "
		   "and sc2 (track-sc0, track-sc1, track-sc2).");
	expect_err("sc-inc-gpc0 index", HEAD "frontend f\n bind :1\n http-request sc-inc-gpc0(5)\n", 8,
		   "'sc-inc-gpc0(5)': invalid stick counter index 5 (must be between 0 and 2).");
	expect_err("fetch index", HEAD "frontend f\n bind :1\n http-request deny if { sc_conn_cur(4) gt 1 }\n", 8,
		   "error detected while parsing an 'http-request deny' condition : ACL keyword 'sc_conn_cur(4)' : invalid "
		   "stick counter index 4 (must be between 0 and 2).");
	expect_err("table not declared (track)", HEAD "frontend f\n bind :1\n http-request track-sc0 src table nope\n", 8,
		   "unable to find stick-table 'nope' referenced by 'track-sc0'.");
	expect_err("own table not declared (track)", HEAD "frontend f\n bind :1\n http-request track-sc0 src\n", 8,
		   "unable to find stick-table 'f' referenced by 'track-sc0'.");
	expect_err("table not declared (fetch)", HEAD "frontend f\n bind :1\n http-request deny if { src_conn_rate gt 1 }\n", 8,
		   "unable to find stick-table 'f' referenced by 'src_conn_rate'.");
	expect_err("table not declared (stick)", HEAD "backend b\n stick on src table zz\n server a 127.0.0.1:1\n", 7,
		   "Proxy 'b': unable to find stick-table 'zz'.");
	expect_err("key type (stick)", HEAD "backend b\n stick-table type ipv6 size 1\n stick on req.hdr(x),length\n", 8,
		   "Proxy 'b': type of fetch method 'req.hdr(x),length' (sint) is incompatible with type 'ipv6' of stick-table 'b'.");
	expect_err("key type (track)", HEAD "frontend f\n bind :1\n stick-table type ip size 1\n"
		   " http-request track-sc0 req.hdr(x),length,bool\n", 9,
		   "'track-sc0': type of fetch method 'req.hdr(x),length,bool' (bool) is incompatible with type 'ip' of stick-table 'f'.");
	expect_err("stick in a frontend", HEAD "frontend f\n bind :1\n stick on src\n", 8, "'stick' not allowed in 'frontend' section.");
	expect_err("cookie modes", HEAD "backend b\n cookie S insert prefix\n", 7,
		   "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
	expect_err("cookie rewrite indirect", HEAD "backend b\n cookie S rewrite indirect\n", 7,
		   "cookie 'rewrite' and 'indirect' modes are incompatible.");
	expect_err("cookie preserve", HEAD "backend b\n cookie S prefix preserve\n", 7,
		   "cookie 'preserve' requires at least 'insert' or 'indirect'.");
	expect_err("cookie attr", HEAD "backend b\n cookie S insert attr \"a;b\"\n", 7,
		   "character '%x3B' is not permitted in attribute value.");
	expect_err("cookie option", HEAD "backend b\n cookie S insert sticky\n", 7,
		   "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'preserve', 'httponly', "
		   "'secure', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.");
	expect_err("server cookie value", HEAD "backend b\n server a 127.0.0.1:1 cookie a;b\n", 7,
		   "'cookie': character ';' is not permitted in a cookie value ('a;b').");
	expect_err("hash-type", HEAD "backend b\n hash-type ring\n", 7, "'hash-type' requires 'map-based' or 'consistent' (got 'ring').");
	expect_err("hash function", HEAD "backend b\n hash-type consistent md5\n", 7,
		   "'hash-type' only supports 'sdbm', 'djb2', 'wt6', 'crc32' or 'none' hash functions (got 'md5').");
	expect_err("balance factor", HEAD "backend b\n hash-balance-factor 50\n", 7,
		   "'hash-balance-factor' expects an integer argument of 0 or at least 100 (got '50').");
	expect_err("balance uri option", HEAD "backend b\n balance uri deep\n", 7,
		   "uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'deep').");
	expect_err("balance url_param", HEAD "backend b\n balance url_param\n", 7, "url_param requires an URL parameter name.");
	expect_err("balance hash", HEAD "backend b\n balance hash nope()\n", 7, "'balance hash': unknown fetch method 'nope'.");
	expect_err("peers section unknown", HEAD "backend b\n stick-table type ip size 1 peers zz\n", 7,
		   "Proxy 'b': unable to find sync peers 'zz'.");
	expect_err("peers without the local one", "global\n localpeer me\npeers p\n peer a 127.0.0.1:1\n"
		   HEAD "backend b\n stick-table type ip size 1 peers p\n", 3,
		   "peers section 'p': no peer is named after the local peer 'me' (set 'localpeer' in the global section, or name a "
		   "peer after the host).");
	expect_err("peer address", "peers p\n peer a nowhere.invalid.\n", 2, "'peer a' : missing port number in 'nowhere.invalid.'.");
}

int main(void)
{
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
	if (cfg_test_init("/tmp/tandem-stkcfg-XXXXXX") < 0)
		return 1;
	test_ok();
	test_errors();
	cfg_test_done();
	UNIT_END();
}
