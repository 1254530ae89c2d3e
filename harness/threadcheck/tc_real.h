/* tc_real.h: the real pthread functions behind threadcheck's interposers (looked up once with
 * dlsym), and whether the library is active or only forwards calls. */
#ifndef TC_REAL_H
#define TC_REAL_H

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* The real functions, as X(type, name, version); VERSION picks an ABI where a name has two
 * (pthread_cond_* exist in two and plain dlsym may hand back the old one). */
#define TC__REALS(X)                                                                        \
	X(tc__create_fn, pthread_create, NULL)                                              \
	X(tc__join_fn, pthread_join, NULL)                                                  \
	X(tc__tryjoin_fn, pthread_tryjoin_np, NULL)                                         \
	X(tc__timedjoin_fn, pthread_timedjoin_np, NULL)                                     \
	X(tc__clockjoin_fn, pthread_clockjoin_np, NULL)                                     \
	X(tc__detach_fn, pthread_detach, NULL)                                              \
	X(tc__thrd_create_fn, thrd_create, NULL)                                            \
	X(tc__exit_fn, pthread_exit, NULL)                                                  \
	X(tc__setname_fn, pthread_setname_np, NULL)                                         \
	X(tc__mutex_fn, pthread_mutex_lock, NULL)                                           \
	X(tc__mutex_fn, pthread_mutex_trylock, NULL)                                        \
	X(tc__mutex_fn, pthread_mutex_unlock, NULL)                                         \
	X(tc__mutex_timed_fn, pthread_mutex_timedlock, NULL)                                \
	X(tc__mutex_init_fn, pthread_mutex_init, NULL)                                      \
	X(tc__mutex_fn, pthread_mutex_destroy, NULL)                                        \
	X(tc__rwlock_init_fn, pthread_rwlock_init, NULL)                                    \
	X(tc__rwlock_fn, pthread_rwlock_destroy, NULL)                                      \
	X(tc__cond_wait_fn, pthread_cond_wait, "GLIBC_2.3.2")                               \
	X(tc__cond_timed_fn, pthread_cond_timedwait, "GLIBC_2.3.2")                         \
	X(tc__cond_clock_fn, pthread_cond_clockwait, NULL)                                  \
	X(tc__cond_fn, pthread_cond_signal, "GLIBC_2.3.2")                                  \
	X(tc__cond_fn, pthread_cond_broadcast, "GLIBC_2.3.2")                               \
	X(tc__rwlock_fn, pthread_rwlock_rdlock, NULL)                                       \
	X(tc__rwlock_fn, pthread_rwlock_wrlock, NULL)                                       \
	X(tc__rwlock_timed_fn, pthread_rwlock_timedrdlock, NULL)                            \
	X(tc__rwlock_timed_fn, pthread_rwlock_timedwrlock, NULL)                            \
	X(tc__rwlock_fn, pthread_rwlock_tryrdlock, NULL)                                    \
	X(tc__rwlock_fn, pthread_rwlock_trywrlock, NULL)                                    \
	X(tc__rwlock_fn, pthread_rwlock_unlock, NULL)                                       \
	X(tc__sem_fn, sem_wait, NULL)                                                       \
	X(tc__sem_timed_fn, sem_timedwait, NULL)                                            \
	X(tc__barrier_fn, pthread_barrier_wait, NULL)                                       \
	/* Only the schedule explorer (tc_sched.c, tc_wrap_sched.c) needs these. */         \
	X(tc__sem_fn, sem_post, NULL)                                                       \
	X(tc__sem_fn, sem_trywait, NULL)                                                    \
	X(tc__barrier_init_fn, pthread_barrier_init, NULL)                                  \
	X(tc__yield_fn, sched_yield, NULL)                                                  \
	X(tc__nanosleep_fn, nanosleep, NULL)                                                \
	X(tc__clock_nanosleep_fn, clock_nanosleep, NULL)                                    \
	X(tc__usleep_fn, usleep, NULL)                                                      \
	X(tc__sleep_fn, sleep, NULL)                                                        \
	X(tc__once_fn, pthread_once, NULL)                                                  \
	X(tc__sigwait_fn, sigwait, NULL)                                                    \
	X(tc__sigwaitinfo_fn, sigwaitinfo, NULL)                                            \
	X(tc__sigtimedwait_fn, sigtimedwait, NULL)

typedef int (*tc__create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*tc__join_fn)(pthread_t, void **);
typedef int (*tc__tryjoin_fn)(pthread_t, void **);
typedef int (*tc__timedjoin_fn)(pthread_t, void **, const struct timespec *);
typedef int (*tc__clockjoin_fn)(pthread_t, void **, clockid_t, const struct timespec *);
typedef int (*tc__detach_fn)(pthread_t);
typedef int (*tc__thrd_create_fn)(thrd_t *, thrd_start_t, void *);
typedef void (*tc__exit_fn)(void *);
typedef int (*tc__setname_fn)(pthread_t, const char *);
typedef int (*tc__mutex_fn)(pthread_mutex_t *);
typedef int (*tc__mutex_timed_fn)(pthread_mutex_t *, const struct timespec *);
typedef int (*tc__mutex_init_fn)(pthread_mutex_t *, const pthread_mutexattr_t *);
typedef int (*tc__rwlock_init_fn)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
typedef int (*tc__cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*tc__cond_timed_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*tc__cond_clock_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
				 const struct timespec *);
typedef int (*tc__cond_fn)(pthread_cond_t *);
typedef int (*tc__rwlock_fn)(pthread_rwlock_t *);
typedef int (*tc__rwlock_timed_fn)(pthread_rwlock_t *, const struct timespec *);
typedef int (*tc__sem_fn)(sem_t *);
typedef int (*tc__sem_timed_fn)(sem_t *, const struct timespec *);
typedef int (*tc__barrier_fn)(pthread_barrier_t *);
typedef int (*tc__barrier_init_fn)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned);
typedef int (*tc__yield_fn)(void);
typedef int (*tc__nanosleep_fn)(const struct timespec *, struct timespec *);
typedef int (*tc__clock_nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);
typedef int (*tc__usleep_fn)(useconds_t);
typedef unsigned (*tc__sleep_fn)(unsigned);
typedef int (*tc__once_fn)(pthread_once_t *, void (*)(void));
typedef int (*tc__sigwait_fn)(const sigset_t *, int *);
typedef int (*tc__sigwaitinfo_fn)(const sigset_t *, siginfo_t *);
typedef int (*tc__sigtimedwait_fn)(const sigset_t *, siginfo_t *, const struct timespec *);

/* Returns the real NAME, cached in *CACHE; aborts when it does not exist, since the caller
 * has nothing to forward to. */
void *tc__real_slow(void *_Atomic *cache, const char *name, const char *version);

/* The fast path is one load (the constructor resolved everything), inlined into the
 * wrappers. */
static inline void *tc__real(void *_Atomic *cache, const char *name, const char *version)
{
	void *p = atomic_load_explicit(cache, memory_order_acquire);

	if (__builtin_expect(p != NULL, 1))
		return p;
	return tc__real_slow(cache, name, version);
}

/* tc__real_NAME() returns the real NAME. */
#define X(type, name, version)                                                              \
	extern void *_Atomic tc__cache_##name;                                              \
	static inline type tc__real_##name(void)                                            \
	{                                                                                   \
		return (type)tc__real(&tc__cache_##name, #name, version);                   \
	}
TC__REALS(X)
#undef X

/* Resolves every real function while the process is still single-threaded, so that later
 * calls only read the caches (and Helgrind, which cannot see our atomics, sees no race).
 * A function this C library lacks stays unresolved; nobody can call it then. */
void tc__real_resolve_all(void);

/* The library's mode, decided once: 0 undecided, 1 active, 2 passive (it only forwards). */
enum { TC__MODE_UNSET, TC__MODE_ACTIVE, TC__MODE_PASSIVE };
extern _Atomic int tc__mode_v;
/* Decides the mode (see tc_real.c) and returns whether it is active. */
int tc__active_slow(void);
/* Why the library is passive, NULL while it is active or undecided. */
const char *tc__passive_why(void);

/* Inlined everywhere: once decided (by the constructor, normally) the mode is one load. */
static inline int tc__active(void)
{
	int m = atomic_load_explicit(&tc__mode_v, memory_order_acquire);

	if (__builtin_expect(m != TC__MODE_UNSET, 1))
		return m == TC__MODE_ACTIVE;
	return tc__active_slow();
}

#pragma GCC visibility pop

#endif
