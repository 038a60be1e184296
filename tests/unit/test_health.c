/* The health state machine (src/check/health.c) with simulated time:
 * rise/fall, init-state, interval choice, observe/on-error/error-limit,
 * tandem's immediate rule, nginx's max-fails/fail-timeout window,
 * max-ejected-percent refusals and the slowstart ramp. */
#include <stdlib.h>
#include <tandem/check.h>
#include "unit.h"

static struct hs_conf base(void)
{
	struct hs_conf c = { 0 };

	c.has_check = 1;
	c.rise = 2;
	c.fall = 3;
	c.inter = 2000;
	c.error_limit = 10;
	c.on_error = ONERR_FAILCHK;
	c.fail_timeout = 10000;
	c.uweight = 1;
	c.ramp = 1;
	return c;
}

static struct hs_out out;

static void chk(struct hs *h, const struct hs_conf *c, int status, uint64_t now)
{
	struct hs_event ev = { .type = HS_EV_CHECK, .status = status, .code = status == HCHK_L7OK ? 200 : 0,
			       .duration = 1, .desc = NULL };
	hs_step(h, c, &ev, now, NULL, NULL, &out);
}

static int allow_eject = 1, eject_asked;
static int may_eject(void *arg)
{
	(void)arg;
	eject_asked++;
	return allow_eject;
}

static void obs(struct hs *h, const struct hs_conf *c, int e, uint64_t now)
{
	struct hs_event ev = { .type = HS_EV_OBSERVE, .obs = e };
	hs_step(h, c, &ev, now, may_eject, NULL, &out);
}

static void tick(struct hs *h, const struct hs_conf *c, uint64_t now)
{
	struct hs_event ev = { .type = HS_EV_TICK };
	hs_step(h, c, &ev, now, may_eject, NULL, &out);
}

static void test_rise_fall(void)
{
	struct hs_conf c = base();
	struct hs h;

	hs_init(&h, &c, 0);
	CHECK("default init: DOWN", h.state == SRV_ST_STOPPED);
	CHECK("default init: health rise-1", h.health == 1);
	CHECK("default init: transitional (DOWN 1/2)", hs_transitional(&h, &c));
	chk(&h, &c, HCHK_L7OK, 100);
	CHECK("first success brings it UP", out.went_up && h.state == SRV_ST_RUNNING);
	CHECK("UP means full health", h.health == 4);
	CHECK("reason kept for the log", out.status == HCHK_L7OK && out.code == 200);
	chk(&h, &c, HCHK_L7STS, 200);
	CHECK("1 failure: still UP", !out.went_down && h.state == SRV_ST_RUNNING && h.health == 3);
	CHECK("UP 1/3 is transitional", hs_transitional(&h, &c));
	chk(&h, &c, HCHK_L4CON, 300);
	CHECK("2 failures: still UP", !out.went_down && h.health == 2);
	chk(&h, &c, HCHK_L4CON, 400);
	CHECK("fall failures: DOWN", out.went_down && h.state == SRV_ST_STOPPED && h.health == 0);
	CHECK("chkfail counts failed checks", h.chkfail == 3);
	CHECK("chkdown counts UP->DOWN", h.chkdown == 1);
	chk(&h, &c, HCHK_L4CON, 500);
	CHECK("failure at 0 not counted again", h.chkfail == 3 && h.health == 0);
	chk(&h, &c, HCHK_L4OK, 600);
	CHECK("1 success from 0: DOWN 1/2", !out.went_up && h.health == 1 && h.state == SRV_ST_STOPPED);
	chk(&h, &c, HCHK_L4CON, 700);
	CHECK("failure while rising drops to 0", h.health == 0);
	chk(&h, &c, HCHK_L4OK, 800);
	chk(&h, &c, HCHK_L4OK, 900);
	CHECK("rise successes: UP", out.went_up && h.state == SRV_ST_RUNNING && h.health == 4);
	CHECK("downtime accounted (initial DOWN included)", h.downtime == 100 + (900 - 400));
}

static void test_init_state(void)
{
	struct hs_conf c = base();
	struct hs h;

	c.init_state = INIT_FULLY_DOWN;
	hs_init(&h, &c, 0);
	CHECK("fully-down: DOWN at 0", h.state == SRV_ST_STOPPED && h.health == 0);
	chk(&h, &c, HCHK_L4OK, 1);
	CHECK("fully-down: 1 success not enough", h.state == SRV_ST_STOPPED);
	chk(&h, &c, HCHK_L4OK, 2);
	CHECK("fully-down: rise successes", h.state == SRV_ST_RUNNING);

	c.init_state = INIT_DOWN;
	hs_init(&h, &c, 0);
	chk(&h, &c, HCHK_L4OK, 1);
	CHECK("down: one success", h.state == SRV_ST_RUNNING);

	c.init_state = INIT_UP;
	hs_init(&h, &c, 0);
	CHECK("up: UP at start", h.state == SRV_ST_RUNNING && h.health == 2);
	chk(&h, &c, HCHK_L4CON, 1);
	CHECK("up: one failure takes it down", h.state == SRV_ST_STOPPED);

	c.init_state = INIT_FULLY_UP;
	hs_init(&h, &c, 0);
	CHECK("fully-up: full health", h.state == SRV_ST_RUNNING && h.health == 4);
	chk(&h, &c, HCHK_L4CON, 1);
	chk(&h, &c, HCHK_L4CON, 2);
	CHECK("fully-up: fall-1 failures keep it UP", h.state == SRV_ST_RUNNING);
	chk(&h, &c, HCHK_L4CON, 3);
	CHECK("fully-up: fall failures", h.state == SRV_ST_STOPPED);

	c = base();
	c.has_check = 0;
	c.init_state = INIT_DOWN;
	hs_init(&h, &c, 0);
	CHECK("no check: always UP", h.state == SRV_ST_RUNNING);
	chk(&h, &c, HCHK_L4CON, 1);
	CHECK("no check: check results ignored", h.state == SRV_ST_RUNNING);
	obs(&h, &c, OBS_CONN_ERR, 2);
	CHECK("no check: live errors ignored without max-fails", h.state == SRV_ST_RUNNING);

	c = base();
	c.rise = 1;
	hs_init(&h, &c, 0);
	CHECK("rise 1, init down: health 0", h.state == SRV_ST_STOPPED && h.health == 0);
}

static void test_intervals(void)
{
	struct hs_conf c = base();
	struct hs h;

	c.fastinter = 500;
	c.downinter = 5000;
	c.init_state = INIT_FULLY_UP;
	hs_init(&h, &c, 0);
	CHECK("fully UP: inter", hs_next_inter(&h, &c) == 2000);
	chk(&h, &c, HCHK_L4CON, 1);
	CHECK("going down: fastinter", hs_next_inter(&h, &c) == 500);
	chk(&h, &c, HCHK_L4CON, 2);
	chk(&h, &c, HCHK_L4CON, 3);
	CHECK("DOWN at 0: downinter", hs_next_inter(&h, &c) == 5000);
	chk(&h, &c, HCHK_L4OK, 4);
	CHECK("going up: fastinter", hs_next_inter(&h, &c) == 500);
	c.fastinter = c.downinter = 0;
	CHECK("no fastinter: inter", hs_next_inter(&h, &c) == 2000);
	chk(&h, &c, HCHK_L4CON, 5);
	CHECK("no downinter: inter", hs_next_inter(&h, &c) == 2000);
	chk(&h, &c, HCHK_L4OK, 6);
	chk(&h, &c, HCHK_L4OK, 7);
	c.fastinter = 500;
	h.fastinter = 1;
	CHECK("forced fastinter while fully UP", hs_next_inter(&h, &c) == 500);
}

static void test_observe(void)
{
	struct hs_conf c = base();
	struct hs h;
	int i;

	c.observe = OBS_MODE_L7;
	c.error_limit = 3;
	c.fastinter = 100;
	c.init_state = INIT_FULLY_UP;
	hs_init(&h, &c, 0);
	obs(&h, &c, OBS_RESP_ERR, 1);
	obs(&h, &c, OBS_RESP_ERR, 2);
	CHECK("below error-limit: nothing", h.health == 4 && !h.fastinter);
	obs(&h, &c, OBS_RESP_OK, 3);
	CHECK("a good response resets the count", h.cons_errors == 0);
	obs(&h, &c, OBS_RESP_ERR, 4);
	obs(&h, &c, OBS_RESP_ERR, 5);
	obs(&h, &c, OBS_RESP_TIMEOUT, 6);
	CHECK("error-limit reached: one failed check (fail-check)", h.health == 3 && h.state == SRV_ST_RUNNING);
	CHECK("status HANA", h.status == HCHK_HANA && out.status == HCHK_HANA);
	CHECK("info names the count and last error",
	      !strcmp(h.desc, "Detected 3 consecutive errors, last one was: Read timeout (http)"));
	CHECK("fastinter forced and re-plan asked", h.fastinter && h.resched);
	CHECK("count restarts after acting", h.cons_errors == 0);
	CHECK("hanafail", h.hanafail == 1);
	obs(&h, &c, OBS_CONN_OK, 7);
	CHECK("layer7 ignores L4 successes", h.cons_errors == 0);
	chk(&h, &c, HCHK_L7OK, 8);
	CHECK("a passed check clears consecutive errors", h.cons_errors == 0);

	/* layer4 ignores HTTP statuses */
	c.observe = OBS_MODE_L4;
	hs_init(&h, &c, 0);
	for (i = 0; i < 5; i++)
		obs(&h, &c, OBS_RESP_ERR, 10 + i);
	CHECK("layer4 ignores HTTP errors", h.cons_errors == 0);
	obs(&h, &c, OBS_CONN_ERR, 20);
	obs(&h, &c, OBS_CONN_OK, 21);
	CHECK("layer4: a connection resets", h.cons_errors == 0);

	/* mark-down */
	c.observe = OBS_MODE_L7;
	c.on_error = ONERR_MARKDWN;
	c.init_state = INIT_FULLY_UP;
	hs_init(&h, &c, 0);
	for (i = 0; i < 3; i++)
		obs(&h, &c, OBS_RESP_BAD, 30 + i);
	CHECK("mark-down: DOWN at once", out.went_down && out.passive && h.state == SRV_ST_STOPPED);
	CHECK("mark-down: reason Health analyze", out.status == HCHK_HANA && out.duration == -1);
	CHECK("mark-down: DOWN at 0 uses downinter, else inter", hs_next_inter(&h, &c) == 2000);

	/* sudden-death */
	c.on_error = ONERR_SUDDTH;
	hs_init(&h, &c, 0);
	for (i = 0; i < 3; i++)
		obs(&h, &c, OBS_RESP_ERR, 40 + i);
	CHECK("sudden-death: still UP", h.state == SRV_ST_RUNNING && h.health == c.rise);
	chk(&h, &c, HCHK_L7STS, 50);
	CHECK("sudden-death: next failed check takes it down", h.state == SRV_ST_STOPPED);

	/* fastinter only */
	c.on_error = ONERR_FASTINTER;
	hs_init(&h, &c, 0);
	for (i = 0; i < 3; i++)
		obs(&h, &c, OBS_RESP_ERR, 60 + i);
	CHECK("on-error fastinter: health untouched", h.health == 4 && h.fastinter);
	CHECK("on-error fastinter: next check at fastinter", hs_next_inter(&h, &c) == 100);
}

static void test_tandem_rule(void)
{
	struct hs_conf c = base();
	struct hs h;

	c.init_state = INIT_FULLY_UP;
	hs_init(&h, &c, 0);
	obs(&h, &c, OBS_RESP_ERR, 1);
	obs(&h, &c, OBS_CONN_TIMEOUT, 2);
	CHECK("no observe: only refused/reset counts", h.state == SRV_ST_RUNNING && h.health == 4);
	allow_eject = 1;
	eject_asked = 0;
	obs(&h, &c, OBS_CONN_ERR, 3);
	CHECK("connection error on live traffic: DOWN at once", out.went_down && h.state == SRV_ST_STOPPED);
	CHECK("bound asked once", eject_asked == 1);
	CHECK("health 0: active checks bring it back", h.health == 0);
	chk(&h, &c, HCHK_L4OK, 4);
	chk(&h, &c, HCHK_L4OK, 5);
	CHECK("rise checks: UP again", h.state == SRV_ST_RUNNING);

	/* max-ejected-percent refuses */
	allow_eject = 0;
	obs(&h, &c, OBS_CONN_ERR, 6);
	CHECK("refused: stays UP", h.state == SRV_ST_RUNNING && !out.went_down);
	CHECK("refused: at the edge", h.health == c.rise);
	CHECK("refused: logged the first time", out.refused);
	obs(&h, &c, OBS_CONN_ERR, 7);
	CHECK("refused again: not logged again", h.state == SRV_ST_RUNNING && !out.refused);
	chk(&h, &c, HCHK_L4CON, 8);
	CHECK("active checks are not bounded", h.state == SRV_ST_STOPPED);
	chk(&h, &c, HCHK_L4OK, 9);
	chk(&h, &c, HCHK_L4OK, 10);
	obs(&h, &c, OBS_CONN_ERR, 11);
	CHECK("a new episode logs the refusal again", h.state == SRV_ST_RUNNING && out.refused);
	allow_eject = 1;

	c.has_check = 0;
	hs_init(&h, &c, 0);
	obs(&h, &c, OBS_CONN_ERR, 1);
	CHECK("without check the rule does not apply", h.state == SRV_ST_RUNNING);
}

static void test_max_fails(void)
{
	struct hs_conf c = base();
	struct hs h;

	c.has_check = 0;
	c.max_fails = 3;
	c.fail_timeout = 10000;
	hs_init(&h, &c, 1000);
	obs(&h, &c, OBS_CONN_ERR, 1000);
	obs(&h, &c, OBS_RESP_TIMEOUT, 2000);
	CHECK("2 of 3 failures: in rotation", h.state == SRV_ST_RUNNING && h.fails == 2);
	obs(&h, &c, OBS_RESP_OK, 3000);
	CHECK("nginx: a success inside the window does not clear fails", h.fails == 2);
	obs(&h, &c, OBS_RESP_BAD, 4000);
	CHECK("3rd failure: out", out.went_down && h.state == SRV_ST_STOPPED && h.ejected);
	CHECK("reason Health analyze", out.status == HCHK_HANA);
	tick(&h, &c, 14000);
	CHECK("still out at checked + fail_timeout", h.state == SRV_ST_STOPPED);
	tick(&h, &c, 14001);
	CHECK("back after fail_timeout", out.went_up && h.state == SRV_ST_RUNNING && !h.ejected);
	obs(&h, &c, OBS_CONN_ERR, 14500);
	CHECK("one failure after coming back: out again (fails still >= max)", h.state == SRV_ST_STOPPED);
	tick(&h, &c, 24501);
	CHECK("back again", h.state == SRV_ST_RUNNING);
	obs(&h, &c, OBS_RESP_OK, 24600);
	CHECK("first success after the window clears fails", h.fails == 0);
	obs(&h, &c, OBS_CONN_ERR, 24700);
	CHECK("counting starts over", h.fails == 1 && h.state == SRV_ST_RUNNING);

	/* failures spread wider than the window still add up until a success
	 * follows a quiet window (nginx behaviour) */
	hs_init(&h, &c, 0);
	h.accessed = h.checked = 0;
	obs(&h, &c, OBS_CONN_ERR, 100000);
	obs(&h, &c, OBS_CONN_ERR, 150000);
	obs(&h, &c, OBS_RESP_OK, 155000);
	CHECK("success 5s after a failure keeps the count", h.fails == 2);
	obs(&h, &c, OBS_RESP_OK, 170000);
	CHECK("success after a quiet fail_timeout clears it", h.fails == 0);

	/* the max-ejected-percent bound */
	hs_init(&h, &c, 0);
	allow_eject = 0;
	obs(&h, &c, OBS_CONN_ERR, 1);
	obs(&h, &c, OBS_CONN_ERR, 2);
	obs(&h, &c, OBS_CONN_ERR, 3);
	CHECK("bound: not ejected", h.state == SRV_ST_RUNNING && !h.ejected && out.refused);
	allow_eject = 1;
	obs(&h, &c, OBS_CONN_ERR, 4);
	CHECK("bound lifted: next failure ejects", h.state == SRV_ST_STOPPED);

	/* with active checks too: a check success does not lift the ejection */
	c = base();
	c.max_fails = 1;
	c.init_state = INIT_FULLY_UP;
	c.observe = OBS_MODE_L4;
	hs_init(&h, &c, 0);
	obs(&h, &c, OBS_CONN_TIMEOUT, 10);
	CHECK("max-fails 1: out at once", h.state == SRV_ST_STOPPED && h.ejected);
	chk(&h, &c, HCHK_L4OK, 20);
	CHECK("checks do not lift an ejection", h.state == SRV_ST_STOPPED);
	tick(&h, &c, 10011);
	CHECK("time does", h.state == SRV_ST_RUNNING);
}

static void test_conf(void)
{
	struct server s;
	struct proxy px;
	struct hs_conf c;

	memset(&s, 0, sizeof(s));
	memset(&px, 0, sizeof(px));
	s.be = &px;
	s.uweight = 1;
	s.max_fails = -1;
	hs_conf_from_server(&c, &s);
	CHECK("defaults: rise 2 fall 3 inter 2000", c.rise == 2 && c.fall == 3 && c.inter == 2000);
	CHECK("defaults: error-limit 10, fail-check", c.error_limit == 10 && c.on_error == ONERR_FAILCHK);
	CHECK("max-fails off unless written", c.max_fails == 0);
	s.fail_timeout = 5000;
	hs_conf_from_server(&c, &s);
	CHECK("fail-timeout alone: nginx's max_fails=1", c.max_fails == 1 && c.fail_timeout == 5000);
	s.fail_timeout = 0;
	s.max_fails = 4;
	hs_conf_from_server(&c, &s);
	CHECK("max-fails alone: nginx's fail_timeout=10s", c.max_fails == 4 && c.fail_timeout == 10000);
	s.max_fails = 0;
	s.fail_timeout = 3000;
	hs_conf_from_server(&c, &s);
	CHECK("max-fails 0 disables", c.max_fails == 0);
	s.observe = OBS_MODE_L7;
	hs_conf_from_server(&c, &s);
	CHECK("observe needs check", c.observe == OBS_MODE_NONE);
	px.lbalgo = LB_STATIC_RR;
	hs_conf_from_server(&c, &s);
	CHECK("static-rr: no ramp", !c.ramp);
}

static void test_slowstart(void)
{
	struct hs_conf c = base();
	struct hs h;

	c.rise = 1;
	c.fall = 1;
	c.uweight = 100;
	c.slowstart = 10000;
	hs_init(&h, &c, 0);
	chk(&h, &c, HCHK_L4OK, 0);
	CHECK("first UP after start: no ramp", h.state == SRV_ST_RUNNING && h.eweight == 100);
	chk(&h, &c, HCHK_L4CON, 1000);
	CHECK("down", h.state == SRV_ST_STOPPED);
	chk(&h, &c, HCHK_L4OK, 2000);
	CHECK("recovery: STARTING", out.went_up && h.state == SRV_ST_STARTING);
	CHECK("ramp starts at 1", h.eweight == 1 && out.weight_changed);
	tick(&h, &c, 4500);
	CHECK("25% of slowstart: weight 25", h.eweight == 25 && out.weight_changed);
	tick(&h, &c, 7000);
	CHECK("half way: weight 50", h.eweight == 50);
	tick(&h, &c, 11999);
	CHECK("just before the end: 100 (rounded up)", h.eweight == 100 && h.state == SRV_ST_STARTING);
	tick(&h, &c, 12000);
	CHECK("end of slowstart: RUNNING", h.state == SRV_ST_RUNNING && h.eweight == 100);
	CHECK("hs_weight when RUNNING", hs_weight(&h, &c, 13000) == 100);

	c.ramp = 0;
	chk(&h, &c, HCHK_L4CON, 20000);
	chk(&h, &c, HCHK_L4OK, 21000);
	CHECK("static weights: no ramp", h.state == SRV_ST_RUNNING && h.eweight == 100);

	c.ramp = 1;
	c.uweight = 1;
	chk(&h, &c, HCHK_L4CON, 30000);
	chk(&h, &c, HCHK_L4OK, 31000);
	CHECK("weight 1 ramps at 1", h.state == SRV_ST_STARTING && h.eweight == 1);
	c.uweight = 0;
	CHECK("weight 0 stays 0", hs_weight(&h, &c, 31000) == 0);
}

static void test_names(void)
{
	CHECK("L4CON info", !strcmp(hchk_status_info(HCHK_L4CON), "L4CON"));
	CHECK("L4CON desc", !strcmp(hchk_status_desc(HCHK_L4CON), "Layer4 connection problem"));
	CHECK("L7OK desc", !strcmp(hchk_status_desc(HCHK_L7OK), "Layer7 check passed"));
	CHECK("L7STS info", !strcmp(hchk_status_info(HCHK_L7STS), "L7STS"));
	CHECK("HANA desc", !strcmp(hchk_status_desc(HCHK_HANA), "Health analyze"));
	CHECK("out of range", !strcmp(hchk_status_info(99), "UNK"));
}

int main(void)
{
	test_rise_fall();
	test_init_state();
	test_intervals();
	test_observe();
	test_tandem_rule();
	test_max_fails();
	test_conf();
	test_slowstart();
	test_names();
	UNIT_END();
}
