/* libFuzzer driver for the rules language (src/rules/): the first byte
 * picks what the rest is, as text:
 *   0  a sample expression, evaluated against a request, a response and
 *      TCP payload (one value, and every value as an ACL would);
 *   1  an `acl` line then a condition naming it, evaluated;
 *   2  a rule line of one of the seven rule sets, run on a parsed request
 *      (and response), its reply rendered;
 *   3  a log-format string, as a value and as a directive, rendered in
 *      both modes and into the arena;
 *   4  lines of a pattern file, compiled for every match method and as a
 *      map of every output type, matched, changed at run time;
 *   5  raw bytes as the TCP payload (a TLS ClientHello, an HTTP request,
 *      anything): every payload fetch evaluated on them, complete or not
 *      (the ClientHello fetches over src/ssl/ssl_hello.c: SNI routing).
 * Whatever is accepted must run without crashing, stay inside its buffers
 * and free everything (the sanitizers check); rendering must respect the
 * output size; a reply must be a well-formed status line.
 *
 * Stick tables: every table argument (named or the proxy's own) is bound
 * to the driver's table (an IPv4 table storing every data type tandem
 * knows), whatever its name or key type, so that track-sc, sc-inc-gpc0,
 * sc-set-gpt0 and the sc_/src_/table_ fetches run; the tracked counters
 * are released after each run (the table's references must fall back to
 * zero).
 *
 * Files: inputs that would read files other than the driver's own map
 * ("@M" stands for its path) are skipped, so a run never reads the host's
 * files.
 *
 * fuzz-src: LIB
 * fuzz-dict: tests/fuzz/rules.dict */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <tandem/acl.h>
#include <tandem/action.h>
#include <tandem/buf.h>
#include <tandem/cfg.h>
#include <tandem/cfg_lex.h>
#include <tandem/h1.h>
#include <tandem/logfmt.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include <tandem/stick.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

/* The configuration-level lookups are not linked in: nothing resolves. */
struct proxy *cfg_find_proxy(const struct cfg *cfg, const char *id, int cap)
{
	(void)cfg; (void)id; (void)cap;
	return NULL;
}

struct server *proxy_find_server(const struct proxy *px, const char *id)
{
	(void)px; (void)id;
	return NULL;
}

static void quiet(void *a, const char *f, int l, const char *m)
{
	(void)a; (void)f; (void)l; (void)m;
}

static char map_path[64];
static struct h1_msg req, rsp;
static char reqbuf[] =
	"POST /a/b.png?x=1&y=%41 HTTP/1.1\r\nHost: www.example.com:8080\r\nCookie: a=1; b=2\r\n"
	"X-Multi: p, \"q,r\", s\r\nAuthorization: Basic Ym9iOnB3\r\nContent-Length: 5\r\n\r\n";
static char rspbuf[] = "HTTP/1.1 200 OK\r\nServer: x\r\nSet-Cookie: s=1; Path=/\r\nContent-Length: 0\r\n\r\n";
static const char payload[] = "\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03";

static struct stk_conf fzt;

static void table_once(void)
{
	static char id[] = "fz";

	fzt.id = id;
	fzt.type = STK_T_IP;
	fzt.keylen = 4;
	fzt.size = 16;
	fzt.expire = 10000;
	for (int dt = 0; dt < STK_DT_N; dt++)
		if (stk_dt[dt].std != STK_STD_NONE) {
			fzt.store |= 1ull << dt;
			fzt.period[dt] = 10000;
		}
	if (stk_table_open(&fzt) < 0)
		abort();
}

/* Bind the table arguments of what was just parsed (the fixups added
 * since <old>; older ones may belong to freed objects) to the driver's
 * table. */
static void bind_tables(struct rules_cfg *rc, const struct arg_fixup *old)
{
	for (struct arg_fixup *f = rc->fixups; f && f != old; f = f->next)
		if (f->arg->type == ARGT_TAB)
			f->arg->u.tab = &fzt;
}

static void remove_map(void)
{
	unlink(map_path);
}

static void init_once(void)
{
	static int done;
	struct h1_limits lim = { 65536, H1_MAX_HDRS };
	FILE *f;

	if (done)
		return;
	done = 1;
	snprintf(map_path, sizeof(map_path), "/tmp/tandem-fuzz-map-%d", (int)getpid());
	if ((f = fopen(map_path, "w"))) {
		fputs("/a 1\n/a/b 2\n10.0.0.0/8 3\nwww.example.com 4\n", f);
		fclose(f);
		atexit(remove_map);
	}
	table_once();
	h1_parse_request(reqbuf, sizeof(reqbuf) - 1, &req, &lim);
	h1_parse_response(rspbuf, sizeof(rspbuf) - 1, &rsp, &lim);
}

/* Copy <d> into a string, "@M" replaced by the map's path; NULL when the
 * input would read another file. */
static char *text_of(const uint8_t *d, size_t n)
{
	char *t = malloc(n * 64 + 1), *w = t;

	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '@' && i + 1 < n && d[i + 1] == 'M') {
			w += sprintf(w, "%s", map_path);
			i++;
		} else {
			*w++ = d[i] ? (char)d[i] : ' ';
		}
	}
	*w = 0;
	/* every file argument must be the driver's map */
	for (const char *p = t; (p = strstr(p, "map")) || 0; p++) {
		const char *o = strchr(p, '(');

		if (o && strncmp(o + 1, map_path, strlen(map_path))) {
			free(t);
			return NULL;
		}
		if (!o)
			break;
	}
	if (strstr(t, "file") || strstr(t, "-M")) {
		free(t);
		return NULL;
	}
	for (const char *p = t; (p = strstr(p, "-f")); p += 2) {
		const char *a = p + 2;

		while (*a == ' ' || *a == '\t')
			a++;
		if (strncmp(a, map_path, strlen(map_path))) {
			free(t);
			return NULL;
		}
	}
	return t;
}

struct env {
	struct rules_cfg rc;
	struct proxy px;
	struct smp_ctx c;
	struct smp_arena ar;
	char arena[16384];
	struct smp_cache_ent cache[64];
	struct var_store sv, tv;
	struct txn_store *ts;
	struct h1_msg rq, rs;
	struct sockaddr_storage src, dst;
	struct rules_report rep;
	struct stk_ctr trk[STK_NB_TRACK], *strk;
};

static void env_init(struct env *e)
{
	static char id[] = "fz";
	struct sockaddr_in *a;

	memset(e, 0, sizeof(*e));
	e->px.id = id;
	e->px.mode = PR_MODE_HTTP;
	e->px.cap = PR_CAP_FE | PR_CAP_BE;
	list_init(&e->px.servers);
	e->rep.err = quiet;
	e->rep.warn = quiet;
	a = (struct sockaddr_in *)&e->src;
	a->sin_family = AF_INET;
	a->sin_port = htons(1234);
	a->sin_addr.s_addr = htonl(0x0a000001);
	a = (struct sockaddr_in *)&e->dst;
	a->sin_family = AF_INET;
	a->sin_port = htons(80);
	a->sin_addr.s_addr = htonl(0x7f000001);
}

/* Set up the context for a transaction on a copy of the parsed heads
 * (rules edit them). */
static void untrack(struct env *e)
{
	for (int i = 0; i < STK_NB_TRACK; i++) {
		if (e->trk[i].t)
			stk_track_stop(&e->trk[i], 0);
		if (e->strk && e->strk[i].t)
			stk_track_stop(&e->strk[i], 0);
	}
	memset(e->trk, 0, sizeof(e->trk));
	free(e->strk);
	e->strk = NULL;
}

static void ctx_begin(struct env *e, int with_rsp, int phase)
{
	untrack(e);
	e->rq = req;
	e->rs = rsp;
	txn_store_free(e->ts);
	e->ts = txn_store_new(&e->px);
	e->ar.area = e->arena;
	e->ar.size = sizeof(e->arena);
	e->ar.used = 0;
	memset(&e->c, 0, sizeof(e->c));
	e->c.src = &e->src;
	e->c.dst = &e->dst;
	e->c.fe = e->c.be = &e->px;
	e->c.req = &e->rq;
	e->c.rsp = with_rsp ? &e->rs : NULL;
	e->c.payload = payload;
	e->c.payload_len = sizeof(payload) - 1;
	e->c.payload_final = phase & 1;
	e->c.status = with_rsp ? 200 : -1;
	e->c.arena = &e->ar;
	e->c.cache = e->cache;
	e->c.ncache = (int)(sizeof(e->cache) / sizeof(e->cache[0]));
	e->c.sess_vars = &e->sv;
	e->c.txn_vars = &e->tv;
	e->c.txn = e->ts;
	e->c.rcfg = &e->rc;
	e->c.trk = e->trk;
	e->c.sess_trk = &e->strk;
	e->c.req_line = reqbuf;
	e->c.req_line_len = 28;
	e->c.phase = phase;
	rules_txn_begin(&e->c);
	INV(e->ar.used <= e->ar.size);
}

static void env_free(struct env *e)
{
	struct cfg c = { 0 };

	untrack(e);
	txn_store_free(e->ts);
	vars_store_free(&e->sv);
	vars_store_free(&e->tv);
	rules_px_free(&e->px);
	c.rules = malloc(sizeof(*c.rules));
	if (c.rules) {
		*c.rules = e->rc;
		rules_cfg_free(&c);
	}
	qsbr_reclaim();
}

static struct smp_pctx pctx(struct env *e, int phase)
{
	struct smp_pctx pc = { &e->rc, &e->px, "fuzz.cfg", 1, phase, 0 };

	return pc;
}

static void check_sample(const struct sample *s)
{
	INV(s->type < SMP_TYPES);
	if (s->type == SMP_T_STR || s->type == SMP_T_BIN)
		INV(s->u.str.p != NULL || s->u.str.len == 0);
}

static void fuzz_expr(struct env *e, const char *t)
{
	struct smp_pctx pc = pctx(e, -1);
	char err[512];
	const struct arg_fixup *old = e->rc.fixups;
	struct smp_expr *x = smp_expr_parse(t, NULL, &pc, err, sizeof(err));
	struct sample s;
	struct smp_iter it = { 0 };

	if (!x)
		return;
	bind_tables(&e->rc, old);
	for (int w = 0; w < 2; w++) {
		ctx_begin(e, w, w ? SMP_PH_HTTP_RES : SMP_PH_HTTP_REQ);
		if (smp_eval(x, &e->c, &s))
			check_sample(&s);
		if (smp_eval(x, &e->c, &s))       /* from the cache */
			check_sample(&s);
		memset(&it, 0, sizeof(it));
		for (int i = 0; i < 64 && smp_eval_iter(x, &e->c, &it, &s); i++) {
			check_sample(&s);
			if (!(s.flags & SMP_F_NOT_LAST))
				break;
		}
		if (smp_eval_str(x, &e->c, &s))
			INV(s.type == SMP_T_STR);
	}
	smp_expr_free(x);
}

static void fuzz_acl(struct env *e, const char *t)
{
	struct cfg_words w = { 0 };
	struct smp_pctx pc = pctx(e, -1);
	const char *lerr;
	char *line = malloc(strlen(t) + 16);
	const struct arg_fixup *old = e->rc.fixups;

	if (!line)
		return;
	sprintf(line, "acl fz %s", t);
	if (cfg_lex_line(line, strlen(line), &w, &lerr) == 0 && w.n >= 1 && acl_parse_line(&pc, &e->rep, w.v, w.n) == 0) {
		static const char *const conds[] = { "if fz", "unless !fz or TRUE", "if fz { always_true } || FALSE" };

		bind_tables(&e->rc, old);
		for (size_t k = 0; k < sizeof(conds) / sizeof(conds[0]); k++) {
			struct cfg_words cw = { 0 };
			struct acl_cond *c = NULL;
			int cur = 0;

			old = e->rc.fixups;
			if (cfg_lex_line(conds[k], strlen(conds[k]), &cw, &lerr) == 0 &&
			    acl_cond_parse(&pc, &e->rep, cw.v, &cur, cw.n, "'fuzz'", &c) == 0 && c) {
				bind_tables(&e->rc, old);
				for (int ph = 0; ph < 2; ph++) {
					int r;

					ctx_begin(e, ph, ph ? SMP_PH_TCP_CONT : SMP_PH_HTTP_REQ);
					r = acl_cond_exec(c, &e->c);
					INV(r == ACL_MATCH || r == ACL_FAIL || r == ACL_MISS);
				}
			}
			acl_cond_free(c);
			cfg_words_free(&cw);
		}
	}
	/* and the whole text as a condition */
	{
		struct acl_cond *c = NULL;
		int cur = 0;

		sprintf(line, "if %s", t);
		old = e->rc.fixups;
		if (cfg_lex_line(line, strlen(line), &w, &lerr) == 0 &&
		    acl_cond_parse(&pc, &e->rep, w.v, &cur, w.n, "'fuzz'", &c) == 0 && c) {
			bind_tables(&e->rc, old);
			ctx_begin(e, 0, SMP_PH_HTTP_REQ);
			acl_cond_exec(c, &e->c);
		}
		acl_cond_free(c);
	}
	cfg_words_free(&w);
	free(line);
}

static void fuzz_rule(struct env *e, int set, const char *t)
{
	static const int ph[RSI_COUNT] = {
		SMP_PH_TCP_CONN, SMP_PH_TCP_CONT, SMP_PH_HTTP_REQ, SMP_PH_TCP_RES, SMP_PH_HTTP_RES,
		SMP_PH_HTTP_AFTER, SMP_PH_TCP_CONN,
	};
	struct cfg_words w = { 0 };
	struct smp_pctx pc = pctx(e, ph[set]);
	struct act_parse ap = { &pc, &e->rep, set, ph[set], "frontend 'fz'", "http-request", NULL, NULL };
	struct rule_list l = { 0 };
	const char *lerr;
	const struct arg_fixup *old = e->rc.fixups;

	if (cfg_lex_line(t, strlen(t), &w, &lerr) == 0 && w.n >= 1 && rule_parse(&ap, &l, w.v, w.n) == 0) {
		bind_tables(&e->rc, old);
		for (int round = 0; round < 2; round++) {
			struct rule_result r = { 0 };
			int with_rsp = set == RSI_HTTP_RES || set == RSI_HTTP_AFTER || set == RSI_TCP_RES;

			ctx_begin(e, with_rsp, ph[set] | round);
			e->c.payload_final = round;
			rule_list_run(&l, &e->c, &r);
			INV(r.verdict >= RV_CONTINUE && r.verdict <= RV_CLOSE);
			INV(e->rq.nhdrs <= H1_MAX_HDRS);
			for (unsigned i = 0; i < e->rq.nhdrs; i++)
				INV(e->rq.hdrs[i].name.len > 0);
			if (r.verdict == RV_WAIT)
				rule_list_run(&l, &e->c, &r);
			if (r.verdict == RV_DENY || r.verdict == RV_REPLY || r.verdict == RV_TARPIT || r.verdict == RV_ERROR) {
				struct buf b = { 0 };

				if (buf_alloc(&b, 65536) == 0) {
					if (http_reply_render(r.reply, r.status, &e->c, round, round, &b) == 0)
						INV(b.data >= 12 && !memcmp(b.area, "HTTP/1.1 ", 9) &&
						    memmem(b.area, b.data, "\r\n\r\n", 4) != NULL);
					buf_free(&b);
				}
			}
			{
				struct buf b = { 0 };

				if (buf_alloc(&b, 65536) == 0) {
					rules_early_hints(&e->c, &b);
					buf_free(&b);
				}
			}
		}
	}
	rule_list_free(&l);
	cfg_words_free(&w);
}

static void fuzz_logfmt(struct env *e, const char *t)
{
	struct smp_pctx pc = pctx(e, -1);
	char err[512], out[256];
	struct lf_info li = { .status = 200, .req_line = reqbuf, .req_line_len = 28, .Ta = 5 };
	for (int words = 0; words < 2; words++) {
		const struct arg_fixup *old = e->rc.fixups;
		struct logfmt *lf = words ? logfmt_parse_words(t, &pc, -1, err, sizeof(err)) :
				   logfmt_parse(t, &pc, -1, err, sizeof(err));
		size_t n, len;

		if (!lf)
			continue;
		bind_tables(&e->rc, old);
		ctx_begin(e, 1, SMP_PH_HTTP_RES);
		n = logfmt_render(lf, &e->c, &li, LF_MODE_LOG, out, sizeof(out));
		INV(n < sizeof(out) && strlen(out) == n);
		n = logfmt_render(lf, &e->c, NULL, LF_MODE_VALUE, out, 8);
		INV(n < 8);
		if (logfmt_render_arena(lf, &e->c, &li, &len))
			INV(len < sizeof(e->arena));
		logfmt_free(lf);
	}
}

static void fuzz_patterns(struct env *e, const char *t)
{
	struct pat_ref *r = pat_ref_new(&e->rc, NULL, PAT_REF_ACL | PAT_REF_MAP, "fz");
	char err[512], *copy = strdup(t), *save = NULL;
	static const int outs[] = { SMP_T_ANY, SMP_T_STR, SMP_T_SINT, SMP_T_ADDR };

	if (!r || !copy) {
		free(copy);
		return;
	}
	for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(ln, ' ');

		if (sp)
			*sp++ = 0;
		pat_ref_append(r, ln, sp ? sp : "", 0);
	}
	for (int m = 0; m < PAT_M_COUNT; m++)
		for (size_t o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
			struct pat_head *h = pat_head_new(r, m, (int)(o & 1), outs[o], "fz", 1, err, sizeof(err));
			struct sample s;

			if (!h)
				continue;
			smp_set_str(&s, t, strlen(t), SMP_F_CONST);
			if (pat_match_input(m) == SMP_T_SINT) {
				s.type = SMP_T_SINT;
				s.u.sint = (long long)strlen(t);
			} else if (pat_match_input(m) == SMP_T_ADDR) {
				s.type = SMP_T_IPV4;
				s.u.ipv4.s_addr = htonl(0x0a000001);
			}
			pat_match(h, &s);
		}
	/* runtime changes on every index at once */
	pat_ref_add(r, t, "1", err, sizeof(err));
	pat_ref_set_key(r, t, "2", err, sizeof(err));
	pat_ref_del_key(r, t);
	pat_ref_clear(r);
	free(copy);
}

/* The payload fetches on <len> raw bytes, as if more may come or not. */
static void fuzz_payload(struct env *e, const uint8_t *p, size_t len)
{
	static const char *const exprs[] = {
		"req.ssl_sni", "req.ssl_sni,lower", "req.ssl_alpn", "req.ssl_ver", "req.ssl_hello_type",
		"req.len", "req.payload(0,0)", "req.payload(5,4)", "req.payload_lv(0,1)", "req.payload_lv(3,2,5)",
		"req.proto_http", "res.ssl_hello_type", "res.payload(1,2)", "wait_end",
	};
	struct smp_pctx pc = pctx(e, -1);
	char err[512];

	for (size_t k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++) {
		struct smp_expr *x = smp_expr_parse(exprs[k], NULL, &pc, err, sizeof(err));

		INV(x != NULL);
		for (int fin = 0; fin < 2; fin++) {
			struct smp_iter it = { 0 };
			struct sample s;

			ctx_begin(e, 0, fin ? SMP_PH_TCP_CONT : SMP_PH_TCP_CONN);
			e->c.req = NULL;
			e->c.payload = len ? (const char *)p : "";
			e->c.payload_len = len;
			e->c.payload_final = fin;
			if (smp_eval(x, &e->c, &s)) {
				check_sample(&s);
				if (s.type == SMP_T_STR || s.type == SMP_T_BIN)
					INV(!s.u.str.len || (s.u.str.p >= (const char *)p && s.u.str.p + s.u.str.len <= (const char *)p + len) ||
					    (s.u.str.p >= e->arena && s.u.str.p + s.u.str.len <= e->arena + sizeof(e->arena)));
			}
			for (int i = 0; i < 64 && smp_eval_iter(x, &e->c, &it, &s); i++) {
				check_sample(&s);
				if (!(s.flags & SMP_F_NOT_LAST))
					break;
			}
		}
		smp_expr_free(x);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct env e;
	char *t;

	if (size < 1 || size > 4096)
		return 0;
	init_once();
	if (data[0] % 6 == 5) {
		env_init(&e);
		fuzz_payload(&e, data + 1, size - 1);
		env_free(&e);
		return 0;
	}
	if (!(t = text_of(data + 1, size - 1)))
		return 0;
	env_init(&e);
	switch (data[0] % 6) {
	case 0: fuzz_expr(&e, t); break;
	case 1: fuzz_acl(&e, t); break;
	case 2: fuzz_rule(&e, (data[0] / 5) % RSI_COUNT, t); break;
	case 3: fuzz_logfmt(&e, t); break;
	default: fuzz_patterns(&e, t); break;
	}
	env_free(&e);
	free(t);
	return 0;
}
