/* BIRD's control socket protocol, the side birdc speaks: a resumable
 * parser of reply lines and the meaning of the replies to the few
 * commands tandem sends. Pure: no I/O, no clock, no logging; fuzzed by
 * tests/fuzz/fuzz_bird_reply.c.
 *
 * The format (BIRD's nest/cli.c describes it; include/tandem/bgp-t.h
 * sums it up) is line based, so the parser keeps only the line being read:
 * its code, its kind and at most BIRDC_TEXT_MAX bytes of its text. A
 * longer line is cut, not refused (BIRD's tables can be wide); anything
 * that is not one of the four line forms is refused, and the caller drops
 * the connection: after a byte it does not understand, nothing later in
 * the stream can be trusted to answer the command it sent. */
#include <string.h>
#include <stdio.h>
#include <tandem/bgp.h>

enum { ST_BOL = 0, ST_CODE, ST_SEP, ST_TEXT, ST_ERROR };

void birdc_init(struct birdc_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->st = ST_BOL;
}

/* Refuse the stream at byte <at>. */
static int fail(struct birdc_parser *p, size_t *used, size_t at, const char *why)
{
	p->st = ST_ERROR;
	p->err = why;
	*used = at;
	return -1;
}

static void text_add(struct birdc_parser *p, char c)
{
	if (p->cur.len < BIRDC_TEXT_MAX)
		p->cur.text[p->cur.len++] = c;
	else
		p->cur.cut = 1;
}

int birdc_parse(struct birdc_parser *p, const char *buf, size_t len, size_t *used, struct birdc_line *out)
{
	size_t i;

	*used = 0;
	if (p->st == ST_ERROR)
		return -1;
	for (i = 0; i < len; i++) {
		char c = buf[i];

		switch (p->st) {
		case ST_BOL:
			memset(&p->cur, 0, sizeof(p->cur));
			if (c >= '0' && c <= '9') {
				p->code = c - '0';
				p->ndig = 1;
				p->st = ST_CODE;
			} else if (c == ' ') {
				/* "the whole prefix can be replaced by a single white space" */
				if (!p->in_reply)
					return fail(p, used, i, "a continuation line outside a reply");
				p->cur.kind = BIRDC_PART;
				p->cur.code = p->prev_code;
				p->st = ST_TEXT;
			} else if (c == '+') {
				p->cur.kind = BIRDC_ASYNC;
				p->st = ST_TEXT;
			} else {
				return fail(p, used, i, c == '\n' ? "an empty line" : "a line that starts with no reply code");
			}
			break;
		case ST_CODE:
			if (c < '0' || c > '9')
				return fail(p, used, i, "a reply code of fewer than four digits");
			p->code = p->code * 10 + (c - '0');
			if (++p->ndig == 4)
				p->st = ST_SEP;
			break;
		case ST_SEP:
			p->cur.code = p->code;
			if (c == '-') {
				p->cur.kind = BIRDC_PART;
				p->st = ST_TEXT;
			} else if (c == ' ') {
				p->cur.kind = BIRDC_LAST;
				p->st = ST_TEXT;
			} else if (c == '\n') {
				/* "NNNN" alone: a last line without text */
				p->cur.kind = BIRDC_LAST;
				goto line_done;
			} else {
				return fail(p, used, i, "a reply code followed by neither '-' nor ' '");
			}
			break;
		case ST_TEXT:
			if (c == '\n')
				goto line_done;
			text_add(p, c);
			break;
		default:
			return fail(p, used, i, p->err ? p->err : "?");
		}
		continue;
line_done:
		p->cur.text[p->cur.len] = 0;
		if (p->cur.kind == BIRDC_PART) {
			p->in_reply = 1;
			p->prev_code = p->cur.code;
		} else if (p->cur.kind == BIRDC_LAST) {
			p->in_reply = 0;
			p->prev_code = p->cur.code;
		}
		*out = p->cur;
		p->st = ST_BOL;
		*used = i + 1;
		return 1;
	}
	*used = len;
	return 0;
}

int birdc_proto_name_ok(const char *s)
{
	size_t n = 0;

	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n < BGP_PROTO_LEN;
}

size_t birdc_cmd_build(char *out, size_t cap, int cmd, const char *proto)
{
	int n;

	switch (cmd) {
	case BIRDC_ENABLE:
	case BIRDC_DISABLE:
		/* quoted: a pattern that matches this one name, and an unknown
		 * name is "8003 No protocols match" rather than a syntax error */
		if (!birdc_proto_name_ok(proto))
			return 0;
		n = snprintf(out, cap, "%s \"%s\"\n", cmd == BIRDC_ENABLE ? "enable" : "disable", proto);
		break;
	case BIRDC_ECHO:
		/* BIRD's "Reconfigured" and "Disabling protocol X" are info lines */
		n = snprintf(out, cap, "echo { info }\n");
		break;
	default:
		return 0;
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void birdc_reply_init(struct birdc_reply *r, int cmd, const char *proto)
{
	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	if (proto)
		snprintf(r->proto, sizeof(r->proto), "%s", proto);
}

static void keep(struct birdc_reply *r, const struct birdc_line *l)
{
	r->code = l->code;
	snprintf(r->msg, sizeof(r->msg), "%04d %s", l->code, l->text);
}

/* "NAME: enabled": the status line of one protocol. */
static int names_ours(const struct birdc_reply *r, const struct birdc_line *l)
{
	size_t n = strlen(r->proto);

	return n && l->len > n && !memcmp(l->text, r->proto, n) && l->text[n] == ':';
}

int birdc_reply_line(struct birdc_reply *r, const struct birdc_line *l)
{
	/* enable: 0011 enabled, 0010 already enabled; disable: 0009, 0008 */
	int changed = r->cmd == BIRDC_ENABLE ? 11 : 9;
	int already = r->cmd == BIRDC_ENABLE ? 10 : 8;

	if (l->kind == BIRDC_ASYNC || r->res != BIRDC_R_PENDING)
		return r->res != BIRDC_R_PENDING;
	if ((r->cmd == BIRDC_ENABLE || r->cmd == BIRDC_DISABLE) && names_ours(r, l) &&
	    (l->code == changed || l->code == already)) {
		r->seen = l->code;
		keep(r, l);
	}
	if (l->kind != BIRDC_LAST)
		return 0;
	switch (r->cmd) {
	case BIRDC_HELLO:
		r->res = l->code == 1 ? BIRDC_R_OK : BIRDC_R_ERROR;
		keep(r, l);
		break;
	case BIRDC_ECHO:
		r->res = l->code == 0 ? BIRDC_R_OK : BIRDC_R_ERROR;
		keep(r, l);
		break;
	case BIRDC_ENABLE:
	case BIRDC_DISABLE:
		if (l->code >= 8000) {
			r->res = l->code == 8003 ? BIRDC_R_NOMATCH : l->code == 8007 ? BIRDC_R_DENIED : BIRDC_R_ERROR;
			keep(r, l);
		} else if (r->seen) {
			r->res = r->seen == changed ? BIRDC_R_CHANGED : BIRDC_R_ALREADY;
		} else {
			/* a success without the protocol's line does not say what BIRD did */
			r->res = BIRDC_R_ERROR;
			keep(r, l);
		}
		break;
	default:
		r->res = BIRDC_R_ERROR;
		keep(r, l);
		break;
	}
	return 1;
}

const char *birdc_res_str(int res)
{
	switch (res) {
	case BIRDC_R_PENDING: return "no answer yet";
	case BIRDC_R_OK:      return "ok";
	case BIRDC_R_CHANGED: return "changed";
	case BIRDC_R_ALREADY: return "already so";
	case BIRDC_R_NOMATCH: return "no such protocol";
	case BIRDC_R_DENIED:  return "access denied";
	default:              return "error";
	}
}
