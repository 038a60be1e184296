/* Linear buffers. Areas are allocated lazily and released when a connection
 * goes idle, so 10k idle keep-alive clients cost no buffer memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <tandem/buf.h>

/* A small per-thread cache of released areas of the most used size, so
 * that the allocate/release done around every request (buffers are given
 * back as soon as a connection goes idle) costs no malloc/free. Bounded:
 * at most POOL_MAX areas per thread stay allocated for reuse. */
#define POOL_MAX 64
static __thread void  *pool[POOL_MAX];
static __thread int    npool;
static __thread size_t pool_size;

static void *area_get(size_t size)
{
	if (npool && size == pool_size)
		return pool[--npool];
	return malloc(size);
}

static void area_put(void *p, size_t size)
{
	if (!p)
		return;
	if (!pool_size)
		pool_size = size;
	if (size == pool_size && npool < POOL_MAX) {
		pool[npool++] = p;
		return;
	}
	free(p);
}

int buf_alloc(struct buf *b, size_t size)
{
	if (b->area)
		return 0;
	b->area = area_get(size);
	if (!b->area)
		return -1;
	b->size = size;
	b->head = b->data = 0;
	return 0;
}

void buf_release(struct buf *b)
{
	if (b->area && !b->data) {
		area_put(b->area, b->size);
		b->area = NULL;
		b->size = b->head = 0;
	}
}

void buf_free(struct buf *b)
{
	area_put(b->area, b->size);
	b->area = NULL;
	b->size = b->head = b->data = 0;
}

void buf_pool_flush(void)
{
	while (npool)
		free(pool[--npool]);
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
