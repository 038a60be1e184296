/* Services: answers tandem produces itself instead of forwarding the
 * request (HAProxy's applets): the stats page and its exports, the
 * Prometheus exporter. A service registers itself (src/proxy/service.c);
 * the stream finds it by the request's path (`stats uri`) or, later, by
 * name (`http-request use-service NAME`), hands it the request and sends
 * back the reply it built. The stream never knows what a service does. */
#ifndef TANDEM_SERVICE_T_H
#define TANDEM_SERVICE_T_H
#include <stddef.h>
#include <tandem/h1-t.h>

struct cfg;
struct proxy;

/* What a service sees of the request. */
struct svc_req {
	const struct cfg   *cfg;
	const struct proxy *px;       /* the proxy that received it */
	const struct h1_msg *msg;     /* request head: method, uri, headers */
	const char *body;             /* the whole body when it was read with the head */
	size_t      body_len;
	int         body_unread;      /* a body came that was not read (too big, chunked) */
	int         admin;            /* may use admin actions (`stats admin [if|unless COND]` held) */
	int         auth_ok;          /* `stats http-request allow` matched: no `stats auth` asked */
};

#define SVC_HDRS_MAX 512

/* What a service answers. The stream adds the framing, Cache-Control and
 * Connection headers, and drops the body for HEAD. */
struct svc_reply {
	int         status;
	const char *ctype;            /* Content-Type (static string), NULL: text/plain */
	const char *body;             /* may be NULL for an empty body */
	size_t      len;
	int         body_owned;       /* body was malloc'd: the stream frees it */
	char        hdrs[SVC_HDRS_MAX]; /* extra header lines, each ending in CRLF */
	size_t      hlen;
};

enum {
	SVC_F_BODY = 1u << 0,         /* reads a small request body (forms) before serving */
};

struct service {
	const char *name;             /* "stats", "prometheus-exporter" */
	unsigned    flags;            /* SVC_F_* */
	/* Does <px> send a request for <uri> here without any rule (its
	 * `stats uri`, /metrics)? NULL when only a rule can choose it. */
	int (*match)(const struct proxy *px, const char *uri, size_t urilen);
	/* Build the reply. 0, or -1 when out of memory (the stream answers 500). */
	int (*serve)(const struct svc_req *rq, struct svc_reply *rep);
	struct service *next;         /* registry, in registration order */
};

#endif
