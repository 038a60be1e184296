/* HAProxy's connection error codes and their words: see
 * include/tandem/conn_err.h. Pure (the PROXY protocol fuzz driver links
 * it); conn_err_code() is in conn.c, beside the transports. */
#include <stddef.h>
#include <tandem/conn_err.h>

static const char *const co_err_str[CO_ER_COUNT] = {
	[CO_ER_NONE]             = "Success",
	[CO_ER_CONF_FDLIM]       = "Reached configured maxconn value",
	[CO_ER_PROC_FDLIM]       = "Too many sockets on the process",
	[CO_ER_SYS_FDLIM]        = "Too many sockets on the system",
	[CO_ER_SYS_MEMLIM]       = "Out of system buffers",
	[CO_ER_NOPROTO]          = "Protocol or address family not supported",
	[CO_ER_SOCK_ERR]         = "General socket error",
	[CO_ER_PORT_RANGE]       = "Source port range exhausted",
	[CO_ER_CANT_BIND]        = "Can't bind to source address",
	[CO_ER_FREE_PORTS]       = "Out of local source ports on the system",
	[CO_ER_ADDR_INUSE]       = "Local source address already in use",
	[CO_ER_PRX_EMPTY]        = "Connection closed while waiting for PROXY protocol header",
	[CO_ER_PRX_ABORT]        = "Connection error while waiting for PROXY protocol header",
	[CO_ER_PRX_TIMEOUT]      = "Timeout while waiting for PROXY protocol header",
	[CO_ER_PRX_TRUNCATED]    = "Truncated PROXY protocol header received",
	[CO_ER_PRX_NOT_HDR]      = "Received something which does not look like a PROXY protocol header",
	[CO_ER_PRX_BAD_HDR]      = "Received an invalid PROXY protocol header",
	[CO_ER_PRX_BAD_PROTO]    = "Received an unhandled protocol in the PROXY protocol header",
	[CO_ER_CIP_EMPTY]        = "Connection closed while waiting for NetScaler Client IP header",
	[CO_ER_CIP_ABORT]        = "Connection error while waiting for NetScaler Client IP header",
	[CO_ER_CIP_TIMEOUT]      = "Timeout while waiting for a NetScaler Client IP header",
	[CO_ER_CIP_TRUNCATED]    = "Truncated NetScaler Client IP header received",
	[CO_ER_CIP_BAD_MAGIC]    = "Received an invalid NetScaler Client IP magic number",
	[CO_ER_CIP_BAD_PROTO]    = "Received an unhandled protocol in the NetScaler Client IP header",
	[CO_ER_SSL_EMPTY]        = "Connection closed during SSL handshake",
	[CO_ER_SSL_ABORT]        = "Connection error during SSL handshake",
	[CO_ER_SSL_TIMEOUT]      = "Timeout during SSL handshake",
	[CO_ER_SSL_TOO_MANY]     = "Too many SSL connections",
	[CO_ER_SSL_NO_MEM]       = "Out of memory when initializing an SSL connection",
	[CO_ER_SSL_RENEG]        = "Rejected a client-initiated SSL renegotiation attempt",
	[CO_ER_SSL_CA_FAIL]      = "SSL client CA chain cannot be verified",
	[CO_ER_SSL_CRT_FAIL]     = "SSL client certificate not trusted",
	[CO_ER_SSL_MISMATCH]     = "Server presented an SSL certificate different from the configured one",
	[CO_ER_SSL_MISMATCH_SNI] = "Server presented an SSL certificate different from the expected one",
	[CO_ER_SSL_HANDSHAKE]    = "SSL handshake failure",
	[CO_ER_SSL_HANDSHAKE_HB] = "SSL handshake failure after heartbeat",
	[CO_ER_SSL_KILLED_HB]    = "Stopped a TLSv1 heartbeat attack (CVE-2014-0160)",
	[CO_ER_SSL_NO_TARGET]    = "Attempt to use SSL on an unknown target (internal error)",
	[CO_ER_SSL_EARLY_FAILED] = "Server refused early data",
	[CO_ER_SOCKS4_SEND]      = "SOCKS4 Proxy write error during handshake",
	[CO_ER_SOCKS4_RECV]      = "SOCKS4 Proxy read error during handshake",
	[CO_ER_SOCKS4_DENY]      = "SOCKS4 Proxy deny the request",
	[CO_ER_SOCKS4_ABORT]     = "SOCKS4 Proxy handshake aborted by server",
	[CO_ER_SSL_FATAL]        = "SSL fatal error",
};

const char *conn_err_str(int code)
{
	return code >= 0 && code < CO_ER_COUNT ? co_err_str[code] : NULL;
}
