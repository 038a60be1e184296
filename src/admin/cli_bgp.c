/* `show anycast` on the admin socket: one block of key: value lines per
 * anycast section, read from the snapshot the master's BGP thread keeps
 * in shared memory (announcements never run in the worker). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <tandem/bgp.h>
#include <tandem/clock.h>
#include <tandem/cli.h>
#include "cli_int.h"

static const char *bird_word(int v)
{
	return v > 0 ? "enabled" : v == 0 ? "disabled" : "unknown";
}

static int cmd_show_anycast(struct cli_sess *s, char **args, int nargs)
{
	struct bgp_snap snap[BGP_MAX_SECT];
	uint64_t now = clock_mono_us() / 1000;
	int n, i;

	(void)args; (void)nargs;
	n = bgp_snapshot(snap, BGP_MAX_SECT);
	if (n <= 0)
		return cli_msg(s, "No anycast section is configured.");
	for (i = 0; i < n && i < BGP_MAX_SECT; i++) {
		const struct bgp_snap *v = &snap[i];

		cli_out(s, "name: %s\nstate: %s\ncan_serve: %d\nreason: %s%s%s%s\nsince_s: %llu\n"
			"withdraw_delay_ms: %u\nbird_socket: %s\nbird: %s\n",
			v->name, bgp_state_str(v), v->want, bgp_why_str(v->why),
			v->why_backend[0] ? " (" : "", v->why_backend, v->why_backend[0] ? ")" : "",
			(unsigned long long)(v->since_ms && now > v->since_ms ? (now - v->since_ms) / 1000 : 0),
			v->withdraw_delay_ms, v->socket, bgp_bird_str(v->bird));
		for (int k = 0; k < v->naddrs && k < BGP_MAX_ADDR; k++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(v->addrs[k].af, v->addrs[k].a, a, sizeof(a));
			cli_out(s, "address: %s/%d dev %s protocol %s bird %s\n", a, v->addrs[k].af == AF_INET6 ? 128 : 32,
				v->addrs[k].dev, v->addrs[k].proto, bird_word(v->addrs[k].bird));
		}
		cli_out(s, "announcements: %llu\nwithdrawals: %llu\nbird_connects: %llu\nbird_failures: %llu\n"
			"bird_errors: %llu\nbird_reverts: %llu\nlast_error: %s\n",
			(unsigned long long)v->announces, (unsigned long long)v->withdrawals,
			(unsigned long long)v->bird_connects, (unsigned long long)v->bird_failures,
			(unsigned long long)v->bird_errors, (unsigned long long)v->bird_reverts,
			v->last_error[0] ? v->last_error : "-");
		if (i + 1 < n)
			cli_out(s, "\n");
	}
	return 0;
}

const struct cli_cmd cli_bgp_cmds[] = {
	{ { "show", "anycast", NULL }, "show anycast", "anycast sections: announced or withdrawn and why, BIRD's state",
	  CLI_LVL_USER, cmd_show_anycast },
	{ .kw = { NULL } }
};
