/* `show state-changes` on the runtime API: the last state changes tandem
 * recorded (shm_hist.h), oldest first, one line each:
 *
 *   2025-06-01T12:00:03.218+02:00 health be/s2 UP -> DOWN, reason: Layer4 connection problem; L4CON, info: "Connection refused", check duration: 0ms. 2 active and 0 backup servers left.
 *
 * HAProxy keeps no such list (its `show events` dumps its log rings), so
 * the command has its own name, in HAProxy's style. The list lives in the
 * master's shared area: it survives reloads and worker restarts, and holds
 * the changes of the master's own threads (VRRP) too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tandem/shm_hist.h>
#include "cli_int.h"

/* One field, with control characters shown as spaces: an answer never
 * holds an empty line (it would end the answer early). */
static void put_clean(struct cli_sess *s, const char *str)
{
	char buf[SC_DETAIL_LEN];
	size_t i;

	for (i = 0; str[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)str[i] < 0x20 ? ' ' : str[i];
	buf[i] = 0;
	cli_out(s, "%s", buf);
}

static void put_time(struct cli_sess *s, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32], zone[8];

	localtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);   /* +0200 */
	cli_out(s, "%s.%03u%.3s:%s", day, (unsigned)(ms % 1000), zone, zone[0] ? zone + 3 : "");
}

static int cmd_show_state_changes(struct cli_sess *s, char **args, int nargs)
{
	struct shm_event *ev;
	long count = HIST_EVENTS;
	char *end;
	int n;

	if (nargs > 2) {
		count = strtol(args[2], &end, 10);
		if (*end || count < 1 || count > HIST_EVENTS || nargs > 3)
			return cli_msg(s, "'show state-changes' expects a number of changes from 1 to 200.");
	}
	if (!(ev = malloc(sizeof(*ev) * HIST_EVENTS)))
		return cli_msg(s, "Out of memory.");
	n = shm_state_changes(ev, (int)count, 0);
	if (!n)
		cli_msg(s, "No state change recorded.");
	for (int i = 0; i < n; i++) {
		const struct shm_event *e = &ev[i];

		put_time(s, e->time_ms);
		cli_out(s, " %s ", sc_kind_str((int)e->kind));
		if (e->proxy[0]) {
			put_clean(s, e->proxy);
			if (e->server[0]) {
				cli_out(s, "/");
				put_clean(s, e->server);
			}
		} else
			put_clean(s, e->object[0] ? e->object : "-");
		cli_out(s, " ");
		put_clean(s, e->from[0] ? e->from : "-");
		cli_out(s, " -> ");
		put_clean(s, e->to[0] ? e->to : "-");
		if (e->reason[0]) {
			cli_out(s, ", reason: ");
			put_clean(s, e->reason);
		}
		if (e->detail[0]) {
			cli_out(s, "; ");
			put_clean(s, e->detail);
		}
		cli_out(s, "\n");
	}
	free(ev);
	return 0;
}

const struct cli_cmd cli_events_cmds[] = {
	{ { "show", "state-changes", NULL }, "show state-changes [<count>]",
	  "recent state changes of servers, backends, VRRP... (oldest first)", CLI_LVL_USER, cmd_show_state_changes },
	{ .kw = { NULL } }
};
