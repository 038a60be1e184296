/* Helpers for the rules engine's unit tests: a proxy and a registry to
 * compile expressions, ACLs and rules against, error collection, and an
 * evaluation context over request/response heads parsed from strings by
 * the real HTTP/1.1 parser. */
#ifndef TANDEM_RULES_TEST_H
#define TANDEM_RULES_TEST_H
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>
#include <tandem/acl.h>
#include <tandem/action.h>
#include <tandem/cfg.h>
#include <tandem/cfg_lex.h>
#include <tandem/h1.h>
#include <tandem/logfmt.h>
#include <tandem/pattern.h>
#include <tandem/qsbr.h>
#include <tandem/rules.h>
#include <tandem/sample.h>
#include "unit.h"

static struct rules_cfg T_rc;
static struct proxy T_px;
static char T_err[4096];
static char T_warn[4096];
static int T_nerr, T_nwarn;

static inline void t_err_cb(void *a, const char *f, int l, const char *m)
{
	(void)a; (void)f; (void)l;
	snprintf(T_err, sizeof(T_err), "%s", m);
	T_nerr++;
}

static inline void t_warn_cb(void *a, const char *f, int l, const char *m)
{
	(void)a; (void)f; (void)l;
	snprintf(T_warn, sizeof(T_warn), "%s", m);
	T_nwarn++;
}

static struct rules_report T_rep = { t_err_cb, t_warn_cb, NULL, 0 };

static inline void t_reset_msgs(void)
{
	T_err[0] = T_warn[0] = 0;
	T_nerr = T_nwarn = 0;
	T_rep.nerr = 0;
}

static inline void t_init_px(void)
{
	static char id[] = "fe";

	memset(&T_px, 0, sizeof(T_px));
	T_px.id = id;
	T_px.mode = PR_MODE_HTTP;
	T_px.cap = PR_CAP_FE | PR_CAP_BE;
	list_init(&T_px.servers);
	list_init(&T_px.binds);
	list_init(&T_px.logs);
	list_init(&T_px.stats_auths);
}

static struct smp_pctx t_pc(int phase)
{
	struct smp_pctx pc = { &T_rc, &T_px, "test.cfg", 1, phase, 0 };

	return pc;
}

/* Compile <text>; NULL (and T_err) on error. */
static inline struct smp_expr *t_expr(const char *text)
{
	struct smp_pctx pc = t_pc(-1);
	char err[1024];
	struct smp_expr *e;

	t_reset_msgs();
	if (!(e = smp_expr_parse(text, NULL, &pc, err, sizeof(err))))
		snprintf(T_err, sizeof(T_err), "%s", err);
	return e;
}

/* Words of one configuration line. */
static struct cfg_words T_words;

static char **t_words(const char *line, int *n)
{
	const char *err;

	if (cfg_lex_line(line, strlen(line), &T_words, &err) < 0) {
		*n = 0;
		return NULL;
	}
	*n = T_words.n;
	return T_words.v;
}

/* `acl ...` line in T_px. 0 / -1. */
static inline int t_acl(const char *line)
{
	struct smp_pctx pc = t_pc(-1);
	int n;
	char **w = t_words(line, &n);

	t_reset_msgs();
	return w ? acl_parse_line(&pc, &T_rep, w, n) : -1;
}

/* "if ..." / "unless ..." condition for <phase>. */
static inline struct acl_cond *t_cond(const char *line, int phase)
{
	struct smp_pctx pc = t_pc(phase);
	struct acl_cond *c = NULL;
	int n, cur = 0;
	char **w = t_words(line, &n);

	t_reset_msgs();
	if (!w || acl_cond_parse(&pc, &T_rep, w, &cur, n, "'test'", &c) < 0)
		return NULL;
	if (c && phase >= 0 && acl_cond_check_phase(c, phase, "'test'", &T_rep) < 0) {
		acl_cond_free(c);
		return NULL;
	}
	return c;
}

/* One rule "<action> [args] [if ...]" of set <set> appended to <l>. */
static inline int t_rule(struct rule_list *l, int set, const char *line)
{
	static const int ph[RSI_COUNT] = {
		SMP_PH_TCP_CONN, SMP_PH_TCP_CONT, SMP_PH_HTTP_REQ, SMP_PH_TCP_RES, SMP_PH_HTTP_RES,
		SMP_PH_HTTP_AFTER, SMP_PH_TCP_CONN,
	};
	static const char *const nm[RSI_COUNT] = {
		"tcp-request connection", "tcp-request content", "http-request", "tcp-response content",
		"http-response", "http-after-response", "tcp-request session",
	};
	struct smp_pctx pc = t_pc(ph[set]);
	struct act_parse ap = { &pc, &T_rep, set, ph[set], "frontend 'fe'", nm[set], NULL, NULL };
	int n;
	char **w = t_words(line, &n);

	t_reset_msgs();
	return w ? rule_parse(&ap, l, w, n) : -1;
}

/* ---- evaluation context ---- */

static struct smp_ctx C;
static struct smp_arena T_arena;
static char T_arena_mem[65536];
static struct smp_cache_ent T_cache[512];
static struct var_store T_sess, T_txn;
static struct txn_store *T_ts;
static struct h1_msg T_req, T_rsp;
static char T_reqbuf[16384], T_rspbuf[16384];
static struct sockaddr_storage T_src, T_dst;

static inline void t_addr(struct sockaddr_storage *ss, const char *ip, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
}

/* A fresh context (new transaction) on proxy <px> (NULL: T_px). */
static inline void t_ctx(struct proxy *px)
{
	txn_store_free(T_ts);
	T_ts = txn_store_new(px ? px : &T_px);
	memset(&C, 0, sizeof(C));
	T_arena.area = T_arena_mem;
	T_arena.size = sizeof(T_arena_mem);
	T_arena.used = 0;
	C.arena = &T_arena;
	C.cache = T_cache;
	C.ncache = (int)(sizeof(T_cache) / sizeof(T_cache[0]));
	C.epoch = 1;
	memset(T_cache, 0, sizeof(T_cache));
	C.fe = C.be = px ? px : &T_px;
	C.rcfg = &T_rc;
	C.sess_vars = &T_sess;
	C.txn_vars = &T_txn;
	C.txn = T_ts;
	C.status = -1;
	C.payload_final = 1;
	t_addr(&T_src, "192.168.1.10", 40000);
	t_addr(&T_dst, "10.0.0.1", 80);
	C.src = &T_src;
	C.dst = &T_dst;
	rules_txn_begin(&C);
}

/* Parse <raw> as the request head (it stays in T_reqbuf). 1 ok. */
static inline int t_req(const char *raw)
{
	struct h1_limits lim = { sizeof(T_reqbuf), H1_MAX_HDRS };
	size_t n = strlen(raw);

	memcpy(T_reqbuf, raw, n + 1);
	if (h1_parse_request(T_reqbuf, n, &T_req, &lim) <= 0)
		return 0;
	C.req = &T_req;
	C.req_line = T_reqbuf;
	C.req_line_len = (size_t)(strstr(T_reqbuf, "\r\n") - T_reqbuf);
	C.req_count = 1;
	smp_ctx_invalidate(&C);
	return 1;
}

static inline int t_rsp(const char *raw)
{
	struct h1_limits lim = { sizeof(T_rspbuf), H1_MAX_HDRS };
	size_t n = strlen(raw);

	memcpy(T_rspbuf, raw, n + 1);
	if (h1_parse_response(T_rspbuf, n, &T_rsp, &lim) <= 0)
		return 0;
	C.rsp = &T_rsp;
	C.status = T_rsp.status;
	smp_ctx_invalidate(&C);
	return 1;
}

/* Evaluate <text> as a string: the value into <out> (NUL-terminated), 1,
 * or 0 when there is no value (or it does not compile). */
static inline int t_str(const char *text, char *out, size_t len)
{
	struct smp_expr *e = t_expr(text);
	struct sample s;
	int ok;

	out[0] = 0;
	if (!e)
		return 0;
	ok = smp_eval_str(e, &C, &s);
	if (ok)
		snprintf(out, len, "%.*s", (int)s.u.str.len, s.u.str.p);
	smp_expr_free(e);
	return ok;
}

/* Check that <text> evaluates to the string <want> (NULL: no value). */
#define T_EQ(text, want) do { \
	char got_[4096]; \
	int ok_ = t_str((text), got_, sizeof(got_)); \
	const char *w_ = (want); \
	CHECKF(w_ ? ok_ && !strcmp(got_, w_) : !ok_, "%s = %s", (text), w_ ? w_ : "(none)"); \
	if (w_ ? !ok_ || strcmp(got_, w_) : ok_) \
		printf("  got: %s%s%s\n", ok_ ? "'" : "(none)", ok_ ? got_ : "", ok_ ? "'" : (T_err[0] ? T_err : "")); \
} while (0)

/* Condition <line> in the current context: ACL_MATCH / FAIL / MISS, -1 when
 * it does not compile. */
static inline int t_match(const char *line)
{
	struct acl_cond *c = t_cond(line, -1);
	int r;

	if (!c)
		return -1;
	r = acl_cond_exec(c, &C);
	acl_cond_free(c);
	return r;
}

/* A header value of a message (first occurrence), or NULL. */
static inline const char *t_hdr(const struct h1_msg *m, const char *name, char *buf, size_t len)
{
	for (unsigned i = 0; i < m->nhdrs; i++)
		if (h1_str_ieq(m->hdrs[i].name, name)) {
			snprintf(buf, len, "%.*s", (int)m->hdrs[i].value.len, m->hdrs[i].value.p);
			return buf;
		}
	return NULL;
}

/* Write <text> to a temporary file; returns its path (static buffer per
 * slot, 0..7; t_file_path(slot) gives it again for unlink()). */
static char T_paths[8][64];

static inline const char *t_file_path(int slot)
{
	return T_paths[slot];
}

static inline const char *t_file(int slot, const char *text)
{
	char *const *unused = NULL;
	char (*paths)[64] = T_paths;
	int fd;

	(void)unused;
	snprintf(paths[slot], sizeof(paths[slot]), "/tmp/tandem-rules-test-XXXXXX");
	if ((fd = mkstemp(paths[slot])) < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return NULL;
	}
	close(fd);
	return paths[slot];
}

static inline void t_cleanup(void)
{
	struct cfg c = { 0 };

	txn_store_free(T_ts);
	T_ts = NULL;
	vars_store_free(&T_sess);
	vars_store_free(&T_txn);
	vars_proc_free();
	rules_px_free(&T_px);
	c.rules = calloc(1, sizeof(*c.rules));
	*c.rules = T_rc;
	rules_cfg_free(&c);
	memset(&T_rc, 0, sizeof(T_rc));
	cfg_words_free(&T_words);
	rules_thread_exit();
}

#endif
