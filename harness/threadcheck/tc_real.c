/* tc_real.c: finds the real pthread functions behind the interposers and decides once whether
 * threadcheck is active or only forwards (tc_real.h). */
#include "tc_real.h"
#include "tc_util.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define X(type, name, version) void *_Atomic tc__cache_##name;
TC__REALS(X)
#undef X

_Atomic int tc__mode_v;
static const char *tc__passive_reason;

/* Looks up the next definition of NAME after this library, preferring VERSION when it is
 * not NULL. Returns NULL when there is none. */
static void *tc__lookup(const char *name, const char *version)
{
	void *p = NULL;

	if (version != NULL)
		p = dlvsym(RTLD_NEXT, name, version);
	if (p == NULL)
		p = dlsym(RTLD_NEXT, name);
	return p;
}

__attribute__((noinline)) void *tc__real_slow(void *_Atomic *cache, const char *name,
					     const char *version)
{
	void *p = tc__lookup(name, version);

	if (p == NULL) {
		char msg[256];
		struct tc__buf b = { msg, 0, sizeof msg };

		tc__bprintf(&b, "threadcheck: cannot find the real %s\n", name);
		(void)tc__write_all(2, b.p, b.len);
		abort();
	}
	/* Two threads may race here before the constructor ran; both store the same value. */
	atomic_store_explicit(cache, p, memory_order_release);
	return p;
}

void tc__real_resolve_all(void)
{
#define X(type, name, version)                                                              \
	if (atomic_load(&tc__cache_##name) == NULL)                                         \
		atomic_store(&tc__cache_##name, tc__lookup(#name, version));
	TC__REALS(X)
#undef X
}

/* Under ThreadSanitizer the runtime's interceptors already sit in front of us and start
 * every thread through their own trampoline, and under Helgrind or DRD our lock-free
 * bookkeeping would itself be reported as racy; in those cases threadcheck only forwards
 * calls and reports nothing. Memcheck is fine. */
__attribute__((noinline)) int tc__active_slow(void)
{
	int m = atomic_load_explicit(&tc__mode_v, memory_order_acquire);

	if (m == TC__MODE_UNSET) {
		const char *pre = getenv("LD_PRELOAD");

		m = TC__MODE_ACTIVE;
		if (dlsym(RTLD_DEFAULT, "__tsan_init") != NULL) {
			m = TC__MODE_PASSIVE;
			tc__passive_reason = "ThreadSanitizer runtime present";
		} else if (pre != NULL && (strstr(pre, "vgpreload_helgrind") != NULL ||
					   strstr(pre, "vgpreload_drd") != NULL)) {
			m = TC__MODE_PASSIVE;
			tc__passive_reason = "running under Helgrind/DRD";
		}
		atomic_store_explicit(&tc__mode_v, m, memory_order_release);
	}
	return m == TC__MODE_ACTIVE;
}

const char *tc__passive_why(void)
{
	return tc__passive_reason;
}
