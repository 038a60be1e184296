/* The VRRPv3 state machine (src/vrrp/fsm.c) with simulated time: RFC 5798
 * section 6 timers and transitions, one event at a time, then whole
 * virtual routers of two or three nodes exchanging advertisements over a
 * simulated LAN (a node "dies" by no longer sending or receiving). */
#include <string.h>
#include <sys/socket.h>
#include <tandem/vrrp.h>
#include "unit.h"

static struct vrrp_fsm mk(int prio, unsigned adver_cs, int preempt, uint32_t delay, int last_octet)
{
	struct vrrp_fsm f;

	memset(&f, 0, sizeof(f));
	f.priority = prio;
	f.adver_cs = adver_cs;
	f.preempt = preempt;
	f.preempt_delay_ms = delay;
	f.learn_interval = 1;   /* version 3 */
	f.primary.af = AF_INET;
	f.primary.a[0] = 192; f.primary.a[1] = 0; f.primary.a[2] = 2; f.primary.a[3] = (uint8_t)last_octet;
	vrrp_fsm_init(&f);
	return f;
}

static unsigned ev(struct vrrp_fsm *f, enum vrrp_event e, uint64_t now)
{
	struct vrrp_input in = { .ev = e };

	return vrrp_fsm_step(f, &in, now);
}

static unsigned adv(struct vrrp_fsm *f, int prio, unsigned cs, int last_octet, uint64_t now)
{
	struct vrrp_input in = { .ev = VRRP_EV_ADVERT, .prio = prio, .adver_cs = cs };

	in.src.af = AF_INET;
	in.src.a[0] = 192; in.src.a[2] = 2; in.src.a[3] = (uint8_t)last_octet;
	return vrrp_fsm_step(f, &in, now);
}

static void test_timers(void)
{
	struct vrrp_fsm f = mk(100, 100, 1, 0, 1);

	/* Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 */
	CHECK("skew prio 100, 1 s", vrrp_skew_ms(&f) == 609);          /* 156 * 1000 / 256 */
	CHECK("mdi prio 100, 1 s", vrrp_master_down_ms(&f) == 3609);
	f = mk(200, 10, 1, 0, 1);
	CHECK("skew prio 200, 100 ms", vrrp_skew_ms(&f) == 21);         /* 56 * 100 / 256 */
	CHECK("mdi prio 200, 100 ms", vrrp_master_down_ms(&f) == 321);
	f = mk(254, 3, 1, 0, 1);
	CHECK("skew prio 254, 30 ms", vrrp_skew_ms(&f) == 0);
	CHECK("mdi prio 254, 30 ms", vrrp_master_down_ms(&f) == 90);
	f = mk(1, 4095, 1, 0, 1);
	CHECK("mdi largest", vrrp_master_down_ms(&f) == 3 * 40950 + 255 * 40950 / 256);
	CHECK("state names", !strcmp(vrrp_state_str(VRRP_ST_MASTER), "MASTER") &&
	      !strcmp(vrrp_state_str(VRRP_ST_BACKUP), "BACKUP") && !strcmp(vrrp_state_str(VRRP_ST_FAULT), "FAULT") &&
	      !strcmp(vrrp_state_str(VRRP_ST_INIT), "INIT"));
}

static void test_startup(void)
{
	struct vrrp_fsm f = mk(100, 100, 1, 0, 1);
	unsigned a;

	CHECK("init state", f.state == VRRP_ST_INIT && vrrp_fsm_next(&f) == 0);
	CHECK("init ignores adverts", adv(&f, 200, 100, 2, 10) == 0 && f.state == VRRP_ST_INIT);
	a = ev(&f, VRRP_EV_STARTUP, 1000);
	CHECK("startup -> backup", f.state == VRRP_ST_BACKUP && a == VRRP_ACT_STATE);
	CHECK("startup arms Master_Down_Timer", f.master_down_at == 1000 + 3609 && f.adver_at == 0 &&
	      vrrp_fsm_next(&f) == 4609);
	CHECK("startup: Master_Adver_Interval = Advertisement_Interval", f.master_adver_cs == 100);
	CHECK("second startup ignored", ev(&f, VRRP_EV_STARTUP, 1001) == 0);
	CHECK("timer before expiry: nothing", ev(&f, VRRP_EV_TIMER, 4608) == 0 && f.state == VRRP_ST_BACKUP);
	a = ev(&f, VRRP_EV_TIMER, 4609);
	CHECK("Master_Down_Timer fires -> master",
	      f.state == VRRP_ST_MASTER && a == (VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_STATE));
	CHECK("master arms Adver_Timer", f.adver_at == 4609 + 1000 && f.master_down_at == 0);
	CHECK("master knows itself", f.master.a[3] == 1 && f.master_prio == 100);
	CHECK("Adver_Timer early: nothing", ev(&f, VRRP_EV_TIMER, 5608) == 0);
	CHECK("Adver_Timer fires: advert", ev(&f, VRRP_EV_TIMER, 5609) == VRRP_ACT_SEND_ADVERT && f.adver_at == 6609);
	CHECK("late timer keeps cadence", ev(&f, VRRP_EV_TIMER, 6700) == VRRP_ACT_SEND_ADVERT && f.adver_at == 7609);
	CHECK("very late timer re-arms from now", ev(&f, VRRP_EV_TIMER, 9000) == VRRP_ACT_SEND_ADVERT && f.adver_at == 10000);

	f = mk(255, 100, 1, 0, 1);
	a = ev(&f, VRRP_EV_STARTUP, 50);
	CHECK("owner (255) starts as master",
	      f.state == VRRP_ST_MASTER && a == (VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_STATE) &&
	      f.adver_at == 1050);
}

static void test_backup_adverts(void)
{
	struct vrrp_fsm f = mk(100, 100, 1, 0, 1);

	ev(&f, VRRP_EV_STARTUP, 0);
	CHECK("higher priority advert accepted", adv(&f, 200, 100, 2, 3000) == 0 && f.state == VRRP_ST_BACKUP);
	CHECK("accepted advert resets Master_Down_Timer", f.master_down_at == 3000 + 3609);
	CHECK("master learned", f.master.a[3] == 2 && f.master_prio == 200);
	adv(&f, 200, 50, 2, 4000);
	CHECK("Master_Adver_Interval learned from the advert",
	      f.master_adver_cs == 50 && f.master_down_at == 4000 + 1500 + 156 * 500 / 256);
	adv(&f, 100, 50, 0, 4100);
	CHECK("equal priority accepted whatever the address", f.master_down_at == 4100 + 1804 && f.master.a[3] == 0);
	/* priority 0: "Set the Master_Down_Timer to Skew_Time" */
	CHECK("priority 0 advert", adv(&f, 0, 50, 2, 5000) == 0 && f.master_down_at == 5000 + 304);
	CHECK("priority 0: take over after Skew_Time",
	      ev(&f, VRRP_EV_TIMER, 5304) & VRRP_ACT_ADD_VIPS && f.state == VRRP_ST_MASTER);
}

static void test_master_adverts(void)
{
	struct vrrp_fsm f = mk(100, 100, 1, 0, 5);
	unsigned a;

	ev(&f, VRRP_EV_STARTUP, 0);
	ev(&f, VRRP_EV_TIMER, 3609);
	/* split brain: the RFC discards; tandem answers at once and re-announces */
	a = adv(&f, 50, 100, 9, 4000);
	CHECK("another master with a lower priority: stay, advertise now, re-announce",
	      a == (VRRP_ACT_SEND_ADVERT | VRRP_ACT_GARP | VRRP_ACT_LOWER_RX) && f.state == VRRP_ST_MASTER &&
	      f.adver_at == 5000);
	a = adv(&f, 100, 100, 4, 4001);
	CHECK("equal priority, lower address: stay, advertise now, re-announce",
	      a == (VRRP_ACT_SEND_ADVERT | VRRP_ACT_GARP | VRRP_ACT_LOWER_RX) && f.state == VRRP_ST_MASTER);
	a = adv(&f, 0, 100, 9, 4100);
	CHECK("priority 0 while master: advertise at once", a == VRRP_ACT_SEND_ADVERT && f.adver_at == 5100 &&
	      f.state == VRRP_ST_MASTER);
	a = adv(&f, 100, 20, 6, 4200);
	CHECK("equal priority, higher address: back to backup",
	      a == (VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE) && f.state == VRRP_ST_BACKUP);
	CHECK("tie: timers", f.adver_at == 0 && f.master_adver_cs == 20 && f.master_down_at == 4200 + 600 + 156 * 200 / 256);
	CHECK("tie: master", f.master.a[3] == 6 && f.master_prio == 100);

	f = mk(100, 100, 1, 0, 5);
	ev(&f, VRRP_EV_STARTUP, 0);
	ev(&f, VRRP_EV_TIMER, 3609);
	a = adv(&f, 101, 100, 1, 5000);
	CHECK("higher priority (lower address): back to backup",
	      a == (VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE) && f.state == VRRP_ST_BACKUP && f.master_prio == 101);
}

static void test_preempt(void)
{
	struct vrrp_fsm f = mk(200, 10, 1, 0, 1), g = mk(200, 10, 0, 0, 1);
	uint64_t t;

	ev(&f, VRRP_EV_STARTUP, 0);
	ev(&g, VRRP_EV_STARTUP, 0);
	/* a lower-priority master keeps advertising every 100 ms */
	for (t = 0; t < 2000; t += 10) {
		if (t % 100 == 0)
			adv(&f, 100, 10, 2, t);
		ev(&f, VRRP_EV_TIMER, t);
		if (f.state != VRRP_ST_BACKUP)
			break;
	}
	CHECK("preempt: lower-priority adverts discarded, master after Master_Down_Interval",
	      f.state == VRRP_ST_MASTER && t == 330);   /* fired at 321, seen at the 10 ms step after */
	for (t = 0; t < 3000; t += 10) {
		if (t % 100 == 0)
			adv(&g, 100, 10, 2, t);
		ev(&g, VRRP_EV_TIMER, t);
	}
	CHECK("no preempt: a lower-priority master is kept", g.state == VRRP_ST_BACKUP && g.master_prio == 100);
}

static void test_preempt_delay(void)
{
	struct vrrp_fsm f = mk(200, 10, 1, 1500, 1);
	uint64_t t, became = 0;

	ev(&f, VRRP_EV_STARTUP, 0);
	CHECK("preempt-delay armed at startup", f.preempt_at == 1500);
	for (t = 0; t <= 3000 && !became; t++) {
		if (t % 100 == 0)
			adv(&f, 100, 10, 2, t);
		if (vrrp_fsm_next(&f) && t >= vrrp_fsm_next(&f))
			ev(&f, VRRP_EV_TIMER, t);
		if (f.state == VRRP_ST_MASTER)
			became = t;
	}
	/* last accepted advert at 1400 (< 1500): master at 1400 + 321 */
	CHECK("preempt-delay: no preemption before the delay", became >= 1500);
	CHECK("preempt-delay: preempts Master_Down_Interval after the last accepted advert", became == 1721);
	f = mk(200, 10, 1, 1500, 1);
	ev(&f, VRRP_EV_STARTUP, 0);
	adv(&f, 250, 10, 2, 100);
	CHECK("preempt-delay does not matter for a higher priority", f.master_prio == 250);
}

static void test_shutdown_fault(void)
{
	struct vrrp_fsm f = mk(100, 100, 1, 0, 1);
	unsigned a;

	CHECK("shutdown in init: nothing", ev(&f, VRRP_EV_SHUTDOWN, 0) == 0);
	ev(&f, VRRP_EV_STARTUP, 0);
	a = ev(&f, VRRP_EV_SHUTDOWN, 10);
	CHECK("backup shutdown", a == VRRP_ACT_STATE && f.state == VRRP_ST_INIT && vrrp_fsm_next(&f) == 0);
	ev(&f, VRRP_EV_STARTUP, 20);
	ev(&f, VRRP_EV_TIMER, 20 + 3609);
	a = ev(&f, VRRP_EV_SHUTDOWN, 4000);
	CHECK("master shutdown: priority 0, addresses removed",
	      a == (VRRP_ACT_SEND_PRIO0 | VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE) && f.state == VRRP_ST_INIT &&
	      vrrp_fsm_next(&f) == 0);

	f = mk(100, 100, 1, 0, 1);
	ev(&f, VRRP_EV_STARTUP, 0);
	ev(&f, VRRP_EV_TIMER, 3609);
	a = ev(&f, VRRP_EV_FAULT, 4000);
	CHECK("master fault: priority 0, addresses removed",
	      a == (VRRP_ACT_SEND_PRIO0 | VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE) && f.state == VRRP_ST_FAULT);
	CHECK("fault twice: nothing", ev(&f, VRRP_EV_FAULT, 4001) == 0);
	CHECK("fault ignores adverts and timers", adv(&f, 50, 100, 2, 5000) == 0 &&
	      ev(&f, VRRP_EV_TIMER, 99999) == 0 && f.state == VRRP_ST_FAULT && vrrp_fsm_next(&f) == 0);
	a = ev(&f, VRRP_EV_FAULT_CLEAR, 100000);
	CHECK("fault cleared: startup again", a == VRRP_ACT_STATE && f.state == VRRP_ST_BACKUP &&
	      f.master_down_at == 100000 + 3609);
	CHECK("fault clear when not in fault: nothing", ev(&f, VRRP_EV_FAULT_CLEAR, 100001) == 0);
	a = ev(&f, VRRP_EV_FAULT, 100002);
	CHECK("backup fault", a == VRRP_ACT_STATE && f.state == VRRP_ST_FAULT);
	a = ev(&f, VRRP_EV_SHUTDOWN, 100003);
	CHECK("fault shutdown", a == VRRP_ACT_STATE && f.state == VRRP_ST_INIT);

	f = mk(100, 100, 1, 0, 1);
	ev(&f, VRRP_EV_STARTUP, 0);
	ev(&f, VRRP_EV_TIMER, 3609);
	f.priority = 60;
	CHECK("priority change while master: advertise at once",
	      ev(&f, VRRP_EV_PRIORITY, 3700) == VRRP_ACT_SEND_ADVERT && f.adver_at == 4700 && f.master_prio == 60);
	f = mk(100, 100, 1, 0, 1);
	ev(&f, VRRP_EV_STARTUP, 0);
	CHECK("priority change while backup: nothing", ev(&f, VRRP_EV_PRIORITY, 10) == 0);
}

/* ---- a simulated LAN ---- */

#define NODES 3
static struct vrrp_fsm net[NODES];
static int alive[NODES];
static int addrs_held[NODES];
static int partitioned;   /* the LAN drops every advertisement */

/* Deliver node <from>'s advertisement (priority <prio>) to every other live node. */
static void deliver(int from, int prio, uint64_t now);

static void act(int i, unsigned a, uint64_t now)
{
	if (a & VRRP_ACT_SEND_PRIO0)
		deliver(i, 0, now);
	if (a & VRRP_ACT_SEND_ADVERT)
		deliver(i, net[i].priority, now);
	if (a & VRRP_ACT_ADD_VIPS)
		addrs_held[i] = 1;
	if (a & VRRP_ACT_DEL_VIPS)
		addrs_held[i] = 0;
}

static void deliver(int from, int prio, uint64_t now)
{
	if (partitioned)
		return;
	for (int j = 0; j < NODES; j++) {
		struct vrrp_input in = { .ev = VRRP_EV_ADVERT, .prio = prio, .adver_cs = net[from].adver_cs,
					 .src = net[from].primary };

		if (j != from && alive[j])
			act(j, vrrp_fsm_step(&net[j], &in, now), now);
	}
}

/* Run the LAN from <t0> for <ms> milliseconds, 1 ms steps. */
static void run(uint64_t t0, uint64_t ms)
{
	for (uint64_t t = t0; t < t0 + ms; t++)
		for (int i = 0; i < NODES; i++) {
			uint64_t n = vrrp_fsm_next(&net[i]);

			if (alive[i] && n && t >= n)
				act(i, ev(&net[i], VRRP_EV_TIMER, t), t);
		}
}

static int masters(void)
{
	int n = 0;

	for (int i = 0; i < NODES; i++)
		n += alive[i] && net[i].state == VRRP_ST_MASTER;
	return n;
}

/* Time until node <i> becomes master, running from <t0>; -1 if not within <ms>. */
static long until_master(int i, uint64_t t0, uint64_t ms)
{
	for (uint64_t t = t0; t < t0 + ms; t++) {
		run(t, 1);
		if (net[i].state == VRRP_ST_MASTER)
			return (long)(t - t0);
	}
	return -1;
}

static void test_lan(void)
{
	long d;

	/* A (200) and B (100), advert 100 ms; C absent */
	net[0] = mk(200, 10, 1, 0, 1);
	net[1] = mk(100, 10, 1, 0, 2);
	alive[0] = alive[1] = 1;
	act(1, ev(&net[1], VRRP_EV_STARTUP, 0), 0);
	act(0, ev(&net[0], VRRP_EV_STARTUP, 0), 0);
	d = until_master(0, 0, 2000);
	CHECK("lan: A becomes master after its Master_Down_Interval", d == 321);
	run(322, 1000);
	CHECK("lan: one master, B backup learning A", masters() == 1 && net[1].state == VRRP_ST_BACKUP &&
	      net[1].master.a[3] == 1 && addrs_held[0] && !addrs_held[1]);

	/* A crashes silently: B takes over within its Master_Down_Interval
	 * (3 * 100 + 156 * 100 / 256 = 360 ms) after A's last advertisement */
	alive[0] = 0;
	d = until_master(1, 1322, 2000);
	CHECK("lan: silent crash: B master within Master_Down_Interval", d > 250 && d <= 360);
	CHECK("lan: B holds the addresses", addrs_held[1]);

	/* A returns: preempts B after its own Master_Down_Interval */
	net[0] = mk(200, 10, 1, 0, 1);
	alive[0] = 1;
	addrs_held[0] = 0;
	act(0, ev(&net[0], VRRP_EV_STARTUP, 4000), 4000);
	d = until_master(0, 4000, 2000);
	CHECK("lan: A preempts after its Master_Down_Interval", d == 321);
	run(4322, 5);
	CHECK("lan: after preemption exactly one master and one holder",
	      masters() == 1 && net[1].state == VRRP_ST_BACKUP && addrs_held[0] && !addrs_held[1]);

	/* A shuts down: priority 0, B takes over after Skew_Time (60 ms) */
	act(0, ev(&net[0], VRRP_EV_SHUTDOWN, 5000), 5000);
	alive[0] = 0;
	d = until_master(1, 5000, 2000);
	CHECK("lan: clean stop: B master within Skew_Time", d == 60 && !addrs_held[0] && addrs_held[1]);

	/* three nodes with equal priority start apart (split brain: all
	 * masters), then the LAN heals: the highest primary address wins */
	partitioned = 1;
	for (int i = 0; i < NODES; i++) {
		net[i] = mk(100, 3, 1, 0, 10 + i);
		alive[i] = 1;
		addrs_held[i] = 0;
		act(i, ev(&net[i], VRRP_EV_STARTUP, 10000), 10000);
	}
	run(10000, 500);
	CHECK("lan: partitioned, every node is master", masters() == 3);
	partitioned = 0;
	run(10500, 500);
	CHECK("lan: healed, equal priorities: the highest address stays master",
	      masters() == 1 && net[2].state == VRRP_ST_MASTER && addrs_held[2] && !addrs_held[0] && !addrs_held[1]);
}

/* keepalived's extensions and the reasons of transitions */
static void test_extensions(void)
{
	struct vrrp_fsm f = mk(100, 100, 1, 0, 1);
	unsigned a;

	f.init_master = 1;
	a = ev(&f, VRRP_EV_STARTUP, 0);
	CHECK("state MASTER: first Master_Down_Timer is one interval plus the skew",
	      a == VRRP_ACT_STATE && f.state == VRRP_ST_BACKUP && f.master_down_at == 1000 + 609 && f.why == VRRP_WHY_STARTUP);
	CHECK("state MASTER: master after it", ev(&f, VRRP_EV_TIMER, 1609) & VRRP_ACT_ADD_VIPS &&
	      f.why == VRRP_WHY_MASTER_DOWN);

	f = mk(100, 100, 1, 0, 1);
	f.learn_interval = 0;   /* version 2 */
	ev(&f, VRRP_EV_STARTUP, 0);
	adv(&f, 150, 300, 2, 10);
	CHECK("v2: a backup does not learn the master's interval", f.master_adver_cs == 100 &&
	      f.master_down_at == 10 + 3609 - 609 + 609);

	f = mk(100, 100, 1, 0, 1);
	ev(&f, VRRP_EV_STARTUP, 0);
	adv(&f, 150, 100, 2, 10);
	adv(&f, 0, 100, 2, 20);
	CHECK("priority 0 remembered", f.prio0_seen && f.master_down_at == 20 + 609);
	ev(&f, VRRP_EV_TIMER, 629);
	CHECK("why: the master left (priority 0)", f.state == VRRP_ST_MASTER && f.why == VRRP_WHY_PRIO0);
	adv(&f, 101, 100, 0, 700);
	CHECK("why: higher priority", f.state == VRRP_ST_BACKUP && f.why == VRRP_WHY_HIGHER_PRIO);
	f.priority = 100;
	ev(&f, VRRP_EV_TIMER, 700 + 3609);
	adv(&f, 100, 100, 9, 5000);
	CHECK("why: same priority, higher address", f.state == VRRP_ST_BACKUP && f.why == VRRP_WHY_HIGHER_ADDR);
	ev(&f, VRRP_EV_FAULT, 5001);
	CHECK("why: fault", f.why == VRRP_WHY_FAULT);
	ev(&f, VRRP_EV_FAULT_CLEAR, 5002);
	CHECK("why: fault cleared", f.state == VRRP_ST_BACKUP && f.why == VRRP_WHY_FAULT_CLEAR);
	ev(&f, VRRP_EV_SHUTDOWN, 5003);
	CHECK("why: shutdown", f.state == VRRP_ST_INIT && f.why == VRRP_WHY_SHUTDOWN);

	f = mk(100, 100, 1, 0, 1);
	f.higher_prio_send_advert = 1;
	ev(&f, VRRP_EV_STARTUP, 0);
	ev(&f, VRRP_EV_TIMER, 3609);
	a = adv(&f, 150, 100, 2, 4000);
	CHECK("higher_prio_send_advert: outranked, one last advert before BACKUP",
	      a == (VRRP_ACT_SEND_ADVERT | VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE) && f.state == VRRP_ST_BACKUP);

	f = mk(100, 100, 1, 0, 1);
	a = ev(&f, VRRP_EV_FAULT, 0);
	CHECK("fault before startup: FAULT, nothing sent", a == VRRP_ACT_STATE && f.state == VRRP_ST_FAULT);

	/* sync groups */
	f = mk(100, 10, 1, 0, 1);
	ev(&f, VRRP_EV_STARTUP, 0);
	f.sync_hold = 1;
	a = ev(&f, VRRP_EV_TIMER, 361);
	CHECK("sync hold: the timer fires, it stays BACKUP and wants MASTER",
	      a == VRRP_ACT_WANT_MASTER && f.state == VRRP_ST_BACKUP && f.want_master && f.master_down_at == 361 + 360);
	f.sync_hold = 0;
	adv(&f, 150, 10, 2, 400);
	CHECK("sync hold: an accepted advert clears the wish", !f.want_master);
	a = ev(&f, VRRP_EV_SYNC_MASTER, 410);
	CHECK("sync master: BACKUP -> MASTER at once", (a & (VRRP_ACT_ADD_VIPS | VRRP_ACT_STATE | VRRP_ACT_SEND_ADVERT)) ==
	      (VRRP_ACT_ADD_VIPS | VRRP_ACT_STATE | VRRP_ACT_SEND_ADVERT) && f.state == VRRP_ST_MASTER &&
	      f.why == VRRP_WHY_SYNC_MASTER);
	CHECK("sync master when MASTER: nothing", ev(&f, VRRP_EV_SYNC_MASTER, 411) == 0);
	a = ev(&f, VRRP_EV_SYNC_BACKUP, 420);
	CHECK("sync backup: priority 0, addresses removed, BACKUP with its timer",
	      a == (VRRP_ACT_SEND_PRIO0 | VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE) && f.state == VRRP_ST_BACKUP &&
	      f.master_down_at == 420 + 360 && f.why == VRRP_WHY_SYNC_BACKUP);
	CHECK("sync backup when BACKUP: nothing", ev(&f, VRRP_EV_SYNC_BACKUP, 421) == 0);
}

int main(void)
{
	test_timers();
	test_startup();
	test_backup_adverts();
	test_master_adverts();
	test_preempt();
	test_preempt_delay();
	test_shutdown_fault();
	test_extensions();
	test_lan();
	UNIT_END();
}
