/* Writing message heads on their way through, from the parsed message as
 * the rules left it (header actions edit the h1_msg in place: see
 * src/rules/hdr_edit.c): hop-by-hop headers are dropped (RFC 9110 7.6.1),
 * framing headers are re-emitted by us, then X-Forwarded-For. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <tandem/buf.h>
#include <tandem/h1.h>
#include <tandem/sock.h>
#include <tandem/stream.h>

static int put(struct buf *b, const char *p, size_t n)
{
	return buf_append(b, p, n);
}

static int puts_(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* "name: value\r\n" with one room check (it runs for every header of
 * every message). */
static int put_hdr(struct buf *b, const char *n, size_t nl, const char *v, size_t vl)
{
	size_t need = nl + vl + 4;
	char *o;

	if (need > buf_room(b))
		return -1;
	if (need > buf_tailroom(b))
		buf_compact(b);
	o = buf_tail(b);
	memcpy(o, n, nl);
	o += nl;
	*o++ = ':';
	*o++ = ' ';
	memcpy(o, v, vl);
	o += vl;
	*o++ = '\r';
	*o = '\n';
	b->data += need;
	return 0;
}

/* Copy the end-to-end headers, skipping framing ones (re-emitted below).
 * Header rules edited the message before: what it holds is what goes. */
static int put_e2e(struct buf *b, const struct h1_msg *m, int drop_expect)
{
	unsigned i;

	for (i = 0; i < m->nhdrs; i++) {
		const struct h1_hdr *h = &m->hdrs[i];

		if (h->hop || h1_str_ieq(h->name, "content-length") ||
		    h1_str_ieq(h->name, "transfer-encoding"))
			continue;
		if (drop_expect && h1_str_ieq(h->name, "expect"))
			continue;
		if (put_hdr(b, h->name.p, h->name.len, h->value.p, h->value.len))
			return -1;
	}
	return 0;
}

static int put_framing(struct buf *b, const struct body *bd, const struct h1_msg *m)
{
	char tmp[64];
	int n;

	if (bd->mode == BM_CHUNKED) {
		/* forwarded as received: the body bytes are passed verbatim, so
		 * any coding applied before chunked (e.g. gzip) still applies */
		const struct h1_hdr *te = h1_find_hdr(m, "transfer-encoding");
		unsigned i, first = 1;

		if (puts_(b, "Transfer-Encoding: "))
			return -1;
		for (i = 0; te && i < m->nhdrs; i++) {
			const struct h1_hdr *h = &m->hdrs[i];
			if (!h1_str_ieq(h->name, "transfer-encoding"))
				continue;
			if ((!first && put(b, ", ", 2)) || put(b, h->value.p, h->value.len))
				return -1;
			first = 0;
		}
		if (first && puts_(b, "chunked"))
			return -1;
		return put(b, "\r\n", 2);
	}
	if (m->flags & H1_F_HAS_CL) {
		/* by hand: this runs for nearly every message (snprintf costs
		 * about a thousand instructions) */
		uint64_t v = m->content_length;
		char *e = tmp + sizeof(tmp), *d = e;

		do {
			*--d = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		n = (int)(e - d);
		if (puts_(b, "Content-Length: ") || put(b, d, (size_t)n))
			return -1;
		return put(b, "\r\n", 2);
	}
	return 0;
}

/* Is <cli> inside the `option forwardfor except` network of <px>? 0 when
 * <px> has none or the families differ. An IPv4-mapped IPv6 client
 * (::ffff:a.b.c.d, what a v4v6 socket reports) is compared as the IPv4
 * address it carries, so `except 10.0.0.0/8` covers it too. */
static int fwdfor_excepted(const struct proxy *px, const struct sockaddr_storage *cli)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a = NULL;
	int bits = px->fwdfor_except_bits;

	if (cli->ss_family == AF_INET) {
		if (px->fwdfor_except_af == AF_INET)
			a = (const uint8_t *)&((const struct sockaddr_in *)cli)->sin_addr;
	} else if (cli->ss_family == AF_INET6) {
		const uint8_t *a6 = ((const struct sockaddr_in6 *)cli)->sin6_addr.s6_addr;

		if (px->fwdfor_except_af == AF_INET6)
			a = a6;
		else if (px->fwdfor_except_af == AF_INET && !memcmp(a6, v4mapped, 12))
			a = a6 + 12;
	}
	if (!a)
		return 0;
	/* the parser cleared the host bits of the network: a prefix compare */
	if (memcmp(a, px->fwdfor_except_addr, (size_t)(bits / 8)))
		return 0;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		if ((a[bits / 8] & mask) != px->fwdfor_except_addr[bits / 8])
			return 0;
	}
	return 1;
}

/* Name of the X-Forwarded-For header to add for this request, or NULL.
 * HAProxy's rules when the frontend and the backend both have a say:
 * - added when either of them sets `option forwardfor`;
 * - the name is the backend's when it sets the option, else the frontend's;
 * - `if-none` holds only if every side that sets the option asked for it
 *   (a side without it wants the header always, and wins);
 * - not added for a client inside the `except` network of either side. */
static const char *fwdfor_header(const struct proxy *fe, const struct proxy *be,
				 const struct h1_msg *m, const struct sockaddr_storage *cli)
{
	int on_fe = !!(fe->options & PR_O_FORWARDFOR), on_be = !!(be->options & PR_O_FORWARDFOR);
	int always = (on_fe && !(fe->options & PR_O_FWDFOR_IFNONE)) ||
		     (on_be && !(be->options & PR_O_FWDFOR_IFNONE));
	const char *hn = on_be && be->fwdfor_hdr ? be->fwdfor_hdr : on_fe && fe->fwdfor_hdr ? fe->fwdfor_hdr :
			 "X-Forwarded-For";

	if (!on_fe && !on_be)
		return NULL;
	if (!always && h1_find_hdr(m, hn))
		return NULL;
	if ((on_fe && fwdfor_excepted(fe, cli)) || (on_be && fwdfor_excepted(be, cli)))
		return NULL;
	return hn;
}

int http_build_req_head(struct stream *s, const struct h1_msg *m, struct buf *out)
{
	const struct proxy *fe = s->fe, *be = s->be;
	const char *hn;
	/* An HTTP/1.0 request goes out as 1.0 (with keep-alive asked for):
	 * the server then never answers with chunked, which a 1.0 client
	 * could not read, and framing passes through unchanged. */
	int ver11 = m->version == 11;

	if (put(out, m->method.p, m->method.len) || put(out, " ", 1) ||
	    put(out, m->uri.p, m->uri.len) ||
	    puts_(out, ver11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n"))
		return -1;
	if (put_e2e(out, m, (s->flags & SF_EXPECT100) != 0))
		return -1;
	if (put_framing(out, &s->req, m))
		return -1;
	if (s->flags & SF_UPGRADE) {
		const struct h1_hdr *u = h1_find_hdr(m, "upgrade");
		if (u && (put_hdr(out, "Upgrade", 7, u->value.p, u->value.len) ||
			  puts_(out, "Connection: upgrade\r\n")))
			return -1;
	}
	if ((hn = fwdfor_header(fe, be, m, &s->cli_addr))) {
		char ip[64];
		int port;

		sock_addr_ip_port(&s->cli_addr, ip, sizeof(ip), &port);
		if (put_hdr(out, hn, strlen(hn), ip, strlen(ip)))
			return -1;
	}
	if (!ver11 && puts_(out, "Connection: keep-alive\r\n"))
		return -1;
	if (((fe->options | be->options) & PR_O_HTTPCLOSE) && puts_(out, "Connection: close\r\n"))
		return -1;
	return put(out, "\r\n", 2);
}

int http_build_rsp_head(struct stream *s, const struct h1_msg *m, struct buf *out)
{
	char tmp[32];
	int n;

	/* "HTTP/1.1 NNN ": the status has three digits (the parser and
	 * set-status say so) */
	memcpy(tmp, "HTTP/1.1 ", 9);
	tmp[9] = (char)('0' + m->status / 100 % 10);
	tmp[10] = (char)('0' + m->status / 10 % 10);
	tmp[11] = (char)('0' + m->status % 10);
	tmp[12] = ' ';
	n = 13;
	if (put(out, tmp, (size_t)n) || put(out, m->reason.p, m->reason.len) || put(out, "\r\n", 2))
		return -1;
	if (put_e2e(out, m, 0))
		return -1;
	if (m->status >= 200 && put_framing(out, &s->rsp, m))
		return -1;
	if (m->status == 101) {
		const struct h1_hdr *u = h1_find_hdr(m, "upgrade");
		if (u && (put_hdr(out, "Upgrade", 7, u->value.p, u->value.len) ||
			  puts_(out, "Connection: upgrade\r\n")))
			return -1;
	}
	if (m->status >= 200) {
		if (!(s->flags & SF_CLI_KA)) {
			if (puts_(out, "Connection: close\r\n"))
				return -1;
		} else if (s->req_ver == 10 && puts_(out, "Connection: keep-alive\r\n"))
			return -1;
	}
	return put(out, "\r\n", 2);
}
