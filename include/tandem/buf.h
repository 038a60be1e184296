#ifndef TANDEM_BUF_H
#define TANDEM_BUF_H
#include <string.h>
#include <tandem/buf-t.h>

/* Allocate the area if missing. Returns 0, or -1 on allocation failure. */
int buf_alloc(struct buf *b, size_t size);
/* Release the area (only when empty, to keep idle memory low). */
void buf_release(struct buf *b);
void buf_free(struct buf *b);
/* Free the calling thread's cache of released areas (thread exit). */
void buf_pool_flush(void);
/* After a burst: when the areas this thread has handed out dropped well
 * below their peak, empty its cache and let malloc return free pages to the
 * system (malloc_trim). Call from a periodic timer. Returns 1 if it
 * trimmed. */
int buf_trim_idle(void);

static inline char *buf_ptr(const struct buf *b) { return b->area + b->head; }
static inline char *buf_tail(const struct buf *b) { return b->area + b->head + b->data; }
/* Free room at the tail without compaction. */
static inline size_t buf_tailroom(const struct buf *b) { return b->size - b->head - b->data; }
static inline size_t buf_room(const struct buf *b) { return b->size - b->data; }
static inline int buf_full(const struct buf *b) { return b->data == b->size; }

/* Move data to the start of the area so that all free room is at the tail. */
void buf_compact(struct buf *b);
/* Drop <n> bytes from the head. Resets head to 0 when the buffer empties. */
static inline void buf_consume(struct buf *b, size_t n)
{
	b->head += n; b->data -= n;
	if (!b->data) b->head = 0;
}
/* Append <len> bytes; returns 0, or -1 if they do not fit (nothing copied). */
int buf_append(struct buf *b, const void *p, size_t len);
/* printf-style append; returns 0, or -1 if it does not fit (nothing kept). */
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
