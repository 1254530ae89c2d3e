/* checkpoint.h: a slow risk service for main.c and the tests: each payment it is asked about
 * waits there until the other payments of the moment have arrived too, or until its patience
 * runs out, and is then approved (lab-owned). */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <errno.h>
#include <time.h>

#include "check.h"

/* A place where a known number of threads meet, with a time limit for each. */
struct checkpoint {
	pthread_mutex_t lock;
	pthread_cond_t arrival; /* broadcast at each arrival; measures time on CLOCK_MONOTONIC */
	int arrived;            /* threads that have reached the checkpoint; guarded by lock */
	int parties;            /* how many are expected */
	long patience_ms;       /* the longest one thread waits for the others */
};

/* Sets up C for PARTIES threads, each waiting at most PATIENCE_MS. Aborts on a pthread
 * error. */
static inline void checkpoint_init(struct checkpoint *c, int parties, long patience_ms)
{
	pthread_condattr_t attr;

	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&c->arrival, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	Pthread_mutex_init(&c->lock, NULL);
	c->arrived = 0;
	c->parties = parties;
	c->patience_ms = patience_ms;
}

/* Releases C. No thread may be waiting in it. */
static inline void checkpoint_destroy(struct checkpoint *c)
{
	Pthread_cond_destroy(&c->arrival);
	Pthread_mutex_destroy(&c->lock);
}

/* Whether the calling thread has arrived at a checkpoint since it last cleared this. */
static _Thread_local int checkpoint_visited;

/* Says that one of C's parties will never arrive (its payment was decided without asking the
 * risk service, for instance refused for want of money), so that the others stop waiting for
 * it. Aborts on a pthread error. */
static inline void checkpoint_skip(struct checkpoint *c)
{
	Pthread_mutex_lock(&c->lock);
	c->parties--;
	Pthread_cond_broadcast(&c->arrival);
	Pthread_mutex_unlock(&c->lock);
}

/* Arrives at C and waits until every party has, or until the patience runs out. Returns how
 * many had arrived when it stopped waiting. Aborts on a pthread error. */
static inline int checkpoint_arrive(struct checkpoint *c)
{
	struct timespec until;
	int arrived;

	CHECK_PT(clock_gettime(CLOCK_MONOTONIC, &until) != 0 ? errno : 0);
	until.tv_sec += c->patience_ms / 1000;
	until.tv_nsec += (c->patience_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}

	checkpoint_visited = 1;
	Pthread_mutex_lock(&c->lock);
	c->arrived++;
	Pthread_cond_broadcast(&c->arrival);
	while (c->arrived < c->parties) {
		int rc = pthread_cond_timedwait(&c->arrival, &c->lock, &until);

		/* A party that cannot arrive (say, because it waits for a lock this thread holds)
		 * must not keep this one here for ever. */
		if (rc == ETIMEDOUT)
			break;
		CHECK_PT(rc);
	}
	arrived = c->arrived;
	Pthread_mutex_unlock(&c->lock);
	return arrived;
}

/* An authorize_fn whose ARG is a struct checkpoint: it approves every payment, but only once
 * the other payments of the moment have reached the risk service too (or its patience ran
 * out), the way a slow provider answers a burst of requests all at once. */
static inline int checkpoint_authorize(long amount, void *arg)
{
	(void)amount;
	checkpoint_arrive(arg);
	return 0;
}

#endif
