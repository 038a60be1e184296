/* Resumable chunked-body decoder (RFC 9112 7.1). It does not copy or
 * rewrite anything: it validates the framing byte by byte (data bytes in
 * bulk) and tells the caller how many input bytes belong to the body, so
 * the body can be forwarded verbatim. Input may be split anywhere.
 *
 * Strictness (a proxy must not disagree with the next hop about where the
 * body ends):
 *  - chunk-size: 1 to 16 hex digits; nothing else before the extensions.
 *  - extensions: *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] );
 *    whitespace is only accepted where that grammar puts BWS, so
 *    "5 \r\n" (trailing space, no extension) is refused.
 *  - every line ends in CRLF; chunk data must be followed by CRLF.
 *  - trailer fields: token ":" value (no CTL but HTAB), no obs-fold.
 *  - trailer fields that a recipient must know before the content (RFC
 *    9110 6.5.1) and that a proxy acts on are refused, because a next hop
 *    that merges trailers into the header section would then see other
 *    framing, another host, other connection options or credentials than
 *    tandem saw: framing (Content-Length, Transfer-Encoding, Trailer),
 *    routing (Host), connection management (Connection, Keep-Alive,
 *    Proxy-Connection, TE, Upgrade), request controls (Expect,
 *    Max-Forwards) and authentication (Authorization, Proxy-Authorization).
 *    Content-format fields (Content-Type...) pass: they change nothing on
 *    the way, and clients use them as examples of trailers. Names are
 *    compared case-insensitively, with '_' read as '-' and runs of '-'
 *    folded, as the head parser does for Content-Length look-alikes.
 *  - bounds: a chunk-size line (size + extensions) is at most
 *    H1_CHUNK_MAX_LINE bytes, the trailer section at most
 *    H1_CHUNK_MAX_TRAILERS bytes.
 */
#include <stdint.h>
#include <string.h>
#include <tandem/h1.h>
#include "h1_chars.h"

#define H1_CHUNK_MAX_LINE     4096
#define H1_CHUNK_MAX_TRAILERS 16384

enum {
	CS_SIZE0 = 0,   /* first hex digit of chunk-size */
	CS_SIZE,        /* more hex digits, BWS, ';' or CR */
	CS_SIZE_WS,     /* BWS after the size: ';' must follow */
	CS_EXT_PRE,     /* after ';': BWS then extension name */
	CS_EXT_NAME,    /* in extension name */
	CS_EXT_NAME_WS, /* BWS after name: '=' or ';' must follow */
	CS_EXT_VAL_PRE, /* after '=': BWS then value */
	CS_EXT_TOKEN,   /* in token value */
	CS_EXT_QUOTED,  /* in quoted-string value */
	CS_EXT_QESC,    /* after a backslash in quoted-string */
	CS_EXT_QCLOSE,  /* right after the closing DQUOTE: CR, ';' or BWS */
	CS_EXT_AFTER,   /* BWS after a value: ';' must follow */
	CS_SIZE_LF,     /* CR of the size line seen */
	CS_DATA,        /* chunk data */
	CS_DATA_CR,     /* CR expected after data */
	CS_DATA_LF,     /* LF expected after data */
	CS_TRL_START,   /* start of a trailer line, or CR of the final CRLF */
	CS_TRL_NAME,    /* in trailer field name */
	CS_TRL_VALUE,   /* in trailer field value */
	CS_TRL_LF,      /* LF expected after a trailer line */
	CS_END_LF,      /* LF of the final CRLF */
	CS_DONE,
	CS_ERROR,
};


static inline int is_tchar(unsigned char c)
{
	return (h1_ctab[c] & C_TCHAR) != 0;
}

static inline int is_vchar(unsigned char c)
{
	return (h1_ctab[c] & C_VAL) != 0;
}

/* Trailer field names refused (see the top of this file), in the folded
 * form trailer_name_add() produces. */
static const char *const refused_trailers[] = {
	"content-length", "transfer-encoding", "trailer", "host",
	"connection", "keep-alive", "proxy-connection", "te", "upgrade",
	"expect", "max-forwards", "authorization", "proxy-authorization",
};

/* One more byte (a tchar) of a trailer field name. */
static inline void trailer_name_add(struct h1_chunk *c, unsigned char ch)
{
	if (ch == '_')
		ch = '-';
	else if (ch >= 'A' && ch <= 'Z')
		ch = (unsigned char)(ch + 32);
	if (ch == '-' && c->tlen && c->tlen <= H1_CHUNK_TNAME_MAX && c->tname[c->tlen - 1] == '-')
		return;                         /* fold runs of '-' */
	if (c->tlen < H1_CHUNK_TNAME_MAX)
		c->tname[c->tlen] = (char)ch;
	if (c->tlen <= H1_CHUNK_TNAME_MAX)
		c->tlen++;
}

static int trailer_refused(const struct h1_chunk *c)
{
	if (c->tlen > H1_CHUNK_TNAME_MAX)
		return 0;
	for (size_t i = 0; i < sizeof(refused_trailers) / sizeof(refused_trailers[0]); i++)
		if (strlen(refused_trailers[i]) == c->tlen && !memcmp(refused_trailers[i], c->tname, c->tlen))
			return 1;
	return 0;
}

static inline int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

void h1_chunk_init(struct h1_chunk *c)
{
	c->state = CS_SIZE0;
	c->remain = 0;
	c->count = 0;
	c->trailers = 0;
	c->done = 0;
	c->data_total = 0;
	c->tlen = 0;
}

/* After the CRLF of a size line: data, or trailers for the last chunk. */
static inline int after_size_line(const struct h1_chunk *c)
{
	return c->remain ? CS_DATA : CS_TRL_START;
}

ssize_t h1_chunk_feed(struct h1_chunk *c, const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	const unsigned char *end = p + len;
	int st = c->state;

	if (st == CS_ERROR)
		return -1;
	while (p < end && st != CS_DONE) {
		unsigned char ch;

		if (st == CS_DATA) {   /* bulk: the common case */
			size_t avail = (size_t)(end - p);
			size_t n = c->remain < avail ? (size_t)c->remain : avail;
			p += n;
			c->remain -= n;
			c->data_total += n;
			if (!c->remain)
				st = CS_DATA_CR;
			continue;
		}
		ch = *p++;
		if (st <= CS_SIZE_LF && ++c->count > H1_CHUNK_MAX_LINE)
			goto bad;
		if (st >= CS_TRL_START && st <= CS_END_LF &&
		    ++c->trailers > H1_CHUNK_MAX_TRAILERS)
			goto bad;

		switch (st) {
		case CS_SIZE0:
		case CS_SIZE: {
			int v = hexval(ch);
			if (v >= 0) {
				/* 16 hex digits fill a uint64_t: no overflow */
				if (c->count > 16)
					goto bad;
				c->remain = (c->remain << 4) | (unsigned)v;
				st = CS_SIZE;
			} else if (st == CS_SIZE0) {
				goto bad;
			} else if (ch == '\r') {
				st = CS_SIZE_LF;
			} else if (ch == ';') {
				st = CS_EXT_PRE;
			} else if (ch == ' ' || ch == '\t') {
				st = CS_SIZE_WS;
			} else {
				goto bad;
			}
			break;
		}
		case CS_SIZE_WS:
			if (ch == ';')
				st = CS_EXT_PRE;
			else if (ch != ' ' && ch != '\t')
				goto bad;
			break;
		case CS_EXT_PRE:
			if (is_tchar(ch))
				st = CS_EXT_NAME;
			else if (ch != ' ' && ch != '\t')
				goto bad;
			break;
		case CS_EXT_NAME:
			if (is_tchar(ch))
				break;
			if (ch == '\r')
				st = CS_SIZE_LF;
			else if (ch == ';')
				st = CS_EXT_PRE;
			else if (ch == '=')
				st = CS_EXT_VAL_PRE;
			else if (ch == ' ' || ch == '\t')
				st = CS_EXT_NAME_WS;
			else
				goto bad;
			break;
		case CS_EXT_NAME_WS:
			if (ch == ';')
				st = CS_EXT_PRE;
			else if (ch == '=')
				st = CS_EXT_VAL_PRE;
			else if (ch != ' ' && ch != '\t')
				goto bad;
			break;
		case CS_EXT_VAL_PRE:
			if (ch == '"')
				st = CS_EXT_QUOTED;
			else if (is_tchar(ch))
				st = CS_EXT_TOKEN;
			else if (ch != ' ' && ch != '\t')
				goto bad;
			break;
		case CS_EXT_TOKEN:
			if (is_tchar(ch))
				break;
			if (ch == '\r')
				st = CS_SIZE_LF;
			else if (ch == ';')
				st = CS_EXT_PRE;
			else if (ch == ' ' || ch == '\t')
				st = CS_EXT_AFTER;
			else
				goto bad;
			break;
		case CS_EXT_QUOTED:
			if (ch == '"')
				st = CS_EXT_QCLOSE;
			else if (ch == '\\')
				st = CS_EXT_QESC;
			else if (!is_vchar(ch))
				goto bad;
			break;
		case CS_EXT_QESC:
			if (!is_vchar(ch))
				goto bad;
			st = CS_EXT_QUOTED;
			break;
		case CS_EXT_QCLOSE:
			if (ch == '\r')
				st = CS_SIZE_LF;
			else if (ch == ';')
				st = CS_EXT_PRE;
			else if (ch == ' ' || ch == '\t')
				st = CS_EXT_AFTER;
			else
				goto bad;
			break;
		case CS_EXT_AFTER:
			if (ch == ';')
				st = CS_EXT_PRE;
			else if (ch != ' ' && ch != '\t')
				goto bad;
			break;
		case CS_SIZE_LF:
			if (ch != '\n')
				goto bad;
			c->count = 0;
			st = after_size_line(c);
			break;
		case CS_DATA_CR:
			if (ch != '\r')
				goto bad;
			st = CS_DATA_LF;
			break;
		case CS_DATA_LF:
			if (ch != '\n')
				goto bad;
			st = CS_SIZE0;
			break;
		case CS_TRL_START:
			if (ch == '\r') {
				st = CS_END_LF;
			} else if (is_tchar(ch)) {
				c->tlen = 0;
				trailer_name_add(c, ch);
				st = CS_TRL_NAME;
			} else {
				goto bad;    /* includes obs-fold and bare LF */
			}
			break;
		case CS_TRL_NAME:
			if (ch == ':') {
				if (trailer_refused(c))
					goto bad;
				st = CS_TRL_VALUE;
			} else if (is_tchar(ch)) {
				trailer_name_add(c, ch);
			} else {
				goto bad;
			}
			break;
		case CS_TRL_VALUE:
			if (ch == '\r')
				st = CS_TRL_LF;
			else if (!is_vchar(ch))
				goto bad;
			break;
		case CS_TRL_LF:
			if (ch != '\n')
				goto bad;
			st = CS_TRL_START;
			break;
		case CS_END_LF:
			if (ch != '\n')
				goto bad;
			st = CS_DONE;
			c->done = 1;
			break;
		default:
			goto bad;
		}
	}
	c->state = st;
	return (ssize_t)(p - (const unsigned char *)buf);
bad:
	c->state = CS_ERROR;
	return -1;
}
