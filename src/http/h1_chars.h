/* Character classes of HTTP/1 syntax (RFC 9110 5.6.2, 5.5; RFC 3986),
 * one bit each, shared by the head parser and the chunked decoder. The
 * table lives in h1_parse.c. Private to src/http. */
#ifndef TANDEM_H1_CHARS_H
#define TANDEM_H1_CHARS_H
#include <stdint.h>

/* Character classes, one bit each (table below). */
enum {
	C_TCHAR  = 1,   /* token character (RFC 9110 5.6.2) */
	C_URI    = 2,   /* visible ASCII 0x21-0x7e: allowed in request-target */
	C_VAL    = 4,   /* field value: HTAB, SP, VCHAR, obs-text */
	C_HOST   = 8,   /* authority: unreserved, sub-delims, ':', '[', ']', '%' */
	C_SCHEME = 16,  /* scheme after its first letter: ALPHA DIGIT + - . */
};

extern const uint8_t h1_ctab[256];

#endif
