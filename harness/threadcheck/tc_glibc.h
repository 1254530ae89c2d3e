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

/* Decides once (the constructor calls it) whether condition variables can be checked: glibc
 * 2.25 or later (its condvar), on a 64-bit machine (its counters are read whole). */
void tc__glibc_init(void);
/* Why C cannot be a condition variable, or NULL when it may be one (or cannot be checked
 * here). Each test is a fact of every state glibc can leave a condvar in, whatever ran
 * before or runs meanwhile; a condvar overwritten with zeros is a new, valid one. */
const char *tc__cond_broken(const pthread_cond_t *c);

#pragma GCC visibility pop

#endif
