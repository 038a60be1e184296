/* Run the converted third-party vectors (see convert.py, README.md) through
 * tandem's HTTP/1.x parser and chunked decoder.
 *
 * usage: run_corpus VECTOR_DIR
 * Prints "PASS name" or "FAIL name: why" per vector; exits 1 on any FAIL.
 *
 * A vector is a byte stream as one connection would carry it: possibly
 * several pipelined messages with bodies. The runner frames it the way the
 * proxy would: head, then body by Content-Length / chunked / until close,
 * then the next message. It stops at a tunnel (CONNECT, Upgrade, 101), and
 * treats bytes after a message that closes the connection as refused
 * (the proxy closes and never reads them). Running out of bytes without an
 * error counts as accepted. Along the way it checks parser invariants:
 * every strict prefix of an accepted head is H1_INCOMPLETE, and the chunked
 * decoder gives the same answer fed in one piece or byte by byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/h1.h>

struct outcome {
	int         rejected;     /* 1 = an error was reported */
	int         status;       /* err_status when rejected */
	const char *reason;
	size_t      pos;          /* byte offset in the stream */
	size_t      used;         /* bytes framed when not rejected */
	const char *stop;         /* why framing stopped early, if it did */
	char        detail[160];  /* invariant violation, if any */
};

static const struct h1_limits lim = { 16384 - 1024, H1_MAX_HDRS };

/* Parse one head; also checks that every shorter prefix is incomplete
 * (or, for refused input, that no prefix is accepted as a head). */
static int parse_head(int is_req, const char *p, size_t len, struct h1_msg *m,
		      struct outcome *o)
{
	static struct h1_msg tmp;
	int r = is_req ? h1_parse_request(p, len, m, &lim)
		       : h1_parse_response(p, len, m, &lim);
	size_t upto = r > 0 ? (size_t)r : len;

	for (size_t k = 0; k < upto; k++) {
		int rk = is_req ? h1_parse_request(p, k, &tmp, &lim)
				: h1_parse_response(p, k, &tmp, &lim);
		if (rk > 0 || (r > 0 && rk != H1_INCOMPLETE)) {
			snprintf(o->detail, sizeof(o->detail),
				 "prefix %zu of %zu gave %d (%s)", k, upto, rk,
				 rk == H1_ERROR ? tmp.err_reason : "head");
			return H1_ERROR;
		}
	}
	if (r > 0 && (m->head_len != (size_t)r)) {
		snprintf(o->detail, sizeof(o->detail), "head_len %zu != %d", m->head_len, r);
		return H1_ERROR;
	}
	return r;
}

/* Feed a chunked body; returns bytes consumed (*done set), or -1. Checks
 * that byte-by-byte feeding agrees with feeding everything at once. */
static long feed_chunked(const char *p, size_t len, int *done, struct outcome *o)
{
	struct h1_chunk a, b;
	ssize_t ra, rb = 0;

	h1_chunk_init(&a);
	ra = h1_chunk_feed(&a, p, len);
	h1_chunk_init(&b);
	for (size_t i = 0; i < len && !b.done; i++) {
		ssize_t r = h1_chunk_feed(&b, p + i, 1);
		if (r < 0) { rb = -1; break; }
		rb += r;
	}
	if (ra != rb || (ra >= 0 && (a.done != b.done || a.data_total != b.data_total))) {
		snprintf(o->detail, sizeof(o->detail),
			 "chunked split mismatch: whole=%zd bytewise=%zd", ra, rb);
		return -2;
	}
	*done = a.done;
	return ra;
}

static void run_stream(int is_req, const char *buf, size_t len, struct outcome *o)
{
	static struct h1_msg m;
	size_t off = 0;
	int bad = is_req ? 400 : 502;

	memset(o, 0, sizeof(*o));
	o->stop = "incomplete";
	while (off < len) {
		int r = parse_head(is_req, buf + off, len - off, &m, o);
		int persistent, status;

		o->used = off;
		if (o->detail[0])
			return;
		if (r == H1_INCOMPLETE)
			return;
		if (r == H1_ERROR) {
			o->rejected = 1;
			o->status = m.err_status;
			o->reason = m.err_reason;
			o->pos = off + m.err_pos;
			return;
		}
		off += (size_t)r;
		o->used = off;
		status = m.status;

		o->stop = "tunnel";
		if (is_req && m.meth == H1_M_CONNECT)
			return;
		if (!is_req && status == 101)
			return;
		o->stop = "incomplete body";
		if (!is_req && !h1_resp_has_body(H1_M_GET, status)) {
			/* no body */
		} else if (m.flags & H1_F_CHUNKED) {
			int done = 0;
			long n = feed_chunked(buf + off, len - off, &done, o);
			if (n == -2)
				return;
			if (n < 0) {
				o->rejected = 1;
				o->status = bad;
				o->reason = "chunked framing error";
				o->pos = off;
				return;
			}
			off += (size_t)n;
			o->used = off;
			if (!done)
				return;
		} else if (m.flags & H1_F_HAS_CL) {
			if (m.content_length > len - off)
				return;
			off += m.content_length;
			o->used = off;
		} else if (!is_req && (m.flags & H1_F_BODY_TO_CLOSE)) {
			o->used = len;
			return;                     /* body runs to the end */
		}
		o->stop = "upgrade";
		if (is_req && (m.flags & H1_F_CONN_UPGRADE) && (m.flags & H1_F_UPGRADE))
			return;
		o->stop = "incomplete";
		if (!is_req && status < 200)
			continue;                   /* interim response */
		persistent = m.version == 11 ? !(m.flags & H1_F_CONN_CLOSE)
			: (m.flags & H1_F_CONN_KA) && !(m.flags & H1_F_CONN_CLOSE);
		if (!persistent && off < len) {
			o->rejected = 1;
			o->status = bad;
			o->reason = "data after a message that closes the connection";
			o->pos = off;
			return;
		}
	}
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = 0;
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Value of "key: " in the vector's text header, copied to out. */
static int meta(const char *hdr, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	for (const char *l = hdr; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == ':' && l[kl + 1] == ' ') {
			const char *v = l + kl + 2, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, v, n);
			out[n] = 0;
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096], line[1024];
	FILE *idx;
	int fails = 0, passes = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTOR_DIR\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/index.txt", argv[1]);
	idx = fopen(path, "r");
	if (!idx) {
		perror(path);
		return 2;
	}
	while (fgets(line, sizeof(line), idx)) {
		char name[256] = "", type[32] = "", expect[32] = "", st[16] = "";
		struct outcome o;
		size_t len = 0;
		char *buf, *sep;
		int want_status;

		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], line);
		buf = read_file(path, &len);
		if (!buf || !(sep = strstr(buf, "\n\n"))) {
			printf("FAIL %s: cannot read vector\n", line);
			fails++;
			free(buf);
			continue;
		}
		*sep = 0;
		meta(buf, "name", name, sizeof(name));
		meta(buf, "type", type, sizeof(type));
		meta(buf, "expect", expect, sizeof(expect));
		want_status = meta(buf, "status", st, sizeof(st)) ? atoi(st) : 0;
		sep += 2;
		run_stream(!strcmp(type, "request"), sep, len - (size_t)(sep - buf), &o);

		if (o.detail[0]) {
			printf("FAIL %s: invariant: %s\n", name, o.detail);
			fails++;
		} else if (!strcmp(expect, "accept") && o.rejected) {
			printf("FAIL %s: rejected (%d %s at %zu), expected accept\n",
			       name, o.status, o.reason, o.pos);
			fails++;
		} else if (!strcmp(expect, "reject") && !o.rejected) {
			printf("FAIL %s: accepted, expected reject\n", name);
			fails++;
		} else if (!strcmp(expect, "reject") && want_status && o.status != want_status) {
			printf("FAIL %s: rejected with %d (%s), expected %d\n",
			       name, o.status, o.reason, want_status);
			fails++;
		} else {
			size_t n = len - (size_t)(sep - buf);
			if (o.rejected)
				printf("PASS %s (rejected: %d %s)\n", name, o.status, o.reason);
			else if (o.used < n)
				printf("PASS %s (accepted %zu of %zu bytes: %s)\n",
				       name, o.used, n, o.stop);
			else
				printf("PASS %s\n", name);
			passes++;
		}
		free(buf);
	}
	fclose(idx);
	fprintf(stderr, "run_corpus: %d passed, %d failed\n", passes, fails);
	return fails ? 1 : 0;
}
