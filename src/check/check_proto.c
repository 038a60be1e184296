/* What protocol checks judge beyond a pattern (HAProxy's custom expect
 * functions of src/tcpcheck.c): MySQL's packets and LDAP's bind response.
 * Each returns 0 to wait for more bytes, 1 when met and more rules follow,
 * 2 when met and reported (the last rule), -1 when failed and reported. */
#include <stdio.h>
#include <string.h>
#include <tandem/check.h>
#include "check_int.h"

/* Is <t> followed by another rule that is not a comment? */
static int more_rules(const struct srv_health *h, const struct chk_tcp_rule *t)
{
	int n;
	const struct chk_tcp_rule *rules = chk_rules(h->px, &n);

	for (long i = t - rules + 1; i < n; i++)
		if (rules[i].act != TCR_COMMENT)
			return 1;
	return 0;
}

/* One MySQL packet at <off>: 3 bytes of length, a sequence id, then 0xff
 * for an error packet (code, then the message: L7STS), else the check
 * goes on, or passes with the server's version (the handshake's
 * NUL-terminated string at offset 5) as its info. */
static int mysql_packet(struct srv_health *h, const struct chk_tcp_rule *t, size_t off, int last)
{
	const struct chk_run *r = &h->run;
	const unsigned char *in = (const unsigned char *)r->in;
	char desc[HS_DESC_LEN];
	size_t plen;

	if (r->inlen < off + 4 ||
	    r->inlen < off + 4 + (plen = (size_t)in[off] | (size_t)in[off + 1] << 8 | (size_t)in[off + 2] << 16)) {
		if (!last)
			return 0;
		chk_report(h, HCHK_L7RSP, 0, "");   /* invalid length or truncated */
		return -1;
	}
	if (plen && in[off + 4] == 0xff) {
		int code = plen >= 3 ? in[off + 5] | in[off + 6] << 8 : 0;
		size_t n = 0;

		for (size_t i = off + 7; i < r->inlen && n + 1 < sizeof(desc) && in[i]; i++)
			desc[n++] = (char)in[i];
		desc[n] = 0;
		chk_report(h, HCHK_L7STS, code, desc);
		return -1;
	}
	if (more_rules(h, t))
		return 1;
	chk_payload_text(h, 5, 0, desc, sizeof(desc));
	chk_report(h, HCHK_L7OK, 0, desc);
	return 2;
}

int chk_mysql_iniths(struct srv_health *h, const struct chk_tcp_rule *t, int last)
{
	return mysql_packet(h, t, 0, last);
}

/* The server's answer to the authentication packet follows the handshake. */
int chk_mysql_ok(struct srv_health *h, const struct chk_tcp_rule *t, int last)
{
	const unsigned char *in = (const unsigned char *)h->run.in;
	size_t hslen;

	if (h->run.inlen < 4) {
		if (!last)
			return 0;
		chk_report(h, HCHK_L7RSP, 0, "");
		return -1;
	}
	hslen = 4 + ((size_t)in[0] | (size_t)in[1] << 8 | (size_t)in[2] << 16);
	return mysql_packet(h, t, hslen, last);
}

/* An LDAPv3 BindResponse (RFC 4511 4.2.2) with resultCode success. */
int chk_ldap_bindrsp(struct srv_health *h, const struct chk_tcp_rule *t, int last)
{
	const struct chk_run *r = &h->run;
	const unsigned char *in = (const unsigned char *)r->in;
	size_t len = r->inlen, nbytes = 0, msglen, p;
	int code;

	(void)t;
	if (len < 2)
		goto short_;
	if (in[1] & 0x80) {   /* a length on several bytes: 2 or 4 (Active Directory) */
		nbytes = in[1] & 0x7f;
		if (len < 2 + nbytes)
			goto short_;
		if (nbytes == 4)
			msglen = (size_t)in[2] << 24 | (size_t)in[3] << 16 | (size_t)in[4] << 8 | in[5];
		else if (nbytes == 2)
			msglen = (size_t)in[2] << 8 | in[3];
		else
			goto not_ldap;
	} else {
		msglen = in[1];
	}
	if (len < 2 + nbytes + msglen)
		goto short_;
	p = 2 + nbytes;
	/* messageID 1, then protocolOp bindResponse (0x61) */
	if (p + 5 > len || memcmp(in + p, "\x02\x01\x01\x61", 4))
		goto not_ldap;
	p += 4;
	p += 1 + ((in[p] & 0x80) ? (in[p] & 0x7f) : 0);   /* the bindResponse's length */
	if (p + 3 > len || memcmp(in + p, "\x0a\x01", 2))   /* resultCode: ENUMERATED */
		goto not_ldap;
	code = in[p + 2];
	if (code) {
		chk_report(h, HCHK_L7STS, code, "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9");
		return -1;
	}
	chk_report(h, HCHK_L7OK, 0, "Success");
	return 2;
short_:
	if (!last)
		return 0;
	chk_report(h, HCHK_L7RSP, 0, "");
	return -1;
not_ldap:
	chk_report(h, HCHK_L7RSP, 0, "Not LDAPv3 protocol");
	return -1;
}
