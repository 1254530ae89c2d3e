/* gate.h: a one-shot gate for lab 19's driver and tests: threads wait until somebody opens it, with or without a time limit. */
#ifndef LAB19_GATE_H
#define LAB19_GATE_H

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "check.h"

/* Shut until gate_open; then open for good. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t opened; /* waits on CLOCK_MONOTONIC */
	int open;              /* guarded by lock */
};

/* Sets G up shut. Aborts with file:line on a pthread error. */
static inline void gate_init(struct gate *g)
{
	pthread_condattr_t attr;

	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&g->opened, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	Pthread_mutex_init(&g->lock, NULL);
	g->open = 0;
}

/* Releases G. Nobody may be waiting at it or use it later. */
static inline void gate_destroy(struct gate *g)
{
	Pthread_cond_destroy(&g->opened);
	Pthread_mutex_destroy(&g->lock);
}

/* Opens G: every waiter goes on, and so will every later one. */
static inline void gate_open(struct gate *g)
{
	Pthread_mutex_lock(&g->lock);
	g->open = 1;
	Pthread_cond_broadcast(&g->opened);
	Pthread_mutex_unlock(&g->lock);
}

/* Waits until G is open. */
static inline void gate_wait(struct gate *g)
{
	Pthread_mutex_lock(&g->lock);
	while (!g->open)
		Pthread_cond_wait(&g->opened, &g->lock);
	Pthread_mutex_unlock(&g->lock);
}

/* Waits until G is open, but at most TIMEOUT_MS milliseconds. Returns 1 if it is open, 0 if
 * the time ran out first. */
static inline int gate_wait_ms(struct gate *g, long timeout_ms)
{
	struct timespec deadline;
	int open;

	CHECK_PT(clock_gettime(CLOCK_MONOTONIC, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	Pthread_mutex_lock(&g->lock);
	while (!g->open) {
		int rc = pthread_cond_timedwait(&g->opened, &g->lock, &deadline);

		if (rc == ETIMEDOUT)
			break;
		CHECK_PT(rc);
	}
	open = g->open;
	Pthread_mutex_unlock(&g->lock);
	return open;
}

#endif
