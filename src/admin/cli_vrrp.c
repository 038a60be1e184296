/* `show vrrp` on the admin socket: one block per instance, keepalived-like
 * key: value lines, then one block per vrrp_script, read from the snapshot
 * the master's VRRP thread keeps in shared memory (VRRP never runs in the
 * worker). doc/vrrp.md lists every key. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <tandem/clock.h>
#include <tandem/cli.h>
#include <tandem/vrrp.h>
#include "cli_int.h"

#define MAX_INST 32

static void ip_str(const struct vrrp_ip *ip, char *out, size_t len)
{
	if ((ip->af == AF_INET || ip->af == AF_INET6) && inet_ntop(ip->af, ip->a, out, (socklen_t)len))
		return;
	snprintf(out, len, "-");
}

/* ISO 8601 UTC with milliseconds. */
static void wall_str(uint64_t ms, char *out, size_t len)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

static const char *script_state(int s)
{
	return s == 1 ? "OK" : s == 2 ? "FAILED" : "UNKNOWN";
}

static int cmd_show_vrrp(struct cli_sess *s, char **args, int nargs)
{
	struct vrrp_snap snap[MAX_INST];
	struct vrrp_script_snap sc[VRRP_MAX_SCRIPTS];
	uint64_t now = clock_mono_us() / 1000;
	int n, ns, i, r;

	(void)args; (void)nargs;
	n = vrrp_snapshot(snap, MAX_INST);
	if (n <= 0)
		return cli_msg(s, "No VRRP instance is configured.");
	cli_out(s, "router_id: %s\n\n", vrrp_router_id());
	for (i = 0; i < n && i < MAX_INST; i++) {
		const struct vrrp_snap *v = &snap[i];
		char master[64];
		uint64_t dropped = 0;

		for (r = 1; r < VRRP_DROP_NREASONS; r++)
			dropped += v->dropped[r];
		ip_str(&v->master, master, sizeof(master));
		cli_out(s, "name: %s\ninterface: %s\nvirtual_router_id: %d\nversion: %d\nfamily: %s\n"
			"authentication: %s\nvmac: %s\nsync_group: %s\nunicast: %d\nstate: %s\n"
			"priority: %d\neffective_priority: %d\nadvert_int_ms: %u\nmaster_adver_int_ms: %u\n"
			"master: %s\nmaster_priority: %d\nvips: %d\nfault_worker: %d\nfault_track: %d\nfault_reason: %s\n"
			"since_s: %llu\ntransitions: %llu\nbecame_master: %llu\nsplit_brain: %llu\nadverts_rx: %llu\n"
			"adverts_tx: %llu\nprio0_rx: %llu\nprio0_tx: %llu\nnotify_run: %llu\nnotify_failed: %llu\n"
			"dropped: %llu\n",
			v->name, v->ifname, v->vrid, v->version, v->af == AF_INET6 ? "IPv6" : "IPv4",
			v->auth_type == VRRP_AUTH_PASS ? "PASS" : "none", v->vmac[0] ? v->vmac : "-",
			v->group[0] ? v->group : "-", v->unicast, vrrp_state_str(v->state), v->priority, v->eff_priority,
			v->adver_cs * 10, v->master_adver_cs * 10, master, v->master_prio, v->nvips,
			v->fault_worker, v->fault_track, v->fault_reason[0] ? v->fault_reason : "-",
			(unsigned long long)(v->since_ms && now > v->since_ms ? (now - v->since_ms) / 1000 : 0),
			(unsigned long long)v->transitions, (unsigned long long)v->became_master,
			(unsigned long long)v->split_brain, (unsigned long long)v->adverts_rx,
			(unsigned long long)v->adverts_tx, (unsigned long long)v->prio0_rx, (unsigned long long)v->prio0_tx,
			(unsigned long long)v->notify_run, (unsigned long long)v->notify_failed,
			(unsigned long long)dropped);
		for (r = 1; r < VRRP_DROP_NREASONS; r++)
			if (v->dropped[r])
				cli_out(s, "dropped_%s: %llu\n", vrrp_drop_str(r), (unsigned long long)v->dropped[r]);
		/* the last transitions, oldest first */
		for (r = 0; r < v->nhist && r < VRRP_HIST; r++) {
			char t[80];

			wall_str(v->hist[r].wall_ms, t, sizeof(t));
			cli_out(s, "transition: %s %s -> %s: %s\n", t, vrrp_state_str(v->hist[r].from),
				vrrp_state_str(v->hist[r].to), v->hist[r].reason);
		}
		if (i + 1 < n)
			cli_out(s, "\n");
	}
	ns = vrrp_scripts_snapshot(sc, VRRP_MAX_SCRIPTS);
	for (i = 0; i < ns && i < VRRP_MAX_SCRIPTS; i++) {
		const struct vrrp_script_snap *x = &sc[i];
		char st[32];

		if (x->last_status < 0)
			snprintf(st, sizeof(st), "%s", x->runs ? "not started" : "-");
		else if (WIFEXITED(x->last_status))
			snprintf(st, sizeof(st), "exit %d", WEXITSTATUS(x->last_status));
		else
			snprintf(st, sizeof(st), "signal %d", WIFSIGNALED(x->last_status) ? WTERMSIG(x->last_status) : 0);
		cli_out(s, "\nscript: %s\nscript_state: %s\nscript_runs: %llu\nscript_failures: %llu\n"
			"script_timeouts: %llu\nscript_last: %s\nscript_last_ms: %llu\n", x->name, script_state(x->state),
			(unsigned long long)x->runs, (unsigned long long)x->failures, (unsigned long long)x->timeouts, st,
			(unsigned long long)(x->last_dur_us / 1000));
	}
	return 0;
}

const struct cli_cmd cli_vrrp_cmds[] = {
	{ { "show", "vrrp", NULL }, "show vrrp", "VRRP instances: state, priority, master, last transitions, counters",
	  CLI_LVL_USER, cmd_show_vrrp },
	{ .kw = { NULL } }
};
