/* The connections of health checks beyond the plain one: where a
 * `connect` rule goes, the `source` they start from, and the PROXY
 * protocol header they send first (`check-send-proxy`, a server's
 * `send-proxy` when the check goes to the server's own port, `connect
 * send-proxy`). As HAProxy: a v1 line carries the check connection's own
 * addresses, a v2 header is a LOCAL one. */
#include <netinet/in.h>
#include <string.h>
#include <tandem/check.h>
#include <tandem/proxy-t.h>
#include <tandem/proxy_proto.h>
#include <tandem/sock.h>
#include "check_int.h"

static int port_of(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)a)->sin_port)
	     : a->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)a)->sin6_port) : 0;
}

static void set_port(struct sockaddr_storage *a, int port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
}

void chk_connect_target(const struct srv_health *h, const struct chk_tcp_rule *t,
			struct sockaddr_storage *ss, socklen_t *len)
{
	int port = port_of(&h->addr);

	*ss = h->addr;
	*len = h->addrlen;
	if (t && t->addrlen) {     /* `addr A`: that address, the check's port unless `port` */
		*ss = t->addr;
		*len = t->addrlen;
	}
	if (t && t->port)
		port = t->port;
	set_port(ss, port);
}

int chk_sock_connect(const struct srv_health *h, const struct sockaddr_storage *ss, socklen_t len)
{
	const struct conn_src *src = (h->srv->src.addrlen || h->srv->src.iface[0]) ? &h->srv->src : &h->srv->be->src;

	return sock_connect_from(ss, len, &src->addr, src->addrlen, src->port_lo, src->port_hi, src->iface);
}

void chk_pp_prepare(struct srv_health *h, int fd)
{
	struct chk_run *r = &h->run;
	struct sockaddr_storage lo, pe;
	socklen_t ll = sizeof(lo), pl = sizeof(pe);

	memset(&lo, 0, sizeof(lo));
	memset(&pe, 0, sizeof(pe));
	getsockname(fd, (struct sockaddr *)&lo, &ll);
	getpeername(fd, (struct sockaddr *)&pe, &pl);
	if (h->srv->pp_opts & SRV_PP_V2) {
		struct pp2_opts o = { .local = 1, .crc32c = !!(h->srv->pp_opts & SRV_PP_V2_CRC32C) };

		r->pplen = pp_build_v2(r->pp, sizeof(r->pp), &lo, &pe, &o);
	} else {
		r->pplen = pp_build_v1(r->pp, sizeof(r->pp), &lo, &pe);
	}
	r->ppoff = 0;
}

void chk_first_connect(const struct chk_px *p, struct sockaddr_storage *ss, socklen_t *len, int *port)
{
	int n;
	const struct chk_tcp_rule *t = chk_rules(p, &n);

	for (int i = 0; i < n; i++) {
		if (t[i].act == TCR_COMMENT)
			continue;
		if (t[i].act == TCR_CONNECT) {
			if (t[i].addrlen) {
				int keep = port_of(ss);

				*ss = t[i].addr;
				*len = t[i].addrlen;
				set_port(ss, keep);
			}
			if (t[i].port)
				*port = t[i].port;
		}
		break;
	}
}

void chk_http_connect(const struct chk_px *p, struct sockaddr_storage *ss, socklen_t *len, int *port)
{
	if (p->conn_addrlen) {
		int keep = port_of(ss);

		*ss = p->conn_addr;
		*len = p->conn_addrlen;
		set_port(ss, keep);
	}
	if (p->conn_port)
		*port = p->conn_port;
}

int chk_srv_tls_rules(const struct server *s)
{
	const struct chk_px *p = s && s->be && s->has_check ? chk_px_of(s->be) : NULL;

	if (!p)
		return 0;
	if (p->type == CHK_TYPE_HTTP)
		return p->has_conn && p->conn_ssl;
	if (p->type == CHK_TYPE_TCP && !p->proto)
		for (int i = 0; i < p->ntcp; i++)
			if (p->tcp[i].act == TCR_CONNECT && p->tcp[i].ssl)
				return 1;
	return 0;
}
