/* Bounded map: request id -> times seen, for POST requests, so black-box
 * tests can check that the load balancer never delivered a non-idempotent
 * request twice. Holds the last IDMAP_CAP distinct ids: a ring of slots in
 * insertion order (the oldest is evicted first) indexed by a chained hash
 * table. Shared by all threads behind one mutex (POSTs are not the hot path
 * and the critical section is a hash lookup). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"

#define NBUCKETS 16384  /* power of two, > IDMAP_CAP */

struct slot {
	char    *id;      /* NULL when free */
	unsigned count;
	int      next;    /* next slot in the bucket chain, -1 at the end */
	uint32_t hash;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[IDMAP_CAP];
static int buckets[NBUCKETS];
static int initialised;
static int ring_next;        /* slot the next new id takes */
static uint64_t dup_total;   /* sightings of an id already seen */

/* FNV-1a: short keys, good enough spread for a test tool. */
static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Caller holds the lock. */
static void init_locked(void)
{
	int i;

	for (i = 0; i < NBUCKETS; i++)
		buckets[i] = -1;
	for (i = 0; i < IDMAP_CAP; i++) {
		free(slots[i].id);
		slots[i].id = NULL;
		slots[i].count = 0;
		slots[i].next = -1;
	}
	ring_next = 0;
	dup_total = 0;
	initialised = 1;
}

/* Unlink slot <i> from its bucket chain and free its id. Caller holds the lock. */
static void evict_locked(int i)
{
	int *pp = &buckets[slots[i].hash & (NBUCKETS - 1)];

	while (*pp != -1 && *pp != i)
		pp = &slots[*pp].next;
	if (*pp == i)
		*pp = slots[i].next;
	free(slots[i].id);
	slots[i].id = NULL;
	slots[i].next = -1;
	slots[i].count = 0;
}

unsigned idmap_add(const char *id)
{
	uint32_t h = hash_str(id);
	unsigned n = 1;
	char *copy;
	int i;

	pthread_mutex_lock(&lock);
	if (!initialised)
		init_locked();
	for (i = buckets[h & (NBUCKETS - 1)]; i != -1; i = slots[i].next) {
		if (slots[i].hash == h && !strcmp(slots[i].id, id)) {
			n = ++slots[i].count;
			dup_total++;
			goto out;
		}
	}
	copy = strdup(id);
	if (!copy)
		goto out;  /* cannot remember it: still report one sighting */
	i = ring_next;
	ring_next = (ring_next + 1) % IDMAP_CAP;
	if (slots[i].id)
		evict_locked(i);
	slots[i].id = copy;
	slots[i].count = 1;
	slots[i].hash = h;
	slots[i].next = buckets[h & (NBUCKETS - 1)];
	buckets[h & (NBUCKETS - 1)] = i;
out:
	pthread_mutex_unlock(&lock);
	return n;
}

uint64_t idmap_dups(void)
{
	uint64_t d;

	pthread_mutex_lock(&lock);
	d = dup_total;
	pthread_mutex_unlock(&lock);
	return d;
}

void idmap_clear(void)
{
	pthread_mutex_lock(&lock);
	init_locked();
	pthread_mutex_unlock(&lock);
}

/* Make room for <need> more bytes in the growing string. 0 or -1. */
static int grow(char **s, size_t len, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	char *n;

	if (len + need + 1 <= *cap)
		return 0;
	while (ncap < len + need + 1)
		ncap *= 2;
	n = realloc(*s, ncap);
	if (!n)
		return -1;
	*s = n;
	*cap = ncap;
	return 0;
}

int idmap_json(char **s, size_t *len, size_t *cap)
{
	char esc[APP_REQID_MAX * 6 + 1];
	int k, first = 1, ret = 0;

	pthread_mutex_lock(&lock);
	if (!initialised)
		init_locked();
	/* oldest first: the ring starts at ring_next */
	for (k = 0; k < IDMAP_CAP; k++) {
		struct slot *sl = &slots[(ring_next + k) % IDMAP_CAP];
		size_t n;

		if (!sl->id)
			continue;
		n = json_escape(esc, sizeof(esc), sl->id);
		if (grow(s, *len, cap, n + 16) < 0) {
			ret = -1;
			break;
		}
		*len += (size_t)sprintf(*s + *len, "%s\"%s\":%u", first ? "" : ",", esc, sl->count);
		first = 0;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}
