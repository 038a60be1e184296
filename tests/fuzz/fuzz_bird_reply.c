/* libFuzzer driver for BIRD's control socket replies (src/bgp/birdc.c).
 * Each input is a byte stream from "BIRD" and must satisfy the parser's
 * contract:
 *  1. parsed whole and parsed in pieces (cut where the input's first byte
 *     says), the lines and the point of refusal are the same: the parser
 *     is resumable;
 *  2. every line is well formed: a known kind, a code of four digits, at
 *     most BIRDC_TEXT_MAX bytes of text, NUL-terminated at its length; a
 *     continuation only inside a reply;
 *  3. the lines written back in the wire format parse to the same lines;
 *  4. the reply interpreter, fed the lines for each command, ends with a
 *     known result and never changes its mind once complete.
 * A violated invariant aborts.
 *
 * fuzz-src: src/bgp/birdc.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/bgp.h>

#define INV(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)
#define MAXL 4096

static struct birdc_line A[MAXL], Bl[MAXL], C[MAXL];

/* Parse <p,len> in pieces of <step> bytes (0: whole). Returns the line
 * count; *bad = offset of refusal or -1. */
static int run(const uint8_t *p, size_t len, size_t step, struct birdc_line *out, long *bad)
{
	struct birdc_parser ps;
	size_t off = 0;
	int n = 0, in_reply = 0;

	*bad = -1;
	birdc_init(&ps);
	while (off < len) {
		size_t chunk = step ? (step < len - off ? step : len - off) : len - off, coff = 0;

		while (coff < chunk) {
			struct birdc_line l;
			size_t used;
			int r = birdc_parse(&ps, (const char *)p + off + coff, chunk - coff, &used, &l);

			INV(used <= chunk - coff);
			if (r < 0) {
				INV(ps.err != NULL);
				*bad = (long)(off + coff + used);
				return n;
			}
			INV(r == 0 || r == 1);
			INV(r == 1 || used == chunk - coff);
			INV(r == 0 || used >= 1);
			coff += used;
			if (!r)
				continue;
			INV(l.kind == BIRDC_PART || l.kind == BIRDC_LAST || l.kind == BIRDC_ASYNC);
			INV(l.code >= 0 && l.code <= 9999);
			INV(l.len <= BIRDC_TEXT_MAX && l.text[l.len] == 0);
			INV(!l.cut || l.len == BIRDC_TEXT_MAX);
			if (l.kind == BIRDC_PART)
				in_reply = 1;
			else if (l.kind == BIRDC_LAST)
				in_reply = 0;
			INV(ps.in_reply == in_reply);
			if (n < MAXL)
				out[n++] = l;
		}
		off += chunk;
	}
	return n;
}

static int same(const struct birdc_line *x, const struct birdc_line *y, int n)
{
	for (int i = 0; i < n; i++)
		if (x[i].kind != y[i].kind || x[i].code != y[i].code || x[i].cut != y[i].cut || x[i].len != y[i].len ||
		    memcmp(x[i].text, y[i].text, x[i].len))
			return 0;
	return 1;
}

static void replies(const struct birdc_line *l, int n)
{
	static const int cmds[] = { BIRDC_HELLO, BIRDC_ENABLE, BIRDC_DISABLE, BIRDC_ECHO };

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		struct birdc_reply r;
		int done = 0;

		birdc_reply_init(&r, cmds[c], "any_web");
		for (int i = 0; i < n; i++) {
			int was = done, res = r.res;

			if (l[i].kind == BIRDC_ASYNC)
				continue;
			done = birdc_reply_line(&r, &l[i]);
			INV(!was || (done && r.res == res));   /* complete stays complete */
			INV(done == (r.res != BIRDC_R_PENDING));
			INV(r.res >= BIRDC_R_PENDING && r.res <= BIRDC_R_ERROR);
			INV(memchr(r.msg, 0, sizeof(r.msg)) != NULL);
		}
		INV(birdc_res_str(r.res) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[MAXL * (BIRDC_TEXT_MAX + 8)];
	long bad1, bad2, bad3;
	int n1, n2, n3;
	size_t w = 0;

	if (!size)
		return 0;
	/* 1. whole vs pieces */
	n1 = run(data, size, 0, A, &bad1);
	n2 = run(data, size, (size_t)data[0] % 17 + 1, Bl, &bad2);
	INV(n1 == n2 && bad1 == bad2 && same(A, Bl, n1));
	/* 3. written back */
	for (int i = 0; i < n1 && i < MAXL; i++) {
		if (A[i].kind == BIRDC_ASYNC)
			w += (size_t)sprintf((char *)wire + w, "+");
		else
			w += (size_t)sprintf((char *)wire + w, "%04d%c", A[i].code, A[i].kind == BIRDC_PART ? '-' : ' ');
		memcpy(wire + w, A[i].text, A[i].len);
		w += A[i].len;
		if (A[i].cut)
			wire[w++] = 'x';   /* one byte over: cut again */
		wire[w++] = '\n';
	}
	n3 = run(wire, w, 0, C, &bad3);
	INV(n3 == n1 && bad3 == -1 && same(A, C, n1));
	/* 4. the interpreter */
	replies(A, n1);
	return 0;
}
