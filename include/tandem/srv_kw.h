/* Server keywords: one parser for `server` and `default-server` lines of
 * the configuration and for the runtime API's `add server` (and the
 * re-creation of such a server after a reload). src/cfg/kw_server.c.
 *
 * Adding a server keyword: one handler and one row in srv_kws[] (its
 * argument count, whether `add server` accepts it, an example argument);
 * a new member of struct server also gets a row in srv_members[]. Copying
 * from default-server, freeing, `add server` and the reload handover of
 * dynamic servers then follow (doc/architecture.md, "Server keywords"). */
#ifndef TANDEM_SRV_KW_H
#define TANDEM_SRV_KW_H
#include <tandem/srv_kw-t.h>

extern const struct srv_kw srv_kws[];          /* ended by a { NULL } row */
extern const struct srv_member srv_members[];  /* every member of struct server */
extern const size_t srv_nmembers;

/* The row of keyword <name>, or NULL. */
const struct srv_kw *srv_kw_find(const char *name);
/* Write a handler's error message into c->err. Returns -1. */
int srv_kw_err(struct srv_kw_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Apply keywords args[0..nargs-1] to <s>. Stops at the first error: -1
 * with c->err filled; messages about the words themselves (unknown,
 * refused, missing argument) start with "'<what>': " when <what> is not
 * NULL (the configuration names its line; the runtime API does not, as in
 * HAProxy). */
int srv_parse_kws(struct srv_kw_ctx *c, struct server *s, char **args, int nargs, const char *what);

/* Build server <name> of backend <be> from the rest of its line: args[0]
 * is the address ("ADDR:PORT"), then keywords. Settings start from <tmpl>
 * (the backend's default-server) or, when NULL, the built-in ones; a
 * dynamic server (SRV_PARSE_DYNAMIC) starts in maintenance with an unset
 * init-state, and its address must be numeric (names are resolved only
 * when the configuration is loaded). The server is not linked into <be>,
 * has no id position (puid) unless `id` gave one, no per-thread part and
 * private counters. Returns it, or NULL with <err> filled. */
struct server *srv_parse_server(struct proxy *be, const struct server *tmpl, const char *name,
				char **args, int nargs, unsigned mode, char *err, size_t errlen);

/* Built-in settings of a new server; copy the settings of <src> (a
 * default-server template) into <dst> as srv_members[] says: 0, or -1 out
 * of memory; release what a server's members own (members only); release
 * a server entirely. */
void srv_settings_init(struct server *s);
int  srv_settings_copy(struct server *dst, const struct server *src);
void srv_settings_free(struct server *s);
void srv_free(struct server *s);

/* An argument vector (NULL-terminated, owned: each word and the array are
 * malloc'd), as a dynamic server keeps its `add server` words. */
char **srv_argv_dup(char *const *args, int nargs);   /* NULL on OOM */
void   srv_argv_free(char **argv);
int    srv_argv_count(char *const *argv);

#endif
