/* The HTTP side of a stats-enabled proxy: which document a request gets.
 * The "stats" and "prometheus-exporter" services (stats_svc.c) hand every
 * request whose path starts with `stats uri` (or is /metrics) to these. */
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

struct h1_msg;

/* Does a request for <uri> belong to the stats applet of <px>? */
int stats_http_match(const struct proxy *px, const char *uri, size_t urilen);
/* Is <uri> the Prometheus exporter's path (/metrics) on a stats-enabled <px>? */
int stats_http_is_metrics(const struct proxy *px, const char *uri, size_t urilen);
/* The Prometheus text exposition (GET and HEAD; other methods 405). */
int stats_http_metrics(const struct cfg *cfg, const struct proxy *px, const char *method,
		       struct stats_reply *out);
/* Build the reply for <method> <uri> (with the request <body> for POSTs:
 * admin actions, refused with 403 unless stats_origin_ok(<req>); <req> may
 * be NULL: no origin check). Authentication is checked by the caller.
 * Returns 0, or -1 on allocation failure. */
int stats_http_serve(const struct cfg *cfg, const struct proxy *px, const char *method,
		     const char *uri, size_t urilen, const char *body, size_t bodylen,
		     const struct h1_msg *req, struct stats_reply *out);

/* src/admin/stats_auth.c */
/* May a request whose Authorization value is <authz,len> (NULL: none) see
 * the stats of <px>? 1 when <px> has no `stats auth`, or when the value is
 * strict Basic credentials matching one of its lines (constant-time
 * comparison); else 0. */
int stats_auth_check(const struct proxy *px, const char *authz, size_t len);
/* Same-origin check for admin POSTs: 1 when <req> carries no Origin nor
 * Referer (not sent by a browser), or when the first of them present names
 * the request's Host; 0 otherwise (an Origin of "null" included). */
int stats_origin_ok(const struct h1_msg *req);

#endif
