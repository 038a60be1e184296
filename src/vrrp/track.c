/* Tracked objects at run time, in the VRRP thread: what moves an
 * instance's priority or puts it in FAULT besides the protocol itself.
 *
 *  - backends (track-backend): the worker publishes each backend's count
 *    of usable servers in the master/worker shared area (shm.h);
 *  - scripts (vrrp_script / vrrp-script): run by the runner process every
 *    interval, never two at once, a timeout counting as a failure; rise
 *    and fall as keepalived (state changes after that many results in a
 *    row; the first result decides at once unless init_fail);
 *  - interfaces (track_interface, and the instance's own interface unless
 *    dont_track_primary): UP and RUNNING, read with SIOCGIFFLAGS;
 *  - files (track_file): a number read again whenever the file changes.
 *
 * Weights as keepalived: 0 = FAULT while failed; < 0 lowers the priority
 * while failed; > 0 raises it while OK; a file's number times its weight
 * is added (below -253: FAULT). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tandem/cfg.h>
#include <tandem/check-t.h>
#include <tandem/log.h>
#include <tandem/proxy-t.h>
#include <tandem/shm.h>
#include "vrrp_int.h"

#define JOB_SCRIPT 0x40000000u   /* job ids of scripts: JOB_SCRIPT | index << 16 | sequence */
#define KILL_MARGIN_MS 1500      /* the runner kills an overrunning script within 1 s */

static struct {
	struct vscript s[VRRP_MAX_SCRIPTS]; int ns;
	struct vtfile f[VRRP_MAX_SCRIPTS]; int nf;
	uint16_t seq;
} T;

int vtrack_init(struct vrrp_set *set)
{
	struct list *l;

	memset(&T, 0, sizeof(T));
	if (!set)
		return 0;
	list_for_each(l, &set->scripts) {
		struct vscript *s = &T.s[T.ns];

		if (T.ns == VRRP_MAX_SCRIPTS)
			return -1;
		s->c = list_entry(l, struct vrrp_script_conf, link);
		s->state = s->c->init_fail ? VTS_FAIL : VTS_UNKNOWN;
		s->last_status = -1;
		T.ns++;
	}
	list_for_each(l, &set->tfiles) {
		if (T.nf == VRRP_MAX_SCRIPTS)
			return -1;
		T.f[T.nf++].c = list_entry(l, struct vrrp_tfile_conf, link);
	}
	/* init_file: create (or overwrite) the file with its value */
	for (int i = 0; i < T.nf; i++) {
		const struct vrrp_tfile_conf *c = T.f[i].c;
		struct stat st;
		FILE *fp;

		if (!c->init || (!c->init_overwrite && stat(c->path, &st) == 0))
			continue;
		if (!(fp = fopen(c->path, "w"))) {
			log_event(LL_WARNING, "VRRP track_file %s: cannot create %s: %s", c->name, c->path, strerror(errno));
			continue;
		}
		fprintf(fp, "%ld\n", c->init_value);
		fclose(fp);
	}
	return 0;
}

void vtrack_release(void)
{
	memset(&T, 0, sizeof(T));
}

static struct vscript *script_by_name(const char *name)
{
	for (int i = 0; i < T.ns; i++)
		if (!strcmp(T.s[i].c->name, name))
			return &T.s[i];
	return NULL;
}

static struct vtfile *tfile_by_name(const char *name)
{
	for (int i = 0; i < T.nf; i++)
		if (!strcmp(T.f[i].c->name, name))
			return &T.f[i];
	return NULL;
}

void vtrack_use_script(const char *name)
{
	struct vscript *s = script_by_name(name);

	if (s)
		s->used = 1;
}

/* ---- files ---- */

static void read_tfile(struct vtfile *f)
{
	struct stat st;
	char buf[64];
	long v = 0;
	FILE *fp;

	if (stat(f->c->path, &st) < 0) {
		/* a missing file reads as 0 (nothing to say), logged once */
		if (!f->missing_logged) {
			log_event(LL_WARNING, "VRRP track_file %s: %s: %s (value 0)", f->c->name, f->c->path, strerror(errno));
			f->missing_logged = 1;
		}
		if (f->read_once && f->value)
			log_event(LL_NOTICE, "VRRP track_file %s: value %ld -> 0", f->c->name, f->value);
		f->value = 0;
		f->read_once = 1;
		memset(&f->mtime, 0, sizeof(f->mtime));
		return;
	}
	if (f->read_once && st.st_mtim.tv_sec == f->mtime.tv_sec && st.st_mtim.tv_nsec == f->mtime.tv_nsec &&
	    st.st_size == f->size && st.st_ino == f->ino)
		return;
	f->missing_logged = 0;
	f->mtime = st.st_mtim;
	f->size = st.st_size;
	f->ino = st.st_ino;
	if ((fp = fopen(f->c->path, "r"))) {
		if (fgets(buf, sizeof(buf), fp)) {
			char *end;

			v = strtol(buf, &end, 10);
			if (end == buf)
				v = 0;
		}
		fclose(fp);
	}
	if (!f->read_once || v != f->value)
		log_event(LL_NOTICE, "VRRP track_file %s: value %ld", f->c->name, v);
	f->value = v;
	f->read_once = 1;
}

void vtrack_poll_files(void)
{
	for (int i = 0; i < T.nf; i++)
		read_tfile(&T.f[i]);
}

/* ---- evaluation ---- */

static void failed(struct veval *e, int weight, const char *fmt, const char *name)
{
	if (!weight) {
		if (!e->fault)
			snprintf(e->reason, sizeof(e->reason), fmt, name);
		e->fault = 1;
	} else if (weight < 0) {
		e->delta += weight;
	}
}

void vtrack_eval(const struct vrrp_track *t, int n, int starting, struct veval *e)
{
	for (int i = 0; i < n; i++) {
		const struct vrrp_track *k = &t[i];

		switch (k->kind) {
		case VRRP_TRK_BACKEND: {
			int u = shm_backend_usable(k->name);

			/* not published yet, or (while starting) its checked servers
			 * may still be DOWN because they were not checked yet */
			if (u < 0 || (starting && u == 0)) {
				if (starting)
					e->unknown = 1;
				break;
			}
			if (u > 0)
				e->delta += k->weight > 0 ? k->weight : 0;
			else
				failed(e, k->weight, "backend %s has no usable server", k->name);
			break;
		}
		case VRRP_TRK_SCRIPT: {
			const struct vscript *s = script_by_name(k->name);
			int w = k->weight_set ? k->weight : s ? s->c->weight : 0;

			if (!s)
				break;
			if (s->state == VTS_UNKNOWN) {
				e->unknown = 1;
				if (!starting)
					failed(e, w, "script %s has no result yet", k->name);
			} else if (s->state == VTS_OK) {
				e->delta += w > 0 ? w : 0;
			} else {
				failed(e, w, "script %s failed", k->name);
			}
			break;
		}
		case VRRP_TRK_IF:
			if (vrrp_if_up(k->name) == 1)
				e->delta += k->weight > 0 ? k->weight : 0;
			else
				failed(e, k->weight, "interface %s is down", k->name);
			break;
		case VRRP_TRK_FILE: {
			struct vtfile *f = tfile_by_name(k->name);
			int w = k->weight_set ? k->weight : f ? f->c->weight : 0;
			long long v;

			if (!f)
				break;
			if (!f->read_once)
				read_tfile(f);
			if (!w) {
				if (f->value)
					failed(e, 0, "track file %s is not 0", k->name);
				break;
			}
			v = (long long)f->value * w;
			if (v < -253)
				failed(e, 0, "track file %s is below -253", k->name);
			else
				e->delta += (int)(v > 253 ? 253 : v);
			break;
		}
		}
	}
}

/* The longest a backend's checked servers need to be UP after start if
 * they are: first check within min(inter, 500 ms), then rise (or one)
 * checks, each bounded by its timeout. */
static uint64_t backend_grace(const struct proxy *px)
{
	uint64_t g = 0;
	const struct list *l;

	if (!px)
		return 0;
	for (l = px->servers.next; l != &px->servers; l = l->next) {
		const struct server *s = list_entry(l, struct server, link);
		uint64_t inter = s->chk_downinter ? s->chk_downinter : s->chk_inter ? s->chk_inter : CHK_DEF_INTER;
		uint64_t to = px->to.check ? px->to.check : px->to.connect ? px->to.connect : inter;
		int checks = s->init_state == INIT_FULLY_DOWN ? (s->chk_rise > 0 ? s->chk_rise : CHK_DEF_RISE) : 1;
		uint64_t need;

		if (!s->has_check)
			continue;
		need = 500 + (uint64_t)checks * (inter + to);
		if (need > g)
			g = need;
	}
	return g;
}

uint64_t vtrack_grace_ms(const struct vrrp_track *t, int n, const struct cfg *cfg)
{
	uint64_t g = 0;

	for (int i = 0; i < n; i++) {
		uint64_t x = 0;

		if (t[i].kind == VRRP_TRK_BACKEND) {
			x = backend_grace(cfg ? cfg_find_proxy(cfg, t[i].name, PR_CAP_BE) : NULL);
		} else if (t[i].kind == VRRP_TRK_SCRIPT) {
			const struct vscript *s = script_by_name(t[i].name);

			/* the first run starts at once; its result comes within the timeout */
			if (s)
				x = (s->c->timeout_ms ? s->c->timeout_ms : s->c->interval_ms) + KILL_MARGIN_MS;
		}
		if (x > g)
			g = x;
	}
	/* the worker publishes every 100 ms: give it a few rounds */
	return g ? g + 500 : 0;
}

/* ---- scripts ---- */

uint64_t vtrack_run_due(uint64_t now, int (*send)(const struct vrrp_run_req *))
{
	static struct vrrp_run_req q;
	uint64_t next = 0;

	for (int i = 0; i < T.ns; i++) {
		struct vscript *s = &T.s[i];
		const struct vrrp_script_conf *c = s->c;

		if (!s->used || !c->cmd.argv)
			continue;
		if (!s->running && now >= s->next_at) {
			uint32_t id = JOB_SCRIPT | (uint32_t)i << 16 | ++T.seq;

			if (vrrp_run_req_fill(&q, id, c->cmd.argv, NULL, c->cmd.uid, c->cmd.gid,
					      c->timeout_ms ? c->timeout_ms : c->interval_ms) < 0 || send(&q) < 0) {
				/* the runner cannot take it: a failure, tried again next interval */
				struct vrrp_run_res r = { .id = id, .status = -1, .err = EAGAIN };

				s->running = 1;
				s->job = id;
				vtrack_result(&r, now);
			} else {
				s->running = 1;
				s->job = id;
			}
			s->next_at = now + c->interval_ms;
		}
		if (!s->running && (!next || s->next_at < next))
			next = s->next_at;
	}
	return next;
}

int vtrack_result(const struct vrrp_run_res *r, uint64_t now)
{
	struct vscript *s;
	int ok, idx, old;

	if ((r->id & 0xc0000000u) != JOB_SCRIPT)
		return 0;
	idx = (int)(r->id >> 16 & 0x3fff);
	if (idx >= T.ns || !T.s[idx].running || T.s[idx].job != r->id)
		return 1;
	s = &T.s[idx];
	s->running = 0;
	s->runs++;
	s->last_status = r->status;
	s->last_dur_us = r->dur_us;
	if (s->next_at < now)
		s->next_at = now;   /* it ran longer than the interval: next one now */
	/* success: exit status 0 (keepalived); a timeout, a signal or a
	 * failure to start is a failure */
	ok = !r->timed_out && r->status >= 0 && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
	if (!ok) {
		s->failures++;
		if (r->timed_out)
			s->timeouts++;
		s->nfail++;
		s->nok = 0;
	} else {
		s->nok++;
		s->nfail = 0;
	}
	old = s->state;
	if (s->state == VTS_UNKNOWN)
		s->state = ok ? VTS_OK : VTS_FAIL;   /* the first result decides */
	else if (s->state == VTS_OK && s->nfail >= s->c->fall)
		s->state = VTS_FAIL;
	else if (s->state == VTS_FAIL && s->nok >= s->c->rise)
		s->state = VTS_OK;
	if (r->timed_out)
		log_event(LL_WARNING, "VRRP_Script(%s) timed out after %u ms: killed, counted as a failure", s->c->name,
			  s->c->timeout_ms ? s->c->timeout_ms : s->c->interval_ms);
	else if (r->status < 0)
		log_event(LL_WARNING, "VRRP_Script(%s) could not be started: %s", s->c->name, strerror(r->err));
	if (s->state != old) {
		if (s->state == VTS_OK)
			log_event(LL_NOTICE, "VRRP_Script(%s) succeeded", s->c->name);
		else
			log_event(LL_WARNING, "VRRP_Script(%s) failed (exit status %d)", s->c->name,
				  r->status >= 0 && WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1);
	}
	return 1;
}

int vtrack_nscripts(void)
{
	return T.ns;
}

void vtrack_script_snap(int i, struct vrrp_script_snap *out)
{
	const struct vscript *s = &T.s[i];

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", s->c->name);
	out->state = s->state;
	out->runs = s->runs;
	out->failures = s->failures;
	out->timeouts = s->timeouts;
	out->last_status = s->last_status;
	out->last_dur_us = s->last_dur_us;
}
