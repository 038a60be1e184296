/* Responses tandem generates itself (HAProxy-style small HTML pages). */
#ifndef TANDEM_ERRORS_H
#define TANDEM_ERRORS_H
#include <stddef.h>

/* A complete HTTP/1.1 response for <status> (400, 403, 404, 405, 408, 413,
 * 414, 431, 500, 501, 502, 503, 504, 505) with "Connection: close",
 * Content-Type text/html, Content-Length and Cache-Control: no-cache.
 * Unknown codes give a 500 page. Static storage; never NULL. */
const char *http_error_msg(int status, size_t *len);
/* The reason phrase of a status ("Service Unavailable"), "" if unknown. */
const char *http_reason(int status);

#endif
