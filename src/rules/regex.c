/* PCRE2 wrapper: compile with JIT when available, match without
 * allocating. PCRE2's match data is per thread (one block big enough for
 * the groups a substitution can use), created on first use. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/regex.h>

struct regex {
	pcre2_code *code;
	int         jit;
	char       *text;
};

static __thread pcre2_match_data *tls_md;

static pcre2_match_data *match_data(void)
{
	if (!tls_md)
		tls_md = pcre2_match_data_create(REGEX_MAX_GROUPS, NULL);
	return tls_md;
}

struct regex *regex_compile(const char *pat, size_t len, int icase, char *err, size_t errlen)
{
	struct regex *re;
	int ecode;
	PCRE2_SIZE eoff;

	if (!(re = calloc(1, sizeof(*re))) || !(re->text = strndup(pat, len))) {
		free(re);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pat, len, icase ? PCRE2_CASELESS : 0, &ecode, &eoff, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ecode, msg, sizeof(msg));
		snprintf(err, errlen, "regex '%s' is invalid (error=%s, erroffset=%zu)", re->text,
			 (const char *)msg, (size_t)eoff);
		free(re->text);
		free(re);
		return NULL;
	}
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	return re;
}

void regex_free(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->text);
	free(re);
}

static int run(const struct regex *re, const char *s, size_t len, size_t start, pcre2_match_data *md)
{
	if (re->jit)
		return pcre2_jit_match(re->code, (PCRE2_SPTR)(s ? s : ""), len, start, 0, md, NULL);
	return pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), len, start, 0, md, NULL);
}

int regex_match(const struct regex *re, const char *s, size_t len)
{
	pcre2_match_data *md = match_data();

	if (!md)
		return 0;
	return run(re, s, len, 0, md) >= 0;
}

int regex_exec(const struct regex *re, const char *s, size_t len, size_t start,
	       size_t ovec[2 * REGEX_MAX_GROUPS])
{
	pcre2_match_data *md = match_data();
	PCRE2_SIZE *ov;
	int rc;

	if (!md || start > len)
		return 0;
	rc = run(re, s, len, start, md);
	if (rc < 0)
		return 0;
	if (rc == 0)   /* more groups than the block holds: the first ones are there */
		rc = REGEX_MAX_GROUPS;
	ov = pcre2_get_ovector_pointer(md);
	for (int i = 0; i < REGEX_MAX_GROUPS; i++) {
		if (i < rc && ov[2 * i] != PCRE2_UNSET) {
			ovec[2 * i] = ov[2 * i];
			ovec[2 * i + 1] = ov[2 * i + 1];
		} else {
			ovec[2 * i] = ovec[2 * i + 1] = (size_t)-1;
		}
	}
	return rc;
}

const char *regex_text(const struct regex *re)
{
	return re->text;
}

int regex_is_jit(const struct regex *re)
{
	return re->jit;
}

void regex_thread_free(void)
{
	pcre2_match_data_free(tls_md);
	tls_md = NULL;
}
