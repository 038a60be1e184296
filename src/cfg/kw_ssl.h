/* TLS keywords (src/cfg/kw_ssl.c), private to src/cfg/. */
#ifndef TANDEM_CFG_KW_SSL_H
#define TANDEM_CFG_KW_SSL_H
#include <tandem/srv_kw.h>
#include "cfg_int.h"

/* A TLS word of a bind line at args[i]: the words used (1 or 2), 0 when
 * it is not a TLS word, -1 reported. *sc is created on the first one. */
int cfg_bind_ssl_kw(struct cfg_ctx *ctx, struct ssl_bind_conf **sc, const char *addr, char **args, int i, int nargs);

/* Global TLS keywords (crt-base, ca-base, ssl-default-*, tune.ssl.*...). */
int cfg_gkw_ssl(struct cfg_ctx *ctx, char **args, int nargs);

/* Handlers of the TLS rows of srv_kws[]. */
int skw_ssl_flag(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int skw_ssl_verify(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int skw_ssl_ver(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);
int skw_ssl_str(struct srv_kw_ctx *c, struct server *s, const char *kw, const char *val);

#endif
