/* Linear buffers. Areas are allocated lazily and released when a connection
 * goes idle, so 10k idle keep-alive clients cost no buffer memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <tandem/buf.h>

#if defined(__SANITIZE_ADDRESS__)
/* ASan's allocator ignores malloc_trim; this is its way (libasan) */
void __sanitizer_purge_allocator(void);
#define TRIM_MALLOC() __sanitizer_purge_allocator()
#elif defined(__GLIBC__)
#define TRIM_MALLOC() malloc_trim(0)
#else
#define TRIM_MALLOC() do { } while (0)
#endif

/* A small per-thread cache of released areas of the most used size, so
 * that the allocate/release done around every request (buffers are given
 * back as soon as a connection goes idle) costs no malloc/free. Bounded in
 * bytes: at most POOL_BYTES per thread (and POOL_MAX areas) stay allocated
 * for reuse, whatever the buffer size.
 *
 * Each thread also counts the bytes of the areas it handed out (live) and
 * the highest count since it last gave memory back (peak): after a burst
 * (a slow-read attack holds thousands of full buffers), buf_trim_idle()
 * empties the cache and asks malloc to return its free pages, so an idle
 * worker shrinks back instead of keeping the attack's high-water mark. */
#define POOL_MAX   64
#define POOL_BYTES (1024 * 1024)
/* A drop of this many bytes below the peak makes trimming worth its cost. */
#define TRIM_DROP  (4 * 1024 * 1024)
static __thread void  *pool[POOL_MAX];
static __thread int    npool;
static __thread size_t pool_size;
static __thread long long live_bytes, peak_bytes;

static void *area_get(size_t size)
{
	void *p;

	if (npool && size == pool_size)
		p = pool[--npool];
	else if (!(p = malloc(size)))
		return NULL;
	live_bytes += (long long)size;
	if (live_bytes > peak_bytes)
		peak_bytes = live_bytes;
	return p;
}

static void area_put(void *p, size_t size)
{
	if (!p)
		return;
	/* an area may be released by another thread than the one that took
	 * it (idle server connections): the counts are only a hint */
	live_bytes -= (long long)size;
	if (live_bytes < 0)
		live_bytes = 0;
	if (!pool_size)
		pool_size = size;
	if (size == pool_size && npool < POOL_MAX && (size_t)(npool + 1) * size <= POOL_BYTES) {
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

int buf_trim_idle(void)
{
	if (peak_bytes - live_bytes < TRIM_DROP)
		return 0;
	buf_pool_flush();
	peak_bytes = live_bytes;
	TRIM_MALLOC();
	return 1;
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
