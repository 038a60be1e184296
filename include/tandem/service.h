#ifndef TANDEM_SERVICE_H
#define TANDEM_SERVICE_H
#include <tandem/service-t.h>

/* Add <svc> to the registry (at start, before any worker thread runs). */
void service_register(struct service *svc);
/* The service called <name>, or NULL. */
const struct service *service_find(const char *name);
/* The first service that <px> routes a request for <uri> to by itself, or NULL. */
const struct service *service_match(const struct proxy *px, const char *uri, size_t urilen);
/* Append a header line "name: value\r\n" to <rep>; -1 if it does not fit. */
int svc_reply_hdr(struct svc_reply *rep, const char *name, const char *value);

#endif
