/* `option splice-request`, `splice-response`, `splice-auto`: bytes that
 * need no inspection go from one socket to the other through a pipe with
 * splice(2), without being copied to user space:
 *  - tunnels (mode tcp, and after a 101 or a CONNECT), both directions;
 *  - response bodies with a Content-Length, once their head went out.
 * Request bodies in HTTP mode are not spliced: tandem keeps them until the
 * response starts so that a request can be sent again to another server.
 * Only between plain sockets (the raw transport), and only once what was
 * already read into a buffer went out (the order of the bytes is kept).
 * `splice-auto` splices tunnels, and bodies of more than one buffer.
 * A pipe that cannot be made (descriptors exhausted) falls back to the
 * usual copy. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <tandem/conn.h>
#include "stream_int.h"

enum { DIR_REQ = 0, DIR_RSP = 1 };

struct splice_pipe {
	int    fd[2][2];     /* per direction: read end, write end (-1: none) */
	size_t in[2];        /* bytes waiting in each pipe */
};

#define SPL_CHUNK (1u << 20)   /* at most this much per splice(2) call */

static int dir_enabled(const struct stream *s, int dir)
{
	uint32_t o = s->fe->options | (s->be ? s->be->options : 0);

	return (o & PR_O_SPLICE_AUTO) || (o & (dir == DIR_REQ ? PR_O_SPLICE_REQ : PR_O_SPLICE_RSP));
}

static int raw(const struct conn *c)
{
	return c && c->xprt == &xprt_raw && c->io.fd >= 0;
}

static struct splice_pipe *pipes(struct stream *s, int dir)
{
	struct splice_pipe *p = s->spl;

	if (!p) {
		if (!(p = calloc(1, sizeof(*p))))
			return NULL;
		p->fd[0][0] = p->fd[0][1] = p->fd[1][0] = p->fd[1][1] = -1;
		s->spl = p;
	}
	if (p->fd[dir][0] < 0) {
		if (pipe2(p->fd[dir], O_NONBLOCK | O_CLOEXEC) < 0) {
			p->fd[dir][0] = p->fd[dir][1] = -1;
			return NULL;
		}
		if (G->tune_pipesize)
			fcntl(p->fd[dir][1], F_SETPIPE_SZ, (int)G->tune_pipesize);
	}
	return p;
}

void stream_splice_free(struct stream *s)
{
	struct splice_pipe *p = s->spl;

	if (!p)
		return;
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < 2; k++)
			if (p->fd[d][k] >= 0)
				close(p->fd[d][k]);
	free(p);
	s->spl = NULL;
}

int stream_splice_busy(const struct stream *s, int rsp)
{
	return s->spl && s->spl->in[rsp ? DIR_RSP : DIR_REQ];
}

/* Move up to <max> bytes from <src> to <dst> through the pipe of <dir>.
 * Returns the bytes delivered to <dst> (may be 0), *got the bytes taken
 * from <src>; sets CF_EOF / CF_ERROR on the connections and clears their
 * readiness as the calls tell. */
static size_t pump(struct stream *s, int dir, struct conn *src, struct conn *dst, uint64_t max, size_t *got)
{
	struct splice_pipe *p = s->spl;
	size_t out = 0;

	*got = 0;
	for (;;) {
		ssize_t n;

		/* the pipe first: what is in it goes out before anything else */
		while (p->in[dir]) {
			if (!(dst->flags & CF_WR_READY))
				return out;
			n = splice(p->fd[dir][0], NULL, dst->io.fd, NULL, p->in[dir], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->in[dir] -= (size_t)n;
				out += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EAGAIN) {
				dst->flags &= ~CF_WR_READY;
				return out;
			}
			if (n < 0 && errno == EINTR)
				continue;
			dst->flags |= CF_ERROR;
			dst->err = n < 0 ? errno : EPIPE;
			return out;
		}
		if (!max || !(src->flags & CF_RD_READY) || (src->flags & (CF_EOF | CF_ERROR)))
			return out;
		n = splice(src->io.fd, NULL, p->fd[dir][1], NULL, max < SPL_CHUNK ? (size_t)max : SPL_CHUNK,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			p->in[dir] += (size_t)n;
			*got += (size_t)n;
			max -= (uint64_t)n;
			continue;
		}
		if (n == 0) {
			src->flags |= CF_EOF;
			return out;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* the socket is empty, or the pipe is full (then the
			 * writer side above will drain it first) */
			if (!p->in[dir])
				src->flags &= ~CF_RD_READY;
			else
				continue;
			return out;
		}
		src->flags |= CF_ERROR;
		src->err = errno;
		return out;
	}
}

int stream_splice_tunnel(struct stream *s)
{
	struct conn *sc = s->sc;
	int progress = 0;
	size_t n, got;

	if (!raw(s->cli) || !raw(sc))
		return 0;
	/* client -> server, once its buffer is empty */
	if (dir_enabled(s, DIR_REQ) && !s->cli->in.data && !(sc->flags & CF_SHUTW) &&
	    (stream_splice_busy(s, 0) || (s->cli->flags & CF_RD_READY)) && pipes(s, DIR_REQ)) {
		n = pump(s, DIR_REQ, s->cli, sc, UINT64_MAX, &got);
		s->bytes_in += got;
		progress |= n > 0 || got > 0;
	}
	if (dir_enabled(s, DIR_RSP) && !sc->in.data && !s->cli_out.data && !(s->cli->flags & CF_SHUTW) &&
	    (stream_splice_busy(s, 1) || (sc->flags & CF_RD_READY)) && pipes(s, DIR_RSP)) {
		n = pump(s, DIR_RSP, sc, s->cli, UINT64_MAX, &got);
		s->bytes_out += n;
		progress |= n > 0 || got > 0;
	}
	return progress;
}

int stream_splice_rsp_body(struct stream *s, int *progress)
{
	struct conn *sc = s->sc;
	size_t n, got;
	uint32_t o = s->fe->options | s->be->options;

	if (!stream_splice_busy(s, 1)) {
		if (s->rsp.phase != MSG_BODY || s->rsp.mode != BM_CL || !s->rsp.remain || s->rsp.fwd ||
		    sc->in.data || s->cli_out.data || !raw(s->cli) || !raw(sc) || !dir_enabled(s, DIR_RSP))
			return 0;
		/* splice-auto: only bodies larger than a buffer are worth a pipe */
		if (!(o & PR_O_SPLICE_RSP) && s->rsp.remain <= G->tune_bufsize)
			return 0;
		if (!(sc->flags & CF_RD_READY) || !pipes(s, DIR_RSP))
			return 0;
	}
	n = pump(s, DIR_RSP, sc, s->cli, s->rsp.remain, &got);
	s->rsp.remain -= got;          /* the body's framing counts what was taken */
	s->bytes_out += n;
	s->rsp.sent += n;
	if (n) {
		s->flags |= SF_RSP_STARTED;
		s->exp_cli = after(s->fe->to.client);
	}
	if (got)
		s->exp_srv = after(s->be->to.server);
	*progress |= n > 0 || got > 0;
	if (stream_splice_busy(s, 1))
		return 1;              /* the pipe still holds bytes for the client */
	if (!s->rsp.remain)
		s->rsp.phase = MSG_DONE;
	return 0;                      /* the usual path judges what is left (end, a close) */
}
