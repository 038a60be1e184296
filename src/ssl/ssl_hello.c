/* A TLS ClientHello from the first bytes of a stream: see
 * include/tandem/ssl_hello.h. Every length is checked against what
 * contains it before it is used; nothing is read past <len>. */
#include <string.h>
#include <tandem/ssl_hello.h>

#define REC_MAX (16384 + 2048)   /* a record's largest payload (RFC 8446 5.2 allows 2^14 + 256; HAProxy's bound) */

/* A bounded reader. */
struct rd { const uint8_t *p; size_t left; int bad; };

static unsigned get(struct rd *r, size_t n)
{
	unsigned v = 0;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | r->p[i];
	r->p += n;
	r->left -= n;
	return v;
}

static const uint8_t *take(struct rd *r, size_t n)
{
	const uint8_t *s = r->p;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return s;
}

static int sslv2(const uint8_t *p, size_t len, struct tls_hello *h)
{
	size_t mlen;

	if (len < 5)
		return TLS_HELLO_MORE;
	mlen = ((size_t)(p[0] & 0x7f) << 8) | p[1];
	if (p[2] != 1 || p[3] < 2 || mlen < 9)
		return TLS_HELLO_NOT;
	if (len < mlen + 2)
		return TLS_HELLO_MORE;
	h->sslv2 = 1;
	h->hello_type = 1;
	h->version = h->max_version = (p[3] << 16) | p[4];
	h->used = mlen + 2;
	return TLS_HELLO_OK;
}

static void extension(struct tls_hello *h, unsigned type, const uint8_t *d, size_t n)
{
	struct rd r = { d, n, 0 };

	switch (type) {
	case 0: {   /* server_name */
		size_t list = get(&r, 2);

		if (r.bad || list > r.left)
			return;
		r.left = list;
		while (r.left && !r.bad) {
			unsigned t = get(&r, 1);
			size_t l = get(&r, 2);
			const uint8_t *name = take(&r, l);

			if (!r.bad && t == 0 && l && !h->sni) {
				h->sni = name;
				h->sni_len = l;
			}
		}
		break;
	}
	case 10:    /* supported_groups */
		h->ec_ext = 1;
		break;
	case 16: {  /* application_layer_protocol_negotiation */
		size_t list = get(&r, 2);

		if (!r.bad && list && list <= r.left) {
			h->alpn = r.p;
			h->alpn_len = list;
		}
		break;
	}
	case 35:    /* session_ticket */
		h->st_ext = n ? 2 : 1;
		break;
	case 43: {  /* supported_versions */
		size_t l = get(&r, 1);

		for (size_t i = 0; i + 2 <= l && !r.bad; i += 2) {
			unsigned v = get(&r, 2);

			if (r.bad || (v & 0x0f0f) == 0x0a0a)
				continue;   /* GREASE values are ignored */
			if (v >> 8 == 3 && (int)((3u << 16) | (v & 0xff)) > h->max_version)
				h->max_version = (int)((3u << 16) | (v & 0xff));
		}
		break;
	}
	default:
		break;
	}
}

int tls_hello_parse(const uint8_t *p, size_t len, struct tls_hello *h)
{
	struct rd r;
	size_t rlen, mlen;
	unsigned type;

	memset(h, 0, sizeof(*h));
	if (!len)
		return TLS_HELLO_MORE;
	if (p[0] & 0x80)
		return sslv2(p, len, h);
	if (p[0] != 0x16)
		return TLS_HELLO_NOT;   /* not a handshake record */
	if (len < 5)
		return (len < 2 || p[1] == 3) ? TLS_HELLO_MORE : TLS_HELLO_NOT;
	if (p[1] != 3)
		return TLS_HELLO_NOT;
	rlen = ((size_t)p[3] << 8) | p[4];
	if (rlen < 4 || rlen > REC_MAX)
		return TLS_HELLO_NOT;
	if (len < 5 + rlen) {
		/* the message header may already say it cannot fit */
		if (len >= 9) {
			mlen = ((size_t)p[6] << 16) | ((size_t)p[7] << 8) | p[8];
			if (mlen + 4 > rlen)
				return TLS_HELLO_NOT;
		}
		return TLS_HELLO_MORE;
	}
	r = (struct rd){ p + 5, rlen, 0 };
	type = get(&r, 1);
	mlen = get(&r, 3);
	if (mlen > r.left)
		return TLS_HELLO_NOT;   /* spread over several records: not read */
	r.left = mlen;
	h->hello_type = (int)type;
	h->used = 5 + rlen;
	if (type != 1) {
		/* another handshake message: its type is all there is to know */
		h->version = h->max_version = (p[1] << 16) | p[2];
		return TLS_HELLO_OK;
	}
	{
		unsigned maj = get(&r, 1), min = get(&r, 1);
		size_t n;

		if (r.bad || maj != 3)
			return TLS_HELLO_NOT;
		h->version = h->max_version = (int)((maj << 16) | min);
		take(&r, 32);                   /* random */
		n = get(&r, 1);                 /* session id */
		if (n > 32)
			return TLS_HELLO_NOT;
		take(&r, n);
		n = get(&r, 2);                 /* cipher suites */
		if (n & 1)
			return TLS_HELLO_NOT;
		take(&r, n);
		n = get(&r, 1);                 /* compression methods */
		take(&r, n);
		if (r.bad)
			return TLS_HELLO_NOT;
		if (!r.left)
			return TLS_HELLO_OK;        /* no extensions */
		n = get(&r, 2);
		if (r.bad || n > r.left)
			return TLS_HELLO_NOT;
		r.left = n;
		while (r.left) {
			unsigned et = get(&r, 2);
			size_t el = get(&r, 2);
			const uint8_t *d = take(&r, el);

			if (r.bad)
				return TLS_HELLO_NOT;
			extension(h, et, d, el);
		}
	}
	return TLS_HELLO_OK;
}

int tls_hello_alpn_next(const struct tls_hello *h, size_t *off, const uint8_t **name, size_t *nlen)
{
	size_t l;

	if (!h->alpn || *off >= h->alpn_len)
		return 0;
	l = h->alpn[*off];
	if (!l || *off + 1 + l > h->alpn_len)
		return 0;
	*name = h->alpn + *off + 1;
	*nlen = l;
	*off += 1 + l;
	return 1;
}
