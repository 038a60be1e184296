/* Minimal JSON reading and writing for tandem-app (see json.c). Standalone:
 * no other tandem-app header, so the fuzz driver links json.c alone. */
#ifndef TANDEM_APP_JSON_H
#define TANDEM_APP_JSON_H
#include <stddef.h>

#define JSON_MAX_DEPTH 32   /* nesting of objects and arrays, the outer object included */

enum {
	JSON_BAD = -1,      /* not exactly one valid JSON object (or invalid UTF-8, \u0000) */
	JSON_TOO_LONG = -2, /* the wanted value does not fit in the output buffer */
	JSON_ABSENT = 0,    /* a valid object without a string member of those names */
	JSON_FOUND = 1,
};

/* Validate <doc> as one JSON object and decode into <out> (NUL-terminated
 * UTF-8, at most cap-1 bytes) the string value of its first top-level member
 * named like one of <keys> (NULL-terminated list). Returns JSON_FOUND,
 * JSON_ABSENT, JSON_BAD or JSON_TOO_LONG. */
int json_obj_str(const char *doc, size_t len, const char *const *keys, char *out, size_t cap);

/* Escape the valid UTF-8 string <s> for a JSON string literal (without the
 * quotes) into dst[0..cap): '"', '\\' and control characters are escaped,
 * other characters kept. Stops early rather than overflow; always
 * NUL-terminates. Returns the length written. 6 x strlen(s) + 1 always fits. */
size_t json_escape_text(char *dst, size_t cap, const char *s);

#endif
