/* tc_glibc.h: what threadcheck reads in glibc's mutexes and condition variables, whose layouts
 * are part of glibc's installed headers (struct __pthread_mutex_s, __pthread_cond_s). */
#ifndef TC_GLIBC_H
#define TC_GLIBC_H

#include <pthread.h>
#include <sys/types.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* glibc's mutex kind without the robust, priority and elision flags. */
static inline int tc__mutex_kind(const pthread_mutex_t *m)
{
	return m->__data.__kind & 0x7f;
}

/* Whether glibc's lock word says M is locked (by anyone). Read racily on purpose: it is
 * only consulted when the caller does not hold M by our records. */
static inline int tc__mutex_locked(const pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0;
}

/* The tid glibc recorded as M's owner (every kind records it), 0 when none. */
static inline pid_t tc__mutex_owner(const pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
}

/* ---- the plain mutex's fast path -------------------------------------------------------
 * A plain mutex (PTHREAD_MUTEX_NORMAL: kind 0, private, not robust, no priority protocol, no
 * lock elision) is taken and released by glibc with a lock word of 0 (free), 1 (taken) or 2
 * (taken, with waiters asleep on the futex), the owner's tid and a count of users, all in
 * the installed headers' struct __pthread_mutex_s. Why threadcheck takes an uncontended plain
 * mutex itself: glibc's pthread_mutex_lock first sorts out the mutex's kind (some 30
 * instructions on x86-64), and on a workload that does little but lock and unlock, saving them
 * pays for threadcheck's bookkeeping. Only the uncontended case is done here; a busy mutex goes
 * to glibc's own lock, which sleeps on the futex. The protocol is checked against the real
 * functions at start (tc__glibc_init); when it does not match, the fast path stays off. */
extern int tc__mutex_fast_ok;

/* Whether M may be taken and released by the fast path. */
static inline int tc__mutex_fast(const pthread_mutex_t *m)
{
	return m->__data.__kind == 0 && tc__mutex_fast_ok;
}

/* Takes the plain mutex M for thread TID if it is free, as glibc does: the lock word from 0
 * to 1, then the owner and one more user. Returns 1 when taken, 0 when M is busy (nothing
 * was changed). */
static inline int tc__mutex_fast_lock(pthread_mutex_t *m, pid_t tid)
{
	int zero = 0;

	if (!__atomic_compare_exchange_n(&m->__data.__lock, &zero, 1, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&m->__data.__owner, tid, __ATOMIC_RELAXED);
	__atomic_store_n(&m->__data.__nusers, m->__data.__nusers + 1, __ATOMIC_RELAXED);
	return 1;
}

/* Wakes one thread asleep on the lock word of M (out of line: the fast path stays short). */
void tc__mutex_wake(pthread_mutex_t *m);

/* Releases the plain mutex M, which the caller holds, as glibc does: the owner and one user
 * go, then the lock word goes to 0, and when it said 2 one sleeper is woken. */
static inline void tc__mutex_fast_unlock(pthread_mutex_t *m)
{
	__atomic_store_n(&m->__data.__owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->__data.__nusers, m->__data.__nusers - 1, __ATOMIC_RELAXED);
	if (__builtin_expect(__atomic_exchange_n(&m->__data.__lock, 0, __ATOMIC_RELEASE) > 1, 0))
		tc__mutex_wake(m);
}

/* Decides once (the constructor calls it, while the process has one thread, after the real
 * functions were resolved) whether condition variables can be checked (glibc 2.25 or later,
 * on a 64-bit machine: its counters are read whole) and whether the plain mutex's fast path
 * matches this glibc. */
void tc__glibc_init(void);
/* Why C cannot be a condition variable, or NULL when it may be one (or cannot be checked
 * here). Each test is a fact of every state glibc can leave a condvar in, whatever ran
 * before or runs meanwhile; a condvar overwritten with zeros is a new, valid one. */
const char *tc__cond_broken(const pthread_cond_t *c);

#pragma GCC visibility pop

#endif
