/* The PROXY protocol on streams (the parser and builders are in
 * src/net/proxy_proto.c; the accept side, `bind ... accept-proxy`, is the
 * session's: src/proxy/sess_lt.c):
 *  - server side (`send-proxy`, `send-proxy-v2`, `proxy-v2-options`): the
 *    header goes out first on every new connection to the server, on the
 *    socket itself, before a TLS handshake and the request;
 *  - the destination address of a stream (`dst`): the client's PROXY
 *    header's, else the local address the client reached (asked once,
 *    when needed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/conn.h>
#include <tandem/proxy_proto.h>
#include <tandem/sock.h>
#include <tandem/ssl.h>
#include "stream_int.h"

struct stream_pp {
	const struct conn *conn;    /* the server connection the header was built for, */
	uint64_t conn_start_us;     /* and when it started (a pointer may come back) */
	char   out[PP2_HDR_LEN + 36 + 7 + 3 + PP_AUTHORITY_MAX + 3 + PP_UNIQUE_ID_MAX];
	size_t out_len, out_sent;   /* the header, still to send */
};

void stream_pp_free(struct stream *s)
{
	free(s->pp);
	s->pp = NULL;
}

void stream_pp_start(struct stream *s)
{
	const struct sess_pp *p = s->sess->pp;

	if (p && p->dst_set) {
		s->dst_addr = p->dst;
		s->dst_set = 1;
	}
}

const struct sockaddr_storage *stream_dst(struct stream *s)
{
	if (!s->dst_set) {
		socklen_t l = sizeof(s->dst_addr);

		if (getsockname(s->cli->io.fd, (struct sockaddr *)&s->dst_addr, &l) < 0)
			memset(&s->dst_addr, 0, sizeof(s->dst_addr));
		s->dst_set = 1;
	}
	return &s->dst_addr;
}

/* ---- server side ---- */

static void pp_build(struct stream *s)
{
	struct stream_pp *p = s->pp;
	const struct server *srv = s->srv;
	const struct sess_pp *in = s->sess->pp;
	const struct sockaddr_storage *dst = stream_dst(s);
	char uid[PP_UNIQUE_ID_MAX];

	if (srv->pp_opts & SRV_PP_V2) {
		struct pp2_opts o = { .crc32c = !!(srv->pp_opts & SRV_PP_V2_CRC32C) };
		const char *sni = ssl_fc_sni(s->cli);

		/* authority: the client's TLS SNI (HAProxy's), else what its
		 * own PROXY header carried; unique-id: the transaction's, from
		 * the frontend's unique-id-format (empty without one), as
		 * HAProxy sends it; the client's own TLV is not passed on */
		if ((srv->pp_opts & SRV_PP_V2_AUTHORITY) && sni && *sni) {
			o.authority = sni;
			o.authority_len = (int)strnlen(sni, PP_AUTHORITY_MAX);
		} else if ((srv->pp_opts & SRV_PP_V2_AUTHORITY) && in && in->authority_len >= 0) {
			o.authority = in->authority;
			o.authority_len = in->authority_len;
		}
		if (srv->pp_opts & SRV_PP_V2_UNIQUE_ID) {
			o.unique_id = 1;
			o.uid = uid;
			o.uid_len = (int)rx_unique_id(s, uid, sizeof(uid));
		}
		p->out_len = pp_build_v2(p->out, sizeof(p->out), &s->cli_addr, dst, &o);
	} else {
		p->out_len = pp_build_v1(p->out, sizeof(p->out), &s->cli_addr, dst);
	}
	p->out_sent = 0;
}

int stream_pp_srv_send(struct stream *s)
{
	struct stream_pp *p = s->pp;
	struct conn *c = s->sc;
	struct iovec iov;
	ssize_t r;
	int st;

	if (!s->srv || !(s->srv->pp_opts & (SRV_PP_V1 | SRV_PP_V2)))
		return 1;
	if (!p && !(p = s->pp = calloc(1, sizeof(*p))))
		return -1;
	if (p->conn != c || p->conn_start_us != c->t_start_us) {   /* a new connection (a retry makes another) */
		p->conn = c;
		p->conn_start_us = c->t_start_us;
		pp_build(s);
		if (!p->out_len)
			return -1;
	}
	while (p->out_sent < p->out_len) {
		if (!(c->flags & CF_WR_READY))
			return 0;
		iov.iov_base = p->out + p->out_sent;
		iov.iov_len = p->out_len - p->out_sent;
		/* the socket itself: under TLS, the header precedes the handshake */
		r = xprt_raw.snd(c, &iov, 1, &st);
		if (r > 0) {
			p->out_sent += (size_t)r;
			continue;
		}
		if (st == SIO_AGAIN) {
			c->flags &= ~CF_WR_READY;
			return 0;
		}
		c->flags |= CF_ERROR;
		return -1;
	}
	return 1;
}
