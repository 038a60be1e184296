/* The runtime API's TLS commands, HAProxy's words and answers: the
 * certificate store's transactions and the crt-lists (the work is done in
 * src/ssl/ssl_store.c; see include/tandem/ssl_store.h and doc/tls.md):
 *
 *   show ssl cert [<file>|*<file>|<file>.ocsp]
 *   new ssl cert <file>                  set ssl cert <file> <payload>
 *   commit ssl cert <file>               abort ssl cert <file>
 *   del ssl cert <file>
 *   show ssl crt-list [-n] [<list>]
 *   add ssl crt-list <list> <cert>|<payload: one crt-list line>
 *   del ssl crt-list <list> <cert[:line]>
 *
 * Payloads use the runtime API's "<<" syntax (cli_sock.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cli.h>
#include <tandem/ssl_store.h>
#include <tandem/stats.h>

/* The ssl layer's printer callback: into the command's answer. */
static void out(void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vout(arg, fmt, ap);
	va_end(ap);
}

static int answer(struct cli_sess *s, const char *msg)
{
	return cli_msg(s, msg);
}

static int cmd_show_cert(struct cli_sess *s, char **args, int nargs)
{
	ssl_cli_show_certs(s->cfg, nargs > 3 ? args[3] : NULL, out, s);
	return 0;
}

static int cmd_new_cert(struct cli_sess *s, char **args, int nargs)
{
	char msg[1024];

	if (nargs < 4)
		return answer(s, "'new ssl cert' expects a filename");
	ssl_cli_new_cert(s->cfg, args[3], msg, sizeof(msg));
	return answer(s, msg);
}

static int cmd_set_cert(struct cli_sess *s, char **args, int nargs)
{
	char msg[1024];

	if (nargs < 4 || !s->payload)
		return answer(s, "'set ssl cert' expects a filename and a certificate as a payload");
	ssl_cli_set_cert(s->cfg, args[3], s->payload, s->payload_len, msg, sizeof(msg));
	return answer(s, msg);
}

static int cmd_commit_cert(struct cli_sess *s, char **args, int nargs)
{
	char msg[1536];

	if (nargs < 4)
		return answer(s, "'commit ssl cert' expects a filename");
	ssl_cli_commit_cert(s->cfg, args[3], msg, sizeof(msg));
	return answer(s, msg);
}

static int cmd_abort_cert(struct cli_sess *s, char **args, int nargs)
{
	char msg[1024];

	if (nargs < 4)
		return answer(s, "'abort ssl cert' expects a filename");
	ssl_cli_abort_cert(s->cfg, args[3], msg, sizeof(msg));
	return answer(s, msg);
}

static int cmd_del_cert(struct cli_sess *s, char **args, int nargs)
{
	char msg[1024];

	if (nargs < 4)
		return answer(s, "'del ssl cert' expects a certificate name");
	ssl_cli_del_cert(s->cfg, args[3], msg, sizeof(msg));
	return answer(s, msg);
}

static int cmd_show_crtlist(struct cli_sess *s, char **args, int nargs)
{
	int numbers = nargs > 3 && !strcmp(args[3], "-n");
	const char *name = nargs > 3 + numbers ? args[3 + numbers] : NULL;

	ssl_cli_show_crtlist(s->cfg, name, numbers, out, s);
	return 0;
}

static int cmd_add_crtlist(struct cli_sess *s, char **args, int nargs)
{
	char msg[1536], *line = NULL;
	size_t n;

	if (nargs < 4 || (nargs < 5 && !s->payload))
		return answer(s, "'add ssl crt-list' expects a filename and a certificate name or a payload");
	if (s->payload) {
		const char *p = s->payload, *nl;

		/* one crt-list line */
		while (*p == '\n')
			p++;
		nl = strchr(p, '\n');
		if (nl && nl[1 + strspn(nl + 1, "\n")])
			return answer(s, "'add ssl crt-list' takes one crt-list line in its payload");
		n = nl ? (size_t)(nl - p) : strlen(p);
		line = strndup(p, n);
	} else {
		line = strdup(args[4]);
	}
	if (!line)
		return answer(s, "Out of memory.");
	ssl_cli_add_crtlist(s->cfg, args[3], line, msg, sizeof(msg));
	free(line);
	return answer(s, msg);
}

static int cmd_del_crtlist(struct cli_sess *s, char **args, int nargs)
{
	char msg[1024];

	if (nargs < 5)
		return answer(s, "'del ssl crt-list' expects a filename and a certificate name");
	ssl_cli_del_crtlist(s->cfg, args[3], args[4], msg, sizeof(msg));
	return answer(s, msg);
}

const struct cli_cmd cli_ssl_cmds[] = {
	{ { "show", "ssl", "cert", NULL }, "show ssl cert [<certfile>]", "display the SSL certificates used in memory, or the details of a file",
	  CLI_LVL_OPER, cmd_show_cert },
	{ { "new", "ssl", "cert", NULL }, "new ssl cert <certfile>", "create a new certificate file to be used in a crt-list or a directory",
	  CLI_LVL_ADMIN, cmd_new_cert },
	{ { "set", "ssl", "cert", NULL }, "set ssl cert <certfile> <payload>", "replace a certificate file",
	  CLI_LVL_ADMIN, cmd_set_cert },
	{ { "commit", "ssl", "cert", NULL }, "commit ssl cert <certfile>", "commit a certificate file",
	  CLI_LVL_ADMIN, cmd_commit_cert },
	{ { "abort", "ssl", "cert", NULL }, "abort ssl cert <certfile>", "abort a transaction for a certificate file",
	  CLI_LVL_ADMIN, cmd_abort_cert },
	{ { "del", "ssl", "cert", NULL }, "del ssl cert <certfile>", "delete an unused certificate file",
	  CLI_LVL_ADMIN, cmd_del_cert },
	{ { "show", "ssl", "crt-list", NULL }, "show ssl crt-list [-n] [<list>]", "show the list of crt-lists or the content of one",
	  CLI_LVL_OPER, cmd_show_crtlist },
	{ { "add", "ssl", "crt-list", NULL }, "add ssl crt-list <list> <cert> [opts]*", "add a line <cert> to a crt-list <list>",
	  CLI_LVL_ADMIN, cmd_add_crtlist },
	{ { "del", "ssl", "crt-list", NULL }, "del ssl crt-list <list> <cert[:line]>", "delete a line <cert> from a crt-list <list>",
	  CLI_LVL_ADMIN, cmd_del_crtlist },
	{ .kw = { NULL } }
};
