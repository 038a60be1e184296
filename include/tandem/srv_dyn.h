#ifndef TANDEM_SRV_DYN_H
#define TANDEM_SRV_DYN_H
#include <stddef.h>
#include <tandem/proxy-t.h>

/* The backend called <name> (not by #id), or NULL. */
struct proxy *proxy_find_backend(const struct cfg *cfg, const char *name);
/* Create server <name> in <be> (NULL: "No such backend.") from its words
 * args[0..nargs) (address, then keywords), and publish it to the worker's
 * threads. Returns NULL, or the error line to answer (<buf> may hold it). */
const char *srv_dyn_create(struct proxy *be, const char *name, char **args, int nargs,
			   char *buf, size_t buflen);
/* The reload handover's side: the same, logging a failure. 0 or -1. */
int srv_dyn_restore(struct cfg *cfg, const char *bname, const char *name, char **argv, int argc);

#endif
