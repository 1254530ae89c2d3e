/* live_allocs.h: for the labs' tests, a count of the heap blocks allocated and not freed yet, by
 * interposing on malloc and its family; include it from exactly one file of a test program. */
#ifndef LABS_LIVE_ALLOCS_H
#define LABS_LIVE_ALLOCS_H

#include <stdatomic.h>
#include <stddef.h>

#include "under_tsan.h"

/* ThreadSanitizer has allocator interceptors of its own, which a second malloc would clash
 * with at link time: under TSan nothing is counted, and the plain build of the tests (the one
 * the `test` tool runs) is the one that checks what is freed. */
#define LIVE_ALLOCS_COUNTING (!LABS_UNDER_TSAN)

/* Blocks allocated and not freed yet, by any thread, since the program started. */
static atomic_long live_allocs_now;

/* Returns how many heap blocks are allocated and not freed right now, or -1 when this build
 * cannot count them (under ThreadSanitizer). Two readings taken around a piece of code that has
 * joined every thread it started differ by the blocks that code left behind. Thread stacks are
 * not heap blocks; glibc keeps the memory of joined threads for the next ones, so a test that
 * starts threads should take its first reading after one warm-up round with as many threads. */
static inline long live_allocs(void)
{
	return LIVE_ALLOCS_COUNTING ? atomic_load(&live_allocs_now) : -1;
}

#if LIVE_ALLOCS_COUNTING
/* glibc's own allocator, under the names it exports for interposers like this one. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/* Counts P as one more live block when it is not NULL; returns P. */
static inline void *live_allocs_add(void *p)
{
	if (p != NULL)
		atomic_fetch_add(&live_allocs_now, 1);
	return p;
}

void *malloc(size_t size)
{
	return live_allocs_add(__libc_malloc(size));
}

void *calloc(size_t n, size_t size)
{
	return live_allocs_add(__libc_calloc(n, size));
}

void *realloc(void *p, size_t size)
{
	void *q = __libc_realloc(p, size);

	/* realloc(NULL, n) allocates; realloc(p, 0) frees; otherwise one block replaces another. */
	if (p == NULL)
		return live_allocs_add(q);
	if (size == 0 && q == NULL)
		atomic_fetch_sub(&live_allocs_now, 1);
	return q;
}

void *memalign(size_t align, size_t size)
{
	return live_allocs_add(__libc_memalign(align, size));
}

void *aligned_alloc(size_t align, size_t size)
{
	return live_allocs_add(__libc_memalign(align, size));
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return 22; /* EINVAL, without pulling errno.h into every test */
	p = live_allocs_add(__libc_memalign(align, size));
	if (p == NULL && size != 0)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

void free(void *p)
{
	if (p != NULL)
		atomic_fetch_sub(&live_allocs_now, 1);
	__libc_free(p);
}
#endif

#endif
