/* Why a connection failed: HAProxy's connection error codes (its enum
 * co_err_code, same numbers), read by the fetches fc_err / fc_err_str and
 * named in the connection error log lines. One table (src/net/conn_err.c)
 * holds their texts, which are HAProxy's log sentences ("SSL handshake
 * failure"): the legacy lines and fc_err_str print the same words. */
#ifndef TANDEM_CONN_ERR_H
#define TANDEM_CONN_ERR_H

struct conn;

/* HAProxy 2.6 include/haproxy/connection-t.h, in its order: the values are
 * what users see (%[fc_err]), never renumber. tandem sets the ones it can
 * detect (PROXY header, TLS handshake); the others keep their place. */
enum co_err {
	CO_ER_NONE = 0,
	CO_ER_CONF_FDLIM, CO_ER_PROC_FDLIM, CO_ER_SYS_FDLIM, CO_ER_SYS_MEMLIM, CO_ER_NOPROTO, CO_ER_SOCK_ERR,
	CO_ER_PORT_RANGE, CO_ER_CANT_BIND, CO_ER_FREE_PORTS, CO_ER_ADDR_INUSE,
	CO_ER_PRX_EMPTY,          /* 11 */
	CO_ER_PRX_ABORT, CO_ER_PRX_TIMEOUT, CO_ER_PRX_TRUNCATED, CO_ER_PRX_NOT_HDR, CO_ER_PRX_BAD_HDR,
	CO_ER_PRX_BAD_PROTO,
	CO_ER_CIP_EMPTY,          /* 18: NetScaler Client IP (not in tandem) */
	CO_ER_CIP_ABORT, CO_ER_CIP_TIMEOUT, CO_ER_CIP_TRUNCATED, CO_ER_CIP_BAD_MAGIC, CO_ER_CIP_BAD_PROTO,
	CO_ER_SSL_EMPTY,          /* 24 */
	CO_ER_SSL_ABORT, CO_ER_SSL_TIMEOUT, CO_ER_SSL_TOO_MANY, CO_ER_SSL_NO_MEM, CO_ER_SSL_RENEG,
	CO_ER_SSL_CA_FAIL,        /* 30 */
	CO_ER_SSL_CRT_FAIL, CO_ER_SSL_MISMATCH, CO_ER_SSL_MISMATCH_SNI,
	CO_ER_SSL_HANDSHAKE,      /* 34 */
	CO_ER_SSL_HANDSHAKE_HB, CO_ER_SSL_KILLED_HB, CO_ER_SSL_NO_TARGET, CO_ER_SSL_EARLY_FAILED,
	CO_ER_SOCKS4_SEND,        /* 39 */
	CO_ER_SOCKS4_RECV, CO_ER_SOCKS4_DENY, CO_ER_SOCKS4_ABORT,
	CO_ER_SSL_FATAL,          /* 43 */
	CO_ER_COUNT
};

/* HAProxy's sentence for <code> ("Success" for CO_ER_NONE), NULL when
 * <code> is none of them. */
const char *conn_err_str(int code);
/* fc_err of <c>: its code, 0 for none; -1 while it cannot be known yet
 * (no connection, or its TLS handshake still running: HAProxy's fc_err
 * has no value then). */
int conn_err_code(const struct conn *c);

#endif
