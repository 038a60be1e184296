/* Health-check keywords of proxies and of the global section (kw_check.c),
 * and the life cycle of a backend's check rules (struct chk_px), which
 * kw_server.c copies with the default-server template. */
#ifndef TANDEM_CFG_KW_CHECK_H
#define TANDEM_CFG_KW_CHECK_H
#include <tandem/check-t.h>
#include "cfg_int.h"

/* `option httpchk ...`, `option tcp-check` (called by kw_option). */
int cfg_opt_check(struct cfg_ctx *ctx, char **args, int nargs);
/* Is `option <name>` one of the health-check options handled above? */
int cfg_is_check_option(const char *name);
/* `http-check ...`, `tcp-check ...`, `max-ejected-percent N`. */
int cfg_kw_http_check(struct cfg_ctx *ctx, char **args, int nargs);
int cfg_kw_tcp_check(struct cfg_ctx *ctx, char **args, int nargs);
int cfg_kw_max_ejected(struct cfg_ctx *ctx, char **args, int nargs);
/* global `spread-checks <0..50>`. */
int cfg_kw_spread_checks(struct cfg_ctx *ctx, char **args, int nargs);

/* chk_proto.c: `option mysql-check|pgsql-check|redis-check|ssl-hello-chk|
 * smtpchk|ldap-check` (their built-in rules into p->ptcp). */
int cfg_is_proto_check(const char *name);
int cfg_opt_proto_check(struct cfg_ctx *ctx, struct chk_px *p, char **args, int nargs);

/* Deep copy (NULL in, NULL out; *err set on allocation failure) and release. */
struct chk_px *chk_px_dup(const struct chk_px *src, int *err);
void chk_px_free(struct chk_px *p);
/* Forget the rules `http-check send/expect` (not `option httpchk`) or
 * `tcp-check` wrote, e.g. inherited ones a proxy replaces. */
void chk_px_drop_http(struct chk_px *p);
void chk_px_drop_tcp(struct chk_px *p);
void chk_px_drop_proto(struct chk_px *p);
void chk_expect_free(struct chk_expect *e);
void chk_hdrs_free(struct chk_hdr *h, int n);

#endif
