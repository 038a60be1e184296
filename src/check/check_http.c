/* HTTP health checks: the request `option httpchk` and `http-check send`
 * describe, and the judgement of the response by `http-check expect`
 * rules (default: a status in 200-399), with HAProxy's statuses:
 *   L7OK   every expectation met (code = the status);
 *   L7STS  status or rstatus not met (info = the reason phrase);
 *   L7RSP  string or rstring not met, no body, invalid or empty response.
 * Responses are parsed with h1_parse_response; a body is read (up to the
 * check buffer) only when a string/rstring expectation needs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/h1.h>
#include "check_int.h"

/* ---- request ---- */

static int has_hdr(const struct chk_hdr *h, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(h[i].name, name))
			return 1;
	return 0;
}

long chk_http_request(const struct chk_px *px, char **out)
{
	const char *meth = px->s_meth ? px->s_meth : px->meth ? px->meth : "OPTIONS";
	const char *uri = px->s_uri ? px->s_uri : px->uri ? px->uri : "/";
	const char *ver = px->s_ver ? px->s_ver : px->ver ? px->ver : "HTTP/1.0";
	size_t blen = px->body ? strlen(px->body) : 0, cap = 256 + blen;
	char *b;
	size_t n = 0;

	cap += strlen(meth) + strlen(uri) + strlen(ver);
	for (int i = 0; i < px->nhdrs; i++)
		cap += strlen(px->hdrs[i].name) + strlen(px->hdrs[i].value) + 4;
	for (int i = 0; i < px->s_nhdrs; i++)
		cap += strlen(px->s_hdrs[i].name) + strlen(px->s_hdrs[i].value) + 4;
	if (!(b = malloc(cap)))
		return -1;
	n += (size_t)snprintf(b + n, cap - n, "%s %s %s\r\n", meth, uri, ver);
	for (int i = 0; i < px->nhdrs; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s: %s\r\n", px->hdrs[i].name, px->hdrs[i].value);
	for (int i = 0; i < px->s_nhdrs; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s: %s\r\n", px->s_hdrs[i].name, px->s_hdrs[i].value);
	/* as HAProxy: the check asks for a close and always states its length */
	if (!has_hdr(px->hdrs, px->nhdrs, "connection") && !has_hdr(px->s_hdrs, px->s_nhdrs, "connection"))
		n += (size_t)snprintf(b + n, cap - n, "Connection: close\r\n");
	if (!has_hdr(px->hdrs, px->nhdrs, "content-length") && !has_hdr(px->s_hdrs, px->s_nhdrs, "content-length"))
		n += (size_t)snprintf(b + n, cap - n, "Content-Length: %zu\r\n", blen);
	n += (size_t)snprintf(b + n, cap - n, "\r\n");
	if (blen) {
		memcpy(b + n, px->body, blen);
		n += blen;
	}
	b[n] = 0;   /* not sent; handy for tests and logs */
	*out = b;
	return (long)n;
}

/* ---- matching ---- */

static int rx_match(const regex_t *re, const char *buf, size_t len)
{
	regmatch_t m[1];

	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	return regexec(re, buf, 1, m, REG_STARTEND) == 0;
}

int chk_expect_match(const struct chk_expect *e, const char *buf, size_t len)
{
	switch (e->type) {
	case EXP_STRING:
		return memmem(buf, len, e->pat, strlen(e->pat)) != NULL;
	case EXP_BINARY:
		return memmem(buf, len, e->bin, e->binlen) != NULL;
	case EXP_RSTRING:
		return e->has_re && rx_match(&e->re, buf, len);
	case EXP_RBINARY: {     /* the regex runs over the bytes written in hex */
		static const char hx[] = "0123456789ABCDEF";
		char *d = malloc(2 * len + 1);
		int m;

		if (!d)
			return 0;
		for (size_t i = 0; i < len; i++) {
			d[2 * i] = hx[(unsigned char)buf[i] >> 4];
			d[2 * i + 1] = hx[(unsigned char)buf[i] & 15];
		}
		d[2 * len] = 0;
		m = e->has_re && rx_match(&e->re, d, 2 * len);
		free(d);
		return m;
	}
	default:
		return 0;
	}
}

static int status_match(const struct chk_expect *e, int status)
{
	char txt[16];

	if (e->type == EXP_STATUS) {
		for (int i = 0; i < e->nranges; i++)
			if (status >= e->ranges[i][0] && status <= e->ranges[i][1])
				return 1;
		return 0;
	}
	snprintf(txt, sizeof(txt), "%d", status);
	return e->has_re && rx_match(&e->re, txt, strlen(txt));
}

/* ---- response ---- */

/* Payload of a complete (or cut) chunked body into <out> (same size).
 * Returns the payload length. Tolerant: stops at the first oddity. */
static size_t dechunk(const char *p, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t sz = 0, take;
		int digits = 0;

		while (i < len && strchr("0123456789abcdefABCDEF", p[i]) && p[i]) {
			int c = p[i++];
			sz = sz * 16 + (size_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
			if (++digits > 15)
				return o;
		}
		if (!digits)
			return o;
		while (i < len && p[i] != '\n')   /* extensions, CR */
			i++;
		if (i++ >= len || !sz)
			return o;
		take = sz < len - i ? sz : len - i;
		memcpy(out + o, p + i, take);
		o += take;
		i += take;
		if (i < len && p[i] == '\r')
			i++;
		if (i < len && p[i] == '\n')
			i++;
	}
	return o;
}

static void with_comment(char *desc, size_t len, const char *text, const struct chk_expect *e)
{
	if (e && e->comment)
		snprintf(desc, len, "%s comment: %s", text, e->comment);
	else
		snprintf(desc, len, "%s", text);
}

static __thread struct h1_msg msg;   /* big (headers array): one per thread */

int chk_http_eval(const struct chk_px *px, const char *buf, size_t len, size_t cap, int eof,
		  int *status, int *code, char *desc, size_t desclen)
{
	static int def_range[1][2] = { { 200, 399 } };
	static const struct chk_expect def = { .type = EXP_STATUS, .ranges = def_range, .nranges = 1 };
	struct h1_limits lim = { .max_head = cap, .max_hdrs = H1_MAX_HDRS };
	const char *meth = px->s_meth ? px->s_meth : px->meth ? px->meth : "OPTIONS";
	int last = eof || len >= cap, need_body = 0, n;
	size_t off = 0, head_end, blen = 0;
	const char *body = NULL;
	char *scratch = NULL;
	int rc;

	*code = 0;
	*desc = 0;
	for (;;) {
		rc = h1_parse_response(buf + off, len - off, &msg, &lim);
		if (rc == H1_INCOMPLETE) {
			if (!last)
				return 0;
			*status = HCHK_L7RSP;
			if (!len)
				snprintf(desc, desclen, "TCPCHK got an empty response at step 1");
			return 1;
		}
		if (rc < 0) {
			*status = HCHK_L7RSP;
			return 1;
		}
		if (msg.status >= 200)
			break;
		off += (size_t)rc;    /* 1xx: the final response follows */
	}
	head_end = off + (size_t)rc;
	*code = msg.status;
	for (int i = 0; i < px->n_http_exp; i++)
		if (px->http_exp[i].type == EXP_STRING || px->http_exp[i].type == EXP_RSTRING)
			need_body = 1;
	if (need_body && h1_resp_has_body(strcasecmp(meth, "HEAD") ? H1_M_GET : H1_M_HEAD, msg.status)) {
		const char *p = buf + head_end;
		size_t avail = len - head_end;

		if (msg.flags & H1_F_CHUNKED) {
			struct h1_chunk ck;
			ssize_t used;

			h1_chunk_init(&ck);
			used = h1_chunk_feed(&ck, p, avail);
			if (used >= 0 && !ck.done && !last)
				return 0;
			if (!(scratch = malloc(avail + 1))) {
				*status = HCHK_SOCKERR;
				return 1;
			}
			blen = dechunk(p, used >= 0 ? (size_t)used : avail, scratch);
			body = scratch;
		} else if (msg.flags & H1_F_HAS_CL) {
			if (avail < msg.content_length && !last)
				return 0;
			blen = avail < msg.content_length ? avail : (size_t)msg.content_length;
			body = p;
		} else {
			if (!last)
				return 0;
			blen = avail;
			body = p;
		}
	}
	*status = HCHK_L7OK;
	n = px->n_http_exp ? px->n_http_exp : 1;
	for (int i = 0; i < n; i++) {
		const struct chk_expect *e = px->n_http_exp ? &px->http_exp[i] : &def;
		char reason[128];
		int m;

		if (e->type == EXP_STATUS || e->type == EXP_RSTATUS || e->type == EXP_HDR || e->type == EXP_FHDR) {
			m = e->type == EXP_HDR || e->type == EXP_FHDR ? chk_hdr_match(e, &msg) : status_match(e, msg.status);
			if (m ^ e->inverse)
				continue;
			snprintf(reason, sizeof(reason), "%.*s", (int)msg.reason.len, msg.reason.p ? msg.reason.p : "");
			with_comment(desc, desclen, reason, px->n_http_exp ? e : NULL);
			*status = e->err_status ? e->err_status : HCHK_L7STS;
			break;
		}
		if (!blen) {
			with_comment(desc, desclen, "HTTP content check could not find a response body", e);
			*status = HCHK_L7RSP;
			break;
		}
		m = chk_expect_match(e, body, blen);
		if (m ^ e->inverse)
			continue;
		with_comment(desc, desclen, e->inverse ? "HTTP check matched unwanted content"
						       : "HTTP content check did not match", e);
		*status = HCHK_L7RSP;
		break;
	}
	free(scratch);
	return 1;
}
