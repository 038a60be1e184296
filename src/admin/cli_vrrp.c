/* `show vrrp` on the admin socket: one block per instance, keepalived-like
 * key: value lines, read from the snapshot the master's VRRP thread keeps
 * in shared memory (VRRP never runs in the worker). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <tandem/clock.h>
#include <tandem/cli.h>
#include <tandem/vrrp.h>
#include "cli_int.h"

#define MAX_INST 32

static void ip_str(const struct vrrp_ip *ip, char *out, size_t len)
{
	if (ip->af == AF_INET)
		inet_ntop(AF_INET, ip->a, out, (socklen_t)len);
	else if (ip->af == AF_INET6)
		inet_ntop(AF_INET6, ip->a, out, (socklen_t)len);
	else
		snprintf(out, len, "-");
}

static int cmd_show_vrrp(struct cli_sess *s, char **args, int nargs)
{
	struct vrrp_snap snap[MAX_INST];
	uint64_t now = clock_mono_us() / 1000;
	int n, i, r;

	(void)args; (void)nargs;
	n = vrrp_snapshot(snap, MAX_INST);
	if (n <= 0)
		return cli_msg(s, "No VRRP instance is configured.");
	for (i = 0; i < n && i < MAX_INST; i++) {
		const struct vrrp_snap *v = &snap[i];
		char master[64];
		uint64_t dropped = 0;

		for (r = 1; r < VRRP_DROP_NREASONS; r++)
			dropped += v->dropped[r];
		ip_str(&v->master, master, sizeof(master));
		cli_out(s, "name: %s\ninterface: %s\nvirtual_router_id: %d\nstate: %s\n"
			"priority: %d\neffective_priority: %d\nadvert_int_ms: %u\nmaster_adver_int_ms: %u\n"
			"master: %s\nmaster_priority: %d\nvips: %d\nfault_worker: %d\nfault_track: %d\n"
			"since_s: %llu\ntransitions: %llu\nbecame_master: %llu\nadverts_rx: %llu\n"
			"adverts_tx: %llu\nprio0_rx: %llu\nprio0_tx: %llu\ndropped: %llu\n",
			v->name, v->ifname, v->vrid, vrrp_state_str(v->state), v->priority, v->eff_priority,
			v->adver_cs * 10, v->master_adver_cs * 10, master, v->master_prio, v->nvips,
			v->fault_worker, v->fault_track,
			(unsigned long long)(v->since_ms && now > v->since_ms ? (now - v->since_ms) / 1000 : 0),
			(unsigned long long)v->transitions, (unsigned long long)v->became_master,
			(unsigned long long)v->adverts_rx, (unsigned long long)v->adverts_tx,
			(unsigned long long)v->prio0_rx, (unsigned long long)v->prio0_tx,
			(unsigned long long)dropped);
		for (r = 1; r < VRRP_DROP_NREASONS; r++)
			if (v->dropped[r])
				cli_out(s, "dropped_%s: %llu\n", vrrp_drop_str(r), (unsigned long long)v->dropped[r]);
		if (i + 1 < n)
			cli_out(s, "\n");
	}
	return 0;
}

const struct cli_cmd cli_vrrp_cmds[] = {
	{ { "show", "vrrp", NULL }, "show vrrp", "VRRP instances: state, priority, master, counters",
	  CLI_LVL_USER, cmd_show_vrrp },
	{ .kw = { NULL } }
};
