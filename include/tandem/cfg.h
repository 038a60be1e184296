/* Configuration loading (HAProxy's language). Each subsystem's keywords are
 * handled in src/cfg/; errors name file:line and the keyword. */
#ifndef TANDEM_CFG_H
#define TANDEM_CFG_H
#include <stddef.h>
#include <tandem/proxy-t.h>

/* Parse and check <path>. Returns a new cfg, or NULL with <err> holding one
 * line "FILE:LINE: message" (several errors: the first; all are also logged
 * as [ALERT] lines). Warnings are logged as [WARNING] lines. Resolves
 * default_backend, fills defaults sections into proxies, computes defaults. */
struct cfg *cfg_load(const char *path, char *err, size_t errlen);
void cfg_free(struct cfg *cfg);

/* Lookups by name; <cap> is PR_CAP_FE, PR_CAP_BE or both. NULL if none. */
struct proxy *cfg_find_proxy(const struct cfg *cfg, const char *id, int cap);
struct server *proxy_find_server(const struct proxy *px, const char *id);

/* Parse a HAProxy time ("100", "100ms", "2s", "1m", "1h", "1d"; default
 * unit ms). Returns 0 and sets *ms, or -1 when invalid or too large. */
int cfg_parse_time(const char *s, uint32_t *ms);
/* Parse a size ("16384", "16k", "1m", "1g"). Returns 0 or -1. */
int cfg_parse_size(const char *s, uint64_t *bytes);
/* Parse "ADDR:PORT" ("*:80", ":80", "0.0.0.0:80", "[::1]:80", "ipv4@...",
 * "ipv6@..."). Returns 0 or -1. */
int cfg_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Does <cfg> listen anywhere? A `bind` of an enabled proxy, a `vrrp` or an
 * `anycast` section (tandem's); with <run>, also a `stats socket` (HAProxy
 * starts on one, but its `-c` does not count it). */
int cfg_has_listener(const struct cfg *cfg, int run);
/* `-dD` on the command line: `.diag` directives print their message. */
extern int cfg_diag_mode;
/* Evaluate a `.if` condition (src/cfg/cond.c): 1 true, 0 false, -1 with
 * <err> filled. Public for the unit tests. */
int cfg_eval_condition(const char *expr, char *err, size_t errlen);

#endif
