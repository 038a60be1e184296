/* The VRRP state machine of RFC 5798 section 6 (RFC 3768's is the same
 * but for the interval, which version 2 does not learn), as a pure
 * function: (state, event, now) -> new state + actions. No I/O and no
 * clock here, so tests/unit/test_vrrp_fsm.c drives it with simulated time;
 * src/vrrp/vrrp.c performs the actions (send, add/remove addresses, log).
 *
 * Beyond the RFC, and named as such below:
 *  - FAULT (keepalived's state): the node cannot serve (its worker stopped
 *    beating, a tracked backend has no usable server). A MASTER entering
 *    FAULT gives up as on Shutdown (priority-0 advertisement); leaving
 *    FAULT is a new Startup.
 *  - preempt-delay: for that long after Startup, a BACKUP with Preempt_Mode
 *    accepts a lower-priority master as if it did not preempt.
 *  - a priority change (tracking) makes a MASTER advertise at once, so a
 *    backup that now has the higher priority preempts without waiting for
 *    the next Adver_Timer.
 *  - split brain: a MASTER that hears another master it outranks answers
 *    at once with an advertisement and re-announces its addresses
 *    (VRRP_ACT_GARP), instead of only discarding the packet, so the other
 *    side yields within one packet and the LAN's ARP/ND caches follow; a
 *    MASTER that is outranked advertises once more before it yields
 *    (keepalived's higher_prio_send_advert), so that the winner learns of
 *    the split brain even when it never heard us.
 *  - `state MASTER` (keepalived): the first Master_Down_Timer after
 *    Startup is one Advertisement_Interval plus Skew_Time, not three.
 *  - sync groups (keepalived): a BACKUP whose Master_Down_Timer fires
 *    while the caller says the group is not ready (sync_hold) stays BACKUP
 *    and says it wants MASTER; SYNC_MASTER / SYNC_BACKUP move it with the
 *    group.
 *
 * All times are milliseconds; intervals arrive in centiseconds (the unit
 * of the Max Adver Int field) and are converted with * 10. */
#include <string.h>
#include <sys/socket.h>
#include <tandem/vrrp.h>

const char *vrrp_state_str(enum vrrp_state s)
{
	switch (s) {
	case VRRP_ST_INIT:   return "INIT";
	case VRRP_ST_BACKUP: return "BACKUP";
	case VRRP_ST_MASTER: return "MASTER";
	case VRRP_ST_FAULT:  return "FAULT";
	}
	return "?";
}

static unsigned prio_of(const struct vrrp_fsm *f)
{
	return f->priority < 1 ? 1u : f->priority > 255 ? 255u : (unsigned)f->priority;
}

/* RFC 5798 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
 * Computed in ms from centiseconds so that it is not truncated to 10 ms. */
uint64_t vrrp_skew_ms(const struct vrrp_fsm *f)
{
	return ((uint64_t)(256 - prio_of(f)) * f->master_adver_cs * 10) / 256;
}

/* RFC 5798 6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time. */
uint64_t vrrp_master_down_ms(const struct vrrp_fsm *f)
{
	return 3 * (uint64_t)f->master_adver_cs * 10 + vrrp_skew_ms(f);
}

static uint64_t adver_ms(const struct vrrp_fsm *f)
{
	return (uint64_t)f->adver_cs * 10;
}

/* 1 if <a> is a higher address than <b> (same family; numeric order). */
static int addr_higher(const struct vrrp_ip *a, const struct vrrp_ip *b)
{
	size_t len = a->af == AF_INET6 && b->af == AF_INET6 ? 16 : 4;

	return memcmp(a->a, b->a, len) > 0;
}

void vrrp_fsm_init(struct vrrp_fsm *f)
{
	f->state = VRRP_ST_INIT;
	f->why = VRRP_WHY_NONE;
	f->master_adver_cs = f->adver_cs;
	f->master_down_at = 0;
	f->prio0_seen = 0;
	f->want_master = 0;
	f->adver_at = 0;
	f->preempt_at = 0;
	memset(&f->master, 0, sizeof(f->master));
	f->master_prio = 0;
}

uint64_t vrrp_fsm_next(const struct vrrp_fsm *f)
{
	uint64_t a = f->master_down_at, b = f->adver_at;

	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* -> Master: "Send an ADVERTISEMENT; broadcast a gratuitous ARP request
 * for each IP address associated with the Virtual Router; set the
 * Adver_Timer to Advertisement_Interval; transition to the Master state"
 * (6.4.1 for the owner at Startup, 6.4.2 when Master_Down_Timer fires). */
static unsigned to_master(struct vrrp_fsm *f, uint64_t now, enum vrrp_why why)
{
	f->state = VRRP_ST_MASTER;
	f->why = why;
	f->want_master = 0;
	f->prio0_seen = 0;
	f->master_down_at = 0;
	f->adver_at = now + adver_ms(f);
	f->master = f->primary;
	f->master_prio = f->priority;
	return VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_STATE;
}

/* 6.4.1 Initialize, on Startup. */
static unsigned startup(struct vrrp_fsm *f, uint64_t now)
{
	f->preempt_at = f->preempt_delay_ms ? now + f->preempt_delay_ms : 0;
	memset(&f->master, 0, sizeof(f->master));
	f->master_prio = 0;
	f->prio0_seen = 0;
	f->want_master = 0;
	/* "If the Priority = 255 (i.e., the router owns the IP address(es)
	 * associated with the virtual router)": become Master at once. */
	if (prio_of(f) == 255)
		return to_master(f, now, VRRP_WHY_OWNER);
	/* "Set Master_Adver_Interval to Advertisement_Interval; set the
	 * Master_Down_Timer to Master_Down_Interval; transition to Backup."
	 * keepalived's `state MASTER` waits one interval plus the skew only:
	 * long enough to hear a master that is already there. */
	f->master_adver_cs = f->adver_cs;
	f->master_down_at = now + (f->init_master ? adver_ms(f) + vrrp_skew_ms(f) : vrrp_master_down_ms(f));
	f->adver_at = 0;
	f->state = VRRP_ST_BACKUP;
	if (f->why != VRRP_WHY_FAULT_CLEAR)
		f->why = VRRP_WHY_STARTUP;
	return VRRP_ACT_STATE;
}

/* Leave MASTER/BACKUP for <to> (INIT on Shutdown, FAULT on a fault). */
static unsigned give_up(struct vrrp_fsm *f, enum vrrp_state to, enum vrrp_why why)
{
	unsigned act = VRRP_ACT_STATE;

	/* 6.4.3 Master, Shutdown: "Cancel the Adver_Timer; send an
	 * ADVERTISEMENT with Priority = 0; transition to Initialize".
	 * 6.4.2 Backup, Shutdown: "Cancel the Master_Down_Timer". */
	if (f->state == VRRP_ST_MASTER) {
		act |= VRRP_ACT_SEND_PRIO0 | VRRP_ACT_DEL_VIPS;
		memset(&f->master, 0, sizeof(f->master));
		f->master_prio = 0;
	}
	f->adver_at = 0;
	f->master_down_at = 0;
	f->state = to;
	f->why = why;
	f->want_master = 0;
	f->prio0_seen = 0;
	return act;
}

/* 6.4.2 Backup: an ADVERTISEMENT is received. */
static unsigned backup_advert(struct vrrp_fsm *f, const struct vrrp_input *in, uint64_t now)
{
	int accept;

	/* "If the Priority in the ADVERTISEMENT is zero, then: Set the
	 * Master_Down_Timer to Skew_Time" (the master is leaving). */
	if (in->prio == 0) {
		f->master_down_at = now + vrrp_skew_ms(f);
		f->prio0_seen = 1;
		return 0;
	}
	/* "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT
	 * is greater than or equal to the local Priority, then: set
	 * Master_Adver_Interval to Adver Interval contained in the
	 * ADVERTISEMENT; recompute the Master_Down_Interval; reset the
	 * Master_Down_Timer to Master_Down_Interval. Else (preempt is True
	 * and priority is less than the local Priority): discard."
	 * preempt-delay (tandem, as keepalived) defers preemption. */
	accept = !f->preempt || in->prio >= f->priority ||
		(f->preempt_at && now < f->preempt_at);
	if (!accept)
		return 0;
	if (f->learn_interval)
		f->master_adver_cs = in->adver_cs;
	f->master_down_at = now + vrrp_master_down_ms(f);
	f->master = in->src;
	f->master_prio = in->prio;
	f->prio0_seen = 0;
	f->want_master = 0;
	return 0;
}

/* 6.4.3 Master: an ADVERTISEMENT is received. */
static unsigned master_advert(struct vrrp_fsm *f, const struct vrrp_input *in, uint64_t now)
{
	/* "If the Priority in the ADVERTISEMENT is zero, then: Send an
	 * ADVERTISEMENT; reset the Adver_Timer to Advertisement_Interval"
	 * (another master is leaving: make sure the backups know us). */
	if (in->prio == 0) {
		f->adver_at = now + adver_ms(f);
		return VRRP_ACT_SEND_ADVERT;
	}
	/* "Else, if the Priority in the ADVERTISEMENT is greater than the
	 * local Priority, or the Priority in the ADVERTISEMENT is equal to the
	 * local Priority and the primary IPvX Address of the sender is greater
	 * than the local primary IPvX Address, then: cancel Adver_Timer; set
	 * Master_Adver_Interval to Adver Interval contained in the
	 * ADVERTISEMENT; recompute the Skew_Time and Master_Down_Interval; set
	 * Master_Down_Timer to Master_Down_Interval; transition to Backup."
	 * "Else: discard the ADVERTISEMENT." */
	if (in->prio > f->priority ||
	    (in->prio == f->priority && addr_higher(&in->src, &f->primary))) {
		f->adver_at = 0;
		if (f->learn_interval)
			f->master_adver_cs = in->adver_cs;
		f->master_down_at = now + vrrp_master_down_ms(f);
		f->state = VRRP_ST_BACKUP;
		f->why = in->prio > f->priority ? VRRP_WHY_HIGHER_PRIO : VRRP_WHY_HIGHER_ADDR;
		f->master = in->src;
		f->master_prio = in->prio;
		/* keepalived's higher_prio_send_advert: one last advertisement with
		 * our (lower) priority tells the winner it was a split brain, so it
		 * re-announces the addresses the LAN may have learnt from us */
		return VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE | (f->higher_prio_send_advert ? VRRP_ACT_SEND_ADVERT : 0);
	}
	/* We outrank it: the RFC discards the packet. Two masters means the
	 * other side missed ours (a partition that healed, a lost packet):
	 * tell it at once, and re-announce the addresses, whose ARP/ND
	 * entries on the LAN may point to the other master now. */
	f->adver_at = now + adver_ms(f);
	return VRRP_ACT_SEND_ADVERT | VRRP_ACT_GARP | VRRP_ACT_LOWER_RX;
}

static unsigned on_timer(struct vrrp_fsm *f, uint64_t now)
{
	if (f->preempt_at && now >= f->preempt_at)
		f->preempt_at = 0;
	switch (f->state) {
	case VRRP_ST_BACKUP:
		/* 6.4.2: "If the Master_Down_Timer fires": become Master. */
		if (!f->master_down_at || now < f->master_down_at)
			return 0;
		if (f->sync_hold) {
			/* the sync group is not ready: wait another interval */
			f->want_master = 1;
			f->master_down_at = now + vrrp_master_down_ms(f);
			return VRRP_ACT_WANT_MASTER;
		}
		return to_master(f, now, f->prio0_seen ? VRRP_WHY_PRIO0 : VRRP_WHY_MASTER_DOWN);
	case VRRP_ST_MASTER:
		/* 6.4.3: "If the Adver_Timer fires, then: send an ADVERTISEMENT;
		 * reset the Adver_Timer to Advertisement_Interval". Keep the
		 * cadence of the previous deadline unless we are late. */
		if (f->adver_at && now >= f->adver_at) {
			f->adver_at += adver_ms(f);
			if (f->adver_at <= now)
				f->adver_at = now + adver_ms(f);
			return VRRP_ACT_SEND_ADVERT;
		}
		return 0;
	default:
		return 0;
	}
}

unsigned vrrp_fsm_step(struct vrrp_fsm *f, const struct vrrp_input *in, uint64_t now)
{
	switch (in->ev) {
	case VRRP_EV_STARTUP:
		return f->state == VRRP_ST_INIT ? startup(f, now) : 0;
	case VRRP_EV_FAULT_CLEAR:
		if (f->state != VRRP_ST_FAULT)
			return 0;
		f->state = VRRP_ST_INIT;
		f->why = VRRP_WHY_FAULT_CLEAR;
		return startup(f, now) | VRRP_ACT_STATE;
	case VRRP_EV_SHUTDOWN:
		return f->state == VRRP_ST_INIT ? 0 : give_up(f, VRRP_ST_INIT, VRRP_WHY_SHUTDOWN);
	case VRRP_EV_FAULT:
		return f->state == VRRP_ST_FAULT ? 0 : give_up(f, VRRP_ST_FAULT, VRRP_WHY_FAULT);
	case VRRP_EV_SYNC_MASTER:
		return f->state == VRRP_ST_BACKUP ? to_master(f, now, VRRP_WHY_SYNC_MASTER) : 0;
	case VRRP_EV_SYNC_BACKUP:
		if (f->state != VRRP_ST_MASTER)
			return 0;
		/* leave as on Shutdown (priority 0: the peer takes over within
		 * its Skew_Time if its own group lets it), but stay a Backup */
		give_up(f, VRRP_ST_BACKUP, VRRP_WHY_SYNC_BACKUP);
		f->master_down_at = now + vrrp_master_down_ms(f);
		return VRRP_ACT_SEND_PRIO0 | VRRP_ACT_DEL_VIPS | VRRP_ACT_STATE;
	case VRRP_EV_TIMER:
		return on_timer(f, now);
	case VRRP_EV_ADVERT:
		if (f->state == VRRP_ST_BACKUP)
			return backup_advert(f, in, now);
		if (f->state == VRRP_ST_MASTER)
			return master_advert(f, in, now);
		return 0;   /* Initialize and FAULT ignore advertisements */
	case VRRP_EV_PRIORITY:
		if (f->state == VRRP_ST_MASTER) {
			f->master_prio = f->priority;
			f->adver_at = now + adver_ms(f);
			return VRRP_ACT_SEND_ADVERT;
		}
		return 0;
	}
	return 0;
}
