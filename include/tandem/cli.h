/* The runtime API: HAProxy's "stats socket" command line, so that socat
 * scripts, hatop and other HAProxy tools work against tandem.
 *
 * Where things run:
 *   - the master creates the listening sockets (cli_socks_open, called by
 *     master_open_listeners) and keeps them across reloads;
 *   - the worker serves them on thread 0 (cli_start/cli_stop, from
 *     worker.c): commands run there one at a time, never concurrently with
 *     each other, while the other threads carry traffic.
 * doc/management.md ("Runtime API (stats socket)") lists the commands. */
#ifndef TANDEM_CLI_H
#define TANDEM_CLI_H
#include <stdarg.h>
#include <stddef.h>
#include <tandem/cli-t.h>
#include <tandem/proxy-t.h>

/* ---- configuration (src/cfg/kw_global.c) -------------------------------- */

/* Release a list of struct cli_sock_conf (closes nothing). */
void cli_sock_conf_free(struct list *socks);

/* ---- master (src/admin/cli_bind.c) ------------------------------------- */

/* Open every `stats socket` of <cfg>, taking over the socket of <old> (may
 * be NULL) with the same path or address, so a reload keeps the socket
 * and its file. A new UNIX socket is bound under a temporary name, given
 * its mode and owner, then renamed over the path (a stale file is
 * replaced atomically). Returns 0, or -1 after logging why; then nothing
 * of <old> changed and whatever was opened here is closed again. */
int cli_socks_open(struct cfg *cfg, struct cfg *old);
/* Close the sockets <cfg> still owns; a UNIX socket's file is removed. */
void cli_socks_close(struct cfg *cfg);

/* ---- worker (src/admin/cli_sock.c), thread 0 only ----------------------- */

/* Start serving <cfg>'s stats sockets on the calling thread's loop.
 * Returns 0 or -1 (logged). */
int cli_start(struct cfg *cfg);
/* Stop accepting (soft/hard stop, retiring after a reload) and close this
 * process' copies of the listening sockets, so that new clients reach the
 * new worker. Open sessions finish with the process. */
void cli_stop(void);

/* ---- commands (src/admin/cli.c) ---------------------------------------- */

/* Add a command from another subsystem (e.g. `show vrrp`). The table entry
 * is kept by pointer and must live as long as the process. Call it before
 * the worker serves the socket (a constructor function is fine: it only
 * appends to a fixed-size array). Commands run in the worker, on thread 0.
 * Returns 0, or -1 when the keywords are taken or the table is full. */
int cli_register_command(const struct cli_cmd *cmd);

/* Run one input line (several commands separated by unescaped ';') for
 * session <s>, appending the answers to s->out: each command's output is
 * followed by an empty line, then by the prompt in interactive mode.
 * <line> is modified. Sets s->quit on `quit` (nothing more runs). A
 * session left non-interactive (s->interactive 0) closes once the lines
 * already received are answered, as HAProxy does. */
void cli_exec_line(struct cli_sess *s, char *line);

/* Split <line> in place into commands at unescaped ';'. Returns the
 * number of commands stored in cmds[] (at most <max>). */
int cli_split_cmds(char *line, char **cmds, int max);
/* Split one command in place into words (spaces and tabs separate, a
 * backslash makes the next character literal). Returns the word count,
 * or -1 when there are more than <max> words. */
int cli_split_words(char *cmd, char **args, int max);

/* Output helpers for command functions. */
void cli_out(struct cli_sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_vout(struct cli_sess *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* A one-line answer (a newline is added). Returns 0 so that a command can
 * `return cli_msg(s, "...")`. */
int cli_msg(struct cli_sess *s, const char *msg);

/* Resolve "<backend>/<server>" (names, or numeric ids written "#N") and
 * answer HAProxy's error line when it fails ("Require 'backend/server'.",
 * "No such backend.", "No such server."). Returns 0 with *be and *sv set,
 * or -1 (answered). */
int cli_get_server(struct cli_sess *s, const char *arg, struct proxy **be, struct server **sv);
/* A backend (or listen) by name or "#ID"; NULL when none. */
struct proxy *cli_find_backend(const struct cfg *cfg, const char *arg);

/* Command tables of each group (cli_show.c, cli_server.c, cli_dyn.c). */
extern const struct cli_cmd cli_show_cmds[];
extern const struct cli_cmd cli_server_cmds[];
extern const struct cli_cmd cli_dyn_cmds[];
extern const struct cli_cmd cli_vrrp_cmds[];  /* cli_vrrp.c: show vrrp */
extern const struct cli_cmd cli_bgp_cmds[];   /* cli_bgp.c: show anycast */
extern const struct cli_cmd cli_reload_cmds[]; /* cli_reload.c: reload */
extern const struct cli_cmd cli_map_cmds[];    /* cli_map.c: maps and ACL patterns */
extern const struct cli_cmd cli_events_cmds[]; /* cli_events.c: show state-changes */
extern const struct cli_cmd cli_dns_cmds[];    /* cli_dns.c: show resolvers */
extern const struct cli_cmd cli_ssl_cmds[];    /* cli_ssl.c: ssl certificates and crt-lists */
extern const struct cli_cmd cli_table_cmds[];  /* cli_table.c: show|clear|set table */

/* Process start, for `show info` (set by cli_start; 0 = unknown). */
extern uint64_t cli_start_wall_s;

#endif
