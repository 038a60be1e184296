/* The registry of services (include/tandem/service-t.h). Filled once at
 * start by the modules that provide services (src/admin/ registers the
 * stats page and the Prometheus exporter), read-only afterwards, so worker
 * threads read it without a lock. */
#include <stdio.h>
#include <string.h>
#include <tandem/service.h>

static struct service *services, **tail = &services;

void service_register(struct service *svc)
{
	const struct service *s;

	for (s = services; s; s = s->next)
		if (s == svc)
			return;  /* registered twice (a second worker start): once is enough */
	svc->next = NULL;
	*tail = svc;
	tail = &svc->next;
}

const struct service *service_find(const char *name)
{
	const struct service *s;

	for (s = services; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

const struct service *service_match(const struct proxy *px, const char *uri, size_t urilen)
{
	const struct service *s;

	for (s = services; s; s = s->next)
		if (s->match && s->match(px, uri, urilen))
			return s;
	return NULL;
}

int svc_reply_hdr(struct svc_reply *rep, const char *name, const char *value)
{
	int n = snprintf(rep->hdrs + rep->hlen, sizeof(rep->hdrs) - rep->hlen, "%s: %s\r\n", name, value);

	if (n < 0 || (size_t)n >= sizeof(rep->hdrs) - rep->hlen)
		return -1;
	rep->hlen += (size_t)n;
	return 0;
}
