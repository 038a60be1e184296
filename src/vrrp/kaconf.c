/* keepalived.conf, read as keepalived 2.2 reads it, turned into tandem's
 * VRRP objects (struct vrrp_conf, vrrp_script_conf, vrrp_tfile_conf,
 * vrrp_group_conf). doc/vrrp.md lists what is understood and how each
 * keyword maps to the native `vrrp` section.
 *
 * Two layers, like keepalived's lib/parser.c:
 *
 *  - lines: physical lines from a stack of files (`include` with glob
 *    patterns, relative to the including file's directory), comments from
 *    '#' or '!' outside double quotes, `@ID` / `@^ID` conditional lines,
 *    `$NAME=VALUE` definitions and `$NAME` / `${NAME}` substitution, then
 *    split at every '{' and '}' outside double quotes so that a brace is
 *    always a line of its own; words are separated by blanks, a word
 *    starting with '"' runs to the next '"'. Each logical line keeps its
 *    file and line number.
 *  - blocks: a keyword table per block (global_defs, vrrp_script,
 *    vrrp_instance, ...); a keyword with a block expects '{' next.
 *
 * Where keepalived logs an unknown or unsupported keyword and goes on,
 * tandem reports an error naming file:line and does not start: nothing it
 * reads is silently ignored. Reading goes on after an error so that one
 * run reports them all. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <tandem/vrrp.h>

#define KAC_MAX_DEPTH   16         /* nested includes */
#define KAC_MAX_LINE    65536      /* a line after substitution */
#define KAC_MAX_DEFS    256
#define KAC_MAX_EXPAND  1000       /* substitutions in one line */
#define KAC_MAX_KINST   64

/* ---- sources: files (or one memory buffer) ---- */

struct src {
	struct src *up;
	const char *name;          /* kept in vrrp_set (messages point to it) */
	char       *dir;           /* directory, for relative includes and ${_PWD} */
	FILE       *f;             /* NULL: memory */
	const char *mem, *mem_end;
	int         line;
	glob_t      g;             /* include: the files still to read */
	size_t      gnext;
	int         have_glob;
};

struct def {
	char *name, *value;
};

/* Instance fields that global_defs provides defaults for: which ones the
 * instance set itself. */
enum {
	KI_VERSION = 1 << 0, KI_PRIO = 1 << 1, KI_GARP_DELAY = 1 << 2, KI_GARP_REPEAT = 1 << 3,
	KI_GARP_REFRESH = 1 << 4, KI_GARP_REFRESH_REPEAT = 1 << 5, KI_GARP_LOWER_REPEAT = 1 << 6,
	KI_GARP_LOWER_DELAY = 1 << 7, KI_SKIP_CHECK = 1 << 8, KI_INTERVAL_ROUNDED = 1 << 9,
	KI_STATE = 1 << 10, KI_NATIVE6 = 1 << 11, KI_HIGHER_ADV = 1 << 12,
};

struct kinst {
	struct vrrp_conf *c;
	unsigned set;
	unsigned adver_us;          /* advert_int as written */
};

struct kac {
	struct kac_out *out;
	struct src *top;           /* current source (NULL at the end) */
	int         depth;
	char       *residue;       /* the rest of a line split at a brace */
	const char *res_file; int res_line;
	struct def  defs[KAC_MAX_DEFS]; int ndefs;
	char        config_id[64];
	int         nerr;
	/* the current logical line */
	char       *raw;           /* text, after comments and substitution */
	char       *wbuf;          /* its words, NUL-separated */
	char      **w; int nw, wcap; /* its words */
	const char *file; int line;
	int         eof;
	int         pushed;        /* the current line is to be read again */
	/* global_defs values applied to instances at the end */
	int         g_version;
	int         g_garp_delay, g_garp_repeat, g_garp_refresh, g_garp_refresh_repeat;
	int         g_lower_repeat, g_lower_delay;
	uint32_t    g_garp_interval_ms, g_gna_interval_ms;
	int         g_skip_check;
	int         g_higher_adv;       /* -1: not set */
	uint32_t    g_startup_delay_ms;
	int         g_script_user_set;
	struct kinst ki[KAC_MAX_KINST]; int nki;
};

static void kerr(struct kac *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kerr(struct kac *k, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->nerr++;
	k->out->err(k->out->ctx, k->file, k->line, msg);
}

static void kwarn(struct kac *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kwarn(struct kac *k, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (!k->out->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->out->warn(k->out->ctx, k->file, k->line, msg);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	if (!(d = malloc((size_t)(slash - path) + 1)))
		return NULL;
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = 0;
	return d;
}

/* Push file <path> (already a full or relative-to-cwd name). 0 or -1. */
static int push_file(struct kac *k, const char *path)
{
	struct stat st;
	struct src *s;
	const char *name;
	FILE *f;

	if (k->depth >= KAC_MAX_DEPTH) {
		kerr(k, "include: more than %d nested files (an include loop?) at '%s'.", KAC_MAX_DEPTH, path);
		return -1;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or a FIFO could be read forever */
		kerr(k, "'%s' is not a regular file.", path);
		return -1;
	}
	if (!(f = fopen(path, "r"))) {
		kerr(k, "cannot open '%s': %s.", path, strerror(errno));
		return -1;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(name = vrrp_set_file(k->out->set, path)) || !(s->dir = dir_of(path))) {
		if (s)
			free(s->dir);
		free(s);
		fclose(f);
		kerr(k, "out of memory");
		return -1;
	}
	s->name = name;
	s->f = f;
	s->up = k->top;
	k->top = s;
	k->depth++;
	return 0;
}

static void pop_src(struct kac *k)
{
	struct src *s = k->top;

	k->top = s->up;
	k->depth--;
	if (s->f)
		fclose(s->f);
	if (s->have_glob)
		globfree(&s->g);
	free(s->dir);
	free(s);
}

/* One physical line of the current source into <buf> (without the line
 * ending). 1, or 0 at the end of every source. */
static int read_physical(struct kac *k, char *buf, size_t cap)
{
	while (k->top) {
		struct src *s = k->top;
		size_t n = 0;

		if (s->have_glob && !s->f && !s->mem) {
			/* an include frame: open its next match */
			if (s->gnext < s->g.gl_pathc) {
				const char *p = s->g.gl_pathv[s->gnext++];

				push_file(k, p);
				continue;
			}
			pop_src(k);
			continue;
		}
		if (s->f) {
			int c, longl = 0;

			while ((c = fgetc(s->f)) != EOF && c != '\n') {
				if (n + 1 < cap)
					buf[n++] = (char)c;
				else
					longl = 1;
			}
			if (longl) {
				k->file = s->name;
				k->line = s->line + 1;
				kerr(k, "the line is longer than %zu bytes.", cap - 1);
			}
			if (c == EOF && !n) {
				if (ferror(s->f)) {
					k->file = s->name;
					kerr(k, "read error: %s.", strerror(errno));
				}
				pop_src(k);
				continue;
			}
		} else {
			if (s->mem >= s->mem_end) {
				pop_src(k);
				continue;
			}
			while (s->mem < s->mem_end && *s->mem != '\n') {
				if (n + 1 < cap)
					buf[n++] = *s->mem;
				s->mem++;
			}
			if (s->mem < s->mem_end)
				s->mem++;
		}
		s->line++;
		while (n && buf[n - 1] == '\r')
			n--;
		buf[n] = 0;
		k->file = s->name;
		k->line = s->line;
		if (memchr(buf, 0, n)) {
			kerr(k, "a NUL byte in the line.");
			buf[0] = 0;
		}
		return 1;
	}
	return 0;
}

/* keepalived's decomment(): drop leading blanks, cut at '#' or '!' outside
 * double quotes, "\#" and "\!" outside quotes are the characters, drop
 * trailing blanks. Returns -1 when the line ends with a backslash (a
 * continuation, which keepalived allows for multiline definitions only). */
static int decomment(struct kac *k, char *s)
{
	char *p = s + strspn(s, " \t"), *w;
	int quote = 0;
	size_t n;

	memmove(s, p, strlen(p) + 1);
	for (p = w = s; *p; ) {
		if (*p == '"') {
			quote = !quote;
		} else if (*p == '\\') {
			if (!p[1]) {
				*w = 0;
				kerr(k, "a line ending with '\\' (a multiline definition) is not supported by tandem.");
				return -1;
			}
			if (!quote && (p[1] == '#' || p[1] == '!')) {
				*w++ = p[1];
				p += 2;
				continue;
			}
			*w++ = *p++;
			*w++ = *p++;
			continue;
		} else if (!quote && (*p == '#' || *p == '!')) {
			break;
		}
		*w++ = *p++;
	}
	*w = 0;
	if (quote)
		kerr(k, "a double quote is not closed.");
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	return 0;
}

static int is_name_start(int c)
{
	return isalpha(c) || c == '_';
}

static int is_name_char(int c)
{
	return isalnum(c) || c == '_';
}

static struct def *find_def(struct kac *k, const char *name, size_t len)
{
	for (int i = 0; i < k->ndefs; i++)
		if (strlen(k->defs[i].name) == len && !strncmp(k->defs[i].name, name, len))
			return &k->defs[i];
	return NULL;
}

/* `$NAME=VALUE`: 1 if <s> is one (stored), 0 if not, -1 on error. */
static int definition(struct kac *k, const char *s)
{
	const char *p = s + 1, *eq;
	struct def *d;
	char *v;

	if (*s != '$' || !is_name_start((unsigned char)*p))
		return 0;
	while (is_name_char((unsigned char)*p))
		p++;
	if (*p != '=')
		return 0;
	eq = p;
	if (!(v = strdup(eq + 1)))
		return -1;
	if ((d = find_def(k, s + 1, (size_t)(eq - s - 1)))) {
		free(d->value);
		d->value = v;
		return 1;
	}
	if (k->ndefs == KAC_MAX_DEFS) {
		free(v);
		kerr(k, "more than %d $definitions.", KAC_MAX_DEFS);
		return -1;
	}
	d = &k->defs[k->ndefs];
	if (!(d->name = strndup(s + 1, (size_t)(eq - s - 1)))) {
		free(v);
		return -1;
	}
	d->value = v;
	k->ndefs++;
	return 1;
}

/* Value of a predefined or user parameter, NULL when undefined (the text
 * then stays as it is, as keepalived leaves it). */
static const char *param_value(struct kac *k, const char *name, size_t len, int *bad)
{
	struct def *d = find_def(k, name, len);

	if (d)
		return d->value;
	if (len == 4 && !strncmp(name, "_PWD", 4))
		return k->top ? k->top->dir : ".";
	if (len == 9 && !strncmp(name, "_INSTANCE", 9))
		return k->config_id;
	if (len == 5 && !strncmp(name, "_HASH", 5))
		return "#";
	if (len == 5 && !strncmp(name, "_BANG", 5))
		return "!";
	if (len >= 7 && !strncmp(name, "_RANDOM", 7))
		*bad = 1;
	return NULL;
}

/* Replace $NAME (followed by a blank or the end) and ${NAME} in <buf>,
 * again in what was substituted (keepalived substitutes at use). Returns
 * 1 if something changed, 0 if not, -1 on error. */
static int substitute(struct kac *k, char *buf, size_t cap)
{
	int changed = 0, n = 0;
	char *p = buf;

	while ((p = strchr(p, '$'))) {
		const char *name, *val;
		size_t nlen, tot, vlen;
		int brace = p[1] == '{', bad = 0;

		name = p + 1 + brace;
		if (!is_name_start((unsigned char)*name)) {
			p++;
			continue;
		}
		for (nlen = 0; is_name_char((unsigned char)name[nlen]); nlen++)
			;
		if (brace && name[nlen] != '}') {
			if (nlen == 7 && !strncmp(name, "_RANDOM", 7))
				kerr(k, "${_RANDOM ...} is not supported by tandem.");
			p++;
			continue;
		}
		if (!brace && name[nlen] && name[nlen] != ' ' && name[nlen] != '\t') {
			p++;
			continue;
		}
		tot = (size_t)(name - p) + nlen + (size_t)brace;
		if (!(val = param_value(k, name, nlen, &bad))) {
			if (bad) {
				kerr(k, "${_RANDOM} is not supported by tandem.");
				return -1;
			}
			p += tot;
			continue;
		}
		if (++n > KAC_MAX_EXPAND) {
			kerr(k, "parameter substitution does not end (a $definition refers to itself?).");
			return -1;
		}
		vlen = strlen(val);
		if (strlen(buf) - tot + vlen + 1 > cap) {
			kerr(k, "the line is longer than %d bytes after parameter substitution.", KAC_MAX_LINE);
			return -1;
		}
		memmove(p + vlen, p + tot, strlen(p + tot) + 1);
		memcpy(p, val, vlen);
		changed = 1;
		/* p stays: the value may hold parameters itself */
	}
	return changed;
}

/* keepalived's alloc_strvec_r(): words separated by blanks; a word
 * starting with '"' runs to the next '"' (no escapes); a '"' ends an
 * unquoted word and starts the next one. Into k->wbuf / k->w. */
static void set_words(struct kac *k, const char *p)
{
	char *o = k->wbuf;

	k->nw = 0;
	for (;;) {
		const char *start, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			start = ++p;
			if (!(end = strchr(p, '"'))) {
				kerr(k, "unmatched double quote.");
				break;
			}
			p = end + 1;
		} else {
			start = p;
			end = p + strcspn(p, " \t\"");
			p = end;
		}
		if (k->nw + 2 > k->wcap) {
			int nc = k->wcap ? 2 * k->wcap : 16;
			char **nw = realloc(k->w, sizeof(*nw) * (size_t)nc);

			if (!nw) {
				kerr(k, "out of memory");
				break;
			}
			k->w = nw;
			k->wcap = nc;
		}
		memcpy(o, start, (size_t)(end - start));
		o[end - start] = 0;
		k->w[k->nw++] = o;
		o += end - start + 1;
	}
	if (k->w)
		k->w[k->nw] = NULL;
}

static int include_line(struct kac *k, char *buf);

/* The next logical line into k->raw / k->w. 1, or 0 at the end. */
static int next_line(struct kac *k)
{
	static const size_t cap = KAC_MAX_LINE;
	char *buf = k->raw, *brace;
	int r;

	if (k->pushed) {
		k->pushed = 0;
		return !k->eof;
	}
	for (;;) {
		if (k->residue) {
			snprintf(buf, cap, "%s", k->residue);
			free(k->residue);
			k->residue = NULL;
			k->file = k->res_file;
			k->line = k->res_line;
		} else {
			int recheck, rounds = 0;

			if (!read_physical(k, buf, cap)) {
				k->eof = 1;
				k->nw = 0;
				return 0;
			}
			if (decomment(k, buf) < 0 || !buf[0])
				continue;
			do {
				recheck = 0;
				/* @ID: keep the line only on the node whose config id is ID */
				if (buf[0] == '@') {
					int rev = buf[1] == '^';
					char *id = buf + 1 + rev, *sp = strpbrk(id, " \t");
					int match;

					if (!sp) {
						buf[0] = 0;
						break;
					}
					match = (size_t)(sp - id) == strlen(k->config_id) && !strncmp(id, k->config_id, (size_t)(sp - id));
					if (match == rev) {
						buf[0] = 0;
						break;
					}
					sp += strspn(sp, " \t");
					memmove(buf, sp, strlen(sp) + 1);
				}
				if ((r = definition(k, buf)) != 0) {
					if (r < 0 && !k->nerr)
						kerr(k, "out of memory");
					buf[0] = 0;
					break;
				}
				if (!strncmp(buf, "~SEQ", 4) || !strncmp(buf, "~LST", 4)) {
					kerr(k, "'%.4s' sequence blocks are not supported by tandem.", buf);
					buf[0] = 0;
					break;
				}
				if (strchr(buf, '$')) {
					if ((r = substitute(k, buf, cap)) < 0) {
						buf[0] = 0;
						break;
					}
					if (r) {
						/* not decommented again: ${_HASH} and ${_BANG}
						 * give the characters themselves, as documented */
						size_t n = strlen(buf);

						while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
							buf[--n] = 0;
						/* the result may be a conditional or a definition */
						recheck = buf[0] == '@' || buf[0] == '$';
						if (recheck && ++rounds > 100) {
							kerr(k, "parameter substitution does not end.");
							buf[0] = 0;
							break;
						}
					}
				}
			} while (recheck);
			if (!buf[0])
				continue;
			if (include_line(k, buf))
				continue;
		}
		/* split at the first brace outside double quotes */
		brace = buf;
		if (*brace != '{' && *brace != '}') {
			int quote = 0;

			for (; *brace; brace++) {
				if (*brace == '"')
					quote = !quote;
				else if (!quote && (*brace == '{' || *brace == '}'))
					break;
			}
		}
		if (*brace) {
			char *rest = brace == buf ? brace + 1 : brace;

			rest += strspn(rest, " \t");
			if (*rest) {
				if (!(k->residue = strdup(rest))) {
					kerr(k, "out of memory");
					continue;
				}
				k->res_file = k->file;
				k->res_line = k->line;
			}
			if (brace == buf)
				buf[1] = 0;
			else
				*brace = 0;
		}
		{
			size_t n = strlen(buf);

			while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
				buf[--n] = 0;
		}
		if (!buf[0])
			continue;
		set_words(k, buf);   /* raw stays for script lines */
		if (!k->nw)
			continue;
		return 1;
	}
}

/* include / includer / includem / includew / includeb / includea PATTERN.
 * 1 if <buf> was one (handled), 0 if not. */
static int include_line(struct kac *k, char *buf)
{
	char pat[PATH_MAX * 2], variant = 0;
	const char *p;
	struct src *s;
	int r;

	if (strncmp(buf, "include", 7))
		return 0;
	if (buf[7] == ' ' || buf[7] == '\t') {
		p = buf + 8;
	} else if (buf[7] && strchr("rmwba", buf[7]) && (buf[8] == ' ' || buf[8] == '\t')) {
		variant = buf[7];
		p = buf + 9;
	} else {
		return 0;
	}
	p += strspn(p, " \t");
	if (k->out->no_include) {
		kerr(k, "include is not allowed here.");
		return 1;
	}
	if (!*p) {
		kerr(k, "include expects a file name or pattern.");
		return 1;
	}
	if (*p == '/' || !k->top)
		snprintf(pat, sizeof(pat), "%s", p);
	else
		snprintf(pat, sizeof(pat), "%s/%s", k->top->dir, p);
	if (!(s = calloc(1, sizeof(*s)))) {
		kerr(k, "out of memory");
		return 1;
	}
	r = glob(pat, GLOB_BRACE | GLOB_TILDE_CHECK | GLOB_MARK, NULL, &s->g);
	if (r == GLOB_NOMATCH || (r == 0 && !s->g.gl_pathc)) {
		globfree(&s->g);
		free(s);
		/* keepalived: plain `include` of nothing is not an error (optional
		 * conf.d directories); the checking variants make it one */
		if (variant && variant != 'r')
			kerr(k, "include%c '%s' matches no file.", variant, p);
		else
			kwarn(k, "include '%s' matches no file.", p);
		return 1;
	}
	if (r) {
		free(s);
		kerr(k, "include '%s': cannot expand the pattern.", p);
		return 1;
	}
	for (size_t i = 0; i < s->g.gl_pathc; i++) {
		size_t l = strlen(s->g.gl_pathv[i]);

		if (l && s->g.gl_pathv[i][l - 1] == '/') {
			kerr(k, "include '%s': '%s' is a directory.", p, s->g.gl_pathv[i]);
			globfree(&s->g);
			free(s);
			return 1;
		}
	}
	if (k->depth >= KAC_MAX_DEPTH) {
		kerr(k, "include: more than %d nested files (an include loop?).", KAC_MAX_DEPTH);
		globfree(&s->g);
		free(s);
		return 1;
	}
	s->have_glob = 1;
	s->name = k->top ? k->top->name : "?";
	s->dir = k->top ? strdup(k->top->dir) : strdup(".");
	s->up = k->top;
	k->top = s;
	k->depth++;
	return 1;
}

/* ---- values ---- */

static int word_is(struct kac *k, int i, const char *s)
{
	return i < k->nw && !strcmp(k->w[i], s);
}

/* Strict integer in [min, max]. 0 or -1 (reported). */
static int get_int(struct kac *k, int i, long min, long max, long *out)
{
	char *end;
	long v;

	if (i >= k->nw) {
		kerr(k, "'%s' expects a number.", k->w[0]);
		return -1;
	}
	errno = 0;
	v = strtol(k->w[i], &end, 10);
	if (errno || end == k->w[i] || *end || v < min || v > max) {
		kerr(k, "'%s' expects a whole number from %ld to %ld, got '%s'.", k->w[0], min, max, k->w[i]);
		return -1;
	}
	*out = v;
	return 0;
}

/* keepalived's <TIMER>: seconds with up to six decimals, into microseconds. */
static int get_secs(struct kac *k, int i, uint64_t max_us, uint64_t *us)
{
	const char *s = i < k->nw ? k->w[i] : "";
	uint64_t v = 0, frac = 0, scale = 1000000;
	int digits = 0;

	if (!isdigit((unsigned char)*s) && *s != '.')
		goto bad;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max_us / 1000000 + 1)
			goto bad;
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++)
			if (digits < 6) {
				scale /= 10;
				frac += (uint64_t)(*s - '0') * scale;
			}
	}
	if (*s)
		goto bad;
	*us = v * 1000000 + frac;
	if (*us > max_us)
		goto bad;
	return 0;
bad:
	kerr(k, "'%s' expects seconds (decimals allowed) up to %llu, got '%s'.", k->w[0],
	     (unsigned long long)(max_us / 1000000), i < k->nw ? k->w[i] : "nothing");
	return -1;
}

/* <BOOL> with "on" when absent. */
static int get_bool(struct kac *k, int i, int *out)
{
	static const char *const yes[] = { "on", "true", "yes" }, *const no[] = { "off", "false", "no" };

	if (i >= k->nw) {
		*out = 1;
		return 0;
	}
	for (int j = 0; j < 3; j++) {
		if (!strcmp(k->w[i], yes[j])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(k->w[i], no[j])) {
			*out = 0;
			return 0;
		}
	}
	kerr(k, "'%s' expects on|off|true|false|yes|no, got '%s'.", k->w[0], k->w[i]);
	return -1;
}

static int max_words(struct kac *k, int n)
{
	if (k->nw > n + 1) {
		kerr(k, "'%s' has an unexpected argument '%s'.", k->w[0], k->w[n + 1]);
		return -1;
	}
	return 0;
}

static char *word_dup(struct kac *k, int i)
{
	char *s = strdup(k->w[i]);

	if (!s)
		kerr(k, "out of memory");
	return s;
}

/* A script line (script, notify*): keepalived re-reads the raw line with
 * quotes and escapes; the second word is the command line, split again;
 * then [username [groupname]]. */
static int get_cmd(struct kac *k, struct vrrp_cmd *cmd, int allow_user, char **cmdline)
{
	const char *why;
	char **words = vrrp_cmd_split(k->raw, &why), **argv = NULL;
	char ubuf[128];
	int n = 0, ret = -1;

	if (!words) {
		kerr(k, "'%s': %s.", k->w[0], why);
		return -1;
	}
	while (words[n])
		n++;
	if (n < 2) {
		kerr(k, "'%s' expects a command line (in quotes when it has arguments).", k->w[0]);
		goto out;
	}
	if (n > (allow_user ? 4 : 2)) {
		kerr(k, "'%s': unexpected '%s' after the command line (quote a command with arguments%s).",
		     k->w[0], words[allow_user ? 4 : 2], allow_user ? "; then [username [groupname]]" : "");
		goto out;
	}
	if (!(argv = vrrp_cmd_split(words[1], &why))) {
		kerr(k, "'%s': %s.", k->w[0], why);
		goto out;
	}
	vrrp_cmd_free(cmd);
	cmd->argv = argv;
	cmd->uid = cmd->gid = -1;
	if (n > 2 && vrrp_user_lookup(words[2], n > 3 ? words[3] : NULL, &cmd->uid, &cmd->gid,
				      ubuf, sizeof(ubuf)) < 0) {
		kerr(k, "'%s': %s.", k->w[0], ubuf);
		goto out;
	}
	if (cmdline && !(*cmdline = strdup(words[1])))
		goto out;
	ret = 0;
out:
	for (int i = 0; i < n; i++)
		free(words[i]);
	free(words);
	return ret;
}

/* ---- blocks ---- */

/* The next line must be '{'. 0, or -1 (reported; the line is kept). */
static int open_block(struct kac *k, const char *what)
{
	if (!next_line(k)) {
		kerr(k, "'%s': '{' expected, the file ends.", what);
		return -1;
	}
	if (!word_is(k, 0, "{")) {
		kerr(k, "'%s': '{' expected, got '%s'.", what, k->w[0]);
		k->pushed = 1;
		return -1;
	}
	return 0;
}

/* Skip a block whose '{' is the next line (if it is). */
static void skip_block(struct kac *k)
{
	int depth = 0;

	if (!next_line(k))
		return;
	if (!word_is(k, 0, "{")) {
		k->pushed = 1;
		return;
	}
	depth = 1;
	while (depth && next_line(k)) {
		if (word_is(k, 0, "{"))
			depth++;
		else if (word_is(k, 0, "}"))
			depth--;
	}
}

/* Lines of a block until its '}': 1 with the next one, 0 at the end. A
 * stray '{' block is reported and skipped (a loop: a file of many of them
 * must not grow the stack). */
static int block_line(struct kac *k, const char *what)
{
	for (;;) {
		if (!next_line(k)) {
			kerr(k, "'%s': '}' missing at the end of the file.", what);
			return 0;
		}
		if (word_is(k, 0, "}"))
			return 0;
		if (!word_is(k, 0, "{"))
			return 1;
		kerr(k, "unexpected '{'.");
		k->pushed = 1;
		skip_block(k);
	}
}

/* A keyword tandem does not implement (or refuses), with its reason. */
static void refuse(struct kac *k, const char *why)
{
	if (why)
		kerr(k, "'%s' is not supported by tandem: %s", k->w[0], why);
	else
		kerr(k, "'%s' is not implemented by tandem (or is not a keepalived keyword here).", k->w[0]);
	skip_block(k);
}

static const char SMTP_WHY[] = "tandem sends no e-mail; remove it and use a notify script.";
static const char LVS_WHY[] = "tandem is the load balancer; keepalived's LVS (IPVS) part is not "
			      "implemented. Remove the LVS sections and configure the service in tandem.";

/* ---- global_defs ---- */

static void global_defs(struct kac *k)
{
	long v;
	uint64_t us;
	int b;

	if (open_block(k, "global_defs") < 0)
		return;
	while (block_line(k, "global_defs")) {
		const char *kw = k->w[0];

		if (!strcmp(kw, "router_id")) {
			if (k->nw != 2 || strlen(k->w[1]) >= sizeof(k->out->set->router_id))
				kerr(k, "'router_id' expects one name of at most %zu characters.",
				     sizeof(k->out->set->router_id) - 1);
			else
				strcpy(k->out->set->router_id, k->w[1]);
		} else if (!strcmp(kw, "vrrp_version")) {
			if (!max_words(k, 1) && !get_int(k, 1, 2, 3, &v))
				k->g_version = (int)v;
		} else if (!strcmp(kw, "vrrp_garp_master_delay") || !strcmp(kw, "vrrp_garp_master_refresh") ||
			   !strcmp(kw, "vrrp_garp_lower_prio_delay")) {
			if (!max_words(k, 1) && !get_int(k, 1, 0, 86400, &v)) {
				if (kw[10] == 'm' && kw[17] == 'd')
					k->g_garp_delay = (int)v * 1000;
				else if (kw[10] == 'm')
					k->g_garp_refresh = (int)v * 1000;
				else
					k->g_lower_delay = (int)v * 1000;
			}
		} else if (!strcmp(kw, "vrrp_garp_master_repeat") || !strcmp(kw, "vrrp_garp_master_refresh_repeat") ||
			   !strcmp(kw, "vrrp_garp_lower_prio_repeat")) {
			if (!max_words(k, 1) && !get_int(k, 1, 0, 100, &v)) {
				if (!strcmp(kw, "vrrp_garp_master_repeat"))
					k->g_garp_repeat = (int)v;
				else if (kw[10] == 'm')
					k->g_garp_refresh_repeat = (int)v;
				else
					k->g_lower_repeat = (int)v;
			}
		} else if (!strcmp(kw, "vrrp_garp_interval") || !strcmp(kw, "vrrp_gna_interval")) {
			if (!max_words(k, 1) && !get_secs(k, 1, 10000000, &us)) {
				uint32_t ms = (uint32_t)((us + 999) / 1000);   /* tandem's timers are ms */

				if (kw[5] == 'g' && kw[6] == 'a')
					k->g_garp_interval_ms = ms;
				else
					k->g_gna_interval_ms = ms;
			}
		} else if (!strcmp(kw, "vrrp_min_garp")) {
			if (!max_words(k, 1) && !get_bool(k, 1, &b) && b) {
				k->g_garp_repeat = 1;
				k->g_garp_delay = 0;
				k->g_garp_refresh_repeat = 1;
				k->g_lower_repeat = 1;
				k->g_lower_delay = 0;
			}
		} else if (!strcmp(kw, "enable_script_security")) {
			if (!max_words(k, 0))
				k->out->set->script_security = 1;
		} else if (!strcmp(kw, "script_user")) {
			char why[128];

			if (k->nw < 2 || k->nw > 3)
				kerr(k, "'script_user' expects username [groupname].");
			else if (vrrp_user_lookup(k->w[1], k->nw > 2 ? k->w[2] : NULL, &k->out->set->script_uid,
						  &k->out->set->script_gid, why, sizeof(why)) < 0)
				kerr(k, "'script_user': %s.", why);
			else
				k->g_script_user_set = 1;
		} else if (!strcmp(kw, "vrrp_startup_delay")) {
			if (!max_words(k, 1) && !get_secs(k, 1, 3600000000ULL, &us))
				k->g_startup_delay_ms = (uint32_t)((us + 999) / 1000);
		} else if (!strcmp(kw, "vrrp_skip_check_adv_addr")) {
			if (!max_words(k, 1) && !get_bool(k, 1, &b))
				k->g_skip_check = b;
		} else if (!strcmp(kw, "vrrp_higher_prio_send_advert")) {
			if (!max_words(k, 1) && !get_bool(k, 1, &b))
				k->g_higher_adv = b;
		} else if (!strcmp(kw, "vrrp_check_unicast_src")) {
			/* tandem always checks that a unicast advertisement comes from a peer */
			max_words(k, 0);
		} else if (!strcmp(kw, "notification_email") || !strcmp(kw, "notification_email_from") ||
			   !strcmp(kw, "smtp_server") || !strcmp(kw, "smtp_helo_name") ||
			   !strcmp(kw, "smtp_connect_timeout") || !strncmp(kw, "smtp_alert", 10) ||
			   !strcmp(kw, "no_email_faults")) {
			refuse(k, SMTP_WHY);
		} else if (!strncmp(kw, "lvs_", 4) || !strcmp(kw, "checker_log_all_failures")) {
			refuse(k, LVS_WHY);
		} else if (!strcmp(kw, "vrrp_strict")) {
			refuse(k, "it makes keepalived drop the traffic sent to the virtual addresses (no_accept), "
			       "which a load balancer must serve; remove it.");
		} else {
			refuse(k, NULL);
		}
	}
}

/* ---- vrrp_script / track_file ---- */

static void vrrp_script(struct kac *k)
{
	struct vrrp_script_conf *sc;
	int timeout_set = 0;
	long v;

	if (k->nw != 2 || strlen(k->w[1]) >= VRRP_NAME_LEN) {
		kerr(k, "'vrrp_script' expects one name of at most %d characters.", VRRP_NAME_LEN - 1);
		skip_block(k);
		return;
	}
	if ((sc = vrrp_script_find(k->out->set, k->w[1]))) {
		kerr(k, "vrrp_script '%s' is already declared at %s:%d.", k->w[1], sc->file, sc->line);
		skip_block(k);
		return;
	}
	if (!(sc = calloc(1, sizeof(*sc)))) {
		kerr(k, "out of memory");
		skip_block(k);
		return;
	}
	strcpy(sc->name, k->w[1]);
	sc->cmd.uid = sc->cmd.gid = -1;
	sc->interval_ms = 1000;
	sc->rise = sc->fall = 1;
	sc->file = k->file;
	sc->line = k->line;
	list_add_tail(&k->out->set->scripts, &sc->link);
	if (open_block(k, "vrrp_script") < 0)
		return;
	while (block_line(k, "vrrp_script")) {
		const char *kw = k->w[0];

		if (!strcmp(kw, "script")) {
			free(sc->cmdline);
			sc->cmdline = NULL;
			get_cmd(k, &sc->cmd, 0, &sc->cmdline);
		} else if (!strcmp(kw, "interval")) {
			if (!max_words(k, 1) && !get_int(k, 1, 1, 86400, &v))
				sc->interval_ms = (uint32_t)v * 1000;
		} else if (!strcmp(kw, "timeout")) {
			if (!max_words(k, 1) && !get_int(k, 1, 1, 86400, &v)) {
				sc->timeout_ms = (uint32_t)v * 1000;
				timeout_set = 1;
			}
		} else if (!strcmp(kw, "weight")) {
			if (k->nw > 2 && (word_is(k, 2, "reverse") || k->nw > 3))
				kerr(k, "'weight ... reverse' is not implemented by tandem.");
			else if (!get_int(k, 1, -253, 253, &v))
				sc->weight = (int)v;
		} else if (!strcmp(kw, "rise") || !strcmp(kw, "fall")) {
			if (!max_words(k, 1) && !get_int(k, 1, 1, 1000, &v))
				*(kw[0] == 'r' ? &sc->rise : &sc->fall) = (int)v;
		} else if (!strcmp(kw, "user")) {
			char why[128];

			if (k->nw < 2 || k->nw > 3)
				kerr(k, "'user' expects username [groupname].");
			else if (vrrp_user_lookup(k->w[1], k->nw > 2 ? k->w[2] : NULL, &sc->cmd.uid, &sc->cmd.gid,
						  why, sizeof(why)) < 0)
				kerr(k, "'user': %s.", why);
		} else if (!strcmp(kw, "init_fail")) {
			if (!max_words(k, 0))
				sc->init_fail = 1;
		} else {
			refuse(k, NULL);
		}
	}
	(void)timeout_set;   /* 0 = the interval, decided at run time */
}

static void track_file(struct kac *k)
{
	struct vrrp_tfile_conf *tf;
	long v;

	if (k->nw != 2 || strlen(k->w[1]) >= VRRP_NAME_LEN) {
		kerr(k, "'%s' expects one name of at most %d characters.", k->w[0], VRRP_NAME_LEN - 1);
		skip_block(k);
		return;
	}
	if ((tf = vrrp_tfile_find(k->out->set, k->w[1]))) {
		kerr(k, "track_file '%s' is already declared at %s:%d.", k->w[1], tf->file, tf->line);
		skip_block(k);
		return;
	}
	if (!(tf = calloc(1, sizeof(*tf)))) {
		kerr(k, "out of memory");
		skip_block(k);
		return;
	}
	strcpy(tf->name, k->w[1]);
	tf->weight = 1;
	tf->file = k->file;
	tf->line = k->line;
	list_add_tail(&k->out->set->tfiles, &tf->link);
	if (open_block(k, "track_file") < 0)
		return;
	while (block_line(k, "track_file")) {
		if (word_is(k, 0, "file")) {
			if (k->nw != 2 || k->w[1][0] != '/') {
				kerr(k, "'file' expects an absolute path.");
			} else {
				free(tf->path);
				tf->path = word_dup(k, 1);
			}
		} else if (word_is(k, 0, "weight")) {
			if (k->nw > 2)
				kerr(k, "'weight ... %s' is not implemented by tandem.", k->w[2]);
			else if (!get_int(k, 1, -254, 254, &v))
				tf->weight = (int)v;
		} else if (word_is(k, 0, "init_file")) {
			int i = 1;

			tf->init = 1;
			if (i < k->nw && !word_is(k, i, "overwrite")) {
				if (get_int(k, i, -2147483647L, 2147483647L, &v) < 0)
					continue;
				tf->init_value = v;
				i++;
			}
			if (word_is(k, i, "overwrite")) {
				tf->init_overwrite = 1;
				i++;
			}
			if (i < k->nw)
				kerr(k, "'init_file' expects [VALUE] [overwrite], got '%s'.", k->w[i]);
		} else {
			refuse(k, NULL);
		}
	}
}

/* track_script / track_interface / track_file list blocks:
 * NAME [weight N [noreverse]] per line. */
static void track_block(struct kac *k, int kind, struct vrrp_track *tracks, int *n)
{
	const char *what = k->w[0];
	char wbuf[32];
	long v;

	snprintf(wbuf, sizeof(wbuf), "%s", what);
	if (open_block(k, wbuf) < 0)
		return;
	while (block_line(k, wbuf)) {
		struct vrrp_track t = { .kind = kind, .file = k->file, .line = k->line };
		int lim = kind == VRRP_TRK_FILE ? 254 : 253;

		if (k->nw > 1) {
			if (!word_is(k, 1, "weight") || k->nw < 3 || k->nw > 4 ||
			    (k->nw == 4 && !word_is(k, 3, "noreverse") && !word_is(k, 3, "no_reverse"))) {
				if (word_is(k, 3, "reverse"))
					kerr(k, "'%s': 'reverse' is not implemented by tandem.", wbuf);
				else
					kerr(k, "'%s': expected NAME [weight N], got '%s'.", wbuf, k->w[1]);
				continue;
			}
			if (get_int(k, 2, -lim, lim, &v) < 0)
				continue;
			t.weight = (int)v;
			t.weight_set = 1;
		}
		if (kind == VRRP_TRK_IF && strlen(k->w[0]) >= VRRP_IFNAME_LEN) {
			kerr(k, "'%s': invalid interface name '%s'.", wbuf, k->w[0]);
			continue;
		}
		if (*n == VRRP_MAX_TRACK) {
			kerr(k, "'%s': at most %d tracked objects.", wbuf, VRRP_MAX_TRACK);
			continue;
		}
		if (!(t.name = word_dup(k, 0)))
			continue;
		tracks[(*n)++] = t;
	}
}

static int notify_kind(const char *kw)
{
	static const char *const names[VRRP_NOTIFY_N] = {
		"notify_master", "notify_backup", "notify_fault", "notify_stop", "notify", "notify_master_rx_lower_pri",
	};

	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		if (!strcmp(kw, names[i]))
			return i;
	return -1;
}

/* ---- vrrp_sync_group ---- */

static void sync_group(struct kac *k)
{
	struct vrrp_group_conf *g;
	int nk;

	if (k->nw != 2 || strlen(k->w[1]) >= VRRP_NAME_LEN) {
		kerr(k, "'vrrp_sync_group' expects one name of at most %d characters.", VRRP_NAME_LEN - 1);
		skip_block(k);
		return;
	}
	if ((g = vrrp_group_find(k->out->set, k->w[1]))) {
		kerr(k, "vrrp_sync_group '%s' is already declared at %s:%d.", k->w[1], g->file, g->line);
		skip_block(k);
		return;
	}
	if (!(g = calloc(1, sizeof(*g)))) {
		kerr(k, "out of memory");
		skip_block(k);
		return;
	}
	strcpy(g->name, k->w[1]);
	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		g->notify[i].uid = g->notify[i].gid = -1;
	g->file = k->file;
	g->line = k->line;
	list_add_tail(&k->out->set->groups, &g->link);
	if (open_block(k, "vrrp_sync_group") < 0)
		return;
	while (block_line(k, "vrrp_sync_group")) {
		const char *kw = k->w[0];

		if (!strcmp(kw, "group")) {
			if (open_block(k, "group") < 0)
				continue;
			while (block_line(k, "group"))
				for (int i = 0; i < k->nw; i++) {
					if (g->nmembers == VRRP_MAX_INST) {
						kerr(k, "'group': at most %d members.", VRRP_MAX_INST);
						break;
					}
					if ((g->members[g->nmembers] = word_dup(k, i)))
						g->nmembers++;
				}
		} else if (!strcmp(kw, "track_script") || !strcmp(kw, "track_interface") || !strcmp(kw, "track_file")) {
			int first = g->ntracks;
			char what[32];

			snprintf(what, sizeof(what), "%s", kw);
			track_block(k, what[6] == 's' ? VRRP_TRK_SCRIPT : what[6] == 'i' ? VRRP_TRK_IF : VRRP_TRK_FILE,
				    g->tracks, &g->ntracks);
			for (int i = first; i < g->ntracks; i++)
				if (g->tracks[i].weight) {
					k->file = g->tracks[i].file;
					k->line = g->tracks[i].line;
					kerr(k, "a sync group's %s takes weight 0 only in tandem (keepalived needs "
					     "sync_group_tracking_weight for others).", what);
				}
		} else if ((nk = notify_kind(kw)) >= 0 && nk != VRRP_NOTIFY_RX_LOWER) {
			get_cmd(k, &g->notify[nk], 1, NULL);
		} else if (!strcmp(kw, "smtp_alert")) {
			refuse(k, SMTP_WHY);
		} else {
			refuse(k, NULL);
		}
	}
}

/* ---- vrrp_instance ---- */

/* virtual_ipaddress[_excluded] { ADDR[/LEN] [brd B] [dev IF] [scope S] [label L] } */
static void vip_block(struct kac *k, struct vrrp_conf *c, int excluded)
{
	const char *what = excluded ? "virtual_ipaddress_excluded" : "virtual_ipaddress";

	if (open_block(k, what) < 0)
		return;
	while (block_line(k, what)) {
		struct vrrp_vip v;
		int i, ok = 1;

		memset(&v, 0, sizeof(v));
		v.excluded = excluded;
		if (vrrp_parse_prefix(k->w[0], &v.ip, &v.plen) < 0) {
			kerr(k, "%s: invalid address '%s'.", what, k->w[0]);
			continue;
		}
		for (i = 1; i < k->nw && ok; i++) {
			const char *opt = k->w[i], *val = i + 1 < k->nw ? k->w[i + 1] : NULL;

			if (!strcmp(opt, "dev") || !strcmp(opt, "label") || !strcmp(opt, "scope") || !strcmp(opt, "brd")) {
				if (!val) {
					kerr(k, "%s: '%s' expects a value.", what, opt);
					ok = 0;
				} else if (opt[0] == 'd' || opt[0] == 'l') {
					if (strlen(val) >= VRRP_IFNAME_LEN || (opt[0] == 'l' && v.ip.af != AF_INET)) {
						kerr(k, "%s: invalid %s '%s'.", what, opt, val);
						ok = 0;
					} else {
						strcpy(opt[0] == 'd' ? v.dev : v.label, val);
					}
				} else if (opt[0] == 's') {
					if ((v.scope = vrrp_parse_scope(val)) < 0) {
						kerr(k, "%s: unknown scope '%s'.", what, val);
						ok = 0;
					}
				} else {
					int plen;

					if (!strcmp(val, "+") || !strcmp(val, "-") || vrrp_parse_prefix(val, &v.brd, &plen) < 0 ||
					    v.brd.af != AF_INET || v.ip.af != AF_INET || strchr(val, '/')) {
						kerr(k, "%s: 'brd' expects an IPv4 address, got '%s'.", what, val);
						ok = 0;
					}
				}
				i++;
			} else {
				kerr(k, "%s: option '%s' is not implemented by tandem.", what, opt);
				ok = 0;
			}
		}
		if (!ok)
			continue;
		for (i = 0; i < c->nvips; i++)
			if (c->vips[i].ip.af == v.ip.af && !memcmp(c->vips[i].ip.a, v.ip.a, 16))
				break;
		if (i < c->nvips) {
			kerr(k, "%s: '%s' is already listed.", what, k->w[0]);
			continue;
		}
		if (c->nvips == VRRP_MAX_VIPS) {
			kerr(k, "%s: at most %d addresses per instance.", what, VRRP_MAX_VIPS);
			continue;
		}
		if (!excluded) {
			int first = 1;

			for (i = 0; i < c->nvips; i++)
				first &= c->vips[i].excluded;
			if (first)
				c->af = v.ip.af;
		}
		c->vips[c->nvips++] = v;
	}
}

static void auth_block(struct kac *k, struct vrrp_conf *c)
{
	int have_type = 0;

	if (open_block(k, "authentication") < 0)
		return;
	while (block_line(k, "authentication")) {
		if (word_is(k, 0, "auth_type")) {
			if (max_words(k, 1) < 0)
				continue;
			if (word_is(k, 1, "PASS"))
				c->auth_type = VRRP_AUTH_PASS;
			else if (word_is(k, 1, "AH"))
				c->auth_type = VRRP_AUTH_AH;   /* refused by vrrp_conf_check() with its reason */
			else
				kerr(k, "'auth_type' expects PASS or AH, got '%s'.", k->nw > 1 ? k->w[1] : "nothing");
			have_type = 1;
		} else if (word_is(k, 0, "auth_pass")) {
			size_t l;

			if (k->nw != 2 || !k->w[1][0]) {
				kerr(k, "'auth_pass' expects a password.");
				continue;
			}
			l = strlen(k->w[1]);
			if (l > VRRP_AUTH_LEN) {
				kwarn(k, "'auth_pass': only the first %d characters are used (as keepalived does).",
				      VRRP_AUTH_LEN);
				l = VRRP_AUTH_LEN;
			}
			memset(c->auth_pass, 0, sizeof(c->auth_pass));
			memcpy(c->auth_pass, k->w[1], l);
		} else {
			refuse(k, NULL);
		}
	}
	if (!have_type && c->auth_pass[0])
		kerr(k, "'authentication' without 'auth_type'.");
}

static void peer_block(struct kac *k, struct vrrp_conf *c)
{
	if (open_block(k, "unicast_peer") < 0)
		return;
	while (block_line(k, "unicast_peer")) {
		struct vrrp_ip ip;
		int plen, i;

		if (k->nw > 1) {
			kerr(k, "unicast_peer: '%s' is not implemented by tandem.", k->w[1]);
			continue;
		}
		if (strchr(k->w[0], '/') || vrrp_parse_prefix(k->w[0], &ip, &plen) < 0) {
			kerr(k, "unicast_peer: invalid address '%s'.", k->w[0]);
			continue;
		}
		for (i = 0; i < c->npeers; i++)
			if (!memcmp(&c->peers[i], &ip, sizeof(ip)))
				break;
		if (i < c->npeers) {
			kerr(k, "unicast_peer: '%s' is already listed.", k->w[0]);
			continue;
		}
		if (c->npeers == VRRP_MAX_PEERS) {
			kerr(k, "unicast_peer: at most %d peers.", VRRP_MAX_PEERS);
			continue;
		}
		c->peers[c->npeers++] = ip;
	}
}

static void vrrp_instance(struct kac *k)
{
	struct vrrp_conf *c;
	struct kinst *ki;
	uint64_t us;
	long v;
	int nk, b;

	if (k->nw != 2 || strlen(k->w[1]) >= VRRP_NAME_LEN) {
		kerr(k, "'vrrp_instance' expects one name of at most %d characters.", VRRP_NAME_LEN - 1);
		skip_block(k);
		return;
	}
	if (k->nki == KAC_MAX_KINST) {
		kerr(k, "too many vrrp_instance blocks (tandem runs at most %d).", VRRP_MAX_INST);
		skip_block(k);
		return;
	}
	if (!(c = vrrp_conf_new(k->w[1], VRRP_KEEPALIVED))) {
		kerr(k, "out of memory");
		skip_block(k);
		return;
	}
	for (int i = 0; i < VRRP_NOTIFY_N; i++)
		c->notify[i].uid = c->notify[i].gid = -1;
	c->file = k->file;
	c->line = k->line;
	c->priority = 0;   /* unset: derived from `state` at the end, as keepalived */
	list_add_tail(k->out->insts, &c->link);
	ki = &k->ki[k->nki++];
	memset(ki, 0, sizeof(*ki));
	ki->c = c;
	ki->adver_us = 1000000;
	if (open_block(k, "vrrp_instance") < 0)
		return;
	while (block_line(k, "vrrp_instance")) {
		const char *kw = k->w[0];

		if (!strcmp(kw, "state")) {
			if (max_words(k, 1) < 0)
				continue;
			if (word_is(k, 1, "MASTER"))
				c->init_master = 1;
			else if (word_is(k, 1, "BACKUP"))
				c->init_master = 0;
			else
				kerr(k, "'state' expects MASTER or BACKUP, got '%s'.", k->nw > 1 ? k->w[1] : "nothing");
			ki->set |= KI_STATE;
		} else if (!strcmp(kw, "interface")) {
			if (max_words(k, 1) < 0)
				continue;
			if (k->nw < 2 || strlen(k->w[1]) >= VRRP_IFNAME_LEN || strchr(k->w[1], '/'))
				kerr(k, "'interface' expects an interface name.");
			else
				strcpy(c->ifname, k->w[1]);
		} else if (!strcmp(kw, "virtual_router_id")) {
			if (!max_words(k, 1) && !get_int(k, 1, 1, 255, &v))
				c->vrid = (int)v;
		} else if (!strcmp(kw, "priority")) {
			if (!max_words(k, 1) && !get_int(k, 1, 1, 255, &v)) {
				c->priority = (int)v;
				ki->set |= KI_PRIO;
			}
		} else if (!strcmp(kw, "advert_int")) {
			if (!max_words(k, 1) && !get_secs(k, 1, 255000000, &us)) {
				if (us < 10000)
					kerr(k, "'advert_int' is at least 0.01 s, got '%s'.", k->w[1]);
				else
					ki->adver_us = (unsigned)us;
			}
		} else if (!strcmp(kw, "version") || !strcmp(kw, "vrrp_version")) {
			if (!max_words(k, 1) && !get_int(k, 1, 2, 3, &v)) {
				c->version = (int)v;
				ki->set |= KI_VERSION;
			}
		} else if (!strcmp(kw, "nopreempt")) {
			if (!max_words(k, 0))
				c->preempt = 0;
		} else if (!strcmp(kw, "preempt")) {
			if (!max_words(k, 0))
				c->preempt = 1;
		} else if (!strcmp(kw, "preempt_delay")) {
			if (!max_words(k, 1) && !get_secs(k, 1, 1000000000, &us))
				c->preempt_delay_ms = (uint32_t)((us + 999) / 1000);
		} else if (!strcmp(kw, "authentication")) {
			auth_block(k, c);
		} else if (!strcmp(kw, "virtual_ipaddress") || !strcmp(kw, "virtual_ipaddress_excluded")) {
			vip_block(k, c, kw[17] == '_');
		} else if (!strcmp(kw, "unicast_src_ip") || !strcmp(kw, "mcast_src_ip")) {
			int plen;

			if (max_words(k, 1) < 0)
				continue;
			if (k->nw < 2 || strchr(k->w[1], '/') || vrrp_parse_prefix(k->w[1], &c->src, &plen) < 0)
				kerr(k, "'%s' expects an IP address.", kw);
		} else if (!strcmp(kw, "unicast_peer")) {
			peer_block(k, c);
		} else if (!strcmp(kw, "track_script") || !strcmp(kw, "track_interface") || !strcmp(kw, "track_file")) {
			track_block(k, kw[6] == 's' ? VRRP_TRK_SCRIPT : kw[6] == 'i' ? VRRP_TRK_IF : VRRP_TRK_FILE,
				    c->tracks, &c->ntracks);
		} else if ((nk = notify_kind(kw)) >= 0) {
			get_cmd(k, &c->notify[nk], 1, NULL);
		} else if (!strcmp(kw, "garp_master_delay") || !strcmp(kw, "garp_master_refresh") ||
			   !strcmp(kw, "garp_lower_prio_delay")) {
			if (max_words(k, 1) < 0 || get_int(k, 1, 0, 86400, &v) < 0)
				continue;
			if (!strcmp(kw, "garp_master_delay")) {
				c->garp_delay_ms = (uint32_t)v * 1000;
				ki->set |= KI_GARP_DELAY;
			} else if (!strcmp(kw, "garp_master_refresh")) {
				c->garp_refresh_ms = (uint32_t)v * 1000;
				ki->set |= KI_GARP_REFRESH;
			} else {
				c->garp_lower_delay_ms = (uint32_t)v * 1000;
				ki->set |= KI_GARP_LOWER_DELAY;
			}
		} else if (!strcmp(kw, "garp_master_repeat") || !strcmp(kw, "garp_master_refresh_repeat") ||
			   !strcmp(kw, "garp_lower_prio_repeat")) {
			if (max_words(k, 1) < 0 || get_int(k, 1, 0, 100, &v) < 0)
				continue;
			if (!strcmp(kw, "garp_master_repeat")) {
				c->garp_repeat = (int)v;
				ki->set |= KI_GARP_REPEAT;
			} else if (!strcmp(kw, "garp_master_refresh_repeat")) {
				c->garp_refresh_repeat = v ? (int)v : 1;
				ki->set |= KI_GARP_REFRESH_REPEAT;
			} else {
				c->garp_lower_repeat = (int)v;
				ki->set |= KI_GARP_LOWER_REPEAT;
			}
		} else if (!strcmp(kw, "use_vmac")) {
			if (max_words(k, 2) < 0)
				continue;
			c->use_vmac = 1;
			for (int i = 1; i < k->nw; i++) {
				if (strchr(k->w[i], ':'))
					kerr(k, "'use_vmac': a MAC address of your own is not implemented by tandem "
					     "(it uses 00:00:5e:00:01:VRID).");
				else if (strlen(k->w[i]) >= VRRP_IFNAME_LEN || strchr(k->w[i], '/'))
					kerr(k, "'use_vmac': invalid interface name '%s'.", k->w[i]);
				else
					strcpy(c->vmac_name, k->w[i]);
			}
		} else if (!strcmp(kw, "dont_track_primary")) {
			if (!max_words(k, 0))
				c->dont_track_primary = 1;
		} else if (!strcmp(kw, "skip_check_adv_addr")) {
			if (!max_words(k, 1) && !get_bool(k, 1, &b)) {
				c->skip_check_adv_addr = b;
				ki->set |= KI_SKIP_CHECK;
			}
		} else if (!strcmp(kw, "higher_prio_send_advert")) {
			if (!max_words(k, 1) && !get_bool(k, 1, &b)) {
				c->higher_prio_send_advert = b;
				ki->set |= KI_HIGHER_ADV;
			}
		} else if (!strcmp(kw, "accept") || !strcmp(kw, "check_unicast_src")) {
			/* what tandem always does: it serves the addresses it holds,
			 * and checks that unicast advertisements come from a peer */
			max_words(k, 0);
		} else if (!strcmp(kw, "native_ipv6")) {
			/* deprecated in keepalived: the addresses decide the family */
			if (!max_words(k, 0))
				ki->set |= KI_NATIVE6;
		} else if (!strcmp(kw, "debug")) {
			/* keepalived.conf(5): "Debug level, not implemented yet" */
			kwarn(k, "'debug' has no effect (keepalived does not implement it either).");
		} else if (!strcmp(kw, "no_accept")) {
			refuse(k, "tandem serves the virtual addresses it holds; it cannot drop their traffic.");
		} else if (!strcmp(kw, "strict_mode")) {
			refuse(k, "it makes keepalived drop the traffic sent to the virtual addresses (no_accept), "
			       "which a load balancer must serve; remove it.");
		} else if (!strcmp(kw, "smtp_alert")) {
			refuse(k, SMTP_WHY);
		} else if (!strcmp(kw, "lvs_sync_daemon_interface")) {
			refuse(k, LVS_WHY);
		} else {
			refuse(k, NULL);
		}
	}
}

/* ---- the top level ---- */

static void top_level(struct kac *k)
{
	while (next_line(k)) {
		const char *kw = k->w[0];

		if (!strcmp(kw, "global_defs")) {
			if (!max_words(k, 0))
				global_defs(k);
			else
				skip_block(k);
		} else if (!strcmp(kw, "vrrp_instance")) {
			vrrp_instance(k);
		} else if (!strcmp(kw, "vrrp_script")) {
			vrrp_script(k);
		} else if (!strcmp(kw, "vrrp_sync_group")) {
			sync_group(k);
		} else if (!strcmp(kw, "track_file") || !strcmp(kw, "vrrp_track_file")) {
			track_file(k);
		} else if (!strcmp(kw, "virtual_server") || !strcmp(kw, "virtual_server_group")) {
			refuse(k, LVS_WHY);
		} else if (!strcmp(kw, "}")) {
			kerr(k, "extra '}'.");
		} else if (!strcmp(kw, "{")) {
			kerr(k, "unexpected '{'.");
			k->pushed = 1;
			skip_block(k);
		} else {
			refuse(k, NULL);
		}
	}
}

/* global_defs provides defaults; keepalived derives some values last. */
static void finish(struct kac *k)
{
	for (int i = 0; i < k->nki; i++) {
		struct kinst *ki = &k->ki[i];
		struct vrrp_conf *c = ki->c;
		unsigned cs;

		k->file = c->file;
		k->line = c->line;
		if (!(ki->set & KI_VERSION))
			c->version = c->af == AF_INET6 ? 3 : k->g_version ? k->g_version : 2;
		/* "If no priority has been set, derive it from the initial state" */
		if (!(ki->set & KI_PRIO))
			c->priority = c->init_master ? 255 : 100;
		cs = (ki->adver_us + 5000) / 10000;
		if (c->version == 2 && ki->adver_us % 1000000) {
			/* keepalived rounds a VRRPv2 interval to whole seconds */
			unsigned s = (ki->adver_us + 500000) / 1000000;

			if (!s)
				s = 1;
			kwarn(k, "vrrp_instance '%s': VRRP version 2 advertises whole seconds: advert_int %u.%06u "
			      "is used as %u s (as keepalived does).", c->name, ki->adver_us / 1000000,
			      ki->adver_us % 1000000, s);
			cs = s * 100;
		}
		c->adver_cs = cs ? cs : 1;
		if (!(ki->set & KI_GARP_DELAY) && k->g_garp_delay >= 0)
			c->garp_delay_ms = (uint32_t)k->g_garp_delay;
		if (!(ki->set & KI_GARP_REPEAT) && k->g_garp_repeat >= 0)
			c->garp_repeat = k->g_garp_repeat;
		if (!(ki->set & KI_GARP_REFRESH) && k->g_garp_refresh >= 0)
			c->garp_refresh_ms = (uint32_t)k->g_garp_refresh;
		if (!(ki->set & KI_GARP_REFRESH_REPEAT) && k->g_garp_refresh_repeat >= 0)
			c->garp_refresh_repeat = k->g_garp_refresh_repeat ? k->g_garp_refresh_repeat : 1;
		if (!(ki->set & KI_GARP_LOWER_REPEAT))
			c->garp_lower_repeat = k->g_lower_repeat >= 0 ? k->g_lower_repeat : c->garp_repeat;
		if (!(ki->set & KI_GARP_LOWER_DELAY))
			c->garp_lower_delay_ms = k->g_lower_delay >= 0 ? (uint32_t)k->g_lower_delay : c->garp_delay_ms;
		if (!(ki->set & KI_SKIP_CHECK))
			c->skip_check_adv_addr = k->g_skip_check;
		if (!(ki->set & KI_HIGHER_ADV) && k->g_higher_adv >= 0)
			c->higher_prio_send_advert = k->g_higher_adv;
		c->garp_interval_ms = c->af == AF_INET6 ? k->g_gna_interval_ms : k->g_garp_interval_ms;
		c->startup_delay_ms = k->g_startup_delay_ms;
		if ((ki->set & KI_NATIVE6) && c->af != AF_INET6)
			kerr(k, "vrrp_instance '%s': native_ipv6 with IPv4 virtual addresses.", c->name);
		if (c->init_master && !c->preempt)
			kwarn(k, "vrrp_instance '%s': nopreempt does not work with state MASTER (keepalived says so too).",
			      c->name);
	}
	/* keepalived's default script user: keepalived_script if it exists */
	if (!k->g_script_user_set && k->out->set->script_uid < 0) {
		char why[64];
		int uid, gid;

		if (vrrp_user_lookup("keepalived_script", NULL, &uid, &gid, why, sizeof(why)) == 0) {
			k->out->set->script_uid = uid;
			k->out->set->script_gid = gid;
		}
	}
}

static int run(struct kac *k)
{
	char host[256];

	if (k->out->config_id) {
		snprintf(k->config_id, sizeof(k->config_id), "%s", k->out->config_id);
	} else if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = 0;
		host[strcspn(host, ".")] = 0;
		snprintf(k->config_id, sizeof(k->config_id), "%.63s", host);
	}
	k->g_garp_delay = k->g_garp_repeat = k->g_garp_refresh = k->g_garp_refresh_repeat = -1;
	k->g_lower_repeat = k->g_lower_delay = -1;
	k->g_higher_adv = -1;
	top_level(k);
	finish(k);
	while (k->top)
		pop_src(k);
	free(k->residue);
	free(k->raw);
	free(k->wbuf);
	free(k->w);
	for (int i = 0; i < k->ndefs; i++) {
		free(k->defs[i].name);
		free(k->defs[i].value);
	}
	return k->nerr;
}

int kac_load(const char *path, struct kac_out *out)
{
	struct kac *k = calloc(1, sizeof(*k));
	struct stat st;
	FILE *f;
	int n;

	if (!k || !(k->raw = malloc(KAC_MAX_LINE + 1)) || !(k->wbuf = malloc(KAC_MAX_LINE + 1))) {
		if (k)
			free(k->raw);
		free(k);
		out->err(out->ctx, path, 0, "out of memory");
		return 1;
	}
	k->out = out;
	k->file = path;
	if ((stat(path, &st) == 0 && !S_ISREG(st.st_mode) && (errno = EINVAL)) || !(f = fopen(path, "r"))) {
		char msg[600];

		/* reported at the line that names the file */
		snprintf(msg, sizeof(msg), "keepalived-config: cannot open '%s': %s.", path,
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		out->err(out->ctx, NULL, 0, msg);
		free(k->raw);
		free(k->wbuf);
		free(k);
		return 1;
	}
	fclose(f);
	if (push_file(k, path) < 0) {
		n = run(k);
		free(k);
		return n ? n : 1;
	}
	n = run(k);
	free(k);
	return n;
}

int kac_load_mem(const char *name, const char *data, size_t len, struct kac_out *out)
{
	struct kac *k = calloc(1, sizeof(*k));
	struct src *s = calloc(1, sizeof(*s));
	int n;

	if (!k || !s || !(k->raw = malloc(KAC_MAX_LINE + 1)) || !(k->wbuf = malloc(KAC_MAX_LINE + 1)) ||
	    !(s->name = vrrp_set_file(out->set, name)) || !(s->dir = strdup("."))) {
		if (k) {
			free(k->raw);
			free(k->wbuf);
		}
		if (s)
			free(s->dir);
		free(k);
		free(s);
		out->err(out->ctx, name, 0, "out of memory");
		return 1;
	}
	k->out = out;
	k->file = s->name;
	s->mem = data;
	s->mem_end = data + len;
	k->top = s;
	k->depth = 1;
	n = run(k);
	free(k);
	return n;
}
