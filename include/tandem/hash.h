/* Hash functions the configuration names (`hash-type ... sdbm|djb2|wt6|
 * crc32`, the avalanche modifier) and XXH64, which HAProxy's dynamic
 * cookies use: the same functions give the same results as HAProxy's, so
 * a key hashes alike on both (src/core/hash.c). */
#ifndef TANDEM_HASH_H
#define TANDEM_HASH_H
#include <stddef.h>
#include <stdint.h>

uint32_t hash_sdbm(const void *p, size_t len);
uint32_t hash_djb2(const void *p, size_t len);
uint32_t hash_wt6(const void *p, size_t len);
uint32_t hash_crc32(const void *p, size_t len);
/* Bob Jenkins' 32-bit integer mix (HAProxy's "avalanche"). */
uint32_t hash_avalanche(uint32_t a);
/* XXH64 of <len> bytes with <seed>. */
uint64_t hash_xxh64(const void *p, size_t len, uint64_t seed);

#endif
