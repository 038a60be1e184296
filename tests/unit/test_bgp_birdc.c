/* BIRD's control socket protocol (src/bgp/birdc.c) and the "can serve"
 * decision (src/bgp/decide.c): line forms, resumability (every split of a
 * real transcript gives the same lines), each refusal, the meaning of the
 * replies BIRD 2.0.12 gives to enable/disable/echo (transcripts recorded
 * from bird 2.0.12 with socat), command text, and the decision table. */
#include <stdlib.h>
#include <tandem/bgp.h>
#include "unit.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

/* Parse all of <s> in pieces of <step> bytes (0: all at once). Fills
 * lines[] and returns the count, or -1 on a protocol error. */
static int parse_all(const char *s, size_t step, struct birdc_line *lines, int max, const char **err)
{
	struct birdc_parser p;
	size_t len = strlen(s), off = 0;
	int n = 0;

	birdc_init(&p);
	while (off < len) {
		size_t chunk = step ? MIN(step, len - off) : len - off, used = 0, coff = 0;

		while (coff < chunk) {
			struct birdc_line l;
			int r = birdc_parse(&p, s + off + coff, chunk - coff, &used, &l);

			if (r < 0) {
				*err = p.err;
				return -1;
			}
			coff += used;
			if (r == 1 && n < max)
				lines[n++] = l;
		}
		off += chunk;
	}
	return n;
}


static const char *show_protocols =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-device1    Device     ---        up     01:30:53.294  \n"
	" any_web    Static     master4    down   01:30:53.294  \n"
	"0000 \n";

static void test_lines(void)
{
	struct birdc_line l[16];
	const char *err = NULL;
	int n = parse_all(show_protocols, 0, l, 16, &err);

	CHECK("show protocols: 4 lines", n == 4);
	if (n != 4)
		return;
	CHECK("heading: code 2002, part", l[0].kind == BIRDC_PART && l[0].code == 2002 && !strncmp(l[0].text, "Name", 4));
	CHECK("table entry 1002", l[1].kind == BIRDC_PART && l[1].code == 1002 && !strncmp(l[1].text, "device1", 7));
	CHECK("continuation keeps the code of the line before",
	      l[2].kind == BIRDC_PART && l[2].code == 1002 && !strncmp(l[2].text, "any_web", 7));
	CHECK("last line 0000 with empty text", l[3].kind == BIRDC_LAST && l[3].code == 0 && l[3].len == 0);

	n = parse_all("0001 BIRD 2.0.12 ready.\n", 0, l, 16, &err);
	CHECK("greeting", n == 1 && l[0].kind == BIRDC_LAST && l[0].code == 1 && !strcmp(l[0].text, "BIRD 2.0.12 ready."));
	n = parse_all("+Reconfiguring\n+Disabling protocol any_web\n0011-any_web: enabled\n0000 \n", 0, l, 16, &err);
	CHECK("spontaneous lines before a reply", n == 4 && l[0].kind == BIRDC_ASYNC && !strcmp(l[0].text, "Reconfiguring") &&
	      l[1].kind == BIRDC_ASYNC && l[2].kind == BIRDC_PART && l[2].code == 11 && l[3].kind == BIRDC_LAST);
	n = parse_all("0000\n", 0, l, 16, &err);
	CHECK("a code alone is a last line", n == 1 && l[0].kind == BIRDC_LAST && l[0].code == 0 && !l[0].len);
	n = parse_all("1007-x\n+async inside a reply\n continued\n0000 \n", 0, l, 16, &err);
	CHECK("an async line inside a reply does not end it", n == 4 && l[2].kind == BIRDC_PART && l[2].code == 1007);
}

static void test_long_line(void)
{
	char big[2000];
	struct birdc_line l[4];
	const char *err = NULL;
	int n;

	memcpy(big, "1007-", 5);
	memset(big + 5, 'x', 1000);
	strcpy(big + 1005, "\n0000 \n");
	n = parse_all(big, 7, l, 4, &err);
	CHECK("a long line is cut, not refused", n == 2 && l[0].cut && l[0].len == BIRDC_TEXT_MAX &&
	      strlen(l[0].text) == BIRDC_TEXT_MAX && l[1].kind == BIRDC_LAST && !l[1].cut);
}

static void test_splits(void)
{
	const char *t = "0001 BIRD 2.0.12 ready.\n0011-any_web: enabled\n0000 \n+Enabling protocol any_web\n"
			"1000-BIRD 2.0.12\n1011-Router ID is 10.0.0.1\n Hostname is vm\n0013 Daemon is up and running\n";
	struct birdc_line whole[16], piece[16];
	const char *err = NULL;
	int n = parse_all(t, 0, whole, 16, &err), ok = n == 8;

	for (size_t step = 1; ok && step < strlen(t); step++) {
		int m = parse_all(t, step, piece, 16, &err);

		ok = m == n;
		for (int i = 0; ok && i < n; i++)
			ok = piece[i].kind == whole[i].kind && piece[i].code == whole[i].code && !strcmp(piece[i].text, whole[i].text);
	}
	CHECK("every split of a transcript gives the same lines", ok);
}

static void expect_refused(const char *name, const char *s, const char *frag)
{
	struct birdc_line l[8];
	const char *err = NULL;
	int n = parse_all(s, 0, l, 8, &err);

	CHECKF(n < 0 && err && strstr(err, frag), "refused: %s", name);
	if (!(n < 0 && err && strstr(err, frag)))
		printf("  got n=%d err=%s\n", n, err ? err : "-");
}

static void test_refusals(void)
{
	struct birdc_parser p;
	struct birdc_line l;
	size_t used;

	expect_refused("HTTP instead of BIRD", "HTTP/1.1 200 OK\n", "no reply code");
	expect_refused("three digits", "001 x\n", "fewer than four digits");
	expect_refused("five digits", "00011 x\n", "neither '-' nor ' '");
	expect_refused("continuation outside a reply", " orphan\n", "outside a reply");
	expect_refused("continuation after the last line", "0000 \n more\n", "outside a reply");
	expect_refused("empty line", "\n", "empty line");
	birdc_init(&p);
	CHECK("the parser stays refused", birdc_parse(&p, "x\n", 2, &used, &l) < 0 &&
	      birdc_parse(&p, "0000 \n", 6, &used, &l) < 0);
	birdc_init(&p);
	CHECK("incomplete line: 0, all bytes used", birdc_parse(&p, "0000 abc", 8, &used, &l) == 0 && used == 8);
	CHECK("then completed", birdc_parse(&p, "def\n", 4, &used, &l) == 1 && used == 4 && !strcmp(l.text, "abcdef"));
}

/* Feed a transcript to a reply of <cmd> for <proto>. */
static int reply_of(int cmd, const char *proto, const char *s, struct birdc_reply *r)
{
	struct birdc_line l[16];
	const char *err = NULL;
	int n = parse_all(s, 0, l, 16, &err), done = 0;

	birdc_reply_init(r, cmd, proto);
	for (int i = 0; i < n; i++)
		if (l[i].kind != BIRDC_ASYNC)
			done = birdc_reply_line(r, &l[i]);
	return done;
}

static void test_replies(void)
{
	struct birdc_reply r;

	CHECK("greeting ok", reply_of(BIRDC_HELLO, NULL, "0001 BIRD 2.0.12 ready.\n", &r) && r.res == BIRDC_R_OK);
	CHECK("greeting refused when not 0001", reply_of(BIRDC_HELLO, NULL, "8000 nope\n", &r) && r.res == BIRDC_R_ERROR);
	CHECK("enable: 0011 changed", reply_of(BIRDC_ENABLE, "any_web", "0011-any_web: enabled\n0000 \n", &r) &&
	      r.res == BIRDC_R_CHANGED && !strcmp(r.msg, "0011 any_web: enabled"));
	CHECK("enable: 0010 already", reply_of(BIRDC_ENABLE, "any_web", "0010-any_web: already enabled\n0000 \n", &r) &&
	      r.res == BIRDC_R_ALREADY);
	CHECK("disable: 0009 changed", reply_of(BIRDC_DISABLE, "any_web", "0009-any_web: disabled\n0000 \n", &r) &&
	      r.res == BIRDC_R_CHANGED);
	CHECK("disable: 0008 already", reply_of(BIRDC_DISABLE, "any_web", "0008-any_web: already disabled\n0000 \n", &r) &&
	      r.res == BIRDC_R_ALREADY);
	CHECK("unknown protocol: 8003", reply_of(BIRDC_ENABLE, "nosuch", "8003 No protocols match\n", &r) &&
	      r.res == BIRDC_R_NOMATCH && !strcmp(r.msg, "8003 No protocols match"));
	CHECK("restricted: 8007", reply_of(BIRDC_DISABLE, "any_web", "8007 Access denied\n", &r) && r.res == BIRDC_R_DENIED);
	CHECK("syntax error: 9001", reply_of(BIRDC_ENABLE, "f1", "9001 Protocol name required\n", &r) && r.res == BIRDC_R_ERROR);
	CHECK("a success naming another protocol is an error",
	      reply_of(BIRDC_ENABLE, "any_web", "0011-other: enabled\n0000 \n", &r) && r.res == BIRDC_R_ERROR);
	CHECK("a prefix of our name is not our name",
	      reply_of(BIRDC_ENABLE, "any", "0011-any_web: enabled\n0000 \n", &r) && r.res == BIRDC_R_ERROR);
	CHECK("disable codes do not answer enable",
	      reply_of(BIRDC_ENABLE, "any_web", "0009-any_web: disabled\n0000 \n", &r) && r.res == BIRDC_R_ERROR);
	CHECK("async lines in between are ignored",
	      reply_of(BIRDC_ENABLE, "any_web", "+Reconfigured\n0010-any_web: already enabled\n0000 \n", &r) &&
	      r.res == BIRDC_R_ALREADY);
	CHECK("an incomplete reply is pending", !reply_of(BIRDC_ENABLE, "any_web", "0011-any_web: enabled\n", &r) &&
	      r.res == BIRDC_R_PENDING);
	CHECK("echo ok", reply_of(BIRDC_ECHO, NULL, "0000 \n", &r) && r.res == BIRDC_R_OK);
	CHECK("echo refused", reply_of(BIRDC_ECHO, NULL, "8007 Access denied\n", &r) && r.res == BIRDC_R_ERROR);
}

static void test_commands(void)
{
	char b[128];
	char long_name[80];

	CHECK("enable text", birdc_cmd_build(b, sizeof(b), BIRDC_ENABLE, "any_web") == 17 && !strcmp(b, "enable \"any_web\"\n"));
	CHECK("disable text", birdc_cmd_build(b, sizeof(b), BIRDC_DISABLE, "_x9") && !strcmp(b, "disable \"_x9\"\n"));
	CHECK("echo text", birdc_cmd_build(b, sizeof(b), BIRDC_ECHO, NULL) && !strcmp(b, "echo { info }\n"));
	CHECK("pattern characters refused", !birdc_cmd_build(b, sizeof(b), BIRDC_ENABLE, "any_*") &&
	      !birdc_cmd_build(b, sizeof(b), BIRDC_ENABLE, "a\"b") && !birdc_cmd_build(b, sizeof(b), BIRDC_ENABLE, "a b"));
	CHECK("no leading digit, no empty name", !birdc_proto_name_ok("1abc") && !birdc_proto_name_ok(""));
	memset(long_name, 'a', 63);
	long_name[63] = 0;
	CHECK("63 characters is the longest name", birdc_proto_name_ok(long_name));
	long_name[63] = 'a';
	long_name[64] = 0;
	CHECK("64 characters is too long", !birdc_proto_name_ok(long_name));
	CHECK("a small buffer: 0", !birdc_cmd_build(b, 10, BIRDC_ENABLE, "any_web"));
}

static void test_decide(void)
{
	int why, track, usable[3] = { 2, -1, 0 };

	CHECK("no worker yet: starting", !bgp_decide(0, -1, 0, 5000, NULL, 0, &why, &track) && why == BGP_WHY_STARTING);
	CHECK("worker beats: ready", bgp_decide(0, 40, 4000, 5000, NULL, 0, &why, &track) && why == BGP_WHY_READY);
	CHECK("1 s without a beat is still serving", bgp_decide(1, BGP_STALE_MS, 1000, 5000, NULL, 0, &why, &track));
	CHECK("longer: the worker stopped serving",
	      !bgp_decide(1, BGP_STALE_MS + 1, 1000, 5000, NULL, 0, &why, &track) && why == BGP_WHY_WORKER);
	CHECK("a new worker gets 1 s to beat", bgp_decide(1, 3000, 4500, 5000, NULL, 0, &why, &track) &&
	      !bgp_decide(1, 3000, 3900, 5000, NULL, 0, &why, &track));
	CHECK("...but not before the first one served", !bgp_decide(0, 3000, 4500, 5000, NULL, 0, &why, &track) &&
	      why == BGP_WHY_STARTING);
	CHECK("usable or unknown backends do not count against", bgp_decide(1, 10, 0, 5000, usable, 2, &why, &track));
	CHECK("an empty tracked backend withdraws, and is named",
	      !bgp_decide(1, 10, 0, 5000, usable, 3, &why, &track) && why == BGP_WHY_BACKEND && track == 2);
	CHECK("the worker is judged before the backends",
	      !bgp_decide(1, 5000, 0, 9000, usable, 3, &why, &track) && why == BGP_WHY_WORKER);
}

static void test_state_words(void)
{
	struct bgp_snap s;

	memset(&s, 0, sizeof(s));
	s.naddrs = 2;
	s.addrs[0].bird = s.addrs[1].bird = 1;
	s.want = 1;
	CHECK("BIRD down: unknown", !strcmp(bgp_state_str(&s), "unknown"));
	s.bird = BGP_BIRD_UP;
	CHECK("all enabled and wanted: announced", !strcmp(bgp_state_str(&s), "announced"));
	s.addrs[1].bird = -1;
	CHECK("one not confirmed: announcing", !strcmp(bgp_state_str(&s), "announcing"));
	s.want = 0;
	s.addrs[0].bird = 1;
	s.addrs[1].bird = 0;
	CHECK("not wanted, one still enabled: withdrawing", !strcmp(bgp_state_str(&s), "withdrawing"));
	s.addrs[0].bird = 0;
	CHECK("all disabled: withdrawn", !strcmp(bgp_state_str(&s), "withdrawn"));
}

int main(void)
{
	test_lines();
	test_long_line();
	test_splits();
	test_refusals();
	test_replies();
	test_commands();
	test_decide();
	test_state_words();
	UNIT_END();
}
