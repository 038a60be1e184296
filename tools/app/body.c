/* Request body consumption for tandem-app: Content-Length or chunked
 * framing, read piecewise from the connection's input buffer so any size
 * streams through constant memory. Payload bytes are counted and, for
 * /echo, hashed (for POST /api/todos, kept up to APP_KEEP_MAX bytes).
 *
 * Chunked bodies are validated by the library's h1_chunk_feed(), which
 * reports how many raw bytes belong to the body but not where the chunk
 * data lies inside them. To hash (or keep) only the payload, framing bytes are fed
 * one at a time and the decoder's data_total tells whether a byte was
 * payload; once inside a chunk, c->remain says how many more bytes are
 * payload and they are fed in bulk. Framing is a few bytes per chunk, so
 * this stays fast. */
#include <string.h>
#include <tandem/buf.h>
#include <tandem/h1.h>
#include "app.h"

/* Account <n> payload bytes at <p>. */
static void payload(struct req *r, const char *p, size_t n)
{
	r->body_len += n;
	if (r->hash_body)
		sha256_update(&r->sha, p, n);
	if (r->keep) {
		size_t k = n;

		if (r->keep_len + k > APP_KEEP_MAX) {
			k = APP_KEEP_MAX - r->keep_len;
			r->keep_over = 1;
		}
		memcpy(r->keep + r->keep_len, p, k);
		r->keep_len += k;
	}
}

/* Chunked body, payload needed: see the file comment. Returns bytes consumed
 * from <p> or -1. */
static ssize_t chunked_hash(struct req *r, const char *p, size_t len)
{
	struct h1_chunk *ck = &r->chunk;
	size_t off = 0;

	while (off < len && !ck->done) {
		uint64_t before = ck->data_total;
		ssize_t n;

		if (r->chunk_in_data && ck->remain) {
			size_t k = len - off < ck->remain ? len - off : (size_t)ck->remain;

			n = h1_chunk_feed(ck, p + off, k);
			if (n != (ssize_t)k || ck->data_total - before != k)
				return -1;  /* decoder disagrees on where data is */
			payload(r, p + off, k);
			off += k;
			if (!ck->remain)
				r->chunk_in_data = 0;
			continue;
		}
		n = h1_chunk_feed(ck, p + off, 1);
		if (n < 0)
			return -1;
		if (n == 0)
			break;  /* cannot happen before done; never spin */
		if (ck->data_total != before) {
			payload(r, p + off, 1);
			r->chunk_in_data = 1;
		} else {
			r->chunk_in_data = 0;
		}
		off++;
	}
	return (ssize_t)off;
}

int body_consume(struct req *r, struct buf *in)
{
	const char *p = buf_ptr(in);
	size_t len = in->data;
	ssize_t n;

	switch (r->bmode) {
	case BM_NONE:
		return 1;
	case BM_LENGTH:
		n = (ssize_t)(len < r->body_left ? len : r->body_left);
		payload(r, p, (size_t)n);
		r->body_left -= (uint64_t)n;
		buf_consume(in, (size_t)n);
		return r->body_left == 0;
	case BM_CHUNKED:
		if (r->hash_body || r->keep) {
			n = chunked_hash(r, p, len);
		} else {
			uint64_t before = r->chunk.data_total;

			n = len ? h1_chunk_feed(&r->chunk, p, len) : 0;
			if (n >= 0)
				r->body_len += r->chunk.data_total - before;
		}
		if (n < 0)
			return -1;
		buf_consume(in, (size_t)n);
		return r->chunk.done;
	}
	return -1;
}
