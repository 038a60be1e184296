/* The HTTP side of a stats-enabled proxy: which document a request gets.
 * stream.c hands every request whose path starts with `stats uri` (or is
 * /metrics) to stats_http_serve() and sends back what it produced. */
#ifndef TANDEM_STATS_HTTP_H
#define TANDEM_STATS_HTTP_H
#include <stddef.h>
#include <tandem/proxy-t.h>

struct stats_reply {
	int         status;       /* 200, 404, 405, 303, 500... */
	const char *ctype;        /* Content-Type (static string) */
	char       *body;         /* malloc'd, may be NULL for an empty body */
	size_t      len;
	char        location[256];/* Location header for redirects, "" when none */
};

/* Does a request for <uri> belong to the stats applet of <px>? */
int stats_http_match(const struct proxy *px, const char *uri, size_t urilen);
/* Build the reply for <method> <uri> (with the request <body> for POSTs:
 * admin actions). Authentication is checked by the caller. Returns 0, or
 * -1 on allocation failure. */
int stats_http_serve(const struct cfg *cfg, const struct proxy *px, const char *method,
		     const char *uri, size_t urilen, const char *body, size_t bodylen,
		     struct stats_reply *out);

#endif
