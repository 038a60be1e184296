/* VRRP instances at run time, in the master process: one thread running
 * the project's event loop (include/tandem/loop.h) with every signal
 * blocked, so the master's sigwaitinfo() keeps receiving them all.
 *
 * Per instance: a raw socket for protocol 112, the pure state machine of
 * fsm.c, one timer for its Master_Down/Adver timers, one for gratuitous
 * ARP refreshes. A health tick (every 50 ms) starts the instances once the
 * worker beats, and turns the worker's heartbeats and the tracked
 * backends (both read from the master/worker shared area, shm.h) into
 * FAULT / priority changes. Each change is logged in keepalived's words,
 * passed to the notify script, and published in a snapshot kept in memory
 * shared with the worker (vrrp_snapshot()).
 *
 * The instance lives in the master, so a new worker (a crash restart, a
 * future reload) never moves the addresses. A crash of the master itself
 * is covered by the guard process (guard.c). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/proxy-t.h>
#include <tandem/shm.h>
#include "vrrp_int.h"

extern char **environ;

#define HEALTH_MS     50      /* how often worker and backends are looked at */
#define DROP_LOG_MS   5000    /* at most one "dropped" / "cannot send" line per instance this often */

/* Snapshot slots shared with the worker; seqlock per slot (odd = writing). */
struct vshared {
	int n;
	struct {
		uint32_t seq;
		struct vrrp_snap s;
	} slot[VRRP_MAX_INST];
};

struct vinst {
	const struct vrrp_conf *c;  /* == &conf */
	struct vrrp_conf conf;      /* own copy: a reload frees the configuration */
	struct vrrp_fsm f;
	int      ifindex;
	uint8_t  mac[6];
	uint8_t  primary[4];
	int      fd;
	struct ev_io io;
	struct ev_timer tmr;      /* the state machine's next timer */
	struct ev_timer garp;     /* garp-refresh */
	int      vif[VRRP_MAX_VIPS];      /* interface of each address */
	uint8_t  vmac[VRRP_MAX_VIPS][6];
	uint8_t  addrs[4 * VRRP_MAX_VIPS]; /* as advertised */
	int      ndst;
	uint8_t  dst[VRRP_MAX_PEERS][4];
	int      started;         /* Startup issued (the worker beat once) */
	uint64_t drop_logged_ms;
	uint64_t send_err_logged_ms;
	struct vrrp_snap snap;    /* this thread's copy, published to the slot */
};

static struct {
	struct vinst inst[VRRP_MAX_INST];
	int      n;
	struct vshared *sh;
	struct loop loop;
	pthread_t th;
	int      running;         /* the thread exists */
	volatile int stop_req;
	int      nl, garp_fd;
	pid_t    guard;
	uint32_t nlseq;
	struct ev_timer health;
	struct vrrp_guard_inst gplan[VRRP_MAX_INST];
} V = { .nl = -1, .garp_fd = -1, .guard = -1 };

static const char *ipstr(const struct vrrp_ip *ip, char *buf, size_t len)
{
	if (!ip->af)
		return "none";
	return inet_ntop(ip->af, ip->a, buf, (socklen_t)len) ? buf : "?";
}

/* ---- snapshot ---- */

static void publish(struct vinst *vi)
{
	int i = (int)(vi - V.inst);
	uint32_t seq = V.sh->slot[i].seq;

	vi->snap.state = vi->f.state;
	vi->snap.eff_priority = vi->f.priority;
	vi->snap.master_adver_cs = vi->f.master_adver_cs;
	vi->snap.master = vi->f.master;
	vi->snap.master_prio = vi->f.master_prio;
	__atomic_store_n(&V.sh->slot[i].seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&V.sh->slot[i].s, &vi->snap, sizeof(vi->snap));
	__atomic_store_n(&V.sh->slot[i].seq, seq + 2, __ATOMIC_RELEASE);
}

int vrrp_snapshot(struct vrrp_snap *out, int max)
{
	int n;

	if (!V.sh)
		return 0;
	n = __atomic_load_n(&V.sh->n, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n && i < max; i++) {
		uint32_t s1, s2;

		do {
			s1 = __atomic_load_n(&V.sh->slot[i].seq, __ATOMIC_ACQUIRE);
			memcpy(&out[i], &V.sh->slot[i].s, sizeof(out[i]));
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s2 = __atomic_load_n(&V.sh->slot[i].seq, __ATOMIC_RELAXED);
		} while ((s1 & 1) || s1 != s2);
	}
	return n;
}

/* ---- actions ---- */

static void send_advert(struct vinst *vi, int prio)
{
	uint8_t pkt[VRRP_HDR_LEN + 4 * VRRP_MAX_VIPS];
	int sent = 0;

	for (int d = 0; d < vi->ndst; d++) {
		size_t len = vrrp_pkt_build4(pkt, sizeof(pkt), vi->c->vrid, prio, vi->c->adver_cs,
					     vi->addrs, vi->c->nvips, vi->primary, vi->dst[d]);

		if (len && vrrp_send4(vi->fd, vi->ifindex, vi->primary, vi->dst[d], pkt, len) == 0)
			sent = 1;
	}
	if (!sent) {
		/* a link that is down fails every interval: say it once in a while */
		if (!vi->send_err_logged_ms || now_ms - vi->send_err_logged_ms >= DROP_LOG_MS) {
			vi->send_err_logged_ms = now_ms;
			log_event(LL_WARNING, "(%s) cannot send an advertisement on %s: %s", vi->c->name,
				  vi->c->ifname, strerror(errno));
		}
		return;
	}
	vi->snap.adverts_tx++;
	if (!prio) {
		vi->snap.prio0_tx++;
		log_event(LL_NOTICE, "(%s) sent 0 priority", vi->c->name);
	}
}

static void garp_burst(struct vinst *vi)
{
	for (int r = 0; r < vi->c->garp_repeat; r++)
		for (int i = 0; i < vi->c->nvips; i++)
			vrrp_garp_send(V.garp_fd, vi->vif[i], vi->vmac[i], vi->c->vips[i].ip.a);
}

static void vips_change(struct vinst *vi, int add)
{
	char a[INET6_ADDRSTRLEN];

	log_event(LL_NOTICE, "(%s) %s VIPs.", vi->c->name, add ? "setting" : "removing");
	for (int i = 0; i < vi->c->nvips; i++) {
		const struct vrrp_vip *v = &vi->c->vips[i];
		uint8_t msg[64];
		size_t len = vrrp_nl_build_addr(msg, sizeof(msg), add, vi->vif[i], &v->ip, v->plen, ++V.nlseq);
		int r = len ? vrrp_nl_request(V.nl, msg, len) : -EINVAL;

		/* already there / already gone is what we wanted */
		if (r && !(add && r == -EEXIST) && !(!add && r == -EADDRNOTAVAIL))
			log_event(LL_ERR, "(%s) cannot %s %s/%d: %s", vi->c->name, add ? "add" : "remove",
				  ipstr(&v->ip, a, sizeof(a)), v->plen, strerror(-r));
	}
	if (add) {
		garp_burst(vi);
		if (vi->c->garp_refresh_ms)
			loop_timer_set(&V.loop, &vi->garp, now_ms + vi->c->garp_refresh_ms);
	} else {
		loop_timer_del(&V.loop, &vi->garp);
	}
}

/* keepalived's notify convention: PATH INSTANCE NAME STATE PRIORITY. */
static void notify(struct vinst *vi)
{
	const char *st = vi->f.state == VRRP_ST_INIT ? "STOP" : vrrp_state_str(vi->f.state);
	char prio[8], *argv[6];
	posix_spawnattr_t at;
	posix_spawn_file_actions_t fa;
	sigset_t none, all;
	pid_t pid;
	int r;

	if (!vi->c->notify)
		return;
	snprintf(prio, sizeof(prio), "%d", vi->f.priority);
	argv[0] = vi->c->notify;
	argv[1] = "INSTANCE";
	argv[2] = (char *)vi->c->name;
	argv[3] = (char *)st;
	argv[4] = prio;
	argv[5] = NULL;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_init(&fa);
	/* the script gets stdio only (the master's descriptors are mostly
	 * close-on-exec already; this covers the rest) */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* the master's SIGCHLD handling reaps it (it waits for any child) */
	r = posix_spawn(&pid, vi->c->notify, &fa, &at, argv, environ);
	if (r)
		log_event(LL_WARNING, "(%s) cannot run notify script %s: %s", vi->c->name, vi->c->notify, strerror(r));
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
}

static void log_state(struct vinst *vi)
{
	char m[INET6_ADDRSTRLEN];

	switch (vi->f.state) {
	case VRRP_ST_MASTER:
		log_event(LL_NOTICE, "(%s) Entering MASTER STATE (priority %d)", vi->c->name, vi->f.priority);
		break;
	case VRRP_ST_BACKUP:
		if (vi->f.master.af)
			log_event(LL_NOTICE, "(%s) Entering BACKUP STATE (priority %d, master %s priority %d)",
				  vi->c->name, vi->f.priority, ipstr(&vi->f.master, m, sizeof(m)), vi->f.master_prio);
		else
			log_event(LL_NOTICE, "(%s) Entering BACKUP STATE (priority %d)", vi->c->name, vi->f.priority);
		break;
	case VRRP_ST_FAULT:
		log_event(LL_WARNING, "(%s) Entering FAULT STATE (%s)", vi->c->name,
			  vi->snap.fault_worker ? "the worker stopped serving" : "a tracked backend has no usable server");
		break;
	case VRRP_ST_INIT:
		log_event(LL_NOTICE, "(%s) Stopped (INIT STATE)", vi->c->name);
		break;
	}
}

/* Perform what vrrp_fsm_step() asked for, re-arm the timer, publish. */
static void apply(struct vinst *vi, unsigned act)
{
	uint64_t next;

	if (act & VRRP_ACT_STATE) {
		vi->snap.transitions++;
		vi->snap.since_ms = now_ms;
		if (vi->f.state == VRRP_ST_MASTER)
			vi->snap.became_master++;
		log_state(vi);
	}
	if (act & VRRP_ACT_SEND_PRIO0)
		send_advert(vi, 0);
	if (act & VRRP_ACT_SEND_ADVERT)
		send_advert(vi, vi->f.priority);
	if (act & VRRP_ACT_ADD_VIPS)
		vips_change(vi, 1);
	if (act & VRRP_ACT_DEL_VIPS)
		vips_change(vi, 0);
	if (act & VRRP_ACT_STATE)
		notify(vi);   /* once the addresses are where the state says */
	next = vrrp_fsm_next(&vi->f);
	if (next)
		loop_timer_set(&V.loop, &vi->tmr, next);
	else
		loop_timer_del(&V.loop, &vi->tmr);
	publish(vi);
}

static void step(struct vinst *vi, enum vrrp_event ev)
{
	struct vrrp_input in = { .ev = ev };

	apply(vi, vrrp_fsm_step(&vi->f, &in, now_ms));
}

/* ---- events ---- */

static void timer_cb(struct ev_timer *t)
{
	struct vinst *vi = t->ctx;

	if (vi->f.state == VRRP_ST_BACKUP && vi->f.master_down_at && now_ms >= vi->f.master_down_at)
		log_event(LL_NOTICE, "(%s) Receive advertisement timeout", vi->c->name);
	step(vi, VRRP_EV_TIMER);
}

static void garp_cb(struct ev_timer *t)
{
	struct vinst *vi = t->ctx;

	if (vi->f.state != VRRP_ST_MASTER)
		return;
	garp_burst(vi);
	loop_timer_set(&V.loop, t, now_ms + vi->c->garp_refresh_ms);
}

static void drop(struct vinst *vi, int why, const struct vrrp_advert *ad)
{
	char s[INET6_ADDRSTRLEN];

	vi->snap.dropped[why]++;
	if (why == VRRP_DROP_VRID || why == VRRP_DROP_SELF)
		return;   /* normal on a shared LAN: counted, not logged */
	if (vi->drop_logged_ms && now_ms - vi->drop_logged_ms < DROP_LOG_MS)
		return;
	vi->drop_logged_ms = now_ms;
	log_event(LL_WARNING, "(%s) dropped a VRRP packet from %s: %s (further drops counted, logged every %d s)",
		  vi->c->name, ad && ad->src.af ? ipstr(&ad->src, s, sizeof(s)) : "?", vrrp_drop_str(why),
		  DROP_LOG_MS / 1000);
}

/* RFC 5798 7.1: "SHOULD verify that the Count IPvX Addrs and the list of
 * IPvX Address(es) match the IPvX Address(es) configured for the VRID";
 * a mismatch is dropped unless the sender is the owner (priority 255). */
static int addrs_match(const struct vinst *vi, const struct vrrp_advert *ad)
{
	if (ad->naddr != vi->c->nvips)
		return 0;
	for (int i = 0; i < ad->naddr; i++) {
		int found = 0;

		for (int j = 0; j < vi->c->nvips && !found; j++)
			found = !memcmp(ad->addrs + 4 * i, vi->c->vips[j].ip.a, 4);
		if (!found)
			return 0;
	}
	return 1;
}

static int is_peer(const struct vinst *vi, const struct vrrp_ip *src)
{
	for (int i = 0; i < vi->c->npeers; i++)
		if (!memcmp(vi->c->peers[i].a, src->a, 4))
			return 1;
	return 0;
}

static void advert_in(struct vinst *vi, const uint8_t *buf, size_t len)
{
	struct vrrp_advert ad;
	struct vrrp_input in = { .ev = VRRP_EV_ADVERT };
	char s[INET6_ADDRSTRLEN];
	enum vrrp_state old = vi->f.state;
	unsigned act;
	int r = vrrp_pkt_parse4(buf, len, &ad);

	if (r == VRRP_OK && ad.vrid != vi->c->vrid)
		r = VRRP_DROP_VRID;
	else if (r == VRRP_OK && !memcmp(ad.src.a, vi->primary, 4))
		r = VRRP_DROP_SELF;
	else if (r == VRRP_OK && vi->c->npeers && !is_peer(vi, &ad.src))
		r = VRRP_DROP_PEER;
	else if (r == VRRP_OK && vi->f.priority == 255)
		r = VRRP_DROP_OWNER;   /* "the local router is not the IPvX address owner" */
	else if (r == VRRP_OK && ad.prio != 255 && !addrs_match(vi, &ad))
		r = VRRP_DROP_ADDRLIST;
	if (r != VRRP_OK) {
		drop(vi, r, r == VRRP_DROP_TRUNCATED || r == VRRP_DROP_IPHDR ? NULL : &ad);
		publish(vi);
		return;
	}
	vi->snap.adverts_rx++;
	if (!ad.prio)
		vi->snap.prio0_rx++;
	if (!vi->started)
		return;
	in.prio = ad.prio;
	in.adver_cs = ad.adver_cs;
	in.src = ad.src;
	act = vrrp_fsm_step(&vi->f, &in, now_ms);
	if (old == VRRP_ST_BACKUP && !ad.prio)
		log_event(LL_NOTICE, "(%s) Backup received priority 0 advertisement", vi->c->name);
	if (old == VRRP_ST_MASTER && vi->f.state == VRRP_ST_BACKUP && ad.prio > vi->f.priority)
		log_event(LL_NOTICE, "(%s) Master received advert from %s with higher priority %d, ours %d",
			  vi->c->name, ipstr(&ad.src, s, sizeof(s)), ad.prio, vi->f.priority);
	else if (old == VRRP_ST_MASTER && vi->f.state == VRRP_ST_BACKUP)
		log_event(LL_NOTICE, "(%s) Master received advert from %s with the same priority %d and a higher address",
			  vi->c->name, ipstr(&ad.src, s, sizeof(s)), ad.prio);
	apply(vi, act);
}

static void io_cb(struct ev_io *io, uint32_t events)
{
	struct vinst *vi = io->ctx;
	uint8_t buf[2048];
	(void)events;

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(vi->fd, buf, sizeof(buf), MSG_TRUNC);

		if (n < 0)
			break;
		advert_in(vi, buf, (size_t)n > sizeof(buf) ? 0 : (size_t)n);
	}
}

/* 1 if every worker thread beat within <thr> ms (a worker that has just
 * been started is given <thr> to beat for the first time). */
static int worker_ok(uint64_t now, uint64_t thr)
{
	long long st = shm_worker_stale_ms(now);
	uint64_t ws;

	if (st < 0)
		return 0;
	if ((uint64_t)st <= thr)
		return 1;
	ws = __atomic_load_n(&tdm_shm->worker_start_ms, __ATOMIC_RELAXED);
	return ws && now >= ws && now - ws <= thr;
}

static void health_inst(struct vinst *vi)
{
	const struct vrrp_conf *c = vi->c;
	uint64_t thr = MAX(3 * (uint64_t)c->adver_cs * 10, 1000);
	int penalty = 0, ftrack = 0, fworker, eff;
	long long st;

	if (!vi->started) {
		/* Startup once the worker serves: all its threads beat */
		st = shm_worker_stale_ms(now_ms);
		if (st < 0 || (uint64_t)st > thr)
			return;
		vi->started = 1;
		step(vi, VRRP_EV_STARTUP);
	}
	fworker = !worker_ok(now_ms, thr);
	for (int i = 0; i < c->ntracks; i++) {
		int u = shm_backend_usable(c->tracks[i].backend);

		if (u != 0)
			continue;   /* usable, or not published yet */
		if (c->tracks[i].weight)
			penalty += c->tracks[i].weight;
		else
			ftrack = 1;
	}
	eff = MAX(1, c->priority - penalty);
	if (eff != vi->f.priority) {
		log_event(LL_NOTICE, "(%s) Changing effective priority from %d to %d", c->name, vi->f.priority, eff);
		vi->f.priority = eff;
		step(vi, VRRP_EV_PRIORITY);
	}
	if ((fworker || ftrack) && vi->f.state != VRRP_ST_FAULT) {
		vi->snap.fault_worker = fworker;
		vi->snap.fault_track = ftrack;
		step(vi, VRRP_EV_FAULT);
	} else if (!fworker && !ftrack && vi->f.state == VRRP_ST_FAULT) {
		vi->snap.fault_worker = vi->snap.fault_track = 0;
		log_event(LL_NOTICE, "(%s) fault cleared", c->name);
		step(vi, VRRP_EV_FAULT_CLEAR);
	} else if (vi->snap.fault_worker != fworker || vi->snap.fault_track != ftrack) {
		vi->snap.fault_worker = fworker;
		vi->snap.fault_track = ftrack;
		publish(vi);
	}
}

static void health_cb(struct ev_timer *t)
{
	for (int i = 0; i < V.n; i++)
		health_inst(&V.inst[i]);
	loop_timer_set(&V.loop, t, now_ms + HEALTH_MS);
}

static void wake_hook(struct loop *l)
{
	if (V.stop_req)
		l->stop = 1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	this_loop = &V.loop;
	clock_update();
	for (int i = 0; i < V.n; i++) {
		struct vinst *vi = &V.inst[i];

		ev_io_init(&vi->io, vi->fd, io_cb, vi);
		loop_io_set(&V.loop, &vi->io, EPOLLIN);
		ev_timer_init(&vi->tmr, timer_cb, vi);
		ev_timer_init(&vi->garp, garp_cb, vi);
	}
	ev_timer_init(&V.health, health_cb, NULL);
	loop_timer_set(&V.loop, &V.health, now_ms);
	loop_run(&V.loop);
	/* leaving: MASTERs send priority 0 first, then remove their addresses */
	clock_update();
	for (int i = 0; i < V.n; i++)
		step(&V.inst[i], VRRP_EV_SHUTDOWN);
	return NULL;
}

/* ---- start and stop ---- */

/* Deep copy of <src> into <dst>. 0 or -1 (out of memory). */
static int conf_copy(struct vrrp_conf *dst, const struct vrrp_conf *src)
{
	*dst = *src;
	list_init(&dst->link);
	dst->file = NULL;
	dst->notify = NULL;
	for (int i = 0; i < dst->ntracks; i++)
		dst->tracks[i].backend = NULL;
	if (src->notify && !(dst->notify = strdup(src->notify)))
		return -1;
	for (int i = 0; i < src->ntracks; i++)
		if (!(dst->tracks[i].backend = strdup(src->tracks[i].backend)))
			return -1;
	return 0;
}

static void conf_release(struct vrrp_conf *c)
{
	free(c->notify);
	c->notify = NULL;
	for (int i = 0; i < c->ntracks; i++) {
		free(c->tracks[i].backend);
		c->tracks[i].backend = NULL;
	}
}

static int setup_inst(struct vinst *vi, const struct vrrp_conf *src)
{
	const struct vrrp_conf *c = &vi->conf;
	char a[INET6_ADDRSTRLEN];

	vi->fd = -1;
	vi->c = c;
	if (conf_copy(&vi->conf, src) < 0) {
		log_event(LL_ALERT, "(%s) out of memory", src->name);
		return -1;
	}
	if (vrrp_if_get(c->ifname, &vi->ifindex, vi->mac) < 0) {
		log_event(LL_ALERT, "(%s) interface '%s': %s", c->name, c->ifname, strerror(errno));
		return -1;
	}
	if (vrrp_if_primary4(c->ifname, c, vi->primary) < 0) {
		log_event(LL_ALERT, "(%s) interface '%s' has no IPv4 address of its own to send from",
			  c->name, c->ifname);
		return -1;
	}
	for (int i = 0; i < c->nvips; i++) {
		const char *dev = c->vips[i].dev[0] ? c->vips[i].dev : c->ifname;

		if (vrrp_if_get(dev, &vi->vif[i], vi->vmac[i]) < 0) {
			log_event(LL_ALERT, "(%s) interface '%s' of %s: %s", c->name, dev,
				  ipstr(&c->vips[i].ip, a, sizeof(a)), strerror(errno));
			return -1;
		}
		memcpy(vi->addrs + 4 * i, c->vips[i].ip.a, 4);
	}
	if (c->npeers) {
		vi->ndst = c->npeers;
		for (int i = 0; i < c->npeers; i++)
			memcpy(vi->dst[i], c->peers[i].a, 4);
	} else {
		uint32_t g = htonl(VRRP_MCAST4);

		vi->ndst = 1;
		memcpy(vi->dst[0], &g, 4);
	}
	vi->f.priority = c->priority;
	vi->f.adver_cs = c->adver_cs;
	vi->f.preempt = c->preempt;
	vi->f.preempt_delay_ms = c->preempt_delay_ms;
	vi->f.primary.af = AF_INET;
	memcpy(vi->f.primary.a, vi->primary, 4);
	vrrp_fsm_init(&vi->f);
	snprintf(vi->snap.name, sizeof(vi->snap.name), "%s", c->name);
	snprintf(vi->snap.ifname, sizeof(vi->snap.ifname), "%s", c->ifname);
	vi->snap.vrid = c->vrid;
	vi->snap.priority = c->priority;
	vi->snap.adver_cs = c->adver_cs;
	vi->snap.nvips = c->nvips;
	vi->snap.since_ms = clock_mono_us() / 1000;
	return 0;
}

/* Delete addresses a previous run may have left (it was killed while
 * MASTER and its guard could not run): nothing may hold them before this
 * instance has decided to. */
static void remove_leftovers(struct vinst *vi)
{
	char a[INET6_ADDRSTRLEN];

	for (int i = 0; i < vi->c->nvips; i++) {
		const struct vrrp_vip *v = &vi->c->vips[i];
		uint8_t msg[64];
		size_t len = vrrp_nl_build_addr(msg, sizeof(msg), 0, vi->vif[i], &v->ip, v->plen, ++V.nlseq);

		if (len && vrrp_nl_request(V.nl, msg, len) == 0)
			log_event(LL_WARNING, "(%s) removed %s, left behind by a previous run",
				  vi->c->name, ipstr(&v->ip, a, sizeof(a)));
	}
}

/* What the guard sends and deletes if the master dies (see guard.c). */
static void guard_plan(struct vinst *vi, struct vrrp_guard_inst *g)
{
	int i = (int)(vi - V.inst);

	memset(g, 0, sizeof(*g));
	g->snap = &V.sh->slot[i].s;
	g->ifindex = vi->ifindex;
	snprintf(g->ifname, sizeof(g->ifname), "%s", vi->c->ifname);
	memcpy(g->src, vi->primary, 4);
	g->ndst = vi->ndst;
	for (int d = 0; d < vi->ndst; d++) {
		memcpy(g->dst[d], vi->dst[d], 4);
		g->prio0_len[d] = vrrp_pkt_build4(g->prio0[d], sizeof(g->prio0[d]), vi->c->vrid, 0,
						  vi->c->adver_cs, vi->addrs, vi->c->nvips, vi->primary, vi->dst[d]);
	}
	g->ndel = vi->c->nvips;
	for (int v = 0; v < vi->c->nvips; v++)
		g->del_len[v] = vrrp_nl_build_addr(g->del[v], sizeof(g->del[v]), 0, vi->vif[v],
						   &vi->c->vips[v].ip, vi->c->vips[v].plen, 0x7fff0000u + (uint32_t)v);
}

static void release(void)
{
	for (int i = 0; i < V.n; i++) {
		if (V.inst[i].fd >= 0) {
			close(V.inst[i].fd);
			V.inst[i].fd = -1;
		}
		conf_release(&V.inst[i].conf);
	}
	if (V.nl >= 0)
		close(V.nl);
	if (V.garp_fd >= 0)
		close(V.garp_fd);
	V.nl = V.garp_fd = -1;
	V.n = 0;
}

int vrrp_start(struct cfg *cfg)
{
	struct list *l;
	sigset_t all, old;
	int n = 0;

	if (V.running || !cfg->vrrps.next || list_empty(&cfg->vrrps))
		return 0;
	if (!V.sh) {
		void *p = mmap(NULL, sizeof(*V.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			log_event(LL_ALERT, "VRRP: cannot map the snapshot area: %s", strerror(errno));
			return -1;
		}
		V.sh = p;
	}
	memset(V.sh, 0, sizeof(*V.sh));
	list_for_each(l, &cfg->vrrps) {
		const struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);

		if (n == VRRP_MAX_INST) {
			log_event(LL_ALERT, "VRRP: at most %d instances", VRRP_MAX_INST);
			goto fail;
		}
		memset(&V.inst[n], 0, sizeof(V.inst[n]));
		V.n = n + 1;
		if (setup_inst(&V.inst[n], c) < 0)
			goto fail;
		n++;
	}
	if ((V.nl = vrrp_nl_open()) < 0 || (V.garp_fd = vrrp_garp_open()) < 0) {
		log_event(LL_ALERT, "VRRP: cannot open %s socket: %s (tandem needs CAP_NET_ADMIN and CAP_NET_RAW)",
			  V.nl < 0 ? "a netlink" : "a packet", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		struct vinst *vi = &V.inst[i];
		char a[INET_ADDRSTRLEN];

		remove_leftovers(vi);
		vi->fd = vrrp_sock_open4(vi->c->ifname, vi->ifindex, vi->c->npeers == 0);
		if (vi->fd < 0) {
			log_event(LL_ALERT, "(%s) cannot open the VRRP socket on %s: %s", vi->c->name,
				  vi->c->ifname, strerror(errno));
			goto fail;
		}
		log_event(LL_NOTICE, "(%s) VRRPv3 on %s from %s, VRID %d, priority %d, advert %u ms, %s",
			  vi->c->name, vi->c->ifname, inet_ntop(AF_INET, vi->primary, a, sizeof(a)),
			  vi->c->vrid, vi->c->priority, vi->c->adver_cs * 10,
			  vi->c->npeers ? "unicast" : "multicast 224.0.0.18");
		guard_plan(vi, &V.gplan[i]);
		publish(vi);
	}
	__atomic_store_n(&V.sh->n, n, __ATOMIC_RELEASE);
	V.guard = vrrp_guard_start(V.gplan, n);
	if (V.guard < 0)
		log_event(LL_WARNING, "VRRP: cannot start the guard process: %s (addresses would stay after a crash)",
			  strerror(errno));
	if (loop_init(&V.loop, 0) < 0) {
		log_event(LL_ALERT, "VRRP: cannot create the event loop: %s", strerror(errno));
		goto fail;
	}
	V.loop.wake_hook = wake_hook;
	V.stop_req = 0;
	/* the thread inherits this mask: every signal stays with the master */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	n = pthread_create(&V.th, NULL, thread_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (n) {
		log_event(LL_ALERT, "VRRP: cannot start its thread: %s", strerror(n));
		loop_destroy(&V.loop);
		goto fail;
	}
	V.running = 1;
	return 0;
fail:
	if (V.guard > 0) {
		kill(V.guard, SIGKILL);
		waitpid(V.guard, NULL, 0);
		V.guard = -1;
	}
	release();
	return -1;
}

static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* 1 if running instance <a> was configured as <b>. */
static int conf_same(const struct vrrp_conf *a, const struct vrrp_conf *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->ifname, b->ifname) || a->vrid != b->vrid ||
	    a->priority != b->priority || a->adver_cs != b->adver_cs || a->preempt != b->preempt ||
	    a->preempt_delay_ms != b->preempt_delay_ms || a->nvips != b->nvips ||
	    a->npeers != b->npeers || a->garp_repeat != b->garp_repeat ||
	    a->garp_refresh_ms != b->garp_refresh_ms || a->ntracks != b->ntracks ||
	    !str_same(a->notify, b->notify) ||
	    memcmp(a->vips, b->vips, sizeof(a->vips[0]) * (size_t)a->nvips) ||
	    memcmp(a->peers, b->peers, sizeof(a->peers[0]) * (size_t)a->npeers))
		return 0;
	for (int i = 0; i < a->ntracks; i++)
		if (a->tracks[i].weight != b->tracks[i].weight || !str_same(a->tracks[i].backend, b->tracks[i].backend))
			return 0;
	return 1;
}

void vrrp_reload(const struct cfg *ncfg)
{
	const struct list *l;
	int n = 0, same = 1;

	if (ncfg->vrrps.next)
		for (l = ncfg->vrrps.next; l != &ncfg->vrrps; l = l->next, n++)
			same &= n < V.n && conf_same(&V.inst[n].conf, list_entry(l, struct vrrp_conf, link));
	if (!same || n != V.n)
		log_event(LL_WARNING, "VRRP: the reloaded configuration changes 'vrrp' sections; they take effect "
			  "at the next restart (a reload never moves the virtual addresses).");
}

void vrrp_stop(void)
{
	if (!V.running)
		return;
	V.stop_req = 1;
	loop_wakeup(&V.loop);
	pthread_join(V.th, NULL);
	V.running = 0;
	loop_destroy(&V.loop);
	/* the addresses are gone: the guard has nothing left to do */
	if (V.guard > 0) {
		kill(V.guard, SIGKILL);
		waitpid(V.guard, NULL, 0);
		V.guard = -1;
	}
	release();
}
