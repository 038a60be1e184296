/* Runtime API for DNS service discovery (doc/management.md):
 *   show resolvers [<resolvers section id>]   HAProxy's counters per nameserver
 *   set server <b>/<s> fqdn <FQDN>             (dispatched from cli_server.c)
 * Both run on the worker's thread 0, where the resolutions run too, so the
 * counters and names they read never change underneath them. */
#include <string.h>
#include <tandem/cfg.h>
#include <tandem/dns.h>
#include "cli_int.h"

static void show_section(struct cli_sess *s, const struct resolvers *rs)
{
	const struct list *l;

	cli_out(s, "Resolvers section %s\n", rs->id);
	list_for_each(l, &rs->nameservers) {
		const struct dns_nameserver *ns = list_entry(l, struct dns_nameserver, link);
		const struct dns_ns_ctr *c = dns_ns_counters(ns);

		cli_out(s, " nameserver %s:\n", ns->id);
		cli_out(s, "  sent:        %llu\n", (unsigned long long)c->sent);
		cli_out(s, "  snd_error:   %llu\n", (unsigned long long)c->snd_error);
		cli_out(s, "  valid:       %llu\n", (unsigned long long)c->valid);
		cli_out(s, "  update:      %llu\n", (unsigned long long)c->update);
		cli_out(s, "  cname:       %llu\n", (unsigned long long)c->cname);
		cli_out(s, "  cname_error: %llu\n", (unsigned long long)c->cname_error);
		cli_out(s, "  any_err:     %llu\n", (unsigned long long)c->any_err);
		cli_out(s, "  nx:          %llu\n", (unsigned long long)c->nx);
		cli_out(s, "  timeout:     %llu\n", (unsigned long long)c->timeout);
		cli_out(s, "  refused:     %llu\n", (unsigned long long)c->refused);
		cli_out(s, "  other:       %llu\n", (unsigned long long)c->other);
		cli_out(s, "  invalid:     %llu\n", (unsigned long long)c->invalid);
		cli_out(s, "  too_big:     %llu\n", (unsigned long long)c->too_big);
		cli_out(s, "  truncated:   %llu\n", (unsigned long long)c->truncated);
		cli_out(s, "  outdated:    %llu\n", (unsigned long long)c->outdated);
	}
}

/* show resolvers [<id>] */
static int cmd_show_resolvers(struct cli_sess *s, char **args, int nargs)
{
	const struct list *l;
	int found = 0;

	list_for_each(l, &s->cfg->resolvers) {
		const struct resolvers *rs = list_entry(l, struct resolvers, link);

		if (nargs > 2 && strcmp(rs->id, args[2]))
			continue;
		show_section(s, rs);
		found = 1;
	}
	if (nargs > 2 && !found)
		return cli_msg(s, "Can't find that resolvers section");
	return 0;
}

int cli_set_server_fqdn(struct cli_sess *s, struct server *sv, const char *fqdn)
{
	char msg[600];
	const char *err = dns_set_fqdn(sv, fqdn, msg, sizeof(msg));

	return cli_msg(s, err ? err : msg);
}

const struct cli_cmd cli_dns_cmds[] = {
	{ { "show", "resolvers", NULL }, "show resolvers [id]", "dump name resolution counters (all sections or one)", CLI_LVL_USER, cmd_show_resolvers },
	{ .kw = { NULL } }
};
