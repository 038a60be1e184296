/* The PROXY protocol on streams (the parser and builders are in
 * src/net/proxy_proto.c), called at two points of the stream:
 *  - accept side (`bind ... accept-proxy`): before the request head (HTTP)
 *    or the connection to a server (TCP), the header is read and its
 *    addresses become the client's (`src`, `dst`, logs, balance source,
 *    X-Forwarded-For), as HAProxy's do; a header that is missing,
 *    malformed or late (`timeout client`) closes the connection, logged
 *    with HAProxy's words and counted as a request error of the frontend;
 *  - server side (`send-proxy`, `send-proxy-v2`, `proxy-v2-options`): the
 *    header goes out first on every new connection to the server.
 * Also the destination address of a stream (`dst`): the PROXY header's,
 * else the local address the client reached (asked once, when needed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/conn.h>
#include <tandem/httplog.h>
#include <tandem/log.h>
#include <tandem/proxy_proto.h>
#include "stream_int.h"

struct stream_pp {
	char   authority[PP_AUTHORITY_MAX + 1];
	int    authority_len;       /* -1: the client sent none */
	char   unique_id[PP_UNIQUE_ID_MAX + 1];
	int    unique_id_len;       /* -1: none */
	char   out[PP2_HDR_LEN + 36 + 7 + 3 + PP_AUTHORITY_MAX + 3 + PP_UNIQUE_ID_MAX];
	size_t out_len, out_sent;   /* the header for the server, still to send */
};

static struct stream_pp *pp_of(struct stream *s)
{
	if (!s->pp && (s->pp = calloc(1, sizeof(*s->pp)))) {
		s->pp->authority_len = -1;
		s->pp->unique_id_len = -1;
	}
	return s->pp;
}

void stream_pp_free(struct stream *s)
{
	free(s->pp);
	s->pp = NULL;
}

const struct sockaddr_storage *stream_dst(struct stream *s)
{
	if (!s->dst_set) {
		socklen_t l = sizeof(s->dst_addr);

		if (getsockname(s->cli.io.fd, (struct sockaddr *)&s->dst_addr, &l) < 0)
			memset(&s->dst_addr, 0, sizeof(s->dst_addr));
		s->dst_set = 1;
	}
	return &s->dst_addr;
}

/* ---- accept side ---- */

void stream_pp_init(struct stream *s)
{
	if (!s->bind || !s->bind->accept_proxy)
		return;
	s->pp_wait = 1;
	/* HAProxy bounds the handshake with `timeout client` */
	s->exp_req = after(s->fe->to.client);
}

/* "127.0.0.1:40000 [02/Dec/2026:10:00:00.123] fe/1: Received an invalid
 * PROXY protocol header" (HAProxy's embryonic session log). */
static void pp_log_failure(struct stream *s, int err)
{
	char line[512];
	size_t n = httplog_prefix(&s->cli_addr, s->req_wall_us, line, sizeof(line));

	if (s->bind->name)
		snprintf(line + n, sizeof(line) - n, " %s/%s: %s", s->fe->id, s->bind->name, pp_strerror(err));
	else
		snprintf(line + n, sizeof(line) - n, " %s/%d: %s", s->fe->id, s->bind->luid, pp_strerror(err));
	/* dontlognull leaves out the connections that sent nothing */
	if ((s->fe->options & PR_O_DONTLOGNULL) && (err == PP_ERR_EMPTY || err == PP_ERR_ABORT))
		return;
	httplog_emit_text(G, s->fe, 1, line);
}

int stream_pp_accept(struct stream *s)
{
	struct pp_info info;
	ssize_t r;
	int n, err;

	r = conn_recv(&s->cli, G->tune_bufsize);
	if (r > 0)
		s->bytes_in += (uint64_t)r;
	n = s->cli.in.data ? pp_parse(buf_ptr(&s->cli.in), s->cli.in.data, &info) : 0;
	if (n > 0) {
		buf_consume(&s->cli.in, (size_t)n);
		s->bytes_in -= MIN(s->bytes_in, (uint64_t)n);
		if (!info.local) {
			s->cli_addr = info.src;
			s->dst_addr = info.dst;
			s->dst_set = 1;
		}
		if ((info.authority_len >= 0 || info.unique_id_len >= 0) && pp_of(s)) {
			if ((s->pp->authority_len = info.authority_len) >= 0)
				memcpy(s->pp->authority, info.authority, (size_t)info.authority_len + 1);
			if ((s->pp->unique_id_len = info.unique_id_len) >= 0)
				memcpy(s->pp->unique_id, info.unique_id, (size_t)info.unique_id_len + 1);
		}
		s->pp_wait = 0;
		/* what follows is the client's own traffic, on its own clock */
		s->exp_req = s->fe->mode == PR_MODE_HTTP ?
			after(s->fe->to.http_request ? s->fe->to.http_request : s->fe->to.client) : 0;
		return 1;
	}
	if (n < 0)
		err = n;
	else if (s->cli.flags & CF_ERROR)
		err = PP_ERR_ABORT;
	else if (s->cli.flags & CF_EOF)
		err = s->cli.in.data ? PP_ERR_TRUNCATED : PP_ERR_EMPTY;
	else if (buf_full(&s->cli.in))
		err = PP_ERR_BAD_HDR;
	else if (expired(s->exp_req))
		err = PP_ERR_TIMEOUT;
	else
		return 0;
	/* a connection that sent nothing (a port probe) is no bad request */
	if (err != PP_ERR_EMPTY && (err != PP_ERR_ABORT || s->cli.in.data)) {
		CTR_ADD(s->fe->fe_ctr->failed_req, 1);
		if (stream_li_ctr(s))
			CTR_ADD(stream_li_ctr(s)->failed_req, 1);
	}
	pp_log_failure(s, err);
	stream_close(s);
	return 0;
}

/* ---- server side ---- */

static void pp_build(struct stream *s)
{
	struct stream_pp *p = s->pp;
	const struct server *srv = s->srv;
	const struct sockaddr_storage *dst = stream_dst(s);

	if (srv->pp_opts & SRV_PP_V2) {
		struct pp2_opts o = { .crc32c = !!(srv->pp_opts & SRV_PP_V2_CRC32C) };

		/* authority: what the client's own PROXY header carried (TLS SNI
		 * would come first, tandem has no TLS); unique-id: the stream's,
		 * which is the one the client's header carried (tandem has no
		 * unique-id-format), else empty, as HAProxy sends it */
		if ((srv->pp_opts & SRV_PP_V2_AUTHORITY) && p->authority_len >= 0) {
			o.authority = p->authority;
			o.authority_len = p->authority_len;
		}
		if (srv->pp_opts & SRV_PP_V2_UNIQUE_ID) {
			o.unique_id = 1;
			if (p->unique_id_len > 0) {
				o.uid = p->unique_id;
				o.uid_len = p->unique_id_len;
			}
		}
		p->out_len = pp_build_v2(p->out, sizeof(p->out), &s->cli_addr, dst, &o);
	} else {
		p->out_len = pp_build_v1(p->out, sizeof(p->out), &s->cli_addr, dst);
	}
	p->out_sent = 0;
}

int stream_pp_srv_pending(const struct stream *s)
{
	return s->pp && s->pp->out_sent < s->pp->out_len;
}

int stream_pp_srv_flush(struct stream *s)
{
	struct stream_pp *p = s->pp;
	struct iovec iov;
	ssize_t r;

	if (!p || p->out_sent >= p->out_len)
		return 1;
	iov.iov_base = p->out + p->out_sent;
	iov.iov_len = p->out_len - p->out_sent;
	r = conn_sendv(s->sc, &iov, 1);
	if (r < 0)
		return -1;
	p->out_sent += (size_t)r;
	return p->out_sent >= p->out_len;
}

int stream_pp_srv_start(struct stream *s)
{
	if (!s->srv || !(s->srv->pp_opts & (SRV_PP_V1 | SRV_PP_V2)))
		return 1;
	if (!pp_of(s))
		return -1;
	pp_build(s);
	if (!s->pp->out_len)
		return -1;
	return stream_pp_srv_flush(s);
}
