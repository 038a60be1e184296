/* OpenSSL's memory, counted: every allocation OpenSSL makes goes through
 * these functions (CRYPTO_set_mem_functions, installed by main() before
 * OpenSSL allocates anything), which keep the bytes in use in one counter.
 * /metrics shows it (tandem_process_ssl_memory_bytes), so what TLS costs
 * per connection, busy or idle, can be read from the running process
 * rather than guessed from its RSS (which a sanitizer's quarantine or the
 * allocator's caches blur). A 16-byte header before each block keeps its
 * size and malloc's alignment. */
#include <stdint.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <tandem/ssl.h>

#define HDR 16

static uint64_t in_use;

static void *mem_alloc(size_t n, const char *file, int line)
{
	char *p;

	(void)file; (void)line;
	if (n > SIZE_MAX - HDR || !(p = malloc(n + HDR)))
		return NULL;
	*(size_t *)(void *)p = n;
	__atomic_add_fetch(&in_use, n, __ATOMIC_RELAXED);
	return p + HDR;
}

static void mem_free(void *ptr, const char *file, int line)
{
	char *p;

	(void)file; (void)line;
	if (!ptr)
		return;
	p = (char *)ptr - HDR;
	__atomic_sub_fetch(&in_use, *(size_t *)(void *)p, __ATOMIC_RELAXED);
	free(p);
}

static void *mem_realloc(void *ptr, size_t n, const char *file, int line)
{
	char *p, *q;
	size_t old;

	if (!ptr)
		return mem_alloc(n, file, line);
	if (!n) {
		mem_free(ptr, file, line);
		return NULL;
	}
	if (n > SIZE_MAX - HDR)
		return NULL;
	p = (char *)ptr - HDR;
	old = *(size_t *)(void *)p;
	if (!(q = realloc(p, n + HDR)))
		return NULL;
	*(size_t *)(void *)q = n;
	__atomic_add_fetch(&in_use, n, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&in_use, old, __ATOMIC_RELAXED);
	return q + HDR;
}

int ssl_mem_init(void)
{
	return CRYPTO_set_mem_functions(mem_alloc, mem_realloc, mem_free) ? 0 : -1;
}

uint64_t ssl_mem_in_use(void)
{
	return __atomic_load_n(&in_use, __ATOMIC_RELAXED);
}
