/* HTTP/1.x parsing per RFC 9112, strict as a proxy must be (a message that
 * could be read two ways is refused). Return convention (picohttpparser):
 *   > 0  the head is complete and this many bytes long;
 *   -2   incomplete: call again with more bytes (from the start);
 *   -1   invalid: msg->err_status / err_reason say why. */
#ifndef TANDEM_H1_H
#define TANDEM_H1_H
#include <sys/types.h>
#include <tandem/h1-t.h>

#define H1_INCOMPLETE (-2)
#define H1_ERROR      (-1)

/* Parse a request head. Besides syntax, enforces: Host present exactly once
 * in HTTP/1.1 (400); Content-Length a single valid decimal (400);
 * Transfer-Encoding with Content-Length (400); Transfer-Encoding not ending
 * in chunked or in HTTP/1.0 (400); Transfer-Encoding other than the single
 * value "chunked" (501); absolute-form target with a scheme other than
 * http(s), userinfo or no host (400); version other than 1.0/1.1 (505);
 * limits: request line > max_head (414), head > max_head or too many
 * headers (431). Hop-by-hop headers (RFC 9110 7.6.1, including those listed
 * in Connection) get hop = 1. With an absolute-form target, the Host
 * field's value (and msg->host) is the target's authority (RFC 9112 3.2.2). */
int h1_parse_request(const char *buf, size_t len, struct h1_msg *msg,
		     const struct h1_limits *lim);

/* Parse a response head (same conventions; errors use err_status 502).
 * Sets H1_F_BODY_TO_CLOSE when the body runs until the connection closes.
 * 1xx responses parse as complete heads; the caller loops for the final one. */
int h1_parse_response(const char *buf, size_t len, struct h1_msg *msg,
		      const struct h1_limits *lim);

/* Does a response to <req_meth> with <status> carry a body? (HEAD, 1xx, 204, 304, 2xx to CONNECT: no) */
int h1_resp_has_body(enum h1_method req_meth, int status);

/* Case-insensitive header lookup; returns the first match or NULL. */
const struct h1_hdr *h1_find_hdr(const struct h1_msg *msg, const char *name);
/* Case-insensitive comparison of a h1_str with a NUL-terminated string. */
int h1_str_ieq(struct h1_str s, const char *lit);
/* Is the request method idempotent (RFC 9110 9.2.2)? */
int h1_method_idempotent(enum h1_method m);
/* Is <s> a token (RFC 9110 5.6.2: one or more tchar), e.g. a header
 * field name or a method? */
int h1_is_token(const char *s);

void h1_chunk_init(struct h1_chunk *c);
/* Feed <len> bytes of a chunked body. Returns how many bytes were consumed
 * (all may be forwarded as is), or -1 on a framing error (bad size, overflow,
 * missing CRLF, oversize extension or trailers) or a trailer field that may
 * not be a trailer (framing, routing, connection management, request
 * control or authentication fields, see h1_chunk.c). Stops consuming as soon as
 * the message ends (c->done = 1): bytes after that belong to the next message. */
ssize_t h1_chunk_feed(struct h1_chunk *c, const char *p, size_t len);

#endif
