/* Editing a parsed head in place for header and URI actions. The h1_msg
 * stays zero-copy: an unchanged field still points into the input buffer,
 * a changed value points into the request's arena, a deleted header leaves
 * hdrs[], an added one is appended. The stream then emits the outgoing
 * head from the edited message.
 *
 * What rules may not change: the framing (Content-Length,
 * Transfer-Encoding), which tandem re-emits from its own framing state, is
 * refused at load (see action.c). Hop-by-hop headers set by a rule are
 * marked hop (not forwarded as is); a rule that sets "Connection: close"
 * sets H1_F_CONN_CLOSE, so the stream closes after this transaction. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <tandem/h1.h>
#include <tandem/sample.h>
#include "rules_int.h"

char *arena_dup(struct smp_ctx *ctx, const char *p, size_t len)
{
	char *o = smp_alloc(ctx, len + 1);

	if (o) {
		memcpy(o, p, len);
		o[len] = 0;
	}
	return o;
}

int hdr_kind(const char *name, size_t len)
{
	static const struct { const char *n; size_t l; int kind; } names[] = {
		{ "content-length", 14, 2 }, { "transfer-encoding", 17, 2 },
		{ "connection", 10, 1 }, { "keep-alive", 10, 1 }, { "proxy-connection", 16, 1 },
		{ "te", 2, 1 }, { "trailer", 7, 1 }, { "upgrade", 7, 1 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].l == len && !strncasecmp(names[i].n, name, len))
			return names[i].kind;
	return 0;
}

/* A value may not break the head: no CR, LF or NUL. */
static int value_ok(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] == '\r' || v[i] == '\n' || v[i] == 0)
			return 0;
	return 1;
}

static int has_close(const char *v, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++)
		if (!strncasecmp(v + i, "close", 5) && (i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
		    (i + 5 == len || v[i + 5] == ',' || v[i + 5] == ' '))
			return 1;
	return 0;
}

/* Keep the message's derived fields in line with header <h>. */
static void note_hdr(struct h1_msg *m, struct h1_hdr *h)
{
	h->hop = hdr_kind(h->name.p, h->name.len) == 1;
	if (h1_str_ieq(h->name, "connection") && has_close(h->value.p, h->value.len))
		m->flags |= H1_F_CONN_CLOSE;
}

static void refresh_host(struct h1_msg *m)
{
	m->flags &= ~(uint32_t)H1_F_HAS_HOST;
	m->host.p = NULL;
	m->host.len = 0;
	for (unsigned i = 0; i < m->nhdrs; i++)
		if (h1_str_ieq(m->hdrs[i].name, "host")) {
			m->host = m->hdrs[i].value;
			m->flags |= H1_F_HAS_HOST;
			return;
		}
}

int msg_add_hdr(struct smp_ctx *ctx, struct h1_msg *m, const char *name, size_t nlen,
		const char *val, size_t vlen)
{
	struct h1_hdr *h;

	if (m->nhdrs >= H1_MAX_HDRS || !value_ok(val, vlen))
		return -1;
	h = &m->hdrs[m->nhdrs++];
	h->name.p = name;
	h->name.len = (uint32_t)nlen;
	h->value.p = val;
	h->value.len = (uint32_t)vlen;
	note_hdr(m, h);
	if (nlen == 4 && !strncasecmp(name, "host", 4))
		refresh_host(m);
	smp_ctx_invalidate(ctx);
	return 0;
}

int msg_set_hdr_value(struct smp_ctx *ctx, struct h1_msg *m, unsigned idx, const char *val, size_t vlen)
{
	struct h1_hdr *h = &m->hdrs[idx];

	if (!value_ok(val, vlen))
		return -1;
	h->value.p = val;
	h->value.len = (uint32_t)vlen;
	note_hdr(m, h);
	if (h1_str_ieq(h->name, "host"))
		refresh_host(m);
	smp_ctx_invalidate(ctx);
	return 0;
}

void msg_del_hdr(struct smp_ctx *ctx, struct h1_msg *m, unsigned idx)
{
	int host = h1_str_ieq(m->hdrs[idx].name, "host");

	memmove(&m->hdrs[idx], &m->hdrs[idx + 1], (m->nhdrs - idx - 1) * sizeof(m->hdrs[0]));
	m->nhdrs--;
	if (host)
		refresh_host(m);
	smp_ctx_invalidate(ctx);
}

/* A request target may not contain controls, spaces or DEL. */
static int target_ok(const char *p, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return 0;
	return 1;
}

int msg_set_uri(struct smp_ctx *ctx, struct h1_msg *m, const char *uri, size_t len)
{
	if (!target_ok(uri, len))
		return -1;
	m->uri.p = uri;
	m->uri.len = (uint32_t)len;
	smp_ctx_invalidate(ctx);
	return 0;
}

static const struct { const char *n; enum h1_method m; } methods[] = {
	{ "GET", H1_M_GET }, { "HEAD", H1_M_HEAD }, { "POST", H1_M_POST }, { "PUT", H1_M_PUT },
	{ "DELETE", H1_M_DELETE }, { "CONNECT", H1_M_CONNECT }, { "OPTIONS", H1_M_OPTIONS },
	{ "TRACE", H1_M_TRACE }, { "PATCH", H1_M_PATCH },
};

int msg_set_method(struct smp_ctx *ctx, struct h1_msg *m, const char *meth, size_t len)
{
	/* a method is a token (RFC 9110 9.1) */
	if (!len)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)meth[i]) && !strchr("!#$%&'*+-.^_`|~", meth[i]))
			return -1;
	m->method.p = meth;
	m->method.len = (uint32_t)len;
	m->meth = H1_M_OTHER;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i].n) == len && !memcmp(methods[i].n, meth, len))
			m->meth = methods[i].m;
	smp_ctx_invalidate(ctx);
	return 0;
}
