/* Cached clocks: one clock_gettime per loop iteration instead of per use. */
#include <time.h>
#include <tandem/clock.h>

__thread uint64_t now_ms;
__thread uint64_t now_us;

uint64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void clock_update(void)
{
	now_us = clock_mono_us();
	now_ms = now_us / 1000u;
}
