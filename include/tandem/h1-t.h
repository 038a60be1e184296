/* HTTP/1.x message head and chunked-body types. The parser is zero-copy:
 * every h1_str points into the caller's buffer, which must stay unchanged
 * while the h1_msg is in use. */
#ifndef TANDEM_H1_T_H
#define TANDEM_H1_T_H
#include <stdint.h>
#include <stddef.h>

/* HAProxy's tune.http.maxhdr default. */
#define H1_MAX_HDRS 101

enum h1_method {
	H1_M_OTHER = 0, H1_M_GET, H1_M_HEAD, H1_M_POST, H1_M_PUT, H1_M_DELETE,
	H1_M_CONNECT, H1_M_OPTIONS, H1_M_TRACE, H1_M_PATCH,
};

struct h1_str {
	const char *p;
	uint32_t    len;
};

struct h1_hdr {
	struct h1_str name;
	struct h1_str value;   /* leading/trailing OWS already trimmed */
	uint8_t       hop;     /* 1 = hop-by-hop: must not be forwarded as is */
};

/* Message flags (h1_msg.flags). */
enum {
	H1_F_CHUNKED       = 1u << 0,  /* Transfer-Encoding ends in chunked */
	H1_F_HAS_CL        = 1u << 1,  /* valid Content-Length present */
	H1_F_HAS_TE        = 1u << 2,  /* Transfer-Encoding present */
	H1_F_CONN_CLOSE    = 1u << 3,  /* Connection: close */
	H1_F_CONN_KA       = 1u << 4,  /* Connection: keep-alive */
	H1_F_CONN_UPGRADE  = 1u << 5,  /* Connection: upgrade */
	H1_F_UPGRADE       = 1u << 6,  /* Upgrade header present */
	H1_F_EXPECT_100    = 1u << 7,  /* Expect: 100-continue */
	H1_F_HAS_HOST      = 1u << 8,
	H1_F_BODY_TO_CLOSE = 1u << 9,  /* response body delimited by close */
};

struct h1_msg {
	/* request line (requests only) */
	struct h1_str  method;
	enum h1_method meth;
	struct h1_str  uri;
	/* status line (responses only) */
	int            status;
	struct h1_str  reason;
	int            version;         /* 10 for HTTP/1.0, 11 for HTTP/1.1 */
	uint32_t       flags;           /* H1_F_* */
	uint64_t       content_length;  /* valid when H1_F_HAS_CL */
	struct h1_str  host;            /* Host value, when H1_F_HAS_HOST; with an
					 * absolute-form target, its authority (the
					 * Host field's value points there too) */
	size_t         head_len;        /* bytes of the head, final CRLF included */
	unsigned       nhdrs;
	struct h1_hdr  hdrs[H1_MAX_HDRS];
	/* set when parsing fails */
	int            err_status;      /* 400, 413, 414, 431, 501, 505 (requests); 502 (responses) */
	const char    *err_reason;      /* short static text, for logs */
	size_t         err_pos;         /* offset of the offending byte */
};

/* Limits applied by the parser (from tune.* settings). */
struct h1_limits {
	size_t   max_head;  /* whole head (tune.bufsize - tune.maxrewrite) */
	unsigned max_hdrs;  /* tune.http.maxhdr, <= H1_MAX_HDRS */
};

/* Longest trailer field name the chunked decoder needs to recognise. */
#define H1_CHUNK_TNAME_MAX 24

/* Resumable chunked-body decoder state. It validates framing and reports
 * how many input bytes belong to the body, so the caller can forward them
 * verbatim (chunk sizes, extensions and trailers included). */
struct h1_chunk {
	int      state;      /* internal */
	uint64_t remain;     /* data bytes left in the current chunk */
	uint32_t count;      /* digits / bytes seen in the current line */
	uint32_t trailers;   /* bytes of trailer section seen (bounded) */
	int      done;       /* 1 once the final CRLF after trailers was consumed */
	uint64_t data_total; /* total payload bytes (for logs) */
	/* name of the trailer field being read, lower-cased, '_' read as '-'
	 * and runs of '-' folded (to refuse "Content_Length" too); tlen is
	 * H1_CHUNK_TNAME_MAX + 1 once the name is longer than any refused one */
	uint8_t  tlen;
	char     tname[H1_CHUNK_TNAME_MAX];
};

#endif
