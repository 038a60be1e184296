/* Health-check run time: which thread owns which server, when the next
 * active check runs, and the one place where a server's health changes.
 *
 * Every server with `check` (or with nginx's max-fails) gets a struct
 * srv_health and an owner thread (round robin over the servers, so checks
 * spread over threads). The owner runs the active checks (check_tcp.c,
 * check_http.c) and a 100 ms tick that lifts max-fails ejections, ramps
 * slowstart weights and re-plans a check that `observe` asked to hurry.
 * Passive reports come from every thread (observe.c). All of them go
 * through srv_health_apply(): the server's lock, the pure state machine
 * (health.c), then atomic stores of server.state/eweight that lb.c reads
 * without locks, and the HAProxy log lines. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/shm_hist.h>
#include <tandem/srv_admin.h>
#include <tandem/srv_state.h>
#include <tandem/worker.h>
#include "check_int.h"

#define TICK_MS 100

struct chk_thread {
	struct srv_health **own;   /* servers this thread watches */
	int    n;
	struct ev_timer tick;
	int    started, stopped;
	int    tick_on;            /* <tick> initialized and armed */
	uint64_t rnd;              /* xorshift state for jitter */
};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t be_lock = PTHREAD_MUTEX_INITIALIZER;  /* backend up/down accounting */
static struct chk_thread *thr;
static int nthr, inited;
static struct cfg *the_cfg;

#define LD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v)  __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* ---- helpers ---- */

static uint32_t rnd32(struct chk_thread *t)
{
	uint64_t x = t->rnd;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rnd = x;
	return (uint32_t)(x >> 16);
}

static int spread_pct(void)
{
	if (the_cfg && the_cfg->g.spread_checks_set)
		return the_cfg->g.spread_checks;
	return CHK_DEF_SPREAD_PCT;
}

/* <inter> moved by up to +-spread% (HAProxy's spread-checks). */
static uint64_t jitter(struct chk_thread *t, uint32_t inter)
{
	int64_t rv = (int64_t)inter * spread_pct() / 100;

	if (rv <= 0)
		return inter;
	return (uint64_t)((int64_t)inter - rv + (int64_t)(rnd32(t) % (uint32_t)(2 * rv + 1)));
}

static const char *px_kind(const struct proxy *px)
{
	if ((px->cap & (PR_CAP_FE | PR_CAP_BE)) == (PR_CAP_FE | PR_CAP_BE))
		return "listen";
	return (px->cap & PR_CAP_BE) ? "backend" : "frontend";
}

static int max_ejected_pct(const struct proxy *be)
{
	const struct chk_px *p = chk_px_of(be);

	return p && p->max_ejected_pct >= 0 ? p->max_ejected_pct : CHK_DEF_EJECT_PCT;
}

/* Usable active and backup servers (HAProxy's srv_act/srv_bck). */
static void be_count(const struct proxy *be, int *act, int *bck)
{
	const struct list *l;

	*act = *bck = 0;
	list_for_each(l, &be->servers) {
		const struct server *s = list_entry(l, struct server, link);

		if (srv_usable(s))
			(s->backup ? (*bck)++ : (*act)++);
	}
}

/* ---- the bound on passive ejections ---- */

struct eject_arg {
	struct proxy *be;
	int reserved;
};

/* Reserve one "out" slot in the backend if max-ejected-percent allows. */
static int may_eject(void *arg)
{
	struct eject_arg *e = arg;
	struct proxy *be = e->be;
	long pct = max_ejected_pct(be), n = be->nsrv;
	int cur = LD(be->srv_nout);

	do {
		if ((long)(cur + 1) * 100 > pct * n)
			return 0;
	} while (!__atomic_compare_exchange_n(&be->srv_nout, &cur, cur + 1, 0,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	e->reserved++;
	return 1;
}

/* ---- applying an event ---- */

/* ASCII-safe copy for the log's info: "..." (HAProxy's chunk_asciiencode). */
static void quote_info(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 5 < len; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, len - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = 0;
}

/* Record a server's state change for the dashboard and `show
 * state-changes` (shm_hist.h). */
static void record_change(const struct server *s, int kind, const char *from, const char *to,
			  const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void record_change(const struct server *s, int kind, const char *from, const char *to,
			  const char *reason, const char *fmt, ...)
{
	char detail[SC_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	shm_state_change(&(struct state_change){ .kind = kind, .proxy = s->be->id, .server = s->id,
		.from = from, .to = to, .reason = reason, .detail = detail });
}

static void log_transition(struct server *s, const struct hs_out *o, int up)
{
	struct proxy *be = s->be;
	char reason[HS_DESC_LEN + 128], info[HS_DESC_LEN * 4 + 8];
	int act, bck, n = 0;

	n += snprintf(reason + n, sizeof(reason) - n, "reason: %s", hchk_status_desc(o->status));
	if (o->status >= HCHK_L7OK)
		n += snprintf(reason + n, sizeof(reason) - n, ", code: %d", o->code);
	if (o->desc && *o->desc) {
		quote_info(info, sizeof(info), o->desc);
		n += snprintf(reason + n, sizeof(reason) - n, ", info: \"%s\"", info);
	}
	if (o->duration >= 0)
		snprintf(reason + n, sizeof(reason) - n, ", check duration: %dms", o->duration);
	be_count(be, &act, &bck);
	record_change(s, SC_HEALTH, up ? "DOWN" : "UP", up ? "UP" : "DOWN", hchk_status_desc(o->status),
		      "%s%s. %d active and %d backup servers %s.", hchk_status_info(o->status),
		      reason + strlen("reason: ") + strlen(hchk_status_desc(o->status)), act, bck, up ? "online" : "left");
	if (up)
		log_event(LL_WARNING, "%sServer %s/%s is UP, %s. %d active and %d backup servers online.%s"
			  " 0 sessions requeued, 0 total in queue.",
			  s->backup ? "Backup " : "", be->id, s->id, reason, act, bck,
			  (bck && !act) ? " Running on backup." : "");
	else
		log_event(LL_WARNING, "%sServer %s/%s is DOWN, %s. %d active and %d backup servers left.%s"
			  " %d sessions active, 0 requeued, 0 remaining in queue.",
			  s->backup ? "Backup " : "", be->id, s->id, reason, act, bck,
			  (bck && !act) ? " Running on backup." : "", LD(s->cur_conns));
}

/* Backend-level effects of a server transition: its downtime, chkdown,
 * last change, and the alert when its last server goes. */
static void be_transition(struct proxy *be, int up, uint64_t now)
{
	int act, bck, alert = 0;

	pthread_mutex_lock(&be_lock);
	be_count(be, &act, &bck);
	if (up && be->down_since_ms) {
		be->downtime_ms += now - be->down_since_ms;
		be->down_since_ms = 0;
		ST(be->last_change, clock_wall_us() / 1000000);
	} else if (!up && !act && !bck && !be->down_since_ms) {
		be->down_since_ms = now ? now : 1;
		__atomic_fetch_add(&be->chkdown, 1, __ATOMIC_RELAXED);
		ST(be->last_change, clock_wall_us() / 1000000);
		alert = 1;
	}
	pthread_mutex_unlock(&be_lock);
	if (alert)
		log_event(LL_ALERT, "%s '%s' has no server available!", px_kind(be), be->id);
}

void srv_health_apply(struct srv_health *h, const struct hs_event *ev, struct hs_out *o)
{
	struct server *s = h->srv;
	struct eject_arg ea = { .be = s->be, .reserved = 0 };
	uint64_t now = clock_mono_us() / 1000;
	int maint;

	pthread_mutex_lock(&h->lock);
	hs_step(&h->hs, &h->conf, ev, now, may_eject, &ea, o);
	if (o->went_down) {
		if (!ea.reserved)
			__atomic_fetch_add(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
		ea.reserved = 0;
	} else if (o->went_up) {
		__atomic_fetch_sub(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
	}
	if (ea.reserved)   /* reserved but not used: give it back */
		__atomic_fetch_sub(&s->be->srv_nout, ea.reserved, __ATOMIC_RELAXED);
	if (o->weight_changed || o->went_up)
		srv_set_eweight(s, h->hs.eweight);
	if (o->went_up || o->went_down || LD(s->state) != h->hs.state)
		srv_set_state(s, h->hs.state);
	if (o->went_up || o->went_down)
		ST(s->last_change, clock_wall_us() / 1000000);
	ST(h->quick_ok, !h->hs.fails && !h->hs.cons_errors);
	pthread_mutex_unlock(&h->lock);

	maint = LD(s->admin) & SRV_ADMF_MAINT;
	if (o->report && (s->be->options & PR_O_LOG_HCHKS) && ev->type == HS_EV_CHECK)
		chk_log_result(h, o, "Health");
	if ((o->went_up || o->went_down) && !maint) {
		log_transition(s, o, o->went_up);
		be_transition(s->be, o->went_up, now);
	}
	if ((o->went_nolb || o->left_nolb) && !maint)
		chk_log_nolb(h, o);
	if (o->refused)
		log_event(LL_NOTICE, "Server %s/%s is not taken out of rotation: max-ejected-percent %d reached "
			  "(%s).", s->be->id, s->id, max_ejected_pct(s->be), o->desc && *o->desc ? o->desc : "passive check");
}

/* ---- active checks: scheduling ---- */

static void plan_next(struct srv_health *h)
{
	struct chk_thread *t = &thr[h->tid];
	uint32_t inter;

	if (t->stopped)
		return;
	pthread_mutex_lock(&h->lock);
	inter = hs_next_inter(&h->hs, &h->conf);
	h->hs.fastinter = 0;   /* HAProxy clears it once the next check is planned */
	h->hs.resched = 0;
	pthread_mutex_unlock(&h->lock);
	loop_timer_set(&worker.thr[h->tid].loop, &h->run.tmr, now_ms + jitter(t, inter));
}

void chk_report(struct srv_health *h, int status, int code, const char *desc)
{
	struct hs_event ev = { .type = HS_EV_CHECK, .status = status, .code = code, .desc = desc };
	struct hs_out o;
	uint64_t us = clock_mono_us();

	ev.duration = (int)((us - h->run.start_us) / 1000);
	chk_conn_close(h);
	if (LD(h->gone))
		return;
	if (!LD(h->paused))    /* a result that arrives after `disable health` is dropped */
		srv_health_apply(h, &ev, &o);
	plan_next(h);
}

static void check_target(struct srv_health *h);

/* The check timer: start a check, or time out the running one. */
static void check_timer_cb(struct ev_timer *tmr)
{
	struct srv_health *h = tmr->ctx;
	unsigned gen;

	if (thr[h->tid].stopped)
		return;
	if (LD(h->gone)) {         /* deleted server: the timer is not re-armed */
		chk_conn_close(h);
		return;
	}
	if (h->run.running) {
		chk_conn_timeout(h);
	} else if (LD(h->paused) || (LD(h->srv->admin) & SRV_ADMF_MAINT)) {
		/* `disable health`, or maintenance: HAProxy runs no check on a server in MAINT */
		plan_next(h);      /* keep ticking: `enable health` needs no other thread */
	} else {
		if ((gen = __atomic_load_n(&h->addr_gen, __ATOMIC_ACQUIRE)) != h->addr_seen) {
			pthread_mutex_lock(&h->lock);
			check_target(h);
			pthread_mutex_unlock(&h->lock);
			h->addr_seen = gen;
		}
		chk_conn_start(h);
	}
}

/* Every TICK_MS on threads that own servers: max-fails ejections expire,
 * slowstart weights ramp, observe's "hurry" re-plans the next check. */
static void tick_cb(struct ev_timer *tmr)
{
	struct chk_thread *t = tmr->ctx;

	if (t->stopped)
		return;
	for (int i = 0; i < t->n; i++) {
		struct srv_health *h = t->own[i];
		struct hs_event ev = { .type = HS_EV_TICK };
		struct hs_out o;
		int busy, resched, need;

		if (LD(h->gone))
			continue;
		pthread_mutex_lock(&h->lock);
		need = h->hs.ejected || h->hs.state == SRV_ST_STARTING;
		resched = h->hs.resched;
		pthread_mutex_unlock(&h->lock);
		if (need)
			srv_health_apply(h, &ev, &o);
		busy = h->run.running;
		/* The server moved (DNS, `set server addr`) while a check was
		 * under way: that check judges an address the server no longer
		 * has, and a connect to one that left the network waits for its
		 * timeout (seconds). It is dropped without a verdict and started
		 * again at the new address. */
		if (busy && __atomic_load_n(&h->addr_gen, __ATOMIC_ACQUIRE) != h->addr_seen) {
			chk_conn_close(h);
			loop_timer_set(this_loop, &h->run.tmr, now_ms);
			busy = 0;
		}
		/* a check asked for at once (srv_health_renew): once the server
		 * is out of maintenance, where no check runs */
		if (LD(h->hurry) && h->conf.has_check && !busy && !LD(h->paused) &&
		    !(LD(h->srv->admin) & SRV_ADMF_MAINT)) {
			ST(h->hurry, 0);
			loop_timer_set(this_loop, &h->run.tmr, now_ms);
			continue;
		}
		if (resched && h->conf.has_check && !busy) {
			uint32_t inter;

			pthread_mutex_lock(&h->lock);
			h->hs.resched = 0;
			inter = hs_next_inter(&h->hs, &h->conf);
			pthread_mutex_unlock(&h->lock);
			/* only ever advance the next check (HAProxy wakes the task) */
			if (!ev_timer_armed(&h->run.tmr) || h->run.tmr.when > now_ms + inter)
				loop_timer_set(this_loop, &h->run.tmr, now_ms + inter);
		}
	}
	loop_timer_set(this_loop, tmr, now_ms + TICK_MS);
}

/* ---- start and stop ---- */

static void warn_unused_rules(struct cfg *cfg)
{
	struct list *l;

	list_for_each(l, &cfg->proxies) {
		struct proxy *px = list_entry(l, struct proxy, link);
		const struct chk_px *p = chk_px_of(px);

		if (!(px->cap & PR_CAP_BE) || !p)
			continue;
		if (p->http_rules && p->type != CHK_TYPE_HTTP)
			log_event(LL_WARNING, "%s '%s' uses http-check rules without 'option httpchk', so the rules are ignored.",
				  px_kind(px), px->id);
		if (p->tcp_rules_given && p->type != CHK_TYPE_TCP)
			log_event(LL_WARNING, "%s '%s' uses tcp-check rules without 'option tcp-check', so the rules are ignored.",
				  px_kind(px), px->id);
	}
}

/* Where checks connect: `addr` or the server's address, `port` or the
 * server's port; a first `tcp-check connect port N` wins. */
static void check_target(struct srv_health *h)
{
	const struct server *s = h->srv;
	const struct chk_px *p = h->px;
	struct sockaddr_storage sa;
	socklen_t sl;
	int port = s->chk_port;

	srv_addr_get(s, &sa, &sl);   /* the admin socket may change it */
	if (s->chk_addrlen) {
		h->addr = s->chk_addr;
		h->addrlen = s->chk_addrlen;
	} else {
		h->addr = sa;
		h->addrlen = sl;
	}
	if (p && p->type == CHK_TYPE_TCP)
		chk_first_connect(p, &h->addr, &h->addrlen, &port);
	else if (p && p->type == CHK_TYPE_HTTP && p->has_conn)
		chk_http_connect(p, &h->addr, &h->addrlen, &port);
	if (!port && s->chk_addrlen) {   /* a port written with `addr` */
		if (h->addr.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&h->addr)->sin_port);
		else if (h->addr.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&h->addr)->sin6_port);
		if (!port)
			port = sa.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&sa)->sin_port)
			     : sa.ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)&sa)->sin6_port) : 0;
	}
	if (port) {
		if (h->addr.ss_family == AF_INET)
			((struct sockaddr_in *)&h->addr)->sin_port = htons((uint16_t)port);
		else if (h->addr.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&h->addr)->sin6_port = htons((uint16_t)port);
	}
}

/* Once, before any thread runs: health state for every watched server,
 * owners, initial states, backend counters. */
static int global_init(struct cfg *cfg, int nbthread)
{
	struct list *pl, *sl;
	uint64_t now = clock_mono_us() / 1000;
	int next_owner = 0;

	the_cfg = cfg;
	nthr = nbthread > 0 ? nbthread : 1;
	if (!(thr = calloc((size_t)nthr, sizeof(*thr))))
		return -1;
	for (int i = 0; i < nthr; i++)
		thr[i].rnd = (clock_mono_us() ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull)) | 1;
	warn_unused_rules(cfg);
	list_for_each(pl, &cfg->proxies) {
		struct proxy *be = list_entry(pl, struct proxy, link);
		int act = 0, bck = 0;

		if (!(be->cap & PR_CAP_BE) || be->disabled)
			continue;   /* a disabled proxy is not checked (HAProxy) */
		list_for_each(sl, &be->servers) {
			struct server *s = list_entry(sl, struct server, link);
			struct srv_health *h;
			struct chk_thread *t;
			struct srv_health **no;

			if (s->observe && !s->has_check)
				log_event(LL_WARNING, "config : %s '%s' : server '%s' has 'observe' without 'check': observing is disabled.",
					  px_kind(be), be->id, s->id);
			if (!(h = calloc(1, sizeof(*h))))
				return -1;
			ev_timer_init(&h->run.tmr, check_timer_cb, h);
			ev_io_init(&h->run.io, -1, NULL, h);
			h->run.fd = -1;
			hs_conf_from_server(&h->conf, s);
			if (!h->conf.has_check && !h->conf.max_fails && !s->has_agent) {
				free(h);
				continue;
			}
			pthread_mutex_init(&h->lock, NULL);
			h->srv = s;
			h->px = s->has_check ? chk_px_of(be) : NULL;
			h->run.fd = -1;
			h->tid = next_owner++ % nthr;
			check_target(h);
			if ((h->conf.has_check && chk_prepare(h) < 0) || chk_agent_init(h) < 0) {
				free(h);
				return -1;
			}
			hs_init(&h->hs, &h->conf, now);
			h->quick_ok = 1;
			srv_set_state(s, h->hs.state);
			srv_set_eweight(s, h->hs.eweight);
			ST(s->last_change, clock_wall_us() / 1000000);
			if (h->hs.state == SRV_ST_STOPPED)
				be->srv_nout++;
			s->hc = h;
			t = &thr[h->tid];
			if (!(no = realloc(t->own, (size_t)(t->n + 1) * sizeof(*no))))
				return -1;
			t->own = no;
			t->own[t->n++] = h;
		}
		be_count(be, &act, &bck);
		if (!act && !bck && be->nsrv)
			be->down_since_ms = now ? now : 1;
	}
	return 0;
}

void checks_start_thread(struct cfg *cfg, int tid, int nbthread)
{
	struct chk_thread *t;
	struct loop *l;
	int nbcheck = 0, pos = 0;
	uint32_t mininter = 0, window;

	pthread_mutex_lock(&init_lock);
	if (!inited) {
		inited = 1;
		if (global_init(cfg, nbthread) < 0)
			log_event(LL_ALERT, "health checks: out of memory, some servers are not checked.");
	}
	pthread_mutex_unlock(&init_lock);
	if (!thr || tid < 0 || tid >= nthr)
		return;
	t = &thr[tid];
	if (t->started)
		return;
	t->started = 1;
	l = &worker.thr[tid].loop;
	/* first checks spread over min(smallest inter, 500ms), HAProxy-style
	 * (position / count of all checks), so a restart does not fire every
	 * check at once yet servers that start DOWN come up quickly */
	for (int i = 0; i < nthr; i++)
		for (int j = 0; j < thr[i].n; j++)
			if (thr[i].own[j]->conf.has_check) {
				nbcheck++;
				if (!mininter || thr[i].own[j]->conf.inter < mininter)
					mininter = thr[i].own[j]->conf.inter;
			}
	window = mininter < 500 ? mininter : 500;
	for (int i = 0; i < nthr; i++)
		for (int j = 0; j < thr[i].n; j++) {
			struct srv_health *h = thr[i].own[j];

			if (!h->conf.has_check)
				continue;
			if (i == tid) {
				loop_timer_set(l, &h->run.tmr, now_ms + (uint64_t)window * pos / (nbcheck ? nbcheck : 1));
			}
			pos++;
		}
	for (int j = 0; j < t->n; j++)   /* agents start with the first checks */
		chk_agent_start(t->own[j], (uint32_t)(window * (j + 1) / (t->n + 1)));
	/* initialized even when unused: checks_stop_thread() deletes it, and a
	 * zeroed timer would look armed at heap slot 0 */
	ev_timer_init(&t->tick, tick_cb, t);
	if (t->n) {
		loop_timer_set(l, &t->tick, now_ms + TICK_MS);
		t->tick_on = 1;
	}
}

void checks_stop_thread(int tid)
{
	struct chk_thread *t;
	struct loop *l;

	if (!thr || tid < 0 || tid >= nthr)
		return;
	t = &thr[tid];
	if (t->stopped)
		return;
	t->stopped = 1;
	l = &worker.thr[tid].loop;
	loop_timer_del(l, &t->tick);
	for (int i = 0; i < t->n; i++) {
		struct srv_health *h = t->own[i];

		if (h->run.running)
			chk_conn_close(h);
		loop_timer_del(l, &h->run.tmr);
		chk_agent_stop(h);
	}
}

/* ---- the admin socket ----
 * Called on the admin socket's thread (worker thread 0), which may not own
 * the server's checks: state goes through the server's lock like every
 * other event; check timers are never touched from here except for servers
 * this thread owns (dynamic ones). Paused and deleted servers are noticed
 * by their owner thread at its next timer. */

static void log_forced(struct server *s, int was, int state, const char *why)
{
	int act, bck;

	be_count(s->be, &act, &bck);
	record_change(s, SC_ADMIN, was == SRV_ST_STOPPED ? "DOWN" : was == SRV_ST_STOPPING ? "NOLB" : "UP",
		      state == SRV_ST_STOPPED ? "DOWN" : state == SRV_ST_STOPPING ? "NOLB" : "UP", why,
		      "forced health; %d active and %d backup servers %s.", act, bck,
		      state == SRV_ST_RUNNING ? "online" : "left");
	if (state == SRV_ST_RUNNING)
		log_event(LL_WARNING, "%sServer %s/%s is UP, %s. %d active and %d backup servers online.%s"
			  " 0 sessions requeued, 0 total in queue.", s->backup ? "Backup " : "", s->be->id, s->id,
			  why, act, bck, (bck && !act) ? " Running on backup." : "");
	else
		log_event(LL_WARNING, "%sServer %s/%s is %s, %s. %d active and %d backup servers left.%s"
			  " %d sessions active, 0 requeued, 0 remaining in queue.", s->backup ? "Backup " : "",
			  s->be->id, s->id, state == SRV_ST_STOPPED ? "DOWN" : "stopping", why, act, bck,
			  (bck && !act) ? " Running on backup." : "", LD(s->cur_conns));
}

int srv_health_force(struct server *s, int state, const char *why)
{
	struct srv_health *h = s->hc;
	uint64_t now = clock_mono_us() / 1000;
	int was, top;

	if (!h)
		return -1;
	pthread_mutex_lock(&h->lock);
	was = h->hs.state;
	top = h->conf.rise + h->conf.fall - 1;
	if (state == SRV_ST_STOPPED) {
		h->hs.health = 0;
		if (was != SRV_ST_STOPPED) {
			h->hs.down_since = now;
			h->hs.chkdown++;
			__atomic_fetch_add(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
		}
	} else {
		h->hs.health = h->conf.has_check ? top : h->hs.health;
		h->hs.ejected = 0;
		h->hs.fails = 0;
		if (was == SRV_ST_STOPPED) {
			h->hs.downtime += now >= h->hs.down_since ? now - h->hs.down_since : 0;
			h->hs.was_up = 1;
			__atomic_fetch_sub(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
		}
		h->hs.eweight = h->conf.uweight;
		srv_set_eweight(s, h->hs.eweight);
	}
	h->hs.state = state;
	h->hs.passive_down = 0;   /* the admin decided, not live traffic */
	srv_set_state(s, state);
	if (was != state)
		ST(s->last_change, clock_wall_us() / 1000000);
	pthread_mutex_unlock(&h->lock);
	if (was != state && !(LD(s->admin) & SRV_ADMF_MAINT)) {
		log_forced(s, was, state, why);
		if ((was == SRV_ST_STOPPED) != (state == SRV_ST_STOPPED))
			be_transition(s->be, state != SRV_ST_STOPPED, now);
	}
	return 0;
}

int srv_health_set_uweight(struct server *s, int w)
{
	struct srv_health *h = s->hc;

	if (!h)
		return -1;
	pthread_mutex_lock(&h->lock);
	h->conf.uweight = w;
	/* slowstart in progress: the ramp now climbs towards <w> */
	h->hs.eweight = h->hs.state == SRV_ST_STOPPED ? w : hs_weight(&h->hs, &h->conf, clock_mono_us() / 1000);
	srv_set_eweight(s, h->hs.eweight);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

int srv_health_pause(struct server *s, int paused)
{
	struct srv_health *h = s->hc;

	if (!h || !h->conf.has_check)
		return -1;
	ST(h->paused, paused);
	/* an unchecked server for the stats ("no check"), as in HAProxy */
	ST(s->has_check, !paused);
	return 0;
}

int srv_health_paused(const struct server *s)
{
	struct srv_health *h = s->hc;

	if (!h || !h->conf.has_check)
		return -1;
	return LD(h->paused);
}

void srv_health_addr_changed(struct server *s)
{
	if (s->hc)
		__atomic_fetch_add(&s->hc->addr_gen, 1, __ATOMIC_RELEASE);
}

void srv_health_renew(struct server *s, int reset)
{
	struct srv_health *h = s->hc;
	uint64_t now = clock_mono_us() / 1000;

	if (!h || !h->conf.has_check)
		return;
	if (reset) {
		struct hs old;
		int was, is;

		pthread_mutex_lock(&h->lock);
		old = h->hs;
		was = old.state;
		hs_init(&h->hs, &h->conf, now);
		/* the counters go on: only the verdict starts again */
		h->hs.chkfail = old.chkfail;
		h->hs.chkdown = old.chkdown;
		h->hs.hanafail = old.hanafail;
		h->hs.downtime = old.downtime + (old.down_since && now > old.down_since ? now - old.down_since : 0);
		is = h->hs.state;
		if ((was == SRV_ST_STOPPED) != (is == SRV_ST_STOPPED))
			__atomic_fetch_add(&s->be->srv_nout, is == SRV_ST_STOPPED ? 1 : -1, __ATOMIC_RELAXED);
		ST(s->eweight, h->hs.eweight);
		ST(s->state, is);
		pthread_mutex_unlock(&h->lock);
	}
	ST(h->hurry, 1);
}

int srv_health_attach(struct server *s, int paused)
{
	int tid = this_thr ? this_thr->id : 0;
	uint64_t now = clock_mono_us() / 1000;
	struct chk_thread *t;
	struct srv_health *h, **no;

	if (!(h = calloc(1, sizeof(*h))))
		return -1;
	hs_conf_from_server(&h->conf, s);
	if (!h->conf.has_check && !h->conf.max_fails && !s->has_agent) {
		free(h);
		return 0;
	}
	if (!thr || tid >= nthr) {
		free(h);
		return -1;
	}
	t = &thr[tid];
	if (!(no = realloc(t->own, (size_t)(t->n + 1) * sizeof(*no)))) {
		free(h);
		return -1;
	}
	t->own = no;
	ev_timer_init(&h->run.tmr, check_timer_cb, h);
	ev_io_init(&h->run.io, -1, NULL, h);
	h->run.fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	h->srv = s;
	h->px = s->has_check ? chk_px_of(s->be) : NULL;
	h->tid = tid;
	check_target(h);
	if ((h->conf.has_check && chk_prepare(h) < 0) || chk_agent_init(h) < 0) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		return -1;
	}
	hs_init(&h->hs, &h->conf, now);
	h->quick_ok = 1;
	h->paused = paused && h->conf.has_check;
	srv_set_state(s, h->hs.state);
	srv_set_eweight(s, h->hs.eweight);
	ST(s->last_change, clock_wall_us() / 1000000);
	if (h->hs.state == SRV_ST_STOPPED)
		__atomic_fetch_add(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
	s->hc = h;
	t->own[t->n++] = h;
	if (!t->tick_on && !t->stopped) {
		ev_timer_init(&t->tick, tick_cb, t);
		loop_timer_set(this_loop, &t->tick, now_ms + TICK_MS);
		t->tick_on = 1;
	}
	if (h->conf.has_check && !t->stopped)
		loop_timer_set(this_loop, &h->run.tmr, now_ms + jitter(t, h->conf.inter));
	if (!t->stopped)
		chk_agent_start(h, jitter(t, h->agent ? h->agent->inter : 0));
	return 0;
}

void srv_health_detach(struct server *s)
{
	struct srv_health *h = s->hc;

	if (!h)
		return;
	ST(h->gone, 1);
	pthread_mutex_lock(&h->lock);
	if (h->hs.state == SRV_ST_STOPPED)   /* no longer counts against max-ejected-percent */
		__atomic_fetch_sub(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&h->lock);
}

void srv_health_free(struct srv_health *h)
{
	if (!h)
		return;
	if (h->run.fd >= 0)
		close(h->run.fd);
	chk_agent_free(h);
	pthread_mutex_destroy(&h->lock);
	free(h->run.in);
	free(h->req);
	free(h);
}

/* ---- stats ---- */

int srv_check_snapshot(const struct server *s, struct chk_snap *out)
{
	struct srv_health *h = s->hc;
	uint64_t now;

	memset(out, 0, sizeof(*out));
	if (!h)
		return -1;
	now = clock_mono_us() / 1000;
	pthread_mutex_lock(&h->lock);
	out->enabled = h->conf.has_check;
	out->status = h->hs.status;
	out->code = h->hs.code;
	out->duration = h->hs.duration;
	out->health = h->hs.health;
	out->rise = h->conf.rise;
	out->fall = h->conf.fall;
	out->transitional = hs_transitional(&h->hs, &h->conf);
	out->state = h->hs.state;
	out->chkfail = h->hs.chkfail;
	out->chkdown = h->hs.chkdown;
	out->hanafail = h->hs.hanafail;
	out->downtime_s = (h->hs.downtime + (h->hs.state == SRV_ST_STOPPED && now > h->hs.down_since ?
					      now - h->hs.down_since : 0)) / 1000;
	memcpy(out->desc, h->hs.desc, sizeof(out->desc));
	pthread_mutex_unlock(&h->lock);
	return 0;
}

uint64_t be_downtime_s(const struct proxy *px)
{
	uint64_t d, now = clock_mono_us() / 1000;

	pthread_mutex_lock(&be_lock);
	d = px->downtime_ms + (px->down_since_ms && now > px->down_since_ms ? now - px->down_since_ms : 0);
	pthread_mutex_unlock(&be_lock);
	return d / 1000;
}

/* Reload: go on from the health the previous worker had for <s>, instead
 * of starting over from init-state (HAProxy forgets it unless told to load
 * a state file). Called once per server before the checks run. */
int srv_health_restore(struct server *s, int state, int health, uint64_t chkfail,
		       uint64_t chkdown, uint64_t downtime_ms)
{
	struct srv_health *h = s->hc;
	uint64_t now = clock_mono_us() / 1000;
	int hmax, was_down, down;

	if (!h || !h->conf.has_check)
		return -1;
	pthread_mutex_lock(&h->lock);
	hmax = h->conf.rise + h->conf.fall - 1;
	was_down = h->hs.state == SRV_ST_STOPPED;
	down = state == SRV_ST_STOPPED;
	h->hs.health = health < 0 ? 0 : health > hmax ? hmax : health;
	/* a server that was UP stays UP, without a new slowstart ramp */
	h->hs.state = down ? SRV_ST_STOPPED : SRV_ST_RUNNING;
	h->conf.uweight = s->uweight;  /* a runtime weight may have been taken over */
	if (!down) {
		h->hs.was_up = 1;
		h->hs.down_since = 0;
		h->hs.eweight = h->conf.uweight;
		if (h->hs.health < h->conf.rise)
			h->hs.health = h->conf.rise;
	} else {
		h->hs.down_since = now ? now : 1;
		if (h->hs.health >= h->conf.rise)
			h->hs.health = h->conf.rise - 1;
	}
	h->hs.chkfail = chkfail;
	h->hs.chkdown = chkdown;
	h->hs.downtime = downtime_ms;
	srv_set_state(s, h->hs.state);
	srv_set_eweight(s, h->hs.eweight);
	pthread_mutex_unlock(&h->lock);
	if (was_down && !down)
		__atomic_fetch_sub(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
	else if (!was_down && down)
		__atomic_fetch_add(&s->be->srv_nout, 1, __ATOMIC_RELAXED);
	return 0;
}
