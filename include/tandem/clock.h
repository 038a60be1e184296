/* Cached monotonic clock. Each event loop refreshes it once per wake-up so
 * that hot paths read a thread-local variable instead of calling the kernel. */
#ifndef TANDEM_CLOCK_H
#define TANDEM_CLOCK_H
#include <stdint.h>

extern __thread uint64_t now_ms;   /* monotonic milliseconds, cached */
extern __thread uint64_t now_us;   /* monotonic microseconds, cached */

/* Refresh now_ms/now_us from CLOCK_MONOTONIC. */
void clock_update(void);
/* Uncached monotonic microseconds. */
uint64_t clock_mono_us(void);
/* Wall clock in microseconds since the epoch (for logs). */
uint64_t clock_wall_us(void);

#endif
