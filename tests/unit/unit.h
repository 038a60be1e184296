/* Minimal unit-test harness. Each check prints one line; tests/run.sh counts
 * the "PASS " and "FAIL " lines of every test binary. A binary exits 1 if
 * any check failed. */
#ifndef TANDEM_UNIT_H
#define TANDEM_UNIT_H
#include <stdio.h>
#include <string.h>

static int unit_failed, unit_passed;

/* Record one named check. */
#define CHECK(name, cond) do { \
	if (cond) { unit_passed++; printf("PASS %s\n", (name)); } \
	else { unit_failed++; printf("FAIL %s (%s:%d: %s)\n", (name), __FILE__, __LINE__, #cond); } \
} while (0)

/* Formatted variant: CHECKF(cond, "fmt", args...). */
#define CHECKF(cond, ...) do { char n_[512]; snprintf(n_, sizeof(n_), __VA_ARGS__); CHECK(n_, cond); } while (0)

/* Counter storage for proxies and servers built by hand in a test (the
 * configuration loader allocates them for real ones). */
#ifdef TANDEM_COUNTERS_T_H
static struct counters unit_ctr_pool[128];
static int unit_ctr_n;
static inline struct counters *unit_ctr(void)
{
	struct counters *c = &unit_ctr_pool[unit_ctr_n++ % 128];
	memset(c, 0, sizeof(*c));
	return c;
}
#endif

#define UNIT_END() do { fflush(stdout); return unit_failed ? 1 : 0; } while (0)

#endif
