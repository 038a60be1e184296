/* Rule lists: one table of actions (name, where it may appear, a parser
 * that compiles its arguments, an executor), the `<set> <action> [args]
 * [if|unless cond]` line parser, and the runner.
 *
 * Most actions act and go on; final ones (allow, deny, return...) set the
 * verdict and stop the list. A rewrite that fails (arena or header table
 * full, a value that would break the head) is an internal error in strict
 * mode (the default, reset for each rule set as in HAProxy) and is
 * skipped otherwise. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tandem/acl.h>
#include <tandem/cfg.h>
#include <tandem/action.h>
#include <tandem/errors.h>
#include <tandem/h1.h>
#include <tandem/log.h>
#include <tandem/logfmt.h>
#include <tandem/pattern.h>
#include <tandem/proxy-t.h>
#include <tandem/qsbr.h>
#include <tandem/regex.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include "rules_int.h"

#define ALL_HTTP (RS_HTTP_REQ | RS_HTTP_RES | RS_HTTP_AFTER)
#define ALL_TCP  (RS_TCP_CONN | RS_TCP_SESS | RS_TCP_CONT | RS_TCP_RES)

/* ------------------------------------------------------------------ */
/* parse helpers                                                       */

static int perr(struct act_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct act_parse *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rep_err(p->rep, p->pc, "%s", msg);
}

static int is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return 0;
	return 1;
}

/* A header name a rule may set or remove. */
static int hdr_name_ok(struct act_parse *p, const char *kw, const char *name)
{
	if (!is_token(name))
		return perr(p, "'%s': invalid header name '%s'.", kw, name);
	if (hdr_kind(name, strlen(name)) == 2)
		return perr(p, "'%s': rules may not change '%s': tandem re-emits the framing headers "
			    "(Content-Length, Transfer-Encoding) itself from the message it forwards.", kw, name);
	return 0;
}

static struct logfmt *lf_compile(struct act_parse *p, const char *kw, const char *text)
{
	char err[1024];
	struct logfmt *lf = logfmt_parse(text, p->pc, p->phase, err, sizeof(err));

	if (!lf)
		perr(p, "error detected in %s while parsing '%s %s' rule : %s.", p->where, p->setname, kw, err);
	return lf;
}

static struct regex *re_compile(struct act_parse *p, const char *kw, const char *text, int icase)
{
	char err[1024];
	struct regex *re = regex_compile(text, strlen(text), icase, err, sizeof(err));

	if (!re)
		perr(p, "'%s': %s.", kw, err);
	return re;
}

static int need(struct act_parse *p, char **args, int cur, int nargs, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		if (cur + i >= nargs || !*args[cur + i] ||
		    (i == 0 && (!strcmp(args[cur], "if") || !strcmp(args[cur], "unless"))))
			return perr(p, "'%s' expects %s.", args[cur - 1], what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* simple verdicts                                                     */

static enum act_ret x_allow(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c;
	res->verdict = RV_ALLOW;
	return ACT_STOP;
}

static enum act_ret x_reject(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c;
	res->verdict = RV_REJECT;
	return ACT_STOP;
}

static enum act_ret x_close(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c;
	res->verdict = RV_CLOSE;
	return ACT_STOP;
}

static enum act_ret x_silent_drop(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c;
	res->verdict = RV_SILENT_DROP;
	return ACT_STOP;
}

static int p_none(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	(void)p; (void)r; (void)args; (void)nargs;
	(*cur)++;
	return 0;
}

/* silent-drop [rst-ttl <ttl>] */
static int p_silent_drop(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	if (i < nargs && !strcmp(args[i], "rst-ttl")) {
		char *end;
		long v = i + 1 < nargs ? strtol(args[i + 1], &end, 10) : -1;

		if (i + 1 >= nargs || *end || v < 1 || v > 255)
			return perr(p, "'silent-drop rst-ttl' expects a TTL between 1 and 255.");
		r->a.ival = (int)v;
		i += 2;
	}
	*cur = i;
	return 0;
}

/* tcp-request content switch-mode http [proto <name>] */
static int p_switch_mode(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	(void)r;
	if (i >= nargs || strcmp(args[i], "http"))
		return perr(p, "'switch-mode' expects 'http'.");
	i++;
	if (i < nargs && !strcmp(args[i], "proto")) {
		if (i + 1 >= nargs || strcmp(args[i + 1], "h1"))
			return perr(p, "'switch-mode http proto' : tandem speaks HTTP/1.1 only ('h1').");
		i += 2;
	}
	*cur = i;
	return 0;
}

static enum act_ret x_switch_mode(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c;
	res->verdict = RV_SWITCH_HTTP;
	return ACT_STOP;
}

/* expect-proxy layer4: a PROXY header comes first on this connection,
 * as with the bind's accept-proxy, for the clients the condition picks
 * (tcp-request connection only: nothing has been read yet). */
static int p_expect_proxy(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	(void)r;
	if (i >= nargs || strcmp(args[i], "layer4"))
		return perr(p, "'expect-proxy' expects 'layer4'.");
	*cur = i + 1;
	return 0;
}

static enum act_ret x_expect_proxy(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c;
	res->expect_proxy = 1;
	return ACT_CONT;
}

/* wait-for-handshake: hold the request until the TLS handshake is done.
 * tandem takes no early data (allow-0rtt is refused), so every request
 * already comes after a complete handshake: the wait is always over. */
static enum act_ret x_handshake_done(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)c; (void)res;
	return ACT_CONT;
}

/* ------------------------------------------------------------------ */
/* deny, tarpit, return, auth, redirect (replies: reply.c)             */

int reply_parse(struct act_parse *p, char **args, int *cur, int nargs, int kind, int def_status,
		struct http_reply **out);
int redirect_parse(struct act_parse *p, char **args, int *cur, int nargs, struct http_reply **out);
int redirect_applies(const struct http_reply *rp, struct smp_ctx *ctx);

enum { RP_DENY = 0, RP_RETURN, RP_ERROR };

static int p_deny(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int def = strcmp(args[*cur], "tarpit") == 0 ? 500 : p->set == RSI_HTTP_REQ ? 403 : 502;

	(*cur)++;
	return reply_parse(p, args, cur, nargs, RP_DENY, def, &r->a.reply);
}

static enum act_ret x_deny(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)c;
	res->verdict = RV_DENY;
	res->status = r->a.reply->status;
	res->reply = r->a.reply;
	return ACT_STOP;
}

static enum act_ret x_tarpit(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)c;
	res->verdict = RV_TARPIT;
	res->status = r->a.reply->status;
	res->reply = r->a.reply;
	return ACT_STOP;
}

static int p_return(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	(*cur)++;
	return reply_parse(p, args, cur, nargs, RP_RETURN, 200, &r->a.reply);
}

static enum act_ret x_reply(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)c;
	res->verdict = RV_REPLY;
	res->status = r->a.reply->status;
	res->reply = r->a.reply;
	return ACT_STOP;
}

/* auth [realm <realm>] */
static int p_auth(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	struct http_reply *rp = calloc(1, sizeof(*rp));
	int i = *cur + 1;

	if (!rp)
		return perr(p, "out of memory");
	rp->type = REPLY_AUTH;
	rp->status = 401;
	r->a.reply = rp;
	if (i < nargs && !strcmp(args[i], "realm")) {
		if (i + 1 >= nargs || !*args[i + 1])
			return perr(p, "'auth realm' expects a realm.");
		if (strchr(args[i + 1], '"') || strchr(args[i + 1], '\\'))
			return perr(p, "'auth realm' : the realm may not contain '\"' or '\\'.");
		if (!(rp->realm = strdup(args[i + 1])))
			return perr(p, "out of memory");
		i += 2;
	} else if (p->pc->px && !(rp->realm = strdup(p->pc->px->id))) {
		return perr(p, "out of memory");
	}
	*cur = i;
	return 0;
}

static enum act_ret x_auth(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	res->verdict = RV_REPLY;
	/* a request to a proxy (absolute-form target) gets 407 */
	res->status = c->req && c->req->uri.len && c->req->uri.p[0] != '/' && c->req->meth != H1_M_OPTIONS ? 407 : 401;
	res->reply = r->a.reply;
	return ACT_STOP;
}

static int p_redirect(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	(*cur)++;
	return redirect_parse(p, args, cur, nargs, &r->a.reply);
}

static enum act_ret x_redirect(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	if (!redirect_applies(r->a.reply, c))
		return ACT_CONT;   /* ignore-empty and an empty location */
	res->verdict = RV_REPLY;
	res->status = r->a.reply->status;
	res->reply = r->a.reply;
	return ACT_STOP;
}

/* ------------------------------------------------------------------ */
/* headers                                                             */

static struct h1_msg *msg_of(const struct smp_ctx *c)
{
	return c->rsp ? c->rsp : c->req;
}

/* set-header / add-header / early-hint <name> <fmt> */
static int p_hdr_fmt(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];

	if (need(p, args, *cur + 1, nargs, 2, "<name> and <fmt> as arguments") < 0)
		return -1;
	if (hdr_name_ok(p, kw, args[*cur + 1]) < 0)
		return -1;
	if (!(r->a.name = strdup(args[*cur + 1])))
		return perr(p, "out of memory");
	r->a.nlen = strlen(r->a.name);
	if (!(r->a.fmt = lf_compile(p, kw, args[*cur + 2])))
		return -1;
	*cur += 3;
	return 0;
}

static enum act_ret x_set_header(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct h1_msg *m = msg_of(c);
	size_t vl;
	char *v;

	(void)res;
	if (!m)
		return ACT_CONT;
	/* the value first: it may read the header being replaced */
	if (!(v = logfmt_render_arena(r->a.fmt, c, NULL, &vl)))
		return ACT_ERR;
	for (unsigned i = m->nhdrs; i-- > 0;)
		if (name_ieq(&m->hdrs[i].name, r->a.name, r->a.nlen))
			msg_del_hdr(c, m, i);
	return msg_add_hdr(c, m, r->a.name, r->a.nlen, v, vl) < 0 ? ACT_ERR : ACT_CONT;
}

static enum act_ret x_add_header(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct h1_msg *m = msg_of(c);
	size_t vl;
	char *v;

	(void)res;
	if (!m)
		return ACT_CONT;
	if (!(v = logfmt_render_arena(r->a.fmt, c, NULL, &vl)))
		return ACT_ERR;
	return msg_add_hdr(c, m, r->a.name, r->a.nlen, v, vl) < 0 ? ACT_ERR : ACT_CONT;
}

static enum act_ret x_early_hint(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct h1_hdr *n;
	size_t vl;
	char *v;

	(void)res;
	if (!(v = logfmt_render_arena(r->a.fmt, c, NULL, &vl)))
		return ACT_ERR;
	if (!(n = smp_alloc(c, (c->nhints + 1) * sizeof(*n))))
		return ACT_ERR;
	if (c->nhints)
		memcpy(n, c->hints, c->nhints * sizeof(*n));
	n[c->nhints].name.p = r->a.name;
	n[c->nhints].name.len = (uint32_t)r->a.nlen;
	n[c->nhints].value.p = v;
	n[c->nhints].value.len = (uint32_t)vl;
	n[c->nhints].hop = 0;
	c->hints = n;
	c->nhints++;
	return ACT_CONT;
}

/* del-header <name> [-m <method>] */
static int p_del_header(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1, next = i + 1;

	if (need(p, args, i, nargs, 1, "<name> as argument") < 0)
		return -1;
	r->a.match = PAT_M_STR;
	if (next < nargs && !strcmp(args[next], "-m")) {
		if (next + 1 >= nargs)
			return perr(p, "'del-header -m' expects a method (str, beg, end, sub or reg).");
		r->a.match = pat_match_parse(args[next + 1]);
		if (r->a.match != PAT_M_STR && r->a.match != PAT_M_BEG && r->a.match != PAT_M_END &&
		    r->a.match != PAT_M_SUB && r->a.match != PAT_M_REG)
			return perr(p, "'del-header -m' expects str, beg, end, sub or reg (got '%s').", args[next + 1]);
		next += 2;
	}
	if (r->a.match == PAT_M_REG) {
		if (!(r->a.re = re_compile(p, "del-header", args[i], 1)))
			return -1;
	} else if (r->a.match == PAT_M_STR && hdr_name_ok(p, "del-header", args[i]) < 0) {
		return -1;
	}
	if (!(r->a.name = strdup(args[i])))
		return perr(p, "out of memory");
	r->a.nlen = strlen(r->a.name);
	*cur = next;
	return 0;
}

static int name_matches(const struct rule *r, const struct h1_str *n)
{
	size_t l = r->a.nlen;

	switch (r->a.match) {
	case PAT_M_BEG: return n->len >= l && !strncasecmp(n->p, r->a.name, l);
	case PAT_M_END: return n->len >= l && !strncasecmp(n->p + n->len - l, r->a.name, l);
	case PAT_M_SUB:
		for (size_t i = 0; i + l <= n->len; i++)
			if (!strncasecmp(n->p + i, r->a.name, l))
				return 1;
		return 0;
	case PAT_M_REG: return regex_match(r->a.re, n->p, n->len);
	default:        return name_ieq(n, r->a.name, l);
	}
}

static enum act_ret x_del_header(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct h1_msg *m = msg_of(c);

	(void)res;
	if (!m)
		return ACT_CONT;
	for (unsigned i = m->nhdrs; i-- > 0;) {
		const struct h1_str *n = &m->hdrs[i].name;

		/* framing stays tandem's, whatever a pattern matches */
		if (name_matches(r, n) && hdr_kind(n->p, n->len) != 2)
			msg_del_hdr(c, m, i);
	}
	return ACT_CONT;
}

/* Expand \0..\9, \xHH and \<char> of <tpl> against <subj>'s groups. */
static char *expand(struct smp_ctx *c, const char *tpl, size_t tl, const char *subj, const size_t *ov,
		    int ng, size_t *olen)
{
	size_t len = 0;
	char *o, *w;

	for (int pass = 0; pass < 2; pass++) {
		w = pass ? o : NULL;
		len = 0;
		for (size_t i = 0; i < tl; i++) {
			char ch = tpl[i];

			if (ch == '\\' && i + 1 < tl) {
				char n = tpl[++i];

				if (isdigit((unsigned char)n)) {
					int g = n - '0';

					if (g < ng && ov[2 * g] != (size_t)-1) {
						size_t gl = ov[2 * g + 1] - ov[2 * g];

						if (w)
							memcpy(w + len, subj + ov[2 * g], gl);
						len += gl;
					}
					continue;
				}
				if (n == 'x' && i + 2 < tl && hex_val((unsigned char)tpl[i + 1]) >= 0 &&
				    hex_val((unsigned char)tpl[i + 2]) >= 0) {
					ch = (char)(hex_val((unsigned char)tpl[i + 1]) << 4 | hex_val((unsigned char)tpl[i + 2]));
					i += 2;
				} else {
					ch = n;
				}
			}
			if (w)
				w[len] = ch;
			len++;
		}
		if (!pass && !(o = smp_alloc(c, len + 1)))
			return NULL;
	}
	o[len] = 0;
	*olen = len;
	return o;
}

/* replace-header / replace-value <name> <regex> <fmt> */
static int p_replace_hdr(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];

	if (need(p, args, *cur + 1, nargs, 3, "<name>, <match-regex> and <replace-fmt> as arguments") < 0)
		return -1;
	if (hdr_name_ok(p, kw, args[*cur + 1]) < 0)
		return -1;
	if (!(r->a.name = strdup(args[*cur + 1])))
		return perr(p, "out of memory");
	r->a.nlen = strlen(r->a.name);
	if (!(r->a.re = re_compile(p, kw, args[*cur + 2], 0)) || !(r->a.fmt = lf_compile(p, kw, args[*cur + 3])))
		return -1;
	r->a.ival = !strcmp(kw, "replace-value");
	*cur += 4;
	return 0;
}

static enum act_ret x_replace_hdr(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct h1_msg *m = msg_of(c);
	size_t tl, ov[2 * REGEX_MAX_GROUPS];
	char *tpl;

	(void)res;
	if (!m)
		return ACT_CONT;
	if (!(tpl = logfmt_render_arena(r->a.fmt, c, NULL, &tl)))
		return ACT_ERR;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		struct h1_hdr *h = &m->hdrs[i];
		const char *v = h->value.p;
		size_t vl = h->value.len;

		if (!name_ieq(&h->name, r->a.name, r->a.nlen))
			continue;
		if (!r->a.ival) {
			int ng = regex_exec(r->a.re, v, vl, 0, ov);
			char *nv;
			size_t nl;

			if (!ng)
				continue;
			if (!(nv = expand(c, tpl, tl, v, ov, ng, &nl)) || msg_set_hdr_value(c, m, i, nv, nl) < 0)
				return ACT_ERR;
			continue;
		}
		/* replace-value: each comma-separated value on its own */
		{
			char *out = NULL;
			size_t ol = 0, cap = 0;
			const char *p = v, *e = v + vl;
			int changed = 0;

			while (p <= e) {
				const char *ve = p;
				const char *s = p;
				size_t sl;
				char *nv = NULL;
				size_t nl = 0;
				int ng;

				while (ve < e && *ve != ',')
					ve++;
				while (s < ve && (*s == ' ' || *s == '\t'))
					s++;
				sl = (size_t)(ve - s);
				while (sl && (s[sl - 1] == ' ' || s[sl - 1] == '\t'))
					sl--;
				ng = regex_exec(r->a.re, s, sl, 0, ov);
				if (ng) {
					/* as HAProxy: a replaced value loses the blanks
					 * around it, the others stay as they were */
					if (!(nv = expand(c, tpl, tl, s, ov, ng, &nl)))
						return ACT_ERR;
					changed = 1;
				} else {
					nv = (char *)p;
					nl = (size_t)(ve - p);
				}
				/* grow the output in the arena (rare, small) */
				if (ol + nl + 2 > cap) {
					size_t ncap = (ol + nl + 2) * 2;
					char *no = smp_alloc(c, ncap);

					if (!no)
						return ACT_ERR;
					if (ol)
						memcpy(no, out, ol);
					out = no;
					cap = ncap;
				}
				if (p != v)
					out[ol++] = ',';
				memcpy(out + ol, nv, nl);
				ol += nl;
				if (ve == e)
					break;
				p = ve + 1;
			}
			if (changed && msg_set_hdr_value(c, m, i, out, ol) < 0)
				return ACT_ERR;
		}
	}
	return ACT_CONT;
}

/* ------------------------------------------------------------------ */
/* request line                                                        */

enum { U_PATH = 0, U_PATHQ, U_QUERY, U_URI, U_METHOD };

/* set-path / set-pathq / set-query / set-uri / set-method <fmt> */
static int p_set_uri(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];

	if (need(p, args, *cur + 1, nargs, 1, "<fmt> as argument") < 0)
		return -1;
	r->a.ival = !strcmp(kw, "set-path") ? U_PATH : !strcmp(kw, "set-pathq") ? U_PATHQ :
		    !strcmp(kw, "set-query") ? U_QUERY : !strcmp(kw, "set-uri") ? U_URI : U_METHOD;
	if (!(r->a.fmt = lf_compile(p, kw, args[*cur + 1])))
		return -1;
	*cur += 2;
	return 0;
}

/* Rebuild the request target with one part replaced. */
static int put_uri_part(struct smp_ctx *c, struct h1_msg *m, int part, const char *v, size_t vl)
{
	const char *u = m->uri.p, *path, *q;
	size_t ul = m->uri.len, pl, ql, pre, nl;
	int hq;
	char *n, *w;

	if (part == U_URI)
		return msg_set_uri(c, m, v, vl);
	uri_split(u, ul, &path, &pl, &q, &ql, &hq);
	pre = (size_t)(path - u);
	if (part == U_PATH)
		nl = pre + vl + (hq ? ql + 1 : 0);
	else if (part == U_PATHQ)
		nl = pre + vl;
	else
		nl = pre + pl + 1 + vl;
	if (!(n = w = smp_alloc(c, nl + 1)))
		return -1;
	memcpy(w, u, pre);
	w += pre;
	if (part == U_QUERY) {
		memcpy(w, path, pl);
		w += pl;
		*w++ = '?';
	}
	memcpy(w, v, vl);
	w += vl;
	if (part == U_PATH && hq) {
		*w++ = '?';
		memcpy(w, q, ql);
		w += ql;
	}
	return msg_set_uri(c, m, n, (size_t)(w - n));
}

static enum act_ret x_set_uri(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	size_t vl;
	char *v;

	(void)res;
	if (!c->req)
		return ACT_CONT;
	if (!(v = logfmt_render_arena(r->a.fmt, c, NULL, &vl)))
		return ACT_ERR;
	if (r->a.ival == U_METHOD)
		return msg_set_method(c, c->req, v, vl) < 0 ? ACT_ERR : ACT_CONT;
	return put_uri_part(c, c->req, r->a.ival, v, vl) < 0 ? ACT_ERR : ACT_CONT;
}

/* replace-path / replace-pathq / replace-uri <regex> <fmt> */
static int p_replace_uri(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];

	if (need(p, args, *cur + 1, nargs, 2, "<match-regex> and <replace-fmt> as arguments") < 0)
		return -1;
	r->a.ival = !strcmp(kw, "replace-path") ? U_PATH : !strcmp(kw, "replace-pathq") ? U_PATHQ : U_URI;
	if (!(r->a.re = re_compile(p, kw, args[*cur + 1], 0)) || !(r->a.fmt = lf_compile(p, kw, args[*cur + 2])))
		return -1;
	*cur += 3;
	return 0;
}

static enum act_ret x_replace_uri(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct h1_msg *m = c->req;
	const char *subj, *path, *q;
	size_t sl, pl, ql, tl, nl, ov[2 * REGEX_MAX_GROUPS];
	int hq, ng;
	char *tpl, *nv;

	(void)res;
	if (!m)
		return ACT_CONT;
	uri_split(m->uri.p, m->uri.len, &path, &pl, &q, &ql, &hq);
	if (r->a.ival == U_URI) {
		subj = m->uri.p;
		sl = m->uri.len;
	} else {
		subj = path;
		sl = r->a.ival == U_PATH ? pl : (size_t)(m->uri.p + m->uri.len - path);
	}
	if (!(ng = regex_exec(r->a.re, subj, sl, 0, ov)))
		return ACT_CONT;
	if (!(tpl = logfmt_render_arena(r->a.fmt, c, NULL, &tl)) || !(nv = expand(c, tpl, tl, subj, ov, ng, &nl)))
		return ACT_ERR;
	return put_uri_part(c, m, r->a.ival, nv, nl) < 0 ? ACT_ERR : ACT_CONT;
}

/* set-status <code> [reason <str>] */
static int p_set_status(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;
	char *end;
	long v;

	if (need(p, args, i, nargs, 1, "a status code as argument") < 0)
		return -1;
	v = strtol(args[i], &end, 10);
	if (*end || v < 100 || v > 999)
		return perr(p, "'set-status' expects an integer status code between 100 and 999, got '%s'.", args[i]);
	r->a.ival = (int)v;
	i++;
	if (i < nargs && !strcmp(args[i], "reason")) {
		if (i + 1 >= nargs)
			return perr(p, "'set-status reason' expects a reason phrase.");
		for (const char *s = args[i + 1]; *s; s++)
			if (*s == '\r' || *s == '\n')
				return perr(p, "'set-status reason' may not contain CR or LF.");
		if (!(r->a.str = strdup(args[i + 1])))
			return perr(p, "out of memory");
		i += 2;
	}
	*cur = i;
	return 0;
}

static enum act_ret x_set_status(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	const char *reason;

	(void)res;
	if (!c->rsp)
		return ACT_CONT;
	c->rsp->status = r->a.ival;
	reason = r->a.str ? r->a.str : http_reason(r->a.ival);
	c->rsp->reason.p = reason;
	c->rsp->reason.len = (uint32_t)strlen(reason);
	c->status = r->a.ival;
	smp_ctx_invalidate(c);
	return ACT_CONT;
}

/* ------------------------------------------------------------------ */
/* variables                                                           */

int rules_var_cond_parse(const char *w, size_t len);
int rules_var_cond_ok(struct smp_ctx *c, int id, int conds, const struct sample *v);

/* "set-var(txn.x,ifexists,...)": the name and conditions from the keyword. */
static int var_from_kw(struct act_parse *p, const char *kw, int *id, int *conds, int allow_conds)
{
	const char *o = strchr(kw, '('), *c = o ? strrchr(o, ')') : NULL, *n, *e;
	char err[512];

	if (!o || !c || c[1]) {
		return perr(p, "'%s' : expects a variable name between parentheses, as in 'set-var(txn.name)'.", kw);
	}
	n = o + 1;
	for (e = n; e < c && *e != ','; e++)
		;
	if ((*id = vars_register(p->pc->rcfg, n, (size_t)(e - n), err, sizeof(err))) < 0)
		return perr(p, "'%s' : %s.", kw, err);
	*conds = 0;
	while (e < c) {
		const char *s = e + 1;
		int cn;

		for (e = s; e < c && *e != ','; e++)
			;
		if (!allow_conds || (cn = rules_var_cond_parse(s, (size_t)(e - s))) < 0)
			return perr(p, "'%s' : unknown condition '%.*s' (ifexists, ifnotexists, ifempty, ifnotempty, "
				    "ifset, ifnotset, ifgt, iflt).", kw, (int)(e - s), s);
		*conds |= cn;
	}
	return 0;
}

static int p_set_var(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];
	char err[1024];

	if (var_from_kw(p, kw, &r->a.ival, &r->a.ival2, 1) < 0)
		return -1;
	if (need(p, args, *cur + 1, nargs, 1, "a sample expression as argument") < 0)
		return -1;
	if (!(r->a.expr = smp_expr_parse(args[*cur + 1], NULL, p->pc, err, sizeof(err))))
		return perr(p, "'%s' : failed to parse sample expression <%s> : %s.", kw, args[*cur + 1], err);
	if (smp_expr_check_phase(r->a.expr, p->phase, err, sizeof(err)) < 0)
		return perr(p, "fetch method '%s' extracts information from '%s', none of which is available here.",
			    kw, smp_src_name(r->a.expr->fetch->src, p->phase));
	*cur += 2;
	return 0;
}

static enum act_ret x_set_var(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct sample s;

	(void)res;
	if (!smp_eval(r->a.expr, c, &s))
		return ACT_CONT;   /* no value: the variable is left as it is (HAProxy) */
	if (rules_var_cond_ok(c, r->a.ival, r->a.ival2, &s))
		vars_set(c, r->a.ival, &s);
	return ACT_CONT;
}

static int p_set_var_fmt(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	const char *kw = args[*cur];

	if (var_from_kw(p, kw, &r->a.ival, &r->a.ival2, 1) < 0)
		return -1;
	if (need(p, args, *cur + 1, nargs, 1, "a log-format string as argument") < 0)
		return -1;
	if (!(r->a.fmt = lf_compile(p, kw, args[*cur + 1])))
		return -1;
	*cur += 2;
	return 0;
}

static enum act_ret x_set_var_fmt(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct sample s;
	size_t vl;
	char *v;

	(void)res;
	if (!(v = logfmt_render_arena(r->a.fmt, c, NULL, &vl)))
		return ACT_ERR;
	smp_set_str(&s, v, vl, 0);
	if (rules_var_cond_ok(c, r->a.ival, r->a.ival2, &s))
		vars_set(c, r->a.ival, &s);
	return ACT_CONT;
}

static int p_unset_var(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	(void)nargs;
	if (var_from_kw(p, args[*cur], &r->a.ival, &r->a.ival2, 0) < 0)
		return -1;
	(*cur)++;
	return 0;
}

static enum act_ret x_unset_var(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)res;
	vars_unset(c, r->a.ival);
	return ACT_CONT;
}

/* ------------------------------------------------------------------ */
/* logs, captures, modes                                               */

static int p_set_log_level(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	if (need(p, args, i, nargs, 1, "a log level as argument") < 0)
		return -1;
	if (!strcmp(args[i], "silent"))
		r->a.ival = -2;
	else if ((r->a.ival = log_level_parse(args[i])) < 0)
		return perr(p, "'set-log-level' expects a log level (emerg, alert, crit, err, warning, notice, info, "
			    "debug) or 'silent', got '%s'.", args[i]);
	*cur = i + 1;
	return 0;
}

static enum act_ret x_set_log_level(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)res;
	if (c->txn)
		c->txn->log_level = r->a.ival;
	return ACT_CONT;
}

/* capture <sample> [len <length> | id <id>] */
static int p_capture(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1, rsp = p->set == RSI_HTTP_RES || p->set == RSI_TCP_RES;
	char err[1024], *end;
	long v;

	if (need(p, args, i, nargs, 1, "a sample expression, then 'len <length>' or 'id <id>'") < 0)
		return -1;
	if (!(r->a.expr = smp_expr_parse(args[i], NULL, p->pc, err, sizeof(err))))
		return perr(p, "'capture' : failed to parse sample expression <%s> : %s.", args[i], err);
	if (smp_expr_check_phase(r->a.expr, p->phase, err, sizeof(err)) < 0)
		return perr(p, "'capture' : %s.", err);
	i++;
	if (i + 1 >= nargs || (strcmp(args[i], "len") && strcmp(args[i], "id")))
		return perr(p, "'capture' expects 'len <length>' or 'id <id>' after the sample expression.");
	v = strtol(args[i + 1], &end, 10);
	if (*end || v < (args[i][0] == 'l' ? 1 : 0) || v > 65535)
		return perr(p, "'capture %s' expects a number, got '%s'.", args[i], args[i + 1]);
	if (args[i][0] == 'l') {
		struct px_rules *pr = px_rules_get(p->pc->px);
		struct cap_decl *d;

		if (rsp)
			return perr(p, "'http-response capture' expects 'id <id>' (declare the slot with 'declare capture response').");
		if (!(p->pc->px->cap & PR_CAP_FE))
			return perr(p, "'capture len' is only allowed in a frontend: in a backend, use 'id' with a "
				    "slot declared in the frontend ('declare capture request len N').");
		if (!pr || !(d = realloc(pr->cap_req, (size_t)(pr->n_cap_req + 1) * sizeof(*d))))
			return perr(p, "out of memory");
		pr->cap_req = d;
		d[pr->n_cap_req].hdr = NULL;
		d[pr->n_cap_req].len = (int)v;
		r->a.ival = pr->n_cap_req++;
	} else {
		r->a.ival = (int)v;
		r->a.ival2 = 1;   /* an id: checked after parsing */
	}
	*cur = i + 2;
	return 0;
}

static enum act_ret x_capture(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	struct sample s;

	(void)res;
	if (c->txn && smp_eval_str(r->a.expr, c, &s))
		txn_capture(c->txn, c->rsp != NULL || c->phase == SMP_PH_TCP_RES, r->a.ival, s.u.str.p, s.u.str.len);
	return ACT_CONT;
}

static int p_strict_mode(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	if (i >= nargs || (strcmp(args[i], "on") && strcmp(args[i], "off")))
		return perr(p, "'strict-mode' expects 'on' or 'off'.");
	r->a.ival = !strcmp(args[i], "on");
	*cur = i + 1;
	return 0;
}

static enum act_ret x_strict_mode(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)res;
	if (c->txn)
		c->txn->strict = r->a.ival;
	return ACT_CONT;
}

static enum act_ret x_no_l7_retry(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)r; (void)res;
	if (c->txn)
		c->txn->no_l7_retry = 1;
	return ACT_CONT;
}

/* use-service <name> */
static int p_use_service(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	if (need(p, args, i, nargs, 1, "a service name as argument") < 0)
		return -1;
	for (const char *s = args[i]; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return perr(p, "'use-service': invalid service name '%s'.", args[i]);
	if (p->service_known) {
		if (!p->service_known(args[i]))
			return perr(p, "error detected in %s while parsing '%s use-service' rule : '%s' unknown service name.",
				    p->where, p->setname, args[i]);
		/* tandem's services (stats page, Prometheus exporter) answer HTTP */
		if (p->set != RSI_HTTP_REQ)
			return perr(p, "'%s' service only available on 'http-request' rulesets.", args[i]);
	}
	if (!(r->a.name = strdup(args[i])))
		return perr(p, "out of memory");
	*cur = i + 1;
	return 0;
}

static enum act_ret x_use_service(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	(void)c;
	res->verdict = RV_SERVICE;
	res->service = r->a.name;
	return ACT_STOP;
}

/* wait-for-body time <time> [at-least <bytes>] */
static int p_wait_body(struct act_parse *p, struct rule *r, char **args, int *cur, int nargs)
{
	int i = *cur + 1;

	if (i + 1 >= nargs || strcmp(args[i], "time") || cfg_parse_time(args[i + 1], &r->a.ms) < 0)
		return perr(p, "'wait-for-body' expects 'time <time>' (e.g. 'time 1s').");
	i += 2;
	if (i < nargs && !strcmp(args[i], "at-least")) {
		uint64_t sz;

		if (i + 1 >= nargs || cfg_parse_size(args[i + 1], &sz) < 0 || sz > 0x7fffffff)
			return perr(p, "'wait-for-body at-least' expects a size.");
		r->a.ival = (int)sz;
		i += 2;
	}
	*cur = i;
	return 0;
}

static enum act_ret x_wait_body(const struct rule *r, struct smp_ctx *c, struct rule_result *res)
{
	if (c->body_final || (r->a.ival && c->body && c->body_len >= (size_t)r->a.ival))
		return ACT_CONT;
	res->wait_ms = r->a.ms;
	res->want_body = (size_t)r->a.ival;
	return ACT_WAIT;
}

/* ------------------------------------------------------------------ */
/* the table                                                           */

static const struct action_kw actions[] = {
	{ "accept",          RS_TCP_CONN | RS_TCP_SESS | RS_TCP_CONT | RS_TCP_RES, p_none, x_allow, 0 },
	{ "allow",           ALL_HTTP, p_none, x_allow, 0 },
	{ "reject",          ALL_TCP | RS_HTTP_REQ, p_none, x_reject, 0 },
	{ "close",           RS_TCP_RES, p_none, x_close, 0 },
	{ "silent-drop",     ALL_TCP | RS_HTTP_REQ | RS_HTTP_RES, p_silent_drop, x_silent_drop, 0 },
	{ "switch-mode",     RS_TCP_CONT, p_switch_mode, x_switch_mode, 0 },
	{ "expect-proxy",    RS_TCP_CONN, p_expect_proxy, x_expect_proxy, 0 },
	{ "wait-for-handshake", RS_HTTP_REQ, p_none, x_handshake_done, 0 },
	{ "deny",            RS_HTTP_REQ | RS_HTTP_RES, p_deny, x_deny, 0 },
	{ "tarpit",          RS_HTTP_REQ, p_deny, x_tarpit, 0 },
	{ "return",          RS_HTTP_REQ | RS_HTTP_RES, p_return, x_reply, 0 },
	{ "auth",            RS_HTTP_REQ, p_auth, x_auth, 0 },
	{ "redirect",        RS_HTTP_REQ | RS_HTTP_RES, p_redirect, x_redirect, 0 },
	{ "set-header",      ALL_HTTP, p_hdr_fmt, x_set_header, 0 },
	{ "add-header",      ALL_HTTP, p_hdr_fmt, x_add_header, 0 },
	{ "del-header",      ALL_HTTP, p_del_header, x_del_header, 0 },
	{ "replace-header",  ALL_HTTP, p_replace_hdr, x_replace_hdr, 0 },
	{ "replace-value",   ALL_HTTP, p_replace_hdr, x_replace_hdr, 0 },
	{ "early-hint",      RS_HTTP_REQ, p_hdr_fmt, x_early_hint, 0 },
	{ "set-path",        RS_HTTP_REQ, p_set_uri, x_set_uri, 0 },
	{ "set-pathq",       RS_HTTP_REQ, p_set_uri, x_set_uri, 0 },
	{ "set-query",       RS_HTTP_REQ, p_set_uri, x_set_uri, 0 },
	{ "set-uri",         RS_HTTP_REQ, p_set_uri, x_set_uri, 0 },
	{ "set-method",      RS_HTTP_REQ, p_set_uri, x_set_uri, 0 },
	{ "replace-path",    RS_HTTP_REQ, p_replace_uri, x_replace_uri, 0 },
	{ "replace-pathq",   RS_HTTP_REQ, p_replace_uri, x_replace_uri, 0 },
	{ "replace-uri",     RS_HTTP_REQ, p_replace_uri, x_replace_uri, 0 },
	{ "set-status",      RS_HTTP_RES | RS_HTTP_AFTER, p_set_status, x_set_status, 0 },
	{ "set-var(",        ALL_HTTP | ALL_TCP, p_set_var, x_set_var, 1 },
	{ "set-var-fmt(",    ALL_HTTP | ALL_TCP, p_set_var_fmt, x_set_var_fmt, 1 },
	{ "unset-var(",      ALL_HTTP | ALL_TCP, p_unset_var, x_unset_var, 1 },
	{ "set-log-level",   ALL_HTTP | RS_TCP_CONT | RS_TCP_RES, p_set_log_level, x_set_log_level, 0 },
	{ "capture",         RS_HTTP_REQ | RS_HTTP_RES | RS_HTTP_AFTER | RS_TCP_CONT, p_capture, x_capture, 0 },
	{ "strict-mode",     ALL_HTTP, p_strict_mode, x_strict_mode, 0 },
	{ "disable-l7-retry",RS_HTTP_REQ, p_none, x_no_l7_retry, 0 },
	{ "use-service",     RS_HTTP_REQ | RS_TCP_CONT, p_use_service, x_use_service, 0 },
	{ "wait-for-body",   RS_HTTP_REQ | RS_HTTP_RES, p_wait_body, x_wait_body, 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

/* HAProxy actions tandem does not have (yet): refused with a reason. */
static const struct { const char *prefix; const char *why; } unsupported[] = {
	{ "track-sc", "stick counter index out of range: tandem tracks sc0, sc1 and sc2 (track-sc0, track-sc1, track-sc2)" },
	{ "sc-inc-gpc(", "general purpose counter arrays are not supported by tandem (use sc-inc-gpc0/1)" },
	{ "sc-set-gpt(", "general purpose tag arrays are not supported by tandem (use sc-set-gpt0)" },
	{ "sc-add-gpc(", "general purpose counter arrays are not supported by tandem (use sc-inc-gpc0/1)" },
	{ "set-map(", "changing maps from rules is not supported (use the runtime API: set map, add map)" },
	{ "del-map(", "changing maps from rules is not supported (use the runtime API: del map)" },
	{ "add-acl(", "changing ACL files from rules is not supported (use the runtime API: add acl)" },
	{ "del-acl(", "changing ACL files from rules is not supported (use the runtime API: del acl)" },
	{ "lua.", "Lua is not supported by tandem" },
	{ "do-resolve(", "the do-resolve action is not supported yet (servers follow DNS with 'resolvers')" },
	{ "cache-use", "the HTTP cache is not supported by tandem" },
	{ "cache-store", "the HTTP cache is not supported by tandem" },
	{ "set-src", "changing the source address is not supported by tandem" },
	{ "set-dst", "changing the destination address is not supported by tandem" },
	{ "set-tos", "setting TOS is not supported by tandem" },
	{ "set-mark", "setting a netfilter mark is not supported by tandem" },
	{ "set-nice", "stream priorities are not supported by tandem" },
	{ "set-priority-", "queue priorities are not supported by tandem" },
	{ "set-timeout", "changing timeouts from rules is not supported yet" },
	{ "normalize-uri", "URI normalisation is not supported yet" },
	{ "send-spoe-group", "SPOE is not supported by tandem" },
	{ "set-bandwidth-limit", "bandwidth limits are not supported by tandem" },
	{ "expect-netscaler-cip", "NetScaler client IP insertion is not supported by tandem" },
	{ "set-fc-", "not supported by tandem" },
	{ "attach-srv", "not supported by tandem" },
};

/* The action tables: this file's, and the stick table actions
 * (stick_act.c: track-sc0/1/2, sc-inc-gpc0/1, sc-set-gpt0). */
static const struct action_kw *const action_tables[] = { actions, stick_actions };

static const struct action_kw *find_action(const char *w)
{
	for (size_t t = 0; t < sizeof(action_tables) / sizeof(action_tables[0]); t++)
		for (const struct action_kw *k = action_tables[t]; k->name; k++) {
			size_t l = strlen(k->name);

			if (k->prefix ? !strncmp(w, k->name, l) : !strcmp(w, k->name))
				return k;
		}
	return NULL;
}

void action_for_each_kw(int set, void (*fn)(const char *name, void *arg), void *arg)
{
	for (size_t t = 0; t < sizeof(action_tables) / sizeof(action_tables[0]); t++)
		for (const struct action_kw *k = action_tables[t]; k->name; k++)
			if (k->where & (1u << set))
				fn(k->name, arg);
}

static void rule_free(struct rule *r)
{
	acl_cond_free(r->cond);
	free(r->a.name);
	logfmt_free(r->a.fmt);
	regex_free(r->a.re);
	if (r->a.tab)
		smp_arg_free(r->a.tab);
	free(r->a.tab);
	smp_expr_free(r->a.expr);
	http_reply_free(r->a.reply);
	free(r->a.str);
}

void rule_list_free(struct rule_list *l)
{
	for (int i = 0; i < l->n; i++)
		rule_free(&l->r[i]);
	free(l->r);
	l->r = NULL;
	l->n = 0;
}

static void list_names(int set, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t t = 0; t < sizeof(action_tables) / sizeof(action_tables[0]); t++)
		for (const struct action_kw *k = action_tables[t]; k->name; k++)
			if (k->where & (1u << set)) {
				int n = snprintf(buf + o, len - o, "%s'%s%s'", o ? ", " : "", k->name,
						 k->prefix ? (!strncmp(k->name, "sc-", 3) ? "<sc-id>)" : "<var>)") : "");

				if (n < 0 || (size_t)n >= len - o)
					return;
				o += (size_t)n;
			}
}

int rule_parse(struct act_parse *p, struct rule_list *list, char **args, int nargs)
{
	const struct action_kw *kw;
	struct rule r = { .file = p->pc->file, .line = p->pc->line }, *nr;
	int cur = 0;

	if (nargs < 1 || !*args[0]) {
		char names[2048];

		list_names(p->set, names, sizeof(names));
		return perr(p, "'%s' expects an action (%s).", p->setname, names);
	}
	if (!(kw = find_action(args[0])) || !(kw->where & (1u << p->set))) {
		char names[2048];

		for (size_t i = 0; !kw && i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
			if (!strncmp(args[0], unsupported[i].prefix, strlen(unsupported[i].prefix)))
				return perr(p, "'%s %s' is not supported by tandem: %s.", p->setname, args[0], unsupported[i].why);
		list_names(p->set, names, sizeof(names));
		if (kw)
			return perr(p, "'%s' : action '%s' is not allowed here (expects %s).", p->setname, args[0], names);
		return perr(p, "'%s' : unknown action '%s' (expects %s).", p->setname, args[0], names);
	}
	r.kw = kw;
	p->kw = args[0];
	if (kw->parse(p, &r, args, &cur, nargs) < 0)
		goto fail;
	if (cur < nargs && strcmp(args[cur], "if") && strcmp(args[cur], "unless")) {
		perr(p, "'%s %s' : unexpected argument '%s' (a condition starts with 'if' or 'unless'; "
		     "quote values that contain spaces).", p->setname, args[0], args[cur]);
		goto fail;
	}
	{
		char where[300];

		snprintf(where, sizeof(where), "'%s %s'", p->setname, args[0]);
		if (acl_cond_parse(p->pc, p->rep, args, &cur, nargs, where, &r.cond) < 0)
			goto fail;
		snprintf(where, sizeof(where), "'%s %s' of %s", p->setname, args[0], p->where);
		if (r.cond && p->phase >= 0 && acl_cond_check_phase(r.cond, p->phase, where, p->rep) < 0)
			goto fail;
	}
	if (!(nr = realloc(list->r, (size_t)(list->n + 1) * sizeof(*nr)))) {
		perr(p, "out of memory");
		goto fail;
	}
	list->r = nr;
	nr[list->n++] = r;
	return 0;
fail:
	rule_free(&r);
	return -1;
}

/* ------------------------------------------------------------------ */
/* running                                                             */

void rule_list_run(const struct rule_list *list, struct smp_ctx *ctx, struct rule_result *res)
{
	int start = res->verdict == RV_WAIT ? res->resume : 0;

	res->verdict = RV_CONTINUE;
	res->wait_ms = 0;
	res->want_body = 0;
	if (ctx->txn)
		ctx->txn->strict = 1;   /* reset for every rule set */
	qsbr_read_lock();
	for (int i = start; i < list->n; i++) {
		const struct rule *r = &list->r[i];
		enum act_ret ret;

		if (r->cond) {
			int c = acl_cond_exec(r->cond, ctx);

			if (c == ACL_MISS) {
				if (!ctx->payload_final) {
					res->verdict = RV_WAIT;
					res->resume = i;
					break;
				}
				c = ACL_FAIL;   /* no more data will come: undecided is false */
			}
			if (c != ACL_MATCH)
				continue;
		}
		ctx->last_rule_file = r->file;
		ctx->last_rule_line = r->line;
		ret = r->kw->exec(r, ctx, res);
		if (ret == ACT_CONT)
			continue;
		if (ret == ACT_ERR) {
			if (ctx->txn && !ctx->txn->strict)
				continue;
			res->verdict = RV_ERROR;
			res->status = 500;
			res->reply = NULL;
		} else if (ret == ACT_WAIT) {
			res->verdict = RV_WAIT;
			res->resume = i;
		}
		res->file = r->file;
		res->line = r->line;
		break;
	}
	qsbr_read_unlock();
}
