/* The BGP side of the crash guard. If the master dies without bgp_stop()
 * (kill -9, a crash), the BGP thread dies with it and BIRD would go on
 * announcing addresses that nothing serves any more (the worker follows
 * its master). The guard process (src/vrrp/guard.c: forked by the master,
 * woken by the kernel when the master dies) then disables every protocol
 * of every section over a fresh control connection, so the routers drop
 * this node at BGP speed instead of waiting for anything to time out, and
 * deletes the addresses. Everything it needs was prepared by the master. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <tandem/log.h>
#include "bgp_int.h"
#include "../vrrp/vrrp_int.h"

#define GUARD_TIMEOUT_MS 1000

static void guard_act(const void *arg)
{
	const struct bgp_guard_plan *plan = arg;
	int nl = vrrp_nl_open();

	for (int i = 0; i < plan->n; i++) {
		const struct bgp_guard_sect *s = &plan->s[i];
		struct birdc_parser p;
		char err[160];
		int fd = bgp_ctl_open(s->socket, &p, GUARD_TIMEOUT_MS, err, sizeof(err));

		for (int k = 0; fd >= 0 && k < s->nproto; k++) {
			struct birdc_reply rep;

			if (bgp_ctl_command(fd, &p, BIRDC_DISABLE, s->proto[k], GUARD_TIMEOUT_MS, &rep, err, sizeof(err)) < 0) {
				close(fd);
				fd = -1;
			} else if (rep.res == BIRDC_R_CHANGED || rep.res == BIRDC_R_ALREADY) {
				log_event(LL_WARNING, "BGP guard: master process died: (%s) disabled BIRD protocol %s",
					  s->name, s->proto[k]);
			} else {
				log_event(LL_ERR, "BGP guard: (%s) BIRD refused to disable %s: %s", s->name, s->proto[k], rep.msg);
			}
		}
		if (fd < 0)
			log_event(LL_ERR, "BGP guard: master process died: (%s) cannot withdraw through %s: %s",
				  s->name, s->socket, err);
		else
			close(fd);
		for (int v = 0; nl >= 0 && v < s->ndel; v++)
			vrrp_nl_request(nl, s->del[v], s->del_len[v]);
	}
	if (nl >= 0)
		close(nl);
}

int bgp_guard_start(const struct bgp_guard_plan *plan)
{
	return vrrp_guard_spawn("bgp-guard", guard_act, plan);
}
