/* Fetches on the raw bytes of a TCP connection (HAProxy's 7.3.5), for
 * `tcp-request content` (request side) and `tcp-response content`
 * (response side) rules: lengths, payload slices, and what a TLS
 * ClientHello says (SNI, ALPN, version), so that TLS can be routed by name
 * without being terminated (passthrough).
 *
 * While more bytes may come (the inspect delay is not over), a fetch that
 * lacks data answers "no value yet" with SMP_F_MAY_CHANGE: the rule set
 * then waits instead of deciding. */
#include <stdio.h>
#include <string.h>
#include <tandem/h1.h>
#include <tandem/sample.h>

static void may_change(struct sample *s, const struct smp_ctx *c)
{
	if (!c->payload_final)
		s->flags |= SMP_F_MAY_CHANGE;
}

static int f_len(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	smp_set_int(s, (long long)c->payload_len);
	may_change(s, c);
	return 1;
}

static int f_payload(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	size_t off = (size_t)a[0].u.sint, len = (size_t)a[1].u.sint;

	(void)it;
	if (!len)   /* 0: everything from <off> on */
		len = c->payload_len > off ? c->payload_len - off : 0;
	if (off + len > c->payload_len || !len) {
		may_change(s, c);
		return 0;
	}
	smp_set_str(s, c->payload + off, len, SMP_F_CONST);
	s->type = SMP_T_BIN;
	if (!a[1].u.sint)
		may_change(s, c);
	return 1;
}

/* payload_lv(off1,len[,off2]): a block whose length is the <len>-byte big
 * endian integer at <off1>, found at <off2> (default: right after it). */
static int f_payload_lv(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	size_t o1 = (size_t)a[0].u.sint, ll = (size_t)a[1].u.sint, blen = 0, start;
	long long o2;

	(void)it;
	if (o1 + ll > c->payload_len) {
		may_change(s, c);
		return 0;
	}
	for (size_t i = 0; i < ll; i++)
		blen = (blen << 8) | (uint8_t)c->payload[o1 + i];
	o2 = a[2].type == ARGT_SINT ? a[2].u.sint : (long long)(o1 + ll);
	if (o2 < 0)
		o2 += (long long)(o1 + ll);   /* relative to the end of the length field */
	if (o2 < 0)
		return 0;
	start = (size_t)o2;
	if (blen > c->payload_len || start + blen > c->payload_len) {
		may_change(s, c);
		return 0;
	}
	smp_set_str(s, c->payload + start, blen, SMP_F_CONST);
	s->type = SMP_T_BIN;
	return 1;
}

static int chk_payload(const struct smp_pctx *pc, struct smp_arg *a, char *err, size_t errlen)
{
	(void)pc;
	for (int i = 0; i < 3; i++)
		if (a[i].type == ARGT_SINT && a[i].u.sint < 0 && i < 2) {
			snprintf(err, errlen, "payload offsets and lengths must be positive");
			return -1;
		}
	if (a[1].type == ARGT_SINT && a[1].u.sint > 65536) {
		snprintf(err, errlen, "payload length must be at most 65536");
		return -1;
	}
	return 0;
}

/* ---- TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3, RFC 7301 3.1) ---- */

enum { TLS_NEED = -1, TLS_NO = 0, TLS_OK = 1 };

struct hello {
	int            type;      /* handshake type */
	int            ver;       /* (major << 16) | minor */
	const uint8_t *ext;       /* extensions block */
	size_t         extlen;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Parse the first TLS record. TLS_NEED when it is not complete yet. */
static int tls_record(const struct smp_ctx *c, struct hello *h, int want_ext)
{
	const uint8_t *p = (const uint8_t *)c->payload;
	size_t n = c->payload_len, rl, hl, i;

	memset(h, 0, sizeof(*h));
	if (n < 6)
		return n && p[0] != 0x16 ? TLS_NO : TLS_NEED;
	if (p[0] != 0x16 || p[1] != 3)
		return TLS_NO;
	rl = be16(p + 3);
	h->type = p[5];
	h->ver = 3 << 16 | p[2];
	/* as HAProxy, nothing is said before the whole first record is there
	 * (a hello sent in two parts is still being received) */
	if (n < 5 + rl)
		return TLS_NEED;
	if (!want_ext)
		return TLS_OK;
	if (h->type != 1)
		return TLS_NO;
	p += 5;
	n = rl;                   /* inside the record */
	if (n < 4)
		return TLS_NO;
	hl = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (hl + 4 > n)
		return TLS_NO;    /* spread over several records: not handled (as HAProxy) */
	n = hl + 4;
	i = 4;
	if (i + 2 + 32 + 1 > n)
		return TLS_NO;
	h->ver = (int)p[i] << 16 | p[i + 1];
	i += 2 + 32;
	i += 1 + p[i];            /* session id */
	if (i + 2 > n)
		return TLS_NO;
	i += 2 + be16(p + i);     /* cipher suites */
	if (i + 1 > n)
		return TLS_NO;
	i += 1 + p[i];            /* compression methods */
	if (i + 2 > n)
		return TLS_OK;    /* no extensions */
	h->extlen = be16(p + i);
	i += 2;
	if (i + h->extlen > n)
		return TLS_NO;
	h->ext = p + i;
	return TLS_OK;
}

/* Extension <type> of the hello: its body. */
static int tls_ext(const struct hello *h, unsigned type, const uint8_t **body, size_t *len)
{
	size_t i = 0;

	while (h->ext && i + 4 <= h->extlen) {
		unsigned t = be16(h->ext + i), l = be16(h->ext + i + 2);

		if (i + 4 + l > h->extlen)
			return 0;
		if (t == type) {
			*body = h->ext + i + 4;
			*len = l;
			return 1;
		}
		i += 4 + l;
	}
	return 0;
}

static int f_hello_type(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct hello h;
	int r = tls_record(c, &h, 0);

	(void)a; (void)it;
	if (r == TLS_NEED) {
		may_change(s, c);
		return 0;
	}
	if (r != TLS_OK)
		return 0;
	smp_set_int(s, h.type);
	return 1;
}

static int f_ssl_ver(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct hello h;
	int r = tls_record(c, &h, 1);

	(void)a; (void)it;
	if (r == TLS_NEED) {
		may_change(s, c);
		return 0;
	}
	if (r != TLS_OK)
		return 0;
	smp_set_int(s, h.ver);
	return 1;
}

static int f_ssl_sni(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct hello h;
	const uint8_t *b;
	size_t l, i;
	int r = tls_record(c, &h, 1);

	(void)a; (void)it;
	if (r == TLS_NEED) {
		may_change(s, c);
		return 0;
	}
	if (r != TLS_OK || !tls_ext(&h, 0, &b, &l) || l < 2)
		return 0;
	/* server_name_list: list length, then (type, length, name) entries */
	for (i = 2; i + 3 <= l && i + 3 <= (size_t)be16(b) + 2;) {
		unsigned nl = be16(b + i + 1);

		if (i + 3 + nl > l)
			return 0;
		if (b[i] == 0) {   /* host_name */
			smp_set_str(s, (const char *)b + i + 3, nl, SMP_F_CONST);
			return 1;
		}
		i += 3 + nl;
	}
	return 0;
}

static int f_ssl_alpn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct hello h;
	const uint8_t *b;
	size_t l;
	int r = tls_record(c, &h, 1);

	(void)a;
	if (r == TLS_NEED) {
		may_change(s, c);
		return 0;
	}
	if (r != TLS_OK || !tls_ext(&h, 16, &b, &l) || l < 3)
		return 0;
	if (be16(b) + 2 > l)
		return 0;
	l = be16(b) + 2;
	if (it) {
		size_t i = it->started ? it->off : 2;

		it->started = 1;
		if (i >= l || i + 1 + b[i] > l)
			return 0;
		smp_set_str(s, (const char *)b + i + 1, b[i], SMP_F_CONST);
		it->off = i + 1 + b[i];
		if (it->off < l)
			s->flags |= SMP_F_NOT_LAST;
		return 1;
	}
	if (3 + (size_t)b[2] > l)
		return 0;
	smp_set_str(s, (const char *)b + 3, b[2], SMP_F_CONST);
	return 1;
}

/* req.proto_http: do the bytes start a valid HTTP/1.x request? (In HTTP
 * mode the head was parsed before any rule runs: yes.) */
static int f_proto_http(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	static __thread struct h1_msg m;
	struct h1_limits lim = { 65536, H1_MAX_HDRS };
	int r;

	(void)a; (void)it;
	if (c->req) {
		smp_set_bool(s, 1);
		return 1;
	}
	r = h1_parse_request(c->payload ? c->payload : "", c->payload_len, &m, &lim);
	if (r == H1_INCOMPLETE && !c->payload_final) {
		may_change(s, c);
		return 0;
	}
	smp_set_bool(s, r > 0);
	return 1;
}

/* wait_end: false until the inspect delay is over (or no more data); in
 * HTTP mode nothing is waited for. */
static int f_wait_end(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	(void)a; (void)it;
	if (!c->payload_final && !c->req) {
		may_change(s, c);
		return 0;
	}
	smp_set_bool(s, 1);
	return 1;
}

#define RQ  SMP_SRC_REQ
#define RS  SMP_SRC_RES
#define VOL SMP_KW_VOLATILE
#define DEP SMP_KW_DEPREC

const struct smp_fetch_kw smp_fetch_payload[] = {
	{ "req.len",            f_len,         { 0 }, 0, SMP_T_SINT, RQ, VOL, NULL, -1 },
	{ "req_len",            f_len,         { 0 }, 0, SMP_T_SINT, RQ, VOL | DEP, NULL, -1 },
	{ "req.payload",        f_payload,     { ARGT_SINT, ARGT_SINT }, 2, SMP_T_BIN, RQ, VOL, chk_payload, -1 },
	{ "payload",            f_payload,     { ARGT_SINT, ARGT_SINT }, 2, SMP_T_BIN, RQ, VOL | DEP, chk_payload, -1 },
	{ "req.payload_lv",     f_payload_lv,  { ARGT_SINT, ARGT_SINT, ARGT_SINT }, 2, SMP_T_BIN, RQ, VOL, chk_payload, -1 },
	{ "payload_lv",         f_payload_lv,  { ARGT_SINT, ARGT_SINT, ARGT_SINT }, 2, SMP_T_BIN, RQ, VOL | DEP, chk_payload, -1 },
	{ "req.ssl_hello_type", f_hello_type,  { 0 }, 0, SMP_T_SINT, RQ, VOL, NULL, -1 },
	{ "req_ssl_hello_type", f_hello_type,  { 0 }, 0, SMP_T_SINT, RQ, VOL | DEP, NULL, -1 },
	{ "req.ssl_sni",        f_ssl_sni,     { 0 }, 0, SMP_T_STR,  RQ, VOL, NULL, -1 },
	{ "req_ssl_sni",        f_ssl_sni,     { 0 }, 0, SMP_T_STR,  RQ, VOL | DEP, NULL, -1 },
	{ "req.ssl_ver",        f_ssl_ver,     { 0 }, 0, SMP_T_SINT, RQ, VOL, NULL, -1 },
	{ "req_ssl_ver",        f_ssl_ver,     { 0 }, 0, SMP_T_SINT, RQ, VOL | DEP, NULL, -1 },
	{ "req.ssl_alpn",       f_ssl_alpn,    { 0 }, 0, SMP_T_STR,  RQ, VOL | SMP_KW_ITER, NULL, -1 },
	/* these two also work on HTTP proxies (not "L6" fetches for HAProxy) */
	{ "req.proto_http",     f_proto_http,  { 0 }, 0, SMP_T_BOOL, SMP_SRC_HRQHP, VOL, NULL, -1 },
	{ "req_proto_http",     f_proto_http,  { 0 }, 0, SMP_T_BOOL, SMP_SRC_HRQHP, VOL | DEP, NULL, -1 },
	{ "wait_end",           f_wait_end,    { 0 }, 0, SMP_T_BOOL, SMP_SRC_INTRN, VOL, NULL, -1 },
	{ "res.len",            f_len,         { 0 }, 0, SMP_T_SINT, RS, VOL, NULL, -1 },
	{ "res.payload",        f_payload,     { ARGT_SINT, ARGT_SINT }, 2, SMP_T_BIN, RS, VOL, chk_payload, -1 },
	{ "res.payload_lv",     f_payload_lv,  { ARGT_SINT, ARGT_SINT, ARGT_SINT }, 2, SMP_T_BIN, RS, VOL, chk_payload, -1 },
	{ "res.ssl_hello_type", f_hello_type,  { 0 }, 0, SMP_T_SINT, RS, VOL, NULL, -1 },
	{ "rep_ssl_hello_type", f_hello_type,  { 0 }, 0, SMP_T_SINT, RS, VOL | DEP, NULL, -1 },
	{ .name = NULL }
};
