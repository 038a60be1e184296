/* The per-server health state machine, pure: (state, settings, event, now)
 * -> new state + what the caller must do. No clock, lock or I/O here, so
 * tests/unit/test_health.c drives it with simulated time.
 *
 * Three inputs move a server between UP and DOWN:
 *  - active checks, through HAProxy's single health counter: 0..rise+fall-1,
 *    UP when >= rise; a success adds one and jumps to the top once rise is
 *    reached, a failure removes one and drops to 0 below rise;
 *  - `observe` (HAProxy): error-limit consecutive errors on live traffic
 *    trigger the on-error action on that same counter; without `observe`,
 *    tandem's rule: a failed connection on live traffic marks a checked
 *    server down at once (active checks bring it back);
 *  - nginx's max_fails/fail_timeout: a separate ejection, lifted by time.
 * A passive event never takes a server out when max-ejected-percent says
 * too many are out already (the caller's <may_eject> decides). */
#include <stdio.h>
#include <string.h>
#include <tandem/check.h>

static int hmax(const struct hs_conf *c)
{
	return c->rise + c->fall - 1;
}

void hs_conf_from_server(struct hs_conf *c, const struct server *s)
{
	memset(c, 0, sizeof(*c));
	c->has_check = s->has_check;
	c->rise = s->chk_rise > 0 ? s->chk_rise : CHK_DEF_RISE;
	c->fall = s->chk_fall > 0 ? s->chk_fall : CHK_DEF_FALL;
	c->inter = s->chk_inter ? s->chk_inter : CHK_DEF_INTER;
	c->fastinter = s->chk_fastinter;
	c->downinter = s->chk_downinter;
	c->observe = s->has_check ? s->observe : OBS_MODE_NONE;  /* observing needs checks */
	c->error_limit = s->error_limit > 0 ? s->error_limit : CHK_DEF_ERROR_LIMIT;
	c->on_error = s->on_error ? s->on_error : ONERR_FAILCHK;
	/* nginx's defaults (max_fails=1, fail_timeout=10s) only once one of
	 * the two keywords was written */
	if (s->max_fails > 0)
		c->max_fails = s->max_fails;
	else if (s->max_fails < 0 && s->fail_timeout)
		c->max_fails = 1;
	c->fail_timeout = s->fail_timeout ? s->fail_timeout : 10000;
	c->slowstart = s->slowstart;
	c->uweight = s->uweight;
	c->ramp = s->be ? s->be->lbalgo != LB_STATIC_RR : 1;
	c->init_state = s->init_state;
	c->tcp_mode = s->be ? s->be->mode == PR_MODE_TCP : 0;
}

void hs_init(struct hs *h, const struct hs_conf *c, uint64_t now)
{
	int up = 1;

	memset(h, 0, sizeof(*h));
	h->status = HCHK_INI;
	h->duration = -1;
	h->eweight = c->uweight;
	h->health = hmax(c);
	if (c->has_check) {
		switch (c->init_state) {
		case INIT_FULLY_UP:   h->health = hmax(c); break;
		case INIT_UP:         h->health = c->rise; break;
		case INIT_FULLY_DOWN: h->health = 0; up = 0; break;
		default:              h->health = c->rise - 1; up = 0; break;  /* down, tandem's default */
		}
	}
	if (up) {
		h->state = SRV_ST_RUNNING;
		h->was_up = 1;
	} else {
		h->state = SRV_ST_STOPPED;
		h->down_since = now;
	}
}

/* ---- reasons ---- */

static void set_reason(struct hs_out *out, int status, int code, int duration, const char *desc)
{
	out->status = status;
	out->code = code;
	out->duration = duration;
	snprintf(out->buf, sizeof(out->buf), "%s", desc ? desc : "");
	out->desc = out->buf;
}

static void record(struct hs *h, int status, int code, int duration, const char *desc)
{
	h->status = status;
	h->code = code;
	h->duration = duration;
	snprintf(h->desc, sizeof(h->desc), "%s", desc ? desc : "");
}

/* HAProxy's set_server_check_status() for a failed or passed result. */
static void check_failed(struct hs *h, const struct hs_conf *c)
{
	if (h->health > 0) {
		h->chkfail++;
		h->health--;
		if (h->health < c->rise)
			h->health = 0;
	}
}

static void check_passed(struct hs *h, const struct hs_conf *c)
{
	if (h->health < hmax(c)) {
		h->health++;
		if (h->health >= c->rise)
			h->health = hmax(c);
	}
	if (c->observe)
		h->cons_errors = 0;
}

static int status_passed(int st)
{
	return st == HCHK_L4OK || st == HCHK_L6OK || st == HCHK_L7OK || st == HCHK_L7OKC;
}

/* Would the server be taken out by the passive action just applied? Ask
 * the bound; on refusal keep it at the edge of UP. Returns 1 if allowed. */
static int passive_down_ok(struct hs *h, const struct hs_conf *c, int was_up,
			   hs_may_eject_fn may_eject, void *arg, struct hs_out *out)
{
	if (!was_up || h->health >= c->rise || h->ejected)
		return 1;
	if (!may_eject || may_eject(arg)) {
		h->refused = 0;
		return 1;
	}
	h->health = c->rise;   /* still UP, one failure away from DOWN */
	out->refused = !h->refused;
	h->refused = 1;
	return 0;
}

/* ---- passive inputs ---- */

/* HAProxy's analyze table: 0 ignore, 1 error, 2 success, per observe mode. */
static int obs_verdict(int ev, int mode)
{
	switch (ev) {
	case OBS_CONN_OK:      return mode == OBS_MODE_L4 ? 2 : 0;
	case OBS_CONN_ERR:
	case OBS_CONN_TIMEOUT: return 1;
	case OBS_RESP_OK:      return mode == OBS_MODE_L7 ? 2 : 0;
	default:               return mode == OBS_MODE_L7 ? 1 : 0;
	}
}

static void observe_haproxy(struct hs *h, const struct hs_conf *c, int ev, int was_up,
			    hs_may_eject_fn may_eject, void *arg, struct hs_out *out)
{
	char desc[HS_DESC_LEN];
	int v = obs_verdict(ev, c->observe);

	if (v == 0)
		return;
	if (v == 2) {
		h->cons_errors = 0;
		return;
	}
	if (++h->cons_errors < c->error_limit)
		return;
	snprintf(desc, sizeof(desc), "Detected %d consecutive errors, last one was: %s",
		 h->cons_errors, obs_event_desc(ev));
	h->fastinter = 1;   /* every mode forces fastinter for the next check */
	switch (c->on_error) {
	case ONERR_FASTINTER:
		break;
	case ONERR_SUDDTH:
		if (h->health > c->rise)
			h->health = c->rise + 1;   /* one more failure takes it down */
		/* fall through */
	case ONERR_FAILCHK:
		record(h, HCHK_HANA, 0, -1, desc);
		check_failed(h, c);
		break;
	case ONERR_MARKDWN:
		h->health = c->rise;
		record(h, HCHK_HANA, 0, -1, desc);
		check_failed(h, c);
		break;
	}
	passive_down_ok(h, c, was_up, may_eject, arg, out);
	set_reason(out, HCHK_HANA, 0, -1, desc);
	h->cons_errors = 0;
	h->hanafail++;
	if (c->fastinter)
		h->resched = 1;
}

/* tandem's rule: with `check` and no `observe`, a connection refused or
 * reset on live traffic takes the server down at once. */
static void observe_tandem(struct hs *h, const struct hs_conf *c, int ev, int was_up,
			   hs_may_eject_fn may_eject, void *arg, struct hs_out *out)
{
	const char *desc = "L4 unsuccessful connection on live traffic";

	if (ev != OBS_CONN_ERR || h->health < c->rise)
		return;
	h->health = c->rise;
	record(h, HCHK_HANA, 0, -1, desc);
	check_failed(h, c);
	passive_down_ok(h, c, was_up, may_eject, arg, out);
	set_reason(out, HCHK_HANA, 0, -1, desc);
	h->hanafail++;
}

/* nginx's max_fails/fail_timeout, as ngx_http_upstream_round_robin does it:
 * a failure counts and stamps accessed = checked = now; a success clears
 * the count only when it follows a pick made more than fail_timeout after
 * the last stamp (nginx then moves `checked` to the pick time). The server
 * is out while fails >= max_fails and now - checked <= fail_timeout. */
static void observe_maxfails(struct hs *h, const struct hs_conf *c, int ev, int was_up,
			     hs_may_eject_fn may_eject, void *arg, struct hs_out *out)
{
	int fail = ev == OBS_CONN_ERR || ev == OBS_CONN_TIMEOUT || ev == OBS_RESP_BAD ||
		   ev == OBS_RESP_TIMEOUT || ev == OBS_RESP_RETRY;
	int ok = ev == OBS_RESP_OK || ev == OBS_RESP_ERR || (ev == OBS_CONN_OK && c->tcp_mode);
	uint64_t now = out->now;
	char desc[HS_DESC_LEN];

	if (!fail && !ok)
		return;
	if (now - h->checked > c->fail_timeout)
		h->checked = now;                /* the pick after the window */
	if (ok) {
		if (h->accessed < h->checked)
			h->fails = 0;
		return;
	}
	h->fails++;
	h->accessed = h->checked = now;
	if (h->fails < c->max_fails || h->ejected)
		return;
	snprintf(desc, sizeof(desc), "%d failures with max-fails %d and fail-timeout %ums, last one was: %s",
		 h->fails, c->max_fails, (unsigned)c->fail_timeout, obs_event_desc(ev));
	if (was_up) {
		if (may_eject && !may_eject(arg)) {
			out->refused = !h->refused;
			h->refused = 1;
			set_reason(out, HCHK_HANA, 0, -1, desc);
			return;
		}
		h->refused = 0;
	}
	h->ejected = 1;
	h->hanafail++;
	set_reason(out, HCHK_HANA, 0, -1, desc);
}

/* ---- publishing the state ---- */

int hs_weight(const struct hs *h, const struct hs_conf *c, uint64_t now)
{
	uint64_t el, w;

	if (h->state != SRV_ST_STARTING || !c->slowstart || now < h->up_since)
		return c->uweight;
	el = now - h->up_since;
	if (el >= c->slowstart)
		return c->uweight;
	w = ((uint64_t)c->uweight * el + c->slowstart - 1) / c->slowstart;
	if (w < 1)
		w = c->uweight ? 1 : 0;
	return (int)w;
}

static void publish(struct hs *h, const struct hs_conf *c, uint64_t now, struct hs_out *out)
{
	int want_up = (!c->has_check || h->health >= c->rise) && !h->ejected && !h->agent_down;
	int w;

	if (want_up && h->state == SRV_ST_STOPPED) {
		out->went_up = 1;
		h->downtime += now >= h->down_since ? now - h->down_since : 0;
		if (h->nolb) {
			h->state = SRV_ST_STOPPING;
		} else if (c->slowstart && c->ramp && h->was_up) {
			h->state = SRV_ST_STARTING;
			h->up_since = now;
		} else {
			h->state = SRV_ST_RUNNING;
		}
		h->was_up = 1;
		h->refused = 0;    /* a new episode: a refusal is logged again */
	} else if (!want_up && h->state != SRV_ST_STOPPED) {
		out->went_down = 1;
		h->state = SRV_ST_STOPPED;
		h->down_since = now;
		h->chkdown++;
		h->refused = 0;
	} else if (want_up && h->nolb && h->state != SRV_ST_STOPPING) {
		out->went_nolb = 1;        /* disable-on-404: no new traffic */
		h->state = SRV_ST_STOPPING;
	} else if (want_up && !h->nolb && h->state == SRV_ST_STOPPING) {
		out->left_nolb = 1;
		h->state = SRV_ST_RUNNING;
	}
	if (h->state == SRV_ST_STARTING && now - h->up_since >= c->slowstart)
		h->state = SRV_ST_RUNNING;
	w = h->state == SRV_ST_STOPPED ? h->eweight : hs_weight(h, c, now);
	if (w != h->eweight) {
		h->eweight = w;
		out->weight_changed = 1;
	}
}

void hs_step(struct hs *h, const struct hs_conf *c, const struct hs_event *ev, uint64_t now,
	     hs_may_eject_fn may_eject, void *arg, struct hs_out *out)
{
	int was_up = h->state != SRV_ST_STOPPED;

	memset(out, 0, sizeof(*out));
	out->desc = out->buf;
	out->duration = -1;
	out->now = now;
	switch (ev->type) {
	case HS_EV_CHECK: {
		int before = h->health;

		if (!c->has_check)
			break;
		out->prev_status = h->status;
		record(h, ev->status, ev->code, ev->duration, ev->desc);
		set_reason(out, ev->status, ev->code, ev->duration, ev->desc);
		if (status_passed(ev->status))
			check_passed(h, c);
		else
			check_failed(h, c);
		/* HAProxy's report: the counter moved, or the status changed */
		out->report = h->health != before || ev->status != out->prev_status;
		h->nolb = ev->status == HCHK_L7OKC;
		break;
	}
	case HS_EV_AGENT:
		h->agent_down = ev->agent_down;
		set_reason(out, ev->status, ev->code, ev->duration, ev->desc);
		break;
	case HS_EV_OBSERVE:
		if (c->max_fails > 0)
			observe_maxfails(h, c, ev->obs, was_up, may_eject, arg, out);
		/* beyond max-fails, a refused status is a 5xx like any other */
		if (c->has_check && c->observe)
			observe_haproxy(h, c, ev->obs == OBS_RESP_RETRY ? OBS_RESP_ERR : ev->obs,
					was_up && !h->ejected, may_eject, arg, out);
		else if (c->has_check)
			observe_tandem(h, c, ev->obs == OBS_RESP_RETRY ? OBS_RESP_ERR : ev->obs,
				       was_up && !h->ejected, may_eject, arg, out);
		break;
	case HS_EV_TICK:
		if (h->ejected && now - h->checked > c->fail_timeout) {
			h->ejected = 0;
			set_reason(out, HCHK_HANA, 0, -1, "fail-timeout expired, back in rotation");
		}
		break;
	}
	publish(h, c, now, out);
	out->passive = ev->type != HS_EV_CHECK;
	if (out->went_down)
		h->passive_down = out->passive;
	else if (out->went_up)
		h->passive_down = 0;
}

uint32_t hs_next_inter(const struct hs *h, const struct hs_conf *c)
{
	if (c->has_check && !h->fastinter && h->health == hmax(c))
		return c->inter;
	if (h->state == SRV_ST_STOPPED && h->health == 0)
		return c->downinter ? c->downinter : c->inter;
	return c->fastinter ? c->fastinter : c->inter;
}

int hs_transitional(const struct hs *h, const struct hs_conf *c)
{
	if (!c->has_check)
		return 0;
	if (h->state != SRV_ST_STOPPED)
		return h->health < hmax(c);
	return h->health > 0;
}

/* ---- names ---- */

static const char *const st_info[HCHK_NSTATUS] = {
	[HCHK_UNKNOWN] = "UNK",   [HCHK_INI] = "INI",       [HCHK_HANA] = "HANA",
	[HCHK_SOCKERR] = "SOCKERR", [HCHK_L4OK] = "L4OK",   [HCHK_L4TOUT] = "L4TOUT",
	[HCHK_L4CON] = "L4CON",   [HCHK_L6OK] = "L6OK",     [HCHK_L6TOUT] = "L6TOUT",
	[HCHK_L6RSP] = "L6RSP",   [HCHK_L7TOUT] = "L7TOUT", [HCHK_L7RSP] = "L7RSP",
	[HCHK_L7OK] = "L7OK",     [HCHK_L7OKC] = "L7OKC",   [HCHK_L7STS] = "L7STS",
};

static const char *const st_desc[HCHK_NSTATUS] = {
	[HCHK_UNKNOWN] = "Unknown",
	[HCHK_INI]     = "Initializing",
	[HCHK_HANA]    = "Health analyze",
	[HCHK_SOCKERR] = "Socket error",
	[HCHK_L4OK]    = "Layer4 check passed",
	[HCHK_L4TOUT]  = "Layer4 timeout",
	[HCHK_L4CON]   = "Layer4 connection problem",
	[HCHK_L6OK]    = "Layer6 check passed",
	[HCHK_L6TOUT]  = "Layer6 timeout",
	[HCHK_L6RSP]   = "Layer6 invalid response",
	[HCHK_L7TOUT]  = "Layer7 timeout",
	[HCHK_L7RSP]   = "Layer7 invalid response",
	[HCHK_L7OK]    = "Layer7 check passed",
	[HCHK_L7OKC]   = "Layer7 check conditionally passed",
	[HCHK_L7STS]   = "Layer7 wrong status",
};

const char *hchk_status_info(int st)
{
	return st >= 0 && st < HCHK_NSTATUS ? st_info[st] : st_info[HCHK_UNKNOWN];
}

const char *hchk_status_desc(int st)
{
	return st >= 0 && st < HCHK_NSTATUS ? st_desc[st] : st_desc[HCHK_UNKNOWN];
}

const char *obs_event_desc(int ev)
{
	switch (ev) {
	case OBS_CONN_OK:      return "L4 successful connection";
	case OBS_CONN_ERR:     return "L4 unsuccessful connection";
	case OBS_CONN_TIMEOUT: return "L4 unsuccessful connection";
	case OBS_RESP_OK:      return "Correct http response";
	case OBS_RESP_ERR:     return "Wrong http response";
	case OBS_RESP_RETRY:   return "Wrong http response (retried)";
	case OBS_RESP_BAD:     return "Invalid http response";
	case OBS_RESP_TIMEOUT: return "Read timeout (http)";
	default:               return "Unknown";
	}
}
