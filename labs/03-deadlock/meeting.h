/* meeting.h: a slow fraud check for main.c and the tests: each caller waits until the other
 * transfers have reached it too, or until its patience runs out (lab-owned). */
#ifndef MEETING_H
#define MEETING_H

#include <errno.h>
#include <time.h>

#include "check.h"

/* A meeting point for a known number of threads, with a time limit. */
struct meeting {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* signalled on each arrival; waits on CLOCK_MONOTONIC */
	int arrived;            /* callers that have reached the meeting; guarded by lock */
	int expected;           /* callers to wait for */
	long patience_ms;       /* the longest one caller waits */
};

/* Sets up M for EXPECTED callers, each waiting at most PATIENCE_MS. Aborts on a pthread
 * error. */
static inline void meeting_init(struct meeting *m, int expected, long patience_ms)
{
	pthread_condattr_t attr;

	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&m->changed, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	Pthread_mutex_init(&m->lock, NULL);
	m->arrived = 0;
	m->expected = expected;
	m->patience_ms = patience_ms;
}

/* Releases M. Nobody may be waiting in it. */
static inline void meeting_destroy(struct meeting *m)
{
	Pthread_cond_destroy(&m->changed);
	Pthread_mutex_destroy(&m->lock);
}

/* Arrives at M and waits until all expected callers have arrived, but no longer than the
 * patience. Returns how many had arrived when it stopped waiting. Aborts on a pthread error. */
static inline int meeting_wait(struct meeting *m)
{
	struct timespec deadline;
	int arrived;

	CHECK_PT(clock_gettime(CLOCK_MONOTONIC, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += m->patience_ms / 1000;
	deadline.tv_nsec += (m->patience_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	Pthread_mutex_lock(&m->lock);
	m->arrived++;
	Pthread_cond_broadcast(&m->changed);
	while (m->arrived < m->expected) {
		int rc = pthread_cond_timedwait(&m->changed, &m->lock, &deadline);

		/* Giving up is the point: a transfer that the others can never join (because it
		 * is blocked elsewhere) must not keep this one waiting for ever. */
		if (rc == ETIMEDOUT)
			break;
		CHECK_PT(rc);
	}
	arrived = m->arrived;
	Pthread_mutex_unlock(&m->lock);
	return arrived;
}

/* A fraud_check_fn whose ARG is a struct meeting: it approves every payment, but only once the
 * other transfers have reached their fraud check too (or its patience ran out), the way a slow
 * scoring service keeps each transfer waiting while it holds its first account. */
static inline int slow_fraud_check(int from_id, int to_id, long amount, void *arg)
{
	(void)from_id;
	(void)to_id;
	(void)amount;
	meeting_wait(arg);
	return 0;
}

#endif
