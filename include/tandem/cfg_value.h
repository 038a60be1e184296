/* Value parsers of the configuration language (src/cfg/value.c): integers,
 * times, sizes, addresses, networks, names. Pure functions, no logging:
 * the configuration parser, the server keywords and the runtime API share
 * them, so a value means the same and is refused with the same words
 * wherever it is written.
 *
 * Two flavours:
 *  - cfg_parse_* / cfg_time_ex / cfg_addr_ex: return a status, the caller
 *    words the error;
 *  - cfg_val_*: also write the error message (HAProxy's words, naming the
 *    keyword) into <err>, for callers that report it as it is (a config
 *    error gets "FILE:LINE: " in front, a runtime answer gets nothing). */
#ifndef TANDEM_CFG_VALUE_H
#define TANDEM_CFG_VALUE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Strict decimal integer in [min, max]. 0 or -1. */
int  cfg_parse_int(const char *s, long long min, long long max, long long *out);
/* A HAProxy time ("100", "100ms", "2s", "1m", "1h", "1d", "500us"; default
 * unit ms; at most 2147483647 ms). 0, -1 syntax, -2 overflow, -3 underflow
 * (a non-zero value below 1 ms). */
int  cfg_time_ex(const char *s, uint32_t *ms);
/* (cfg.h also declares cfg_parse_time, cfg_parse_size, cfg_parse_addr.) */

#define ADDR_PORT_MANDATORY 1   /* "missing port" when absent */
#define ADDR_NO_RESOLVE     2   /* numeric hosts only */
/* Parse an address; <defport> is used when the port is absent and not
 * mandatory. Host names are resolved (getaddrinfo) unless ADDR_NO_RESOLVE.
 * Returns 0, or -1 with <why> filled. */
int  cfg_addr_ex(const char *s, struct sockaddr_storage *ss, socklen_t *len, int flags,
		 int defport, char *why, size_t whylen);
/* A server's address as written: "HOST:PORT", or without a port ("HOST":
 * the port the client connected to), or "HOST:+N" / "HOST:-N" (that port
 * plus or minus N): *port_map is 1 then, with the offset in *port_off
 * (HAProxy's SRV_F_MAPPORTS), and <out> gets "HOST:0" to parse. Environment
 * variables are expanded. 0, or -1 with <why> filled. */
int  cfg_srv_port_map(const char *s, char *out, size_t outlen, int *port_map, int *port_off,
		      char *why, size_t whylen);
/* `source ADDR[:PORT[-PORT]]` into <src> (interface cleared). 0, or -1
 * with <why> filled. */
struct conn_src;
int  cfg_parse_source(const char *s, struct conn_src *src, int flags, char *why, size_t whylen);
/* Environment variables in <in> ($NAME, ${NAME}, ${NAME-default}; an unset
 * one expands to nothing) into <out>. 0, or -1 (too long, bad reference).
 * Addresses expand them wherever they are written, as HAProxy does. */
int  cfg_env_expand(const char *in, char *out, size_t outlen);
/* "10.0.0.0/8", "10.0.0.0/255.0.0.0", "192.168.1.1", "fd00::/8". 0 or -1. */
int  cfg_parse_net(const char *s, int *af, uint8_t addr[16], int *bits);
/* First character not allowed in a proxy/server name (alnum . - _ :), or NULL. */
const char *cfg_invalid_char(const char *name);

/* The same with the message. <kw> names the keyword in it; <s> may be NULL
 * or empty ("expects an argument"). Return 0, or -1 with <err> filled. */
int  cfg_val_int(const char *kw, const char *s, long long min, long long max, long long *out,
		 char *err, size_t errlen);
int  cfg_val_time(const char *kw, const char *s, uint32_t *ms, char *err, size_t errlen);
int  cfg_val_size(const char *kw, const char *s, uint64_t *out, char *err, size_t errlen);

#endif
