/* Fetches on the raw bytes of a TCP connection (HAProxy's 7.3.5), for
 * `tcp-request content` (request side) and `tcp-response content`
 * (response side) rules: lengths, payload slices, and what a TLS
 * ClientHello says (SNI, ALPN, version, extensions: read by the ssl
 * layer's pure parser, include/tandem/ssl_hello.h), so that TLS can be
 * routed by name without being terminated (passthrough).
 *
 * While more bytes may come (the inspect delay is not over), a fetch that
 * lacks data answers "no value yet" with SMP_F_MAY_CHANGE: the rule set
 * then waits instead of deciding. */
#include <stdio.h>
#include <string.h>
#include <tandem/h1.h>
#include <tandem/sample.h>
#include <tandem/ssl_hello.h>

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

/* ---- TLS ClientHello: src/ssl/ssl_hello.c's pure parser (no OpenSSL) ----
 * As HAProxy, nothing is said before the whole first record is there (a
 * hello sent in two parts is still being received); a hello spread over
 * several records is not read. */

/* The hello at the start of the payload: 1 parsed, 0 none (with "may
 * change" set while more bytes may make one). */
static int hello(struct sample *s, const struct smp_ctx *c, struct tls_hello *h)
{
	int r = tls_hello_parse((const uint8_t *)c->payload, c->payload ? c->payload_len : 0, h);

	if (r == TLS_HELLO_MORE)
		may_change(s, c);
	return r == TLS_HELLO_OK;
}

/* req.ssl_hello_type as HAProxy reads it: the handshake type of an SSLv3+
 * record, known once that whole handshake message is there (no need for a
 * well-formed hello). */
static int f_hello_type(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	const uint8_t *p = (const uint8_t *)c->payload;
	size_t n = p ? c->payload_len : 0, hl;

	(void)a; (void)it;
	if (n && !((p[0] >= 0x14 && p[0] <= 0x17) || p[0] == 0xff))
		return 0;
	if (n < 9) {
		if (n < 3 || ((unsigned)p[1] << 16 | p[2]) >= 0x30000)
			may_change(s, c);
		return 0;
	}
	if (((unsigned)p[1] << 16 | p[2]) < 0x30000 || ((unsigned)p[3] << 8 | p[4]) < 4)
		return 0;
	hl = (size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8];
	if (n < hl + 9) {
		may_change(s, c);
		return 0;
	}
	smp_set_int(s, p[5]);
	return 1;
}

static int f_ssl_ver(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct tls_hello h;

	(void)a; (void)it;
	if (!hello(s, c, &h))
		return 0;
	smp_set_int(s, h.version);
	return 1;
}

static int f_ssl_sni(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct tls_hello h;

	(void)a; (void)it;
	if (!hello(s, c, &h) || h.hello_type != 1 || !h.sni)
		return 0;
	smp_set_str(s, (const char *)h.sni, h.sni_len, SMP_F_CONST);
	return 1;
}

static int f_ssl_alpn(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct tls_hello h;
	const uint8_t *name;
	size_t nlen, off;

	(void)a;
	if (!hello(s, c, &h) || h.hello_type != 1 || !h.alpn)
		return 0;
	off = it && it->started ? it->off : 0;
	if (!tls_hello_alpn_next(&h, &off, &name, &nlen))
		return 0;
	smp_set_str(s, (const char *)name, nlen, SMP_F_CONST);
	if (it) {
		it->started = 1;
		it->off = off;
		if (off < h.alpn_len)
			s->flags |= SMP_F_NOT_LAST;
	}
	return 1;
}

/* req.ssl_ec_ext / req.ssl_st_ext: does the hello carry supported_groups /
 * a session ticket extension (1: an empty one, 2: with a ticket, as
 * HAProxy's boolean fetch reads it: any non-zero is true). */
static int f_ssl_ec_ext(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct tls_hello h;

	(void)a; (void)it;
	if (!hello(s, c, &h) || h.hello_type != 1)
		return 0;
	smp_set_bool(s, h.ec_ext);
	return 1;
}

static int f_ssl_st_ext(const struct smp_arg *a, struct sample *s, struct smp_ctx *c, struct smp_iter *it)
{
	struct tls_hello h;

	(void)a; (void)it;
	if (!hello(s, c, &h) || h.hello_type != 1)
		return 0;
	smp_set_bool(s, h.st_ext != 0);
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
	{ "req.ssl_ec_ext",     f_ssl_ec_ext,  { 0 }, 0, SMP_T_BOOL, RQ, VOL, NULL, -1 },
	{ "req.ssl_st_ext",     f_ssl_st_ext,  { 0 }, 0, SMP_T_BOOL, RQ, VOL, NULL, -1 },
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
