/* `reload` on the admin socket: ask the master (SIGUSR2) and answer how it
 * ended, in HAProxy's master CLI words: "Success=1" or "Success=0", then
 * "--" and the reason. The master writes the outcome into the shared area.
 * The wait blocks this thread (the admin socket's) for the reload's length,
 * bounded: a reload takes a fork and the new worker's start, tens of ms. */
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <tandem/cli.h>
#include <tandem/clock.h>
#include <tandem/handover.h>
#include <tandem/shm.h>
#include <tandem/worker.h>
#include "cli_int.h"

static int cmd_reload(struct cli_sess *s, char **args, int nargs)
{
	unsigned seq;
	uint64_t end;
	sigset_t urg;

	(void)args; (void)nargs;
	if (!tdm_shm)
		return cli_msg(s, "Success=0\n--\nno master process to reload");
	seq = __atomic_load_n(&tdm_shm->reload_seq, __ATOMIC_ACQUIRE);
	if (kill(getppid(), SIGUSR2) < 0)
		return cli_msg(s, "Success=0\n--\ncannot signal the master");
	end = clock_mono_us() / 1000 + 15000;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	while (__atomic_load_n(&tdm_shm->reload_seq, __ATOMIC_ACQUIRE) == seq) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		if (clock_mono_us() / 1000 > end)
			return cli_msg(s, "Success=0\n--\nno answer from the master within 15 s");
		/* this thread also reads the worker's signals: the master's
		 * "publish your state now" (SIGURG) must not wait for us */
		if (sigtimedwait(&urg, NULL, &ts) == SIGURG) {
			handover_publish(worker.cfg);
			handover_publish_maps(worker.cfg);
			__atomic_add_fetch(&tdm_shm->publish_ack, 1, __ATOMIC_RELEASE);
		}
	}
	cli_out(s, "Success=%d\n--\n%s\n", tdm_shm->reload_ok ? 1 : 0, tdm_shm->reload_msg);
	return 0;
}

const struct cli_cmd cli_reload_cmds[] = {
	{ { "reload", NULL }, "reload", "reload the configuration (the master checks it first)",
	  CLI_LVL_ADMIN, cmd_reload },
	{ .kw = { NULL } }
};
