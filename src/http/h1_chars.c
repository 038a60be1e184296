/* Whole-string checks with the HTTP/1 character classes (h1_chars.h), for
 * code outside src/http that validates names from the configuration. */
#include <tandem/h1.h>
#include "h1_chars.h"

int h1_is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(h1_ctab[(unsigned char)*s] & C_TCHAR))
			return 0;
	return 1;
}
