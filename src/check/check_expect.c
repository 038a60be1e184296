/* tcp-check expectations with HAProxy's options, and the HTTP check's
 * extras of the long tail (issue 18):
 *  - `min-recv`, `ok-status`, `error-status`, `tout-status`;
 *  - the info texts of protocol checks (a fixed text, or the server's own
 *    words: the payload from an offset, cut at the end of its line) and
 *    the status code SMTP answers carry;
 *  - bytes a send step builds when it runs (the SSLv3 hello's time);
 *  - `http-check send-state` (X-Haproxy-Server-State) and
 *    `http-check disable-on-404` (a 404 puts a running server in NOLB).
 * The rule engine itself is in check_tcp.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <tandem/check.h>
#include <tandem/h1-t.h>
#include <tandem/sock.h>
#include <tandem/srv_state.h>
#include <tandem/worker.h>
#include "check_int.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void chk_payload_text(const struct srv_health *h, int off, int cut, char *out, size_t len)
{
	const struct chk_run *r = &h->run;
	size_t n = 0;

	*out = 0;
	if (off < 0 || (size_t)off >= r->inlen)
		return;
	for (size_t i = (size_t)off; i < r->inlen && n + 1 < len; i++) {
		char c = r->in[i];

		if (!c || (cut && (c == '\r' || c == '\n')))
			break;
		out[n++] = c;
	}
	out[n] = 0;
	if (off == 4 && cut) {    /* SMTP's ltrim(' ') after the code */
		size_t k = strspn(out, " ");

		memmove(out, out + k, n - k + 1);
	}
}

/* The 3-digit code an SMTP answer starts with, else 0. */
static int payload_code(const struct srv_health *h)
{
	const struct chk_run *r = &h->run;

	if (r->inlen < 3 || r->in[0] < '0' || r->in[0] > '9' || r->in[1] < '0' || r->in[1] > '9' ||
	    r->in[2] < '0' || r->in[2] > '9')
		return 0;
	return (r->in[0] - '0') * 100 + (r->in[1] - '0') * 10 + (r->in[2] - '0');
}

static void msg_of(const struct srv_health *h, int kind, const char *text, int off, char *out, size_t len)
{
	*out = 0;
	if (kind == EMSG_TEXT && text)
		snprintf(out, len, "%s", text);
	else if (kind == EMSG_PAYLOAD || kind == EMSG_PAYLOAD_RAW)
		chk_payload_text(h, off, kind == EMSG_PAYLOAD, out, len);
}

/* HAProxy's words for a tcp-check expectation that failed. */
static void generic_fail(const struct chk_tcp_rule *t, int matched, int step, char *desc, size_t len)
{
	int n = snprintf(desc, len, "%s", matched ? "TCPCHK matched unwanted content" : "TCPCHK did not match content");

	if (n < 0 || (size_t)n >= len)
		return;
	switch (t->exp.type) {
	case EXP_STRING:  n += snprintf(desc + n, len - (size_t)n, " '%s' at step %d", t->exp.pat, step); break;
	case EXP_BINARY:  n += snprintf(desc + n, len - (size_t)n, " (binary) at step %d", step); break;
	case EXP_RSTRING: n += snprintf(desc + n, len - (size_t)n, " (regex) at step %d", step); break;
	default:          n += snprintf(desc + n, len - (size_t)n, " (binary regex) at step %d", step); break;
	}
	if (t->exp.comment && n > 0 && (size_t)n < len)
		snprintf(desc + n, len - (size_t)n, " comment: %s", t->exp.comment);
}

int chk_expect_eval(struct srv_health *h, const struct chk_tcp_rule *t, int step, int last)
{
	const struct chk_expect *e = &t->exp;
	struct chk_run *r = &h->run;
	char desc[HS_DESC_LEN];
	int m;

	last |= r->inlen >= r->incap;
	if (e->type == EXP_CUSTOM)
		return e->custom(h, t, last);
	if (!last) {
		/* not enough bytes for the pattern or for min-recv yet */
		if ((e->type == EXP_STRING && r->inlen < strlen(e->pat)) ||
		    (e->type == EXP_BINARY && r->inlen < e->binlen) ||
		    (e->min_recv > 0 && r->inlen < (size_t)e->min_recv))
			return 0;
	}
	m = chk_expect_match(e, r->in, r->inlen);
	/* a mismatch waits for more bytes only without min-recv (HAProxy) */
	if (!m && !last && e->min_recv == -1)
		return 0;
	if (m ^ e->inverse)
		return 1;
	if (e->err_msg)
		msg_of(h, e->err_msg, e->err_text, e->err_off, desc, sizeof(desc));
	else if (!h->px->proto)
		generic_fail(t, m, step + 1, desc, sizeof(desc));
	else
		desc[0] = 0;
	if (e->err_msg && e->comment) {
		size_t n = strlen(desc);

		snprintf(desc + n, sizeof(desc) - n, " comment: %s", e->comment);
	}
	chk_report(h, e->err_status ? e->err_status : HCHK_L7RSP, e->code_from_payload ? payload_code(h) : 0, desc);
	return -1;
}

void chk_tcp_passed(struct srv_health *h, const struct chk_tcp_rule *last)
{
	char desc[HS_DESC_LEN];
	const struct chk_expect *e = &last->exp;

	if (last->act != TCR_EXPECT) {
		chk_report(h, HCHK_L7OK, 0, "(tcp-check)");
		return;
	}
	if (e->ok_msg)
		msg_of(h, e->ok_msg, e->ok_text, e->ok_off, desc, sizeof(desc));
	else
		snprintf(desc, sizeof(desc), "%s", h->px->proto ? "" : "(tcp-check)");
	chk_report(h, e->ok_status ? e->ok_status : HCHK_L7OK, e->code_from_payload ? payload_code(h) : 0, desc);
}

int chk_tout_status(const struct srv_health *h, int dflt)
{
	int n;
	const struct chk_tcp_rule *rules;

	if (!h->px || h->px->type != CHK_TYPE_TCP)
		return dflt;
	rules = chk_rules(h->px, &n);
	if (h->run.step < n && rules[h->run.step].act == TCR_EXPECT && rules[h->run.step].exp.tout_status)
		return rules[h->run.step].exp.tout_status;
	return dflt;
}

const char *chk_send_data(struct srv_health *h, const struct chk_tcp_rule *t, size_t *len)
{
	struct chk_run *r = &h->run;

	*len = t->len;
	if (t->dyn != CHK_DYN_SSL3_HELLO || t->len < 15)
		return t->data;
	free(r->dyn);
	if (!(r->dyn = malloc(t->len)))
		return t->data;
	memcpy(r->dyn, t->data, t->len);
	{   /* the hello's GMT time (bytes 11..14), HAProxy's %[date(),htonl] */
		uint32_t now = htonl((uint32_t)time(NULL));

		memcpy(r->dyn + 11, &now, 4);
	}
	return r->dyn;
}

/* ---- HTTP ---- */

/* HAProxy's X-Haproxy-Server-State value: "UP 2/3; address=...; port=...;
 * name=BE/SRV; node=...; weight=W/TOTAL; scur=S/BECONN; qcur=0". */
static void state_header(struct srv_health *h, char *out, size_t len)
{
	const struct server *s = h->srv;
	const struct proxy *be = s->be;
	const struct list *l;
	char ip[64];
	int port, n, st, health, rise, fall, total = 0, top;

	pthread_mutex_lock(&h->lock);
	st = h->hs.state;
	health = h->hs.health;
	rise = h->conf.rise;
	fall = h->conf.fall;
	pthread_mutex_unlock(&h->lock);
	top = rise + fall - 1;
	if (!s->has_check)
		n = snprintf(out, len, "no check");
	else if (st != SRV_ST_STOPPED)
		n = health == top ? snprintf(out, len, "%s", st == SRV_ST_STOPPING ? "NOLB" : "UP")
				  : snprintf(out, len, "%s %d/%d", st == SRV_ST_STOPPING ? "NOLB" : "UP", health - rise + 1, fall);
	else
		n = health ? snprintf(out, len, "DOWN %d/%d", health, rise) : snprintf(out, len, "DOWN");
	sock_addr_ip_port(&s->addr, ip, sizeof(ip), &port);
	list_for_each(l, &be->servers) {
		const struct server *o = list_entry(l, struct server, link);

		if (srv_usable(o) && o->backup == s->backup)
			total += LD(o->eweight);
	}
	if (n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "; address=%s; port=%d; name=%s/%s; node=%s; weight=%d/%d; scur=%d/%d; qcur=0",
			 ip, port, be->id, s->id, worker.cfg && worker.cfg->g.node ? worker.cfg->g.node : "",
			 LD(s->eweight), total, LD(s->cur_conns), (int)__atomic_load_n(&be->be_ctr->cur_sess, __ATOMIC_RELAXED));
}

char *chk_http_state_request(struct srv_health *h, size_t *len)
{
	struct chk_run *r = &h->run;
	const char *end = memmem(h->req, h->reqlen, "\r\n\r\n", 4);
	char hdr[512];
	size_t head, hl;

	*len = h->reqlen;
	if (!end)
		return h->req;
	state_header(h, hdr, sizeof(hdr));
	head = (size_t)(end - h->req) + 2;   /* up to the last header's CRLF */
	hl = strlen(hdr) + strlen("X-Haproxy-Server-State: \r\n");
	free(r->dyn);
	if (!(r->dyn = malloc(h->reqlen + hl + 1)))
		return h->req;
	memcpy(r->dyn, h->req, head);
	snprintf(r->dyn + head, hl + 1, "X-Haproxy-Server-State: %s\r\n", hdr);
	memcpy(r->dyn + head + hl, h->req + head, h->reqlen - head);
	*len = h->reqlen + hl;
	return r->dyn;
}

void chk_http_disable404(const struct srv_health *h, int *status, int code, char *desc)
{
	/* HAProxy: only for a server that is not DOWN, and before any
	 * `http-check expect` */
	if (!h->px->disable404 || code != 404 || LD(h->srv->state) == SRV_ST_STOPPED)
		return;
	*status = HCHK_L7OKC;
	*desc = 0;
}

/* <p>[0..n) against <pat> with method <meth> (HM_*); <icase> for names. */
static int meth_match(int meth, const char *pat, const regex_t *re, const char *p, size_t n, int icase)
{
	size_t pl = strlen(pat);
	int (*cmp)(const char *, const char *, size_t) = icase ? strncasecmp : strncmp;

	switch (meth) {
	case HM_STR: return n == pl && !cmp(p, pat, n);
	case HM_BEG: return n >= pl && !cmp(p, pat, pl);
	case HM_END: return n >= pl && !cmp(p + n - pl, pat, pl);
	case HM_SUB:
		for (size_t i = 0; i + pl <= n; i++)
			if (!cmp(p + i, pat, pl))
				return 1;
		return 0;
	default: {
		regmatch_t mt[1] = { { 0, (regoff_t)n } };

		return re && regexec(re, p, 1, mt, REG_STARTEND) == 0;
	}
	}
}

int chk_hdr_match(const struct chk_expect *e, const struct h1_msg *m)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct h1_hdr *hd = &m->hdrs[i];
		const char *v = hd->value.p, *end = v + hd->value.len;

		if (!meth_match(e->name_meth, e->pat, e->has_re ? &e->re : NULL, hd->name.p, hd->name.len, 1))
			continue;
		if (!e->value)
			return 1;
		if (e->type == EXP_FHDR) {
			if (meth_match(e->value_meth, e->value, e->has_vre ? &e->vre : NULL, v, hd->value.len, 0))
				return 1;
			continue;
		}
		/* hdr: each comma-separated value on its own */
		while (v <= end) {
			const char *c = memchr(v, ',', (size_t)(end - v)), *ve = c ? c : end;
			const char *a = v, *z = ve;

			while (a < z && (*a == ' ' || *a == '\t'))
				a++;
			while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
				z--;
			if (meth_match(e->value_meth, e->value, e->has_vre ? &e->vre : NULL, a, (size_t)(z - a), 0))
				return 1;
			if (!c)
				break;
			v = c + 1;
		}
	}
	return 0;
}
