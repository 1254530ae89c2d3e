/* tc_glibc.c: the facts of glibc's condition variable that threadcheck checks (tc_glibc.h). */
#include "tc_glibc.h"
#include "tc_real.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gnu/libc-version.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Whether condvars are checked; written once by the constructor. */
static int tc__cond_checks;
int tc__mutex_fast_ok;

/* Whether the C library running is glibc MAJOR.MINOR or later. */
static int tc__glibc_at_least(int major, int minor)
{
	const char *v = gnu_get_libc_version();
	char *end;
	long ma = strtol(v, &end, 10), mi = *end == '.' ? strtol(end + 1, NULL, 10) : 0;

	return ma > major || (ma == major && mi >= minor);
}

__attribute__((noinline)) void tc__mutex_wake(pthread_mutex_t *m)
{
	(void)syscall(SYS_futex, &m->__data.__lock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Whether M's lock word, owner and user count are LOCK, OWNER and USERS. */
static int tc__mutex_is(const pthread_mutex_t *m, int lock, pid_t owner, unsigned users)
{
	return m->__data.__lock == lock && m->__data.__owner == owner &&
	       m->__data.__nusers == users;
}

/* Whether the fast path and glibc's own calls leave a plain mutex in the same states, each
 * way round: glibc takes it and the fast path releases it, and the other way. */
static int tc__mutex_fast_matches(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pid_t tid = gettid();
	int ok = m.__data.__kind == 0 && tc__mutex_is(&m, 0, 0, 0);

	ok = ok && tc__real_pthread_mutex_lock()(&m) == 0 && tc__mutex_is(&m, 1, tid, 1);
	ok = ok && tc__real_pthread_mutex_unlock()(&m) == 0 && tc__mutex_is(&m, 0, 0, 0);
	ok = ok && tc__mutex_fast_lock(&m, tid) && tc__mutex_is(&m, 1, tid, 1);
	ok = ok && tc__real_pthread_mutex_trylock()(&m) == EBUSY;
	ok = ok && tc__real_pthread_mutex_unlock()(&m) == 0 && tc__mutex_is(&m, 0, 0, 0);
	ok = ok && tc__real_pthread_mutex_lock()(&m) == 0;
	if (ok)
		tc__mutex_fast_unlock(&m);
	ok = ok && tc__mutex_is(&m, 0, 0, 0) && tc__real_pthread_mutex_trylock()(&m) == 0;
	ok = ok && tc__real_pthread_mutex_unlock()(&m) == 0 && m.__data.__kind == 0;
	return ok;
}

void tc__glibc_init(void)
{
	tc__cond_checks = sizeof(void *) == 8 && tc__glibc_at_least(2, 25);
	tc__mutex_fast_ok = tc__mutex_fast_matches();
}

static uint64_t tc__load64(const pthread_cond_t *c, size_t off)
{
	return __atomic_load_n((const uint64_t *)((const char *)c + off), __ATOMIC_ACQUIRE);
}

/* The field meanings are those of glibc's pthread_cond_common.c, the same since 2.25; the
 * offsets come from the headers, which name these fields in every layout since. */
const char *tc__cond_broken(const pthread_cond_t *c)
{
	unsigned wrefs, orig;
	uint64_t g1, wseq;

	if (!tc__cond_checks)
		return NULL;
	wrefs = __atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED);
	orig = __atomic_load_n(&c->__data.__g1_orig_size, __ATOMIC_RELAXED);
	/* __wrefs counts waiters in steps of 8; no process has 1 << 22 threads (the kernel's
	 * largest pid_max). */
	if (wrefs >> 3 >= 1u << 22)
		return "it counts more waiters than a process can have threads";
	/* The low two bits of __g1_orig_size are a three-state lock: 0, 1 or 2. */
	if ((orig & 3) == 3)
		return "its internal lock is in a state that does not exist";
	/* __g1_start, the position of the oldest waiter group, never passes __wseq, the
	 * position of the next waiter. __wseq keeps a flag in its low bit, and __g1_start did
	 * until glibc 2.41: compared without that bit, the order holds in both. Read in that
	 * order, both only grow; a stale read of __wseq is ruled out by reading it again after
	 * a fence. */
	g1 = tc__load64(c, offsetof(pthread_cond_t, __data.__g1_start)) >> 1;
	wseq = tc__load64(c, offsetof(pthread_cond_t, __data.__wseq)) >> 1;
	if (g1 > wseq) {
		atomic_thread_fence(memory_order_seq_cst);
		wseq = tc__load64(c, offsetof(pthread_cond_t, __data.__wseq)) >> 1;
		if (g1 > wseq)
			return "its oldest waiter group starts after its newest waiter";
	}
	return NULL;
}
