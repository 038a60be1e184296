/* The stats page (dashboard, CSV, JSON, static report, admin form) and the
 * Prometheus exporter as services (include/tandem/service-t.h): the stream
 * calls them through the service registry and knows nothing of them.
 *
 *   "stats"                requests under `stats uri` on a stats-enabled proxy;
 *                          `stats auth` (HTTP Basic) and `stats realm` apply
 *   "prometheus-exporter"  /metrics on a stats-enabled proxy (HAProxy's name
 *                          for the same service; its own path is chosen by
 *                          `http-request use-service`) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/h1.h>
#include <tandem/list.h>
#include <tandem/proxy-t.h>
#include <tandem/service.h>
#include <tandem/stats_http.h>
#include <tandem/stats_svc.h>

/* Do the request's Basic credentials match one `stats auth` of <px>? Yes
 * when the proxy has none (strict decoding, constant-time: stats_auth.c). */
static int stats_auth_ok(const struct proxy *px, const struct h1_msg *m)
{
	const struct h1_hdr *h = h1_find_hdr(m, "authorization");

	return stats_auth_check(px, h ? h->value.p : NULL, h ? h->value.len : 0);
}

static void from_stats_reply(struct svc_reply *rep, const struct stats_reply *sr)
{
	rep->status = sr->status;
	rep->ctype = sr->ctype;
	rep->body = sr->body;
	rep->len = sr->len;
	rep->body_owned = sr->body != NULL;
	if (sr->location[0])
		svc_reply_hdr(rep, "location", sr->location);
}

static int unauthorized(const struct proxy *px, struct svc_reply *rep)
{
	static const char page[] = "<html><body><h1>401 Unauthorized</h1>\n"
		"You need a valid user and password to access this content.\n</body></html>\n";
	char v[320];

	snprintf(v, sizeof(v), "Basic realm=\"%s\"", px->stats_realm ? px->stats_realm : "HAProxy Statistics");
	rep->status = 401;
	rep->ctype = "text/html";
	rep->body = page;
	rep->len = sizeof(page) - 1;
	return svc_reply_hdr(rep, "www-authenticate", v);
}

static int stats_match(const struct proxy *px, const char *uri, size_t urilen)
{
	size_t ul;

	if (!px->stats_enabled || !px->stats_uri)
		return 0;
	ul = strlen(px->stats_uri);
	return urilen >= ul && !memcmp(uri, px->stats_uri, ul);
}

static void method_str(const struct h1_msg *m, char *out, size_t len)
{
	snprintf(out, len, "%.*s", (int)(m->method.len < len - 1 ? m->method.len : len - 1), m->method.p);
}

static int stats_serve(const struct svc_req *rq, struct svc_reply *rep)
{
	struct stats_reply sr;
	char meth[16];

	if (!stats_auth_ok(rq->px, rq->msg))
		return unauthorized(rq->px, rep);
	if (rq->body_unread) {
		static const char msg[] = "The request body is too big for the stats page.\n";
		rep->status = 413;
		rep->body = msg;
		rep->len = sizeof(msg) - 1;
		return 0;
	}
	method_str(rq->msg, meth, sizeof(meth));
	if (stats_http_serve(rq->cfg, rq->px, meth, rq->msg->uri.p, rq->msg->uri.len,
			     rq->body, rq->body_len, rq->msg, &sr) < 0)
		return -1;
	from_stats_reply(rep, &sr);
	return 0;
}

static int metrics_match(const struct proxy *px, const char *uri, size_t urilen)
{
	return stats_http_is_metrics(px, uri, urilen);
}

static int metrics_serve(const struct svc_req *rq, struct svc_reply *rep)
{
	struct stats_reply sr;
	char meth[16];

	if (!stats_auth_ok(rq->px, rq->msg))
		return unauthorized(rq->px, rep);
	method_str(rq->msg, meth, sizeof(meth));
	if (stats_http_metrics(rq->cfg, rq->px, meth, &sr) < 0)
		return -1;
	from_stats_reply(rep, &sr);
	return 0;
}

static struct service svc_metrics = {
	.name = "prometheus-exporter", .match = metrics_match, .serve = metrics_serve,
};
static struct service svc_stats = {
	.name = "stats", .flags = SVC_F_BODY, .match = stats_match, .serve = stats_serve,
};

void stats_services_register(void)
{
	/* /metrics first: it is matched by exact path, the stats page by prefix */
	service_register(&svc_metrics);
	service_register(&svc_stats);
}
