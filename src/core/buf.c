/* Linear buffers. Areas are allocated lazily and released when a connection
 * goes idle, so 10k idle keep-alive clients cost no buffer memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <tandem/buf.h>

int buf_alloc(struct buf *b, size_t size)
{
	if (b->area)
		return 0;
	b->area = malloc(size);
	if (!b->area)
		return -1;
	b->size = size;
	b->head = b->data = 0;
	return 0;
}

void buf_release(struct buf *b)
{
	if (b->area && !b->data) {
		free(b->area);
		b->area = NULL;
		b->size = b->head = 0;
	}
}

void buf_free(struct buf *b)
{
	free(b->area);
	b->area = NULL;
	b->size = b->head = b->data = 0;
}

void buf_compact(struct buf *b)
{
	if (b->head && b->data)
		memmove(b->area, b->area + b->head, b->data);
	b->head = 0;
}

int buf_append(struct buf *b, const void *p, size_t len)
{
	if (len > buf_room(b))
		return -1;
	if (len > buf_tailroom(b))
		buf_compact(b);
	memcpy(buf_tail(b), p, len);
	b->data += len;
	return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf_tailroom(b) < buf_room(b))
		buf_compact(b);
	va_start(ap, fmt);
	n = vsnprintf(buf_tail(b), buf_tailroom(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= buf_tailroom(b))
		return -1;
	b->data += (size_t)n;
	return 0;
}
