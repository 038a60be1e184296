/* Intrusive circular doubly linked list (the kernel's and HAProxy's shape).
 * An empty list points at itself; an element not in any list is kept
 * self-linked (list_init) so that list_del is always safe to call. */
#ifndef TANDEM_LIST_H
#define TANDEM_LIST_H
#include <tandem/compat.h>

struct list {
	struct list *next, *prev;
};

#define LIST_HEAD_INIT(l) { &(l), &(l) }

static inline void list_init(struct list *l) { l->next = l->prev = l; }
static inline int list_empty(const struct list *l) { return l->next == l; }

/* Insert <e> right after <head> (LIFO when popping from head->next). */
static inline void list_add(struct list *head, struct list *e)
{
	e->next = head->next; e->prev = head;
	head->next->prev = e; head->next = e;
}

/* Insert <e> before <head>, i.e. at the tail (FIFO). */
static inline void list_add_tail(struct list *head, struct list *e)
{
	e->prev = head->prev; e->next = head;
	head->prev->next = e; head->prev = e;
}

/* Unlink <e> and leave it self-linked; harmless on a self-linked element. */
static inline void list_del(struct list *e)
{
	e->prev->next = e->next; e->next->prev = e->prev;
	list_init(e);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define list_for_each_safe(pos, n, head) \
	for ((pos) = (head)->next, (n) = (pos)->next; (pos) != (head); (pos) = (n), (n) = (pos)->next)

#endif
