/* option forwardfor as http_build_req_head applies it: `except` networks
 * (IPv4, IPv6, dotted masks, odd prefix lengths, IPv4-mapped clients), the
 * header name and if-none when the frontend and the backend both set the
 * option (HAProxy's rules), and the header value. Each case parses a real
 * request head and looks at the head built for the server. */
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tandem/buf.h>
#include <tandem/h1.h>
#include <tandem/stream.h>
#include "unit.h"

static struct proxy fe, be;
static struct stream st;

static void set_cli(const char *ip)
{
	memset(&st.cli_addr, 0, sizeof(st.cli_addr));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&st.cli_addr;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(40000);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&st.cli_addr;
		a->sin_family = AF_INET;
		a->sin_port = htons(40000);
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
}

/* `option forwardfor [except NET] [header NAME] [if-none]` on <px>, with the
 * network fields filled the way the parser stores them (host bits cleared). */
static void fwdfor(struct proxy *px, const char *net, int bits, const char *hdr, int ifnone)
{
	px->options |= PR_O_FORWARDFOR;
	px->options = ifnone ? px->options | PR_O_FWDFOR_IFNONE : px->options & ~PR_O_FWDFOR_IFNONE;
	px->fwdfor_hdr = (char *)(hdr ? hdr : "X-Forwarded-For");
	px->fwdfor_except_af = 0;
	memset(px->fwdfor_except_addr, 0, 16);
	px->fwdfor_except_bits = 0;
	if (net) {
		px->fwdfor_except_af = strchr(net, ':') ? AF_INET6 : AF_INET;
		inet_pton(px->fwdfor_except_af, net, px->fwdfor_except_addr);
		px->fwdfor_except_bits = bits;
	}
}

static void reset(void)
{
	memset(&fe, 0, sizeof(fe));
	memset(&be, 0, sizeof(be));
	fe.id = "fe"; fe.cap = PR_CAP_FE; fe.mode = PR_MODE_HTTP;
	be.id = "be"; be.cap = PR_CAP_BE; be.mode = PR_MODE_HTTP;
	/* a stale name on a proxy without the option must not be used */
	fe.fwdfor_hdr = be.fwdfor_hdr = "X-Stale";
	memset(&st, 0, sizeof(st));
	st.fe = &fe;
	st.be = &be;
	set_cli("192.0.2.7");
}

static char head[4096];

/* Build the server-side head of <req>; returns it (NUL-terminated) or "". */
static const char *build(const char *req)
{
	static const struct h1_limits lim = { 8192, H1_MAX_HDRS };
	struct h1_msg m;
	struct buf out = { 0 };

	head[0] = '\0';
	memset(&m, 0, sizeof(m));
	if (h1_parse_request(req, strlen(req), &m, &lim) <= 0 || buf_alloc(&out, sizeof(head) - 1) < 0)
		return head;
	if (http_build_req_head(&st, &m, &out) == 0) {
		memcpy(head, buf_ptr(&out), out.data);
		head[out.data] = '\0';
	}
	buf_free(&out);
	return head;
}

#define REQ "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
#define REQ_XFF "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n"

static int has(const char *h) { return strstr(head, h) != NULL; }

static void test_except(void)
{
	reset();
	build(REQ);
	CHECK("no option: no header", head[0] && !has("X-Forwarded-For") && !has("X-Stale"));

	fwdfor(&fe, NULL, 0, NULL, 0);
	build(REQ);
	CHECK("frontend option adds client address", has("\r\nX-Forwarded-For: 192.0.2.7\r\n"));

	fwdfor(&fe, "10.0.0.0", 8, NULL, 0);
	set_cli("10.20.30.40");
	build(REQ);
	CHECK("client in except 10.0.0.0/8: no header", head[0] && !has("X-Forwarded-For"));
	set_cli("11.0.0.1");
	build(REQ);
	CHECK("client outside except: header", has("X-Forwarded-For: 11.0.0.1\r\n"));

	fwdfor(&fe, "127.0.0.1", 32, NULL, 0);
	set_cli("127.0.0.1");
	build(REQ);
	CHECK("except single host /32", head[0] && !has("X-Forwarded-For"));
	set_cli("127.0.0.2");
	build(REQ);
	CHECK("neighbour of /32 gets header", has("X-Forwarded-For: 127.0.0.2"));

	fwdfor(&fe, "192.168.0.0", 20, NULL, 0);   /* 192.168.0.0 - 192.168.15.255 */
	set_cli("192.168.15.255");
	build(REQ);
	CHECK("odd prefix /20: last address excepted", head[0] && !has("X-Forwarded-For"));
	set_cli("192.168.16.0");
	build(REQ);
	CHECK("odd prefix /20: next address not", has("X-Forwarded-For: 192.168.16.0"));

	fwdfor(&fe, "0.0.0.0", 0, NULL, 0);
	set_cli("203.0.113.9");
	build(REQ);
	CHECK("except 0.0.0.0/0 covers every IPv4 client", head[0] && !has("X-Forwarded-For"));
	set_cli("2001:db8::1");
	build(REQ);
	CHECK("IPv4 except does not cover an IPv6 client", has("X-Forwarded-For: 2001:db8::1\r\n"));

	fwdfor(&fe, "10.0.0.0", 8, NULL, 0);
	set_cli("::ffff:10.1.2.3");
	build(REQ);
	CHECK("IPv4-mapped client inside IPv4 except", head[0] && !has("X-Forwarded-For"));
	set_cli("::ffff:11.1.2.3");
	build(REQ);
	CHECK("IPv4-mapped client outside IPv4 except", has("X-Forwarded-For: ::ffff:11.1.2.3"));

	fwdfor(&fe, "fd00::", 8, NULL, 0);
	set_cli("fdab:1::5");
	build(REQ);
	CHECK("IPv6 except fd00::/8", head[0] && !has("X-Forwarded-For"));
	set_cli("fe80::1");
	build(REQ);
	CHECK("IPv6 outside fd00::/8", has("X-Forwarded-For: fe80::1"));
	set_cli("10.0.0.1");
	build(REQ);
	CHECK("IPv6 except does not cover an IPv4 client", has("X-Forwarded-For: 10.0.0.1"));

	fwdfor(&fe, "2001:db8:0:1::", 65, NULL, 0);
	set_cli("2001:db8:0:1:7fff::1");
	build(REQ);
	CHECK("IPv6 /65 inside", head[0] && !has("X-Forwarded-For"));
	set_cli("2001:db8:0:1:8000::1");
	build(REQ);
	CHECK("IPv6 /65 outside", has("X-Forwarded-For: 2001:db8:0:1:8000::1"));

	fwdfor(&fe, "2001:db8::1", 128, NULL, 0);
	set_cli("2001:db8::1");
	build(REQ);
	CHECK("IPv6 /128 host", head[0] && !has("X-Forwarded-For"));
}

static void test_fe_be(void)
{
	/* the backend's except applies too, whichever side names the header */
	reset();
	fwdfor(&fe, NULL, 0, NULL, 0);
	fwdfor(&be, "10.0.0.0", 8, NULL, 0);
	set_cli("10.9.9.9");
	build(REQ);
	CHECK("backend except skips the header the frontend asked for", head[0] && !has("X-Forwarded-For"));

	reset();
	fwdfor(&fe, "10.0.0.0", 8, NULL, 0);
	fwdfor(&be, NULL, 0, "X-Client", 0);
	set_cli("10.9.9.9");
	build(REQ);
	CHECK("frontend except applies with a backend option", head[0] && !has("X-Client") && !has("X-Forwarded-For"));
	set_cli("172.16.0.1");
	build(REQ);
	CHECK("backend header name wins", has("\r\nX-Client: 172.16.0.1\r\n") && !has("X-Forwarded-For"));

	reset();
	fwdfor(&fe, NULL, 0, "X-Real-IP", 0);
	build(REQ);
	CHECK("frontend header name when the backend has no option", has("X-Real-IP: 192.0.2.7") && !has("X-Stale"));

	reset();
	fwdfor(&be, "10.0.0.0", 8, "X-Be", 0);
	build(REQ);
	CHECK("backend alone", has("X-Be: 192.0.2.7"));
	set_cli("10.0.0.1");
	build(REQ);
	CHECK("backend alone, excepted client", head[0] && !has("X-Be"));

	/* if-none */
	reset();
	fwdfor(&fe, NULL, 0, NULL, 1);
	build(REQ_XFF);
	CHECK("if-none: existing header kept, none added",
	      has("X-Forwarded-For: 1.1.1.1\r\n") && !has("X-Forwarded-For: 192.0.2.7"));
	build(REQ);
	CHECK("if-none: added when absent", has("X-Forwarded-For: 192.0.2.7"));
	fwdfor(&be, NULL, 0, NULL, 0);
	build(REQ_XFF);
	CHECK("if-none on one side only: the other side wants it always",
	      has("X-Forwarded-For: 1.1.1.1\r\n") && has("X-Forwarded-For: 192.0.2.7\r\n"));
	fwdfor(&be, NULL, 0, NULL, 1);
	build(REQ_XFF);
	CHECK("if-none on both sides", !has("X-Forwarded-For: 192.0.2.7"));
	fwdfor(&be, NULL, 0, "X-Other", 1);
	build(REQ_XFF);
	CHECK("if-none looks for the name actually used", has("X-Other: 192.0.2.7"));

	/* a listen: frontend and backend are the same proxy */
	reset();
	st.be = &fe;
	fwdfor(&fe, "10.0.0.0", 8, NULL, 0);
	build(REQ);
	CHECK("listen proxy", has("X-Forwarded-For: 192.0.2.7"));
	set_cli("10.1.1.1");
	build(REQ);
	CHECK("listen proxy, excepted", head[0] && !has("X-Forwarded-For"));
}

int main(void)
{
	test_except();
	test_fe_be();
	UNIT_END();
}
