/* Types of the runtime API (the "stats socket", HAProxy's CLI): the
 * configured sockets, one client session, and the command table. See
 * doc/management.md, section "Runtime API (stats socket)". */
#ifndef TANDEM_CLI_T_H
#define TANDEM_CLI_T_H
#include <stdint.h>
#include <sys/socket.h>
#include <tandem/list.h>

struct cfg;
struct stats_sb;

/* Privilege of a session, HAProxy's three levels in increasing order. */
enum cli_level { CLI_LVL_USER = 0, CLI_LVL_OPER, CLI_LVL_ADMIN };

#define CLI_DEF_TIMEOUT_MS 10000   /* `stats timeout`, HAProxy's default */
#define CLI_DEF_MAXCONN    10      /* `stats maxconn`, HAProxy's default */
#define CLI_MAX_ARGS       64      /* words in one command */
#define CLI_LINE_MAX       16384   /* longest command line accepted */

/* One `stats socket` line of the global section. The master creates the
 * socket (src/admin/cli_bind.c) and keeps it across reloads when the new
 * configuration names the same path or address; the worker inherits it. */
struct cli_sock_conf {
	struct list link;               /* in global.stats_socks */
	char       *addr_str;           /* as written: a path or ipv4@ADDR:PORT */
	struct sockaddr_storage addr;   /* AF_UNIX (path) or AF_INET/AF_INET6 */
	socklen_t   addrlen;
	int         mode;               /* `mode`: permissions of a UNIX socket, -1 = umask */
	int         uid, gid;           /* `uid`/`user`, `gid`/`group`: owner, -1 = unchanged */
	int         level;              /* `level`: enum cli_level, default operator (HAProxy's) */
	int         fd;                 /* listening socket, -1 before the master opens it */
	int         reused;             /* fd taken over from the previous configuration */
	int         fresh;              /* opened or taken by the last cli_socks_open() (undo on failure) */
	const char *file; int line;
};

/* One client of the socket: what a command may look at or change. */
struct cli_sess {
	struct cfg      *cfg;           /* the running configuration */
	int              level;         /* enum cli_level; `operator`/`user` lower it */
	int              interactive;   /* `prompt` mode: "> " after each command */
	int              quit;          /* close once the output is sent */
	uint32_t         timeout_ms;    /* idle timeout: `stats timeout`, `set timeout cli` */
	struct stats_sb *out;           /* output of the command being run */
	/* HAProxy's payload: a command line ending with "<<" is followed by
	 * lines up to an empty one, given to the command here (NULL: none) */
	const char      *payload;
	size_t           payload_len;
};

#define CLI_PAYLOAD_MAX (1u << 20)    /* longest payload accepted (a certificate with its chain fits) */

/* A command: the leading keywords it answers to, its help line and the
 * level it needs. <fn> writes its answer with cli_out()/cli_msg() and
 * returns 0; args[0..nargs-1] are all the words, keywords included. */
#define CLI_MAX_KW 4
struct cli_cmd {
	const char *kw[CLI_MAX_KW + 1];  /* NULL-terminated, e.g. { "show", "info" } */
	const char *usage;               /* left part of the help line */
	const char *help;                /* right part */
	int         level;               /* enum cli_level needed */
	int       (*fn)(struct cli_sess *s, char **args, int nargs);
};

#endif
