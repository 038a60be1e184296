/* The certificate store and the crt-lists at run time (src/ssl/ssl_store.c),
 * for the runtime API (src/admin/cli_ssl.c), /metrics and the dashboard.
 * HAProxy's commands and answers (doc/management.md, doc/tls.md):
 *
 *   show ssl cert [<file>|*<file>]      new ssl cert <file>
 *   set ssl cert <file> <payload>       commit ssl cert <file>
 *   abort ssl cert <file>               del ssl cert <file>
 *   show ssl crt-list [-n] [<list>]     add ssl crt-list <list> <cert>|<payload>
 *   del ssl crt-list <list> <cert[:line]>
 *
 * One transaction at a time (HAProxy's rule). A commit builds every
 * context the certificate needs first and changes nothing if one fails;
 * then new handshakes use it at once, handshakes in flight finish with the
 * old one, and the next worker (reload) serves it too unless the file on
 * disk changed since (the file wins then). Writers run on the runtime API's
 * thread only; readers (metrics) take the store's read lock. */
#ifndef TANDEM_SSL_STORE_H
#define TANDEM_SSL_STORE_H
#include <stddef.h>
#include <time.h>
#include <tandem/proxy-t.h>

/* Output of the show commands: printf-like, appended to the answer. */
typedef void (*ssl_out_fn)(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each command answers through <out> (show) or returns its one message in
 * <msg> ("Success!", or why not): 0 success, -1 refused. */
int ssl_cli_show_certs(struct cfg *cfg, const char *name, ssl_out_fn out, void *arg);
int ssl_cli_new_cert(struct cfg *cfg, const char *path, char *msg, size_t len);
int ssl_cli_set_cert(struct cfg *cfg, const char *path, const char *payload, size_t plen, char *msg, size_t len);
int ssl_cli_commit_cert(struct cfg *cfg, const char *path, char *msg, size_t len);
int ssl_cli_abort_cert(struct cfg *cfg, const char *path, char *msg, size_t len);
int ssl_cli_del_cert(struct cfg *cfg, const char *path, char *msg, size_t len);
int ssl_cli_show_crtlist(struct cfg *cfg, const char *list, int numbers, ssl_out_fn out, void *arg);
int ssl_cli_add_crtlist(struct cfg *cfg, const char *list, const char *line, char *msg, size_t len);
int ssl_cli_del_crtlist(struct cfg *cfg, const char *list, const char *cert, char *msg, size_t len);

/* Every certificate in the store: path, validity, in use. */
struct ssl_cert_view {
	const char *path;
	time_t      not_before, not_after;
	int         used;
	const char *subject_cn;   /* first DNS name / CN, "" none */
};
void ssl_store_foreach(struct cfg *cfg, void (*fn)(void *arg, const struct ssl_cert_view *v), void *arg);

#endif
