/* The PROXY protocol (HAProxy's, versions 1 and 2): a header that carries
 * the client's addresses over a connection that a proxy opened on its
 * behalf. Pure functions (src/net/proxy_proto.c): the parser of a received
 * header (`bind ... accept-proxy`) and the builders of a header to send
 * (`server ... send-proxy`, `send-proxy-v2`, `check-send-proxy`). The
 * parser's libFuzzer driver is tests/fuzz/fuzz_proxy_proto.c. */
#ifndef TANDEM_PROXY_PROTO_H
#define TANDEM_PROXY_PROTO_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PP_V1_MAX         107   /* the longest v1 line, CRLF included */
#define PP2_HDR_LEN       16    /* signature, version and command, family, length */
#define PP2_SIG           "\r\n\r\n\0\r\nQUIT\n"
#define PP2_SIG_LEN       12
#define PP_AUTHORITY_MAX  255   /* HAProxy's bounds on the TLVs it keeps */
#define PP_UNIQUE_ID_MAX  128

/* TLV types (the protocol's specification) */
enum { PP2_TYPE_ALPN = 0x01, PP2_TYPE_AUTHORITY = 0x02, PP2_TYPE_CRC32C = 0x03, PP2_TYPE_NOOP = 0x04,
       PP2_TYPE_UNIQUE_ID = 0x05 };

/* What a header said. */
struct pp_info {
	int  version;          /* 1 or 2 */
	int  local;            /* v2 LOCAL, v1 UNKNOWN, or a family tandem does not
				* route (UDP, UNIX): the connection keeps its own addresses */
	struct sockaddr_storage src, dst;   /* the client's, when !local */
	char authority[PP_AUTHORITY_MAX + 1];
	int  authority_len;    /* -1: no AUTHORITY TLV */
	char unique_id[PP_UNIQUE_ID_MAX + 1];
	int  unique_id_len;    /* -1: no UNIQUE_ID TLV */
};

/* Why a header is refused (HAProxy's CO_ER_PRX_*: pp_co_err, pp_strerror). */
enum {
	PP_ERR_NOT_HDR   = -1,  /* neither a v1 nor a v2 header */
	PP_ERR_BAD_HDR   = -2,  /* a malformed header */
	PP_ERR_BAD_PROTO = -3,  /* a v1 protocol other than TCP4, TCP6, UNKNOWN */
	PP_ERR_EMPTY     = -4,  /* (callers) closed before any byte */
	PP_ERR_TRUNCATED = -5,  /* (callers) closed in the middle of the header */
	PP_ERR_TIMEOUT   = -6,  /* (callers) nothing complete in time */
	PP_ERR_ABORT     = -7,  /* (callers) a connection error */
};

/* Parse the header at the start of <buf> (<len> bytes). Returns its
 * length (> 0) with <out> filled, 0 when more bytes are needed to decide,
 * or a PP_ERR_*. Never reads past <len>. */
int pp_parse(const void *buf, size_t len, struct pp_info *out);
/* The connection error code (CO_ER_PRX_*, conn_err.h) of a PP_ERR_*. */
int pp_co_err(int err);
/* HAProxy's sentence for a PP_ERR_* ("Received an invalid PROXY protocol
 * header"), without a final dot: conn_err_str of its code. */
const char *pp_strerror(int err);

/* A v1 line for <src> -> <dst> ("PROXY TCP4 a b p q\r\n"; "PROXY
 * UNKNOWN\r\n" when either is missing or not IP). Returns its length, or
 * 0 when <cap> is too small. */
size_t pp_build_v1(char *out, size_t cap, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst);

/* What a v2 header carries beyond the addresses. */
struct pp2_opts {
	int local;             /* the LOCAL command (health checks) */
	int crc32c;            /* a CRC32C TLV over the whole header */
	const char *authority; int authority_len;   /* NULL: none */
	int unique_id;         /* a UNIQUE_ID TLV (possibly empty, as HAProxy sends it) */
	const char *uid; int uid_len;
};
/* A v2 header (binary) into <out>. Returns its length, or 0 when <cap> is
 * too small. */
size_t pp_build_v2(char *out, size_t cap, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst, const struct pp2_opts *o);

/* CRC32C (Castagnoli), as the CRC32C TLV uses it. */
uint32_t pp_crc32c(uint32_t crc, const void *p, size_t n);

#endif
