/* Configuration lexer: splits one line of HAProxy's configuration language
 * into words. Private to src/cfg/ and its unit test.
 *
 * Rules (HAProxy's): words are separated by spaces and tabs; '#' starts a
 * comment unless quoted or escaped; "double quotes" keep spaces and expand
 * $VAR, ${VAR} and ${VAR-default} from the environment; 'single quotes' are
 * literal; a backslash escapes the next character (\\ \" \' \# \$ and a
 * space), \r \n \t give CR LF TAB and \xHH a byte. Quoted and unquoted parts
 * next to each other form one word. There is no line continuation. */
#ifndef TANDEM_CFG_LEX_H
#define TANDEM_CFG_LEX_H
#include <stddef.h>

struct cfg_words {
	char  **v;      /* v[0..n-1] are the words, v[n] is NULL */
	int     n;
	char   *buf;    /* storage for the words (internal) */
	size_t  bufsz;
	int     vcap;
};

/* Split <line> (NUL-terminated, a trailing "\n" or "\r\n" is ignored) into
 * <w>, reusing its storage. Returns 0, or -1 with *err set to a static
 * message (unterminated quote, bad escape, NUL byte...). An empty or comment
 * line gives n == 0. <len> is the line length (it may contain NUL bytes). */
int cfg_lex_line(const char *line, size_t len, struct cfg_words *w, const char **err);

/* Release the storage of <w> (the struct itself is the caller's). */
void cfg_words_free(struct cfg_words *w);

#endif
