/* Internals shared by the runtime API's files (src/admin/cli*.c). */
#ifndef TANDEM_CLI_INT_H
#define TANDEM_CLI_INT_H
#include <tandem/cli.h>
#include <tandem/stats.h>

/* cli_stat.c: `show stat [{<iid>|<proxy>} <type> <sid>] [typed|json] [up|no-maint]` */
int cli_cmd_show_stat(struct cli_sess *s, char **args, int nargs);

/* cli_dns.c: `set server <b>/<s> fqdn <FQDN>` */
int cli_set_server_fqdn(struct cli_sess *s, struct server *sv, const char *fqdn);

/* HAProxy's typed-output tag letters ("MCP": origin, nature, scope) as the
 * words its JSON uses: part 0, 1 or 2 of <tags>. */
const char *cli_tag_word(const char *tags, int part);
/* Append <str> as a JSON string (quotes included). */
void cli_json_str(struct stats_sb *b, const char *str);

#endif
