/* Configuration lexer: one line in, words out (see include/tandem/cfg_lex.h
 * for the rules). Words are built into one growable buffer; their start
 * offsets are kept until the line is done because the buffer may move. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/cfg_lex.h>

struct lexbuf {
	struct cfg_words *w;
	size_t len;         /* bytes used in w->buf */
	size_t *starts;     /* start offset of each word */
	int nstarts, capstarts;
	int oom;
};

/* Append one byte to the current word. */
static void put(struct lexbuf *lb, char c)
{
	struct cfg_words *w = lb->w;

	if (lb->len + 1 >= w->bufsz) {
		size_t nsz = w->bufsz ? w->bufsz * 2 : 256;
		char *nb = realloc(w->buf, nsz);

		if (!nb) { lb->oom = 1; return; }
		w->buf = nb; w->bufsz = nsz;
	}
	w->buf[lb->len++] = c;
}

static void puts_n(struct lexbuf *lb, const char *s, size_t n)
{
	while (n--)
		put(lb, *s++);
}

/* Open a new word at the current position. */
static void word_begin(struct lexbuf *lb)
{
	if (lb->nstarts == lb->capstarts) {
		int ncap = lb->capstarts ? lb->capstarts * 2 : 16;
		size_t *ns = realloc(lb->starts, ncap * sizeof(*ns));

		if (!ns) { lb->oom = 1; return; }
		lb->starts = ns; lb->capstarts = ncap;
	}
	lb->starts[lb->nstarts++] = lb->len;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Expand an environment variable reference starting at line[*i] == '$'
 * (inside double quotes). Advances *i past what was consumed. Returns 0 or
 * -1 with *err set. A '$' not followed by a name or '{' stays literal. */
static int expand_var(struct lexbuf *lb, const char *line, size_t len, size_t *i, const char **err)
{
	size_t p = *i + 1, nstart, nend;
	const char *def = NULL; size_t deflen = 0;
	int split = 0;
	char name[256];
	const char *val;

	if (p < len && line[p] == '{') {
		nstart = ++p;
		while (p < len && (isalnum((unsigned char)line[p]) || line[p] == '_'))
			p++;
		nend = p;
		if (p + 2 < len && !memcmp(line + p, "[*]", 3)) {   /* ${VAR[*]}: one word per value */
			split = 1;
			p += 3;
		}
		if (p < len && line[p] == '-') {       /* ${VAR-default} */
			def = line + ++p;
			while (p < len && line[p] != '}')
				p++;
			deflen = line + p - def;
		}
		if (p >= len || line[p] != '}') {
			*err = "unterminated '${' variable reference";
			return -1;
		}
		p++;  /* past '}' */
		if (nend == nstart) {
			*err = "empty variable name in '${}'";
			return -1;
		}
	} else if (p < len && (isalpha((unsigned char)line[p]) || line[p] == '_')) {
		nstart = p;
		while (p < len && (isalnum((unsigned char)line[p]) || line[p] == '_'))
			p++;
		nend = p;
	} else {
		put(lb, '$');
		*i += 1;
		return 0;
	}
	if (nend - nstart >= sizeof(name)) {
		*err = "environment variable name too long";
		return -1;
	}
	memcpy(name, line + nstart, nend - nstart);
	name[nend - nstart] = 0;
	val = getenv(name);
	if (val && split) {
		/* as HAProxy's parse_line(): spaces in the value separate words */
		for (const char *v = val; *v; v++) {
			if (*v != ' ') {
				put(lb, *v);
			} else if (v[1] && v[1] != ' ' && lb->nstarts && lb->len > lb->starts[lb->nstarts - 1]) {
				put(lb, 0);
				word_begin(lb);
			}
		}
	} else if (val)
		puts_n(lb, val, strlen(val));
	else if (def)
		puts_n(lb, def, deflen);
	/* an unset variable expands to nothing, as in HAProxy */
	*i = p;
	return 0;
}

/* Handle a backslash at line[*i]; advances *i. Returns 0 or -1. */
static int escape(struct lexbuf *lb, const char *line, size_t len, size_t *i, const char **err)
{
	size_t p = *i + 1;
	int h, l;

	if (p >= len) {
		*err = "backslash at end of line (line continuation is not supported)";
		return -1;
	}
	switch (line[p]) {
	case ' ': case '\\': case '#': case '"': case '\'': case '$':
		put(lb, line[p]); break;
	case 'r': put(lb, '\r'); break;
	case 'n': put(lb, '\n'); break;
	case 't': put(lb, '\t'); break;
	case 'x':
		if (p + 2 >= len || (h = hexval(line[p + 1])) < 0 || (l = hexval(line[p + 2])) < 0) {
			*err = "invalid '\\x' escape (two hex digits expected)";
			return -1;
		}
		if (!h && !l) {
			*err = "'\\x00' is not allowed";
			return -1;
		}
		put(lb, (char)(h * 16 + l));
		p += 2;
		break;
	default:
		/* unknown escapes keep the backslash (regexes, "\.") as HAProxy does */
		put(lb, '\\');
		put(lb, line[p]);
		break;
	}
	*i = p + 1;
	return 0;
}

int cfg_lex_line(const char *line, size_t len, struct cfg_words *w, const char **err)
{
	struct lexbuf lb = { .w = w };
	int sq = 0, dq = 0, inword = 0, ret = 0;
	size_t i = 0;

	*err = NULL;
	if (len && line[len - 1] == '\n') len--;
	if (len && line[len - 1] == '\r') len--;

	while (i < len) {
		char c = line[i];

		if (c == 0) {
			*err = "NUL character in line";
			ret = -1;
			goto out;
		}
		if (!sq && !dq && (c == ' ' || c == '\t')) {
			if (inword) { put(&lb, 0); inword = 0; }
			i++;
			continue;
		}
		if (!sq && !dq && c == '#')
			break;
		if (!inword) { word_begin(&lb); inword = 1; }
		if (!sq && c == '\\') {
			if (escape(&lb, line, len, &i, err) < 0) { ret = -1; goto out; }
		} else if (!dq && c == '\'') {
			sq = !sq; i++;
		} else if (!sq && c == '"') {
			dq = !dq; i++;
		} else if (dq && c == '$') {
			if (expand_var(&lb, line, len, &i, err) < 0) { ret = -1; goto out; }
		} else {
			put(&lb, c); i++;
		}
	}
	if (sq || dq) {
		*err = "unmatched quote";
		ret = -1;
		goto out;
	}
	if (inword)
		put(&lb, 0);
out:
	if (lb.oom && !ret) {
		*err = "out of memory";
		ret = -1;
	}
	w->n = 0;
	if (!ret) {
		if (w->vcap < lb.nstarts + 1) {
			char **nv = realloc(w->v, (lb.nstarts + 1) * sizeof(*nv));

			if (!nv) {
				*err = "out of memory";
				ret = -1;
				goto done;
			}
			w->v = nv; w->vcap = lb.nstarts + 1;
		}
		for (int k = 0; k < lb.nstarts; k++)
			w->v[k] = w->buf + lb.starts[k];
		w->n = lb.nstarts;
		w->v[w->n] = NULL;
	}
done:
	free(lb.starts);
	return ret;
}

void cfg_words_free(struct cfg_words *w)
{
	free(w->v);
	free(w->buf);
	w->v = NULL; w->buf = NULL;
	w->n = w->vcap = 0; w->bufsz = 0;
}
