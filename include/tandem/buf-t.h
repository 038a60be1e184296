/* Linear byte buffer: valid bytes are area[head .. head+data). Linear (not a
 * ring) so that the HTTP head parser always sees contiguous memory; the
 * buffer is compacted (memmove) only when space at the tail runs out. */
#ifndef TANDEM_BUF_T_H
#define TANDEM_BUF_T_H
#include <stddef.h>

struct buf {
	char  *area;   /* NULL until first use: idle connections hold no memory */
	size_t size;   /* allocated bytes */
	size_t head;   /* offset of the first valid byte */
	size_t data;   /* number of valid bytes */
};

#endif
