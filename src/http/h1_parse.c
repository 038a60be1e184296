/* Strict, zero-copy HTTP/1.x head parser (RFC 9112, RFC 9110).
 *
 * tandem is a proxy: a message that two implementations could frame two
 * ways is refused rather than guessed. The parser never allocates and never
 * copies; every h1_str points into the caller's buffer. It is stateless: on
 * H1_INCOMPLETE the caller calls again with the same buffer start and more
 * bytes (the head is bounded by lim->max_head, so rescanning costs little).
 *
 * Decisions worth knowing (see also tests/corpus/README.md):
 *  - Line endings must be CRLF. A bare LF or a bare CR anywhere in the head
 *    is an error (RFC 9112 2.2 lets a recipient accept bare LF; a proxy that
 *    did could disagree with the next hop about where a line ends).
 *  - Empty lines (CRLF) before the start line are skipped (RFC 9112 2.2)
 *    and counted in head_len.
 *  - Any Content-Length header seen twice is refused, even with equal
 *    values; a list ("1,1") is refused too. Values above INT64_MAX are
 *    refused.
 *  - Transfer-Encoding: every coding must be a token with well-formed
 *    parameters; "chunked" takes no parameter and may appear only once.
 *    Request: must end in chunked (else 400, RFC 9112 6.3), may not come
 *    with Content-Length or in HTTP/1.0 (400); anything but the single
 *    value "chunked" (another coding before it, even gzip or identity, or
 *    a list with empty elements such as ",chunked,") gives 501, as nginx
 *    does: tandem applies no other coding, and a list a next hop could
 *    read differently is not passed on. Response: codings before chunked
 *    are forwarded as received (the client decodes them); not ending in
 *    chunked means the body runs to close; with Content-Length or in
 *    HTTP/1.0 it is refused (502).
 *  - absolute-form targets: scheme http or https (any case), a non-empty
 *    host, no userinfo; else 400. The authority replaces the Host value
 *    (RFC 9112 3.2.2: the Host field's value is repointed at the authority
 *    inside the target), so the next hop never sees two hosts.
 *  - A header name that differs from Content-Length / Transfer-Encoding
 *    only by '_' or repeated '-' (e.g. "Content_Length") is refused: some
 *    servers (CGI-style) fold such names onto the real ones.
 *  - Connection may not name Content-Length or Host (a hop-by-hop strip of
 *    those would change the framing or routing seen by the next hop).
 *  - Response status: exactly 3 digits, 100..999; the SP before an empty
 *    reason phrase may be missing (common in the wild and harmless).
 */
#include <stdint.h>
#include <string.h>
#include <tandem/compat.h>
#include <tandem/h1.h>
#include "h1_chars.h"


/* Shared with h1_chunk.c (chunk extensions use the same classes). */
const uint8_t h1_ctab[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  4,  0,  0,  0,  0,  0,  0,  /* 00 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 10 */
	 4, 15,  6,  7, 15, 15, 15, 15, 14, 14, 15, 31, 14, 31, 31,  6,  /* 20 */
	31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 14, 14,  6, 14,  6,  6,  /* 30 */
	 6, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,  /* 40 */
	31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 14,  6, 14,  7, 15,  /* 50 */
	 7, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,  /* 60 */
	31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,  6,  7,  6, 15,  0,  /* 70 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* 80 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* 90 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* a0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* b0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* c0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* d0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* e0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* f0 */
};

#define CLS(c, m) (h1_ctab[(uint8_t)(c)] & (m))

/* Default limits when the caller passes none: HAProxy's tune.bufsize 16384
 * minus tune.maxrewrite 1024, and tune.http.maxhdr. */
static const struct h1_limits h1_default_limits = { 16384 - 1024, H1_MAX_HDRS };

/* Parser working state for one call. */
struct pstate {
	const char    *buf;       /* start of the caller's buffer */
	const char    *end;       /* scan limit: buf + min(len, max_head) */
	int            capped;    /* 1 if reaching <end> means "head too big" */
	unsigned       max_hdrs;
	int            is_req;
	int            bad;       /* generic error status: 400 or 502 */
	struct h1_msg *msg;
	unsigned       host_count;
	int            te_chunked;  /* chunked seen in Transfer-Encoding */
	int            te_last_chk; /* last coding seen so far is chunked */
	int            te_unknown;  /* a coding we do not implement appears */
	int            conn_other;  /* Connection names other fields */
	size_t         te_pos;      /* offset of the (last) Transfer-Encoding value */
	int            te_other;    /* a coding other than chunked, or an empty list element */
	int            host_idx;    /* index of the Host field in msg->hdrs */
	struct h1_str  auth;        /* authority of an absolute-form target (len 0: none) */
};

/* Record an error in the message and return H1_ERROR. */
static int fail(struct pstate *s, int status, const char *why, const char *at)
{
	s->msg->err_status = status;
	s->msg->err_reason = why;
	s->msg->err_pos = (size_t)(at - s->buf);
	return H1_ERROR;
}

/* Advance <p> while bytes belong to class <m>; stops at <end>. */
static inline const char *scan(const char *p, const char *end, uint8_t m)
{
	while (p < end && CLS(*p, m))
		p++;
	return p;
}

/* Word-at-a-time byte tests (exact for "is there any such byte"). */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_LESS(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)          /* byte < n, n <= 128 */
#define HAS_MORE(x, n) ((((x) + ONES * (127 - (n))) | (x)) & HIGHS) /* byte > n, n <= 127 */
#define HAS_ZERO(x)    (((x) - ONES) & ~(x) & HIGHS)

/* The hot loops (request-target, field values): skip 8 bytes at a time
 * while none can be outside the class, then finish byte by byte.
 * uri = 1: class C_URI (0x21-0x7e); uri = 0: class C_VAL (HTAB, 0x20-0x7e,
 * 0x80-0xff; a word holding HTAB is checked byte by byte). */
static inline const char *scan_fast(const char *p, const char *end, int uri)
{
	uint8_t m = uri ? C_URI : C_VAL;

	while (end - p >= 8) {
		uint64_t x, bad;
		memcpy(&x, p, 8);
		if (uri)
			bad = HAS_LESS(x, 0x21) | HAS_MORE(x, 0x7e);
		else
			bad = HAS_LESS(x, 0x20) | HAS_ZERO(x ^ (ONES * 0x7f));
		if (bad) {
			for (int i = 0; i < 8; i++)
				if (!CLS(p[i], m))
					return p + i;
		}
		p += 8;
	}
	return scan(p, end, m);
}

static inline int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Compare a token (already validated) with a lowercase literal made of
 * letters, digits and '-'. For token bytes, OR-ing 0x20 lowers letters and
 * leaves digits and '-' alone; no other token byte maps onto those. */
static int tok_is(const char *p, size_t n, const char *lit, size_t litlen)
{
	if (n != litlen)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != lit[i])
			return 0;
	return 1;
}
/* ASCII lower-case (locale independent). */
static inline unsigned char lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Case-insensitive comparison of two byte strings. */
static int tok_ieq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return 0;
	return 1;
}

#define TOK_IS(p, n, lit) tok_is((p), (n), lit, sizeof(lit) - 1)

/* Does token <p,n> spell <lit> with '-' written as any run of '-' / '_'?
 * Used to refuse disguised framing headers such as "Content_Length". */
static int tok_lookalike(const char *p, size_t n, const char *lit)
{
	const char *e = p + n;
	for (; *lit; lit++) {
		if (*lit == '-') {
			if (p == e || (*p != '-' && *p != '_'))
				return 0;
			while (p < e && (*p == '-' || *p == '_'))
				p++;
		} else {
			if (p == e || (*p | 0x20) != *lit)
				return 0;
			p++;
		}
	}
	return p == e;
}

/* Check "HTTP/d.d" at <p> using only the bytes before <end>.
 * Returns 8 when all 8 bytes are there and match (*ver = major*10+minor),
 * 0 when the available bytes match so far, -1 on mismatch. */
static int match_version(const char *p, const char *end, int *ver)
{
	static const char pat[] = "HTTP/0.0";
	size_t avail = (size_t)(end - p);
	size_t n = avail < 8 ? avail : 8;

	for (size_t i = 0; i < n; i++) {
		if (pat[i] == '0') {
			if (p[i] < '0' || p[i] > '9')
				return -1;
		} else if (p[i] != pat[i]) {
			return -1;
		}
	}
	if (n < 8)
		return 0;
	*ver = (p[5] - '0') * 10 + (p[7] - '0');
	return 8;
}

/* Skip empty lines (CRLF) before a start line. Returns the new position,
 * or NULL when the data ends inside a CRLF pair. */
static const char *skip_empty_lines(const char *p, const char *end)
{
	while (p < end && *p == '\r') {
		if (p + 1 == end)
			return NULL;
		if (p[1] != '\n')
			break;     /* the start-line parser reports the bare CR */
		p += 2;
	}
	return p;
}

/* Map a method token to enum h1_method (methods are case-sensitive). */
static enum h1_method method_id(const char *p, size_t n)
{
	switch (n) {
	case 3:
		if (!memcmp(p, "GET", 3)) return H1_M_GET;
		if (!memcmp(p, "PUT", 3)) return H1_M_PUT;
		break;
	case 4:
		if (!memcmp(p, "HEAD", 4)) return H1_M_HEAD;
		if (!memcmp(p, "POST", 4)) return H1_M_POST;
		break;
	case 5:
		if (!memcmp(p, "PATCH", 5)) return H1_M_PATCH;
		if (!memcmp(p, "TRACE", 5)) return H1_M_TRACE;
		break;
	case 6:
		if (!memcmp(p, "DELETE", 6)) return H1_M_DELETE;
		break;
	case 7:
		if (!memcmp(p, "CONNECT", 7)) return H1_M_CONNECT;
		if (!memcmp(p, "OPTIONS", 7)) return H1_M_OPTIONS;
		break;
	}
	return H1_M_OTHER;
}

/* authority-form (RFC 9112 3.2.3), for CONNECT: host ":" port, with a
 * non-empty host made of authority characters (no userinfo) and a
 * non-empty decimal port. */
static int authority_ok(const char *p, size_t n)
{
	size_t colon = n;
	for (size_t i = 0; i < n; i++) {
		if (!CLS(p[i], C_HOST))
			return 0;
		if (p[i] == ':')
			colon = i;
	}
	if (colon == 0 || colon >= n - 1)
		return 0;
	for (size_t i = colon + 1; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* absolute-form (RFC 9112 3.2.2, RFC 9110 4.2): "http" or "https" (any
 * case) "://" authority, then path-abempty [ "?" query ]. The authority is
 * host [ ":" port ], host a non-empty reg-name / IPv4 (authority characters
 * without '[', ']', ':') or an IP-literal "[...]"; port is *DIGIT. Userinfo
 * ("user:pass@") and any other scheme are refused with 400: tandem only
 * forwards http(s) requests, and a credential in the target would travel in
 * clear to every log on the way (RFC 9110 4.2.4 deprecates it). On success
 * the authority is remembered: it replaces the Host value (see
 * h1_parse_request). */
static int parse_absolute(struct pstate *s, const char *p, size_t n)
{
	size_t i, hs, he;

	if (!((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
		return fail(s, 400, "invalid request-target form", p);
	for (i = 1; i < n && CLS(p[i], C_SCHEME); i++)
		;
	if (i == n || p[i] != ':')
		return fail(s, 400, "invalid request-target form", p);
	if (!tok_ieq(p, i, "http", 4) && !tok_ieq(p, i, "https", 5))
		return fail(s, 400, "scheme other than http or https", p);
	if (n - i < 3 || memcmp(p + i, "://", 3))
		return fail(s, 400, "absolute-form without authority", p + i);
	i += 3;
	hs = i;
	for (he = i; he < n && p[he] != '/' && p[he] != '?' && p[he] != '#'; he++)
		if (p[he] == '@')
			return fail(s, 400, "userinfo in request-target", p + he);
	if (i < n && p[i] == '[') {         /* IP-literal */
		for (i++; i < n && p[i] != ']'; i++)
			if (!CLS(p[i], C_HOST) || p[i] == '[')
				break;
		if (i == n || p[i] != ']' || i == hs + 1)
			return fail(s, 400, "invalid host in request-target", p + i);
		i++;
	} else {
		for (; i < n && CLS(p[i], C_HOST) && p[i] != ':' && p[i] != '[' && p[i] != ']'; i++)
			;
	}
	he = i;
	if (i < n && p[i] == ':')
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
	if (i < n && p[i] != '/' && p[i] != '?')
		return fail(s, 400, "invalid authority in request-target", p + i);
	if (he == hs)
		return fail(s, 400, "empty host in request-target", p + hs);
	s->auth.p = p + hs;
	s->auth.len = (uint32_t)(i - hs);
	return 0;
}

/* Parse the request line at <p>. On success stores method/uri/version and
 * sets *pp past the CRLF. Returns 0, H1_INCOMPLETE or H1_ERROR. */
static int parse_request_line(struct pstate *s, const char **pp)
{
	struct h1_msg *m = s->msg;
	const char *end = s->end, *p = *pp, *tok;
	int ver = 0, r;

	p = skip_empty_lines(p, end);
	if (!p)
		return H1_INCOMPLETE;

	/* method = token, then exactly one SP */
	tok = p;
	while (p < end && CLS(*p, C_TCHAR))
		p++;
	if (p == end)
		return H1_INCOMPLETE;
	if (*p != ' ' || p == tok)
		return fail(s, 400, "invalid method", p);
	m->method.p = tok;
	m->method.len = (uint32_t)(p - tok);
	m->meth = method_id(tok, (size_t)(p - tok));

	/* request-target: visible ASCII only, then exactly one SP */
	tok = ++p;
	p = scan_fast(p, end, 1);
	if (p == end)
		return H1_INCOMPLETE;
	if (p == tok)
		return fail(s, 400, "empty request-target", p);
	if (*p != ' ')
		return fail(s, 400, *p == '\r' || *p == '\n' ?
			    "missing HTTP version" : "invalid character in request-target", p);
	m->uri.p = tok;
	m->uri.len = (uint32_t)(p - tok);

	/* HTTP-version CRLF */
	p++;
	r = match_version(p, end, &ver);
	if (r < 0)
		return fail(s, 400, "invalid HTTP version", p);
	if (r == 0)
		return H1_INCOMPLETE;
	if (ver != 10 && ver != 11)
		return fail(s, 505, "unsupported HTTP version", p);
	p += 8;
	if (p == end)
		return H1_INCOMPLETE;
	if (*p != '\r')
		return fail(s, 400, "invalid character after HTTP version", p);
	if (p + 1 == end)
		return H1_INCOMPLETE;
	if (p[1] != '\n')
		return fail(s, 400, "bare CR in request line", p);
	m->version = ver;

	/* request-target form versus method (RFC 9112 3.2) */
	tok = m->uri.p;
	if (m->meth == H1_M_CONNECT) {
		if (!authority_ok(tok, m->uri.len))
			return fail(s, 400, "CONNECT needs authority-form", tok);
	} else if (tok[0] == '*') {
		if (m->uri.len != 1 || m->meth != H1_M_OPTIONS)
			return fail(s, 400, "asterisk-form only with OPTIONS", tok);
	} else if (tok[0] != '/' && parse_absolute(s, tok, m->uri.len) < 0) {
		return H1_ERROR;
	}
	*pp = p + 2;
	return 0;
}

/* Parse the status line at <p> (same contract as parse_request_line). */
static int parse_status_line(struct pstate *s, const char **pp)
{
	struct h1_msg *m = s->msg;
	const char *end = s->end, *p = *pp, *tok;
	int ver = 0, r;

	p = skip_empty_lines(p, end);
	if (!p)
		return H1_INCOMPLETE;
	r = match_version(p, end, &ver);
	if (r < 0)
		return fail(s, 502, "invalid HTTP version", p);
	if (r == 0)
		return H1_INCOMPLETE;
	p += 8;
	if (p == end)
		return H1_INCOMPLETE;
	if (*p != ' ')
		return fail(s, 502, "invalid character after HTTP version", p);
	if (ver != 10 && ver != 11)
		return fail(s, 502, "unsupported HTTP version", p - 8);
	m->version = ver;

	/* status-code = 3DIGIT, 100..999 */
	tok = ++p;
	for (int i = 0; i < 3; i++, p++) {
		if (p == end)
			return H1_INCOMPLETE;
		if (*p < '0' || *p > '9')
			return fail(s, 502, "invalid status code", p);
	}
	m->status = (tok[0] - '0') * 100 + (tok[1] - '0') * 10 + (tok[2] - '0');
	if (m->status < 100)
		return fail(s, 502, "invalid status code", tok);
	if (p == end)
		return H1_INCOMPLETE;

	/* [ SP reason-phrase ] CRLF; reason = *( HTAB / SP / VCHAR / obs-text ) */
	if (*p == ' ') {
		tok = ++p;
		p = scan_fast(p, end, 0);
		if (p == end)
			return H1_INCOMPLETE;
	} else {
		tok = p;
	}
	if (*p != '\r')
		return fail(s, 502, "invalid character in status line", p);
	if (p + 1 == end)
		return H1_INCOMPLETE;
	if (p[1] != '\n')
		return fail(s, 502, "bare CR in status line", p);
	m->reason.p = tok;
	m->reason.len = (uint32_t)(p - tok);
	*pp = p + 2;
	return 0;
}

/* One Connection option <t,n> (a token): set flags, refuse options that
 * would strip end-to-end fields, remember other options for marking. */
static int conn_elem(struct pstate *s, const char *t, size_t n)
{
	if (TOK_IS(t, n, "close"))
		s->msg->flags |= H1_F_CONN_CLOSE;
	else if (TOK_IS(t, n, "keep-alive"))
		s->msg->flags |= H1_F_CONN_KA;
	else if (TOK_IS(t, n, "upgrade"))
		s->msg->flags |= H1_F_CONN_UPGRADE;
	else if (TOK_IS(t, n, "content-length") || TOK_IS(t, n, "host"))
		return fail(s, s->bad, "Connection names an end-to-end header", t);
	else
		s->conn_other = 1;
	return 0;
}

/* Parse Connection's value: #token. */
static int parse_connection(struct pstate *s, struct h1_hdr *h)
{
	const char *p = h->value.p, *e = p + h->value.len, *t;

	while (p < e) {
		while (p < e && (is_ows(*p) || *p == ','))
			p++;
		if (p == e)
			break;
		t = p;
		while (p < e && CLS(*p, C_TCHAR))
			p++;
		if (p == t)
			return fail(s, s->bad, "invalid Connection value", p);
		if (conn_elem(s, t, (size_t)(p - t)) < 0)
			return H1_ERROR;
		while (p < e && is_ows(*p))
			p++;
		if (p < e && *p != ',')
			return fail(s, s->bad, "invalid Connection value", p);
	}
	return 0;
}

/* Skip a quoted-string starting at the DQUOTE <p>. Returns the position
 * after the closing DQUOTE, or NULL if malformed. qdtext excludes CTLs
 * except HTAB; quoted-pair is "\" (HTAB / SP / VCHAR / obs-text). */
static const char *skip_quoted(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (++p == e)
				return NULL;
		}
		if (!CLS(*p, C_VAL))
			return NULL;
	}
	return NULL;
}

/* Parse one Transfer-Encoding value (RFC 9112 6.1, 7):
 *   #( token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) )
 * Updates the te_* state; framing decisions are made once the head is
 * complete. */
static int parse_te(struct pstate *s, struct h1_hdr *h)
{
	const char *p = h->value.p, *e = p + h->value.len, *t;
	int ncodings = 0;

	s->msg->flags |= H1_F_HAS_TE;
	s->te_pos = (size_t)(p - s->buf);
	if (memchr(p, ',', (size_t)(e - p)))
		s->te_other = 1;   /* a list, even ",chunked,": not the plain "chunked" */
	while (p < e) {
		size_t n;
		int params = 0;

		while (p < e && (is_ows(*p) || *p == ','))
			p++;
		if (p == e)
			break;
		t = p;
		while (p < e && CLS(*p, C_TCHAR))
			p++;
		if (p == t)
			return fail(s, s->bad, "invalid Transfer-Encoding", p);
		n = (size_t)(p - t);
		for (;;) {   /* parameters */
			const char *q = p;
			while (q < e && is_ows(*q))
				q++;
			if (q == e || *q != ';') {
				p = q;
				break;
			}
			params = 1;
			for (q++; q < e && is_ows(*q); q++)
				;
			const char *pn = q;
			while (q < e && CLS(*q, C_TCHAR))
				q++;
			if (q == pn)
				return fail(s, s->bad, "invalid Transfer-Encoding parameter", q);
			while (q < e && is_ows(*q))
				q++;
			if (q == e || *q != '=')
				return fail(s, s->bad, "invalid Transfer-Encoding parameter", q);
			for (q++; q < e && is_ows(*q); q++)
				;
			if (q < e && *q == '"') {
				q = skip_quoted(q, e);
				if (!q)
					return fail(s, s->bad, "invalid Transfer-Encoding parameter", e);
			} else {
				const char *pv = q;
				while (q < e && CLS(*q, C_TCHAR))
					q++;
				if (q == pv)
					return fail(s, s->bad, "invalid Transfer-Encoding parameter", q);
			}
			p = q;
		}
		if (p < e && *p != ',')
			return fail(s, s->bad, "invalid Transfer-Encoding", p);

		ncodings++;
		if (TOK_IS(t, n, "chunked")) {
			if (params)
				return fail(s, s->bad, "parameter on chunked", t);
			if (s->te_chunked)
				return fail(s, s->bad, "chunked applied more than once", t);
			s->te_chunked = 1;
			s->te_last_chk = 1;
		} else {
			s->te_last_chk = 0;
			s->te_other = 1;
			if (!TOK_IS(t, n, "gzip") && !TOK_IS(t, n, "deflate") &&
			    !TOK_IS(t, n, "compress") && !TOK_IS(t, n, "x-gzip") &&
			    !TOK_IS(t, n, "x-compress") && !TOK_IS(t, n, "identity"))
				s->te_unknown = 1;
		}
	}
	if (!ncodings)
		return fail(s, s->bad, "empty Transfer-Encoding", h->value.p);
	return 0;
}

/* Content-Length = 1*DIGIT, once. Values above INT64_MAX are refused so
 * that no consumer's signed arithmetic can overflow. */
static int parse_cl(struct pstate *s, struct h1_hdr *h)
{
	struct h1_msg *m = s->msg;
	const char *p = h->value.p, *e = p + h->value.len;
	uint64_t v = 0;

	if (m->flags & H1_F_HAS_CL)
		return fail(s, s->bad, "duplicate Content-Length", h->name.p);
	if (p == e)
		return fail(s, s->bad, "empty Content-Length", p);
	for (; p < e; p++) {
		unsigned d = (unsigned)(uint8_t)*p - '0';
		if (d > 9)
			return fail(s, s->bad, "invalid Content-Length", p);
		if (v > (uint64_t)(INT64_MAX - d) / 10)
			return fail(s, s->bad, "Content-Length too large", p);
		v = v * 10 + d;
	}
	m->content_length = v;
	m->flags |= H1_F_HAS_CL;
	return 0;
}

/* Host (requests): once; value made of authority characters (it may be
 * empty, RFC 9112 3.2). */
static int parse_host(struct pstate *s, struct h1_hdr *h)
{
	struct h1_msg *m = s->msg;

	if (++s->host_count > 1)
		return fail(s, 400, "duplicate Host", h->name.p);
	for (uint32_t i = 0; i < h->value.len; i++)
		if (!CLS(h->value.p[i], C_HOST))
			return fail(s, 400, "invalid Host", h->value.p + i);
	m->host = h->value;
	m->flags |= H1_F_HAS_HOST;
	s->host_idx = (int)(h - m->hdrs);
	return 0;
}

/* Interpret the header fields that matter for framing, routing and
 * connection management, and mark hop-by-hop ones (RFC 9110 7.6.1). */
static int classify(struct pstate *s, struct h1_hdr *h)
{
	const char *n = h->name.p;
	size_t len = h->name.len;

	switch (len) {
	case 2:
		if (TOK_IS(n, len, "te"))
			h->hop = 1;
		return 0;
	case 4:
		if (s->is_req && TOK_IS(n, len, "host"))
			return parse_host(s, h);
		return 0;
	case 6:
		if (s->is_req && TOK_IS(n, len, "expect") &&
		    h1_str_ieq(h->value, "100-continue"))
			s->msg->flags |= H1_F_EXPECT_100;
		return 0;
	case 7:
		if (TOK_IS(n, len, "upgrade")) {
			h->hop = 1;
			s->msg->flags |= H1_F_UPGRADE;
		}
		return 0;
	case 10:
		if (TOK_IS(n, len, "connection")) {
			h->hop = 1;
			return parse_connection(s, h);
		}
		if (TOK_IS(n, len, "keep-alive"))
			h->hop = 1;
		return 0;
	case 14:
		if (TOK_IS(n, len, "content-length"))
			return parse_cl(s, h);
		break;
	case 16:
		if (TOK_IS(n, len, "proxy-connection"))
			h->hop = 1;
		return 0;
	case 17:
		if (TOK_IS(n, len, "transfer-encoding")) {
			h->hop = 1;
			return parse_te(s, h);
		}
		break;
	}
	if (len >= 14 && ((n[0] | 0x20) == 'c' || (n[0] | 0x20) == 't') &&
	    (tok_lookalike(n, len, "content-length") ||
	     tok_lookalike(n, len, "transfer-encoding")))
		return fail(s, s->bad, "disguised Content-Length/Transfer-Encoding", n);
	return 0;
}

/* Parse header field lines from <p> up to and including the empty line.
 * Returns the head length, H1_INCOMPLETE or H1_ERROR. */
static int parse_fields(struct pstate *s, const char *p)
{
	struct h1_msg *m = s->msg;
	const char *end = s->end;

	for (;;) {
		const char *name, *ne, *v, *ve;
		struct h1_hdr *h;

		if (p == end)
			return H1_INCOMPLETE;
		if (*p == '\r') {
			if (p + 1 == end)
				return H1_INCOMPLETE;
			if (p[1] != '\n')
				return fail(s, s->bad, "bare CR", p);
			return (int)(p + 2 - s->buf);
		}
		if (is_ows(*p))
			return fail(s, s->bad, m->nhdrs ? "obsolete line folding" :
				    "whitespace before first header", p);

		/* field-name ":" OWS field-value OWS CRLF */
		name = p;
		while (p < end && CLS(*p, C_TCHAR))
			p++;
		if (p == end)
			return H1_INCOMPLETE;
		if (*p != ':')
			return fail(s, s->bad, is_ows(*p) && p != name ?
				    "whitespace before colon" : "invalid header name", p);
		if (p == name)
			return fail(s, s->bad, "empty header name", p);
		ne = p;
		for (p++; p < end && is_ows(*p); p++)
			;
		v = p;
		p = scan_fast(p, end, 0);
		if (p == end)
			return H1_INCOMPLETE;
		if (*p != '\r')
			return fail(s, s->bad, *p == '\n' ? "bare LF" :
				    "invalid character in header value", p);
		if (p + 1 == end)
			return H1_INCOMPLETE;
		if (p[1] != '\n')
			return fail(s, s->bad, "bare CR", p);
		for (ve = p; ve > v && is_ows(ve[-1]); ve--)
			;
		p += 2;

		if (m->nhdrs >= s->max_hdrs)
			return fail(s, s->is_req ? 431 : 502, "too many headers", name);
		h = &m->hdrs[m->nhdrs++];
		h->name.p = name;
		h->name.len = (uint32_t)(ne - name);
		h->value.p = v;
		h->value.len = (uint32_t)(ve - v);
		h->hop = 0;
		if (classify(s, h) < 0)
			return H1_ERROR;
	}
}

/* Mark every field named in a Connection header as hop-by-hop. Only runs
 * when Connection listed something besides close/keep-alive/upgrade. */
static void mark_connection_options(struct h1_msg *m)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct h1_hdr *c = &m->hdrs[i];
		const char *p, *e, *t;

		if (!TOK_IS(c->name.p, c->name.len, "connection"))
			continue;
		p = c->value.p;
		e = p + c->value.len;
		while (p < e) {    /* syntax was validated by parse_connection */
			while (p < e && (is_ows(*p) || *p == ','))
				p++;
			for (t = p; p < e && CLS(*p, C_TCHAR); p++)
				;
			if (p == t)
				break;
			for (unsigned j = 0; j < m->nhdrs; j++) {
				struct h1_hdr *h = &m->hdrs[j];
				if (tok_ieq(h->name.p, h->name.len, t, (size_t)(p - t)))
					h->hop = 1;
			}
		}
	}
}

/* Common setup: reset the message, compute the scan limit. */
static void begin(struct pstate *s, const char *buf, size_t len,
		  struct h1_msg *msg, const struct h1_limits *lim, int is_req)
{
	size_t max_head;

	if (!lim)
		lim = &h1_default_limits;
	max_head = lim->max_head;
	if (max_head > INT32_MAX)
		max_head = INT32_MAX;   /* the return value is an int */
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->end = buf + (len < max_head ? len : max_head);
	s->capped = len >= max_head;
	s->max_hdrs = lim->max_hdrs < H1_MAX_HDRS ? lim->max_hdrs : H1_MAX_HDRS;
	s->is_req = is_req;
	s->bad = is_req ? 400 : 502;
	s->msg = msg;

	msg->method = (struct h1_str){ NULL, 0 };
	msg->meth = H1_M_OTHER;
	msg->uri = (struct h1_str){ NULL, 0 };
	msg->status = 0;
	msg->reason = (struct h1_str){ NULL, 0 };
	msg->version = 0;
	msg->flags = 0;
	msg->content_length = 0;
	msg->host = (struct h1_str){ NULL, 0 };
	msg->head_len = 0;
	msg->nhdrs = 0;
	msg->err_status = 0;
	msg->err_reason = NULL;
	msg->err_pos = 0;
}

int h1_parse_request(const char *buf, size_t len, struct h1_msg *msg,
		     const struct h1_limits *lim)
{
	struct pstate s;
	const char *p = buf;
	int r;

	begin(&s, buf, len, msg, lim, 1);
	r = parse_request_line(&s, &p);
	if (r == H1_INCOMPLETE && s.capped)
		return fail(&s, 414, "request line too long", s.end);
	if (r < 0)
		return r;
	r = parse_fields(&s, p);
	if (r == H1_INCOMPLETE && s.capped)
		return fail(&s, 431, "request head too large", s.end);
	if (r < 0)
		return r;

	/* Whole-head rules (RFC 9112 3.2, 6.1, 6.3). */
	if (msg->version == 11 && !s.host_count)
		return fail(&s, 400, "missing Host", buf + r - 2);
	if (msg->flags & H1_F_HAS_TE) {
		const char *at = buf + s.te_pos;
		if (msg->version == 10)
			return fail(&s, 400, "Transfer-Encoding in HTTP/1.0", at);
		if (msg->flags & H1_F_HAS_CL)
			return fail(&s, 400, "both Transfer-Encoding and Content-Length", at);
		if (!s.te_last_chk)
			return fail(&s, 400, "Transfer-Encoding does not end in chunked", at);
		if (s.te_unknown)
			return fail(&s, 501, "unknown transfer coding", at);
		/* tandem applies no coding but chunked: a body under another
		 * coding, or a list a next hop could read another way, is not
		 * forwarded (nginx answers 501 to anything but "chunked") */
		if (s.te_other)
			return fail(&s, 501, "Transfer-Encoding other than chunked", at);
		msg->flags |= H1_F_CHUNKED;
	}
	/* absolute-form: the target's authority is the host (RFC 9112 3.2.2):
	 * the Host field's value is repointed at it, so that the next hop
	 * sees one host only (zero-copy: the slice is inside the target). */
	if (s.auth.len && s.host_count) {
		msg->hdrs[s.host_idx].value = s.auth;
		msg->host = s.auth;
	}
	if (s.conn_other)
		mark_connection_options(msg);
	msg->head_len = (size_t)r;
	return r;
}

int h1_parse_response(const char *buf, size_t len, struct h1_msg *msg,
		      const struct h1_limits *lim)
{
	struct pstate s;
	const char *p = buf;
	int r, st;

	begin(&s, buf, len, msg, lim, 0);
	r = parse_status_line(&s, &p);
	if (r == H1_INCOMPLETE && s.capped)
		return fail(&s, 502, "status line too long", s.end);
	if (r < 0)
		return r;
	r = parse_fields(&s, p);
	if (r == H1_INCOMPLETE && s.capped)
		return fail(&s, 502, "response head too large", s.end);
	if (r < 0)
		return r;

	/* Body framing (RFC 9112 6.3). 1xx, 204 and 304 never have a body;
	 * the HEAD / CONNECT cases are the caller's (h1_resp_has_body). */
	st = msg->status;
	if (msg->flags & H1_F_HAS_TE) {
		const char *at = buf + s.te_pos;
		if (msg->version == 10)
			return fail(&s, 502, "Transfer-Encoding in HTTP/1.0", at);
		if (msg->flags & H1_F_HAS_CL)
			return fail(&s, 502, "both Transfer-Encoding and Content-Length", at);
		if (s.te_last_chk)
			msg->flags |= H1_F_CHUNKED;
		else if (st >= 200 && st != 204 && st != 304)
			msg->flags |= H1_F_BODY_TO_CLOSE;
	} else if (!(msg->flags & H1_F_HAS_CL) && st >= 200 && st != 204 && st != 304) {
		msg->flags |= H1_F_BODY_TO_CLOSE;
	}
	if (s.conn_other)
		mark_connection_options(msg);
	msg->head_len = (size_t)r;
	return r;
}

int h1_resp_has_body(enum h1_method req_meth, int status)
{
	if (req_meth == H1_M_HEAD || status < 200 || status == 204 || status == 304)
		return 0;
	if (req_meth == H1_M_CONNECT && status < 300)
		return 0;
	return 1;
}

int h1_str_ieq(struct h1_str s, const char *lit)
{
	return tok_ieq(s.p, s.len, lit, strlen(lit));
}

const struct h1_hdr *h1_find_hdr(const struct h1_msg *msg, const char *name)
{
	for (unsigned i = 0; i < msg->nhdrs; i++)
		if (h1_str_ieq(msg->hdrs[i].name, name))
			return &msg->hdrs[i];
	return NULL;
}

int h1_method_idempotent(enum h1_method m)
{
	switch (m) {
	case H1_M_GET: case H1_M_HEAD: case H1_M_PUT: case H1_M_DELETE:
	case H1_M_OPTIONS: case H1_M_TRACE:
		return 1;
	default:
		return 0;
	}
}
