/* Fault plan: parsing and execution (see plan.h). Signals are sent at the
 * planned moment; fault modes are an HTTP request to the node's own port,
 * effective when the node answers (that moment is the fault's time). */
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
	"kill", "stop", "cont", "term", "restart", "zombie", "error500", "slow", "off"
};

const char *fact_name(enum fact a)
{
	return a < FA_MAX ? names[a] : "?";
}

int fact_is_recovery(enum fact a)
{
	return a == FA_CONT || a == FA_OFF || a == FA_RESTART;
}

void fault_label(const struct plan *p, const struct fault *f, char *out, size_t len)
{
	const char *node = p->lab ? p->lab->node[f->node].name : "?";

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
			 "restart, zombie, error500, slow:MS, off)", spec, fld[1]);
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
		int n = lab_find(lab, tok);

		if (n < 0) {
			snprintf(err, errlen, "fault '%s': no node named '%s'", spec, tok);
			return -1;
		}
		if (p->n == MAX_FAULTS) {
			snprintf(err, errlen, "more than %d faults", MAX_FAULTS);
			return -1;
		}
		if (a <= FA_TERM && !lab->managed && lab->node[n].pid <= 0) {
			snprintf(err, errlen, "fault '%s': %s needs the PID of %s (--node %s=PID:URL)",
				 spec, names[a], tok, tok);
			return -1;
		}
		if (a >= FA_ZOMBIE && !lab->node[n].has_direct) {
			snprintf(err, errlen, "fault '%s': %s needs the address of %s (--node %s=PID:URL)",
				 spec, names[a], tok, tok);
			return -1;
		}
		if (a == FA_RESTART && !lab->managed) {
			snprintf(err, errlen, "fault '%s': restart works only in a lab (--lab)", spec);
			return -1;
		}
		f = &p->f[p->n++];
		memset(f, 0, sizeof(*f));
		f->at_ms = at;
		f->act = (enum fact)a;
		f->node = n;
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

static void admin_cb(struct hc *c, const struct hc_resp *r)
{
	struct fault *f = c->ctx;

	if (r->err || r->status != 200) {
		f->state = FS_FAILED;
		snprintf(f->msg, sizeof(f->msg), "/admin/fault: %s",
			 r->err ? hc_err_name(r->err) : "non-200 answer");
		if (!r->err)
			snprintf(f->msg, sizeof(f->msg), "/admin/fault answered %d", r->status);
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

	hc_init(&f->hc, &n->direct, admin_cb, f);
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

static void fire(struct ev_timer *t)
{
	static const int sigs[] = { [FA_KILL] = SIGKILL, [FA_STOP] = SIGSTOP,
				    [FA_CONT] = SIGCONT, [FA_TERM] = SIGTERM };
	struct fault *f = t->ctx;
	struct lab *lab = f->plan->lab;
	int r;

	f->t_ms = rel_ms(f->plan);
	switch (f->act) {
	case FA_KILL: case FA_STOP: case FA_CONT: case FA_TERM:
		r = lab_signal(lab, f->node, sigs[f->act], f->msg, sizeof(f->msg));
		break;
	case FA_RESTART:
		r = lab_restart(lab, f->node, f->msg, sizeof(f->msg));
		break;
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
		hc_init(&f->hc, &lab->node[f->node].direct, admin_cb, f);
		loop_timer_set(this_loop, &f->tmr, (t0_us + 999) / 1000 + f->at_ms);
	}
}

void plan_stop(struct plan *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		loop_timer_del(this_loop, &p->f[i].tmr);
		hc_free(&p->f[i].hc);
		if (p->f[i].state == FS_SENT) {
			p->f[i].state = FS_FAILED;
			snprintf(p->f[i].msg, sizeof(p->f[i].msg), "no answer before the end of the run");
		} else if (p->f[i].state == FS_PENDING) {
			p->f[i].state = FS_FAILED;
			snprintf(p->f[i].msg, sizeof(p->f[i].msg), "planned after the end of the run");
		}
	}
}
