/* Quiescent-state based reclamation (see qsbr.h).
 *
 * Each reading thread owns a slot with a sequence number: odd while it is
 * inside a read section, even outside. When the writer closes a batch of
 * retired objects it copies the sequence numbers; the batch may be freed
 * once every slot that was odd then has changed (the thread left that
 * section; a later section cannot have seen the unlinked objects, since
 * they were unlinked before the copy was taken). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <tandem/qsbr.h>

struct qsbr_slot {
	unsigned long seq;
	int           used;
	char          pad[64 - sizeof(unsigned long) - sizeof(int)];
} __attribute__((aligned(64)));

struct retired {
	struct retired *next;
	void           *p;
	void          (*fn)(void *);
};

struct batch {
	struct batch   *next;
	struct retired *items;
	int             nslots;
	unsigned long  *snap;
};

static struct qsbr_slot slots[QSBR_MAX_THREADS];
static int nslots;                       /* highest slot used + 1 */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int my_slot = -1;
__thread int qsbr_depth;      /* read sections nested (qsbr.h's inline lock) */

/* writer side (one thread at a time: the runtime API's) */
static struct retired *open_items;
static struct batch   *closed;

static int take_slot(void)
{
	int s = -1;

	pthread_mutex_lock(&slot_lock);
	for (int i = 0; i < QSBR_MAX_THREADS; i++)
		if (!slots[i].used) {
			slots[i].used = 1;
			s = i;
			break;
		}
	if (s >= 0 && s >= __atomic_load_n(&nslots, __ATOMIC_RELAXED))
		__atomic_store_n(&nslots, s + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot_lock);
	return s;
}

void qsbr_read_enter(void)
{
	if (my_slot < 0 && (my_slot = take_slot()) < 0)
		abort();   /* more than QSBR_MAX_THREADS reading threads */
	__atomic_store_n(&slots[my_slot].seq, slots[my_slot].seq + 1, __ATOMIC_RELAXED);
	/* the odd value must be visible before any pointer is read */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void qsbr_read_exit(void)
{
	__atomic_store_n(&slots[my_slot].seq, slots[my_slot].seq + 1, __ATOMIC_RELEASE);
}

void qsbr_thread_exit(void)
{
	if (my_slot < 0)
		return;
	pthread_mutex_lock(&slot_lock);
	/* leave it even: a batch waiting on it is not held back */
	if (slots[my_slot].seq & 1)
		__atomic_store_n(&slots[my_slot].seq, slots[my_slot].seq + 1, __ATOMIC_RELEASE);
	slots[my_slot].used = 0;
	pthread_mutex_unlock(&slot_lock);
	my_slot = -1;
	qsbr_depth = 0;
}

void qsbr_retire(void *p, void (*fn)(void *))
{
	struct retired *r = malloc(sizeof(*r));

	if (!r) {
		/* cannot defer: leaking is safer than freeing under a reader */
		return;
	}
	r->p = p;
	r->fn = fn;
	r->next = open_items;
	open_items = r;
}

static void free_items(struct retired *r)
{
	while (r) {
		struct retired *n = r->next;

		r->fn(r->p);
		free(r);
		r = n;
	}
}

static int batch_done(const struct batch *b)
{
	for (int i = 0; i < b->nslots; i++) {
		unsigned long then = b->snap[i];

		if ((then & 1) && __atomic_load_n(&slots[i].seq, __ATOMIC_ACQUIRE) == then)
			return 0;
	}
	return 1;
}

int qsbr_reclaim(void)
{
	struct batch **pb;
	int waiting = 0;

	if (open_items) {
		struct batch *b = calloc(1, sizeof(*b));
		int n = __atomic_load_n(&nslots, __ATOMIC_ACQUIRE);

		if (b && (b->snap = calloc(n ? n : 1, sizeof(*b->snap)))) {
			/* the unlinking stores must be ordered before the snapshot */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			for (int i = 0; i < n; i++)
				b->snap[i] = __atomic_load_n(&slots[i].seq, __ATOMIC_ACQUIRE);
			b->nslots = n;
			b->items = open_items;
			open_items = NULL;
			b->next = closed;
			closed = b;
		} else {
			free(b);
		}
	}
	for (pb = &closed; *pb;) {
		struct batch *b = *pb;

		if (batch_done(b)) {
			*pb = b->next;
			free_items(b->items);
			free(b->snap);
			free(b);
			continue;
		}
		for (struct retired *r = b->items; r; r = r->next)
			waiting++;
		pb = &b->next;
	}
	for (struct retired *r = open_items; r; r = r->next)
		waiting++;
	return waiting;
}
