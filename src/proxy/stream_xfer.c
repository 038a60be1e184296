/* The transfer state, one function per direction and phase:
 *   req_out   the request towards the server: its head, then its body as the
 *             client sends it (kept in the buffer for a replay until the
 *             response head arrives);
 *   rsp_in    the response from the server: interim heads, the final head
 *             (http_analyze_response), then its body, validated as it comes;
 *   rsp_out   the response towards the client: head and validated body
 *             bytes in one sendmsg();
 *   deadlines `timeout client` / `timeout server` while either side is
 *             waited on.
 * Each returns 1 when it moved something; when it changed the stream's
 * state (failure, retry, tunnel), st_xfer() returns at once. Bodies are
 * never copied: validated byte ranges go from one side's input buffer to
 * the other side's socket. And the tunnel (mode tcp, after a 101 or a
 * CONNECT): bytes both ways until both sides closed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <tandem/buf.h>
#include <tandem/check.h>
#include <tandem/conn.h>
#include <tandem/h1.h>
#include <tandem/rules.h>
#include <tandem/server.h>
#include "stream_int.h"

/* Send <out> then <gen> then the first <*fwd> bytes of <src> on <c>.
 * Consumes what was sent. Returns bytes sent, or -1 on error. */
ssize_t send_parts(struct conn *c, struct buf *out, struct stream *s,
			  struct buf *src, size_t *fwd)
{
	struct iovec iov[3];
	int n = 0;
	ssize_t r, left;

	if (out && out->data)
		iov[n++] = (struct iovec){ buf_ptr(out), out->data };
	if (s && s->gen && s->gen_off < s->gen_len)
		iov[n++] = (struct iovec){ (void *)(s->gen + s->gen_off), s->gen_len - s->gen_off };
	if (src && fwd && *fwd)
		iov[n++] = (struct iovec){ buf_ptr(src), *fwd };
	if (!n)
		return 0;
	r = conn_sendv(c, iov, n);
	if (r <= 0)
		return r;
	left = r;
	if (out && out->data) {
		size_t k = MIN((size_t)left, out->data);
		buf_consume(out, k);
		left -= (ssize_t)k;
	}
	if (s && s->gen && s->gen_off < s->gen_len) {
		size_t k = MIN((size_t)left, s->gen_len - s->gen_off);
		s->gen_off += k;
		left -= (ssize_t)k;
	}
	if (left && src && fwd) {
		buf_consume(src, (size_t)left);
		*fwd -= (size_t)left;
	}
	return r;
}

/* Validate newly arrived body bytes in <b> for <bd>. <eof>: the source
 * closed. Returns 0, -1 on a framing error, -2 when the source closed
 * before the end of the body. */
int body_scan(struct body *bd, struct buf *b, int eof)
{
	size_t avail;

	if (bd->phase == MSG_DONE)
		return 0;
	avail = b->data - bd->kept - bd->fwd;
	switch (bd->mode) {
	case BM_NONE:
		bd->phase = MSG_DONE;
		return 0;
	case BM_CL: {
		size_t n = avail < bd->remain ? avail : (size_t)bd->remain;
		bd->fwd += n;
		bd->remain -= n;
		if (!bd->remain)
			bd->phase = MSG_DONE;
		else if (eof && bd->kept + bd->fwd == b->data)
			return -2;  /* truncated */
		return 0;
	}
	case BM_CHUNKED: {
		ssize_t n = avail ? h1_chunk_feed(&bd->ck, buf_ptr(b) + bd->kept + bd->fwd, avail) : 0;
		if (n < 0)
			return -1;
		bd->fwd += (size_t)n;
		if (bd->ck.done)
			bd->phase = MSG_DONE;
		else if (eof && bd->kept + bd->fwd == b->data)
			return -2;
		return 0;
	}
	case BM_CLOSE:
		bd->fwd = b->data - bd->kept;
		if (eof)
			bd->phase = MSG_DONE;
		return 0;
	}
	return 0;
}

/* body_scan() on the request, counting the body bytes it validates in
 * bytes_in (the head was counted when it was parsed). Counting what is
 * validated rather than what is read covers the body bytes that arrived
 * with the head (already buffered when the body phase starts) and leaves
 * out pipelined bytes of the next request (counted with its own head). */
int req_body_scan(struct stream *s, int eof)
{
	size_t before = s->req.fwd;
	int ret = body_scan(&s->req, &s->cli->in, eof);

	if (s->req.fwd > before)
		s->bytes_in += s->req.fwd - before;
	return ret;
}

/* ---- the request towards the server ---- */

static int xfer_req_out(struct stream *s)
{
	struct conn *sc = s->sc;
	int progress = 0, eof;
	ssize_t r;

	if (s->req.phase != MSG_DONE && s->req.kept && buf_full(&s->cli->in)) {
		/* the body outgrew the buffer: keep streaming, give up replays */
		buf_consume(&s->cli->in, s->req.kept);
		s->req.kept = 0;
		s->flags |= SF_REPLAY_LOST;
	}
	if (s->req.phase != MSG_DONE && !(s->cli->flags & (CF_EOF | CF_ERROR))) {
		r = conn_recv(s->cli, G->tune_bufsize);
		if (r > 0)
			s->exp_cli = after(s->fe->to.client);
	}
	eof = (s->cli->flags & (CF_EOF | CF_ERROR)) != 0;
	if (s->req.phase != MSG_DONE && req_body_scan(s, eof) < 0) {
		if (eof) {
			CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
			stream_error(s, 0, 'C', 'D');
		} else {
			CTR_ADD(s->fe->fe_ctr->failed_req, 1);
			stream_error(s, 400, 'P', 'D');
		}
		return 0;
	}
	if (G->tune_max_body && s->req.mode == BM_CHUNKED && s->req.ck.data_total > G->tune_max_body) {
		stream_error(s, 413, 'P', 'D');
		return 0;
	}
	if (s->srv_out_sent < s->srv_out.data || s->req.fwd) {
		struct iovec iov[2];
		int n = 0;
		size_t head_left = s->srv_out.data - s->srv_out_sent;

		if (head_left)
			iov[n++] = (struct iovec){ buf_ptr(&s->srv_out) + s->srv_out_sent, head_left };
		if (s->req.fwd)
			iov[n++] = (struct iovec){ buf_ptr(&s->cli->in) + s->req.kept, s->req.fwd };
		r = conn_sendv(sc, iov, n);
		if (r < 0)
			return srv_failure(s, 502, 'S', 'H', (sc->flags & CF_USED) ? FAIL_REUSED : FAIL_EMPTY);
		if (r > 0) {
			size_t k = MIN((size_t)r, head_left), b = (size_t)r - k;
			s->srv_out_sent += k;
			if (b) {
				/* until the response head arrives, sent body bytes stay
				 * in the buffer so that a retry can send them again */
				if (s->rsp.phase == MSG_HEAD && !sf(s, SF_REPLAY_LOST))
					s->req.kept += b;
				else
					buf_consume(&s->cli->in, b);
				s->req.fwd -= b;
				s->req.sent += b;
			}
			progress = 1;
			s->exp_srv = after(s->be->to.server);
		}
	}
	if (eof && s->req.phase != MSG_DONE && !s->req.fwd) {
		CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
		stream_error(s, 0, 'C', 'D');
		return 0;
	}
	return progress;
}

/* ---- the response from the server ---- */

/* The server's response head, interim ones first. 1 when something moved. */
static int xfer_rsp_head(struct stream *s, int eof)
{
	struct conn *sc = s->sc;
	struct h1_msg *m = strm_scratch();
	struct h1_limits lim = { G->tune_bufsize - G->tune_maxrewrite, G->tune_maxhdr };
	int ret;

	if (!sc->in.data) {
		if (!eof)
			return 0;
		/* closed before answering: a reused connection may just have
		 * been closed by the server */
		CTR_ADD(s->be->be_ctr->failed_resp, 1);
		CTR_ADD(s->srv->ctr->failed_resp, 1);
		return srv_failure(s, 502, 'S', 'H', (sc->flags & CF_USED) ? FAIL_REUSED : FAIL_EMPTY);
	}
	ret = h1_parse_response(buf_ptr(&sc->in), sc->in.data, m, &lim);
	if (ret == H1_INCOMPLETE && !eof && !buf_full(&sc->in))
		return 0;
	if (ret < 0) {
		CTR_ADD(s->be->be_ctr->failed_resp, 1);
		CTR_ADD(s->srv->ctr->failed_resp, 1);
		return srv_failure(s, 502, 'P', 'H', FAIL_JUNK);
	}
	return http_analyze_response(s, m);
}

/* Body bytes of the response that arrived: validate them. A framing error
 * before any byte reached the client is a bad response (502, retried when
 * allowed); later, or a server closing early, the client gets what arrived
 * and the connection is cut, so it sees the truncation. */
static int xfer_rsp_body(struct stream *s, int eof)
{
	struct conn *sc = s->sc;
	size_t before = s->rsp.fwd;
	int ret = body_scan(&s->rsp, &sc->in, eof);

	if (ret >= 0)
		return 0;
	if (ret == -1 && !sf(s, SF_RSP_STARTED)) {
		s->cli_out.data = s->cli_out.head = 0;
		s->bytes_out = 0;
		CTR_ADD(s->be->be_ctr->failed_resp, 1);
		CTR_ADD(s->srv->ctr->failed_resp, 1);
		return srv_failure(s, 502, 'P', 'D', FAIL_JUNK);
	}
	CTR_ADD(s->be->be_ctr->srv_aborts, 1);
	CTR_ADD(s->srv->ctr->srv_aborts, 1);
	srv_observe(s->srv, OBS_RESP_BAD);
	if (send_parts(s->cli, &s->cli_out, NULL, &sc->in, &s->rsp.fwd) > 0)
		s->bytes_out += before - s->rsp.fwd;
	s->flags |= SF_RSP_STARTED;  /* the head is out (or about to be): just cut */
	stream_error(s, 0, 'S', 'D');
	return 0;
}

static int xfer_rsp_in(struct stream *s)
{
	struct conn *sc = s->sc;
	int progress = 0;

	for (;;) {
		ssize_t r = conn_recv(sc, G->tune_bufsize);
		int eof;

		if (r > 0) {
			progress = 1;
			s->exp_srv = after(s->be->to.server);
		}
		eof = (sc->flags & (CF_EOF | CF_ERROR)) != 0;
		if (s->rsp.phase != MSG_HEAD)
			return xfer_rsp_body(s, eof) | progress;
		if (!xfer_rsp_head(s, eof))
			return progress;  /* more to come, or the client must take what is pending */
		if (s->state != ST_XFER)
			return 1;
		progress = 1;  /* a head was consumed: look at what follows it */
	}
}

/* ---- the response towards the client ---- */

static int xfer_rsp_out(struct stream *s)
{
	size_t before = s->rsp.fwd;
	ssize_t r;

	if (!s->cli_out.data && !s->rsp.fwd)
		return 0;
	r = send_parts(s->cli, &s->cli_out, NULL, &s->sc->in, &s->rsp.fwd);
	if (r < 0) {
		CTR_ADD(s->fe->fe_ctr->cli_aborts, 1);
		s->flags |= SF_RSP_STARTED;
		stream_error(s, 0, 'C', 'D');
		return 0;
	}
	if (r == 0)
		return 0;
	if (s->rsp.phase != MSG_HEAD)
		s->flags |= SF_RSP_STARTED;
	s->bytes_out += before - s->rsp.fwd;
	s->rsp.sent += before - s->rsp.fwd;
	s->exp_cli = after(s->fe->to.client);
	return 1;
}

/* ---- deadlines ---- */

/* HAProxy's meaning: `timeout client` while tandem waits on the client (a
 * request body to come, or response bytes it does not take), `timeout
 * server` while it waits on the server (request bytes it does not take, or
 * a response to come). A side nobody waits on has no deadline: a slow
 * response is governed by `timeout server` alone. */
static void xfer_arm_deadlines(struct stream *s)
{
	int spliced = stream_splice_busy(s, 1);   /* response bytes in a pipe wait for the client */
	int wait_cli = s->req.phase != MSG_DONE || s->cli_out.data || s->rsp.fwd || spliced;
	int cli_blocked = s->rsp.phase != MSG_HEAD && (s->cli_out.data || s->rsp.fwd || spliced);
	int wait_srv = (s->rsp.phase != MSG_DONE && !cli_blocked) ||
		       s->srv_out_sent < s->srv_out.data || s->req.fwd;

	if (!wait_cli)
		s->exp_cli = 0;
	else if (!s->exp_cli)
		s->exp_cli = after(s->fe->to.client);
	if (!wait_srv)
		s->exp_srv = 0;
	else if (!s->exp_srv)
		s->exp_srv = after(s->be->to.server);
}

static void xfer_deadlines(struct stream *s)
{
	xfer_arm_deadlines(s);
	if (expired(s->exp_srv)) {
		CTR_ADD(s->be->be_ctr->failed_resp, 1);
		if (s->rsp.phase == MSG_HEAD) {
			srv_failure(s, 504, 's', 'H', FAIL_TIMEOUT);
			return;
		}
		s->flags |= SF_RSP_STARTED;
		stream_error(s, 504, 's', 'D');
		return;
	}
	if (expired(s->exp_cli)) {
		if (s->rsp.phase != MSG_HEAD)
			s->flags |= SF_RSP_STARTED;
		stream_error(s, sf(s, SF_RSP_STARTED) ? 0 : 408, 'c', 'D');
	}
}

int st_xfer(struct stream *s)
{
	int progress;

	progress = xfer_req_out(s);
	if (s->state != ST_XFER)
		return 1;
	if (!stream_splice_rsp_body(s, &progress)) {   /* option splice-*: the body's bytes through a pipe */
		progress |= xfer_rsp_in(s);
		if (s->state != ST_XFER)
			return 1;
		progress |= xfer_rsp_out(s);
		if (s->state != ST_XFER)
			return 1;
	}
	if (s->rsp.phase == MSG_DONE && !s->cli_out.data && !s->rsp.fwd &&
	    (s->req.phase == MSG_DONE || !sf(s, SF_CLI_KA)))
		return txn_end(s);
	xfer_deadlines(s);
	return s->state != ST_XFER || progress;
}

/* ---- the tunnel ---- */

/* Bytes both ways until both sides closed (mode tcp, after 101, CONNECT). */
int st_tunnel(struct stream *s)
{
	struct conn *sc = s->sc;
	uint32_t to_c = s->fe->to.tunnel ? s->fe->to.tunnel : s->fe->to.client;
	uint32_t to_s = s->be->to.tunnel ? s->be->to.tunnel : s->be->to.server;
	int progress = 0;
	ssize_t r;
	size_t before;

	if (s->req.mode != BM_CLOSE) {
		/* both directions become "until close" */
		s->req.mode = s->rsp.mode = BM_CLOSE;
		s->req.phase = s->rsp.phase = MSG_BODY;
		s->req.fwd = s->cli->in.data;  /* bytes sent after the upgrade request */
		s->rsp.fwd = sc->in.data;
		/* TCP mode: tcp-response content rules look at the server's
		 * first bytes (HTTP streams ran them on the response head) */
		if (sf(s, SF_HTTP) || (!rules_has(s->fe, RSI_TCP_RES) && !rules_has(s->be, RSI_TCP_RES)))
			s->flags |= SF_TCPRES_DONE;
	}
	/* option splice-*: through pipes while the buffers are empty */
	progress = stream_splice_tunnel(s);
	/* client -> server (unless a pipe still holds bytes of that way) */
	r = stream_splice_busy(s, 0) ? 0 : conn_recv(s->cli, G->tune_bufsize);
	if (r > 0)
		s->bytes_in += (uint64_t)r;
	s->req.fwd = s->cli->in.data;
	if (s->req.fwd) {
		before = s->req.fwd;
		r = send_parts(sc, NULL, NULL, &s->cli->in, &s->req.fwd);
		if (r < 0) {
			set_term(s, 'S', 'D');
			goto end;
		}
		if (r > 0)
			progress = 1;
		(void)before;
	}
	if ((s->cli->flags & (CF_EOF | CF_ERROR)) && !s->cli->in.data && !stream_splice_busy(s, 0) &&
	    !(sc->flags & CF_SHUTW))
		conn_shutw(sc);
	/* server -> client */
	r = stream_splice_busy(s, 1) ? 0 : conn_recv(sc, G->tune_bufsize);
	s->rsp.fwd = sc->in.data;
	if (!sf(s, SF_TCPRES_DONE)) {
		int v = 1;

		/* as HAProxy, the rules run once the server sent something (or
		 * closed, or the inspect delay is over) */
		if (sc->in.data || (sc->flags & (CF_EOF | CF_ERROR)) || expired(s->exp_insp))
			v = tcp_rsp_rules(s);
		else if (!s->exp_insp && (rules_inspect_delay(s->be, 1) || rules_inspect_delay(s->fe, 1)))
			s->exp_insp = after(rules_inspect_delay(s->be, 1) > rules_inspect_delay(s->fe, 1) ?
					    rules_inspect_delay(s->be, 1) : rules_inspect_delay(s->fe, 1));
		if (v < 0)
			goto end;
		if (!sf(s, SF_TCPRES_DONE))
			s->rsp.fwd = 0;   /* held until the rules decide */
	}
	if (s->cli_out.data || s->rsp.fwd) {
		before = s->rsp.fwd;
		r = send_parts(s->cli, &s->cli_out, NULL, &sc->in, &s->rsp.fwd);
		if (r < 0) {
			set_term(s, 'C', 'D');
			goto end;
		}
		if (r > 0) {
			s->bytes_out += before - s->rsp.fwd;
			progress = 1;
		}
	}
	if ((sc->flags & (CF_EOF | CF_ERROR)) && !sc->in.data && !stream_splice_busy(s, 1) &&
	    !(s->cli->flags & CF_SHUTW))
		conn_shutw(s->cli);
	if ((s->cli->flags & CF_SHUTW) && (sc->flags & CF_SHUTW))
		goto end;
	if ((s->cli->flags & CF_ERROR) || (sc->flags & CF_ERROR))
		goto end;
	/* once a side has sent its FIN, `timeout client-fin` / `server-fin` apply */
	if ((s->cli->flags & CF_EOF) && s->fe->to.client_fin)
		to_c = s->fe->to.client_fin;
	if ((sc->flags & CF_EOF) && s->be->to.server_fin)
		to_s = s->be->to.server_fin;
	if (progress || !s->exp_cli)
		s->exp_cli = after(to_c);
	if (progress || !s->exp_srv)
		s->exp_srv = after(to_s);
	if ((s->cli->flags & CF_EOF) && s->fe->to.client_fin && s->exp_cli > now_ms + to_c)
		s->exp_cli = now_ms + to_c;
	if ((sc->flags & CF_EOF) && s->be->to.server_fin && s->exp_srv > now_ms + to_s)
		s->exp_srv = now_ms + to_s;
	if (expired(s->exp_cli)) {
		set_term(s, 'c', 'D');
		goto end;
	}
	if (expired(s->exp_srv)) {
		set_term(s, 's', 'D');
		goto end;
	}
	/* bytes moved: run again. Readiness is edge-triggered: a socket not
	 * read to EAGAIN gets no new event (a big transfer stalled after two
	 * buffers), and a FIN queued behind the bytes is not announced twice */
	return progress;
end:
	if (s->status < 0 && !sf(s, SF_HTTP))
		s->status = -1;
	stream_log(s);
	stream_close(s);
	return 0;
}

