/* Fault plan: parsing and execution (see plan.h). Signals are sent at the
 * planned moment; fault modes are an HTTP request to the node's own port,
 * admin actions a command on tandem's runtime API, both effective when the
 * node or tandem answers (that moment is the fault's time). */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/clock.h>
#include <tandem/loop.h>
#include "plan.h"

#define ADMIN_TIMEOUT_MS 2000

static const char *const names[FA_MAX] = {
	"kill", "stop", "cont", "term", "restart", "zombie", "error500", "slow", "off", "stress", "release",
	"drain", "ready", "maint", "add", "move"
};

static int is_signal(int a) { return a <= FA_TERM; }
static int is_mode(int a) { return a >= FA_ZOMBIE && a <= FA_RELEASE; }
static int is_admin(int a) { return a >= FA_DRAIN && a <= FA_ADD; }

const char *fact_name(enum fact a)
{
	return a < FA_MAX ? names[a] : "?";
}

int fact_is_recovery(enum fact a)
{
	return a == FA_CONT || a == FA_OFF || a == FA_RESTART || a == FA_READY || a == FA_ADD || a == FA_RELEASE ||
	       a == FA_MOVE;
}

const char *fault_target(const struct plan *p, const struct fault *f)
{
	if (!p->lab)
		return "?";
	if (f->dep >= 0)
		return p->lab->dep[f->dep].name;
	return f->node >= 0 ? p->lab->node[f->node].name : "?";
}

void fault_label(const struct plan *p, const struct fault *f, char *out, size_t len)
{
	const char *node = fault_target(p, f);

	if (f->act == FA_SLOW)
		snprintf(out, len, "slow %ums %s", f->ms, node);
	else
		snprintf(out, len, "%s %s", fact_name(f->act), node);
}

/* Split <s> on ':' and blanks into at most <max> fields. */
static int split(char *s, char **fld, int max)
{
	int n = 0;

	while (*s && n < max) {
		while (*s == ':' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		fld[n++] = s;
		while (*s && *s != ':' && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = 0;
	}
	return n;
}

int plan_parse(struct plan *p, const struct lab *lab, const char *spec, char *err, size_t errlen)
{
	char buf[256], *fld[5], *nodes, *tok, *save;
	uint64_t at, ms = 0;
	int nf, a, i = 2;

	snprintf(buf, sizeof(buf), "%s", spec);
	nf = split(buf, fld, 5);
	if (nf < 2 || parse_ms(fld[0], &at) < 0) {
		snprintf(err, errlen, "fault '%s': want TIME:ACTION[:MS]:NODES, e.g. 2s:kill:A", spec);
		return -1;
	}
	for (a = 0; a < FA_MAX && strcmp(fld[1], names[a]); a++)
		;
	if (a == FA_MAX) {
		snprintf(err, errlen, "fault '%s': unknown action '%s' (kill, stop, cont, term, "
			 "restart, zombie, error500, slow:MS, off, stress, release, drain, ready, maint, add, move)", spec, fld[1]);
		return -1;
	}
	if (a == FA_SLOW) {
		/* a plain number is milliseconds here, as in /admin/fault?ms= */
		char *end = NULL;
		if (nf >= 4)
			ms = strtoull(fld[2], &end, 10);
		if (nf < 4 || end == fld[2] || (*end && parse_ms(fld[2], &ms) < 0)) {
			snprintf(err, errlen, "fault '%s': slow wants MS, e.g. 2s:slow:300:A", spec);
			return -1;
		}
		i = 3;
	}
	if (nf != i + 1) {
		snprintf(err, errlen, "fault '%s': want TIME:ACTION[:MS]:NODES", spec);
		return -1;
	}
	nodes = fld[i];
	for (tok = strtok_r(nodes, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct fault *f;
		int n = lab_find(lab, tok), d = n < 0 ? lab_find_dep(lab, tok) : -1;

		if (n < 0 && d < 0) {
			snprintf(err, errlen, "fault '%s': no node named '%s'", spec, tok);
			return -1;
		}
		if (p->n == MAX_FAULTS) {
			snprintf(err, errlen, "more than %d faults", MAX_FAULTS);
			return -1;
		}
		if (d >= 0 && !is_signal(a) && a != FA_RESTART) {
			snprintf(err, errlen, "fault '%s': %s is a dependency: only kill, stop, cont, term "
				 "and restart apply to it", spec, tok);
			return -1;
		}
		if (n >= 0 && is_signal(a) && !lab->managed && lab->node[n].pid <= 0) {
			snprintf(err, errlen, "fault '%s': %s needs the PID of %s (--node %s=PID:URL)",
				 spec, names[a], tok, tok);
			return -1;
		}
		if (is_mode(a) && !lab->node[n].has_direct) {
			snprintf(err, errlen, "fault '%s': %s needs the address of %s (--node %s=PID:URL)",
				 spec, names[a], tok, tok);
			return -1;
		}
		if ((a == FA_RESTART || a == FA_MOVE) && !lab->managed) {
			snprintf(err, errlen, "fault '%s': %s works only in a lab (--lab)", spec, names[a]);
			return -1;
		}
		if (a == FA_MOVE && d >= 0) {
			snprintf(err, errlen, "fault '%s': move gives a node a new address; %s is a dependency",
				 spec, tok);
			return -1;
		}
		if (is_admin(a) && !lab->admin_sock[0]) {
			snprintf(err, errlen, "fault '%s': %s needs tandem's admin socket (--admin-socket PATH)",
				 spec, names[a]);
			return -1;
		}
		if (a == FA_ADD && (!lab->managed || !lab->node[n].dynamic)) {
			snprintf(err, errlen, "fault '%s': add starts a node the lab keeps out of the "
				 "configuration (a dynamic node of a defined lab); %s is not one", spec, tok);
			return -1;
		}
		f = &p->f[p->n++];
		memset(f, 0, sizeof(*f));
		f->at_ms = at;
		f->act = (enum fact)a;
		f->node = d >= 0 ? lab->dep[d].subject : n;
		f->dep = d;
		f->ms = (unsigned)ms;
	}
	return 0;
}

int plan_load(struct plan *p, const struct lab *lab, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[256], e[200];
	int ln = 0;

	if (!fp) {
		snprintf(err, errlen, "cannot open plan %s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *h = strchr(line, '#'), *s = line;
		ln++;
		if (h)
			*h = 0;
		line[strcspn(line, "\r\n")] = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		if (plan_parse(p, lab, s, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, ln, e);
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	return 0;
}

static uint64_t rel_ms(const struct plan *p)
{
	return (clock_mono_us() - p->t0_us) / 1000;
}

static void mode_cb(struct hc *c, const struct hc_resp *r)
{
	struct fault *f = c->ctx;

	if (r->err || r->status != 200) {
		const char *what = f->act == FA_STRESS ? "/api/stress" : f->act == FA_RELEASE ? "/api/stress/clear" :
				   "/admin/fault";

		f->state = FS_FAILED;
		snprintf(f->msg, sizeof(f->msg), "%s: %s", what, r->err ? hc_err_name(r->err) : "non-200 answer");
		if (!r->err)
			snprintf(f->msg, sizeof(f->msg), "%s answered %d", what, r->status);
	} else {
		f->state = FS_DONE;
		f->t_ms = (r->t_end_us - f->plan->t0_us) / 1000;
	}
	hc_close(c);
}

static void send_admin(struct fault *f)
{
	static const char *const mode[FA_MAX] = {
		[FA_ZOMBIE] = "zombie", [FA_ERROR500] = "error500", [FA_SLOW] = "slow", [FA_OFF] = "off"
	};
	struct node *n = &f->plan->lab->node[f->node];
	char req[256];
	int len;

	hc_init(&f->hc, &n->direct, mode_cb, f);
	if (f->act == FA_STRESS || f->act == FA_RELEASE)
		len = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n"
			       "Connection: close\r\n\r\n", f->act == FA_STRESS ? "/api/stress" : "/api/stress/clear",
			       n->direct.hostport);
	else
		len = snprintf(req, sizeof(req),
			       "GET /admin/fault?mode=%s&ms=%u HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
			       mode[f->act], f->ms, n->direct.hostport);
	if (hc_send(&f->hc, req, (size_t)len, 0, 1, ADMIN_TIMEOUT_MS) < 0) {
		f->state = FS_FAILED;
		snprintf(f->msg, sizeof(f->msg), "out of memory");
		return;
	}
	f->state = FS_SENT;
}

static void adm_cb(struct admin_req *a, const char *answer, const char *err)
{
	struct fault *f = a->ctx;
	char flat[120];
	size_t i;

	if (answer && admin_answer_ok(answer)) {
		f->state = FS_DONE;
		f->t_ms = (clock_mono_us() - f->plan->t0_us) / 1000;
		return;
	}
	f->state = FS_FAILED;
	if (!answer) {
		snprintf(f->msg, sizeof(f->msg), "admin socket: %s", err);
		return;
	}
	snprintf(flat, sizeof(flat), "%s", answer);
	for (i = 0; flat[i]; i++)
		if (flat[i] == '\n')
			flat[i] = ' ';
	snprintf(f->msg, sizeof(f->msg), "tandem answered: %s", flat);
}

static void send_runtime(struct fault *f);

/* add: the node was spawned; ask its /health until it answers, so that
 * tandem gets a server that is ready (`add server` puts it UP at once). */
static void add_poll(struct fault *f);

static void add_health_cb(struct hc *c, const struct hc_resp *r)
{
	struct fault *f = c->ctx;

	hc_close(c);
	if (!r->err && r->status == 200) {
		f->ready = 1;   /* the node answers: send the command */
		send_runtime(f);
		return;
	}
	if (rel_ms(f->plan) > f->at_ms + 5000) {
		f->state = FS_FAILED;
		snprintf(f->msg, sizeof(f->msg), "the new node did not answer /health within 5 s");
		return;
	}
	loop_timer_set(this_loop, &f->tmr, now_ms + 20);
}

static void add_retry(struct ev_timer *t)
{
	add_poll(t->ctx);
}

static void add_poll(struct fault *f)
{
	struct node *n = &f->plan->lab->node[f->node];
	char req[256];
	int len;

	hc_free(&f->hc);   /* the previous try's buffers */
	hc_init(&f->hc, &n->direct, add_health_cb, f);
	ev_timer_init(&f->tmr, add_retry, f);
	len = snprintf(req, sizeof(req), "GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		       n->direct.hostport);
	if (hc_send(&f->hc, req, (size_t)len, 0, 1, 500) < 0) {
		f->state = FS_FAILED;
		snprintf(f->msg, sizeof(f->msg), "out of memory");
	}
}

static void send_runtime(struct fault *f)
{
	static const char *const st[FA_MAX] = { [FA_DRAIN] = "drain", [FA_READY] = "ready",
						[FA_MAINT] = "maint" };
	struct lab *lab = f->plan->lab;
	struct node *n = &lab->node[f->node];
	const char *be = f->plan->backend ? f->plan->backend : "app";
	char cmd[600];

	if (f->act == FA_ADD && !f->ready) {
		if (lab_spawn_node(lab, f->node, f->msg, sizeof(f->msg)) < 0) {
			f->state = FS_FAILED;
			return;
		}
		f->state = FS_SENT;
		add_poll(f);
		return;
	}
	if (f->act == FA_ADD) {
		snprintf(cmd, sizeof(cmd), "add server %s/%s 127.0.0.1:%d %s", be, n->name, n->port,
			 n->add_args);
		/* with `check`, its checks wait for `enable health` (as in HAProxy) */
		if (strstr(n->add_args, "check")) {
			size_t o = strlen(cmd);
			snprintf(cmd + o, sizeof(cmd) - o, "; enable health %s/%s", be, n->name);
		}
	} else {
		snprintf(cmd, sizeof(cmd), "set server %s/%s state %s", be, n->name, st[f->act]);
	}
	if (admin_send(&f->adm, lab->admin_sock, cmd, ADMIN_TIMEOUT_MS, adm_cb, f, f->msg,
		       sizeof(f->msg)) < 0) {
		f->state = FS_FAILED;
		return;
	}
	f->state = FS_SENT;
}

static void fire(struct ev_timer *t)
{
	static const int sigs[] = { [FA_KILL] = SIGKILL, [FA_STOP] = SIGSTOP,
				    [FA_CONT] = SIGCONT, [FA_TERM] = SIGTERM };
	struct fault *f = t->ctx;
	struct lab *lab = f->plan->lab;
	int r;

	f->t_ms = rel_ms(f->plan);
	if (f->dep >= 0) {
		r = f->act == FA_RESTART ? lab_restart_dep(lab, f->dep, f->msg, sizeof(f->msg)) :
		    lab_signal_dep(lab, f->dep, sigs[f->act], f->msg, sizeof(f->msg));
		f->state = r < 0 ? FS_FAILED : FS_DONE;
		return;
	}
	switch (f->act) {
	case FA_KILL: case FA_STOP: case FA_CONT: case FA_TERM:
		r = lab_signal(lab, f->node, sigs[f->act], f->msg, sizeof(f->msg));
		break;
	case FA_RESTART:
		r = lab_restart(lab, f->node, f->msg, sizeof(f->msg));
		break;
	case FA_MOVE:
		r = lab_move(lab, f->node, f->msg, sizeof(f->msg));
		break;
	case FA_DRAIN: case FA_READY: case FA_MAINT: case FA_ADD:
		send_runtime(f);
		return;
	default:
		send_admin(f);
		return;
	}
	f->state = r < 0 ? FS_FAILED : FS_DONE;
}

void plan_start(struct plan *p, struct lab *lab, uint64_t t0_us)
{
	int i, j;

	/* stable insertion sort by time: same-time faults keep their order */
	for (i = 1; i < p->n; i++) {
		struct fault tmp = p->f[i];
		for (j = i; j > 0 && p->f[j - 1].at_ms > tmp.at_ms; j--)
			p->f[j] = p->f[j - 1];
		p->f[j] = tmp;
	}
	p->lab = lab;
	p->t0_us = t0_us;
	for (i = 0; i < p->n; i++) {
		struct fault *f = &p->f[i];
		f->plan = p;
		f->state = FS_PENDING;
		ev_timer_init(&f->tmr, fire, f);
		admin_init(&f->adm);
		if (f->node >= 0)
			hc_init(&f->hc, &lab->node[f->node].direct, mode_cb, f);
		else
			hc_init(&f->hc, &(struct target){ 0 }, mode_cb, f);
		loop_timer_set(this_loop, &f->tmr, (t0_us + 999) / 1000 + f->at_ms);
	}
}

void plan_stop(struct plan *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		loop_timer_del(this_loop, &p->f[i].tmr);
		hc_free(&p->f[i].hc);
		admin_cancel(&p->f[i].adm);
		if (p->f[i].state == FS_SENT) {
			p->f[i].state = FS_FAILED;
			snprintf(p->f[i].msg, sizeof(p->f[i].msg), "no answer before the end of the run");
		} else if (p->f[i].state == FS_PENDING) {
			p->f[i].state = FS_FAILED;
			snprintf(p->f[i].msg, sizeof(p->f[i].msg), "planned after the end of the run");
		}
	}
}
