/* VRRP instances at run time, in the master process: one thread running
 * the project's event loop (include/tandem/loop.h) with every signal
 * blocked, so the master's sigwaitinfo() keeps receiving them all.
 *
 * Per instance: a raw socket for protocol 112 (IPv4 or IPv6; a second
 * one bound to the VMAC when use_vmac sends from it), the pure state
 * machine of fsm.c, one timer for its Master_Down/Adver timers and a few
 * for gratuitous ARP / NA bursts. A health tick (every 50 ms) starts the
 * instances once the worker beats, the startup delay has passed and the
 * tracked objects have a first state (or their grace ran out), and turns
 * the worker's heartbeats and the tracked objects (track.c) into FAULT /
 * priority changes; sync groups move their members together. Each change
 * is logged in keepalived's words, remembered with its reason, queued to
 * the notify scripts (one at a time per instance, in transition order, run
 * by the runner process of runner.c) and published in a snapshot kept in
 * memory shared with the worker (vrrp_snapshot()).
 *
 * The instances live in the master, so a new worker (a crash restart, a
 * reload) never moves the addresses. A crash of the master itself is
 * covered by the guard process (guard.c). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <tandem/cfg.h>
#include <tandem/clock.h>
#include <tandem/log.h>
#include <tandem/loop.h>
#include <tandem/proxy-t.h>
#include <tandem/shm.h>
#include "vrrp_int.h"

#define HEALTH_MS       50      /* how often worker and tracked objects are looked at */
#define DROP_EPISODE_MS 10000   /* a drop reason is logged again after this long without one */
#define SEND_LOG_MS     5000    /* at most one "cannot send" line per instance this often */
#define NQ_LEN          16      /* notifications waiting per instance / group */
#define DRAIN_MS        5000    /* STOP notifications get this long at shutdown */
#define JOB_NOTIFY      0x20000000u   /* job ids: JOB_NOTIFY | owner << 16 | sequence */

/* Snapshot slots shared with the worker; seqlock per slot (odd = writing). */
struct vshared {
	int  n, nscripts;
	char router_id[64];
	struct {
		uint32_t seq;
		struct vrrp_snap s;
	} slot[VRRP_MAX_INST];
	struct {
		uint32_t seq;
		struct vrrp_script_snap s;
	} script[VRRP_MAX_SCRIPTS];
};

/* Notifications of one instance or group, run one at a time, in order. */
struct vnq {
	struct vrrp_run_req q[NQ_LEN];
	char     label[NQ_LEN][40];
	int      head, n;
	int      running;
	uint32_t job;
	char     run_label[40];
	char     run_cmd[96];
	char     owner[48];        /* "(web)" or "VRRP_Group(both)" */
	int      idx;              /* owner index in job ids */
	uint64_t *ctr_run, *ctr_failed;
};

struct vinst {
	struct vrrp_conf *c;       /* owned: taken from the configuration */
	struct vrrp_fsm f;
	int      af;
	int      ifindex;          /* the instance's interface: adverts come in here */
	int      sifindex;         /* and leave from here (the VMAC with use_vmac) */
	char     sifname[VRRP_IFNAME_LEN];
	uint8_t  mac[6];
	struct vrrp_ip primary;    /* source of our adverts (and tie breaks) */
	int      rfd, sfd;         /* receive / send (the same without a VMAC) */
	struct ev_io io;
	struct ev_timer tmr;       /* the state machine's next timer */
	struct ev_timer garp_refresh, garp_second, garp_pace;
	int      vmac_ifindex;     /* created by us, deleted at stop; 0 none */
	int      base_arp_ignore, base_arp_filter, base_arp_announce;   /* to restore on the base interface */
	int      vif[VRRP_MAX_VIPS];       /* interface of each address */
	uint8_t  vmacs[VRRP_MAX_VIPS][6];  /* and its MAC */
	int      router6[VRRP_MAX_VIPS];   /* IPv6: the interface forwards (NA Router flag) */
	uint8_t  addrs[16 * VRRP_MAX_VIPS];/* advertised addresses, packed */
	int      naddrs;
	int      ndst;
	struct vrrp_ip dst[VRRP_MAX_PEERS];
	int      started;
	uint64_t start_at, grace_end;
	int      group;            /* index in V.grp, -1 none */
	struct veval ev;           /* own tracked objects, last health tick */
	int      fault_group;      /* in FAULT because of its sync group */
	int      garp_left, garp_vip, garp_second_repeat;
	uint64_t drop_last[VRRP_DROP_NREASONS];
	uint64_t send_err_logged_ms;
	uint64_t sb_last;          /* last advert from another master while MASTER */
	struct vrrp_ip lower_src;  /* BACKUP: the last lower-priority master heard (we preempt it) */
	uint64_t lower_at;
	struct vrrp_ip preempted;  /* the master we took over from, while it yields */
	uint64_t master_since;
	struct vrrp_ip last_src;   /* the advert that caused the last change */
	int      last_prio;
	char     fault_text[VRRP_REASON_LEN];
	struct vnq nq;
	struct vrrp_snap snap;     /* this thread's copy, published to the slot */
};

struct vgroup {
	struct vrrp_group_conf *c;
	int      m[VRRP_MAX_INST], n;
	enum vrrp_state state;     /* INIT until every member is in one state */
	int      fault;
	char     reason[VRRP_REASON_LEN];
	struct vnq nq;
	uint64_t ctr_run, ctr_failed;
};

static struct {
	struct vinst inst[VRRP_MAX_INST];
	int      n;
	struct vgroup grp[VRRP_MAX_GROUPS];
	int      ng;
	struct list confs;         /* struct vrrp_conf taken from the configuration */
	struct vrrp_set *set;
	struct vshared *sh;
	struct loop loop;
	pthread_t th;
	int      running;          /* the thread exists */
	volatile int stop_req;
	int      draining;
	int      nl, pkt_fd, run_fd;
	struct ev_io run_io;
	pid_t    guard, runner;
	uint32_t nlseq;
	uint16_t jobseq;
	uint64_t start_ms;
	struct ev_timer health, scripts, drain;
	struct vrrp_guard_inst gplan[VRRP_MAX_INST];
} V = { .nl = -1, .pkt_fd = -1, .run_fd = -1, .guard = -1, .runner = -1 };

static const char *ipstr(const struct vrrp_ip *ip, char *buf, size_t len)
{
	if (!ip->af)
		return "none";
	return inet_ntop(ip->af, ip->a, buf, (socklen_t)len) ? buf : "?";
}

/* snprintf that cuts what does not fit (reasons are short labels). */
static void fmt(char *out, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(out, len, f, ap);
	va_end(ap);
}

static size_t alen(int af)
{
	return af == AF_INET6 ? 16 : 4;
}

static const char *notify_name(int k)
{
	static const char *const n[VRRP_NOTIFY_N] = {
		"notify_master", "notify_backup", "notify_fault", "notify_stop", "notify", "notify_master_rx_lower_pri",
	};

	return n[k];
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

static void publish_scripts(void)
{
	int n = vtrack_nscripts();

	for (int i = 0; i < n && i < VRRP_MAX_SCRIPTS; i++) {
		struct vrrp_script_snap s;
		uint32_t seq = V.sh->script[i].seq;

		vtrack_script_snap(i, &s);
		if (!memcmp(&s, &V.sh->script[i].s, sizeof(s)))
			continue;
		__atomic_store_n(&V.sh->script[i].seq, seq + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		memcpy(&V.sh->script[i].s, &s, sizeof(s));
		__atomic_store_n(&V.sh->script[i].seq, seq + 2, __ATOMIC_RELEASE);
	}
}

/* Seqlock read of <len> bytes at <src> guarded by <seqp>. */
static void read_slot(const uint32_t *seqp, const void *src, void *dst, size_t len)
{
	uint32_t s1, s2;

	do {
		s1 = __atomic_load_n(seqp, __ATOMIC_ACQUIRE);
		memcpy(dst, src, len);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(seqp, __ATOMIC_RELAXED);
	} while ((s1 & 1) || s1 != s2);
}

int vrrp_snapshot(struct vrrp_snap *out, int max)
{
	int n;

	if (!V.sh)
		return 0;
	n = __atomic_load_n(&V.sh->n, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n && i < max; i++)
		read_slot(&V.sh->slot[i].seq, &V.sh->slot[i].s, &out[i], sizeof(out[i]));
	return n;
}

int vrrp_scripts_snapshot(struct vrrp_script_snap *out, int max)
{
	int n;

	if (!V.sh)
		return 0;
	n = __atomic_load_n(&V.sh->nscripts, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n && i < max; i++)
		read_slot(&V.sh->script[i].seq, &V.sh->script[i].s, &out[i], sizeof(out[i]));
	return n;
}

const char *vrrp_router_id(void)
{
	return V.sh ? V.sh->router_id : "";
}

/* ---- notifications: one at a time per owner, in order ---- */

static int run_send(const struct vrrp_run_req *q)
{
	size_t len = offsetof(struct vrrp_run_req, args) + q->len;

	if (V.run_fd < 0) {
		errno = EPIPE;
		return -1;
	}
	return send(V.run_fd, q, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static void vnq_init(struct vnq *q, const char *owner, int idx, uint64_t *run, uint64_t *failed)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->owner, sizeof(q->owner), "%s", owner);
	q->idx = idx;
	q->ctr_run = run;
	q->ctr_failed = failed;
}

static int queues_busy(void)
{
	for (int i = 0; i < V.n; i++)
		if (V.inst[i].nq.running || V.inst[i].nq.n)
			return 1;
	for (int g = 0; g < V.ng; g++)
		if (V.grp[g].nq.running || V.grp[g].nq.n)
			return 1;
	return 0;
}

static void vnq_kick(struct vnq *q)
{
	while (!q->running && q->n) {
		struct vrrp_run_req *r = &q->q[q->head];
		const char *p = r->args;
		size_t off = 0;

		r->id = JOB_NOTIFY | (uint32_t)q->idx << 16 | ++V.jobseq;
		snprintf(q->run_label, sizeof(q->run_label), "%s", q->label[q->head]);
		/* the command line, for the log */
		q->run_cmd[0] = 0;
		for (int a = 0; a < r->argc && off + 1 < sizeof(q->run_cmd); a++) {
			int w = snprintf(q->run_cmd + off, sizeof(q->run_cmd) - off, "%s%s", a ? " " : "", p);

			off += w > 0 ? (size_t)w : 0;
			p += strlen(p) + 1;
		}
		q->head = (q->head + 1) % NQ_LEN;
		q->n--;
		(*q->ctr_run)++;
		if (run_send(r) < 0) {
			(*q->ctr_failed)++;
			log_event(LL_WARNING, "%s %s '%s' could not be started: %s", q->owner, q->run_label, q->run_cmd,
				  V.run_fd < 0 ? "the script runner is not running" : strerror(errno));
			continue;
		}
		q->running = 1;
		q->job = r->id;
	}
}

/* Queue <cmd> (+ <extra> arguments) as <label>, then start it if idle. */
static void vnq_push(struct vnq *q, const struct vrrp_cmd *cmd, const char *const extra[], uint32_t timeout_ms,
		     const char *label)
{
	int slot;

	if (!cmd->argv)
		return;
	if (q->n == NQ_LEN) {
		(*q->ctr_failed)++;
		log_event(LL_WARNING, "%s %s dropped: %d notifications are already waiting (a script hangs?)",
			  q->owner, label, NQ_LEN);
		return;
	}
	slot = (q->head + q->n) % NQ_LEN;
	if (vrrp_run_req_fill(&q->q[slot], 0, cmd->argv, extra,
			      cmd->uid >= 0 ? cmd->uid : V.set ? V.set->script_uid : -1,
			      cmd->uid >= 0 ? cmd->gid : V.set ? V.set->script_gid : -1, timeout_ms) < 0) {
		(*q->ctr_failed)++;
		log_event(LL_WARNING, "%s %s: its arguments are too long", q->owner, label);
		return;
	}
	snprintf(q->label[slot], sizeof(q->label[slot]), "%s", label);
	q->n++;
	vnq_kick(q);
}

static void vnq_done(struct vnq *q, const struct vrrp_run_res *r)
{
	unsigned ms = (unsigned)(r->dur_us / 1000);

	if (!q->running || q->job != r->id)
		return;
	q->running = 0;
	if (r->timed_out) {
		(*q->ctr_failed)++;
		log_event(LL_WARNING, "%s %s '%s' killed after its timeout (%u ms)", q->owner, q->run_label,
			  q->run_cmd, ms);
	} else if (r->status < 0) {
		(*q->ctr_failed)++;
		log_event(LL_WARNING, "%s %s '%s' could not be started: %s", q->owner, q->run_label, q->run_cmd,
			  strerror(r->err));
	} else if (WIFEXITED(r->status)) {
		int st = WEXITSTATUS(r->status);

		if (st)
			(*q->ctr_failed)++;
		log_event(st ? LL_WARNING : LL_NOTICE, "%s %s '%s' exited with status %d after %u ms%s", q->owner,
			  q->run_label, q->run_cmd, st, ms, st == 127 ? " (not found or not executable)" : "");
	} else {
		(*q->ctr_failed)++;
		log_event(LL_WARNING, "%s %s '%s' killed by signal %d after %u ms", q->owner, q->run_label,
			  q->run_cmd, WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0, ms);
	}
	vnq_kick(q);
	if (V.draining && !queues_busy())
		V.loop.stop = 1;
}

/* ---- actions ---- */

static void send_advert(struct vinst *vi, int prio)
{
	uint8_t pkt[VRRP_PKT_MAX];
	struct vrrp_pkt_spec s = {
		.version = vi->c->version, .af = vi->af, .vrid = vi->c->vrid, .prio = prio, .naddr = vi->naddrs,
		.adver_cs = vi->c->adver_cs, .addrs = vi->addrs, .auth_type = vi->c->auth_type,
		.auth = vi->c->auth_pass, .src = vi->primary.a,
	};
	int sent = 0;

	for (int d = 0; d < vi->ndst; d++) {
		size_t len;

		s.dst = vi->dst[d].a;
		len = vrrp_pkt_build(pkt, sizeof(pkt), &s);
		if (len && vrrp_send(vi->af, vi->sfd, vi->sifindex, vi->primary.a, vi->dst[d].a, pkt, len) == 0)
			sent = 1;
	}
	if (!sent) {
		/* a link that is down fails every interval: say it once in a while */
		if (!vi->send_err_logged_ms || now_ms - vi->send_err_logged_ms >= SEND_LOG_MS) {
			vi->send_err_logged_ms = now_ms;
			log_event(LL_WARNING, "(%s) cannot send an advertisement on %s: %s", vi->c->name, vi->sifname,
				  strerror(errno));
		}
		return;
	}
	vi->snap.adverts_tx++;
	if (!prio) {
		vi->snap.prio0_tx++;
		log_event(LL_NOTICE, "(%s) sent 0 priority", vi->c->name);
	}
}

static void garp_one(struct vinst *vi, int i)
{
	const struct vrrp_vip *v = &vi->c->vips[i];

	if (v->ip.af == AF_INET)
		vrrp_garp_send(V.pkt_fd, vi->vif[i], vi->vmacs[i], v->ip.a);
	else
		vrrp_na_send(V.pkt_fd, vi->vif[i], vi->vmacs[i], v->ip.a, vi->router6[i]);
}

/* <repeat> gratuitous ARPs / NAs per address, paced by garp_interval. */
static void garp_burst(struct vinst *vi, int repeat)
{
	if (repeat <= 0)
		return;
	if (!vi->c->garp_interval_ms) {
		for (int r = 0; r < repeat; r++)
			for (int i = 0; i < vi->c->nvips; i++)
				garp_one(vi, i);
		return;
	}
	vi->garp_left += repeat * vi->c->nvips;
	if (!ev_timer_armed(&vi->garp_pace))
		loop_timer_set(&V.loop, &vi->garp_pace, now_ms);
}

static void garp_pace_cb(struct ev_timer *t)
{
	struct vinst *vi = t->ctx;

	if (vi->f.state != VRRP_ST_MASTER || vi->garp_left <= 0) {
		vi->garp_left = 0;
		return;
	}
	garp_one(vi, vi->garp_vip);
	vi->garp_vip = (vi->garp_vip + 1) % vi->c->nvips;
	if (--vi->garp_left > 0)
		loop_timer_set(&V.loop, t, now_ms + vi->c->garp_interval_ms);
}

static void garp_second_cb(struct ev_timer *t)
{
	struct vinst *vi = t->ctx;

	if (vi->f.state == VRRP_ST_MASTER)
		garp_burst(vi, vi->garp_second_repeat);
}

static void garp_refresh_cb(struct ev_timer *t)
{
	struct vinst *vi = t->ctx;

	if (vi->f.state != VRRP_ST_MASTER)
		return;
	garp_burst(vi, vi->c->garp_refresh_repeat);
	loop_timer_set(&V.loop, t, now_ms + vi->c->garp_refresh_ms);
}

static void vips_change(struct vinst *vi, int add)
{
	char a[INET6_ADDRSTRLEN];

	log_event(LL_NOTICE, "(%s) %s VIPs.", vi->c->name, add ? "setting" : "removing");
	for (int i = 0; i < vi->c->nvips; i++) {
		const struct vrrp_vip *v = &vi->c->vips[i];
		uint8_t msg[96];
		size_t len = vrrp_nl_build_vip(msg, sizeof(msg), add, vi->vif[i], v, ++V.nlseq);
		int r = len ? vrrp_nl_request(V.nl, msg, len) : -EINVAL;

		/* already there / already gone is what we wanted */
		if (r && !(add && r == -EEXIST) && !(!add && r == -EADDRNOTAVAIL))
			log_event(LL_ERR, "(%s) cannot %s %s/%d: %s", vi->c->name, add ? "add" : "remove",
				  ipstr(&v->ip, a, sizeof(a)), v->plen, strerror(-r));
	}
	if (add) {
		garp_burst(vi, vi->c->garp_repeat);
		if (vi->c->garp_delay_ms) {
			vi->garp_second_repeat = vi->c->garp_repeat;
			loop_timer_set(&V.loop, &vi->garp_second, now_ms + vi->c->garp_delay_ms);
		}
		if (vi->c->garp_refresh_ms)
			loop_timer_set(&V.loop, &vi->garp_refresh, now_ms + vi->c->garp_refresh_ms);
	} else {
		loop_timer_del(&V.loop, &vi->garp_refresh);
		loop_timer_del(&V.loop, &vi->garp_second);
		loop_timer_del(&V.loop, &vi->garp_pace);
		vi->garp_left = 0;
	}
}

/* The state-specific notification, then the generic one (keepalived's
 * order): `notify` gets INSTANCE|GROUP NAME STATE PRIORITY after its own
 * arguments. */
static void notify_state(struct vnq *q, const struct vrrp_cmd *cmds, const char *kind, const char *name,
			 enum vrrp_state st, int prio, uint32_t timeout_ms)
{
	const char *word = st == VRRP_ST_INIT ? "STOP" : vrrp_state_str(st);
	int k = st == VRRP_ST_MASTER ? VRRP_NOTIFY_MASTER : st == VRRP_ST_BACKUP ? VRRP_NOTIFY_BACKUP :
		st == VRRP_ST_FAULT ? VRRP_NOTIFY_FAULT : VRRP_NOTIFY_STOP;
	char p[8];
	const char *extra[] = { kind, name, word, p, NULL };

	snprintf(p, sizeof(p), "%d", prio);
	vnq_push(q, &cmds[k], NULL, timeout_ms, notify_name(k));
	vnq_push(q, &cmds[VRRP_NOTIFY_GENERIC], extra, timeout_ms, notify_name(VRRP_NOTIFY_GENERIC));
}

static void why_text(const struct vinst *vi, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const char *g = vi->group >= 0 ? V.grp[vi->group].c->name : "?";

	switch (vi->f.why) {
	case VRRP_WHY_STARTUP:
		fmt(out, len, "startup%s", vi->c->init_master ? " (state MASTER: one interval to hear a master)" : "");
		break;
	case VRRP_WHY_OWNER:
		fmt(out, len, "startup, priority 255 (address owner)");
		break;
	case VRRP_WHY_MASTER_DOWN:
		fmt(out, len, "no advertisement for %llu ms (Master_Down_Interval)",
			 (unsigned long long)vrrp_master_down_ms(&vi->f));
		break;
	case VRRP_WHY_PRIO0:
		fmt(out, len, "master %s left (priority 0)", ipstr(&vi->last_src, a, sizeof(a)));
		break;
	case VRRP_WHY_HIGHER_PRIO:
		fmt(out, len, "advert from %s with higher priority %d (ours %d)", ipstr(&vi->last_src, a, sizeof(a)),
			 vi->last_prio, vi->f.priority);
		break;
	case VRRP_WHY_HIGHER_ADDR:
		fmt(out, len, "advert from %s, same priority %d, higher address", ipstr(&vi->last_src, a, sizeof(a)),
			 vi->last_prio);
		break;
	case VRRP_WHY_FAULT:
		fmt(out, len, "%s", vi->fault_text);
		break;
	case VRRP_WHY_FAULT_CLEAR:
		fmt(out, len, "fault cleared");
		break;
	case VRRP_WHY_SHUTDOWN:
		fmt(out, len, "shutdown");
		break;
	case VRRP_WHY_SYNC_MASTER:
		fmt(out, len, "sync group %s: a member became MASTER", g);
		break;
	case VRRP_WHY_SYNC_BACKUP:
		fmt(out, len, "sync group %s: a member was outranked", g);
		break;
	default:
		fmt(out, len, "-");
	}
}

static void hist_push(struct vinst *vi, enum vrrp_state from, enum vrrp_state to, const char *reason)
{
	struct vrrp_snap *s = &vi->snap;
	struct vrrp_hist *h;

	if (s->nhist == VRRP_HIST) {
		memmove(&s->hist[0], &s->hist[1], sizeof(s->hist[0]) * (VRRP_HIST - 1));
		s->nhist--;
	}
	h = &s->hist[s->nhist++];
	h->wall_ms = clock_wall_us() / 1000;
	h->from = (uint8_t)from;
	h->to = (uint8_t)to;
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
}

static void log_state(struct vinst *vi, const char *why)
{
	char m[INET6_ADDRSTRLEN];

	switch (vi->f.state) {
	case VRRP_ST_MASTER:
		log_event(LL_NOTICE, "(%s) Entering MASTER STATE (priority %d: %s)", vi->c->name, vi->f.priority, why);
		break;
	case VRRP_ST_BACKUP:
		if (vi->f.master.af)
			log_event(LL_NOTICE, "(%s) Entering BACKUP STATE (priority %d, master %s priority %d: %s)",
				  vi->c->name, vi->f.priority, ipstr(&vi->f.master, m, sizeof(m)), vi->f.master_prio, why);
		else
			log_event(LL_NOTICE, "(%s) Entering BACKUP STATE (priority %d: %s)", vi->c->name, vi->f.priority, why);
		break;
	case VRRP_ST_FAULT:
		log_event(LL_WARNING, "(%s) Entering FAULT STATE (%s)", vi->c->name, why);
		break;
	case VRRP_ST_INIT:
		log_event(LL_NOTICE, "(%s) Stopped (INIT STATE)", vi->c->name);
		break;
	}
}

static void step(struct vinst *vi, enum vrrp_event ev);
static void group_update(struct vgroup *g);

/* Perform what vrrp_fsm_step() asked for, re-arm the timer, publish. */
static void apply(struct vinst *vi, unsigned act, enum vrrp_state old)
{
	char why[VRRP_REASON_LEN];
	uint64_t next;

	if (act & VRRP_ACT_STATE) {
		why_text(vi, why, sizeof(why));
		vi->snap.transitions++;
		vi->snap.since_ms = now_ms;
		if (vi->f.state == VRRP_ST_MASTER) {
			vi->snap.became_master++;
			vi->master_since = now_ms;
			/* preempting a lower master: it still advertises until it hears us */
			memset(&vi->preempted, 0, sizeof(vi->preempted));
			if (vi->lower_at && now_ms - vi->lower_at <= vrrp_master_down_ms(&vi->f))
				vi->preempted = vi->lower_src;
		}
		hist_push(vi, old, vi->f.state, why);
		log_state(vi, why);
	}
	if (act & VRRP_ACT_SEND_PRIO0)
		send_advert(vi, 0);
	if (act & VRRP_ACT_SEND_ADVERT)
		send_advert(vi, vi->f.priority);
	if (act & VRRP_ACT_ADD_VIPS)
		vips_change(vi, 1);
	if (act & VRRP_ACT_DEL_VIPS)
		vips_change(vi, 0);
	if (act & VRRP_ACT_GARP) {
		/* we outrank another master: the LAN may point to it now */
		int rep = vi->c->garp_lower_repeat >= 0 ? vi->c->garp_lower_repeat : vi->c->garp_repeat;

		garp_burst(vi, rep);
		if (vi->c->garp_lower_delay_ms && rep) {
			vi->garp_second_repeat = rep;
			loop_timer_set(&V.loop, &vi->garp_second, now_ms + vi->c->garp_lower_delay_ms);
		}
	}
	if (act & VRRP_ACT_LOWER_RX)
		vnq_push(&vi->nq, &vi->c->notify[VRRP_NOTIFY_RX_LOWER], NULL, vi->c->notify_timeout_ms,
			 notify_name(VRRP_NOTIFY_RX_LOWER));
	if (act & VRRP_ACT_STATE)   /* once the addresses are where the state says */
		notify_state(&vi->nq, vi->c->notify, "INSTANCE", vi->c->name, vi->f.state, vi->f.priority,
			     vi->c->notify_timeout_ms);
	next = vrrp_fsm_next(&vi->f);
	if (next)
		loop_timer_set(&V.loop, &vi->tmr, next);
	else
		loop_timer_del(&V.loop, &vi->tmr);
	publish(vi);
	if ((act & VRRP_ACT_STATE) && vi->group >= 0) {
		struct vgroup *g = &V.grp[vi->group];

		/* keepalived's sync: a member that becomes MASTER takes the
		 * others along (they all wanted it: see group_hold()); one that
		 * is outranked takes the other MASTERs back to BACKUP */
		for (int i = 0; i < g->n; i++) {
			struct vinst *o = &V.inst[g->m[i]];

			if (o == vi || !o->started)
				continue;
			if (vi->f.state == VRRP_ST_MASTER && vi->f.why != VRRP_WHY_SYNC_MASTER && o->f.state == VRRP_ST_BACKUP)
				step(o, VRRP_EV_SYNC_MASTER);
			else if (old == VRRP_ST_MASTER && vi->f.state == VRRP_ST_BACKUP &&
				 vi->f.why != VRRP_WHY_SYNC_BACKUP && o->f.state == VRRP_ST_MASTER)
				step(o, VRRP_EV_SYNC_BACKUP);
		}
		group_update(g);
	}
}

static void step(struct vinst *vi, enum vrrp_event ev)
{
	struct vrrp_input in = { .ev = ev };
	enum vrrp_state old = vi->f.state;

	apply(vi, vrrp_fsm_step(&vi->f, &in, now_ms), old);
}

/* A sync group's state, from its members': FAULT if one is, MASTER or
 * BACKUP once all are; its notifications run when it changes. */
static void group_update(struct vgroup *g)
{
	int fault = 0, master = 0, backup = 0;
	enum vrrp_state st;

	for (int i = 0; i < g->n; i++) {
		enum vrrp_state s = V.inst[g->m[i]].f.state;

		fault += s == VRRP_ST_FAULT;
		master += s == VRRP_ST_MASTER;
		backup += s == VRRP_ST_BACKUP;
	}
	if (fault)
		st = VRRP_ST_FAULT;
	else if (master == g->n)
		st = VRRP_ST_MASTER;
	else if (backup == g->n)
		st = VRRP_ST_BACKUP;
	else
		return;   /* moving: wait until every member arrived */
	if (st == g->state)
		return;
	g->state = st;
	log_event(LL_NOTICE, "VRRP_Group(%s) Syncing instances to %s state", g->c->name, vrrp_state_str(st));
	notify_state(&g->nq, g->c->notify, "GROUP", g->c->name, st, 0, V.inst[g->m[0]].c->notify_timeout_ms);
}

/* 1 if <vi>'s sync group must keep it BACKUP: some other member neither
 * is MASTER nor wants to be (keepalived: "only sync to master if everyone
 * wants to", so half the group never flips alone). */
static int group_hold(const struct vinst *vi)
{
	const struct vgroup *g;

	if (vi->group < 0)
		return 0;
	g = &V.grp[vi->group];
	for (int i = 0; i < g->n; i++) {
		const struct vinst *o = &V.inst[g->m[i]];

		if (o != vi && o->f.state != VRRP_ST_MASTER && !(o->f.state == VRRP_ST_BACKUP && o->f.want_master))
			return 1;
	}
	return 0;
}

/* ---- events ---- */

static void timer_cb(struct ev_timer *t)
{
	struct vinst *vi = t->ctx;
	enum vrrp_state old = vi->f.state;
	struct vrrp_input in = { .ev = VRRP_EV_TIMER };
	unsigned act;

	if (vi->f.state == VRRP_ST_BACKUP && vi->f.master_down_at && now_ms >= vi->f.master_down_at) {
		vi->f.sync_hold = group_hold(vi);
		if (!vi->f.want_master)
			log_event(LL_NOTICE, "(%s) Receive advertisement timeout%s", vi->c->name,
				  vi->f.sync_hold ? ": its sync group is not ready, it stays BACKUP" : "");
	}
	act = vrrp_fsm_step(&vi->f, &in, now_ms);
	vi->f.sync_hold = 0;
	apply(vi, act, old);
	/* the last member to want MASTER lets the whole group go */
	if ((act & VRRP_ACT_WANT_MASTER) && vi->group >= 0 && !group_hold(vi))
		step(vi, VRRP_EV_SYNC_MASTER);
}

static void drop(struct vinst *vi, int why, const struct vrrp_advert *ad)
{
	char s[INET6_ADDRSTRLEN], detail[96] = "";
	uint64_t last = vi->drop_last[why];

	vi->snap.dropped[why]++;
	vi->drop_last[why] = now_ms;
	if (why == VRRP_DROP_VRID || why == VRRP_DROP_SELF)
		return;   /* normal on a shared LAN: counted, not logged */
	/* one line per episode: logged again once none came for a while */
	if (last && now_ms - last < DROP_EPISODE_MS)
		return;
	if (why == VRRP_DROP_VERSION && ad && ad->version)
		snprintf(detail, sizeof(detail), ": a version %d advertisement, this instance runs version %d",
			 ad->version, vi->c->version);
	else if (why == VRRP_DROP_AUTH)
		snprintf(detail, sizeof(detail), ": wrong password");
	else if (why == VRRP_DROP_AUTH_TYPE && ad)
		snprintf(detail, sizeof(detail), ": authentication type %d, ours %d", ad->auth_type, vi->c->auth_type);
	else if (why == VRRP_DROP_ADVER_MISMATCH && ad)
		snprintf(detail, sizeof(detail), ": advert_int %u s, ours %u s", ad->adver_cs / 100, vi->c->adver_cs / 100);
	log_event(LL_WARNING, "(%s) dropped a VRRP packet from %s: %s%s (further ones counted, logged again after "
		  "%d s without one)", vi->c->name, ad && ad->src.af ? ipstr(&ad->src, s, sizeof(s)) : "?",
		  vrrp_drop_str(why), detail, DROP_EPISODE_MS / 1000);
}

/* RFC 3768/5798 7.1: "SHOULD verify that the Count IPvX Addrs and the list
 * of IPvX Address(es) match the IPvX Address(es) configured for the VRID";
 * a mismatch is dropped unless the sender is the owner (priority 255). */
static int addrs_match(const struct vinst *vi, const struct vrrp_advert *ad)
{
	size_t l = alen(vi->af);

	if (ad->naddr != vi->naddrs)
		return 0;
	for (int i = 0; i < ad->naddr; i++) {
		int found = 0;

		for (int j = 0; j < vi->naddrs && !found; j++)
			found = !memcmp(ad->addrs + l * (size_t)i, vi->addrs + l * (size_t)j, l);
		if (!found)
			return 0;
	}
	return 1;
}

static int is_peer(const struct vinst *vi, const struct vrrp_ip *src)
{
	for (int i = 0; i < vi->c->npeers; i++)
		if (!memcmp(vi->c->peers[i].a, src->a, alen(vi->af)))
			return 1;
	return 0;
}

static int same_ip(const struct vrrp_ip *a, const struct vrrp_ip *b)
{
	return a->af == b->af && !memcmp(a->a, b->a, alen(a->af));
}

static void advert_in(struct vinst *vi, int r, struct vrrp_advert *ad)
{
	const struct vrrp_conf *c = vi->c;
	struct vrrp_input in = { .ev = VRRP_EV_ADVERT };
	char s[INET6_ADDRSTRLEN];
	enum vrrp_state old = vi->f.state;
	unsigned act;

	if (r == VRRP_OK && ad->vrid != c->vrid)
		r = VRRP_DROP_VRID;
	else if (r == VRRP_OK && same_ip(&ad->src, &vi->primary))
		r = VRRP_DROP_SELF;
	else if (r == VRRP_OK && ad->version != c->version)
		r = VRRP_DROP_VERSION;
	else if (r == VRRP_OK && c->version == 2 && ad->auth_type != c->auth_type)
		r = VRRP_DROP_AUTH_TYPE;
	else if (r == VRRP_OK && c->version == 2 && c->auth_type == VRRP_AUTH_PASS &&
		 memcmp(ad->auth, c->auth_pass, VRRP_AUTH_LEN))
		r = VRRP_DROP_AUTH;
	/* RFC 3768 7.1: "MUST verify that the Adver Interval in the packet is
	 * the same as the locally configured for this virtual router" */
	else if (r == VRRP_OK && c->version == 2 && ad->adver_cs != c->adver_cs)
		r = VRRP_DROP_ADVER_MISMATCH;
	else if (r == VRRP_OK && c->npeers && !is_peer(vi, &ad->src))
		r = VRRP_DROP_PEER;
	else if (r == VRRP_OK && vi->f.priority == 255)
		r = VRRP_DROP_OWNER;   /* "the local router is not the IPvX address owner" */
	else if (r == VRRP_OK && ad->prio != 255 && !addrs_match(vi, ad) &&
		 !(c->skip_check_adv_addr && same_ip(&ad->src, &vi->f.master)))
		r = VRRP_DROP_ADDRLIST;
	if (r != VRRP_OK) {
		drop(vi, r, r == VRRP_DROP_TRUNCATED || r == VRRP_DROP_IPHDR ? NULL : ad);
		publish(vi);
		return;
	}
	vi->snap.adverts_rx++;
	if (!ad->prio)
		vi->snap.prio0_rx++;
	if (!vi->started)
		return;
	in.prio = ad->prio;
	in.adver_cs = ad->adver_cs;
	in.src = ad->src;
	vi->last_src = ad->src;
	vi->last_prio = ad->prio;
	if (old == VRRP_ST_BACKUP && ad->prio && ad->prio < vi->f.priority) {
		vi->lower_src = ad->src;   /* a lower master we are about to preempt */
		vi->lower_at = now_ms;
	}
	if (old == VRRP_ST_MASTER && ad->prio) {
		/* another master of our virtual router that we outrank: the LAN
		 * may have learnt its MAC for our addresses. A split brain (a
		 * partition that healed, a peer that missed our adverts) unless it
		 * is the master we have just preempted, still yielding. When it
		 * outranks us we yield, as in any preemption: logged below. */
		int we_win = ad->prio < vi->f.priority ||
			(ad->prio == vi->f.priority && memcmp(ad->src.a, vi->primary.a, alen(vi->af)) < 0);
		int tail = same_ip(&ad->src, &vi->preempted) &&
			now_ms - vi->master_since <= vrrp_master_down_ms(&vi->f);

		if (we_win && tail) {
			log_event(LL_NOTICE, "(%s) Received advert from %s with lower priority %d, ours %d: "
				  "the master we preempted, yielding", c->name, ipstr(&ad->src, s, sizeof(s)), ad->prio,
				  vi->f.priority);
		} else if (we_win) {
			if (!vi->sb_last || now_ms - vi->sb_last > vrrp_master_down_ms(&vi->f) + 1000) {
				vi->snap.split_brain++;
				log_event(LL_WARNING, "(%s) split brain: %s is MASTER too (priority %d, ours %d): we rank "
					  "higher, stay MASTER and announce the addresses again", c->name,
					  ipstr(&ad->src, s, sizeof(s)), ad->prio, vi->f.priority);
			}
			vi->sb_last = now_ms;
		}
	}
	act = vrrp_fsm_step(&vi->f, &in, now_ms);
	if (old == VRRP_ST_BACKUP && !ad->prio)
		log_event(LL_NOTICE, "(%s) Backup received priority 0 advertisement", c->name);
	if (old == VRRP_ST_MASTER && vi->f.state == VRRP_ST_BACKUP && ad->prio > vi->f.priority)
		log_event(LL_NOTICE, "(%s) Master received advert from %s with higher priority %d, ours %d",
			  c->name, ipstr(&ad->src, s, sizeof(s)), ad->prio, vi->f.priority);
	else if (old == VRRP_ST_MASTER && vi->f.state == VRRP_ST_BACKUP)
		log_event(LL_NOTICE, "(%s) Master received advert from %s with the same priority %d and a higher address",
			  c->name, ipstr(&ad->src, s, sizeof(s)), ad->prio);
	apply(vi, act, old);
}

static void io_cb(struct ev_io *io, uint32_t events)
{
	struct vinst *vi = io->ctx;
	uint8_t buf[2048];
	(void)events;

	for (int i = 0; i < 64; i++) {
		struct vrrp_advert ad;
		ssize_t n;
		int r;

		if (vi->af == AF_INET6) {
			uint8_t src[16], dst[16];
			int hl;

			n = vrrp_recv6(vi->rfd, buf, sizeof(buf), src, dst, &hl);
			if (n < 0)
				break;
			r = (size_t)n > sizeof(buf) ? (memset(&ad, 0, sizeof(ad)), VRRP_DROP_LENGTH)
				: vrrp_pkt_parse6(buf, (size_t)n, src, dst, hl, &ad);
		} else {
			n = recv(vi->rfd, buf, sizeof(buf), MSG_TRUNC);
			if (n < 0)
				break;
			r = vrrp_pkt_parse4(buf, (size_t)n > sizeof(buf) ? 0 : (size_t)n, &ad);
		}
		advert_in(vi, r, &ad);
	}
}

/* Results from the script runner. */
static void run_cb(struct ev_io *io, uint32_t events)
{
	struct vrrp_run_res r;
	(void)events;

	for (;;) {
		ssize_t n = recv(io->fd, &r, sizeof(r), MSG_DONTWAIT);

		if (n == (ssize_t)sizeof(r)) {
			unsigned owner = r.id >> 16 & 0xff;

			if (vtrack_result(&r, now_ms)) {
				/* the next run of that script is due from now on */
				loop_timer_set(&V.loop, &V.scripts, now_ms);
				continue;
			}
			if ((r.id & 0xf0000000u) != JOB_NOTIFY)
				continue;
			if (owner < (unsigned)V.n)
				vnq_done(&V.inst[owner].nq, &r);
			else if (owner >= VRRP_MAX_INST && owner - VRRP_MAX_INST < (unsigned)V.ng)
				vnq_done(&V.grp[owner - VRRP_MAX_INST].nq, &r);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* the runner is gone: what it was running failed */
		log_event(LL_ALERT, "VRRP: the script runner process exited: scripts and notifications fail from now on");
		loop_io_del(&V.loop, io);
		close(V.run_fd);
		V.run_fd = -1;
		for (int i = 0; i < V.n + V.ng; i++) {
			struct vnq *q = i < V.n ? &V.inst[i].nq : &V.grp[i - V.n].nq;
			struct vrrp_run_res f = { .id = q->job, .status = -1, .err = EPIPE };

			vnq_done(q, &f);
		}
		return;
	}
}

static void scripts_cb(struct ev_timer *t)
{
	uint64_t next = vtrack_run_due(now_ms, run_send);

	publish_scripts();
	if (next)
		loop_timer_set(&V.loop, t, next > now_ms ? next : now_ms + 1);
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

/* Own fault causes and priority change of <vi> into vi->ev. */
static void eval_inst(struct vinst *vi)
{
	const struct vrrp_conf *c = vi->c;
	uint64_t thr = MAX(3 * (uint64_t)c->adver_cs * 10, 1000);

	memset(&vi->ev, 0, sizeof(vi->ev));
	if (vi->started && !worker_ok(now_ms, thr)) {
		vi->ev.fault = 1;
		snprintf(vi->ev.reason, sizeof(vi->ev.reason), "the worker stopped serving");
	}
	if (!c->dont_track_primary && vrrp_if_up(c->ifname) != 1 && !vi->ev.fault) {
		vi->ev.fault = 1;
		snprintf(vi->ev.reason, sizeof(vi->ev.reason), "interface %s is down", c->ifname);
	}
	vtrack_eval(c->tracks, c->ntracks, !vi->started, &vi->ev);
	vi->snap.fault_worker = vi->ev.fault && !strcmp(vi->ev.reason, "the worker stopped serving");
}

static void start_inst(struct vinst *vi, int fault)
{
	uint64_t thr = MAX(3 * (uint64_t)vi->c->adver_cs * 10, 1000);
	long long st;

	if (now_ms < vi->start_at)
		return;
	/* Startup once the worker serves: all its threads beat */
	st = shm_worker_stale_ms(now_ms);
	if (st < 0 || (uint64_t)st > thr)
		return;
	/* and the tracked objects have a state: no notification of a state the
	 * node never really had (checked servers start DOWN, scripts have not
	 * run yet) */
	if (vi->ev.unknown && now_ms < vi->grace_end)
		return;
	if (vi->ev.unknown)
		log_event(LL_WARNING, "(%s) tracked objects still without a state after %llu ms: starting anyway",
			  vi->c->name, (unsigned long long)(now_ms - vi->start_at));
	vi->started = 1;
	vi->f.priority = vi->c->priority == 255 ? 255 : MAX(1, MIN(254, vi->c->priority + vi->ev.delta));
	if (fault) {
		vi->snap.fault_track = !vi->snap.fault_worker;
		snprintf(vi->snap.fault_reason, sizeof(vi->snap.fault_reason), "%s", vi->fault_text);
		step(vi, VRRP_EV_FAULT);
	} else {
		step(vi, VRRP_EV_STARTUP);
	}
}

static void health_cb(struct ev_timer *t)
{
	vtrack_poll_files();
	for (int i = 0; i < V.n; i++)
		eval_inst(&V.inst[i]);
	/* a sync group is in FAULT when one of its members or its own tracked
	 * objects are */
	for (int g = 0; g < V.ng; g++) {
		struct vgroup *gr = &V.grp[g];
		struct veval ge;

		memset(&ge, 0, sizeof(ge));
		vtrack_eval(gr->c->tracks, gr->c->ntracks, 0, &ge);
		gr->fault = ge.fault;
		fmt(gr->reason, sizeof(gr->reason), "sync group %s: %s", gr->c->name, ge.reason);
		for (int m = 0; m < gr->n && !gr->fault; m++) {
			struct vinst *o = &V.inst[gr->m[m]];

			if (o->ev.fault && (o->started || !o->ev.unknown)) {
				gr->fault = 1;
				fmt(gr->reason, sizeof(gr->reason), "sync group %s: %s: %s", gr->c->name, o->c->name,
					 o->ev.reason);
			}
		}
	}
	for (int i = 0; i < V.n; i++) {
		struct vinst *vi = &V.inst[i];
		struct vgroup *g = vi->group >= 0 ? &V.grp[vi->group] : NULL;
		int fault = vi->ev.fault || (g && g->fault), eff;

		snprintf(vi->fault_text, sizeof(vi->fault_text), "%s", vi->ev.fault ? vi->ev.reason : g ? g->reason : "");
		if (!vi->started) {
			start_inst(vi, fault);
			continue;
		}
		eff = vi->c->priority == 255 ? 255 : MAX(1, MIN(254, vi->c->priority + vi->ev.delta));
		if (eff != vi->f.priority) {
			log_event(LL_NOTICE, "(%s) Changing effective priority from %d to %d", vi->c->name, vi->f.priority, eff);
			vi->f.priority = eff;
			step(vi, VRRP_EV_PRIORITY);
		}
		if (fault && vi->f.state != VRRP_ST_FAULT) {
			vi->snap.fault_track = !vi->snap.fault_worker;
			snprintf(vi->snap.fault_reason, sizeof(vi->snap.fault_reason), "%s", vi->fault_text);
			step(vi, VRRP_EV_FAULT);
		} else if (!fault && vi->f.state == VRRP_ST_FAULT) {
			vi->snap.fault_worker = vi->snap.fault_track = 0;
			vi->snap.fault_reason[0] = 0;
			log_event(LL_NOTICE, "(%s) fault cleared", vi->c->name);
			step(vi, VRRP_EV_FAULT_CLEAR);
		} else if (vi->snap.fault_track != (fault && !vi->snap.fault_worker)) {
			vi->snap.fault_track = fault && !vi->snap.fault_worker;
			publish(vi);
		}
		/* a split brain episode ends when no other master was heard for a while */
		if (vi->sb_last && now_ms - vi->sb_last > vrrp_master_down_ms(&vi->f) + 1000)
			vi->sb_last = 0;
	}
	loop_timer_set(&V.loop, t, now_ms + HEALTH_MS);
}

static void wake_hook(struct loop *l)
{
	if (V.stop_req && !V.draining)
		l->stop = 1;
}

static void drain_cb(struct ev_timer *t)
{
	(void)t;
	log_event(LL_WARNING, "VRRP: notifications still running %d ms after the stop: leaving them", DRAIN_MS);
	V.loop.stop = 1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	this_loop = &V.loop;
	clock_update();
	for (int i = 0; i < V.n; i++) {
		struct vinst *vi = &V.inst[i];

		ev_io_init(&vi->io, vi->rfd, io_cb, vi);
		loop_io_set(&V.loop, &vi->io, EPOLLIN);
		ev_timer_init(&vi->tmr, timer_cb, vi);
		ev_timer_init(&vi->garp_refresh, garp_refresh_cb, vi);
		ev_timer_init(&vi->garp_second, garp_second_cb, vi);
		ev_timer_init(&vi->garp_pace, garp_pace_cb, vi);
	}
	if (V.run_fd >= 0) {
		ev_io_init(&V.run_io, V.run_fd, run_cb, NULL);
		loop_io_set(&V.loop, &V.run_io, EPOLLIN);
	}
	ev_timer_init(&V.health, health_cb, NULL);
	ev_timer_init(&V.scripts, scripts_cb, NULL);
	ev_timer_init(&V.drain, drain_cb, NULL);
	loop_timer_set(&V.loop, &V.health, now_ms);
	loop_timer_set(&V.loop, &V.scripts, now_ms);
	loop_run(&V.loop);
	/* leaving: MASTERs send priority 0 first, then remove their addresses */
	clock_update();
	for (int i = 0; i < V.n; i++)
		step(&V.inst[i], VRRP_EV_SHUTDOWN);
	/* then the STOP notifications run, bounded */
	if (queues_busy() && V.run_fd >= 0) {
		V.draining = 1;
		V.loop.stop = 0;
		loop_timer_del(&V.loop, &V.health);
		loop_timer_del(&V.loop, &V.scripts);
		for (int i = 0; i < V.n; i++)
			loop_timer_del(&V.loop, &V.inst[i].tmr);
		loop_timer_set(&V.loop, &V.drain, now_ms + DRAIN_MS);
		loop_run(&V.loop);
	}
	return NULL;
}

/* ---- start and stop ---- */

static int setup_vmac(struct vinst *vi)
{
	struct vrrp_conf *c = vi->c;
	uint8_t mac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x01, (uint8_t)c->vrid }, old[6], msg[256];
	char name[VRRP_IFNAME_LEN], sys[128];
	int idx, r;
	size_t len;

	if (c->vmac_name[0])
		snprintf(name, sizeof(name), "%s", c->vmac_name);
	else
		snprintf(name, sizeof(name), "vrrp.%d", c->vrid);
	/* one of ours from a run that was killed: same name and MAC */
	if (vrrp_if_get(name, &idx, old) == 0) {
		if (memcmp(old, mac, 6)) {
			log_event(LL_ALERT, "(%s) interface %s exists and is not a VMAC of this virtual router", c->name, name);
			return -1;
		}
		len = vrrp_nl_build_dellink(msg, sizeof(msg), idx, ++V.nlseq);
		vrrp_nl_request(V.nl, msg, len);
		log_event(LL_WARNING, "(%s) removed VMAC %s, left behind by a previous run", c->name, name);
	}
	len = vrrp_nl_build_macvlan(msg, sizeof(msg), name, vi->ifindex, mac, ++V.nlseq);
	if (!len || (r = vrrp_nl_request(V.nl, msg, len)) != 0) {
		log_event(LL_ALERT, "(%s) cannot create VMAC %s on %s: %s", c->name, name, c->ifname,
			  strerror(len ? -r : EINVAL));
		return -1;
	}
	if (vrrp_if_get(name, &vi->vmac_ifindex, old) < 0) {
		log_event(LL_ALERT, "(%s) VMAC %s: %s", c->name, name, strerror(errno));
		return -1;
	}
	/* keepalived's settings: the VMAC answers ARP only for its own
	 * addresses; the base interface no longer answers for them, nor puts
	 * them as the sender of its own ARP requests (arp_announce 2: a reply
	 * from a VIP leaving by the base interface would otherwise teach the
	 * LAN the base MAC for the VIP) */
	snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_ignore", name);
	vrrp_sysctl_set(sys, 1);
	snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/accept_local", name);
	vrrp_sysctl_set(sys, 1);
	snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/rp_filter", name);
	vrrp_sysctl_set(sys, 0);
	snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_ignore", c->ifname);
	vi->base_arp_ignore = vrrp_sysctl_get(sys);
	vrrp_sysctl_set(sys, 1);
	snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_filter", c->ifname);
	vi->base_arp_filter = vrrp_sysctl_get(sys);
	vrrp_sysctl_set(sys, 1);
	snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_announce", c->ifname);
	vi->base_arp_announce = vrrp_sysctl_get(sys);
	vrrp_sysctl_set(sys, 2);
	vi->sifindex = vi->vmac_ifindex;
	snprintf(vi->sifname, sizeof(vi->sifname), "%s", name);
	snprintf(vi->snap.vmac, sizeof(vi->snap.vmac), "%s", name);
	log_event(LL_NOTICE, "(%s) VMAC %s (%02x:%02x:%02x:%02x:%02x:%02x) on %s", c->name, name,
		  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], c->ifname);
	return 0;
}

static void release_vmac(struct vinst *vi)
{
	char sys[128];
	uint8_t msg[64];
	size_t len;

	if (!vi->vmac_ifindex)
		return;
	len = vrrp_nl_build_dellink(msg, sizeof(msg), vi->vmac_ifindex, ++V.nlseq);
	if (V.nl >= 0)
		vrrp_nl_request(V.nl, msg, len);
	vi->vmac_ifindex = 0;
	if (vi->base_arp_ignore >= 0) {
		snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_ignore", vi->c->ifname);
		vrrp_sysctl_set(sys, vi->base_arp_ignore);
	}
	if (vi->base_arp_filter >= 0) {
		snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_filter", vi->c->ifname);
		vrrp_sysctl_set(sys, vi->base_arp_filter);
	}
	if (vi->base_arp_announce >= 0) {
		snprintf(sys, sizeof(sys), "net/ipv4/conf/%s/arp_announce", vi->c->ifname);
		vrrp_sysctl_set(sys, vi->base_arp_announce);
	}
}

static int setup_inst(struct vinst *vi, struct vrrp_conf *c, int idx)
{
	char a[INET6_ADDRSTRLEN], owner[48];

	vi->rfd = vi->sfd = -1;
	vi->c = c;
	vi->af = c->af;
	vi->group = -1;
	vi->base_arp_ignore = vi->base_arp_filter = vi->base_arp_announce = -1;
	if (vrrp_if_get(c->ifname, &vi->ifindex, vi->mac) < 0) {
		log_event(LL_ALERT, "(%s) interface '%s': %s", c->name, c->ifname, strerror(errno));
		return -1;
	}
	vi->sifindex = vi->ifindex;
	snprintf(vi->sifname, sizeof(vi->sifname), "%s", c->ifname);
	vi->primary.af = vi->af;
	if (c->src.af) {
		vi->primary = c->src;
	} else if (vrrp_if_primary(c->ifname, vi->af, c, vi->primary.a) < 0) {
		log_event(LL_ALERT, "(%s) interface '%s' has no %s address of its own to send from", c->name, c->ifname,
			  vi->af == AF_INET6 ? "IPv6 link-local" : "IPv4");
		return -1;
	}
	if (c->use_vmac && setup_vmac(vi) < 0)
		return -1;
	for (int i = 0; i < c->nvips; i++) {
		const char *dev = c->vips[i].dev[0] ? c->vips[i].dev : c->use_vmac ? vi->sifname : c->ifname;
		char sys[128];

		if (vrrp_if_get(dev, &vi->vif[i], vi->vmacs[i]) < 0) {
			log_event(LL_ALERT, "(%s) interface '%s' of %s: %s", c->name, dev,
				  ipstr(&c->vips[i].ip, a, sizeof(a)), strerror(errno));
			return -1;
		}
		if (c->vips[i].ip.af == AF_INET6) {
			snprintf(sys, sizeof(sys), "net/ipv6/conf/%s/forwarding", dev);
			vi->router6[i] = vrrp_sysctl_get(sys) > 0;
		}
		if (!c->vips[i].excluded) {
			memcpy(vi->addrs + alen(vi->af) * (size_t)vi->naddrs, c->vips[i].ip.a, alen(vi->af));
			vi->naddrs++;
		}
	}
	if (c->npeers) {
		vi->ndst = c->npeers;
		for (int i = 0; i < c->npeers; i++)
			vi->dst[i] = c->peers[i];
	} else {
		vi->ndst = 1;
		vi->dst[0].af = vi->af;
		if (vi->af == AF_INET6) {
			static const uint8_t g6[16] = { 0xff, 0x02, [15] = 0x12 };

			memcpy(vi->dst[0].a, g6, 16);
		} else {
			uint32_t g = htonl(VRRP_MCAST4);

			memcpy(vi->dst[0].a, &g, 4);
		}
	}
	vi->f.priority = c->priority;
	vi->f.adver_cs = c->adver_cs;
	vi->f.preempt = c->preempt;
	vi->f.preempt_delay_ms = c->preempt_delay_ms;
	vi->f.init_master = c->init_master;
	vi->f.learn_interval = c->version == 3;
	vi->f.higher_prio_send_advert = c->higher_prio_send_advert;
	vi->f.primary = vi->primary;
	vrrp_fsm_init(&vi->f);
	snprintf(vi->snap.name, sizeof(vi->snap.name), "%s", c->name);
	snprintf(vi->snap.ifname, sizeof(vi->snap.ifname), "%s", c->ifname);
	vi->snap.vrid = c->vrid;
	vi->snap.version = c->version;
	vi->snap.af = vi->af;
	vi->snap.auth_type = c->auth_type;
	vi->snap.unicast = c->npeers > 0;
	vi->snap.priority = c->priority;
	vi->snap.eff_priority = c->priority;
	vi->snap.adver_cs = c->adver_cs;
	vi->snap.nvips = c->nvips;
	vi->snap.since_ms = clock_mono_us() / 1000;
	vi->start_at = V.start_ms + c->startup_delay_ms;
	snprintf(owner, sizeof(owner), "(%s)", c->name);
	vnq_init(&vi->nq, owner, idx, &vi->snap.notify_run, &vi->snap.notify_failed);
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
		uint8_t msg[96];
		size_t len = vrrp_nl_build_vip(msg, sizeof(msg), 0, vi->vif[i], v, ++V.nlseq);

		if (len && vrrp_nl_request(V.nl, msg, len) == 0)
			log_event(LL_WARNING, "(%s) removed %s, left behind by a previous run",
				  vi->c->name, ipstr(&v->ip, a, sizeof(a)));
	}
}

/* What the guard sends and deletes if the master dies (see guard.c). */
static void guard_plan(struct vinst *vi, struct vrrp_guard_inst *g)
{
	int i = (int)(vi - V.inst);
	struct vrrp_pkt_spec s = {
		.version = vi->c->version, .af = vi->af, .vrid = vi->c->vrid, .prio = 0, .naddr = vi->naddrs,
		.adver_cs = vi->c->adver_cs, .addrs = vi->addrs, .auth_type = vi->c->auth_type,
		.auth = vi->c->auth_pass, .src = vi->primary.a,
	};

	memset(g, 0, sizeof(*g));
	g->snap = &V.sh->slot[i].s;
	g->af = vi->af;
	g->ifindex = vi->sifindex;
	snprintf(g->ifname, sizeof(g->ifname), "%s", vi->sifname);
	memcpy(g->src, vi->primary.a, 16);
	g->ndst = vi->ndst;
	for (int d = 0; d < vi->ndst; d++) {
		memcpy(g->dst[d], vi->dst[d].a, 16);
		s.dst = vi->dst[d].a;
		g->prio0_len[d] = vrrp_pkt_build(g->prio0[d], sizeof(g->prio0[d]), &s);
	}
	g->ndel = vi->c->nvips;
	for (int v = 0; v < vi->c->nvips; v++)
		g->del_len[v] = vrrp_nl_build_vip(g->del[v], sizeof(g->del[v]), 0, vi->vif[v], &vi->c->vips[v],
						  0x7fff0000u + (uint32_t)v);
}

static void release(void)
{
	for (int i = 0; i < V.n; i++) {
		struct vinst *vi = &V.inst[i];

		if (vi->sfd >= 0 && vi->sfd != vi->rfd)
			close(vi->sfd);
		if (vi->rfd >= 0)
			close(vi->rfd);
		vi->rfd = vi->sfd = -1;
		release_vmac(vi);
	}
	if (V.nl >= 0)
		close(V.nl);
	if (V.pkt_fd >= 0)
		close(V.pkt_fd);
	V.nl = V.pkt_fd = -1;
	V.n = V.ng = 0;
	vtrack_release();
	while (V.confs.next && !list_empty(&V.confs)) {
		struct vrrp_conf *c = list_entry(V.confs.next, struct vrrp_conf, link);

		list_del(&c->link);
		vrrp_conf_free(c);
	}
	if (V.set) {
		vrrp_set_release(V.set);
		free(V.set);
		V.set = NULL;
	}
}

static void stop_child(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	waitpid(*pid, NULL, 0);
	*pid = -1;
}

/* Close the runner's socket: it kills what still runs and exits. */
static void stop_runner(void)
{
	if (V.run_fd >= 0) {
		close(V.run_fd);
		V.run_fd = -1;
	}
	if (V.runner > 0) {
		for (int i = 0; i < 300; i++) {   /* it kills leftovers within 1 s */
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			pid_t r = waitpid(V.runner, NULL, WNOHANG);

			if (r == V.runner || (r < 0 && errno == ECHILD)) {
				V.runner = -1;
				return;
			}
			nanosleep(&ts, NULL);
		}
		stop_child(&V.runner, SIGKILL);
	}
}

static int needs_runner(void)
{
	for (int i = 0; i < V.n; i++)
		for (int k = 0; k < VRRP_NOTIFY_N; k++)
			if (V.inst[i].c->notify[k].argv)
				return 1;
	for (int g = 0; g < V.ng; g++)
		for (int k = 0; k < VRRP_NOTIFY_N; k++)
			if (V.grp[g].c->notify[k].argv)
				return 1;
	for (int i = 0; i < vtrack_nscripts(); i++) {
		struct vrrp_script_snap s;

		vtrack_script_snap(i, &s);
		for (int j = 0; j < V.n; j++)
			for (int t = 0; t < V.inst[j].c->ntracks; t++)
				if (V.inst[j].c->tracks[t].kind == VRRP_TRK_SCRIPT && !strcmp(V.inst[j].c->tracks[t].name, s.name))
					return 1;
		for (int g = 0; g < V.ng; g++)
			for (int t = 0; t < V.grp[g].c->ntracks; t++)
				if (V.grp[g].c->tracks[t].kind == VRRP_TRK_SCRIPT && !strcmp(V.grp[g].c->tracks[t].name, s.name))
					return 1;
	}
	return 0;
}

static void setup_groups(const struct cfg *cfg)
{
	struct list *l;

	if (!V.set)
		return;
	list_for_each(l, &V.set->groups) {
		struct vgroup *g = &V.grp[V.ng];
		char owner[48];

		memset(g, 0, sizeof(*g));
		g->c = list_entry(l, struct vrrp_group_conf, link);
		for (int m = 0; m < g->c->nmembers; m++)
			for (int i = 0; i < V.n; i++)
				if (!strcmp(V.inst[i].c->name, g->c->members[m])) {
					g->m[g->n++] = i;
					V.inst[i].group = V.ng;
					snprintf(V.inst[i].snap.group, sizeof(V.inst[i].snap.group), "%s", g->c->name);
				}
		snprintf(owner, sizeof(owner), "VRRP_Group(%s)", g->c->name);
		vnq_init(&g->nq, owner, VRRP_MAX_INST + V.ng, &g->ctr_run, &g->ctr_failed);
		for (int t = 0; t < g->c->ntracks; t++)
			if (g->c->tracks[t].kind == VRRP_TRK_SCRIPT)
				vtrack_use_script(g->c->tracks[t].name);
		/* the members wait for the group's tracked objects too */
		for (int m = 0; m < g->n; m++) {
			struct vinst *vi = &V.inst[g->m[m]];
			uint64_t gr = vtrack_grace_ms(g->c->tracks, g->c->ntracks, cfg);

			if (vi->start_at + gr > vi->grace_end)
				vi->grace_end = vi->start_at + gr;
		}
		V.ng++;
	}
}

int vrrp_start(struct cfg *cfg)
{
	sigset_t all, old;
	char host[64];
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
	/* the running instances own their configuration from now on: a reload
	 * frees the configuration it replaces, never these */
	list_init(&V.confs);
	while (!list_empty(&cfg->vrrps)) {
		struct list *l = cfg->vrrps.next;

		list_del(l);
		list_add_tail(&V.confs, l);
	}
	V.set = cfg->vrrp;
	cfg->vrrp = NULL;
	V.start_ms = clock_mono_us() / 1000;
	if (V.set && V.set->router_id[0])
		snprintf(V.sh->router_id, sizeof(V.sh->router_id), "%s", V.set->router_id);
	else if (gethostname(host, sizeof(host)) == 0)
		snprintf(V.sh->router_id, sizeof(V.sh->router_id), "%.63s", host);
	if (vtrack_init(V.set) < 0) {
		log_event(LL_ALERT, "VRRP: too many scripts or track files");
		goto fail;
	}
	if ((V.nl = vrrp_nl_open()) < 0 || (V.pkt_fd = vrrp_garp_open()) < 0) {
		log_event(LL_ALERT, "VRRP: cannot open %s socket: %s (tandem needs CAP_NET_ADMIN and CAP_NET_RAW)",
			  V.nl < 0 ? "a netlink" : "a packet", strerror(errno));
		goto fail;
	}
	{
		struct list *l;

		list_for_each(l, &V.confs) {
			struct vrrp_conf *c = list_entry(l, struct vrrp_conf, link);
			struct vinst *vi = &V.inst[n];

			if (n == VRRP_MAX_INST) {
				log_event(LL_ALERT, "VRRP: at most %d instances", VRRP_MAX_INST);
				goto fail;
			}
			memset(vi, 0, sizeof(*vi));
			V.n = n + 1;
			if (setup_inst(vi, c, n) < 0)
				goto fail;
			for (int t = 0; t < c->ntracks; t++)
				if (c->tracks[t].kind == VRRP_TRK_SCRIPT)
					vtrack_use_script(c->tracks[t].name);
			vi->grace_end = vi->start_at + vtrack_grace_ms(c->tracks, c->ntracks, cfg);
			n++;
		}
	}
	setup_groups(cfg);
	for (int i = 0; i < n; i++) {
		struct vinst *vi = &V.inst[i];
		char a[INET6_ADDRSTRLEN];

		remove_leftovers(vi);
		vi->rfd = vrrp_sock_open(vi->af, vi->c->ifname, vi->ifindex, vi->c->npeers == 0);
		if (vi->rfd >= 0 && vi->vmac_ifindex)
			vi->sfd = vrrp_sock_open(vi->af, vi->sifname, vi->sifindex, 0);
		else
			vi->sfd = vi->rfd;
		if (vi->rfd < 0 || vi->sfd < 0) {
			log_event(LL_ALERT, "(%s) cannot open the VRRP socket on %s: %s", vi->c->name,
				  vi->c->ifname, strerror(errno));
			goto fail;
		}
		log_event(LL_NOTICE, "(%s) VRRPv%d on %s from %s, VRID %d, priority %d, advert %u ms, %s%s%s",
			  vi->c->name, vi->c->version, vi->sifname, ipstr(&vi->primary, a, sizeof(a)),
			  vi->c->vrid, vi->c->priority, vi->c->adver_cs * 10,
			  vi->c->npeers ? "unicast" : vi->af == AF_INET6 ? "multicast ff02::12" : "multicast 224.0.0.18",
			  vi->c->auth_type == VRRP_AUTH_PASS ? ", authentication PASS" : "",
			  vi->c->flavor == VRRP_KEEPALIVED ? ", from keepalived.conf" : "");
		guard_plan(vi, &V.gplan[i]);
		publish(vi);
	}
	__atomic_store_n(&V.sh->nscripts, MIN(vtrack_nscripts(), VRRP_MAX_SCRIPTS), __ATOMIC_RELEASE);
	publish_scripts();
	__atomic_store_n(&V.sh->n, n, __ATOMIC_RELEASE);
	V.guard = vrrp_guard_start(V.gplan, n);
	if (V.guard < 0)
		log_event(LL_WARNING, "VRRP: cannot start the guard process: %s (addresses would stay after a crash)",
			  strerror(errno));
	if (needs_runner() && (V.run_fd = vrrp_runner_start(&V.runner)) < 0) {
		log_event(LL_ALERT, "VRRP: cannot start the script runner: %s", strerror(errno));
		goto fail;
	}
	if (loop_init(&V.loop, 0) < 0) {
		log_event(LL_ALERT, "VRRP: cannot create the event loop: %s", strerror(errno));
		goto fail;
	}
	V.loop.wake_hook = wake_hook;
	V.stop_req = 0;
	V.draining = 0;
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
	stop_child(&V.guard, SIGKILL);
	stop_runner();
	__atomic_store_n(&V.sh->n, 0, __ATOMIC_RELEASE);
	release();
	return -1;
}

/* ---- reload ---- */

static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int cmd_same(const struct vrrp_cmd *a, const struct vrrp_cmd *b)
{
	int i;

	if (!a->argv || !b->argv)
		return !a->argv && !b->argv;
	if (a->uid != b->uid || a->gid != b->gid)
		return 0;
	for (i = 0; a->argv[i] && b->argv[i]; i++)
		if (strcmp(a->argv[i], b->argv[i]))
			return 0;
	return !a->argv[i] && !b->argv[i];
}

/* 1 if running instance <a> was configured as <b>. */
static int conf_same(const struct vrrp_conf *a, const struct vrrp_conf *b)
{
	struct vrrp_conf x = *a, y = *b;

	/* scalar fields, the pointers aside */
	memset(&x.link, 0, sizeof(x.link));
	memset(&y.link, 0, sizeof(y.link));
	x.file = y.file = NULL;
	x.line = y.line = 0;
	for (int i = 0; i < VRRP_MAX_TRACK; i++) {
		memset(&x.tracks[i], 0, sizeof(x.tracks[i]));
		memset(&y.tracks[i], 0, sizeof(y.tracks[i]));
	}
	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		x.notify[i].argv = y.notify[i].argv = NULL;
	if (memcmp(&x, &y, sizeof(x)))
		return 0;
	for (int i = 0; i < a->ntracks; i++)
		if (a->tracks[i].kind != b->tracks[i].kind || a->tracks[i].weight != b->tracks[i].weight ||
		    a->tracks[i].weight_set != b->tracks[i].weight_set || !str_same(a->tracks[i].name, b->tracks[i].name))
			return 0;
	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		if (!cmd_same(&a->notify[i], &b->notify[i]))
			return 0;
	return 1;
}

void vrrp_reload(const struct cfg *ncfg)
{
	const struct list *l;
	int n = 0, same = 1;

	if (!V.running)
		same = !ncfg->vrrps.next || list_empty(&ncfg->vrrps);
	else if (ncfg->vrrps.next)
		for (l = ncfg->vrrps.next; l != &ncfg->vrrps; l = l->next, n++)
			same &= n < V.n && conf_same(V.inst[n].c, list_entry(l, struct vrrp_conf, link));
	if (V.running && n != V.n)
		same = 0;
	if (V.running && ncfg->vrrp && V.set) {
		/* scripts: same names and command lines */
		const struct list *sl = ncfg->vrrp->scripts.next, *rl = V.set->scripts.next;

		for (; sl != &ncfg->vrrp->scripts && rl != &V.set->scripts; sl = sl->next, rl = rl->next) {
			const struct vrrp_script_conf *x = list_entry(sl, struct vrrp_script_conf, link);
			const struct vrrp_script_conf *y = list_entry(rl, struct vrrp_script_conf, link);

			same &= !strcmp(x->name, y->name) && str_same(x->cmdline, y->cmdline) &&
				x->interval_ms == y->interval_ms && x->timeout_ms == y->timeout_ms &&
				x->weight == y->weight && x->rise == y->rise && x->fall == y->fall;
		}
		same &= sl == &ncfg->vrrp->scripts && rl == &V.set->scripts;
	}
	if (!same)
		log_event(LL_WARNING, "VRRP: the reloaded configuration changes the VRRP instances or their scripts; "
			  "the changes take effect at the next restart (a reload never moves the virtual addresses).");
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
	stop_child(&V.guard, SIGKILL);
	stop_runner();
	release();
}
