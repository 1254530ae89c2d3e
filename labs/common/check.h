/* check.h: checked pthread wrappers for the labs: on any error they print file:line and abort. */
#ifndef LABS_CHECK_H
#define LABS_CHECK_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Unlike assert(), this is never compiled out: a pthread error in a lab is always fatal and
 * always says where it happened. */
#define CHECK_PT(call)                                                                      \
	do {                                                                                \
		int check_rc_ = (call);                                                     \
		if (check_rc_ != 0) {                                                       \
			fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, \
				strerror(check_rc_));                                       \
			abort();                                                            \
		}                                                                           \
	} while (0)

#define Pthread_create(t, a, f, p) CHECK_PT(pthread_create((t), (a), (f), (p)))
#define Pthread_join(t, r) CHECK_PT(pthread_join((t), (r)))
#define Pthread_detach(t) CHECK_PT(pthread_detach((t)))
#define Pthread_mutex_init(m, a) CHECK_PT(pthread_mutex_init((m), (a)))
#define Pthread_mutex_destroy(m) CHECK_PT(pthread_mutex_destroy((m)))
#define Pthread_mutex_lock(m) CHECK_PT(pthread_mutex_lock((m)))
#define Pthread_mutex_unlock(m) CHECK_PT(pthread_mutex_unlock((m)))
#define Pthread_cond_init(c, a) CHECK_PT(pthread_cond_init((c), (a)))
#define Pthread_cond_destroy(c) CHECK_PT(pthread_cond_destroy((c)))
#define Pthread_cond_wait(c, m) CHECK_PT(pthread_cond_wait((c), (m)))
#define Pthread_cond_signal(c) CHECK_PT(pthread_cond_signal((c)))
#define Pthread_cond_broadcast(c) CHECK_PT(pthread_cond_broadcast((c)))
#define Pthread_rwlock_init(l, a) CHECK_PT(pthread_rwlock_init((l), (a)))
#define Pthread_rwlock_destroy(l) CHECK_PT(pthread_rwlock_destroy((l)))
#define Pthread_rwlock_rdlock(l) CHECK_PT(pthread_rwlock_rdlock((l)))
#define Pthread_rwlock_wrlock(l) CHECK_PT(pthread_rwlock_wrlock((l)))
#define Pthread_rwlock_unlock(l) CHECK_PT(pthread_rwlock_unlock((l)))
/* Pthread_once runs F once, like pthread_once, and also tells Helgrind what it orders (see
 * check.c). The annotation lives in check.c, lab-owned code, so that a student's file never
 * holds a Valgrind client request of its own. */
#define Pthread_once(o, f) check_once_((o), (f), __FILE__, __LINE__)
void check_once_(pthread_once_t *once, void (*fn)(void), const char *file, int line);

/* pthread_barrier_wait returns PTHREAD_BARRIER_SERIAL_THREAD to one waiter: not an error. */
#define Pthread_barrier_init(b, a, n) CHECK_PT(pthread_barrier_init((b), (a), (n)))
#define Pthread_barrier_destroy(b) CHECK_PT(pthread_barrier_destroy((b)))
#define Pthread_barrier_wait(b)                                                             \
	do {                                                                                \
		int check_brc_ = pthread_barrier_wait((b));                                 \
		if (check_brc_ != 0 && check_brc_ != PTHREAD_BARRIER_SERIAL_THREAD)         \
			CHECK_PT(check_brc_);                                               \
	} while (0)

/* Allocation that aborts with file:line instead of returning NULL. */
#define Malloc(n) check_malloc_((n), __FILE__, __LINE__)
static inline void *check_malloc_(size_t n, const char *file, int line)
{
	void *p = malloc(n);
	if (p == NULL && n != 0) {
		fprintf(stderr, "%s:%d: malloc(%zu) failed\n", file, line, n);
		abort();
	}
	return p;
}

#endif
